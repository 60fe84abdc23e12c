//! Where each grid is: its position in `project.grids` by id, kept up to date from the
//! change sets instead of being rebuilt, so a lookup by id costs one hash probe at any size.

use super::{ChangeSet, Grid, Layer, Project};
use rustc_hash::{FxHashMap, FxHashSet};

/// Position of the first grid with each id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdIndex {
    pos: FxHashMap<String, usize>,
}

impl IdIndex {
    pub fn new(project: &Project) -> Self {
        let mut pos = FxHashMap::with_capacity_and_hasher(project.grids.len(), Default::default());
        for (i, g) in project.grids.iter().enumerate() {
            pos.entry(g.id.clone()).or_insert(i);
        }
        IdIndex { pos }
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.pos.get(id).copied()
    }

    pub fn get<'a>(&self, project: &'a Project, id: &str) -> Option<&'a Grid> {
        self.position(id).and_then(|i| project.grids.get(i))
    }

    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// Bring the index up to date after `set` was applied to `project`.
    ///
    /// # Performance
    /// Replacing grids costs nothing; inserting or removing costs one probe per grid after
    /// the first position that moved; a grid given another id rebuilds the index.
    pub fn update(&mut self, project: &Project, set: &ChangeSet) {
        if set.renamed.contains(&Layer::Grids) {
            *self = IdIndex::new(project);
            return;
        }
        let Some(&from) = set.moved_from.get(&Layer::Grids) else {
            return;
        };
        let grids = &project.grids;
        // Positions before `from` did not move; renumber the rest.
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        for (k, g) in grids.iter().enumerate().skip(from) {
            let id = g.id.as_str();
            if !seen.insert(id) {
                continue;
            }
            match self.pos.get_mut(id) {
                Some(p) if *p < from => {}
                Some(p) => *p = k,
                None => {
                    self.pos.insert(id.to_string(), k);
                }
            }
        }
        // Entries at or after `from` that were not renumbered are gone.
        self.pos
            .retain(|id, p| *p < from || seen.contains(id.as_str()));
    }
}
