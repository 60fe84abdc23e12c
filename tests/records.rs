//! Grid records derived from the map: four bounds (四至) on the sample, in GeoJSON and from
//! the CLI; the ledger (网格台账) as a real spreadsheet read back.

use calamine::{Data, Reader, Xlsx};
use gridmap::io::ReadOptions;
use gridmap::records::{FOUR_BOUNDS, FourBounds, four_bounds, four_bounds_all};
use gridmap::{AuditConfig, Project, audit};
use std::process::Command;

mod common;
use common::{sample, sample_path};

fn index(p: &Project, id: &str) -> usize {
    p.grids.iter().position(|g| g.id == id).unwrap()
}

#[test]
fn four_bounds_of_the_sample_match_the_map() {
    let p = sample();
    let all = four_bounds_all(&p);
    // Checked by hand against the printed village map of 上村 (each side names what the
    // boundary facing that way touches, longest first; the jagged town edge faces several
    // ways).
    let expect = [
        (
            "JP01-01",
            ["上村四组、上村二组", "上村四组", "镇界、上村四组", "镇界"],
        ),
        (
            "JP01-03",
            ["上村四组、镇界", "河口村一组", "镇界、青山村一组", "镇界"],
        ),
        (
            "JP01-02",
            [
                "下村二组、下村一组",
                "上村四组、下村二组、河口村二组",
                "镇界、上村四组、上村一组",
                "镇界",
            ],
        ),
        ("JP01", ["下村、河口村、镇界", "河口村", "镇界", "镇界"]),
    ];
    for (id, [e, s, w, n]) in expect {
        let fb = &all[index(&p, id)];
        assert_eq!(
            [
                fb.east.as_str(),
                fb.south.as_str(),
                fb.west.as_str(),
                fb.north.as_str()
            ],
            [e, s, w, n],
            "{id}"
        );
        assert!(!fb.edited);
        assert_eq!(fb, &four_bounds(&p, index(&p, id)));
    }
    // Every side of every grid names something, and a neighbour named is a real neighbour
    // of the same level.
    for (g, fb) in p.grids.iter().zip(&all) {
        for (side, text) in fb.lines() {
            if g.level > 1 {
                assert!(!text.is_empty(), "{} {side} empty", g.name);
            }
            for name in text.split('、') {
                let known = name == "镇界"
                    || p.rivers.iter().any(|r| r.name == name)
                    || p.grids
                        .iter()
                        .any(|o| o.level == g.level && o.label() == name);
                assert!(known, "{} {side}: {name}", g.name);
            }
        }
    }
}

#[test]
fn four_bounds_are_written_to_geojson_and_only_hand_written_ones_are_kept_on_reading() {
    let mut p = sample();
    let i = index(&p, "JP02-01");
    let edited = FourBounds {
        east: "钟水河".into(),
        south: "下村二组".into(),
        west: "上村".into(),
        north: "县界".into(),
        edited: true,
        review: false,
    };
    p.grids[i]
        .extra
        .insert(FOUR_BOUNDS.into(), edited.to_value());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.geojson");
    gridmap::commands::export(&p, &out, &Default::default()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let grids: Vec<&serde_json::Value> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["layer"] == "grid")
        .collect();
    assert_eq!(grids.len(), 80);
    for f in &grids {
        let fb = &f["properties"]["four_bounds"];
        for k in ["east", "south", "west", "north"] {
            assert!(fb[k].is_string(), "{k} of {}", f["id"]);
        }
        assert_eq!(fb["edited"], f["id"] == "JP02-01");
    }
    let back = gridmap::io::open(&[out.as_path()], &ReadOptions::default()).unwrap();
    let j = index(&back, "JP02-01");
    assert_eq!(four_bounds(&back, j), edited);
    let derived: Vec<_> = back
        .grids
        .iter()
        .filter(|g| g.extra.contains_key(FOUR_BOUNDS))
        .map(|g| g.id.as_str())
        .collect();
    assert_eq!(
        derived,
        vec!["JP02-01"],
        "derived bounds are not stored as records"
    );
}

