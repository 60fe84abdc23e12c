//! The part of reading that every format shares: features in flight ([`Pending`]) with
//! their layer, id, properties and geometry in the source CRS; the property names read
//! for each field; and [`assemble`], which checks and reprojects each file's features into
//! one working CRS and builds the project.

use super::error::LoadError;
use super::gcj02;
use super::reproject::Reprojector;
use super::{FieldMap, ReadOptions, SourceCrs};
use crate::model::{
    Boundary, Crs, Grid, InputNote, Project, Reservoir, River, Staff, Village, WorkingChoice,
    gk_zone_epsg_for_lon, working_crs_for,
};
use crate::records::{FOUR_BOUNDS, drop_derived, four_bounds_all};
use geo::{Coord, CoordsIter, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Layer {
    Boundary,
    Grid,
    River,
    Reservoir,
    Village,
}

impl Layer {
    pub(crate) fn parse(s: &str) -> Option<Layer> {
        match s.trim().to_ascii_lowercase().as_str() {
            "boundary" | "boundaries" | "边界" | "行政边界" => Some(Layer::Boundary),
            "grid" | "grids" | "网格" => Some(Layer::Grid),
            "river" | "rivers" | "河流" => Some(Layer::River),
            "reservoir" | "reservoirs" | "lake" | "水库" => Some(Layer::Reservoir),
            "village" | "villages" | "自然村" => Some(Layer::Village),
            _ => None,
        }
    }

    /// The layer a file holds when its features do not say, from the file name: a word
    /// of the name (split at `-`, `_`, `.`, space) such as `rivers`, or a Chinese ending
    /// such as `河流`. Anything else holds grids ("XX镇河长制网格" is grids, not rivers).
    pub(crate) fn from_file_name(path: &Path) -> Layer {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let words: Vec<&str> = stem.split(['-', '_', '.', ' ']).collect();
        for w in &words {
            if let Some(layer) = Layer::parse(w).filter(|l| *l != Layer::Grid) {
                return layer;
            }
        }
        for (ending, layer) in [
            ("行政边界", Layer::Boundary),
            ("边界", Layer::Boundary),
            ("河流", Layer::River),
            ("水库", Layer::Reservoir),
            ("自然村", Layer::Village),
        ] {
            if stem.ends_with(ending) {
                return layer;
            }
        }
        Layer::Grid
    }

    /// Whether a feature of this layer can have geometry of `kind` ([`geometry_kind`]).
    pub(crate) fn takes(self, kind: &str) -> bool {
        match self {
            Layer::Boundary | Layer::Grid | Layer::Reservoir => {
                matches!(kind, "Polygon" | "MultiPolygon")
            }
            Layer::River => matches!(kind, "LineString" | "MultiLineString"),
            Layer::Village => kind == "Point",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Layer::Boundary => "boundary",
            Layer::Grid => "grid",
            Layer::River => "river",
            Layer::Reservoir => "reservoir",
            Layer::Village => "village",
        }
    }
}

pub(crate) fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn value_to_u32(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n
            .as_u64()
            .map(|x| x.min(u32::MAX as u64) as u32)
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f.round() as u32)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A feature in flight: its geometry still in the source CRS.
pub(crate) struct Pending {
    pub layer: Layer,
    pub id: String,
    pub props: Map<String, Value>,
    pub geometry: Option<geo::Geometry<f64>>,
}

pub(crate) fn geometry_kind(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::Polygon(_) => "Polygon",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "other",
    }
}

pub(crate) fn for_each_coord_mut(g: &mut geo::Geometry<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
    fn poly(p: &mut Polygon<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
        p.exterior_mut(|ls| ls.0.iter_mut().for_each(&mut *f));
        p.interiors_mut(|hs| {
            hs.iter_mut()
                .for_each(|ls| ls.0.iter_mut().for_each(&mut *f))
        });
    }
    match g {
        geo::Geometry::Point(p) => f(&mut p.0),
        geo::Geometry::MultiPoint(m) => m.0.iter_mut().for_each(|p| f(&mut p.0)),
        geo::Geometry::LineString(l) => l.0.iter_mut().for_each(f),
        geo::Geometry::MultiLineString(m) => {
            m.0.iter_mut()
                .for_each(|l| l.0.iter_mut().for_each(&mut *f))
        }
        geo::Geometry::Polygon(p) => poly(p, f),
        geo::Geometry::MultiPolygon(m) => m.0.iter_mut().for_each(|p| poly(p, f)),
        _ => {}
    }
}

