//! The desktop app (eframe/egui): map canvas, drawing and editing tools, records panel and
//! live audit. The UI only turns input into commands; the edits themselves are the core's
//! invertible transactions (`crate::edit`), audited incrementally after each one.

mod canvas;
mod commands;
pub mod county;
mod dialogs;
mod error;
mod features;
pub mod files;
pub mod georef;
mod help;
mod i18n;
pub mod import;
pub mod loading;
mod palette;
mod panels;
pub mod print;
pub mod publish;
mod saver;
pub mod tiles;
mod tools;
mod tree;
mod view;

pub use commands::{RecordEdit, RecordField, Tool, UiCommand};
pub use error::UiError;
pub use i18n::{Lang, in_language, tr};

pub use tiles::TileLayer;
pub use view::View;

pub use crate::document::Document;
use crate::edit::Transaction;
use crate::io::Reprojector;
use crate::model::{Crs, Project};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The bundled CJK font (Noto Sans CJK SC, subset; SIL OFL 1.1, see assets/fonts/OFL.txt).
pub use crate::print::CJK_FONT;

/// Install the CJK font after egui's default fonts, so Latin text keeps the default face
/// and Chinese falls back to Noto.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "noto-sc".to_owned(),
        Arc::new(egui::FontData::from_static(CJK_FONT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("noto-sc".to_owned());
    }
    ctx.set_fonts(fonts);
}

/// What the app remembers between runs: language and recent files.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub english: bool,
    pub recent: Vec<PathBuf>,
    /// The user name written into grids' change logs.
    #[serde(default)]
    pub user: String,
    /// KML/KMZ exports in GCJ-02 (for 奥维 users who overlay commercial Chinese maps).
    #[serde(default)]
    pub kml_gcj02: bool,
    /// The tile background: `osm`, `tianditu_vec`, `tianditu_img`, `url` or `mbtiles`.
    #[serde(default)]
    pub base_map: String,
    /// The user's own Tianditu key: kept here, in this computer's settings, never in a
    /// project file that gets shared.
    #[serde(default)]
    pub tianditu_key: String,
    /// The URL template of the `url` background.
    #[serde(default)]
    pub tile_url: String,
    /// The MBTiles file of the `mbtiles` background.
    #[serde(default)]
    pub mbtiles: Option<PathBuf>,
    /// The county database's address (no password) and this office's township code.
    #[serde(default)]
    pub county_url: String,
    #[serde(default)]
    pub county_township: String,
}

impl Settings {
    /// `$XDG_CONFIG_HOME/gridmap/settings.json` or `~/.config/gridmap/settings.json`.
    pub fn default_path() -> Option<PathBuf> {
        Some(app_dir()?.join("settings.json"))
    }

    pub fn load(path: &Path) -> Settings {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::io::write_atomic(path, &bytes)
    }

    /// Put `p` first in the recent files, at most 8.
    pub fn remember(&mut self, p: &Path) {
        self.recent.retain(|r| r != p);
        self.recent.insert(0, p.to_path_buf());
        self.recent.truncate(8);
    }
}

/// A background image on the map.
pub struct Background {
    pub path: PathBuf,
    /// Extent in the working CRS.
    pub extent: geo::Rect<f64>,
    pub texture: egui::TextureHandle,
    /// Where each image position lies; the image is drawn warped by it.
    pub fit: crate::io::georef::Fit,
    pub size: (u32, u32),
}

/// The layers in drawing order (first is at the bottom).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    Background,
    Grids,
    Reservoirs,
    Boundary,
    Rivers,
    Villages,
    Labels,
    Findings,
}

impl LayerKind {
    pub const ALL: [LayerKind; 8] = [
        LayerKind::Background,
        LayerKind::Grids,
        LayerKind::Reservoirs,
        LayerKind::Boundary,
        LayerKind::Rivers,
        LayerKind::Villages,
        LayerKind::Labels,
        LayerKind::Findings,
    ];

    /// The i18n key of its name.
    pub fn key(self) -> &'static str {
        match self {
            LayerKind::Background => "background",
            LayerKind::Grids => "grids",
            LayerKind::Reservoirs => "reservoirs",
            LayerKind::Boundary => "boundary",
            LayerKind::Rivers => "rivers",
            LayerKind::Villages => "villages",
            LayerKind::Labels => "labels",
            LayerKind::Findings => "findings",
        }
    }
}

/// Colours of the layers, editable in the layers panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    pub river: egui::Color32,
    pub water: egui::Color32,
    pub boundary: egui::Color32,
    pub outline: egui::Color32,
    pub village: egui::Color32,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            river: egui::Color32::from_rgb(0x2b, 0x7b, 0xd6),
            water: egui::Color32::from_rgb(0x9c, 0xc8, 0xf0),
            boundary: egui::Color32::from_rgb(0x60, 0x30, 0x30),
            outline: egui::Color32::from_gray(70),
            village: egui::Color32::from_rgb(0x80, 0x40, 0x10),
        }
    }
}

/// Which layers are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Layers {
    pub levels: [bool; 4],
    pub boundary: bool,
    pub rivers: bool,
    pub reservoirs: bool,
    pub villages: bool,
    pub findings: bool,
    pub labels: bool,
    pub background: bool,
    /// Drawing order, bottom first.
    pub order: Vec<LayerKind>,
    pub style: Style,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            levels: [true; 4],
            boundary: true,
            rivers: true,
            reservoirs: true,
            villages: true,
            findings: true,
            labels: true,
            background: true,
            order: LayerKind::ALL.to_vec(),
            style: Style::default(),
        }
    }
}

/// Grids a gap can be merged into, with the boundary length each shares with it (metres).
pub type GapTargets = Vec<(String, f64)>;

/// The app.
pub struct GridmapApp {
    pub doc: Document,
    pub view: View,
    pub tool: Tool,
    pub selection: Vec<String>,
    pub lang: Lang,
    pub layers: Layers,
    /// The layer the map's tools edit: the grids, or rivers, reservoirs, natural villages
    /// or the boundary.
    pub edit_layer: crate::model::Layer,
    /// The feature selected in that layer (not the grids).
    pub feature: Option<String>,
    /// A document being opened off the UI thread.
    pub loading: Option<loading::Loading>,
    /// Writes the recovery copy, and large projects when saved, off the UI thread.
    saver: saver::Saver,
    /// Last message for the status bar (errors of edits, saves).
    pub message: String,
    pub settings: Settings,
    /// The dialogs and windows over the map, each while open, and the command palette.
    pub dialogs: Dialogs,
    /// How the map tools draw: overlap, tracing, snapping, the cursor.
    pub drawing: Drawing,
    /// What is drawn under the grids: images, tiles, and the way to longitude/latitude.
    pub base: BaseMaps,
    /// The audit list's state: gap targets, choices, the expanded tree, the highlight.
    pub audit_view: AuditView,
    /// The window's life: title, fitting, closing, autosave, recovery, screenshot.
    pub session: Session,
    /// What is kept between frames and derived on demand.
    pub caches: Caches,
    /// The panels around the map, each with its own state; they see the app read-only.
    pub panels: panels::Panels,
}

