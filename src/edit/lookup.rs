//! Where edits find grids: by id and by area. A bare project answers by scanning its
//! grids; the open document answers from indexes it keeps up to date, so an edit costs
//! what it touches, not what the map holds.

use crate::geom;
use crate::model::Project;
use geo::Rect;

pub trait Lookup {
    fn project(&self) -> &Project;

    /// Position of the first grid with this id.
    fn position(&self, id: &str) -> Option<usize> {
        self.project().grids.iter().position(|g| g.id == id)
    }

    /// Positions of the grids whose envelope meets `r`, ascending.
    fn grids_in(&self, r: Rect<f64>) -> Vec<usize> {
        self.project()
            .grids
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                geom::envelope(&g.geometry).is_some_and(|e| geom::rects_intersect(&e, &r))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Positions of the grids whose parent is `id`, ascending.
    fn children(&self, id: &str) -> Vec<usize> {
        self.project()
            .grids
            .iter()
            .enumerate()
            .filter(|(_, g)| g.parent.as_deref() == Some(id))
            .map(|(i, _)| i)
            .collect()
    }
}

impl Lookup for Project {
    fn project(&self) -> &Project {
        self
    }
}
