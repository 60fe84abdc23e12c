//! Snapping: the nearest vertex, else the nearest point on an edge, of the grids, the
//! boundary and the rivers, within a tolerance; and tracing along a ring between two
//! snapped points. The index follows the document's change sets.

use crate::geom::{self, OwnedBy};
use crate::model::{ChangeSet, IdIndex, Project};
use geo::{Coord, Rect};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use rustc_hash::FxHashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SnapKind {
    Vertex,
    /// On the edge from `.0` to `.1`.
    Edge(Coord<f64>, Coord<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub at: Coord<f64>,
    pub kind: SnapKind,
}

/// What a snapping target belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    Grid(String),
    Boundary(String),
    River(String),
}

type VertexItem = GeomWithData<[f64; 2], u32>;
type EdgeItem = GeomWithData<Line<[f64; 2]>, u32>;

/// The items of one owner and their envelope.
type OwnerItems = (Vec<VertexItem>, Vec<EdgeItem>, Option<Rect<f64>>);

pub use crate::model::OldShapes;

/// The targets of one owner: vertex bits and edge bits, sorted.
pub type OwnerContent = (Owner, Vec<(u64, u64)>, Vec<[u64; 4]>);

/// Spatial index of everything one can snap to: the vertices and edges of the grids, the
/// boundary and the rivers. Kept up to date from change sets: a change replaces only the
/// items of the features it names.
pub struct SnapIndex {
    vertices: RTree<VertexItem>,
    edges: RTree<EdgeItem>,
    /// Key and envelope of every owner in the trees.
    owners: FxHashMap<Owner, (u32, Rect<f64>)>,
    next_key: u32,
}

/// The rings or lines of a feature, and their envelope.
fn lines_of(project: &Project, ids: &IdIndex, owner: &Owner) -> Vec<Vec<Coord<f64>>> {
    let rings = rings_of;
    match owner {
        Owner::Grid(id) => ids
            .get(project, id)
            .map(|g| rings(&g.geometry))
            .unwrap_or_default(),
        Owner::Boundary(id) => project
            .boundary
            .iter()
            .find(|b| &b.id == id)
            .map(|b| rings(&b.geometry))
            .unwrap_or_default(),
        Owner::River(id) => project
            .rivers
            .iter()
            .find(|r| &r.id == id)
            .map(|r| r.geometry.0.iter().map(|l| l.0.clone()).collect())
            .unwrap_or_default(),
    }
}

fn finite(c: &Coord<f64>) -> bool {
    c.x.is_finite() && c.y.is_finite()
}

/// The rings of a multipolygon, as the index takes a grid's.
fn rings_of(mp: &geo::MultiPolygon<f64>) -> Vec<Vec<Coord<f64>>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.clone())
        .collect()
}

/// A vertex's identity in the index: its coordinates' bits.
fn vertex_bits_of(p: &[f64; 2]) -> (u64, u64) {
    (p[0].to_bits(), p[1].to_bits())
}

fn vertex_bits(v: &VertexItem) -> (u64, u64) {
    vertex_bits_of(v.geom())
}

fn edge_bits(e: &EdgeItem) -> [u64; 4] {
    geom::line_bits(e.geom())
}

fn items(key: u32, lines: &[Vec<Coord<f64>>]) -> OwnerItems {
    let mut vs = Vec::new();
    let mut es = Vec::new();
    let mut env: Option<Rect<f64>> = None;
    for l in lines {
        for c in l.iter().filter(|c| finite(c)) {
            vs.push(GeomWithData::new([c.x, c.y], key));
            env = Some(match env {
                None => Rect::new(*c, *c),
                Some(r) => geom::extend_rect(r, *c),
            });
        }
        for w in l.windows(2) {
            if w[0] != w[1] && finite(&w[0]) && finite(&w[1]) {
                es.push(GeomWithData::new(
                    Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]),
                    key,
                ));
            }
        }
    }
    (vs, es, env)
}

impl SnapIndex {
    /// Every owner of a project, in a stable order.
    fn all_owners(project: &Project, ids: &IdIndex) -> Vec<Owner> {
        let mut v: Vec<Owner> = project
            .grids
            .iter()
            .enumerate()
            .filter(|(i, g)| ids.position(&g.id) == Some(*i))
            .map(|(_, g)| Owner::Grid(g.id.clone()))
            .collect();
        v.extend(
            project
                .boundary
                .iter()
                .map(|b| Owner::Boundary(b.id.clone())),
        );
        v.extend(project.rivers.iter().map(|r| Owner::River(r.id.clone())));
        v.sort();
        v.dedup();
        v
    }

