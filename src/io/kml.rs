//! KML and KMZ, the files grid outlines travel in to phones (奥维互动地图, Google Earth).
//!
//! Writing: WGS 84 longitude/latitude (or GCJ-02 for overlays on commercial Chinese maps),
//! one Placemark per feature with every field as `ExtendedData` and a readable
//! description, grids in one folder per village, a style per level (outline width and a
//! translucent fill) and a label point inside each grid; rivers, reservoirs, natural
//! villages and the boundary in their own folders. KMZ is the same document zipped as
//! `doc.kml`.
//!
//! Reading: Placemarks with Polygon, LineString, Point or MultiGeometry at any depth of
//! Documents and Folders; `ExtendedData` (`Data` and `SchemaData/SimpleData`) become
//! properties; the layer comes from a `layer` property, else the enclosing folder's name
//! (河流, 水库, ...), else the geometry (polygons are grids, lines rivers, points natural
//! villages); the folder path is kept in the `folder` property.

use super::error::{LoadError, WriteError};
use super::features::{self, Batch, GeomRef, Layer, Pending, SETTINGS_KEY, out_features};
use super::{SourceCrs, gcj02};
use crate::model::{Crs, Project};
use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use kml::types::{
    AltitudeMode, Element, Folder, LabelStyle, LineStyle, LinearRing, MultiGeometry, Placemark,
    PolyStyle, Style,
};
use kml::{Kml, KmlDocument, KmlVersion};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The largest KML document read (also the largest one unpacked from a KMZ).
pub const MAX_KML_BYTES: u64 = 256 << 20;
/// The most parts a KMZ may have (images and the document).
const MAX_KMZ_PARTS: usize = 10_000;
/// Placemarks nested deeper than this in folders are refused (a hostile file).
const MAX_DEPTH: usize = 64;

/// How to write KML.
#[derive(Debug, Clone, Copy, Default)]
pub struct KmlOptions {
    /// Coordinates in GCJ-02 (the offset of commercial Chinese web maps) instead of WGS 84.
    pub gcj02: bool,
    /// Zip the document into a KMZ.
    pub kmz: bool,
}

// ---------------------------------------------------------------- reading

/// The KML text of a `.kml` or `.kmz` file, within the size limits.
fn document_bytes(path: &Path) -> Result<Vec<u8>, LoadError> {
    let kmz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("kmz"));
    let file = std::fs::File::open(path).map_err(|e| {
        LoadError::new(
            path,
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    })?;
    let too_big = || {
        LoadError::new(
            path,
            format!("KML 文档超过 {} MB。", MAX_KML_BYTES >> 20),
            format!(
                "the KML document is larger than {} MB.",
                MAX_KML_BYTES >> 20
            ),
        )
    };
    let mut bytes = Vec::new();
    if !kmz {
        file.take(MAX_KML_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                LoadError::new(path, format!("无法读取：{e}"), format!("cannot read: {e}"))
            })?;
        if bytes.len() as u64 > MAX_KML_BYTES {
            return Err(too_big());
        }
        return Ok(bytes);
    }
    let damaged = |e: &dyn std::fmt::Display| {
        LoadError::new(
            path,
            format!("KMZ 文件已损坏（不是有效的 zip 文件）：{e}"),
            format!("the KMZ is damaged (not a valid zip file): {e}"),
        )
    };
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| damaged(&e))?;
    if zip.len() > MAX_KMZ_PARTS {
        return Err(LoadError::new(
            path,
            format!("KMZ 包含 {} 个文件（上限 {MAX_KMZ_PARTS}）。", zip.len()),
            format!(
                "the KMZ holds {} files (the limit is {MAX_KMZ_PARTS}).",
                zip.len()
            ),
        ));
    }
    // doc.kml by convention, else the first .kml.
    let mut chosen = None;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| damaged(&e))?;
        let name = part.name().map_err(|e| damaged(&e))?.to_lowercase();
        if name.ends_with(".kml") && (chosen.is_none() || name == "doc.kml") {
            chosen = Some(i);
        }
    }
    let Some(i) = chosen else {
        return Err(LoadError::new(
            path,
            "KMZ 中没有 .kml 文档。",
            "the KMZ holds no .kml document.",
        ));
    };
    let part = zip.by_index(i).map_err(|e| damaged(&e))?;
    part.take(MAX_KML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| damaged(&e))?;
    if bytes.len() as u64 > MAX_KML_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Read a KML or KMZ file as one batch of features in WGS 84 longitude/latitude.
