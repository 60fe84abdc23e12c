//! Parts of a grid's record that are derived from the map rather than typed in: the four
//! bounds (四至) printed on display boards and written in the ledger.

use crate::geom::{boundary_segments, seg_dist2};
use crate::model::Project;
use geo::{Coord, MultiPolygon};

/// What lies east, south, west and north of a grid, as printed: "上村二组、钟水河".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FourBounds {
    pub east: String,
    pub south: String,
    pub west: String,
    pub north: String,
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

    /// Bounds written into the record (`four_bounds` object, as imported or edited).
    fn from_record(v: &serde_json::Value) -> Option<Self> {
        let o = v.as_object()?;
        let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let fb = FourBounds {
            east: get("east"),
            south: get("south"),
            west: get("west"),
            north: get("north"),
        };
        (fb != FourBounds::default()).then_some(fb)
    }
}

/// Name used where a grid's boundary is the edge of the whole map.
const OUTER: &str = "镇界";
/// A neighbour or river is named beside the main one when it holds this share of the side.
const SECOND_SHARE: f64 = 0.3;
/// Distance within which boundaries and rivers count as running along each other (metres).
const TOL: f64 = 0.5;

/// The four bounds of grid `index`: from its record when present, otherwise derived from the
/// neighbouring grids of the same level, the rivers along its boundary and the map edge,
/// each side weighted by the length of boundary it holds.
pub fn four_bounds(project: &Project, index: usize) -> FourBounds {
    let g = &project.grids[index];
    if let Some(fb) = g.extra.get("four_bounds").and_then(FourBounds::from_record) {
        return fb;
    }
    let peers: Vec<usize> = (0..project.grids.len())
        .filter(|&i| project.grids[i].level == g.level)
        .collect();
    let me = peers.iter().position(|&i| i == index).unwrap_or(0);
    let polys: Vec<&MultiPolygon<f64>> =
        peers.iter().map(|&i| &project.grids[i].geometry).collect();
    let (centre, _) = crate::geom::max_inscribed_circle(&g.geometry, 1.0);
    let river_segments: Vec<(usize, Coord<f64>, Coord<f64>)> = project
        .rivers
        .iter()
        .enumerate()
        .flat_map(|(r, river)| {
            river
                .lines()
                .flat_map(move |l| l.0.windows(2).map(move |w| (r, w[0], w[1])))
        })
        .collect();
    // Weight per side (0 east, 1 north, 2 west, 3 south) and per thing on that side.
    let mut sides: [Vec<(String, f64)>; 4] = Default::default();
    let mut add = |side: usize, what: String, len: f64| {
        let list = &mut sides[side];
        match list.iter_mut().find(|e| e.0 == what) {
            Some(e) => e.1 += len,
            None => list.push((what, len)),
        }
    };
    for s in boundary_segments(&polys, TOL)
        .into_iter()
        .filter(|s| s.owner == me)
    {
        let m = Coord {
            x: (s.a.x + s.b.x) / 2.0,
            y: (s.a.y + s.b.y) / 2.0,
        };
        let angle = (m.y - centre.y).atan2(m.x - centre.x).to_degrees();
        let side = (((angle + 45.0).rem_euclid(360.0)) / 90.0) as usize % 4;
        let len = s.length();
        let what = match s.across {
            Some(j) => project.grids[peers[j]].label().to_string(),
            None => OUTER.to_string(),
        };
        add(side, what, len);
        if let Some(&(r, _, _)) = river_segments
            .iter()
            .find(|(_, a, b)| seg_dist2(m, *a, *b) <= TOL * TOL * 100.0)
        {
            add(side, project.rivers[r].name.clone(), len);
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
    let [mut e, mut n, mut w, mut s] = sides;
    FourBounds {
        east: text(&mut e),
        south: text(&mut s),
        west: text(&mut w),
        north: text(&mut n),
    }
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
    }
}
