//! Overlaps between neighbours, and the tiling of each parent by its children: gaps,
//! slivers and children outside their parent, measured in m² and metres.

use super::finding::{Finding, Kind, Severity, round3};
use super::{AuditConfig, GroupKey};
use crate::geom::{self, WindingRule};
use crate::model::{Grid, GridIndex, Project};
use geo::{BooleanOps, Coord, LineString, MultiLineString, MultiPolygon};
use rustc_hash::{FxHashMap, FxHashSet};

fn level_zh(level: u8) -> &'static str {
    match level {
        1 => "一级网格",
        2 => "二级网格",
        3 => "三级网格",
        4 => "四级网格",
        _ => "网格",
    }
}

/// Overlap (or duplicate) of two grids of the same level.
pub(super) fn overlap(a: &Grid, b: &Grid, cfg: &AuditConfig) -> Vec<Finding> {
    let inter = a.geometry.intersection(&b.geometry);
    let area = geom::area(&inter);
    if area < cfg.min_area_m2 {
        return Vec::new();
    }
    let (aa, ab) = (geom::area(&a.geometry), geom::area(&b.geometry));
    let (first, second) = if a.id <= b.id { (a, b) } else { (b, a) };
    let ids = vec![first.id.clone(), second.id.clone()];
    let tol = 1e-6 * aa.max(ab).max(1.0);
    let f = if (area - aa).abs() <= tol && (area - ab).abs() <= tol {
        Finding::new(
            Kind::Duplicate,
            Severity::Error,
            ids,
            format!(
                "网格「{}」与「{}」几何完全相同（重复网格）。请删除其一。",
                first.label(),
                second.label()
            ),
            format!(
                "Grids {} and {} have the same geometry (duplicate). Delete one of them.",
                first.label(),
                second.label()
            ),
        )
    } else {
        Finding::new(
            Kind::Overlap,
            Severity::Error,
            ids,
            format!(
                "{}「{}」与「{}」重叠 {:.1} m²。可用「合并」或「节点编辑」修正。",
                level_zh(a.level),
                first.label(),
                second.label(),
                area
            ),
            format!(
                "Grids {} and {} overlap by {:.1} m². Fix with Merge or Edit vertices.",
                first.label(),
                second.label(),
                area
            ),
        )
    };
    let mut f = f.with_geometry(inter);
    f.area_m2 = Some(round3(area));
    vec![f]
}

