//! Formats other software reads and writes: round trips through GeoPackage, shapefiles
//! (UTF-8 and GBK) and CSV; interoperation with GDAL's `ogrinfo`/`ogr2ogr` and PROJ's
//! command-line tools (Debian `gdal-bin`, `proj-bin`, installed by `make test` and CI); and
//! broken input.

use geo::Coord;
use gridmap::io::{self, ReadOptions, SourceCrs};
use gridmap::model::{Crs, Grid, Project};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{rename_dbf_fields, s, sample, sample_path};

/// Run a peer tool; its absence is a failure (make test and CI install it), not a skip.
fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed for the interop tests (Debian gdal-bin/proj-bin; `make test` installs them): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn gridmap(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(args)
        .output()
        .expect("run gridmap")
}

/// Largest distance between corresponding vertices of two grids' polygons, after putting
/// both in the same orientation (writers may reverse rings).
fn max_vertex_shift(a: &Grid, b: &Grid) -> f64 {
    let ra: Vec<Vec<Coord<f64>>> = a
        .geometry
        .0
        .iter()
        .flat_map(gridmap::geom::canonical_rings)
        .collect();
    let rb: Vec<Vec<Coord<f64>>> = b
        .geometry
        .0
        .iter()
        .flat_map(gridmap::geom::canonical_rings)
        .collect();
    assert_eq!(ra.len(), rb.len(), "ring count of {}", a.id);
    let mut worst: f64 = 0.0;
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x.len(), y.len(), "vertex count of {}", a.id);
        for (p, q) in x.iter().zip(y) {
            worst = worst.max(((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt());
        }
    }
    worst
}

fn same_records(a: &Project, b: &Project, staff: bool) {
    assert_eq!(a.grids.len(), b.grids.len());
    for (g, h) in a.grids.iter().zip(&b.grids) {
        assert_eq!(g.id, h.id);
        assert_eq!(g.name, h.name, "name of {}", g.id);
        assert_eq!(g.code, h.code);
        assert_eq!(g.level, h.level);
        assert_eq!(g.parent, h.parent);
        assert_eq!(g.households, h.households);
        assert_eq!(g.population, h.population);
        if staff {
            assert_eq!(g.staff, h.staff, "staff of {}", g.id);
        }
        let d = max_vertex_shift(g, h);
        assert!(d < 0.01, "{} moved by {d} m", g.id);
    }
}

// ------------------------------------------------------------------ GeoPackage

#[test]
fn geopackage_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = sample();
    p.settings.insert("language".into(), "en".into());
    gridmap::AuditConfig {
        gap_width: 0.3,
        ..Default::default()
    }
    .store(&mut p.settings);
    p.grids[0].extra.insert("备注".into(), "保留".into());
    p.grids[1].notes = "河道整治".into();
    let path = dir.path().join("晋屏镇.gpkg");
    io::gpkg::write(&p, &path).unwrap();
    assert!(io::gpkg::is_native(&path).unwrap());
    let q = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.crs, Crs::epsg(4546));
    assert_eq!(q, p, "a GeoPackage save and open gives the same project");
    assert_eq!(
        gridmap::AuditConfig::from_settings(&q.settings).gap_width,
        0.3
    );
    // Saving again over the file keeps it readable (atomic replace) and leaves no temp.
    io::gpkg::write(&q, &path).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["晋屏镇.gpkg".to_string()]);
}

#[test]
fn geopackage_is_read_by_ogrinfo() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    let path = dir.path().join("jinping.gpkg");
    io::gpkg::write(&p, &path).unwrap();
    let grids = tool("ogrinfo", &["-so", s(&path), "grids"]);
    assert!(grids.contains("Feature Count: 80"), "{grids}");
    assert!(grids.contains("Multi Polygon"), "{grids}");
    assert!(
        grids.contains("CGCS2000 / 3-degree Gauss-Kruger CM 111E"),
        "{grids}"
    );
    assert!(grids.contains("ID[\"EPSG\",4546]"), "{grids}");
    let all = tool("ogrinfo", &["-al", "-q", s(&path)]);
    for g in &p.grids {
        assert!(
            all.contains(&format!("name (String) = {}", g.name)),
            "{}",
            g.name
        );
    }
    let staff = tool("ogrinfo", &["-so", s(&path), "staff"]);
    let n_staff: usize = p.grids.iter().map(|g| g.staff.len()).sum();
    assert!(
        staff.contains(&format!("Feature Count: {n_staff}")),
        "{staff}"
    );
    let rivers = tool("ogrinfo", &["-so", s(&path), "rivers"]);
    assert!(rivers.contains("Feature Count: 3"), "{rivers}");
    // The spatial index works: a bounding-box query through GDAL finds grids.
    let e = gridmap::geom::envelope(&p.grids[5].geometry).unwrap();
    let c = e.center();
    let spat = tool(
        "ogrinfo",
        &[
            "-q",
            s(&path),
            "grids",
            "-spat",
            &c.x.to_string(),
            &c.y.to_string(),
            &(c.x + 1.0).to_string(),
            &(c.y + 1.0).to_string(),
        ],
    );
    assert!(spat.contains(&p.grids[5].name), "{spat}");
}

#[test]
fn geopackage_from_ogr2ogr_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("from_gdal.gpkg");
    tool(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            s(&out),
            s(&sample_path()),
            "-where",
            "layer = 'grid'",
            "-nln",
            "网格",
            "-t_srs",
            "EPSG:4546",
        ],
    );
    let q = io::open(&[out.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.crs, Crs::epsg(4546));
    same_records(&sample(), &q, true);
}

// ------------------------------------------------------------------ shapefiles

