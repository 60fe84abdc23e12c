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
/// The index's search (ES5), also over a large site's chunked names.
pub(super) const SEARCH_JS: &str = include_str!("../../assets/publish/search.js");

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

/// Sites of at most this many grids carry every grid in `data/grids.js` and list every grid
/// on the index page; larger ones (a county, a city) carry the upper levels there (as many
/// levels as fit under this count) and the rest in tiles loaded where the map looks.
pub(super) const WHOLE_AT_MOST: usize = 3000;
/// Grids in one tile file, at most.
const TILE_AT_MOST: usize = 1000;

/// Which grids the overview (`data/grids.js`, the index page's list) holds: every grid of a
/// small site; of a large one, the levels from the top down while they fit in
/// [`WHOLE_AT_MOST`].
pub(super) fn in_overview(project: &Project) -> Vec<bool> {
    let n = project.grids.len();
    if n <= WHOLE_AT_MOST {
        return vec![true; n];
    }
    let mut per_level = std::collections::BTreeMap::<u8, usize>::new();
    for g in &project.grids {
        *per_level.entry(g.level).or_default() += 1;
    }
    let mut upto = None;
    let mut count = 0;
    for (level, k) in per_level {
        count += k;
        if count > WHOLE_AT_MOST {
            break;
        }
        upto = Some(level);
    }
    project
        .grids
        .iter()
        .map(|g| upto.is_some_and(|u| g.level <= u))
        .collect()
}

/// A grid's outline and label point, simplified in the working CRS (a ring that collapses
/// is kept whole).
struct Shape {
    rings: Vec<LineString<f64>>,
    label: Option<Coord<f64>>,
}

fn shape(mp: &MultiPolygon<f64>) -> Shape {
    let rings =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| {
                let s = r.simplify(TOLERANCE);
                if s.0.len() >= 4 { s } else { r.clone() }
            })
            .collect();
    Shape {
        rings,
        label: geom::label_point(mp),
    }
}

