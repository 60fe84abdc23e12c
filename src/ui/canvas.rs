//! The map canvas: painting the layers and findings; the active tool then takes the
//! frame's pointer and keyboard input (`tools.rs`).

use super::{GridmapApp, LayerKind};
use crate::audit::{Finding, Kind};
use crate::document::Document;
use egui::{Color32, Mesh, Pos2, Sense, Shape, Stroke};
use geo::{Coord, InteriorPoint, LineString, MultiPolygon};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Pastel fills; neighbours get different ones (greedy colouring over shared edges).
const PALETTE: [Color32; 8] = [
    Color32::from_rgb(0xf4, 0xd6, 0xa0),
    Color32::from_rgb(0xbf, 0xe3, 0xb4),
    Color32::from_rgb(0xc6, 0xd8, 0xf0),
    Color32::from_rgb(0xf2, 0xc4, 0xce),
    Color32::from_rgb(0xe0, 0xd0, 0xf0),
    Color32::from_rgb(0xd8, 0xe8, 0xa8),
    Color32::from_rgb(0xf7, 0xe1, 0xc8),
    Color32::from_rgb(0xb8, 0xe0, 0xdc),
];
const FAULT: Color32 = Color32::from_rgb(0xd6, 0x27, 0x28);

/// What the canvas keeps between frames: label points, triangulated findings and
/// reservoirs. Brought up to date from the document's change sets, so an edit costs what it
/// touched; a new document starts it afresh.
#[derive(Default)]
pub struct CanvasCache {
    revision: u64,
    /// Label point of each grid by key, found when the grid is first labelled.
    labels: FxHashMap<u32, Option<Coord<f64>>>,
    /// Findings with an area or lines: their triangles and envelope, by the finding's
    /// address (the entry holds the finding, so it lives as long as the entry).
    findings: FxHashMap<usize, FindingShape>,
    reservoirs: Option<Vec<Vec<[Coord<f64>; 3]>>>,
    /// The neighbouring townships' grids a county pull brought along (read only).
    neighbours: Option<Vec<MultiPolygon<f64>>>,
    /// The outlines of grids too small to outline one by one, drawn into a texture.
    net: Option<OutlineNet>,
    net_job: Option<NetJob>,
    /// The meshes of the leaf grids of the visible levels, for the nets, and the document
    /// revision and levels they are of.
    leaves: Option<((u64, [bool; 4]), Leaves)>,
    /// Grids of many vertices thinned for a zoom step, by key.
    thin: FxHashMap<u32, Thin>,
    /// The fills as last made, for frames that pan or zoom within a step.
    fills: Option<Fills>,
    /// The outlines of the wide grids as last made, for frames that only pan, and the
    /// document revision they were last made for.
    outlines: Option<Outlines>,
    outlines_seen: u64,
}

/// The outlines of the wide grids made for one zoom with a margin around the view.
struct Outlines {
    key: (u64, [bool; 4], f64, Color32),
    covers: geo::Rect<f64>,
    at: Coord<f64>,
    screen: Pos2,
    shapes: Vec<Shape>,
}

/// The grids' fills made for one view, covering it with a margin: a frame that pans or
/// zooms within them moves and scales the mesh instead of making it again.
struct Fills {
    key: (u64, [bool; 4], u32),
    /// The zoom step they were made for, when they hold a grid of more than [`THIN_FROM`]
    /// vertices (drawn thinned at some steps); fills of small grids only are exact at any
    /// scale.
    step: Option<i32>,
    scale: f64,
    covers: geo::Rect<f64>,
    /// Where the world point `at` was on the screen when the mesh was made.
    at: Coord<f64>,
    screen: Pos2,
    mesh: Arc<Mesh>,
}

/// A grid's polygons without the vertices closer than half a point at the finest scale of a
/// zoom step, for grids of thousands of vertices: what shows is the same to the pixel, at a
/// fraction of the points. The grid's outline is drawn from them at every scale of the step
/// (a zoom within the step or a pan transforms a few hundred points instead of thinning
/// thousands again) and, where the grid is small on the screen, its fill. Made again when
/// the zoom step changes; forgotten when the grid changes (the document's change journal).
struct Thin {
    step: i32,
    polygons: Vec<geo::Polygon<f64>>,
    /// The polygons triangulated, relative to the grid mesh's origin (made on first use).
    fill: Option<CoarseFill>,
}

struct CoarseFill {
    vertices: Vec<[f32; 2]>,
    triangles: Vec<u32>,
}

/// Grids whose mesh has more vertices than this are drawn from their [`Thin`] polygons.
const THIN_FROM: usize = 256;

/// Whether a grid is drawn from its [`Thin`] polygons (at the scales where it is small on
/// the screen, for its fill).
fn drawn_thinned(m: &crate::document::GridMesh) -> bool {
    m.vertices.len() > THIN_FROM
}

/// Fills made for one scale are scaled up for views zoomed in at most this much further.
const FILLS_ZOOM_IN: f64 = 2.0;

/// A view showing at least this part of the map's area (its inverse) gets fills of the
/// whole map.
const FILLS_WHOLE_MAP: f64 = 4.0;

/// The zoom step of a scale (points per metre): powers of two.
fn zoom_step(scale: f64) -> i32 {
    scale.log2().floor() as i32
}

/// A ring without the vertices closer than `tol` to the last one kept.
fn thin_ring(ls: &LineString<f64>, tol: f64) -> LineString<f64> {
    LineString(thinned(ls.0.iter().copied(), |q: Coord<f64>, c| {
        (c.x - q.x).powi(2) + (c.y - q.y).powi(2) < tol * tol
    }))
}

