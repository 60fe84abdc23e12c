//! The county database on PostgreSQL 15 + PostGIS 3: schema and roles (versioned
//! migrations), accounts, check out (pull), check in (push), and the whole county as one
//! project for the audit and export.
//!
//! Tables (schema `gridmap`): `township` (code, name, settings, version), `grid` (one row
//! per grid of every township and level, typed columns, staff as JSON, geometry
//! `MultiPolygon` in the county's SRID), `feature` (rivers, reservoirs, natural villages and
//! boundary parts), `change_log` (every row version written or discarded, old and new as
//! JSON: nothing a push replaces is lost), `account` (login role -> township), `meta` and
//! `migrations`. Every row has a `version`, raised by each write: a push whose base version
//! differs from the server's is a conflict.
//!
//! Row-level security: group roles `gridmap_county` (writes all), `gridmap_township`
//! (writes only the rows of the township its account is mapped to, and never the
//! township's outline, its level-1 grid) and `gridmap_viewer` (reads). The outline rule is
//! a trigger; the rest are policies, so they hold for any client, not only gridmap.

use super::conn::pg_error;
use super::{
    Choice, Conflict, DbError, PushOutcome, Pushed, Row, RowError, ServerRow, SyncState,
    keyed_rows, layer_name, layer_of, local_changes, outline_finding, seam_findings,
};
use crate::audit::{AuditConfig, Finding};
use crate::model::{Crs, Grid, InputNote, Layer, Project};
use geo::Geometry;
use geozero::wkb;
use postgres::{Client, GenericClient, Transaction};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The schema, one migration per version; `{srid}` is the county's working CRS.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("schema_v1.sql")),
    // The database holds its rules against any client (psql, QGIS): finite valid
    // geometries, staff as objects, stamps and the change log by triggers, each township
    // within its outline (deferred, at commit).
    (2, include_str!("schema_v2.sql")),
];

/// The newest schema version this gridmap knows.
pub fn schema_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Who the connected account is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// Writes every township (the county office, or a superuser).
    County,
    /// Writes its own township.
    Township(String),
    /// Reads only.
    Viewer,
}

fn err(e: postgres::Error) -> DbError {
    pg_error("县级数据库 county database", e)
}

/// Create or upgrade the schema, the PostGIS extension and the group roles. `srid` is the
/// county's working CRS (a projected EPSG code); an existing database keeps its own and a
/// different one is refused.
pub fn init(client: &mut Client, srid: u32) -> Result<i32, DbError> {
    if crate::io::crs_kind(Crs::epsg(srid)) != Some(crate::io::CrsKind::Projected) {
        return Err(DbError::new(
            format!(
                "EPSG:{srid} 不是投影坐标系；县级库需要以米为单位的坐标系（如 CGCS2000 高斯-克吕格 EPSG:4546）。"
            ),
            format!(
                "EPSG:{srid} is not a projected CRS; the county database needs one in metres (e.g. CGCS2000 Gauss-Kruger EPSG:4546)."
            ),
        ));
    }
    let mut tx = client.transaction().map_err(err)?;
    // One init at a time.
    tx.batch_execute("SELECT pg_advisory_xact_lock(7272727)")
        .map_err(err)?;
    tx.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis; CREATE SCHEMA IF NOT EXISTS gridmap;
        CREATE TABLE IF NOT EXISTS gridmap.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());")
        .map_err(err)?;
    let current = applied_schema(&mut tx)?;
    if current > schema_version() {
        return Err(newer_schema(current));
    }
    if current >= 1 {
        let have = county_srid(&mut tx)?;
        if have != srid {
            return Err(DbError::new(
                format!("县级数据库已用 EPSG:{have} 建立，不能改为 EPSG:{srid}。"),
                format!(
                    "the county database was set up in EPSG:{have}; it cannot change to EPSG:{srid}."
                ),
            ));
        }
    }
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(&sql.replace("{srid}", &srid.to_string()))
            .map_err(err)?;
        tx.execute("INSERT INTO gridmap.migrations (version) VALUES ($1)", &[v])
            .map_err(err)?;
    }
    tx.commit().map_err(err)?;
    Ok(schema_version())
}

/// The database's schema is the one this gridmap writes to (an older one is upgraded by
/// `gridmap db init`, a newer one needs a newer gridmap).
fn check_schema(c: &mut impl GenericClient) -> Result<(), DbError> {
    let have = applied_schema(c)?;
    match have.cmp(&schema_version()) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(DbError::new(
            format!(
                "县级数据库的结构版本是 {have}，本程序需要 {}：请县级管理员运行 gridmap db init 升级。",
                schema_version()
            ),
            format!(
                "the county database has schema {have}; this gridmap needs {}: the county administrator upgrades it with gridmap db init.",
                schema_version()
            ),
        )),
        std::cmp::Ordering::Greater => Err(newer_schema(have)),
    }
}

/// The newest migration applied to the database (0: none).
fn applied_schema(c: &mut impl GenericClient) -> Result<i32, DbError> {
    Ok(c.query_one(
        "SELECT coalesce(max(version), 0) FROM gridmap.migrations",
        &[],
    )
    .map_err(err)?
    .get(0))
}

fn newer_schema(have: i32) -> DbError {
    DbError::new(
        format!(
            "县级数据库由更新版本的 gridmap 建立（结构版本 {have}，本程序支持到 {}）。请升级 gridmap。",
            schema_version()
        ),
        format!(
            "the county database was set up by a newer gridmap (schema {have}; this one knows up to {}). Update gridmap.",
            schema_version()
        ),
    )
}

fn county_srid(c: &mut impl GenericClient) -> Result<u32, DbError> {
    let row = c
        .query_opt("SELECT value FROM gridmap.meta WHERE key = 'srid'", &[])
        .map_err(err)?;
    row.and_then(|r| r.get::<_, String>(0).parse().ok())
        .ok_or_else(|| {
            DbError::new(
                "县级数据库缺少坐标系设置（meta.srid）。",
                "the county database lacks its CRS (meta.srid).",
            )
        })
}

