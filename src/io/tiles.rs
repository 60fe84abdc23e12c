//! Base map tiles: where they come from and the disk cache, without any drawing.
//!
//! Sources: an XYZ or WMTS URL template (`{z}/{x}/{y}`, `{-y}` for TMS rows, `{s}` for a
//! server, or WMTS `{TileMatrix}`/`{TileRow}`/`{TileCol}`), 天地图 (Tianditu: vector
//! `vec`+`cva` or imagery `img`+`cia` in the Web Mercator matrix set `w`, servers t0-t7,
//! the user's key), and offline MBTiles files (read-only). Downloaded tiles are kept in a
//! disk cache with a size limit, under a name that never holds the key; nothing is
//! downloaded ahead of the view (Tianditu blocks bulk downloads).

use super::error::TileError;
use rusqlite::OpenFlags;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// A tile address in the Web Mercator pyramid: zoom, column, row (row 0 at the north).
pub type TileId = (u8, u32, u32);

/// The largest tile accepted from a server or a file.
const MAX_TILE_BYTES: u64 = 8 << 20;

/// Where the background comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TileSource {
    /// An XYZ or WMTS URL template.
    Url(String),
    /// 天地图 with the user's key: vector map (vec + cva) or imagery (img + cia).
    Tianditu {
        imagery: bool,
        key: String,
        /// The servers, `{s}` = 0..7 (the public ones unless a test points elsewhere).
        host: String,
    },
    /// An MBTiles file on disk.
    MbTiles(PathBuf),
}

/// The public Tianditu servers (t0..t7).
pub const TIANDITU_HOST: &str = "https://t{s}.tianditu.gov.cn";

impl TileSource {
    pub fn tianditu(imagery: bool, key: &str) -> Self {
        TileSource::Tianditu {
            imagery,
            key: key.trim().to_string(),
            host: TIANDITU_HOST.into(),
        }
    }

    /// The layers drawn, bottom first: their URL templates (or the file), and a name for
    /// the cache that holds no key.
    pub fn layers(&self) -> Vec<TileLayerSpec> {
        match self {
            TileSource::Url(t) => vec![TileLayerSpec {
                template: t.clone(),
                cache_name: cache_name(t),
                file: None,
            }],
            TileSource::Tianditu { imagery, key, host } => {
                let names: [&str; 2] = if *imagery {
                    ["img", "cia"]
                } else {
                    ["vec", "cva"]
                };
                names
                    .iter()
                    .map(|layer| TileLayerSpec {
                        template: format!(
                            "{host}/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
                        ),
                        cache_name: format!("tianditu-{layer}_w"),
                        file: None,
                    })
                    .collect()
            }
            TileSource::MbTiles(p) => vec![TileLayerSpec {
                template: String::new(),
                cache_name: String::new(),
                file: Some(p.clone()),
            }],
        }
    }

    /// The credit shown on the map.
    pub fn attribution(&self) -> String {
        match self {
            TileSource::Tianditu { .. } => "© 天地图 (国家地理信息公共服务平台) Tianditu".into(),
            TileSource::Url(t) if t.contains("openstreetmap") => {
                "© OpenStreetMap contributors".into()
            }
            TileSource::Url(t) => {
                let host = t
                    .split("://")
                    .nth(1)
                    .and_then(|r| r.split('/').next())
                    .unwrap_or(t);
                format!("底图 tiles: {host}")
            }
            TileSource::MbTiles(p) => format!(
                "底图 tiles: {}",
                p.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default()
            ),
        }
    }

    /// What keeps the source from working, if anything (a Tianditu source without key).
    pub fn problem(&self) -> Option<String> {
        match self {
            TileSource::Tianditu { key, .. } if key.is_empty() => Some(crate::error::bilingual(
                "天地图需要您自己的密钥（在天地图官网申请，只保存在本机设置中）",
                "Tianditu needs your own key (from the Tianditu website; kept only in this computer's settings)",
            )),
            _ => None,
        }
    }
}

/// One layer of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct TileLayerSpec {
    pub template: String,
    /// The cache folder's name (no key in it).
    pub cache_name: String,
    /// An MBTiles file instead of a URL.
    pub file: Option<PathBuf>,
}

