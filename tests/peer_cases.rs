//! The GEOS/JTS coverage test cases in tests/data/peer (test data extracted from GEOS,
//! LGPL-2.1, and JTS, EPL-2.0/EDL-1.0; origin in tests/data/peer/README.md): invalid edges (CoverageValidator
//! and CoveragePolygonValidator), gaps (CoverageGapFinder) and polygonal coverage union.
//! Deviations are listed in docs/reference.md ("Peer cases") with the reason.

use geo::{Geometry, LineString, MultiLineString, MultiPolygon};
use gridmap::audit::validate_coverage;
use gridmap::geom::{self, WindingRule};
use serde_json::Value;
use std::collections::BTreeSet;
use wkt::TryFromWkt;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/peer/geos-coverage-cases.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Vec<Value>>(&text).expect("peer cases parse")
}

fn parse(wkt: &str) -> Geometry<f64> {
    Geometry::try_from_wkt_str(wkt).unwrap_or_else(|e| panic!("WKT {wkt}: {e}"))
}

fn polygonal(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}

/// Undirected segments, rounded to 1e-9, of lines.
fn segments(lines: &[LineString<f64>]) -> BTreeSet<[i64; 4]> {
    let r = |v: f64| (v * 1e9).round() as i64;
    let mut s = BTreeSet::new();
    for l in lines {
        for w in l.0.windows(2) {
            let (a, b) = ((r(w[0].x), r(w[0].y)), (r(w[1].x), r(w[1].y)));
            let (p, q) = if a <= b { (a, b) } else { (b, a) };
            if p != q {
                s.insert([p.0, p.1, q.0, q.1]);
            }
        }
    }
    s
}

fn expected_lines(v: &Value) -> Vec<LineString<f64>> {
    match v.as_str() {
        None => Vec::new(),
        Some(w) => match parse(w) {
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(m) => m.0,
            Geometry::GeometryCollection(_) => Vec::new(),
            other => panic!("unexpected expected geometry {other:?}"),
        },
    }
}

fn lines_of(m: &Option<MultiLineString<f64>>) -> Vec<LineString<f64>> {
    m.as_ref().map(|m| m.0.clone()).unwrap_or_default()
}

#[test]
fn invalid_edges_match_geos_and_jts() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for c in cases().iter().filter(|c| c["kind"] == "invalid_edges") {
        let name = c["name"].as_str().unwrap_or("?");
        let inputs: Vec<Option<MultiPolygon<f64>>> = c["input"]
            .as_array()
            .expect("input")
            .iter()
            .map(|w| w.as_str().and_then(|w| polygonal(&parse(w))))
            .collect();
        let refs: Vec<Option<&MultiPolygon<f64>>> = inputs.iter().map(|p| p.as_ref()).collect();
        let gap = c["gap_width"].as_f64().unwrap_or(0.0);
        let res = validate_coverage(&refs, gap);
        ran += 1;
        let api = c["api"].as_str().unwrap_or("");
        if api.contains("CoveragePolygonValidator") {
            let want = segments(&expected_lines(&c["expected"]));
            let got = segments(&lines_of(&res.invalid_edges[0]));
            if want != got {
                failures.push(format!("{name}: target expected {want:?}, got {got:?}"));
            }
        } else {
            if let Some(per) = c["expected_per_input"].as_array() {
                for (i, e) in per.iter().enumerate() {
                    let want = segments(&expected_lines(e));
                    let got = segments(&lines_of(&res.invalid_edges[i]));
                    if want != got {
                        failures.push(format!("{name}: input {i} expected {want:?}, got {got:?}"));
                    }
                }
            }
            if let Some(valid) = c["expected_valid"].as_bool() {
                let got = res.invalid_edges.iter().all(|e| e.is_none());
                if valid != got {
                    failures.push(format!("{name}: expected valid={valid}, got {got}"));
                }
            }
        }
    }
    assert!(ran >= 70, "only {ran} invalid-edge cases found");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Union of an exactly noded polygonal coverage by edge cancellation and winding fill.
fn coverage_union(polys: &[MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let mut edges = Vec::new();
    for p in polys {
        geom::push_directed_edges(p, false, &mut edges);
    }
    let cycles = geom::edges_to_cycles(&geom::cancel_opposite(edges));
    geom::fill_cycles(&cycles, WindingRule::Positive)
}

#[test]
fn gaps_match_coverage_gap_finder() {
    let mut ran = 0;
    for c in cases().iter().filter(|c| c["kind"] == "gaps") {
        let inputs: Vec<MultiPolygon<f64>> = c["input"]
            .as_array()
            .expect("input")
            .iter()
            .filter_map(|w| w.as_str().and_then(|w| polygonal(&parse(w))))
            .collect();
        let gap_width = c["gap_width"].as_f64().unwrap_or(0.0);
        let union = coverage_union(&inputs);
        let gaps: Vec<MultiPolygon<f64>> = union
            .0
            .iter()
            .flat_map(|p| p.interiors().iter())
            .map(|h| {
                MultiPolygon(vec![geom::canonical_polygon(&geo::Polygon::new(
                    h.clone(),
                    vec![],
                ))])
            })
            .filter(|g| 2.0 * geom::max_inscribed_circle(g, 1e-6).1 <= gap_width)
            .collect();
        let want = c["expected"]
            .as_str()
            .and_then(|w| polygonal(&parse(w)))
            .unwrap_or(MultiPolygon(vec![]));
        let got_area: f64 = gaps.iter().map(geom::area).sum();
        assert!(
            (got_area - geom::area(&want)).abs() < 1e-9,
            "{}: gap area {got_area} vs {}",
            c["name"],
            geom::area(&want)
        );
        assert_eq!(gaps.len(), want.0.len(), "{}", c["name"]);
        ran += 1;
    }
    assert_eq!(ran, 2);
}

#[test]
fn polygon_union_matches_coverage_union() {
    let (mut ran, mut lines, mut noding) = (0, 0, 0);
    for c in cases().iter().filter(|c| c["kind"] == "union") {
        let inputs: Vec<Geometry<f64>> = c["input"]
            .as_array()
            .expect("input")
            .iter()
            .filter_map(|w| w.as_str().map(parse))
            .collect();
        let polys: Vec<MultiPolygon<f64>> = inputs.iter().filter_map(polygonal).collect();
        if polys.len() != inputs.len() {
            lines += 1; // line coverages are not grids (docs/reference.md, "Peer cases")
            continue;
        }
        let union = coverage_union(&polys);
        // GEOS/JTS refuse incorrectly noded input; the winding overlay nodes it, so the
        // union must equal the exact boolean union instead.
        let want_area = match (c["expected_error"].as_bool(), c["expected"].as_str()) {
            (Some(true), _) | (_, None) => {
                noding += usize::from(c["expected_error"].as_bool() == Some(true));
                use geo::BooleanOps;
                let mut acc = MultiPolygon(vec![]);
                for p in &polys {
                    acc = acc.union(p);
                }
                geom::area(&acc)
            }
            (_, Some(w)) => polygonal(&parse(w)).map(|m| geom::area(&m)).unwrap_or(0.0),
        };
        let got = geom::area(&union);
        assert!(
            (got - want_area).abs() <= 1e-9 * want_area.max(1.0),
            "{}: area {got} vs {want_area}",
            c["name"]
        );
        ran += 1;
    }
    assert_eq!((ran, lines, noding), (43, 9, 4));
}
