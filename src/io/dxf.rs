//! DXF drawings, as surveyors deliver boundaries (南方CASS and other CAD software).
//!
//! Reading: closed LWPOLYLINE/POLYLINE become polygons (grids, or the layer their CAD layer
//! names: 河流, 水库, ...); open polylines, LINEs and ARCs become lines (rivers); arcs and
//! bulges are approximated within 1 cm. A TEXT/MTEXT inside a polygon, or a block
//! attribute, names the smallest polygon around it (the CAD convention); other block
//! attributes become properties. Text is UTF-8 in DXF 2007 and later, else in the code page
//! the header names (ANSI_936: GB18030), else detected; the reader may choose. Model space
//! only; the CAD layers to read may be chosen. Coordinates with the 3-degree zone number in
//! front of the easting (8 digits) are recognised as CGCS2000 3-degree Gauss-Kruger zones;
//! other drawings need their CRS named (the app asks, the CLI takes `--src-crs`).
//!
//! Writing: one CAD layer per grid level (网格-镇/村/组) with closed polylines, names as
//! TEXT on annotation layers, rivers, reservoirs and the boundary on theirs; every
//! feature's fields travel in XDATA (`GRIDMAP`) so that a drawing gridmap wrote reads back
//! whole.

use super::error::{LoadError, WriteError};
use super::features::{self, Batch, GeomRef, Layer, Pending, out_features};
use super::{ReadOptions, SourceCrs, suggest_crs};
use crate::model::{Crs, InputNote, Project};
use dxf::entities::{self as de, Entity, EntityType};
use dxf::enums::AcadVersion;
use dxf::{Drawing, Point as DPoint, XData, XDataItem};
use geo::{BoundingRect, Contains, Coord, LineString, MultiLineString, Point, Polygon, Rect};
use serde_json::{Map, Value};
use std::path::Path;

/// The largest drawing read.
pub const MAX_DXF_BYTES: u64 = 256 << 20;
/// Arcs and bulges are approximated by chords no farther than this from the arc (metres).
const ARC_TOLERANCE: f64 = 0.01;
/// The most chords one arc becomes.
const MAX_ARC_SEGMENTS: usize = 4096;
/// The most points the arcs and bulges of one polyline become together: a polyline of many
/// bulges shares them (each arc coarser, never fewer than 4 chords).
const MAX_POLYLINE_ARC_POINTS: usize = 65_536;
/// The deepest nesting of `{` groups (102 extension groups, 1002 XDATA control groups)
/// read; real drawings nest one or two deep.
const MAX_DXF_NESTING: usize = 100;
/// The XDATA application that carries gridmap's fields.
const APP: &str = "GRIDMAP";
/// The XDATA field that names the drawing's CRS (on the first feature gridmap wrote).
const CRS_KEY: &str = "gridmap_crs";
/// The XDATA field of a hole: the id of the feature it is a hole of.
const HOLE_KEY: &str = "gridmap_hole_of";

/// The text encoding of a drawing: what the user chose, else UTF-8 from DXF 2007
/// (AC1021) on, else the header's code page (ANSI_936 and kin: GB18030), else UTF-8 when
/// the bytes are valid UTF-8, else GB18030.
fn encoding_of(
    bytes: &[u8],
    chosen: Option<&'static encoding_rs::Encoding>,
) -> &'static encoding_rs::Encoding {
    if let Some(e) = chosen {
        return e;
    }
    let head = &bytes[..bytes.len().min(1 << 16)];
    let text = String::from_utf8_lossy(head);
    let value_after = |var: &str| {
        let mut lines = text.lines().map(str::trim);
        lines.find(|l| *l == var)?;
        lines.next()?;
        lines.next().map(str::to_string)
    };
    if let Some(v) = value_after("$ACADVER")
        && v.len() == 6
        && v.starts_with("AC")
        && v[2..].parse::<u32>().is_ok_and(|n| n >= 1021)
    {
        return encoding_rs::UTF_8;
    }
    if let Some(cp) = value_after("$DWGCODEPAGE") {
        let cp = cp.to_ascii_uppercase();
        if ["ANSI_936", "GB2312", "GBK", "GB18030"].contains(&cp.as_str()) {
            return encoding_rs::GB18030;
        }
        if cp == "ANSI_950" {
            return encoding_rs::BIG5;
        }
    }
    if std::str::from_utf8(bytes).is_ok() {
        encoding_rs::UTF_8
    } else {
        encoding_rs::GB18030
    }
}

fn load(path: &Path, opts: &ReadOptions) -> Result<Drawing, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        LoadError::new(
            path,
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    })?;
    if meta.len() > MAX_DXF_BYTES {
        return Err(LoadError::new(
            path,
            format!("图纸超过 {} MB。", MAX_DXF_BYTES >> 20),
            format!("the drawing is larger than {} MB.", MAX_DXF_BYTES >> 20),
        ));
    }
    let bytes = super::read_file(path)?;
    prescan(path, &bytes)?;
    let encoding = encoding_of(&bytes, opts.encoding);
    let damaged = |e: &dyn std::fmt::Display| {
        LoadError::new(
            path,
            format!("不是有效的 DXF 图纸（或已损坏）：{e}"),
            format!("not a valid DXF drawing (or damaged): {e}"),
        )
    };
    // The dxf crate is not written for hostile input: it runs on its own thread with a
    // stack far deeper than the nesting the pre-scan lets through (it recurses per group),
    // and a panic in it is a damaged file.
    let loaded = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("dxf-reader".into())
            .stack_size(READER_STACK)
            .spawn_scoped(s, || {
                Drawing::load_with_encoding(&mut std::io::Cursor::new(&bytes), encoding)
            })
            .map(|h| h.join())
    });
    match loaded {
        Ok(Ok(Ok(d))) => Ok(d),
        Ok(Ok(Err(e))) => Err(damaged(&e)),
        Ok(Err(_)) => Err(damaged(&"the reader failed")),
        Err(e) => Err(damaged(&e)),
    }
}

/// The reader thread's stack: address space reserved, pages used only as deep as the
/// drawing nests.
const READER_STACK: usize = 256 << 20;

