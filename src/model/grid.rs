//! A grid (网格): one management unit with its record (档案) and its staff.

use super::Extra;
use geo::MultiPolygon;

/// 网格长: grid head, required on every grid.
pub const ROLE_GRID_HEAD: &str = "网格长";
/// 网格员: grid worker.
pub const ROLE_GRID_WORKER: &str = "网格员";
/// 河长: river chief.
pub const ROLE_RIVER_CHIEF: &str = "河长";

/// The roles named in the township plans; any other text is allowed too.
pub const STANDARD_ROLES: [&str; 7] = [
    ROLE_GRID_HEAD,
    ROLE_GRID_WORKER,
    "网格协助员",
    "网格警员",
    "网格信息员",
    "网格指导员",
    ROLE_RIVER_CHIEF,
];

/// Where a role stands in a printed staff list: 网格长, 河长, 网格员, the other roles in
/// [`STANDARD_ROLES`] order, any other role, and 网格协助员 last.
pub fn role_rank(role: &str) -> usize {
    match role.trim() {
        ROLE_GRID_HEAD => 0,
        ROLE_RIVER_CHIEF => 1,
        ROLE_GRID_WORKER => 2,
        "网格协助员" => STANDARD_ROLES.len() + 2,
        r => STANDARD_ROLES
            .iter()
            .position(|s| *s == r)
            .map_or(STANDARD_ROLES.len() + 1, |k| k + 3),
    }
}

/// Grid level: 1 = town (一级/总网格), 2 = village (二级/大网格), 3 = sub-area (三级/小网格),
/// 4 = basic grid (基础网格) where a county uses it.
pub type Level = u8;

/// The record key of a grid's change log (a list of [`ChangeEntry`]).
pub const HISTORY: &str = "history";

/// One entry of a grid's change log (动态调整): when, by whom, what, and the old and new
/// value of each field that changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ChangeEntry {
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub what: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// A field of a grid's record before and after a change, as text.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// `name`, `code`, `level`, `parent`, `households`, `population`, `staff`, `notes`,
    /// `area_m2` or `created`.
    pub field: String,
    #[serde(default)]
    pub old: String,
    #[serde(default)]
    pub new: String,
}

impl FieldChange {
    /// The field's name in Chinese and English.
    pub fn label(&self) -> (&'static str, &'static str) {
        match self.field.as_str() {
            "name" => ("名称", "name"),
            "code" => ("编码", "code"),
            "level" => ("级别", "level"),
            "parent" => ("上级", "parent"),
            "households" => ("户数", "households"),
            "population" => ("人数", "population"),
            "staff" => ("人员", "staff"),
            "notes" => ("备注", "notes"),
            "area_m2" => ("面积 m²", "area m²"),
            "created" => ("新建", "created"),
            _ => ("", ""),
        }
    }

    /// "名称：甲 → 乙".
    pub fn describe(&self) -> String {
        let (zh, _) = self.label();
        if self.field == "created" {
            return zh.to_string();
        }
        format!("{zh}：{} → {}", self.old, self.new)
    }
}

/// One person responsible for a grid.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Staff {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// The person agreed that their phone is published on the residents' website
    /// (`gridmap publish`); otherwise residents are given the hotline. Written only when
    /// set, so files without it read and write as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

/// The names the app gives a grid until someone names it: a piece split off (`…（分）`), a
/// grid drawn (`新网格 …`) or made from a gap (`…补充网格`). Such a name must not reach a
/// printed map unnoticed: the audit warns of it.
pub mod working_name {
    /// Appended to the name of a piece split off a grid.
    pub const SPLIT: &str = "（分）";
    /// Put before the id of a grid drawn by hand.
    pub const DRAWN: &str = "新网格";
    /// Appended to the parent's name for a grid made from a gap.
    pub const FILLED: &str = "补充网格";

    /// Whether `name` is one of these working names.
    pub fn is_working(name: &str) -> bool {
        let n = name.trim();
        n.ends_with(SPLIT)
            || n.ends_with("(分)")
            || n.starts_with(DRAWN)
            || n.contains(FILLED)
            || n == "未命名"
    }
}

impl Staff {
    /// A row added and not yet typed in: no name and no phone. It is no person yet: it
    /// fills no role and its missing phone is no finding.
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.phone.trim().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Stable id: the feature id, else the `id` or `code` property, else generated.
    pub id: String,
    pub code: String,
    pub name: String,
    pub level: Level,
    /// Id of the parent grid (None for level 1).
    pub parent: Option<String>,
    pub geometry: MultiPolygon<f64>,
    pub households: Option<u32>,
    pub population: Option<u32>,
    pub staff: Vec<Staff>,
    pub notes: String,
    pub extra: Extra,
}

impl Grid {
    pub fn new(id: impl Into<String>, level: Level, geometry: MultiPolygon<f64>) -> Self {
        Grid {
            id: id.into(),
            code: String::new(),
            name: String::new(),
            level,
            parent: None,
            geometry,
            households: None,
            population: None,
            staff: Vec::new(),
            notes: String::new(),
            extra: Extra::new(),
        }
    }

