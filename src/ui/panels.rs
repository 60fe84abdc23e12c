//! The panels around the map: menu, toolbar, layers, properties (records and staff), the
//! audit list and the status bar.

use super::{GridmapApp, Lang, Tool, UiCommand};
use crate::audit::{Kind, Severity, is_valid_phone};
use crate::model::{STANDARD_ROLES, Staff};
use egui::{Color32, RichText};

/// The menu bar: File, Edit, View, Help and the language switch.
pub fn menu_bar(app: &mut GridmapApp, ui: &mut egui::Ui) {
    let mut cmd = None;
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(app.t("file"), |ui| file_menu(app, ui, &mut cmd));
            ui.menu_button(app.t("edit"), |ui| edit_menu(app, ui, &mut cmd));
            ui.menu_button(app.t("view"), |ui| view_menu(app, ui, &mut cmd));
            ui.menu_button(app.t("help"), |ui| {
                for (key, page) in [
                    ("help_start", super::help::Page::Start),
                    ("help_keys", super::help::Page::Keys),
                    ("help_about", super::help::Page::About),
                ] {
                    if ui.button(app.t(key)).clicked() {
                        super::help::open(ui.ctx(), page);
                        ui.close();
                    }
                }
            });
            if ui.button(app.t("language")).clicked() {
                cmd = Some(UiCommand::ToggleLanguage);
            }
        });
    });
    if let Some(c) = cmd {
        app.execute(c);
    }
}

/// Entries of the command table, each with its name and keys; the one clicked goes to
/// `cmd`.
fn command_items(
    ui: &mut egui::Ui,
    lang: Lang,
    cmds: impl IntoIterator<Item = UiCommand>,
    cmd: &mut Option<UiCommand>,
) {
    for c in cmds {
        if menu_item(ui, c.label(lang), &c) {
            *cmd = Some(c);
        }
    }
}

