//! Overlaps between neighbours, and the tiling of each parent by its children: gaps,
//! slivers and children outside their parent, measured in m² and metres.
//!
//! A parent's tiling is one winding-number field (children's edges minus the parent's);
//! what does not cancel falls into pieces whose envelopes do not meet, each measured on its
//! own, so an edit re-measures only the pieces near it.
//!
//! Also the auditor's tiling bookkeeping: which tiling each grid's edges go into, built at
//! once for a full audit and moved grid by grid on an update.

use super::finding::{Finding, Kind, Severity, round3};
use super::store::Source;
use super::{AuditConfig, Auditor, GroupKey, Look, Work};
use crate::geom::{self, WindingRule};
use crate::model::{ChangeSet, Grid, Level, Project};
use geo::{BooleanOps, Coord, CoordsIter, LineString, MultiLineString, MultiPolygon, Rect};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;

fn level_zh(level: u8) -> &'static str {
    match level {
        1 => "一级网格",
        2 => "二级网格",
        3 => "三级网格",
        4 => "四级网格",
        _ => "网格",
    }
}

/// A grid in a stack: more grids than can be paired one by one lie on top of it (copies
/// pasted many times, outlines drawn inside one another). One finding for the grid, at its
/// envelope, instead of one per pair.
pub(super) fn stacked(g: &Grid, at_least: usize) -> Vec<Finding> {
    let f = Finding::new(
        Kind::Overlap,
        Severity::Error,
        vec![g.id.clone()],
        format!(
            "{}「{}」处有 {at_least} 个以上网格层层叠压（重复粘贴或套画），未逐对检查重叠。请先删除多余的网格。",
            level_zh(g.level),
            g.label()
        ),
        format!(
            "Grid {} lies in a stack of more than {at_least} grids on top of one another (pasted or drawn over and over); overlaps were not checked pair by pair. Delete the extra grids first.",
            g.label()
        ),
    );
    let at = geom::envelope(&g.geometry).map(|e| MultiPolygon(vec![e.to_polygon()]));
    vec![match at {
        Some(r) => f.with_geometry(r),
        None => f,
    }]
}

/// The margin around an area of interest when a polygon is cut down to it before an exact
/// boolean operation ([`geom::clip_to_rect`]): what lies within it is the polygon as it is.
const CLIP_MARGIN: f64 = 1.0;

/// The rectangle a polygon is cut down to for an exact boolean operation within `r`.
pub(super) fn clip_rect(r: Rect<f64>) -> Rect<f64> {
    geom::expand(r, CLIP_MARGIN)
}

/// Overlap (or duplicate) of grids `a` and `b`, which can only meet inside `within` (the
/// envelope of their invalid edges: every edge bounding an overlap is invalid; None: look
/// at them whole).
pub(super) fn overlap(
    a: &Grid,
    b: &Grid,
    within: Option<Rect<f64>>,
    cfg: &AuditConfig,
) -> Vec<Finding> {
    let inter = match within {
        Some(r) => {
            let r = clip_rect(r);
            geom::clip_to_rect(&a.geometry, r).intersection(&geom::clip_to_rect(&b.geometry, r))
        }
        None => a.geometry.intersection(&b.geometry),
    };
    let inter = geom::wider_than(inter, cfg.noise_width());
    let area = geom::area(&inter);
    if area < cfg.min_area_m2 {
        return Vec::new();
    }
    let (aa, ab) = (geom::area(&a.geometry), geom::area(&b.geometry));
    let (first, second) = if a.id <= b.id { (a, b) } else { (b, a) };
    let ids = vec![first.id.clone(), second.id.clone()];
    let tol = 1e-6 * aa.max(ab).max(1.0);
    let f = if (area - aa).abs() <= tol && (area - ab).abs() <= tol {
        Finding::new(
            Kind::Duplicate,
            Severity::Error,
            ids,
            format!(
                "网格「{}」与「{}」几何完全相同（重复网格）。请删除其一。",
                first.label(),
                second.label()
            ),
            format!(
                "Grids {} and {} have the same geometry (duplicate). Delete one of them.",
                first.label(),
                second.label()
            ),
        )
    } else {
        Finding::new(
            Kind::Overlap,
            Severity::Error,
            ids,
            format!(
                "{}「{}」与「{}」重叠 {:.1} m²。可用「合并」或「节点编辑」修正。",
                level_zh(a.level),
                first.label(),
                second.label(),
                area
            ),
            format!(
                "Grids {} and {} overlap by {:.1} m². Fix with Merge or Edit vertices.",
                first.label(),
                second.label(),
                area
            ),
        )
    };
    let mut f = f.with_geometry(inter);
    f.area_m2 = Some(round3(area));
    vec![f]
}

/// An undirected edge by the bits of its endpoints, smaller endpoint first.
pub(super) type EdgeKey = [u64; 4];

/// The directed edges of a multipolygon's rings (exterior counter-clockwise) as undirected
/// keys with +1 where the edge runs from the smaller endpoint to the larger, -1 otherwise;
/// `reverse` flips every sign (a parent subtracts its area).
pub(super) fn signed_edges(mp: &MultiPolygon<f64>, reverse: bool) -> Vec<(EdgeKey, i32)> {
    let mut edges = Vec::new();
    geom::push_directed_edges(mp, reverse, &mut edges);
    edges
        .into_iter()
        .map(|(a, b)| {
            let (ka, kb) = (geom::coord_key(a), geom::coord_key(b));
            if geom::coord_cmp(a, b).is_le() {
                ([ka.0, ka.1, kb.0, kb.1], 1)
            } else {
                ([kb.0, kb.1, ka.0, ka.1], -1)
            }
        })
        .collect()
}

/// What a child gives its parent's winding field: its own edges when it is valid, the
/// outline of its repaired rings when it is not (so an invalid grid still covers its area
/// and is not also reported as a gap), nothing when it has non-finite coordinates.
pub(super) fn child_edges(g: &Grid, usable: bool) -> Vec<(EdgeKey, i32)> {
    if usable {
        signed_edges(&g.geometry, false)
    } else {
        repaired_edges(g)
    }
}

