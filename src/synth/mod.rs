//! Synthetic coverages for tests and benchmarks, and the generator of the bundled sample
//! township. Voronoi cells come from spade's Delaunay triangulation; every Voronoi vertex
//! is computed once, so neighbouring cells share their vertices bit for bit, as a clean
//! coverage must.

mod township;

pub use crate::geom::{union_outline, voronoi_cells};
pub use township::{SampleMaps, sample_township};

use crate::geom;
use crate::model::{Crs, Grid, Project, Staff};
use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Every edge of `mp` with inner vertices put in by `inner(p, q)`, which gets the edge's
/// endpoints in a fixed order (`p` before `q` by coordinates) and gives the vertices from
/// `p` to `q`: a shared edge gets the same vertices in both grids, whichever way round its
/// rings run.
fn reshape_edges(
    mp: &MultiPolygon<f64>,
    inner: impl Fn(Coord<f64>, Coord<f64>) -> Vec<Coord<f64>>,
) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| {
        let mut out = Vec::with_capacity(ls.0.len());
        for w in ls.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let flip = geom::coord_cmp(a, b).is_gt();
            let mut mids = if flip { inner(b, a) } else { inner(a, b) };
            if flip {
                mids.reverse();
            }
            out.extend(mids);
        }
        if let Some(&l) = ls.0.last() {
            out.push(l);
        }
        LineString(out)
    };
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// Insert `k - 1` evenly spaced vertices into every edge; shared edges get identical
/// vertices because they are computed from the edge's endpoints in a fixed order.
pub fn densify(mp: &MultiPolygon<f64>, k: usize) -> MultiPolygon<f64> {
    if k <= 1 {
        return mp.clone();
    }
    reshape_edges(mp, |p, q| {
        (1..k)
            .map(|i| {
                let t = i as f64 / k as f64;
                Coord {
                    x: p.x + (q.x - p.x) * t,
                    y: p.y + (q.y - p.y) * t,
                }
            })
            .collect()
    })
}

/// Replace every edge by a wiggly line of up to `n` vertices, like a boundary traced along a
/// river bank or a field edge: a smooth meander and a little noise across the edge, tapered
/// to nothing at its ends. Each edge is a function graph over its own axis (it never
/// crosses itself) and is computed from its endpoints in a fixed order, so a shared edge
/// gets the same vertices in both grids. Short edges get fewer vertices (at least 5 cm
/// apart), so the coordinate grid never folds them.
pub fn wiggle(mp: &MultiPolygon<f64>, n: usize) -> MultiPolygon<f64> {
    if n <= 1 {
        return mp.clone();
    }
    reshape_edges(mp, |p, q| wiggly_edge(p, q, n))
}

/// The inner vertices of edge `p`-`q` (in the fixed order) made wiggly (see [`wiggle`]).
fn wiggly_edge(p: Coord<f64>, q: Coord<f64>, n: usize) -> Vec<Coord<f64>> {
    let (dx, dy) = (q.x - p.x, q.y - p.y);
    let len = dx.hypot(dy);
    let k = n.min((len / 0.05) as usize);
    if k <= 1 {
        return Vec::new();
    }
    // The same edge gives the same numbers, from either side.
    let mut rng = fastrand::Rng::with_seed(
        p.x.to_bits()
            ^ p.y.to_bits().rotate_left(17)
            ^ q.x.to_bits().rotate_left(31)
            ^ q.y.to_bits().rotate_left(47),
    );
    let (f1, f2) = (2.0 + rng.f64() * 2.0, 5.0 + rng.f64() * 4.0);
    let (ph1, ph2) = (
        rng.f64() * std::f64::consts::TAU,
        rng.f64() * std::f64::consts::TAU,
    );
    let amp = 0.035 * len;
    let (nx, ny) = (-dy / len, dx / len);
    (1..k)
        .map(|i| {
            let t = i as f64 / k as f64;
            let taper = (std::f64::consts::PI * t).sin();
            let meander = 0.6 * (std::f64::consts::TAU * f1 * t + ph1).sin()
                + 0.3 * (std::f64::consts::TAU * f2 * t + ph2).sin()
                + 0.1 * (rng.f64() * 2.0 - 1.0);
            let off = amp * taper * meander;
            Coord {
                x: p.x + dx * t + nx * off,
                y: p.y + dy * t + ny * off,
            }
        })
        .collect()
}

/// A synthetic coverage: one level-1 grid (id `T`) tiled by `cells` level-2 Voronoi cells
/// in CGCS2000 / GK CM 111E, about 95 m apart for 100k cells. `densify` splits every edge
/// into that many pieces.
pub fn synthetic_project(cells: usize, seed: u64, densify_k: usize) -> Project {
    synthetic_with(cells, seed, |mp| densify(mp, densify_k))
}

/// A synthetic coverage as [`synthetic_project`] whose edges are wiggly lines of up to
/// `n` vertices each (see [`wiggle`]): grids of thousands of vertices, like boundaries
/// traced along rivers and field edges.
pub fn synthetic_dense(cells: usize, seed: u64, n: usize) -> Project {
    synthetic_with(cells, seed, |mp| wiggle(mp, n))
}

