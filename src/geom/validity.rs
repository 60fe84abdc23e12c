//! Validity of polygon rings, shared by the audit (in the working CRS) and the readers
//! (in the coordinates a file was drawn in, before projection can hide a defect).
//!
//! # Performance
//! Ring self-intersection uses a sweep over segments sorted by x, so a ring of n vertices
//! costs about n log n rather than geo's n² pairwise test.

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::{Coord, Line, LineString, MultiPolygon};

/// Why a ring is unusable.
pub enum RingProblem {
    NonFinite,
    TooFewPoints,
    Spike(Coord<f64>),
    SelfIntersection(Coord<f64>),
}

/// A closed ring's points without repeats in a row and without the closing point.
fn open_ring(ring: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
    for &c in ring {
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    pts
}

/// How many different points `pts` has.
fn distinct(pts: &[Coord<f64>]) -> usize {
    let mut keys: Vec<(u64, u64)> = pts.iter().map(|&c| crate::geom::coord_key(c)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len()
}

pub fn ring_problem(ring: &LineString<f64>) -> Option<RingProblem> {
    if ring.0.iter().any(|c| !(c.x.is_finite() && c.y.is_finite())) {
        return Some(RingProblem::NonFinite);
    }
    let pts = open_ring(&ring.0);
    if distinct(&pts) < 3 {
        return Some(RingProblem::TooFewPoints);
    }
    let n = pts.len();
    // Spikes: the boundary goes out and comes straight back (a-b-a or collinear reversal).
    for i in 0..n {
        let (a, b, c) = (pts[(i + n - 1) % n], pts[i], pts[(i + 1) % n]);
        if spike(a, b, c) {
            return Some(RingProblem::Spike(b));
        }
    }
    self_intersection(&pts).map(RingProblem::SelfIntersection)
}

/// A segment for the sweep: its ends, its ring, its index in the ring and the ring's length.
struct Seg {
    line: Line<f64>,
    ring: usize,
    idx: usize,
    n: usize,
}

/// First point where two segments meet in a way `bad` rejects. Segments are taken in
/// order of their smallest x, each against those before it whose envelopes meet its own
/// (in that order), so the point reported does not depend on how they are found: by a
/// sweep over the segments still reaching the current x while they are few (a ring of
/// thousands of vertices has a handful at any x), else through an R-tree, so a ring of a
/// million vertices, a shell with a hundred thousand holes or a comb of long teeth stays
/// near-linear.
fn sweep(
    segs: &[Seg],
    bad: impl Fn(&Seg, &Seg, LineIntersection<f64>) -> Option<Coord<f64>>,
) -> Option<Coord<f64>> {
    let corners = |s: &Seg| {
        (
            [
                s.line.start.x.min(s.line.end.x),
                s.line.start.y.min(s.line.end.y),
            ],
            [
                s.line.start.x.max(s.line.end.x),
                s.line.start.y.max(s.line.end.y),
            ],
        )
    };
    let mut order: Vec<usize> = (0..segs.len()).collect();
    order.sort_by(|&a, &b| corners(&segs[a]).0[0].total_cmp(&corners(&segs[b]).0[0]));
    let first_bad = |i: usize, earlier: &[usize]| {
        earlier.iter().find_map(|&j| {
            line_intersection(segs[i].line, segs[j].line).and_then(|li| bad(&segs[i], &segs[j], li))
        })
    };
    // The sweep: the earlier segments whose x-range still reaches the current one's, in
    // order; those that also meet it in y are the tree's answer.
    let mut active: Vec<usize> = Vec::new();
    let mut earlier: Vec<usize> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let (lo, hi) = corners(&segs[i]);
        active.retain(|&j| corners(&segs[j]).1[0] >= lo[0]);
        if active.len() > SWEEP_MOST {
            return sweep_tree(segs, &order[k..], &order, &first_bad);
        }
        earlier.clear();
        earlier.extend(active.iter().copied().filter(|&j| {
            let (jlo, jhi) = corners(&segs[j]);
            jlo[1] <= hi[1] && jhi[1] >= lo[1]
        }));
        if let Some(c) = first_bad(i, &earlier) {
            return Some(c);
        }
        active.push(i);
    }
    None
}

/// More segments than this reaching one x: the sweep goes on through an R-tree.
const SWEEP_MOST: usize = 256;

/// The first point where segment `i` meets one of `earlier` badly.
type FirstBad<'a> = dyn Fn(usize, &[usize]) -> Option<Coord<f64>> + 'a;

/// The rest of [`sweep`] from the segments `rest` on (`order`: all, by smallest x).
fn sweep_tree(
    segs: &[Seg],
    rest: &[usize],
    order: &[usize],
    first_bad: &FirstBad,
) -> Option<Coord<f64>> {
    use rstar::RTreeObject;
    use rstar::primitives::{GeomWithData, Rectangle};
    let mut rank = vec![0usize; segs.len()];
    for (k, &i) in order.iter().enumerate() {
        rank[i] = k;
    }
    let rect = |s: &Seg| {
        Rectangle::from_corners(
            [
                s.line.start.x.min(s.line.end.x),
                s.line.start.y.min(s.line.end.y),
            ],
            [
                s.line.start.x.max(s.line.end.x),
                s.line.start.y.max(s.line.end.y),
            ],
        )
    };
    let tree = rstar::RTree::bulk_load(
        segs.iter()
            .enumerate()
            .map(|(i, s)| GeomWithData::new(rect(s), i))
            .collect(),
    );
    let mut earlier: Vec<usize> = Vec::new();
    for &i in rest {
        let r = rect(&segs[i]);
        earlier.clear();
        earlier.extend(
            tree.locate_in_envelope_intersecting(&r.envelope())
                .map(|c| c.data)
                .filter(|&j| rank[j] < rank[i]),
        );
        earlier.sort_unstable_by_key(|&j| rank[j]);
        if let Some(c) = first_bad(i, &earlier) {
            return Some(c);
        }
    }
    None
}

/// First point where two non-adjacent segments of the closed ring `pts` (not repeating the
/// first point) meet.
pub(crate) fn self_intersection(pts: &[Coord<f64>]) -> Option<Coord<f64>> {
    let n = pts.len();
    let segs: Vec<Seg> = (0..n)
        .map(|i| Seg {
            line: Line::new(pts[i], pts[(i + 1) % n]),
            ring: 0,
            idx: i,
            n,
        })
        .collect();
    sweep(&segs, |a, b, li| match li {
        LineIntersection::Collinear { intersection } => Some(intersection.start),
        LineIntersection::SinglePoint { intersection, .. } => {
            let adjacent = (a.idx + 1) % a.n == b.idx || (b.idx + 1) % b.n == a.idx;
            if !adjacent {
                return Some(intersection);
            }
            // Adjacent segments may only share their common vertex.
            let shared = if (a.idx + 1) % a.n == b.idx {
                b.line.start
            } else {
                a.line.start
            };
            (intersection != shared).then_some(intersection)
        }
    })
}

/// Relations between the rings of a multipolygon whose rings are each simple: rings may
/// touch at points but not cross or share a stretch; holes lie inside their shell and not
/// inside each other; parts do not overlap. Returns what is wrong and where.
pub fn ring_relations(mp: &MultiPolygon<f64>) -> Option<(&'static str, &'static str, Coord<f64>)> {
    use geo::Polygon;
    use geo::coordinate_position::{CoordPos, CoordinatePosition};
    let rings: Vec<&LineString<f64>> =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect();
    if rings.len() < 2 {
        return None;
    }
    let mut segs = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        let n = ring.0.len().saturating_sub(1);
        for (i, w) in ring.0.windows(2).enumerate() {
            if w[0] != w[1] {
                segs.push(Seg {
                    line: Line::new(w[0], w[1]),
                    ring: r,
                    idx: i,
                    n,
                });
            }
        }
    }
    let touch_ok = |p: Coord<f64>, s: &Seg| p == s.line.start || p == s.line.end;
    if let Some(c) = sweep(&segs, |a, b, li| {
        if a.ring == b.ring {
            return None;
        }
        match li {
            LineIntersection::Collinear { intersection } => Some(intersection.start),
            LineIntersection::SinglePoint { intersection, .. } => {
                (!(touch_ok(intersection, a) && touch_ok(intersection, b))).then_some(intersection)
            }
        }
    }) {
        return Some(("的环相互交叉或重合", "rings cross or share a stretch", c));
    }
    // A vertex of `ring` that is not on `poly`'s boundary, and where it lies.
    let probe = |ring: &LineString<f64>, poly: &Polygon<f64>| -> Option<(Coord<f64>, CoordPos)> {
        ring.0
            .iter()
            .find_map(|c| match poly.coordinate_position(c) {
                CoordPos::OnBoundary => None,
                pos => Some((*c, pos)),
            })
    };
    // Rings do not cross (above), so one vertex off a ring's boundary tells on which side
    // of it the whole ring lies. Candidates come from an R-tree of ring envelopes.
    use geo::BoundingRect;
    use rstar::primitives::{GeomWithData, Rectangle};
    let boxed = |ring: &LineString<f64>, k: usize| {
        ring.bounding_rect().map(|r| {
            GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                k,
            )
        })
    };
    let at = |c: Coord<f64>| rstar::AABB::from_point([c.x, c.y]);
    for p in &mp.0 {
        let shell = Polygon::new(p.exterior().clone(), vec![]);
        let holes = rstar::RTree::bulk_load(
            p.interiors()
                .iter()
                .enumerate()
                .filter_map(|(k, h)| boxed(h, k))
                .collect(),
        );
        for (k, h) in p.interiors().iter().enumerate() {
            let Some((c, pos)) = probe(h, &shell) else {
                continue;
            };
            if pos == CoordPos::Outside {
                return Some(("的内环在外环之外", "a hole lies outside its shell", c));
            }
            for other in holes.locate_in_envelope_intersecting(&at(c)) {
                if other.data != k
                    && let Some((c, CoordPos::Inside)) =
                        probe(h, &Polygon::new(p.interiors()[other.data].clone(), vec![]))
                {
                    return Some((
                        "的内环位于另一个内环之内",
                        "a hole lies inside another hole",
                        c,
                    ));
                }
            }
        }
    }
    let parts = rstar::RTree::bulk_load(
        mp.0.iter()
            .enumerate()
            .filter_map(|(k, p)| boxed(p.exterior(), k))
            .collect(),
    );
    for (i, a) in mp.0.iter().enumerate() {
        let Some(env) = a.exterior().bounding_rect() else {
            continue;
        };
        let env = rstar::AABB::from_corners([env.min().x, env.min().y], [env.max().x, env.max().y]);
        for other in parts.locate_in_envelope_intersecting(&env) {
            let b = &mp.0[other.data];
            if other.data <= i {
                continue;
            }
            for (x, y) in [(a, b), (b, a)] {
                if let Some((c, CoordPos::Inside)) = probe(x.exterior(), y) {
                    return Some(("的多个部分相互重叠", "parts of the multipolygon overlap", c));
                }
            }
        }
    }
    None
}

