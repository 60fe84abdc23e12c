//! Geometry helpers shared by io, audit, edit and synth: orientation, segment keys, winding
//! overlays, and the maximum inscribed circle.

mod adjacency;
mod clip;
mod locate;
mod mic;
mod overlay;
pub mod par;
mod shapes;
pub(crate) mod validity;
mod voronoi;

pub use adjacency::{
    BoundarySegment, Change as NeighbourChange, Neighbours, boundary_segments, colouring,
    neighbours,
};
pub use clip::{clip_to_rect, contours_near, loops_enclosing};
pub use locate::AreaLocator;
pub(crate) use mic::seg_dist2;
pub use mic::{closest_on_segment, max_inscribed_circle};
pub use overlay::{
    PointCells, VertexTree, WindingRule, cancel_opposite, edges_to_cycles, fill_cycles,
    grid_overlay, grid_overlays, point_tree, polygon_contours, push_directed_edges,
    shapes_to_multipolygon, snap_back, union_outline,
};
pub use shapes::{path_length, polygon_from, rect_overlap, triangulate};
pub use voronoi::voronoi_cells;

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};

/// Where a name goes inside polygons (cartographic placement, dearer than [`label_point`]):
/// the centre of the largest inscribed circle (found to 1/200 of the larger side) and its
/// radius; None for empty or degenerate polygons.
pub fn inscribed_label(mp: &MultiPolygon<f64>) -> Option<(Coord<f64>, f64)> {
    let r = envelope(mp)?;
    let long = r.width().max(r.height());
    if long.is_nan() || long <= 0.0 {
        return None;
    }
    let (c, radius) = max_inscribed_circle(mp, long / 200.0);
    (c.x.is_finite() && c.y.is_finite()).then_some((c, radius))
}

/// Bit-exact key of a coordinate, for hashing shared vertices. `-0.0` and `0.0` are the same.
#[inline]
pub fn coord_key(c: Coord<f64>) -> (u64, u64) {
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

/// Bit-exact key of a directed edge.
pub type EdgeKey = ((u64, u64), (u64, u64));

/// Lexicographic order of coordinates, as JTS's `Coordinate.compareTo`.
#[inline]
pub fn coord_cmp(a: Coord<f64>, b: Coord<f64>) -> std::cmp::Ordering {
    a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y))
}

/// Twice the signed area of a closed ring: positive for counter-clockwise.
pub fn ring_signed_area2(ring: &[Coord<f64>]) -> f64 {
    if ring.len() < 3 {
        return 0.0;
    }
    // Shift by the first vertex to keep precision with large projected coordinates.
    let o = ring[0];
    let mut s = 0.0;
    for w in ring.windows(2) {
        let (a, b) = (w[0] - o, w[1] - o);
        s += a.x * b.y - b.x * a.y;
    }
    s
}

/// Envelope of a multipolygon, or None for an empty one.
pub fn envelope(mp: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    use geo::BoundingRect;
    mp.bounding_rect()
}

/// Grow a rectangle by `d` on every side.
pub fn expand(r: Rect<f64>, d: f64) -> Rect<f64> {
    Rect::new(
        Coord {
            x: r.min().x - d,
            y: r.min().y - d,
        },
        Coord {
            x: r.max().x + d,
            y: r.max().y + d,
        },
    )
}

