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
use rustc_hash::FxHashMap;

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
    let mut by_start: FxHashMap<(u64, u64), Vec<usize>> =
        FxHashMap::with_capacity_and_hasher(edges.len(), Default::default());
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
///
/// # Performance
/// A parallel sort on the undirected edge key, then one pass over equal runs: no hashing,
/// and the surviving edges come out in a deterministic order.
pub fn cancel_opposite(edges: Vec<(Coord<f64>, Coord<f64>)>) -> Vec<(Coord<f64>, Coord<f64>)> {
    use rayon::prelude::*;
    // (undirected key, +1 when the edge runs from the smaller to the larger endpoint)
    let mut keyed: Vec<([u64; 4], i32)> = edges
        .par_iter()
        .map(|&(a, b)| {
            let (ka, kb) = (coord_key(a), coord_key(b));
            if super::coord_cmp(a, b).is_le() {
                ([ka.0, ka.1, kb.0, kb.1], 1)
            } else {
                ([kb.0, kb.1, ka.0, ka.1], -1)
            }
        })
        .collect();
    drop(edges);
    keyed.par_sort_unstable_by(|x, y| x.0.cmp(&y.0));
    let mut out = Vec::new();
    let coord = |x: u64, y: u64| Coord {
        x: f64::from_bits(x),
        y: f64::from_bits(y),
    };
    let mut i = 0;
    while i < keyed.len() {
        let mut j = i;
        let mut net = 0i64;
        while j < keyed.len() && keyed[j].0 == keyed[i].0 {
            net += keyed[j].1 as i64;
            j += 1;
        }
        let k = keyed[i].0;
        let (lo, hi) = (coord(k[0], k[1]), coord(k[2], k[3]));
        for _ in 0..net.unsigned_abs() {
            out.push(if net > 0 { (lo, hi) } else { (hi, lo) });
        }
        i = j;
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
    shapes_to_multipolygon(shapes)
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

/// i_overlay shapes (outer contour first, then holes) as a multipolygon, coordinates as they are.
pub fn shapes_to_multipolygon(shapes: Vec<Vec<Vec<[f64; 2]>>>) -> MultiPolygon<f64> {
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

/// The outline of a set of exactly noded polygons (their union), from the edges no two
/// of them share.
pub fn union_outline(polys: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let mut edges = Vec::new();
    for p in polys {
        push_directed_edges(p, false, &mut edges);
    }
    let rest = cancel_opposite(edges);
    let cycles = edges_to_cycles(&rest);
    let mut shells = Vec::new();
    let mut holes = Vec::new();
    for c in cycles {
        let mut pts: Vec<Coord<f64>> = c.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
        pts.push(pts[0]);
        if super::ring_signed_area2(&pts) > 0.0 {
            shells.push(Polygon::new(LineString(pts), vec![]));
        } else {
            holes.push(LineString(pts));
        }
    }
    // Assign each hole to the shell that contains it.
    use geo::Contains;
    for h in holes {
        let probe = h.0[0];
        let mid = Coord {
            x: (h.0[0].x + h.0[1].x) / 2.0,
            y: (h.0[0].y + h.0[1].y) / 2.0,
        };
        if let Some(s) = shells
            .iter_mut()
            .find(|s| s.contains(&geo::Point(mid)) || s.contains(&geo::Point(probe)))
        {
            s.interiors_push(h);
        }
    }
    MultiPolygon(shells)
}

/// Rings as i_overlay takes them (see [`polygon_contours`]).
type Contours = Vec<Vec<[f64; 2]>>;

/// An operand of more vertices than this is cut down to what lies near the other one where
/// the result lies within the other.
const CUT_OPERAND: usize = 256;

/// The two operands of [`grid_overlay`] as contours. Where the result lies within one of
/// them (an intersection: within both; a difference: within the subject) and the other is
/// large and reaches beyond it, the other is cut down to what lies near the first
/// ([`super::contours_near`]: the same winding inside a window a thousand grid steps wider
/// than the first, every edge there kept as it is): drawing one grid beside village
/// boundaries of 10,000 vertices overlays the few hundred near it.
fn operands(
    subject: &MultiPolygon<f64>,
    clip: &MultiPolygon<f64>,
    rule: i_overlay::core::overlay_rule::OverlayRule,
    resolution: f64,
) -> [Contours; 2] {
    use i_overlay::core::overlay_rule::OverlayRule;
    let mut subj = polygon_contours(subject);
    let mut clips = polygon_contours(clip);
    let count = |c: &[Vec<[f64; 2]>]| c.iter().map(Vec::len).sum::<usize>();
    let (ns, nc) = (count(&subj), count(&clips));
    // Which operand to cut, to the envelope of which.
    let cut_clip = match rule {
        OverlayRule::Difference => nc > CUT_OPERAND,
        OverlayRule::Intersect => nc >= ns && nc > CUT_OPERAND,
        _ => return [subj, clips],
    };
    if !(cut_clip || rule == OverlayRule::Intersect && ns > CUT_OPERAND) {
        return [subj, clips];
    }
    let (small, large) = if cut_clip {
        (subject, clip)
    } else {
        (clip, subject)
    };
    let (Some(near), Some(whole)) = (super::envelope(small), super::envelope(large)) else {
        return [subj, clips];
    };
    let margin = 1000.0 * resolution;
    let window = super::expand(near, margin);
    // Far from the limit of the exact grid (see below), which the cut's box must not cross.
    let all = super::extend_rect(super::extend_rect(whole, window.min()), window.max());
    let extent = (all.width().max(all.height()) + 4.0 * margin) / resolution;
    let fits = extent < f64::from(1u32 << 29);
    if super::rect_contains(&window, &whole) || !fits {
        return [subj, clips];
    }
    let target = if cut_clip { &mut clips } else { &mut subj };
    if let Some(cut) = super::contours_near(target, window, margin) {
        *target = cut;
    }
    [subj, clips]
}

/// A boolean operation computed on the coordinate grid of `resolution` (metres): every
/// input vertex maps to an exact integer point, every crossing is rounded to one, and the
/// result comes back on the grid. So edges that coincide in the inputs coincide exactly in
/// every operation, and the vertices the inputs share (collinear ones too) are kept, as
/// snap rounding in JTS's overlay with a precision model does. Areas far larger than any
/// township's (past ±1,000 km from their centre at 1 mm) fall back to the finest grid
/// that fits.
pub fn grid_overlay(
    subject: &MultiPolygon<f64>,
    clip: &MultiPolygon<f64>,
    rule: i_overlay::core::overlay_rule::OverlayRule,
    resolution: f64,
) -> MultiPolygon<f64> {
    let [subj, clips] = operands(subject, clip, rule, resolution);
    overlay_on_grid(&subj, &clips, rule, resolution)
}

/// Several boolean operations of the same two operands on the coordinate grid, as
/// [`grid_overlay`] computes each, from one overlay graph: the operands are noded once.
/// The operands are taken whole (no cut: the rules may need all of both).
pub fn grid_overlays(
    subject: &MultiPolygon<f64>,
    clip: &MultiPolygon<f64>,
    rules: &[i_overlay::core::overlay_rule::OverlayRule],
    resolution: f64,
) -> Vec<MultiPolygon<f64>> {
    use i_overlay::core::extract::BooleanExtractionBuffer;
    use i_overlay::core::fill_rule::FillRule;
    let (subj, clips) = (polygon_contours(subject), polygon_contours(clip));
    let empty = || rules.iter().map(|_| MultiPolygon(Vec::new())).collect();
    let Some(mut overlay) = grid_float_overlay(&subj, &clips, resolution) else {
        return empty();
    };
    let Some(graph) = overlay.build_graph_view(FillRule::NonZero) else {
        return empty();
    };
    let mut buffer = BooleanExtractionBuffer::default();
    rules
        .iter()
        .map(|&rule| off_grid(graph.extract_shapes(rule, &mut buffer), resolution))
        .collect()
}

/// [`grid_overlay`] of two operands given as contours, as they are.
fn overlay_on_grid(
    subj: &[Vec<[f64; 2]>],
    clips: &[Vec<[f64; 2]>],
    rule: i_overlay::core::overlay_rule::OverlayRule,
    resolution: f64,
) -> MultiPolygon<f64> {
    use i_overlay::core::fill_rule::FillRule;
    let Some(mut overlay) = grid_float_overlay(subj, clips, resolution) else {
        return MultiPolygon(Vec::new());
    };
    off_grid(overlay.overlay(rule, FillRule::NonZero), resolution)
}

/// The overlay of the two operands (subject and clip) on the coordinate grid of
/// `resolution` (see [`grid_overlay`]); None when they have no points.
fn grid_float_overlay(
    subj: &[Vec<[f64; 2]>],
    clips: &[Vec<[f64; 2]>],
    resolution: f64,
) -> Option<i_overlay::float::overlay::FloatOverlay<[f64; 2], f64>> {
    use i_overlay::core::overlay::ShapeType;
    use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
    use i_overlay::i_float::adapter::FloatPointAdapter;
    use i_overlay::i_float::float::rect::FloatRect;
    let rect = FloatRect::with_iter(subj.iter().chain(clips).flatten())?;
    let scale = 1.0 / resolution;
    let half = (rect.max_x - rect.min_x).max(rect.max_y - rect.min_y) / 2.0 + 1.0;
    let adapter = if half * scale < f64::from(1u32 << 30) {
        // Offset on the grid (whole metres), so that grid points map to integers exactly.
        let offset = [
            ((rect.min_x + rect.max_x) / 2.0).round(),
            ((rect.min_y + rect.max_y) / 2.0).round(),
        ];
        FloatPointAdapter {
            dir_scale: scale,
            inv_scale: resolution,
            offset,
            rect,
        }
    } else {
        FloatPointAdapter::new(rect)
    };
    let options = OverlayOptions::<f64> {
        preserve_input_collinear: true,
        preserve_output_collinear: true,
        ogc: true,
        clean_result: false,
        ..Default::default()
    };
    let cap = subj.iter().chain(clips).map(Vec::len).sum();
    Some(
        FloatOverlay::new_custom(adapter, options, Default::default(), cap)
            .unsafe_add_source(subj, ShapeType::Subject)
            .unsafe_add_source(clips, ShapeType::Clip),
    )
}

/// An overlay's shapes as a multipolygon, every point on the grid of `resolution`.
fn off_grid(shapes: Vec<Vec<Vec<[f64; 2]>>>, resolution: f64) -> MultiPolygon<f64> {
    let scale = 1.0 / resolution;
    let snap = |v: f64| (v * scale).round() / scale;
    let on_grid: Vec<Vec<Vec<[f64; 2]>>> = shapes
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|c| c.into_iter().map(|p| [snap(p[0]), snap(p[1])]).collect())
                .collect()
        })
        .collect();
    shapes_to_multipolygon(on_grid)
}

