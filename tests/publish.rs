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
            date: "2026-12-05".into(),
        },
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
        project.grids.len() + 3,
        "pages, index, css, links"
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
        let text = std::fs::read_to_string(site.join(f)).unwrap();
        assert!(!text.contains(&phone), "{f} holds a phone");
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
