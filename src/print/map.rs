//! The map on a sheet: world-to-page transform at a round scale, grid fills and outlines,
//! water, natural villages, labels kept apart, and the map furniture (legend, scale bar,
//! north arrow, overview inset, coordinate ticks).

use super::labels::{Bbox, Placer, bbox_of, box_inside, candidates, clip_segment};
use super::svg::{Align, Svg};
use super::{PageMeta, PlacedLabel, Show, text};
use crate::model::{Grid, Project};
use geo::{Coord, MultiPolygon};
use rustc_hash::FxHashMap;

/// Pastel fills for colour prints; neighbours get different ones.
pub const PALETTE: [&str; 8] = [
    "#f4d6a0", "#bfe3b4", "#c6d8f0", "#f2c4ce", "#e0d0f0", "#d8e8a8", "#f7e1c8", "#b8e0dc",
];
pub const RIVER: &str = "#1e78c8";
pub const WATER: &str = "#a9d2f3";
pub const INK: &str = "#222222";
pub const FADED: &str = "#ececec";
pub const FADED_INK: &str = "#8a8a8a";
pub const ACCENT: &str = "#c62828";

/// Sizes scale with the paper: `u` is 1 on A4 and 4 on A0.
#[derive(Clone, Copy)]
pub struct Style {
    pub u: f64,
    pub mono: bool,
}

impl Style {
    pub fn new(width: f64, height: f64, mono: bool) -> Self {
        Style {
            u: width.min(height) / 210.0,
            mono,
        }
    }

