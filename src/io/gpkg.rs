//! GeoPackage (OGC 1.3, SQLite through `rusqlite`): gridmap's project file, and a format
//! to read from and hand to QGIS or the county platform.
//!
//! A project file holds one feature table per layer (`grids`, `rivers`, `reservoirs`,
//! `villages`, `boundary`) in the working CRS with an R-tree spatial index each
//! (`gpkg_rtree_index` extension), an attribute table `staff` (one row per person, related
//! to `grids` by `grid_id`), and `gridmap_meta` (format version, project name and
//! settings). Properties gridmap does not interpret are kept as JSON in `extra`.
//! Geometry is stored as GeoPackage WKB (encoded and decoded by `geozero`) with full
//! double precision, so a save and open gives back the same coordinates.
//!
//! GeoPackages from elsewhere (QGIS, `ogr2ogr`) are read table by table like shapefiles.

use super::features::{
    Batch, GeomRef, LAYERS, Layer, Pending, feature_id, keep_finite, out_features,
};
use super::{LoadError, SourceCrs, crsdef};
use crate::model::{
    Boundary, Crs, Extra, Grid, InputNote, Project, Reservoir, River, Staff, Village,
};
use geo::{BoundingRect, MultiLineString, MultiPolygon, Point};
use geozero::{CoordDimensions, ToGeo, ToWkb};
use rusqlite::{Connection, OpenFlags, params, types::ValueRef};
use serde_json::{Map, Value};
use std::path::Path;

/// The version of gridmap's tables; a file with a higher number was written by a newer
/// gridmap and is refused rather than misread.
pub const FORMAT_VERSION: i64 = 1;

/// `PRAGMA application_id` of a GeoPackage ("GPKG") and `user_version` of 1.3.
const APPLICATION_ID: i32 = 0x4750_4B47;
const USER_VERSION: i32 = 10300;

fn sql_err(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::new(
        path,
        format!("GeoPackage 无法读取：{e}"),
        format!("cannot read the GeoPackage: {e}"),
    )
}

fn open_read(path: &Path) -> Result<Connection, LoadError> {
    if !path.is_file() {
        return Err(LoadError::new(
            path,
            "文件不存在。",
            "the file does not exist.",
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_err(path, e))?;
    // Any SQLite query fails on a file that is not SQLite at all.
    let has_contents: Result<i64, _> = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'",
        [],
        |r| r.get(0),
    );
    match has_contents {
        Ok(1) => Ok(conn),
        Ok(_) => Err(LoadError::new(
            path,
            "这是 SQLite 数据库，但不是 GeoPackage（没有 gpkg_contents 表）。",
            "this is an SQLite database but not a GeoPackage (no gpkg_contents table).",
        )),
        Err(e) => Err(LoadError::new(
            path,
            format!("不是 GeoPackage/SQLite 文件：{e}"),
            format!("not a GeoPackage (SQLite) file: {e}"),
        )),
    }
}

/// True when the file is a gridmap project (has `gridmap_meta`).
pub fn is_native(path: &Path) -> Result<bool, LoadError> {
    let conn = open_read(path)?;
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gridmap_meta'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| sql_err(path, e))?;
    Ok(n == 1)
}

fn table_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Boundary => "boundary",
        Layer::Grid => "grids",
        Layer::River => "rivers",
        Layer::Reservoir => "reservoirs",
        Layer::Village => "villages",
    }
}

fn geometry_type(layer: Layer) -> &'static str {
    match layer {
        Layer::Boundary | Layer::Grid | Layer::Reservoir => "MULTIPOLYGON",
        Layer::River => "MULTILINESTRING",
        Layer::Village => "POINT",
    }
}

/// Typed columns of each layer after `id`; other properties go to `extra`.
fn columns(layer: Layer) -> &'static [(&'static str, &'static str)] {
    match layer {
        Layer::Grid => &[
            ("code", "TEXT"),
            ("name", "TEXT"),
            ("level", "INTEGER"),
            ("parent", "TEXT"),
            ("households", "INTEGER"),
            ("population", "INTEGER"),
            ("notes", "TEXT"),
        ],
        Layer::Village => &[
            ("name", "TEXT"),
            ("households", "INTEGER"),
            ("population", "INTEGER"),
        ],
        _ => &[("name", "TEXT")],
    }
}

