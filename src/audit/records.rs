//! Checks on the hierarchy and the grid records (网格档案): levels, parents, ids, codes,
//! names, staff, phone numbers, households and population; and the auditor's bookkeeping
//! of them (every grid when built, the grids a change names when updated).

use super::finding::{Finding, Kind, Severity};
use super::store::Source;
use super::{AuditConfig, Auditor, Look, Work, at_grid};
use crate::model::{ChangeSet, Grid, Project, ROLE_GRID_HEAD, ROLE_GRID_WORKER};
use crate::records::codes::CodeScheme;
use rustc_hash::FxHashMap;

/// Level, parent and code of one grid. `parent`: the grid its parent id names, when it
/// exists; `level_above`: whether any grid has the level above this grid's.
pub(super) fn hierarchy(
    g: &Grid,
    parent: Option<&Grid>,
    level_above: bool,
    scheme: &CodeScheme,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let l = g.label();
    if !(1..=4).contains(&g.level) {
        out.push(Finding::new(
            Kind::BadLevel,
            Severity::Error,
            vec![g.id.clone()],
            format!("网格「{l}」的级别 {} 无效，应为 1-4。", g.level),
            format!("Grid {l} has level {}, which is not 1-4.", g.level),
        ));
    }
    match g.parent.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(pid) => match parent {
            None => out.push(Finding::new(
                Kind::MissingParent,
                Severity::Error,
                vec![g.id.clone(), pid.to_string()],
                format!("网格「{l}」的上级网格「{pid}」不存在。"),
                format!("Grid {l}: its parent {pid} does not exist."),
            )),
            Some(p) if p.level + 1 != g.level => out.push(Finding::new(
                Kind::WrongParentLevel,
                Severity::Error,
                vec![g.id.clone(), p.id.clone()],
                format!(
                    "{}级网格「{l}」的上级「{}」是{}级网格，应为{}级。",
                    g.level,
                    p.label(),
                    p.level,
                    g.level.saturating_sub(1)
                ),
                format!(
                    "Level-{} grid {l} has parent {} of level {}; expected level {}.",
                    g.level,
                    p.label(),
                    p.level,
                    g.level.saturating_sub(1)
                ),
            )),
            Some(_) => {}
        },
        None => {
            if g.level > 1 && level_above {
                out.push(Finding::new(
                    Kind::MissingParent,
                    Severity::Error,
                    vec![g.id.clone()],
                    format!("{}级网格「{l}」没有指定上级网格。", g.level),
                    format!("Level-{} grid {l} has no parent grid.", g.level),
                ));
            }
        }
    }
    let code = g.code.trim();
    if !code.is_empty() {
        if !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            out.push(Finding::new(
                Kind::MalformedCode,
                Severity::Warning,
                vec![g.id.clone()],
                format!("网格「{l}」的编码「{code}」含有数字、字母以外的字符。"),
                format!("Grid {l}: code {code} contains characters other than digits and letters."),
            ));
        } else if code.chars().all(|c| c.is_ascii_digit()) {
            // Digit codes follow the project's layout (statistical code + sequence).
            let pc = parent
                .map(|p| p.code.trim())
                .filter(|c| !c.is_empty() && c.chars().all(|x| x.is_ascii_digit()));
            if let Some((zh, en)) = scheme.problem(g.level, code, pc) {
                let mut ids = vec![g.id.clone()];
                ids.extend(parent.map(|p| p.id.clone()));
                out.push(Finding::new(
                    Kind::MalformedCode,
                    Severity::Warning,
                    ids,
                    format!("网格「{l}」的编码「{code}」不符合编码规则：{zh}。可用「重新编码」按位置生成。"),
                    format!("Grid {l}: code {code} breaks the code layout: {en}. Renumber to generate codes by position."),
                ));
            }
        }
    }
    out
}

/// A grid id used `n` times.
pub(super) fn duplicate_id(id: &str, n: usize) -> Finding {
    Finding::new(
        Kind::DuplicateId,
        Severity::Error,
        vec![id.to_string()],
        format!("网格编号「{id}」出现 {n} 次。每个网格的编号必须唯一。"),
        format!("Grid id {id} is used {n} times. Every grid needs its own id."),
    )
}

/// A grid code used by several grids (`ids`, sorted).
pub(super) fn duplicate_code(code: &str, ids: Vec<String>) -> Finding {
    let n = ids.len();
    Finding::new(
        Kind::DuplicateCode,
        Severity::Error,
        ids,
        format!("网格编码「{code}」被 {n} 个网格重复使用。"),
        format!("Grid code {code} is used by {n} grids."),
    )
}