/// The polygon without the vertices closer than `tol` to the last one kept.
fn thin_polygon(p: &geo::Polygon<f64>, tol: f64) -> geo::Polygon<f64> {
    geo::Polygon::new(
        thin_ring(p.exterior(), tol),
        p.interiors().iter().map(|r| thin_ring(r, tol)).collect(),
    )
}

impl Thin {
    fn of(mp: &MultiPolygon<f64>, step: i32) -> Thin {
        // Half a point at the step's finest scale, 2^(step + 1) points a metre.
        let tol = 0.25 / 2f64.powi(step);
        Thin {
            step,
            polygons: mp.0.iter().map(|p| thin_polygon(p, tol)).collect(),
            fill: None,
        }
    }

    /// The fill, relative to `origin` (the grid mesh's): the polygons thinned again to half
    /// a point at the step's coarsest scale (under the outline's stroke, a fill needs no
    /// more), triangulated.
    fn fill(&mut self, origin: Coord<f64>) -> &CoarseFill {
        let tol = 0.5 / 2f64.powi(self.step);
        self.fill.get_or_insert_with(|| {
            use geo::TriangulateEarcut;
            let mut vertices = Vec::new();
            let mut triangles = Vec::new();
            for poly in &self.polygons {
                let raw = thin_polygon(poly, tol).earcut_triangles_raw();
                let base = vertices.len() as u32;
                vertices.extend(
                    raw.vertices
                        .iter()
                        .map(|v| [(v[0] - origin.x) as f32, (v[1] - origin.y) as f32]),
                );
                triangles.extend(raw.triangle_indices.iter().map(|&i| base + i as u32));
            }
            CoarseFill {
                vertices,
                triangles,
            }
        })
    }
}

/// The outlines of every small grid rasterised once for a zoom level (one pixel wide), so a
/// map of 100,000 grids seen whole shows its cells, and panning costs one textured quad.
struct OutlineNet {
    key: NetKey,
    place: NetPlace,
    texture: egui::TextureHandle,
}

impl OutlineNet {
    fn new(ctx: &egui::Context, key: NetKey, place: NetPlace, image: egui::ColorImage) -> Self {
        let texture = ctx.load_texture("grid-outline-net", image, egui::TextureOptions::NEAREST);
        OutlineNet {
            key,
            place,
            texture,
        }
    }
}

/// Where a net's image lies: the world position of its top left corner, the area it
/// covers, its size in pixels.
#[derive(Clone, Copy)]
struct NetPlace {
    origin: Coord<f64>,
    covers: geo::Rect<f64>,
    size: [usize; 2],
}

/// What a net was drawn for: the document's revision, the zoom and the visible levels.
#[derive(Clone, Copy, PartialEq)]
struct NetKey {
    revision: u64,
    scale: f64,
    levels: [bool; 4],
}

/// The meshes of the leaf grids of the visible levels.
type Leaves = Arc<Vec<Arc<crate::document::GridMesh>>>;

/// What to rasterise: the leaf grids, and where the image lies.
struct NetPlan {
    key: NetKey,
    /// The leaf grids of the visible levels: those near the place and narrower than
    /// [`OUTLINE_MIN_PX`] are drawn.
    leaves: Leaves,
    place: NetPlace,
}

/// A net being drawn on a thread of its own after a zoom or a pan past its margin, while
/// the frames show the one before, scaled; it asks for a frame when it is done.
struct NetJob {
    key: NetKey,
    done: std::sync::mpsc::Receiver<(NetPlace, egui::ColorImage)>,
}

/// The net is drawn while the whole map is at most this wide on screen (points); zoomed in
/// further, grids are wide enough to be outlined one by one.
const NET_MAX_PX: f64 = 4096.0;

struct FindingShape {
    finding: Arc<Finding>,
    triangles: Vec<[Coord<f64>; 3]>,
    envelope: Option<geo::Rect<f64>>,
}

impl CanvasCache {
    /// The grid `key` (of polygons `mp`) thinned for zoom step `step`.
    fn thin(&mut self, key: u32, mp: &MultiPolygon<f64>, step: i32) -> &mut Thin {
        let t = self.thin.entry(key).or_insert_with(|| Thin::of(mp, step));
        if t.step != step {
            *t = Thin::of(mp, step);
        }
        t
    }

    /// Forget what the changes since the last frame touched.
    fn refresh(&mut self, doc: &crate::document::Document) {
        if doc.revision() == self.revision && self.revision != 0 {
            return;
        }
        match doc.changes_since(self.revision) {
            Some(set) => {
                for id in set.grids.keys() {
                    if let Some(k) = doc.key(id) {
                        self.labels.remove(&k);
                        self.thin.remove(&k);
                    }
                }
                if !set.reservoirs.is_empty() {
                    self.reservoirs = None;
                }
                if set.settings.contains(crate::county::NEIGHBOURS_KEY) {
                    self.neighbours = None;
                }
            }
            None => {
                self.labels.clear();
                self.thin.clear();
                self.reservoirs = None;
                self.neighbours = None;
            }
        }
        // Findings no longer in the audit are held by this cache only.
        self.findings
            .retain(|_, f| Arc::strong_count(&f.finding) > 1);
        self.revision = doc.revision();
    }
}

