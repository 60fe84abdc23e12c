//! `gridmap db …` (the county database) and `gridmap bench-db`.

use super::input::ReportArgs;
use gridmap::commands;
use gridmap::county::{Choice, PushOutcome, db, ops};
use std::path::PathBuf;

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

#[derive(clap::Subcommand)]
pub enum DbCommand {
    /// Create or upgrade the schema (versioned migrations), the PostGIS extension and the
    /// roles gridmap_county, gridmap_township and gridmap_viewer (row-level security).
    Init(InitArgs),
    /// Create a login account (or reset its password): --township CODE writes only that
    /// township, --county writes all, --viewer reads. The password is read from the
    /// environment variable GRIDMAP_ACCOUNT_PASSWORD, else from the first line of stdin.
    Account(AccountArgs),
    /// Check a project in: push its changes since the pull in one transaction. Rows
    /// changed by someone else since are conflicts: nothing is written and they are listed
    /// (exit 1) unless --take resolves them all. A push that opens the township's seam is
    /// refused (exit 1) unless --force by a county account. A gridmap project file is
    /// written back with the new versions. A county account's first push of a township
    /// creates it (its level-1 grid becomes the county-owned outline).
    Push(PushArgs),
    /// Check a township out into a new project file (GeoPackage), with a read-only strip
    /// of the neighbours' grids along its border.
    Pull(PullArgs),
    /// Audit the whole county: every township's coverage and records, the seams between
    /// townships, the county outline. Grid ids are TOWNSHIP/ID. Exit 1 when errors.
    Audit(CountyAuditArgs),
    /// Export the whole county (any format of `gridmap export`: .gpkg, .geojson, ...).
    Export(CountyExportArgs),
    /// The townships in the county database, their grids and last sync.
    Status(StatusArgs),
}

impl DbCommand {
    pub fn run(self) -> anyhow::Result<i32> {
        match self {
            DbCommand::Init(a) => a.run(),
            DbCommand::Account(a) => a.run(),
            DbCommand::Push(a) => a.run(),
            DbCommand::Pull(a) => a.run(),
            DbCommand::Audit(a) => a.run(),
            DbCommand::Export(a) => a.run(),
            DbCommand::Status(a) => a.run(),
        }
    }
}

/// `gridmap db init`.
#[derive(clap::Args)]
pub struct InitArgs {
    #[command(flatten)]
    db: DbUrl,
    /// The county's projected working CRS, e.g. EPSG:4546 (CGCS2000 GK CM 111E).
    #[arg(long, value_parser = commands::parse_crs)]
    crs: gridmap::Crs,
    /// The county's name, for exports and prints.
    #[arg(long)]
    name: Option<String>,
}

impl InitArgs {
    fn run(self) -> anyhow::Result<i32> {
        let (target, mut client) = ops::open(self.db.url.as_deref())?;
        let v = db::init(&mut client, self.crs.epsg)?;
        if let Some(n) = self.name {
            db::set_county_name(&mut client, &n)?;
        }
        let epsg = self.crs.epsg;
        outln!(
            "县级数据库已就绪（结构版本 {v}，EPSG:{epsg}）：{}\nCounty database ready (schema {v}, EPSG:{epsg}): {}",
            target.display,
            target.display
        )?;
        Ok(0)
    }
}

/// `gridmap db account`.
#[derive(clap::Args)]
pub struct AccountArgs {
    #[command(flatten)]
    db: DbUrl,
    name: String,
    #[arg(long)]
    township: Option<String>,
    #[arg(long)]
    county: bool,
    #[arg(long)]
    viewer: bool,
}

impl AccountArgs {
    fn run(self) -> anyhow::Result<i32> {
        let kind = ops::account_kind(self.county, self.viewer, self.township)?;
        let password = match std::env::var("GRIDMAP_ACCOUNT_PASSWORD") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
        };
        let (_, mut client) = ops::open(self.db.url.as_deref())?;
        db::add_account(&mut client, &self.name, &kind, &password)?;
        let name = &self.name;
        outln!("账号 {name} 已设置。 Account {name} is set.")?;
        Ok(0)
    }
}

