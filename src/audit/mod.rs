//! The audit engine: is this grid map ready to publish?
//!
//! Checks geometry validity, the coverage of each level (overlaps, near-miss edges), the
//! tiling of each parent by its children (gaps, slivers, children outside their parent), the
//! hierarchy, rivers and reservoirs (河、库进网格) and the grid records. Results are typed
//! [`Finding`]s. [`Auditor`] keeps what it found per grid, pair, piece of a parent's tiling
//! and river, with its indexes, so that after an edit only what the change set names and
//! its neighbours are checked again, and the findings are patched in place.

mod coverage;
mod finding;
mod records;
mod rivers;
mod store;
mod tiling;
mod validity;

pub use coverage::{CoverageResult, validate_coverage};
pub use finding::{Finding, Kind, Message, Severity};
pub use records::is_valid_phone;
pub use rivers::{GridArea, GridLength, ReservoirAreas, RiverLengths};
pub use validity::check_geometry;

pub use store::Ranked;

use crate::geom;
use crate::model::{ChangeSet, Grid, IdIndex, Level, Project};
use crate::records::codes::CodeScheme;
use geo::{Coord, MultiLineString, MultiPolygon, Rect};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use store::{Source, Store};
use tiling::{EdgeKey, ParentInfo, Tiling};

/// Thresholds of the audit.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditConfig {
    /// Gaps narrower than this are slivers, and edges closer than this to a neighbour's
    /// without matching it are near-miss edges (metres). Default 0.5.
    pub gap_width: f64,
    /// Gaps, overlaps and outside parts smaller than this are ignored (m²). Default 0.01.
    pub min_area_m2: f64,
    /// Expected households per level-3 grid. Default 200-300.
    pub households: (u32, u32),
    /// Expected population per level-3 grid. Default 500-1200 (about 1000).
    pub population: (u32, u32),
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            gap_width: 0.5,
            min_area_m2: 0.01,
            households: (200, 300),
            population: (500, 1200),
        }
    }
}

impl AuditConfig {
    /// Gaps, slivers, overlaps and outside parts no wider than this are rounding noise of
    /// the coordinate grid, not findings: the tolerance of the working CRS's
    /// [`Precision`](crate::model::Precision) (a vertex that was on an edge is at most this
    /// far from it after snapping to the 1 mm grid).
    pub fn noise_width(&self) -> f64 {
        crate::model::Precision::MILLIMETRE.tolerance()
    }

    /// The gap widths that make sense: a sliver is narrower than a road, and a wider
    /// search would pair every grid with every other.
    pub const GAP_WIDTH: std::ops::RangeInclusive<f64> = 0.0..=100.0;

    /// A gap width given by the user, checked against [`Self::GAP_WIDTH`].
    pub fn parse_gap_width(s: &str) -> Result<f64, String> {
        let (lo, hi) = (Self::GAP_WIDTH.start(), Self::GAP_WIDTH.end());
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| Self::GAP_WIDTH.contains(v))
            .ok_or_else(|| {
                crate::error::bilingual(
                    &format!(
                        "缝隙宽度 “{}” 无效：应为 {lo} 至 {hi} 米之间的数",
                        crate::error::quoted(s)
                    ),
                    &format!(
                        "invalid gap width \"{}\": a number of metres from {lo} to {hi}",
                        crate::error::quoted(s)
                    ),
                )
            })
    }

    /// The thresholds kept in a project's settings (`audit`, saved in the project file),
    /// defaults for the rest and for values that make no sense.
    pub fn from_settings(settings: &crate::model::Extra) -> Self {
        let a = crate::model::ProjectSettings::of(settings).audit;
        let d = AuditConfig::default();
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        let range = |r: [u32; 2], d: (u32, u32)| if r[0] <= r[1] { (r[0], r[1]) } else { d };
        AuditConfig {
            gap_width: Some(a.gap_width)
                .filter(|v| Self::GAP_WIDTH.contains(v))
                .unwrap_or(d.gap_width),
            min_area_m2: Some(a.min_area_m2)
                .filter(|v| ok(*v))
                .unwrap_or(d.min_area_m2),
            households: range(a.households, d.households),
            population: range(a.population, d.population),
        }
    }

    /// These thresholds as the project's `audit` setting.
    pub fn settings(&self) -> crate::model::AuditSettings {
        crate::model::AuditSettings {
            gap_width: self.gap_width,
            min_area_m2: self.min_area_m2,
            households: [self.households.0, self.households.1],
            population: [self.population.0, self.population.1],
        }
    }

    /// Store the thresholds in a project's settings.
    pub fn store(&self, settings: &mut crate::model::Extra) {
        let mut s = crate::model::ProjectSettings::of(settings);
        s.audit = self.settings();
        s.store(settings);
    }
}

/// The result of an audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub grids: usize,
    /// Sorted deterministically (kind, ids, size).
    pub findings: Vec<Arc<Finding>>,
    /// River lengths by grid (河、库进网格).
    pub rivers: Vec<RiverLengths>,
    /// Reservoir areas by grid.
    pub reservoirs: Vec<ReservoirAreas>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .map(|f| f.as_ref())
            .filter(move |f| f.kind == kind)
    }
    /// Counts per kind, in kind order: "缝隙 2 · 重叠 1 · ...".
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        let mut m: BTreeMap<Kind, usize> = BTreeMap::new();
        for f in &self.findings {
            *m.entry(f.kind).or_default() += 1;
        }
        m.into_iter().collect()
    }
}

/// Audit a whole project.
pub fn audit(project: &Project, config: &AuditConfig) -> Report {
    Auditor::new(project, config.clone()).report(project)
}

/// The parent a group of children must tile: a grid, or the boundary layer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum GroupKey {
    Boundary(Level),
    Grid(String),
}

use geom::{IdItem, IdTree, id_item as tree_item, ids_in as hits};

/// More grids than this, of different envelopes, whose envelopes hold one grid's inner
/// point: the grid is in a stack (a valid coverage has one there, the grid itself),
/// reported as such. Copies of one grid are paired with the first copy (duplicates) up to
/// [`PAIRS_AT_MOST`].
const STACK: usize = 64;
/// More neighbours by envelope than this: not paired one by one either.
const PAIRS_AT_MOST: usize = 1024;

/// Grids by id, through the document's index.
#[derive(Clone, Copy)]
struct Look<'a> {
    project: &'a Project,
    ids: &'a IdIndex,
}