pub(crate) fn read_batch(path: &Path, base: usize) -> Result<Batch, LoadError> {
    let bytes = document_bytes(path)?;
    read_bytes(path, &bytes, base)
}

/// Check that `bytes` is well-formed XML (every element closed, end tags matching): the
/// `kml` crate waits forever for the end of an element a truncated file never closes.
fn well_formed(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    use quick_xml::events::Event;
    let bad = |what: String, en: String| {
        LoadError::new(
            path,
            format!("不是有效的 KML（XML 不完整或已损坏）：{what}"),
            format!("not a valid KML document (incomplete or damaged XML): {en}"),
        )
    };
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut buf = Vec::new();
    let mut root_seen = false;
    let mut points = 0usize;
    let mut elements = 0usize;
    // Every element counts against MAX_ELEMENTS; the first must be <kml>.
    let element = |elements: &mut usize, root_seen: &mut bool, name: &[u8]| {
        *elements += 1;
        if *elements > MAX_ELEMENTS {
            return Err(too_many_elements(path));
        }
        if !*root_seen {
            *root_seen = true;
            is_kml_root(path, name)?;
        }
        Ok(())
    };
    loop {
        let at = reader.buffer_position();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                element(&mut elements, &mut root_seen, e.local_name().as_ref())?;
                if open.len() >= 256 {
                    return Err(bad(
                        "元素嵌套过深".into(),
                        "elements nested too deep".into(),
                    ));
                }
                open.push(e.name().as_ref().to_vec());
            }
            Ok(Event::Empty(e)) => {
                element(&mut elements, &mut root_seen, e.local_name().as_ref())?;
            }
            // Coordinates counted before the tree is built: its memory is the limit.
            Ok(Event::Text(t))
                if open.last().is_some_and(|n| {
                    n.rsplit(|&b| b == b':').next() == Some(b"coordinates".as_slice())
                }) =>
            {
                let text: &[u8] = t.as_ref();
                points += text
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .count();
                if points > super::MAX_POINTS {
                    return Err(super::too_many_points(path));
                }
            }
            Ok(Event::End(e)) => {
                if open.pop().as_deref() != Some(e.name().as_ref()) {
                    let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                    return Err(bad(
                        format!("第 {at} 字节处的结束标记 </{name}> 不匹配"),
                        format!("the end tag </{name}> at byte {at} does not match"),
                    ));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(bad(
                    format!("第 {at} 字节处：{e}"),
                    format!("at byte {at}: {e}"),
                ));
            }
        }
        buf.clear();
    }
    if !root_seen {
        return Err(bad(
            "文件中没有 XML 元素".into(),
            "the file holds no XML element".into(),
        ));
    }
    match open.last() {
        Some(name) => {
            let name = String::from_utf8_lossy(name).to_string();
            Err(bad(
                format!("元素 <{name}> 没有结束（文件被截断？）"),
                format!("the element <{name}> is never closed (a truncated file?)"),
            ))
        }
        None => Ok(()),
    }
}

/// The most XML elements a KML document may hold: the reader builds a tree of them
/// (about 0.2 KB each), and a township's or a county's map has far fewer (some ten per
/// placemark).
const MAX_ELEMENTS: usize = 5_000_000;

fn too_many_elements(path: &Path) -> LoadError {
    LoadError::new(
        path,
        format!(
            "KML 文档的元素超过 {} 万个，超出本程序一次读入的上限；请分成几个文件。",
            MAX_ELEMENTS / 10_000
        ),
        format!(
            "the KML document holds more than {MAX_ELEMENTS} elements, more than gridmap reads at once; split it into several files."
        ),
    )
}

