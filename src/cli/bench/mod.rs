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
        print!("{}", audit::render_bench(&rows));
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
        print!("{}", print::render_print_bench(&rows));
        Ok(0)
    }
}

/// `gridmap bench-edit`.
#[derive(clap::Args)]
pub struct BenchEditArgs {
    /// Number of grids (Voronoi cells).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=2_000_000))]
    cells: u64,
    /// Edits of each kind.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    runs: u64,
}

impl BenchEditArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let (cells, runs) = (self.cells as usize, self.runs as usize);
        let (open_s, rows) = edit::bench_edit(cells, runs)?;
        print!("{}", edit::render_edit_bench(cells, open_s, &rows));
        Ok(0)
    }
}
