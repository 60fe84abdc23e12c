//! The command line of both binaries (`gridmap`, the app, and `gridmap-cli`, the console
//! program Windows needs): parse the arguments, call the library, print errors once, set
//! the exit code: one function per subcommand, on its argument struct. Not part of the
//! library: each binary includes this module.

/// `print!` to [`Stdout`]: an error only when standard output fails otherwise than by its
/// reader going away.
macro_rules! out {
    ($($t:tt)*) => { std::io::Write::write_fmt(&mut $crate::cli::Stdout, format_args!($($t)*)) };
}

/// `println!` to [`Stdout`], as [`out!`].
macro_rules! outln {
    ($($t:tt)*) => { out!("{}\n", format_args!($($t)*)) };
}

mod audit;
mod bench;
mod db;
mod edit;
mod export;
mod georef;
mod input;
mod print;

use clap::{Parser, Subcommand};
use gridmap::commands::EXIT_BAD_INPUT;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "gridmap",
    version,
    about = "Draw, audit and publish township grid maps (河长制网格化管理). Without a subcommand: open the desktop app.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Project to open in the app (default: the bundled sample township).
    file: Option<PathBuf>,
    /// Open a real window, render the project, save a screenshot (PNG) here and exit.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Open the print dialog (打印) at start.
    #[arg(long = "print")]
    open_print: bool,
}

/// The sample township built into the binary, so the app opens on it from anywhere.
#[cfg(feature = "gui")]
const SAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample-maps/jinping.geojson"
));

/// Open the desktop app on `file`, or on the bundled sample.
#[cfg(feature = "gui")]
fn open_app(
    file: Option<PathBuf>,
    screenshot: Option<PathBuf>,
    open_print: bool,
) -> anyhow::Result<i32> {
    // A file given opens as from the File menu once the window is up: read and prepared
    // on a worker thread while the window comes up (its errors shown there), or through
    // the import dialog (shapefiles, GeoPackages from elsewhere, files naming no CRS).
    let project = match &file {
        Some(_) => gridmap::model::Project::default(),
        None => gridmap::io::geojson::read_bytes(
            std::path::Path::new("sample-maps/jinping.geojson"),
            SAMPLE.as_bytes(),
            &gridmap::io::ReadOptions::default(),
        )?,
    };
    gridmap::ui::run(project, file, screenshot, open_print)?;
    Ok(0)
}

/// A build without the desktop app (`--no-default-features`, the command line alone): say
/// so and which subcommands there are, instead of opening nothing.
#[cfg(not(feature = "gui"))]
fn open_app(
    _file: Option<PathBuf>,
    _screenshot: Option<PathBuf>,
    _open_print: bool,
) -> anyhow::Result<i32> {
    use clap::CommandFactory;
    eprintln!(
        "gridmap: 这个版本只有命令行，没有桌面程序（编译时未启用 gui 功能）；请使用子命令。\n\
         gridmap: this build has the command line only, no desktop app (built without the \
         `gui` feature); use a subcommand.\n"
    );
    Cli::command().write_help(&mut std::io::stderr())?;
    Ok(EXIT_BAD_INPUT)
}