/// Remove the coordinates that are not finite numbers (NaN or infinite in the file, or
/// ones PROJ could not transform) from a geometry, with the rings and lines left too short
/// to stand, and polygons without any exterior (`"coordinates": []`, which hold nothing);
/// returns how many coordinates were removed. Everything after reading (indexes, audit,
/// drawing, writers) may then take every coordinate as a number.
pub(crate) fn drop_non_finite(g: &mut geo::Geometry<f64>) -> usize {
    fn ring(ls: &mut LineString<f64>, min: usize, closed: bool) -> usize {
        let n = ls.0.len();
        ls.0.retain(|c| c.x.is_finite() && c.y.is_finite());
        let removed = n - ls.0.len();
        if removed > 0 {
            if closed && ls.0.len() >= 3 && ls.0.first() != ls.0.last() {
                let first = ls.0[0];
                ls.0.push(first);
            }
            // Too short to stand once the bad coordinates are gone (a ring short to begin
            // with is kept for the validity check to report).
            if ls.0.len() < min {
                ls.0.clear();
            }
        }
        removed
    }
    fn poly(p: &mut Polygon<f64>) -> usize {
        let (mut shell, mut holes) =
            std::mem::replace(p, Polygon::new(LineString(vec![]), vec![])).into_inner();
        let mut removed = ring(&mut shell, 4, true);
        for h in holes.iter_mut() {
            removed += ring(h, 4, true);
        }
        holes.retain(|h| !h.0.is_empty());
        *p = Polygon::new(shell, holes);
        removed
    }
    let finite = |c: &Coord<f64>| c.x.is_finite() && c.y.is_finite();
    match g {
        geo::Geometry::Point(p) => usize::from(!finite(&p.0)),
        geo::Geometry::MultiPoint(m) => {
            let n = m.0.len();
            m.0.retain(|p| finite(&p.0));
            n - m.0.len()
        }
        geo::Geometry::LineString(l) => ring(l, 2, false),
        geo::Geometry::MultiLineString(m) => {
            let removed = m.0.iter_mut().map(|l| ring(l, 2, false)).sum();
            m.0.retain(|l| !l.0.is_empty());
            removed
        }
        geo::Geometry::Polygon(p) => poly(p),
        geo::Geometry::MultiPolygon(m) => {
            let removed = m.0.iter_mut().map(poly).sum();
            m.0.retain(|p| !p.exterior().0.is_empty());
            removed
        }
        _ => 0,
    }
}

/// [`drop_non_finite`] on a feature, with a note for the audit when anything was removed;
/// an empty geometry becomes none.
pub(crate) fn keep_finite(
    path: &Path,
    layer: Layer,
    id: &str,
    g: &mut Option<geo::Geometry<f64>>,
    notes: &mut Vec<InputNote>,
) {
    let Some(geom) = g else { return };
    let removed = drop_non_finite(geom);
    // A geometry with nothing left (or nothing to begin with) is no geometry.
    let gone = (removed > 0 && matches!(geom, geo::Geometry::Point(_)))
        || geom.coords_iter().next().is_none();
    if gone {
        *g = None;
    }
    if removed == 0 {
        return;
    }
    let file = path.display();
    let id_shown = crate::error::quoted(id);
    notes.push(InputNote {
        feature_id: id.to_string(),
        layer: layer.name(),
        zh: format!(
            "{file}：要素 {id_shown} 有 {removed} 个坐标不是有效数字（NaN、无穷大或无法转换坐标系），已删除{}。",
            if gone { "；要素没有剩下可用的几何" } else { "" }
        ),
        en: format!(
            "{file}: feature {id_shown} has {removed} coordinates that are not numbers (NaN, infinite, or not transformable); they were removed{}.",
            if gone { " and no usable geometry is left" } else { "" }
        ),
        fatal: gone,
        at: None,
    });
}

/// One file's (or one table's) features before reprojection.
pub(crate) struct Batch {
    pub path: PathBuf,
    /// The CRS the file names, if any.
    pub crs: Option<SourceCrs>,
    /// True when a file without a CRS must not be taken as longitude/latitude (a
    /// shapefile without `.prj`); GeoJSON without `crs` is RFC 7946 longitude/latitude.
    pub crs_required: bool,
    pub name: Option<String>,
    pub pending: Vec<Pending>,
    /// The project settings the file carries (gridmap's own GeoJSON, KML and DXF), so that
    /// the audit's thresholds, the print settings and the rest come back with the map.
    pub settings: Option<crate::model::Extra>,
}

/// The key under which a file gridmap writes carries the project settings: a GeoJSON
/// foreign member, a KML document's ExtendedData, a DXF drawing's first XDATA.
pub(crate) const SETTINGS_KEY: &str = "gridmap_settings";