/// Set the county's name (kept in `meta`).
pub fn set_county_name(client: &mut Client, name: &str) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE gridmap.meta SET value = $1 WHERE key = 'name'",
            &[&name],
        )
        .map_err(err)?;
    Ok(())
}

/// The connected account's role.
pub fn account(c: &mut impl GenericClient) -> Result<Account, DbError> {
    let r = c
        .query_one("SELECT gridmap.is_county(), gridmap.my_township()", &[])
        .map_err(err)?;
    if r.get::<_, bool>(0) {
        return Ok(Account::County);
    }
    Ok(match r.get::<_, Option<String>>(1) {
        Some(t) => Account::Township(t),
        None => Account::Viewer,
    })
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Create a login account (or reset its password and role): a township account writes
/// only `township`, a county account everything, a viewer nothing. Needs a role that may
/// create roles (the database owner or a superuser).
pub fn add_account(
    client: &mut Client,
    name: &str,
    role: &Account,
    password: &str,
) -> Result<(), DbError> {
    if name.is_empty() || password.is_empty() {
        return Err(DbError::new(
            "账号名和密码不能为空。",
            "the account name and password must not be empty.",
        ));
    }
    let mut tx = client.transaction().map_err(err)?;
    let exists = tx
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .map_err(err)?
        .is_some();
    let verb = if exists { "ALTER" } else { "CREATE" };
    // The SCRAM-SHA-256 verifier, made here as libpq's PQencryptPasswordConn does: the
    // statement (which the server logs when it fails) never holds the password itself.
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    tx.batch_execute(&format!(
        "{verb} ROLE {} LOGIN PASSWORD {}",
        quote_ident(name),
        quote_literal(&verifier)
    ))
    .map_err(err)?;
    for g in ["gridmap_county", "gridmap_township", "gridmap_viewer"] {
        tx.batch_execute(&format!("REVOKE {g} FROM {}", quote_ident(name)))
            .map_err(err)?;
    }
    let (group, township) = match role {
        Account::County => ("gridmap_county", None),
        Account::Township(t) => ("gridmap_township", Some(t.clone())),
        Account::Viewer => ("gridmap_viewer", None),
    };
    if let Some(t) = &township {
        let known = tx
            .query_opt("SELECT 1 FROM gridmap.township WHERE code = $1", &[t])
            .map_err(err)?
            .is_some();
        if !known {
            return Err(unknown_township(t));
        }
    }
    tx.batch_execute(&format!("GRANT {group} TO {}", quote_ident(name)))
        .map_err(err)?;
    tx.execute(
        "INSERT INTO gridmap.account (rolname, township) VALUES ($1, $2)
         ON CONFLICT (rolname) DO UPDATE SET township = EXCLUDED.township",
        &[&name, &township],
    )
    .map_err(err)?;
    tx.commit().map_err(err)
}

/// A township code as the county database keys it: not empty, no `/` (the county
/// project's ids are `TOWNSHIP/ID`), at most 64 characters.
pub fn check_code(code: &str) -> Result<(), DbError> {
    if code.trim().is_empty() || code.contains(super::ID_SEP) || code.chars().count() > 64 {
        return Err(DbError::new(
            format!(
                "乡镇代码 “{}” 不可用：不能为空、不能含 “/”、不超过 64 个字符。",
                crate::error::quoted(code)
            ),
            format!(
                "township code \"{}\" cannot be used: it must not be empty, contain \"/\" or exceed 64 characters.",
                crate::error::quoted(code)
            ),
        ));
    }
    Ok(())
}

fn unknown_township(code: &str) -> DbError {
    DbError::new(
        format!(
            "县级数据库中没有乡镇 “{}”；县级账号首次推送该乡镇的项目时建立它。",
            crate::error::quoted(code)
        ),
        format!(
            "the county database has no township \"{}\"; a county account creates it with the township's first push.",
            crate::error::quoted(code)
        ),
    )
}

const GRID_COLUMNS: &str = "township, id, version, updated_by, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS OF'), code, name, level, parent, households, population, notes, staff, extra, geom";
const FEATURE_COLUMNS: &str = "township, id, version, updated_by, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS OF'), layer, name, households, population, extra, geom";

fn count(v: Option<i32>) -> Option<u32> {
    v.and_then(|n| u32::try_from(n).ok())
}

fn unreadable(township: &str, id: &str, source: RowError) -> DbError {
    DbError::Unreadable {
        township: township.to_string(),
        id: id.to_string(),
        source,
    }
}

fn geometry(r: &postgres::Row, i: usize) -> Result<Geometry<f64>, RowError> {
    r.try_get::<_, wkb::Decode<Geometry<f64>>>(i)
        .map_err(RowError::Decode)?
        .geometry
        .ok_or(RowError::NoGeometry)
}

/// A grid as stored (columns as in [`GRID_COLUMNS`]), with its township.
fn grid_of(r: &postgres::Row) -> Result<(String, Grid, ServerMeta), DbError> {
    let township: String = r.get(0);
    let id: String = r.get(1);
    let bad = |e: RowError| unreadable(&township, &id, e);
    let mp = match geometry(r, 14).map_err(bad)? {
        Geometry::MultiPolygon(mp) => mp,
        g => {
            return Err(bad(RowError::Kind {
                layer: layer_name(Layer::Grids),
                id: id.clone(),
                kind: crate::io::features::geometry_kind(&g),
            }));
        }
    };
    if !finite(&mp) {
        return Err(bad(RowError::NotFinite));
    }
    let mut g = Grid::new(
        id.clone(),
        u8::try_from(r.get::<_, i16>(7)).unwrap_or(0),
        mp,
    );
    g.code = r.get(5);
    g.name = r.get(6);
    g.parent = r.get(8);
    g.households = count(r.get(9));
    g.population = count(r.get(10));
    g.notes = r.get(11);
    g.staff = serde_json::from_value(r.get::<_, Value>(12)).map_err(|e| bad(RowError::Staff(e)))?;
    g.extra = match r.get::<_, Value>(13) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let meta = ServerMeta {
        version: r.get(2),
        by: r.get(3),
        at: r.get(4),
    };
    Ok((township, g, meta))
}

/// Version and last writer of a stored row.
struct ServerMeta {
    version: i64,
    by: String,
    at: String,
}

/// A river, reservoir, village or boundary part as stored (columns as in
/// [`FEATURE_COLUMNS`]), as a row, with its township.
fn feature_of(r: &postgres::Row) -> Result<(String, Row, ServerMeta), DbError> {
    let township: String = r.get(0);
    let id: String = r.get(1);
    let layer: String = r.get(5);
    let bad = |e: RowError| unreadable(&township, &id, e);
    let layer = layer_of(&layer).ok_or_else(|| bad(RowError::Layer(layer.clone())))?;
    let extra = match r.get::<_, Value>(9) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let geometry = geometry(r, 10).map_err(bad)?;
    if !finite(&geometry) {
        return Err(bad(RowError::NotFinite));
    }
    let row = Row::of_feature(
        layer,
        &id,
        &r.get::<_, String>(6),
        (count(r.get(7)), count(r.get(8))),
        &extra,
        geometry,
    );
    let meta = ServerMeta {
        version: r.get(2),
        by: r.get(3),
        at: r.get(4),
    };
    Ok((township, row, meta))
}

fn grid_sql() -> String {
    format!(
        "SELECT {GRID_COLUMNS} FROM gridmap.grid WHERE $1::text IS NULL OR township = $1 ORDER BY township, level, id"
    )
}

fn feature_sql() -> String {
    format!(
        "SELECT {FEATURE_COLUMNS} FROM gridmap.feature WHERE $1::text IS NULL OR township = $1 ORDER BY township, layer, id"
    )
}

/// Every coordinate a number (a row written past gridmap, before the database held the
/// rule, may hold NaN).
fn finite<G: geo::CoordsIter<Scalar = f64>>(g: &G) -> bool {
    g.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite())
}