/// What the dxf crate would choke on, found before it reads: `{` groups nested deeper
/// than [`MAX_DXF_NESTING`] (it recurses into each: a stack overflow cannot be caught),
/// and more vertices than [`super::MAX_POINTS`]. A text drawing is read pair by pair (group
/// code, value); a binary one by its `{`/`}` bytes, a bound far above any real nesting
/// that the reader's stack still holds.
fn prescan(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    let too_deep = |n: usize| {
        LoadError::new(
            path,
            format!("图纸中的分组（{{ … }}）嵌套超过 {n} 层，不像真实图纸，未读入。"),
            format!(
                "the drawing's groups ({{ … }}) are nested more than {n} deep; not a real drawing, not read."
            ),
        )
    };
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        const BINARY_NESTING: usize = 100_000;
        let mut depth = 0usize;
        for &b in bytes {
            match b {
                b'{' => {
                    depth += 1;
                    if depth > BINARY_NESTING {
                        return Err(too_deep(BINARY_NESTING));
                    }
                }
                b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        return Ok(());
    }
    let mut lines = bytes.split(|&b| b == b'\n').map(|l| l.trim_ascii());
    let mut depth = 0usize;
    let mut vertices = 0usize;
    while let (Some(code), Some(value)) = (lines.next(), lines.next()) {
        match code {
            b"10" => {
                vertices += 1;
                if vertices > super::MAX_POINTS {
                    return Err(super::too_many_points(path));
                }
            }
            b"102" | b"1002" => {
                if value.starts_with(b"{") {
                    depth += 1;
                    if depth > MAX_DXF_NESTING {
                        return Err(too_deep(MAX_DXF_NESTING));
                    }
                } else if value.starts_with(b"}") {
                    depth = depth.saturating_sub(1);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// One CAD layer of a drawing's model space, for the import dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct CadLayer {
    pub name: String,
    /// How many entities it holds.
    pub entities: usize,
    /// The sheet's frame (图框/TK), not a grid: left out unless asked for by name.
    pub frame: bool,
}

/// The CAD layers of a drawing's model space with how many entities each holds and which
/// are the sheet's frame.
pub fn layers(path: &Path, opts: &ReadOptions) -> Result<Vec<CadLayer>, LoadError> {
    let d = load(path, opts)?;
    let frames = frame_layers(&d);
    let mut out: Vec<CadLayer> = Vec::new();
    for e in d.entities().filter(|e| !e.common.is_in_paper_space) {
        match out.iter_mut().find(|l| l.name == e.common.layer) {
            Some(l) => l.entities += 1,
            None => out.push(CadLayer {
                name: e.common.layer.clone(),
                entities: 1,
                frame: frames.contains(&e.common.layer),
            }),
        }
    }
    Ok(out)
}

/// Whether a CAD layer's name is a frame's: 图框, 图廓, 内框/外框, TK (the pinyin
/// abbreviation CASS and most institutes use), FRAME, BORDER.
fn frame_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let upper = name.to_uppercase();
    [
        "图框",
        "图廓",
        "内框",
        "外框",
        "图幅框",
        "frame",
        "border",
        "tukuang",
    ]
    .iter()
    .any(|k| lower.contains(k))
        || upper == "TK"
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| part == "TK")
}

/// The layers that are the sheet's frame, not grids: named as a frame ([`frame_name`]), or
/// whose only entity is an axis-aligned rectangle around every other closed outline of the
/// drawing, carrying no gridmap fields (a frame drawn on layer 0 parents everything when
/// taken as a polygon). A township's outline is no rectangle, so it stays.
fn frame_layers(d: &Drawing) -> Vec<String> {
    type Outline = (String, Rect<f64>, bool, bool);
    let mut outlines: Vec<Outline> = Vec::new();
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for e in d.entities().filter(|e| !e.common.is_in_paper_space) {
        *counts.entry(e.common.layer.as_str()).or_default() += 1;
        let pts: Vec<Coord<f64>> = match &e.specific {
            EntityType::LwPolyline(l) if l.is_closed() => l
                .vertices
                .iter()
                .map(|v| Coord { x: v.x, y: v.y })
                .collect(),
            EntityType::Polyline(p) if p.is_closed() => {
                p.vertices().map(|v| coord(&v.location)).collect()
            }
            _ => continue,
        };
        let Some(rect) = geo::LineString(pts.clone()).bounding_rect() else {
            continue;
        };
        let mut corners = pts.clone();
        corners.dedup();
        if corners.len() > 1 && corners.first() == corners.last() {
            corners.pop();
        }
        let is_rect = corners.len() == 4
            && corners.iter().all(|c| {
                (c.x == rect.min().x || c.x == rect.max().x)
                    && (c.y == rect.min().y || c.y == rect.max().y)
            });
        outlines.push((
            e.common.layer.clone(),
            rect,
            is_rect,
            xdata_props(e).is_some(),
        ));
    }
    let mut frames: Vec<String> = counts
        .keys()
        .filter(|n| frame_name(n))
        .map(|n| n.to_string())
        .collect();
    for (layer, rect, is_rect, ours) in &outlines {
        let alone = counts.get(layer.as_str()) == Some(&1);
        let others: Vec<&Outline> = outlines.iter().filter(|o| &o.0 != layer).collect();
        let around = !others.is_empty()
            && others.iter().all(|o| {
                o.1.min().x >= rect.min().x
                    && o.1.min().y >= rect.min().y
                    && o.1.max().x <= rect.max().x
                    && o.1.max().y <= rect.max().y
            });
        if alone && *is_rect && !*ours && around && !frames.contains(layer) {
            frames.push(layer.clone());
        }
    }
    frames.sort();
    frames
}

/// How finely an arc is approximated: chords no farther than `tol` from it, and at most
/// `most` of them (4 to [`MAX_ARC_SEGMENTS`]).
#[derive(Clone, Copy)]
struct Chords {
    tol: f64,
    most: usize,
}

/// Points along the arc from `a` to `b` with bulge `bulge` (tan of a quarter of the
/// included angle, positive counter-clockwise), without `a`, ending with `b`.
fn bulge_points(a: Coord<f64>, b: Coord<f64>, bulge: f64, arc: Chords, out: &mut Vec<Coord<f64>>) {
    let d = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
    if bulge.abs() < 1e-12 || !bulge.is_finite() || d == 0.0 {
        out.push(b);
        return;
    }
    let theta = 4.0 * bulge.atan();
    let r = d / (2.0 * (theta / 2.0).sin().abs());
    let (ux, uy) = ((b.x - a.x) / d, (b.y - a.y) / d);
    let off = d / 2.0 * (1.0 - bulge * bulge) / (2.0 * bulge);
    let c = Coord {
        x: (a.x + b.x) / 2.0 - uy * off,
        y: (a.y + b.y) / 2.0 + ux * off,
    };
    let start = (a.y - c.y).atan2(a.x - c.x);
    arc_points(c, r, start, theta, arc, out);
    // End exactly on the vertex.
    if let Some(last) = out.last_mut() {
        *last = b;
    }
}

/// Points of the arc around `c` of radius `r` from angle `start` sweeping `sweep`
/// (radians, signed), without the start point, ending on the end point. The points in
/// between lie at multiples of one angle step per radius (a power-of-two division of the
/// circle, fine enough for the tolerance), so that two arcs of one circle (a village's
/// half circle and its two groups' quarter circles) share their vertices.
fn arc_points(
    c: Coord<f64>,
    r: f64,
    start: f64,
    sweep: f64,
    arc: Chords,
    out: &mut Vec<Coord<f64>>,
) {
    use std::f64::consts::{FRAC_PI_2, TAU};
    let Chords { tol, most } = arc;
    if !(start.is_finite() && sweep.is_finite() && r.is_finite() && r > 0.0) {
        return;
    }
    // Angles from a file can be anything (1e20 degrees): the same arc with its start in
    // one turn and at most one turn of sweep, so the steps below are countable. The angle
    // grid is kept (a turn is a whole number of steps).
    let start = start.rem_euclid(TAU);
    let sweep = sweep.clamp(-TAU, TAU);
    let wanted = if tol >= r {
        FRAC_PI_2
    } else {
        2.0 * (1.0 - tol / r).acos()
    };
    let mut step = FRAC_PI_2;
    while step > wanted && TAU / step < (1u64 << 20) as f64 {
        step /= 2.0;
    }
    // Not more than `most` points on one arc, whatever the radius.
    let most = most.clamp(4, MAX_ARC_SEGMENTS);
    while sweep.abs() / step > most as f64 {
        step *= 2.0;
    }
    let eps = 1e-9;
    let end = start + sweep;
    let at = |t: f64| {
        // Rounded to 0.1 mm, so that arcs whose centres differ in the last bits agree.
        let round = |v: f64| (v * 1e4).round() / 1e4;
        Coord {
            x: round(c.x + r * t.cos()),
            y: round(c.y + r * t.sin()),
        }
    };
    // Never more points than the cap, whatever rounding does to the loop's test.
    let mut left = most + 1;
    if sweep > 0.0 {
        let mut k = (start / step + eps).floor() + 1.0;
        while k * step < end - eps && left > 0 {
            out.push(at(k * step));
            k += 1.0;
            left -= 1;
        }
    } else {
        let mut k = (start / step - eps).ceil() - 1.0;
        while k * step > end + eps && left > 0 {
            out.push(at(k * step));
            k -= 1.0;
            left -= 1;
        }
    }
    out.push(Coord {
        x: c.x + r * end.cos(),
        y: c.y + r * end.sin(),
    });
}

/// A polyline's points with its bulges approximated, and whether it is closed: flagged so
/// (`flagged`, then it ends on its start) or drawn back onto its first vertex.
fn polyline(vertices: &[(Coord<f64>, f64)], flagged: bool, tol: f64) -> (Vec<Coord<f64>>, bool) {
    let mut out = Vec::with_capacity(vertices.len() + 1);
    let Some(&(first, _)) = vertices.first() else {
        return (out, false);
    };
    // The polyline's arcs share one budget of points.
    let bulges = vertices
        .iter()
        .filter(|v| v.1.is_finite() && v.1.abs() >= 1e-12)
        .count()
        .max(1);
    let arc = Chords {
        tol,
        most: MAX_POLYLINE_ARC_POINTS / bulges,
    };
    out.push(first);
    for w in vertices.windows(2) {
        bulge_points(w[0].0, w[1].0, w[0].1, arc, &mut out);
    }
    if flagged && let Some(&(last, bulge)) = vertices.last() {
        bulge_points(last, first, bulge, arc, &mut out);
    }
    let closed = flagged || (vertices.len() >= 4 && vertices.last().map(|l| l.0) == Some(first));
    if closed && out.last() != Some(&first) {
        out.push(first);
    }
    (out, closed)
}

/// MTEXT without its formatting codes: `\P` paragraph breaks, `{\f...;text}` fonts,
/// `\H2;` heights and the like.
fn plain_mtext(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' => {}
            '\\' => match chars.next() {
                Some('P') | Some('p') => out.push(' '),
                Some('~') => out.push(' '),
                Some(c @ ('\\' | '{' | '}')) => out.push(c),
                Some('L' | 'l' | 'O' | 'o' | 'K' | 'k') => {}
                Some(_) => {
                    // A code with a value up to ';' (\f, \H, \C, \W, \Q, \T, \A, \S).
                    for c in chars.by_ref() {
                        if c == ';' {
                            break;
                        }
                    }
                }
                None => {}
            },
            _ => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn coord(p: &DPoint) -> Coord<f64> {
    Coord { x: p.x, y: p.y }
}

/// A text found in the drawing: where, what, how tall, and the block attribute tag.
struct Label {
    at: Coord<f64>,
    text: String,
    height: f64,
    tag: Option<String>,
    layer: String,
}

impl Label {
    /// A TEXT or MTEXT, or a block attribute whose tag means a name (名称, NAME, MC, ...).
    fn is_name(&self) -> bool {
        self.tag.as_deref().is_none_or(|t| {
            features::aliases("name")
                .iter()
                .any(|a| a.eq_ignore_ascii_case(t))
        })
    }
}

/// A shape read from the drawing: its geometry, CAD layer and gridmap's XDATA fields.
type Read<G> = (G, String, Option<Map<String, Value>>);
type Shape = Read<Polygon<f64>>;

/// Polygons by their boxes, with their areas: which polygons hold a point.
struct PolygonIndex<'a> {
    polygons: Vec<&'a Polygon<f64>>,
    areas: Vec<f64>,
    tree: rstar::RTree<
        rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>,
    >,
}

impl<'a> PolygonIndex<'a> {
    fn new(polygons: Vec<&'a Polygon<f64>>) -> Self {
        use rstar::primitives::{GeomWithData, Rectangle};
        let areas = polygons
            .iter()
            .map(|p| geo::Area::unsigned_area(*p))
            .collect();
        let boxes = polygons
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let b = p.bounding_rect()?;
                (b.min().x.is_finite() && b.max().y.is_finite()).then(|| {
                    GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        i,
                    )
                })
            })
            .collect();
        PolygonIndex {
            polygons,
            areas,
            tree: rstar::RTree::bulk_load(boxes),
        }
    }

    /// The polygons that hold `c`.
    fn holding(&self, c: Coord<f64>) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_all_at_point(&[c.x, c.y])
            .map(|g| g.data)
            .filter(move |&i| self.polygons[i].contains(&Point::from(c)))
    }

    /// The smallest polygon that holds `c`.
    fn smallest_holding(&self, c: Coord<f64>) -> Option<usize> {
        self.holding(c)
            .min_by(|&a, &b| self.areas[a].total_cmp(&self.areas[b]).then(a.cmp(&b)))
    }
}

