//! The command-line subcommands, as library functions so tests can run them. `main.rs`
//! only parses arguments and maps the result to an exit code.

use crate::audit::{AuditConfig, Finding, Kind, Report, Severity, audit};
use crate::io::ReadOptions;
use crate::io::geojson::{GeometryWriter, WriteOptions, to_geojson};
use crate::io::{self, LoadError};
use crate::model::{Crs, Project};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
pub fn parse_crs(s: &str) -> Result<Crs, String> {
    let t = s.trim();
    let digits = t.rsplit(':').next().unwrap_or(t);
    digits
        .parse::<u32>()
        .map(Crs::epsg)
        .map_err(|_| format!("not an EPSG code: {s} (expected e.g. EPSG:4546)"))
}

/// Load one or more files into a project.
pub fn load(files: &[PathBuf], opts: &ReadOptions) -> Result<Project, LoadError> {
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    io::open(&refs, opts)
}

fn sev(s: Severity, lang: Lang) -> &'static str {
    match (s, lang) {
        (Severity::Error, Lang::Zh) => "错误",
        (Severity::Warning, Lang::Zh) => "警告",
        (Severity::Info, Lang::Zh) => "提示",
        (Severity::Error, Lang::En) => "error",
        (Severity::Warning, Lang::En) => "warning",
        (Severity::Info, Lang::En) => "info",
    }
}

/// "缝隙 0 · 重叠 1 · ..." for the main kinds, then any other kind found.
pub fn summary_line(report: &Report, lang: Lang) -> String {
    let main = Kind::MAIN;
    let counts = report.counts();
    let get = |k: Kind| counts.iter().find(|c| c.0 == k).map(|c| c.1).unwrap_or(0);
    let mut parts: Vec<String> = Vec::new();
    let mut push = |k: Kind| {
        let (zh, en) = k.label();
        parts.push(format!(
            "{} {}",
            if lang == Lang::Zh { zh } else { en },
            get(k)
        ));
    };
    for k in main {
        push(k);
    }
    for (k, _) in &counts {
        if !main.contains(k) {
            push(*k);
        }
    }
    parts.join(" · ")
}

/// One finding as the audit report writes it: `geometry` already converted (or null).
#[derive(serde::Serialize)]
struct FindingOut<'a> {
    kind: &'static str,
    severity: Severity,
    ids: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    area_m2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    length_m: Option<f64>,
    geometry: Value,
    message: &'a crate::audit::Message,
}

impl<'a> FindingOut<'a> {
    fn of(f: &'a Finding, w: &GeometryWriter, geometry: bool) -> Self {
        FindingOut {
            kind: f.kind.as_str(),
            severity: f.severity,
            ids: &f.ids,
            area_m2: f.area_m2,
            width_m: f.width_m,
            length_m: f.length_m,
            geometry: match (&f.geometry, geometry) {
                (Some(g), true) => w.geometry(g),
                _ => Value::Null,
            },
            message: &f.message,
        }
    }
}

pub fn finding_json(f: &Finding, w: &GeometryWriter) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), f.kind.as_str().into());
    m.insert(
        "severity".into(),
        serde_json::to_value(f.severity).unwrap_or(Value::Null),
    );
    m.insert("ids".into(), f.ids.clone().into());
    for (k, v) in [
        ("area_m2", f.area_m2),
        ("width_m", f.width_m),
        ("length_m", f.length_m),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    m.insert(
        "geometry".into(),
        f.geometry
            .as_ref()
            .map(|g| w.geometry(g))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "message".into(),
        json!({"zh": f.message.zh, "en": f.message.en}),
    );
    Value::Object(m)
}

