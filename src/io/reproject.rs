//! Reprojection through PROJ (the `proj` crate, with PROJ built in and its database
//! embedded, so a user's machine needs no PROJ files).

use super::SourceCrs;
use super::error::CrsError;
use crate::model::Crs;
use geo::Coord;
use proj::Proj;

/// A transformation between two CRSs, axis order always easting/longitude first.
pub struct Reprojector {
    proj: Option<Proj>,
}

impl Reprojector {
    pub fn new(from: Crs, to: Crs) -> Result<Self, CrsError> {
        if from == to {
            return Ok(Reprojector { proj: None });
        }
        let p =
            Proj::new_known_crs(&from.authority(), &to.authority(), None).map_err(|source| {
                CrsError::Transform {
                    from: from.authority(),
                    to: to.authority(),
                    source,
                }
            })?;
        Ok(Reprojector { proj: Some(p) })
    }

    /// From a CRS as a file names it (an EPSG code or a WKT definition) to `to`.
    pub fn from_source(from: &SourceCrs, to: Crs) -> Result<Self, CrsError> {
        match from {
            SourceCrs::Epsg(c) => Self::new(*c, to),
            SourceCrs::Definition { text, .. } => {
                let p = Proj::new_known_crs(text, &to.authority(), None).map_err(|source| {
                    CrsError::TransformDefinition {
                        to: to.authority(),
                        source,
                    }
                })?;
                Ok(Reprojector { proj: Some(p) })
            }
        }
    }

    /// Transform coordinates in place. Points PROJ cannot transform become NaN, so that
    /// the validity check reports them instead of the load failing as a whole (so this
    /// never fails).
    pub fn apply(&self, coords: &mut [Coord<f64>]) {
        let Some(p) = &self.proj else { return };
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