    pub fn new(project: &Project) -> Self {
        Self::build(project, &IdIndex::new(project))
    }

    /// The index of everything in `project` (`ids`: its id index).
    pub fn build(project: &Project, ids: &IdIndex) -> Self {
        use rayon::prelude::*;
        let owners = Self::all_owners(project, ids);
        let built: Vec<OwnerItems> = owners
            .par_iter()
            .enumerate()
            .map(|(k, o)| items(k as u32, &lines_of(project, ids, o)))
            .collect();
        let next_key = u32::try_from(owners.len()).unwrap_or(u32::MAX);
        let mut vertices = Vec::new();
        let mut edges = Vec::new();
        let mut map = FxHashMap::default();
        for (k, (o, (vs, es, env))) in owners.into_iter().zip(built).enumerate() {
            vertices.extend(vs);
            edges.extend(es);
            if let Some(env) = env {
                map.insert(o, (k as u32, env));
            }
        }
        let (vertices, edges) =
            rayon::join(|| RTree::bulk_load(vertices), || RTree::bulk_load(edges));
        SnapIndex {
            vertices,
            edges,
            owners: map,
            next_key,
        }
    }

    /// Replace the items of the features `set` names with what the project has now. Items
    /// that pass from one feature to another (the halves of a split, the parts of a merge)
    /// change owner where they lie.
    pub fn update(&mut self, project: &Project, ids: &IdIndex, set: &ChangeSet, old: &OldShapes) {
        let owners = set
            .grids
            .keys()
            .map(|id| Owner::Grid(id.clone()))
            .chain(set.boundary.iter().map(|id| Owner::Boundary(id.clone())))
            .chain(set.rivers.iter().map(|id| Owner::River(id.clone())));
        let (mut gone_v, mut came_v, mut gone_e, mut came_e) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Owners gone whole: listed only when something comes in that may take their items.
        let mut vanished: Vec<OwnedBy> = Vec::new();
        for o in owners {
            let kept = self.owners.get(&o).copied();
            let before = match (&o, kept) {
                (Owner::Grid(id), Some((key, _))) => old.get(id).map(|b| items(key, &rings_of(b))),
                _ => None,
            };
            let key = kept.map_or(self.next_key, |k| k.0);
            let (nv, ne, env) = items(key, &lines_of(project, ids, &o));
            let (ov, oe) = match (before, kept) {
                (Some((ov, oe, _)), _) => (ov, oe),
                (None, Some((key, env))) => {
                    // Indexed under a shape not at hand: what the trees hold for it.
                    let sel = OwnedBy {
                        env: geom::aabb(env),
                        key,
                    };
                    if nv.is_empty() && ne.is_empty() {
                        vanished.push(sel);
                        (Vec::new(), Vec::new())
                    } else {
                        self.owned(&sel)
                    }
                }
                (None, None) => (Vec::new(), Vec::new()),
            };
            match env {
                Some(env) => {
                    if key == self.next_key {
                        self.next_key += 1;
                    }
                    self.owners.insert(o, (key, env));
                }
                None => {
                    self.owners.remove(&o);
                }
            }
            let (gv, cv) = geom::changed_items(ov, nv, vertex_bits);
            let (ge, ce) = geom::changed_items(oe, ne, edge_bits);
            gone_v.extend(gv);
            came_v.extend(cv);
            gone_e.extend(ge);
            came_e.extend(ce);
        }
        for sel in vanished {
            if came_v.is_empty() && came_e.is_empty() {
                let _ = self
                    .vertices
                    .drain_with_selection_function(sel.clone())
                    .count();
                let _ = self.edges.drain_with_selection_function(sel).count();
            } else {
                let (ov, oe) = self.owned(&sel);
                gone_v.extend(ov);
                gone_e.extend(oe);
            }
        }
        // The two trees are apart: each is brought up to date on a core of its own where
        // there are cores beside the audit's.
        let (vertices, edges) = (&mut self.vertices, &mut self.edges);
        geom::par::join_if(
            geom::par::beside_the_audit(),
            || geom::rekey_items(vertices, gone_v, came_v, vertex_bits_of),
            || geom::rekey_items(edges, gone_e, came_e, geom::line_bits),
        );
    }

