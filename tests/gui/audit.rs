//! The audit list: fixing gaps from their rows, zooming to findings, the panel.

use crate::common::ui::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridmap::audit::Kind;
use gridmap::geom;
use gridmap::ui::GridmapApp;

/// The gap's row in the audit list offers both fixes: merge into the neighbour with the
/// longest shared boundary (the default), or a new grid that is named and coded.
#[test]
fn a_gap_is_fixed_from_its_row_in_the_audit_list() {
    let mut h = app("jinping-faulty.geojson");
    fn errors_now(h: &Harness<GridmapApp>) -> Vec<(Kind, Vec<String>)> {
        h.state()
            .doc
            .auditor()
            .findings()
            .filter(|f| f.severity == gridmap::Severity::Error)
            .map(|f| (f.kind, f.ids.clone()))
            .collect()
    }
    let errors = errors_now(&h);
    let gap = h
        .state()
        .doc
        .auditor()
        .findings()
        .find(|f| f.kind == Kind::Gap)
        .cloned()
        .unwrap();
    let geo::Geometry::MultiPolygon(shape) = gap.geometry.clone().unwrap() else {
        panic!("a gap is an area");
    };
    let level = h.state().gap_level(&gap);
    let targets = gridmap::edit::gap_neighbours(
        &h.state().doc,
        &shape,
        level,
        gap.ids.last().map(String::as_str),
    );
    assert!(targets.len() >= 2, "{targets:?}");
    assert!(targets.windows(2).all(|w| w[0].1 >= w[1].1));
    let best = h.state().doc.grid(&targets[0].0).unwrap().clone();
    h.get_by_label(&format!("并入 {}", best.label())).click();
    h.run_steps(3);
    assert_eq!(count(&h, Kind::Gap), 0, "{}", h.state().message);
    let grown = h.state().doc.grid(&best.id).unwrap();
    let added = geom::area(&grown.geometry) - geom::area(&best.geometry);
    assert!(
        (added - gap.area_m2.unwrap()).abs() < 0.01 * added,
        "{added}"
    );
    // No new error; the brook across the gap is in a grid now too.
    let after = errors_now(&h);
    assert!(after.iter().all(|e| errors.contains(e)), "{after:?}");
    assert_eq!(after.len(), errors.len() - 2, "{after:?}");
    assert_eq!(count(&h, Kind::RiverOutsideGrids), 0);
    assert_eq!(h.state().selection, vec![best.id.clone()]);
    // Undo, then make it a grid of its own: named after the village, with the next code.
    ctrl_z(&mut h);
    assert_eq!(count(&h, Kind::Gap), 1);
    let row = h
        .state()
        .doc
        .auditor()
        .findings()
        .filter(|f| matches!(f.kind, Kind::Gap | Kind::Sliver))
        .position(|f| f.kind == Kind::Gap)
        .unwrap();
    h.get_all_by_label("新建网格").nth(row).unwrap().click();
    h.run_steps(3);
    assert_eq!(count(&h, Kind::Gap), 0);
    let g = h.state().doc.project().grids.last().unwrap().clone();
    let parent = h
        .state()
        .doc
        .grid(g.parent.as_deref().unwrap())
        .unwrap()
        .clone();
    assert_eq!(g.name, format!("{}补充网格", parent.label()));
    assert!(g.code.starts_with(&parent.code) && g.code.len() == parent.code.len() + 3);
    assert!(
        h.state()
            .doc
            .auditor()
            .findings_for(&g.id)
            .iter()
            .all(|f| !matches!(
                f.kind,
                Kind::MissingName | Kind::MissingCode | Kind::DuplicateCode
            )),
        "{:?}",
        h.state().doc.auditor().findings_for(&g.id)
    );
    assert_eq!(
        h.state().selection,
        vec![g.id.clone()],
        "ready for its records"
    );
}

/// The audit panel is resized by dragging its top edge.
#[test]
fn the_audit_panel_is_resizable() {
    let mut h = app("jinping-faulty.geojson");
    let top = |h: &Harness<GridmapApp>| h.get_by_label("检查结果").rect().top();
    let before = top(&h);
    // Grabbed just above the panel's edge, on the map's side.
    let edge = h
        .get_all_by_role(egui::accesskit::Role::Splitter)
        .map(|n| n.rect())
        .find(|r| r.width() > r.height())
        .expect("the audit panel's resize handle")
        .center()
        - egui::vec2(0.0, 2.0);
    drag(&mut h, edge, edge - egui::vec2(0.0, 150.0), 5);
    let after = top(&h);
    assert!(before - after > 100.0, "{before} -> {after}");
}

#[test]
fn fill_gap_button_turns_the_gap_into_a_grid() {
    let mut h = app("jinping-faulty.geojson");
    let gap_finding = zoom_to_gap(&mut h);
    let area = gap_finding.area_m2.unwrap();
    h.get_by_label("填补缝隙").click();
    h.run_steps(3);
    assert_eq!(count(&h, Kind::Gap), 0);
    let g = h.state().doc.project().grids.last().unwrap();
    assert!((geom::area(&g.geometry) - area).abs() < 0.01 * area);
}

/// 定位 on a finding of grids selects them and shows their properties.
#[test]
fn zoom_to_a_finding_selects_its_grid() {
    let mut h = app("jinping-faulty.geojson");
    let (row, ids) = h
        .state()
        .doc
        .auditor()
        .findings()
        .enumerate()
        .take(6)
        .find(|(_, f)| {
            !matches!(f.kind, Kind::Gap | Kind::Sliver)
                && f.ids
                    .first()
                    .is_some_and(|id| h.state().doc.grid(id).is_some())
        })
        .map(|(i, f)| (i, f.ids.clone()))
        .expect("a finding of grids near the top");
    h.get_all_by_label("定位").nth(row).unwrap().click();
    h.run_steps(3);
    let sel = h.state().selection.clone();
    assert!(
        !sel.is_empty() && sel.iter().all(|s| ids.contains(s)),
        "{sel:?} {ids:?}"
    );
    let name = h.state().doc.grid(&sel[0]).unwrap().name.clone();
    assert!(
        h.query_all_by_value(&name).next().is_some(),
        "the properties show {name}"
    );
}
