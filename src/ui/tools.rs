//! The map's tools: pointer and keyboard input on the canvas turned into view changes and
//! edit commands. Each tool (select, draw, split, reshape, vertices) dispatches on the layer
//! chosen in the toolbar: grids, or a feature layer (rivers, reservoirs, natural villages,
//! the boundary). Every change is a transaction of the document's history.

use super::{GridmapApp, Tool, UiCommand};
use crate::document::Document;
use crate::edit::{self, SnapKind, on_layer};
use crate::model::{Boundary, Grid, Layer, Reservoir, River, Village};
use egui::{Color32, Pos2, Shape, Stroke};
use geo::{Coord, InteriorPoint, LineString, MultiLineString, Point};

/// The snap marker and the hovered vertex.
const SNAP: Color32 = Color32::from_rgb(0xe0, 0x80, 0x00);
/// The sketch being drawn.
const SKETCH: Color32 = Color32::from_rgb(0x10, 0x60, 0xe0);

/// What the pointer did on the map this frame, read once. The keys (Esc, Enter,
/// Backspace, Delete, arrows, +/-) are commands of the table ([`UiCommand::shortcuts`]),
/// carried out by [`key_command`].
struct Input {
    hover: Option<Pos2>,
    /// A primary click on the map (not one the georeferencer took).
    click: Option<Pos2>,
    double: bool,
    scroll: f32,
    shift: bool,
}

impl Input {
    fn read(ui: &egui::Ui, response: &egui::Response) -> Self {
        let (scroll, shift) = ui.input(|i| (i.smooth_scroll_delta.y, i.modifiers.shift));
        Input {
            hover: response.hover_pos(),
            click: response
                .clicked()
                .then(|| response.interact_pointer_pos())
                .flatten(),
            double: response.double_clicked(),
            scroll,
            shift,
        }
    }
}

/// The commands of the map's keys, carried out on the active tool: zoom and pan steps;
/// Esc drops the sketch (with none, leaves the tool; the vertex tool is left); Enter
/// finishes the sketch; Backspace takes back its last click; Delete deletes the grid
/// vertex under the pointer in the vertex tool, and otherwise (no sketch under way) the
/// selection. Any other command is given back.
pub(super) fn key_command(app: &mut GridmapApp, cmd: UiCommand) -> Option<UiCommand> {
    let sketch = match &app.tool {
        Tool::Draw(pts) | Tool::Split(pts) | Tool::Reshape(pts) => Some(pts.clone()),
        _ => None,
    };
    match cmd {
        UiCommand::ZoomIn => app.view.zoom_at(app.view.rect.center(), 1.25),
        UiCommand::ZoomOut => app.view.zoom_at(app.view.rect.center(), 0.8),
        UiCommand::Pan(dir) => app.view.pan(dir.delta()),
        UiCommand::Cancel => match sketch {
            Some(pts) => {
                sketch_runs(&app.session.ctx, Vec::clear);
                app.tool = match (pts.is_empty(), &app.tool) {
                    (true, _) => Tool::Select,
                    (false, Tool::Draw(_)) => Tool::Draw(Vec::new()),
                    (false, Tool::Reshape(_)) => Tool::Reshape(Vec::new()),
                    (false, _) => Tool::Split(Vec::new()),
                };
            }
            None => app.tool = Tool::Select,
        },
        UiCommand::Finish => {
            if let Some(pts) = sketch {
                finish_sketch(app, pts);
            }
        }
        UiCommand::TakeBack => {
            if let Some(mut pts) = sketch {
                take_back_click(&app.session.ctx, &mut pts);
                app.tool = with_points(&app.tool, pts);
            }
        }
        UiCommand::Delete if matches!(app.tool, Tool::Vertices { .. }) => {
            if !delete_vertex_at_cursor(app) {
                return Some(UiCommand::Delete);
            }
        }
        UiCommand::Delete if sketch.is_some_and(|p| !p.is_empty()) => {}
        other => return Some(other),
    }
    None
}

