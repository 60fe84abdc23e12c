//! Shapefiles: one layer per `.shp` with its `.dbf` attributes, `.prj` CRS and `.cpg`
//! text encoding.
//!
//! Reading: polygons (also Z/M) become grids, boundary or reservoirs (by file name),
//! polylines rivers, points natural villages. Rings may have any orientation: shells and
//! holes are told apart by containment. The attribute encoding is the user's choice, else
//! the `.cpg`, else the DBF language-driver byte, else detected (valid UTF-8, otherwise
//! GB18030, a superset of GBK and GB2312).
//!
//! Writing: one shapefile per layer (`<stem>_grids.shp`, `_rivers`, `_reservoirs`,
//! `_villages`, `_boundary`) in the working CRS with an ESRI `.prj`, a `.cpg` and these
//! DBF fields (names within DBF's 10 bytes):
//!
//! | field | grids | meaning |
//! |---|---|---|
//! | `ID` | all layers | feature id |
//! | `CODE`, `NAME`, `LEVEL`, `PARENT` | grids | 编码, 名称, 级别, 上级网格 id |
//! | `HOUSEHOLDS`, `POPULATION` | grids, villages | 户数, 人口 |
//! | `HEAD`, `HEAD_TEL` | grids | 网格长 name and phone (summary, not read back) |
//! | `WORKERS`, `WORKER_TEL` | grids | 网格员 names and phones joined by `、` (summary) |
//! | `CHIEF`, `CHIEF_TEL` | grids | 河长 name and phone (summary) |
//! | `STAFF` | grids | whole roster, `role:name:phone;...` (read back) |
//! | `NOTES` | grids | 备注 |
//!
//! Other properties follow with their own names cut to 10 bytes (made unique with a digit).
//! Text fields hold at most 254 bytes; longer text is cut at a character boundary.

use super::features::{
    Batch, GeomRef, LAYERS, Layer, OutFeature, Pending, feature_id, out_features,
};
use super::{LoadError, ReadOptions, SourceCrs, crsdef};
use crate::model::{InputNote, Project, Staff};
use encoding_rs::Encoding;
use geo::{Contains, Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::{Map, Value};
use shapefile::dbase::{self, FieldName, FieldValue};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Summary fields written for people reading the table; the roster is read from `STAFF`.
const SUMMARY_FIELDS: [&str; 6] = [
    "HEAD",
    "HEAD_TEL",
    "WORKERS",
    "WORKER_TEL",
    "CHIEF",
    "CHIEF_TEL",
];

/// A file next to `shp` with extension `ext`, in either letter case.
fn sibling(shp: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| shp.with_extension(e))
        .find(|p| p.is_file())
}

/// The encoding named by a `.cpg` file or a code page, as the spellings found in the
/// wild: `UTF-8`, `65001`, `GBK`, `936`, `CP936`, `ANSI 936`, `GB2312`, `GB18030`, ...
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().trim_start_matches('\u{feff}').trim();
    let up = l.to_ascii_uppercase();
    let digits = up
        .trim_start_matches("ANSI")
        .trim_start_matches("CP")
        .trim_start_matches("OEM")
        .trim();
    match digits {
        "65001" => return Some(encoding_rs::UTF_8),
        "936" | "20936" => return Some(encoding_rs::GBK),
        "54936" => return Some(encoding_rs::GB18030),
        "950" => return Some(encoding_rs::BIG5),
        "1252" => return Some(encoding_rs::WINDOWS_1252),
        _ => {}
    }
    // Everything GB2312 or GBK can hold, GB18030 reads the same; encoding_rs maps the
    // GB2312 and GBK labels to GBK.
    Encoding::for_label(l.as_bytes())
}

/// The encoding of a DBF language-driver byte, where it names one.
fn encoding_for_ldid(ldid: u8) -> Option<&'static Encoding> {
    match ldid {
        0x4D | 0x7A => Some(encoding_rs::GBK),
        0x78 | 0x4F => Some(encoding_rs::BIG5),
        0x57 | 0x03 => Some(encoding_rs::WINDOWS_1252),
        _ => None,
    }
}

