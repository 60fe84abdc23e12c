//! Where each grid is: its position in `project.grids` by id, kept up to date from the
//! change sets instead of being rebuilt, so a lookup by id costs one hash probe at any size.

use super::{ChangeSet, Grid, Layer, Project};
use rustc_hash::{FxHashMap, FxHashSet};

/// Position of the first grid with each id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdIndex {
    pos: FxHashMap<String, usize>,
    /// Number of grids with each id.
    counts: FxHashMap<String, u32>,
}

impl IdIndex {
    pub fn new(project: &Project) -> Self {
        let mut pos = FxHashMap::with_capacity_and_hasher(project.grids.len(), Default::default());
        let mut counts: FxHashMap<String, u32> = FxHashMap::default();
        for (i, g) in project.grids.iter().enumerate() {
            pos.entry(g.id.clone()).or_insert(i);
            *counts.entry(g.id.clone()).or_default() += 1;
        }
        IdIndex { pos, counts }
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.pos.get(id).copied()
    }

    pub fn get<'a>(&self, project: &'a Project, id: &str) -> Option<&'a Grid> {
        self.position(id).and_then(|i| project.grids.get(i))
    }

    /// Number of grids with this id.
    pub fn count(&self, id: &str) -> usize {
        self.counts.get(id).map(|&n| n as usize).unwrap_or(0)
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
        for (id, d) in &set.grid_counts {
            let n = self.counts.entry(id.clone()).or_default();
            *n = (i64::from(*n) + d).max(0) as u32;
            if *n == 0 {
                self.counts.remove(id);
            }
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
