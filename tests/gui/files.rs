//! Files: opening, importing (shapefile, DXF, rivers), saving and exporting, recovery copies, large projects off the UI thread, settings.

use crate::common::rename_dbf_fields;
use crate::common::ui::*;
use egui::Modifiers;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridmap::audit::Kind;
use gridmap::io::geojson::ReadOptions;
use gridmap::ui::GridmapApp;
use gridmap::{Crs, geom};
use std::path::Path;

#[test]
fn settings_remember_language_and_recent_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    let mut s = gridmap::ui::Settings::default();
    for k in 0..10 {
        s.remember(Path::new(&format!("/data/{k}.geojson")));
    }
    s.remember(Path::new("/data/3.geojson"));
    s.english = true;
    s.save(&path).unwrap();
    let back = gridmap::ui::Settings::load(&path);
    assert_eq!(back, s);
    assert_eq!(back.recent.len(), 8);
    assert_eq!(back.recent[0], Path::new("/data/3.geojson"));
}

#[test]
fn a_recovery_copy_is_offered_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_copy(dir.path(), "town.geojson");
    // The recovery copy holds an edit the session never saved: one grid fewer.
    let mut edited = load("jinping.geojson");
    edited.grids.retain(|g| g.id != "JP05-02");
    gridmap::commands::export(
        &edited,
        &dir.path().join(".town.geojson.recovery.gpkg"),
        &Default::default(),
    )
    .unwrap();
    let project = gridmap::io::open(&[file.as_path()], &ReadOptions::default()).unwrap();
    let path = file.clone();
    let mut h = window(move |ctx| GridmapApp::new(ctx, project, Some(path)).with_recovery());
    h.run_steps(3);
    h.get_by_label("恢复").click();
    h.run_steps(1);
    settle(&mut h);
    let app = h.state();
    assert_eq!(app.doc.project().grids.len(), 79);
    assert!(app.doc.dirty, "recovered work is unsaved");
    assert_eq!(
        app.doc.path.as_deref(),
        Some(file.as_path()),
        "saving goes to the original file"
    );
    assert!(!dir.path().join(".town.geojson.recovery.gpkg").exists());
}

#[test]
fn a_file_opens_through_the_in_window_file_dialog() {
    let mut h = app("jinping.geojson");
    file_menu(
        &mut h,
        "打开…",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-maps/jinping-faulty.geojson"),
    );
    h.run_steps(1);
    settle(&mut h);
    assert_eq!(count(&h, Kind::Gap), 1, "{}", h.state().message);
    assert!(
        h.state()
            .doc
            .path
            .as_ref()
            .is_some_and(|p| p.ends_with("jinping-faulty.geojson"))
    );
    assert!(
        h.state()
            .settings
            .recent
            .iter()
            .any(|p| p.ends_with("jinping-faulty.geojson"))
    );
}

/// The sample township in EPSG:4525 (3-degree Gauss-Krüger zone 25, zone-prefixed
/// eastings), as a county office's shapefile has it.
fn jinping_in_zone_25() -> gridmap::model::Project {
    let mut r = load("jinping.geojson");
    let rp = gridmap::io::Reprojector::new(Crs::epsg(4546), Crs::epsg(4525)).unwrap();
    for g in &mut r.grids {
        use geo::MapCoordsInPlace;
        g.geometry.map_coords_in_place(|c| rp.point(c));
    }
    r.crs = Crs::epsg(4525);
    r
}

