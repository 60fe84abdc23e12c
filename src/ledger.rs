//! The grid ledger (网格台账): grids in hierarchy order with area, households, population,
//! four bounds and staff; rivers and reservoirs by grid; every staff member; the change
//! log of every grid (动态调整). Built once as
//! tables and written as an XLSX workbook (one sheet per table) or as CSV files.

use crate::audit::Report;
use crate::model::{Project, ROLE_GRID_HEAD, ROLE_GRID_WORKER, ROLE_RIVER_CHIEF};
use crate::records::four_bounds_all;

/// One cell: text or a number (numbers stay numbers in the spreadsheet).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    fn opt(v: Option<u32>) -> Cell {
        v.map(|n| Cell::Number(f64::from(n))).unwrap_or(Cell::Empty)
    }

    /// As written to CSV.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n:.2}"),
            Cell::Empty => String::new(),
        }
    }
}

/// A sheet: name, Chinese headers, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (Chinese) and the file suffix for CSV.
    pub name: &'static str,
    pub file: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// Square metres in one mu (亩).
pub const M2_PER_MU: f64 = 10_000.0 / 15.0;

/// Grids in hierarchy order: each grid followed by its children, siblings by code then id;
/// grids whose parent is missing come last.
pub fn hierarchy_order(project: &Project) -> Vec<usize> {
    let index = crate::model::GridIndex::new(project);
    let key = |i: &usize| {
        let g = &project.grids[*i];
        (g.code.clone(), g.id.clone())
    };
    let mut roots: Vec<usize> = (0..project.grids.len())
        .filter(|&i| {
            project.grids[i]
                .parent
                .as_deref()
                .is_none_or(|p| index.get(p).is_none())
        })
        .collect();
    roots.sort_by_key(key);
    let mut out = Vec::with_capacity(project.grids.len());
    let mut seen = vec![false; project.grids.len()];
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push(i);
        let mut kids: Vec<usize> = index
            .children(&project.grids[i].id)
            .filter_map(|c| index.by_id.get(c.id.as_str()).copied())
            .collect();
        kids.sort_by_key(key);
        stack.extend(kids.into_iter().rev());
    }
    // Cycles in the parent links: whatever was not reached, in file order.
    out.extend((0..project.grids.len()).filter(|&i| !seen[i]));
    out
}

/// Why the ledger's tables could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The XLSX writer failed.
    #[error("无法生成 XLSX 工作簿\ncannot make the XLSX workbook")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer failed.
    #[error("无法生成 CSV\ncannot make the CSV")]
    Csv(#[from] csv::Error),
}

/// The five tables of the ledger. River lengths and reservoir areas come from the audit
/// report of the same project.
pub fn tables(project: &Project, report: &Report) -> Vec<Table> {
    let order = hierarchy_order(project);
    let index = crate::model::GridIndex::new(project);
    let names = GridNames { index: &index };
    vec![
        Table {
            name: "网格",
            file: "grids",
            headers: GRID_HEADERS.to_vec(),
            rows: grid_rows(project, &order, &names),
        },
        Table {
            name: "河流",
            file: "rivers",
            headers: vec!["河流名称", "网格编码", "网格名称", "长度（米）", "界河"],
            rows: river_rows(report, &names),
        },
        Table {
            name: "水库",
            file: "reservoirs",
            headers: vec![
                "水库名称",
                "网格编码",
                "网格名称",
                "面积（平方米）",
                "面积（亩）",
            ],
            rows: reservoir_rows(report, &names),
        },
        staff_table(project, &order),
        Table {
            name: "变更记录",
            file: "changes",
            headers: vec![
                "时间（UTC）",
                "网格编码",
                "网格名称",
                "修改人",
                "修改内容",
                "修改前后",
            ],
            rows: change_rows(project, &order),
        },
    ]
}

/// The columns of the 网格 sheet, in the order [`grid_rows`] fills them.
const GRID_HEADERS: [&str; 20] = [
    "序号",
    "级别",
    "上级网格",
    "网格编码",
    "网格名称",
    "面积（亩）",
    "面积（平方千米）",
    "户数",
    "人数",
    "东至",
    "南至",
    "西至",
    "北至",
    "网格长",
    "网格长电话",
    "网格员",
    "网格员电话",
    "河长",
    "河长电话",
    "其他人员",
];

/// The label and code of a grid named by id in the report ("" for an id not in the
/// project).
struct GridNames<'a> {
    index: &'a crate::model::GridIndex<'a>,
}

impl GridNames<'_> {
    fn label(&self, id: &str) -> String {
        self.index
            .get(id)
            .map(|g| g.label().to_string())
            .unwrap_or_default()
    }

    fn code(&self, id: &str) -> String {
        self.index
            .get(id)
            .map(|g| g.code.clone())
            .unwrap_or_default()
    }
}

