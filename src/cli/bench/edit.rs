//! `gridmap bench-edit`: edits as the app makes them, timed through the whole document
//! pipeline (commit, history, audit, report and every derived structure).

use anyhow::Context;
use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};
use gridmap::document::Document;
use gridmap::edit::{self, EditError, Transaction};
use std::collections::BTreeMap;
use std::time::Instant;

/// One row of `bench-edit`: an edit as the app makes it, timed from building the
/// transaction through the commit, the history, the audit, the report and every derived
/// structure of the document.
#[derive(Debug, Clone)]
pub struct EditBenchRow {
    pub edit: &'static str,
    pub runs: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
}

/// The document being edited and the times taken by each kind of edit (ms).
struct Bench {
    doc: Document,
    times: BTreeMap<&'static str, Vec<f64>>,
}

impl Bench {
    /// Run one edit `f` on the document and record how long it took under `name`.
    fn timed(
        &mut self,
        name: &'static str,
        f: impl FnOnce(&mut Document) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut t = Instant::now();
        let r = f(&mut self.doc);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        // The edit's name after its phases (GRIDMAP_TIMING=1), so they can be told apart.
        gridmap::timing::phase(&format!("bench-edit {name}"), &mut t);
        self.times.entry(name).or_default().push(ms);
        r.with_context(|| format!("bench-edit: {name}"))
    }

    /// A drag of a shared vertex of `ring`: 30 frames, one undo step.
    fn drag(&mut self, ring: &[Coord], run: usize) -> anyhow::Result<()> {
        let mut at = ring[0];
        // Positions on the coordinate grid, where the edit puts them (as the canvas does).
        let precision = self.doc.project().crs.precision();
        for frame in 0..30 {
            let to = precision.snap_coord(Coord {
                x: at.x + 0.2,
                y: at.y + if frame % 2 == 0 { 0.1 } else { -0.1 },
            });
            self.timed("vertex drag frame", |d| {
                let t = edit::move_vertex(d, at, to, &format!("drag{run}"));
                commit(d, Ok(t))
            })?;
            at = to;
        }
        self.doc.seal();
        Ok(())
    }

    /// Insert a vertex in the middle of a shared edge of `ring`, then delete it.
    fn insert_and_delete_vertex(&mut self, ring: &[Coord]) -> anyhow::Result<()> {
        let precision = self.doc.project().crs.precision();
        let (a, b) = (ring[1], ring[2]);
        let mid = precision.snap_coord(Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        });
        self.timed("vertex insert", |d| {
            commit(d, Ok(edit::insert_vertex(d, a, b, mid)))
        })?;
        self.timed("vertex delete", |d| commit(d, edit::delete_vertex(d, mid)))
    }

    /// Split grid `id` (lying in `env`) across the middle, then merge the pieces back.
    fn split_and_merge(&mut self, id: &str, env: Rect) -> anyhow::Result<()> {
        let c = env.center();
        let line = LineString(vec![
            Coord {
                x: env.min().x - 5.0,
                y: c.y + 0.37,
            },
            Coord {
                x: env.max().x + 5.0,
                y: c.y + 0.37,
            },
        ]);
        let n_before = self.doc.project().grids.len();
        self.timed("split", |d| commit(d, edit::split(d, id, &line)))?;
        let pieces: Vec<String> = std::iter::once(id.to_string())
            .chain(
                self.doc.project().grids[n_before..]
                    .iter()
                    .map(|g| g.id.clone()),
            )
            .collect();
        self.timed("merge", |d| commit(d, edit::merge(d, &pieces)))
    }

    /// Delete grid `g`, then draw it again larger than the hole: avoid-overlap clips it
    /// to the free space.
    fn delete_and_redraw(&mut self, g: &gridmap::model::Grid, env: Rect) -> anyhow::Result<()> {
        let id = g.id.as_str();
        self.timed("delete", |d| {
            commit(d, edit::delete(d, std::slice::from_ref(&id.to_string())))
        })?;
        let r = gridmap::geom::expand(env, 20.0);
        let corner = |x: f64, y: f64| Coord { x, y };
        let shape = MultiPolygon(vec![Polygon::new(
            LineString(vec![
                corner(r.min().x, r.min().y),
                corner(r.max().x, r.min().y),
                corner(r.max().x, r.max().y),
                corner(r.min().x, r.max().y),
                corner(r.min().x, r.min().y),
            ]),
            vec![],
        )]);
        self.timed("draw with avoid-overlap", |d| {
            let mut ng = gridmap::model::Grid::new(format!("{id}-new"), g.level, shape);
            ng.parent = g.parent.clone();
            commit(d, edit::add_grid(d, ng, true))
        })
    }

    /// Undo the last edit and redo it.
    fn undo_and_redo(&mut self) -> anyhow::Result<()> {
        self.timed("undo", |d| Ok(d.undo().map(|_| ())?))?;
        self.timed("redo", |d| Ok(d.redo().map(|_| ())?))
    }

    /// The median and 95th percentile of each kind of edit.
    fn rows(self) -> Vec<EditBenchRow> {
        self.times
            .into_iter()
            .map(|(edit, mut v)| {
                v.sort_by(|a, b| a.total_cmp(b));
                EditBenchRow {
                    edit,
                    runs: v.len(),
                    median_ms: v[v.len() / 2],
                    p95_ms: v[(v.len() * 95 / 100).min(v.len() - 1)],
                }
            })
            .collect()
    }
}