/// A county shapefile without .prj or .cpg, GBK text, zone-prefixed GK coordinates and an
/// unusual code column: the import dialog suggests the zone, takes the encoding and the
/// code column chosen, and the result saves as a GeoPackage that remembers the mapping.
#[test]
fn shapefile_import_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let r = jinping_in_zone_25();
    gridmap::io::shp::write(
        &r,
        &dir.path().join("县发.shp"),
        gridmap::io::shp::DbfEncoding::Gbk,
    )
    .unwrap();
    let shp = dir.path().join("县发_grids.shp");
    std::fs::remove_file(shp.with_extension("prj")).unwrap();
    std::fs::remove_file(shp.with_extension("cpg")).unwrap();
    let dbf = shp.with_extension("dbf");
    rename_dbf_fields(&dbf, &[("ID", "OBJ_ID"), ("CODE", "BIANMA")]);
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[29] = 0;
    std::fs::write(&dbf, bytes).unwrap();

    let mut h = app("jinping.geojson");
    file_menu(&mut h, "打开…", &shp);
    h.run_steps(3);
    {
        let d = h
            .state()
            .dialogs
            .import_dialog
            .as_ref()
            .expect("the import dialog opens");
        assert!(d.needs_crs);
        assert_eq!(
            d.crs_text, "4525",
            "the zone is recognised from the eastings"
        );
        assert!(d.preview.is_ok(), "{:?}", d.preview);
    }
    // Map the code column, choose the encoding, accept.
    h.get_by_value("（无）").click();
    h.run_steps(2);
    h.get_by_label("BIANMA").click();
    h.run_steps(2);
    h.get_by_value("自动识别").click();
    h.run_steps(2);
    h.get_by_label("GBK").click();
    h.run_steps(3);
    h.get_by_label("确定").click();
    h.run_steps(3);
    let app_state = h.state();
    assert!(app_state.dialogs.import_dialog.is_none());
    let p = &app_state.doc.project();
    assert_eq!(p.crs, Crs::epsg(4525));
    assert_eq!(p.grids.len(), r.grids.len());
    for (a, b) in p.grids.iter().zip(&r.grids) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.code, b.code);
        assert_eq!(a.staff, b.staff);
    }
    assert_eq!(p.settings["field_map"]["code"], "BIANMA");
    assert_eq!(p.settings["import_encoding"], "GBK");

    // Save to a typed path as the project file.
    let out = dir.path().join("晋屏镇.gpkg");
    file_menu(&mut h, "另存为…", &out);
    h.run_steps(3);
    assert_eq!(
        h.state().doc.path.as_deref(),
        Some(out.as_path()),
        "{}",
        h.state().message
    );
    assert!(!h.state().doc.dirty);
    let saved = gridmap::io::open(&[out.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(saved.grids, h.state().doc.project().grids);
    assert_eq!(saved.settings["field_map"]["code"], "BIANMA");
}

/// `gridmap --print FILE`: the print dialog opens once FILE is in, after the worker's read
/// or after the import dialog's 确定, not over the document open before it.
#[test]
fn print_on_start_waits_for_the_file_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = jinping_in_zone_25();
    r.grids.truncate(5);
    gridmap::io::shp::write(
        &r,
        &dir.path().join("五格.shp"),
        gridmap::io::shp::DbfEncoding::Utf8,
    )
    .unwrap();
    let shp = dir.path().join("五格_grids.shp");
    let mut h = app("jinping.geojson");
    let before = h.state().doc.project().grids.len();
    assert_ne!(before, 5);
    h.state_mut().open(&shp);
    h.state_mut().when_opened(gridmap::ui::UiCommand::Print);
    h.run_steps(3);
    assert!(
        h.state().dialogs.import_dialog.is_some(),
        "a shapefile opens through the import dialog"
    );
    assert!(
        h.state().dialogs.print_dialog.is_none(),
        "the print dialog waits for the import"
    );
    h.get_by_label("确定").click();
    h.run_steps(3);
    settle(&mut h);
    assert!(h.state().dialogs.import_dialog.is_none());
    assert_eq!(
        h.state().doc.project().grids.len(),
        5,
        "{}",
        h.state().message
    );
    assert_eq!(h.state().doc.project().crs.epsg, 4525);
    assert!(
        h.state().dialogs.print_dialog.is_some(),
        "the print dialog opens on the imported project"
    );

    // A file read on the worker: the dialog opens once the document is in.
    let json = dir.path().join("五格.geojson");
    let opts = gridmap::io::geojson::WriteOptions { keep_crs: true };
    std::fs::write(&json, gridmap::io::geojson::to_geojson(&r, &opts).unwrap()).unwrap();
    h.state_mut().dialogs.print_dialog = None;
    h.state_mut().open(&json);
    h.state_mut().when_opened(gridmap::ui::UiCommand::Print);
    assert!(h.state().loading.is_some());
    assert!(h.state().dialogs.print_dialog.is_none());
    settle(&mut h);
    assert_eq!(
        h.state().doc.project().grids.len(),
        5,
        "{}",
        h.state().message
    );
    assert_eq!(h.state().doc.path.as_deref(), Some(json.as_path()));
    assert!(h.state().dialogs.print_dialog.is_some());

    // A file that cannot be read: no dialog over the document that stays.
    let broken = dir.path().join("坏.geojson");
    std::fs::write(&broken, "{ not json").unwrap();
    h.state_mut().dialogs.print_dialog = None;
    h.state_mut().open(&broken);
    h.state_mut().when_opened(gridmap::ui::UiCommand::Print);
    settle(&mut h);
    assert_eq!(h.state().doc.project().grids.len(), 5);
    assert!(h.state().dialogs.print_dialog.is_none());
}