/// Render an audit report in the chosen format.
pub fn render_audit(
    project: &Project,
    report: &Report,
    format: AuditFormat,
    lang: Lang,
) -> Result<String, String> {
    let mut out = Vec::new();
    write_audit(project, report, format, lang, true, &mut out)?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Write an audit report in the chosen format, one finding at a time (memory does not grow
/// with the number of findings). Without `geometry`, findings carry none (`null`).
pub fn write_audit(
    project: &Project,
    report: &Report,
    format: AuditFormat,
    lang: Lang,
    geometry: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let w = GeometryWriter::new(project.crs, &WriteOptions::default())
        .map_err(|e| crate::error::report(&e))?;
    let io = |e: std::io::Error| {
        crate::error::bilingual(
            &format!("写入报告失败：{e}"),
            &format!("cannot write the report: {e}"),
        )
    };
    let json = |f: &Finding| {
        let mut v = finding_json(f, &w);
        if !geometry && let Some(m) = v.as_object_mut() {
            m.insert("geometry".into(), Value::Null);
        }
        v
    };
    match format {
        AuditFormat::Text => {
            for f in &report.findings {
                let (zh, en) = f.kind.label();
                let msg = if lang == Lang::Zh {
                    &f.message.zh
                } else {
                    &f.message.en
                };
                writeln!(
                    out,
                    "[{}] {} ({}): {} [{}]",
                    sev(f.severity, lang),
                    if lang == Lang::Zh { zh } else { en },
                    f.kind.as_str(),
                    msg,
                    f.ids.join(", ")
                )
                .map_err(io)?;
            }
            let (e, wn, i) = (
                report.errors(),
                report.warnings(),
                report.count(Severity::Info),
            );
            writeln!(out, "{}", summary_line(report, lang)).map_err(io)?;
            let tail = match lang {
                Lang::Zh => format!(
                    "共 {} 个网格：错误 {e}，警告 {wn}，提示 {i}。{}",
                    report.grids,
                    if e == 0 {
                        "可以发布。"
                    } else {
                        "修正错误后再发布。"
                    }
                ),
                Lang::En => format!(
                    "{} grids: {e} errors, {wn} warnings, {i} notes. {}",
                    report.grids,
                    if e == 0 {
                        "Ready to publish."
                    } else {
                        "Fix the errors before publishing."
                    }
                ),
            };
            writeln!(out, "{tail}").map_err(io)?;
        }
        AuditFormat::Json => {
            let summary = json!({
                "grids": report.grids,
                "errors": report.errors(),
                "warnings": report.warnings(),
                "infos": report.count(Severity::Info),
            });
            write!(out, "{{\n  \"summary\": {summary},\n  \"findings\": [").map_err(io)?;
            for (k, f) in report.findings.iter().enumerate() {
                let sep = if k == 0 { "" } else { "," };
                write!(out, "{sep}\n    ").map_err(io)?;
                serde_json::to_writer(&mut *out, &FindingOut::of(f, &w, geometry))
                    .map_err(|e| e.to_string())?;
            }
            let end = if report.findings.is_empty() {
                ""
            } else {
                "\n  "
            };
            writeln!(out, "{end}]\n}}").map_err(io)?;
        }
        AuditFormat::Geojson => {
            write!(out, "{{\"type\":\"FeatureCollection\",\"features\":[").map_err(io)?;
            for (k, f) in report.findings.iter().enumerate() {
                let mut v = json(f);
                let geometry = v
                    .as_object_mut()
                    .and_then(|m| m.remove("geometry"))
                    .unwrap_or(Value::Null);
                let mut props = v.as_object().cloned().unwrap_or_default();
                let msg = props.remove("message").unwrap_or(Value::Null);
                props.insert("ids".into(), Value::String(f.ids.join(",")));
                props.insert(
                    "message_zh".into(),
                    msg.get("zh").cloned().unwrap_or(Value::Null),
                );
                props.insert(
                    "message_en".into(),
                    msg.get("en").cloned().unwrap_or(Value::Null),
                );
                let feature = json!({"type": "Feature", "properties": props, "geometry": geometry});
                let sep = if k == 0 { "" } else { "," };
                write!(out, "{sep}{feature}").map_err(io)?;
            }
            writeln!(out, "]}}").map_err(io)?;
        }
    }
    Ok(())
}

/// Exit code for a report: 1 when it has errors.
pub fn audit_exit_code(report: &Report) -> i32 {
    if report.errors() > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The river-by-grid table.
pub fn render_rivers(report: &Report, format: TableFormat) -> Result<String, String> {
    Ok(match format {
        TableFormat::Json => {
            serde_json::to_string_pretty(
                &json!({"rivers": report.rivers, "reservoirs": report.reservoirs}),
            )
            .map_err(|e| e.to_string())?
                + "\n"
        }
        TableFormat::Csv => {
            let mut s = String::from("river_id,river_name,grid,length_m,boundary\n");
            for r in &report.rivers {
                for g in &r.by_grid {
                    s.push_str(&format!(
                        "{},{},{},{:.3},{}\n",
                        csv(&r.id),
                        csv(&r.name),
                        csv(&g.grid),
                        g.length_m,
                        g.boundary
                    ));
                }
                if r.outside_m > 0.0 {
                    s.push_str(&format!(
                        "{},{},,{:.3},false\n",
                        csv(&r.id),
                        csv(&r.name),
                        r.outside_m
                    ));
                }
            }
            s
        }
        TableFormat::Text => {
            let mut s = String::new();
            for r in &report.rivers {
                s.push_str(&format!(
                    "{} {}  {:.1} m (outside grids / 未入格 {:.1} m)\n",
                    r.id, r.name, r.length_m, r.outside_m
                ));
                for g in &r.by_grid {
                    s.push_str(&format!(
                        "  {:<14} {:>10.1} m{}\n",
                        g.grid,
                        g.length_m,
                        if g.boundary { "  界河 boundary" } else { "" }
                    ));
                }
            }
            for r in &report.reservoirs {
                s.push_str(&format!(
                    "{} {}  {:.1} m² (outside grids / 未入格 {:.1} m²)\n",
                    r.id, r.name, r.area_m2, r.outside_m2
                ));
                for g in &r.by_grid {
                    s.push_str(&format!("  {:<14} {:>10.1} m²\n", g.grid, g.area_m2));
                }
            }
            s
        }
    })
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Write the project as GeoJSON, atomically.
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

/// Parse an encoding name for shapefile attributes (UTF-8, GBK, GB18030, 936, ...).
pub fn parse_encoding(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    io::shp::encoding_for_label(s)
        .ok_or_else(|| format!("unknown encoding: {s} (try UTF-8, GBK or GB18030)"))
}

/// Parse `--field name=XZQMC` arguments into a field map.
pub fn parse_field_map(args: &[String]) -> Result<io::FieldMap, String> {
    let mut m = io::FieldMap::default();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| format!("--field {a}: expected FIELD=COLUMN, e.g. name=XZQMC"))?;
        let k = k.trim();
        if !io::FieldMap::FIELDS.iter().any(|(key, _, _)| *key == k) {
            return Err(format!(
                "--field {a}: unknown field {k} (name, code, level, parent, households, population)"
            ));
        }
        m.set(k, Some(v.trim().to_string()));
    }
    Ok(m)
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
    let cannot = |e: std::io::Error| io::WriteError::io(out, &e);
    let convert = |e: io::ExportError| io::WriteError::convert(out, &e);
    match io::Format::of(out) {
        Some(io::Format::GeoPackage) => {
            io::gpkg::write(project, out)?;
            Ok(vec![out.to_path_buf()].into())
        }
        Some(io::Format::Shapefile) => {
            let r = io::shp::write(project, out, opts.dbf_encoding)?;
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
            Ok(Exported {
                files: r.written,
                notes,
            })
        }
        Some(io::Format::Csv) => {
            io::write_atomic(out, &io::table::grids_csv(project).map_err(convert)?)
                .map_err(cannot)?;
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
                io::write_atomic(&path, &bytes).map_err(|e| io::WriteError::io(&path, &e))?;
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
            io::write_atomic(out, &bytes).map_err(cannot)?;
            Ok(vec![out.to_path_buf()].into())
        }
        None => Err(io::WriteError::new(
            out,
            "不认识的输出格式；请用 .geojson、.gpkg、.shp、.csv、.kml、.kmz 或 .dxf",
            "unknown output format; use .geojson, .gpkg, .shp, .csv, .kml, .kmz or .dxf",
        )),
    }
}

/// One benchmark row.
#[derive(Debug, Clone)]
pub struct BenchRow {
    pub name: String,
    pub cells: usize,
    pub vertices: usize,
    pub parse_s: f64,
    pub audit_s: f64,
    pub total_s: f64,
    pub findings: usize,
    pub peak_rss_mb: f64,
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The benchmark rows as (cells, densify, faults): 1k, 10k, 100k cells, 100k densified
/// to about 3.7 million vertices, and 100k with 500 faults; `quick` keeps the small ones.
pub fn bench_sizes(quick: bool) -> Vec<(usize, usize, usize)> {
    let mut sizes = vec![(1_000, 1, 0), (10_000, 1, 0)];
    if !quick {
        sizes.extend([(100_000, 1, 0), (100_000, 6, 0), (100_000, 1, 500)]);
    }
    sizes
}

/// Audit synthetic coverages: write each to a GeoJSON file in `dir` (projected, with its
/// `crs` member), then time reading and the full audit, as a user's run would; the best of
/// three runs is reported. `sizes`: (cells, densify, faults) per row.
pub fn bench(dir: &Path, sizes: &[(usize, usize, usize)]) -> Result<Vec<BenchRow>, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for &(cells, densify, faults) in sizes {
        let mut name = format!("{cells} cells");
        if densify > 1 {
            name.push_str(&format!(" x{densify} densified"));
        }
        if faults > 0 {
            name.push_str(&format!(", {faults} faults"));
        }
        let path = dir.join(format!("synth-{cells}-{densify}-{faults}.geojson"));
        if !path.exists() {
            let mut p = crate::synth::synthetic_project(cells, 42, densify);
            crate::synth::plant_vertex_faults(&mut p, faults, 42);
            export(
                &p,
                &path,
                &ExportOptions {
                    keep_crs: true,
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
        }
        // Best of three runs: this machine is shared and single runs vary by ±30%.
        let mut best: Option<(f64, f64)> = None;
        let (mut vertices, mut findings) = (0, 0);
        for _ in 0..3 {
            let t0 = Instant::now();
            let project = load(std::slice::from_ref(&path), &ReadOptions::default())
                .map_err(|e| e.to_string())?;
            let t1 = Instant::now();
            let report = audit(&project, &AuditConfig::default());
            let t2 = Instant::now();
            let (read, checks) = ((t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64());
            if best.is_none_or(|b| read + checks < b.0 + b.1) {
                best = Some((read, checks));
            }
            vertices = project
                .grids
                .iter()
                .map(|g| {
                    g.geometry
                        .0
                        .iter()
                        .map(|p| p.exterior().0.len())
                        .sum::<usize>()
                })
                .sum();
            findings = report.findings.len();
        }
        let Some((read_s, audit_s)) = best else {
            continue;
        };
        rows.push(BenchRow {
            name,
            cells,
            vertices,
            parse_s: read_s,
            audit_s,
            total_s: read_s + audit_s,
            findings,
            peak_rss_mb: peak_rss_mb(),
        });
    }
    Ok(rows)
}

pub fn render_bench(rows: &[BenchRow]) -> String {
    let mut s = String::from(
        "| coverage | vertices | read s | audit s | total s | findings | peak RSS MB |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {} | {:.0} |\n",
            r.name, r.vertices, r.parse_s, r.audit_s, r.total_s, r.findings, r.peak_rss_mb
        ));
    }
    s
}

/// The extension of `path` in lower case ("" when there is none).
fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// What `print` wrote and what the user should know about it.
pub struct Printed {
    pub files: Vec<PathBuf>,
    /// Grids whose label found no room, per page.
    pub omitted: Vec<(String, Vec<String>)>,
}

/// Compose a print and write it in the format of `out`'s extension: .pdf (all pages in one
/// file), .svg or .png (one file per page; several pages get -001, -002… before the
/// extension). Every file is written atomically.
pub fn print(
    project: &Project,
    opts: &crate::print::PrintOptions,
    out: &Path,
    dpi: u32,
) -> Result<Printed, String> {
    use crate::print;
    let ext = extension(out);
    if !matches!(ext.as_str(), "pdf" | "svg" | "png") {
        return Err(io::WriteError::new(
            out,
            "输出格式须为 .pdf、.svg 或 .png",
            "the output must end in .pdf, .svg or .png",
        )
        .to_string());
    }
    if ext == "png" && !(72..=1200).contains(&dpi) {
        return Err(print::PrintError::Dpi(dpi).to_string());
    }
    let doc = print::compose(project, opts).map_err(|e| e.to_string())?;
    let cannot = |p: &Path, e: std::io::Error| io::WriteError::io(p, &e).to_string();
    let mut files = Vec::new();
    if ext == "pdf" {
        let bytes = print::to_pdf(&doc).map_err(|e| e.to_string())?;
        io::write_atomic(out, &bytes).map_err(|e| cannot(out, e))?;
        files.push(out.to_path_buf());
    } else {
        let many = doc.pages.len() > 1;
        for (i, page) in doc.pages.iter().enumerate() {
            let path = if many {
                let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
                out.with_file_name(format!("{stem}-{:03}.{ext}", i + 1))
            } else {
                out.to_path_buf()
            };
            let bytes = if ext == "svg" {
                print::to_svg(page).into_bytes()
            } else {
                print::to_png(page, dpi).map_err(|e| format!("{}: {e}", path.display()))?
            };
            io::write_atomic(&path, &bytes).map_err(|e| cannot(&path, e))?;
            files.push(path);
        }
    }
    let omitted = doc
        .pages
        .iter()
        .filter(|p| !p.meta.omitted.is_empty())
        .map(|p| (p.name.clone(), p.meta.omitted.clone()))
        .collect();
    Ok(Printed { files, omitted })
}

/// One print benchmark: what, best time of three, output size.
pub struct PrintBenchRow {
    pub what: String,
    pub seconds: f64,
    pub bytes: usize,
}

/// Time the prints the issue sets targets for, best of three each: the A0 township map to
/// PDF and to 300 dpi PNG, and the atlas of every board to PDF (compose + encode + write).
pub fn bench_print(project: &Project, dir: &Path) -> Result<Vec<PrintBenchRow>, String> {
    use crate::print::{self, Layout, PrintOptions};
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let town = PrintOptions::new(Layout::Township);
    let atlas = PrintOptions::new(Layout::Atlas);
    let boards = print::compose(project, &atlas)
        .map_err(|e| e.to_string())?
        .pages
        .iter()
        .filter(|p| p.meta.frame.is_some())
        .count();
    let cases: [(String, &PrintOptions, &str); 3] = [
        ("A0 township map → PDF".into(), &town, "town.pdf"),
        ("A0 township map → PNG 300 dpi".into(), &town, "town.png"),
        (
            format!("atlas of {boards} boards → PDF"),
            &atlas,
            "atlas.pdf",
        ),
    ];
    let mut rows = Vec::new();
    for (what, opts, file) in cases {
        let out = dir.join(file);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t0 = Instant::now();
            print(project, opts, &out, 300)?;
            best = best.min(t0.elapsed().as_secs_f64());
        }
        let bytes = std::fs::metadata(&out)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        rows.push(PrintBenchRow {
            what,
            seconds: best,
            bytes,
        });
    }
    Ok(rows)
}

pub fn render_print_bench(rows: &[PrintBenchRow]) -> String {
    let mut s = String::from("| print | best of 3 | file |\n|---|---|---|\n");
    for r in rows {
        s.push_str(&format!(
            "| {} | {:.2} s | {:.1} MB |\n",
            r.what,
            r.seconds,
            r.bytes as f64 / 1e6
        ));
    }
    s
}

/// The four bounds (四至) of every grid: text (one line per grid), CSV or JSON.
pub fn render_bounds(project: &Project, format: TableFormat) -> Result<String, String> {
    let all = crate::records::four_bounds_all(project);
    Ok(match format {
        TableFormat::Json => {
            let rows: Vec<Value> = project
                .grids
                .iter()
                .zip(&all)
                .map(|(g, fb)| {
                    json!({"id": g.id, "code": g.code, "name": g.name, "four_bounds": fb.to_value()})
                })
                .collect();
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())? + "\n"
        }
        TableFormat::Csv => {
            let mut s = String::from("id,code,name,east,south,west,north,edited\n");
            for (g, fb) in project.grids.iter().zip(&all) {
                s.push_str(&format!(
                    "{},{},{},{},{},{},{},{}\n",
                    csv(&g.id),
                    csv(&g.code),
                    csv(&g.name),
                    csv(&fb.east),
                    csv(&fb.south),
                    csv(&fb.west),
                    csv(&fb.north),
                    fb.edited
                ));
            }
            s
        }
        TableFormat::Text => {
            let mut s = String::new();
            for (g, fb) in project.grids.iter().zip(&all) {
                s.push_str(&format!(
                    "{} {}  {}{}\n",
                    g.label(),
                    g.code,
                    fb.text(),
                    if fb.edited { "  （手工）" } else { "" }
                ));
            }
            s
        }
    })
}

/// Write the grid ledger (网格台账): `.xlsx` one workbook with five sheets, `.csv` one file
/// per sheet (`OUT-grids.csv`, `OUT-rivers.csv`, `OUT-reservoirs.csv`, `OUT-staff.csv`,
/// `OUT-changes.csv`).
/// River lengths and reservoir areas are audited with the project's own settings.
pub fn ledger(project: &Project, out: &Path) -> Result<Vec<PathBuf>, String> {
    let ext = extension(out);
    if ext != "xlsx" && ext != "csv" {
        return Err(io::WriteError::new(
            out,
            "台账须为 .xlsx 或 .csv",
            "the ledger must end in .xlsx or .csv",
        )
        .to_string());
    }
    let report = crate::audit(
        project,
        &crate::AuditConfig::from_settings(&project.settings),
    );
    let tables = crate::ledger::tables(project, &report);
    let cannot = |p: &Path, e: std::io::Error| io::WriteError::io(p, &e).to_string();
    if ext == "xlsx" {
        let title = format!("{}网格台账", project.name);
        let bytes = crate::ledger::to_xlsx(&tables, &title)?;
        io::write_atomic(out, &bytes).map_err(|e| cannot(out, e))?;
        return Ok(vec![out.to_path_buf()]);
    }
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("ledger");
    let mut files = Vec::new();
    for t in &tables {
        let path = out.with_file_name(format!("{stem}-{}.csv", t.file));
        io::write_atomic(&path, &crate::ledger::to_csv(t)?).map_err(|e| cannot(&path, e))?;
        files.push(path);
    }
    Ok(files)
}

/// Renumber grid codes by position (see [`crate::records::codes::renumber`]) as one
/// invertible edit: the children of `parents`, or of every grid.
pub fn renumber_codes(project: &Project, parents: Option<&[String]>) -> crate::edit::Transaction {
    let scheme = crate::records::codes::CodeScheme::from_settings(&project.settings);
    let mut t = crate::edit::Transaction::new("重新编码 / Renumber codes");
    for (i, code) in crate::records::codes::renumber(project, parents, &scheme) {
        let mut g = project.grids[i].clone();
        g.code = code;
        t.replace(project, i, g);
    }
    t
}

/// Read a staff roster and the edit that gives every grid it matches the people it lists
/// (one undo step).
pub fn import_staff(
    project: &Project,
    roster: &Path,
) -> Result<(crate::edit::Transaction, io::roster::Roster), String> {
    let r = io::roster::read(roster, project).map_err(|e| crate::error::report(&e))?;
    let mut t = crate::edit::Transaction::new("导入人员名单 / Import staff roster");
    for (i, staff) in r.staff_by_grid() {
        if project.grids[i].staff != staff {
            let mut g = project.grids[i].clone();
            g.staff = staff;
            t.replace(project, i, g);
        }
    }
    Ok((t, r))
}

/// Write the staff roster (the ledger's 人员 sheet) as .xlsx or .csv.
pub fn export_staff(project: &Project, out: &Path) -> Result<(), String> {
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
            .to_string());
        }
    };
    io::write_atomic(out, &bytes).map_err(|e| io::WriteError::io(out, &e).to_string())
}