#[test]
fn bounds_command_prints_every_grid() {
    let out = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["bounds", sample_path().to_str().unwrap(), "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,code,name,east,south,west,north,edited");
    assert_eq!(lines.len(), 81);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("JP01-01,431099101001001,上村一组,上村四组、上村二组,"))
    );
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => format!("{i}"),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

#[test]
fn ledger_xlsx_reads_back_with_the_project_values() {
    let p = sample();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("台账.xlsx");
    let r = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args([
            "ledger",
            sample_path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let mut wb: Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["网格", "河流", "水库", "人员", "变更记录"]
    );

    let grids = wb.worksheet_range("网格").unwrap();
    let rows: Vec<Vec<String>> = grids
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    assert_eq!(
        rows[0][..5],
        ["序号", "级别", "上级网格", "网格编码", "网格名称"]
    );
    assert_eq!(rows.len(), 1 + 80);
    // Hierarchy order: the town, then 上村 and its four grids.
    assert_eq!(rows[1][4], "晋屏镇");
    assert_eq!(rows[2][4], "上村");
    assert_eq!(rows[3][4], "上村一组");
    assert_eq!(rows[3][2], "上村");
    let bounds = four_bounds_all(&p);
    for row in &rows[1..] {
        let g = p
            .grids
            .iter()
            .find(|g| g.code == row[3])
            .expect("code in project");
        let area = gridmap::geom::area(&g.geometry);
        let mu: f64 = row[5].parse().unwrap();
        assert!(
            (mu - area / (10_000.0 / 15.0)).abs() < 0.01,
            "{} mu",
            g.name
        );
        let km2: f64 = row[6].parse().unwrap();
        assert!((km2 - area / 1e6).abs() < 1e-4);
        assert_eq!(
            row[7],
            g.households.map(|h| h.to_string()).unwrap_or_default()
        );
        assert_eq!(
            row[8],
            g.population.map(|h| h.to_string()).unwrap_or_default()
        );
        let fb = &bounds[p.grids.iter().position(|x| x.id == g.id).unwrap()];
        assert_eq!(
            row[9..13],
            [
                fb.east.clone(),
                fb.south.clone(),
                fb.west.clone(),
                fb.north.clone()
            ]
        );
        let head = g.staff.iter().find(|s| s.role == "网格长");
        assert_eq!(row[13], head.map(|s| s.name.clone()).unwrap_or_default());
        assert_eq!(row[14], head.map(|s| s.phone.clone()).unwrap_or_default());
    }

    let report = audit(&p, &AuditConfig::default());
    let rivers = wb.worksheet_range("河流").unwrap();
    let total: f64 = rivers
        .rows()
        .skip(1)
        .filter(|r| !cell_text(&r[1]).is_empty())
        .map(|r| cell_text(&r[3]).parse::<f64>().unwrap())
        .sum();
    let expected: f64 = report
        .rivers
        .iter()
        .flat_map(|r| &r.by_grid)
        .map(|g| g.length_m)
        .sum();
    assert!((total - expected).abs() < 1.0, "{total} vs {expected}");
    assert!(expected > 1000.0);

    let staff = wb.worksheet_range("人员").unwrap();
    assert_eq!(
        staff.rows().count() - 1,
        p.grids.iter().map(|g| g.staff.len()).sum::<usize>()
    );
    let reservoirs = wb.worksheet_range("水库").unwrap();
    assert!(
        reservoirs
            .rows()
            .skip(1)
            .any(|r| cell_text(&r[0]) == "红旗水库")
    );

    // CSV: four files, UTF-8 with BOM.
    let csv = dir.path().join("台账.csv");
    let r = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args([
            "ledger",
            sample_path().to_str().unwrap(),
            "--out",
            csv.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(r.status.success());
    let grids_csv = std::fs::read(dir.path().join("台账-grids.csv")).unwrap();
    assert!(grids_csv.starts_with(b"\xEF\xBB\xBF\xE5\xBA\x8F\xE5\x8F\xB7")); // BOM + 序号
    assert_eq!(String::from_utf8(grids_csv).unwrap().lines().count(), 81);
    for f in ["rivers", "reservoirs", "staff", "changes"] {
        assert!(dir.path().join(format!("台账-{f}.csv")).exists());
    }
    // A wrong extension is refused.
    let r = Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["ledger", sample_path().to_str().unwrap(), "--out", "x.docx"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
}

fn code_findings(p: &Project) -> Vec<String> {
    audit(p, &AuditConfig::default())
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                gridmap::Kind::MalformedCode | gridmap::Kind::DuplicateCode
            )
        })
        .map(|f| f.message.en.clone())
        .collect()
}

fn assert_codes_follow_the_hierarchy(p: &Project) {
    assert!(code_findings(p).is_empty(), "{:?}", code_findings(p));
    let mut seen = std::collections::HashSet::new();
    for g in &p.grids {
        assert!(seen.insert(g.code.clone()), "duplicate {}", g.code);
        let want = [9, 12, 15][usize::from(g.level) - 1];
        assert_eq!(g.code.len(), want, "{} {}", g.name, g.code);
        if let Some(parent) = g.parent.as_deref().and_then(|id| p.grid(id)) {
            assert!(
                g.code.starts_with(&parent.code),
                "{} {}",
                g.code,
                parent.code
            );
        }
    }
    // Siblings are numbered 001.. without holes.
    for parent in &p.grids {
        let mut seqs: Vec<u32> = p
            .children_of(&parent.id)
            .map(|c| c.code[parent.code.len()..].parse::<u32>().unwrap())
            .collect::<Vec<_>>();
        seqs.sort_unstable();
        assert!(
            seqs.iter().enumerate().all(|(k, s)| *s == k as u32 + 1),
            "{}: {seqs:?}",
            parent.name
        );
    }
}

#[test]
fn codes_are_generated_by_position_and_again_after_a_split_and_a_merge() {
    use geo::{Coord, LineString};
    let mut p = sample();
    assert!(
        code_findings(&p).is_empty(),
        "the sample's codes fit the layout"
    );
    // Scramble every code below the town, then renumber everything.
    for g in p.grids.iter_mut().filter(|g| g.level > 1) {
        g.code = format!("X{}", g.id);
    }
    gridmap::commands::renumber_codes(&p, None)
        .apply(&mut p)
        .unwrap();
    assert_codes_follow_the_hierarchy(&p);
    // 上村's grids in reading order: the top row first (north to south, west to east).
    let kids: Vec<&gridmap::Grid> = {
        let mut k: Vec<_> = p.children_of("JP01").collect();
        k.sort_by(|a, b| a.code.cmp(&b.code));
        k
    };
    let top = |g: &gridmap::Grid| gridmap::geom::envelope(&g.geometry).unwrap().max().y;
    assert!(
        kids.iter().all(|k| top(kids[0]) >= top(k) - 1000.0),
        "001 is in the top row"
    );

    // Split a grid: the new piece has no code until renumbered.
    let g = p.grid("JP05-01").unwrap().clone();
    let env = gridmap::geom::envelope(&g.geometry).unwrap();
    let c = env.center();
    let line = LineString(vec![
        Coord {
            x: env.min().x - 50.0,
            y: c.y,
        },
        Coord {
            x: env.max().x + 50.0,
            y: c.y + 10.0,
        },
    ]);
    let siblings = p.children_of(g.parent.as_deref().unwrap()).count();
    gridmap::edit::split(&p, &g.id, &line)
        .unwrap()
        .apply(&mut p)
        .unwrap();
    let parent = g.parent.clone().unwrap();
    assert!(p.children_of(&parent).any(|c| c.code.is_empty()));
    gridmap::commands::renumber_codes(&p, Some(std::slice::from_ref(&parent)))
        .apply(&mut p)
        .unwrap();
    assert_codes_follow_the_hierarchy(&p);
    assert_eq!(p.children_of(&parent).count(), siblings + 1);
    // Merge two of them back: numbering closes the hole.
    let ids: Vec<String> = p
        .children_of(&parent)
        .take(2)
        .map(|g| g.id.clone())
        .collect();
    let merged = gridmap::edit::merge(&p, &ids);
    if let Ok(t) = merged {
        t.apply(&mut p).unwrap();
        gridmap::commands::renumber_codes(&p, Some(std::slice::from_ref(&parent)))
            .apply(&mut p)
            .unwrap();
        assert_codes_follow_the_hierarchy(&p);
    }
}

#[test]
fn codes_command_checks_and_renumbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = sample();
    let i = p.grids.iter().position(|g| g.id == "JP01-02").unwrap();
    p.grids[i].code = "4310991010010".into(); // 13 digits for a level-3 grid
    let bad = dir.path().join("bad.geojson");
    gridmap::commands::export(&p, &bad, &Default::default()).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gridmap"))
            .args(args)
            .output()
            .unwrap()
    };
    let r = run(&["codes", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stdout).contains("编码规则"));
    let fixed = dir.path().join("fixed.geojson");
    let r = run(&[
        "codes",
        bad.to_str().unwrap(),
        "--renumber",
        "--out",
        fixed.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("→"));
    let r = run(&["codes", fixed.to_str().unwrap()]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );
}

