//! Which polygons share boundary with which, and how much: neighbour-distinct map colours
//! (canvas and print) and the four bounds (四至) of a grid rest on it.
//!
//! Shared boundary is found segment by segment: a segment of one polygon lies on another's
//! boundary when its midpoint is within `tol` of one of the other's segments. This holds for
//! exactly noded coverages and for real data whose neighbours do not share every vertex.

use geo::{Coord, MultiPolygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

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
                if w[0] != w[1] {
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
/// at most `colours` colours where it can; returns a colour index per node. Deterministic.
pub fn colouring(adj: &[Vec<usize>], colours: usize) -> Vec<usize> {
    let n = adj.len();
    let mut colour = vec![usize::MAX; n];
    for _ in 0..n {
        // Saturation (distinct neighbour colours), then degree, then lowest index.
        let pick = (0..n)
            .filter(|&i| colour[i] == usize::MAX)
            .max_by_key(|&i| {
                let mut seen: Vec<usize> = adj[i]
                    .iter()
                    .map(|&j| colour[j])
                    .filter(|&c| c != usize::MAX)
                    .collect();
                seen.sort_unstable();
                seen.dedup();
                (seen.len(), adj[i].len(), std::cmp::Reverse(i))
            });
        let Some(i) = pick else { break };
        let used: Vec<usize> = adj[i].iter().map(|&j| colour[j]).collect();
        colour[i] = (0..n + 1).find(|c| !used.contains(c)).unwrap_or(0);
        if colour[i] >= colours {
            // Out of colours: reuse the one least used among the neighbours.
            colour[i] = (0..colours)
                .min_by_key(|c| used.iter().filter(|u| *u == c).count())
                .unwrap_or(0);
        }
    }
    colour
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