fn wkb(
    g: GeomRef,
    srs: i32,
) -> Result<(Vec<u8>, Option<geo::Rect<f64>>), geozero::error::GeozeroError> {
    let (geom, rect) = match g {
        GeomRef::Polygons(mp) => (geo::Geometry::MultiPolygon(mp.clone()), mp.bounding_rect()),
        GeomRef::Lines(ml) => (
            geo::Geometry::MultiLineString(ml.clone()),
            ml.bounding_rect(),
        ),
        GeomRef::Point(p) => (geo::Geometry::Point(p), Some(geo::Rect::new(p.0, p.0))),
    };
    let envelope = match (g, rect) {
        (GeomRef::Point(_), _) | (_, None) => Vec::new(),
        (_, Some(r)) => vec![r.min().x, r.max().x, r.min().y, r.max().y],
    };
    let bytes = geom.to_gpkg_wkb(CoordDimensions::xy(), Some(srs), envelope)?;
    Ok((bytes, rect))
}

fn rtree_triggers(t: &str, c: &str, i: &str) -> String {
    let r = format!("rtree_{t}_{c}");
    let values = format!(
        "(NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}))"
    );
    format!(
        "CREATE TRIGGER {r}_insert AFTER INSERT ON {t} WHEN (new.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN INSERT OR REPLACE INTO {r} VALUES {values}; END;
CREATE TRIGGER {r}_update1 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN INSERT OR REPLACE INTO {r} VALUES {values}; END;
CREATE TRIGGER {r}_update2 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END;
CREATE TRIGGER {r}_update3 AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = OLD.{i}; INSERT OR REPLACE INTO {r} VALUES {values}; END;
CREATE TRIGGER {r}_update4 AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i}); END;
CREATE TRIGGER {r}_delete AFTER DELETE ON {t} WHEN old.{c} NOT NULL BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END;
"
    )
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => V::Integer(i),
            None => V::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

fn write_db(project: &Project, path: &Path) -> rusqlite::Result<()> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION};
         PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
    ))?;
    let tx = conn.transaction()?;
    write_schema(&tx, project.crs)?;
    for layer in LAYERS {
        write_layer(&tx, project, layer)?;
    }
    write_staff_and_meta(&tx, project)?;
    tx.commit()?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}

/// The GeoPackage's own tables, with the CRSs: WGS 84 and the project's.
fn write_schema(tx: &rusqlite::Transaction, crs: Crs) -> rusqlite::Result<()> {
    let srs = crs.epsg as i32;
    let wkt = crsdef::crs_wkt(crs, false)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT UNIQUE, description TEXT DEFAULT '',
           last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
           definition TEXT NOT NULL, scope TEXT NOT NULL,
           CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
         INSERT INTO gpkg_spatial_ref_sys VALUES
           ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
           ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');",
    )?;
    let wgs84 = crsdef::crs_wkt(Crs::epsg(4326), false)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        params![wgs84],
    )?;
    if srs != 4326 {
        tx.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'EPSG', ?2, ?3, ?4)",
            params![crs.describe(), srs, wkt, crs.describe()],
        )?;
    }
    Ok(())
}

