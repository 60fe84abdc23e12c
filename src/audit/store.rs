//! The findings of a live audit, kept in display order (errors first, then by kind, grids
//! and size) and patched per source: when one grid, pair, parent group or river is checked
//! again, only its findings leave and enter. Counts per kind and severity follow along, so
//! the app reads them without a pass over the findings.

use super::finding::{Finding, Kind, Severity};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What produced a finding; each source's findings are replaced together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Source {
    /// Validity of one grid.
    Validity(String),
    /// Overlaps and duplicates of a pair of grids (ids sorted).
    Pair(String, String),
    /// Gaps, slivers and outside parts of one connected piece of a parent's tiling.
    Tiling(u64),
    /// Near-miss edges of one grid that no area finding explains.
    Edges(String),
    /// Level, parent and code of one grid.
    Hierarchy(String),
    /// A grid id used more than once.
    DuplicateId(String),
    /// A grid code used more than once.
    DuplicateCode(String),
    /// Name, code, staff, phones and size of one grid.
    Record(String),
    /// A river's stretches outside the grids and along shared boundaries.
    River(String),
    /// A reservoir's area outside the grids.
    Reservoir(String),
    /// A grid with water and no river chief.
    RiverChief(String),
    /// What the reader had to repair or could not use.
    InputNotes,
}

/// A finding in display order: errors first, then kind, ids, size and message; the
/// sequence number keeps equal findings apart.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub finding: Arc<Finding>,
    seq: u64,
}

impl Ranked {
    fn key(&self) -> (Severity, Kind, &[String], i64, i64, &super::Message, u64) {
        let (k, ids, a, l, m) = self.finding.sort_key();
        (self.finding.severity, k, ids, a, l, m, self.seq)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

#[derive(Debug, Default)]
pub(super) struct Store {
    by_source: FxHashMap<Source, Vec<Ranked>>,
    /// Every finding in display order, built when first asked for (a report on the command
    /// line never needs it) and patched from then on.
    ordered: std::sync::OnceLock<BTreeSet<Ranked>>,
    counts: BTreeMap<(Kind, Severity), usize>,
    seq: u64,
}

impl Store {
    /// Replace the findings of `source`.
    pub fn set(&mut self, source: Source, findings: Vec<Finding>) {
        self.clear(&source);
        if findings.is_empty() {
            return;
        }
        let mut ranked = Vec::with_capacity(findings.len());
        for f in findings {
            self.seq += 1;
            *self.counts.entry((f.kind, f.severity)).or_default() += 1;
            let r = Ranked {
                finding: Arc::new(f),
                seq: self.seq,
            };
            if let Some(o) = self.ordered.get_mut() {
                o.insert(r.clone());
            }
            ranked.push(r);
        }
        self.by_source.insert(source, ranked);
    }

    pub fn clear(&mut self, source: &Source) {
        if let Some(old) = self.by_source.remove(source) {
            for r in old {
                if let Some(o) = self.ordered.get_mut() {
                    o.remove(&r);
                }
                let k = (r.finding.kind, r.finding.severity);
                if let Some(n) = self.counts.get_mut(&k) {
                    *n -= 1;
                    if *n == 0 {
                        self.counts.remove(&k);
                    }
                }
            }
        }
    }

    pub fn get(&self, source: &Source) -> &[Ranked] {
        self.by_source.get(source).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every finding in display order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Finding>> {
        self.ordered
            .get_or_init(|| self.by_source.values().flatten().cloned().collect())
            .iter()
            .map(|r| &r.finding)
    }

    pub fn len(&self) -> usize {
        self.counts.values().sum()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.counts
            .iter()
            .filter(|((_, s), _)| *s == severity)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn count_kind(&self, kind: Kind) -> usize {
        self.counts
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }

    /// Counts per kind, in kind order.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        let mut m: BTreeMap<Kind, usize> = BTreeMap::new();
        for ((k, _), n) in &self.counts {
            *m.entry(*k).or_default() += n;
        }
        m.into_iter().collect()
    }

    /// Every finding, by source (for a full report, which sorts them).
    pub fn all(&self) -> impl Iterator<Item = &Arc<Finding>> {
        self.by_source.values().flatten().map(|r| &r.finding)
    }
}