/// A KML document's root is `<kml>` (any namespace prefix).
fn is_kml_root(path: &Path, name: &[u8]) -> Result<(), LoadError> {
    if name.eq_ignore_ascii_case(b"kml") {
        return Ok(());
    }
    let name = String::from_utf8_lossy(name);
    Err(LoadError::new(
        path,
        format!("不是 KML 文档：根元素是 <{name}>，应为 <kml>。"),
        format!("not a KML document: the root element is <{name}>, not <kml>."),
    ))
}

/// The document in UTF-8: a declared encoding other than UTF-8 (GBK, GB18030, Big5, …, or
/// UTF-16 by its byte order mark) is decoded and the declaration rewritten; an encoding
/// that is unknown, or bytes that are not in the declared one, are refused.
fn utf8_document<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<std::borrow::Cow<'a, [u8]>, LoadError> {
    use std::borrow::Cow;
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes)
        && enc != encoding_rs::UTF_8
    {
        let (text, _, errors) = enc.decode(bytes);
        if errors {
            return Err(not_in(path, enc.name()));
        }
        return Ok(Cow::Owned(declare_utf8(text.as_bytes())));
    }
    let head = &bytes[..bytes.len().min(512)];
    let declared = head
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(head)
        .strip_prefix(b"<?xml".as_slice())
        .and_then(|rest| {
            let end = rest.windows(2).position(|w| w == b"?>")?;
            let decl = std::str::from_utf8(&rest[..end]).ok()?;
            let at = decl.find("encoding")?;
            let value = decl[at + "encoding".len()..]
                .trim_start()
                .strip_prefix('=')?;
            let value = value.trim_start();
            let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let value = &value[1..];
            Some(value[..value.find(quote)?].to_string())
        });
    let Some(label) = declared else {
        if std::str::from_utf8(bytes).is_err() {
            return Err(LoadError::new(
                path,
                "KML 文本不是 UTF-8，也没有声明编码（<?xml … encoding=\"GBK\"?>）。",
                "the KML text is not UTF-8 and declares no encoding (<?xml … encoding=\"GBK\"?>).",
            ));
        }
        return Ok(Cow::Borrowed(bytes));
    };
    let Some(enc) = encoding_rs::Encoding::for_label(label.trim().as_bytes()) else {
        return Err(LoadError::new(
            path,
            format!("KML 声明的编码“{}”无法识别。", crate::error::quoted(&label)),
            format!(
                "the KML declares an encoding gridmap does not know: \"{}\".",
                crate::error::quoted(&label)
            ),
        ));
    };
    if enc == encoding_rs::UTF_8 {
        if std::str::from_utf8(bytes).is_err() {
            return Err(not_in(path, enc.name()));
        }
        return Ok(Cow::Borrowed(bytes));
    }
    let (text, errors) = enc.decode_without_bom_handling(bytes);
    if errors {
        return Err(not_in(path, enc.name()));
    }
    Ok(Cow::Owned(declare_utf8(text.as_bytes())))
}

fn not_in(path: &Path, encoding: &str) -> LoadError {
    LoadError::new(
        path,
        format!("KML 文本与其声明的编码 {encoding} 不符（含有无效字节）。"),
        format!("the KML text is not valid {encoding}, the encoding it declares."),
    )
}

/// Decoded text with its XML declaration saying UTF-8 (the reader goes by it).
fn declare_utf8(text: &[u8]) -> Vec<u8> {
    let text = text
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(text);
    if text.starts_with(b"<?xml")
        && let Some(end) = text.windows(2).position(|w| w == b"?>")
    {
        let mut out = b"<?xml version=\"1.0\" encoding=\"UTF-8\"".to_vec();
        out.extend_from_slice(&text[end..]);
        return out;
    }
    text.to_vec()
}

