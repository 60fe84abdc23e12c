//! The georeferencer (地理配准): a scanned map shown beside the map; a click on the scan
//! picks a position, a click on the map (or typed coordinates) gives where it lies. From
//! three points (affine) or four (projective) the fit, each point's residual in metres and
//! the RMS are shown; 保存并显示 writes the points file and the world file beside the
//! scan and shows it warped under the grids.

use super::GridmapApp;
use crate::io::georef::{self, ControlPoint, Fit, Method};
use egui::{Color32, Pos2, Rect, Sense, Stroke, TextureHandle};
use geo::Coord;
use std::path::{Path, PathBuf};

pub struct Georeferencer {
    pub image: PathBuf,
    texture: TextureHandle,
    pub size: (u32, u32),
    pub points: Vec<ControlPoint>,
    /// A position picked on the scan, waiting for its map coordinate.
    pub pending: Option<Coord<f64>>,
    pub x_text: String,
    pub y_text: String,
    pub method: Method,
    /// The fit of the points so far.
    pub fit: Option<Fit>,
    /// Why there is no fit (empty while there is one, or nothing to say).
    pub fit_error: String,
    /// Where the scan is drawn on screen.
    pub scan_rect: Rect,
    /// What was last saved, or the error.
    pub message: String,
}

impl Georeferencer {
    /// Open `image` (with the points it already has, if any).
    pub fn open(ctx: &egui::Context, image: &Path) -> Result<Self, crate::io::LoadError> {
        let (w, h, rgba) = crate::io::worldfile::read_image(image)?;
        let texture = ctx.load_texture(
            format!("georef-{}", image.display()),
            egui::ColorImage::from_rgba_unmultiplied([w as usize, h as usize], &rgba),
            egui::TextureOptions::LINEAR,
        );
        let (points, method) = match georef::read_points(&georef::points_path(image)) {
            Ok(found) => found,
            Err(_) => (Vec::new(), Method::Affine),
        };
        let mut g = Georeferencer {
            image: image.to_path_buf(),
            texture,
            size: (w, h),
            points,
            pending: None,
            x_text: String::new(),
            y_text: String::new(),
            method,
            fit: None,
            fit_error: String::new(),
            scan_rect: Rect::NOTHING,
            message: String::new(),
        };
        g.refit();
        Ok(g)
    }

    fn refit(&mut self) {
        (self.fit, self.fit_error) = match georef::fit(&self.points, self.method) {
            Ok(f) => (Some(f), String::new()),
            Err(e) => (None, crate::error::report(&e)),
        };
    }

    /// The image position under screen position `pos` of the scan.
    pub fn pixel_at(&self, pos: Pos2) -> Coord<f64> {
        let r = self.scan_rect;
        Coord {
            x: f64::from((pos.x - r.min.x) / r.width()) * f64::from(self.size.0),
            y: f64::from((pos.y - r.min.y) / r.height()) * f64::from(self.size.1),
        }
    }

    /// Where image position `p` is drawn.
    pub fn screen_of(&self, p: Coord<f64>) -> Pos2 {
        let r = self.scan_rect;
        Pos2::new(
            r.min.x + (p.x / f64::from(self.size.0)) as f32 * r.width(),
            r.min.y + (p.y / f64::from(self.size.1)) as f32 * r.height(),
        )
    }

    /// Pair the pending scan position with map coordinate `map`.
    pub fn add(&mut self, map: Coord<f64>) {
        if let Some(pixel) = self.pending.take() {
            self.points.push(ControlPoint {
                pixel,
                map,
                enabled: true,
            });
            self.x_text.clear();
            self.y_text.clear();
            self.refit();
        }
    }
}

fn parse(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The dialog's words in the app's language.
#[derive(Clone, Copy)]
struct Words {
    zh: bool,
}

impl Words {
    fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        if self.zh { zh } else { en }
    }
}

/// What the buttons at the foot of the dialog asked for.
#[derive(Default)]
struct Asked {
    apply: bool,
    close: bool,
}

/// Draw the georeferencer while it is open; 保存并显示 saves the points and the world file
/// and shows the scan under the grids.
pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(mut g) = app.dialogs.georef.take() else {
        return;
    };
    let w = Words {
        zh: app.lang == super::Lang::Zh,
    };
    let mut open = true;
    let mut asked = Asked::default();
    egui::Window::new(w.t("地理配准", "Georeferencer"))
        .id(egui::Id::unique("georeferencer"))
        .open(&mut open)
        .default_pos([60.0, 80.0])
        .default_width(560.0)
        .show(ctx, |ui| {
            ui.label(g.image.display().to_string());
            g.scan_ui(ui);
            ui.separator();
            g.pending_ui(ui, w);
            g.method_ui(ui, w);
            g.points_ui(ui, w);
            g.fit_ui(ui, w);
            if !g.message.is_empty() {
                ui.label(&g.message);
            }
            ui.horizontal(|ui| {
                let save = egui::Button::new(w.t("保存并显示", "Save and show"));
                asked.apply = ui.add_enabled(g.fit.is_some(), save).clicked();
                asked.close = ui.button(w.t("关闭", "Close")).clicked();
            });
        });
    if asked.apply {
        save_and_show(app, &mut g);
    }
    if open && !asked.close {
        app.dialogs.georef = Some(g);
    }
}

