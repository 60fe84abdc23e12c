//! The county store (县级数据库): every township's grids, rivers, reservoirs, natural villages
//! and boundary in one PostgreSQL/PostGIS database, which townships check out into a local
//! project and check in again.
//!
//! This module is the part that needs no database: a project's features as [`Row`]s with a
//! content hash, the [`SyncState`] a pulled project keeps (the version and hash of each row
//! as pulled), what changed locally since, the [`Conflict`]s with what the server holds and
//! their resolution, the seam check and the consolidated county project. [`db`] talks to
//! the server; [`conn`] finds it (URL, `PGSERVICE`, `~/.pgpass`).

pub mod bench;
pub mod conn;
pub mod db;
mod error;
pub mod ops;

pub use error::{DbError, RowError};

use crate::audit::{AuditConfig, Finding, Kind, Severity};
use crate::edit::{Change, LayerChanges, Transaction};
use crate::model::{
    Boundary, Crs, Extra, Feature, Grid, Layer, Project, Reservoir, River, Staff, Village,
};
use geo::{Geometry, MultiPolygon};
use geozero::{CoordDimensions, ToWkb};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Project setting that holds a pulled project's [`SyncState`].
pub const SYNC_KEY: &str = "county_sync";
/// Project setting that holds the neighbours' grids along the border (read only), as a
/// GeoJSON FeatureCollection in the working CRS.
pub const NEIGHBOURS_KEY: &str = "county_neighbours";
/// Width (metres) of the strip of neighbours' grids a pull brings along.
pub const NEIGHBOUR_STRIP_M: f64 = 500.0;
/// A finding closer than this (metres) to a township's outline is at its seam.
pub const SEAM_TOL_M: f64 = 1.0;

/// The table name of a layer, as rows and keys name it.
pub fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Grids => "grids",
        Layer::Rivers => "rivers",
        Layer::Reservoirs => "reservoirs",
        Layer::Villages => "villages",
        Layer::Boundary => "boundary",
    }
}

pub fn layer_of(name: &str) -> Option<Layer> {
    Layer::ALL.into_iter().find(|l| layer_name(*l) == name)
}

