//! Hostile and broken inputs, as a user meets them: each is read, audited, exported or
//! printed through the command line, and the test checks what came out (the findings and
//! their counts, the files GDAL reads back, the message and its file name).
//! docs/reference.md, "Bad input".

mod common;
use common::{s, sample, sample_path};
use gridmap::io::{self, ReadOptions};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(args)
        .output()
        .expect("run gridmap")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn square(x: f64, y: f64, d: f64) -> Value {
    json!([[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]])
}

/// A GeoJSON file in the CGCS2000 zone of 114°E (EPSG:4547).
fn projected(dir: &Path, name: &str, features: Vec<Value>) -> PathBuf {
    let path = dir.join(name);
    let doc = json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:4547"}},
        "features": features,
    });
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

fn audit_json(path: &Path) -> Value {
    let out = run(&["audit", s(path), "--format", "json", "--lang", "en"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("audit json")
}

fn count_kind(v: &Value, kind: &str) -> usize {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .count()
}

#[test]
fn null_and_empty_geometry_export_to_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.geojson");
    std::fs::write(
        &input,
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"id": "n", "name": "无几何"}, "geometry": null},
            {"type": "Feature", "properties": {"id": "e", "name": "空几何"},
             "geometry": {"type": "Polygon", "coordinates": []}},
            {"type": "Feature", "properties": {"id": "ok", "name": "正常"},
             "geometry": {"type": "Polygon", "coordinates":
                [[[112.0, 25.0], [112.01, 25.0], [112.01, 25.01], [112.0, 25.0]]]}},
        ]}))
        .unwrap(),
    )
    .unwrap();
    for ext in ["shp", "gpkg", "geojson", "csv"] {
        let out = dir.path().join(format!("out.{ext}"));
        let o = run(&["export", s(&input), "--out", s(&out)]);
        assert_eq!(o.status.code(), Some(0), "{ext}: {}", stderr(&o));
    }
    // GDAL reads the three records back, two of them without geometry.
    let shp = dir.path().join("out_grids.shp");
    let info = Command::new("ogrinfo")
        .args(["-al", "-q", s(&shp)])
        .output()
        .expect("ogrinfo (make test installs gdal-bin)");
    let text = String::from_utf8_lossy(&info.stdout);
    assert_eq!(text.matches("OGRFeature(out_grids)").count(), 3, "{text}");
    assert_eq!(text.matches("POLYGON").count(), 1, "{text}");
    // No ID1 column beside ID: the id is written once.
    assert!(!text.contains("ID1"), "{text}");
    // And gridmap reads its own shapefile back with the records intact.
    let p = io::open(&[shp.as_path()], &ReadOptions::default()).unwrap();
    let names: Vec<&str> = p.grids.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["无几何", "空几何", "正常"]);
    assert!(p.grids[0].geometry.0.is_empty() && p.grids[1].geometry.0.is_empty());
}

