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
    /// The fit of the points so far, or why there is none.
    pub fit: Result<Fit, String>,
    /// Where the scan is drawn on screen.
    pub scan_rect: Rect,
    /// What was last saved, or the error.
    pub message: String,
}

impl Georeferencer {
    /// Open `image` (with the points it already has, if any).
    pub fn open(ctx: &egui::Context, image: &Path) -> Result<Self, String> {
        let (w, h, rgba) = crate::io::worldfile::read_image(image).map_err(|e| e.to_string())?;
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
            fit: Err(String::new()),
            scan_rect: Rect::NOTHING,
            message: String::new(),
        };
        g.refit();
        Ok(g)
    }

    fn refit(&mut self) {
        self.fit = georef::fit(&self.points, self.method).map_err(|e| crate::error::report(&e));
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

pub fn show(app: &mut GridmapApp, ctx: &egui::Context) {
    let Some(mut g) = app.georef.take() else {
        return;
    };
    let zh = app.lang == super::Lang::Zh;
    let t = |z: &'static str, e: &'static str| if zh { z } else { e };
    let mut open = true;
    let mut close = false;
    let mut apply = false;
    egui::Window::new(t("地理配准", "Georeferencer"))
        .id(egui::Id::unique("georeferencer"))
        .open(&mut open)
        .default_pos([60.0, 80.0])
        .default_width(560.0)
        .show(ctx, |ui| {
            ui.label(g.image.display().to_string());
            // The scan, fitted into 520 x 380 points.
            let (w, h) = (g.size.0 as f32, g.size.1 as f32);
            let k = (520.0 / w).min(380.0 / h);
            let (rect, response) = ui.allocate_exact_size(egui::vec2(w * k, h * k), Sense::click());
            g.scan_rect = rect;
            let painter = ui.painter_at(rect);
            painter.image(
                g.texture.id(),
                rect,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                Color32::WHITE,
            );
            for (i, p) in g.points.iter().enumerate() {
                let at = g.screen_of(p.pixel);
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
            if let Some(p) = g.pending {
                let at = g.screen_of(p);
                painter.circle_stroke(at, 6.0, Stroke::new(2.0, Color32::RED));
            }
            if response.clicked()
                && let Some(pos) = response.interact_pointer_pos()
            {
                g.pending = Some(g.pixel_at(pos));
            }
            ui.separator();
            match g.pending {
                Some(p) => {
                    ui.label(format!(
                        "{} ({:.1}, {:.1})",
                        t(
                            "在地图上点击此点的位置，或输入坐标：",
                            "Click where this point lies on the map, or type its coordinates:"
                        ),
                        p.x,
                        p.y
                    ));
                    ui.horizontal(|ui| {
                        ui.label("X =");
                        ui.add(
                            egui::TextEdit::singleline(&mut g.x_text)
                                .id_salt("georef-x")
                                .desired_width(120.0),
                        );
                        ui.label("Y =");
                        ui.add(
                            egui::TextEdit::singleline(&mut g.y_text)
                                .id_salt("georef-y")
                                .desired_width(120.0),
                        );
                        let typed = parse(&g.x_text).zip(parse(&g.y_text));
                        if ui
                            .add_enabled(
                                typed.is_some(),
                                egui::Button::new(t("添加点", "Add point")),
                            )
                            .clicked()
                            && let Some((x, y)) = typed
                        {
                            g.add(Coord { x, y });
                        }
                    });
                }
                None => {
                    ui.label(t(
                        "在扫描图上点击一个控制点",
                        "Click a control point on the scan",
                    ));
                }
            }
            ui.horizontal(|ui| {
                ui.label(t("变换", "Transform"));
                let before = g.method;
                ui.radio_value(
                    &mut g.method,
                    Method::Affine,
                    t("仿射（3 点以上）", "Affine (3+ points)"),
                );
                ui.radio_value(
                    &mut g.method,
                    Method::Projective,
                    t("投影（4 点以上）", "Projective (4+ points)"),
                );
                if g.method != before {
                    g.refit();
                }
            });
            let mut remove = None;
            let mut toggled = false;
            egui::Grid::new("georef-points")
                .striped(true)
                .show(ui, |ui| {
                    for h in [
                        "#",
                        t("扫描图 像素", "Scan pixel"),
                        "X",
                        "Y",
                        t("残差 m", "Residual m"),
                        "",
                        "",
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    let residuals = g
                        .fit
                        .as_ref()
                        .map(|f| f.residuals.clone())
                        .unwrap_or_default();
                    for (i, p) in g.points.iter_mut().enumerate() {
                        ui.label((i + 1).to_string());
                        ui.label(format!("{:.1}, {:.1}", p.pixel.x, p.pixel.y));
                        ui.label(format!("{:.2}", p.map.x));
                        ui.label(format!("{:.2}", p.map.y));
                        ui.label(residuals.get(i).map_or("–".into(), |r| format!("{r:.2}")));
                        toggled |= ui.checkbox(&mut p.enabled, t("使用", "use")).changed();
                        if ui.small_button(t("删除", "Delete")).clicked() {
                            remove = Some(i);
                        }
                        ui.end_row();
                    }
                });
            if let Some(i) = remove {
                g.points.remove(i);
                toggled = true;
            }
            if toggled {
                g.refit();
            }
            match &g.fit {
                Ok(f) => {
                    ui.label(format!("RMS {} {:.2} m", t("误差", "error"), f.rms));
                }
                Err(e) if !e.is_empty() => {
                    ui.colored_label(Color32::from_rgb(0xc0, 0x20, 0x20), e);
                }
                Err(_) => {}
            }
            if !g.message.is_empty() {
                ui.label(&g.message);
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(
                        g.fit.is_ok(),
                        egui::Button::new(t("保存并显示", "Save and show")),
                    )
                    .clicked()
                {
                    apply = true;
                }
                if ui.button(t("关闭", "Close")).clicked() {
                    close = true;
                }
            });
        });
    if apply && let Ok(f) = &g.fit {
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
            Err(e) => g.message = e.to_string(),
        }
    }
    if open && !close {
        app.georef = Some(g);
    }
}