/// A partition proposal for village `id` with codes for the new grids (the village's code
/// + sequence by position), as one invertible edit.
pub fn propose_partition(
    project: &Project,
    id: &str,
    opts: &crate::edit::PartitionOptions,
) -> Result<crate::edit::Transaction, String> {
    let mut t = crate::edit::partition(project, id, opts).map_err(|e| e.to_string())?;
    let mut after = project.clone();
    t.apply(&mut after).map_err(|e| e.to_string())?;
    let scheme = crate::records::codes::CodeScheme::from_settings(&project.settings);
    let codes = crate::records::codes::renumber(&after, Some(&[id.to_string()]), &scheme);
    for (i, code) in codes {
        let gid = after.grids[i].id.clone();
        if let Some(g) = t
            .grids
            .iter_mut()
            .filter_map(|c| c.after.as_mut())
            .find(|g| g.id == gid)
        {
            g.code = code;
        }
    }
    crate::edit::node_boundary(project, &mut t);
    Ok(t)
}

/// One row of `bench-edit`: an edit as the app makes it, timed from building the
/// transaction through the commit, the history, the audit, the report and every derived
/// structure of the document.
#[derive(Debug, Clone)]
pub struct EditBenchRow {
    pub edit: &'static str,
    pub runs: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
}

/// Replay edits on a synthetic coverage of `cells` grids through the document pipeline
/// the app uses: open (every derived structure built), vertex drag frames, vertex insert
/// and delete, split, merge, delete, draw with avoid-overlap, record edit, undo and redo.
/// `runs` edits of each kind on cells spread over the map. Returns the time to open and a
/// row per kind of edit.
pub fn bench_edit(cells: usize, runs: usize) -> Result<(f64, Vec<EditBenchRow>), String> {
    use crate::document::Document;
    use crate::edit::{self, EditError, Transaction};
    use geo::{Coord, LineString, MultiPolygon, Polygon};
    type Times = std::collections::BTreeMap<&'static str, Vec<f64>>;
    fn commit(d: &mut Document, t: Result<Transaction, EditError>) -> Result<(), String> {
        d.commit(t.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    }
    fn timed(
        times: &mut Times,
        name: &'static str,
        d: &mut Document,
        f: impl FnOnce(&mut Document) -> Result<(), String>,
    ) -> Result<(), String> {
        let t = Instant::now();
        let r = f(d);
        times
            .entry(name)
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1e3);
        r.map_err(|e| format!("bench-edit: {name}: {e}"))
    }
    let project = crate::synth::synthetic_project(cells, 42, 1);
    let t0 = Instant::now();
    let mut doc = Document::new(project, None);
    let open_s = t0.elapsed().as_secs_f64();
    let mut times = Times::new();
    let mut rng = fastrand::Rng::with_seed(7);
    for run in 0..runs {
        // A cell away from the map's edge (the cells C000001.. lie on a lattice).
        let id = format!("C{:06}", 1 + (cells / 4) + rng.usize(..cells / 2));
        let g = doc
            .grid(&id)
            .ok_or_else(|| format!("bench-edit: no cell {id}"))?
            .clone();
        let ring = g.geometry.0[0].exterior().0.clone();
        // A drag of a shared vertex: 30 frames, one undo step.
        let mut at = ring[0];
        // Positions on the coordinate grid, where the edit puts them (as the canvas does).
        let precision = doc.project().crs.precision();
        for frame in 0..30 {
            let to = precision.snap_coord(Coord {
                x: at.x + 0.2,
                y: at.y + if frame % 2 == 0 { 0.1 } else { -0.1 },
            });
            timed(&mut times, "vertex drag frame", &mut doc, |d| {
                let t = edit::move_vertex(d, at, to, &format!("drag{run}"));
                commit(d, Ok(t))
            })?;
            at = to;
        }
        doc.seal();
        // Insert a vertex in the middle of a shared edge, then delete it.
        let (a, b) = (ring[1], ring[2]);
        let mid = precision.snap_coord(Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        });
        timed(&mut times, "vertex insert", &mut doc, |d| {
            commit(d, Ok(edit::insert_vertex(d, a, b, mid)))
        })?;
        timed(&mut times, "vertex delete", &mut doc, |d| {
            commit(d, edit::delete_vertex(d, mid))
        })?;
        timed(&mut times, "record edit", &mut doc, |d| {
            commit(
                d,
                edit::set_record(d, &id, "名称 / Name", |g| g.name.push('*')),
            )
        })?;
        // Split across the middle, then merge the pieces back.
        let env = crate::geom::envelope(&g.geometry).ok_or("bench-edit: empty cell")?;
        let c = env.center();
        let line = LineString(vec![
            Coord {
                x: env.min().x - 5.0,
                y: c.y + 0.37,
            },
            Coord {
                x: env.max().x + 5.0,
                y: c.y + 0.37,
            },
        ]);
        let n_before = doc.project().grids.len();
        timed(&mut times, "split", &mut doc, |d| {
            commit(d, edit::split(d, &id, &line))
        })?;
        let pieces: Vec<String> = std::iter::once(id.clone())
            .chain(doc.project().grids[n_before..].iter().map(|g| g.id.clone()))
            .collect();
        timed(&mut times, "merge", &mut doc, |d| {
            commit(d, edit::merge(d, &pieces))
        })?;
        // Delete the cell, then draw it again larger than the hole: avoid-overlap clips it
        // to the free space.
        timed(&mut times, "delete", &mut doc, |d| {
            commit(d, edit::delete(d, std::slice::from_ref(&id)))
        })?;
        let r = crate::geom::expand(env, 20.0);
        let corner = |x: f64, y: f64| Coord { x, y };
        let shape = MultiPolygon(vec![Polygon::new(
            LineString(vec![
                corner(r.min().x, r.min().y),
                corner(r.max().x, r.min().y),
                corner(r.max().x, r.max().y),
                corner(r.min().x, r.max().y),
                corner(r.min().x, r.min().y),
            ]),
            vec![],
        )]);
        timed(&mut times, "draw with avoid-overlap", &mut doc, |d| {
            let mut ng = crate::model::Grid::new(format!("{id}-new"), 2, shape);
            ng.parent = Some("T".into());
            commit(d, edit::add_grid(d, ng, true))
        })?;
        timed(&mut times, "undo", &mut doc, |d| {
            d.undo().map(|_| ()).map_err(|e| e.to_string())
        })?;
        timed(&mut times, "redo", &mut doc, |d| {
            d.redo().map(|_| ()).map_err(|e| e.to_string())
        })?;
    }
    let rows = times
        .into_iter()
        .map(|(edit, mut v)| {
            v.sort_by(|a, b| a.total_cmp(b));
            EditBenchRow {
                edit,
                runs: v.len(),
                median_ms: v[v.len() / 2],
                p95_ms: v[(v.len() * 95 / 100).min(v.len() - 1)],
            }
        })
        .collect();
    Ok((open_s, rows))
}