    /// Fill attributes for colour class `k`: a pastel, or a hatch pattern in black and white.
    pub fn fill(&self, k: usize) -> String {
        if self.mono {
            format!(r#"fill="url(#hatch{})""#, k % HATCHES.len())
        } else {
            format!(r#"fill="{}""#, PALETTE[k % PALETTE.len()])
        }
    }

    pub fn river(&self) -> &'static str {
        if self.mono { INK } else { RIVER }
    }

    pub fn water(&self) -> String {
        if self.mono {
            r#"fill="url(#water)""#.to_string()
        } else {
            format!(r#"fill="{WATER}""#)
        }
    }

    /// Pattern definitions used by the black-and-white fills.
    pub fn defs(&self, svg: &mut Svg) {
        if !self.mono {
            return;
        }
        let s = 1.6 * self.u;
        let w = 0.12 * self.u;
        for (k, body) in HATCHES.iter().enumerate() {
            svg.def(&format!(
                r#"<pattern id="hatch{k}" patternUnits="userSpaceOnUse" width="{s}" height="{s}"><rect width="{s}" height="{s}" fill="white"/><g stroke="{INK}" stroke-width="{w}" fill="{INK}" transform="scale({})">{body}</g></pattern>"#,
                s / 10.0
            ));
        }
        svg.def(&format!(
            r#"<pattern id="water" patternUnits="userSpaceOnUse" width="{s}" height="{s}"><rect width="{s}" height="{s}" fill="white"/><path d="M0 {h}H{s}" stroke="{INK}" stroke-width="{w}"/></pattern>"#,
            h = s / 2.0
        ));
    }
}

/// Hatch motifs on a 10×10 tile (scaled to the paper).
const HATCHES: [&str; 6] = [
    "",
    r#"<path d="M0 10L10 0M-1 1L1 -1M9 11L11 9"/>"#,
    r#"<path d="M0 0L10 10M-1 9L1 11M9 -1L11 1"/>"#,
    r#"<path d="M0 5H10"/>"#,
    r#"<path d="M5 0V10"/>"#,
    r#"<circle cx="5" cy="5" r="1" stroke="none"/>"#,
];

/// Turns project coordinates into metres on a plane: identity for projected CRSs, a local
/// equirectangular projection for longitude/latitude (error far below 1% over a township).
#[derive(Clone, Copy, Debug)]
pub enum Planar {
    Identity,
    Local { lon0: f64, lat0: f64, kx: f64 },
}

const M_PER_DEG: f64 = 111_319.49;

impl Planar {
    pub fn of(project: &Project) -> Planar {
        if !project.crs.is_geographic() {
            return Planar::Identity;
        }
        let env = project
            .grids
            .iter()
            .filter_map(|g| crate::geom::envelope(&g.geometry))
            .reduce(crate::geom::union_rect);
        let c = env.map(|r| r.center()).unwrap_or(Coord { x: 0.0, y: 0.0 });
        Planar::Local {
            lon0: c.x,
            lat0: c.y,
            kx: M_PER_DEG * c.y.to_radians().cos(),
        }
    }

    pub fn apply(&self, c: Coord<f64>) -> Coord<f64> {
        match *self {
            Planar::Identity => c,
            Planar::Local { lon0, lat0, kx } => Coord {
                x: (c.x - lon0) * kx,
                y: (c.y - lat0) * M_PER_DEG,
            },
        }
    }

    /// Envelope in planar metres [minx, miny, maxx, maxy] of some multipolygons.
    pub fn extent<'a>(&self, mps: impl Iterator<Item = &'a MultiPolygon<f64>>) -> Option<[f64; 4]> {
        let mut e = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for mp in mps {
            for p in &mp.0 {
                for c in &p.exterior().0 {
                    let q = self.apply(*c);
                    e = [e[0].min(q.x), e[1].min(q.y), e[2].max(q.x), e[3].max(q.y)];
                }
            }
        }
        (e[0] <= e[2]).then_some(e)
    }
}

/// The smallest round scale denominator (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) not
/// below `n`.
pub fn round_scale(n: f64) -> f64 {
    let mag = 10f64.powf(n.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= n * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// A map frame on the page and the part of the world it shows.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// [x, y, w, h] in millimetres.
    pub rect: [f64; 4],
    /// Planar centre of the map (metres).
    pub centre: Coord<f64>,
    /// Millimetres per metre.
    pub k: f64,
    /// Scale denominator.
    pub scale: f64,
    pub planar: Planar,
}

impl Frame {
    /// Centre `extent` (planar metres) in `rect` at a fixed scale or the round scale that fits
    /// it with a small margin.
    pub fn fit(rect: [f64; 4], extent: [f64; 4], scale: Option<f64>, planar: Planar) -> Frame {
        let (w, h) = (
            (extent[2] - extent[0]).max(1.0),
            (extent[3] - extent[1]).max(1.0),
        );
        let need = (w * 1000.0 / (rect[2] * 0.94)).max(h * 1000.0 / (rect[3] * 0.94));
        let scale = scale.unwrap_or_else(|| round_scale(need));
        Frame {
            rect,
            centre: Coord {
                x: (extent[0] + extent[2]) / 2.0,
                y: (extent[1] + extent[3]) / 2.0,
            },
            k: 1000.0 / scale,
            scale,
            planar,
        }
    }

    pub fn page(&self, c: Coord<f64>) -> [f64; 2] {
        let q = self.planar.apply(c);
        [
            self.rect[0] + self.rect[2] / 2.0 + (q.x - self.centre.x) * self.k,
            self.rect[1] + self.rect[3] / 2.0 - (q.y - self.centre.y) * self.k,
        ]
    }

    /// The planar rectangle shown: [minx, miny, maxx, maxy].
    pub fn world(&self) -> [f64; 4] {
        let (hw, hh) = (self.rect[2] / 2.0 / self.k, self.rect[3] / 2.0 / self.k);
        [
            self.centre.x - hw,
            self.centre.y - hh,
            self.centre.x + hw,
            self.centre.y + hh,
        ]
    }

    /// Whether every grid, reservoir, boundary and river of the project lies inside the map.
    pub fn holds(&self, project: &Project) -> bool {
        let w = self.world();
        let inside = |e: Option<[f64; 4]>| {
            e.is_none_or(|e| e[0] >= w[0] && e[1] >= w[1] && e[2] <= w[2] && e[3] <= w[3])
        };
        let rivers = project.rivers.iter().flat_map(|r| r.lines()).all(|l| {
            l.0.iter().all(|c| {
                let q = self.planar.apply(*c);
                q.x >= w[0] && q.y >= w[1] && q.x <= w[2] && q.y <= w[3]
            })
        });
        rivers
            && inside(
                self.planar
                    .extent(project.grids.iter().map(|g| &g.geometry)),
            )
            && inside(
                self.planar
                    .extent(project.reservoirs.iter().map(|r| &r.geometry)),
            )
            && inside(
                self.planar
                    .extent(project.boundary.iter().map(|b| &b.geometry)),
            )
    }

    pub fn bbox(&self) -> Bbox {
        bbox_of(self.rect)
    }

    pub fn rings(&self, mp: &MultiPolygon<f64>) -> Vec<Vec<[f64; 2]>> {
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.0.iter().map(|c| self.page(*c)).collect())
            .collect()
    }

    /// Whether the multipolygon's envelope reaches into the map.
    pub fn visible(&self, mp: &MultiPolygon<f64>) -> bool {
        let w = self.world();
        self.planar
            .extent(std::iter::once(mp))
            .is_some_and(|e| e[0] <= w[2] && w[0] <= e[2] && e[1] <= w[3] && w[1] <= e[3])
    }

    pub fn path(&self, mp: &MultiPolygon<f64>) -> String {
        let rings = self.rings(mp);
        Svg::path_data(rings.iter().map(|r| r.as_slice()), true)
    }

    pub fn meta(&self) -> ([f64; 4], [f64; 4]) {
        (self.rect, self.world())
    }
}

/// How a grid is painted on a map.
#[derive(Clone, Debug)]
pub struct GridPaint {
    pub index: usize,
    /// Fill attributes, or None for no fill.
    pub fill: Option<String>,
}

/// Outline of a grid by level: the township edge heaviest, villages, then level-3 grids;
/// villages and grids no wider than `most` (millimetres) so that grids small on the page
/// show as a fine net over their fills, not as ink.
fn outline_attrs(level: u8, style: &Style, faded: bool, most: f64) -> String {
    let u = style.u;
    let colour = if faded { FADED_INK } else { INK };
    match level {
        0 | 1 => format!(
            r#"fill="none" stroke="{colour}" stroke-width="{}" stroke-linecap="butt" stroke-dasharray="{} {} {} {}""#,
            0.9 * u,
            6.0 * u,
            1.2 * u,
            0.6 * u,
            1.2 * u
        ),
        2 => format!(
            r#"fill="none" stroke="{colour}" stroke-width="{}""#,
            (0.5 * u).min(most)
        ),
        _ => format!(
            r#"fill="none" stroke="{colour}" stroke-width="{}""#,
            (0.18 * u).min(most)
        ),
    }
}

/// The widest outline each level's grids take (see [`line_cap`]).
fn outline_caps(frame: &Frame, project: &Project, paints: &[GridPaint]) -> FxHashMap<u8, f64> {
    let mut by_level: FxHashMap<u8, Vec<&Grid>> = FxHashMap::default();
    for p in paints {
        let g = &project.grids[p.index];
        by_level.entry(g.level).or_default().push(g);
    }
    by_level
        .into_iter()
        .filter_map(|(level, grids)| Some((level, line_cap(frame.k, grids)?)))
        .collect()
}

/// The widest line that leaves `grids` (at `k` millimetres per metre) readable: a 25th
/// of their median size on the page; None for no grids.
fn line_cap<'a>(k: f64, grids: impl IntoIterator<Item = &'a Grid>) -> Option<f64> {
    let mut sizes: Vec<f64> = grids
        .into_iter()
        .map(|g| crate::geom::area(&g.geometry).sqrt() * k)
        .collect();
    sizes.sort_by(f64::total_cmp);
    sizes.get(sizes.len() / 2).map(|m| m / 25.0)
}

