//! Synthetic coverages for tests and benchmarks, and the generator of the bundled sample
//! township. Voronoi cells come from spade's Delaunay triangulation; every Voronoi vertex
//! is computed once, so neighbouring cells share their vertices bit for bit, as a clean
//! coverage must.

mod township;

pub use crate::geom::union_outline;
pub use township::{SampleMaps, sample_township};

use crate::geom;
use crate::model::{Crs, Grid, Project, Staff};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use spade::{DelaunayTriangulation, Point2, Triangulation};
use std::collections::HashMap;

/// Voronoi cells of `seeds` clipped exactly to the rectangle `[x0, x1] x [y0, y1]`.
///
/// Seeds are mirrored across the rectangle's sides, so the bisectors with the mirror images
/// are the sides themselves; vertices that land on a side within rounding are snapped onto
/// it, so the cells tile the rectangle exactly.
pub fn voronoi_cells(
    seeds: &[Coord<f64>],
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
) -> Vec<Polygon<f64>> {
    let mut tri: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    let mut handles = Vec::with_capacity(seeds.len());
    let spacing = ((x1 - x0) * (y1 - y0) / seeds.len().max(1) as f64).sqrt();
    let band = 4.0 * spacing;
    let mut extra: Vec<Point2<f64>> = Vec::new();
    for s in seeds {
        let mut mx = vec![s.x];
        let mut my = vec![s.y];
        if s.x - x0 < band {
            mx.push(2.0 * x0 - s.x);
        }
        if x1 - s.x < band {
            mx.push(2.0 * x1 - s.x);
        }
        if s.y - y0 < band {
            my.push(2.0 * y0 - s.y);
        }
        if y1 - s.y < band {
            my.push(2.0 * y1 - s.y);
        }
        for (i, &x) in mx.iter().enumerate() {
            for (j, &y) in my.iter().enumerate() {
                if i > 0 || j > 0 {
                    extra.push(Point2::new(x, y));
                }
            }
        }
    }
    for s in seeds {
        handles.push(tri.insert(Point2::new(s.x, s.y)).ok());
    }
    // A far frame keeps every mirrored seed's neighbourhood bounded.
    let (w, h) = (x1 - x0, y1 - y0);
    for p in extra.into_iter().chain([
        Point2::new(x0 - 3.0 * w, y0 - 3.0 * h),
        Point2::new(x1 + 3.0 * w, y0 - 3.0 * h),
        Point2::new(x1 + 3.0 * w, y1 + 3.0 * h),
        Point2::new(x0 - 3.0 * w, y1 + 3.0 * h),
    ]) {
        let _ = tri.insert(p);
    }
    let eps = 1e-9 * w.max(h);
    let snap = |v: f64, lo: f64, hi: f64| {
        if (v - lo).abs() <= eps {
            lo
        } else if (v - hi).abs() <= eps {
            hi
        } else {
            v.clamp(lo, hi)
        }
    };
    let mut centres: HashMap<usize, Coord<f64>> = HashMap::new();
    let mut cells = Vec::with_capacity(seeds.len());
    for h in handles.into_iter().flatten() {
        let v = tri.vertex(h);
        let mut ring: Vec<Coord<f64>> = Vec::new();
        for e in v.out_edges() {
            let Some(face) = e.face().as_inner() else {
                continue;
            };
            let c = *centres.entry(face.fix().index()).or_insert_with(|| {
                let cc = face.circumcenter();
                Coord {
                    x: snap(cc.x, x0, x1),
                    y: snap(cc.y, y0, y1),
                }
            });
            if ring.last() != Some(&c) {
                ring.push(c);
            }
        }
        if ring.len() >= 2 && ring.first() == ring.last() {
            ring.pop();
        }
        if ring.len() < 3 {
            continue;
        }
        ring.push(ring[0]);
        cells.push(geom::canonical_polygon(&Polygon::new(
            LineString(ring),
            vec![],
        )));
    }
    cells
}

/// Insert `k - 1` evenly spaced vertices into every edge; shared edges get identical
/// vertices because they are computed from the edge's endpoints in a fixed order.
pub fn densify(mp: &MultiPolygon<f64>, k: usize) -> MultiPolygon<f64> {
    if k <= 1 {
        return mp.clone();
    }
    let ring = |ls: &LineString<f64>| {
        let mut out = Vec::with_capacity(ls.0.len() * k);
        for w in ls.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let flip = geom::coord_cmp(a, b).is_gt();
            let (p, q) = if flip { (b, a) } else { (a, b) };
            let mut mids: Vec<Coord<f64>> = (1..k)
                .map(|i| {
                    let t = i as f64 / k as f64;
                    Coord {
                        x: p.x + (q.x - p.x) * t,
                        y: p.y + (q.y - p.y) * t,
                    }
                })
                .collect();
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

/// A synthetic coverage: one level-1 grid (id `T`) tiled by `cells` level-2 Voronoi cells
/// in CGCS2000 / GK CM 111E, about 95 m apart for 100k cells. `densify` splits every edge
/// into that many pieces.
pub fn synthetic_project(cells: usize, seed: u64, densify_k: usize) -> Project {
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
    let mut grids: Vec<Grid> = polys
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mut g = Grid::new(
                format!("C{:06}", i + 1),
                2,
                densify(&MultiPolygon(vec![p]), densify_k),
            );
            g.code = format!("T{:06}", i + 1);
            g.name = format!("cell {}", i + 1);
            g.parent = Some("T".into());
            g.staff.push(Staff {
                role: "网格长".into(),
                name: "张三".into(),
                phone: "13900000000".into(),
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
        poly.exterior_mut(|ls| ls.0[k] = ls.0[k] + d);
    }
}
