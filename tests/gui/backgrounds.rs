//! What lies under the grids: scanned maps and their georeferencing, online tiles, 天地图, MBTiles.

use crate::common::ui::*;
use egui::Modifiers;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::Coord;
use gridmap::ui::GridmapApp;
use std::path::Path;

#[test]
fn a_georeferenced_scan_is_shown_under_the_grids() {
    let mut h = app("jinping.geojson");
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("scan.png");
    image::RgbaImage::from_pixel(40, 30, image::Rgba([200, 180, 120, 255]))
        .save(&img)
        .unwrap();
    // 10 m pixels, upper-left pixel centre inside the town.
    std::fs::write(
        dir.path().join("scan.pgw"),
        "10\n0\n0\n-10\n625005\n2812995\n",
    )
    .unwrap();
    h.state_mut().add_background(&img);
    h.run_steps(2);
    let app = h.state();
    assert_eq!(app.base.backgrounds.len(), 1, "{}", app.message);
    let e = app.base.backgrounds[0].extent;
    assert_eq!(
        (e.min().x, e.max().x, e.min().y, e.max().y),
        (625_000.0, 625_400.0, 2_812_700.0, 2_813_000.0)
    );
    // A missing world file is a clear message, not a crash.
    let bare = dir.path().join("bare.png");
    image::RgbaImage::new(2, 2).save(&bare).unwrap();
    h.state_mut().add_background(&bare);
    assert!(
        h.state().message.contains("world file"),
        "{}",
        h.state().message
    );
    assert_eq!(h.state().base.backgrounds.len(), 1);
}

/// A tile server on loopback that answers every request with one small PNG, stops after
/// `max` requests, and keeps the request lines.
fn tile_server(max: usize) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(8, 8, image::Rgba([90, 160, 90, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let line = String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            seen.lock().unwrap().push(line);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                png.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&png);
        }
    });
    (port, requests)
}

/// The app with its tile cache in `cache` and the background chosen by `choose`.
fn app_with_tiles(
    cache: &Path,
    choose: impl FnOnce(&mut GridmapApp),
) -> Harness<'static, GridmapApp> {
    let mut h = app("jinping.geojson");
    let state = h.state_mut();
    state.base.tiles.cache = Some(std::sync::Arc::new(gridmap::io::tiles::TileCache::new(
        cache,
        50 << 20,
    )));
    choose(state);
    state.update_tile_source();
    state.base.tiles.enabled = true;
    h
}

/// Run frames until `layers` layers of tiles are drawn; the number of tiles ready.
fn wait_for_tiles(h: &mut Harness<GridmapApp>) -> usize {
    let mut ready = 0;
    for _ in 0..400 {
        h.run_steps(1);
        ready = h.state().base.tiles.ready();
        if ready > 0 && h.state().base.tiles.loading() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    ready
}

#[test]
fn online_tiles_are_fetched_drawn_and_cached() {
    let (port, requests) = tile_server(400);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png");
    let mut h = app_with_tiles(cache.path(), |a| {
        a.settings.base_map = "url".into();
        a.settings.tile_url = url.clone();
    });
    let ready = wait_for_tiles(&mut h);
    assert!(
        ready > 0,
        "no tile arrived: {:?}",
        h.state().base.tiles.last_error
    );
    let fetched = requests.lock().unwrap().len();
    assert!(fetched >= ready);
    assert!(requests.lock().unwrap()[0].starts_with("GET /"));
    // A second session takes the same tiles from the disk cache, asking the server nothing.
    let mut again = app_with_tiles(cache.path(), |a| {
        a.settings.base_map = "url".into();
        a.settings.tile_url = url.clone();
    });
    assert_eq!(wait_for_tiles(&mut again), ready);
    assert_eq!(
        requests.lock().unwrap().len(),
        fetched,
        "tiles came from the cache"
    );
}

#[test]
fn wmts_url_templates_are_filled_in() {
    let (port, requests) = tile_server(400);
    let cache = tempfile::tempdir().unwrap();
    let mut h = app_with_tiles(cache.path(), |a| {
        a.settings.base_map = "url".into();
        a.settings.tile_url = format!(
            "http://127.0.0.1:{port}/wmts?SERVICE=WMTS&REQUEST=GetTile&TileMatrix={{TileMatrix}}&TileRow={{TileRow}}&TileCol={{TileCol}}"
        );
    });
    assert!(
        wait_for_tiles(&mut h) > 0,
        "{:?}",
        h.state().base.tiles.last_error
    );
    let first = requests.lock().unwrap()[0].clone();
    assert!(
        first.contains("TileMatrix=") && !first.contains('{'),
        "{first}"
    );
}

/// 天地图 vector from a loopback server: the base and annotation layers in the `w` matrix
/// set with the user's key, both drawn, the credit shown; the key is in no cache path.
#[test]
fn tianditu_background_from_a_loopback_server() {
    let (port, requests) = tile_server(400);
    let cache = tempfile::tempdir().unwrap();
    let mut h = app_with_tiles(cache.path(), |a| {
        a.base.tianditu_host = format!("http://127.0.0.1:{port}/t{{s}}");
        a.settings.base_map = "tianditu_vec".into();
        a.settings.tianditu_key = "TESTKEY123".into();
    });
    let ready = wait_for_tiles(&mut h);
    assert!(ready >= 2, "{:?}", h.state().base.tiles.last_error);
    let seen = requests.lock().unwrap().clone();
    for layer in ["vec", "cva"] {
        assert!(
            seen.iter().any(|r| r.contains(&format!("/{layer}_w/wmts?"))
                && r.contains(&format!("LAYER={layer}"))
                && r.contains("TILEMATRIXSET=w")
                && r.contains("tk=TESTKEY123")),
            "{layer}: {seen:?}"
        );
    }
    assert!(
        seen.iter()
            .all(|r| r.starts_with("GET /t") && r.as_bytes()[6].is_ascii_digit())
    );
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("天地图").is_some(),
        "the credit is shown"
    );
    let mut paths = Vec::new();
    fn walk(d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            out.push(e.path().display().to_string());
            if e.path().is_dir() {
                walk(&e.path(), out);
            }
        }
    }
    walk(cache.path(), &mut paths);
    assert!(!paths.is_empty() && paths.iter().all(|p| !p.contains("TESTKEY")));
    // The key lives in the app's settings, not in the project.
    assert!(
        !serde_json::to_string(&h.state().doc.project().settings)
            .unwrap()
            .contains("TESTKEY")
    );
}

