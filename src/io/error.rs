//! Load errors: which file, which feature, what is wrong, in Chinese and English.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.message())]
pub struct LoadError {
    pub file: PathBuf,
    /// The feature (index and id) the problem is in, when it is in one.
    pub feature: Option<String>,
    pub zh: String,
    pub en: String,
    /// The file names no CRS and one must be chosen (the app asks; the CLI takes
    /// `--src-crs`).
    pub needs_crs: bool,
    /// A CRS the coordinates look like, offered to the user.
    pub suggested_crs: Option<crate::model::Crs>,
}

impl LoadError {
    pub fn new(file: impl Into<PathBuf>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        LoadError {
            file: file.into(),
            feature: None,
            zh: zh.into(),
            en: en.into(),
            needs_crs: false,
            suggested_crs: None,
        }
    }

    pub fn in_feature(mut self, feature: impl Into<String>) -> Self {
        self.feature = Some(feature.into());
        self
    }

    /// The message as gridmap shows it ([`crate::error::bilingual`]): the file and feature
    /// in each language.
    pub fn message(&self) -> String {
        let file = self.file.display();
        let (fzh, fen) = match &self.feature {
            Some(f) => (
                format!("（要素 {}）", crate::error::quoted(f)),
                format!(" (feature {})", crate::error::quoted(f)),
            ),
            None => (String::new(), String::new()),
        };
        crate::error::bilingual(
            &format!("{file}{fzh}：{}", self.zh),
            &format!("{file}{fen}: {}", self.en),
        )
    }
}

/// Write errors: which file could not be written and why, in Chinese and English.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.message())]
pub struct WriteError {
    pub file: PathBuf,
    pub zh: String,
    pub en: String,
}

impl WriteError {
    pub fn new(file: impl Into<PathBuf>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        WriteError {
            file: file.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The file system refused (no room, no permission, a folder that is missing, ...).
    pub fn io(file: impl Into<PathBuf>, e: &std::io::Error) -> Self {
        WriteError::new(file, format!("无法写入：{e}"), format!("cannot write: {e}"))
    }

    /// The project could not be turned into the format (a CRS PROJ cannot describe, ...).
    pub fn convert(file: impl Into<PathBuf>, e: &dyn std::fmt::Display) -> Self {
        WriteError::new(
            file,
            format!("无法转换为此格式：{e}"),
            format!("cannot convert the project to this format: {e}"),
        )
    }

    /// The message as gridmap shows it ([`crate::error::bilingual`]).
    pub fn message(&self) -> String {
        let file = self.file.display();
        crate::error::bilingual(
            &format!("{file}：{}", self.zh),
            &format!("{file}: {}", self.en),
        )
    }
}