/// The dialogs and windows over the map, each while open, and the command palette.
pub struct Dialogs {
    /// The system's file dialog is used (else the one drawn in the window).
    pub native_dialogs: bool,
    /// The in-window file dialog, while open.
    pub file_chooser: Option<files::FileChooser>,
    /// Merging the selected grids: whose name and code to keep, while the user decides.
    pub merge_dialog: Option<dialogs::MergeDialog>,
    /// Grids with records the user asked to delete, waiting for confirmation.
    pub delete_dialog: Option<Vec<String>>,
    /// The import dialog (shapefiles, GeoPackages from elsewhere), when open.
    pub import_dialog: Option<import::ImportDialog>,
    /// The georeferencer window, when open.
    pub georef: Option<georef::Georeferencer>,
    /// The county database window, when open.
    pub county: Option<county::CountyWindow>,
    pub print_dialog: Option<print::PrintDialog>,
    /// The publish dialog (the residents' website), when open.
    pub publish_dialog: Option<publish::PublishDialog>,
    pub print_preview: Option<print::Preview>,
    /// A staff roster read and matched, waiting for the user to import it.
    pub roster: Option<(PathBuf, crate::io::roster::Roster, crate::edit::Transaction)>,
    /// The command palette (Ctrl+Shift+P).
    palette: palette::Palette,
}

impl Dialogs {
    /// Whether the command palette is showing.
    pub fn palette_open(&self) -> bool {
        self.palette.is_open()
    }
}

/// How the map tools draw: overlap, tracing, snapping, the cursor.
pub struct Drawing {
    pub avoid_overlap: bool,
    /// Drawing between two snapped vertices of one ring follows the ring.
    pub trace: bool,
    /// Snap tolerance in screen points.
    pub snap_px: f32,
    /// Cursor position in world coordinates.
    pub cursor: Option<geo::Coord<f64>>,
    drag_counter: u64,
}

/// What is drawn under the grids: images, tiles, and the way to longitude/latitude.
pub struct BaseMaps {
    /// Background images, drawn under the grids.
    pub backgrounds: Vec<Background>,
    /// The tile background under everything.
    pub tiles: TileLayer,
    /// The Tianditu servers (`{s}` = 0..7); a test points them at a local server.
    pub tianditu_host: String,
    to_lonlat: Option<Reprojector>,
}

/// The audit list's state: gap targets, choices, the expanded tree, the highlight.
pub struct AuditView {
    /// Finding highlighted on the map and in the list.
    pub highlight: Option<Arc<crate::audit::Finding>>,
}

/// The window's life: title, fitting, closing, autosave, recovery, screenshot.
pub struct Session {
    shown_title: String,
    /// The egui context, for loading textures outside a frame.
    ctx: egui::Context,
    fitted: bool,
    confirm_close: bool,
    allow_close: bool,
    /// Saving before quitting: written at once.
    closing: bool,
    last_autosave: Instant,
    recovery_offer: Option<PathBuf>,
    /// `--screenshot`: where to save, frames left before taking it, and where the outcome
    /// of the save goes (the process exits non-zero unless it was saved).
    screenshot: Option<(PathBuf, u32, ScreenshotOutcome)>,
    /// Where the screenshot callback leaves the image.
    shot: Arc<std::sync::Mutex<Option<Arc<egui::ColorImage>>>>,
    /// Where settings are kept; None in tests, so they never touch the user's files.
    settings_path: Option<PathBuf>,
    /// What the window draws with, as the driver names it (OpenGL's renderer and version);
    /// None without a window (tests).
    pub renderer: Option<String>,
}

/// What is kept between frames and derived on demand.
pub struct Caches {
    /// What the canvas keeps between frames.
    canvas: canvas::CanvasCache,
}

/// Where gridmap keeps its own files: `%APPDATA%\gridmap` on Windows,
/// `$XDG_CONFIG_HOME/gridmap` or `~/.config/gridmap` elsewhere.
pub fn app_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(|a| PathBuf::from(a).join("gridmap"));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("gridmap"))
}

/// The recovery copy of the project at `path`, in the project format (GeoPackage: exact
/// coordinates, every record and setting), beside it on Linux (`.NAME.recovery.gpkg`);
/// on Windows under `%APPDATA%\gridmap\recovery`, named after the file and a hash of its
/// full path (a project on a share or a USB stick may be read-only). Untitled work goes to
/// the temporary folder (Linux) or the same recovery folder (Windows).
fn recovery_path(path: Option<&Path>) -> PathBuf {
    let name = path
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().to_string());
    if cfg!(windows)
        && let Some(dir) = app_dir().map(|d| d.join("recovery"))
    {
        let _ = std::fs::create_dir_all(&dir);
        return match (path, name) {
            (Some(p), Some(name)) => {
                use std::hash::{Hash, Hasher};
                let mut h = rustc_hash::FxHasher::default();
                p.hash(&mut h);
                dir.join(format!("{name}.{:016x}.recovery.gpkg", h.finish()))
            }
            _ => dir.join("untitled.recovery.gpkg"),
        };
    }
    match (path, name) {
        (Some(p), Some(name)) => p.with_file_name(format!(".{name}.recovery.gpkg")),
        _ => std::env::temp_dir().join("gridmap-untitled.recovery.gpkg"),
    }
}

impl GridmapApp {
    pub fn new(ctx: &egui::Context, project: Project, path: Option<PathBuf>) -> Self {
        install_fonts(ctx);
        let to_lonlat = Reprojector::new(project.crs, Crs::epsg(4326)).ok();
        // A large project is prepared on a worker thread; the window opens at once.
        let mut saver = saver::Saver::new();
        let (mut doc, loading) = if loading::is_large(&project) {
            let empty = Project {
                crs: project.crs,
                ..Default::default()
            };
            (
                Document::new(empty, None),
                Some(loading::Loading::project(project, path, ctx)),
            )
        } else {
            saver.reset(project.clone());
            (Document::new(project, path), None)
        };
        doc.record_steps();
        GridmapApp {
            doc,
            view: View::default(),
            tool: Tool::Select,
            selection: Vec::new(),
            lang: Lang::Zh,
            layers: Layers::default(),
            edit_layer: crate::model::Layer::Grids,
            feature: None,
            loading,
            saver,
            message: String::new(),
            settings: Settings::default(),
            dialogs: Dialogs {
                native_dialogs: files::native_available(),
                file_chooser: None,
                merge_dialog: None,
                delete_dialog: None,
                import_dialog: None,
                georef: None,
                county: None,
                print_dialog: None,
                publish_dialog: None,
                print_preview: None,
                roster: None,
                palette: Default::default(),
            },
            drawing: Drawing {
                avoid_overlap: true,
                trace: true,
                snap_px: 10.0,
                cursor: None,
                drag_counter: 0,
            },
            base: BaseMaps {
                backgrounds: Vec::new(),
                tiles: TileLayer::default(),
                tianditu_host: crate::io::tiles::TIANDITU_HOST.into(),
                to_lonlat,
            },
            audit_view: AuditView { highlight: None },
            session: Session {
                shown_title: String::new(),
                ctx: ctx.clone(),
                fitted: false,
                confirm_close: false,
                allow_close: false,
                closing: false,
                last_autosave: Instant::now(),
                recovery_offer: None,
                screenshot: None,
                shot: Arc::default(),
                settings_path: None,
                renderer: None,
            },
            caches: Caches {
                canvas: Default::default(),
            },
            panels: Default::default(),
        }
    }

    /// Show a georeferenced image (PNG/JPEG with a world file, in the project's CRS) under
    /// the grids.
    pub fn add_background(&mut self, path: &Path) {
        match crate::io::worldfile::load(path) {
            Ok(img) => {
                let color = egui::ColorImage::from_rgba_unmultiplied(
                    [img.width as usize, img.height as usize],
                    &img.rgba,
                );
                let texture = self.session.ctx.load_texture(
                    path.display().to_string(),
                    color,
                    egui::TextureOptions::LINEAR,
                );
                // Georeferenced again: the image replaces its earlier self.
                self.base.backgrounds.retain(|b| b.path != path);
                self.base.backgrounds.push(Background {
                    path: path.to_path_buf(),
                    extent: img.extent,
                    texture,
                    fit: img.fit,
                    size: (img.width, img.height),
                });
                self.message = crate::error::bilingual(
                    &format!("底图：{}", path.display()),
                    &format!("background: {}", path.display()),
                );
            }
            Err(e) => self.show_error(&e),
        }
    }

