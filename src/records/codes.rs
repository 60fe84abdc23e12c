//! Grid codes: the layout of the statistical code extended by grid sequence numbers, checked
//! and generated. The default layout is the 12-digit statistical village code (6-digit
//! county code, GB/T 2260; 3-digit township, GB/T 10114; 3-digit village) extended by a
//! 3-digit grid sequence: town 9 digits, village 12, level-3 grid 15, level-4 grid 18. A
//! project can set its own (`settings.code_scheme.digits`, one length per level).

use crate::model::{Extra, Project};
use geo::{BoundingRect, MultiPolygon};

/// Code length per level (index 0 is level 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeScheme {
    pub digits: Vec<usize>,
}

impl Default for CodeScheme {
    fn default() -> Self {
        CodeScheme {
            digits: vec![9, 12, 15, 18],
        }
    }
}

impl CodeScheme {
    /// The project's layout (`code_scheme`), or the default.
    pub fn from_settings(settings: &Extra) -> Self {
        Some(
            crate::model::ProjectSettings::of(settings)
                .code_scheme
                .digits,
        )
        .filter(|d| !d.is_empty() && d.windows(2).all(|w| w[0] < w[1]))
        .map(|digits| CodeScheme { digits })
        .unwrap_or_default()
    }

    /// Digits expected at `level`, if the layout says.
    pub fn len_for(&self, level: u8) -> Option<usize> {
        self.digits.get(usize::from(level).checked_sub(1)?).copied()
    }

    /// What is wrong with `code` for a grid of `level` under a parent coded `parent`:
    /// (Chinese, English), or None when it fits the layout.
    pub fn problem(&self, level: u8, code: &str, parent: Option<&str>) -> Option<(String, String)> {
        let code = code.trim();
        if !code.chars().all(|c| c.is_ascii_digit()) {
            return Some((
                "编码应全部为数字".into(),
                "a code should be digits only".into(),
            ));
        }
        if let Some(n) = self.len_for(level)
            && code.len() != n
        {
            return Some((
                format!("{level}级网格编码应为 {n} 位，实为 {} 位", code.len()),
                format!(
                    "a level-{level} code has {n} digits, this one {}",
                    code.len()
                ),
            ));
        }
        if let Some(p) = parent.map(str::trim).filter(|p| !p.is_empty())
            && (!code.starts_with(p) || code.len() <= p.len())
        {
            return Some((
                format!("编码应以上级网格编码「{p}」开头"),
                format!("the code should extend its parent's code {p}"),
            ));
        }
        None
    }
}

/// Sort key putting grids in reading order: rows from north to south, west to east within
/// a row (自北向南、自西向东). A row is as tall as the median grid.
fn reading_order(shapes: &[&MultiPolygon<f64>]) -> Vec<usize> {
    let boxes: Vec<Option<geo::Rect<f64>>> = shapes.iter().map(|s| s.bounding_rect()).collect();
    let mut heights: Vec<f64> = boxes.iter().flatten().map(|r| r.height()).collect();
    heights.sort_by(f64::total_cmp);
    let row = heights
        .get(heights.len() / 2)
        .copied()
        .unwrap_or(1.0)
        .max(1e-9);
    let top = boxes
        .iter()
        .flatten()
        .map(|r| r.max().y)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut order: Vec<usize> = (0..shapes.len()).collect();
    let key = |i: usize| {
        boxes[i]
            .map(|r| {
                let c = r.center();
                (((top - c.y) / row).floor() as i64, c.x)
            })
            .unwrap_or((i64::MAX, 0.0))
    };
    order.sort_by(|&a, &b| {
        let (ra, xa) = key(a);
        let (rb, xb) = key(b);
        ra.cmp(&rb).then(xa.total_cmp(&xb)).then(a.cmp(&b))
    });
    order
}

