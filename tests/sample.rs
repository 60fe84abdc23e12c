//! The bundled sample township: the clean map audits clean, the faulty copy yields exactly
//! the planted faults with the right ids and areas, and the files are what the generator
//! makes.

use geo::Coord;
use gridmap::io::geojson::{WriteOptions, to_geojson};
use gridmap::{AuditConfig, Auditor, Kind, Severity, audit, geom};
use std::collections::BTreeMap;

mod common;
use common::load;

#[test]
fn clean_sample_audits_clean() {
    let p = load("jinping.geojson");
    assert_eq!(p.grids.iter().filter(|g| g.level == 1).count(), 1);
    assert_eq!(p.grids.iter().filter(|g| g.level == 2).count(), 20);
    assert_eq!(p.grids.iter().filter(|g| g.level == 3).count(), 59);
    assert_eq!(p.reservoirs.len(), 2);
    assert!(p.rivers.len() >= 3);
    assert_eq!(p.crs.epsg, 4546, "southern Hunan is in GK CM 111E");
    let r = audit(&p, &AuditConfig::default());
    let bad: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    // The boundary stream is reported as a boundary river, split half and half.
    assert!(r.of_kind(Kind::BoundaryRiver).count() >= 1);
    for river in &r.rivers {
        let sum: f64 = river.by_grid.iter().map(|g| g.length_m).sum::<f64>() + river.outside_m;
        assert!(
            (sum - river.length_m).abs() < 0.05,
            "{}: {sum} vs {}",
            river.id,
            river.length_m
        );
    }
}

#[test]
fn faulty_sample_yields_exactly_the_planted_findings() {
    let clean = load("jinping.geojson");
    let faulty = load("jinping-faulty.geojson");
    let r = audit(&faulty, &AuditConfig::default());
    let mut got: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    for f in r.findings.iter().filter(|f| f.severity != Severity::Info) {
        got.entry(f.kind.as_str()).or_default().push(f.ids.clone());
    }
    let maps = gridmap::synth::sample_township();
    let mut want: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    for (k, ids) in &maps.planted {
        want.entry(k).or_default().push(ids.clone());
    }
    assert_eq!(got, want);

    // Areas, measured independently: the change of the edited grid's own area.
    let area_change = |id: &str| -> f64 {
        let a = clean
            .grid(id)
            .map(|g| geom::area(&g.geometry))
            .unwrap_or(0.0);
        let b = faulty
            .grid(id)
            .map(|g| geom::area(&g.geometry))
            .unwrap_or(0.0);
        (b - a).abs()
    };
    for f in &r.findings {
        match f.kind {
            Kind::Gap | Kind::Sliver | Kind::Overlap | Kind::OutsideParent => {
                let changed: f64 = f
                    .ids
                    .iter()
                    .map(|id| {
                        if faulty.grid(id).map(|g| g.level) == Some(3) {
                            area_change(id)
                        } else {
                            0.0
                        }
                    })
                    .sum();
                let got = f.area_m2.expect("area");
                assert!(
                    (got - changed).abs() <= 0.01 * changed,
                    "{:?} {:?}: {got} vs {changed}",
                    f.kind,
                    f.ids
                );
            }
            _ => {}
        }
    }
    let sliver = r.of_kind(Kind::Sliver).next().expect("sliver");
    assert!(sliver.width_m.expect("width") < 0.5);
    let gap = r.of_kind(Kind::Gap).next().expect("gap");
    assert!(gap.width_m.expect("width") > 20.0);
    // The brook crosses the gap at its deepest: 30 m in no grid. The main river's stretch
    // beyond the town is no finding.
    let river = r.of_kind(Kind::RiverOutsideGrids).next().expect("river");
    assert!((river.length_m.expect("length") - 30.0).abs() < 0.5);
    assert_eq!(r.of_kind(Kind::RiverOutsideGrids).count(), 1);
}

#[test]
fn sample_files_are_what_the_generator_writes() {
    let maps = gridmap::synth::sample_township();
    for (project, name) in [
        (&maps.clean, "jinping.geojson"),
        (&maps.faulty, "jinping-faulty.geojson"),
    ] {
        let bytes = to_geojson(project, &WriteOptions::default()).expect("write");
        let on_disk = std::fs::read(common::sample_file(name)).expect("read");
        assert!(
            bytes == on_disk,
            "{name} differs from the generator: run `gridmap make-sample`"
        );
    }
}

/// Moving vertices, deleting a grid and re-parenting, then updating incrementally, gives
/// the same report as a full audit.
#[test]
fn incremental_audit_equals_full_audit() {
    let mut p = load("jinping.geojson");
    let cfg = AuditConfig::default();
    let mut auditor = Auditor::new(&p, cfg.clone());
    let mut rng = fastrand::Rng::with_seed(3);
    let level3: Vec<String> = p
        .grids
        .iter()
        .filter(|g| g.level == 3)
        .map(|g| g.id.clone())
        .collect();
    for step in 0..12 {
        let id = level3[rng.usize(..level3.len())].clone();
        match step % 4 {
            3 if step == 11 => {
                p.grids.retain(|g| g.id != id);
            }
            2 => {
                if let Some(g) = p.grid_mut(&id) {
                    g.parent = Some("JP01".into());
                }
            }
            _ => {
                if let Some(g) = p.grid_mut(&id) {
                    let ring = &mut g.geometry.0[0];
                    let n = ring.exterior().0.len() - 1;
                    let k = rng.usize(..n);
                    let d = Coord {
                        x: rng.f64() * 60.0 - 30.0,
                        y: rng.f64() * 60.0 - 30.0,
                    };
                    ring.exterior_mut(|ls| {
                        ls.0[k] = ls.0[k] + d;
                        if k == 0 {
                            let last = ls.0.len() - 1;
                            ls.0[last] = ls.0[0];
                        }
                    });
                }
            }
        }
        // What the document would say changed.
        let mut set = gridmap::model::ChangeSet::default();
        set.grid(
            &id,
            gridmap::model::GridChange {
                geometry: true,
                record: true,
            },
        );
        if step == 11 {
            set.moved(gridmap::model::Layer::Grids, 0);
        }
        auditor.update(&p, &gridmap::model::IdIndex::new(&p), &set);
        let inc = auditor.report(&p);
        let full = audit(&p, &cfg);
        assert_eq!(inc.findings.len(), full.findings.len(), "step {step}");
        assert_eq!(inc, full, "step {step}");
        assert!(full.errors() > 0 || step == 0 || step % 4 == 2);
    }
}
