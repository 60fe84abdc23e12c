//! Reading and writing projects: GeoJSON (RFC 7946 and the legacy `crs` member),
//! shapefiles (with `.prj`, `.cpg` and GBK text), GeoPackage (the native project file),
//! CSV with WKT; reprojection through PROJ.

mod coords;
mod crsdef;
pub mod dxf;
mod error;
pub(crate) mod features;
pub mod gcj02;
pub mod geojson;
pub mod georef;
pub mod gpkg;
pub mod kml;
pub mod reproject;
pub mod roster;
pub mod shp;
mod source_validity;
pub mod table;
pub mod tiles;
pub mod worldfile;

pub use crsdef::{CrsKind, crs_from_wkt, crs_kind, crs_wkt};
pub use error::{
    CrsError, ExportError, FitError, GeometryError, LoadError, RosterError, RosterProblem,
    TileError, WriteError,
};
pub use features::suggest_crs;
pub use reproject::Reprojector;

use crate::model::{Crs, Project};
use std::path::{Path, PathBuf};

/// How to read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The working CRS to project into; default: the first projected CRS among the files,
    /// or the CGCS2000 3-degree Gauss-Kruger zone of the data's centre for
    /// longitude/latitude.
    pub working_crs: Option<Crs>,
    /// The CRS of files that name none (GeoJSON default: longitude/latitude, RFC 7946;
    /// a shapefile without `.prj` needs it).
    pub source_crs: Option<Crs>,
    /// Text encoding of shapefile attribute tables, overriding `.cpg` and detection.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Longitude/latitude input is GCJ-02 (traced on a commercial Chinese web map):
    /// convert it to WGS 84 first (approximate, about 1 m).
    pub gcj02: bool,
    /// Which attribute holds which field, where the guesses are not right.
    pub fields: FieldMap,
    /// DXF: the CAD layers to read (None: all).
    pub dxf_layers: Option<Vec<String>>,
}

pub use crate::model::FieldMap;

/// The column the reader would take for each grid field, among `columns` (名称/NAME/XZQMC,
/// 编码/CODE/XZQDM, 户数, 人口, ...).
pub fn guess_fields(columns: &[String]) -> FieldMap {
    let mut m = FieldMap::default();
    for (key, _, _) in FieldMap::FIELDS {
        let found = features::aliases(key)
            .iter()
            .find(|a| columns.iter().any(|c| c == *a))
            .or_else(|| {
                features::aliases(key)
                    .iter()
                    .find(|a| columns.iter().any(|c| c.eq_ignore_ascii_case(a)))
            });
        if let Some(a) = found {
            let col = columns.iter().find(|c| c.eq_ignore_ascii_case(a)).cloned();
            m.set(key, col);
        }
    }
    m
}

/// A CRS as a file names it: an EPSG code, or a definition PROJ understands (WKT from a
/// `.prj` or a GeoPackage) that matches no EPSG code.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceCrs {
    Epsg(Crs),
    Definition { text: String, geographic: bool },
}

impl SourceCrs {
    /// For messages: `EPSG:4326` or "the .prj's definition".
    pub fn describe(&self) -> String {
        match self {
            SourceCrs::Epsg(c) => c.authority(),
            SourceCrs::Definition { .. } => "(.prj)".to_string(),
        }
    }

    pub fn is_geographic(&self) -> bool {
        match self {
            SourceCrs::Epsg(c) => crs_kind(*c) == Some(CrsKind::Geographic),
            SourceCrs::Definition { geographic, .. } => *geographic,
        }
    }
}

/// The formats gridmap reads and writes, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Shapefile,
    GeoPackage,
    Csv,
    /// KML, or KMZ (zipped KML): for phones (奥维互动地图, Google Earth).
    Kml,
    /// AutoCAD DXF drawings (from 南方CASS and other CAD software).
    Dxf,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "shp" => Some(Format::Shapefile),
            "gpkg" => Some(Format::GeoPackage),
            "csv" => Some(Format::Csv),
            "kml" | "kmz" => Some(Format::Kml),
            "dxf" => Some(Format::Dxf),
            _ => None,
        }
    }
}

/// The most points (vertices, arcs' points included) one KML or DXF file becomes: counted
/// before the reader builds anything, so that a small KMZ or a few bulges cannot make
/// gigabytes. Reading and the audit take about 0.5 KB per point, so the worst case is
/// about 2 GB.
pub const MAX_POINTS: usize = 4_000_000;

/// The error for a file over [`MAX_POINTS`].
pub(crate) fn too_many_points(path: &Path) -> LoadError {
    LoadError::new(
        path,
        format!(
            "文件的节点（含圆弧展开的点）超过 {} 万个，超出本程序一次读入的上限；请分幅或抽稀后再导入。",
            MAX_POINTS / 10_000
        ),
        format!(
            "the file holds more than {MAX_POINTS} vertices (arcs included), more than gridmap reads at once; split or simplify it first."
        ),
    )
}

/// Read a whole file, with a bilingual error naming it.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|e| {
        LoadError::new(
            path,
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    })
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
/// A crash during the write leaves the previous file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    write_atomic_with(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })
}

