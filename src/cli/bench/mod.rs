//! The benchmark subcommands (`bench`, `bench-print`, `bench-edit`). They live with the
//! binaries, not in the library: they time the library's public functions as a user's run
//! does, and nothing else needs them (`cargo bench --bench audit` includes `audit.rs`).

mod audit;
mod edit;
mod print;

use gridmap::io::ReadOptions;
use std::path::PathBuf;

/// `gridmap bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Where the synthetic files are written (reused when present).
    #[arg(long, default_value = "bench-data")]
    dir: PathBuf,
    /// Only the small sizes (1k, 10k).
    #[arg(long)]
    quick: bool,
}

impl BenchArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let sizes = audit::bench_sizes(self.quick);
        let rows = audit::bench(&self.dir, &sizes)?;
        out!("{}", audit::render_bench(&rows))?;
        Ok(0)
    }
}

/// `gridmap bench-print`.
#[derive(clap::Args)]
pub struct BenchPrintArgs {
    #[arg(default_value = "sample-maps/jinping.geojson")]
    file: PathBuf,
    #[arg(long, default_value = "bench-data")]
    dir: PathBuf,
}

impl BenchPrintArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = gridmap::commands::load(&[self.file], &ReadOptions::default())?;
        let rows = print::bench_print(&project, &self.dir)?;
        out!("{}", print::render_print_bench(&rows))?;
        Ok(0)
    }
}

/// `gridmap bench-edit`.
#[derive(clap::Args)]
pub struct BenchEditArgs {
    /// Number of grids (Voronoi cells).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=2_000_000))]
    cells: u64,
    /// Wiggly edges of up to this many vertices each (`gridmap synth --dense`): grids of
    /// thousands of vertices, like boundaries traced along rivers.
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=20_000))]
    dense: Option<u64>,
    /// Edit this project (any file gridmap opens) instead of a synthetic coverage.
    #[arg(long, conflicts_with_all = ["cells", "dense"])]
    file: Option<PathBuf>,
    /// Edits of each kind.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    runs: u64,
}

impl BenchEditArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let runs = self.runs as usize;
        let (title, project) = match (&self.file, self.dense) {
            (Some(f), _) => (
                f.display().to_string(),
                gridmap::commands::load(std::slice::from_ref(f), &ReadOptions::default())?,
            ),
            (None, Some(n)) => (
                format!("{} grids, edges of up to {n} vertices", self.cells),
                gridmap::synth::synthetic_dense(self.cells as usize, 42, n as usize),
            ),
            (None, None) => (
                format!("{} grids", self.cells),
                gridmap::synth::synthetic_project(self.cells as usize, 42, 1),
            ),
        };
        let run = edit::bench_edit(project, runs)?;
        out!("{}", edit::render_edit_bench(&title, &run))?;
        Ok(0)
    }
}