impl<'a> Look<'a> {
    fn grid(&self, id: &str) -> Option<&'a Grid> {
        self.ids.get(self.project, id)
    }
}

/// What the auditor knows of one grid (the first with its id).
struct GridState {
    level: Level,
    parent: Option<String>,
    code: String,
    /// Valid enough for the coverage, tiling and river checks.
    usable: bool,
    env: Option<Rect<f64>>,
    /// The tiling its edges go into: its parent's, when its level fits the parent's.
    member: Option<GroupKey>,
    /// Its edges for that tiling.
    edges: Vec<(EdgeKey, i32)>,
    /// Usable and without children: rivers are cut at its boundary.
    leaf: bool,
}

/// Incremental auditor: what it found per grid, pair, piece of a parent's tiling and
/// river, and the indexes that find what an edit touches.
pub struct Auditor {
    config: AuditConfig,
    scheme: CodeScheme,
    grids: FxHashMap<String, GridState>,
    /// Ids of the grids that name each id as their parent.
    children: FxHashMap<String, BTreeSet<String>>,
    /// Number of grids per level.
    levels: BTreeMap<Level, usize>,
    /// Usable grids per level, and those of them with invalid edges.
    trees: BTreeMap<Level, IdTree>,
    bad: BTreeMap<Level, IdTree>,
    leaves: IdTree,
    /// Invalid edges per grid (CoverageValidator semantics), before explanation by areas.
    raw_edges: FxHashMap<String, MultiLineString<f64>>,
    /// Pairs of grids with overlap findings, by grid.
    pairs_of: FxHashMap<String, BTreeSet<(String, String)>>,
    tilings: FxHashMap<GroupKey, Tiling>,
    /// The boundary layer as one area, and the level whose tiling it is the parent of.
    boundary: Option<(Level, MultiPolygon<f64>)>,
    boundary_edges: Vec<(EdgeKey, i32)>,
    /// Ids per grid code.
    codes: FxHashMap<String, BTreeSet<String>>,
    rivers: FxHashMap<String, rivers::RiverResult>,
    reservoirs: FxHashMap<String, rivers::ReservoirResult>,
    /// Number of rivers and reservoirs in each grid.
    wet: FxHashMap<String, usize>,
    /// The township's extent is known (a boundary layer, or top-level grids with
    /// children): water beyond it is no finding.
    township_known: bool,
    /// Sources of area findings (overlaps, gaps, outside parts) that name each grid.
    area_refs: FxHashMap<String, BTreeSet<Source>>,
    store: Store,
}

/// What one update must look at again, gathered while the indexes change.
#[derive(Default)]
struct Work {
    /// Envelopes per level around which the coverage is checked again.
    coverage: BTreeMap<Level, Vec<Rect<f64>>>,
    /// Areas per tiling to measure again; None: the whole tiling.
    tilings: FxHashMap<GroupKey, Option<Vec<Rect<f64>>>>,
    rivers: Vec<Rect<f64>>,
    hierarchy: FxHashSet<String>,
    records: FxHashSet<String>,
    chiefs: FxHashSet<String>,
    edges: FxHashSet<String>,
    codes: FxHashSet<String>,
    leaves: FxHashSet<String>,
}

impl Work {
    fn tiling(&mut self, key: &GroupKey, r: Option<Rect<f64>>) {
        let e = self
            .tilings
            .entry(key.clone())
            .or_insert_with(|| Some(Vec::new()));
        if let (Some(v), Some(r)) = (e.as_mut(), r) {
            v.push(r);
        }
    }
    fn tiling_all(&mut self, key: &GroupKey) {
        self.tilings.insert(key.clone(), None);
    }
}

impl Auditor {
    pub fn new(project: &Project, config: AuditConfig) -> Self {
        let mut a = Auditor {
            scheme: CodeScheme::from_settings(&project.settings),
            config,
            grids: FxHashMap::default(),
            children: FxHashMap::default(),
            levels: BTreeMap::new(),
            trees: BTreeMap::new(),
            bad: BTreeMap::new(),
            leaves: IdTree::new(),
            raw_edges: FxHashMap::default(),
            pairs_of: FxHashMap::default(),
            tilings: FxHashMap::default(),
            boundary: None,
            boundary_edges: Vec::new(),
            codes: FxHashMap::default(),
            rivers: FxHashMap::default(),
            reservoirs: FxHashMap::default(),
            wet: FxHashMap::default(),
            area_refs: FxHashMap::default(),
            store: Store::default(),
            township_known: false,
        };
        let ids = IdIndex::new(project);
        a.apply(project, &ids, &ChangeSet::everything(project), true);
        a.store.set(Source::InputNotes, input_notes(project));
        a
    }

    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// Check again what `set` names, after it was applied to `project` (`ids`: the
    /// project's id index, up to date).
    pub fn update(&mut self, project: &Project, ids: &IdIndex, set: &ChangeSet) {
        let config = AuditConfig::from_settings(&project.settings);
        let scheme = CodeScheme::from_settings(&project.settings);
        if config != self.config || scheme != self.scheme {
            // New thresholds or code layout: every finding may change.
            *self = Auditor::new(project, config);
            return;
        }
        self.apply(project, ids, set, false);
    }

    fn group_of(&self, st: &GridState) -> Option<GroupKey> {
        match st.parent.as_deref() {
            Some(p) if self.grids.contains_key(p) => {
                let pl = self.grids[p].level;
                (st.level == pl.wrapping_add(1)).then(|| GroupKey::Grid(p.to_string()))
            }
            _ => Some(GroupKey::Boundary(st.level)),
        }
    }

    fn top(&self) -> Option<Level> {
        self.levels.keys().next().copied()
    }