    /// Offer the recovery copy an earlier session left, if any (the real app only: tests
    /// must not depend on what is in the temp folder).
    pub fn with_recovery(mut self) -> Self {
        let p = recovery_path(self.doc.path.as_deref());
        let modified = |f: &Path| std::fs::metadata(f).and_then(|m| m.modified()).ok();
        // A copy older than the file itself holds edits that were saved later (or
        // given up): it is retired, not offered.
        let outdated = self
            .doc
            .path
            .as_deref()
            .and_then(modified)
            .zip(modified(&p))
            .is_some_and(|(file, copy)| copy <= file);
        if outdated {
            let _ = std::fs::remove_file(&p);
        }
        self.session.recovery_offer = p.exists().then_some(p);
        self
    }

    /// Remember the language and recent files in `path`.
    pub fn with_settings(mut self, path: PathBuf) -> Self {
        self.settings = Settings::load(&path);
        if !self.settings.user.trim().is_empty() {
            self.doc.user = self.settings.user.clone();
        }
        self.lang = if self.settings.english {
            Lang::En
        } else {
            Lang::Zh
        };
        if let Some(p) = &self.doc.path {
            self.settings.remember(p);
        }
        self.session.settings_path = Some(path);
        self.store_settings();
        self.update_tile_source();
        self
    }

    /// The tile background the settings choose (the Tianditu servers: `tianditu_host`).
    pub fn update_tile_source(&mut self) {
        use crate::io::tiles::TileSource;
        let s = &self.settings;
        let url = if s.tile_url.trim().is_empty() {
            tiles::DEFAULT_URL.to_string()
        } else {
            s.tile_url.clone()
        };
        self.base.tiles.url = url.clone();
        self.base.tiles.source = match s.base_map.as_str() {
            "tianditu_vec" | "tianditu_img" => TileSource::Tianditu {
                imagery: s.base_map == "tianditu_img",
                key: s.tianditu_key.trim().to_string(),
                host: self.base.tianditu_host.clone(),
            },
            "mbtiles" => match &s.mbtiles {
                Some(p) => TileSource::MbTiles(p.clone()),
                None => TileSource::Url(url),
            },
            "url" => TileSource::Url(url),
            _ => TileSource::Url(tiles::DEFAULT_URL.to_string()),
        };
    }

    pub fn store_settings(&mut self) {
        self.settings.english = self.lang == Lang::En;
        if let Some(p) = &self.session.settings_path
            && let Err(e) = self.settings.save(p)
        {
            self.message = format!("{}: {e}", p.display());
        }
    }

    /// Save a screenshot to `out` after a few frames, then close (for `--screenshot`);
    /// whether it was saved goes to `outcome`.
    pub fn with_screenshot(mut self, out: PathBuf, outcome: ScreenshotOutcome) -> Self {
        self.session.screenshot = Some((out, 5, outcome));
        self
    }

    /// The graphics the window draws with (shown in the status bar).
    pub fn with_renderer(mut self, renderer: String) -> Self {
        self.session.renderer = Some(renderer);
        self
    }

    pub fn t(&self, key: &'static str) -> &'static str {
        tr(self.lang, key)
    }

    fn title(&self) -> String {
        let name = self
            .doc
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "未命名 untitled".into());
        format!(
            "{}{} — gridmap",
            if self.doc.dirty { "*" } else { "" },
            name
        )
    }

    pub fn lonlat(&self, c: geo::Coord<f64>) -> Option<geo::Coord<f64>> {
        self.base.to_lonlat.as_ref().map(|r| r.point(c))
    }

    /// Read a staff roster and show what it would change (applied from the preview).
    pub fn preview_roster(&mut self, path: &Path) {
        match crate::commands::import_staff(self.doc.project(), path) {
            Ok((t, r)) => self.dialogs.roster = Some((path.to_path_buf(), r, t)),
            Err(e) => self.message = crate::error::report(&e),
        }
    }

    /// The four bounds of grid `id` as the records panel shows them.
    pub fn four_bounds_of(&self, id: &str) -> crate::records::FourBounds {
        self.doc
            .project()
            .grids
            .iter()
            .position(|g| g.id == id)
            .map(|i| crate::records::four_bounds(self.doc.project(), i))
            .unwrap_or_default()
    }

    /// Carry out one command: the one place menus, keys, the palette and the panels'
    /// commands are executed.
    pub fn execute(&mut self, cmd: UiCommand) {
        let Some(cmd) = self.file_command(cmd) else {
            return;
        };
        // Before the edit commands: Delete on a vertex under the pointer deletes the vertex.
        let Some(cmd) = tools::key_command(self, cmd) else {
            return;
        };
        let Some(cmd) = self.edit_command(cmd) else {
            return;
        };
        let Some(cmd) = self.record_command(cmd) else {
            return;
        };
        let Some(cmd) = self.state_command(cmd) else {
            return;
        };
        self.view_command(cmd);
    }

    /// Commands of the properties panel that change a record or a feature's name; any
    /// other command is given back.
    fn record_command(&mut self, cmd: UiCommand) -> Option<UiCommand> {
        match cmd {
            UiCommand::EditRecord(e) => {
                let RecordEdit {
                    id,
                    label,
                    merge_key,
                    field,
                } = *e;
                match crate::edit::set_record(&self.doc, &id, &label, |g| field.apply(g)) {
                    Ok(mut t) => {
                        if let Some(k) = merge_key {
                            t.set_merge_key(k);
                        }
                        self.commit(t);
                    }
                    Err(e) => self.show_error(&e),
                }
            }
            UiCommand::RenameFeature(layer, id, name) => {
                let p = self.doc.project();
                match crate::edit::on_layer!(layer, T => crate::edit::rename::<T>(p, &id, &name)) {
                    Ok(mut t) => {
                        t.set_merge_key(format!("feature-name:{id}"));
                        self.commit(t);
                    }
                    Err(e) => self.show_error(&e),
                }
            }
            UiCommand::Seal => self.doc.seal(),
            other => return Some(other),
        }
        None
    }

    /// Commands that change what the app shows or how its tools work, not the document;
    /// any other command is given back.
    fn state_command(&mut self, cmd: UiCommand) -> Option<UiCommand> {
        match cmd {
            UiCommand::Select(ids) => self.selection = ids,
            UiCommand::SelectFeature(id) => self.feature = id,
            UiCommand::SetEditLayer(layer) => {
                self.edit_layer = layer;
                self.feature = None;
            }
            UiCommand::SetLayers(layers) => self.layers = *layers,
            UiCommand::SetSettings(s) => {
                self.settings = *s;
                self.update_tile_source();
                self.store_settings();
            }
            UiCommand::SetUser(user) => {
                self.doc.user = user.clone();
                self.settings.user = user;
                self.store_settings();
            }
            UiCommand::SetDrawing {
                avoid_overlap,
                trace,
            } => {
                self.drawing.avoid_overlap = avoid_overlap;
                self.drawing.trace = trace;
            }
            UiCommand::ShowTiles(on) => self.base.tiles.enabled = on,
            UiCommand::Help(page) => help::open(&self.session.ctx, page),
            other => return Some(other),
        }
        None
    }

