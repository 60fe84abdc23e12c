//! The audit engine: is this grid map ready to publish?
//!
//! Checks geometry validity, the coverage of each level (overlaps, near-miss edges), the
//! tiling of each parent by its children (gaps, slivers, children outside their parent), the
//! hierarchy, rivers and reservoirs (河、库进网格) and the grid records. Results are typed
//! [`Finding`]s. [`Auditor`] keeps per-grid, per-pair and per-parent results so that after
//! an edit only the edited grids and their neighbours are checked again.

mod coverage;
mod finding;
mod records;
mod rivers;
mod tiling;
mod validity;

pub use coverage::{CoverageResult, validate_coverage};
pub use finding::{Finding, Kind, Message, Severity};
pub use records::is_valid_phone;
pub use rivers::{GridArea, GridLength, ReservoirAreas, RiverLengths};
pub use validity::check_geometry;

use crate::geom;
use crate::model::{GridIndex, Level, Project};
use geo::{MultiLineString, MultiPolygon, Rect};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet};

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
    /// The thresholds kept in a project's settings (`audit` entry, saved in the project
    /// file), defaults for the rest.
    pub fn from_settings(settings: &crate::model::Extra) -> Self {
        let mut c = AuditConfig::default();
        let Some(a) = settings.get("audit") else {
            return c;
        };
        let f = |k: &str| a.get(k).and_then(|v| v.as_f64());
        let range = |k: &str| {
            let v = a.get(k)?.as_array()?;
            Some((v.first()?.as_u64()? as u32, v.get(1)?.as_u64()? as u32))
        };
        if let Some(v) = f("gap_width").filter(|v| *v >= 0.0) {
            c.gap_width = v;
        }
        if let Some(v) = f("min_area_m2").filter(|v| *v >= 0.0) {
            c.min_area_m2 = v;
        }
        if let Some(r) = range("households") {
            c.households = r;
        }
        if let Some(r) = range("population") {
            c.population = r;
        }
        c
    }

    /// Store the thresholds in a project's settings.
    pub fn store(&self, settings: &mut crate::model::Extra) {
        settings.insert(
            "audit".into(),
            serde_json::json!({
                "gap_width": self.gap_width,
                "min_area_m2": self.min_area_m2,
                "households": [self.households.0, self.households.1],
                "population": [self.population.0, self.population.1],
            }),
        );
    }
}

/// The result of an audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub grids: usize,
    /// Sorted deterministically (kind, ids, size).
    pub findings: Vec<Finding>,
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
        self.findings.iter().filter(move |f| f.kind == kind)
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

/// Incremental auditor: holds the results that depend on geometry, keyed by grid id.
pub struct Auditor {
    config: AuditConfig,
    /// What is known of each grid, by id, as last audited.
    state: FxHashMap<String, GridState>,
    /// Invalid edges per grid (CoverageValidator semantics), before explanation by areas.
    raw_edges: FxHashMap<String, MultiLineString<f64>>,
    /// Overlaps and duplicates per pair of grid ids (sorted pair).
    pairs: FxHashMap<(String, String), Vec<Finding>>,
    /// Gaps, slivers and outside-parent findings per parent.
    groups: FxHashMap<GroupKey, Vec<Finding>>,
}

/// Per-grid results of the last audit.
struct GridState {
    /// Validity findings.
    findings: Vec<Finding>,
    /// Valid enough for the coverage, tiling and river checks.
    usable: bool,
    /// Level and envelope, when usable.
    env: Option<(Level, Rect<f64>)>,
    /// The parent group the grid belongs to.
    group: GroupKey,
}

impl Auditor {
    pub fn new(project: &Project, config: AuditConfig) -> Self {
        let mut a = Auditor {
            config,
            state: FxHashMap::default(),
            raw_edges: FxHashMap::default(),
            pairs: FxHashMap::default(),
            groups: FxHashMap::default(),
        };
        let all: Vec<String> = project.grids.iter().map(|g| g.id.clone()).collect();
        a.recheck(project, &all, true);
        a
    }

    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// Re-check after the grids `changed` were edited, added or removed (by id).
    pub fn update(&mut self, project: &Project, changed: &[String]) {
        self.recheck(project, changed, false);
    }