fn level_visible(app: &GridmapApp, level: u8) -> bool {
    app.layers
        .levels
        .get(level.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(true)
}

/// A line on the screen, without the points closer than half a point to the last one kept
/// (a boundary of thousands of vertices seen whole is a few hundred points; what shows is
/// the same to the pixel). The last point is always kept.
fn ring_points(app: &GridmapApp, ls: &LineString<f64>) -> Vec<Pos2> {
    let pts = ls.0.iter().map(|&c| app.view.to_screen(c));
    thinned(pts, |a, b| a.distance_sq(b) < 0.25)
}

/// The points of a line without those `near` the last one kept; the last point is always
/// kept, so a ring stays closed.
fn thinned<P: Copy>(pts: impl ExactSizeIterator<Item = P>, near: impl Fn(P, P) -> bool) -> Vec<P> {
    let n = pts.len();
    let mut out: Vec<P> = Vec::with_capacity(n.min(4096));
    for (k, p) in pts.enumerate() {
        match out.last() {
            Some(&last) if k + 1 < n && near(last, p) => {}
            _ => out.push(p),
        }
    }
    out
}

fn outline(app: &GridmapApp, painter: &egui::Painter, mp: &MultiPolygon<f64>, stroke: Stroke) {
    for p in &mp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            painter.add(Shape::line(ring_points(app, r), stroke));
        }
    }
}

fn add_triangles(app: &GridmapApp, mesh: &mut Mesh, triangles: &[[Coord<f64>; 3]], color: Color32) {
    for t in triangles {
        let base = mesh.vertices.len() as u32;
        for &c in t {
            mesh.colored_vertex(app.view.to_screen(c), color);
        }
        mesh.add_triangle(base, base + 1, base + 2);
    }
}

/// Grids narrower than this on screen (points) get no outline: at the full extent of a
/// large map the fills alone show the pattern, and outlines would only cost time.
const OUTLINE_MIN_PX: f64 = 8.0;

/// At most this many outlines of the finest visible level per frame; beyond it the fills
/// show the pattern (the coarser levels keep theirs).
const OUTLINE_BUDGET: usize = 12_000;

/// Grids narrower than this on screen get no label.
const LABEL_MIN_PX: f64 = 60.0;

/// Fill the leaf grids of visible levels from the document's meshes: one mesh, one
/// transform from each grid's own origin to the screen.
fn grid_fills(
    app: &GridmapApp,
    cache: &mut CanvasCache,
    painter: &egui::Painter,
    visible: geo::Rect<f64>,
    alpha: f32,
) {
    let doc = &app.doc;
    let view = &app.view;
    let step = zoom_step(view.scale);
    let key = (doc.revision(), app.layers.levels, alpha.to_bits());
    let here = |at: Coord<f64>| view.to_screen(at);
    // Grids lie inside the map's extent: fills hold every grid in view when they cover the
    // part of the view over the map.
    let map = doc.grids_extent();
    let over_map = map.and_then(|map| crate::geom::rect_overlap(map, visible));
    if let Some(f) = cache.fills.as_ref().filter(|f| {
        f.key == key
            && f.step.is_none_or(|s| s == step)
            && over_map.is_none_or(|v| crate::geom::rect_contains(&f.covers, &v))
            // Zoomed in further than this, most of the mesh would be off the screen.
            && view.scale <= f.scale * FILLS_ZOOM_IN
    }) {
        let (to, k) = (here(f.at), (view.scale / f.scale) as f32);
        let mesh = if to == f.screen && k == 1.0 {
            f.mesh.clone()
        } else {
            let mut moved = (*f.mesh).clone();
            for v in &mut moved.vertices {
                v.pos = to + (v.pos - f.screen) * k;
            }
            Arc::new(moved)
        };
        painter.add(Shape::mesh(mesh));
        return;
    }
    // Made for the view and a margin around it, for the frames that pan; for the whole
    // map when the view shows much of it, so that panning over it and zooming out never
    // make them again.
    let mut covers = with_margin(visible);
    if let Some(map) = map
        && visible.width() * visible.height() * FILLS_WHOLE_MAP >= map.width() * map.height()
    {
        covers = crate::geom::union_rect(covers, map);
    }
    let visible = covers;
    let m = view.rect.center();
    let s = view.scale as f32;
    let mut mesh = Mesh::default();
    let mut has_dense = false;
    for (key, slot) in doc.slots().iter().enumerate() {
        let Some(slot) = slot else { continue };
        let Some(gm) = &slot.mesh else { continue };
        if !level_visible(app, slot.level)
            || !crate::geom::rects_intersect(&gm.envelope, &visible)
            || doc.has_children(&slot.id)
        {
            continue;
        }
        let mut color = PALETTE[usize::from(doc.colour(key as u32)) % PALETTE.len()];
        if alpha < 1.0 {
            color = color.gamma_multiply(alpha);
        }
        let ox = m.x + ((gm.origin.x - view.center.x) * view.scale) as f32;
        let oy = m.y - ((gm.origin.y - view.center.y) * view.scale) as f32;
        // A grid of many vertices small on the screen: its thinned fill at this zoom step.
        let small = gm.envelope.width().max(gm.envelope.height()) * view.scale < 400.0;
        let dense = drawn_thinned(gm);
        has_dense |= dense;
        let coarse = small && dense;
        let (vertices, triangles) = match coarse.then(|| doc.grid(&slot.id)).flatten() {
            Some(g) => {
                let c = cache.thin(key as u32, &g.geometry, step).fill(gm.origin);
                (c.vertices.as_slice(), c.triangles.as_slice())
            }
            _ => (gm.vertices.as_slice(), gm.triangles.as_slice()),
        };
        let base = mesh.vertices.len() as u32;
        mesh.vertices
            .extend(vertices.iter().map(|v| egui::epaint::Vertex {
                pos: Pos2::new(ox + v[0] * s, oy - v[1] * s),
                uv: egui::epaint::WHITE_UV,
                color,
            }));
        mesh.indices.extend(triangles.iter().map(|i| base + i));
    }
    let mesh = Arc::new(mesh);
    let at = view.center;
    cache.fills = Some(Fills {
        key,
        step: has_dense.then_some(step),
        scale: view.scale,
        covers,
        at,
        screen: here(at),
        mesh: mesh.clone(),
    });
    painter.add(Shape::mesh(mesh));
}

