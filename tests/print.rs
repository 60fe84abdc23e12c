//! Printed sheets checked the way a print shop or a reader would: the PDF's text through
//! `pdftotext`, its fonts through `pdffonts`, its pixels through `pdftoppm` (poppler-utils),
//! and the PNG against the PDF.

use geo::{Contains, Coord, Distance, Point};
use gridmap::print::{self, Layout, PrintDate, PrintOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{sample, sample_path};

const DATE: PrintDate = PrintDate {
    year: 2026,
    month: 11,
    day: 22,
};

fn opts(layout: Layout) -> PrintOptions {
    let mut o = PrintOptions::new(layout);
    o.date = DATE;
    o.hotline = Some("0739-1234567".into());
    o
}

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn write_pdf(doc: &print::Document, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, print::to_pdf(doc).unwrap()).unwrap();
    path
}

fn pdftotext(pdf: &Path) -> String {
    String::from_utf8(tool("pdftotext", &[pdf.to_str().unwrap(), "-"])).unwrap()
}

/// An RGB raster from pdftoppm (PPM) or from our PNG.
struct Raster {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Raster {
    fn at(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.w + x) * 3;
        [self.px[i], self.px[i + 1], self.px[i + 2]]
    }

    fn ppm(bytes: &[u8]) -> Raster {
        // P6 <w> <h> <max>\n<data>
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let s = i;
            while !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[s..i]).to_string());
        }
        assert_eq!(fields[0], "P6");
        Raster {
            w: fields[1].parse().unwrap(),
            h: fields[2].parse().unwrap(),
            px: bytes[i + 1..].to_vec(),
        }
    }

    fn png(bytes: &[u8]) -> Raster {
        let img = image::load_from_memory(bytes).unwrap().to_rgb8();
        Raster {
            w: img.width() as usize,
            h: img.height() as usize,
            px: img.into_raw(),
        }
    }
}

fn rasterise(pdf: &Path, dpi: u32, page: usize) -> Raster {
    let p = page.to_string();
    Raster::ppm(&tool(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-f",
            &p,
            "-l",
            &p,
            pdf.to_str().unwrap(),
        ],
    ))
}

/// Page millimetres to map coordinates through the frame the page reports.
fn to_world(meta: &print::PageMeta, x: f64, y: f64) -> Coord<f64> {
    let (r, w) = meta.frame.unwrap();
    Coord {
        x: w[0] + (x - r[0]) / r[2] * (w[2] - w[0]),
        y: w[3] - (y - r[1]) / r[3] * (w[3] - w[1]),
    }
}

fn to_page(meta: &print::PageMeta, c: Coord<f64>) -> [f64; 2] {
    let (r, w) = meta.frame.unwrap();
    [
        r[0] + (c.x - w[0]) / (w[2] - w[0]) * r[2],
        r[1] + (w[3] - c.y) / (w[3] - w[1]) * r[3],
    ]
}

/// Word boxes (points) from `pdftotext -bbox`.
fn words(pdf: &Path) -> Vec<(String, [f64; 4])> {
    let html =
        String::from_utf8(tool("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"])).unwrap();
    let attr = |s: &str, k: &str| -> f64 {
        let i = s.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
        s[i..i + s[i..].find('"').unwrap()].parse().unwrap()
    };
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .map(|l| {
            let text = l[l.find('>').unwrap() + 1..l.rfind("</word>").unwrap()].to_string();
            (
                text,
                [
                    attr(l, "xMin"),
                    attr(l, "yMin"),
                    attr(l, "xMax"),
                    attr(l, "yMax"),
                ],
            )
        })
        .collect()
}

const MM: f64 = 72.0 / 25.4;

