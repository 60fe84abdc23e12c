//! `cargo bench --bench canvas`: the app as a user drives it, on synthetic coverages of
//! 10,000 and 100,000 grids and on 400 grids of about 7,000 vertices each (wiggly edges,
//! `gridmap synth --dense 1500`). Each frame runs the whole app UI and egui's tessellation (the
//! CPU side of a frame; the GPU draw is not included):
//! - opening: the document (audit and every derived structure) to the first full frame;
//! - panning and zooming at the full extent and zoomed in;
//! - editing: a vertex drag, frame by frame, each frame committing the move through the
//!   document and drawing the next frame; then a split and its undo.
//!
//! `cargo bench --bench canvas -- --quick` runs 10,000 grids only, `-- --dense` the dense
//! grids only.

use egui_kittest::Harness;
use gridmap::ui::GridmapApp;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn frame(h: &mut Harness<GridmapApp>) -> f64 {
    let t = Instant::now();
    let mut clock = t;
    h.step();
    gridmap::timing::phase("frame: the app", &mut clock);
    let shapes = h.output().shapes.clone();
    let primitives = h.ctx.tessellate(shapes, 1.0);
    std::hint::black_box(primitives);
    gridmap::timing::phase("frame: tessellation", &mut clock);
    t.elapsed().as_secs_f64() * 1e3
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[(v.len() * 95 / 100).min(v.len() - 1)])
}

fn row(what: &str, coverage: &str, v: Vec<f64>) {
    let n = v.len();
    let (median, p95) = stats(v);
    println!("| {coverage} | {what} | {n} | {median:.1} ms | {p95:.1} ms |");
}

/// Measure on `cells` Voronoi cells; with `dense`, their edges wiggly lines of up to that
/// many vertices (`gridmap synth --dense`), grids of thousands of vertices.
fn measure(cells: usize, dense: Option<usize>) {
    // The coverage as a GeoPackage project file, opened from the File menu's typed path.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    let (file, coverage) = match dense {
        Some(n) => (
            dir.join(format!("synth-{cells}-dense{n}.gpkg")),
            format!("{cells} grids, edges of up to {n} vertices"),
        ),
        None => (
            dir.join(format!("synth-{cells}.gpkg")),
            format!("{cells} grids"),
        ),
    };
    let coverage = coverage.as_str();
    if !file.exists() {
        let _ = std::fs::create_dir_all(&dir);
        let project = match dense {
            Some(n) => gridmap::synth::synthetic_dense(cells, 7, n),
            None => gridmap::synth::synthetic_project(cells, 7, 1),
        };
        gridmap::commands::export(&project, &file, &Default::default()).expect("export");
    }
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, Default::default(), None));
    h.run_steps(2);
    let t = Instant::now();
    h.state_mut()
        .execute(gridmap::ui::UiCommand::OpenRecent(file.clone()));
    // As the app's event loop runs it: a frame when the progress dialog asks for one, and
    // one as soon as the worker is done (it wakes the window).
    let mut shown = Instant::now();
    while h.state().loading.is_some() {
        std::thread::sleep(std::time::Duration::from_millis(2));
        let done = h
            .state()
            .loading
            .as_ref()
            .is_some_and(|l| l.fraction() >= 0.999);
        if done || shown.elapsed() >= gridmap::ui::loading::PROGRESS_REPAINT {
            h.step();
            shown = Instant::now();
        }
    }
    frame(&mut h);
    let open = t.elapsed().as_secs_f64();
    assert_eq!(h.state().doc.project().grids.len(), cells + 1);
    println!(
        "| {coverage} | open a GeoPackage to the first full frame | 1 | {:.0} ms | |",
        open * 1e3
    );
    h.run_steps(3);

    // Pan and zoom at the full extent.
    let mut times = Vec::new();
    for i in 0..40 {
        {
            let app = h.state_mut();
            app.view.pan(egui::vec2(7.0, 3.0));
            if i % 10 == 5 {
                let c = app.view.rect.center();
                app.view
                    .zoom_at(c, if i % 20 == 5 { 1.3 } else { 1.0 / 1.3 });
            }
        }
        times.push(frame(&mut h));
    }
    row("pan/zoom, full extent", coverage, times);

    // Zoomed in on the middle (about 300 grids on screen), panning.
    let centre = {
        let app = h.state_mut();
        let c = app.view.rect.center();
        app.view.zoom_at(c, (cells as f64 / 300.0).sqrt());
        app.view.to_world(c)
    };
    let mut times = Vec::new();
    for _ in 0..40 {
        h.state_mut().view.pan(egui::vec2(9.0, -4.0));
        times.push(frame(&mut h));
    }
    row("pan, zoomed in", coverage, times);

    // A vertex drag through the document, each frame drawn.
    let id = {
        let app = h.state();
        let mut ids = app.doc.ids_in(geo::Rect::new(centre, centre));
        ids.retain(|i| app.doc.grid(i).is_some_and(|g| g.level == 2));
        ids.first()
            .map(|s| s.to_string())
            .expect("a cell at the centre")
    };
    let ring = h.state().doc.grid(&id).unwrap().geometry.0[0]
        .exterior()
        .0
        .clone();
    let mut at = ring[0];
    let mut times = Vec::new();
    for k in 0..30 {
        // On the coordinate grid, where the edit puts it (as the canvas does).
        let to = h
            .state()
            .doc
            .project()
            .crs
            .precision()
            .snap_coord(geo::Coord {
                x: at.x + 0.3,
                y: at.y + if k % 2 == 0 { 0.2 } else { -0.2 },
            });
        let t = Instant::now();
        {
            let app = h.state_mut();
            let tr = gridmap::edit::move_vertex(&app.doc, at, to, "bench");
            app.commit(tr);
        }
        let f = frame(&mut h);
        let _ = f;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        at = to;
    }
    h.state_mut().doc.seal();
    row("vertex drag frame (commit + frame)", coverage, times);

    // Split the cell and undo, each with the next frame.
    let env = gridmap::geom::envelope(&h.state().doc.grid(&id).unwrap().geometry).unwrap();
    let line = geo::LineString(vec![
        geo::Coord {
            x: env.min().x - 5.0,
            y: env.center().y + 0.3,
        },
        geo::Coord {
            x: env.max().x + 5.0,
            y: env.center().y + 0.3,
        },
    ]);
    let mut split = Vec::new();
    let mut undo = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        {
            let app = h.state_mut();
            let r = gridmap::edit::split(&app.doc, &id, &line);
            app.apply(r);
        }
        frame(&mut h);
        split.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        h.state_mut().execute(gridmap::ui::UiCommand::Undo);
        frame(&mut h);
        undo.push(t.elapsed().as_secs_f64() * 1e3);
    }
    row("split (commit + frame)", coverage, split);
    row("undo (commit + frame)", coverage, undo);
}

fn main() {
    gridmap::process::small_pages();
    let quick = std::env::args().any(|a| a == "--quick");
    let dense = std::env::args().any(|a| a == "--dense");
    println!("| coverage | what | frames | median | 95th percentile |\n|---|---|---|---|---|");
    if dense {
        measure(400, Some(1500));
        return;
    }
    measure(10_000, None);
    if !quick {
        measure(100_000, None);
        measure(400, Some(1500));
    }
}