/// Draw the outlines of the leaf grids narrower than [`OUTLINE_MIN_PX`] as one texture, made
/// again only when the zoom, the visible levels or the document change.
fn outline_net(
    app: &GridmapApp,
    cache: &mut CanvasCache,
    ctx: &egui::Context,
    painter: &egui::Painter,
    visible: geo::Rect<f64>,
) {
    let doc = &app.doc;
    let scale = app.view.scale;
    let key = NetKey {
        revision: doc.revision(),
        scale,
        levels: app.layers.levels,
    };
    let Some(map) = doc.grids_extent() else {
        return;
    };
    // Zoomed in this far, every grid is wide enough to be outlined on its own.
    if map.width().max(map.height()) * scale > NET_MAX_PX {
        cache.net = None;
        cache.leaves = None;
        return;
    }
    // The part of the map on screen; the texture covers it with a margin for panning.
    let Some(shown) = crate::geom::rect_overlap(map, visible) else {
        return;
    };
    let holds = |covers: &geo::Rect<f64>| crate::geom::rect_contains(covers, &shown);
    // A net finished on its thread is taken when it is still what is wanted.
    let finished = cache.net_job.as_ref().map(|job| job.done.try_recv());
    if let Some(Err(std::sync::mpsc::TryRecvError::Disconnected)) = finished {
        // Its thread ended without a net: another is started below.
        cache.net_job = None;
    }
    if let (Some(job), Some(Ok((place, image)))) = (&cache.net_job, finished) {
        if job.key == key && holds(&place.covers) {
            cache.net = Some(OutlineNet::new(ctx, key, place, image));
        }
        cache.net_job = None;
    }
    let fresh = cache
        .net
        .as_ref()
        .is_some_and(|n| n.key == key && holds(&n.place.covers));
    if !fresh {
        // The same map drawn at another zoom or place: shown scaled until the new one is
        // drawn off the frame. Anything else (an edit, other levels) is drawn now.
        let stale = cache
            .net
            .as_ref()
            .is_some_and(|n| n.key.revision == key.revision && n.key.levels == key.levels);
        let running = cache.net_job.is_some();
        if !stale {
            cache.net = None;
        }
        if !(stale && running)
            && let Some(plan) = net_plan(app, cache, key, map, visible)
        {
            if stale {
                let (tx, rx) = std::sync::mpsc::channel();
                let ctx = ctx.clone();
                std::thread::spawn(move || {
                    let image = rasterise(&plan);
                    if tx.send((plan.place, image)).is_ok() {
                        ctx.request_repaint();
                    }
                });
                cache.net_job = Some(NetJob { key, done: rx });
            } else {
                let image = rasterise(&plan);
                cache.net = Some(OutlineNet::new(ctx, key, plan.place, image));
            }
        }
    }
    if let Some(n) = &cache.net {
        let (min, size) = (app.view.to_screen(n.place.origin), n.place.size);
        let k = (scale / n.key.scale) as f32;
        let rect =
            egui::Rect::from_min_size(min, egui::vec2(size[0] as f32 * k, size[1] as f32 * k));
        let uv = egui::Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
        painter.image(n.texture.id(), rect, uv, Color32::WHITE);
    }
}

/// What a frame makes its fills, outline net or outlines for, so that the frames after
/// it can pan within: the view and a quarter of its longer side around it.
fn with_margin(visible: geo::Rect<f64>) -> geo::Rect<f64> {
    crate::geom::expand(visible, visible.width().max(visible.height()) * 0.25)
}

/// The net to draw for `key`: the leaf grids (the small ones near what is visible are drawn)
/// and the image's place.
fn net_plan(
    app: &GridmapApp,
    cache: &mut CanvasCache,
    key: NetKey,
    map: geo::Rect<f64>,
    visible: geo::Rect<f64>,
) -> Option<NetPlan> {
    let scale = key.scale;
    let extent = crate::geom::rect_overlap(map, with_margin(visible))?;
    let (w, h) = (extent.width() * scale, extent.height() * scale);
    let size = [w.ceil() as usize + 2, h.ceil() as usize + 2];
    let origin = Coord {
        x: extent.min().x - 1.0 / scale,
        y: extent.max().y + 1.0 / scale,
    };
    let doc = &app.doc;
    let of = (key.revision, key.levels);
    let leaves = match &cache.leaves {
        Some((k, leaves)) if *k == of => leaves.clone(),
        _ => {
            let leaves: Leaves = Arc::new(
                doc.slots()
                    .iter()
                    .flatten()
                    .filter(|s| level_visible(app, s.level) && !doc.has_children(&s.id))
                    .filter_map(|s| s.mesh.clone())
                    .collect(),
            );
            cache.leaves = Some((of, leaves.clone()));
            leaves
        }
    };
    Some(NetPlan {
        key,
        leaves,
        place: NetPlace {
            origin,
            covers: extent,
            size,
        },
    })
}

