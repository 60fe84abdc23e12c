//! Pure editing operations on the project, each returning an invertible [`Transaction`]:
//! drawing with avoid-overlap, reshaping, shared-vertex moves, vertex insert and delete,
//! split, merge, delete, record changes and gap filling.
//!
//! Every vertex an edit makes lies on the coordinate grid of the project's CRS
//! ([`crate::model::Precision`], 1 mm). Clips and merges run i_overlay on that grid itself
//! ([`geom::grid_overlay`]), so edges shared with the parent and the neighbours come out
//! exactly theirs; the results are tidied (crossings within [`SNAP_EPS`] of an existing
//! vertex put on it, degenerate rings dropped) and noded both ways: new vertices that land
//! on a neighbour's edge go into that neighbour, and the neighbours' vertices on the new
//! edges into the new shape, so shared boundaries stay bit-identical and the coverage stays
//! valid after every edit, and through every save.

use super::history::{Change, LayerChanges, Transaction};
use super::lookup::Lookup;
use crate::geom;
use crate::geom::par::{TWO_CORES_AT, join_if, map_indices};
use crate::model::{Feature, Grid, Level, Project};
use geo::{Coord, CoordsIter, LineString, MultiPolygon, Polygon, Rect};

/// Vertices closer than this (metres) are the same vertex, and a vertex this close to an
/// edge lies on it: the tolerance of the coordinate grid ([`crate::model::Precision`]), the
/// farthest snapping can move two things apart that were one (√2 cells, a diagonal
/// neighbour), with room for the rounding of that distance (1.5 cells; two cells apart
/// are two vertices).
pub const SNAP_EPS: f64 = 1.5 * crate::model::Precision::MILLIMETRE.resolution();

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("找不到网格 {0}\ngrid {0} not found")]
    NotFound(String),
    #[error("避让相邻网格后没有剩余区域\nnothing is left after avoiding the neighbours")]
    Empty,
    #[error("分割线没有把网格分成两部分\nthe line does not cut the grid in two")]
    NoSplit,
    #[error("请选择至少两个同级网格\nselect at least two grids of the same level")]
    MergeNeedsTwo,
    #[error("删除后环少于 3 个点\na ring would keep fewer than 3 points")]
    TooFewPoints,
    #[error("没有镇界或一级网格，无法裁剪\nno boundary or level-1 grid to clip to")]
    NoTownship,
    #[error("该网格内没有自然村点，无法生成划分方案\nno natural-village points inside this grid")]
    NoPoints,
}

pub(super) fn all_coords(mp: &MultiPolygon<f64>) -> impl Iterator<Item = Coord<f64>> + '_ {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().copied())
}

pub(super) fn vertex_cells<'a>(grids: impl Iterator<Item = &'a Grid>) -> geom::PointCells {
    geom::PointCells::of_vertices(grids.map(|g| &g.geometry), SNAP_EPS)
}

/// A boolean result brought onto the coordinate grid as one piece: snapped, then vertices
/// within [`SNAP_EPS`] of each other merged (the same crossing computed by two overlays can
/// round to two neighbouring grid points) into an existing vertex of `anchors` where there
/// is one, else into the first, and what that leaves degenerate dropped: repeated points,
/// spikes, rings of fewer than three points.
pub(super) fn tidy(
    mp: &MultiPolygon<f64>,
    precision: crate::model::Precision,
    anchors: &geom::PointCells,
) -> MultiPolygon<f64> {
    let snapped = precision.snap_multipolygon(mp);
    let mut polys = Vec::with_capacity(snapped.0.len());
    // Across all parts: a vertex of one part 1 mm from another part's is the same vertex.
    let mut seen = geom::PointCells::new(std::iter::empty(), SNAP_EPS);
    for p in &snapped.0 {
        // Each point onto its anchor (apart from the others: a dense ring's on both
        // cores), then merged with the points before it, one by one in order.
        let mut merge = |c: Coord<f64>| -> Coord<f64> {
            if let Some(r) = seen.first_within(c) {
                return r;
            }
            seen.insert(c);
            c
        };
        let mut ring = |ls: &LineString<f64>| -> Option<LineString<f64>> {
            let anchored = map_indices(ls.0.len(), |i| {
                anchors.nearest_within(ls.0[i]).unwrap_or(ls.0[i])
            });
            let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
            for c in anchored {
                let m = merge(c);
                if pts.last() != Some(&m) {
                    pts.push(m);
                }
            }
            if pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            // Spikes: a, b, a.
            let mut k = 0;
            while pts.len() >= 3 && k < pts.len() {
                let n = pts.len();
                if pts[(k + n - 1) % n] == pts[(k + 1) % n] {
                    let hi = k.max((k + 1) % n);
                    let lo = k.min((k + 1) % n);
                    pts.remove(hi);
                    pts.remove(lo);
                    k = 0;
                } else {
                    k += 1;
                }
            }
            let mut distinct = pts.clone();
            distinct.sort_by(|a, b| geom::coord_cmp(*a, *b));
            distinct.dedup();
            if distinct.len() < 3 {
                return None;
            }
            pts.push(pts[0]);
            Some(LineString(pts))
        };
        let Some(shell) = ring(p.exterior()) else {
            continue;
        };
        let holes = p.interiors().iter().filter_map(&mut ring).collect();
        polys.push(Polygon::new(shell, holes));
    }
    MultiPolygon(polys)
}

