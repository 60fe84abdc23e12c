//! Per-grid structures the map view draws from, kept by the document: a stable numeric key
//! per grid id, the grid's triangulated fill, its level and parent. Headless: the app turns
//! them into screen geometry with one transform.

use crate::geom;
use geo::{Coord, MultiPolygon, Rect, TriangulateEarcut};
use rustc_hash::FxHashMap;

/// A grid's fill as triangles, in metres relative to the grid's own origin (its envelope's
/// lower left corner), so single precision keeps millimetres at any zoom.
#[derive(Debug, Clone, PartialEq)]
pub struct GridMesh {
    pub origin: Coord<f64>,
    pub envelope: Rect<f64>,
    pub vertices: Vec<[f32; 2]>,
    /// Three indices into `vertices` per triangle.
    pub triangles: Vec<u32>,
    /// The rings (closed), in the same coordinates, for drawing outlines.
    pub rings: Vec<Vec<[f32; 2]>>,
}

impl GridMesh {
    /// Triangulate a multipolygon (ear clipping, holes respected); None when it is empty
    /// or not finite.
    pub fn of(mp: &MultiPolygon<f64>) -> Option<GridMesh> {
        let mut triangles: Vec<u32> = Vec::new();
        let mut base = 0u32;
        for p in &mp.0 {
            let raw = p.earcut_triangles_raw();
            triangles.extend(
                raw.triangle_indices
                    .chunks_exact(3)
                    .flatten()
                    .map(|&i| base + i as u32),
            );
            base += raw.vertices.len() as u32;
        }
        Self::with_triangles(mp, triangles)
    }

    /// The mesh of `mp` with `triangles` (indices into its [`corners`]).
    fn with_triangles(mp: &MultiPolygon<f64>, triangles: Vec<u32>) -> Option<GridMesh> {
        let envelope =
            geom::envelope(mp).filter(|e| e.min().x.is_finite() && e.max().y.is_finite())?;
        let origin = envelope.min();
        let local = |c: &Coord<f64>| [(c.x - origin.x) as f32, (c.y - origin.y) as f32];
        let rings: Vec<Vec<[f32; 2]>> =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.0.iter().map(local).collect())
                .collect();
        let vertices = corners(mp).iter().map(local).collect();
        Some(GridMesh {
            origin,
            envelope,
            vertices,
            triangles,
            rings,
        })
    }

    /// The mesh of `after`, this being the mesh of `before` and `after` having the same
    /// rings with some vertices moved (a drag): these triangles are kept when they still
    /// fill `after` as its rings wind ([`Self::fills`]), else `after` is triangulated again.
    /// A drag of one vertex of a grid of 10,000 does not ear-clip 10,000.
    pub fn moved(&self, before: &MultiPolygon<f64>, after: &MultiPolygon<f64>) -> Option<GridMesh> {
        let ring_lengths = |mp: &MultiPolygon<f64>| -> Vec<usize> {
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.0.len())
                .collect()
        };
        if ring_lengths(before) == ring_lengths(after)
            && let Some(kept) = Self::with_triangles(after, self.triangles.clone())
            && kept.winds_as(after)
        {
            return Some(kept);
        }
        Self::of(after)
    }

    /// Whether this is a mesh of `mp` whose triangles fill it as its rings wind: its
    /// vertices and rings are `mp`'s, and in each polygon every triangle turns the same way
    /// (or is flat) and their areas add up to the area its rings enclose.
    pub fn fills(&self, mp: &MultiPolygon<f64>) -> bool {
        Self::with_triangles(mp, self.triangles.clone()).as_ref() == Some(self) && self.winds_as(mp)
    }

    /// Whether, in each polygon of `mp`, these triangles all turn the same way (or are
    /// flat) and their areas add up to the area its rings enclose: then they cover it once
    /// (a moved vertex that swept over other triangles flips one of its own).
    fn winds_as(&self, mp: &MultiPolygon<f64>) -> bool {
        let pts = corners(mp);
        if self.triangles.iter().any(|&i| i as usize >= pts.len()) {
            return false;
        }
        // Per polygon: the first corner past it, the turns of its triangles (total, and
        // the lesser of the positive and the negative parts) and the area of its rings.
        let mut polygons: Vec<(usize, f64, f64, f64, f64)> = Vec::new();
        let mut end = 0;
        for p in &mp.0 {
            let rings = std::iter::once(p.exterior()).chain(p.interiors());
            end += rings
                .clone()
                .map(|r| r.0.len().saturating_sub(1))
                .sum::<usize>();
            // Holes wind against the shell in the triangles, whichever way they are drawn.
            let area: f64 = rings
                .enumerate()
                .map(|(k, r)| {
                    // From the ring's first point: far from the origin, products of
                    // coordinates would lose the digits the triangles keep.
                    let o = r.0.first().copied().unwrap_or(Coord { x: 0.0, y: 0.0 });
                    let a = (r
                        .0
                        .windows(2)
                        .map(|w| (w[0].x - o.x) * (w[1].y - o.y) - (w[1].x - o.x) * (w[0].y - o.y))
                        .sum::<f64>()
                        / 2.0)
                        .abs();
                    if k == 0 { a } else { -a }
                })
                .sum();
            polygons.push((end, 0.0, 0.0, 0.0, area));
        }
        for t in self.triangles.chunks_exact(3) {
            let [a, b, c] = [0, 1, 2].map(|k| pts[t[k] as usize]);
            let turn = ((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)) / 2.0;
            let i = polygons.partition_point(|p| p.0 <= t[0] as usize);
            let Some(p) = polygons.get_mut(i) else {
                return false;
            };
            p.1 += turn;
            if turn > 0.0 {
                p.2 += turn;
            } else {
                p.3 -= turn;
            }
        }
        polygons.iter().all(|&(_, sum, pos, neg, area)| {
            let scale = (pos + neg + area.abs()).max(1e-12);
            pos.min(neg) <= 1e-9 * scale && (sum.abs() - area.abs()).abs() <= 1e-9 * scale
        })
    }
}