    /// The fields of the record that differ from `before`, old and new value as text (the
    /// change log's own entries are not a field; the geometry shows as its area).
    pub fn field_changes(&self, before: &Grid) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        let mut push = |field: &str, old: String, new: String| {
            if old != new {
                out.push(FieldChange {
                    field: field.to_string(),
                    old,
                    new,
                });
            }
        };
        push("name", before.name.clone(), self.name.clone());
        push("code", before.code.clone(), self.code.clone());
        push("level", before.level.to_string(), self.level.to_string());
        push(
            "parent",
            before.parent.clone().unwrap_or_default(),
            self.parent.clone().unwrap_or_default(),
        );
        push("households", opt(before.households), opt(self.households));
        push("population", opt(before.population), opt(self.population));
        push(
            "staff",
            Staff::roster_text(&before.staff),
            Staff::roster_text(&self.staff),
        );
        push("notes", before.notes.clone(), self.notes.clone());
        if before.geometry != self.geometry {
            use geo::Area;
            let a = |g: &Grid| format!("{:.1}", g.geometry.unsigned_area());
            push("area_m2", a(before), a(self));
        }
        out
    }

    /// True when every field but the geometry is the same.
    pub fn same_record(&self, other: &Grid) -> bool {
        let Grid {
            id,
            code,
            name,
            level,
            parent,
            geometry: _,
            households,
            population,
            staff,
            notes,
            extra,
        } = self;
        *id == other.id
            && *code == other.code
            && *name == other.name
            && *level == other.level
            && *parent == other.parent
            && *households == other.households
            && *population == other.population
            && *staff == other.staff
            && *notes == other.notes
            && *extra == other.extra
    }

    /// The grid's change log, oldest first.
    pub fn history(&self) -> Vec<ChangeEntry> {
        self.extra
            .get(HISTORY)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// Add an entry to the change log; a repeat of the last entry (same user and change,
    /// as in a drag or typing in one field) moves its time and the new values of its fields
    /// (the old ones stay those before the first).
    pub fn log_change(&mut self, entry: ChangeEntry) {
        let mut h = self.history();
        match h.last_mut() {
            Some(last) if last.user == entry.user && last.what == entry.what => {
                last.time = entry.time;
                for f in entry.fields {
                    match last.fields.iter_mut().find(|l| l.field == f.field) {
                        Some(l) => l.new = f.new,
                        None => last.fields.push(f),
                    }
                }
                last.fields
                    .retain(|f| f.field == "created" || f.old != f.new);
            }
            _ => h.push(entry),
        }
        if let Ok(v) = serde_json::to_value(&h) {
            self.extra.insert(HISTORY.into(), v);
        }
    }

    /// The names and the phones of the staff holding `role`, each joined with "、".
    pub fn people(&self, role: &str) -> (String, String) {
        let list: Vec<&Staff> = self
            .staff
            .iter()
            .filter(|s| s.role.trim() == role && !s.name.trim().is_empty())
            .collect();
        let join = |v: Vec<&str>| v.join("、");
        (
            join(list.iter().map(|s| s.name.trim()).collect()),
            join(
                list.iter()
                    .map(|s| s.phone.trim())
                    .filter(|p| !p.is_empty())
                    .collect(),
            ),
        )
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.staff
            .iter()
            .any(|s| s.role.trim() == role && !s.name.trim().is_empty())
    }

    /// Name for messages: the name if set, else the id.
    pub fn label(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

impl Staff {
    /// The roster as one line of text, `role:name:phone` joined by `;` (the shapefile
    /// `STAFF` field and spreadsheet cells), `role:name:phone:公开` for a person whose phone
    /// is public. [`Staff::parse_roster`] reads it back.
    pub fn roster_text(staff: &[Staff]) -> String {
        staff
            .iter()
            .map(|s| {
                let public = if s.public { ":公开" } else { "" };
                format!(
                    "{}:{}:{}{public}",
                    s.role.trim(),
                    s.name.trim(),
                    s.phone.trim()
                )
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Whether a roster cell says a phone may be published: 公开, 是, 1, yes, true, y, √.
    pub fn says_public(cell: &str) -> bool {
        matches!(
            cell.trim().to_lowercase().as_str(),
            "公开" | "是" | "1" | "yes" | "y" | "true" | "√" | "✓" | "public"
        )
    }

    /// Read a roster written by [`Staff::roster_text`]; also accepts the full-width
    /// `：` and `；` and entries with only role and name.
    pub fn parse_roster(text: &str) -> Vec<Staff> {
        text.split([';', '；', '\n'])
            .filter(|e| !e.trim().is_empty())
            .map(|e| {
                let mut parts = e.split([':', '：']).map(|p| p.trim().to_string());
                Staff {
                    role: parts.next().unwrap_or_default(),
                    name: parts.next().unwrap_or_default(),
                    phone: parts.next().unwrap_or_default(),
                    public: parts.next().is_some_and(|p| Staff::says_public(&p)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_text_round_trip() {
        let staff = vec![
            Staff {
                role: "网格长".into(),
                name: "张三".into(),
                phone: "13900000001".into(),
                public: false,
            },
            Staff {
                role: "网格员".into(),
                name: "李四".into(),
                phone: String::new(),
                ..Default::default()
            },
            Staff {
                role: "河长".into(),
                name: "赵六".into(),
                phone: "13900000002".into(),
                public: true,
            },
        ];
        let text = Staff::roster_text(&staff);
        assert_eq!(
            text,
            "网格长:张三:13900000001;网格员:李四:;河长:赵六:13900000002:公开"
        );
        assert_eq!(Staff::parse_roster(&text), staff);
        assert_eq!(
            Staff::parse_roster("网格长：王五；"),
            vec![Staff {
                role: "网格长".into(),
                name: "王五".into(),
                phone: String::new(),
                public: false,
            }]
        );
    }
}