/// Commit an edit as the app does.
fn commit(d: &mut Document, t: Result<Transaction, EditError>) -> anyhow::Result<()> {
    Ok(d.commit(t?)?)
}

/// What one `bench-edit` run measured.
pub struct EditBench {
    /// Seconds to open the document (audit and every derived structure).
    pub open_s: f64,
    /// Vertices of the grids edited: median and most.
    pub vertices: (usize, usize),
    /// Edits that the project did not allow (a split line that misses, a vertex that
    /// cannot go), left out of the times.
    pub refused: usize,
    pub rows: Vec<EditBenchRow>,
}

/// Replay edits on `project` through the document pipeline the app uses: open (every
/// derived structure built), vertex drag frames, vertex insert and delete, split, merge,
/// delete, draw with avoid-overlap, record edit, undo and redo. `runs` rounds, each on a
/// grid of level 2 or below picked at random (on a synthetic coverage, away from its
/// edge), at its first vertex (shared with the neighbours on a coverage).
pub fn bench_edit(project: gridmap::model::Project, runs: usize) -> anyhow::Result<EditBench> {
    let candidates = edit_candidates(&project);
    anyhow::ensure!(
        !candidates.is_empty(),
        "bench-edit: no grid of level 2 or below with a ring to edit"
    );
    let t0 = Instant::now();
    let doc = Document::new(project, None);
    let open_s = t0.elapsed().as_secs_f64();
    let mut bench = Bench {
        doc,
        times: BTreeMap::new(),
    };
    let mut rng = fastrand::Rng::with_seed(7);
    let (mut sizes, mut refused) = (Vec::new(), 0);
    for run in 0..runs {
        let id = &candidates[rng.usize(..candidates.len())];
        let Some(g) = bench.doc.grid(id).cloned() else {
            continue;
        };
        sizes.push(geo::CoordsIter::coords_count(&g.geometry));
        match bench.round(&g, run) {
            Ok(()) => {}
            Err(e) if bench.doc.grid(id).is_some() => {
                eprintln!("bench-edit: {id}: {e:#} (left out)");
                refused += 1;
            }
            Err(e) => return Err(e),
        }
    }
    sizes.sort_unstable();
    Ok(EditBench {
        open_s,
        vertices: (sizes[sizes.len() / 2], *sizes.last().unwrap_or(&0)),
        refused,
        rows: bench.rows(),
    })
}

/// The grids `bench-edit` edits: level 2 and below with a ring of at least 4 vertices;
/// on a synthetic coverage (ids C000001..) the middle half, away from the map's edge.
fn edit_candidates(project: &gridmap::model::Project) -> Vec<String> {
    let ok: Vec<&gridmap::model::Grid> = project
        .grids
        .iter()
        .filter(|g| g.level >= 2)
        .filter(|g| {
            g.geometry
                .0
                .first()
                .is_some_and(|p| p.exterior().0.len() >= 5)
        })
        .collect();
    let synthetic = ok.iter().all(|g| g.id.starts_with('C'));
    let n = ok.len();
    let range = if synthetic && n >= 8 {
        n / 4..n * 3 / 4
    } else {
        0..n
    };
    ok[range].iter().map(|g| g.id.clone()).collect()
}

impl Bench {
    /// One round of every kind of edit on grid `g`.
    fn round(&mut self, g: &gridmap::model::Grid, run: usize) -> anyhow::Result<()> {
        let id = g.id.as_str();
        let ring = g.geometry.0[0].exterior().0.clone();
        self.drag(&ring, run)?;
        self.insert_and_delete_vertex(&ring)?;
        self.timed("record edit", |d| {
            commit(
                d,
                edit::set_record(d, id, "名称 / Name", |g| g.name.push('*')),
            )
        })?;
        let env = gridmap::geom::envelope(&g.geometry).context("bench-edit: empty grid")?;
        self.split_and_merge(id, env)?;
        self.delete_and_redraw(g, env)?;
        self.undo_and_redo()
    }
}

/// The opening time, the grids' sizes and the rows as a Markdown table.
pub fn render_edit_bench(title: &str, b: &EditBench) -> String {
    let mut s = format!(
        "{title}: document opened (audit and every derived structure) in {:.2} s; grids edited: {} vertices median, {} most\n",
        b.open_s, b.vertices.0, b.vertices.1
    );
    if b.refused > 0 {
        s.push_str(&format!(
            "{} rounds refused by the project (left out)\n",
            b.refused
        ));
    }
    s.push_str("\n| edit | runs | median ms | p95 ms |\n|---|---|---|---|\n");
    for r in &b.rows {
        s.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} |\n",
            r.edit, r.runs, r.median_ms, r.p95_ms
        ));
    }
    s
}
