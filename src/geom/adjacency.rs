//! Which polygons share boundary with which, and how much: neighbour-distinct map colours
//! (canvas and print) and the four bounds (四至) of a grid rest on it.
//!
//! Shared boundary is found segment by segment: a segment of one polygon lies on another's
//! boundary when its midpoint is within `tol` of one of the other's segments. This holds for
//! exactly noded coverages and for real data whose neighbours do not share every vertex.

use geo::{Coord, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, Envelope, PointDistance, RTree, RTreeObject};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// A boundary segment of polygon `owner` and what lies across it.
#[derive(Debug, Clone, Copy)]
pub struct BoundarySegment {
    pub owner: usize,
    pub a: Coord<f64>,
    pub b: Coord<f64>,
    /// The polygon on the other side, or None where the segment is on the outer edge.
    pub across: Option<usize>,
}

impl BoundarySegment {
    pub fn length(&self) -> f64 {
        (self.b - self.a).x.hypot((self.b - self.a).y)
    }
}

fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &geo::LineString<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// Every boundary segment of every polygon with the polygon across it.
pub fn boundary_segments(polys: &[&MultiPolygon<f64>], tol: f64) -> Vec<BoundarySegment> {
    let mut all = Vec::new();
    for (i, mp) in polys.iter().enumerate() {
        for r in rings(mp) {
            for w in r.0.windows(2) {
                // A non-finite coordinate has no place in the tree (and is a finding of
                // its own).
                let finite = |c: Coord<f64>| c.x.is_finite() && c.y.is_finite();
                if w[0] != w[1] && finite(w[0]) && finite(w[1]) {
                    all.push((i, w[0], w[1]));
                }
            }
        }
    }
    let tree = RTree::bulk_load(
        all.iter()
            .map(|&(i, a, b)| GeomWithData::new(Line::new([a.x, a.y], [b.x, b.y]), i))
            .collect(),
    );
    all.iter()
        .map(|&(owner, a, b)| {
            let m = [(a.x + b.x) / 2.0, (a.y + b.y) / 2.0];
            let across = tree
                .locate_within_distance(m, tol * tol)
                .map(|s| s.data)
                .filter(|&j| j != owner)
                .min();
            BoundarySegment {
                owner,
                a,
                b,
                across,
            }
        })
        .collect()
}

/// For each polygon, its neighbours and the length of boundary shared with each, sorted by
/// neighbour index.
pub fn neighbours(polys: &[&MultiPolygon<f64>], tol: f64) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = vec![Vec::new(); polys.len()];
    for s in boundary_segments(polys, tol) {
        let Some(j) = s.across else { continue };
        let list = &mut out[s.owner];
        match list.iter_mut().find(|(k, _)| *k == j) {
            Some(e) => e.1 += s.length(),
            None => list.push((j, s.length())),
        }
    }
    for list in &mut out {
        list.sort_by_key(|e| e.0);
    }
    out
}

/// Colour a graph so that neighbours differ (DSATUR: the most constrained node first), using
/// at most `colours` colours (at most 64) where it can; returns a colour index per node.
/// Deterministic: ties go to the higher degree, then the lower index.
///
/// # Performance
/// O((V + E) log V): saturation is kept per node as a bit set and the next node comes from
/// a heap of (saturation, degree, index) entries, stale ones skipped.
pub fn colouring(adj: &[Vec<usize>], colours: usize) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let colours = colours.clamp(1, 64);
    let n = adj.len();
    let mut colour = vec![usize::MAX; n];
    let mut seen = vec![0u64; n];
    let mut heap: BinaryHeap<(u32, usize, Reverse<usize>)> =
        (0..n).map(|i| (0, adj[i].len(), Reverse(i))).collect();
    while let Some((sat, _, Reverse(i))) = heap.pop() {
        if colour[i] != usize::MAX || sat != seen[i].count_ones() {
            continue;
        }
        colour[i] = pick_colour(adj[i].iter().map(|&j| colour[j]), colours);
        let bit = 1u64 << colour[i];
        for &j in &adj[i] {
            if colour[j] == usize::MAX && seen[j] & bit == 0 {
                seen[j] |= bit;
                heap.push((seen[j].count_ones(), adj[j].len(), Reverse(j)));
            }
        }
    }
    colour
}

