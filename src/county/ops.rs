//! What the `gridmap db` commands and the app's county window do, on files: pull into a
//! project file, push a project file (and write back what the push changed), audit and
//! export the whole county, and the text they print.

use super::conn::{self, Target};
use super::db::{self, Account};
use super::{Choice, Conflict, DbError, PushOutcome, Pushed, SYNC_KEY, take_rows};
use crate::audit::{AuditConfig, Finding, Report};
use crate::model::Project;
use std::collections::BTreeMap;
use std::path::Path;

/// Connect to `url` (None: `PGSERVICE`).
pub fn open(url: Option<&str>) -> Result<(Target, postgres::Client), DbError> {
    let target = conn::resolve(url)?;
    let client = conn::connect(&target)?;
    Ok((target, client))
}

/// Pull `township` into the project file `out` (a GeoPackage); the project. An existing
/// file is replaced only with `replace` (`--force`, or the app's save dialog that asked),
/// and only when it is a GeoPackage; never a project holding changes not yet pushed.
pub fn pull_to_file(
    target: &Target,
    township: &str,
    out: &Path,
    replace: bool,
) -> Result<Project, DbError> {
    let is_gpkg = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    if !is_gpkg {
        return Err(DbError::new(
            format!(
                "拉取写入 GeoPackage 项目文件，文件名应以 .gpkg 结尾：{}",
                out.display()
            ),
            format!(
                "a pull writes a GeoPackage project file; the name must end in .gpkg: {}",
                out.display()
            ),
        ));
    }
    if out.exists() {
        if let Ok(old) = crate::io::open(&[out], &Default::default())
            && let Some(sync) = super::SyncState::of(&old)
            && !super::local_changes(&super::keyed_rows(&old)?, &sync).is_empty()
        {
            return Err(DbError::new(
                format!(
                    "{} 中有尚未推送的修改，拉取不会覆盖它：先推送（gridmap db push），或拉取到另一个文件。",
                    out.display()
                ),
                format!(
                    "{} holds changes not yet pushed; a pull does not replace it: push them first (gridmap db push), or pull into another file.",
                    out.display()
                ),
            ));
        }
        if !replace {
            return Err(DbError::new(
                format!(
                    "{} 已存在；要用拉取的内容替换它，请加 --force。",
                    out.display()
                ),
                format!(
                    "{} exists; add --force to replace it with the pulled project.",
                    out.display()
                ),
            ));
        }
    }
    let mut client = conn::connect(target)?;
    let project = db::pull(&mut client, township, &target.display)?;
    crate::io::gpkg::write(&project, out)?;
    Ok(project)
}

/// The project after a push: the rows it had to take from the server and the new sync
/// state (for a project held elsewhere, [`take_rows`] and the state to set).
pub fn after_push(project: &Project, pushed: &Pushed) -> Project {
    let mut p = project.clone();
    let t = take_rows(project, &pushed.take, "从县级库更新");
    // The transaction was built against this very project.
    let _ = t.apply(&mut p);
    p.settings.insert(SYNC_KEY.into(), pushed.sync.to_value());
    p
}

/// What `db push` did, for the caller to print.
pub struct PushFile {
    pub outcome: PushOutcome,
    /// The file was written back with the new sync state (a gridmap project file).
    pub wrote_back: bool,
}

/// Push the project in `file` as `township`; every conflict resolved by `take` when given.
/// A gridmap project file is written back with what the push changed.
pub fn push_file(
    url: Option<&str>,
    file: &Path,
    township: &str,
    take: Option<&Choice>,
    force: bool,
) -> Result<PushFile, DbError> {
    let project = crate::io::open(&[file], &Default::default())?;
    let (target, mut client) = open(url)?;
    let mut outcome = db::push(
        &mut client,
        &project,
        township,
        &target.display,
        &BTreeMap::new(),
        force,
    )?;
    if let (PushOutcome::Conflicts(list), Some(choice)) = (&outcome, take) {
        let choices = list
            .iter()
            .map(|c| (c.key.clone(), choice.clone()))
            .collect();
        outcome = db::push(
            &mut client,
            &project,
            township,
            &target.display,
            &choices,
            force,
        )?;
    }
    let mut wrote_back = false;
    if let PushOutcome::Pushed(p) = &outcome
        && crate::io::gpkg::is_native(file).unwrap_or(false)
    {
        crate::io::gpkg::write(&after_push(&project, p), file)?;
        wrote_back = true;
    }
    Ok(PushFile {
        outcome,
        wrote_back,
    })
}