/// The outlines of a plan's meshes, one pixel wide, as an image.
fn rasterise(plan: &NetPlan) -> egui::ColorImage {
    let (size, origin, scale) = (plan.place.size, plan.place.origin, plan.key.scale);
    let ink = Color32::from_rgba_unmultiplied(60, 60, 60, 150);
    let (extent, min_width) = (plan.place.covers, OUTLINE_MIN_PX / scale);
    // Each thread draws its share of the grids into a bit per pixel; the shares are
    // merged into the image.
    let bits = {
        use rayon::prelude::*;
        let words = (size[0] * size[1]).div_ceil(64);
        plan.leaves
            .par_chunks(4096)
            .map(|chunk| {
                let mut b = vec![0u64; words];
                let small = chunk.iter().filter(|m| {
                    crate::geom::rects_intersect(&m.envelope, &extent)
                        && m.envelope.width().max(m.envelope.height()) <= min_width
                });
                for m in small {
                    let ox = (m.origin.x - origin.x) * scale;
                    let oy = (origin.y - m.origin.y) * scale;
                    let s = scale as f32;
                    for ring in &m.rings {
                        for seg in ring.windows(2) {
                            let (x0, y0) = (ox as f32 + seg[0][0] * s, oy as f32 - seg[0][1] * s);
                            let (x1, y1) = (ox as f32 + seg[1][0] * s, oy as f32 - seg[1][1] * s);
                            // Step along the longer axis, one pixel at a time.
                            let n = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as i32;
                            for k in 0..=n {
                                let t = k as f32 / n as f32;
                                let (x, y) = (
                                    (x0 + (x1 - x0) * t).floor() as i64,
                                    (y0 + (y1 - y0) * t).floor() as i64,
                                );
                                if x >= 0
                                    && y >= 0
                                    && (x as usize) < size[0]
                                    && (y as usize) < size[1]
                                {
                                    let i = y as usize * size[0] + x as usize;
                                    b[i / 64] |= 1 << (i % 64);
                                }
                            }
                        }
                    }
                }
                b
            })
            .reduce(
                || vec![0u64; words],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x |= y;
                    }
                    a
                },
            )
    };
    let pixels: Vec<Color32> = (0..size[0] * size[1])
        .map(|i| {
            if bits[i / 64] & (1 << (i % 64)) != 0 {
                ink
            } else {
                Color32::TRANSPARENT
            }
        })
        .collect();
    egui::ColorImage::new(size, pixels)
}

/// The label point of grid `key`: a point inside it, found once and kept.
fn label_point(cache: &mut CanvasCache, doc: &Document, key: u32, id: &str) -> Option<Coord<f64>> {
    *cache.labels.entry(key).or_insert_with(|| {
        doc.grid(id)
            .and_then(|g| g.geometry.interior_point())
            .map(|p| p.0)
    })
}

/// What a layer is painted with this frame.
struct Paint<'a> {
    ctx: &'a egui::Context,
    painter: &'a egui::Painter,
    /// What is on screen, in world coordinates: grids outside are skipped.
    visible: geo::Rect<f64>,
}

/// The map: its layers in the user's order, the selection, the scale bar and the tiles'
/// credit, then the active tool's handling of this frame's input.
pub fn canvas(app: &mut GridmapApp, ui: &mut egui::Ui) {
    let (whole, painter) = ui.allocate_painter(ui.available_size(), Sense::hover());
    // The map takes clicks and drags a few points inside its edges: the edges belong to
    // the side panels' resize handles, which the map would otherwise cover.
    let grab = ui.style().interaction.resize_grab_radius_side + 1.0;
    let response = ui.interact(
        whole.rect.shrink(grab),
        ui.scope_id().with("map"),
        Sense::click_and_drag(),
    );
    app.view.set_rect(whole.rect);
    painter.rect_filled(whole.rect, 0.0, Color32::from_rgb(0xfa, 0xfa, 0xf7));
    let ctx = ui.ctx().clone();
    let mut cache = std::mem::take(&mut app.caches.canvas);
    cache.refresh(&app.doc);
    let paint = Paint {
        ctx: &ctx,
        painter: &painter,
        visible: geo::Rect::new(
            app.view.to_world(whole.rect.left_top()),
            app.view.to_world(whole.rect.right_bottom()),
        ),
    };
    for kind in app.layers.order.clone() {
        match kind {
            LayerKind::Background => paint_background(app, &paint),
            LayerKind::Grids => paint_grids(app, &mut cache, &paint),
            LayerKind::Reservoirs if app.layers.reservoirs => {
                paint_reservoirs(app, &mut cache, &painter);
            }
            LayerKind::Boundary if app.layers.boundary => {
                paint_boundary(app, &mut cache, &painter);
            }
            LayerKind::Rivers if app.layers.rivers => paint_rivers(app, &painter),
            LayerKind::Villages if app.layers.villages => {
                for v in &app.doc.project().villages {
                    let at = app.view.to_screen(v.location.0);
                    painter.circle_filled(at, 3.0, app.layers.style.village);
                }
            }
            LayerKind::Labels if app.layers.labels => {
                let mut clock = std::time::Instant::now();
                paint_labels(app, &mut cache, &paint);
                crate::timing::phase("canvas: labels", &mut clock);
            }
            LayerKind::Findings if app.layers.findings => {
                let visible = paint.visible;
                let on_screen = |env: &Option<geo::Rect<f64>>| {
                    env.is_some_and(|e| crate::geom::rects_intersect(&e, &visible))
                };
                let mut clock = std::time::Instant::now();
                paint_findings(app, &mut cache, &painter, &on_screen);
                crate::timing::phase("canvas: findings", &mut clock);
            }
            _ => {}
        }
    }
    // Selection.
    for id in &app.selection {
        if let Some(g) = app.doc.grid(id) {
            outline(app, &painter, &g.geometry, Stroke::new(3.0, SELECTED));
        }
    }
    super::features::paint_selected(app, &painter);
    app.caches.canvas = cache;
    scale_bar(app, &painter);
    tile_credit(app, ui, whole.rect);
    super::tools::interact(app, ui, &response, &painter);
}

