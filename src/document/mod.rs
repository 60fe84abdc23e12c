//! The open document: the project, its undo history, and every structure derived from it,
//! kept in step through one pipeline. A change reaches the project only as a
//! [`Transaction`] committed here (or undone, or redone); each yields a [`ChangeSet`] that
//! the derived structures (the id index, the audit, the snapping index, ...) use to update
//! exactly what it names. Headless: the app shows it, tests and benchmarks drive it directly.

mod error;
mod views;

pub use error::VerifyError;
pub use views::{GridMesh, Keys, Slot};

use crate::audit::{AuditConfig, Auditor, Report};
use crate::edit::{ApplyError, History, Lookup, Purpose, SnapIndex, Transaction};
use crate::geom::{self, IdTree, NeighbourChange as Change, Neighbours};
use crate::model::{ChangeSet, Grid, IdIndex, Project};
use geo::Rect;
use rustc_hash::FxHashMap;
use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;

/// How many change sets the document keeps for views that catch up later.
const JOURNAL: usize = 256;

/// Colours the map view gives grids so that neighbours differ.
pub const PALETTE_SIZE: usize = 8;

/// Grids closer than this (metres) along a boundary are neighbours for the colours.
const NEIGHBOUR_TOL: f64 = 1e-3;

/// The shapes grids had before a change: those replaced in place (same id, same place)
/// and those removed.
#[derive(Default)]
struct Shapes {
    replaced: crate::edit::OldShapes,
    removed: crate::edit::OldShapes,
}

pub struct Document {
    project: Project,
    history: History,
    ids: IdIndex,
    /// Envelope of each grid (the first with its id), and the R-tree of them.
    envs: FxHashMap<String, Rect<f64>>,
    tree: IdTree,
    auditor: Auditor,
    snap: SnapIndex,
    /// Numeric keys of the grid ids, and per key what the map view draws.
    keys: Keys,
    slots: Vec<Option<Slot>>,
    /// The grids that name each id as their parent.
    kids: FxHashMap<String, BTreeSet<String>>,
    /// Which grids share boundary, and their colours.
    neighbours: Neighbours,
    /// The change sets of the last revisions, oldest first: (revision, what changed).
    journal: VecDeque<(u64, ChangeSet)>,
    /// Bumped after every change; views compare against it.
    revision: u64,
    /// Each transaction applied (true) or undone (false) since the last
    /// [`Document::take_steps`], for a copy of the project kept elsewhere; None when no
    /// one keeps one.
    steps: Option<Vec<(Transaction, bool)>>,
    /// Where the document was read from or last saved to.
    pub path: Option<PathBuf>,
    /// Changed since the last save.
    pub dirty: bool,
    /// Who makes the edits, for the grids' change logs.
    pub user: String,
}

/// The first grid with each id, with its position.
fn first_grids<'a>(project: &'a Project, ids: &'a IdIndex) -> impl Iterator<Item = &'a Grid> + 'a {
    project
        .grids
        .iter()
        .enumerate()
        .filter(move |(i, g)| ids.position(&g.id) == Some(*i))
        .map(|(_, g)| g)
}

fn slot_of(g: &Grid) -> Slot {
    Slot {
        mesh: GridMesh::of(&g.geometry).map(std::sync::Arc::new),
        ..slot_of_record(g)
    }
}

/// A grid's slot without its mesh.
fn slot_of_record(g: &Grid) -> Slot {
    Slot {
        id: g.id.clone(),
        level: g.level,
        parent: g.parent.clone().filter(|p| !p.is_empty()),
        mesh: None,
    }
}

/// The children of every parent grid, by id.
type Kids = FxHashMap<String, BTreeSet<String>>;

/// The parts of the document the map view draws from (the grids' keys and slots, the
/// children by parent, the neighbours graph), borrowed together so that they are brought
/// up to date beside the audit.
struct Views<'d> {
    keys: &'d mut Keys,
    slots: &'d mut Vec<Option<Slot>>,
    kids: &'d mut Kids,
    neighbours: &'d mut Neighbours,
}

