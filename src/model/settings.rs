//! The project's settings, kept in the project file: one typed view over the project's
//! `settings` map, with a default for everything missing or unreadable. Every module reads
//! its settings here; changes are written back key by key through the undo history. Keys
//! gridmap does not know stay in the map untouched.

use super::Extra;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The attribute column holding each grid field when importing; `None` = guess from the
/// usual names (名称/NAME/XZQMC, 编码/CODE/XZQDM, 户数, 人口, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub households: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
}

impl FieldMap {
    /// The fields that can be mapped, as (key, 中文, English).
    pub const FIELDS: [(&'static str, &'static str, &'static str); 6] = [
        ("name", "名称", "Name"),
        ("code", "编码", "Code"),
        ("level", "级别", "Level"),
        ("parent", "上级", "Parent"),
        ("households", "户数", "Households"),
        ("population", "人口", "Population"),
    ];

    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            "name" => self.name.as_deref(),
            "code" => self.code.as_deref(),
            "level" => self.level.as_deref(),
            "parent" => self.parent.as_deref(),
            "households" => self.households.as_deref(),
            "population" => self.population.as_deref(),
            _ => None,
        }
    }

    pub fn set(&mut self, key: &str, column: Option<String>) {
        let slot = match key {
            "name" => &mut self.name,
            "code" => &mut self.code,
            "level" => &mut self.level,
            "parent" => &mut self.parent,
            "households" => &mut self.households,
            "population" => &mut self.population,
            _ => return,
        };
        *slot = column;
    }

    pub fn is_empty(&self) -> bool {
        *self == FieldMap::default()
    }
}

/// Audit thresholds (`audit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditSettings {
    /// Gaps narrower than this are slivers, and edges closer than this to a neighbour's
    /// without matching it are near-miss edges (metres).
    pub gap_width: f64,
    /// Gaps, overlaps and outside parts smaller than this are ignored (m²).
    pub min_area_m2: f64,
    /// Expected households per level-3 grid.
    pub households: [u32; 2],
    /// Expected population per level-3 grid.
    pub population: [u32; 2],
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            gap_width: 0.5,
            min_area_m2: 0.01,
            households: [200, 300],
            population: [500, 1200],
        }
    }
}

/// Texts printed on the sheets (`print`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrintSettings {
    /// 制图单位: the issuing office.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// 监督电话: the supervision hotline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hotline: Option<String>,
    /// 工作职责: the duties text of the display boards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duties: Option<String>,
    /// What the QR codes say: an address with `{code}`, `{id}` or `{name}` for the grid's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_url: Option<String>,
}

impl PrintSettings {
    /// The settings from the texts a user typed (blank ones left out): office, hotline,
    /// duties and QR address.
    pub fn from_texts(texts: [&str; 4]) -> Self {
        let t = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        PrintSettings {
            office: t(texts[0]),
            hotline: t(texts[1]),
            duties: t(texts[2]),
            qr_url: t(texts[3]),
        }
    }
}

/// The layout of grid codes (`code_scheme`): digits per level, level 1 first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeSchemeSettings {
    pub digits: Vec<usize>,
}

/// One key of the settings map: read leniently (a value that does not fit gives the
/// default, without touching the other keys).
fn read<T: for<'de> Deserialize<'de> + Default>(settings: &Extra, key: &str) -> T {
    settings
        .get(key)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The value a setting is stored as: none for the default (a key that was never
/// written stays absent).
fn value<T: Serialize + Default + PartialEq>(setting: &T) -> Option<Value> {
    if *setting == T::default() {
        None
    } else {
        serde_json::to_value(setting).ok()
    }
}

/// [`ProjectSettings`] from one table: each field is a key of the settings map with
/// the same name, read by [`read`] and written by [`value`].
macro_rules! project_settings {
    ($($(#[$doc:meta])* $key:ident: $ty:ty,)*) => {
        /// Every setting gridmap keeps in a project.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct ProjectSettings {
            $($(#[$doc])* pub $key: $ty,)*
        }

        impl ProjectSettings {
            /// The keys of the settings map that gridmap reads.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            pub fn of(settings: &Extra) -> Self {
                ProjectSettings {
                    $($key: read(settings, stringify!($key)),)*
                }
            }

            /// The value each key should have in the map (None: absent, for a default
            /// that was never written).
            pub fn values(&self) -> Vec<(&'static str, Option<Value>)> {
                vec![$((stringify!($key), value(&self.$key))),*]
            }
        }
    };
}

project_settings! {
    audit: AuditSettings,
    /// The interface language the project was last used in ("zh" or "en").
    language: Option<String>,
    print: PrintSettings,
    /// The column mapping of the last import.
    field_map: FieldMap,
    /// The attribute encoding chosen at the last import ("GBK", ...).
    import_encoding: Option<String>,
    code_scheme: CodeSchemeSettings,
}

impl ProjectSettings {
    /// The keys whose value in `settings` differs from these settings, with the new value.
    pub fn changes(&self, settings: &Extra) -> Vec<(&'static str, Option<Value>)> {
        let current = ProjectSettings::of(settings);
        self.values()
            .into_iter()
            .zip(current.values())
            .filter(|(new, old)| new.1 != old.1)
            .map(|(new, _)| new)
            .collect()
    }

    /// Write these settings into a settings map (for a project being built).
    pub fn store(&self, settings: &mut Extra) {
        for (k, v) in self.changes(settings) {
            match v {
                Some(v) => {
                    settings.insert(k.to_string(), v);
                }
                None => {
                    settings.remove(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_keys_fall_back_alone_and_unknown_keys_stay() {
        let mut m = Extra::new();
        m.insert("audit".into(), serde_json::json!({"gap_width": 1.5}));
        m.insert("print".into(), serde_json::json!("not an object"));
        m.insert("custom".into(), serde_json::json!(42));
        let s = ProjectSettings::of(&m);
        assert_eq!(s.audit.gap_width, 1.5);
        assert_eq!(s.audit.households, [200, 300]);
        assert_eq!(s.print, PrintSettings::default());
        let mut t = s.clone();
        t.print.hotline = Some("0735-5550000".into());
        let changes = t.changes(&m);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, "print");
        t.store(&mut m);
        assert_eq!(m["custom"], serde_json::json!(42));
        assert_eq!(ProjectSettings::of(&m), t);
    }
}