/// The outline of a selected grid.
const SELECTED: Color32 = Color32::from_rgb(0x10, 0x60, 0xe0);

/// The tile background and the georeferenced scans, when the background is shown.
fn paint_background(app: &mut GridmapApp, paint: &Paint) {
    if !app.layers.background {
        return;
    }
    let (view, crs) = (app.view, app.doc.project().crs);
    app.base.tiles.paint(paint.ctx, paint.painter, &view, crs);
    for b in &app.base.backgrounds {
        paint.painter.add(warped_image(b, &app.view));
    }
}

/// Fills of the leaf grids in one mesh, then outlines by level; grids smaller than a few
/// points on screen get no outline of their own (the net draws them).
fn paint_grids(app: &GridmapApp, cache: &mut CanvasCache, paint: &Paint) {
    let (painter, visible) = (paint.painter, paint.visible);
    // Over a background image the fills turn translucent so the scan shows through.
    let see_through = app.layers.background && !app.base.backgrounds.is_empty();
    let mut clock = std::time::Instant::now();
    grid_fills(
        app,
        cache,
        painter,
        visible,
        if see_through { 0.45 } else { 1.0 },
    );
    crate::timing::phase("canvas: fills", &mut clock);
    outline_net(app, cache, paint.ctx, painter, visible);
    crate::timing::phase("canvas: outline net", &mut clock);
    wide_outlines(app, cache, painter, visible);
    crate::timing::phase("canvas: outlines", &mut clock);
}

/// The outlines of the grids wide enough on screen to have their own, made for one zoom
/// with a margin around the view: a frame that only pans within it moves them.
fn wide_outlines(
    app: &GridmapApp,
    cache: &mut CanvasCache,
    painter: &egui::Painter,
    visible: geo::Rect<f64>,
) {
    let colour = app.layers.style.outline;
    let key = (
        app.doc.revision(),
        app.layers.levels,
        app.view.scale,
        colour,
    );
    if let Some(o) = cache
        .outlines
        .as_ref()
        .filter(|o| o.key == key && crate::geom::rect_contains(&o.covers, &visible))
    {
        let delta = app.view.to_screen(o.at) - o.screen;
        for shape in &o.shapes {
            let mut shape = shape.clone();
            shape.translate(delta);
            painter.add(shape);
        }
        return;
    }
    // While the document changes from frame to frame (a vertex being dragged) the outlines
    // are made for the view alone and not kept; once it stands still, with a margin.
    let still = std::mem::replace(&mut cache.outlines_seen, key.0) == key.0;
    let covers = if still {
        with_margin(visible)
    } else {
        cache.outlines = None;
        visible
    };
    let min_width = OUTLINE_MIN_PX / app.view.scale;
    // (level, key, id, whether it is drawn thinned)
    let mut wide: Vec<(u8, u32, &str, bool)> = app
        .doc
        .slots()
        .iter()
        .enumerate()
        .filter_map(|(k, s)| {
            let s = s.as_ref()?;
            let m = s.mesh.as_ref()?;
            (level_visible(app, s.level)
                && crate::geom::rects_intersect(&m.envelope, &covers)
                && m.envelope.width().max(m.envelope.height()) > min_width)
                .then_some((s.level, k as u32, s.id.as_str(), drawn_thinned(m)))
        })
        .collect();
    if wide.len() > OUTLINE_BUDGET
        && let Some(finest) = wide.iter().map(|w| w.0).max()
    {
        wide.retain(|w| w.0 != finest);
    }
    // Finer levels first, so the heavier outlines of their parents stay on top.
    wide.sort_by_key(|w| match w.0 {
        3 => 0,
        2 => 1,
        1 => 2,
        _ => 3,
    });
    let step = zoom_step(app.view.scale);
    let mut shapes = Vec::new();
    for (level, key, id, thin) in wide {
        let width = match level {
            1 => 3.0,
            2 => 2.0,
            _ => 0.8,
        };
        let Some(g) = app.doc.grid(id) else { continue };
        let stroke = Stroke::new(width, colour);
        let mut add = |p: &geo::Polygon<f64>| {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                shapes.push(Shape::line(ring_points(app, r), stroke));
            }
        };
        if thin {
            cache
                .thin(key, &g.geometry, step)
                .polygons
                .iter()
                .for_each(&mut add);
        } else {
            g.geometry.0.iter().for_each(&mut add);
        }
    }
    if !still {
        painter.extend(shapes);
        return;
    }
    for shape in &shapes {
        painter.add(shape.clone());
    }
    let at = app.view.center;
    cache.outlines = Some(Outlines {
        key,
        covers,
        at,
        screen: app.view.to_screen(at),
        shapes,
    });
}

/// The reservoirs filled from their triangles (kept until a reservoir changes).
fn paint_reservoirs(app: &GridmapApp, cache: &mut CanvasCache, painter: &egui::Painter) {
    let tris = cache.reservoirs.get_or_insert_with(|| {
        app.doc
            .project()
            .reservoirs
            .iter()
            .map(|r| crate::geom::triangulate(&r.geometry))
            .collect()
    });
    let mut mesh = Mesh::default();
    for t in tris.iter() {
        add_triangles(app, &mut mesh, t, app.layers.style.water);
    }
    painter.add(Shape::mesh(mesh));
}