/// The sketch tool `tool` with the points `pts`.
fn with_points(tool: &Tool, pts: Vec<Coord<f64>>) -> Tool {
    match tool {
        Tool::Draw(_) => Tool::Draw(pts),
        Tool::Reshape(_) => Tool::Reshape(pts),
        _ => Tool::Split(pts),
    }
}

/// Delete the grid vertex under the pointer (the vertex tool on grids); false when there
/// is none.
fn delete_vertex_at_cursor(app: &mut GridmapApp) -> bool {
    if app.edit_layer != Layer::Grids {
        return false;
    }
    let Some(v) = app
        .drawing
        .cursor
        .and_then(|c| vertex_near(app, app.view.to_screen(c)))
    else {
        return false;
    };
    let r = edit::delete_vertex(&app.doc, v);
    app.apply(r);
    true
}

/// Turn this frame's input on the map into view changes and the active tool's edits.
pub(super) fn interact(
    app: &mut GridmapApp,
    ui: &egui::Ui,
    response: &egui::Response,
    painter: &egui::Painter,
) {
    let mut input = Input::read(ui, response);
    app.drawing.cursor = input.hover.map(|p| app.view.to_world(p));
    navigate(app, response, &input);
    // The georeferencer waits for the map position of a point picked on the scan.
    if let Some(p) = input.click
        && let Some(g) = app.dialogs.georef.as_mut().filter(|g| g.pending.is_some())
    {
        g.add(app.view.to_world(p));
        input.click = None;
    }
    match app.tool.clone() {
        Tool::Select => select_tool(app, response, &input),
        Tool::Draw(pts) | Tool::Split(pts) | Tool::Reshape(pts) => {
            sketch_tool(app, ui, painter, &input, pts);
        }
        Tool::Vertices { dragging } if app.edit_layer != Layer::Grids => {
            feature_vertices(app, ui, response, painter, &input, dragging);
        }
        Tool::Vertices { dragging } => {
            grid_vertices(app, ui, response, painter, &input, dragging);
        }
    }
}

/// Zoom (wheel around the cursor, +/- around the centre) and pan (arrow keys, a secondary
/// or middle drag with every tool).
fn navigate(app: &mut GridmapApp, response: &egui::Response, input: &Input) {
    if let Some(p) = input.hover
        && input.scroll != 0.0
    {
        app.view.zoom_at(p, (input.scroll as f64 / 200.0).exp());
    }
    if response.dragged_by(egui::PointerButton::Secondary)
        || response.dragged_by(egui::PointerButton::Middle)
    {
        app.view.pan(response.drag_delta());
    }
}

/// The select tool: a primary drag pans, a click picks (Shift adds to or takes from the
/// selection of grids), the hovered grid is named, Delete deletes.
fn select_tool(app: &mut GridmapApp, response: &egui::Response, input: &Input) {
    if response.dragged_by(egui::PointerButton::Primary) {
        app.view.pan(response.drag_delta());
    }
    if let Some(p) = input.click
        && app.edit_layer != Layer::Grids
    {
        select_feature(app, p);
    } else if let Some(p) = input.click {
        let w = app.view.to_world(p);
        match pick(&app.doc, w).map(|g| g.id.clone()) {
            Some(id) if input.shift => {
                if let Some(k) = app.selection.iter().position(|s| *s == id) {
                    app.selection.remove(k);
                } else {
                    app.selection.push(id);
                }
            }
            Some(id) => app.selection = vec![id],
            None => app.selection.clear(),
        }
    }
    if let Some(p) = input.hover
        && app.edit_layer == Layer::Grids
        && let Some(g) = pick(&app.doc, app.view.to_world(p))
    {
        // Names, not ids: the parent as the user knows it.
        let parent = g
            .parent
            .as_deref()
            .map(|p| app.doc.grid(p).map_or(p, |pg| pg.label()))
            .unwrap_or("");
        let text = format!("{}  {}  L{}  ↑{}", g.label(), g.code, g.level, parent);
        response.clone().on_hover_text_at_pointer(text);
    }
}