/// The smallest rectangle holding both.
pub fn union_rect(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

/// The smallest rectangle holding `r` and the point `c`.
pub fn extend_rect(r: Rect<f64>, c: Coord<f64>) -> Rect<f64> {
    union_rect(r, Rect::new(c, c))
}

/// The smallest rectangle holding the points (None for none).
pub fn coords_envelope(pts: impl IntoIterator<Item = Coord<f64>>) -> Option<Rect<f64>> {
    let mut pts = pts.into_iter();
    let first = pts.next()?;
    Some(pts.fold(Rect::new(first, first), extend_rect))
}

/// The points of each run of `len` segments of the path `pts`, in order (a run's last
/// point is the next one's first; the last run may be shorter; none for fewer than two
/// points), with its envelope.
pub fn runs(pts: &[Coord<f64>], len: usize) -> impl Iterator<Item = (&[Coord<f64>], Rect<f64>)> {
    let last = pts.len().saturating_sub(1);
    (0..last).step_by(len.max(1)).filter_map(move |s| {
        let run = &pts[s..=(s + len.max(1)).min(last)];
        Some((run, coords_envelope(run.iter().copied())?))
    })
}

pub fn rects_intersect(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Whether `outer` holds all of `inner` (edges may touch).
pub fn rect_contains(outer: &Rect<f64>, inner: &Rect<f64>) -> bool {
    outer.min().x <= inner.min().x
        && outer.min().y <= inner.min().y
        && outer.max().x >= inner.max().x
        && outer.max().y >= inner.max().y
}

/// The rings of a polygon with exterior counter-clockwise and holes clockwise (the
/// orientation RFC 7946 asks for and the winding overlays rely on).
pub fn canonical_rings(p: &Polygon<f64>) -> Vec<Vec<Coord<f64>>> {
    let mut out = Vec::with_capacity(1 + p.interiors().len());
    let mut push = |ls: &LineString<f64>, ccw: bool| {
        let mut r: Vec<Coord<f64>> = ls.0.clone();
        if r.len() >= 2 && r.first() != r.last() {
            r.push(r[0]);
        }
        if (ring_signed_area2(&r) > 0.0) != ccw {
            r.reverse();
        }
        out.push(r);
    };
    push(p.exterior(), true);
    for h in p.interiors() {
        push(h, false);
    }
    out
}

/// Polygon with exterior counter-clockwise and holes clockwise.
pub fn canonical_polygon(p: &Polygon<f64>) -> Polygon<f64> {
    let mut rings = canonical_rings(p).into_iter().map(LineString::from);
    let ext = rings.next().unwrap_or_else(|| LineString::new(vec![]));
    Polygon::new(ext, rings.collect())
}

/// An R-tree of envelopes, each tagged with an index.
pub type EnvelopeTree =
    rstar::RTree<rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>>;

/// An envelope tagged with a feature id.
pub type IdItem = rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, String>;

/// Envelopes tagged with feature ids, updated in place as features change.
pub type IdTree = rstar::RTree<IdItem>;

/// The tree item of envelope `r` of feature `id` (equal items remove each other).
pub fn id_item(r: Rect<f64>, id: &str) -> IdItem {
    rstar::primitives::GeomWithData::new(
        rstar::primitives::Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
        id.to_string(),
    )
}

/// Ids in `tree` whose envelope meets `r`, sorted.
pub fn ids_in(tree: &IdTree, r: Rect<f64>) -> Vec<&str> {
    let mut v: Vec<&str> = tree
        .locate_in_envelope_intersecting(&aabb(r))
        .map(|h| h.data.as_str())
        .collect();
    v.sort_unstable();
    v
}

/// How many items two lists share at their start, and then at their end (not counting
/// those at the start again).
pub fn common_ends<T>(a: &[T], b: &[T], same: impl Fn(&T, &T) -> bool) -> (usize, usize) {
    let head = a.iter().zip(b).take_while(|(x, y)| same(x, y)).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| same(x, y))
        .count();
    (head, tail)
}

/// What differs between two lists of index items, counted by `key` (an item twice in `old`
/// and once in `new` went once): the items only `old` has and those only `new` has. An
/// index changed in place takes out the first and puts in the second, leaving the rest.
/// The lists' common start and end (a ring with a vertex moved) are set aside unhashed.
pub fn changed_items<T, K: std::hash::Hash + Eq>(
    mut old: Vec<T>,
    mut new: Vec<T>,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Vec<T>) {
    let (head, tail) = common_ends(&old, &new, |a, b| key(a) == key(b));
    old.truncate(old.len() - tail);
    new.truncate(new.len() - tail);
    old.drain(..head);
    new.drain(..head);
    let mut count: rustc_hash::FxHashMap<K, i64> = Default::default();
    for item in &old {
        *count.entry(key(item)).or_default() -= 1;
    }
    for item in &new {
        *count.entry(key(item)).or_default() += 1;
    }
    let mut pick = |items: Vec<T>, sign: i64| -> Vec<T> {
        items
            .into_iter()
            .filter(|item| match count.get_mut(&key(item)) {
                Some(n) if *n * sign > 0 => {
                    *n -= sign;
                    true
                }
                _ => false,
            })
            .collect()
    };
    let gone = pick(old, -1);
    let came = pick(new, 1);
    (gone, came)
}

/// Take the items `gone` out of `tree` and put `came` in, where both are items of owners
/// (keyed by their `u32`) and an item may pass from one owner to another: a `came` item
/// whose shape (by `bits`, counted) some `gone` item has takes that item's place, its key
/// changed in the tree; the rest go out and come in. A split or merge hands thousands of
/// vertices and segments from one grid to another, and changing their keys where they lie
/// costs one lookup for each run of them (they come in ring order) instead of a removal
/// and an insertion each.
pub fn rekey_items<G, K>(
    tree: &mut rstar::RTree<rstar::primitives::GeomWithData<G, u32>>,
    gone: Vec<rstar::primitives::GeomWithData<G, u32>>,
    came: Vec<rstar::primitives::GeomWithData<G, u32>>,
    bits: impl Fn(&G) -> K,
) where
    G: rstar::RTreeObject + PartialEq,
    K: std::hash::Hash + Eq,
{
    // The gone items by shape; those no `came` item takes are taken out at the end.
    let mut by_shape: rustc_hash::FxHashMap<K, Vec<rstar::primitives::GeomWithData<G, u32>>> =
        Default::default();
    for item in gone {
        by_shape.entry(bits(item.geom())).or_default().push(item);
    }
    let mut fresh = Vec::new();
    let mut moves = Vec::new();
    for item in came {
        match by_shape.get_mut(&bits(item.geom())).and_then(Vec::pop) {
            Some(from) => moves.push((from, item)),
            None => fresh.push(item),
        }
    }
    // The items that change owner, a run at a time: one lookup in the envelope of a run
    // (consecutive items of a ring lie together) finds them by owner and shape.
    let mut done = vec![false; moves.len()];
    for (run, done) in moves.chunks(REKEY_RUN).zip(done.chunks_mut(REKEY_RUN)) {
        let Some(env) = run
            .iter()
            .map(|(from, _)| from.geom().envelope())
            .reduce(|a, b| a.merged(&b))
        else {
            continue;
        };
        let mut want: rustc_hash::FxHashMap<(u32, K), Vec<usize>> = Default::default();
        for (i, (from, _)) in run.iter().enumerate().rev() {
            want.entry((from.data, bits(from.geom())))
                .or_default()
                .push(i);
        }
        for t in tree.locate_in_envelope_mut(&env) {
            if let Some(i) = want.get_mut(&(t.data, bits(t.geom()))).and_then(Vec::pop) {
                t.data = run[i].1.data;
                done[i] = true;
            }
        }
    }
    // The rest one by one (an item equal to its gone one but for its bits, or whose
    // owner another move gave it); an item listed as gone but not in the tree has
    // nothing to change or take out, and comes in.
    for ((from, item), done) in moves.into_iter().zip(done) {
        if done {
            continue;
        }
        let rekeyed = tree
            .locate_in_envelope_mut(&item.geom().envelope())
            .find(|t| **t == from)
            .map(|t| t.data = item.data)
            .is_some();
        if !rekeyed {
            fresh.push(item);
        }
    }
    for item in fresh {
        tree.insert(item);
    }
    let out: Vec<_> = by_shape.into_values().flatten().collect();
    if out.len() <= REMOVE_ONE_BY_ONE {
        for item in &out {
            tree.remove(item);
        }
        return;
    }
    // Many (a deleted grid's): one pass over the tree within their envelope, each taken
    // out as often as it is listed.
    use rstar::Envelope;
    let env = out
        .iter()
        .map(|i| i.geom().envelope())
        .reduce(|a, b| a.merged(&b));
    let mut left: rustc_hash::FxHashMap<(u32, K), usize> = Default::default();
    for item in &out {
        *left.entry((item.data, bits(item.geom()))).or_default() += 1;
    }
    if let Some(env) = env {
        let left = std::cell::RefCell::new(left);
        let _ = tree
            .drain_with_selection_function(Listed {
                env,
                take: |t: &rstar::primitives::GeomWithData<G, u32>| {
                    let mut left = left.borrow_mut();
                    match left.get_mut(&(t.data, bits(t.geom()))) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            true
                        }
                        _ => false,
                    }
                },
            })
            .count();
    }
}