/// Paths that share their attributes, drawn as one path each in the order each first
/// appears.
#[derive(Default)]
struct Grouped {
    order: Vec<(String, String)>,
    at: FxHashMap<String, usize>,
}

impl Grouped {
    fn add(&mut self, attrs: String, d: &str) {
        let k = *self.at.entry(attrs.clone()).or_insert_with(|| {
            self.order.push((attrs, String::new()));
            self.order.len() - 1
        });
        self.order[k].1.push_str(d);
    }

    fn draw(self, svg: &mut Svg) {
        for (attrs, d) in self.order {
            svg.path(&d, &attrs);
        }
    }
}

/// Fills, then outlines from the finest level up so heavier lines sit on top. The grids
/// of one fill are one path, and the outlines of one level another (each grid's rings
/// turned so that the non-zero rule fills the grid and keeps its holes): a sheet of
/// 100,000 grids is a handful of elements, not 200,000 (usvg takes at most a million
/// per page).
pub fn draw_grids(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    paints: &[GridPaint],
    style: &Style,
    faded: impl Fn(usize) -> bool,
) {
    use geo::orient::{Direction, Orient};
    let mut fills = Grouped::default();
    for p in paints {
        if let Some(fill) = &p.fill {
            let mp = project.grids[p.index].geometry.orient(Direction::Default);
            let attrs = format!(r#"{fill} fill-rule="nonzero" stroke="none""#);
            fills.add(attrs, &frame.path(&mp));
        }
    }
    fills.draw(svg);
    let mut order: Vec<&GridPaint> = paints.iter().collect();
    order.sort_by_key(|p| std::cmp::Reverse(project.grids[p.index].level));
    let caps = outline_caps(frame, project, paints);
    let mut outlines = Grouped::default();
    for p in order {
        let g = &project.grids[p.index];
        let most = caps.get(&g.level).copied().unwrap_or(f64::INFINITY);
        let attrs = outline_attrs(g.level, style, faded(p.index), most);
        outlines.add(attrs, &frame.path(&g.geometry));
    }
    outlines.draw(svg);
    for b in &project.boundary {
        if frame.visible(&b.geometry) {
            svg.path(
                &frame.path(&b.geometry),
                &outline_attrs(1, style, false, f64::INFINITY),
            );
        }
    }
}

/// Reservoirs and rivers.
pub fn draw_water(svg: &mut Svg, frame: &Frame, project: &Project, show: &Show, style: &Style) {
    if show.reservoirs {
        for r in &project.reservoirs {
            if frame.visible(&r.geometry) {
                svg.path(
                    &frame.path(&r.geometry),
                    &format!(
                        r#"{} fill-rule="evenodd" stroke="{}" stroke-width="{}""#,
                        style.water(),
                        style.river(),
                        0.2 * style.u
                    ),
                );
            }
        }
    }
    if show.rivers {
        for r in &project.rivers {
            let lines: Vec<Vec<[f64; 2]>> = r
                .lines()
                .map(|l| l.0.iter().map(|c| frame.page(*c)).collect())
                .collect();
            let d = Svg::path_data(lines.iter().map(|l| l.as_slice()), false);
            svg.path(
                &d,
                &format!(
                    r#"fill="none" stroke="{}" stroke-width="{}""#,
                    style.river(),
                    0.6 * style.u
                ),
            );
        }
    }
}

/// One line of a label: text, size (mm) and text attributes.
#[derive(Clone, Debug)]
pub struct Line {
    pub text: String,
    pub size: f64,
    pub attrs: String,
}

/// A label to place inside a grid.
pub struct AreaLabel {
    pub index: usize,
    pub lines: Vec<Line>,
    /// The lines after the first may be dropped when the label does not fit otherwise.
    pub droppable: bool,
    /// A context label (a neighbour's name): left out silently when there is no room.
    pub optional: bool,
    /// Placed inside one of the grid's children, never across their boundaries (a
    /// village's name over its level-3 grids).
    pub within_children: bool,
}

/// The pole of inaccessibility of `mp` in page coordinates (y flipped, so orientation is
/// moot).
fn page_pole(frame: &Frame, mp: &MultiPolygon<f64>) -> [f64; 2] {
    let conv = |ls: &geo::LineString<f64>| {
        geo::LineString(
            ls.0.iter()
                .map(|c| {
                    let q = frame.page(*c);
                    Coord { x: q[0], y: q[1] }
                })
                .collect(),
        )
    };
    let page_mp = MultiPolygon(
        mp.0.iter()
            .map(|p| {
                geo::Polygon::new(conv(p.exterior()), p.interiors().iter().map(conv).collect())
            })
            .collect(),
    );
    let (pole, _) = crate::geom::max_inscribed_circle(&page_mp, 0.05 * frame.rect[2] / 100.0);
    [pole.x, pole.y]
}

fn block_size(lines: &[Line], f: f64) -> (f64, f64) {
    let w = lines
        .iter()
        .map(|l| text::width(&l.text, l.size * f))
        .fold(0.0, f64::max);
    let h = lines.iter().map(|l| l.size * f * text::line_height()).sum();
    (w, h)
}

fn draw_block(svg: &mut Svg, meta: &mut PageMeta, c: [f64; 2], lines: &[Line], f: f64) -> Bbox {
    let (w, h) = block_size(lines, f);
    let mut top = c[1] - h / 2.0;
    for l in lines {
        svg.text(c[0], top, l.size * f, Align::Middle, &l.text, &l.attrs);
        let lw = text::width(&l.text, l.size * f);
        let lh = l.size * f * text::line_height();
        meta.labels.push(PlacedLabel {
            text: l.text.clone(),
            rect: [c[0] - lw / 2.0, top, lw, lh],
        });
        top += lh;
    }
    [
        c[0] - w / 2.0,
        c[1] - h / 2.0,
        c[0] + w / 2.0,
        c[1] + h / 2.0,
    ]
}

/// Labels inside their grids, in the order given (most important first): at the pole of
/// inaccessibility when free, else at the roomiest free spot, shrinking to half size and dropping
/// the code line before giving up; the grids left without a label are named in `meta`.
pub fn label_areas(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    labels: &[AreaLabel],
    placer: &mut Placer,
    meta: &mut PageMeta,
) {
    let mut children: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    if labels.iter().any(|l| l.within_children) {
        for (j, c) in project.grids.iter().enumerate() {
            if let Some(p) = c.parent.as_deref() {
                children.entry(p).or_default().push(j);
            }
        }
    }
    for l in labels {
        let g = &project.grids[l.index];
        if !frame.visible(&g.geometry) || l.lines.is_empty() {
            continue;
        }
        // Where the label may go: the grid, or each of its children (largest first).
        let mut areas: Vec<&MultiPolygon<f64>> = match children.get(g.id.as_str()) {
            Some(kids) if l.within_children => {
                kids.iter().map(|&j| &project.grids[j].geometry).collect()
            }
            _ => vec![&g.geometry],
        };
        areas.sort_by(|a, b| crate::geom::area(b).total_cmp(&crate::geom::area(a)));
        let variants: Vec<&[Line]> = if l.droppable && l.lines.len() > 1 {
            vec![&l.lines[..], &l.lines[..1]]
        } else {
            vec![&l.lines[..]]
        };
        // The smallest block tried: an area narrower or lower on the page holds no label
        // (most grids of a township of 100,000 seen whole), and no spot is searched in it.
        let least = variants.last().map_or((0.0, 0.0), |v| block_size(v, 0.5));
        // Each area's rings on the page and the label positions to try in it.
        type Spot = (Vec<Vec<[f64; 2]>>, Vec<[f64; 2]>);
        let spots: Vec<Spot> = areas
            .iter()
            .filter(|a| frame.visible(a))
            .map(|a| (frame.rings(a), a))
            .filter(|(rings, _)| {
                let b = super::labels::rings_bbox(rings);
                b[2] - b[0] >= least.0 && b[3] - b[1] >= least.1
            })
            .map(|(rings, a)| {
                let cands = candidates(&rings, page_pole(frame, a));
                (rings, cands)
            })
            .collect();
        let mut done = false;
        'search: for lines in &variants {
            for f in [1.0, 0.85, 0.7, 0.6, 0.5] {
                let (w, h) = block_size(lines, f);
                for (rings, c) in spots
                    .iter()
                    .flat_map(|(r, cs)| cs.iter().map(move |c| (r, c)))
                {
                    let b = [
                        c[0] - w / 2.0,
                        c[1] - h / 2.0,
                        c[0] + w / 2.0,
                        c[1] + h / 2.0,
                    ];
                    if placer.free(&[b]) && box_inside(&b, rings) {
                        let b = draw_block(svg, meta, *c, lines, f);
                        placer.take(&[b]);
                        if lines.len() < l.lines.len() {
                            meta.shortened.push(g.label().to_string());
                        }
                        done = true;
                        break 'search;
                    }
                }
            }
        }
        if !done && !l.optional {
            meta.omitted.push(g.label().to_string());
        }
    }
}

