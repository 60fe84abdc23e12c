//! The tile background (OpenStreetMap or any XYZ/WMTS URL, 天地图 vector or imagery with
//! the user's key and its annotation layer on top, or an offline MBTiles file): the
//! Web Mercator tiles covering the view are loaded by a few worker threads (the file, the
//! disk cache, or the server: [`crate::io::tiles`]), decoded, and drawn warped into the
//! project's CRS (each tile's corners and midpoints reprojected), with the source's credit.

use crate::io::Reprojector;
use crate::io::tiles::{MbTiles, TileCache, TileLayerSpec, TileSource};
use crate::model::Crs;
use egui::TextureHandle;
use geo::Coord;
use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

pub use crate::io::tiles::TileId;

/// A tile of one layer of the source: (layer, zoom, column, row).
type Key = (u8, u8, u32, u32);

enum TileState {
    Loading,
    Ready(TextureHandle),
    Failed,
}

/// Decoded pixels coming back from a worker (None: the source has no such tile).
type Fetched = (Key, Result<Option<egui::ColorImage>, super::UiError>);

/// What a worker needs to load tiles of the current source.
struct Job {
    key: Key,
    layer: TileLayerSpec,
    mbtiles: Option<Arc<MbTiles>>,
    cache: Option<Arc<TileCache>>,
}

/// The background a new user sees: OpenStreetMap.
pub const DEFAULT_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// The disk cache's size limit.
pub const CACHE_LIMIT: u64 = 500 << 20;

/// The tile background.
pub struct TileLayer {
    /// Where tiles come from; changing it starts afresh.
    pub source: TileSource,
    /// The URL template typed in the View menu (used when the source is a URL).
    pub url: String,
    pub enabled: bool,
    /// The disk cache (None: no cache).
    pub cache: Option<Arc<TileCache>>,
    shown: Option<TileSource>,
    layers: Vec<TileLayerSpec>,
    mbtiles: Option<Arc<MbTiles>>,
    tiles: HashMap<Key, TileState>,
    requests: Option<Sender<Job>>,
    results: Option<Receiver<Fetched>>,
    to_lonlat: Option<Reprojector>,
    from_lonlat: Option<Reprojector>,
    crs: Option<Crs>,
    /// The last error, for the status bar.
    pub last_error: Option<String>,
}

impl Default for TileLayer {
    fn default() -> Self {
        let url = DEFAULT_URL.to_string();
        TileLayer {
            source: TileSource::Url(url.clone()),
            url,
            enabled: false,
            cache: TileCache::default_dir().map(|d| Arc::new(TileCache::new(d, CACHE_LIMIT))),
            shown: None,
            layers: Vec::new(),
            mbtiles: None,
            tiles: HashMap::new(),
            requests: None,
            results: None,
            to_lonlat: None,
            from_lonlat: None,
            crs: None,
            last_error: None,
        }
    }
}

/// Tile x, y (fractional) of a longitude/latitude at zoom z.
pub fn lonlat_to_tile(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n;
    (x, y)
}

/// Longitude/latitude of the tile corner (x, y) at zoom z (x and y may be fractional).
pub fn tile_to_lonlat(x: f64, y: f64, z: u8) -> Coord<f64> {
    let n = f64::from(1u32 << z);
    let lon = x / n * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    Coord { x: lon, y: lat }
}

fn decode(bytes: &[u8]) -> Result<egui::ColorImage, super::UiError> {
    let img = image::load_from_memory(bytes)
        .map_err(super::UiError::TileImage)?
        .to_rgba8();
    Ok(egui::ColorImage::from_rgba_unmultiplied(
        [img.width() as usize, img.height() as usize],
        img.as_raw(),
    ))
}

