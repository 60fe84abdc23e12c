//! One precision model for every coordinate of a project, as JTS's `PrecisionModel`, GEOS's
//! `GEOSGeom_setPrecision` and PostGIS's `ST_SnapToGrid` have it: the working CRS (metres)
//! has a stated resolution, and every vertex lies on the square grid of that size.
//!
//! Why: a vertex that lies on a neighbour's or a parent's edge (a T-junction) only stays on
//! it through a save if every format reproduces the coordinates exactly. Readers snap what
//! they read onto the grid, edits produce vertices on it, and every writer keeps enough
//! digits that reading back and snapping gives the same bits; so a save and reopen never
//! changes an audit.
//!
//! # Tolerance
//! Snapping moves a vertex by at most half the resolution on each axis, `ρ/√2` in all. A
//! vertex exactly on an edge before snapping is, after it, at most `√2·ρ` from that edge
//! (the vertex moves `ρ/√2`, and every point of the edge moves no more than its ends). So
//! [`Precision::tolerance`] is `√2·ρ` (1.42 mm for the 1 mm grid): the audit takes a vertex
//! within it of an edge as on the edge, and a gap, sliver, overlap or outside part no wider
//! than it as rounding noise, not a finding.

use super::{Boundary, Project, Reservoir, River, Village};
use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};

/// The grid that every coordinate of a working CRS lies on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    /// Grid cells per metre.
    scale: f64,
}

impl Default for Precision {
    fn default() -> Self {
        Precision::MILLIMETRE
    }
}

impl Precision {
    /// One millimetre: finer than any survey a township map comes from, coarse enough that
    /// every format keeps it (9 decimals of a degree are 0.1 mm).
    pub const MILLIMETRE: Precision = Precision { scale: 1000.0 };

    /// The size of a grid cell (metres).
    pub const fn resolution(&self) -> f64 {
        1.0 / self.scale
    }

    /// How far two things that were one can be apart after snapping (see the module docs):
    /// `√2` times the resolution.
    pub const fn tolerance(&self) -> f64 {
        std::f64::consts::SQRT_2 / self.scale
    }

    /// The nearest grid value: the nearest `f64` to `k · resolution`, so snapping twice
    /// gives the same bits. Non-finite values stay as they are (the audit reports them),
    /// and so do values too large for any CRS on Earth (past 10^12 m an `f64` has no
    /// millimetres left, and scaling could overflow to infinity).
    #[inline]
    pub fn snap(&self, v: f64) -> f64 {
        if v.is_finite() && v.abs() < 1.0e12 {
            (v * self.scale).round() / self.scale
        } else {
            v
        }
    }

