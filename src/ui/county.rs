//! 连接县级数据库: the county database window. Pull the township into a new project file
//! (and open it), push the open project, and resolve conflicts side by side (mine /
//! theirs, field by field and the geometry, like JOSM's conflict dialog). The database
//! work runs on a worker thread; the window stays live. The address and township are kept
//! in this computer's settings; a password typed here is kept for the session only.

use super::{GridmapApp, UiCommand};
use crate::audit::Finding;
use crate::county::conn::{self, Target};
use crate::county::db;
use crate::county::ops;
use crate::county::{
    Choice, Conflict, DbError, GEOMETRY_FIELD, NEIGHBOURS_KEY, PushOutcome, SYNC_KEY, SyncState,
};
use crate::model::Project;
use egui::{Color32, RichText};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc;

/// What a worker sends back.
enum Done {
    Pulled(Result<(Project, PathBuf), DbError>),
    Pushed(Result<PushOutcome, DbError>),
}

/// One conflict as the user resolves it: the fields taken from theirs.
pub struct ConflictRow {
    pub conflict: Conflict,
    pub theirs: BTreeSet<String>,
    /// Where one side deleted the row: keep mine (true) or take theirs.
    pub keep_mine: bool,
}

impl ConflictRow {
    fn choice(&self) -> Choice {
        let fields = self.conflict.fields();
        if fields.is_empty() {
            return if self.keep_mine {
                Choice::Mine
            } else {
                Choice::Theirs
            };
        }
        if self.theirs.is_empty() {
            Choice::Mine
        } else if fields.iter().all(|f| self.theirs.contains(&f.field)) {
            Choice::Theirs
        } else {
            match self.conflict.merged(&self.theirs) {
                Some(r) => Choice::Merged(r),
                None => Choice::Mine,
            }
        }
    }
}

#[derive(Default)]
pub struct CountyWindow {
    pub url: String,
    pub township: String,
    /// For this session only; empty: `~/.pgpass` or `PGPASSWORD`.
    pub password: String,
    /// Allow a county account to push past seam findings.
    pub force: bool,
    pub busy: Option<String>,
    rx: Option<mpsc::Receiver<Done>>,
    pub message: String,
    pub conflicts: Vec<ConflictRow>,
    pub refused: Vec<Finding>,
    /// Where the next pull is written (chosen in the file dialog).
    pub pull_to: Option<PathBuf>,
}

impl CountyWindow {
    pub fn new(app: &GridmapApp) -> Self {
        let sync = SyncState::of(app.doc.project());
        // The address of this computer's last sync, else where the open project came from.
        let url = if app.settings.county_url.is_empty() {
            sync.as_ref()
                .map(|s| format!("postgres://{}", s.server))
                .filter(|u| u.len() > "postgres://".len())
                .unwrap_or_default()
        } else {
            app.settings.county_url.clone()
        };
        CountyWindow {
            url,
            township: sync
                .map(|s| s.township)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| app.settings.county_township.clone()),
            ..Default::default()
        }
    }

    fn target(&self) -> Result<Target, DbError> {
        let url = Some(self.url.trim()).filter(|u| !u.is_empty());
        let mut t = conn::resolve(url)?;
        if !self.password.is_empty() {
            t.config.password(self.password.clone());
        }
        Ok(t)
    }

    /// Run `work` on a worker thread; [`poll`] takes in what it sends.
    fn spawn(
        &mut self,
        ctx: &egui::Context,
        busy: &str,
        work: impl FnOnce() -> Done + Send + 'static,
    ) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(work());
            ctx.request_repaint();
        });
        self.rx = Some(rx);
        self.busy = Some(busy.into());
        self.message.clear();
    }

    /// Pull the township on a worker thread into `out`.
    pub fn start_pull(&mut self, ctx: &egui::Context, out: PathBuf) {
        let target = self.target();
        let township = self.township.trim().to_string();
        self.spawn(ctx, "正在拉取 pulling…", move || {
            Done::Pulled(target.and_then(|t| {
                // The save dialog asked before replacing a file.
                let p = ops::pull_to_file(&t, &township, &out, true)?;
                Ok((p, out))
            }))
        });
    }

    /// Push `project` on a worker thread, with the choices made for earlier conflicts.
    pub fn start_push(&mut self, ctx: &egui::Context, project: Project) {
        let target = self.target();
        let township = self.township.trim().to_string();
        let choices: BTreeMap<String, Choice> = self
            .conflicts
            .iter()
            .map(|c| (c.conflict.key.clone(), c.choice()))
            .collect();
        let force = self.force;
        self.spawn(ctx, "正在推送 pushing…", move || {
            Done::Pushed(target.and_then(|t| {
                let mut client = conn::connect(&t)?;
                db::push(
                    &mut client,
                    &project,
                    &township,
                    &t.display,
                    &choices,
                    force,
                )
            }))
        });
        self.refused.clear();
    }
}