    /// Commands that open, save, import or export files, or open a window for it; any
    /// other command is given back.
    fn file_command(&mut self, cmd: UiCommand) -> Option<UiCommand> {
        use files::FilePurpose as F;
        match cmd {
            // Save writes the document's own file when it is a project file (GeoPackage
            // or GeoJSON); a document opened from shapefiles is saved as a new GeoPackage.
            UiCommand::Save => match self.doc.path.clone().filter(|p| {
                matches!(
                    crate::io::Format::of(p),
                    Some(crate::io::Format::GeoPackage | crate::io::Format::GeoJson)
                )
            }) {
                Some(p) => self.save_to(&p),
                None => self.execute(UiCommand::SaveAs),
            },
            UiCommand::SaveAs => {
                let name = self
                    .doc
                    .path
                    .as_ref()
                    .and_then(|p| p.file_stem())
                    .map(|s| format!("{}.gpkg", s.to_string_lossy()));
                files::choose(self, F::SaveAs, name);
            }
            UiCommand::SavePath(p) => self.save_to(&p),
            UiCommand::ImportPath(p) => self.import(&p),
            UiCommand::Open => files::choose(self, F::Open, None),
            UiCommand::OpenRecent(p) => self.open(&p),
            UiCommand::ImportRoster => files::choose(self, F::ImportRoster, None),
            UiCommand::Ledger => files::choose(self, F::Ledger, Some("网格台账.xlsx".into())),
            UiCommand::Publish => {
                self.dialogs.publish_dialog = Some(publish::PublishDialog::new(self));
            }
            UiCommand::Print => {
                self.dialogs.print_dialog = Some(print::PrintDialog::new(self));
                self.dialogs.print_preview = None;
            }
            UiCommand::Import => files::choose(self, F::Import, None),
            UiCommand::ExportKml => self.choose_export(F::ExportKml, "kmz"),
            UiCommand::ExportDxf => self.choose_export(F::ExportDxf, "dxf"),
            UiCommand::ChooseMbtiles => files::choose(self, F::Mbtiles, None),
            UiCommand::Georeference => files::choose(self, F::Georeference, None),
            UiCommand::AddBackground => files::choose(self, F::AddBackground, None),
            UiCommand::CountyDb => {
                if self.dialogs.county.is_none() {
                    self.dialogs.county = Some(county::CountyWindow::new(self));
                }
            }
            UiCommand::CountyPull => self.county_pull(),
            other => return Some(other),
        }
        None
    }

    /// Pull the township from the county database, asking where to keep it; never over
    /// unsaved work, since pulling opens another project.
    fn county_pull(&mut self) {
        if self.doc.dirty {
            if let Some(w) = self.dialogs.county.as_mut() {
                w.message = "当前项目有未保存的修改：请先保存（文件 → 保存），再拉取。\nThe open project has unsaved changes: save it first (File → Save), then pull.".into();
            }
            return;
        }
        let name = self
            .dialogs
            .county
            .as_ref()
            .map(|w| w.township.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "county".into());
        files::choose(
            self,
            files::FilePurpose::CountyPull,
            Some(format!("{name}.gpkg")),
        );
    }

    /// Commands that change the document (undo and redo too) or the tool; any other
    /// command is given back.
    fn edit_command(&mut self, cmd: UiCommand) -> Option<UiCommand> {
        match cmd {
            UiCommand::Undo => {
                // The tool stays; only a drag in progress ends (its vertex may be gone).
                if let Tool::Vertices { dragging } = &mut self.tool {
                    *dragging = None;
                }
                if let Err(e) = self.doc.undo() {
                    self.show_error(&e);
                }
            }
            UiCommand::Redo => {
                if let Err(e) = self.doc.redo() {
                    self.show_error(&e);
                }
            }
            UiCommand::Propose(id, along_rivers) => self.propose(&id, along_rivers),
            UiCommand::Renumber(parents) => {
                let ps = (!parents.is_empty()).then_some(parents.as_slice());
                let t = crate::commands::renumber_codes(self.doc.project(), ps);
                let n = t.touched_ids().len();
                self.message = match self.doc.commit(t) {
                    Ok(()) => format!("重新编码 {n} 个网格 / {n} codes renumbered"),
                    Err(e) => crate::error::report(&e),
                };
            }
            UiCommand::SetTool(t) => self.tool = t,
            UiCommand::Merge => match crate::edit::merge_default(&self.doc, &self.selection) {
                Ok(keep) if self.selection.len() >= 2 => {
                    self.dialogs.merge_dialog = Some(dialogs::MergeDialog {
                        ids: self.selection.clone(),
                        keep,
                    });
                }
                Ok(_) => self.show_error(&crate::edit::EditError::MergeNeedsTwo),
                Err(e) => self.show_error(&e),
            },
            UiCommand::MergeKeeping(ids, keep) => {
                let r = crate::edit::merge_keeping(&self.doc, &ids, &keep);
                let ok = r.is_ok();
                self.apply(r);
                if ok {
                    self.selection = vec![keep];
                }
            }
            UiCommand::Delete if self.edit_layer != crate::model::Layer::Grids => {
                if let Some(id) = self.feature.clone() {
                    self.execute(UiCommand::DeleteFeature(self.edit_layer, id));
                }
            }
            UiCommand::DeleteFeature(layer, id) => features::delete(self, layer, &id),
            UiCommand::ClipRiver(id) => features::clip(self, &id),
            UiCommand::Delete => self.delete_selected(),
            UiCommand::DeleteNow(ids) => self.delete_now(&ids),
            UiCommand::FillGap(f) => self.fill_gap(&f, None),
            UiCommand::FillGapInto(f, into) => self.fill_gap(&f, Some(into)),
            other => return Some(other),
        }
        None
    }

    /// Commands about what is shown and how: zoom, language, the palette.
    fn view_command(&mut self, cmd: UiCommand) {
        match cmd {
            UiCommand::ZoomExtent => {
                if let Some(r) = project_extent(self.doc.project()) {
                    self.view.fit(r);
                }
            }
            UiCommand::ZoomSelection => {
                let rects = self
                    .selection
                    .iter()
                    .filter_map(|id| self.doc.project().grid(id))
                    .filter_map(|g| crate::geom::envelope(&g.geometry));
                if let Some(r) = union_rects(rects) {
                    self.view.fit(r);
                }
            }
            UiCommand::ZoomFinding(i) => self.zoom_to_finding(i),
            UiCommand::ToggleLanguage => self.toggle_language(),
            UiCommand::CommandPalette => self.dialogs.palette.open(),
            // The file and edit commands were carried out before.
            _ => {}
        }
    }

    /// Replace a village's level-3 grids by a proposal from its natural villages.
    fn propose(&mut self, id: &str, along_rivers: bool) {
        let opts = crate::edit::PartitionOptions {
            households: crate::AuditConfig::from_settings(&self.doc.project().settings).households,
            along_rivers,
        };
        match crate::commands::propose_partition(self.doc.project(), id, &opts) {
            Ok(t) => {
                let n = t.grids().iter().filter(|c| c.before.is_none()).count();
                self.message = match self.doc.commit(t) {
                    Ok(()) => format!("划分方案：{n} 个网格 / proposal: {n} grids"),
                    Err(e) => crate::error::report(&e),
                };
            }
            Err(e) => self.show_error(&e),
        }
    }

    /// Delete the selected grids, asking first when they hold records.
    fn delete_selected(&mut self) {
        let ids = self.selection.clone();
        let records = ids
            .iter()
            .filter_map(|id| self.doc.grid(id))
            .any(dialogs::has_records);
        if records {
            self.dialogs.delete_dialog = Some(ids);
        } else if !ids.is_empty() {
            self.execute(UiCommand::DeleteNow(ids));
        }
    }

