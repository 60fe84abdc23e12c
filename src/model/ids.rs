//! Where each grid is: its position in `project.grids` by id, kept up to date from the
//! change sets instead of being rebuilt, so a lookup by id costs one hash probe at any size.

use super::{ChangeSet, Grid, Layer, Project};
use rustc_hash::FxHashMap;

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
        // Positions before `from` did not move; the rest are marked stale, then renumbered
        // by the grids at or after `from` (the first of each id wins: one marked stale, or
        // one not indexed yet), and what stays stale is gone. One probe per grid.
        const STALE: usize = usize::MAX;
        for p in self.pos.values_mut() {
            if *p >= from {
                *p = STALE;
            }
        }
        for (k, g) in project.grids.iter().enumerate().skip(from) {
            match self.pos.get_mut(g.id.as_str()) {
                Some(p) if *p == STALE => *p = k,
                Some(_) => {}
                None => {
                    self.pos.insert(g.id.clone(), k);
                }
            }
        }
        self.pos.retain(|_, p| *p != STALE);
    }
}
