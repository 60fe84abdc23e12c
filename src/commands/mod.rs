//! The command-line subcommands, as library functions so tests and the app can run them.
//! The binaries (`src/cli/`) only parse arguments, call these and map the result to an
//! exit code; the benchmarks live there too, outside the library.

mod edits;
mod error;
mod export;
mod georef;
mod print;
mod publish;
mod report;

pub use edits::{import_staff, propose_partition, renumber_codes};
pub use error::{ArgError, CommandError};
pub use export::{DbfEncodingArg, ExportOptions, Exported, export, export_staff, ledger};
pub use georef::{GeorefMethod, Georeferenced, georef, parse_control_point, render_georef};
pub use print::{Printed, print};
pub use publish::{PublishOptions, publish};
pub use report::{
    audit_exit_code, finding_json, render_audit, render_bounds, render_rivers, summary_line,
    write_audit,
};

use crate::io::{self, LoadError, ReadOptions};
use crate::model::{Crs, Project};
use std::path::{Path, PathBuf};

/// Exit codes: 0 clean, 1 findings with errors, 2 input could not be read.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Geojson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Text,
    Csv,
    Json,
}

/// Parse "EPSG:4549", "epsg:4549" or "4549".
pub fn parse_crs(s: &str) -> Result<Crs, ArgError> {
    let t = s.trim();
    let digits = t.rsplit(':').next().unwrap_or(t);
    digits
        .parse::<u32>()
        .map(Crs::epsg)
        .map_err(|_| ArgError::Crs(s.to_string()))
}

/// Parse an encoding name for shapefile attributes (UTF-8, GBK, GB18030, 936, ...).
pub fn parse_encoding(s: &str) -> Result<&'static encoding_rs::Encoding, ArgError> {
    io::shp::encoding_for_label(s).ok_or_else(|| ArgError::Encoding(s.to_string()))
}

/// Parse `--field name=XZQMC` arguments into a field map.
pub fn parse_field_map(args: &[String]) -> Result<io::FieldMap, ArgError> {
    let mut m = io::FieldMap::default();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| ArgError::FieldSyntax(a.clone()))?;
        let k = k.trim();
        if !io::FieldMap::FIELDS.iter().any(|(key, _, _)| *key == k) {
            return Err(ArgError::UnknownField {
                arg: a.clone(),
                key: k.to_string(),
            });
        }
        m.set(k, Some(v.trim().to_string()));
    }
    Ok(m)
}

/// Load one or more files into a project.
pub fn load(files: &[PathBuf], opts: &ReadOptions) -> Result<Project, LoadError> {
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    io::open(&refs, opts)
}

/// The extension of `path` in lower case ("" when there is none).
fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// CSV quoting of one field.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