/// `gridmap db push`.
#[derive(clap::Args)]
pub struct PushArgs {
    #[command(flatten)]
    db: DbUrl,
    file: PathBuf,
    #[arg(long)]
    township: String,
    #[arg(long, value_enum)]
    take: Option<Take>,
    #[arg(long)]
    force: bool,
}

impl PushArgs {
    fn run(self) -> anyhow::Result<i32> {
        let choice = self.take.map(|t| match t {
            Take::Mine => Choice::Mine,
            Take::Theirs => Choice::Theirs,
        });
        let done = ops::push_file(
            self.db.url.as_deref(),
            &self.file,
            &self.township,
            choice.as_ref(),
            self.force,
        )?;
        match &done.outcome {
            PushOutcome::Pushed(p) => {
                out!("{}", ops::render_pushed(p, done.wrote_back))?;
                Ok(0)
            }
            PushOutcome::Conflicts(list) => {
                out!("{}", ops::render_conflicts(list))?;
                Ok(commands::EXIT_FINDINGS)
            }
            PushOutcome::Refused(findings) => {
                out!("{}", ops::render_refused(findings))?;
                Ok(commands::EXIT_FINDINGS)
            }
        }
    }
}

/// `gridmap db pull`.
#[derive(clap::Args)]
pub struct PullArgs {
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
}

impl PullArgs {
    fn run(self) -> anyhow::Result<i32> {
        let target = gridmap::county::conn::resolve(self.db.url.as_deref())?;
        let township = &self.township;
        let p = ops::pull_to_file(&target, township, &self.out, self.force)?;
        let n = db::neighbours(&p).len();
        let (grids, rivers, out) = (p.grids.len(), p.rivers.len(), self.out.display());
        outln!(
            "已拉取乡镇 {township}：{grids} 个网格，{rivers} 条河流，邻乡镇接边网格 {n} 个 → {out}\nPulled township {township}: {grids} grids, {rivers} rivers, {n} neighbouring grids along the border -> {out}"
        )?;
        Ok(0)
    }
}

/// `gridmap db audit`.
#[derive(clap::Args)]
pub struct CountyAuditArgs {
    #[command(flatten)]
    db: DbUrl,
    #[command(flatten)]
    report: ReportArgs,
}

impl CountyAuditArgs {
    fn run(self) -> anyhow::Result<i32> {
        let (project, report) = ops::audit_county(self.db.url.as_deref(), self.report.gap_width)?;
        self.report.write(&project, &report)
    }
}

/// `gridmap db export`.
#[derive(clap::Args)]
pub struct CountyExportArgs {
    #[command(flatten)]
    db: DbUrl,
    #[arg(long)]
    out: PathBuf,
}

impl CountyExportArgs {
    fn run(self) -> anyhow::Result<i32> {
        let (_, mut client) = ops::open(self.db.url.as_deref())?;
        let project = db::load_county(&mut client)?;
        let done = commands::export(&project, &self.out, &Default::default())?;
        for f in &done.files {
            outln!("{}", f.display())?;
        }
        Ok(0)
    }
}

/// `gridmap db status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    db: DbUrl,
}

impl StatusArgs {
    fn run(self) -> anyhow::Result<i32> {
        let (target, mut client) = ops::open(self.db.url.as_deref())?;
        outln!("{}", target.display)?;
        for (code, name, grids, synced) in db::townships(&mut client)? {
            outln!("{code}\t{name}\t{grids}\t{synced}")?;
        }
        Ok(0)
    }
}

/// `gridmap bench-db`.
#[derive(clap::Args)]
pub struct BenchDbArgs {
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(2..=400))]
    townships: u64,
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(10..=100_000))]
    cells: u64,
    /// Where the GeoPackage copies are written.
    #[arg(long, default_value = "bench-data")]
    dir: PathBuf,
}

impl BenchDbArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let rows = gridmap::county::bench::run(
            self.url.as_deref(),
            self.townships as usize,
            self.cells as usize,
            &self.dir,
        )?;
        out!("{}", gridmap::county::bench::render(&rows))?;
        Ok(0)
    }
}
