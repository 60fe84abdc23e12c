//! Staff rosters from spreadsheets (XLSX/XLS/ODS through calamine) and CSV: one row per
//! person with the grid's code and/or name, role, name and phone, matched to the project's
//! grids by code, then by name. The same columns as the ledger's 人员 sheet, so a roster
//! exported by gridmap comes back in.

use super::error::{RosterError, RosterProblem as P};
use crate::model::{Project, Staff};
use std::io::Read;
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

/// Whether the person's phone may be published (公开, 是, 1, yes ...).
const PUBLIC: &[&str] = &["公开电话", "电话公开", "公开", "public", "PUBLIC"];

/// Cells of the file as text rows.
fn rows_of(path: &Path) -> Result<Vec<Vec<String>>, RosterError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(RosterError::new(
            path,
            P::TooLarge {
                mb: size >> 20,
                limit_mb: MAX_FILE_BYTES >> 20,
            },
        ));
    }
    let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    let mut cells = Cells::default();
    if ext == "csv" || ext == "txt" {
        let bytes = std::fs::read(path).map_err(|e| RosterError::caused(path, P::Unreadable, e))?;
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
        for (row, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| RosterError::caused(path, P::Csv, e))?;
            for (col, v) in rec.iter().enumerate() {
                cells.put(path, index(row), index(col), v.trim().to_string())?;
            }
        }
        return Ok(cells.rows);
    }
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "ods") {
        check_zip(path)?;
    }
    use calamine::{Data, Reader};
    let text = |c: &Data| match c {
        // Phones typed as numbers come back as floats.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string().trim().to_string(),
    };
    if matches!(ext.as_str(), "xlsx" | "xlsm") {
        // Cell by cell: one cell at XFD1048576 must not make a sheet of 17 billion cells.
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook(path).map_err(|e| RosterError::caused(path, P::Xlsx, e))?;
        let sheet = roster_sheet(path, wb.sheet_names())?;
        let mut reader = wb
            .worksheet_cells_reader(&sheet)
            .map_err(|e| RosterError::caused(path, P::Sheet, e))?;
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| RosterError::caused(path, P::Sheet, e))?
        {
            let (r, c) = cell.get_position();
            let v = text(&Data::from(cell.get_value().clone()));
            cells.put(path, r, c, v)?;
        }
    } else {
        let mut wb = calamine::open_workbook_auto(path)
            .map_err(|e| RosterError::caused(path, P::Spreadsheet, e))?;
        let sheet = roster_sheet(path, wb.sheet_names())?;
        let range = wb
            .worksheet_range(&sheet)
            .map_err(|e| RosterError::caused(path, P::Sheet, e))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            cells.put(
                path,
                r0.saturating_add(index(r)),
                c0.saturating_add(index(c)),
                text(v),
            )?;
        }
    }
    Ok(cells.rows)
}

/// Limits on a roster: far above any township's (a few hundred people), far below what
/// would exhaust a PC.
const MAX_FILE_BYTES: u64 = 32 << 20;
/// The uncompressed size of all parts of an XLSX/ODS (a zip bomb is refused before it is
/// opened).
const MAX_UNZIPPED_BYTES: u64 = 128 << 20;
const MAX_ZIP_ENTRIES: usize = 2_000;
pub const MAX_ROWS: u32 = 100_000;
pub const MAX_COLUMNS: u32 = 256;
const MAX_CELLS: usize = 1_000_000;

/// The sheet that holds the roster: one named 人员 or 名单, else the first.
fn roster_sheet(path: &Path, names: Vec<String>) -> Result<String, RosterError> {
    names
        .iter()
        .find(|n| n.contains("人员") || n.contains("名单"))
        .or(names.first())
        .cloned()
        .ok_or_else(|| RosterError::new(path, P::NoSheet))
}

/// A sheet's non-empty cells as rows of text, within the limits.
#[derive(Default)]
struct Cells {
    rows: Vec<Vec<String>>,
    count: usize,
}

impl Cells {
    fn put(&mut self, path: &Path, r: u32, c: u32, v: String) -> Result<(), RosterError> {
        if v.is_empty() {
            return Ok(());
        }
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            return Err(RosterError::new(
                path,
                P::CellOutOfRange {
                    cell: cell_name(r, c),
                    rows: MAX_ROWS,
                    columns: MAX_COLUMNS,
                },
            ));
        }
        let (r, c) = (r as usize, c as usize);
        self.count += c + 1;
        if self.count > MAX_CELLS {
            return Err(RosterError::new(path, P::TooManyCells { limit: MAX_CELLS }));
        }
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let row = &mut self.rows[r];
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = v;
        Ok(())
    }
}

/// A cell's name as Excel shows it: A1, XFD1048576.
fn cell_name(r: u32, c: u32) -> String {
    let mut col = String::new();
    let mut n = c + 1;
    while n > 0 {
        let d = (n - 1) % 26;
        col.insert(0, (b'A' + d as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{col}{}", r + 1)
}

/// Refuse a zip container (XLSX, ODS) with too many parts or parts that unpack to too much:
/// each part is unpacked into nothing and counted, whatever sizes the zip declares.
fn check_zip(path: &Path) -> Result<(), RosterError> {
    let bad = |e: zip::result::ZipError| RosterError::caused(path, P::DamagedZip, e);
    let file =
        std::fs::File::open(path).map_err(|e| RosterError::caused(path, P::Unreadable, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(bad)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(RosterError::new(
            path,
            P::TooManyParts {
                parts: zip.len(),
                limit: MAX_ZIP_ENTRIES,
            },
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(bad)?;
        let left = MAX_UNZIPPED_BYTES - total;
        let n = std::io::copy(&mut (&mut part).take(left + 1), &mut std::io::sink())
            .map_err(|e| RosterError::caused(path, P::DamagedZip, e))?;
        total += n;
        if total > MAX_UNZIPPED_BYTES {
            return Err(RosterError::new(
                path,
                P::ZipBomb {
                    limit_mb: MAX_UNZIPPED_BYTES >> 20,
                },
            ));
        }
    }
    Ok(())
}

/// Read a roster and match its rows to `project`'s grids: by code when the row has one that
/// exists, otherwise by a grid name that is unique in the project.
pub fn read(path: &Path, project: &Project) -> Result<Roster, RosterError> {
    let rows = rows_of(path)?;
    let (h, header) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.iter().any(|c| NAME.contains(&c.as_str())))
        .ok_or_else(|| RosterError::new(path, P::NoHeader))?;
    let col = |names: &[&str]| header.iter().position(|c| names.contains(&c.as_str()));
    let (code, grid, role, name, phone) = (col(CODE), col(GRID), col(ROLE), col(NAME), col(PHONE));
    let public = col(PUBLIC);
    if code.is_none() && grid.is_none() {
        return Err(RosterError::new(path, P::NoGridColumn));
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
            public: Staff::says_public(&get(r, public)),
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
