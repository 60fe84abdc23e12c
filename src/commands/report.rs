//! Reports of the audit and the tables derived from it: the audit report (text, JSON,
//! GeoJSON), river lengths by grid and the four bounds of every grid.

use super::{AuditFormat, CommandError, EXIT_FINDINGS, EXIT_OK, Lang, TableFormat, csv};
use crate::audit::{Finding, Kind, Report, Severity};
use crate::io::geojson::{GeometryWriter, WriteOptions};
use crate::model::Project;
use serde_json::{Map, Value, json};

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
    fn of(f: &'a Finding, geometry: Value) -> Self {
        FindingOut {
            kind: f.kind.as_str(),
            severity: f.severity,
            ids: &f.ids,
            area_m2: f.area_m2,
            width_m: f.width_m,
            length_m: f.length_m,
            geometry,
            message: &f.message,
        }
    }
}

/// One finding as a JSON object, with its `geometry` already converted (or null).
pub fn finding_json(f: &Finding, geometry: Value) -> Value {
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
    m.insert("geometry".into(), geometry);
    m.insert(
        "message".into(),
        json!({"zh": f.message.zh, "en": f.message.en}),
    );
    Value::Object(m)
}

/// Write every finding of `report` in its order, `first` before the first and `between`
/// before each other: their geometries go through PROJ in one call, then `one` (a
/// finding and its converted geometry as text) runs on every core, a block of findings at
/// a time so the text of a large report is never held whole.
fn write_findings(
    report: &Report,
    w: &GeometryWriter,
    geometry: bool,
    (first, between): (&str, &str),
    out: &mut dyn std::io::Write,
    one: impl Fn(&Finding, Value) -> serde_json::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 16;
    const PIECE: usize = 1 << 11;
    let shapes = w.convert_all(
        report
            .findings
            .iter()
            .map(|f| f.geometry.as_ref().filter(|_| geometry)),
    );
    for (b, block) in report.findings.chunks(BLOCK).enumerate() {
        let pieces: Vec<serde_json::Result<Vec<u8>>> = block
            .par_chunks(PIECE)
            .enumerate()
            .map(|(p, piece)| {
                let mut text = Vec::new();
                for (i, f) in piece.iter().enumerate() {
                    let k = b * BLOCK + p * PIECE + i;
                    text.extend_from_slice(if k == 0 { first } else { between }.as_bytes());
                    text.extend(one(f, shapes.geometry(k))?);
                }
                Ok(text)
            })
            .collect();
        for piece in pieces {
            out.write_all(&piece?)?;
        }
    }
    Ok(())
}

/// Render an audit report in the chosen format.
pub fn render_audit(
    project: &Project,
    report: &Report,
    format: AuditFormat,
    lang: Lang,
) -> Result<String, CommandError> {
    let mut out = Vec::new();
    write_audit(project, report, format, lang, true, &mut out)?;
    // Every piece written is a `str`: the bytes are UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
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
) -> Result<(), CommandError> {
    let w = GeometryWriter::new(project.crs, &WriteOptions::default())
        .map_err(CommandError::ReportGeometry)?;
    match format {
        AuditFormat::Text => write_text(report, lang, out),
        AuditFormat::Json => write_json(report, &w, geometry, out),
        AuditFormat::Geojson => write_geojson(report, &w, geometry, out),
    }
    .map_err(CommandError::Report)
}

/// The text report: a line per finding, the counts, the verdict.
fn write_text(report: &Report, lang: Lang, out: &mut dyn std::io::Write) -> std::io::Result<()> {
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
        )?;
    }
    let (e, wn, i) = (
        report.errors(),
        report.warnings(),
        report.count(Severity::Info),
    );
    writeln!(out, "{}", summary_line(report, lang))?;
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
    writeln!(out, "{tail}")
}

/// The JSON report: the summary, then the findings one per line.
fn write_json(
    report: &Report,
    w: &GeometryWriter,
    geometry: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let summary = json!({
        "grids": report.grids,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "infos": report.count(Severity::Info),
    });
    write!(out, "{{\n  \"summary\": {summary},\n  \"findings\": [")?;
    write_findings(report, w, geometry, ("\n    ", ",\n    "), out, |f, g| {
        serde_json::to_vec(&FindingOut::of(f, g))
    })?;
    let end = if report.findings.is_empty() {
        ""
    } else {
        "\n  "
    };
    writeln!(out, "{end}]\n}}")
}

/// The GeoJSON report: a feature per finding, its ids joined and its message in two
/// properties (what GIS attribute tables show).
fn write_geojson(
    report: &Report,
    w: &GeometryWriter,
    geometry: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write!(out, "{{\"type\":\"FeatureCollection\",\"features\":[")?;
    write_findings(report, w, geometry, ("", ","), out, |f, shape| {
        let mut props = match finding_json(f, Value::Null) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        props.remove("geometry");
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
        serde_json::to_vec(&json!({"type": "Feature", "properties": props, "geometry": shape}))
    })?;
    writeln!(out, "]}}")
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
pub fn render_rivers(report: &Report, format: TableFormat) -> Result<String, CommandError> {
    Ok(match format {
        TableFormat::Json => {
            serde_json::to_string_pretty(
                &json!({"rivers": report.rivers, "reservoirs": report.reservoirs}),
            )
            .map_err(CommandError::Json)?
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

/// The four bounds (四至) of every grid: text (one line per grid), CSV or JSON.
pub fn render_bounds(project: &Project, format: TableFormat) -> Result<String, CommandError> {
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
            serde_json::to_string_pretty(&rows).map_err(CommandError::Json)? + "\n"
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