fn file_menu(app: &mut GridmapApp, ui: &mut egui::Ui, cmd: &mut Option<UiCommand>) {
    use UiCommand as C;
    let file = [
        C::Open,
        C::Save,
        C::SaveAs,
        C::Import,
        C::Print,
        C::Ledger,
        C::ImportRoster,
        C::AddBackground,
        C::Georeference,
        C::ExportKml,
        C::ExportDxf,
        C::CountyDb,
    ];
    command_items(ui, app.lang, file, cmd);
    let label = app.t("kml_gcj02");
    if ui.checkbox(&mut app.settings.kml_gcj02, label).changed() {
        app.store_settings();
    }
    ui.menu_button(app.t("recent"), |ui| {
        for p in app.settings.recent.clone() {
            if ui.button(p.display().to_string()).clicked() {
                *cmd = Some(UiCommand::OpenRecent(p));
            }
        }
    });
    if ui.button(app.t("quit")).clicked() {
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

fn edit_menu(app: &mut GridmapApp, ui: &mut egui::Ui, cmd: &mut Option<UiCommand>) {
    let edit = [
        UiCommand::Undo,
        UiCommand::Redo,
        UiCommand::Renumber(Vec::new()),
    ];
    command_items(ui, app.lang, edit, cmd);
    ui.horizontal(|ui| {
        ui.label(app.t("user"));
        let r = ui.add(
            egui::TextEdit::singleline(&mut app.doc.user)
                .id_salt("user-name")
                .desired_width(120.0),
        );
        if r.lost_focus() {
            app.settings.user = app.doc.user.clone();
            app.store_settings();
        }
    });
    let label = app.t("avoid");
    ui.checkbox(&mut app.drawing.avoid_overlap, label);
}

fn view_menu(app: &mut GridmapApp, ui: &mut egui::Ui, cmd: &mut Option<UiCommand>) {
    let label = app.t("online_tiles");
    ui.checkbox(&mut app.base.tiles.enabled, label);
    if base_map_settings(app, ui, cmd) {
        app.update_tile_source();
        app.store_settings();
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
    command_items(ui, app.lang, view, cmd);
}

/// The tile background's source and what it needs (a key, an address, a file); true when
/// the user changed one of them.
fn base_map_settings(app: &mut GridmapApp, ui: &mut egui::Ui, cmd: &mut Option<UiCommand>) -> bool {
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
        let current = choices
            .iter()
            .find(|c| c.0 == app.settings.base_map)
            .unwrap_or(&choices[0]);
        egui::ComboBox::from_id_salt("base-map")
            .selected_text(app.t(current.1))
            .show_ui(ui, |ui| {
                for (key, label) in choices {
                    if ui
                        .selectable_label(current.0 == key, app.t(label))
                        .clicked()
                    {
                        app.settings.base_map = key.into();
                        changed = true;
                    }
                }
            });
    });
    match app.settings.base_map.as_str() {
        "tianditu_vec" | "tianditu_img" => {
            ui.horizontal(|ui| {
                ui.label(app.t("tianditu_key"));
                let r = ui.add(
                    egui::TextEdit::singleline(&mut app.settings.tianditu_key)
                        .password(true)
                        .id_salt("tianditu-key")
                        .desired_width(300.0),
                );
                changed |= r.changed();
            });
        }
        "url" => {
            let r = ui.add(
                egui::TextEdit::singleline(&mut app.settings.tile_url)
                    .id_salt("tile-url")
                    .hint_text(app.base.tiles.url.clone())
                    .desired_width(420.0),
            );
            changed |= r.changed();
        }
        "mbtiles" => {
            if let Some(p) = &app.settings.mbtiles {
                ui.label(p.display().to_string());
            }
            if ui.button(app.t("choose_mbtiles")).clicked() {
                *cmd = Some(UiCommand::ChooseMbtiles);
            }
        }
        _ => {}
    }
    changed
}

/// A menu entry that shows its keys (from [`UiCommand::shortcut`]); true when clicked.
fn menu_item(ui: &mut egui::Ui, text: &str, c: &UiCommand) -> bool {
    let mut b = egui::Button::new(text);
    if let Some(s) = c.shortcut() {
        b = b.shortcut_text(ui.ctx().format_shortcut(&s));
    }
    ui.add(b).clicked()
}

pub fn toolbar(app: &mut GridmapApp, ui: &mut egui::Ui) {
    let mut cmd = None;
    egui::Panel::top("toolbar").show(ui, |ui| {
        ui.horizontal(|ui| {
            // Which layer the tools edit.
            let shown = super::features::LAYERS
                .iter()
                .find(|l| l.0 == app.edit_layer)
                .map_or("", |l| app.t(l.1));
            let mut layer = app.edit_layer;
            egui::ComboBox::new("edit-layer", app.t("edit_layer"))
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for (l, key) in super::features::LAYERS {
                        ui.selectable_value(&mut layer, l, app.t(key));
                    }
                });
            if layer != app.edit_layer {
                app.edit_layer = layer;
                app.feature = None;
            }
            ui.separator();
            let tools = [
                Tool::Select,
                Tool::Draw(Vec::new()),
                Tool::Vertices { dragging: None },
                Tool::Split(Vec::new()),
                Tool::Reshape(Vec::new()),
            ];
            for tool in tools {
                let active = std::mem::discriminant(&app.tool) == std::mem::discriminant(&tool);
                if ui
                    .selectable_label(active, app.t(tool.label_key()))
                    .clicked()
                {
                    cmd = Some(UiCommand::SetTool(tool));
                }
            }
            ui.separator();
            if ui
                .add_enabled(app.selection.len() >= 2, egui::Button::new(app.t("merge")))
                .clicked()
            {
                cmd = Some(UiCommand::Merge);
            }
            let can_delete = if app.edit_layer == crate::model::Layer::Grids {
                !app.selection.is_empty()
            } else {
                app.feature.is_some()
            };
            if ui
                .add_enabled(can_delete, egui::Button::new(app.t("delete")))
                .clicked()
            {
                cmd = Some(UiCommand::Delete);
            }
            let gap = app
                .audit_view
                .highlight
                .clone()
                .filter(|f| matches!(f.kind, Kind::Gap | Kind::Sliver));
            if ui
                .add_enabled(gap.is_some(), egui::Button::new(app.t("fill_gap")))
                .clicked()
                && let Some(f) = gap
            {
                cmd = Some(UiCommand::FillGap(f));
            }
            ui.separator();
            if ui
                .add_enabled(
                    app.doc.history().can_undo(),
                    egui::Button::new(app.t("undo")),
                )
                .clicked()
            {
                cmd = Some(UiCommand::Undo);
            }
            if ui
                .add_enabled(
                    app.doc.history().can_redo(),
                    egui::Button::new(app.t("redo")),
                )
                .clicked()
            {
                cmd = Some(UiCommand::Redo);
            }
            let label = app.t("avoid");
            ui.checkbox(&mut app.drawing.avoid_overlap, label);
            let label = app.t("trace");
            ui.checkbox(&mut app.drawing.trace, label);
            let feature_hint = super::features::tool_hint(app);
            let hint = match app.tool {
                _ if !feature_hint.is_empty() => feature_hint,
                Tool::Draw(_) => app.t("draw_hint"),
                Tool::Split(_) => app.t("split_hint"),
                Tool::Reshape(_) => app.t("reshape_hint"),
                Tool::Vertices { .. } => app.t("vertex_hint"),
                Tool::Select => "",
            };
            ui.label(RichText::new(hint).weak());
        });
    });
    if let Some(c) = cmd {
        app.execute(c);
    }
}