/// New codes for the children of the given parents (all parents when None): the parent's
/// code followed by a sequence number in reading order, as wide as the layout leaves (3
/// digits by default). Returns (grid index, new code) for the grids whose code changes;
/// parents without an all-digit code are skipped.
pub fn renumber(
    project: &Project,
    parents: Option<&[String]>,
    scheme: &CodeScheme,
) -> Vec<(usize, String)> {
    let index = crate::model::GridIndex::new(project);
    let mut out = Vec::new();
    // Top-down, so a renumbered village passes its new code to its own children.
    let mut new_code: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    let mut levels: Vec<u8> = project.grids.iter().map(|g| g.level).collect();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        for p in project.grids.iter().filter(|g| g.level == level) {
            if parents.is_some_and(|ps| !ps.contains(&p.id))
                && !new_code.contains_key(p.id.as_str())
            {
                continue;
            }
            let pcode = new_code
                .get(p.id.as_str())
                .cloned()
                .unwrap_or_else(|| p.code.trim().to_string());
            if pcode.is_empty() || !pcode.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let kids: Vec<usize> = index
                .children(&p.id)
                .filter_map(|c| index.by_id.get(c.id.as_str()).copied())
                .collect();
            if kids.is_empty() {
                continue;
            }
            let shapes: Vec<&MultiPolygon<f64>> =
                kids.iter().map(|&i| &project.grids[i].geometry).collect();
            let width = kids
                .first()
                .and_then(|&k| scheme.len_for(project.grids[k].level))
                .and_then(|n| n.checked_sub(pcode.len()))
                .filter(|w| *w > 0)
                .unwrap_or(3)
                .max(kids.len().to_string().len());
            for (seq, k) in reading_order(&shapes).into_iter().enumerate() {
                let i = kids[k];
                let code = format!("{pcode}{:0width$}", seq + 1);
                if project.grids[i].code != code {
                    out.push((i, code.clone()));
                }
                new_code.insert(project.grids[i].id.as_str(), code);
            }
        }
    }
    out.sort_by_key(|e| e.0);
    out
}

/// The next free code for a new child of a parent coded `pcode` among children coded
/// `siblings`: the parent's code and one more than the highest sequence number in use, as
/// wide as the layout leaves for `level` (3 digits by default). None when the parent has no
/// all-digit code.
pub fn next_code<'a>(
    scheme: &CodeScheme,
    level: u8,
    pcode: &str,
    siblings: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let pcode = pcode.trim();
    if pcode.is_empty() || !pcode.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let width = scheme
        .len_for(level)
        .and_then(|n| n.checked_sub(pcode.len()))
        .filter(|w| *w > 0)
        .unwrap_or(3);
    let last = siblings
        .filter_map(|c| c.trim().strip_prefix(pcode))
        .filter(|seq| seq.len() == width)
        .filter_map(|seq| seq.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    let code = format!("{pcode}{:0width$}", last + 1);
    (code.len() == pcode.len() + width).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_code_follows_the_highest_sibling() {
        let s = CodeScheme::default();
        let sibs = ["431099101001001", "431099101001003", "x"];
        assert_eq!(
            next_code(&s, 3, "431099101001", sibs.into_iter()).as_deref(),
            Some("431099101001004")
        );
        assert_eq!(
            next_code(&s, 3, "431099101001", std::iter::empty()).as_deref(),
            Some("431099101001001")
        );
        assert!(next_code(&s, 3, "", std::iter::empty()).is_none());
        let full = ["431099101001999"];
        assert!(next_code(&s, 3, "431099101001", full.into_iter()).is_none());
    }

    #[test]
    fn scheme_checks_length_digits_and_parent() {
        let s = CodeScheme::default();
        assert!(
            s.problem(3, "431099101001001", Some("431099101001"))
                .is_none()
        );
        assert!(
            s.problem(3, "43109910100100", Some("431099101001"))
                .is_some()
        );
        assert!(
            s.problem(3, "431099101002001", Some("431099101001"))
                .is_some()
        );
        assert!(s.problem(2, "43109910100A", None).is_some());
        let custom = CodeScheme::from_settings(
            &serde_json::json!({"code_scheme": {"digits": [9, 12, 14]}})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(custom.len_for(3), Some(14));
        assert!(
            custom
                .problem(3, "43109910100101", Some("431099101001"))
                .is_none()
        );
    }
}