#[test]
fn township_map_pdf_has_real_text_an_embedded_subset_font_and_every_grid() {
    let p = sample();
    let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "town.pdf");
    let size = std::fs::metadata(&pdf).unwrap().len();
    assert!(size < 5_000_000, "A0 township PDF is {size} bytes");
    let text = pdftotext(&pdf);
    assert!(text.contains("晋屏镇河长制网格化管理网格图"), "title");
    for g in &p.grids {
        if g.level >= 2 {
            assert!(
                text.contains(&g.name),
                "{} missing from the PDF text",
                g.name
            );
        }
        if g.level == 3 && !doc.pages[0].meta.shortened.contains(&g.name) {
            assert!(text.contains(&g.code), "code {} missing", g.code);
        }
    }
    for s in [
        "图",
        "镇界",
        "河流",
        "水库",
        "制图单位",
        "0739-1234567",
        "2026年11月22日",
        "1:20 000",
    ] {
        assert!(text.contains(s), "{s} missing");
    }
    assert!(
        doc.pages[0].meta.omitted.is_empty(),
        "{:?}",
        doc.pages[0].meta.omitted
    );
    // On A0 at most a couple of crowded grids lose their code line.
    assert!(
        doc.pages[0].meta.shortened.len() <= 2,
        "{:?}",
        doc.pages[0].meta.shortened
    );
    let fonts = String::from_utf8(tool("pdffonts", &[pdf.to_str().unwrap()])).unwrap();
    let font_line = fonts
        .lines()
        .find(|l| l.contains("NotoSansCJK"))
        .expect("the CJK font is in the PDF");
    // "emb sub uni": yes yes yes, and the subset tag before the name (ABCDEF+).
    assert!(font_line.contains("yes yes yes"), "{font_line}");
    assert_eq!(font_line.find('+'), Some(6), "{font_line}");
    let info = String::from_utf8(tool("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
    assert!(info.contains("(A0)"), "{info}");
}

#[test]
fn labels_do_not_overlap_and_sit_inside_their_grids() {
    let p = sample();
    let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
    let meta = &doc.pages[0].meta;
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "town.pdf");
    // As the PDF reader sees them: no two words overlap (upright text; the river names are
    // single turned characters and are checked by the composer's own boxes below).
    let ws: Vec<(String, [f64; 4])> = words(&pdf)
        .into_iter()
        .filter(|(t, _)| t.chars().count() > 1)
        .collect();
    assert!(ws.len() > 150, "{} words", ws.len());
    for (i, (ta, a)) in ws.iter().enumerate() {
        for (tb, b) in &ws[i + 1..] {
            let overlap =
                a[0] < b[2] - 0.1 && b[0] < a[2] - 0.1 && a[1] < b[3] - 0.1 && b[1] < a[3] - 0.1;
            assert!(!overlap, "{ta} {a:?} overlaps {tb} {b:?}");
        }
    }
    // Every grid label's centre, taken from the PDF, lies inside that grid.
    let mut checked = 0;
    for g in p.grids.iter().filter(|g| g.level == 3) {
        let (_, b) = ws
            .iter()
            .find(|(t, _)| *t == g.name)
            .unwrap_or_else(|| panic!("{} not in the PDF", g.name));
        let c = to_world(meta, (b[0] + b[2]) / 2.0 / MM, (b[1] + b[3]) / 2.0 / MM);
        assert!(
            g.geometry.contains(&Point(c)),
            "label of {} at {c:?} is outside it",
            g.name
        );
        checked += 1;
    }
    assert_eq!(checked, 59);
    // The composer's boxes (all labels, incl. river characters' neighbours) are disjoint.
    for (i, a) in meta.labels.iter().enumerate() {
        for b in &meta.labels[i + 1..] {
            let (r, s) = (a.rect, b.rect);
            let overlap = r[0] < s[0] + s[2]
                && s[0] < r[0] + r[2]
                && r[1] < s[1] + s[3]
                && s[1] < r[1] + r[3];
            assert!(!overlap, "{} overlaps {}", a.text, b.text);
        }
    }
}

fn is_river_blue(c: [u8; 3]) -> bool {
    // #1e78c8 with anti-aliasing toward white or the fills.
    c[2] > 150 && c[2] as i32 - c[0] as i32 > 70 && c[2] as i32 - c[1] as i32 > 30
}