#[test]
fn staff_rosters_import_by_code_or_name_and_export_back() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gridmap"))
            .args(args)
            .output()
            .unwrap()
    };
    let s = sample_path();
    // Export the roster and read it back unchanged: every row matches, nothing to update.
    let exported = dir.path().join("名单.xlsx");
    assert!(
        run(&[
            "staff",
            s.to_str().unwrap(),
            "--export",
            exported.to_str().unwrap()
        ])
        .status
        .success()
    );
    let p = sample();
    let (t, roster) = gridmap::commands::import_staff(&p, &exported).unwrap();
    assert_eq!(
        roster.rows.len(),
        p.grids.iter().map(|g| g.staff.len()).sum::<usize>()
    );
    assert_eq!(roster.unmatched().count(), 0);
    assert!(t.is_empty(), "the same roster changes nothing");

    // A roster from another office: a header row below a title, a grid by code, one by name
    // only, phones typed as numbers, and a row for a grid that does not exist.
    let roster = dir.path().join("新名单.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "2027年网格员名单").unwrap();
        for (c, h) in ["网格编码", "网格名称", "职务", "姓名", "手机"]
            .iter()
            .enumerate()
        {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        let rows: [(&str, &str, &str, &str, f64); 4] = [
            ("431099101001001", "", "网格长", "周新", 13911112222.0),
            ("431099101001001", "", "网格员", "吴明", 13911113333.0),
            ("", "下村一组", "网格员", "郑红", 13911114444.0),
            ("999", "不存在组", "网格员", "钱多", 13911115555.0),
        ];
        for (r, (code, grid, role, name, phone)) in rows.iter().enumerate() {
            let r = r as u32 + 2;
            ws.write_string(r, 0, *code).unwrap();
            ws.write_string(r, 1, *grid).unwrap();
            ws.write_string(r, 2, *role).unwrap();
            ws.write_string(r, 3, *name).unwrap();
            ws.write_number(r, 4, *phone).unwrap();
        }
        wb.save(&roster).unwrap();
    }
    let out = dir.path().join("out.geojson");
    let r = run(&[
        "staff",
        s.to_str().unwrap(),
        "--import",
        roster.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(1), "an unmatched row is reported");
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("第 6 行") && text.contains("钱多"), "{text}");
    let back = gridmap::io::open(&[out.as_path()], &ReadOptions::default()).unwrap();
    let g = back.grid("JP01-01").unwrap();
    assert_eq!(
        g.staff
            .iter()
            .map(|s| (s.role.as_str(), s.name.as_str(), s.phone.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("网格长", "周新", "13911112222"),
            ("网格员", "吴明", "13911113333")
        ]
    );
    assert_eq!(back.grid("JP02-01").unwrap().staff[0].name, "郑红");
    assert_eq!(
        back.grid("JP01-02").unwrap().staff,
        p.grid("JP01-02").unwrap().staff,
        "others unchanged"
    );

    // CSV saved by Excel in GBK.
    let csv = dir.path().join("名单.csv");
    let (bytes, _, _) =
        encoding_rs::GBK.encode("网格名称,职务,姓名,联系电话\n上村二组,网格员,孙丽,13922223333\n");
    std::fs::write(&csv, bytes).unwrap();
    let (t, roster) = gridmap::commands::import_staff(&p, &csv).unwrap();
    assert_eq!(roster.unmatched().count(), 0);
    let mut q = p.clone();
    t.apply(&mut q).unwrap();
    assert_eq!(q.grid("JP01-02").unwrap().staff.len(), 1);
    assert_eq!(q.grid("JP01-02").unwrap().staff[0].name, "孙丽");
    // Issue 12: the same from Windows, with a byte-order mark and CRLF line ends: no stray
    // carriage return in the phone, the last column.
    let csv = dir.path().join("名单-windows.csv");
    let text = "\u{feff}网格名称,职务,姓名,联系电话\r\n上村二组,网格员,孙丽,13922223333\r\n";
    std::fs::write(&csv, text).unwrap();
    let (t, roster) = gridmap::commands::import_staff(&p, &csv).unwrap();
    assert_eq!(roster.unmatched().count(), 0);
    let mut q = p.clone();
    t.apply(&mut q).unwrap();
    assert_eq!(q.grid("JP01-02").unwrap().staff[0].phone, "13922223333");
    // No usable header: a clear error naming the file.
    std::fs::write(dir.path().join("x.csv"), "a,b\n1,2\n").unwrap();
    let e = gridmap::commands::import_staff(&p, &dir.path().join("x.csv")).unwrap_err();
    let e = gridmap::error::report(&e);
    assert!(e.contains("x.csv") && e.contains("姓名"), "{e}");
}

#[test]
fn partition_proposals_for_every_village_tile_it_exactly_and_keep_the_size() {
    use gridmap::Kind;
    let coverage = |p: &Project| -> Vec<String> {
        audit(p, &AuditConfig::default())
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    Kind::Gap
                        | Kind::Overlap
                        | Kind::Sliver
                        | Kind::InvalidEdge
                        | Kind::OutsideParent
                        | Kind::InvalidGeometry
                        | Kind::Duplicate
                        | Kind::MalformedCode
                        | Kind::DuplicateCode
                )
            })
            .map(|f| f.message.en.clone())
            .collect()
    };
    let original = sample();
    let (mut sizes, mut in_range) = (0, 0);
    for v in original.grids.iter().filter(|g| g.level == 2) {
        for along_rivers in [false, true] {
            let mut p = original.clone();
            let opts = gridmap::edit::PartitionOptions {
                households: (200, 300),
                along_rivers,
            };
            let t = gridmap::commands::propose_partition(&p, &v.id, &opts).unwrap();
            t.apply(&mut p).unwrap();
            assert_eq!(
                coverage(&p),
                Vec::<String>::new(),
                "{} (rivers: {along_rivers})",
                v.name
            );
            let kids: Vec<&gridmap::Grid> = p.children_of(&v.id).collect();
            assert!(!kids.is_empty());
            // The village's natural villages are all counted once.
            let total: u32 = kids.iter().map(|k| k.households.unwrap()).sum();
            let points: u32 = original
                .villages
                .iter()
                .filter(|n| {
                    use geo::Contains;
                    v.geometry.contains(&n.location)
                })
                .map(|n| n.households.unwrap_or(0))
                .sum();
            assert_eq!(total, points, "{}", v.name);
            for k in &kids {
                let h = k.households.unwrap();
                assert!(h >= 200 || kids.len() == 1, "{} {} has {h}", v.name, k.name);
                sizes += 1;
                in_range += usize::from(h <= 300);
            }
            // Saved as GeoJSON (coordinates rounded to ~1 cm) it still audits clean.
            if !along_rivers {
                let dir = tempfile::tempdir().unwrap();
                let f = dir.path().join("p.geojson");
                gridmap::commands::export(&p, &f, &Default::default()).unwrap();
                let back = gridmap::io::open(&[f.as_path()], &ReadOptions::default()).unwrap();
                assert_eq!(
                    coverage(&back),
                    Vec::<String>::new(),
                    "{} after GeoJSON",
                    v.name
                );
            }
            // One invertible step.
            t.revert(&mut p).unwrap();
            assert_eq!(p.grids, original.grids);
        }
    }
    assert!(
        in_range * 10 >= sizes * 9,
        "{in_range} of {sizes} grids within 200-300 households"
    );
}

