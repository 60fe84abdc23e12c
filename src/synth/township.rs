//! The bundled sample township (晋屏镇-style, fictional): a town of 20 villages and 59
//! level-3 grids in southern Hunan, with a river system, two reservoirs, natural villages
//! and staff rosters, plus a faulty copy with one planted fault of each common kind.
//!
//! Grids are unions of small Voronoi "atoms", so every shared boundary is exactly noded.

use super::{union_outline, voronoi_cells};
use crate::geom::{self, max_inscribed_circle};
use crate::model::{Boundary, Crs, Grid, Project, Reservoir, River, Staff, Village};
use geo::{Centroid, Contains, Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use std::collections::HashMap;

/// The sample maps: clean, and with planted faults.
pub struct SampleMaps {
    pub clean: Project,
    pub faulty: Project,
    /// What was planted in the faulty copy: (kind, ids involved).
    pub planted: Planted,
}

const VILLAGES: [&str; 20] = [
    "上村",
    "下村",
    "石桥村",
    "枫林村",
    "青山村",
    "河口村",
    "龙潭村",
    "新塘村",
    "白沙村",
    "黄泥村",
    "竹园村",
    "柏树村",
    "高坪村",
    "水口村",
    "东湖村",
    "西岭村",
    "南冲村",
    "北岸村",
    "桃源村",
    "金盆村",
];
const GROUPS: [&str; 5] = ["一组", "二组", "三组", "四组", "五组"];
const SURNAMES: [&str; 16] = [
    "李", "王", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "罗",
];
const GIVEN: [&str; 16] = [
    "建国", "秀英", "志强", "桂兰", "国平", "丽华", "小军", "春梅", "德明", "海燕", "永红", "文斌",
    "玉兰", "卫东", "红霞", "立新",
];

struct Names {
    rng: fastrand::Rng,
    phone: u32,
}

impl Names {
    fn person(&mut self, role: &str) -> Staff {
        self.phone += 1;
        Staff {
            role: role.into(),
            name: format!(
                "{}{}",
                SURNAMES[self.rng.usize(..SURNAMES.len())],
                GIVEN[self.rng.usize(..GIVEN.len())]
            ),
            // An obviously fictional range: 139-0000-xxxx.
            phone: format!("1390000{:04}", self.phone),
            public: false,
        }
    }
}

fn centroid(mp: &MultiPolygon<f64>) -> Coord<f64> {
    mp.centroid()
        .map(|p| p.0)
        .unwrap_or(Coord { x: 0.0, y: 0.0 })
}

fn d2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

/// Farthest-point sampling: `k` well-spread indices of `pts`.
fn spread(pts: &[Coord<f64>], k: usize, first: usize) -> Vec<usize> {
    let mut chosen = vec![first];
    let mut best: Vec<f64> = pts.iter().map(|p| d2(*p, pts[first])).collect();
    while chosen.len() < k.min(pts.len()) {
        let (i, _) = best
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &0.0));
        chosen.push(i);
        for (j, p) in pts.iter().enumerate() {
            best[j] = best[j].min(d2(*p, pts[i]));
        }
    }
    chosen
}

/// Members of each group, and each group's outline.
type Grouping = (Vec<Vec<usize>>, Vec<MultiPolygon<f64>>);

/// What was planted: (kind, ids involved).
type Planted = Vec<(&'static str, Vec<String>)>;

/// Group members by nearest seed; returns the groups' outlines, or None when a group is
/// not one simple polygon.
fn group(parts: &[MultiPolygon<f64>], centres: &[Coord<f64>], seeds: &[usize]) -> Option<Grouping> {
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); seeds.len()];
    for (i, c) in centres.iter().enumerate() {
        let (g, _) = seeds
            .iter()
            .enumerate()
            .map(|(g, &s)| (g, d2(*c, centres[s])))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        groups[g].push(i);
    }
    let mut outlines = Vec::new();
    for g in &groups {
        let refs: Vec<&MultiPolygon<f64>> = g.iter().map(|&i| &parts[i]).collect();
        let o = union_outline(&refs);
        if o.0.len() != 1 || !o.0[0].interiors().is_empty() {
            return None;
        }
        outlines.push(o);
    }
    Some((groups, outlines))
}

