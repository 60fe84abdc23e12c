//! The window itself: language, the layer tree and order, the command palette.

use crate::common::ui::*;
use egui::Modifiers;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridmap::ui::GridmapApp;

#[test]
fn the_interface_switches_to_english() {
    let mut h = app("jinping.geojson");
    assert!(h.query_by_label("绘制网格").is_some());
    h.get_by_label("English").click();
    h.run_steps(2);
    assert!(h.query_by_label("Draw grid").is_some());
    assert!(h.query_by_label("绘制网格").is_none());
}

#[test]
fn the_layer_tree_expands_a_village_and_selects_a_grid() {
    let mut h = app("jinping.geojson");
    let (village, child) = {
        let p = &h.state().doc.project();
        let v = p.grids.iter().find(|g| g.level == 2).unwrap();
        let c = p.children_of(&v.id).next().unwrap();
        (v.id.clone(), (c.id.clone(), c.name.clone()))
    };
    assert!(h.query_by_label(&child.1).is_none(), "collapsed at first");
    h.get_all_by_label("+")
        .next()
        .expect("expand button")
        .click();
    h.run_steps(2);
    assert!(h.state().panels.layers.expanded.contains(&village));
    h.get_by_label(&child.1).click();
    h.run_steps(2);
    assert_eq!(h.state().selection, vec![child.0]);
}

#[test]
fn layer_order_can_be_changed() {
    let mut h = app("jinping.geojson");
    let before = h.state().layers.order.clone();
    h.get_by_label("图层顺序").click();
    h.run_steps(2);
    // The list shows the top layer first; its "down" button moves it under the next one.
    h.get_all_by_label("↓").next().expect("down button").click();
    h.run_steps(2);
    let after = &h.state().layers.order;
    let n = before.len();
    assert_eq!(after[n - 1], before[n - 2]);
    assert_eq!(after[n - 2], before[n - 1]);
}

/// Ctrl+Shift+P opens the command palette; a command found by part of its Chinese or
/// English name runs through the same path as its menu entry (Enter or the arrows pick).
#[test]
fn the_command_palette_finds_commands_in_both_languages_and_runs_them() {
    fn palette(h: &mut Harness<GridmapApp>, query: &str) {
        h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::P);
        h.run_steps(2);
        h.event(egui::Event::Text(query.into()));
        h.run_steps(2);
    }
    let mut h = app("jinping.geojson");
    h.state_mut()
        .execute(gridmap::ui::UiCommand::DeleteNow(vec!["JP05-01".into()]));
    h.run_steps(2);
    assert_eq!(h.state().doc.project().grids.len(), 79);
    // 撤销 (Undo) by its Chinese name.
    palette(&mut h, "撤销");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert_eq!(h.state().doc.project().grids.len(), 80);
    assert!(
        h.state().dialogs.print_dialog.is_none(),
        "Ctrl+Shift+P is not Ctrl+P"
    );
    // "save" finds Save, then Save as…: the arrow picks the second, which asks for a file.
    h.state_mut().dialogs.native_dialogs = false;
    palette(&mut h, "save");
    h.key_press(egui::Key::ArrowDown);
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(
        h.state().dialogs.file_chooser.is_some(),
        "Save as… asks for a file"
    );
    h.state_mut().dialogs.file_chooser = None;
    h.run_steps(2);
    // The language switch by its English name.
    palette(&mut h, "switch lang");
    h.get_by_label_contains("切换界面语言");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert_eq!(h.state().lang, gridmap::ui::Lang::En);
    h.get_by_label("File");
}

