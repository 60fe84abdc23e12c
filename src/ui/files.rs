//! Choosing files: the system's dialog where one exists (Windows, macOS, Linux with an XDG
//! desktop portal or zenity), otherwise a dialog drawn inside the window (egui_file), so
//! Open, Save as, Import and the exports always work.

use super::GridmapApp;
use std::path::{Path, PathBuf};

/// What a chosen file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePurpose {
    Open,
    SaveAs,
    Import,
    ImportRoster,
    Ledger,
    AddBackground,
    /// The output of the print dialog (its extension says the format).
    PrintOutput,
    /// KML/KMZ for phones.
    ExportKml,
    /// A DXF drawing for CAD users.
    ExportDxf,
    /// An MBTiles file for the offline background.
    Mbtiles,
    /// A scanned map to georeference.
    Georeference,
    /// Where a township pulled from the county database is kept (a new project file).
    CountyPull,
    /// The folder of the residents' website (File → 发布网页…).
    PublishFolder,
}

impl FilePurpose {
    fn saves(self) -> bool {
        matches!(
            self,
            FilePurpose::SaveAs
                | FilePurpose::Ledger
                | FilePurpose::PrintOutput
                | FilePurpose::ExportKml
                | FilePurpose::ExportDxf
                | FilePurpose::CountyPull
        )
    }

    /// Whether a folder is chosen rather than a file.
    fn folder(self) -> bool {
        matches!(self, FilePurpose::PublishFolder)
    }

    /// The dialog's filters: a description and the extensions it takes.
    fn filters(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            FilePurpose::Open => &[(
                "GeoPackage / GeoJSON / Shapefile / KML / DXF / Excel",
                &[
                    "gpkg", "geojson", "json", "shp", "kml", "kmz", "dxf", "xlsx", "xls", "ods",
                    "csv",
                ],
            )],
            FilePurpose::SaveAs => &[
                ("gridmap 项目 project (GeoPackage)", &["gpkg"]),
                ("GeoJSON", &["geojson", "json"]),
                ("Shapefile (导出 export)", &["shp"]),
                ("CSV (WKT)", &["csv"]),
                ("KMZ / KML (手机 phones)", &["kmz", "kml"]),
                ("DXF (CAD)", &["dxf"]),
            ],
            FilePurpose::Import => &[(
                "Shapefile / GeoJSON / GeoPackage / KML / DXF",
                &["shp", "geojson", "json", "gpkg", "kml", "kmz", "dxf"],
            )],
            FilePurpose::ExportKml => &[("KMZ / KML", &["kmz", "kml"])],
            FilePurpose::ExportDxf => &[("DXF (CAD)", &["dxf"])],
            FilePurpose::Mbtiles => &[("MBTiles", &["mbtiles"])],
            FilePurpose::CountyPull => &[("gridmap 项目 project (GeoPackage)", &["gpkg"])],
            FilePurpose::PublishFolder => &[],
            FilePurpose::Georeference => &[("PNG/JPEG", &["png", "jpg", "jpeg"])],
            FilePurpose::ImportRoster => &[("Excel / CSV", &["xlsx", "xls", "ods", "csv"])],
            FilePurpose::Ledger => &[("Excel", &["xlsx"])],
            FilePurpose::AddBackground => &[("PNG/JPEG", &["png", "jpg", "jpeg"])],
            FilePurpose::PrintOutput => &[("PDF", &["pdf"]), ("PNG", &["png"]), ("SVG", &["svg"])],
        }
    }

    fn title(self, zh: bool) -> &'static str {
        let (z, e) = match self {
            FilePurpose::Open => ("打开", "Open"),
            FilePurpose::SaveAs => ("另存为", "Save as"),
            FilePurpose::Import => ("导入图层", "Import layer"),
            FilePurpose::ImportRoster => ("导入人员名单", "Import staff roster"),
            FilePurpose::Ledger => ("导出台账", "Export ledger"),
            FilePurpose::AddBackground => ("添加底图影像", "Add background image"),
            FilePurpose::PrintOutput => ("导出到文件", "Export to file"),
            FilePurpose::ExportKml => ("导出到手机（KML/KMZ）", "Export for phones (KML/KMZ)"),
            FilePurpose::ExportDxf => ("导出 CAD 图（DXF）", "Export CAD drawing (DXF)"),
            FilePurpose::Mbtiles => ("离线底图（MBTiles）", "Offline base map (MBTiles)"),
            FilePurpose::CountyPull => ("拉取到项目文件", "Pull into project file"),
            FilePurpose::PublishFolder => ("网站文件夹", "Website folder"),
            FilePurpose::Georeference => ("地理配准扫描图", "Georeference a scanned map"),
        };
        if zh { z } else { e }
    }
}