/// Parts of a result that meet along an edge are one polygon: parts the overlay kept apart
/// by a sliver thinner than the grid come out of [`tidy`] touching, which is no valid
/// polygon. Each part takes the others' vertices that lie on its edges, then the parts are
/// joined by cancelling the edges they share.
fn weld(
    mp: MultiPolygon<f64>,
    precision: crate::model::Precision,
    anchors: &geom::PointCells,
) -> MultiPolygon<f64> {
    if mp.0.len() < 2 {
        return mp;
    }
    let vertices: Vec<Coord<f64>> = all_coords(&mp).collect();
    let parts: Vec<MultiPolygon<f64>> =
        mp.0.iter()
            .map(|p| {
                let one = MultiPolygon(vec![p.clone()]);
                node(&one, &vertices).unwrap_or(one)
            })
            .collect();
    let refs: Vec<&MultiPolygon<f64>> = parts.iter().collect();
    let joined = geom::union_outline(&refs);
    if geom::area(&joined) + 1e-6 < geom::area(&mp) {
        // The parts overlapped rather than touched: keep the overlay's answer.
        return mp;
    }
    tidy(&joined, precision, anchors)
}

/// Insert into `mp` each of `vertices` that lies on one of its edges (within
/// [`SNAP_EPS`]) and is not already a vertex. Returns None when nothing changed.
pub(super) fn node(mp: &MultiPolygon<f64>, vertices: &[Coord<f64>]) -> Option<MultiPolygon<f64>> {
    let env = geom::expand(geom::envelope(mp)?, SNAP_EPS);
    let near = geom::point_tree(
        vertices
            .iter()
            .copied()
            .filter(|&v| geom::rects_intersect(&env, &Rect::new(v, v))),
    );
    node_with(mp, &near)
}

/// [`node`] with the vertices given as a tree: one tree for many grids (or one built
/// already). Each edge looks only at the vertices in its own box: a grid of thousands of
/// vertices noded against thousands is not their product.
pub(super) fn node_with(
    mp: &MultiPolygon<f64>,
    near: &geom::VertexTree,
) -> Option<MultiPolygon<f64>> {
    if near.size() == 0 {
        return None;
    }
    // The box of all the vertices: most edges of a neighbour of thousands lie outside it,
    // and one comparison passes them where a query would walk the tree's top level.
    let all = near.root().envelope();
    let mut changed = false;
    let ring = |ls: &LineString<f64>, changed: &mut bool| -> LineString<f64> {
        let mut out = Vec::with_capacity(ls.0.len());
        for w in ls.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            if len2 == 0.0 {
                continue;
            }
            let around = rstar::AABB::from_corners(
                [a.x.min(b.x) - SNAP_EPS, a.y.min(b.y) - SNAP_EPS],
                [a.x.max(b.x) + SNAP_EPS, a.y.max(b.y) + SNAP_EPS],
            );
            if !rstar::Envelope::intersects(&around, &all) {
                continue;
            }
            let mut on: Vec<(f64, Coord<f64>)> = near
                .locate_in_envelope(&around)
                .map(|p| Coord {
                    x: p.geom()[0],
                    y: p.geom()[1],
                })
                .filter(|&v| v != a && v != b && geom::seg_dist2(v, a, b) <= SNAP_EPS * SNAP_EPS)
                .map(|v| (((v.x - a.x) * dx + (v.y - a.y) * dy) / len2, v))
                .filter(|(t, _)| *t > 0.0 && *t < 1.0)
                .collect();
            on.sort_by(|x, y| x.0.total_cmp(&y.0).then(geom::coord_cmp(x.1, y.1)));
            for (_, v) in on {
                if out.last() != Some(&v) {
                    out.push(v);
                    *changed = true;
                }
            }
        }
        if let Some(&l) = ls.0.last() {
            out.push(l);
        }
        LineString(out)
    };
    let res = MultiPolygon(
        mp.0.iter()
            .map(|p| {
                let ext = ring(p.exterior(), &mut changed);
                let holes = p
                    .interiors()
                    .iter()
                    .map(|h| ring(h, &mut changed))
                    .collect();
                Polygon::new(ext, holes)
            })
            .collect(),
    );
    changed.then_some(res)
}

fn rect_of(mp: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    geom::envelope(mp).map(|r| geom::expand(r, SNAP_EPS))
}

/// Grids of `level` (other than `exclude`) whose envelope meets `env`.
fn neighbours<'a>(
    ctx: &'a impl Lookup,
    level: Level,
    env: Rect<f64>,
    exclude: &[&str],
) -> Vec<(usize, &'a Grid)> {
    let project = ctx.project();
    ctx.grids_in(env)
        .into_iter()
        .map(|i| (i, &project.grids[i]))
        .filter(|(_, g)| g.level == level && !exclude.contains(&g.id.as_str()))
        .filter(|(_, g)| {
            geom::envelope(&g.geometry).is_some_and(|e| geom::rects_intersect(&e, &env))
        })
        .collect()
}

/// Positions of the grids that have the point `c` inside their envelope.
fn grids_at(ctx: &impl Lookup, a: Coord<f64>, b: Coord<f64>) -> Vec<usize> {
    ctx.grids_in(Rect::new(a, b))
}

