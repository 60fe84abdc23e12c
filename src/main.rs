//! `gridmap`: the desktop app, or with a subcommand the command line (`src/cli/`). On
//! Windows it is a windowed program (no console opens when it is double-clicked); the
//! console program there is `gridmap-cli` (`src/bin/gridmap-cli.rs`).

#![cfg_attr(windows, windows_subsystem = "windows")]

mod cli;

// The audit of a large coverage makes millions of small allocations; mimalloc handles
// them several times faster than the system's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cli::main()
}