pub fn status_bar(app: &mut GridmapApp, ui: &mut egui::Ui) {
    egui::Panel::bottom("status").show(ui, |ui| {
        ui.horizontal(|ui| {
            if let Some(c) = app.drawing.cursor {
                if let Some(ll) = app.lonlat(c) {
                    ui.label(format!("{:.5}°E {:.5}°N", ll.x, ll.y));
                }
                ui.label(format!(
                    "X {:.1} Y {:.1} ({})",
                    c.x,
                    c.y,
                    app.doc.project().crs.describe()
                ));
            }
            ui.label(format!("1:{:.0}", app.view.scale_denominator()));
            ui.separator();
            let a = app.doc.auditor();
            let (e, w) = (a.count(Severity::Error), a.count(Severity::Warning));
            let color = count_colour(e, ui.visuals().dark_mode);
            ui.label(
                RichText::new(format!(
                    "{} {e} · {} {w}",
                    app.t("errors"),
                    app.t("warnings")
                ))
                .color(color),
            );
            if let Some(s) = crate::county::SyncState::status_of(app.doc.project()) {
                ui.separator();
                ui.label(s);
            }
            ui.separator();
            ui.label(super::in_language(&app.message, app.lang));
        });
    });
}

pub fn audit_panel(app: &mut GridmapApp, ui: &mut egui::Ui) {
    let mut cmd = None;
    egui::Panel::bottom("audit")
        .resizable(true)
        .default_size(170.0)
        .show(ui, |ui| {
            // "缝隙 0 · 重叠 0 · ..." with green zeros.
            ui.horizontal_wrapped(|ui| {
                ui.strong(app.t("audit"));
                let counts = app.doc.auditor().counts();
                for (k, kind) in Kind::MAIN.into_iter().enumerate() {
                    if k > 0 {
                        ui.label("·");
                    }
                    let n = counts
                        .iter()
                        .find(|c| c.0 == kind)
                        .map(|c| c.1)
                        .unwrap_or(0);
                    let (zh, en) = kind.label();
                    let label = if app.lang == super::Lang::Zh { zh } else { en };
                    let color = count_colour(n, ui.visuals().dark_mode);
                    ui.label(RichText::new(format!("{label} {n}")).color(color));
                }
            });
            ui.separator();
            // Virtualised: a faulty map can have thousands of findings. Errors first.
            let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
            let n = app.doc.auditor().len();
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show_rows(ui, row_height, n, |ui, range| {
                    let rows: Vec<(usize, std::sync::Arc<crate::audit::Finding>)> = app
                        .doc
                        .auditor()
                        .findings()
                        .enumerate()
                        .skip(range.start)
                        .take(range.len())
                        .map(|(i, f)| (i, f.clone()))
                        .collect();
                    for (i, f) in rows {
                        ui.horizontal(|ui| {
                            if let Some(c) = finding_row(app, ui, i, &f) {
                                cmd = Some(c);
                            }
                        });
                    }
                });
        });
    if let Some(c) = cmd {
        app.execute(c);
    }
}