/// Read a KML document (the text of a `.kml`).
pub(crate) fn read_bytes(path: &Path, bytes: &[u8], base: usize) -> Result<Batch, LoadError> {
    let bytes = utf8_document(path, bytes)?;
    let bytes = bytes.as_ref();
    well_formed(path, bytes)?;
    let mut reader = kml::KmlReader::<_, f64>::from_reader(bytes);
    let root = reader.read().map_err(|e| {
        LoadError::new(
            path,
            format!("不是有效的 KML：{e}"),
            format!("not a valid KML document: {e}"),
        )
    })?;
    let mut out = Collect {
        path,
        base,
        pending: Vec::new(),
        name: None,
        settings: None,
    };
    out.walk(&root, &mut Vec::new())?;
    if out.pending.is_empty() {
        return Err(LoadError::new(
            path,
            "KML 中没有任何地标（Placemark），没有可读入的网格、河流或其他要素。",
            "the KML holds no placemarks: no grids, rivers or other features to read.",
        ));
    }
    Ok(Batch {
        path: path.to_path_buf(),
        crs: Some(SourceCrs::Epsg(Crs::epsg(4326))),
        crs_required: false,
        name: out.name,
        pending: out.pending,
        settings: out.settings,
    })
}

struct Collect<'a> {
    path: &'a Path,
    base: usize,
    pending: Vec<Pending>,
    name: Option<String>,
    settings: Option<Map<String, Value>>,
}

impl Collect<'_> {
    fn walk(&mut self, k: &Kml<f64>, folders: &mut Vec<String>) -> Result<(), LoadError> {
        if folders.len() > MAX_DEPTH {
            return Err(LoadError::new(
                self.path,
                format!("文件夹嵌套超过 {MAX_DEPTH} 层。"),
                format!("folders are nested more than {MAX_DEPTH} deep."),
            ));
        }
        match k {
            Kml::KmlDocument(d) => {
                for e in &d.elements {
                    self.walk(e, folders)?;
                }
            }
            Kml::Document { elements, .. } => {
                for e in elements {
                    if let Kml::Element(el) = e
                        && el.name == "name"
                        && self.name.is_none()
                    {
                        self.name = el.content.clone().filter(|s| !s.trim().is_empty());
                    }
                    // The project settings of a document gridmap wrote.
                    if let Kml::Element(el) = e
                        && el.name == "ExtendedData"
                        && self.settings.is_none()
                    {
                        let mut data = Map::new();
                        extended_data(el, &mut data);
                        if let Some(Value::Object(s)) = data.remove(SETTINGS_KEY) {
                            self.settings = Some(s);
                        }
                    }
                    self.walk(e, folders)?;
                }
            }
            Kml::Folder(f) => {
                folders.push(f.name.clone().unwrap_or_default());
                for e in &f.elements {
                    self.walk(e, folders)?;
                }
                folders.pop();
            }
            Kml::Placemark(p) => self.placemark(p, folders),
            _ => {}
        }
        Ok(())
    }

    fn placemark(&mut self, p: &Placemark<f64>, folders: &[String]) {
        let mut props = Map::new();
        for e in &p.children {
            if e.name == "ExtendedData" {
                extended_data(e, &mut props);
            }
        }
        if let Some(n) = p.name.as_ref().filter(|n| !n.trim().is_empty())
            && !props.contains_key("name")
        {
            props.insert("name".into(), n.trim().into());
        }
        if props.is_empty()
            && let Some(d) = p.description.as_ref().filter(|d| !d.trim().is_empty())
        {
            props.insert("description".into(), d.trim().into());
        }
        let folder = folders
            .iter()
            .filter(|f| !f.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("/");
        if !folder.is_empty() && !props.contains_key("folder") {
            props.insert("folder".into(), folder.into());
        }
        let mut parts = Parts::default();
        if let Some(g) = &p.geometry {
            parts.add(g);
        }
        let geometry = parts.geometry();
        let explicit = props
            .remove("layer")
            .and_then(|v| v.as_str().and_then(Layer::parse));
        let by_folder = || folders.iter().rev().find_map(|f| Layer::parse(f));
        let by_geometry = match &geometry {
            Some(geo::Geometry::LineString(_) | geo::Geometry::MultiLineString(_)) => Layer::River,
            Some(geo::Geometry::Point(_)) => Layer::Village,
            _ => Layer::from_file_name(self.path),
        };
        let layer = explicit.or_else(by_folder).unwrap_or(by_geometry);
        let n = self.base + self.pending.len() + 1;
        let own = p.attrs.get("id").map(|s| Value::String(s.clone()));
        let id = features::feature_id(layer, own.as_ref(), &props, &Default::default(), n);
        self.pending.push(Pending {
            layer,
            id,
            props,
            geometry,
        });
    }
}

