//! File → 发布网页…: the residents' website of the open project (`gridmap publish`), with
//! the same options, asking first when the audit finds errors. The site is written on a
//! worker thread (a city's 100,000 grids take seconds) while the dialog shows that it runs;
//! then it says what was written and opens the site in the browser on request.

use super::GridmapApp;
use crate::commands::{CommandError, PublishOptions};
use crate::publish::Published;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

/// A publication running on a worker thread.
#[derive(Debug)]
pub struct PublishJob {
    rx: Receiver<Result<Published, CommandError>>,
}

/// The publish dialog's fields.
#[derive(Debug, Default)]
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
    /// The publication running, if one is.
    pub job: Option<PublishJob>,
    /// What the last publication wrote.
    pub published: Option<Published>,
}

/// A file's address for the browser (`file:///C:/…` on Windows).
fn file_url(p: &Path) -> String {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let text = abs.display().to_string().replace('\\', "/");
    if text.starts_with('/') {
        format!("file://{text}")
    } else {
        format!("file:///{text}")
    }
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

/// Start publishing as the dialog says, on a worker thread with a copy of the project.
fn start(app: &GridmapApp, ctx: &egui::Context, d: &mut PublishDialog) {
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
    let project = app.doc.project().clone();
    let out = PathBuf::from(d.folder.trim());
    let (tx, rx) = std::sync::mpsc::channel();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let _ = tx.send(crate::commands::publish(&project, &out, &opts));
        ctx.request_repaint();
    });
    d.job = Some(PublishJob { rx });
    d.published = None;
}

/// Take in a finished publication: what was written, the audit's errors to confirm, or
/// the error for the status line.
fn poll(app: &mut GridmapApp, d: &mut PublishDialog) {
    let Some(job) = &d.job else { return };
    let done = match job.rx.try_recv() {
        Ok(r) => r,
        Err(TryRecvError::Empty) => return,
        Err(TryRecvError::Disconnected) => {
            d.job = None;
            app.message = "发布中断（内部错误）/ publishing stopped (internal error)".into();
            return;
        }
    };
    d.job = None;
    match done {
        Ok(p) => {
            app.message = format!(
                "已发布网页 published: {} ({} 个文件，{} 个有变化 / files, {} changed)",
                p.dir.join("index.html").display(),
                p.files.len(),
                p.changed.len(),
                p.changed.len()
            );
            d.errors_seen = None;
            d.published = Some(p);
        }
        Err(CommandError::PublishWithErrors(n)) => d.errors_seen = Some(n),
        Err(e) => app.message = crate::error::report(&e),
    }
}

/// The dialog, while open.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(mut d) = app.dialogs.publish_dialog.take() else {
        return;
    };
    poll(app, &mut d);
    if app.dialogs.file_chooser.is_some() {
        // Choosing the folder: the in-window folder dialog would sit under this modal.
        app.dialogs.publish_dialog = Some(d);
        return;
    }
    let running = d.job.is_some();
    let mut open = false;
    let mut pick = false;
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
            ui.horizontal(|ui| {
                ui.text_edit_singleline(&mut d.folder);
                pick = ui.button(if zh { "选择…" } else { "Choose…" }).clicked();
            });
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
        if running {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(if zh { "正在发布…" } else { "Publishing…" });
            });
        }
        if let Some(p) = &d.published {
            ui.label(if zh {
                format!(
                    "已发布：{}（{} 个文件，{} 个有变化）",
                    p.dir.display(),
                    p.files.len(),
                    p.changed.len()
                )
            } else {
                format!(
                    "Published: {} ({} files, {} changed)",
                    p.dir.display(),
                    p.files.len(),
                    p.changed.len()
                )
            });
        }
        ui.horizontal(|ui| {
            let label = match (d.errors_seen.is_some(), zh) {
                (false, true) => "发布",
                (false, false) => "Publish",
                (true, true) => "仍然发布",
                (true, false) => "Publish anyway",
            };
            go = ui.add_enabled(!running, egui::Button::new(label)).clicked();
            if d.published.is_some() {
                open = ui
                    .button(if zh { "打开网页" } else { "Open the site" })
                    .clicked();
            }
            let done = if d.published.is_some() {
                app.t("close")
            } else {
                app.t("cancel")
            };
            close = ui.add_enabled(!running, egui::Button::new(done)).clicked();
        });
    });
    if open && let Some(p) = &d.published {
        ctx.open_url(egui::OpenUrl::new_tab(file_url(&p.dir.join("index.html"))));
    }
    if close {
        return;
    }
    if go {
        start(app, ctx, &mut d);
    }
    let parent = Path::new(d.folder.trim())
        .parent()
        .filter(|p| p.is_dir())
        .map(Path::to_path_buf);
    app.dialogs.publish_dialog = Some(d);
    if pick {
        // The folder chosen lands in the dialog ([`GridmapApp::file_chosen`]); the dialog
        // starts beside the folder named now.
        use super::files::{FilePurpose, choose, choose_in};
        match parent {
            Some(dir) => choose_in(app, FilePurpose::PublishFolder, None, Some(dir)),
            None => choose(app, FilePurpose::PublishFolder, None),
        }
    }
    let Some(d) = app.dialogs.publish_dialog.as_ref() else {
        return;
    };
    if d.job.is_some() {
        ctx.request_repaint_after(std::time::Duration::from_millis(100));
    }
}
