//! The one table of what a user can ask the app for: every [`UiCommand`] with its name in
//! both languages and its keys, so the menus, the keyboard, the Help page and the command
//! palette all read the same entry.

use super::{Lang, tr};
use egui::{Key, KeyboardShortcut, Modifiers};
use std::path::PathBuf;
use std::sync::Arc;

/// The active tool of the canvas.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tool {
    #[default]
    Select,
    /// Drawing a new grid: the vertices so far (world coordinates).
    Draw(Vec<geo::Coord<f64>>),
    /// Editing vertices; `dragging` is the vertex being moved and the drag's id.
    Vertices {
        dragging: Option<(geo::Coord<f64>, u64)>,
    },
    /// Drawing a cutting line for the selected grid.
    Split(Vec<geo::Coord<f64>>),
    /// Drawing a new shape for the selected grid.
    Reshape(Vec<geo::Coord<f64>>),
}

/// Everything one action of the user can ask for; menus, toolbar and shortcuts all send
/// these, and [`GridmapApp::execute`] carries them out in one place.
#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    Undo,
    Redo,
    Save,
    SaveAs,
    Open,
    Import,
    /// Open the print dialog.
    Print,
    /// Export the ledger (asks for the file).
    Ledger,
    /// Open the publish dialog (the residents' website).
    Publish,
    /// Export KML/KMZ for phones (asks for the file).
    ExportKml,
    /// Choose the MBTiles file of the offline background.
    ChooseMbtiles,
    /// Georeference a scanned map (asks for the image).
    Georeference,
    /// Export a DXF drawing (asks for the file).
    ExportDxf,
    /// Import a staff roster (asks for the file, then previews it).
    ImportRoster,
    /// Renumber the codes of the children of these grids (all when empty), one undo step.
    Renumber(Vec<String>),
    /// Replace a village's level-3 grids by a proposal from its natural villages (true:
    /// the new boundaries follow rivers).
    Propose(String, bool),
    ZoomExtent,
    ZoomSelection,
    /// Zoom to the finding at this row of the audit list (errors first) and highlight it.
    ZoomFinding(usize),
    SetTool(Tool),
    /// Merge the selected grids: asks whose name and code to keep.
    Merge,
    /// Merge these grids keeping the id, name and code of the second.
    MergeKeeping(Vec<String>, String),
    /// Delete the selected grids: asks first when they hold records.
    Delete,
    /// Delete these grids now.
    DeleteNow(Vec<String>),
    /// Delete a river, reservoir, natural village or boundary part (undoable).
    DeleteFeature(crate::model::Layer, String),
    /// Keep only the part of a river inside the township.
    ClipRiver(String),
    /// Turn a gap finding into a new grid.
    FillGap(Arc<crate::audit::Finding>),
    /// Merge the gap finding into the grid with this id.
    FillGapInto(Arc<crate::audit::Finding>, String),
    ToggleLanguage,
    OpenRecent(PathBuf),
    /// Save to this path (a project file, an export or the ledger by its extension).
    SavePath(PathBuf),
    /// Add the layers of the file at this path to the project (one undo step).
    ImportPath(PathBuf),
    /// Add a georeferenced image (PNG/JPEG with a world file) as a background.
    AddBackground,
    /// Open the county database window (连接县级数据库).
    CountyDb,
    /// Pull the township from the county database (asks where to keep it).
    CountyPull,
    /// Open the command palette (Ctrl+Shift+P).
    CommandPalette,
    /// Open a page of the Help menu.
    Help(super::help::Page),
    /// Make these grids the selection.
    Select(Vec<String>),
    /// Choose the feature of the edited layer (None: none).
    SelectFeature(Option<String>),
    /// Edit this layer with the map's tools.
    SetEditLayer(crate::model::Layer),
    /// Which layers show, their order and colours.
    SetLayers(Box<super::Layers>),
    /// This computer's settings as the menus changed them (kept in the settings file).
    SetSettings(Box<super::Settings>),
    /// The name written into change logs (kept in the settings).
    SetUser(String),
    /// How drawing fits shapes: avoid overlaps, trace shared outlines.
    SetDrawing {
        avoid_overlap: bool,
        trace: bool,
    },
    /// Show the online tiles under the map.
    ShowTiles(bool),
    /// Change one field of a grid's record (undoable).
    EditRecord(Box<RecordEdit>),
    /// Rename a river, reservoir, natural village or boundary part (undoable; typing in
    /// the name is one step).
    RenameFeature(crate::model::Layer, String, String),
    /// A field let go of the keyboard: the next typing is a new undo step.
    Seal,
    /// Zoom in or out one step around the map's centre.
    ZoomIn,
    ZoomOut,
    /// Move the map one step (the map moves, the view looks the other way).
    Pan(Pan),
    /// Esc: drop the sketch being drawn, or with none leave the tool.
    Cancel,
    /// Enter: finish the sketch being drawn.
    Finish,
    /// Backspace: take back the sketch's last click (a traced run too).
    TakeBack,
}