/// Decide the encoding of a DBF: the user's choice, the `.cpg`, the language driver byte
/// (offset 29), else UTF-8 when the records are valid UTF-8 and GB18030 otherwise.
pub fn dbf_encoding(shp: &Path, dbf: &[u8], user: Option<&'static Encoding>) -> &'static Encoding {
    if let Some(e) = user {
        return e;
    }
    if let Some(e) = sibling(shp, "cpg")
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| encoding_for_label(&String::from_utf8_lossy(&b)))
    {
        return e;
    }
    if let Some(e) = dbf.get(29).copied().and_then(encoding_for_ldid) {
        return e;
    }
    let header_len = dbf
        .get(8..10)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
        .unwrap_or(0);
    let records = dbf.get(header_len.min(dbf.len())..).unwrap_or(&[]);
    let records = records.strip_suffix(&[0x1A]).unwrap_or(records);
    if std::str::from_utf8(records).is_ok() {
        encoding_rs::UTF_8
    } else {
        encoding_rs::GB18030
    }
}

/// The CRS of a shapefile from its `.prj`: None without one, an error when PROJ cannot
/// read it.
pub fn prj_crs(shp: &Path) -> Result<Option<SourceCrs>, LoadError> {
    let Some(prj) = sibling(shp, "prj") else {
        return Ok(None);
    };
    let bytes = super::read_file(&prj)?;
    let text = String::from_utf8_lossy(&bytes);
    crsdef::crs_from_wkt(&text).map(Some).map_err(|e| {
        let (zh, en) = crate::error::report_lines(&e);
        LoadError::new(
            &prj,
            format!("无法识别 .prj 中的坐标系（{zh}）。请用 --src-crs 指定坐标系。"),
            format!("the CRS in the .prj is not recognised ({en}); name it with --src-crs."),
        )
    })
}

fn err(path: &Path, zh: impl Into<String>, en: impl Into<String>) -> LoadError {
    LoadError::new(path, zh, en)
}

/// DBF header facts, checked against the file size before the reader trusts them.
fn check_dbf(path: &Path, dbf: &[u8]) -> Result<usize, LoadError> {
    if dbf.len() < 32 {
        return Err(err(
            path,
            "属性表 .dbf 文件不完整（少于 32 字节）。",
            "the .dbf is too short to be a dBASE table (under 32 bytes).",
        ));
    }
    let n = u32::from_le_bytes([dbf[4], dbf[5], dbf[6], dbf[7]]) as usize;
    let header_len = u16::from_le_bytes([dbf[8], dbf[9]]) as usize;
    let record_len = u16::from_le_bytes([dbf[10], dbf[11]]) as usize;
    if header_len < 33 || record_len == 0 {
        return Err(err(
            path,
            "属性表 .dbf 的文件头无效。",
            "the .dbf header is not valid.",
        ));
    }
    let fit = dbf.len().saturating_sub(header_len) / record_len;
    if fit < n {
        return Err(err(
            path,
            format!(
                "属性表 .dbf 声明有 {n} 条记录，但文件只容纳 {fit} 条（文件被截断或记录数错误）。"
            ),
            format!(
                "the .dbf header declares {n} records but the file holds only {fit} (truncated, or a wrong record count)."
            ),
        ));
    }
    Ok(n)
}

fn field_value(v: FieldValue) -> Value {
    match v {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => {
            let t = s.trim_end_matches(['\0', ' ']).trim_start();
            if t.is_empty() {
                Value::Null
            } else {
                Value::String(t.to_string())
            }
        }
        FieldValue::Character(None) => Value::Null,
        FieldValue::Numeric(Some(f)) => number(f),
        FieldValue::Float(Some(f)) => number(f as f64),
        FieldValue::Numeric(None) | FieldValue::Float(None) => Value::Null,
        FieldValue::Integer(i) => Value::from(i),
        FieldValue::Double(f) | FieldValue::Currency(f) => number(f),
        FieldValue::Logical(b) => b.map(Value::Bool).unwrap_or(Value::Null),
        FieldValue::Date(d) => d
            .map(|d| Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())))
            .unwrap_or(Value::Null),
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
    }
}

