//! Commands that change a project, each as one invertible edit (one undo step in the
//! app): renumbering codes, importing a staff roster, proposing a village's partition.

use super::CommandError;
use crate::io;
use crate::model::Project;
use std::path::Path;

/// Renumber grid codes by position (see [`crate::records::codes::renumber`]) as one
/// invertible edit: the children of `parents`, or of every grid.
pub fn renumber_codes(project: &Project, parents: Option<&[String]>) -> crate::edit::Transaction {
    let scheme = crate::records::codes::CodeScheme::from_settings(&project.settings);
    let mut t = crate::edit::Transaction::new("重新编码 / Renumber codes");
    for (i, code) in crate::records::codes::renumber(project, parents, &scheme) {
        let mut g = project.grids[i].clone();
        g.code = code;
        t.replace(project, i, g);
    }
    t
}

/// Read a staff roster and the edit that gives every grid it matches the people it lists
/// (one undo step).
pub fn import_staff(
    project: &Project,
    roster: &Path,
) -> Result<(crate::edit::Transaction, io::roster::Roster), CommandError> {
    let r = io::roster::read(roster, project)?;
    let mut t = crate::edit::Transaction::new("导入人员名单 / Import staff roster");
    for (i, staff) in r.staff_by_grid() {
        if project.grids[i].staff != staff {
            let mut g = project.grids[i].clone();
            g.staff = staff;
            t.replace(project, i, g);
        }
    }
    Ok((t, r))
}

/// A partition proposal for village `id` with codes for the new grids (the village's code
/// + sequence by position), as one invertible edit.
pub fn propose_partition(
    project: &Project,
    id: &str,
    opts: &crate::edit::PartitionOptions,
) -> Result<crate::edit::Transaction, CommandError> {
    let mut t = crate::edit::partition(project, id, opts)?;
    let mut after = project.clone();
    t.apply(&mut after)?;
    let scheme = crate::records::codes::CodeScheme::from_settings(&project.settings);
    let codes = crate::records::codes::renumber(&after, Some(&[id.to_string()]), &scheme);
    for (i, code) in codes {
        let gid = after.grids[i].id.clone();
        if let Some(g) = t.grids_after_mut().find(|g| g.id == gid) {
            g.code = code;
        }
    }
    crate::edit::node_boundary(project, &mut t);
    Ok(t)
}