/// A direction the arrow keys pan the map in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pan {
    Left,
    Right,
    Up,
    Down,
}

impl Pan {
    /// How far the content moves, in screen points.
    pub fn delta(self) -> egui::Vec2 {
        match self {
            Pan::Left => egui::vec2(60.0, 0.0),
            Pan::Right => egui::vec2(-60.0, 0.0),
            Pan::Up => egui::vec2(0.0, 60.0),
            Pan::Down => egui::vec2(0.0, -60.0),
        }
    }
}

/// One change of a grid's record, as the properties panel asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordEdit {
    pub id: String,
    /// The change's name in the history and the change log.
    pub label: String,
    /// Changes with the same key in a row are one undo step (typing in one field).
    pub merge_key: Option<String>,
    pub field: RecordField,
}

/// A field of a grid's record and its new value; numbers as typed (text that is not a
/// number leaves the level as it was and empties households and population).
#[derive(Debug, Clone, PartialEq)]
pub enum RecordField {
    Name(String),
    Code(String),
    Level(String),
    Parent(Option<String>),
    Households(String),
    Population(String),
    Notes(String),
    /// Four bounds written by hand, or None to derive them from the map again.
    FourBounds(Option<crate::records::FourBounds>),
    Staff(Vec<crate::model::Staff>),
}

impl RecordField {
    /// Write the value into grid `g`.
    pub fn apply(self, g: &mut crate::model::Grid) {
        use crate::records::FOUR_BOUNDS;
        match self {
            RecordField::Name(v) => g.name = v,
            RecordField::Code(v) => g.code = v,
            RecordField::Level(v) => {
                if let Ok(n) = v.trim().parse() {
                    g.level = n;
                }
            }
            RecordField::Parent(p) => g.parent = p,
            RecordField::Households(v) => g.households = v.trim().parse().ok(),
            RecordField::Population(v) => g.population = v.trim().parse().ok(),
            RecordField::Notes(v) => g.notes = v,
            RecordField::FourBounds(Some(f)) => {
                g.extra.insert(FOUR_BOUNDS.into(), f.to_value());
            }
            RecordField::FourBounds(None) => {
                g.extra.remove(FOUR_BOUNDS);
            }
            RecordField::Staff(s) => g.staff = s,
        }
    }
}

impl UiCommand {
    /// The commands a user can run by name, in the order the palette lists them (the order
    /// of the menus). Commands that carry data (a path, ids, a finding) come from the
    /// widgets that know it and are not here.
    pub fn table() -> Vec<UiCommand> {
        vec![
            UiCommand::Open,
            UiCommand::Save,
            UiCommand::SaveAs,
            UiCommand::Import,
            UiCommand::Print,
            UiCommand::Ledger,
            UiCommand::Publish,
            UiCommand::ImportRoster,
            UiCommand::AddBackground,
            UiCommand::Georeference,
            UiCommand::ExportKml,
            UiCommand::ExportDxf,
            UiCommand::CountyDb,
            UiCommand::ChooseMbtiles,
            UiCommand::Undo,
            UiCommand::Redo,
            UiCommand::Renumber(Vec::new()),
            UiCommand::Merge,
            UiCommand::Delete,
            UiCommand::SetTool(Tool::Select),
            UiCommand::SetTool(Tool::Draw(Vec::new())),
            UiCommand::SetTool(Tool::Vertices { dragging: None }),
            UiCommand::SetTool(Tool::Split(Vec::new())),
            UiCommand::SetTool(Tool::Reshape(Vec::new())),
            UiCommand::Finish,
            UiCommand::TakeBack,
            UiCommand::Cancel,
            UiCommand::ZoomExtent,
            UiCommand::ZoomSelection,
            UiCommand::ZoomIn,
            UiCommand::ZoomOut,
            UiCommand::Pan(Pan::Left),
            UiCommand::Pan(Pan::Right),
            UiCommand::Pan(Pan::Up),
            UiCommand::Pan(Pan::Down),
            UiCommand::ToggleLanguage,
            UiCommand::CommandPalette,
        ]
    }

