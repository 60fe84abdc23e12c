//! `gridmap print`: the sheet's arguments, turned into print options, composed and written.

use super::input::Input;
use gridmap::commands::{self, ArgError, CommandError};
use gridmap::print::{Layout, Orientation, Paper, PrintDate, PrintOptions};
use std::path::PathBuf;

/// `gridmap print`.
#[derive(clap::Args)]
pub struct PrintArgs {
    #[command(flatten)]
    input: Input,
    #[arg(long, value_parser = parse_layout, default_value = "township")]
    layout: Layout,
    /// Grid id or code (village map, board).
    #[arg(long)]
    grid: Option<String>,
    /// A0..A4 or WIDTHxHEIGHT in mm (default: A0 for the township map, else A3).
    #[arg(long, value_parser = Paper::parse)]
    paper: Option<Paper>,
    #[arg(long, conflicts_with = "portrait")]
    landscape: bool,
    #[arg(long)]
    portrait: bool,
    /// Fixed scale denominator, e.g. 10000 for 1:10 000 (default: fit, rounded).
    #[arg(long)]
    scale: Option<f64>,
    /// Page margin in mm.
    #[arg(long)]
    margin: Option<f64>,
    #[command(flatten)]
    texts: SheetTexts,
    #[command(flatten)]
    marks: SheetMarks,
    /// Date in the footer and the PDF (YYYY-MM-DD; default today, or SOURCE_DATE_EPOCH).
    #[arg(long, value_parser = parse_date)]
    date: Option<PrintDate>,
    /// PNG resolution.
    #[arg(long, default_value_t = 300)]
    dpi: u32,
    #[arg(long)]
    out: PathBuf,
}

/// The texts printed on the sheet.
#[derive(clap::Args)]
struct SheetTexts {
    #[arg(long)]
    title: Option<String>,
    /// 制图单位 (default: the town's name + 人民政府, or the project's print settings).
    #[arg(long)]
    office: Option<String>,
    /// 监督电话 (supervision hotline).
    #[arg(long)]
    hotline: Option<String>,
    /// Text file with the 工作职责 printed on boards.
    #[arg(long)]
    duties: Option<PathBuf>,
    /// What the QR codes say: an address in which {code}, {id} and {name} stand for the
    /// grid's (default: the grid's code; `--hide qr` leaves them out).
    #[arg(long)]
    qr_url: Option<String>,
    /// The address the website of `gridmap publish` is served at: each QR code opens its
    /// grid's page there (the same as --qr-url URL/g/{page}/).
    #[arg(long, conflicts_with = "qr_url")]
    base_url: Option<String>,
}

/// How the map is drawn and what is left out.
#[derive(clap::Args)]
struct SheetMarks {
    /// Black and white with hatching instead of colour fills.
    #[arg(long)]
    mono: bool,
    /// Coordinate ticks (km) around the map frame.
    #[arg(long)]
    ticks: bool,
    /// Leave out layers or marks: rivers, reservoirs, villages, labels, codes, inset
    /// (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    hide: Vec<String>,
    /// Atlas of village division maps instead of display boards.
    #[arg(long)]
    atlas_villages: bool,
}

impl PrintArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = self.input.load()?;
        let opts = self.options()?.with_project_defaults(&project);
        for (zh, en) in gridmap::print::preflight(&project, &opts) {
            eprintln!(
                "{}",
                gridmap::error::bilingual(&format!("注意：{zh}"), &format!("note: {en}"))
            );
        }
        let printed = commands::print(&project, &opts, &self.out, self.dpi)?;
        for (page, names) in &printed.omitted {
            eprintln!("{}", omitted_labels(page, names));
        }
        for f in printed.files {
            outln!("{}", f.display())?;
        }
        Ok(0)
    }

    /// The print options these arguments give (before the project's defaults).
    fn options(&self) -> Result<PrintOptions, CommandError> {
        let texts = &self.texts;
        let marks = &self.marks;
        let mut opts = PrintOptions::new(self.layout);
        opts.grid = self.grid.clone();
        opts.paper = self.paper;
        opts.orientation = if self.landscape {
            Orientation::Landscape
        } else if self.portrait {
            Orientation::Portrait
        } else {
            Orientation::Auto
        };
        opts.scale = self.scale;
        opts.margin = self.margin;
        opts.title = texts.title.clone();
        opts.office = texts.office.clone();
        opts.hotline = texts.hotline.clone();
        opts.duties = match &texts.duties {
            Some(p) => {
                Some(
                    std::fs::read_to_string(p).map_err(|source| CommandError::ReadText {
                        path: p.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        opts.qr_url = match &texts.base_url {
            Some(base) => Some(format!("{}/g/{{page}}/", base.trim().trim_end_matches('/'))),
            None => texts.qr_url.clone(),
        };
        opts.mono = marks.mono;
        opts.show.ticks = marks.ticks;
        for h in &marks.hide {
            opts.show.hide(h)?;
        }
        opts.atlas_villages = marks.atlas_villages;
        if let Some(d) = self.date {
            opts.date = d;
        }
        Ok(opts)
    }
}

/// The note for a page whose labels found no room: how many, the first ten names.
fn omitted_labels(page: &str, names: &[String]) -> String {
    let (n, shown) = (names.len(), gridmap::print::first_names(names, 10));
    gridmap::error::bilingual(
        &format!("{page}：{n} 个标注放不下：{shown}"),
        &format!("{page}: {n} labels found no room: {shown}"),
    )
}

fn parse_layout(s: &str) -> Result<Layout, ArgError> {
    Layout::parse(s).ok_or_else(|| ArgError::Layout(s.to_string()))
}

fn parse_date(s: &str) -> Result<PrintDate, ArgError> {
    PrintDate::parse(s).ok_or_else(|| ArgError::Date(s.to_string()))
}