/// The township boundary, and the neighbours' grids along it, thin and grey: to draw up
/// to, not to edit.
fn paint_boundary(app: &GridmapApp, cache: &mut CanvasCache, painter: &egui::Painter) {
    let strip = cache.neighbours.get_or_insert_with(|| {
        crate::county::db::neighbours(app.doc.project())
            .into_iter()
            .map(|n| n.3)
            .collect()
    });
    for mp in strip.iter() {
        outline(app, painter, mp, Stroke::new(1.0, Color32::from_gray(140)));
    }
    let stroke = Stroke::new(3.5, app.layers.style.boundary);
    for b in &app.doc.project().boundary {
        outline(app, painter, &b.geometry, stroke);
    }
}

/// The rivers' lines (their names go with the labels: [`river_names`]).
fn paint_rivers(app: &GridmapApp, painter: &egui::Painter) {
    let colour = app.layers.style.river;
    for r in &app.doc.project().rivers {
        for l in r.lines() {
            painter.add(Shape::line(ring_points(app, l), Stroke::new(2.5, colour)));
        }
    }
}

/// How many places along a river's line on screen its name tries, from the middle out.
const RIVER_NAME_TRIES: usize = 32;

/// The rivers' names, after the grids' labels: each just above its line, on a light ground,
/// where the name covers no label already placed, trying the line's vertices on screen
/// from the middle of its longest line outwards; left out where nothing is free (a zoom
/// makes room, as for the grids' labels). Longer rivers first.
fn river_names(app: &GridmapApp, painter: &egui::Painter, placed: &mut Vec<egui::Rect>) {
    let colour = app.layers.style.river;
    let map = app.view.rect;
    let mut rivers: Vec<(&crate::model::River, usize)> = app
        .doc
        .project()
        .rivers
        .iter()
        .filter(|r| !r.name.trim().is_empty())
        .map(|r| (r, r.lines().map(|l| l.0.len()).sum()))
        .collect();
    rivers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.name.cmp(&b.0.name)));
    for (r, _) in rivers {
        let galley =
            painter.layout_no_wrap(r.name.clone(), egui::FontId::proportional(13.0), colour);
        let mut lines: Vec<&geo::LineString<f64>> = r.lines().collect();
        lines.sort_by_key(|l| std::cmp::Reverse(l.0.len()));
        let spot = lines.into_iter().find_map(|l| {
            let on_screen: Vec<egui::Pos2> =
                l.0.iter()
                    .map(|&c| app.view.to_screen(c))
                    .filter(|p| map.contains(*p))
                    .collect();
            let step = (on_screen.len() / RIVER_NAME_TRIES).max(1);
            let mid = on_screen.len() / 2;
            // The middle, then one step either side of it, two steps, ...
            (0..=mid / step + 1)
                .flat_map(|k| [mid + k * step, mid.wrapping_sub(k * step)])
                .skip(1)
                .filter_map(|i| on_screen.get(i))
                .map(|&at| {
                    egui::Align2::CENTER_BOTTOM
                        .anchor_size(at + egui::vec2(0.0, -6.0), galley.size())
                })
                .find(|rect| {
                    map.contains_rect(*rect) && !placed.iter().any(|p| p.intersects(*rect))
                })
        });
        if let Some(rect) = spot {
            placed.push(rect);
            // On a light ground of its own: the outlines and fills under it do not cross
            // the name.
            painter.rect_filled(rect.expand(1.5), 3.0, Color32::from_white_alpha(190));
            painter.galley(rect.min, galley, colour);
        }
    }
}

/// The names (and codes, where there is room) of the leaf grids wide enough on screen;
/// larger grids first, and a label that would cover one already placed is left out.
fn paint_labels(app: &GridmapApp, cache: &mut CanvasCache, paint: &Paint) {
    let (painter, visible) = (paint.painter, paint.visible);
    let min_width = LABEL_MIN_PX / app.view.scale;
    let doc = &app.doc;
    let mut wide: Vec<(u32, &str, f64)> = doc
        .slots()
        .iter()
        .enumerate()
        .filter_map(|(k, s)| s.as_ref().map(|s| (k as u32, s)))
        .filter(|(_, s)| level_visible(app, s.level))
        .filter_map(|(k, s)| {
            let e = s.mesh.as_ref()?.envelope;
            (e.width() > min_width
                && crate::geom::rects_intersect(&e, &visible)
                && !doc.has_children(&s.id))
            .then_some((k, s.id.as_str(), e.width()))
        })
        .collect();
    wide.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(b.1)));
    // The scale bar's corner is taken: no label is drawn over it.
    let r = app.view.rect;
    let mut placed: Vec<egui::Rect> = vec![egui::Rect::from_min_max(
        egui::pos2(r.left(), r.bottom() - 44.0),
        egui::pos2(r.left() + 180.0, r.bottom()),
    )];
    for (key, id, width) in wide {
        let Some(g) = doc.grid(id) else { continue };
        let Some(at) = label_point(cache, doc, key, id) else {
            continue;
        };
        // The code under the name once there is room for it.
        let text = if width * app.view.scale > 140.0 && !g.code.is_empty() {
            format!("{}\n{}", g.name, g.code)
        } else {
            g.name.clone()
        };
        let galley = painter.layout_no_wrap(
            text,
            egui::FontId::proportional(12.0),
            Color32::from_gray(30),
        );
        let rect = egui::Align2::CENTER_CENTER.anchor_size(app.view.to_screen(at), galley.size());
        if placed.iter().any(|r| r.intersects(rect)) {
            continue;
        }
        placed.push(rect);
        painter.galley(rect.min, galley, Color32::from_gray(30));
    }
    if app.layers.rivers {
        river_names(app, painter, &mut placed);
    }
}