/// The smallest colour none of `used` has; when all `colours` are taken, the one the
/// fewest neighbours use.
fn pick_colour(used: impl Iterator<Item = usize>, colours: usize) -> usize {
    let mut count = [0u32; 64];
    for c in used.filter(|&c| c < colours) {
        count[c] += 1;
    }
    (0..colours)
        .find(|&c| count[c] == 0)
        .or_else(|| (0..colours).min_by_key(|&c| count[c]))
        .unwrap_or(0)
}

type SegItem = GeomWithData<Line<[f64; 2]>, u32>;

/// Which grids of one level share boundary (a segment whose midpoint lies within `tol` of
/// the other's boundary, either way round), and a colour per grid that differs from its
/// neighbours'. Kept up to date one grid at a time: a grid that changes is taken out and
/// put back, its neighbours found again, and recoloured only where it now clashes.
#[derive(Debug, Clone)]
pub struct Neighbours {
    tol: f64,
    colours: usize,
    trees: BTreeMap<u8, RTree<SegItem>>,
    /// Level and envelope of every grid in the trees.
    placed: FxHashMap<u32, (u8, Rect<f64>)>,
    adj: FxHashMap<u32, BTreeSet<u32>>,
    colour: FxHashMap<u32, u8>,
}

fn segments(key: u32, mp: &MultiPolygon<f64>) -> Vec<SegItem> {
    rings(mp)
        .flat_map(|r| r.0.windows(2))
        .filter(|w| w[0] != w[1])
        .filter(|w| w.iter().all(|c| c.x.is_finite() && c.y.is_finite()))
        .map(|w| GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), key))
        .collect()
}

fn xy(p: [f64; 2]) -> Coord<f64> {
    Coord { x: p[0], y: p[1] }
}

fn midpoint(l: &Line<[f64; 2]>) -> [f64; 2] {
    [(l.from[0] + l.to[0]) / 2.0, (l.from[1] + l.to[1]) / 2.0]
}

fn seg_rect(l: &Line<[f64; 2]>) -> Rect<f64> {
    Rect::new(
        Coord {
            x: l.from[0],
            y: l.from[1],
        },
        Coord {
            x: l.to[0],
            y: l.to[1],
        },
    )
}

/// Consecutive segments of a ring lie together: [`each_near`] asks the tree once for a
/// run of this many.
const RUN: usize = 16;

/// Each segment of `segs` with every item of `tree` whose envelope meets the segment's
/// envelope grown by `reach` (as a query of the tree with that box finds them): one
/// query for each run of consecutive segments, then a box test for each segment.
fn each_near<'t>(
    tree: &'t RTree<SegItem>,
    segs: &[SegItem],
    reach: f64,
    mut f: impl FnMut(&SegItem, &'t SegItem),
) {
    let mut found: Vec<&SegItem> = Vec::new();
    let mut boxes: Vec<AABB<[f64; 2]>> = Vec::with_capacity(RUN);
    for run in segs.chunks(RUN) {
        boxes.clear();
        boxes.extend(
            run.iter()
                .map(|s| super::aabb(super::expand(seg_rect(s.geom()), reach))),
        );
        let Some(all) = boxes.iter().copied().reduce(|a, b| a.merged(&b)) else {
            continue;
        };
        found.clear();
        found.extend(tree.locate_in_envelope_intersecting(&all));
        for (s, b) in run.iter().zip(&boxes) {
            for hit in &found {
                if b.intersects(&hit.envelope()) {
                    f(s, hit);
                }
            }
        }
    }
}

