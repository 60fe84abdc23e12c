//! GeoJSON in and out. Input: one FeatureCollection with a `layer` property per feature,
//! or one file per layer; longitude/latitude (RFC 7946) or a projected CRS named by the
//! legacy `crs` member. Output: RFC 7946 (WGS 84, right-hand rule, 7 decimals ≈ 1 cm) or,
//! on request, the working CRS with its `crs` member (millimetres).

use super::coords::RawGeometry;
use super::error::LoadError;
use super::reproject::Reprojector;
use crate::geom::ring_signed_area2;
use crate::model::{
    Boundary, Crs, Extra, Grid, InputNote, Project, Reservoir, River, Staff, Village,
    gk_zone_epsg_for_lon,
};
use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use geojson::{Geometry as GjGeometry, GeometryValue, Position};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;

/// How to read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The working CRS to project into; default: the file's projected CRS, or the
    /// CGCS2000 3-degree Gauss-Kruger zone of the data's centre for longitude/latitude.
    pub working_crs: Option<Crs>,
    /// The CRS of files that name none (default: longitude/latitude, RFC 7946).
    pub source_crs: Option<Crs>,
}

/// How to write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Keep the working (projected) CRS and write a `crs` member, instead of RFC 7946.
    pub keep_crs: bool,
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    features: Option<Vec<RawFeature>>,
    #[serde(default)]
    crs: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    // A single Feature at the top level.
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    geometry: Option<RawGeometry>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    geometry: Option<RawGeometry>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Boundary,
    Grid,
    River,
    Reservoir,
    Village,
}

impl Layer {
    fn parse(s: &str) -> Option<Layer> {
        match s.trim().to_ascii_lowercase().as_str() {
            "boundary" | "boundaries" | "边界" | "行政边界" => Some(Layer::Boundary),
            "grid" | "grids" | "网格" => Some(Layer::Grid),
            "river" | "rivers" | "河流" => Some(Layer::River),
            "reservoir" | "reservoirs" | "lake" | "水库" => Some(Layer::Reservoir),
            "village" | "villages" | "自然村" => Some(Layer::Village),
            _ => None,
        }
    }

    /// The layer a file holds when its features do not say: guessed from the file name.
    /// The layer a file holds when its features do not say, from the file name: a word
    /// of the name (split at `-`, `_`, `.`, space) such as `rivers`, or a Chinese ending
    /// such as `河流`. Anything else holds grids ("XX镇河长制网格" is grids, not rivers).
    fn from_file_name(path: &Path) -> Layer {
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

    fn name(self) -> &'static str {
        match self {
            Layer::Boundary => "boundary",
            Layer::Grid => "grid",
            Layer::River => "river",
            Layer::Reservoir => "reservoir",
            Layer::Village => "village",
        }
    }
}

/// Parse the EPSG code out of a legacy `crs` member (`urn:ogc:def:crs:EPSG::4549`,
/// `EPSG:4549`, or CRS84 for longitude/latitude).
fn crs_from_member(v: &Value) -> Option<Crs> {
    let name = v.get("properties")?.get("name")?.as_str()?;
    if name.contains("CRS84") || name.contains("CRS:84") {
        return Some(Crs::epsg(4326));
    }
    let digits: String = name
        .rsplit(':')
        .next()?
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().map(Crs::epsg)
}

fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn value_to_u32(v: Option<&Value>) -> Option<u32> {
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
struct Pending {
    layer: Layer,
    id: String,
    props: Map<String, Value>,
    geometry: Option<geo::Geometry<f64>>,
}

fn geometry_kind(g: &geo::Geometry<f64>) -> &'static str {
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

fn for_each_coord_mut(g: &mut geo::Geometry<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
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

/// Read and merge one or more GeoJSON files into a project.
pub fn read_files(paths: &[&Path], opts: &ReadOptions) -> Result<Project, LoadError> {
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| {
            LoadError::new(
                *path,
                format!("无法读取文件：{e}"),
                format!("cannot read the file: {e}"),
            )
        })?;
        sources.push((path.to_path_buf(), bytes));
    }
    read_sources(&sources, opts)
}