/// Decode rows on every core (a county has 100,000 grids). A row that cannot be used is
/// left out and reported (township, note), never a failure for everyone: gridmap neither
/// shows it nor writes over it.
fn decode<T: Send>(
    rows: &[postgres::Row],
    f: impl Fn(&postgres::Row) -> Result<T, DbError> + Sync + Send,
) -> (Vec<T>, Vec<(String, InputNote)>) {
    use rayon::prelude::*;
    let all: Vec<Result<T, Box<(String, InputNote)>>> = rows
        .par_iter()
        .map(|r| {
            f(r).map_err(|e| {
                let township: String = r.try_get(0).unwrap_or_default();
                let id: String = r.try_get(1).unwrap_or_default();
                let (zh, en) = e.lines();
                Box::new((
                    township,
                    InputNote {
                        feature_id: id,
                        layer: "county",
                        zh,
                        en,
                        fatal: true,
                        at: None,
                    },
                ))
            })
        })
        .collect();
    let mut ok = Vec::with_capacity(all.len());
    let mut notes = Vec::new();
    for r in all {
        match r {
            Ok(v) => ok.push(v),
            Err(n) => notes.push(*n),
        }
    }
    (ok, notes)
}

/// The rows of one township (or of all) by township and key, and the notes of the rows
/// left out.
type ServerRows = BTreeMap<String, BTreeMap<String, ServerRow>>;

/// Every row of one township (or of all with None), by township and key.
fn load_rows(
    c: &mut impl GenericClient,
    township: Option<&str>,
) -> Result<(ServerRows, Vec<(String, InputNote)>), DbError> {
    let mut out: ServerRows = BTreeMap::new();
    let mut add = |t: String, row: Row, m: ServerMeta| {
        out.entry(t).or_default().insert(
            row.key(),
            ServerRow {
                row,
                version: m.version,
                by: m.by,
                at: m.at,
            },
        );
    };
    let grids = c.query(&grid_sql(), &[&township]).map_err(err)?;
    let (ok, mut notes) = decode(&grids, grid_of);
    for (t, g, m) in ok {
        add(t, Row::of_grid(&g), m);
    }
    let features = c.query(&feature_sql(), &[&township]).map_err(err)?;
    let (ok, more) = decode(&features, feature_of);
    notes.extend(more);
    for (t, row, m) in ok {
        add(t, row, m);
    }
    Ok((out, notes))
}

/// The project of one township as the server holds it (rows in key order: grids by level).
fn project_of<'a>(
    name: &str,
    crs: Crs,
    rows: impl IntoIterator<Item = &'a Row>,
) -> Result<Project, DbError> {
    let mut p = Project {
        name: name.to_string(),
        crs,
        ..Default::default()
    };
    let mut ordered: Vec<&Row> = rows.into_iter().collect();
    ordered.sort_by_key(|r| {
        (
            r.layer != Layer::Grids,
            r.attrs.get("level").and_then(Value::as_u64).unwrap_or(0),
        )
    });
    for r in ordered {
        // The schema keeps each layer's geometry type, so this fails only on a database
        // changed behind gridmap's back; a row left out would be deleted by the next push.
        r.clone()
            .place(&mut p)
            .map_err(|e| unreadable(name, &r.id, e))?;
    }
    Ok(p)
}

fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::timing::local_stamp(secs)
}

/// A read-only transaction that sees one state of the database throughout.
fn snapshot(client: &mut Client) -> Result<Transaction<'_>, DbError> {
    client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(err)
}