/// A CRS to suggest for coordinates whose CRS is unknown: longitude/latitude ranges give
/// CGCS2000 geographic, 8-digit eastings the zone-prefixed CGCS2000 3-degree GK zone.
pub fn suggest_crs(sample: Coord<f64>) -> Option<Crs> {
    if sample.x.abs() <= 180.0 && sample.y.abs() <= 90.0 {
        return Some(Crs::epsg(4490));
    }
    if (1.0e7..5.0e7).contains(&sample.x) {
        let zone = (sample.x / 1.0e6).floor() as u32;
        if (25..=45).contains(&zone) {
            return Some(Crs::epsg(4513 + zone - 25));
        }
    }
    None
}

/// The first finite coordinate of the features, with its feature's id.
pub(crate) fn first_coord(pending: &mut [Pending]) -> Option<(String, Coord<f64>)> {
    for p in pending {
        if let Some(g) = &mut p.geometry {
            let mut found = None;
            for_each_coord_mut(g, &mut |c| {
                if found.is_none() && c.x.is_finite() && c.y.is_finite() {
                    found = Some(*c);
                }
            });
            if let Some(c) = found {
                return Some((p.id.clone(), c));
            }
        }
    }
    None
}

fn missing_crs_error(batch: &mut Batch) -> LoadError {
    let sample = first_coord(&mut batch.pending);
    let suggestion = sample.as_ref().and_then(|(_, c)| suggest_crs(*c));
    let (zh_hint, en_hint) = match (&sample, suggestion) {
        (Some((_, c)), Some(s)) => (
            format!(
                "坐标 ({:.3}, {:.3}) 看起来是 {}，可用 --src-crs {}。",
                c.x,
                c.y,
                s.describe(),
                s.authority()
            ),
            format!(
                " Coordinate ({:.3}, {:.3}) looks like {}: try --src-crs {}.",
                c.x,
                c.y,
                s.describe(),
                s.authority()
            ),
        ),
        (Some((_, c)), None) => (
            format!(
                "坐标 ({:.3}, {:.3}) 像是不带带号的投影坐标（CGCS2000 高斯-克吕格 3 度带：EPSG:4534-4554）。",
                c.x, c.y
            ),
            format!(
                " Coordinate ({:.3}, {:.3}) looks like projected metres without zone prefix (CGCS2000 3-degree GK: EPSG:4534-4554).",
                c.x, c.y
            ),
        ),
        _ => (String::new(), String::new()),
    };
    let shapefile = batch
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    let (zh_prj, en_prj) = if shapefile {
        ("（缺少 .prj）", " (no .prj)")
    } else {
        ("", "")
    };
    let mut e = LoadError::new(
        &batch.path,
        format!("文件没有坐标系{zh_prj}。请指定坐标系。{zh_hint}"),
        format!("the file names no CRS{en_prj}; name it with --src-crs.{en_hint}"),
    );
    e.needs_crs = true;
    e.suggested_crs = suggestion;
    e
}

/// PROJ cannot take `path`'s coordinates where they must go.
fn cannot_transform(path: &Path, e: &super::CrsError) -> LoadError {
    let (zh, en) = crate::error::report_lines(e);
    LoadError::new(
        path,
        format!("无法转换坐标系：{zh}"),
        format!("cannot transform the coordinates: {en}"),
    )
}

/// Check each batch's coordinates against its CRS, reproject all of them into one working
/// CRS and build the project.
pub(crate) fn assemble(
    mut batches: Vec<Batch>,
    mut notes: Vec<InputNote>,
    opts: &ReadOptions,
) -> Result<Project, LoadError> {
    let sources = source_crss(&mut batches, opts)?;
    let extent = check_lon_lat(&mut batches, &sources, opts)?;
    let working = working_crs(&mut batches, &sources, extent, opts, &mut notes)?;
    let mut project = Project {
        crs: working,
        input_notes: notes,
        ..Default::default()
    };
    let mut defects = Vec::new();
    for (b, source) in batches.into_iter().zip(&sources) {
        let rp =
            Reprojector::from_source(source, working).map_err(|e| cannot_transform(&b.path, &e))?;
        let mut pending = b.pending;
        let gcj02 = opts.gcj02 && source.is_geographic();
        if !rp.is_identity() || gcj02 {
            let mut clock = std::time::Instant::now();
            defects.extend(super::source_validity::check_source(
                &b.path,
                &mut pending,
                &rp,
                gcj02,
                source.is_geographic(),
                &mut project.input_notes,
            ));
            crate::timing::phase("validity in source coordinates", &mut clock);
        }
        reproject(&mut pending, &rp, gcj02);
        for p in &mut pending {
            keep_finite(
                &b.path,
                p.layer,
                &p.id,
                &mut p.geometry,
                &mut project.input_notes,
            );
        }
        if project.name.is_empty() {
            project.name = b.name.unwrap_or_default();
        }
        if project.settings.is_empty()
            && let Some(s) = b.settings
        {
            project.settings = s;
        }
        place_batch(&mut project, &b.path, pending, &opts.fields)?;
    }
    // Everything read lies on the working CRS's grid from here on (model::Precision).
    let precision = project.crs.precision();
    precision.snap_project(&mut project);
    super::source_validity::hidden_defects(&mut project, defects);
    Ok(project)
}