/// Issue 11: importing layers other than grids bypassed the undo history. Rivers imported
/// from a typed path are one undo step: Ctrl+Z takes them away exactly, Ctrl+Y brings them
/// back, and the audit follows.
#[test]
fn imported_rivers_are_one_undo_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app("jinping.geojson");
    let before = h.state().doc.project().clone();
    // A new stream between the centres of two grids, in longitude/latitude as another
    // program writes it.
    let centre = |id: &str| {
        geo::InteriorPoint::interior_point(&before.grid(id).unwrap().geometry)
            .unwrap()
            .0
    };
    let (a, b) = (centre("JP01-01"), centre("JP02-01"));
    let (la, lb) = (h.state().lonlat(a).unwrap(), h.state().lonlat(b).unwrap());
    let path = dir.path().join("new_rivers.geojson");
    let json = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"layer": "river", "id": "R-new", "name": "新溪"},
        "geometry": {"type": "LineString", "coordinates": [[la.x, la.y], [lb.x, lb.y]]}
    }]});
    std::fs::write(&path, json.to_string()).unwrap();
    file_menu(&mut h, "导入图层…", &path);
    h.run_steps(3);
    let p = h.state().doc.project().clone();
    assert_eq!(
        p.rivers.len(),
        before.rivers.len() + 1,
        "{}",
        h.state().message
    );
    assert_eq!(p.grids, before.grids);
    // The audit measures the new river: its length by grid adds up to the line's length.
    let table = h
        .state()
        .doc
        .report()
        .rivers
        .iter()
        .find(|r| r.id == "R-new")
        .expect("the new river is audited")
        .clone();
    let straight = (b.x - a.x).hypot(b.y - a.y);
    assert!(
        (table.length_m - straight).abs() < 1e-3 * straight,
        "{} vs {straight}",
        table.length_m
    );
    let parts: f64 = table.by_grid.iter().map(|g| g.length_m).sum::<f64>() + table.outside_m;
    assert!((parts - table.length_m).abs() < 0.01);
    // Ctrl+Z: the project is exactly as before, and so is its audit.
    ctrl_z(&mut h);
    assert_eq!(h.state().doc.project(), &before);
    assert!(
        !h.state()
            .doc
            .report()
            .rivers
            .iter()
            .any(|r| r.id == "R-new")
    );
    // Ctrl+Y: back again.
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Y);
    h.run_steps(2);
    assert_eq!(h.state().doc.project(), &p);
}

