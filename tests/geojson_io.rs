//! Reading GeoJSON as it comes from township offices: Chinese property names, one file per
//! layer, projected data with a legacy `crs` member.

use gridmap::io::geojson::ReadOptions;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[112.30,25.40],[112.31,25.40],[112.31,25.41],[112.30,25.41],[112.30,25.40]]]}"#;

#[test]
fn chinese_property_names_are_understood() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "某镇河长制网格.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"名称":"上村一组","编码":"431099101001001","级别":"三级","上级":"V1","户数":"230","人口":810,"其他":"x"}},"geometry":{SQUARE}}}]}}"#
        ),
    );
    let project = gridmap::io::open(&[p.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(
        project.grids.len(),
        1,
        "a name containing 河 is still a grid file"
    );
    let g = &project.grids[0];
    assert_eq!(g.name, "上村一组");
    assert_eq!(g.code, "431099101001001");
    assert_eq!(g.id, "431099101001001");
    assert_eq!(g.level, 3);
    assert_eq!(g.parent.as_deref(), Some("V1"));
    assert_eq!(g.households, Some(230));
    assert_eq!(g.population, Some(810));
    assert_eq!(g.extra.get("其他").and_then(|v| v.as_str()), Some("x"));
    // 0.01 deg x 0.01 deg at 25.4 N is about 1005 m x 1107 m.
    let area = gridmap::geom::area(&g.geometry);
    assert!((area - 1_112_800.0).abs() < 5_000.0, "area {area}");
}

#[test]
fn one_file_per_layer() {
    let dir = tempfile::tempdir().unwrap();
    let grids = write(
        dir.path(),
        "grids.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"a","code":"1","level":1}},"geometry":{SQUARE}}}]}}"#
        ),
    );
    let rivers = write(
        dir.path(),
        "town_rivers.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"钟水河"},"geometry":{"type":"LineString","coordinates":[[112.301,25.405],[112.309,25.405]]}}]}"#,
    );
    let project = gridmap::io::open(
        &[grids.as_path(), rivers.as_path()],
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(project.grids.len(), 1);
    assert_eq!(project.rivers.len(), 1);
    assert_eq!(project.rivers[0].name, "钟水河");
    let report = gridmap::audit(&project, &Default::default());
    let r = &report.rivers[0];
    assert_eq!(r.by_grid.len(), 1);
    assert!((r.by_grid[0].length_m - r.length_m).abs() < 1e-6);
    assert!(
        (r.length_m - 805.0).abs() < 10.0,
        "0.008 deg of longitude at 25.4 N, got {}",
        r.length_m
    );
}

#[test]
fn legacy_crs_member_sets_the_working_crs() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "gk.geojson",
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}},"features":[{"type":"Feature","properties":{"name":"a","code":"1","level":1},"geometry":{"type":"Polygon","coordinates":[[[500000,3000000],[500100,3000000],[500100,3000100],[500000,3000100],[500000,3000000]]]}}]}"#,
    );
    let project = gridmap::io::open(&[p.as_path()], &ReadOptions::default()).unwrap();
    assert_eq!(project.crs.epsg, 4549);
    assert!((gridmap::geom::area(&project.grids[0].geometry) - 10_000.0).abs() < 1e-6);
}