/// The CRS of each batch: its own, else the user's, else longitude/latitude. A CRS named by
/// code must be one PROJ knows, and one a map is drawn in.
fn source_crss(batches: &mut [Batch], opts: &ReadOptions) -> Result<Vec<SourceCrs>, LoadError> {
    let mut sources: Vec<SourceCrs> = Vec::with_capacity(batches.len());
    for b in batches.iter_mut() {
        let s = match (&b.crs, opts.source_crs) {
            (Some(c), _) => c.clone(),
            (None, Some(c)) => SourceCrs::Epsg(c),
            (None, None) if b.crs_required && !b.pending.is_empty() => {
                return Err(missing_crs_error(b));
            }
            (None, None) => SourceCrs::Epsg(Crs::epsg(4326)),
        };
        sources.push(s);
    }
    for (b, s) in batches.iter().zip(&sources) {
        if let SourceCrs::Epsg(c) = s {
            let (zh, en) = match super::crs_kind(*c) {
                Some(super::CrsKind::Geographic | super::CrsKind::Projected) => continue,
                Some(super::CrsKind::Other) => (
                    "不是经纬度或投影坐标系（例如地心或高程坐标系），无法使用",
                    "is neither longitude/latitude nor projected (geocentric, vertical, ...); it cannot be used",
                ),
                None => (
                    "不存在（PROJ 数据库中没有此编码）",
                    "does not exist (PROJ knows no such code)",
                ),
            };
            return Err(LoadError::new(
                &b.path,
                format!("坐标系 {} {zh}。", c.authority()),
                format!("the CRS {} {en}.", c.authority()),
            ));
        }
    }
    Ok(sources)
}

/// The extent of longitude/latitude input (min x, max x, min y, max y; infinite when
/// there is none). A coordinate out of range is an error: in a CRS the file or the user
/// named, out of its range; else projected data that names no CRS.
fn check_lon_lat(
    batches: &mut [Batch],
    sources: &[SourceCrs],
    opts: &ReadOptions,
) -> Result<[f64; 4], LoadError> {
    let mut extent = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for (b, source) in batches.iter_mut().zip(sources) {
        if !source.is_geographic() {
            continue;
        }
        let mut bad: Option<(String, Coord<f64>)> = None;
        for p in &mut b.pending {
            if let Some(g) = &mut p.geometry {
                for_each_coord_mut(g, &mut |c| {
                    // Non-finite values are not a CRS question: the audit's vertex check
                    // removes them with a finding.
                    if !(c.x.is_finite() && c.y.is_finite()) {
                        return;
                    }
                    extent = [
                        extent[0].min(c.x),
                        extent[1].max(c.x),
                        extent[2].min(c.y),
                        extent[3].max(c.y),
                    ];
                    if bad.is_none() && (c.x.abs() > 180.0 || c.y.abs() > 90.0) {
                        bad = Some((p.id.clone(), *c));
                    }
                });
            }
        }
        if let Some((fid, c)) = bad {
            return Err(out_of_lon_lat(b, opts, fid, c));
        }
    }
    Ok(extent)
}

/// The error for coordinate `c` of feature `fid`, out of the longitude/latitude range.
fn out_of_lon_lat(b: &Batch, opts: &ReadOptions, fid: String, c: Coord<f64>) -> LoadError {
    let at = format!(
        "({}, {})",
        crate::error::number(c.x),
        crate::error::number(c.y)
    );
    // A CRS the file itself names (KML is always WGS 84) or the user named: the
    // coordinate is out of its range, and --src-crs is no remedy.
    let named = match (&b.crs, opts.source_crs) {
        (Some(own), _) => Some((own.describe(), false)),
        (None, Some(c)) => Some((SourceCrs::Epsg(c).describe(), true)),
        (None, None) => None,
    };
    if let Some((crs, by_user)) = named {
        let (zh_by, en_by) = if by_user {
            ("所指定的", "the named ")
        } else {
            ("文件声明的", "the file's ")
        };
        return LoadError::new(
            &b.path,
            format!("坐标 {at} 超出{zh_by}坐标系 {crs} 的经纬度范围。"),
            format!("coordinate {at} is outside the longitude/latitude range of {en_by}CRS {crs}."),
        )
        .in_feature(fid);
    }
    let hint = match suggest_crs(c) {
        Some(s) => format!(
            " They look like {}: try --src-crs {}.",
            s.describe(),
            s.authority()
        ),
        None if c.x.abs() < 1.0e6 && c.y.abs() < 1.0e7 => " They look like projected metres without zone prefix (CGCS2000 GK: EPSG:4534-4554): name the CRS with --src-crs.".to_string(),
        None => String::new(),
    };
    let mut e = LoadError::new(
        &b.path,
        format!("坐标 {at} 不是经纬度，文件也没有声明坐标系。请用 --src-crs 指定坐标系。"),
        format!("coordinate {at} is not longitude/latitude and the file names no CRS.{hint}"),
    )
    .in_feature(fid);
    e.needs_crs = true;
    e.suggested_crs = suggest_crs(c);
    e
}

