//! The small map on each grid's page: the grid, the grids of its level around it (each a
//! link to its page, with its name) and the rivers, as inline SVG. No script and no tiles:
//! it shows on any phone, offline and with scripts off, and costs a few kilobytes.

use super::html;
use crate::geom;
use crate::model::Project;
use geo::{BooleanOps, Coord, LineString, MultiPolygon, Rect, Simplify};
use std::fmt::Write;

/// Width of the drawing in SVG units (the page scales it to the screen).
const WIDTH: f64 = 600.0;
/// Lines are simplified to this many units: under a pixel on a phone's 360-pixel-wide map.
const TOLERANCE: f64 = 1.0;

/// The grids' envelopes, indexed once for every page.
pub(super) struct MapIndex {
    tree: geom::EnvelopeTree,
}

impl MapIndex {
    pub(super) fn new(project: &Project) -> Self {
        MapIndex {
            tree: geom::envelope_tree(
                project
                    .grids
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (i, geom::envelope(&g.geometry))),
            ),
        }
    }
}

/// From the working CRS (metres, y up) to the drawing (y down).
struct Frame {
    view: Rect<f64>,
    scale: f64,
}

impl Frame {
    fn pt(&self, c: Coord<f64>) -> (f64, f64) {
        (
            (c.x - self.view.min().x) * self.scale,
            (self.view.max().y - c.y) * self.scale,
        )
    }

    /// SVG path data of rings or lines, simplified to [`TOLERANCE`].
    fn path<'a>(&self, lines: impl Iterator<Item = &'a LineString<f64>>, close: bool) -> String {
        let mut d = String::new();
        for ls in lines {
            let ls = ls.simplify(TOLERANCE / self.scale);
            for (k, c) in ls.0.iter().enumerate() {
                let (x, y) = self.pt(*c);
                let _ = write!(d, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
            }
            if close {
                d.push('Z');
            }
        }
        d
    }
}

fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// The map of grid `i` (links relative to its page), or nothing when it has no shape.
pub(super) fn grid_map(project: &Project, index: &MapIndex, dirs: &[String], i: usize) -> String {
    let g = &project.grids[i];
    let Some(env) = geom::envelope(&g.geometry) else {
        return String::new();
    };
    let side = env.width().max(env.height()).max(1.0);
    let view = geom::expand(env, side * 0.15);
    let f = Frame {
        view,
        scale: WIDTH / view.width().max(view.height()),
    };
    let (w, h) = (view.width() * f.scale, view.height() * f.scale);
    let mut s = format!(
        "<h2>位置</h2>\n<svg class=\"map\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"{}的位置\">\n",
        html(g.label())
    );
    let mut labels = String::new();
    let mut around: Vec<usize> = index
        .tree
        .locate_in_envelope_intersecting(&geom::aabb(view))
        .map(|e| e.data)
        .filter(|&k| k != i && project.grids[k].level == g.level)
        .collect();
    around.sort_unstable();
    for k in around {
        let n = &project.grids[k];
        // Only its part inside the view is drawn, and named where it shows.
        let shown = n
            .geometry
            .simplify(TOLERANCE / f.scale)
            .intersection(&view.to_polygon());
        let _ = writeln!(
            s,
            "<a href=\"../../g/{}/index.html\"><path class=\"n\" d=\"{}\"/></a>",
            dirs[k],
            f.path(rings(&shown), true)
        );
        if let Some(c) = geom::label_point(&shown) {
            let (x, y) = f.pt(c);
            // Kept whole inside the drawing (24-unit characters, centred).
            let half = 12.0 * n.label().chars().count() as f64;
            let x = x.clamp(half.min(w / 2.0), (w - half).max(w / 2.0));
            let _ = writeln!(
                labels,
                "<text x=\"{x:.1}\" y=\"{y:.1}\">{}</text>",
                html(n.label())
            );
        }
    }
    let _ = writeln!(
        s,
        "<path class=\"g\" d=\"{}\"/>",
        f.path(rings(&g.geometry), true)
    );
    for r in &project.rivers {
        use geo::BoundingRect;
        if r.geometry
            .bounding_rect()
            .is_some_and(|b| geom::rects_intersect(&b, &view))
        {
            let _ = writeln!(s, "<path class=\"r\" d=\"{}\"/>", f.path(r.lines(), false));
        }
    }
    s.push_str(&labels);
    if let Some(c) = geom::label_point(&g.geometry) {
        let (x, y) = f.pt(c);
        let _ = writeln!(
            s,
            "<text class=\"t\" x=\"{x:.1}\" y=\"{y:.1}\">{}</text>",
            html(g.label())
        );
    }
    s.push_str("</svg>\n");
    s
}