/// A grid as the map's script reads it: `{n name, l level, d page folder, u [[name,
/// folder], ...] the grids above it, b box, c label point, r rings}`, and its box.
fn grid_json(
    project: &Project,
    dirs: &[String],
    parents: &[Option<usize>],
    i: usize,
    shape: &Shape,
    lonlat: ToLonLat,
) -> (String, Option<[i64; 4]>) {
    let g = &project.grids[i];
    let rs: Vec<Vec<i64>> = shape
        .rings
        .iter()
        .filter_map(|r| quantised(r, lonlat, 4))
        .collect();
    let mut bx: Option<[i64; 4]> = None;
    for r in &rs {
        let (mut x, mut y) = (0, 0);
        for d in r.chunks(2) {
            x += d[0];
            y += d[1];
            let b = bx.get_or_insert([x, y, x, y]);
            *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    }
    let label = shape
        .label
        .and_then(|c| quantised(&LineString(vec![c]), lonlat, 1))
        .unwrap_or_default();
    let mut up = Vec::new();
    let mut at = parents[i];
    while let Some(p) = at.filter(|_| up.len() < 16) {
        up.push(format!(
            "[{},{}]",
            js_str(project.grids[p].label()),
            js_str(&dirs[p])
        ));
        at = parents[p];
    }
    let json = format!(
        "{{\"n\":{},\"l\":{},\"d\":{},\"u\":[{}],\"b\":{},\"c\":{},\"r\":[{}]}}",
        js_str(g.label()),
        g.level,
        js_str(&dirs[i]),
        up.join(","),
        bx.map_or_else(|| "null".to_string(), |b| ints(&b)),
        ints(&label),
        rs.iter().map(|r| ints(r)).collect::<Vec<_>>().join(",")
    );
    (json, bx)
}

fn union(a: Option<[i64; 4]>, b: [i64; 4]) -> [i64; 4] {
    match a {
        None => b,
        Some(a) => [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
    }
}

/// The box covering grids (index, box).
fn cover(items: &[(usize, [i64; 4])]) -> [i64; 4] {
    items
        .iter()
        .fold(None, |a, (_, b)| Some(union(a, *b)))
        .unwrap_or_default()
}

/// Split grids (index, box) into tiles of at most [`TILE_AT_MOST`], halving at the median
/// of the boxes' centres along the longer side: neighbours share a tile, and every tile is
/// about as full.
fn tiles(mut items: Vec<(usize, [i64; 4])>, out: &mut Vec<Vec<(usize, [i64; 4])>>) {
    if items.len() <= TILE_AT_MOST {
        if !items.is_empty() {
            out.push(items);
        }
        return;
    }
    let b = cover(&items);
    let k = usize::from(b[3] - b[1] > b[2] - b[0]);
    let mid = items.len() / 2;
    items.select_nth_unstable_by_key(mid, |(_, b)| b[k] + b[k + 2]);
    let right = items.split_off(mid);
    tiles(items, out);
    tiles(right, out);
}

/// The map's files: `data/grids.js` (`window.GRIDMAP_DATA = {town, tk, deepest, b, grids:
/// [overview grids], tiles: [{f file, b box}], rivers: [{n, r}]}`) and, for a large site,
/// `data/t/<k>.js` (`GRIDMAP_TILE(k, [grids])`). Coordinates in millionths of a degree,
/// each ring's first point whole and the rest as steps.
pub(super) fn map_files(
    project: &Project,
    dirs: &[String],
    parents: &[Option<usize>],
    tianditu_key: Option<&str>,
    lonlat: ToLonLat,
) -> MapFiles {
    use rayon::prelude::*;
    let shapes: Vec<Shape> = project
        .grids
        .par_iter()
        .map(|g| shape(&g.geometry))
        .collect();
    let over = in_overview(project);
    let mut overview = Vec::new();
    let mut rest = Vec::new();
    let mut jsons = vec![String::new(); project.grids.len()];
    let mut boxes = vec![None; project.grids.len()];
    let mut all: Option<[i64; 4]> = None;
    for (i, sh) in shapes.iter().enumerate() {
        let (json, bx) = grid_json(project, dirs, parents, i, sh, lonlat);
        boxes[i] = bx;
        if let Some(b) = bx {
            all = Some(union(all, b));
        }
        match (over[i], bx) {
            (true, _) => overview.push(i),
            (false, Some(b)) => rest.push((i, b)),
            (false, None) => {}
        }
        jsons[i] = json;
    }
    let mut parts = Vec::new();
    tiles(rest, &mut parts);
    let mut files = Vec::new();
    let mut tile_list = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let b = cover(part);
        tile_list.push(format!("{{\"f\":\"t/{k}.js\",\"b\":{}}}", ints(&b)));
        let body: Vec<&str> = part.iter().map(|(i, _)| jsons[*i].as_str()).collect();
        files.push((
            format!("data/t/{k}.js"),
            format!("GRIDMAP_TILE({k},[\n{}]);\n", body.join(",\n")).into_bytes(),
        ));
    }
    let mut s = format!(
        "window.GRIDMAP_DATA={{\"town\":{},\"tk\":{},\"deepest\":{},\"b\":{},\"tiles\":[{}],\"grids\":[\n",
        js_str(&project.town_name()),
        tianditu_key.map_or_else(|| "null".into(), js_str),
        project.grids.iter().map(|g| g.level).max().unwrap_or(1),
        all.map_or_else(|| "null".to_string(), |b| ints(&b)),
        tile_list.join(",")
    );
    let body: Vec<&str> = overview.iter().map(|&i| jsons[i].as_str()).collect();
    s.push_str(&body.join(",\n"));
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
    files.push(("data/grids.js".to_string(), s.into_bytes()));
    MapFiles { files, boxes }
}

/// The map's files, and each grid's box on it (millionths of a degree) for the link from
/// its page to the township map.
pub(super) struct MapFiles {
    pub files: Vec<(String, Vec<u8>)>,
    pub boxes: Vec<Option<[i64; 4]>>,
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
