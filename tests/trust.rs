//! What is saved is what was audited, in the app (issue 22): the faulty sample fixed with
//! the app's own tools, saved in every format through the file dialog and opened again,
//! audits as the app showed it; the recovery copy is exact and is not offered after the
//! user chose not to save.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridmap::audit::Kind;
use gridmap::ui::GridmapApp;
use gridmap::{Project, Severity};
use std::path::Path;

mod common;
use common::ui::*;

fn errors(h: &Harness<GridmapApp>) -> Vec<(Kind, Vec<String>)> {
    h.state()
        .doc
        .auditor()
        .findings()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.kind, f.ids.clone()))
        .collect()
}

/// The audit as the panel lists it: kind, grids and sizes of every finding.
fn listed(h: &Harness<GridmapApp>) -> Vec<String> {
    let mut v: Vec<String> = h
        .state()
        .doc
        .auditor()
        .findings()
        .map(|f| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {}",
                f.kind, f.ids, f.area_m2, f.length_m, f.width_m, f.message.zh
            )
        })
        .collect();
    v.sort();
    v
}

/// The row of the first finding of `kind` in the audit list.
fn row_of(h: &Harness<GridmapApp>, kind: Kind) -> usize {
    h.state()
        .doc
        .auditor()
        .findings()
        .position(|f| f.kind == kind)
        .unwrap_or_else(|| panic!("a {kind:?} finding"))
}

/// Click 定位 on the row of the first finding of `kind`, as a user does.
fn locate(h: &mut Harness<GridmapApp>, kind: Kind) -> gridmap::Finding {
    let row = row_of(h, kind);
    let f = h
        .state()
        .doc
        .auditor()
        .findings()
        .nth(row)
        .cloned()
        .unwrap();
    h.get_all_by_label("定位").nth(row).expect("定位").click();
    h.run_steps(3);
    (*f).clone()
}

/// Merge the gap or sliver of `kind` into the neighbour its row offers first.
fn merge_from_row(h: &mut Harness<GridmapApp>, kind: Kind) {
    let f = h
        .state()
        .doc
        .auditor()
        .findings()
        .find(|f| f.kind == kind)
        .cloned()
        .unwrap();
    let targets = h.state_mut().gap_targets(&f);
    let name = h
        .state()
        .doc
        .grid(&targets[0].0)
        .unwrap()
        .label()
        .to_string();
    h.get_by_label(&format!("并入 {name}")).click();
    h.run_steps(3);
    assert_eq!(count(h, kind), 0, "{kind:?}: {}", h.state().message);
}

/// Delete, with 节点编辑 and the Delete key, the vertex of grid `id` that the clean sample
/// does not have (the fault planted there).
fn delete_planted_vertex(h: &mut Harness<GridmapApp>, clean: &Project, id: &str) -> bool {
    let ring = |p: &Project| p.grid(id).unwrap().geometry.0[0].exterior().0.clone();
    let now = ring(h.state().doc.project());
    let was = ring(clean);
    let Some(&v) = now.iter().find(|c| !was.contains(c)) else {
        return false;
    };
    h.get_by_label("节点编辑").click();
    h.run_steps(2);
    let at = screen(h, v);
    h.hover_at(at);
    h.run_steps(2);
    h.key_press(egui::Key::Delete);
    h.run_steps(3);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    true
}

