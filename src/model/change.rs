//! What one change to the project touched, layer by layer: the ids of the features and the
//! settings keys. Every structure derived from the project (audit, indexes, meshes, tree
//! rows) updates itself from this and nothing else.

use super::{Boundary, Grid, Project, Reservoir, River, Village};
use std::collections::{BTreeMap, BTreeSet};

/// A feature of one of the project's layers, known by its id.
pub trait Feature: Clone + PartialEq {
    /// The layer's name in messages and change sets ("grids", "rivers", ...).
    const LAYER: Layer;
    fn id(&self) -> &str;
    /// The layer holding features of this kind.
    fn layer(project: &Project) -> &Vec<Self>;
    fn layer_mut(project: &mut Project) -> &mut Vec<Self>;
}

/// The layers of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Grids,
    Rivers,
    Reservoirs,
    Villages,
    Boundary,
}

impl Layer {
    pub const ALL: [Layer; 5] = [
        Layer::Grids,
        Layer::Rivers,
        Layer::Reservoirs,
        Layer::Villages,
        Layer::Boundary,
    ];

    /// Chinese and English names, for messages.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Layer::Grids => ("网格", "grids"),
            Layer::Rivers => ("河流", "rivers"),
            Layer::Reservoirs => ("水库", "reservoirs"),
            Layer::Villages => ("自然村", "natural villages"),
            Layer::Boundary => ("行政边界", "boundary"),
        }
    }
}

macro_rules! feature {
    ($t:ty, $layer:ident, $field:ident) => {
        impl Feature for $t {
            const LAYER: Layer = Layer::$layer;
            fn id(&self) -> &str {
                &self.id
            }
            fn layer(project: &Project) -> &Vec<Self> {
                &project.$field
            }
            fn layer_mut(project: &mut Project) -> &mut Vec<Self> {
                &mut project.$field
            }
        }
    };
}

feature!(Grid, Grids, grids);
feature!(River, Rivers, rivers);
feature!(Reservoir, Reservoirs, reservoirs);
feature!(Village, Villages, villages);
feature!(Boundary, Boundary, boundary);

/// How a grid changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GridChange {
    /// Its geometry (or its presence: inserted or removed).
    pub geometry: bool,
    /// Any field of its record: name, code, level, parent, staff, ...
    pub record: bool,
}

/// The ids touched by a change, per layer, and the settings keys. A feature whose id
/// changed is listed under both ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub grids: BTreeMap<String, GridChange>,
    pub rivers: BTreeSet<String>,
    pub reservoirs: BTreeSet<String>,
    pub villages: BTreeSet<String>,
    pub boundary: BTreeSet<String>,
    pub settings: BTreeSet<String>,
    /// Per layer where features were inserted or removed: the first position whose feature
    /// may have moved (derived structures keyed by position renumber from there).
    pub moved_from: BTreeMap<Layer, usize>,
    /// Layers where a feature was given another id in place.
    pub renamed: BTreeSet<Layer>,
    /// Grids inserted (+) or removed (-) per id.
    pub grid_counts: BTreeMap<String, i64>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
            && self.rivers.is_empty()
            && self.reservoirs.is_empty()
            && self.villages.is_empty()
            && self.boundary.is_empty()
            && self.settings.is_empty()
    }

    /// Everything in `project`, as if it had just been loaded.
    pub fn everything(project: &Project) -> ChangeSet {
        let all = GridChange {
            geometry: true,
            record: true,
        };
        ChangeSet {
            grids: project.grids.iter().map(|g| (g.id.clone(), all)).collect(),
            rivers: project.rivers.iter().map(|r| r.id.clone()).collect(),
            reservoirs: project.reservoirs.iter().map(|r| r.id.clone()).collect(),
            villages: project.villages.iter().map(|v| v.id.clone()).collect(),
            boundary: project.boundary.iter().map(|b| b.id.clone()).collect(),
            settings: project.settings.keys().cloned().collect(),
            moved_from: Layer::ALL.into_iter().map(|l| (l, 0)).collect(),
            renamed: Layer::ALL.into_iter().collect(),
            // A full rebuild counts every id itself.
            grid_counts: BTreeMap::new(),
        }
    }

    /// The ids of the layer `layer`, for the layers other than grids.
    pub fn ids_mut(&mut self, layer: Layer) -> Option<&mut BTreeSet<String>> {
        match layer {
            Layer::Grids => None,
            Layer::Rivers => Some(&mut self.rivers),
            Layer::Reservoirs => Some(&mut self.reservoirs),
            Layer::Villages => Some(&mut self.villages),
            Layer::Boundary => Some(&mut self.boundary),
        }
    }

    /// Record that features of `layer` from position `pos` on may have moved.
    pub fn moved(&mut self, layer: Layer, pos: usize) {
        let e = self.moved_from.entry(layer).or_insert(pos);
        *e = (*e).min(pos);
    }

    /// Record that grid `id` changed.
    pub fn grid(&mut self, id: &str, how: GridChange) {
        let e = self.grids.entry(id.to_string()).or_default();
        e.geometry |= how.geometry;
        e.record |= how.record;
    }

    /// Ids of the grids whose geometry changed (or that came or went).
    pub fn grid_geometry(&self) -> impl Iterator<Item = &str> {
        self.grids
            .iter()
            .filter(|(_, c)| c.geometry)
            .map(|(id, _)| id.as_str())
    }

    /// Fold a later change into this one.
    pub fn merge(&mut self, other: &ChangeSet) {
        for (id, c) in &other.grids {
            self.grid(id, *c);
        }
        self.rivers.extend(other.rivers.iter().cloned());
        self.reservoirs.extend(other.reservoirs.iter().cloned());
        self.villages.extend(other.villages.iter().cloned());
        self.boundary.extend(other.boundary.iter().cloned());
        self.settings.extend(other.settings.iter().cloned());
        for (&l, &p) in &other.moved_from {
            self.moved(l, p);
        }
        self.renamed.extend(other.renamed.iter().copied());
        for (id, d) in &other.grid_counts {
            *self.grid_counts.entry(id.clone()).or_default() += d;
        }
        self.grid_counts.retain(|_, d| *d != 0);
    }
}

/// The geometry grids had before a change replaced them in place, by id: the snap index
/// and the coverage check then update only what differs (a vertex dragged on a grid of
/// 10,000 vertices moves two edges, not 10,000).
pub type OldShapes = rustc_hash::FxHashMap<String, geo::MultiPolygon<f64>>;