    #[inline]
    pub fn snap_coord(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.snap(c.x),
            y: self.snap(c.y),
        }
    }

    /// Whether `c` lies on the grid.
    pub fn is_on_grid(&self, c: Coord<f64>) -> bool {
        self.snap_coord(c) == c
    }

    /// A line snapped, without the repeated vertices snapping makes (repeated vertices
    /// that were there before stay: the audit reports them).
    pub fn snap_line(&self, ls: &LineString<f64>) -> LineString<f64> {
        LineString(self.snap_pairs(&ls.0).into_iter().map(|(_, s)| s).collect())
    }

    /// Each vertex with its snapped position, leaving out those that snapping made equal
    /// to the one before.
    fn snap_pairs(&self, pts: &[Coord<f64>]) -> Vec<(Coord<f64>, Coord<f64>)> {
        let mut out: Vec<(Coord<f64>, Coord<f64>)> = Vec::with_capacity(pts.len());
        for &c in pts {
            let s = self.snap_coord(c);
            if let Some(&(o, l)) = out.last()
                && l == s
                && o != c
            {
                continue;
            }
            out.push((c, s));
        }
        out
    }

    /// A ring snapped, without the repeated vertices and spikes (a vertex whose two
    /// neighbours became one point) that snapping made; None when snapping leaves fewer
    /// than three distinct vertices.
    fn snap_ring(&self, ls: &LineString<f64>) -> Option<LineString<f64>> {
        let mut pts = self.snap_pairs(&ls.0);
        let closed = pts.len() > 1 && pts.first().map(|p| p.1) == pts.last().map(|p| p.1);
        if closed {
            pts.pop();
        }
        let mut changed = true;
        while changed && pts.len() >= 3 {
            changed = false;
            let n = pts.len();
            for i in 0..n {
                let (prev, next) = (pts[(i + n - 1) % n], pts[(i + 1) % n]);
                if prev.1 == next.1 && prev.0 != next.0 {
                    // Drop the spike's tip and one of the two neighbours snapping joined.
                    let mut drop = [i, (i + 1) % n];
                    drop.sort_unstable();
                    pts.remove(drop[1]);
                    pts.remove(drop[0]);
                    changed = true;
                    break;
                }
            }
        }
        let mut distinct: Vec<Coord<f64>> = pts.iter().map(|p| p.1).collect();
        distinct.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        distinct.dedup();
        if distinct.len() < 3 {
            return None;
        }
        let mut ring: Vec<Coord<f64>> = pts.into_iter().map(|p| p.1).collect();
        ring.push(ring[0]);
        Some(LineString(ring))
    }

    /// A polygon snapped: rings that collapse to fewer than three vertices go (a shell
    /// that collapses takes its holes with it).
    pub fn snap_polygon(&self, p: &Polygon<f64>) -> Option<Polygon<f64>> {
        // A ring the reader could not close or use stays as it is: the audit names it.
        if p.exterior().0.len() < 4 {
            return Some(Polygon::new(
                self.snap_line(p.exterior()),
                p.interiors().iter().map(|h| self.snap_line(h)).collect(),
            ));
        }
        let shell = self.snap_ring(p.exterior())?;
        let holes = p
            .interiors()
            .iter()
            .filter_map(|h| self.snap_ring(h))
            .collect();
        Some(Polygon::new(shell, holes))
    }

    pub fn snap_multipolygon(&self, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(mp.0.iter().filter_map(|p| self.snap_polygon(p)).collect())
    }

    pub fn snap_lines(&self, ml: &MultiLineString<f64>) -> MultiLineString<f64> {
        MultiLineString(
            ml.0.iter()
                .map(|l| self.snap_line(l))
                .filter(|l| l.0.len() >= 2)
                .collect(),
        )
    }

    pub fn snap_point(&self, p: Point<f64>) -> Point<f64> {
        Point(self.snap_coord(p.0))
    }

    /// Whether every vertex of `mp` lies on the grid.
    pub fn multipolygon_on_grid(&self, mp: &MultiPolygon<f64>) -> bool {
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.0.iter())
            .all(|&c| self.is_on_grid(c))
    }

    /// Snap every layer of a project onto the grid (what a reader does with what it read).
    /// Features already on the grid are left exactly as they are.
    pub fn snap_project(&self, project: &mut Project) {
        use rayon::prelude::*;
        project.grids.par_iter_mut().for_each(|g| {
            if !self.multipolygon_on_grid(&g.geometry) {
                g.geometry = self.snap_multipolygon(&g.geometry);
            }
        });
        for b in &mut project.boundary {
            if !self.multipolygon_on_grid(&b.geometry) {
                self.snap_boundary(b);
            }
        }
        for r in &mut project.rivers {
            self.snap_river(r);
        }
        for r in &mut project.reservoirs {
            if !self.multipolygon_on_grid(&r.geometry) {
                self.snap_reservoir(r);
            }
        }
        for v in &mut project.villages {
            self.snap_village(v);
        }
    }

    pub fn snap_boundary(&self, b: &mut Boundary) {
        b.geometry = self.snap_multipolygon(&b.geometry);
    }

    pub fn snap_river(&self, r: &mut River) {
        r.geometry = self.snap_lines(&r.geometry);
    }

    pub fn snap_reservoir(&self, r: &mut Reservoir) {
        r.geometry = self.snap_multipolygon(&r.geometry);
    }

    pub fn snap_village(&self, v: &mut Village) {
        v.location = self.snap_point(v.location);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn snapping_is_idempotent_for_large_eastings() {
        let p = Precision::MILLIMETRE;
        for v in [
            38_512_345.678_9,
            512_345.000_499_9,
            -0.000_5,
            2_831_118.912_345,
            0.1 + 0.2,
        ] {
            let s = p.snap(v);
            assert_eq!(p.snap(s), s, "{v}");
            assert!((s - v).abs() <= 0.000_5 + 1e-9, "{v} -> {s}");
        }
        assert!(p.snap(f64::NAN).is_nan());
        assert_eq!(p.snap(1e300), 1e300, "no overflow to infinity");
    }

    #[test]
    fn a_vertex_on_an_edge_stays_within_the_tolerance() {
        let p = Precision::MILLIMETRE;
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..10_000 {
            let a = Coord {
                x: 500_000.0 + next() * 1000.0,
                y: 2_800_000.0 + next() * 1000.0,
            };
            let b = Coord {
                x: 500_000.0 + next() * 1000.0,
                y: 2_800_000.0 + next() * 1000.0,
            };
            let t = next();
            let v = a + (b - a) * t;
            let (sa, sb, sv) = (p.snap_coord(a), p.snap_coord(b), p.snap_coord(v));
            let d = {
                let (dx, dy) = (sb.x - sa.x, sb.y - sa.y);
                let l2 = dx * dx + dy * dy;
                let u = (((sv.x - sa.x) * dx + (sv.y - sa.y) * dy) / l2).clamp(0.0, 1.0);
                (sv.x - sa.x - u * dx).hypot(sv.y - sa.y - u * dy)
            };
            assert!(d <= p.tolerance() + 1e-9, "{d}");
        }
    }

    #[test]
    fn collapsed_rings_and_spikes_go() {
        let p = Precision::MILLIMETRE;
        let thin = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0003, y: 0.0002)];
        assert!(p.snap_polygon(&thin).is_none());
        let spiked = polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0),
            (x: 5.0, y: 10.0), (x: 5.0, y: 20.0), (x: 5.0004, y: 10.0002), (x: 0.0, y: 10.0)
        ];
        let s = p.snap_polygon(&spiked).expect("square left");
        assert_eq!(s.exterior().0.len(), 6, "{:?}", s.exterior().0);
        assert!(p.multipolygon_on_grid(&MultiPolygon(vec![s])));
        // A repeated vertex that was there before snapping stays for the audit to report.
        let dup = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        assert_eq!(p.snap_polygon(&dup).expect("kept").exterior().0.len(), 5);
    }
}
