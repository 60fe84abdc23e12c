//! The audit engine: is this grid map ready to publish?
//!
//! Checks geometry validity, the coverage of each level (overlaps, near-miss edges), the
//! tiling of each parent by its children (gaps, slivers, children outside their parent), the
//! hierarchy, rivers and reservoirs (河、库进网格) and the grid records. Results are typed
//! [`Finding`]s. [`Auditor`] keeps what it found per grid, pair, piece of a parent's tiling
//! and river, with its indexes, so that after an edit only what the change set names and
//! its neighbours are checked again, and the findings are patched in place.
//!
//! Two paths fill it: the build path ([`Auditor::new`]) makes every index at once and runs
//! every check over everything; the update path ([`Auditor::update`]) takes the old states
//! of what a change names out of the indexes, puts the new ones in and checks again only
//! near them. This file holds the auditor, its entry points and the glue of both paths;
//! each check's bookkeeping lives beside its measure: `validity.rs` (the grids' states),
//! `coverage.rs` (invalid edges, overlaps, near-miss edges), `tiling.rs` (gaps, slivers,
//! outside parts), `records.rs` (hierarchy, duplicates, records) and `rivers.rs` (water).

mod coverage;
mod finding;
mod records;
mod rivers;
mod store;
mod tiling;
mod validity;
mod window;

pub use coverage::{CoverageResult, validate_coverage};
pub use finding::{Finding, Kind, Message, Severity};
pub use records::is_valid_phone;
pub use rivers::{GridArea, GridLength, ReservoirAreas, RiverLengths};
pub use validity::check_geometry;

pub use store::Ranked;

use crate::model::{ChangeSet, Grid, IdIndex, Level, Project};
use crate::records::codes::CodeScheme;
use geo::{MultiLineString, MultiPolygon, Rect};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use store::{Source, Store};
use tiling::{EdgeKey, Tiling};

/// What the audit layer refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// A gap width that is not a number of metres in [`AuditConfig::GAP_WIDTH`] (`text`:
    /// what was given, quoted for a message).
    #[error(
        "缝隙宽度 “{text}” 无效：应为 {lo} 至 {hi} 米之间的数\ninvalid gap width \"{text}\": a number of metres from {lo} to {hi}"
    )]
    GapWidth { text: String, lo: f64, hi: f64 },
}

/// Thresholds of the audit: the project's `audit` setting ([`crate::model::AuditSettings`]),
/// each value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditConfig {
    /// Gaps narrower than this are slivers, and edges closer than this to a neighbour's
    /// without matching it are near-miss edges (metres).
    pub gap_width: f64,
    /// Gaps, overlaps and outside parts smaller than this are ignored (m²).
    pub min_area_m2: f64,
    /// Expected households per level-3 grid.
    pub households: (u32, u32),
    /// Expected population per level-3 grid.
    pub population: (u32, u32),
}