/// [`child_edges`] of a grid that is not usable: the outline of its repaired rings.
pub(super) fn repaired_edges(g: &Grid) -> Vec<(EdgeKey, i32)> {
    let finite = g.geometry.0.iter().all(|p| {
        p.exterior()
            .0
            .iter()
            .all(|v| v.x.is_finite() && v.y.is_finite())
    });
    if !finite {
        return Vec::new();
    }
    // The overlay rounds every coordinate to its integer grid (a step of about 2^-30 of the
    // extent): put the vertices that did not move back, so the outline keeps the edges
    // it shares with its neighbours, and what changes as the grid is edited stays where the
    // edit is. The vertices to put back are put in cells while the overlay runs.
    let extent = geom::envelope(&g.geometry).map_or(0.0, |e| e.width().max(e.height()));
    let (repaired, anchors) = geom::par::join_if(
        g.geometry.coords_count() > geom::par::TWO_CORES_AT,
        || geom::fill_cycles(&geom::polygon_contours(&g.geometry), WindingRule::NonZero),
        || geom::PointCells::of_vertices(std::iter::once(&g.geometry), extent * (-22f64).exp2()),
    );
    signed_edges(&geom::snap_back(&repaired, &anchors), false)
}

fn key_coords(k: &EdgeKey) -> (Coord<f64>, Coord<f64>) {
    (
        Coord {
            x: f64::from_bits(k[0]),
            y: f64::from_bits(k[1]),
        },
        Coord {
            x: f64::from_bits(k[2]),
            y: f64::from_bits(k[3]),
        },
    )
}

fn key_rect(k: &EdgeKey) -> Rect<f64> {
    let (a, b) = key_coords(k);
    Rect::new(a, b)
}

/// One connected piece of what is left of a parent's winding field after opposite edges
/// cancel: its edges' envelopes overlap no other piece's, so its gaps and outside parts can
/// be measured alone, and after an edit only the pieces near it are measured again.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Piece {
    /// Stable across runs: a hash of the group and the edges.
    pub id: u64,
    /// Sorted edge keys.
    pub keys: Vec<EdgeKey>,
    pub bbox: Rect<f64>,
    /// Where its findings can lie: the envelopes of its loops that can enclose a reported
    /// area (set when it is measured). A change elsewhere in its bbox that leaves its edges
    /// as they were cannot change its findings.
    pub hot: Vec<Rect<f64>>,
}

/// The winding field of one parent and its children: the net count of every edge that did
/// not cancel, and its pieces.
#[derive(Debug, Default)]
pub(super) struct Tiling {
    net: FxHashMap<EdgeKey, i32>,
    /// The net count, before the first change since the last refresh, of every edge
    /// changed since.
    was: FxHashMap<EdgeKey, i32>,
    pub pieces: Vec<Piece>,
    /// Number of children: a parent without children has nothing to tile.
    pub members: usize,
    /// The parent's edges are in the field (only while it has children).
    pub parent_in: bool,
}

impl Tiling {
    /// A field from all contributions at once (parallel sort; no hashing of cancelled edges).
    pub fn from_edges(mut all: Vec<(EdgeKey, i32)>) -> Self {
        use rayon::prelude::*;
        all.par_sort_unstable_by(|x, y| x.0.cmp(&y.0));
        let mut net = FxHashMap::default();
        let mut i = 0;
        while i < all.len() {
            let mut j = i;
            let mut n = 0;
            while j < all.len() && all[j].0 == all[i].0 {
                n += all[j].1;
                j += 1;
            }
            if n != 0 {
                net.insert(all[i].0, n);
            }
            i = j;
        }
        Tiling {
            net,
            was: FxHashMap::default(),
            pieces: Vec::new(),
            members: 0,
            parent_in: false,
        }
    }

    /// Nothing left to cancel and no pieces.
    pub fn is_empty(&self) -> bool {
        self.net.is_empty() && self.pieces.is_empty() && self.members == 0
    }

    /// Add (`sign` 1) or take away (`sign` -1) a contribution.
    pub fn add(&mut self, edges: &[(EdgeKey, i32)], sign: i32) {
        for (k, s) in edges {
            let e = self.net.entry(*k).or_insert(0);
            self.was.entry(*k).or_insert(*e);
            *e += s * sign;
            if *e == 0 {
                self.net.remove(k);
            }
        }
    }

    /// The net directed edges of a piece, in key order.
    pub fn edges_of(&self, keys: &[EdgeKey]) -> Vec<(Coord<f64>, Coord<f64>)> {
        let mut out = Vec::new();
        for k in keys {
            let n = self.net.get(k).copied().unwrap_or(0);
            let (lo, hi) = key_coords(k);
            for _ in 0..n.unsigned_abs() {
                out.push(if n > 0 { (lo, hi) } else { (hi, lo) });
            }
        }
        out
    }

    /// Rebuild the pieces whose edges changed or which meet an edge that changed, and the
    /// pieces whose findings lie near any of `dirty` (the grids changed: their names and
    /// shapes are in the findings); every piece when `dirty` is None. Returns the ids of
    /// the pieces that went and the pieces that came.
    pub fn refresh(
        &mut self,
        group: &impl std::hash::Hash,
        dirty: Option<&[Rect<f64>]>,
    ) -> (Vec<u64>, Vec<Piece>) {
        let net = &self.net;
        let changed: Vec<EdgeKey> = self
            .was
            .drain()
            .filter(|(k, n)| net.get(k).copied().unwrap_or(0) != *n)
            .map(|(k, _)| k)
            .collect();
        // As trees: a stack of grids makes as many pieces and edges as it has grids, and
        // testing each against each would be quadratic.
        let tree = |rects: &mut dyn Iterator<Item = Rect<f64>>| {
            geom::envelope_tree(
                rects
                    .enumerate()
                    .map(|(i, r)| (i, Some(geom::expand(r, 1e-6)))),
            )
        };
        let meets = |t: &geom::EnvelopeTree, r: &Rect<f64>| {
            t.locate_in_envelope_intersecting(&geom::aabb(*r))
                .next()
                .is_some()
        };
        let (mut gone, mut keep): (Vec<Piece>, Vec<Piece>) = match dirty {
            None => (std::mem::take(&mut self.pieces), Vec::new()),
            Some(rects) => {
                let edges = tree(&mut changed.iter().map(key_rect));
                let areas = tree(&mut rects.iter().copied());
                std::mem::take(&mut self.pieces).into_iter().partition(|p| {
                    meets(&edges, &p.bbox)
                        || p.hot
                            .iter()
                            .any(|h| meets(&areas, &geom::expand(*h, ADJACENT)))
                })
            }
        };
        // The edges to regroup: those of the pieces that go and those that changed (every
        // edge of the field when all is measured again).
        let mut keys: Vec<EdgeKey> = gone.iter().flat_map(|p| p.keys.iter().copied()).collect();
        match dirty {
            None => keys.extend(self.net.keys().copied()),
            Some(_) => keys.extend(changed),
        }
        keys.retain(|k| self.net.contains_key(k));
        keys.sort_unstable();
        keys.dedup();
        let mut came = Vec::new();
        loop {
            let pieces = cluster(&keys);
            // A new piece that meets a kept one swallows it: the pieces must stay apart.
            let new = geom::envelope_tree(pieces.iter().enumerate().map(|(i, p)| (i, Some(p.1))));
            let (meet, apart): (Vec<Piece>, Vec<Piece>) = keep.into_iter().partition(|k| {
                new.locate_in_envelope_intersecting(&geom::aabb(k.bbox))
                    .next()
                    .is_some()
            });
            keep = apart;
            if meet.is_empty() {
                for (ks, bbox) in pieces {
                    let id = {
                        use std::hash::{Hash, Hasher};
                        let mut h = rustc_hash::FxHasher::default();
                        group.hash(&mut h);
                        ks.hash(&mut h);
                        h.finish()
                    };
                    came.push(Piece {
                        id,
                        keys: ks,
                        bbox,
                        hot: Vec::new(),
                    });
                }
                break;
            }
            for m in meet {
                keys.extend(m.keys.iter().copied());
                gone.push(m);
            }
            keys.sort_unstable();
            keys.dedup();
        }
        let gone_ids: Vec<u64> = gone.iter().map(|p| p.id).collect();
        self.pieces = keep;
        self.pieces.extend(came.iter().cloned());
        self.pieces.sort_by_key(|p| p.id);
        (gone_ids, came)
    }
}

