//! `gridmap bench-print`: the prints the targets are set for, best of three each.

use gridmap::Project;
use gridmap::commands;
use gridmap::print::{self, Layout, PrintOptions};
use std::path::Path;
use std::time::Instant;

/// One print benchmark: what, best time of three, output size.
pub struct PrintBenchRow {
    pub what: String,
    pub seconds: f64,
    pub bytes: usize,
}

/// Time the prints the issue sets targets for, best of three each: the A0 township map to
/// PDF and to 300 dpi PNG, and the atlas of every board to PDF (compose + encode + write).
pub fn bench_print(project: &Project, dir: &Path) -> anyhow::Result<Vec<PrintBenchRow>> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let town = PrintOptions::new(Layout::Township);
    let atlas = PrintOptions::new(Layout::Atlas);
    let boards = print::compose(project, &atlas)?
        .pages
        .iter()
        .filter(|p| p.meta.frame.is_some())
        .count();
    let cases: [(String, &PrintOptions, &str); 3] = [
        ("A0 township map → PDF".into(), &town, "town.pdf"),
        ("A0 township map → PNG 300 dpi".into(), &town, "town.png"),
        (
            format!("atlas of {boards} boards → PDF"),
            &atlas,
            "atlas.pdf",
        ),
    ];
    let mut rows = Vec::new();
    for (what, opts, file) in cases {
        let out = dir.join(file);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t0 = Instant::now();
            commands::print(project, opts, &out, 300)?;
            best = best.min(t0.elapsed().as_secs_f64());
        }
        let bytes = std::fs::metadata(&out)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        rows.push(PrintBenchRow {
            what,
            seconds: best,
            bytes,
        });
    }
    Ok(rows)
}

/// The rows as a Markdown table.
pub fn render_print_bench(rows: &[PrintBenchRow]) -> String {
    let mut s = String::from("| print | best of 3 | file |\n|---|---|---|\n");
    for r in rows {
        s.push_str(&format!(
            "| {} | {:.2} s | {:.1} MB |\n",
            r.what,
            r.seconds,
            r.bytes as f64 / 1e6
        ));
    }
    s
}