/// Add to `t` the noding of the neighbours near `vertices` (a shape's new vertices): those
/// that lie on their edges become their vertices too.
pub(super) fn node_neighbours(
    project: &impl Lookup,
    t: &mut Transaction,
    vertices: &[Coord<f64>],
    level: Level,
    exclude: &[&str],
) {
    let Some(env) = geom::coords_envelope(vertices.iter().copied()) else {
        return;
    };
    let env = geom::expand(env, SNAP_EPS);
    let tree = geom::point_tree(vertices.iter().copied());
    // Each neighbour as the transaction has it so far, noded on the cores at hand (a
    // dense neighbour's thousands of edges each), then replaced in order.
    let current: Vec<(usize, &Grid)> = neighbours(project, level, env, exclude)
        .into_iter()
        .map(|(pos, g)| {
            let now = t
                .grids
                .iter()
                .rev()
                .find(|c| c.pos == pos)
                .and_then(|c| c.after.as_ref())
                .unwrap_or(g);
            (pos, now)
        })
        .collect();
    let noded_one = |&(pos, g): &(usize, &Grid)| {
        let geometry = node_with(&g.geometry, &tree)?;
        Some((
            pos,
            Grid {
                geometry,
                ..g.clone()
            },
        ))
    };
    let big = current
        .iter()
        .map(|(_, g)| g.geometry.coords_count())
        .sum::<usize>()
        > TWO_CORES_AT;
    let noded: Vec<(usize, Grid)> = if big {
        use rayon::prelude::*;
        current.par_iter().filter_map(noded_one).collect()
    } else {
        current.iter().filter_map(noded_one).collect()
    };
    for (pos, ng) in noded {
        t.replace(project.project(), pos, ng);
    }
}

/// The part of `shape` inside the parent (when given) and outside every other grid of
/// `level` (avoid-overlap), snapped onto the existing vertices. Free space that the shape
/// leaves beside it narrower than the project's gap width (a side drawn a pixel inside a
/// hole's corner) is taken in: it would be a sliver, which no one draws on purpose.
pub fn free_part(
    ctx: &impl Lookup,
    shape: &MultiPolygon<f64>,
    level: Level,
    parent: Option<&str>,
    exclude: &[&str],
    slack: f64,
) -> MultiPolygon<f64> {
    let project = ctx.project();
    let parent_grid = parent
        .and_then(|p| ctx.position(p))
        .map(|i| &project.grids[i]);
    use i_overlay::core::overlay_rule::OverlayRule;
    // On the coordinate grid, so the edges the shape shares with the parent and the
    // neighbours stay exactly theirs through every step.
    let precision = project.crs.precision();
    let resolution = precision.resolution();
    let mut clock = std::time::Instant::now();
    let shape = precision.snap_multipolygon(shape);
    // Where the result can lie: within the shape's envelope and the parent's.
    let env = rect_of(&shape).and_then(|r| match parent_grid {
        Some(p) => rect_of(&p.geometry).and_then(|q| geom::rect_overlap(r, q)),
        None => Some(r),
    });
    let Some(env) = env else {
        return MultiPolygon(Vec::new());
    };
    let near = neighbours(ctx, level, env, exclude);
    let result = if near.is_empty() {
        match parent_grid {
            // The parent cut to a rectangle around the whole shape first (see fit_between).
            Some(p) => geom::grid_overlay(
                &shape,
                &geom::clip_to_rect(
                    &p.geometry,
                    geom::expand(rect_of(&shape).unwrap_or(env), 5.0),
                ),
                OverlayRule::Intersect,
                resolution,
            ),
            None => shape,
        }
    } else {
        let others = MultiPolygon(
            near.iter()
                .flat_map(|(_, g)| g.geometry.0.iter().cloned())
                .collect(),
        );
        fit_between(project, &shape, env, &others, parent_grid, slack)
    };
    crate::timing::phase("fit: overlays", &mut clock);
    // The vertices near the result only: the neighbours and the parent may carry
    // thousands each.
    let around = rect_of(&result).map(|r| geom::expand(r, 2.0 * SNAP_EPS));
    let vertices: Vec<Coord<f64>> = near
        .iter()
        .map(|(_, g)| *g)
        .chain(parent_grid)
        .flat_map(|g| all_coords(&g.geometry))
        .filter(|&c| around.is_some_and(|r| geom::rects_intersect(&r, &Rect::new(c, c))))
        .collect();
    // In cells to move the result's points onto (one lookup a point), in a tree for the
    // noding's box queries along edges.
    let (anchors, tree) = join_if(
        vertices.len() > TWO_CORES_AT,
        || geom::PointCells::new(vertices.iter().copied(), SNAP_EPS),
        || geom::point_tree(vertices.iter().copied()),
    );
    crate::timing::phase("fit: vertex tree", &mut clock);
    // Onto the neighbours' vertices, then the new ones onto the coordinate grid.
    let snapped = weld(tidy(&result, precision, &anchors), precision, &anchors);
    crate::timing::phase("fit: weld", &mut clock);
    // The neighbours' and the parent's vertices that lie on the new edges become vertices
    // of the shape too (the other way round, the neighbours take the shape's vertices:
    // [`node_neighbours`]), so the shared boundary matches vertex for vertex. The tree
    // holds all of theirs near the result, so near every new edge.
    let noded = node_with(&snapped, &tree).unwrap_or(snapped);
    crate::timing::phase("fit: node", &mut clock);
    MultiPolygon(
        noded
            .0
            .into_iter()
            .filter(|p| geom::area(&MultiPolygon(vec![p.clone()])) > 1e-6)
            .collect(),
    )
}

