//! Georeferencing a scanned map by control points (what QGIS's Georeferencer does): pairs
//! of an image position and the map coordinate it shows give a transform, fitted by least
//! squares: affine (first-order polynomial, 3 points or more) or projective (4 or more),
//! with each point's residual in metres and the RMS. The result is saved as a world file
//! (affine) beside the image and the points in QGIS's `.points` format (both methods; a
//! projective fit is taken up again from the points).

use super::error::{FitError, LoadError};
use geo::Coord;
use std::path::{Path, PathBuf};

/// One control point: a position on the image (pixels from the upper-left corner of the
/// image, x right, y down; the centre of the first pixel is (0.5, 0.5)) and the map
/// coordinate it shows (the project's CRS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlPoint {
    pub pixel: Coord<f64>,
    pub map: Coord<f64>,
    pub enabled: bool,
}

/// How image positions become map coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// x = a·u + b·v + c, y = d·u + e·v + f (3 points or more).
    #[default]
    Affine,
    /// x = (a·u + b·v + c) / (g·u + h·v + 1), y = (d·u + e·v + f) / (g·u + h·v + 1) (4
    /// points or more): a photographed or tilted scan.
    Projective,
}

impl Method {
    pub fn min_points(self) -> usize {
        match self {
            Method::Affine => 3,
            Method::Projective => 4,
        }
    }
}

/// A fitted transform. Parameters act on normalised coordinates (centred and scaled), so
/// that the fit is well conditioned whatever the image size and map coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub method: Method,
    /// a, b, c, d, e, f, g, h (g = h = 0 for affine).
    params: [f64; 8],
    pixel_norm: (Coord<f64>, f64),
    map_norm: (Coord<f64>, f64),
    /// The distance in metres between each enabled point's map coordinate and where the
    /// transform puts its pixel (in the order of the points; disabled points: their
    /// distance too, for the table).
    pub residuals: Vec<f64>,
    /// Root mean square of the enabled points' residuals.
    pub rms: f64,
}

fn normaliser(points: &[Coord<f64>]) -> (Coord<f64>, f64) {
    let n = points.len().max(1) as f64;
    let c = Coord {
        x: points.iter().map(|p| p.x).sum::<f64>() / n,
        y: points.iter().map(|p| p.y).sum::<f64>() / n,
    };
    let s = points
        .iter()
        .map(|p| (p.x - c.x).hypot(p.y - c.y))
        .fold(0.0, f64::max);
    (c, if s > 0.0 { s } else { 1.0 })
}

fn norm(p: Coord<f64>, (c, s): (Coord<f64>, f64)) -> Coord<f64> {
    Coord {
        x: (p.x - c.x) / s,
        y: (p.y - c.y) / s,
    }
}