/// What a changed grid's slot becomes.
enum Next<'a> {
    Gone,
    /// Its record changed, not its shape: the mesh stays.
    Record(&'a Grid, Option<std::sync::Arc<GridMesh>>),
    /// Its shape changed in place (`before`): the mesh is updated where it can be.
    Moved(
        &'a Grid,
        Option<std::sync::Arc<GridMesh>>,
        &'a geo::MultiPolygon<f64>,
    ),
    /// New, or moved to another level: meshed afresh.
    Placed(&'a Grid),
}

impl Views<'_> {
    /// Bring the slots, the children and the neighbours up to date with `set` (`shapes`:
    /// the grids replaced in place, as they were). The grids' meshes are made on every
    /// core, beside the neighbours graph.
    fn update(
        &mut self,
        project: &Project,
        ids: &IdIndex,
        set: &ChangeSet,
        shapes: &crate::edit::OldShapes,
    ) {
        use rayon::prelude::*;
        let mut moves = Vec::new();
        let mut next = Vec::with_capacity(set.grids.len());
        for (id, how) in &set.grids {
            let key = self.keys.key(id);
            let old = self.slots.get_mut(key as usize).and_then(Option::take);
            if let Some(p) = old.as_ref().and_then(|s| s.parent.as_ref())
                && let Some(n) = self.kids.get_mut(p)
            {
                n.remove(id);
                if n.is_empty() {
                    self.kids.remove(p);
                }
            }
            let new = ids.get(project, id);
            if let Some(p) = new
                .and_then(|g| g.parent.as_deref())
                .filter(|p| !p.is_empty())
            {
                self.kids
                    .entry(p.to_string())
                    .or_default()
                    .insert(id.clone());
            }
            let same_shape = !how.geometry
                && old
                    .as_ref()
                    .zip(new)
                    .is_some_and(|(o, g)| o.level == g.level);
            next.push((
                key,
                match (new, old) {
                    (Some(g), Some(o)) if same_shape => Next::Record(g, o.mesh),
                    (Some(g), Some(o)) if shapes.contains_key(id) && o.level == g.level => {
                        moves.push(Change::Moved {
                            key,
                            level: g.level,
                            before: &shapes[id],
                            after: &g.geometry,
                        });
                        Next::Moved(g, o.mesh, &shapes[id])
                    }
                    (Some(g), _) => {
                        moves.push(Change::Placed {
                            key,
                            level: g.level,
                            shape: &g.geometry,
                            colour: self.neighbours.colour(key),
                        });
                        Next::Placed(g)
                    }
                    (None, _) => {
                        moves.push(Change::Gone { key });
                        Next::Gone
                    }
                },
            ));
        }
        let neighbours = &mut *self.neighbours;
        let split = geom::par::beside_the_audit();
        let (made, ()) = geom::par::join_if(
            split,
            || {
                crate::timing::timed("slots: meshes", || {
                    next.into_par_iter()
                        .with_min_len(if split { 1 } else { usize::MAX })
                        .map(|(key, n)| {
                            let slot = match n {
                                Next::Gone => None,
                                Next::Record(g, mesh) => Some(Slot {
                                    mesh,
                                    ..slot_of_record(g)
                                }),
                                Next::Moved(g, mesh, before) => Some(Slot {
                                    mesh: match mesh {
                                        Some(m) => m.moved(before, &g.geometry),
                                        None => GridMesh::of(&g.geometry),
                                    }
                                    .map(std::sync::Arc::new),
                                    ..slot_of_record(g)
                                }),
                                Next::Placed(g) => Some(slot_of(g)),
                            };
                            (key, slot)
                        })
                        .collect::<Vec<_>>()
                })
            },
            || crate::timing::timed("slots: neighbours graph", || neighbours.apply(&moves)),
        );
        for (key, slot) in made {
            if self.slots.len() <= key as usize {
                self.slots.resize(key as usize + 1, None);
            }
            self.slots[key as usize] = slot;
        }
    }
}