/// The part of `shape` (lying within `env`) inside the parent and outside `others`, with
/// the pieces of free space around it (inside the parent, outside `others`) that are
/// narrower than the gap width (or `slack`, if wider) and touch it: the slivers a drawn
/// side leaves. The free space in a window around `env` is overlaid once, then the shape's
/// part of it and the rest come from one overlay graph.
fn fit_between(
    project: &Project,
    shape: &MultiPolygon<f64>,
    env: Rect<f64>,
    others: &MultiPolygon<f64>,
    parent: Option<&Grid>,
    slack: f64,
) -> MultiPolygon<f64> {
    use i_overlay::core::overlay_rule::OverlayRule;
    let width = crate::model::ProjectSettings::of(&project.settings)
        .audit
        .gap_width
        .max(slack);
    let slivers_wanted = width.is_finite() && width > 0.0;
    let resolution = project.crs.precision().resolution();
    // A window around the shape: pieces cut by its edge are no slivers of this shape.
    let margin = if slivers_wanted {
        (4.0 * width).max(5.0)
    } else {
        5.0
    };
    let window = geom::expand(env, margin);
    let window_mp = MultiPolygon(vec![window.to_polygon()]);
    // Only what lies in the window counts: the parent and the neighbours (thousands of
    // vertices each, most of them far away) are cut to a rectangle a little larger first,
    // the same point set within the window.
    let cut = geom::expand(window, margin);
    let mut free = match parent {
        Some(p) => geom::grid_overlay(
            &window_mp,
            &geom::clip_to_rect(&p.geometry, cut),
            OverlayRule::Intersect,
            resolution,
        ),
        None => window_mp,
    };
    free = geom::grid_overlay(
        &free,
        &geom::clip_to_rect(others, cut),
        OverlayRule::Difference,
        resolution,
    );
    let rules: &[OverlayRule] = if slivers_wanted {
        &[OverlayRule::Intersect, OverlayRule::Difference]
    } else {
        &[OverlayRule::Intersect]
    };
    let mut parts = geom::grid_overlays(&free, shape, rules, resolution).into_iter();
    let result = parts.next().unwrap_or_else(|| MultiPolygon(Vec::new()));
    let Some(left) = parts.next() else {
        return result;
    };
    let inner = geom::expand(window, -resolution);
    let touching = |p: &Polygon<f64>| {
        let pe = geom::envelope(&MultiPolygon(vec![p.clone()]));
        let inside = pe.is_some_and(|e| {
            e.min().x > inner.min().x
                && e.min().y > inner.min().y
                && e.max().x < inner.max().x
                && e.max().y < inner.max().y
        });
        inside
            && std::iter::once(p.exterior())
                .chain(p.interiors())
                .flat_map(|r| r.0.iter())
                .any(|&v| geom::boundary_distance(v, &result) <= SNAP_EPS)
    };
    let slivers: Vec<Polygon<f64>> = left
        .0
        .into_iter()
        .filter(|p| !geom::is_wider_than(p, width) && touching(p))
        .collect();
    if slivers.is_empty() {
        return result;
    }
    geom::grid_overlay(
        &result,
        &MultiPolygon(slivers),
        OverlayRule::Union,
        resolution,
    )
}

/// A fresh id: `base-N` with the smallest N not in use.
pub fn new_id(ctx: &impl Lookup, base: &str) -> String {
    new_id_besides(ctx, base, &[])
}

/// A fresh id that is not in use and not one of `taken` either.
fn new_id_besides(ctx: &impl Lookup, base: &str, taken: &[String]) -> String {
    (1..)
        .map(|n| format!("{base}-{n:02}"))
        .find(|id| ctx.position(id).is_none() && !taken.contains(id))
        .unwrap_or_else(|| base.to_string())
}

/// How a drawn shape is fitted to the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Avoid {
    /// Clip to the parent and to the free space between the other grids of the level
    /// (避让重叠), noding the neighbours.
    pub overlap: bool,
    /// Free space left beside the shape narrower than this (metres) is taken in: what the
    /// pointer could not tell apart at the zoom it was drawn at. The project's gap width at
    /// least, since anything narrower would be a sliver.
    pub slack: f64,
}

impl From<bool> for Avoid {
    fn from(overlap: bool) -> Self {
        Avoid {
            overlap,
            slack: 0.0,
        }
    }
}

/// Draw a new grid, fitted as `avoid` says.
pub fn add_grid(
    project: &impl Lookup,
    mut grid: Grid,
    avoid: impl Into<Avoid>,
) -> Result<Transaction, EditError> {
    let avoid = avoid.into();
    let avoid_overlap = avoid.overlap;
    grid.geometry = project
        .project()
        .crs
        .precision()
        .snap_multipolygon(&grid.geometry);
    if avoid_overlap {
        grid.geometry = free_part(
            project,
            &grid.geometry,
            grid.level,
            grid.parent.as_deref(),
            &[],
            avoid.slack,
        );
    }
    if grid.geometry.0.is_empty() {
        return Err(EditError::Empty);
    }
    let mut t = Transaction::new("绘制网格 / Draw grid");
    if avoid_overlap {
        let vertices: Vec<Coord<f64>> = all_coords(&grid.geometry).collect();
        crate::timing::timed("fit: node neighbours", || {
            node_neighbours(project, &mut t, &vertices, grid.level, &[])
        });
    }
    t.push_grid(project.project(), grid);
    Ok(t)
}

pub(super) fn find(ctx: &impl Lookup, id: &str) -> Result<usize, EditError> {
    ctx.position(id)
        .ok_or_else(|| EditError::NotFound(id.to_string()))
}

