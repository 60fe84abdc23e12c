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
}

impl LoadError {
    pub fn new(file: impl Into<PathBuf>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        LoadError {
            file: file.into(),
            feature: None,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn in_feature(mut self, feature: impl Into<String>) -> Self {
        self.feature = Some(feature.into());
        self
    }
}