    /// The i18n key of the command's name (see [`tr`]); None for commands that carry data
    /// and are not in the [`table`](Self::table).
    pub fn label_key(&self) -> Option<&'static str> {
        Some(match self {
            UiCommand::Open => "open",
            UiCommand::Save => "save",
            UiCommand::SaveAs => "save_as",
            UiCommand::Import => "import",
            UiCommand::Print => "print",
            UiCommand::Ledger => "ledger",
            UiCommand::Publish => "publish",
            UiCommand::ImportRoster => "import_roster",
            UiCommand::AddBackground => "add_background",
            UiCommand::Georeference => "georeference",
            UiCommand::ExportKml => "export_kml",
            UiCommand::ExportDxf => "export_dxf",
            UiCommand::CountyDb => "county_db",
            UiCommand::ChooseMbtiles => "choose_mbtiles",
            UiCommand::Undo => "undo",
            UiCommand::Redo => "redo",
            UiCommand::Renumber(p) if p.is_empty() => "renumber_all",
            UiCommand::Merge => "merge",
            UiCommand::Delete => "delete",
            UiCommand::SetTool(t) => t.label_key(),
            UiCommand::ZoomExtent => "zoom_extent",
            UiCommand::ZoomSelection => "zoom_selection",
            UiCommand::ToggleLanguage => "switch_language",
            UiCommand::CommandPalette => "command_palette",
            UiCommand::ZoomIn => "zoom_in",
            UiCommand::ZoomOut => "zoom_out",
            UiCommand::Pan(Pan::Left) => "pan_left",
            UiCommand::Pan(Pan::Right) => "pan_right",
            UiCommand::Pan(Pan::Up) => "pan_up",
            UiCommand::Pan(Pan::Down) => "pan_down",
            UiCommand::Cancel => "cancel_sketch",
            UiCommand::Finish => "finish_sketch",
            UiCommand::TakeBack => "take_back",
            _ => return None,
        })
    }

    /// The command's name in `lang` (empty for commands outside the table).
    pub fn label(&self, lang: Lang) -> &'static str {
        self.label_key().map_or("", |k| tr(lang, k))
    }

    /// The keys that run this command, one table for the menus (which show the first), the
    /// keyboard, the map's keys and Help; keys without a modifier act only while no text
    /// field has the keyboard (Esc always).
    pub fn shortcuts(&self) -> Vec<KeyboardShortcut> {
        let (c, s, n) = (Modifiers::COMMAND, Modifiers::SHIFT, Modifiers::NONE);
        let keys: &[(Modifiers, Key)] = match self {
            UiCommand::Undo => &[(c, Key::Z)],
            UiCommand::Redo => &[(c, Key::Y)],
            UiCommand::Open => &[(c, Key::O)],
            UiCommand::Save => &[(c, Key::S)],
            UiCommand::SaveAs => &[(c.plus(s), Key::S)],
            UiCommand::Print => &[(c, Key::P)],
            UiCommand::CommandPalette => &[(c.plus(s), Key::P)],
            UiCommand::ZoomExtent => &[(n, Key::Home)],
            UiCommand::ZoomSelection => &[(n, Key::F)],
            UiCommand::Delete => &[(n, Key::Delete)],
            UiCommand::ZoomIn => &[(n, Key::Plus), (n, Key::Equals)],
            UiCommand::ZoomOut => &[(n, Key::Minus)],
            UiCommand::Pan(Pan::Left) => &[(n, Key::ArrowLeft)],
            UiCommand::Pan(Pan::Right) => &[(n, Key::ArrowRight)],
            UiCommand::Pan(Pan::Up) => &[(n, Key::ArrowUp)],
            UiCommand::Pan(Pan::Down) => &[(n, Key::ArrowDown)],
            UiCommand::Cancel => &[(n, Key::Escape)],
            UiCommand::Finish => &[(n, Key::Enter)],
            UiCommand::TakeBack => &[(n, Key::Backspace)],
            _ => &[],
        };
        keys.iter()
            .map(|&(m, k)| KeyboardShortcut::new(m, k))
            .collect()
    }

    /// The command's first keys, as a menu shows them.
    pub fn shortcut(&self) -> Option<KeyboardShortcut> {
        self.shortcuts().first().copied()
    }

    /// The commands of the table with each of their keys, the longer chords first (egui
    /// matches Ctrl+S on Ctrl+Shift+S too, so Ctrl+Shift+S must be tried before it).
    pub fn with_shortcuts() -> Vec<(UiCommand, KeyboardShortcut)> {
        let mut v: Vec<_> = Self::table()
            .into_iter()
            .flat_map(|c| c.shortcuts().into_iter().map(move |s| (c.clone(), s)))
            .collect();
        v.sort_by_key(|(_, s)| std::cmp::Reverse(s.modifiers.shift));
        v
    }

    /// Whether the command's name in either language (or its key) contains `query`,
    /// ignoring case and the "…" of names that ask something.
    pub fn matches(&self, query: &str) -> bool {
        let Some(key) = self.label_key() else {
            return false;
        };
        let q = query.trim().to_lowercase();
        [tr(Lang::Zh, key), tr(Lang::En, key), key]
            .iter()
            .any(|name| name.replace('…', "").to_lowercase().contains(&q))
    }
}

impl Tool {
    /// The i18n key of the tool's name (its toolbar button).
    pub fn label_key(&self) -> &'static str {
        match self {
            Tool::Select => "select",
            Tool::Draw(_) => "draw",
            Tool::Vertices { .. } => "vertices",
            Tool::Split(_) => "split",
            Tool::Reshape(_) => "reshape",
        }
    }
}
