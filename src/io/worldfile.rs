//! Georeferenced images: a PNG or JPEG with an ESRI world file (.pgw, .jgw, .pngw, .jpgw,
//! .wld) beside it, as scanned township maps come. The world file's six lines are the pixel
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
    /// The image's extent in the working CRS.
    pub extent: Rect<f64>,
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

/// Parse a world file into (pixel width, pixel height (negative), upper-left pixel centre).
pub fn parse_world_file(path: &Path, text: &str) -> Result<(f64, f64, Coord<f64>), LoadError> {
    let nums: Vec<f64> = text
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    if nums.len() != 6 {
        return Err(LoadError::new(
            path,
            format!("坐标文件应有 6 个数，实际有 {} 个。", nums.len()),
            format!("a world file has 6 numbers; this one has {}.", nums.len()),
        ));
    }
    if nums[1] != 0.0 || nums[2] != 0.0 {
        return Err(LoadError::new(
            path,
            "影像带有旋转参数，请先在 GIS 软件中纠正为正北方向。",
            "the image is rotated; rectify it to north-up in a GIS first.",
        ));
    }
    if nums[0] <= 0.0 || nums[3] >= 0.0 {
        return Err(LoadError::new(
            path,
            "像素大小无效。",
            "invalid pixel size.",
        ));
    }
    Ok((
        nums[0],
        nums[3],
        Coord {
            x: nums[4],
            y: nums[5],
        },
    ))
}

/// Load a georeferenced image; refuses images over 100 megapixels.
pub fn load(image_path: &Path) -> Result<GeoImage, LoadError> {
    let wf = world_file_for(image_path).ok_or_else(|| {
        LoadError::new(
            image_path,
            "找不到坐标文件（.pgw/.jgw/.wld）。",
            "no world file (.pgw/.jgw/.wld) next to the image.",
        )
    })?;
    let text = std::fs::read_to_string(&wf)
        .map_err(|e| LoadError::new(&wf, format!("无法读取：{e}"), format!("cannot read: {e}")))?;
    let (px, py, ul) = parse_world_file(&wf, &text)?;
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
    // The world file names pixel centres; the extent runs to the outer pixel edges.
    let min = Coord {
        x: ul.x - px / 2.0,
        y: ul.y - py / 2.0 + py * h as f64,
    };
    let max = Coord {
        x: ul.x - px / 2.0 + px * w as f64,
        y: ul.y - py / 2.0,
    };
    Ok(GeoImage {
        path: image_path.to_path_buf(),
        width: w,
        height: h,
        rgba: img.into_raw(),
        extent: Rect::new(min, max),
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
    fn rotated_or_missing_world_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("a.png");
        image::RgbaImage::new(2, 2).save(&img).unwrap();
        assert!(load(&img).unwrap_err().en.contains("no world file"));
        std::fs::write(dir.path().join("a.pgw"), "1\n0.5\n0\n-1\n0\n0\n").unwrap();
        assert!(load(&img).unwrap_err().en.contains("rotated"));
    }
}
