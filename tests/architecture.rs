//! The layering of ../shared/GUIDE.md: `model` imports no other module of ours; io, audit
//! and synth do not import each other; nothing outside src/ui mentions egui.

use std::path::Path;

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

#[test]
fn layers_point_down() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10);
    for (path, text) in &files {
        let rel = path.split("/src/").nth(1).unwrap_or(path);
        if !rel.starts_with("ui/") {
            assert!(!text.contains("egui"), "{rel} mentions egui outside src/ui");
        }
        let forbidden: &[&str] = match rel.split('/').next().unwrap_or("") {
            "model" => &[
                "crate::io",
                "crate::audit",
                "crate::geom",
                "crate::synth",
                "crate::commands",
                "crate::ui",
            ],
            "io" => &[
                "crate::audit",
                "crate::synth",
                "crate::commands",
                "crate::ui",
            ],
            "audit" => &["crate::io", "crate::synth", "crate::commands", "crate::ui"],
            "geom" => &[
                "crate::io",
                "crate::audit",
                "crate::synth",
                "crate::commands",
                "crate::ui",
            ],
            "synth" => &["crate::io", "crate::audit", "crate::commands", "crate::ui"],
            "records" => &[
                "crate::io",
                "crate::audit",
                "crate::edit",
                "crate::print",
                "crate::synth",
                "crate::commands",
                "crate::ui",
            ],
            "ledger" => &[
                "crate::io",
                "crate::edit",
                "crate::print",
                "crate::synth",
                "crate::commands",
                "crate::ui",
            ],
            // The document pipeline ties the core together; only the app sits above it.
            "document.rs" => &["crate::ui", "crate::commands"],
            "print" => &[
                "crate::io",
                "crate::audit",
                "crate::edit",
                "crate::synth",
                "crate::commands",
                "crate::ui",
            ],
            _ => &[],
        };
        for f in forbidden {
            assert!(!text.contains(f), "{rel} imports {f}");
        }
    }
}