/// The name of each polygon from the texts inside it. Polygons are named smallest first,
/// each text names one polygon, and among the texts inside a polygon the one on the
/// polygon's own CAD layer is taken first, then one whose smallest enclosing polygon it
/// is, then the tallest: so village names on the village layer name the villages even
/// where the village is tiled by its groups, whose names are on the group layer.
fn name_polygons(
    polygons: &[Shape],
    index: &PolygonIndex,
    labels: &[Label],
) -> Vec<Option<String>> {
    let names: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_name()).collect();
    let home: Vec<Option<usize>> = names
        .iter()
        .map(|&t| index.smallest_holding(labels[t].at))
        .collect();
    // Each polygon's candidate texts.
    let mut inside: Vec<Vec<usize>> = vec![Vec::new(); polygons.len()];
    for (k, &t) in names.iter().enumerate() {
        for i in index.holding(labels[t].at) {
            inside[i].push(k);
        }
    }
    let mut order: Vec<usize> = (0..polygons.len()).collect();
    order.sort_by(|&a, &b| index.areas[a].total_cmp(&index.areas[b]));
    let mut taken = vec![false; names.len()];
    let mut out = vec![None; polygons.len()];
    for i in order {
        let layer = &polygons[i].1;
        let best = inside[i]
            .iter()
            .copied()
            .filter(|&k| !taken[k])
            .max_by(|&a, &b| {
                let key = |k: usize| {
                    let l = &labels[names[k]];
                    (l.layer == *layer, home[k] == Some(i))
                };
                key(a)
                    .cmp(&key(b))
                    .then(labels[names[a]].height.total_cmp(&labels[names[b]].height))
                    .then(b.cmp(&a))
            });
        if let Some(k) = best {
            taken[k] = true;
            out[i] = Some(labels[names[k]].text.clone());
        }
    }
    out
}

