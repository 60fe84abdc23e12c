//! Invertible edits and the undo history. Every edit is a [`Transaction`] of grid
//! replacements whose inverse is known when it is made; undo at the start does nothing, and
//! consecutive transactions with the same merge key (one drag) are one undo step.

use crate::model::{Grid, Project};

/// One grid changed at position `pos` of `project.grids`: inserted (`before` None),
/// removed (`after` None) or replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub pos: usize,
    pub before: Option<Grid>,
    pub after: Option<Grid>,
}

/// A set of changes applied together, with a label for the undo menu.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub label: String,
    pub changes: Vec<Change>,
    /// Transactions with the same key that follow each other (a drag) merge into one step.
    pub merge_key: Option<String>,
}

impl Transaction {
    pub fn new(label: impl Into<String>) -> Self {
        Transaction {
            label: label.into(),
            changes: Vec::new(),
            merge_key: None,
        }
    }

    /// Replace the grid at `pos` by `after` (keeps its position).
    pub fn replace(&mut self, project: &Project, pos: usize, after: Grid) {
        self.changes.push(Change {
            pos,
            before: Some(project.grids[pos].clone()),
            after: Some(after),
        });
    }

    /// Write this change into the change log of every grid it leaves in the project.
    pub fn stamp(&mut self, user: &str, time: &str) {
        for c in &mut self.changes {
            if let Some(g) = c.after.as_mut() {
                g.log_change(crate::model::ChangeEntry {
                    time: time.to_string(),
                    user: user.to_string(),
                    what: self.label.clone(),
                });
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Ids of the grids this transaction touches (for the incremental audit).
    pub fn touched_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .changes
            .iter()
            .flat_map(|c| c.before.iter().chain(c.after.iter()).map(|g| g.id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn apply_changes(project: &mut Project, changes: &[Change], forward: bool) {
        let ordered: Box<dyn Iterator<Item = &Change>> = if forward {
            Box::new(changes.iter())
        } else {
            Box::new(changes.iter().rev())
        };
        for c in ordered {
            let (from, to) = if forward {
                (&c.before, &c.after)
            } else {
                (&c.after, &c.before)
            };
            match (from, to) {
                (None, Some(g)) => project
                    .grids
                    .insert(c.pos.min(project.grids.len()), g.clone()),
                (Some(_), None) => {
                    if c.pos < project.grids.len() {
                        project.grids.remove(c.pos);
                    }
                }
                (Some(_), Some(g)) => {
                    if let Some(slot) = project.grids.get_mut(c.pos) {
                        *slot = g.clone();
                    }
                }
                (None, None) => {}
            }
        }
    }

    pub fn apply(&self, project: &mut Project) {
        Self::apply_changes(project, &self.changes, true);
    }

    pub fn revert(&self, project: &mut Project) {
        Self::apply_changes(project, &self.changes, false);
    }
}

/// Undo and redo stacks.
#[derive(Debug, Default, Clone)]
pub struct History {
    undo: Vec<Transaction>,
    redo: Vec<Transaction>,
}

impl History {
    /// Apply `t` and record it. Returns the ids it touched.
    pub fn commit(&mut self, project: &mut Project, t: Transaction) -> Vec<String> {
        if t.is_empty() {
            return Vec::new();
        }
        t.apply(project);
        let ids = t.touched_ids();
        self.redo.clear();
        if let (Some(last), Some(key)) = (self.undo.last_mut(), t.merge_key.as_ref())
            && last.merge_key.as_ref() == Some(key)
        {
            // One drag, one step: keep the first state of each grid and the last.
            merge_into(last, t);
            return ids;
        }
        self.undo.push(t);
        ids
    }

    /// Undo the last step; None at the start of the history.
    pub fn undo(&mut self, project: &mut Project) -> Option<Vec<String>> {
        let t = self.undo.pop()?;
        t.revert(project);
        let ids = t.touched_ids();
        self.redo.push(t);
        Some(ids)
    }

    pub fn redo(&mut self, project: &mut Project) -> Option<Vec<String>> {
        let t = self.redo.pop()?;
        t.apply(project);
        let ids = t.touched_ids();
        self.undo.push(t);
        Some(ids)
    }

    /// End the current drag: the next transaction starts a new step even with the same key.
    pub fn seal(&mut self) {
        if let Some(last) = self.undo.last_mut() {
            last.merge_key = None;
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|t| t.label.as_str())
    }

    pub fn len(&self) -> usize {
        self.undo.len()
    }

    pub fn is_empty(&self) -> bool {
        self.undo.is_empty()
    }
}

/// Fold `next` into `last`: changes that only replace grids in place compose by position.
fn merge_into(last: &mut Transaction, next: Transaction) {
    for c in next.changes {
        match last.changes.iter_mut().find(|l| {
            l.pos == c.pos
                && l.after.is_some()
                && c.before.is_some()
                && l.before.is_some()
                && c.after.is_some()
        }) {
            Some(l) => l.after = c.after,
            None => last.changes.push(c),
        }
    }
}
