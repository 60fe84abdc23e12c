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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_of_southern_hunan_is_cm_111() {
        assert_eq!(gk_zone_epsg_for_lon(112.3), 4546);
        assert_eq!(gk_zone_epsg_for_lon(114.0), 4547);
        assert_eq!(gk_zone_epsg_for_lon(112.6), 4547);
    }
}