/// Where the first defect of `mp` lies that makes it invalid (a ring that is not simple,
/// or rings that cross, hold each other wrongly or overlap); None when it is valid.
/// Repeated vertices are not defects here.
pub fn first_defect(mp: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    for ring in
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
    {
        match ring_problem(ring) {
            None => {}
            Some(RingProblem::Spike(c) | RingProblem::SelfIntersection(c)) => return Some(c),
            Some(RingProblem::NonFinite | RingProblem::TooFewPoints) => {
                return Some(ring.0.first().copied().unwrap_or_default());
            }
        }
    }
    ring_relations(mp).map(|(_, _, c)| c)
}

/// Take the spikes out of a closed ring: a vertex where the boundary goes out and comes
/// straight back (its neighbours equal, or the three exactly on one line with the boundary
/// reversing) is removed, again until none is left, as GEOS's MakeValid does. Returns the
/// tips removed; a ring that would not keep three distinct points is left as it was.
pub fn remove_spikes(ring: &mut LineString<f64>) -> Vec<Coord<f64>> {
    let mut pts = open_ring(&ring.0);
    let mut tips = Vec::new();
    // A stack walk: each vertex is pushed once and popped at most once, so linear.
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(pts.len());
    let mut changed = true;
    while changed && pts.len() >= 3 {
        changed = false;
        out.clear();
        for &c in &pts {
            while out.len() >= 2 && spike(out[out.len() - 2], out[out.len() - 1], c) {
                tips.push(out.pop().unwrap_or_default());
                changed = true;
            }
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
        // The seam where the ring closes: spikes taken off its end, and off its start by
        // moving the start (no shifting of the whole ring for each).
        let mut lo = 0;
        while out.len() - lo >= 3 {
            let n = out.len();
            if spike(out[n - 2], out[n - 1], out[lo]) {
                tips.push(out.pop().unwrap_or_default());
                changed = true;
            } else if spike(out[n - 1], out[lo], out[lo + 1]) {
                tips.push(out[lo]);
                lo += 1;
                changed = true;
            } else {
                break;
            }
        }
        out.drain(..lo);
        while out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        std::mem::swap(&mut pts, &mut out);
    }
    if tips.is_empty() {
        return tips;
    }
    if distinct(&pts) < 3 {
        return Vec::new();
    }
    pts.push(pts[0]);
    ring.0 = pts;
    tips
}

/// True when `new`, which differs from `old` along one stretch of one ring, is proven valid
/// without a finding (no repeated vertex either) by looking only near that stretch, given
/// `old` was so. False means: run the full check ([`ring_problem`], [`ring_relations`]),
/// which then decides; so this answers only what the full check would answer.
///
/// Near the stretch means: its new vertices finite and not repeated, no spike at them or
/// their neighbours, its new segments meeting no segment of any ring except where the full
/// check allows (neighbours along the ring at their shared vertex, other rings at a vertex
/// of both), and no other ring moved from one side of the ring to the other (its first
/// vertex not inside the loop the old and new stretch make). Cost: one pass over the
/// segments' boxes and the loop per ring, not a sweep of the polygon.
pub fn still_clean(old: &MultiPolygon<f64>, new: &MultiPolygon<f64>) -> bool {
    if old.0.len() != new.0.len()
        || old
            .0
            .iter()
            .zip(&new.0)
            .any(|(a, b)| a.interiors().len() != b.interiors().len())
    {
        return false;
    }
    let (old_rings, new_rings) = (ring_slices(old), ring_slices(new));
    let mut changed = None;
    for (k, (a, b)) in old_rings.iter().zip(&new_rings).enumerate() {
        if a != b {
            if changed.is_some() {
                return false;
            }
            changed = Some(k);
        }
    }
    let Some(k) = changed else {
        return true;
    };
    let (o, n) = (old_rings[k], new_rings[k]);
    if n.len() < 4 || o.len() < 4 || n.first() != n.last() || o.first() != o.last() {
        return false;
    }
    if let Some((p, s)) = stretch(o, n) {
        return clean_stretch(&new_rings, k, o, (p, s));
    }
    // The stretch takes in the ring's first vertex (its seam): the same rings read from
    // their middle, where the old and new ring agree.
    let (h, len) = (o.len() / 2, o.len() - 1);
    let delta = n.len() as isize - o.len() as isize;
    let Some(j) = [h as isize, h as isize + delta]
        .into_iter()
        .filter_map(|j| usize::try_from(j).ok())
        .find(|&j| j < n.len() - 1 && n[j] == o[h])
    else {
        return false;
    };
    let (ro, rn) = (rotated(o, h), rotated(n, j));
    debug_assert_eq!(ro.len(), len + 1);
    let Some(ps) = stretch(&ro, &rn) else {
        return false;
    };
    let mut rings = new_rings;
    rings[k] = &rn;
    clean_stretch(&rings, k, &ro, ps)
}

/// The closed ring `ring` read from its vertex `h`.
fn rotated(ring: &[Coord<f64>], h: usize) -> Vec<Coord<f64>> {
    let open = &ring[..ring.len() - 1];
    open[h..]
        .iter()
        .chain(&open[..h])
        .chain(std::iter::once(&open[h]))
        .copied()
        .collect()
}

/// How many vertices the old and new closed ring share at their start and at their end,
/// when the stretch between leaves the first vertex alone.
fn stretch(o: &[Coord<f64>], n: &[Coord<f64>]) -> Option<(usize, usize)> {
    let short = o.len().min(n.len());
    let p = o
        .iter()
        .zip(n)
        .take_while(|(a, b)| a == b)
        .count()
        .min(short - 1);
    let s = o
        .iter()
        .rev()
        .zip(n.iter().rev())
        .take_while(|(a, b)| a == b)
        .count()
        .min(short - p);
    (p > 0 && s > 0).then_some((p, s))
}

/// [`still_clean`] for ring `k` of `new_rings` (`o` before), which keeps its first `p` and
/// last `s` vertices.
fn clean_stretch(
    new_rings: &[&[Coord<f64>]],
    k: usize,
    o: &[Coord<f64>],
    (p, s): (usize, usize),
) -> bool {
    let n = new_rings[k];
    let (a, e, oc) = (p - 1, n.len() - s, o.len() - s);
    let len = n.len() - 1;
    if e - a >= len || e - a > STRETCH_MOST {
        return false;
    }
    let fresh = &n[a..=e];
    if fresh.iter().any(|c| !(c.x.is_finite() && c.y.is_finite()))
        || fresh.windows(2).any(|w| w[0] == w[1])
    {
        return false;
    }
    let at = |i: usize| n[i % len];
    if (a..=e).any(|i| spike(at(i + len - 1), at(i), at(i + 1))) {
        return false;
    }
    if crosses(new_rings, k, a, e) {
        return false;
    }
    // Which side of the ring every other ring lies on: unchanged when its first vertex's
    // winding around the loop (new stretch out, old stretch back) is zero.
    let looped: Vec<Coord<f64>> = fresh
        .iter()
        .chain(o[a..=oc].iter().rev().skip(1))
        .copied()
        .collect();
    new_rings.iter().enumerate().all(|(r, ring)| {
        r == k
            || ring
                .first()
                .is_some_and(|&q| winding_off(q, &looped) == Some(0))
    })
}

/// More new segments than this: [`crosses`] would test each against every segment near
/// them (a merge's stretch is half the merged ring: 3,500 × 7,000 pairs, 50 ms), so the
/// full check's sweep decides instead (about n log n, 1-2 ms at 13,000 vertices).
const STRETCH_MOST: usize = 64;

/// Every ring's coordinates, shells each followed by their holes.
fn ring_slices(mp: &MultiPolygon<f64>) -> Vec<&[Coord<f64>]> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.as_slice())
        .collect()
}

