//! Invertible edits and the undo history. Every change to the project, on every layer and
//! to its settings, is a [`Transaction`] whose inverse is known when it is made. A
//! transaction applies exactly or not at all: a change that no longer fits the project
//! (its `before` is not what is there) is refused and nothing is changed. Undo at the start
//! does nothing, and consecutive transactions with the same merge key (one drag) are one
//! undo step.

use crate::model::{
    Boundary, ChangeSet, Feature, Grid, GridChange, Layer, Precision, Project, Reservoir, River,
    Village,
};
use serde_json::Value;

/// One feature changed at position `pos` of its layer: inserted (`before` None), removed
/// (`after` None) or replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<T> {
    pub pos: usize,
    pub before: Option<T>,
    pub after: Option<T>,
}

/// One project setting changed: added (`before` None), removed (`after` None) or replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingChange {
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Why a transaction could not be applied; the project is left as it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{zh}：{label}（{layer_zh}第 {pos} 项）。项目已保持原样。\nThe change \"{label}\" no longer fits the project ({layer_en} item {pos}: {en}); nothing was changed."
)]
pub struct ApplyError {
    pub label: String,
    pub layer_zh: &'static str,
    pub layer_en: &'static str,
    pub pos: usize,
    pub zh: &'static str,
    pub en: &'static str,
}

/// What a transaction is, which decides how the document commits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Purpose {
    /// A user's edit: stamped into the change logs of the grids it touches, one undo step.
    #[default]
    Edit,
    /// Records taken as they are from elsewhere (the county database's versions, whose
    /// logs already say who changed what): an undo step, not stamped.
    Taken,
    /// Bookkeeping rather than an edit (the county database's sync state): saved with the
    /// project but outside the undo history, since an undo must not bring back row
    /// versions the server has moved past; not stamped.
    Bookkeeping,
}

/// A set of changes applied together, with a label for the undo menu. The edit layer
/// builds them; everyone else reads them through accessors and commits them whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transaction {
    pub(super) label: String,
    pub(super) grids: Vec<Change<Grid>>,
    pub(super) rivers: Vec<Change<River>>,
    pub(super) reservoirs: Vec<Change<Reservoir>>,
    pub(super) villages: Vec<Change<Village>>,
    pub(super) boundary: Vec<Change<Boundary>>,
    pub(super) settings: Vec<SettingChange>,
    /// Transactions with the same key that follow each other (a drag) merge into one step.
    pub(super) merge_key: Option<String>,
    purpose: Purpose,
}

/// Apply the changes of one layer in order (forward) or undo them in reverse order.
/// Stops at the first change that does not fit and returns how many were applied.
fn apply_layer<T: Feature>(
    layer: &mut Vec<T>,
    changes: &[Change<T>],
    forward: bool,
) -> Result<(), (usize, usize, &'static str, &'static str)> {
    let n = changes.len();
    for k in 0..n {
        let c = if forward {
            &changes[k]
        } else {
            &changes[n - 1 - k]
        };
        let (from, to) = if forward {
            (&c.before, &c.after)
        } else {
            (&c.after, &c.before)
        };
        let fits = match from {
            None => c.pos <= layer.len(),
            Some(f) => layer.get(c.pos) == Some(f),
        };
        if !fits {
            let (zh, en) = match from {
                None => (
                    "插入位置超出图层",
                    "the position is past the end of the layer",
                ),
                Some(_) if c.pos >= layer.len() => ("该项已不存在", "the item no longer exists"),
                Some(_) => (
                    "该项已被其他修改改变",
                    "the item was changed by another edit",
                ),
            };
            return Err((k, c.pos, zh, en));
        }
        match (from, to) {
            (None, Some(g)) => layer.insert(c.pos, g.clone()),
            (Some(_), None) => {
                layer.remove(c.pos);
            }
            (Some(_), Some(g)) => layer[c.pos] = g.clone(),
            (None, None) => {}
        }
    }
    Ok(())
}

