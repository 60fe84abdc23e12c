//! Maximum inscribed circle (pole of inaccessibility), used to measure gap and sliver width.
//!
//! This is the cell-subdivision search of Mapbox's polylabel: square cells are refined in
//! order of the best distance they could still hold, so the search stops as soon as no cell
//! can beat the best centre by more than `tolerance`.

use geo::{Coord, MultiPolygon, Polygon, Rect};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Segments per section of a ring: the distance of a point to the boundary looks at a
/// section's segments only where its box could hold a nearer one.
const SECTION: usize = 16;

/// A polygon's rings cut into runs of [`SECTION`] segments, each with its box.
struct Boundary<'a> {
    sections: Vec<(&'a [Coord<f64>], Rect<f64>)>,
}

impl<'a> Boundary<'a> {
    fn of(poly: &'a Polygon<f64>) -> Self {
        let mut sections = Vec::new();
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            sections.extend(super::runs(&ring.0, SECTION));
        }
        Boundary { sections }
    }

    /// Signed distance from `p` to the boundary: positive inside, negative outside (the
    /// crossing rule of polylabel, every segment that straddles the height of `p`; the
    /// nearest segment looked for only in the sections whose box could hold it).
    fn signed_distance(&self, p: Coord<f64>) -> f64 {
        let mut inside = false;
        for (run, r) in &self.sections {
            // No segment of the run has one end above p and the other not.
            if r.max().y <= p.y || r.min().y > p.y {
                continue;
            }
            for w in run.windows(2) {
                let (a, b) = (w[0], w[1]);
                if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
                {
                    inside = !inside;
                }
            }
        }
        let box_d2 = |r: &Rect<f64>| {
            let dx = (r.min().x - p.x).max(p.x - r.max().x).max(0.0);
            let dy = (r.min().y - p.y).max(p.y - r.max().y).max(0.0);
            dx * dx + dy * dy
        };
        let run_d2 = |run: &[Coord<f64>]| {
            run.windows(2)
                .map(|w| seg_dist2(p, w[0], w[1]))
                .fold(f64::INFINITY, f64::min)
        };
        // The nearest box first, then every section whose box is not farther than the
        // nearest segment found.
        let lower: Vec<f64> = self.sections.iter().map(|(_, r)| box_d2(r)).collect();
        let Some(first) = (0..lower.len()).min_by(|&i, &j| lower[i].total_cmp(&lower[j])) else {
            return f64::NEG_INFINITY;
        };
        let mut min_d2 = run_d2(self.sections[first].0);
        for (k, (run, _)) in self.sections.iter().enumerate() {
            if k != first && lower[k] <= min_d2 {
                min_d2 = min_d2.min(run_d2(run));
            }
        }
        let d = min_d2.sqrt();
        if inside { d } else { -d }
    }
}

/// The point of segment `a`-`b` nearest to `p` (an end exactly when the nearest is an end).
pub fn closest_on_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    if len2 > 0.0 {
        let t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2;
        if t > 1.0 {
            return b;
        } else if t > 0.0 {
            return Coord {
                x: a.x + dx * t,
                y: a.y + dy * t,
            };
        }
    }
    a
}

/// Squared distance from `p` to the segment `a`-`b`.
pub(crate) fn seg_dist2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let c = closest_on_segment(p, a, b);
    let (ex, ey) = (p.x - c.x, p.y - c.y);
    ex * ex + ey * ey
}

struct Cell {
    c: Coord<f64>,
    h: f64,
    d: f64,
    max: f64,
}

impl Cell {
    fn new(c: Coord<f64>, h: f64, poly: &Boundary) -> Self {
        let d = poly.signed_distance(c);
        Cell {
            c,
            h,
            d,
            max: d + h * std::f64::consts::SQRT_2,
        }
    }
}

