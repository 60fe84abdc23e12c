//! Rivers and reservoirs into grids (河、库进网格): each river is cut at the boundaries of
//! the finest grids, its length measured per grid; stretches outside every grid and
//! stretches along a shared boundary (界河) are reported; reservoir area per grid.
//!
//! Also what the auditor keeps of the water (`Water`): every river and reservoir measured
//! when the audit is built, those near what changed when it is updated.

use super::finding::{Finding, Kind, Severity, round3};
use super::store::{Source, Store};
use super::{AuditConfig, Auditor, Look, Work, at_grid};
use crate::geom::{self, IdTree, id_item as tree_item};
use crate::model::{ChangeSet, Project};
use crate::model::{Grid, ROLE_GRID_HEAD, ROLE_RIVER_CHIEF, Reservoir, River};
use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::coordinate_position::CoordPos;
use geo::{
    BooleanOps, Coord, CoordinatePosition, Line, LineString, MultiLineString, MultiPolygon, Rect,
};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Length of a river inside one grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridLength {
    pub grid: String,
    pub length_m: f64,
    /// True for the part along the grid's boundary (a boundary river, shared with the
    /// neighbour: each side gets half).
    pub boundary: bool,
}

/// One river's lengths by grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiverLengths {
    pub id: String,
    pub name: String,
    pub length_m: f64,
    pub outside_m: f64,
    pub by_grid: Vec<GridLength>,
}

/// Area of a reservoir inside one grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridArea {
    pub grid: String,
    pub area_m2: f64,
}

/// One reservoir's area by grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservoirAreas {
    pub id: String,
    pub name: String,
    pub area_m2: f64,
    pub outside_m2: f64,
    pub by_grid: Vec<GridArea>,
}

/// Where a piece of river lies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Outside,
    Inside(usize),
    /// On the boundary of these grids (sorted).
    Boundary(Vec<usize>),
}

fn len(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (b.x - a.x).hypot(b.y - a.y)
}

/// Split one segment into pieces by grid.
fn classify_segment(
    a: Coord<f64>,
    b: Coord<f64>,
    cands: &[(usize, &Grid)],
    tol: f64,
) -> Vec<(Coord<f64>, Coord<f64>, Place)> {
    let mut ts: Vec<f64> = vec![0.0, 1.0];
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    if l2 == 0.0 {
        return Vec::new();
    }
    let param = |p: Coord<f64>| ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2;
    for (_, g) in cands {
        for poly in &g.geometry.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for w in ring.0.windows(2) {
                    match line_intersection(Line::new(a, b), Line::new(w[0], w[1])) {
                        Some(LineIntersection::SinglePoint { intersection, .. }) => {
                            ts.push(param(intersection))
                        }
                        Some(LineIntersection::Collinear { intersection }) => {
                            ts.push(param(intersection.start));
                            ts.push(param(intersection.end));
                        }
                        None => {}
                    }
                    // Where a boundary vertex comes within the tolerance, the river may
                    // enter or leave a boundary band.
                    if tol > 0.0 && geom::seg_dist2(w[0], a, b) <= tol * tol {
                        ts.push(param(w[0]));
                    }
                }
            }
        }
    }
    ts.retain(|t| (0.0..=1.0).contains(t));
    ts.sort_by(|x, y| x.total_cmp(y));
    ts.dedup_by(|x, y| (*x - *y).abs() < 1e-12);
    let at = |t: f64| Coord {
        x: a.x + dx * t,
        y: a.y + dy * t,
    };
    let mut out = Vec::new();
    for w in ts.windows(2) {
        let (p, q) = (at(w[0]), at(w[1]));
        if len(p, q) == 0.0 {
            continue;
        }
        let m = at((w[0] + w[1]) / 2.0);
        let mut on: Vec<usize> = Vec::new();
        let mut inside = None;
        for (gi, g) in cands {
            let pos = g.geometry.coordinate_position(&m);
            let near = pos == CoordPos::OnBoundary
                || (tol > 0.0
                    && geom::boundary_distance(m, &g.geometry) <= tol
                    && geom::boundary_distance(p, &g.geometry) <= tol
                    && geom::boundary_distance(q, &g.geometry) <= tol);
            if near {
                on.push(*gi);
            } else if pos == CoordPos::Inside {
                inside = Some(*gi);
            }
        }
        let place = if !on.is_empty() {
            if let Some(i) = inside {
                on.push(i);
            }
            on.sort_unstable();
            on.dedup();
            Place::Boundary(on)
        } else if let Some(i) = inside {
            Place::Inside(i)
        } else {
            Place::Outside
        };
        out.push((p, q, place));
    }
    out
}