    /// The vertices and edges `sel` selects.
    fn owned(&self, sel: &OwnedBy) -> (Vec<VertexItem>, Vec<EdgeItem>) {
        (
            self.vertices
                .locate_with_selection_function(sel.clone())
                .copied()
                .collect(),
            self.edges
                .locate_with_selection_function(sel.clone())
                .copied()
                .collect(),
        )
    }

    /// How many vertices and edges the trees hold, whoever owns them (items left behind
    /// under a key no owner has would not show in [`Self::content`]).
    pub fn sizes(&self) -> (usize, usize) {
        (self.vertices.size(), self.edges.size())
    }

    /// The targets as (owner, vertex bits, edge bits), sorted: two indexes with the same
    /// content agree whatever order they were built in.
    pub fn content(&self) -> Vec<OwnerContent> {
        let by_key: FxHashMap<u32, &Owner> =
            self.owners.iter().map(|(o, (k, _))| (*k, o)).collect();
        type Bits = (Vec<(u64, u64)>, Vec<[u64; 4]>);
        let mut m: std::collections::BTreeMap<&Owner, Bits> = Default::default();
        for v in self.vertices.iter() {
            if let Some(o) = by_key.get(&v.data) {
                m.entry(o).or_default().0.push(vertex_bits(v));
            }
        }
        for e in self.edges.iter() {
            if let Some(o) = by_key.get(&e.data) {
                m.entry(o).or_default().1.push(edge_bits(e));
            }
        }
        m.into_iter()
            .map(|(o, (mut v, mut e))| {
                v.sort_unstable();
                e.sort_unstable();
                (o.clone(), v, e)
            })
            .collect()
    }

    /// The vertex within `tol` of `p`, else the nearest point on an edge within `tol`.
    pub fn snap(&self, p: Coord<f64>, tol: f64) -> Option<Snap> {
        self.snap_except(p, tol, None)
    }

    /// As [`Self::snap`], leaving out the vertex at `except` and the edges that end there
    /// (a vertex being dragged must not snap to itself).
    pub fn snap_except(&self, p: Coord<f64>, tol: f64, except: Option<Coord<f64>>) -> Option<Snap> {
        let q = [p.x, p.y];
        let is_except = |c: [f64; 2]| except.is_some_and(|e| e.x == c[0] && e.y == c[1]);
        if let Some(v) = self
            .vertices
            .nearest_neighbor_iter(&q)
            .find(|v| !is_except(*v.geom()))
            && (v.geom()[0] - p.x).hypot(v.geom()[1] - p.y) <= tol
        {
            return Some(Snap {
                at: Coord {
                    x: v.geom()[0],
                    y: v.geom()[1],
                },
                kind: SnapKind::Vertex,
            });
        }
        let e = self
            .edges
            .nearest_neighbor_iter(&q)
            .find(|e| !is_except(e.geom().from) && !is_except(e.geom().to))?;
        let (a, b) = (e.geom().from, e.geom().to);
        let (a, b) = (Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] });
        let at = crate::geom::closest_on_segment(p, a, b);
        ((at.x - p.x).hypot(at.y - p.y) <= tol).then_some(Snap {
            at,
            kind: SnapKind::Edge(a, b),
        })
    }
}

/// The shorter way along the closed ring `ring` from its vertex `from` to its vertex
/// `to`, both included; None when either is not a vertex of the ring.
pub fn trace(ring: &[Coord<f64>], from: Coord<f64>, to: Coord<f64>) -> Option<Vec<Coord<f64>>> {
    let n = if ring.first() == ring.last() {
        ring.len() - 1
    } else {
        ring.len()
    };
    let i = ring[..n].iter().position(|&c| c == from)?;
    let j = ring[..n].iter().position(|&c| c == to)?;
    let walk = |step: usize| -> (Vec<Coord<f64>>, f64) {
        let mut path = vec![ring[i]];
        let mut k = i;
        let mut len = 0.0;
        while k != j {
            let next = (k + step) % n;
            len += (ring[next].x - ring[k].x).hypot(ring[next].y - ring[k].y);
            path.push(ring[next]);
            k = next;
        }
        (path, len)
    };
    let (fwd, lf) = walk(1);
    let (back, lb) = walk(n - 1);
    Some(if lf <= lb { fwd } else { back })
}
