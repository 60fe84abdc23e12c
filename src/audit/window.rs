//! The coverage check of an edit made in place, in the window of what it moved.
//!
//! A segment's coverage state (JTS `CoverageValidator`, see `coverage.rs`) depends only on
//! what lies near it: the segments equal to it (matching), the neighbours' segments within
//! the gap width (interaction), whether its ends lie inside a neighbour, and its successor
//! along the ring (a vertex inside a neighbour marks the segment before it too). An edit
//! that replaces a grid in place (a vertex dragged, inserted or deleted, a record changed)
//! moves a few segments; every segment farther than the gap width from them, whose
//! successor is too, keeps the state it had. Those states are taken from the grid's invalid
//! edges before the edit and only the segments in the window are decided again, exactly as
//! the whole check decides them: a grid of 10,000 vertices costs what its moved segments
//! cost, not a check of it and its neighbours whole.
//!
//! A split, a merge, a grid deleted or drawn, and their undos take grids out and put grids
//! in: the segments taken out and put in are counted together, so a segment that stays
//! where it was under another grid has not moved; its state changes only towards the
//! segments that were its grid's and are not, or are and were not (the two halves of a
//! split meeting elsewhere), and those pairs join the window. A split of a grid of 10,000
//! vertices costs its cut, not its boundary.

use super::coverage::{
    INVALID, NEIGHBOURS_AT_MOST, Ring, SECTION, UNKNOWN, invalid_lines, is_invalid_interaction,
    position, ring_points, rings_of, seg_rect,
};
use super::{Auditor, Look};
use crate::geom;
use crate::model::{ChangeSet, Level, OldShapes};
use geo::coordinate_position::CoordPos;
use geo::{Coord, MultiLineString, MultiPolygon, Rect};
use rustc_hash::{FxHashMap, FxHashSet};

/// More moved segments than this: the edit is checked the whole way (deciding a segment
/// alone costs several times its share of the whole check).
const MOST_MOVED: usize = 4096;

/// Where an edit moved segments, per level, and the invalid edges the grids it changed or
/// made had before it.
pub(super) struct Window {
    /// The moved segments' envelopes (taken out or put in, or near a segment that went to
    /// another grid), per level.
    pub(super) moved: FxHashMap<Level, Vec<Rect<f64>>>,
    /// The grids changed or made (each must be usable after the edit), with the invalid
    /// edges their segments had before it: a grid's own, and those of the grids any of its
    /// segments came from (the pieces of a split, a merge).
    pub(super) before: FxHashMap<String, Vec<MultiLineString<f64>>>,
    /// The grids changed that were not usable before the edit (in no level's tree: the
    /// coverage check never saw them). While they stay so, their change moves nothing the
    /// check sees: a grid dragged through states that cross themselves costs its neighbours
    /// nothing.
    pub(super) unusable: Vec<String>,
}

/// Where a change reaches, per level, when its window does not hold ([`Window::reach`]).
pub(super) struct Reach {
    /// Every grid within the gap width of these is checked whole.
    pub(super) near: FxHashMap<Level, Vec<Rect<f64>>>,
    /// And these grids.
    pub(super) grids: FxHashMap<Level, Vec<String>>,
}

/// An unordered segment, by its ends' bits.
type SegKey = [u64; 4];

fn seg_key(a: Coord<f64>, b: Coord<f64>) -> SegKey {
    super::coverage::segment_key(a, b).0
}

/// The segments of a multipolygon's rings as the coverage check sees them (no repeated
/// or non-finite points, closed).
fn segments(mp: &MultiPolygon<f64>) -> Vec<(Coord<f64>, Coord<f64>)> {
    ring_points(mp)
        .iter()
        .flat_map(|(r, _)| r.windows(2).map(|w| (w[0], w[1])))
        .collect()
}

/// A segment as an edit changes it at one level: how many times it was put in less taken
/// out, and the grids that had it and have it.
struct Change<'a> {
    net: i64,
    ends: (Coord<f64>, Coord<f64>),
    from: Vec<&'a str>,
    to: Vec<&'a str>,
}