/// One feature of any layer as the county store holds it: its record as named fields (the
/// same for every layer's rows, so conflicts are compared field by field) and its geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub layer: Layer,
    pub id: String,
    pub attrs: Map<String, Value>,
    pub geometry: Geometry<f64>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct GridAttrs {
    code: String,
    name: String,
    level: u8,
    parent: Option<String>,
    households: Option<u32>,
    population: Option<u32>,
    notes: String,
    staff: Vec<Staff>,
    extra: Extra,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct FeatureAttrs {
    name: String,
    households: Option<u32>,
    population: Option<u32>,
    extra: Extra,
}

fn to_map(v: impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// JSON with the keys of every object sorted: the same text for the same content whatever
/// order the keys came in (PostgreSQL's jsonb keeps its own order).
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

impl Row {
    pub fn key(&self) -> String {
        row_key(self.layer, &self.id)
    }

    /// The geometry as WKB (x, y).
    pub fn wkb(&self) -> Vec<u8> {
        self.geometry
            .to_wkb(CoordDimensions::xy())
            .unwrap_or_default()
    }

    /// Hash of the whole content (record and exact coordinates), as 16 hex digits.
    pub fn hash(&self) -> String {
        let mut text = String::new();
        canonical(&Value::Object(self.attrs.clone()), &mut text);
        use crate::model::{FNV_OFFSET, fnv1a as fnv};
        let mut h = fnv(self.key().as_bytes(), FNV_OFFSET);
        h = fnv(&[0], h);
        h = fnv(text.as_bytes(), h);
        h = fnv(&[0], h);
        h = fnv(&self.wkb(), h);
        format!("{h:016x}")
    }

    /// The row as JSON for the change log: the record and the geometry as hex WKB.
    pub fn to_json(&self) -> Value {
        let hex: String = self.wkb().iter().map(|b| format!("{b:02x}")).collect();
        json!({ "attrs": self.attrs, "wkb": hex })
    }

    pub fn of_grid(g: &Grid) -> Row {
        Row {
            layer: Layer::Grids,
            id: g.id.clone(),
            attrs: to_map(GridAttrs {
                code: g.code.clone(),
                name: g.name.clone(),
                level: g.level,
                parent: g.parent.clone().filter(|p| !p.is_empty()),
                households: g.households,
                population: g.population,
                notes: g.notes.clone(),
                staff: g.staff.clone(),
                extra: g.extra.clone(),
            }),
            geometry: Geometry::MultiPolygon(g.geometry.clone()),
        }
    }

    pub(crate) fn of_feature(
        layer: Layer,
        id: &str,
        name: &str,
        counts: (Option<u32>, Option<u32>),
        extra: &Extra,
        geometry: Geometry<f64>,
    ) -> Row {
        Row {
            layer,
            id: id.to_string(),
            attrs: to_map(FeatureAttrs {
                name: name.to_string(),
                households: counts.0,
                population: counts.1,
                extra: extra.clone(),
            }),
            geometry,
        }
    }

    /// The row's geometry is of a kind its layer does not hold.
    fn wrong_kind(&self, g: &Geometry<f64>) -> RowError {
        RowError::Kind {
            layer: layer_name(self.layer),
            id: self.id.clone(),
            kind: crate::io::features::geometry_kind(g),
        }
    }

    fn polygons(&self) -> Result<MultiPolygon<f64>, RowError> {
        match &self.geometry {
            Geometry::MultiPolygon(mp) => Ok(mp.clone()),
            Geometry::Polygon(p) => Ok(MultiPolygon(vec![p.clone()])),
            g => Err(self.wrong_kind(g)),
        }
    }

    /// Add the feature to its layer of `project`.
    pub fn place(self, project: &mut Project) -> Result<(), RowError> {
        let bad = |source: serde_json::Error| RowError::Attributes {
            layer: layer_name(self.layer),
            id: self.id.clone(),
            source,
        };
        if self.layer == Layer::Grids {
            let a: GridAttrs =
                serde_json::from_value(Value::Object(self.attrs.clone())).map_err(bad)?;
            let mut g = Grid::new(self.id.clone(), a.level, self.polygons()?);
            g.code = a.code;
            g.name = a.name;
            g.parent = a.parent;
            g.households = a.households;
            g.population = a.population;
            g.notes = a.notes;
            g.staff = a.staff;
            g.extra = a.extra;
            project.grids.push(g);
            return Ok(());
        }
        let a: FeatureAttrs =
            serde_json::from_value(Value::Object(self.attrs.clone())).map_err(bad)?;
        match self.layer {
            Layer::Rivers => {
                let geometry = match &self.geometry {
                    Geometry::MultiLineString(m) => m.clone(),
                    Geometry::LineString(l) => geo::MultiLineString(vec![l.clone()]),
                    g => return Err(self.wrong_kind(g)),
                };
                project.rivers.push(River {
                    id: self.id,
                    name: a.name,
                    geometry,
                    extra: a.extra,
                });
            }
            Layer::Reservoirs => project.reservoirs.push(Reservoir {
                geometry: self.polygons()?,
                id: self.id,
                name: a.name,
                extra: a.extra,
            }),
            Layer::Boundary => project.boundary.push(Boundary {
                geometry: self.polygons()?,
                id: self.id,
                name: a.name,
                extra: a.extra,
            }),
            Layer::Villages => {
                let Geometry::Point(location) = self.geometry else {
                    return Err(self.wrong_kind(&self.geometry));
                };
                project.villages.push(Village {
                    id: self.id,
                    name: a.name,
                    location,
                    households: a.households,
                    population: a.population,
                    extra: a.extra,
                })
            }
            Layer::Grids => unreachable!("handled above"),
        }
        Ok(())
    }
}

pub fn row_key(layer: Layer, id: &str) -> String {
    format!("{}/{id}", layer_name(layer))
}

/// Every feature of the project as a row, layer by layer in the project's order.
pub fn rows_of(project: &Project) -> Vec<Row> {
    let mut out: Vec<Row> = project.grids.iter().map(Row::of_grid).collect();
    let none = (None, None);
    out.extend(project.rivers.iter().map(|r| {
        Row::of_feature(
            Layer::Rivers,
            &r.id,
            &r.name,
            none,
            &r.extra,
            Geometry::MultiLineString(r.geometry.clone()),
        )
    }));
    out.extend(project.reservoirs.iter().map(|r| {
        Row::of_feature(
            Layer::Reservoirs,
            &r.id,
            &r.name,
            none,
            &r.extra,
            Geometry::MultiPolygon(r.geometry.clone()),
        )
    }));
    out.extend(project.villages.iter().map(|v| {
        Row::of_feature(
            Layer::Villages,
            &v.id,
            &v.name,
            (v.households, v.population),
            &v.extra,
            Geometry::Point(v.location),
        )
    }));
    out.extend(project.boundary.iter().map(|b| {
        Row::of_feature(
            Layer::Boundary,
            &b.id,
            &b.name,
            none,
            &b.extra,
            Geometry::MultiPolygon(b.geometry.clone()),
        )
    }));
    out
}

/// The rows of a project by key; an id that repeats within a layer is an error (the county
/// store keys rows by id).
pub fn keyed_rows(project: &Project) -> Result<BTreeMap<String, Row>, DbError> {
    let mut out = BTreeMap::new();
    let mut repeated = BTreeSet::new();
    for r in rows_of(project) {
        let key = r.key();
        if out.insert(key.clone(), r).is_some() {
            repeated.insert(key);
        }
    }
    if repeated.is_empty() {
        return Ok(out);
    }
    let list = repeated.into_iter().take(10).collect::<Vec<_>>().join(", ");
    Err(DbError::new(
        format!("项目中有重复的编号，县级数据库无法区分：{list}。请先在审核中修正重复编号。"),
        format!(
            "the project repeats ids the county database cannot tell apart: {list}. Fix the duplicate ids (see the audit) first."
        ),
    ))
}

/// What a pulled project remembers of the county database: which township it is, where it
/// came from, and the version and content hash of every row as last pulled or pushed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncState {
    pub township: String,
    /// Where it came from, without password (user@host:port/db), for the status bar.
    pub server: String,
    /// When it was last pulled and pushed (local time, "YYYY-MM-DD HH:MM:SS").
    pub pulled_at: String,
    pub pushed_at: String,
    /// Row key -> (version on the server, content hash).
    pub base: BTreeMap<String, (i64, String)>,
}

impl SyncState {
    pub fn of(project: &Project) -> Option<SyncState> {
        serde_json::from_value(project.settings.get(SYNC_KEY)?.clone()).ok()
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The status line of a project's sync state without reading its rows' versions
    /// (the status bar asks every frame).
    pub fn status_of(project: &Project) -> Option<String> {
        let v = project.settings.get(SYNC_KEY)?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
        Some(status_line(
            s("server"),
            s("township"),
            s("pulled_at"),
            s("pushed_at"),
        ))
    }
}

fn status_line(server: &str, township: &str, pulled_at: &str, pushed_at: &str) -> String {
    // A pull starts a new state without a push time.
    let when = if !pushed_at.is_empty() {
        format!("推送于 {pushed_at} pushed")
    } else {
        format!("拉取于 {pulled_at} pulled")
    };
    format!("县级库 {server} · {township} · {when}")
}

/// The local changes since the pull: rows added or changed, and keys deleted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalChanges {
    pub changed: Vec<Row>,
    pub deleted: Vec<String>,
}

impl LocalChanges {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.deleted.is_empty()
    }
}

