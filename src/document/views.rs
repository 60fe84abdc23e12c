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

    /// The mesh of `after`, this being the mesh of `before`, where `after` has the same
    /// rings with some vertices moved (a drag) or vertices inserted between its own (a
    /// neighbour's new vertex taken onto a shared edge): these triangles are kept (the
    /// triangle on an edge that took vertices split into a fan from its third corner) when
    /// they still fill `after` as its rings wind ([`Self::fills`]), else `after` is
    /// triangulated again. A drag of one vertex of a grid of 10,000, or a vertex put on its
    /// edge, does not ear-clip 10,000.
    pub fn moved(&self, before: &MultiPolygon<f64>, after: &MultiPolygon<f64>) -> Option<GridMesh> {
        let ring_lengths = |mp: &MultiPolygon<f64>| -> Vec<usize> {
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.0.len())
                .collect()
        };
        let triangles = if ring_lengths(before) == ring_lengths(after) {
            Some(self.triangles.clone())
        } else {
            self.with_inserted(before, after)
        };
        if let Some(kept) = triangles.and_then(|t| Self::with_triangles(after, t))
            && kept.winds_as(after)
        {
            return Some(kept);
        }
        Self::of(after)
    }

    /// These triangles (of `before`) renumbered for `after`, which has `before`'s rings
    /// with vertices inserted between their own: the triangle on each edge that took
    /// vertices split into a fan from its third corner. None when `after` is not that.
    fn with_inserted(
        &self,
        before: &MultiPolygon<f64>,
        after: &MultiPolygon<f64>,
    ) -> Option<Vec<u32>> {
        let rings = |mp: &MultiPolygon<f64>| -> Vec<Vec<usize>> {
            mp.0.iter()
                .map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|r| r.0.len().saturating_sub(1))
                        .collect()
                })
                .collect()
        };
        let (shape_before, shape_after) = (rings(before), rings(after));
        if shape_before.len() != shape_after.len()
            || shape_before
                .iter()
                .zip(&shape_after)
                .any(|(b, a)| b.len() != a.len() || b.iter().zip(a).any(|(x, y)| x > y))
        {
            return None;
        }
        let (old, new) = (corners(before), corners(after));
        // A few vertices taken onto edges, not a shape grown by a merge.
        if new.len() - old.len() > MOST_INSERTED {
            return None;
        }
        // Where each old corner went, and the corners inserted on each old edge, in order.
        let mut to_new = vec![0u32; old.len()];
        let mut inserted: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
        let (mut i0, mut j0) = (0usize, 0usize);
        for (b, a) in shape_before
            .iter()
            .flatten()
            .zip(shape_after.iter().flatten())
        {
            let (n, m) = (*b, *a);
            if n == 0 || old[i0] != new[j0] {
                return None;
            }
            let mut i = 0;
            for j in 0..m {
                if i < n && new[j0 + j] == old[i0 + i] {
                    to_new[i0 + i] = (j0 + j) as u32;
                    i += 1;
                } else {
                    // On the edge from the old corner before it to the next one.
                    let edge = ((i0 + i - 1) as u32, (i0 + i % n) as u32);
                    inserted.entry(edge).or_default().push((j0 + j) as u32);
                }
            }
            if i != n {
                return None;
            }
            (i0, j0) = (i0 + n, j0 + m);
        }
        let mut out = Vec::with_capacity(self.triangles.len() + 3 * (new.len() - old.len()));
        for t in self.triangles.chunks_exact(3) {
            // The edge of this triangle that took vertices, as it runs round the triangle.
            let split = (0..3).find_map(|k| {
                let (p, q) = (t[k], t[(k + 1) % 3]);
                let r = t[(k + 2) % 3];
                if let Some(v) = inserted.remove(&(p, q)) {
                    Some((p, v, q, r))
                } else {
                    inserted.remove(&(q, p)).map(|mut v| {
                        v.reverse();
                        (p, v, q, r)
                    })
                }
            });
            let renum = |k: u32| to_new[k as usize];
            match split {
                None => out.extend(t.iter().map(|&k| renum(k))),
                Some((p, v, q, r)) => {
                    let chain: Vec<u32> = std::iter::once(renum(p))
                        .chain(v)
                        .chain(std::iter::once(renum(q)))
                        .collect();
                    for w in chain.windows(2) {
                        out.extend([w[0], w[1], renum(r)]);
                    }
                }
            }
        }
        // Every inserted vertex found its triangle.
        inserted.is_empty().then_some(out)
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