/// Issue 11: opening a large project froze the window. The file is read and the document
/// prepared off the UI thread: the window keeps drawing frames with a progress dialog, then
/// shows the project, audited.
#[test]
fn a_large_project_opens_off_the_ui_thread_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("大县.gpkg");
    let big = gridmap::synth::synthetic_project(6_000, 11, 1);
    gridmap::commands::export(&big, &file, &Default::default()).unwrap();
    let mut h = app("jinping.geojson");
    file_menu(&mut h, "打开…", &file);
    h.run_steps(1);
    assert!(h.state().loading.is_some(), "opened off the UI thread");
    // Frames go on while it loads, with the progress dialog.
    h.step();
    assert!(
        h.state().loading.is_none() || h.query_by_label_contains("正在打开").is_some(),
        "a progress dialog while loading"
    );
    settle(&mut h);
    let app = h.state();
    assert_eq!(app.doc.project().grids.len(), 6_001);
    assert_eq!(app.doc.path.as_deref(), Some(file.as_path()));
    assert_eq!(app.doc.auditor().count(gridmap::Severity::Error), 0);
    // The view was fitted to the new map.
    let c = app.view.to_world(app.view.rect.center());
    let env = geom::envelope(&app.doc.project().grids[0].geometry).unwrap();
    assert!(geom::rects_intersect(&env, &geo::Rect::new(c, c)));
}

/// Issue 11: saving and the recovery copy wrote the whole project on the UI thread. A large
/// project is written by a worker from its own copy, kept by replaying the edits: the
/// window goes on, and the file holds the edit made just before saving.
#[test]
fn a_large_project_is_saved_off_the_ui_thread() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.gpkg");
    let big = gridmap::synth::synthetic_project(6_000, 12, 1);
    let mut h = window(move |ctx| GridmapApp::new(ctx, big, None));
    settle(&mut h);
    let id = h.state().doc.project().grids[10].id.clone();
    {
        let app = h.state_mut();
        let t = gridmap::edit::set_record(&app.doc, &id, "名称 / Name", |g| {
            g.name = "后台保存".into()
        })
        .unwrap();
        app.commit(t);
    }
    h.run_steps(1);
    assert!(h.state().doc.dirty);
    h.state_mut()
        .execute(gridmap::ui::UiCommand::SavePath(file.clone()));
    assert!(h.state().saving(), "written off the UI thread");
    let start = std::time::Instant::now();
    while h.state().saving() {
        assert!(start.elapsed().as_secs() < 60);
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!h.state().doc.dirty, "{}", h.state().message);
    assert_eq!(h.state().doc.path.as_deref(), Some(file.as_path()));
    let back = gridmap::io::open(&[file.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(back.grids.len(), 6_001);
    assert_eq!(back.grid(&id).unwrap().name, "后台保存");
}

/// Saving retires the recovery copies of the work (under its old name too), and a copy
/// older than its file is not offered again.
#[test]
fn saving_retires_recovery_copies() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_copy(dir.path(), "town.geojson");
    let copy = dir.path().join(".town.geojson.recovery.gpkg");
    gridmap::commands::export(&load("jinping.geojson"), &copy, &Default::default()).unwrap();
    let project = gridmap::io::open(&[file.as_path()], &ReadOptions::default()).unwrap();
    let path = file.clone();
    let mut h = window(move |ctx| GridmapApp::new(ctx, project, Some(path)));
    h.run_steps(3);
    let out = dir.path().join("晋屏镇 新.gpkg");
    file_menu(&mut h, "另存为…", &out);
    assert_eq!(
        h.state().doc.path.as_deref(),
        Some(out.as_path()),
        "{}",
        h.state().message
    );
    assert!(!copy.exists(), "the old name's recovery copy is retired");

    // A copy older than the file it recovers is outdated.
    gridmap::commands::export(&load("jinping.geojson"), &copy, &Default::default()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, std::fs::read(&file).unwrap()).unwrap();
    let project = gridmap::io::open(&[file.as_path()], &ReadOptions::default()).unwrap();
    let path = file.clone();
    let mut h = window(move |ctx| GridmapApp::new(ctx, project, Some(path)).with_recovery());
    h.run_steps(3);
    assert!(h.query_by_label("恢复").is_none(), "not offered");
    assert!(!copy.exists());
}