/// Group edges into pieces whose envelopes do not meet: union-find over overlapping edge
/// envelopes, then pieces merged until no two envelopes meet (past [`CLUSTER_AT_ONCE`]
/// edges, cut apart along free lines first). Keys come out sorted.
fn cluster(keys: &[EdgeKey]) -> Vec<(Vec<EdgeKey>, Rect<f64>)> {
    if keys.len() <= CLUSTER_AT_ONCE {
        return cluster_near(keys);
    }
    // Many edges (a stack of grids drawn over one another): cut them first along lines no
    // envelope crosses, alternating x and y; what no line cuts and is still large is one
    // piece. The R-tree of long nested edges would make every query visit most of the
    // tree.
    let rects: Vec<Rect<f64>> = keys.iter().map(key_rect).collect();
    let mut out: Vec<(Vec<EdgeKey>, Rect<f64>)> = Vec::new();
    let mut todo: Vec<(Vec<usize>, bool, bool)> = vec![((0..keys.len()).collect(), true, false)];
    while let Some((idx, along_x, other_failed)) = todo.pop() {
        if idx.len() <= CLUSTER_AT_ONCE {
            let ks: Vec<EdgeKey> = idx.iter().map(|&i| keys[i]).collect();
            out.extend(cluster_near(&ks));
            continue;
        }
        let mut parts = cut(&idx, &rects, along_x);
        if parts.len() > 1 {
            todo.extend(parts.into_iter().map(|p| (p, !along_x, false)));
        } else if !other_failed {
            todo.push((parts.remove(0), !along_x, true));
        } else {
            let bbox = idx
                .iter()
                .map(|&i| rects[i])
                .reduce(geom::union_rect)
                .expect("a part is not empty");
            let mut ks: Vec<EdgeKey> = idx.iter().map(|&i| keys[i]).collect();
            ks.sort_unstable();
            out.push((ks, bbox));
        }
    }
    out.sort_by(|a, b| a.0[0].cmp(&b.0[0]));
    out
}

/// More edges than this are cut apart along free lines before they are clustered.
const CLUSTER_AT_ONCE: usize = 20_000;

/// `idx` in runs along x (or y) separated by lines no envelope crosses or touches.
fn cut(idx: &[usize], rects: &[Rect<f64>], along_x: bool) -> Vec<Vec<usize>> {
    let lo = |r: &Rect<f64>| if along_x { r.min().x } else { r.min().y };
    let hi = |r: &Rect<f64>| if along_x { r.max().x } else { r.max().y };
    let mut order = idx.to_vec();
    order.sort_by(|&a, &b| lo(&rects[a]).total_cmp(&lo(&rects[b])));
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut reach = f64::NEG_INFINITY;
    for i in order {
        if parts.is_empty() || lo(&rects[i]) > reach {
            parts.push(Vec::new());
            reach = hi(&rects[i]);
        }
        reach = reach.max(hi(&rects[i]));
        if let Some(p) = parts.last_mut() {
            p.push(i);
        }
    }
    parts
}

/// Group edges into the pieces whose envelopes do not meet: edges joined end to end
/// (union-find over their end points: a ring's edges are one group without a tree), then
/// groups whose envelopes meet merged until none do (each round through an R-tree of the
/// groups' envelopes). Two edges whose envelopes meet end in one piece, as when they are
/// grouped by their envelopes first: their groups' envelopes meet.
fn cluster_near(keys: &[EdgeKey]) -> Vec<(Vec<EdgeKey>, Rect<f64>)> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    if keys.is_empty() {
        return Vec::new();
    }
    let mut parent: Vec<usize> = (0..keys.len()).collect();
    let mut at_end: FxHashMap<[u64; 2], usize> = FxHashMap::default();
    for (i, k) in keys.iter().enumerate() {
        for end in [[k[0], k[1]], [k[2], k[3]]] {
            let j = *at_end.entry(end).or_insert(i);
            let (x, y) = (root(&mut parent, i), root(&mut parent, j));
            if x != y {
                parent[x.max(y)] = x.min(y);
            }
        }
    }
    let mut groups: FxHashMap<usize, (Vec<EdgeKey>, Rect<f64>)> = FxHashMap::default();
    for (i, k) in keys.iter().enumerate() {
        let r = key_rect(k);
        let e = groups
            .entry(root(&mut parent, i))
            .or_insert_with(|| (Vec::new(), r));
        e.0.push(*k);
        e.1 = geom::union_rect(e.1, r);
    }
    let mut pieces: Vec<(Vec<EdgeKey>, Rect<f64>)> = groups.into_values().collect();
    // Merge pieces whose envelopes meet until none do.
    loop {
        let boxes: Vec<Rect<f64>> = pieces.iter().map(|p| p.1).collect();
        let group = geom::overlapping_groups(&boxes);
        if group.iter().enumerate().all(|(i, &g)| g == i) {
            break;
        }
        let mut merged: FxHashMap<usize, (Vec<EdgeKey>, Rect<f64>)> = FxHashMap::default();
        for (p, g) in pieces.into_iter().zip(group) {
            match merged.entry(g) {
                std::collections::hash_map::Entry::Occupied(mut q) => {
                    let q = q.get_mut();
                    q.0.extend(p.0);
                    q.1 = geom::union_rect(q.1, p.1);
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(p);
                }
            }
        }
        pieces = merged.into_values().collect();
    }
    for p in &mut pieces {
        p.0.sort_unstable();
    }
    pieces.sort_by(|a, b| a.0[0].cmp(&b.0[0]));
    pieces
}

