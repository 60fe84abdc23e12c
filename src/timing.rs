//! Phase timings for profiling: set `GRIDMAP_TIMING=1` to print them to stderr.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("GRIDMAP_TIMING").is_some())
}

/// Print how long the phase `label` took since `start`, and restart the clock.
pub fn phase(label: &str, start: &mut Instant) {
    if enabled() {
        eprintln!("[timing] {label}: {:.3} s", start.elapsed().as_secs_f64());
    }
    *start = Instant::now();
}