/// A key for every grid, in the order of the project (the slots' order).
fn build_keys(project: &Project, ids: &IdIndex) -> Keys {
    let mut keys = Keys::default();
    for g in first_grids(project, ids) {
        keys.key(&g.id);
    }
    keys
}

fn build_slots(project: &Project, ids: &IdIndex) -> (Vec<Option<Slot>>, Kids) {
    use rayon::prelude::*;
    let grids: Vec<&Grid> = first_grids(project, ids).collect();
    let slots: Vec<Option<Slot>> = grids.par_iter().map(|g| Some(slot_of(g))).collect();
    let mut kids = Kids::default();
    for s in slots.iter().flatten() {
        if let Some(p) = &s.parent {
            kids.entry(p.clone()).or_default().insert(s.id.clone());
        }
    }
    (slots, kids)
}

fn build_neighbours(project: &Project, ids: &IdIndex, keys: &Keys) -> Neighbours {
    let grids: Vec<(u32, u8, &geo::MultiPolygon<f64>)> = first_grids(project, ids)
        .filter_map(|g| keys.get(&g.id).map(|k| (k, g.level, &g.geometry)))
        .collect();
    Neighbours::build(&grids, NEIGHBOUR_TOL, PALETTE_SIZE)
}

impl Document {
    /// Open `project`: every derived structure is built, in parallel.
    pub fn new(project: Project, path: Option<PathBuf>) -> Self {
        Self::with_progress(project, path, &|_| {})
    }

    /// As [`Document::new`], telling `progress` the share of the work done (0 to 1) after
    /// each part, for a progress bar.
    pub fn with_progress(
        project: Project,
        path: Option<PathBuf>,
        progress: &(dyn Fn(f32) + Sync),
    ) -> Self {
        Self::build(project, path, progress, false).0
    }

    /// As [`Document::with_progress`], with a copy of the project made alongside (for a
    /// saver that keeps its own).
    pub fn with_copy(
        project: Project,
        path: Option<PathBuf>,
        progress: &(dyn Fn(f32) + Sync),
    ) -> (Self, Project) {
        let (doc, copy) = Self::build(project, path, progress, true);
        let copy = copy.unwrap_or_else(|| doc.project.clone());
        (doc, copy)
    }

