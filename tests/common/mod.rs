//! Helpers shared by the integration tests.
#![allow(dead_code)]

use gridmap::Project;
use gridmap::io::ReadOptions;
use std::path::{Path, PathBuf};

pub mod edits;
#[cfg(feature = "gui")]
pub mod ui;

/// The path of a bundled map in `sample-maps/`, e.g. "jinping-faulty.geojson".
pub fn sample_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-maps")
        .join(name)
}

/// The path of the clean sample township.
pub fn sample_path() -> PathBuf {
    sample_file("jinping.geojson")
}

/// A bundled map from `sample-maps/`, read with the default options.
pub fn load(name: &str) -> Project {
    gridmap::io::open(&[sample_file(name).as_path()], &ReadOptions::default())
        .expect("sample loads")
}

/// The clean sample township.
pub fn sample() -> Project {
    load("jinping.geojson")
}

/// A path as the text a command line takes.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Rename DBF columns in place (the header's 11-byte field names), as data from another
/// office would name them.
pub fn rename_dbf_fields(dbf: &Path, renames: &[(&str, &str)]) {
    let mut b = std::fs::read(dbf).unwrap();
    let header_len = u16::from_le_bytes([b[8], b[9]]) as usize;
    let mut off = 32;
    while off + 32 <= header_len && b[off] != 0x0D {
        let name: String = b[off..off + 11]
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as char)
            .collect();
        if let Some((_, new)) = renames.iter().find(|(old, _)| *old == name) {
            let mut field = [0u8; 11];
            field[..new.len()].copy_from_slice(new.as_bytes());
            b[off..off + 11].copy_from_slice(&field);
        }
        off += 32;
    }
    std::fs::write(dbf, b).unwrap();
}

/// Run the `gridmap` binary with `args`; its output, after asserting it succeeded (its
/// stderr in the message when not).
pub fn gridmap_ok(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(args)
        .output()
        .expect("gridmap runs");
    assert!(
        out.status.success(),
        "gridmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
