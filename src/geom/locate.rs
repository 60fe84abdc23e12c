//! Many points against one large polygon: its segments in an R-tree, a point located by
//! the crossings of the ray to its east among the segments whose boxes meet that ray
//! (JTS's `IndexedPointInAreaLocator` in spirit). geo's `Contains` walks every vertex for
//! every point: a township's boundary of 60,000 vertices against every outer segment of
//! its villages took the four bounds of a dense project 30 s.

use geo::{Coord, MultiPolygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

type Seg = GeomWithData<Rectangle<[f64; 2]>, (Coord<f64>, Coord<f64>)>;

/// A polygon made ready for many point-in-polygon questions.
pub struct AreaLocator {
    tree: RTree<Seg>,
    max_x: f64,
}

impl AreaLocator {
    pub fn new(mp: &MultiPolygon<f64>) -> Self {
        let segs: Vec<Seg> =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
                .filter(|(a, b)| a != b)
                .map(|(a, b)| {
                    GeomWithData::new(
                        Rectangle::from_corners(
                            [a.x.min(b.x), a.y.min(b.y)],
                            [a.x.max(b.x), a.y.max(b.y)],
                        ),
                        (a, b),
                    )
                })
                .collect();
        let max_x = segs
            .iter()
            .map(|s| s.data.0.x.max(s.data.1.x))
            .fold(f64::NEG_INFINITY, f64::max);
        AreaLocator {
            tree: RTree::bulk_load(segs),
            max_x,
        }
    }

    /// Whether `p` lies in the interior (on the boundary: false, as geo's `Contains`).
    pub fn contains(&self, p: Coord<f64>) -> bool {
        if p.x.is_nan() || p.y.is_nan() || p.x > self.max_x {
            return false;
        }
        let ray = rstar::AABB::from_corners([p.x, p.y], [self.max_x, p.y]);
        let mut inside = false;
        for s in self.tree.locate_in_envelope_intersecting(&ray) {
            let (a, b) = s.data;
            let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
            if cross == 0.0
                && (a.x.min(b.x)..=a.x.max(b.x)).contains(&p.x)
                && (a.y.min(b.y)..=a.y.max(b.y)).contains(&p.y)
            {
                return false;
            }
            // Half-open in y: a vertex on the ray counts once.
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if x > p.x {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, LineString, Polygon};

    /// A wiggly square with a wiggly hole, against geo's `Contains` at random points and at
    /// every vertex and edge midpoint.
    #[test]
    fn answers_as_geo_contains() {
        let mut rng = fastrand::Rng::with_seed(3);
        let ring = |c: f64, r: f64, n: usize, rng: &mut fastrand::Rng| {
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let t = k as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * (1.0 + 0.2 * (rng.f64() - 0.5));
                    Coord {
                        x: (c + rr * t.cos()).round(),
                        y: (c + rr * t.sin()).round(),
                    }
                })
                .collect();
            pts.dedup();
            pts.push(pts[0]);
            LineString(pts)
        };
        let shell = ring(0.0, 1000.0, 3000, &mut rng);
        let hole = ring(0.0, 300.0, 500, &mut rng);
        let mp = MultiPolygon(vec![Polygon::new(shell.clone(), vec![hole.clone()])]);
        let loc = AreaLocator::new(&mp);
        let mut pts: Vec<Coord<f64>> = (0..20_000)
            .map(|_| Coord {
                x: (rng.f64() - 0.5) * 2600.0,
                y: (rng.f64() - 0.5) * 2600.0,
            })
            .collect();
        for r in [&shell, &hole] {
            for w in r.0.windows(2) {
                pts.push(w[0]);
                pts.push(Coord {
                    x: (w[0].x + w[1].x) / 2.0,
                    y: w[0].y,
                });
            }
        }
        let mut inside = 0;
        for p in pts {
            let want = mp.contains(&p);
            assert_eq!(loc.contains(p), want, "{p:?}");
            inside += usize::from(want);
        }
        assert!(inside > 5_000, "{inside}");
    }
}