/// The working CRS: the user's, else the first projected CRS named by code, else one for
/// the longitude/latitude `extent` (with a note when it is not a GK zone), else the GK zone
/// of the centre of data in a projected CRS known only by its definition. It must be
/// projected.
fn working_crs(
    batches: &mut [Batch],
    sources: &[SourceCrs],
    [min_x, max_x, min_y, max_y]: [f64; 4],
    opts: &ReadOptions,
    notes: &mut Vec<InputNote>,
) -> Result<Crs, LoadError> {
    let file0 = batches.first().map(|b| b.path.clone()).unwrap_or_default();
    let projected = sources.iter().find_map(|s| match s {
        SourceCrs::Epsg(c) if super::crs_kind(*c) == Some(super::CrsKind::Projected) => Some(*c),
        _ => None,
    });
    let working = match (opts.working_crs, projected) {
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) if min_x.is_finite() => {
            let (crs, why) = working_crs_for(min_x, max_x, (min_y + max_y) / 2.0);
            if let Some((zh, en)) = working_note(why) {
                notes.push(InputNote {
                    feature_id: String::new(),
                    layer: Layer::Grid.name(),
                    zh: format!("{}：{zh}：{}。", file0.display(), crs.describe()),
                    en: format!("{}: {en}: {}.", file0.display(), crs.describe()),
                    fatal: false,
                    at: None,
                });
            }
            crs
        }
        // A projected CRS known only by its definition: the GK zone of its centre.
        (None, None) => {
            let mut centre = None;
            for (b, s) in batches.iter_mut().zip(sources) {
                if let (SourceCrs::Definition { .. }, Some((_, c))) =
                    (s, first_coord(&mut b.pending))
                {
                    let to_ll = Reprojector::from_source(s, Crs::epsg(4490))
                        .map_err(|e| cannot_transform(&b.path, &e))?;
                    centre = Some(to_ll.point(c).x);
                    break;
                }
            }
            Crs::epsg(gk_zone_epsg_for_lon(centre.unwrap_or(111.0)))
        }
    };
    if super::crs_kind(working) != Some(super::CrsKind::Projected) {
        return Err(LoadError::new(
            &file0,
            format!(
                "工作坐标系 {} 不是投影坐标系；请选择以米为单位的投影坐标系。",
                working.authority()
            ),
            format!(
                "working CRS {} is not a projected CRS; choose a projected CRS in metres.",
                working.authority()
            ),
        ));
    }
    Ok(working)
}

/// Why a working CRS other than a GK zone was chosen, for a note.
fn working_note(why: WorkingChoice) -> Option<(&'static str, &'static str)> {
    match why {
        WorkingChoice::GkZone => None,
        WorkingChoice::Utm => Some((
            "数据在中国 3 度带（东经 75°-135°）以外，工作坐标系取中心所在的 UTM 带",
            "the data lie outside China's 3-degree zones (75E-135E); the working CRS is the UTM zone of its centre",
        )),
        WorkingChoice::EqualArea => Some((
            "数据跨越多个投影带，工作坐标系取等积投影（面积不变，形状略有变形）",
            "the data span more than one zone; the working CRS is an equal-area projection (areas true, shapes slightly distorted)",
        )),
    }
}

/// Reproject all coordinates of a batch in one PROJ call (from GCJ-02 first when asked).
fn reproject(pending: &mut [Pending], rp: &Reprojector, gcj02: bool) {
    let mut flat: Vec<Coord<f64>> = Vec::new();
    for p in pending.iter_mut() {
        if let Some(g) = &mut p.geometry {
            for_each_coord_mut(g, &mut |c| flat.push(*c));
        }
    }
    if gcj02 {
        flat.iter_mut().for_each(|c| *c = gcj02::to_wgs84(*c));
    }
    rp.apply(&mut flat);
    let mut flat = flat.into_iter();
    for p in pending.iter_mut() {
        if let Some(g) = &mut p.geometry {
            for_each_coord_mut(g, &mut |c| {
                if let Some(t) = flat.next() {
                    *c = t;
                }
            });
        }
    }
}