/// Generate the sample township deterministically.
pub fn sample_township() -> SampleMaps {
    let frame = Frame {
        x0: 622_000.0,
        y0: 2_806_000.0,
        w: 16_000.0,
        h: 13_000.0,
    };
    let mut seed = 7u64;
    loop {
        if let Some(m) = try_township(seed, frame) {
            return m;
        }
        seed += 1;
    }
}

/// The frame the township is drawn in: its south-west corner and size, in metres.
#[derive(Clone, Copy)]
struct Frame {
    x0: f64,
    y0: f64,
    w: f64,
    h: f64,
}

impl Frame {
    fn centre(self) -> Coord<f64> {
        Coord {
            x: self.x0 + self.w / 2.0,
            y: self.y0 + self.h / 2.0,
        }
    }
}

/// The shapes of the hierarchy before it gets ids and names: level-3 grids (unions of
/// atoms), villages (unions of level-3 grids) and the town.
struct Layout {
    l3_shapes: Vec<MultiPolygon<f64>>,
    l3_centres: Vec<Coord<f64>>,
    v_groups: Vec<Vec<usize>>,
    v_shapes: Vec<MultiPolygon<f64>>,
    town_shape: MultiPolygon<f64>,
}

/// One attempt at the township from `seed`; None when the shapes it drew do not make a
/// usable hierarchy (the caller tries the next seed).
fn try_township(seed: u64, frame: Frame) -> Option<SampleMaps> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let atoms = atoms(&mut rng, frame);
    let layout = layout(&mut rng, &atoms)?;
    let (grids, natural) = hierarchy(seed, &layout, frame);
    let rivers = rivers(&grids, &layout.town_shape, frame.centre())?;
    let river_lines: Vec<LineString<f64>> = rivers
        .iter()
        .flat_map(|r| r.geometry.0.iter().cloned())
        .collect();
    let near_river = |c: Coord<f64>, d: f64| -> bool {
        river_lines.iter().any(|l| {
            l.0.windows(2)
                .any(|w| geom::seg_dist2(c, w[0], w[1]) < d * d)
        })
    };
    let reservoirs = reservoirs(&grids, &near_river)?;
    let mut natural = natural;
    // Natural villages must not sit in a reservoir.
    natural.retain(|v| !reservoirs.iter().any(|r| r.geometry.contains(&v.location)));

    let boundary = vec![Boundary {
        id: "B1".into(),
        name: "晋屏镇行政界线".into(),
        geometry: layout.town_shape.clone(),
        extra: Default::default(),
    }];
    let mut clean = Project {
        name: "晋屏镇河长制网格化管理网格图（示例）".into(),
        crs: Crs::epsg(4546),
        boundary,
        grids,
        rivers,
        reservoirs,
        villages: natural,
        input_notes: Vec::new(),
        settings: Default::default(),
    };
    // On the coordinate grid, as the files it is written to read back.
    let precision = clean.crs.precision();
    precision.snap_project(&mut clean);
    let (mut faulty, planted) = plant_faults(&clean, &near_river)?;
    precision.snap_project(&mut faulty);
    Some(SampleMaps {
        clean,
        faulty,
        planted,
    })
}

/// The Voronoi atoms of a jittered 30 x 24 lattice whose centroids fall inside a wavy oval.
fn atoms(rng: &mut fastrand::Rng, frame: Frame) -> Vec<MultiPolygon<f64>> {
    let Frame { x0, y0, w, h } = frame;
    let mut seeds = Vec::new();
    let (nx, ny) = (30usize, 24usize);
    for i in 0..nx {
        for j in 0..ny {
            seeds.push(Coord {
                x: x0 + (i as f64 + 0.1 + 0.8 * rng.f64()) * w / nx as f64,
                y: y0 + (j as f64 + 0.1 + 0.8 * rng.f64()) * h / ny as f64,
            });
        }
    }
    let cells = voronoi_cells(&seeds, x0, y0, x0 + w, y0 + h);
    let Coord { x: cx, y: cy } = frame.centre();
    let (p1, p2) = (rng.f64() * 6.0, rng.f64() * 6.0);
    let inside = |c: Coord<f64>| {
        let (dx, dy) = ((c.x - cx) / (w * 0.45), (c.y - cy) / (h * 0.45));
        let t = dy.atan2(dx);
        let r = 1.0 + 0.10 * (3.0 * t + p1).sin() + 0.06 * (5.0 * t + p2).cos();
        (dx * dx + dy * dy).sqrt() < r * 0.95
    };
    cells
        .into_iter()
        .map(|p| MultiPolygon(vec![p]))
        .filter(|mp| inside(centroid(mp)))
        .collect()
}