/// One row of the audit list: 定位, the finding in its severity's colour, and for a gap or
/// sliver the ways to fix it: merge into a neighbour (the one with the longest shared
/// boundary first) or make it a grid of its own.
fn finding_row(
    app: &mut GridmapApp,
    ui: &mut egui::Ui,
    i: usize,
    f: &std::sync::Arc<crate::audit::Finding>,
) -> Option<UiCommand> {
    let mut cmd = None;
    let zh = app.lang == super::Lang::Zh;
    let picked = app
        .audit_view
        .highlight
        .as_ref()
        .is_some_and(|h| std::sync::Arc::ptr_eq(h, f));
    let color = severity_colour(f.severity, picked, ui.visuals().dark_mode);
    if ui.small_button(app.t("zoom")).clicked() {
        cmd = Some(UiCommand::ZoomFinding(i));
    }
    if matches!(f.kind, Kind::Gap | Kind::Sliver)
        && matches!(f.geometry, Some(geo::Geometry::MultiPolygon(_)))
    {
        let targets = app.gap_targets(f);
        let key = std::sync::Arc::as_ptr(f) as usize;
        if let Some(first) = targets.first() {
            let mut chosen = app
                .audit_view
                .gap_choice
                .get(&key)
                .filter(|c| targets.iter().any(|t| &t.0 == *c))
                .cloned()
                .unwrap_or_else(|| first.0.clone());
            let name = |id: &str| app.doc.grid(id).map_or(id, |g| g.label()).to_string();
            if ui
                .small_button(format!(
                    "{} {}",
                    if zh { "并入" } else { "Merge into" },
                    name(&chosen)
                ))
                .clicked()
            {
                cmd = Some(UiCommand::FillGapInto(f.clone(), chosen.clone()));
            }
            if targets.len() > 1 {
                ui.menu_button(
                    if zh {
                        "其他相邻网格"
                    } else {
                        "Other neighbours"
                    },
                    |ui| {
                        for (id, len) in &targets {
                            if ui
                                .selectable_label(
                                    *id == chosen,
                                    format!("{} ({len:.0} m)", name(id)),
                                )
                                .clicked()
                            {
                                chosen = id.clone();
                                ui.close();
                            }
                        }
                    },
                );
                app.audit_view.gap_choice.insert(key, chosen);
            }
        }
        // A sliver is merged, never made a grid of its own: a grid a few centimetres
        // wide would be a fault itself.
        if f.kind == Kind::Gap
            && ui
                .small_button(if zh { "新建网格" } else { "New grid" })
                .clicked()
        {
            cmd = Some(UiCommand::FillGap(f.clone()));
        }
    }
    let (kzh, ken) = f.kind.label();
    let msg = if zh { &f.message.zh } else { &f.message.en };
    let text = RichText::new(format!("[{}] {}", if zh { kzh } else { ken }, msg)).color(color);
    if ui.selectable_label(picked, text).clicked() {
        cmd = Some(UiCommand::ZoomFinding(i));
    }
    cmd
}

/// Green for none, the error colour otherwise.
fn count_colour(n: usize, dark: bool) -> Color32 {
    if n == 0 {
        Color32::from_rgb(0x20, 0xa0, 0x48)
    } else {
        severity_colour(Severity::Error, false, dark)
    }
}

/// Text colour of a finding, readable on the panel of the light and of the dark theme, and
/// on the selection colour of the row picked.
fn severity_colour(s: Severity, picked: bool, dark: bool) -> Color32 {
    match (picked, dark) {
        (true, true) => return Color32::WHITE,
        (true, false) => return Color32::from_gray(10),
        _ => {}
    }
    match (s, dark) {
        (Severity::Error, false) => Color32::from_rgb(0xb0, 0x10, 0x10),
        (Severity::Error, true) => Color32::from_rgb(0xff, 0x7a, 0x7a),
        (Severity::Warning, false) => Color32::from_rgb(0x8a, 0x55, 0x00),
        (Severity::Warning, true) => Color32::from_rgb(0xf2, 0xb8, 0x4b),
        (Severity::Info, false) => Color32::from_gray(90),
        (Severity::Info, true) => Color32::from_gray(190),
    }
}

