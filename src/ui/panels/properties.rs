//! The properties panel: the selected grid's record (name, code, level, parent,
//! households, population, notes, area), its actions, four bounds, change log and staff;
//! or the selected river, reservoir, natural village or boundary part.

use super::super::{GridmapApp, Lang, RecordEdit, RecordField, UiCommand, features, tr};
use crate::audit::{Kind, is_valid_phone};
use crate::edit::on_layer;
use crate::model::{Grid, Layer, STANDARD_ROLES, Staff};
use crate::records::FourBounds;
use egui::{Color32, RichText};

/// Width of the role picker: five characters (网格协助员) and the arrow.
const ROLE_W: f32 = 100.0;

/// The panel's own state: whether a village's partition proposal follows rivers, and the
/// four bounds of the grid shown (derived at a document revision).
#[derive(Default)]
pub struct PropertiesPanel {
    along_rivers: bool,
    bounds: Option<(String, u64, FourBounds)>,
}

impl PropertiesPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, app: &GridmapApp) -> Vec<UiCommand> {
        let mut cmds = Vec::new();
        egui::Panel::right("properties")
            .default_size(360.0)
            .min_size(320.0)
            .show(ui, |ui| {
                ui.heading(app.t("properties"));
                // The record scrolls: an expanded change log or a long roster never pushes
                // the staff out of the window.
                egui::ScrollArea::vertical()
                    .id_salt("properties-scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if app.edit_layer != Layer::Grids {
                            feature(app, ui, &mut cmds);
                            return;
                        }
                        let Some(id) = app.selection.first() else {
                            ui.label(app.t("no_selection"));
                            return;
                        };
                        let Some(g) = app.doc.grid(id) else {
                            return;
                        };
                        record_fields(app, ui, g, &mut cmds);
                        self.grid_actions(app, ui, g, &mut cmds);
                        let fb = self.four_bounds(app, id);
                        four_bounds(app, ui, id, fb, &mut cmds);
                        change_log(app, ui, g);
                        ui.separator();
                        staff_editor(app, ui, g, &mut cmds);
                    });
            });
        cmds
    }

    /// The four bounds of grid `id`, derived again only when the document changed.
    fn four_bounds(&mut self, app: &GridmapApp, id: &str) -> FourBounds {
        let rev = app.doc.revision();
        match &self.bounds {
            Some((cid, r, fb)) if cid == id && *r == rev => fb.clone(),
            _ => {
                let fb = app.four_bounds_of(id);
                self.bounds = Some((id.to_string(), rev, fb.clone()));
                fb
            }
        }
    }

    /// Renumber the children, and for a village the partition proposal.
    fn grid_actions(
        &mut self,
        app: &GridmapApp,
        ui: &mut egui::Ui,
        g: &Grid,
        cmds: &mut Vec<UiCommand>,
    ) {
        let l = app.lang;
        if app.doc.has_children(&g.id) && ui.button(tr(l, "renumber_children")).clicked() {
            cmds.push(UiCommand::Renumber(vec![g.id.clone()]));
        }
        if g.level == 2 {
            ui.horizontal(|ui| {
                if ui.button(tr(l, "propose")).clicked() {
                    cmds.push(UiCommand::Propose(g.id.clone(), self.along_rivers));
                }
                ui.checkbox(&mut self.along_rivers, tr(l, "along_rivers"));
            });
        }
    }
}

/// A text field bound to one record field: the edit as a command when the text changed,
/// and [`UiCommand::Seal`] when the field lets go of the keyboard (typing in one field is
/// one undo step).
fn field(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    value: &str,
    make: impl FnOnce(String) -> RecordField,
    cmds: &mut Vec<UiCommand>,
) {
    ui.label(label);
    let mut text = value.to_string();
    // As wide as the panel leaves: a four bounds line (东至某村某组及某河) shows whole.
    let r = ui.add(
        egui::TextEdit::singleline(&mut text)
            .id_salt(format!("{id}-{label}"))
            .desired_width(ui.available_width().max(170.0)),
    );
    ui.end_row();
    if r.changed() && text != value {
        cmds.push(UiCommand::EditRecord(Box::new(RecordEdit {
            id: id.to_string(),
            label: label.to_string(),
            merge_key: Some(format!("record:{id}:{label}")),
            field: make(text),
        })));
    }
    if r.lost_focus() {
        cmds.push(UiCommand::Seal);
    }
}