/// Give a grid a new shape (reshape), clipped and noded like a new one.
pub fn reshape(
    ctx: &impl Lookup,
    id: &str,
    shape: MultiPolygon<f64>,
    avoid: impl Into<Avoid>,
) -> Result<Transaction, EditError> {
    let avoid = avoid.into();
    let avoid_overlap = avoid.overlap;
    let project = ctx.project();
    let pos = find(ctx, id)?;
    let mut g = project.grids[pos].clone();
    let shape = project.crs.precision().snap_multipolygon(&shape);
    g.geometry = if avoid_overlap {
        free_part(
            ctx,
            &shape,
            g.level,
            g.parent.as_deref(),
            &[id],
            avoid.slack,
        )
    } else {
        shape
    };
    if g.geometry.0.is_empty() {
        return Err(EditError::Empty);
    }
    let mut t = Transaction::new("改变形状 / Reshape");
    let geometry = g.geometry.clone();
    t.replace(project, pos, g);
    if avoid_overlap {
        let vertices: Vec<Coord<f64>> = all_coords(&geometry).collect();
        node_neighbours(ctx, &mut t, &vertices, project.grids[pos].level, &[id]);
    }
    Ok(t)
}

/// Map every vertex equal to `from` in a multipolygon; None when it has none.
fn map_vertex(
    mp: &MultiPolygon<f64>,
    f: &dyn Fn(&LineString<f64>) -> Option<LineString<f64>>,
) -> Option<MultiPolygon<f64>> {
    let mut changed = false;
    let polys =
        mp.0.iter()
            .map(|p| {
                let mut ring = |ls: &LineString<f64>| match f(ls) {
                    Some(n) => {
                        changed = true;
                        n
                    }
                    None => ls.clone(),
                };
                let ext = ring(p.exterior());
                let holes = p.interiors().iter().map(&mut ring).collect();
                Polygon::new(ext, holes)
            })
            .collect();
    changed.then_some(MultiPolygon(polys))
}

/// Move the vertex at `from` to `to` in every grid that has it (shared-edge editing).
/// Consecutive moves of the same vertex (a drag) merge into one undo step.
/// `to` goes onto the coordinate grid ([`crate::model::Precision`]).
pub fn move_vertex(ctx: &impl Lookup, from: Coord<f64>, to: Coord<f64>, drag: &str) -> Transaction {
    let project = ctx.project();
    let to = project.crs.precision().snap_coord(to);
    let mut t = Transaction::new("移动节点 / Move vertex");
    t.merge_key = Some(format!("move:{drag}"));
    for pos in grids_at(ctx, from, from) {
        let g = &project.grids[pos];
        let moved = map_vertex(&g.geometry, &|ls| {
            ls.0.contains(&from).then(|| {
                LineString(
                    ls.0.iter()
                        .map(|&c| if c == from { to } else { c })
                        .collect(),
                )
            })
        });
        if let Some(mp) = moved {
            let mut ng = g.clone();
            ng.geometry = mp;
            t.replace(project, pos, ng);
        }
    }
    t
}

/// Insert a vertex at `at` on the edge a-b (either direction) of every grid that has it.
pub fn insert_vertex(
    ctx: &impl Lookup,
    a: Coord<f64>,
    b: Coord<f64>,
    at: Coord<f64>,
) -> Transaction {
    let project = ctx.project();
    let at = project.crs.precision().snap_coord(at);
    let mut t = Transaction::new("插入节点 / Insert vertex");
    for pos in grids_at(ctx, a, b) {
        let g = &project.grids[pos];
        let done = map_vertex(&g.geometry, &|ls| {
            // A ring that has the vertex already (the grid whose vertex was dropped on its
            // own edge) does not take it twice.
            if ls.0.contains(&at) {
                return None;
            }
            let i =
                ls.0.windows(2)
                    .position(|w| (w[0] == a && w[1] == b) || (w[0] == b && w[1] == a))?;
            let mut pts = ls.0.clone();
            pts.insert(i + 1, at);
            Some(LineString(pts))
        });
        if let Some(mp) = done {
            let mut ng = g.clone();
            ng.geometry = mp;
            t.replace(project, pos, ng);
        }
    }
    t
}

/// Delete the vertex at `at` from every grid that has it.
pub fn delete_vertex(ctx: &impl Lookup, at: Coord<f64>) -> Result<Transaction, EditError> {
    let project = ctx.project();
    let mut t = Transaction::new("删除节点 / Delete vertex");
    for pos in grids_at(ctx, at, at) {
        let g = &project.grids[pos];
        let mut too_few = false;
        let done = map_vertex(&g.geometry, &|ls| {
            if !ls.0.contains(&at) {
                return None;
            }
            let mut pts: Vec<Coord<f64>> = ls.0.iter().copied().filter(|&c| c != at).collect();
            if pts.first() != pts.last()
                && let Some(&f) = pts.first()
            {
                pts.push(f);
            }
            Some(LineString(pts))
        });
        if let Some(mp) = done {
            if mp.0.iter().any(|p| p.exterior().0.len() < 4) {
                too_few = true;
            }
            if too_few {
                return Err(EditError::TooFewPoints);
            }
            let mut ng = g.clone();
            ng.geometry = mp;
            t.replace(project, pos, ng);
        }
    }
    Ok(t)
}