#[test]
fn shapefile_round_trip_utf8_and_gbk() {
    let p = sample();
    for (enc, cpg) in [
        (io::shp::DbfEncoding::Utf8, "UTF-8"),
        (io::shp::DbfEncoding::Gbk, "936"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let written = io::shp::write(&p, &dir.path().join("jp.shp"), enc)
            .unwrap()
            .written;
        let names: Vec<String> = written
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "jp_boundary.shp",
                "jp_grids.shp",
                "jp_rivers.shp",
                "jp_reservoirs.shp",
                "jp_villages.shp"
            ]
        );
        let grids = dir.path().join("jp_grids.shp");
        assert_eq!(
            std::fs::read_to_string(grids.with_extension("cpg")).unwrap(),
            cpg
        );
        let prj = std::fs::read_to_string(grids.with_extension("prj")).unwrap();
        assert!(
            prj.starts_with("PROJCS[\"CGCS2000_3_Degree_GK_CM_111E\""),
            "{prj}"
        );
        let refs: Vec<&Path> = written.iter().map(|p| p.as_path()).collect();
        let q = io::open(&refs, &ReadOptions::default()).unwrap();
        assert_eq!(q.crs, Crs::epsg(4546));
        same_records(&p, &q, true);
        assert_eq!(q.rivers.len(), p.rivers.len());
        assert_eq!(q.rivers[0].name, p.rivers[0].name);
        assert_eq!(q.reservoirs.len(), p.reservoirs.len());
        assert_eq!(q.villages.len(), p.villages.len());
        assert_eq!(q.villages[3].name, p.villages[3].name);
        assert_eq!(q.villages[3].households, p.villages[3].households);
        assert_eq!(q.boundary.len(), 1);
        // GDAL reads the same features, CRS and Chinese text.
        let info = tool("ogrinfo", &["-al", "-q", s(&grids)]);
        for g in &p.grids {
            assert!(
                info.contains(&format!("NAME (String) = {}", g.name)),
                "{}",
                g.name
            );
        }
        let so = tool("ogrinfo", &["-so", "-al", s(&grids)]);
        assert!(so.contains("Feature Count: 80"), "{so}");
        assert!(
            so.contains("CGCS2000 / 3-degree Gauss-Kruger CM 111E"),
            "{so}"
        );
        // Staff summary fields for people reading the table.
        let head = &p.grids[30].staff[0];
        assert!(info.contains(&format!("HEAD (String) = {}", head.name)));
        assert!(info.contains(&format!("HEAD_TEL (String) = {}", head.phone)));
    }
}

