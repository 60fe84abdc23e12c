//! Grid records in the properties panel: staff, four bounds, the change log, rosters, the parent.

use crate::common::ui::*;
use egui::Modifiers;
use egui_kittest::kittest::Queryable;
use gridmap::audit::Kind;
use gridmap::io::geojson::ReadOptions;

#[test]
fn an_invalid_staff_phone_shows_a_warning() {
    let mut h = app("jinping.geojson");
    h.state_mut().selection = vec!["JP05-01".into()];
    h.run_steps(2);
    let phone = h.state().doc.project().grid("JP05-01").unwrap().staff[0]
        .phone
        .clone();
    let field = h.get_all_by_value(&phone).next().expect("the phone field");
    field.focus();
    field.type_text("99");
    h.run_steps(3);
    let now = h.state().doc.project().grid("JP05-01").unwrap().staff[0]
        .phone
        .clone();
    assert!(now.ends_with("99") && now.len() == 13, "{now}");
    assert!(
        h.state()
            .doc
            .report()
            .of_kind(Kind::BadPhone)
            .any(|f| f.ids == vec!["JP05-01".to_string()])
    );
    assert!(
        h.query_all_by_label_contains("电话格式无效")
            .next()
            .is_some()
    );
}

#[test]
fn a_persons_phone_is_made_public_in_the_panel_as_one_undoable_step() {
    let mut h = app("jinping.geojson");
    h.state_mut().selection = vec!["JP05-01".into()];
    h.run_steps(2);
    let public = |h: &egui_kittest::Harness<gridmap::ui::GridmapApp>| -> Vec<bool> {
        h.state()
            .doc
            .project()
            .grid("JP05-01")
            .unwrap()
            .staff
            .iter()
            .map(|s| s.public)
            .collect()
    };
    assert!(public(&h).iter().all(|p| !p));
    let boxes: Vec<_> = h.get_all_by_label("公开").collect();
    assert_eq!(boxes.len(), public(&h).len(), "a checkbox per person");
    boxes[1].click();
    h.run_steps(3);
    let mut want = vec![false; public(&h).len()];
    want[1] = true;
    assert_eq!(public(&h), want);
    h.state_mut().execute(gridmap::ui::UiCommand::Undo);
    h.run_steps(2);
    assert!(public(&h).iter().all(|p| !p), "one step undone");
}

#[test]
fn four_bounds_are_shown_edited_by_hand_and_the_ledger_saved_from_the_app() {
    use gridmap::records::{FOUR_BOUNDS, four_bounds};
    let dir = tempfile::tempdir().unwrap();
    let mut h = app("jinping.geojson");
    let i = h
        .state()
        .doc
        .project()
        .grids
        .iter()
        .position(|g| g.id == "JP01-01")
        .unwrap();
    h.state_mut().selection = vec!["JP01-01".into()];
    h.run_steps(3);
    let derived = four_bounds(h.state().doc.project(), i);
    assert_eq!(derived.north, "镇界");
    // The panel shows the derived text; typing into 北至 makes it a hand-written record.
    h.get_by_label("（按地图自动生成）");
    // (The text field and its text run both carry the value.)
    h.get_all_by_value("镇界").next().unwrap().click();
    h.run_steps(2);
    h.get_all_by_value("镇界")
        .next()
        .unwrap()
        .type_text("（县界）");
    h.run_steps(3);
    let fb = four_bounds(h.state().doc.project(), i);
    assert!(fb.edited);
    assert_eq!(fb.north, "镇界（县界）");
    assert_eq!(fb.east, derived.east, "the other sides keep their text");
    h.get_by_label("（手工填写）");
    // Undo brings back the derived bounds.
    h.state_mut().execute(gridmap::ui::UiCommand::Undo);
    h.run_steps(2);
    assert!(
        !h.state().doc.project().grids[i]
            .extra
            .contains_key(FOUR_BOUNDS)
    );

    // The ledger from the File menu's typed path.
    let out = dir.path().join("网格台账.xlsx");
    file_menu(&mut h, "导出台账…", &out);
    h.run_steps(3);
    assert!(out.exists(), "{}", h.state().message);
    assert!(h.state().message.contains("台账"));
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(wb.worksheet_range("网格").unwrap().rows().count(), 81);
    assert!(
        h.state().doc.path.is_none(),
        "a ledger is not the project file"
    );
}