/// gridmap's fields carried in XDATA: one JSON object split into strings.
fn xdata_props(e: &Entity) -> Option<Map<String, Value>> {
    let x = e.common.x_data.iter().find(|x| x.application_name == APP)?;
    let json: String = x
        .items
        .iter()
        .filter_map(|i| match i {
            XDataItem::Str(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    serde_json::from_str(&json).ok()
}

/// Read a drawing as one batch of features in its own coordinates.
pub(crate) fn read_batch(
    path: &Path,
    opts: &ReadOptions,
    notes: &mut Vec<InputNote>,
    base: usize,
) -> Result<Batch, LoadError> {
    let d = load(path, opts)?;
    let frames = frames_left_out(&d, path, opts, notes);
    let wanted = |layer: &str| {
        !frames.iter().any(|f| f == layer)
            && opts
                .dxf_layers
                .as_ref()
                .is_none_or(|l| l.iter().any(|x| x == layer))
    };
    let mut drawn = Drawn::new(arc_tolerance(&d));
    for e in d.entities() {
        if drawn.points_read > super::MAX_POINTS {
            return Err(super::too_many_points(path));
        }
        if !e.common.is_in_paper_space && wanted(&e.common.layer) {
            drawn.take(e);
        }
    }
    if drawn.points_read > super::MAX_POINTS {
        return Err(super::too_many_points(path));
    }
    let skipped = drawn.skipped_list();
    if let Some(list) = &skipped {
        notes.push(InputNote {
            feature_id: String::new(),
            layer: Layer::Grid.name(),
            zh: format!("{}：未读取的图元（不是边界线）：{list}", path.display()),
            en: format!(
                "{}: entities not read (not outlines): {list}",
                path.display()
            ),
            fatal: false,
            at: None,
        });
    }
    let mut made = Assembly::new(&opts.fields, base);
    made.polygons(drawn.polygons, drawn.labels);
    made.lines(drawn.lines);
    made.points(drawn.points);
    if made.pending.is_empty() {
        return Err(nothing_to_read(path, opts, skipped.as_deref()));
    }
    let mut batch = Batch {
        path: path.to_path_buf(),
        crs: made.named_crs.map(SourceCrs::Epsg),
        crs_required: true,
        name: path.file_stem().map(|s| s.to_string_lossy().to_string()),
        pending: made.pending,
        settings: made.settings,
    };
    // 8-digit eastings carry the 3-degree zone: the CRS is known.
    if opts.source_crs.is_none()
        && batch.crs.is_none()
        && let Some((_, c)) = features::first_coord(&mut batch.pending)
        && c.x >= 1.0e7
        && let Some(crs) = suggest_crs(c)
    {
        batch.crs = Some(SourceCrs::Epsg(crs));
    }
    Ok(batch)
}

/// The frame layers not read (a frame layer is read only when named), each with a note.
fn frames_left_out(
    d: &Drawing,
    path: &Path,
    opts: &ReadOptions,
    notes: &mut Vec<InputNote>,
) -> Vec<String> {
    let frames = if opts.dxf_layers.is_none() {
        frame_layers(d)
    } else {
        Vec::new()
    };
    for f in &frames {
        notes.push(InputNote {
            feature_id: String::new(),
            layer: Layer::Grid.name(),
            zh: format!(
                "{}：CAD 图层「{f}」是图框，未读入；如需读入，请在 --dxf-layers 中写明。",
                path.display()
            ),
            en: format!(
                "{}: CAD layer \"{f}\" is the sheet's frame and was left out; name it in --dxf-layers to read it.",
                path.display()
            ),
            fatal: false,
            at: None,
        });
    }
    frames
}

/// The chord tolerance of arcs and bulges: a first coordinate decides whether the drawing
/// is in degrees.
fn arc_tolerance(d: &Drawing) -> f64 {
    let degrees = d
        .entities()
        .find_map(|e| match &e.specific {
            EntityType::LwPolyline(l) => l.vertices.first().map(|v| Coord { x: v.x, y: v.y }),
            EntityType::Line(l) => Some(coord(&l.p1)),
            _ => None,
        })
        .is_some_and(|c| c.x.abs() <= 180.0 && c.y.abs() <= 90.0);
    if degrees { 1e-7 } else { ARC_TOLERANCE }
}

/// The error for a drawing with nothing to read, naming the chosen layers and what was
/// skipped.
fn nothing_to_read(path: &Path, opts: &ReadOptions, skipped: Option<&str>) -> LoadError {
    let (zh_skipped, en_skipped) = match skipped {
        None => (String::new(), String::new()),
        Some(list) => (
            format!("（有未读取的图元：{list}）"),
            format!(" (entities not read: {list})"),
        ),
    };
    let (zh_layers, en_layers) = match &opts.dxf_layers {
        Some(l) => (
            format!("所选图层 {} 中", l.join("、")),
            format!(" on the chosen layers {}", l.join(", ")),
        ),
        None => (String::new(), String::new()),
    };
    LoadError::new(
        path,
        format!(
            "图纸模型空间{zh_layers}没有多段线、直线、圆弧或点，没有可读入的网格、河流或其他要素{zh_skipped}。"
        ),
        format!(
            "the drawing's model space{en_layers} holds no polylines, lines, arcs or points: no grids, rivers or other features to read{en_skipped}."
        ),
    )
}

/// What the model space's entities on the wanted layers became, by kind.
struct Drawn {
    /// Chord tolerance of arcs and bulges.
    tol: f64,
    polygons: Vec<Shape>,
    lines: Vec<Read<LineString<f64>>>,
    labels: Vec<Label>,
    points: Vec<Read<Coord<f64>>>,
    /// Entities that are not outlines: kind and count, in the order first met.
    skipped: Vec<(&'static str, usize)>,
    /// Every point the drawing becomes counts against super::MAX_POINTS.
    points_read: usize,
}

impl Drawn {
    fn new(tol: f64) -> Self {
        Drawn {
            tol,
            polygons: Vec::new(),
            lines: Vec::new(),
            labels: Vec::new(),
            points: Vec::new(),
            skipped: Vec::new(),
            points_read: 0,
        }
    }

    fn skip(&mut self, kind: &'static str) {
        match self.skipped.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.skipped.push((kind, 1)),
        }
    }

    /// The entities skipped, as a note lists them; None when none was.
    fn skipped_list(&self) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            self.skipped
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    /// A polygon when closed with at least 4 points, else a line of 2 or more.
    fn shape(&mut self, e: &Entity, pts: Vec<Coord<f64>>, closed: bool) {
        self.points_read += pts.len();
        let layer = e.common.layer.clone();
        if closed && pts.len() >= 4 {
            let p = Polygon::new(LineString(pts), vec![]);
            self.polygons.push((p, layer, xdata_props(e)));
        } else if pts.len() >= 2 {
            self.lines.push((LineString(pts), layer, xdata_props(e)));
        }
    }

    fn label(&mut self, e: &Entity, at: Coord<f64>, text: String, height: f64) {
        self.labels.push(Label {
            at,
            text,
            height,
            tag: None,
            layer: e.common.layer.clone(),
        });
    }

    /// Take one entity of the model space.
    fn take(&mut self, e: &Entity) {
        let tol = self.tol;
        match &e.specific {
            EntityType::LwPolyline(l) => {
                let v: Vec<(Coord<f64>, f64)> = l
                    .vertices
                    .iter()
                    .map(|v| (Coord { x: v.x, y: v.y }, v.bulge))
                    .collect();
                let (pts, closed) = polyline(&v, l.is_closed(), tol);
                self.shape(e, pts, closed);
            }
            // Meshes and polyface meshes are not outlines.
            EntityType::Polyline(p) if p.flags & (16 | 64) != 0 => self.skip("POLYLINE mesh"),
            EntityType::Polyline(p) => {
                let v: Vec<(Coord<f64>, f64)> = p
                    .vertices()
                    .map(|v| (coord(&v.location), v.bulge))
                    .collect();
                let (pts, closed) = polyline(&v, p.is_closed(), tol);
                self.shape(e, pts, closed);
            }
            EntityType::Line(l) => self.shape(e, vec![coord(&l.p1), coord(&l.p2)], false),
            EntityType::Arc(a) => self.shape(e, arc_entity(a, tol), false),
            EntityType::Text(t) => {
                let at = if t.horizontal_text_justification as i32 != 0
                    || t.vertical_text_justification as i32 != 0
                {
                    coord(&t.second_alignment_point)
                } else {
                    coord(&t.location)
                };
                self.label(e, at, t.value.trim().to_string(), t.text_height);
            }
            EntityType::MText(t) => {
                let mut s = t.text.clone();
                s.extend(t.extended_text.iter().map(String::as_str));
                let at = coord(&t.insertion_point);
                self.label(e, at, plain_mtext(&s), t.initial_text_height);
            }
            EntityType::Insert(i) => {
                for a in i.attributes() {
                    self.labels.push(Label {
                        at: if a.location.x == 0.0 && a.location.y == 0.0 {
                            coord(&i.location)
                        } else {
                            coord(&a.location)
                        },
                        text: a.value.trim().to_string(),
                        height: a.text_height,
                        tag: Some(a.attribute_tag.trim().to_string()),
                        layer: e.common.layer.clone(),
                    });
                }
            }
            EntityType::ModelPoint(p) => {
                let props = xdata_props(e);
                let layer = &e.common.layer;
                if props.is_some() || Layer::parse(layer) == Some(Layer::Village) {
                    self.points.push((coord(&p.location), layer.clone(), props));
                } else {
                    self.skip("POINT");
                }
            }
            EntityType::Circle(_) => self.skip("CIRCLE"),
            EntityType::Spline(_) => self.skip("SPLINE"),
            EntityType::Ellipse(_) => self.skip("ELLIPSE"),
            _ => {}
        }
    }
}

/// The points of an ARC entity: angles in degrees, any number of turns (1e20 is one angle
/// too).
fn arc_entity(a: &de::Arc, tol: f64) -> Vec<Coord<f64>> {
    let start = a.start_angle.rem_euclid(360.0).to_radians();
    let mut sweep = a.end_angle.rem_euclid(360.0).to_radians() - start;
    if sweep <= 0.0 {
        sweep += 2.0 * std::f64::consts::PI;
    }
    let c = coord(&a.center);
    let mut pts = vec![Coord {
        x: c.x + a.radius * start.cos(),
        y: c.y + a.radius * start.sin(),
    }];
    let arc = Chords {
        tol,
        most: MAX_ARC_SEGMENTS,
    };
    arc_points(c, a.radius, start, sweep, arc, &mut pts);
    pts
}

/// Features made from what a drawing holds, with the CRS and settings a drawing gridmap
/// wrote names. Parts of one feature gridmap wrote (a multipolygon's parts, a river's
/// lines) carry the same id and become one feature again.
struct Assembly<'a> {
    fields: &'a crate::model::FieldMap,
    pending: Vec<Pending>,
    by_id: std::collections::HashMap<String, usize>,
    /// The number of the last feature (features of earlier files counted).
    n: usize,
    named_crs: Option<Crs>,
    settings: Option<Map<String, Value>>,
}

impl<'a> Assembly<'a> {
    fn new(fields: &'a crate::model::FieldMap, base: usize) -> Self {
        Assembly {
            fields,
            pending: Vec::new(),
            by_id: Default::default(),
            n: base,
            named_crs: None,
            settings: None,
        }
    }

    /// Take the CRS and settings out of a feature's fields (the first ones found count).
    fn take_crs(&mut self, props: &mut Map<String, Value>) {
        if let Some(c) = props.remove(CRS_KEY).and_then(|v| {
            v.as_str()
                .and_then(|t| t.strip_prefix("EPSG:")?.parse().ok())
                .map(Crs::epsg)
        }) {
            self.named_crs.get_or_insert(c);
        }
        if let Some(Value::Object(s)) = props.remove(features::SETTINGS_KEY) {
            self.settings.get_or_insert(s);
        }
    }

    fn next_id(&mut self, kind: Layer, props: &Map<String, Value>) -> String {
        self.n += 1;
        features::feature_id(kind, None, props, self.fields, self.n)
    }

    /// Closed outlines: named by the labels inside them, holes put into the feature they
    /// name, nested into levels.
    fn polygons(&mut self, polygons: Vec<Shape>, mut labels: Vec<Label>) {
        labels.retain(|l| !l.text.is_empty() && l.at.x.is_finite() && l.at.y.is_finite());
        let index = PolygonIndex::new(polygons.iter().map(|s| &s.0).collect());
        let names = name_polygons(&polygons, &index, &labels);
        // Other block attributes go to the smallest polygon that holds them.
        let mut attributes: Vec<Map<String, Value>> = vec![Map::new(); polygons.len()];
        for l in labels.iter().filter(|l| !l.is_name()) {
            if let (Some(i), Some(tag)) = (index.smallest_holding(l.at), &l.tag) {
                attributes[i].insert(tag.clone(), l.text.clone().into());
            }
        }
        drop(index);
        let mut holes: Vec<(String, LineString<f64>)> = Vec::new();
        for ((poly, layer, xdata), (name, attrs)) in
            polygons.into_iter().zip(names.into_iter().zip(attributes))
        {
            let mut props = xdata.unwrap_or_default();
            self.take_crs(&mut props);
            if let Some(Value::String(of)) = props.get(HOLE_KEY) {
                holes.push((of.clone(), poly.into_inner().0));
                continue;
            }
            let from_xdata = !props.is_empty();
            if !from_xdata {
                props = attrs;
                if let Some(name) = name {
                    props.insert("name".into(), name.into());
                }
                props.insert("cad_layer".into(), layer.clone().into());
            }
            let kind = props
                .remove("layer")
                .and_then(|v| v.as_str().and_then(Layer::parse))
                .or_else(|| Layer::parse(&layer).filter(|l| *l != Layer::River))
                .unwrap_or(Layer::Grid);
            let id = self.next_id(kind, &props);
            let read = (kind, id, props, geo::Geometry::Polygon(poly));
            add_feature(&mut self.pending, &mut self.by_id, from_xdata, read);
        }
        self.holes(holes);
        nest(&mut self.pending);
    }

    /// Holes gridmap wrote, each into the part of the feature it names that holds it.
    fn holes(&mut self, holes: Vec<(String, LineString<f64>)>) {
        for (of, ring) in holes {
            let Some(geo::Geometry::MultiPolygon(mp)) = self
                .by_id
                .get(&of)
                .and_then(|&i| self.pending[i].geometry.as_mut())
            else {
                continue;
            };
            let Some(&first) = ring.0.first() else {
                continue;
            };
            if let Some(part) =
                mp.0.iter_mut()
                    .find(|p| p.contains(&Point::from(first)) || p.exterior().0.contains(&first))
            {
                part.interiors_push(ring);
            }
        }
    }

    /// Open lines: rivers.
    fn lines(&mut self, lines: Vec<Read<LineString<f64>>>) {
        for (line, layer, xdata) in lines {
            let mut props = xdata.unwrap_or_default();
            self.take_crs(&mut props);
            let from_xdata = !props.is_empty();
            if !from_xdata {
                props.insert("cad_layer".into(), layer.into());
            }
            props.remove("layer");
            let id = self.next_id(Layer::River, &props);
            let read = (Layer::River, id, props, geo::Geometry::LineString(line));
            add_feature(&mut self.pending, &mut self.by_id, from_xdata, read);
        }
    }

    /// Points: villages.
    fn points(&mut self, points: Vec<Read<Coord<f64>>>) {
        for (at, layer, xdata) in points {
            let mut props = xdata.unwrap_or_default();
            self.take_crs(&mut props);
            if props.is_empty() {
                props.insert("cad_layer".into(), layer.into());
            }
            props.remove("layer");
            let id = self.next_id(Layer::Village, &props);
            self.pending.push(Pending {
                layer: Layer::Village,
                id,
                props,
                geometry: Some(geo::Geometry::Point(Point::from(at))),
            });
        }
    }
}

/// Add a feature read from the drawing: a new one, or (a part of a feature gridmap wrote,
/// known by its id) one more part of the feature read before.
fn add_feature(
    pending: &mut Vec<Pending>,
    by_id: &mut std::collections::HashMap<String, usize>,
    from_xdata: bool,
    (layer, id, props, part): (Layer, String, Map<String, Value>, geo::Geometry<f64>),
) {
    if from_xdata && let Some(&i) = by_id.get(&id) {
        match (&mut pending[i].geometry, part) {
            (Some(geo::Geometry::MultiPolygon(mp)), geo::Geometry::Polygon(p)) => mp.0.push(p),
            (Some(geo::Geometry::MultiLineString(ml)), geo::Geometry::LineString(l)) => {
                ml.0.push(l)
            }
            _ => {}
        }
        return;
    }
    if from_xdata {
        by_id.insert(id.clone(), pending.len());
    }
    let geometry = match part {
        geo::Geometry::Polygon(p) => geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![p])),
        geo::Geometry::LineString(l) => geo::Geometry::MultiLineString(MultiLineString(vec![l])),
        other => other,
    };
    pending.push(Pending {
        layer,
        id,
        props,
        geometry: Some(geometry),
    });
}

