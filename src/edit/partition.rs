//! Partition proposal: level-3 grids for a village from its natural villages. Voronoi
//! (Thiessen) cells of the natural-village points cut the village in one overlay (so the
//! pieces share every cut vertex), optionally along the rivers too; pieces go to their
//! nearest natural village (on the same side of a river), and grids below the household
//! range are merged into their smallest neighbour. The result replaces the village's
//! children in one invertible edit and tiles the village exactly.

use super::history::{Change, Transaction};
use super::ops::{EditError, all_coords, find, new_id, node, node_neighbours, vertex_cells};
use crate::geom;
use crate::model::{Grid, Project};
use geo::{Contains, Coord, InteriorPoint, MultiPolygon, Rect};

/// What a proposal aims for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartitionOptions {
    /// Target households per grid (grids below the minimum are merged).
    pub households: (u32, u32),
    /// Let grid boundaries follow the rivers that cross the village.
    pub along_rivers: bool,
}

impl Default for PartitionOptions {
    /// The households a level-3 grid should have by default: the audit's default range
    /// ([`crate::model::AuditSettings`], the one place it is written).
    fn default() -> Self {
        let [lo, hi] = crate::model::AuditSettings::default().households;
        PartitionOptions {
            households: (lo, hi),
            along_rivers: false,
        }
    }
}

/// One natural village (or several at the same spot) seeding a cell.
struct Seed {
    at: Coord<f64>,
    households: u32,
    population: Option<u32>,
    names: Vec<(u32, String)>,
}

fn crosses(a: Coord<f64>, b: Coord<f64>, lines: &[(Coord<f64>, Coord<f64>)]) -> bool {
    let orient = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
        (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
    };
    lines.iter().any(|&(c, d)| {
        let (d1, d2) = (orient(c, d, a), orient(c, d, b));
        let (d3, d4) = (orient(a, b, c), orient(a, b, d));
        d1 * d2 < 0.0 && d3 * d4 < 0.0
    })
}

/// Add to `t` the noding of the boundary layer: the vertices of the grids `t` adds go into
/// the boundary where they lie on its edges (the shape does not change), so the boundary
/// and the town stay noded alike, in the same undo step.
pub fn node_boundary(project: &Project, t: &mut Transaction) {
    let vertices: Vec<Coord<f64>> = t
        .grids
        .iter()
        .filter(|c| c.before.is_none())
        .filter_map(|c| c.after.as_ref())
        .flat_map(|g| all_coords(&g.geometry).collect::<Vec<_>>())
        .collect();
    for (pos, b) in project.boundary.iter().enumerate() {
        if let Some(noded) = node(&b.geometry, &vertices) {
            let mut nb = b.clone();
            nb.geometry = noded;
            t.replace_boundary(project, pos, nb);
        }
    }
}

/// Move every vertex of `mp` that lies within [`super::SNAP_EPS`] of an edge of `outline`
/// (and is not one of its vertices) onto that edge.
fn onto_outline(mp: &MultiPolygon<f64>, outline: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::{LineString, Polygon};
    let edges: Vec<(Coord<f64>, Coord<f64>)> = outline
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let fix = |c: Coord<f64>| -> Coord<f64> {
        let mut best: Option<(f64, Coord<f64>)> = None;
        for &(a, b) in &edges {
            if c == a || c == b {
                return c;
            }
            let d = b - a;
            let l2 = d.x * d.x + d.y * d.y;
            if l2 == 0.0 {
                continue;
            }
            let t = (((c.x - a.x) * d.x + (c.y - a.y) * d.y) / l2).clamp(0.0, 1.0);
            let q = Coord {
                x: a.x + t * d.x,
                y: a.y + t * d.y,
            };
            let dist = (q.x - c.x).hypot(q.y - c.y);
            if dist <= super::SNAP_EPS && best.is_none_or(|b| dist < b.0) {
                best = Some((dist, q));
            }
        }
        best.map(|b| b.1).unwrap_or(c)
    };
    let ring = |ls: &LineString<f64>| LineString(ls.0.iter().map(|&c| fix(c)).collect());
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// A straight piece of river: the cuts follow it and pieces keep to its side.
type Segment = (Coord<f64>, Coord<f64>);

/// Merged grids: the seeds each holds with their households, and the outlines.
type Merged = (Vec<(Vec<usize>, u32)>, Vec<MultiPolygon<f64>>);

/// Propose level-3 grids for village `id` (see the module docs). Errors when the village
/// has no natural-village points.
pub fn partition(
    project: &Project,
    id: &str,
    opts: &PartitionOptions,
) -> Result<Transaction, EditError> {
    let vi = find(project, id)?;
    let v = &project.grids[vi];
    let seeds = seeds_in(project, v);
    if seeds.is_empty() {
        return Err(EditError::NoPoints);
    }
    let env = geom::envelope(&v.geometry).ok_or(EditError::Empty)?;
    let env = geom::expand(env, env.width().max(env.height()) * 0.1 + 1.0);
    let river_segments: Vec<Segment> = if opts.along_rivers {
        project
            .rivers
            .iter()
            .flat_map(|r| r.lines())
            .flat_map(|l| l.0.windows(2).map(|w| (w[0], w[1])))
            .collect()
    } else {
        Vec::new()
    };
    let paths = cutting_paths(&seeds, env, &river_segments);
    let pieces = cut(v, env, &paths);
    let groups = assign(&pieces, &seeds, &river_segments);
    let (members, shapes) = merge_small(&groups, &pieces, &seeds, opts);
    Ok(replace_children(project, v, &seeds, members, shapes))
}

/// The natural villages inside `v`, those at one spot taken together.
fn seeds_in(project: &Project, v: &Grid) -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    for n in &project.villages {
        if !v.geometry.contains(&n.location) {
            continue;
        }
        let hh = n.households.unwrap_or(0);
        match seeds.iter_mut().find(|s| s.at == n.location.0) {
            Some(s) => {
                s.households += hh;
                s.population = s.population.zip(n.population).map(|(a, b)| a + b);
                s.names.push((hh, n.name.clone()));
            }
            None => seeds.push(Seed {
                at: n.location.0,
                households: hh,
                population: n.population,
                names: vec![(hh, n.name.clone())],
            }),
        }
    }
    seeds
}