    /// Take the old state of grid `id` out of every index.
    fn forget(&mut self, id: &str, old: GridState, work: &mut Work) {
        if let Some(e) = old.env {
            if old.usable {
                work.coverage.entry(old.level).or_default().push(e);
                if let Some(t) = self.trees.get_mut(&old.level) {
                    t.remove(&tree_item(e, id));
                }
            }
            work.rivers.push(e);
        }
        if old.leaf
            && let Some(e) = old.env
        {
            self.leaves.remove(&tree_item(e, id));
        }
        if self.raw_edges.remove(id).is_some() {
            // Its near-miss edges are explained again from what the coverage finds now:
            // none found leaves no finding behind (issue 22: a stale 544 m near-miss edge
            // stayed on a grid whose edges had come to match).
            work.edges.insert(id.to_string());
            if let (Some(e), Some(t)) = (old.env, self.bad.get_mut(&old.level)) {
                t.remove(&tree_item(e, id));
            }
        }
        for pair in self.pairs_of.remove(id).unwrap_or_default() {
            let other = if pair.0 == id { &pair.1 } else { &pair.0 };
            if let Some(s) = self.pairs_of.get_mut(other) {
                s.remove(&pair);
            }
            work.edges.insert(other.clone());
            self.set_area(
                Source::Pair(pair.0.clone(), pair.1.clone()),
                Vec::new(),
                work,
            );
        }
        if let Some(g) = &old.member {
            self.leave_tiling(g, &old.edges, old.env, work);
        }
        // As a parent: its edges leave its children's tiling.
        let own = GroupKey::Grid(id.to_string());
        if let Some(t) = self.tilings.get_mut(&own)
            && t.parent_in
        {
            t.add(&old.edges, 1);
            t.parent_in = false;
        }
        work.tiling_all(&own);
        if let Some(p) = &old.parent {
            if let Some(s) = self.children.get_mut(p) {
                s.remove(id);
                if s.is_empty() {
                    self.children.remove(p);
                }
            }
            work.leaves.insert(p.clone());
        }
        if let Some(n) = self.levels.get_mut(&old.level) {
            *n -= 1;
            if *n == 0 {
                self.levels.remove(&old.level);
            }
        }
        let code = old.code.trim();
        if !code.is_empty() {
            if let Some(s) = self.codes.get_mut(code) {
                s.remove(id);
                if s.is_empty() {
                    self.codes.remove(code);
                }
            }
            work.codes.insert(code.to_string());
        }
    }

    /// Take a child's edges out of a tiling.
    fn leave_tiling(
        &mut self,
        key: &GroupKey,
        edges: &[(EdgeKey, i32)],
        env: Option<Rect<f64>>,
        work: &mut Work,
    ) {
        if let Some(t) = self.tilings.get_mut(key) {
            t.add(edges, -1);
            t.members = t.members.saturating_sub(1);
            if t.members == 0 {
                work.tiling_all(key);
            }
        }
        work.tiling(key, env);
    }

    /// Replace the findings of an area source and remember which grids they name, so their
    /// near-miss edges are explained by them.
    fn set_area(&mut self, source: Source, findings: Vec<Finding>, work: &mut Work) {
        for r in self.store.get(&source) {
            for id in &r.finding.ids {
                work.edges.insert(id.clone());
                if let Some(s) = self.area_refs.get_mut(id) {
                    s.remove(&source);
                    if s.is_empty() {
                        self.area_refs.remove(id);
                    }
                }
            }
        }
        for f in &findings {
            for id in &f.ids {
                work.edges.insert(id.clone());
                self.area_refs
                    .entry(id.clone())
                    .or_default()
                    .insert(source.clone());
            }
        }
        self.store.set(source, findings);
    }