/// A row per grid in `order`: place in the hierarchy, area, people, four bounds, staff.
fn grid_rows(project: &Project, order: &[usize], names: &GridNames) -> Vec<Vec<Cell>> {
    let bounds = four_bounds_all(project);
    let mut rows = Vec::with_capacity(order.len());
    for (n, &i) in order.iter().enumerate() {
        let g = &project.grids[i];
        let area = crate::geom::area(&g.geometry);
        let (head, head_tel) = g.people(ROLE_GRID_HEAD);
        let (workers, worker_tel) = g.people(ROLE_GRID_WORKER);
        let (chief, chief_tel) = g.people(ROLE_RIVER_CHIEF);
        let fb = &bounds[i];
        rows.push(vec![
            Cell::Number((n + 1) as f64),
            Cell::Number(f64::from(g.level)),
            Cell::text(
                g.parent
                    .as_deref()
                    .map(|p| names.label(p))
                    .unwrap_or_default(),
            ),
            Cell::text(g.code.clone()),
            Cell::text(g.label()),
            Cell::Number((area / M2_PER_MU * 100.0).round() / 100.0),
            Cell::Number((area / 1e6 * 10_000.0).round() / 10_000.0),
            Cell::opt(g.households),
            Cell::opt(g.population),
            Cell::text(fb.east.clone()),
            Cell::text(fb.south.clone()),
            Cell::text(fb.west.clone()),
            Cell::text(fb.north.clone()),
            Cell::text(head),
            Cell::text(head_tel),
            Cell::text(workers),
            Cell::text(worker_tel),
            Cell::text(chief),
            Cell::text(chief_tel),
            Cell::text(other_staff(g)),
        ]);
    }
    rows
}

/// Staff in roles other than grid head, grid worker and river chief: "职务 姓名 电话；…".
fn other_staff(g: &crate::model::Grid) -> String {
    g.staff
        .iter()
        .filter(|s| {
            ![ROLE_GRID_HEAD, ROLE_GRID_WORKER, ROLE_RIVER_CHIEF].contains(&s.role.trim())
                && !s.name.trim().is_empty()
        })
        .map(|s| {
            format!("{} {} {}", s.role.trim(), s.name.trim(), s.phone.trim())
                .trim()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// A row per river and grid it runs through, and one for its length outside every grid.
fn river_rows(report: &Report, names: &GridNames) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for r in &report.rivers {
        for gl in &r.by_grid {
            rows.push(vec![
                Cell::text(r.name.clone()),
                Cell::text(names.code(&gl.grid)),
                Cell::text(names.label(&gl.grid)),
                Cell::Number((gl.length_m * 10.0).round() / 10.0),
                Cell::text(if gl.boundary { "是" } else { "" }),
            ]);
        }
        if r.outside_m > 0.0 {
            rows.push(vec![
                Cell::text(r.name.clone()),
                Cell::Empty,
                Cell::text("（未入网格）"),
                Cell::Number((r.outside_m * 10.0).round() / 10.0),
                Cell::Empty,
            ]);
        }
    }
    rows
}

/// A row per reservoir and grid it lies in.
fn reservoir_rows(report: &Report, names: &GridNames) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for r in &report.reservoirs {
        for ga in &r.by_grid {
            rows.push(vec![
                Cell::text(r.name.clone()),
                Cell::text(names.code(&ga.grid)),
                Cell::text(names.label(&ga.grid)),
                Cell::Number(ga.area_m2.round()),
                Cell::Number((ga.area_m2 / M2_PER_MU * 100.0).round() / 100.0),
            ]);
        }
    }
    rows
}

/// A row per entry of every grid's change log, newest first.
fn change_rows(project: &Project, order: &[usize]) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for &i in order {
        let g = &project.grids[i];
        for e in g.history() {
            let fields: Vec<String> = e.fields.iter().map(|f| f.describe()).collect();
            rows.push(vec![
                Cell::text(e.time),
                Cell::text(g.code.clone()),
                Cell::text(g.label()),
                Cell::text(e.user),
                Cell::text(e.what),
                Cell::text(fields.join("；")),
            ]);
        }
    }
    // Newest first, as the annual review reads them; the sort is stable for equal times.
    rows.sort_by(|a, b| b[0].display().cmp(&a[0].display()));
    rows
}

/// Every staff member, grid by grid in `order`: the 人员 sheet, also the roster format that
/// [`crate::io::roster`] reads back.
pub fn staff_table(project: &Project, order: &[usize]) -> Table {
    let mut rows = Vec::new();
    for &i in order {
        let g = &project.grids[i];
        for s in &g.staff {
            rows.push(vec![
                Cell::text(g.code.clone()),
                Cell::text(g.label()),
                Cell::text(s.role.trim()),
                Cell::text(s.name.trim()),
                Cell::text(s.phone.trim()),
                Cell::text(if s.public { "公开" } else { "" }),
            ]);
        }
    }
    Table {
        name: "人员",
        file: "staff",
        headers: vec![
            "网格编码",
            "网格名称",
            "职务",
            "姓名",
            "联系电话",
            "公开电话",
        ],
        rows,
    }
}

/// The tables as an XLSX workbook: bold frozen header row, columns sized to their text.
pub fn to_xlsx(tables: &[Table], title: &str) -> Result<Vec<u8>, LedgerError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    // A fixed creation time keeps the file the same for the same project.
    let props = DocProperties::new()
        .set_title(title)
        .set_author("gridmap")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?);
    wb.set_properties(&props);
    let bold = Format::new().set_bold();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(t.name)?;
        for (c, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit();
    }
    Ok(wb.save_to_buffer()?)
}

/// One table as CSV (UTF-8 with BOM, so Excel opens the Chinese correctly).
pub fn to_csv(t: &Table) -> Result<Vec<u8>, LedgerError> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(&t.headers)?;
    for row in &t.rows {
        w.write_record(row.iter().map(Cell::display))?;
    }
    w.into_inner()
        .map_err(|e| LedgerError::Csv(e.into_error().into()))
}