/// Gaps, slivers and outside-parent parts for one parent and its children.
pub(super) fn group_findings(
    project: &Project,
    index: &GridIndex,
    key: &GroupKey,
    usable: &FxHashSet<&str>,
    cfg: &AuditConfig,
) -> Vec<Finding> {
    let (parent_geom, parent_id, parent_label, children): (
        Option<MultiPolygon<f64>>,
        String,
        String,
        Vec<&Grid>,
    ) = match key {
        GroupKey::Grid(pid) => {
            let Some(p) = index.get(pid) else {
                return Vec::new();
            };
            if !usable.contains(p.id.as_str()) {
                return Vec::new();
            }
            let kids = index
                .children(pid)
                .filter(|c| c.level == p.level + 1)
                .collect::<Vec<_>>();
            (
                Some(p.geometry.clone()),
                p.id.clone(),
                p.label().to_string(),
                kids,
            )
        }
        GroupKey::Boundary(level) => {
            let kids: Vec<&Grid> = project
                .grids
                .iter()
                .filter(|g| {
                    g.level == *level && g.parent.as_deref().is_none_or(|p| index.get(p).is_none())
                })
                .collect();
            // The boundary layer is the parent of the top level only.
            let top = project.grids.iter().map(|g| g.level).min().unwrap_or(1);
            let parent = if *level == top && !project.boundary.is_empty() {
                Some(MultiPolygon(
                    project
                        .boundary
                        .iter()
                        .flat_map(|b| b.geometry.0.clone())
                        .collect(),
                ))
            } else {
                None
            };
            let id = project
                .boundary
                .first()
                .map(|b| b.id.clone())
                .unwrap_or_else(|| "boundary".into());
            let label = project
                .boundary
                .first()
                .map(|b| b.name.clone())
                .unwrap_or_else(|| "行政边界".into());
            (parent, id, label, kids)
        }
    };
    if children.is_empty() {
        return Vec::new();
    }
    let mut edges = Vec::new();
    // Invalid children still cover their area: their rings are repaired (non-zero fill)
    // for this check, so an invalid grid is not also reported as a gap.
    let repaired: Vec<MultiPolygon<f64>> = children
        .iter()
        .filter(|c| !usable.contains(c.id.as_str()))
        .filter(|c| {
            c.geometry.0.iter().all(|p| {
                p.exterior()
                    .0
                    .iter()
                    .all(|v| v.x.is_finite() && v.y.is_finite())
            })
        })
        .map(|c| geom::fill_cycles(&geom::polygon_contours(&c.geometry), WindingRule::NonZero))
        .collect();
    for c in children.iter().filter(|c| usable.contains(c.id.as_str())) {
        geom::push_directed_edges(&c.geometry, false, &mut edges);
    }
    for r in &repaired {
        geom::push_directed_edges(r, false, &mut edges);
    }
    let children: Vec<&Grid> = children
        .into_iter()
        .filter(|c| usable.contains(c.id.as_str()))
        .collect();
    if let Some(p) = &parent_geom {
        geom::push_directed_edges(p, true, &mut edges);
    }
    let rest = geom::cancel_opposite(edges);
    let mut out = Vec::new();
    if rest.is_empty() {
        return out;
    }
    let cycles = geom::edges_to_cycles(&rest);
    let tree = child_tree(&children);
    // Gap polygons: inside the parent and covered by no child.
    let gaps: Vec<geo::Polygon<f64>> = match &parent_geom {
        Some(_) => geom::fill_cycles(&cycles, WindingRule::Negative).0,
        None => {
            // Without a parent, the holes of the children's union are the gaps.
            let union = geom::fill_cycles(&cycles, WindingRule::Positive);
            union
                .0
                .iter()
                .flat_map(|p| {
                    p.interiors()
                        .iter()
                        .map(|h| geom::canonical_polygon(&geo::Polygon::new(h.clone(), vec![])))
                })
                .collect()
        }
    };
    for gap in gaps {
        let mp = MultiPolygon(vec![gap]);
        let area = geom::area(&mp);
        if area < cfg.min_area_m2 {
            continue;
        }
        // Width to 1% of the gap width for slivers, and to 1% of the expected radius
        // (2·area/perimeter) for large gaps, so a big gap does not cost a fine search.
        let perimeter: f64 = {
            use geo::{Euclidean, Length};
            mp.0.iter().map(|p| Euclidean.length(p.exterior())).sum()
        };
        let radius_guess = if perimeter > 0.0 {
            2.0 * area / perimeter
        } else {
            0.0
        };
        let tolerance = (cfg.gap_width / 100.0).max(radius_guess / 100.0).max(1e-4);
        let (_, r) = geom::max_inscribed_circle(&mp, tolerance);
        let width = 2.0 * r;
        let mut ids: Vec<String> = adjacent(&mp, &children, &tree)
            .into_iter()
            .map(|g| g.id.clone())
            .collect();
        ids.sort();
        let names: Vec<&str> = adjacent(&mp, &children, &tree)
            .into_iter()
            .map(|g| g.label())
            .collect();
        let near_zh = if names.is_empty() {
            String::new()
        } else {
            format!("，位于「{}」之间", names.join("」「"))
        };
        let near_en = if names.is_empty() {
            String::new()
        } else {
            format!(" next to {}", names.join(", "))
        };
        ids.push(parent_id.clone());
        let sliver = width <= cfg.gap_width;
        let f = if sliver {
            Finding::new(
                Kind::Sliver,
                Severity::Error,
                ids,
                format!(
                    "「{parent_label}」内有细缝 {area:.2} m²，宽 {width:.2} m{near_zh}。请用「节点编辑」使相邻网格共用边界。"
                ),
                format!(
                    "Sliver of {area:.2} m², {width:.2} m wide, inside {parent_label}{near_en}. Snap the neighbours' edges together with Edit vertices."
                ),
            )
        } else {
            Finding::new(
                Kind::Gap,
                Severity::Error,
                ids,
                format!(
                    "「{parent_label}」内有缝隙 {area:.1} m²，宽 {width:.1} m{near_zh}，不属于任何下级网格。可用「填补缝隙」修正。"
                ),
                format!(
                    "Gap of {area:.1} m², {width:.1} m wide, inside {parent_label}{near_en}, covered by no child grid. Fix with Fill gap."
                ),
            )
        };
        let mut f = f.with_geometry(mp);
        f.area_m2 = Some(round3(area));
        f.width_m = Some(round3(width));
        out.push(f);
    }
    // Children reaching outside their parent: where the winding number is positive
    // (children overlap each other or leave the parent), minus the parent.
    if let Some(parent) = &parent_geom {
        let positive = geom::fill_cycles(&cycles, WindingRule::Positive);
        let outside_all = if positive.0.is_empty() {
            positive
        } else {
            positive.difference(parent)
        };
        for c in &children {
            let Some(ce) = geom::envelope(&c.geometry) else {
                continue;
            };
            let near: Vec<geo::Polygon<f64>> = outside_all
                .0
                .iter()
                .filter(|o| {
                    geom::envelope(&MultiPolygon(vec![(*o).clone()]))
                        .is_some_and(|e| geom::rects_intersect(&e, &ce))
                })
                .cloned()
                .collect();
            if near.is_empty() {
                continue;
            }
            let outside = c.geometry.intersection(&MultiPolygon(near));
            let area = geom::area(&outside);
            if area < cfg.min_area_m2 {
                continue;
            }
            let mut f = Finding::new(
                Kind::OutsideParent,
                Severity::Error,
                vec![c.id.clone(), parent_id.clone()],
                format!("{}「{}」有 {:.1} m² 超出上级网格「{}」。请用「节点编辑」或「避让」收回到上级范围内。", level_zh(c.level), c.label(), area, parent_label),
                format!("Grid {} extends {:.1} m² outside its parent {}. Pull it back inside with Edit vertices.", c.label(), area, parent_label),
            )
            .with_geometry(outside);
            f.area_m2 = Some(round3(area));
            out.push(f);
        }
    }
    out
}