/// Check a township out: its rows as a project in the county's CRS, with the sync state
/// and the neighbours' grids within [`super::NEIGHBOUR_STRIP_M`] of its outline.
pub fn pull(client: &mut Client, township: &str, server: &str) -> Result<Project, DbError> {
    check_code(township)?;
    let mut tx = snapshot(client)?;
    check_schema(&mut tx)?;
    let srid = county_srid(&mut tx)?;
    let Some(t) = tx
        .query_opt(
            "SELECT name, settings FROM gridmap.township WHERE code = $1",
            &[&township],
        )
        .map_err(err)?
    else {
        return Err(unknown_township(township));
    };
    let name: String = t.get(0);
    let settings: Value = t.get(1);
    let (mut rows, notes) = load_rows(&mut tx, Some(township))?;
    let rows = rows.remove(township).unwrap_or_default();
    let mut project = project_of(&name, Crs::epsg(srid), rows.values().map(|s| &s.row))?;
    project
        .input_notes
        .extend(notes.into_iter().map(|(_, n)| n));
    if let Value::Object(m) = settings {
        project.settings = m;
    }
    let sync = SyncState {
        township: township.to_string(),
        server: server.to_string(),
        pulled_at: now_text(),
        pushed_at: String::new(),
        base: rows
            .iter()
            .map(|(k, s)| (k.clone(), (s.version, s.row.hash())))
            .collect(),
    };
    project
        .settings
        .insert(super::SYNC_KEY.into(), sync.to_value());
    let strip = tx
        .query(
            "WITH o AS (SELECT ST_Collect(geom) AS geom FROM gridmap.grid
                        WHERE township = $1 AND level = 1 AND gridmap.geom_ok(geom))
             SELECT g.township, g.id, g.name, g.level, g.geom FROM gridmap.grid g, o
             WHERE g.township <> $1 AND g.geom && ST_Expand(o.geom, $2)
               AND CASE WHEN gridmap.geom_ok(g.geom) THEN ST_DWithin(g.geom, o.geom, $2) ELSE false END
             ORDER BY g.township, g.level, g.id",
            &[&township, &super::NEIGHBOUR_STRIP_M],
        )
        .map_err(err)?;
    let features: Vec<Value> = strip
        .iter()
        .map(|r| {
            let g = r.get::<_, wkb::Decode<Geometry<f64>>>(4).geometry;
            serde_json::json!({
                "type": "Feature",
                "properties": {
                    "township": r.get::<_, String>(0),
                    "id": r.get::<_, String>(1),
                    "name": r.get::<_, String>(2),
                    "level": r.get::<_, i16>(3),
                },
                "geometry": g.map(|g| serde_json::to_value(geojson::Geometry::from(&g)).unwrap_or(Value::Null)),
            })
        })
        .collect();
    project.settings.insert(
        super::NEIGHBOURS_KEY.into(),
        serde_json::json!({ "type": "FeatureCollection", "features": features }),
    );
    tx.commit().map_err(err)?;
    Ok(project)
}

/// The neighbours' grids a pull brought along, as (township, id, level, outline).
pub fn neighbours(project: &Project) -> Vec<(String, String, u8, geo::MultiPolygon<f64>)> {
    let Some(Value::Array(features)) = project
        .settings
        .get(super::NEIGHBOURS_KEY)
        .and_then(|v| v.get("features"))
    else {
        return Vec::new();
    };
    features
        .iter()
        .filter_map(|f| {
            let p = f.get("properties")?;
            let g: geojson::Geometry = serde_json::from_value(f.get("geometry")?.clone()).ok()?;
            let mp = match Geometry::<f64>::try_from(g).ok()? {
                Geometry::MultiPolygon(mp) => mp,
                Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                _ => return None,
            };
            Some((
                p.get("township")?.as_str()?.to_string(),
                p.get("id")?.as_str()?.to_string(),
                p.get("level")?.as_u64()? as u8,
                mp,
            ))
        })
        .collect()
}

/// The settings a township keeps on the server: the project's, without the sync state.
fn shared_settings(project: &Project) -> Value {
    let mut s = project.settings.clone();
    s.remove(super::SYNC_KEY);
    s.remove(super::NEIGHBOURS_KEY);
    Value::Object(s)
}

