//! The `gridmap` command line as a user runs it: exit codes, the JSON schema, export round
//! trips, the river table, and bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gridmap"))
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-maps")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run gridmap")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn audit_exit_codes() {
    assert_eq!(
        run(&["audit", s(&sample("jinping.geojson"))]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["audit", s(&sample("jinping-faulty.geojson"))])
            .status
            .code(),
        Some(1)
    );
    let out = run(&["audit", "/nonexistent/file.geojson"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.geojson"));
}

#[test]
fn audit_json_schema() {
    let out = run(&[
        "audit",
        s(&sample("jinping-faulty.geojson")),
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["grids"], 80);
    assert_eq!(v["summary"]["errors"], 6);
    assert_eq!(v["summary"]["warnings"], 0);
    let findings = v["findings"].as_array().expect("findings");
    let gap = findings.iter().find(|f| f["kind"] == "gap").expect("gap");
    assert_eq!(gap["severity"], "error");
    assert!(gap["area_m2"].as_f64().unwrap() > 1000.0);
    assert!(gap["width_m"].as_f64().unwrap() > 20.0);
    assert_eq!(gap["geometry"]["type"], "Polygon");
    // WGS 84 longitude/latitude in southern Hunan.
    let lon = gap["geometry"]["coordinates"][0][0][0].as_f64().unwrap();
    let lat = gap["geometry"]["coordinates"][0][0][1].as_f64().unwrap();
    assert!(
        (111.0..114.0).contains(&lon) && (24.0..27.0).contains(&lat),
        "{lon} {lat}"
    );
    assert!(gap["message"]["zh"].as_str().unwrap().contains("缝隙"));
    assert!(gap["message"]["en"].as_str().unwrap().contains("Gap"));
    assert!(gap["ids"].as_array().unwrap().len() >= 2);
    let river = findings
        .iter()
        .find(|f| f["kind"] == "river_outside_grids")
        .expect("river");
    // The brook across the gap: 30 m in no grid (the gap's depth).
    assert!(
        (river["length_m"].as_f64().unwrap() - 30.0).abs() < 0.5,
        "{river}"
    );
}

#[test]
fn audit_geojson_opens_as_feature_collection() {
    let out = run(&[
        "audit",
        s(&sample("jinping-faulty.geojson")),
        "--format",
        "geojson",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["type"], "FeatureCollection");
    let feats = v["features"].as_array().unwrap();
    assert!(
        feats
            .iter()
            .any(|f| f["properties"]["kind"] == "overlap" && f["geometry"]["type"] == "Polygon")
    );
}

#[test]
fn export_round_trip_within_a_centimetre_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    assert_eq!(
        run(&["export", s(&sample("jinping.geojson")), "--out", s(&a)])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["export", s(&a), "--out", s(&b)]).status.code(),
        Some(0)
    );
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(ba == bb, "export of an export must be byte-identical");
    // Vertices in metres: compare the working-CRS geometry of the original and the copy.
    let opts = gridmap::io::geojson::ReadOptions::default();
    let p0 = gridmap::io::open(&[sample("jinping.geojson").as_path()], &opts).unwrap();
    let p1 = gridmap::io::open(&[a.as_path()], &opts).unwrap();
    let mut worst: f64 = 0.0;
    for (g0, g1) in p0.grids.iter().zip(&p1.grids) {
        assert_eq!(g0.id, g1.id);
        assert_eq!(g0.staff, g1.staff);
        for (c0, c1) in g0.geometry.0[0]
            .exterior()
            .0
            .iter()
            .zip(&g1.geometry.0[0].exterior().0)
        {
            worst = worst.max((c0.x - c1.x).hypot(c0.y - c1.y));
        }
    }
    assert!(worst < 0.01, "moved {worst} m");
}

#[test]
fn keep_crs_writes_legacy_crs_member_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("gk.geojson");
    assert_eq!(
        run(&[
            "export",
            s(&sample("jinping.geojson")),
            "--keep-crs",
            "--out",
            s(&a)
        ])
        .status
        .code(),
        Some(0)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
    assert_eq!(v["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::4546");
    let x = v["features"][1]["geometry"]["coordinates"][0][0][0]
        .as_f64()
        .unwrap();
    assert!(x > 500_000.0, "projected metres expected, got {x}");
    assert_eq!(run(&["audit", s(&a)]).status.code(), Some(0));
}

#[test]
fn extra_properties_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("x.geojson");
    std::fs::write(
        &src,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"G1","name":"甲","level":3,"备注":"保留","area_note":{"a":1}},
        "geometry":{"type":"Polygon","coordinates":[[[112.3,25.4],[112.31,25.4],[112.31,25.41],[112.3,25.41],[112.3,25.4]]]}}]}"#,
    )
    .unwrap();
    let out = dir.path().join("y.geojson");
    assert_eq!(
        run(&["export", s(&src), "--out", s(&out)]).status.code(),
        Some(0)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let f = &v["features"][0];
    assert_eq!(f["id"], "G1", "id falls back to the code");
    assert_eq!(f["properties"]["备注"], "保留");
    assert_eq!(f["properties"]["area_note"]["a"], 1);
    assert_eq!(f["properties"]["layer"], "grid");
}