/// Children whose boundary touches the area (within 1 mm).
fn adjacent<'a>(
    area: &MultiPolygon<f64>,
    children: &[&'a Grid],
    tree: &geom::EnvelopeTree,
) -> Vec<&'a Grid> {
    let Some(env) = geom::envelope(area) else {
        return Vec::new();
    };
    let env = geom::expand(env, 1e-3);
    let pts: Vec<Coord<f64>> = area
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter().copied())
        .collect();
    let mut hits: Vec<usize> = tree
        .locate_in_envelope_intersecting(&geom::aabb(env))
        .map(|h| h.data)
        .collect();
    hits.sort_unstable();
    hits.into_iter()
        .map(|k| children[k])
        .filter(|c| {
            pts.iter()
                .any(|&p| geom::boundary_distance(p, &c.geometry) <= 1e-3)
        })
        .collect()
}

fn child_tree(children: &[&Grid]) -> geom::EnvelopeTree {
    geom::envelope_tree(
        children
            .iter()
            .enumerate()
            .map(|(k, c)| (k, geom::envelope(&c.geometry))),
    )
}

/// Invalid edges that no gap, sliver, overlap or outside part explains: edges that miss a
/// neighbour's without enclosing any area (a vertex not shared, a T-junction) or whose
/// area is below the threshold.
pub(super) fn unexplained_edges(
    index: &GridIndex,
    raw: &FxHashMap<String, MultiLineString<f64>>,
    areas: &[&Finding],
) -> Vec<Finding> {
    let mut ids: Vec<&String> = raw.keys().collect();
    ids.sort();
    let mut out = Vec::new();
    for id in ids {
        let Some(g) = index.get(id) else { continue };
        let lines = &raw[id];
        let related: Vec<&MultiPolygon<f64>> = areas
            .iter()
            .filter(|f| f.ids.iter().any(|x| x == id))
            .filter_map(|f| match &f.geometry {
                Some(geo::Geometry::MultiPolygon(mp)) => Some(mp),
                _ => None,
            })
            .collect();
        // An invalid segment is explained when it touches the boundary of an overlap, gap,
        // sliver or outside part of this grid: the area finding already says what is wrong.
        let explained = |a: Coord<f64>, b: Coord<f64>| -> bool {
            let seg_env = geom::expand(geo::Rect::new(a, b), 1e-3);
            related.iter().any(|mp| {
                geom::envelope(mp).is_some_and(|e| geom::rects_intersect(&e, &seg_env))
                    && (mp.0.iter().any(|p| {
                        std::iter::once(p.exterior())
                            .chain(p.interiors())
                            .flat_map(|r| r.0.iter())
                            .any(|&v| geom::seg_dist2(v, a, b) <= 1e-6)
                    }) || geom::boundary_distance(a, mp) <= 1e-3
                        || geom::boundary_distance(b, mp) <= 1e-3)
            })
        };
        let mut kept: Vec<LineString<f64>> = Vec::new();
        for line in &lines.0 {
            let mut cur: Vec<Coord<f64>> = Vec::new();
            for w in line.0.windows(2) {
                if explained(w[0], w[1]) {
                    if cur.len() >= 2 {
                        kept.push(LineString(std::mem::take(&mut cur)));
                    }
                    cur.clear();
                } else {
                    if cur.is_empty() {
                        cur.push(w[0]);
                    }
                    cur.push(w[1]);
                }
            }
            if cur.len() >= 2 {
                kept.push(LineString(cur));
            }
        }
        if kept.is_empty() {
            continue;
        }
        let ml = MultiLineString(kept);
        let len: f64 = {
            use geo::{Euclidean, Length};
            ml.0.iter().map(|l| Euclidean.length(l)).sum()
        };
        let mut f = Finding::new(
            Kind::InvalidEdge,
            Severity::Error,
            vec![id.clone()],
            format!("网格「{}」有 {:.2} m 边界与相邻网格接边不一致（节点不共用或边线相距过近）。请用「节点编辑」吸附到相邻网格。", g.label(), len),
            format!("Grid {} has {:.2} m of edges that do not match its neighbours (vertices not shared or edges too close). Snap them with Edit vertices.", g.label(), len),
        )
        .with_geometry(ml);
        f.length_m = Some(round3(len));
        out.push(f);
    }
    out
}
