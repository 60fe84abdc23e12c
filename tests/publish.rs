//! `gridmap publish`: the residents' website. Pages name their grid, its people and the
//! hotline; phones stay private unless asked; markup in names is text; codes that are not
//! safe as paths stay inside the site; a project with audit errors is refused unless allowed.

mod common;

use gridmap::commands::{CommandError, PublishOptions, publish};
use gridmap::publish::{PageOptions, page_dirs};

fn options(public_phones: bool) -> PublishOptions {
    PublishOptions {
        pages: PageOptions {
            title: None,
            hotline: Some("0735-1234567".into()),
            public_phones,
            tianditu_key: None,
        },
        date: "2026-12-05".into(),
        allow_errors: false,
        base_url: Some("https://example.gov.cn/wg".into()),
    }
}

fn page(site: &std::path::Path, dir: &str) -> String {
    std::fs::read_to_string(site.join("g").join(dir).join("index.html")).unwrap()
}

#[test]
fn each_grid_page_names_the_grid_its_people_and_the_hotline_and_hides_phones() {
    let project = common::sample();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let done = publish(&project, &site, &options(false)).unwrap();
    assert_eq!(
        done.files.len(),
        project.grids.len() + 11,
        "pages, index, css, search, links; the map's data and script, Leaflet's script, \
         style, licence and two images"
    );
    let dirs = page_dirs(&project);
    let with_staff = project
        .grids
        .iter()
        .position(|g| g.staff.iter().any(|p| !p.phone.is_empty()))
        .expect("the sample has staff with phones");
    for (g, d) in project.grids.iter().zip(&dirs) {
        let p = page(&site, d);
        assert!(p.contains(&format!("<h1>{}</h1>", g.label())), "{}", g.id);
        assert!(p.contains("noindex"));
        assert!(p.contains("tel:0735-1234567"), "the hotline is a call link");
        for person in &g.staff {
            assert!(p.contains(person.name.trim()), "{}: {}", g.id, person.name);
            if !person.phone.trim().is_empty() {
                assert!(
                    !p.contains(person.phone.trim()),
                    "{}: phone published",
                    g.id
                );
            }
        }
    }
    // Each page draws its grid, and links the grids of its level around it from the map;
    // it needs no script.
    for (i, (g, d)) in project.grids.iter().zip(&dirs).enumerate() {
        let p = page(&site, d);
        assert!(
            p.contains("<svg class=\"map\"") && p.contains("<path class=\"g\""),
            "{}",
            g.id
        );
        assert!(!p.contains("<script"), "{}", g.id);
        let svg = &p[p.find("<svg").unwrap()..];
        for (k, n) in project.grids.iter().enumerate() {
            let touches = k != i
                && n.level == g.level
                && geo::Intersects::intersects(&n.geometry, &g.geometry);
            if touches {
                assert!(
                    svg.contains(&format!(
                        "<a href=\"../../g/{}/index.html\"><path class=\"n\"",
                        dirs[k]
                    )),
                    "{}: neighbour {} not on its map",
                    g.id,
                    n.id
                );
            }
        }
    }
    // No file of the site holds the staff's phones.
    let phone = project.grids[with_staff].staff[0].phone.trim().to_string();
    for f in &done.files {
        let bytes = std::fs::read(site.join(f)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&phone),
            "{f} holds a phone"
        );
    }
    // The addresses for the boards' QR codes.
    let links = std::fs::read_to_string(site.join("links.csv")).unwrap();
    let g = &project.grids[with_staff];
    assert!(links.contains(&format!(
        "\"{}\",\"{}\",\"{}\",\"https://example.gov.cn/wg/g/{}/\"",
        g.id,
        g.code,
        g.label(),
        dirs[with_staff]
    )));
    // With --public-phones each phone is a call link.
    publish(&project, &site, &options(true)).unwrap();
    let p = page(&site, &dirs[with_staff]);
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    assert!(p.contains(&format!("tel:{digits}")), "{p}");
}