#[test]
fn edits_are_logged_per_grid_with_the_user_and_kept_in_the_project_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app("jinping.geojson");
    // The user name is typed in the Edit menu.
    h.get_by_label("编辑").click();
    h.run_steps(2);
    h.state_mut().doc.user = "王小明".into();
    h.run_steps(1);
    h.state_mut().selection = vec!["JP02-01".into()];
    h.run_steps(2);
    // Rename the grid in the properties panel: one logged change.
    h.get_all_by_value("下村一组").next().unwrap().click();
    h.run_steps(2);
    h.get_all_by_value("下村一组")
        .next()
        .unwrap()
        .type_text("东");
    h.run_steps(3);
    let g = h.state().doc.project().grid("JP02-01").unwrap().clone();
    assert_eq!(g.name, "下村一组东");
    let log = g.history();
    assert_eq!(log.len(), 1, "typing in one field is one change: {log:?}");
    assert_eq!(log[0].user, "王小明");
    assert!(log[0].what.contains("名称"), "{:?}", log[0]);
    // The entry says what the name was and what it became.
    assert_eq!(
        log[0].fields,
        vec![gridmap::model::FieldChange {
            field: "name".into(),
            old: "下村一组".into(),
            new: "下村一组东".into(),
        }]
    );
    // Local time (China Standard Time by default), which the entry names.
    let offset = gridmap::timing::offset_text(gridmap::timing::local_offset_minutes());
    assert_eq!(
        log[0].time.len(),
        23,
        "YYYY-MM-DD HH:MM +08:00: {}",
        log[0].time
    );
    assert!(log[0].time.ends_with(&offset), "{}", log[0].time);
    let now = gridmap::timing::local_stamp(gridmap::timing::unix_now());
    assert_eq!(log[0].time[..10], now[..10], "today's local date");
    // Saved with the project and read back.
    let out = dir.path().join("p.gpkg");
    h.state_mut().save_to(&out);
    let back = gridmap::io::open(&[out.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(back.grid("JP02-01").unwrap().history(), log);
    // Undo takes the entry away with the change.
    h.state_mut().execute(gridmap::ui::UiCommand::Undo);
    h.run_steps(2);
    assert!(
        h.state()
            .doc
            .project()
            .grid("JP02-01")
            .unwrap()
            .history()
            .is_empty()
    );
}

#[test]
fn a_staff_roster_opened_in_the_app_is_previewed_then_imported_as_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("名单.csv");
    std::fs::write(
        &roster,
        "网格编码,职务,姓名,联系电话\n431099101001001,网格长,周新,13911112222\n000,网格员,无名,13911113333\n",
    )
    .unwrap();
    let mut h = app("jinping.geojson");
    file_menu(&mut h, "打开…", &roster);
    h.run_steps(3);
    assert!(h.state().dialogs.roster.is_some(), "{}", h.state().message);
    h.get_by_label("未匹配的行：1");
    h.get_by_label("导入").click();
    h.run_steps(3);
    assert!(h.state().dialogs.roster.is_none());
    let staff = h
        .state()
        .doc
        .project()
        .grid("JP01-01")
        .unwrap()
        .staff
        .clone();
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].name, "周新");
    h.state_mut().execute(gridmap::ui::UiCommand::Undo);
    h.run_steps(2);
    assert_eq!(
        h.state().doc.project().grid("JP01-01").unwrap().staff.len(),
        3
    );
}

/// The parent is shown and chosen by name; the map stays still when the properties panel
/// changes; the staff fields show a full name and an 11-digit phone.
#[test]
fn parent_by_name_a_still_map_and_full_staff_fields() {
    let mut h = app("jinping.geojson");
    let spot = egui::pos2(700.0, 400.0);
    let world = h.state().view.to_world(spot);
    let g = h.state().doc.project().grid("JP05-01").unwrap().clone();
    let inside = geo::InteriorPoint::interior_point(&g.geometry).unwrap().0;
    let p = screen(&h, inside);
    click_at(&mut h, p, Modifiers::NONE);
    assert_eq!(h.state().selection, vec!["JP05-01".to_string()]);
    let after = h.state().view.to_world(spot);
    let px = (after.x - world.x).hypot(after.y - world.y) * h.state().view.scale;
    assert!(px < 0.5, "the map moved {px} px");
    // 上级 shows the village's name, and another village can be picked by name.
    h.get_by_value("青山村 (431099101005)").click();
    h.run_steps(2);
    h.get_by_label("下村 (431099101002)").click();
    h.run_steps(2);
    assert_eq!(
        h.state()
            .doc
            .project()
            .grid("JP05-01")
            .unwrap()
            .parent
            .as_deref(),
        Some("JP02")
    );
    // An 11-digit phone fits its field.
    let phone = g.staff[0].phone.clone();
    // The field is wider than its text (the laid-out text is the other node of that value).
    let fits = |v: &str| {
        let field = h
            .get_all_by_role(egui::accesskit::Role::TextInput)
            .find(|n| n.value().as_deref() == Some(v))
            .expect("the field")
            .rect()
            .width();
        let text = h
            .get_all_by_value(v)
            .map(|n| n.rect().width())
            .fold(f32::MAX, f32::min);
        assert!(
            text > 10.0 && field >= text + 4.0,
            "{v}: field {field}, text {text}"
        );
    };
    fits(&phone);
    fits(&g.staff[0].name);
}