/// Levels and parents of the grids read from CAD layers (not from gridmap's XDATA): a
/// polygon inside a larger polygon of another CAD layer (a group inside its village) is its
/// child. The deepest nesting ends at level 3: villages alone are level 2, villages with
/// groups 2 and 3, a town around them 1.
fn nest(pending: &mut [Pending]) {
    let cad: Vec<usize> = (0..pending.len())
        .filter(|&i| {
            let p = &pending[i];
            p.layer == Layer::Grid
                && p.props.contains_key("cad_layer")
                && !p.props.contains_key("level")
                && !p.props.contains_key("parent")
        })
        .collect();
    let shape = |i: usize| match &pending[i].geometry {
        Some(geo::Geometry::MultiPolygon(mp)) => Some(mp),
        _ => None,
    };
    let area: Vec<f64> = cad
        .iter()
        .map(|&i| shape(i).map_or(0.0, geo::Area::unsigned_area))
        .collect();
    // Every part of every polygon, indexed, with the polygon it belongs to.
    let mut owner = Vec::new();
    let mut parts = Vec::new();
    for (a, &i) in cad.iter().enumerate() {
        for part in shape(i).into_iter().flat_map(|mp| &mp.0) {
            owner.push(a);
            parts.push(part);
        }
    }
    let index = PolygonIndex::new(parts);
    let layer = |i: usize| pending[i].props.get("cad_layer").cloned();
    let mut parent: Vec<Option<usize>> = vec![None; cad.len()];
    for (a, &i) in cad.iter().enumerate() {
        let Some(inside) = shape(i).and_then(crate::geom::label_point) else {
            continue;
        };
        parent[a] = index
            .holding(inside)
            .map(|k| owner[k])
            .filter(|&b| area[b] > area[a] && layer(cad[b]) != layer(i))
            .min_by(|&x, &y| area[x].total_cmp(&area[y]).then(x.cmp(&y)));
    }
    let depth = |mut a: usize| {
        let mut d = 0u32;
        while let Some(b) = parent[a] {
            d += 1;
            a = b;
        }
        d
    };
    let depths: Vec<u32> = (0..cad.len()).map(depth).collect();
    let Some(&deepest) = depths.iter().max() else {
        return;
    };
    let top = 3u32.saturating_sub(deepest).clamp(1, 2);
    for (a, &i) in cad.iter().enumerate() {
        let level = (top + depths[a]).min(255);
        let parent_id = parent[a].map(|b| pending[cad[b]].id.clone());
        let props = &mut pending[i].props;
        props.insert("level".into(), level.into());
        if let Some(id) = parent_id {
            props.insert("parent".into(), id.into());
        }
    }
}