/// The segments of one level an edit takes out and puts in, with their grids.
#[derive(Default)]
struct Sides<'a> {
    taken: Vec<(Coord<f64>, Coord<f64>, &'a str)>,
    put: Vec<(Coord<f64>, Coord<f64>, &'a str)>,
    /// Segments a grid has before and after, at the same place in its rings (a drag
    /// leaves all but a few so): not counted, only looked at for partners.
    stayed: Vec<(Coord<f64>, Coord<f64>, &'a str)>,
}

impl Window {
    /// The window of `set`: every grid it changes was usable and stays at its level with
    /// its old shape in `old`, or was removed with its old shape in `removed`, or is new,
    /// or was not usable. None when the edit must be checked the whole way (a grid moved
    /// to another level, a shape not known, or many segments).
    ///
    /// A segment's state depends on which of the segments near it are another grid's. A
    /// segment that stays where it was but goes to another grid (a split, a merge, a grid
    /// redrawn under another id) changes that only towards the segments whose grid it
    /// shared before and not after, or after and not before: those pairs within the gap
    /// width are in the window with the segments that moved.
    pub(super) fn of(
        auditor: &Auditor,
        look: Look,
        set: &ChangeSet,
        old: &OldShapes,
        removed: &OldShapes,
    ) -> Option<Window> {
        let mut sides: FxHashMap<Level, Sides> = FxHashMap::default();
        let mut before: FxHashMap<String, Vec<MultiLineString<f64>>> = FxHashMap::default();
        let mut unusable = Vec::new();
        for id in set.grids.keys() {
            let tag = |s: &[(Coord<f64>, Coord<f64>)]| {
                s.iter()
                    .map(|&(a, b)| (a, b, id.as_str()))
                    .collect::<Vec<_>>()
            };
            let now = look.grid(id);
            match auditor.grids.get(id) {
                Some(st) if !st.usable => {
                    if now.is_some() {
                        unusable.push(id.clone());
                    }
                }
                Some(st) => {
                    let was = match now {
                        Some(_) => old.get(id)?,
                        None => removed.get(id)?,
                    };
                    let was = segments(was);
                    let side = sides.entry(st.level).or_default();
                    match now {
                        None => side.taken.extend(tag(&was)),
                        Some(g) => {
                            if g.level != st.level {
                                return None;
                            }
                            let is = segments(&g.geometry);
                            let (head, tail) = geom::common_ends(&was, &is, |x, y| x == y);
                            side.taken.extend(tag(&was[head..was.len() - tail]));
                            side.put.extend(tag(&is[head..is.len() - tail]));
                            side.stayed.extend(tag(&is[..head]));
                            side.stayed.extend(tag(&is[is.len() - tail..]));
                        }
                    }
                    if now.is_some() {
                        before.insert(
                            id.clone(),
                            auditor.raw_edges.get(id).cloned().into_iter().collect(),
                        );
                    }
                }
                None => {
                    if let Some(g) = now {
                        let side = sides.entry(g.level).or_default();
                        side.put.extend(tag(&segments(&g.geometry)));
                        before.insert(id.clone(), Vec::new());
                    }
                }
            }
        }
        let gw = auditor.config.gap_width;
        let mut moved: FxHashMap<Level, Vec<Rect<f64>>> = FxHashMap::default();
        let mut count = 0;
        let mut origins: FxHashSet<(&str, &str)> = FxHashSet::default();
        for (level, side) in &sides {
            let mut diff: FxHashMap<SegKey, Change> = FxHashMap::default();
            for (sign, list) in [(-1, &side.taken), (1, &side.put)] {
                for &(a, b, id) in list {
                    let c = diff.entry(seg_key(a, b)).or_insert_with(|| Change {
                        net: 0,
                        ends: (a, b),
                        from: Vec::new(),
                        to: Vec::new(),
                    });
                    c.net += sign;
                    if sign < 0 {
                        c.from.push(id);
                    } else {
                        c.to.push(id);
                    }
                }
            }
            let rects = moved.entry(*level).or_default();
            // Segments that stayed but went from grid x to grid y.
            let mut transfers: FxHashMap<(&str, &str), Vec<Rect<f64>>> = FxHashMap::default();
            for c in diff.values() {
                let r = Rect::new(c.ends.0, c.ends.1);
                if c.net != 0 {
                    count += c.net.unsigned_abs() as usize;
                    if count > MOST_MOVED {
                        return None;
                    }
                    rects.push(r);
                    continue;
                }
                for x in c.from.iter().filter(|x| !c.to.contains(x)) {
                    for y in c.to.iter().filter(|y| !c.from.contains(y)) {
                        transfers.entry((*x, *y)).or_default().push(r);
                    }
                }
            }
            for ((x, y), segs) in transfers {
                origins.insert((x, y));
                // The segments whose relation to these changed: put in by a grid other
                // than y where x had them, or by y where x did not.
                let partners: Vec<Rect<f64>> = side
                    .put
                    .iter()
                    .map(|s| (s, false))
                    .chain(side.stayed.iter().map(|s| (s, true)))
                    .filter(|((a, b, owner), stayed)| {
                        // A segment that stayed was its owner's; one put in was x's
                        // if x took out a segment of its key.
                        let had_x = if *stayed {
                            *owner == x
                        } else {
                            diff.get(&seg_key(*a, *b))
                                .is_some_and(|c| c.from.contains(&x))
                        };
                        (*owner != y) == had_x
                    })
                    .map(|((a, b, _), _)| Rect::new(*a, *b))
                    .collect();
                let tree = geom::envelope_tree(partners.iter().copied().map(Some).enumerate());
                let mut near: FxHashSet<usize> = FxHashSet::default();
                for r in segs {
                    let mut found = tree
                        .locate_in_envelope_intersecting(&geom::aabb(geom::expand(r, gw)))
                        .map(|p| p.data)
                        .peekable();
                    if found.peek().is_some() {
                        near.extend(found);
                        rects.push(r);
                        count += 1;
                    }
                }
                count += near.len();
                if count > MOST_MOVED {
                    return None;
                }
                rects.extend(near.into_iter().map(|i| partners[i]));
            }
        }
        for (x, y) in origins {
            if let (Some(edges), Some(b)) = (auditor.raw_edges.get(x), before.get_mut(y)) {
                b.push(edges.clone());
            }
        }
        Some(Window {
            moved,
            before,
            unusable,
        })
    }

    /// Where a change this window does not hold must be checked again: near the segments
    /// that moved, over the whole of each grid that became usable or stopped being so
    /// (all its segments enter or leave the check, by the shape it has now or had
    /// before), and each grid changed that is usable (its invalid edges were let go when
    /// it changed). A grid no segment of which lies near these keeps the states it had:
    /// a vertex dragged further beside a grid that crossed itself does not check the
    /// neighbours of the other grid it moves whole.
    pub(super) fn reach(self, auditor: &Auditor, old: &OldShapes) -> Reach {
        let mut reach = Reach {
            near: self.moved,
            grids: FxHashMap::default(),
        };
        for id in self.before.keys() {
            match auditor.grids.get(id) {
                Some(st) if st.usable => reach.grids.entry(st.level).or_default().push(id.clone()),
                Some(st) => {
                    if let Some(e) = old.get(id).and_then(geom::envelope) {
                        reach.near.entry(st.level).or_default().push(e);
                    }
                }
                None => {}
            }
        }
        for id in &self.unusable {
            if let Some(st) = auditor.grids.get(id).filter(|s| s.usable)
                && let Some(e) = st.env
            {
                reach.near.entry(st.level).or_default().push(e);
            }
        }
        reach
    }

    /// Whether the grids changed are as usable as they were (checked after their new
    /// states are in): a grid that became unusable leaves its level's tree, one that
    /// became usable enters it, and the whole way is taken.
    pub(super) fn holds(&self, auditor: &Auditor) -> bool {
        self.before
            .keys()
            .all(|id| auditor.grids.get(id).is_some_and(|s| s.usable))
            && self
                .unusable
                .iter()
                .all(|id| auditor.grids.get(id).is_some_and(|s| !s.usable))
    }
}

/// The rings of the grids looked at, made once each.
struct Rings<'a> {
    look: Look<'a>,
    made: FxHashMap<String, Vec<Ring>>,
}

impl<'a> Rings<'a> {
    fn of(&mut self, id: &str) -> &[Ring] {
        if !self.made.contains_key(id) {
            let rings = self
                .look
                .grid(id)
                .map(|g| rings_of(&g.geometry))
                .unwrap_or_default();
            self.made.insert(id.to_string(), rings);
        }
        &self.made[id]
    }
}

/// The segments `k` of `ring` whose section meets `r`.
fn near_segments(ring: &Ring, r: &Rect<f64>) -> impl Iterator<Item = usize> {
    ring.segments_where(move |s| geom::rects_intersect(s, r))
}

/// Deciding segments of the grids in a window, as the whole check decides them.
struct Decide<'a, 'b> {
    tree: &'b geom::IdTree,
    rings: &'b mut Rings<'a>,
    gap_width: f64,
}

impl Decide<'_, '_> {
    /// A segment's state after matching and the neighbours' segments (before the
    /// vertices inside a neighbour): INVALID, UNKNOWN, or anything else for matched.
    fn pre(&mut self, t: &str, a: Coord<f64>, b: Coord<f64>) -> u8 {
        let r = seg_rect(a, b, 0.0);
        let (mut same, mut other) = (0, 0);
        for id in geom::ids_in(self.tree, r) {
            for ring in self.rings.of(id) {
                for k in near_segments(ring, &r) {
                    let (p, q) = (ring.pts[k], ring.pts[k + 1]);
                    if p == a && q == b {
                        same += 1;
                    } else if p == b && q == a {
                        other += 1;
                    }
                }
            }
        }
        if same >= 2 {
            return INVALID;
        }
        if other >= 1 {
            return super::coverage::MATCHED;
        }
        if a == b {
            return UNKNOWN;
        }
        let env = seg_rect(a, b, self.gap_width);
        for id in geom::ids_in(self.tree, env) {
            if id == t {
                continue;
            }
            for ring in self.rings.of(id) {
                for k in near_segments(ring, &env) {
                    if is_invalid_interaction(a, b, ring, k, self.gap_width) {
                        return INVALID;
                    }
                }
            }
        }
        UNKNOWN
    }

    /// Whether `p` lies inside a neighbour of grid `t`.
    fn inside(&mut self, t: &str, p: Coord<f64>) -> bool {
        geom::ids_in(self.tree, Rect::new(p, p))
            .into_iter()
            .filter(|id| *id != t)
            .any(|id| position(self.rings.of(id), p) == CoordPos::Inside)
    }

    /// Whether segment `i` of `ring` (of grid `t`) is invalid, as `check_target` decides
    /// it: invalid before the vertex step; or unknown and its start vertex inside a
    /// neighbour; or unknown and the next segment, unknown when its turn comes, starts
    /// inside a neighbour (the first vertex's turn comes first and marks the last segment).
    fn invalid(&mut self, t: &str, ring: &Ring, i: usize) -> bool {
        let n = ring.nseg();
        let pts = &ring.pts;
        let pre_i = self.pre(t, pts[i], pts[i + 1]);
        if pre_i != UNKNOWN {
            return pre_i == INVALID;
        }
        // The first vertex's turn: inside, it marks the last segment if unknown.
        let mut first = None;
        let mut first_marks = |d: &mut Self| -> bool {
            *first.get_or_insert_with(|| {
                n > 1 && d.pre(t, pts[0], pts[1]) == UNKNOWN && d.inside(t, pts[0])
            })
        };
        if i == n - 1 && n > 1 && first_marks(self) {
            return true;
        }
        if self.inside(t, pts[i]) {
            return true;
        }
        let j = i + 1;
        if j < n {
            let unknown_then =
                self.pre(t, pts[j], pts[j + 1]) == UNKNOWN && !(j == n - 1 && first_marks(self));
            if unknown_then && self.inside(t, pts[j]) {
                return true;
            }
        }
        false
    }
}

impl Auditor {
    /// The invalid edges of the grids of `level` near the moved segments `moved`: each
    /// segment in the window decided again, every other one as it was. None when a grid
    /// there lies in a stack (the whole check decides those its own way).
    pub(super) fn window_edges(
        &self,
        look: Look,
        level: Level,
        moved: &[Rect<f64>],
        before: &FxHashMap<String, Vec<MultiLineString<f64>>>,
    ) -> Option<Vec<(String, Option<MultiLineString<f64>>)>> {
        let gw = self.config.gap_width;
        let tree = self.trees.get(&level)?;
        let window: Vec<Rect<f64>> = moved.iter().map(|r| geom::expand(*r, gw)).collect();
        let areas = geom::envelope_tree(window.iter().copied().map(Some).enumerate());
        // The grids changed (their states went with the edit) and those in the window.
        let mut affected: Vec<&str> = window
            .iter()
            .flat_map(|r| geom::ids_in(tree, *r))
            .chain(
                before
                    .keys()
                    .map(String::as_str)
                    .filter(|id| self.grids.get(*id).is_some_and(|s| s.level == level)),
            )
            .collect();
        affected.sort_unstable();
        affected.dedup();
        let mut rings = Rings {
            look,
            made: FxHashMap::default(),
        };
        let mut out = Vec::with_capacity(affected.len());
        for t in affected {
            let env = self.grids.get(t).and_then(|s| s.env)?;
            // A grid in a stack is decided the whole check's way.
            geom::ids_in_capped(tree, geom::expand(env, gw), NEIGHBOURS_AT_MOST + 1)?;
            let was: FxHashSet<SegKey> = match before.get(t) {
                Some(b) => b.iter().collect(),
                None => self.raw_edges.get(t).into_iter().collect::<Vec<_>>(),
            }
            .into_iter()
            .flat_map(|m| m.0.iter())
            .flat_map(|l| l.0.windows(2).map(|w| seg_key(w[0], w[1])))
            .collect();
            let own = rings.of(t).to_vec();
            let mut decide = Decide {
                tree,
                rings: &mut rings,
                gap_width: gw,
            };
            let mut lines = Vec::new();
            for ring in &own {
                let n = ring.nseg();
                let meets = |r: Rect<f64>| {
                    areas
                        .locate_in_envelope_intersecting(&geom::aabb(r))
                        .next()
                        .is_some()
                };
                // A segment meets the window only if its section does: a grid of 10,000
                // vertices beside a small window asks 600 boxes, not 10,000.
                let sections: Vec<bool> = ring.sections.iter().map(|r| meets(*r)).collect();
                let near = |i: usize| {
                    sections[i / SECTION] && meets(seg_rect(ring.pts[i], ring.pts[i + 1], 0.0))
                };
                let st: Vec<u8> = (0..n)
                    .map(|i| {
                        let again = near(i) || near((i + 1) % n) || (i == n - 1 && near(0));
                        let bad = if again {
                            decide.invalid(t, ring, i)
                        } else {
                            was.contains(&seg_key(ring.pts[i], ring.pts[i + 1]))
                        };
                        if bad { INVALID } else { UNKNOWN }
                    })
                    .collect();
                invalid_lines(ring, &st, &mut lines);
            }
            let lines = (!lines.is_empty()).then_some(MultiLineString(lines));
            out.push((t.to_string(), lines));
        }
        Some(out)
    }
}