#[test]
fn a_damaged_project_file_is_refused_with_its_name_and_the_map_stays() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("坏项目.gpkg");
    gridmap::io::gpkg::write(&load("jinping.geojson"), &gpkg).unwrap();
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    conn.execute(
        "UPDATE gridmap_meta SET value = 'abc' WHERE key = 'format_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let mut h = app("jinping.geojson");
    file_menu(&mut h, "打开…", &gpkg);
    settle(&mut h);
    let m = h.state().message.clone();
    assert!(m.contains("坏项目.gpkg") && m.contains("格式版本"), "{m}");
    assert!(m.contains("format version \"abc\" is not a number"), "{m}");
    assert_eq!(h.state().doc.project().grids.len(), 80);
}

#[test]
fn saving_shapefiles_over_an_earlier_export_says_what_was_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("导出.shp");
    // An earlier export of the whole township: grids, rivers, reservoirs, villages.
    let full = load("jinping.geojson");
    gridmap::commands::export(&full, &out, &Default::default()).unwrap();
    assert!(dir.path().join("导出_rivers.shp").exists());
    // This project has grids only.
    let mut grids_only = full.clone();
    grids_only.rivers.clear();
    grids_only.reservoirs.clear();
    grids_only.villages.clear();
    grids_only.boundary.clear();
    let mut h = window(move |ctx| GridmapApp::new(ctx, grids_only, None));
    h.run_steps(4);
    file_menu(&mut h, "另存为…", &out);
    h.run_steps(3);
    let m = h.state().message.clone();
    assert!(m.contains("已导出"), "{m}");
    assert!(
        m.contains("已删除此前导出留下的") && m.contains("导出_rivers.shp"),
        "{m}"
    );
    assert!(m.contains("removed layers of an earlier export"), "{m}");
    assert!(!dir.path().join("导出_rivers.shp").exists());
    assert!(!dir.path().join("导出_villages.dbf").exists());
    let back = gridmap::io::open(
        &[dir.path().join("导出_grids.shp").as_path()],
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(back.grids.len(), 80);
    assert!(back.rivers.is_empty());
}

fn dxf_fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dxf")
        .join(name)
}

/// A CASS drawing (GBK, zone-prefixed eastings) opened through the import dialog: the CAD
/// layers are listed, the river and well layers are left out, the preview follows, and
/// the villages and their groups open in the drawing's zone.
#[test]
fn dxf_import_dialog_lists_layers_and_reads_the_chosen_ones() {
    let mut h = app("jinping.geojson");
    file_menu(&mut h, "打开…", &dxf_fixture("cass_r2000_gbk.dxf"));
    h.run_steps(3);
    {
        let d = h
            .state()
            .dialogs
            .import_dialog
            .as_ref()
            .expect("the import dialog opens");
        assert!(!d.needs_crs, "zone 38 is read from the eastings");
        let names: Vec<&str> = d.cad_layers.iter().map(|l| l.0.as_str()).collect();
        for l in ["村界", "组界", "河流", "井"] {
            assert!(names.contains(&l), "{names:?}");
        }
        let preview = d.preview.as_ref().expect("a preview");
        assert!(preview.starts_with("4 个网格 grids, 1 条河流"), "{preview}");
    }
    h.get_by_label("河流 (1)").click();
    h.run_steps(3);
    h.get_by_label("井 (1)").click();
    h.run_steps(3);
    {
        let d = h.state().dialogs.import_dialog.as_ref().unwrap();
        let preview = d.preview.as_ref().expect("a preview");
        assert!(preview.starts_with("4 个网格 grids, 0 条河流"), "{preview}");
    }
    h.get_by_label("确定").click();
    h.run_steps(3);
    settle(&mut h);
    let p = h.state().doc.project();
    assert!(h.state().dialogs.import_dialog.is_none());
    assert_eq!(p.crs, Crs::epsg(4526));
    assert!(p.rivers.is_empty());
    let mut names: Vec<(&str, u8)> = p.grids.iter().map(|g| (g.name.as_str(), g.level)).collect();
    names.sort();
    assert_eq!(names, [("一组", 3), ("东村", 2), ("二组", 3), ("西村", 2)]);
    assert_eq!(
        count(&h, Kind::Gap) + count(&h, Kind::Overlap) + count(&h, Kind::Sliver),
        0
    );
}

