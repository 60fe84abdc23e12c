//! Cheap, local stand-ins for whole-polygon work: a polygon cut down to a rectangle before
//! an exact boolean operation that only concerns what lies inside it, and a bound on the
//! area a set of cycles can enclose, so the parts of a winding field that cannot hold a
//! finding are not overlaid at all. Both keep the cost of an edit proportional to what lies near it, not
//! to the size of the grids (a village boundary of 10,000 vertices).

use super::validity::self_intersection;
use geo::algorithm::line_intersection::line_intersection;
use geo::{Coord, Line, LineString, MultiPolygon, Polygon, Rect};
use rustc_hash::FxHashMap;

/// `mp` cut to the rectangle `r` (Sutherland–Hodgman, ring by ring): the same point set
/// inside `r`, the same winding number at every point strictly inside `r`. Where a ring is
/// not convex the cut ring may run back and forth along `r`'s sides (zero width), so use
/// the result only for what lies strictly inside `r`: give a rectangle with a margin around
/// the area of interest. Rings inside `r` are kept as they are, rings whose envelope misses
/// `r` are dropped, so the cost is linear and the cut of a small window is small.
pub fn clip_to_rect(mp: &MultiPolygon<f64>, r: Rect<f64>) -> MultiPolygon<f64> {
    let mut out = Vec::new();
    for p in &mp.0 {
        let Some(exterior) = clip_ring(p.exterior(), r) else {
            continue;
        };
        let holes = p
            .interiors()
            .iter()
            .filter_map(|h| clip_ring(h, r))
            .collect();
        out.push(Polygon::new(exterior, holes));
    }
    MultiPolygon(out)
}

fn clip_ring(ring: &LineString<f64>, r: Rect<f64>) -> Option<LineString<f64>> {
    let env = geo::BoundingRect::bounding_rect(ring)?;
    if !super::rects_intersect(&env, &r) {
        return None;
    }
    if super::rect_contains(&r, &env) {
        return Some(ring.clone());
    }
    let mut pts: Vec<Coord<f64>> = ring.0.clone();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let (lo, hi) = (r.min(), r.max());
    // Each side of the rectangle: which coordinate, the limit, and whether inside is below.
    for (axis_x, limit, below) in [
        (true, lo.x, false),
        (true, hi.x, true),
        (false, lo.y, false),
        (false, hi.y, true),
    ] {
        if pts.is_empty() {
            return None;
        }
        let value = |c: Coord<f64>| if axis_x { c.x } else { c.y };
        let inside = |c: Coord<f64>| {
            if below {
                value(c) <= limit
            } else {
                value(c) >= limit
            }
        };
        let mut next = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
            match (inside(a), inside(b)) {
                (true, true) => next.push(b),
                (true, false) => next.push(cross(a, b, axis_x, limit)),
                (false, true) => {
                    next.push(cross(a, b, axis_x, limit));
                    next.push(b);
                }
                (false, false) => {}
            }
        }
        pts = next;
    }
    pts.dedup();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    pts.push(pts[0]);
    Some(LineString(pts))
}

/// Where segment a-b crosses the line `x = limit` (or `y = limit`), computed from the
/// segment's ends in a fixed order so that a segment shared by two rings, walked in
/// opposite directions, is cut at the same point.
fn cross(a: Coord<f64>, b: Coord<f64>, axis_x: bool, limit: f64) -> Coord<f64> {
    let (p, q) = if super::coord_cmp(a, b).is_le() {
        (a, b)
    } else {
        (b, a)
    };
    if axis_x {
        let t = (limit - p.x) / (q.x - p.x);
        Coord {
            x: limit,
            y: p.y + t * (q.y - p.y),
        }
    } else {
        let t = (limit - p.y) / (q.y - p.y);
        Coord {
            x: p.x + t * (q.x - p.x),
            y: limit,
        }
    }
}

/// One contour edge, as two points.
type Edge = ([f64; 2], [f64; 2]);

/// At most this many tests of a way out against the kept edges (the number of runs times
/// the number of kept edges): beyond it, a contour set that winds in and out of the window
/// that often is overlaid as it is.
const MOST_TESTS: usize = 4_000_000;