/// Whole numbers as integers, so that codes and counts read back as written.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Shells and holes from rings of any orientation: a ring inside an odd number of
/// others is a hole of the smallest ring around it. Rings with fewer than 3 distinct
/// points are dropped (reported by the caller).
pub fn nest_rings(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let mut rings: Vec<(f64, LineString<f64>)> = rings
        .into_iter()
        .map(|r| (crate::geom::ring_signed_area2(&r.0).abs(), r))
        .collect();
    // Largest first: a ring's container comes before it.
    rings.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut polys: Vec<Polygon<f64>> = Vec::new();
    for (_, ring) in rings {
        let probe = ring.0[0];
        let probe = Point(probe);
        // The smallest enclosing ring so far decides.
        let mut container: Option<(usize, bool)> = None; // (polygon, inside a hole)
        for (i, p) in polys.iter().enumerate().rev() {
            if Polygon::new(p.exterior().clone(), vec![]).contains(&probe) {
                let in_hole = p
                    .interiors()
                    .iter()
                    .any(|h| Polygon::new(h.clone(), vec![]).contains(&probe));
                container = Some((i, in_hole));
                break;
            }
        }
        match container {
            Some((i, false)) => polys[i].interiors_push(ring),
            // Outside every ring, or inside a hole (an island): a new shell.
            _ => polys.push(Polygon::new(ring, vec![])),
        }
    }
    MultiPolygon(polys)
}

fn xy<P: shapefile::record::traits::HasXY>(p: &P) -> Coord<f64> {
    Coord { x: p.x(), y: p.y() }
}

/// A shape as geometry, with a note on anything dropped. None for a null shape.
fn shape_geometry(
    shape: &shapefile::Shape,
    dropped: &mut Vec<String>,
) -> Option<geo::Geometry<f64>> {
    use shapefile::Shape as S;
    fn rings<P: shapefile::record::traits::HasXY>(
        rs: &[shapefile::PolygonRing<P>],
        dropped: &mut Vec<String>,
    ) -> Vec<LineString<f64>> {
        let mut out = Vec::new();
        for (i, r) in rs.iter().enumerate() {
            let mut pts: Vec<Coord<f64>> = r.points().iter().map(xy).collect();
            pts.dedup();
            if pts.len() >= 3 && pts.first() != pts.last() {
                pts.push(pts[0]);
            }
            if pts.len() < 4 {
                dropped.push(format!("ring {} has fewer than 3 distinct points", i + 1));
                continue;
            }
            out.push(LineString(pts));
        }
        out
    }
    fn parts<P: shapefile::record::traits::HasXY>(
        ps: &[Vec<P>],
        dropped: &mut Vec<String>,
    ) -> MultiLineString<f64> {
        let mut out = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            let mut pts: Vec<Coord<f64>> = p.iter().map(xy).collect();
            pts.dedup();
            if pts.len() < 2 {
                dropped.push(format!("part {} has fewer than 2 points", i + 1));
                continue;
            }
            out.push(LineString(pts));
        }
        MultiLineString(out)
    }
    let g = match shape {
        S::NullShape => return None,
        S::Point(p) => geo::Geometry::Point(Point(xy(p))),
        S::PointM(p) => geo::Geometry::Point(Point(xy(p))),
        S::PointZ(p) => geo::Geometry::Point(Point(xy(p))),
        S::Multipoint(m) => geo::Geometry::Point(Point(xy(m.points().first()?))),
        S::MultipointM(m) => geo::Geometry::Point(Point(xy(m.points().first()?))),
        S::MultipointZ(m) => geo::Geometry::Point(Point(xy(m.points().first()?))),
        S::Polyline(l) => geo::Geometry::MultiLineString(parts(l.parts(), dropped)),
        S::PolylineM(l) => geo::Geometry::MultiLineString(parts(l.parts(), dropped)),
        S::PolylineZ(l) => geo::Geometry::MultiLineString(parts(l.parts(), dropped)),
        S::Polygon(p) => geo::Geometry::MultiPolygon(nest_rings(rings(p.rings(), dropped))),
        S::PolygonM(p) => geo::Geometry::MultiPolygon(nest_rings(rings(p.rings(), dropped))),
        S::PolygonZ(p) => geo::Geometry::MultiPolygon(nest_rings(rings(p.rings(), dropped))),
        S::Multipatch(_) => {
            dropped.push("multipatch shapes are not supported".into());
            return None;
        }
    };
    Some(g)
}

/// The layer of a shapefile: from its name when the name says a non-grid layer, else
/// from its shape type (lines are rivers, points natural villages, polygons grids).
fn layer_of(path: &Path, shape_type: shapefile::ShapeType) -> Layer {
    use shapefile::ShapeType as T;
    let by_name = Layer::from_file_name(path);
    match shape_type {
        T::Polyline | T::PolylineM | T::PolylineZ => Layer::River,
        T::Point | T::PointM | T::PointZ | T::Multipoint | T::MultipointM | T::MultipointZ => {
            Layer::Village
        }
        _ if matches!(by_name, Layer::River | Layer::Village) => Layer::Grid,
        _ => by_name,
    }
}

