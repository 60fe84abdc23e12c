//! Coverage validation with the semantics of JTS/GEOS `CoverageValidator`: every polygon's
//! edges must either match a neighbour's edge exactly or be free of interaction with the
//! neighbours (no crossing, no collinear overlap, no lying inside a neighbour, and, with a
//! gap width, no running nearly parallel to a neighbour's edge within that width).
//!
//! # Performance
//! Matching is global: every segment of every ring goes into one sorted table, so a clean
//! coverage is decided by one parallel sort. Only polygons with unmatched segments are
//! checked against their neighbours (found through an R-tree of envelopes), in parallel.
//!
//! Also the auditor's coverage bookkeeping: each level's invalid edges, the overlapping
//! pairs and the near-miss edges no area finding explains, found for every grid when the
//! audit is built and near what changed when it is updated.

use super::finding::Finding;
use super::store::Source;
use super::{AuditConfig, Auditor, Look, Work};
use crate::geom::{self, coord_cmp, id_item as tree_item, ring_signed_area2};
use crate::model::Level;
use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{
    Coord, Line, LineString, MultiLineString, MultiPolygon, Rect, coordinate_position::CoordPos,
};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The coverage check's answer at one level: the grids it looked at, and the invalid
/// edges of each (None: none).
pub(super) type LevelEdges = (
    Level,
    BTreeSet<String>,
    Vec<(String, Option<MultiLineString<f64>>)>,
);

pub(super) const UNKNOWN: u8 = 0;
pub(super) const MATCHED: u8 = 1;
pub(super) const INVALID: u8 = 2;
/// More neighbours by envelope than this: the polygon lies in a stack, and its unmatched
/// edges are taken as invalid (a coverage's polygons have tens).
pub(super) const NEIGHBOURS_AT_MOST: usize = 4096;
/// Segments per section when filtering long rings by envelope.
pub(super) const SECTION: usize = 16;
/// Sections per block: a ring of 10,000 vertices is looked at through 40 block boxes and
/// the sections of the blocks that meet what is asked, not its 600 section boxes.
const BLOCK: usize = 16;

/// One ring with its interior on the right (shell clockwise, hole counter-clockwise), as
/// JTS's `CoverageRing`, without repeated or non-finite points.
#[derive(Clone)]
pub(super) struct Ring {
    pub(super) pts: Vec<Coord<f64>>,
    /// Envelope of each run of `SECTION` segments.
    pub(super) sections: Vec<Rect<f64>>,
    /// Envelope of each run of `BLOCK` sections.
    blocks: Vec<Rect<f64>>,
    /// A polygon's shell (the holes that follow it are its own).
    shell: bool,
}

impl Ring {
    fn new((pts, shell): (Vec<Coord<f64>>, bool)) -> Ring {
        let sections: Vec<Rect<f64>> = crate::geom::runs(&pts, SECTION).map(|(_, r)| r).collect();
        let blocks = sections
            .chunks(BLOCK)
            .map(|ch| ch.iter().copied().reduce(crate::geom::union_rect))
            .map(|r| r.expect("a chunk is not empty"))
            .collect();
        Ring {
            pts,
            sections,
            blocks,
            shell,
        }
    }

    pub(super) fn nseg(&self) -> usize {
        self.pts.len() - 1
    }

    /// The sections whose box `meets` (and whose block's box does: `meets` must hold for
    /// a box that holds one it holds for), in order.
    pub(super) fn sections_where(
        &self,
        meets: impl Fn(&Rect<f64>) -> bool + Copy,
    ) -> impl Iterator<Item = usize> {
        self.blocks
            .iter()
            .enumerate()
            .filter(move |(_, b)| meets(b))
            .flat_map(|(blk, _)| blk * BLOCK..((blk + 1) * BLOCK).min(self.sections.len()))
            .filter(move |&sec| meets(&self.sections[sec]))
    }

    /// The segments of the sections whose box `meets` (see [`Ring::sections_where`]).
    pub(super) fn segments_where(
        &self,
        meets: impl Fn(&Rect<f64>) -> bool + Copy,
    ) -> impl Iterator<Item = usize> {
        let n = self.nseg();
        self.sections_where(meets)
            .flat_map(move |sec| sec * SECTION..((sec + 1) * SECTION).min(n))
    }
}

/// A multipolygon's rings as the check takes them: each shell, then its holes (none when
/// the shell is degenerate).
pub(super) fn rings_of(mp: &MultiPolygon<f64>) -> Vec<Ring> {
    ring_points(mp).into_iter().map(Ring::new).collect()
}

/// The points of a multipolygon's rings as the check takes them (see [`rings_of`]): closed,
/// without repeated or non-finite points, interior on the right.
/// Each with whether it is a shell.
pub(super) fn ring_points(mp: &MultiPolygon<f64>) -> Vec<(Vec<Coord<f64>>, bool)> {
    let mut out = Vec::new();
    for p in &mp.0 {
        if let Some(r) = clean_ring(p.exterior(), true) {
            out.push((r, true));
            out.extend(
                p.interiors()
                    .iter()
                    .filter_map(|h| clean_ring(h, false))
                    .map(|r| (r, false)),
            );
        }
    }
    out
}

