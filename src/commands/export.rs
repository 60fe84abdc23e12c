//! Writing a project out: every export format, the grid ledger (网格台账) and the staff
//! roster.

use super::{CommandError, extension};
use crate::io;
use crate::io::geojson::{WriteOptions, to_geojson};
use crate::model::Project;
use std::path::{Path, PathBuf};

/// How to export.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// GeoJSON: keep the working CRS (legacy `crs` member) instead of RFC 7946.
    pub keep_crs: bool,
    /// GeoJSON: one file per layer.
    pub per_layer: bool,
    /// Shapefile attribute encoding.
    pub dbf_encoding: io::shp::DbfEncoding,
    /// KML/KMZ: coordinates in GCJ-02 (for overlays on commercial Chinese maps in 奥维)
    /// instead of WGS 84.
    pub gcj02: bool,
}

/// `--dbf-encoding`: the shapefile attribute encodings a user can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbfEncodingArg {
    Utf8,
    Gbk,
}

impl From<DbfEncodingArg> for io::shp::DbfEncoding {
    fn from(a: DbfEncodingArg) -> Self {
        match a {
            DbfEncodingArg::Utf8 => io::shp::DbfEncoding::Utf8,
            DbfEncodingArg::Gbk => io::shp::DbfEncoding::Gbk,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exported {
    pub files: Vec<PathBuf>,
    /// What the user should know: files of an earlier export replaced or removed.
    pub notes: Vec<String>,
}

impl From<Vec<PathBuf>> for Exported {
    fn from(files: Vec<PathBuf>) -> Self {
        Exported {
            files,
            notes: Vec::new(),
        }
    }
}

/// Write the project in the format `out`'s extension names.
pub fn export(
    project: &Project,
    out: &Path,
    opts: &ExportOptions,
) -> Result<Exported, io::WriteError> {
    let convert = |e: io::ExportError| io::WriteError::convert(out, &e);
    match io::Format::of(out) {
        Some(io::Format::GeoPackage) => {
            io::gpkg::write(project, out)?;
            Ok(vec![out.to_path_buf()].into())
        }
        Some(io::Format::Shapefile) => {
            let r = io::shp::write(project, out, opts.dbf_encoding)?;
            Ok(Exported {
                notes: shapefile_notes(&r),
                files: r.written,
            })
        }
        Some(io::Format::Csv) => {
            write(out, &io::table::grids_csv(project).map_err(convert)?)?;
            Ok(vec![out.to_path_buf()].into())
        }
        Some(io::Format::Kml) => {
            let kmz = out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("kmz"));
            io::kml::write(
                project,
                out,
                &io::kml::KmlOptions {
                    gcj02: opts.gcj02,
                    kmz,
                },
            )?;
            Ok(vec![out.to_path_buf()].into())
        }
        Some(io::Format::Dxf) => {
            io::dxf::write(project, out)?;
            Ok(vec![out.to_path_buf()].into())
        }
        Some(io::Format::GeoJson) if opts.per_layer => {
            let w = WriteOptions {
                keep_crs: opts.keep_crs,
            };
            let mut written = Vec::new();
            for (layer, bytes) in io::geojson::to_geojson_layers(project, &w).map_err(convert)? {
                let stem = out
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                let ext = out
                    .extension()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                let path = out.with_file_name(format!("{stem}_{layer}.{ext}"));
                write(&path, &bytes)?;
                written.push(path);
            }
            Ok(written.into())
        }
        Some(io::Format::GeoJson) => {
            let bytes = to_geojson(
                project,
                &WriteOptions {
                    keep_crs: opts.keep_crs,
                },
            )
            .map_err(convert)?;
            write(out, &bytes)?;
            Ok(vec![out.to_path_buf()].into())
        }
        None => Err(io::WriteError::new(
            out,
            "不认识的输出格式；请用 .geojson、.gpkg、.shp、.csv、.kml、.kmz 或 .dxf",
            "unknown output format; use .geojson, .gpkg, .shp, .csv, .kml, .kmz or .dxf",
        )),
    }
}

/// What a shapefile export tells the user: files of an earlier export it replaced or
/// removed.
fn shapefile_notes(r: &io::shp::ShpExport) -> Vec<String> {
    let list = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut notes = Vec::new();
    if !r.replaced.is_empty() {
        notes.push(crate::error::bilingual(
            &format!("已替换此前导出的同名文件：{}", list(&r.replaced)),
            &format!(
                "replaced the files of an earlier export: {}",
                list(&r.replaced)
            ),
        ));
    }
    if !r.removed.is_empty() {
        notes.push(crate::error::bilingual(
            &format!(
                "已删除此前导出留下的、本项目没有的图层：{}",
                list(&r.removed)
            ),
            &format!(
                "removed layers of an earlier export that this project does not have: {}",
                list(&r.removed)
            ),
        ));
    }
    notes
}

/// Write the grid ledger (网格台账): `.xlsx` one workbook with five sheets, `.csv` one file
/// per sheet (`OUT-grids.csv`, `OUT-rivers.csv`, `OUT-reservoirs.csv`, `OUT-staff.csv`,
/// `OUT-changes.csv`).
/// River lengths and reservoir areas are audited with the project's own settings.
pub fn ledger(project: &Project, out: &Path) -> Result<Vec<PathBuf>, CommandError> {
    let ext = extension(out);
    if ext != "xlsx" && ext != "csv" {
        return Err(io::WriteError::new(
            out,
            "台账须为 .xlsx 或 .csv",
            "the ledger must end in .xlsx or .csv",
        )
        .into());
    }
    let report = crate::audit(
        project,
        &crate::AuditConfig::from_settings(&project.settings),
    );
    let tables = crate::ledger::tables(project, &report);
    if ext == "xlsx" {
        let title = format!("{}网格台账", project.name);
        let bytes = crate::ledger::to_xlsx(&tables, &title)?;
        write(out, &bytes)?;
        return Ok(vec![out.to_path_buf()]);
    }
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("ledger");
    let mut files = Vec::new();
    for t in &tables {
        let path = out.with_file_name(format!("{stem}-{}.csv", t.file));
        write(&path, &crate::ledger::to_csv(t)?)?;
        files.push(path);
    }
    Ok(files)
}

/// Write the staff roster (the ledger's 人员 sheet) as .xlsx or .csv.
pub fn export_staff(project: &Project, out: &Path) -> Result<(), CommandError> {
    let order = crate::ledger::hierarchy_order(project);
    let table = crate::ledger::staff_table(project, &order);
    let bytes = match extension(out).as_str() {
        "xlsx" => crate::ledger::to_xlsx(&[table], "人员名单")?,
        "csv" => crate::ledger::to_csv(&table)?,
        _ => {
            return Err(io::WriteError::new(
                out,
                "名单须为 .xlsx 或 .csv",
                "the roster must end in .xlsx or .csv",
            )
            .into());
        }
    };
    Ok(write(out, &bytes)?)
}

/// Write `bytes` to `path` atomically; the error names the file.
pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<(), io::WriteError> {
    io::write_atomic(path, bytes).map_err(|e| io::WriteError::io(path, &e))
}