    fn recheck(&mut self, project: &Project, changed: &[String], full: bool) {
        let mut clock = std::time::Instant::now();
        let gindex = GridIndex::new(project);
        let index = &gindex.by_id;
        let changed: FxHashSet<&str> = changed.iter().map(|s| s.as_str()).collect();
        crate::timing::phase("index", &mut clock);
        // Old envelopes, levels and parents matter too: a grid that moved away leaves its
        // old neighbours to be re-checked.
        let mut touched_envs: Vec<(Level, Rect<f64>)> = Vec::new();
        let mut groups_dirty: FxHashSet<GroupKey> = FxHashSet::default();
        for id in &changed {
            if let Some(e) = self.state.get(*id).and_then(|st| st.env) {
                touched_envs.push(e);
            }
            if gindex.has_children(id) || self.groups.contains_key(&GroupKey::Grid(id.to_string()))
            {
                groups_dirty.insert(GroupKey::Grid(id.to_string()));
            }
            if let Some(st) = self.state.get(*id) {
                groups_dirty.insert(st.group.clone());
            }
        }
        crate::timing::phase("old state", &mut clock);
        // Validity of the changed grids, in parallel.
        type Checked<'a> = (&'a str, Option<(Vec<Finding>, bool, Option<Rect<f64>>)>);
        let checked: Vec<Checked> = {
            use rayon::prelude::*;
            let ids: Vec<&str> = changed.iter().copied().collect();
            ids.par_iter()
                .map(|id| {
                    let r = index.get(id).map(|&i| {
                        let g = &project.grids[i];
                        let (fs, usable) = check_geometry(&g.id, g.label(), &g.geometry);
                        (fs, usable, geom::envelope(&g.geometry))
                    });
                    (*id, r)
                })
                .collect()
        };
        crate::timing::phase("validity checks", &mut clock);
        for (id, r) in checked {
            match (r, index.get(id)) {
                (Some((fs, usable, env)), Some(&i)) => {
                    let g = &project.grids[i];
                    let env = env.filter(|_| usable).map(|e| (g.level, e));
                    if let Some(e) = env {
                        touched_envs.push(e);
                    }
                    let group = group_of(&gindex, g);
                    groups_dirty.insert(group.clone());
                    if !usable {
                        // Left out of the coverage checks: nothing of its old ones stays.
                        self.raw_edges.remove(id);
                        self.pairs.retain(|(a, b), _| a != id && b != id);
                    }
                    self.state.insert(
                        g.id.clone(),
                        GridState {
                            findings: fs,
                            usable,
                            env,
                            group,
                        },
                    );
                }
                _ => {
                    self.state.remove(id);
                    self.raw_edges.remove(id);
                    self.pairs.retain(|(a, b), _| a != id && b != id);
                }
            }
        }
        if full {
            self.groups.clear();
            self.pairs.clear();
            for g in &project.grids {
                groups_dirty.insert(group_of(&gindex, g));
            }
        }