impl TileLayer {
    fn start_workers(&mut self, ctx: &egui::Context) {
        let (req_tx, req_rx) = channel::<Job>();
        let (res_tx, res_rx) = channel::<Fetched>();
        let req_rx = Arc::new(Mutex::new(req_rx));
        for _ in 0..4 {
            let rx = req_rx.clone();
            let tx = res_tx.clone();
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let (_, z, x, y) = job.key;
                    let result = crate::io::tiles::load(
                        &job.layer,
                        job.mbtiles.as_deref(),
                        job.cache.as_deref(),
                        (z, x, y),
                    )
                    .map_err(super::UiError::Tile)
                    .and_then(|b| b.map(|b| decode(&b)).transpose());
                    if tx.send((job.key, result)).is_err() {
                        return;
                    }
                    ctx.request_repaint();
                }
            });
        }
        self.requests = Some(req_tx);
        self.results = Some(res_rx);
    }

    /// Take up the current source: its layers, its file; the tiles of the last one go.
    fn switch_source(&mut self) {
        self.tiles.clear();
        self.last_error = self.source.problem();
        self.layers = self.source.layers();
        self.mbtiles = match &self.source {
            TileSource::MbTiles(p) => match MbTiles::open(p) {
                Ok(m) => Some(Arc::new(m)),
                Err(e) => {
                    self.last_error = Some(crate::error::report(&e));
                    None
                }
            },
            _ => None,
        };
        self.shown = Some(self.source.clone());
    }

    /// The credit for the background shown, when it is shown.
    pub fn attribution(&self) -> Option<String> {
        self.enabled.then(|| self.source.attribution())
    }

    /// Tiles asked for and not yet arrived.
    pub fn loading(&self) -> usize {
        self.tiles
            .values()
            .filter(|t| matches!(t, TileState::Loading))
            .count()
    }

    /// Tiles with a texture loaded.
    pub fn ready(&self) -> usize {
        self.tiles
            .values()
            .filter(|t| matches!(t, TileState::Ready(_)))
            .count()
    }

    /// Draw the tiles covering the view, asking for the missing ones.
    pub fn paint(
        &mut self,
        ctx: &egui::Context,
        painter: &egui::Painter,
        view: &super::View,
        crs: Crs,
    ) {
        if !self.enabled {
            return;
        }
        if self.crs != Some(crs) {
            self.to_lonlat = Reprojector::new(crs, Crs::epsg(4326)).ok();
            self.from_lonlat = Reprojector::new(Crs::epsg(4326), crs).ok();
            self.crs = Some(crs);
            self.tiles.clear();
        }
        if self.shown.as_ref() != Some(&self.source) {
            self.switch_source();
        }
        // Nothing to ask for: a Tianditu source without key, a file that did not open.
        if self.source.problem().is_some()
            || (matches!(self.source, TileSource::MbTiles(_)) && self.mbtiles.is_none())
        {
            return;
        }
        if self.requests.is_none() {
            self.start_workers(ctx);
        }
        // Finished downloads become textures.
        if let Some(rx) = &self.results {
            while let Ok((id, r)) = rx.try_recv() {
                let state = match r {
                    Ok(Some(img)) => TileState::Ready(ctx.load_texture(
                        format!("tile-{id:?}"),
                        img,
                        egui::TextureOptions::LINEAR,
                    )),
                    Ok(None) => TileState::Failed,
                    Err(e) => {
                        self.last_error = Some(crate::error::report(&e));
                        TileState::Failed
                    }
                };
                self.tiles.insert(id, state);
            }
        }
        let (Some(to_ll), Some(from_ll)) = (&self.to_lonlat, &self.from_lonlat) else {
            return;
        };
        let r = view.rect;
        let corners = [
            r.left_top(),
            r.right_top(),
            r.left_bottom(),
            r.right_bottom(),
        ]
        .map(|p| to_ll.point(view.to_world(p)));
        let (lon0, lon1) = corners
            .iter()
            .fold((f64::MAX, f64::MIN), |a, c| (a.0.min(c.x), a.1.max(c.x)));
        let (lat0, lat1) = corners
            .iter()
            .fold((f64::MAX, f64::MIN), |a, c| (a.0.min(c.y), a.1.max(c.y)));
        if !(lon0.is_finite() && lat0.is_finite()) {
            return;
        }
        // Zoom so a 256-pixel tile covers about 256 screen points.
        let lat_mid = (lat0 + lat1) / 2.0;
        let metres_per_point = 1.0 / view.scale;
        let z = ((156_543.03 * lat_mid.to_radians().cos() / metres_per_point)
            .log2()
            .round())
        .clamp(0.0, 19.0) as u8;
        let (x0, y0) = lonlat_to_tile(lon0, lat1, z);
        let (x1, y1) = lonlat_to_tile(lon1, lat0, z);
        let max = (1u32 << z) - 1;
        let (x0, x1) = (
            (x0.floor() as i64).max(0) as u32,
            (x1.floor() as i64).clamp(0, max as i64) as u32,
        );
        let (y0, y1) = (
            (y0.floor() as i64).max(0) as u32,
            (y1.floor() as i64).clamp(0, max as i64) as u32,
        );
        if (x1.saturating_sub(x0) + 1) * (y1.saturating_sub(y0) + 1) > 100 {
            return;
        }
        for (l, spec) in self.layers.iter().enumerate() {
            let l = l as u8;
            for x in x0..=x1 {
                for y in y0..=y1 {
                    let key = (l, z, x, y);
                    match self.tiles.get(&key) {
                        Some(TileState::Ready(tex)) => {
                            painter.add(warped_tile(tex, (z, x, y), from_ll, view));
                        }
                        Some(_) => {}
                        None => {
                            let job = Job {
                                key,
                                layer: spec.clone(),
                                mbtiles: self.mbtiles.clone(),
                                cache: self.cache.clone(),
                            };
                            if let Some(tx) = &self.requests
                                && tx.send(job).is_ok()
                            {
                                self.tiles.insert(key, TileState::Loading);
                            }
                        }
                    }
                }
            }
        }
        // Keep memory bounded: forget far tiles of other zoom levels.
        if self.tiles.len() > 600 {
            self.tiles.retain(|k, _| k.1 == z);
        }
    }
}

/// A tile as a 4x4 textured mesh, its grid points reprojected into the working CRS.
fn warped_tile(
    tex: &TextureHandle,
    (z, x, y): TileId,
    from_ll: &Reprojector,
    view: &super::View,
) -> egui::Shape {
    super::canvas::warped_mesh(tex.id(), 4, |u, v| {
        let ll = tile_to_lonlat(f64::from(x) + u, f64::from(y) + v, z);
        view.to_screen(from_ll.point(ll))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_math_round_trips() {
        let (x, y) = lonlat_to_tile(112.3, 25.4, 12);
        let back = tile_to_lonlat(x, y, 12);
        assert!((back.x - 112.3).abs() < 1e-9 && (back.y - 25.4).abs() < 1e-9);
        // Known: tile 0/0/0 spans the world.
        assert!((tile_to_lonlat(0.0, 0.0, 0).y - 85.0511).abs() < 1e-3);
    }
}
