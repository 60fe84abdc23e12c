//! Georeferenced images: a PNG or JPEG with control points (`scan.png.points`, written by
//! gridmap's georeferencer or QGIS's) or an ESRI world file (.pgw, .jgw, .pngw, .jpgw, .wld)
//! beside it, as scanned township maps come. The world file's six lines are the pixel
//! width, two rotation terms, the (negative) pixel height and the centre of the upper-left
//! pixel, in the project's CRS.

use super::error::LoadError;
use geo::{Coord, Rect};
use std::path::{Path, PathBuf};

/// A decoded image and where it lies.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoImage {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    /// RGBA8 pixels, row by row from the top.
    pub rgba: Vec<u8>,
    /// The image's extent in the working CRS (the box around its corners).
    pub extent: Rect<f64>,
    /// Where each image position lies (pixels from the upper-left corner).
    pub fit: super::georef::Fit,
}

/// The world file next to `image`: `.pgw`/`.jgw` style, `.pngw`/`.jpgw` style, or `.wld`.
pub fn world_file_for(image: &Path) -> Option<PathBuf> {
    let ext = image.extension()?.to_string_lossy().to_lowercase();
    let mut candidates = Vec::new();
    if ext.len() >= 2 {
        let short = format!("{}{}w", &ext[..1], &ext[ext.len() - 1..]);
        candidates.push(image.with_extension(short));
    }
    candidates.push(image.with_extension(format!("{ext}w")));
    candidates.push(image.with_extension("wld"));
    candidates.into_iter().find(|p| p.exists())
}

/// Parse a world file into its six numbers A, D, B, E, C, F (pixel width, rotation terms,
/// pixel height, centre of the upper-left pixel).
pub fn parse_world_file(path: &Path, text: &str) -> Result<[f64; 6], LoadError> {
    let nums: Vec<f64> = text
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    if nums.len() != 6 || nums.iter().any(|v| !v.is_finite()) {
        return Err(LoadError::new(
            path,
            format!("坐标文件应有 6 个数，实际有 {} 个。", nums.len()),
            format!("a world file has 6 numbers; this one has {}.", nums.len()),
        ));
    }
    // A·E - D·B: zero when the pixels have no area.
    if (nums[0] * nums[3] - nums[1] * nums[2]).abs() < 1e-18 {
        return Err(LoadError::new(
            path,
            "像素大小无效。",
            "invalid pixel size.",
        ));
    }
    Ok([nums[0], nums[1], nums[2], nums[3], nums[4], nums[5]])
}

/// Where the image at `image_path` lies: its control points when it has them (and they
/// fit), else its world file.
pub fn georeferencing(image_path: &Path) -> Result<super::georef::Fit, LoadError> {
    use super::georef;
    let pts = georef::points_path(image_path);
    if pts.exists() {
        let (points, method) = georef::read_points(&pts)?;
        return georef::fit(&points, method).map_err(|e| {
            let (zh, en) = crate::error::report_lines(&e);
            LoadError::new(&pts, zh, en)
        });
    }
    let wf = world_file_for(image_path).ok_or_else(|| {
        LoadError::new(
            image_path,
            "找不到坐标文件（.pgw/.jgw/.wld）或控制点（.points）。",
            "no world file (.pgw/.jgw/.wld) or control points (.points) next to the image.",
        )
    })?;
    let text = std::fs::read_to_string(&wf)
        .map_err(|e| LoadError::new(&wf, format!("无法读取：{e}"), format!("cannot read: {e}")))?;
    Ok(georef::Fit::from_world_file(parse_world_file(&wf, &text)?))
}

/// An image's size and RGBA pixels; refuses images over 100 megapixels.
pub fn read_image(image_path: &Path) -> Result<(u32, u32, Vec<u8>), LoadError> {
    let reader = image::ImageReader::open(image_path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| {
            LoadError::new(
                image_path,
                format!("无法读取影像：{e}"),
                format!("cannot read the image: {e}"),
            )
        })?;
    let (w, h) = reader.into_dimensions().map_err(|e| {
        LoadError::new(
            image_path,
            format!("无法解码影像：{e}"),
            format!("cannot decode the image: {e}"),
        )
    })?;
    if (w as u64) * (h as u64) > 100_000_000 {
        return Err(LoadError::new(
            image_path,
            "影像超过 1 亿像素，请先分块或降低分辨率。",
            "the image has over 100 megapixels; tile it or lower its resolution first.",
        ));
    }
    let img = image::open(image_path)
        .map_err(|e| {
            LoadError::new(
                image_path,
                format!("无法解码影像：{e}"),
                format!("cannot decode the image: {e}"),
            )
        })?
        .to_rgba8();
    Ok((w, h, img.into_raw()))
}

/// Load a georeferenced image.
pub fn load(image_path: &Path) -> Result<GeoImage, LoadError> {
    let fit = georeferencing(image_path)?;
    let (w, h, rgba) = read_image(image_path)?;
    let corners = [
        (0.0, 0.0),
        (w as f64, 0.0),
        (0.0, h as f64),
        (w as f64, h as f64),
    ]
    .map(|(x, y)| fit.apply(Coord { x, y }));
    let min = corners.iter().fold(corners[0], |m, c| Coord {
        x: m.x.min(c.x),
        y: m.y.min(c.y),
    });
    let max = corners.iter().fold(corners[0], |m, c| Coord {
        x: m.x.max(c.x),
        y: m.y.max(c.y),
    });
    Ok(GeoImage {
        path: image_path.to_path_buf(),
        width: w,
        height: h,
        rgba,
        extent: Rect::new(min, max),
        fit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_with_world_file() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("scan.png");
        image::RgbaImage::from_pixel(4, 2, image::Rgba([10, 20, 30, 255]))
            .save(&img)
            .unwrap();
        std::fs::write(
            dir.path().join("scan.pgw"),
            "2.0\n0\n0\n-2.0\n601.0\n2799.0\n",
        )
        .unwrap();
        let g = load(&img).unwrap();
        assert_eq!((g.width, g.height), (4, 2));
        assert_eq!(
            g.extent.min(),
            Coord {
                x: 600.0,
                y: 2796.0
            }
        );
        assert_eq!(
            g.extent.max(),
            Coord {
                x: 608.0,
                y: 2800.0
            }
        );
        assert_eq!(&g.rgba[..4], &[10, 20, 30, 255]);
    }

    #[test]
    fn a_rotated_world_file_is_taken_a_missing_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("a.png");
        image::RgbaImage::new(2, 2).save(&img).unwrap();
        assert!(load(&img).unwrap_err().en.contains("no world file"));
        // 1 m pixels turned: x grows by 0.5 m per row... the upper-left pixel centre at
        // (0, 0).
        std::fs::write(dir.path().join("a.pgw"), "1\n0\n0.5\n-1\n0\n0\n").unwrap();
        let g = load(&img).unwrap();
        let c = g.fit.apply(Coord { x: 2.0, y: 2.0 });
        // Lower-right corner: 1.5 pixels right and down of the first centre.
        assert!(
            (c.x - (1.5 + 0.75)).abs() < 1e-9 && (c.y + 1.5).abs() < 1e-9,
            "{c:?}"
        );
        std::fs::write(dir.path().join("a.pgw"), "0\n0\n0\n0\n0\n0\n").unwrap();
        assert!(load(&img).unwrap_err().en.contains("pixel size"));
    }
}