#[test]
fn a_palette_row_clicked_runs_its_command_and_map_keys_are_commands() {
    let mut h = app("jinping.geojson");
    h.run_steps(3);
    let scale = h.state().view.scale;
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::P);
    h.run_steps(2);
    h.event(egui::Event::Text("放大".into()));
    h.run_steps(2);
    // The row names the command and shows its keys from the same table.
    // The pointer comes over the row, then clicks (as a hand does: egui hit-tests
    // against where the widgets were the frame before).
    h.get_by_label_contains("放大").hover();
    h.run_steps(2);
    h.get_by_label_contains("放大").click();
    h.run_steps(3);
    let zoomed = h.state().view.scale;
    assert!(
        (zoomed / scale - 1.25).abs() < 1e-9,
        "clicking 放大 zooms in one step: {scale} -> {zoomed}"
    );
    assert!(!h.state().dialogs.palette_open(), "the palette closes");
    // The map's keys go through the same commands: '-' zooms back out, an arrow pans
    // the centre by the step the table's Pan command gives.
    h.key_press(egui::Key::Minus);
    h.run_steps(2);
    assert!((h.state().view.scale / scale - 1.0).abs() < 1e-9);
    let c = h.state().view.rect.center();
    let before = h.state().view.to_world(c);
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(2);
    let after = h.state().view.to_world(c);
    let moved = (before.x - after.x) * h.state().view.scale;
    assert!(
        (moved - 60.0).abs() < 1e-6,
        "the content moves 60 points right: {moved}"
    );
    // Esc with the draw tool and no sketch leaves the tool (Cancel from the table).
    h.state_mut()
        .execute(gridmap::ui::UiCommand::SetTool(gridmap::ui::Tool::Draw(
            vec![],
        )));
    h.run_steps(1);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert_eq!(h.state().tool, gridmap::ui::Tool::Select);
}

/// Issue 25: grids of thousands of vertices seen whole are filled from a coarser mesh (the
/// vertices closer than half a point left out): far fewer triangles, the same area to a
/// fraction of a percent, and the fine mesh again when zoomed in close.
#[test]
fn dense_grids_seen_whole_are_filled_from_fewer_triangles_of_the_same_area() {
    fn fill(h: &Harness<GridmapApp>) -> (usize, f64) {
        // The grids' fills are one mesh, the largest the frame has.
        let mut best = (0, 0.0);
        for c in &h.output().shapes {
            if let egui::Shape::Mesh(m) = &c.shape {
                let area: f64 = m
                    .indices
                    .chunks_exact(3)
                    .map(|t| {
                        let [a, b, c] = [0, 1, 2].map(|k| m.vertices[t[k] as usize].pos);
                        (((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)) / 2.0).abs() as f64
                    })
                    .sum();
                if m.indices.len() / 3 > best.0 {
                    best = (m.indices.len() / 3, area);
                }
            }
        }
        best
    }
    let p = gridmap::synth::synthetic_dense(30, 4, 600);
    let leaves: Vec<&gridmap::model::Grid> = p.grids.iter().filter(|g| g.level == 2).collect();
    let vertices: usize = leaves
        .iter()
        .map(|g| geo::CoordsIter::coords_count(&g.geometry))
        .sum();
    assert!(vertices > 30 * 1_000, "{vertices} vertices");
    let area: f64 = leaves
        .iter()
        .map(|g| gridmap::geom::area(&g.geometry))
        .sum();
    let mut h = window(move |ctx| GridmapApp::new(ctx, p, None));
    h.run_steps(4);
    let s = h.state().view.scale;
    let (triangles, drawn) = fill(&h);
    let expected = area * s * s;
    assert!(
        triangles * 3 < vertices,
        "{triangles} triangles for {vertices} vertices seen whole"
    );
    assert!(
        (drawn - expected).abs() < 0.005 * expected,
        "filled {drawn:.0} px² of {expected:.0}"
    );
    // Close in, the fine mesh: about a triangle per vertex of what is on screen.
    let c = h.state().view.rect.center();
    h.state_mut().view.zoom_at(c, 16.0);
    h.run_steps(2);
    let (close, _) = fill(&h);
    assert!(close > 0);
}