/// The cutting lines: every edge of the seeds' Voronoi cells within `env` once, and the
/// rivers.
fn cutting_paths(seeds: &[Seed], env: Rect<f64>, river_segments: &[Segment]) -> Vec<Vec<[f64; 2]>> {
    let mut paths: Vec<Vec<[f64; 2]>> = Vec::new();
    if seeds.len() > 1 {
        let at: Vec<Coord<f64>> = seeds.iter().map(|s| s.at).collect();
        let cells = geom::voronoi_cells(&at, env.min().x, env.min().y, env.max().x, env.max().y);
        let mut seen = std::collections::HashSet::new();
        for c in &cells {
            for w in c.exterior().0.windows(2) {
                let (ka, kb) = (geom::coord_key(w[0]), geom::coord_key(w[1]));
                if seen.insert(if ka <= kb { (ka, kb) } else { (kb, ka) }) {
                    paths.push(vec![[w[0].x, w[0].y], [w[1].x, w[1].y]]);
                }
            }
        }
    }
    for (a, b) in river_segments {
        paths.push(vec![[a.x, a.y], [b.x, b.y]]);
    }
    paths
}

/// The village `v` cut by `paths` in one overlay, the pieces noded alike and on the
/// village's outline; the whole village when there is nothing to cut by.
fn cut(v: &Grid, env: Rect<f64>, paths: &[Vec<[f64; 2]>]) -> Vec<MultiPolygon<f64>> {
    use i_overlay::core::fill_rule::FillRule;
    use i_overlay::float::slice::FloatSlice;
    if paths.is_empty() {
        return vec![v.geometry.clone()];
    }
    let anchors = vertex_cells(std::iter::once(v));
    let outline_vertices: Vec<Coord<f64>> = all_coords(&v.geometry).collect();
    // The overlay rounds to an integer grid scaled to the largest coordinate: work
    // around a local origin so zone-prefixed eastings keep sub-millimetre precision.
    let o = env.min();
    let local = |p: &[f64; 2]| [p[0] - o.x, p[1] - o.y];
    let contours: Vec<Vec<[f64; 2]>> = geom::polygon_contours(&v.geometry)
        .iter()
        .map(|c| c.iter().map(local).collect())
        .collect();
    let paths: Vec<Vec<[f64; 2]>> = paths
        .iter()
        .map(|p| p.iter().map(local).collect())
        .collect();
    contours
        .slice_by(&paths, FillRule::NonZero)
        .into_iter()
        .map(|shape| {
            shape
                .into_iter()
                .map(|c| c.into_iter().map(|p| [p[0] + o.x, p[1] + o.y]).collect())
                .collect::<Vec<Vec<[f64; 2]>>>()
        })
        // One overlay, one rounding: the pieces share every cut bit for bit.
        .map(|s| geom::snap_back(&geom::shapes_to_multipolygon(vec![s]), &anchors))
        // Where a cut meets the village's outline, put the new vertex on the outline
        // (the overlay's rounding leaves it a fraction of a millimetre off).
        .map(|mp| onto_outline(&mp, &v.geometry))
        // The overlay drops vertices of the outline that its rounding made collinear:
        // put them back.
        .map(|mp| node(&mp, &outline_vertices).unwrap_or(mp))
        .filter(|mp| geom::area(mp) > 1e-6)
        .collect()
}

