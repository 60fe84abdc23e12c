//! Composed pages out: vector PDF through krilla (text stays text, the CJK font embedded as
//! a subset), SVG as composed, PNG rasterised by resvg from the same SVG.

use super::{Document, Page, PrintError, text};
use krilla::geom::Size;
use krilla_svg::{SurfaceExt, SvgSettings};
use resvg::{tiny_skia, usvg};
use std::sync::{Arc, OnceLock};

/// Fonts for a sheet: the bundled font only, so output does not depend on the machine; and,
/// for sheets with characters outside it (rarer place-name characters such as 塆 or 硚),
/// the same with the system's fonts behind it as fallback.
fn options(fallback: bool) -> &'static usvg::Options<'static> {
    static BUNDLED: OnceLock<usvg::Options<'static>> = OnceLock::new();
    static WITH_SYSTEM: OnceLock<usvg::Options<'static>> = OnceLock::new();
    let make = |system: bool| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(text::CJK_FONT.to_vec());
        if system {
            db.load_system_fonts();
        }
        usvg::Options {
            font_family: text::FAMILY.to_string(),
            fontdb: Arc::new(db),
            ..Default::default()
        }
    };
    if fallback {
        WITH_SYSTEM.get_or_init(|| make(true))
    } else {
        BUNDLED.get_or_init(|| make(false))
    }
}

fn tree(page: &Page) -> Result<usvg::Tree, PrintError> {
    let fallback = page.svg.chars().any(|c| !c.is_ascii() && !text::covers(c));
    usvg::Tree::from_str(&page.svg, options(fallback)).map_err(|source| PrintError::Svg {
        page: page.name.clone(),
        source,
    })
}

const PT_PER_MM: f64 = 72.0 / 25.4;

/// The document as a PDF: one page per sheet, real text, an outline entry per page, and the
/// print date as creation date (so the same input and date give the same bytes).
pub fn to_pdf(doc: &Document) -> Result<Vec<u8>, PrintError> {
    use rayon::prelude::*;
    let trees: Vec<usvg::Tree> = doc.pages.par_iter().map(tree).collect::<Result<_, _>>()?;
    let mut pdf = krilla::Document::new();
    let mut outline = krilla::outline::Outline::new();
    for (i, (page, tree)) in doc.pages.iter().zip(&trees).enumerate() {
        let size = Size::from_wh(
            (page.width * PT_PER_MM) as f32,
            (page.height * PT_PER_MM) as f32,
        )
        .ok_or_else(|| PrintError::PageSize(page.name.clone()))?;
        let mut p = pdf.start_page_with(krilla::page::PageSettings::new(size));
        let mut surface = p.surface();
        surface
            .draw_svg(
                tree,
                size,
                SvgSettings {
                    embed_text: true,
                    ..Default::default()
                },
            )
            .ok_or_else(|| PrintError::PageDrawing(page.name.clone()))?;
        surface.finish();
        p.finish();
        if doc.pages.len() > 1 {
            outline.push_child(krilla::outline::OutlineNode::new(
                page_title(page, i),
                krilla::destination::XyzDestination::new(i, krilla::geom::Point::from_xy(0.0, 0.0)),
            ));
        }
    }
    pdf.set_outline(outline);
    let d = doc.date;
    pdf.set_metadata(
        krilla::metadata::Metadata::new()
            .title(doc.title.clone())
            .creator("gridmap".into())
            .language("zh-CN".into())
            .creation_date(
                krilla::metadata::DateTime::new(d.year)
                    .month(d.month)
                    .day(d.day),
            ),
    );
    pdf.finish().map_err(PrintError::Pdf)
}

fn page_title(page: &Page, i: usize) -> String {
    match page.name.as_str() {
        "cover" => "封面".into(),
        n if n.starts_with("index") => "目录".into(),
        n => format!("{} {n}", i + 1),
    }
}

/// The page as an SVG file (millimetre user units; viewers without the font substitute one).
pub fn to_svg(page: &Page) -> String {
    page.svg.clone()
}

/// Largest raster accepted: 40 000 px a side and 800 million pixels (3.2 GB of RGBA).
const MAX_SIDE: u64 = 40_000;
const MAX_PIXELS: u64 = 800_000_000;
/// Rows rendered at a time into PNG.
const BAND: u64 = 1024;

/// The page rasterised at `dpi` as PNG (RGB, pHYs set so it prints at size).
pub fn to_png(page: &Page, dpi: u32) -> Result<Vec<u8>, PrintError> {
    if !(72..=1200).contains(&dpi) {
        return Err(PrintError::Dpi(dpi));
    }
    let px = |mm: f64| (mm / 25.4 * f64::from(dpi)).round().max(1.0) as u64;
    let (w, h) = (px(page.width), px(page.height));
    if w > MAX_SIDE || h > MAX_SIDE || w * h > MAX_PIXELS {
        return Err(PrintError::TooLarge { w, h });
    }
    let tree = tree(page)?;
    // Exactly `dpi` (the pixel size is rounded, the drawing is not stretched to it), as PDF
    // rasterisers do.
    let k = (page.width * f64::from(dpi) / 25.4) as f32 / tree.size().width();
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let ppm = (f64::from(dpi) / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc.write_header().map_err(PrintError::Png)?;
        let mut stream = writer.stream_writer().map_err(PrintError::Png)?;
        // Render and encode in bands of rows, so an A0 sheet at 300 dpi never sits in memory
        // whole (nor the layers resvg makes for clipped groups).
        let mut band = tiny_skia::Pixmap::new(w as u32, BAND.min(h) as u32)
            .ok_or(PrintError::TooLarge { w, h })?;
        let mut rgb = Vec::with_capacity((w * BAND.min(h) * 3) as usize);
        let mut top = 0u64;
        while top < h {
            let rows = BAND.min(h - top);
            band.fill(tiny_skia::Color::WHITE);
            resvg::render(
                &tree,
                tiny_skia::Transform::from_scale(k, k).post_translate(0.0, -(top as f32)),
                &mut band.as_mut(),
            );
            // The page is opaque (white background), so premultiplied RGBA is plain RGB.
            rgb.clear();
            for px in band.data()[..(w * rows * 4) as usize].chunks_exact(4) {
                rgb.extend_from_slice(&px[..3]);
            }
            std::io::Write::write_all(&mut stream, &rgb).map_err(PrintError::PngRows)?;
            top += rows;
        }
        stream.finish().map_err(PrintError::Png)?;
    }
    Ok(out)
}

/// Render the page `px_per_mm` into a white `w`×`h` pixmap.
fn raster(page: &Page, w: u32, h: u32, px_per_mm: f64) -> Result<tiny_skia::Pixmap, PrintError> {
    let tree = tree(page)?;
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(PrintError::TooLarge {
        w: u64::from(w),
        h: u64::from(h),
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let k = (page.width * px_per_mm) as f32 / tree.size().width();
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(k, k),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// A preview of the page whose longer side is `max_side` pixels: (width, height, RGBA).
pub fn preview(page: &Page, max_side: u32) -> Result<(u32, u32, Vec<u8>), PrintError> {
    let k = f64::from(max_side.clamp(16, 8192)) / page.width.max(page.height);
    let (w, h) = (
        (page.width * k).round().max(1.0) as u32,
        (page.height * k).round().max(1.0) as u32,
    );
    let pixmap = raster(page, w, h, k)?;
    Ok((w, h, pixmap.take()))
}
