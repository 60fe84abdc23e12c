//! Keeping printed labels apart: every label, map furniture box and river-name character takes
//! its box on the page, and a label goes only where its box is free.

/// A box on the page: [x0, y0, x1, y1] in millimetres, y down.
pub type Bbox = [f64; 4];

pub fn bbox_of(rect: [f64; 4]) -> Bbox {
    [rect[0], rect[1], rect[0] + rect[2], rect[1] + rect[3]]
}

fn overlaps(a: &Bbox, b: &Bbox) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The boxes already taken on one map.
pub struct Placer {
    taken: rstar::RTree<rstar::primitives::Rectangle<[f64; 2]>>,
    /// Labels stay inside this box (the map frame).
    bounds: Bbox,
    /// Clearance kept around every label.
    pub gap: f64,
}

impl Placer {
    pub fn new(bounds: Bbox, gap: f64) -> Self {
        Placer {
            taken: rstar::RTree::new(),
            bounds,
            gap,
        }
    }

    fn grown(&self, b: &Bbox) -> Bbox {
        [
            b[0] - self.gap,
            b[1] - self.gap,
            b[2] + self.gap,
            b[3] + self.gap,
        ]
    }

    /// Whether every box is inside the bounds and clear of what is taken.
    pub fn free(&self, boxes: &[Bbox]) -> bool {
        boxes.iter().all(|b| {
            let g = self.grown(b);
            b[0] >= self.bounds[0]
                && b[1] >= self.bounds[1]
                && b[2] <= self.bounds[2]
                && b[3] <= self.bounds[3]
                && !self
                    .taken
                    .locate_in_envelope_intersecting(&rstar::AABB::from_corners(
                        [g[0], g[1]],
                        [g[2], g[3]],
                    ))
                    .any(|r| {
                        let (l, u) = (r.lower(), r.upper());
                        overlaps(&g, &[l[0], l[1], u[0], u[1]])
                    })
        })
    }

    pub fn take(&mut self, boxes: &[Bbox]) {
        for b in boxes.iter().filter(|b| b.iter().all(|v| v.is_finite())) {
            self.taken
                .insert(rstar::primitives::Rectangle::from_corners(
                    [b[0], b[1]],
                    [b[2], b[3]],
                ));
        }
    }
}

/// The part of the segment a-b inside the box, if any (Liang–Barsky clipping).
pub fn clip_segment(a: [f64; 2], b: [f64; 2], r: &Bbox) -> Option<([f64; 2], [f64; 2])> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let d = [b[0] - a[0], b[1] - a[1]];
    for (p, q) in [
        (-d[0], a[0] - r[0]),
        (d[0], r[2] - a[0]),
        (-d[1], a[1] - r[1]),
        (d[1], r[3] - a[1]),
    ] {
        if !(p.is_finite() && q.is_finite()) {
            return None;
        }
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some((
        [a[0] + d[0] * t0, a[1] + d[1] * t0],
        [a[0] + d[0] * t1, a[1] + d[1] * t1],
    ))
}

/// Whether the segment a-b crosses or touches the box.
fn segment_hits_box(a: [f64; 2], b: [f64; 2], r: &Bbox) -> bool {
    clip_segment(a, b, r).is_some()
}

fn inside(p: [f64; 2], rings: &[Vec<[f64; 2]>]) -> bool {
    let mut c = false;
    for r in rings {
        for w in r.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a[1] > p[1]) != (b[1] > p[1])
                && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
            {
                c = !c;
            }
        }
    }
    c
}

/// Whether the box lies wholly inside the area bounded by `rings` (page coordinates; holes
/// are rings too, even-odd).
pub fn box_inside(b: &Bbox, rings: &[Vec<[f64; 2]>]) -> bool {
    inside([(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0], rings)
        && !rings
            .iter()
            .any(|r| r.windows(2).any(|w| segment_hits_box(w[0], w[1], b)))
}

/// The box [x0, y0, x1, y1] around `rings` (inverted when they have no point).
pub fn rings_bbox(rings: &[Vec<[f64; 2]>]) -> Bbox {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in rings.iter().flatten() {
        b = [
            b[0].min(p[0]),
            b[1].min(p[1]),
            b[2].max(p[0]),
            b[3].max(p[1]),
        ];
    }
    b
}

/// Candidate centres for a label inside `rings`, best first: the pole of inaccessibility,
/// then points of a lattice over the area ordered by their distance from the boundary.
pub fn candidates(rings: &[Vec<[f64; 2]>], pole: [f64; 2]) -> Vec<[f64; 2]> {
    let [x0, y0, x1, y1] = rings_bbox(rings);
    let mut out = vec![(f64::INFINITY, pole)];
    const N: usize = 20;
    for i in 0..N {
        for j in 0..N {
            let p = [
                x0 + (x1 - x0) * (i as f64 + 0.5) / N as f64,
                y0 + (y1 - y0) * (j as f64 + 0.5) / N as f64,
            ];
            if inside(p, rings) {
                let d = rings
                    .iter()
                    .flat_map(|r| r.windows(2))
                    .map(|w| seg_dist(p, w[0], w[1]))
                    .fold(f64::INFINITY, f64::min);
                out.push((d, p));
            }
        }
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.into_iter().map(|e| e.1).collect()
}

fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1]];
    let l2 = d[0] * d[0] + d[1] * d[1];
    let t = if l2 > 0.0 {
        (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * d[0]).hypot(p[1] - a[1] - t * d[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_inside_an_l_shape_and_apart() {
        // An L: the notch at the top right is outside.
        let ring = vec![vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 4.0],
            [4.0, 4.0],
            [4.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ]];
        assert!(box_inside(&[1.0, 1.0, 9.0, 3.0], &ring));
        assert!(!box_inside(&[1.0, 1.0, 9.0, 5.0], &ring));
        assert!(!box_inside(&[6.0, 6.0, 8.0, 8.0], &ring));
        let c = candidates(&ring, [2.0, 2.0]);
        assert!(c.iter().all(|p| inside(*p, &ring)));
        let mut pl = Placer::new([0.0, 0.0, 10.0, 10.0], 0.5);
        pl.take(&[[1.0, 1.0, 3.0, 3.0]]);
        assert!(!pl.free(&[[3.2, 1.0, 5.0, 3.0]]));
        assert!(pl.free(&[[3.6, 1.0, 5.0, 3.0]]));
        assert!(!pl.free(&[[9.0, 1.0, 11.0, 3.0]]));
    }
}