/// One layer's feature table with its R-tree index, contents row and triggers.
fn write_layer(
    tx: &rusqlite::Transaction,
    project: &Project,
    layer: Layer,
) -> rusqlite::Result<()> {
    let srs = project.crs.epsg as i32;
    {
        let t = table_name(layer);
        let mut cols = String::from("fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom ");
        cols.push_str(geometry_type(layer));
        cols.push_str(", id TEXT NOT NULL");
        for (c, ty) in columns(layer) {
            cols.push_str(&format!(", {c} {ty}"));
        }
        cols.push_str(", extra TEXT");
        tx.execute_batch(&format!("CREATE TABLE {t} ({cols});"))?;
        tx.execute_batch(&format!(
            "CREATE VIRTUAL TABLE rtree_{t}_geom USING rtree(id, minx, maxx, miny, maxy);"
        ))?;
        let placeholders: Vec<String> = (1..=columns(layer).len() + 3)
            .map(|i| format!("?{i}"))
            .collect();
        let names: Vec<&str> = columns(layer).iter().map(|c| c.0).collect();
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {t} (geom, id, {}, extra) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        ))?;
        let mut rtree = tx.prepare(&format!(
            "INSERT INTO rtree_{t}_geom VALUES (?1, ?2, ?3, ?4, ?5)"
        ))?;
        let mut extent: Option<geo::Rect<f64>> = None;
        for f in out_features(project, Some(layer)) {
            let (blob, rect) = wkb(f.geometry, srs)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            let mut values: Vec<rusqlite::types::Value> =
                vec![blob.into(), f.id.to_string().into()];
            for (c, _) in columns(layer) {
                values.push(
                    f.props
                        .get(*c)
                        .map(to_sql)
                        .unwrap_or(rusqlite::types::Value::Null),
                );
            }
            let extra: Map<String, Value> = f
                .props
                .iter()
                .filter(|(k, _)| {
                    k.as_str() != "id"
                        && k.as_str() != "staff"
                        && !columns(layer).iter().any(|(c, _)| c == k)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            values.push(if extra.is_empty() {
                rusqlite::types::Value::Null
            } else {
                Value::Object(extra).to_string().into()
            });
            insert.execute(rusqlite::params_from_iter(values))?;
            let fid = tx.last_insert_rowid();
            if let Some(r) = rect.filter(|r| r.min().x.is_finite() && r.max().y.is_finite()) {
                rtree.execute(params![fid, r.min().x, r.max().x, r.min().y, r.max().y])?;
                extent = Some(match extent {
                    None => r,
                    Some(e) => geo::Rect::new(
                        geo::coord! { x: e.min().x.min(r.min().x), y: e.min().y.min(r.min().y) },
                        geo::coord! { x: e.max().x.max(r.max().x), y: e.max().y.max(r.max().y) },
                    ),
                });
            }
        }
        drop(insert);
        drop(rtree);
        let (a, b, c, d) = extent
            .map(|e| {
                (
                    Some(e.min().x),
                    Some(e.min().y),
                    Some(e.max().x),
                    Some(e.max().y),
                )
            })
            .unwrap_or((None, None, None, None));
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
             VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![t, layer.name(), a, b, c, d, srs],
        )?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
            params![t, geometry_type(layer), srs],
        )?;
        tx.execute(
            "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            params![t],
        )?;
        // Triggers last: they call ST_* functions that GDAL and QGIS provide.
        tx.execute_batch(&rtree_triggers(t, "geom", "fid"))?;
    }
    Ok(())
}

/// The staff table (related to grids by grid_id) and gridmap's metadata.
fn write_staff_and_meta(tx: &rusqlite::Transaction, project: &Project) -> rusqlite::Result<()> {
    // Staff, related to grids by grid_id.
    tx.execute_batch(
        "CREATE TABLE staff (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, grid_id TEXT NOT NULL,
           seq INTEGER NOT NULL, role TEXT, name TEXT, phone TEXT,
           public INTEGER NOT NULL DEFAULT 0);
         CREATE INDEX staff_grid ON staff (grid_id);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
           VALUES ('staff', 'attributes', 'staff', 'grid staff (网格人员), grid_id = grids.id');
         CREATE TABLE gridmap_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
           VALUES ('gridmap_meta', 'attributes', 'gridmap_meta', 'gridmap project settings');",
    )?;
    {
        let mut st = tx.prepare(
            "INSERT INTO staff (grid_id, seq, role, name, phone, public)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for g in &project.grids {
            for (i, s) in g.staff.iter().enumerate() {
                st.execute(params![
                    g.id,
                    i as i64,
                    s.role,
                    s.name,
                    s.phone,
                    i64::from(s.public)
                ])?;
            }
        }
        let mut meta = tx.prepare("INSERT INTO gridmap_meta VALUES (?1, ?2)")?;
        meta.execute(params!["format_version", FORMAT_VERSION.to_string()])?;
        meta.execute(params![
            "writer",
            format!("gridmap {}", env!("CARGO_PKG_VERSION"))
        ])?;
        meta.execute(params!["name", project.name])?;
        meta.execute(params!["crs", project.crs.authority()])?;
        meta.execute(params![
            "settings",
            Value::Object(project.settings.clone()).to_string()
        ])?;
    }
    Ok(())
}