/// A synthetic coverage whose cells' edges are shaped by `shape` (applied to each cell on
/// the coordinate grid; shared edges must come out the same from both cells).
fn synthetic_with(
    cells: usize,
    seed: u64,
    shape: impl Fn(&MultiPolygon<f64>) -> MultiPolygon<f64>,
) -> Project {
    let mut rng = fastrand::Rng::with_seed(seed);
    let spacing = 95.0;
    let side = spacing * (cells as f64).sqrt();
    let (x0, y0) = (500_000.0 - side / 2.0, 2_800_000.0 - side / 2.0);
    // Jittered lattice: realistic cell shapes with about 6-7 vertices each.
    let n = (cells as f64).sqrt().ceil() as usize;
    let step = side / n as f64;
    let mut seeds = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            if seeds.len() >= cells {
                break;
            }
            seeds.push(Coord {
                x: x0 + (i as f64 + 0.15 + 0.7 * rng.f64()) * step,
                y: y0 + (j as f64 + 0.15 + 0.7 * rng.f64()) * step,
            });
        }
    }
    let x1 = x0 + step * n as f64;
    let y1 = y0 + step * n as f64;
    let polys = voronoi_cells(&seeds, x0, y0, x1, y1);
    // On the coordinate grid, as a reader would leave them (shared vertices stay shared).
    let precision = Crs::epsg(4546).precision();
    let mut grids: Vec<Grid> = polys
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mut g = Grid::new(
                format!("C{:06}", i + 1),
                2,
                precision.snap_multipolygon(&shape(
                    &precision.snap_multipolygon(&MultiPolygon(vec![p])),
                )),
            );
            g.code = format!("T{:06}", i + 1);
            g.name = format!("cell {}", i + 1);
            g.parent = Some("T".into());
            g.staff.push(Staff {
                role: "网格长".into(),
                name: "张三".into(),
                phone: "13900000000".into(),
                public: false,
            });
            g
        })
        .collect();
    let outline = {
        let refs: Vec<&MultiPolygon<f64>> = grids.iter().map(|g| &g.geometry).collect();
        union_outline(&refs)
    };
    let mut town = Grid::new("T", 1, outline);
    town.code = "T".into();
    town.name = "synthetic town".into();
    town.staff.push(Staff {
        role: "网格长".into(),
        name: "李四".into(),
        phone: "13900000001".into(),
        public: false,
    });
    grids.insert(0, town);
    Project {
        name: format!("synthetic {cells} cells"),
        crs: Crs::epsg(4546),
        grids,
        ..Default::default()
    }
}

/// Move one interior vertex of each of `n` random cells by up to 20 m without moving it in
/// the neighbours, as a careless edit would: each leaves an overlap, a gap or both. For
/// robustness and speed checks on faulty maps.
pub fn plant_vertex_faults(project: &mut Project, n: usize, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0xfa17);
    let candidates: Vec<usize> = (0..project.grids.len())
        .filter(|&i| project.grids[i].level >= 2)
        .collect();
    if candidates.is_empty() {
        return;
    }
    for _ in 0..n {
        let gi = candidates[rng.usize(..candidates.len())];
        let g = &mut project.grids[gi];
        let Some(poly) = g.geometry.0.first_mut() else {
            continue;
        };
        let len = poly.exterior().0.len();
        if len < 4 {
            continue;
        }
        let k = rng.usize(1..len - 1);
        let d = Coord {
            x: rng.f64() * 40.0 - 20.0,
            y: rng.f64() * 40.0 - 20.0,
        };
        let precision = project.crs.precision();
        poly.exterior_mut(|ls| ls.0[k] = precision.snap_coord(ls.0[k] + d));
    }
}

/// A synthetic county: one coverage of `townships * cells` cells (see
/// [`synthetic_project`]) cut into `townships` blocks of about `cells` cells, each a
/// township project (code `T01`, `T02`, ...) whose level-1 grid (id = the code) is the
/// union of its cells. Neighbouring townships share their seams vertex for vertex.
pub fn synthetic_county(townships: usize, cells: usize, seed: u64) -> Vec<(String, Project)> {
    let townships = townships.max(1);
    let all = synthetic_project(townships * cells, seed, 1);
    let n = ((townships * cells) as f64).sqrt().ceil() as usize;
    // Blocks: as square as the count allows.
    let mut tx = (townships as f64).sqrt().floor().max(1.0) as usize;
    while !townships.is_multiple_of(tx) {
        tx -= 1;
    }
    let ty = townships / tx;
    let mut out: Vec<(String, Project)> = (0..townships)
        .map(|k| {
            let code = format!("T{:02}", k + 1);
            let p = Project {
                name: format!("{code} 镇"),
                crs: all.crs,
                ..Default::default()
            };
            (code, p)
        })
        .collect();
    for g in all.grids.into_iter().filter(|g| g.level == 2) {
        let k: usize = g.id[1..].parse::<usize>().unwrap_or(1) - 1;
        let (i, j) = (k / n, k % n);
        let b = (i * tx / n) * ty + j * ty / n;
        let (code, p) = &mut out[b];
        let mut g = g;
        g.parent = Some(code.clone());
        p.grids.push(g);
    }
    for (code, p) in &mut out {
        let refs: Vec<&MultiPolygon<f64>> = p.grids.iter().map(|g| &g.geometry).collect();
        let mut town = Grid::new(code.clone(), 1, union_outline(&refs));
        town.code = code.clone();
        town.name = p.name.clone();
        town.staff.push(Staff {
            role: "网格长".into(),
            name: "李四".into(),
            phone: "13900000001".into(),
            public: false,
        });
        p.grids.insert(0, town);
    }
    out
}