pub fn layers_panel(app: &mut GridmapApp, ui: &mut egui::Ui) {
    egui::Panel::left("layers")
        .default_size(190.0)
        .show(ui, |ui| {
            ui.heading(app.t("layers"));
            // Levels 1-3 always; level 4 only where some grid has it.
            let keys = ["level1", "level2", "level3", "level4"];
            for (k, key) in keys.iter().enumerate() {
                if k == 3 && !app.doc.auditor().has_level(4) {
                    continue;
                }
                let label = app.t(key);
                ui.checkbox(&mut app.layers.levels[k], label);
            }
            let l = app.lang;
            ui.checkbox(&mut app.layers.boundary, super::tr(l, "boundary"));
            ui.checkbox(&mut app.layers.rivers, super::tr(l, "rivers"));
            ui.checkbox(&mut app.layers.reservoirs, super::tr(l, "reservoirs"));
            ui.checkbox(&mut app.layers.villages, super::tr(l, "villages"));
            ui.checkbox(&mut app.layers.findings, super::tr(l, "findings"));
            ui.checkbox(&mut app.layers.labels, super::tr(l, "labels"));
            ui.checkbox(&mut app.layers.background, super::tr(l, "background"));
            egui::CollapsingHeader::new(super::tr(l, "order"))
                .id_salt("layer-order")
                .show(ui, |ui| {
                    // Top of the list is drawn on top.
                    let mut swap = None;
                    let n = app.layers.order.len();
                    for k in (0..n).rev() {
                        ui.horizontal(|ui| {
                            if ui
                                .add_enabled(k + 1 < n, egui::Button::new("↑").small())
                                .clicked()
                            {
                                swap = Some((k, k + 1));
                            }
                            if ui
                                .add_enabled(k > 0, egui::Button::new("↓").small())
                                .clicked()
                            {
                                swap = Some((k, k - 1));
                            }
                            ui.label(super::tr(l, app.layers.order[k].key()));
                        });
                    }
                    if let Some((a, b)) = swap {
                        app.layers.order.swap(a, b);
                    }
                });
            egui::CollapsingHeader::new(super::tr(l, "style"))
                .id_salt("layer-style")
                .show(ui, |ui| {
                    let st = &mut app.layers.style;
                    for (key, color) in [
                        ("rivers", &mut st.river),
                        ("reservoirs", &mut st.water),
                        ("boundary", &mut st.boundary),
                        ("outline", &mut st.outline),
                        ("villages", &mut st.village),
                    ] {
                        ui.horizontal(|ui| {
                            ui.color_edit_button_srgba(color);
                            ui.label(super::tr(l, key));
                        });
                    }
                });
            ui.separator();
            // The hierarchy: villages expand to their level-3 grids; a click selects and
            // zooms. Rows are virtualised, so a map of 10,000 grids costs only what shows.
            let mut select = None;
            let mut toggle = None;
            app.caches.tree.refresh(&app.doc);
            let rows = app.caches.tree.rows(&app.doc, &app.audit_view.expanded);
            let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
            egui::ScrollArea::vertical().show_rows(ui, row_height, rows.len(), |ui, range| {
                for (depth, id, has_kids) in rows.slice(&app.doc, range) {
                    let label = app
                        .doc
                        .grid(&id)
                        .map(|g| g.label().to_string())
                        .unwrap_or_default();
                    let (depth, id, label, has_kids) = (&depth, &id, &label, &has_kids);
                    ui.horizontal(|ui| {
                        ui.add_space(12.0 * *depth as f32);
                        if *has_kids && *depth == 1 {
                            let open = app.audit_view.expanded.contains(id);
                            if ui.small_button(if open { "-" } else { "+" }).clicked() {
                                toggle = Some(id.clone());
                            }
                        }
                        if ui
                            .selectable_label(app.selection.contains(id), label.as_str())
                            .clicked()
                        {
                            select = Some(id.clone());
                        }
                    });
                }
            });
            if let Some(id) = toggle
                && !app.audit_view.expanded.remove(&id)
            {
                app.audit_view.expanded.insert(id);
            }
            if let Some(id) = select {
                app.selection = vec![id];
                app.execute(UiCommand::ZoomSelection);
            }
        });
}