// ---------------------------------------------------------------- writing

/// The CAD layer of a feature, and of its name.
fn cad_layer(layer: Layer, level: u8) -> (&'static str, &'static str) {
    match (layer, level) {
        (Layer::Grid, 0 | 1) => ("网格-镇级", "注记-镇级"),
        (Layer::Grid, 2) => ("网格-村级", "注记-村级"),
        (Layer::Grid, _) => ("网格-组级", "注记-组级"),
        (Layer::Boundary, _) => ("行政边界", "注记-边界"),
        (Layer::River, _) => ("河流", "注记-河流"),
        (Layer::Reservoir, _) => ("水库", "注记-水库"),
        (Layer::Village, _) => ("自然村", "注记-自然村"),
    }
}

/// ACI colours by CAD layer: town red, village orange... rivers blue.
fn layer_colour(name: &str) -> u8 {
    match name {
        "网格-镇级" | "注记-镇级" => 1,
        "网格-村级" | "注记-村级" => 30,
        "网格-组级" | "注记-组级" => 3,
        "河流" | "水库" | "注记-河流" | "注记-水库" => 5,
        _ => 7,
    }
}

/// The fields as XDATA strings of at most 250 bytes (DXF allows 255); the CRS and the
/// project settings (`head`) on the first feature written.
fn xdata(
    layer: Layer,
    props: &Map<String, Value>,
    head: Option<(Crs, &Map<String, Value>)>,
) -> XData {
    let mut all = props.clone();
    all.insert("layer".into(), layer.name().into());
    if let Some((c, settings)) = head {
        all.insert(CRS_KEY.into(), c.authority().into());
        if !settings.is_empty() {
            all.insert(
                features::SETTINGS_KEY.into(),
                Value::Object(settings.clone()),
            );
        }
    }
    // A backslash goes as the JSON escape \u005c: a text holding `\U+4E2D` must not be
    // taken for the drawing's own escape of a character outside the code page (the writer
    // and the reader decode those). serde_json writes a backslash only as `\\`.
    let json = Value::Object(all).to_string().replace("\\\\", "\\u005c");
    let mut items = Vec::new();
    let mut rest = json.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len().min(250);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        items.push(XDataItem::Str(rest[..cut].to_string()));
        rest = &rest[cut..];
    }
    XData {
        application_name: APP.into(),
        items,
    }
}