/// The parent a group of children must tile.
pub(super) struct ParentInfo<'a> {
    pub id: String,
    pub label: String,
    /// None where there is no parent area (the holes between the children are the gaps).
    pub geometry: Option<&'a MultiPolygon<f64>>,
}

/// A piece's findings and where they can lie ([`Piece::hot`]).
pub(super) type Measured = (Vec<Finding>, Vec<Rect<f64>>);

/// A piece of a tiling to measure: its tiling, its id and its edges.
pub(super) type PieceJob = (GroupKey, u64, Vec<(Coord<f64>, Coord<f64>)>);

/// A piece measured: its tiling, its id, its findings and the envelopes of its loops.
pub(super) type MeasuredPiece = (GroupKey, u64, Measured);

/// Gaps, slivers and outside-parent parts of one piece of a parent's tiling. `children`
/// gives the usable children whose envelope meets a rectangle, sorted by id. With them,
/// the envelopes of the loops that can hold a finding (see [`Piece::hot`]).
pub(super) fn piece_findings<'g>(
    parent: &ParentInfo,
    edges: &[(Coord<f64>, Coord<f64>)],
    children: &dyn Fn(Rect<f64>) -> Vec<&'g Grid>,
    cfg: &AuditConfig,
) -> Measured {
    // Every gap and outside part is at least the smallest area reported: the loops that
    // cannot enclose as much (a parent drawn along its children to within rounding, its
    // boundary one long chain of specks) are not overlaid.
    let cycles = crate::timing::timed("tiling: loops", || {
        geom::loops_enclosing(&geom::edges_to_cycles(edges), cfg.min_area_m2)
    });
    let hot = cycles
        .iter()
        .filter_map(|c| geom::coords_envelope(c.iter().map(|p| Coord { x: p[0], y: p[1] })))
        .collect();
    (measure_piece(parent, &cycles, children, cfg), hot)
}

/// The findings of a piece's loops that can enclose a reported area.
fn measure_piece<'g>(
    parent: &ParentInfo,
    cycles: &[Vec<[f64; 2]>],
    children: &dyn Fn(Rect<f64>) -> Vec<&'g Grid>,
    cfg: &AuditConfig,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if cycles.is_empty() {
        return out;
    }
    // Gap polygons: inside the parent and covered by no child.
    let mut clock = std::time::Instant::now();
    let gaps: Vec<geo::Polygon<f64>> = match parent.geometry {
        Some(_) => geom::fill_cycles(cycles, WindingRule::Negative).0,
        None => {
            // Without a parent, the holes of the children's union are the gaps.
            let union = geom::fill_cycles(cycles, WindingRule::Positive);
            union
                .0
                .iter()
                .flat_map(|p| {
                    p.interiors()
                        .iter()
                        .map(|h| geom::canonical_polygon(&geo::Polygon::new(h.clone(), vec![])))
                })
                .collect()
        }
    };
    crate::timing::phase("tiling: gaps filled", &mut clock);
    let (parent_id, parent_label) = (&parent.id, &parent.label);
    let mut index = FxHashMap::default();
    for gap in gaps {
        let mp = MultiPolygon(vec![gap]);
        let area = geom::area(&mp);
        if area < cfg.min_area_m2 || !geom::is_wider_than(&mp.0[0], cfg.noise_width()) {
            continue;
        }
        // Width to 1% of the gap width for slivers, and to 1% of the expected radius
        // (2·area/perimeter) for large gaps, so a big gap does not cost a fine search.
        let perimeter: f64 = {
            use geo::{Euclidean, Length};
            mp.0.iter().map(|p| Euclidean.length(p.exterior())).sum()
        };
        let radius_guess = if perimeter > 0.0 {
            2.0 * area / perimeter
        } else {
            0.0
        };
        let tolerance = (cfg.gap_width / 100.0).max(radius_guess / 100.0).max(1e-4);
        crate::timing::phase("tiling: gap area and wider", &mut clock);
        let (_, r) = geom::max_inscribed_circle(&mp, tolerance);
        let width = 2.0 * r;
        crate::timing::phase("tiling: gap width", &mut clock);
        let near = adjacent(&mp, children, &mut index);
        crate::timing::phase("tiling: gap neighbours", &mut clock);
        let mut ids: Vec<String> = near.iter().map(|g| g.id.clone()).collect();
        ids.sort();
        let names: Vec<&str> = near.iter().map(|g| g.label()).collect();
        // "Between" takes two: one grid alone is the grid the gap lies along.
        let near_zh = match names.len() {
            0 => String::new(),
            1 => format!("，紧邻「{}」", names[0]),
            _ => format!("，位于「{}」之间", some_names(&names, "」「")),
        };
        let near_en = if names.is_empty() {
            String::new()
        } else {
            format!(" next to {}", some_names(&names, ", "))
        };
        ids.push(parent_id.clone());
        let sliver = width <= cfg.gap_width;
        let f = if sliver {
            Finding::new(
                Kind::Sliver,
                Severity::Error,
                ids,
                format!(
                    "「{parent_label}」内有细缝 {area:.2} m²，宽 {width:.2} m{near_zh}。请用「节点编辑」使相邻网格共用边界。"
                ),
                format!(
                    "Sliver of {area:.2} m², {width:.2} m wide, inside {parent_label}{near_en}. Snap the neighbours' edges together with Edit vertices."
                ),
            )
        } else {
            Finding::new(
                Kind::Gap,
                Severity::Error,
                ids,
                format!(
                    "「{parent_label}」内有缝隙 {area:.1} m²，宽 {width:.1} m{near_zh}，不属于任何下级网格。可用「填补缝隙」修正。"
                ),
                format!(
                    "Gap of {area:.1} m², {width:.1} m wide, inside {parent_label}{near_en}, covered by no child grid. Fix with Fill gap."
                ),
            )
        };
        let mut f = f.with_geometry(mp);
        f.area_m2 = Some(round3(area));
        f.width_m = Some(round3(width));
        out.push(f);
    }
    // Children reaching outside their parent: where the winding number is positive
    // (children overlap each other or leave the parent), minus the parent.
    if let Some(parent_geom) = parent.geometry {
        let positive = geom::fill_cycles(cycles, WindingRule::Positive);
        crate::timing::phase("tiling: positive filled", &mut clock);
        if positive.0.is_empty() {
            return out;
        }
        // Only the parent near the positive parts matters: cut it to them (with a margin)
        // so a village boundary of 10,000 vertices is not overlaid whole for one speck.
        let near_parent = match geom::envelope(&positive) {
            Some(e) => geom::clip_to_rect(parent_geom, clip_rect(e)),
            None => return out,
        };
        let outside_all = geom::wider_than(positive.difference(&near_parent), cfg.noise_width());
        let Some(env) = geom::envelope(&outside_all) else {
            return out;
        };
        for c in children(env) {
            let Some(ce) = geom::envelope(&c.geometry) else {
                continue;
            };
            let near: Vec<geo::Polygon<f64>> = outside_all
                .0
                .iter()
                .filter(|o| {
                    geom::envelope(&MultiPolygon(vec![(*o).clone()]))
                        .is_some_and(|e| geom::rects_intersect(&e, &ce))
                })
                .cloned()
                .collect();
            if near.is_empty() {
                continue;
            }
            let near = MultiPolygon(near);
            let Some(ne) = geom::envelope(&near) else {
                continue;
            };
            let child = geom::clip_to_rect(&c.geometry, clip_rect(ne));
            let outside = geom::wider_than(child.intersection(&near), cfg.noise_width());
            let area = geom::area(&outside);
            if area < cfg.min_area_m2 {
                continue;
            }
            let mut f = Finding::new(
                Kind::OutsideParent,
                Severity::Error,
                vec![c.id.clone(), parent_id.clone()],
                format!("{}「{}」有 {:.1} m² 超出上级网格「{}」。请用「节点编辑」或「避让」收回到上级范围内。", level_zh(c.level), c.label(), area, parent_label),
                format!("Grid {} extends {:.1} m² outside its parent {}. Pull it back inside with Edit vertices.", c.label(), area, parent_label),
            )
            .with_geometry(outside);
            f.area_m2 = Some(round3(area));
            out.push(f);
        }
    }
    out
}

