//! Subcommands that change a project and write it back: `staff` (rosters in and out) and
//! `propose` (a village's level-3 grids).

use super::input::Input;
use gridmap::AuditConfig;
use gridmap::commands::{self, ArgError};
use std::path::PathBuf;

/// `gridmap staff`.
#[derive(clap::Args)]
pub struct StaffArgs {
    #[command(flatten)]
    input: Input,
    #[arg(long, value_name = "ROSTER", conflicts_with = "export")]
    import: Option<PathBuf>,
    #[arg(long, value_name = "ROSTER.xlsx|.csv")]
    export: Option<PathBuf>,
    #[arg(long)]
    out: Option<PathBuf>,
}

impl StaffArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let mut project = self.input.load()?;
        if let Some(path) = self.export {
            commands::export_staff(&project, &path)?;
            outln!("{}", path.display())?;
            return Ok(0);
        }
        let Some(path) = self.import else {
            return Err(ArgError::RosterAction.into());
        };
        let (t, roster) = commands::import_staff(&project, &path)?;
        let matched = roster.rows.len() - roster.unmatched().count();
        outln!(
            "{matched} 行已匹配，{} 个网格更新 / {matched} rows matched, {} grids updated",
            t.grids().len(),
            t.grids().len()
        )?;
        for r in roster.unmatched() {
            outln!(
                "未匹配 unmatched: 第 {} 行 line {}: {} {} {} {} {}",
                r.line,
                r.line,
                r.code,
                r.grid_name,
                r.staff.role,
                r.staff.name,
                r.staff.phone
            )?;
        }
        t.apply(&mut project)?;
        if let Some(out) = self.out {
            commands::export(&project, &out, &Default::default())?;
        }
        Ok(i32::from(roster.unmatched().next().is_some()))
    }
}

/// `gridmap propose`.
#[derive(clap::Args)]
pub struct ProposeArgs {
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
}

impl ProposeArgs {
    pub fn run(self) -> anyhow::Result<i32> {
        let mut project = self.input.load()?;
        let mut opts = gridmap::edit::PartitionOptions {
            households: AuditConfig::from_settings(&project.settings).households,
            along_rivers: self.along_rivers,
        };
        if let Some(h) = &self.households {
            opts.households = parse_range(h).ok_or_else(|| ArgError::Households(h.clone()))?;
        }
        let village = &self.village;
        let id = project
            .grids
            .iter()
            .find(|g| g.id == *village || (!g.code.is_empty() && g.code == *village))
            .map(|g| g.id.clone())
            .unwrap_or_else(|| village.clone());
        let t = commands::propose_partition(&project, &id, &opts)?;
        t.apply(&mut project)?;
        for g in project.children_of(&id) {
            outln!(
                "{}\t{}\t{} 户\t{:.2} km²",
                g.code,
                g.name,
                g.households.unwrap_or(0),
                gridmap::geom::area(&g.geometry) / 1e6
            )?;
        }
        if let Some(out) = self.out {
            commands::export(&project, &out, &Default::default())?;
        }
        Ok(0)
    }
}

/// "MIN-MAX" as two numbers.
fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}