/// Split a grid along a line drawn across it (for example a river or a road). The largest
/// piece keeps the grid's id and record; the others become new grids of the same level
/// and parent. Neighbours get the cut's end points as vertices.
pub fn split(
    ctx: &impl Lookup,
    id: &str,
    line: &LineString<f64>,
) -> Result<Transaction, EditError> {
    use i_overlay::core::fill_rule::FillRule;
    use i_overlay::float::slice::FloatSlice;
    let project = ctx.project();
    let pos = find(ctx, id)?;
    let g = &project.grids[pos];
    let shapes = geom::polygon_contours(&g.geometry);
    let path: Vec<[f64; 2]> = line.0.iter().map(|c| [c.x, c.y]).collect();
    let mut clock = std::time::Instant::now();
    // A dense grid's cut on one core, its vertices put in cells on another.
    let big = g.geometry.coords_count() > TWO_CORES_AT;
    let (pieces, anchors) = join_if(
        big,
        || shapes.slice_by(&path, FillRule::NonZero),
        || vertex_cells(std::iter::once(g)),
    );
    crate::timing::phase("split: slice and anchors", &mut clock);
    let precision = project.crs.precision();
    // One overlay, one rounding: the pieces share the cut bit for bit.
    let tidy_one = |s| tidy(&geom::shapes_to_multipolygon(vec![s]), precision, &anchors);
    let mut parts: Vec<MultiPolygon<f64>> = if big {
        use rayon::prelude::*;
        pieces.into_par_iter().map(tidy_one).collect()
    } else {
        pieces.into_iter().map(tidy_one).collect()
    };
    parts.retain(|mp| geom::area(mp) > 1e-6);
    if parts.len() < 2 {
        return Err(EditError::NoSplit);
    }
    crate::timing::phase("split: tidy", &mut clock);
    parts.sort_by(|a, b| geom::area(b).total_cmp(&geom::area(a)));
    let mut t = Transaction::new("分割网格 / Split grid");
    let mut keep = g.clone();
    keep.geometry = parts[0].clone();
    t.replace(project, pos, keep);
    let mut taken: Vec<String> = Vec::new();
    for part in &parts[1..] {
        let mut ng = g.clone();
        ng.id = new_id_besides(ctx, id, &taken);
        taken.push(ng.id.clone());
        ng.code.clear();
        ng.name = format!("{}{}", g.name, crate::model::working_name::SPLIT);
        ng.staff.clear();
        ng.households = None;
        ng.population = None;
        ng.extra.clear();
        ng.geometry = part.clone();
        t.push_grid(project, ng);
    }
    // The pieces share the cut; the cut's ends land on the old boundary, which the
    // neighbours share. Only the cut's vertices are new, or the grid's vertices that the
    // line passes (within a few millimetres); the rest were the grid's, as they were.
    let old: rustc_hash::FxHashSet<(u64, u64)> =
        all_coords(&g.geometry).map(geom::coord_key).collect();
    let on_line = |c: Coord<f64>| {
        line.0
            .windows(2)
            .any(|w| geom::seg_dist2(c, w[0], w[1]) <= (4.0 * SNAP_EPS).powi(2))
    };
    let mut cut: Vec<Coord<f64>> = parts
        .iter()
        .flat_map(all_coords)
        .filter(|&c| !old.contains(&geom::coord_key(c)) || on_line(c))
        .collect();
    cut.sort_by(|a, b| geom::coord_cmp(*a, *b));
    cut.dedup();
    crate::timing::phase("split: cut", &mut clock);
    node_neighbours(ctx, &mut t, &cut, g.level, &[id]);
    crate::timing::phase("split: node neighbours", &mut clock);
    // The pieces themselves must carry each other's cut vertices.
    for c in t.grids.iter_mut().filter(|c| {
        c.after
            .as_ref()
            .is_some_and(|a| a.id == id || a.id.starts_with(&format!("{id}-")))
    }) {
        if let Some(a) = c.after.as_mut()
            && let Some(noded) = node(&a.geometry, &cut)
        {
            a.geometry = noded;
        }
    }
    crate::timing::phase("split: node pieces", &mut clock);
    Ok(t)
}

/// Merge grids of the same level (see [`merge_keeping`]), keeping the record of the largest.
pub fn merge(ctx: &impl Lookup, ids: &[String]) -> Result<Transaction, EditError> {
    let keep = merge_default(ctx, ids)?;
    merge_keeping(ctx, ids, &keep)
}

/// The grid whose id, name and code a merge keeps unless the user picks another: the
/// largest (the first of equal ones).
pub fn merge_default(ctx: &impl Lookup, ids: &[String]) -> Result<String, EditError> {
    let project = ctx.project();
    let mut best: Option<(f64, &str)> = None;
    for id in ids {
        let a = geom::area(&project.grids[find(ctx, id)?].geometry);
        if best.is_none_or(|(b, _)| a > b) {
            best = Some((a, id));
        }
    }
    best.map(|b| b.1.to_string())
        .ok_or(EditError::MergeNeedsTwo)
}

