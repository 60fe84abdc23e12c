//! Cheap, local stand-ins for whole-polygon work: a polygon cut down to a rectangle before
//! an exact boolean operation that only concerns what lies inside it, and a bound on the
//! area a set of cycles can enclose, so the parts of a winding field that cannot hold a
//! finding are not overlaid at all. Both keep the cost of an edit proportional to what lies near it, not
//! to the size of the grids (a village boundary of 10,000 vertices).

use super::validity::self_intersection;
use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};
use std::collections::HashMap;

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

/// The loops of `cycles` that may enclose `least` area together: each cycle is cut into
/// loops at the vertices it passes twice, and loops whose envelopes meet are grouped.
/// A loop that does not cross or touch itself is a simple polygon, whose field covers
/// exactly its area; the field of the cycles is the sum of the loops' fields, and a
/// connected region where it is not zero lies in the loops of one group. So a group whose
/// loops' areas add up to less than `least` (none crossing itself) holds no region of
/// `least` area, and leaving its loops out changes the field nowhere else (the groups'
/// envelopes do not meet). Returns the loops of the other groups, each closed, in order.
pub fn loops_enclosing(cycles: &[Vec<[f64; 2]>], least: f64) -> Vec<Vec<[f64; 2]>> {
    let mut loops: Vec<(Vec<Coord<f64>>, Option<f64>)> = Vec::new();
    for cycle in cycles {
        let mut stack: Vec<Coord<f64>> = Vec::with_capacity(cycle.len());
        let mut at: HashMap<(u64, u64), usize> = HashMap::with_capacity(cycle.len());
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
                    let area = simple_loop_area(&pts);
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
        .map(|(pts, _)| {
            pts.iter()
                .fold(Rect::new(pts[0], pts[0]), |r, &c| super::extend_rect(r, c))
        })
        .collect();
    let group = super::overlapping_groups(&boxes);
    let mut total: HashMap<usize, f64> = HashMap::new();
    for (k, (_, area)) in loops.iter().enumerate() {
        *total.entry(group[k]).or_insert(0.0) += area.unwrap_or(f64::INFINITY);
    }
    loops
        .into_iter()
        .enumerate()
        .filter(|(k, _)| total[&group[*k]] >= least)
        .map(|(_, (pts, _))| pts.iter().map(|c| [c.x, c.y]).collect())
        .collect()
}

/// The area of the loop through `pts` (distinct points, closing edge implied), or None
/// when it crosses or touches itself.
fn simple_loop_area(pts: &[Coord<f64>]) -> Option<f64> {
    if pts.len() < 3 {
        return Some(0.0);
    }
    if pts.len() > 3 && self_intersection(pts).is_some() {
        return None;
    }
    let mut ring = pts.to_vec();
    ring.push(pts[0]);
    Some((super::ring_signed_area2(&ring) / 2.0).abs())
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