/// Distinct vertices of some shapes, for box queries (those along an edge); to move many
/// points onto the nearest of them, [`PointCells`].
pub type VertexTree = rstar::RTree<rstar::primitives::GeomWithData<[f64; 2], ()>>;

/// The points `pts`, each once, as a [`VertexTree`].
pub fn point_tree(pts: impl Iterator<Item = Coord<f64>>) -> VertexTree {
    let mut pts: Vec<[f64; 2]> = pts.map(|c| [c.x, c.y]).collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    rstar::RTree::bulk_load(
        pts.into_iter()
            .map(|p| rstar::primitives::GeomWithData::new(p, ()))
            .collect(),
    )
}

/// Points hashed in square cells `eps` wide, to move many points onto the nearest of them
/// within `eps`: nine cells looked up a point, where a tree walks its levels for each.
pub struct PointCells {
    eps: f64,
    cells: rustc_hash::FxHashMap<(i64, i64), Vec<Coord<f64>>>,
}

impl PointCells {
    /// `pts` in cells `eps` wide (an `eps` that is not positive and finite finds nothing).
    pub fn new(pts: impl Iterator<Item = Coord<f64>>, eps: f64) -> Self {
        let mut me = PointCells {
            eps,
            cells: Default::default(),
        };
        for c in pts {
            if !me.cells.get(&me.cell(c)).is_some_and(|v| v.contains(&c)) {
                me.insert(c);
            }
        }
        me
    }