/// An attribute table read from memory.
type DbfReader = dbase::Reader<Cursor<Vec<u8>>>;

/// A shapefile's attribute table, checked and opened in its encoding: the `.dbf` path,
/// the record count and the reader.
fn open_dbf(
    shp: &Path,
    user: Option<&'static Encoding>,
) -> Result<(PathBuf, usize, DbfReader), LoadError> {
    let dbf_path = dbf_path(shp)?;
    let dbf = super::read_file(&dbf_path)?;
    let n_records = check_dbf(&dbf_path, &dbf)?;
    let enc = dbf_encoding(shp, &dbf, user);
    let reader = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(enc))
        .build(Cursor::new(dbf))
        .map_err(|e| {
            err(
                &dbf_path,
                format!("属性表无法读取：{e}"),
                format!("cannot read the .dbf: {e}"),
            )
        })?;
    Ok((dbf_path, n_records, reader))
}

/// The attribute column names of a shapefile, for the field-mapping dialog.
pub fn columns(shp: &Path, opts: &ReadOptions) -> Result<Vec<String>, LoadError> {
    let (_, _, reader) = open_dbf(shp, opts.encoding)?;
    Ok(reader
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect())
}

fn dbf_path(shp: &Path) -> Result<PathBuf, LoadError> {
    sibling(shp, "dbf").ok_or_else(|| {
        err(
            shp,
            "缺少属性表文件（同名 .dbf）。Shapefile 至少需要 .shp 和 .dbf。",
            "the attribute table (.dbf of the same name) is missing; a shapefile needs its .shp and .dbf.",
        )
    })
}

/// Read one shapefile as a batch of features in its own CRS; generated ids are numbered
/// from `base + 1`.
pub(crate) fn read_batch(
    shp: &Path,
    opts: &ReadOptions,
    notes: &mut Vec<InputNote>,
    base: usize,
) -> Result<Batch, LoadError> {
    let shp_bytes = super::read_file(shp)?;
    let (dbf_path, n_records, mut reader) = open_dbf(shp, opts.encoding)?;
    let crs = prj_crs(shp)?;

    let mut shapes_reader = shapefile::ShapeReader::new(Cursor::new(shp_bytes)).map_err(|e| {
        err(
            shp,
            format!("不是有效的 .shp 文件：{e}"),
            format!("not a valid .shp file: {e}"),
        )
    })?;
    let shape_type = shapes_reader.header().shape_type;
    let layer = layer_of(shp, shape_type);
    let mut shapes = Vec::new();
    for (i, s) in shapes_reader.iter_shapes().enumerate() {
        let s = s.map_err(|e| {
            err(
                shp,
                format!(".shp 文件损坏或被截断：{e}"),
                format!("the .shp is damaged or truncated: {e}"),
            )
            .in_feature(format!("#{}", i + 1))
        })?;
        shapes.push(s);
    }
    if shapes.len() != n_records {
        return Err(err(
            shp,
            format!(
                "几何数（.shp：{}）与属性记录数（.dbf：{n_records}）不一致。",
                shapes.len()
            ),
            format!(
                "the .shp has {} shapes but the .dbf has {n_records} records; the files do not belong together or one is damaged.",
                shapes.len()
            ),
        ));
    }
    let names: Vec<String> = reader
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let has_roster = names.iter().any(|n| n == "STAFF");
    let mut pending = Vec::with_capacity(shapes.len());
    for (i, (shape, record)) in shapes.into_iter().zip(reader.iter_records()).enumerate() {
        let mut record = record.map_err(|e| {
            err(
                &dbf_path,
                format!("属性记录无法读取：{e}"),
                format!("cannot read the record: {e}"),
            )
            .in_feature(format!("#{}", i + 1))
        })?;
        let mut props = Map::new();
        for name in &names {
            if has_roster && SUMMARY_FIELDS.contains(&name.as_str()) {
                continue;
            }
            if let Some(v) = record.remove(name) {
                props.insert(name.clone(), field_value(v));
            }
        }
        let id = feature_id(layer, None, &props, &opts.fields, base + i + 1);
        let mut dropped = Vec::new();
        let geometry = shape_geometry(&shape, &mut dropped);
        let empty = match &geometry {
            None => true,
            Some(geo::Geometry::MultiPolygon(m)) => m.0.is_empty(),
            Some(geo::Geometry::MultiLineString(m)) => m.0.is_empty(),
            _ => false,
        };
        if empty || !dropped.is_empty() {
            let what = if dropped.is_empty() {
                "empty (null) shape".to_string()
            } else {
                dropped.join("; ")
            };
            notes.push(InputNote {
                feature_id: id.clone(),
                layer: layer.name(),
                zh: format!(
                    "{}：记录 #{} {}：{}",
                    shp.display(),
                    i + 1,
                    if empty {
                        "几何为空，已跳过几何"
                    } else {
                        "部分几何无效，已去除"
                    },
                    what
                ),
                en: format!(
                    "{}: record #{} {}: {what}",
                    shp.display(),
                    i + 1,
                    if empty {
                        "has no usable geometry"
                    } else {
                        "had unusable parts, removed"
                    },
                ),
                fatal: empty,
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
    Ok(Batch {
        path: shp.to_path_buf(),
        crs,
        crs_required: true,
        name: None,
        pending,
        settings: None,
    })
}

// ---------------------------------------------------------------- writing

/// Text encoding of written attribute tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DbfEncoding {
    /// UTF-8 with a `.cpg` saying so (QGIS, ArcGIS 10.x and GDAL read it).
    #[default]
    Utf8,
    /// GBK (code page 936) for older software.
    Gbk,
}

impl DbfEncoding {
    fn encoding(self) -> &'static Encoding {
        match self {
            DbfEncoding::Utf8 => encoding_rs::UTF_8,
            DbfEncoding::Gbk => encoding_rs::GBK,
        }
    }
    fn cpg(self) -> &'static str {
        match self {
            DbfEncoding::Utf8 => "UTF-8",
            DbfEncoding::Gbk => "936",
        }
    }
}

/// `text` cut to at most `max` bytes in `enc`, at a character boundary.
fn fit(text: &str, enc: &'static Encoding, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        let n = enc.encode(ch.encode_utf8(&mut buf)).0.len();
        if len + n > max {
            break;
        }
        len += n;
        out.push(ch);
    }
    out
}

