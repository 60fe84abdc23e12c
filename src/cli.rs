//! The command line of both binaries (`gridmap`, the app, and `gridmap-cli`, the console
//! program Windows needs): parse the arguments, call the library, print errors once, set
//! the exit code. Not part of the library: each binary includes this file.

use clap::{Parser, Subcommand};
use gridmap::commands::{self, AuditFormat, EXIT_BAD_INPUT, Lang, TableFormat};
use gridmap::io::ReadOptions;
use gridmap::{AuditConfig, audit};
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
const SAMPLE: &str = include_str!("../sample-maps/jinping.geojson");

/// Open the desktop app on `file`, or on the bundled sample.
fn open_app(
    file: Option<PathBuf>,
    screenshot: Option<PathBuf>,
    open_print: bool,
) -> anyhow::Result<i32> {
    let opts = ReadOptions::default();
    let sample = || {
        gridmap::io::geojson::read_bytes(
            std::path::Path::new("sample-maps/jinping.geojson"),
            SAMPLE.as_bytes(),
            &opts,
        )
    };
    // Shapefiles, GeoPackages from elsewhere and files without a CRS open through the
    // import dialog, over the sample.
    let mut import = None;
    let loaded = match &file {
        Some(f) if gridmap::ui::import::ImportDialog::wanted(f) => {
            import = Some(f.clone());
            sample()
        }
        Some(f) => match gridmap::io::open(&[f.as_path()], &opts) {
            Err(e) if e.needs_crs => {
                import = Some(f.clone());
                sample()
            }
            other => other,
        },
        None => sample(),
    };
    let project = loaded?;
    let path = if import.is_some() { None } else { file };
    gridmap::ui::run(project, path, screenshot, import, open_print)?;
    Ok(0)
}

#[derive(clap::Args, Clone)]
struct Input {
    /// Project file(s): GeoJSON (one FeatureCollection with a `layer` property, or one file
    /// per layer), shapefiles (.shp, one per layer), a GeoPackage (.gpkg), KML/KMZ (.kml,
    /// .kmz) or a CAD drawing (.dxf).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// CRS of input that names none (GeoJSON default: longitude/latitude, RFC 7946; a
    /// shapefile without .prj needs it), e.g. EPSG:4546.
    #[arg(long, value_parser = commands::parse_crs)]
    src_crs: Option<gridmap::Crs>,
    /// Projected working CRS (default: the file's own, or the CGCS2000 GK zone of the data).
    #[arg(long, value_parser = commands::parse_crs)]
    crs: Option<gridmap::Crs>,
    /// Text encoding of shapefile attributes and DXF text (UTF-8, GBK, GB18030, 936, ...),
    /// overriding the .cpg, the DXF code page and detection.
    #[arg(long, value_parser = commands::parse_encoding)]
    encoding: Option<&'static encoding_rs::Encoding>,
    /// Longitude/latitude input is GCJ-02 (traced on a commercial Chinese web map);
    /// convert to WGS 84 first (approximate, about 1 m).
    #[arg(long)]
    gcj02: bool,
    /// Which attribute holds a field, e.g. --field name=XZQMC --field code=XZQDM
    /// (fields: name, code, level, parent, households, population).
    #[arg(long = "field", value_name = "FIELD=COLUMN")]
    fields: Vec<String>,
    /// DXF: the CAD layers to read, e.g. --dxf-layers 村界,组界 (default: all).
    #[arg(long, value_delimiter = ',')]
    dxf_layers: Option<Vec<String>>,
}

impl Input {
    /// Load the files.
    fn load(&self) -> anyhow::Result<gridmap::Project> {
        let fields = commands::parse_field_map(&self.fields).map_err(anyhow::Error::msg)?;
        let opts = ReadOptions {
            working_crs: self.crs,
            source_crs: self.src_crs,
            encoding: self.encoding,
            gcj02: self.gcj02,
            fields,
            dxf_layers: self.dxf_layers.clone(),
        };
        Ok(commands::load(&self.files, &opts)?)
    }