impl PartialEq for Cell {
    fn eq(&self, o: &Self) -> bool {
        self.max == o.max
    }
}
impl Eq for Cell {}
impl PartialOrd for Cell {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cell {
    fn cmp(&self, o: &Self) -> Ordering {
        self.max.total_cmp(&o.max)
    }
}

fn polygon_mic(poly: &Polygon<f64>, tolerance: f64) -> (Coord<f64>, f64) {
    search(poly, tolerance, None)
}

/// Whether the largest circle inside `poly` (found to within `tolerance`) has a radius
/// above `radius`: the same answer as comparing [`polygon_mic`]'s, but the search stops
/// as soon as a cell's centre lies deeper than `radius` or no cell left can.
pub fn reaches(poly: &Polygon<f64>, tolerance: f64, radius: f64) -> bool {
    search(poly, tolerance, Some(radius)).1 > radius
}

/// The cell search of the largest inscribed circle (polylabel's): the best centre and
/// its distance. With `enough`, it stops once the best lies deeper than that, or once no
/// cell can (its centre then is whatever was best so far).
fn search(poly: &Polygon<f64>, tolerance: f64, enough: Option<f64>) -> (Coord<f64>, f64) {
    use geo::{BoundingRect, Centroid};
    let Some(bb) = poly.bounding_rect() else {
        return (Coord { x: 0.0, y: 0.0 }, 0.0);
    };
    let (w, h) = (bb.width(), bb.height());
    if w.min(h) <= 0.0 || !(w.is_finite() && h.is_finite()) {
        return (bb.min(), 0.0);
    }
    // Square cells covering the box, at most 1,000 along its long side: a sliver a
    // millimetre wide and kilometres long does not start with a million cells.
    let size = w.min(h).max(w.max(h) / 1000.0);
    let tolerance = tolerance.max(size * 1e-9);
    let half = size / 2.0;
    let centroid = poly.centroid();
    let poly = &Boundary::of(poly);
    let mut heap = BinaryHeap::new();
    let mut x = bb.min().x;
    while x < bb.max().x {
        let mut y = bb.min().y;
        while y < bb.max().y {
            heap.push(Cell::new(
                Coord {
                    x: x + half,
                    y: y + half,
                },
                half,
                poly,
            ));
            y += size;
        }
        x += size;
    }
    let mut best = match centroid {
        Some(c) => Cell::new(c.0, 0.0, poly),
        None => Cell::new(bb.center(), 0.0, poly),
    };
    let bc = Cell::new(bb.center(), 0.0, poly);
    if bc.d > best.d {
        best = bc;
    }
    // Cap the work: a pathological input must not stall the audit.
    let mut budget = 20_000usize;
    while let Some(cell) = heap.pop() {
        if cell.d > best.d {
            best = Cell { ..cell };
            best.h = 0.0;
        }
        if enough.is_some_and(|r| best.d > r || cell.max <= r) {
            break;
        }
        if cell.max - best.d <= tolerance || budget == 0 {
            // The heap gives cells by their bound, largest first: none left is worth
            // dividing (nor, the budget spent, may be), so the best of their centres is
            // the answer.
            for rest in heap.iter() {
                if rest.d > best.d {
                    best = Cell { ..*rest };
                }
            }
            break;
        }
        budget -= 1;
        let h = cell.h / 2.0;
        for (dx, dy) in [(-h, -h), (h, -h), (-h, h), (h, h)] {
            heap.push(Cell::new(
                Coord {
                    x: cell.c.x + dx,
                    y: cell.c.y + dy,
                },
                h,
                poly,
            ));
        }
    }
    (best.c, best.d.max(0.0))
}

/// Centre and radius of the largest circle inside the multipolygon, to within `tolerance`.
/// Twice the radius is the width of a gap or a sliver.
pub fn max_inscribed_circle(mp: &MultiPolygon<f64>, tolerance: f64) -> (Coord<f64>, f64) {
    mp.0.iter()
        .map(|p| polygon_mic(p, tolerance))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((Coord { x: 0.0, y: 0.0 }, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    /// Every segment looked at, as polylabel does.
    fn brute_signed_distance(p: Coord<f64>, poly: &Polygon<f64>) -> f64 {
        let mut inside = false;
        let mut min_d2 = f64::INFINITY;
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
                {
                    inside = !inside;
                }
                min_d2 = min_d2.min(seg_dist2(p, a, b));
            }
        }
        if inside {
            min_d2.sqrt()
        } else {
            -min_d2.sqrt()
        }
    }

    #[test]
    fn the_distance_by_sections_is_the_distance_to_every_segment() {
        let mut rng = fastrand::Rng::with_seed(11);
        let wiggly = |rng: &mut fastrand::Rng, cx: f64, r: f64, n: usize| {
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|i| {
                    let t = i as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * (1.0 + 0.2 * rng.f64());
                    Coord {
                        x: cx + rr * t.cos(),
                        y: rr * t.sin(),
                    }
                })
                .collect();
            pts.push(pts[0]);
            geo::LineString(pts)
        };
        for n in [3, 17, 40, 1000] {
            let shell = wiggly(&mut rng, 0.0, 100.0, n);
            let hole = wiggly(&mut rng, 10.0, 30.0, n.max(4));
            let poly = Polygon::new(shell, vec![hole]);
            let b = Boundary::of(&poly);
            for _ in 0..2000 {
                let p = Coord {
                    x: rng.f64() * 300.0 - 150.0,
                    y: rng.f64() * 300.0 - 150.0,
                };
                assert_eq!(
                    b.signed_distance(p),
                    brute_signed_distance(p, &poly),
                    "{p:?}"
                );
            }
            // The vertices, and points at their heights west of them (the ray passes
            // through a vertex).
            for &v in poly.exterior().0.iter().chain(&poly.interiors()[0].0) {
                for dx in [0.0, -1.0, -40.0] {
                    let p = Coord {
                        x: v.x + dx,
                        y: v.y,
                    };
                    assert_eq!(
                        b.signed_distance(p),
                        brute_signed_distance(p, &poly),
                        "{p:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn width_of_a_long_strip_is_its_short_side() {
        let p =
            polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 0.3), (x: 0.0, y: 0.3)];
        let (_, r) = max_inscribed_circle(&MultiPolygon(vec![p]), 1e-4);
        assert!((2.0 * r - 0.3).abs() < 1e-3, "width {}", 2.0 * r);
    }

    /// The early-stopping question gives the answer of the full search, on shapes whose
    /// circle sits in a corner, a neck or a bulge, for radii on both sides of theirs.
    #[test]
    fn reaching_a_radius_agrees_with_the_full_search() {
        let shapes = [
            polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 0.3), (x: 0.0, y: 0.3)],
            // An L: two arms of width 10 and 4.
            polygon![(x: 0.0, y: 0.0), (x: 40.0, y: 0.0), (x: 40.0, y: 10.0), (x: 4.0, y: 10.0),
                     (x: 4.0, y: 50.0), (x: 0.0, y: 50.0)],
            // Two rooms joined by a neck.
            polygon![(x: 0.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 9.0), (x: 30.0, y: 9.0),
                     (x: 30.0, y: 0.0), (x: 37.0, y: 0.0), (x: 37.0, y: 20.0), (x: 30.0, y: 20.0),
                     (x: 30.0, y: 11.0), (x: 20.0, y: 11.0), (x: 20.0, y: 20.0), (x: 0.0, y: 20.0)],
            // A wiggly band.
            Polygon::new(
                geo::LineString::from(
                    (0..=60)
                        .map(|i| (i as f64, (i as f64 * 0.7).sin() * 3.0))
                        .chain(
                            (0..=60)
                                .rev()
                                .map(|i| (i as f64, (i as f64 * 0.7).sin() * 3.0 + 2.5)),
                        )
                        .collect::<Vec<_>>(),
                ),
                vec![],
            ),
        ];
        for p in &shapes {
            for tolerance in [1e-3, 0.05, 0.5] {
                let (_, r) = polygon_mic(p, tolerance);
                assert!(r > 0.0);
                for f in [0.5, 0.9, 0.99, 0.999, 1.0, 1.001, 1.01, 1.1, 2.0] {
                    assert_eq!(
                        reaches(p, tolerance, r * f),
                        r > r * f,
                        "radius {r}, asked {}, tolerance {tolerance}",
                        r * f
                    );
                }
            }
        }
    }
}
