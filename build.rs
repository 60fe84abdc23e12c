//! Windows builds get an icon and a version resource: `assets/windows/gridmap.rc` is
//! compiled with MinGW's `windres` (or `$WINDRES`) and linked into the binaries. Nothing is
//! done for other targets.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=assets/windows/gridmap.rc");
    println!("cargo:rerun-if-changed=assets/windows/gridmap.ico");
    println!("cargo:rerun-if-env-changed=WINDRES");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let res = out.join("gridmap-resource.o");
    let windres =
        std::env::var("WINDRES").unwrap_or_else(|_| "x86_64-w64-mingw32-windres".to_string());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let part = |k: &str| std::env::var(k).unwrap_or_else(|_| "0".into());
    let status = Command::new(&windres)
        .current_dir("assets/windows")
        .args(["-O", "coff", "-c", "65001", "-i", "gridmap.rc", "-o"])
        .arg(&res)
        .arg(format!(
            "-DGRIDMAP_VERSION_MAJOR={}",
            part("CARGO_PKG_VERSION_MAJOR")
        ))
        .arg(format!(
            "-DGRIDMAP_VERSION_MINOR={}",
            part("CARGO_PKG_VERSION_MINOR")
        ))
        .arg(format!(
            "-DGRIDMAP_VERSION_PATCH={}",
            part("CARGO_PKG_VERSION_PATCH")
        ))
        .arg(format!("-DGRIDMAP_VERSION_STRING=\\\"{version}\\\""))
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("cargo:rustc-link-arg-bins={}", res.display());
        }
        Ok(s) => panic!("{windres} failed ({s}) on assets/windows/gridmap.rc"),
        Err(e) => panic!("{windres} not found ({e}): install mingw-w64 to build for Windows"),
    }
}
