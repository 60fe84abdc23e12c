//! The audit list: the counts of the main checks, then every finding (errors first), each
//! with 定位 and, for a gap or sliver, the ways to fix it.

use super::super::{GapTargets, GridmapApp, Lang, UiCommand};
use super::{count_colour, severity_colour};
use crate::audit::{Finding, Kind};
use egui::RichText;
use std::sync::Arc;

/// The list's own state: where each gap can be merged and the neighbour the user picked,
/// by the finding's address (kept while the finding lives).
#[derive(Default)]
pub struct AuditPanel {
    targets: rustc_hash::FxHashMap<usize, (Arc<Finding>, GapTargets)>,
    choice: rustc_hash::FxHashMap<usize, String>,
}

impl AuditPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, app: &GridmapApp) -> Vec<UiCommand> {
        let mut cmds = Vec::new();
        // Findings gone from the audit take their targets and choices with them.
        self.targets
            .retain(|_, (held, _)| Arc::strong_count(held) > 1);
        let live = &self.targets;
        self.choice.retain(|k, _| live.contains_key(k));
        egui::Panel::bottom("audit")
            .resizable(true)
            .default_size(170.0)
            .show(ui, |ui| {
                counts(app, ui);
                ui.separator();
                // Virtualised: a faulty map can have thousands of findings. Errors first.
                let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
                let n = app.doc.auditor().len();
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show_rows(ui, row_height, n, |ui, range| {
                        let rows = app.doc.auditor().findings().enumerate();
                        for (i, f) in rows.skip(range.start).take(range.len()) {
                            ui.horizontal(|ui| cmds.extend(self.row(app, ui, i, f)));
                        }
                    });
            });
        cmds
    }

    /// One row: 定位, the finding in its severity's colour, and for a gap or sliver the
    /// ways to fix it: merge into a neighbour (the one with the longest shared boundary
    /// first) or make it a grid of its own.
    fn row(
        &mut self,
        app: &GridmapApp,
        ui: &mut egui::Ui,
        i: usize,
        f: &Arc<Finding>,
    ) -> Option<UiCommand> {
        let mut cmd = None;
        let zh = app.lang == Lang::Zh;
        let picked = app
            .audit_view
            .highlight
            .as_ref()
            .is_some_and(|h| Arc::ptr_eq(h, f));
        let color = severity_colour(f.severity, picked, ui.visuals().dark_mode);
        if ui.small_button(app.t("zoom")).clicked() {
            cmd = Some(UiCommand::ZoomFinding(i));
        }
        if matches!(f.kind, Kind::Gap | Kind::Sliver)
            && matches!(f.geometry, Some(geo::Geometry::MultiPolygon(_)))
        {
            if let Some(c) = self.gap_fixes(app, ui, f) {
                cmd = Some(c);
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

    /// "Merge into" the chosen neighbour, and the other neighbours to choose from.
    fn gap_fixes(
        &mut self,
        app: &GridmapApp,
        ui: &mut egui::Ui,
        f: &Arc<Finding>,
    ) -> Option<UiCommand> {
        let zh = app.lang == Lang::Zh;
        let key = Arc::as_ptr(f) as usize;
        let targets = &self
            .targets
            .entry(key)
            .or_insert_with(|| (f.clone(), app.gap_targets(f)))
            .1;
        let first = targets.first()?;
        let mut chosen = self
            .choice
            .get(&key)
            .filter(|c| targets.iter().any(|t| &t.0 == *c))
            .cloned()
            .unwrap_or_else(|| first.0.clone());
        let name = |id: &str| app.doc.grid(id).map_or(id, |g| g.label()).to_string();
        let mut cmd = None;
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
            let other = if zh {
                "其他相邻网格"
            } else {
                "Other neighbours"
            };
            ui.menu_button(other, |ui| {
                for (id, len) in targets {
                    if ui
                        .selectable_label(*id == chosen, format!("{} ({len:.0} m)", name(id)))
                        .clicked()
                    {
                        chosen = id.clone();
                        ui.close();
                    }
                }
            });
            self.choice.insert(key, chosen);
        }
        cmd
    }
}

/// "缝隙 0 · 重叠 0 · ..." with green zeros.
fn counts(app: &GridmapApp, ui: &mut egui::Ui) {
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
            let label = if app.lang == Lang::Zh { zh } else { en };
            let color = count_colour(n, ui.visuals().dark_mode);
            ui.label(RichText::new(format!("{label} {n}")).color(color));
        }
    });
}
