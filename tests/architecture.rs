//! The layering of the house style (GUIDE.md, "Layout"): `model` imports no other module of
//! ours; io, audit, edit and print build on `model` and the shared geometry but not on each
//! other; the document pipeline ties the core together; only the app (`ui`) sits above it,
//! and nothing outside `src/ui` mentions egui. Every module's rule is stated here; a module
//! without one fails the test.
//!
//! Paths are read from the code with comments and string literals removed, so a doc comment
//! that names a module does not count and `use crate::{io, audit}` does.

use std::collections::BTreeSet;
use std::path::Path;

/// The modules each module may use (besides itself).
fn allowed(module: &str) -> Option<&'static [&'static str]> {
    Some(match module {
        // The binaries' command line reaches the library as `gridmap::`, never `crate::`.
        "model" | "timing" | "error" | "process" | "cli" | "bin" => &[],
        "geom" => &["model", "error"],
        "records" | "synth" => &["model", "geom", "error"],
        "edit" => &["model", "geom", "records", "timing", "error"],
        "io" | "audit" | "print" | "publish" => &["model", "geom", "records", "timing", "error"],
        "ledger" => &["model", "geom", "records", "audit", "error"],
        "document" => &["model", "geom", "audit", "edit", "timing", "error"],
        "commands" => &[
            "model", "geom", "records", "io", "audit", "edit", "print", "publish", "synth",
            "ledger", "document", "timing", "error",
        ],
        // The county database: rows of the model, audits for seams, transactions for the
        // app, and a synthetic county for its benchmark.
        "county" => &[
            "model", "geom", "io", "audit", "edit", "synth", "timing", "error",
        ],
        "fuzzing" => &[
            "model", "io", "audit", "print", "records", "commands", "error",
        ],
        "ui" => &[
            "model", "geom", "records", "io", "audit", "edit", "print", "publish", "synth",
            "ledger", "document", "timing", "commands", "county", "error",
        ],
        _ => return None,
    })
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push((
                p.to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
}

/// The code without comments, string and character literals (replaced by spaces).
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            '/' if next == Some('/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            'r' if next == Some('"') || (next == Some('#') && b.get(i + 2) == Some(&'"')) => {
                // Raw string: r"..." or r#"..."#.
                let mut hashes = 0;
                i += 1;
                while b.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                i += 1;
                while i < b.len() {
                    if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                        i += 1 + hashes;
                        break;
                    }
                    i += 1;
                }
                out.push(' ');
            }
            '"' => {
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push(' ');
            }
            '\'' if b.get(i + 2) == Some(&'\'') || (next == Some('\\')) => {
                // A character literal ('a', '\n', '\u{..}'); lifetimes stay.
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push(' ');
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The modules of this crate a piece of code names: `crate::x` and every top-level name of
/// a group `crate::{x, y::z}`.
fn modules_named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b: Vec<char> = code.chars().collect();
    let ident = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && (b[*i].is_alphanumeric() || b[*i] == '_') {
            *i += 1;
        }
        b[start..*i].iter().collect::<String>()
    };
    let mut from = 0;
    while let Some(k) = code[from..].find("crate::") {
        let at = from + k;
        from = at + 7;
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut i = code[..from].chars().count();
        while i < b.len() && b[i].is_whitespace() {
            i += 1;
        }
        if b.get(i) == Some(&'{') {
            // The first name of each item at the group's top level.
            let mut depth = 0;
            let mut expect = true;
            while i < b.len() {
                match b[i] {
                    '{' => {
                        depth += 1;
                        i += 1;
                    }
                    '}' => {
                        depth -= 1;
                        i += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' => {
                        if depth == 1 {
                            expect = true;
                        }
                        i += 1;
                    }
                    c if c.is_alphabetic() || c == '_' => {
                        let name = ident(&mut i);
                        if depth == 1 && expect {
                            out.insert(name);
                            expect = false;
                        }
                    }
                    _ => i += 1,
                }
            }
        } else {
            let name = ident(&mut i);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Items the crate root re-exports (`pub use audit::{AuditConfig, ...}` in lib.rs), by the
/// module they come from.
fn reexports(lib: &str) -> Vec<(String, String)> {
    let code = code_only(lib);
    let mut out = Vec::new();
    for item in code.split(';') {
        let Some(rest) = item.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        for n in names
            .trim_matches(|c| c == '{' || c == '}' || char::is_whitespace(c))
            .split(',')
        {
            let n = n.trim();
            if !n.is_empty() {
                out.push((n.to_string(), module.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn layers_point_down() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10);
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    let roots = reexports(&lib);
    let mut checked = BTreeSet::new();
    for (path, text) in &files {
        let rel = path.split("/src/").nth(1).unwrap_or(path);
        // The module a file belongs to: `src/io/shp.rs` and `src/io.rs` are `io`.
        let first = rel.split('/').next().unwrap_or("");
        let module = first.strip_suffix(".rs").unwrap_or(first);
        if module == "lib" || module == "main" {
            continue;
        }
        let code = code_only(text);
        if module != "ui" {
            assert!(
                !code
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "egui"),
                "{rel} uses egui outside src/ui"
            );
        }
        let ok = allowed(module).unwrap_or_else(|| panic!("{rel}: module {module} has no rule"));
        for name in modules_named(&code) {
            // A re-exported item counts as the module it comes from.
            let m = roots
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| m.clone())
                .unwrap_or(name);
            if m != module {
                assert!(
                    ok.contains(&m.as_str()),
                    "{rel} ({module}) uses crate::{m}, which its layer may not"
                );
            }
        }
        checked.insert(module.to_string());
    }
    // Every layer of the guide exists and was read.
    for m in [
        "model", "io", "audit", "edit", "print", "ui", "document", "commands",
    ] {
        assert!(checked.contains(m), "no source read for {m}");
    }
}

#[test]
fn the_reader_sees_paths_not_prose() {
    let code = code_only(
        "use crate::{io::{a, b}, audit};\n// crate::print in a comment\nlet s = \"crate::edit\";\n/* crate::ui */ let x = crate::geom::area(y);",
    );
    let named = modules_named(&code);
    assert_eq!(
        named,
        ["audit", "geom", "io"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
}

/// The rules of the code's shape (issue 24), read from every file under `src/`: no
/// function returns its error as a bare `String` (each layer has its typed error), and no
/// struct holds more than 20 fields (group what belongs together). Function length is
/// clippy's `too_many_lines` (150, clippy.toml), denied in CI.
#[test]
fn errors_are_typed_and_structs_stay_small() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut faults = Vec::new();
    for (path, text) in &files {
        let rel = path.split("/src/").nth(1).unwrap_or(path);
        let code = code_only(text);
        for args in generic_args(&code, "Result<") {
            if args.len() == 2 && args[1] == "String" {
                faults.push(format!("{rel}: Result<{}, String>", args[0]));
            }
        }
        for (name, fields) in struct_fields(&code) {
            if fields > 20 {
                faults.push(format!("{rel}: struct {name} has {fields} fields"));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The top-level arguments of every use of the generic `open` (e.g. `Result<`), spaces
/// removed.
fn generic_args(code: &str, open: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find(open) {
        let at = from + k;
        from = at + open.len();
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let (mut depth, mut args, mut cur) = (1, Vec::new(), String::new());
        let mut prev = ' ';
        for c in code[from..].chars() {
            // `->` of a function type closes nothing.
            let arrow = std::mem::replace(&mut prev, c) == '-' && c == '>';
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' | ')' | ']' if !arrow => depth -= 1,
                ',' if depth == 1 => {
                    args.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            if !c.is_whitespace() {
                cur.push(c);
            }
        }
        args.push(cur);
        out.push(args);
    }
    out
}

/// Every struct with named fields and how many it has.
fn struct_fields(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("struct ") {
        let at = from + k;
        from = at + 7;
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[from..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The body: the first `{` before any `;` or `(` (tuple and unit structs have none).
        let Some(open) = rest.find(['{', ';', '(']) else {
            continue;
        };
        if !rest[open..].starts_with('{') {
            continue;
        }
        let (mut depth, mut fields, mut expect) = (0i32, 0, true);
        let mut ident = String::new();
        let mut prev = ' ';
        for c in rest[open..].chars() {
            let arrow = std::mem::replace(&mut prev, c) == '-' && c == '>';
            match c {
                '{' | '(' | '[' | '<' => depth += 1,
                '}' | ')' | ']' | '>' if !arrow => depth -= 1,
                ',' if depth == 1 => expect = true,
                ':' if depth == 1 && expect && !ident.is_empty() => {
                    fields += 1;
                    expect = false;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            if c.is_alphanumeric() || c == '_' {
                ident.push(c);
            } else if !c.is_whitespace() {
                ident.clear();
            }
        }
        out.push((name, fields));
    }
    out
}

#[test]
fn the_shape_reader_counts_fields_and_error_types() {
    let code = code_only(
        "pub struct A { pub a: Vec<(u8, u8)>, b: HashMap<u8, u8>, #[serde(x)] c: fn(u8) -> u8 }\nstruct T(u8, u8);\nfn f() -> Result<Vec<u8>, String> {}\nfn g() -> io::Result<u8> {}",
    );
    assert_eq!(struct_fields(&code), vec![("A".to_string(), 3)]);
    assert_eq!(
        generic_args(&code, "Result<"),
        vec![
            vec!["Vec<u8>".to_string(), "String".to_string()],
            vec!["u8".to_string()]
        ]
    );
}

/// The app's shape (issue 24): the shell (`src/ui/mod.rs`, `GridmapApp`) owns the document
/// and is the only code that changes it or executes commands (`execute` is defined and
/// called only there). Panels (`src/ui/panels/`) see the app read-only and give back
/// commands; tools and dialogs give back commands or go through the shell's commit; no
/// other file under `src/ui` calls the document's changing methods itself. No module
/// outside `src/ui` names `ui` (the table of [`allowed`] lists it nowhere).
#[test]
fn only_the_shell_changes_the_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root.join("ui"), &mut files);
    assert!(files.len() > 5);
    let changing = [
        "doc.commit(",
        "doc.set_settings(",
        "doc.set_bookkeeping(",
        "doc.undo(",
        "doc.redo(",
    ];
    for (path, text) in &files {
        let rel = path.split("/src/").nth(1).unwrap_or(path);
        if rel == "ui/mod.rs" {
            continue;
        }
        let code: String = code_only(text).split_whitespace().collect();
        for c in changing {
            assert!(!code.contains(c), "{rel} calls {c}...) outside the shell");
        }
        assert!(
            !code.contains("fnexecute(") && !code.contains(".execute("),
            "{rel} executes commands: only the shell does"
        );
        // Panels see the app (and the document in it) read-only and give back commands.
        if rel.starts_with("ui/panels/") {
            for c in ["&mutGridmapApp", "&mutDocument", ".seal(", "set_record("] {
                assert!(!code.contains(c), "{rel} has {c}: panels only read");
            }
            assert!(
                code.contains("->Vec<UiCommand>"),
                "{rel}: a panel gives back its commands"
            );
        }
    }
    for m in [
        "model", "geom", "records", "synth", "edit", "io", "audit", "print", "publish", "ledger",
        "document", "commands", "county", "fuzzing", "cli", "bin", "timing", "error", "process",
    ] {
        let ok = allowed(m).unwrap_or_else(|| panic!("{m} has no rule"));
        assert!(!ok.contains(&"ui"), "{m} may not use the app");
    }
}