/// River names written along the straightest stretch that has room, characters spaced out
/// and kept upright, as on Chinese maps.
pub fn river_names(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    style: &Style,
    placer: &mut Placer,
) {
    // Larger than grid labels, darker than the river line, on a white halo: legible over
    // any fill and over the line itself.
    let size = 3.4 * style.u;
    let ink = if style.mono { INK } else { "#0f5aa8" };
    let attrs = format!(
        r#"fill="{ink}" stroke="white" stroke-width="{:.3}" stroke-linejoin="round" paint-order="stroke""#,
        0.8 * style.u
    );
    for r in &project.rivers {
        let chars: Vec<char> = r.name.chars().collect();
        if chars.is_empty() {
            continue;
        }
        let step = size * 2.2;
        let need = step * (chars.len() as f64 - 1.0) + size;
        // Cost, character centres and angles, their boxes.
        type Run = (f64, Vec<([f64; 2], f64)>, Vec<Bbox>);
        let mut best: Option<Run> = None;
        for line in r.lines() {
            let pts: Vec<[f64; 2]> = line.0.iter().map(|c| frame.page(*c)).collect();
            let mut cum = vec![0.0];
            for w in pts.windows(2) {
                let d = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
                cum.push(cum.last().copied().unwrap_or(0.0) + d);
            }
            let total = cum.last().copied().unwrap_or(0.0);
            if total < need {
                continue;
            }
            let at = |s: f64| -> ([f64; 2], f64) {
                let i = cum.partition_point(|&v| v < s).clamp(1, pts.len() - 1);
                let (a, b) = (pts[i - 1], pts[i]);
                let seg = (cum[i] - cum[i - 1]).max(1e-9);
                let t = ((s - cum[i - 1]) / seg).clamp(0.0, 1.0);
                let mut deg = (b[1] - a[1]).atan2(b[0] - a[0]).to_degrees();
                if deg > 90.0 {
                    deg -= 180.0;
                } else if deg < -90.0 {
                    deg += 180.0;
                }
                ([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t], deg)
            };
            // Slide along the line; prefer the middle and straight runs.
            let tries = 24;
            for k in 0..=tries {
                let start = (total - need) * k as f64 / tries as f64 + size / 2.0;
                let placed: Vec<([f64; 2], f64)> = (0..chars.len())
                    .map(|i| at(start + i as f64 * step))
                    .collect();
                let boxes: Vec<Bbox> = placed
                    .iter()
                    .map(|(c, _)| {
                        let h = size * 0.62;
                        [c[0] - h, c[1] - h, c[0] + h, c[1] + h]
                    })
                    .collect();
                if !placer.free(&boxes) {
                    continue;
                }
                let bend = placed
                    .windows(2)
                    .map(|w| {
                        let d = (w[1].1 - w[0].1).abs();
                        d.min(180.0 - d)
                    })
                    .sum::<f64>();
                let off_centre = ((start + need / 2.0) / total - 0.5).abs();
                let cost = bend + off_centre * 30.0;
                if best.as_ref().is_none_or(|b| cost < b.0) {
                    best = Some((cost, placed, boxes));
                }
            }
        }
        if let Some((_, placed, boxes)) = best {
            for ((c, deg), ch) in placed.iter().zip(reading_order(&placed, &chars)) {
                svg.glyph(*c, size, *deg, ch, &attrs);
            }
            placer.take(&boxes);
        }
    }
}

