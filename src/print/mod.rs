//! Printed sheets: the township wall map (全镇网格图), village division maps (村网格划分图),
//! per-grid display boards (公示牌) and the atlas of them.
//!
//! Every sheet is composed once as SVG in millimetres ([`compose`]); the same SVG is turned
//! into a vector PDF with the CJK font embedded as a subset (krilla), written as SVG, or
//! rasterised to PNG (resvg), so the PDF and the PNG show the same map.

mod labels;
mod layouts;
mod map;
mod render;
mod svg;
mod text;

pub use render::{preview, to_pdf, to_png, to_svg};
pub use text::CJK_FONT;

use crate::model::Project;

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// 全镇网格图: every grid of the township.
    Township,
    /// 村网格划分图: one level-2 grid, its level-3 grids and their table.
    Village,
    /// 公示牌: one grid's display board.
    Board,
    /// A cover, an index and one board (or village map) per grid.
    Atlas,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Township,
        Layout::Village,
        Layout::Board,
        Layout::Atlas,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Layout::Township => "township",
            Layout::Village => "village",
            Layout::Board => "board",
            Layout::Atlas => "atlas",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Layout::Township => "全镇网格图",
            Layout::Village => "村网格划分图",
            Layout::Board => "网格公示牌",
            Layout::Atlas => "图集",
        }
    }

    pub fn parse(s: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.key() == s)
    }
}

/// Sheet orientation; `Auto` turns the sheet to suit the shape of the area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    Auto,
    Portrait,
    Landscape,
}

/// A paper size in millimetres (portrait: width <= height).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paper {
    pub name: &'static str,
    pub width: f64,
    pub height: f64,
}

impl Paper {
    pub const SIZES: [Paper; 5] = [
        Paper {
            name: "A0",
            width: 841.0,
            height: 1189.0,
        },
        Paper {
            name: "A1",
            width: 594.0,
            height: 841.0,
        },
        Paper {
            name: "A2",
            width: 420.0,
            height: 594.0,
        },
        Paper {
            name: "A3",
            width: 297.0,
            height: 420.0,
        },
        Paper {
            name: "A4",
            width: 210.0,
            height: 297.0,
        },
    ];

    /// "A0".."A4" or a custom "WIDTHxHEIGHT" in millimetres (e.g. "600x900").
    pub fn parse(s: &str) -> Result<Paper, PrintError> {
        let t = s.trim();
        if let Some(p) = Paper::SIZES.iter().find(|p| p.name.eq_ignore_ascii_case(t)) {
            return Ok(*p);
        }
        let dims: Vec<f64> = t
            .split(['x', 'X', '×', '*'])
            .filter_map(|v| v.trim().trim_end_matches("mm").parse().ok())
            .collect();
        match dims[..] {
            [w, h] if (50.0..=5000.0).contains(&w) && (50.0..=5000.0).contains(&h) => Ok(Paper {
                name: "custom",
                width: w.min(h),
                height: w.max(h),
            }),
            _ => Err(PrintError::Paper(s.to_string())),
        }
    }

    pub fn a(n: usize) -> Paper {
        Paper::SIZES[n.min(4)]
    }
}

/// Which layers and marks a map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Show {
    pub rivers: bool,
    pub reservoirs: bool,
    pub villages: bool,
    pub labels: bool,
    pub codes: bool,
    /// Projected coordinate ticks (km) around the map frame.
    pub ticks: bool,
    pub inset: bool,
    /// A QR code (the grid's code, or the project's QR address) on boards and maps.
    pub qr: bool,
}

impl Show {
    /// The names `--hide` takes.
    pub const NAMES: [&'static str; 7] = [
        "rivers",
        "reservoirs",
        "villages",
        "labels",
        "codes",
        "inset",
        "qr",
    ];

    /// Turn off the layer or mark called `name`.
    pub fn hide(&mut self, name: &str) -> Result<(), PrintError> {
        let flag = match name.trim() {
            "rivers" => &mut self.rivers,
            "reservoirs" => &mut self.reservoirs,
            "villages" => &mut self.villages,
            "labels" => &mut self.labels,
            "codes" => &mut self.codes,
            "inset" => &mut self.inset,
            "qr" => &mut self.qr,
            other => return Err(PrintError::Hide(other.to_string())),
        };
        *flag = false;
        Ok(())
    }
}