/// Save the project as a GeoPackage, atomically: written to a temporary file in the same
/// folder, synced, then renamed over `path`. The project's settings (audit thresholds, language,
/// field mapping, ...) are stored in `gridmap_meta`.
pub fn write(project: &Project, path: &Path) -> Result<(), super::WriteError> {
    super::write_atomic_with(path, |tmp| {
        let _ = std::fs::remove_file(tmp);
        write_db(project, tmp).map_err(std::io::Error::other)?;
        super::sync_file(tmp)
    })
    .map_err(|e| super::WriteError::io(path, &e))
}

fn geometry_of(
    path: &Path,
    blob: Option<Vec<u8>>,
    what: &str,
) -> Result<Option<geo::Geometry<f64>>, LoadError> {
    match blob {
        None => Ok(None),
        Some(b) if b.is_empty() => Ok(None),
        Some(b) => geozero::wkb::GpkgWkb(b).to_geo().map(Some).map_err(|e| {
            LoadError::new(
                path,
                format!("几何无法解码：{e}"),
                format!("cannot decode the geometry: {e}"),
            )
            .in_feature(what.to_string())
        }),
    }
}

fn polygons(g: Option<geo::Geometry<f64>>) -> MultiPolygon<f64> {
    match g {
        Some(geo::Geometry::MultiPolygon(m)) => m,
        Some(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        _ => MultiPolygon(vec![]),
    }
}

fn extra_of(text: Option<String>) -> Extra {
    text.and_then(|t| serde_json::from_str::<Map<String, Value>>(&t).ok())
        .unwrap_or_default()
}

/// Open a gridmap project file.
pub fn read_native(path: &Path) -> Result<Project, LoadError> {
    let mut clock = std::time::Instant::now();
    let conn = open_read(path)?;
    let mut project = native_project(&conn, path)?;
    let staff = read_staff(&conn, path)?;
    read_grids(&conn, path, &mut project, staff)?;
    crate::timing::phase("project file: grids", &mut clock);
    read_lines_and_areas(&conn, path, &mut project)?;
    read_villages(&conn, path, &mut project)?;
    // A file written before the precision model, or by hand, comes onto the grid too.
    let precision = project.crs.precision();
    precision.snap_project(&mut project);
    crate::timing::phase("project file: the rest", &mut clock);
    Ok(project)
}

/// The project a gridmap project file describes (its format version checked), without
/// features yet: name, CRS, settings.
fn native_project(conn: &Connection, path: &Path) -> Result<Project, LoadError> {
    let e = |err: rusqlite::Error| sql_err(path, err);
    let meta = |key: &str| -> Option<String> {
        conn.query_row(
            "SELECT value FROM gridmap_meta WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .ok()
    };
    let version: i64 = match meta("format_version") {
        None => 0,
        Some(v) => v.trim().parse().map_err(|_| {
            LoadError::new(
                path,
                format!("项目文件的格式版本 “{}” 不是数字；文件已损坏或不是 gridmap 写入的。", crate::error::quoted(&v)),
                format!("the project file's format version \"{}\" is not a number; the file is damaged or was not written by gridmap.", crate::error::quoted(&v)),
            )
        })?,
    };
    if version > FORMAT_VERSION {
        return Err(LoadError::new(
            path,
            format!(
                "此文件由更新版本的 gridmap 写入（格式 {version}，本程序支持到 {FORMAT_VERSION}）。请升级 gridmap 后再打开。"
            ),
            format!(
                "this file was written by a newer gridmap (format {version}; this one reads up to {FORMAT_VERSION}). Update gridmap to open it."
            ),
        ));
    }
    let epsg: u32 = conn
        .query_row(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'grids'",
            [],
            |r| r.get(0),
        )
        .map_err(e)?;
    if super::crs_kind(Crs::epsg(epsg)) != Some(super::CrsKind::Projected) {
        return Err(LoadError::new(
            path,
            format!(
                "项目文件的坐标系 EPSG:{epsg} 不是投影坐标系；文件已损坏或不是 gridmap 写入的。"
            ),
            format!(
                "the project file's CRS EPSG:{epsg} is not a projected CRS; the file is damaged or was not written by gridmap."
            ),
        ));
    }
    Ok(Project {
        name: meta("name").unwrap_or_default(),
        crs: Crs::epsg(epsg),
        settings: meta("settings")
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        ..Default::default()
    })
}

/// The staff of each grid, by grid id, in their order.
fn read_staff(
    conn: &Connection,
    path: &Path,
) -> Result<std::collections::HashMap<String, Vec<Staff>>, LoadError> {
    let e = |err: rusqlite::Error| sql_err(path, err);
    let mut staff: std::collections::HashMap<String, Vec<Staff>> = Default::default();
    // Files written before the public flag have no such column: nobody's phone is public.
    let has_public = conn
        .prepare("SELECT 1 FROM pragma_table_info('staff') WHERE name = 'public'")
        .and_then(|mut st| st.exists([]))
        .map_err(e)?;
    let public = if has_public { "public" } else { "0" };
    {
        let mut st = conn
            .prepare(&format!(
                "SELECT grid_id, role, name, phone, {public} FROM staff ORDER BY grid_id, seq"
            ))
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Staff {
                        role: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        phone: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                        public: r.get::<_, Option<i64>>(4)?.unwrap_or(0) != 0,
                    },
                ))
            })
            .map_err(e)?;
        for row in rows {
            let (id, s) = row.map_err(e)?;
            staff.entry(id).or_default().push(s);
        }
    }
    Ok(staff)
}

