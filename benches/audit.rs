//! `cargo bench`: audit synthetic Voronoi coverages of 1k, 10k and 100k cells and a
//! densified 100k-cell coverage (about 3.7 million vertices), reading each from GeoJSON as
//! a user's run does. The same as `gridmap bench`; figures are in README.md.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The benchmark of `gridmap bench`, from the binaries' side of the crate.
#[path = "../src/cli/bench/audit.rs"]
mod audit;

fn main() {
    gridmap::process::small_pages();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes = audit::bench_sizes(quick);
    match audit::bench(&dir, &sizes) {
        Ok(rows) => print!("{}", audit::render_bench(&rows)),
        Err(e) => {
            eprintln!("bench: {}", gridmap::error::report(&*e));
            std::process::exit(1);
        }
    }
}
