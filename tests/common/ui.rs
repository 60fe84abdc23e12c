//! The app driven as a user drives it (egui_kittest): opening, clicking, dragging,
//! typing into the in-window file dialog. Shared by the GUI tests.

use egui::{Event, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::Coord;
use gridmap::audit::Kind;
use gridmap::ui::GridmapApp;
use std::path::Path;

pub use super::load;

pub fn app(name: &str) -> Harness<'static, GridmapApp> {
    let project = load(name);
    let mut h = window(move |ctx| GridmapApp::new(ctx, project, None));
    h.run_steps(4);
    h
}

/// The app `make` builds, in a window of 1400 x 900 points, before its first frame.
pub fn window(
    make: impl FnOnce(&egui::Context) -> GridmapApp + 'static,
) -> Harness<'static, GridmapApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| make(&cc.egui_ctx))
}

/// Run frames until a document being opened off the UI thread is taken in.
pub fn settle(h: &mut Harness<GridmapApp>) {
    let start = std::time::Instant::now();
    while h.state().loading.is_some() {
        assert!(start.elapsed().as_secs() < 60, "opening took over a minute");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run_steps(2);
}

pub fn screen(h: &Harness<GridmapApp>, c: Coord<f64>) -> Pos2 {
    h.state().view.to_screen(c)
}

pub fn press(h: &mut Harness<GridmapApp>, pos: Pos2, pressed: bool, modifiers: Modifiers) {
    // With the modifier keys held, as a user holding Shift would.
    h.event_modifiers(
        Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers,
        },
        modifiers,
    );
}

pub fn click_at(h: &mut Harness<GridmapApp>, pos: Pos2, modifiers: Modifiers) {
    h.hover_at(pos);
    h.run_steps(1);
    press(h, pos, true, modifiers);
    h.run_steps(1);
    press(h, pos, false, modifiers);
    h.run_steps(2);
}

/// Pick `item` in the File menu and choose `path` in the file dialog drawn in the window,
/// as a user without a system file dialog does: type the path as the file name, Enter.
pub fn file_menu(h: &mut Harness<GridmapApp>, item: &str, path: &Path) {
    h.state_mut().dialogs.native_dialogs = false;
    h.get_by_label("文件").click();
    h.run_steps(2);
    // The entry's label carries its keys where it has them (另存为… Ctrl+Shift+S).
    h.get_by_label_contains(item).click();
    h.run_steps(3);
    assert!(
        h.state().dialogs.file_chooser.is_some(),
        "the file dialog opens"
    );
    type_file_name(h, path);
    assert!(
        h.state().dialogs.file_chooser.is_none(),
        "the file dialog closes"
    );
}

/// Type `path` into the file name field of the open in-window file dialog, then Enter.
pub fn type_file_name(h: &mut Harness<GridmapApp>, path: &Path) {
    fn field<'a>(h: &'a Harness<GridmapApp>) -> egui_kittest::Node<'a> {
        let label = h.get_by_label("文件名：").rect();
        h.get_all_by_role(egui::accesskit::Role::TextInput)
            .filter(|n| n.rect().left() > label.left())
            .min_by(|a, b| {
                let d = |n: &egui_kittest::Node| (n.rect().center().y - label.center().y).abs();
                d(a).total_cmp(&d(b))
            })
            .expect("the file name field")
    }
    field(h).focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    field(h).type_text(&path.display().to_string());
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
}

/// A copy of the sample township in `dir` under `name`.
pub fn sample_copy(dir: &Path, name: &str) -> std::path::PathBuf {
    let file = dir.join(name);
    std::fs::copy(super::sample_path(), &file).unwrap();
    file
}

/// Undo with the keyboard, as a user does.
pub fn ctrl_z(h: &mut Harness<GridmapApp>) {
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
}

/// Press at `from`, move to `to` in `steps` frames and release there, as a mouse drag.
pub fn drag(h: &mut Harness<GridmapApp>, from: Pos2, to: Pos2, steps: usize) {
    h.hover_at(from);
    h.run_steps(1);
    press(h, from, true, Modifiers::NONE);
    h.run_steps(1);
    for k in 1..=steps {
        h.hover_at(from + (to - from) * (k as f32 / steps as f32));
        h.run_steps(1);
    }
    press(h, to, false, Modifiers::NONE);
    h.run_steps(2);
}

pub fn count(h: &Harness<GridmapApp>, kind: Kind) -> usize {
    h.state().doc.report().of_kind(kind).count()
}

/// Pick the gap finding in the audit list (zooms to it and highlights it).
pub fn zoom_to_gap(h: &mut Harness<GridmapApp>) -> gridmap::Finding {
    let row = h
        .state()
        .doc
        .auditor()
        .findings()
        .position(|f| f.kind == Kind::Gap)
        .expect("a gap");
    h.state_mut()
        .execute(gridmap::ui::UiCommand::ZoomFinding(row));
    h.run_steps(2);
    let f = h.state().audit_view.highlight.clone().expect("highlighted");
    assert_eq!(f.kind, Kind::Gap);
    (*f).clone()
}