/// A township staff member's day: the faulty sample fixed with the app's tools until the
/// audit shows no error, then saved as every format through File → 另存为… and opened again
/// through File → 打开…: each reopens with exactly the audit the app showed (it used to
/// come back from GeoJSON with slivers and outside parts). With `UPDATE_TEST_DATA=1` the
/// fixed map is kept as test data for the round-trip tests.
#[test]
fn the_faulty_sample_fixed_in_the_app_reopens_with_the_same_audit_from_every_format() {
    let mut h = app("jinping-faulty.geojson");
    let clean = load("jinping.geojson");
    merge_from_row(&mut h, Kind::Gap);
    merge_from_row(&mut h, Kind::Sliver);
    for kind in [Kind::Overlap, Kind::OutsideParent] {
        let f = locate(&mut h, kind);
        let fixed = f
            .ids
            .iter()
            .any(|id| delete_planted_vertex(&mut h, &clean, id));
        assert!(fixed, "{kind:?}: a planted vertex in {:?}", f.ids);
        assert_eq!(count(&h, kind), 0, "{kind:?}: {}", h.state().message);
    }
    // The grid without a grid head: 定位 selects it; its head is added in 人员.
    let f = locate(&mut h, Kind::MissingStaff);
    assert_eq!(h.state().selection, vec![f.ids[0].clone()]);
    h.get_by_label("添加人员").click();
    h.run_steps(2);
    let id = f.ids[0].clone();
    let n = h.state().doc.grid(&id).unwrap().staff.len() - 1;
    // The new row's empty fields show what goes in them.
    for (hint, text) in [("姓名", "王小明"), ("电话", "13812345678")] {
        h.get_all_by(|node| node.placeholder() == Some(hint))
            .last()
            .unwrap_or_else(|| panic!("an empty {hint} field"))
            .focus();
        h.run_steps(1);
        h.get_all_by(|node| node.placeholder() == Some(hint))
            .last()
            .unwrap()
            .type_text(text);
        h.run_steps(2);
    }
    let head = h.state().doc.grid(&id).unwrap().staff[n].clone();
    assert_eq!(
        (head.name.as_str(), head.phone.as_str()),
        ("王小明", "13812345678")
    );
    // The role picked for a new row is 网格员: enough for a level-3 grid.
    assert_eq!(errors(&h), vec![], "no error left");
    let shown = listed(&h);
    let project = h.state().doc.project().clone();
    if std::env::var_os("UPDATE_TEST_DATA").is_some() {
        let keep = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/edited/jinping-fixed-in-app.gpkg");
        std::fs::create_dir_all(keep.parent().unwrap()).unwrap();
        gridmap::commands::export(&project, &keep, &Default::default()).unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    for name in [
        "晋屏镇.geojson",
        "晋屏镇.gpkg",
        "晋屏镇.shp",
        "晋屏镇.kml",
        "晋屏镇.kmz",
        "晋屏镇.dxf",
    ] {
        let out = dir.path().join(name);
        file_menu(&mut h, "另存为…", &out);
        settle(&mut h);
        let written = if name.ends_with(".shp") {
            // A shapefile set is one file per layer.
            dir.path().join("晋屏镇_grids.shp")
        } else {
            out.clone()
        };
        let opened = if written.exists() {
            written
        } else {
            out.clone()
        };
        assert!(opened.exists(), "{name}: {}", h.state().message);
        // A fresh window with nothing open, as the next day starts.
        let mut again = Harness::builder()
            .with_size(egui::vec2(1400.0, 900.0))
            .build_eframe(|cc| GridmapApp::new(&cc.egui_ctx, Project::default(), None));
        again.run_steps(3);
        file_menu(&mut again, "打开…", &opened);
        settle(&mut again);
        if again.state().dialogs.import_dialog.is_some() {
            // Shapefiles and CAD drawings open through the import dialog.
            again.get_by_label("确定").click();
            again.run_steps(3);
            settle(&mut again);
        }
        assert!(again.state().dialogs.import_dialog.is_none(), "{name}");
        assert_eq!(
            again.state().doc.project().grids.len(),
            project.grids.len(),
            "{name}: {}",
            again.state().message
        );
        let records = |p: &Project| {
            let mut v: Vec<_> = p
                .grids
                .iter()
                .map(|g| {
                    (
                        g.id.clone(),
                        g.name.clone(),
                        g.parent.clone(),
                        format!("{:?}", g.staff),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            records(again.state().doc.project()),
            records(&project),
            "{name}: the records"
        );
        let got = listed(&again);
        assert_eq!(got, shown, "{name}: the audit after reopening");
    }
}

/// 定位 on a gap selects the grids around it (their record shows, not one selected before);
/// 定位 on a missing grid head shows that grid whole, not a 1:400 corner of it (issue 22,
/// item 6).
#[test]
fn locating_a_gap_selects_its_grids_and_a_record_finding_shows_its_grid_whole() {
    let mut h = app("jinping-faulty.geojson");
    h.state_mut().selection = vec!["JP20-01".into()];
    let gap = locate(&mut h, Kind::Gap);
    let around: Vec<String> = gap.ids[..gap.ids.len() - 1].to_vec();
    assert_eq!(h.state().selection, around, "the grids beside the gap");
    let name = h.state().doc.grid(&around[0]).unwrap().name.clone();
    assert!(h.query_all_by_value(&name).next().is_some(), "{name} shown");
    // A finding of a record: its grid fills a good part of the map.
    let f = locate(&mut h, Kind::MissingStaff);
    let g = h.state().doc.grid(&f.ids[0]).unwrap().clone();
    let env = gridmap::geom::envelope(&g.geometry).unwrap();
    let (a, b) = (screen(&h, env.min()), screen(&h, env.max()));
    let view = h.state().view.rect;
    assert!(
        view.contains(a) && view.contains(b),
        "{} shown whole",
        g.name
    );
    let share = ((b.x - a.x).abs() / view.width()).max((b.y - a.y).abs() / view.height());
    assert!(share > 0.3, "{} fills {share:.2} of the map", g.name);
}

/// The properties panel scrolls: below a long change log, opened, the staff are still
/// reached and a person added (issue 22, item 7).
#[test]
fn the_properties_scroll_to_the_staff_below_an_open_change_log() {
    let mut h = app("jinping.geojson");
    for k in 0..40 {
        // Alternating fields: each edit its own entry in the log.
        let what = if k % 2 == 0 {
            "备注 / Notes"
        } else {
            "户数 / Households"
        };
        let t = gridmap::edit::set_record(&h.state().doc, "JP05-01", what, |g| {
            if k % 2 == 0 {
                g.notes = format!("第 {k} 次修改");
            } else {
                g.households = Some(200 + k);
            }
        })
        .unwrap();
        h.state_mut().commit(t);
        h.state_mut().doc.seal();
    }
    h.state_mut().selection = vec!["JP05-01".into()];
    h.run_steps(2);
    h.get_by_label_contains("变更记录").click();
    // The log opens with an animation.
    h.run_steps(30);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0));
    let before = h.state().doc.grid("JP05-01").unwrap().staff.len();
    let add = h.get_by_label("添加人员");
    assert!(
        !window.contains(add.rect().center()),
        "the log pushes it below the window: {:?}",
        add.rect()
    );
    add.scroll_to_me();
    h.run_steps(3);
    let add = h.get_by_label("添加人员");
    assert!(
        window.contains(add.rect().center()),
        "scrolled into view: {:?}",
        add.rect()
    );
    add.click();
    h.run_steps(2);
    assert_eq!(
        h.state().doc.grid("JP05-01").unwrap().staff.len(),
        before + 1
    );
}

/// 沿边追踪 follows a hole's edge the short way; Backspace takes back the whole traced
/// run; Esc drops the sketch and keeps the tool, a second Esc leaves it (issue 22, item 8).
#[test]
fn tracing_follows_a_hole_backspace_takes_back_the_run_and_esc_keeps_the_tool() {
    use geo::{Coord, LineString, MultiPolygon, Polygon};
    let ring = |pts: &[(f64, f64)]| {
        let mut v: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
        v.push(v[0]);
        LineString(v)
    };
    let hole = [
        (100.0, 100.0),
        (200.0, 100.0),
        (200.0, 200.0),
        (150.0, 230.0),
        (100.0, 200.0),
    ];
    let outer = MultiPolygon(vec![Polygon::new(
        ring(&[(0.0, 0.0), (300.0, 0.0), (300.0, 300.0), (0.0, 300.0)]),
        vec![ring(&hole)],
    )]);
    let mut a = gridmap::Grid::new("A", 3, outer);
    a.name = "外围".into();
    let project = Project {
        crs: gridmap::Crs::epsg(4546),
        grids: vec![a],
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, project, None));
    h.run_steps(4);
    assert!(h.state().drawing.trace, "沿边追踪 is on by default");
    h.get_by_label("绘制网格").click();
    h.run_steps(2);
    let at = |x: f64, y: f64| Coord { x, y };
    {
        let pos = screen(&h, at(40.0, 40.0));
        click_at(&mut h, pos, egui::Modifiers::NONE);
    }
    {
        let pos = screen(&h, at(100.0, 100.0));
        click_at(&mut h, pos, egui::Modifiers::NONE);
    }
    {
        let pos = screen(&h, at(200.0, 200.0));
        click_at(&mut h, pos, egui::Modifiers::NONE);
    }
    let pts = match &h.state().tool {
        gridmap::ui::Tool::Draw(p) => p.clone(),
        t => panic!("still drawing: {t:?}"),
    };
    // Along the hole the short way: (100,100) → (200,100) → (200,200), not round by
    // (100,200) and (150,230).
    assert_eq!(pts.len(), 4, "{pts:?}");
    assert_eq!(
        pts[1..],
        [at(100.0, 100.0), at(200.0, 100.0), at(200.0, 200.0)]
    );
    h.key_press(egui::Key::Backspace);
    h.run_steps(2);
    let pts = match &h.state().tool {
        gridmap::ui::Tool::Draw(p) => p.clone(),
        t => panic!("still drawing: {t:?}"),
    };
    assert_eq!(pts.len(), 2, "the traced run goes at once: {pts:?}");
    assert_eq!(pts[1], at(100.0, 100.0));
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(
        matches!(&h.state().tool, gridmap::ui::Tool::Draw(p) if p.is_empty()),
        "Esc drops the sketch, the tool stays: {:?}",
        h.state().tool
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(matches!(h.state().tool, gridmap::ui::Tool::Select));
}

/// The overlap's vertex dragged back onto the neighbour's edge in the app: the overlap is
/// gone, the neighbour takes the vertex, and the live audit equals a fresh one at every
/// frame (issue 22, item 4).
#[test]
fn dragging_the_overlaps_vertex_onto_the_neighbours_edge_leaves_a_fresh_audit() {
    let mut h = app("jinping-faulty.geojson");
    let clean = load("jinping.geojson");
    let f = locate(&mut h, Kind::Overlap);
    let ring = |p: &Project, id: &str| p.grid(id).unwrap().geometry.0[0].exterior().0.clone();
    let (id, v) = f
        .ids
        .iter()
        .find_map(|id| {
            let was = ring(&clean, id);
            ring(h.state().doc.project(), id)
                .into_iter()
                .find(|c| !was.contains(c))
                .map(|v| (id.clone(), v))
        })
        .expect("the planted vertex");
    let other = f.ids.iter().find(|x| **x != id).unwrap().clone();
    // The nearest point of the neighbour's outline.
    let theirs = ring(h.state().doc.project(), &other);
    let target = theirs
        .windows(2)
        .map(|w| gridmap::geom::closest_on_segment(v, w[0], w[1]))
        .min_by(|a, b| {
            (a.x - v.x)
                .hypot(a.y - v.y)
                .total_cmp(&(b.x - v.x).hypot(b.y - v.y))
        })
        .unwrap();
    h.get_by_label("节点编辑").click();
    h.run_steps(2);
    let (from, to) = (screen(&h, v), screen(&h, target));
    h.hover_at(from);
    h.run_steps(1);
    press(&mut h, from, true, egui::Modifiers::NONE);
    h.run_steps(1);
    for k in 1..=6 {
        h.hover_at(from + (to - from) * (k as f32 / 6.0));
        h.run_steps(1);
        h.state()
            .doc
            .verify()
            .unwrap_or_else(|e| panic!("frame {k}: {e}"));
    }
    press(&mut h, to, false, egui::Modifiers::NONE);
    h.run_steps(2);
    h.state()
        .doc
        .verify()
        .unwrap_or_else(|e| panic!("after the drop: {e}"));
    assert_eq!(count(&h, Kind::Overlap), 0, "{}", h.state().message);
    assert_eq!(count(&h, Kind::InvalidEdge), 0);
    ctrl_z(&mut h);
    h.state().doc.verify().unwrap();
    assert_eq!(count(&h, Kind::Overlap), 1, "one undo step");
}

/// A grid deleted, then drawn again around its hole with 避让重叠, the rectangle's side a
/// pixel inside one corner: the new grid is valid and fills the hole with no sliver left
/// (issue 22, item 3).
#[test]
fn a_rectangle_drawn_around_a_hole_fills_it_with_no_sliver() {
    let mut h = app("jinping.geojson");
    let before = h.state().doc.project().clone();
    let hole = before.grid("JP05-01").unwrap().clone();
    let t = gridmap::edit::delete(&h.state().doc, &["JP05-01".to_string()]).unwrap();
    h.state_mut().commit(t);
    h.state_mut().selection.clear();
    let env = gridmap::geom::envelope(&hole.geometry).unwrap();
    h.state_mut().view.fit(gridmap::geom::expand(env, 50.0));
    h.run_steps(2);
    // Inside the hole, under the parent: the new grid's level and parent come from there.
    assert!(h.state().drawing.avoid_overlap, "避让重叠 is on by default");
    h.get_by_label("绘制网格").click();
    h.run_steps(2);
    let px = 1.0 / h.state().view.scale;
    // A pixel inside the hole's topmost corner, well outside elsewhere.
    let top = hole.geometry.0[0]
        .exterior()
        .0
        .iter()
        .copied()
        .max_by(|a, b| a.y.total_cmp(&b.y))
        .unwrap();
    let (x0, y0, x1, y1) = (
        env.min().x - 20.0,
        env.min().y - 20.0,
        env.max().x + 20.0,
        top.y - px,
    );
    for (x, y) in [(x0, y0), (x1, y0), (x1, y1), (x0, y1)] {
        {
            let pos = screen(&h, geo::Coord { x, y });
            click_at(&mut h, pos, egui::Modifiers::NONE);
        }
    }
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let p = h.state().doc.project();
    assert_eq!(p.grids.len(), before.grids.len(), "{}", h.state().message);
    let g = p.grids.last().unwrap();
    assert_eq!(g.parent, hole.parent);
    let a = gridmap::geom::area(&g.geometry);
    let want = gridmap::geom::area(&hole.geometry);
    assert!((a - want).abs() < 1e-3 * want, "{a} vs {want}");
    for k in [
        Kind::Gap,
        Kind::Sliver,
        Kind::Overlap,
        Kind::InvalidEdge,
        Kind::InvalidGeometry,
    ] {
        assert_eq!(count(&h, k), 0, "{k:?}");
    }
    h.state().doc.verify().unwrap();
}

/// The smaller things a new user met (issue 22, item 9), each as the user meets it.
#[test]
fn the_newcomers_small_list() {
    let mut h = app("jinping.geojson");
    // The menus show their keys; Help lists them.
    h.get_by_label("文件").click();
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("Ctrl+S")
            .any(|n| n.rect().width() > 0.0),
        "保存 shows Ctrl+S"
    );
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.get_by_label("帮助").click();
    h.run_steps(2);
    h.get_by_label("快捷键").click();
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("Ctrl+Shift+S")
            .next()
            .is_some()
    );
    assert!(h.query_by_label("Backspace").is_some());
    // No level-4 layer where no grid has level 4.
    assert!(h.query_by_label("四级网格").is_none());
    assert!(h.query_by_label("三级网格").is_some());
    // A piece split off keeps a working name: the audit warns, the print dialog says so,
    // and an empty hotline is named before printing.
    let g = h.state().doc.grid("JP05-01").unwrap().clone();
    let env = gridmap::geom::envelope(&g.geometry).unwrap();
    let line = geo::LineString(vec![
        geo::Coord {
            x: env.min().x - 10.0,
            y: env.center().y,
        },
        geo::Coord {
            x: env.max().x + 10.0,
            y: env.center().y + 5.0,
        },
    ]);
    let t = gridmap::edit::split(&h.state().doc, "JP05-01", &line).unwrap();
    h.state_mut().commit(t);
    h.run_steps(2);
    assert!(
        count(&h, Kind::WorkingName) >= 1,
        "the split piece's name is flagged"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::P);
    h.run_steps(3);
    assert!(
        h.state().dialogs.print_dialog.is_some(),
        "Ctrl+P opens the print dialog"
    );
    assert!(h.query_by_label_contains("监督电话为空").is_some());
    assert!(
        h.query_by_label_contains("仍是临时名称，将印在图上")
            .is_some()
    );
    h.state_mut().dialogs.print_dialog.as_mut().unwrap().hotline = "0735-5551234".into();
    h.run_steps(3);
    assert!(h.query_by_label_contains("监督电话为空").is_none());
    h.state_mut().dialogs.print_dialog = None;
    h.run_steps(2);
    // A person added and not yet typed in is no error.
    h.state_mut().selection = vec!["JP05-02".into()];
    h.run_steps(2);
    let errors = h.state().doc.auditor().count(gridmap::Severity::Error);
    h.get_by_label("添加人员").click();
    h.run_steps(2);
    assert_eq!(
        h.state().doc.auditor().count(gridmap::Severity::Error),
        errors
    );
    // The status bar speaks one language, and forgets an old message at the next edit.
    h.state_mut().message = gridmap::error::bilingual("已保存：x", "saved: x");
    h.run_steps(2);
    assert!(h.query_by_label("已保存：x").is_some());
    assert!(h.query_by_label_contains("saved: x").is_none());
    let t = gridmap::edit::set_record(&h.state().doc, "JP05-02", "户数 / Households", |g| {
        g.households = Some(250);
    })
    .unwrap();
    h.state_mut().commit(t);
    h.run_steps(2);
    assert!(
        h.query_by_label("已保存：x").is_none(),
        "{}",
        h.state().message
    );
    // In English the roster's Remove buttons fit inside the panel.
    h.get_by_label("English").click();
    h.run_steps(3);
    let right = h
        .get_all_by_label("Remove")
        .map(|n| n.rect().right())
        .fold(0.0f32, f32::max);
    assert!(right > 0.0 && right <= 1400.0, "Remove ends at {right}");
    let four = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .filter(|n| n.rect().left() > 1000.0)
        .map(|n| n.rect().width())
        .fold(0.0f32, f32::max);
    assert!(four >= 200.0, "record fields are {four} wide");
}