/// Atoms grouped into 59 level-3 grids, those into 20 villages, and the town outline; None
/// when a group is not one simple polygon or a village has too few or too many grids.
fn layout(rng: &mut fastrand::Rng, atoms: &[MultiPolygon<f64>]) -> Option<Layout> {
    let centres: Vec<Coord<f64>> = atoms.iter().map(centroid).collect();
    let first = rng.usize(..atoms.len());
    let l3_seeds = spread(&centres, 59, first);
    let (l3_groups, l3_shapes) = group(atoms, &centres, &l3_seeds)?;
    let l3_centres: Vec<Coord<f64>> = l3_shapes.iter().map(centroid).collect();
    let v_seeds = spread(&l3_centres, 20, rng.usize(..l3_shapes.len()));
    let (v_groups, v_shapes) = group(&l3_shapes, &l3_centres, &v_seeds)?;
    if v_groups
        .iter()
        .any(|g| g.len() < 2 || g.len() > GROUPS.len())
        || l3_groups.iter().any(|g| g.len() < 3)
    {
        return None;
    }
    let town_shape = {
        let refs: Vec<&MultiPolygon<f64>> = v_shapes.iter().collect();
        union_outline(&refs)
    };
    if town_shape.0.len() != 1 || !town_shape.0[0].interiors().is_empty() {
        return None;
    }
    Some(Layout {
        l3_shapes,
        l3_centres,
        v_groups,
        v_shapes,
        town_shape,
    })
}

/// The grids with codes, names, households and staff (town, villages, then their grids),
/// and the natural villages of the level-3 grids.
fn hierarchy(seed: u64, layout: &Layout, frame: Frame) -> (Vec<Grid>, Vec<Village>) {
    let Layout {
        l3_shapes,
        l3_centres,
        v_groups,
        v_shapes,
        town_shape,
    } = layout;
    // Villages ordered west to east, north to south, for codes.
    let mut v_order: Vec<usize> = (0..v_shapes.len()).collect();
    let vc: Vec<Coord<f64>> = v_shapes.iter().map(centroid).collect();
    v_order.sort_by(|&a, &b| {
        let row = |c: Coord<f64>| ((frame.y0 + frame.h - c.y) / 3000.0).floor() as i64;
        row(vc[a])
            .cmp(&row(vc[b]))
            .then(vc[a].x.total_cmp(&vc[b].x))
    });
    let mut names = Names {
        rng: fastrand::Rng::with_seed(seed ^ 0x5eed),
        phone: 0,
    };
    let town_code = "431099101";
    let mut grids = Vec::new();
    let mut town = Grid::new("JP", 1, town_shape.clone());
    town.code = town_code.into();
    town.name = "晋屏镇".into();
    town.staff = vec![
        names.person("网格指导员"),
        names.person("网格长"),
        names.person("河长"),
    ];
    grids.push(town);
    let mut natural = Vec::new();
    for (vi, &v) in v_order.iter().enumerate() {
        let vname = VILLAGES[vi];
        let vid = format!("JP{:02}", vi + 1);
        let mut vg = Grid::new(vid.clone(), 2, v_shapes[v].clone());
        vg.code = format!("{town_code}{:03}", vi + 1);
        vg.name = vname.into();
        vg.parent = Some("JP".into());
        vg.staff = vec![
            names.person("网格长"),
            names.person("网格警员"),
            names.person("河长"),
        ];
        let mut kids = v_groups[v].clone();
        kids.sort_by(|&a, &b| {
            l3_centres[b]
                .y
                .total_cmp(&l3_centres[a].y)
                .then(l3_centres[a].x.total_cmp(&l3_centres[b].x))
        });
        let (mut v_h, mut v_p) = (0, 0);
        for (ki, &k) in kids.iter().enumerate() {
            let mut g = Grid::new(format!("{vid}-{:02}", ki + 1), 3, l3_shapes[k].clone());
            g.code = format!("{}{:03}", vg.code, ki + 1);
            g.name = format!("{vname}{}", GROUPS[ki]);
            g.parent = Some(vid.clone());
            let households = 200 + names.rng.u32(0..=100);
            let population = households * 3 + names.rng.u32(0..=households / 2);
            g.households = Some(households);
            g.population = Some(population);
            g.staff = vec![
                names.person("网格长"),
                names.person("网格员"),
                names.person("网格协助员"),
            ];
            v_h += households;
            v_p += population;
            natural_villages(&g, 1 + (ki % 2), &mut natural);
            grids.push(g);
        }
        vg.households = Some(v_h);
        vg.population = Some(v_p);
        grids.push(vg);
    }
    // Keep the file order: town, villages, then their grids.
    grids.sort_by(|a, b| a.level.cmp(&b.level).then(a.id.cmp(&b.id)));
    (grids, natural)
}