/// The first vertex of the first ring of a shapefile written by gridmap set to NaN.
#[test]
fn nan_vertex_in_a_shapefile_is_removed_with_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let input = projected(
        dir.path(),
        "g.geojson",
        vec![
            json!({"type": "Feature", "properties": {"id": "a", "name": "甲", "level": 2},
                    "geometry": {"type": "Polygon", "coordinates": square(500000.0, 2800000.0, 100.0)}}),
        ],
    );
    let o = run(&["export", s(&input), "--out", s(&dir.path().join("x.shp"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shp = dir.path().join("x_grids.shp");
    let mut b = std::fs::read(&shp).unwrap();
    // Header 100, record header 8, type 4, box 32, parts and points counts 8, one part 4.
    let first_point = 100 + 8 + 4 + 32 + 8 + 4;
    b[first_point..first_point + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    std::fs::write(&shp, &b).unwrap();
    let v = audit_json(&shp);
    let note = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["message"]["en"]
                .as_str()
                .is_some_and(|m| m.contains("not numbers"))
        })
        .expect("a finding for the NaN coordinate");
    assert_eq!(note["ids"], json!(["a"]));
    assert!(
        note["message"]["en"]
            .as_str()
            .unwrap()
            .contains("x_grids.shp")
    );
    assert!(
        note["message"]["zh"]
            .as_str()
            .unwrap()
            .contains("不是有效数字")
    );
    // The first vertex removed; its twin, the closing vertex, keeps the corner, and the
    // ring is closed again: the same square.
    let p = io::open(&[shp.as_path()], &ReadOptions::default()).unwrap();
    let ring = &p.grids[0].geometry.0[0].exterior().0;
    assert!(ring.iter().all(|c| c.x.is_finite() && c.y.is_finite()));
    assert_eq!(ring.len(), 5);
    assert_eq!(ring.first(), ring.last());
    assert!((gridmap::geom::area(&p.grids[0].geometry) - 10_000.0).abs() < 1e-6);
}

#[test]
fn many_holes_are_checked_in_near_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let n = 3000;
    let k = 60;
    let mut rings = vec![square(500000.0, 2800000.0, (k * 10 + 10) as f64)[0].clone()];
    for i in 0..n {
        let (x, y) = (
            500010.0 + (i % k) as f64 * 10.0,
            2800010.0 + (i / k) as f64 * 10.0,
        );
        rings.push(square(x, y, 5.0)[0].clone());
    }
    let path = projected(
        dir.path(),
        "holes.geojson",
        vec![
            json!({"type": "Feature", "properties": {"id": "a", "name": "甲", "level": 2},
                    "geometry": {"type": "Polygon", "coordinates": rings}}),
        ],
    );
    let v = audit_json(&path);
    // Every hole is a gap of 25 m² (no children fill it): 3000 findings, one each.
    assert_eq!(count_kind(&v, "gap"), n);
    assert_eq!(count_kind(&v, "invalid_geometry"), 0);
    let gap = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "gap")
        .unwrap();
    assert!((gap["area_m2"].as_f64().unwrap() - 25.0).abs() < 1e-6);
}

#[test]
fn identical_grids_are_one_finding_per_copy() {
    let dir = tempfile::tempdir().unwrap();
    let n = 400;
    let features = (0..n)
        .map(|i| {
            json!({"type": "Feature",
                   "properties": {"id": format!("g{i:03}"), "name": format!("格{i}"), "level": 3,
                                  "parent": format!("g{:03}", (i + 1) % n)},
                   "geometry": {"type": "Polygon", "coordinates": square(500000.0, 2800000.0, 100.0)}})
        })
        .collect();
    let path = projected(dir.path(), "same.geojson", features);
    let v = audit_json(&path);
    // The first copy is paired with each of the others; no overlap is reported twice.
    assert_eq!(count_kind(&v, "duplicate"), n - 1);
    assert_eq!(count_kind(&v, "overlap"), 0);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "duplicate")
            .all(|f| f["ids"][0] == "g000")
    );
}