#[test]
fn markup_in_names_and_codes_unsafe_as_paths_stay_text_inside_the_site() {
    let mut project = common::sample();
    project.grids[1].name = "<script>alert('x')</script>".into();
    project.grids[2].code = "../../../evil".into();
    project.grids[2].staff[0].name = "\"><img src=x onerror=alert(1)>".into();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("a").join("site");
    let mut opts = options(false);
    opts.allow_errors = true;
    publish(&project, &site, &opts).unwrap();
    let dirs = page_dirs(&project);
    let p1 = page(&site, &dirs[1]);
    assert!(
        p1.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{p1}"
    );
    assert!(!p1.contains("<script>alert"));
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(!index.contains("<script>alert") && !index.contains("<img src=x"));
    assert!(dirs[2].starts_with("_2E_2E_2F"), "{}", dirs[2]);
    let p2 = page(&site, &dirs[2]);
    assert!(
        p2.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{p2}"
    );
    // Nothing was written outside the site's folder.
    let beside: Vec<_> = std::fs::read_dir(tmp.path().join("a")).unwrap().collect();
    assert_eq!(beside.len(), 1);
    assert!(!tmp.path().join("evil").exists());
}

#[test]
fn a_project_with_audit_errors_is_published_only_when_allowed() {
    let project = common::load("jinping-faulty.geojson");
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let e = publish(&project, &site, &options(false)).unwrap_err();
    assert!(
        matches!(e, CommandError::PublishWithErrors(n) if n > 0),
        "{e}"
    );
    assert!(e.to_string().contains("--allow-errors"));
    assert!(!site.exists());
    let mut opts = options(false);
    opts.allow_errors = true;
    publish(&project, &site, &opts).unwrap();
    assert!(site.join("index.html").is_file());
}

#[test]
fn the_cli_publishes_and_refuses_a_folder_that_is_not_a_site() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let sample = common::sample_path();
    common::gridmap_ok(&["publish", common::s(&sample), "--out", common::s(&site)]);
    assert!(site.join("index.html").is_file());
    let docs = tmp.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("notes.txt"), "keep").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridmap"))
        .args(["publish", common::s(&sample), "--out", common::s(&docs)])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("不会覆盖") && err.contains("not overwritten"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(docs.join("notes.txt")).unwrap(),
        "keep"
    );
}