/// Is this a mainland China mobile (11 digits, 1[3-9]...) or a landline with area code
/// (0 + 2-3 digit area code + 7-8 digits, optional extension)? Spaces and hyphens allowed.
pub fn is_valid_phone(s: &str) -> bool {
    let t = s.trim();
    let t = t
        .strip_prefix("+86")
        .or_else(|| t.strip_prefix("0086"))
        .unwrap_or(t)
        .trim();
    let mut parts = t.splitn(2, ['转', '#', 'x', 'X']);
    let main = parts.next().unwrap_or("");
    if let Some(ext) = parts.next()
        && (ext.is_empty() || !ext.trim().chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let digits: String = main
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let b = digits.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return true;
    }
    if b.first() == Some(&b'0') && b.get(1).is_some_and(|&c| c != b'0') {
        // Area codes: 010, 02x (3 digits) or 0xxx (4 digits); local numbers 7-8 digits.
        let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
        let local = b.len().saturating_sub(area);
        return (7..=8).contains(&local);
    }
    false
}

/// Name, code, staff, phones and size of one grid.
pub(super) fn record(g: &Grid, cfg: &AuditConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    {
        let l = g.label();
        let id = || vec![g.id.clone()];
        if g.name.trim().is_empty() {
            out.push(Finding::new(
                Kind::MissingName,
                Severity::Error,
                id(),
                format!("网格「{}」没有名称。", g.id),
                format!("Grid {} has no name.", g.id),
            ));
        }
        if crate::model::working_name::is_working(&g.name) {
            out.push(Finding::new(
                Kind::WorkingName,
                Severity::Warning,
                id(),
                format!("网格「{l}」的名称是分割、绘制或填补缝隙时自动起的临时名称。发布前请改为正式名称（如自然村名）。"),
                format!("Grid {l} still has the working name the app gave it (split, drawn or filled). Give it its real name (e.g. the natural village) before publishing."),
            ));
        }
        if g.code.trim().is_empty() {
            out.push(Finding::new(
                Kind::MissingCode,
                Severity::Error,
                id(),
                format!("网格「{l}」没有编码。"),
                format!("Grid {l} has no code."),
            ));
        }
        let has_head = g.has_role(ROLE_GRID_HEAD);
        let has_worker = g.has_role(ROLE_GRID_WORKER);
        if g.level >= 3 && !(has_head || has_worker) {
            out.push(Finding::new(
                Kind::MissingStaff,
                Severity::Error,
                id(),
                format!("三级网格「{l}」没有网格长或网格员。请在「人员」中添加。"),
                format!("Level-3 grid {l} has no grid head (网格长) or grid worker (网格员). Add one under Staff."),
            ));
        } else if g.level < 3 && !has_head {
            out.push(Finding::new(
                Kind::MissingStaff,
                Severity::Warning,
                id(),
                format!("网格「{l}」没有网格长。"),
                format!("Grid {l} has no grid head (网格长)."),
            ));
        }
        // A blank row (added, not yet typed in) is no person yet.
        for s in g.staff.iter().filter(|s| !s.is_blank()) {
            if s.phone.trim().is_empty() {
                out.push(Finding::new(
                    Kind::BadPhone,
                    Severity::Error,
                    id(),
                    format!(
                        "网格「{l}」{}「{}」没有电话。请在「人员」中填写。",
                        s.role, s.name
                    ),
                    format!(
                        "Grid {l}: {} {} has no phone. Add it under Staff.",
                        s.role, s.name
                    ),
                ));
            } else if !is_valid_phone(&s.phone) {
                out.push(Finding::new(
                    Kind::BadPhone,
                    Severity::Error,
                    id(),
                    format!("网格「{l}」{}「{}」的电话「{}」无效：应为 11 位手机号 (1[3-9]…) 或带区号的座机。", s.role, s.name, s.phone),
                    format!(
                        "Grid {l}: phone \"{}\" of {} {} is not a mainland mobile (11 digits, 1[3-9]...) or a landline with area code.",
                        s.phone, s.role, s.name
                    ),
                ));
            }
        }
        if g.level == 3 {
            let (hmin, hmax) = cfg.households;
            let (pmin, pmax) = cfg.population;
            let h_ok = g.households.is_none_or(|h| (hmin..=hmax).contains(&h));
            let p_ok = g.population.is_none_or(|p| (pmin..=pmax).contains(&p));
            if !h_ok && !p_ok {
                let h = g.households.map(|v| v.to_string()).unwrap_or_default();
                let p = g.population.map(|v| v.to_string()).unwrap_or_default();
                out.push(Finding::new(
                    Kind::SizeOutOfRange,
                    Severity::Warning,
                    id(),
                    format!("三级网格「{l}」{h} 户、{p} 人，超出建议规模（{hmin}-{hmax} 户或 {pmin}-{pmax} 人）。"),
                    format!("Level-3 grid {l} has {h} households and {p} people, outside the suggested size ({hmin}-{hmax} households or {pmin}-{pmax} people)."),
                ));
            }
        }
    }
    out
}