/// One river's or reservoir's table by grid, the findings about it and the grids it
/// holds water in.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WaterResult<T> {
    pub id: String,
    pub table: T,
    pub findings: Vec<Finding>,
    /// Grids with some of its water, sorted.
    pub wet: Vec<String>,
    /// Its envelope, grown by the gap width for rivers.
    pub env: Option<Rect<f64>>,
}

pub(super) type RiverResult = WaterResult<RiverLengths>;
pub(super) type ReservoirResult = WaterResult<ReservoirAreas>;

fn grow(env: Option<Rect<f64>>, d: f64) -> Option<Rect<f64>> {
    env.map(|e| geom::expand(e, d))
}

/// Cut a river at the boundaries of the finest grids. `leaves` gives the usable grids
/// without children whose envelope meets a rectangle, sorted by id.
/// `inside` tells whether a point lies in the township: a stretch in no grid but beyond
/// the township (a river that leaves it) is no finding.
pub(super) fn river<'g>(
    river: &River,
    leaves: &dyn Fn(Rect<f64>) -> Vec<&'g Grid>,
    inside: &(dyn Fn(Coord<f64>) -> bool + Sync),
    cfg: &AuditConfig,
) -> RiverResult {
    let tol = cfg.gap_width;
    let mut findings = Vec::new();
    let mut wet: BTreeSet<String> = BTreeSet::new();
    let mut total = 0.0;
    let mut outside = 0.0;
    let mut outside_lines: Vec<LineString<f64>> = Vec::new();
    let mut per: BTreeMap<(String, bool), f64> = BTreeMap::new();
    let mut shared: BTreeMap<Vec<String>, (f64, Vec<LineString<f64>>)> = BTreeMap::new();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for line in river.lines() {
        let mut run: Vec<Coord<f64>> = Vec::new();
        for w in line.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if !(a.x.is_finite() && a.y.is_finite() && b.x.is_finite() && b.y.is_finite()) {
                continue;
            }
            let env = geom::expand(geo::Rect::new(a, b), tol);
            let grids = leaves(env);
            let cands: Vec<(usize, &Grid)> = grids.iter().copied().enumerate().collect();
            for (p, q, place) in classify_segment(a, b, &cands, tol) {
                let l = len(p, q);
                total += l;
                let beyond = matches!(place, Place::Outside)
                    && !inside(Coord {
                        x: (p.x + q.x) / 2.0,
                        y: (p.y + q.y) / 2.0,
                    });
                match place {
                    // Beyond the township: not this map's to assign.
                    Place::Outside if beyond => {
                        if run.len() >= 2 {
                            outside_lines.push(LineString(std::mem::take(&mut run)));
                        }
                        run.clear();
                        continue;
                    }
                    Place::Outside => {
                        outside += l;
                        if run.last() != Some(&p) {
                            if run.len() >= 2 {
                                outside_lines.push(LineString(std::mem::take(&mut run)));
                            }
                            run = vec![p];
                        }
                        run.push(q);
                        continue;
                    }
                    Place::Inside(k) => {
                        let g = grids[k];
                        *per.entry((g.id.clone(), false)).or_default() += l;
                        wet.insert(g.id.clone());
                    }
                    Place::Boundary(ks) => {
                        let share = l / ks.len() as f64;
                        let mut ids: Vec<String> = Vec::with_capacity(ks.len());
                        for &k in &ks {
                            let g = grids[k];
                            *per.entry((g.id.clone(), true)).or_default() += share;
                            wet.insert(g.id.clone());
                            labels.insert(g.id.clone(), g.label().to_string());
                            ids.push(g.id.clone());
                        }
                        ids.sort();
                        if ids.len() >= 2 {
                            let e = shared.entry(ids).or_default();
                            e.0 += l;
                            e.1.push(LineString(vec![p, q]));
                        }
                    }
                }
                if run.len() >= 2 {
                    outside_lines.push(LineString(std::mem::take(&mut run)));
                }
                run.clear();
            }
        }
        if run.len() >= 2 {
            outside_lines.push(LineString(run));
        }
    }
    let rlabel = if river.name.is_empty() {
        river.id.as_str()
    } else {
        river.name.as_str()
    };
    if outside >= 0.01 {
        let mut f = Finding::new(
            Kind::RiverOutsideGrids,
            Severity::Error,
            vec![river.id.clone()],
            format!("河流「{rlabel}」有 {outside:.1} m 不在任何网格内（河流未入格）。请调整网格边界或河流线。"),
            format!("River {rlabel}: {outside:.1} m lie in no grid. Extend the grids or correct the river line."),
        )
        .with_geometry(MultiLineString(outside_lines));
        f.length_m = Some(round3(outside));
        findings.push(f);
    }
    for (ids, (l, lines)) in shared {
        let names: Vec<&str> = ids
            .iter()
            .map(|id| labels.get(id).map(String::as_str).unwrap_or(id))
            .collect();
        let mut f = Finding::new(
            Kind::BoundaryRiver,
            Severity::Info,
            std::iter::once(river.id.clone()).chain(ids.iter().cloned()).collect(),
            format!("河流「{rlabel}」有 {l:.1} m 是「{}」之间的界河，长度各计一半。", names.join("」与「")),
            format!("River {rlabel}: {l:.1} m run along the boundary of {} (boundary river); each side counts half.", names.join(" and ")),
        )
        .with_geometry(MultiLineString(lines));
        f.length_m = Some(round3(l));
        findings.push(f);
    }
    let by_grid: Vec<GridLength> = per
        .into_iter()
        .map(|((grid, boundary), l)| GridLength {
            grid,
            length_m: round3(l),
            boundary,
        })
        .collect();
    RiverResult {
        id: river.id.clone(),
        table: RiverLengths {
            id: river.id.clone(),
            name: river.name.clone(),
            length_m: round3(total),
            outside_m: round3(outside),
            by_grid,
        },
        findings,
        wet: wet.into_iter().collect(),
        env: grow(river_envelope(river), tol),
    }
}