/// The draw, split and reshape tools: clicks add points (tracing along a shared outline
/// when tracing is on), Backspace takes back a click, Esc drops the sketch, Enter or a
/// double click finishes it.
fn sketch_tool(
    app: &mut GridmapApp,
    ui: &egui::Ui,
    painter: &egui::Painter,
    input: &Input,
    mut pts: Vec<Coord<f64>>,
) {
    let polygon = !matches!(app.tool, Tool::Split(_))
        && !matches!(app.edit_layer, Layer::Rivers | Layer::Villages);
    if let Some(p) = input.click {
        add_click(app, ui, &mut pts, p, polygon);
    }
    // A natural village is one point: placed by the click.
    if app.edit_layer == Layer::Villages && matches!(app.tool, Tool::Draw(_)) {
        if !pts.is_empty() {
            finish_feature_draw(app, std::mem::take(&mut pts));
        }
        app.tool = Tool::Draw(pts);
        return;
    }
    if input.double {
        finish_sketch(app, pts);
        return;
    }
    paint_sketch(app, painter, input.hover, &pts, polygon);
    app.tool = with_points(&app.tool, pts);
}

/// Add the clicked point to the sketch, snapped; on a polygon with tracing on, a click on
/// a vertex follows the shared outline from the previous point.
fn add_click(
    app: &mut GridmapApp,
    ui: &egui::Ui,
    pts: &mut Vec<Coord<f64>>,
    p: Pos2,
    polygon: bool,
) {
    let (w, is_snap) = snapped(app, p);
    let traced = if polygon && app.drawing.trace && is_snap {
        pts.last()
            .and_then(|&prev| trace_between(&app.doc, prev, w))
    } else {
        None
    };
    let before = pts.len();
    match traced {
        Some(path) => pts.extend(path.into_iter().skip(1)),
        None => {
            if pts.last() != Some(&w) {
                pts.push(w);
            }
        }
    }
    if pts.len() > before {
        sketch_runs(ui.ctx(), |runs| {
            runs.retain(|&n| n < before);
            runs.push(before);
        });
    }
}

/// Back to where the sketch was before the last click.
fn take_back_click(ctx: &egui::Context, pts: &mut Vec<Coord<f64>>) {
    let mut to = pts.len().saturating_sub(1);
    sketch_runs(ctx, |runs| {
        runs.retain(|&n| n < pts.len());
        if let Some(n) = runs.pop() {
            to = n;
        }
    });
    pts.truncate(to);
}

/// The sketch so far, the rubber band to the pointer and the snap marker.
fn paint_sketch(
    app: &mut GridmapApp,
    painter: &egui::Painter,
    hover: Option<Pos2>,
    pts: &[Coord<f64>],
    polygon: bool,
) {
    let mut line: Vec<Pos2> = pts.iter().map(|&c| app.view.to_screen(c)).collect();
    if let Some(h) = hover {
        let (w, is_snap) = snapped(app, h);
        let s = app.view.to_screen(w);
        line.push(s);
        if is_snap {
            snap_marker(painter, s);
        }
    }
    if polygon && line.len() >= 3 {
        line.push(line[0]);
    }
    painter.add(Shape::line(line, Stroke::new(2.0, SKETCH)));
    for &c in pts {
        painter.circle_filled(app.view.to_screen(c), 3.5, SKETCH);
    }
}

/// The square drawn where the pointer snaps.
fn snap_marker(painter: &egui::Painter, at: Pos2) {
    painter.rect_stroke(
        egui::Rect::from_center_size(at, egui::vec2(10.0, 10.0)),
        0.0,
        Stroke::new(2.0, SNAP),
        egui::StrokeKind::Middle,
    );
}