/// i_overlay contours (not closed) as an exact overlay sees them inside `window`: every
/// edge whose box meets the window kept as it is, bit for bit, and every run of edges that
/// misses it replaced by a few edges around the window (out from the run's ends to a box
/// around everything, along that box) that wind round the window as often and the same way
/// as the run did. So the winding number at every point of the window is unchanged, no new
/// edge enters the window, and no kept edge meets a new one (the way out from an end is
/// tested against every kept edge): an overlay with a shape inside the window gives the
/// same result, vertex for vertex, at the cost of what lies near the window. Contours that
/// miss the window become as many loops of the box as they wound round it (none for most).
/// The box lies `pad` beyond the window and every point. None when some end has no clear
/// way out: use the contours as they are.
pub fn contours_near(
    contours: &[Vec<[f64; 2]>],
    window: Rect<f64>,
    pad: f64,
) -> Option<Vec<Vec<[f64; 2]>>> {
    let (lo, hi) = (window.min(), window.max());
    let meets = |a: [f64; 2], b: [f64; 2]| {
        a[0].min(b[0]) <= hi.x
            && a[0].max(b[0]) >= lo.x
            && a[1].min(b[1]) <= hi.y
            && a[1].max(b[1]) >= lo.y
    };
    let kept: Vec<Vec<bool>> = contours
        .iter()
        .map(|c| {
            (0..c.len())
                .map(|i| meets(c[i], c[(i + 1) % c.len()]))
                .collect()
        })
        .collect();
    let edges: Vec<Edge> = contours
        .iter()
        .zip(&kept)
        .flat_map(|(c, k)| {
            (0..c.len())
                .filter(|&i| k[i])
                .map(|i| (c[i], c[(i + 1) % c.len()]))
        })
        .collect();
    // The box the runs are led around: `pad` beyond every point and the window.
    let outer = contours.iter().flatten().fold(window, |r, p| {
        super::extend_rect(r, Coord { x: p[0], y: p[1] })
    });
    let outer = super::expand(outer, pad);
    let around = Around {
        window,
        outer,
        centre: [(lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0],
        edges: &edges,
        tests: std::cell::Cell::new(0),
    };
    let mut out = Vec::with_capacity(contours.len());
    for (c, k) in contours.iter().zip(&kept) {
        let n = c.len();
        if k.iter().all(|&b| b) {
            out.push(c.clone());
            continue;
        }
        let Some(start) = (0..n).find(|&i| k[i] && !k[(i + n - 1) % n]) else {
            // Nothing of it near the window: only how often it winds round it counts.
            let turns = around.turns(c, 0, n);
            let w = (turns / std::f64::consts::TAU).round() as i64;
            for _ in 0..w.unsigned_abs() {
                out.push(around.loop_of_box(w > 0));
            }
            continue;
        };
        let mut pts = Vec::new();
        let mut i = 0;
        while i < n {
            let at = (start + i) % n;
            pts.push(c[at]);
            if k[at] {
                i += 1;
                continue;
            }
            // A run from c[at] to the start of the next kept edge.
            let mut j = i;
            while !k[(start + j) % n] {
                j += 1;
            }
            let (a, b) = (c[at], c[(start + j) % n]);
            let turns = around.turns(c, start + i, j - i);
            pts.extend(around.way_round(a, b, turns)?);
            i = j;
        }
        out.push(pts);
    }
    Some(out)
}

/// What [`contours_near`] leads runs around.
struct Around<'a> {
    window: Rect<f64>,
    outer: Rect<f64>,
    centre: [f64; 2],
    edges: &'a [Edge],
    tests: std::cell::Cell<usize>,
}