/// True when the system can show a file dialog: always on Windows and macOS; on Linux when
/// zenity is installed or an XDG desktop portal can answer on the session bus.
/// `GRIDMAP_FILE_DIALOG=builtin` or `native` decides instead.
pub fn native_available() -> bool {
    match std::env::var("GRIDMAP_FILE_DIALOG").as_deref() {
        Ok("builtin") => return false,
        Ok("native") => return true,
        _ => {}
    }
    if cfg!(any(windows, target_os = "macos")) {
        return true;
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let portal = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && ["/usr/libexec", "/usr/lib", "/usr/lib/xdg-desktop-portal"]
            .iter()
            .any(|d| Path::new(d).join("xdg-desktop-portal").is_file());
    on_path("zenity") || portal
}

/// The file dialog drawn inside the window, and what its file is for.
pub struct FileChooser {
    pub purpose: FilePurpose,
    dialog: egui_file::FileDialog,
}

impl FileChooser {
    /// The folder the dialog shows.
    pub fn directory(&self) -> &Path {
        self.dialog.directory()
    }
}

/// The folder a dialog starts in: the open document's, else the last file's, else home.
fn start_dir(app: &GridmapApp) -> Option<PathBuf> {
    app.doc
        .path
        .iter()
        .chain(app.settings.recent.iter())
        .filter_map(|p| p.parent())
        .find(|d| d.is_dir())
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" }).map(PathBuf::from)
        })
}

/// Ask for a file for `purpose` (`name`: the suggested file name when saving), then carry
/// it out with [`GridmapApp::file_chosen`].
pub fn choose(app: &mut GridmapApp, purpose: FilePurpose, name: Option<String>) {
    let dir = start_dir(app);
    choose_in(app, purpose, name, dir);
}

/// [`choose`] starting in `dir`.
pub fn choose_in(
    app: &mut GridmapApp,
    purpose: FilePurpose,
    name: Option<String>,
    dir: Option<PathBuf>,
) {
    if app.dialogs.native_dialogs {
        let mut d = rfd::FileDialog::new().set_title(purpose.title(app.lang == super::Lang::Zh));
        for (what, exts) in purpose.filters() {
            d = d.add_filter(*what, exts);
        }
        if let Some(dir) = &dir {
            d = d.set_directory(dir);
        }
        if let Some(n) = &name {
            d = d.set_file_name(n);
        }
        let picked = if purpose.folder() {
            d.pick_folder()
        } else if purpose.saves() {
            d.save_file()
        } else {
            d.pick_file()
        };
        if let Some(p) = picked {
            app.file_chosen(purpose, p);
        }
        return;
    }
    let zh = app.lang == super::Lang::Zh;
    let t = |z: &'static str, e: &'static str| std::borrow::Cow::Borrowed(if zh { z } else { e });
    let exts: Vec<String> = purpose
        .filters()
        .iter()
        .flat_map(|f| f.1.iter().map(|e| e.to_string()))
        .collect();
    let shown = exts.clone();
    let mut dialog = if purpose.folder() {
        egui_file::FileDialog::select_folder()
    } else if purpose.saves() {
        egui_file::FileDialog::save_file()
    } else {
        egui_file::FileDialog::open_file()
    }
    .title(purpose.title(zh))
    .id(egui::Id::unique("gridmap-file-dialog"))
    .open_button_text(t("打开", "Open"))
    .save_button_text(t("保存", "Save"))
    .cancel_button_text(t("取消", "Cancel"))
    .new_folder_button_text(t("新建文件夹", "New folder"))
    .new_folder_name_text(t("新建文件夹", "New folder"))
    .rename_button_text(t("重命名", "Rename"))
    .file_label_text(t("文件名：", "File name:"))
    .show_hidden_checkbox_text(t("显示隐藏文件", "Show hidden"))
    .refresh_button_hover_text(t("刷新", "Refresh"))
    .parent_folder_button_hover_text(t("上一级", "Parent folder"))
    .default_size([640.0, 460.0])
    .show_files_filter(Box::new(move |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| shown.iter().any(|x| x.eq_ignore_ascii_case(e)))
    }));
    if let Some(dir) = dir {
        dialog = dialog.initial_path(dir);
    }
    if let Some(n) = name {
        dialog = dialog.default_filename(n);
    }
    dialog.open();
    app.dialogs.file_chooser = Some(FileChooser { purpose, dialog });
}

/// Show the in-window dialog while it is open; carry out the file once chosen.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(chooser) = app.dialogs.file_chooser.as_mut() else {
        return;
    };
    chooser.dialog.show(ctx);
    match chooser.dialog.state() {
        egui_file::State::Open => {}
        egui_file::State::Selected => {
            let purpose = chooser.purpose;
            let path = chooser.dialog.path().map(Path::to_path_buf);
            app.dialogs.file_chooser = None;
            if let Some(p) = path {
                app.file_chosen(purpose, p);
            }
        }
        egui_file::State::Cancelled | egui_file::State::Closed => app.dialogs.file_chooser = None,
    }
}
