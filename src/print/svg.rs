//! A small SVG writer in millimetres: the one drawing surface every sheet is composed on.

use super::text;
use std::fmt::Write;

/// Round to 0.01 mm: finer than any printer, and keeps the files small and stable.
fn n(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r}")
}

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal alignment of a text line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Middle,
    End,
}

pub struct Svg {
    out: String,
    defs: String,
    next_id: usize,
}

impl Svg {
    pub fn new() -> Self {
        Svg {
            out: String::new(),
            defs: String::new(),
            next_id: 0,
        }
    }

    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    pub fn def(&mut self, s: &str) {
        self.defs.push_str(s);
        self.defs.push('\n');
    }

    /// Path data of polylines (closed when `close`), points already on the page.
    pub fn path_data<'a>(parts: impl IntoIterator<Item = &'a [[f64; 2]]>, close: bool) -> String {
        let mut d = String::new();
        for pts in parts {
            for (i, p) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{} {}",
                    if i == 0 { "M" } else { "L" },
                    n(p[0]),
                    n(p[1])
                );
            }
            if close && !pts.is_empty() {
                d.push('Z');
            }
        }
        d
    }

    /// A path with the given presentation attributes (`fill="…" stroke="…"`).
    pub fn path(&mut self, d: &str, attrs: &str) {
        if !d.is_empty() {
            let _ = writeln!(self.out, r#"<path d="{d}" {attrs}/>"#);
        }
    }

    pub fn rect(&mut self, r: [f64; 4], attrs: &str) {
        let _ = writeln!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}/>"#,
            n(r[0]),
            n(r[1]),
            n(r[2]),
            n(r[3])
        );
    }

    pub fn line(&mut self, a: [f64; 2], b: [f64; 2], attrs: &str) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" {attrs}/>"#,
            n(a[0]),
            n(a[1]),
            n(b[0]),
            n(b[1])
        );
    }

    pub fn circle(&mut self, c: [f64; 2], r: f64, attrs: &str) {
        let _ = writeln!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}" {attrs}/>"#,
            n(c[0]),
            n(c[1]),
            n(r)
        );
    }

    /// One line of text whose box (ascender to descender) has its top at `top`.
    pub fn text(&mut self, x: f64, top: f64, size: f64, align: Align, s: &str, attrs: &str) {
        self.text_at(x, top + text::ascent() * size, size, align, s, attrs);
    }

    /// One line of text on the baseline `y`.
    pub fn text_at(&mut self, x: f64, y: f64, size: f64, align: Align, s: &str, attrs: &str) {
        if s.trim().is_empty() {
            return;
        }
        let anchor = match align {
            Align::Start => "",
            Align::Middle => r#" text-anchor="middle""#,
            Align::End => r#" text-anchor="end""#,
        };
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}"{anchor} {attrs}>{}</text>"#,
            n(x),
            n(y),
            n(size),
            esc(&text::clipped(s))
        );
    }

    /// One character centred on `c`, turned by `deg` (river names along the line).
    pub fn glyph(&mut self, c: [f64; 2], size: f64, deg: f64, ch: char, attrs: &str) {
        let base = c[1] + (text::ascent() - text::line_height() / 2.0) * size;
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="middle" transform="rotate({} {} {})" {attrs}>{}</text>"#,
            n(c[0]),
            n(base),
            n(size),
            n(deg),
            n(c[0]),
            n(c[1]),
            esc(&ch.to_string())
        );
    }

    pub fn open_group(&mut self, attrs: &str) {
        let _ = writeln!(self.out, "<g {attrs}>");
    }

    pub fn close_group(&mut self) {
        self.out.push_str("</g>\n");
    }

    /// Clip what follows (until `close_group`) to a rectangle.
    pub fn clip_rect(&mut self, r: [f64; 4]) {
        let id = self.id("clip");
        let _ = writeln!(
            self.defs,
            r#"<clipPath id="{id}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>"#,
            n(r[0]),
            n(r[1]),
            n(r[2]),
            n(r[3])
        );
        self.open_group(&format!(r#"clip-path="url(#{id})""#));
    }

    /// The finished document: `width` × `height` millimetres, user unit one millimetre.
    pub fn finish(self, width: f64, height: f64) -> String {
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" "#,
                r#"font-family="{family}" stroke-linejoin="round" stroke-linecap="round">"#,
                "\n<defs>\n{defs}</defs>\n",
                r#"<rect width="{w}" height="{h}" fill="white"/>"#,
                "\n{body}</svg>\n"
            ),
            w = n(width),
            h = n(height),
            family = text::FAMILY,
            defs = self.defs,
            body = self.out
        )
    }
}