/// The characters of a name in the order of `placed` (positions along the line and upright
/// glyph angles): a glyph kept upright on a line drawn right to left reads against the
/// line, so the name is laid from the line's far end, and 龙溪 does not print as 溪龙.
fn reading_order(placed: &[([f64; 2], f64)], chars: &[char]) -> Vec<char> {
    let (Some(first), Some(last)) = (placed.first(), placed.last()) else {
        return chars.to_vec();
    };
    let along = [last.0[0] - first.0[0], last.0[1] - first.0[1]];
    // The way the upright glyphs read, summed over the name.
    let reads = placed.iter().fold([0.0, 0.0], |acc, (_, deg)| {
        let r = deg.to_radians();
        [acc[0] + r.cos(), acc[1] + r.sin()]
    });
    let mut out = chars.to_vec();
    if along[0] * reads[0] + along[1] * reads[1] < 0.0 {
        out.reverse();
    }
    out
}

/// Write a one-line label at the first of `spots` (top-left corners) where a `w`×`lh` box is
/// free, and take the box; the spot used, if any.
#[allow(clippy::too_many_arguments)]
fn first_free_spot(
    svg: &mut Svg,
    placer: &mut Placer,
    spots: &[[f64; 2]],
    w: f64,
    size: f64,
    text: &str,
    attrs: &str,
) -> Option<[f64; 2]> {
    let lh = size * text::line_height();
    let s = *spots
        .iter()
        .find(|s| placer.free(&[[s[0], s[1], s[0] + w, s[1] + lh]]))?;
    svg.text(s[0], s[1], size, Align::Start, text, attrs);
    placer.take(&[[s[0], s[1], s[0] + w, s[1] + lh]]);
    Some(s)
}

/// Keep labels off the rivers and reservoirs: boxes along every river line and over every
/// reservoir; reservoir names beside their water where there is room.
pub fn water_obstacles(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    show: &Show,
    style: &Style,
    placer: &mut Placer,
) {
    let half = 0.5 * style.u;
    let step = 1.5 * style.u;
    let sheet = frame.bbox();
    let mut boxes = Vec::new();
    if show.rivers {
        for r in &project.rivers {
            for l in r.lines() {
                for w in l.0.windows(2) {
                    // Only the part on the sheet: at a large scale a river runs for metres
                    // of paper beyond the frame.
                    let Some((a, b)) = clip_segment(frame.page(w[0]), frame.page(w[1]), &sheet)
                    else {
                        continue;
                    };
                    let len = (b[0] - a[0]).hypot(b[1] - a[1]);
                    let n = (len / step).ceil().max(1.0) as usize;
                    for k in 0..=n {
                        let t = k as f64 / n as f64;
                        let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
                        boxes.push([p[0] - half, p[1] - half, p[0] + half, p[1] + half]);
                    }
                }
            }
        }
    }
    if show.reservoirs {
        let size = 2.4 * style.u;
        let lh = size * text::line_height();
        for r in &project.reservoirs {
            if !frame.visible(&r.geometry) {
                continue;
            }
            let e = super::labels::rings_bbox(&frame.rings(&r.geometry));
            placer.take(&[e]);
            let w = text::width(&r.name, size);
            let gap = placer.gap + 0.2 * style.u;
            let cy = (e[1] + e[3]) / 2.0 - lh / 2.0;
            let spots = [
                [e[2] + gap, cy],
                [e[0] - gap - w, cy],
                [(e[0] + e[2]) / 2.0 - w / 2.0, e[1] - gap - lh],
                [(e[0] + e[2]) / 2.0 - w / 2.0, e[3] + gap],
            ];
            first_free_spot(
                svg,
                placer,
                &spots,
                w,
                size,
                &r.name,
                &format!(r#"fill="{}""#, style.river()),
            );
        }
    }
    placer.take(&boxes);
}

/// Natural villages in the frame, on the page.
fn village_points<'a>(frame: &Frame, project: &'a Project) -> Vec<([f64; 2], &'a str)> {
    let bounds = frame.bbox();
    project
        .villages
        .iter()
        .map(|v| (frame.page(v.location.0), v.name.as_str()))
        .filter(|(p, _)| {
            p[0] > bounds[0] && p[0] < bounds[2] && p[1] > bounds[1] && p[1] < bounds[3]
        })
        .collect()
}

/// Natural village symbols (small rings); their boxes are taken so labels keep off them.
pub fn village_symbols(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    style: &Style,
    placer: &mut Placer,
) {
    let r = 0.7 * style.u;
    let pts = village_points(frame, project);
    for (p, _) in &pts {
        svg.circle(
            *p,
            r,
            &format!(
                r#"fill="white" stroke="{INK}" stroke-width="{}""#,
                0.2 * style.u
            ),
        );
    }
    placer.take(
        &pts.iter()
            .map(|(p, _)| [p[0] - r, p[1] - r, p[0] + r, p[1] + r])
            .collect::<Vec<_>>(),
    );
}