impl Around<'_> {
    /// The angle the window's centre sees an edge under (signed, counter-clockwise
    /// positive; less than a half turn, as the edge misses the window).
    fn angle(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        let (ax, ay) = (a[0] - self.centre[0], a[1] - self.centre[1]);
        let (bx, by) = (b[0] - self.centre[0], b[1] - self.centre[1]);
        (ax * by - ay * bx).atan2(ax * bx + ay * by)
    }

    /// The direction of `p` from the centre.
    fn bearing(&self, p: [f64; 2]) -> f64 {
        (p[1] - self.centre[1]).atan2(p[0] - self.centre[0])
    }

    /// The angle swept by `count` edges of `c` from index `from` on (indices wrap).
    fn turns(&self, c: &[[f64; 2]], from: usize, count: usize) -> f64 {
        let n = c.len();
        (from..from + count)
            .map(|i| self.angle(c[i % n], c[(i + 1) % n]))
            .sum()
    }

    fn corners(&self) -> [[f64; 2]; 4] {
        let (lo, hi) = (self.outer.min(), self.outer.max());
        [[lo.x, lo.y], [hi.x, lo.y], [hi.x, hi.y], [lo.x, hi.y]]
    }

    /// The outer box as a contour, counter-clockwise or not.
    fn loop_of_box(&self, ccw: bool) -> Vec<[f64; 2]> {
        let mut c = self.corners().to_vec();
        if !ccw {
            c.reverse();
        }
        c
    }

    /// The points after `a` and before `b` of a path from `a` to `b` outside the window
    /// that sweeps `turns` round its centre: straight out to the outer box, along it, and
    /// straight in. None when neither end has a way out clear of every kept edge.
    fn way_round(&self, a: [f64; 2], b: [f64; 2], turns: f64) -> Option<Vec<[f64; 2]>> {
        use std::f64::consts::TAU;
        let a_out = self.way_out(a)?;
        let b_out = self.way_out(b)?;
        let along = turns - self.angle(a, a_out) - self.angle(b_out, b);
        // Counter-clockwise from a_out to b_out: `base`, in [0, a whole turn).
        let base = (self.bearing(b_out) - self.bearing(a_out)).rem_euclid(TAU);
        let whole = ((along - base) / TAU).round() as i64;
        // Each corner's angle from a_out, counter-clockwise or clockwise, in (0, a turn].
        let from_a = |p: [f64; 2], ccw: bool| {
            let d = self.bearing(p) - self.bearing(a_out);
            let d = if ccw { d } else { -d }.rem_euclid(TAU);
            if d == 0.0 { TAU } else { d }
        };
        let (ccw, loops, partial) = if whole >= 0 {
            (true, whole, base)
        } else {
            let back = if base > 0.0 { TAU - base } else { 0.0 };
            (false, -whole - i64::from(base > 0.0), back)
        };
        let mut corners: Vec<([f64; 2], f64)> = self
            .corners()
            .into_iter()
            .map(|c| (c, from_a(c, ccw)))
            .collect();
        corners.sort_by(|x, y| x.1.total_cmp(&y.1));
        let mut path = vec![a_out];
        for _ in 0..loops {
            path.extend(corners.iter().map(|c| c.0));
        }
        path.extend(corners.iter().filter(|c| c.1 < partial).map(|c| c.0));
        path.push(b_out);
        path.dedup();
        Some(path)
    }

    /// Where a straight way from `p` (outside the window) away from the window meets the
    /// outer box, along an axis on which `p` lies beyond the window, and which no kept
    /// edge meets (other than at `p`, where it starts).
    fn way_out(&self, p: [f64; 2]) -> Option<[f64; 2]> {
        let (lo, hi) = (self.window.min(), self.window.max());
        let (olo, ohi) = (self.outer.min(), self.outer.max());
        let mut ways = [
            (lo.x - p[0], [olo.x, p[1]]),
            (p[0] - hi.x, [ohi.x, p[1]]),
            (lo.y - p[1], [p[0], olo.y]),
            (p[1] - hi.y, [p[0], ohi.y]),
        ];
        ways.sort_by(|x, y| y.0.total_cmp(&x.0));
        ways.into_iter()
            .filter(|w| w.0 > 0.0)
            .map(|w| w.1)
            .find(|&q| self.clear(p, q))
    }

    /// Whether the segment p-q meets no kept edge, but for a kept edge that starts or
    /// ends at `p` and leaves it in another direction.
    fn clear(&self, p: [f64; 2], q: [f64; 2]) -> bool {
        self.tests.set(self.tests.get() + self.edges.len());
        if self.tests.get() > MOST_TESTS {
            return false;
        }
        let (x0, x1) = (p[0].min(q[0]), p[0].max(q[0]));
        let (y0, y1) = (p[1].min(q[1]), p[1].max(q[1]));
        self.edges.iter().all(|&(a, b)| {
            if a[0].max(b[0]) < x0
                || a[0].min(b[0]) > x1
                || a[1].max(b[1]) < y0
                || a[1].min(b[1]) > y1
            {
                return true;
            }
            let other = if a == p {
                b
            } else if b == p {
                a
            } else {
                // Crossing, touching or overlapping (exact orientation tests).
                let c = |v: [f64; 2]| Coord { x: v[0], y: v[1] };
                return line_intersection(Line::new(c(p), c(q)), Line::new(c(a), c(b))).is_none();
            };
            // Sharing `p`: clear unless the edge runs along the way out.
            let cross = (q[0] - p[0]) * (other[1] - p[1]) - (q[1] - p[1]) * (other[0] - p[0]);
            let dot = (q[0] - p[0]) * (other[0] - p[0]) + (q[1] - p[1]) * (other[1] - p[1]);
            cross != 0.0 || dot < 0.0
        })
    }
}

