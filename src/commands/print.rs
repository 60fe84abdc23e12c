//! Printing to files: compose the sheets and write them as PDF, SVG or PNG.

use super::export::write;
use super::{CommandError, extension};
use crate::io;
use crate::model::Project;
use std::path::{Path, PathBuf};

/// What `print` wrote and what the user should know about it.
pub struct Printed {
    pub files: Vec<PathBuf>,
    /// Grids whose label found no room, per page.
    pub omitted: Vec<(String, Vec<String>)>,
}

/// Compose a print and write it in the format of `out`'s extension: .pdf (all pages in one
/// file), .svg or .png (one file per page; several pages get -001, -002… before the
/// extension). Every file is written atomically.
pub fn print(
    project: &Project,
    opts: &crate::print::PrintOptions,
    out: &Path,
    dpi: u32,
) -> Result<Printed, CommandError> {
    use crate::print;
    let ext = extension(out);
    if !matches!(ext.as_str(), "pdf" | "svg" | "png") {
        return Err(io::WriteError::new(
            out,
            "输出格式须为 .pdf、.svg 或 .png",
            "the output must end in .pdf, .svg or .png",
        )
        .into());
    }
    if ext == "png" && !(72..=1200).contains(&dpi) {
        return Err(print::PrintError::Dpi(dpi).into());
    }
    let doc = print::compose(project, opts)?;
    let mut files = Vec::new();
    if ext == "pdf" {
        write(out, &print::to_pdf(&doc)?)?;
        files.push(out.to_path_buf());
    } else {
        let many = doc.pages.len() > 1;
        for (i, page) in doc.pages.iter().enumerate() {
            let path = if many {
                let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
                out.with_file_name(format!("{stem}-{:03}.{ext}", i + 1))
            } else {
                out.to_path_buf()
            };
            let bytes = if ext == "svg" {
                print::to_svg(page).into_bytes()
            } else {
                print::to_png(page, dpi).map_err(|source| CommandError::Render {
                    path: path.clone(),
                    source,
                })?
            };
            write(&path, &bytes)?;
            files.push(path);
        }
    }
    let omitted = doc
        .pages
        .iter()
        .filter(|p| !p.meta.omitted.is_empty())
        .map(|p| (p.name.clone(), p.meta.omitted.clone()))
        .collect();
    Ok(Printed { files, omitted })
}