/// What changed in `local` since the state `base` describes.
pub fn local_changes(local: &BTreeMap<String, Row>, base: &SyncState) -> LocalChanges {
    let mut out = LocalChanges::default();
    for (key, row) in local {
        match base.base.get(key) {
            Some((_, h)) if *h == row.hash() => {}
            _ => out.changed.push(row.clone()),
        }
    }
    out.deleted = base
        .base
        .keys()
        .filter(|k| !local.contains_key(*k))
        .cloned()
        .collect();
    out
}

/// A row the server holds: its version and who changed it last, when.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRow {
    pub row: Row,
    pub version: i64,
    pub by: String,
    pub at: String,
}

/// A row changed here and, since the pull, by someone else too.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub key: String,
    /// None: deleted here.
    pub mine: Option<Row>,
    /// None: deleted on the server.
    pub theirs: Option<Row>,
    pub their_version: i64,
    pub by: String,
    pub at: String,
}

/// One field of a conflict, as text on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub mine: String,
    pub theirs: String,
}

/// The geometry's size as text: area, length or the point.
pub fn geometry_summary(g: &Geometry<f64>) -> String {
    use geo::{Area, Euclidean, Length};
    match g {
        Geometry::Point(p) => format!("({:.2}, {:.2})", p.x(), p.y()),
        Geometry::MultiLineString(m) => {
            let l: f64 = m.0.iter().map(|l| Euclidean.length(l)).sum();
            format!("{l:.2} m, {} 段", m.0.len())
        }
        other => {
            let n: usize = match other {
                Geometry::MultiPolygon(mp) => {
                    mp.0.iter()
                        .map(|p| {
                            p.exterior().0.len()
                                + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()
                        })
                        .sum()
                }
                _ => 0,
            };
            format!("{:.2} m², {n} 点", other.unsigned_area())
        }
    }
}

