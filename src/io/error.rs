//! The io layer's errors, each naming what it is about in Chinese and English: loading
//! and writing files ([`LoadError`], [`WriteError`]) and the concerns beside them (CRSs,
//! export to bytes, GeoJSON geometry, control points, staff rosters, map tiles). A cause
//! from another crate is kept as the source; [`crate::error::report`] says the chain.

use std::error::Error as StdError;
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
    pub fn convert(file: impl Into<PathBuf>, e: &(dyn StdError + 'static)) -> Self {
        let (zh, en) = crate::error::report_lines(e);
        WriteError::new(
            file,
            format!("无法转换为此格式：{zh}"),
            format!("cannot convert the project to this format: {en}"),
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

/// A CRS PROJ cannot read, name, describe or transform.
#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    #[error("坐标系定义为空\nthe CRS definition is empty")]
    Empty,
    #[error("坐标系定义中有 NUL 字符\nthe CRS definition holds a NUL character")]
    Nul(#[from] std::ffi::NulError),
    #[error("PROJ 无法读取此坐标系定义\nPROJ cannot read this CRS definition")]
    Unreadable,
    #[error("不是地理坐标系或投影坐标系\nnot a geographic or projected CRS")]
    NotGeographicOrProjected,
    /// PROJ has no CRS of this authority code.
    #[error("PROJ 不认识 {0}\nPROJ does not know {0}")]
    Unknown(String),
    #[error("PROJ 无法把 {0} 写成 WKT1\nPROJ cannot write {0} as WKT1")]
    NoWkt1(String),
    #[error("PROJ 无法把 {from} 转换到 {to}\nPROJ cannot transform {from} to {to}")]
    Transform {
        from: String,
        to: String,
        #[source]
        source: proj::ProjCreateError,
    },
    /// A CRS a file defines (WKT) that PROJ cannot transform.
    #[error("PROJ 无法把文件的坐标系转换到 {to}\nPROJ cannot transform the file's CRS to {to}")]
    TransformDefinition {
        to: String,
        #[source]
        source: proj::ProjCreateError,
    },
}

/// A project that could not be turned into the bytes of a format (before any file is
/// written: [`WriteError::convert`] names the file).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Crs(#[from] CrsError),
    #[error("无法生成 JSON\ncannot make the JSON")]
    Json(#[from] serde_json::Error),
    #[error("无法生成 CSV\ncannot make the CSV")]
    Csv(#[from] csv::Error),
    #[error("无法生成 KML\ncannot make the KML")]
    Kml(#[from] kml::Error),
    #[error("无法生成 DXF\ncannot make the DXF")]
    Dxf(#[from] dxf::DxfError),
}

/// A GeoJSON geometry whose coordinates do not nest as its type says. `what` is the GeoJSON
/// type (and part) being read, as the file names it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("{what}：应为坐标点，却是嵌套数组\n{what}: expected positions, found nested arrays")]
    NestedNotPositions { what: &'static str },
    #[error(
        "{what}：应为坐标点数组，却只有一个坐标点\n{what}: expected an array of positions, found one position"
    )]
    OnePosition { what: &'static str },
    #[error(
        "{what}：应为嵌套数组，却是一个坐标点\n{what}: expected nested arrays, found a position"
    )]
    PositionNotNested { what: &'static str },
    #[error("Point：应为一个坐标点\nPoint: expected one position")]
    PointNotPosition,
    #[error("不支持的几何类型 {0}\nunsupported geometry type {0}")]
    Unsupported(String),
}

/// Control points that give no transform.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error(
        "至少需要 {needed} 个控制点（现有 {have} 个）\nat least {needed} control points are needed ({have} so far)"
    )]
    TooFew { needed: usize, have: usize },
    /// Point `number` (from 1) has a pixel or map coordinate no image or map has.
    #[error(
        "第 {number} 个控制点的坐标超出范围（像素 {pixel}，地图 {map}）\ncontrol point {number} is out of range (pixel {pixel}, map {map})"
    )]
    OutOfRange {
        number: usize,
        pixel: String,
        map: String,
    },
    #[error(
        "控制点共线或重合，无法求解；请在图上分散选点\nthe control points are in a line or on top of each other; spread them over the map"
    )]
    Degenerate,
    /// The map points coincide or lie in a line: each pixel would cover no ground.
    #[error(
        "控制点的地图坐标重合或共线，变换会把图像压成一条线\nthe control points' map coordinates coincide or lie in a line; the transform would fold the image onto a line"
    )]
    Folded,
    #[error("控制点无法给出有效的变换\nthe control points give no usable transform")]
    Unusable,
}