/// Undo the first `applied` changes of a layer that were applied in direction `forward`.
fn rollback_layer<T: Feature>(
    layer: &mut Vec<T>,
    changes: &[Change<T>],
    forward: bool,
    applied: usize,
) {
    let n = changes.len();
    let applied = applied.min(n);
    let done: Vec<Change<T>> = (0..applied)
        .map(|k| {
            if forward {
                changes[k].clone()
            } else {
                changes[n - 1 - k].clone()
            }
        })
        .map(|c| {
            if forward {
                c
            } else {
                Change {
                    pos: c.pos,
                    before: c.after,
                    after: c.before,
                }
            }
        })
        .collect();
    // These were applied in order; their inverse, in reverse order, cannot fail.
    let _ = apply_layer(layer, &done, false);
}

/// Add what a layer's changes touched to `set`.
fn touched<T: Feature>(
    changes: &[Change<T>],
    set: &mut ChangeSet,
    grid: impl Fn(&T, &T) -> GridChange,
) {
    let all = GridChange {
        geometry: true,
        record: true,
    };
    let add = |set: &mut ChangeSet, id: &str, how: GridChange| match set.ids_mut(T::LAYER) {
        Some(ids) => {
            ids.insert(id.to_string());
        }
        None => set.grid(id, how),
    };
    for c in changes {
        match (&c.before, &c.after) {
            (Some(b), Some(a)) if b.id() == a.id() => add(set, a.id(), grid(b, a)),
            (b, a) => {
                if b.is_some() && a.is_some() {
                    set.renamed.insert(T::LAYER);
                }
                for f in b.iter().chain(a.iter()) {
                    add(set, f.id(), all);
                }
            }
        }
        if c.before.is_none() != c.after.is_none() {
            set.moved(T::LAYER, c.pos);
        }
        if T::LAYER == Layer::Grids {
            if let Some(b) = &c.before {
                *set.grid_counts.entry(b.id().to_string()).or_default() -= 1;
            }
            if let Some(a) = &c.after {
                *set.grid_counts.entry(a.id().to_string()).or_default() += 1;
            }
        }
    }
}

impl Transaction {
    pub fn new(label: impl Into<String>) -> Self {
        Transaction {
            label: label.into(),
            ..Default::default()
        }
    }

    /// An empty transaction of bookkeeping ([`Purpose::Bookkeeping`]).
    pub fn bookkeeping(label: impl Into<String>) -> Self {
        Transaction {
            purpose: Purpose::Bookkeeping,
            ..Self::new(label)
        }
    }