/// The segments of a child's rings, indexed: a gap is matched to the children around it
/// by looking only at the segments near it (a child with 100,000 holes beside 100,000 gaps
/// stays near-linear).
type SegmentTree =
    rstar::RTree<rstar::primitives::GeomWithData<rstar::primitives::Line<[f64; 2]>, ()>>;

/// The segments of a grid's rings, as pairs of points.
fn ring_segments(g: &Grid) -> impl Iterator<Item = &[Coord<f64>]> {
    g.geometry
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2))
}

fn segment_tree(g: &Grid) -> SegmentTree {
    use rstar::primitives::{GeomWithData, Line};
    rstar::RTree::bulk_load(
        ring_segments(g)
            .map(|w| GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), ()))
            .collect(),
    )
}

/// A child this close to a gap (m) lies along it.
const ADJACENT: f64 = 1e-3;

/// Points hashed into square cells of [`ADJACENT`], one kept per cell: a point within
/// that of a kept point is found in nine lookups. A sufficient test of nearness only (a
/// point near a dropped one is not found).
struct Cells(FxHashMap<(i64, i64), Coord<f64>>);

impl Cells {
    fn cell(c: Coord<f64>) -> (i64, i64) {
        (
            (c.x / ADJACENT).floor() as i64,
            (c.y / ADJACENT).floor() as i64,
        )
    }

    fn of(pts: impl Iterator<Item = Coord<f64>>) -> Self {
        let mut cells = FxHashMap::default();
        for p in pts {
            cells.entry(Self::cell(p)).or_insert(p);
        }
        Cells(cells)
    }

    fn near(&self, v: Coord<f64>) -> bool {
        let (i, j) = Self::cell(v);
        (-1..=1).any(|di| {
            (-1..=1).any(|dj| {
                self.0
                    .get(&(i.saturating_add(di), j.saturating_add(dj)))
                    .is_some_and(|p| {
                        let (dx, dy) = (p.x - v.x, p.y - v.y);
                        dx * dx + dy * dy <= ADJACENT * ADJACENT
                    })
            })
        })
    }
}

/// A child of no more than this many segments per point of the area is looked at
/// segment by segment (bounded by the area's size), a larger one indexed.
const SMALL_CHILD: usize = 4;

/// A large child's vertices hashed, and its segments indexed once an area comes that
/// none of its vertices is near.
type ChildIndex = (Cells, Option<SegmentTree>);

/// Children whose boundary touches the area (within [`ADJACENT`]), in id order.
///
/// A vertex of the child that near a point of the area settles it (the usual case: the
/// area is traced along its children's vertices, to the overlay's rounding): a child of
/// at most [`SMALL_CHILD`] segments per point of the area has its vertices looked up in
/// the area's points hashed; a larger one is hashed once, in `index`, and the area's points
/// looked up in it. Otherwise the distances decide: the small child's segments against an
/// index of the area's points (a deleted grid's gap beside its neighbours: nothing of
/// theirs is indexed), the area's points against the large child's segments, indexed
/// once (a child with 100,000 holes beside 100,000 gaps stays near-linear).
fn adjacent<'a>(
    area: &MultiPolygon<f64>,
    children: &dyn Fn(Rect<f64>) -> Vec<&'a Grid>,
    index: &mut FxHashMap<&'a str, ChildIndex>,
) -> Vec<&'a Grid> {
    let Some(env) = geom::envelope(area) else {
        return Vec::new();
    };
    let env = geom::expand(env, ADJACENT);
    let pts: Vec<Coord<f64>> = area
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter().copied())
        .collect();
    let near = |p: Coord<f64>, a: Coord<f64>, b: Coord<f64>| {
        geom::seg_dist2(p, a, b) <= ADJACENT * ADJACENT
    };
    let mut cells: Option<Cells> = None;
    let mut points: Option<rstar::RTree<[f64; 2]>> = None;
    children(env)
        .into_iter()
        .filter(|c| {
            let small = ring_segments(c).count() <= SMALL_CHILD * pts.len();
            if !index.contains_key(c.id.as_str()) && small {
                let cells = cells.get_or_insert_with(|| Cells::of(pts.iter().copied()));
                // A vertex outside the area's envelope (grown by ADJACENT) is near
                // none of its points: the hash is asked only for those inside.
                let inside = |v: Coord<f64>| geom::rect_contains(&env, &Rect::new(v, v));
                if ring_segments(c).any(|w| inside(w[0]) && cells.near(w[0])) {
                    return true;
                }
                let points = points.get_or_insert_with(|| {
                    rstar::RTree::bulk_load(pts.iter().map(|p| [p.x, p.y]).collect())
                });
                return ring_segments(c).any(|w| {
                    let seg = Rect::new(w[0], w[1]);
                    geom::rects_intersect(&seg, &env)
                        && points
                            .locate_in_envelope(&geom::aabb(geom::expand(seg, ADJACENT)))
                            .any(|q| near(Coord { x: q[0], y: q[1] }, w[0], w[1]))
                });
            }
            let (vertices, tree) = index
                .entry(c.id.as_str())
                .or_insert_with(|| (Cells::of(ring_segments(c).map(|w| w[0])), None));
            if pts.iter().any(|&p| vertices.near(p)) {
                return true;
            }
            let tree = tree.get_or_insert_with(|| segment_tree(c));
            pts.iter().any(|&p| {
                tree.locate_in_envelope_intersecting(&rstar::AABB::from_corners(
                    [p.x - ADJACENT, p.y - ADJACENT],
                    [p.x + ADJACENT, p.y + ADJACENT],
                ))
                .any(|l| {
                    let (a, b) = (l.geom().from, l.geom().to);
                    near(p, Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] })
                })
            })
        })
        .collect()
}

