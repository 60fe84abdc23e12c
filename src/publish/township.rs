//! The township's map for residents: every grid's outline in longitude/latitude (simplified
//! to a metre in the working CRS, then quantised to a millionth of a degree) and the rivers,
//! as one script file, `data/grids.js`. The index page's map (Leaflet, vendored into the
//! site, no CDN) draws it, and answers 我在哪个网格 (which grid am I in) in the browser: the
//! phone's location, or a tap on the map, found by point-in-polygon. No server answers
//! anything; the base map (天地图) is optional and uses the publisher's browser key.

use super::ToLonLat;
use crate::geom;
use crate::model::Project;
use geo::{Coord, LineString, MultiPolygon, Simplify};
use std::fmt::Write;

/// Outlines are simplified to this many metres before they leave the working CRS: under a
/// screen pixel at street scale, and well under what a phone's location is sure of.
const TOLERANCE: f64 = 1.0;
/// Longitude and latitude are written in millionths of a degree (about 0.1 m).
const SCALE: f64 = 1e6;

/// The vendored map library: Leaflet 1.9.4 (BSD-2-Clause), no WebGL, ES5.
pub(super) const LEAFLET_JS: &[u8] = include_bytes!("../../assets/leaflet/leaflet.js");
pub(super) const LEAFLET_CSS: &[u8] = include_bytes!("../../assets/leaflet/leaflet.css");
pub(super) const LEAFLET_LICENSE: &[u8] = include_bytes!("../../assets/leaflet/LICENSE");
pub(super) const LEAFLET_LAYERS: &[u8] = include_bytes!("../../assets/leaflet/images/layers.png");
pub(super) const LEAFLET_LAYERS_2X: &[u8] =
    include_bytes!("../../assets/leaflet/images/layers-2x.png");
/// The page's own script (ES5): draws the data, finds the grid at a point.
pub(super) const TOWNSHIP_JS: &str = include_str!("../../assets/publish/township.js");

/// A string as a JSON (and ES5) literal: U+2028 and U+2029 end a line in an ES5 string.
pub(super) fn js_str(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A line's points in millionths of a degree, the first whole and the rest as steps from
/// the one before; None when a point did not transform or fewer than `least` are left.
fn quantised(ls: &LineString<f64>, lonlat: ToLonLat, least: usize) -> Option<Vec<i64>> {
    let mut pts: Vec<Coord<f64>> = ls.0.clone();
    lonlat(&mut pts);
    let mut out: Vec<i64> = Vec::with_capacity(pts.len() * 2);
    let (mut px, mut py) = (0i64, 0i64);
    for c in pts {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return None;
        }
        let (x, y) = ((c.x * SCALE).round() as i64, (c.y * SCALE).round() as i64);
        if !out.is_empty() && x == px && y == py {
            continue;
        }
        out.push(x - px);
        out.push(y - py);
        (px, py) = (x, y);
    }
    (out.len() >= least * 2).then_some(out)
}

fn ints(v: &[i64]) -> String {
    let mut s = String::with_capacity(v.len() * 4);
    s.push('[');
    for (k, n) in v.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        let _ = write!(s, "{n}");
    }
    s.push(']');
    s
}

/// A grid's rings, simplified (a ring that collapses is kept whole).
fn rings(mp: &MultiPolygon<f64>, lonlat: ToLonLat) -> Vec<Vec<i64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .filter_map(|r| {
            let s = r.simplify(TOLERANCE);
            quantised(&s, lonlat, 4).or_else(|| quantised(r, lonlat, 4))
        })
        .collect()
}

/// `data/grids.js`: `window.GRIDMAP_DATA = {town, tk, grids: [{n name, l level, d page
/// folder, p parent's index or -1, b box, c label point, r rings}], rivers: [{n, r}]}`,
/// coordinates in millionths of a degree, each ring's first point whole and the rest as
/// steps. Grids are in project order (`dirs` and `parents` in that order too).
pub(super) fn data_js(
    project: &Project,
    dirs: &[String],
    parents: &[Option<usize>],
    tianditu_key: Option<&str>,
    lonlat: ToLonLat,
) -> String {
    let mut s = format!(
        "window.GRIDMAP_DATA={{\"town\":{},\"tk\":{},\"grids\":[\n",
        js_str(&project.town_name()),
        tianditu_key.map_or_else(|| "null".into(), js_str)
    );
    let mut first = true;
    for (i, g) in project.grids.iter().enumerate() {
        let rs = rings(&g.geometry, lonlat);
        let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
        for r in &rs {
            let (mut x, mut y) = (0, 0);
            for d in r.chunks(2) {
                x += d[0];
                y += d[1];
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
        let label = geom::label_point(&g.geometry)
            .and_then(|c| quantised(&LineString(vec![c]), lonlat, 1))
            .unwrap_or_default();
        if !first {
            s.push_str(",\n");
        }
        first = false;
        let _ = write!(
            s,
            "{{\"n\":{},\"l\":{},\"d\":{},\"p\":{},\"b\":{},\"c\":{},\"r\":[{}]}}",
            js_str(g.label()),
            g.level,
            js_str(&dirs[i]),
            parents[i].map_or(-1, |p| p as i64),
            if rs.is_empty() {
                "null".to_string()
            } else {
                ints(&[x0, y0, x1, y1])
            },
            ints(&label),
            rs.iter().map(|r| ints(r)).collect::<Vec<_>>().join(",")
        );
    }
    s.push_str("],\"rivers\":[\n");
    let mut first = true;
    for r in &project.rivers {
        let lines: Vec<String> = r
            .lines()
            .filter_map(|l| quantised(&l.simplify(TOLERANCE), lonlat, 2))
            .map(|v| ints(&v))
            .collect();
        if lines.is_empty() {
            continue;
        }
        if !first {
            s.push_str(",\n");
        }
        first = false;
        let _ = write!(
            s,
            "{{\"n\":{},\"r\":[{}]}}",
            js_str(r.name.trim()),
            lines.join(",")
        );
    }
    s.push_str("]};\n");
    s
}

/// A name's pinyin initials, lower case (三家村1组 → sjc1z): Chinese characters by their
/// common reading, letters and digits as they are, anything else left out.
pub(super) fn initials(name: &str) -> String {
    use pinyin::ToPinyin;
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_place_and_person_names() {
        assert_eq!(initials("三家村1组"), "sjc1z");
        assert_eq!(initials("张 晓明"), "zxm");
        assert_eq!(initials("<b>"), "b");
    }

    #[test]
    fn a_line_separator_in_a_name_does_not_end_an_es5_string() {
        assert_eq!(
            js_str("a\u{2028}b\"</script>"),
            "\"a\\u2028b\\\"</script>\""
        );
    }

    #[test]
    fn rings_are_quantised_steps_and_untransformable_points_drop_the_ring() {
        let id = |_: &mut [Coord<f64>]| {};
        let ls = LineString::from(vec![(1.0, 2.0), (1.5, 2.0), (1.5, 2.5), (1.0, 2.0)]);
        assert_eq!(
            quantised(&ls, &id, 4).unwrap(),
            vec![
                1_000_000, 2_000_000, 500_000, 0, 0, 500_000, -500_000, -500_000
            ]
        );
        let nan = |c: &mut [Coord<f64>]| c[1].x = f64::NAN;
        assert!(quantised(&ls, &nan, 2).is_none());
    }
}