    /// This transaction as records taken as they are ([`Purpose::Taken`]).
    pub fn taken_as_is(self) -> Self {
        Transaction {
            purpose: Purpose::Taken,
            ..self
        }
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The label the undo menu shows.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn grids(&self) -> &[Change<Grid>] {
        &self.grids
    }

    pub fn rivers(&self) -> &[Change<River>] {
        &self.rivers
    }

    pub fn reservoirs(&self) -> &[Change<Reservoir>] {
        &self.reservoirs
    }

    pub fn villages(&self) -> &[Change<Village>] {
        &self.villages
    }

    pub fn boundary(&self) -> &[Change<Boundary>] {
        &self.boundary
    }

    pub fn settings(&self) -> &[SettingChange] {
        &self.settings
    }

    /// The grids this transaction leaves in the project, to adjust before it is committed.
    pub fn grids_after_mut(&mut self) -> impl Iterator<Item = &mut Grid> {
        self.grids.iter_mut().filter_map(|c| c.after.as_mut())
    }

    pub fn merge_key(&self) -> Option<&str> {
        self.merge_key.as_deref()
    }

    /// Merge with the transactions of the same key that follow (one drag, one undo step).
    pub fn set_merge_key(&mut self, key: impl Into<String>) {
        self.merge_key = Some(key.into());
    }

    /// Add a change of one feature as it is (nothing checks it against the project: a
    /// change that does not fit is refused when the transaction is applied).
    pub fn push<T: LayerChanges>(&mut self, change: Change<T>) {
        T::changes(self).push(change);
    }

    /// Add a setting change as it is (see [`Transaction::push`]).
    pub fn push_setting(&mut self, change: SettingChange) {
        self.settings.push(change);
    }

    /// Replace the grid at `pos` by `after` (keeps its position). A grid this transaction
    /// already replaced is replaced again in the same change, so the change stays exact.
    pub fn replace(&mut self, project: &Project, pos: usize, after: Grid) {
        replace_in(&mut self.grids, &project.grids, pos, after);
    }

    /// Insert a grid at the end of the layer (after any grid this transaction inserted).
    pub fn push_grid(&mut self, project: &Project, g: Grid) {
        let pos = end_of(&self.grids, project.grids.len());
        self.grids.push(Change {
            pos,
            before: None,
            after: Some(g),
        });
    }

    /// Replace the boundary part at `pos`.
    pub fn replace_boundary(&mut self, project: &Project, pos: usize, after: Boundary) {
        replace_in(&mut self.boundary, &project.boundary, pos, after);
    }

    /// Set (or with None remove) a project setting.
    pub fn set_setting(&mut self, project: &Project, key: &str, value: Option<Value>) {
        let before = self
            .settings
            .iter()
            .rev()
            .find(|s| s.key == key)
            .map(|s| s.after.clone())
            .unwrap_or_else(|| project.settings.get(key).cloned());
        if before != value {
            self.settings.push(SettingChange {
                key: key.to_string(),
                before,
                after: value,
            });
        }
    }

    /// Bring the project's settings to `settings`, key by key.
    pub fn set_settings(&mut self, project: &Project, settings: &crate::model::ProjectSettings) {
        // Against the settings as this transaction leaves them.
        let mut now = project.settings.clone();
        for s in &self.settings {
            match &s.after {
                Some(v) => {
                    now.insert(s.key.clone(), v.clone());
                }
                None => {
                    now.remove(&s.key);
                }
            }
        }
        for (key, value) in settings.changes(&now) {
            self.set_setting(project, key, value);
        }
    }

    /// Add every feature of `other` at the end of its layer (an import).
    pub fn append_all(&mut self, project: &Project, other: Project) {
        fn push<T: Feature>(changes: &mut Vec<Change<T>>, len: usize, items: Vec<T>) {
            let start = end_of(changes, len);
            changes.extend(items.into_iter().enumerate().map(|(k, f)| Change {
                pos: start + k,
                before: None,
                after: Some(f),
            }));
        }
        push(&mut self.grids, project.grids.len(), other.grids);
        push(&mut self.rivers, project.rivers.len(), other.rivers);
        push(
            &mut self.reservoirs,
            project.reservoirs.len(),
            other.reservoirs,
        );
        push(&mut self.villages, project.villages.len(), other.villages);
        push(&mut self.boundary, project.boundary.len(), other.boundary);
    }

    /// Write this change into the change log of every grid it leaves in the project: who,
    /// when, what, and the old and new value of each field it changes.
    pub fn stamp(&mut self, user: &str, time: &str) {
        for c in &mut self.grids {
            let fields = match (&c.before, &c.after) {
                (Some(b), Some(a)) if b.id == a.id => a.field_changes(b),
                (_, Some(_)) => vec![crate::model::FieldChange {
                    field: "created".into(),
                    ..Default::default()
                }],
                _ => Vec::new(),
            };
            if let Some(g) = c.after.as_mut() {
                g.log_change(crate::model::ChangeEntry {
                    time: time.to_string(),
                    user: user.to_string(),
                    what: self.label.clone(),
                    fields,
                });
            }
        }
    }

    /// Bring every feature this transaction writes onto the coordinate grid of the
    /// project's CRS ([`Precision`]): an edit's new vertices (clicks, intersections of a
    /// cut or a clip) lie on it like everything a reader reads, so a save and reopen gives
    /// the same coordinates back. A feature already on the grid is left exactly as it is.
    /// Shared vertices stay shared: the same coordinates snap to the same grid point.
    pub fn snap(&mut self, precision: Precision) {
        for g in self.grids.iter_mut().filter_map(|c| c.after.as_mut()) {
            if !precision.multipolygon_on_grid(&g.geometry) {
                g.geometry = precision.snap_multipolygon(&g.geometry);
            }
        }
        for b in self.boundary.iter_mut().filter_map(|c| c.after.as_mut()) {
            if !precision.multipolygon_on_grid(&b.geometry) {
                precision.snap_boundary(b);
            }
        }
        for r in self.reservoirs.iter_mut().filter_map(|c| c.after.as_mut()) {
            if !precision.multipolygon_on_grid(&r.geometry) {
                precision.snap_reservoir(r);
            }
        }
        for r in self.rivers.iter_mut().filter_map(|c| c.after.as_mut()) {
            if !r
                .lines()
                .flat_map(|l| l.0.iter())
                .all(|&c| precision.is_on_grid(c))
            {
                precision.snap_river(r);
            }
        }
        for v in self.villages.iter_mut().filter_map(|c| c.after.as_mut()) {
            precision.snap_village(v);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
            && self.rivers.is_empty()
            && self.reservoirs.is_empty()
            && self.villages.is_empty()
            && self.boundary.is_empty()
            && self.settings.is_empty()
    }

    /// Number of feature and setting changes.
    pub fn len(&self) -> usize {
        self.grids.len()
            + self.rivers.len()
            + self.reservoirs.len()
            + self.villages.len()
            + self.boundary.len()
            + self.settings.len()
    }

    /// What this transaction touches, by layer.
    pub fn change_set(&self) -> ChangeSet {
        let mut set = ChangeSet::default();
        touched(&self.grids, &mut set, |b: &Grid, a: &Grid| GridChange {
            geometry: b.geometry != a.geometry,
            record: !b.same_record(a),
        });
        fn none<T>(_: &T, _: &T) -> GridChange {
            GridChange::default()
        }
        touched(&self.rivers, &mut set, none::<River>);
        touched(&self.reservoirs, &mut set, none::<Reservoir>);
        touched(&self.villages, &mut set, none::<Village>);
        touched(&self.boundary, &mut set, none::<Boundary>);
        set.settings = self.settings.iter().map(|s| s.key.clone()).collect();
        set.grid_counts.retain(|_, d| *d != 0);
        set
    }

    /// Ids of the grids this transaction touches, sorted.
    pub fn touched_ids(&self) -> Vec<String> {
        self.change_set().grids.into_keys().collect()
    }

    fn run(&self, project: &mut Project, forward: bool) -> Result<ChangeSet, ApplyError> {
        let fail = |(layer_zh, layer_en): (&'static str, &'static str),
                    pos: usize,
                    zh: &'static str,
                    en: &'static str| {
            ApplyError {
                label: self.label.clone(),
                layer_zh,
                layer_en,
                pos,
                zh,
                en,
            }
        };
        // Layer by layer; a layer that does not fit rolls back the layers already done.
        let mut done = 0;
        while done < Layer::ALL.len() {
            if let Err((applied, pos, zh, en)) = self.layer(project, done, forward, None) {
                let _ = self.layer(project, done, forward, Some(applied));
                self.roll_back(project, done, forward);
                return Err(fail(Layer::ALL[done].label(), pos, zh, en));
            }
            done += 1;
        }
        let undo_boundary = |p: &mut Project| self.roll_back(p, Layer::ALL.len(), forward);
        // Settings: check all, then apply.
        let n = self.settings.len();
        let ordered: Vec<&SettingChange> = if forward {
            self.settings.iter().collect()
        } else {
            self.settings.iter().rev().collect()
        };
        let mut scratch = project.settings.clone();
        for (k, s) in ordered.into_iter().enumerate() {
            let (from, to) = if forward {
                (&s.before, &s.after)
            } else {
                (&s.after, &s.before)
            };
            if scratch.get(&s.key) != from.as_ref() {
                undo_boundary(project);
                let pos = if forward { k } else { n - 1 - k };
                return Err(fail(
                    ("项目设置", "settings"),
                    pos,
                    "该设置已被其他修改改变",
                    "the setting was changed by another edit",
                ));
            }
            match to {
                Some(v) => {
                    scratch.insert(s.key.clone(), v.clone());
                }
                None => {
                    scratch.remove(&s.key);
                }
            }
        }
        project.settings = scratch;
        let mut set = self.change_set();
        if !forward {
            for d in set.grid_counts.values_mut() {
                *d = -*d;
            }
        }
        Ok(set)
    }

    /// Apply (or undo) the changes of layer `k` in `Layer::ALL` order; with
    /// `rollback: Some(n)`, take back the first `n` of them instead.
    fn layer(
        &self,
        project: &mut Project,
        k: usize,
        forward: bool,
        rollback: Option<usize>,
    ) -> Result<(), (usize, usize, &'static str, &'static str)> {
        fn run<T: Feature>(
            layer: &mut Vec<T>,
            changes: &[Change<T>],
            forward: bool,
            rollback: Option<usize>,
        ) -> Result<(), (usize, usize, &'static str, &'static str)> {
            match rollback {
                Some(n) => {
                    rollback_layer(layer, changes, forward, n);
                    Ok(())
                }
                None => apply_layer(layer, changes, forward),
            }
        }
        match Layer::ALL.get(k) {
            Some(Layer::Grids) => run(&mut project.grids, &self.grids, forward, rollback),
            Some(Layer::Rivers) => run(&mut project.rivers, &self.rivers, forward, rollback),
            Some(Layer::Reservoirs) => {
                run(&mut project.reservoirs, &self.reservoirs, forward, rollback)
            }
            Some(Layer::Villages) => run(&mut project.villages, &self.villages, forward, rollback),
            Some(Layer::Boundary) => run(&mut project.boundary, &self.boundary, forward, rollback),
            None => Ok(()),
        }
    }

    /// Take back every change of the first `layers` layers, last layer first.
    fn roll_back(&self, project: &mut Project, layers: usize, forward: bool) {
        for k in (0..layers).rev() {
            let _ = self.layer(project, k, forward, Some(usize::MAX));
        }
    }

    /// Apply to `project`; on error nothing is changed.
    pub fn apply(&self, project: &mut Project) -> Result<ChangeSet, ApplyError> {
        self.run(project, true)
    }

    /// Undo on `project` (which must be as `apply` left it); on error nothing is changed.
    pub fn revert(&self, project: &mut Project) -> Result<ChangeSet, ApplyError> {
        self.run(project, false)
    }

    /// True when every change replaces a feature in place (no insert, remove or setting):
    /// such transactions compose position by position.
    fn replaces_only(&self) -> bool {
        fn only<T>(c: &[Change<T>]) -> bool {
            c.iter().all(|c| c.before.is_some() && c.after.is_some())
        }
        only(&self.grids)
            && only(&self.rivers)
            && only(&self.reservoirs)
            && only(&self.villages)
            && only(&self.boundary)
            && self.settings.is_empty()
    }
}

/// The position after the last feature `changes` inserted at the end of a layer of `len`.
fn end_of<T>(changes: &[Change<T>], len: usize) -> usize {
    let mut n = len;
    for c in changes {
        match (&c.before, &c.after) {
            (None, Some(_)) => n += 1,
            (Some(_), None) => n = n.saturating_sub(1),
            _ => {}
        }
    }
    n
}

/// Replace the feature at `pos` of the layer as `changes` leave it. The most recent change
/// that wrote that feature gets the new value; otherwise a new change replaces the
/// original feature, found by following the positions back through inserts and removes.
fn replace_in<T: Feature>(changes: &mut Vec<Change<T>>, layer: &[T], pos: usize, after: T) {
    let mut p = pos;
    for k in (0..changes.len()).rev() {
        let c = &changes[k];
        match (&c.before, &c.after) {
            (_, Some(_)) if c.pos == p => {
                changes[k].after = Some(after);
                return;
            }
            (None, Some(_)) if c.pos < p => p -= 1,
            (Some(_), None) if c.pos <= p => p += 1,
            _ => {}
        }
    }
    let before = layer.get(p).cloned();
    changes.push(Change {
        pos,
        before,
        after: Some(after),
    });
}

/// Undo and redo stacks.
#[derive(Debug, Default, Clone)]
pub struct History {
    undo: Vec<Transaction>,
    redo: Vec<Transaction>,
}

impl History {
    /// Apply `t` and record it. Returns what it touched; an empty transaction touches
    /// nothing and is not recorded, nor is bookkeeping ([`Purpose::Bookkeeping`]), which
    /// leaves both stacks as they are.
    pub fn commit(
        &mut self,
        project: &mut Project,
        t: Transaction,
    ) -> Result<ChangeSet, ApplyError> {
        if t.is_empty() {
            return Ok(ChangeSet::default());
        }
        let set = t.apply(project)?;
        if t.purpose == Purpose::Bookkeeping {
            return Ok(set);
        }
        self.redo.clear();
        if let (Some(last), Some(key)) = (self.undo.last_mut(), t.merge_key.as_ref())
            && last.merge_key.as_ref() == Some(key)
            && last.replaces_only()
            && t.replaces_only()
        {
            // One drag, one step: keep the first state of each feature and the last.
            merge_into(last, t);
            return Ok(set);
        }
        self.undo.push(t);
        Ok(set)
    }