/// Read GeoJSON held in memory (for example the sample built into the binary); `name`
/// stands for the file in messages.
pub fn read_bytes(name: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Project, LoadError> {
    read_sources(&[(name.to_path_buf(), bytes.to_vec())], opts)
}

fn read_sources(
    sources: &[(std::path::PathBuf, Vec<u8>)],
    opts: &ReadOptions,
) -> Result<Project, LoadError> {
    let paths: Vec<&Path> = sources.iter().map(|s| s.0.as_path()).collect();
    let mut pending: Vec<Pending> = Vec::new();
    let mut notes: Vec<InputNote> = Vec::new();
    let mut src_crs: Option<Crs> = None;
    let mut name = String::new();
    for (path, bytes) in sources {
        let path = &path.as_path();
        let (doc_crs, doc_name) = read_one(path, bytes, &mut pending, &mut notes)?;
        if let (Some(a), Some(b)) = (src_crs, doc_crs)
            && a != b
        {
            return Err(LoadError::new(
                *path,
                format!(
                    "坐标系 {} 与前一个文件的 {} 不同。请先统一坐标系。",
                    b.authority(),
                    a.authority()
                ),
                format!(
                    "CRS {} differs from {} of the previous file. Use one CRS for all layers.",
                    b.authority(),
                    a.authority()
                ),
            ));
        }
        src_crs = src_crs.or(doc_crs);
        if name.is_empty() {
            name = doc_name.unwrap_or_default();
        }
    }
    let file0 = paths.first().map(|p| p.to_path_buf()).unwrap_or_default();
    let source = src_crs.or(opts.source_crs).unwrap_or(Crs::epsg(4326));
    // Geographic input: check the range, and recognise projected data that lacks a CRS.
    let mut min_x = f64::INFINITY;
    let mut max_x = f64::NEG_INFINITY;
    let mut bad: Option<(String, Coord<f64>)> = None;
    for p in &mut pending {
        if let Some(g) = &mut p.geometry {
            for_each_coord_mut(g, &mut |c| {
                if c.x.is_finite() {
                    min_x = min_x.min(c.x);
                    max_x = max_x.max(c.x);
                }
                if source.is_geographic()
                    && bad.is_none()
                    && (c.x.abs() > 180.0 || c.y.abs() > 90.0)
                {
                    bad = Some((p.id.clone(), *c));
                }
            });
        }
    }
    if let Some((fid, c)) = bad {
        let hint = if (1.0e7..5.0e7).contains(&c.x) {
            let zone = (c.x / 1.0e6).floor() as u32;
            if (25..=45).contains(&zone) {
                format!(
                    " They look like CGCS2000 3-degree Gauss-Kruger coordinates with zone prefix {zone}: try --src-crs EPSG:{}.",
                    4513 + zone - 25
                )
            } else {
                String::new()
            }
        } else if c.x.abs() < 1.0e6 && c.y.abs() < 1.0e7 {
            " They look like projected metres without zone prefix (CGCS2000 GK: EPSG:4534-4554): name the CRS with --src-crs.".to_string()
        } else {
            String::new()
        };
        return Err(LoadError::new(
            &file0,
            format!(
                "坐标 ({}, {}) 不是经纬度，文件也没有声明坐标系。请用 --src-crs 指定坐标系。",
                c.x, c.y
            ),
            format!(
                "coordinate ({}, {}) is not longitude/latitude and the file names no CRS.{hint}",
                c.x, c.y
            ),
        )
        .in_feature(fid));
    }
    let working = match opts.working_crs {
        Some(c) => c,
        None if !source.is_geographic() => source,
        None => {
            let centre = if min_x.is_finite() {
                (min_x + max_x) / 2.0
            } else {
                111.0
            };
            Crs::epsg(gk_zone_epsg_for_lon(centre))
        }
    };
    if working.is_geographic() {
        return Err(LoadError::new(
            &file0,
            format!(
                "工作坐标系 {} 是地理坐标系；请选择以米为单位的投影坐标系。",
                working.authority()
            ),
            format!(
                "working CRS {} is geographic; choose a projected CRS in metres.",
                working.authority()
            ),
        ));
    }
    let rp = Reprojector::new(source, working)
        .map_err(|e| LoadError::new(&file0, format!("无法转换坐标系：{e}"), e))?;
    // Reproject all coordinates in one batch.
    let mut flat: Vec<Coord<f64>> = Vec::new();
    for p in &mut pending {
        if let Some(g) = &mut p.geometry {
            for_each_coord_mut(g, &mut |c| flat.push(*c));
        }
    }
    rp.apply(&mut flat)
        .map_err(|e| LoadError::new(&file0, format!("坐标转换失败：{e}"), e))?;
    let mut k = 0;
    for p in &mut pending {
        if let Some(g) = &mut p.geometry {
            for_each_coord_mut(g, &mut |c| {
                *c = flat[k];
                k += 1;
            });
        }
    }
    let mut project = Project {
        name,
        crs: working,
        input_notes: notes,
        ..Default::default()
    };
    for p in pending {
        place(&mut project, p);
    }
    Ok(project)
}

fn read_one(
    path: &Path,
    bytes: &[u8],
    pending: &mut Vec<Pending>,
    notes: &mut Vec<InputNote>,
) -> Result<(Option<Crs>, Option<String>), LoadError> {
    let mut clock = std::time::Instant::now();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::new(path, "文件是空的。", "the file is empty."));
    }
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let doc: RawDoc = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => (
                "文件不完整（被截断）",
                "the file ends too early (truncated)",
            ),
            serde_json::error::Category::Syntax => ("不是有效的 JSON", "not valid JSON"),
            _ => ("不是有效的 GeoJSON", "not valid GeoJSON"),
        };
        LoadError::new(
            path,
            format!("{}：第 {} 行第 {} 列：{e}", what.0, e.line(), e.column()),
            format!("{}: line {} column {}: {e}", what.1, e.line(), e.column()),
        )
    })?;
    crate::timing::phase("parse JSON", &mut clock);
    let crs = doc.crs.as_ref().and_then(crs_from_member);
    if doc.crs.is_some() && crs.is_none() {
        return Err(LoadError::new(
            path,
            "无法识别 crs 成员中的坐标系。",
            "the CRS named in the `crs` member is not recognised (expected e.g. urn:ogc:def:crs:EPSG::4549).",
        ));
    }
    let default_layer = Layer::from_file_name(path);
    let features: Vec<RawFeature> = match doc.kind.as_str() {
        "FeatureCollection" => doc.features.unwrap_or_default(),
        "Feature" => vec![RawFeature {
            id: doc.id,
            geometry: doc.geometry,
            properties: doc.properties,
        }],
        other => {
            return Err(LoadError::new(
                path,
                format!("顶层类型是「{other}」，应为 FeatureCollection 或 Feature。"),
                format!(
                    "the top-level type is \"{other}\"; expected FeatureCollection or Feature."
                ),
            ));
        }
    };
    let base = pending.len();
    for (n, f) in features.into_iter().enumerate() {
        let mut props = f.properties.unwrap_or_default();
        let layer = match props.remove("layer") {
            Some(Value::String(s)) => Layer::parse(&s).ok_or_else(|| {
                LoadError::new(
                    path,
                    format!("未知图层「{s}」（应为 boundary、grid、river、reservoir 或 village）。"),
                    format!("unknown layer \"{s}\" (expected boundary, grid, river, reservoir or village)."),
                )
                .in_feature(format!("#{}", n + 1))
            })?,
            _ => default_layer,
        };
        let id =
            f.id.as_ref()
                .and_then(value_to_string)
                .or_else(|| props.get("id").and_then(value_to_string))
                .or_else(|| {
                    if layer == Layer::Grid {
                        aliases("code")
                            .iter()
                            .find_map(|k| props.get(*k).and_then(value_to_string))
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| format!("{}-{}", layer.name(), base + n + 1));
        let feature_name = format!("#{} id={id}", n + 1);
        let mut unclosed = false;
        let geometry = match &f.geometry {
            None => None,
            Some(g) => Some(g.to_geo(&mut unclosed).map_err(|t| {
                LoadError::new(
                    path,
                    format!("几何无法读取：{t}。"),
                    format!("cannot read the geometry: {t}."),
                )
                .in_feature(feature_name.clone())
            })?),
        };
        if let Some(g) = &geometry {
            let kind = geometry_kind(g);
            let ok = match layer {
                Layer::Boundary | Layer::Grid | Layer::Reservoir => {
                    matches!(kind, "Polygon" | "MultiPolygon")
                }
                Layer::River => matches!(kind, "LineString" | "MultiLineString"),
                Layer::Village => kind == "Point",
            };
            if !ok {
                let want = match layer {
                    Layer::Boundary | Layer::Grid | Layer::Reservoir => "Polygon/MultiPolygon",
                    Layer::River => "LineString/MultiLineString",
                    Layer::Village => "Point",
                };
                return Err(LoadError::new(
                    path,
                    format!(
                        "图层 {} 的要素几何类型是 {kind}，应为 {want}。",
                        layer.name()
                    ),
                    format!(
                        "a {} feature has geometry type {kind}; expected {want}.",
                        layer.name()
                    ),
                )
                .in_feature(feature_name));
            }
        }
        if unclosed {
            notes.push(InputNote {
                feature_id: id.clone(),
                layer: layer.name(),
                zh: format!("{}：要素 {feature_name} 的环没有闭合，已自动闭合。", path.display()),
                en: format!("{}: feature {feature_name} has a ring that is not closed; it was closed automatically.", path.display()),
                fatal: false,
            });
        }
        pending.push(Pending {
            layer,
            id,
            props,
            geometry,
        });
    }
    crate::timing::phase("features", &mut clock);
    Ok((crs, doc.name))
}

fn take_string(props: &mut Map<String, Value>, key: &str) -> String {
    take_value(props, key)
        .as_ref()
        .and_then(value_to_string)
        .unwrap_or_default()
}

/// Property names read for each field, in order of preference: the documented English
/// key first, then the names common in Chinese GIS data (名称, XZQMC, ...).
fn aliases(key: &str) -> &'static [&'static str] {
    match key {
        "name" => &["name", "NAME", "Name", "名称", "网格名称", "MC", "XZQMC"],
        "code" => &["code", "CODE", "Code", "编码", "网格编码", "DM", "XZQDM"],
        "level" => &["level", "LEVEL", "级别", "网格级别", "层级"],
        "parent" => &[
            "parent",
            "PARENT",
            "parent_id",
            "上级",
            "上级网格",
            "上级编码",
        ],
        "households" => &["households", "HOUSEHOLDS", "户数"],
        "population" => &["population", "POPULATION", "人数", "人口"],
        "staff" => &["staff", "人员"],
        "notes" => &["notes", "备注说明"],
        _ => &[],
    }
}