/// Put a batch's features into their layers. A file that mixes polygons with lines or
/// points (a district set with its border lines) is read, the features that do not fit
/// their layer skipped with a note; a file of which nothing fits is an error.
fn place_batch(
    project: &mut Project,
    path: &Path,
    pending: Vec<Pending>,
    fields: &FieldMap,
) -> Result<(), LoadError> {
    let mut placed = 0usize;
    let mut first_skipped: Option<(String, &'static str, Layer)> = None;
    for p in pending {
        if let Some(kind) = p.geometry.as_ref().map(geometry_kind)
            && !p.layer.takes(kind)
        {
            first_skipped.get_or_insert((p.id.clone(), kind, p.layer));
            project.input_notes.push(InputNote {
                feature_id: p.id.clone(),
                layer: p.layer.name(),
                zh: format!(
                    "{}：要素 {} 的几何是 {kind}，不能作为{}，已跳过。",
                    path.display(),
                    crate::error::quoted(&p.id),
                    p.layer.name()
                ),
                en: format!(
                    "{}: feature {} is a {kind}, which a {} cannot be; skipped.",
                    path.display(),
                    crate::error::quoted(&p.id),
                    p.layer.name()
                ),
                fatal: false,
                at: None,
            });
            continue;
        }
        place(project, p, fields);
        placed += 1;
    }
    if placed == 0
        && let Some((id, kind, layer)) = first_skipped
    {
        return Err(LoadError::new(
            path,
            format!(
                "没有可用的要素：几何是 {kind}，不能作为 {} 图层的要素。",
                layer.name()
            ),
            format!(
                "no feature can be used: a {} cannot be a {kind}.",
                layer.name()
            ),
        )
        .in_feature(format!("id={id}")));
    }
    Ok(())
}

/// Property names read for each field, in order of preference: the documented English
/// key first, then the names common in Chinese GIS data (名称, XZQMC, ...). Shapefile
/// field names are upper case and at most 10 bytes, hence the short forms.
pub(crate) fn aliases(key: &str) -> &'static [&'static str] {
    match key {
        "name" => &[
            "name",
            "NAME",
            "Name",
            "名称",
            "网格名称",
            "MC",
            "XZQMC",
            "WGMC",
            "CJQYMC",
            "ZRCMC",
        ],
        "code" => &[
            "code",
            "CODE",
            "Code",
            "编码",
            "网格编码",
            "DM",
            "XZQDM",
            "WGBM",
            "WGDM",
            "CJQYDM",
        ],
        "level" => &["level", "LEVEL", "级别", "网格级别", "层级", "JB", "WGJB"],
        "parent" => &[
            "parent",
            "PARENT",
            "parent_id",
            "上级",
            "上级网格",
            "上级编码",
            "SJWG",
            "SJBM",
        ],
        "households" => &["households", "HOUSEHOLDS", "HOUSEHOLD", "户数", "HS"],
        "population" => &[
            "population",
            "POPULATION",
            "POPULATIO",
            "人数",
            "人口",
            "人口数",
            "RK",
            "RKS",
        ],
        "staff" => &["staff", "STAFF", "人员"],
        "notes" => &["notes", "NOTES", "备注说明"],
        "four_bounds" => &["four_bounds", "FOUR_BOUND", "四至"],
        _ => &[],
    }
}

/// Remove and return the field `key`: the column the user mapped it to, else the first
/// present property among its aliases.
fn take_value(props: &mut Map<String, Value>, key: &str, fields: &FieldMap) -> Option<Value> {
    if let Some(col) = fields.get(key)
        && let Some(v) = props.remove(col).filter(|v| !v.is_null())
    {
        return Some(v);
    }
    let names = aliases(key);
    if names.is_empty() {
        return props.remove(key);
    }
    names
        .iter()
        .find_map(|k| props.remove(*k).filter(|v| !v.is_null()))
}

fn take_string(props: &mut Map<String, Value>, key: &str, fields: &FieldMap) -> String {
    take_value(props, key, fields)
        .as_ref()
        .and_then(value_to_string)
        .unwrap_or_default()
}

/// A level: 1-4, "2", or "二级".
fn parse_level(v: Option<&Value>) -> Option<u8> {
    if let Some(n) = value_to_u32(v) {
        return Some(n.min(255) as u8);
    }
    let s = v?.as_str()?.trim();
    ["一", "二", "三", "四"]
        .iter()
        .position(|c| s.starts_with(c))
        .map(|i| i as u8 + 1)
}

