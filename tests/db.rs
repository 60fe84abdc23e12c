//! The county database against a real PostgreSQL 15 + PostGIS 3 (Debian's packages) on a
//! loopback port: a throwaway cluster started by `scripts/pg-cluster.sh` for this run and
//! removed after it. Each case gets its own database; accounts are named after it.
//!
//! Its own harness (one cluster for all cases, stopped at the end): `cargo test --test db`
//! runs every case, `cargo test --test db -- NAME` the cases whose name contains NAME.

use geo::{Area, BooleanOps, CoordsIter, MultiPolygon};
use gridmap::county::db::{self, Account};
use gridmap::county::{Choice, PushOutcome, Pushed, SyncState, ops};
use gridmap::{Kind, Project};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_gridmap");
const SRID: u32 = 4546;

struct Cluster {
    dir: PathBuf,
    port: u16,
    pgpass: PathBuf,
    lock: Mutex<()>,
}

impl Cluster {
    fn start() -> Cluster {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("gridmap-pgtest-{}", std::process::id()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .arg(port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "could not start PostgreSQL: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pw = std::fs::read_to_string(dir.join("pw")).unwrap();
        let pgpass = std::env::temp_dir().join(format!("gridmap-pgpass-{}", std::process::id()));
        std::fs::write(
            &pgpass,
            format!("127.0.0.1:{port}:*:gridmap_admin:{}\n", pw.trim()),
        )
        .unwrap();
        // Before any thread starts: the password file is how every client here logs in.
        unsafe {
            std::env::set_var("PGPASSFILE", &pgpass);
            std::env::remove_var("PGPASSWORD");
            std::env::remove_var("PGSERVICE");
        }
        Cluster {
            dir,
            port,
            pgpass,
            lock: Mutex::new(()),
        }
    }

    fn url(&self, db: &str, user: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }

    /// A new database with the county schema; its admin URL.
    fn county(&self, name: &str) -> String {
        let mut c = self.client(&self.url("county", "gridmap_admin"));
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = self.url(name, "gridmap_admin");
        db::init(&mut self.client(&url), SRID).unwrap();
        url
    }

    fn client(&self, url: &str) -> postgres::Client {
        ops::open(Some(url)).unwrap().1
    }

    /// A login account of `kind` in database `db`; its URL.
    fn account(&self, db: &str, name: &str, kind: Account) -> String {
        let pw = format!("pw-{name}-{}", fastrand::u64(..));
        db::add_account(
            &mut self.client(&self.url(db, "gridmap_admin")),
            name,
            &kind,
            &pw,
        )
        .unwrap();
        let _g = self.lock.lock().unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.pgpass)
            .unwrap();
        writeln!(f, "127.0.0.1:{}:*:{name}:{pw}", self.port).unwrap();
        self.url(db, name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster.sh");
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_file(&self.pgpass);
    }
}

fn push(url: &str, p: &Project, township: &str) -> PushOutcome {
    push_with(url, p, township, &BTreeMap::new(), false)
}

fn push_with(
    url: &str,
    p: &Project,
    township: &str,
    choices: &BTreeMap<String, Choice>,
    force: bool,
) -> PushOutcome {
    let (t, mut c) = ops::open(Some(url)).unwrap();
    db::push(&mut c, p, township, &t.display, choices, force).unwrap()
}

fn pushed(o: PushOutcome) -> Pushed {
    match o {
        PushOutcome::Pushed(p) => p,
        other => panic!("expected a push, got {other:?}"),
    }
}

fn pull(url: &str, township: &str) -> Project {
    let (t, mut c) = ops::open(Some(url)).unwrap();
    db::pull(&mut c, township, &t.display).unwrap()
}

/// A county of two townships of about `cells` grids each, pushed by the county account.
fn two_townships(c: &Cluster, name: &str, cells: usize) -> (String, Vec<(String, Project)>) {
    let admin = c.county(name);
    let county = gridmap::synth::synthetic_county(2, cells, 7);
    for (code, p) in &county {
        let done = pushed(push(&admin, p, code));
        assert_eq!(done.written, p.grids.len());
    }
    (admin, county)
}

fn grid<'a>(p: &'a Project, id: &str) -> &'a gridmap::Grid {
    p.grid(id).unwrap()
}

fn grid_mut<'a>(p: &'a mut Project, id: &str) -> &'a mut gridmap::Grid {
    p.grid_mut(id).unwrap()
}

/// A level-2 grid of `a` and one of `b` that share an edge across the township border.
fn seam_pair(a: &Project, b: &Project) -> (String, String) {
    let key = |c: geo::Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut owner: BTreeMap<(u64, u64), Vec<&str>> = BTreeMap::new();
    for g in a.grids.iter().filter(|g| g.level == 2) {
        for c in g.geometry.coords_iter() {
            owner.entry(key(c)).or_default().push(&g.id);
        }
    }
    for g in b.grids.iter().filter(|g| g.level == 2) {
        let mut shared: BTreeMap<&str, usize> = BTreeMap::new();
        let coords: BTreeSet<(u64, u64)> = g.geometry.coords_iter().map(key).collect();
        for k in coords {
            for id in owner.get(&k).into_iter().flatten() {
                *shared.entry(id).or_default() += 1;
            }
        }
        if let Some((id, _)) = shared.into_iter().find(|(_, n)| *n >= 2) {
            return (id.to_string(), g.id.clone());
        }
    }
    panic!("no grids across the seam");
}