/// The loops of `cycles` that may enclose `least` area together: each cycle is cut into
/// loops at the vertices it passes twice, and loops whose envelopes meet are grouped.
/// A loop that does not cross or touch itself is a simple polygon, whose field covers
/// exactly its area; the field of the cycles is the sum of the loops' fields, and a
/// connected region where it is not zero lies in the loops of one group. So a group whose
/// loops' areas add up to less than `least` (none crossing itself) holds no region of
/// `least` area, and leaving its loops out changes the field nowhere else (the groups'
/// envelopes do not meet). Returns the loops of the other groups, each closed, in order.
pub fn loops_enclosing(cycles: &[Vec<[f64; 2]>], least: f64) -> Vec<Vec<[f64; 2]>> {
    // Each loop with its shoelace area, its area if it is simple. Whether it is simple
    // (a sweep over its segments, the dear part) is asked only in a group whose shoelace
    // areas add up to less than `least`: a group that adds up to as much is kept either
    // way (all simple, it encloses that much; one not simple counts as unbounded).
    let mut loops: Vec<(Vec<Coord<f64>>, f64)> = Vec::new();
    for cycle in cycles {
        let mut stack: Vec<Coord<f64>> = Vec::with_capacity(cycle.len());
        let mut at: FxHashMap<(u64, u64), usize> =
            FxHashMap::with_capacity_and_hasher(cycle.len(), Default::default());
        for p in cycle.iter().chain(cycle.first()) {
            let c = Coord { x: p[0], y: p[1] };
            let key = super::coord_key(c);
            if let Some(&i) = at.get(&key) {
                // A loop closes: from its first visit of `c` to now.
                let pts = stack[i..].to_vec();
                for q in &stack[i + 1..] {
                    at.remove(&super::coord_key(*q));
                }
                stack.truncate(i + 1);
                if pts.len() >= 3 {
                    let area = shoelace_area(&pts);
                    loops.push((pts, area));
                }
            } else {
                at.insert(key, stack.len());
                stack.push(c);
            }
        }
    }
    let boxes: Vec<Rect<f64>> = loops
        .iter()
        .map(|(pts, _)| super::coords_envelope(pts.iter().copied()).expect("a loop has points"))
        .collect();
    let group = super::overlapping_groups(&boxes);
    let mut shoelace: FxHashMap<usize, f64> = FxHashMap::default();
    for (k, (_, area)) in loops.iter().enumerate() {
        *shoelace.entry(group[k]).or_insert(0.0) += area;
    }
    let mut total: FxHashMap<usize, f64> = FxHashMap::default();
    for (k, (pts, area)) in loops.iter().enumerate() {
        let g = group[k];
        let area = if shoelace[&g] >= least || is_simple_loop(pts) {
            *area
        } else {
            f64::INFINITY
        };
        *total.entry(g).or_insert(0.0) += area;
    }
    loops
        .into_iter()
        .enumerate()
        .filter(|(k, _)| total[&group[*k]] >= least)
        .map(|(_, (pts, _))| pts.iter().map(|c| [c.x, c.y]).collect())
        .collect()
}

/// The shoelace area of the loop through `pts` (closing edge implied), unsigned: the
/// area it encloses when it is simple. `ring_signed_area2` measures from the first point,
/// so the closing edge back to it adds nothing: the loop needs no closed copy.
fn shoelace_area(pts: &[Coord<f64>]) -> f64 {
    (super::ring_signed_area2(pts) / 2.0).abs()
}

