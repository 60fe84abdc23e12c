//! One small hand-made map per audit check, with the expected ids and measures.

use geo::{LineString, MultiLineString, MultiPolygon, Point, polygon};
use gridmap::audit::{AuditConfig, Kind, Report, Severity, audit};
use gridmap::model::{Boundary, Grid, Project, Reservoir, River, Staff};

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

fn person(role: &str, n: u32) -> Staff {
    Staff {
        role: role.into(),
        name: format!("张{n}"),
        phone: format!("1390000{n:04}"),
        public: false,
    }
}

fn grid(id: &str, level: u8, parent: Option<&str>, geometry: MultiPolygon<f64>) -> Grid {
    let mut g = Grid::new(id, level, geometry);
    g.name = format!("网格{id}");
    g.code = id.to_string();
    g.parent = parent.map(str::to_string);
    g.staff = vec![
        person("网格长", level as u32),
        person("网格员", 10 + level as u32),
    ];
    if level == 3 {
        g.households = Some(250);
        g.population = Some(800);
    }
    g
}

/// A village `V` (200 x 100 m) with the given level-3 children.
fn village(children: Vec<Grid>) -> Project {
    let mut grids = vec![grid("V", 2, None, rect(0.0, 0.0, 200.0, 100.0))];
    grids.extend(children);
    Project {
        grids,
        ..Default::default()
    }
}

