//! Saving off the UI thread. A worker keeps its own copy of the project, brought up to date
//! by replaying the document's steps (the transactions applied and undone), and writes that
//! copy when asked: the recovery copy every minute, and the project file when the user
//! saves a large project. Nothing is copied on the UI thread but the steps themselves.

use crate::edit::Transaction;
use crate::model::Project;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What a write is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// The recovery copy.
    Recovery,
    /// The project file.
    Save,
}

/// A write asked of the worker, and what came of it.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub kind: WriteKind,
    /// The document's revision the copy was at.
    pub revision: u64,
    pub result: Result<(), super::UiError>,
}

enum Msg {
    Reset(Box<Project>),
    Step(Box<Transaction>, bool),
    Write(PathBuf, WriteKind, u64),
}

pub struct Saver {
    tx: Sender<Msg>,
    rx: Receiver<Written>,
    /// Writes asked for and not yet done.
    pub pending: usize,
    /// Writes that [`Saver::wait`] saw finish, for the next [`Saver::done`].
    finished: Vec<Written>,
}

impl Saver {
    pub fn new() -> Self {
        let (tx, worker_rx) = channel::<Msg>();
        let (worker_tx, rx) = channel::<Written>();
        std::thread::spawn(move || {
            let mut copy = Project::default();
            // A step that does not fit means the copy lost track; it is not written.
            let mut broken: Option<crate::edit::ApplyError> = None;
            for msg in worker_rx {
                match msg {
                    Msg::Reset(p) => {
                        copy = *p;
                        broken = None;
                    }
                    Msg::Step(t, forward) => {
                        let r = if forward {
                            t.apply(&mut copy)
                        } else {
                            t.revert(&mut copy)
                        };
                        if let Err(e) = r {
                            broken = Some(e);
                        }
                    }
                    Msg::Write(path, kind, revision) => {
                        let result = match &broken {
                            Some(e) => Err(super::UiError::OutOfStep(e.clone())),
                            None => crate::commands::export(&copy, &path, &Default::default())
                                .map(|_| ())
                                .map_err(super::UiError::from),
                        };
                        let _ = worker_tx.send(Written {
                            path,
                            kind,
                            revision,
                            result,
                        });
                    }
                }
            }
        });
        Saver {
            tx,
            rx,
            pending: 0,
            finished: Vec::new(),
        }
    }

    /// Start over from a copy of a newly opened project.
    pub fn reset(&mut self, project: Project) {
        let _ = self.tx.send(Msg::Reset(Box::new(project)));
    }

    /// Replay the document's steps on the copy.
    pub fn steps(&mut self, steps: Vec<(Transaction, bool)>) {
        for (t, forward) in steps {
            let _ = self.tx.send(Msg::Step(Box::new(t), forward));
        }
    }

    /// Write the copy as it is after the steps sent so far.
    pub fn write(&mut self, path: PathBuf, kind: WriteKind, revision: u64) {
        self.pending += 1;
        let _ = self.tx.send(Msg::Write(path, kind, revision));
    }

    /// Wait until the writes asked for are done (at most `limit`); they are then taken in
    /// by the next [`Saver::done`].
    pub fn wait(&mut self, limit: std::time::Duration) {
        let until = std::time::Instant::now() + limit;
        while self.pending > 0 && std::time::Instant::now() < until {
            match self.rx.recv_timeout(until - std::time::Instant::now()) {
                Ok(w) => {
                    self.pending = self.pending.saturating_sub(1);
                    self.finished.push(w);
                }
                Err(_) => break,
            }
        }
    }

    /// Writes done since the last call.
    pub fn done(&mut self) -> Vec<Written> {
        let new: Vec<Written> = self.rx.try_iter().collect();
        self.pending = self.pending.saturating_sub(new.len());
        let mut v = std::mem::take(&mut self.finished);
        v.extend(new);
        v
    }
}

impl Default for Saver {
    fn default() -> Self {
        Self::new()
    }
}