/// Finish the sketch with the active tool, on the edited layer.
fn finish_sketch(app: &mut GridmapApp, pts: Vec<Coord<f64>>) {
    let grids = app.edit_layer == Layer::Grids;
    match app.tool {
        Tool::Draw(_) if !grids => {
            app.tool = Tool::Select;
            finish_feature_draw(app, pts);
        }
        Tool::Split(_) if !grids => {
            app.tool = Tool::Select;
            split_river(app, pts);
        }
        Tool::Draw(_) => finish_grid_draw(app, pts),
        Tool::Reshape(_) => finish_reshape(app, pts),
        _ => finish_grid_split(app, pts),
    }
}

/// The vertex tool on grids: the vertex under the pointer is marked (Delete deletes it),
/// a drag moves it with its neighbours' (one undo step), a double click on an edge adds
/// one, Esc leaves the tool.
fn grid_vertices(
    app: &mut GridmapApp,
    ui: &egui::Ui,
    response: &egui::Response,
    painter: &egui::Painter,
    input: &Input,
    dragging: Option<(Coord<f64>, u64)>,
) {
    if let Some(h) = input.hover
        && let Some(v) = vertex_near(app, h)
    {
        painter.circle_stroke(app.view.to_screen(v), 6.0, Stroke::new(2.0, SNAP));
    }
    // The vertex under the press, not under the pointer once the drag is recognised.
    let origin = ui.input(|i| i.pointer.press_origin());
    if response.drag_started_by(egui::PointerButton::Primary)
        && let Some(p) = origin.or(response.interact_pointer_pos())
    {
        app.drawing.drag_counter += 1;
        app.tool = Tool::Vertices {
            dragging: vertex_near(app, p).map(|v| (v, app.drawing.drag_counter)),
        };
    } else if let Some((from, drag)) = dragging {
        if response.dragged_by(egui::PointerButton::Primary) {
            drag_grid_vertex(app, response, painter, from, drag);
        }
        if response.drag_stopped() {
            drop_grid_vertex(app, from, drag);
        }
    }
    if input.double
        && let Some(p) = response.interact_pointer_pos()
    {
        insert_vertex_at(app, p);
    }
}

/// One frame of a grid vertex's drag. The vertex snaps while dragged, as while drawing:
/// onto another vertex, or onto an edge, which then takes the vertex too (one undo step).
fn drag_grid_vertex(
    app: &mut GridmapApp,
    response: &egui::Response,
    painter: &egui::Painter,
    from: Coord<f64>,
    drag: u64,
) {
    let target = response.interact_pointer_pos().map(|p| {
        let w = app.view.to_world(p);
        let tol = app.snap_tol();
        app.doc
            .snap_index()
            .snap_except(w, tol, Some(from))
            .map_or((w, None), |s| (s.at, Some(s.kind)))
    });
    let Some((to, kind)) = target else { return };
    // The vertex lands on the coordinate grid; the next frame of the drag moves it from
    // there.
    let to = app.doc.project().crs.precision().snap_coord(to);
    let t = edit::move_vertex(&app.doc, from, to, &drag.to_string());
    app.commit(t);
    app.tool = Tool::Vertices {
        dragging: Some((to, drag)),
    };
    if kind.is_some() {
        snap_marker(painter, app.view.to_screen(to));
    }
}

/// The end of a grid vertex's drag: left on another grid's edge, that edge takes the
/// vertex (in the drag's undo step).
fn drop_grid_vertex(app: &mut GridmapApp, from: Coord<f64>, drag: u64) {
    let at = match app.tool {
        Tool::Vertices {
            dragging: Some((at, _)),
        } => at,
        _ => from,
    };
    // On the grid, a vertex snapped onto an edge is within the precision's tolerance of
    // it, not on it to the last bit.
    let tol = app.doc.project().crs.precision().tolerance();
    if let Some(s) = app.doc.snap_index().snap_except(at, tol, Some(at))
        && let SnapKind::Edge(a, b) = s.kind
    {
        let mut t = edit::insert_vertex(&app.doc, a, b, at);
        t.set_merge_key(format!("move:{drag}"));
        app.commit(t);
    }
    app.doc.seal();
    app.tool = Tool::Vertices { dragging: None };
}