/// Solve the least-squares problem A·x ≈ b (rows of A with their b) by the normal equations
/// and Gaussian elimination with partial pivoting; None when singular.
fn least_squares(rows: &[(Vec<f64>, f64)], n: usize) -> Option<Vec<f64>> {
    let mut m = vec![vec![0.0; n + 1]; n];
    for (a, b) in rows {
        for i in 0..n {
            for j in 0..n {
                m[i][j] += a[i] * a[j];
            }
            m[i][n] += a[i] * b;
        }
    }
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| m[x][col].abs().total_cmp(&m[y][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        let row = m[col].clone();
        for (r, line) in m.iter_mut().enumerate() {
            if r != col {
                let f = line[col] / row[col];
                for (x, y) in line.iter_mut().zip(&row).skip(col) {
                    *x -= f * y;
                }
            }
        }
    }
    Some((0..n).map(|i| m[i][n] / m[i][i]).collect())
}

/// Fit `method` to the enabled points.
pub fn fit(points: &[ControlPoint], method: Method) -> Result<Fit, FitError> {
    let on: Vec<&ControlPoint> = points.iter().filter(|p| p.enabled).collect();
    if on.len() < method.min_points() {
        return Err(FitError::TooFew {
            needed: method.min_points(),
            have: on.len(),
        });
    }
    // Pixels within an image gridmap can open, map coordinates on the earth (degrees or
    // metres): anything else is a typo or a hostile file, and would fit to nonsense.
    for (i, p) in on.iter().enumerate() {
        let sane = |c: Coord<f64>, lim: f64| {
            c.x.is_finite() && c.y.is_finite() && c.x.abs() <= lim && c.y.abs() <= lim
        };
        if !sane(p.pixel, 1e7) || !sane(p.map, 1e9) {
            let pair = |c: Coord<f64>| {
                format!(
                    "({}, {})",
                    crate::error::number(c.x),
                    crate::error::number(c.y)
                )
            };
            return Err(FitError::OutOfRange {
                number: i + 1,
                pixel: pair(p.pixel),
                map: pair(p.map),
            });
        }
    }
    let pixel_norm = normaliser(&on.iter().map(|p| p.pixel).collect::<Vec<_>>());
    let map_norm = normaliser(&on.iter().map(|p| p.map).collect::<Vec<_>>());
    let mut rows = Vec::new();
    for p in &on {
        let (u, v) = (norm(p.pixel, pixel_norm), norm(p.map, map_norm));
        match method {
            Method::Affine => {
                rows.push((vec![u.x, u.y, 1.0, 0.0, 0.0, 0.0], v.x));
                rows.push((vec![0.0, 0.0, 0.0, u.x, u.y, 1.0], v.y));
            }
            Method::Projective => {
                rows.push((
                    vec![u.x, u.y, 1.0, 0.0, 0.0, 0.0, -u.x * v.x, -u.y * v.x],
                    v.x,
                ));
                rows.push((
                    vec![0.0, 0.0, 0.0, u.x, u.y, 1.0, -u.x * v.y, -u.y * v.y],
                    v.y,
                ));
            }
        }
    }
    let n = if method == Method::Affine { 6 } else { 8 };
    let x = least_squares(&rows, n).ok_or(FitError::Degenerate)?;
    let mut params = [0.0; 8];
    params[..n].copy_from_slice(&x);
    let mut f = Fit {
        method,
        params,
        pixel_norm,
        map_norm,
        residuals: Vec::new(),
        rms: 0.0,
    };
    f.residuals = points
        .iter()
        .map(|p| {
            let q = f.apply(p.pixel);
            (q.x - p.map.x).hypot(q.y - p.map.y)
        })
        .collect();
    let (sum, k) = points
        .iter()
        .zip(&f.residuals)
        .filter(|(p, _)| p.enabled)
        .fold((0.0, 0usize), |(s, k), (_, r)| (s + r * r, k + 1));
    f.rms = (sum / k as f64).sqrt();
    // A pixel must cover some ground: map points on top of each other give a transform
    // that folds the image onto a line or a point.
    let o = f.apply(Coord { x: 0.0, y: 0.0 });
    let (ex, ey) = (
        f.apply(Coord { x: 1.0, y: 0.0 }),
        f.apply(Coord { x: 0.0, y: 1.0 }),
    );
    let area = (ex.x - o.x) * (ey.y - o.y) - (ex.y - o.y) * (ey.x - o.x);
    if !(area.is_finite() && area.abs() > 1e-18) {
        return Err(FitError::Folded);
    }
    if !f.rms.is_finite() {
        return Err(FitError::Unusable);
    }
    Ok(f)
}

impl Fit {
    /// The map coordinate of an image position.
    pub fn apply(&self, pixel: Coord<f64>) -> Coord<f64> {
        let u = norm(pixel, self.pixel_norm);
        let [a, b, c, d, e, f, g, h] = self.params;
        let w = g * u.x + h * u.y + 1.0;
        let v = Coord {
            x: (a * u.x + b * u.y + c) / w,
            y: (d * u.x + e * u.y + f) / w,
        };
        let (mc, ms) = self.map_norm;
        Coord {
            x: v.x * ms + mc.x,
            y: v.y * ms + mc.y,
        }
    }

    /// The six lines of a world file (affine fits only): A, D, B, E, C, F with C, F the
    /// centre of the upper-left pixel.
    pub fn world_file(&self) -> Option<String> {
        if self.method != Method::Affine {
            return None;
        }
        let o = self.apply(Coord { x: 0.5, y: 0.5 });
        let px = self.apply(Coord { x: 1.5, y: 0.5 });
        let py = self.apply(Coord { x: 0.5, y: 1.5 });
        let nums = [px.x - o.x, px.y - o.y, py.x - o.x, py.y - o.y, o.x, o.y];
        if nums.iter().any(|v| !v.is_finite()) || (nums[0] * nums[3] - nums[1] * nums[2]) == 0.0 {
            return None;
        }
        Some(
            nums.iter()
                .map(|v| format!("{v:.10}"))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        )
    }

    /// The affine transform of a world file's six numbers (A, D, B, E, C, F).
    pub fn from_world_file(n: [f64; 6]) -> Fit {
        let [a, d, b, e, c, f] = n;
        // Pixel corners: the world file speaks of pixel centres.
        let at = |u: f64, v: f64| Coord {
            x: a * (u - 0.5) + b * (v - 0.5) + c,
            y: d * (u - 0.5) + e * (v - 0.5) + f,
        };
        let points: Vec<ControlPoint> = [(0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0)]
            .iter()
            .map(|&(u, v)| ControlPoint {
                pixel: Coord { x: u, y: v },
                map: at(u, v),
                enabled: true,
            })
            .collect();
        fit(&points, Method::Affine).unwrap_or_else(|_| Fit {
            method: Method::Affine,
            params: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            pixel_norm: (Coord { x: 0.0, y: 0.0 }, 1.0),
            map_norm: (Coord { x: 0.0, y: 0.0 }, 1.0),
            residuals: Vec::new(),
            rms: 0.0,
        })
    }
}

/// The points file beside an image: `scan.png.points` (as QGIS names it).
pub fn points_path(image: &Path) -> PathBuf {
    let mut s = image.as_os_str().to_owned();
    s.push(".points");
    PathBuf::from(s)
}

/// The world file gridmap writes beside an image: `.pgw` for PNG, `.jgw` for JPEG, else
/// `.wld`.
pub fn world_path(image: &Path) -> PathBuf {
    let ext = image
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => image.with_extension("pgw"),
        "jpg" | "jpeg" => image.with_extension("jgw"),
        _ => image.with_extension("wld"),
    }
}

