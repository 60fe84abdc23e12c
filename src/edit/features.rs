//! Editing the other layers — rivers, reservoirs, natural villages and the boundary — through
//! the same transactions as the grids: pick, move a vertex, split, clip, rename, add and
//! delete. Each function works on any of those layers through [`Shape`]; [`on_layer!`]
//! picks the layer at run time.

use super::history::{Change, LayerChanges, Transaction};
use super::ops::{EditError, find_feature, set_feature};
use crate::model::{Boundary, Project, Reservoir, River, Village};
use geo::{Coord, Distance, Euclidean, LineString, MapCoordsInPlace, MultiLineString, Point};

/// A feature of a layer other than the grids: its name, shape and vertices.
pub trait Shape: LayerChanges {
    fn name(&self) -> &str;
    fn name_mut(&mut self) -> &mut String;
    /// Distance from `p` to the feature (0 inside an area).
    fn distance(&self, p: Coord<f64>) -> f64;
    fn vertices(&self) -> Vec<Coord<f64>>;
    fn map_coords(&mut self, f: &dyn Fn(Coord<f64>) -> Coord<f64>);
}

/// [`Shape`] for a feature with `name` and `geometry` fields; `$vertices` lists the
/// geometry's vertices.
macro_rules! geometry_shape {
    ($t:ty, $vertices:expr) => {
        impl Shape for $t {
            fn name(&self) -> &str {
                &self.name
            }
            fn name_mut(&mut self) -> &mut String {
                &mut self.name
            }
            fn distance(&self, p: Coord<f64>) -> f64 {
                Euclidean.distance(&Point(p), &self.geometry)
            }
            fn vertices(&self) -> Vec<Coord<f64>> {
                $vertices(&self.geometry)
            }
            fn map_coords(&mut self, f: &dyn Fn(Coord<f64>) -> Coord<f64>) {
                self.geometry.map_coords_in_place(f);
            }
        }
    };
}
geometry_shape!(Reservoir, |g| crate::edit::ops::all_coords(g).collect());
geometry_shape!(Boundary, |g| crate::edit::ops::all_coords(g).collect());
geometry_shape!(River, |g: &MultiLineString<f64>| g
    .0
    .iter()
    .flat_map(|l| l.0.clone())
    .collect());

impl Shape for Village {
    fn name(&self) -> &str {
        &self.name
    }
    fn name_mut(&mut self) -> &mut String {
        &mut self.name
    }
    fn distance(&self, p: Coord<f64>) -> f64 {
        (self.location.x() - p.x).hypot(self.location.y() - p.y)
    }
    fn vertices(&self) -> Vec<Coord<f64>> {
        vec![self.location.0]
    }
    fn map_coords(&mut self, f: &dyn Fn(Coord<f64>) -> Coord<f64>) {
        self.location = Point(f(self.location.0));
    }
}

/// Evaluate `$e` with the type name `$T` standing for the feature type of `$layer` (not
/// the grids): `on_layer!(layer, T => edit::pick::<T>(project, p, tol))`. Used by the app
/// only, so built with it.
#[cfg(feature = "gui")]
macro_rules! on_layer {
    ($layer:expr, $T:ident => $e:expr) => {
        match $layer {
            $crate::model::Layer::Rivers => {
                type $T = $crate::model::River;
                $e
            }
            $crate::model::Layer::Reservoirs => {
                type $T = $crate::model::Reservoir;
                $e
            }
            $crate::model::Layer::Villages => {
                type $T = $crate::model::Village;
                $e
            }
            $crate::model::Layer::Boundary | $crate::model::Layer::Grids => {
                type $T = $crate::model::Boundary;
                $e
            }
        }
    };
}
#[cfg(feature = "gui")]
pub(crate) use on_layer;

/// The feature of type `T` nearest to `p` within `tol` (areas: inside, or near the edge).
pub fn pick<T: Shape>(project: &Project, p: Coord<f64>, tol: f64) -> Option<String> {
    T::layer(project)
        .iter()
        .map(|f| (f.distance(p), f))
        .filter(|(d, _)| *d <= tol)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, f)| f.id().to_string())
}

/// The vertex of a feature of type `T` nearest to `p` within `tol`, and the feature's id.
pub fn vertex_near<T: Shape>(
    project: &Project,
    p: Coord<f64>,
    tol: f64,
) -> Option<(String, Coord<f64>)> {
    T::layer(project)
        .iter()
        .flat_map(|f| f.vertices().into_iter().map(move |v| (f, v)))
        .map(|(f, v)| ((v.x - p.x).hypot(v.y - p.y), f, v))
        .filter(|(d, _, _)| *d <= tol)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, f, v)| (f.id().to_string(), v))
}