    fn build(
        mut project: Project,
        path: Option<PathBuf>,
        progress: &(dyn Fn(f32) + Sync),
        copy: bool,
    ) -> (Self, Option<Project>) {
        // A project made in memory (synthetic, built by a program) comes onto the
        // coordinate grid like one read from a file; one read already is, and stays as it is.
        let precision = project.crs.precision();
        precision.snap_project(&mut project);
        // Room for the grids edits add, made here off the frame: growing the list of
        // 100,000 grids past its capacity in an edit copies it whole (~20 ms).
        let room = project.grids.len() / 4 + 16;
        if project.grids.capacity() - project.grids.len() < room {
            project.grids.reserve_exact(room);
        }
        // Rough shares of the time each part takes.
        let done = std::sync::atomic::AtomicU32::new(0);
        let step = |share: u32| {
            let d = done.fetch_add(share, std::sync::atomic::Ordering::Relaxed) + share;
            progress(d as f32 / 100.0);
        };
        let ids = IdIndex::new(&project);
        let envs = envelopes(&project, &ids);
        step(5);
        // The neighbours graph needs only the keys: it is built alongside the rest.
        let keys = build_keys(&project, &ids);
        let ((auditor, snap), (((slots, kids), tree), (neighbours, copy))) = rayon::join(
            || {
                rayon::join(
                    || {
                        let a =
                            Auditor::new(&project, AuditConfig::from_settings(&project.settings));
                        step(45);
                        a
                    },
                    || {
                        let s = SnapIndex::build(&project, &ids);
                        step(15);
                        s
                    },
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || {
                                let s = build_slots(&project, &ids);
                                step(15);
                                s
                            },
                            || {
                                IdTree::bulk_load(
                                    envs.iter().map(|(id, r)| geom::id_item(*r, id)).collect(),
                                )
                            },
                        )
                    },
                    || {
                        rayon::join(
                            || {
                                let n = build_neighbours(&project, &ids, &keys);
                                step(20);
                                n
                            },
                            || copy.then(|| project.clone()),
                        )
                    },
                )
            },
        );
        let doc = Document {
            ids,
            envs,
            tree,
            project,
            history: History::default(),
            auditor,
            snap,
            keys,
            slots,
            kids,
            neighbours,
            journal: VecDeque::new(),
            revision: 0,
            steps: None,
            path,
            dirty: false,
            user: std::env::var("USER").unwrap_or_default(),
        };
        (doc, copy)
    }

    /// The project as it is now (read only: changes go through [`Document::commit`]).
    pub fn project(&self) -> &Project {
        &self.project
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// The full audit report of the project as it is now (sorted; built on demand, the app
    /// reads the auditor's live findings instead).
    pub fn report(&self) -> Report {
        self.auditor.report(&self.project)
    }

    /// The key of a grid id (for the per-grid views).
    pub fn key(&self, id: &str) -> Option<u32> {
        self.keys.get(id)
    }

    /// What the map view draws, per key (None for keys of grids that are gone).
    pub fn slots(&self) -> &[Option<Slot>] {
        &self.slots
    }

    /// The map colour of a grid (index into a palette of [`PALETTE_SIZE`]).
    pub fn colour(&self, key: u32) -> u8 {
        self.neighbours.colour(key).unwrap_or(0)
    }

    pub fn neighbours(&self) -> &Neighbours {
        &self.neighbours
    }

    /// True when some grid names `id` as its parent.
    pub fn has_children(&self, id: &str) -> bool {
        self.kids.contains_key(id)
    }

    /// Ids of the grids that name `id` as their parent, sorted.
    pub fn children(&self, id: &str) -> impl Iterator<Item = &str> {
        self.kids.get(id).into_iter().flatten().map(String::as_str)
    }

    /// The envelope of every grid, at no cost (the root of the envelope index).
    pub fn grids_extent(&self) -> Option<Rect<f64>> {
        (self.tree.size() > 0).then(|| {
            let e = self.tree.root().envelope();
            Rect::new(
                geo::Coord {
                    x: e.lower()[0],
                    y: e.lower()[1],
                },
                geo::Coord {
                    x: e.upper()[0],
                    y: e.upper()[1],
                },
            )
        })
    }

    /// Ids of the grids whose envelope meets `r`, sorted.
    pub fn ids_in(&self, r: Rect<f64>) -> Vec<&str> {
        geom::ids_in(&self.tree, r)
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

    /// The geometry the grids `t` replaces in place had before it (`forward`) or before
    /// its undo, for the indexes that update only what moved; a grid whose id is not the
    /// one indexed (an id used twice) is left out and indexed again whole. Also those of
    /// the grids it removes, for the audit. Taken while the id index is the one before.
    fn old_shapes(&self, t: &Transaction, forward: bool) -> Shapes {
        let mut shapes = Shapes::default();
        for c in t.grids() {
            let old = if forward { &c.before } else { &c.after };
            let new = if forward { &c.after } else { &c.before };
            let Some(old) = old.as_ref() else { continue };
            if self.ids.position(&old.id) != Some(c.pos) {
                continue;
            }
            match new {
                Some(new) if new.id == old.id => {
                    shapes.replaced.insert(old.id.clone(), old.geometry.clone());
                }
                Some(_) => {}
                None => {
                    shapes.removed.insert(old.id.clone(), old.geometry.clone());
                }
            }
        }
        shapes
    }

    /// Bring every derived structure up to date with `set` (`old`: the shapes before it).
    fn changed(&mut self, set: ChangeSet, old: &Shapes) {
        let shapes = &old.replaced;
        if set.is_empty() {
            return;
        }
        let mut clock = std::time::Instant::now();
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
        crate::timing::phase("document: ids and envelopes", &mut clock);
        // The snap index, the map view's slots with the neighbours graph, and the audit
        // each read the project and change only themselves: they are brought up to date
        // side by side.
        let (project, ids) = (&self.project, &self.ids);
        let (snap, auditor) = (&mut self.snap, &mut self.auditor);
        let mut views = Views {
            keys: &mut self.keys,
            slots: &mut self.slots,
            kids: &mut self.kids,
            neighbours: &mut self.neighbours,
        };
        use crate::timing::timed;
        rayon::join(
            || {
                timed("document: audit", || {
                    auditor.update_in_place(project, ids, &set, shapes, &old.removed);
                });
            },
            || {
                rayon::join(
                    || {
                        timed("document: snap index", || {
                            snap.update(project, ids, &set, shapes)
                        })
                    },
                    || {
                        timed("document: slots, meshes, neighbours", || {
                            views.update(project, ids, &set, shapes);
                        });
                    },
                )
            },
        );
        crate::timing::phase("document: derived structures", &mut clock);
        self.dirty = true;
        self.revision += 1;
        self.journal.push_back((self.revision, set));
        while self.journal.len() > JOURNAL {
            self.journal.pop_front();
        }
    }

    /// The one way in to change the project: apply `t` through the history and update
    /// everything derived from the project. An edit ([`Purpose::Edit`]) is stamped into
    /// the change log of the grids it touches; records taken as they are are not;
    /// bookkeeping stays outside the undo history. A transaction that does not fit the
    /// project is refused and nothing changes.
    pub fn commit(&mut self, mut t: Transaction) -> Result<(), ApplyError> {
        if t.purpose() == Purpose::Edit {
            t.stamp(
                &self.user,
                &crate::timing::local_stamp(crate::timing::unix_now()),
            );
        }
        // What is committed lies on the coordinate grid (edits snap their own output; this
        // catches any that did not), before a copy goes to the saver.
        let mut clock = std::time::Instant::now();
        t.snap(self.project.crs.precision());
        let copy = self.steps.is_some().then(|| t.clone());
        let old = self.old_shapes(&t, true);
        crate::timing::phase("document: transaction snapped and copied", &mut clock);
        let set = self.history.commit(&mut self.project, t)?;
        crate::timing::phase("document: applied to the project", &mut clock);
        if let (Some(steps), Some(t)) = (self.steps.as_mut(), copy)
            && !set.is_empty()
        {
            steps.push((t, true));
        }
        self.changed(set, &old);
        Ok(())
    }

    /// Set a project setting that is bookkeeping rather than an edit (the county
    /// database's sync state), committed as [`Purpose::Bookkeeping`]. Built against the
    /// project as it is, it always fits.
    pub fn set_bookkeeping(&mut self, key: &str, value: Option<serde_json::Value>) {
        let mut t = Transaction::bookkeeping(key);
        t.set_setting(&self.project, key, value);
        let _ = self.commit(t);
    }

    /// Start keeping the steps for [`Document::take_steps`].
    pub fn record_steps(&mut self) {
        self.steps.get_or_insert_with(Vec::new);
    }

    /// The transactions applied (true) or undone (false) since the last call, in order: a
    /// copy of the project taken when recording started, replaying them, equals this one.
    pub fn take_steps(&mut self) -> Vec<(Transaction, bool)> {
        self.steps.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Undo the last step; Ok(false) at the start of the history.
    pub fn undo(&mut self) -> Result<bool, ApplyError> {
        self.step(false)
    }

    /// Redo the last undone step; Ok(false) when there is none.
    pub fn redo(&mut self) -> Result<bool, ApplyError> {
        self.step(true)
    }

    fn step(&mut self, forward: bool) -> Result<bool, ApplyError> {
        let r = if forward {
            self.history.redo(&mut self.project)
        } else {
            self.history.undo(&mut self.project)
        };
        let Some(r) = r else {
            return Ok(false);
        };
        let set = r?;
        // The step now on top of the other stack is the one just taken.
        let taken = if forward {
            self.history.last_done()
        } else {
            self.history.last_undone()
        };
        let old = taken
            .map(|t| self.old_shapes(t, forward))
            .unwrap_or_default();
        if let (Some(steps), Some(t)) = (self.steps.as_mut(), taken) {
            steps.push((t.clone(), forward));
        }
        self.changed(set, &old);
        Ok(true)
    }

    /// End the current drag: the next edit is a new undo step.
    pub fn seal(&mut self) {
        self.history.seal();
    }

    /// The project's settings.
    pub fn settings(&self) -> crate::model::ProjectSettings {
        crate::model::ProjectSettings::of(&self.project.settings)
    }

    /// Change the project's settings, as one undoable step (nothing when they are the same).
    pub fn set_settings(
        &mut self,
        label: &str,
        settings: &crate::model::ProjectSettings,
    ) -> Result<(), ApplyError> {
        let mut t = Transaction::new(label);
        t.set_settings(&self.project, settings);
        self.commit(t)
    }

    /// Compare every derived structure with one built from scratch for the project as it
    /// is now; the first difference, if any. For tests: after any sequence of edits, undos
    /// and redos the document must be as if it had just been opened.
    pub fn verify(&self) -> Result<(), VerifyError> {
        if self.ids != IdIndex::new(&self.project) {
            return Err(VerifyError::IdIndex);
        }
        let fresh_snap = SnapIndex::build(&self.project, &self.ids);
        if self.snap.content() != fresh_snap.content() || self.snap.sizes() != fresh_snap.sizes() {
            return Err(VerifyError::SnapIndex);
        }
        for g in first_grids(&self.project, &self.ids) {
            let fresh = slot_of(g);
            let key = self
                .keys
                .get(&g.id)
                .ok_or_else(|| VerifyError::NoKey(g.id.clone()))?;
            // A mesh kept through a drag has other triangles than a fresh one: it must
            // fill the grid as well.
            let same = self
                .slots
                .get(key as usize)
                .and_then(Option::as_ref)
                .is_some_and(|s| {
                    s == &fresh
                        || (Slot {
                            mesh: None,
                            ..s.clone()
                        } == Slot {
                            mesh: None,
                            ..fresh.clone()
                        } && s.mesh.as_ref().is_some_and(|m| m.fills(&g.geometry)))
                });
            if !same {
                return Err(VerifyError::Slot(g.id.clone()));
            }
        }
        let live = self.slots.iter().flatten().count();
        if live != self.ids.len() {
            return Err(VerifyError::GridCount {
                live,
                project: self.ids.len(),
            });
        }
        let (_, kids) = build_slots(&self.project, &self.ids);
        if kids != self.kids {
            return Err(VerifyError::Children);
        }
        if self.neighbours.graph() != build_neighbours(&self.project, &self.ids, &self.keys).graph()
        {
            return Err(VerifyError::Neighbours);
        }
        if let Some((a, b)) = self.neighbours.clashes().first() {
            return Err(VerifyError::SameColour {
                a: self.keys.id(*a).map(str::to_string),
                b: self.keys.id(*b).map(str::to_string),
            });
        }
        if self.envs != envelopes(&self.project, &self.ids) || self.tree.size() != self.envs.len() {
            return Err(VerifyError::Envelopes);
        }
        for (id, r) in &self.envs {
            if !self.tree.contains(&geom::id_item(*r, id)) {
                return Err(VerifyError::EnvelopeTree(id.clone()));
            }
        }
        let config = AuditConfig::from_settings(&self.project.settings);
        if self.auditor.config() != &config {
            return Err(VerifyError::AuditConfig);
        }
        let fresh = crate::audit::audit(&self.project, &config);
        let live = self.report();
        if live != fresh {
            let show = |r: &Report| {
                r.findings
                    .iter()
                    .map(|f| format!("{:?} {:?} {:?}", f.kind, f.ids, f.area_m2))
                    .collect::<Vec<_>>()
            };
            return Err(VerifyError::Report {
                incremental: show(&live),
                fresh: show(&fresh),
            });
        }
        Ok(())
    }

    pub fn snap_index(&self) -> &SnapIndex {
        &self.snap
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

    fn children(&self, id: &str) -> Vec<usize> {
        let mut v: Vec<usize> = Document::children(self, id)
            .filter_map(|c| self.ids.position(c))
            .collect();
        v.sort_unstable();
        v
    }
}