/// A count as stored (an integer, perhaps out of range) as the model keeps it.
fn u32_of(v: Option<i64>) -> Option<u32> {
    v.map(|x| x.clamp(0, u32::MAX as i64) as u32)
}

/// One row of the grids table as SQLite gives it, decoded apart (in parallel).
struct GridRow {
    geom: Option<Vec<u8>>,
    id: String,
    code: Option<String>,
    name: Option<String>,
    level: Option<i64>,
    parent: Option<String>,
    households: Option<i64>,
    population: Option<i64>,
    notes: Option<String>,
    extra: Option<String>,
}

impl GridRow {
    /// The grid (without its staff), and what was dropped from its geometry.
    fn decode(self, path: &Path) -> Result<(Grid, Vec<InputNote>), LoadError> {
        let mut notes = Vec::new();
        let mut g = geometry_of(path, self.geom, &self.id)?;
        keep_finite(path, Layer::Grid, &self.id, &mut g, &mut notes);
        let mut extra = extra_of(self.extra);
        // The project file keeps only hand-written four bounds.
        crate::records::drop_derived(&mut extra);
        let grid = Grid {
            staff: Vec::new(),
            code: self.code.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            level: self.level.unwrap_or(3).clamp(0, 255) as u8,
            parent: self.parent,
            households: u32_of(self.households),
            population: u32_of(self.population),
            notes: self.notes.unwrap_or_default(),
            extra,
            geometry: polygons(g),
            id: self.id,
        };
        Ok((grid, notes))
    }
}

/// The grids, each with its staff. SQLite gives the rows; their geometries and records
/// are decoded in parallel, kept in the table's order.
fn read_grids(
    conn: &Connection,
    path: &Path,
    project: &mut Project,
    mut staff: std::collections::HashMap<String, Vec<Staff>>,
) -> Result<(), LoadError> {
    use rayon::prelude::*;
    let e = |err: rusqlite::Error| sql_err(path, err);
    let mut rows = Vec::new();
    {
        let mut st = conn
            .prepare("SELECT geom, id, code, name, level, parent, households, population, notes, extra FROM grids ORDER BY fid")
            .map_err(e)?;
        let mut q = st.query([]).map_err(e)?;
        while let Some(r) = q.next().map_err(e)? {
            rows.push(GridRow {
                geom: r.get(0).map_err(e)?,
                id: r.get(1).map_err(e)?,
                code: r.get(2).map_err(e)?,
                name: r.get(3).map_err(e)?,
                level: r.get(4).map_err(e)?,
                parent: r.get(5).map_err(e)?,
                households: r.get(6).map_err(e)?,
                population: r.get(7).map_err(e)?,
                notes: r.get(8).map_err(e)?,
                extra: r.get(9).map_err(e)?,
            });
        }
    }
    let decoded: Vec<Result<(Grid, Vec<InputNote>), LoadError>> =
        rows.into_par_iter().map(|r| r.decode(path)).collect();
    project.grids.reserve(decoded.len());
    // The first row that fails, as a row-by-row reading would name it.
    for d in decoded {
        let (mut grid, notes) = d?;
        grid.staff = staff.remove(&grid.id).unwrap_or_default();
        project.input_notes.extend(notes);
        project.grids.push(grid);
    }
    Ok(())
}