    fn apply(&mut self, project: &Project, ids: &IdIndex, set: &ChangeSet, full: bool) {
        let mut clock = std::time::Instant::now();
        let look = Look { project, ids };
        let mut work = Work::default();
        let old_levels: BTreeSet<Level> = self.levels.keys().copied().collect();
        let old_top = self.top();
        let changed: Vec<&str> = set.grids.keys().map(String::as_str).collect();
        // 1. Old states out of every index.
        for id in &changed {
            if let Some(old) = self.grids.remove(*id) {
                self.forget(id, old, &mut work);
            }
        }
        crate::timing::phase("forget", &mut clock);
        // 2. New states: validity and tiling edges, in parallel.
        type Fresh<'g> = (
            &'g Grid,
            Vec<Finding>,
            bool,
            Option<Rect<f64>>,
            Vec<(EdgeKey, i32)>,
        );
        let fresh: Vec<Fresh> = {
            use rayon::prelude::*;
            changed
                .par_iter()
                .filter_map(|id| look.grid(id))
                .map(|g| {
                    let (fs, usable) = check_geometry(&g.id, g.label(), &g.geometry);
                    let env = geom::envelope(&g.geometry)
                        .filter(|e| e.min().x.is_finite() && e.max().y.is_finite());
                    (g, fs, usable, env, tiling::child_edges(g, usable))
                })
                .collect()
        };
        crate::timing::phase("validity", &mut clock);
        for id in &changed {
            if look.grid(id).is_none() {
                for s in [
                    Source::Validity(id.to_string()),
                    Source::Hierarchy(id.to_string()),
                    Source::Record(id.to_string()),
                    Source::RiverChief(id.to_string()),
                    Source::Edges(id.to_string()),
                ] {
                    self.store.clear(&s);
                }
            }
        }
        let mut bulk: BTreeMap<Level, Vec<IdItem>> = BTreeMap::new();
        for (g, fs, usable, env, edges) in fresh {
            let id = g.id.clone();
            if !(full && fs.is_empty()) {
                self.store.set(Source::Validity(id.clone()), fs);
            }
            if let Some(e) = env {
                if usable {
                    if full {
                        bulk.entry(g.level).or_default().push(tree_item(e, &id));
                    } else {
                        work.coverage.entry(g.level).or_default().push(e);
                        self.trees
                            .entry(g.level)
                            .or_default()
                            .insert(tree_item(e, &id));
                    }
                }
                if !full {
                    work.rivers.push(e);
                }
            }
            let parent = g.parent.clone().filter(|p| !p.is_empty());
            if let Some(p) = &parent {
                self.children
                    .entry(p.clone())
                    .or_default()
                    .insert(id.clone());
                work.leaves.insert(p.clone());
            }
            *self.levels.entry(g.level).or_default() += 1;
            let code = g.code.trim().to_string();
            if !code.is_empty() {
                self.codes
                    .entry(code.clone())
                    .or_default()
                    .insert(id.clone());
                work.codes.insert(code);
            }
            work.hierarchy.insert(id.clone());
            work.records.insert(id.clone());
            work.chiefs.insert(id.clone());
            work.leaves.insert(id.clone());
            if !full {
                work.tiling_all(&GroupKey::Grid(id.clone()));
            }
            self.grids.insert(
                id,
                GridState {
                    level: g.level,
                    parent,
                    code: g.code.clone(),
                    usable,
                    env,
                    member: None,
                    edges,
                    leaf: false,
                },
            );
        }
        for (level, items) in bulk {
            self.trees.insert(level, IdTree::bulk_load(items));
        }
        crate::timing::phase("states", &mut clock);
        // 3. Tilings: the changed grids and their children go where their parents say.
        let mut contributions: FxHashMap<GroupKey, Vec<(EdgeKey, i32)>> = FxHashMap::default();
        let mut member_counts: FxHashMap<GroupKey, usize> = FxHashMap::default();
        if full {
            // Every grid joins its parent's tiling at once.
            let assigned: Vec<(String, Option<GroupKey>)> = {
                use rayon::prelude::*;
                let me = &*self;
                me.grids
                    .par_iter()
                    .map(|(id, st)| (id.clone(), me.group_of(st)))
                    .collect()
            };
            for (id, g) in assigned {
                if let Some(g) = &g {
                    contributions
                        .entry(g.clone())
                        .or_default()
                        .extend(self.grids[&id].edges.iter().copied());
                    *member_counts.entry(g.clone()).or_default() += 1;
                }
                if let Some(st) = self.grids.get_mut(&id) {
                    st.member = g;
                }
            }
        } else {
            let mut members: BTreeSet<String> = BTreeSet::new();
            for id in &changed {
                if self.grids.contains_key(*id) {
                    members.insert(id.to_string());
                }
                if let Some(kids) = self.children.get(*id) {
                    members.extend(kids.iter().cloned());
                    work.hierarchy.extend(kids.iter().cloned());
                }
            }
            let changed_set: FxHashSet<&str> = changed.iter().copied().collect();
            for id in &members {
                let new = self.group_of(&self.grids[id]);
                let st = &self.grids[id];
                let fresh = changed_set.contains(id.as_str());
                if !fresh && new == st.member {
                    continue;
                }
                if !fresh && let Some(old) = st.member.clone() {
                    let (edges, env) = (st.edges.clone(), st.env);
                    self.leave_tiling(&old, &edges, env, &mut work);
                }
                let st = &self.grids[id];
                if let Some(g) = &new {
                    let t = self.tilings.entry(g.clone()).or_default();
                    t.add(&st.edges, 1);
                    t.members += 1;
                    if t.members == 1 {
                        work.tiling_all(g);
                    }
                    work.tiling(g, st.env);
                }
                if let Some(st) = self.grids.get_mut(id) {
                    st.member = new;
                }
            }
        }
        // As parents: their edges, reversed, go into their children's tiling while they
        // have children.
        if full {
            for (key, n) in &member_counts {
                if let GroupKey::Grid(pid) = key
                    && *n > 0
                    && let Some(st) = self.grids.get(pid).filter(|s| s.usable)
                {
                    contributions
                        .entry(key.clone())
                        .or_default()
                        .extend(st.edges.iter().map(|&(k, s)| (k, -s)));
                }
            }
        } else {
            let parents: BTreeSet<String> = changed
                .iter()
                .map(|s| s.to_string())
                .chain(work.tilings.keys().filter_map(|k| match k {
                    GroupKey::Grid(p) => Some(p.clone()),
                    GroupKey::Boundary(_) => None,
                }))
                .collect();
            for pid in parents {
                let key = GroupKey::Grid(pid.clone());
                let want = self.grids.get(&pid).filter(|s| s.usable);
                let Some(t) = self.tilings.get_mut(&key) else {
                    continue;
                };
                match want.filter(|_| t.members > 0) {
                    Some(st) if !t.parent_in => {
                        t.add(&st.edges, -1);
                        t.parent_in = true;
                        work.tiling_all(&key);
                    }
                    None if t.parent_in => {
                        // Only a parent whose state is unchanged gets here.
                        if let Some(st) = self.grids.get(&pid) {
                            t.add(&st.edges, 1);
                        }
                        t.parent_in = false;
                        work.tiling_all(&key);
                    }
                    _ => {}
                }
            }
        }
        // The boundary layer is the parent of the top level.
        let top = self.top();
        if full || top != old_top || !set.boundary.is_empty() {
            if let Some((l, _)) = self.boundary.take() {
                let key = GroupKey::Boundary(l);
                if let Some(t) = self.tilings.get_mut(&key) {
                    t.add(&self.boundary_edges, -1);
                }
                work.tiling_all(&key);
            }
            self.boundary_edges.clear();
            if let Some(l) = top
                && !project.boundary.is_empty()
            {
                let area = MultiPolygon(
                    project
                        .boundary
                        .iter()
                        .flat_map(|b| b.geometry.0.clone())
                        .collect(),
                );
                self.boundary_edges = tiling::signed_edges(&area, true);
                let key = GroupKey::Boundary(l);
                if full {
                    contributions
                        .entry(key.clone())
                        .or_default()
                        .extend(self.boundary_edges.iter().copied());
                } else {
                    self.tilings
                        .entry(key.clone())
                        .or_default()
                        .add(&self.boundary_edges, 1);
                }
                work.tiling_all(&key);
                self.boundary = Some((l, area));
            }
        }
        if full {
            for (key, edges) in contributions {
                let mut t = Tiling::from_edges(edges);
                t.members = member_counts.get(&key).copied().unwrap_or(0);
                t.parent_in = t.members > 0
                    && matches!(&key, GroupKey::Grid(p) if self.grids.get(p).is_some_and(|s| s.usable));
                self.tilings.insert(key, t);
            }
        }
        // A level that came or went changes which grids lack a parent.
        let new_levels: BTreeSet<Level> = self.levels.keys().copied().collect();
        if !full && new_levels != old_levels {
            let flipped: BTreeSet<Level> = old_levels
                .symmetric_difference(&new_levels)
                .map(|l| l.wrapping_add(1))
                .collect();
            for (id, st) in &self.grids {
                if flipped.contains(&st.level) {
                    work.hierarchy.insert(id.clone());
                }
            }
        }
        crate::timing::phase("tiling edges", &mut clock);
        self.coverage(look, &mut work, full);
        crate::timing::phase("coverage", &mut clock);
        self.refresh_tilings(look, &mut work, full);
        crate::timing::phase("gaps and tiling", &mut clock);
        self.explain_edges(look, &work);
        crate::timing::phase("near-miss edges", &mut clock);
        self.records(project, look, set, &mut work, full);
        crate::timing::phase("records", &mut clock);
        self.water(project, look, set, &mut work, full);
        crate::timing::phase("rivers", &mut clock);
    }

    /// Invalid edges and overlaps of the usable grids near what changed, level by level.
    fn coverage(&mut self, look: Look, work: &mut Work, full: bool) {
        let gw = self.config.gap_width;
        let levels: Vec<Level> = if full {
            self.trees.keys().copied().collect()
        } else {
            work.coverage.keys().copied().collect()
        };
        for level in levels {
            let Some(tree) = self.trees.get(&level) else {
                continue;
            };
            let affected: BTreeSet<String> = if full {
                tree.iter().map(|h| h.data.clone()).collect()
            } else {
                let mut s = BTreeSet::new();
                for e in work.coverage.get(&level).into_iter().flatten() {
                    s.extend(
                        hits(tree, geom::expand(*e, gw * 2.0))
                            .into_iter()
                            .map(str::to_string),
                    );
                }
                s
            };
            if affected.is_empty() {
                continue;
            }
            // Each affected grid is checked with all of its neighbours.
            let mut sub: BTreeSet<&str> = affected.iter().map(String::as_str).collect();
            if !full {
                for id in &affected {
                    if let Some(e) = self.grids.get(id).and_then(|s| s.env) {
                        sub.extend(hits(tree, geom::expand(e, gw)));
                    }
                }
            }
            let sub: Vec<&str> = sub.into_iter().collect();
            let polys: Vec<Option<&MultiPolygon<f64>>> = sub
                .iter()
                .map(|id| look.grid(id).map(|g| &g.geometry))
                .collect();
            let res = validate_coverage(&polys, gw);
            let mut updates: Vec<(String, Option<MultiLineString<f64>>)> = Vec::new();
            for (k, id) in sub.iter().enumerate() {
                if affected.contains(*id) {
                    updates.push((id.to_string(), res.invalid_edges[k].clone()));
                }
            }
            let bad = self.bad.entry(level).or_default();
            for (id, lines) in updates {
                let env = self.grids.get(&id).and_then(|s| s.env);
                let before = self.raw_edges.get(&id);
                if before == lines.as_ref() {
                    continue;
                }
                work.edges.insert(id.clone());
                if let Some(e) = env {
                    if before.is_some() {
                        bad.remove(&tree_item(e, &id));
                    }
                    if lines.is_some() {
                        bad.insert(tree_item(e, &id));
                    }
                }
                match lines {
                    Some(l) => {
                        self.raw_edges.insert(id, l);
                    }
                    None => {
                        self.raw_edges.remove(&id);
                    }
                }
            }
            // Overlaps and duplicates for pairs that involve an affected grid. A pair can
            // only overlap if one of the two has invalid edges (a clean coverage has none):
            // good grids are paired only with the few bad ones.
            let mut old_pairs: BTreeSet<(String, String)> = BTreeSet::new();
            for id in &affected {
                old_pairs.extend(self.pairs_of.get(id).into_iter().flatten().cloned());
            }
            let tree = &self.trees[&level];
            let bad = &self.bad[&level];
            let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
            let mut twins = Twins::default();
            for id in &affected {
                let Some(e) = self.grids.get(id).and_then(|s| s.env) else {
                    continue;
                };
                let t = if self.raw_edges.contains_key(id) {
                    tree
                } else {
                    bad
                };
                // A stack (a grid's inner point inside the envelopes of more than STACK
                // grids), or more neighbours by envelope than can be paired: one finding
                // for the grid, no pairs from it (a pasted grid 10,000 times is 10,000
                // findings, not 50 million pairs).
                let found = geom::ids_in_capped(t, e, PAIRS_AT_MOST).filter(|found| {
                    found.len() <= STACK
                        || !look
                            .grid(id)
                            .and_then(|g| geom::label_point(&g.geometry))
                            .is_some_and(|c| geom::more_hold_than(tree, c, STACK))
                });
                let Some(found) = found else {
                    pairs.insert((id.clone(), id.clone()));
                    continue;
                };
                for &other in &found {
                    if other != id && twins.shadowed(&look, id, other, &found) {
                        continue;
                    }
                    if other != id {
                        let (a, b) = if id.as_str() < other {
                            (id.clone(), other.to_string())
                        } else {
                            (other.to_string(), id.clone())
                        };
                        pairs.insert((a, b));
                    }
                }
            }
            let results: Vec<((String, String), Vec<Finding>)> = {
                use rayon::prelude::*;
                let cfg = &self.config;
                pairs
                    .into_par_iter()
                    .map(|(a, b)| {
                        let fs = match (look.grid(&a), look.grid(&b)) {
                            (Some(ga), Some(_)) if a == b => tiling::stacked(ga, STACK),
                            (Some(ga), Some(gb)) => tiling::overlap(ga, gb, cfg),
                            _ => Vec::new(),
                        };
                        ((a, b), fs)
                    })
                    .collect()
            };
            let mut new_pairs: BTreeSet<(String, String)> = BTreeSet::new();
            for (pair, fs) in results {
                if !fs.is_empty() {
                    new_pairs.insert(pair.clone());
                    self.set_area(Source::Pair(pair.0.clone(), pair.1.clone()), fs, work);
                }
            }
            for pair in old_pairs.difference(&new_pairs) {
                self.set_area(
                    Source::Pair(pair.0.clone(), pair.1.clone()),
                    Vec::new(),
                    work,
                );
            }
            for pair in old_pairs.symmetric_difference(&new_pairs) {
                let has = new_pairs.contains(pair);
                for id in [&pair.0, &pair.1] {
                    let s = self.pairs_of.entry(id.clone()).or_default();
                    if has {
                        s.insert(pair.clone());
                    } else {
                        s.remove(pair);
                    }
                    if s.is_empty() {
                        self.pairs_of.remove(id);
                    }
                }
            }
        }
    }

    /// The parent of a tiling: its id, label and area (None: no findings).
    fn parent_info<'a>(&'a self, key: &GroupKey, look: Look<'a>) -> Option<ParentInfo<'a>> {
        match key {
            GroupKey::Grid(pid) => {
                let p = look.grid(pid)?;
                self.grids.get(pid).filter(|s| s.usable)?;
                Some(ParentInfo {
                    id: p.id.clone(),
                    label: p.label().to_string(),
                    geometry: Some(&p.geometry),
                })
            }
            GroupKey::Boundary(level) => {
                let first = look.project.boundary.first();
                Some(ParentInfo {
                    id: first
                        .map(|b| b.id.clone())
                        .unwrap_or_else(|| "boundary".into()),
                    label: first
                        .map(|b| b.name.clone())
                        .unwrap_or_else(|| "行政边界".into()),
                    geometry: self
                        .boundary
                        .as_ref()
                        .filter(|(l, _)| l == level)
                        .map(|(_, a)| a),
                })
            }
        }
    }

    /// Usable children of the tiling `key` whose envelope meets `r`, sorted by id.
    fn children_near<'a>(&'a self, key: &GroupKey, look: Look<'a>, r: Rect<f64>) -> Vec<&'a Grid> {
        let level = match key {
            GroupKey::Grid(pid) => match self.grids.get(pid) {
                Some(p) => p.level.wrapping_add(1),
                None => return Vec::new(),
            },
            GroupKey::Boundary(l) => *l,
        };
        let Some(tree) = self.trees.get(&level) else {
            return Vec::new();
        };
        hits(tree, r)
            .into_iter()
            .filter(|id| self.grids.get(*id).and_then(|s| s.member.as_ref()) == Some(key))
            .filter_map(|id| look.grid(id))
            .collect()
    }

    /// Measure again the pieces of each tiling near what changed.
    fn refresh_tilings(&mut self, look: Look, work: &mut Work, full: bool) {
        type Job = (
            GroupKey,
            tiling::Piece,
            Vec<(geo::Coord<f64>, geo::Coord<f64>)>,
        );
        let mut jobs: Vec<Job> = Vec::new();
        let mut gone_all: Vec<u64> = Vec::new();
        let keys: Vec<(GroupKey, Option<Vec<Rect<f64>>>)> = if full {
            self.tilings.keys().map(|k| (k.clone(), None)).collect()
        } else {
            work.tilings.drain().collect()
        };
        for (key, dirty) in keys {
            let Some(t) = self.tilings.get_mut(&key) else {
                continue;
            };
            let (gone, came) = t.refresh(&key, dirty.as_deref());
            gone_all.extend(gone);
            for p in came {
                let edges = t.edges_of(&p.keys);
                jobs.push((key.clone(), p, edges));
            }
        }
        for id in gone_all {
            self.set_area(Source::Tiling(id), Vec::new(), work);
        }
        let results: Vec<(u64, Vec<Finding>)> = {
            use rayon::prelude::*;
            let me = &*self;
            jobs.par_iter()
                .map(|(key, piece, edges)| {
                    let has_children = me.tilings.get(key).is_some_and(|t| t.members > 0);
                    let fs = match me.parent_info(key, look).filter(|_| has_children) {
                        Some(parent) => tiling::piece_findings(
                            &parent,
                            edges,
                            &|r| me.children_near(key, look, r),
                            &me.config,
                        ),
                        None => Vec::new(),
                    };
                    (piece.id, fs)
                })
                .collect()
        };
        for (id, fs) in results {
            self.set_area(Source::Tiling(id), fs, work);
        }
        self.tilings.retain(|_, t| !t.is_empty());
    }

    /// Near-miss edges of the grids whose invalid edges or area findings changed.
    fn explain_edges(&mut self, look: Look, work: &Work) {
        for id in &work.edges {
            let source = Source::Edges(id.clone());
            let (Some(lines), Some(g)) = (self.raw_edges.get(id), look.grid(id)) else {
                self.store.clear(&source);
                continue;
            };
            let related: Vec<Arc<Finding>> = self
                .area_refs
                .get(id)
                .into_iter()
                .flatten()
                .flat_map(|s| self.store.get(s).iter().map(|r| r.finding.clone()))
                .filter(|f| f.ids.iter().any(|x| x == id))
                .collect();
            let areas: Vec<&MultiPolygon<f64>> = related
                .iter()
                .filter_map(|f| match &f.geometry {
                    Some(geo::Geometry::MultiPolygon(mp)) => Some(mp),
                    _ => None,
                })
                .collect();
            let f = tiling::unexplained_edges(g, lines, &areas);
            self.store.set(source, f.into_iter().collect());
        }
    }

    /// Hierarchy, duplicate ids and codes, and the grid records.
    fn records(
        &mut self,
        project: &Project,
        look: Look,
        set: &ChangeSet,
        work: &mut Work,
        full: bool,
    ) {
        // Checked in parallel (messages and marks cost), stored in order.
        type Checked = (Source, Option<Vec<Finding>>);
        let hierarchy: Vec<Checked> = {
            use rayon::prelude::*;
            let me = &*self;
            let ids: Vec<&String> = work.hierarchy.iter().collect();
            ids.par_iter()
                .map(|id| {
                    let fs = look.grid(id).map(|g| {
                        let parent = g
                            .parent
                            .as_deref()
                            .filter(|p| !p.trim().is_empty())
                            .and_then(|p| look.grid(p));
                        let above = g.level > 1 && me.levels.contains_key(&(g.level - 1));
                        at_grid(g, records::hierarchy(g, parent, above, &me.scheme))
                    });
                    (Source::Hierarchy((*id).clone()), fs)
                })
                .collect()
        };
        self.store_checked(hierarchy, full);
        // Ids used twice come and go only where grids were inserted, removed or renamed.
        if full {
            let mut n: FxHashMap<&str, usize> = FxHashMap::default();
            for g in &project.grids {
                *n.entry(g.id.as_str()).or_default() += 1;
            }
            for (id, n) in n.into_iter().filter(|(_, n)| *n > 1) {
                self.store.set(
                    Source::DuplicateId(id.to_string()),
                    vec![records::duplicate_id(id, n)],
                );
            }
        } else {
            for id in set.grid_counts.keys() {
                let n = look.ids.count(id);
                let source = Source::DuplicateId(id.clone());
                if n > 1 {
                    self.store.set(source, vec![records::duplicate_id(id, n)]);
                } else {
                    self.store.clear(&source);
                }
            }
        }
        for code in std::mem::take(&mut work.codes) {
            let source = Source::DuplicateCode(code.clone());
            match self.codes.get(&code).filter(|s| s.len() > 1) {
                Some(ids) => {
                    let f = records::duplicate_code(&code, ids.iter().cloned().collect());
                    self.store.set(source, vec![f]);
                }
                None => self.store.clear(&source),
            }
        }
        let recs: Vec<Checked> = {
            use rayon::prelude::*;
            let cfg = &self.config;
            let ids: Vec<&String> = work.records.iter().collect();
            ids.par_iter()
                .map(|id| {
                    let fs = look.grid(id).map(|g| at_grid(g, records::record(g, cfg)));
                    (Source::Record((*id).clone()), fs)
                })
                .collect()
        };
        self.store_checked(recs, full);
    }

    /// Store per-grid findings (None: the grid is gone); a full build skips empty ones.
    fn store_checked(&mut self, checked: Vec<(Source, Option<Vec<Finding>>)>, full: bool) {
        for (source, fs) in checked {
            match fs {
                Some(fs) if full && fs.is_empty() => {}
                Some(fs) => self.store.set(source, fs),
                None => self.store.clear(&source),
            }
        }
    }

    /// Rivers and reservoirs near what changed, and the grids that hold water.
    fn water(
        &mut self,
        project: &Project,
        look: Look,
        set: &ChangeSet,
        work: &mut Work,
        full: bool,
    ) {
        // Leaves: usable grids that no grid names as parent.
        let mut bulk = Vec::new();
        for id in std::mem::take(&mut work.leaves) {
            let Some(st) = self.grids.get(&id) else {
                continue;
            };
            let leaf = st.usable && st.env.is_some() && !self.children.contains_key(&id);
            if leaf == st.leaf {
                continue;
            }
            let env = st.env;
            if let Some(e) = env {
                work.rivers.push(e);
                if leaf && full {
                    bulk.push(tree_item(e, &id));
                } else if leaf {
                    self.leaves.insert(tree_item(e, &id));
                } else {
                    self.leaves.remove(&tree_item(e, &id));
                }
            }
            if let Some(st) = self.grids.get_mut(&id) {
                st.leaf = leaf;
            }
        }
        if full {
            self.leaves = IdTree::bulk_load(bulk);
        }
        // Where the township is known to end, every river is measured again when that
        // knowledge or the boundary changes (a level-1 grid's change is near its rivers).
        let top = self.top();
        let known = self.boundary.is_some()
            || self.children.keys().any(|p| {
                self.grids
                    .get(p)
                    .is_some_and(|st| Some(st.level) == top && st.usable && !st.leaf)
            });
        if known != self.township_known || !set.boundary.is_empty() {
            self.township_known = known;
            work.rivers.push(Rect::new(
                Coord {
                    x: f64::MIN,
                    y: f64::MIN,
                },
                Coord {
                    x: f64::MAX,
                    y: f64::MAX,
                },
            ));
        }
        let me = &*self;
        let leaves = |r: Rect<f64>| -> Vec<&Grid> {
            hits(&me.leaves, r)
                .into_iter()
                .filter_map(|id| look.grid(id))
                .collect()
        };
        // Inside the township: within the boundary layer, else within a top-level grid
        // that has children; anywhere when neither is known.
        let inside = |c: Coord<f64>| -> bool {
            use geo::Intersects;
            if !known {
                return true;
            }
            if let Some((_, area)) = &me.boundary {
                return area.intersects(&c);
            }
            let Some(t) = top else { return true };
            me.trees.get(&t).is_some_and(|tree| {
                hits(tree, Rect::new(c, c))
                    .into_iter()
                    .filter(|id| me.grids.get(*id).is_some_and(|st| !st.leaf))
                    .filter_map(|id| look.grid(id))
                    .any(|g| g.geometry.intersects(&c))
            })
        };
        let near = |env: Option<Rect<f64>>| {
            env.is_some_and(|e| work.rivers.iter().any(|r| geom::rects_intersect(&e, r)))
        };
        let river_jobs = to_check(&project.rivers, &set.rivers, &me.rivers, full, &near);
        let res_jobs = to_check(
            &project.reservoirs,
            &set.reservoirs,
            &me.reservoirs,
            full,
            &near,
        );
        let (river_results, res_results): (Vec<rivers::RiverResult>, Vec<rivers::ReservoirResult>) = {
            use rayon::prelude::*;
            let cfg = &me.config;
            (
                river_jobs
                    .par_iter()
                    .map(|r| rivers::river(r, &leaves, &inside, cfg))
                    .collect(),
                res_jobs
                    .par_iter()
                    .map(|r| rivers::reservoir(r, &leaves, cfg))
                    .collect(),
            )
        };
        let rivers_now: FxHashSet<&str> = project.rivers.iter().map(|r| r.id.as_str()).collect();
        let reservoirs_now: FxHashSet<&str> =
            project.reservoirs.iter().map(|r| r.id.as_str()).collect();
        let (wet, store) = (&mut self.wet, &mut self.store);
        keep_water(
            &mut self.rivers,
            &rivers_now,
            river_results,
            Source::River,
            wet,
            store,
            work,
        );
        keep_water(
            &mut self.reservoirs,
            &reservoirs_now,
            res_results,
            Source::Reservoir,
            wet,
            store,
            work,
        );
        for id in std::mem::take(&mut work.chiefs) {
            let source = Source::RiverChief(id.clone());
            let f = look
                .grid(&id)
                .filter(|_| self.wet.get(&id).is_some_and(|n| *n > 0))
                .map(|g| at_grid(g, rivers::missing_river_chief(g).into_iter().collect()))
                .unwrap_or_default();
            self.store.set(source, f);
        }
    }

    /// Every finding, in display order (errors first, then by kind, grids and size).
    pub fn findings(&self) -> impl Iterator<Item = &Arc<Finding>> {
        self.store.iter()
    }

    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// Whether any grid has level `level`.
    pub fn has_level(&self, level: Level) -> bool {
        self.levels.get(&level).is_some_and(|n| *n > 0)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.store.count(severity)
    }

    pub fn count_kind(&self, kind: Kind) -> usize {
        self.store.count_kind(kind)
    }

    /// Counts per kind, in kind order.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        self.store.counts()
    }

    /// The findings about grid `id` itself (validity, hierarchy, record, river chief,
    /// near-miss edges, the overlaps and gaps that name it), in display order.
    pub fn findings_for(&self, id: &str) -> Vec<Arc<Finding>> {
        let own = [
            Source::Validity(id.to_string()),
            Source::Hierarchy(id.to_string()),
            Source::Record(id.to_string()),
            Source::RiverChief(id.to_string()),
            Source::Edges(id.to_string()),
            Source::DuplicateId(id.to_string()),
        ];
        let mut v: Vec<&Ranked> = own
            .iter()
            .chain(self.area_refs.get(id).into_iter().flatten())
            .flat_map(|s| self.store.get(s))
            .collect();
        v.sort();
        v.dedup_by(|a, b| Arc::ptr_eq(&a.finding, &b.finding));
        v.into_iter().map(|r| r.finding.clone()).collect()
    }

    /// River lengths by grid, in the project's order.
    pub fn river_tables(&self, project: &Project) -> Vec<RiverLengths> {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        project
            .rivers
            .iter()
            .filter(|r| seen.insert(r.id.as_str()))
            .filter_map(|r| self.rivers.get(&r.id).map(|x| x.table.clone()))
            .collect()
    }

    /// Reservoir areas by grid, in the project's order.
    pub fn reservoir_tables(&self, project: &Project) -> Vec<ReservoirAreas> {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        project
            .reservoirs
            .iter()
            .filter(|r| seen.insert(r.id.as_str()))
            .filter_map(|r| self.reservoirs.get(&r.id).map(|x| x.table.clone()))
            .collect()
    }

    /// The full report for the project as it is now, sorted deterministically.
    pub fn report(&self, project: &Project) -> Report {
        let mut clock = std::time::Instant::now();
        // Keys made once (the sizes rounded as reports show them), then one parallel sort.
        let mut keyed: Vec<_> = self.store.all().map(|f| (f.sort_key(), f)).collect();
        {
            use rayon::prelude::*;
            keyed.par_sort_by(|a, b| a.0.cmp(&b.0));
        }
        let findings: Vec<Arc<Finding>> = keyed.into_iter().map(|(_, f)| f.clone()).collect();
        crate::timing::phase("report: sort", &mut clock);
        Report {
            grids: project.grids.len(),
            findings,
            rivers: self.river_tables(project),
            reservoirs: self.reservoir_tables(project),
        }
    }
}