/// The map's text as drawn this frame: (text, its rectangle on screen, colour).
fn drawn_text(h: &Harness<GridmapApp>) -> Vec<(String, egui::Rect, egui::Color32)> {
    h.output()
        .shapes
        .iter()
        .filter_map(|c| match &c.shape {
            egui::Shape::Text(t) => Some((
                t.galley.text().to_string(),
                t.galley.rect.translate(t.pos.to_vec2()),
                t.fallback_color,
            )),
            _ => None,
        })
        .collect()
}

/// Every river of the sample is named on the map, in the river colour, and no name covers
/// a grid's label (the names used to sit at each river's middle vertex whatever lay there:
/// 「龙溪」 over 「龙潭村一组」, 「界溪」 over 「东湖村二组」); after a zoom too.
#[test]
fn river_names_are_drawn_where_they_cover_no_grid_label() {
    let mut h = app("jinping.geojson");
    let project = h.state().doc.project().clone();
    let rivers: Vec<&str> = project.rivers.iter().map(|r| r.name.as_str()).collect();
    assert!(rivers.len() >= 3, "the sample's rivers: {rivers:?}");
    let grids: std::collections::HashSet<&str> =
        project.grids.iter().map(|g| g.name.as_str()).collect();
    let check = |h: &Harness<GridmapApp>, what: &str| {
        let colour = h.state().layers.style.river;
        let text = drawn_text(h);
        let labels: Vec<&(String, egui::Rect, egui::Color32)> = text
            .iter()
            .filter(|(t, _, _)| t.lines().next().is_some_and(|l| grids.contains(l)))
            .collect();
        assert!(labels.len() > 20, "{what}: {} grid labels", labels.len());
        let map = h.state().view.rect;
        for name in &rivers {
            let river = project.rivers.iter().find(|r| r.name == *name).unwrap();
            let on_screen = river
                .lines()
                .flat_map(|l| l.0.iter())
                .any(|&c| map.contains(h.state().view.to_screen(c)));
            let drawn: Vec<_> = text.iter().filter(|(t, _, _)| t == name).collect();
            if !on_screen {
                continue;
            }
            assert_eq!(drawn.len(), 1, "{what}: {name} drawn {} times", drawn.len());
            let (_, rect, c) = drawn[0];
            assert_eq!(*c, colour, "{what}: {name} in the river colour");
            assert!(map.contains_rect(*rect), "{what}: {name} inside the map");
            for (label, r, _) in &labels {
                assert!(
                    !rect.intersects(*r),
                    "{what}: {name} at {rect:?} covers the label {label:?} at {r:?}"
                );
            }
        }
    };
    check(&h, "the whole township");
    let centre = h.state().view.rect.center();
    h.state_mut().view.zoom_at(centre, 2.0);
    h.run_steps(2);
    check(&h, "zoomed in twice");
}