#[test]
fn rivers_table() {
    let out = run(&["rivers", s(&sample("jinping.geojson")), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rivers = v["rivers"].as_array().unwrap();
    let boundary = rivers
        .iter()
        .find(|r| r["name"] == "界溪")
        .expect("boundary stream");
    let by = boundary["by_grid"].as_array().unwrap();
    assert!(by.iter().all(|g| g["boundary"] == true));
    // Each piece along a shared boundary is listed for both grids with half its length.
    let total: f64 = by.iter().map(|g| g["length_m"].as_f64().unwrap()).sum();
    assert!((total - boundary["length_m"].as_f64().unwrap()).abs() < 0.05);
    let reservoirs = v["reservoirs"].as_array().unwrap();
    assert_eq!(reservoirs.len(), 2);
    for r in reservoirs {
        let inside: f64 = r["by_grid"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["area_m2"].as_f64().unwrap())
            .sum();
        assert!(
            (inside - r["area_m2"].as_f64().unwrap()).abs() < 0.01,
            "{r}"
        );
        assert_eq!(r["outside_m2"], 0.0);
    }
    let csv = run(&["rivers", s(&sample("jinping.geojson")), "--format", "csv"]);
    assert!(
        String::from_utf8_lossy(&csv.stdout)
            .starts_with("river_id,river_name,grid,length_m,boundary")
    );
}

fn bad(content: &[u8], name: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    let out = run(&["audit", s(&p)]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn bad_input_gives_exit_2_and_a_clear_message() {
    let (c, e) = bad(b"", "empty.geojson");
    assert_eq!(c, 2);
    assert!(
        e.contains("empty.geojson") && e.contains("empty") && e.contains("空"),
        "{e}"
    );

    let text = std::fs::read(sample("jinping.geojson")).unwrap();
    let (c, e) = bad(&text[..text.len() / 2], "cut.geojson");
    assert_eq!(c, 2);
    assert!(e.contains("truncated") && e.contains("截断"), "{e}");

    let (c, e) = bad(br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"layer":"grid","id":"g7"},"geometry":{"type":"LineString","coordinates":[[112.3,25.4],[112.4,25.5]]}}]}"#, "lines.geojson");
    assert_eq!(c, 2);
    assert!(e.contains("id=g7") && e.contains("LineString"), "{e}");

    let (c, e) = bad(br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[38500000,2800000],[38501000,2800000],[38501000,2801000],[38500000,2800000]]]}}]}"#, "gk.geojson");
    assert_eq!(c, 2);
    assert!(e.contains("EPSG:4526"), "zone 38 is suggested: {e}");

    let (c, e) = bad(b"<html>not json</html>", "page.geojson");
    assert_eq!(c, 2);
    assert!(e.contains("not valid JSON"), "{e}");
}