#[derive(Subcommand)]
enum Command {
    /// Audit a grid map: gaps, overlaps, slivers, hierarchy, rivers, records.
    /// Exit 0: no errors; 1: errors found; 2: input could not be read.
    Audit(audit::AuditArgs),
    /// Write the project in the format of --out: .geojson (RFC 7946 unless --keep-crs),
    /// .gpkg (GeoPackage project file), .shp (one shapefile per layer beside it,
    /// OUT_grids.shp, OUT_rivers.shp, ...), .csv (grids with WKT geometry), .kml/.kmz
    /// (WGS 84 for phones: 奥维互动地图, Google Earth), .dxf (CAD, one layer per level).
    Export(export::ExportArgs),
    /// Publish the residents' website (a folder of static pages): one page per grid at
    /// OUT/g/<code>/index.html (what a board's QR code opens), the township's index with the
    /// map (我在哪个网格) and a search. Staff phones only of people marked public, or all with
    /// --public-phones; refused while the audit finds errors unless --allow-errors; replaces
    /// only an earlier publication (rewriting only what changed), never another folder.
    Publish(export::PublishArgs),
    /// River lengths by grid (河、库进网格).
    Rivers(audit::RiversArgs),
    /// Print a sheet: township wall map, village division map, display board (公示牌) or
    /// the atlas of boards, to vector PDF, SVG or PNG (by the extension of --out).
    Print(print::PrintArgs),
    /// Write the grid ledger (网格台账): .xlsx (sheets 网格, 河流, 水库, 人员, 变更记录) or .csv
    /// (one file per sheet).
    Ledger(export::LedgerArgs),
    /// Check grid codes against the project's layout (statistical code + 3-digit sequence
    /// by default); with --renumber, number the children of every grid (or of --parent)
    /// north to south, west to east, and write the project to --out.
    /// Exit 1 when codes break the layout (without --renumber).
    Codes(audit::CodesArgs),
    /// Staff rosters: --import a spreadsheet or CSV (columns 网格编码/网格名称, 职务, 姓名,
    /// 联系电话; matched by code, then name) and write the project to --out; or --export the
    /// roster as .xlsx/.csv. Unmatched rows are listed; exit 1 when there are any.
    Staff(edit::StaffArgs),
    /// Propose level-3 grids for a village from its natural villages (Voronoi cells clipped
    /// to the village, merged toward the household range), replacing its children; prints
    /// them and writes the project to --out.
    Propose(edit::ProposeArgs),
    /// The four bounds (四至) of every grid: neighbours, rivers or the town edge to the
    /// east, south, west and north (hand-written ones marked).
    Bounds(audit::BoundsArgs),
    /// Write a synthetic coverage (Voronoi cells in one parent) for tests and benchmarks.
    Synth(export::SynthArgs),
    /// Georeference a scanned map by control points: each point's residual in metres and
    /// the RMS; --save writes IMAGE.points and (affine) the world file beside the image.
    Georef(georef::GeorefArgs),
    /// Benchmark the audit on synthetic coverages of 1k, 10k and 100k cells and a
    /// densified 100k coverage (about 4 million vertices).
    Bench(bench::BenchArgs),
    /// Benchmark printing on a project (default: the bundled sample): A0 township map to
    /// PDF and to 300 dpi PNG, and the atlas of boards.
    BenchPrint(bench::BenchPrintArgs),
    /// Benchmark editing through the document pipeline the app uses (commit, history,
    /// audit, report and every derived structure) on a synthetic coverage.
    BenchEdit(bench::BenchEditArgs),
    /// The county database (县级数据库, PostgreSQL 15 + PostGIS 3): townships check out
    /// (pull) and check in (push); the county audits and exports the whole county. The
    /// database comes from --url (postgres://user@host:port/db or "host=... dbname=...")
    /// or the PGSERVICE service (~/.pg_service.conf); passwords from ~/.pgpass or
    /// PGPASSWORD, never the command line.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// Benchmark the county database: a county of --townships townships of --cells grids
    /// each: push of one township, pull, and the county audit against the same audit from
    /// a local GeoPackage.
    BenchDb(db::BenchDbArgs),
    /// Regenerate the bundled sample maps (sample-maps/jinping*.geojson).
    #[command(hide = true)]
    MakeSample(export::MakeSampleArgs),
}

fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return open_app(cli.file, cli.screenshot, cli.open_print);
    };
    match command {
        Command::Audit(a) => a.run(),
        Command::Export(a) => a.run(),
        Command::Publish(a) => a.run(),
        Command::Rivers(a) => a.run(),
        Command::Print(a) => a.run(),
        Command::Ledger(a) => a.run(),
        Command::Codes(a) => a.run(),
        Command::Staff(a) => a.run(),
        Command::Propose(a) => a.run(),
        Command::Bounds(a) => a.run(),
        Command::Synth(a) => a.run(),
        Command::Georef(a) => a.run(),
        Command::Bench(a) => a.run(),
        Command::BenchPrint(a) => a.run(),
        Command::BenchEdit(a) => a.run(),
        Command::Db { command } => command.run(),
        Command::BenchDb(a) => a.run(),
        Command::MakeSample(a) => a.run(),
    }
}

/// Standard output for a command's results. A reader that went away (`gridmap audit … |
/// head`) is not an error: the command finishes its work (files it writes are written
/// whole) and the rest of its output goes nowhere, where `print!` would panic. Any other
/// failure (a full disk under `> report.txt`) is an error.
pub struct Stdout;

/// Whether the reader of standard output has gone away.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Stdout {
    fn quiet<T>(r: std::io::Result<T>, gone: T) -> std::io::Result<T> {
        use std::sync::atomic::Ordering;
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(gone)
            }
            r => r.map_err(|e| {
                let (zh, en) = gridmap::error::report_lines(&e);
                std::io::Error::new(
                    e.kind(),
                    gridmap::error::bilingual(
                        &format!("写到标准输出失败：{zh}"),
                        &format!("writing to standard output failed: {en}"),
                    ),
                )
            }),
        }
    }

    fn closed() -> bool {
        STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if Self::closed() {
            return Ok(buf.len());
        }
        Self::quiet(std::io::stdout().lock().write(buf), buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if Self::closed() {
            return Ok(());
        }
        Self::quiet(std::io::stdout().lock().flush(), ())
    }
}

/// Run the command line and end the process with its exit code.
pub fn main() {
    gridmap::process::small_pages();
    match run() {
        Ok(code) => std::process::exit(code),
        // The one place an error is reported: its chain said once in each language, exit
        // code 2.
        Err(e) => {
            eprintln!("gridmap: {}", gridmap::error::report(&*e));
            std::process::exit(EXIT_BAD_INPUT);
        }
    }
}