/// Issue 25: the outlines of grids of thousands of vertices are drawn from their rings
/// thinned once for the zoom step (not thinned again at every frame): far fewer points than
/// the rings have, and every vertex of every ring within a point of a drawn point, at the
/// scale they were made for and after a zoom within or across steps.
#[test]
fn dense_outlines_are_drawn_from_fewer_points_within_a_point_of_every_vertex() {
    use std::collections::HashMap;
    let p = gridmap::synth::synthetic_dense(30, 4, 600);
    let rings: Vec<Vec<geo::Coord<f64>>> = p
        .grids
        .iter()
        .filter(|g| g.level == 2)
        .flat_map(|g| g.geometry.0.iter())
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .map(|r| r.0.clone())
        .collect();
    let vertices: usize = rings.iter().map(Vec::len).sum();
    let mut h = window(move |ctx| GridmapApp::new(ctx, p, None));
    h.run_steps(4);
    let check = |h: &Harness<GridmapApp>, what: &str| {
        let colour = h.state().layers.style.outline;
        // The points of the grids' outlines, in cells of one point.
        let mut cells: HashMap<(i32, i32), Vec<egui::Pos2>> = HashMap::new();
        let mut drawn = 0;
        for c in &h.output().shapes {
            if let egui::Shape::Path(path) = &c.shape
                && path.stroke.color == egui::epaint::ColorMode::Solid(colour)
            {
                for &q in &path.points {
                    drawn += 1;
                    let cell = (q.x.floor() as i32, q.y.floor() as i32);
                    cells.entry(cell).or_default().push(q);
                }
            }
        }
        let view = h.state().view;
        let mut seen = 0;
        let mut worst = 0f32;
        for v in rings.iter().flatten() {
            let at = view.to_screen(*v);
            if !view.rect.contains(at) {
                continue;
            }
            seen += 1;
            let (x, y) = (at.x.floor() as i32, at.y.floor() as i32);
            let nearest = (x - 1..=x + 1)
                .flat_map(|i| (y - 1..=y + 1).map(move |j| (i, j)))
                .filter_map(|k| cells.get(&k))
                .flatten()
                .map(|q| q.distance(at))
                .fold(f32::INFINITY, f32::min);
            worst = worst.max(nearest);
        }
        assert!(seen > 0, "{what}: vertices on screen");
        assert!(
            worst <= 1.0,
            "{what}: a vertex {worst} points from the drawn outline"
        );
        drawn
    };
    let whole = check(&h, "seen whole");
    assert!(
        whole * 3 < vertices,
        "{whole} points drawn for {vertices} vertices seen whole"
    );
    // A zoom within a step or across one: the rings thinned for the new scale's step.
    let c = h.state().view.rect.center();
    for k in [1.3, 1.3, 4.0] {
        h.state_mut().view.zoom_at(c, k);
        h.run_steps(2);
        check(&h, &format!("zoomed to {}", h.state().view.scale));
    }
}

/// The app on `p` in a 1200 x 800 window.
fn map_app(p: gridmap::Project) -> Harness<'static, GridmapApp> {
    Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, p, None))
}