fn river_envelope(river: &River) -> Option<Rect<f64>> {
    use geo::BoundingRect;
    river.geometry.bounding_rect()
}

/// A reservoir's area by grid (`leaves` as for [`river`]).
pub(super) fn reservoir<'g>(
    res: &Reservoir,
    leaves: &dyn Fn(Rect<f64>) -> Vec<&'g Grid>,
    cfg: &AuditConfig,
) -> ReservoirResult {
    let env = geom::envelope(&res.geometry);
    let mut findings = Vec::new();
    let mut wet = Vec::new();
    let mut covered = 0.0;
    let mut by_grid: Vec<GridArea> = Vec::new();
    let mut union_parts: Vec<geo::Polygon<f64>> = Vec::new();
    for g in env.map(leaves).unwrap_or_default() {
        let a = geom::area(&res.geometry.intersection(&g.geometry));
        if a >= cfg.min_area_m2 {
            covered += a;
            by_grid.push(GridArea {
                grid: g.id.clone(),
                area_m2: round3(a),
            });
            wet.push(g.id.clone());
            union_parts.extend(g.geometry.0.iter().cloned());
        }
    }
    let total = geom::area(&res.geometry);
    let missing = total - covered;
    let mut outside_m2 = 0.0;
    if env.is_some() && missing >= cfg.min_area_m2.max(total * 1e-9) {
        let out = geom::wider_than(
            res.geometry.difference(&MultiPolygon(union_parts)),
            cfg.noise_width(),
        );
        let a = geom::area(&out);
        if a >= cfg.min_area_m2 {
            outside_m2 = a;
            let rl = if res.name.is_empty() {
                res.id.as_str()
            } else {
                res.name.as_str()
            };
            let mut f = Finding::new(
                Kind::ReservoirOutsideGrids,
                Severity::Error,
                vec![res.id.clone()],
                format!("水库「{rl}」有 {a:.1} m² 不在任何网格内（水库未入格）。"),
                format!("Reservoir {rl}: {a:.1} m² lie in no grid."),
            )
            .with_geometry(out);
            f.area_m2 = Some(round3(a));
            findings.push(f);
        }
    }
    by_grid.sort_by(|a, b| a.grid.cmp(&b.grid));
    wet.sort();
    ReservoirResult {
        id: res.id.clone(),
        table: ReservoirAreas {
            id: res.id.clone(),
            name: res.name.clone(),
            area_m2: round3(total),
            outside_m2: round3(outside_m2),
            by_grid,
        },
        findings,
        wet,
        env,
    }
}