fn sql_state(e: &postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.code().code().to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------

fn init_is_versioned_and_keeps_its_crs(c: &Cluster) {
    let admin = c.county("initcrs");
    let mut client = c.client(&admin);
    assert_eq!(
        db::init(&mut client, SRID).unwrap(),
        db::schema_version(),
        "a second init is a no-op"
    );
    let n: i64 = client
        .query_one("SELECT count(*) FROM gridmap.migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, i64::from(db::schema_version()));
    let e = db::init(&mut client, 4547).unwrap_err();
    assert!(e.en().contains("EPSG:4546"), "{e}");
    let e = db::init(&mut client, 4490).unwrap_err();
    assert!(e.en().contains("not a projected CRS"), "{e}");
    let postgis: String = client
        .query_one(
            "SELECT extversion FROM pg_extension WHERE extname = 'postgis'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(postgis.starts_with('3'), "PostGIS {postgis}");
}

fn townships_pull_edit_and_push_concurrently(c: &Cluster) {
    let (_, county) = two_townships(c, "conc", 300);
    let t1 = c.account("conc", "conc_t01", Account::Township("T01".into()));
    let t2 = c.account("conc", "conc_t02", Account::Township("T02".into()));
    let mut p1 = pull(&t1, "T01");
    let mut p2 = pull(&t2, "T02");
    let stale = p1.clone();
    assert_eq!(p1.grids.len(), county[0].1.grids.len());
    assert_eq!(p1.crs.epsg, SRID);
    let strip = db::neighbours(&p1);
    assert!(!strip.is_empty(), "the neighbours' strip along the border");
    assert!(strip.iter().all(|(t, ..)| t == "T02"));
    assert!(
        strip.len() < county[1].1.grids.len(),
        "only a strip, not all of T02"
    );

    let (id1, id2) = (p1.grids[1].id.clone(), p2.grids[1].id.clone());
    grid_mut(&mut p1, &id1).households = Some(111);
    grid_mut(&mut p2, &id2).households = Some(222);
    let (r1, r2) = std::thread::scope(|s| {
        let a = s.spawn(|| push(&t1, &p1, "T01"));
        let b = s.spawn(|| push(&t2, &p2, "T02"));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (r1, r2) = (pushed(r1), pushed(r2));
    assert_eq!((r1.written, r1.deleted, r1.take.len()), (1, 0, 0));
    assert_eq!((r2.written, r2.deleted, r2.take.len()), (1, 0, 0));
    assert_eq!(grid(&pull(&t1, "T01"), &id1).households, Some(111));
    assert_eq!(grid(&pull(&t2, "T02"), &id2).households, Some(222));

    // A second copy of T01, pulled before that push, changes another grid: no conflict,
    // and it takes the first copy's change.
    let mut other = stale;
    let id3 = other.grids[2].id.clone();
    grid_mut(&mut other, &id3).name = "另一台电脑".into();
    let r = pushed(push(&t1, &other, "T01"));
    assert_eq!(r.written, 1);
    assert_eq!(r.take.len(), 1);
    assert_eq!(r.take[0].0, format!("grids/{id1}"));
    let after = ops::after_push(&other, &r);
    assert_eq!(grid(&after, &id1).households, Some(111));
    assert_eq!(grid(&after, &id3).name, "另一台电脑");
    // And that copy now matches the server: pushing it again writes nothing.
    let again = pushed(push(&t1, &after, "T01"));
    assert_eq!((again.written, again.take.len()), (0, 0));
}

fn a_true_conflict_is_resolved_both_ways_and_nothing_is_lost(c: &Cluster) {
    let (admin, _) = two_townships(c, "conf", 200);
    let t1 = c.account("conf", "conf_t01", Account::Township("T01".into()));
    let mut a = pull(&t1, "T01");
    let mut b = a.clone();
    let x = a.grids[5].id.clone();
    let key = format!("grids/{x}");
    grid_mut(&mut a, &x).name = "甲".into();
    grid_mut(&mut b, &x).name = "乙".into();
    grid_mut(&mut b, &x).households = Some(5);
    let ra = pushed(push(&t1, &a, "T01"));
    let a = ops::after_push(&a, &ra);

    // b conflicts: nothing is written.
    let PushOutcome::Conflicts(list) = push(&t1, &b, "T01") else {
        panic!("expected a conflict")
    };
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].key, key);
    assert_eq!(list[0].by, "conf_t01");
    let fields: BTreeMap<String, (String, String)> = list[0]
        .fields()
        .into_iter()
        .map(|f| (f.field, (f.mine, f.theirs)))
        .collect();
    assert_eq!(fields["name"], ("乙".to_string(), "甲".to_string()));
    assert_eq!(fields["households"], ("5".to_string(), String::new()));
    assert_eq!(grid(&pull(&t1, "T01"), &x).name, "甲");

    // Theirs: b takes 甲; b's 乙 is in the change log.
    let theirs = BTreeMap::from([(key.clone(), Choice::Theirs)]);
    let rb = pushed(push_with(&t1, &b, "T01", &theirs, false));
    assert_eq!(rb.resolved, 1);
    let b = ops::after_push(&b, &rb);
    assert_eq!(grid(&b, &x).name, "甲");
    assert_eq!(grid(&b, &x).households, None);
    let mut client = c.client(&admin);
    let kept: String = client
        .query_one(
            "SELECT old->'attrs'->>'name' FROM gridmap.change_log WHERE id = $1 AND action = 'conflict: theirs'",
            &[&x],
        )
        .unwrap()
        .get(0);
    assert_eq!(kept, "乙");

    // Round two: mine wins; theirs goes to the log.
    let (mut a, mut b) = (a, b);
    grid_mut(&mut a, &x).notes = "A".into();
    grid_mut(&mut b, &x).notes = "B".into();
    let ra = pushed(push(&t1, &a, "T01"));
    let a = ops::after_push(&a, &ra);
    assert!(matches!(push(&t1, &b, "T01"), PushOutcome::Conflicts(_)));
    let mine = BTreeMap::from([(key.clone(), Choice::Mine)]);
    let rb = pushed(push_with(&t1, &b, "T01", &mine, false));
    let b = ops::after_push(&b, &rb);
    assert_eq!(grid(&pull(&t1, "T01"), &x).notes, "B");
    let kept: String = client
        .query_one(
            "SELECT old->'attrs'->>'notes' FROM gridmap.change_log WHERE id = $1 AND action = 'conflict: mine'",
            &[&x],
        )
        .unwrap()
        .get(0);
    assert_eq!(kept, "A");

    // Round three: merged field by field (their name, my households). `a` starts from
    // the server as it is now (b's notes).
    let _ = a;
    let (mut a, mut b) = (pull(&t1, "T01"), b);
    grid_mut(&mut a, &x).name = "丙".into();
    grid_mut(&mut b, &x).households = Some(9);
    grid_mut(&mut b, &x).name = "丁".into();
    pushed(push(&t1, &a, "T01"));
    let PushOutcome::Conflicts(list) = push(&t1, &b, "T01") else {
        panic!("expected a conflict")
    };
    let merged = list[0]
        .merged(&BTreeSet::from(["name".to_string()]))
        .unwrap();
    let choice = BTreeMap::from([(key.clone(), Choice::Merged(merged))]);
    let rb = pushed(push_with(&t1, &b, "T01", &choice, false));
    let b = ops::after_push(&b, &rb);
    let server = pull(&t1, "T01");
    assert_eq!(grid(&server, &x).name, "丙");
    assert_eq!(grid(&server, &x).households, Some(9));
    assert_eq!(grid(&b, &x).name, "丙");
    let logged: i64 = client
        .query_one(
            "SELECT count(*) FROM gridmap.change_log WHERE id = $1 AND action LIKE 'conflict: merged%'",
            &[&x],
        )
        .unwrap()
        .get(0);
    assert_eq!(logged, 2, "both sides of a merge are kept");
}

fn row_level_security_holds_for_any_client(c: &Cluster) {
    let (_, county) = two_townships(c, "rls", 100);
    let t1 = c.account("rls", "rls_t01", Account::Township("T01".into()));
    let viewer = c.account("rls", "rls_viewer", Account::Viewer);
    let mut client = c.client(&t1);
    let n = client
        .execute(
            "UPDATE gridmap.grid SET name = 'x' WHERE township = 'T02'",
            &[],
        )
        .unwrap();
    assert_eq!(n, 0, "another township's rows are invisible to writes");
    let n = client
        .execute(
            "UPDATE gridmap.grid SET name = 'mine' WHERE township = 'T01' AND level = 2",
            &[],
        )
        .unwrap();
    assert_eq!(n as usize, county[0].1.grids.len() - 1);
    let e = client
        .execute(
            "INSERT INTO gridmap.grid (township, id, level, geom) VALUES ('T02', 'hack', 2,
             ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 4546))",
            &[],
        )
        .unwrap_err();
    assert_eq!(sql_state(&e), "42501", "{e}");
    let e = client
        .execute(
            "UPDATE gridmap.grid SET geom = ST_Translate(geom, 1, 0) WHERE township = 'T01' AND level = 1",
            &[],
        )
        .unwrap_err();
    assert_eq!(sql_state(&e), "42501", "the outline is the county's: {e}");
    let e = client
        .execute("DELETE FROM gridmap.change_log", &[])
        .unwrap_err();
    assert_eq!(sql_state(&e), "42501", "{e}");
    let n = client
        .execute(
            "UPDATE gridmap.township SET name = 'x' WHERE code = 'T02'",
            &[],
        )
        .unwrap();
    assert_eq!(n, 0);
    // Through gridmap too.
    let (t, mut cl) = ops::open(Some(&t1)).unwrap();
    let e = db::push(
        &mut cl,
        &county[1].1,
        "T02",
        &t.display,
        &BTreeMap::new(),
        false,
    )
    .unwrap_err();
    assert!(e.en().contains("belongs to township T01"), "{e}");
    // A viewer reads and writes nothing.
    let mut v = c.client(&viewer);
    let n: i64 = v
        .query_one("SELECT count(*) FROM gridmap.grid", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        n as usize,
        county[0].1.grids.len() + county[1].1.grids.len()
    );
    let e = v
        .execute("UPDATE gridmap.grid SET name = 'v'", &[])
        .unwrap_err();
    assert_eq!(sql_state(&e), "42501", "{e}");
    assert_eq!(db::account(&mut v).unwrap(), Account::Viewer);
    // Each layer keeps its geometry type, whoever writes.
    let mut admin = c.client(&c.url("rls", "gridmap_admin"));
    let e = admin
        .execute(
            "INSERT INTO gridmap.feature (township, layer, id, geom) VALUES ('T01', 'rivers', 'r',
             ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4546))",
            &[],
        )
        .unwrap_err();
    assert_eq!(sql_state(&e), "23514", "{e}");
}