/// `n` (one or two) natural villages in the level-3 grid `g`, sharing its households and
/// population, appended to `natural`.
fn natural_villages(g: &Grid, n: usize, natural: &mut Vec<Village>) {
    let (households, population) = (g.households.unwrap_or(0), g.population.unwrap_or(0));
    let (c, _) = max_inscribed_circle(&g.geometry, 1.0);
    for j in 0..n {
        let hh = if n == 1 {
            households
        } else if j == 0 {
            households / 2
        } else {
            households - households / 2
        };
        let pp = if n == 1 {
            population
        } else if j == 0 {
            population / 2
        } else {
            population - population / 2
        };
        let mut loc = Coord {
            x: c.x + j as f64 * 120.0,
            y: c.y - j as f64 * 90.0,
        };
        if !g.geometry.contains(&Point(loc)) {
            loc = c;
        }
        natural.push(Village {
            id: format!("NV{:03}", natural.len() + 1),
            name: format!(
                "{}{}",
                g.name,
                if n == 1 {
                    ""
                } else if j == 0 {
                    "上屋"
                } else {
                    "下屋"
                }
            ),
            location: Point(loc),
            households: Some(hh),
            population: Some(pp),
            extra: Default::default(),
        });
    }
}

/// Rivers: a main river crossing west to east, a tributary from the north, and a stream
/// along the longest boundary two villages share.
fn rivers(
    grids: &[Grid],
    town_shape: &MultiPolygon<f64>,
    centre: Coord<f64>,
) -> Option<Vec<River>> {
    let Coord { x: cx, y: cy } = centre;
    let town_poly = &town_shape.0[0];
    let bb = geom::envelope(town_shape)?;
    let mut main = Vec::new();
    let steps = 80;
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let x = bb.min().x + t * bb.width();
        let y = cy - 600.0 + 900.0 * (t * 5.0).sin() + 300.0 * (t * 13.0 + 1.0).sin();
        main.push(Coord { x, y });
    }
    let main = clip_inside(&main, town_poly, 150.0)?;
    let trib_top = Coord {
        x: cx + 1500.0,
        y: bb.max().y,
    };
    let join = main[main.len() * 3 / 5];
    let mut trib = Vec::new();
    for i in 0..=30 {
        let t = i as f64 / 30.0;
        trib.push(Coord {
            x: trib_top.x + (join.x - trib_top.x) * t + 250.0 * (t * 7.0).sin(),
            y: trib_top.y + (join.y - trib_top.y) * t,
        });
    }
    let mut trib = clip_inside(&trib, town_poly, 150.0)?;
    if let Some(l) = trib.last_mut() {
        *l = join;
    }
    let stream = boundary_stream(grids)?;
    let river = |id: &str, name: &str, pts: Vec<Coord<f64>>| River {
        id: id.into(),
        name: name.into(),
        geometry: MultiLineString(vec![LineString(pts)]),
        extra: Default::default(),
    };
    Some(vec![
        river("R1", "钟水河", main),
        river("R2", "龙溪", trib),
        river("R3", "界溪", stream),
    ])
}