/// Where a grid's side is the township's edge, the four bounds name the township across it
/// when the boundary layer has it (a county's boundary set), and say 镇界 otherwise.
#[test]
fn four_bounds_name_the_neighbouring_township_across_the_edge() {
    use geo::BooleanOps;
    let mut p = sample();
    let i = index(&p, "JP05-01");
    let before = gridmap::records::four_bounds(&p, i);
    assert!(before.text().contains("镇界"), "{}", before.text());
    // Everything around the town, 3 km wide, is 龙潭镇 in the boundary layer.
    let town = p
        .grids
        .iter()
        .find(|g| g.level == 1)
        .unwrap()
        .geometry
        .clone();
    let e = gridmap::geom::envelope(&town).unwrap();
    let outer = geo::MultiPolygon(vec![
        geo::Rect::new(
            geo::Coord {
                x: e.min().x - 3000.0,
                y: e.min().y - 3000.0,
            },
            geo::Coord {
                x: e.max().x + 3000.0,
                y: e.max().y + 3000.0,
            },
        )
        .to_polygon(),
    ]);
    p.boundary.push(gridmap::model::Boundary {
        id: "LT".into(),
        name: "龙潭镇行政界线".into(),
        geometry: outer.difference(&town),
        extra: Default::default(),
    });
    let after = gridmap::records::four_bounds(&p, i);
    assert!(!after.text().contains("镇界"), "{}", after.text());
    assert!(
        after.text().contains("龙潭镇") && !after.text().contains("行政界线"),
        "{}",
        after.text()
    );
    // Sides that face other grids keep their names.
    assert!(after.text().contains("枫林村二组"), "{}", after.text());
}