/// One grid's change, for [`Neighbours::apply`].
#[derive(Clone, Copy)]
pub enum Change<'a> {
    /// Placed at `level` with shape `before`, now `after` at the same level: only the
    /// segments that differ go out of and into the tree (else it is taken out and placed
    /// again, keeping its colour where it fits).
    Moved {
        key: u32,
        level: u8,
        before: &'a MultiPolygon<f64>,
        after: &'a MultiPolygon<f64>,
    },
    /// Taken out (if it was in) and put in at `level` with `shape`, with a colour that
    /// differs from its neighbours' (`colour` kept when it still fits).
    Placed {
        key: u32,
        level: u8,
        shape: &'a MultiPolygon<f64>,
        colour: Option<u8>,
    },
    /// Taken out: its segments, its edges in the graph and its colour.
    Gone { key: u32 },
}

/// What [`Neighbours::apply`] does for a change, in order.
enum Step<'a> {
    Moved {
        key: u32,
        level: u8,
        env: Rect<f64>,
        gone: Vec<SegItem>,
        came: Vec<SegItem>,
    },
    Gone(u32),
    Placed(u32, u8, &'a MultiPolygon<f64>, Option<u8>),
}

impl Neighbours {
    /// The graph of `grids` (key, level, shape) at once, coloured with DSATUR.
    pub fn build(grids: &[(u32, u8, &MultiPolygon<f64>)], tol: f64, colours: usize) -> Self {
        use rayon::prelude::*;
        let mut by_level: BTreeMap<u8, Vec<SegItem>> = BTreeMap::new();
        let mut placed = FxHashMap::default();
        for (key, level, mp) in grids {
            if let Some(e) = super::envelope(mp).filter(|e| e.min().x.is_finite()) {
                by_level
                    .entry(*level)
                    .or_default()
                    .extend(segments(*key, mp));
                placed.insert(*key, (*level, e));
            }
        }
        let trees: BTreeMap<u8, RTree<SegItem>> = by_level
            .into_par_iter()
            .map(|(l, v)| (l, RTree::bulk_load(v)))
            .collect();
        let mut g = Neighbours {
            tol,
            colours: colours.clamp(1, 64),
            trees,
            placed,
            adj: FxHashMap::default(),
            colour: FxHashMap::default(),
        };
        // Each grid's own midpoints near others' segments; the union is symmetric.
        let found: Vec<(u32, Vec<u32>)> = grids
            .par_iter()
            .filter(|(k, _, _)| g.placed.contains_key(k))
            .map(|(key, level, mp)| {
                (
                    *key,
                    g.near_own_midpoints(*key, *level, &segments(*key, mp), false),
                )
            })
            .collect();
        for (k, near) in found {
            g.adj.entry(k).or_default();
            for j in near {
                g.adj.entry(k).or_default().insert(j);
                g.adj.entry(j).or_default().insert(k);
            }
        }
        // DSATUR over the keys in order.
        let mut keys: Vec<u32> = g.placed.keys().copied().collect();
        keys.sort_unstable();
        let index: FxHashMap<u32, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let lists: Vec<Vec<usize>> = keys
            .iter()
            .map(|k| g.adj[k].iter().map(|j| index[j]).collect())
            .collect();
        for (i, c) in colouring(&lists, g.colours).into_iter().enumerate() {
            g.colour.insert(keys[i], c as u8);
        }
        g
    }

