//! Parts of a grid's record that are derived from the map rather than typed in: the four
//! bounds (四至) printed on display boards and written in the ledger.

pub mod codes;
mod pages;

pub use pages::{page_dir_of, page_dirs};

use crate::geom::{boundary_segments, canonical_polygon};
use crate::model::Project;
use geo::{Coord, MultiPolygon};

/// The record key that holds four bounds written by hand (and the GeoJSON property).
pub const FOUR_BOUNDS: &str = "four_bounds";

/// What lies east, south, west and north of a grid, as printed: "上村二组、钟水河".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FourBounds {
    pub east: String,
    pub south: String,
    pub west: String,
    pub north: String,
    /// Written by hand: kept when the map changes, rather than derived again.
    pub edited: bool,
    /// Written by hand before an edit changed the grid's shape (a merge): to be checked
    /// against the map again (待复核).
    pub review: bool,
}

impl FourBounds {
    /// The four lines in the order a board prints them, with their Chinese headings.
    pub fn lines(&self) -> [(&'static str, &str); 4] {
        [
            ("东至", &self.east),
            ("南至", &self.south),
            ("西至", &self.west),
            ("北至", &self.north),
        ]
    }

    /// "东至：…；南至：…；西至：…；北至：…".
    pub fn text(&self) -> String {
        self.lines()
            .iter()
            .map(|(k, v)| format!("{k}：{v}"))
            .collect::<Vec<_>>()
            .join("；")
    }

    /// Read a `four_bounds` object. Objects marked `"edited": false` were derived by
    /// gridmap and are not records (None); unmarked ones came from elsewhere and count as
    /// written by hand.
    pub fn from_value(v: &serde_json::Value) -> Option<Self> {
        let o = v.as_object()?;
        if o.get("edited").and_then(|e| e.as_bool()) == Some(false) {
            return None;
        }
        let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let fb = FourBounds {
            east: get("east"),
            south: get("south"),
            west: get("west"),
            north: get("north"),
            edited: true,
            review: o.get("review").and_then(|r| r.as_bool()).unwrap_or(false),
        };
        (fb.lines().iter().any(|(_, v)| !v.is_empty())).then_some(fb)
    }

    pub fn to_value(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "east": self.east,
            "south": self.south,
            "west": self.west,
            "north": self.north,
            "edited": self.edited,
        });
        if self.review {
            v["review"] = true.into();
        }
        v
    }
}

/// Keep four bounds in a grid's record only when written by hand: derived ones (written out
/// by gridmap with `"edited": false`) are derived again from the map. A JSON text (from a
/// text column) is read as the object it holds.
pub fn drop_derived(extra: &mut crate::model::Extra) {
    let Some(v) = extra.remove(FOUR_BOUNDS) else {
        return;
    };
    let v = match v {
        serde_json::Value::String(t) => serde_json::from_str(&t).unwrap_or_default(),
        other => other,
    };
    if let Some(fb) = FourBounds::from_value(&v) {
        extra.insert(FOUR_BOUNDS.into(), fb.to_value());
    }
}

/// Name used where a grid's boundary is the edge of the whole map.
const OUTER: &str = "镇界";
/// A neighbour or river is named beside the main one when it holds this share of the side.
const SECOND_SHARE: f64 = 0.3;
/// How far beyond a grid's outer edge the township across it is looked for (metres).
const OUTSIDE_STEP: f64 = 5.0;

/// A neighbouring township as a side of the four bounds: its name without a trailing
/// 行政界线/界线/界 ("龙潭镇行政界线" is 龙潭镇).
fn township_name(name: &str) -> String {
    let n = name.trim();
    ["行政界线", "行政区划", "界线", "边界", "界"]
        .iter()
        .find_map(|s| n.strip_suffix(s))
        .filter(|n| !n.is_empty())
        .unwrap_or(n)
        .to_string()
}

/// Distance within which boundaries count as shared (metres).
const TOL: f64 = 0.5;
/// Distance within which a river counts as running along a boundary (metres).
const RIVER_TOL: f64 = 5.0;

/// The four bounds of grid `index` (see [`four_bounds_all`]).
pub fn four_bounds(project: &Project, index: usize) -> FourBounds {
    let g = &project.grids[index];
    if let Some(fb) = g.extra.get(FOUR_BOUNDS).and_then(FourBounds::from_value) {
        return fb;
    }
    derive(project, g.level, Some(index))
        .pop()
        .map(|e| e.1)
        .unwrap_or_default()
}