/// Write the points and the world file beside the scan and show it under the grids; the
/// dialog names the files written, or why they were not.
fn save_and_show(app: &mut GridmapApp, g: &mut Georeferencer) {
    let Some(f) = &g.fit else { return };
    match georef::save(&g.image, &g.points, f) {
        Ok(files) => {
            g.message = files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let image = g.image.clone();
            app.add_background(&image);
            app.layers.background = true;
        }
        Err(e) => g.message = crate::error::report(&e),
    }
}

impl Georeferencer {
    /// The scan, fitted into 520 x 380 points, with its control points; a click picks a
    /// position on it.
    fn scan_ui(&mut self, ui: &mut egui::Ui) {
        let (w, h) = (self.size.0 as f32, self.size.1 as f32);
        let k = (520.0 / w).min(380.0 / h);
        let (rect, response) = ui.allocate_exact_size(egui::vec2(w * k, h * k), Sense::click());
        self.scan_rect = rect;
        let painter = ui.painter_at(rect);
        painter.image(
            self.texture.id(),
            rect,
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
        for (i, p) in self.points.iter().enumerate() {
            let at = self.screen_of(p.pixel);
            let colour = if p.enabled {
                Color32::from_rgb(0x10, 0x60, 0xd0)
            } else {
                Color32::GRAY
            };
            painter.circle_stroke(at, 5.0, Stroke::new(2.0, colour));
            painter.text(
                at + egui::vec2(7.0, -7.0),
                egui::Align2::LEFT_BOTTOM,
                (i + 1).to_string(),
                egui::FontId::proportional(13.0),
                colour,
            );
        }
        if let Some(p) = self.pending {
            let at = self.screen_of(p);
            painter.circle_stroke(at, 6.0, Stroke::new(2.0, Color32::RED));
        }
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            self.pending = Some(self.pixel_at(pos));
        }
    }

    /// The position picked on the scan and its typed map coordinates, or what to do next.
    fn pending_ui(&mut self, ui: &mut egui::Ui, w: Words) {
        let Some(p) = self.pending else {
            ui.label(w.t(
                "在扫描图上点击一个控制点",
                "Click a control point on the scan",
            ));
            return;
        };
        ui.label(format!(
            "{} ({:.1}, {:.1})",
            w.t(
                "在地图上点击此点的位置，或输入坐标：",
                "Click where this point lies on the map, or type its coordinates:"
            ),
            p.x,
            p.y
        ));
        ui.horizontal(|ui| {
            ui.label("X =");
            ui.add(
                egui::TextEdit::singleline(&mut self.x_text)
                    .id_salt("georef-x")
                    .desired_width(120.0),
            );
            ui.label("Y =");
            ui.add(
                egui::TextEdit::singleline(&mut self.y_text)
                    .id_salt("georef-y")
                    .desired_width(120.0),
            );
            let typed = parse(&self.x_text).zip(parse(&self.y_text));
            if ui
                .add_enabled(
                    typed.is_some(),
                    egui::Button::new(w.t("添加点", "Add point")),
                )
                .clicked()
                && let Some((x, y)) = typed
            {
                self.add(Coord { x, y });
            }
        });
    }

    /// The transform: affine or projective (the fit follows the choice).
    fn method_ui(&mut self, ui: &mut egui::Ui, w: Words) {
        ui.horizontal(|ui| {
            ui.label(w.t("变换", "Transform"));
            let before = self.method;
            ui.radio_value(
                &mut self.method,
                Method::Affine,
                w.t("仿射（3 点以上）", "Affine (3+ points)"),
            );
            ui.radio_value(
                &mut self.method,
                Method::Projective,
                w.t("投影（4 点以上）", "Projective (4+ points)"),
            );
            if self.method != before {
                self.refit();
            }
        });
    }

    /// The control points with their residuals; each can be left out of the fit or deleted.
    fn points_ui(&mut self, ui: &mut egui::Ui, w: Words) {
        let mut remove = None;
        let mut toggled = false;
        let residuals = self
            .fit
            .as_ref()
            .map(|f| f.residuals.clone())
            .unwrap_or_default();
        egui::Grid::new("georef-points")
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    "#",
                    w.t("扫描图 像素", "Scan pixel"),
                    "X",
                    "Y",
                    w.t("残差 m", "Residual m"),
                    "",
                    "",
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for (i, p) in self.points.iter_mut().enumerate() {
                    ui.label((i + 1).to_string());
                    ui.label(format!("{:.1}, {:.1}", p.pixel.x, p.pixel.y));
                    ui.label(format!("{:.2}", p.map.x));
                    ui.label(format!("{:.2}", p.map.y));
                    ui.label(residuals.get(i).map_or("–".into(), |r| format!("{r:.2}")));
                    toggled |= ui.checkbox(&mut p.enabled, w.t("使用", "use")).changed();
                    if ui.small_button(w.t("删除", "Delete")).clicked() {
                        remove = Some(i);
                    }
                    ui.end_row();
                }
            });
        if let Some(i) = remove {
            self.points.remove(i);
            toggled = true;
        }
        if toggled {
            self.refit();
        }
    }

    /// The RMS error of the fit, or why there is none.
    fn fit_ui(&self, ui: &mut egui::Ui, w: Words) {
        match &self.fit {
            Some(f) => {
                ui.label(format!("RMS {} {:.2} m", w.t("误差", "error"), f.rms));
            }
            None if !self.fit_error.is_empty() => {
                ui.colored_label(Color32::from_rgb(0xc0, 0x20, 0x20), &self.fit_error);
            }
            None => {}
        }
    }
}