    /// The vertices of `shapes`.
    pub fn of_vertices<'a>(shapes: impl Iterator<Item = &'a MultiPolygon<f64>>, eps: f64) -> Self {
        Self::new(
            shapes
                .flat_map(|mp| mp.0.iter())
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.0.iter().copied()),
            eps,
        )
    }

    /// Put `c` in (nothing, if `eps` is not positive and finite).
    pub fn insert(&mut self, c: Coord<f64>) {
        if self.eps > 0.0 && self.eps.is_finite() {
            let cell = self.cell(c);
            self.cells.entry(cell).or_default().push(c);
        }
    }

    fn cell(&self, c: Coord<f64>) -> (i64, i64) {
        (
            (c.x / self.eps).floor() as i64,
            (c.y / self.eps).floor() as i64,
        )
    }

    /// The points within `eps` of `c`, cell by cell (the nine around `c`'s, row by row).
    fn around(&self, c: Coord<f64>) -> impl Iterator<Item = Coord<f64>> + '_ {
        let (i, j) = self.cell(c);
        (-1..=1)
            .flat_map(move |di| {
                (-1..=1).map(move |dj| (i.saturating_add(di), j.saturating_add(dj)))
            })
            .filter_map(|k| self.cells.get(&k))
            .flatten()
            .copied()
            .filter(move |v| (v.x - c.x).hypot(v.y - c.y) <= self.eps)
    }

    /// The point nearest to `c` within `eps` (the first found of equally near ones).
    pub fn nearest_within(&self, c: Coord<f64>) -> Option<Coord<f64>> {
        let mut best: Option<(f64, Coord<f64>)> = None;
        for v in self.around(c) {
            let d = (v.x - c.x).hypot(v.y - c.y);
            if best.is_none_or(|(b, _)| d < b) {
                best = Some((d, v));
            }
        }
        best.map(|(_, v)| v)
    }

    /// The first point within `eps` of `c` found (not the nearest): where points go in one
    /// by one when none is found, the first of a cluster stands for it.
    pub fn first_within(&self, c: Coord<f64>) -> Option<Coord<f64>> {
        self.around(c).next()
    }
}