/// One change-log entry of a push: key, action, old row, new row.
type LogEntry = (String, &'static str, Option<Row>, Option<Row>);

/// What a push does, worked out before anything is written.
#[derive(Default)]
struct PushPlan {
    /// Rows to write, by key (None deletes).
    writes: BTreeMap<String, Option<Row>>,
    /// Rows the local project must take to match the server (None deletes).
    take: Vec<(String, Option<Row>)>,
    /// The change log: what each write or discarded version is for.
    log: Vec<LogEntry>,
    /// Conflicts without a choice: nothing is written while there are any.
    conflicts: Vec<Conflict>,
    /// Conflicts resolved by a choice.
    resolved: usize,
}

/// Check a township's project in. `choices` resolves conflicts found by an earlier push;
/// without a choice for each, nothing is written and the conflicts come back. A push that
/// opens the township's seam (gaps or overlaps along its outline that were not there
/// before) is refused unless `force` is given by a county account.
pub fn push(
    client: &mut Client,
    project: &Project,
    township: &str,
    server: &str,
    choices: &BTreeMap<String, Choice>,
    force: bool,
) -> Result<PushOutcome, DbError> {
    check_code(township)?;
    let sync = SyncState::of(project).unwrap_or_default();
    if !sync.township.is_empty() && sync.township != township {
        return Err(DbError::new(
            format!(
                "此项目是从乡镇 {} 拉取的，不能推送为乡镇 {township}。",
                sync.township
            ),
            format!(
                "this project was pulled for township {}; it cannot be pushed as township {township}.",
                sync.township
            ),
        ));
    }
    let local = keyed_rows(project)?;
    let mut tx = client.transaction().map_err(err)?;
    let (who, srid) = check_push(&mut tx, project, township, force)?;
    lock_township(&mut tx, project, township, &who)?;
    // Rows the server holds but gridmap cannot use are left as they are.
    let server_rows = load_rows(&mut tx, Some(township))?
        .0
        .remove(township)
        .unwrap_or_default();
    let plan = plan_push(&local, &sync, &server_rows, choices);
    if !plan.conflicts.is_empty() {
        return Ok(PushOutcome::Conflicts(plan.conflicts));
    }
    // The outline is the county's.
    if who != Account::County
        && let Some(id) = outline_written(&plan.writes, &server_rows)
    {
        return Ok(PushOutcome::Refused(vec![outline_finding(id)]));
    }
    let touches_geometry = plan.writes.keys().any(|k| k.starts_with("grids/"));
    if touches_geometry && !force {
        let new = new_seam_findings(project, township, srid, &server_rows, &plan.writes)?;
        if !new.is_empty() {
            return Ok(PushOutcome::Refused(new));
        }
    }
    let versions = write_push(&mut tx, project, township, srid, &server_rows, &plan)?;
    tx.commit().map_err(err)?;
    Ok(PushOutcome::Pushed(pushed(
        &sync,
        township,
        server,
        &server_rows,
        plan,
        &versions,
    )))
}

/// The schema is current, the account may push `township` (with `force`, only a county
/// account) and the project is in the county's CRS; the account and the county's SRID.
fn check_push(
    tx: &mut Transaction,
    project: &Project,
    township: &str,
    force: bool,
) -> Result<(Account, u32), DbError> {
    check_schema(tx)?;
    let who = account(tx)?;
    match &who {
        Account::County => {}
        Account::Township(t) if t == township => {}
        Account::Township(t) => {
            return Err(DbError::new(
                format!("当前账号属于乡镇 {t}，不能写入乡镇 {township} 的数据。"),
                format!(
                    "this account belongs to township {t}; it cannot write township {township}."
                ),
            ));
        }
        Account::Viewer => {
            return Err(DbError::new(
                "当前账号只能查看，不能推送。",
                "this account can only read; it cannot push.",
            ));
        }
    }
    if force && who != Account::County {
        return Err(DbError::new(
            "只有县级账号可以强制推送。",
            "only a county account may force a push.",
        ));
    }
    let srid = county_srid(tx)?;
    if project.crs.epsg != srid {
        return Err(DbError::new(
            format!(
                "项目坐标系 EPSG:{} 与县级数据库的 EPSG:{srid} 不同；请先转换坐标系（或从县级库拉取）。",
                project.crs.epsg
            ),
            format!(
                "the project's CRS EPSG:{} differs from the county database's EPSG:{srid}; reproject it first (or pull from the county database).",
                project.crs.epsg
            ),
        ));
    }
    Ok((who, srid))
}

/// Lock the township's row, the push's lock: pushes of one township take turns, pushes of
/// different townships run side by side. A county account's first push creates it.
fn lock_township(
    tx: &mut Transaction,
    project: &Project,
    township: &str,
    who: &Account,
) -> Result<(), DbError> {
    let locked = tx
        .query_opt(
            "SELECT name FROM gridmap.township WHERE code = $1 FOR UPDATE",
            &[&township],
        )
        .map_err(err)?;
    if locked.is_none() {
        if *who != Account::County {
            return Err(unknown_township(township));
        }
        tx.execute(
            "INSERT INTO gridmap.township (code, name) VALUES ($1, $2)",
            &[&township, &project.name],
        )
        .map_err(err)?;
    }
    Ok(())
}

/// Compare every row here, as last pulled and on the server: what to write, what to take,
/// what to log and the conflicts (resolved by `choices` where they have one).
fn plan_push(
    local: &BTreeMap<String, Row>,
    sync: &SyncState,
    server_rows: &BTreeMap<String, ServerRow>,
    choices: &BTreeMap<String, Choice>,
) -> PushPlan {
    let changes = local_changes(local, sync);
    let changed: BTreeSet<String> = changes
        .changed
        .iter()
        .map(Row::key)
        .chain(changes.deleted.iter().cloned())
        .collect();
    let mut plan = PushPlan::default();
    let keys: BTreeSet<&String> = local
        .keys()
        .chain(sync.base.keys())
        .chain(server_rows.keys())
        .collect();
    for key in keys {
        let mine = local.get(key);
        let base = sync.base.get(key);
        let theirs = server_rows.get(key);
        if !changed.contains(key) {
            // Unchanged here: take what the server has if it moved on.
            let moved = match (base, theirs) {
                (Some((v, _)), Some(s)) => *v != s.version,
                (None, Some(_)) => true,
                (Some(_), None) => true,
                (None, None) => false,
            };
            if moved {
                plan.take.push((key.clone(), theirs.map(|s| s.row.clone())));
            }
            continue;
        }
        let same_base = base.map(|b| b.0) == theirs.map(|s| s.version);
        let same_content = match (mine, theirs) {
            (Some(m), Some(s)) => m.hash() == s.row.hash(),
            (None, None) => true,
            _ => false,
        };
        if same_content {
            continue;
        }
        if same_base {
            plan.log.push((
                key.clone(),
                if mine.is_some() { "write" } else { "delete" },
                theirs.map(|s| s.row.clone()),
                mine.cloned(),
            ));
            plan.writes.insert(key.clone(), mine.cloned());
            continue;
        }
        plan.conflict(key, mine, theirs, choices.get(key));
    }
    plan
}

impl PushPlan {
    /// A row changed here and on the server: a conflict left, or resolved by `choice`.
    fn conflict(
        &mut self,
        key: &str,
        mine: Option<&Row>,
        theirs: Option<&ServerRow>,
        choice: Option<&Choice>,
    ) {
        let key = key.to_string();
        match choice {
            None => self.conflicts.push(Conflict {
                key,
                mine: mine.cloned(),
                theirs: theirs.map(|s| s.row.clone()),
                their_version: theirs.map_or(0, |s| s.version),
                by: theirs.map(|s| s.by.clone()).unwrap_or_default(),
                at: theirs.map(|s| s.at.clone()).unwrap_or_default(),
            }),
            Some(Choice::Mine) => {
                self.resolved += 1;
                self.log.push((
                    key.clone(),
                    "conflict: mine",
                    theirs.map(|s| s.row.clone()),
                    mine.cloned(),
                ));
                self.writes.insert(key, mine.cloned());
            }
            Some(Choice::Theirs) => {
                self.resolved += 1;
                self.log.push((
                    key.clone(),
                    "conflict: theirs",
                    mine.cloned(),
                    theirs.map(|s| s.row.clone()),
                ));
                self.take.push((key, theirs.map(|s| s.row.clone())));
            }
            Some(Choice::Merged(r)) => {
                self.resolved += 1;
                let mut r = r.clone();
                r.id = key.split_once('/').map_or(r.id, |(_, id)| id.to_string());
                self.log.push((
                    key.clone(),
                    "conflict: merged (old = theirs)",
                    theirs.map(|s| s.row.clone()),
                    Some(r.clone()),
                ));
                self.log.push((
                    key.clone(),
                    "conflict: merged (old = mine)",
                    mine.cloned(),
                    Some(r.clone()),
                ));
                self.writes.insert(key.clone(), Some(r.clone()));
                self.take.push((key, Some(r)));
            }
        }
    }
}

/// The id of a level-1 grid (the township's outline, the county's) whose geometry or level
/// these writes would change.
fn outline_written<'a>(
    writes: &'a BTreeMap<String, Option<Row>>,
    server_rows: &BTreeMap<String, ServerRow>,
) -> Option<&'a str> {
    let level1 = |r: Option<&Row>| {
        r.is_some_and(|r| r.layer == Layer::Grids && r.attrs.get("level") == Some(&Value::from(1)))
    };
    writes.iter().find_map(|(key, row)| {
        let before = server_rows.get(key).map(|s| &s.row);
        ((level1(before) || level1(row.as_ref()))
            && (before.map(|r| (&r.geometry, r.attrs.get("level")))
                != row.as_ref().map(|r| (&r.geometry, r.attrs.get("level")))))
        .then(|| key.split_once('/').map_or(key.as_str(), |k| k.1))
    })
}