impl Default for Show {
    fn default() -> Self {
        Show {
            rivers: true,
            reservoirs: true,
            villages: true,
            labels: true,
            codes: true,
            ticks: false,
            inset: true,
            qr: true,
        }
    }
}

/// A calendar date printed in the footer and stored as the PDF's creation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrintDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl PrintDate {
    /// "YYYY-MM-DD".
    pub fn parse(s: &str) -> Option<PrintDate> {
        let mut it = s.trim().split('-').map(|p| p.parse::<u32>().ok());
        let (y, m, d) = (it.next()??, it.next()??, it.next()??);
        ((1900..=9999).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)).then_some(
            PrintDate {
                year: y as u16,
                month: m as u8,
                day: d as u8,
            },
        )
    }

    /// Today in the machine's time zone (or the fixed offset `GRIDMAP_UTC_OFFSET` names: a
    /// sheet printed at 07:00 in Beijing carries that day, not yesterday's),
    /// or the day of `SOURCE_DATE_EPOCH` when set, for reproducible builds.
    pub fn today() -> PrintDate {
        let secs = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_else(crate::timing::unix_now);
        PrintDate::from_days(crate::timing::local_days(secs))
    }

    fn from_days(z: i64) -> PrintDate {
        let (year, month, day) = crate::timing::civil_from_days(z);
        PrintDate {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    pub fn zh(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }

    /// "YYYY-MM-DD", as [`Self::parse`] reads it.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// What would print wrong, said before printing (Chinese, English): an empty supervision
/// hotline (the sheet would carry 「监督电话：」 and nothing), and grids on the sheet that
/// still have a working name the app gave them (`…（分）`, `新网格 …`, `…补充网格`).
pub fn preflight(project: &Project, opts: &PrintOptions) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if opts.hotline.as_deref().is_none_or(|h| h.trim().is_empty()) {
        out.push((
            "监督电话为空：图上和公示牌上将印出空的「监督电话：」。请填写监督电话。".to_string(),
            "The supervision hotline is empty: the sheet would print 「监督电话：」 with nothing after it. Fill it in.".to_string(),
        ));
    }
    let on_sheet = |g: &crate::model::Grid| -> bool {
        match (opts.layout, opts.grid.as_deref()) {
            (Layout::Board | Layout::Village, Some(sel)) => {
                let chosen = |x: &str| {
                    project.grids.iter().any(|p| {
                        p.id == x && (p.id == sel || (!p.code.is_empty() && p.code == sel))
                    })
                };
                chosen(&g.id) || g.parent.as_deref().is_some_and(chosen)
            }
            _ => true,
        }
    };
    let working: Vec<&str> = project
        .grids
        .iter()
        .filter(|g| on_sheet(g) && crate::model::working_name::is_working(&g.name))
        .map(|g| g.name.as_str())
        .collect();
    if !working.is_empty() {
        let shown: Vec<&str> = working.iter().take(5).copied().collect();
        let more = if working.len() > shown.len() {
            " …"
        } else {
            ""
        };
        let (n, list) = (working.len(), shown.join("、"));
        out.push((
            format!("{n} 个网格仍是临时名称，将印在图上：{list}{more}。请在属性中改为正式名称。"),
            format!("{n} grids on the sheet still have working names: {list}{more}. Give them their real names under Properties."),
        ));
    }
    out
}

/// Everything a print needs besides the project.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintOptions {
    pub layout: Layout,
    /// The grid of a village map or board (id or code); the atlas ignores it.
    pub grid: Option<String>,
    /// Paper; None picks the layout's usual size (township A0, the others A3).
    pub paper: Option<Paper>,
    pub orientation: Orientation,
    /// Fixed scale 1:N; None fits the area to the map frame at a round scale.
    pub scale: Option<f64>,
    /// Page margin in millimetres; None scales with the paper.
    pub margin: Option<f64>,
    pub title: Option<String>,
    /// 制图单位 in the footer; None uses the town's name + 人民政府.
    pub office: Option<String>,
    /// 监督电话.
    pub hotline: Option<String>,
    /// 工作职责 text on boards; None uses [`DEFAULT_DUTIES`].
    pub duties: Option<String>,
    /// What the QR code says: an address in which `{code}`, `{id}` and `{name}` stand for
    /// the grid's; None (or no placeholder) prints the grid's code itself.
    pub qr_url: Option<String>,
    pub show: Show,
    /// Black and white with hatching instead of colour fills.
    pub mono: bool,
    /// Atlas pages are village maps instead of boards.
    pub atlas_villages: bool,
    pub date: PrintDate,
}