/// `mp` with every vertex within the cells' `eps` of one of their points moved onto the
/// nearest such, and the repeated points and rings of fewer than three points this leaves
/// dropped.
pub fn snap_back(mp: &MultiPolygon<f64>, to: &PointCells) -> MultiPolygon<f64> {
    move_vertices(mp, |c| to.nearest_within(c).unwrap_or(c))
}

/// `mp` with each vertex moved by `to`, and the repeated points and rings of fewer than
/// three points this leaves dropped.
fn move_vertices(
    mp: &MultiPolygon<f64>,
    to: impl Fn(Coord<f64>) -> Coord<f64>,
) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| {
        let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
        for &c in &ls.0 {
            let s = to(c);
            if pts.last() != Some(&s) {
                pts.push(s);
            }
        }
        LineString(pts)
    };
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .filter(|p| p.exterior().0.len() >= 4)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlay_result_goes_back_onto_the_vertices_it_came_from() {
        let at = |x: f64, y: f64| Coord {
            x: 500_000.0 + x,
            y: 3_000_000.0 + y,
        };
        let ring = |pts: &[Coord<f64>]| {
            let mut v = pts.to_vec();
            v.push(pts[0]);
            MultiPolygon(vec![Polygon::new(LineString(v), vec![])])
        };
        let original = ring(&[at(0.0, 0.0), at(10.0, 0.0), at(10.0, 10.0), at(0.0, 10.0)]);
        // Rounded a little (two corners), one point new, two landing on one vertex.
        let d = 1e-7;
        let computed = ring(&[
            at(d, -d),
            at(5.0, 0.0),
            at(10.0 - d, 0.0),
            at(10.0, 0.0),
            at(10.0, 10.0),
            at(0.0, 10.0 + d),
        ]);
        let want = ring(&[
            at(0.0, 0.0),
            at(5.0, 0.0),
            at(10.0, 0.0),
            at(10.0, 10.0),
            at(0.0, 10.0),
        ]);
        let onto = |eps| PointCells::of_vertices(std::iter::once(&original), eps);
        assert_eq!(snap_back(&computed, &onto(1e-6)), want);
        // Nothing moves farther than eps.
        assert_eq!(snap_back(&computed, &onto(1e-9)), computed);
    }

    #[test]
    fn the_nearest_point_within_eps_is_found_across_cell_borders() {
        let c = |x: f64, y: f64| Coord { x, y };
        // Cells 1.0 wide: the query at 2.05 lies in the cell of 2.0 but its nearest is
        // 1.98 in the cell before it; nothing lies within 1.0 of 3.95.
        let cells = PointCells::new([c(1.98, 0.5), c(2.9, 0.5), c(1.98, 0.5)].into_iter(), 1.0);
        assert_eq!(cells.nearest_within(c(2.05, 0.5)), Some(c(1.98, 0.5)));
        assert_eq!(cells.nearest_within(c(2.5, 0.5)), Some(c(2.9, 0.5)));
        assert_eq!(cells.nearest_within(c(3.95, 0.5)), None);
        assert_eq!(cells.nearest_within(c(-1.0, -1.0)), None);
        let none = PointCells::new([c(0.0, 0.0)].into_iter(), f64::NAN);
        assert_eq!(none.nearest_within(c(0.0, 0.0)), None);
    }

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

    /// A closed ring round (cx, cy): radius `r` varied smoothly and a little noise, `n`
    /// vertices on the millimetre grid of a projected CRS.
    fn blob(rng: &mut fastrand::Rng, cx: f64, cy: f64, r: f64, n: usize) -> LineString<f64> {
        let (f, ph) = (2.0 + rng.f64() * 5.0, rng.f64() * std::f64::consts::TAU);
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let rr = r * (1.0 + 0.15 * (f * t + ph).sin() + 0.03 * (rng.f64() - 0.5));
                let mm = |v: f64| (v * 1000.0).round() / 1000.0;
                Coord {
                    x: mm(500_000.0 + cx + rr * t.cos()),
                    y: mm(3_000_000.0 + cy + rr * t.sin()),
                }
            })
            .collect();
        pts.dedup();
        pts.push(pts[0]);
        LineString(pts)
    }

    #[test]
    fn an_operand_cut_down_to_the_window_gives_the_same_overlay_vertex_for_vertex() {
        use i_overlay::core::overlay_rule::OverlayRule;
        let mut rng = fastrand::Rng::with_seed(25);
        let (mut cases, mut cut) = (0, 0);
        for _ in 0..12 {
            // Large: three overlapping villages of 3,000 vertices, each with two holes.
            let centres: Vec<(f64, f64)> = (0..3)
                .map(|k| (k as f64 * 900.0, rng.f64() * 600.0))
                .collect();
            let large = MultiPolygon(
                centres
                    .iter()
                    .map(|&(cx, cy)| {
                        let shell = blob(&mut rng, cx, cy, 1000.0, 3000);
                        let (r1, r2) = (100.0 + rng.f64() * 50.0, 100.0 + rng.f64() * 50.0);
                        let holes = vec![
                            blob(&mut rng, cx - 400.0, cy, r1, 200),
                            blob(&mut rng, cx + 400.0, cy, r2, 200),
                        ];
                        Polygon::new(shell, holes)
                    })
                    .collect(),
            );
            for i in 0..12 {
                // Small: anywhere over, across or beside them, 3 cm to 250 m across; or
                // inside a hole near its edge (the hole winds clockwise round it); or deep
                // inside a village, where no edge comes near.
                let mut r = 0.03 * 10f64.powf(rng.f64() * 4.0);
                let (mut cx, mut cy) = (rng.f64() * 4000.0 - 1200.0, rng.f64() * 2800.0 - 1100.0);
                if i % 4 == 1 {
                    let (x, y) = centres[rng.usize(..3)];
                    let a = rng.f64() * std::f64::consts::TAU;
                    let side = if rng.bool() { -400.0 } else { 400.0 };
                    (cx, cy, r) = (
                        x + side + 80.0 * a.cos(),
                        y + 80.0 * a.sin(),
                        1.0 + rng.f64() * 10.0,
                    );
                } else if i % 4 == 2 {
                    (cx, cy) = centres[rng.usize(..3)];
                    r = 1.0 + rng.f64() * 50.0;
                }
                let n = 20 + rng.usize(..200);
                let small = MultiPolygon(vec![Polygon::new(blob(&mut rng, cx, cy, r, n), vec![])]);
                for (a, b, rule) in [
                    (&small, &large, OverlayRule::Intersect),
                    (&large, &small, OverlayRule::Intersect),
                    (&small, &large, OverlayRule::Difference),
                ] {
                    let whole =
                        overlay_on_grid(&polygon_contours(a), &polygon_contours(b), rule, 0.001);
                    let [sa, sb] = operands(a, b, rule, 0.001);
                    let kept: usize = sa.iter().chain(&sb).map(Vec::len).sum();
                    cases += 1;
                    cut += usize::from(kept < 3000);
                    assert_eq!(
                        grid_overlay(a, b, rule, 0.001),
                        whole,
                        "{rule:?} of a shape {r} m across at ({cx}, {cy})"
                    );
                }
            }
        }
        // The cut is what ran, nearly always.
        assert!(cut * 10 > cases * 9, "{cut} of {cases} cut");
    }
}