/// The seam: findings along the township's outline after these writes that were not
/// there before.
fn new_seam_findings(
    project: &Project,
    township: &str,
    srid: u32,
    server_rows: &BTreeMap<String, ServerRow>,
    writes: &BTreeMap<String, Option<Row>>,
) -> Result<Vec<Finding>, DbError> {
    let config = AuditConfig::from_settings(&project.settings);
    let crs = Crs::epsg(srid);
    let before = project_of(township, crs, server_rows.values().map(|s| &s.row))?;
    // The server's rows with this push's writes over them (references, no copies).
    let mut after_rows: BTreeMap<&String, &Row> =
        server_rows.iter().map(|(k, s)| (k, &s.row)).collect();
    for (key, row) in writes {
        match row {
            Some(r) => {
                after_rows.insert(key, r);
            }
            None => {
                after_rows.remove(key);
            }
        }
    }
    let after = project_of(township, crs, after_rows.into_values())?;
    let seen: BTreeSet<(String, Vec<String>)> = seam_findings(&before, &config)
        .into_iter()
        .map(|f| (f.kind.as_str().to_string(), f.ids))
        .collect();
    Ok(seam_findings(&after, &config)
        .into_iter()
        .filter(|f| !seen.contains(&(f.kind.as_str().to_string(), f.ids.clone())))
        .collect())
}

/// Write the plan's rows, log the versions it discards and stamp the township (not yet
/// committed); every row's version after the writes.
fn write_push(
    tx: &mut Transaction,
    project: &Project,
    township: &str,
    srid: u32,
    server_rows: &BTreeMap<String, ServerRow>,
    plan: &PushPlan,
) -> Result<BTreeMap<String, i64>, DbError> {
    let mut versions: BTreeMap<String, i64> = server_rows
        .iter()
        .map(|(k, s)| (k.clone(), s.version))
        .collect();
    check_geometries(tx, srid, &plan.writes)?;
    // The database logs every write itself (by session_user, at its own clock); what a
    // write is for goes with it as the reason (gridmap.reason), and a version this push
    // discards without writing it is logged through gridmap.log_discarded.
    let reason_of: BTreeMap<&String, &str> = plan
        .log
        .iter()
        .filter(|(_, a, _, _)| WRITTEN_REASONS.contains(a))
        .map(|(k, a, _, _)| (k, *a))
        .collect();
    let mut by_reason: BTreeMap<&str, BTreeMap<String, Option<Row>>> = BTreeMap::new();
    for (k, row) in &plan.writes {
        by_reason
            .entry(reason_of.get(k).copied().unwrap_or(""))
            .or_default()
            .insert(k.clone(), row.clone());
    }
    for (reason, rows) in &by_reason {
        tx.execute("SELECT set_config('gridmap.reason', $1, true)", &[reason])
            .map_err(err)?;
        write_rows(tx, township, srid, rows, &mut versions)?;
    }
    tx.execute("SELECT set_config('gridmap.reason', '', true)", &[])
        .map_err(err)?;
    log_discarded(tx, township, &plan.log)?;
    tx.execute(
        "UPDATE gridmap.township SET version = version + 1, synced_at = now(), synced_by = session_user,
           settings = $2, name = CASE WHEN name = '' THEN $3 ELSE name END WHERE code = $1",
        &[&township, &shared_settings(project), &project.name],
    )
    .map_err(err)?;
    Ok(versions)
}