/// A shapefile as the county office sends it: written by GDAL in EPSG:4546 with GBK text;
/// read with the `.cpg`, and again with neither `.cpg` nor language byte (detection).
#[test]
fn gbk_shapefile_from_ogr2ogr() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("网格.shp");
    tool(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            s(&shp),
            s(&sample_path()),
            "-where",
            "layer = 'grid'",
            "-t_srs",
            "EPSG:4546",
            "-lco",
            "ENCODING=CP936",
        ],
    );
    let cpg = std::fs::read_to_string(shp.with_extension("cpg")).unwrap();
    assert!(cpg.contains("936"), "{cpg}");
    let dbf = std::fs::read(shp.with_extension("dbf")).unwrap();
    assert!(
        std::str::from_utf8(&dbf).is_err(),
        "the table is GBK, not UTF-8"
    );
    let reference = sample();
    let q = io::open(&[shp.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.crs, Crs::epsg(4546));
    same_records(&reference, &q, false);
    // No .cpg, language driver byte 0: detected (not UTF-8, so GB18030).
    std::fs::remove_file(shp.with_extension("cpg")).unwrap();
    let mut dbf = dbf;
    dbf[29] = 0;
    std::fs::write(shp.with_extension("dbf"), &dbf).unwrap();
    let q = io::open(&[shp.as_path()], &ReadOptions::default()).unwrap();
    same_records(&reference, &q, false);
    // A wrong user choice garbles, the right one restores: the override is honoured.
    let latin = ReadOptions {
        encoding: Some(encoding_rs::WINDOWS_1252),
        ..Default::default()
    };
    let garbled = io::open(&[shp.as_path()], &latin).unwrap();
    assert_ne!(garbled.grids[0].name, reference.grids[0].name);
    // The CLI takes the encoding too.
    let out = gridmap(&["rivers", s(&shp), "--encoding", "GBK", "--format", "csv"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn field_mapping_picks_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let r = sample();
    io::shp::write(&r, &dir.path().join("x.shp"), Default::default()).unwrap();
    let shp = dir.path().join("x_grids.shp");
    // Columns named as a county office might: XZQMC for the name, a custom code column.
    rename_dbf_fields(
        &shp.with_extension("dbf"),
        &[
            ("ID", "OBJ_ID"),
            ("NAME", "XZQMC"),
            ("CODE", "BIANMA"),
            ("HOUSEHOLDS", "HU"),
        ],
    );
    let cols = io::shp::columns(&shp, &ReadOptions::default()).unwrap();
    for c in ["OBJ_ID", "XZQMC", "BIANMA", "HU"] {
        assert!(cols.iter().any(|x| x == c), "{cols:?}");
    }
    let guess = io::guess_fields(&cols);
    assert_eq!(guess.name.as_deref(), Some("XZQMC"));
    assert_eq!(guess.code, None);
    let mut fields = guess;
    fields.code = Some("BIANMA".into());
    fields.households = Some("HU".into());
    let opts = ReadOptions {
        fields,
        ..Default::default()
    };
    let q = io::open(&[shp.as_path()], &opts).unwrap();
    assert_eq!(q.grids[7].name, r.grids[7].name);
    assert_eq!(q.grids[7].code, r.grids[7].code);
    assert_eq!(
        q.grids[7].id, r.grids[7].code,
        "the id falls back to the mapped code"
    );
    assert_eq!(q.grids[7].households, r.grids[7].households);
    // The same from the CLI.
    let out = gridmap(&[
        "export",
        s(&shp),
        "--field",
        "code=BIANMA",
        "--out",
        s(&dir.path().join("m.geojson")),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("m.geojson")).unwrap();
    assert!(text.contains(&format!("\"code\":\"{}\"", r.grids[7].code)));
    let bad = gridmap(&["audit", s(&shp), "--field", "colour=X"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn geojson_from_ogr2ogr_in_gk_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gk.geojson");
    tool(
        "ogr2ogr",
        &[
            "-f",
            "GeoJSON",
            s(&out),
            s(&sample_path()),
            "-t_srs",
            "EPSG:4546",
            "-lco",
            "COORDINATE_PRECISION=4",
        ],
    );
    let q = io::open(&[out.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.crs, Crs::epsg(4546));
    same_records(&sample(), &q, true);
}

#[test]
fn exports_are_read_by_ogrinfo() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample_path();
    for (name, extra) in [
        ("rfc.geojson", vec![]),
        ("layers.geojson", vec!["--per-layer"]),
        ("grids.csv", vec![]),
    ] {
        let out = dir.path().join(name);
        let mut args = vec!["export", s(&src), "--out", s(&out)];
        args.extend(extra);
        let r = gridmap(&args);
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
    let p = sample();
    let total =
        p.boundary.len() + p.grids.len() + p.rivers.len() + p.reservoirs.len() + p.villages.len();
    let rfc = tool(
        "ogrinfo",
        &["-so", "-al", s(&dir.path().join("rfc.geojson"))],
    );
    assert!(rfc.contains(&format!("Feature Count: {total}")), "{rfc}");
    assert!(rfc.contains("WGS 84"), "{rfc}");
    let layer = dir.path().join("layers_grid.geojson");
    let grids = tool("ogrinfo", &["-al", "-q", s(&layer)]);
    assert!(
        grids.contains(&format!("name (String) = {}", p.grids[1].name)),
        "{grids}"
    );
    let csv = dir.path().join("grids.csv");
    let info = tool(
        "ogrinfo",
        &[
            "-al",
            "-q",
            "-oo",
            "GEOM_POSSIBLE_NAMES=wkt_*",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
            s(&csv),
        ],
    );
    assert!(
        info.contains("MULTIPOLYGON"),
        "{}",
        &info[..info.len().min(2000)]
    );
    assert!(info.contains(&format!("name (String) = {}", p.grids[1].name)));
}

// ------------------------------------------------------------------ CRS

/// `.prj` files as ESRI software writes them (from PROJ's own command-line `projinfo`)
/// name the EPSG codes of the CRSs Chinese data comes in.
#[test]
fn prj_files_are_identified() {
    for code in [
        4490, // CGCS2000 geographic
        4546, // CGCS2000 3-degree GK CM 111E, no zone prefix
        4525, // CGCS2000 3-degree GK zone 37 (prefixed)
        4497, // CGCS2000 6-degree GK zone 19
        4610, // Xian 1980 geographic
        2382, // Xian 1980 3-degree GK CM 111E
        4214, // Beijing 1954 geographic
        2434, // Beijing 1954 3-degree GK CM 111E
        4326, // WGS 84
        3857, // Web Mercator
    ] {
        let wkt = tool(
            "projinfo",
            &["-q", "-o", "WKT1_ESRI", &format!("EPSG:{code}")],
        );
        assert_eq!(
            io::crs_from_wkt(&wkt).unwrap(),
            SourceCrs::Epsg(Crs::epsg(code)),
            "{wkt}"
        );
    }
}

/// Reprojection agrees with PROJ's `cs2cs` to 1 mm.
#[test]
fn reprojection_agrees_with_cs2cs() {
    let pts = [(112.31, 25.42), (111.0, 24.0), (113.4, 26.9)];
    for (from, to) in [(4490, 4546), (4326, 4546), (4490, 4525), (4610, 2382)] {
        // cs2cs takes EPSG geographic CRSs as latitude, longitude.
        let input: String = pts.iter().map(|(x, y)| format!("{y} {x}\n")).collect();
        let mut child = Command::new("cs2cs")
            .args(["-f", "%.4f", &format!("EPSG:{from}"), &format!("EPSG:{to}")])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("cs2cs (Debian proj-bin)");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        let rp = io::Reprojector::new(Crs::epsg(from), Crs::epsg(to)).unwrap();
        for ((x, y), line) in pts.iter().zip(out.lines()) {
            let nums: Vec<f64> = line
                .split_whitespace()
                .take(2)
                .map(|v| v.parse().unwrap())
                .collect();
            let ours = rp.point(Coord { x: *x, y: *y });
            // EPSG projected CRSs of China are northing, easting in cs2cs order.
            let (n, e) = (nums[0], nums[1]);
            let d = ((ours.x - e).powi(2) + (ours.y - n).powi(2)).sqrt();
            assert!(d < 0.001, "EPSG:{from}->{to} ({x},{y}): {ours:?} vs {line}");
        }
    }
}

#[test]
fn gcj02_import_option() {
    // The sample's grids as if traced on a commercial web map (GCJ-02 longitude/latitude).
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample_path()).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    fn shift(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Array(a) if a.len() == 2 && a[0].is_f64() => {
                let c = io::gcj02::from_wgs84(Coord {
                    x: a[0].as_f64().unwrap(),
                    y: a[1].as_f64().unwrap(),
                });
                *v = serde_json::json!([c.x, c.y]);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(shift),
            _ => {}
        }
    }
    for f in doc["features"].as_array_mut().unwrap() {
        shift(&mut f["geometry"]["coordinates"]);
    }
    let path = dir.path().join("gcj.geojson");
    std::fs::write(&path, doc.to_string()).unwrap();
    let plain = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    let fixed = io::open(
        &[path.as_path()],
        &ReadOptions {
            gcj02: true,
            ..Default::default()
        },
    )
    .unwrap();
    let r = sample();
    // Without the option the map is several hundred metres off; with it, within 1 cm.
    assert!(max_vertex_shift(&plain.grids[0], &r.grids[0]) > 100.0);
    same_records(&r, &fixed, true);
    let out = gridmap(&["audit", s(&path), "--gcj02"]);
    assert_eq!(out.status.code(), Some(0));
}

// ------------------------------------------------------------------ bad input

fn expect_error(paths: &[&Path], opts: &ReadOptions, file: &Path, en: &str) -> io::LoadError {
    let e = io::open(paths, opts).expect_err("must fail");
    assert_eq!(e.file, file, "{e}");
    assert!(e.en.contains(en), "{e}");
    assert!(!e.zh.is_empty());
    e
}

#[test]
fn broken_shapefiles_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    io::shp::write(&p, &dir.path().join("a.shp"), Default::default()).unwrap();
    let grids = dir.path().join("a_grids.shp");
    let dbf = grids.with_extension("dbf");
    let shp_bytes = std::fs::read(&grids).unwrap();
    let dbf_bytes = std::fs::read(&dbf).unwrap();
    let o = ReadOptions::default();

    // No .dbf.
    std::fs::rename(&dbf, dir.path().join("moved.dbf")).unwrap();
    expect_error(&[&grids], &o, &grids, ".dbf of the same name) is missing");
    std::fs::rename(dir.path().join("moved.dbf"), &dbf).unwrap();

    // Truncated .shp.
    std::fs::write(&grids, &shp_bytes[..shp_bytes.len() / 2]).unwrap();
    let e = expect_error(&[&grids], &o, &grids, "damaged or truncated");
    assert!(e.feature.is_some(), "names the record: {e}");
    std::fs::write(&grids, &shp_bytes).unwrap();

    // .dbf header claiming more records than the file holds.
    let mut wrong = dbf_bytes.clone();
    wrong[4..8].copy_from_slice(&(1000u32).to_le_bytes());
    std::fs::write(&dbf, &wrong).unwrap();
    expect_error(&[&grids], &o, &dbf, "declares 1000 records");
    // ... or fewer records than there are shapes.
    let mut fewer = dbf_bytes.clone();
    fewer[4..8].copy_from_slice(&(79u32).to_le_bytes());
    std::fs::write(&dbf, &fewer).unwrap();
    expect_error(
        &[&grids],
        &o,
        &grids,
        "80 shapes but the .dbf has 79 records",
    );
    std::fs::write(&dbf, &dbf_bytes).unwrap();

    // A .prj nobody can read.
    let prj = grids.with_extension("prj");
    std::fs::write(&prj, "PROJCS[\"Local grid\",GEOGCS[\"unknown").unwrap();
    expect_error(&[&grids], &o, &prj, "CRS in the .prj is not recognised");

    // No .prj: the CRS must be named; zone-free GK metres get a hint.
    std::fs::remove_file(&prj).unwrap();
    let e = expect_error(&[&grids], &o, &grids, "no .prj");
    assert!(e.needs_crs);
    let with = ReadOptions {
        source_crs: Some(Crs::epsg(4546)),
        ..Default::default()
    };
    assert_eq!(io::open(&[&grids], &with).unwrap().grids.len(), 80);
    let out = gridmap(&["audit", s(&grids)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a_grids.shp") && err.contains("--src-crs"),
        "{err}"
    );
    assert_eq!(
        gridmap(&["audit", s(&grids), "--src-crs", "EPSG:4546"])
            .status
            .code(),
        Some(0),
        "with the CRS named, the grids load and audit clean"
    );

    // Zone-prefixed eastings are recognised and the zone suggested.
    let mut shifted = p.clone();
    let rp = io::Reprojector::new(Crs::epsg(4546), Crs::epsg(4525)).unwrap();
    for g in &mut shifted.grids {
        use geo::MapCoordsInPlace;
        g.geometry.map_coords_in_place(|c| rp.point(c));
    }
    shifted.crs = Crs::epsg(4525);
    io::shp::write(&shifted, &dir.path().join("z.shp"), Default::default()).unwrap();
    let zg = dir.path().join("z_grids.shp");
    std::fs::remove_file(zg.with_extension("prj")).unwrap();
    let e = expect_error(&[&zg], &o, &zg, "EPSG:4525");
    assert_eq!(e.suggested_crs, Some(Crs::epsg(4525)));
}

#[test]
fn odd_shapes_are_imported_where_possible() {
    use shapefile::{Point, Polygon, PolygonRing};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.shp");
    {
        let table = shapefile::dbase::TableWriterBuilder::new()
            .add_character_field(shapefile::dbase::FieldName::try_from("NAME").unwrap(), 20);
        let mut w = shapefile::Writer::from_path(&path, table).unwrap();
        let rec = |n: &str| {
            let mut r = shapefile::dbase::Record::default();
            r.insert(
                "NAME".into(),
                shapefile::dbase::FieldValue::Character(Some(n.into())),
            );
            r
        };
        let sq = |x0: f64, y0: f64, d: f64| {
            vec![
                Point::new(x0, y0),
                Point::new(x0 + d, y0),
                Point::new(x0 + d, y0 + d),
                Point::new(x0, y0 + d),
                Point::new(x0, y0),
            ]
        };
        // Shell and hole both counter-clockwise (wrong for ESRI): told apart by nesting.
        let mut hole = sq(500_100.0, 2_800_100.0, 100.0);
        hole.reverse();
        let mut shell = sq(500_000.0, 2_800_000.0, 300.0);
        shell.reverse();
        w.write_shape_and_record(
            &Polygon::with_rings(vec![PolygonRing::Inner(shell), PolygonRing::Inner(hole)]),
            &rec("带洞"),
        )
        .unwrap();
        // A ring of two points: dropped, the feature kept with a note.
        w.write_shape_and_record(
            &Polygon::with_rings(vec![PolygonRing::Outer(vec![
                Point::new(1.0, 1.0),
                Point::new(2.0, 2.0),
                Point::new(1.0, 1.0),
            ])]),
            &rec("坏"),
        )
        .unwrap();
        // Two parts.
        w.write_shape_and_record(
            &Polygon::with_rings(vec![
                PolygonRing::Outer(sq(501_000.0, 2_800_000.0, 10.0)),
                PolygonRing::Outer(sq(502_000.0, 2_800_000.0, 10.0)),
            ]),
            &rec("两块"),
        )
        .unwrap();
    }
    let opts = ReadOptions {
        source_crs: Some(Crs::epsg(4546)),
        ..Default::default()
    };
    let q = io::open(&[path.as_path()], &opts).unwrap();
    assert_eq!(q.grids.len(), 3);
    let holed = &q.grids[0];
    assert_eq!(holed.geometry.0.len(), 1);
    assert_eq!(holed.geometry.0[0].interiors().len(), 1);
    assert!((gridmap::geom::area(&holed.geometry) - 80_000.0).abs() < 1e-6);
    assert!(q.grids[1].geometry.0.is_empty());
    assert_eq!(q.input_notes.len(), 1);
    assert!(
        q.input_notes[0].en.contains("record #2"),
        "{:?}",
        q.input_notes
    );
    assert_eq!(q.grids[2].geometry.0.len(), 2);
    let report = gridmap::audit(&q, &Default::default());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.ids.contains(&q.grids[1].id)),
        "the broken record is reported by the audit"
    );
}

#[test]
fn bad_geopackages_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = ReadOptions::default();
    // An SQLite database that is not a GeoPackage.
    let db = dir.path().join("other.gpkg");
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")
        .status()
        .expect("sqlite3");
    assert!(status.success());
    expect_error(&[&db], &o, &db, "not a GeoPackage");
    // Not SQLite at all.
    let junk = dir.path().join("junk.gpkg");
    std::fs::write(
        &junk,
        "this is not a database, just text that is long enough ...",
    )
    .unwrap();
    expect_error(&[&junk], &o, &junk, "not a GeoPackage");
    // Written by a newer gridmap.
    let newer = dir.path().join("newer.gpkg");
    io::gpkg::write(&sample(), &newer).unwrap();
    let status = Command::new("sqlite3")
        .arg(&newer)
        .arg("UPDATE gridmap_meta SET value = '99' WHERE key = 'format_version';")
        .status()
        .unwrap();
    assert!(status.success());
    expect_error(&[&newer], &o, &newer, "written by a newer gridmap");
    let out = gridmap(&["audit", s(&newer)]);
    assert_eq!(out.status.code(), Some(2));
}

/// A save killed half-way leaves the previous file as it was.
#[test]
fn interrupted_save_keeps_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.gpkg");
    let p = sample();
    io::gpkg::write(&p, &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // The temporary file is written first; a failure before the rename (here: the
    // temporary name is taken by a folder) must not touch the project file.
    let tmp = dir
        .path()
        .join(format!(".p.gpkg.{}.tmp", std::process::id()));
    std::fs::create_dir(&tmp).unwrap();
    std::fs::write(tmp.join("x"), "x").unwrap();
    assert!(io::gpkg::write(&p, &path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(io::open(&[path.as_path()], &o()).unwrap(), p);
}

fn o() -> ReadOptions {
    ReadOptions::default()
}

/// Features without ids in several files get distinct generated ids.
#[test]
fn generated_ids_stay_unique_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (k, x) in [112.30, 112.31].iter().enumerate() {
        let path = dir.path().join(format!("part{k}.geojson"));
        std::fs::write(
            &path,
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"无编号"}},
                "geometry":{{"type":"Polygon","coordinates":[[[{x},25.4],[{x2},25.4],[{x2},25.41],[{x},25.41],[{x},25.4]]]}}}}]}}"#,
                x2 = x + 0.01
            ),
        )
        .unwrap();
        paths.push(path);
    }
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let q = io::open(&refs, &ReadOptions::default()).unwrap();
    assert_eq!(q.grids.len(), 2);
    assert_ne!(q.grids[0].id, q.grids[1].id);
}