/// A new vertex on the grid edge near screen position `p`.
fn insert_vertex_at(app: &mut GridmapApp, p: Pos2) {
    let w = app.view.to_world(p);
    let tol = app.snap_tol();
    if let Some(s) = app.doc.snap_index().snap(w, tol)
        && let SnapKind::Edge(a, b) = s.kind
    {
        let t = edit::insert_vertex(&app.doc, a, b, s.at);
        app.apply(Ok(t));
    }
}

/// The vertex tool on a feature layer: drag a vertex of a river, reservoir, boundary or
/// natural village (one undo step per drag).
fn feature_vertices(
    app: &mut GridmapApp,
    ui: &egui::Ui,
    response: &egui::Response,
    painter: &egui::Painter,
    input: &Input,
    dragging: Option<(Coord<f64>, u64)>,
) {
    if let Some(h) = input.hover
        && let Some((_, v)) = feature_vertex_at(app, h)
    {
        painter.circle_stroke(app.view.to_screen(v), 6.0, Stroke::new(2.0, SNAP));
    }
    let origin = ui.input(|i| i.pointer.press_origin());
    if response.drag_started_by(egui::PointerButton::Primary)
        && let Some(p) = origin.or(response.interact_pointer_pos())
    {
        app.drawing.drag_counter += 1;
        let hit = feature_vertex_at(app, p);
        if let Some((id, _)) = &hit {
            app.feature = Some(id.clone());
        }
        app.tool = Tool::Vertices {
            dragging: hit.map(|(_, v)| (v, app.drawing.drag_counter)),
        };
    } else if let Some((from, drag)) = dragging {
        if response.dragged_by(egui::PointerButton::Primary)
            && let Some(p) = response.interact_pointer_pos()
            && let Some(id) = app.feature.clone()
        {
            // Snaps like a grid's vertex: onto grid, boundary and river vertices and edges.
            let w = app.view.to_world(p);
            let tol = app.snap_tol();
            let to = app
                .doc
                .snap_index()
                .snap_except(w, tol, Some(from))
                .map_or(w, |s| s.at);
            // Where the edit puts it: on the coordinate grid.
            let to = app.doc.project().crs.precision().snap_coord(to);
            move_feature_vertex(app, &id, from, to, drag);
            app.tool = Tool::Vertices {
                dragging: Some((to, drag)),
            };
        }
        if response.drag_stopped() {
            app.doc.seal();
            app.tool = Tool::Vertices { dragging: None };
        }
    }
}

/// The grids whose area holds the point, found through the document's envelope index.
fn grids_at(doc: &Document, p: Coord<f64>) -> impl Iterator<Item = &Grid> {
    use geo::Contains;
    doc.ids_in(geo::Rect::new(p, p))
        .into_iter()
        .filter_map(|id| doc.grid(id))
        .filter(move |g| g.geometry.contains(&geo::Point(p)))
}

/// The deepest grid under the point (level 3 before 2 before 1).
pub fn pick(doc: &Document, p: Coord<f64>) -> Option<&Grid> {
    grids_at(doc, p).max_by_key(|g| g.level)
}

/// The parent for a new grid drawn around `p`: the deepest grid containing it that has
/// children, or a level-2 grid.
fn parent_for(doc: &Document, p: Coord<f64>) -> Option<&Grid> {
    grids_at(doc, p)
        .filter(|g| g.level < 3)
        .filter(|g| g.level == 2 || doc.has_children(&g.id))
        .max_by_key(|g| g.level)
}

