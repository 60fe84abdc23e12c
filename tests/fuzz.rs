//! Every input the fuzz targets keep (tests/fuzz/corpus/<target>/) and every input that
//! once crashed one (tests/fuzz/crashes/<target>/) runs through the same function the
//! target calls (`gridmap::fuzzing`): none may panic. docs/reference.md, "Fuzzing".

use rayon::prelude::*;
use std::path::Path;

fn run_all(target: &str, f: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut files = Vec::new();
    for kind in ["corpus", "crashes"] {
        if let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no inputs kept for the {target} target");
    // The inputs are independent: taken on every core (a corpus of 1,700 shapefiles was
    // one test thread's 100 s while the other idled).
    let panicked: Vec<_> = files
        .par_iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            std::panic::catch_unwind(|| f(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(panicked.is_empty(), "panicked: {panicked:?}");
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