/// Natural village names beside their symbols where there is room.
pub fn village_names(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    style: &Style,
    placer: &mut Placer,
    meta: &mut PageMeta,
) {
    use geo::Contains;
    use rstar::primitives::{GeomWithData, Rectangle};
    let r = 0.7 * style.u;
    let size = 1.9 * style.u;
    let lh = size * text::line_height();
    // A name stays inside the grid its village lies in: it never crosses a boundary.
    let tree: rstar::RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = rstar::RTree::bulk_load(
        project
            .grids
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let e = crate::geom::envelope(&g.geometry)?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([e.min().x, e.min().y], [e.max().x, e.max().y]),
                    i,
                ))
            })
            .collect(),
    );
    let bounds = frame.bbox();
    for v in &project.villages {
        let p = frame.page(v.location.0);
        if !(p[0] > bounds[0] && p[0] < bounds[2] && p[1] > bounds[1] && p[1] < bounds[3]) {
            continue;
        }
        let name = v.name.as_str();
        let at = [v.location.x(), v.location.y()];
        let home = tree
            .locate_all_at_point(&at)
            .map(|e| &project.grids[e.data])
            .filter(|g| g.geometry.contains(&v.location))
            .max_by_key(|g| g.level)
            .map(|g| frame.rings(&g.geometry));
        let w = text::width(name, size);
        let gap = r + placer.gap + 0.3 * style.u;
        let spots: Vec<[f64; 2]> = [
            [p[0] + gap, p[1] - lh / 2.0],
            [p[0] - gap - w, p[1] - lh / 2.0],
            [p[0] - w / 2.0, p[1] - gap - lh],
            [p[0] - w / 2.0, p[1] + gap],
            [p[0] + gap * 0.7, p[1] - gap * 0.7 - lh],
            [p[0] - gap * 0.7 - w, p[1] - gap * 0.7 - lh],
            [p[0] + gap * 0.7, p[1] + gap * 0.7],
            [p[0] - gap * 0.7 - w, p[1] + gap * 0.7],
        ]
        .into_iter()
        .filter(|s| {
            home.as_ref()
                .is_none_or(|rings| box_inside(&[s[0], s[1], s[0] + w, s[1] + lh], rings))
        })
        .collect();
        if let Some(s) = first_free_spot(
            svg,
            placer,
            &spots,
            w,
            size,
            name,
            &format!(r#"fill="{INK}""#),
        ) {
            meta.labels.push(PlacedLabel {
                text: name.to_string(),
                rect: [s[0], s[1], w, lh],
            });
        }
    }
}

/// A length in metres as printed: "500 米" or "2 千米".
fn metres_text(m: f64) -> String {
    if m >= 1000.0 {
        format!("{}", m / 1000.0)
    } else {
        format!("{m}")
    }
}

/// Scale text "1:25 000" with thin spaces between thousands, as printed on Chinese maps.
pub fn scale_text(n: f64) -> String {
    let s = format!("{}", n.round() as u64);
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    format!("1:{out}")
}

/// Box size of the scale bar block for a frame.
pub fn scale_bar_size(style: &Style) -> (f64, f64) {
    (60.0 * style.u, 13.0 * style.u)
}

