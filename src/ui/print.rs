//! The print dialog (打印): layout, grid, paper and texts, a live preview of the sheet as it
//! will print, and export to PDF, SVG or PNG through the same code as `gridmap print`.

use super::GridmapApp;
use crate::print::{self, Layout, Orientation, Paper, PrintOptions, Show};

/// What the user has chosen; the preview is redrawn when it changes.
#[derive(Clone, PartialEq)]
pub struct PrintDialog {
    pub layout: Layout,
    /// Grid id for village maps and boards.
    pub grid: Option<String>,
    pub paper: Option<usize>,
    pub orientation: Orientation,
    /// Scale denominator typed by the user; empty fits the sheet.
    pub scale: String,
    pub mono: bool,
    /// Layers and marks shown.
    pub show: Show,
    pub title: String,
    pub office: String,
    pub hotline: String,
    pub duties: String,
    /// What the QR code says (an address with {code}, or {page} for the published
    /// website); empty prints the grid's code.
    pub qr_url: String,
    pub dpi: u32,
    /// Output path typed by the user (.pdf, .svg, .png).
    pub out: String,
    /// The output path is gridmap's suggestion, named after the layout and the grid, and
    /// follows them; false once the user typed or chose one.
    pub out_auto: bool,
    /// Text that narrows the grid picker (name, code or id).
    pub grid_filter: String,
    /// Atlas page shown in the preview.
    pub page: usize,
}

/// A scale typed in the dialog that is not a number.
#[derive(Debug, thiserror::Error)]
#[error(
    "比例尺「{}」无效\ninvalid scale \"{}\"",
    crate::error::quoted(.0),
    crate::error::quoted(.0)
)]
pub struct InvalidScale(pub String);

/// The preview texture and what it was drawn from.
pub struct Preview {
    pub key: Option<PrintDialog>,
    pub texture: Option<egui::TextureHandle>,
    pub pages: usize,
    pub error: Option<String>,
    pub omitted: Vec<String>,
}

