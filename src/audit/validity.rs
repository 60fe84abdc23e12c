//! Geometry validity of one grid: non-finite coordinates, too few points, duplicate
//! vertices, spikes, self-intersections, holes outside their shell, overlapping parts; and
//! each grid's new state (`Fresh`) as both audit paths take it in.
//!
//! # Performance
//! Ring self-intersection uses a sweep over segments sorted by x, so a ring of n vertices
//! costs about n log n rather than geo's n² pairwise test.

use super::finding::{Finding, Kind, Severity};
use super::store::Source;
use super::tiling::EdgeKey;
use super::{Auditor, Look};
use crate::geom;
use crate::model::Grid;
use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::{Coord, Line, LineString, MultiPolygon, Point, Rect};

/// Why a ring is unusable.
enum RingProblem {
    NonFinite,
    TooFewPoints,
    Spike(Coord<f64>),
    SelfIntersection(Coord<f64>),
}

/// Findings for one grid's geometry, and whether the geometry can be used by the checks
/// that need validity (coverage, gaps, rivers).
pub fn check_geometry(id: &str, label: &str, mp: &MultiPolygon<f64>) -> (Vec<Finding>, bool) {
    let mut out = Vec::new();
    let mut usable = true;
    let ids = || vec![id.to_string()];
    if mp.0.is_empty() || mp.0.iter().all(|p| p.exterior().0.is_empty()) {
        out.push(Finding::new(
            Kind::InvalidGeometry,
            Severity::Error,
            ids(),
            format!("网格「{label}」没有多边形几何。请重新绘制。"),
            format!("Grid {label} has no polygon geometry. Draw it again."),
        ));
        return (out, false);
    }
    let mut dup_count = 0usize;
    let mut dup_at = None;
    for poly in &mp.0 {
        for (ri, ring) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            let which_zh = if ri == 0 {
                "外环".to_string()
            } else {
                format!("第{ri}个内环")
            };
            let which_en = if ri == 0 {
                "exterior ring".to_string()
            } else {
                format!("interior ring {ri}")
            };
            let (dups, first_dup) = duplicate_vertices(ring);
            dup_count += dups;
            if dup_at.is_none() {
                dup_at = first_dup;
            }
            match ring_problem(ring) {
                None => {}
                Some(p) => {
                    usable = false;
                    let (zh, en, at) = match p {
                        RingProblem::NonFinite => (
                            "含有非数值坐标 (NaN/无穷)".to_string(),
                            "has a non-finite (NaN/infinite) coordinate".to_string(),
                            None,
                        ),
                        RingProblem::TooFewPoints => (
                            "不足 3 个不同的点".to_string(),
                            "has fewer than 3 distinct points".to_string(),
                            ring.0.first().copied(),
                        ),
                        RingProblem::Spike(c) => (
                            format!("在 ({:.2}, {:.2}) 处有尖刺 (折返)", c.x, c.y),
                            format!(
                                "has a spike (the boundary doubles back) at ({:.2}, {:.2})",
                                c.x, c.y
                            ),
                            Some(c),
                        ),
                        RingProblem::SelfIntersection(c) => (
                            format!("在 ({:.2}, {:.2}) 处自相交", c.x, c.y),
                            format!("self-intersects at ({:.2}, {:.2})", c.x, c.y),
                            Some(c),
                        ),
                    };
                    let mut f = Finding::new(
                        Kind::InvalidGeometry,
                        Severity::Error,
                        ids(),
                        format!("网格「{label}」的{which_zh}{zh}。请用「节点编辑」修正。"),
                        format!("Grid {label}: the {which_en} {en}. Fix it with Edit vertices."),
                    );
                    if let Some(c) = at {
                        f = f.with_geometry(Point(c));
                    }
                    out.push(f);
                }
            }
        }
    }
    if usable {
        // Ring relations (holes inside shells, parts not overlapping).
        if let Some((zh, en, at)) = ring_relations(mp) {
            usable = false;
            out.push(
                Finding::new(
                    Kind::InvalidGeometry,
                    Severity::Error,
                    ids(),
                    format!(
                        "网格「{label}」{zh}（{:.2}, {:.2}）。请用「节点编辑」修正。",
                        at.x, at.y
                    ),
                    format!(
                        "Grid {label}: {en} at ({:.2}, {:.2}). Fix it with Edit vertices.",
                        at.x, at.y
                    ),
                )
                .with_geometry(Point(at)),
            );
        }
    }
    if dup_count > 0 {
        let mut f = Finding::new(
            Kind::DuplicateVertex,
            Severity::Warning,
            ids(),
            format!("网格「{label}」有 {dup_count} 个连续重复节点，导出时将自动去除。"),
            format!(
                "Grid {label} has {dup_count} consecutive duplicate vertices; they are removed on export."
            ),
        );
        if let Some(c) = dup_at {
            f = f.with_geometry(Point(c));
        }
        out.push(f);
    }
    (out, usable)
}

