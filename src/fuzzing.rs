//! What the fuzz targets (`fuzz/`, `cargo fuzz`) run on each input, and the regression
//! test (`tests/fuzz.rs`) runs on every input kept from them: a reader fed arbitrary
//! bytes, then everything downstream of it a user would run on what it read (the audit,
//! every writer, printing). A run may end in an error; it must not panic, and it must stay
//! within the limits the fuzzer sets (time, memory).
//!
//! Each function takes the input as the fuzzer gives it; files are written into a folder
//! of the process's own and removed again.

use crate::io::{self, ReadOptions};
use crate::model::{Crs, Project};
use std::path::{Path, PathBuf};

/// A folder of this input's own for the files it is turned into, removed when dropped.
/// Numbered, not named by thread: the regression test runs inputs on rayon's threads, and
/// a thread waiting inside one input's audit may take up another input.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("gridmap-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A file holding `bytes`.
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        let _ = std::fs::write(&p, bytes);
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options for files that name no CRS: metres in the CGCS2000 zone of the sample.
fn options() -> ReadOptions {
    ReadOptions {
        source_crs: Some(Crs::epsg(4547)),
        ..Default::default()
    }
}

/// Split an input into `n` parts: each part but the last is prefixed by its length (two
/// bytes, little-endian), so that the fuzzer can grow one file of a set independently.
pub fn split(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut rest = data;
    for _ in 1..n {
        let len = match rest {
            [a, b, tail @ ..] => {
                rest = tail;
                usize::from(u16::from_le_bytes([*a, *b]))
            }
            _ => 0,
        };
        let (part, tail) = rest.split_at(len.min(rest.len()));
        out.push(part);
        rest = tail;
    }
    out.push(rest);
    out
}

/// What a user does with a project that opened: audit it, write it in every format,
/// read the project file back.
fn downstream(project: &Project, dir: &Scratch) {
    let report = crate::audit::audit(
        project,
        &crate::audit::AuditConfig::from_settings(&project.settings),
    );
    let _ = crate::commands::summary_line(&report, crate::commands::Lang::En);
    let _ = io::geojson::to_geojson(project, &Default::default());
    let _ = io::shp::write(project, &dir.path("out.shp"), Default::default());
    let gpkg = dir.path("out.gpkg");
    if io::gpkg::write(project, &gpkg).is_ok() {
        let _ = io::open(&[gpkg.as_path()], &options());
    }
    let _ = io::table::grids_csv(project);
    let _ = crate::records::four_bounds_all(project);
    let _ = io::kml::to_kml(project, &Default::default());
    let _ = io::dxf::to_dxf(project);
}

/// GeoJSON: read from memory, then everything downstream.
pub fn geojson(data: &[u8]) {
    if let Ok(p) = io::geojson::read_bytes(Path::new("fuzz.geojson"), data, &ReadOptions::default())
    {
        downstream(&p, &Scratch::new());
    }
}

/// KML (KMZ when the input is a zip), then everything downstream.
pub fn kml(data: &[u8]) {
    let name = if data.starts_with(b"PK") {
        "fuzz.kmz"
    } else {
        "fuzz.kml"
    };
    let dir = Scratch::new();
    let path = dir.file(name, data);
    if let Ok(p) = io::open(&[path.as_path()], &ReadOptions::default()) {
        downstream(&p, &dir);
    }
}

/// A DXF drawing (metres in the sample's zone unless its eastings name a zone), then
/// everything downstream.
pub fn dxf(data: &[u8]) {
    let dir = Scratch::new();
    let path = dir.file("fuzz.dxf", data);
    if let Ok(p) = io::open(&[path.as_path()], &options()) {
        downstream(&p, &dir);
    }
}

/// A shapefile: `.shp`, `.dbf`, `.shx` and `.prj` from one input (see [`split`]).
pub fn shapefile(data: &[u8]) {
    let parts = split(data, 4);
    let dir = Scratch::new();
    let shp = dir.file("fuzz.shp", parts[0]);
    dir.file("fuzz.dbf", parts[1]);
    dir.file("fuzz.shx", parts[2]);
    if !parts[3].is_empty() {
        dir.file("fuzz.prj", parts[3]);
    }
    if let Ok(p) = io::open(&[shp.as_path()], &options()) {
        downstream(&p, &dir);
    }
}