/// Name, code, level, parent, households, population, notes and area.
fn record_fields(app: &GridmapApp, ui: &mut egui::Ui, g: &Grid, cmds: &mut Vec<UiCommand>) {
    let l = app.lang;
    let id = g.id.as_str();
    let number = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
    egui::Grid::new("record").num_columns(2).show(ui, |ui| {
        field(ui, id, tr(l, "name"), &g.name, RecordField::Name, cmds);
        field(ui, id, tr(l, "code"), &g.code, RecordField::Code, cmds);
        let level = g.level.to_string();
        field(ui, id, tr(l, "level"), &level, RecordField::Level, cmds);
        parent_picker(app, ui, g, cmds);
        let households = number(g.households);
        let h = tr(l, "households");
        field(ui, id, h, &households, RecordField::Households, cmds);
        let population = number(g.population);
        let p = tr(l, "population");
        field(ui, id, p, &population, RecordField::Population, cmds);
        field(ui, id, tr(l, "notes"), &g.notes, RecordField::Notes, cmds);
        ui.label(tr(l, "area"));
        let a = crate::geom::area(&g.geometry);
        ui.label(format!(
            "{:.0} m² · {:.2} km² · {:.1} 亩",
            a,
            a / 1e6,
            a / 666.667
        ));
        ui.end_row();
    });
}

/// The parent of grid `g` chosen by name among the grids one level up (the id is kept in
/// the record, the name is what the user sees).
fn parent_picker(app: &GridmapApp, ui: &mut egui::Ui, g: &Grid, cmds: &mut Vec<UiCommand>) {
    let l = app.lang;
    ui.label(tr(l, "parent"));
    let shown = |id: &str| match app.doc.grid(id) {
        Some(p) if p.code.is_empty() => p.label().to_string(),
        Some(p) => format!("{} ({})", p.label(), p.code),
        None => format!("{id} ⚠"),
    };
    let current = g
        .parent
        .as_deref()
        .map(shown)
        .unwrap_or_else(|| tr(l, "none").to_string());
    let mut chosen = None;
    egui::ComboBox::from_id_salt(format!("parent-{}", g.id))
        .selected_text(current)
        .width(170.0)
        .height(360.0)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(g.parent.is_none(), tr(l, "none"))
                .clicked()
            {
                chosen = Some(None);
            }
            let up = app.doc.project().grids.iter();
            for p in up.filter(|p| p.level + 1 == g.level && p.id != g.id) {
                let on = g.parent.as_deref() == Some(p.id.as_str());
                if ui.selectable_label(on, shown(&p.id)).clicked() {
                    chosen = Some(Some(p.id.clone()));
                }
            }
        });
    ui.end_row();
    if let Some(parent) = chosen
        && parent != g.parent
    {
        cmds.push(UiCommand::EditRecord(Box::new(RecordEdit {
            id: g.id.clone(),
            label: format!("{} / Parent", tr(Lang::Zh, "parent")),
            merge_key: None,
            field: RecordField::Parent(parent),
        })));
    }
}

/// A change of the four bounds: written (Some) or given back to the map (None).
fn bounds_edit(id: &str, merge_key: Option<String>, fb: Option<FourBounds>) -> UiCommand {
    UiCommand::EditRecord(Box::new(RecordEdit {
        id: id.to_string(),
        label: "四至 / Four bounds".into(),
        merge_key,
        field: RecordField::FourBounds(fb),
    }))
}