/// More vertices inserted into a grid's rings than this: it is ear-clipped again (see
/// [`GridMesh::moved`]).
const MOST_INSERTED: usize = 256;

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
        // A vertex more, off the old rings (the rings themselves changed): clipped again.
        let more = shape(&[
            at(0., 0.),
            at(10., 0.),
            at(10., 10.),
            at(5., 2.),
            at(-3., 10.),
            at(0., 5.),
        ]);
        assert_eq!(m.moved(&before, &more), GridMesh::of(&more));
    }

    /// A ring of thousands with vertices put on its edges (a neighbour's split ends taken
    /// onto the shared edge), in the shell and in a hole: the triangles are kept, the one on
    /// each such edge split into a fan, and they fill the new shape.
    #[test]
    fn vertices_put_on_edges_keep_the_triangles() {
        let shell = wiggly(3000, 1000.0, true);
        let hole = wiggly(300, 300.0, false);
        let before = MultiPolygon(vec![geo::Polygon::new(shell.clone(), vec![hole.clone()])]);
        let m = GridMesh::of(&before).unwrap();
        let mid = |r: &geo::LineString<f64>, k: usize, t: f64| Coord {
            x: r.0[k].x + t * (r.0[k + 1].x - r.0[k].x),
            y: r.0[k].y + t * (r.0[k + 1].y - r.0[k].y),
        };
        // Two vertices on one shell edge, one on the shell's closing edge, one in the hole.
        let mut s = shell.0.clone();
        let last = s.len() - 2;
        let (a, b, c) = (
            mid(&shell, 10, 0.25),
            mid(&shell, 10, 0.75),
            mid(&shell, last, 0.5),
        );
        s.insert(last + 1, c);
        s.insert(11, b);
        s.insert(11, a);
        let mut h = hole.0.clone();
        h.insert(51, mid(&hole, 50, 0.5));
        let after = MultiPolygon(vec![geo::Polygon::new(
            geo::LineString(s),
            vec![geo::LineString(h)],
        )]);
        let kept = m.moved(&before, &after).unwrap();
        assert!(kept.fills(&after));
        assert_eq!(kept.triangles.len(), m.triangles.len() + 3 * 4);
        // Every triangle of the old mesh that took no vertex is there, renumbered.
        let old_tris: std::collections::BTreeSet<[u64; 6]> = tri_keys(&m);
        let new_tris = tri_keys(&kept);
        assert_eq!(old_tris.difference(&new_tris).count(), 3);
        // Not the mesh ear clipping would make afresh: the triangles were kept.
        assert_ne!(Some(&kept), GridMesh::of(&after).as_ref());
    }

    /// Each triangle by its corners' bits, turned to start at its least corner.
    fn tri_keys(m: &GridMesh) -> std::collections::BTreeSet<[u64; 6]> {
        m.triangles
            .chunks_exact(3)
            .map(|t| {
                let c = |k: usize| {
                    let v = m.vertices[t[k] as usize];
                    let o = [m.origin.x + f64::from(v[0]), m.origin.y + f64::from(v[1])];
                    [o[0].to_bits(), o[1].to_bits()]
                };
                let mut corners = [c(0), c(1), c(2)];
                let least = (0..3).min_by_key(|&k| corners[k]).unwrap_or(0);
                corners.rotate_left(least);
                [
                    corners[0][0],
                    corners[0][1],
                    corners[1][0],
                    corners[1][1],
                    corners[2][0],
                    corners[2][1],
                ]
            })
            .collect()
    }
}