/// The parent of grid `g` chosen by name among the grids one level up (the id is kept in
/// the record, the name is what the user sees).
fn parent_picker(app: &mut GridmapApp, ui: &mut egui::Ui, g: &crate::model::Grid) {
    let l = app.lang;
    ui.label(super::tr(l, "parent"));
    let shown = |id: &str, app: &GridmapApp| match app.doc.grid(id) {
        Some(p) if p.code.is_empty() => p.label().to_string(),
        Some(p) => format!("{} ({})", p.label(), p.code),
        None => format!("{id} ⚠"),
    };
    let current = g
        .parent
        .as_deref()
        .map(|p| shown(p, app))
        .unwrap_or_else(|| super::tr(l, "none").to_string());
    let mut chosen = None;
    egui::ComboBox::from_id_salt(format!("parent-{}", g.id))
        .selected_text(current)
        .width(170.0)
        .height(360.0)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(g.parent.is_none(), super::tr(l, "none"))
                .clicked()
            {
                chosen = Some(None);
            }
            let up: Vec<&crate::model::Grid> = app
                .doc
                .project()
                .grids
                .iter()
                .filter(|p| p.level + 1 == g.level && p.id != g.id)
                .collect();
            for p in up {
                let on = g.parent.as_deref() == Some(p.id.as_str());
                if ui.selectable_label(on, shown(&p.id, app)).clicked() {
                    chosen = Some(Some(p.id.clone()));
                }
            }
        });
    ui.end_row();
    if let Some(parent) = chosen
        && parent != g.parent
    {
        let label = format!("{} / Parent", super::tr(Lang::Zh, "parent"));
        if let Ok(t) = crate::edit::set_record(&app.doc, &g.id, &label, |g| g.parent = parent) {
            app.commit(t);
        }
    }
}

/// A text field bound to one record field: each edit is an undoable change, and typing in
/// the same field is one undo step.
fn field(
    app: &mut GridmapApp,
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    value: String,
    set: impl Fn(&mut crate::model::Grid, String),
) {
    ui.label(label);
    let mut text = value.clone();
    // As wide as the panel leaves: a four bounds line (东至某村某组及某河) shows whole.
    let r = ui.add(
        egui::TextEdit::singleline(&mut text)
            .id_salt(format!("{id}-{label}"))
            .desired_width(ui.available_width().max(170.0)),
    );
    ui.end_row();
    if r.changed() && text != value {
        let key = format!("record:{id}:{label}");
        let t = crate::edit::set_record(&app.doc, id, label, |g| set(g, text.clone()));
        if let Ok(mut t) = t {
            t.set_merge_key(key);
            app.commit(t);
        }
    }
    if r.lost_focus() {
        app.doc.seal();
    }
}

/// Whether a roster row's phone is fine to show: valid, or the row is still blank (a
/// person added and not yet typed in), as the audit sees it.
fn phone_ok(s: &Staff) -> bool {
    s.is_blank() || is_valid_phone(&s.phone)
}

/// Width of the role picker: five characters (网格协助员) and the arrow.
const ROLE_W: f32 = 100.0;

pub fn properties_panel(app: &mut GridmapApp, ui: &mut egui::Ui) {
    egui::Panel::right("properties")
        .default_size(360.0)
        .min_size(320.0)
        .show(ui, |ui| {
            ui.heading(app.t("properties"));
            // The record scrolls: an expanded change log or a long roster never pushes
            // the staff out of the window.
            egui::ScrollArea::vertical()
                .id_salt("properties-scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if app.edit_layer != crate::model::Layer::Grids {
                        super::features::properties(app, ui);
                        return;
                    }
                    let Some(id) = app.selection.first().cloned() else {
                        ui.label(app.t("no_selection"));
                        return;
                    };
                    let Some(g) = app.doc.grid(&id).cloned() else {
                        return;
                    };
                    record_fields(app, ui, &g);
                    grid_actions(app, ui, &g);
                    four_bounds(app, ui, &id);
                    change_log(app, ui, &g);
                    ui.separator();
                    staff_editor(app, ui, &g);
                });
        });
}