/// Four bounds: derived from the map until written by hand.
fn four_bounds(
    app: &GridmapApp,
    ui: &mut egui::Ui,
    id: &str,
    fb: FourBounds,
    cmds: &mut Vec<UiCommand>,
) {
    let l = app.lang;
    ui.horizontal(|ui| {
        ui.strong(tr(l, "four_bounds"));
        let how = if fb.edited {
            "edited_by_hand"
        } else {
            "derived"
        };
        ui.label(tr(l, how));
        if fb.review {
            ui.colored_label(Color32::from_rgb(0xb0, 0x70, 0x00), tr(l, "bounds_review"));
            if ui.button(tr(l, "bounds_checked")).clicked() {
                let mut f = fb.clone();
                f.review = false;
                cmds.push(bounds_edit(id, None, Some(f)));
            }
        }
        if fb.edited && ui.button(tr(l, "rederive")).clicked() {
            cmds.push(bounds_edit(id, None, None));
        }
    });
    egui::Grid::new("four-bounds")
        .num_columns(2)
        .show(ui, |ui| {
            for (side, (label, value)) in fb.lines().into_iter().enumerate() {
                let make = |v: String| {
                    let mut f = fb.clone();
                    *[&mut f.east, &mut f.south, &mut f.west, &mut f.north][side] = v;
                    f.edited = true;
                    f.review = false;
                    RecordField::FourBounds(Some(f))
                };
                field(ui, id, label, value, make, cmds);
            }
        });
}

/// The grid's change log, newest first, collapsed.
fn change_log(app: &GridmapApp, ui: &mut egui::Ui, g: &Grid) {
    let log = g.history();
    if log.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("{} ({})", tr(app.lang, "change_log"), log.len()))
        .id_salt("change-log")
        .show(ui, |ui| {
            for e in log.iter().rev().take(50) {
                ui.label(format!("{} {} {}", e.time, e.user, e.what));
                for f in &e.fields {
                    ui.label(RichText::new(format!("    {}", f.describe())).weak());
                }
            }
        });
}

/// Whether a roster row's phone is fine to show: valid, or the row is still blank (a
/// person added and not yet typed in), as the audit sees it.
fn phone_ok(s: &Staff) -> bool {
    s.is_blank() || is_valid_phone(&s.phone)
}

/// The record problems of grid `id` the audit found (required roles, name, code, size).
fn record_problems(app: &GridmapApp, ui: &mut egui::Ui, id: &str) {
    let problems = app.doc.auditor().findings_for(id);
    for f in problems.iter().filter(|f| {
        f.ids.first().map(String::as_str) == Some(id)
            && matches!(
                f.kind,
                Kind::MissingStaff
                    | Kind::MissingName
                    | Kind::MissingCode
                    | Kind::SizeOutOfRange
                    | Kind::WorkingName
            )
    }) {
        let msg = if app.lang == Lang::Zh {
            &f.message.zh
        } else {
            &f.message.en
        };
        ui.colored_label(Color32::from_rgb(0xc0, 0x20, 0x20), format!("⚠ {msg}"));
    }
}