fn kinds(r: &Report) -> Vec<(Kind, Vec<String>)> {
    r.findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| (f.kind, f.ids.clone()))
        .collect()
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn clean_village_is_clean() {
    let p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn overlap_is_measured() {
    let p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 110.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(kinds(&r), vec![(Kind::Overlap, ids(&["A", "B"]))]);
    let f = &r.findings[0];
    assert!((f.area_m2.unwrap() - 1000.0).abs() < 1e-6);
    assert!(f.message.zh.contains("重叠 1000.0 m²"));
}

#[test]
fn duplicate_grid() {
    let p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 200.0, 100.0)),
        grid("B", 3, Some("V"), rect(0.0, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(kinds(&r), vec![(Kind::Duplicate, ids(&["A", "B"]))]);
}

#[test]
fn gap_has_area_and_width() {
    let p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(110.0, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(kinds(&r), vec![(Kind::Gap, ids(&["A", "B", "V"]))]);
    let f = &r.findings[0];
    assert!((f.area_m2.unwrap() - 1000.0).abs() < 1e-6);
    assert!((f.width_m.unwrap() - 10.0).abs() < 0.05, "{:?}", f.width_m);
}

#[test]
fn narrow_gap_is_a_sliver() {
    let p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.2, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(kinds(&r), vec![(Kind::Sliver, ids(&["A", "B", "V"]))]);
    assert!((r.findings[0].width_m.unwrap() - 0.2).abs() < 0.005);
    // With a smaller gap width it is an ordinary gap.
    let r = audit(
        &p,
        &AuditConfig {
            gap_width: 0.1,
            ..Default::default()
        },
    );
    assert_eq!(kinds(&r), vec![(Kind::Gap, ids(&["A", "B", "V"]))]);
}

#[test]
fn child_outside_parent() {
    let p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 110.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    // A's top edge no longer matches B's corner: the T-junction at (100, 100) is a near miss.
    let k = kinds(&r);
    assert!(
        k.contains(&(Kind::OutsideParent, ids(&["A", "V"]))),
        "{k:?}"
    );
    let f = r.of_kind(Kind::OutsideParent).next().unwrap();
    assert!((f.area_m2.unwrap() - 1000.0).abs() < 1e-6);
}

#[test]
fn hole_between_grids_without_parent() {
    // A ring of 8 level-2 squares with the middle one missing, no parent, no boundary.
    let mut grids = Vec::new();
    for i in 0..3 {
        for j in 0..3 {
            if (i, j) != (1, 1) {
                let (x, y) = (i as f64 * 100.0, j as f64 * 100.0);
                grids.push(grid(
                    &format!("G{i}{j}"),
                    2,
                    None,
                    rect(x, y, x + 100.0, y + 100.0),
                ));
            }
        }
    }
    let p = Project {
        grids,
        ..Default::default()
    };
    let r = audit(&p, &AuditConfig::default());
    let gaps: Vec<_> = r.of_kind(Kind::Gap).collect();
    assert_eq!(gaps.len(), 1, "{:#?}", r.findings);
    assert!((gaps[0].area_m2.unwrap() - 10_000.0).abs() < 1e-6);
    assert_eq!(
        gaps[0].ids.len(),
        9,
        "8 neighbours and the boundary placeholder"
    );
}

#[test]
fn level_two_must_tile_the_boundary_layer() {
    let mut p = Project {
        grids: vec![
            grid("V1", 2, None, rect(0.0, 0.0, 100.0, 100.0)),
            grid("V2", 2, None, rect(100.0, 0.0, 180.0, 100.0)),
        ],
        ..Default::default()
    };
    p.boundary.push(Boundary {
        id: "B".into(),
        name: "镇界".into(),
        geometry: rect(0.0, 0.0, 200.0, 100.0),
        extra: Default::default(),
    });
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(kinds(&r), vec![(Kind::Gap, ids(&["V2", "B"]))]);
    assert!((r.findings[0].area_m2.unwrap() - 2000.0).abs() < 1e-6);
}

#[test]
fn near_miss_edge_without_area() {
    // A has a vertex at (100, 50) on the shared edge, B does not: a T-junction.
    let a = MultiPolygon(vec![
        polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 50.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)],
    ]);
    let p = village(vec![
        grid("A", 3, Some("V"), a),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(
        kinds(&r),
        vec![
            (Kind::InvalidEdge, ids(&["A"])),
            (Kind::InvalidEdge, ids(&["B"]))
        ]
    );
    assert!((r.findings[0].length_m.unwrap() - 100.0).abs() < 1e-6);
}

#[test]
fn hierarchy_problems() {
    let mut p = village(vec![
        grid("A", 3, Some("X"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("T"), rect(100.0, 0.0, 200.0, 100.0)),
        grid("C", 7, Some("V"), rect(300.0, 0.0, 400.0, 100.0)),
    ]);
    p.grids
        .push(grid("T", 1, None, rect(0.0, 0.0, 200.0, 100.0)));
    p.grids[0].parent = Some("T".into());
    let r = audit(&p, &AuditConfig::default());
    let k = kinds(&r);
    assert!(
        k.contains(&(Kind::MissingParent, ids(&["A", "X"]))),
        "{k:?}"
    );
    assert!(
        k.contains(&(Kind::WrongParentLevel, ids(&["B", "T"]))),
        "{k:?}"
    );
    assert!(k.contains(&(Kind::BadLevel, ids(&["C"]))), "{k:?}");
}

#[test]
fn ids_and_codes() {
    let mut p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    p.grids[0].code = "431099101001".into();
    p.grids[1].code = "431099101001001".into();
    p.grids[2].code = "431099101001001".into();
    let r = audit(&p, &AuditConfig::default());
    assert_eq!(kinds(&r), vec![(Kind::DuplicateCode, ids(&["A", "B"]))]);
    p.grids[2].code = "4310-99/1".into();
    p.grids[1].code = "999".into();
    let r = audit(&p, &AuditConfig::default());
    let k = kinds(&r);
    assert!(k.contains(&(Kind::MalformedCode, ids(&["B"]))), "{k:?}");
    assert!(
        k.contains(&(Kind::MalformedCode, ids(&["A", "V"]))),
        "child code must extend the parent's: {k:?}"
    );
    p.grids[2].id = "A".into();
    let r = audit(&p, &AuditConfig::default());
    assert!(kinds(&r).contains(&(Kind::DuplicateId, ids(&["A"]))));
}

#[test]
fn records() {
    let mut p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    p.grids[1].name.clear();
    p.grids[1].code.clear();
    p.grids[1].staff[0].phone = "12345".into();
    p.grids[2].staff.retain(|s| s.role == "网格协助员");
    p.grids[2].households = Some(900);
    p.grids[2].population = Some(3000);
    let r = audit(&p, &AuditConfig::default());
    let k = kinds(&r);
    for want in [
        (Kind::MissingName, ids(&["A"])),
        (Kind::MissingCode, ids(&["A"])),
        (Kind::BadPhone, ids(&["A"])),
        (Kind::MissingStaff, ids(&["B"])),
        (Kind::SizeOutOfRange, ids(&["B"])),
    ] {
        assert!(k.contains(&want), "missing {want:?} in {k:?}");
    }
    let bad = r.of_kind(Kind::BadPhone).next().unwrap();
    assert!(bad.message.en.contains("12345") && bad.message.zh.contains("12345"));
}

#[test]
fn rivers_by_grid_boundary_and_outside() {
    let mut p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 190.0, 100.0)),
    ]);
    let line = |pts: &[(f64, f64)]| MultiLineString(vec![LineString::from(pts.to_vec())]);
    p.rivers = vec![
        River {
            id: "R1".into(),
            name: "横河".into(),
            // From beyond the map (x < 0: not this map's to assign) through A, B and the
            // gap x = 190..200 inside V (in no grid: a finding).
            geometry: line(&[(-50.0, 50.0), (200.0, 50.0)]),
            extra: Default::default(),
        },
        River {
            id: "R2".into(),
            name: "界河".into(),
            geometry: line(&[(100.0, 10.0), (100.3, 90.0)]),
            extra: Default::default(),
        },
    ];
    // B has no 网格长 and no 河长 but a river.
    p.grids[2].staff.retain(|s| s.role != "网格长");
    let r = audit(&p, &AuditConfig::default());
    let r1 = &r.rivers[0];
    assert!((r1.length_m - 250.0).abs() < 1e-9);
    assert!((r1.outside_m - 10.0).abs() < 1e-9, "{}", r1.outside_m);
    let by: Vec<(&str, f64, bool)> = r1
        .by_grid
        .iter()
        .map(|g| (g.grid.as_str(), g.length_m, g.boundary))
        .collect();
    assert_eq!(by, vec![("A", 100.0, false), ("B", 90.0, false)]);
    let r2 = &r.rivers[1];
    let by: Vec<(&str, bool)> = r2
        .by_grid
        .iter()
        .map(|g| (g.grid.as_str(), g.boundary))
        .collect();
    assert_eq!(
        by,
        vec![("A", true), ("B", true)],
        "within 0.5 m of the shared edge"
    );
    // Lengths are reported to the millimetre.
    assert!((r2.by_grid[0].length_m - r2.length_m / 2.0).abs() <= 1e-3);
    let k: Vec<(Kind, Vec<String>)> = r.findings.iter().map(|f| (f.kind, f.ids.clone())).collect();
    assert!(k.contains(&(Kind::RiverOutsideGrids, ids(&["R1"]))));
    assert!(k.contains(&(Kind::BoundaryRiver, ids(&["R2", "A", "B"]))));
    assert!(k.contains(&(Kind::MissingRiverChief, ids(&["B"]))));
    let out = r.of_kind(Kind::RiverOutsideGrids).next().unwrap();
    assert!((out.length_m.unwrap() - 10.0).abs() < 1e-9);
    // Without the village (no extent known), everything in no grid counts.
    p.grids.retain(|g| g.id != "V");
    for g in &mut p.grids {
        g.parent = None;
    }
    let r = audit(&p, &AuditConfig::default());
    assert!((r.rivers[0].outside_m - 60.0).abs() < 1e-9);
}

