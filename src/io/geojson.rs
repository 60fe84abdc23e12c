//! GeoJSON in and out. Input: one FeatureCollection with a `layer` property per feature,
//! or one file per layer; longitude/latitude (RFC 7946) or a projected CRS named by the
//! legacy `crs` member. Output: RFC 7946 (WGS 84, right-hand rule, 9 decimals ≈ 0.1 mm) or,
//! on request, the working CRS with its `crs` member (millimetres).

pub use super::ReadOptions;
use super::SourceCrs;
use super::coords::RawGeometry;
use super::error::{ExportError, LoadError};
use super::features::{
    Batch, GeomRef, LAYERS, Layer, Pending, SETTINGS_KEY, assemble, feature_id, for_each_coord_mut,
    out_features,
};
use super::reproject::Reprojector;
use crate::geom::ring_signed_area2;
use crate::model::{Crs, InputNote, Project};
use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};
use geojson::{Geometry as GjGeometry, GeometryValue, Position};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;

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
    /// The project settings of a file gridmap wrote (a foreign member, RFC 7946 §6.1).
    #[serde(default, rename = "gridmap_settings")]
    settings: Option<Map<String, Value>>,
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

/// Read GeoJSON held in memory (for example the sample built into the binary); `name`
/// stands for the file in messages.
pub fn read_bytes(name: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Project, LoadError> {
    let mut notes = Vec::new();
    let batch = read_batch(name, bytes, &mut notes, 0)?;
    assemble(vec![batch], notes, opts)
}

/// One GeoJSON file's features, not yet reprojected; generated ids are numbered from
/// `base + 1` (the features of the files read before).
pub(crate) fn read_batch(
    path: &Path,
    bytes: &[u8],
    notes: &mut Vec<InputNote>,
    base: usize,
) -> Result<Batch, LoadError> {
    let mut pending = Vec::new();
    let (crs, name, settings) = read_one(path, bytes, &mut pending, notes, base)?;
    Ok(Batch {
        path: path.to_path_buf(),
        crs: crs.map(SourceCrs::Epsg),
        crs_required: false,
        name,
        pending,
        settings,
    })
}

/// What a file says of itself besides its features: CRS, name and project settings.
type FileHead = (Option<Crs>, Option<String>, Option<Map<String, Value>>);

fn read_one(
    path: &Path,
    bytes: &[u8],
    pending: &mut Vec<Pending>,
    notes: &mut Vec<InputNote>,
    base: usize,
) -> Result<FileHead, LoadError> {
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
        let id = feature_id(
            layer,
            f.id.as_ref(),
            &props,
            &Default::default(),
            base + n + 1,
        );
        let feature_name = format!("#{} id={id}", n + 1);
        let mut unclosed = false;
        let geometry = match &f.geometry {
            None => None,
            Some(g) => Some(g.to_geo(&mut unclosed).map_err(|e| {
                let (zh, en) = crate::error::report_lines(&e);
                LoadError::new(
                    path,
                    format!("几何无法读取：{zh}。"),
                    format!("cannot read the geometry: {en}."),
                )
                .in_feature(feature_name.clone())
            })?),
        };
        if unclosed {
            notes.push(InputNote {
                feature_id: id.clone(),
                layer: layer.name(),
                zh: format!("{}：要素 {feature_name} 的环没有闭合，已自动闭合。", path.display()),
                en: format!("{}: feature {feature_name} has a ring that is not closed; it was closed automatically.", path.display()),
                fatal: false,
                at: None,
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
    Ok((crs, doc.name, doc.settings))
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
            r.apply(&mut coords);
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

/// Decimals of longitude/latitude written: 1e-9 degree is 0.11 mm, so a vertex on the
/// working CRS's 1 mm grid ([`crate::model::Precision`]) reads back onto the same grid point
/// (it moves at most 0.06 mm per axis, less than half a cell). RFC 7946 leaves the number
/// of decimals to the writer; 7 (1 cm) moved T-junctions off their edges.
const LON_LAT_SCALE: f64 = 1e9;

/// Converts working-CRS geometry for output: to WGS 84 unless the CRS is kept.
pub struct GeometryWriter {
    rp: Option<Reprojector>,
    scale: f64,
    crs: Option<Crs>,
}

impl GeometryWriter {
    pub fn new(project_crs: Crs, opts: &WriteOptions) -> Result<Self, super::CrsError> {
        if opts.keep_crs {
            Ok(GeometryWriter {
                rp: None,
                scale: 1e3,
                crs: Some(project_crs),
            })
        } else {
            Ok(GeometryWriter {
                rp: Some(Reprojector::new(project_crs, Crs::epsg(4326))?),
                scale: LON_LAT_SCALE,
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

    /// Many geometries taken to the output CRS in one PROJ call (a call for each costs
    /// more than the conversion), ready to be written as GeoJSON on any thread.
    pub fn convert_all<'g>(
        &self,
        gs: impl Iterator<Item = Option<&'g geo::Geometry<f64>>>,
    ) -> Converted {
        let mut gs: Vec<Option<geo::Geometry<f64>>> = gs.map(|g| g.cloned()).collect();
        if let Some(rp) = &self.rp {
            let mut flat: Vec<Coord<f64>> = Vec::new();
            for g in gs.iter_mut().flatten() {
                for_each_coord_mut(g, &mut |c| flat.push(*c));
            }
            rp.apply(&mut flat);
            let mut flat = flat.into_iter();
            for g in gs.iter_mut().flatten() {
                for_each_coord_mut(g, &mut |c| {
                    if let Some(t) = flat.next() {
                        *c = t;
                    }
                });
            }
        }
        Converted {
            gs,
            scale: self.scale,
        }
    }

    /// The `crs` member to write, when the CRS is kept.
    pub fn crs_member(&self) -> Option<Value> {
        self.crs
            .map(|c| json!({"type": "name", "properties": {"name": c.urn()}}))
    }
}

/// Geometries already in the output CRS ([`GeometryWriter::convert_all`]).
pub struct Converted {
    gs: Vec<Option<geo::Geometry<f64>>>,
    scale: f64,
}

impl Converted {
    /// The `k`th geometry as a GeoJSON geometry object (null for none).
    pub fn geometry(&self, k: usize) -> Value {
        match self.gs.get(k) {
            Some(Some(g)) => Out {
                rp: None,
                scale: self.scale,
            }
            .geometry(g),
            _ => Value::Null,
        }
    }
}

/// The project as one GeoJSON FeatureCollection; byte-identical for the same project.
pub fn to_geojson(project: &Project, opts: &WriteOptions) -> Result<Vec<u8>, ExportError> {
    collection(project, opts, None)
}

/// One FeatureCollection per layer that has features, as (layer name, bytes), for
/// software that wants one layer per file.
pub fn to_geojson_layers(
    project: &Project,
    opts: &WriteOptions,
) -> Result<Vec<(&'static str, Vec<u8>)>, ExportError> {
    let mut out = Vec::new();
    for layer in LAYERS {
        let present = match layer {
            Layer::Boundary => !project.boundary.is_empty(),
            Layer::Grid => !project.grids.is_empty(),
            Layer::River => !project.rivers.is_empty(),
            Layer::Reservoir => !project.reservoirs.is_empty(),
            Layer::Village => !project.villages.is_empty(),
        };
        if present {
            out.push((layer.name(), collection(project, opts, Some(layer))?));
        }
    }
    Ok(out)
}

fn collection(
    project: &Project,
    opts: &WriteOptions,
    only: Option<Layer>,
) -> Result<Vec<u8>, ExportError> {
    let w = GeometryWriter::new(project.crs, opts)?;
    let o = w.out();
    // Features are serialised as they are made: a large project never exists twice in
    // memory as a JSON tree.
    let mut features = FeatureSink::default();
    for f in out_features(project, only) {
        let mut props = Map::with_capacity(f.props.len() + 1);
        props.insert("layer".into(), f.layer.name().into());
        props.extend(f.props);
        let geometry = match f.geometry {
            GeomRef::Polygons(mp) => o.multipolygon(mp),
            GeomRef::Lines(ml) => o.multiline(ml),
            GeomRef::Point(p) => o.geometry(&geo::Geometry::Point(p)),
        };
        features.push(feature(f.id, props, geometry));
    }
    let mut doc = Map::new();
    doc.insert("type".into(), "FeatureCollection".into());
    if !project.name.is_empty() {
        doc.insert("name".into(), project.name.clone().into());
    }
    if let Some(c) = w.crs_member() {
        doc.insert("crs".into(), c);
    }
    if !project.settings.is_empty() {
        doc.insert(SETTINGS_KEY.into(), Value::Object(project.settings.clone()));
    }
    if let Some(e) = features.error {
        return Err(e.into());
    }
    let mut out = Vec::with_capacity(features.buf.len() + 1024);
    write_collection(&mut out, &doc, &features.buf)?;
    Ok(out)
}

/// Features serialised one per line as they come.
#[derive(Default)]
struct FeatureSink {
    buf: Vec<u8>,
    n: usize,
    error: Option<serde_json::Error>,
}

impl FeatureSink {
    fn push(&mut self, f: Value) {
        self.buf
            .extend_from_slice(if self.n == 0 { b"\n" } else { b",\n" });
        if let Err(e) = serde_json::to_writer(&mut self.buf, &f) {
            self.error.get_or_insert(e);
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