    /// Load and audit: the project's own thresholds, the gap width given here if any.
    fn audit(&self, gap_width: Option<f64>) -> anyhow::Result<(gridmap::Project, gridmap::Report)> {
        let project = self.load()?;
        let mut config = AuditConfig::from_settings(&project.settings);
        if let Some(w) = gap_width {
            config.gap_width = w;
        }
        let auditor = gridmap::Auditor::new(&project, config);
        let report = auditor.report(&project);
        // The process ends soon: leave the auditor's memory to the OS instead of freeing
        // its many small allocations one by one.
        std::mem::forget(auditor);
        Ok((project, report))
    }
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Audit a grid map: gaps, overlaps, slivers, hierarchy, rivers, records.
    /// Exit 0: no errors; 1: errors found; 2: input could not be read.
    Audit {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Write the project in the format of --out: .geojson (RFC 7946 unless --keep-crs),
    /// .gpkg (GeoPackage project file), .shp (one shapefile per layer beside it,
    /// OUT_grids.shp, OUT_rivers.shp, ...), .csv (grids with WKT geometry), .kml/.kmz
    /// (WGS 84 for phones: 奥维互动地图, Google Earth), .dxf (CAD, one layer per level).
    Export {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        out: PathBuf,
        /// GeoJSON: keep the projected working CRS and write the legacy `crs` member.
        #[arg(long)]
        keep_crs: bool,
        /// GeoJSON: one file per layer (OUT_grids.geojson, ...).
        #[arg(long)]
        per_layer: bool,
        /// Shapefile attribute encoding: utf8 (default, with .cpg) or gbk for older software.
        #[arg(long, value_enum, default_value_t = commands::DbfEncodingArg::Utf8)]
        dbf_encoding: commands::DbfEncodingArg,
        /// KML/KMZ: coordinates in GCJ-02 (to overlay commercial Chinese maps in 奥维)
        /// instead of WGS 84.
        #[arg(long)]
        gcj02_out: bool,
    },
    /// River lengths by grid (河、库进网格).
    Rivers {
        #[command(flatten)]
        input: Input,
        /// Gap width in metres (default: the project's setting, else 0.5).
        #[arg(long, value_parser = AuditConfig::parse_gap_width)]
        gap_width: Option<f64>,
        #[arg(long, value_enum, default_value_t = TableFormat::Text)]
        format: TableFormat,
    },
    /// Print a sheet: township wall map, village division map, display board (公示牌) or
    /// the atlas of boards, to vector PDF, SVG or PNG (by the extension of --out).
    Print {
        #[command(flatten)]
        input: Input,
        #[arg(long, value_parser = parse_layout, default_value = "township")]
        layout: gridmap::print::Layout,
        /// Grid id or code (village map, board).
        #[arg(long)]
        grid: Option<String>,
        /// A0..A4 or WIDTHxHEIGHT in mm (default: A0 for the township map, else A3).
        #[arg(long, value_parser = parse_paper)]
        paper: Option<gridmap::print::Paper>,
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
        /// Date in the footer and the PDF (YYYY-MM-DD; default today, or SOURCE_DATE_EPOCH).
        #[arg(long, value_parser = parse_date)]
        date: Option<gridmap::print::PrintDate>,
        /// PNG resolution.
        #[arg(long, default_value_t = 300)]
        dpi: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the grid ledger (网格台账): .xlsx (sheets 网格, 河流, 水库, 人员, 变更记录) or .csv
    /// (one file per sheet).
    Ledger {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check grid codes against the project's layout (statistical code + 3-digit sequence
    /// by default); with --renumber, number the children of every grid (or of --parent)
    /// north to south, west to east, and write the project to --out.
    /// Exit 1 when codes break the layout (without --renumber).
    Codes {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        renumber: bool,
        /// Only the children of these grids (repeatable).
        #[arg(long)]
        parent: Vec<String>,
        #[arg(long, requires = "renumber")]
        out: Option<PathBuf>,
    },
    /// Staff rosters: --import a spreadsheet or CSV (columns 网格编码/网格名称, 职务, 姓名,
    /// 联系电话; matched by code, then name) and write the project to --out; or --export the
    /// roster as .xlsx/.csv. Unmatched rows are listed; exit 1 when there are any.
    Staff {
        #[command(flatten)]
        input: Input,
        #[arg(long, value_name = "ROSTER", conflicts_with = "export")]
        import: Option<PathBuf>,
        #[arg(long, value_name = "ROSTER.xlsx|.csv")]
        export: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Propose level-3 grids for a village from its natural villages (Voronoi cells clipped
    /// to the village, merged toward the household range), replacing its children; prints
    /// them and writes the project to --out.
    Propose {
        #[command(flatten)]
        input: Input,
        /// The village (level-2 grid) id or code.
        #[arg(long)]
        village: String,
        /// Household range per grid (default: the project's audit setting, else 200-300).
        #[arg(long, value_name = "MIN-MAX")]
        households: Option<String>,
        /// Let grid boundaries follow rivers.
        #[arg(long)]
        along_rivers: bool,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The four bounds (四至) of every grid: neighbours, rivers or the town edge to the
    /// east, south, west and north (hand-written ones marked).
    Bounds {
        #[command(flatten)]
        input: Input,
        #[arg(long, value_enum, default_value_t = TableFormat::Text)]
        format: TableFormat,
    },
    /// Write a synthetic coverage (Voronoi cells in one parent) for tests and benchmarks.
    Synth {
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
        cells: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Split every edge into this many pieces (more vertices per cell).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
        densify: u64,
        /// Move one vertex in this many random cells (overlaps and gaps to find).
        #[arg(long, default_value_t = 0)]
        faults: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Georeference a scanned map by control points: each point's residual in metres and
    /// the RMS; --save writes IMAGE.points and (affine) the world file beside the image.
    Georef {
        image: PathBuf,
        /// Control points in QGIS's `.points` format (default: IMAGE.points when it exists).
        #[arg(long, conflicts_with = "point")]
        points: Option<PathBuf>,
        /// A control point: image pixel from the upper-left corner (U right, V down) and
        /// map coordinate in the project's CRS; repeat for each point.
        #[arg(long = "point", value_name = "U,V,X,Y", value_parser = commands::parse_control_point)]
        point: Vec<gridmap::io::georef::ControlPoint>,
        #[arg(long, value_enum, default_value_t = commands::GeorefMethod::Affine)]
        method: commands::GeorefMethod,
        #[arg(long)]
        save: bool,
    },
    /// Benchmark the audit on synthetic coverages of 1k, 10k and 100k cells and a
    /// densified 100k coverage (about 4 million vertices).
    Bench {
        /// Where the synthetic files are written (reused when present).
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
        /// Only the small sizes (1k, 10k).
        #[arg(long)]
        quick: bool,
    },
    /// Benchmark printing on a project (default: the bundled sample): A0 township map to
    /// PDF and to 300 dpi PNG, and the atlas of boards.
    BenchPrint {
        #[arg(default_value = "sample-maps/jinping.geojson")]
        file: PathBuf,
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
    },
    /// Benchmark editing through the document pipeline the app uses (commit, history,
    /// audit, report and every derived structure) on a synthetic coverage.
    BenchEdit {
        /// Number of grids (Voronoi cells).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=2_000_000))]
        cells: u64,
        /// Edits of each kind.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        runs: u64,
    },
    /// The county database (县级数据库, PostgreSQL 15 + PostGIS 3): townships check out
    /// (pull) and check in (push); the county audits and exports the whole county. The
    /// database comes from --url (postgres://user@host:port/db or "host=... dbname=...")
    /// or the PGSERVICE service (~/.pg_service.conf); passwords from ~/.pgpass or
    /// PGPASSWORD, never the command line.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Benchmark the county database: a county of --townships townships of --cells grids
    /// each: push of one township, pull, and the county audit against the same audit from
    /// a local GeoPackage.
    BenchDb {
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(2..=400))]
        townships: u64,
        #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(10..=100_000))]
        cells: u64,
        /// Where the GeoPackage copies are written.
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
    },
    /// Regenerate the bundled sample maps (sample-maps/jinping*.geojson).
    #[command(hide = true)]
    MakeSample {
        #[arg(long, default_value = "sample-maps")]
        out_dir: PathBuf,
    },
}

/// How an audit is reported (`audit`, `db audit`).
#[derive(clap::Args, Clone)]
struct ReportArgs {
    /// Gap width in metres: narrower gaps are slivers, closer edges are near misses
    /// (default: the project's setting, else 0.5).
    #[arg(long, value_parser = AuditConfig::parse_gap_width)]
    gap_width: Option<f64>,
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    format: AuditFormat,
    #[arg(long, value_enum, default_value_t = Lang::Zh)]
    lang: Lang,
    /// JSON and GeoJSON: leave the geometry of the findings out (null). Record
    /// findings carry a point inside their grid, the others their area or lines.
    #[arg(long)]
    no_geometry: bool,
}

impl ReportArgs {
    /// Write the report to stdout; the exit code.
    fn write(&self, project: &gridmap::Project, report: &gridmap::Report) -> anyhow::Result<i32> {
        let mut clock = std::time::Instant::now();
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        commands::write_audit(
            project,
            report,
            self.format,
            self.lang,
            !self.no_geometry,
            &mut out,
        )
        .map_err(anyhow::Error::msg)?;
        std::io::Write::flush(&mut out)?;
        gridmap::timing::phase("write report", &mut clock);
        Ok(commands::audit_exit_code(report))
    }
}

#[derive(clap::Args, Clone)]
struct DbUrl {
    /// The county database: postgres://user@host:port/db, "host=... dbname=..." or
    /// "service=NAME" (default: the PGSERVICE service). No password here.
    #[arg(long)]
    url: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Take {
    Mine,
    Theirs,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Create or upgrade the schema (versioned migrations), the PostGIS extension and the
    /// roles gridmap_county, gridmap_township and gridmap_viewer (row-level security).
    Init {
        #[command(flatten)]
        db: DbUrl,
        /// The county's projected working CRS, e.g. EPSG:4546 (CGCS2000 GK CM 111E).
        #[arg(long, value_parser = commands::parse_crs)]
        crs: gridmap::Crs,
        /// The county's name, for exports and prints.
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a login account (or reset its password): --township CODE writes only that
    /// township, --county writes all, --viewer reads. The password is read from the
    /// environment variable GRIDMAP_ACCOUNT_PASSWORD, else from the first line of stdin.
    Account {
        #[command(flatten)]
        db: DbUrl,
        name: String,
        #[arg(long)]
        township: Option<String>,
        #[arg(long)]
        county: bool,
        #[arg(long)]
        viewer: bool,
    },
    /// Check a project in: push its changes since the pull in one transaction. Rows
    /// changed by someone else since are conflicts: nothing is written and they are listed
    /// (exit 1) unless --take resolves them all. A push that opens the township's seam is
    /// refused (exit 1) unless --force by a county account. A gridmap project file is
    /// written back with the new versions. A county account's first push of a township
    /// creates it (its level-1 grid becomes the county-owned outline).
    Push {
        #[command(flatten)]
        db: DbUrl,
        file: PathBuf,
        #[arg(long)]
        township: String,
        #[arg(long, value_enum)]
        take: Option<Take>,
        #[arg(long)]
        force: bool,
    },
    /// Check a township out into a new project file (GeoPackage), with a read-only strip
    /// of the neighbours' grids along its border.
    Pull {
        #[command(flatten)]
        db: DbUrl,
        #[arg(long)]
        township: String,
        /// The project file to write (.gpkg); an existing one only with --force, and
        /// never one holding changes not yet pushed.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing project file (one without unpushed changes).
        #[arg(long)]
        force: bool,
    },
    /// Audit the whole county: every township's coverage and records, the seams between
    /// townships, the county outline. Grid ids are TOWNSHIP/ID. Exit 1 when errors.
    Audit {
        #[command(flatten)]
        db: DbUrl,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Export the whole county (any format of `gridmap export`: .gpkg, .geojson, ...).
    Export {
        #[command(flatten)]
        db: DbUrl,
        #[arg(long)]
        out: PathBuf,
    },
    /// The townships in the county database, their grids and last sync.
    Status {
        #[command(flatten)]
        db: DbUrl,
    },
}

fn run_db(command: DbCommand) -> anyhow::Result<i32> {
    use gridmap::county::{Choice, PushOutcome, db, ops};
    match command {
        DbCommand::Init { db: u, crs, name } => {
            let (target, mut client) = ops::open(u.url.as_deref())?;
            let v = db::init(&mut client, crs.epsg)?;
            if let Some(n) = name {
                db::set_county_name(&mut client, &n)?;
            }
            println!(
                "县级数据库已就绪（结构版本 {v}，EPSG:{}）：{}\nCounty database ready (schema {v}, EPSG:{}): {}",
                crs.epsg, target.display, crs.epsg, target.display
            );
            Ok(0)
        }
        DbCommand::Account {
            db: u,
            name,
            township,
            county,
            viewer,
        } => {
            let kind = ops::account_kind(county, viewer, township)?;
            let password = match std::env::var("GRIDMAP_ACCOUNT_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let (_, mut client) = ops::open(u.url.as_deref())?;
            db::add_account(&mut client, &name, &kind, &password)?;
            println!("账号 {name} 已设置。 Account {name} is set.");
            Ok(0)
        }
        DbCommand::Push {
            db: u,
            file,
            township,
            take,
            force,
        } => {
            let choice = take.map(|t| match t {
                Take::Mine => Choice::Mine,
                Take::Theirs => Choice::Theirs,
            });
            let done = ops::push_file(u.url.as_deref(), &file, &township, choice.as_ref(), force)?;
            match &done.outcome {
                PushOutcome::Pushed(p) => {
                    print!("{}", ops::render_pushed(p, done.wrote_back));
                    Ok(0)
                }
                PushOutcome::Conflicts(list) => {
                    print!("{}", ops::render_conflicts(list));
                    Ok(commands::EXIT_FINDINGS)
                }
                PushOutcome::Refused(findings) => {
                    print!("{}", ops::render_refused(findings));
                    Ok(commands::EXIT_FINDINGS)
                }
            }
        }
        DbCommand::Pull {
            db: u,
            township,
            out,
            force,
        } => {
            let target = gridmap::county::conn::resolve(u.url.as_deref())?;
            let p = ops::pull_to_file(&target, &township, &out, force)?;
            let n = gridmap::county::db::neighbours(&p).len();
            println!(
                "已拉取乡镇 {township}：{} 个网格，{} 条河流，邻乡镇接边网格 {n} 个 → {}\nPulled township {township}: {} grids, {} rivers, {n} neighbouring grids along the border -> {}",
                p.grids.len(),
                p.rivers.len(),
                out.display(),
                p.grids.len(),
                p.rivers.len(),
                out.display()
            );
            Ok(0)
        }
        DbCommand::Audit {
            db: u,
            report: args,
        } => {
            let (project, report) = ops::audit_county(u.url.as_deref(), args.gap_width)?;
            args.write(&project, &report)
        }
        DbCommand::Export { db: u, out } => {
            let (_, mut client) = ops::open(u.url.as_deref())?;
            let project = db::load_county(&mut client)?;
            let done = commands::export(&project, &out, &Default::default())
                .map_err(anyhow::Error::msg)?;
            for f in &done.files {
                println!("{}", f.display());
            }
            Ok(0)
        }
        DbCommand::Status { db: u } => {
            let (target, mut client) = ops::open(u.url.as_deref())?;
            println!("{}", target.display);
            for (code, name, grids, synced) in db::townships(&mut client)? {
                println!("{code}\t{name}\t{grids}\t{synced}");
            }
            Ok(0)
        }
    }
}

fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return open_app(cli.file, cli.screenshot, cli.open_print);
    };
    match command {
        Command::Audit {
            input,
            report: args,
        } => {
            let (project, report) = input.audit(args.gap_width)?;
            let code = args.write(&project, &report)?;
            // The process ends here: leave the memory to the OS instead of freeing a
            // million small allocations one by one (a tenth of a second on 100k grids).
            std::mem::forget((project, report));
            Ok(code)
        }
        Command::Export {
            input,
            out,
            keep_crs,
            per_layer,
            dbf_encoding,
            gcj02_out,
        } => {
            let project = input.load()?;
            let opts = commands::ExportOptions {
                keep_crs,
                per_layer,
                dbf_encoding: dbf_encoding.into(),
                gcj02: gcj02_out,
            };
            let done = commands::export(&project, &out, &opts).map_err(anyhow::Error::msg)?;
            for f in &done.files {
                println!("{}", f.display());
            }
            for n in &done.notes {
                eprintln!("{n}");
            }
            Ok(0)
        }
        Command::Rivers {
            input,
            gap_width,
            format,
        } => {
            let (_, report) = input.audit(gap_width)?;
            print!(
                "{}",
                commands::render_rivers(&report, format).map_err(anyhow::Error::msg)?
            );
            Ok(0)
        }
        Command::Print {
            input,
            layout,
            grid,
            paper,
            landscape,
            portrait,
            scale,
            margin,
            title,
            office,
            hotline,
            duties,
            qr_url,
            mono,
            ticks,
            hide,
            atlas_villages,
            date,
            dpi,
            out,
        } => {
            let project = input.load()?;
            let duties = match duties {
                Some(p) => Some(std::fs::read_to_string(&p).map_err(|e| {
                    anyhow::anyhow!(gridmap::error::bilingual(
                        &format!("{}：无法读取：{e}", p.display()),
                        &format!("{}: cannot read: {e}", p.display()),
                    ))
                })?),
                None => None,
            };
            let mut opts = gridmap::print::PrintOptions::new(layout);
            opts.grid = grid;
            opts.paper = paper;
            opts.orientation = if landscape {
                gridmap::print::Orientation::Landscape
            } else if portrait {
                gridmap::print::Orientation::Portrait
            } else {
                gridmap::print::Orientation::Auto
            };
            opts.scale = scale;
            opts.margin = margin;
            opts.title = title;
            opts.office = office;
            opts.hotline = hotline;
            opts.duties = duties;
            opts.qr_url = qr_url;
            opts.mono = mono;
            opts.show.ticks = ticks;
            for h in &hide {
                opts.show.hide(h).map_err(anyhow::Error::msg)?;
            }
            opts.atlas_villages = atlas_villages;
            if let Some(d) = date {
                opts.date = d;
            }
            let opts = opts.with_project_defaults(&project);
            for (zh, en) in gridmap::print::preflight(&project, &opts) {
                eprintln!(
                    "{}",
                    gridmap::error::bilingual(&format!("注意：{zh}"), &format!("note: {en}"))
                );
            }
            let printed =
                commands::print(&project, &opts, &out, dpi).map_err(anyhow::Error::msg)?;
            for (page, names) in &printed.omitted {
                let shown: Vec<&str> = names.iter().take(10).map(String::as_str).collect();
                let more = if names.len() > shown.len() {
                    " …"
                } else {
                    ""
                };
                let (n, shown) = (names.len(), shown.join("、"));
                eprintln!(
                    "{}",
                    gridmap::error::bilingual(
                        &format!("{page}：{n} 个标注放不下：{shown}{more}"),
                        &format!("{page}: {n} labels found no room: {shown}{more}"),
                    )
                );
            }
            for f in printed.files {
                println!("{}", f.display());
            }
            Ok(0)
        }
        Command::Ledger { input, out } => {
            let project = input.load()?;
            for f in commands::ledger(&project, &out).map_err(anyhow::Error::msg)? {
                println!("{}", f.display());
            }
            Ok(0)
        }
        Command::Codes {
            input,
            renumber,
            parent,
            out,
        } => {
            let mut project = input.load()?;
            if !renumber {
                let report = audit(&project, &AuditConfig::from_settings(&project.settings));
                let bad: Vec<_> = report
                    .findings
                    .iter()
                    .filter(|f| {
                        matches!(
                            f.kind,
                            gridmap::Kind::MalformedCode | gridmap::Kind::DuplicateCode
                        )
                    })
                    .collect();
                for f in &bad {
                    println!(
                        "{}",
                        gridmap::error::bilingual(&f.message.zh, &f.message.en)
                    );
                }
                if bad.is_empty() {
                    println!(
                        "{}",
                        gridmap::error::bilingual("编码全部符合规则", "every code fits the layout")
                    );
                }
                return Ok(i32::from(!bad.is_empty()));
            }
            let parents = (!parent.is_empty()).then_some(parent.as_slice());
            let t = commands::renumber_codes(&project, parents);
            let before: Vec<String> = project.grids.iter().map(|g| g.code.clone()).collect();
            t.apply(&mut project)?;
            for (g, old) in project.grids.iter().zip(&before) {
                if &g.code != old {
                    println!("{}\t{} → {}", g.label(), old, g.code);
                }
            }
            if let Some(out) = out {
                commands::export(&project, &out, &Default::default())
                    .map_err(anyhow::Error::msg)?;
            }
            Ok(0)
        }
        Command::Staff {
            input,
            import,
            export,
            out,
        } => {
            let mut project = input.load()?;
            if let Some(path) = export {
                commands::export_staff(&project, &path).map_err(anyhow::Error::msg)?;
                println!("{}", path.display());
                return Ok(0);
            }
            let Some(path) = import else {
                anyhow::bail!(gridmap::error::bilingual(
                    "请给出 --import ROSTER 或 --export ROSTER",
                    "give --import ROSTER or --export ROSTER",
                ));
            };
            let (t, roster) =
                commands::import_staff(&project, &path).map_err(anyhow::Error::msg)?;
            let matched = roster.rows.len() - roster.unmatched().count();
            println!(
                "{matched} 行已匹配，{} 个网格更新 / {matched} rows matched, {} grids updated",
                t.grids().len(),
                t.grids().len()
            );
            for r in roster.unmatched() {
                println!(
                    "未匹配 unmatched: 第 {} 行 line {}: {} {} {} {} {}",
                    r.line, r.line, r.code, r.grid_name, r.staff.role, r.staff.name, r.staff.phone
                );
            }
            t.apply(&mut project)?;
            if let Some(out) = out {
                commands::export(&project, &out, &Default::default())
                    .map_err(anyhow::Error::msg)?;
            }
            Ok(i32::from(roster.unmatched().next().is_some()))
        }
        Command::Propose {
            input,
            village,
            households,
            along_rivers,
            out,
        } => {
            let mut project = input.load()?;
            let mut opts = gridmap::edit::PartitionOptions {
                households: AuditConfig::from_settings(&project.settings).households,
                along_rivers,
            };
            if let Some(h) = households {
                match h
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                {
                    Some(r) => opts.households = r,
                    None => anyhow::bail!(gridmap::error::bilingual(
                        &format!("--households {h}：应为 最小-最大，如 200-300"),
                        &format!("--households {h}: expected MIN-MAX, e.g. 200-300"),
                    )),
                }
            }
            let id = project
                .grids
                .iter()
                .find(|g| g.id == village || (!g.code.is_empty() && g.code == village))
                .map(|g| g.id.clone())
                .unwrap_or(village);
            let t =
                commands::propose_partition(&project, &id, &opts).map_err(anyhow::Error::msg)?;
            t.apply(&mut project)?;
            for g in project.children_of(&id) {
                println!(
                    "{}\t{}\t{} 户\t{:.2} km²",
                    g.code,
                    g.name,
                    g.households.unwrap_or(0),
                    gridmap::geom::area(&g.geometry) / 1e6
                );
            }
            if let Some(out) = out {
                commands::export(&project, &out, &Default::default())
                    .map_err(anyhow::Error::msg)?;
            }
            Ok(0)
        }
        Command::Bounds { input, format } => {
            let project = input.load()?;
            print!(
                "{}",
                commands::render_bounds(&project, format).map_err(anyhow::Error::msg)?
            );
            Ok(0)
        }
        Command::Synth {
            cells,
            seed,
            densify,
            faults,
            out,
        } => {
            let mut p = gridmap::synth::synthetic_project(cells as usize, seed, densify as usize);
            gridmap::synth::plant_vertex_faults(&mut p, faults, seed);
            commands::export(
                &p,
                &out,
                &commands::ExportOptions {
                    keep_crs: true,
                    ..Default::default()
                },
            )
            .map_err(anyhow::Error::msg)?;
            Ok(0)
        }
        Command::Georef {
            image,
            points,
            point,
            method,
            save,
        } => {
            let done = commands::georef(&image, points.as_deref(), point, method.into(), save)
                .map_err(anyhow::Error::msg)?;
            print!("{}", commands::render_georef(&done));
            Ok(0)
        }
        Command::Bench { dir, quick } => {
            let sizes = commands::bench_sizes(quick);
            let rows = commands::bench(&dir, &sizes).map_err(anyhow::Error::msg)?;
            print!("{}", commands::render_bench(&rows));
            Ok(0)
        }
        Command::BenchPrint { file, dir } => {
            let project = commands::load(&[file], &ReadOptions::default())?;
            let rows = commands::bench_print(&project, &dir).map_err(anyhow::Error::msg)?;
            print!("{}", commands::render_print_bench(&rows));
            Ok(0)
        }
        Command::BenchEdit { cells, runs } => {
            let (cells, runs) = (cells as usize, runs as usize);
            let (open_s, rows) = commands::bench_edit(cells, runs).map_err(anyhow::Error::msg)?;
            print!("{}", commands::render_edit_bench(cells, open_s, &rows));
            Ok(0)
        }
        Command::Db { command } => run_db(command),
        Command::BenchDb {
            url,
            townships,
            cells,
            dir,
        } => {
            let rows = gridmap::county::bench::run(
                url.as_deref(),
                townships as usize,
                cells as usize,
                &dir,
            )?;
            print!("{}", gridmap::county::bench::render(&rows));
            Ok(0)
        }
        Command::MakeSample { out_dir } => {
            let maps = gridmap::synth::sample_township();
            std::fs::create_dir_all(&out_dir)?;
            commands::export(
                &maps.clean,
                &out_dir.join("jinping.geojson"),
                &Default::default(),
            )
            .map_err(anyhow::Error::msg)?;
            commands::export(
                &maps.faulty,
                &out_dir.join("jinping-faulty.geojson"),
                &Default::default(),
            )
            .map_err(anyhow::Error::msg)?;
            for (kind, ids) in &maps.planted {
                println!("planted {kind}: {}", ids.join(", "));
            }
            Ok(0)
        }
    }
}

fn parse_layout(s: &str) -> Result<gridmap::print::Layout, String> {
    gridmap::print::Layout::parse(s)
        .ok_or_else(|| format!("unknown layout {s}: township, village, board or atlas"))
}

fn parse_paper(s: &str) -> Result<gridmap::print::Paper, String> {
    gridmap::print::Paper::parse(s).map_err(|e| e.to_string())
}

fn parse_date(s: &str) -> Result<gridmap::print::PrintDate, String> {
    gridmap::print::PrintDate::parse(s).ok_or_else(|| format!("{s}: expected YYYY-MM-DD"))
}

/// Run the command line and end the process with its exit code.
pub fn main() {
    match run() {
        Ok(code) => std::process::exit(code),
        // The one place an error is reported: its message, exit code 2.
        Err(e) => {
            eprintln!("gridmap: {e:#}");
            std::process::exit(EXIT_BAD_INPUT);
        }
    }
}