/// Snap a screen position: to a vertex or edge within the tolerance, else the raw point.
fn snapped(app: &mut GridmapApp, pos: Pos2) -> (Coord<f64>, bool) {
    let w = app.view.to_world(pos);
    let tol = app.snap_tol();
    match app.doc.snap_index().snap(w, tol) {
        Some(s) => (s.at, true),
        None => (w, false),
    }
}

/// The way along a ring (a grid's outline or hole, or the boundary) between two of its
/// vertices, for tracing: the shortest such way in metres, over every ring that has both
/// (a hole's edge, not the long way round the grid around it).
fn trace_between(doc: &Document, from: Coord<f64>, to: Coord<f64>) -> Option<Vec<Coord<f64>>> {
    if from == to {
        return None;
    }
    let rings = doc
        .ids_in(geo::Rect::new(from, to))
        .into_iter()
        .filter_map(|id| doc.grid(id))
        .map(|g| &g.geometry)
        .chain(doc.project().boundary.iter().map(|b| &b.geometry))
        .flat_map(|mp| mp.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| &r.0);
    rings
        .filter(|r| r.contains(&from) && r.contains(&to))
        .filter_map(|r| edit::trace(r, from, to))
        .min_by(|a, b| crate::geom::path_length(a).total_cmp(&crate::geom::path_length(b)))
        .filter(|path| path.len() > 2)
}

/// How many points the sketch had after each click, so that Backspace takes back a whole
/// click (a traced run of many vertices at once). Kept in the canvas's memory, not in the
/// app: it lives and dies with the sketch.
fn sketch_runs(ctx: &egui::Context, f: impl FnOnce(&mut Vec<usize>)) {
    ctx.data_mut(|d| f(d.get_temp_mut_or_default::<Vec<usize>>(egui::Id::unique("sketch-runs"))));
}

/// The nearest vertex of any grid within the snap tolerance.
fn vertex_near(app: &mut GridmapApp, pos: Pos2) -> Option<Coord<f64>> {
    let w = app.view.to_world(pos);
    let tol = app.snap_tol();
    app.doc
        .snap_index()
        .snap(w, tol)
        .filter(|s| s.kind == SnapKind::Vertex)
        .map(|s| s.at)
}

/// Finish the polygon being drawn: a new grid under the parent at its centre.
fn finish_grid_draw(app: &mut GridmapApp, pts: Vec<Coord<f64>>) {
    if pts.len() < 3 {
        app.tool = Tool::Select;
        return;
    }
    let shape = crate::geom::polygon_from(&pts);
    let centre = shape.interior_point().map(|p| p.0).unwrap_or(pts[0]);
    let (level, parent) = match parent_for(&app.doc, centre) {
        Some(p) => (p.level + 1, Some(p.id.clone())),
        None => (2, None),
    };
    let id = edit::new_id(&app.doc, parent.as_deref().unwrap_or("G"));
    let mut g = Grid::new(id.clone(), level, shape);
    g.parent = parent;
    g.name = format!("{} {id}", crate::model::working_name::DRAWN);
    let r = edit::add_grid(&app.doc, g, app.avoid());
    let ok = r.is_ok();
    app.apply(r);
    if ok {
        app.selection = vec![id];
    }
    app.tool = Tool::Select;
}

/// Give the selected grid the drawn shape.
fn finish_reshape(app: &mut GridmapApp, pts: Vec<Coord<f64>>) {
    app.tool = Tool::Select;
    let Some(id) = app.selection.first().cloned() else {
        return;
    };
    if pts.len() < 3 {
        return;
    }
    let shape = crate::geom::polygon_from(&pts);
    let r = edit::reshape(&app.doc, &id, shape, app.avoid());
    app.apply(r);
}

/// Split the selected grid along the drawn line.
fn finish_grid_split(app: &mut GridmapApp, pts: Vec<Coord<f64>>) {
    app.tool = Tool::Select;
    let Some(id) = app.selection.first().cloned() else {
        return;
    };
    if pts.len() < 2 {
        return;
    }
    let r = edit::split(&app.doc, &id, &LineString(pts));
    app.apply(r);
}