// ------------------------------------------------------------------ KML, KMZ and DXF

fn export_to(p: &Project, out: &Path, gcj02: bool) {
    gridmap::commands::export(
        p,
        out,
        &gridmap::commands::ExportOptions {
            gcj02,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

fn same_other_layers(a: &Project, b: &Project) {
    assert_eq!(a.rivers.len(), b.rivers.len());
    for (r, q) in a.rivers.iter().zip(&b.rivers) {
        assert_eq!((&r.id, &r.name), (&q.id, &q.name));
        assert_eq!(r.geometry.0.len(), q.geometry.0.len());
    }
    assert_eq!(a.reservoirs.len(), b.reservoirs.len());
    assert_eq!(a.villages.len(), b.villages.len());
    for (v, w) in a.villages.iter().zip(&b.villages) {
        assert_eq!(
            (&v.id, &v.name, v.households),
            (&w.id, &w.name, w.households)
        );
        let d = (v.location.x() - w.location.x()).hypot(v.location.y() - w.location.y());
        assert!(d < 0.01, "village {} moved {d} m", v.id);
    }
    assert_eq!(a.boundary.len(), b.boundary.len());
}

/// The grids in id order: KML holds them in one folder per village.
fn grids_by_id(p: &Project) -> Project {
    let mut q = p.clone();
    q.grids.sort_by(|a, b| a.id.cmp(&b.id));
    q
}

#[test]
fn kml_and_kmz_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    for name in ["晋屏镇.kml", "晋屏镇.kmz"] {
        let path = dir.path().join(name);
        export_to(&p, &path, false);
        let q = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
        assert_eq!(q.crs, p.crs, "the GK zone of the data is chosen again");
        same_records(&grids_by_id(&p), &grids_by_id(&q), true);
        same_other_layers(&p, &q);
        assert_eq!(q.name, p.name);
    }
    // A KMZ is a zip holding doc.kml.
    let kmz = std::fs::File::open(dir.path().join("晋屏镇.kmz")).unwrap();
    let mut zip = zip::ZipArchive::new(kmz).unwrap();
    assert!(zip.by_name("doc.kml").is_ok());
}

#[test]
fn kml_in_gcj02_is_offset_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    let (wgs, gcj) = (dir.path().join("wgs.kml"), dir.path().join("gcj.kml"));
    export_to(&p, &wgs, false);
    export_to(&p, &gcj, true);
    let p = grids_by_id(&p);
    let plain = grids_by_id(&io::open(&[gcj.as_path()], &ReadOptions::default()).unwrap());
    // GCJ-02 moves points in Hunan by a few hundred metres.
    let shift = max_vertex_shift(&p.grids[0], &plain.grids[0]);
    assert!((100.0..1000.0).contains(&shift), "GCJ-02 offset {shift} m");
    let back = grids_by_id(
        &io::open(
            &[gcj.as_path()],
            &ReadOptions {
                gcj02: true,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    for (g, h) in p.grids.iter().zip(&back.grids) {
        let d = max_vertex_shift(g, h);
        assert!(d < 2.0, "{} is {d} m off after GCJ-02 and back", g.id);
    }
}

#[test]
fn kml_and_kmz_are_read_by_gdal() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    let total =
        p.boundary.len() + p.grids.len() + p.rivers.len() + p.reservoirs.len() + p.villages.len();
    for name in ["town.kml", "town.kmz"] {
        let path = dir.path().join(name);
        export_to(&p, &path, false);
        let all = tool("ogrinfo", &["-al", "-q", s(&path)]);
        let features = all.matches("OGRFeature(").count();
        assert_eq!(features, total, "{name}: features GDAL reads");
        let g = p
            .grids
            .iter()
            .find(|g| g.level == 3 && !g.staff.is_empty())
            .unwrap();
        assert!(
            all.contains(&format!("Name (String) = {}", g.name)),
            "{all}"
        );
        assert!(
            all.contains(&format!("code (String) = {}", g.code)),
            "{name}: code"
        );
        assert!(all.contains(&g.staff[0].phone), "{name}: staff phone");
        // Folders per village: the village's folder is a layer named after it.
        let village = p
            .grids
            .iter()
            .find(|v| Some(&v.id) == g.parent.as_ref())
            .unwrap();
        let layers = tool("ogrinfo", &["-so", s(&path)]);
        assert!(layers.contains(&village.name), "{layers}");
        assert!(layers.contains("河流"), "{layers}");
    }
}

#[test]
fn kml_from_elsewhere_folders_and_extended_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patrol.kml");
    std::fs::write(
        &path,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>巡河</name>
<Folder><name>一村</name>
  <Placemark><name>一组</name>
    <ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="CODE">430001</SimpleData><SimpleData name="户数">52</SimpleData></SchemaData></ExtendedData>
    <MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>112.0,27.0,0 112.01,27.0,0 112.01,27.01,0 112.0,27.01,0 112.0,27.0,0</coordinates></LinearRing></outerBoundaryIs></Polygon>
    <Point><coordinates>112.005,27.005</coordinates></Point></MultiGeometry>
  </Placemark>
</Folder>
<Folder><name>河流</name>
  <Placemark><name>清水河</name><LineString><coordinates>111.99,27.005 112.02,27.006</coordinates></LineString></Placemark>
</Folder>
<Placemark><name>井</name><Point><coordinates>112.003,27.002</coordinates></Point></Placemark>
</Document></kml>"##,
    )
    .unwrap();
    let p = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(p.name, "巡河");
    assert_eq!(p.grids.len(), 1);
    let g = &p.grids[0];
    assert_eq!(
        (g.name.as_str(), g.code.as_str(), g.households),
        ("一组", "430001", Some(52))
    );
    assert_eq!(g.extra.get("folder").and_then(|v| v.as_str()), Some("一村"));
    // About 1,000 m x 1,110 m at 27N.
    let area = gridmap::geom::area(&g.geometry);
    assert!((1.0e6..1.2e6).contains(&area), "{area}");
    assert_eq!(p.rivers.len(), 1);
    assert_eq!(p.rivers[0].name, "清水河");
    assert_eq!(p.villages.len(), 1);
    assert_eq!(p.villages[0].name, "井");
}

#[test]
fn dxf_round_trip_keeps_every_layer_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample();
    let path = dir.path().join("晋屏镇.dxf");
    export_to(&p, &path, false);
    let q = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.crs, p.crs, "the drawing names its CRS");
    same_records(&p, &q, true);
    same_other_layers(&p, &q);
    // GDAL reads the names in Chinese (code page ANSI_936) and the layers per level.
    let texts = tool(
        "ogrinfo",
        &[
            "-q",
            s(&path),
            "-sql",
            "SELECT Layer, Text FROM entities WHERE Text IS NOT NULL",
        ],
    );
    let village = p.grids.iter().find(|g| g.level == 2).unwrap();
    assert!(
        texts.contains(&format!("Text (String) = {}", village.name)),
        "{texts}"
    );
    assert!(texts.contains("Layer (String) = 注记-村级"), "{texts}");
    let count = |layer: &str| {
        let out = tool(
            "ogrinfo",
            &[
                "-q",
                s(&path),
                "-sql",
                &format!("SELECT COUNT(*) FROM entities WHERE Layer = '{layer}'"),
            ],
        );
        out.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("COUNT_*")
                    .and_then(|r| r.split('=').nth(1))
            })
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{out}"))
    };
    let parts = |level: u8| -> usize {
        p.grids
            .iter()
            .filter(|g| g.level == level)
            .map(|g| {
                g.geometry
                    .0
                    .iter()
                    .map(|poly| 1 + poly.interiors().len())
                    .sum::<usize>()
            })
            .sum()
    };
    assert_eq!(count("网格-村级"), parts(2));
    assert_eq!(count("网格-组级"), parts(3));
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dxf")
        .join(name)
}