/// The longest shared boundary between two villages (the first of equal ones).
fn boundary_stream(grids: &[Grid]) -> Option<Vec<Coord<f64>>> {
    let vgrids: Vec<&Grid> = grids.iter().filter(|g| g.level == 2).collect();
    let mut best: Option<(f64, Vec<Coord<f64>>)> = None;
    for i in 0..vgrids.len() {
        for j in i + 1..vgrids.len() {
            if let Some(path) = shared_path(&vgrids[i].geometry, &vgrids[j].geometry) {
                let l: f64 = path.windows(2).map(|w| d2(w[0], w[1]).sqrt()).sum();
                if best.as_ref().is_none_or(|b| l > b.0) {
                    best = Some((l, path));
                }
            }
        }
    }
    best.map(|(_, path)| path)
}

/// Two round ponds in roomy level-3 grids away from rivers; None when fewer fit.
fn reservoirs(
    grids: &[Grid],
    near_river: &dyn Fn(Coord<f64>, f64) -> bool,
) -> Option<Vec<Reservoir>> {
    let mut reservoirs = Vec::new();
    for g in grids.iter().filter(|g| g.level == 3) {
        if reservoirs.len() == 2 {
            break;
        }
        let (c, r) = max_inscribed_circle(&g.geometry, 1.0);
        if r > 350.0 && !near_river(c, 500.0) {
            let rr = 120.0 + 40.0 * reservoirs.len() as f64;
            let ring: Vec<Coord<f64>> = (0..=24)
                .map(|i| {
                    let a = (i % 24) as f64 / 24.0 * std::f64::consts::TAU;
                    Coord {
                        x: c.x + rr * a.cos(),
                        y: c.y + 0.7 * rr * a.sin(),
                    }
                })
                .collect();
            reservoirs.push(Reservoir {
                id: format!("K{}", reservoirs.len() + 1),
                name: ["红旗水库", "双塘水库"][reservoirs.len()].into(),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                extra: Default::default(),
            });
        }
    }
    (reservoirs.len() == 2).then_some(reservoirs)
}

/// The run of `pts` inside `poly` at least `margin` from its boundary (first such run).
fn clip_inside(pts: &[Coord<f64>], poly: &Polygon<f64>, margin: f64) -> Option<Vec<Coord<f64>>> {
    let ok = |c: &Coord<f64>| {
        poly.contains(&Point(*c))
            && poly
                .exterior()
                .0
                .windows(2)
                .all(|w| geom::seg_dist2(*c, w[0], w[1]) > margin * margin)
    };
    let (start, len) = longest_run(pts.iter().map(ok))?;
    (len >= 2).then(|| pts[start..start + len].to_vec())
}

/// Start and length of the longest run of `true`.
fn longest_run(flags: impl Iterator<Item = bool>) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut cur_start = 0;
    let mut cur_len = 0;
    for (i, f) in flags.enumerate() {
        if f {
            if cur_len == 0 {
                cur_start = i;
            }
            cur_len += 1;
            if best.is_none_or(|b| cur_len > b.1) {
                best = Some((cur_start, cur_len));
            }
        } else {
            cur_len = 0;
        }
    }
    best
}

