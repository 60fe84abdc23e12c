//! Reading and writing projects: GeoJSON (RFC 7946 and the legacy `crs` member) and
//! reprojection through PROJ.

mod coords;
mod error;
pub mod geojson;
pub mod reproject;
pub mod worldfile;

pub use error::LoadError;
pub use reproject::Reprojector;

use crate::model::Project;
use std::path::Path;

/// Write `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
/// A crash during the write leaves the previous file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Open a project from one file, or several files (one per layer) merged.
pub fn open(paths: &[&Path], opts: &geojson::ReadOptions) -> Result<Project, LoadError> {
    geojson::read_files(paths, opts)
}