    /// Delete grids `ids` now and say which went.
    fn delete_now(&mut self, ids: &[String]) {
        let names: Vec<String> = ids
            .iter()
            .filter_map(|id| self.doc.grid(id))
            .map(|g| g.label().to_string())
            .collect();
        let t = match crate::edit::delete(&self.doc, ids) {
            Ok(t) => t,
            Err(e) => return self.show_error(&e),
        };
        match self.doc.commit(t) {
            Ok(()) => {
                let names = names.join("、");
                self.message =
                    format!("已删除 {names}（Ctrl+Z 撤销）/ deleted {names} (Ctrl+Z undoes)");
                self.selection.retain(|s| !ids.contains(s));
            }
            Err(e) => self.show_error(&e),
        }
    }

    /// Turn the gap finding `f` into a new grid (selected, so its records can be filled in
    /// at once), or merge it into grid `into`.
    fn fill_gap(&mut self, f: &crate::audit::Finding, into: Option<String>) {
        let Some(geo::Geometry::MultiPolygon(gap)) = f.geometry.clone() else {
            return;
        };
        match into {
            None => {
                let parent = f.ids.last().cloned();
                let level = self.gap_level(f);
                let before = self.doc.project().grids.len();
                let r = crate::edit::fill_gap(&self.doc, &gap, level, parent.as_deref(), None);
                self.apply(r);
                if self.doc.project().grids.len() > before
                    && let Some(g) = self.doc.project().grids.last()
                {
                    self.selection = vec![g.id.clone()];
                }
            }
            Some(into) => {
                let level = self.doc.grid(&into).map(|g| g.level).unwrap_or(3);
                let r = crate::edit::fill_gap(&self.doc, &gap, level, None, Some(&into));
                self.apply(r);
                self.selection = vec![into];
            }
        }
        self.audit_view.highlight = None;
    }

    /// Zoom to the finding at row `i` of the audit list (errors first) and highlight it.
    fn zoom_to_finding(&mut self, i: usize) {
        self.audit_view.highlight = self.doc.auditor().findings().nth(i).cloned();
        let Some(f) = self.audit_view.highlight.clone() else {
            return;
        };
        // A finding selects its grids, so the properties show a record it names and never
        // one selected before: a gap or sliver selects the grids around it (its parent,
        // named last, stays unselected); a finding of no grid (a river, a reservoir)
        // clears the selection.
        let gap = matches!(f.kind, crate::audit::Kind::Gap | crate::audit::Kind::Sliver);
        let named = if gap {
            &f.ids[..f.ids.len().saturating_sub(1)]
        } else {
            &f.ids[..]
        };
        self.selection = named
            .iter()
            .filter(|id| self.doc.grid(id).is_some())
            .cloned()
            .collect();
        // Where the finding is an area or a line, it is shown; a finding of a record
        // (marked by a point) shows its grids whole.
        let grids = || {
            union_rects(
                f.ids
                    .iter()
                    .filter_map(|id| self.doc.grid(id))
                    .filter_map(|g| crate::geom::envelope(&g.geometry)),
            )
        };
        let r = match &f.geometry {
            Some(geo::Geometry::Point(_)) | None => grids(),
            Some(g) => geo::BoundingRect::bounding_rect(g).or_else(grids),
        };
        if let Some(r) = r {
            self.view.fit(crate::geom::expand(
                r,
                (r.width().max(r.height()) * 0.5).max(30.0),
            ));
        }
    }

    /// Switch between Chinese and English, for this computer and in the project file.
    fn toggle_language(&mut self) {
        self.lang = if self.lang == Lang::Zh {
            Lang::En
        } else {
            Lang::Zh
        };
        self.store_settings();
        // The language is also a project setting, kept in the project file.
        let mut settings = self.doc.settings();
        settings.language = Some(if self.lang == Lang::En { "en" } else { "zh" }.into());
        if let Err(e) = self.doc.set_settings("界面语言 / Language", &settings) {
            self.show_error(&e);
        }
    }

    /// The snapping tolerance in world units (metres): `snap_px` at the current zoom.
    pub fn snap_tol(&self) -> f64 {
        self.drawing.snap_px as f64 / self.view.scale
    }

    /// How a shape drawn now is fitted: 避让重叠 as set, and free space narrower than
    /// three pixels at this zoom (what a click cannot tell apart) taken in.
    pub fn avoid(&self) -> crate::edit::Avoid {
        crate::edit::Avoid {
            overlap: self.drawing.avoid_overlap,
            slack: 3.0 / self.view.scale,
        }
    }

    /// The level of a grid that would fill the gap finding `f`: one below its parent.
    pub fn gap_level(&self, f: &crate::audit::Finding) -> crate::model::Level {
        f.ids
            .last()
            .and_then(|p| self.doc.grid(p))
            .map(|p| p.level + 1)
            .unwrap_or(2)
    }

    /// The grids a gap finding can be merged into, longest shared boundary first (the
    /// audit list keeps them while the finding lives).
    pub fn gap_targets(&self, f: &crate::audit::Finding) -> GapTargets {
        match &f.geometry {
            Some(geo::Geometry::MultiPolygon(gap)) => {
                // Only the children of the parent the gap lies in.
                let parent = f.ids.last().filter(|p| self.doc.grid(p).is_some());
                crate::edit::gap_neighbours(
                    &self.doc,
                    gap,
                    self.gap_level(f),
                    parent.map(String::as_str),
                )
            }
            _ => Vec::new(),
        }
    }

    /// Carry out what a file chosen in a file dialog was for.
    pub fn file_chosen(&mut self, purpose: files::FilePurpose, p: PathBuf) {
        use files::FilePurpose as F;
        match purpose {
            F::Open => self.open(&p),
            F::SaveAs | F::Ledger | F::ExportKml | F::ExportDxf => self.save_to(&p),
            F::Import => self.import(&p),
            F::ImportRoster => self.preview_roster(&p),
            F::AddBackground => self.add_background(&p),
            F::CountyPull => {
                if let Some(w) = self.dialogs.county.as_mut() {
                    w.start_pull(&self.session.ctx, p);
                }
            }
            F::Georeference => match georef::Georeferencer::open(&self.session.ctx, &p) {
                Ok(g) => self.dialogs.georef = Some(g),
                Err(e) => self.message = crate::error::report(&e),
            },
            F::Mbtiles => {
                self.settings.mbtiles = Some(p);
                self.settings.base_map = "mbtiles".into();
                self.base.tiles.enabled = true;
                self.update_tile_source();
                self.store_settings();
            }
            F::PublishFolder => {
                if let Some(d) = self.dialogs.publish_dialog.as_mut() {
                    d.folder = p.display().to_string();
                }
            }
            F::PrintOutput => {
                if let Some(d) = self.dialogs.print_dialog.as_mut() {
                    d.out = p.display().to_string();
                    d.out_auto = false;
                }
            }
        }
    }