#[test]
fn rivers_are_drawn_where_they_run_and_the_scale_bar_matches_the_map() {
    let p = sample();
    let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
    let meta = &doc.pages[0].meta;
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "town.pdf");
    let dpi = 50.0;
    let img = rasterise(&pdf, dpi as u32, 1);
    let px = |mm: f64| (mm / 25.4 * dpi).round() as i64;
    // Sample every river every 100 m: river blue within 2 px.
    let (mut hits, mut total) = (0, 0);
    for r in &p.rivers {
        for l in r.lines() {
            for w in l.0.windows(2) {
                let len = (w[1] - w[0]).x.hypot((w[1] - w[0]).y);
                let n = (len / 100.0).ceil() as usize;
                for k in 0..n {
                    let t = k as f64 / n as f64;
                    let c = w[0] + (w[1] - w[0]) * t;
                    let q = to_page(meta, c);
                    let (x, y) = (px(q[0]), px(q[1]));
                    total += 1;
                    let found = (-2..=2).any(|dx| {
                        (-2..=2)
                            .any(|dy| is_river_blue(img.at((x + dx) as usize, (y + dy) as usize)))
                    });
                    hits += usize::from(found);
                }
            }
        }
    }
    assert!(total > 100);
    assert!(
        hits * 100 >= total * 97,
        "river blue at {hits} of {total} samples"
    );
    // Nowhere far from a river or reservoir is river blue (it is not a fill colour).
    let mut stray = 0;
    for y in (0..img.h).step_by(7) {
        for x in (0..img.w).step_by(7) {
            if is_river_blue(img.at(x, y)) {
                let c = to_world(meta, x as f64 * 25.4 / dpi, y as f64 * 25.4 / dpi);
                let near_water = p.rivers.iter().any(|r| {
                    r.lines().any(|l| {
                        l.0.windows(2).any(|w| {
                            geo::Euclidean.distance(&geo::Line::new(w[0], w[1]), &Point(c)) < 250.0
                        })
                    })
                }) || p
                    .reservoirs
                    .iter()
                    .any(|r| geo::Euclidean.distance(&r.geometry, &Point(c)) < 1500.0);
                // The legend's river and reservoir symbols are blue too.
                let in_frame = {
                    let (r, _) = meta.frame.unwrap();
                    let (mx, my) = (x as f64 * 25.4 / dpi, y as f64 * 25.4 / dpi);
                    mx > r[0] && mx < r[0] + r[2] && my > r[1] && my < r[1] + r[3]
                };
                if !near_water
                    && in_frame
                    && !legend_area(meta, x as f64 * 25.4 / dpi, y as f64 * 25.4 / dpi)
                {
                    stray += 1;
                }
            }
        }
    }
    assert_eq!(stray, 0, "river blue away from water");

    // Scale: measure the printed map (the town's east-west extent, its outer line found in
    // the pixels) and the printed scale bar; both must give the same mm per metre within 1%.
    let dpi = 150.0;
    let img = rasterise(&pdf, dpi as u32, 1);
    let px = |mm: f64| mm / 25.4 * dpi;
    let town = p.grids.iter().find(|g| g.level == 1).unwrap();
    let pts: Vec<Coord<f64>> = town
        .geometry
        .0
        .iter()
        .flat_map(|p| p.exterior().0.clone())
        .collect();
    let west = pts
        .iter()
        .copied()
        .min_by(|a, b| a.x.total_cmp(&b.x))
        .unwrap();
    let east = pts
        .iter()
        .copied()
        .max_by(|a, b| a.x.total_cmp(&b.x))
        .unwrap();
    let dark = |c: [u8; 3]| c.iter().all(|v| *v < 90);
    // The outer line's middle along the row through the extreme vertex: scan a window
    // around where it should be and take the middle of the dark run.
    let edge = |c: Coord<f64>| -> f64 {
        let q = to_page(meta, c);
        let (x0, y) = (px(q[0]) as i64, px(q[1]) as i64);
        let run: Vec<i64> = (x0 - 30..=x0 + 30)
            .filter(|&x| (-1..=1).any(|dy| dark(img.at(x as usize, (y + dy) as usize))))
            .collect();
        assert!(!run.is_empty(), "no outline near {q:?}");
        (run[0] + run[run.len() - 1]) as f64 / 2.0
    };
    let map_px_per_m = (edge(east) - edge(west)) / (east.x - west.x);
    let ([bx0, bx1, by], metres) = meta.scale_bar.unwrap();
    // The bar: dark and white boxes in a row just above `by`; find its dark ends.
    let row = px(by - 1.0).round() as usize;
    let xs: Vec<usize> = (px(bx0 - 10.0) as usize..px(bx1 + 10.0) as usize)
        .filter(|&x| dark(img.at(x, row)))
        .collect();
    // From the outer edge of the left end line to the outer edge of the right one, less one
    // line width (the last dark run: the right end line of the white last box).
    let last = xs[xs.len() - 1];
    let stroke = xs
        .iter()
        .rev()
        .take_while(|&&x| xs.contains(&(x + 1)) || x == last)
        .count();
    let bar_px = (last - xs[0] + 1 - stroke) as f64;
    let bar_px_per_m = bar_px / metres;
    let err = (bar_px_per_m / map_px_per_m - 1.0).abs();
    assert!(
        err < 0.01,
        "scale bar {bar_px_per_m} px/m vs map {map_px_per_m} px/m ({err})"
    );
    // And the printed scale text is the frame's.
    assert!(pdftotext(&pdf).contains(&format!("比例尺 1:{}", "20 000")));
    assert_eq!(meta.scale, Some(20_000.0));
}

fn legend_area(meta: &print::PageMeta, x: f64, y: f64) -> bool {
    // The legend sits in a frame corner; its box is not in the meta, so allow the corners.
    let (r, _) = meta.frame.unwrap();
    let cw = r[2] * 0.2;
    let ch = r[3] * 0.35;
    (x < r[0] + cw || x > r[0] + r[2] - cw) && (y < r[1] + ch || y > r[1] + r[3] - ch)
}

