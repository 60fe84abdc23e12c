//! Geometry validity of one grid: non-finite coordinates, too few points, duplicate
//! vertices, spikes, self-intersections, holes outside their shell, overlapping parts.
//!
//! # Performance
//! Ring self-intersection uses a sweep over segments sorted by x, so a ring of n vertices
//! costs about n log n rather than geo's n² pairwise test.

use super::finding::{Finding, Kind, Severity};
use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::{Coord, Line, LineString, MultiPolygon, Point, Validation};

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
        // Ring relations (holes inside shells, parts not overlapping): rare, so geo's exact
        // relate-based validation is affordable here.
        let needs_relate = mp.0.len() > 1 || mp.0.iter().any(|p| !p.interiors().is_empty());
        if needs_relate {
            for err in mp.validation_errors() {
                usable = false;
                let en = err.to_string();
                out.push(Finding::new(
                    Kind::InvalidGeometry,
                    Severity::Error,
                    ids(),
                    format!("网格「{label}」的环之间关系无效（内环在外环之外、环相交或多部件重叠）：{en}。"),
                    format!("Grid {label}: invalid ring relation: {en}."),
                ));
            }
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

/// First point where two non-adjacent segments of the closed ring `pts` (not repeating the
/// first point) meet, found by a sweep in x.
fn self_intersection(pts: &[Coord<f64>]) -> Option<Coord<f64>> {
    let n = pts.len();
    let seg = |i: usize| Line::new(pts[i], pts[(i + 1) % n]);
    let mut order: Vec<usize> = (0..n).collect();
    let minx = |i: usize| pts[i].x.min(pts[(i + 1) % n].x);
    let maxx = |i: usize| pts[i].x.max(pts[(i + 1) % n].x);
    order.sort_by(|&a, &b| minx(a).total_cmp(&minx(b)));
    let mut active: Vec<usize> = Vec::new();
    for &i in &order {
        let x = minx(i);
        active.retain(|&j| maxx(j) >= x);
        let si = seg(i);
        let (ylo, yhi) = (si.start.y.min(si.end.y), si.start.y.max(si.end.y));
        for &j in &active {
            let sj = seg(j);
            if sj.start.y.max(sj.end.y) < ylo || sj.start.y.min(sj.end.y) > yhi {
                continue;
            }
            let adjacent = (i + 1) % n == j || (j + 1) % n == i;
            match line_intersection(si, sj) {
                None => {}
                Some(LineIntersection::Collinear { intersection }) => {
                    return Some(intersection.start);
                }
                Some(LineIntersection::SinglePoint { intersection, .. }) => {
                    if !adjacent {
                        return Some(intersection);
                    }
                    // Adjacent segments may only share their common vertex.
                    let shared = if (i + 1) % n == j { pts[j] } else { pts[i] };
                    if intersection != shared {
                        return Some(intersection);
                    }
                }
            }
        }
        active.push(i);
    }
    None
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
    fn square_is_valid_and_duplicates_warn() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
        let (f, usable) = check_geometry("a", "a", &MultiPolygon(vec![p]));
        assert!(usable);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::DuplicateVertex);
    }
}