/// Field kinds found among a column's values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Text,
}

/// The DBF columns of one layer, in the order the rows name them: (key, field name,
/// kind, width in bytes); names cut to 10 bytes and made unique.
fn columns_for(
    rows: &[Map<String, Value>],
    enc: &'static Encoding,
) -> Vec<(String, String, Kind, usize)> {
    let mut cols: Vec<(String, String, Kind, usize)> = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    // Kind of each column: None while only nulls were seen.
    let mut kinds: Vec<(String, Option<Kind>, usize)> = Vec::new();
    for row in rows {
        for (k, v) in row {
            let kind = match v {
                Value::Null => None,
                Value::Bool(_) => Some(Kind::Bool),
                Value::Number(n) if n.is_i64() || n.is_u64() => Some(Kind::Int),
                Value::Number(_) => Some(Kind::Float),
                _ => Some(Kind::Text),
            };
            let width = text_of(v).len();
            match kinds.iter_mut().find(|(key, _, _)| key == k) {
                Some((_, kd, w)) => {
                    *w = (*w).max(width);
                    *kd = match (*kd, kind) {
                        (a, None) => a,
                        (None, b) => b,
                        (Some(a), Some(b)) if a == b => Some(a),
                        (Some(Kind::Int | Kind::Float), Some(Kind::Int | Kind::Float)) => {
                            Some(Kind::Float)
                        }
                        _ => Some(Kind::Text),
                    };
                }
                None => kinds.push((k.clone(), kind, width)),
            }
        }
    }
    for (key, kind, width) in kinds {
        let kind = kind.unwrap_or(Kind::Text);
        let base = match key.as_str() {
            "staff" => "STAFF".to_string(),
            k if k.is_ascii() => k.to_ascii_uppercase(),
            k => k.to_string(),
        };
        let mut name = fit(&base, enc, 10);
        let mut n = 1;
        while taken.contains(&name) {
            let suffix = n.to_string();
            name = format!("{}{suffix}", fit(&base, enc, 10 - suffix.len()));
            n += 1;
        }
        taken.push(name.clone());
        cols.push((key, name, kind, width));
    }
    cols
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The properties of a grid as the shapefile holds them: staff as a roster line plus
/// the summary fields.
fn shp_props(f: &OutFeature) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("ID".into(), f.id.into());
    // `id` is the ID column already.
    for (k, v) in f.props.iter().filter(|(k, _)| k.as_str() != "id") {
        if k == "staff" {
            let staff: Vec<Staff> = serde_json::from_value(v.clone()).unwrap_or_default();
            let pick = |role: &str| -> (String, String) {
                let who: Vec<&Staff> = staff.iter().filter(|s| s.role.trim() == role).collect();
                (
                    who.iter()
                        .map(|s| s.name.trim())
                        .collect::<Vec<_>>()
                        .join("、"),
                    who.iter()
                        .map(|s| s.phone.trim())
                        .collect::<Vec<_>>()
                        .join("、"),
                )
            };
            for ((name_key, tel_key), role) in [
                (("HEAD", "HEAD_TEL"), crate::model::ROLE_GRID_HEAD),
                (("WORKERS", "WORKER_TEL"), crate::model::ROLE_GRID_WORKER),
                (("CHIEF", "CHIEF_TEL"), crate::model::ROLE_RIVER_CHIEF),
            ] {
                let (n, t) = pick(role);
                p.insert(name_key.into(), n.into());
                p.insert(tel_key.into(), t.into());
            }
            p.insert("STAFF".into(), Staff::roster_text(&staff).into());
        } else {
            p.insert(k.clone(), v.clone());
        }
    }
    p
}