/// The textured quads of a frame (the outline net), each with its texture and on-screen size.
fn textured(h: &Harness<GridmapApp>) -> Vec<(egui::TextureId, egui::Vec2)> {
    h.output()
        .shapes
        .iter()
        .filter_map(|c| match &c.shape {
            egui::Shape::Mesh(m) if m.texture_id != egui::TextureId::default() => {
                let r =
                    egui::Rect::from_points(&m.vertices.iter().map(|v| v.pos).collect::<Vec<_>>());
                Some((m.texture_id, r.size()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn after_a_zoom_the_outline_net_is_shown_scaled_until_it_is_drawn_again() {
    // 20,000 cells seen whole: too small to outline one by one, so the net draws them.
    let p = gridmap::synth::synthetic_project(20_000, 3, 1);
    let mut h = map_app(p);
    // A map this size is read off the frame; the app asks for frames until it is in.
    for _ in 0..1000 {
        if !h.state().doc.project().grids.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run_steps(1);
    }
    h.run_steps(4);
    let size_of = |h: &Harness<GridmapApp>, id: egui::TextureId| {
        let m = h.ctx.tex_manager().read().meta(id).map(|m| m.size).unwrap();
        egui::vec2(m[0] as f32, m[1] as f32)
    };
    let before = textured(&h);
    assert_eq!(before.len(), 1, "one net: {before:?}");
    let (net, shown) = before[0];
    assert!(
        (shown - size_of(&h, net)).length() < 1.0,
        "drawn pixel for pixel"
    );
    // Zoom in one step: the next frame shows the same net 1.3 times larger at once.
    let c = h.state().view.rect.center();
    h.state_mut().view.zoom_at(c, 1.3);
    h.run_steps(1);
    let scaled = textured(&h);
    assert_eq!(
        scaled[0].0, net,
        "the net drawn before, while the new one is made"
    );
    assert!(
        (scaled[0].1 - shown * 1.3).length() < 2.0,
        "{:?} is the old net scaled 1.3 times",
        scaled[0].1
    );
    // Its own thread draws the new one and asks for a frame.
    let mut fresh = None;
    for _ in 0..500 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run_steps(1);
        let t = textured(&h);
        if t[0].0 != net {
            fresh = Some(t[0]);
            break;
        }
    }
    let (new, drawn) = fresh.expect("the net is drawn again at the new zoom");
    assert!(
        (drawn - size_of(&h, new)).length() < 1.0,
        "pixel for pixel again"
    );
    assert!(drawn.x > shown.x * 1.2, "{drawn:?} covers the zoomed map");
}

/// The outlines a frame strokes: each path's points.
fn stroked(h: &Harness<GridmapApp>) -> Vec<Vec<egui::Pos2>> {
    h.output()
        .shapes
        .iter()
        .filter_map(|c| match &c.shape {
            egui::Shape::Path(p) if p.stroke.width > 0.0 && p.points.len() > 10 => {
                Some(p.points.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn outlines_moved_on_a_pan_are_the_outlines_drawn_anew_there() {
    let p = gridmap::synth::synthetic_dense(30, 4, 300);
    let mut h = map_app(p.clone());
    h.run_steps(4);
    let c = h.state().view.rect.center();
    h.state_mut().view.zoom_at(c, 2.0);
    h.run_steps(3);
    // Pan twice: the outlines kept from the frames before are moved.
    for d in [egui::vec2(37.0, -21.0), egui::vec2(-12.5, 44.0)] {
        h.state_mut().view.pan(d);
        h.run_steps(1);
    }
    let moved = stroked(&h);
    assert!(moved.len() > 20, "{} outlines", moved.len());
    // The same view in an app that has drawn nothing before.
    let mut fresh = map_app(p);
    fresh.run_steps(2);
    let (centre, scale) = (h.state().view.center, h.state().view.scale);
    fresh.state_mut().view.center = centre;
    fresh.state_mut().view.scale = scale;
    fresh.run_steps(2);
    let canvas = fresh.state().view.rect;
    let anew: Vec<Vec<egui::Pos2>> = stroked(&fresh)
        .into_iter()
        .filter(|pts| pts.iter().any(|q| canvas.contains(*q)))
        .collect();
    assert!(anew.len() > 20, "{} outlines", anew.len());
    for pts in &anew {
        let same = moved
            .iter()
            .any(|m| m.len() == pts.len() && m.iter().zip(pts).all(|(a, b)| a.distance(*b) < 0.01));
        assert!(
            same,
            "an outline at {:?} is drawn where it is drawn anew",
            pts[0]
        );
    }
}

/// The vertices of the largest untextured mesh of a frame: the grids' fills.
fn fill_vertices(h: &Harness<GridmapApp>) -> Vec<egui::Pos2> {
    h.output()
        .shapes
        .iter()
        .filter_map(|c| match &c.shape {
            egui::Shape::Mesh(m) if m.texture_id == egui::TextureId::default() => {
                Some(m.vertices.iter().map(|v| v.pos).collect::<Vec<_>>())
            }
            _ => None,
        })
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

/// Every fill vertex that a new app on `p` draws in `h`'s view is drawn by `h` as well
/// (whose fills may be moved and scaled from other views).
fn fills_as_made_anew(h: &Harness<GridmapApp>, p: gridmap::Project, what: &str) {
    let moved = fill_vertices(h);
    let mut fresh = map_app(p);
    fresh.run_steps(2);
    // Three zoom steps in first, so its fills for the view below are made anew.
    let (centre, scale) = (h.state().view.center, h.state().view.scale);
    fresh.state_mut().view.scale = scale * 8.0;
    fresh.run_steps(1);
    fresh.state_mut().view.center = centre;
    fresh.state_mut().view.scale = scale;
    fresh.run_steps(2);
    let canvas = fresh.state().view.rect;
    let anew: Vec<egui::Pos2> = fill_vertices(&fresh)
        .into_iter()
        .filter(|q| canvas.contains(*q))
        .collect();
    assert!(anew.len() > 1000, "{what}: {} vertices", anew.len());
    let mut xs: Vec<egui::Pos2> = moved;
    xs.sort_by(|a, b| a.x.total_cmp(&b.x));
    for q in anew.iter().step_by(5) {
        let from = xs.partition_point(|m| m.x < q.x - 0.02);
        let found = xs[from..]
            .iter()
            .take_while(|m| m.x <= q.x + 0.02)
            .any(|m| m.distance(*q) < 0.02);
        assert!(
            found,
            "{what}: a fill vertex at {q:?} is drawn where it is drawn anew"
        );
    }
}

#[test]
fn fills_moved_and_scaled_within_a_zoom_step_are_the_fills_made_anew_there() {
    let p = gridmap::synth::synthetic_project(2_000, 9, 1);
    let mut h = map_app(p.clone());
    h.run_steps(4);
    // A zoom that stays within its step (scales by a power of two bound the steps), then pans.
    let s = h.state().view.scale;
    let k = (2f64.powf(s.log2().floor() + 1.0) / s).min(1.25) * 0.98;
    let c = h.state().view.rect.center();
    h.state_mut().view.zoom_at(c, k);
    h.run_steps(1);
    for d in [egui::vec2(31.0, 17.0), egui::vec2(-8.5, -40.0)] {
        h.state_mut().view.pan(d);
        h.run_steps(1);
    }
    fills_as_made_anew(&h, p, "within a step");
}

/// A map of small grids only (none drawn thinned) seen whole, then zoomed across steps and
/// panned far: its fills, kept across zoom steps and made for the whole map, show what a
/// fresh draw shows.
#[test]
fn fills_of_the_whole_map_kept_across_zoom_steps_and_long_pans_are_the_fills_made_anew() {
    let p = gridmap::synth::synthetic_project(2_000, 9, 1);
    let mut h = map_app(p.clone());
    h.run_steps(4);
    let c = h.state().view.rect.center();
    // Out across a step (a power of two), back in across it, then pans of more than the
    // quarter of the view a view's own fills keep around it.
    let s = h.state().view.scale;
    let out = 2f64.powf(s.log2().floor()) / s * 0.9;
    h.state_mut().view.zoom_at(c, out);
    h.run_steps(1);
    fills_as_made_anew(&h, p.clone(), "zoomed out");
    let s = h.state().view.scale;
    h.state_mut()
        .view
        .zoom_at(c, 2f64.powf(s.log2().floor() + 1.0) / s * 1.05);
    h.run_steps(1);
    fills_as_made_anew(&h, p.clone(), "zoomed in");
    for _ in 0..4 {
        h.state_mut().view.pan(egui::vec2(60.0, -25.0));
        h.run_steps(1);
    }
    fills_as_made_anew(&h, p, "panned far");
}

/// The status bar says what draws the map: the renderer's short name, marked 软件渲染 /
/// software rendering when it is Mesa's llvmpipe (the window's fallback on machines whose
/// graphics driver cannot open it), the driver's whole description on hover.
#[test]
fn the_status_bar_names_the_renderer() {
    let project = load("jinping.geojson");
    let mut h = window(move |ctx| {
        GridmapApp::new(ctx, project, None).with_renderer(
            "llvmpipe (LLVM 15.0.6, 256 bits), 4.5 (Core Profile) Mesa 22.3.6".into(),
        )
    });
    h.run_steps(4);
    assert!(h.query_by_label("OpenGL: llvmpipe (软件渲染)").is_some());
    h.get_by_label("English").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("OpenGL: llvmpipe (software rendering)")
            .is_some()
    );
    // A GPU's own driver: no mark; without a window (no renderer) no label at all.
    let project = load("jinping.geojson");
    let mut h = window(move |ctx| {
        GridmapApp::new(ctx, project, None)
            .with_renderer("Mali-G52 (Panfrost), 3.1 Mesa 23.2.1".into())
    });
    h.run_steps(4);
    assert!(h.query_by_label("OpenGL: Mali-G52").is_some());
    assert!(h.query_by_label_contains("软件渲染").is_none());
    let h = app("jinping.geojson");
    assert!(h.query_by_label_contains("OpenGL").is_none());
}
