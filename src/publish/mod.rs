//! Publication for residents: a folder of static pages that any web server, object store or
//! USB stick can serve, with no code running behind it. Each grid has a page at a stable
//! address (`g/<code>/index.html`, what a board's QR code points to) that reads as text
//! first (works with scripts off on a slow phone); the township's `index.html` has the map
//! of grids with 我在哪个网格 (`township.rs`) and lists every grid by village with a search
//! (large sites: their upper levels, the rest in tiles and name chunks). Staff mobile
//! numbers are published only for people marked public (or all when asked): otherwise a
//! page gives the supervision hotline. Pages carry `noindex`. Publishing again rewrites
//! only the files that changed (`site.rs`).

mod map;
mod pages;
mod site;
mod township;

pub use crate::records::page_dirs;
pub use pages::{PageOptions, pages};
pub use site::{DATE_MARK, MARKER, Published, write_site};

/// Turns coordinates of the working CRS into longitude and latitude (WGS 84 / CGCS2000)
/// in place; a point it cannot transform becomes NaN.
pub type ToLonLat<'a> = &'a dyn Fn(&mut [geo::Coord<f64>]);

/// What could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The output exists and is not a site written by gridmap: never overwritten.
    #[error(
        "{}：已存在且不是 gridmap 发布的网站文件夹，不会覆盖；请换一个文件夹\n{}: exists and is not a site gridmap published; it is not overwritten, choose another folder",
        .0.display(),
        .0.display()
    )]
    NotASite(std::path::PathBuf),
    /// A file or folder of the site could not be written.
    #[error("{}：无法写入\n{}: cannot write", .path.display(), .path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Text safe inside HTML text and double-quoted attributes.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_name_is_text() {
        assert_eq!(
            html("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