/// The longest chain of edges two exactly noded polygons share, as a path.
fn shared_path(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> Option<Vec<Coord<f64>>> {
    let key = |c: Coord<f64>| geom::coord_key(c);
    let mut b_edges = std::collections::HashSet::new();
    for p in &b.0 {
        for w in p.exterior().0.windows(2) {
            b_edges.insert((key(w[1]), key(w[0])));
            b_edges.insert((key(w[0]), key(w[1])));
        }
    }
    let ring = &a.0.first()?.exterior().0;
    let n = ring.len() - 1;
    let shared: Vec<bool> = (0..n)
        .map(|i| b_edges.contains(&(key(ring[i]), key(ring[i + 1]))))
        .collect();
    if shared.iter().all(|s| *s) || !shared.iter().any(|s| *s) {
        return None;
    }
    // Start after a non-shared edge so runs do not wrap.
    let start = (0..n).find(|&i| !shared[i])?;
    let order: Vec<usize> = (1..=n).map(|k| (start + k) % n).collect();
    let (s, len) = longest_run(order.iter().map(|&i| shared[i]))?;
    let edges = &order[s..s + len];
    let path: Vec<Coord<f64>> = std::iter::once(ring[edges[0]])
        .chain(edges.iter().map(|&i| ring[i + 1]))
        .collect();
    (path.len() >= 3).then_some(path)
}

/// Replace edge `i` of a single-polygon grid's exterior by two edges through a point
/// `offset` metres to the left (positive: into a CCW polygon) of the edge's midpoint.
fn notch(g: &mut Grid, i: usize, offset: f64) {
    let p = geom::canonical_polygon(&g.geometry.0[0]);
    let mut pts = p.exterior().0.clone();
    let (a, b) = (pts[i], pts[i + 1]);
    let l = d2(a, b).sqrt();
    let m = Coord {
        x: (a.x + b.x) / 2.0 - (b.y - a.y) / l * offset,
        y: (a.y + b.y) / 2.0 + (b.x - a.x) / l * offset,
    };
    pts.insert(i + 1, m);
    g.geometry = MultiPolygon(vec![Polygon::new(LineString(pts), p.interiors().to_vec())]);
}

/// A brook across the notch of depth `depth` cut into the edge a-b: from 40 m inside the
/// notched grid to 40 m inside its neighbour. Returns its id.
fn plant_brook(p: &mut Project, a: Coord<f64>, b: Coord<f64>, depth: f64) -> String {
    let l = d2(a, b).sqrt();
    // The inward normal of a counter-clockwise ring's edge, as `notch` uses.
    let (nx, ny) = (-(b.y - a.y) / l, (b.x - a.x) / l);
    let mid = Coord {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    };
    let at = |d: f64| Coord {
        x: mid.x + nx * d,
        y: mid.y + ny * d,
    };
    let id = format!("R{}", p.rivers.len() + 1);
    p.rivers.push(crate::model::River {
        id: id.clone(),
        name: "小溪".into(),
        geometry: geo::MultiLineString(vec![LineString(vec![at(depth + 40.0), at(-40.0)])]),
        extra: Default::default(),
    });
    id
}

/// An edge of grid `g` (canonical exterior) shared with a sibling, long and far from rivers.
fn pick_edge(
    project: &Project,
    gi: usize,
    sibling: bool,
    near_river: &dyn Fn(Coord<f64>, f64) -> bool,
    used: &[String],
) -> Option<(usize, Option<String>)> {
    let g = &project.grids[gi];
    let ring = geom::canonical_polygon(&g.geometry.0[0])
        .exterior()
        .0
        .clone();
    let key = |c: Coord<f64>| geom::coord_key(c);
    let mut owner: HashMap<geom::EdgeKey, &Grid> = HashMap::new();
    for o in project
        .grids
        .iter()
        .filter(|o| o.level == g.level && o.id != g.id)
    {
        for w in o.geometry.0[0].exterior().0.windows(2) {
            owner.insert((key(w[0]), key(w[1])), o);
            owner.insert((key(w[1]), key(w[0])), o);
        }
    }
    let mut best: Option<(f64, usize, Option<String>)> = None;
    for i in 0..ring.len() - 1 {
        let (a, b) = (ring[i], ring[i + 1]);
        let l = d2(a, b).sqrt();
        let mid = Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        if l < 180.0 || near_river(mid, 300.0) || near_river(a, 200.0) || near_river(b, 200.0) {
            continue;
        }
        let other = owner.get(&(key(a), key(b)));
        let ok = match (sibling, other) {
            (true, Some(o)) => o.parent == g.parent && !used.contains(&o.id),
            (false, None) => true,
            _ => false,
        };
        if ok && best.as_ref().is_none_or(|b| l > b.0) {
            best = Some((l, i, other.map(|o| o.id.clone())));
        }
    }
    best.map(|(_, i, o)| (i, o))
}

fn plant_faults(
    clean: &Project,
    near_river: &dyn Fn(Coord<f64>, f64) -> bool,
) -> Option<(Project, Planted)> {
    let mut p = clean.clone();
    let mut planted: Planted = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let level3: Vec<usize> = (0..p.grids.len())
        .filter(|&i| p.grids[i].level == 3)
        .collect();
    let wet = |g: &Grid| {
        use geo::Intersects;
        clean
            .rivers
            .iter()
            .any(|r| r.geometry.intersects(&g.geometry))
            || clean
                .reservoirs
                .iter()
                .any(|r| r.geometry.intersects(&g.geometry))
    };
    // Spread the faults over the town: one candidate every few grids.
    let mut cands = level3
        .iter()
        .copied()
        .step_by(5)
        .chain(level3.iter().copied());
    let mut plant = |p: &mut Project, kind: &'static str, used: &mut Vec<String>| -> Option<()> {
        loop {
            let gi = cands.next()?;
            let gid = p.grids[gi].id.clone();
            if used.contains(&gid) {
                continue;
            }
            match kind {
                "gap" | "sliver" | "overlap" => {
                    let Some((e, Some(other))) = pick_edge(p, gi, true, near_river, used) else {
                        continue;
                    };
                    let off = match kind {
                        "gap" => 30.0,
                        "sliver" => 0.2,
                        _ => -25.0,
                    };
                    let (a, b) = {
                        let ring = geom::canonical_polygon(&p.grids[gi].geometry.0[0]);
                        (ring.exterior().0[e], ring.exterior().0[e + 1])
                    };
                    notch(&mut p.grids[gi], e, off);
                    if kind == "gap" {
                        // A brook across the gap: inside the town but in no grid there.
                        let id = plant_brook(p, a, b, off);
                        planted.push(("river_outside_grids", vec![id]));
                    }
                    let parent = p.grids[gi].parent.clone().unwrap_or_default();
                    used.extend([gid.clone(), other.clone()]);
                    let mut ids = vec![gid, other];
                    ids.sort();
                    if kind != "overlap" {
                        ids.push(parent);
                    }
                    planted.push((kind, ids));
                    return Some(());
                }
                "outside_parent" => {
                    let Some((e, None)) = pick_edge(p, gi, false, near_river, used) else {
                        continue;
                    };
                    notch(&mut p.grids[gi], e, -40.0);
                    let parent = p.grids[gi].parent.clone().unwrap_or_default();
                    used.push(gid.clone());
                    planted.push((kind, vec![gid, parent]));
                    return Some(());
                }
                "missing_staff" => {
                    if wet(&p.grids[gi]) {
                        continue;
                    }
                    p.grids[gi]
                        .staff
                        .retain(|s| s.role != "网格长" && s.role != "网格员");
                    used.push(gid.clone());
                    planted.push((kind, vec![gid]));
                    return Some(());
                }
                _ => return None,
            }
        }
    };
    for kind in [
        "gap",
        "sliver",
        "overlap",
        "outside_parent",
        "missing_staff",
    ] {
        plant(&mut p, kind, &mut used)?;
    }
    // The main river leaves the town 400 m past its east end: normal, and no finding
    // (beyond the town is not this map's to assign).
    let r = &mut p.rivers[0];
    let line = &mut r.geometry.0[0].0;
    let (a, b) = (line[line.len() - 2], line[line.len() - 1]);
    let l = d2(a, b).sqrt();
    let town = &clean.grids.iter().find(|g| g.level == 1)?.geometry;
    let mut end = b;
    for step in 1..40 {
        end = Coord {
            x: b.x + (b.x - a.x) / l * 50.0 * step as f64,
            y: b.y + (b.y - a.y) / l * 50.0 * step as f64,
        };
        if !town.contains(&Point(end)) {
            break;
        }
    }
    let end = Coord {
        x: end.x + (b.x - a.x) / l * 400.0,
        y: end.y + (b.y - a.y) / l * 400.0,
    };
    line.push(end);
    p.name = "晋屏镇河长制网格化管理网格图（示例，含错误）".into();
    Some((p, planted))
}