/// A staff roster that cannot be read: the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{}：{}\n{}: {}", .path.display(), .problem.zh(), .path.display(), .problem.en())]
pub struct RosterError {
    pub path: PathBuf,
    pub problem: RosterProblem,
    #[source]
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

/// What is wrong with a roster file.
#[derive(Debug, Clone, PartialEq)]
pub enum RosterProblem {
    Unreadable,
    TooLarge {
        mb: u64,
        limit_mb: u64,
    },
    Csv,
    Xlsx,
    Sheet,
    Spreadsheet,
    NoSheet,
    /// A cell (named as Excel names it) beyond the rows and columns a roster may use.
    CellOutOfRange {
        cell: String,
        rows: u32,
        columns: u32,
    },
    TooManyCells {
        limit: usize,
    },
    DamagedZip,
    TooManyParts {
        parts: usize,
        limit: usize,
    },
    ZipBomb {
        limit_mb: u64,
    },
    NoHeader,
    NoGridColumn,
}

impl RosterProblem {
    fn zh(&self) -> String {
        use RosterProblem as P;
        match self {
            P::Unreadable => "无法读取".into(),
            P::TooLarge { mb, limit_mb } => format!("表格文件太大（{mb} MB，上限 {limit_mb} MB）"),
            P::Csv => "CSV 格式错误".into(),
            P::Xlsx => "无法读取 XLSX 表格".into(),
            P::Sheet => "无法读取工作表".into(),
            P::Spreadsheet => "无法读取表格（支持 xlsx、xls、ods、csv）".into(),
            P::NoSheet => "表格中没有工作表".into(),
            P::CellOutOfRange {
                cell,
                rows,
                columns,
            } => format!(
                "单元格 {cell} 超出名单的范围（最多 {rows} 行、{columns} 列）；请删除表格中多余的内容"
            ),
            P::TooManyCells { limit } => format!("表格内容太多（上限 {limit} 个单元格）"),
            P::DamagedZip => "表格文件已损坏（不是有效的 zip 容器）".into(),
            P::TooManyParts { parts, limit } => {
                format!("表格文件包含 {parts} 个部件（上限 {limit}）")
            }
            P::ZipBomb { limit_mb } => {
                format!("表格文件解压后超过 {limit_mb} MB（可能是压缩炸弹）")
            }
            P::NoHeader => "找不到表头（需要「姓名」列，以及「网格编码」或「网格名称」列）".into(),
            P::NoGridColumn => "需要「网格编码」或「网格名称」列".into(),
        }
    }

    fn en(&self) -> String {
        use RosterProblem as P;
        match self {
            P::Unreadable => "cannot read the file".into(),
            P::TooLarge { mb, limit_mb } => {
                format!("the spreadsheet is too large ({mb} MB; the limit is {limit_mb} MB)")
            }
            P::Csv => "the CSV is malformed".into(),
            P::Xlsx => "cannot read the XLSX workbook".into(),
            P::Sheet => "cannot read the sheet".into(),
            P::Spreadsheet => "cannot read the spreadsheet (xlsx, xls, ods, csv)".into(),
            P::NoSheet => "the workbook has no sheet".into(),
            P::CellOutOfRange {
                cell,
                rows,
                columns,
            } => format!(
                "cell {cell} is beyond what a roster may use ({rows} rows, {columns} columns); delete the stray content"
            ),
            P::TooManyCells { limit } => {
                format!("the sheet holds too much (the limit is {limit} cells)")
            }
            P::DamagedZip => "the spreadsheet is damaged (not a valid zip container)".into(),
            P::TooManyParts { parts, limit } => {
                format!("the spreadsheet has {parts} parts (the limit is {limit})")
            }
            P::ZipBomb { limit_mb } => {
                format!("the spreadsheet unpacks to more than {limit_mb} MB (a zip bomb?)")
            }
            P::NoHeader => "no header row: a 姓名/name column and a 网格编码/code or 网格名称/grid column are needed".into(),
            P::NoGridColumn => "a 网格编码/code or 网格名称/grid column is needed".into(),
        }
    }
}

impl RosterError {
    /// `problem` in `path`, with no cause beyond it.
    pub fn new(path: &std::path::Path, problem: RosterProblem) -> Self {
        RosterError {
            path: path.to_path_buf(),
            problem,
            source: None,
        }
    }

    /// `problem` in `path`, caused by `source`.
    pub fn caused(
        path: &std::path::Path,
        problem: RosterProblem,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        RosterError {
            path: path.to_path_buf(),
            problem,
            source: Some(source.into()),
        }
    }
}

/// A map tile that cannot be had: from an MBTiles file or a tile server.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("{}：不是可读的 MBTiles 文件\n{}: not a readable MBTiles file", .path.display(), .path.display())]
    NotMbTiles {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}：不是可读的 MBTiles 文件：没有 `tiles` 表\n{}: not a readable MBTiles file: no `tiles` table", .path.display(), .path.display())]
    NoTilesTable { path: PathBuf },
    #[error("MBTiles 文件未打开\nMBTiles file not open")]
    NotOpen,
    /// Another thread panicked while it held the file.
    #[error("{}：MBTiles 文件不可用（另一线程出错）\n{}: the MBTiles file is unusable (another thread failed)", .path.display(), .path.display())]
    Poisoned { path: PathBuf },
    #[error("{}：瓦片 {z}/{x}/{y} 太大\n{}: tile {z}/{x}/{y} too large", .path.display(), .path.display())]
    TooLarge {
        path: PathBuf,
        z: u8,
        x: u32,
        y: u32,
    },
    #[error("{}：无法读取瓦片\n{}: cannot read a tile", .path.display(), .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// `url` is shown without its query (where a key would be).
    #[error("无法下载 {url}\ncannot download {url}")]
    Download {
        url: String,
        #[source]
        source: ureq::Error,
    },
}