fn duplicate_vertices(ring: &LineString<f64>) -> (usize, Option<Coord<f64>>) {
    let mut n = 0;
    let mut first = None;
    for w in ring.0.windows(2) {
        if w[0] == w[1] {
            n += 1;
            first.get_or_insert(w[0]);
        }
    }
    (n, first)
}

fn ring_problem(ring: &LineString<f64>) -> Option<RingProblem> {
    if ring.0.iter().any(|c| !(c.x.is_finite() && c.y.is_finite())) {
        return Some(RingProblem::NonFinite);
    }
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for &c in &ring.0 {
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let mut distinct: Vec<(u64, u64)> = pts.iter().map(|&c| crate::geom::coord_key(c)).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 3 {
        return Some(RingProblem::TooFewPoints);
    }
    let n = pts.len();
    // Spikes: the boundary goes out and comes straight back (a-b-a or collinear reversal).
    for i in 0..n {
        let (a, b, c) = (pts[(i + n - 1) % n], pts[i], pts[(i + 1) % n]);
        if a == c {
            return Some(RingProblem::Spike(b));
        }
        let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
        let dot = (b.x - a.x) * (c.x - b.x) + (b.y - a.y) * (c.y - b.y);
        if cross == 0.0 && dot < 0.0 {
            return Some(RingProblem::Spike(b));
        }
    }
    self_intersection(&pts).map(RingProblem::SelfIntersection)
}

/// A segment for the sweep: its ends, its ring, its index in the ring and the ring's length.
struct Seg {
    line: Line<f64>,
    ring: usize,
    idx: usize,
    n: usize,
}

/// First point where two segments meet in a way `bad` rejects: each segment is tested only
/// against the segments whose envelopes meet its own (an R-tree), so a ring of a million
/// vertices or a shell with a hundred thousand holes stays near-linear. Segments are taken
/// in order of their smallest x, each against those before it, so the point reported does
/// not depend on the tree.
fn sweep(
    segs: &[Seg],
    bad: impl Fn(&Seg, &Seg, LineIntersection<f64>) -> Option<Coord<f64>>,
) -> Option<Coord<f64>> {
    use rstar::primitives::{GeomWithData, Rectangle};
    let minx = |s: &Seg| s.line.start.x.min(s.line.end.x);
    let mut order: Vec<usize> = (0..segs.len()).collect();
    order.sort_by(|&a, &b| minx(&segs[a]).total_cmp(&minx(&segs[b])));
    let mut rank = vec![0usize; segs.len()];
    for (k, &i) in order.iter().enumerate() {
        rank[i] = k;
    }
    let corners = |s: &Seg| {
        (
            [
                s.line.start.x.min(s.line.end.x),
                s.line.start.y.min(s.line.end.y),
            ],
            [
                s.line.start.x.max(s.line.end.x),
                s.line.start.y.max(s.line.end.y),
            ],
        )
    };
    let tree = rstar::RTree::bulk_load(
        segs.iter()
            .enumerate()
            .map(|(i, s)| {
                let (lo, hi) = corners(s);
                GeomWithData::new(Rectangle::from_corners(lo, hi), i)
            })
            .collect(),
    );
    let mut earlier: Vec<usize> = Vec::new();
    for &i in &order {
        let si = &segs[i];
        let (lo, hi) = corners(si);
        earlier.clear();
        earlier.extend(
            tree.locate_in_envelope_intersecting(&rstar::AABB::from_corners(lo, hi))
                .map(|c| c.data)
                .filter(|&j| rank[j] < rank[i]),
        );
        earlier.sort_unstable_by_key(|&j| rank[j]);
        for &j in &earlier {
            if let Some(li) = line_intersection(si.line, segs[j].line)
                && let Some(c) = bad(si, &segs[j], li)
            {
                return Some(c);
            }
        }
    }
    None
}

/// First point where two non-adjacent segments of the closed ring `pts` (not repeating the
/// first point) meet.
fn self_intersection(pts: &[Coord<f64>]) -> Option<Coord<f64>> {
    let n = pts.len();
    let segs: Vec<Seg> = (0..n)
        .map(|i| Seg {
            line: Line::new(pts[i], pts[(i + 1) % n]),
            ring: 0,
            idx: i,
            n,
        })
        .collect();
    sweep(&segs, |a, b, li| match li {
        LineIntersection::Collinear { intersection } => Some(intersection.start),
        LineIntersection::SinglePoint { intersection, .. } => {
            let adjacent = (a.idx + 1) % a.n == b.idx || (b.idx + 1) % b.n == a.idx;
            if !adjacent {
                return Some(intersection);
            }
            // Adjacent segments may only share their common vertex.
            let shared = if (a.idx + 1) % a.n == b.idx {
                b.line.start
            } else {
                a.line.start
            };
            (intersection != shared).then_some(intersection)
        }
    })
}

/// Relations between the rings of a multipolygon whose rings are each simple: rings may
/// touch at points but not cross or share a stretch; holes lie inside their shell and not
/// inside each other; parts do not overlap. Returns what is wrong and where.
fn ring_relations(mp: &MultiPolygon<f64>) -> Option<(&'static str, &'static str, Coord<f64>)> {
    use geo::Polygon;
    use geo::coordinate_position::{CoordPos, CoordinatePosition};
    let rings: Vec<&LineString<f64>> =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect();
    if rings.len() < 2 {
        return None;
    }
    let mut segs = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        let n = ring.0.len().saturating_sub(1);
        for (i, w) in ring.0.windows(2).enumerate() {
            if w[0] != w[1] {
                segs.push(Seg {
                    line: Line::new(w[0], w[1]),
                    ring: r,
                    idx: i,
                    n,
                });
            }
        }
    }
    let touch_ok = |p: Coord<f64>, s: &Seg| p == s.line.start || p == s.line.end;
    if let Some(c) = sweep(&segs, |a, b, li| {
        if a.ring == b.ring {
            return None;
        }
        match li {
            LineIntersection::Collinear { intersection } => Some(intersection.start),
            LineIntersection::SinglePoint { intersection, .. } => {
                (!(touch_ok(intersection, a) && touch_ok(intersection, b))).then_some(intersection)
            }
        }
    }) {
        return Some(("的环相互交叉或重合", "rings cross or share a stretch", c));
    }
    // A vertex of `ring` that is not on `poly`'s boundary, and where it lies.
    let probe = |ring: &LineString<f64>, poly: &Polygon<f64>| -> Option<(Coord<f64>, CoordPos)> {
        ring.0
            .iter()
            .find_map(|c| match poly.coordinate_position(c) {
                CoordPos::OnBoundary => None,
                pos => Some((*c, pos)),
            })
    };
    // Rings do not cross (above), so one vertex off a ring's boundary tells on which side
    // of it the whole ring lies. Candidates come from an R-tree of ring envelopes.
    use geo::BoundingRect;
    use rstar::primitives::{GeomWithData, Rectangle};
    let boxed = |ring: &LineString<f64>, k: usize| {
        ring.bounding_rect().map(|r| {
            GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                k,
            )
        })
    };
    let at = |c: Coord<f64>| rstar::AABB::from_point([c.x, c.y]);
    for p in &mp.0 {
        let shell = Polygon::new(p.exterior().clone(), vec![]);
        let holes = rstar::RTree::bulk_load(
            p.interiors()
                .iter()
                .enumerate()
                .filter_map(|(k, h)| boxed(h, k))
                .collect(),
        );
        for (k, h) in p.interiors().iter().enumerate() {
            let Some((c, pos)) = probe(h, &shell) else {
                continue;
            };
            if pos == CoordPos::Outside {
                return Some(("的内环在外环之外", "a hole lies outside its shell", c));
            }
            for other in holes.locate_in_envelope_intersecting(&at(c)) {
                if other.data != k
                    && let Some((c, CoordPos::Inside)) =
                        probe(h, &Polygon::new(p.interiors()[other.data].clone(), vec![]))
                {
                    return Some((
                        "的内环位于另一个内环之内",
                        "a hole lies inside another hole",
                        c,
                    ));
                }
            }
        }
    }
    let parts = rstar::RTree::bulk_load(
        mp.0.iter()
            .enumerate()
            .filter_map(|(k, p)| boxed(p.exterior(), k))
            .collect(),
    );
    for (i, a) in mp.0.iter().enumerate() {
        let Some(env) = a.exterior().bounding_rect() else {
            continue;
        };
        let env = rstar::AABB::from_corners([env.min().x, env.min().y], [env.max().x, env.max().y]);
        for other in parts.locate_in_envelope_intersecting(&env) {
            let b = &mp.0[other.data];
            if other.data <= i {
                continue;
            }
            for (x, y) in [(a, b), (b, a)] {
                if let Some((c, CoordPos::Inside)) = probe(x.exterior(), y) {
                    return Some(("的多个部分相互重叠", "parts of the multipolygon overlap", c));
                }
            }
        }
    }
    None
}

