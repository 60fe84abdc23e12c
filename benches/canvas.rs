//! `cargo bench --bench canvas`: frame time of the map canvas on a synthetic coverage of
//! 10,000 grids (and 1,000), panning and zooming as a user does. Each frame runs the whole
//! app UI and egui's tessellation (the CPU side of a frame; the GPU draw is not included).

use egui_kittest::Harness;
use gridmap::ui::GridmapApp;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn measure(cells: usize) {
    let project = gridmap::synth::synthetic_project(cells, 7, 1);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, project, None));
    h.run_steps(4);
    let frames = 60;
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        {
            let app = h.state_mut();
            app.view.pan(egui::vec2(7.0, 3.0));
            if i % 10 == 5 {
                let c = app.view.rect.center();
                app.view
                    .zoom_at(c, if i % 20 == 5 { 1.3 } else { 1.0 / 1.3 });
            }
        }
        let t = Instant::now();
        h.step();
        let shapes = h.output().shapes.clone();
        let primitives = h.ctx.tessellate(shapes, 1.0);
        times.push(t.elapsed().as_secs_f64());
        std::hint::black_box(primitives);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[frames / 2];
    let p95 = times[frames * 95 / 100];
    println!(
        "| {cells} grids | {:.1} ms | {:.1} ms | {:.0} fps |",
        median * 1000.0,
        p95 * 1000.0,
        1.0 / median
    );
}

fn main() {
    println!(
        "| coverage | median frame | 95th percentile | frames per second (median) |\n|---|---|---|---|"
    );
    for cells in [1_000, 10_000] {
        measure(cells);
    }
}