/// A spike at `b`: the boundary comes straight back (its neighbours equal, or the three on
/// one line with the boundary reversing).
fn spike(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    if a == c {
        return true;
    }
    let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    let dot = (b.x - a.x) * (c.x - b.x) + (b.y - a.y) * (c.y - b.y);
    cross == 0.0 && dot < 0.0
}

/// Whether a new segment of ring `k` (segments `a..e`) meets a segment of any ring where
/// the full check does not allow it.
fn crosses(rings: &[&[Coord<f64>]], k: usize, a: usize, e: usize) -> bool {
    let fresh: Vec<(usize, Line<f64>)> = (a..e)
        .map(|i| (i, Line::new(rings[k][i], rings[k][i + 1])))
        .collect();
    let (mut lo, mut hi) = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for (_, l) in &fresh {
        for c in [l.start, l.end] {
            lo = Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            };
            hi = Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            };
        }
    }
    let meets_box = |l: &Line<f64>, lo: Coord<f64>, hi: Coord<f64>| {
        l.start.x.min(l.end.x) <= hi.x
            && l.start.x.max(l.end.x) >= lo.x
            && l.start.y.min(l.end.y) <= hi.y
            && l.start.y.max(l.end.y) >= lo.y
    };
    for (r, ring) in rings.iter().enumerate() {
        let len = ring.len().saturating_sub(1);
        for (j, w) in ring.windows(2).enumerate() {
            let other = Line::new(w[0], w[1]);
            if other.start == other.end || !meets_box(&other, lo, hi) {
                continue;
            }
            for &(i, line) in &fresh {
                if r == k && i == j {
                    continue;
                }
                let Some(li) = line_intersection(line, other) else {
                    continue;
                };
                let point = match li {
                    LineIntersection::Collinear { .. } => return true,
                    LineIntersection::SinglePoint { intersection, .. } => intersection,
                };
                let allowed = if r == k {
                    // Neighbours along the ring may share their common vertex only.
                    if (i + 1) % len == j {
                        point == line.end
                    } else if (j + 1) % len == i {
                        point == line.start
                    } else {
                        false
                    }
                } else {
                    (point == line.start || point == line.end)
                        && (point == other.start || point == other.end)
                };
                if !allowed {
                    return true;
                }
            }
        }
    }
    false
}

