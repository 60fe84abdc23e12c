//! The layers panel: which layers show, their order and colours, and the hierarchy of
//! grids (villages expand to their level-3 grids; a click selects and zooms).

use super::super::{GridmapApp, Layers, UiCommand, tr, tree};
use std::collections::BTreeSet;

/// The panel's own state: the villages expanded in the tree and its rows.
#[derive(Default)]
pub struct LayersPanel {
    /// Villages expanded in the layer tree.
    pub expanded: BTreeSet<String>,
    tree: tree::TreeRows,
}

impl LayersPanel {
    /// Forget the tree's rows: another document was opened.
    pub fn forget_rows(&mut self) {
        self.tree = Default::default();
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, app: &GridmapApp) -> Vec<UiCommand> {
        let mut cmds = Vec::new();
        egui::Panel::left("layers")
            .default_size(190.0)
            .show(ui, |ui| {
                ui.heading(app.t("layers"));
                let mut layers = app.layers.clone();
                shown(app, &mut layers, ui);
                order(app, &mut layers, ui);
                style(app, &mut layers, ui);
                if layers != app.layers {
                    cmds.push(UiCommand::SetLayers(Box::new(layers)));
                }
                ui.separator();
                cmds.extend(self.hierarchy(app, ui));
            });
        cmds
    }

    /// The hierarchy: rows are virtualised, so a map of 10,000 grids costs only what
    /// shows.
    fn hierarchy(&mut self, app: &GridmapApp, ui: &mut egui::Ui) -> Vec<UiCommand> {
        let mut select = None;
        let mut toggle = None;
        self.tree.refresh(&app.doc);
        let rows = self.tree.rows(&app.doc, &self.expanded);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui::ScrollArea::vertical().show_rows(ui, row_height, rows.len(), |ui, range| {
            for (depth, id, has_kids) in rows.slice(&app.doc, range) {
                let label = app.doc.grid(&id).map(|g| g.label()).unwrap_or_default();
                ui.horizontal(|ui| {
                    ui.add_space(12.0 * depth as f32);
                    if has_kids && depth == 1 {
                        let open = self.expanded.contains(&id);
                        if ui.small_button(if open { "-" } else { "+" }).clicked() {
                            toggle = Some(id.clone());
                        }
                    }
                    if ui
                        .selectable_label(app.selection.contains(&id), label)
                        .clicked()
                    {
                        select = Some(id.clone());
                    }
                });
            }
        });
        if let Some(id) = toggle
            && !self.expanded.remove(&id)
        {
            self.expanded.insert(id);
        }
        match select {
            Some(id) => vec![UiCommand::Select(vec![id]), UiCommand::ZoomSelection],
            None => Vec::new(),
        }
    }
}

/// The levels (level 4 only where some grid has it) and the other layers, each shown or
/// hidden.
fn shown(app: &GridmapApp, layers: &mut Layers, ui: &mut egui::Ui) {
    let keys = ["level1", "level2", "level3", "level4"];
    for (k, key) in keys.iter().enumerate() {
        if k == 3 && !app.doc.auditor().has_level(4) {
            continue;
        }
        ui.checkbox(&mut layers.levels[k], app.t(key));
    }
    let l = app.lang;
    ui.checkbox(&mut layers.boundary, tr(l, "boundary"));
    ui.checkbox(&mut layers.rivers, tr(l, "rivers"));
    ui.checkbox(&mut layers.reservoirs, tr(l, "reservoirs"));
    ui.checkbox(&mut layers.villages, tr(l, "villages"));
    ui.checkbox(&mut layers.findings, tr(l, "findings"));
    ui.checkbox(&mut layers.labels, tr(l, "labels"));
    ui.checkbox(&mut layers.background, tr(l, "background"));
}

/// The drawing order; the top of the list is drawn on top.
fn order(app: &GridmapApp, layers: &mut Layers, ui: &mut egui::Ui) {
    let l = app.lang;
    egui::CollapsingHeader::new(tr(l, "order"))
        .id_salt("layer-order")
        .show(ui, |ui| {
            let mut swap = None;
            let n = layers.order.len();
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
                    ui.label(tr(l, layers.order[k].key()));
                });
            }
            if let Some((a, b)) = swap {
                layers.order.swap(a, b);
            }
        });
}

/// The colours of the line and water layers.
fn style(app: &GridmapApp, layers: &mut Layers, ui: &mut egui::Ui) {
    let l = app.lang;
    egui::CollapsingHeader::new(tr(l, "style"))
        .id_salt("layer-style")
        .show(ui, |ui| {
            let st = &mut layers.style;
            for (key, color) in [
                ("rivers", &mut st.river),
                ("reservoirs", &mut st.water),
                ("boundary", &mut st.boundary),
                ("outline", &mut st.outline),
                ("villages", &mut st.village),
            ] {
                ui.horizontal(|ui| {
                    ui.color_edit_button_srgba(color);
                    ui.label(tr(l, key));
                });
            }
        });
}
