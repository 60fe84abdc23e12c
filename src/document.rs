//! The open document: the project, its undo history, and every structure derived from it,
//! kept in step through one pipeline. A change reaches the project only as a
//! [`Transaction`] committed here (or undone, or redone); each yields a [`ChangeSet`] that
//! the derived structures (the id index, the audit, the snapping index, ...) use to update
//! exactly what it names. Headless: the app shows it, tests and benchmarks drive it directly.

use crate::audit::{AuditConfig, Auditor, Report};
use crate::edit::{ApplyError, History, Lookup, SnapIndex, Transaction};
use crate::geom::{self, IdTree};
use crate::model::{ChangeSet, Grid, IdIndex, Project};
use geo::Rect;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::path::PathBuf;

/// How many change sets the document keeps for views that catch up later.
const JOURNAL: usize = 256;

pub struct Document {
    project: Project,
    history: History,
    ids: IdIndex,
    /// Envelope of each grid (the first with its id), and the R-tree of them.
    envs: FxHashMap<String, Rect<f64>>,
    tree: IdTree,
    auditor: Auditor,
    report: Report,
    /// Snapping index, built when first needed.
    snap: Option<SnapIndex>,
    /// The change sets of the last revisions, oldest first: (revision, what changed).
    journal: VecDeque<(u64, ChangeSet)>,
    /// Bumped after every change; views compare against it.
    revision: u64,
    /// Where the document was read from or last saved to.
    pub path: Option<PathBuf>,
    /// Changed since the last save.
    pub dirty: bool,
    /// Who makes the edits, for the grids' change logs.
    pub user: String,
}

impl Document {
    pub fn new(project: Project, path: Option<PathBuf>) -> Self {
        let auditor = Auditor::new(&project, AuditConfig::from_settings(&project.settings));
        let report = auditor.report(&project);
        let ids = IdIndex::new(&project);
        let envs = envelopes(&project, &ids);
        let tree = IdTree::bulk_load(envs.iter().map(|(id, r)| geom::id_item(*r, id)).collect());
        Document {
            ids,
            envs,
            tree,
            project,
            history: History::default(),
            auditor,
            report,
            snap: None,
            journal: VecDeque::new(),
            revision: 0,
            path,
            dirty: false,
            user: std::env::var("USER").unwrap_or_default(),
        }
    }