impl PrintOptions {
    pub fn new(layout: Layout) -> Self {
        PrintOptions {
            layout,
            grid: None,
            paper: None,
            orientation: Orientation::Auto,
            scale: None,
            margin: None,
            title: None,
            office: None,
            hotline: None,
            duties: None,
            qr_url: None,
            show: Show::default(),
            mono: false,
            atlas_villages: false,
            date: PrintDate::today(),
        }
    }

    /// Fill office, hotline and duties from the project's saved print settings
    /// (`settings.print`) where the options leave them unset.
    pub fn with_project_defaults(mut self, project: &Project) -> Self {
        let saved = crate::model::ProjectSettings::of(&project.settings).print;
        let keep = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        self.office = self.office.or_else(|| keep(saved.office));
        self.hotline = self.hotline.or_else(|| keep(saved.hotline));
        self.duties = self.duties.or_else(|| keep(saved.duties));
        self.qr_url = self.qr_url.or_else(|| keep(saved.qr_url));
        self
    }

    /// The text of the QR code for grid `g` (one of `project`'s): the address `qr_url`
    /// with `{code}`, `{id}`, `{name}` and `{page}` (the folder of the grid's page in the
    /// published website, `records::page_dir_of`) put in, else the grid's code.
    pub fn qr_text(&self, project: &Project, g: &crate::model::Grid) -> String {
        let code = if g.code.trim().is_empty() {
            g.id.as_str()
        } else {
            g.code.trim()
        };
        match self
            .qr_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(u) if u.contains('{') => {
                let page = if u.contains("{page}") {
                    crate::records::page_dir_of(project, g)
                } else {
                    String::new()
                };
                u.replace("{code}", code)
                    .replace("{id}", &g.id)
                    .replace("{name}", g.label())
                    .replace("{page}", &page)
            }
            Some(u) => u.to_string(),
            None => code.to_string(),
        }
    }
}

/// Duties printed on a display board unless the project has its own text.
pub const DEFAULT_DUTIES: &str = "1. 每周巡查网格内河道、水库至少一次，发现乱占、乱采、乱堆、乱建和违法排污等问题及时劝阻并上报；\n\
2. 宣传河湖保护法律法规和河长制工作要求，引导群众爱河护河；\n\
3. 督促保洁人员做好河道、水面和岸坡保洁，配合做好河湖问题整改；\n\
4. 建立网格巡查台账，按时填报巡河记录，接受群众监督。";

/// A placed label: its text and its box on the page (millimetres, y down).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLabel {
    pub text: String,
    pub rect: [f64; 4],
}

/// The first `k` of `names` joined for a note (「、」), with " …" when there are more: a
/// township map of thousands of grids too small to label names them all in its
/// [`PageMeta::omitted`].
pub fn first_names(names: &[String], k: usize) -> String {
    let shown: Vec<&str> = names.iter().take(k).map(String::as_str).collect();
    let more = if names.len() > shown.len() {
        " …"
    } else {
        ""
    };
    format!("{}{more}", shown.join("、"))
}

/// Facts about a composed page that tests and the preview check against the pixels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageMeta {
    pub labels: Vec<PlacedLabel>,
    /// Labels that found no free place inside their polygon (named so the user can act).
    pub omitted: Vec<String>,
    /// Labels printed without their code line for want of room.
    pub shortened: Vec<String>,
    /// Scale denominator N of 1:N for the main map.
    pub scale: Option<f64>,
    /// Scale bar: left and right end x, y (mm) and the length it stands for (m).
    pub scale_bar: Option<([f64; 3], f64)>,
    /// The main map frame [x, y, w, h] in mm and the world rectangle [minx, miny, maxx, maxy]
    /// it shows, so a page position can be turned into map coordinates.
    pub frame: Option<([f64; 4], [f64; 4])>,
}

/// One composed sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Short name for file names and the PDF outline ("cover", a grid id…).
    pub name: String,
    pub width: f64,
    pub height: f64,
    /// The whole sheet as SVG, user units in millimetres.
    pub svg: String,
    pub meta: PageMeta,
}