    /// Undo the last step; None at the start of the history. A step that does not fit
    /// stays on the stack and the project is unchanged.
    pub fn undo(&mut self, project: &mut Project) -> Option<Result<ChangeSet, ApplyError>> {
        let t = self.undo.pop()?;
        Some(match t.revert(project) {
            Ok(set) => {
                self.redo.push(t);
                Ok(set)
            }
            Err(e) => {
                self.undo.push(t);
                Err(e)
            }
        })
    }

    pub fn redo(&mut self, project: &mut Project) -> Option<Result<ChangeSet, ApplyError>> {
        let t = self.redo.pop()?;
        Some(match t.apply(project) {
            Ok(set) => {
                self.undo.push(t);
                Ok(set)
            }
            Err(e) => {
                self.redo.push(t);
                Err(e)
            }
        })
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

    /// The step undo would take back.
    pub fn last_done(&self) -> Option<&Transaction> {
        self.undo.last()
    }

    /// The step redo would apply again.
    pub fn last_undone(&self) -> Option<&Transaction> {
        self.redo.last()
    }

    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|t| t.label.as_str())
    }

    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|t| t.label.as_str())
    }

    pub fn len(&self) -> usize {
        self.undo.len()
    }

    pub fn is_empty(&self) -> bool {
        self.undo.is_empty()
    }
}