/// The recovery copy is the project exactly (GeoPackage: the same audit and records as the
/// open work, where the GeoJSON copy raised the errors from 2 to 10), and after 不保存退出
/// it is gone and not offered at the next start (issue 22, item 1).
#[test]
fn the_recovery_copy_is_exact_and_gone_after_quitting_without_saving() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("晋屏镇.gpkg");
    gridmap::commands::export(&load("jinping-faulty.geojson"), &file, &Default::default()).unwrap();
    let project = gridmap::io::open(&[file.as_path()], &Default::default()).unwrap();
    let path = file.clone();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, project, Some(path)));
    h.run_steps(3);
    // Fix the sliver with the app (its row's 并入), then the minute's recovery copy.
    merge_from_row(&mut h, Kind::Sliver);
    assert!(h.state().doc.dirty);
    h.state_mut().write_recovery();
    let copy = dir.path().join(".晋屏镇.gpkg.recovery.gpkg");
    let start = std::time::Instant::now();
    while !copy.exists() || h.state().saving() {
        assert!(start.elapsed().as_secs() < 30, "the copy is written");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let back = gridmap::io::open(&[copy.as_path()], &Default::default()).unwrap();
    let mut again = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, back, None));
    again.run_steps(3);
    assert_eq!(
        listed(&again),
        listed(&h),
        "the copy audits as the work does"
    );
    assert_eq!(
        again.state().doc.project().grids,
        h.state().doc.project().grids,
        "and holds the same grids"
    );
    // The window's close button, then 不保存退出.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.run_steps(2);
    h.get_by_label("不保存退出").click();
    h.run_steps(2);
    assert!(!copy.exists(), "the recovery copy is gone");
    let project = gridmap::io::open(&[file.as_path()], &Default::default()).unwrap();
    let path = file.clone();
    let mut next = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| GridmapApp::new(&cc.egui_ctx, project, Some(path)).with_recovery());
    next.run_steps(3);
    assert!(next.query_by_label("恢复").is_none(), "nothing is offered");
}