/// The points in QGIS's format (`mapX,mapY,sourceX,sourceY,enable,dX,dY,residual`; the
/// source y is negative downwards, as QGIS writes it), with the method in a comment.
pub fn points_text(points: &[ControlPoint], fit: Option<&Fit>, method: Method) -> String {
    let mut out = format!(
        "#gridmap method={}\nmapX,mapY,sourceX,sourceY,enable,dX,dY,residual\n",
        match method {
            Method::Affine => "affine",
            Method::Projective => "projective",
        }
    );
    for (i, p) in points.iter().enumerate() {
        let (dx, dy, r) = match fit {
            Some(f) => {
                let q = f.apply(p.pixel);
                (
                    q.x - p.map.x,
                    q.y - p.map.y,
                    f.residuals.get(i).copied().unwrap_or(0.0),
                )
            }
            None => (0.0, 0.0, 0.0),
        };
        out.push_str(&format!(
            "{},{},{},{},{},{dx},{dy},{r}\n",
            p.map.x,
            p.map.y,
            p.pixel.x,
            -p.pixel.y,
            u8::from(p.enabled)
        ));
    }
    out
}

/// Read a points file; the method named in it (affine unless it says projective).
pub fn read_points(path: &Path) -> Result<(Vec<ControlPoint>, Method), LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::new(path, format!("无法读取：{e}"), format!("cannot read: {e}")))?;
    let method = if text.contains("method=projective") {
        Method::Projective
    } else {
        Method::Affine
    };
    let mut points = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("mapX") {
            continue;
        }
        let f: Vec<f64> = line
            .split(',')
            .take(5)
            .map(|t| t.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                LoadError::new(
                    path,
                    format!("第 {} 行不是控制点：{e}", n + 1),
                    format!("line {} is not a control point: {e}", n + 1),
                )
            })?;
        if f.len() < 4 || f.iter().any(|v| !v.is_finite()) {
            return Err(LoadError::new(
                path,
                format!("第 {} 行不完整", n + 1),
                format!("line {} is incomplete", n + 1),
            ));
        }
        points.push(ControlPoint {
            map: Coord { x: f[0], y: f[1] },
            pixel: Coord { x: f[2], y: -f[3] },
            enabled: f.get(4).is_none_or(|e| *e != 0.0),
        });
    }
    Ok((points, method))
}

