//! What can go wrong with the county database, as the user is told it (a Chinese line, an
//! English line), with the cause kept below where there is one: the chain is said once by
//! [`crate::error::report`].

use crate::error::{bilingual, quoted};
use std::path::PathBuf;

/// An error of the county store: its address, connection, schema, rights, rows and files.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A check of gridmap's own (an address, a setting, a file name, a rule of the store),
    /// with no cause below it.
    #[error("{}", bilingual(.zh, .en))]
    Message { zh: String, en: String },
    /// The server answered a statement with an error. Its message and SQLSTATE are in the
    /// text, so the postgres error is kept beside them (for its DETAIL and HINT) rather
    /// than as a source, whose text ("db error") would add nothing.
    #[error(
        "{target}：{zh}：{message}（SQLSTATE {code}）\n{target}: {en}: {message} (SQLSTATE {code})"
    )]
    Server {
        target: String,
        zh: &'static str,
        en: &'static str,
        message: String,
        code: String,
        error: Box<postgres::Error>,
    },
    /// The connection failed or closed: what it means for the user, the cause below.
    #[error("{}", bilingual(.zh, .en))]
    Connection {
        zh: String,
        en: String,
        #[source]
        source: postgres::Error,
    },
    /// The database address cannot be parsed.
    #[error(
        "数据库地址无法识别：{}\nthe database address cannot be read: {}",
        quoted(.url),
        quoted(.url)
    )]
    Address {
        url: String,
        #[source]
        source: postgres::Error,
    },
    /// A root certificate file cannot be read.
    #[error("无法读取根证书 {}\ncannot read the root certificate {}", .path.display(), .path.display())]
    Certificate {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// A root certificate file holds no certificate.
    #[error(
        "无法读取根证书 {}：其中没有证书（PEM）\ncannot read the root certificate {}: no certificate (PEM) in it",
        .path.display(),
        .path.display()
    )]
    NoCertificate { path: PathBuf },
    /// None of the certificates of a root file can be used.
    #[error(
        "TLS 设置失败：{}：没有可用的证书\nTLS setup failed: {}: no usable certificate",
        .path.display(),
        .path.display()
    )]
    UnusableCertificate { path: PathBuf },
    /// rustls refused the TLS settings.
    #[error("TLS 设置失败\nTLS setup failed")]
    TlsSetup(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored row cannot be used.
    #[error(
        "县级数据库中乡镇 {township} 的要素 {id} 无法读取\nfeature {id} of township {township} in the county database cannot be read"
    )]
    Unreadable {
        township: String,
        id: String,
        #[source]
        source: RowError,
    },
    /// A folder cannot be made.
    #[error("无法建立文件夹 {}\ncannot create the folder {}", .path.display(), .path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A project file cannot be read.
    #[error(transparent)]
    Load(#[from] crate::io::LoadError),
    /// A project file cannot be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
}

impl DbError {
    /// A message of gridmap's own, in Chinese and English.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        DbError::Message {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The whole chain in Chinese and in English, as [`crate::error::report`] says it.
    pub fn lines(&self) -> (String, String) {
        crate::error::report_lines(self)
    }

    /// The whole chain in English.
    pub fn en(&self) -> String {
        self.lines().1
    }
}

/// Why a stored row cannot become a feature of its layer.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// Its geometry column cannot be decoded.
    #[error("geometry")]
    Decode(#[source] postgres::Error),
    #[error("no geometry")]
    NoGeometry,
    /// A geometry of a kind its layer does not hold.
    #[error("{layer} {id}: {kind}")]
    Kind {
        layer: &'static str,
        id: String,
        kind: &'static str,
    },
    #[error("NaN or infinite coordinates")]
    NotFinite,
    /// The staff column is not a list of staff.
    #[error("staff")]
    Staff(#[source] serde_json::Error),
    #[error("layer {0}")]
    Layer(String),
    /// Its attributes do not fit its layer.
    #[error("{layer} {id}")]
    Attributes {
        layer: &'static str,
        id: String,
        #[source]
        source: serde_json::Error,
    },
}