fn to_multipolygon(g: Option<geo::Geometry<f64>>) -> MultiPolygon<f64> {
    match g {
        Some(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        Some(geo::Geometry::MultiPolygon(mp)) => mp,
        _ => MultiPolygon(vec![]),
    }
}

pub(crate) fn place(project: &mut Project, p: Pending, fields: &FieldMap) {
    let Pending {
        layer,
        id,
        mut props,
        geometry,
    } = p;
    props.remove("id");
    if props.get("ID").and_then(value_to_string).as_deref() == Some(id.as_str()) {
        props.remove("ID");
    }
    match layer {
        Layer::Grid => {
            let code = take_string(&mut props, "code", fields);
            let name = take_string(&mut props, "name", fields);
            let parent = take_value(&mut props, "parent", fields)
                .as_ref()
                .and_then(value_to_string);
            let level = parse_level(take_value(&mut props, "level", fields).as_ref());
            let level = level.unwrap_or(if parent.is_some() { 3 } else { 2 });
            let households = value_to_u32(take_value(&mut props, "households", fields).as_ref());
            let population = value_to_u32(take_value(&mut props, "population", fields).as_ref());
            let staff: Vec<Staff> = match take_value(&mut props, "staff", fields) {
                Some(v @ Value::Array(_)) => serde_json::from_value(v).unwrap_or_default(),
                // A text column (shapefile, GeoPackage from elsewhere): JSON or a roster.
                Some(Value::String(s)) => match serde_json::from_str::<Vec<Staff>>(&s) {
                    Ok(list) => list,
                    Err(_) => Staff::parse_roster(&s),
                },
                Some(other) if !other.is_null() => {
                    // Keep what we cannot interpret rather than lose it.
                    props.insert("staff".into(), other);
                    Vec::new()
                }
                _ => Vec::new(),
            };
            let notes = take_string(&mut props, "notes", fields);
            // Four bounds written by hand are kept; ones gridmap derived and wrote out are
            // derived again from the map.
            if let Some(v) = take_value(&mut props, "four_bounds", fields) {
                props.insert(FOUR_BOUNDS.into(), v);
                drop_derived(&mut props);
            }
            project.grids.push(Grid {
                id,
                code,
                name,
                level,
                parent,
                geometry: to_multipolygon(geometry),
                households,
                population,
                staff,
                notes,
                extra: props,
            });
        }
        Layer::Boundary => {
            let name = take_string(&mut props, "name", fields);
            project.boundary.push(Boundary {
                id,
                name,
                geometry: to_multipolygon(geometry),
                extra: props,
            });
        }
        Layer::Reservoir => {
            let name = take_string(&mut props, "name", fields);
            project.reservoirs.push(Reservoir {
                id,
                name,
                geometry: to_multipolygon(geometry),
                extra: props,
            });
        }
        Layer::River => {
            let name = take_string(&mut props, "name", fields);
            let geometry = match geometry {
                Some(geo::Geometry::LineString(l)) => MultiLineString(vec![l]),
                Some(geo::Geometry::MultiLineString(m)) => m,
                _ => MultiLineString(vec![]),
            };
            project.rivers.push(River {
                id,
                name,
                geometry,
                extra: props,
            });
        }
        Layer::Village => {
            let name = take_string(&mut props, "name", fields);
            let households = value_to_u32(take_value(&mut props, "households", fields).as_ref());
            let population = value_to_u32(take_value(&mut props, "population", fields).as_ref());
            let location = match geometry {
                Some(geo::Geometry::Point(p)) => p,
                _ => Point::new(f64::NAN, f64::NAN),
            };
            project.villages.push(Village {
                id,
                name,
                location,
                households,
                population,
                extra: props,
            });
        }
    }
}

// ---------------------------------------------------------------- writing

/// A feature's geometry as it is held in the project (borrowed).
#[derive(Clone, Copy)]
pub(crate) enum GeomRef<'a> {
    Polygons(&'a MultiPolygon<f64>),
    Lines(&'a MultiLineString<f64>),
    Point(Point<f64>),
}

/// A feature to write: its layer, id, properties in the documented order (without
/// `layer`) and its geometry. Every writer (GeoJSON, GeoPackage, shapefile, CSV) starts
/// from these, so the fields of a layer are defined once.
pub(crate) struct OutFeature<'a> {
    pub layer: Layer,
    pub id: &'a str,
    pub props: Map<String, Value>,
    pub geometry: GeomRef<'a>,
}

fn opt_u32(v: Option<u32>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

fn with_extra(mut props: Map<String, Value>, extra: &crate::model::Extra) -> Map<String, Value> {
    for (k, v) in extra {
        if !props.contains_key(k) {
            props.insert(k.clone(), v.clone());
        }
    }
    props
}

fn named(name: &str, extra: &crate::model::Extra) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("name".into(), name.into());
    with_extra(p, extra)
}

/// The properties of a grid: id, code, name, level, parent, households, population,
/// staff, notes (when set), then the kept extras.
pub(crate) fn grid_properties(g: &Grid) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("id".into(), g.id.clone().into());
    p.insert("code".into(), g.code.clone().into());
    p.insert("name".into(), g.name.clone().into());
    p.insert("level".into(), g.level.into());
    p.insert(
        "parent".into(),
        g.parent.clone().map(Value::from).unwrap_or(Value::Null),
    );
    p.insert("households".into(), opt_u32(g.households));
    p.insert("population".into(), opt_u32(g.population));
    p.insert(
        "staff".into(),
        serde_json::to_value(&g.staff).unwrap_or(Value::Null),
    );
    if !g.notes.is_empty() {
        p.insert("notes".into(), g.notes.clone().into());
    }
    with_extra(p, &g.extra)
}