fn field_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) if a.iter().all(|x| x.is_object()) => {
            // Staff: "role name phone; ..."
            a.iter()
                .map(|x| {
                    ["role", "name", "phone"]
                        .iter()
                        .filter_map(|k| x.get(*k).and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        Some(other) => {
            let mut s = String::new();
            canonical(other, &mut s);
            s
        }
    }
}

/// The field name of the geometry among a conflict's fields.
pub const GEOMETRY_FIELD: &str = "geometry";

impl Conflict {
    /// The fields that differ, with the geometry as [`GEOMETRY_FIELD`]; empty where one
    /// side deleted the row.
    pub fn fields(&self) -> Vec<FieldDiff> {
        let (Some(m), Some(t)) = (&self.mine, &self.theirs) else {
            return Vec::new();
        };
        let mut keys: Vec<&String> = m.attrs.keys().collect();
        for k in t.attrs.keys() {
            if !m.attrs.contains_key(k) {
                keys.push(k);
            }
        }
        let mut out: Vec<FieldDiff> = keys
            .into_iter()
            .filter(|k| {
                let (mut a, mut b) = (String::new(), String::new());
                canonical(m.attrs.get(*k).unwrap_or(&Value::Null), &mut a);
                canonical(t.attrs.get(*k).unwrap_or(&Value::Null), &mut b);
                a != b
            })
            .map(|k| FieldDiff {
                field: k.clone(),
                mine: field_text(m.attrs.get(k)),
                theirs: field_text(t.attrs.get(k)),
            })
            .collect();
        if m.geometry != t.geometry {
            out.push(FieldDiff {
                field: GEOMETRY_FIELD.into(),
                mine: geometry_summary(&m.geometry),
                theirs: geometry_summary(&t.geometry),
            });
        }
        out
    }

    /// Mine with the fields named in `theirs_fields` (and the geometry when it names
    /// [`GEOMETRY_FIELD`]) taken from theirs. None where one side deleted the row.
    pub fn merged(&self, theirs_fields: &BTreeSet<String>) -> Option<Row> {
        let (Some(m), Some(t)) = (&self.mine, &self.theirs) else {
            return None;
        };
        let mut out = m.clone();
        for f in theirs_fields {
            if f == GEOMETRY_FIELD {
                out.geometry = t.geometry.clone();
            } else {
                match t.attrs.get(f) {
                    Some(v) => {
                        out.attrs.insert(f.clone(), v.clone());
                    }
                    None => {
                        out.attrs.remove(f);
                    }
                }
            }
        }
        Some(out)
    }
}

/// How a conflict is resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// Write mine over theirs (theirs stays in the change log).
    Mine,
    /// Take theirs here (mine goes to the change log).
    Theirs,
    /// Write this row, made of fields of both.
    Merged(Row),
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pushed {
    pub written: usize,
    pub deleted: usize,
    /// Conflicts resolved (each leaves the losing version in the change log).
    pub resolved: usize,
    /// Rows the local project must take to match the server (theirs, merged, or changed by
    /// others where this project had not changed them), None to delete.
    pub take: Vec<(String, Option<Row>)>,
    pub sync: SyncState,
}

/// The outcome of a push: done, or nothing written because of conflicts or seam findings.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    Pushed(Pushed),
    Conflicts(Vec<Conflict>),
    Refused(Vec<Finding>),
}

/// The transaction that brings the local project to the rows in `take` (one undoable
/// step): replacements in place, then deletions, then additions at the end of each layer.
pub fn take_rows(project: &Project, take: &[(String, Option<Row>)], label: &str) -> Transaction {
    fn layer<T: LayerChanges + Clone>(
        t: &mut Transaction,
        items: &[T],
        rows: &[(&str, Option<T>)],
    ) {
        let pos_of = |id: &str| items.iter().position(|f| f.id() == id);
        let mut deletions = Vec::new();
        let mut additions = Vec::new();
        for (id, row) in rows {
            match (pos_of(id), row) {
                (Some(pos), Some(after)) => T::changes(t).push(Change {
                    pos,
                    before: Some(items[pos].clone()),
                    after: Some(after.clone()),
                }),
                (Some(pos), None) => deletions.push(pos),
                (None, Some(after)) => additions.push(after.clone()),
                (None, None) => {}
            }
        }
        deletions.sort_unstable();
        for pos in deletions.iter().rev() {
            T::changes(t).push(Change {
                pos: *pos,
                before: Some(items[*pos].clone()),
                after: None,
            });
        }
        let start = items.len() - deletions.len();
        for (k, after) in additions.into_iter().enumerate() {
            T::changes(t).push(Change {
                pos: start + k,
                before: None,
                after: Some(after),
            });
        }
    }
    let mut t = Transaction::new(label);
    // Each row as the feature of its layer.
    let mut by_layer: BTreeMap<&'static str, Project> = BTreeMap::new();
    let mut ids: BTreeMap<&'static str, Vec<(String, bool)>> = BTreeMap::new();
    for (key, row) in take {
        let Some((lname, id)) = key.split_once('/') else {
            continue;
        };
        let Some(l) = layer_of(lname) else { continue };
        let name = layer_name(l);
        let present = match row {
            Some(r) => r.clone().place(by_layer.entry(name).or_default()).is_ok(),
            None => false,
        };
        ids.entry(name).or_default().push((id.to_string(), present));
    }
    fn pair<'a, T: Feature + Clone>(
        list: &'a [(String, bool)],
        placed: &'a [T],
    ) -> Vec<(&'a str, Option<T>)> {
        let mut it = placed.iter();
        list.iter()
            .map(|(id, present)| {
                (
                    id.as_str(),
                    if *present { it.next().cloned() } else { None },
                )
            })
            .collect()
    }
    let empty = Project::default();
    for (name, list) in &ids {
        let p = by_layer.get(name).unwrap_or(&empty);
        match layer_of(name) {
            Some(Layer::Grids) => layer(&mut t, &project.grids, &pair(list, &p.grids)),
            Some(Layer::Rivers) => layer(&mut t, &project.rivers, &pair(list, &p.rivers)),
            Some(Layer::Reservoirs) => {
                layer(&mut t, &project.reservoirs, &pair(list, &p.reservoirs))
            }
            Some(Layer::Villages) => layer(&mut t, &project.villages, &pair(list, &p.villages)),
            Some(Layer::Boundary) => layer(&mut t, &project.boundary, &pair(list, &p.boundary)),
            None => {}
        }
    }
    t
}

