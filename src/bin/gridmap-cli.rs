//! `gridmap-cli`: the same program as `gridmap` as a console program, for `cmd.exe` and
//! PowerShell on Windows, where `gridmap.exe` is a windowed program without a console.

#[path = "../cli/mod.rs"]
mod cli;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cli::main()
}