fn a_push_that_opens_the_seam_is_refused(c: &Cluster) {
    let (admin, county) = two_townships(c, "seam", 300);
    let t1 = c.account("seam", "seam_t01", Account::Township("T01".into()));
    let p = pull(&t1, "T01");
    let (border, _) = seam_pair(&p, &county[1].1);
    let area = grid(&p, &border).geometry.unsigned_area();
    let mut gap = p.clone();
    gap.grids.retain(|g| g.id != border);
    let PushOutcome::Refused(findings) = push(&t1, &gap, "T01") else {
        panic!("a gap at the seam must be refused")
    };
    let f = findings
        .iter()
        .find(|f| f.kind == Kind::Gap)
        .expect("a gap finding");
    assert!(f.ids.contains(&"T01".to_string()), "{:?}", f.ids);
    assert!((f.area_m2.unwrap() - area).abs() < 1e-6 * area, "{f:?}");
    assert!(pull(&t1, "T01").grid(&border).is_some(), "nothing written");
    // Only the county may force it.
    let (t, mut cl) = ops::open(Some(&t1)).unwrap();
    let e = db::push(&mut cl, &gap, "T01", &t.display, &BTreeMap::new(), true).unwrap_err();
    assert!(e.en().contains("only a county account"), "{e}");
    // The township's outline is the county's.
    let mut moved = p.clone();
    let outline = &mut grid_mut(&mut moved, "T01").geometry;
    *outline = outline.union(&grid(&county[1].1, "T02").geometry);
    let PushOutcome::Refused(findings) = push(&t1, &moved, "T01") else {
        panic!("an outline change must be refused")
    };
    assert_eq!(findings[0].ids, ["T01"]);
    // A change away from the seam goes through.
    let mut fine = p.clone();
    fine.grids[3].name = "内部".into();
    pushed(push(&t1, &fine, "T01"));
    // The county forces the gap.
    let mut forced = pull(&admin, "T01");
    forced.grids.retain(|g| g.id != border);
    let r = pushed(push_with(&admin, &forced, "T01", &BTreeMap::new(), true));
    assert_eq!(r.deleted, 1);
}

