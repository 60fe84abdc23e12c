//! The working coordinate reference system: always a projected CRS in metres.

/// A CRS named by its EPSG code. Geometry in a [`Project`](super::Project) is held in a
/// projected CRS (metres); geographic codes only describe input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Crs {
    pub epsg: u32,
}

impl Default for Crs {
    /// CGCS2000 / 3-degree Gauss-Kruger CM 111E, the zone of southern Hunan.
    fn default() -> Self {
        Crs { epsg: 4546 }
    }
}

impl Crs {
    pub fn epsg(epsg: u32) -> Self {
        Crs { epsg }
    }

    /// True for the geographic (longitude/latitude) CRSs that input commonly uses:
    /// WGS 84, CGCS2000, Xian 1980, Beijing 1954.
    pub fn is_geographic(&self) -> bool {
        matches!(self.epsg, 4326 | 4490 | 4610 | 4214)
    }

    /// The grid every coordinate in this CRS lies on ([`Precision`](super::Precision)):
    /// one millimetre, as every working CRS is in metres.
    pub fn precision(&self) -> super::Precision {
        super::Precision::MILLIMETRE
    }

    pub fn authority(&self) -> String {
        format!("EPSG:{}", self.epsg)
    }

    /// The OGC URN that GDAL and QGIS write into a GeoJSON `crs` member.
    pub fn urn(&self) -> String {
        format!("urn:ogc:def:crs:EPSG::{}", self.epsg)
    }

    /// Human-readable name for the CGCS2000 Gauss-Kruger zones, the status bar and reports.
    pub fn describe(&self) -> String {
        match self.epsg {
            4513..=4533 => format!(
                "CGCS2000 / 3-degree GK zone {} (EPSG:{})",
                self.epsg - 4513 + 25,
                self.epsg
            ),
            4534..=4554 => format!(
                "CGCS2000 / 3-degree GK CM {}E (EPSG:{})",
                75 + 3 * (self.epsg - 4534),
                self.epsg
            ),
            4490 => "CGCS2000 geographic (EPSG:4490)".to_string(),
            4326 => "WGS 84 geographic (EPSG:4326)".to_string(),
            3857 => "WGS 84 / Pseudo-Mercator (EPSG:3857)".to_string(),
            e => format!("EPSG:{e}"),
        }
    }
}

/// The CGCS2000 3-degree Gauss-Kruger zone without zone prefix (EPSG:4534-4554, central
/// meridians 75E..135E) whose central meridian is nearest to `lon`.
pub fn gk_zone_epsg_for_lon(lon: f64) -> u32 {
    let cm = (lon / 3.0).round() * 3.0;
    let cm = cm.clamp(75.0, 135.0);
    4534 + ((cm - 75.0) / 3.0) as u32
}

/// Why a working CRS was chosen for longitude/latitude data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkingChoice {
    /// Within China's 3-degree zones and no wider than one: its CGCS2000 GK zone.
    GkZone,
    /// Outside China (75E-135E): the UTM zone of the centre.
    Utm,
    /// Wider than one zone: an equal-area CRS, so that areas stay true.
    EqualArea,
}

/// The working CRS for data spanning longitudes `min_lon..max_lon` around latitude `lat`:
/// the CGCS2000 3-degree GK zone of the centre inside China's zones (73.5E-136.5E), the
/// WGS 84 UTM zone of the centre elsewhere, and WGS 84 / Equal Earth (EPSG:8857, areas
/// kept) for data wider than one zone (3 degrees in China, 6 elsewhere, with a margin).
pub fn working_crs_for(min_lon: f64, max_lon: f64, lat: f64) -> (Crs, WorkingChoice) {
    let centre = (min_lon + max_lon) / 2.0;
    let width = max_lon - min_lon;
    let in_china = (73.5..=136.5).contains(&centre) && (0.0..=60.0).contains(&lat);
    if in_china && width <= 3.5 {
        return (
            Crs::epsg(gk_zone_epsg_for_lon(centre)),
            WorkingChoice::GkZone,
        );
    }
    if !in_china && width <= 6.5 {
        let zone = (((centre + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
        let base = if lat >= 0.0 { 32600 } else { 32700 };
        return (Crs::epsg(base + zone), WorkingChoice::Utm);
    }
    (Crs::epsg(8857), WorkingChoice::EqualArea)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_working_crs_follows_the_data() {
        assert_eq!(
            working_crs_for(111.2, 111.6, 27.0),
            (Crs::epsg(4546), WorkingChoice::GkZone)
        );
        // Hanoi lies within the longitudes of China's zones: the GK zone at 105E.
        assert_eq!(working_crs_for(105.7, 106.0, 21.0).0, Crs::epsg(4544));
        assert_eq!(
            working_crs_for(2.2, 2.5, 48.8),
            (Crs::epsg(32631), WorkingChoice::Utm)
        );
        assert_eq!(
            working_crs_for(-58.6, -58.3, -34.6),
            (Crs::epsg(32721), WorkingChoice::Utm)
        );
        assert_eq!(
            working_crs_for(110.0, 118.0, 30.0),
            (Crs::epsg(8857), WorkingChoice::EqualArea)
        );
    }

    #[test]
    fn zone_of_southern_hunan_is_cm_111() {
        assert_eq!(gk_zone_epsg_for_lon(112.3), 4546);
        assert_eq!(gk_zone_epsg_for_lon(114.0), 4547);
        assert_eq!(gk_zone_epsg_for_lon(112.6), 4547);
    }
}