pub fn render_edit_bench(cells: usize, open_s: f64, rows: &[EditBenchRow]) -> String {
    let mut s = format!(
        "{cells} grids: document opened (audit and every derived structure) in {open_s:.2} s\n\n| edit | runs | median ms | p95 ms |\n|---|---|---|---|\n"
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} |\n",
            r.edit, r.runs, r.median_ms, r.p95_ms
        ));
    }
    s
}

// ---------------------------------------------------------------- georeferencing

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GeorefMethod {
    Affine,
    Projective,
}

impl From<GeorefMethod> for io::georef::Method {
    fn from(m: GeorefMethod) -> Self {
        match m {
            GeorefMethod::Affine => io::georef::Method::Affine,
            GeorefMethod::Projective => io::georef::Method::Projective,
        }
    }
}

/// `U,V,X,Y`: an image position and its map coordinate.
pub fn parse_control_point(s: &str) -> Result<io::georef::ControlPoint, String> {
    let n: Vec<f64> = s
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("控制点应为 U,V,X,Y / a control point is U,V,X,Y: {e}"))?;
    match n[..] {
        [u, v, x, y] if n.iter().all(|f| f.is_finite()) => Ok(io::georef::ControlPoint {
            pixel: geo::Coord { x: u, y: v },
            map: geo::Coord { x, y },
            enabled: true,
        }),
        _ => Err(format!(
            "控制点应为 4 个数 U,V,X,Y / a control point is four numbers U,V,X,Y: \"{s}\""
        )),
    }
}

