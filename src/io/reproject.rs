//! Reprojection through PROJ (the `proj` crate, with PROJ built in and its database
//! embedded, so a user's machine needs no PROJ files).

use super::SourceCrs;
use super::error::CrsError;
use crate::model::Crs;
use geo::Coord;
use proj::Proj;
use std::cell::RefCell;
use std::collections::HashMap;

/// A transformation between two CRSs, axis order always easting/longitude first.
///
/// Making one asks PROJ's database for the candidate operations (tens of milliseconds);
/// a dropped transformation is kept for the next one between the same CRSs on the same
/// thread (see [`KEPT`]), so an export, a read and the audit after it pay that once.
pub struct Reprojector {
    proj: Option<(Key, Proj)>,
}

/// Source and target as PROJ was given them.
type Key = (String, String);

/// Transformations kept per thread (a `Proj` owns its PROJ context, which must not be
/// shared between threads): at most [`KEPT_PER_PAIR`] of each pair, [`KEPT_PAIRS`] pairs.
const KEPT_PER_PAIR: usize = 2;
const KEPT_PAIRS: usize = 16;

thread_local! {
    static KEPT: RefCell<HashMap<Key, Vec<Proj>>> = RefCell::new(HashMap::new());
}

impl Drop for Reprojector {
    fn drop(&mut self) {
        let Some((key, proj)) = self.proj.take() else {
            return;
        };
        // During the thread's own teardown the pool may be gone: the transformation just
        // drops then.
        let _ = KEPT.try_with(|kept| {
            let mut kept = kept.borrow_mut();
            if kept.len() >= KEPT_PAIRS && !kept.contains_key(&key) {
                return;
            }
            let same = kept.entry(key).or_default();
            if same.len() < KEPT_PER_PAIR {
                same.push(proj);
            }
        });
    }
}

impl Reprojector {
    /// A kept transformation from `from` to `to`, or a new one.
    fn between(from: &str, to: &str) -> Result<Self, proj::ProjCreateError> {
        let key = (from.to_owned(), to.to_owned());
        let kept = KEPT
            .try_with(|kept| kept.borrow_mut().get_mut(&key).and_then(Vec::pop))
            .ok()
            .flatten();
        let proj = match kept {
            Some(p) => p,
            None => Proj::new_known_crs(from, to, None)?,
        };
        Ok(Reprojector {
            proj: Some((key, proj)),
        })
    }

    pub fn new(from: Crs, to: Crs) -> Result<Self, CrsError> {
        if from == to {
            return Ok(Reprojector { proj: None });
        }
        Self::between(&from.authority(), &to.authority()).map_err(|source| CrsError::Transform {
            from: from.authority(),
            to: to.authority(),
            source,
        })
    }

    /// From a CRS as a file names it (an EPSG code or a WKT definition) to `to`.
    pub fn from_source(from: &SourceCrs, to: Crs) -> Result<Self, CrsError> {
        match from {
            SourceCrs::Epsg(c) => Self::new(*c, to),
            SourceCrs::Definition { text, .. } => {
                Self::between(text, &to.authority()).map_err(|source| {
                    CrsError::TransformDefinition {
                        to: to.authority(),
                        source,
                    }
                })
            }
        }
    }

    /// Transform coordinates in place. Points PROJ cannot transform become NaN, so that
    /// the validity check reports them instead of the load failing as a whole (so this
    /// never fails).
    pub fn apply(&self, coords: &mut [Coord<f64>]) {
        let Some((_, p)) = &self.proj else { return };
        let mut tmp: Vec<(f64, f64)> = coords.iter().map(|c| (c.x, c.y)).collect();
        if p.convert_array(&mut tmp).is_err() {
            // Retry point by point to keep the points that do transform.
            for (c, t) in coords.iter().zip(tmp.iter_mut()) {
                *t = p.convert((c.x, c.y)).unwrap_or((f64::NAN, f64::NAN));
            }
        }
        for (c, t) in coords.iter_mut().zip(tmp) {
            c.x = t.0;
            c.y = t.1;
        }
    }

    /// True when it leaves coordinates as they are (the same CRS on both sides).
    pub fn is_identity(&self) -> bool {
        self.proj.is_none()
    }

    pub fn point(&self, c: Coord<f64>) -> Coord<f64> {
        let mut v = [c];
        self.apply(&mut v);
        v[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(from: &str, to: &str) -> usize {
        KEPT.with(|k| {
            k.borrow()
                .get(&(from.to_owned(), to.to_owned()))
                .map_or(0, Vec::len)
        })
    }

    /// A dropped transformation is taken again by the next one between the same CRSs on
    /// the same thread and gives the same coordinates; no more than two of a pair are kept.
    #[test]
    fn transformations_are_kept_and_reused() {
        let (from, to) = ("EPSG:4547", "EPSG:4326");
        let at = Coord {
            x: 349000.0,
            y: 2800000.0,
        };
        // Whatever an earlier test on this thread left.
        KEPT.with(|k| k.borrow_mut().clear());
        let first = Reprojector::new(Crs::epsg(4547), Crs::epsg(4326)).unwrap();
        let p1 = first.point(at);
        drop(first);
        assert_eq!(kept(from, to), 1);
        let again = Reprojector::new(Crs::epsg(4547), Crs::epsg(4326)).unwrap();
        assert_eq!(kept(from, to), 0, "the kept one is taken");
        assert_eq!(again.point(at), p1);
        let more: Vec<_> = (0..3)
            .map(|_| Reprojector::new(Crs::epsg(4547), Crs::epsg(4326)).unwrap())
            .collect();
        drop(again);
        drop(more);
        assert_eq!(kept(from, to), KEPT_PER_PAIR);
        // Another thread has its own.
        std::thread::spawn(move || assert_eq!(kept(from, to), 0))
            .join()
            .unwrap();
    }

    /// Reference value checked with PROJ's cs2cs (see ../shared/STACK.md).
    #[test]
    fn gk_cm114_known_point() {
        let r = Reprojector::new(Crs::epsg(4547), Crs::epsg(4490)).unwrap();
        let p = r.point(Coord {
            x: 349000.0,
            y: 2800000.0,
        });
        assert!((p.x - 112.5006739258).abs() < 1e-9, "{}", p.x);
        assert!((p.y - 25.2988162899).abs() < 1e-9, "{}", p.y);
    }
}
