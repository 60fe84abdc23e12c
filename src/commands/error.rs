//! The one error type of the commands: what a subcommand (or the app calling the same
//! function) could not do, with the lower layer's error kept as its source.

use std::path::PathBuf;

/// Why a command failed. Errors of the layers below pass through unchanged (they already
/// name the file and what is wrong); the command's own problems say which argument or file.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Input that could not be read.
    #[error(transparent)]
    Load(#[from] crate::io::LoadError),
    /// Output that could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
    /// A print that could not be composed or encoded.
    #[error(transparent)]
    Print(#[from] crate::print::PrintError),
    /// A page that could not be rendered to the file it was meant for.
    #[error("{}：无法生成此页\n{}: cannot render this page", .path.display(), .path.display())]
    Render {
        path: PathBuf,
        #[source]
        source: crate::print::PrintError,
    },
    /// Ledger tables that could not be encoded.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// An edit that could not be built.
    #[error(transparent)]
    Edit(#[from] crate::edit::EditError),
    /// An edit that does not fit the project.
    #[error(transparent)]
    Apply(#[from] crate::edit::ApplyError),
    /// A staff roster that could not be read.
    #[error(transparent)]
    Roster(#[from] crate::io::RosterError),
    /// Control points that do not fit the method.
    #[error(transparent)]
    Georef(#[from] crate::io::FitError),
    /// The report's geometry cannot be written in WGS 84.
    #[error("无法以 WGS 84 写出报告的几何\ncannot write the report's geometry in WGS 84")]
    ReportGeometry(#[source] crate::io::CrsError),
    /// The audit report could not be written (stdout closed, disk full).
    #[error("写入报告失败\ncannot write the report")]
    Report(#[source] std::io::Error),
    /// A table could not be encoded as JSON.
    #[error("无法生成 JSON\ncannot encode the JSON")]
    Json(#[source] serde_json::Error),
    /// A text file an argument names could not be read.
    #[error("{}：无法读取\n{}: cannot read", .path.display(), .path.display())]
    ReadText {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An image to georeference without control points.
    #[error(
        "{}：没有控制点（--point 或 --points）\n{}: no control points (--point or --points)",
        .0.display(),
        .0.display()
    )]
    NoControlPoints(PathBuf),
    /// A site that could not be written.
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    /// A publication refused while the audit finds errors.
    #[error(
        "审核发现 {0} 个错误：请先修正，或确认后用 --allow-errors 发布
the audit finds {0} errors: fix them first, or publish anyway with --allow-errors"
    )]
    PublishWithErrors(usize),
    /// An argument that does not parse.
    #[error(transparent)]
    Arg(#[from] ArgError),
}

/// An argument of the command line (or a field of the app's dialogs) that does not parse.
/// Each message quotes the text given and says what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgError {
    #[error(
        "不是 EPSG 代码：{0}（例如 EPSG:4546）\nnot an EPSG code: {0} (expected e.g. EPSG:4546)"
    )]
    Crs(String),
    #[error(
        "不认识的编码：{0}（可用 UTF-8、GBK 或 GB18030）\nunknown encoding: {0} (try UTF-8, GBK or GB18030)"
    )]
    Encoding(String),
    #[error(
        "--field {0}：应为 字段=列名，如 name=XZQMC\n--field {0}: expected FIELD=COLUMN, e.g. name=XZQMC"
    )]
    FieldSyntax(String),
    #[error(
        "--field {arg}：不认识的字段 {key}（name、code、level、parent、households、population）\n--field {arg}: unknown field {key} (name, code, level, parent, households, population)"
    )]
    UnknownField { arg: String, key: String },
    #[error("控制点应为 U,V,X,Y：{0}\na control point is U,V,X,Y: {0}")]
    ControlPointNumber(String),
    #[error("控制点应为 4 个数 U,V,X,Y：\"{0}\"\na control point is four numbers U,V,X,Y: \"{0}\"")]
    ControlPointCount(String),
    #[error(
        "不认识的版式 {0}：township、village、board 或 atlas\nunknown layout {0}: township, village, board or atlas"
    )]
    Layout(String),
    #[error("{0}：应为 YYYY-MM-DD\n{0}: expected YYYY-MM-DD")]
    Date(String),
    #[error(
        "--households {0}：应为 最小-最大，如 200-300\n--households {0}: expected MIN-MAX, e.g. 200-300"
    )]
    Households(String),
    #[error("请给出 --import ROSTER 或 --export ROSTER\ngive --import ROSTER or --export ROSTER")]
    RosterAction,
}