#[test]
fn png_shows_the_same_map_as_the_pdf() {
    let p = sample();
    let mut o = opts(Layout::Township);
    o.paper = Some(print::Paper::a(3));
    let doc = print::compose(&p, &o).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "town.pdf");
    let from_pdf = rasterise(&pdf, 72, 1);
    let png = Raster::png(&print::to_png(&doc.pages[0], 72).unwrap());
    assert!(
        (from_pdf.w as i64 - png.w as i64).abs() <= 1
            && (from_pdf.h as i64 - png.h as i64).abs() <= 1
    );
    let (w, h) = (from_pdf.w.min(png.w), from_pdf.h.min(png.h));
    // Compare 8×8 block means: anti-aliasing of hairlines and small text differs between
    // renderers (poppler snaps strokes to pixels), the map does not.
    let block = |r: &Raster, bx: usize, by: usize| -> [f64; 3] {
        let mut s = [0.0; 3];
        for y in by * 8..by * 8 + 8 {
            for x in bx * 8..bx * 8 + 8 {
                let c = r.at(x, y);
                for i in 0..3 {
                    s[i] += f64::from(c[i]) / 64.0;
                }
            }
        }
        s
    };
    let (mut close, mut n) = (0, 0);
    for by in 0..h / 8 {
        for bx in 0..w / 8 {
            let (a, b) = (block(&from_pdf, bx, by), block(&png, bx, by));
            n += 1;
            if (0..3).all(|i| (a[i] - b[i]).abs() <= 24.0) {
                close += 1;
            }
        }
    }
    let share = close as f64 / n as f64;
    assert!(share > 0.99, "only {share} of 8×8 blocks agree");
    // Not a blank page: the pastel fills cover much of it.
    let coloured = (0..h)
        .step_by(3)
        .flat_map(|y| (0..w).step_by(3).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let c = png.at(x, y);
            c.iter().max().unwrap() - c.iter().min().unwrap() > 25
        })
        .count();
    assert!(coloured * 9 > w * h / 5, "{coloured} coloured samples");
}

#[test]
fn display_board_has_the_title_record_four_bounds_and_every_phone() {
    let p = sample();
    let mut o = opts(Layout::Board);
    o.grid = Some("431099101001001".into()); // by code
    let doc = print::compose(&p, &o).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "board.pdf");
    let info = String::from_utf8(tool("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
    assert!(info.contains("(A3)"), "{info}");
    let text = pdftotext(&pdf);
    let g = p.grid("JP01-01").unwrap();
    for s in [
        "上村河长制网格公示牌",
        "上村一组",
        "431099101001001",
        "261 户",
        "803 人",
        "东至",
        "南至",
        "西至",
        "北至",
        "职务",
        "工作职责",
        "监督电话：0739-1234567",
    ] {
        assert!(text.contains(s), "{s} missing from the board");
    }
    for s in &g.staff {
        assert!(text.contains(&s.phone), "phone {} missing", s.phone);
        assert!(text.contains(&s.name), "name {} missing", s.name);
    }
    // Its neighbours are named on the map.
    assert!(text.contains("上村二组") && text.contains("上村四组"));
}

#[test]
fn atlas_has_a_cover_an_index_and_one_board_per_level3_grid() {
    let p = sample();
    let doc = print::compose(&p, &opts(Layout::Atlas)).unwrap();
    let boards: Vec<_> = doc
        .pages
        .iter()
        .filter(|pg| pg.name.starts_with("JP"))
        .collect();
    assert_eq!(boards.len(), 59);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "atlas.pdf");
    let text = pdftotext(&pdf);
    let pages: Vec<&str> = text.split('\x0c').collect();
    assert!(pages[0].contains("晋屏镇河长制网格公示牌图集"));
    assert!(pages[1].contains("目") && pages[1].contains("上村一组"));
    let first = doc
        .pages
        .iter()
        .position(|pg| pg.name.starts_with("JP"))
        .unwrap();
    for (k, page) in doc.pages[first..].iter().enumerate() {
        let g = p.grid(&page.name).unwrap();
        let t = pages[first + k];
        assert!(
            t.contains(&g.name),
            "page {} lacks {}",
            first + k + 1,
            g.name
        );
        for s in &g.staff {
            assert!(t.contains(&s.phone), "page of {} lacks {}", g.name, s.phone);
        }
        assert!(t.contains(&format!("第 {} 页", first + k + 1)));
    }
    // The index points at the right pages.
    let g = p.grid(&doc.pages[first].name).unwrap();
    assert!(pages[1].contains(&g.code));
}

#[test]
fn village_map_lists_its_grids_with_workers_and_phones() {
    let p = sample();
    let mut o = opts(Layout::Village);
    o.grid = Some("JP01-02".into()); // a level-3 grid prints its village
    let doc = print::compose(&p, &o).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "village.pdf");
    let text = pdftotext(&pdf);
    assert!(text.contains("上村网格划分图"));
    for g in p.children_of("JP01") {
        assert!(
            text.contains(&g.name) && text.contains(&g.code),
            "{}",
            g.name
        );
        for s in g.staff.iter().filter(|s| s.role == "网格员") {
            assert!(
                text.contains(&s.name) && text.contains(&s.phone),
                "{}",
                s.name
            );
        }
    }
    for h in ["序号", "网格名称", "网格编码", "网格员", "联系电话"] {
        assert!(text.contains(h));
    }
}