/// Where `p` lies towards the multipolygon whose rings [`rings_of`] made, as geo's
/// `coordinate_position` decides it (the winding number of each ring with its rules for
/// edges through the ray's height, a point on an edge on the boundary, a polygon's holes
/// taken out, an odd number of boundaries a boundary), looking only at the sections whose
/// boxes meet the ray east of `p`: a neighbour of 10,000 vertices costs its 600 boxes and
/// the few sections the ray crosses, not every segment.
pub(super) fn position(rings: &[Ring], p: Coord<f64>) -> CoordPos {
    let (mut inside, mut boundary) = (false, 0usize);
    let mut i = 0;
    while i < rings.len() {
        let holes = rings[i + 1..].iter().take_while(|r| !r.shell).count();
        match ring_position(&rings[i], p) {
            CoordPos::Outside => {}
            CoordPos::OnBoundary => boundary += 1,
            CoordPos::Inside => {
                let hole = rings[i + 1..=i + holes]
                    .iter()
                    .map(|h| ring_position(h, p))
                    .find(|&at| at != CoordPos::Outside);
                match hole {
                    None => inside = true,
                    Some(CoordPos::OnBoundary) => boundary += 1,
                    Some(_) => {}
                }
            }
        }
        i += 1 + holes;
    }
    if boundary % 2 == 1 {
        CoordPos::OnBoundary
    } else if inside {
        CoordPos::Inside
    } else {
        CoordPos::Outside
    }
}

/// geo's `coord_pos_relative_to_ring` over the sections of `ring` that reach the ray east
/// of `p` (a segment wholly west of `p` or not at its height adds nothing and holds no
/// boundary point).
fn ring_position(ring: &Ring, p: Coord<f64>) -> CoordPos {
    use geo::kernels::{Kernel, Orientation, RobustKernel};
    let between = |v: f64, a: f64, b: f64| v >= a.min(b) && v <= a.max(b);
    let mut winding = 0i64;
    // Sections that reach the ray east of p.
    let reach = |r: &Rect<f64>| r.min().y <= p.y && r.max().y >= p.y && r.max().x >= p.x;
    for k in ring.segments_where(reach) {
        let (a, b) = (ring.pts[k], ring.pts[k + 1]);
        if a.y <= p.y {
            if b.y >= p.y {
                let o = RobustKernel::orient2d(a, b, p);
                if o == Orientation::CounterClockwise && b.y != p.y {
                    winding += 1;
                } else if o == Orientation::Collinear && between(p.x, a.x, b.x) {
                    return CoordPos::OnBoundary;
                }
            }
        } else if b.y <= p.y {
            let o = RobustKernel::orient2d(a, b, p);
            if o == Orientation::Clockwise {
                winding -= 1;
            } else if o == Orientation::Collinear && between(p.x, a.x, b.x) {
                return CoordPos::OnBoundary;
            }
        }
    }
    if winding == 0 {
        CoordPos::Outside
    } else {
        CoordPos::Inside
    }
}

/// A ring's points closed, without repeated or non-finite points, a shell clockwise and a
/// hole counter-clockwise; None when fewer than two remain.
fn clean_ring(ls: &LineString<f64>, is_shell: bool) -> Option<Vec<Coord<f64>>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
    for &c in &ls.0 {
        if !(c.x.is_finite() && c.y.is_finite()) {
            continue;
        }
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() >= 2 && pts.first() != pts.last() {
        pts.push(pts[0]);
    }
    if pts.len() < 2 {
        return None;
    }
    let ccw = ring_signed_area2(&pts) > 0.0;
    // Interior on the right: shells clockwise, holes counter-clockwise.
    if ccw == is_shell {
        pts.reverse();
    }
    Some(pts)
}

pub(super) fn seg_rect(a: Coord<f64>, b: Coord<f64>, d: f64) -> Rect<f64> {
    crate::geom::expand(Rect::new(a, b), d)
}

/// The result of validating a coverage.
pub struct CoverageResult {
    /// For each input polygon, its invalid edges (None where it has none).
    pub invalid_edges: Vec<Option<MultiLineString<f64>>>,
    /// For each input polygon, whether any of its segments is not matched by a neighbour
    /// (it lies on the coverage's outer boundary or next to a fault).
    pub has_unmatched: Vec<bool>,
}

/// Validate `polys` as a coverage with the given gap width (metres). Empty or missing
/// polygons (None) have no invalid edges and take part in nothing.
pub fn validate_coverage(polys: &[Option<&MultiPolygon<f64>>], gap_width: f64) -> CoverageResult {
    validate_targets(polys, &vec![true; polys.len()], gap_width)
}