/// A writer's problem as an I/O error, its cause kept.
fn io_err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> std::io::Error {
    std::io::Error::other(e)
}

/// The `.shp` and `.shx` of one layer, written here rather than by the `shapefile` crate,
/// which cannot write a null shape (a grid without geometry is valid in every other
/// format) and panics on a polygon without rings.
struct ShapeFiles {
    shape_type: i32,
    shp: Vec<u8>,
    shx: Vec<u8>,
    bbox: Option<[f64; 4]>,
}

impl ShapeFiles {
    const HEADER: usize = 100;

    fn new(shape_type: i32) -> Self {
        ShapeFiles {
            shape_type,
            shp: vec![0; Self::HEADER],
            shx: vec![0; Self::HEADER],
            bbox: None,
        }
    }

    /// Widen the file's box by a record's box `[minx, miny, maxx, maxy]`.
    fn grow(&mut self, r: [f64; 4]) {
        let b = self.bbox.get_or_insert(r);
        *b = [
            b[0].min(r[0]),
            b[1].min(r[1]),
            b[2].max(r[2]),
            b[3].max(r[3]),
        ];
    }

    /// One record: a null shape when `parts` has no points.
    fn record(&mut self, parts: &[Vec<Coord<f64>>]) -> std::io::Result<()> {
        let points: usize = parts.iter().map(Vec::len).sum();
        let mut content = Vec::new();
        if points == 0 {
            content.extend(0i32.to_le_bytes());
        } else if self.shape_type == 1 {
            let c = parts[0][0];
            self.grow([c.x, c.y, c.x, c.y]);
            content.extend(1i32.to_le_bytes());
            content.extend(c.x.to_le_bytes());
            content.extend(c.y.to_le_bytes());
        } else {
            let all: Vec<Coord<f64>> = parts.iter().flatten().copied().collect();
            let first = [all[0].x, all[0].y, all[0].x, all[0].y];
            let b = all.iter().fold(first, |b, c| {
                [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)]
            });
            self.grow(b);
            content.extend(self.shape_type.to_le_bytes());
            for v in b {
                content.extend(v.to_le_bytes());
            }
            let count = |n: usize| {
                i32::try_from(n).map_err(|_| io_err("too many points for a shapefile record"))
            };
            content.extend(count(parts.len())?.to_le_bytes());
            content.extend(count(points)?.to_le_bytes());
            let mut start = 0;
            for p in parts {
                content.extend(count(start)?.to_le_bytes());
                start += p.len();
            }
            for c in &all {
                content.extend(c.x.to_le_bytes());
                content.extend(c.y.to_le_bytes());
            }
        }
        let words = |bytes: usize| {
            i32::try_from(bytes / 2).map_err(|_| io_err("the shapefile would exceed 4 GB"))
        };
        let number = (self.shx.len() - Self::HEADER) / 8 + 1;
        self.shx.extend(words(self.shp.len())?.to_be_bytes());
        self.shx.extend(words(content.len())?.to_be_bytes());
        self.shp.extend(words(number * 2)?.to_be_bytes());
        self.shp.extend(words(content.len())?.to_be_bytes());
        self.shp.extend(content);
        words(self.shp.len())?;
        Ok(())
    }

    /// The finished files, headers filled in.
    fn finish(mut self) -> (Vec<u8>, Vec<u8>) {
        let bbox = self.bbox.unwrap_or([0.0; 4]);
        for buf in [&mut self.shp, &mut self.shx] {
            let words = (buf.len() / 2) as i32;
            let mut h = Vec::with_capacity(Self::HEADER);
            h.extend(9994i32.to_be_bytes());
            h.extend([0u8; 20]);
            h.extend(words.to_be_bytes());
            h.extend(1000i32.to_le_bytes());
            h.extend(self.shape_type.to_le_bytes());
            for v in [bbox[0], bbox[1], bbox[2], bbox[3], 0.0, 0.0, 0.0, 0.0] {
                h.extend(v.to_le_bytes());
            }
            buf[..Self::HEADER].copy_from_slice(&h);
        }
        (self.shp, self.shx)
    }
}