/// A GeoPackage: a gridmap project file whose grid geometry (WKB), format version and
/// settings come from the input, and the same bytes as a whole database file.
pub fn gpkg(data: &[u8]) {
    let parts = split(data, 4);
    let dir = Scratch::new();
    let path = dir.path("fuzz.gpkg");
    if template(&path).is_ok()
        && let Ok(conn) = rusqlite::Connection::open(&path)
    {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let _ = conn.execute("UPDATE grids SET geom = ?1 WHERE fid = 1", [parts[0]]);
        let _ = conn.execute(
            "UPDATE gridmap_meta SET value = ?1 WHERE key = 'format_version'",
            [text(parts[1])],
        );
        let _ = conn.execute(
            "UPDATE gridmap_meta SET value = ?1 WHERE key = 'settings'",
            [text(parts[2])],
        );
        let _ = conn.execute("UPDATE rivers SET geom = ?1 WHERE fid = 1", [parts[3]]);
        drop(conn);
        if let Ok(p) = io::open(&[path.as_path()], &options()) {
            downstream(&p, &dir);
        }
    }
    let raw = dir.file("raw.gpkg", data);
    if let Ok(p) = io::open(&[raw.as_path()], &options()) {
        downstream(&p, &dir);
    }
}

/// Why the template project could not be made.
#[derive(Debug, thiserror::Error)]
enum TemplateError {
    #[error(transparent)]
    Load(#[from] io::LoadError),
    #[error(transparent)]
    Write(#[from] io::WriteError),
}

/// A small project file to damage: two grids, a river.
fn template(path: &Path) -> Result<(), TemplateError> {
    let g = |x: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":"G{x}","code":"1{x}","level":3,"parent":null}},"geometry":{{"type":"Polygon","coordinates":[[[{x},0],[{x1},0],[{x1},100],[{x},100],[{x},0]]]}}}}"#,
            x1 = x + 100.0
        )
    };
    let json = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:4547"}}}},"features":[{},{},{{"type":"Feature","properties":{{"layer":"river","name":"R"}},"geometry":{{"type":"LineString","coordinates":[[-50,50],[250,50]]}}}}]}}"#,
        g(500000.0),
        g(500100.0)
    );
    let p = io::geojson::read_bytes(Path::new("template.geojson"), json.as_bytes(), &options())?;
    io::gpkg::write(&p, path)?;
    Ok(())
}

/// A staff roster: XLSX/ODS when the input is a zip, else CSV, matched to a project of
/// two grids.
pub fn roster(data: &[u8]) {
    let name = if data.starts_with(b"PK") {
        "fuzz.xlsx"
    } else if data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "fuzz.xls"
    } else {
        "fuzz.csv"
    };
    let dir = Scratch::new();
    let path = dir.file(name, data);
    let mut project = Project::default();
    for (k, name) in ["一组", "二组"].iter().enumerate() {
        project.grids.push(crate::model::Grid {
            id: format!("g{k}"),
            code: format!("10{k}"),
            name: name.to_string(),
            level: 3,
            parent: None,
            geometry: geo::MultiPolygon(Vec::new()),
            households: None,
            population: None,
            staff: Vec::new(),
            notes: String::new(),
            extra: Default::default(),
        });
    }
    if let Ok(r) = io::roster::read(&path, &project) {
        let _ = r.staff_by_grid();
    }
}

/// Printing: a project read from the GeoJSON after the first part, composed with the
/// options the first part gives (layout, paper, scale, margin, grid, title).
pub fn print(data: &[u8]) {
    use crate::print::{Layout, Paper, PrintOptions};
    let parts = split(data, 2);
    let (opts_bytes, json) = (parts[0], parts[1]);
    let Ok(project) =
        io::geojson::read_bytes(Path::new("fuzz.geojson"), json, &ReadOptions::default())
    else {
        return;
    };
    let byte = |i: usize| opts_bytes.get(i).copied().unwrap_or(0);
    let num = |i: usize| {
        opts_bytes
            .get(i..i + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(f64::from_le_bytes)
    };
    let layout = [
        Layout::Township,
        Layout::Village,
        Layout::Board,
        Layout::Atlas,
    ][usize::from(byte(0) % 4)];
    let mut opts = PrintOptions::new(layout);
    opts.paper = Some(Paper::a(usize::from(byte(1) % 5)));
    opts.scale = num(2).filter(|_| byte(1) & 0x80 != 0);
    opts.margin = num(10).filter(|_| byte(1) & 0x40 != 0);
    opts.grid = project
        .grids
        .get(usize::from(byte(18)) % project.grids.len().max(1))
        .map(|g| g.id.clone());
    opts.title = opts_bytes
        .get(19..)
        .map(|t| String::from_utf8_lossy(t).into_owned());
    if let Ok(doc) = crate::print::compose(&project, &opts)
        && let Some(page) = doc.pages.first()
    {
        let _ = crate::print::to_svg(page);
    }
}
