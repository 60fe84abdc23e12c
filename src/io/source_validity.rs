//! Validity where the data was drawn. A file in longitude/latitude (or in another projected
//! CRS) is checked in its own coordinates before it is projected into the working CRS:
//! projecting bends straight lines a little, so a zero-width spike (the boundary going out
//! along a line and straight back) becomes a needle-thin triangle, and a ring touching
//! itself may come apart by a fraction of a millimetre. GEOS, QGIS and PostGIS call such a
//! file invalid; so does gridmap, in the coordinates it was drawn in.
//!
//! Spikes are taken out there (as GEOS's MakeValid does) with a warning naming where they
//! were; any other defect that the projection hides is an error note on the feature.

use super::features::{Layer, Pending};
use super::gcj02;
use super::reproject::Reprojector;
use crate::geom::validity::{first_defect, remove_spikes};
use crate::model::{InputNote, Project};
use geo::{Coord, MultiPolygon};
use rustc_hash::FxHashMap;
use std::path::Path;

/// What one feature showed in its source coordinates: its index, the spike tips taken out
/// and the first other defect.
type Seen = (usize, Vec<Coord<f64>>, Option<Coord<f64>>);

/// A feature invalid in its source coordinates, kept until the projected one is known.
pub(crate) struct SourceDefect {
    layer: Layer,
    id: String,
    /// Where, in the file's coordinates and in the working CRS.
    source: Coord<f64>,
    at: Coord<f64>,
    geographic: bool,
    path: std::path::PathBuf,
}

/// How a file's coordinate reads in a note: degrees to 7 places, metres to 3.
fn shown(c: Coord<f64>, geographic: bool) -> String {
    if geographic {
        format!("{:.7}, {:.7}", c.x, c.y)
    } else {
        format!("{:.3}, {:.3}", c.x, c.y)
    }
}

/// Check the polygons of one file in its own coordinates, before `rp` (from GCJ-02 first
/// when `gcj02`) takes them to the working CRS: spikes come out with a warning in `notes`;
/// the other defects are returned, to be kept by [`hidden_defects`] if the projection hid
/// them.
pub(crate) fn check_source(
    path: &Path,
    pending: &mut [Pending],
    rp: &Reprojector,
    gcj02: bool,
    geographic: bool,
    notes: &mut Vec<InputNote>,
) -> Vec<SourceDefect> {
    use rayon::prelude::*;
    let to_working = |c: Coord<f64>| rp.point(if gcj02 { gcj02::to_wgs84(c) } else { c });
    let found: Vec<Seen> = pending
        .par_iter_mut()
        .enumerate()
        .filter_map(|(k, p)| {
            let tips = match p.geometry.as_mut()? {
                geo::Geometry::Polygon(poly) => spikes_out(std::slice::from_mut(poly)),
                geo::Geometry::MultiPolygon(mp) => spikes_out(&mut mp.0),
                _ => return None,
            };
            let defect = match p.geometry.as_ref()? {
                geo::Geometry::Polygon(poly) => first_defect(&MultiPolygon(vec![poly.clone()])),
                geo::Geometry::MultiPolygon(mp) => first_defect(mp),
                _ => None,
            };
            (!tips.is_empty() || defect.is_some()).then_some((k, tips, defect))
        })
        .collect();
    let file = path.display();
    let mut defects = Vec::new();
    for (k, tips, defect) in found {
        let p = &pending[k];
        let id_shown = crate::error::quoted(&p.id);
        if let Some(&first) = tips.first() {
            let n = tips.len();
            let at = shown(first, geographic);
            notes.push(InputNote {
                feature_id: p.id.clone(),
                layer: p.layer.name(),
                zh: format!(
                    "{file}：要素 {id_shown} 的边界在源坐标 ({at}) 处有尖刺（边界沿原路折返，宽度为零）{}；源数据无效，尖刺顶点已删除（投影后它会成为极细的三角形）。",
                    if n > 1 { format!("，共 {n} 处") } else { String::new() }
                ),
                en: format!(
                    "{file}: feature {id_shown} has a spike (the boundary goes out and straight back, zero width) at ({at}) in its source coordinates{}; the source is invalid and the spike vertices were removed (projected they would become a needle-thin triangle).",
                    if n > 1 { format!(", {n} in all") } else { String::new() }
                ),
                fatal: false,
                at: Some(to_working(first)),
            });
        }
        if let Some(source) = defect {
            defects.push(SourceDefect {
                layer: p.layer,
                id: p.id.clone(),
                source,
                at: to_working(source),
                geographic,
                path: path.to_path_buf(),
            });
        }
    }
    defects
}

/// Spikes taken out of every ring of `polys`; the tips removed.
fn spikes_out(polys: &mut [geo::Polygon<f64>]) -> Vec<Coord<f64>> {
    let mut tips = Vec::new();
    for poly in polys {
        poly.exterior_mut(|r| tips.extend(remove_spikes(r)));
        poly.interiors_mut(|rs| {
            for r in rs {
                tips.extend(remove_spikes(r));
            }
        });
    }
    tips
}

/// An error note for each defect of the source that the working CRS no longer shows (where
/// it still shows, the audit reports it in the working CRS and a note would say it twice).
pub(crate) fn hidden_defects(project: &mut Project, defects: Vec<SourceDefect>) {
    if defects.is_empty() {
        return;
    }
    // The polygons as the project now holds them (the first feature with each id).
    let mut held: FxHashMap<(Layer, &str), &MultiPolygon<f64>> = FxHashMap::default();
    let layers = [
        (
            Layer::Grid,
            project
                .grids
                .iter()
                .map(|g| (g.id.as_str(), &g.geometry))
                .collect::<Vec<_>>(),
        ),
        (
            Layer::Boundary,
            project
                .boundary
                .iter()
                .map(|b| (b.id.as_str(), &b.geometry))
                .collect(),
        ),
        (
            Layer::Reservoir,
            project
                .reservoirs
                .iter()
                .map(|r| (r.id.as_str(), &r.geometry))
                .collect(),
        ),
    ];
    for (layer, features) in &layers {
        for &(id, mp) in features.iter().rev() {
            held.insert((*layer, id), mp);
        }
    }
    let mut notes = Vec::new();
    for d in defects {
        let Some(mp) = held.get(&(d.layer, d.id.as_str())) else {
            continue;
        };
        if first_defect(mp).is_some() {
            continue;
        }
        let file = d.path.display();
        let id_shown = crate::error::quoted(&d.id);
        let src = shown(d.source, d.geographic);
        notes.push(InputNote {
            feature_id: d.id.clone(),
            layer: d.layer.name(),
            zh: format!(
                "{file}：要素 {id_shown} 在源坐标 ({src}) 处自相交或边界相互接触，源数据无效（GEOS、QGIS 也这样报告）；投影到工作坐标系后两侧略微分开，看不出来。请在源数据中修正，或用「节点编辑」检查该处顶点。"
            ),
            en: format!(
                "{file}: feature {id_shown} self-intersects or its rings touch at ({src}) in its source coordinates, so the source is invalid (as GEOS and QGIS report); projected into the working CRS the two sides come slightly apart and hide it. Fix it in the source, or check the vertices there with Edit vertices."
            ),
            fatal: true,
            at: Some(d.at),
        });
    }
    drop(layers);
    project.input_notes.extend(notes);
}