/// Names for a message: the first few, and how many more.
fn some_names(names: &[&str], sep: &str) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(sep);
    if names.len() > SHOWN {
        s.push_str(&format!(" … (+{})", names.len() - SHOWN));
    }
    s
}

/// The invalid edges of grid `g` that no gap, sliver, overlap or outside part explains
/// (`related`: the areas of those findings that name it): edges that miss a neighbour's
/// without enclosing any area (a vertex not shared, a T-junction) or whose area is below
/// the threshold.
pub(super) fn unexplained_edges(
    g: &Grid,
    lines: &MultiLineString<f64>,
    related: &[&MultiPolygon<f64>],
) -> Option<Finding> {
    // An invalid segment is explained when it touches the boundary of an overlap, gap,
    // sliver or outside part of this grid: the area finding already says what is wrong.
    let explained = |a: Coord<f64>, b: Coord<f64>| -> bool {
        let seg_env = geom::expand(geo::Rect::new(a, b), 1e-3);
        related.iter().any(|mp| {
            geom::envelope(mp).is_some_and(|e| geom::rects_intersect(&e, &seg_env))
                && (mp.0.iter().any(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .flat_map(|r| r.0.iter())
                        .any(|&v| geom::seg_dist2(v, a, b) <= 1e-6)
                }) || geom::boundary_distance(a, mp) <= 1e-3
                    || geom::boundary_distance(b, mp) <= 1e-3)
        })
    };
    let mut kept: Vec<LineString<f64>> = Vec::new();
    for line in &lines.0 {
        let mut cur: Vec<Coord<f64>> = Vec::new();
        for w in line.0.windows(2) {
            if explained(w[0], w[1]) {
                if cur.len() >= 2 {
                    kept.push(LineString(std::mem::take(&mut cur)));
                }
                cur.clear();
            } else {
                if cur.is_empty() {
                    cur.push(w[0]);
                }
                cur.push(w[1]);
            }
        }
        if cur.len() >= 2 {
            kept.push(LineString(cur));
        }
    }
    if kept.is_empty() {
        return None;
    }
    let ml = MultiLineString(kept);
    let len: f64 = {
        use geo::{Euclidean, Length};
        ml.0.iter().map(|l| Euclidean.length(l)).sum()
    };
    let mut f = Finding::new(
        Kind::InvalidEdge,
        Severity::Error,
        vec![g.id.clone()],
        format!("网格「{}」有 {:.2} m 边界与相邻网格接边不一致（节点不共用或边线相距过近）。请用「节点编辑」吸附到相邻网格。", g.label(), len),
        format!("Grid {} has {:.2} m of edges that do not match its neighbours (vertices not shared or edges too close). Snap them with Edit vertices.", g.label(), len),
    )
    .with_geometry(ml);
    f.length_m = Some(round3(len));
    Some(f)
}

/// The boundary layer as one area (None: the project has none).
fn boundary_area(project: &Project) -> Option<MultiPolygon<f64>> {
    (!project.boundary.is_empty()).then(|| {
        MultiPolygon(
            project
                .boundary
                .iter()
                .flat_map(|b| b.geometry.0.clone())
                .collect(),
        )
    })
}

impl Auditor {
    /// Build path: every grid joins its parent's tiling at once, each parent's edges
    /// (reversed) go into its children's, the boundary layer's into the top level's.
    pub(super) fn build_tilings(&mut self, project: &Project) {
        let assigned: Vec<(String, Option<GroupKey>)> = {
            use rayon::prelude::*;
            let me = &*self;
            me.grids
                .par_iter()
                .map(|(id, st)| (id.clone(), me.group_of(st)))
                .collect()
        };
        let mut contributions: FxHashMap<GroupKey, Vec<(EdgeKey, i32)>> = FxHashMap::default();
        let mut member_counts: FxHashMap<GroupKey, usize> = FxHashMap::default();
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
        // As parents: their edges, reversed, go into their children's tiling while they
        // have children.
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
        // The boundary layer is the parent of the top level.
        if let Some(l) = self.top()
            && let Some(area) = boundary_area(project)
        {
            self.boundary_edges = signed_edges(&area, true);
            contributions
                .entry(GroupKey::Boundary(l))
                .or_default()
                .extend(self.boundary_edges.iter().copied());
            self.boundary = Some((l, area));
        }
        for (key, edges) in contributions {
            let mut t = Tiling::from_edges(edges);
            t.members = member_counts.get(&key).copied().unwrap_or(0);
            t.parent_in = t.members > 0
                && matches!(&key, GroupKey::Grid(p) if self.grids.get(p).is_some_and(|s| s.usable));
            self.tilings.insert(key, t);
        }
    }

    /// Update path: the changed grids and their children go where their parents say,
    /// parents' edges follow whether they have children, the boundary layer follows the
    /// top level; what moved is named in `work`.
    pub(super) fn update_tilings(
        &mut self,
        project: &Project,
        set: &ChangeSet,
        changed: &[&str],
        old_top: Option<Level>,
        work: &mut Work,
    ) {
        self.move_members(changed, work);
        self.place_parents(changed, work);
        if self.top() != old_top || !set.boundary.is_empty() {
            self.replace_boundary(project, work);
        }
    }

