//! Tables: the grids as CSV with WKT geometry (for spreadsheets and databases that take
//! WKT, such as QGIS's delimited-text layer).

use crate::model::{Project, Staff};
use wkt::ToWkt;

/// The grids as UTF-8 CSV (with a byte-order mark so that Excel shows Chinese): id, code,
/// name, level, parent, households, population, area in m², staff roster, notes, and the
/// geometry as WKT in the working CRS (named in the header of the last column).
pub fn grids_csv(project: &Project) -> Result<Vec<u8>, super::ExportError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let wkt_header = format!("wkt_{}", project.crs.authority().replace(':', "_"));
        w.write_record([
            "id",
            "code",
            "name",
            "level",
            "parent",
            "households",
            "population",
            "area_m2",
            "staff",
            "notes",
            wkt_header.as_str(),
        ])?;
        for g in &project.grids {
            let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
            w.write_record([
                g.id.clone(),
                g.code.clone(),
                g.name.clone(),
                g.level.to_string(),
                g.parent.clone().unwrap_or_default(),
                opt(g.households),
                opt(g.population),
                format!("{:.2}", crate::geom::area(&g.geometry)),
                Staff::roster_text(&g.staff),
                g.notes.clone(),
                // Polygons without an exterior have no WKT (and no area).
                geo::MultiPolygon(
                    g.geometry
                        .0
                        .iter()
                        .filter(|p| !p.exterior().0.is_empty())
                        .cloned()
                        .collect(),
                )
                .wkt_string(),
            ])?;
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(out)
}