/// A grid with a river or reservoir in it and no river chief or grid head.
pub(super) fn missing_river_chief(g: &Grid) -> Option<Finding> {
    (!g.has_role(ROLE_RIVER_CHIEF) && !g.has_role(ROLE_GRID_HEAD)).then(|| {
        Finding::new(
            Kind::MissingRiverChief,
            Severity::Warning,
            vec![g.id.clone()],
            format!("网格「{}」内有河流或水库，但没有河长或网格长。", g.label()),
            format!("Grid {} contains a river or reservoir but has no river chief (河长) or grid head (网格长).", g.label()),
        )
    })
}

/// What the auditor keeps of the water: the grids rivers are cut at, each river's and
/// reservoir's result, and how many of them each grid holds.
#[derive(Default)]
pub(super) struct Water {
    /// Usable grids that no grid names as parent.
    pub leaves: IdTree,
    pub rivers: FxHashMap<String, RiverResult>,
    pub reservoirs: FxHashMap<String, ReservoirResult>,
    /// Number of rivers and reservoirs in each grid.
    pub wet: FxHashMap<String, usize>,
    /// The township's extent is known (a boundary layer, or top-level grids with
    /// children): water beyond it is no finding.
    pub township_known: bool,
}

/// The first feature with each id.
fn first_of_each<T: crate::model::Feature>(items: &[T]) -> Vec<&T> {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    items.iter().filter(|r| seen.insert(r.id())).collect()
}

/// The rivers (or reservoirs) to measure again: those the change names, new ones, and
/// those whose water lies `near` what changed (the first of each id).
fn to_check<'a, T: crate::model::Feature, R>(
    items: &'a [T],
    changed: &BTreeSet<String>,
    kept: &FxHashMap<String, WaterResult<R>>,
    near: &dyn Fn(Option<Rect<f64>>) -> bool,
) -> Vec<&'a T> {
    first_of_each(items)
        .into_iter()
        .filter(|r| changed.contains(r.id()) || kept.get(r.id()).is_none_or(|old| near(old.env)))
        .collect()
}