/// The roster: role, name, phone, whether the phone is public (on the residents' website)
/// and a remove button per person; the audit's record problems of this grid above it.
fn staff_editor(app: &GridmapApp, ui: &mut egui::Ui, g: &Grid, cmds: &mut Vec<UiCommand>) {
    let l = app.lang;
    let id = g.id.as_str();
    ui.strong(tr(l, "staff"));
    record_problems(app, ui, id);
    let mut staff = g.staff.clone();
    let mut changed = false;
    let mut toggled = false;
    let mut remove = None;
    // Name and phone share the panel's width left by the role and the remove button
    // (measured in the language shown: "Remove" is wider than 删除): a full name and an
    // 11-digit phone always show, and both widen with the panel.
    let sp = ui.spacing().item_spacing.x;
    let text_w = |key: &'static str| {
        let font = egui::TextStyle::Button.resolve(ui.style());
        let galley = ui
            .painter()
            .layout_no_wrap(tr(l, key).to_string(), font, Color32::WHITE);
        galley.size().x
    };
    let remove_w = text_w("remove") + 2.0 * ui.spacing().button_padding.x;
    let public_w = text_w("public_phone") + ui.spacing().icon_width + ui.spacing().icon_spacing;
    let free = (ui.available_width() - ROLE_W - remove_w - public_w - 5.0 * sp).max(170.0);
    let (name_w, phone_w) = (free * 0.4, free * 0.6);
    let h = ui.spacing().interact_size.y;
    ui.horizontal(|ui| {
        ui.add_sized([ROLE_W, h], egui::Label::new(tr(l, "role")));
        ui.add_sized([name_w, h], egui::Label::new(tr(l, "person_name")));
        ui.add_sized([phone_w, h], egui::Label::new(tr(l, "phone")));
    });
    for (k, s) in staff.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt(format!("role-{id}-{k}"))
                .selected_text(s.role.clone())
                .width(ROLE_W)
                .show_ui(ui, |ui| {
                    for r in STANDARD_ROLES {
                        changed |= ui.selectable_value(&mut s.role, r.to_string(), r).changed();
                    }
                });
            changed |= ui
                .add_sized(
                    [name_w, h],
                    egui::TextEdit::singleline(&mut s.name)
                        .id_salt(format!("name-{id}-{k}"))
                        .hint_text(tr(l, "person_name")),
                )
                .changed();
            // A row not filled in yet is no error; a phone typed wrong is.
            let ok = phone_ok(s);
            let phone = egui::TextEdit::singleline(&mut s.phone)
                .id_salt(format!("phone-{id}-{k}"))
                .hint_text(tr(l, "phone"))
                .text_color_opt((!ok).then_some(Color32::from_rgb(0xc0, 0x20, 0x20)));
            let r = ui.add_sized([phone_w, h], phone);
            changed |= r.changed();
            if !ok {
                r.on_hover_text(tr(l, "bad_phone"));
            }
            let c = ui
                .checkbox(&mut s.public, tr(l, "public_phone"))
                .on_hover_text(tr(l, "public_phone_tip"));
            toggled |= c.changed();
            if ui.small_button(tr(l, "remove")).clicked() {
                remove = Some(k);
            }
        });
    }
    for s in staff.iter().filter(|s| !phone_ok(s)) {
        ui.colored_label(
            Color32::from_rgb(0xc0, 0x20, 0x20),
            format!("⚠ {} {}: {}", s.role, s.name, tr(l, "bad_phone")),
        );
    }
    if let Some(k) = remove {
        staff.remove(k);
        changed = true;
    }
    if ui.button(tr(l, "add_staff")).clicked() {
        staff.push(Staff {
            role: "网格员".into(),
            ..Default::default()
        });
        changed = true;
    }
    if changed || toggled {
        cmds.push(UiCommand::EditRecord(Box::new(RecordEdit {
            id: id.to_string(),
            label: "人员 / Staff".into(),
            // Typing is one step; a person made public (or not) is a step of its own.
            merge_key: (!toggled).then(|| format!("staff:{id}")),
            field: RecordField::Staff(staff),
        })));
    }
}

/// The properties of the selected feature: name (each edit undoable, typing one step),
/// size, and its commands.
fn feature(app: &GridmapApp, ui: &mut egui::Ui, cmds: &mut Vec<UiCommand>) {
    let layer = app.edit_layer;
    let Some(id) = app.feature.clone() else {
        ui.label(app.t("no_feature"));
        return;
    };
    let p = app.doc.project();
    let Some(name) = on_layer!(layer, T => features::name_of::<T>(p, &id)) else {
        cmds.push(UiCommand::SelectFeature(None));
        return;
    };
    let key = features::LAYERS.iter().find(|l| l.0 == layer);
    ui.label(format!("{} · {id}", app.t(key.map_or("", |l| l.1))));
    let mut text = name.clone();
    ui.horizontal(|ui| {
        ui.label(app.t("name"));
        let r = ui.add(egui::TextEdit::singleline(&mut text).id_salt(("feature-name", &id)));
        if r.changed() && text != name {
            cmds.push(UiCommand::RenameFeature(layer, id.clone(), text.clone()));
        }
        if r.lost_focus() {
            cmds.push(UiCommand::Seal);
        }
    });
    if let Some(s) = features::size_of(p, layer, &id) {
        ui.label(s);
    }
    ui.horizontal(|ui| {
        if ui.button(app.t("delete")).clicked() {
            cmds.push(UiCommand::DeleteFeature(layer, id.clone()));
        }
        if layer == Layer::Rivers && ui.button(app.t("clip_river")).clicked() {
            cmds.push(UiCommand::ClipRiver(id.clone()));
        }
    });
    if layer == Layer::Rivers {
        ui.label(RichText::new(app.t("split_river_hint")).weak());
    }
}