/// Validate the polygons `polys[i]` with `is_target[i]` set, against all of `polys`: the
/// others are only neighbours (their own results are empty and not unmatched), so a
/// few grids are checked in the company of their neighbours for what those cost as
/// neighbours, not as targets.
fn validate_targets(
    polys: &[Option<&MultiPolygon<f64>>],
    is_target: &[bool],
    gap_width: f64,
) -> CoverageResult {
    let gap_width = if gap_width.is_finite() {
        gap_width.max(0.0)
    } else {
        0.0
    };
    let mut clock = std::time::Instant::now();
    // Rings of every polygon.
    let mut rings: Vec<Ring> = Vec::new();
    let mut poly_rings: Vec<std::ops::Range<usize>> = Vec::with_capacity(polys.len());
    let mut target_ring: Vec<bool> = Vec::new();
    for (p, &t) in polys.iter().zip(is_target) {
        let start = rings.len();
        if let Some(mp) = p {
            rings.extend(rings_of(mp));
        }
        target_ring.resize(rings.len(), t);
        poly_rings.push(start..rings.len());
    }
    crate::timing::phase("coverage: rings", &mut clock);
    let mut state: Vec<Vec<u8>> = rings.iter().map(|r| vec![UNKNOWN; r.nseg()]).collect();
    match_segments(&rings, &target_ring, &mut state);
    crate::timing::phase("coverage: matching", &mut clock);

    // Envelope index of the polygons.
    let envs: Vec<Option<Rect<f64>>> = polys
        .iter()
        .map(|p| p.and_then(crate::geom::envelope))
        .collect();
    let tree = crate::geom::envelope_tree(envs.iter().copied().enumerate());

    let has_unmatched: Vec<bool> = poly_rings
        .iter()
        .zip(is_target)
        .map(|(rr, &t)| t && rr.clone().any(|ri| state[ri].contains(&UNKNOWN)))
        .collect();

    // Check the polygons with unmatched segments against their neighbours, in parallel.
    let targets: Vec<usize> = (0..polys.len()).filter(|&i| has_unmatched[i]).collect();
    let updates: Vec<(usize, Vec<u8>)> = targets
        .par_iter()
        .flat_map_iter(|&t| {
            let env = envs[t].map(|e| crate::geom::expand(e, gap_width));
            let mut adj: Vec<usize> = match env {
                Some(e) => tree
                    .locate_in_envelope_intersecting(&crate::geom::aabb(e))
                    .take(NEIGHBOURS_AT_MOST + 2)
                    .map(|g| g.data)
                    .filter(|&j| j != t)
                    .collect(),
                None => Vec::new(),
            };
            let mut local: Vec<(usize, Vec<u8>)> = poly_rings[t]
                .clone()
                .map(|ri| (ri, state[ri].clone()))
                .collect();
            // A polygon in a stack (thousands of outlines drawn over it): its unmatched
            // edges are invalid without checking them against every one.
            if adj.len() > NEIGHBOURS_AT_MOST {
                for (_, st) in &mut local {
                    st.iter_mut()
                        .filter(|s| **s == UNKNOWN)
                        .for_each(|s| *s = INVALID);
                }
                return local;
            }
            adj.sort_unstable();
            check_target(&rings, &poly_rings, &envs, &adj, &mut local, gap_width);
            local
        })
        .collect();
    for (ri, st) in updates {
        state[ri] = st;
    }
    crate::timing::phase("coverage: unmatched segments", &mut clock);

    let invalid_edges = poly_rings
        .iter()
        .zip(is_target)
        .map(|(rr, &t)| {
            if !t {
                return None;
            }
            let mut lines = Vec::new();
            for ri in rr.clone() {
                invalid_lines(&rings[ri], &state[ri], &mut lines);
            }
            if lines.is_empty() {
                None
            } else {
                Some(MultiLineString(lines))
            }
        })
        .collect();
    CoverageResult {
        invalid_edges,
        has_unmatched,
    }
}

/// An unordered segment by its ends' bits, lesser end first (-0.0 taken as 0.0), and
/// whether it runs from its lesser end.
pub(super) fn segment_key(a: Coord<f64>, b: Coord<f64>) -> ([u64; 4], bool) {
    let forward = coord_cmp(a, b).is_le();
    let (p, q) = if forward { (a, b) } else { (b, a) };
    let key = [
        (p.x + 0.0).to_bits(),
        (p.y + 0.0).to_bits(),
        (q.x + 0.0).to_bits(),
        (q.y + 0.0).to_bits(),
    ];
    (key, forward)
}

/// More target rings than this: every other ring's segments are looked up in the targets'
/// keys, without asking whether they lie near a target first.
const TARGET_BOXES: usize = 64;

/// Mark segments matched by exactly one neighbour segment of opposite direction; mark
/// segments duplicated in the same direction (duplicate or overlapping polygons) invalid.
/// Only the segments of the rings `target` marks are decided; another ring's segment
/// takes part where it equals one of theirs.
fn match_segments(rings: &[Ring], target: &[bool], state: &mut [Vec<u8>]) {
    let entry = |ri: usize, si: usize, a: Coord<f64>, b: Coord<f64>| {
        let (key, forward) = segment_key(a, b);
        (key, ri as u32, si as u32, forward)
    };
    let segments = |ri: usize| {
        rings[ri]
            .pts
            .windows(2)
            .enumerate()
            .map(move |(si, w)| entry(ri, si, w[0], w[1]))
    };
    // (normalized endpoints, ring, segment, forward)
    let mut table: Vec<([u64; 4], u32, u32, bool)> = (0..rings.len())
        .filter(|&ri| target[ri])
        .flat_map(segments)
        .collect();
    if table.len() < rings.iter().map(Ring::nseg).sum() {
        // The targets' keys by a hash of them: another key of the same hash comes in
        // too and forms a group of others only, which decides nothing.
        let keys: FxHashSet<u64> = table.iter().map(|e| key_hash(&e.0)).collect();
        // A segment equal to a target's lies in that target ring's box: another ring's
        // sections away from every target box are not looked at (few targets; many: all).
        let boxes: Vec<Rect<f64>> = (0..rings.len())
            .filter(|&ri| target[ri])
            .filter_map(|ri| {
                rings[ri]
                    .blocks
                    .iter()
                    .copied()
                    .reduce(crate::geom::union_rect)
            })
            .collect();
        let near_target = |r: &Rect<f64>| {
            boxes.len() > TARGET_BOXES || boxes.iter().any(|b| crate::geom::rects_intersect(r, b))
        };
        let others: Vec<_> = (0..rings.len())
            .filter(|&ri| !target[ri])
            .flat_map(|ri| {
                let pts = &rings[ri].pts;
                rings[ri]
                    .segments_where(near_target)
                    .map(move |si| entry(ri, si, pts[si], pts[si + 1]))
            })
            .filter(|e| keys.contains(&key_hash(&e.0)))
            .collect();
        table.extend(others);
    }
    // Equal keys together: grouped by a hash of the key (16 bytes an entry, not 40), then
    // the few entries of one hash by their keys.
    let order = group_by_hash(
        table
            .iter()
            .enumerate()
            .map(|(i, e)| (key_hash(&e.0), i as u32))
            .collect(),
    );
    let mut run: Vec<&([u64; 4], u32, u32, bool)> = Vec::new();
    for same_hash in order.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        run.clear();
        run.extend(same_hash.iter().map(|&(_, i)| &table[i as usize]));
        run.sort_unstable_by_key(|e| e.0);
        for group in run.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            let nf = group.iter().filter(|e| e.3).count();
            let no = group.len() - nf;
            for e in group {
                let same = if e.3 { nf } else { no };
                let other = if e.3 { no } else { nf };
                let s = &mut state[e.1 as usize][e.2 as usize];
                if same >= 2 {
                    *s = INVALID;
                } else if other >= 1 && *s != INVALID {
                    *s = MATCHED;
                }
            }
        }
    }
}