/// The rivers (or reservoirs) to measure again: all for a full audit, else those the change
/// names, new ones, and those whose water lies `near` what changed (the first of each id).
fn to_check<'a, T: crate::model::Feature, R>(
    items: &'a [T],
    changed: &BTreeSet<String>,
    kept: &FxHashMap<String, rivers::WaterResult<R>>,
    full: bool,
    near: &dyn Fn(Option<Rect<f64>>) -> bool,
) -> Vec<&'a T> {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    items
        .iter()
        .filter(|r| seen.insert(r.id()))
        .filter(|r| {
            full || changed.contains(r.id()) || kept.get(r.id()).is_none_or(|old| near(old.env))
        })
        .collect()
}

/// Put in the new results of rivers (or reservoirs), drop those of features no longer in
/// the project (`present`), and count the grids their water is in.
fn keep_water<T>(
    kept: &mut FxHashMap<String, rivers::WaterResult<T>>,
    present: &FxHashSet<&str>,
    fresh: Vec<rivers::WaterResult<T>>,
    source: fn(String) -> Source,
    wet: &mut FxHashMap<String, usize>,
    store: &mut Store,
    work: &mut Work,
) {
    let mut count = |grids: &[String], d: i64| {
        for g in grids {
            let n = wet.entry(g.clone()).or_default();
            *n = (*n as i64 + d).max(0) as usize;
            if *n == 0 {
                wet.remove(g);
            }
            work.chiefs.insert(g.clone());
        }
    };
    let gone: Vec<String> = kept
        .keys()
        .filter(|id| !present.contains(id.as_str()))
        .cloned()
        .collect();
    for id in gone {
        if let Some(old) = kept.remove(&id) {
            count(&old.wet, -1);
        }
        store.clear(&source(id));
    }
    for r in fresh {
        if let Some(old) = kept.remove(&r.id) {
            count(&old.wet, -1);
        }
        count(&r.wet, 1);
        store.set(source(r.id.clone()), r.findings.clone());
        kept.insert(r.id.clone(), r);
    }
}