/// A committed push's outcome, with the new base: every row as the server now holds it.
fn pushed(
    sync: &SyncState,
    township: &str,
    server: &str,
    server_rows: &BTreeMap<String, ServerRow>,
    plan: PushPlan,
    versions: &BTreeMap<String, i64>,
) -> Pushed {
    let mut base: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for (k, s) in server_rows {
        base.insert(k.clone(), (s.version, s.row.hash()));
    }
    for (k, row) in &plan.writes {
        match row {
            Some(r) => {
                base.insert(k.clone(), (versions[k], r.hash()));
            }
            None => {
                base.remove(k);
            }
        }
    }
    let pulled_at = if sync.pulled_at.is_empty() {
        now_text()
    } else {
        sync.pulled_at.clone()
    };
    let deleted = plan.writes.values().filter(|r| r.is_none()).count();
    Pushed {
        written: plan.writes.len() - deleted,
        deleted,
        resolved: plan.resolved,
        take: plan.take,
        sync: SyncState {
            township: township.to_string(),
            server: server.to_string(),
            pulled_at,
            pushed_at: now_text(),
            base,
        },
    }
}

fn opt_i32(v: Option<&Value>) -> Option<i32> {
    v.and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Upsert and delete in a few statements (arrays, one round trip per table).
fn write_rows(
    tx: &mut Transaction,
    township: &str,
    srid: u32,
    writes: &BTreeMap<String, Option<Row>>,
    versions: &mut BTreeMap<String, i64>,
) -> Result<(), DbError> {
    // The version sent is what the client expects; the server assigns its own (one more
    // than any the key ever had) and the new base takes what it returns.
    let next = |key: &str| versions.get(key).copied().unwrap_or(0) + 1;
    // Grids.
    let (mut ids, mut levels, mut parents, mut codes, mut names) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut hh, mut pop, mut notes, mut staff, mut extra, mut geoms, mut vers) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    // Features.
    let (
        mut f_layers,
        mut f_ids,
        mut f_names,
        mut f_hh,
        mut f_pop,
        mut f_extra,
        mut f_geoms,
        mut f_vers,
    ) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    let mut del_grids: Vec<String> = vec![];
    let mut del_features: Vec<(String, String)> = vec![];
    for (key, row) in writes {
        let Some((lname, id)) = key.split_once('/') else {
            continue;
        };
        match row {
            None if lname == "grids" => del_grids.push(id.to_string()),
            None => del_features.push((lname.to_string(), id.to_string())),
            Some(r) if r.layer == Layer::Grids => {
                let a = &r.attrs;
                ids.push(r.id.clone());
                levels.push(a.get("level").and_then(Value::as_i64).unwrap_or(0) as i16);
                parents.push(a.get("parent").and_then(Value::as_str).map(str::to_string));
                codes.push(text(a.get("code")));
                names.push(text(a.get("name")));
                hh.push(opt_i32(a.get("households")));
                pop.push(opt_i32(a.get("population")));
                notes.push(text(a.get("notes")));
                staff.push(a.get("staff").cloned().unwrap_or(Value::Array(vec![])));
                extra.push(a.get("extra").cloned().unwrap_or(Value::Object(Map::new())));
                geoms.push(wkb::Encode(r.geometry.clone()));
                vers.push(next(key));
            }
            Some(r) => {
                let a = &r.attrs;
                f_layers.push(layer_name(r.layer).to_string());
                f_ids.push(r.id.clone());
                f_names.push(text(a.get("name")));
                f_hh.push(opt_i32(a.get("households")));
                f_pop.push(opt_i32(a.get("population")));
                f_extra.push(a.get("extra").cloned().unwrap_or(Value::Object(Map::new())));
                f_geoms.push(wkb::Encode(r.geometry.clone()));
                f_vers.push(next(key));
            }
        }
    }
    if !del_grids.is_empty() {
        tx.execute(
            "DELETE FROM gridmap.grid WHERE township = $1 AND id = ANY($2)",
            &[&township, &del_grids],
        )
        .map_err(err)?;
    }
    for (layer, id) in &del_features {
        tx.execute(
            "DELETE FROM gridmap.feature WHERE township = $1 AND layer = $2 AND id = $3",
            &[&township, layer, id],
        )
        .map_err(err)?;
    }
    if !ids.is_empty() {
        let sql = format!(
            "INSERT INTO gridmap.grid AS g (township, id, level, parent, code, name, households, population, notes, staff, extra, geom, version)
             SELECT $1, u.id, u.level, u.parent, u.code, u.name, u.hh, u.pop, u.notes, u.staff, u.extra, ST_Multi(ST_SetSRID(u.geom, {srid})), u.version
             FROM unnest($2::text[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::int4[], $8::int4[], $9::text[], $10::jsonb[], $11::jsonb[], $12::geometry[], $13::int8[])
               AS u(id, level, parent, code, name, hh, pop, notes, staff, extra, geom, version)
             ON CONFLICT (township, id) DO UPDATE SET level = EXCLUDED.level, parent = EXCLUDED.parent, code = EXCLUDED.code,
               name = EXCLUDED.name, households = EXCLUDED.households, population = EXCLUDED.population, notes = EXCLUDED.notes,
               staff = EXCLUDED.staff, extra = EXCLUDED.extra, geom = EXCLUDED.geom, version = EXCLUDED.version,
               updated_by = session_user, updated_at = now()
             RETURNING g.id, g.version"
        );
        let rows = tx
            .query(
                &sql,
                &[
                    &township, &ids, &levels, &parents, &codes, &names, &hh, &pop, &notes, &staff,
                    &extra, &geoms, &vers,
                ],
            )
            .map_err(err)?;
        for r in rows {
            versions.insert(format!("grids/{}", r.get::<_, String>(0)), r.get(1));
        }
    }
    if !f_ids.is_empty() {
        let sql = format!(
            "INSERT INTO gridmap.feature AS f (township, layer, id, name, households, population, extra, geom, version)
             SELECT $1, u.layer, u.id, u.name, u.hh, u.pop, u.extra, ST_SetSRID(u.geom, {srid}), u.version
             FROM unnest($2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[], $7::jsonb[], $8::geometry[], $9::int8[])
               AS u(layer, id, name, hh, pop, extra, geom, version)
             ON CONFLICT (township, layer, id) DO UPDATE SET name = EXCLUDED.name, households = EXCLUDED.households,
               population = EXCLUDED.population, extra = EXCLUDED.extra, geom = EXCLUDED.geom, version = EXCLUDED.version,
               updated_by = session_user, updated_at = now()
             RETURNING f.layer, f.id, f.version"
        );
        let rows = tx
            .query(
                &sql,
                &[
                    &township, &f_layers, &f_ids, &f_names, &f_hh, &f_pop, &f_extra, &f_geoms,
                    &f_vers,
                ],
            )
            .map_err(err)?;
        for r in rows {
            versions.insert(
                format!("{}/{}", r.get::<_, String>(0), r.get::<_, String>(1)),
                r.get(2),
            );
        }
    }
    Ok(())
}

fn log_discarded(tx: &mut Transaction, township: &str, log: &[LogEntry]) -> Result<(), DbError> {
    for (key, action, old, new) in log {
        if WRITTEN_REASONS.contains(action) || matches!(*action, "write" | "delete") {
            continue;
        }
        let (l, id) = key.split_once('/').unwrap_or(("", key));
        tx.execute(
            "SELECT gridmap.log_discarded($1, $2, $3, $4, $5, $6)",
            &[
                &township,
                &l,
                &id,
                action,
                &old.as_ref().map(Row::to_json),
                &new.as_ref().map(Row::to_json),
            ],
        )
        .map_err(err)?;
    }
    Ok(())
}

/// The reasons of the conflict resolutions that write a row (the others keep the
/// server's row and log the discarded local one).
const WRITTEN_REASONS: [&str; 2] = ["conflict: mine", "conflict: merged (old = theirs)"];

/// Geometries the database would refuse (NaN, invalid, empty: its `geom_ok` rule), named
/// before anything is written: the server's own refusal names no row.
fn check_geometries(
    tx: &mut Transaction,
    srid: u32,
    writes: &BTreeMap<String, Option<Row>>,
) -> Result<(), DbError> {
    let (keys, geoms): (Vec<String>, Vec<wkb::Encode<Geometry<f64>>>) = writes
        .iter()
        .filter_map(|(k, r)| {
            r.as_ref()
                .map(|r| (k.clone(), wkb::Encode(r.geometry.clone())))
        })
        .unzip();
    if keys.is_empty() {
        return Ok(());
    }
    let bad = tx
        .query(
            &format!(
                "SELECT u.key, coalesce(ST_IsValidReason(u.g), '') FROM unnest($1::text[], $2::geometry[]) AS u(key, g)
                 WHERE NOT gridmap.geom_ok(ST_SetSRID(u.g, {srid})) ORDER BY u.key"
            ),
            &[&keys, &geoms],
        )
        .map_err(err)?;
    if bad.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = bad
        .iter()
        .take(10)
        .map(|r| format!("{}（{}）", r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    let more = if bad.len() > 10 {
        format!(" … +{}", bad.len() - 10)
    } else {
        String::new()
    };
    Err(DbError::new(
        format!(
            "县级数据库只收有效的几何（无 NaN、不自相交、不为空），以下 {} 个要素未通过，未推送任何内容：{}{more}。请先修正审核中的“几何无效”。",
            bad.len(),
            list.join("、")
        ),
        format!(
            "the county database takes only valid geometries (no NaN, no self-intersection, not empty); {} features fail, nothing was pushed: {}{more}. Fix the audit's invalid-geometry findings first.",
            bad.len(),
            list.join(", ")
        ),
    ))
}

/// The whole county as one project (ids `township/id`; see [`super::county_project`]).
pub fn load_county(client: &mut Client) -> Result<Project, DbError> {
    let mut tx = snapshot(client)?;
    check_schema(&mut tx)?;
    let srid = county_srid(&mut tx)?;
    let name: String = tx
        .query_opt("SELECT value FROM gridmap.meta WHERE key = 'name'", &[])
        .map_err(err)?
        .map(|r| r.get(0))
        .unwrap_or_default();
    let none: Option<&str> = None;
    let grids = tx.query(&grid_sql(), &[&none]).map_err(err)?;
    let features = tx.query(&feature_sql(), &[&none]).map_err(err)?;
    tx.commit().map_err(err)?;
    let mut townships: BTreeMap<String, Project> = BTreeMap::new();
    let (ok, notes) = decode(&grids, grid_of);
    for (t, g, _) in ok {
        townships.entry(t).or_default().grids.push(g);
    }
    drop(grids);
    let (ok, more) = decode(&features, feature_of);
    for (t, n) in notes.into_iter().chain(more) {
        townships.entry(t).or_default().input_notes.push(n);
    }
    for (t, row, _) in ok {
        let p = townships.entry(t).or_default();
        if let Err(e) = row.place(p) {
            let e = crate::error::report(&e);
            p.input_notes.push(crate::model::InputNote {
                feature_id: e.clone(),
                layer: "features",
                zh: format!("县级库中的要素无法使用：{e}"),
                en: format!("a feature in the county database cannot be used: {e}"),
                fatal: true,
                at: None,
            });
        }
    }
    Ok(super::county_project(
        &name,
        Crs::epsg(srid),
        townships.into_iter().collect(),
    ))
}

/// The townships of the county: code, name, number of grids, last sync and by whom.
pub fn townships(client: &mut Client) -> Result<Vec<(String, String, i64, String)>, DbError> {
    let rows = client
        .query(
            "SELECT t.code, t.name, (SELECT count(*) FROM gridmap.grid g WHERE g.township = t.code),
                    coalesce(to_char(t.synced_at, 'YYYY-MM-DD HH24:MI:SS') || ' ' || t.synced_by, '')
             FROM gridmap.township t ORDER BY t.code",
            &[],
        )
        .map_err(err)?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}