fn county_audit_finds_seam_gap_and_overlap(c: &Cluster) {
    let (admin, county) = two_townships(c, "audit", 300);
    // Clean first.
    let (project, report) = ops::audit_county(Some(&admin), None).unwrap();
    assert_eq!(
        project.grids.len(),
        county[0].1.grids.len() + county[1].1.grids.len()
    );
    assert_eq!(report.errors(), 0, "{:?}", report.findings.first());
    // Plant a gap in T01 at the seam and an overlap of a T02 grid into T01.
    let (a, b) = seam_pair(&county[0].1, &county[1].1);
    let mut t1 = pull(&admin, "T01");
    let mut t2 = pull(&admin, "T02");
    let a_geom = grid(&t1, &a).geometry.clone();
    // The gap: another T01 grid on the seam, not `a`.
    let mut rest = county[0].1.clone();
    rest.grids.retain(|g| g.id != a);
    let (gap_id, _) = seam_pair(&rest, &county[1].1);
    let gap_area = grid(&t1, &gap_id).geometry.unsigned_area();
    t1.grids.retain(|g| g.id != gap_id);
    let grown: MultiPolygon<f64> = grid(&t2, &b).geometry.union(&a_geom);
    grid_mut(&mut t2, &b).geometry = grown;
    pushed(push_with(&admin, &t1, "T01", &BTreeMap::new(), true));
    pushed(push_with(&admin, &t2, "T02", &BTreeMap::new(), true));

    let out = Command::new(BIN)
        .args([
            "db",
            "audit",
            "--url",
            &admin,
            "--format",
            "json",
            "--no-geometry",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let of_kind = |k: &'static str| findings.iter().filter(move |f| f["kind"] == k);
    let ids = |f: &serde_json::Value| -> BTreeSet<String> {
        f["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let gap = of_kind("gap")
        .find(|f| ids(f).contains("T01/T01"))
        .expect("the gap in T01");
    let area = gap["area_m2"].as_f64().unwrap();
    assert!(
        (area - gap_area).abs() < 1e-6 * gap_area,
        "{area} vs {gap_area}"
    );
    let overlap = of_kind("overlap")
        .find(|f| ids(f) == BTreeSet::from([format!("T01/{a}"), format!("T02/{b}")]))
        .expect("the overlap across the seam");
    let area = overlap["area_m2"].as_f64().unwrap();
    let want = a_geom.unsigned_area();
    assert!((area - want).abs() < 1e-6 * want, "{area} vs {want}");
    assert!(
        of_kind("outside_parent").any(|f| ids(f).contains(&format!("T02/{b}"))),
        "the T02 grid reaches beyond its township"
    );
}

fn a_killed_push_leaves_the_old_or_the_new_state(c: &Cluster) {
    let (admin, county) = two_townships(c, "kill", 3000);
    let t1 = c.account("kill", "kill_t01", Account::Township("T01".into()));
    let n = county[0].1.grids.len() as i64 - 1;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t01.gpkg");
    let mut client = c.client(&admin);
    let log = c.dir.join("server.log");
    // PostgreSQL's word for a client gone in the middle of a transaction.
    let open_eofs = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("unexpected EOF on client connection with an open transaction")
            .count()
    };
    let start = |k: usize| {
        let mut p = pull(&t1, "T01");
        let tag = format!("kill{k}");
        for g in p.grids.iter_mut().filter(|g| g.level == 2) {
            g.notes = tag.clone();
        }
        gridmap::io::gpkg::write(&p, &file).unwrap();
        let child = Command::new(BIN)
            .args(["db", "push", "--url", &t1, "--township", "T01"])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        (tag, child, std::time::Instant::now())
    };
    let new_rows = |client: &mut postgres::Client, tag: &str| -> i64 {
        client
            .query_one(
                "SELECT count(*) FROM gridmap.grid WHERE township = 'T01' AND level = 2 AND notes = $1",
                &[&tag],
            )
            .unwrap()
            .get(0)
    };
    // How long a whole push takes here; the kills fall before, inside and after it.
    let (tag, mut child, t0) = start(0);
    assert!(child.wait().unwrap().success());
    let whole = t0.elapsed();
    assert_eq!(new_rows(&mut client, &tag), n);
    let (mut killed_inside, mut killed_after) = (0, 0);
    // Most of a push's time is inside its transaction only in part (start-up, reading the
    // file, the commit's checks): the kills sweep the first two thirds densely, shifted a
    // little each round, with one after the end per round.
    for k in 1..=42usize {
        let fraction =
            [0.2, 0.3, 0.4, 0.5, 0.6, 1.5][k % 6] * (1.0 + 0.04 * ((k / 6) as f64) - 0.1);
        let eofs = open_eofs();
        let (tag, mut child, _) = start(k);
        std::thread::sleep(whole.mul_f64(fraction));
        let _ = child.kill();
        let status = child.wait().unwrap();
        // The server notices the dropped connection and rolls back.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let new = new_rows(&mut client, &tag);
        assert!(
            new == 0 || new == n,
            "after a kill at {fraction:.2} of a push: {new} of {n} rows new"
        );
        let inside = open_eofs() > eofs;
        if inside {
            assert_eq!(
                new, 0,
                "killed inside the transaction, yet rows were written"
            );
            killed_inside += 1;
        }
        if new == n {
            killed_after += 1;
        }
        eprintln!(
            "    kill at {fraction:.2}×{whole:?}: {} ({status})",
            if inside {
                "inside the transaction: old state"
            } else if new == n {
                "after the commit: new state"
            } else {
                "no open transaction reported: old state"
            }
        );
        if killed_inside >= 1 && killed_after >= 1 {
            break;
        }
    }
    // Both outcomes were reached: a kill landed mid-write (the server says so) and left
    // the old state, and a kill after the commit left the new one.
    assert!(killed_inside >= 1, "no kill landed inside the transaction");
    assert!(killed_after >= 1, "no push committed before its kill");
    // Afterwards the township pushes as usual.
    let mut p = pull(&t1, "T01");
    p.grids[1].notes = "after".into();
    assert_eq!(pushed(push(&t1, &p, "T01")).written, 1);
}

fn cli_init_account_pull_push_export(c: &Cluster) {
    let dir = tempfile::tempdir().unwrap();
    let mut admin_c = c.client(&c.url("county", "gridmap_admin"));
    admin_c.batch_execute("CREATE DATABASE cli").unwrap();
    let admin = c.url("cli", "gridmap_admin");
    let run = run_cli_env;
    let (code, out, err) = run(
        &[
            "db",
            "init",
            "--url",
            &admin,
            "--crs",
            "EPSG:4546",
            "--name",
            "测试县",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("EPSG:4546"));
    cli_refuses_bad_connections(c, &admin);
    // The county loads a township from a GeoJSON file.
    let county = gridmap::synth::synthetic_county(2, 100, 3);
    let src = dir.path().join("t01.geojson");
    gridmap::commands::export(&county[0].1, &src, &Default::default()).unwrap();
    let (code, out, err) = run(
        &[
            "db",
            "push",
            "--url",
            &admin,
            "--township",
            "T01",
            src.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(&format!("{} written", county[0].1.grids.len())),
        "{out}"
    );
    // A township account, its password from the environment.
    let (code, out, err) = run(
        &[
            "db",
            "account",
            "--url",
            &admin,
            "cli_t01",
            "--township",
            "T01",
        ],
        &[("GRIDMAP_ACCOUNT_PASSWORD", "pw-cli-t01")],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    {
        let _g = c.lock.lock().unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&c.pgpass)
            .unwrap();
        writeln!(f, "127.0.0.1:{}:*:cli_t01:pw-cli-t01", c.port).unwrap();
    }
    // Through a service file, no --url.
    let services = dir.path().join("pg_service.conf");
    std::fs::write(
        &services,
        format!(
            "[county]\nhost=127.0.0.1\nport={}\ndbname=cli\nuser=cli_t01\n",
            c.port
        ),
    )
    .unwrap();
    let service_env = [
        ("PGSERVICEFILE", services.to_str().unwrap()),
        ("PGSERVICE", "county"),
    ];
    let gpkg = dir.path().join("mine.gpkg");
    let (code, out, err) = run(
        &[
            "db",
            "pull",
            "--township",
            "T01",
            "--out",
            gpkg.to_str().unwrap(),
        ],
        &service_env,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let mut p = gridmap::io::gpkg::read_native(&gpkg).unwrap();
    assert_eq!(p.grids.len(), county[0].1.grids.len());
    let sync = SyncState::of(&p).unwrap();
    assert_eq!(sync.township, "T01");
    assert_eq!(sync.base.len(), p.grids.len());
    assert!(
        !std::fs::read_to_string(&gpkg)
            .unwrap_or_default()
            .contains("pw-cli")
    );
    p.grids[2].population = Some(77);
    gridmap::io::gpkg::write(&p, &gpkg).unwrap();
    let (code, out, err) = run(
        &["db", "push", "--township", "T01", gpkg.to_str().unwrap()],
        &service_env,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1 written"), "{out}");
    let back = gridmap::io::gpkg::read_native(&gpkg).unwrap();
    let id = &p.grids[2].id;
    assert_eq!(
        SyncState::of(&back).unwrap().base[&format!("grids/{id}")].0,
        2,
        "the file took the new version"
    );
    cli_status_and_export(&admin, dir.path(), county[0].1.grids.len(), id);
}

/// The CLI refuses a password on the command line, says when a password is missing, and
/// never sends in the clear what asked for TLS.
fn cli_refuses_bad_connections(c: &Cluster, admin: &str) {
    let run = run_cli_env;
    // A password on the command line is refused.
    let (code, _, err) = run(
        &[
            "db",
            "status",
            "--url",
            &format!("postgres://gridmap_admin:secret@127.0.0.1:{}/cli", c.port),
        ],
        &[],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("密码") && err.contains("password"), "{err}");
    // No password anywhere: said so, not "invalid configuration".
    let (code, _, err) = run(
        &["db", "status", "--url", &c.url("cli", "someone")],
        &[("PGPASSFILE", "/dev/null")],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("a password is needed"), "{err}");
    // TLS asked for where the server offers none: refused, not sent in the clear.
    let (code, _, err) = run(
        &["db", "status", "--url", &format!("{admin}?sslmode=require")],
        &[],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("TLS") || err.contains("tls"), "{err}");
}

/// Status and export of the whole county (T01's `grids` grids, among them `id`); GDAL
/// reads the export.
fn cli_status_and_export(admin: &str, dir: &Path, grids: usize, id: &str) {
    let run = run_cli_env;
    let (code, out, _) = run(&["db", "status", "--url", admin], &[]);
    assert_eq!(code, Some(0));
    assert!(out.contains("T01"), "{out}");
    let geojson = dir.join("county.geojson");
    let (code, out, err) = run(
        &[
            "db",
            "export",
            "--url",
            admin,
            "--out",
            geojson.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let info = Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(&geojson)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    // The grids and the county outline (the boundary layer of the county project).
    assert!(
        info.contains(&format!("Feature Count: {}", grids + 1)),
        "{info}"
    );
    let text = std::fs::read_to_string(&geojson).unwrap();
    assert!(text.contains(&format!("T01/{id}")));
}

// The app: File → 连接县级数据库…, pull into a project file, a conflict shown side by side
// and resolved field by field, the result pushed and saved.

type App = egui_kittest::Harness<'static, gridmap::ui::GridmapApp>;

/// Type into the text field right of the label `left_of`.
fn type_beside(h: &mut App, left_of: &str, text: &str) {
    use egui_kittest::kittest::Queryable;
    let label = h.get_by_label(left_of).rect();
    let field = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .filter(|n| n.rect().left() >= label.right() - 1.0)
        .min_by(|a, b| {
            let d = |n: &egui_kittest::Node| {
                (n.rect().center().y - label.center().y).abs() + (n.rect().left() - label.right())
            };
            d(a).total_cmp(&d(b))
        })
        .expect("a field");
    field.click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    let field = h
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .find(|n| n.is_focused())
        .expect("focused");
    field.type_text(text);
    h.run_steps(1);
}

/// Run frames until the county window's work is done.
fn wait_county(h: &mut App) {
    let start = std::time::Instant::now();
    h.run_steps(1);
    while h
        .state()
        .dialogs
        .county
        .as_ref()
        .is_some_and(|w| w.busy.is_some())
        || h.state().loading.is_some()
    {
        assert!(
            start.elapsed().as_secs() < 60,
            "the county database took over a minute"
        );
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
}

fn the_app_pulls_pushes_and_resolves_a_conflict_field_by_field(c: &Cluster) {
    use egui_kittest::kittest::Queryable;
    let (_, county) = two_townships(c, "app", 100);
    let t1 = c.account("app", "app_t01", Account::Township("T01".into()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("T01.gpkg");
    let empty = Project {
        crs: gridmap::Crs::epsg(SRID),
        ..Default::default()
    };
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| gridmap::ui::GridmapApp::new(&cc.egui_ctx, empty, None));
    h.run_steps(3);
    h.state_mut().dialogs.native_dialogs = false;
    h.get_by_label("文件").click();
    h.run_steps(2);
    h.get_by_label("连接县级数据库…").click();
    h.run_steps(3);
    assert!(h.state().dialogs.county.is_some(), "the window opens");
    type_beside(&mut h, "地址 Address", &t1);
    type_beside(&mut h, "乡镇代码 Township", "T01");
    h.get_by_label("拉取本乡镇 Pull…").click();
    h.run_steps(3);
    assert!(
        h.state().dialogs.file_chooser.is_some(),
        "asks where to keep the project"
    );
    type_beside(&mut h, "文件名：", &file.display().to_string());
    h.key_press(egui::Key::Enter);
    wait_county(&mut h);
    let msg = h.state().dialogs.county.as_ref().unwrap().message.clone();
    assert_eq!(
        h.state().doc.project().grids.len(),
        county[0].1.grids.len(),
        "{msg}"
    );
    assert_eq!(h.state().doc.path.as_deref(), Some(file.as_path()));
    assert!(file.is_file());
    assert!(
        h.query_all_by_label_contains("县级库 app_t01@127.0.0.1")
            .count()
            >= 1,
        "the status bar names the database"
    );

    // Someone else renames a grid on the server; here it gets households and a name.
    let x = county[0].1.grids[4].id.clone();
    let mut other = pull(&t1, "T01");
    grid_mut(&mut other, &x).name = "他人的名字".into();
    pushed(push(&t1, &other, "T01"));
    let r = gridmap::edit::set_record(&h.state().doc, &x, "改", |g| {
        g.name = "我的名字".into();
        g.households = Some(42);
    });
    h.state_mut().apply(r);
    h.run_steps(2);

    h.get_by_label("推送 Push").click();
    wait_county(&mut h);
    assert_eq!(
        h.state().dialogs.county.as_ref().unwrap().conflicts.len(),
        1
    );
    // Mine and theirs side by side in the name's row of the conflict.
    let row = h.get_by_label("名称 name").rect();
    let in_row = |h: &App, text: &str| {
        h.query_all_by_label(text).any(|n| {
            (n.rect().center().y - row.center().y).abs() < 4.0 && n.rect().left() > row.right()
        })
    };
    assert!(in_row(&h, "我的名字"), "mine shown");
    assert!(in_row(&h, "他人的名字"), "theirs shown");
    // Their name, my households.
    let theirs = h
        .get_all_by_label("他人")
        .min_by(|a, b| {
            let d = |n: &egui_kittest::Node| (n.rect().center().y - row.center().y).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    theirs.click();
    h.run_steps(2);
    h.get_by_label("按所选解决并推送 Resolve and push").click();
    wait_county(&mut h);
    let w = h.state().dialogs.county.as_ref().unwrap();
    assert!(w.conflicts.is_empty(), "{}", w.message);
    let server = pull(&t1, "T01");
    assert_eq!(grid(&server, &x).name, "他人的名字");
    assert_eq!(grid(&server, &x).households, Some(42));
    let here = h.state().doc.grid(&x).unwrap().clone();
    assert_eq!(
        (here.name.as_str(), here.households),
        ("他人的名字", Some(42))
    );
    // Saved with the new versions: the file pushes nothing more.
    let saved = gridmap::io::gpkg::read_native(&file).unwrap();
    let again = pushed(push(&t1, &saved, "T01"));
    assert_eq!((again.written, again.take.len()), (0, 0));
    assert!(
        h.query_all_by_label_contains("推送于").count() >= 1,
        "status bar: pushed"
    );
    // Taking theirs is one undoable step.
    assert!(h.state_mut().doc.undo().unwrap());
    assert_eq!(h.state().doc.grid(&x).unwrap().name, "我的名字");
}

// ---------------------------------------------------------------------------------------

fn run_cli(args: &[&str]) -> (Option<i32>, String, String) {
    run_cli_env(args, &[])
}

/// Run gridmap with `args` and the environment variables `env`: exit code, stdout, stderr.
fn run_cli_env(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A geometry with a NaN coordinate, as WKB hex (WKT cannot spell infinity, and psql
/// users paste WKB as often).
const NAN_SQUARE: &str = "ST_Multi(ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[ST_MakePoint(500000, 2800000), ST_MakePoint('NaN'::float8, 2800000), ST_MakePoint(500010, 2800010), ST_MakePoint(500000, 2800000)])), 4546))";

/// Rows written past the rules the way a pre-v2 database may hold them: the admin lifts
/// the constraint for one statement.
fn force_bad_row(admin: &mut postgres::Client, table: &str, constraint: &str, sql: &str) {
    admin
        .batch_execute(&format!(
            "BEGIN; ALTER TABLE gridmap.{table} DROP CONSTRAINT {constraint}; {sql};
             ALTER TABLE gridmap.{table} ADD CONSTRAINT {constraint} CHECK (gridmap.{constraint}({col})) NOT VALID; COMMIT;",
            col = if constraint == "staff_ok" { "staff" } else { "geom" }
        ))
        .unwrap();
}

fn a_township_login_is_held_to_the_rules_by_the_server(c: &Cluster) {
    let (admin, county) = two_townships(c, "rules", 100);
    let t1 = c.account("rules", "rules_t01", Account::Township("T01".into()));
    // A plain SQL connection, as QGIS or psql would make.
    let mut sql = c.client(&t1);
    let (a, b) = (
        county[0].1.grids[1].id.clone(),
        county[0].1.grids[2].id.clone(),
    );
    refuses_bad_geometries_and_staff(&mut sql, &a);
    keeps_the_log_and_stamps(&mut sql, &county, &a);
    refuses_another_townships_territory(&mut sql, &county, &b);
    // Rows from before the rules (NaN, bad staff) are left out and named, for everyone.
    let mut adm = c.client(&admin);
    force_bad_row(
        &mut adm,
        "grid",
        "geom_ok",
        &format!(
            "UPDATE gridmap.grid SET geom = {NAN_SQUARE} WHERE township = 'T01' AND id = '{b}'"
        ),
    );
    let c3 = county[0]
        .1
        .grids
        .iter()
        .filter(|g| g.level == 2)
        .nth(20)
        .unwrap()
        .id
        .clone();
    force_bad_row(
        &mut adm,
        "grid",
        "staff_ok",
        &format!(
            "UPDATE gridmap.grid SET staff = '\"just a string\"' WHERE township = 'T01' AND id = '{c3}'"
        ),
    );
    let t2 = c.account("rules", "rules_t02", Account::Township("T02".into()));
    let p2 = pull(&t2, "T02");
    assert_eq!(p2.grids.len(), county[1].1.grids.len());
    assert!(!db::neighbours(&p2).is_empty());
    let p1 = pull(&t1, "T01");
    let unusable: BTreeSet<&str> = p1
        .input_notes
        .iter()
        .map(|n| n.feature_id.as_str())
        .collect();
    assert_eq!(unusable, BTreeSet::from([b.as_str(), c3.as_str()]));
    assert!(p1.grid(&b).is_none() && p1.grid(&c3).is_none());
    // A push from it leaves those rows as they are.
    pushed(push(&t1, &p1, "T01"));
    let left: i64 = adm
        .query_one(
            "SELECT count(*) FROM gridmap.grid WHERE township = 'T01' AND id = ANY($1)",
            &[&vec![b.clone(), c3.clone()]],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 2);
    // The county's audit runs and names them.
    let (code, out, err) = run_cli(&["db", "audit", "--url", &admin, "--format", "json"]);
    assert!(code.is_some_and(|c| c <= 1), "{code:?} {err}");
    for id in [&b, &c3] {
        assert!(out.contains(&format!("T01/{id}")), "{id} named: {out}");
    }
}

/// 6, 7: NaN, bow-tie and empty geometries, and staff that is not a list of objects of
/// texts, are refused on grid `a` of T01.
fn refuses_bad_geometries_and_staff(sql: &mut postgres::Client, a: &str) {
    // 6: NaN, a bow-tie and an empty geometry are refused.
    for geom in [
        NAN_SQUARE.to_string(),
        "ST_GeomFromText('MULTIPOLYGON(((500000 2800000,500010 2800010,500010 2800000,500000 2800010,500000 2800000)))', 4546)".to_string(),
        "ST_GeomFromText('MULTIPOLYGON EMPTY', 4546)".to_string(),
    ] {
        let e = sql
            .execute(
                &format!("UPDATE gridmap.grid SET geom = {geom} WHERE township = 'T01' AND id = $1"),
                &[&a],
            )
            .unwrap_err();
        assert_eq!(sql_state(&e), "23514", "{geom}: {e}");
    }
    // 7: staff as anything but an array of objects of texts.
    for staff in [r#""just a string""#, r#"{"role":1}"#, r#"[{"role":1}]"#] {
        let e = sql
            .execute(
                &format!(
                    "UPDATE gridmap.grid SET staff = '{staff}' WHERE township = 'T01' AND id = $1"
                ),
                &[&a],
            )
            .unwrap_err();
        assert_eq!(sql_state(&e), "23514", "{staff}: {e}");
    }
}

/// 8: the change log and a row's stamps are the server's (grid `a` of T01 renamed, five
/// level-2 grids deleted, by the login).
fn keeps_the_log_and_stamps(sql: &mut postgres::Client, county: &[(String, Project)], a: &str) {
    // 8: the log and the stamps are the server's.
    let e = sql
        .execute(
            "INSERT INTO gridmap.change_log (township, layer, id, action, by, at) VALUES ('T01', 'grids', 'x', 'write', 'county1', '2020-01-01')",
            &[],
        )
        .unwrap_err();
    assert_eq!(sql_state(&e), "42501", "{e}");
    let before: i64 = sql
        .query_one(
            "SELECT version FROM gridmap.grid WHERE township = 'T01' AND id = $1",
            &[&a],
        )
        .unwrap()
        .get(0);
    sql.execute(
        "UPDATE gridmap.grid SET name = 'renamed', updated_by = 'county1', updated_at = '2020-01-01', version = 999
         WHERE township = 'T01' AND id = $1",
        &[&a],
    )
    .unwrap();
    let r = sql
        .query_one(
            "SELECT version, updated_by, updated_at > now() - interval '1 hour' FROM gridmap.grid WHERE township = 'T01' AND id = $1",
            &[&a],
        )
        .unwrap();
    assert_eq!(
        (
            r.get::<_, i64>(0),
            r.get::<_, String>(1),
            r.get::<_, bool>(2)
        ),
        (before + 1, "rules_t01".to_string(), true)
    );
    let deleted: Vec<String> = county[0]
        .1
        .grids
        .iter()
        .filter(|g| g.level == 2)
        .skip(10)
        .take(5)
        .map(|g| g.id.clone())
        .collect();
    let n = sql
        .execute(
            "DELETE FROM gridmap.grid WHERE township = 'T01' AND id = ANY($1)",
            &[&deleted],
        )
        .unwrap();
    assert_eq!(n as usize, deleted.len());
    let log = sql
        .query(
            "SELECT id, action, by, old->'attrs'->>'name', new->'attrs'->>'name' FROM gridmap.change_log
             WHERE township = 'T01' AND (id = $1 OR id = ANY($2)) AND at > now() - interval '1 hour' ORDER BY seq",
            &[&a, &deleted],
        )
        .unwrap();
    let rows: Vec<(String, String, String)> =
        log.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    let mut expected = vec![(a.to_string(), "update".to_string(), "rules_t01".to_string())];
    expected.extend(
        deleted
            .iter()
            .map(|id| (id.clone(), "delete".into(), "rules_t01".into())),
    );
    // The push that made them logged their inserts by the admin, earlier.
    let recent: Vec<_> = rows.into_iter().filter(|r| r.2 == "rules_t01").collect();
    assert_eq!(recent, expected, "one row per change, by the login");
    let update = log
        .iter()
        .find(|r| r.get::<_, String>(1) == "update")
        .unwrap();
    assert_eq!(
        (
            update.get::<_, Option<String>>(3).is_some(),
            update.get::<_, Option<String>>(4).as_deref()
        ),
        (true, Some("renamed"))
    );
}

/// 9: a grid of T01 (under `b`) on another township's territory is refused at commit.
fn refuses_another_townships_territory(
    sql: &mut postgres::Client,
    county: &[(String, Project)],
    b: &str,
) {
    // 9: another township's territory, at commit.
    let other = county[1].1.grids.iter().find(|g| g.level == 2).unwrap();
    let outline = county[1].1.grids.iter().find(|g| g.level == 1).unwrap();
    for (id, g) in [("copy", other), ("cover", outline)] {
        let mut tx = sql.transaction().unwrap();
        tx.execute(
            "INSERT INTO gridmap.grid (township, id, level, parent, geom)
             SELECT 'T01', $1, 3, $2, geom FROM gridmap.grid WHERE township = 'T02' AND id = $3",
            &[&id, &b, &g.id],
        )
        .unwrap();
        let e = tx.commit().unwrap_err();
        assert_eq!(sql_state(&e), "23514", "{id}: {e}");
        assert!(
            e.as_db_error().is_some_and(|d| d.message().contains("T02")),
            "{e}"
        );
    }
}

fn pull_never_replaces_work_or_other_files(c: &Cluster) {
    let (_, _county) = two_townships(c, "pullout", 30);
    let t1 = c.account("pullout", "pullout_t01", Account::Township("T01".into()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t01.gpkg");
    let pull_to = |path: &Path, force: bool| {
        let mut args = vec![
            "db",
            "pull",
            "--url",
            &t1,
            "--township",
            "T01",
            "--out",
            path.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        run_cli(&args)
    };
    let (code, _, err) = pull_to(&out, false);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = pull_to(&out, false);
    assert_eq!(code, Some(2));
    assert!(err.contains("--force"), "{err}");
    // A project with an edit not pushed: refused even with --force, and left as it was.
    let mut p = gridmap::io::open(&[out.as_path()], &Default::default()).unwrap();
    let id = p.grids.iter().find(|g| g.level > 1).unwrap().id.clone();
    p.grid_mut(&id).unwrap().name = "未推送的修改".into();
    gridmap::io::gpkg::write(&p, &out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let (code, _, err) = pull_to(&out, true);
    assert_eq!(code, Some(2));
    assert!(err.contains("not yet pushed"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    // Not a GeoPackage: never written.
    let doc = dir.path().join("report.docx");
    std::fs::write(&doc, b"PK report").unwrap();
    let (code, _, err) = pull_to(&doc, true);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(std::fs::read(&doc).unwrap(), b"PK report");
    // A project with nothing unpushed is replaced with --force.
    let (code, _, err) = pull_to(&out, false);
    assert_eq!(code, Some(2), "{err}");
    let fresh = dir.path().join("fresh.gpkg");
    assert_eq!(pull_to(&fresh, false).0, Some(0));
    assert_eq!(pull_to(&fresh, true).0, Some(0));
}

fn a_failed_account_leaves_no_password_in_the_server_log(c: &Cluster) {
    let admin = c.county("pwlog");
    let county1 = c.account("pwlog", "pwlog_county", Account::County);
    let secret = format!("Secret-{}", fastrand::u64(..));
    // A county login may not create roles: CREATE ROLE fails and the server logs it.
    let e = db::add_account(
        &mut c.client(&county1),
        "pwlog_new",
        &Account::Viewer,
        &secret,
    )
    .unwrap_err();
    assert!(
        e.en().contains("42501") || e.en().contains("permission"),
        "{e}"
    );
    let log = std::fs::read_to_string(c.dir.join("server.log")).unwrap();
    assert!(
        log.contains("CREATE ROLE \"pwlog_new\""),
        "the failure was logged"
    );
    assert!(!log.contains(&secret), "the password is in the server log");
    // The verifier works: the account logs in with the password.
    db::add_account(&mut c.client(&admin), "pwlog_ok", &Account::Viewer, &secret).unwrap();
    let mut cfg: postgres::Config = c.url("pwlog", "pwlog_ok").parse().unwrap();
    cfg.password(&secret);
    cfg.connect(postgres::NoTls).unwrap();
}

/// A CA and a server certificate for 127.0.0.1 and localhost signed by it, and a
/// self-signed server certificate; PEM files in `dir`.
fn certificates(dir: &Path) {
    let sh = |cmd: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=County CA' \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
    );
    sh(
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=county-db'",
    );
    sh(
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && \
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext.cnf",
    );
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj '/CN=Other CA' \
        -addext basicConstraints=critical,CA:TRUE",
    );
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.crt -days 2 -subj '/CN=county-db' \
        -addext subjectAltName=IP:127.0.0.1",
    );
}

fn tls_with_the_countys_own_ca(c: &Cluster) {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let data = c.dir.join("data");
    let mut admin = c.client(&c.url("county", "gridmap_admin"));
    let serve = |admin: &mut postgres::Client, cert: &str, key: &str| {
        for (f, to) in [(cert, "server.crt"), (key, "server.key")] {
            std::fs::copy(dir.path().join(f), data.join(to)).unwrap();
            let _ = Command::new("chmod").arg("600").arg(data.join(to)).status();
            if Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"0"))
            {
                let _ = Command::new("chown")
                    .arg("postgres")
                    .arg(data.join(to))
                    .status();
            }
        }
        admin.batch_execute("ALTER SYSTEM SET ssl = on").unwrap();
        admin.batch_execute("SELECT pg_reload_conf()").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    serve(&mut admin, "server.crt", "server.key");
    // The password file names hosts: localhost too.
    let pw = std::fs::read_to_string(c.dir.join("pw")).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&c.pgpass)
        .unwrap();
    writeln!(f, "localhost:{}:*:gridmap_admin:{}", c.port, pw.trim()).unwrap();
    let url = |host: &str, mode: &str, root: &str| {
        format!(
            "postgres://gridmap_admin@{host}:{}/county?sslmode={mode}&sslrootcert={}",
            c.port,
            dir.path().join(root).display()
        )
    };
    let encrypted = |u: &str| -> Result<bool, String> {
        let (_, mut cl) = ops::open(Some(u)).map_err(|e| gridmap::error::report(&e))?;
        Ok(cl
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0))
    };
    assert_eq!(
        encrypted(&url("127.0.0.1", "verify-full", "ca.pem")),
        Ok(true)
    );
    assert_eq!(
        encrypted(&url("localhost", "verify-full", "ca.pem")),
        Ok(true)
    );
    assert_eq!(
        encrypted(&url("127.0.0.1", "verify-ca", "ca.pem")),
        Ok(true)
    );
    // Another CA: a TLS failure, told apart from a password failure.
    let e = encrypted(&url("127.0.0.1", "verify-full", "other.pem")).unwrap_err();
    assert!(
        e.contains("TLS") && e.contains("not a password problem"),
        "{e}"
    );
    // No root given for verify-full: said before connecting.
    let Err(e) = ops::open(Some(&format!(
        "postgres://gridmap_admin@127.0.0.1:{}/county?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        c.port
    ))) else {
        panic!("connected without the root certificate")
    };
    assert!(e.en().contains("root certificate"), "{e}");
    // A self-signed server certificate listed as the root is trusted as itself.
    serve(&mut admin, "self.crt", "self.key");
    assert_eq!(
        encrypted(&url("127.0.0.1", "verify-full", "self.crt")),
        Ok(true)
    );
    let e = encrypted(&url("localhost", "verify-full", "self.crt")).unwrap_err();
    assert!(e.contains("TLS"), "localhost is not in its names: {e}");
    assert_eq!(
        encrypted(&url("localhost", "verify-ca", "self.crt")),
        Ok(true)
    );
    // A server that takes only TLS, reached with sslmode=disable: not a password problem.
    let hba = data.join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(
        &hba,
        format!("hostnossl all gridmap_admin 127.0.0.1/32 reject\n{old}"),
    )
    .unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let Err(e) = ops::open(Some(&format!(
        "postgres://gridmap_admin@127.0.0.1:{}/county?sslmode=disable",
        c.port
    ))) else {
        panic!("connected without TLS to a TLS-only server")
    };
    assert!(
        e.en().contains("only encrypted connections") && !e.en().contains("wrong user or password"),
        "{e}"
    );
    std::fs::write(&hba, old).unwrap();
    admin.batch_execute("ALTER SYSTEM SET ssl = off").unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
}

type Case = (&'static str, fn(&Cluster));

const CASES: &[Case] = &[
    (
        "init_is_versioned_and_keeps_its_crs",
        init_is_versioned_and_keeps_its_crs,
    ),
    (
        "townships_pull_edit_and_push_concurrently",
        townships_pull_edit_and_push_concurrently,
    ),
    (
        "a_true_conflict_is_resolved_both_ways_and_nothing_is_lost",
        a_true_conflict_is_resolved_both_ways_and_nothing_is_lost,
    ),
    (
        "row_level_security_holds_for_any_client",
        row_level_security_holds_for_any_client,
    ),
    (
        "a_push_that_opens_the_seam_is_refused",
        a_push_that_opens_the_seam_is_refused,
    ),
    (
        "county_audit_finds_seam_gap_and_overlap",
        county_audit_finds_seam_gap_and_overlap,
    ),
    (
        "a_killed_push_leaves_the_old_or_the_new_state",
        a_killed_push_leaves_the_old_or_the_new_state,
    ),
    (
        "cli_init_account_pull_push_export",
        cli_init_account_pull_push_export,
    ),
    (
        "the_app_pulls_pushes_and_resolves_a_conflict_field_by_field",
        the_app_pulls_pushes_and_resolves_a_conflict_field_by_field,
    ),
    (
        "a_township_login_is_held_to_the_rules_by_the_server",
        a_township_login_is_held_to_the_rules_by_the_server,
    ),
    (
        "pull_never_replaces_work_or_other_files",
        pull_never_replaces_work_or_other_files,
    ),
    (
        "a_failed_account_leaves_no_password_in_the_server_log",
        a_failed_account_leaves_no_password_in_the_server_log,
    ),
    // Last: it turns TLS on and off for the whole cluster.
    ("tls_with_the_countys_own_ca", tls_with_the_countys_own_ca),
];

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|(name, _)| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests (PostgreSQL + PostGIS)", cases.len());
    if cases.is_empty() {
        return;
    }
    let cluster = Cluster::start();
    let mut failed = Vec::new();
    for (name, f) in cases {
        let t = std::time::Instant::now();
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&cluster))).is_ok();
        println!(
            "test {name} ... {} ({:.1} s)",
            if ok { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        if !ok {
            failed.push(*name);
        }
    }
    drop(cluster);
    if failed.is_empty() {
        println!("\ntest result: ok.");
    } else {
        println!("\ntest result: FAILED. failures: {failed:?}");
        std::process::exit(101);
    }
}