/// Merge grids of the same level into the grid `keep`: the union of their shapes (exact for
/// shared boundaries) under `keep`'s id, name, code and parent. Nothing of the others'
/// records is lost: households and population are summed, the rosters merged (a person
/// listed twice in the same role is kept once), notes and other fields kept, hand-written
/// four bounds kept and marked for review (the shape changed), the children of the others
/// moved under `keep`; the change log of `keep` names every grid merged into it.
pub fn merge_keeping(
    ctx: &impl Lookup,
    ids: &[String],
    keep: &str,
) -> Result<Transaction, EditError> {
    let project = ctx.project();
    if ids.len() < 2 || !ids.iter().any(|i| i == keep) {
        return Err(EditError::MergeNeedsTwo);
    }
    let mut positions = Vec::new();
    for id in ids {
        positions.push(find(ctx, id)?);
    }
    positions.sort_unstable();
    positions.dedup();
    if positions.len() < 2 {
        return Err(EditError::MergeNeedsTwo);
    }
    let level = project.grids[positions[0]].level;
    if positions.iter().any(|&p| project.grids[p].level != level) {
        return Err(EditError::MergeNeedsTwo);
    }
    let kept = find(ctx, keep)?;
    let others: Vec<usize> = positions.iter().copied().filter(|&p| p != kept).collect();
    let shapes: Vec<&MultiPolygon<f64>> = positions
        .iter()
        .map(|&p| &project.grids[p].geometry)
        .collect();
    let mut g = project.grids[kept].clone();
    g.geometry = project
        .crs
        .precision()
        .snap_multipolygon(&geom::union_outline(&shapes));
    g.households = sum(positions.iter().map(|&p| project.grids[p].households));
    g.population = sum(positions.iter().map(|&p| project.grids[p].population));
    let mut notes: Vec<String> = Vec::new();
    let mut bounds = None;
    for &p in std::iter::once(&kept).chain(&others) {
        let o = &project.grids[p];
        for s in &o.staff {
            let same = |t: &crate::model::Staff| {
                t.role.trim() == s.role.trim()
                    && t.name.trim() == s.name.trim()
                    && (t.phone.trim() == s.phone.trim() || s.phone.trim().is_empty())
            };
            if !s.name.trim().is_empty() && !g.staff.iter().any(same) {
                g.staff.push(s.clone());
            }
        }
        let n = o.notes.trim();
        if !n.is_empty() && !notes.iter().any(|m| m == n) {
            notes.push(n.to_string());
        }
        let fb = o
            .extra
            .get(crate::records::FOUR_BOUNDS)
            .and_then(crate::records::FourBounds::from_value);
        if bounds.is_none() {
            bounds = fb;
        }
        for (k, v) in &o.extra {
            if k != crate::model::HISTORY && k != crate::records::FOUR_BOUNDS {
                g.extra.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    g.notes = notes.join("；");
    if let Some(mut fb) = bounds {
        fb.review = true;
        g.extra
            .insert(crate::records::FOUR_BOUNDS.into(), fb.to_value());
    }
    let names: Vec<String> = others
        .iter()
        .map(|&p| describe(&project.grids[p]))
        .collect();
    let mut t = Transaction::new(format!(
        "合并网格 / Merge grids: {} ← {}",
        describe(&project.grids[kept]),
        names.join("、")
    ));
    // Children of the merged grids move under the one kept.
    let mut children: Vec<usize> = others
        .iter()
        .flat_map(|&p| ctx.children(&project.grids[p].id))
        .filter(|c| !positions.contains(c))
        .collect();
    children.sort_unstable();
    children.dedup();
    for pos in children {
        let mut c = project.grids[pos].clone();
        c.parent = Some(g.id.clone());
        t.replace(project, pos, c);
    }
    t.replace(project, kept, g);
    for &p in others.iter().rev() {
        t.grids.push(Change {
            pos: p,
            before: Some(project.grids[p].clone()),
            after: None,
        });
    }
    Ok(t)
}

/// "name (code)", or the id when the grid has neither.
fn describe(g: &Grid) -> String {
    match (g.name.trim(), g.code.trim()) {
        ("", "") => g.id.clone(),
        (n, "") => n.to_string(),
        ("", c) => c.to_string(),
        (n, c) => format!("{n} ({c})"),
    }
}

fn sum(v: impl Iterator<Item = Option<u32>>) -> Option<u32> {
    let all: Vec<Option<u32>> = v.collect();
    all.iter()
        .any(|x| x.is_some())
        .then(|| all.iter().flatten().sum())
}

/// Delete grids.
pub fn delete(ctx: &impl Lookup, ids: &[String]) -> Result<Transaction, EditError> {
    let project = ctx.project();
    let mut positions = Vec::new();
    for id in ids {
        positions.push(find(ctx, id)?);
    }
    positions.sort_unstable_by(|a, b| b.cmp(a));
    let mut t = Transaction::new("删除网格 / Delete grids");
    for p in positions {
        t.grids.push(Change {
            pos: p,
            before: Some(project.grids[p].clone()),
            after: None,
        });
    }
    Ok(t)
}

/// Change a grid's record (name, code, level, parent, staff, ...).
pub fn set_record(
    ctx: &impl Lookup,
    id: &str,
    label: &str,
    f: impl FnOnce(&mut Grid),
) -> Result<Transaction, EditError> {
    let project = ctx.project();
    let pos = find(ctx, id)?;
    let mut g = project.grids[pos].clone();
    f(&mut g);
    let mut t = Transaction::new(label);
    if g != project.grids[pos] {
        t.replace(project, pos, g);
    }
    Ok(t)
}

/// Fill a gap: as a new grid of `level` under `parent`, or merged into the grid `into`.
/// A new grid is named after its parent (…补充网格) and given the next free code under it,
/// so filling a gap does not add a nameless, codeless grid to the audit.
pub fn fill_gap(
    ctx: &impl Lookup,
    gap: &MultiPolygon<f64>,
    level: Level,
    parent: Option<&str>,
    into: Option<&str>,
) -> Result<Transaction, EditError> {
    // The gap as the audit measured it went through an overlay: its corners are the
    // grids' vertices only to within rounding. Put them back on those vertices (and the
    // crossings on the coordinate grid), so that the union below meets the grids exactly.
    let gap = &{
        let project = ctx.project();
        let near = rect_of(gap).map(|r| ctx.grids_in(r)).unwrap_or_default();
        let anchors = vertex_cells(near.iter().map(|&i| &project.grids[i]));
        tidy(gap, project.crs.precision(), &anchors)
    };
    match into {
        Some(id) => {
            let pos = find(ctx, id)?;
            let g = &ctx.project().grids[pos];
            let shape = geom::grid_overlay(
                &g.geometry,
                gap,
                i_overlay::core::overlay_rule::OverlayRule::Union,
                ctx.project().crs.precision().resolution(),
            );
            let mut t = reshape(ctx, id, shape, true)?;
            t.label = format!("缝隙并入 {} / Gap merged into {}", g.label(), g.label());
            Ok(t)
        }
        None => {
            let project = ctx.project();
            let base = parent.unwrap_or("G");
            let mut g = Grid::new(new_id(ctx, base), level, gap.clone());
            g.parent = parent.map(str::to_string);
            if let Some(p) = parent
                .and_then(|p| ctx.position(p))
                .map(|i| &project.grids[i])
            {
                let siblings: Vec<&Grid> = ctx
                    .children(&p.id)
                    .into_iter()
                    .map(|i| &project.grids[i])
                    .collect();
                let stem = format!("{}{}", p.label(), crate::model::working_name::FILLED);
                g.name = (1..)
                    .map(|n| {
                        if n == 1 {
                            stem.clone()
                        } else {
                            format!("{stem}{n}")
                        }
                    })
                    .find(|n| !siblings.iter().any(|s| &s.name == n))
                    .unwrap_or(stem);
                let scheme = crate::records::codes::CodeScheme::from_settings(&project.settings);
                g.code = crate::records::codes::next_code(
                    &scheme,
                    level,
                    &p.code,
                    siblings.iter().map(|s| s.code.as_str()),
                )
                .unwrap_or_default();
            }
            let mut t = add_grid(ctx, g, true)?;
            t.label = "填补缝隙 / Fill gap".into();
            Ok(t)
        }
    }
}

/// The grids of `level` along the boundary of `gap`, with the length of boundary each
/// shares with it (metres), longest first: where a gap is best merged. With `parent`, only
/// that grid's children: a gap inside a village is not merged into the next village's
/// grid across its border (which cannot take it).
pub fn gap_neighbours(
    ctx: &impl Lookup,
    gap: &MultiPolygon<f64>,
    level: Level,
    parent: Option<&str>,
) -> Vec<(String, f64)> {
    const ON: f64 = 0.01;
    let Some(env) = rect_of(gap) else {
        return Vec::new();
    };
    let project = ctx.project();
    let segments = |mp: &MultiPolygon<f64>| -> Vec<(Coord<f64>, Coord<f64>)> {
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
            .collect()
    };
    let gap_segments = segments(gap);
    let mut out: Vec<(String, f64)> = ctx
        .grids_in(geom::expand(env, 1.0))
        .into_iter()
        .map(|i| &project.grids[i])
        .filter(|g| g.level == level)
        .filter(|g| parent.is_none_or(|p| g.parent.as_deref() == Some(p)))
        .filter_map(|g| {
            let theirs = segments(&g.geometry);
            let shared: f64 = gap_segments
                .iter()
                .filter(|(a, b)| {
                    let m = Coord {
                        x: (a.x + b.x) / 2.0,
                        y: (a.y + b.y) / 2.0,
                    };
                    theirs
                        .iter()
                        .any(|&(c, d)| geom::seg_dist2(m, c, d) <= ON * ON)
                })
                .map(|(a, b)| (b.x - a.x).hypot(b.y - a.y))
                .sum();
            (shared > 0.0).then(|| (g.id.clone(), shared))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Position of the feature `id` in its layer.
pub(super) fn find_feature<T: Feature>(project: &Project, id: &str) -> Result<usize, EditError> {
    T::layer(project)
        .iter()
        .position(|f| f.id() == id)
        .ok_or_else(|| EditError::NotFound(id.to_string()))
}

/// Change the feature `id` of any layer (a river's line, a reservoir's outline, a natural
/// village's record, a part of the boundary) with `f`; nothing when `f` changes nothing.
pub fn set_feature<T: LayerChanges>(
    project: &Project,
    id: &str,
    label: &str,
    f: impl FnOnce(&mut T),
) -> Result<Transaction, EditError> {
    let pos = find_feature::<T>(project, id)?;
    let before = &T::layer(project)[pos];
    let mut after = before.clone();
    f(&mut after);
    let mut t = Transaction::new(label);
    if &after != before {
        T::changes(&mut t).push(Change {
            pos,
            before: Some(before.clone()),
            after: Some(after),
        });
    }
    Ok(t)
}

/// Add a feature at the end of its layer.
pub fn add_feature<T: LayerChanges>(project: &Project, feature: T, label: &str) -> Transaction {
    let mut t = Transaction::new(label);
    T::changes(&mut t).push(Change {
        pos: T::layer(project).len(),
        before: None,
        after: Some(feature),
    });
    t
}

/// Remove the feature `id` from its layer.
pub fn delete_feature<T: LayerChanges>(
    project: &Project,
    id: &str,
    label: &str,
) -> Result<Transaction, EditError> {
    let pos = find_feature::<T>(project, id)?;
    let mut t = Transaction::new(label);
    T::changes(&mut t).push(Change {
        pos,
        before: Some(T::layer(project)[pos].clone()),
        after: None,
    });
    Ok(t)
}