/// The audit findings at a township's seam: gaps, slivers, overlaps, parts outside the
/// parent and mismatched edges within [`SEAM_TOL_M`] of the outline of a level-1 grid.
pub fn seam_findings(project: &Project, config: &AuditConfig) -> Vec<Finding> {
    let outlines: Vec<&MultiPolygon<f64>> = project
        .grids
        .iter()
        .filter(|g| g.level == 1)
        .map(|g| &g.geometry)
        .collect();
    let report = crate::audit(project, config);
    report
        .findings
        .into_iter()
        .filter(|f| {
            matches!(
                f.kind,
                Kind::Gap | Kind::Sliver | Kind::Overlap | Kind::OutsideParent | Kind::InvalidEdge
            )
        })
        .filter(|f| {
            let Some(g) = &f.geometry else { return false };
            use geo::CoordsIter;
            g.coords_iter().any(|c| {
                outlines
                    .iter()
                    .any(|o| crate::geom::boundary_distance(c, o) <= SEAM_TOL_M)
            })
        })
        .map(|f| (*f).clone())
        .collect()
}

/// A finding that the township's outline was changed by a township account.
pub fn outline_finding(id: &str) -> Finding {
    Finding::new(
        Kind::OutsideParent,
        Severity::Error,
        vec![id.to_string()],
        format!("乡镇外界（一级网格 {id}）由县级统一维护，乡镇账号不能修改其边界、级别或删除它。"),
        format!(
            "the township outline (level-1 grid {id}) is kept by the county; a township account cannot change its geometry or level or delete it."
        ),
    )
}

