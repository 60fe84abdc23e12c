//! The import dialog for shapefiles, GeoPackages from elsewhere and DXF drawings:
//! attribute encoding (automatic or chosen), the CRS when the file names none, GCJ-02
//! input, which column holds which field, and the CAD layers to read, with a live preview
//! of what will be read. The choices are remembered in the project's settings.

use super::GridmapApp;
use crate::io::{self, FieldMap, Format, ReadOptions};
use crate::model::{Crs, Project};
use std::path::{Path, PathBuf};

/// What the dialog's result is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Open as a new project.
    Open,
    /// Add the layers to the open project.
    AddLayers,
}

/// Encodings offered, with the label shown.
const ENCODINGS: [(&str, &str); 3] = [("UTF-8", "UTF-8"), ("GBK", "GBK"), ("GB18030", "GB18030")];

pub struct ImportDialog {
    pub path: PathBuf,
    pub mode: ImportMode,
    /// None = automatic (.cpg, language byte, detection).
    pub encoding: Option<&'static str>,
    /// EPSG code typed by the user for a file without a CRS.
    pub crs_text: String,
    pub needs_crs: bool,
    /// The CRS the coordinates look like, offered when the file names none.
    pub suggested: Option<Crs>,
    pub gcj02: bool,
    pub columns: Vec<String>,
    pub fields: FieldMap,
    /// DXF: the drawing's CAD layers, how many entities each holds, and whether it is read.
    pub cad_layers: Vec<(String, usize, bool)>,
    /// What a read with the current choices gives: a summary, or the error.
    pub preview: Result<String, super::UiError>,
    /// The project read with the current choices.
    loaded: Option<Project>,
    stale: bool,
    /// The encoding was changed: a drawing's layer names are read again.
    encoding_changed: bool,
    /// What to run once the project opened is in (`gridmap --print FILE`).
    pub then: Option<super::UiCommand>,
}

impl ImportDialog {
    /// Whether `path` is opened through the dialog (shapefiles, GeoPackages not written by
    /// gridmap).
    pub fn wanted(path: &Path) -> bool {
        match Format::of(path) {
            Some(Format::Shapefile | Format::Dxf) => true,
            Some(Format::GeoPackage) => !io::gpkg::is_native(path).unwrap_or(true),
            _ => false,
        }
    }

    /// `project_crs`: the open project's CRS, offered for a drawing that names none when
    /// layers are added to it.
    pub fn new(
        path: &Path,
        mode: ImportMode,
        settings: &crate::model::Extra,
        project_crs: Option<Crs>,
    ) -> Self {
        let columns = if Format::of(path) == Some(Format::Shapefile) {
            io::shp::columns(path, &ReadOptions::default()).unwrap_or_default()
        } else {
            Vec::new()
        };
        // Remembered mapping where its columns exist, else the guesses.
        let saved = crate::model::ProjectSettings::of(settings);
        let remembered = saved.field_map;
        let mut fields = io::guess_fields(&columns);
        for (key, _, _) in FieldMap::FIELDS {
            if let Some(c) = remembered
                .get(key)
                .filter(|c| columns.iter().any(|x| x == c))
            {
                fields.set(key, Some(c.to_string()));
            }
        }
        let encoding = saved
            .import_encoding
            .as_deref()
            .and_then(|s| ENCODINGS.iter().find(|(k, _)| *k == s).map(|(k, _)| *k));
        let mut d = ImportDialog {
            path: path.to_path_buf(),
            mode,
            encoding,
            crs_text: String::new(),
            needs_crs: false,
            suggested: None,
            gcj02: false,
            columns,
            fields,
            cad_layers: Vec::new(),
            preview: Ok(String::new()),
            loaded: None,
            stale: true,
            encoding_changed: false,
            then: None,
        };
        d.refresh(None);
        if d.needs_crs
            && let Some(c) = d.suggested.or(project_crs)
        {
            d.crs_text = c.epsg.to_string();
            d.refresh(None);
        }
        d
    }

    fn is_dxf(&self) -> bool {
        Format::of(&self.path) == Some(Format::Dxf)
    }