/// Grids with identical geometry (the same coordinates: pasted twice, imported twice),
/// found by hashing, so that a thousand copies of one grid cost a thousand checks, not half
/// a million. Of a set of copies only the first by id is paired with the others and with
/// the neighbours; the pairs of the other copies would say the same again.
#[derive(Default)]
struct Twins<'a> {
    keys: FxHashMap<&'a str, u64>,
    /// The first copy of each grid asked about (None: it is the first or has none).
    first: FxHashMap<&'a str, Option<&'a str>>,
}

impl<'a> Twins<'a> {
    fn key(&mut self, look: &Look<'a>, id: &'a str) -> u64 {
        *self.keys.entry(id).or_insert_with(|| {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            if let Some(g) = look.grid(id) {
                for p in &g.geometry.0 {
                    for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                        r.0.len().hash(&mut h);
                        for c in &r.0 {
                            (c.x.to_bits(), c.y.to_bits()).hash(&mut h);
                        }
                    }
                }
            }
            h.finish()
        })
    }

    fn same(&mut self, look: &Look<'a>, a: &'a str, b: &'a str) -> bool {
        self.key(look, a) == self.key(look, b)
            && match (look.grid(a), look.grid(b)) {
                (Some(x), Some(y)) => x.geometry == y.geometry && !x.geometry.0.is_empty(),
                _ => false,
            }
    }

    /// Whether the pair (`id`, `other`) is left out: one of the two is a copy of a grid
    /// with a smaller id among `near` (the grids around `id`), which is paired instead.
    fn shadowed(&mut self, look: &Look<'a>, id: &'a str, other: &'a str, near: &[&'a str]) -> bool {
        // Every copy of a grid in `near` has its envelope, so all of them are in `near`.
        let first_copy = |t: &mut Self, x: &'a str| {
            if let Some(f) = t.first.get(x) {
                return *f;
            }
            let f = near
                .iter()
                .copied()
                .filter(|&y| y < x && t.same(look, x, y))
                .min();
            t.first.insert(x, f);
            f
        };
        match (first_copy(self, id), first_copy(self, other)) {
            // `id` is a later copy: its first copy is paired with `other`, unless `other`
            // is that first copy.
            (Some(f), _) if f != other => true,
            (None, Some(f)) => f != id,
            _ => false,
        }
    }
}

/// Findings about a grid's record, marked at a point inside the grid (not the whole
/// polygon: a map with many grids lacking records would carry every polygon again).
fn at_grid(g: &Grid, mut fs: Vec<Finding>) -> Vec<Finding> {
    if fs.is_empty() {
        return fs;
    }
    if let Some(p) = geom::label_point(&g.geometry) {
        for f in fs.iter_mut().filter(|f| f.geometry.is_none()) {
            f.geometry = Some(geo::Geometry::Point(geo::Point(p)));
        }
    }
    fs
}

/// What the reader had to repair or could not use, as findings.
fn input_notes(project: &Project) -> Vec<Finding> {
    project
        .input_notes
        .iter()
        .map(|n| {
            Finding::new(
                Kind::InvalidGeometry,
                if n.fatal {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                vec![n.feature_id.clone()],
                n.zh.clone(),
                n.en.clone(),
            )
        })
        .collect()
}