#[test]
fn reservoir_by_grid_and_outside() {
    let mut p = village(vec![
        grid("A", 3, Some("V"), rect(0.0, 0.0, 100.0, 100.0)),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    p.reservoirs.push(Reservoir {
        id: "K".into(),
        name: "水库".into(),
        geometry: rect(80.0, 80.0, 120.0, 120.0),
        extra: Default::default(),
    });
    let r = audit(&p, &AuditConfig::default());
    let k = &r.reservoirs[0];
    assert!((k.area_m2 - 1600.0).abs() < 1e-6);
    assert!((k.outside_m2 - 800.0).abs() < 1e-6);
    let by: Vec<(&str, f64)> = k
        .by_grid
        .iter()
        .map(|g| (g.grid.as_str(), g.area_m2))
        .collect();
    assert_eq!(by, vec![("A", 400.0), ("B", 400.0)]);
    assert_eq!(kinds(&r), vec![(Kind::ReservoirOutsideGrids, ids(&["K"]))]);
}

#[test]
fn invalid_grid_is_reported_and_the_audit_goes_on() {
    let bowtie = MultiPolygon(vec![
        polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 100.0), (x: 100.0, y: 0.0), (x: 0.0, y: 100.0)],
    ]);
    let mut p = village(vec![
        grid("A", 3, Some("V"), bowtie),
        grid("B", 3, Some("V"), rect(100.0, 0.0, 200.0, 100.0)),
    ]);
    p.villages.push(gridmap::model::Village {
        id: "N".into(),
        name: "村".into(),
        location: Point::new(150.0, 50.0),
        households: Some(10),
        population: Some(30),
        extra: Default::default(),
    });
    let r = audit(&p, &AuditConfig::default());
    let inv: Vec<_> = r.of_kind(Kind::InvalidGeometry).collect();
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].ids, ids(&["A"]));
    assert!(
        inv[0]
            .message
            .en
            .contains("self-intersects at (50.00, 50.00)")
    );
}

/// A gap beside a single child is "next to" it, not "between" one grid (issue 22: a
/// finding read 位于「下村二组」之间); and a sliver thinner than the coordinate grid's
/// tolerance is rounding, not a finding.
#[test]
fn a_gap_beside_one_grid_is_next_to_it_and_rounding_noise_is_no_sliver() {
    let town = grid("T", 1, None, rect(0.0, 0.0, 100.0, 100.0));
    let a = grid("A", 2, Some("T"), rect(0.0, 0.0, 90.0, 100.0));
    let p = Project {
        grids: vec![town.clone(), a],
        ..Default::default()
    };
    let r = audit(&p, &AuditConfig::default());
    let gap = r.of_kind(Kind::Gap).next().expect("the gap");
    assert!(
        gap.message.zh.contains("紧邻「网格A」"),
        "{}",
        gap.message.zh
    );
    assert!(!gap.message.zh.contains("之间"), "{}", gap.message.zh);
    // The child's edge 1 mm short of its parent's, over 100 m: 0.1 m², 1 mm wide.
    let a = grid("A", 2, Some("T"), rect(0.0, 0.0, 99.999, 100.0));
    let thin = Project {
        grids: vec![town.clone(), a],
        ..Default::default()
    };
    let r = audit(&thin, &AuditConfig::default());
    assert_eq!(r.of_kind(Kind::Sliver).count(), 0, "{:?}", r.findings);
    // 3 mm short is a fault: a sliver.
    let a = grid("A", 2, Some("T"), rect(0.0, 0.0, 99.997, 100.0));
    let r = audit(
        &Project {
            grids: vec![town, a],
            ..Default::default()
        },
        &AuditConfig::default(),
    );
    assert_eq!(r.of_kind(Kind::Sliver).count(), 1, "{:?}", r.findings);
}