/// `Data name=k <value>v</value>` and `SchemaData/SimpleData name=k` into properties.
/// Values that hold JSON arrays or objects (staff, four bounds) are taken as JSON.
fn extended_data(e: &Element, props: &mut Map<String, Value>) {
    for c in &e.children {
        let (key, value) = match c.name.as_str() {
            "Data" => (
                c.attrs.get("name"),
                // An empty <value/> is an empty text (a grid without a name), not a
                // missing field: the Placemark's name must not stand in for it.
                c.children
                    .iter()
                    .find(|v| v.name == "value")
                    .map(|v| v.content.clone().unwrap_or_default()),
            ),
            "SimpleData" => (c.attrs.get("name"), c.content.clone()),
            "SchemaData" => {
                extended_data(c, props);
                continue;
            }
            _ => continue,
        };
        let (Some(key), Some(value)) = (key, value) else {
            continue;
        };
        let v = value.trim();
        let parsed = if v.starts_with('[') || v.starts_with('{') {
            serde_json::from_str::<Value>(v).ok()
        } else {
            None
        };
        props.insert(
            key.clone(),
            parsed.unwrap_or_else(|| Value::String(v.into())),
        );
    }
}

/// The parts of a (Multi)Geometry, gathered by kind.
#[derive(Default)]
struct Parts {
    polygons: Vec<Polygon<f64>>,
    lines: Vec<LineString<f64>>,
    points: Vec<Point<f64>>,
}

fn ring(coords: &[kml::types::Coord<f64>]) -> LineString<f64> {
    LineString(coords.iter().map(|c| Coord { x: c.x, y: c.y }).collect())
}

impl Parts {
    fn add(&mut self, g: &kml::types::Geometry<f64>) {
        use kml::types::Geometry as G;
        match g {
            G::Point(p) => self.points.push(Point::new(p.coord.x, p.coord.y)),
            G::LineString(l) => self.lines.push(ring(&l.coords)),
            G::LinearRing(r) => self.polygons.push(Polygon::new(ring(&r.coords), vec![])),
            G::Polygon(p) => self.polygons.push(Polygon::new(
                ring(&p.outer.coords),
                p.inner.iter().map(|r| ring(&r.coords)).collect(),
            )),
            G::MultiGeometry(m) => m.geometries.iter().for_each(|g| self.add(g)),
            _ => {}
        }
    }

    /// Polygons where there are any (a label point beside them is dropped), else lines,
    /// else the first point.
    fn geometry(mut self) -> Option<geo::Geometry<f64>> {
        if !self.polygons.is_empty() {
            return Some(if self.polygons.len() == 1 {
                geo::Geometry::Polygon(self.polygons.remove(0))
            } else {
                geo::Geometry::MultiPolygon(MultiPolygon(self.polygons))
            });
        }
        if !self.lines.is_empty() {
            return Some(if self.lines.len() == 1 {
                geo::Geometry::LineString(self.lines.remove(0))
            } else {
                geo::Geometry::MultiLineString(MultiLineString(self.lines))
            });
        }
        self.points.first().copied().map(geo::Geometry::Point)
    }
}

// ---------------------------------------------------------------- writing