/// A click with the select tool: the feature of the edited layer under it, or none.
fn select_feature(app: &mut GridmapApp, at: Pos2) {
    let w = app.view.to_world(at);
    let tol = app.snap_tol();
    let p = app.doc.project();
    app.feature = on_layer!(app.edit_layer, T => edit::pick::<T>(p, w, tol));
}

/// The vertex of the edited layer near the pointer, and its feature.
fn feature_vertex_at(app: &GridmapApp, at: Pos2) -> Option<(String, Coord<f64>)> {
    let w = app.view.to_world(at);
    let tol = app.snap_tol();
    let p = app.doc.project();
    on_layer!(app.edit_layer, T => edit::vertex_near::<T>(p, w, tol))
}

/// Move a vertex of feature `id` (one undo step per drag).
fn move_feature_vertex(
    app: &mut GridmapApp,
    id: &str,
    from: Coord<f64>,
    to: Coord<f64>,
    drag: u64,
) {
    let p = app.doc.project();
    let drag = drag.to_string();
    let r = on_layer!(app.edit_layer, T => edit::move_vertex_of::<T>(p, id, from, to, &drag));
    match r {
        Ok(t) => app.commit(t),
        Err(e) => app.message = crate::error::report(&e),
    }
}

/// Finish drawing a feature of the edited layer through the clicked points (a natural
/// village is placed by one click).
fn finish_feature_draw(app: &mut GridmapApp, pts: Vec<Coord<f64>>) {
    let p = app.doc.project();
    let area = || crate::geom::polygon_from(&pts);
    let (t, id) = match app.edit_layer {
        Layer::Rivers if pts.len() >= 2 => {
            let id = edit::new_feature_id::<River>(p, "R");
            let f = River {
                id: id.clone(),
                name: "新河流".into(),
                geometry: MultiLineString(vec![LineString(pts)]),
                extra: Default::default(),
            };
            (edit::add_feature(p, f, "绘制河流 / Draw river"), id)
        }
        Layer::Reservoirs if pts.len() >= 3 => {
            let id = edit::new_feature_id::<Reservoir>(p, "S");
            let f = Reservoir {
                id: id.clone(),
                name: "新水库".into(),
                geometry: area(),
                extra: Default::default(),
            };
            (edit::add_feature(p, f, "绘制水库 / Draw reservoir"), id)
        }
        Layer::Boundary if pts.len() >= 3 => {
            let id = edit::new_feature_id::<Boundary>(p, "B");
            let f = Boundary {
                id: id.clone(),
                name: "镇界".into(),
                geometry: area(),
                extra: Default::default(),
            };
            (edit::add_feature(p, f, "绘制镇界 / Draw boundary"), id)
        }
        Layer::Villages if !pts.is_empty() => {
            let id = edit::new_feature_id::<Village>(p, "V");
            let f = Village {
                id: id.clone(),
                name: "新自然村".into(),
                location: Point(pts[0]),
                households: None,
                population: None,
                extra: Default::default(),
            };
            (
                edit::add_feature(p, f, "添加自然村 / Add natural village"),
                id,
            )
        }
        _ => return,
    };
    app.apply(Ok(t));
    app.feature = Some(id);
}

/// Split the selected river where the line drawn crosses it (at its first point near it).
fn split_river(app: &mut GridmapApp, pts: Vec<Coord<f64>>) {
    let Some(id) = app
        .feature
        .clone()
        .filter(|_| app.edit_layer == Layer::Rivers)
    else {
        app.message = crate::error::bilingual("请先选择一条河流", "select a river first");
        return;
    };
    let Some(&at) = pts.first() else { return };
    let p = app.doc.project();
    let new_id = edit::new_feature_id::<River>(p, &id);
    let r = edit::split_river(p, &id, at, &new_id);
    app.apply(r);
}