/// A drawing whose eastings carry no zone: the dialog asks for the CRS; typed, it opens.
#[test]
fn dxf_without_a_zone_asks_for_the_crs_in_the_dialog() {
    let mut h = app("jinping.geojson");
    file_menu(&mut h, "打开…", &dxf_fixture("utf8_r2013_nozone.dxf"));
    h.run_steps(3);
    {
        let d = h
            .state()
            .dialogs
            .import_dialog
            .as_ref()
            .expect("the import dialog opens");
        assert!(d.needs_crs);
        assert!(d.preview.is_err());
    }
    // Type the code into the field beside "EPSG:".
    let label = h.get_by_label("EPSG:").rect();
    let field = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .min_by(|a, b| {
            let d = |n: &egui_kittest::Node| {
                (n.rect().center().y - label.center().y).abs()
                    + (n.rect().left() - label.right()).abs()
            };
            d(a).total_cmp(&d(b))
        })
        .expect("the EPSG field");
    field.click();
    h.run_steps(1);
    let field = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.is_focused())
        .expect("the EPSG field has the focus");
    field.type_text("4545");
    h.run_steps(3);
    let d = h.state().dialogs.import_dialog.as_ref().unwrap();
    assert!(d.preview.is_ok(), "{:?} {:?}", d.crs_text, d.preview);
    h.get_by_label("确定").click();
    h.run_steps(3);
    settle(&mut h);
    let p = h.state().doc.project();
    assert_eq!(p.crs, Crs::epsg(4545));
    assert_eq!(p.grids.len(), 1);
    assert_eq!(p.grids[0].name, "南村");
}