/// The four bounds of every grid: from its record when written by hand, otherwise derived
/// from the neighbouring grids of the same level, the rivers along its boundary and the
/// map edge. Each stretch of boundary counts for the side it faces (its outward normal:
/// east is -45° to 45°), weighted by its length.
pub fn four_bounds_all(project: &Project) -> Vec<FourBounds> {
    let mut out = vec![FourBounds::default(); project.grids.len()];
    let mut levels: Vec<u8> = project.grids.iter().map(|g| g.level).collect();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        for (i, fb) in derive(project, level, None) {
            out[i] = fb;
        }
    }
    for (i, g) in project.grids.iter().enumerate() {
        if let Some(fb) = g.extra.get(FOUR_BOUNDS).and_then(FourBounds::from_value) {
            out[i] = fb;
        }
    }
    out
}

/// Derived four bounds of the grids of one level (or only of `only`), by grid index.
fn derive(project: &Project, level: u8, only: Option<usize>) -> Vec<(usize, FourBounds)> {
    use rstar::primitives::{GeomWithData, Line};
    let peers: Vec<usize> = (0..project.grids.len())
        .filter(|&i| project.grids[i].level == level)
        .collect();
    // Rings oriented (exteriors counter-clockwise, holes clockwise) so that every segment's
    // outward normal is on its right: the side a stretch of boundary faces.
    let canon: Vec<MultiPolygon<f64>> = peers
        .iter()
        .map(|&i| {
            MultiPolygon(
                project.grids[i]
                    .geometry
                    .0
                    .iter()
                    .map(canonical_polygon)
                    .collect(),
            )
        })
        .collect();
    let polys: Vec<&MultiPolygon<f64>> = canon.iter().collect();
    let rivers = rstar::RTree::bulk_load(
        project
            .rivers
            .iter()
            .enumerate()
            .flat_map(|(r, river)| {
                river.lines().flat_map(move |l| {
                    l.0.windows(2).map(move |w| {
                        GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), r)
                    })
                })
            })
            .collect(),
    );
    // What lies beyond the map's edge: the other townships of the boundary layer or of the
    // project (level-1 grids), the one a grid lies in left out.
    let beyond: Vec<(&MultiPolygon<f64>, &str)> = project
        .boundary
        .iter()
        .map(|b| (&b.geometry, b.name.as_str()))
        .chain(
            project
                .grids
                .iter()
                .filter(|g| g.level == 1)
                .map(|g| (&g.geometry, g.label())),
        )
        .filter(|(_, name)| !name.trim().is_empty())
        .collect();
    let beyond_tree = rstar::RTree::bulk_load(
        beyond
            .iter()
            .enumerate()
            .filter_map(|(k, (mp, _))| {
                let e = crate::geom::envelope(mp)?;
                Some(GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners(
                        [e.min().x, e.min().y],
                        [e.max().x, e.max().y],
                    ),
                    k,
                ))
            })
            .collect(),
    );
    // Each polygon beyond made ready for the many points stepped out of the edges.
    let located: Vec<std::cell::OnceCell<crate::geom::AreaLocator>> =
        beyond.iter().map(|_| std::cell::OnceCell::new()).collect();
    let mut inside_point: Vec<Option<Option<Coord<f64>>>> = vec![None; peers.len()];
    // Weight per grid, per side (0 east, 1 north, 2 west, 3 south), per thing on that side.
    let mut sides: Vec<[Vec<(String, f64)>; 4]> = vec![Default::default(); peers.len()];
    let wanted = only.and_then(|o| peers.iter().position(|&i| i == o));
    for s in boundary_segments(&polys, TOL) {
        if wanted.is_some_and(|w| w != s.owner) {
            continue;
        }
        let m = Coord {
            x: (s.a.x + s.b.x) / 2.0,
            y: (s.a.y + s.b.y) / 2.0,
        };
        // The outward normal (dy, -dx) of a counter-clockwise exterior.
        let angle = (s.a.x - s.b.x).atan2(s.b.y - s.a.y).to_degrees();
        let side = (((angle + 45.0).rem_euclid(360.0)) / 90.0) as usize % 4;
        let len = s.length();
        let list = &mut sides[s.owner][side];
        let mut add = |what: &str| match list.iter_mut().find(|e| e.0 == what) {
            Some(e) => e.1 += len,
            None => list.push((what.to_string(), len)),
        };
        match s.across {
            Some(j) => add(project.grids[peers[j]].label()),
            None => {
                // A step outward across the edge: the township there, if any is known.
                use geo::InteriorPoint;
                let inner = *inside_point[s.owner]
                    .get_or_insert_with(|| canon[s.owner].interior_point().map(|p| p.0));
                let q = Coord {
                    x: m.x + (s.b.y - s.a.y) / len * OUTSIDE_STEP,
                    y: m.y - (s.b.x - s.a.x) / len * OUTSIDE_STEP,
                };
                let inside = |k: usize, p: Coord<f64>| {
                    located[k]
                        .get_or_init(|| crate::geom::AreaLocator::new(beyond[k].0))
                        .contains(p)
                };
                let name = beyond_tree
                    .locate_all_at_point(&[q.x, q.y])
                    .map(|e| e.data)
                    .filter(|&k| inside(k, q))
                    .find(|&k| !inner.is_some_and(|p| inside(k, p)))
                    .map(|k| township_name(beyond[k].1));
                add(name.as_deref().unwrap_or(OUTER));
            }
        }
        if let Some(r) = rivers
            .locate_within_distance([m.x, m.y], RIVER_TOL * RIVER_TOL)
            .map(|r| r.data)
            .min()
        {
            add(&project.rivers[r].name);
        }
    }
    let text = |list: &mut Vec<(String, f64)>| {
        list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let top = list.first().map(|e| e.1).unwrap_or(0.0);
        list.iter()
            .filter(|e| e.1 >= top * SECOND_SHARE)
            .take(3)
            .map(|e| e.0.as_str())
            .collect::<Vec<_>>()
            .join("、")
    };
    sides
        .into_iter()
        .enumerate()
        .filter(|(k, _)| wanted.is_none_or(|w| w == *k))
        .map(|(k, [mut e, mut n, mut w, mut s])| {
            (
                peers[k],
                FourBounds {
                    east: text(&mut e),
                    south: text(&mut s),
                    west: text(&mut w),
                    north: text(&mut n),
                    edited: false,
                    review: false,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grid, River};
    use geo::{LineString, MultiLineString, MultiPolygon, polygon};

    fn square(id: &str, name: &str, x: f64, y: f64) -> Grid {
        let mut g = Grid::new(
            id,
            3,
            MultiPolygon(vec![polygon![
                (x: x, y: y),
                (x: x + 100.0, y: y),
                (x: x + 100.0, y: y + 100.0),
                (x: x, y: y + 100.0)
            ]]),
        );
        g.name = name.into();
        g
    }

    #[test]
    fn four_bounds_of_a_cross_of_squares_with_a_river_on_the_east() {
        let mut p = Project {
            grids: vec![
                square("c", "中组", 100.0, 100.0),
                square("e", "东组", 200.0, 100.0),
                square("w", "西组", 0.0, 100.0),
                square("n", "北组", 100.0, 200.0),
            ],
            ..Default::default()
        };
        p.rivers.push(River {
            id: "R".into(),
            name: "钟水河".into(),
            geometry: MultiLineString(vec![LineString::from(vec![(200.0, 50.0), (200.0, 250.0)])]),
            extra: Default::default(),
        });
        let fb = four_bounds(&p, 0);
        assert_eq!(fb.east, "东组、钟水河");
        assert_eq!(fb.west, "西组");
        assert_eq!(fb.north, "北组");
        assert_eq!(fb.south, "镇界");
        // What the record says wins.
        p.grids[0].extra.insert(
            "four_bounds".into(),
            serde_json::json!({"east": "甲", "south": "乙", "west": "丙", "north": "丁"}),
        );
        assert_eq!(four_bounds(&p, 0).south, "乙");
        assert!(four_bounds(&p, 0).edited);
        // Derived bounds written out earlier are not records.
        p.grids[0].extra.insert(
            "four_bounds".into(),
            serde_json::json!({"east": "甲", "south": "乙", "west": "丙", "north": "丁", "edited": false}),
        );
        assert_eq!(four_bounds(&p, 0).south, "镇界");
        let all = four_bounds_all(&p);
        assert_eq!(all[0].east, "东组、钟水河");
        assert_eq!(all[1].west, "中组、钟水河");
        assert_eq!(all[3].south, "中组");
    }
}