    /// Ask where to export, suggesting the project's name with extension `ext`.
    fn choose_export(&mut self, purpose: files::FilePurpose, ext: &str) {
        let stem = self
            .doc
            .path
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| self.doc.project().name.clone());
        let stem = if stem.is_empty() {
            "gridmap".into()
        } else {
            stem
        };
        files::choose(self, purpose, Some(format!("{stem}.{ext}")));
    }

    /// Show an error in the status bar: the one place the app says what went wrong, its
    /// causes said once through [`crate::error::report`].
    pub fn show_error(&mut self, e: &(dyn std::error::Error + 'static)) {
        self.message = crate::error::report(e);
    }

    /// Commit a change to the document, saying nothing: the one door the panels and tools
    /// change the document through (the shell's; `tests/architecture.rs`).
    pub fn try_commit(&mut self, t: Transaction) -> Result<(), crate::edit::ApplyError> {
        self.doc.commit(t)
    }

    /// Change the project's settings, one undo step.
    pub fn set_settings(
        &mut self,
        label: &str,
        settings: &crate::model::ProjectSettings,
    ) -> Result<(), crate::edit::ApplyError> {
        self.doc.set_settings(label, settings)
    }

    /// Keep a bookkeeping value in the project's settings (not an undo step).
    pub fn set_bookkeeping(&mut self, key: &str, value: Option<serde_json::Value>) {
        self.doc.set_bookkeeping(key, value);
    }

    /// Commit an edit; the status bar says so if it could not be made.
    pub fn commit(&mut self, t: Transaction) {
        match self.doc.commit(t) {
            // What the status bar said is about an earlier step: it goes.
            Ok(()) => self.message.clear(),
            Err(e) => self.show_error(&e),
        }
    }

    /// Commit an edit, or show why it could not be made.
    pub fn apply(&mut self, r: Result<Transaction, crate::edit::EditError>) {
        match r {
            Ok(t) => {
                let label = t.label().to_string();
                self.message = match self.doc.commit(t) {
                    Ok(()) => label,
                    Err(e) => crate::error::report(&e),
                };
            }
            Err(e) => self.show_error(&e),
        }
    }

    /// Save the project: a GeoPackage (the project file) or GeoJSON becomes the document's
    /// file; shapefiles, CSV, KML/KMZ and DXF are exports and leave the document's file as
    /// it was.
    pub fn save_to(&mut self, path: &Path) {
        use crate::io::Format;
        // A spreadsheet path writes the ledger (网格台账).
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
        {
            self.message = match crate::commands::ledger(self.doc.project(), path) {
                Ok(files) => format!("已导出台账 ledger: {}", files[0].display()),
                Err(e) => crate::error::report(&e),
            };
            return;
        }
        let opts = crate::commands::ExportOptions {
            gcj02: self.settings.kml_gcj02,
            ..Default::default()
        };
        let format = Format::of(path);
        if matches!(
            format,
            Some(Format::Shapefile | Format::Csv | Format::Kml | Format::Dxf)
        ) {
            self.message = match crate::commands::export(self.doc.project(), path, &opts) {
                Ok(done) => std::iter::once(format!(
                    "已导出 exported: {}",
                    done.files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .chain(done.notes)
                .collect::<Vec<_>>()
                .join("\n"),
                Err(e) => crate::error::report(&e),
            };
            return;
        }
        // A large project is written off the UI thread from the saver's copy.
        if loading::is_large(self.doc.project()) && !self.session.closing {
            let steps = self.doc.take_steps();
            self.saver.steps(steps);
            self.saver.write(
                path.to_path_buf(),
                saver::WriteKind::Save,
                self.doc.revision(),
            );
            self.message = crate::error::bilingual(
                &format!("正在保存：{}", path.display()),
                &format!("saving: {}", path.display()),
            );
            return;
        }
        match crate::commands::export(self.doc.project(), path, &opts) {
            Ok(_) => self.saved(path, self.doc.revision()),
            Err(e) => self.show_error(&e),
        }
    }

    /// Open a project file; shapefiles and GeoPackages from elsewhere, and files that
    /// name no CRS, go through the import dialog.
    pub fn open(&mut self, path: &Path) {
        use import::{ImportDialog, ImportMode};
        // A spreadsheet or CSV is a staff roster for the open project.
        if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["xlsx", "xls", "ods", "csv"].contains(&e.to_ascii_lowercase().as_str())
        }) {
            self.preview_roster(path);
            return;
        }
        if ImportDialog::wanted(path) {
            self.dialogs.import_dialog = Some(ImportDialog::new(
                path,
                ImportMode::Open,
                &self.doc.project().settings,
                None,
            ));
            return;
        }
        // Read and prepared on a worker thread; the window stays live meanwhile.
        self.loading = Some(loading::Loading::file(
            path,
            loading::After::Open,
            &self.session.ctx,
        ));
    }

    /// Run `c` once the file being opened ([`Self::open`]) is in: after the worker's read,
    /// or after the import dialog's 确定 (a shapefile, a drawing, a foreign GeoPackage); not
    /// at all if the file cannot be read or the dialog is cancelled; at once when no file
    /// is being opened.
    pub fn when_opened(&mut self, c: UiCommand) {
        if let Some(l) = &mut self.loading {
            l.then = Some(c);
        } else if let Some(d) = self
            .dialogs
            .import_dialog
            .as_mut()
            .filter(|d| d.mode == import::ImportMode::Open)
        {
            d.then = Some(c);
        } else {
            self.execute(c);
        }
    }

    /// Make `p` the open document (from `path`, None for an import not yet saved). A large
    /// project is prepared on a worker thread.
    pub fn load_project(&mut self, p: Project, path: Option<PathBuf>) {
        if loading::is_large(&p) {
            self.loading = Some(loading::Loading::project(p, path, &self.session.ctx));
            return;
        }
        let copy = p.clone();
        self.install(Document::new(p, path), copy);
    }

    /// Take in a document that is ready (`copy`: its project, for the saver).
    fn install(&mut self, mut doc: Document, copy: Project) {
        self.saver.reset(copy);
        doc.record_steps();
        let p = doc.project();
        self.base.to_lonlat = Reprojector::new(p.crs, Crs::epsg(4326)).ok();
        if let Some(lang) = crate::model::ProjectSettings::of(&p.settings).language {
            self.lang = if lang == "en" { Lang::En } else { Lang::Zh };
        }
        doc.user = std::mem::take(&mut self.doc.user);
        self.doc = doc;
        self.selection.clear();
        self.audit_view.highlight = None;
        self.caches.canvas = Default::default();
        self.panels.layers.forget_rows();
        self.session.fitted = false;
    }

    /// Add the layers of another file to the project, as one undoable step for the grids.
    fn import(&mut self, path: &Path) {
        use import::{ImportDialog, ImportMode};
        if ImportDialog::wanted(path) {
            self.dialogs.import_dialog = Some(ImportDialog::new(
                path,
                ImportMode::AddLayers,
                &self.doc.project().settings,
                Some(self.doc.project().crs),
            ));
            return;
        }
        let opts = crate::io::ReadOptions {
            working_crs: Some(self.doc.project().crs),
            ..Default::default()
        };
        match crate::io::open(&[path], &opts) {
            Ok(other) => self.add_layers(other),
            Err(e) if e.needs_crs => {
                self.dialogs.import_dialog = Some(ImportDialog::new(
                    path,
                    ImportMode::AddLayers,
                    &self.doc.project().settings,
                    Some(self.doc.project().crs),
                ));
            }
            Err(e) => self.show_error(&e),
        }
    }

    /// Add the layers of `other` (already in the project's CRS) to the project, as one
    /// undoable step.
    pub fn add_layers(&mut self, other: Project) {
        self.add_layers_with(other, Transaction::new("导入图层 / Import layer"));
    }

    /// Add the layers of `other` to the project in `t` (which may carry settings too).
    pub fn add_layers_with(&mut self, other: Project, mut t: Transaction) {
        t.append_all(self.doc.project(), other);
        let n = t.len();
        self.message = match self.doc.commit(t) {
            Ok(()) => format!("已导入 {n} 项 / {n} features imported"),
            Err(e) => crate::error::report(&e),
        };
    }

    /// Take in the document being opened once it is ready, and show how far it got.
    fn poll_loading(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.loading else {
            return;
        };
        match l.poll() {
            None => {
                let (what, f) = (l.what.clone(), l.fraction());
                egui::Modal::new(egui::Id::unique("loading")).show(ctx, |ui| {
                    ui.set_min_width(420.0);
                    ui.label(format!("{} {what}", self.t("opening")));
                    ui.add(egui::ProgressBar::new(f).show_percentage());
                });
                ctx.request_repaint_after(loading::PROGRESS_REPAINT);
            }
            Some(done) => {
                let (after, then) = (l.after.clone(), l.then.clone());
                self.loading = None;
                // The map (or the error) shows now, not at the next mouse move: this frame
                // drew the map before the document came in.
                ctx.request_repaint();
                match done {
                    loading::Loaded::Ready(mut doc, project) => {
                        match after {
                            loading::After::Open => {
                                if let Some(p) = doc.path.clone() {
                                    self.message = format!("{}", p.display());
                                    self.settings.remember(&p);
                                    self.store_settings();
                                }
                                self.install(*doc, *project);
                            }
                            loading::After::Recover { keep, copy } => {
                                doc.path = keep;
                                doc.dirty = true;
                                self.install(*doc, *project);
                                let _ = std::fs::remove_file(&copy);
                            }
                        }
                        if let Some(c) = then {
                            self.execute(c);
                        }
                    }
                    loading::Loaded::NeedsImport(p) => {
                        let mut d = import::ImportDialog::new(
                            &p,
                            import::ImportMode::Open,
                            &self.doc.project().settings,
                            None,
                        );
                        d.then = then;
                        self.dialogs.import_dialog = Some(d);
                    }
                    loading::Loaded::Failed(e) => {
                        self.show_error(&e);
                        // A screenshot run fails on a file that could not be opened.
                        if let Some((_, _, outcome)) = self.session.screenshot.take() {
                            if let Ok(mut o) = outcome.lock() {
                                *o = Some(Err(e));
                            }
                            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                        }
                    }
                }
            }
        }
    }

    /// Hand the document's steps to the saver, write the recovery copy every minute while
    /// there is unsaved work, and take in what the saver finished.
    fn autosave(&mut self) {
        let steps = self.doc.take_steps();
        self.saver.steps(steps);
        if self.doc.dirty
            && self.saver.pending == 0
            && self.session.last_autosave.elapsed() >= Duration::from_secs(60)
        {
            self.write_recovery();
        }
        for w in self.saver.done() {
            match (w.kind, w.result) {
                (saver::WriteKind::Save, Ok(())) => self.saved(&w.path, w.revision),
                (_, Err(e)) => self.show_error(&e),
                // Saved meanwhile: the copy is already outdated.
                (saver::WriteKind::Recovery, Ok(())) => {
                    if !self.doc.dirty {
                        let _ = std::fs::remove_file(&w.path);
                    }
                }
            }
        }
    }

    /// Write the recovery copy of the work now (off the UI thread; the autosave does it
    /// every minute while there is unsaved work).
    pub fn write_recovery(&mut self) {
        self.session.last_autosave = Instant::now();
        let steps = self.doc.take_steps();
        self.saver.steps(steps);
        let p = recovery_path(self.doc.path.as_deref());
        self.saver
            .write(p, saver::WriteKind::Recovery, self.doc.revision());
    }

    /// The project file was written at `revision`.
    fn saved(&mut self, path: &Path, revision: u64) {
        // The recovery copies of this work, under its old name (or untitled) and its new
        // one, are outdated once it is saved.
        let before = self.doc.path.replace(path.to_path_buf());
        if self.doc.revision() == revision {
            self.doc.dirty = false;
            for p in [recovery_path(before.as_deref()), recovery_path(Some(path))] {
                let _ = std::fs::remove_file(p);
            }
        }
        self.settings.remember(path);
        self.store_settings();
        self.message = crate::error::bilingual(
            &format!("已保存：{}", path.display()),
            &format!("saved: {}", path.display()),
        );
    }

    /// The user chose not to keep this work: its recovery copy goes (after a write under
    /// way has finished, so that none is left behind), and is not offered next time.
    pub fn discard_recovery(&mut self) {
        self.saver.wait(Duration::from_secs(10));
        let _ = self.saver.done();
        let _ = std::fs::remove_file(recovery_path(self.doc.path.as_deref()));
    }

    /// A save is being written off the UI thread.
    pub fn saving(&self) -> bool {
        self.saver.pending > 0
    }

    /// Run the commands whose keys were pressed this frame (from the one table).
    fn shortcuts(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        // The open palette answers the arrows, Enter and Esc itself.
        let palette = self.dialogs.palette.is_open();
        let cmds: Vec<UiCommand> = ctx.input_mut(|i| {
            UiCommand::with_shortcuts()
                .into_iter()
                .filter(|(_, s)| {
                    if s.modifiers.is_none() {
                        let free = !typing || s.logical_key == egui::Key::Escape;
                        free && !palette && i.key_pressed(s.logical_key)
                    } else {
                        i.consume_shortcut(s)
                    }
                })
                .map(|(c, _)| c)
                .collect()
        });
        // A command of two keys pressed together (+ and = on one key) runs once.
        let mut cmds = cmds;
        cmds.dedup();
        for c in cmds {
            self.execute(c);
        }
    }

    fn handle_close(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested())
            && self.doc.dirty
            && !self.session.allow_close
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.session.confirm_close = true;
        }
        if self.session.confirm_close {
            let mut choice = None;
            egui::Modal::new(egui::Id::unique("confirm-close")).show(ctx, |ui| {
                ui.label(self.t("unsaved"));
                ui.horizontal(|ui| {
                    if ui.button(self.t("save_and_quit")).clicked() {
                        choice = Some(0);
                    }
                    if ui.button(self.t("discard")).clicked() {
                        choice = Some(1);
                    }
                    if ui.button(self.t("cancel")).clicked() {
                        choice = Some(2);
                    }
                });
            });
            match choice {
                Some(0) => {
                    self.session.closing = true;
                    self.execute(UiCommand::Save);
                    self.session.closing = false;
                    if !self.doc.dirty {
                        self.session.allow_close = true;
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    self.session.confirm_close = false;
                }
                Some(1) => {
                    self.session.allow_close = true;
                    self.session.confirm_close = false;
                    self.discard_recovery();
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
                Some(_) => self.session.confirm_close = false,
                None => {}
            }
        }
    }

    fn offer_recovery(&mut self, ctx: &egui::Context) {
        let Some(p) = self.session.recovery_offer.clone() else {
            return;
        };
        let mut done = None;
        egui::Modal::new(egui::Id::unique("recovery")).show(ctx, |ui| {
            ui.label(self.t("recover"));
            ui.label(p.display().to_string());
            ui.horizontal(|ui| {
                if ui.button(self.t("recover_yes")).clicked() {
                    done = Some(true);
                }
                if ui.button(self.t("recover_no")).clicked() {
                    done = Some(false);
                }
            });
        });
        if let Some(yes) = done {
            self.session.recovery_offer = None;
            if yes {
                // Read off the UI thread; the copy goes once it is taken in.
                self.loading = Some(loading::Loading::file(
                    &p,
                    loading::After::Recover {
                        keep: self.doc.path.clone(),
                        copy: p.clone(),
                    },
                    &self.session.ctx,
                ));
            } else {
                let _ = std::fs::remove_file(&p);
            }
        }
    }

    fn take_screenshot(&mut self, ctx: &egui::Context) {
        let Some((out, frames, outcome)) = self.session.screenshot.clone() else {
            return;
        };
        // While a document opens, the progress dialog asks for its own (rarer) frames.
        if self.loading.is_some() {
            return;
        }
        ctx.request_repaint();
        if frames > 0 {
            self.session.screenshot = Some((out, frames - 1, outcome));
            if frames == 1 {
                let slot = self.session.shot.clone();
                let ctx2 = ctx.clone();
                ctx.request_screenshot(move |img| {
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(img);
                    }
                    ctx2.request_repaint();
                });
            }
            return;
        }
        let image = self.session.shot.lock().ok().and_then(|mut s| s.take());
        if let Some(img) = image {
            let saved = save_png(&out, &img).map_err(|source| UiError::Screenshot {
                path: out.display().to_string(),
                source,
            });
            if let Ok(mut o) = outcome.lock() {
                *o = Some(saved);
            }
            self.session.screenshot = None;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

fn save_png(path: &Path, img: &egui::ColorImage) -> Result<(), png::EncodingError> {
    let file = std::fs::File::create(path)?;
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        img.size[0] as u32,
        img.size[1] as u32,
    );
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    let bytes: Vec<u8> = img.pixels.iter().flat_map(|c| c.to_array()).collect();
    w.write_image_data(&bytes)
}

fn union_rects(rects: impl Iterator<Item = geo::Rect<f64>>) -> Option<geo::Rect<f64>> {
    rects.reduce(crate::geom::union_rect)
}

fn project_extent(p: &Project) -> Option<geo::Rect<f64>> {
    union_rects(
        p.grids
            .iter()
            .map(|g| &g.geometry)
            .chain(p.boundary.iter().map(|b| &b.geometry))
            .filter_map(crate::geom::envelope),
    )
}

impl eframe::App for GridmapApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // Only when it changes: every viewport command asks for another frame.
        let title = self.title();
        if self.session.shown_title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.session.shown_title = title;
        }
        self.shortcuts(&ctx);
        // Before the canvas, which would read the palette's Enter and arrows.
        if let Some(c) = self.dialogs.palette.ui(&ctx, self.lang) {
            self.execute(c);
        }
        // The panels see the app read-only; what they ask for is done after them.
        let mut panels = std::mem::take(&mut self.panels);
        let cmds = panels.ui(ui, self);
        self.panels = panels;
        for c in cmds {
            self.execute(c);
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                canvas::canvas(self, ui);
            });
        if !self.session.fitted && self.view.rect.width() > 10.0 {
            self.session.fitted = true;
            self.execute(UiCommand::ZoomExtent);
            // This frame's map was drawn before the view was fitted.
            ctx.request_repaint();
        }
        self.poll_loading(&ctx);
        self.offer_recovery(&ctx);
        files::show(self, &ctx);
        for c in dialogs::show(self, &ctx) {
            self.execute(c);
        }
        help::show(&ctx, self.lang);
        import::show(self, &ctx);
        publish::show(self, &ctx);
        georef::show(self, &ctx);
        if let Some(c) = county::show(self, &ctx) {
            self.execute(c);
        }
        print::show(self, &ctx);
        import::show_roster(self, &ctx);
        self.handle_close(&ctx);
        self.autosave();
        self.take_screenshot(&ctx);
    }
}