/// A 200 MB file that ends early is read and rejected without running out of memory.
#[test]
fn huge_truncated_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.geojson");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        f.write_all(br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[["#).unwrap();
        let chunk = "[112.1234567,25.1234567],".repeat(4000);
        while f.get_ref().metadata().unwrap().len() < 200 * 1024 * 1024 {
            f.write_all(chunk.as_bytes()).unwrap();
            f.flush().unwrap();
        }
    }
    let out = run(&["audit", s(&p)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
}

#[test]
fn unclosed_ring_is_reported_and_repaired() {
    let (c, _) = bad(br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1","name":"a","level":1},"geometry":{"type":"Polygon","coordinates":[[[112.3,25.4],[112.31,25.4],[112.31,25.41],[112.3,25.41]]]}}]}"#, "open.geojson");
    assert_eq!(c, 0, "an unclosed ring is closed and reported as a warning");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("open.geojson");
    std::fs::write(&p, br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1","name":"a","level":1},"geometry":{"type":"Polygon","coordinates":[[[112.3,25.4],[112.31,25.4],[112.31,25.41],[112.3,25.41]]]}}]}"#).unwrap();
    let out = run(&["audit", s(&p), "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "invalid_geometry"
                && f["message"]["en"].as_str().unwrap().contains("not closed"))
    );
}

#[test]
fn georef_fits_control_points_and_writes_the_world_file() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("scan.png");
    image::RgbaImage::new(400, 300).save(&img).unwrap();
    let known = |u: f64, v: f64| {
        (
            625_000.0 + 10.0 * u + 1.0 * v,
            2_813_000.0 + 1.0 * u - 10.0 * v,
        )
    };
    let mut args: Vec<String> = vec!["georef".into(), s(&img).into()];
    for (u, v, noise) in [
        (20.0, 20.0, 0.0),
        (380.0, 30.0, 0.6),
        (360.0, 280.0, 0.0),
        (30.0, 270.0, 0.0),
    ] {
        let (x, y) = known(u, v);
        args.push("--point".into());
        args.push(format!("{u},{v},{},{y}", x + noise));
    }
    args.push("--save".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let rms: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("RMS ")?.strip_suffix(" m")?.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(rms > 0.05 && rms < 0.6, "{text}");
    let world = std::fs::read_to_string(dir.path().join("scan.pgw")).unwrap();
    let n: Vec<f64> = world.lines().map(|l| l.parse().unwrap()).collect();
    assert!(
        (n[0] - 10.0).abs() < 0.01 && (n[2] - 1.0).abs() < 0.01 && (n[3] + 10.0).abs() < 0.01,
        "{n:?}"
    );
    // The points are kept: a second run reads them back.
    let again = run(&["georef", s(&img), "--method", "projective"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("RMS"));
    // Too few points: exit 2 and a bilingual message.
    let bad = run(&[
        "georef",
        s(&img),
        "--point",
        "1,2,3,4",
        "--point",
        "5,6,7,8",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("控制点") && e.contains("control points"), "{e}");
}

/// One test at a time runs `xvfb-run -a`: two started together can pick the same display
/// number, and the second's X server fails to start.
static XVFB: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The app's `--screenshot` in a real window (Xvfb): saved, exit 0; not saved, a message
/// and exit 2 (a smoke run must not pass on a screenshot that was never written).
#[test]
#[cfg(feature = "gui")]
fn a_screenshot_is_saved_or_the_run_fails() {
    let _xvfb = XVFB.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let shot = |out: &Path| {
        Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1400x900x24"])
            .arg(env!("CARGO_BIN_EXE_gridmap"))
            .arg("--screenshot")
            .arg(out)
            .arg(sample("jinping.geojson"))
            .output()
            .expect("xvfb-run (apt-get install xvfb; make test-deps does)")
    };
    let good = dir.path().join("shot.png");
    let out = shot(&good);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{e}");
    let png = std::fs::read(&good).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    // It says what draws: Xvfb has no GPU, so Mesa's software renderer.
    let renderer = e
        .lines()
        .find_map(|l| l.strip_prefix("gridmap: OpenGL "))
        .unwrap_or_else(|| panic!("no renderer line: {e}"));
    assert!(gridmap::ui::is_software_renderer(renderer), "{renderer}");
    let bad = dir.path().join("no-such-folder").join("shot.png");
    let out = shot(&bad);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("截图未保存")
            && e.contains("the screenshot was not saved")
            && e.contains("no-such-folder"),
        "{e}"
    );
    // The file given is read once the window is up (on a worker thread): one that cannot
    // be read fails the run too, the file and the problem named in both languages.
    let broken = dir.path().join("坏.gpkg");
    std::fs::write(&broken, b"not a geopackage").unwrap();
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1400x900x24"])
        .arg(env!("CARGO_BIN_EXE_gridmap"))
        .arg("--screenshot")
        .arg(dir.path().join("broken.png"))
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("坏.gpkg") && e.contains("GeoPackage") && e.contains("不是"),
        "{e}"
    );
    assert!(!dir.path().join("broken.png").exists());
}

/// A graphics driver that cannot give the window an OpenGL context (here Mesa pointed at a
/// folder with no drivers, so not even its software one loads): the app starts again once
/// on Mesa's software renderer, says so in both languages, and when that fails too ends
/// with a message and exit 2, no panic and no third try.
#[test]
fn a_failed_opengl_context_is_retried_once_in_software() {
    let _xvfb = XVFB.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1400x900x24"])
        .arg(env!("CARGO_BIN_EXE_gridmap"))
        .arg("--screenshot")
        .arg(dir.path().join("shot.png"))
        .arg(sample("jinping.geojson"))
        .env("LIBGL_DRIVERS_PATH", dir.path().join("no-drivers"))
        .env_remove("LIBGL_ALWAYS_SOFTWARE")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(e.matches("改用软件渲染重新启动").count(), 1, "{e}");
    assert_eq!(
        e.matches("starting again with software rendering").count(),
        1,
        "{e}"
    );
    assert!(
        e.contains("无法打开窗口") && e.contains("cannot open a window"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(!dir.path().join("shot.png").exists());
}

/// A reader that goes away (`gridmap audit … | head`): the command does not panic
/// (`print!` did: exit 101, "failed printing to stdout: Broken pipe") nor report an error;
/// it finishes with the exit code it has without the reader.
#[test]
fn a_closed_pipe_ends_no_command_in_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("faults.geojson");
    let made = run(&[
        "synth",
        "--cells",
        "3000",
        "--faults",
        "300",
        "--out",
        s(&map),
    ]);
    assert!(made.status.success(), "{made:?}");
    // The report through its buffered writer, and a table printed line by line.
    for args in [
        vec!["audit", s(&map), "--format", "json"],
        vec!["bounds", s(&map)],
    ] {
        let whole = run(&args);
        // More than a pipe holds (64 KiB on Linux): with no reader, writing must fail.
        assert!(
            whole.stdout.len() > 4 * 65536,
            "{args:?}: {} bytes",
            whole.stdout.len()
        );
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), whole.status.code(), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

/// Standard output that cannot take the report (a full disk under `> report.txt`) is an
/// error in both languages, exit 2, not a panic.
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error_in_both_languages() {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [
        vec![
            "audit",
            s(&sample("jinping-faulty.geojson")),
            "--format",
            "json",
        ],
        vec!["bounds", s(&sample("jinping.geojson"))],
    ] {
        let out = bin()
            .args(&args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("写到标准输出失败") && err.contains("writing to standard output failed"),
            "{args:?}: {err}"
        );
    }
}
