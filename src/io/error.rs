//! Load errors: which file, which feature, what is wrong, in Chinese and English.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {en}\n  {zh}", file.display(), feature.as_ref().map(|f| format!(" (feature {f})")).unwrap_or_default())]
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
}
