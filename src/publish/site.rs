//! Writing the site's folder whole: the pages go into a folder beside it, which then takes
//! its place, so a server never serves half a publication and a failed write leaves the
//! last one as it was. A folder that is not a site gridmap wrote is never touched.
//!
//! Re-publishing changes only what changed: the marker file lists each file's content hash
//! (taken with [`DATE_MARK`] in place of the date) and the date it last changed. A file
//! whose content is the same is taken over from the last publication (a hard link where
//! the file system has them, else a copy) with its date: its bytes and modification time
//! stay, so copying the site to a server (rsync, an upload tool) sends only the changes,
//! and each page's date says when what it shows last changed.

use super::PublishError;
use crate::model::{FNV_OFFSET, fnv1a};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a site gridmap published (and may be replaced); it
/// lists the files as `hash<TAB>date<TAB>path`.
pub const MARKER: &str = ".gridmap-site";
/// Stands for the date in an HTML page: replaced by the date the page last changed.
/// Never in a page's text otherwise (text is escaped: `<` is `&lt;`).
pub const DATE_MARK: &str = "<!--gridmap-date-->";
const MANIFEST_HEAD: &str = "gridmap publish 2";

/// What a publication wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The site's folder.
    pub dir: PathBuf,
    /// Files written (relative to `dir`), sorted.
    pub files: Vec<String>,
    /// Of them, those whose content changed since the last publication (all of them the
    /// first time), sorted.
    pub changed: Vec<String>,
    /// Whether an earlier publication was replaced.
    pub replaced: bool,
}

/// The last publication's files: path → (hash, date).
fn manifest(dir: &Path) -> HashMap<String, (u64, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join(MARKER)) else {
        return HashMap::new();
    };
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEAD) {
        return HashMap::new();
    }
    lines
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            let hash = u64::from_str_radix(f.next()?, 16).ok()?;
            let date = f.next()?.to_string();
            Some((f.next()?.to_string(), (hash, date)))
        })
        .collect()
}

/// One file of the new site: its hash, the date it shows, and whether it changed.
struct Entry<'a> {
    rel: &'a str,
    hash: u64,
    date: String,
    changed: bool,
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

/// Write `files` (relative path, content; an HTML page's date as [`DATE_MARK`]) as the
/// site `dir`, replacing an earlier publication there whole; a page that changed gets
/// `date`, one that did not keeps its file and date.
pub fn write_site(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    date: &str,
) -> Result<Published, PublishError> {
    let exists = replaceable(dir)?;
    let last = if exists {
        manifest(dir)
    } else {
        HashMap::new()
    };
    let entries: Vec<Entry> = files
        .iter()
        .map(|(rel, bytes)| {
            let hash = fnv1a(bytes, FNV_OFFSET);
            match last.get(rel) {
                Some((h, d)) if *h == hash && dir.join(rel).is_file() => Entry {
                    rel,
                    hash,
                    date: d.clone(),
                    changed: false,
                },
                _ => Entry {
                    rel,
                    hash,
                    date: date.to_string(),
                    changed: true,
                },
            }
        })
        .collect();
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    }
    let new = beside(dir, "new");
    let _ = std::fs::remove_dir_all(&new);
    if let Err(e) = write_all(&new, dir, files, &entries) {
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
    let mut changed: Vec<String> = entries
        .iter()
        .filter(|e| e.changed)
        .map(|e| e.rel.to_string())
        .collect();
    changed.sort();
    Ok(Published {
        dir: dir.to_path_buf(),
        files: names,
        changed,
        replaced: exists,
    })
}

