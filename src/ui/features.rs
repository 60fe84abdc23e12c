//! Rivers, reservoirs, natural villages and the boundary in the app: the layers the
//! toolbar offers, the selected feature's outline and properties, and its delete and clip
//! commands (the clicks of the tools on these layers are in `tools.rs`). Every change is a
//! transaction of the document's history, like a grid's.

use super::{GridmapApp, Tool};
use crate::edit::on_layer;
use crate::edit::{self, Shape};
use crate::model::{Layer, Project};
use egui::{Color32, Shape as EShape, Stroke};
use geo::Coord;

const PICKED: Color32 = Color32::from_rgb(0xf0, 0x80, 0x00);

/// The layers the toolbar offers for editing, with their i18n keys.
pub const LAYERS: [(Layer, &str); 5] = [
    (Layer::Grids, "grids"),
    (Layer::Rivers, "rivers"),
    (Layer::Reservoirs, "reservoirs"),
    (Layer::Villages, "villages"),
    (Layer::Boundary, "boundary"),
];

/// Outline the selected feature on the map.
pub fn paint_selected(app: &GridmapApp, painter: &egui::Painter) {
    let Some(id) = &app.feature else { return };
    let p = app.doc.project();
    let stroke = Stroke::new(3.0, PICKED);
    let line = |pts: &[Coord<f64>]| {
        EShape::line(pts.iter().map(|&c| app.view.to_screen(c)).collect(), stroke)
    };
    let rings = |mp: &geo::MultiPolygon<f64>| -> Vec<EShape> {
        mp.0.iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .map(|r| line(&r.0))
            .collect()
    };
    let shapes: Vec<EShape> = match app.edit_layer {
        Layer::Rivers => p
            .rivers
            .iter()
            .filter(|r| &r.id == id)
            .flat_map(|r| r.geometry.0.iter().map(|l| line(&l.0)))
            .collect(),
        Layer::Reservoirs => p
            .reservoirs
            .iter()
            .filter(|r| &r.id == id)
            .flat_map(|r| rings(&r.geometry))
            .collect(),
        Layer::Boundary => p
            .boundary
            .iter()
            .filter(|b| &b.id == id)
            .flat_map(|b| rings(&b.geometry))
            .collect(),
        Layer::Villages => p
            .villages
            .iter()
            .filter(|v| &v.id == id)
            .map(|v| EShape::circle_stroke(app.view.to_screen(v.location.0), 7.0, stroke))
            .collect(),
        Layer::Grids => Vec::new(),
    };
    for s in shapes {
        painter.add(s);
    }
}

/// Clip river `id` to the township.
pub fn clip(app: &mut GridmapApp, id: &str) {
    let r = edit::clip_river(app.doc.project(), id);
    app.apply(r);
}

/// Delete the selected feature (undoable; the status bar names it).
pub fn delete(app: &mut GridmapApp, layer: Layer, id: &str) {
    let p = app.doc.project();
    let name = on_layer!(layer, T => name_of::<T>(p, id)).unwrap_or_else(|| id.to_string());
    let r = on_layer!(layer, T => edit::delete_feature::<T>(p, id, "删除 / Delete"));
    match r.map(|t| app.try_commit(t)) {
        Ok(Ok(())) => {
            app.message = crate::error::bilingual(
                &format!("已删除 {name}（Ctrl+Z 撤销）"),
                &format!("deleted {name} (Ctrl+Z undoes)"),
            );
            app.feature = None;
        }
        Ok(Err(e)) => app.message = crate::error::report(&e),
        Err(e) => app.message = crate::error::report(&e),
    }
}

/// The name of feature `id` of layer `T`, if it is there.
pub fn name_of<T: Shape>(p: &Project, id: &str) -> Option<String> {
    T::layer(p)
        .iter()
        .find(|f| f.id() == id)
        .map(|f| f.name().to_string())
}

/// The size of feature `id` of `layer` as the properties panel shows it: a river's length,
/// a reservoir's or boundary part's area.
pub fn size_of(p: &Project, layer: Layer, id: &str) -> Option<String> {
    match layer {
        Layer::Rivers => p.rivers.iter().find(|r| r.id == id).map(|r| {
            use geo::{Euclidean, Length};
            let m: f64 = r.geometry.0.iter().map(|l| Euclidean.length(l)).sum();
            format!("{m:.0} m")
        }),
        Layer::Reservoirs => p
            .reservoirs
            .iter()
            .find(|r| r.id == id)
            .map(|r| format!("{:.0} m²", crate::geom::area(&r.geometry))),
        Layer::Boundary => p
            .boundary
            .iter()
            .find(|b| b.id == id)
            .map(|b| format!("{:.2} km²", crate::geom::area(&b.geometry) / 1e6)),
        _ => None,
    }
}

/// The tool stays usable on a feature layer: a split needs a river.
pub fn tool_hint(app: &GridmapApp) -> &'static str {
    match (&app.tool, app.edit_layer) {
        (Tool::Draw(_), Layer::Villages) => app.t("village_hint"),
        (Tool::Draw(_), Layer::Rivers) => app.t("river_hint"),
        (Tool::Split(_), Layer::Rivers) => app.t("split_river_hint"),
        _ => "",
    }
}