/// Move the vertex at `from` of feature `id` to `to` (a closed ring's first and last point
/// move together). `drag` makes the moves of one drag one undo step.
pub fn move_vertex_of<T: Shape>(
    project: &Project,
    id: &str,
    from: Coord<f64>,
    to: Coord<f64>,
    drag: &str,
) -> Result<Transaction, EditError> {
    let to = project.crs.precision().snap_coord(to);
    let mut t = set_feature::<T>(project, id, "移动节点 / Move vertex", |f| {
        f.map_coords(&|c| if c == from { to } else { c });
    })?;
    t.merge_key = Some(format!("move:{drag}"));
    Ok(t)
}

/// Give feature `id` a new name.
pub fn rename<T: Shape>(project: &Project, id: &str, name: &str) -> Result<Transaction, EditError> {
    set_feature::<T>(project, id, "名称 / Name", |f| {
        *f.name_mut() = name.to_string()
    })
}

/// Split river `id` at the point of its line nearest to `at`: the part after it becomes a
/// new river of the same name and attributes (id `new_id`).
pub fn split_river(
    project: &Project,
    id: &str,
    at: Coord<f64>,
    new_id: &str,
) -> Result<Transaction, EditError> {
    let pos = find_feature::<River>(project, id)?;
    let river = &project.rivers[pos];
    // The segment nearest to `at`, and the point on it.
    let mut best: Option<(f64, usize, usize, Coord<f64>)> = None;
    for (li, l) in river.geometry.0.iter().enumerate() {
        for (si, w) in l.0.windows(2).enumerate() {
            let c = crate::geom::closest_on_segment(at, w[0], w[1]);
            let d = (c.x - at.x).hypot(c.y - at.y);
            if best.is_none_or(|b| d < b.0) {
                best = Some((d, li, si, c));
            }
        }
    }
    let Some((_, li, si, c)) = best else {
        return Err(EditError::NoSplit);
    };
    let line = &river.geometry.0[li].0;
    let mut first: Vec<Coord<f64>> = line[..=si].to_vec();
    if first.last() != Some(&c) {
        first.push(c);
    }
    let mut second = vec![c];
    second.extend(line[si + 1..].iter().copied().filter(|&p| p != c));
    if first.len() < 2 || second.len() < 2 {
        return Err(EditError::NoSplit);
    }
    let mut a = river.clone();
    let mut b = river.clone();
    a.geometry = MultiLineString(
        river.geometry.0[..li]
            .iter()
            .cloned()
            .chain(std::iter::once(LineString(first)))
            .collect(),
    );
    b.id = new_id.to_string();
    b.geometry = MultiLineString(
        std::iter::once(LineString(second))
            .chain(river.geometry.0[li + 1..].iter().cloned())
            .collect(),
    );
    let mut t = Transaction::new("分割河流 / Split river");
    t.rivers.push(Change {
        pos,
        before: Some(river.clone()),
        after: Some(a),
    });
    t.rivers.push(Change {
        pos: project.rivers.len(),
        before: None,
        after: Some(b),
    });
    Ok(t)
}

/// The township as one area: the boundary layer, else the level-1 grids.
pub fn township_area(project: &Project) -> Option<geo::MultiPolygon<f64>> {
    let parts: Vec<&geo::MultiPolygon<f64>> = if project.boundary.is_empty() {
        project
            .grids
            .iter()
            .filter(|g| g.level == 1)
            .map(|g| &g.geometry)
            .collect()
    } else {
        project.boundary.iter().map(|b| &b.geometry).collect()
    };
    (!parts.is_empty()).then(|| crate::geom::union_outline(&parts))
}

/// Keep only the part of river `id` inside the township ([`township_area`]): where a river
/// leaves the township, its line ends at the boundary.
pub fn clip_river(project: &Project, id: &str) -> Result<Transaction, EditError> {
    use geo::BooleanOps;
    let pos = find_feature::<River>(project, id)?;
    let area = township_area(project).ok_or(EditError::NoTownship)?;
    let clipped = area.clip(&project.rivers[pos].geometry, false);
    if clipped.0.is_empty() {
        return Err(EditError::Empty);
    }
    set_feature::<River>(project, id, "裁剪到镇界 / Clip to township", |r| {
        r.geometry = clipped
    })
}

/// A free id for a new feature of type `T`: `base`, else `base-2`, `base-3`, ….
pub fn new_feature_id<T: Shape>(project: &Project, base: &str) -> String {
    let taken = |id: &str| T::layer(project).iter().any(|f| f.id() == id);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .unwrap_or_default()
}
