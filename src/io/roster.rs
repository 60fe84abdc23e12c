//! Staff rosters from spreadsheets (XLSX/XLS/ODS through calamine) and CSV: one row per
//! person with the grid's code and/or name, role, name and phone, matched to the project's
//! grids by code, then by name. The same columns as the ledger's 人员 sheet, so a roster
//! exported by gridmap comes back in.

use crate::model::{Project, Staff};
use std::path::Path;

/// One row of a roster and the grid it was matched to.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    /// Row number in the file (1 = header).
    pub line: usize,
    pub code: String,
    pub grid_name: String,
    pub staff: Staff,
    /// Index of the matched grid.
    pub grid: Option<usize>,
}

/// A roster read and matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    pub rows: Vec<RosterRow>,
}

impl Roster {
    pub fn unmatched(&self) -> impl Iterator<Item = &RosterRow> {
        self.rows.iter().filter(|r| r.grid.is_none())
    }

    /// New staff lists: every matched grid gets exactly the people the roster lists for it,
    /// in roster order; grids not in the roster keep theirs. (grid index, staff).
    pub fn staff_by_grid(&self) -> Vec<(usize, Vec<Staff>)> {
        let mut out: Vec<(usize, Vec<Staff>)> = Vec::new();
        for r in &self.rows {
            let Some(g) = r.grid else { continue };
            match out.iter_mut().find(|e| e.0 == g) {
                Some(e) => e.1.push(r.staff.clone()),
                None => out.push((g, vec![r.staff.clone()])),
            }
        }
        out.sort_by_key(|e| e.0);
        out
    }
}

/// Header names of each column (the first match wins).
const CODE: &[&str] = &["网格编码", "编码", "code", "CODE"];
const GRID: &[&str] = &["网格名称", "网格", "所属网格", "grid", "GRID"];
const ROLE: &[&str] = &["职务", "岗位", "角色", "role", "ROLE"];
const NAME: &[&str] = &["姓名", "人员", "name", "NAME"];
const PHONE: &[&str] = &[
    "联系电话",
    "电话",
    "手机",
    "手机号",
    "phone",
    "PHONE",
    "TEL",
];

fn err(path: &Path, zh: &str, en: &str) -> String {
    format!("{}: {zh} / {en}", path.display())
}

/// Cells of the file as text rows.
fn rows_of(path: &Path) -> Result<Vec<Vec<String>>, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext == "csv" || ext == "txt" {
        let bytes = std::fs::read(path).map_err(|e| err(path, "无法读取", &e.to_string()))?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        // Excel in China saves CSV as GBK: decode as GB18030 when it is not UTF-8.
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t.to_string(),
            Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
        };
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        return r
            .records()
            .map(|rec| {
                rec.map(|x| x.iter().map(|c| c.trim().to_string()).collect())
                    .map_err(|e| err(path, "CSV 格式错误", &e.to_string()))
            })
            .collect();
    }
    use calamine::{Data, Reader};
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| {
        err(
            path,
            "无法读取表格（支持 xlsx、xls、ods、csv）",
            &e.to_string(),
        )
    })?;
    let names = wb.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.contains("人员") || n.contains("名单"))
        .or(names.first())
        .cloned()
        .ok_or_else(|| err(path, "表格中没有工作表", "the workbook has no sheet"))?;
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| err(path, "无法读取工作表", &e.to_string()))?;
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    // Phones typed as numbers come back as floats.
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                        format!("{}", *f as i64)
                    }
                    other => other.to_string().trim().to_string(),
                })
                .collect()
        })
        .collect())
}

/// Read a roster and match its rows to `project`'s grids: by code when the row has one that
/// exists, otherwise by a grid name that is unique in the project.
pub fn read(path: &Path, project: &Project) -> Result<Roster, String> {
    let rows = rows_of(path)?;
    let (h, header) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.iter().any(|c| NAME.contains(&c.as_str())))
        .ok_or_else(|| {
            err(
                path,
                "找不到表头（需要「姓名」列，以及「网格编码」或「网格名称」列）",
                "no header row: a 姓名/name column and a 网格编码/code or 网格名称/grid column are needed",
            )
        })?;
    let col = |names: &[&str]| header.iter().position(|c| names.contains(&c.as_str()));
    let (code, grid, role, name, phone) = (col(CODE), col(GRID), col(ROLE), col(NAME), col(PHONE));
    if code.is_none() && grid.is_none() {
        return Err(err(
            path,
            "需要「网格编码」或「网格名称」列",
            "a 网格编码/code or 网格名称/grid column is needed",
        ));
    }
    let by_code: std::collections::HashMap<&str, usize> = project
        .grids
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.code.trim().is_empty())
        .map(|(i, g)| (g.code.trim(), i))
        .collect();
    let mut by_name: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, g) in project.grids.iter().enumerate() {
        by_name.entry(g.label().trim()).or_default().push(i);
    }
    let get =
        |r: &[String], c: Option<usize>| c.and_then(|c| r.get(c)).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (k, r) in rows.iter().enumerate().skip(h + 1) {
        let staff = Staff {
            role: get(r, role),
            name: get(r, name),
            phone: get(r, phone),
        };
        if staff.name.is_empty() && staff.phone.is_empty() {
            continue;
        }
        let (c, n) = (get(r, code), get(r, grid));
        let matched = by_code.get(c.as_str()).copied().or_else(|| {
            by_name
                .get(n.as_str())
                .filter(|v| v.len() == 1)
                .map(|v| v[0])
        });
        out.push(RosterRow {
            line: k + 1,
            code: c,
            grid_name: n,
            staff,
            grid: matched,
        });
    }
    Ok(Roster { rows: out })
}