/// Take in what a worker finished.
fn poll(app: &mut GridmapApp) {
    let Some(w) = app.dialogs.county.as_mut() else {
        return;
    };
    let Some(rx) = &w.rx else { return };
    let Ok(done) = rx.try_recv() else { return };
    w.rx = None;
    w.busy = None;
    match done {
        Done::Pulled(Err(e)) | Done::Pushed(Err(e)) => w.message = crate::error::report(&e),
        Done::Pulled(Ok((p, path))) => {
            let n = p.grids.len();
            w.message = crate::error::bilingual(
                &format!("已拉取 {n} 个网格到 {}", path.display()),
                &format!("pulled {n} grids into {}", path.display()),
            );
            w.conflicts.clear();
            app.settings.county_url = w.url.clone();
            app.settings.county_township = w.township.clone();
            app.settings.remember(&path);
            app.store_settings();
            app.load_project(p, Some(path));
        }
        Done::Pushed(Ok(PushOutcome::Conflicts(list))) => {
            w.message = format!(
                "{} 处冲突：请逐项选择后再推送。 {} conflicts: choose, then push again.",
                list.len(),
                list.len()
            );
            w.conflicts = list
                .into_iter()
                .map(|c| ConflictRow {
                    conflict: c,
                    theirs: BTreeSet::new(),
                    keep_mine: true,
                })
                .collect();
        }
        Done::Pushed(Ok(PushOutcome::Refused(findings))) => {
            w.message = ops::render_refused(&findings);
            w.refused = findings;
        }
        Done::Pushed(Ok(PushOutcome::Pushed(p))) => {
            w.message = ops::render_pushed(&p, false);
            w.conflicts.clear();
            app.settings.county_url = w.url.clone();
            app.settings.county_township = w.township.clone();
            app.store_settings();
            if !p.take.is_empty() {
                let t = crate::county::take_rows(
                    app.doc.project(),
                    &p.take,
                    "从县级库更新 update from the county database",
                );
                if let Err(e) = app.try_commit(t.taken_as_is()) {
                    app.show_error(&e);
                }
            }
            app.set_bookkeeping(SYNC_KEY, Some(p.sync.to_value()));
            app.message = ops::render_pushed(&p, false)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            // The file keeps the new versions at once: a later push starts from them. A save
            // that fails says so in the status bar.
            if let Some(path) = app.doc.path.clone() {
                app.save_to(&path);
            }
        }
    }
}

fn field_label(f: &str) -> &str {
    match f {
        "name" => "名称 name",
        "code" => "编码 code",
        "level" => "级别 level",
        "parent" => "上级 parent",
        "households" => "户数 households",
        "population" => "人数 population",
        "notes" => "备注 notes",
        "staff" => "人员 staff",
        "extra" => "其他 other",
        GEOMETRY_FIELD => "图形 geometry",
        other => other,
    }
}