    /// The drawing's CAD layers in the chosen encoding, keeping the choices made.
    fn list_cad_layers(&mut self) {
        let opts = ReadOptions {
            encoding: self.encoding.and_then(io::shp::encoding_for_label),
            ..Default::default()
        };
        let Ok(found) = io::dxf::layers(&self.path, &opts) else {
            return;
        };
        let old = std::mem::take(&mut self.cad_layers);
        // A frame layer (图框/TK) comes unticked: taken as a polygon it would parent
        // every grid.
        self.cad_layers = found
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let on = old.get(i).map_or(!l.frame, |o| o.2);
                (l.name, l.entities, on)
            })
            .collect();
    }

    fn options(&self, working: Option<Crs>) -> Result<ReadOptions, super::UiError> {
        let source_crs = if self.crs_text.trim().is_empty() {
            None
        } else {
            let crs = crate::commands::parse_crs(&self.crs_text);
            Some(crs?)
        };
        Ok(ReadOptions {
            working_crs: working,
            source_crs,
            encoding: self.encoding.and_then(io::shp::encoding_for_label),
            gcj02: self.gcj02,
            fields: self.fields.clone(),
            dxf_layers: self.is_dxf().then(|| {
                self.cad_layers
                    .iter()
                    .filter(|l| l.2)
                    .map(|l| l.0.clone())
                    .collect()
            }),
        })
    }

    /// Read the file with the current choices and summarise it.
    fn refresh(&mut self, working: Option<Crs>) {
        self.stale = false;
        self.loaded = None;
        if self.is_dxf() && (self.cad_layers.is_empty() || self.encoding_changed) {
            self.list_cad_layers();
            self.encoding_changed = false;
        }
        let opts = match self.options(working) {
            Ok(o) => o,
            Err(e) => {
                self.preview = Err(e);
                return;
            }
        };
        match io::open(&[self.path.as_path()], &opts) {
            Ok(p) => {
                let names: Vec<&str> = p.grids.iter().take(4).map(|g| g.label()).collect();
                self.preview = Ok(format!(
                    "{} 个网格 grids, {} 条河流 rivers, {} 个自然村 villages; {}{} · {}",
                    p.grids.len(),
                    p.rivers.len(),
                    p.villages.len(),
                    names.join("、"),
                    if p.grids.len() > 4 { "…" } else { "" },
                    p.crs.describe()
                ));
                self.loaded = Some(p);
            }
            Err(e) => {
                if e.needs_crs && self.crs_text.trim().is_empty() {
                    self.needs_crs = true;
                    self.suggested = e.suggested_crs;
                }
                self.preview = Err(super::UiError::Read(e));
            }
        }
    }
}

/// Draw the dialog; on OK, open or add the layers read.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(mut d) = app.dialogs.import_dialog.take() else {
        return;
    };
    let working = (d.mode == ImportMode::AddLayers).then_some(app.doc.project().crs);
    if d.stale {
        d.refresh(working);
    }
    let mut close = false;
    let mut accept = false;
    egui::Modal::new(egui::Id::unique("import-dialog")).show(ctx, |ui| {
        ui.set_min_width(560.0);
        ui.heading(app.t("import_title"));
        ui.label(d.path.display().to_string());
        ui.separator();
        egui::Grid::new("import-grid")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label(app.t("encoding"));
                let auto = app.t("auto_detect");
                let shown = d.encoding.unwrap_or(auto);
                egui::ComboBox::from_id_salt("import-encoding")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(d.encoding.is_none(), auto).clicked() {
                            d.encoding = None;
                            d.stale = true;
                            d.encoding_changed = true;
                        }
                        for (key, label) in ENCODINGS {
                            if ui
                                .selectable_label(d.encoding == Some(key), label)
                                .clicked()
                            {
                                d.encoding = Some(key);
                                d.stale = true;
                                d.encoding_changed = true;
                            }
                        }
                    });
                ui.end_row();
                ui.label(app.t("source_crs"));
                ui.horizontal(|ui| {
                    if d.needs_crs {
                        ui.label("EPSG:");
                        let r = ui.add(
                            egui::TextEdit::singleline(&mut d.crs_text)
                                .desired_width(80.0)
                                .id_salt("import-crs"),
                        );
                        if r.changed() {
                            d.stale = true;
                        }
                        ui.label(app.t("no_prj"));
                    } else {
                        ui.label(app.t("crs_from_file"));
                    }
                });
                ui.end_row();
                ui.label("GCJ-02");
                if ui.checkbox(&mut d.gcj02, app.t("gcj02_hint")).changed() {
                    d.stale = true;
                }
                ui.end_row();
                if !d.cad_layers.is_empty() {
                    ui.label(app.t("cad_layers"));
                    egui::ScrollArea::vertical()
                        .id_salt("import-cad-layers")
                        .max_height(180.0)
                        .show(ui, |ui| {
                            for (name, n, on) in &mut d.cad_layers {
                                if ui.checkbox(on, format!("{name} ({n})")).changed() {
                                    d.stale = true;
                                }
                            }
                        });
                    ui.end_row();
                }
                if !d.columns.is_empty() {
                    let none = app.t("none");
                    for (key, zh, en) in FieldMap::FIELDS {
                        ui.label(if app.lang == super::Lang::En { en } else { zh });
                        let current = d.fields.get(key).map(|s| s.to_string());
                        egui::ComboBox::from_id_salt(("import-field", key))
                            .selected_text(current.clone().unwrap_or_else(|| none.to_string()))
                            .show_ui(ui, |ui| {
                                if ui.selectable_label(current.is_none(), none).clicked() {
                                    d.fields.set(key, None);
                                    d.stale = true;
                                }
                                for c in d.columns.clone() {
                                    let chosen = current.as_deref() == Some(c.as_str());
                                    if ui.selectable_label(chosen, &c).clicked() {
                                        d.fields.set(key, Some(c));
                                        d.stale = true;
                                    }
                                }
                            });
                        ui.end_row();
                    }
                }
            });
        ui.separator();
        match &d.preview {
            Ok(s) => {
                ui.label(s);
            }
            Err(e) => {
                let e = crate::error::report(e);
                ui.colored_label(egui::Color32::from_rgb(0xc0, 0x20, 0x20), e);
            }
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(d.loaded.is_some(), egui::Button::new(app.t("ok")))
                .clicked()
            {
                accept = true;
            }
            if ui.button(app.t("cancel")).clicked() {
                close = true;
            }
        });
    });
    if accept && let Some(p) = d.loaded.take() {
        take(app, d, p);
        return;
    }
    if !close {
        app.dialogs.import_dialog = Some(d);
    }
}