/// The boundary, rivers and reservoirs.
fn read_lines_and_areas(
    conn: &Connection,
    path: &Path,
    project: &mut Project,
) -> Result<(), LoadError> {
    let e = |err: rusqlite::Error| sql_err(path, err);
    for (table, layer) in [
        ("boundary", Layer::Boundary),
        ("rivers", Layer::River),
        ("reservoirs", Layer::Reservoir),
    ] {
        let mut st = conn
            .prepare(&format!(
                "SELECT geom, id, name, extra FROM {table} ORDER BY fid"
            ))
            .map_err(e)?;
        let mut rows = st.query([]).map_err(e)?;
        while let Some(r) = rows.next().map_err(e)? {
            let id: String = r.get(1).map_err(e)?;
            let mut g = geometry_of(path, r.get(0).map_err(e)?, &id)?;
            keep_finite(path, layer, &id, &mut g, &mut project.input_notes);
            let name = r
                .get::<_, Option<String>>(2)
                .map_err(e)?
                .unwrap_or_default();
            let extra = extra_of(r.get(3).map_err(e)?);
            match layer {
                Layer::River => project.rivers.push(River {
                    id,
                    name,
                    geometry: match g {
                        Some(geo::Geometry::MultiLineString(m)) => m,
                        Some(geo::Geometry::LineString(l)) => MultiLineString(vec![l]),
                        _ => MultiLineString(vec![]),
                    },
                    extra,
                }),
                Layer::Reservoir => project.reservoirs.push(Reservoir {
                    id,
                    name,
                    geometry: polygons(g),
                    extra,
                }),
                _ => project.boundary.push(Boundary {
                    id,
                    name,
                    geometry: polygons(g),
                    extra,
                }),
            }
        }
    }
    Ok(())
}

/// The villages (points).
fn read_villages(conn: &Connection, path: &Path, project: &mut Project) -> Result<(), LoadError> {
    let e = |err: rusqlite::Error| sql_err(path, err);
    {
        let mut st = conn
            .prepare(
                "SELECT geom, id, name, households, population, extra FROM villages ORDER BY fid",
            )
            .map_err(e)?;
        let mut rows = st.query([]).map_err(e)?;
        while let Some(r) = rows.next().map_err(e)? {
            let id: String = r.get(1).map_err(e)?;
            let mut g = geometry_of(path, r.get(0).map_err(e)?, &id)?;
            keep_finite(path, Layer::Village, &id, &mut g, &mut project.input_notes);
            let location = match g {
                Some(geo::Geometry::Point(p)) => p,
                _ => Point::new(f64::NAN, f64::NAN),
            };
            project.villages.push(Village {
                name: r
                    .get::<_, Option<String>>(2)
                    .map_err(e)?
                    .unwrap_or_default(),
                households: u32_of(r.get(3).map_err(e)?),
                population: u32_of(r.get(4).map_err(e)?),
                extra: extra_of(r.get(5).map_err(e)?),
                location,
                id,
            });
        }
    }
    Ok(())
}