/// A text for a DXF group value: one line (a line break would end the value and break the
/// drawing), no control characters.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn lwpolyline(pts: &[Coord<f64>], closed: bool) -> de::LwPolyline {
    let mut l = de::LwPolyline::default();
    let n = if closed && pts.len() > 1 && pts.first() == pts.last() {
        pts.len() - 1
    } else {
        pts.len()
    };
    l.vertices = pts[..n]
        .iter()
        .map(|c| dxf::LwPolylineVertex {
            x: c.x,
            y: c.y,
            ..Default::default()
        })
        .collect();
    l.set_is_closed(closed);
    l
}

/// The project as a DXF drawing in the project's CRS: AutoCAD 2004 format in code page
/// ANSI_936 (GBK, what 南方CASS and AutoCAD on Chinese Windows write; GDAL reads it by
/// `$DWGCODEPAGE`), characters outside GBK as `\U+XXXX`.
pub fn to_dxf(project: &Project) -> Result<Vec<u8>, super::ExportError> {
    let mut d = Drawing::new();
    d.header.version = AcadVersion::R2004;
    d.header.drawing_code_page = "ANSI_936".into();
    d.add_app_id(dxf::tables::AppId {
        name: APP.into(),
        ..Default::default()
    });
    let mut made: Vec<&'static str> = Vec::new();
    let mut crs = Some((project.crs, &project.settings));
    let levels: std::collections::HashMap<&str, u8> = project
        .grids
        .iter()
        .map(|g| (g.id.as_str(), g.level))
        .collect();
    for f in out_features(project, None) {
        let level = levels.get(f.id).copied().unwrap_or(3);
        let (layer, note_layer) = cad_layer(f.layer, level);
        for l in [layer, note_layer] {
            if !made.contains(&l) {
                made.push(l);
                d.add_layer(dxf::tables::Layer {
                    name: l.into(),
                    color: dxf::Color::from_index(layer_colour(l)),
                    ..Default::default()
                });
            }
        }
        let mut props = f.props.clone();
        props.insert("id".into(), f.id.into());
        let mut hole = Map::new();
        hole.insert(HOLE_KEY.into(), f.id.into());
        let mut add = |specific: EntityType, on: &str, data: Option<&Map<String, Value>>| {
            let mut e = Entity::new(specific);
            e.common.layer = on.into();
            if let Some(p) = data {
                e.common.x_data.push(xdata(f.layer, p, crs.take()));
            }
            d.add_entity(e);
        };
        let name = f
            .props
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        match f.geometry {
            GeomRef::Polygons(mp) => {
                for p in &mp.0 {
                    add(
                        EntityType::LwPolyline(lwpolyline(&p.exterior().0, true)),
                        layer,
                        Some(&props),
                    );
                    for h in p.interiors() {
                        add(
                            EntityType::LwPolyline(lwpolyline(&h.0, true)),
                            layer,
                            Some(&hole),
                        );
                    }
                }
                // The name inside the largest part, sized to it.
                if let Some(name) = name
                    && let Some(big) = mp.0.iter().max_by(|a, b| {
                        geo::Area::unsigned_area(*a).total_cmp(&geo::Area::unsigned_area(*b))
                    })
                    && let Some((c, r)) =
                        crate::geom::inscribed_label(&geo::MultiPolygon(vec![big.clone()]))
                {
                    {
                        let height = (r / 3.0).clamp(0.5, 200.0);
                        let chars = name.chars().count().max(1) as f64;
                        let text = de::Text {
                            location: DPoint::new(
                                c.x - height * chars / 2.0,
                                c.y - height / 2.0,
                                0.0,
                            ),
                            text_height: height,
                            value: one_line(&name),
                            ..Default::default()
                        };
                        add(EntityType::Text(text), note_layer, None);
                    }
                }
            }
            GeomRef::Lines(ml) => {
                for l in &ml.0 {
                    add(
                        EntityType::LwPolyline(lwpolyline(&l.0, false)),
                        layer,
                        Some(&props),
                    );
                }
            }
            GeomRef::Point(p) if p.x().is_finite() => {
                let pt = de::ModelPoint {
                    location: DPoint::new(p.x(), p.y(), 0.0),
                    ..Default::default()
                };
                add(EntityType::ModelPoint(pt), layer, Some(&props));
                if let Some(name) = name {
                    let text = de::Text {
                        location: DPoint::new(p.x() + 2.0, p.y(), 0.0),
                        text_height: 5.0,
                        value: one_line(&name),
                        ..Default::default()
                    };
                    add(EntityType::Text(text), note_layer, None);
                }
            }
            GeomRef::Point(_) => {}
        }
    }
    let mut ascii = Vec::new();
    d.save(&mut ascii)?;
    Ok(to_code_page(&ascii))
}

