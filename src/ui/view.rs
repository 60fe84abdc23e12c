//! The map view: one transform between world metres (working CRS, y up) and screen points
//! (y down), and its inverse.

use egui::{Pos2, Rect, Vec2};
use geo::Coord;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// World point at the centre of the canvas.
    pub center: Coord<f64>,
    /// Screen points per metre.
    pub scale: f64,
    /// The canvas rectangle on screen.
    pub rect: Rect,
}

impl Default for View {
    fn default() -> Self {
        View {
            center: Coord { x: 0.0, y: 0.0 },
            scale: 0.05,
            rect: Rect::from_min_size(Pos2::ZERO, Vec2::new(800.0, 600.0)),
        }
    }
}

impl View {
    pub fn to_screen(&self, c: Coord<f64>) -> Pos2 {
        let m = self.rect.center();
        Pos2::new(
            m.x + ((c.x - self.center.x) * self.scale) as f32,
            m.y - ((c.y - self.center.y) * self.scale) as f32,
        )
    }

    pub fn to_world(&self, p: Pos2) -> Coord<f64> {
        let m = self.rect.center();
        Coord {
            x: self.center.x + (p.x - m.x) as f64 / self.scale,
            y: self.center.y - (p.y - m.y) as f64 / self.scale,
        }
    }

    /// Take the canvas rectangle of this frame, keeping every world point where it was on
    /// screen: a side panel that opens or closes does not move the map under the cursor.
    pub fn set_rect(&mut self, rect: Rect) {
        let (old, new) = (self.rect.center(), rect.center());
        self.center.x += (new.x - old.x) as f64 / self.scale;
        self.center.y -= (new.y - old.y) as f64 / self.scale;
        self.rect = rect;
    }

    /// Show the world rectangle with a margin.
    pub fn fit(&mut self, r: geo::Rect<f64>) {
        let (w, h) = (r.width().max(1.0), r.height().max(1.0));
        self.center = r.center();
        let sx = self.rect.width() as f64 / w;
        let sy = self.rect.height() as f64 / h;
        self.scale = 0.9 * sx.min(sy);
    }

    /// Zoom by `factor` keeping the world point under `anchor` fixed.
    pub fn zoom_at(&mut self, anchor: Pos2, factor: f64) {
        let before = self.to_world(anchor);
        self.scale = (self.scale * factor).clamp(1e-5, 1e3);
        let after = self.to_world(anchor);
        self.center.x += before.x - after.x;
        self.center.y += before.y - after.y;
    }

    pub fn pan(&mut self, delta: Vec2) {
        self.center.x -= delta.x as f64 / self.scale;
        self.center.y += delta.y as f64 / self.scale;
    }

    /// Map scale denominator at 96 dpi: 1 screen point = 0.2646 mm.
    pub fn scale_denominator(&self) -> f64 {
        1.0 / (self.scale * 0.000_264_6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_and_world_round_trip() {
        let mut v = View {
            center: Coord {
                x: 600_000.0,
                y: 2_800_000.0,
            },
            scale: 0.1,
            ..View::default()
        };
        let c = Coord {
            x: 600_123.0,
            y: 2_799_950.0,
        };
        let back = v.to_world(v.to_screen(c));
        assert!((back.x - c.x).abs() < 0.1 && (back.y - c.y).abs() < 0.1);
        v.zoom_at(Pos2::new(100.0, 100.0), 2.0);
        let w = v.to_world(Pos2::new(100.0, 100.0));
        v.zoom_at(Pos2::new(100.0, 100.0), 0.5);
        assert!((v.to_world(Pos2::new(100.0, 100.0)).x - w.x).abs() < 1e-6);
    }
}