/// Save the georeferencing of `image`: the points file, and the world file when the fit is
/// affine. The files written.
pub fn save(
    image: &Path,
    points: &[ControlPoint],
    fit: &Fit,
) -> Result<Vec<PathBuf>, super::WriteError> {
    let mut written = Vec::new();
    let pts = points_path(image);
    super::write_atomic(&pts, points_text(points, Some(fit), fit.method).as_bytes())
        .map_err(|e| super::WriteError::io(&pts, &e))?;
    written.push(pts);
    if let Some(w) = fit.world_file() {
        let path = world_path(image);
        super::write_atomic(&path, w.as_bytes()).map_err(|e| super::WriteError::io(&path, &e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(p: Coord<f64>) -> Coord<f64> {
        Coord {
            x: 625_000.0 + 2.0 * p.x + 0.3 * p.y,
            y: 2_812_000.0 + 0.2 * p.x - 2.0 * p.y,
        }
    }

    fn points(f: impl Fn(Coord<f64>) -> Coord<f64>) -> Vec<ControlPoint> {
        [
            (10.0, 10.0),
            (390.0, 20.0),
            (380.0, 290.0),
            (15.0, 280.0),
            (200.0, 150.0),
        ]
        .iter()
        .map(|&(x, y)| {
            let pixel = Coord { x, y };
            ControlPoint {
                pixel,
                map: f(pixel),
                enabled: true,
            }
        })
        .collect()
    }

    #[test]
    fn an_exact_affine_is_found_with_zero_residuals() {
        let f = fit(&points(known), Method::Affine).unwrap();
        assert!(f.rms < 1e-6, "{}", f.rms);
        let q = f.apply(Coord { x: 123.0, y: 45.0 });
        let k = known(Coord { x: 123.0, y: 45.0 });
        assert!((q.x - k.x).abs() < 1e-6 && (q.y - k.y).abs() < 1e-6);
        // The world file round-trips through the world file reader.
        let w = f.world_file().unwrap();
        let n: Vec<f64> = w.lines().map(|l| l.parse().unwrap()).collect();
        let g = Fit::from_world_file([n[0], n[1], n[2], n[3], n[4], n[5]]);
        let r = g.apply(Coord { x: 300.0, y: 7.0 });
        let k = known(Coord { x: 300.0, y: 7.0 });
        assert!(
            (r.x - k.x).abs() < 1e-6 && (r.y - k.y).abs() < 1e-6,
            "{r:?} {k:?}"
        );
    }

    #[test]
    fn a_projective_scan_is_fitted_and_residuals_are_in_metres() {
        let tilt = |p: Coord<f64>| {
            let w = 1.0 + 0.0004 * p.x + 0.0002 * p.y;
            Coord {
                x: 625_000.0 + (2.0 * p.x + 0.1 * p.y) / w,
                y: 2_812_000.0 + (0.1 * p.x - 2.0 * p.y) / w,
            }
        };
        let f = fit(&points(tilt), Method::Projective).unwrap();
        assert!(f.rms < 1e-6, "{}", f.rms);
        let affine = fit(&points(tilt), Method::Affine).unwrap();
        assert!(
            affine.rms > 1.0,
            "an affine cannot follow the tilt: {}",
            affine.rms
        );
        // One point moved 3 m east: its residual is the largest.
        let mut pts = points(known);
        pts[4].map.x += 3.0;
        let f = fit(&pts, Method::Affine).unwrap();
        let worst = f
            .residuals
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(worst, 4);
        assert!(f.rms > 0.5 && f.rms < 3.0);
    }

    #[test]
    fn degenerate_or_absurd_points_give_no_world_file() {
        let at = |u: f64, v: f64, x: f64, y: f64| ControlPoint {
            pixel: Coord { x: u, y: v },
            map: Coord { x, y },
            enabled: true,
        };
        // Every pixel on one map point: zero scale.
        let same = [
            at(0.0, 0.0, 500000.0, 2800000.0),
            at(100.0, 0.0, 500000.0, 2800000.0),
            at(0.0, 100.0, 500000.0, 2800000.0),
        ];
        assert!(fit(&same, Method::Affine).is_err());
        // Pixel positions of 1e308.
        let far = [
            at(0.0, 0.0, 500000.0, 2800000.0),
            at(1e308, 0.0, 500100.0, 2800000.0),
            at(0.0, 1e308, 500000.0, 2800100.0),
        ];
        let e = fit(&far, Method::Affine).unwrap_err().to_string();
        assert!(e.contains("超出范围") && e.contains("out of range"), "{e}");
    }

    #[test]
    fn too_few_or_collinear_points_are_refused() {
        let pts = points(known);
        assert!(fit(&pts[..2], Method::Affine).is_err());
        assert!(fit(&pts[..3], Method::Projective).is_err());
        let line: Vec<ControlPoint> = (0..4)
            .map(|i| ControlPoint {
                pixel: Coord {
                    x: f64::from(i),
                    y: f64::from(i),
                },
                map: Coord {
                    x: f64::from(i),
                    y: f64::from(i),
                },
                enabled: true,
            })
            .collect();
        assert!(fit(&line, Method::Affine).is_err());
    }

    #[test]
    fn points_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("scan.png");
        let mut pts = points(known);
        pts[1].enabled = false;
        let f = fit(&pts, Method::Projective).unwrap();
        let written = save(&img, &pts, &f).unwrap();
        assert_eq!(
            written,
            vec![points_path(&img)],
            "no world file for a projective fit"
        );
        let (back, method) = read_points(&points_path(&img)).unwrap();
        assert_eq!(method, Method::Projective);
        assert_eq!(back, pts);
    }
}