/// A scale bar of a round length in `b` (right-aligned): four alternating segments with the
/// scale written above. Returns the bar's [x0, x1, y] and the metres it stands for.
pub fn scale_bar(svg: &mut Svg, frame: &Frame, b: Bbox, style: &Style) -> ([f64; 3], f64) {
    let u = style.u;
    let target = (b[2] - b[0] - 14.0 * u) / frame.k;
    let mag = 10f64.powf(target.log10().floor());
    let metres = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .rfind(|l| *l <= target)
        .unwrap_or(mag);
    let len = metres * frame.k;
    let size = 2.4 * u;
    let x0 = b[0] + 2.0 * u;
    let y = b[3] - 5.5 * u;
    let hgt = 1.2 * u;
    // Opaque: the map under it never shows through the figures.
    svg.rect(
        [b[0], b[1], b[2] - b[0], b[3] - b[1]],
        r#"fill="white" stroke="none""#,
    );
    svg.text(
        x0,
        b[1] + 0.8 * u,
        size,
        Align::Start,
        &format!("比例尺 {}", scale_text(frame.scale)),
        &format!(r#"fill="{INK}""#),
    );
    for i in 0..4 {
        let fill = if i % 2 == 0 { INK } else { "#ffffff" };
        svg.rect(
            [x0 + len * i as f64 / 4.0, y - hgt, len / 4.0, hgt],
            &format!(
                r#"fill="{fill}" stroke="{INK}" stroke-width="{}""#,
                0.15 * u
            ),
        );
    }
    let unit = if metres >= 1000.0 { "千米" } else { "米" };
    for (i, v) in [0.0, metres / 2.0, metres].iter().enumerate() {
        let x = x0 + len * i as f64 / 2.0;
        let t = metres_text(*v);
        svg.text(
            x,
            y + 0.5 * u,
            size * 0.9,
            Align::Middle,
            &t,
            &format!(r#"fill="{INK}""#),
        );
    }
    svg.text(
        x0 + len + 2.5 * u,
        y - hgt - 0.2 * u,
        size * 0.9,
        Align::Start,
        unit,
        &format!(r#"fill="{INK}""#),
    );
    ([x0, x0 + len, y], metres)
}

/// A north arrow centred in `b`.
pub fn north_arrow(svg: &mut Svg, b: Bbox, style: &Style) {
    let u = style.u;
    let cx = (b[0] + b[2]) / 2.0;
    let h = (b[3] - b[1]) * 0.62;
    let top = b[1] + (b[3] - b[1]) * 0.3;
    let w = h * 0.36;
    svg.path(
        &format!(
            "M{cx} {top}L{} {}L{cx} {}Z",
            cx + w,
            top + h,
            top + h * 0.72
        ),
        &format!(r#"fill="white" stroke="{INK}" stroke-width="{}""#, 0.2 * u),
    );
    svg.path(
        &format!(
            "M{cx} {top}L{} {}L{cx} {}Z",
            cx - w,
            top + h,
            top + h * 0.72
        ),
        &format!(r#"fill="{INK}" stroke="{INK}" stroke-width="{}""#, 0.2 * u),
    );
    svg.text(
        cx,
        b[1],
        3.2 * u,
        Align::Middle,
        "北",
        &format!(r#"fill="{INK}""#),
    );
}

/// A legend entry's symbol.
#[derive(Clone, Copy)]
pub enum Symbol {
    Outline(u8),
    Fill(usize),
    /// The first `n` fill colours side by side: the fills a map uses.
    Fills(usize),
    River,
    Water,
    Village,
    Faded,
}

pub fn legend_size(entries: usize, style: &Style) -> (f64, f64) {
    (44.0 * style.u, (8.0 + 5.0 * entries as f64) * style.u)
}

/// The legend box at `b`.
pub fn legend(svg: &mut Svg, b: Bbox, entries: &[(Symbol, &str)], style: &Style) {
    let u = style.u;
    svg.rect(
        [b[0], b[1], b[2] - b[0], b[3] - b[1]],
        &format!(
            r#"fill="white" fill-opacity="0.9" stroke="{INK}" stroke-width="{}""#,
            0.25 * u
        ),
    );
    svg.text(
        (b[0] + b[2]) / 2.0,
        b[1] + 1.2 * u,
        3.2 * u,
        Align::Middle,
        "图  例",
        &format!(r#"fill="{INK}""#),
    );
    for (i, (sym, label)) in entries.iter().enumerate() {
        let y = b[1] + 7.5 * u + 5.0 * u * i as f64;
        let sx = b[0] + 3.0 * u;
        let sw = 11.0 * u;
        let sh = 3.4 * u;
        match *sym {
            Symbol::Outline(level) => svg.line(
                [sx, y + sh / 2.0],
                [sx + sw, y + sh / 2.0],
                &outline_attrs(level, style, false, f64::INFINITY),
            ),
            Symbol::Fill(k) => svg.rect(
                [sx, y, sw, sh],
                &format!(
                    r#"{} stroke="{INK}" stroke-width="{}""#,
                    style.fill(k),
                    0.18 * u
                ),
            ),
            Symbol::Fills(n) => {
                let n = n.max(1);
                for k in 0..n {
                    svg.rect(
                        [sx + sw * k as f64 / n as f64, y, sw / n as f64, sh],
                        &format!(r#"{} stroke="none""#, style.fill(k)),
                    );
                }
                svg.rect(
                    [sx, y, sw, sh],
                    &format!(r#"fill="none" stroke="{INK}" stroke-width="{}""#, 0.18 * u),
                );
            }
            Symbol::Faded => svg.rect(
                [sx, y, sw, sh],
                &format!(
                    r#"fill="{FADED}" stroke="{FADED_INK}" stroke-width="{}""#,
                    0.18 * u
                ),
            ),
            Symbol::River => svg.path(
                &format!(
                    "M{sx} {}C{} {} {} {} {} {}",
                    y + sh * 0.7,
                    sx + sw * 0.35,
                    y - sh * 0.2,
                    sx + sw * 0.65,
                    y + sh * 1.2,
                    sx + sw,
                    y + sh * 0.3
                ),
                &format!(
                    r#"fill="none" stroke="{}" stroke-width="{}""#,
                    style.river(),
                    0.6 * u
                ),
            ),
            Symbol::Water => svg.rect(
                [sx, y, sw, sh],
                &format!(
                    r#"{} stroke="{}" stroke-width="{}""#,
                    style.water(),
                    style.river(),
                    0.2 * u
                ),
            ),
            Symbol::Village => svg.circle(
                [sx + sw / 2.0, y + sh / 2.0],
                0.7 * u,
                &format!(r#"fill="white" stroke="{INK}" stroke-width="{}""#, 0.2 * u),
            ),
        }
        svg.text(
            sx + sw + 2.5 * u,
            y + sh / 2.0 - 2.6 * u * text::line_height() / 2.0,
            2.6 * u,
            Align::Start,
            label,
            &format!(r#"fill="{INK}""#),
        );
    }
}

/// A QR code saying `text` in the square `b` (white quiet zone included); false when the
/// text is too long for a QR code.
pub fn qr_code(svg: &mut Svg, b: Bbox, text: &str) -> bool {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return false;
    };
    let n = code.width();
    let side = (b[2] - b[0]).min(b[3] - b[1]);
    // Two modules of quiet zone on each side, as printed labels usually have.
    let s = side / (n + 4) as f64;
    svg.rect([b[0], b[1], side, side], r#"fill="white" stroke="none""#);
    let (x0, y0) = (b[0] + 2.0 * s, b[1] + 2.0 * s);
    let mut d = String::new();
    for (k, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (x0 + (k % n) as f64 * s, y0 + (k / n) as f64 * s);
            // Squares a hair larger than a module, so no seams show between them.
            d.push_str(&format!(
                "M{x:.3} {y:.3}h{w:.3}v{w:.3}h-{w:.3}z",
                w = s * 1.02
            ));
        }
    }
    svg.path(&d, &format!(r#"fill="{INK}" stroke="none""#));
    true
}

/// Overview inset in `b`: the township's top-level grids, the `highlight`ed grids in red and
/// the `shown` planar rectangle outlined when it is smaller than the township.
pub fn inset(
    svg: &mut Svg,
    b: Bbox,
    project: &Project,
    highlight: &[usize],
    shown: Option<[f64; 4]>,
    style: &Style,
) {
    let u = style.u;
    let planar = Planar::of(project);
    let Some(extent) = planar.extent(project.grids.iter().map(|g| &g.geometry)) else {
        return;
    };
    svg.rect(
        [b[0], b[1], b[2] - b[0], b[3] - b[1]],
        &format!(r#"fill="white" stroke="{INK}" stroke-width="{}""#, 0.25 * u),
    );
    let f = Frame::fit(
        [
            b[0] + u,
            b[1] + u,
            b[2] - b[0] - 2.0 * u,
            b[3] - b[1] - 2.0 * u,
        ],
        extent,
        None,
        planar,
    );
    let top = project.grids.iter().map(|g| g.level).min().unwrap_or(1);
    let second = project
        .grids
        .iter()
        .map(|g| g.level)
        .filter(|l| *l > top)
        .min();
    // One path per look (the highlighted grids filled): an inset of 100,000 grids is a
    // few elements.
    let mut paths = Grouped::default();
    // The second level's lines no wider than its grids leave readable there.
    let second_grids = project.grids.iter().filter(|g| Some(g.level) == second);
    let fine = line_cap(f.k, second_grids).map_or(0.08 * u, |m| (0.08 * u).min(m));
    for (i, g) in project.grids.iter().enumerate() {
        let hl = highlight.contains(&i);
        if g.level == top || Some(g.level) == second || hl {
            let fill = if hl {
                if style.mono { INK } else { ACCENT }
            } else {
                "none"
            };
            let attrs = format!(
                r#"fill="{fill}" fill-rule="evenodd" stroke="{INK}" stroke-width="{}""#,
                if g.level == top { 0.25 * u } else { fine }
            );
            paths.add(attrs, &f.path(&g.geometry));
        }
    }
    paths.draw(svg);
    if let Some(w) = shown
        && (w[0] > extent[0] || w[1] > extent[1] || w[2] < extent[2] || w[3] < extent[3])
    {
        let a = [
            f.rect[0] + f.rect[2] / 2.0 + (w[0] - f.centre.x) * f.k,
            f.rect[1] + f.rect[3] / 2.0 - (w[3] - f.centre.y) * f.k,
        ];
        svg.rect(
            [a[0], a[1], (w[2] - w[0]) * f.k, (w[3] - w[1]) * f.k],
            &format!(
                r#"fill="none" stroke="{ACCENT}" stroke-width="{}""#,
                0.3 * u
            ),
        );
    }
}

/// Coordinate ticks every round kilometre along the frame edges, labelled in km.
pub fn ticks(svg: &mut Svg, frame: &Frame, style: &Style) {
    let u = style.u;
    let w = frame.world();
    let span = (w[2] - w[0]).max(w[3] - w[1]);
    let step = [500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0]
        .into_iter()
        .find(|s| span / s <= 12.0)
        .unwrap_or(50_000.0);
    let r = frame.rect;
    let attrs = format!(r#"stroke="{INK}" stroke-width="{}""#, 0.2 * u);
    let size = 2.0 * u;
    let ink = format!(r#"fill="{INK}""#);
    let mut x = (w[0] / step).ceil() * step;
    while x <= w[2] {
        let px = r[0] + (x - w[0]) * frame.k;
        svg.line([px, r[1]], [px, r[1] + 2.0 * u], &attrs);
        svg.line([px, r[1] + r[3]], [px, r[1] + r[3] - 2.0 * u], &attrs);
        svg.text(
            px,
            r[1] + 2.2 * u,
            size,
            Align::Middle,
            &format!("{}", x / 1000.0),
            &ink,
        );
        x += step;
    }
    let mut y = (w[1] / step).ceil() * step;
    while y <= w[3] {
        let py = r[1] + r[3] - (y - w[1]) * frame.k;
        svg.line([r[0], py], [r[0] + 2.0 * u, py], &attrs);
        svg.line([r[0] + r[2], py], [r[0] + r[2] - 2.0 * u, py], &attrs);
        svg.text(
            r[0] + 2.6 * u,
            py - size * text::line_height() / 2.0,
            size,
            Align::Start,
            &format!("{}", y / 1000.0),
            &ink,
        );
        y += step;
    }
}

/// The corners of the frame ordered by how little map they would cover with a `w`×`h` box
/// (sampled against the grid polygons), as boxes.
pub fn emptiest_corners(frame: &Frame, project: &Project, w: f64, h: f64) -> Vec<Bbox> {
    let f = frame.bbox();
    let pad = 0.8 * (f[2] - f[0]).min(f[3] - f[1]) / 100.0;
    let corners = [
        [f[0] + pad, f[3] - pad - h, f[0] + pad + w, f[3] - pad],
        [f[2] - pad - w, f[3] - pad - h, f[2] - pad, f[3] - pad],
        [f[2] - pad - w, f[1] + pad, f[2] - pad, f[1] + pad + h],
        [f[0] + pad, f[1] + pad, f[0] + pad + w, f[1] + pad + h],
    ];
    let rings: Vec<Vec<Vec<[f64; 2]>>> = project
        .grids
        .iter()
        .filter(|g| frame.visible(&g.geometry))
        .map(|g| frame.rings(&g.geometry))
        .collect();
    let mut scored: Vec<(usize, Bbox)> = corners
        .iter()
        .map(|b| {
            let mut hits = 0;
            for i in 0..8 {
                for j in 0..8 {
                    let p = [
                        b[0] + (b[2] - b[0]) * (i as f64 + 0.5) / 8.0,
                        b[1] + (b[3] - b[1]) * (j as f64 + 0.5) / 8.0,
                    ];
                    let tiny = [p[0], p[1], p[0] + 1e-6, p[1] + 1e-6];
                    if rings.iter().any(|r| box_inside(&tiny, r)) {
                        hits += 1;
                    }
                }
            }
            (hits, *b)
        })
        .collect();
    scored.sort_by_key(|s| s.0);
    scored.into_iter().map(|s| s.1).collect()
}