/// Separator between a township's code and a row's id in the county project.
pub const ID_SEP: char = '/';

/// One consolidated county project from every township's rows: ids become
/// `township/id` (parents likewise), and the boundary layer is the outline of all the
/// townships' level-1 grids with the holes between them filled, so the audit reports a
/// gap between two townships as a gap.
pub fn county_project(name: &str, crs: Crs, townships: Vec<(String, Project)>) -> Project {
    let mut project = Project {
        name: name.to_string(),
        crs,
        ..Default::default()
    };
    let prefix = |code: &str, id: &mut String| *id = format!("{code}{ID_SEP}{id}");
    for (code, mut p) in townships {
        for g in &mut p.grids {
            prefix(&code, &mut g.id);
            if let Some(parent) = g.parent.as_mut().filter(|p| !p.is_empty()) {
                prefix(&code, parent);
            }
        }
        for r in &mut p.rivers {
            prefix(&code, &mut r.id);
        }
        for r in &mut p.reservoirs {
            prefix(&code, &mut r.id);
        }
        for v in &mut p.villages {
            prefix(&code, &mut v.id);
        }
        for n in &mut p.input_notes {
            prefix(&code, &mut n.feature_id);
        }
        project.grids.append(&mut p.grids);
        project.rivers.append(&mut p.rivers);
        project.reservoirs.append(&mut p.reservoirs);
        project.villages.append(&mut p.villages);
        project.input_notes.append(&mut p.input_notes);
    }
    let tops: Vec<&MultiPolygon<f64>> = project
        .grids
        .iter()
        .filter(|g| g.level == 1)
        .map(|g| &g.geometry)
        .collect();
    if !tops.is_empty() {
        let outline = crate::geom::union_outline(&tops);
        let filled = MultiPolygon(
            outline
                .0
                .into_iter()
                .map(|p| geo::Polygon::new(p.exterior().clone(), Vec::new()))
                .collect(),
        );
        project.boundary.push(Boundary {
            id: "county".into(),
            name: name.to_string(),
            geometry: filled,
            extra: Extra::new(),
        });
    }
    project
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, polygon};

    fn grid(id: &str, x: f64) -> Grid {
        let mut g = Grid::new(
            id,
            2,
            MultiPolygon(vec![
                polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)],
            ]),
        );
        g.name = format!("name {id}");
        g.parent = Some("T".into());
        g
    }

    #[test]
    fn hash_ignores_key_order_but_not_content() {
        let mut a = Row::of_grid(&grid("A", 0.0));
        let h = a.hash();
        let mut rev = Map::new();
        for (k, v) in a.attrs.iter().rev() {
            rev.insert(k.clone(), v.clone());
        }
        a.attrs = rev;
        assert_eq!(a.hash(), h);
        let mut b = grid("A", 0.0);
        b.households = Some(3);
        assert_ne!(Row::of_grid(&b).hash(), h);
        let c = grid("A", 1e-9);
        assert_ne!(Row::of_grid(&c).hash(), h);
    }

    #[test]
    fn rows_round_trip_every_layer() {
        let mut p = Project {
            grids: vec![grid("A", 0.0)],
            ..Default::default()
        };
        p.villages.push(Village {
            id: "V".into(),
            name: "村".into(),
            location: geo::Point::new(1.0, 2.0),
            households: Some(4),
            population: None,
            extra: Extra::new(),
        });
        p.rivers.push(River {
            id: "R".into(),
            name: "河".into(),
            geometry: geo::MultiLineString(vec![line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]]),
            extra: Extra::new(),
        });
        let mut back = Project::default();
        for r in rows_of(&p) {
            r.place(&mut back).unwrap();
        }
        assert_eq!(back.grids, p.grids);
        assert_eq!(back.villages, p.villages);
        assert_eq!(back.rivers, p.rivers);
    }

    #[test]
    fn conflicts_merge_field_by_field() {
        let mut mine = grid("A", 0.0);
        mine.name = "mine".into();
        let mut theirs = grid("A", 0.0);
        theirs.households = Some(7);
        theirs.geometry = grid("A", 0.5).geometry;
        let c = Conflict {
            key: "grids/A".into(),
            mine: Some(Row::of_grid(&mine)),
            theirs: Some(Row::of_grid(&theirs)),
            their_version: 2,
            by: "x".into(),
            at: String::new(),
        };
        let fields: Vec<String> = c.fields().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["name", "households", "geometry"]);
        let take: BTreeSet<String> = ["households".to_string(), GEOMETRY_FIELD.to_string()].into();
        let merged = c.merged(&take).unwrap();
        let mut p = Project::default();
        merged.place(&mut p).unwrap();
        assert_eq!(p.grids[0].name, "mine");
        assert_eq!(p.grids[0].households, Some(7));
        assert_eq!(p.grids[0].geometry, theirs.geometry);
    }

    #[test]
    fn take_rows_replaces_deletes_and_adds_in_one_step() {
        let p = Project {
            grids: vec![grid("A", 0.0), grid("B", 1.0), grid("C", 2.0)],
            ..Default::default()
        };
        let mut a2 = grid("A", 0.0);
        a2.name = "new".into();
        let take = vec![
            ("grids/A".to_string(), Some(Row::of_grid(&a2))),
            ("grids/B".to_string(), None),
            ("grids/D".to_string(), Some(Row::of_grid(&grid("D", 3.0)))),
        ];
        let t = take_rows(&p, &take, "sync");
        let mut q = p.clone();
        t.apply(&mut q).unwrap();
        let ids: Vec<&str> = q.grids.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["A", "C", "D"]);
        assert_eq!(q.grids[0].name, "new");
        t.revert(&mut q).unwrap();
        assert_eq!(q, p);
    }
}
