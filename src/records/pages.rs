//! Where each grid's page lies in the published website (`g/<dir>/`): the one rule the
//! site (`publish`) and the boards' QR codes (`print`) share.

use crate::model::{Grid, Project};
use std::collections::HashMap;

/// Longest folder name kept whole; longer keys are cut and given a hash of the whole.
const LONGEST: usize = 96;

/// Names Windows reserves in any case and with any extension.
const RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A folder name for `key` that is safe on every file system (case-insensitive ones and
/// Windows' reserved names included) and in a URL: lowercase ASCII letters, digits and `-`
/// as they are, every other byte as `_XX` (uppercase hex: a literal `_` or an uppercase
/// letter never comes out otherwise, so distinct keys give names distinct in any case);
/// "." and ".." cannot come out.
fn slug(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02X}"));
        }
    }
    if RESERVED.contains(&out.as_str()) {
        let first = out.remove(0);
        out.insert_str(0, &format!("_{:02X}", first as u32));
    }
    if out.is_empty() {
        return "_".into();
    }
    if out.len() > LONGEST {
        // FNV-1a of the whole key: the cut names of two long keys differ.
        let hash = crate::model::fnv1a(key.as_bytes(), crate::model::FNV_OFFSET);
        let mut cut = LONGEST - 17;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out = format!("{}~{hash:016x}", &out[..cut]);
    }
    out
}

/// Each grid's folder under `g/`, in project order: its code where it has one that no
/// other grid has taken, else `_id_` and its id ("_i" never comes out of [`slug`], so the
/// two kinds never meet), numbered where ids repeat.
pub fn page_dirs(project: &Project) -> Vec<String> {
    let mut codes: HashMap<&str, usize> = HashMap::new();
    for g in &project.grids {
        *codes.entry(g.code.trim()).or_default() += 1;
    }
    let mut taken: HashMap<String, usize> = HashMap::new();
    project
        .grids
        .iter()
        .map(|g| {
            let code = g.code.trim();
            let base = if !code.is_empty() && codes[code] == 1 {
                slug(code)
            } else {
                format!("_id_{}", slug(&g.id))
            };
            let n = taken.entry(base.clone()).or_default();
            *n += 1;
            if *n == 1 { base } else { format!("{base}~{n}") }
        })
        .collect()
}

/// The folder of `g`'s page (one of the project's grids), as [`page_dirs`] gives it: for
/// a board's QR code.
pub fn page_dir_of(project: &Project, g: &Grid) -> String {
    let at = project
        .grids
        .iter()
        .position(|o| std::ptr::eq(o, g))
        .or_else(|| project.grids.iter().position(|o| o.id == g.id));
    at.map(|i| page_dirs(project).swap_remove(i))
        .unwrap_or_else(|| format!("_id_{}", slug(&g.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_safe_and_distinct() {
        assert_eq!(slug("430481101"), "430481101");
        assert_eq!(slug("../x"), "_2E_2E_2Fx");
        assert_eq!(slug("a_b"), "a_5Fb");
        assert_eq!(slug("Ab"), "_41b", "no two names differ only in case");
        assert_eq!(slug("CON"), "_43_4F_4E");
        assert_eq!(slug("con"), "_63on", "a name Windows reserves");
        assert_eq!(slug("com1"), "_63om1");
        let long = "长".repeat(100);
        assert!(slug(&long).len() <= LONGEST);
        assert_ne!(slug(&long), slug(&format!("{long}x")));
        assert_eq!(slug("上村"), "_E4_B8_8A_E6_9D_91");
        assert_eq!(slug(""), "_");
        assert_ne!(slug("a/b"), slug("a_2Fb"));
    }

    #[test]
    fn one_grids_folder_is_the_one_the_site_gives_it() {
        let square = geo::MultiPolygon(vec![]);
        let grid = |id: &str, code: &str| {
            let mut g = Grid::new(id, 2, square.clone());
            g.code = code.into();
            g
        };
        let project = Project {
            grids: vec![
                grid("a", "001"),
                grid("b", "002"),
                grid("c", "002"),
                grid("d", ""),
                grid("d", " "),
                grid("e", "../x"),
                grid("d", "003"),
            ],
            ..Project::default()
        };
        let all = page_dirs(&project);
        assert_eq!(
            all,
            [
                "001",
                "_id_b",
                "_id_c",
                "_id_d",
                "_id_d~2",
                "_2E_2E_2Fx",
                "003"
            ]
        );
        for (g, d) in project.grids.iter().zip(&all) {
            assert_eq!(&page_dir_of(&project, g), d, "{}", g.id);
        }
    }
}
