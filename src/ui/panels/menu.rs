//! The menu bar: File, Edit, View, Help and the language switch.

use super::super::{GridmapApp, Lang, Settings, UiCommand, help::Page};
use egui::Color32;

/// The menu bar's own state: the user name while it is being typed.
#[derive(Default)]
pub struct MenuBar {
    user: Option<String>,
}

impl MenuBar {
    pub fn ui(&mut self, ui: &mut egui::Ui, app: &GridmapApp) -> Vec<UiCommand> {
        let mut cmds = Vec::new();
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button(app.t("file"), |ui| file_menu(app, ui, &mut cmds));
                ui.menu_button(app.t("edit"), |ui| self.edit_menu(app, ui, &mut cmds));
                ui.menu_button(app.t("view"), |ui| view_menu(app, ui, &mut cmds));
                ui.menu_button(app.t("help"), |ui| {
                    for (key, page) in [
                        ("help_start", Page::Start),
                        ("help_keys", Page::Keys),
                        ("help_about", Page::About),
                    ] {
                        if ui.button(app.t(key)).clicked() {
                            cmds.push(UiCommand::Help(page));
                            ui.close();
                        }
                    }
                });
                if ui.button(app.t("language")).clicked() {
                    cmds.push(UiCommand::ToggleLanguage);
                }
            });
        });
        cmds
    }

    fn edit_menu(&mut self, app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
        let edit = [
            UiCommand::Undo,
            UiCommand::Redo,
            UiCommand::Renumber(Vec::new()),
        ];
        command_items(ui, app.lang, edit, cmds);
        ui.horizontal(|ui| {
            ui.label(app.t("user"));
            let mut text = self.user.clone().unwrap_or_else(|| app.doc.user.clone());
            let r = ui.add(
                egui::TextEdit::singleline(&mut text)
                    .id_salt("user-name")
                    .desired_width(120.0),
            );
            if r.changed() {
                self.user = Some(text);
            }
            if r.lost_focus()
                && let Some(user) = self.user.take()
            {
                cmds.push(UiCommand::SetUser(user));
            }
        });
        let mut avoid = app.drawing.avoid_overlap;
        if ui.checkbox(&mut avoid, app.t("avoid")).changed() {
            cmds.push(UiCommand::SetDrawing {
                avoid_overlap: avoid,
                trace: app.drawing.trace,
            });
        }
    }
}

/// Entries of the command table, each with its name and keys; the one clicked goes to
/// `cmds`.
fn command_items(
    ui: &mut egui::Ui,
    lang: Lang,
    items: impl IntoIterator<Item = UiCommand>,
    cmds: &mut Vec<UiCommand>,
) {
    for c in items {
        if menu_item(ui, c.label(lang), &c) {
            cmds.push(c);
        }
    }
}

/// A menu entry that shows its keys (from [`UiCommand::shortcut`]); true when clicked.
fn menu_item(ui: &mut egui::Ui, text: &str, c: &UiCommand) -> bool {
    let mut b = egui::Button::new(text);
    if let Some(s) = c.shortcut() {
        b = b.shortcut_text(ui.ctx().format_shortcut(&s));
    }
    ui.add(b).clicked()
}

/// The settings with one change, as a command that keeps them.
fn settings_with(app: &GridmapApp, change: impl FnOnce(&mut Settings)) -> UiCommand {
    let mut s = app.settings.clone();
    change(&mut s);
    UiCommand::SetSettings(Box::new(s))
}

fn file_menu(app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
    use UiCommand as C;
    let file = [
        C::Open,
        C::Save,
        C::SaveAs,
        C::Import,
        C::Print,
        C::Ledger,
        C::Publish,
        C::ImportRoster,
        C::AddBackground,
        C::Georeference,
        C::ExportKml,
        C::ExportDxf,
        C::CountyDb,
    ];
    command_items(ui, app.lang, file, cmds);
    let mut gcj = app.settings.kml_gcj02;
    if ui.checkbox(&mut gcj, app.t("kml_gcj02")).changed() {
        cmds.push(settings_with(app, |s| s.kml_gcj02 = gcj));
    }
    ui.menu_button(app.t("recent"), |ui| {
        for p in &app.settings.recent {
            if ui.button(p.display().to_string()).clicked() {
                cmds.push(UiCommand::OpenRecent(p.clone()));
            }
        }
    });
    if ui.button(app.t("quit")).clicked() {
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

fn view_menu(app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
    let mut tiles = app.base.tiles.enabled;
    if ui.checkbox(&mut tiles, app.t("online_tiles")).changed() {
        cmds.push(UiCommand::ShowTiles(tiles));
    }
    let mut settings = app.settings.clone();
    if base_map_settings(app, &mut settings, ui, cmds) {
        cmds.push(UiCommand::SetSettings(Box::new(settings)));
    }
    if let Some(e) = &app.base.tiles.last_error {
        ui.colored_label(Color32::from_rgb(0xc0, 0x20, 0x20), e);
    }
    ui.separator();
    let view = [
        UiCommand::ZoomExtent,
        UiCommand::ZoomSelection,
        UiCommand::CommandPalette,
    ];
    command_items(ui, app.lang, view, cmds);
}

/// The tile background's source and what it needs (a key, an address, a file), edited in
/// `s`; true when the user changed one of them.
fn base_map_settings(
    app: &GridmapApp,
    s: &mut Settings,
    ui: &mut egui::Ui,
    cmds: &mut Vec<UiCommand>,
) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.label(app.t("base_map"));
        let choices = [
            ("osm", "base_osm"),
            ("tianditu_vec", "base_tdt_vec"),
            ("tianditu_img", "base_tdt_img"),
            ("url", "base_url"),
            ("mbtiles", "base_mbtiles"),
        ];
        let current = *choices
            .iter()
            .find(|c| c.0 == s.base_map)
            .unwrap_or(&choices[0]);
        egui::ComboBox::from_id_salt("base-map")
            .selected_text(app.t(current.1))
            .show_ui(ui, |ui| {
                for (key, label) in choices {
                    if ui
                        .selectable_label(current.0 == key, app.t(label))
                        .clicked()
                    {
                        s.base_map = key.into();
                        changed = true;
                    }
                }
            });
    });
    match s.base_map.as_str() {
        "tianditu_vec" | "tianditu_img" => {
            ui.horizontal(|ui| {
                ui.label(app.t("tianditu_key"));
                let r = ui.add(
                    egui::TextEdit::singleline(&mut s.tianditu_key)
                        .password(true)
                        .id_salt("tianditu-key")
                        .desired_width(300.0),
                );
                changed |= r.changed();
            });
        }
        "url" => {
            let r = ui.add(
                egui::TextEdit::singleline(&mut s.tile_url)
                    .id_salt("tile-url")
                    .hint_text(app.base.tiles.url.clone())
                    .desired_width(420.0),
            );
            changed |= r.changed();
        }
        "mbtiles" => {
            if let Some(p) = &s.mbtiles {
                ui.label(p.display().to_string());
            }
            if ui.button(app.t("choose_mbtiles")).clicked() {
                cmds.push(UiCommand::ChooseMbtiles);
            }
        }
        _ => {}
    }
    changed
}