/// Draw the window (and take in finished work); the command it gives (pull), for the
/// shell.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) -> Option<UiCommand> {
    poll(app);
    let mut w = app.dialogs.county.take()?;
    let mut open = true;
    let mut cmd = None;
    let mut push = false;
    let sync = SyncState::status_of(app.doc.project());
    egui::Window::new("县级数据库 County database")
        .open(&mut open)
        .default_width(640.0)
        .show(ctx, |ui| {
            egui::Grid::new("county-conn").num_columns(2).show(ui, |ui| {
                ui.label("地址 Address");
                ui.add(
                    egui::TextEdit::singleline(&mut w.url)
                        .hint_text("postgres://user@host:5432/county  或 service=county")
                        .desired_width(380.0),
                );
                ui.end_row();
                ui.label("乡镇代码 Township");
                ui.add(egui::TextEdit::singleline(&mut w.township).desired_width(160.0));
                ui.end_row();
                ui.label("密码 Password");
                ui.add(
                    egui::TextEdit::singleline(&mut w.password)
                        .password(true)
                        .hint_text("留空：~/.pgpass")
                        .desired_width(160.0),
                );
                ui.end_row();
            });
            ui.label(
                RichText::new("密码只在本次使用，不写入项目或设置。 The password is used for this session only.")
                    .small(),
            );
            match &sync {
                Some(s) => ui.label(s.as_str()),
                None => ui.label("当前项目不是从县级库拉取的。 The open project was not pulled from the county database."),
            };
            let idle = w.busy.is_none();
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(idle, egui::Button::new("拉取本乡镇 Pull…"))
                    .clicked()
                {
                    cmd = Some(UiCommand::CountyPull);
                }
                let label = if w.conflicts.is_empty() {
                    "推送 Push"
                } else {
                    "按所选解决并推送 Resolve and push"
                };
                if ui.add_enabled(idle, egui::Button::new(label)).clicked() {
                    push = true;
                }
                ui.checkbox(&mut w.force, "强制（县级账号） Force (county)");
            });
            if let Some(b) = &w.busy {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(b.as_str());
                });
            }
            if !w.message.is_empty() {
                let colour = if w.refused.is_empty() && w.conflicts.is_empty() {
                    ui.visuals().text_color()
                } else {
                    Color32::from_rgb(200, 60, 40)
                };
                ui.label(RichText::new(w.message.clone()).color(colour));
            }
            if !w.conflicts.is_empty() {
                ui.separator();
                ui.strong("冲突 Conflicts: 我方 mine / 他人 theirs");
                egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    for (k, row) in w.conflicts.iter_mut().enumerate() {
                        conflict_ui(ui, k, row);
                    }
                });
            }
        });
    if let Some(c) = cmd {
        app.dialogs.county = Some(w);
        return Some(c);
    }
    if push {
        let mut project = app.doc.project().clone();
        // The strip of neighbours is not the township's to push.
        project.settings.remove(NEIGHBOURS_KEY);
        w.start_push(ctx, project);
    }
    // Closing waits for the work under way: a push's result must reach the project (its
    // new versions), or the next push would take this one's rows for someone else's.
    if open || w.busy.is_some() {
        app.dialogs.county = Some(w);
    }
    None
}

fn conflict_ui(ui: &mut egui::Ui, k: usize, row: &mut ConflictRow) {
    let c = &row.conflict;
    let (layer, id) = c.key.split_once('/').unwrap_or(("", &c.key));
    let layer = crate::county::layer_of(layer).map_or(("", ""), |l| l.label());
    let name = [&c.mine, &c.theirs]
        .into_iter()
        .flatten()
        .find_map(|r| r.attrs.get("name").and_then(|v| v.as_str()))
        .unwrap_or_default();
    ui.label(
        RichText::new(format!(
            "{} {id}「{name}」 — 他人 theirs: {} {} (v{})",
            layer.0, c.by, c.at, c.their_version
        ))
        .strong(),
    );
    let fields = c.fields();
    if fields.is_empty() {
        let what = if c.mine.is_none() {
            "我方已删除，他人已修改 deleted here, changed there"
        } else {
            "我方已修改，他人已删除 changed here, deleted there"
        };
        ui.horizontal(|ui| {
            ui.label(what);
            ui.radio_value(&mut row.keep_mine, true, "用我方 mine");
            ui.radio_value(&mut row.keep_mine, false, "用他人 theirs");
        });
        ui.separator();
        return;
    }
    ui.horizontal(|ui| {
        if ui.small_button("全用我方 all mine").clicked() {
            row.theirs.clear();
        }
        if ui.small_button("全用他人 all theirs").clicked() {
            row.theirs = fields.iter().map(|f| f.field.clone()).collect();
        }
    });
    egui::Grid::new(("conflict", k))
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            ui.strong("字段 field");
            ui.strong("我方 mine");
            ui.strong("他人 theirs");
            ui.strong("采用 take");
            ui.end_row();
            for f in &fields {
                let theirs = row.theirs.contains(&f.field);
                ui.label(field_label(&f.field));
                ui.label(RichText::new(&f.mine).color(if theirs {
                    Color32::GRAY
                } else {
                    Color32::from_rgb(30, 120, 200)
                }));
                ui.label(RichText::new(&f.theirs).color(if theirs {
                    Color32::from_rgb(200, 120, 30)
                } else {
                    Color32::GRAY
                }));
                let mut take_theirs = theirs;
                ui.horizontal(|ui| {
                    ui.radio_value(&mut take_theirs, false, "我方");
                    ui.radio_value(&mut take_theirs, true, "他人");
                });
                if take_theirs != theirs {
                    if take_theirs {
                        row.theirs.insert(f.field.clone());
                    } else {
                        row.theirs.remove(&f.field);
                    }
                }
                ui.end_row();
            }
        });
    ui.separator();
}