/// Outline colour (KML aabbggrr) and width by grid level: town, village, sub-area.
fn level_style(level: u8) -> (&'static str, f64, &'static str) {
    match level {
        1 => ("ff1400dc", 4.0, "1a1400dc"),
        2 => ("ff0080ff", 3.0, "260080ff"),
        _ => ("ff00a000", 2.0, "3300c000"),
    }
}

fn style(id: &str, line: &str, width: f64, fill: Option<&str>) -> Kml<f64> {
    Kml::Style(Style {
        id: Some(id.into()),
        line: Some(LineStyle {
            color: line.into(),
            width,
            ..Default::default()
        }),
        poly: Some(PolyStyle {
            color: fill.unwrap_or("00ffffff").into(),
            fill: fill.is_some(),
            outline: true,
            ..Default::default()
        }),
        label: Some(LabelStyle {
            color: "ffffffff".into(),
            scale: 1.0,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn element(name: &str, content: Option<String>, attrs: &[(&str, &str)]) -> Element {
    Element {
        name: name.into(),
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        content,
        children: Vec::new(),
    }
}

/// Every property as `<Data name=k><value>v</value></Data>`.
fn extended(layer: Layer, props: &Map<String, Value>) -> Element {
    let mut e = element("ExtendedData", None, &[]);
    let mut data = |k: &str, v: String| {
        let mut d = element("Data", None, &[("name", k)]);
        d.children.push(element("value", Some(v), &[]));
        e.children.push(d);
    };
    data("layer", layer.name().into());
    for (k, v) in props {
        if let Some(t) = text_of(v) {
            data(k, t);
        }
    }
    e
}

/// The description shown when a Placemark is tapped: the fields a patrol needs, as lines.
fn description(project: &Project, props: &Map<String, Value>) -> String {
    let get = |k: &str| props.get(k).and_then(text_of).filter(|s| !s.is_empty());
    let mut lines = Vec::new();
    if let Some(c) = get("code") {
        lines.push(format!("编码 Code：{c}"));
    }
    if let Some(l) = get("level") {
        lines.push(format!("级别 Level：{l}"));
    }
    if let Some(p) = get("parent") {
        let name = project
            .grids
            .iter()
            .find(|g| g.id == p)
            .map(|g| g.label().to_string())
            .unwrap_or(p);
        lines.push(format!("上级 Parent：{name}"));
    }
    if let Some(h) = get("households") {
        lines.push(format!("户数 Households：{h}"));
    }
    if let Some(p) = get("population") {
        lines.push(format!("人口 Population：{p}"));
    }
    if let Some(Value::Array(staff)) = props.get("staff") {
        for s in staff {
            let f = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
            lines.push(
                format!("{} {} {}", f("role"), f("name"), f("phone"))
                    .trim()
                    .to_string(),
            );
        }
    }
    lines
        .iter()
        .map(|l| html_escape(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

struct Lonlat {
    rp: super::Reprojector,
    gcj02: bool,
}

impl Lonlat {
    fn coord(&self, c: Coord<f64>) -> kml::types::Coord<f64> {
        let mut ll = self.rp.point(c);
        if self.gcj02 {
            ll = gcj02::from_wgs84(ll);
        }
        kml::types::Coord::new(ll.x, ll.y, None)
    }

    fn coords(&self, ls: &LineString<f64>) -> Vec<kml::types::Coord<f64>> {
        let mut pts: Vec<Coord<f64>> = ls.0.clone();
        // One PROJ call per ring.
        self.rp.apply(&mut pts);
        pts.into_iter()
            .map(|mut c| {
                if self.gcj02 {
                    c = gcj02::from_wgs84(c);
                }
                kml::types::Coord::new(c.x, c.y, None)
            })
            .collect()
    }

    fn ring(&self, ls: &LineString<f64>) -> LinearRing<f64> {
        LinearRing {
            coords: self.coords(ls),
            tessellate: true,
            altitude_mode: AltitudeMode::ClampToGround,
            ..Default::default()
        }
    }

    fn polygon(&self, p: &Polygon<f64>) -> kml::types::Geometry<f64> {
        kml::types::Geometry::Polygon(kml::types::Polygon {
            outer: self.ring(p.exterior()),
            inner: p.interiors().iter().map(|r| self.ring(r)).collect(),
            tessellate: true,
            altitude_mode: AltitudeMode::ClampToGround,
            ..Default::default()
        })
    }

    fn geometry(
        &self,
        g: GeomRef<'_>,
        label: Option<Coord<f64>>,
    ) -> Option<kml::types::Geometry<f64>> {
        use kml::types::Geometry as G;
        let mut parts: Vec<G<f64>> = match g {
            GeomRef::Polygons(mp) => mp.0.iter().map(|p| self.polygon(p)).collect(),
            GeomRef::Lines(ml) => {
                ml.0.iter()
                    .map(|l| {
                        G::LineString(kml::types::LineString {
                            coords: self.coords(l),
                            tessellate: true,
                            altitude_mode: AltitudeMode::ClampToGround,
                            ..Default::default()
                        })
                    })
                    .collect()
            }
            GeomRef::Point(p) if p.x().is_finite() => vec![G::Point(kml::types::Point {
                coord: self.coord(p.0),
                ..Default::default()
            })],
            GeomRef::Point(_) => vec![],
        };
        if parts.is_empty() {
            return None;
        }
        if let Some(c) = label {
            parts.push(G::Point(kml::types::Point {
                coord: self.coord(c),
                ..Default::default()
            }));
        }
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            G::MultiGeometry(MultiGeometry::new(parts))
        })
    }
}

fn folder(name: &str, elements: Vec<Kml<f64>>) -> Kml<f64> {
    Kml::Folder(Folder {
        name: Some(name.into()),
        elements,
        ..Default::default()
    })
}

/// The project as a KML document (bytes of the `.kml`).
pub fn to_kml(project: &Project, opts: &KmlOptions) -> Result<Vec<u8>, super::ExportError> {
    let ll = Lonlat {
        rp: super::Reprojector::new(project.crs, Crs::epsg(4326))?,
        gcj02: opts.gcj02,
    };
    let mut grids: Vec<(Option<String>, u8, Kml<f64>)> = Vec::new();
    let mut others: HashMap<&'static str, Vec<Kml<f64>>> = HashMap::new();
    let by_id: HashMap<&str, &crate::model::Grid> =
        project.grids.iter().map(|g| (g.id.as_str(), g)).collect();
    for f in out_features(project, None) {
        let name = f
            .props
            .get("name")
            .and_then(text_of)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| f.id.to_string());
        let label = match (f.layer, f.geometry) {
            (Layer::Grid, GeomRef::Polygons(mp)) => {
                crate::geom::inscribed_label(mp).map(|(c, _)| c)
            }
            _ => None,
        };
        let (style_url, layer_folder) = match f.layer {
            Layer::Grid => {
                let level = by_id.get(f.id).map(|g| g.level).unwrap_or(3).clamp(1, 3);
                (format!("#level{level}"), None)
            }
            Layer::Boundary => ("#boundary".into(), Some("行政边界")),
            Layer::River => ("#river".into(), Some("河流")),
            Layer::Reservoir => ("#reservoir".into(), Some("水库")),
            Layer::Village => ("#village".into(), Some("自然村")),
        };
        let mut attrs = HashMap::new();
        attrs.insert("id".to_string(), f.id.to_string());
        let placemark = Kml::Placemark(Placemark {
            name: Some(name),
            description: Some(description(project, &f.props)),
            geometry: ll.geometry(f.geometry, label),
            style_url: Some(style_url),
            attrs,
            children: vec![extended(f.layer, &f.props)],
        });
        match layer_folder {
            Some(folder) => others.entry(folder).or_default().push(placemark),
            None => {
                let g = by_id[f.id];
                // The village a grid belongs to: itself at level 2, its parent below.
                let village = match g.level {
                    0 | 1 => None,
                    2 => Some(g.id.clone()),
                    _ => g.parent.clone(),
                };
                grids.push((village, g.level, placemark));
            }
        }
    }
    // One folder per village (the village's own outline first), the town and grids
    // without a village at the top of the grid folder.
    let mut village_folders: Vec<(String, Vec<Kml<f64>>)> = Vec::new();
    let mut top: Vec<Kml<f64>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    grids.sort_by_key(|(_, level, _)| *level);
    for (village, _, pm) in grids {
        match village.filter(|v| by_id.contains_key(v.as_str())) {
            Some(v) => {
                let i = *index.entry(v.clone()).or_insert_with(|| {
                    village_folders.push((by_id[v.as_str()].label().to_string(), Vec::new()));
                    village_folders.len() - 1
                });
                village_folders[i].1.push(pm);
            }
            None => top.push(pm),
        }
    }
    top.extend(
        village_folders
            .into_iter()
            .map(|(name, elements)| folder(&name, elements)),
    );
    let mut elements = vec![Kml::Element(element(
        "name",
        Some(if project.name.is_empty() {
            "gridmap".into()
        } else {
            project.name.clone()
        }),
        &[],
    ))];
    if !project.settings.is_empty() {
        let mut e = element("ExtendedData", None, &[]);
        let mut d = element("Data", None, &[("name", SETTINGS_KEY)]);
        d.children.push(element(
            "value",
            Some(Value::Object(project.settings.clone()).to_string()),
            &[],
        ));
        e.children.push(d);
        elements.push(Kml::Element(e));
    }
    for level in 1..=3u8 {
        let (line, width, fill) = level_style(level);
        elements.push(style(&format!("level{level}"), line, width, Some(fill)));
    }
    elements.push(style("boundary", "ff000000", 3.0, None));
    elements.push(style("river", "ffff8000", 3.0, None));
    elements.push(style("reservoir", "ffff8000", 2.0, Some("66ffb060")));
    elements.push(style("village", "ff00ffff", 1.0, None));
    if !top.is_empty() {
        elements.push(folder("网格", top));
    }
    for name in ["行政边界", "河流", "水库", "自然村"] {
        if let Some(list) = others.remove(name) {
            elements.push(folder(name, list));
        }
    }
    let doc = Kml::KmlDocument(KmlDocument {
        version: KmlVersion::V22,
        attrs: [(
            "xmlns".to_string(),
            "http://www.opengis.net/kml/2.2".to_string(),
        )]
        .into(),
        elements: vec![Kml::Document {
            attrs: HashMap::new(),
            elements,
        }],
    });
    let mut out = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec();
    kml::KmlWriter::<_, f64>::from_writer(&mut out).write(&doc)?;
    Ok(xml_chars_only(out))
}

/// The document without the characters XML 1.0 cannot hold (control characters other
/// than tab and line breaks, U+FFFE and U+FFFF), which a name pasted from elsewhere may
/// carry: GDAL, Google Earth and 奥维 refuse a document that has one. In UTF-8 the bytes
/// below 0x20 are those characters and nothing else.
fn xml_chars_only(doc: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    let mut out = Vec::with_capacity(doc.len());
    while i < doc.len() {
        let b = doc[i];
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        if b == 0xEF && matches!(doc.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) {
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Write the project as `.kml` or `.kmz` (atomically).
pub fn write(project: &Project, out: &Path, opts: &KmlOptions) -> Result<(), WriteError> {
    let doc = to_kml(project, opts).map_err(|e| WriteError::convert(out, &e))?;
    let bytes = if opts.kmz {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        let zipped = (|| -> zip::result::ZipResult<()> {
            zip.start_file(
                "doc.kml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )?;
            std::io::Write::write_all(&mut zip, &doc)?;
            zip.finish()?;
            Ok(())
        })();
        zipped.map_err(|e| WriteError::convert(out, &e))?;
        buf.into_inner()
    } else {
        doc
    };
    super::write_atomic(out, &bytes).map_err(|e| WriteError::io(out, &e))
}
