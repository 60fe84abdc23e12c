//! Writing the site's folder whole: the pages go into a folder beside it, which then takes
//! its place, so a server never serves half a publication and a failed write leaves the
//! last one as it was. A folder that is not a site gridmap wrote is never touched.

use super::PublishError;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a site gridmap published (and may be replaced).
pub const MARKER: &str = ".gridmap-site";

/// What a publication wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The site's folder.
    pub dir: PathBuf,
    /// Files written (relative to `dir`), sorted.
    pub files: Vec<String>,
    /// Whether an earlier publication was replaced.
    pub replaced: bool,
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `dir` may be replaced: absent, empty, or marked as a site.
fn replaceable(dir: &Path) -> Result<bool, PublishError> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(write_err(dir)(e)),
        Ok(m) if !m.is_dir() => Err(PublishError::NotASite(dir.to_path_buf())),
        Ok(_) => {
            let empty = std::fs::read_dir(dir)
                .map_err(write_err(dir))?
                .next()
                .is_none();
            if empty || dir.join(MARKER).is_file() {
                Ok(true)
            } else {
                Err(PublishError::NotASite(dir.to_path_buf()))
            }
        }
    }
}

/// A path beside `dir` for the new or the old site (hidden, named after the process).
fn beside(dir: &Path, what: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    dir.with_file_name(format!(".{name}.gridmap-{what}-{}", std::process::id()))
}

/// Write `files` (relative path, content) as the site `dir`, replacing an earlier
/// publication there whole.
pub fn write_site(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Published, PublishError> {
    let exists = replaceable(dir)?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    }
    let new = beside(dir, "new");
    let _ = std::fs::remove_dir_all(&new);
    if let Err(e) = write_all(&new, files) {
        let _ = std::fs::remove_dir_all(&new);
        return Err(e);
    }
    if exists {
        let old = beside(dir, "old");
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dir, &old).map_err(|e| {
            let _ = std::fs::remove_dir_all(&new);
            write_err(dir)(e)
        })?;
        if let Err(e) = std::fs::rename(&new, dir) {
            // Put the last publication back: the site is never left missing.
            let _ = std::fs::rename(&old, dir);
            let _ = std::fs::remove_dir_all(&new);
            return Err(write_err(dir)(e));
        }
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&new, dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&new);
            write_err(dir)(e)
        })?;
    }
    let mut names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
    names.sort();
    Ok(Published {
        dir: dir.to_path_buf(),
        files: names,
        replaced: exists,
    })
}

fn write_all(root: &Path, files: &[(String, Vec<u8>)]) -> Result<(), PublishError> {
    std::fs::create_dir_all(root).map_err(write_err(root))?;
    let marker = root.join(MARKER);
    std::fs::write(&marker, b"gridmap publish\n").map_err(write_err(&marker))?;
    use rayon::prelude::*;
    files.par_iter().try_for_each(|(rel, bytes)| {
        let path = root.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(write_err(p))?;
        }
        std::fs::write(&path, bytes).map_err(write_err(&path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, text: &str) -> Vec<(String, Vec<u8>)> {
        vec![(name.to_string(), text.as_bytes().to_vec())]
    }

    #[test]
    fn a_site_replaces_the_last_one_whole_and_leaves_nothing_beside() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        write_site(&dir, &one("a/index.html", "first")).unwrap();
        let p = write_site(&dir, &one("b/index.html", "second")).unwrap();
        assert!(p.replaced);
        assert!(!dir.join("a/index.html").exists(), "the old page is gone");
        assert_eq!(
            std::fs::read_to_string(dir.join("b/index.html")).unwrap(),
            "second"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("site")]);
    }

    #[test]
    fn a_folder_that_is_not_a_site_is_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("docs");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("report.docx"), b"work").unwrap();
        let e = write_site(&dir, &one("index.html", "x")).unwrap_err();
        assert!(matches!(e, PublishError::NotASite(_)), "{e}");
        assert!(e.to_string().contains("不会覆盖"), "{e}");
        assert_eq!(std::fs::read(dir.join("report.docx")).unwrap(), b"work");
        assert!(!dir.join("index.html").exists());
        // A file in the way is refused too.
        let file = tmp.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            write_site(&file, &one("index.html", "x")),
            Err(PublishError::NotASite(_))
        ));
    }

    #[test]
    fn a_failed_write_keeps_the_last_site_and_no_temp_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        write_site(&dir, &one("index.html", "first")).unwrap();
        // A file and a folder of the same name: the second write fails mid-way.
        let bad = vec![
            ("x".to_string(), b"file".to_vec()),
            ("x/index.html".to_string(), b"page".to_vec()),
        ];
        let e = write_site(&dir, &bad).unwrap_err();
        assert!(matches!(e, PublishError::Write { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.join("index.html")).unwrap(),
            "first"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