/// Name, code, level, parent, households, population, notes and area.
fn record_fields(app: &mut GridmapApp, ui: &mut egui::Ui, g: &crate::model::Grid) {
    let l = app.lang;
    let id = g.id.clone();
    egui::Grid::new("record").num_columns(2).show(ui, |ui| {
        field(
            app,
            ui,
            &id,
            super::tr(l, "name"),
            g.name.clone(),
            |g, v| g.name = v,
        );
        field(
            app,
            ui,
            &id,
            super::tr(l, "code"),
            g.code.clone(),
            |g, v| g.code = v,
        );
        field(
            app,
            ui,
            &id,
            super::tr(l, "level"),
            g.level.to_string(),
            |g, v| {
                if let Ok(n) = v.trim().parse() {
                    g.level = n;
                }
            },
        );
        parent_picker(app, ui, g);
        field(
            app,
            ui,
            &id,
            super::tr(l, "households"),
            g.households.map(|v| v.to_string()).unwrap_or_default(),
            |g, v| {
                g.households = v.trim().parse().ok();
            },
        );
        field(
            app,
            ui,
            &id,
            super::tr(l, "population"),
            g.population.map(|v| v.to_string()).unwrap_or_default(),
            |g, v| {
                g.population = v.trim().parse().ok();
            },
        );
        field(
            app,
            ui,
            &id,
            super::tr(l, "notes"),
            g.notes.clone(),
            |g, v| g.notes = v,
        );
        ui.label(super::tr(l, "area"));
        let a = crate::geom::area(&g.geometry);
        ui.label(format!(
            "{:.0} m² · {:.2} km² · {:.1} 亩",
            a,
            a / 1e6,
            a / 666.667
        ));
        ui.end_row();
    });
}

/// Renumber the children, and for a village the partition proposal.
fn grid_actions(app: &mut GridmapApp, ui: &mut egui::Ui, g: &crate::model::Grid) {
    let l = app.lang;
    if app.doc.has_children(&g.id) && ui.button(super::tr(l, "renumber_children")).clicked() {
        app.execute(UiCommand::Renumber(vec![g.id.clone()]));
    }
    if g.level == 2 {
        ui.horizontal(|ui| {
            if ui.button(super::tr(l, "propose")).clicked() {
                app.execute(UiCommand::Propose(g.id.clone()));
            }
            ui.checkbox(
                &mut app.dialogs.propose_along_rivers,
                super::tr(l, "along_rivers"),
            );
        });
    }
}

/// Four bounds: derived from the map until written by hand.
fn four_bounds(app: &mut GridmapApp, ui: &mut egui::Ui, id: &str) {
    let l = app.lang;
    let fb = app.four_bounds_of(id);
    ui.horizontal(|ui| {
        ui.strong(super::tr(l, "four_bounds"));
        ui.label(super::tr(
            l,
            if fb.edited {
                "edited_by_hand"
            } else {
                "derived"
            },
        ));
        if fb.review {
            ui.colored_label(
                Color32::from_rgb(0xb0, 0x70, 0x00),
                super::tr(l, "bounds_review"),
            );
            if ui.button(super::tr(l, "bounds_checked")).clicked() {
                let mut f = fb.clone();
                f.review = false;
                let t = crate::edit::set_record(&app.doc, id, "四至 / Four bounds", |g| {
                    g.extra
                        .insert(crate::records::FOUR_BOUNDS.into(), f.to_value());
                });
                if let Ok(t) = t {
                    app.commit(t);
                }
            }
        }
        if fb.edited && ui.button(super::tr(l, "rederive")).clicked() {
            let t = crate::edit::set_record(&app.doc, id, "四至 / Four bounds", |g| {
                g.extra.remove(crate::records::FOUR_BOUNDS);
            });
            if let Ok(t) = t {
                app.commit(t);
            }
        }
    });
    egui::Grid::new("four-bounds")
        .num_columns(2)
        .show(ui, |ui| {
            for (side, (label, value)) in fb.lines().into_iter().enumerate() {
                let base = fb.clone();
                field(app, ui, id, label, value.to_string(), move |g, v| {
                    let mut f = base.clone();
                    *[&mut f.east, &mut f.south, &mut f.west, &mut f.north][side] = v;
                    f.edited = true;
                    f.review = false;
                    g.extra
                        .insert(crate::records::FOUR_BOUNDS.into(), f.to_value());
                });
            }
        });
}

/// The grid's change log, newest first, collapsed.
fn change_log(app: &GridmapApp, ui: &mut egui::Ui, g: &crate::model::Grid) {
    let log = g.history();
    if log.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!(
        "{} ({})",
        super::tr(app.lang, "change_log"),
        log.len()
    ))
    .id_salt("change-log")
    .show(ui, |ui| {
        for e in log.iter().rev().take(50) {
            ui.label(format!("{} {} {}", e.time, e.user, e.what));
            for f in &e.fields {
                ui.label(RichText::new(format!("    {}", f.describe())).weak());
            }
        }
    });
}