/// An edge's identity in an index: its ends' bits, in order.
pub fn line_bits(l: &rstar::primitives::Line<[f64; 2]>) -> [u64; 4] {
    [
        l.from[0].to_bits(),
        l.from[1].to_bits(),
        l.to[0].to_bits(),
        l.to[1].to_bits(),
    ]
}

/// Selects the items of one owner (keyed by their `u32`) inside its envelope.
#[derive(Clone)]
pub(crate) struct OwnedBy {
    pub env: rstar::AABB<[f64; 2]>,
    pub key: u32,
}

impl<T> rstar::SelectionFunction<rstar::primitives::GeomWithData<T, u32>> for OwnedBy
where
    T: rstar::RTreeObject<Envelope = rstar::AABB<[f64; 2]>>,
{
    fn should_unpack_parent(&self, envelope: &rstar::AABB<[f64; 2]>) -> bool {
        use rstar::Envelope;
        envelope.intersects(&self.env)
    }
    fn should_unpack_leaf(&self, leaf: &rstar::primitives::GeomWithData<T, u32>) -> bool {
        leaf.data == self.key
    }
}

/// Items that change owner in [`rekey_items`] are looked for this many at a time.
const REKEY_RUN: usize = 16;

/// Past this many items to take out of a tree, [`rekey_items`] drains them in one pass.
const REMOVE_ONE_BY_ONE: usize = 64;