/// A grid's new state as the validity check leaves it, before it joins the indexes.
pub(super) struct Fresh<'g> {
    pub grid: &'g Grid,
    pub findings: Vec<Finding>,
    /// Valid enough for the coverage, tiling and river checks.
    pub usable: bool,
    pub env: Option<Rect<f64>>,
    /// Its edges for its parent's tiling.
    pub edges: Vec<(EdgeKey, i32)>,
}

/// The grids of `ids` that are in the project (the first with each id), checked in
/// parallel: validity, envelope and tiling edges.
pub(super) fn fresh_states<'g>(look: Look<'g>, ids: &[&str]) -> Vec<Fresh<'g>> {
    use rayon::prelude::*;
    ids.par_iter()
        .filter_map(|id| look.grid(id))
        .map(|g| {
            let (findings, usable) = check_geometry(&g.id, g.label(), &g.geometry);
            let env = geom::envelope(&g.geometry)
                .filter(|e| e.min().x.is_finite() && e.max().y.is_finite());
            let edges = super::tiling::child_edges(g, usable);
            Fresh {
                grid: g,
                findings,
                usable,
                env,
                edges,
            }
        })
        .collect()
}

impl Auditor {
    /// Drop the per-grid findings of the grids of `ids` that are no longer in the project.
    pub(super) fn clear_gone(&mut self, look: Look, ids: &[&str]) {
        for id in ids {
            if look.grid(id).is_none() {
                for s in [
                    Source::Validity(id.to_string()),
                    Source::Hierarchy(id.to_string()),
                    Source::Record(id.to_string()),
                    Source::RiverChief(id.to_string()),
                    Source::Edges(id.to_string()),
                ] {
                    self.store.clear(&s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn bowtie_is_self_intersecting() {
        let p =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 10.0), (x: 10.0, y: 0.0), (x: 0.0, y: 10.0)];
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![p]));
        assert!(!usable);
        assert_eq!(f[0].kind, Kind::InvalidGeometry);
        assert!(
            f[0].message.en.contains("self-intersects at (5.00, 5.00)"),
            "{}",
            f[0].message.en
        );
    }

    #[test]
    fn spike_is_reported() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 20.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0)];
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![p]));
        assert!(!usable);
        assert!(f[0].message.en.contains("spike"));
    }

    #[test]
    fn hole_outside_shell_and_overlapping_parts() {
        let shell =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
        let mut p = shell.clone();
        p.interiors_push(vec![(20.0, 20.0), (21.0, 20.0), (21.0, 21.0), (20.0, 20.0)]);
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![p]));
        assert!(!usable);
        assert!(
            f[0].message.en.contains("hole lies outside its shell"),
            "{}",
            f[0].message.en
        );
        let inner = polygon![(x: 2.0, y: 2.0), (x: 4.0, y: 2.0), (x: 4.0, y: 4.0)];
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![shell.clone(), inner]));
        assert!(!usable);
        assert!(
            f[0].message
                .en
                .contains("parts of the multipolygon overlap"),
            "{}",
            f[0].message.en
        );
        let crossing = polygon![(x: 5.0, y: 5.0), (x: 15.0, y: 5.0), (x: 15.0, y: 15.0)];
        let (f, _) = check_geometry("a", "a", &MultiPolygon(vec![shell.clone(), crossing]));
        assert!(
            f[0].message.en.contains("rings cross"),
            "{}",
            f[0].message.en
        );
        // Two parts touching at a corner are fine.
        let corner = polygon![(x: 10.0, y: 10.0), (x: 20.0, y: 10.0), (x: 20.0, y: 20.0)];
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![shell, corner]));
        assert!(usable && f.is_empty(), "{f:?}");
    }

    #[test]
    fn square_is_valid_and_duplicates_warn() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![p]));
        assert!(usable);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::DuplicateVertex);
    }
}