impl Default for AuditConfig {
    /// The defaults of the project's `audit` setting ([`crate::model::AuditSettings`]), the
    /// one place they are written.
    fn default() -> Self {
        Self::checked(crate::model::AuditSettings::default())
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
    pub fn parse_gap_width(s: &str) -> Result<f64, AuditError> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| Self::GAP_WIDTH.contains(v))
            .ok_or_else(|| AuditError::GapWidth {
                text: crate::error::quoted(s),
                lo: *Self::GAP_WIDTH.start(),
                hi: *Self::GAP_WIDTH.end(),
            })
    }

    /// The thresholds kept in a project's settings (`audit`, saved in the project file),
    /// defaults for the rest and for values that make no sense.
    pub fn from_settings(settings: &crate::model::Extra) -> Self {
        Self::checked(crate::model::ProjectSettings::of(settings).audit)
    }

    /// Thresholds from the setting's values, each value that makes no sense replaced by
    /// its default.
    fn checked(a: crate::model::AuditSettings) -> Self {
        let d = crate::model::AuditSettings::default();
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        let range = |r: [u32; 2], d: [u32; 2]| {
            if r[0] <= r[1] {
                (r[0], r[1])
            } else {
                (d[0], d[1])
            }
        };
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

use crate::geom::{IdItem, IdTree, id_item as tree_item};

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
    water: rivers::Water,
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
    /// The tiling each changed grid left in `forget` with the edges it had there, not yet
    /// taken out of the field: a grid that comes back to the same tiling gives only the
    /// edges that changed (a drag of one vertex of a grid of 10,000).
    left: FxHashMap<String, (GroupKey, Vec<(EdgeKey, i32)>)>,
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
            raw_edges: FxHashMap::default(),
            pairs_of: FxHashMap::default(),
            tilings: FxHashMap::default(),
            boundary: None,
            boundary_edges: Vec::new(),
            codes: FxHashMap::default(),
            water: rivers::Water::default(),
            area_refs: FxHashMap::default(),
            store: Store::default(),
        };
        a.build(project, &IdIndex::new(project));
        a.store.set(Source::InputNotes, input_notes(project));
        a
    }

    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// Check again what `set` names, after it was applied to `project` (`ids`: the
    /// project's id index, up to date).
    pub fn update(&mut self, project: &Project, ids: &IdIndex, set: &ChangeSet) {
        self.update_in_place(project, ids, set, &Default::default(), &Default::default());
    }

    /// [`Self::update`] knowing the shapes the grids replaced in place had before (`old`)
    /// and those of the grids removed (`removed`): the coverage is then checked again only
    /// in the window of the segments that moved.
    pub fn update_in_place(
        &mut self,
        project: &Project,
        ids: &IdIndex,
        set: &ChangeSet,
        old: &crate::model::OldShapes,
        removed: &crate::model::OldShapes,
    ) {
        let config = AuditConfig::from_settings(&project.settings);
        let scheme = CodeScheme::from_settings(&project.settings);
        if config != self.config || scheme != self.scheme {
            // New thresholds or code layout: every finding may change.
            *self = Auditor::new(project, config);
            return;
        }
        self.apply_change(project, ids, set, old, removed);
    }

    /// The build path: every grid's state and indexes made at once in an empty auditor,
    /// then every check run over everything.
    fn build(&mut self, project: &Project, ids: &IdIndex) {
        let mut clock = std::time::Instant::now();
        let look = Look { project, ids };
        let mut work = Work::default();
        let everything = ChangeSet::everything(project);
        let all: Vec<&str> = everything.grids.keys().map(String::as_str).collect();
        let fresh = validity::fresh_states(look, &all, &validity::Before::default());
        crate::timing::phase("validity", &mut clock);
        let mut bulk: BTreeMap<Level, Vec<IdItem>> = BTreeMap::new();
        for f in fresh {
            if let Some(e) = f.env.filter(|_| f.usable) {
                bulk.entry(f.grid.level)
                    .or_default()
                    .push(tree_item(e, &f.grid.id));
            }
            self.take_in(f, &mut work);
        }
        for (level, items) in bulk {
            self.trees.insert(level, IdTree::bulk_load(items));
        }
        crate::timing::phase("states", &mut clock);
        self.build_tilings(project);
        crate::timing::phase("tiling edges", &mut clock);
        self.check_all_coverage(look, &mut work);
        crate::timing::phase("coverage", &mut clock);
        let every_tiling = self.tilings.keys().map(|k| (k.clone(), None)).collect();
        self.refresh_tilings(look, every_tiling, &mut work);
        crate::timing::phase("gaps and tiling", &mut clock);
        self.explain_edges(look, &work);
        crate::timing::phase("near-miss edges", &mut clock);
        self.build_records(project, look, &mut work);
        crate::timing::phase("records", &mut clock);
        self.build_water(project, look, &mut work);
        crate::timing::phase("rivers", &mut clock);
    }

    /// The update path: the old states of the grids `set` names leave every index, their
    /// new ones come in, and each check runs again only near what moved.
    fn apply_change(
        &mut self,
        project: &Project,
        ids: &IdIndex,
        set: &ChangeSet,
        old: &crate::model::OldShapes,
        removed: &crate::model::OldShapes,
    ) {
        let mut clock = std::time::Instant::now();
        let look = Look { project, ids };
        let mut work = Work::default();
        let window = window::Window::of(self, look, set, old, removed);
        crate::timing::phase("window of the change", &mut clock);
        let old_levels: BTreeSet<Level> = self.levels.keys().copied().collect();
        let old_top = self.top();
        let changed: Vec<&str> = set.grids.keys().map(String::as_str).collect();
        // Grids valid without a finding before the change, with the shape they had: their
        // validity is decided near what moved (`geom::validity::still_clean`).
        let before = validity::Before {
            clean: changed
                .iter()
                .filter(|id| {
                    self.grids.get(**id).is_some_and(|s| s.usable)
                        && self.store.get(&Source::Validity(id.to_string())).is_empty()
                })
                .filter_map(|id| old.get(*id).map(|mp| (*id, mp)))
                .collect(),
            unusable: changed
                .iter()
                .copied()
                .filter(|id| self.grids.get(*id).is_some_and(|s| !s.usable))
                .collect(),
        };
        for id in &changed {
            if let Some(old) = self.grids.remove(*id) {
                self.forget(id, old, &mut work);
            }
        }
        crate::timing::phase("forget", &mut clock);
        let fresh = validity::fresh_states(look, &changed, &before);
        crate::timing::phase("validity", &mut clock);
        self.clear_gone(look, &changed);
        for f in fresh {
            let (id, level) = (f.grid.id.clone(), f.grid.level);
            if let Some(e) = f.env {
                if f.usable {
                    work.coverage.entry(level).or_default().push(e);
                    self.trees
                        .entry(level)
                        .or_default()
                        .insert(tree_item(e, &id));
                }
                work.rivers.push(e);
            }
            work.tiling_all(&GroupKey::Grid(id));
            self.take_in(f, &mut work);
        }
        crate::timing::phase("states", &mut clock);
        self.update_tilings(project, set, &changed, old_top, &mut work);
        self.levels_changed(&old_levels, &mut work);
        crate::timing::phase("tiling edges", &mut clock);
        // A window that does not hold still tells where the change reaches.
        let (window, reach) = match window {
            Some(w) if w.holds(self) => (Some(w), None),
            Some(w) => (None, Some(w.reach(self, old))),
            None => (None, None),
        };
        let dirty = work.tilings.drain().collect();
        let jobs = self.regroup_tilings(dirty, &mut work);
        crate::timing::phase("tiling pieces", &mut clock);
        // The coverage near what moved and the tilings' pieces read the auditor and each
        // other's findings not at all: both are found side by side, then taken in.
        let (coverage, pieces) = {
            let (me, work) = (&*self, &work);
            let coverage = if window.is_some() {
                "coverage (window)"
            } else {
                "coverage (whole)"
            };
            rayon::join(
                || {
                    crate::timing::timed(coverage, || {
                        me.coverage_near(look, work, window.as_ref(), reach.as_ref())
                    })
                },
                || crate::timing::timed("gaps and tiling", || me.measure_pieces(look, &jobs)),
            )
        };
        self.keep_coverage(look, coverage, &mut work);
        self.keep_pieces(pieces, &mut work);
        crate::timing::phase("coverage and tiling kept", &mut clock);
        self.explain_edges(look, &work);
        crate::timing::phase("near-miss edges", &mut clock);
        self.update_records(look, set, &mut work);
        crate::timing::phase("records", &mut clock);
        self.update_water(project, look, set, &mut work);
        crate::timing::phase("rivers", &mut clock);
    }

    /// Put a grid's new state into the indexes both paths share (its validity findings,
    /// children, level count, codes) and name it for the per-grid checks.
    fn take_in(&mut self, fresh: validity::Fresh, work: &mut Work) {
        let validity::Fresh {
            grid: g,
            findings,
            usable,
            env,
            edges,
        } = fresh;
        let id = g.id.clone();
        self.store.set(Source::Validity(id.clone()), findings);
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

    /// A level that came or went changes which grids lack a parent: their hierarchy is
    /// checked again.
    fn levels_changed(&self, old_levels: &BTreeSet<Level>, work: &mut Work) {
        let new_levels: BTreeSet<Level> = self.levels.keys().copied().collect();
        if new_levels == *old_levels {
            return;
        }
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
            self.water.leaves.remove(&tree_item(e, id));
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
        // As a parent: its edges leave its children's tiling.
        let own = GroupKey::Grid(id.to_string());
        if let Some(t) = self.tilings.get_mut(&own)
            && t.parent_in
        {
            t.add(&old.edges, 1);
            t.parent_in = false;
        }
        if let Some(g) = old.member {
            self.member_left(&g, old.env, work);
            work.left.insert(id.to_string(), (g, old.edges));
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
}

/// What the auditor found, read by the app and the reports.
impl Auditor {
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
            .filter_map(|r| self.water.rivers.get(&r.id).map(|x| x.table.clone()))
            .collect()
    }

    /// Reservoir areas by grid, in the project's order.
    pub fn reservoir_tables(&self, project: &Project) -> Vec<ReservoirAreas> {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        project
            .reservoirs
            .iter()
            .filter(|r| seen.insert(r.id.as_str()))
            .filter_map(|r| self.water.reservoirs.get(&r.id).map(|x| x.table.clone()))
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

/// Findings about a grid's record, marked at a point inside the grid (not the whole
/// polygon: a map with many grids lacking records would carry every polygon again).
fn at_grid(g: &Grid, mut fs: Vec<Finding>) -> Vec<Finding> {
    if fs.is_empty() {
        return fs;
    }
    if let Some(p) = crate::geom::label_point(&g.geometry) {
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
            let f = Finding::new(
                Kind::InvalidGeometry,
                if n.fatal {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                vec![n.feature_id.clone()],
                n.zh.clone(),
                n.en.clone(),
            );
            match n.at {
                Some(c) => f.with_geometry(geo::Point(c)),
                None => f,
            }
        })
        .collect()
}