/// The parts of a shape as the format holds them: outer rings clockwise, holes
/// counter-clockwise, every ring closed.
fn shape_parts(g: GeomRef) -> Vec<Vec<Coord<f64>>> {
    let ring = |ls: &LineString<f64>, clockwise: bool| {
        let mut pts = ls.0.clone();
        if pts.len() >= 3 && pts.first() != pts.last() {
            pts.push(pts[0]);
        }
        if (crate::geom::ring_signed_area2(&pts) < 0.0) != clockwise {
            pts.reverse();
        }
        pts
    };
    match g {
        GeomRef::Polygons(mp) => {
            mp.0.iter()
                .flat_map(|p| {
                    std::iter::once(ring(p.exterior(), true))
                        .chain(p.interiors().iter().map(|h| ring(h, false)))
                })
                .filter(|r| r.len() >= 4)
                .collect()
        }
        GeomRef::Lines(ml) => {
            ml.0.iter()
                .map(|l| l.0.clone())
                .filter(|l| l.len() >= 2)
                .collect()
        }
        GeomRef::Point(p) if p.x().is_finite() && p.y().is_finite() => vec![vec![p.0]],
        GeomRef::Point(_) => Vec::new(),
    }
}

/// Write one layer's features as a shapefile (`.shp`, `.shx`, `.dbf`, `.prj`, `.cpg`)
/// named `stem` in the folder `dir`.
fn write_layer(
    dir: &Path,
    stem: &str,
    features: &[OutFeature],
    prj: &str,
    encoding: DbfEncoding,
) -> std::io::Result<()> {
    let enc = encoding.encoding();
    let rows: Vec<Map<String, Value>> = features.iter().map(shp_props).collect();
    let cols = columns_for(&rows, enc);
    let mut builder =
        dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(enc));
    for (_, name, kind, width) in &cols {
        let fname = FieldName::try_from(name.as_str()).map_err(|e| io_err(format!("{e:?}")))?;
        builder = match kind {
            Kind::Int => builder.add_numeric_field(fname, 18, 0),
            Kind::Float => builder.add_numeric_field(fname, 24, 8),
            Kind::Bool => builder.add_logical_field(fname),
            Kind::Text => builder.add_character_field(fname, (*width).clamp(1, 254) as u8),
        };
    }
    let shape_type = match features.first().map(|f| f.geometry) {
        Some(GeomRef::Point(_)) => 1,
        Some(GeomRef::Lines(_)) => 3,
        _ => 5,
    };
    let mut shapes = ShapeFiles::new(shape_type);
    let mut dbf = builder
        .build_with_file_dest(dir.join(format!("{stem}.dbf")))
        .map_err(io_err)?;
    for (f, row) in features.iter().zip(&rows) {
        let mut record = dbase::Record::default();
        for (key, name, kind, width) in &cols {
            let v = row.get(key).unwrap_or(&Value::Null);
            let fv = match (kind, v) {
                (_, Value::Null) if *kind != Kind::Text => match kind {
                    Kind::Bool => FieldValue::Logical(None),
                    _ => FieldValue::Numeric(None),
                },
                (Kind::Int | Kind::Float, Value::Number(n)) => FieldValue::Numeric(n.as_f64()),
                (Kind::Bool, Value::Bool(b)) => FieldValue::Logical(Some(*b)),
                _ => {
                    let t = fit(&text_of(v), enc, (*width).clamp(1, 254));
                    FieldValue::Character((!t.is_empty()).then_some(t))
                }
            };
            record.insert(name.clone(), fv);
        }
        shapes.record(&shape_parts(f.geometry))?;
        dbf.write_record(&record).map_err(io_err)?;
    }
    drop(dbf);
    let (shp, shx) = shapes.finish();
    std::fs::write(dir.join(format!("{stem}.shp")), shp)?;
    std::fs::write(dir.join(format!("{stem}.shx")), shx)?;
    std::fs::write(dir.join(format!("{stem}.prj")), prj)?;
    std::fs::write(dir.join(format!("{stem}.cpg")), encoding.cpg())?;
    for ext in SHP_PARTS {
        super::sync_file(&dir.join(format!("{stem}.{ext}")))?;
    }
    Ok(())
}

