//! Opening a document off the UI thread: the file is read and every derived structure
//! built on a worker thread while the window stays live and shows how far it got.

use super::Document;
use crate::model::Project;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, channel};

/// Projects with fewer grids than this (and fewer vertices than [`SYNC_VERTICES`]) are
/// opened and saved at once, on the UI thread.
pub const SYNC_LIMIT: usize = 5_000;

/// Grid vertices from which a project is opened and saved on a worker thread whatever its
/// number of grids: a few hundred grids traced along rivers carry millions of vertices,
/// seconds of work (about 0.4 s per 200,000 vertices).
pub const SYNC_VERTICES: usize = 200_000;

/// True when `project` is opened and saved on a worker thread, the window staying live.
pub fn is_large(project: &Project) -> bool {
    project.grids.len() >= SYNC_LIMIT
        || project
            .grids
            .iter()
            .map(|g| geo::CoordsIter::coords_count(&g.geometry))
            .sum::<usize>()
            >= SYNC_VERTICES
}

/// How often the progress dialog is redrawn while a document opens. Each redraw paints the
/// whole window; with software rendering (llvmpipe, the fallback of machines without a
/// usable GPU) that takes a core's worth of CPU at 20 frames a second, away from the two
/// or four cores building the document.
pub const PROGRESS_REPAINT: std::time::Duration = std::time::Duration::from_millis(250);

/// What the worker hands back.
pub enum Loaded {
    /// The document, and a copy of its project for the saver.
    Ready(Box<Document>, Box<Project>),
    /// The file names no CRS (or needs choices): open it through the import dialog.
    NeedsImport(PathBuf),
    Failed(super::UiError),
}

/// What to do with the document once it is ready.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    /// It is the file the user opened.
    Open,
    /// It is a recovery copy of `keep`: saving goes to `keep`, the work is unsaved, and
    /// the copy is removed.
    Recover {
        keep: Option<PathBuf>,
        copy: PathBuf,
    },
}

/// A document being opened.
pub struct Loading {
    /// The file (or "untitled") shown in the progress dialog.
    pub what: String,
    pub after: After,
    /// What to do once the document is in (the print dialog asked for at start).
    pub then: Option<super::UiCommand>,
    /// Share of the work done, 0 to 1000 (reading the file is the first tenth).
    done: Arc<AtomicU32>,
    rx: Receiver<Loaded>,
}

impl Loading {
    /// Run `work` on a worker thread; when it is done, `ctx` is woken for a frame that
    /// takes the result in (not at the progress dialog's next redraw).
    fn spawn(
        what: String,
        ctx: &egui::Context,
        work: impl FnOnce(&(dyn Fn(f32) + Sync)) -> Loaded + Send + 'static,
    ) -> Self {
        let done = Arc::new(AtomicU32::new(0));
        let (tx, rx) = channel();
        let d = done.clone();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let progress = move |f: f32| {
                d.store((f.clamp(0.0, 1.0) * 1000.0) as u32, Ordering::Relaxed);
            };
            let _ = tx.send(work(&progress));
            ctx.request_repaint();
        });
        Loading {
            what,
            after: After::Open,
            then: None,
            done,
            rx,
        }
    }

    /// Read `path` and build its document; `after` says what it is.
    pub fn file(path: &Path, after: After, ctx: &egui::Context) -> Self {
        let p = path.to_path_buf();
        Self::spawn(
            path.display().to_string(),
            ctx,
            move |progress| match crate::io::open(&[p.as_path()], &Default::default()) {
                Ok(project) => {
                    progress(0.1);
                    let (doc, copy) =
                        Document::with_copy(project, Some(p), &|f| progress(0.1 + 0.9 * f));
                    Loaded::Ready(Box::new(doc), Box::new(copy))
                }
                Err(e) if e.needs_crs => Loaded::NeedsImport(p),
                Err(e) => Loaded::Failed(e.into()),
            },
        )
        .with_after(after)
    }

    fn with_after(mut self, after: After) -> Self {
        self.after = after;
        self
    }

    /// Build the document of a project already read.
    pub fn project(project: Project, path: Option<PathBuf>, ctx: &egui::Context) -> Self {
        let what = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "未命名 untitled".into());
        Self::spawn(what, ctx, move |progress| {
            let (doc, copy) = Document::with_copy(project, path, progress);
            Loaded::Ready(Box::new(doc), Box::new(copy))
        })
    }

    /// Share of the work done, 0 to 1.
    pub fn fraction(&self) -> f32 {
        self.done.load(Ordering::Relaxed) as f32 / 1000.0
    }

    /// The result, once the worker is done.
    pub fn poll(&self) -> Option<Loaded> {
        match self.rx.try_recv() {
            Ok(l) => Some(l),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Some(Loaded::Failed(super::UiError::WorkerStopped))
            }
        }
    }
}
