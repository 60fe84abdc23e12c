//! The arguments several subcommands share: the project files to read and how an audit is
//! reported.

use gridmap::commands::{self, AuditFormat, Lang};
use gridmap::io::ReadOptions;
use gridmap::{AuditConfig, Project, Report};
use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct Input {
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
    pub fn load(&self) -> anyhow::Result<Project> {
        let opts = ReadOptions {
            working_crs: self.crs,
            source_crs: self.src_crs,
            encoding: self.encoding,
            gcj02: self.gcj02,
            fields: commands::parse_field_map(&self.fields)?,
            dxf_layers: self.dxf_layers.clone(),
        };
        Ok(commands::load(&self.files, &opts)?)
    }

    /// Load and audit: the project's own thresholds, the gap width given here if any.
    pub fn audit(&self, gap_width: Option<f64>) -> anyhow::Result<(Project, Report)> {
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

/// How an audit is reported (`audit`, `db audit`).
#[derive(clap::Args, Clone)]
pub struct ReportArgs {
    /// Gap width in metres: narrower gaps are slivers, closer edges are near misses
    /// (default: the project's setting, else 0.5).
    #[arg(long, value_parser = AuditConfig::parse_gap_width)]
    pub gap_width: Option<f64>,
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
    pub fn write(&self, project: &Project, report: &Report) -> anyhow::Result<i32> {
        let mut clock = std::time::Instant::now();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, super::Stdout);
        commands::write_audit(
            project,
            report,
            self.format,
            self.lang,
            !self.no_geometry,
            &mut out,
        )?;
        std::io::Write::flush(&mut out)?;
        gridmap::timing::phase("write report", &mut clock);
        Ok(commands::audit_exit_code(report))
    }
}