/// File → 导出到手机: a KMZ in WGS 84, then with GCJ-02 ticked a KML offset by GCJ-02; and
/// File → 导出 CAD 图: a DXF that reads back with every grid. The document's file stays.
#[test]
fn kml_kmz_and_dxf_are_exported_from_the_file_menu() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app("jinping.geojson");
    let project = h.state().doc.project().clone();
    let kmz = dir.path().join("手机.kmz");
    file_menu(&mut h, "导出到手机（KML/KMZ）…", &kmz);
    h.run_steps(2);
    let back = gridmap::io::open(&[kmz.as_path()], &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{e}; {}", h.state().message));
    assert_eq!(back.grids.len(), project.grids.len());
    let a = project.grids.iter().find(|g| g.id == "JP01").unwrap();
    let b = back.grids.iter().find(|g| g.id == "JP01").unwrap();
    assert_eq!((&a.name, &a.code, &a.staff), (&b.name, &b.code, &b.staff));
    assert!(geom::area(&a.geometry) - geom::area(&b.geometry) < 0.01);
    // GCJ-02 ticked in the File menu: the same grid comes back a few hundred metres off.
    h.get_by_label("文件").click();
    h.run_steps(2);
    h.get_by_label("KML 坐标用 GCJ-02（奥维叠加商业地图）")
        .click();
    h.run_steps(2);
    assert!(h.state().settings.kml_gcj02);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    let kml = dir.path().join("奥维.kml");
    file_menu(&mut h, "导出到手机（KML/KMZ）…", &kml);
    h.run_steps(2);
    let offset = gridmap::io::open(&[kml.as_path()], &ReadOptions::default()).unwrap();
    let c = offset.grids.iter().find(|g| g.id == "JP01").unwrap();
    let (p0, q0) = (
        a.geometry.0[0].exterior().0[0],
        c.geometry.0[0].exterior().0[0],
    );
    let d = (p0.x - q0.x).hypot(p0.y - q0.y);
    assert!((100.0..1000.0).contains(&d), "GCJ-02 offset {d} m");
    let dxf = dir.path().join("cad.dxf");
    file_menu(&mut h, "导出 CAD 图（DXF）…", &dxf);
    h.run_steps(2);
    let drawing = gridmap::io::open(&[dxf.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(drawing.grids.len(), project.grids.len());
    assert_eq!(drawing.rivers.len(), project.rivers.len());
    assert!(
        h.state().doc.path.is_none(),
        "exports leave the document's file as it was"
    );
}

/// Triangles of the meshes the last frame drew (grid fills are meshes; panels and text are
/// not), nested shapes included.
fn mesh_triangles(h: &Harness<GridmapApp>) -> usize {
    fn count(s: &egui::Shape) -> usize {
        match s {
            egui::Shape::Mesh(m) => m.indices.len() / 3,
            egui::Shape::Vec(v) => v.iter().map(count).sum(),
            _ => 0,
        }
    }
    h.output().shapes.iter().map(|c| count(&c.shape)).sum()
}

/// Issue 25: a file opened off the UI thread showed an empty map until the mouse moved (no
/// frame was asked for when the document came in). Frames with no input at all, as an
/// idle window gets them, draw the whole new map.
#[test]
fn an_opened_project_is_drawn_without_any_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("open.gpkg");
    let big = gridmap::synth::synthetic_project(6_000, 5, 1);
    gridmap::commands::export(&big, &file, &Default::default()).unwrap();
    let mut h = app("jinping.geojson");
    let before = mesh_triangles(&h);
    file_menu(&mut h, "打开…", &file);
    h.run_steps(1);
    assert!(h.state().loading.is_some(), "opened off the UI thread");
    // The window sleeps between the progress dialog's frames: the worker wakes it for a
    // frame at once when the document is ready (no frame runs meanwhile here, so only the
    // worker can ask).
    let woken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = woken.clone();
    h.ctx.set_request_repaint_callback(move |info| {
        if info.delay.is_zero() {
            w.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let start = std::time::Instant::now();
    while !woken.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(start.elapsed().as_secs() < 60, "opening took over a minute");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        h.state().loading.as_ref().unwrap().fraction() >= 0.999,
        "woken when the document is ready, not before"
    );
    // Only frames, no event: each step is what the window would draw when asked.
    while h.state().loading.is_some() {
        assert!(start.elapsed().as_secs() < 60, "opening took over a minute");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // The frames the app asks for itself, and no more: an idle window draws again only
    // when asked.
    let wants_frame = |h: &Harness<GridmapApp>| {
        h.output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay.is_zero())
    };
    let mut asked = 0;
    while wants_frame(&h) && asked < 50 {
        h.step();
        asked += 1;
    }
    let after = mesh_triangles(&h);
    assert_eq!(h.state().doc.project().grids.len(), 6_001);
    assert!(
        after >= 6_000 && after > 10 * before,
        "the new map's 6,000 grids are drawn ({after} triangles; the sample had {before})"
    );
    let app = h.state();
    let c = app.view.to_world(app.view.rect.center());
    let env = geom::envelope(&app.doc.project().grids[0].geometry).unwrap();
    assert!(geom::rects_intersect(&env, &geo::Rect::new(c, c)), "fitted");
}

/// A few hundred grids traced along rivers carry millions of vertices: such a project
/// (here given on the command line, which opens small projects at once) is prepared off
/// the UI thread too, the window live, whatever its number of grids.
#[test]
fn a_project_of_few_dense_grids_opens_off_the_ui_thread() {
    let dense = gridmap::synth::synthetic_dense(40, 5, 2000);
    let vertices: usize = dense
        .grids
        .iter()
        .map(|g| geo::CoordsIter::coords_count(&g.geometry))
        .sum();
    assert!(
        dense.grids.len() < gridmap::ui::loading::SYNC_LIMIT
            && vertices >= gridmap::ui::loading::SYNC_VERTICES,
        "few grids ({}), many vertices ({vertices})",
        dense.grids.len()
    );
    let n = dense.grids.len();
    let mut dense = dense;
    dense.settings.insert(
        "print".into(),
        serde_json::json!({ "office": "密集镇人民政府" }),
    );
    let mut h = window(move |ctx| GridmapApp::new(ctx, dense, None));
    assert!(h.state().loading.is_some(), "prepared off the UI thread");
    // `gridmap --print FILE`: the print dialog opens once the document is in, for it.
    h.state_mut().loading.as_mut().unwrap().then = Some(gridmap::ui::UiCommand::Print);
    settle(&mut h);
    h.run_steps(3);
    assert_eq!(h.state().doc.project().grids.len(), n);
    assert!(mesh_triangles(&h) >= n, "the dense grids are drawn");
    let office = h
        .state()
        .dialogs
        .print_dialog
        .as_ref()
        .map(|d| d.office.clone());
    assert_eq!(
        office.expect("the print dialog is open"),
        "密集镇人民政府",
        "the dialog is the opened project's (its saved print settings)"
    );
}

#[test]
fn publish_from_the_file_menu_asks_about_audit_errors_then_writes_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("网站");
    let mut h = app("jinping-faulty.geojson");
    h.get_by_label("文件").click();
    h.run_steps(2);
    h.get_by_label_contains("发布网页").click();
    h.run_steps(3);
    // The folder field names one in the temporary folder: the dialog starts there.
    h.state_mut()
        .dialogs
        .publish_dialog
        .as_mut()
        .unwrap()
        .folder = dir.path().join("旧网站").display().to_string();
    assert!(
        h.state().dialogs.publish_dialog.is_some(),
        "the publish dialog opens"
    );
    // The folder chosen with the folder dialog (a new, empty folder).
    std::fs::create_dir(&site).unwrap();
    h.state_mut().dialogs.native_dialogs = false;
    h.get_by_label("选择…").click();
    h.run_steps(3);
    assert!(
        h.state().dialogs.file_chooser.is_some(),
        "the folder dialog opens"
    );
    // It starts beside the folder the dialog named (the project's): choose 网站 there.
    h.get_by_label("🗀 网站").click();
    h.run_steps(2);
    h.get_by_label("打开").click();
    h.run_steps(3);
    assert_eq!(
        h.state().dialogs.publish_dialog.as_ref().unwrap().folder,
        site.display().to_string()
    );
    // The site is written on a worker thread: frames go on until it is done.
    let finish = |h: &mut egui_kittest::Harness<gridmap::ui::GridmapApp>| {
        for _ in 0..400 {
            h.run_steps(1);
            let d = h.state().dialogs.publish_dialog.as_ref();
            if d.is_none_or(|d| d.job.is_none()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("publishing did not finish");
    };
    h.get_by_label("发布").click();
    h.run_steps(1);
    finish(&mut h);
    // The faulty sample has audit errors: nothing is written before the user confirms.
    let seen = h
        .state()
        .dialogs
        .publish_dialog
        .as_ref()
        .unwrap()
        .errors_seen;
    assert!(seen.is_some_and(|n| n > 0), "{seen:?}");
    assert_eq!(
        std::fs::read_dir(&site).unwrap().count(),
        0,
        "nothing written"
    );
    h.get_by_label("仍然发布").click();
    h.run_steps(1);
    assert!(
        h.state()
            .dialogs
            .publish_dialog
            .as_ref()
            .unwrap()
            .job
            .is_some(),
        "publishing runs off the UI thread"
    );
    finish(&mut h);
    h.run_steps(2);
    assert!(
        h.state().message.contains("已发布网页"),
        "{}",
        h.state().message
    );
    // The dialog says what was written and offers to open it, then closes.
    let files = h
        .state()
        .dialogs
        .publish_dialog
        .as_ref()
        .unwrap()
        .published
        .as_ref()
        .unwrap()
        .files
        .len();
    h.get_by_label_contains(&format!(
        "已发布：{}（{files} 个文件，{files} 个有变化）",
        site.display()
    ));
    h.get_by_label("打开网页");
    h.get_by_label("关闭").click();
    h.run_steps(2);
    assert!(
        h.state().dialogs.publish_dialog.is_none(),
        "the dialog closes"
    );
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    let project = h.state().doc.project();
    let dirs = gridmap::publish::page_dirs(project);
    for (g, d) in project.grids.iter().zip(&dirs) {
        assert!(index.contains(&format!("g/{d}/index.html")), "{}", g.id);
        let page = std::fs::read_to_string(site.join("g").join(d).join("index.html")).unwrap();
        assert!(
            page.contains(&format!("<h1>{}</h1>", g.label())),
            "{}",
            g.id
        );
    }
}