#[test]
fn bad_numbers_on_the_command_line_are_refused() {
    let sample = sample_path();
    for bad in ["NaN", "inf", "-1", "1e9", "abc"] {
        let o = run(&["audit", s(&sample), &format!("--gap-width={bad}")]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("gap width"), "{bad}: {}", stderr(&o));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.pdf");
    for bad in ["100000", "NaN", "-5"] {
        let o = run(&[
            "print",
            s(&sample),
            "--out",
            s(&out),
            &format!("--margin={bad}"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("margin"), "{bad}: {}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn project_file_with_a_bad_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_path();
    let gpkg = dir.path().join("p.gpkg");
    assert_eq!(
        run(&["export", s(&sample), "--out", s(&gpkg)])
            .status
            .code(),
        Some(0)
    );
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    conn.execute(
        "UPDATE gridmap_meta SET value = 'abc' WHERE key = 'format_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let o = run(&["audit", s(&gpkg)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("p.gpkg") && e.contains("format version \"abc\""),
        "{e}"
    );
    assert!(e.contains("格式版本"), "{e}");
}

/// A minimal XLSX: one sheet whose cells are given as (reference, text), inline strings.
fn xlsx(path: &Path, cells: &[(&str, &str)], extra: Option<(&str, usize)>) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let part = |z: &mut zip::ZipWriter<std::fs::File>, name: &str, text: &str| {
        z.start_file(name, o).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    };
    part(
        &mut z,
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    part(
        &mut z,
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        &mut z,
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="人员" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        &mut z,
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    );
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, t) in cells {
        let row: String = r.chars().filter(char::is_ascii_digit).collect();
        sheet.push_str(&format!(
            r#"<row r="{row}"><c r="{r}" t="inlineStr"><is><t>{t}</t></is></c></row>"#
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    part(&mut z, "xl/worksheets/sheet1.xml", &sheet);
    if let Some((name, size)) = extra {
        z.start_file(name, o).unwrap();
        let block = vec![b' '; 1 << 20];
        for _ in 0..size >> 20 {
            z.write_all(&block).unwrap();
        }
    }
    z.finish().unwrap();
}

fn roster_import(roster: &Path, dir: &Path) -> Output {
    let sample = sample_path();
    run(&[
        "staff",
        s(&sample),
        "--import",
        s(roster),
        "--out",
        s(&dir.join("out.gpkg")),
    ])
}

#[test]
fn spreadsheet_limits_are_enforced_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    // One stray cell in the last column of the last row: refused, the cell named.
    let far = dir.path().join("far.xlsx");
    xlsx(
        &far,
        &[("A1", "姓名"), ("B1", "网格名称"), ("XFD1048576", "x")],
        None,
    );
    let o = roster_import(&far, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("far.xlsx") && e.contains("XFD1048576"), "{e}");
    assert!(!dir.path().join("out.gpkg").exists());
    // A part that unpacks to 200 MB (a zip bomb of under 1 MB): refused before reading.
    let bomb = dir.path().join("bomb.xlsx");
    xlsx(
        &bomb,
        &[("A1", "姓名")],
        Some(("xl/media/pad.bin", 200 << 20)),
    );
    assert!(std::fs::metadata(&bomb).unwrap().len() < 2 << 20);
    let o = roster_import(&bomb, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("bomb.xlsx") && e.contains("unpacks to more than"),
        "{e}"
    );
    // Within the limits the same writer's roster imports.
    let ok = dir.path().join("ok.xlsx");
    xlsx(
        &ok,
        &[
            ("A1", "网格名称"),
            ("B1", "姓名"),
            ("A2", "不存在的网格"),
            ("B2", "张三"),
        ],
        None,
    );
    let o = roster_import(&ok, dir.path());
    // The one row matches no grid: listed, exit 1, nothing refused.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn stale_temp_files_are_removed_and_replaced_layers_reported() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_path();
    // What a killed export leaves: a temp file of a process that no longer runs.
    let stale = dir.path().join(".out.geojson.4000000000.tmp");
    std::fs::write(&stale, b"{half").unwrap();
    let stale_dir = dir.path().join(".out.shptmp.4000000001.tmp");
    std::fs::create_dir(&stale_dir).unwrap();
    let out = dir.path().join("out.geojson");
    assert_eq!(
        run(&["export", s(&sample), "--out", s(&out)]).status.code(),
        Some(0)
    );
    assert!(!stale.exists());
    // A temp file of a process that is alive (this test): another export is under way, so
    // this one is refused rather than racing it.
    let busy = dir
        .path()
        .join(format!(".out.geojson.{}.tmp", std::process::id()));
    std::fs::write(&busy, b"{half").unwrap();
    let o = run(&["export", s(&sample), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("another gridmap (process {})", std::process::id())),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(&busy).unwrap();
    // An earlier shapefile export with rivers; this project has none.
    let shp = dir.path().join("out.shp");
    assert_eq!(
        run(&["export", s(&sample), "--out", s(&shp)]).status.code(),
        Some(0)
    );
    assert!(!stale_dir.exists());
    assert!(dir.path().join("out_rivers.shp").exists());
    let grids_only = projected(
        dir.path(),
        "g.geojson",
        vec![
            json!({"type": "Feature", "properties": {"id": "a", "name": "甲", "level": 2},
                    "geometry": {"type": "Polygon", "coordinates": square(500000.0, 2800000.0, 100.0)}}),
        ],
    );
    let o = run(&["export", s(&grids_only), "--out", s(&shp)]);
    assert_eq!(o.status.code(), Some(0));
    let e = stderr(&o);
    assert!(
        e.contains("out_rivers.shp") && e.contains("removed layers"),
        "{e}"
    );
    assert!(e.contains("replaced") && e.contains("out_grids.shp"), "{e}");
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        assert!(!dir.path().join(format!("out_rivers.{ext}")).exists());
    }
    let p = io::open(
        &[dir.path().join("out_grids.shp").as_path()],
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(p.grids.len(), 1);
    // Nothing temporary is left in the folder.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_huge_name_prints_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "长".repeat(2_000_000);
    let path = projected(
        dir.path(),
        "big.geojson",
        vec![
            json!({"type": "Feature", "properties": {"id": "a", "name": name, "level": 2},
                    "geometry": {"type": "Polygon", "coordinates": square(500000.0, 2800000.0, 1000.0)}}),
        ],
    );
    let out = dir.path().join("big.svg");
    let o = run(&[
        "print",
        s(&path),
        "--layout",
        "board",
        "--grid",
        "a",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.len() < 2_000_000, "{} bytes", svg.len());
    assert!(svg.contains(&format!("{}…", "长".repeat(300))));
}

// ---------------------------------------------------------------- round 2 (issue 23)

/// gridmap under the limits a hostile input must stay within: 2 GiB of address space and
/// 60 s (a run past them is killed: the test sees a signal or exit 124, not a result).
fn bounded(args: &[&str]) -> Output {
    let out = Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 2097152; exec timeout 60 \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_gridmap"))
        .args(args)
        .output()
        .expect("run gridmap");
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "gridmap {args:?} did not end within 60 s and 2 GiB: {:?}\n{}",
        out.status,
        stderr(&out)
    );
    out
}

/// An ASCII DXF with these entities (group code/value pairs, one per line).
fn dxf(dir: &Path, name: &str, entities: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("0\nSECTION\n2\nENTITIES\n{entities}0\nENDSEC\n0\nEOF\n"),
    )
    .unwrap();
    path
}

/// A closed LWPOLYLINE through `pts`, each with its bulge.
fn lwpolyline(pts: &[(f64, f64, f64)]) -> String {
    let mut s = format!("0\nLWPOLYLINE\n8\n0\n90\n{}\n70\n1\n", pts.len());
    for (x, y, b) in pts {
        s.push_str(&format!("10\n{x}\n20\n{y}\n42\n{b}\n"));
    }
    s
}

fn refused_with(out: &Output, file: &Path, zh: &str, en: &str) {
    let e = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(name), "names the file: {e}");
    assert!(e.contains(zh) && e.contains(en), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn an_arc_at_1e20_degrees_is_one_arc() {
    let dir = tempfile::tempdir().unwrap();
    let path = dxf(
        dir.path(),
        "arc.dxf",
        "0\nARC\n8\n河流\n10\n500000\n20\n2800000\n30\n0\n40\n10\n50\n1e20\n51\n90\n",
    );
    let out = bounded(&[
        "rivers",
        s(&path),
        "--src-crs",
        "EPSG:4547",
        "--format",
        "json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    // 1e20° is 200° in one turn (1e20 = 360·k + 200): the arc from 200° to 90° sweeps
    // 250°, 2π·10·250/360 = 43.6 m.
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let len = v["rivers"][0]["length_m"]
        .as_f64()
        .unwrap_or_else(|| panic!("{v}"));
    let expected =
        2.0 * std::f64::consts::PI * 10.0 * ((90.0 - 1e20f64.rem_euclid(360.0)).rem_euclid(360.0))
            / 360.0;
    assert!((len - expected).abs() < 0.05, "{len} vs {expected}");
}

#[test]
fn groups_nested_thousands_deep_are_refused_before_the_reader_recurses() {
    let dir = tempfile::tempdir().unwrap();
    let square = "8\n0\n90\n4\n70\n1\n10\n0\n20\n0\n10\n1\n20\n0\n10\n1\n20\n1\n10\n0\n20\n1\n";
    let xdata = format!(
        "0\nLWPOLYLINE\n{square}1001\nGRIDMAP\n{}{}",
        "1002\n{\n".repeat(20_000),
        "1002\n}\n".repeat(20_000)
    );
    let ext = format!(
        "0\nLWPOLYLINE\n5\n1F\n{}{}{square}",
        "102\n{ACAD\n".repeat(50_000),
        "102\n}\n".repeat(50_000)
    );
    for (name, body) in [("xdata.dxf", xdata), ("ext.dxf", ext)] {
        let path = dxf(dir.path(), name, &body);
        // A child process: a stack overflow would be a signal here, not a crashed harness.
        let out = bounded(&["audit", s(&path), "--src-crs", "EPSG:4547"]);
        refused_with(&out, &path, "嵌套超过 100 层", "nested more than 100 deep");
    }
}

#[test]
fn bulges_share_a_budget_of_points() {
    let dir = tempfile::tempdir().unwrap();
    // 1,000 near-full-circle bulges on one polyline (36 KB).
    let pts: Vec<(f64, f64, f64)> = (0..1000)
        .map(|i| (500000.0 + 100.0 * i as f64, 2800000.0, 0.999))
        .collect();
    let one = dxf(dir.path(), "one.dxf", &lwpolyline(&pts));
    let out = bounded(&[
        "audit",
        s(&one),
        "--src-crs",
        "EPSG:4547",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["grids"].as_u64(), Some(1), "{v}");
    // 20,000 polylines of two bulges (720 KB): past the points one file may become.
    let many: String = (0..20_000)
        .map(|i| {
            let x = 500000.0 + 10000.0 * i as f64;
            lwpolyline(&[(x, 2800000.0, 0.999), (x + 5000.0, 2800000.0, 0.999)])
        })
        .collect();
    let many = dxf(dir.path(), "many.dxf", &many);
    let out = bounded(&["audit", s(&many), "--src-crs", "EPSG:4547"]);
    refused_with(&out, &many, "超过 400 万个", "more than 4000000 vertices");
}

#[test]
fn a_small_kmz_of_a_huge_ring_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    // 4.2 million vertices (about 100 MB of KML) zipped to well under a megabyte.
    let mut kml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>a</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"#,
    );
    for i in 0..4_200_000u32 {
        kml.push_str(if i % 2 == 0 {
            "104.0,23.0 "
        } else {
            "104.1,23.1 "
        });
    }
    kml.push_str("104.0,23.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>");
    let path = dir.path().join("ring.kmz");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        zip.start_file(
            "doc.kml",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        zip.write_all(kml.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let out = bounded(&["audit", s(&path)]);
    refused_with(&out, &path, "超过 400 万个", "more than 4000000 vertices");
    // Elements without coordinates: the tree is bounded too.
    let path = dir.path().join("elements.kml");
    let mut doc = String::from(r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>"#);
    doc.push_str(&"<a/>".repeat(5_000_001));
    doc.push_str("</Document></kml>");
    std::fs::write(&path, doc).unwrap();
    let out = bounded(&["audit", s(&path)]);
    refused_with(&out, &path, "超过 500 万个", "more than 5000000 elements");
    // The same in a DXF: one LWPOLYLINE of 4.2 million vertices, refused by the pre-scan.
    let mut body = String::from("0\nLWPOLYLINE\n8\n0\n90\n4200000\n70\n1\n");
    for i in 0..4_200_000u32 {
        body.push_str(&format!("10\n{}\n20\n2800000\n", 500000 + i % 1000));
    }
    let path = dxf(dir.path(), "long.dxf", &body);
    let out = bounded(&["audit", s(&path), "--src-crs", "EPSG:4547"]);
    refused_with(&out, &path, "超过 400 万个", "more than 4000000 vertices");
}

#[test]
fn stacks_of_grids_are_one_finding_per_grid_not_per_pair() {
    let dir = tempfile::tempdir().unwrap();
    // 10,000 copies of one square.
    let copies: Vec<Value> = (0..10_000)
        .map(|i| {
            json!({"type": "Feature", "properties": {"id": format!("c{i:05}"), "level": 3},
                   "geometry": {"type": "Polygon", "coordinates": square(500000.0, 2800000.0, 100.0)}})
        })
        .collect();
    let path = projected(dir.path(), "copies.geojson", copies);
    let out = bounded(&["audit", s(&path), "--format", "json", "--lang", "en"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stacked = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "overlap" && f["ids"].as_array().unwrap().len() == 1)
            .count()
    };
    assert_eq!(stacked(&v), 10_000);
    // 2,000 concentric squares in a DXF (each overlaps every other: 2 million pairs).
    let body: String = (0..2000)
        .map(|i| {
            let d = i as f64;
            let (x, y) = (500000.0 - d, 2800000.0 - d);
            lwpolyline(&[
                (x, y, 0.0),
                (x + 2.0 * d + 1.0, y, 0.0),
                (x + 2.0 * d + 1.0, y + 2.0 * d + 1.0, 0.0),
                (x, y + 2.0 * d + 1.0, 0.0),
            ])
        })
        .collect();
    let path = dxf(dir.path(), "nested.dxf", &body);
    let out = bounded(&[
        "audit",
        s(&path),
        "--src-crs",
        "EPSG:4547",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["grids"].as_u64(), Some(2000));
    // The inner squares sit in a stack; no more findings than a few per grid.
    assert!(stacked(&v) >= 1900, "{}", stacked(&v));
    assert!(v["findings"].as_array().unwrap().len() < 10_000);
    // 20,000 of them (80,000 nested edges: the tiling pass cuts them apart along free
    // lines instead of querying an R-tree of long nested edges; 50,000 took 104 s).
    let nested: Vec<Value> = (0..20_000)
        .map(|i| {
            let d = f64::from(i);
            json!({"type": "Feature", "properties": {"id": format!("n{i:05}"), "level": 3},
                   "geometry": {"type": "Polygon",
                                "coordinates": square(500000.0 - d, 2800000.0 - d, 2.0 * d + 1.0)}})
        })
        .collect();
    let path = projected(dir.path(), "nested.geojson", nested);
    let out = bounded(&["audit", s(&path), "--format", "json", "--lang", "en"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["grids"].as_u64(), Some(20_000));
    assert!(stacked(&v) >= 19_900, "{}", stacked(&v));
}

#[test]
fn control_characters_never_break_a_kml() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = sample();
    p.grids[0].name = "一\u{b}组\u{1}".into();
    p.grids[1].notes = "备\u{0}注\u{fffe}".into();
    let path = dir.path().join("ctl.kml");
    io::kml::write(&p, &path, &Default::default()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    );
    // GDAL reads it (it refuses a document with a control character in it).
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q", s(&path)])
        .output()
        .expect("ogrinfo (gdal-bin)");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("一组"));
    let q = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    let g = q.grids.iter().find(|g| g.id == p.grids[0].id).unwrap();
    assert_eq!(g.name, "一组");
}

#[test]
fn a_field_holding_a_dxf_escape_comes_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = sample();
    let before: Vec<(String, String, u8, String)> = p
        .grids
        .iter()
        .map(|g| (g.id.clone(), g.code.clone(), g.level, g.name.clone()))
        .collect();
    p.grids[0].name = r"\U+4E2D 村".into();
    p.grids[1].notes = r"路径 C:\Users\U+1234\网格 \\U+0041".into();
    p.grids[2].staff[0].name = r"\U+738B".into();
    let path = dir.path().join("esc.dxf");
    io::dxf::write(&p, &path).unwrap();
    let q = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.grids.len(), p.grids.len());
    for (id, code, level, _) in &before {
        let g = q
            .grids
            .iter()
            .find(|g| &g.id == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert_eq!((&g.code, g.level), (code, *level), "{id}");
    }
    let by = |id: &str| q.grids.iter().find(|g| g.id == id).unwrap();
    assert_eq!(by(&p.grids[0].id).name, r"\U+4E2D 村");
    assert_eq!(by(&p.grids[1].id).notes, p.grids[1].notes);
    assert_eq!(by(&p.grids[2].id).staff, p.grids[2].staff);
}

#[test]
fn a_kml_is_read_in_the_encoding_it_declares_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let doc = r#"<?xml version="1.0" encoding="GBK"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>巡河</name>
<Placemark><name>一组</name><Polygon><outerBoundaryIs><LinearRing><coordinates>112.0,27.0 112.01,27.0 112.01,27.01 112.0,27.01 112.0,27.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"#;
    let (gbk, _, _) = encoding_rs::GBK.encode(doc);
    let path = dir.path().join("gbk.kml");
    std::fs::write(&path, &gbk).unwrap();
    let p = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(
        (p.name.as_str(), p.grids[0].name.as_str()),
        ("巡河", "一组")
    );
    // GBK bytes that declare nothing (XML's default is UTF-8), or an unknown encoding.
    let plain = doc.replace(r#" encoding="GBK""#, "");
    let (bytes, _, _) = encoding_rs::GBK.encode(&plain);
    let path = dir.path().join("undeclared.kml");
    std::fs::write(&path, &bytes).unwrap();
    let out = run(&["audit", s(&path)]);
    refused_with(&out, &path, "不是 UTF-8", "not UTF-8");
    let path = dir.path().join("unknown.kml");
    std::fs::write(&path, doc.replace("GBK", "X-MADE-UP")).unwrap();
    let out = run(&["audit", s(&path)]);
    refused_with(&out, &path, "无法识别", "X-MADE-UP");
}

#[test]
fn files_that_hold_nothing_usable_are_an_error_not_a_clean_map() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dxf(dir.path(), "empty.dxf", "");
    let out = run(&["audit", s(&empty), "--src-crs", "EPSG:4547"]);
    refused_with(
        &out,
        &empty,
        "没有可读入",
        "no grids, rivers or other features",
    );
    let svg = dir.path().join("map.kml");
    std::fs::write(
        &svg,
        r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>"#,
    )
    .unwrap();
    let out = run(&["audit", s(&svg)]);
    refused_with(&out, &svg, "根元素是 <svg>", "the root element is <svg>");
    let bare = dir.path().join("bare.kml");
    std::fs::write(
        &bare,
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>"#,
    )
    .unwrap();
    let out = run(&["audit", s(&bare)]);
    refused_with(&out, &bare, "没有任何地标", "no placemarks");
}

#[test]
fn an_infinite_kml_coordinate_does_not_ask_for_a_crs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inf.kml");
    std::fs::write(
        &path,
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>一组</name><Polygon><outerBoundaryIs><LinearRing><coordinates>112.0,27.0 inf,27.0 112.01,27.01 112.0,27.01 112.0,27.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>二组</name><Polygon><outerBoundaryIs><LinearRing><coordinates>112.0,27.0 500.0,27.0 112.01,27.01 112.0,27.01 112.0,27.0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"#,
    )
    .unwrap();
    let out = run(&["audit", s(&path), "--src-crs", "EPSG:4326"]);
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(!e.contains("--src-crs"), "{e}");
    assert!(e.contains("超出文件声明的坐标系 EPSG:4326"), "{e}");
}
