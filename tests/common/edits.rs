//! Random edits of every layer, made by the same functions the app calls: the generator of
//! the document tests (issue 11) and of the round trips (issue 22).
#![allow(dead_code)]

use geo::{Coord, InteriorPoint, LineString, MultiPolygon, Point, polygon};
use gridmap::edit::{self, Transaction};
use gridmap::model::{Boundary, Reservoir, River, Village};
use gridmap::{AuditConfig, Grid, Project, geom};

fn pick<'a, T>(rng: &mut fastrand::Rng, v: &'a [T]) -> Option<&'a T> {
    (!v.is_empty()).then(|| &v[rng.usize(..v.len())])
}

fn ring_of(g: &Grid) -> Vec<Coord<f64>> {
    g.geometry.0[0].exterior().0.clone()
}

/// One random edit of any layer, built by the same functions the app calls.
pub fn random_edit(p: &Project, rng: &mut fastrand::Rng, step: usize) -> Option<Transaction> {
    let grid = pick(rng, &p.grids)?.clone();
    let ring = ring_of(&grid);
    let k = rng.usize(..ring.len() - 1);
    let jiggle = |c: Coord<f64>, rng: &mut fastrand::Rng| Coord {
        x: c.x + (rng.f64() - 0.5) * 20.0,
        y: c.y + (rng.f64() - 0.5) * 20.0,
    };
    match rng.u8(..13) {
        0 => Some(edit::move_vertex(
            p,
            ring[k],
            jiggle(ring[k], rng),
            &format!("d{step}"),
        )),
        1 => Some(edit::insert_vertex(
            p,
            ring[k],
            ring[k + 1],
            Coord {
                x: (ring[k].x + ring[k + 1].x) / 2.0,
                y: (ring[k].y + ring[k + 1].y) / 2.0,
            },
        )),
        2 => {
            let env = geom::envelope(&grid.geometry)?;
            let c = env.center();
            let line = LineString(vec![
                Coord {
                    x: env.min().x - 10.0,
                    y: c.y,
                },
                Coord {
                    x: env.max().x + 10.0,
                    y: c.y,
                },
            ]);
            edit::split(p, &grid.id, &line).ok()
        }
        3 => {
            // Merge with a sibling that shares a vertex.
            let other = p.grids.iter().find(|o| {
                o.id != grid.id
                    && o.level == grid.level
                    && o.parent == grid.parent
                    && ring_of(o).iter().any(|c| ring.contains(c))
            })?;
            edit::merge(p, &[grid.id.clone(), other.id.clone()]).ok()
        }
        4 => {
            // Draw a square around a point of the grid, under the grid's parent.
            let c = grid.geometry.interior_point()?.0;
            let r = 30.0 + rng.f64() * 100.0;
            let shape = MultiPolygon(vec![polygon![
                (x: c.x - r, y: c.y - r), (x: c.x + r, y: c.y - r),
                (x: c.x + r, y: c.y + r), (x: c.x - r, y: c.y + r)
            ]]);
            let mut g = Grid::new(
                edit::new_id(p, grid.parent.as_deref().unwrap_or("G")),
                grid.level,
                shape,
            );
            g.parent = grid.parent.clone();
            edit::add_grid(p, g, rng.bool()).ok()
        }
        5 => edit::set_record(p, &grid.id, "记录 / record", |g| {
            g.name.push('*');
            g.households = Some(g.households.unwrap_or(0) + 7);
        })
        .ok(),
        6 => edit::delete(p, std::slice::from_ref(&grid.id)).ok(),
        7 => {
            let r = pick(rng, &p.rivers)?.clone();
            edit::set_feature::<River>(p, &r.id, "移动河流节点 / Move river vertex", |r| {
                let line = &mut r.geometry.0[0];
                let k = rng.usize(..line.0.len());
                line.0[k] = jiggle(line.0[k], rng);
            })
            .ok()
        }
        8 => {
            if rng.bool() && !p.rivers.is_empty() {
                let r = pick(rng, &p.rivers)?.clone();
                edit::delete_feature::<River>(p, &r.id, "删除河流 / Delete river").ok()
            } else {
                let a = grid.geometry.interior_point()?.0;
                let b = Coord {
                    x: a.x + 500.0,
                    y: a.y + 250.0,
                };
                let river = River {
                    id: format!("R-{step}"),
                    name: format!("新溪{step}"),
                    geometry: geo::MultiLineString(vec![LineString(vec![a, b])]),
                    extra: Default::default(),
                };
                Some(edit::add_feature(p, river, "绘制河流 / Draw river"))
            }
        }
        9 => {
            let r = pick(rng, &p.reservoirs)?.clone();
            edit::set_feature::<Reservoir>(p, &r.id, "移动水库 / Move reservoir", |r| {
                use geo::Translate;
                r.geometry = r.geometry.translate(15.0, -5.0);
            })
            .ok()
        }
        10 => {
            let v = pick(rng, &p.villages)?.clone();
            edit::set_feature::<Village>(p, &v.id, "自然村 / Natural village", |v| {
                v.households = Some(v.households.unwrap_or(0) + 3);
                v.location = Point(jiggle(v.location.0, rng));
            })
            .ok()
        }
        11 => {
            let b = pick(rng, &p.boundary)?.clone();
            edit::set_feature::<Boundary>(p, &b.id, "边界节点 / Boundary vertex", |b| {
                b.geometry.0[0].exterior_mut(|r| {
                    let n = r.0.len();
                    let k = 1 + rng.usize(..n - 2);
                    r.0[k] = jiggle(r.0[k], rng);
                });
            })
            .ok()
        }
        _ => {
            let mut t = Transaction::new("设置 / Settings");
            if rng.bool() {
                let mut c = AuditConfig::from_settings(&p.settings);
                c.gap_width = *pick(rng, &[0.3, 0.5, 1.0])?;
                let mut s = p.settings.clone();
                c.store(&mut s);
                t.set_setting(p, "audit", s.get("audit").cloned());
            } else {
                t.set_setting(
                    p,
                    "print",
                    Some(serde_json::json!({"hotline": format!("0735-555{step:04}")})),
                );
            }
            Some(t)
        }
    }
}
