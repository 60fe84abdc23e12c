//! Small shape builders the map's drawing tools and painter need: a polygon from clicked
//! points, triangles of a polygon for filling, the overlap of two rectangles and the length
//! of a path. Pure geometry, so the UI's canvas and tools share them without importing
//! each other.

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect, TriangulateEarcut};

/// The polygon through the clicked points (closed, exterior counter-clockwise).
/// `pts` must not be empty.
pub fn polygon_from(pts: &[Coord<f64>]) -> MultiPolygon<f64> {
    let mut ring = pts.to_vec();
    ring.push(pts[0]);
    MultiPolygon(vec![super::canonical_polygon(&Polygon::new(
        LineString(ring),
        vec![],
    ))])
}

/// The triangles that fill `mp` (ear cutting, holes left out).
pub fn triangulate(mp: &MultiPolygon<f64>) -> Vec<[Coord<f64>; 3]> {
    let mut out = Vec::new();
    for p in &mp.0 {
        let raw = p.earcut_triangles_raw();
        let v = |i: usize| Coord {
            x: raw.vertices[i][0],
            y: raw.vertices[i][1],
        };
        for t in raw.triangle_indices.chunks(3) {
            if t.len() == 3 {
                out.push([v(t[0]), v(t[1]), v(t[2])]);
            }
        }
    }
    out
}

/// The overlap of two rectangles, if it has an area.
pub fn rect_overlap(a: Rect<f64>, b: Rect<f64>) -> Option<Rect<f64>> {
    let min = Coord {
        x: a.min().x.max(b.min().x),
        y: a.min().y.max(b.min().y),
    };
    let max = Coord {
        x: a.max().x.min(b.max().x),
        y: a.max().y.min(b.max().y),
    };
    (min.x < max.x && min.y < max.y).then(|| Rect::new(min, max))
}

/// The length of the path through `path`'s points, in its units.
pub fn path_length(path: &[Coord<f64>]) -> f64 {
    path.windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}
