//! Winding-number overlays on loose directed cycles.
//!
//! A coverage's union, its gaps and its overlaps are all level sets of one winding-number
//! field: the sum over the children's rings (exterior counter-clockwise) minus the parent's.
//! Cancelling every pair of opposite directed edges leaves that field unchanged, so a clean
//! coverage leaves almost nothing to overlay and the exact boolean work (i_overlay) runs only
//! on the few edges that do not match.

use super::coord_key;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::simplify::SimplifyShape;
use std::collections::HashMap;

/// The rings of a multipolygon as i_overlay contours (exterior CCW, holes CW, not closed).
pub fn polygon_contours(mp: &MultiPolygon<f64>) -> Vec<Vec<[f64; 2]>> {
    let mut out = Vec::new();
    for p in &mp.0 {
        for ring in super::canonical_rings(p) {
            let mut c: Vec<[f64; 2]> = ring.iter().map(|c| [c.x, c.y]).collect();
            c.pop();
            if c.len() >= 3 {
                out.push(c);
            }
        }
    }
    out
}

/// Chain directed edges into closed cycles. Where every vertex has as many edges in as out
/// (true after cancelling opposite pairs from closed rings) every edge ends up in a cycle;
/// edges that cannot be closed are dropped.
pub fn edges_to_cycles(edges: &[(Coord<f64>, Coord<f64>)]) -> Vec<Vec<[f64; 2]>> {
    let mut by_start: HashMap<(u64, u64), Vec<usize>> = HashMap::with_capacity(edges.len());
    // Reverse order so that pop() takes edges in input order: deterministic cycles.
    for (i, e) in edges.iter().enumerate().rev() {
        by_start.entry(coord_key(e.0)).or_default().push(i);
    }
    let mut used = vec![false; edges.len()];
    let mut cycles = Vec::new();
    for start in 0..edges.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let origin = coord_key(edges[start].0);
        let mut path = vec![[edges[start].0.x, edges[start].0.y]];
        let mut cur = edges[start].1;
        let mut closed = false;
        loop {
            if coord_key(cur) == origin {
                closed = true;
                break;
            }
            path.push([cur.x, cur.y]);
            let Some(list) = by_start.get_mut(&coord_key(cur)) else {
                break;
            };
            let mut next = None;
            while let Some(j) = list.pop() {
                if !used[j] {
                    next = Some(j);
                    break;
                }
            }
            let Some(j) = next else { break };
            used[j] = true;
            cur = edges[j].1;
        }
        if closed && path.len() >= 3 {
            cycles.push(path);
        }
    }
    cycles
}

/// Directed edges of a multipolygon's rings, exterior counter-clockwise (reversed when
/// `reverse`, to subtract the area).
pub fn push_directed_edges(
    mp: &MultiPolygon<f64>,
    reverse: bool,
    out: &mut Vec<(Coord<f64>, Coord<f64>)>,
) {
    for p in &mp.0 {
        for ring in super::canonical_rings(p) {
            for w in ring.windows(2) {
                if w[0] != w[1] {
                    out.push(if reverse { (w[1], w[0]) } else { (w[0], w[1]) });
                }
            }
        }
    }
}

/// Cancel each pair of opposite directed edges; the winding-number field is unchanged.
/// Between exactly shared edges of a clean coverage nothing is left but its outline.
pub fn cancel_opposite(edges: Vec<(Coord<f64>, Coord<f64>)>) -> Vec<(Coord<f64>, Coord<f64>)> {
    type K = super::EdgeKey;
    let key = |a: Coord<f64>, b: Coord<f64>| -> K { (coord_key(a), coord_key(b)) };
    let mut count: HashMap<K, i64> = HashMap::with_capacity(edges.len());
    for &(a, b) in &edges {
        *count.entry(key(a, b)).or_default() += 1;
    }
    let mut out = Vec::new();
    for &(a, b) in &edges {
        let k = key(a, b);
        let fwd = count.get(&k).copied().unwrap_or(0);
        let bwd = count.get(&key(b, a)).copied().unwrap_or(0);
        // Keep an edge while its direction has a surplus over the reverse; each kept edge
        // uses up one of the surplus.
        if fwd > bwd {
            out.push((a, b));
            if let Some(c) = count.get_mut(&k) {
                *c -= 1;
            }
        }
    }
    out
}

/// The region where the winding number of `contours` satisfies `rule`, with the convention
/// that a counter-clockwise contour winds +1 inside. Output exterior rings are CCW.
pub fn fill_cycles(contours: &[Vec<[f64; 2]>], rule: WindingRule) -> MultiPolygon<f64> {
    if contours.is_empty() {
        return MultiPolygon(vec![]);
    }
    let fill = match rule {
        WindingRule::Positive => FillRule::Positive,
        WindingRule::Negative => FillRule::Negative,
        WindingRule::NonZero => FillRule::NonZero,
    };
    let shapes = contours.simplify_shape(fill);
    to_multipolygon(shapes)
}

/// Which winding numbers count as inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindingRule {
    /// winding > 0
    Positive,
    /// winding < 0
    Negative,
    /// winding != 0
    NonZero,
}

fn to_ring(c: &[[f64; 2]]) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = c.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    if let Some(&f) = pts.first() {
        pts.push(f);
    }
    LineString(pts)
}

fn to_multipolygon(shapes: Vec<Vec<Vec<[f64; 2]>>>) -> MultiPolygon<f64> {
    MultiPolygon(
        shapes
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                let ext = to_ring(&s[0]);
                let holes = s[1..].iter().map(|h| to_ring(h)).collect();
                super::canonical_polygon(&Polygon::new(ext, holes))
            })
            .collect(),
    )
}

/// `a` minus `b`, exact (i_overlay).
pub fn difference(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::BooleanOps;
    a.difference(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(x0: f64, y0: f64, s: f64) -> Vec<[f64; 2]> {
        vec![[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s]]
    }

    #[test]
    fn ccw_contour_is_positive() {
        let pos = fill_cycles(&[sq(0.0, 0.0, 10.0)], WindingRule::Positive);
        assert!((super::super::area(&pos) - 100.0).abs() < 1e-6);
        let neg = fill_cycles(&[sq(0.0, 0.0, 10.0)], WindingRule::Negative);
        assert!(super::super::area(&neg) < 1e-9);
    }

    #[test]
    fn parent_minus_children_leaves_the_gap() {
        // parent 10x10 reversed, one child covering the left half
        let mut parent = sq(0.0, 0.0, 10.0);
        parent.reverse();
        let child = vec![[0.0, 0.0], [5.0, 0.0], [5.0, 10.0], [0.0, 10.0]];
        let gap = fill_cycles(&[parent, child], WindingRule::Negative);
        assert!((super::super::area(&gap) - 50.0).abs() < 1e-6);
    }
}