/// The files of one shapefile.
const SHP_PARTS: [&str; 5] = ["shp", "shx", "dbf", "prj", "cpg"];

/// The file a layer is written to: `<stem>_<layer>.shp` beside `out`.
pub fn layer_path(out: &Path, layer_name: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let plural = match layer_name {
        "boundary" => "boundary".to_string(),
        other => format!("{other}s"),
    };
    out.with_file_name(format!("{stem}_{plural}.shp"))
}

/// The layers of the shapefile set `path` belongs to, as [`write`] names them
/// (`<stem>_grids.shp`, `<stem>_rivers.shp`, ...), that exist beside it: a set gridmap wrote
/// opens whole from any one of its files. Any other shapefile is just itself.
pub fn set_of(path: &Path) -> Vec<PathBuf> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let names: Vec<&str> = LAYERS.iter().map(|l| l.name()).collect();
    let Some(prefix) = names.iter().find_map(|n| {
        let probe = layer_path(Path::new("x.shp"), n);
        let suffix = probe
            .file_stem()?
            .to_string_lossy()
            .strip_prefix('x')?
            .to_string();
        stem.strip_suffix(&suffix)
            .map(|p| path.with_file_name(format!("{p}.shp")))
    }) else {
        return vec![path.to_path_buf()];
    };
    let set: Vec<PathBuf> = names
        .iter()
        .map(|n| layer_path(&prefix, n))
        .filter(|p| p.exists() || p.as_path() == path)
        .collect();
    set
}

/// What a shapefile export did beside writing its files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShpExport {
    /// The `.shp` files written, one per non-empty layer.
    pub written: Vec<PathBuf>,
    /// Files of an earlier export under the same name that were replaced.
    pub replaced: Vec<PathBuf>,
    /// Layers of an earlier export under the same name that this project does not have
    /// (`out_rivers.shp` beside the new `out_grids.shp`), removed so that the set is one
    /// project's.
    pub removed: Vec<PathBuf>,
}

/// Write every non-empty layer of the project as a shapefile beside `out`
/// (`<stem>_grids.shp`, ...). The set is written into a temporary folder first and moved
/// into place only when every file is complete; files of an earlier export under the same
/// name are replaced or, for layers this project lacks, removed (and listed).
pub fn write(
    project: &Project,
    out: &Path,
    encoding: DbfEncoding,
) -> Result<ShpExport, super::WriteError> {
    let prj =
        crsdef::crs_wkt(project.crs, true).map_err(|e| super::WriteError::convert(out, &e))?;
    let (dir, _) = super::folder_and_name(out);
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let cannot = |p: &Path, e: &std::io::Error| super::WriteError::io(p, e);
    let tmp = super::TempPath::new(dir, &format!("{stem}.shptmp")).map_err(|e| cannot(out, &e))?;
    std::fs::create_dir_all(tmp.path()).map_err(|e| cannot(tmp.path(), &e))?;
    let mut layers = Vec::new();
    for layer in LAYERS {
        let feats: Vec<OutFeature> = out_features(project, Some(layer)).collect();
        let path = layer_path(out, layer.name());
        if feats.is_empty() {
            layers.push((path, false));
            continue;
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        write_layer(tmp.path(), &name, &feats, &prj, encoding).map_err(|e| cannot(&path, &e))?;
        layers.push((path, true));
    }
    let mut report = ShpExport::default();
    for (path, written) in &layers {
        for ext in SHP_PARTS {
            let target = path.with_extension(ext);
            let existed = target.exists();
            if *written {
                let name = target.file_name().unwrap_or_default();
                std::fs::rename(tmp.path().join(name), &target).map_err(|e| cannot(&target, &e))?;
                if existed && ext == "shp" {
                    report.replaced.push(target);
                }
            } else if existed {
                std::fs::remove_file(&target).map_err(|e| cannot(&target, &e))?;
                if ext == "shp" {
                    report.removed.push(target);
                }
            }
        }
        if *written {
            report.written.push(path.clone());
        }
    }
    Ok(report)
}
