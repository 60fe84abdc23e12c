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
        let envelope =
            geom::envelope(mp).filter(|e| e.min().x.is_finite() && e.max().y.is_finite())?;
        let origin = envelope.min();
        let mut vertices: Vec<[f32; 2]> = Vec::new();
        let mut triangles: Vec<u32> = Vec::new();
        let rings: Vec<Vec<[f32; 2]>> =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| {
                    r.0.iter()
                        .map(|c| [(c.x - origin.x) as f32, (c.y - origin.y) as f32])
                        .collect()
                })
                .collect();
        for p in &mp.0 {
            let raw = p.earcut_triangles_raw();
            let base = vertices.len() as u32;
            vertices.extend(
                raw.vertices
                    .iter()
                    .map(|v| [(v[0] - origin.x) as f32, (v[1] - origin.y) as f32]),
            );
            triangles.extend(
                raw.triangle_indices
                    .chunks_exact(3)
                    .flatten()
                    .map(|&i| base + i as u32),
            );
        }
        Some(GridMesh {
            origin,
            envelope,
            vertices,
            triangles,
            rings,
        })
    }
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