/// Every feature of the project (or of layer `only`), layer by layer: boundary, grids,
/// rivers, reservoirs, natural villages.
pub(crate) fn out_features(
    project: &Project,
    only: Option<Layer>,
) -> impl Iterator<Item = OutFeature<'_>> {
    let wanted = |l: Layer| only.is_none_or(|o| o == l);
    let part = |l: Layer, n: usize| if wanted(l) { n } else { 0 };
    let boundary = project.boundary[..part(Layer::Boundary, project.boundary.len())]
        .iter()
        .map(|b| OutFeature {
            layer: Layer::Boundary,
            id: &b.id,
            props: named(&b.name, &b.extra),
            geometry: GeomRef::Polygons(&b.geometry),
        });
    // Every grid carries its four bounds, derived or written by hand (`edited`), derived
    // only when the grids are written.
    let bounds = if wanted(Layer::Grid) {
        four_bounds_all(project)
    } else {
        Vec::new()
    };
    let grids = project.grids.iter().zip(bounds).map(|(g, fb)| {
        let mut props = grid_properties(g);
        props.insert(FOUR_BOUNDS.into(), fb.to_value());
        OutFeature {
            layer: Layer::Grid,
            id: &g.id,
            props,
            geometry: GeomRef::Polygons(&g.geometry),
        }
    });
    let rivers = project.rivers[..part(Layer::River, project.rivers.len())]
        .iter()
        .map(|r| OutFeature {
            layer: Layer::River,
            id: &r.id,
            props: named(&r.name, &r.extra),
            geometry: GeomRef::Lines(&r.geometry),
        });
    let reservoirs = project.reservoirs[..part(Layer::Reservoir, project.reservoirs.len())]
        .iter()
        .map(|r| OutFeature {
            layer: Layer::Reservoir,
            id: &r.id,
            props: named(&r.name, &r.extra),
            geometry: GeomRef::Polygons(&r.geometry),
        });
    let villages = project.villages[..part(Layer::Village, project.villages.len())]
        .iter()
        .map(|v| {
            let mut p = Map::new();
            p.insert("name".into(), v.name.clone().into());
            p.insert("households".into(), opt_u32(v.households));
            p.insert("population".into(), opt_u32(v.population));
            OutFeature {
                layer: Layer::Village,
                id: &v.id,
                props: with_extra(p, &v.extra),
                geometry: GeomRef::Point(v.location),
            }
        });
    boundary
        .chain(grids)
        .chain(rivers)
        .chain(reservoirs)
        .chain(villages)
}

/// All layers in writing order.
pub(crate) const LAYERS: [Layer; 5] = [
    Layer::Boundary,
    Layer::Grid,
    Layer::River,
    Layer::Reservoir,
    Layer::Village,
];

/// The id a feature gets: its own id, else the `id`/`ID` property, else (grids) its code,
/// else `layer-n`.
pub(crate) fn feature_id(
    layer: Layer,
    own: Option<&Value>,
    props: &Map<String, Value>,
    fields: &FieldMap,
    n: usize,
) -> String {
    own.and_then(value_to_string)
        .or_else(|| props.get("id").and_then(value_to_string))
        .or_else(|| props.get("ID").and_then(value_to_string))
        .or_else(|| {
            if layer == Layer::Grid {
                fields
                    .code
                    .iter()
                    .map(|c| c.as_str())
                    .chain(aliases("code").iter().copied())
                    .find_map(|k| props.get(k).and_then(value_to_string))
            } else {
                None
            }
        })
        .unwrap_or_else(|| format!("{}-{n}", layer.name()))
}
