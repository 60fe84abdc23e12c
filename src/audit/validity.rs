//! Geometry validity of one grid: non-finite coordinates, too few points, duplicate
//! vertices, spikes, self-intersections, holes outside their shell, overlapping parts; and
//! each grid's new state (`Fresh`) as both audit paths take it in.
//! The ring tests themselves are in `geom::validity`.

use super::finding::{Finding, Kind, Severity};
use super::store::Source;
use super::tiling::EdgeKey;
use super::{Auditor, Look};
use crate::geom;
use crate::geom::validity::{RingProblem, ring_problem, ring_relations};
use crate::model::Grid;
use geo::{Coord, CoordsIter, LineString, MultiPolygon, Point, Rect};
use rustc_hash::{FxHashMap, FxHashSet};

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

/// What the audit knew of the grids an edit changed before it.
#[derive(Default)]
pub(super) struct Before<'a> {
    /// Grids valid without a finding, in the shape given: their validity is first decided
    /// near what changed.
    pub clean: FxHashMap<&'a str, &'a MultiPolygon<f64>>,
    /// Grids that were not usable: likely still not (a vertex dragged on through a
    /// crossing), so a dense one's repaired outline is made beside its check.
    pub unusable: FxHashSet<&'a str>,
}

/// The grids of `ids` that are in the project (the first with each id), checked in
/// parallel: validity, envelope and tiling edges, given what was known of them `before`.
pub(super) fn fresh_states<'g>(look: Look<'g>, ids: &[&str], before: &Before) -> Vec<Fresh<'g>> {
    use rayon::prelude::*;
    ids.par_iter()
        .filter_map(|id| look.grid(id))
        .map(|g| {
            let check = || check_geometry(&g.id, g.label(), &g.geometry);
            let ((findings, usable), edges) = match before.clean.get(g.id.as_str()) {
                Some(old) if geom::validity::still_clean(old, &g.geometry) => {
                    ((Vec::new(), true), super::tiling::child_edges(g, true))
                }
                _ if before.unusable.contains(g.id.as_str())
                    && g.geometry.coords_count() > geom::par::TWO_CORES_AT =>
                {
                    let ((findings, usable), repaired) =
                        rayon::join(check, || super::tiling::repaired_edges(g));
                    let edges = if usable {
                        super::tiling::child_edges(g, true)
                    } else {
                        repaired
                    };
                    ((findings, usable), edges)
                }
                _ => {
                    let (findings, usable) = check();
                    ((findings, usable), super::tiling::child_edges(g, usable))
                }
            };
            let env = geom::envelope(&g.geometry)
                .filter(|e| e.min().x.is_finite() && e.max().y.is_finite());
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
