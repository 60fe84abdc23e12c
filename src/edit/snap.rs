//! Snapping: the nearest vertex, else the nearest point on an edge, of the grids, the
//! boundary and the rivers, within a tolerance; and tracing along a ring between two
//! snapped points.

use crate::model::Project;
use geo::Coord;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SnapKind {
    Vertex,
    /// On the edge from `.0` to `.1`.
    Edge(Coord<f64>, Coord<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub at: Coord<f64>,
    pub kind: SnapKind,
}

/// Spatial index of everything one can snap to.
pub struct SnapIndex {
    vertices: RTree<GeomWithData<[f64; 2], ()>>,
    edges: RTree<GeomWithData<Line<[f64; 2]>, ()>>,
}

impl SnapIndex {
    pub fn new(project: &Project) -> Self {
        let mut rings: Vec<&[Coord<f64>]> = Vec::new();
        for mp in project
            .grids
            .iter()
            .map(|g| &g.geometry)
            .chain(project.boundary.iter().map(|b| &b.geometry))
        {
            for p in &mp.0 {
                rings.push(&p.exterior().0);
                rings.extend(p.interiors().iter().map(|h| h.0.as_slice()));
            }
        }
        for r in &project.rivers {
            rings.extend(r.geometry.0.iter().map(|l| l.0.as_slice()));
        }
        let mut verts: Vec<[f64; 2]> = rings
            .iter()
            .flat_map(|r| r.iter().map(|c| [c.x, c.y]))
            .collect();
        verts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        verts.dedup();
        let edges = rings
            .iter()
            .flat_map(|r| r.windows(2))
            .filter(|w| w[0] != w[1])
            .map(|w| GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), ()))
            .collect();
        SnapIndex {
            vertices: RTree::bulk_load(
                verts
                    .into_iter()
                    .map(|v| GeomWithData::new(v, ()))
                    .collect(),
            ),
            edges: RTree::bulk_load(edges),
        }
    }

    /// The vertex within `tol` of `p`, else the nearest point on an edge within `tol`.
    pub fn snap(&self, p: Coord<f64>, tol: f64) -> Option<Snap> {
        let q = [p.x, p.y];
        if let Some(v) = self.vertices.nearest_neighbor(&q)
            && (v.geom()[0] - p.x).hypot(v.geom()[1] - p.y) <= tol
        {
            return Some(Snap {
                at: Coord {
                    x: v.geom()[0],
                    y: v.geom()[1],
                },
                kind: SnapKind::Vertex,
            });
        }
        let e = self.edges.nearest_neighbor(&q)?;
        let (a, b) = (e.geom().from, e.geom().to);
        let (a, b) = (Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] });
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        let at = Coord {
            x: a.x + t * dx,
            y: a.y + t * dy,
        };
        ((at.x - p.x).hypot(at.y - p.y) <= tol).then_some(Snap {
            at,
            kind: SnapKind::Edge(a, b),
        })
    }
}

/// The shorter way along the closed ring `ring` from its vertex `from` to its vertex
/// `to`, both included; None when either is not a vertex of the ring.
pub fn trace(ring: &[Coord<f64>], from: Coord<f64>, to: Coord<f64>) -> Option<Vec<Coord<f64>>> {
    let n = if ring.first() == ring.last() {
        ring.len() - 1
    } else {
        ring.len()
    };
    let i = ring[..n].iter().position(|&c| c == from)?;
    let j = ring[..n].iter().position(|&c| c == to)?;
    let walk = |step: usize| -> (Vec<Coord<f64>>, f64) {
        let mut path = vec![ring[i]];
        let mut k = i;
        let mut len = 0.0;
        while k != j {
            let next = (k + step) % n;
            len += (ring[next].x - ring[k].x).hypot(ring[next].y - ring[k].y);
            path.push(ring[next]);
            k = next;
        }
        (path, len)
    };
    let (fwd, lf) = walk(1);
    let (back, lb) = walk(n - 1);
    Some(if lf <= lb { fwd } else { back })
}