impl PrintDialog {
    pub fn new(app: &GridmapApp) -> Self {
        let saved = |k: &str| {
            app.doc
                .project()
                .settings
                .get("print")
                .and_then(|v| v.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let grid = app.selection.first().cloned().or_else(|| {
            app.doc
                .project()
                .grids
                .iter()
                .find(|g| g.level >= 3)
                .map(|g| g.id.clone())
        });
        PrintDialog {
            layout: if app.selection.is_empty() {
                Layout::Township
            } else {
                Layout::Board
            },
            grid,
            paper: None,
            orientation: Orientation::Auto,
            scale: String::new(),
            mono: false,
            show: Show::default(),
            title: String::new(),
            office: saved("office"),
            hotline: saved("hotline"),
            duties: saved("duties"),
            qr_url: saved("qr_url"),
            dpi: 300,
            out: String::new(),
            out_auto: true,
            grid_filter: String::new(),
            page: 0,
        }
        .with_suggested_out(app)
    }

    /// Name the output after the layout and the grid, beside the project (else in the
    /// temporary folder): a board never lands on the township map's file.
    fn with_suggested_out(mut self, app: &GridmapApp) -> Self {
        self.suggest_out(app);
        self
    }

    fn suggest_out(&mut self, app: &GridmapApp) {
        if !self.out_auto {
            return;
        }
        let stem = app
            .doc
            .path
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "gridmap".into());
        let ext = std::path::Path::new(self.out.trim())
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| ["pdf", "png", "svg"].contains(&e.to_ascii_lowercase().as_str()))
            .unwrap_or("pdf")
            .to_string();
        let dir = app
            .doc
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .filter(|d| !d.as_os_str().is_empty() && d.is_dir())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let grid = match self.layout {
            Layout::Village | Layout::Board => self
                .grid
                .as_deref()
                .and_then(|id| app.doc.grid(id))
                .map(|g| {
                    let n = if g.code.is_empty() { &g.id } else { &g.code };
                    format!("-{}-{}", g.label(), n)
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        let name = format!("{stem}-{}{grid}.{ext}", self.layout.zh());
        // Characters Windows refuses in file names.
        let name: String = name
            .chars()
            .map(|c| if r#"\/:*?"<>|"#.contains(c) { '_' } else { c })
            .collect();
        self.out = dir.join(name).display().to_string();
    }

    /// The print options these choices stand for.
    pub fn options(&self) -> Result<PrintOptions, InvalidScale> {
        let mut o = PrintOptions::new(self.layout);
        o.grid = self.grid.clone();
        o.paper = self.paper.map(Paper::a);
        o.orientation = self.orientation;
        let scale = self
            .scale
            .trim()
            .trim_start_matches("1:")
            .replace([' ', ','], "");
        if !scale.is_empty() {
            o.scale = Some(
                scale
                    .parse()
                    .map_err(|_| InvalidScale(self.scale.clone()))?,
            );
        }
        o.mono = self.mono;
        o.show = self.show;
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        o.title = text(&self.title);
        o.office = text(&self.office);
        o.hotline = text(&self.hotline);
        o.duties = text(&self.duties);
        o.qr_url = text(&self.qr_url);
        Ok(o)
    }
}

const PREVIEW_SIDE: u32 = 720;

/// At most this many grids are listed in the picker; typing narrows the list.
const PICKER_ROWS: usize = 300;

/// The colour of warnings in the dialog.
const WARN: egui::Color32 = egui::Color32::from_rgb(0xb0, 0x70, 0x00);
/// The colour of errors in the dialog.
const ERROR: egui::Color32 = egui::Color32::from_rgb(0xc0, 0x20, 0x20);

impl Preview {
    /// No preview, and why.
    fn fail(&mut self, e: &(dyn std::error::Error + 'static)) {
        self.texture = None;
        self.error = Some(crate::error::report(e));
    }
}

fn refresh(app: &GridmapApp, d: &PrintDialog, pv: &mut Preview, ctx: &egui::Context) {
    if pv.key.as_ref() == Some(d) {
        return;
    }
    pv.key = Some(d.clone());
    let o = match d.options() {
        Ok(o) => o,
        Err(e) => return pv.fail(&e),
    };
    let doc = match print::compose(app.doc.project(), &o) {
        Ok(doc) => doc,
        Err(e) => return pv.fail(&e),
    };
    pv.pages = doc.pages.len();
    let page = &doc.pages[d.page.min(doc.pages.len() - 1)];
    pv.omitted = page.meta.omitted.clone();
    match print::preview(page, PREVIEW_SIDE) {
        Ok((w, h, rgba)) => {
            let img = egui::ColorImage::from_rgba_premultiplied([w as usize, h as usize], &rgba);
            pv.texture = Some(ctx.load_texture("print-preview", img, egui::TextureOptions::LINEAR));
            pv.error = None;
        }
        Err(e) => pv.error = Some(crate::error::report(&e)),
    }
}

/// Write the print where the dialog says; the status bar tells what happened.
pub fn export(app: &mut GridmapApp, d: &PrintDialog) {
    let path = std::path::PathBuf::from(d.out.trim());
    let o = match d.options() {
        Ok(o) => o,
        Err(e) => return app.message = crate::error::report(&e),
    };
    let result = crate::commands::print(app.doc.project(), &o, &path, d.dpi);
    app.message = match result {
        Ok(done) => {
            // Remember office, hotline and duties with the project (saved with it), as
            // an undoable change of its settings.
            let mut settings = app.doc.settings();
            settings.print = crate::model::PrintSettings::from_texts([
                &d.office, &d.hotline, &d.duties, &d.qr_url,
            ]);
            if let Err(e) = app.set_settings("打印设置 / Print settings", &settings) {
                return app.message = crate::error::report(&e);
            }
            let files: Vec<String> = done.files.iter().map(|f| f.display().to_string()).collect();
            format!("{}: {}", app.t("printed"), files.join(", "))
        }
        Err(e) => crate::error::report(&e),
    };
}

fn combo<T: Copy + PartialEq>(ui: &mut egui::Ui, id: &str, value: &mut T, choices: &[(T, String)]) {
    let shown = choices
        .iter()
        .find(|c| c.0 == *value)
        .map(|c| c.1.clone())
        .unwrap_or_default();
    egui::ComboBox::from_id_salt(id)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for (v, label) in choices {
                ui.selectable_value(value, *v, label);
            }
        });
}

/// What the buttons of the dialog asked for.
#[derive(Default)]
struct Asked {
    export: bool,
    choose_out: bool,
}

/// Draw the dialog while it is open.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(mut d) = app.dialogs.print_dialog.take() else {
        return;
    };
    let mut pv = app.dialogs.print_preview.take().unwrap_or(Preview {
        key: None,
        texture: None,
        pages: 0,
        error: None,
        omitted: Vec::new(),
    });
    let mut open = true;
    let mut asked = Asked::default();
    let before = (d.layout, d.grid.clone());
    egui::Window::new(app.t("print_title"))
        .id(egui::Id::unique("print-dialog"))
        .open(&mut open)
        .default_size([1100.0, 780.0])
        .show(ctx, |ui| {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(330.0);
                    choices_ui(app, &mut d, ui);
                    output_ui(app, &mut d, ui);
                    readiness_ui(app, &d, ui);
                    ui.horizontal(|ui| {
                        asked.choose_out = ui.button(app.t("choose_file")).clicked();
                        asked.export = ui.button(app.t("export_print")).clicked();
                    });
                    if !app.message.is_empty() {
                        ui.label(&app.message);
                    }
                });
                ui.separator();
                ui.vertical(|ui| preview_ui(app, &mut d, &mut pv, ui));
            });
        });
    if (d.layout, d.grid.clone()) != before {
        d.suggest_out(app);
    }
    if asked.export {
        export(app, &d);
    }
    if open {
        let name = std::path::Path::new(d.out.trim())
            .file_name()
            .map(|n| n.to_string_lossy().to_string());
        app.dialogs.print_dialog = Some(d);
        app.dialogs.print_preview = Some(pv);
        if asked.choose_out {
            super::files::choose(app, super::files::FilePurpose::PrintOutput, name);
        }
    }
}

