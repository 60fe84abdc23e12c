//! The command palette (Ctrl+Shift+P): every command of the table, found by typing part of
//! its name in Chinese or English, run through the same path as its menu entry and keys.

use super::{Lang, UiCommand};

/// The palette's state while it is open: what was typed and which row is picked.
#[derive(Debug, Default)]
pub struct Palette {
    open: bool,
    query: String,
    selected: usize,
}

impl Palette {
    /// Whether it is showing (it then has the keyboard's arrows, Enter and Esc).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Open it with an empty query (the text field takes the keyboard).
    pub fn open(&mut self) {
        *self = Palette {
            open: true,
            ..Default::default()
        };
    }

    /// The commands whose name contains `query`, in the table's order (the palette's own
    /// command left out).
    pub fn matches(query: &str) -> Vec<UiCommand> {
        UiCommand::table()
            .into_iter()
            .filter(|c| *c != UiCommand::CommandPalette && c.matches(query))
            .collect()
    }

    /// Show the palette while it is open; the command picked (Enter or a click), which
    /// closes it. Arrows move the pick, Esc closes. Call it before the canvas reads its
    /// keys: the keys the palette answers are taken out of the frame's input.
    pub fn ui(&mut self, ctx: &egui::Context, lang: Lang) -> Option<UiCommand> {
        if !self.open {
            return None;
        }
        let found = Self::matches(&self.query);
        let (down, up, enter) = ctx.input_mut(|i| {
            use egui::{Key, Modifiers};
            (
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::Enter),
            )
        });
        if down {
            self.selected = (self.selected + 1).min(found.len().saturating_sub(1));
        }
        if up {
            self.selected = self.selected.saturating_sub(1);
        }
        let mut picked = enter.then(|| found.get(self.selected).cloned()).flatten();
        let modal = egui::Modal::new(egui::Id::unique("command-palette")).show(ctx, |ui| {
            ui.set_width(460.0);
            let hint = super::tr(lang, "palette_hint");
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.query)
                    .id_salt("palette-query")
                    .hint_text(hint)
                    .desired_width(f32::INFINITY),
            );
            r.request_focus();
            if r.changed() {
                self.selected = 0;
            }
            egui::ScrollArea::vertical()
                .max_height(360.0)
                .show(ui, |ui| {
                    for (k, c) in found.iter().enumerate() {
                        let mut b = egui::Button::selectable(k == self.selected, c.label(lang));
                        if let Some(s) = c.shortcut() {
                            b = b.shortcut_text(ui.ctx().format_shortcut(&s));
                        }
                        if ui.add(b).clicked() {
                            picked = Some(c.clone());
                        }
                    }
                });
        });
        if picked.is_some() || modal.should_close() {
            self.open = false;
        }
        picked
    }
}