    /// Grids whose segments lie within the tolerance of the midpoint of one of `key`'s
    /// segments `own`; with `both_ways`, also those with a segment whose midpoint lies
    /// within the tolerance of one of `own` (one pass over the tree for both).
    fn near_own_midpoints(
        &self,
        key: u32,
        level: u8,
        own: &[SegItem],
        both_ways: bool,
    ) -> Vec<u32> {
        let Some(tree) = self.trees.get(&level) else {
            return Vec::new();
        };
        let mut out: Vec<u32> = Vec::new();
        let tol2 = self.tol * self.tol;
        // A segment within the tolerance of a midpoint (as `locate_within_distance` decides
        // it) has its envelope within twice the tolerance of the midpoint's segment; so
        // has a segment whose midpoint is within the tolerance of the other.
        each_near(tree, own, 2.0 * self.tol, |s, hit| {
            let g = s.geom();
            if hit.data != key
                && (hit
                    .distance_2_if_less_or_equal(&midpoint(g), tol2)
                    .is_some()
                    || (both_ways
                        && super::seg_dist2(xy(midpoint(hit.geom())), xy(g.from), xy(g.to))
                            <= tol2))
            {
                out.push(hit.data);
            }
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Bring the graph up to date with the changes of one edit at once. The trees change
    /// first, for all of them together: segments that pass from one grid to another (the
    /// halves of a split, the parts of a merge) change owner where they lie
    /// ([`super::rekey_items`]) instead of going out and in. Then each grid's neighbours are
    /// found again near what changed, in the trees as they are now; a pair is decided
    /// from the final shapes whichever of its grids is looked at first, so the graph is
    /// the one [`Self::build`] gives.
    pub fn apply(&mut self, changes: &[Change]) {
        // A move to another level, or to no usable shape, is a removal and a placing.
        let mut steps: Vec<Step> = Vec::new();
        for c in changes {
            match *c {
                Change::Moved {
                    key,
                    level,
                    before,
                    after,
                } => {
                    let env = super::envelope(after).filter(|e| e.min().x.is_finite());
                    match (env, self.placed.get(&key)) {
                        (Some(env), Some(&(l, _))) if l == level => {
                            let (gone, came) = super::changed_items(
                                segments(key, before),
                                segments(key, after),
                                |s| super::line_bits(s.geom()),
                            );
                            steps.push(Step::Moved {
                                key,
                                level,
                                env,
                                gone,
                                came,
                            });
                        }
                        _ => {
                            let colour = self.colour(key);
                            steps.push(Step::Gone(key));
                            steps.push(Step::Placed(key, level, after, colour));
                        }
                    }
                }
                Change::Placed {
                    key,
                    level,
                    shape,
                    colour,
                } => {
                    steps.push(Step::Gone(key));
                    steps.push(Step::Placed(key, level, shape, colour));
                }
                Change::Gone { key } => steps.push(Step::Gone(key)),
            }
        }
        // The trees: every level's segments out and in at once.
        let mut out_in: BTreeMap<u8, (Vec<SegItem>, Vec<SegItem>)> = BTreeMap::new();
        for step in &steps {
            match step {
                Step::Moved {
                    level, gone, came, ..
                } => {
                    let e = out_in.entry(*level).or_default();
                    e.0.extend(gone.iter().copied());
                    e.1.extend(came.iter().copied());
                }
                Step::Gone(key) => {
                    if let Some(&(level, env)) = self.placed.get(key)
                        && let Some(tree) = self.trees.get(&level)
                    {
                        out_in.entry(level).or_default().0.extend(
                            tree.locate_with_selection_function(super::OwnedBy {
                                env: super::aabb(super::expand(env, 1e-9)),
                                key: *key,
                            })
                            .copied(),
                        );
                    }
                }
                Step::Placed(key, level, shape, _) => {
                    if super::envelope(shape).is_some_and(|e| e.min().x.is_finite()) {
                        out_in
                            .entry(*level)
                            .or_default()
                            .1
                            .extend(segments(*key, shape));
                    }
                }
            }
        }
        for (level, (gone, came)) in out_in {
            let tree = self.trees.entry(level).or_default();
            super::rekey_items(tree, gone, came, super::line_bits);
        }
        // The graph, near what changed.
        for step in steps {
            match step {
                Step::Gone(key) => self.forget(key),
                Step::Placed(key, level, shape, colour) => self.place(key, level, shape, colour),
                Step::Moved {
                    key,
                    level,
                    env,
                    gone,
                    came,
                } => self.moved(key, level, env, &gone, &came),
            }
        }
    }

    /// Grid `key`'s place, edges in the graph and colour taken out (its segments are out
    /// of the trees).
    fn forget(&mut self, key: u32) {
        if self.placed.remove(&key).is_none() {
            return;
        }
        for j in self.adj.remove(&key).unwrap_or_default() {
            if let Some(s) = self.adj.get_mut(&j) {
                s.remove(&key);
            }
        }
        self.colour.remove(&key);
    }

    /// Grid `key`, whose segments `gone` went out of the tree of `level` and `came` in:
    /// only the grids near them can gain or lose it as a neighbour (one that was near a
    /// segment taken out stays a neighbour when any other segment still touches it). The
    /// colour is kept where it still fits.
    fn moved(&mut self, key: u32, level: u8, env: Rect<f64>, gone: &[SegItem], came: &[SegItem]) {
        self.placed.insert(key, (level, env));
        let near_came = self.near_segments(level, key, came);
        let before_adj = self.adj.get(&key).cloned().unwrap_or_default();
        let mut after_adj = before_adj.clone();
        after_adj.extend(near_came.iter().copied());
        // Only a neighbour no segment that came is near may have been lost.
        if before_adj.iter().any(|j| !near_came.contains(j)) {
            let near_gone = self.near_segments(level, key, gone);
            for j in near_gone.difference(&near_came) {
                if before_adj.contains(j) && !self.touches(level, key, *j) {
                    after_adj.remove(j);
                }
            }
        }
        for j in before_adj.difference(&after_adj) {
            if let Some(s) = self.adj.get_mut(j) {
                s.remove(&key);
            }
        }
        for j in after_adj.difference(&before_adj) {
            self.adj.entry(*j).or_default().insert(key);
        }
        let changed = before_adj != after_adj;
        self.adj.insert(key, after_adj);
        if changed {
            let colour = self.colour(key);
            self.recolour(key, colour);
        }
    }

    /// Whether segments `s` and `hit` are near: either's midpoint within the tolerance of
    /// the other.
    fn near(&self, s: &SegItem, hit: &SegItem) -> bool {
        let tol2 = self.tol * self.tol;
        let (s, h) = (s.geom(), hit.geom());
        super::seg_dist2(xy(midpoint(s)), xy(h.from), xy(h.to)) <= tol2
            || super::seg_dist2(xy(midpoint(h)), xy(s.from), xy(s.to)) <= tol2
    }

    /// The other grids of `level` one of whose segments is near one of `segs` of `key`
    /// (within the tolerance grown box of it, and [`Self::near`]).
    fn near_segments(&self, level: u8, key: u32, segs: &[SegItem]) -> BTreeSet<u32> {
        let mut out = BTreeSet::new();
        if let Some(tree) = self.trees.get(&level) {
            each_near(tree, segs, self.tol, |s, hit| {
                if hit.data != key && self.near(s, hit) {
                    out.insert(hit.data);
                }
            });
        }
        out
    }

    /// Whether any segment of `key` is near any of `j`'s, both of `level`.
    fn touches(&self, level: u8, key: u32, j: u32) -> bool {
        let (Some(tree), Some(ek), Some(ej)) = (
            self.trees.get(&level),
            self.placed.get(&key).map(|p| p.1),
            self.placed.get(&j).map(|p| p.1),
        ) else {
            return false;
        };
        let both = super::expand(ek, self.tol);
        if !super::rects_intersect(&both, &super::expand(ej, self.tol)) {
            return false;
        }
        let near_key = |part: &[SegItem]| {
            let mut found = false;
            each_near(tree, part, self.tol, |u, hit| {
                found = found || (hit.data == key && self.near(u, hit));
            });
            found
        };
        // A run at a time as the tree gives them, to stop at the first pair found.
        let mut part: Vec<SegItem> = Vec::with_capacity(RUN);
        for u in tree
            .locate_in_envelope_intersecting(&super::aabb(both))
            .filter(|u| u.data == j)
        {
            part.push(*u);
            if part.len() == RUN {
                if near_key(&part) {
                    return true;
                }
                part.clear();
            }
        }
        near_key(&part)
    }

    /// Grid `key` (its segments in the tree of `level`) placed with its shape: neighbours
    /// found both ways, and a colour that differs from theirs (keeping its old one when
    /// that still fits).
    fn place(&mut self, key: u32, level: u8, mp: &MultiPolygon<f64>, old_colour: Option<u8>) {
        let Some(env) = super::envelope(mp).filter(|e| e.min().x.is_finite()) else {
            return;
        };
        let near = self.near_own_midpoints(key, level, &segments(key, mp), true);
        self.placed.insert(key, (level, env));
        let set = self.adj.entry(key).or_default();
        set.extend(near.iter().copied());
        for j in &near {
            self.adj.entry(*j).or_default().insert(key);
        }
        self.recolour(key, old_colour);
    }

    /// Give `key` a colour none of its neighbours has: its old one if it still fits, else
    /// the smallest free one; when every colour is taken, a neighbour that can move to a
    /// free colour of its own makes room.
    fn recolour(&mut self, key: u32, old: Option<u8>) {
        let near: Vec<u32> = self.adj.get(&key).into_iter().flatten().copied().collect();
        let used: Vec<u8> = near
            .iter()
            .filter_map(|j| self.colour.get(j).copied())
            .collect();
        if let Some(c) = old.filter(|c| !used.contains(c) && usize::from(*c) < self.colours) {
            self.colour.insert(key, c);
            return;
        }
        let free = (0..self.colours as u8).find(|c| !used.contains(c));
        if let Some(c) = free {
            self.colour.insert(key, c);
            return;
        }
        // Every colour is taken: move a neighbour whose colour only it uses here.
        for &j in &near {
            let cj = self.colour[&j];
            if used.iter().filter(|&&u| u == cj).count() != 1 {
                continue;
            }
            let theirs: Vec<u8> = self
                .adj
                .get(&j)
                .into_iter()
                .flatten()
                .filter(|&&k| k != key)
                .filter_map(|k| self.colour.get(k).copied())
                .collect();
            if let Some(c) = (0..self.colours as u8).find(|c| *c != cj && !theirs.contains(c)) {
                self.colour.insert(j, c);
                self.colour.insert(key, cj);
                return;
            }
        }
        let c = pick_colour(used.iter().map(|&c| usize::from(c)), self.colours) as u8;
        self.colour.insert(key, c);
    }

    pub fn colour(&self, key: u32) -> Option<u8> {
        self.colour.get(&key).copied()
    }

    pub fn neighbours(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        self.adj.get(&key).into_iter().flatten().copied()
    }

    /// The graph as sorted (key, neighbours) lists, to compare two graphs.
    pub fn graph(&self) -> Vec<(u32, Vec<u32>)> {
        let mut v: Vec<(u32, Vec<u32>)> = self
            .adj
            .iter()
            .map(|(k, s)| (*k, s.iter().copied().collect()))
            .collect();
        v.sort_unstable();
        v
    }

    /// Pairs of neighbours with the same colour (none where the palette sufficed).
    pub fn clashes(&self) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for (k, s) in &self.adj {
            for j in s.iter().filter(|j| *j > k) {
                if self.colour.get(k) == self.colour.get(j) {
                    v.push((*k, *j));
                }
            }
        }
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0)],
        ])
    }

    #[test]
    fn a_chessboard_needs_two_colours_and_corners_do_not_count() {
        let squares: Vec<_> = (0..16)
            .map(|k| square((k % 4) as f64, (k / 4) as f64))
            .collect();
        let refs: Vec<_> = squares.iter().collect();
        let nb = neighbours(&refs, 1e-6);
        // An inner square has four edge neighbours, each sharing 1 m; diagonal squares only
        // touch at a corner.
        assert_eq!(nb[5], vec![(1, 1.0), (4, 1.0), (6, 1.0), (9, 1.0)]);
        let adj: Vec<Vec<usize>> = nb.iter().map(|l| l.iter().map(|e| e.0).collect()).collect();
        let c = colouring(&adj, 8);
        assert_eq!(c.iter().max(), Some(&1));
        for (i, l) in adj.iter().enumerate() {
            assert!(l.iter().all(|&j| c[j] != c[i]));
        }
    }
}
