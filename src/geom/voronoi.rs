//! Voronoi cells that tile a rectangle exactly: synthetic coverages, the sample township and
//! partition proposals are built from them. Every Voronoi vertex is computed once, so
//! neighbouring cells share their vertices bit for bit.

use super::canonical_polygon;
use geo::{Coord, LineString, Polygon};
use spade::{DelaunayTriangulation, Point2, Triangulation};
use std::collections::HashMap;

/// Voronoi cells of `seeds` clipped exactly to the rectangle `[x0, x1] x [y0, y1]`.
///
/// Seeds are mirrored across the rectangle's sides, so the bisectors with the mirror images
/// are the sides themselves; vertices that land on a side within rounding are snapped onto
/// it, so the cells tile the rectangle exactly.
pub fn voronoi_cells(
    seeds: &[Coord<f64>],
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
) -> Vec<Polygon<f64>> {
    let mut tri: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    let mut handles = Vec::with_capacity(seeds.len());
    let spacing = ((x1 - x0) * (y1 - y0) / seeds.len().max(1) as f64).sqrt();
    let band = 4.0 * spacing;
    let mut extra: Vec<Point2<f64>> = Vec::new();
    for s in seeds {
        let mut mx = vec![s.x];
        let mut my = vec![s.y];
        if s.x - x0 < band {
            mx.push(2.0 * x0 - s.x);
        }
        if x1 - s.x < band {
            mx.push(2.0 * x1 - s.x);
        }
        if s.y - y0 < band {
            my.push(2.0 * y0 - s.y);
        }
        if y1 - s.y < band {
            my.push(2.0 * y1 - s.y);
        }
        for (i, &x) in mx.iter().enumerate() {
            for (j, &y) in my.iter().enumerate() {
                if i > 0 || j > 0 {
                    extra.push(Point2::new(x, y));
                }
            }
        }
    }
    for s in seeds {
        handles.push(tri.insert(Point2::new(s.x, s.y)).ok());
    }
    // A far frame keeps every mirrored seed's neighbourhood bounded.
    let (w, h) = (x1 - x0, y1 - y0);
    for p in extra.into_iter().chain([
        Point2::new(x0 - 3.0 * w, y0 - 3.0 * h),
        Point2::new(x1 + 3.0 * w, y0 - 3.0 * h),
        Point2::new(x1 + 3.0 * w, y1 + 3.0 * h),
        Point2::new(x0 - 3.0 * w, y1 + 3.0 * h),
    ]) {
        let _ = tri.insert(p);
    }
    let eps = 1e-9 * w.max(h);
    let snap = |v: f64, lo: f64, hi: f64| {
        if (v - lo).abs() <= eps {
            lo
        } else if (v - hi).abs() <= eps {
            hi
        } else {
            v.clamp(lo, hi)
        }
    };
    let mut centres: HashMap<usize, Coord<f64>> = HashMap::new();
    let mut cells = Vec::with_capacity(seeds.len());
    for h in handles.into_iter().flatten() {
        let v = tri.vertex(h);
        let mut ring: Vec<Coord<f64>> = Vec::new();
        for e in v.out_edges() {
            let Some(face) = e.face().as_inner() else {
                continue;
            };
            let c = *centres.entry(face.fix().index()).or_insert_with(|| {
                let cc = face.circumcenter();
                Coord {
                    x: snap(cc.x, x0, x1),
                    y: snap(cc.y, y0, y1),
                }
            });
            if ring.last() != Some(&c) {
                ring.push(c);
            }
        }
        if ring.len() >= 2 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 {
            continue;
        }
        ring.push(ring[0]);
        cells.push(canonical_polygon(&Polygon::new(LineString(ring), vec![])));
    }
    cells
}
