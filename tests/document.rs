//! The document pipeline (issue 11): every change to every layer and to the settings goes
//! through one history and comes back exactly on undo; after every step every structure
//! derived from the project equals one built from scratch.

use geo::{Coord, InteriorPoint, LineString, MultiPolygon, Point, polygon};
use gridmap::document::Document;
use gridmap::edit::{self, Transaction};
use gridmap::io::geojson::ReadOptions;
use gridmap::model::{Boundary, Reservoir, River, Village};
use gridmap::{AuditConfig, Grid, Project, geom};
use std::path::Path;

fn load(name: &str) -> Project {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-maps")
        .join(name);
    gridmap::io::open(&[p.as_path()], &ReadOptions::default()).expect("sample loads")
}

fn pick<'a, T>(rng: &mut fastrand::Rng, v: &'a [T]) -> Option<&'a T> {
    (!v.is_empty()).then(|| &v[rng.usize(..v.len())])
}

fn ring_of(g: &Grid) -> Vec<Coord<f64>> {
    g.geometry.0[0].exterior().0.clone()
}

/// One random edit of any layer, built by the same functions the app calls.
fn random_edit(p: &Project, rng: &mut fastrand::Rng, step: usize) -> Option<Transaction> {
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

fn check(doc: &Document, what: &str) {
    if let Err(e) = doc.verify() {
        panic!("{what}: {e}");
    }
}

/// Random edits on every layer, with undos and redos in between: after each step every
/// derived structure equals a fresh one; undo all gives back the original project exactly,
/// redo all the edited one.
fn random_sequences(original: &Project, seeds: std::ops::Range<u64>, steps: usize) {
    for seed in seeds {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut doc = Document::new(original.clone(), None);
        // A copy kept by replaying the document's steps, as the app's saver does.
        doc.record_steps();
        let mut mirror = original.clone();
        let replay = |doc: &mut Document, mirror: &mut Project| {
            for (t, forward) in doc.take_steps() {
                if forward {
                    t.apply(mirror).unwrap();
                } else {
                    t.revert(mirror).unwrap();
                }
            }
        };
        for step in 0..steps {
            if step > 0 && rng.u8(..6) == 0 {
                doc.undo().unwrap();
                check(&doc, &format!("seed {seed} step {step} undo"));
                if rng.bool() {
                    doc.redo().unwrap();
                    check(&doc, &format!("seed {seed} step {step} redo"));
                }
                continue;
            }
            if let Some(t) = random_edit(doc.project(), &mut rng, step) {
                let label = t.label.clone();
                doc.commit(t).unwrap();
                doc.seal();
                check(&doc, &format!("seed {seed} step {step} {label}"));
            }
        }
        replay(&mut doc, &mut mirror);
        assert!(
            &mirror == doc.project(),
            "seed {seed}: the replayed copy differs"
        );
        // Whatever is left to redo first, so that redo all ends where the edits ended.
        while doc.redo().unwrap() {}
        let edited = doc.project().clone();
        while doc.undo().unwrap() {}
        assert!(
            doc.project() == original,
            "seed {seed}: undo all did not restore the project"
        );
        check(&doc, &format!("seed {seed} after undo all"));
        while doc.redo().unwrap() {}
        assert!(
            doc.project() == &edited,
            "seed {seed}: redo all did not give the edited project"
        );
        check(&doc, &format!("seed {seed} after redo all"));
        replay(&mut doc, &mut mirror);
        assert!(
            &mirror == doc.project(),
            "seed {seed}: the replayed copy differs at the end"
        );
    }
}

#[test]
fn random_edits_on_every_layer_undo_and_redo_exactly_on_the_sample() {
    random_sequences(&load("jinping.geojson"), 0..12, 14);
}

#[test]
fn random_edits_on_every_layer_undo_and_redo_exactly_on_the_faulty_sample() {
    random_sequences(&load("jinping-faulty.geojson"), 100..108, 14);
}

#[test]
fn random_edits_on_a_synthetic_coverage_with_faults() {
    let mut p = gridmap::synth::synthetic_project(400, 3, 1);
    gridmap::synth::plant_vertex_faults(&mut p, 6, 5);
    random_sequences(&p, 200..206, 16);
}

/// A transaction made for an earlier state of the project is refused, with a message that
/// names the change, and nothing changes (it used to be clamped into place).
#[test]
fn a_stale_change_is_refused_and_changes_nothing() {
    let original = load("jinping.geojson");
    let mut doc = Document::new(original.clone(), None);
    let stale = edit::set_record(doc.project(), "JP05-01", "改名 / Rename", |g| {
        g.name = "甲".into()
    })
    .unwrap();
    doc.commit(
        edit::set_record(doc.project(), "JP05-01", "改名 / Rename", |g| {
            g.name = "乙".into()
        })
        .unwrap(),
    )
    .unwrap();
    let now = doc.project().clone();
    let rev = doc.revision();
    let e = doc.commit(stale).unwrap_err();
    assert!(e.to_string().contains("改名 / Rename"), "{e}");
    assert!(e.to_string().contains("网格"), "{e}");
    assert_eq!(doc.project(), &now);
    assert_eq!(doc.revision(), rev);
    // A removal past the end is refused too, and so is a setting changed meanwhile.
    let mut t = Transaction::new("删除 / Delete");
    t.grids.push(edit::Change {
        pos: now.grids.len() + 3,
        before: Some(now.grids[0].clone()),
        after: None,
    });
    assert!(doc.commit(t).is_err());
    let mut t = Transaction::new("设置 / Settings");
    t.settings.push(edit::SettingChange {
        key: "print".into(),
        before: Some(serde_json::json!({"office": "别处"})),
        after: None,
    });
    assert!(doc.commit(t).is_err());
    assert_eq!(doc.project(), &now);
    // A transaction touching several layers that fails on a later layer leaves the earlier
    // layers as they were.
    let mut t = edit::set_record(doc.project(), "JP05-01", "两层 / Two layers", |g| {
        g.name = "丙".into()
    })
    .unwrap();
    t.rivers.push(edit::Change {
        pos: 0,
        before: Some(River {
            id: "nope".into(),
            name: String::new(),
            geometry: geo::MultiLineString(vec![]),
            extra: Default::default(),
        }),
        after: None,
    });
    assert!(doc.commit(t).is_err());
    assert_eq!(doc.project(), &now);
    doc.undo().unwrap();
    assert_eq!(doc.project(), &original);
}