/// Flush a written file to disk. Opened for writing: Windows refuses to flush a file opened
/// read-only.
pub(crate) fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .sync_all()
}

/// Write a file atomically through `write`, which creates the file at the temporary path
/// it is given (in the same folder as `path`) and syncs it; then rename over `path`.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (dir, name) = folder_and_name(path);
    let tmp = TempPath::new(dir, &name)?;
    write(tmp.path())?;
    std::fs::rename(tmp.path(), path)?;
    // The rename itself is made durable by syncing the folder (where the OS allows).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The folder of `path` (`.` for a bare name) and its file name.
pub(crate) fn folder_and_name(path: &Path) -> (&Path, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    (dir, name)
}

/// A temporary file or folder beside the file being written (`.NAME.PID.tmp`), removed when
/// dropped: on success after the rename, on every error path, and while a panic unwinds.
/// Those a killed run left (their process is gone) are removed when the next write to the
/// same name starts; one another gridmap is still writing refuses this write, so that two
/// exports to one file do not silently replace each other.
pub(crate) struct TempPath {
    path: PathBuf,
}

impl TempPath {
    pub(crate) fn new(dir: &Path, name: &str) -> std::io::Result<Self> {
        if let Some(pid) = clear_stale(dir, name) {
            return Err(std::io::Error::other(crate::error::bilingual(
                &format!("另一个 gridmap 进程（{pid}）正在写入此文件；请等它完成后再试"),
                &format!(
                    "another gridmap (process {pid}) is writing this file; try again when it has finished"
                ),
            )));
        }
        Ok(TempPath {
            path: dir.join(format!(".{name}.{}.tmp", std::process::id())),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        remove_temp(&self.path);
    }
}

/// Remove a temporary file or folder and what SQLite may have left beside it.
fn remove_temp(p: &Path) {
    if p.is_dir() {
        let _ = std::fs::remove_dir_all(p);
    } else {
        let _ = std::fs::remove_file(p);
    }
    for side in ["-journal", "-wal", "-shm"] {
        let mut s = p.as_os_str().to_owned();
        s.push(side);
        let _ = std::fs::remove_file(PathBuf::from(s));
    }
}

/// Remove `.NAME.PID.tmp` left in `dir` by runs that were killed; the process id of one
/// that is still being written, if any.
fn clear_stale(dir: &Path, name: &str) -> Option<u32> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return None;
    };
    let mut busy = None;
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        if running(pid, &entry.path()) {
            busy = Some(pid);
        } else {
            remove_temp(&entry.path());
        }
    }
    busy
}

/// Whether the process that made a temporary file may still be writing it: on Linux, its
/// pid is alive; elsewhere, the file changed within the last two minutes (a writer keeps
/// writing to it).
fn running(pid: u32, temp: &Path) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    std::fs::metadata(temp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < std::time::Duration::from_secs(120))
}

/// Open a project from one file, or several files (one per layer) merged: GeoJSON,
/// shapefiles and GeoPackages, told apart by extension.
pub fn open(paths: &[&Path], opts: &ReadOptions) -> Result<Project, LoadError> {
    // A layer of a shapefile set gridmap wrote brings the set's other layers.
    let mut expanded: Vec<PathBuf> = Vec::with_capacity(paths.len());
    for p in paths {
        let set = match Format::of(p) {
            Some(Format::Shapefile) => shp::set_of(p),
            _ => vec![p.to_path_buf()],
        };
        for s in set {
            if !expanded.contains(&s) {
                expanded.push(s);
            }
        }
    }
    let paths: Vec<&Path> = expanded.iter().map(PathBuf::as_path).collect();
    let paths = paths.as_slice();
    if let [one] = paths
        && Format::of(one) == Some(Format::GeoPackage)
        && gpkg::is_native(one)?
    {
        return gpkg::read_native(one);
    }
    let mut batches = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        // Generated ids are numbered on across files, so that they stay unique.
        let base: usize = batches
            .iter()
            .map(|b: &features::Batch| b.pending.len())
            .sum();
        match Format::of(path) {
            Some(Format::Shapefile) => batches.push(shp::read_batch(path, opts, &mut notes, base)?),
            Some(Format::GeoPackage) => batches.extend(gpkg::read_batches(path, base)?),
            Some(Format::Kml) => batches.push(kml::read_batch(path, base)?),
            Some(Format::Dxf) => batches.push(dxf::read_batch(path, opts, &mut notes, base)?),
            Some(Format::Csv) => {
                return Err(LoadError::new(
                    *path,
                    "CSV 只用于导出；请打开 GeoJSON、Shapefile 或 GeoPackage 文件。",
                    "CSV is an export format; open a GeoJSON, shapefile or GeoPackage file.",
                ));
            }
            Some(Format::GeoJson) | None => {
                let bytes = read_file(path)?;
                batches.push(geojson::read_batch(path, &bytes, &mut notes, base)?);
            }
        }
    }
    features::assemble(batches, notes, opts)
}