/// The roster: role, name, phone and a remove button per person; the audit's record
/// problems of this grid above it.
fn staff_editor(app: &mut GridmapApp, ui: &mut egui::Ui, g: &crate::model::Grid) {
    let l = app.lang;
    let id = g.id.clone();
    ui.strong(super::tr(l, "staff"));
    // Required roles and other record problems of this grid, from the audit.
    for f in app.doc.auditor().findings_for(&id).iter().filter(|f| {
        f.ids.first() == Some(&id)
            && matches!(
                f.kind,
                Kind::MissingStaff
                    | Kind::MissingName
                    | Kind::MissingCode
                    | Kind::SizeOutOfRange
                    | Kind::WorkingName
            )
    }) {
        let msg = if l == super::Lang::Zh {
            &f.message.zh
        } else {
            &f.message.en
        };
        ui.colored_label(Color32::from_rgb(0xc0, 0x20, 0x20), format!("⚠ {msg}"));
    }
    let mut staff = g.staff.clone();
    let mut changed = false;
    let mut remove = None;
    // Name and phone share the panel's width left by the role and the remove button
    // (measured in the language shown: "Remove" is wider than 删除): a full name and an
    // 11-digit phone always show, and both widen with the panel.
    let sp = ui.spacing().item_spacing.x;
    let remove_w = {
        let text = super::tr(l, "remove").to_string();
        let font = egui::TextStyle::Button.resolve(ui.style());
        let galley = ui.painter().layout_no_wrap(text, font, Color32::WHITE);
        galley.size().x + 2.0 * ui.spacing().button_padding.x
    };
    let free = (ui.available_width() - ROLE_W - remove_w - 4.0 * sp).max(170.0);
    let (name_w, phone_w) = (free * 0.4, free * 0.6);
    let h = ui.spacing().interact_size.y;
    ui.horizontal(|ui| {
        ui.add_sized([ROLE_W, h], egui::Label::new(super::tr(l, "role")));
        ui.add_sized([name_w, h], egui::Label::new(super::tr(l, "person_name")));
        ui.add_sized([phone_w, h], egui::Label::new(super::tr(l, "phone")));
    });
    for (k, s) in staff.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt(format!("role-{id}-{k}"))
                .selected_text(s.role.clone())
                .width(ROLE_W)
                .show_ui(ui, |ui| {
                    for r in STANDARD_ROLES {
                        changed |= ui.selectable_value(&mut s.role, r.to_string(), r).changed();
                    }
                });
            changed |= ui
                .add_sized(
                    [name_w, h],
                    egui::TextEdit::singleline(&mut s.name)
                        .id_salt(format!("name-{id}-{k}"))
                        .hint_text(super::tr(l, "person_name")),
                )
                .changed();
            // A row not filled in yet is no error; a phone typed wrong is.
            let ok = phone_ok(s);
            let phone = egui::TextEdit::singleline(&mut s.phone)
                .id_salt(format!("phone-{id}-{k}"))
                .hint_text(super::tr(l, "phone"))
                .text_color_opt((!ok).then_some(Color32::from_rgb(0xc0, 0x20, 0x20)));
            let r = ui.add_sized([phone_w, h], phone);
            changed |= r.changed();
            if !ok {
                r.on_hover_text(super::tr(l, "bad_phone"));
            }
            if ui.small_button(super::tr(l, "remove")).clicked() {
                remove = Some(k);
            }
        });
    }
    for s in staff.iter().filter(|s| !phone_ok(s)) {
        ui.colored_label(
            Color32::from_rgb(0xc0, 0x20, 0x20),
            format!("⚠ {} {}: {}", s.role, s.name, super::tr(l, "bad_phone")),
        );
    }
    if let Some(k) = remove {
        staff.remove(k);
        changed = true;
    }
    if ui.button(super::tr(l, "add_staff")).clicked() {
        staff.push(Staff {
            role: "网格员".into(),
            ..Default::default()
        });
        changed = true;
    }
    if changed
        && let Ok(mut t) =
            crate::edit::set_record(&app.doc, &id, "人员 / Staff", |g| g.staff = staff)
    {
        t.set_merge_key(format!("staff:{id}"));
        app.commit(t);
    }
}
