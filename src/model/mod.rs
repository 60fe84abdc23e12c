//! The project document: grids, rivers, reservoirs, natural villages, the boundary and the
//! working CRS. Pure data; every other module builds on it and it imports none of them.

mod change;
mod crs;
mod grid;
mod hash;
mod ids;
mod precision;
mod settings;

pub use change::{ChangeSet, Feature, GridChange, Layer, OldShapes};
pub use hash::{FNV_OFFSET, fnv1a};
pub use ids::IdIndex;
pub use precision::Precision;
pub use settings::{AuditSettings, CodeSchemeSettings, FieldMap, PrintSettings, ProjectSettings};

pub use crs::{Crs, WorkingChoice, gk_zone_epsg_for_lon, working_crs_for};
pub use grid::{
    ChangeEntry, FieldChange, Grid, HISTORY, Level, ROLE_GRID_HEAD, ROLE_GRID_WORKER,
    ROLE_RIVER_CHIEF, STANDARD_ROLES, Staff, role_rank, working_name,
};

use geo::{LineString, MultiLineString, MultiPolygon, Point};
use serde_json::{Map, Value};

/// Extra GeoJSON properties that gridmap does not interpret; kept and written back unchanged.
pub type Extra = Map<String, Value>;

/// The administrative outline of the township (the level-1 extent).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub id: String,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    pub extra: Extra,
}

/// A river, stream or canal (河流), as lines.
#[derive(Debug, Clone, PartialEq)]
pub struct River {
    pub id: String,
    pub name: String,
    pub geometry: MultiLineString<f64>,
    pub extra: Extra,
}

impl River {
    pub fn lines(&self) -> impl Iterator<Item = &LineString<f64>> {
        self.geometry.0.iter()
    }
}

/// A reservoir, pond or lake (水库/山塘/湖泊), as polygons.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservoir {
    pub id: String,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    pub extra: Extra,
}

/// A natural village (自然村) as a point with its households and population.
#[derive(Debug, Clone, PartialEq)]
pub struct Village {
    pub id: String,
    pub name: String,
    pub location: Point<f64>,
    pub households: Option<u32>,
    pub population: Option<u32>,
    pub extra: Extra,
}

/// Something the reader had to repair or could not use, kept so the audit can report it
/// next to the feature it belongs to (for example a ring that was not closed).
#[derive(Debug, Clone, PartialEq)]
pub struct InputNote {
    /// Id of the feature (grid id for grids).
    pub feature_id: String,
    pub layer: &'static str,
    pub zh: String,
    pub en: String,
    /// True when the note is an error: the feature's geometry could not be used at all,
    /// or it is invalid where it was drawn.
    pub fatal: bool,
    /// Where on the map (working CRS), when the note is about one place.
    pub at: Option<geo::Coord<f64>>,
}

/// One grid map project: all layers in one working CRS (metres).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Project {
    /// Title shown in the app and on prints, e.g. "晋屏镇".
    pub name: String,
    /// The projected working CRS in which all geometry is held.
    pub crs: Crs,
    pub boundary: Vec<Boundary>,
    pub grids: Vec<Grid>,
    pub rivers: Vec<River>,
    pub reservoirs: Vec<Reservoir>,
    pub villages: Vec<Village>,
    /// Problems found while reading; reported by the audit as invalid geometry.
    pub input_notes: Vec<InputNote>,
    /// Project settings kept in the project file (audit thresholds, language, field
    /// mapping of imports, ...), by name.
    pub settings: Extra,
}

impl Project {
    pub fn grid(&self, id: &str) -> Option<&Grid> {
        self.grids.iter().find(|g| g.id == id)
    }

    pub fn grid_mut(&mut self, id: &str) -> Option<&mut Grid> {
        self.grids.iter_mut().find(|g| g.id == id)
    }

    /// The township's name: the first named grid of the top level, else the project's
    /// title.
    pub fn town_name(&self) -> String {
        let top = self.grids.iter().map(|g| g.level).min().unwrap_or(1);
        self.grids
            .iter()
            .find(|g| g.level == top && !g.name.trim().is_empty())
            .map(|g| g.name.trim().to_string())
            .unwrap_or_else(|| self.name.clone())
    }

    /// Index of every grid by id (the first one wins where ids repeat).
    pub fn grid_index(&self) -> std::collections::HashMap<&str, usize> {
        GridIndex::new(self).by_id
    }

    /// The grids whose parent is `id`.
    pub fn children_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Grid> + 'a {
        self.grids
            .iter()
            .filter(move |g| g.parent.as_deref() == Some(id))
    }
}

/// Grids by id and children by parent id, for lookups in loops over many grids.
pub struct GridIndex<'a> {
    project: &'a Project,
    pub by_id: std::collections::HashMap<&'a str, usize>,
    children: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> GridIndex<'a> {
    pub fn new(project: &'a Project) -> Self {
        let mut by_id = std::collections::HashMap::with_capacity(project.grids.len());
        let mut children: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, g) in project.grids.iter().enumerate() {
            by_id.entry(g.id.as_str()).or_insert(i);
            if let Some(p) = g.parent.as_deref() {
                children.entry(p).or_default().push(i);
            }
        }
        GridIndex {
            project,
            by_id,
            children,
        }
    }

    pub fn get(&self, id: &str) -> Option<&'a Grid> {
        self.by_id.get(id).map(|&i| &self.project.grids[i])
    }

    /// The grids that name `id` as parent, in project order.
    pub fn children(&self, id: &str) -> impl Iterator<Item = &'a Grid> + '_ {
        self.children
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.project.grids[i])
    }

    pub fn has_children(&self, id: &str) -> bool {
        self.children.contains_key(id)
    }
}