/// `items` with equal hashes next to each other (in no particular order otherwise): a
/// counting pass puts each into a bucket by its hash's top bits (about as many buckets as
/// items), and only the buckets of more than one are sorted. Linear where a sort of all is
/// not (a dense grid's neighbours: ~60,000 segments grouped in about a third of the sort's
/// time, on one core).
fn group_by_hash(items: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    let bits = (usize::BITS - items.len().leading_zeros()).clamp(1, 20);
    let bucket = |h: u64| (h >> (64 - bits)) as usize;
    let mut start = vec![0u32; (1 << bits) + 1];
    for &(h, _) in &items {
        start[bucket(h) + 1] += 1;
    }
    for b in 1..start.len() {
        start[b] += start[b - 1];
    }
    let mut next = start.clone();
    let mut out = vec![(0u64, 0u32); items.len()];
    for item in items {
        let b = bucket(item.0);
        out[next[b] as usize] = item;
        next[b] += 1;
    }
    for w in start.windows(2) {
        let run = &mut out[w[0] as usize..w[1] as usize];
        if run.len() > 1 {
            run.sort_unstable();
        }
    }
    out
}

/// A hash of a segment key.
fn key_hash(k: &[u64; 4]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    k.hash(&mut h);
    h.finish()
}

#[allow(clippy::too_many_arguments)]
fn check_target(
    rings: &[Ring],
    poly_rings: &[std::ops::Range<usize>],
    envs: &[Option<Rect<f64>>],
    adj: &[usize],
    local: &mut [(usize, Vec<u8>)],
    tol: f64,
) {
    // Interacting segments.
    for (ri, st) in local.iter_mut() {
        let ring = &rings[*ri];
        for (state, seg) in st.iter_mut().zip(ring.pts.windows(2)) {
            if *state != UNKNOWN {
                continue;
            }
            let (t0, t1) = (seg[0], seg[1]);
            if t0 == t1 {
                continue;
            }
            let env = seg_rect(t0, t1, tol);
            'adj: for &a in adj {
                match envs[a] {
                    Some(e) if crate::geom::rects_intersect(&e, &env) => {}
                    _ => continue,
                }
                for ar in poly_rings[a].clone() {
                    let aring = &rings[ar];
                    for k in aring.segments_where(|r| crate::geom::rects_intersect(r, &env)) {
                        if is_invalid_interaction(t0, t1, aring, k, tol) {
                            *state = INVALID;
                            break 'adj;
                        }
                    }
                }
            }
        }
    }
    // Vertices in the interior of a neighbour.
    for (ri, st) in local.iter_mut() {
        let ring = &rings[*ri];
        let n = ring.nseg();
        for i in 0..n {
            if st[i] != UNKNOWN {
                continue;
            }
            let p = ring.pts[i];
            let interior = adj.iter().any(|&a| {
                let Some(e) = envs[a] else { return false };
                if p.x < e.min().x || p.x > e.max().x || p.y < e.min().y || p.y > e.max().y {
                    return false;
                }
                position(&rings[poly_rings[a].clone()], p) == CoordPos::Inside
            });
            if interior {
                st[i] = INVALID;
                let prev = if i == 0 { n - 1 } else { i - 1 };
                if st[prev] == UNKNOWN {
                    st[prev] = INVALID;
                }
            }
        }
    }
}

pub(super) fn is_invalid_interaction(
    t0: Coord<f64>,
    t1: Coord<f64>,
    adj: &Ring,
    k: usize,
    tol: f64,
) -> bool {
    let (a0, a1) = (adj.pts[k], adj.pts[k + 1]);
    if a0 == a1 {
        return false;
    }
    if tol < segment_distance(t0, t1, a0, a1) {
        return false;
    }
    if is_collinear_or_interior(t0, t1, a0, a1, adj, k) {
        return true;
    }
    tol > 0.0 && is_nearly_parallel(t0, t1, a0, a1, tol)
}