#[test]
fn same_input_and_date_give_the_same_bytes() {
    let p = sample();
    for layout in [Layout::Township, Layout::Board] {
        let mut o = opts(layout);
        o.grid = Some("JP05-01".into());
        let a = print::to_pdf(&print::compose(&p, &o).unwrap()).unwrap();
        let b = print::to_pdf(&print::compose(&p, &o).unwrap()).unwrap();
        assert!(a == b, "{layout:?} PDF differs between runs");
        let doc = print::compose(&p, &o).unwrap();
        assert_eq!(
            print::to_png(&doc.pages[0], 72).unwrap(),
            print::to_png(&doc.pages[0], 72).unwrap()
        );
    }
}

#[test]
fn black_and_white_print_has_no_colour() {
    let p = sample();
    let mut o = opts(Layout::Township);
    o.mono = true;
    o.paper = Some(print::Paper::a(3));
    let doc = print::compose(&p, &o).unwrap();
    let img = Raster::png(&print::to_png(&doc.pages[0], 72).unwrap());
    let mut grey_but_not_white = 0;
    for y in 0..img.h {
        for x in 0..img.w {
            let c = img.at(x, y);
            let spread = c.iter().max().unwrap() - c.iter().min().unwrap();
            assert!(
                spread <= 8,
                "colour {c:?} at {x},{y} in a black-and-white print"
            );
            if c[0] < 200 {
                grey_but_not_white += 1;
            }
        }
    }
    // Hatching shows as grey texture, not blank polygons.
    assert!(
        grey_but_not_white > img.w * img.h / 20,
        "{grey_but_not_white}"
    );
}

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_prints_every_format_and_rejects_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_path();
    let s = sample.to_str().unwrap();
    let out = |n: &str| dir.path().join(n).to_string_lossy().to_string();
    let ok = bin(&[
        "print",
        s,
        "--layout",
        "board",
        "--grid",
        "JP02-01",
        "--paper",
        "A4",
        "--dpi",
        "100",
        "--date",
        "2026-11-22",
        "--out",
        &out("b.png"),
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let png = Raster::png(&std::fs::read(out("b.png")).unwrap());
    assert_eq!((png.w, png.h), (827, 1169), "A4 at 100 dpi");
    let ok = bin(&[
        "print",
        s,
        "--layout",
        "village",
        "--grid",
        "JP02",
        "--landscape",
        "--out",
        &out("v.svg"),
    ]);
    assert!(ok.status.success());
    let svg = std::fs::read_to_string(out("v.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("下村网格划分图"));
    assert!(
        svg.contains(r#"width="420mm" height="297mm""#),
        "landscape A3"
    );
    let ok = bin(&[
        "print",
        s,
        "--layout",
        "township",
        "--paper",
        "A2",
        "--mono",
        "--ticks",
        "--office",
        "晋屏镇河长办",
        "--out",
        &out("t.pdf"),
    ]);
    assert!(ok.status.success());
    assert!(pdftotext(Path::new(&out("t.pdf"))).contains("晋屏镇河长办"));
    for (args, want) in [
        (vec!["--layout", "board", "--grid", "NOPE"], "NOPE"),
        (vec!["--layout", "board"], "--grid"),
        (vec!["--layout", "township", "--paper", "B5"], "B5"),
        (vec!["--layout", "township", "--dpi", "5000"], "5000"),
    ] {
        let mut a = vec!["print", s];
        a.extend(args);
        let target = if want == "5000" {
            out("x.png")
        } else {
            out("x.pdf")
        };
        a.extend(["--out", &target]);
        let r = bin(&a);
        assert!(!r.status.success());
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(want), "{a:?}: {err}");
        assert!(!Path::new(&target).exists());
    }
    let r = bin(&["print", s, "--out", &out("x.docx")]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains(".pdf"));
}

#[test]
fn longitude_latitude_projects_print_at_the_same_scale_and_odd_names_are_escaped() {
    let mut p = sample();
    let rp = gridmap::io::Reprojector::new(p.crs, gridmap::Crs::epsg(4490)).unwrap();
    {
        use geo::MapCoordsInPlace;
        for g in &mut p.grids {
            g.geometry.map_coords_in_place(|c| rp.point(c));
        }
        for r in &mut p.rivers {
            r.geometry.map_coords_in_place(|c| rp.point(c));
        }
        for r in &mut p.reservoirs {
            r.geometry.map_coords_in_place(|c| rp.point(c));
        }
        for b in &mut p.boundary {
            b.geometry.map_coords_in_place(|c| rp.point(c));
        }
        for v in &mut p.villages {
            v.location = Point(rp.point(v.location.0));
        }
    }
    p.crs = gridmap::Crs::epsg(4490);
    p.grids[5].name = "A&B<村>\"组\"".into();
    // 塆 is outside the bundled GB2312 subset: system fonts stand in where there are any.
    p.grids[6].name = "塆里组".into();
    let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
    // Degrees are laid out in metres: the same round scale as the projected original.
    assert_eq!(doc.pages[0].meta.scale, Some(20_000.0));
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "geo.pdf");
    let text = pdftotext(&pdf);
    assert!(
        text.contains("A&B<村>\"组\""),
        "escaped name printed as typed"
    );
}

#[test]
fn a_board_with_a_long_roster_keeps_its_text_apart_and_the_village_atlas_has_every_village() {
    let mut p = sample();
    let i = p.grids.iter().position(|g| g.id == "JP03-01").unwrap();
    for k in 0..14 {
        p.grids[i].staff.push(gridmap::Staff {
            role: "网格协助员".into(),
            name: format!("协助员{k}"),
            phone: format!("139000099{k:02}"),
            public: false,
        });
    }
    let mut o = opts(Layout::Board);
    o.grid = Some("JP03-01".into());
    let doc = print::compose(&p, &o).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "long.pdf");
    let ws = words(&pdf);
    for s in &p.grids[i].staff {
        assert!(ws.iter().any(|(t, _)| *t == s.phone), "{}", s.phone);
    }
    for (k, (ta, a)) in ws.iter().enumerate() {
        for (tb, b) in &ws[k + 1..] {
            let overlap =
                a[0] < b[2] - 0.1 && b[0] < a[2] - 0.1 && a[1] < b[3] - 0.1 && b[1] < a[3] - 0.1;
            assert!(!overlap, "{ta} {a:?} overlaps {tb} {b:?}");
        }
    }
    // Everything stays on the sheet, above the bottom edge.
    let height = 420.0 * MM;
    assert!(ws.iter().all(|(_, b)| b[3] < height));

    let mut o = opts(Layout::Atlas);
    o.atlas_villages = true;
    let doc = print::compose(&p, &o).unwrap();
    let villages: Vec<_> = doc
        .pages
        .iter()
        .filter(|pg| pg.meta.frame.is_some())
        .collect();
    assert_eq!(villages.len(), 20);
    for pg in villages {
        let v = p.grid(&pg.name).unwrap();
        assert_eq!(v.level, 2);
        assert!(pg.svg.contains(&format!("{}网格划分图", v.name)));
    }
}

/// The QR codes found in a raster, decoded.
fn qr_codes(r: &Raster) -> Vec<String> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(r.w, r.h, |x, y| {
        let [a, b, c] = r.at(x, y);
        ((u16::from(a) + u16::from(b) + u16::from(c)) / 3) as u8
    });
    img.detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// A board lists its staff by role (网格长, 河长, 网格员, …, 网格协助员) in text of at least
/// 14 pt on A3, and carries a QR code that reads back as the grid's code, or as the
/// project's address with the code in it.
#[test]
fn boards_order_staff_by_role_in_14_pt_with_a_qr_code_that_reads_back() {
    let mut p = sample();
    let i = p.grids.iter().position(|g| g.id == "JP01-01").unwrap();
    let person = |role: &str, name: &str, phone: &str| gridmap::model::Staff {
        role: role.into(),
        name: name.into(),
        phone: phone.into(),
        public: false,
    };
    p.grids[i].staff = vec![
        person("网格协助员", "甲协助", "13900000101"),
        person("网格员", "乙网格", "13900000102"),
        person("河长", "丙河长", "13900000103"),
        person("网格长", "丁组长", "13900000104"),
    ];
    let mut o = opts(Layout::Board);
    o.grid = Some("JP01-01".into());
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&print::compose(&p, &o).unwrap(), dir.path(), "board.pdf");
    let w = words(&pdf);
    let top = |s: &str| {
        w.iter()
            .find(|(t, _)| t == s)
            .unwrap_or_else(|| panic!("{s} printed"))
            .1
    };
    let order: Vec<f64> = ["丁组长", "丙河长", "乙网格", "甲协助"]
        .iter()
        .map(|s| top(s)[1])
        .collect();
    assert!(order.windows(2).all(|x| x[0] < x[1]), "{order:?}");
    for s in ["丁组长", "13900000104", "网格名称"] {
        let b = top(s);
        assert!(b[3] - b[1] >= 13.5, "{s}: {} pt high", b[3] - b[1]);
    }
    let raster = rasterise(&pdf, 150, 1);
    assert_eq!(qr_codes(&raster), vec!["431099101001001".to_string()]);

    o.qr_url = Some("https://hzz.example.cn/grid/{code}".into());
    let pdf = write_pdf(&print::compose(&p, &o).unwrap(), dir.path(), "board2.pdf");
    assert_eq!(
        qr_codes(&rasterise(&pdf, 150, 1)),
        vec!["https://hzz.example.cn/grid/431099101001001".to_string()]
    );
    o.show.qr = false;
    let pdf = write_pdf(&print::compose(&p, &o).unwrap(), dir.path(), "board3.pdf");
    assert!(qr_codes(&rasterise(&pdf, 150, 1)).is_empty());
}

