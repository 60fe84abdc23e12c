//! File → 发布网页…: the residents' website of the open project (`gridmap publish`), with
//! the same options, asking first when the audit finds errors.

use super::GridmapApp;
use crate::commands::{CommandError, PublishOptions};
use std::path::PathBuf;

/// The publish dialog's fields.
#[derive(Debug, Clone, Default)]
pub struct PublishDialog {
    /// The site's folder.
    pub folder: String,
    pub base_url: String,
    pub hotline: String,
    pub public_phones: bool,
    /// A 天地图 browser key (浏览器端) for the township map's base map; empty: none.
    pub tianditu_key: String,
    /// The audit's error count, once the user was told and may publish anyway.
    pub errors_seen: Option<usize>,
}

impl PublishDialog {
    /// The folder beside the project file ("<name>-网站"), the hotline of the print settings.
    pub fn new(app: &GridmapApp) -> Self {
        let folder = app
            .doc
            .path
            .as_ref()
            .and_then(|p| {
                let stem = p.file_stem()?.to_string_lossy().into_owned();
                Some(p.with_file_name(format!("{stem}-网站")))
            })
            .unwrap_or_else(|| PathBuf::from("网站"));
        let print = crate::model::ProjectSettings::of(&app.doc.project().settings).print;
        PublishDialog {
            folder: folder.display().to_string(),
            hotline: print.hotline.unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// Publish as the dialog says; the message for the status line, or the dialog back when
/// the audit's errors must be confirmed first.
fn run(app: &GridmapApp, d: &PublishDialog) -> Result<String, (String, Option<usize>)> {
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let opts = PublishOptions {
        pages: crate::publish::PageOptions {
            title: None,
            hotline: text(&d.hotline),
            public_phones: d.public_phones,
            tianditu_key: text(&d.tianditu_key),
        },
        date: crate::print::PrintDate::today().iso(),
        allow_errors: d.errors_seen.is_some(),
        base_url: text(&d.base_url),
    };
    match crate::commands::publish(app.doc.project(), &PathBuf::from(d.folder.trim()), &opts) {
        Ok(p) => Ok(format!(
            "已发布网页 published: {} ({} 个文件，{} 个有变化 / files, {} changed)",
            p.dir.join("index.html").display(),
            p.files.len(),
            p.changed.len(),
            p.changed.len()
        )),
        Err(CommandError::PublishWithErrors(n)) => Err((String::new(), Some(n))),
        Err(e) => Err((crate::error::report(&e), None)),
    }
}

/// The dialog, while open.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(mut d) = app.dialogs.publish_dialog.take() else {
        return;
    };
    let zh = app.lang == super::Lang::Zh;
    let mut go = false;
    let mut close = false;
    egui::Modal::new(egui::Id::unique("publish-dialog")).show(ctx, |ui| {
        ui.set_min_width(480.0);
        ui.heading(if zh { "发布网页" } else { "Publish website" });
        ui.label(if zh {
            "生成一个静态网站文件夹：每个网格一页（公示牌二维码指向的地址），镇首页有网格地图（可查“我在哪个网格”）并可搜索网格和人员。可放在任何网站服务器上。"
        } else {
            "Writes a folder of static pages: one per grid (the address a board's QR code opens) and the township's page with the map of grids (\"which grid am I in\") and a search. Any web server can serve it."
        });
        egui::Grid::new("publish-fields").num_columns(2).show(ui, |ui| {
            ui.label(if zh { "文件夹" } else { "Folder" });
            ui.text_edit_singleline(&mut d.folder);
            ui.end_row();
            ui.label(if zh { "网址" } else { "Address" });
            ui.add(
                egui::TextEdit::singleline(&mut d.base_url)
                    .hint_text("https://…/wangge/"),
            );
            ui.end_row();
            ui.label(if zh { "监督电话" } else { "Hotline" });
            ui.text_edit_singleline(&mut d.hotline);
            ui.end_row();
            ui.label(if zh { "天地图密钥" } else { "Tianditu key" });
            ui.add(egui::TextEdit::singleline(&mut d.tianditu_key).hint_text(if zh {
                "浏览器端密钥，可不填（无底图）"
            } else {
                "browser key, optional (no base map)"
            }));
            ui.end_row();
        });
        ui.checkbox(
            &mut d.public_phones,
            if zh {
                "公开所有网格人员的手机号（默认只公开人员表中勾选“公开”的人，其他人显示监督电话）"
            } else {
                "Publish every staff member's phone (by default only those marked Public in the staff table; the hotline for the others)"
            },
        );
        if let Some(n) = d.errors_seen {
            ui.colored_label(
                egui::Color32::from_rgb(0xc0, 0x20, 0x20),
                if zh {
                    format!("审核发现 {n} 个错误。仍要发布吗？")
                } else {
                    format!("The audit finds {n} errors. Publish anyway?")
                },
            );
        }
        ui.horizontal(|ui| {
            let label = match (d.errors_seen.is_some(), zh) {
                (false, true) => "发布",
                (false, false) => "Publish",
                (true, true) => "仍然发布",
                (true, false) => "Publish anyway",
            };
            go = ui.button(label).clicked();
            close = ui.button(app.t("cancel")).clicked();
        });
    });
    if close {
        return;
    }
    if !go {
        app.dialogs.publish_dialog = Some(d);
        return;
    }
    match run(app, &d) {
        Ok(msg) => app.message = msg,
        Err((msg, errors)) => {
            if !msg.is_empty() {
                app.message = msg;
            }
            d.errors_seen = errors.or(d.errors_seen);
            app.dialogs.publish_dialog = Some(d);
        }
    }
}
