//! Text measurement with the bundled CJK font, so labels can be sized and kept apart before
//! the SVG is laid out by usvg with the same font.

use std::sync::OnceLock;

/// Noto Sans CJK SC, subset to GB2312 + Latin-1 (assets/fonts, SIL OFL 1.1).
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Subset.otf");
/// The family name the SVG asks for.
pub const FAMILY: &str = "Noto Sans CJK SC";

struct Metrics {
    face: ttf_parser::Face<'static>,
    upem: f64,
    ascender: f64,
    descender: f64,
}

fn metrics() -> Option<&'static Metrics> {
    static M: OnceLock<Option<Metrics>> = OnceLock::new();
    M.get_or_init(|| {
        let face = ttf_parser::Face::parse(CJK_FONT, 0).ok()?;
        let upem = f64::from(face.units_per_em());
        Some(Metrics {
            ascender: f64::from(face.ascender()) / upem,
            descender: f64::from(face.descender()) / upem,
            face,
            upem,
        })
    })
    .as_ref()
}

/// Width of `s` set at `size` (same unit as `size`). Characters outside the font count as
/// one em, as the fallback glyphs of CJK fonts are.
pub fn width(s: &str, size: f64) -> f64 {
    let s = clipped(s);
    let Some(m) = metrics() else {
        return s.chars().count() as f64 * size;
    };
    s.chars()
        .map(|c| {
            m.face
                .glyph_index(c)
                .and_then(|g| m.face.glyph_hor_advance(g))
                .map(|a| f64::from(a) / m.upem)
                .unwrap_or(1.0)
        })
        .sum::<f64>()
        * size
}

/// Whether the bundled font has a glyph for `c`.
/// The most characters one line of print holds: a name of 100 MB from a damaged file
/// prints as its first characters and an ellipsis, not as a page of 100 MB.
pub const MAX_LINE_CHARS: usize = 300;

/// `s` cut to [`MAX_LINE_CHARS`].
pub fn clipped(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}

pub fn covers(c: char) -> bool {
    metrics().is_none_or(|m| m.face.glyph_index(c).is_some())
}

/// Distance from the top of a line box to its baseline, in em.
pub fn ascent() -> f64 {
    metrics().map(|m| m.ascender).unwrap_or(1.16)
}

/// Height of a line box in em: ascender to descender, the box PDF readers report.
pub fn line_height() -> f64 {
    metrics().map(|m| m.ascender - m.descender).unwrap_or(1.448)
}