/// Remove and return the first present property among `key`'s aliases.
fn take_value(props: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let names = aliases(key);
    if names.is_empty() {
        return props.remove(key);
    }
    names
        .iter()
        .find_map(|k| props.remove(*k).filter(|v| !v.is_null()))
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

fn place(project: &mut Project, p: Pending) {
    let Pending {
        layer,
        id,
        mut props,
        geometry,
    } = p;
    props.remove("id");
    match layer {
        Layer::Grid => {
            let code = take_string(&mut props, "code");
            let name = take_string(&mut props, "name");
            let parent = take_value(&mut props, "parent")
                .as_ref()
                .and_then(value_to_string);
            let level = parse_level(take_value(&mut props, "level").as_ref());
            let level = level.unwrap_or(if parent.is_some() { 3 } else { 2 });
            let households = value_to_u32(take_value(&mut props, "households").as_ref());
            let population = value_to_u32(take_value(&mut props, "population").as_ref());
            let staff: Vec<Staff> = match take_value(&mut props, "staff") {
                Some(v @ Value::Array(_)) => serde_json::from_value(v).unwrap_or_default(),
                Some(other) if !other.is_null() => {
                    // Keep what we cannot interpret rather than lose it.
                    props.insert("staff".into(), other);
                    Vec::new()
                }
                _ => Vec::new(),
            };
            let notes = take_string(&mut props, "notes");
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
            let name = take_string(&mut props, "name");
            project.boundary.push(Boundary {
                id,
                name,
                geometry: to_multipolygon(geometry),
                extra: props,
            });
        }
        Layer::Reservoir => {
            let name = take_string(&mut props, "name");
            project.reservoirs.push(Reservoir {
                id,
                name,
                geometry: to_multipolygon(geometry),
                extra: props,
            });
        }
        Layer::River => {
            let name = take_string(&mut props, "name");
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
            let name = take_string(&mut props, "name");
            let households = value_to_u32(take_value(&mut props, "households").as_ref());
            let population = value_to_u32(take_value(&mut props, "population").as_ref());
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

struct Out<'a> {
    rp: Option<&'a Reprojector>,
    scale: f64,
}

/// Geometry output goes through the `geojson` crate's types, so what is written is
/// GeoJSON by construction.
impl Out<'_> {
    fn c(&self, c: Coord<f64>) -> Coord<f64> {
        match self.rp {
            Some(r) => r.point(c),
            None => c,
        }
    }
    fn round(&self, v: f64) -> f64 {
        (v * self.scale).round() / self.scale
    }
    fn pos(&self, c: Coord<f64>) -> Position {
        Position::from([self.round(c.x), self.round(c.y)])
    }
    /// Transformed, rounded, without vertices that round to the same position.
    fn line(&self, ls: &LineString<f64>) -> Vec<Position> {
        // One PROJ call per line rather than one per vertex.
        let mut coords = ls.0.clone();
        if let Some(r) = self.rp {
            let _ = r.apply(&mut coords);
        }
        let mut out: Vec<Position> = Vec::with_capacity(coords.len());
        for c in coords {
            let p = self.pos(c);
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
        out
    }
    fn ring(&self, ls: &LineString<f64>, ccw: bool) -> Vec<Position> {
        let mut pts = ls.0.clone();
        if (ring_signed_area2(&pts) > 0.0) != ccw {
            pts.reverse();
        }
        self.line(&LineString(pts))
    }
    fn polygon(&self, p: &Polygon<f64>) -> Vec<Vec<Position>> {
        let mut rings = vec![self.ring(p.exterior(), true)];
        rings.extend(p.interiors().iter().map(|h| self.ring(h, false)));
        rings
    }
    fn value(v: Option<GeometryValue>) -> Value {
        v.map(|v| serde_json::to_value(GjGeometry::new(v)).unwrap_or(Value::Null))
            .unwrap_or(Value::Null)
    }
    fn multipolygon(&self, mp: &MultiPolygon<f64>) -> Value {
        Self::value(match mp.0.len() {
            0 => None,
            1 => Some(GeometryValue::Polygon {
                coordinates: self.polygon(&mp.0[0]),
            }),
            _ => Some(GeometryValue::MultiPolygon {
                coordinates: mp.0.iter().map(|p| self.polygon(p)).collect(),
            }),
        })
    }
    fn multiline(&self, ml: &MultiLineString<f64>) -> Value {
        Self::value(match ml.0.len() {
            0 => None,
            1 => Some(GeometryValue::LineString {
                coordinates: self.line(&ml.0[0]),
            }),
            _ => Some(GeometryValue::MultiLineString {
                coordinates: ml.0.iter().map(|l| self.line(l)).collect(),
            }),
        })
    }
    fn geometry(&self, g: &geo::Geometry<f64>) -> Value {
        match g {
            geo::Geometry::Point(p) => Self::value(Some(GeometryValue::Point {
                coordinates: self.pos(self.c(p.0)),
            })),
            geo::Geometry::LineString(l) => self.multiline(&MultiLineString(vec![l.clone()])),
            geo::Geometry::MultiLineString(m) => self.multiline(m),
            geo::Geometry::Polygon(p) => self.multipolygon(&MultiPolygon(vec![p.clone()])),
            geo::Geometry::MultiPolygon(m) => self.multipolygon(m),
            geo::Geometry::Line(l) => {
                self.multiline(&MultiLineString(vec![LineString(vec![l.start, l.end])]))
            }
            _ => Value::Null,
        }
    }
}

fn feature(id: &str, props: Map<String, Value>, geometry: Value) -> Value {
    let mut f = Map::new();
    f.insert("type".into(), "Feature".into());
    f.insert("id".into(), id.into());
    f.insert("properties".into(), Value::Object(props));
    f.insert("geometry".into(), geometry);
    Value::Object(f)
}

/// Properties of a named feature of `layer`: layer, name, then the kept extras.
fn named(layer: &str, name: &str, extra: &Extra) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("layer".into(), layer.into());
    p.insert("name".into(), name.into());
    with_extra(p, extra)
}

fn with_extra(mut props: Map<String, Value>, extra: &Extra) -> Map<String, Value> {
    for (k, v) in extra {
        if !props.contains_key(k) {
            props.insert(k.clone(), v.clone());
        }
    }
    props
}

/// Converts working-CRS geometry for output: to WGS 84 unless the CRS is kept.
pub struct GeometryWriter {
    rp: Option<Reprojector>,
    scale: f64,
    crs: Option<Crs>,
}

impl GeometryWriter {
    pub fn new(project_crs: Crs, opts: &WriteOptions) -> Result<Self, String> {
        if opts.keep_crs {
            Ok(GeometryWriter {
                rp: None,
                scale: 1e3,
                crs: Some(project_crs),
            })
        } else {
            Ok(GeometryWriter {
                rp: Some(Reprojector::new(project_crs, Crs::epsg(4326))?),
                scale: 1e7,
                crs: None,
            })
        }
    }

    fn out(&self) -> Out<'_> {
        Out {
            rp: self.rp.as_ref(),
            scale: self.scale,
        }
    }

    /// A geometry as a GeoJSON geometry object.
    pub fn geometry(&self, g: &geo::Geometry<f64>) -> Value {
        self.out().geometry(g)
    }

    /// The `crs` member to write, when the CRS is kept.
    pub fn crs_member(&self) -> Option<Value> {
        self.crs
            .map(|c| json!({"type": "name", "properties": {"name": c.urn()}}))
    }
}

/// The project as one GeoJSON FeatureCollection; byte-identical for the same project.
pub fn to_geojson(project: &Project, opts: &WriteOptions) -> Result<Vec<u8>, String> {
    let w = GeometryWriter::new(project.crs, opts)?;
    let o = w.out();
    // Features are serialised as they are made: a large project never exists twice in
    // memory as a JSON tree.
    let mut features = FeatureSink::default();
    for b in &project.boundary {
        features.push(feature(
            &b.id,
            named("boundary", &b.name, &b.extra),
            o.multipolygon(&b.geometry),
        ));
    }
    for g in &project.grids {
        let mut p = Map::new();
        p.insert("layer".into(), "grid".into());
        p.insert("id".into(), g.id.clone().into());
        p.insert("code".into(), g.code.clone().into());
        p.insert("name".into(), g.name.clone().into());
        p.insert("level".into(), g.level.into());
        p.insert(
            "parent".into(),
            g.parent.clone().map(Value::from).unwrap_or(Value::Null),
        );
        p.insert(
            "households".into(),
            g.households.map(Value::from).unwrap_or(Value::Null),
        );
        p.insert(
            "population".into(),
            g.population.map(Value::from).unwrap_or(Value::Null),
        );
        p.insert(
            "staff".into(),
            serde_json::to_value(&g.staff).unwrap_or(Value::Null),
        );
        if !g.notes.is_empty() {
            p.insert("notes".into(), g.notes.clone().into());
        }
        features.push(feature(
            &g.id,
            with_extra(p, &g.extra),
            o.multipolygon(&g.geometry),
        ));
    }
    for r in &project.rivers {
        features.push(feature(
            &r.id,
            named("river", &r.name, &r.extra),
            o.multiline(&r.geometry),
        ));
    }
    for r in &project.reservoirs {
        features.push(feature(
            &r.id,
            named("reservoir", &r.name, &r.extra),
            o.multipolygon(&r.geometry),
        ));
    }
    for v in &project.villages {
        let mut p = Map::new();
        p.insert("layer".into(), "village".into());
        p.insert("name".into(), v.name.clone().into());
        p.insert(
            "households".into(),
            v.households.map(Value::from).unwrap_or(Value::Null),
        );
        p.insert(
            "population".into(),
            v.population.map(Value::from).unwrap_or(Value::Null),
        );
        features.push(feature(
            &v.id,
            with_extra(p, &v.extra),
            o.geometry(&geo::Geometry::Point(v.location)),
        ));
    }
    let mut doc = Map::new();
    doc.insert("type".into(), "FeatureCollection".into());
    if !project.name.is_empty() {
        doc.insert("name".into(), project.name.clone().into());
    }
    if let Some(c) = w.crs_member() {
        doc.insert("crs".into(), c);
    }
    if let Some(e) = features.error {
        return Err(e);
    }
    let mut out = Vec::with_capacity(features.buf.len() + 1024);
    write_collection(&mut out, &doc, &features.buf).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Features serialised one per line as they come.
#[derive(Default)]
struct FeatureSink {
    buf: Vec<u8>,
    n: usize,
    error: Option<String>,
}

impl FeatureSink {
    fn push(&mut self, f: Value) {
        self.buf
            .extend_from_slice(if self.n == 0 { b"\n" } else { b",\n" });
        if let Err(e) = serde_json::to_writer(&mut self.buf, &f) {
            self.error.get_or_insert(e.to_string());
        }
        self.n += 1;
    }
}

/// The members of `doc`, then the features, one per line: readable diffs and still valid
/// JSON.
fn write_collection(
    out: &mut Vec<u8>,
    doc: &Map<String, Value>,
    features: &[u8],
) -> serde_json::Result<()> {
    out.push(b'{');
    for (k, v) in doc {
        out.extend_from_slice(b"\n");
        serde_json::to_writer(&mut *out, k)?;
        out.push(b':');
        serde_json::to_writer(&mut *out, v)?;
        out.push(b',');
    }
    out.extend_from_slice(b"\n\"features\":[");
    out.extend_from_slice(features);
    out.extend_from_slice(b"\n]\n}\n");
    Ok(())
}
