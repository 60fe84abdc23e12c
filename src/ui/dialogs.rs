//! Questions the app asks before an edit that would otherwise lose something: whose name
//! and code a merge keeps, and whether grids with records are really to be deleted.

use super::{GridmapApp, UiCommand};
use crate::model::Grid;

/// Merging grids: the grids, and the one whose id, name and code survive.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeDialog {
    pub ids: Vec<String>,
    pub keep: String,
}

/// True when deleting the grid would lose something typed in: a name, code, people,
/// households, population or notes.
pub fn has_records(g: &Grid) -> bool {
    !g.name.trim().is_empty()
        || !g.code.trim().is_empty()
        || !g.staff.is_empty()
        || g.households.is_some()
        || g.population.is_some()
        || !g.notes.trim().is_empty()
}

/// "name (code) · 1.23 km² · 3 人" (3 people), in the interface's language.
fn summary(g: &Grid, lang: super::Lang) -> String {
    let mut s = g.label().to_string();
    if !g.code.is_empty() && g.code != g.label() {
        s.push_str(&format!(" ({})", g.code));
    }
    let n = g.staff.len();
    let people = match lang {
        super::Lang::Zh => format!("{n} 人"),
        super::Lang::En if n == 1 => "1 person".to_string(),
        super::Lang::En => format!("{n} people"),
    };
    s.push_str(&format!(
        " · {:.3} km² · {people}",
        crate::geom::area(&g.geometry) / 1e6
    ));
    s
}

/// The merge and delete questions, while asked; the command the answer gives.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) -> Vec<UiCommand> {
    merge(app, ctx)
        .into_iter()
        .chain(delete(app, ctx))
        .collect()
}

fn merge(app: &mut GridmapApp, ctx: &egui::Context) -> Option<UiCommand> {
    let mut d = app.dialogs.merge_dialog.take()?;
    let zh = app.lang == super::Lang::Zh;
    let mut done = None;
    egui::Modal::new(egui::Id::unique("merge-dialog")).show(ctx, |ui| {
        ui.set_min_width(460.0);
        ui.heading(if zh { "合并网格" } else { "Merge grids" });
        ui.label(if zh {
            "保留哪个网格的名称、编码和编号？人员名单、户数、人数和备注全部合并。"
        } else {
            "Whose name, code and id are kept? Staff, households, population and notes are all merged."
        });
        for id in &d.ids {
            if let Some(g) = app.doc.grid(id) {
                ui.radio_value(&mut d.keep, id.clone(), summary(g, app.lang));
            }
        }
        ui.horizontal(|ui| {
            if ui
                .button(if zh { "确定合并" } else { "Merge" })
                .clicked()
            {
                done = Some(true);
            }
            if ui.button(app.t("cancel")).clicked() {
                done = Some(false);
            }
        });
    });
    match done {
        Some(true) => return Some(UiCommand::MergeKeeping(d.ids, d.keep)),
        Some(false) => {}
        None => app.dialogs.merge_dialog = Some(d),
    }
    None
}

fn delete(app: &mut GridmapApp, ctx: &egui::Context) -> Option<UiCommand> {
    let ids = app.dialogs.delete_dialog.take()?;
    let zh = app.lang == super::Lang::Zh;
    let mut done = None;
    egui::Modal::new(egui::Id::unique("delete-dialog")).show(ctx, |ui| {
        ui.set_min_width(420.0);
        ui.heading(if zh { "删除网格" } else { "Delete grids" });
        ui.label(if zh {
            "以下网格及其名称、编码、人员等记录将被删除（可撤销）："
        } else {
            "These grids and their records (name, code, staff) will be deleted (undoable):"
        });
        let mut orphans = 0;
        for id in &ids {
            if let Some(g) = app.doc.grid(id) {
                ui.label(format!("• {}", summary(g, app.lang)));
                orphans += app
                    .doc
                    .children(id)
                    .filter(|c| !ids.iter().any(|i| i == c))
                    .count();
            }
        }
        if orphans > 0 {
            ui.colored_label(
                egui::Color32::from_rgb(0xc0, 0x20, 0x20),
                if zh {
                    format!("其下 {orphans} 个下级网格将没有上级。")
                } else {
                    format!("{orphans} child grids will be left without a parent.")
                },
            );
        }
        ui.horizontal(|ui| {
            if ui.button(if zh { "确定删除" } else { "Delete" }).clicked() {
                done = Some(true);
            }
            if ui.button(app.t("cancel")).clicked() {
                done = Some(false);
            }
        });
    });
    match done {
        Some(true) => return Some(UiCommand::DeleteNow(ids)),
        Some(false) => {}
        None => app.dialogs.delete_dialog = Some(ids),
    }
    None
}
