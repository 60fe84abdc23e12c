//! Every input the fuzz targets keep (tests/fuzz/corpus/<target>/) and every input that
//! once crashed one (tests/fuzz/crashes/<target>/) runs through the same function the
//! target calls (`gridmap::fuzzing`): none may panic. docs/reference.md, "Fuzzing".

use std::path::Path;

fn run_all(target: &str, f: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut n = 0;
    for kind in ["corpus", "crashes"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| f(&data));
            assert!(outcome.is_ok(), "{} panicked", path.display());
            n += 1;
        }
    }
    assert!(n > 0, "no inputs kept for the {target} target");
}

#[test]
fn geojson_inputs() {
    run_all("geojson", gridmap::fuzzing::geojson);
}

#[test]
fn shapefile_inputs() {
    run_all("shapefile", gridmap::fuzzing::shapefile);
}

#[test]
fn kml_inputs() {
    run_all("kml", gridmap::fuzzing::kml);
}

#[test]
fn dxf_inputs() {
    run_all("dxf", gridmap::fuzzing::dxf);
}

#[test]
fn gpkg_inputs() {
    run_all("gpkg", gridmap::fuzzing::gpkg);
}

#[test]
fn roster_inputs() {
    run_all("roster", gridmap::fuzzing::roster);
}

#[test]
fn print_inputs() {
    run_all("print", gridmap::fuzzing::print);
}