/// Put in the new results of rivers (or reservoirs), drop those of features no longer in
/// the project (`present`), and count the grids their water is in.
fn keep_water<T>(
    kept: &mut FxHashMap<String, WaterResult<T>>,
    present: &FxHashSet<&str>,
    fresh: Vec<WaterResult<T>>,
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

impl Auditor {
    /// Build path: the leaves, then every river and reservoir measured, and the grids
    /// that hold water checked for a river chief.
    pub(super) fn build_water(&mut self, project: &Project, look: Look, work: &mut Work) {
        let mut bulk = Vec::new();
        for id in std::mem::take(&mut work.leaves) {
            if let Some(st) = self.grids.get_mut(&id) {
                st.leaf = st.usable && st.env.is_some() && !self.children.contains_key(&id);
                if let Some(e) = st.env.filter(|_| st.leaf) {
                    bulk.push(tree_item(e, &id));
                }
            }
        }
        self.water.leaves = IdTree::bulk_load(bulk);
        self.water.township_known = self.township_is_known();
        let rivers = first_of_each(&project.rivers);
        let reservoirs = first_of_each(&project.reservoirs);
        let results = self.measure_water(look, &rivers, &reservoirs);
        self.keep_all_water(project, results, work);
        self.check_chiefs(look, work);
    }

    /// Update path: the leaves that changed, then the rivers and reservoirs near what
    /// changed measured again, and the grids whose water changed checked for a chief.
    pub(super) fn update_water(
        &mut self,
        project: &Project,
        look: Look,
        set: &ChangeSet,
        work: &mut Work,
    ) {
        self.update_leaves(work);
        // Where the township is known to end, every river is measured again when that
        // knowledge or the boundary changes (a level-1 grid's change is near its rivers).
        let known = self.township_is_known();
        if known != self.water.township_known || !set.boundary.is_empty() {
            self.water.township_known = known;
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
        let near = |env: Option<Rect<f64>>| {
            env.is_some_and(|e| work.rivers.iter().any(|r| geom::rects_intersect(&e, r)))
        };
        let rivers = to_check(&project.rivers, &set.rivers, &self.water.rivers, &near);
        let reservoirs = to_check(
            &project.reservoirs,
            &set.reservoirs,
            &self.water.reservoirs,
            &near,
        );
        let results = self.measure_water(look, &rivers, &reservoirs);
        self.keep_all_water(project, results, work);
        self.check_chiefs(look, work);
    }

    /// Leaves (usable grids that no grid names as parent) among the grids named in
    /// `work.leaves`, into or out of the tree of leaves; water near them is measured again.
    fn update_leaves(&mut self, work: &mut Work) {
        for id in std::mem::take(&mut work.leaves) {
            let Some(st) = self.grids.get_mut(&id) else {
                continue;
            };
            let leaf = st.usable && st.env.is_some() && !self.children.contains_key(&id);
            if leaf == st.leaf {
                continue;
            }
            st.leaf = leaf;
            if let Some(e) = st.env {
                work.rivers.push(e);
                if leaf {
                    self.water.leaves.insert(tree_item(e, &id));
                } else {
                    self.water.leaves.remove(&tree_item(e, &id));
                }
            }
        }
    }

    /// The township's extent is known: a boundary layer, or top-level grids with
    /// children.
    fn township_is_known(&self) -> bool {
        let top = self.top();
        self.boundary.is_some()
            || self.children.keys().any(|p| {
                self.grids
                    .get(p)
                    .is_some_and(|st| Some(st.level) == top && st.usable && !st.leaf)
            })
    }

    /// Measure `rivers` and `reservoirs` against the leaves, in parallel.
    fn measure_water(
        &self,
        look: Look,
        rivers: &[&River],
        reservoirs: &[&Reservoir],
    ) -> (Vec<RiverResult>, Vec<ReservoirResult>) {
        use rayon::prelude::*;
        let top = self.top();
        let leaves = |r: Rect<f64>| -> Vec<&Grid> {
            geom::ids_in(&self.water.leaves, r)
                .into_iter()
                .filter_map(|id| look.grid(id))
                .collect()
        };
        // Inside the township: within the boundary layer, else within a top-level grid
        // that has children; anywhere when neither is known.
        let inside = |c: Coord<f64>| -> bool {
            use geo::Intersects;
            if !self.water.township_known {
                return true;
            }
            if let Some((_, area)) = &self.boundary {
                return area.intersects(&c);
            }
            let Some(t) = top else { return true };
            self.trees.get(&t).is_some_and(|tree| {
                geom::ids_in(tree, Rect::new(c, c))
                    .into_iter()
                    .filter(|id| self.grids.get(*id).is_some_and(|st| !st.leaf))
                    .filter_map(|id| look.grid(id))
                    .any(|g| g.geometry.intersects(&c))
            })
        };
        let cfg = &self.config;
        (
            rivers
                .par_iter()
                .map(|r| river(r, &leaves, &inside, cfg))
                .collect(),
            reservoirs
                .par_iter()
                .map(|r| reservoir(r, &leaves, cfg))
                .collect(),
        )
    }

    /// Keep the new results and drop those of water no longer in the project.
    fn keep_all_water(
        &mut self,
        project: &Project,
        (rivers, reservoirs): (Vec<RiverResult>, Vec<ReservoirResult>),
        work: &mut Work,
    ) {
        let rivers_now: FxHashSet<&str> = project.rivers.iter().map(|r| r.id.as_str()).collect();
        let reservoirs_now: FxHashSet<&str> =
            project.reservoirs.iter().map(|r| r.id.as_str()).collect();
        let (wet, store) = (&mut self.water.wet, &mut self.store);
        keep_water(
            &mut self.water.rivers,
            &rivers_now,
            rivers,
            Source::River,
            wet,
            store,
            work,
        );
        keep_water(
            &mut self.water.reservoirs,
            &reservoirs_now,
            reservoirs,
            Source::Reservoir,
            wet,
            store,
            work,
        );
    }

    /// The grids named in `work.chiefs` that hold water and have no river chief.
    fn check_chiefs(&mut self, look: Look, work: &mut Work) {
        for id in std::mem::take(&mut work.chiefs) {
            let source = Source::RiverChief(id.clone());
            let f = look
                .grid(&id)
                .filter(|_| self.water.wet.get(&id).is_some_and(|n| *n > 0))
                .map(|g| at_grid(g, missing_river_chief(g).into_iter().collect()))
                .unwrap_or_default();
            self.store.set(source, f);
        }
    }
}