/// What to print: layout and grid, paper, orientation and scale, the sheet's texts, the
/// layers and marks shown, and the duties of a board.
fn choices_ui(app: &GridmapApp, d: &mut PrintDialog, ui: &mut egui::Ui) {
    egui::Grid::new("print-grid").num_columns(2).show(ui, |ui| {
        layout_rows(app, d, ui);
        paper_rows(app, d, ui);
        text_rows(app, d, ui);
    });
    ui.checkbox(&mut d.mono, app.t("mono"));
    ui.horizontal_wrapped(|ui| {
        let sh = &mut d.show;
        for (flag, key) in [
            (&mut sh.rivers, "show_rivers"),
            (&mut sh.reservoirs, "show_reservoirs"),
            (&mut sh.villages, "show_villages"),
            (&mut sh.labels, "show_labels"),
            (&mut sh.codes, "show_codes"),
            (&mut sh.inset, "show_inset"),
            (&mut sh.ticks, "show_ticks"),
            (&mut sh.qr, "show_qr"),
        ] {
            ui.checkbox(flag, app.t(key));
        }
    });
    if d.layout == Layout::Board || d.layout == Layout::Atlas {
        ui.label(app.t("duties"));
        ui.add(
            egui::TextEdit::multiline(&mut d.duties)
                .hint_text(print::DEFAULT_DUTIES)
                .desired_rows(4)
                .desired_width(320.0),
        );
    }
}

/// The layout, and the grid of a village map or board.
fn layout_rows(app: &GridmapApp, d: &mut PrintDialog, ui: &mut egui::Ui) {
    let en = app.lang == super::Lang::En;
    ui.label(app.t("layout"));
    let layouts: Vec<(Layout, String)> = Layout::ALL
        .iter()
        .map(|l| (*l, if en { l.key() } else { l.zh() }.to_string()))
        .collect();
    combo(ui, "print-layout", &mut d.layout, &layouts);
    ui.end_row();
    if matches!(d.layout, Layout::Village | Layout::Board) {
        ui.label(app.t("grid"));
        grid_picker(app, d, ui);
        ui.end_row();
    }
}

/// The grid to print, picked from a list that typing narrows (20,000 grids are no list to
/// scroll).
fn grid_picker(app: &GridmapApp, d: &mut PrintDialog, ui: &mut egui::Ui) {
    let project = app.doc.project();
    let shown = d
        .grid
        .as_deref()
        .and_then(|id| project.grid(id))
        .map(|g| g.label().to_string())
        .unwrap_or_default();
    egui::ComboBox::from_id_salt("print-grid-id")
        .selected_text(shown)
        .height(400.0)
        .show_ui(ui, |ui| {
            ui.add(
                egui::TextEdit::singleline(&mut d.grid_filter)
                    .id_salt("print-grid-filter")
                    .hint_text(app.t("search_grid"))
                    .desired_width(240.0),
            );
            let q = d.grid_filter.trim().to_lowercase();
            let mut n = 0;
            for g in project.grids.iter().filter(|g| {
                (d.layout == Layout::Board || g.level == 2)
                    && (q.is_empty()
                        || g.name.to_lowercase().contains(&q)
                        || g.code.to_lowercase().contains(&q)
                        || g.id.to_lowercase().contains(&q))
            }) {
                n += 1;
                if n > PICKER_ROWS {
                    ui.label(app.t("more_grids"));
                    break;
                }
                let chosen = d.grid.as_deref() == Some(g.id.as_str());
                let text = if g.code.is_empty() {
                    g.label().to_string()
                } else {
                    format!("{} ({})", g.label(), g.code)
                };
                if ui.selectable_label(chosen, text).clicked() {
                    d.grid = Some(g.id.clone());
                }
            }
        });
}