/// Whether the loop through `pts` (distinct points, closing edge implied) neither crosses
/// nor touches itself.
fn is_simple_loop(pts: &[Coord<f64>]) -> bool {
    pts.len() <= 3 || self_intersection(pts).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, polygon};

    #[test]
    fn clip_keeps_what_lies_inside_the_rectangle() {
        // A U shape (not convex) cut by a rectangle through both arms.
        let u = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0),
            (x: 20.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 30.0), (x: 0.0, y: 30.0),
        ]]);
        let r = Rect::new(Coord { x: -5.0, y: 5.0 }, Coord { x: 35.0, y: 20.0 });
        let cut = clip_to_rect(&u, r);
        let exact = u.intersection(&MultiPolygon(vec![r.to_polygon()]));
        assert!((cut.unsigned_area() - exact.unsigned_area()).abs() < 1e-9);
        assert!(
            (cut.unsigned_area() - 350.0).abs() < 1e-9,
            "{}",
            cut.unsigned_area()
        );
        // A small shape strictly inside: the difference is the same as with the whole.
        let probe = MultiPolygon(vec![polygon![
            (x: 5.0, y: 8.0), (x: 25.0, y: 8.0), (x: 25.0, y: 15.0), (x: 5.0, y: 15.0),
        ]]);
        let whole = probe.difference(&u).unsigned_area();
        let local = probe.difference(&cut).unsigned_area();
        assert!((whole - 50.0).abs() < 1e-9, "{whole}");
        assert!((whole - local).abs() < 1e-9);
        // Rings inside are kept as they are; rings outside go.
        let inside = Rect::new(Coord { x: -1.0, y: -1.0 }, Coord { x: 31.0, y: 31.0 });
        assert_eq!(clip_to_rect(&u, inside), u);
        let away = Rect::new(Coord { x: 50.0, y: 50.0 }, Coord { x: 60.0, y: 60.0 });
        assert!(clip_to_rect(&u, away).0.is_empty());
    }

    #[test]
    fn clip_cuts_holes_too() {
        let holed = MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 6.0, y: 4.0), (x: 6.0, y: 6.0), (x: 4.0, y: 6.0)]],
        )]);
        let r = Rect::new(Coord { x: 5.0, y: -1.0 }, Coord { x: 11.0, y: 11.0 });
        let cut = clip_to_rect(&holed, r);
        assert!((cut.unsigned_area() - (50.0 - 2.0)).abs() < 1e-9);
    }

    #[test]
    fn loops_that_cannot_enclose_the_least_area_are_left_out() {
        let sq = |x0: f64, s: f64| vec![[x0, 0.0], [x0 + s, 0.0], [x0 + s, s], [x0, s]];
        // Two unit squares of opposite orientation chained through a shared vertex: their
        // signed areas cancel, their loops do not.
        let mut figure8 = sq(0.0, 1.0);
        figure8.push([0.0, 0.0]);
        figure8.extend([[0.0, -1.0], [-1.0, -1.0], [-1.0, 0.0]]);
        assert_eq!(
            loops_enclosing(std::slice::from_ref(&figure8), 1.5).len(),
            2
        );
        assert!(loops_enclosing(&[figure8], 2.5).is_empty());
        // Specks apart are judged one by one; specks whose envelopes meet, together.
        let specks = vec![sq(0.0, 0.5), sq(10.0, 0.5), sq(10.2, 0.5)];
        assert_eq!(loops_enclosing(&specks, 0.2).len(), 3);
        let kept = loops_enclosing(&specks, 0.3);
        assert_eq!(kept.len(), 2, "the two that meet: {kept:?}");
        assert!(kept.iter().all(|l| l[0][0] >= 10.0));
        assert_eq!(loops_enclosing(&specks, 0.45).len(), 2);
        assert!(loops_enclosing(&specks, 0.6).is_empty());
        // A bow tie crosses itself: kept whatever its signed area.
        let bow = vec![[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0]];
        assert_eq!(loops_enclosing(&[bow], 100.0).len(), 1);
        // A back-and-forth edge encloses nothing.
        assert!(loops_enclosing(&[vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]], 0.0).is_empty());
    }
}