/// Open the app on `project` (the bundled sample, or an empty one), then `file` if given,
/// as from the File menu (read on a worker thread while the window comes up, or through
/// the import dialog); with `screenshot`, save a screenshot of the first frames (once the
/// file is in) there and exit; with `open_print`, the print dialog (once the file is in).
///
/// Where the graphics driver cannot give the window an OpenGL context it can draw with
/// (an old or missing GPU driver, as on many office PCs of the domestic desktops), the
/// program starts again on Mesa's software renderer (`LIBGL_ALWAYS_SOFTWARE=1`) instead of
/// failing; the status bar says which renderer draws.
pub fn run(
    project: Project,
    file: Option<PathBuf>,
    screenshot: Option<PathBuf>,
    open_print: bool,
) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 900.0])
            .with_title("gridmap"),
        ..Default::default()
    };
    let shot: ScreenshotOutcome = Default::default();
    let shot_in = shot.clone();
    let wanted = screenshot.is_some();
    let opened = eframe::run_native(
        "gridmap",
        options,
        Box::new(move |cc| {
            let mut app = GridmapApp::new(&cc.egui_ctx, project, None);
            if let Some(r) = renderer_of(cc) {
                eprintln!("gridmap: OpenGL {r}");
                app = app.with_renderer(r);
            }
            if let Some(f) = &file {
                app.open(f);
            }
            if open_print {
                app.when_opened(UiCommand::Print);
            }
            match screenshot {
                Some(out) => app = app.with_screenshot(out, shot_in),
                None => {
                    app = app.with_recovery();
                    if let Some(p) = Settings::default_path() {
                        app = app.with_settings(p);
                    }
                }
            }
            Ok(Box::new(app))
        }),
    );
    if let Err(e) = opened {
        let software = std::env::var_os(SOFTWARE_GL).is_some();
        if is_graphics_error(&e) && cfg!(target_os = "linux") && !software {
            return again_in_software(&e);
        }
        return Err(UiError::NoWindow(e.to_string()).into());
    }
    if wanted {
        let outcome = shot.lock().ok().and_then(|mut o| o.take());
        match outcome {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err(UiError::ScreenshotNotTaken.into()),
        }
    }
    Ok(())
}