fn segment_distance(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> f64 {
    if line_intersection(Line::new(a, b), Line::new(c, d)).is_some() {
        return 0.0;
    }
    use crate::geom::seg_dist2;
    seg_dist2(a, c, d)
        .min(seg_dist2(b, c, d))
        .min(seg_dist2(c, a, b))
        .min(seg_dist2(d, a, b))
        .sqrt()
}

fn is_collinear_or_interior(
    t0: Coord<f64>,
    t1: Coord<f64>,
    a0: Coord<f64>,
    a1: Coord<f64>,
    adj: &Ring,
    k: usize,
) -> bool {
    let Some(li) = line_intersection(Line::new(t0, t1), Line::new(a0, a1)) else {
        return false;
    };
    let ip = match li {
        LineIntersection::Collinear { .. } => return true,
        LineIntersection::SinglePoint {
            intersection,
            is_proper,
        } => {
            // A crossing, or a touch in the interior of either segment (JTS
            // `isInteriorIntersection()`), puts the target in the neighbour's way.
            let interior_target = intersection != t0 && intersection != t1;
            let interior_adj = intersection != a0 && intersection != a1;
            if is_proper || interior_target || interior_adj {
                return true;
            }
            intersection
        }
    };
    let tgt_end = if ip == t0 { t1 } else { t0 };
    let n = adj.nseg();
    // Previous and next distinct ring vertices around the intersection point.
    let mut ip_prev = k;
    let mut prev = adj.pts[ip_prev];
    let mut guard = 0;
    while prev == ip && guard <= n {
        ip_prev = if ip_prev == 0 { n - 1 } else { ip_prev - 1 };
        prev = adj.pts[ip_prev];
        guard += 1;
    }
    let mut ip_next = k + 1;
    let mut next = adj.pts[ip_next];
    guard = 0;
    while next == ip && guard <= n {
        ip_next = if ip_next >= n - 1 { 0 } else { ip_next + 1 };
        next = adj.pts[ip_next];
        guard += 1;
    }
    is_interior_segment(ip, prev, next, tgt_end)
}

/// JTS `Quadrant.quadrant`: NE 0, NW 1, SW 2, SE 3.
fn quadrant(o: Coord<f64>, p: Coord<f64>) -> u8 {
    let (dx, dy) = (p.x - o.x, p.y - o.y);
    if dx >= 0.0 {
        if dy >= 0.0 { 0 } else { 3 }
    } else if dy >= 0.0 {
        1
    } else {
        2
    }
}

fn is_angle_greater(o: Coord<f64>, p: Coord<f64>, q: Coord<f64>) -> bool {
    let (qp, qq) = (quadrant(o, p), quadrant(o, q));
    if qp != qq {
        return qp > qq;
    }
    RobustKernel::orient2d(o, q, p) == Orientation::CounterClockwise
}

fn is_between(o: Coord<f64>, p: Coord<f64>, e0: Coord<f64>, e1: Coord<f64>) -> bool {
    is_angle_greater(o, p, e0) && !is_angle_greater(o, p, e1)
}

/// JTS `PolygonNodeTopology.isInteriorSegment`: does node-b lie inside the ring corner
/// a0-node-a1, the ring's interior being on the right?
fn is_interior_segment(node: Coord<f64>, a0: Coord<f64>, a1: Coord<f64>, b: Coord<f64>) -> bool {
    let (mut lo, mut hi) = (a0, a1);
    let mut interior_between = true;
    if is_angle_greater(node, lo, hi) {
        std::mem::swap(&mut lo, &mut hi);
        interior_between = false;
    }
    is_between(node, b, lo, hi) == interior_between
}

/// JTS `LineSegment.project(LineSegment)`: the part of `seg` projected onto `line`.
fn project(
    l0: Coord<f64>,
    l1: Coord<f64>,
    s0: Coord<f64>,
    s1: Coord<f64>,
) -> Option<(Coord<f64>, Coord<f64>)> {
    let factor = |p: Coord<f64>| -> f64 {
        if p == l0 {
            return 0.0;
        }
        if p == l1 {
            return 1.0;
        }
        let (dx, dy) = (l1.x - l0.x, l1.y - l0.y);
        let len2 = dx * dx + dy * dy;
        if len2 <= 0.0 {
            return f64::NAN;
        }
        ((p.x - l0.x) * dx + (p.y - l0.y) * dy) / len2
    };
    let at = |p: Coord<f64>, r: f64| -> Coord<f64> {
        if p == l0 || p == l1 {
            return p;
        }
        Coord {
            x: l0.x + r * (l1.x - l0.x),
            y: l0.y + r * (l1.y - l0.y),
        }
    };
    let (f0, f1) = (factor(s0), factor(s1));
    if f0 >= 1.0 && f1 >= 1.0 {
        return None;
    }
    if f0 <= 0.0 && f1 <= 0.0 {
        return None;
    }
    let mut n0 = at(s0, f0);
    if f0 < 0.0 {
        n0 = l0;
    }
    if f0 > 1.0 {
        n0 = l1;
    }
    let mut n1 = at(s1, f1);
    if f1 < 0.0 {
        n1 = l0;
    }
    if f1 > 1.0 {
        n1 = l1;
    }
    Some((n0, n1))
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

fn is_nearly_parallel(
    p00: Coord<f64>,
    p01: Coord<f64>,
    p10: Coord<f64>,
    p11: Coord<f64>,
    tol: f64,
) -> bool {
    let Some(pr0) = project(p00, p01, p10, p11) else {
        return false;
    };
    let Some(mut pr1) = project(p10, p11, p00, p01) else {
        return false;
    };
    if dist(pr0.0, pr0.1) <= tol || dist(pr1.0, pr1.1) <= tol {
        return false;
    }
    if dist(pr0.0, pr1.1) < dist(pr0.0, pr1.0) {
        pr1 = (pr1.1, pr1.0);
    }
    dist(pr0.0, pr1.0) <= tol && dist(pr0.1, pr1.1) <= tol
}

/// The runs of invalid segments of a ring as lines (JTS `CoverageRing.createInvalidLines`).
pub(super) fn invalid_lines(ring: &Ring, st: &[u8], out: &mut Vec<LineString<f64>>) {
    let n = st.len();
    if !st.contains(&INVALID) {
        return;
    }
    if st.iter().all(|&s| s == INVALID) {
        out.push(LineString(ring.pts.clone()));
        return;
    }
    let next = |i: usize| if i + 1 >= n { 0 } else { i + 1 };
    let find_start = |mut i: usize| {
        while st[i] != INVALID {
            i = next(i);
        }
        i
    };
    let find_end = |i: usize| {
        let mut i = next(i);
        while st[i] == INVALID {
            i = next(i);
        }
        i
    };
    let start = find_start(0);
    let first_end = find_end(start);
    let mut end = first_end;
    loop {
        let s = find_start(end);
        end = find_end(s);
        let mut pts = Vec::new();
        let mut i = s;
        loop {
            pts.push(ring.pts[i]);
            if i == end {
                break;
            }
            i = next(i);
        }
        out.push(LineString(pts));
        if end == first_end {
            break;
        }
    }
}

/// More grids than this, of different envelopes, whose envelopes hold one grid's inner
/// point: the grid is in a stack (a valid coverage has one there, the grid itself),
/// reported as such. Copies of one grid are paired with the first copy (duplicates) up to
/// [`PAIRS_AT_MOST`].
const STACK: usize = 64;
/// More neighbours by envelope than this: not paired one by one either.
const PAIRS_AT_MOST: usize = 1024;

/// A pair of grid ids, sorted.
type Pair = (String, String);

/// The invalid edges of the `affected` grids, each checked with the grids `sub` (which
/// hold them and their neighbours).
fn invalid_edges(
    look: Look,
    sub: &[&str],
    affected: &BTreeSet<String>,
    gap_width: f64,
) -> Vec<(String, Option<MultiLineString<f64>>)> {
    let polys: Vec<Option<&MultiPolygon<f64>>> = sub
        .iter()
        .map(|id| look.grid(id).map(|g| &g.geometry))
        .collect();
    let targets: Vec<bool> = sub.iter().map(|id| affected.contains(*id)).collect();
    let res = validate_targets(&polys, &targets, gap_width);
    sub.iter()
        .enumerate()
        .filter(|(_, id)| affected.contains(**id))
        .map(|(k, id)| (id.to_string(), res.invalid_edges[k].clone()))
        .collect()
}

/// The overlap and duplicate findings of each pair (a grid paired with itself: a stack),
/// measured where the invalid edges of the two (`edges`) lie.
fn measure_pairs(
    look: Look,
    pairs: BTreeSet<Pair>,
    edges: &FxHashMap<String, MultiLineString<f64>>,
    grids: &FxHashMap<String, super::GridState>,
    cfg: &AuditConfig,
) -> Vec<(Pair, Vec<Finding>)> {
    let envelope = |id: &str| edges.get(id).and_then(geo::BoundingRect::bounding_rect);
    // A grid whose envelope misses the area where the two can meet leaves nothing of
    // itself there to overlap: a grid with a few invalid edges is paired with every
    // neighbour by envelope, and most of them lie elsewhere.
    let misses = |id: &str, within: Rect<f64>| {
        grids
            .get(id)
            .and_then(|s| s.env)
            .is_some_and(|e| !geom::rects_intersect(&e, &super::tiling::clip_rect(within)))
    };
    pairs
        .into_par_iter()
        .map(|(a, b)| {
            let within = match (envelope(&a), envelope(&b)) {
                (Some(x), Some(y)) => Some(geom::union_rect(x, y)),
                (x, y) => x.or(y),
            };
            let fs = match (look.grid(&a), look.grid(&b)) {
                (Some(ga), Some(_)) if a == b => super::tiling::stacked(ga, STACK),
                _ if within.is_some_and(|w| misses(&a, w) || misses(&b, w)) => Vec::new(),
                (Some(ga), Some(gb)) => super::tiling::overlap(ga, gb, within, cfg),
                _ => Vec::new(),
            };
            ((a, b), fs)
        })
        .collect()
}

impl Auditor {
    /// Build path: every usable grid of every level checked with all of its neighbours.
    pub(super) fn check_all_coverage(&mut self, look: Look, work: &mut Work) {
        let gw = self.config.gap_width;
        let levels: Vec<Level> = self.trees.keys().copied().collect();
        for level in levels {
            let Some(tree) = self.trees.get(&level) else {
                continue;
            };
            let affected: BTreeSet<String> = tree.iter().map(|h| h.data.clone()).collect();
            if affected.is_empty() {
                continue;
            }
            let sub: Vec<&str> = affected.iter().map(String::as_str).collect();
            let edges = invalid_edges(look, &sub, &affected, gw);
            self.check_level(level, look, &affected, edges, work);
        }
    }

    /// The invalid edges of the grids near the envelopes `work.coverage` names, per level:
    /// those in `window` decided segment by segment where the window holds, else every
    /// grid within the gap width checked whole (of where the change reaches, `reach`,
    /// when a window was found but does not hold). Only reads: the audit measures the tilings
    /// beside it; [`Self::keep_coverage`] takes the result in.
    pub(super) fn coverage_near(
        &self,
        look: Look,
        work: &Work,
        window: Option<&super::window::Window>,
        reach: Option<&super::window::Reach>,
    ) -> Vec<LevelEdges> {
        let gw = self.config.gap_width;
        let mut out = Vec::new();
        for &level in work.coverage.keys() {
            if let Some(w) = window {
                let moved = w.moved.get(&level).map_or(&[][..], Vec::as_slice);
                if let Some(edges) = self.window_edges(look, level, moved, &w.before) {
                    let affected: BTreeSet<String> = edges.iter().map(|e| e.0.clone()).collect();
                    out.push((level, affected, edges));
                    continue;
                }
            }
            let Some(tree) = self.trees.get(&level) else {
                continue;
            };
            let mut affected = BTreeSet::new();
            let near = match reach {
                Some(r) => {
                    affected.extend(r.grids.get(&level).into_iter().flatten().cloned());
                    r.near.get(&level)
                }
                None => work.coverage.get(&level),
            };
            for e in near.into_iter().flatten() {
                affected.extend(
                    geom::ids_in(tree, geom::expand(*e, gw * 2.0))
                        .into_iter()
                        .map(str::to_string),
                );
            }
            if affected.is_empty() {
                continue;
            }
            let mut sub: BTreeSet<&str> = affected.iter().map(String::as_str).collect();
            for id in &affected {
                if let Some(e) = self.grids.get(id).and_then(|s| s.env) {
                    sub.extend(geom::ids_in(tree, geom::expand(e, gw)));
                }
            }
            let sub: Vec<&str> = sub.into_iter().collect();
            let edges = invalid_edges(look, &sub, &affected, gw);
            out.push((level, affected, edges));
        }
        out
    }

    /// Take in what [`Self::coverage_near`] found, level by level.
    pub(super) fn keep_coverage(&mut self, look: Look, found: Vec<LevelEdges>, work: &mut Work) {
        for (level, affected, edges) in found {
            self.check_level(level, look, &affected, edges, work);
        }
    }

    /// Keep the invalid edges found for the `affected` grids of `level`, then find their
    /// overlaps and duplicates again.
    fn check_level(
        &mut self,
        level: Level,
        look: Look,
        affected: &BTreeSet<String>,
        edges: Vec<(String, Option<MultiLineString<f64>>)>,
        work: &mut Work,
    ) {
        self.keep_invalid_edges(level, edges, work);
        let mut old_pairs: BTreeSet<Pair> = BTreeSet::new();
        for id in affected {
            old_pairs.extend(self.pairs_of.get(id).into_iter().flatten().cloned());
        }
        let pairs = self.candidate_pairs(level, look, affected);
        let results = measure_pairs(look, pairs, &self.raw_edges, &self.grids, &self.config);
        self.keep_pairs(old_pairs, results, work);
    }

    /// Record each grid's invalid edges (None: none) and whether it is in the tree of
    /// grids with invalid edges; a change names the grid for its near-miss edges.
    fn keep_invalid_edges(
        &mut self,
        level: Level,
        edges: Vec<(String, Option<MultiLineString<f64>>)>,
        work: &mut Work,
    ) {
        let bad = self.bad.entry(level).or_default();
        for (id, lines) in edges {
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
    }

    /// The pairs that may overlap among those that involve an affected grid. A pair can
    /// only overlap if one of the two has invalid edges (a clean coverage has none): good
    /// grids are paired only with the few bad ones.
    fn candidate_pairs(
        &self,
        level: Level,
        look: Look,
        affected: &BTreeSet<String>,
    ) -> BTreeSet<Pair> {
        let tree = &self.trees[&level];
        let bad = &self.bad[&level];
        let mut pairs: BTreeSet<Pair> = BTreeSet::new();
        let mut twins = Twins::default();
        for id in affected {
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
        pairs
    }

    /// Replace the findings of the pairs measured again and of the old pairs that no
    /// longer overlap, and the pairs each grid is in.
    fn keep_pairs(
        &mut self,
        old_pairs: BTreeSet<Pair>,
        results: Vec<(Pair, Vec<Finding>)>,
        work: &mut Work,
    ) {
        let mut new_pairs: BTreeSet<Pair> = BTreeSet::new();
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

    /// Near-miss edges of the grids whose invalid edges or area findings changed: the
    /// invalid edges that no overlap, gap or outside part naming the grid explains.
    pub(super) fn explain_edges(&mut self, look: Look, work: &Work) {
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
            let f = super::tiling::unexplained_edges(g, lines, &areas);
            self.store.set(source, f.into_iter().collect());
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn grouping_by_hash_puts_equal_hashes_together_and_keeps_every_item() {
        let mut rng = fastrand::Rng::with_seed(5);
        for n in [0usize, 1, 2, 7, 1000, 70_000] {
            // Few distinct hashes among many items, spread over the whole range and
            // crowded at its top (one bucket).
            let items: Vec<(u64, u32)> = (0..n)
                .map(|i| {
                    let h = match rng.u8(0..3) {
                        0 => rng.u64(..),
                        1 => u64::MAX - rng.u64(0..50),
                        _ => rng.u64(0..(n as u64 / 3 + 1)) << 40,
                    };
                    (h, i as u32)
                })
                .collect();
            let grouped = group_by_hash(items.clone());
            let (mut a, mut b) = (items.clone(), grouped.clone());
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "n = {n}: the same items");
            // Each hash in one run.
            let mut seen = std::collections::HashSet::new();
            for run in grouped.chunk_by(|x, y| x.0 == y.0) {
                assert!(
                    seen.insert(run[0].0),
                    "n = {n}: hash {} in two runs",
                    run[0].0
                );
            }
        }
    }

    #[test]
    fn a_point_is_placed_as_geo_places_it_looking_at_sections_only() {
        use geo::CoordinatePosition;
        let mut rng = fastrand::Rng::with_seed(39);
        // Rings on a coarse grid (so points meet vertices, edges and the heights of
        // vertices often): stars of up to 300 vertices, holes, parts that overlap.
        let star = |rng: &mut fastrand::Rng, cx: f64, cy: f64, r: f64, n: usize| {
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|i| {
                    let t = i as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * (0.5 + rng.f64());
                    Coord {
                        x: (cx + rr * t.cos()).round(),
                        y: (cy + rr * t.sin()).round(),
                    }
                })
                .collect();
            pts.push(pts[0]);
            LineString(pts)
        };
        for _ in 0..40 {
            let parts = 1 + rng.usize(..3);
            let mp = MultiPolygon(
                (0..parts)
                    .map(|_| {
                        let (cx, cy) = (rng.f64() * 200.0, rng.f64() * 200.0);
                        let n = 3 + rng.usize(..300);
                        let shell = star(&mut rng, cx, cy, 100.0, n);
                        let holes = (0..rng.usize(..3))
                            .map(|_| {
                                let m = 3 + rng.usize(..40);
                                star(&mut rng, cx, cy, 20.0, m)
                            })
                            .collect();
                        geo::Polygon::new(shell, holes)
                    })
                    .collect(),
            );
            let rings = rings_of(&mp);
            let vertices: Vec<Coord<f64>> =
                mp.0.iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .flat_map(|r| r.0.iter().copied())
                    .collect();
            for k in 0..600 {
                let p = match k % 4 {
                    0 => vertices[rng.usize(..vertices.len())],
                    1 => {
                        let i = rng.usize(..vertices.len() - 1);
                        let (a, b) = (vertices[i], vertices[i + 1]);
                        Coord {
                            x: (a.x + b.x) / 2.0,
                            y: (a.y + b.y) / 2.0,
                        }
                    }
                    2 => Coord {
                        x: (rng.f64() * 500.0 - 150.0).round(),
                        y: vertices[rng.usize(..vertices.len())].y,
                    },
                    _ => Coord {
                        x: rng.f64() * 500.0 - 150.0,
                        y: rng.f64() * 500.0 - 150.0,
                    },
                };
                assert_eq!(position(&rings, p), mp.coordinate_position(&p), "{p:?}");
            }
        }
    }

    #[test]
    fn matching_squares_are_valid() {
        let a = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
        ]);
        let b = MultiPolygon(vec![
            polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)],
        ]);
        let r = validate_coverage(&[Some(&a), Some(&b)], 0.5);
        assert!(r.invalid_edges.iter().all(|e| e.is_none()));
    }

    /// A few grids checked among their neighbours get the edges the whole check gives
    /// them, on a coverage with overlaps, gaps, slivers and a duplicate.
    #[test]
    fn targets_among_neighbours_get_what_the_whole_check_gives() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut rnd = || rng.f64();
        // 5 x 5 squares of 10 m, each edge with a middle vertex; some cells have a
        // corner or a middle vertex moved by up to 2 m (their neighbours keep theirs).
        let mut cells = Vec::new();
        for i in 0..5 {
            for j in 0..5 {
                let (x, y) = (i as f64 * 10.0, j as f64 * 10.0);
                let mut pts = vec![
                    (x, y),
                    (x + 5.0, y),
                    (x + 10.0, y),
                    (x + 10.0, y + 5.0),
                    (x + 10.0, y + 10.0),
                    (x + 5.0, y + 10.0),
                    (x, y + 10.0),
                    (x, y + 5.0),
                ];
                if rnd() < 0.4 {
                    let k = (rnd() * 8.0) as usize % 8;
                    pts[k].0 += rnd() * 4.0 - 2.0;
                    pts[k].1 += rnd() * 4.0 - 2.0;
                }
                cells.push(MultiPolygon(vec![geo::Polygon::new(
                    geo::LineString::from(pts),
                    vec![],
                )]));
            }
        }
        cells.push(cells[12].clone());
        let polys: Vec<Option<&MultiPolygon<f64>>> = cells.iter().map(Some).collect();
        for gap in [0.0, 0.5, 3.0] {
            let whole = validate_coverage(&polys, gap);
            assert!(whole.invalid_edges.iter().any(Option::is_some));
            for _ in 0..30 {
                let is_target: Vec<bool> = polys.iter().map(|_| rnd() < 0.3).collect();
                let some = validate_targets(&polys, &is_target, gap);
                for (k, &t) in is_target.iter().enumerate() {
                    if t {
                        assert_eq!(some.invalid_edges[k], whole.invalid_edges[k], "cell {k}");
                        assert_eq!(some.has_unmatched[k], whole.has_unmatched[k], "cell {k}");
                    } else {
                        assert!(some.invalid_edges[k].is_none() && !some.has_unmatched[k]);
                    }
                }
            }
        }
    }
}