/// Each piece to its nearest seed, on the same side of the rivers where there is one: the
/// pieces of each seed.
fn assign(
    pieces: &[MultiPolygon<f64>],
    seeds: &[Seed],
    river_segments: &[Segment],
) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); seeds.len()];
    for (k, piece) in pieces.iter().enumerate() {
        let Some(p) = piece.interior_point() else {
            continue;
        };
        let d = |s: &Seed| (s.at.x - p.x()).hypot(s.at.y - p.y());
        let mut order: Vec<usize> = (0..seeds.len()).collect();
        order.sort_by(|&a, &b| d(&seeds[a]).total_cmp(&d(&seeds[b])));
        let owner = order
            .iter()
            .copied()
            .find(|&i| !crosses(p.0, seeds[i].at, river_segments))
            .unwrap_or(order[0]);
        groups[owner].push(k);
    }
    groups
}

/// The seeds' grids, those below the household range merged into their smallest
/// neighbour (one that stays within the range first).
fn merge_small(
    groups: &[Vec<usize>],
    pieces: &[MultiPolygon<f64>],
    seeds: &[Seed],
    opts: &PartitionOptions,
) -> Merged {
    let mut members: Vec<(Vec<usize>, u32)> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.is_empty())
        .map(|(i, _)| (vec![i], seeds[i].households))
        .collect();
    let mut shapes: Vec<MultiPolygon<f64>> = groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let refs: Vec<&MultiPolygon<f64>> = g.iter().map(|&k| &pieces[k]).collect();
            geom::union_outline(&refs)
        })
        .collect();
    while let Some(small) = (0..members.len())
        .filter(|&i| members[i].1 < opts.households.0)
        .min_by_key(|&i| (members[i].1, i))
    {
        let refs: Vec<&MultiPolygon<f64>> = shapes.iter().collect();
        let nb = geom::neighbours(&refs, 1e-6);
        let Some(&(other, _)) = nb[small].iter().min_by_key(|(j, _)| {
            (
                members[*j].1 + members[small].1 > opts.households.1,
                members[*j].1,
                *j,
            )
        }) else {
            // Alone (an island of the village): leave it.
            members[small].1 = opts.households.0;
            continue;
        };
        let union = geom::union_outline(&[&shapes[small], &shapes[other]]);
        let (gone, keep) = if small > other {
            (small, other)
        } else {
            (other, small)
        };
        let moved = members.remove(gone);
        shapes.remove(gone);
        members[keep].0.extend(moved.0);
        members[keep].1 += moved.1;
        shapes[keep] = union;
    }
    (members, shapes)
}

/// The edit that replaces the children of `v` with the new grids, in one step.
fn replace_children(
    project: &Project,
    v: &Grid,
    seeds: &[Seed],
    members: Vec<(Vec<usize>, u32)>,
    shapes: Vec<MultiPolygon<f64>>,
) -> Transaction {
    let old: Vec<usize> = (0..project.grids.len())
        .filter(|&i| project.grids[i].parent.as_deref() == Some(v.id.as_str()))
        .collect();
    let old_ids: Vec<&str> = old.iter().map(|&i| project.grids[i].id.as_str()).collect();
    let mut t = Transaction::new("网格划分方案 / Partition proposal");
    let all: Vec<Coord<f64>> = shapes.iter().flat_map(all_coords).collect();
    // New vertices on the village's outline go into every grid that has that edge, at
    // every level (the village itself, its neighbours, the town, and their level-3
    // grids), so the coverage stays noded after any rounding on export.
    let top = project.grids.iter().map(|g| g.level).min().unwrap_or(1);
    for level in top..=v.level + 1 {
        node_neighbours(project, &mut t, &all, level, &old_ids);
    }
    for &i in old.iter().rev() {
        t.grids.push(Change {
            pos: i,
            before: Some(project.grids[i].clone()),
            after: None,
        });
    }
    let mut scratch = project.clone();
    scratch
        .grids
        .retain(|g| g.parent.as_deref() != Some(v.id.as_str()));
    let base = scratch.grids.len();
    for (k, ((seeds_of, households), shape)) in members.into_iter().zip(shapes).enumerate() {
        let mut names: Vec<(u32, String)> = seeds_of
            .iter()
            .flat_map(|&s| seeds[s].names.clone())
            .collect();
        names.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let name = match names.len() {
            0 => format!("{}{}组", v.label(), k + 1),
            1 => names[0].1.clone(),
            _ => format!("{}片", names[0].1),
        };
        let mut g = Grid::new(new_id(&scratch, &v.id), v.level + 1, shape);
        g.parent = Some(v.id.clone());
        g.name = name;
        g.households = Some(households);
        g.population = seeds_of
            .iter()
            .map(|&s| seeds[s].population)
            .sum::<Option<u32>>();
        scratch.grids.push(g.clone());
        t.grids.push(Change {
            pos: base + k,
            before: None,
            after: Some(g),
        });
    }
    // The cells' new vertices go onto the coordinate grid, shared ones alike.
    t.snap(project.crs.precision());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_segments() {
        let c = |x: f64, y: f64| Coord { x, y };
        let river = [(c(0.0, -1.0), c(0.0, 1.0))];
        assert!(crosses(c(-1.0, 0.0), c(1.0, 0.0), &river));
        assert!(!crosses(c(1.0, 0.0), c(2.0, 0.0), &river));
    }
}
