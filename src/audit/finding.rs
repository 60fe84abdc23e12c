//! Typed audit findings: what is wrong, where, how big, said in Chinese and English.

use geo::Geometry;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// The kind of a finding; serialised in snake_case (`gap`, `overlap`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 几何无效: self-intersection, too few points, spike, hole outside shell, ...
    InvalidGeometry,
    /// 重复节点: consecutive duplicate vertices (repairable).
    DuplicateVertex,
    /// 重叠: area covered by two grids of the same level.
    Overlap,
    /// 重复网格: two grids with the same geometry.
    Duplicate,
    /// 缝隙: area inside a parent covered by none of its children.
    Gap,
    /// 细缝: a gap narrower than the gap width.
    Sliver,
    /// 接边不一致: edges that do not match a neighbour's (CoverageValidator semantics).
    InvalidEdge,
    /// 越界: part of a grid beyond its parent.
    OutsideParent,
    /// 上级缺失: parent id not found, or a child grid without a parent.
    MissingParent,
    /// 上级级别错误: parent is not one level above.
    WrongParentLevel,
    /// 级别无效: level not in 1..=4.
    BadLevel,
    DuplicateId,
    DuplicateCode,
    MalformedCode,
    /// 河流未入格.
    RiverOutsideGrids,
    /// 界河: a river along a shared boundary.
    BoundaryRiver,
    /// 水库未入格.
    ReservoirOutsideGrids,
    /// A grid with river or reservoir but no 河长 or 网格长.
    MissingRiverChief,
    MissingName,
    MissingCode,
    /// No 网格长/网格员.
    MissingStaff,
    BadPhone,
    /// Households or population outside the configured range.
    SizeOutOfRange,
    /// 临时名称: a name the app gave (`…（分）`, `新网格 …`, `…补充网格`) still in place.
    WorkingName,
}

impl Kind {
    /// The kinds every summary shows, even at zero: "缝隙 0 · 重叠 0 · ...".
    pub const MAIN: [Kind; 8] = [
        Kind::Gap,
        Kind::Overlap,
        Kind::Sliver,
        Kind::InvalidEdge,
        Kind::OutsideParent,
        Kind::InvalidGeometry,
        Kind::RiverOutsideGrids,
        Kind::MissingStaff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::InvalidGeometry => "invalid_geometry",
            Kind::DuplicateVertex => "duplicate_vertex",
            Kind::Overlap => "overlap",
            Kind::Duplicate => "duplicate",
            Kind::Gap => "gap",
            Kind::Sliver => "sliver",
            Kind::InvalidEdge => "invalid_edge",
            Kind::OutsideParent => "outside_parent",
            Kind::MissingParent => "missing_parent",
            Kind::WrongParentLevel => "wrong_parent_level",
            Kind::BadLevel => "bad_level",
            Kind::DuplicateId => "duplicate_id",
            Kind::DuplicateCode => "duplicate_code",
            Kind::MalformedCode => "malformed_code",
            Kind::RiverOutsideGrids => "river_outside_grids",
            Kind::BoundaryRiver => "boundary_river",
            Kind::ReservoirOutsideGrids => "reservoir_outside_grids",
            Kind::MissingRiverChief => "missing_river_chief",
            Kind::MissingName => "missing_name",
            Kind::MissingCode => "missing_code",
            Kind::MissingStaff => "missing_staff",
            Kind::BadPhone => "bad_phone",
            Kind::SizeOutOfRange => "size_out_of_range",
            Kind::WorkingName => "working_name",
        }
    }

    /// Short Chinese and English names, for summaries ("缝隙 0 · 重叠 0").
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Kind::InvalidGeometry => ("几何无效", "invalid geometry"),
            Kind::DuplicateVertex => ("重复节点", "duplicate vertex"),
            Kind::Overlap => ("重叠", "overlap"),
            Kind::Duplicate => ("重复网格", "duplicate grid"),
            Kind::Gap => ("缝隙", "gap"),
            Kind::Sliver => ("细缝", "sliver"),
            Kind::InvalidEdge => ("接边不一致", "near-miss edge"),
            Kind::OutsideParent => ("越界", "outside parent"),
            Kind::MissingParent => ("上级缺失", "missing parent"),
            Kind::WrongParentLevel => ("上级级别错误", "wrong parent level"),
            Kind::BadLevel => ("级别无效", "bad level"),
            Kind::DuplicateId => ("编号重复", "duplicate id"),
            Kind::DuplicateCode => ("编码重复", "duplicate code"),
            Kind::MalformedCode => ("编码格式错误", "malformed code"),
            Kind::RiverOutsideGrids => ("河流未入格", "river outside grids"),
            Kind::BoundaryRiver => ("界河", "boundary river"),
            Kind::ReservoirOutsideGrids => ("水库未入格", "reservoir outside grids"),
            Kind::MissingRiverChief => ("缺河长", "missing river chief"),
            Kind::MissingName => ("缺名称", "missing name"),
            Kind::MissingCode => ("缺编码", "missing code"),
            Kind::MissingStaff => ("缺网格长", "missing grid head"),
            Kind::BadPhone => ("电话无效", "bad phone"),
            Kind::SizeOutOfRange => ("规模超范围", "size out of range"),
            Kind::WorkingName => ("临时名称", "working name"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Message {
    pub zh: String,
    pub en: String,
}

/// One problem found by the audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    /// Ids of the grids (or rivers, reservoirs) involved, most specific first.
    pub ids: Vec<String>,
    /// Where it is, in the project's working CRS.
    #[serde(skip)]
    pub geometry: Option<Geometry<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    pub message: Message,
}

impl Finding {
    pub fn new(kind: Kind, severity: Severity, ids: Vec<String>, zh: String, en: String) -> Self {
        Finding {
            kind,
            severity,
            ids,
            geometry: None,
            area_m2: None,
            width_m: None,
            length_m: None,
            message: Message { zh, en },
        }
    }

    pub fn with_geometry(mut self, g: impl Into<Geometry<f64>>) -> Self {
        self.geometry = Some(g.into());
        self
    }

    /// Sort key that makes reports deterministic.
    pub(crate) fn sort_key(&self) -> (Kind, &[String], i64, i64, &Message) {
        let q = |v: Option<f64>| v.map(|x| (x * 1000.0).round() as i64).unwrap_or(0);
        (
            self.kind,
            &self.ids,
            -q(self.area_m2),
            -q(self.length_m),
            &self.message,
        )
    }
}

/// Round to the precision reports show (1 mm, 1 cm²).
pub(crate) fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