/// The credit of the tile background, in the map's lower right corner.
fn tile_credit(app: &GridmapApp, ui: &egui::Ui, map: egui::Rect) {
    if !app.layers.background {
        return;
    }
    let Some(credit) = app.base.tiles.attribution() else {
        return;
    };
    let corner = map.right_bottom() - egui::vec2(6.0, 6.0);
    egui::Area::new(egui::Id::unique("tile-attribution"))
        .fixed_pos(corner)
        .pivot(egui::Align2::RIGHT_BOTTOM)
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::new()
                .fill(Color32::from_white_alpha(200))
                .inner_margin(egui::Margin::symmetric(4, 1))
                .show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(credit)
                            .size(11.0)
                            .color(Color32::from_gray(40)),
                    );
                });
        });
}

/// Findings drawn in red: areas filled and outlined, lines and points; the one picked in
/// the list strongest. Notes (boundary rivers) are not faults: drawn only when picked.
fn paint_findings(
    app: &GridmapApp,
    cache: &mut CanvasCache,
    painter: &egui::Painter,
    on_screen: &dyn Fn(&Option<geo::Rect<f64>>) -> bool,
) {
    let mut fills = Mesh::default();
    for f in app.doc.auditor().findings() {
        let strong = app
            .audit_view
            .highlight
            .as_ref()
            .is_some_and(|h| Arc::ptr_eq(h, f));
        if f.severity == crate::audit::Severity::Info && !strong {
            continue;
        }
        let Some(g) = &f.geometry else { continue };
        let shape = cache
            .findings
            .entry(Arc::as_ptr(f) as usize)
            .or_insert_with(|| FindingShape {
                finding: f.clone(),
                triangles: match g {
                    geo::Geometry::MultiPolygon(mp) => crate::geom::triangulate(mp),
                    _ => Vec::new(),
                },
                envelope: geo::BoundingRect::bounding_rect(g),
            });
        if !on_screen(&shape.envelope) {
            continue;
        }
        let color = if strong {
            FAULT
        } else {
            FAULT.gamma_multiply(0.6)
        };
        match (&f.kind, g) {
            (
                Kind::Gap | Kind::Sliver | Kind::Overlap | Kind::OutsideParent | Kind::Duplicate,
                geo::Geometry::MultiPolygon(mp),
            ) => {
                add_triangles(app, &mut fills, &shape.triangles, color.gamma_multiply(0.5));
                outline(
                    app,
                    painter,
                    mp,
                    Stroke::new(if strong { 3.0 } else { 1.5 }, color),
                );
            }
            (_, geo::Geometry::MultiLineString(ml)) => {
                for l in &ml.0 {
                    painter.add(Shape::line(
                        ring_points(app, l),
                        Stroke::new(if strong { 4.0 } else { 2.5 }, color),
                    ));
                }
            }
            // Record findings mark a point of their grid: drawn when picked in the list
            // (a map of grids without records would be covered in rings).
            (_, geo::Geometry::Point(p)) if strong => {
                painter.circle_stroke(app.view.to_screen(p.0), 6.0, Stroke::new(2.0, color));
            }
            _ => {}
        }
    }
    painter.add(Shape::mesh(fills));
}

/// A texture drawn over an n x n grid of points: `at(u, v)` is where the texture point
/// (u, v) in 0..=1 goes on screen. Warped images and tiles are drawn so.
pub(super) fn warped_mesh(
    texture: egui::TextureId,
    n: usize,
    at: impl Fn(f64, f64) -> Pos2,
) -> egui::Shape {
    let mut mesh = egui::Mesh::with_texture(texture);
    for j in 0..=n {
        for i in 0..=n {
            let (u, v) = (i as f64 / n as f64, j as f64 / n as f64);
            mesh.vertices.push(egui::epaint::Vertex {
                pos: at(u, v),
                uv: Pos2::new(u as f32, v as f32),
                color: Color32::WHITE,
            });
        }
    }
    for j in 0..n {
        for i in 0..n {
            let a = (j * (n + 1) + i) as u32;
            let c = a + (n + 1) as u32;
            mesh.add_triangle(a, a + 1, c);
            mesh.add_triangle(a + 1, c + 1, c);
        }
    }
    egui::Shape::mesh(mesh)
}

/// A background image placed by its georeferencing (rotated, sheared or projective scans
/// included).
fn warped_image(b: &super::Background, view: &super::View) -> egui::Shape {
    let (w, h) = (f64::from(b.size.0), f64::from(b.size.1));
    warped_mesh(b.texture.id(), 8, |u, v| {
        view.to_screen(b.fit.apply(Coord { x: u * w, y: v * h }))
    })
}

/// A metric scale bar with a round length (1, 2 or 5 x 10^n m) of about 120 points.
fn scale_bar(app: &GridmapApp, painter: &egui::Painter) {
    let target = 120.0 / app.view.scale;
    let mag = 10f64.powf(target.log10().floor());
    let len = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * mag)
        .rfind(|l| *l <= target)
        .unwrap_or(mag);
    let px = (len * app.view.scale) as f32;
    let r = app.view.rect;
    let start = Pos2::new(r.left() + 20.0, r.bottom() - 24.0);
    let end = start + egui::vec2(px, 0.0);
    let stroke = Stroke::new(2.0, Color32::from_gray(30));
    painter.line_segment([start, end], stroke);
    for x in [start, end] {
        painter.line_segment([x, x + egui::vec2(0.0, -6.0)], stroke);
    }
    let text = if len >= 1000.0 {
        format!("{} km", len / 1000.0)
    } else {
        format!("{len} m")
    };
    painter.text(
        start + egui::vec2(px / 2.0, -8.0),
        egui::Align2::CENTER_BOTTOM,
        text,
        egui::FontId::proportional(12.0),
        Color32::from_gray(30),
    );
}
