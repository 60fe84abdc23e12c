//! `gridmap bench-db`: the county database on a synthetic county, through the same calls
//! the `db` commands make (connect, push, pull, load and audit), against the same audit
//! of the same county read from a local GeoPackage.

use super::db;
use super::{DbError, PushOutcome};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// One measured step: what, and seconds.
pub struct BenchRow {
    pub what: String,
    pub seconds: f64,
}

/// Build a county of `townships` x `cells` grids in the (empty) database at `url`, then
/// time a township's push and pull and the county audit.
pub fn run(
    url: Option<&str>,
    townships: usize,
    cells: usize,
    dir: &Path,
) -> Result<Vec<BenchRow>, DbError> {
    let (target, mut client) = super::ops::open(url)?;
    let mut rows = Vec::new();
    fn time(rows: &mut Vec<BenchRow>, what: String, t: Instant) {
        rows.push(BenchRow {
            what,
            seconds: t.elapsed().as_secs_f64(),
        })
    }
    let county = crate::synth::synthetic_county(townships, cells, 42);
    let srid = county[0].1.crs.epsg;
    db::init(&mut client, srid)?;
    if !db::townships(&mut client)?.is_empty() {
        return Err(DbError::new(
            "bench-db 需要一个空的县级数据库（会写入合成数据）。",
            "bench-db needs an empty county database (it writes synthetic data).",
        ));
    }
    let none = BTreeMap::new();
    let t_all = Instant::now();
    let mut first = None;
    for (code, p) in &county {
        let t = Instant::now();
        match db::push(&mut client, p, code, &target.display, &none, false)? {
            PushOutcome::Pushed(_) => {}
            other => {
                return Err(DbError::new(
                    format!("合成乡镇 {code} 推送失败：{other:?}"),
                    format!("pushing synthetic township {code} failed: {other:?}"),
                ));
            }
        }
        first.get_or_insert(t.elapsed().as_secs_f64());
    }
    rows.push(BenchRow {
        what: format!(
            "push a whole new township ({} grids), first",
            county[0].1.grids.len()
        ),
        seconds: first.unwrap_or(0.0),
    });
    time(
        &mut rows,
        format!("load the county: {townships} pushes"),
        t_all,
    );

    let code = &county[0].0;
    let t = Instant::now();
    let mut project = db::pull(&mut client, code, &target.display)?;
    time(
        &mut rows,
        format!("db pull of one township ({} grids)", project.grids.len()),
        t,
    );

    // A day's work: records of 5% of the grids changed.
    let n = (project.grids.len() / 20).max(1);
    for g in project.grids.iter_mut().filter(|g| g.level == 2).take(n) {
        g.households = Some(g.households.unwrap_or(0) + 1);
    }
    let t = Instant::now();
    let out = db::push(&mut client, &project, code, &target.display, &none, false)?;
    time(
        &mut rows,
        format!("db push of one township ({n} grids changed)"),
        t,
    );
    if !matches!(out, PushOutcome::Pushed(_)) {
        return Err(DbError::new(
            format!("推送失败：{out:?}"),
            format!("push failed: {out:?}"),
        ));
    }
    // Every grid's geometry rewritten (a township's full re-survey).
    let project = super::ops::after_push(
        &project,
        match &out {
            PushOutcome::Pushed(p) => p,
            _ => unreachable!("checked above"),
        },
    );
    let mut moved = project.clone();
    for g in moved.grids.iter_mut().filter(|g| g.level == 2) {
        g.notes = "re-surveyed".into();
    }
    let t = Instant::now();
    db::push(&mut client, &moved, code, &target.display, &none, false)?;
    time(
        &mut rows,
        format!(
            "db push of one township (all {} grids changed)",
            moved.grids.len()
        ),
        t,
    );

    let t = Instant::now();
    let whole = db::load_county(&mut client)?;
    let load_db = t.elapsed().as_secs_f64();
    time(
        &mut rows,
        format!("db audit: load {} grids from PostgreSQL", whole.grids.len()),
        t,
    );
    let config = crate::audit::AuditConfig::default();
    let t = Instant::now();
    let report = crate::audit(&whole, &config);
    let audit_db = t.elapsed().as_secs_f64();
    time(
        &mut rows,
        format!("db audit: audit ({} findings)", report.findings.len()),
        t,
    );

    std::fs::create_dir_all(dir).map_err(|source| DbError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let gpkg = dir.join("county.gpkg");
    crate::io::gpkg::write(&whole, &gpkg)?;
    let t = Instant::now();
    let local = crate::io::gpkg::read_native(&gpkg)?;
    let load_local = t.elapsed().as_secs_f64();
    time(
        &mut rows,
        "local audit: read the same county from a GeoPackage".into(),
        t,
    );
    let t = Instant::now();
    let local_report = crate::audit(&local, &config);
    let audit_local = t.elapsed().as_secs_f64();
    time(
        &mut rows,
        format!(
            "local audit: audit ({} findings)",
            local_report.findings.len()
        ),
        t,
    );
    rows.push(BenchRow {
        what: format!(
            "db audit / local audit (goal <= 2): {:.2}",
            (load_db + audit_db) / (load_local + audit_local)
        ),
        seconds: load_db + audit_db,
    });
    Ok(rows)
}

pub fn render(rows: &[BenchRow]) -> String {
    let mut s =
        String::from("step                                                          seconds\n");
    for r in rows {
        s.push_str(&format!("{:<62} {:>8.3}\n", r.what, r.seconds));
    }
    s
}
