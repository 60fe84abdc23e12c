//! Subcommands that check a project and print what they find: `audit`, `rivers`,
//! `bounds` and `codes`.

use super::input::{Input, ReportArgs};
use gridmap::commands::{self, TableFormat};
use gridmap::{AuditConfig, audit};
use std::path::PathBuf;

/// `gridmap audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    input: Input,
    #[command(flatten)]
    report: ReportArgs,
}

impl AuditArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let (project, report) = self.input.audit(self.report.gap_width)?;
        let code = self.report.write(&project, &report)?;
        // The process ends here: leave the memory to the OS instead of freeing a
        // million small allocations one by one (a tenth of a second on 100k grids).
        std::mem::forget((project, report));
        Ok(code)
    }
}

/// `gridmap rivers`.
#[derive(clap::Args)]
pub struct RiversArgs {
    #[command(flatten)]
    input: Input,
    /// Gap width in metres (default: the project's setting, else 0.5).
    #[arg(long, value_parser = AuditConfig::parse_gap_width)]
    gap_width: Option<f64>,
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    format: TableFormat,
}

impl RiversArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let (_, report) = self.input.audit(self.gap_width)?;
        out!("{}", commands::render_rivers(&report, self.format)?)?;
        Ok(0)
    }
}

/// `gridmap bounds`.
#[derive(clap::Args)]
pub struct BoundsArgs {
    #[command(flatten)]
    input: Input,
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    format: TableFormat,
}

impl BoundsArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = self.input.load()?;
        out!("{}", commands::render_bounds(&project, self.format)?)?;
        Ok(0)
    }
}

/// `gridmap codes`.
#[derive(clap::Args)]
pub struct CodesArgs {
    #[command(flatten)]
    input: Input,
    #[arg(long)]
    renumber: bool,
    /// Only the children of these grids (repeatable).
    #[arg(long)]
    parent: Vec<String>,
    #[arg(long, requires = "renumber")]
    out: Option<PathBuf>,
}

impl CodesArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let project = self.input.load()?;
        if self.renumber {
            self.renumber(project)
        } else {
            check_codes(&project)
        }
    }

    /// Renumber, print the codes that changed, write the project to --out.
    fn renumber(self, mut project: gridmap::Project) -> anyhow::Result<i32> {
        let parents = (!self.parent.is_empty()).then_some(self.parent.as_slice());
        let t = commands::renumber_codes(&project, parents);
        let before: Vec<String> = project.grids.iter().map(|g| g.code.clone()).collect();
        t.apply(&mut project)?;
        for (g, old) in project.grids.iter().zip(&before) {
            if &g.code != old {
                outln!("{}\t{} → {}", g.label(), old, g.code)?;
            }
        }
        if let Some(out) = self.out {
            commands::export(&project, &out, &Default::default())?;
        }
        Ok(0)
    }
}

/// Print the codes that break the project's layout; the exit code (1 when any do).
fn check_codes(project: &gridmap::Project) -> anyhow::Result<i32> {
    let report = audit(project, &AuditConfig::from_settings(&project.settings));
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
        outln!(
            "{}",
            gridmap::error::bilingual(&f.message.zh, &f.message.en)
        )?;
    }
    if bad.is_empty() {
        outln!(
            "{}",
            gridmap::error::bilingual("编码全部符合规则", "every code fits the layout")
        )?;
    }
    Ok(i32::from(!bad.is_empty()))
}