/// The whole county as one project, audited.
pub fn audit_county(
    url: Option<&str>,
    gap_width: Option<f64>,
) -> Result<(Project, Report), DbError> {
    let (_, mut client) = open(url)?;
    let project = db::load_county(&mut client)?;
    let mut config = AuditConfig::default();
    if let Some(w) = gap_width {
        config.gap_width = w;
    }
    let report = crate::audit(&project, &config);
    Ok((project, report))
}

/// Text for a list of conflicts.
pub fn render_conflicts(list: &[Conflict]) -> String {
    let mut out = format!(
        "{} 处冲突：这些要素在您拉取之后已被他人修改，没有写入任何数据。\n{} conflicts: these features were changed by someone else since your pull; nothing was written.\n",
        list.len(),
        list.len()
    );
    for c in list {
        out.push_str(&format!(
            "\n{}  (他人 theirs: v{} {} {})\n",
            c.key, c.their_version, c.by, c.at
        ));
        match (&c.mine, &c.theirs) {
            (None, _) => out.push_str("  我方已删除，对方已修改 / deleted here, changed there\n"),
            (_, None) => out.push_str("  我方已修改，对方已删除 / changed here, deleted there\n"),
            _ => {
                for f in c.fields() {
                    out.push_str(&format!(
                        "  {}: 我方 mine = {} | 他人 theirs = {}\n",
                        f.field, f.mine, f.theirs
                    ));
                }
            }
        }
    }
    out.push_str("\n用 --take mine 写入我方版本，或 --take theirs 采用他人版本（被替换的版本都记入 change_log）；或在程序中逐字段合并。\nUse --take mine to write yours, or --take theirs to take theirs (the replaced version goes to change_log either way); or merge field by field in the app.\n");
    out
}

/// Text for a refused push.
pub fn render_refused(findings: &[Finding]) -> String {
    let mut out = format!(
        "推送被拒绝：{} 处接边问题（乡镇外界或与邻乡镇的接边不再吻合），没有写入任何数据。\nPush refused: {} seam findings (the township outline or the border with a neighbour no longer matches); nothing was written.\n",
        findings.len(),
        findings.len()
    );
    for f in findings {
        let area = f.area_m2.map(|a| format!(" {a:.2} m²")).unwrap_or_default();
        out.push_str(&format!(
            "  [{}] {}{area}: {} / {}\n",
            f.kind.as_str(),
            f.ids.join(", "),
            f.message.zh,
            f.message.en
        ));
    }
    out
}

/// Text for a done push.
pub fn render_pushed(p: &Pushed, wrote_back: bool) -> String {
    let mut s = format!(
        "已推送乡镇 {}：写入 {} 个，删除 {} 个，解决冲突 {} 处，从县级库更新本地 {} 个。\nPushed township {}: {} written, {} deleted, {} conflicts resolved, {} taken from the county database.\n",
        p.sync.township,
        p.written,
        p.deleted,
        p.resolved,
        p.take.len(),
        p.sync.township,
        p.written,
        p.deleted,
        p.resolved,
        p.take.len()
    );
    if wrote_back {
        s.push_str("项目文件已更新。 The project file was updated.\n");
    }
    s
}

/// Parse `--county`, `--viewer` or `--township CODE` into an account kind.
pub fn account_kind(
    county: bool,
    viewer: bool,
    township: Option<String>,
) -> Result<Account, DbError> {
    match (county, viewer, township) {
        (true, false, None) => Ok(Account::County),
        (false, true, None) => Ok(Account::Viewer),
        (false, false, Some(t)) => Ok(Account::Township(t)),
        _ => Err(DbError::new(
            "请只给出 --county、--viewer 或 --township CODE 中的一个。",
            "give exactly one of --county, --viewer or --township CODE.",
        )),
    }
}