/// Selects the leaves `take` accepts inside `env`.
struct Listed<E, F> {
    env: E,
    take: F,
}

impl<T, F> rstar::SelectionFunction<T> for Listed<T::Envelope, F>
where
    T: rstar::RTreeObject,
    F: Fn(&T) -> bool,
{
    fn should_unpack_parent(&self, envelope: &T::Envelope) -> bool {
        use rstar::Envelope;
        envelope.intersects(&self.env)
    }
    fn should_unpack_leaf(&self, leaf: &T) -> bool {
        (self.take)(leaf)
    }
}

/// Ids in `tree` whose envelope meets `r`, sorted; None when there are more than `cap`
/// (found without visiting the rest: a stack of copies costs the cap, not its size).
pub fn ids_in_capped(tree: &IdTree, r: Rect<f64>, cap: usize) -> Option<Vec<&str>> {
    let mut v: Vec<&str> = tree
        .locate_in_envelope_intersecting(&aabb(r))
        .take(cap + 1)
        .map(|h| h.data.as_str())
        .collect();
    if v.len() > cap {
        return None;
    }
    v.sort_unstable();
    Some(v)
}

/// Whether more than `n` different envelopes in `tree` hold the point `c` (copies of one
/// shape count once).
pub fn more_hold_than(tree: &IdTree, c: Coord<f64>, n: usize) -> bool {
    use rstar::RTreeObject;
    let mut seen: Vec<[f64; 4]> = Vec::new();
    for h in tree.locate_all_at_point(&[c.x, c.y]) {
        let e = h.envelope();
        let key = [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]];
        if !seen.contains(&key) {
            seen.push(key);
            if seen.len() > n {
                return true;
            }
        }
    }
    false
}

/// The R-tree box of a rectangle.
pub fn aabb(r: Rect<f64>) -> rstar::AABB<[f64; 2]> {
    rstar::AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

/// Which group each rectangle falls in when rectangles that meet, directly or through
/// others, form one group: a group number per rectangle (the smallest index in it).
pub fn overlapping_groups(boxes: &[Rect<f64>]) -> Vec<usize> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let tree = envelope_tree(boxes.iter().copied().map(Some).enumerate());
    let mut parent: Vec<usize> = (0..boxes.len()).collect();
    for (i, b) in boxes.iter().enumerate() {
        for other in tree.locate_in_envelope_intersecting(&aabb(*b)) {
            let (x, y) = (root(&mut parent, i), root(&mut parent, other.data));
            if x != y {
                parent[x.max(y)] = x.min(y);
            }
        }
    }
    (0..boxes.len()).map(|i| root(&mut parent, i)).collect()
}

/// Index envelopes by the number they come with (empty geometry is left out).
pub fn envelope_tree(items: impl Iterator<Item = (usize, Option<Rect<f64>>)>) -> EnvelopeTree {
    rstar::RTree::bulk_load(
        items
            .filter_map(|(i, e)| {
                e.map(|r| {
                    rstar::primitives::GeomWithData::new(
                        rstar::primitives::Rectangle::from_corners(
                            [r.min().x, r.min().y],
                            [r.max().x, r.max().y],
                        ),
                        i,
                    )
                })
            })
            .collect(),
    )
}

/// Sum of polygon areas in square metres (planar, working CRS).
pub fn area(mp: &MultiPolygon<f64>) -> f64 {
    use geo::Area;
    mp.unsigned_area()
}