/// The township page as Chromium leaves it after its scripts ran, opened at `query`.
fn browser_dom(index: &std::path::Path, query: &str) -> String {
    let url = format!("file://{}?q={query}", index.display());
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            &url,
        ])
        .output()
        .expect("chromium runs (make test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The grid names the page shows (list items not hidden by the search).
fn shown(dom: &str) -> Vec<String> {
    dom.split("<li ")
        .skip(1)
        .filter(|li| !li.split('>').next().unwrap_or("").contains("display: none"))
        .filter_map(|li| {
            let a = li.split("index.html\">").nth(1)?;
            Some(a.split("</a>").next()?.to_string())
        })
        .collect()
}

#[test]
fn the_search_finds_grids_by_name_and_staff_in_a_real_browser() {
    let mut project = common::sample();
    project.grids[3].name = "<script>document.title='x'</script>".into();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let mut opts = options(false);
    opts.allow_errors = true;
    publish(&project, &site, &opts).unwrap();
    let index = site.join("index.html");
    // By part of a name: every grid whose name holds it, and no other.
    let part = "一组";
    let want: Vec<String> = project
        .grids
        .iter()
        .filter(|g| g.label().contains(part))
        .map(|g| g.label().to_string())
        .collect();
    assert!(want.len() >= 2);
    assert_eq!(shown(&browser_dom(&index, part)), want);
    // By a staff member's name: that person's grids.
    let person = project.grids[5].staff[0].name.trim().to_string();
    let want: Vec<String> = project
        .grids
        .iter()
        .filter(|g| g.staff.iter().any(|p| p.name.trim() == person))
        .map(|g| g.label().to_string())
        .collect();
    assert_eq!(shown(&browser_dom(&index, &person)), want, "{person}");
    // Nothing found: the page says so.
    let dom = browser_dom(&index, "no-such-grid");
    assert!(shown(&dom).is_empty());
    assert!(
        dom.contains("id=\"none\" class=\"none\" style=\"display: block;\""),
        "{dom}"
    );
    // Without a query every grid shows; the name with a script is text and did not run.
    let dom = browser_dom(&index, "");
    assert_eq!(shown(&dom).len(), project.grids.len());
    assert!(
        dom.contains("&lt;script&gt;document.title='x'&lt;/script&gt;"),
        "{dom}"
    );
    assert!(!dom.contains("<title>x</title>"));
}

#[test]
fn the_search_finds_grids_and_villages_by_pinyin_initials_in_a_real_browser() {
    let project = common::sample();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    publish(&project, &site, &options(false)).unwrap();
    let index = site.join("index.html");
    assert!(project.grids.iter().any(|g| g.label() == "柏树村三组"));
    // Initials are ambiguous (三 and 四 are both s): 柏树村三组 and the grids that read alike.
    assert_eq!(
        shown(&browser_dom(&index, "bscsz")),
        vec!["白沙村三组", "柏树村三组", "柏树村四组"]
    );
    // A village's initials find the village and its grids: 柏树村 and 白沙村 are both bsc.
    let parent = |g: &gridmap::model::Grid| {
        let p = g.parent.as_deref()?;
        project.grids.iter().find(|q| q.id == p).map(|q| q.label())
    };
    let villages = ["柏树村", "白沙村"];
    let mut want: Vec<String> = project
        .grids
        .iter()
        .filter(|g| {
            villages.contains(&g.label()) || parent(g).is_some_and(|p| villages.contains(&p))
        })
        .map(|g| g.label().to_string())
        .collect();
    assert!(want.len() > 2, "{want:?}");
    want.sort();
    let mut got = shown(&browser_dom(&index, "bsc"));
    got.sort();
    assert_eq!(got, want);
}

/// Runs `tests/browser/cdp.py` (Chromium over its DevTools pipe, the site on a loopback
/// port) with these steps; the values of its "eval" steps.
fn in_browser(site: &std::path::Path, steps: serde_json::Value) -> Vec<serde_json::Value> {
    let file = site.with_extension("steps.json");
    std::fs::write(&file, steps.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/cdp.py");
    let out = std::process::Command::new("python3")
        .args([script, common::s(site), common::s(&file)])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A point well inside grid `g`, as longitude and latitude.
fn inside_lonlat(project: &gridmap::model::Project, g: usize) -> (f64, f64) {
    use geo::InteriorPoint;
    let p = project.grids[g].geometry.interior_point().unwrap();
    let rp = gridmap::io::Reprojector::new(project.crs, gridmap::model::Crs::epsg(4326)).unwrap();
    let c = rp.point(p.0);
    (c.x, c.y)
}

#[test]
fn where_am_i_names_the_grid_at_the_phones_location_or_a_tap_in_a_real_browser() {
    let project = common::sample();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    publish(&project, &site, &options(false)).unwrap();
    let dirs = page_dirs(&project);
    let by_id = project.grid_index();
    // Finest grids of four different villages.
    let mut picked: Vec<usize> = Vec::new();
    for (i, g) in project.grids.iter().enumerate() {
        if g.level == 3 && picked.iter().all(|&k| project.grids[k].parent != g.parent) {
            picked.push(i);
        }
    }
    assert!(picked.len() >= 4);
    let picked = [
        picked[0],
        picked[picked.len() / 2],
        picked[picked.len() - 1],
        picked[1],
    ];
    let mut steps = vec![
        serde_json::json!({"viewport": [390, 844]}),
        serde_json::json!({"open": "index.html"}),
        serde_json::json!({"wait": "window.GRIDMAP_MAP"}),
    ];
    let here = "document.getElementById('here')";
    let ask = |steps: &mut Vec<serde_json::Value>| {
        steps.push(serde_json::json!({"run": format!("{here}.removeAttribute('data-grid')")}));
        steps.push(serde_json::json!({"click": "#where"}));
    };
    let answer = |steps: &mut Vec<serde_json::Value>| {
        steps.push(
            serde_json::json!({"wait": format!("{here}.getAttribute('data-grid') !== null")}),
        );
        steps.push(serde_json::json!({
            "eval": format!("[{here}.getAttribute('data-grid'), {here}.innerText]")
        }));
    };
    // The phone's location inside three grids, then outside the township.
    let outside = {
        let env = project
            .grids
            .iter()
            .filter_map(|g| gridmap::geom::envelope(&g.geometry))
            .reduce(gridmap::geom::union_rect)
            .unwrap();
        let rp =
            gridmap::io::Reprojector::new(project.crs, gridmap::model::Crs::epsg(4326)).unwrap();
        let c = rp.point(geo::coord! { x: env.min().x - 3000.0, y: env.center().y });
        (c.x, c.y)
    };
    let places: Vec<(f64, f64)> = picked[..3]
        .iter()
        .map(|&g| inside_lonlat(&project, g))
        .chain([outside])
        .collect();
    for &(lng, lat) in &places {
        steps.push(serde_json::json!({"geo": [lat, lng]}));
        ask(&mut steps);
        answer(&mut steps);
    }
    // Location refused: the page says so; a tap on the map answers instead.
    steps.push(serde_json::json!({"run": format!("{here}.innerText = ''")}));
    steps.push(serde_json::json!({"deny_geo": true}));
    steps.push(serde_json::json!({"click": "#where"}));
    steps.push(serde_json::json!({"wait": format!("{here}.innerText.indexOf('没能取得') >= 0")}));
    steps.push(serde_json::json!({"run": format!("{here}.removeAttribute('data-grid')")}));
    let (lng, lat) = inside_lonlat(&project, picked[3]);
    steps.push(serde_json::json!({"tap_at": [lat, lng]}));
    answer(&mut steps);
    steps.push(serde_json::json!({"errors": true}));
    let mut got = in_browser(&site, serde_json::Value::Array(steps));
    assert_eq!(got.pop(), Some(serde_json::json!([])), "no script failed");
    // What the page said each time: the grid's page folder, and its text.
    let answers: Vec<(String, String)> = got
        .iter()
        .map(|v| {
            let s = |k: usize| v[k].as_str().unwrap_or_default().to_string();
            (s(0), s(1))
        })
        .collect();
    assert_eq!(answers.len(), 5, "{got:?}");
    for (k, g) in [
        (0, picked[0]),
        (1, picked[1]),
        (2, picked[2]),
        (4, picked[3]),
    ] {
        let (dir, text) = &answers[k];
        let grid = &project.grids[g];
        assert_eq!(dir, &dirs[g], "{}: {text}", grid.label());
        let village = &project.grids[by_id[grid.parent.as_deref().unwrap()]];
        assert!(
            text.contains(grid.label()) && text.contains(village.label()),
            "{text}"
        );
    }
    let (dir, text) = &answers[3];
    assert_eq!(dir, "", "outside: {text}");
    assert!(
        text.contains("不在") && text.contains(project.town_name().as_str()),
        "{text}"
    );
}

#[test]
fn markup_in_names_is_text_on_the_township_map_in_a_real_browser() {
    let mut project = common::sample();
    let fine = project.grids.iter().position(|g| g.level == 3).unwrap();
    let village = project.grid_index()[project.grids[fine].parent.as_deref().unwrap()];
    project.grids[fine].name = "<img src=x onerror=\"window.pwned=1\">".into();
    project.grids[village].name = "</script><script>window.pwned=2</script>\u{2028}村".into();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let mut opts = options(false);
    opts.allow_errors = true;
    publish(&project, &site, &opts).unwrap();
    let (lng, lat) = inside_lonlat(&project, fine);
    let got = in_browser(
        &site,
        serde_json::json!([
            {"open": "index.html"},
            {"wait": "window.GRIDMAP_MAP"},
            {"tap_at": [lat, lng]},
            {"wait": "document.getElementById('here').getAttribute('data-grid')"},
            {"eval": "document.getElementById('here').innerText"},
            {"eval": "[window.pwned === undefined, document.querySelectorAll('#here img').length]"},
            {"eval": "document.querySelectorAll('.lbl span').length"},
            {"errors": true},
        ]),
    );
    let text = got[0].as_str().unwrap();
    assert!(
        text.contains(&project.grids[fine].name) && text.contains("window.pwned=2"),
        "{text}"
    );
    assert_eq!(got[1], serde_json::json!([true, 0]), "no markup ran");
    let villages = project.grids.iter().filter(|g| g.level == 2).count();
    assert_eq!(
        got[2],
        serde_json::json!(villages),
        "every village named on the map"
    );
}

#[test]
fn publishing_again_after_an_edit_rewrites_only_the_pages_it_touched() {
    let mut project = common::sample();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let mut opts = options(false);
    let first = publish(&project, &site, &opts).unwrap();
    assert_eq!(first.changed.len(), first.files.len());
    let dirs = page_dirs(&project);
    // A finest grid renamed on a later day.
    let g = project.grids.iter().position(|g| g.level == 3).unwrap();
    let parent = project.grid_index()[project.grids[g].parent.as_deref().unwrap()];
    project.grids[g].name = "新名字组".into();
    opts.date = "2026-12-24".into();
    let second = publish(&project, &site, &opts).unwrap();
    let changed: std::collections::BTreeSet<&str> =
        second.changed.iter().map(String::as_str).collect();
    let page_of = |k: usize| format!("g/{}/index.html", dirs[k]);
    for f in [
        page_of(g),
        page_of(parent),
        "index.html".into(),
        "data/grids.js".into(),
    ] {
        assert!(
            changed.contains(f.as_str()),
            "{f} not rewritten: {changed:?}"
        );
    }
    // Pages that do not show the grid's name: same file, same date.
    let untouched: Vec<usize> = (0..project.grids.len())
        .filter(|&k| k != g && k != parent && project.grids[k].level == 3)
        .filter(|&k| {
            !geo::Intersects::intersects(
                &gridmap::geom::envelope(&project.grids[k].geometry)
                    .unwrap()
                    .to_polygon(),
                &gridmap::geom::expand(
                    gridmap::geom::envelope(&project.grids[g].geometry).unwrap(),
                    2000.0,
                )
                .to_polygon(),
            )
        })
        .collect();
    assert!(untouched.len() > 10);
    for &k in &untouched {
        let p = page(&site, &dirs[k]);
        assert!(!changed.contains(page_of(k).as_str()), "{}", page_of(k));
        assert!(p.contains("更新日期：2026-12-05"), "{p}");
    }
    let renamed = page(&site, &dirs[g]);
    assert!(renamed.contains("新名字组") && renamed.contains("更新日期：2026-12-24"));
    assert!(
        changed.len() < 20,
        "{} of {} files rewritten: {changed:?}",
        changed.len(),
        second.files.len()
    );
}

#[test]
fn a_large_site_loads_by_tiles_and_searches_every_grid_in_a_real_browser() {
    // 4,000 grids: more than a site lists and maps whole.
    let project = gridmap::synth::synthetic_project(4000, 11, 1);
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let mut opts = options(false);
    opts.allow_errors = true;
    let done = publish(&project, &site, &opts).unwrap();
    let dirs = page_dirs(&project);
    // The index lists the town only; the map's overview holds it, the rest is in tiles.
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert_eq!(index.matches("<li class=").count(), 1, "{index}");
    assert!(index.contains("共 4001 个网格"));
    let tiles: Vec<&String> = done
        .files
        .iter()
        .filter(|f| f.starts_with("data/t/"))
        .collect();
    assert!(tiles.len() >= 4, "{tiles:?}");
    let mut in_tiles = 0;
    for f in &done.files {
        let size = std::fs::metadata(site.join(f)).unwrap().len();
        assert!(size < 1_000_000, "{f}: {size} bytes");
        if f.starts_with("data/t/") {
            in_tiles += std::fs::read_to_string(site.join(f))
                .unwrap()
                .matches("\"n\":")
                .count();
        }
    }
    assert_eq!(in_tiles, 4000, "every grid below the town in one tile");
    // Located in two grids far apart (tiles loaded on demand); a cell found by search.
    let (a, b) = (5, 3990);
    let mut steps = vec![serde_json::json!({"open": "index.html"})];
    for g in [a, b] {
        let (lng, lat) = inside_lonlat(&project, g);
        steps.push(serde_json::json!({"run": "document.getElementById('here').removeAttribute('data-grid')"}));
        steps.push(serde_json::json!({"tap_at": [lat, lng]}));
        steps.push(serde_json::json!({"wait": "document.getElementById('here').getAttribute('data-grid')"}));
        steps.push(serde_json::json!({"eval": "document.getElementById('here').getAttribute('data-grid')"}));
    }
    // A grid in a tile, opened from its page: its tiles load and the map shows it.
    steps.push(serde_json::json!({"open": map_link(&site, &dirs[b])}));
    steps.push(
        serde_json::json!({"wait": "document.getElementById('here').getAttribute('data-grid')"}),
    );
    steps.push(
        serde_json::json!({"eval": "document.getElementById('here').getAttribute('data-grid')"}),
    );
    let name = project.grids[b].label().to_string();
    steps.push(serde_json::json!({"open": format!("index.html?q={}", name.replace(' ', "+"))}));
    steps.push(
        serde_json::json!({"wait": "document.getElementById('found').getAttribute('data-done')"}),
    );
    steps.push(serde_json::json!({
        "eval": "(function(){var a=document.querySelectorAll('#found a'),o=[];\
                 for(var i=0;i<a.length;i++)o.push([a[i].textContent,a[i].getAttribute('href')]);return o;})()"
    }));
    steps.push(serde_json::json!({"errors": true}));
    let got = in_browser(&site, serde_json::Value::Array(steps));
    assert_eq!(got[0], serde_json::json!(dirs[a]));
    assert_eq!(got[1], serde_json::json!(dirs[b]));
    assert_eq!(got[2], serde_json::json!(dirs[b]), "opened from its page");
    let want: Vec<serde_json::Value> = project
        .grids
        .iter()
        .zip(&dirs)
        .filter(|(g, _)| g.label().to_lowercase().contains(&name.to_lowercase()))
        .map(|(g, d)| serde_json::json!([g.label(), format!("g/{d}/index.html")]))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got[3], serde_json::Value::Array(want));
    assert_eq!(got[4], serde_json::json!([]), "no script failed");
}

#[test]
fn a_person_marked_public_has_their_phone_published_and_no_one_else() {
    let mut project = common::sample();
    let g = project
        .grids
        .iter()
        .position(|g| {
            g.staff
                .iter()
                .filter(|p| !p.phone.trim().is_empty())
                .count()
                >= 2
        })
        .expect("a grid with two phones");
    project.grids[g].staff[0].public = true;
    let (shown, hidden) = (
        project.grids[g].staff[0].phone.trim().to_string(),
        project.grids[g].staff[1].phone.trim().to_string(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let done = publish(&project, &site, &options(false)).unwrap();
    let p = page(&site, &page_dirs(&project)[g]);
    assert!(p.contains(&format!("href=\"tel:{shown}\"")), "{p}");
    assert!(!p.contains(&hidden), "{p}");
    assert!(
        p.contains("联系网格人员请拨打监督电话"),
        "the others: the hotline"
    );
    // Only that page holds the public phone; no file holds any other.
    for f in &done.files {
        let text = String::from_utf8_lossy(&std::fs::read(site.join(f)).unwrap()).into_owned();
        assert!(!text.contains(&hidden), "{f}");
        if *f != format!("g/{}/index.html", page_dirs(&project)[g]) {
            assert!(!text.contains(&shown), "{f}");
        }
    }
}

/// The address of the township map that grid page `dir` links to, relative to the site.
fn map_link(site: &std::path::Path, dir: &str) -> String {
    let p = page(site, dir);
    let href = p
        .split("<a class=\"onmap\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("{dir}: no link to the map"));
    href.trim_start_matches("../../").replace("&amp;", "&")
}

#[test]
fn a_grid_page_opens_the_township_map_at_its_grid_and_a_tianditu_key_adds_base_maps() {
    let project = common::sample();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let mut opts = options(false);
    opts.pages.tianditu_key = Some(" k&<key> ".into());
    publish(&project, &site, &opts).unwrap();
    let dirs = page_dirs(&project);
    let g = project.grids.iter().rposition(|g| g.level == 3).unwrap();
    let got = in_browser(
        &site,
        serde_json::json!([
            {"open": map_link(&site, &dirs[g])},
            {"wait": "document.getElementById('here').getAttribute('data-grid')"},
            {"eval": "[document.getElementById('here').getAttribute('data-grid'), document.getElementById('here').innerText]"},
            {"eval": "GRIDMAP_MAP.getZoom() > 13"},
            {"eval": "document.querySelectorAll('.leaflet-control-layers').length"},
            {"eval": "(function(){var t=document.querySelectorAll('img.leaflet-tile');return t.length ? t[0].getAttribute('src') : ''})()"},
            {"errors": true},
        ]),
    );
    assert_eq!(got[0][0], serde_json::json!(dirs[g]));
    let text = got[0][1].as_str().unwrap();
    assert!(
        text.starts_with("地图上是：") && text.contains(project.grids[g].label()),
        "{text}"
    );
    assert_eq!(got[1], serde_json::json!(true), "zoomed to the grid");
    assert_eq!(
        got[2],
        serde_json::json!(1),
        "vector and imagery to choose from"
    );
    let tile = got[3].as_str().unwrap();
    assert!(
        tile.contains("tianditu.gov.cn/vec_w/wmts") && tile.ends_with("&tk=k%26%3Ckey%3E"),
        "{tile}"
    );
    assert_eq!(got[4], serde_json::json!([]), "no script failed");
}