/// Winding number of the closed loop `pts` (first point not repeated) around `q`; None
/// when `q` lies on it.
fn winding_off(q: Coord<f64>, pts: &[Coord<f64>]) -> Option<i32> {
    let mut w = 0;
    for i in 0..pts.len() {
        let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
        let cross = (b.x - a.x) * (q.y - a.y) - (q.x - a.x) * (b.y - a.y);
        if cross == 0.0
            && q.x >= a.x.min(b.x)
            && q.x <= a.x.max(b.x)
            && q.y >= a.y.min(b.y)
            && q.y <= a.y.max(b.y)
        {
            return None;
        }
        if a.y <= q.y {
            if b.y > q.y && cross > 0.0 {
                w += 1;
            }
        } else if b.y <= q.y && cross < 0.0 {
            w -= 1;
        }
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, polygon};

    /// The first crossing as the sweep defines it, found by testing every pair.
    fn first_crossing_by_pairs(pts: &[Coord<f64>]) -> Option<Coord<f64>> {
        let n = pts.len();
        let seg = |i: usize| Line::new(pts[i], pts[(i + 1) % n]);
        let minx = |i: usize| pts[i].x.min(pts[(i + 1) % n].x);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| minx(a).total_cmp(&minx(b)));
        for (k, &i) in order.iter().enumerate() {
            for &j in &order[..k] {
                let Some(li) = line_intersection(seg(i), seg(j)) else {
                    continue;
                };
                let adjacent = (i + 1) % n == j || (j + 1) % n == i;
                let found = match li {
                    LineIntersection::Collinear { intersection } => Some(intersection.start),
                    LineIntersection::SinglePoint { intersection, .. } if !adjacent => {
                        Some(intersection)
                    }
                    LineIntersection::SinglePoint { intersection, .. } => {
                        let shared = if (i + 1) % n == j { pts[j] } else { pts[i] };
                        (intersection != shared).then_some(intersection)
                    }
                };
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }

    #[test]
    fn the_sweep_finds_the_crossing_every_pair_would() {
        let mut rng = fastrand::Rng::with_seed(3);
        // Wiggly rings with a few vertices thrown out of place (crossings), and combs whose
        // long teeth keep hundreds of segments reaching every x (the R-tree way).
        for case in 0..60 {
            let mut pts: Vec<Coord<f64>> = if case % 3 == 2 {
                let teeth = 300 + case;
                let mut p = Vec::new();
                for t in 0..teeth {
                    let y = t as f64 * 2.0;
                    p.push(coord! { x: 0.0, y: y });
                    p.push(coord! { x: 1000.0, y: y });
                    p.push(coord! { x: 1000.0, y: y + 1.0 });
                    p.push(coord! { x: 0.5, y: y + 1.0 });
                }
                p.push(coord! { x: -1.0, y: teeth as f64 * 2.0 });
                p.push(coord! { x: -1.0, y: 0.0 });
                p
            } else {
                (0..2000)
                    .map(|k| {
                        let a = k as f64 / 2000.0 * std::f64::consts::TAU;
                        let r = 1000.0 + 5.0 * (k as f64 * 0.7).sin() + rng.f64();
                        coord! { x: r * a.cos(), y: r * a.sin() }
                    })
                    .collect()
            };
            let n = pts.len();
            for _ in 0..case % 4 {
                let (i, j) = (rng.usize(..n), rng.usize(..n));
                pts[i] = pts[j] + coord! { x: rng.f64() * 3.0, y: rng.f64() * 3.0 };
            }
            assert_eq!(
                self_intersection(&pts),
                first_crossing_by_pairs(&pts),
                "case {case}"
            );
        }
    }

    #[test]
    fn spikes_come_out_and_the_rest_stays() {
        // A square with a spike out of its bottom edge (collinear reversal) and one that
        // goes out and back to the same point (a-b-a), and a spike across the seam.
        let mut ring = LineString::from(vec![
            (0.0, 0.0),
            (5.0, 0.0),
            (5.0, -3.0),
            (5.0, 0.0),
            (10.0, 0.0),
            (12.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 12.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ]);
        let tips = remove_spikes(&mut ring);
        assert_eq!(
            tips,
            vec![
                coord! {x: 5.0, y: -3.0},
                coord! {x: 12.0, y: 0.0},
                coord! {x: 0.0, y: 12.0}
            ]
        );
        let poly = geo::Polygon::new(ring.clone(), vec![]);
        assert_eq!(first_defect(&MultiPolygon(vec![poly])), None, "{ring:?}");
        use geo::Area;
        assert_eq!(geo::Polygon::new(ring, vec![]).unsigned_area(), 100.0);
        // Nothing to take from a valid square; a ring of one spike only stays as it was.
        let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        let mut r = square.exterior().clone();
        assert!(remove_spikes(&mut r).is_empty());
        assert_eq!(&r, square.exterior());
        let mut line = LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.0)]);
        let before = line.clone();
        assert!(remove_spikes(&mut line).is_empty());
        assert_eq!(line, before);
    }
    /// What the full check says: valid, and no vertex repeated.
    fn clean(mp: &MultiPolygon<f64>) -> bool {
        first_defect(mp).is_none()
            && mp
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .all(|r| r.0.windows(2).all(|w| w[0] != w[1]))
    }

    fn star(
        rng: &mut fastrand::Rng,
        n: usize,
        cx: f64,
        cy: f64,
        r0: f64,
        r1: f64,
    ) -> LineString<f64> {
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = r0 + (r1 - r0) * rng.f64();
                ((cx + r * t.cos()).round(), (cy + r * t.sin()).round())
            })
            .collect();
        pts.push(pts[0]);
        LineString::from(pts)
    }

    /// Random moves, inserts and deletes on a shell with holes (one near its edge) and a
    /// second part: whenever the local test says clean, the full check agrees; and it
    /// says so for most edits the full check finds clean (it is not a test that never passes).
    #[test]
    fn still_clean_agrees_with_the_full_check() {
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut agreed, mut clean_after, mut trials) = (0, 0, 0);
        for _ in 0..300 {
            let shell = star(&mut rng, 40, 0.0, 0.0, 80.0, 120.0);
            let holes = vec![
                star(&mut rng, 8, 0.0, 0.0, 10.0, 20.0),
                star(&mut rng, 6, 60.0, 0.0, 5.0, 8.0),
            ];
            let far = geo::Polygon::new(star(&mut rng, 12, 400.0, 0.0, 30.0, 50.0), vec![]);
            let mut mp = MultiPolygon(vec![geo::Polygon::new(shell, holes), far]);
            assert!(clean(&mp), "{mp:?}");
            for _ in 0..40 {
                let mut next = mp.clone();
                let ring_no = rng.usize(0..4);
                let (poly, ring) = match ring_no {
                    0 => (0, None),
                    1 | 2 => (0, Some(ring_no - 1)),
                    _ => (1, None),
                };
                let edit = |r: &mut LineString<f64>, rng: &mut fastrand::Rng| {
                    let len = r.0.len() - 1;
                    let i = rng.usize(0..len);
                    let reach = if rng.bool() { 15.0 } else { 150.0 };
                    let near = |c: Coord<f64>, rng: &mut fastrand::Rng| Coord {
                        x: (c.x + (rng.f64() - 0.5) * reach).round(),
                        y: (c.y + (rng.f64() - 0.5) * reach).round(),
                    };
                    match rng.usize(0..3) {
                        0 => r.0[i] = near(r.0[i], rng),
                        1 => {
                            let c = near(r.0[i], rng);
                            r.0.insert(i + 1, c);
                        }
                        _ if len > 3 => {
                            r.0.remove(i);
                        }
                        _ => {}
                    }
                    let last = r.0.len() - 1;
                    if i == 0 {
                        r.0[last] = r.0[0];
                    }
                };
                match ring {
                    None => next.0[poly].exterior_mut(|r| edit(r, &mut rng)),
                    Some(h) => next.0[poly].interiors_mut(|rs| edit(&mut rs[h], &mut rng)),
                }
                trials += 1;
                let local = still_clean(&mp, &next);
                let full = clean(&next);
                assert!(!local || full, "said clean but is not: {mp:?} -> {next:?}");
                if full {
                    clean_after += 1;
                    agreed += usize::from(local);
                    mp = next;
                }
            }
        }
        assert!(
            clean_after > trials / 4,
            "{clean_after} of {trials} edits left it clean"
        );
        assert!(
            agreed * 100 >= clean_after * 95,
            "decided near the edit: {agreed} of {clean_after}"
        );
    }
}
