//! Why a document's derived structures differ from ones built from scratch: what
//! [`Document::verify`](super::Document::verify) reports, for tests after any sequence of
//! edits, undos and redos.

/// The first derived structure found to differ from a fresh one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    #[error("标识索引与重建的不同\nid index differs from a fresh one")]
    IdIndex,
    #[error("吸附索引与重建的不同\nsnapping index differs from a fresh one")]
    SnapIndex,
    #[error("网格 {0} 没有编号\ngrid {0} has no key")]
    NoKey(String),
    #[error(
        "网格 {0} 的图形或档案与重建的不同\nthe mesh or record of grid {0} differs from a fresh one"
    )]
    Slot(String),
    #[error(
        "视图中有 {live} 个网格，项目中有 {project} 个\n{live} grids in the view, {project} in the project"
    )]
    GridCount { live: usize, project: usize },
    #[error("下级计数与重建的不同\nchildren counts differ from fresh ones")]
    Children,
    #[error("相邻关系与重建的不同\nneighbour graph differs from a fresh one")]
    Neighbours,
    /// Two neighbours share a colour (their ids, as the view knows them).
    #[error("相邻网格 {a:?} 与 {b:?} 颜色相同\nneighbours {a:?} and {b:?} have the same colour")]
    SameColour {
        a: Option<String>,
        b: Option<String>,
    },
    #[error("网格外包框与重建的不同\ngrid envelopes differ from fresh ones")]
    Envelopes,
    #[error("网格 {0} 不在外包框索引中\ngrid {0} is missing from the envelope tree")]
    EnvelopeTree(String),
    #[error("检查阈值与项目设置不同\naudit thresholds differ from the project's settings")]
    AuditConfig,
    /// The live audit's findings and a fresh audit's, one line each (kind, ids, area).
    #[error(
        "检查结果与重新检查的不同\nreport differs from a fresh audit:\nincremental {incremental:?}\nfresh {fresh:?}"
    )]
    Report {
        incremental: Vec<String>,
        fresh: Vec<String>,
    },
}