/// The dialog's 确定: the project read (`p`) opens, or its layers are added, with the
/// field mapping and encoding remembered in the project's settings.
fn take(app: &mut GridmapApp, mut d: ImportDialog, mut p: crate::model::Project) {
    let remember = |s: &mut crate::model::ProjectSettings| {
        s.field_map = d.fields.clone();
        s.import_encoding = d.encoding.map(str::to_string);
    };
    match d.mode {
        ImportMode::Open => {
            let mut s = crate::model::ProjectSettings::of(&p.settings);
            remember(&mut s);
            s.store(&mut p.settings);
            app.load_project(p, None);
            app.message = format!("{}", d.path.display());
            if let Some(c) = d.then.take() {
                app.when_opened(c);
            }
        }
        ImportMode::AddLayers => {
            // One undo step: the layers and the remembered choices.
            let mut t = crate::edit::Transaction::new("导入图层 / Import layer");
            let mut s = app.doc.settings();
            remember(&mut s);
            t.set_settings(app.doc.project(), &s);
            app.add_layers_with(p, t);
        }
    }
}

/// The staff roster preview: how many rows matched which grids, the rows that did not, and
/// 导入 to give the matched grids their people (one undo step).
pub fn show_roster(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some((path, roster, t)) = app.dialogs.roster.take() else {
        return;
    };
    let mut close = false;
    let mut accept = false;
    egui::Modal::new(egui::Id::unique("roster-dialog")).show(ctx, |ui| {
        ui.set_min_width(560.0);
        ui.heading(app.t("roster_title"));
        ui.label(path.display().to_string());
        let unmatched: Vec<_> = roster.unmatched().collect();
        let matched = roster.rows.len() - unmatched.len();
        ui.label(format!(
            "{} 行，{matched} 行已匹配，{} 个网格的人员将更新 / {} rows, {matched} matched, {} grids to update",
            roster.rows.len(),
            t.grids().len(),
            roster.rows.len(),
            t.grids().len()
        ));
        if !unmatched.is_empty() {
            ui.colored_label(
                egui::Color32::from_rgb(0xc0, 0x20, 0x20),
                format!("{}：{}", app.t("unmatched"), unmatched.len()),
            );
            egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                egui::Grid::new("roster-unmatched").striped(true).show(ui, |ui| {
                    for r in unmatched {
                        ui.label(r.line.to_string());
                        ui.label(&r.code);
                        ui.label(&r.grid_name);
                        ui.label(&r.staff.role);
                        ui.label(&r.staff.name);
                        ui.label(&r.staff.phone);
                        ui.end_row();
                    }
                });
            });
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!t.is_empty(), egui::Button::new(app.t("import_do")))
                .clicked()
            {
                accept = true;
            }
            if ui.button(app.t("cancel")).clicked() {
                close = true;
            }
        });
    });
    if accept {
        let n = t.grids().len();
        app.message = match app.try_commit(t) {
            Ok(()) => format!("已导入人员名单：{n} 个网格 / staff of {n} grids imported"),
            Err(e) => crate::error::report(&e),
        };
    } else if !close {
        app.dialogs.roster = Some((path, roster, t));
    }
}