#[test]
fn dxf_from_cass_in_gbk_with_zone_prefix() {
    let path = fixture("cass_r2000_gbk.dxf");
    let p = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(p.crs, Crs::epsg(4526), "zone 38 from the eastings");
    let by_name = |n: &str| {
        p.grids
            .iter()
            .find(|g| g.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let (east, west) = (by_name("东村"), by_name("西村"));
    let (one, two) = (by_name("一组"), by_name("二组"));
    assert_eq!((east.level, west.level, one.level, two.level), (2, 2, 3, 3));
    assert_eq!(one.parent.as_ref(), Some(&east.id));
    assert_eq!(two.parent.as_ref(), Some(&east.id));
    // The block attribute CODE names 西村's code; HH is kept.
    assert_eq!(west.code, "430000000002");
    assert_eq!(west.extra.get("HH").and_then(|v| v.as_str()), Some("128"));
    let area = |g: &Grid| gridmap::geom::area(&g.geometry);
    assert!((area(west) - 800_000.0).abs() < 1e-6, "{}", area(west));
    // A half circle of radius 400 m on the east side, approximated within 1 cm.
    let exact = 800_000.0 + std::f64::consts::PI * 400.0 * 400.0 / 2.0;
    let deficit = exact - area(east);
    assert!(
        (0.0..10.0).contains(&deficit),
        "area {} vs {exact}",
        area(east)
    );
    let (cx, cy) = (38_501_000.0, 3_000_400.0);
    let ring = &east.geometry.0[0].exterior().0;
    for w in ring.windows(2) {
        for c in [w[0], w[1]] {
            if c.x > cx + 1e-6 {
                let r = (c.x - cx).hypot(c.y - cy);
                assert!((r - 400.0).abs() < 1e-3, "vertex {c:?} at {r} m");
            }
        }
        if w[0].x > cx + 1e-6 && w[1].x > cx + 1e-6 {
            let r = ((w[0].x + w[1].x) / 2.0 - cx).hypot((w[0].y + w[1].y) / 2.0 - cy);
            assert!(
                400.0 - r <= 0.0101,
                "chord {w:?} is {} m inside the arc",
                400.0 - r
            );
        }
    }
    assert!((area(one) + area(two) - area(east)).abs() < 1e-3);
    // The river is read; the well (a CIRCLE) is reported, not read.
    assert_eq!(p.rivers.len(), 1);
    assert!(
        p.input_notes.iter().any(|n| n.en.contains("CIRCLE")),
        "{:?}",
        p.input_notes
    );
    // The groups tile their village exactly: no gap, overlap or sliver.
    let report = gridmap::Auditor::new(&p, Default::default()).report(&p);
    for f in &report.findings {
        assert!(
            !matches!(
                f.kind.as_str(),
                "gap" | "overlap" | "sliver" | "outside_parent" | "invalid_edge"
            ),
            "{f:?}"
        );
    }
    // GDAL reads the same drawing's text in the same code page.
    let texts = tool(
        "ogrinfo",
        &[
            "-q",
            s(&path),
            "-sql",
            "SELECT Text FROM entities WHERE Text IS NOT NULL",
        ],
    );
    assert!(texts.contains("东村") && texts.contains("二组"), "{texts}");
}

#[test]
fn dxf_layers_can_be_chosen() {
    let path = fixture("cass_r2000_gbk.dxf");
    let layers = io::dxf::layers(&path, &ReadOptions::default()).unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    for l in ["村界", "组界", "河流", "井"] {
        assert!(names.contains(&l), "{names:?}");
    }
    let p = io::open(
        &[path.as_path()],
        &ReadOptions {
            dxf_layers: Some(vec!["组界".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let mut names: Vec<&str> = p.grids.iter().map(|g| g.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["一组", "二组"]);
    assert!(p.grids.iter().all(|g| g.level == 2 && g.parent.is_none()));
    assert!(p.rivers.is_empty());
}

#[test]
fn dxf_without_zone_prefix_asks_for_the_crs() {
    let path = fixture("utf8_r2013_nozone.dxf");
    let e = io::open(&[path.as_path()], &ReadOptions::default()).unwrap_err();
    assert!(e.needs_crs, "{e}");
    assert!(e.message().contains("utf8_r2013_nozone.dxf"), "{e}");
    assert!(e.en.contains("EPSG:4534-4554"), "{e}");
    let p = io::open(
        &[path.as_path()],
        &ReadOptions {
            source_crs: Some(Crs::epsg(4545)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(p.crs, Crs::epsg(4545));
    assert_eq!(p.grids[0].name, "南村");
    assert!((gridmap::geom::area(&p.grids[0].geometry) - 240_000.0).abs() < 1e-6);
}

#[test]
fn damaged_kml_kmz_and_dxf_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.dxf");
    export_to(&sample(), &good, false);
    let bytes = std::fs::read(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut.dxf", bytes[..bytes.len() / 3].to_vec()),
        (
            "noise.dxf",
            (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        (
            "cut.kml",
            b"<?xml version=\"1.0\"?><kml><Document><Placemark><Polygon><outer".to_vec(),
        ),
        ("bad.kmz", b"PK\x03\x04 not really a zip".to_vec()),
        ("empty.kmz", {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("readme.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut z, b"no kml").unwrap();
            z.finish().unwrap();
            buf.into_inner()
        }),
    ];
    for (name, data) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        match io::open(&[path.as_path()], &ReadOptions::default()) {
            Err(e) => {
                assert!(e.message().contains(name), "{name}: {e}");
                assert!(!e.zh.is_empty() && !e.en.is_empty());
            }
            // A cut drawing may still hold whole entities before the cut.
            Ok(p) => assert!(
                name == "cut.dxf" && p.grids.len() < sample().grids.len(),
                "{name}"
            ),
        }
    }
}

#[test]
fn mixed_geometry_files_and_data_outside_china() {
    let dir = tempfile::tempdir().unwrap();
    // A district set with its border line and a point: polygons become grids, the others
    // are reported and skipped; data in Paris get the UTM zone of Paris.
    let path = dir.path().join("districts.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[2.30,48.85],[2.31,48.85],[2.31,48.86],[2.30,48.86],[2.30,48.85]]]}},
 {"type":"Feature","properties":{"name":"B"},"geometry":{"type":"Polygon","coordinates":[[[2.31,48.85],[2.32,48.85],[2.32,48.86],[2.31,48.86],[2.31,48.85]]]}},
 {"type":"Feature","properties":{"name":"border"},"geometry":{"type":"LineString","coordinates":[[2.30,48.85],[2.32,48.85]]}},
 {"type":"Feature","properties":{"name":"mairie"},"geometry":{"type":"Point","coordinates":[2.305,48.855]}}]}"#,
    )
    .unwrap();
    let p = io::open(&[path.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(p.grids.len(), 2);
    assert_eq!(p.crs, Crs::epsg(32631));
    let skipped = p
        .input_notes
        .iter()
        .filter(|n| n.en.contains("skipped"))
        .count();
    assert_eq!(skipped, 2, "{:?}", p.input_notes);
    assert!(
        p.input_notes.iter().any(|n| n.en.contains("UTM")),
        "{:?}",
        p.input_notes
    );
    // 0.01 x 0.01 degrees at 48.85N: about 733 m x 1,112 m.
    let a = gridmap::geom::area(&p.grids[0].geometry);
    assert!((a - 733.0 * 1112.0).abs() / a < 0.01, "{a}");
    let report = gridmap::Auditor::new(&p, Default::default()).report(&p);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.en.contains("skipped")),
        "the audit runs and shows the skipped features"
    );
}

/// A GeoJSON of polygons (one ring each, in offsets of 1/1024 degree from `origin`) named
/// by id, in longitude/latitude or in `crs` when given.
fn rings_file(
    path: &Path,
    rings: &[(&str, Vec<(f64, f64)>)],
    origin: (f64, f64),
    crs: Option<&str>,
) {
    let features: Vec<serde_json::Value> = rings
        .iter()
        .map(|(id, ring)| {
            let mut coords: Vec<[f64; 2]> = ring
                .iter()
                .map(|&(x, y)| [origin.0 + x / 1024.0, origin.1 + y / 1024.0])
                .collect();
            coords.push(coords[0]);
            serde_json::json!({"type": "Feature", "properties": {"id": id, "name": id},
                "geometry": {"type": "Polygon", "coordinates": [coords]}})
        })
        .collect();
    let mut fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    if let Some(c) = crs {
        fc["crs"] = serde_json::json!({"type": "name", "properties": {"name": c}});
    }
    std::fs::write(path, fc.to_string()).unwrap();
}

/// What GEOS (through GDAL's SQLite dialect) says of each feature's validity.
fn geos_validity(path: &Path) -> String {
    tool(
        "ogrinfo",
        &[
            "-q",
            "-dialect",
            "SQLite",
            "-sql",
            "SELECT id, ST_IsValid(geometry) AS valid, ST_IsValidReason(geometry) AS reason FROM \"source\"",
            s(path),
        ],
    )
}

#[test]
fn validity_is_checked_where_the_data_was_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.geojson");
    // Offsets in 1/1024 degree (exact in binary, so collinear is exactly collinear).
    // "spike": a square whose top edge runs on past its corner and comes straight back (a
    // zero-width spike along the parallel).
    let spike = vec![(0.0, 0.0), (8.0, 0.0), (8.0, 8.0), (-5.0, 8.0), (0.0, 8.0)];
    // "touch": a ring touching itself: its vertex (20, 0) lies inside its first edge.
    let touch = vec![
        (16.0, 0.0),
        (24.0, 0.0),
        (24.0, 8.0),
        (20.0, 0.0),
        (16.0, 8.0),
    ];
    // "clean": the square without the spike, for the area.
    let clean = vec![(0.0, 16.0), (8.0, 16.0), (8.0, 24.0), (0.0, 24.0)];
    let origin = (110.0, 30.0);
    rings_file(
        &src,
        &[
            ("spike", spike.clone()),
            ("touch", touch.clone()),
            ("clean", clean),
        ],
        origin,
        None,
    );
    // GEOS calls both invalid where they were drawn.
    let geos = geos_validity(&src);
    for id in ["spike", "touch"] {
        let at = geos.find(&format!("id (String) = {id}")).unwrap();
        assert!(
            geos[at..].contains("valid (Integer) = 0"),
            "GEOS finds {id} invalid: {geos}"
        );
    }
    let p = io::open(&[src.as_path()], &ReadOptions::default()).unwrap();
    let working = p.crs;
    let report = gridmap::audit(&p, &Default::default());
    let finding = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.kind == gridmap::Kind::InvalidGeometry && f.ids == vec![id.to_string()])
            .unwrap_or_else(|| panic!("{id} has a validity finding: {:#?}", report.findings))
    };
    // The spike is named where it was (its tip) and taken out.
    let tip = finding("spike");
    assert_eq!(tip.severity, gridmap::Severity::Warning);
    assert!(
        tip.message.en.contains("spike") && tip.message.en.contains("109.9951172, 30.0078125"),
        "{}",
        tip.message.en
    );
    let grid = |id: &str| p.grids.iter().find(|g| g.id == id).unwrap();
    let to_working = io::Reprojector::new(Crs::epsg(4326), working).unwrap();
    let tip_at = to_working.point(Coord {
        x: origin.0 - 5.0 / 1024.0,
        y: origin.1 + 8.0 / 1024.0,
    });
    let marker = match &tip.geometry {
        Some(geo::Geometry::Point(pt)) => pt.0,
        g => panic!("the finding is marked at a point: {g:?}"),
    };
    assert!((marker.x - tip_at.x).abs() < 1e-3 && (marker.y - tip_at.y).abs() < 1e-3);
    use geo::CoordsIter;
    let nearest = grid("spike")
        .geometry
        .coords_iter()
        .map(|c| ((c.x - tip_at.x).powi(2) + (c.y - tip_at.y).powi(2)).sqrt())
        .fold(f64::INFINITY, f64::min);
    assert!(
        nearest > 100.0,
        "the tip is gone: nearest vertex {nearest} m"
    );
    let (a, b) = (
        gridmap::geom::area(&grid("spike").geometry),
        gridmap::geom::area(&grid("clean").geometry),
    );
    assert!(
        (a - b).abs() / b < 1e-3,
        "the square keeps its area: {a} vs {b}"
    );
    // The ring touching itself is an error, whichever way the projection moved the vertex.
    assert_eq!(finding("touch").severity, gridmap::Severity::Error);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.ids == vec!["clean".to_string()] && f.kind == gridmap::Kind::InvalidGeometry),
        "the clean square is valid"
    );

    // The fault this guards against: the same rings projected, then read in the working CRS
    // where they were not drawn, pass the working-CRS check (the spike became a thin
    // triangle, the touch came apart or crossed).
    let projected = dir.path().join("projected.geojson");
    let proj_ring = |ring: &[(f64, f64)]| -> Vec<(f64, f64)> {
        ring.iter()
            .map(|&(x, y)| {
                let c = to_working.point(Coord {
                    x: origin.0 + x / 1024.0,
                    y: origin.1 + y / 1024.0,
                });
                (c.x * 1024.0, c.y * 1024.0)
            })
            .collect()
    };
    rings_file(
        &projected,
        &[("spike", proj_ring(&spike)), ("touch", proj_ring(&touch))],
        (0.0, 0.0),
        Some(&working.urn()),
    );
    let q = io::open(&[projected.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(q.crs, working);
    let seen = gridmap::audit(&q, &Default::default());
    assert!(
        !seen
            .findings
            .iter()
            .any(|f| f.kind == gridmap::Kind::InvalidGeometry && f.ids == vec!["spike".to_string()]),
        "projected, the spike no longer shows: {:#?}",
        seen.findings
    );
}