#[test]
fn tianditu_without_a_key_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let mut h = app_with_tiles(cache.path(), |a| {
        a.settings.base_map = "tianditu_img".into();
        a.settings.tianditu_key = String::new();
    });
    h.run_steps(3);
    let e = h.state().base.tiles.last_error.clone().unwrap_or_default();
    assert!(e.contains("密钥") && e.contains("key"), "{e}");
}

/// An offline MBTiles file (TMS rows) as the background: no network at all.
#[test]
fn an_mbtiles_file_is_an_offline_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offline.mbtiles");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
    )
    .unwrap();
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(8, 8, image::Rgba([200, 90, 90, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // Tiles around the sample township at every zoom.
    for z in 0..=19u8 {
        let (x, y) = gridmap::ui::tiles::lonlat_to_tile(112.3, 25.45, z);
        let n = 1i64 << z;
        for dx in -3..=3i64 {
            for dy in -3..=3i64 {
                let (tx, ty) = (x as i64 + dx, y as i64 + dy);
                if (0..n).contains(&tx) && (0..n).contains(&ty) {
                    conn.execute(
                        "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![z, tx, n - 1 - ty, png],
                    )
                    .unwrap();
                }
            }
        }
    }
    drop(conn);
    let cache = tempfile::tempdir().unwrap();
    let mut h = app_with_tiles(cache.path(), |a| {
        a.settings.base_map = "mbtiles".into();
        a.settings.mbtiles = Some(path.clone());
    });
    assert!(
        wait_for_tiles(&mut h) > 0,
        "{:?}",
        h.state().base.tiles.last_error
    );
    assert!(h.query_by_label_contains("offline.mbtiles").is_some());
    // A file that is not MBTiles is a clear message.
    let bad = dir.path().join("bad.mbtiles");
    std::fs::write(&bad, b"not sqlite").unwrap();
    h.state_mut().settings.mbtiles = Some(bad);
    h.state_mut().update_tile_source();
    h.run_steps(3);
    let e = h.state().base.tiles.last_error.clone().unwrap_or_default();
    assert!(e.contains("bad.mbtiles") && e.contains("MBTiles"), "{e}");
}

/// Georeferencing a scan with four control points: three typed (one 0.4 m off), one clicked
/// on the map; the RMS is shown, the fit is within the residuals of the known transform,
/// and 保存并显示 writes the world file and points and shows the scan under the grids.
#[test]
fn a_scan_is_georeferenced_with_four_control_points() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("村图.png");
    image::RgbaImage::from_pixel(400, 300, image::Rgba([230, 220, 190, 255]))
        .save(&img)
        .unwrap();
    // The known transform: 10 m pixels, turned a little.
    let known = |p: Coord<f64>| Coord {
        x: 625_000.0 + 10.0 * p.x + 1.0 * p.y,
        y: 2_813_000.0 + 1.0 * p.x - 10.0 * p.y,
    };
    let mut h = app("jinping.geojson");
    file_menu(&mut h, "地理配准扫描图…", &img);
    h.run_steps(3);
    assert!(h.state().dialogs.georef.is_some(), "{}", h.state().message);
    let click_scan = |h: &mut Harness<GridmapApp>, pixel: Coord<f64>| -> Coord<f64> {
        let at = h.state().dialogs.georef.as_ref().unwrap().screen_of(pixel);
        click_at(h, at, Modifiers::NONE);
        h.state()
            .dialogs
            .georef
            .as_ref()
            .unwrap()
            .pending
            .expect("a pending scan point")
    };
    let type_into = |h: &mut Harness<GridmapApp>, left_of: &str, text: &str| {
        let label = h.get_by_label(left_of).rect();
        let field = h
            .get_all_by_role(egui::accesskit::Role::TextInput)
            .filter(|n| n.rect().left() >= label.right() - 1.0)
            .min_by(|a, b| {
                let d = |n: &egui_kittest::Node| {
                    (n.rect().center().y - label.center().y).abs()
                        + (n.rect().left() - label.right())
                };
                d(a).total_cmp(&d(b))
            })
            .expect("a field");
        field.click();
        h.run_steps(1);
        let field = h
            .get_all_by_role(egui::accesskit::Role::TextInput)
            .find(|n| n.is_focused())
            .expect("focused");
        field.type_text(text);
        h.run_steps(1);
    };
    for (pixel, noise) in [
        (Coord { x: 20.0, y: 20.0 }, 0.0),
        (Coord { x: 380.0, y: 30.0 }, 0.4),
        (Coord { x: 360.0, y: 280.0 }, 0.0),
    ] {
        let picked = click_scan(&mut h, pixel);
        let m = known(picked);
        type_into(&mut h, "X =", &format!("{:.3}", m.x + noise));
        type_into(&mut h, "Y =", &format!("{:.3}", m.y));
        h.get_by_label("添加点").click();
        h.run_steps(2);
    }
    assert_eq!(h.state().dialogs.georef.as_ref().unwrap().points.len(), 3);
    // The fourth: picked on the scan, then clicked on the map (zoomed in to a few metres).
    let picked = click_scan(&mut h, Coord { x: 30.0, y: 270.0 });
    let target = known(picked);
    h.state_mut().view.fit(geo::Rect::new(
        Coord {
            x: target.x - 10.0,
            y: target.y - 10.0,
        },
        Coord {
            x: target.x + 10.0,
            y: target.y + 10.0,
        },
    ));
    h.run_steps(2);
    // The target to the right of the canvas's centre, clear of the georeferencer's window.
    h.state_mut().view.center.x -= 5.0;
    h.run_steps(1);
    let on_map = screen(&h, target);
    click_at(&mut h, on_map, Modifiers::NONE);
    let g = h.state().dialogs.georef.as_ref().unwrap();
    assert_eq!(g.points.len(), 4, "the map click adds the point");
    let fit = g.fit.as_ref().expect("a fit");
    let worst = fit.residuals.iter().copied().fold(0.0, f64::max);
    assert!(worst > 0.05 && worst < 0.5, "residuals {:?}", fit.residuals);
    assert!(
        h.query_by_label_contains("RMS").is_some(),
        "the RMS is shown"
    );
    for (x, y) in [(0.0, 0.0), (200.0, 150.0), (400.0, 300.0), (100.0, 250.0)] {
        let p = Coord { x, y };
        let (a, b) = (fit.apply(p), known(p));
        let d = (a.x - b.x).hypot(a.y - b.y);
        assert!(
            d <= 2.0 * worst + 0.05,
            "pixel {p:?} is {d} m off (worst residual {worst})"
        );
    }
    h.get_by_label("保存并显示").click();
    h.run_steps(3);
    let world = std::fs::read_to_string(dir.path().join("村图.pgw")).expect("a world file");
    let n: Vec<f64> = world.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(n.len(), 6);
    assert!(
        (n[0] - 10.0).abs() < 0.01 && (n[1] - 1.0).abs() < 0.01 && (n[3] + 10.0).abs() < 0.01,
        "{n:?}"
    );
    assert!(dir.path().join("村图.png.points").exists());
    let app = h.state();
    assert_eq!(app.base.backgrounds.len(), 1, "{}", app.message);
    let e = app.base.backgrounds[0].extent;
    // Corners of the known transform: x from 625000 to 629300, y from 2810000 to 2813400.
    assert!(
        (e.min().x - 625_000.0).abs() < 1.0 && (e.max().x - 629_300.0).abs() < 1.0,
        "{e:?}"
    );
    assert!(
        (e.min().y - 2_810_000.0).abs() < 1.0 && (e.max().y - 2_813_400.0).abs() < 1.0,
        "{e:?}"
    );
}