/// A point inside a multipolygon, found cheaply: the middle of the widest stretch inside its
/// largest part along the horizontal line through the middle of that part's envelope. For
/// marking a grid (record findings, labels), not for cartographic placement.
pub fn label_point(mp: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    use geo::BoundingRect;
    let part =
        mp.0.iter()
            .filter_map(|p| p.exterior().bounding_rect().map(|e| (p, e)))
            .filter(|(_, e)| e.min().x.is_finite() && e.max().y.is_finite())
            .max_by(|a, b| (a.1.width() * a.1.height()).total_cmp(&(b.1.width() * b.1.height())))?;
    let (p, env) = part;
    let rings: Vec<&LineString<f64>> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    // A line through no vertex, so that every crossing is counted once.
    let mut y = env.center().y;
    for k in 1..8 {
        if !rings.iter().any(|r| r.0.iter().any(|c| c.y == y)) {
            break;
        }
        y = env.center().y + env.height() * 1e-3 * k as f64;
    }
    let mut xs: Vec<f64> = Vec::new();
    for r in &rings {
        for w in r.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.y > y) != (b.y > y) {
                xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
            }
        }
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.chunks_exact(2)
        .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
        .map(|w| Coord {
            x: (w[0] + w[1]) / 2.0,
            y,
        })
        .or_else(|| p.exterior().0.first().copied())
}

/// Distance from `p` to the nearest ring of a multipolygon (its boundary).
pub fn boundary_distance(p: Coord<f64>, mp: &MultiPolygon<f64>) -> f64 {
    let mut d2 = f64::INFINITY;
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                d2 = d2.min(seg_dist2(p, w[0], w[1]));
            }
        }
    }
    d2.sqrt()
}

/// Whether a polygon is wider than `width`: the diameter of its largest inscribed circle
/// exceeds it. Cheap for most: a region whose every point lies within `r` of its boundary
/// has at most `perimeter · r` of area, so `2 · area / perimeter` above `width` settles it
/// without a search.
pub fn is_wider_than(p: &Polygon<f64>, width: f64) -> bool {
    use geo::{Area, Euclidean, Length};
    let a = p.unsigned_area();
    let perimeter: f64 = std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| Euclidean.length(r))
        .sum();
    if !(perimeter > 0.0 && a > 0.0) {
        return false;
    }
    if 2.0 * a / perimeter > width {
        return true;
    }
    mic::reaches(p, width / 10.0, width / 2.0)
}

/// The polygons of `mp` wider than `width` ([`is_wider_than`]); the others are dropped.
pub fn wider_than(mp: MultiPolygon<f64>, width: f64) -> MultiPolygon<f64> {
    MultiPolygon(
        mp.0.into_iter()
            .filter(|p| is_wider_than(p, width))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use rstar::RTree;
    use rstar::primitives::GeomWithData;

    type Item = GeomWithData<[f64; 2], u32>;

    /// The tree's items, sorted.
    fn content(tree: &RTree<Item>) -> Vec<(u32, u64, u64)> {
        let mut v: Vec<_> = tree
            .iter()
            .map(|i| (i.data, i.geom()[0].to_bits(), i.geom()[1].to_bits()))
            .collect();
        v.sort_unstable();
        v
    }

    /// Owners handing points to each other (some twice over, some taken out, some new),
    /// few and many at a time: the tree ends with exactly the items it should hold.
    #[test]
    fn items_passing_between_owners_end_where_they_belong() {
        let mut rng = fastrand::Rng::with_seed(5);
        for round in 0..200 {
            let n = [5, 40, 400][round % 3];
            let point =
                |rng: &mut fastrand::Rng| [f64::from(rng.u8(0..20)), f64::from(rng.u8(0..20))];
            let before: Vec<Item> = (0..n)
                .map(|_| GeomWithData::new(point(&mut rng), rng.u32(0..4)))
                .collect();
            let mut tree = RTree::bulk_load(before.clone());
            // Each item stays, goes to another owner, or goes; some new ones come.
            let mut after: Vec<Item> = Vec::new();
            let (mut gone, mut came) = (Vec::new(), Vec::new());
            for &i in &before {
                match rng.u8(0..3) {
                    0 => after.push(i),
                    1 => {
                        let moved = GeomWithData::new(*i.geom(), rng.u32(0..6));
                        gone.push(i);
                        came.push(moved);
                        after.push(moved);
                    }
                    _ => gone.push(i),
                }
            }
            for _ in 0..rng.usize(0..n) {
                let new = GeomWithData::new(point(&mut rng), rng.u32(0..6));
                came.push(new);
                after.push(new);
            }
            rng.shuffle(&mut came);
            super::rekey_items(&mut tree, gone, came, |p| (p[0].to_bits(), p[1].to_bits()));
            assert_eq!(
                content(&tree),
                content(&RTree::bulk_load(after)),
                "round {round}"
            );
        }
    }
}