/// The points the triangles index: each ring of each polygon without its closing point, in
/// order (as ear clipping numbers them).
fn corners(mp: &MultiPolygon<f64>) -> Vec<Coord<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| &r.0[..r.0.len().saturating_sub(1)])
        .copied()
        .collect()
}

/// What the view knows of one grid, by key.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub id: String,
    pub level: u8,
    pub parent: Option<String>,
    /// Shared, so a view can hand the meshes to a thread of its own.
    pub mesh: Option<std::sync::Arc<GridMesh>>,
}

/// A small number per grid id, never reused while the document is open, so views keep
/// per-grid data in vectors.
#[derive(Debug, Default, Clone)]
pub struct Keys {
    of: FxHashMap<String, u32>,
    ids: Vec<String>,
}

impl Keys {
    pub fn key(&mut self, id: &str) -> u32 {
        if let Some(&k) = self.of.get(id) {
            return k;
        }
        let k = self.ids.len() as u32;
        self.of.insert(id.to_string(), k);
        self.ids.push(id.to_string());
        k
    }

    pub fn get(&self, id: &str) -> Option<u32> {
        self.of.get(id).copied()
    }

    pub fn id(&self, key: u32) -> Option<&str> {
        self.ids.get(key as usize).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wiggly ring of `n` vertices around a point far from the origin (as projected
    /// grids are), radius `r`, counter-clockwise or not.
    fn wiggly(n: usize, r: f64, ccw: bool) -> geo::LineString<f64> {
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|k| {
                let a = k as f64 / n as f64 * std::f64::consts::TAU;
                let r = r * (1.0 + 0.05 * (k as f64 * 0.9).sin());
                Coord {
                    x: 500_000.0 + r * a.cos(),
                    y: 3_000_000.0 + r * a.sin(),
                }
            })
            .collect();
        if !ccw {
            pts.reverse();
        }
        pts.push(pts[0]);
        geo::LineString(pts)
    }

    #[test]
    fn an_ear_clipped_mesh_fills_its_grid() {
        // Thousands of vertices, holes drawn either way round.
        for (n, hole_ccw) in [(3000, false), (5000, true)] {
            let g = MultiPolygon(vec![geo::Polygon::new(
                wiggly(n, 1000.0, true),
                vec![wiggly(n / 10, 300.0, hole_ccw)],
            )]);
            let m = GridMesh::of(&g).expect("a mesh");
            assert!(m.fills(&g), "{n}");
        }
    }

    fn shape(pts: &[(f64, f64)]) -> MultiPolygon<f64> {
        let mut ring: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
        ring.push(ring[0]);
        MultiPolygon(vec![geo::Polygon::new(geo::LineString(ring), vec![])])
    }

    #[test]
    fn a_dragged_vertex_keeps_the_triangles_while_they_fill_the_grid() {
        // Far from the origin, as projected grids are.
        let at = |x: f64, y: f64| (500_000.0 + x, 3_000_000.0 + y);
        let before = shape(&[
            at(0., 0.),
            at(10., 0.),
            at(10., 10.),
            at(5., 2.),
            at(0., 10.),
        ]);
        let m = GridMesh::of(&before).unwrap();
        assert!(m.fills(&before));
        // The notch pulled out above the top: every triangle still turns the same way.
        let out = shape(&[
            at(0., 0.),
            at(10., 0.),
            at(10., 10.),
            at(5., 12.),
            at(0., 10.),
        ]);
        let kept = m.moved(&before, &out).unwrap();
        assert_eq!(kept.triangles, m.triangles);
        assert!(kept.fills(&out));
        let area: f64 = kept
            .triangles
            .chunks_exact(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| kept.vertices[t[k] as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])).abs() as f64 / 2.0
            })
            .sum();
        assert!((area - 110.0).abs() < 1e-6, "{area}");
        // Pulled through the bottom edge: a triangle turns over, so it is clipped again.
        let through = shape(&[
            at(0., 0.),
            at(10., 0.),
            at(10., 10.),
            at(5., -3.),
            at(0., 10.),
        ]);
        assert_eq!(m.moved(&before, &through), GridMesh::of(&through));
        // A vertex more: clipped again.
        let more = shape(&[
            at(0., 0.),
            at(10., 0.),
            at(10., 10.),
            at(5., 2.),
            at(0., 10.),
            at(0., 5.),
        ]);
        assert_eq!(m.moved(&before, &more), GridMesh::of(&more));
    }
}