/// A composed print: one page, or many for an atlas.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub date: PrintDate,
    pub pages: Vec<Page>,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("没有可打印的网格\nthe project has no grids to print")]
    NoGrids,
    #[error(
        "找不到网格「{}」（请用编号或编码）\nno grid with id or code \"{}\"",
        crate::error::quoted(.0),
        crate::error::quoted(.0)
    )]
    UnknownGrid(String),
    #[error("{layout}需要指定网格（--grid）\nthe {key} layout needs a grid (--grid ID)")]
    NeedsGrid {
        layout: &'static str,
        key: &'static str,
    },
    #[error(
        "纸张「{}」无效，请用 A0–A4 或 宽x高（毫米）\nunknown paper \"{}\": use A0-A4 or WIDTHxHEIGHT in mm",
        crate::error::quoted(.0),
        crate::error::quoted(.0)
    )]
    Paper(String),
    #[error("比例尺 1:{} 无效\ninvalid scale 1:{}", crate::error::number(*.0), crate::error::number(*.0))]
    Scale(f64),
    #[error(
        "页边距 {} 毫米无效（0 至纸张短边的四分之一）\ninvalid margin {} mm (0 to a quarter of the paper's shorter side)",
        crate::error::number(*.0),
        crate::error::number(*.0)
    )]
    Margin(f64),
    #[error("分辨率 {0} dpi 无效（72–1200）\ninvalid resolution {0} dpi (72-1200)")]
    Dpi(u32),
    #[error("图幅 {w}×{h} 像素过大\nthe image would be {w}×{h} pixels; lower the dpi or the paper")]
    TooLarge { w: u64, h: u64 },
    #[error(
        "--hide {0}：无此项，可隐藏：{zh}\n--hide {0}: unknown, use one of: {en}",
        zh = Show::NAMES.join("、"),
        en = Show::NAMES.join(", ")
    )]
    Hide(String),
    #[error("SVG 生成失败\ninternal SVG error on page {page}")]
    Svg {
        page: String,
        #[source]
        source: resvg::usvg::Error,
    },
    #[error("PDF 生成失败\nPDF error: page {0} has no size")]
    PageSize(String),
    #[error("PDF 生成失败\nPDF error: page {0} could not be drawn")]
    PageDrawing(String),
    #[error("PDF 生成失败\nPDF error")]
    Pdf(#[source] krilla::error::KrillaError),
    #[error("PNG 编码失败\nPNG error")]
    Png(#[source] png::EncodingError),
    /// Writing the encoded rows failed.
    #[error("PNG 编码失败\nPNG error")]
    PngRows(#[source] std::io::Error),
}

/// Compose the sheets of `opts.layout`.
pub fn compose(project: &Project, opts: &PrintOptions) -> Result<Document, PrintError> {
    if project.grids.is_empty() {
        return Err(PrintError::NoGrids);
    }
    if let Some(s) = opts.scale
        && !(s.is_finite() && (100.0..=10_000_000.0).contains(&s))
    {
        return Err(PrintError::Scale(s));
    }
    if let Some(m) = opts.margin {
        // The smallest paper a layout uses (A4); a larger page allows no more.
        let shorter = opts.paper.map_or(210.0, |p| p.width.min(p.height));
        if !(m.is_finite() && m >= 0.0 && m <= shorter / 4.0) {
            return Err(PrintError::Margin(m));
        }
    }
    layouts::compose(project, opts)
}

/// The grid named by id or code.
pub fn find_grid(project: &Project, key: &str) -> Result<usize, PrintError> {
    let k = key.trim();
    project
        .grids
        .iter()
        .position(|g| g.id == k)
        .or_else(|| {
            project
                .grids
                .iter()
                .position(|g| !g.code.is_empty() && g.code == k)
        })
        .ok_or_else(|| PrintError::UnknownGrid(key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_papers() {
        assert_eq!(
            PrintDate::from_days(0),
            PrintDate {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        // 2026-11-22 is day 20779.
        assert_eq!(PrintDate::from_days(20_779).zh(), "2026年11月22日");
        assert_eq!(PrintDate::parse("2024-02-29").map(|d| d.day), Some(29));
        assert!(PrintDate::parse("2024-13-01").is_none());
        assert_eq!(Paper::parse("a3").map(|p| p.height).ok(), Some(420.0));
        assert_eq!(Paper::parse("900x600mm").map(|p| p.width).ok(), Some(600.0));
        assert!(Paper::parse("B5").is_err());
    }
}