/// The drawing as the dxf crate writes it before DXF 2007 (ASCII, every other character
/// escaped as `\U+XXXX`) in GBK: escapes of characters GBK has become their two bytes.
fn to_code_page(ascii: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ascii.len());
    let mut i = 0;
    while i < ascii.len() {
        if ascii[i..].starts_with(b"\\U+")
            && let Some(hex) = ascii.get(i + 3..i + 7)
            && let Some(c) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
        {
            let mut buf = [0u8; 4];
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
            if !unmappable {
                out.extend_from_slice(&bytes);
                i += 7;
                continue;
            }
        }
        out.push(ascii[i]);
        i += 1;
    }
    out
}

/// Write the project as a DXF drawing (atomically).
pub fn write(project: &Project, out: &Path) -> Result<(), WriteError> {
    let bytes = to_dxf(project).map_err(|e| WriteError::convert(out, &e))?;
    super::write_atomic(out, &bytes).map_err(|e| WriteError::io(out, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_circle_bulge_stays_within_a_centimetre() {
        let mut pts = vec![Coord { x: 0.0, y: 0.0 }];
        bulge_points(
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 100.0, y: 0.0 },
            1.0,
            Chords {
                tol: ARC_TOLERANCE,
                most: MAX_ARC_SEGMENTS,
            },
            &mut pts,
        );
        // Bulge 1 counter-clockwise from (0,0) to (100,0): the arc below, centre (50, 0).
        for w in pts.windows(2) {
            let mid = Coord {
                x: (w[0].x + w[1].x) / 2.0,
                y: (w[0].y + w[1].y) / 2.0,
            };
            let r = ((mid.x - 50.0).powi(2) + mid.y.powi(2)).sqrt();
            assert!(50.0 - r <= ARC_TOLERANCE + 1e-9, "sagitta {}", 50.0 - r);
        }
        assert!(pts.iter().all(|c| c.y <= 1e-9), "{pts:?}");
        assert_eq!(*pts.last().unwrap(), Coord { x: 100.0, y: 0.0 });
    }

    #[test]
    fn mtext_codes_are_removed() {
        assert_eq!(
            plain_mtext(r"{\fSimSun|b0|i0|c134;\H2.5;东村}\P一组"),
            "东村 一组"
        );
    }

    #[test]
    fn the_code_page_decides_the_encoding() {
        let r2000 =
            b"0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1015\n9\n$DWGCODEPAGE\n3\nANSI_936\n";
        assert_eq!(encoding_of(r2000, None), encoding_rs::GB18030);
        let r2013 =
            b"0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1027\n9\n$DWGCODEPAGE\n3\nANSI_936\n";
        assert_eq!(encoding_of(r2013, None), encoding_rs::UTF_8);
    }
}