/// A georeferencing done: the points, the fit, the files written.
pub struct Georeferenced {
    pub points: Vec<io::georef::ControlPoint>,
    pub fit: io::georef::Fit,
    pub written: Vec<PathBuf>,
}

/// Fit the control points of `image` (from `points_file`, else `given`, else the image's
/// own `.points`); with `save`, write the points and the world file beside the image.
pub fn georef(
    image: &Path,
    points_file: Option<&Path>,
    given: Vec<io::georef::ControlPoint>,
    method: io::georef::Method,
    save: bool,
) -> Result<Georeferenced, String> {
    let own = io::georef::points_path(image);
    let points = match points_file {
        Some(f) => {
            io::georef::read_points(f)
                .map_err(|e| crate::error::report(&e))?
                .0
        }
        None if !given.is_empty() => given,
        None if own.exists() => {
            io::georef::read_points(&own)
                .map_err(|e| crate::error::report(&e))?
                .0
        }
        None => {
            return Err(crate::error::bilingual(
                &format!("{}：没有控制点（--point 或 --points）", image.display()),
                &format!(
                    "{}: no control points (--point or --points)",
                    image.display()
                ),
            ));
        }
    };
    let fit = io::georef::fit(&points, method).map_err(|e| crate::error::report(&e))?;
    let written = if save {
        io::georef::save(image, &points, &fit).map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    Ok(Georeferenced {
        points,
        fit,
        written,
    })
}

/// The residual table and the RMS.
pub fn render_georef(g: &Georeferenced) -> String {
    let mut out = String::from("#\tU\tV\tX\tY\tresidual_m\n");
    for (i, (p, r)) in g.points.iter().zip(&g.fit.residuals).enumerate() {
        out.push_str(&format!(
            "{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}{}\n",
            i + 1,
            p.pixel.x,
            p.pixel.y,
            p.map.x,
            p.map.y,
            r,
            if p.enabled { "" } else { "\t(off)" }
        ));
    }
    out.push_str(&format!("RMS {:.3} m\n", g.fit.rms));
    for f in &g.written {
        out.push_str(&format!("{}\n", f.display()));
    }
    out
}