/// Paper, orientation and scale.
fn paper_rows(app: &GridmapApp, d: &mut PrintDialog, ui: &mut egui::Ui) {
    ui.label(app.t("paper"));
    let mut papers: Vec<(Option<usize>, String)> = vec![(None, app.t("paper_default").to_string())];
    papers.extend((0..5).map(|i| (Some(i), Paper::a(i).name.to_string())));
    combo(ui, "print-paper", &mut d.paper, &papers);
    ui.end_row();
    ui.label(app.t("orientation"));
    combo(
        ui,
        "print-orientation",
        &mut d.orientation,
        &[
            (Orientation::Auto, app.t("auto").to_string()),
            (Orientation::Portrait, app.t("portrait").to_string()),
            (Orientation::Landscape, app.t("landscape").to_string()),
        ],
    );
    ui.end_row();
    ui.label(app.t("scale"));
    ui.add(
        egui::TextEdit::singleline(&mut d.scale)
            .hint_text(app.t("scale_fit"))
            .desired_width(120.0),
    );
    ui.end_row();
}

/// The sheet's texts: title, office, hotline and the QR code's address.
fn text_rows(app: &GridmapApp, d: &mut PrintDialog, ui: &mut egui::Ui) {
    ui.label(app.t("print_title_text"));
    ui.add(egui::TextEdit::singleline(&mut d.title).desired_width(200.0));
    ui.end_row();
    ui.label(app.t("office"));
    ui.add(egui::TextEdit::singleline(&mut d.office).desired_width(200.0));
    ui.end_row();
    ui.label(app.t("hotline"));
    ui.add(
        egui::TextEdit::singleline(&mut d.hotline)
            .id_salt("print-hotline")
            .desired_width(200.0),
    );
    ui.end_row();
    ui.label(app.t("qr_url"));
    ui.add(
        egui::TextEdit::singleline(&mut d.qr_url)
            .id_salt("print-qr")
            .hint_text(app.t("qr_hint"))
            .desired_width(200.0),
    );
    ui.end_row();
}

/// Where the print goes: the PNG resolution and the output path (typing one stops the
/// suggestion), warned when it would overwrite a file.
fn output_ui(app: &GridmapApp, d: &mut PrintDialog, ui: &mut egui::Ui) {
    ui.separator();
    ui.horizontal(|ui| {
        ui.label("PNG dpi");
        ui.add(egui::DragValue::new(&mut d.dpi).range(72..=1200));
    });
    if ui
        .add(
            egui::TextEdit::singleline(&mut d.out)
                .id_salt("print-out")
                .desired_width(320.0),
        )
        .changed()
    {
        d.out_auto = false;
    }
    if std::path::Path::new(d.out.trim()).exists() {
        ui.colored_label(WARN, app.t("will_overwrite"));
    }
}

/// What would print wrong (an empty hotline, working names) before it does, and the
/// audit's errors still open.
fn readiness_ui(app: &GridmapApp, d: &PrintDialog, ui: &mut egui::Ui) {
    let en = app.lang == super::Lang::En;
    if let Ok(o) = d.options() {
        let o = o.with_project_defaults(app.doc.project());
        for (zh, en_text) in print::preflight(app.doc.project(), &o) {
            ui.colored_label(WARN, format!("⚠ {}", if en { en_text } else { zh }));
        }
    }
    let errors = app.doc.auditor().count(crate::audit::Severity::Error);
    if errors > 0 {
        ui.colored_label(
            ERROR,
            if en {
                format!("The audit still finds {errors} errors: the map is not ready to publish.")
            } else {
                format!("检查仍有 {errors} 个错误，地图尚不宜发布。")
            },
        );
    }
}

/// The sheet as it will print (the page of an atlas chosen above it), why there is none,
/// and the labels left out for want of room.
fn preview_ui(app: &GridmapApp, d: &mut PrintDialog, pv: &mut Preview, ui: &mut egui::Ui) {
    refresh(app, d, pv, ui.ctx());
    if pv.pages > 1 {
        ui.horizontal(|ui| {
            ui.label(app.t("page"));
            let mut n = d.page + 1;
            ui.add(egui::DragValue::new(&mut n).range(1..=pv.pages));
            d.page = n - 1;
            ui.label(format!("/ {}", pv.pages));
        });
    }
    if let Some(e) = &pv.error {
        ui.colored_label(ERROR, e);
    }
    if !pv.omitted.is_empty() {
        // Named so the user can act, but not all of thousands: the preview stays in view.
        ui.label(format!(
            "{} ({}): {}",
            app.t("labels_omitted"),
            pv.omitted.len(),
            crate::print::first_names(&pv.omitted, 10)
        ));
    }
    if let Some(t) = &pv.texture {
        let avail = ui.available_size();
        let size = t.size_vec2();
        let k = (avail.x / size.x).min(avail.y / size.y).min(1.0);
        ui.add(egui::Image::new(t).fit_to_exact_size(size * k));
    }
}