/// The feature tables of any GeoPackage, each as a batch of features in its own CRS;
/// generated ids are numbered from `base + 1`.
pub(crate) fn read_batches(path: &Path, base: usize) -> Result<Vec<Batch>, LoadError> {
    let conn = open_read(path)?;
    let e = |err: rusqlite::Error| sql_err(path, err);
    let tables: Vec<(String, String, String, i64)> = {
        let mut st = conn
            .prepare("SELECT g.table_name, g.column_name, g.geometry_type_name, g.srs_id FROM gpkg_geometry_columns g JOIN gpkg_contents c ON c.table_name = g.table_name WHERE c.data_type = 'features'")
            .map_err(e)?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(e)?
            .collect::<Result<_, _>>()
            .map_err(e)?
    };
    if tables.is_empty() {
        return Err(LoadError::new(
            path,
            "GeoPackage 中没有要素表。",
            "the GeoPackage has no feature tables.",
        ));
    }
    let mut batches = Vec::new();
    for (table, geom_col, geom_type, srs_id) in tables {
        let crs = srs_of(&conn, path, srs_id)?;
        let layer = {
            let by_name = Layer::from_file_name(Path::new(&table));
            let t = geom_type.to_ascii_uppercase();
            if t.contains("LINE") {
                Layer::River
            } else if t.contains("POINT") {
                Layer::Village
            } else if matches!(by_name, Layer::River | Layer::Village) {
                Layer::Grid
            } else {
                by_name
            }
        };
        let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut st = conn
            .prepare(&format!("SELECT * FROM {}", quoted(&table)))
            .map_err(e)?;
        let names: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
        let pk: Option<String> = {
            let mut info = conn
                .prepare(&format!("PRAGMA table_info({})", quoted(&table)))
                .map_err(e)?;
            let rows = info
                .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)?)))
                .map_err(e)?;
            rows.filter_map(|r| r.ok())
                .find(|(_, pk)| *pk > 0)
                .map(|(n, _)| n)
        };
        let mut rows = st.query([]).map_err(e)?;
        let mut pending = Vec::new();
        let first = base
            + batches
                .iter()
                .map(|b: &Batch| b.pending.len())
                .sum::<usize>();
        let mut n = 0;
        while let Some(r) = rows.next().map_err(e)? {
            n += 1;
            let mut props = Map::new();
            let mut blob = None;
            for (i, name) in names.iter().enumerate() {
                let v = r.get_ref(i).map_err(e)?;
                if *name == geom_col {
                    if let ValueRef::Blob(b) = v {
                        blob = Some(b.to_vec());
                    }
                    continue;
                }
                if Some(name) == pk.as_ref() {
                    continue;
                }
                let value = match v {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(x) => Value::from(x),
                    ValueRef::Real(x) => serde_json::Number::from_f64(x)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                    ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => continue,
                };
                props.insert(name.clone(), value);
            }
            let id = feature_id(layer, None, &props, &Default::default(), first + n);
            let geometry = geometry_of(path, blob, &format!("{table} #{n}"))?;
            let geometry = match (layer, geometry) {
                (Layer::Village, Some(geo::Geometry::MultiPoint(m))) => {
                    m.0.first().map(|p| geo::Geometry::Point(*p))
                }
                (_, g) => g,
            };
            pending.push(Pending {
                layer,
                id,
                props,
                geometry,
            });
        }
        batches.push(Batch {
            path: path.to_path_buf(),
            crs,
            crs_required: true,
            name: None,
            pending,
            settings: None,
        });
    }
    Ok(batches)
}

fn srs_of(conn: &Connection, path: &Path, srs_id: i64) -> Result<Option<SourceCrs>, LoadError> {
    let row: Option<(String, i64, String)> = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok();
    match row {
        Some((org, code, _)) if org.eq_ignore_ascii_case("EPSG") && code > 0 => {
            Ok(Some(SourceCrs::Epsg(Crs::epsg(code as u32))))
        }
        Some((_, _, def)) if def.trim() != "undefined" && !def.trim().is_empty() => {
            crsdef::crs_from_wkt(&def).map(Some).map_err(|err| {
                let (zh, en) = crate::error::report_lines(&err);
                LoadError::new(
                    path,
                    format!("无法识别坐标系 {srs_id}：{zh}"),
                    format!("the CRS with srs_id {srs_id} is not recognised: {en}"),
                )
            })
        }
        _ => Ok(None),
    }
}
