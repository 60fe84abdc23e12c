//! `gridmap publish`: the residents' website of a project, refused while the audit finds
//! errors unless the user says otherwise.

use super::CommandError;
use crate::audit::{AuditConfig, Severity, audit};
use crate::model::Project;
use crate::publish::{PageOptions, Published, page_dirs, pages, write_site};
use std::path::Path;

/// How to publish.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub pages: PageOptions,
    /// The date a page that changed shows (`YYYY-MM-DD`); an unchanged page keeps its own.
    pub date: String,
    /// Publish although the audit finds errors.
    pub allow_errors: bool,
    /// Where the site will be served: each grid's address goes into `links.csv` (what the
    /// boards' QR codes should say).
    pub base_url: Option<String>,
}

/// Each grid's address under `base` (ending in `/`): id, code, name and URL as CSV with a
/// byte-order mark, so a spreadsheet opens it as UTF-8.
fn links_csv(project: &Project, base: &str) -> String {
    let base = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("\u{feff}id,code,name,url\n");
    for (g, dir) in project.grids.iter().zip(page_dirs(project)) {
        out.push_str(&format!(
            "{},{},{},{}\n",
            field(&g.id),
            field(g.code.trim()),
            field(g.label()),
            field(&format!("{base}g/{dir}/"))
        ));
    }
    out
}

/// Write the website of `project` to the folder `out` (replacing an earlier publication
/// there whole; any other folder is refused).
pub fn publish(
    project: &Project,
    out: &Path,
    opts: &PublishOptions,
) -> Result<Published, CommandError> {
    if !opts.allow_errors {
        let report = audit(project, &AuditConfig::from_settings(&project.settings));
        let errors = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        if errors > 0 {
            return Err(CommandError::PublishWithErrors(errors));
        }
    }
    // The township map needs longitude and latitude; a working CRS that PROJ cannot
    // transform publishes the pages without it.
    let rp = crate::io::Reprojector::new(project.crs, crate::model::Crs::epsg(4326)).ok();
    let lonlat = |c: &mut [geo::Coord<f64>]| {
        if let Some(rp) = &rp {
            rp.apply(c)
        }
    };
    let mut files = pages(
        project,
        &opts.pages,
        rp.is_some().then_some(&lonlat as crate::publish::ToLonLat),
    );
    if let Some(base) = opts
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        files.push(("links.csv".into(), links_csv(project, base).into_bytes()));
    }
    Ok(write_site(out, &files, &opts.date)?)
}