    /// The changed grids and the children of changed grids into the tiling of their
    /// parent (out of the one they were in).
    fn move_members(&mut self, changed: &[&str], work: &mut Work) {
        let mut members: BTreeSet<String> = BTreeSet::new();
        for id in changed {
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
                self.leave_tiling(&old, &edges, env, work);
            }
            let st = &self.grids[id];
            // Back where it left in `forget`: only what changed; else out there, in here.
            let back = match work.left.remove(id) {
                Some((was, edges)) if new.as_ref() == Some(&was) => Some(edges),
                Some((was, edges)) => {
                    if let Some(t) = self.tilings.get_mut(&was) {
                        t.add(&edges, -1);
                    }
                    None
                }
                None => None,
            };
            if let Some(g) = &new {
                let t = self.tilings.entry(g.clone()).or_default();
                match back {
                    Some(old) => {
                        let (h, tail) = geom::common_ends(&old, &st.edges, |a, b| a == b);
                        let (gone, came) = geom::changed_items(
                            old[h..old.len() - tail].to_vec(),
                            st.edges[h..st.edges.len() - tail].to_vec(),
                            |e| *e,
                        );
                        t.add(&gone, -1);
                        t.add(&came, 1);
                    }
                    None => t.add(&st.edges, 1),
                }
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
        // The grids that left and did not come back (removed).
        for (_, (was, edges)) in work.left.drain() {
            if let Some(t) = self.tilings.get_mut(&was) {
                t.add(&edges, -1);
            }
        }
    }

    /// As parents: the edges of the changed grids and of the parents of the tilings that
    /// changed go, reversed, into their children's tiling while they have children.
    fn place_parents(&mut self, changed: &[&str], work: &mut Work) {
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

    /// The boundary layer's edges out of the tiling they were in and into the top
    /// level's.
    fn replace_boundary(&mut self, project: &Project, work: &mut Work) {
        if let Some((l, _)) = self.boundary.take() {
            let key = GroupKey::Boundary(l);
            if let Some(t) = self.tilings.get_mut(&key) {
                t.add(&self.boundary_edges, -1);
            }
            work.tiling_all(&key);
        }
        self.boundary_edges.clear();
        if let Some(l) = self.top()
            && let Some(area) = boundary_area(project)
        {
            self.boundary_edges = signed_edges(&area, true);
            let key = GroupKey::Boundary(l);
            self.tilings
                .entry(key.clone())
                .or_default()
                .add(&self.boundary_edges, 1);
            work.tiling_all(&key);
            self.boundary = Some((l, area));
        }
    }

    /// Take a child's edges out of a tiling.
    pub(super) fn leave_tiling(
        &mut self,
        key: &GroupKey,
        edges: &[(EdgeKey, i32)],
        env: Option<Rect<f64>>,
        work: &mut Work,
    ) {
        if let Some(t) = self.tilings.get_mut(key) {
            t.add(edges, -1);
        }
        self.member_left(key, env, work);
    }

    /// One child (lying in `env`) fewer in a tiling; its edges are taken out by the caller.
    pub(super) fn member_left(&mut self, key: &GroupKey, env: Option<Rect<f64>>, work: &mut Work) {
        if let Some(t) = self.tilings.get_mut(key) {
            t.members = t.members.saturating_sub(1);
            if t.members == 0 {
                work.tiling_all(key);
            }
        }
        work.tiling(key, env);
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
        geom::ids_in(tree, r)
            .into_iter()
            .filter(|id| self.grids.get(*id).and_then(|s| s.member.as_ref()) == Some(key))
            .filter_map(|id| look.grid(id))
            .collect()
    }

    /// Measure again the pieces of the tilings `keys` near their areas (None: the whole
    /// tiling), and drop the tilings left empty.
    pub(super) fn refresh_tilings(
        &mut self,
        look: Look,
        keys: Vec<(GroupKey, Option<Vec<Rect<f64>>>)>,
        work: &mut Work,
    ) {
        let jobs = self.regroup_tilings(keys, work);
        let measured = self.measure_pieces(look, &jobs);
        self.keep_pieces(measured, work);
    }

    /// The first step of [`Self::refresh_tilings`]: the pieces of the tilings `keys` near
    /// their areas made again (the findings of those that went dropped), and those that
    /// came returned with their edges, to measure.
    pub(super) fn regroup_tilings(
        &mut self,
        keys: Vec<(GroupKey, Option<Vec<Rect<f64>>>)>,
        work: &mut Work,
    ) -> Vec<PieceJob> {
        let mut jobs: Vec<PieceJob> = Vec::new();
        let mut gone_all: Vec<u64> = Vec::new();
        for (key, dirty) in keys {
            let Some(t) = self.tilings.get_mut(&key) else {
                continue;
            };
            let (gone, came) = t.refresh(&key, dirty.as_deref());
            gone_all.extend(gone);
            for p in came {
                let edges = t.edges_of(&p.keys);
                jobs.push((key.clone(), p.id, edges));
            }
        }
        for id in gone_all {
            self.set_area(Source::Tiling(id), Vec::new(), work);
        }
        jobs
    }

    /// The findings of each piece to measure, on every core. Only reads: the update path
    /// checks the coverage beside it.
    pub(super) fn measure_pieces(&self, look: Look, jobs: &[PieceJob]) -> Vec<MeasuredPiece> {
        use rayon::prelude::*;
        jobs.par_iter()
            .map(|(key, id, edges)| {
                let has_children = self.tilings.get(key).is_some_and(|t| t.members > 0);
                let measured = match self.parent_info(key, look).filter(|_| has_children) {
                    Some(parent) => piece_findings(
                        &parent,
                        edges,
                        &|r| self.children_near(key, look, r),
                        &self.config,
                    ),
                    None => (Vec::new(), Vec::new()),
                };
                (key.clone(), *id, measured)
            })
            .collect()
    }

    /// Take in what [`Self::measure_pieces`] found, and drop the tilings left empty.
    pub(super) fn keep_pieces(&mut self, measured: Vec<MeasuredPiece>, work: &mut Work) {
        for (key, id, (fs, hot)) in measured {
            if let Some(t) = self.tilings.get_mut(&key)
                && let Ok(i) = t.pieces.binary_search_by_key(&id, |p| p.id)
            {
                t.pieces[i].hot = hot;
            }
            self.set_area(Source::Tiling(id), fs, work);
        }
        self.tilings.retain(|_, t| !t.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A closed ring of `n` points on a wiggly circle around `c`.
    fn wiggly(rng: &mut fastrand::Rng, c: Coord<f64>, r: f64, n: usize) -> LineString<f64> {
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let rr = r * (1.0 + 0.1 * rng.f64());
                Coord {
                    x: c.x + rr * a.cos(),
                    y: c.y + rr * a.sin(),
                }
            })
            .collect();
        pts.push(pts[0]);
        LineString(pts)
    }

    /// Whether some point of the area's exterior lies within [`ADJACENT`] of a segment of
    /// the child: every pair tested.
    fn touches(area: &MultiPolygon<f64>, c: &Grid) -> bool {
        area.0.iter().flat_map(|p| p.exterior().0.iter()).any(|&p| {
            c.geometry
                .0
                .iter()
                .flat_map(|q| std::iter::once(q.exterior()).chain(q.interiors()))
                .flat_map(|r| r.0.windows(2))
                .any(|w| geom::seg_dist2(p, w[0], w[1]) <= ADJACENT * ADJACENT)
        })
    }

    /// Children of few and of many segments, on the area's vertices, a fraction of a
    /// millimetre off them, two millimetres off and far away: every way of looking (the
    /// child's vertices in the area's hashed points, then its segments against the area's
    /// points; the area's points in the child's hashed vertices, then in its segments; its
    /// segments alone) finds exactly the children every pair would.
    /// Edges grouped the slow way: every two whose envelopes meet together, then groups
    /// whose envelopes meet, one pair at a time.
    fn pieces_by_envelopes(keys: &[EdgeKey]) -> Vec<Vec<EdgeKey>> {
        let rects: Vec<Rect<f64>> = keys.iter().map(key_rect).collect();
        let mut pieces: Vec<(Vec<EdgeKey>, Rect<f64>)> = keys
            .iter()
            .zip(&rects)
            .map(|(k, r)| (vec![*k], *r))
            .collect();
        'merge: loop {
            for i in 0..pieces.len() {
                for j in i + 1..pieces.len() {
                    if geom::rects_intersect(&pieces[i].1, &pieces[j].1) {
                        let (ks, r) = pieces.swap_remove(j);
                        pieces[i].0.extend(ks);
                        pieces[i].1 = geom::union_rect(pieces[i].1, r);
                        continue 'merge;
                    }
                }
            }
            break;
        }
        let mut out: Vec<Vec<EdgeKey>> = pieces
            .into_iter()
            .map(|(mut ks, _)| {
                ks.sort_unstable();
                ks
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn edges_are_grouped_into_the_pieces_their_envelopes_make() {
        let mut rng = fastrand::Rng::with_seed(5);
        let key = |a: Coord<f64>, b: Coord<f64>| -> EdgeKey {
            [a.x.to_bits(), a.y.to_bits(), b.x.to_bits(), b.y.to_bits()]
        };
        for round in 0..40 {
            let mut keys: Vec<EdgeKey> = Vec::new();
            // Rings (edges end to end), loose edges (crossing, touching, apart) and
            // edges on a coarse lattice, so that envelopes touch at their sides.
            for _ in 0..rng.usize(0..4) {
                let c = Coord {
                    x: rng.f64() * 100.0,
                    y: rng.f64() * 100.0,
                };
                let (r, n) = (1.0 + rng.f64() * 10.0, 3 + rng.usize(0..30));
                let ring = wiggly(&mut rng, c, r, n);
                keys.extend(ring.0.windows(2).map(|w| key(w[0], w[1])));
            }
            let step = if round % 2 == 0 { 1.0 } else { 0.37 };
            for _ in 0..rng.usize(0..60) {
                let at = |rng: &mut fastrand::Rng| Coord {
                    x: rng.usize(0..40) as f64 * step * 2.5,
                    y: rng.usize(0..40) as f64 * step * 2.5,
                };
                let a = at(&mut rng);
                let b = Coord {
                    x: a.x + rng.usize(0..3) as f64 * step,
                    y: a.y + rng.usize(0..3) as f64 * step,
                };
                if a != b {
                    keys.push(key(a, b));
                }
            }
            keys.sort_unstable();
            keys.dedup();
            let mut got: Vec<Vec<EdgeKey>> = cluster_near(&keys).into_iter().map(|p| p.0).collect();
            got.sort();
            assert_eq!(got, pieces_by_envelopes(&keys), "round {round}");
            // The pieces' envelopes are apart.
            let pieces = cluster_near(&keys);
            for (i, p) in pieces.iter().enumerate() {
                for q in &pieces[i + 1..] {
                    assert!(!geom::rects_intersect(&p.1, &q.1));
                }
            }
        }
    }

    #[test]
    fn the_children_along_an_area_are_those_within_a_millimetre() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..40 {
            let n_area = [4, 30, 300][round % 3];
            let area_ring = wiggly(&mut rng, Coord { x: 0.0, y: 0.0 }, 100.0, n_area);
            let area = MultiPolygon(vec![geo::Polygon::new(area_ring.clone(), vec![])]);
            let mut grids = Vec::new();
            for k in 0..8 {
                // A child through one of the area's vertices, moved by `off` metres.
                let v = area_ring.0[rng.usize(0..n_area)];
                let off = [0.0, 4e-4, 2e-3, 50.0][k % 4];
                let n_child = [3, 12, 1_000][rng.usize(0..3)];
                let centre = Coord {
                    x: v.x * 1.3,
                    y: v.y * 1.3,
                };
                let mut ring = wiggly(&mut rng, centre, 30.0, n_child);
                ring.0[0] = Coord {
                    x: v.x + off,
                    y: v.y,
                };
                let last = ring.0.len() - 1;
                ring.0[last] = ring.0[0];
                grids.push(Grid::new(
                    format!("c{k}"),
                    3,
                    MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
                ));
            }
            let children = |r: Rect<f64>| -> Vec<&Grid> {
                grids
                    .iter()
                    .filter(|g| {
                        geom::envelope(&g.geometry).is_some_and(|e| geom::rects_intersect(&e, &r))
                    })
                    .collect()
            };
            let expected: Vec<&str> = grids
                .iter()
                .filter(|g| touches(&area, g))
                .map(|g| g.id.as_str())
                .collect();
            assert!(
                expected.contains(&"c0"),
                "a child on a vertex of the area touches it"
            );
            let ids = |v: Vec<&Grid>| v.into_iter().map(|g| g.id.clone()).collect::<Vec<_>>();
            let mut fresh = FxHashMap::default();
            assert_eq!(
                ids(adjacent(&area, &children, &mut fresh)),
                expected,
                "round {round}"
            );
            // Every child taken as large: its vertices hashed, then its segments; or its
            // segments alone deciding (no vertex hashed).
            for (hash, tree) in [(true, false), (false, true)] {
                let mut index: FxHashMap<&str, ChildIndex> = grids
                    .iter()
                    .map(|g| {
                        let cells = if hash {
                            Cells::of(ring_segments(g).map(|w| w[0]))
                        } else {
                            Cells(FxHashMap::default())
                        };
                        (g.id.as_str(), (cells, tree.then(|| segment_tree(g))))
                    })
                    .collect();
                assert_eq!(
                    ids(adjacent(&area, &children, &mut index)),
                    expected,
                    "round {round}, hashed {hash}"
                );
            }
        }
    }
}