/// Per-grid findings checked in parallel (None: the grid is gone), stored in order.
type Checked = (Source, Option<Vec<Finding>>);

impl Auditor {
    /// Build path: hierarchy, duplicate ids and codes, and the records of every grid.
    pub(super) fn build_records(&mut self, project: &Project, look: Look, work: &mut Work) {
        self.check_hierarchy(look, work);
        let mut n: FxHashMap<&str, usize> = FxHashMap::default();
        for g in &project.grids {
            *n.entry(g.id.as_str()).or_default() += 1;
        }
        for (id, n) in n.into_iter().filter(|(_, n)| *n > 1) {
            self.store.set(
                Source::DuplicateId(id.to_string()),
                vec![duplicate_id(id, n)],
            );
        }
        self.check_codes(work);
        self.check_records(look, work);
    }

    /// Update path: hierarchy, duplicate ids and codes, and the records of the grids named
    /// in `work`. Ids used twice come and go only where grids were inserted, removed or
    /// renamed.
    pub(super) fn update_records(&mut self, look: Look, set: &ChangeSet, work: &mut Work) {
        self.check_hierarchy(look, work);
        for id in set.grid_counts.keys() {
            let n = look.ids.count(id);
            let source = Source::DuplicateId(id.clone());
            if n > 1 {
                self.store.set(source, vec![duplicate_id(id, n)]);
            } else {
                self.store.clear(&source);
            }
        }
        self.check_codes(work);
        self.check_records(look, work);
    }

    /// Level, parent and code of the grids named in `work.hierarchy`.
    fn check_hierarchy(&mut self, look: Look, work: &Work) {
        let checked: Vec<Checked> = {
            use rayon::prelude::*;
            let me = &*self;
            let ids: Vec<&String> = work.hierarchy.iter().collect();
            ids.par_iter()
                .map(|id| {
                    let fs = look.grid(id).map(|g| {
                        let parent = g
                            .parent
                            .as_deref()
                            .filter(|p| !p.trim().is_empty())
                            .and_then(|p| look.grid(p));
                        let above = g.level > 1 && me.levels.contains_key(&(g.level - 1));
                        at_grid(g, hierarchy(g, parent, above, &me.scheme))
                    });
                    (Source::Hierarchy((*id).clone()), fs)
                })
                .collect()
        };
        self.store_checked(checked);
    }

    /// The codes named in `work.codes` used by more than one grid.
    fn check_codes(&mut self, work: &mut Work) {
        for code in std::mem::take(&mut work.codes) {
            let source = Source::DuplicateCode(code.clone());
            match self.codes.get(&code).filter(|s| s.len() > 1) {
                Some(ids) => {
                    let f = duplicate_code(&code, ids.iter().cloned().collect());
                    self.store.set(source, vec![f]);
                }
                None => self.store.clear(&source),
            }
        }
    }

    /// Name, code, staff, phones and size of the grids named in `work.records`.
    fn check_records(&mut self, look: Look, work: &Work) {
        let checked: Vec<Checked> = {
            use rayon::prelude::*;
            let cfg = &self.config;
            let ids: Vec<&String> = work.records.iter().collect();
            ids.par_iter()
                .map(|id| {
                    let fs = look.grid(id).map(|g| at_grid(g, record(g, cfg)));
                    (Source::Record((*id).clone()), fs)
                })
                .collect()
        };
        self.store_checked(checked);
    }

    /// Store per-grid findings (None: the grid is gone, its findings leave).
    fn store_checked(&mut self, checked: Vec<Checked>) {
        for (source, fs) in checked {
            match fs {
                Some(fs) => self.store.set(source, fs),
                None => self.store.clear(&source),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_phone;

    #[test]
    fn phones() {
        assert!(is_valid_phone("13900001234"));
        assert!(is_valid_phone("139-0000-1234"));
        assert!(is_valid_phone("0735-5550123"));
        assert!(is_valid_phone("010-12345678"));
        assert!(is_valid_phone("+86 139 0000 1234"));
        assert!(!is_valid_phone("12900001234"));
        assert!(!is_valid_phone("1390000123"));
        assert!(!is_valid_phone("abc"));
        assert!(!is_valid_phone(""));
    }
}
