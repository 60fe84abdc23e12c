//! The layer tree's rows: the grids of levels 1 and 2 in project order, each village
//! followed by its level-3 grids when it is expanded. The list of top rows follows the
//! document's change sets (a grid that comes, goes or changes level moves in or out of it);
//! children come from the document's index; rows are made only for the part on screen.

use crate::document::Document;
use std::collections::BTreeSet;

#[derive(Default)]
pub struct TreeRows {
    built: bool,
    revision: u64,
    tops: Vec<String>,
    top_set: rustc_hash::FxHashSet<String>,
}

/// One row: depth (0 town, 1 village, 2 grid under a village), id, whether it has children.
pub type Row = (usize, String, bool);

fn is_top(doc: &Document, id: &str) -> bool {
    doc.grid(id).is_some_and(|g| g.level <= 2)
}

impl TreeRows {
    pub fn refresh(&mut self, doc: &Document) {
        if self.built && doc.revision() == self.revision {
            return;
        }
        match doc.changes_since(self.revision).filter(|_| self.built) {
            Some(set) => {
                for id in set.grids.keys() {
                    let (was, now) = (self.top_set.contains(id), is_top(doc, id));
                    if was && !now {
                        self.top_set.remove(id);
                        if let Some(k) = self.tops.iter().position(|t| t == id) {
                            self.tops.remove(k);
                        }
                    } else if now && !was {
                        let pos = doc.grid_position(id).unwrap_or(usize::MAX);
                        let k = self
                            .tops
                            .partition_point(|t| doc.grid_position(t).unwrap_or(0) < pos);
                        self.tops.insert(k, id.clone());
                        self.top_set.insert(id.clone());
                    }
                }
            }
            None => {
                let p = doc.project();
                self.tops = p
                    .grids
                    .iter()
                    .enumerate()
                    .filter(|(i, g)| g.level <= 2 && doc.grid_position(&g.id) == Some(*i))
                    .map(|(_, g)| g.id.clone())
                    .collect();
                self.top_set = self.tops.iter().cloned().collect();
            }
        }
        self.built = true;
        self.revision = doc.revision();
    }

    /// The rows with `expanded` villages open.
    pub fn rows<'a>(&'a self, doc: &'a Document, expanded: &BTreeSet<String>) -> Rows<'a> {
        let mut open: Vec<(usize, Vec<&'a str>)> = expanded
            .iter()
            .filter_map(|id| {
                let k = self.tops.iter().position(|t| t == id)?;
                let level2 = doc.grid(id).is_some_and(|g| g.level == 2);
                let kids: Vec<&str> = doc.children(id).collect();
                (level2 && !kids.is_empty()).then_some((k, kids))
            })
            .collect();
        open.sort_by_key(|o| o.0);
        let len = self.tops.len() + open.iter().map(|o| o.1.len()).sum::<usize>();
        Rows {
            tops: &self.tops,
            open,
            len,
        }
    }
}

pub struct Rows<'a> {
    tops: &'a [String],
    /// Expanded villages: index in `tops` and their children.
    open: Vec<(usize, Vec<&'a str>)>,
    len: usize,
}

impl Rows<'_> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// The top row or the child at row `r`: (index in the top rows, child index).
    fn locate(&self, r: usize) -> (usize, Option<usize>) {
        let mut extra = 0;
        for (k, kids) in &self.open {
            let at = k + extra;
            if r <= at {
                break;
            }
            if r <= at + kids.len() {
                return (*k, Some(r - at - 1));
            }
            extra += kids.len();
        }
        (r - extra, None)
    }

    /// The rows in `range`.
    pub fn slice(&self, doc: &Document, range: std::ops::Range<usize>) -> Vec<Row> {
        range
            .filter(|&r| r < self.len)
            .filter_map(|r| match self.locate(r) {
                (k, Some(c)) => {
                    let kids = &self.open.iter().find(|o| o.0 == k)?.1;
                    Some((2, kids.get(c)?.to_string(), false))
                }
                (k, None) => {
                    let id = self.tops.get(k)?;
                    let level = doc.grid(id).map(|g| g.level).unwrap_or(2);
                    Some((usize::from(level == 2), id.clone(), doc.has_children(id)))
                }
            })
            .collect()
    }
}
