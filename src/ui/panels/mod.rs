//! The panels around the map: menu, toolbar, layers, properties (records and staff), the
//! audit list and the status bar.
//!
//! Each panel is a struct that keeps only its own widget state (a name being typed, the
//! expanded villages, a gap's chosen neighbour). It sees the shell, the document with it,
//! read-only and gives back the [`UiCommand`]s the user asked for; the shell carries them
//! out ([`GridmapApp::execute`]) after the panels are drawn.

mod audit;
mod layers;
mod menu;
mod properties;
mod toolbar;

use super::{GridmapApp, UiCommand};
use crate::audit::Severity;
use egui::Color32;

/// The panels, each with its own state.
#[derive(Default)]
pub struct Panels {
    pub menu: menu::MenuBar,
    pub toolbar: toolbar::Toolbar,
    pub audit: audit::AuditPanel,
    pub layers: layers::LayersPanel,
    pub properties: properties::PropertiesPanel,
}

impl Panels {
    /// Draw every panel around the map; the commands the user gave, in the order given.
    pub fn ui(&mut self, ui: &mut egui::Ui, app: &GridmapApp) -> Vec<UiCommand> {
        let mut cmds = self.menu.ui(ui, app);
        cmds.extend(self.toolbar.ui(ui, app));
        toolbar::status_bar(ui, app);
        cmds.extend(self.audit.ui(ui, app));
        cmds.extend(self.layers.ui(ui, app));
        cmds.extend(self.properties.ui(ui, app));
        cmds
    }
}

/// Green for none, the error colour otherwise.
fn count_colour(n: usize, dark: bool) -> Color32 {
    if n == 0 {
        Color32::from_rgb(0x20, 0xa0, 0x48)
    } else {
        severity_colour(Severity::Error, false, dark)
    }
}

/// Text colour of a finding, readable on the panel of the light and of the dark theme, and
/// on the selection colour of the row picked.
fn severity_colour(s: Severity, picked: bool, dark: bool) -> Color32 {
    match (picked, dark) {
        (true, true) => return Color32::WHITE,
        (true, false) => return Color32::from_gray(10),
        _ => {}
    }
    match (s, dark) {
        (Severity::Error, false) => Color32::from_rgb(0xb0, 0x10, 0x10),
        (Severity::Error, true) => Color32::from_rgb(0xff, 0x7a, 0x7a),
        (Severity::Warning, false) => Color32::from_rgb(0x8a, 0x55, 0x00),
        (Severity::Warning, true) => Color32::from_rgb(0xf2, 0xb8, 0x4b),
        (Severity::Info, false) => Color32::from_gray(90),
        (Severity::Info, true) => Color32::from_gray(190),
    }
}
