#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The dxf crate panics on some damaged drawings (a header date out of range, ...);
    // gridmap::io::dxf catches that and reports a damaged file. libFuzzer's panic hook
    // aborts before the catch: a quiet hook lets it work here as in the app. A panic that
    // nothing catches still ends the run (libfuzzer-sys aborts on it).
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    gridmap::fuzzing::dxf(data)
});