/// Mesa's switch to its software renderer (llvmpipe).
const SOFTWARE_GL: &str = "LIBGL_ALWAYS_SOFTWARE";

/// Whether the window failed for want of a usable OpenGL context (not for want of a
/// display, or in the app's own start).
fn is_graphics_error(e: &eframe::Error) -> bool {
    matches!(
        e,
        eframe::Error::Glutin(_) | eframe::Error::NoGlutinConfigs(..) | eframe::Error::OpenGL(_)
    )
}

/// Run this program again, with the same arguments, on Mesa's software renderer, and end
/// with its exit code. The driver's libraries are loaded in this process already, so the
/// switch takes a new one.
fn again_in_software(e: &eframe::Error) -> anyhow::Result<()> {
    eprintln!(
        "gridmap: 显卡驱动无法打开 OpenGL 窗口（{e}），改用软件渲染重新启动 / \
         the graphics driver cannot open an OpenGL window ({e}); starting again with software rendering"
    );
    let not_started = |io: std::io::Error| UiError::NoWindow(format!("{e}; {io}"));
    let exe = std::env::current_exe().map_err(not_started)?;
    let status = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(SOFTWARE_GL, "1")
        .status()
        .map_err(not_started)?;
    std::process::exit(status.code().unwrap_or(1));
}

/// The renderer and version OpenGL reports for the window's context.
fn renderer_of(cc: &eframe::CreationContext) -> Option<String> {
    use eframe::glow::HasContext;
    let gl = cc.gl.as_ref()?;
    // SAFETY: eframe made this context current on this thread to create the app;
    // glGetString only reads the driver's strings.
    let (name, version) = unsafe {
        (
            gl.get_parameter_string(eframe::glow::RENDERER),
            gl.get_parameter_string(eframe::glow::VERSION),
        )
    };
    Some(format!("{name}, {version}"))
}

/// Whether a renderer draws on the CPU: Mesa's llvmpipe, softpipe or swrast, Windows'
/// GDI Generic or Basic Render Driver.
pub fn is_software_renderer(renderer: &str) -> bool {
    let r = renderer.to_lowercase();
    [
        "llvmpipe",
        "softpipe",
        "swrast",
        "software rasterizer",
        "gdi generic",
        "basic render",
    ]
    .iter()
    .any(|s| r.contains(s))
}

/// Where `--screenshot` leaves whether the image was saved.
pub type ScreenshotOutcome = Arc<std::sync::Mutex<Option<Result<(), UiError>>>>;
