//! The print dialog: preview, export, output names and warnings.

use crate::common::ui::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridmap::ui::GridmapApp;

#[test]
fn print_dialog_previews_the_sheet_and_exports_a_board() {
    use gridmap::print::Layout;
    let dir = tempfile::tempdir().unwrap();
    let mut h = app("jinping.geojson");
    h.state_mut().selection = vec!["JP01-01".into()];
    h.get_by_label("文件").click();
    h.run_steps(2);
    h.get_by_label_contains("打印…").click();
    h.run_steps(4);
    {
        let s = h.state();
        let d = s
            .dialogs
            .print_dialog
            .as_ref()
            .expect("the print dialog opens");
        assert_eq!(d.layout, Layout::Board, "a selected grid prints its board");
        assert_eq!(d.grid.as_deref(), Some("JP01-01"));
        let t = s.dialogs.print_preview.as_ref().unwrap().texture.as_ref();
        // A3 portrait: 297 × 420 mm previewed 720 px tall.
        assert_eq!(t.expect("a preview").size(), [509, 720]);
    }
    // The township map instead: the preview turns to the landscape A0 sheet.
    h.get_by_value("网格公示牌").click();
    h.run_steps(2);
    h.get_by_label("全镇网格图").click();
    h.run_steps(4);
    {
        let s = h.state();
        assert_eq!(
            s.dialogs.print_dialog.as_ref().unwrap().layout,
            Layout::Township
        );
        let t = s
            .dialogs
            .print_preview
            .as_ref()
            .unwrap()
            .texture
            .as_ref()
            .unwrap();
        assert_eq!(t.size(), [720, 509]);
    }
    // Back to the board; hotline and output typed; export.
    h.get_by_value("全镇网格图").click();
    h.run_steps(2);
    h.get_by_label("网格公示牌").click();
    h.run_steps(2);
    let out = dir.path().join("上村一组公示牌.pdf");
    {
        let s = h.state_mut();
        let d = s.dialogs.print_dialog.as_mut().unwrap();
        d.hotline = "0739-7654321".into();
        d.out = out.display().to_string();
    }
    h.run_steps(2);
    h.get_by_label("导出").click();
    h.run_steps(3);
    assert!(out.exists(), "{}", h.state().message);
    assert!(
        h.state().message.contains("已导出"),
        "{}",
        h.state().message
    );
    let text = std::process::Command::new("pdftotext")
        .args([out.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("上村河长制网格公示牌"), "{text}");
    assert!(text.contains("监督电话：0739-7654321"));
    assert!(text.contains("13900000007"), "the grid head's phone");
    // The hotline is remembered with the project.
    assert_eq!(
        h.state().doc.project().settings["print"]["hotline"],
        "0739-7654321"
    );
    assert!(h.state().doc.dirty);
}

/// The print dialog names the output after the layout and the grid, warns while the audit
/// has errors, and finds a grid by typing.
#[test]
fn print_output_follows_layout_and_grid_and_warns_of_errors() {
    let mut h = app("jinping-faulty.geojson");
    h.get_by_label("文件").click();
    h.run_steps(2);
    h.get_by_label_contains("打印…").click();
    h.run_steps(3);
    let township = h.state().dialogs.print_dialog.as_ref().unwrap().out.clone();
    assert!(township.contains("全镇网格图"), "{township}");
    assert!(
        h.query_by_label_contains("检查仍有").is_some(),
        "warns of the errors"
    );
    h.get_by_value("全镇网格图").click();
    h.run_steps(2);
    h.get_by_label("网格公示牌").click();
    h.run_steps(3);
    let board = h.state().dialogs.print_dialog.as_ref().unwrap().out.clone();
    assert_ne!(board, township);
    assert!(board.contains("网格公示牌"), "{board}");
    // Find 青山村二组 by typing part of its name.
    let shown = h
        .state()
        .dialogs
        .print_dialog
        .as_ref()
        .and_then(|d| d.grid.clone())
        .and_then(|id| h.state().doc.grid(&id).map(|g| g.label().to_string()))
        .unwrap();
    let combo = h.get_by_value(&shown).rect();
    h.get_by_value(&shown).click();
    h.run_steps(2);
    // The search field opens at the top of the list, just under the picker.
    fn search<'a>(h: &'a Harness<GridmapApp>, combo: egui::Rect) -> egui_kittest::Node<'a> {
        h.get_all_by_role(egui::accesskit::Role::TextInput)
            .filter(|n| n.rect().top() >= combo.bottom() - 1.0)
            .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
            .expect("the search field")
    }
    search(&h, combo).focus();
    h.run_steps(1);
    search(&h, combo).type_text("青山村二");
    h.run_steps(2);
    h.get_by_label_contains("青山村二组 (").click();
    h.run_steps(3);
    let d = h.state().dialogs.print_dialog.as_ref().unwrap();
    let g = h.state().doc.grid(d.grid.as_deref().unwrap()).unwrap();
    assert_eq!(g.name, "青山村二组");
    assert!(d.out.contains("青山村二组"), "{}", d.out);
}

/// A township map of thousands of grids too small to label: the preview names the first
/// ten labels without room and how many there are, not all of them (the list pushed the
/// preview out of the dialog).
#[test]
fn the_preview_names_a_few_of_thousands_of_labels_without_room() {
    let project = gridmap::synth::synthetic_project(3_000, 5, 1);
    let mut h = window(move |ctx| GridmapApp::new(ctx, project, None));
    h.run_steps(2);
    h.state_mut().execute(gridmap::ui::UiCommand::Print);
    h.run_steps(4);
    let omitted = h
        .state()
        .dialogs
        .print_preview
        .as_ref()
        .expect("a preview")
        .omitted
        .clone();
    assert!(omitted.len() > 10, "{} labels without room", omitted.len());
    let note = {
        use egui_kittest::kittest::NodeT;
        let node = h.get_by_label_contains("放不下的标注");
        node.accesskit_node().value().unwrap_or_default()
    };
    assert!(
        note.starts_with(&format!("放不下的标注 ({}): ", omitted.len())),
        "{note}"
    );
    assert_eq!(note.matches('、').count(), 9, "ten names: {note}");
    assert!(note.contains(&omitted[0]) && note.ends_with(" …"), "{note}");
    assert!(!note.contains(&format!("{}、", omitted[10])), "{note}");
    // The preview image is in view below the note.
    assert!(
        h.state()
            .dialogs
            .print_preview
            .as_ref()
            .unwrap()
            .texture
            .is_some()
    );
}