/// The township map lists every village's 网格长 and 河长 with their phones beside the map,
/// with the town's QR code.
#[test]
fn township_map_lists_every_villages_heads_and_river_chiefs() {
    let p = sample();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(
        &print::compose(&p, &opts(Layout::Township)).unwrap(),
        dir.path(),
        "town.pdf",
    );
    let text = pdftotext(&pdf);
    assert!(text.contains("各村网格长、河长"));
    let villages: Vec<_> = p.grids.iter().filter(|g| g.level == 2).collect();
    assert!(villages.len() > 10);
    for v in villages {
        for role in ["网格长", "河长"] {
            let s = v.staff.iter().find(|s| s.role == role).unwrap();
            assert!(
                text.contains(&s.name) && text.contains(&s.phone),
                "{} {role}",
                v.name
            );
        }
    }
    let town = p.grids.iter().find(|g| g.level == 1).unwrap();
    assert_eq!(qr_codes(&rasterise(&pdf, 72, 1)), vec![town.code.clone()]);
}

/// River names read in order along their rivers (issue 22: 龙溪 printed as 溪龙 where the
/// river was drawn right to left): the glyphs, kept upright, read left to right (or top to
/// bottom where the river runs straight down), so each character of a name lies after the
/// one before it in that direction. Checked on the sample and on the sample with every
/// river drawn the other way, from the glyph boxes `pdftotext` reads in the PDF.
#[test]
fn river_names_read_in_order_whichever_way_the_river_was_drawn() {
    for reversed in [false, true] {
        let mut p = sample();
        if reversed {
            for r in &mut p.rivers {
                for l in &mut r.geometry.0 {
                    l.0.reverse();
                }
            }
        }
        let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pdf = write_pdf(&doc, dir.path(), "town.pdf");
        let w = words(&pdf);
        let centre = |b: &[f64; 4]| [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
        let mut checked = 0;
        for r in p.rivers.iter().filter(|r| r.name.chars().count() >= 2) {
            let chars: Vec<String> = r.name.chars().map(|c| c.to_string()).collect();
            // Each printed character of the name, alone as a word (grid labels are longer).
            let boxes: Vec<Vec<[f64; 4]>> = chars
                .iter()
                .map(|c| w.iter().filter(|(t, _)| t == c).map(|(_, b)| *b).collect())
                .collect();
            for first in &boxes[0] {
                let size = (first[3] - first[1]).max(first[2] - first[0]);
                // The name's next characters follow within a few glyph sizes.
                let mut at = centre(first);
                let mut chain = true;
                for next in &boxes[1..] {
                    let Some(b) = next.iter().find(|b| {
                        let c = centre(b);
                        (c[0] - at[0]).hypot(c[1] - at[1]) < 4.0 * size
                    }) else {
                        chain = false;
                        break;
                    };
                    let c = centre(b);
                    let (dx, dy) = (c[0] - at[0], c[1] - at[1]);
                    assert!(
                        dx > 0.05 * size || (dx.abs() <= 0.05 * size && dy > 0.0),
                        "{} (reversed {reversed}): a character reads before the one ahead of it: {dx:.1}, {dy:.1}",
                        r.name
                    );
                    at = c;
                }
                if chain {
                    checked += 1;
                }
            }
        }
        assert!(
            checked >= 3,
            "the names of at least three rivers found ({checked})"
        );
    }
}

/// A village's name on the township map sits inside one of its level-3 grids, never across
/// their boundaries (issue 22: village labels crossed level-3 boundaries and read as a
/// group's). Read from the PDF: each village name's box, taken back to the map, lies in a
/// single level-3 grid of that village.
#[test]
fn village_names_sit_inside_one_of_their_level3_grids() {
    let p = sample();
    let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
    let meta = &doc.pages[0].meta;
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "town.pdf");
    let ws = words(&pdf);
    let mut checked = 0;
    for v in p.grids.iter().filter(|g| g.level == 2) {
        // The village label: the largest word on the map (not in the table beside it)
        // that is exactly its name.
        let (r, _) = meta.frame.unwrap();
        let on_map = |b: &[f64; 4]| {
            let (x, y) = ((b[0] + b[2]) / 2.0 / MM, (b[1] + b[3]) / 2.0 / MM);
            x > r[0] && x < r[0] + r[2] && y > r[1] && y < r[1] + r[3]
        };
        let Some((_, b)) = ws
            .iter()
            .filter(|(t, b)| *t == v.name && on_map(b))
            .max_by(|a, b| (a.1[3] - a.1[1]).total_cmp(&(b.1[3] - b.1[1])))
        else {
            continue;
        };
        // The box, a little inside its edges (glyph boxes include side bearings).
        let inset = 0.15 * (b[3] - b[1]);
        let corners = [
            (b[0] + inset, b[1] + inset),
            (b[2] - inset, b[1] + inset),
            (b[2] - inset, b[3] - inset),
            (b[0] + inset, b[3] - inset),
        ]
        .map(|(x, y)| Point(to_world(meta, x / MM, y / MM)));
        let home = p
            .grids
            .iter()
            .filter(|g| g.parent.as_deref() == Some(v.id.as_str()))
            .find(|g| corners.iter().all(|c| g.geometry.contains(c)));
        assert!(
            home.is_some(),
            "the name of {} at {b:?} lies across its level-3 grids",
            v.name
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked} village names found");
}

/// Issue 25: the township map of 100,000 grids failed after 27 s (one SVG of more nodes
/// than usvg takes). It prints: the grids drawn as a few paths (fills by colour, outlines
/// by level, thin enough to show the grids), no label where none fits, the villages'
/// staff that fit beside the map and a line saying how many more the ledger has; the
/// village and board sheets of one grid print from the same project.
#[test]
fn a_township_of_100000_grids_prints() {
    let p = gridmap::synth::synthetic_project(100_000, 7, 1);
    let doc = print::compose(&p, &opts(Layout::Township)).unwrap();
    assert_eq!(doc.pages.len(), 1);
    let svg = &doc.pages[0].svg;
    let paths = svg.matches("<path").count();
    assert!(paths < 100, "{paths} paths for 100,000 grids");
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(&doc, dir.path(), "town100k.pdf");
    let text = pdftotext(&pdf);
    assert!(
        text.contains("synthetic town河长制网格化管理网格图"),
        "title"
    );
    // Every village (level 2) is counted: those listed plus those the line names.
    // Each listed village's row has its grid head's phone (the synthetic cells all have
    // one); the map's labels have no phone.
    let listed = text.matches("13900000000").count();
    let more: usize = text
        .split("另有 ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the line of villages not listed");
    assert!(listed > 10, "{listed} villages listed");
    assert_eq!(
        listed + more,
        100_000,
        "{listed} listed + {more} not listed"
    );
    // The map is not ink: at 20 dpi the grids' fills show through their outlines.
    let r = rasterise(&pdf, 20, 1);
    let meta = &doc.pages[0].meta;
    let c = to_page(
        meta,
        geo::Coord {
            x: 500_000.0,
            y: 2_800_000.0,
        },
    );
    let px = r.at((c[0] / 25.4 * 20.0) as usize, (c[1] / 25.4 * 20.0) as usize);
    let lum = px.iter().map(|&v| u32::from(v)).sum::<u32>() / 3;
    assert!(lum > 120, "the map's middle is {px:?}, not ink");
    // One grid's sheets.
    for layout in [Layout::Village, Layout::Board] {
        let mut o = opts(layout);
        o.grid = Some("C050000".into());
        let doc = print::compose(&p, &o).unwrap();
        assert!(!print::to_pdf(&doc).unwrap().is_empty());
    }
}

/// The QR code of a board printed with the website's address opens that grid's page in the
/// site `gridmap publish` wrote (issue 26), and is the address `links.csv` gives it.
#[test]
fn a_boards_qr_code_opens_its_grids_published_page() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let pdf = dir.path().join("board.pdf");
    let base = "https://hzz.example.cn/wangge/";
    let sample = sample_path();
    let (sample, site_s, pdf_s) = (
        sample.to_str().unwrap(),
        site.to_str().unwrap(),
        pdf.to_str().unwrap(),
    );
    common::gridmap_ok(&["publish", sample, "--out", site_s, "--base-url", base]);
    common::gridmap_ok(&[
        "print",
        sample,
        "--layout",
        "board",
        "--grid",
        "JP01-01",
        "--base-url",
        base,
        "--out",
        pdf_s,
    ]);
    let codes = qr_codes(&rasterise(&pdf, 150, 1));
    assert_eq!(codes.len(), 1, "{codes:?}");
    let url = &codes[0];
    let rel = url.strip_prefix(base).unwrap_or_else(|| panic!("{url}"));
    let page = std::fs::read_to_string(site.join(rel).join("index.html")).unwrap();
    let g = sample_grid("JP01-01");
    assert!(page.contains(&format!("<h1>{}</h1>", g.name)), "{page}");
    let links = std::fs::read_to_string(site.join("links.csv")).unwrap();
    assert!(
        links.contains(&format!(
            "\"JP01-01\",\"{}\",\"{}\",\"{url}\"",
            g.code, g.name
        )),
        "{links}"
    );
}

fn sample_grid(id: &str) -> gridmap::Grid {
    sample().grids.into_iter().find(|g| g.id == id).unwrap()
}