/// A folder name for a template: its host and path with the query's key removed, hashed.
fn cache_name(template: &str) -> String {
    use std::hash::{Hash, Hasher};
    let without_key: String = template
        .split(['?', '&'])
        .filter(|p| {
            let k = p.split('=').next().unwrap_or("").to_ascii_lowercase();
            !matches!(
                k.as_str(),
                "tk" | "key" | "token" | "access_token" | "apikey"
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    without_key.hash(&mut h);
    format!("url-{:016x}", h.finish())
}

/// The URL of tile `id` from `template`.
pub fn tile_url(template: &str, (z, x, y): TileId) -> String {
    let tms = (1u32 << z) - 1 - y.min((1u32 << z) - 1);
    template
        .replace("{s}", &((x + y) % 8).to_string())
        .replace("{z}", &z.to_string())
        .replace("{x}", &x.to_string())
        .replace("{-y}", &tms.to_string())
        .replace("{y}", &y.to_string())
        .replace("{TileMatrix}", &z.to_string())
        .replace("{TileRow}", &y.to_string())
        .replace("{TileCol}", &x.to_string())
}

/// A tile cache on disk: `<dir>/<layer>/<z>/<x>/<y>`, the least recently written tiles
/// removed when the cache grows past its limit.
pub struct TileCache {
    dir: PathBuf,
    limit: u64,
    /// Bytes written since the last sweep, and the size found then.
    state: Mutex<(u64, u64)>,
}

impl TileCache {
    /// The cache in the user's cache folder (`$XDG_CACHE_HOME/gridmap/tiles`,
    /// `%LOCALAPPDATA%\gridmap\tiles`).
    pub fn default_dir() -> Option<PathBuf> {
        let base = if cfg!(windows) {
            std::env::var_os("LOCALAPPDATA").map(PathBuf::from)
        } else {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        };
        base.map(|b| b.join("gridmap").join("tiles"))
    }

    pub fn new(dir: impl Into<PathBuf>, limit: u64) -> Self {
        let dir = dir.into();
        let size = folder_size(&dir);
        TileCache {
            dir,
            limit,
            state: Mutex::new((0, size)),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, layer: &str, (z, x, y): TileId) -> PathBuf {
        self.dir
            .join(layer)
            .join(z.to_string())
            .join(x.to_string())
            .join(y.to_string())
    }

    pub fn get(&self, layer: &str, id: TileId) -> Option<Vec<u8>> {
        std::fs::read(self.path(layer, id)).ok()
    }

    /// Keep a tile; past the limit, the oldest tiles go until the cache is at 80 % of it.
    pub fn put(&self, layer: &str, id: TileId, bytes: &[u8]) {
        let path = self.path(layer, id);
        if let Some(dir) = path.parent()
            && std::fs::create_dir_all(dir).is_ok()
            && super::write_atomic(&path, bytes).is_ok()
        {
            let Ok(mut s) = self.state.lock() else { return };
            s.0 += bytes.len() as u64;
            if s.1 + s.0 > self.limit {
                s.1 = self.sweep();
                s.0 = 0;
            }
        }
    }

    /// Remove the oldest tiles until the cache holds at most 80 % of its limit; the size
    /// left.
    pub fn sweep(&self) -> u64 {
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
        walk(&self.dir, &mut |p, m| {
            files.push((m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len(), p));
        });
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort_by_key(|f| f.0);
        let target = self.limit / 5 * 4;
        for (_, len, p) in files {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&p).is_ok() {
                total -= len;
            }
        }
        total
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(PathBuf, std::fs::Metadata)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(m) = e.metadata() else { continue };
        if m.is_dir() {
            walk(&e.path(), f);
        } else {
            f(e.path(), m);
        }
    }
}

fn folder_size(dir: &Path) -> u64 {
    let mut total = 0;
    walk(dir, &mut |_, m| total += m.len());
    total
}

/// An MBTiles file, read-only.
pub struct MbTiles {
    conn: Mutex<rusqlite::Connection>,
    path: PathBuf,
}

impl MbTiles {
    pub fn open(path: &Path) -> Result<Self, TileError> {
        let fail = |source| TileError::NotMbTiles {
            path: path.to_path_buf(),
            source,
        };
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        let tables = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'tiles'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(fail)?;
        if tables == 0 {
            return Err(TileError::NoTilesTable {
                path: path.to_path_buf(),
            });
        }
        Ok(MbTiles {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// Tile `id` (XYZ row numbering; MBTiles stores TMS rows), None where the file has
    /// none.
    pub fn tile(&self, (z, x, y): TileId) -> Result<Option<Vec<u8>>, TileError> {
        let row = (1u32 << z) - 1 - y.min((1u32 << z) - 1);
        let path = || self.path.clone();
        let conn = self
            .conn
            .lock()
            .map_err(|_| TileError::Poisoned { path: path() })?;
        let r = conn.query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            (z, x, row),
            |r| r.get::<_, Vec<u8>>(0),
        );
        match r {
            Ok(b) if b.len() as u64 <= MAX_TILE_BYTES => Ok(Some(b)),
            Ok(_) => Err(TileError::TooLarge {
                path: path(),
                z,
                x,
                y,
            }),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(source) => Err(TileError::Read {
                path: path(),
                source,
            }),
        }
    }
}

/// Download `url` (15 s at most, 8 MB at most).
pub fn download(url: &str) -> Result<Vec<u8>, TileError> {
    // The key never appears in messages.
    let shown = url
        .split('?')
        .next()
        .unwrap_or(url)
        .replace("{", "")
        .replace("}", "");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .user_agent("gridmap/0.1 (township grid maps)")
        .build()
        .into();
    let failed = |source| TileError::Download {
        url: shown.clone(),
        source,
    };
    let mut resp = agent.get(url).call().map_err(failed)?;
    resp.body_mut()
        .with_config()
        .limit(MAX_TILE_BYTES)
        .read_to_vec()
        .map_err(failed)
}

/// The bytes of tile `id` of `layer`: from the file, else the cache, else the server (then
/// kept in the cache). None: the source has no such tile.
pub fn load(
    layer: &TileLayerSpec,
    mbtiles: Option<&MbTiles>,
    cache: Option<&TileCache>,
    id: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    if layer.file.is_some() {
        return match mbtiles {
            Some(m) => m.tile(id),
            None => Err(TileError::NotOpen),
        };
    }
    if let Some(c) = cache
        && let Some(b) = c.get(&layer.cache_name, id)
    {
        return Ok(Some(b));
    }
    let bytes = download(&tile_url(&layer.template, id))?;
    if let Some(c) = cache {
        c.put(&layer.cache_name, id, &bytes);
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_for_xyz_tms_wmts_and_tianditu() {
        assert_eq!(
            tile_url("https://a/{z}/{x}/{y}.png", (3, 5, 2)),
            "https://a/3/5/2.png"
        );
        assert_eq!(
            tile_url("https://a/{z}/{x}/{-y}.png", (3, 5, 2)),
            "https://a/3/5/5.png"
        );
        assert_eq!(
            tile_url(
                "https://w?TileMatrix={TileMatrix}&TileRow={TileRow}&TileCol={TileCol}",
                (3, 5, 2)
            ),
            "https://w?TileMatrix=3&TileRow=2&TileCol=5"
        );
        let t = TileSource::tianditu(false, " abc ").layers();
        assert_eq!(t.len(), 2);
        let url = tile_url(&t[1].template, (12, 3300, 1700));
        assert_eq!(
            url,
            "https://t0.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX=12&TILEROW=1700&TILECOL=3300&tk=abc"
        );
        assert!(!t[0].cache_name.contains("abc"));
        let imagery = TileSource::tianditu(true, "k").layers();
        assert!(
            imagery[0].template.contains("/img_w/") && imagery[1].template.contains("LAYER=cia")
        );
        assert!(TileSource::tianditu(true, "").problem().is_some());
    }

    #[test]
    fn the_cache_name_holds_no_key() {
        let a = cache_name("https://x/{z}/{x}/{y}.png?tk=SECRET1");
        let b = cache_name("https://x/{z}/{x}/{y}.png?tk=SECRET2");
        assert_eq!(a, b);
        assert!(!a.contains("SECRET"));
    }

    #[test]
    fn the_cache_keeps_to_its_limit_dropping_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TileCache::new(dir.path(), 10_000);
        let tile = vec![7u8; 1000];
        for i in 0..30 {
            cache.put("l", (10, i, 0), &tile);
            // Distinct times, so "oldest" is well defined.
            let p = cache.path("l", (10, i, 0));
            let t =
                std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + u64::from(i));
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let size = folder_size(dir.path());
        assert!(size <= 10_000, "{size}");
        assert!(
            cache.get("l", (10, 29, 0)).is_some(),
            "the newest tile stays"
        );
        assert!(cache.get("l", (10, 0, 0)).is_none(), "the oldest tile went");
    }
}