    /// The project as it is now (read only: changes go through [`Document::commit`]).
    pub fn project(&self) -> &Project {
        &self.project
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// The audit of the project as it is now.
    pub fn report(&self) -> &Report {
        &self.report
    }

    pub fn auditor(&self) -> &Auditor {
        &self.auditor
    }

    /// Revision of the project: 0 when opened, +1 per change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The grid with this id.
    pub fn grid(&self, id: &str) -> Option<&Grid> {
        self.ids.get(&self.project, id)
    }

    /// Position of the grid with this id in `project().grids`.
    pub fn grid_position(&self, id: &str) -> Option<usize> {
        self.ids.position(id)
    }

    /// Everything that changed after `revision`, or None when that is too long ago (the
    /// caller rebuilds).
    pub fn changes_since(&self, revision: u64) -> Option<ChangeSet> {
        if revision == self.revision {
            return Some(ChangeSet::default());
        }
        let first = self.journal.front()?.0;
        if revision + 1 < first {
            return None;
        }
        let mut set = ChangeSet::default();
        for (r, s) in &self.journal {
            if *r > revision {
                set.merge(s);
            }
        }
        Some(set)
    }

    /// Bring every derived structure up to date with `set`.
    fn changed(&mut self, set: ChangeSet) {
        if set.is_empty() {
            return;
        }
        self.ids.update(&self.project, &set);
        for id in set.grids.keys() {
            if let Some(old) = self.envs.remove(id) {
                self.tree.remove(&geom::id_item(old, id));
            }
            if let Some(e) = self.grid(id).and_then(|g| geom::envelope(&g.geometry)) {
                self.tree.insert(geom::id_item(e, id));
                self.envs.insert(id.clone(), e);
            }
        }
        self.auditor.update(&self.project, &self.ids, &set);
        self.report = self.auditor.report(&self.project);
        self.snap = None;
        self.dirty = true;
        self.revision += 1;
        self.journal.push_back((self.revision, set));
        while self.journal.len() > JOURNAL {
            self.journal.pop_front();
        }
    }

    /// Apply an edit through the history (stamped into the change log of the grids it
    /// touches) and update everything derived from the project. A transaction that does
    /// not fit the project is refused and nothing changes.
    pub fn commit(&mut self, mut t: Transaction) -> Result<(), ApplyError> {
        t.stamp(
            &self.user,
            &crate::timing::utc_stamp(crate::timing::unix_now()),
        );
        let set = self.history.commit(&mut self.project, t)?;
        self.changed(set);
        Ok(())
    }

    /// Undo the last step; Ok(false) at the start of the history.
    pub fn undo(&mut self) -> Result<bool, ApplyError> {
        match self.history.undo(&mut self.project) {
            None => Ok(false),
            Some(r) => {
                self.changed(r?);
                Ok(true)
            }
        }
    }

    /// Redo the last undone step; Ok(false) when there is none.
    pub fn redo(&mut self) -> Result<bool, ApplyError> {
        match self.history.redo(&mut self.project) {
            None => Ok(false),
            Some(r) => {
                self.changed(r?);
                Ok(true)
            }
        }
    }

    /// End the current drag: the next edit is a new undo step.
    pub fn seal(&mut self) {
        self.history.seal();
    }

    /// Set (or with None remove) a project setting, as one undoable step.
    pub fn set_setting(
        &mut self,
        label: &str,
        key: &str,
        value: Option<serde_json::Value>,
    ) -> Result<(), ApplyError> {
        let mut t = Transaction::new(label);
        t.set_setting(&self.project, key, value);
        self.commit(t)
    }

    /// Compare every derived structure with one built from scratch for the project as it
    /// is now; the first difference, if any. For tests: after any sequence of edits, undos
    /// and redos the document must be as if it had just been opened.
    pub fn verify(&self) -> Result<(), String> {
        if self.ids != IdIndex::new(&self.project) {
            return Err("id index differs from a fresh one".into());
        }
        if self.envs != envelopes(&self.project, &self.ids) || self.tree.size() != self.envs.len() {
            return Err("grid envelopes differ from fresh ones".into());
        }
        for (id, r) in &self.envs {
            if !self.tree.contains(&geom::id_item(*r, id)) {
                return Err(format!("grid {id} is missing from the envelope tree"));
            }
        }
        let config = AuditConfig::from_settings(&self.project.settings);
        if self.auditor.config() != &config {
            return Err("audit thresholds differ from the project's settings".into());
        }
        let fresh = crate::audit::audit(&self.project, &config);
        if self.report != fresh {
            let show = |r: &Report| {
                r.findings
                    .iter()
                    .map(|f| format!("{:?} {:?} {:?}", f.kind, f.ids, f.area_m2))
                    .collect::<Vec<_>>()
            };
            return Err(format!(
                "report differs from a fresh audit:\nincremental {:?}\nfresh {:?}",
                show(&self.report),
                show(&fresh)
            ));
        }
        Ok(())
    }

    pub fn snap_index(&mut self) -> &SnapIndex {
        self.snap
            .get_or_insert_with(|| SnapIndex::new(&self.project))
    }
}

/// Envelope of each grid (the first with its id).
fn envelopes(project: &Project, ids: &IdIndex) -> FxHashMap<String, Rect<f64>> {
    project
        .grids
        .iter()
        .enumerate()
        .filter(|(i, g)| ids.position(&g.id) == Some(*i))
        .filter_map(|(_, g)| geom::envelope(&g.geometry).map(|e| (g.id.clone(), e)))
        .collect()
}

impl Lookup for Document {
    fn project(&self) -> &Project {
        &self.project
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.ids.position(id)
    }

    fn grids_in(&self, r: Rect<f64>) -> Vec<usize> {
        let mut v: Vec<usize> = geom::ids_in(&self.tree, r)
            .into_iter()
            .filter_map(|id| self.ids.position(id))
            .collect();
        v.sort_unstable();
        v
    }
}