        crate::timing::phase("validity", &mut clock);
        // Coverage per level, over the affected grids and their neighbours.
        let usable: Vec<bool> = project
            .grids
            .iter()
            .enumerate()
            .map(|(i, g)| {
                self.state.get(&g.id).is_some_and(|st| st.usable)
                    && index.get(g.id.as_str()) == Some(&i)
            })
            .collect();
        let mut levels: BTreeMap<Level, Vec<usize>> = BTreeMap::new();
        for (i, g) in project.grids.iter().enumerate() {
            if usable[i] {
                levels.entry(g.level).or_default().push(i);
            }
        }
        let gw = self.config.gap_width;
        for (level, members) in &levels {
            let tree = envelope_tree(project, members);
            // Affected: changed grids and grids near a touched envelope, at this level.
            let affected: BTreeSet<usize> = if full {
                members.iter().copied().collect()
            } else {
                let mut s = BTreeSet::new();
                for (l, e) in &touched_envs {
                    if l == level {
                        for hit in tree.locate_in_envelope_intersecting(&geom::aabb(geom::expand(
                            *e,
                            gw * 2.0,
                        ))) {
                            s.insert(hit.data);
                        }
                    }
                }
                s
            };
            if affected.is_empty() {
                continue;
            }
            // The sub-coverage: affected grids plus their neighbours, so that each affected
            // grid sees all of its neighbours.
            let mut sub: BTreeSet<usize> = affected.clone();
            for &i in affected.iter().filter(|_| !full) {
                if let Some(e) = self.state.get(&project.grids[i].id).and_then(|st| st.env) {
                    for hit in
                        tree.locate_in_envelope_intersecting(&geom::aabb(geom::expand(e.1, gw)))
                    {
                        sub.insert(hit.data);
                    }
                }
            }
            let sub: Vec<usize> = sub.into_iter().collect();
            let polys: Vec<Option<&MultiPolygon<f64>>> = sub
                .iter()
                .map(|&i| Some(&project.grids[i].geometry))
                .collect();
            crate::timing::phase("coverage setup", &mut clock);
            let res = validate_coverage(&polys, gw);
            crate::timing::phase("coverage validation", &mut clock);
            for (k, &i) in sub.iter().enumerate() {
                if !affected.contains(&i) {
                    continue;
                }
                let id = project.grids[i].id.clone();
                match &res.invalid_edges[k] {
                    Some(e) => {
                        self.raw_edges.insert(id, e.clone());
                    }
                    None => {
                        self.raw_edges.remove(&id);
                    }
                }
            }
            // Overlaps and duplicates for pairs that involve an affected grid.
            let affected_ids: FxHashSet<&str> = affected
                .iter()
                .map(|&i| project.grids[i].id.as_str())
                .collect();
            self.pairs.retain(|(a, b), _| {
                !(affected_ids.contains(a.as_str()) || affected_ids.contains(b.as_str()))
            });
            // A pair can only overlap if one of the two has invalid edges (a clean
            // coverage has none; an island inside a grid has them all): good grids are
            // paired only with the few bad ones.
            let bad: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&k| self.raw_edges.contains_key(&project.grids[k].id))
                .collect();
            let bad_tree = envelope_tree(project, &bad);
            let mut pair_set: BTreeSet<(usize, usize)> = BTreeSet::new();
            for &i in &affected {
                let Some(e) = self
                    .state
                    .get(&project.grids[i].id)
                    .and_then(|st| st.env)
                    .map(|e| e.1)
                else {
                    continue;
                };
                let t = if self.raw_edges.contains_key(&project.grids[i].id) {
                    &tree
                } else {
                    &bad_tree
                };
                for hit in t.locate_in_envelope_intersecting(&geom::aabb(e)) {
                    let j = hit.data;
                    if j != i {
                        pair_set.insert((i.min(j), i.max(j)));
                    }
                }
            }
            let results: Vec<((String, String), Vec<Finding>)> = {
                use rayon::prelude::*;
                let pairs: Vec<(usize, usize)> = pair_set.into_iter().collect();
                pairs
                    .par_iter()
                    .map(|&(i, j)| {
                        let (a, b) = (&project.grids[i], &project.grids[j]);
                        let key = if a.id <= b.id {
                            (a.id.clone(), b.id.clone())
                        } else {
                            (b.id.clone(), a.id.clone())
                        };
                        (key, tiling::overlap(a, b, &self.config))
                    })
                    .collect()
            };
            for (k, fs) in results {
                if !fs.is_empty() {
                    self.pairs.insert(k, fs);
                }
            }
            for &i in &affected {
                groups_dirty.insert(group_of(&gindex, &project.grids[i]));
            }
        }

        crate::timing::phase("overlaps", &mut clock);
        // Tiling of each dirty parent by its children.
        let usable_ids: FxHashSet<&str> = project
            .grids
            .iter()
            .enumerate()
            .filter(|(i, _)| usable[*i])
            .map(|(_, g)| g.id.as_str())
            .collect();
        let dirty: Vec<GroupKey> = groups_dirty.into_iter().collect();
        let computed: Vec<(GroupKey, Vec<Finding>)> = {
            use rayon::prelude::*;
            dirty
                .par_iter()
                .map(|key| {
                    let fs =
                        tiling::group_findings(project, &gindex, key, &usable_ids, &self.config);
                    (key.clone(), fs)
                })
                .collect()
        };
        crate::timing::phase("gaps and tiling", &mut clock);
        for (k, fs) in computed {
            if fs.is_empty() {
                self.groups.remove(&k);
            } else {
                self.groups.insert(k, fs);
            }
        }
    }

    /// The full report for the project as it is now.
    pub fn report(&self, project: &Project) -> Report {
        let mut clock = std::time::Instant::now();
        let mut findings: Vec<Finding> = Vec::new();
        for g in &project.grids {
            if let Some(st) = self.state.get(&g.id) {
                findings.extend(st.findings.iter().cloned());
            }
        }
        let area_findings: Vec<&Finding> = self
            .pairs
            .values()
            .chain(self.groups.values())
            .flatten()
            .collect();
        findings.extend(area_findings.iter().map(|f| (*f).clone()));
        let gindex = GridIndex::new(project);
        findings.extend(tiling::unexplained_edges(
            &gindex,
            &self.raw_edges,
            &area_findings,
        ));
        for n in &project.input_notes {
            findings.push(Finding::new(
                Kind::InvalidGeometry,
                if n.fatal {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                vec![n.feature_id.clone()],
                n.zh.clone(),
                n.en.clone(),
            ));
        }
        let usable: FxHashSet<&str> = self
            .state
            .iter()
            .filter(|(_, st)| st.usable)
            .map(|(k, _)| k.as_str())
            .collect();
        crate::timing::phase("report: geometry findings", &mut clock);
        findings.extend(records::hierarchy(project, &gindex));
        crate::timing::phase("report: hierarchy", &mut clock);
        findings.extend(records::records(project, &self.config));
        crate::timing::phase("report: records", &mut clock);
        let (rivers, reservoirs, river_findings) =
            rivers::rivers(project, &gindex, &usable, &self.config);
        findings.extend(river_findings);
        crate::timing::phase("report: rivers", &mut clock);
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Report {
            grids: project.grids.len(),
            findings,
            rivers,
            reservoirs,
        }
    }
}

fn group_of(index: &GridIndex, g: &crate::model::Grid) -> GroupKey {
    match &g.parent {
        Some(p) if index.get(p).is_some() => GroupKey::Grid(p.clone()),
        _ => GroupKey::Boundary(g.level),
    }
}

fn envelope_tree(project: &Project, members: &[usize]) -> geom::EnvelopeTree {
    geom::envelope_tree(
        members
            .iter()
            .map(|&i| (i, geom::envelope(&project.grids[i].geometry))),
    )
}
