//! The toolbar (the edited layer, the tools, merge, delete, fill, undo, the drawing
//! options) and the status bar.

use super::super::{GridmapApp, Tool, UiCommand, features};
use super::count_colour;
use crate::audit::{Kind, Severity};
use crate::model::Layer;
use egui::RichText;

/// The toolbar keeps no state of its own: everything it shows is the shell's.
#[derive(Default)]
pub struct Toolbar;

impl Toolbar {
    pub fn ui(&mut self, ui: &mut egui::Ui, app: &GridmapApp) -> Vec<UiCommand> {
        let mut cmds = Vec::new();
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal(|ui| {
                layer_and_tools(app, ui, &mut cmds);
                ui.separator();
                actions(app, ui, &mut cmds);
                ui.separator();
                history_and_options(app, ui, &mut cmds);
                ui.label(RichText::new(hint(app)).weak());
            });
        });
        cmds
    }
}

/// Which layer the tools edit, and the tools.
fn layer_and_tools(app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
    let shown = features::LAYERS
        .iter()
        .find(|l| l.0 == app.edit_layer)
        .map_or("", |l| app.t(l.1));
    let mut layer = app.edit_layer;
    egui::ComboBox::new("edit-layer", app.t("edit_layer"))
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for (l, key) in features::LAYERS {
                ui.selectable_value(&mut layer, l, app.t(key));
            }
        });
    if layer != app.edit_layer {
        cmds.push(UiCommand::SetEditLayer(layer));
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
            cmds.push(UiCommand::SetTool(tool));
        }
    }
}

/// Merge, delete and fill a gap, each enabled when it can act.
fn actions(app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
    if ui
        .add_enabled(app.selection.len() >= 2, egui::Button::new(app.t("merge")))
        .clicked()
    {
        cmds.push(UiCommand::Merge);
    }
    let can_delete = if app.edit_layer == Layer::Grids {
        !app.selection.is_empty()
    } else {
        app.feature.is_some()
    };
    if ui
        .add_enabled(can_delete, egui::Button::new(app.t("delete")))
        .clicked()
    {
        cmds.push(UiCommand::Delete);
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
        cmds.push(UiCommand::FillGap(f));
    }
}

/// Undo, redo, and how drawing fits shapes (avoid overlaps, trace shared outlines).
fn history_and_options(app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
    let history = app.doc.history();
    for (can, cmd) in [
        (history.can_undo(), UiCommand::Undo),
        (history.can_redo(), UiCommand::Redo),
    ] {
        if ui
            .add_enabled(can, egui::Button::new(cmd.label(app.lang)))
            .clicked()
        {
            cmds.push(cmd);
        }
    }
    let (mut avoid, mut trace) = (app.drawing.avoid_overlap, app.drawing.trace);
    let a = ui.checkbox(&mut avoid, app.t("avoid")).changed();
    let t = ui.checkbox(&mut trace, app.t("trace")).changed();
    if a || t {
        cmds.push(UiCommand::SetDrawing {
            avoid_overlap: avoid,
            trace,
        });
    }
}

/// What the active tool expects next.
fn hint(app: &GridmapApp) -> &'static str {
    let feature_hint = features::tool_hint(app);
    match app.tool {
        _ if !feature_hint.is_empty() => feature_hint,
        Tool::Draw(_) => app.t("draw_hint"),
        Tool::Split(_) => app.t("split_hint"),
        Tool::Reshape(_) => app.t("reshape_hint"),
        Tool::Vertices { .. } => app.t("vertex_hint"),
        Tool::Select => "",
    }
}

/// The status bar: the cursor's position, the scale, the audit's counts, the county sync
/// and the last message.
pub fn status_bar(ui: &mut egui::Ui, app: &GridmapApp) {
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
            ui.label(super::super::in_language(&app.message, app.lang));
            if let Some(r) = &app.session.renderer {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    renderer_label(ui, app, r);
                });
            }
        });
    });
}

/// The renderer at the status bar's right end, by its short name ("OpenGL: llvmpipe
/// (软件渲染)"); its whole description on hover.
fn renderer_label(ui: &mut egui::Ui, app: &GridmapApp, renderer: &str) {
    let name = renderer.split([',', '(']).next().unwrap_or(renderer).trim();
    let text = if super::super::is_software_renderer(renderer) {
        format!("OpenGL: {name} ({})", app.t("software_rendering"))
    } else {
        format!("OpenGL: {name}")
    };
    ui.label(RichText::new(text).weak()).on_hover_text(renderer);
}