#[test]
fn a_public_phone_comes_in_with_a_roster_and_survives_every_project_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    // A roster with a 公开 column: 是 marks the person, anything else does not.
    let csv = dir.path().join("名单.csv");
    std::fs::write(
        &csv,
        "网格编码,职务,姓名,联系电话,公开电话\n\
         431099101001001,网格长,周新,13911112222,是\n\
         431099101001001,网格员,吴明,13911113333,\n\
         431099101001001,河长,郑红,13911114444,否\n",
    )
    .unwrap();
    let (t, roster) = gridmap::commands::import_staff(&p, &csv).unwrap();
    assert_eq!(roster.unmatched().count(), 0);
    let mut q = p.clone();
    t.apply(&mut q).unwrap();
    let flags = |q: &Project| -> Vec<(String, bool)> {
        q.grid("JP01-01")
            .unwrap()
            .staff
            .iter()
            .map(|s| (s.name.clone(), s.public))
            .collect()
    };
    let want = vec![
        ("周新".to_string(), true),
        ("吴明".to_string(), false),
        ("郑红".to_string(), false),
    ];
    assert_eq!(flags(&q), want);
    // Saved and opened again in each project format, and as the roster gridmap exports.
    for name in ["p.geojson", "p.gpkg", "p.shp"] {
        let out = dir.path().join(name);
        let written = gridmap::commands::export(&q, &out, &Default::default()).unwrap();
        let files: Vec<&std::path::Path> = written.files.iter().map(|f| f.as_path()).collect();
        let back = gridmap::io::open(&files, &ReadOptions::default()).unwrap();
        assert_eq!(flags(&back), want, "{name}");
    }
    let exported = dir.path().join("导出名单.xlsx");
    gridmap::commands::export_staff(&q, &exported).unwrap();
    let (t, roster) = gridmap::commands::import_staff(&q, &exported).unwrap();
    assert_eq!(roster.unmatched().count(), 0);
    assert!(
        t.is_empty(),
        "the exported roster brings the flags back as they are"
    );
    // A file written before the flag existed: a GeoJSON without it reads as not public.
    let plain = dir.path().join("plain.geojson");
    gridmap::commands::export(&p, &plain, &Default::default()).unwrap();
    assert!(!std::fs::read_to_string(&plain).unwrap().contains("public"));
}
