//! Subcommands that write a project out: `export`, `ledger`, `synth` and `make-sample`.

use super::input::Input;
use gridmap::commands::{self, DbfEncodingArg, ExportOptions};
use std::path::PathBuf;

/// `gridmap export`.
#[derive(clap::Args)]
pub struct ExportArgs {
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
    #[arg(long, value_enum, default_value_t = DbfEncodingArg::Utf8)]
    dbf_encoding: DbfEncodingArg,
    /// KML/KMZ: coordinates in GCJ-02 (to overlay commercial Chinese maps in 奥维)
    /// instead of WGS 84.
    #[arg(long)]
    gcj02_out: bool,
}

impl ExportArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = self.input.load()?;
        let opts = ExportOptions {
            keep_crs: self.keep_crs,
            per_layer: self.per_layer,
            dbf_encoding: self.dbf_encoding.into(),
            gcj02: self.gcj02_out,
        };
        let done = commands::export(&project, &self.out, &opts)?;
        for f in &done.files {
            outln!("{}", f.display())?;
        }
        for n in &done.notes {
            eprintln!("{n}");
        }
        Ok(0)
    }
}

/// `gridmap publish`.
#[derive(clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    input: Input,
    /// The site's folder (created, or an earlier publication there replaced).
    #[arg(long)]
    out: PathBuf,
    /// The address the site will be served at: each grid's page address goes into
    /// OUT/links.csv, for the boards' QR codes.
    #[arg(long)]
    base_url: Option<String>,
    /// The site's title (default: "<township>河长制网格").
    #[arg(long)]
    title: Option<String>,
    /// The supervision hotline (default: the project's print setting).
    #[arg(long)]
    hotline: Option<String>,
    /// Publish every staff member's own phone number (by default only those marked public in
    /// the records or the roster's 公开电话 column; residents are given the hotline for the
    /// others).
    #[arg(long)]
    public_phones: bool,
    /// Publish although the audit finds errors.
    #[arg(long)]
    allow_errors: bool,
    /// A 天地图 browser key (浏览器端): the township map gets 天地图's base maps; without
    /// one it shows the grids on a plain background.
    #[arg(long)]
    tianditu_key: Option<String>,
}

impl PublishArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = self.input.load()?;
        let opts = commands::PublishOptions {
            pages: gridmap::publish::PageOptions {
                title: self.title,
                hotline: self.hotline,
                public_phones: self.public_phones,
                tianditu_key: self.tianditu_key,
            },
            date: gridmap::print::PrintDate::today().iso(),
            allow_errors: self.allow_errors,
            base_url: self.base_url,
        };
        let done = commands::publish(&project, &self.out, &opts)?;
        outln!(
            "{}（{} 个文件，{} 个有变化 / files, {} changed）",
            done.dir.join("index.html").display(),
            done.files.len(),
            done.changed.len(),
            done.changed.len()
        )?;
        Ok(0)
    }
}

/// `gridmap ledger`.
#[derive(clap::Args)]
pub struct LedgerArgs {
    #[command(flatten)]
    input: Input,
    #[arg(long)]
    out: PathBuf,
}

impl LedgerArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = self.input.load()?;
        for f in commands::ledger(&project, &self.out)? {
            outln!("{}", f.display())?;
        }
        Ok(0)
    }
}

/// `gridmap synth`.
#[derive(clap::Args)]
pub struct SynthArgs {
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
    cells: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Split every edge into this many pieces (more vertices per cell).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    densify: u64,
    /// Make every edge a wiggly line of up to this many vertices, like a boundary traced
    /// along a river bank (grids of thousands of vertices; shared edges stay shared).
    #[arg(long, conflicts_with = "densify", value_parser = clap::value_parser!(u64).range(2..=20_000))]
    dense: Option<u64>,
    /// Move one vertex in this many random cells (overlaps and gaps to find).
    #[arg(long, default_value_t = 0)]
    faults: usize,
    #[arg(long)]
    out: PathBuf,
}

impl SynthArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let cells = self.cells as usize;
        let mut p = match self.dense {
            Some(n) => gridmap::synth::synthetic_dense(cells, self.seed, n as usize),
            None => gridmap::synth::synthetic_project(cells, self.seed, self.densify as usize),
        };
        gridmap::synth::plant_vertex_faults(&mut p, self.faults, self.seed);
        let opts = ExportOptions {
            keep_crs: true,
            ..Default::default()
        };
        commands::export(&p, &self.out, &opts)?;
        Ok(0)
    }
}

/// `gridmap make-sample`.
#[derive(clap::Args)]
pub struct MakeSampleArgs {
    #[arg(long, default_value = "sample-maps")]
    out_dir: PathBuf,
}

impl MakeSampleArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let maps = gridmap::synth::sample_township();
        std::fs::create_dir_all(&self.out_dir)?;
        let clean = self.out_dir.join("jinping.geojson");
        commands::export(&maps.clean, &clean, &Default::default())?;
        let faulty = self.out_dir.join("jinping-faulty.geojson");
        commands::export(&maps.faulty, &faulty, &Default::default())?;
        for (kind, ids) in &maps.planted {
            outln!("planted {kind}: {}", ids.join(", "))?;
        }
        Ok(0)
    }
}
