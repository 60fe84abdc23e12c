//! GCJ-02 (国测局坐标, the offset coordinates of commercial Chinese web maps) to and from
//! WGS 84. PROJ has no GCJ-02: the offset is the published obfuscation formula, and its
//! inverse is found by fixed-point iteration. Approximate by nature: traced coordinates
//! come back within about 1 m of WGS 84 (the iteration itself converges to < 1 mm).
//! Outside mainland China GCJ-02 equals WGS 84.

use geo::Coord;

const A: f64 = 6378245.0;
const EE: f64 = 0.006_693_421_622_965_943;

fn outside_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS 84 longitude/latitude to GCJ-02.
pub fn from_wgs84(c: Coord<f64>) -> Coord<f64> {
    use std::f64::consts::PI;
    let (lon, lat) = (c.x, c.y);
    if !lon.is_finite() || !lat.is_finite() || outside_china(lon, lat) {
        return c;
    }
    let mut dlat = transform_lat(lon - 105.0, lat - 35.0);
    let mut dlon = transform_lon(lon - 105.0, lat - 35.0);
    let radlat = lat / 180.0 * PI;
    let mut magic = radlat.sin();
    magic = 1.0 - EE * magic * magic;
    let sqrt_magic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    dlon = (dlon * 180.0) / (A / sqrt_magic * radlat.cos() * PI);
    Coord {
        x: lon + dlon,
        y: lat + dlat,
    }
}

/// GCJ-02 longitude/latitude to WGS 84, by iterating [`from_wgs84`] to a fixed point.
pub fn to_wgs84(c: Coord<f64>) -> Coord<f64> {
    if !c.x.is_finite() || !c.y.is_finite() || outside_china(c.x, c.y) {
        return c;
    }
    let mut w = c;
    for _ in 0..30 {
        let g = from_wgs84(w);
        let (dx, dy) = (c.x - g.x, c.y - g.y);
        w.x += dx;
        w.y += dy;
        if dx.abs() < 1e-10 && dy.abs() < 1e-10 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Beijing railway station, the published pair: WGS 84 (116.42079, 39.90105) is
    /// GCJ-02 (116.42703, 39.90245), to the 5 decimals (about 1 m) given.
    #[test]
    fn known_pair_and_inverse() {
        let wgs = Coord {
            x: 116.42079,
            y: 39.90105,
        };
        let gcj = from_wgs84(wgs);
        assert!((gcj.x - 116.42703).abs() < 1e-5, "{gcj:?}");
        assert!((gcj.y - 39.90245).abs() < 1e-5, "{gcj:?}");
        let back = to_wgs84(gcj);
        assert!((back.x - wgs.x).abs() < 1e-8 && (back.y - wgs.y).abs() < 1e-8);
        // Outside China nothing changes.
        let paris = Coord { x: 2.35, y: 48.85 };
        assert_eq!(from_wgs84(paris), paris);
    }
}
