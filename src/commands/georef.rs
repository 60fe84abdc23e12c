//! Georeferencing a scanned map by control points: parse them, fit, report residuals.

use super::{ArgError, CommandError};
use crate::io;
use std::path::{Path, PathBuf};

/// `--method`: how the control points are fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GeorefMethod {
    Affine,
    Projective,
}

impl From<GeorefMethod> for io::georef::Method {
    fn from(m: GeorefMethod) -> Self {
        match m {
            GeorefMethod::Affine => io::georef::Method::Affine,
            GeorefMethod::Projective => io::georef::Method::Projective,
        }
    }
}

/// `U,V,X,Y`: an image position and its map coordinate.
pub fn parse_control_point(s: &str) -> Result<io::georef::ControlPoint, ArgError> {
    let n: Vec<f64> = s
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ArgError::ControlPointNumber(s.to_string()))?;
    match n[..] {
        [u, v, x, y] if n.iter().all(|f| f.is_finite()) => Ok(io::georef::ControlPoint {
            pixel: geo::Coord { x: u, y: v },
            map: geo::Coord { x, y },
            enabled: true,
        }),
        _ => Err(ArgError::ControlPointCount(s.to_string())),
    }
}

/// A georeferencing done: the points, the fit, the files written.
pub struct Georeferenced {
    pub points: Vec<io::georef::ControlPoint>,
    pub fit: io::georef::Fit,
    pub written: Vec<PathBuf>,
}

/// Fit the control points of `image` (from `points_file`, else `given`, else the image's
/// own `.points`); with `save`, write the points and the world file beside the image.
pub fn georef(
    image: &Path,
    points_file: Option<&Path>,
    given: Vec<io::georef::ControlPoint>,
    method: io::georef::Method,
    save: bool,
) -> Result<Georeferenced, CommandError> {
    let own = io::georef::points_path(image);
    let points = match points_file {
        Some(f) => io::georef::read_points(f)?.0,
        None if !given.is_empty() => given,
        None if own.exists() => io::georef::read_points(&own)?.0,
        None => return Err(CommandError::NoControlPoints(image.to_path_buf())),
    };
    let fit = io::georef::fit(&points, method)?;
    let written = if save {
        io::georef::save(image, &points, &fit)?
    } else {
        Vec::new()
    };
    Ok(Georeferenced {
        points,
        fit,
        written,
    })
}

/// The residual table and the RMS.
pub fn render_georef(g: &Georeferenced) -> String {
    let mut out = String::from("#\tU\tV\tX\tY\tresidual_m\n");
    for (i, (p, r)) in g.points.iter().zip(&g.fit.residuals).enumerate() {
        out.push_str(&format!(
            "{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}{}\n",
            i + 1,
            p.pixel.x,
            p.pixel.y,
            p.map.x,
            p.map.y,
            r,
            if p.enabled { "" } else { "\t(off)" }
        ));
    }
    out.push_str(&format!("RMS {:.3} m\n", g.fit.rms));
    for f in &g.written {
        out.push_str(&format!("{}\n", f.display()));
    }
    out
}