/// Fold `next` into `last` (both replace in place only): changes compose by position.
fn merge_into(last: &mut Transaction, next: Transaction) {
    fn fold<T>(last: &mut Vec<Change<T>>, next: Vec<Change<T>>) {
        for c in next {
            match last.iter_mut().find(|l| l.pos == c.pos) {
                Some(l) => l.after = c.after,
                None => last.push(c),
            }
        }
    }
    fold(&mut last.grids, next.grids);
    fold(&mut last.rivers, next.rivers);
    fold(&mut last.reservoirs, next.reservoirs);
    fold(&mut last.villages, next.villages);
    fold(&mut last.boundary, next.boundary);
}

/// The changes of one layer inside a transaction, for edits written once for every layer.
pub trait LayerChanges: Feature {
    fn changes(t: &mut Transaction) -> &mut Vec<Change<Self>>;
}

macro_rules! layer_changes {
    ($t:ty, $field:ident) => {
        impl LayerChanges for $t {
            fn changes(t: &mut Transaction) -> &mut Vec<Change<Self>> {
                &mut t.$field
            }
        }
    };
}

layer_changes!(Grid, grids);
layer_changes!(River, rivers);
layer_changes!(Reservoir, reservoirs);
layer_changes!(Village, villages);
layer_changes!(Boundary, boundary);