/// Write the new site into `root`: changed files anew (an HTML page with its date), the
/// others taken over from the last site `last`; then the marker with the manifest.
fn write_all(
    root: &Path,
    last: &Path,
    files: &[(String, Vec<u8>)],
    entries: &[Entry],
) -> Result<(), PublishError> {
    std::fs::create_dir_all(root).map_err(write_err(root))?;
    use rayon::prelude::*;
    files
        .par_iter()
        .zip(entries)
        .try_for_each(|((rel, bytes), e)| {
            let path = root.join(rel);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).map_err(write_err(p))?;
            }
            if !e.changed {
                let from = last.join(rel);
                if std::fs::hard_link(&from, &path).is_ok() || std::fs::copy(&from, &path).is_ok() {
                    return Ok(());
                }
            }
            if rel.ends_with(".html") {
                let text = String::from_utf8_lossy(bytes).replace(DATE_MARK, &e.date);
                std::fs::write(&path, text).map_err(write_err(&path))
            } else {
                std::fs::write(&path, bytes).map_err(write_err(&path))
            }
        })?;
    let mut list = format!("{MANIFEST_HEAD}\n");
    for e in entries {
        list.push_str(&format!("{:016x}\t{}\t{}\n", e.hash, e.date, e.rel));
    }
    let marker = root.join(MARKER);
    std::fs::write(&marker, list).map_err(write_err(&marker))
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
        write_site(&dir, &one("a/index.html", "first"), "2026-12-01").unwrap();
        let p = write_site(&dir, &one("b/index.html", "second"), "2026-12-01").unwrap();
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
        let e = write_site(&dir, &one("index.html", "x"), "2026-12-01").unwrap_err();
        assert!(matches!(e, PublishError::NotASite(_)), "{e}");
        assert!(e.to_string().contains("不会覆盖"), "{e}");
        assert_eq!(std::fs::read(dir.join("report.docx")).unwrap(), b"work");
        assert!(!dir.join("index.html").exists());
        // A file in the way is refused too.
        let file = tmp.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            write_site(&file, &one("index.html", "x"), "2026-12-01"),
            Err(PublishError::NotASite(_))
        ));
    }

    #[test]
    fn a_failed_write_keeps_the_last_site_and_no_temp_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        write_site(&dir, &one("index.html", "first"), "2026-12-01").unwrap();
        // A file and a folder of the same name: the second write fails mid-way.
        let bad = vec![
            ("x".to_string(), b"file".to_vec()),
            ("x/index.html".to_string(), b"page".to_vec()),
        ];
        let e = write_site(&dir, &bad, "2026-12-01").unwrap_err();
        assert!(matches!(e, PublishError::Write { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.join("index.html")).unwrap(),
            "first"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_second_publication_rewrites_only_what_changed_and_pages_keep_their_dates() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        let page = |text: &str| format!("<p>{text}</p><footer>{DATE_MARK}</footer>");
        let files = |b: &str| {
            vec![
                ("a.html".to_string(), page("same").into_bytes()),
                ("b.html".to_string(), page(b).into_bytes()),
                ("data.js".to_string(), format!("x={DATE_MARK}").into_bytes()),
            ]
        };
        let first = write_site(&dir, &files("one"), "2026-12-01").unwrap();
        assert_eq!(first.changed, first.files, "all new the first time");
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(read("a.html"), "<p>same</p><footer>2026-12-01</footer>");
        assert_eq!(
            read("data.js"),
            format!("x={DATE_MARK}"),
            "only pages get the date"
        );
        #[cfg(unix)]
        let inode = |f: &str| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(dir.join(f)).unwrap().ino()
        };
        #[cfg(unix)]
        let a_before = inode("a.html");
        let second = write_site(&dir, &files("two"), "2026-12-05").unwrap();
        assert_eq!(second.changed, vec!["b.html".to_string()]);
        assert_eq!(read("a.html"), "<p>same</p><footer>2026-12-01</footer>");
        assert_eq!(read("b.html"), "<p>two</p><footer>2026-12-05</footer>");
        #[cfg(unix)]
        assert_eq!(inode("a.html"), a_before, "the same file, linked over");
        // The dates stay through a third publication of the same content.
        let third = write_site(&dir, &files("two"), "2026-12-09").unwrap();
        assert!(third.changed.is_empty());
        assert_eq!(read("b.html"), "<p>two</p><footer>2026-12-05</footer>");
        // A site from before the manifest (or a damaged one) is written whole.
        std::fs::write(dir.join(MARKER), "gridmap publish\n").unwrap();
        let fourth = write_site(&dir, &files("two"), "2026-12-10").unwrap();
        assert_eq!(fourth.changed, fourth.files);
        assert_eq!(read("a.html"), "<p>same</p><footer>2026-12-10</footer>");
    }
}
