//! The site's pages: one per grid at a stable address, the township's index with a search,
//! and the style sheet they share. Plain HTML first (a page is whole with scripts off);
//! the index's search is a few lines of ES5 for old phone browsers.

use super::township::js_str;
use super::{ToLonLat, html};

/// Grids per file of a large site's search index.
const NAMES_PER_CHUNK: usize = 2000;
use crate::model::{Grid, Project, ProjectSettings, role_rank};
use crate::records::page_dirs;
use std::collections::HashMap;

/// What a publication says beyond the project's records.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// The site's title (default: "<township>河长制网格").
    pub title: Option<String>,
    /// The supervision hotline (default: the project's print setting).
    pub hotline: Option<String>,
    /// Publish every staff member's own phone number (otherwise only those of the people
    /// marked public; residents are given the hotline for the others).
    pub public_phones: bool,
    /// A 天地图 browser key: the township map gets 天地图's vector and imagery base maps
    /// (without one it draws the grids on a plain background).
    pub tianditu_key: Option<String>,
}

/// "一级网格" ... for levels 1-9.
fn level_name(level: u8) -> String {
    const DIGITS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match DIGITS.get(usize::from(level).wrapping_sub(1)) {
        Some(d) => format!("{d}级网格"),
        None => format!("{level}级网格"),
    }
}

/// A phone number as a `tel:` address: digits, `+` and `-` only.
fn tel(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+' || *c == '-')
        .collect()
}

fn phone_link(phone: &str) -> String {
    let t = tel(phone);
    if t.is_empty() {
        html(phone)
    } else {
        format!("<a href=\"tel:{t}\">{}</a>", html(phone))
    }
}

/// The head every page shares: UTF-8, phone viewport, kept out of search engines.
fn head(title: &str, css: &[&str]) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{}</title>\n",
        html(title)
    );
    for c in css {
        s.push_str(&format!("<link rel=\"stylesheet\" href=\"{c}\">\n"));
    }
    s.push_str("</head>\n<body>\n");
    s
}

const CSS: &str = "body{font-family:sans-serif;margin:0 auto;max-width:40em;padding:0 1em 2em;\
line-height:1.5;color:#222}header{padding:.6em 0;border-bottom:1px solid #ccc}\
h1{font-size:1.5em;margin:.5em 0 .2em}h2{font-size:1.15em;margin:1.2em 0 .3em}\
.sub{color:#555}dl{margin:0}dt{font-weight:bold;float:left;clear:left;width:5em}\
dd{margin:0 0 .3em 5.5em}ul{padding-left:1.2em}li{margin:.2em 0}\
.staff li{list-style:none;margin-left:-1.2em}.role{display:inline-block;min-width:6em;color:#555}\
a{color:#0645ad}.hotline{font-size:1.2em}footer{margin-top:2em;color:#777;font-size:.85em}\
#q{width:100%;box-sizing:border-box;font-size:1.1em;padding:.4em;margin:.5em 0}\
.l3,.l4{margin-left:1.2em}.none{display:none;color:#777}\
.map{width:100%;height:auto;background:#f6f6f3;border:1px solid #ddd}\
.map .n{fill:#ececec;stroke:#999;stroke-width:1}\
.map .g{fill:#f4c27a;fill-opacity:.75;stroke:#c0392b;stroke-width:2.5}\
.map .r{fill:none;stroke:#3a86ff;stroke-width:2.5}\
.map text{font-size:24px;fill:#555;text-anchor:middle}\
.map .t{font-size:30px;font-weight:bold;fill:#222}\
#tmap{display:none;height:60vh;min-height:16em;margin:.5em 0;border:1px solid #ccc;background:#f6f6f3}\
.lbl span{display:inline-block;transform:translate(-50%,-50%);-webkit-transform:translate(-50%,-50%);\
white-space:nowrap;font-size:13px;color:#4a235a;text-shadow:0 0 3px #fff,0 0 3px #fff}\
#where{font-size:1.1em;padding:.4em 1em}#here{font-size:1.1em;min-height:1.5em}\n";

/// Every file of the site: `index.html` (the township), `g/<dir>/index.html` for each
/// grid ([`page_dirs`]) and `site.css`; with `lonlat` (the working CRS to longitude and
/// latitude) also the township map: `data/grids.js`, `site.js` and the map library in
/// `lib/`.
pub fn pages(
    project: &Project,
    opts: &PageOptions,
    lonlat: Option<ToLonLat>,
) -> Vec<(String, Vec<u8>)> {
    let dirs = page_dirs(project);
    let settings = ProjectSettings::of(&project.settings).print;
    let hotline = opts
        .hotline
        .clone()
        .or(settings.hotline)
        .filter(|h| !h.trim().is_empty());
    let by_id = project.grid_index();
    let children = children_of(project, &by_id);
    let mut site = Site {
        project,
        dirs: &dirs,
        by_id,
        children,
        title: opts
            .title
            .clone()
            .unwrap_or_else(|| format!("{}河长制网格", project.town_name())),
        hotline,
        duties: settings.duties,
        bounds: crate::records::four_bounds_all(project),
        map: super::map::MapIndex::new(project),
        opts,
        overview: super::township::in_overview(project),
        boxes: Vec::new(),
    };
    // The map first: each grid's page links to its place on it.
    let mut map_files = Vec::new();
    if let Some(lonlat) = lonlat {
        use super::township as t;
        let parents: Vec<Option<usize>> = project
            .grids
            .iter()
            .enumerate()
            .map(|(i, g)| site.parent_of(g).filter(|&p| p != i))
            .collect();
        let key = opts.tianditu_key.as_deref().map(str::trim);
        let map = t::map_files(
            project,
            &dirs,
            &parents,
            key.filter(|k| !k.is_empty()),
            lonlat,
        );
        site.boxes = map.boxes;
        map_files = map.files;
        map_files.extend([
            ("site.js".to_string(), t::TOWNSHIP_JS.as_bytes().to_vec()),
            ("lib/leaflet.js".to_string(), t::LEAFLET_JS.to_vec()),
            ("lib/leaflet.css".to_string(), t::LEAFLET_CSS.to_vec()),
            (
                "lib/LICENSE-leaflet.txt".to_string(),
                t::LEAFLET_LICENSE.to_vec(),
            ),
            (
                "lib/images/layers.png".to_string(),
                t::LEAFLET_LAYERS.to_vec(),
            ),
            (
                "lib/images/layers-2x.png".to_string(),
                t::LEAFLET_LAYERS_2X.to_vec(),
            ),
        ]);
    }
    let mut files = vec![
        ("site.css".to_string(), CSS.as_bytes().to_vec()),
        (
            "index.html".to_string(),
            site.index(lonlat.is_some()).into_bytes(),
        ),
        (
            "search.js".to_string(),
            super::township::SEARCH_JS.as_bytes().to_vec(),
        ),
    ];
    if site.overview.contains(&false) {
        files.extend(site.name_chunks());
    }
    files.extend(map_files);
    use rayon::prelude::*;
    files.par_extend(dirs.par_iter().enumerate().map(|(i, dir)| {
        (
            format!("g/{dir}/index.html"),
            site.grid_page(i).into_bytes(),
        )
    }));
    files
}

/// Each grid's children (in project order): the grids whose parent is it, itself excepted.
fn children_of(project: &Project, by_id: &HashMap<&str, usize>) -> Vec<Vec<usize>> {
    let mut children = vec![Vec::new(); project.grids.len()];
    for (i, g) in project.grids.iter().enumerate() {
        if let Some(&p) = g.parent.as_deref().and_then(|p| by_id.get(p))
            && p != i
        {
            children[p].push(i);
        }
    }
    children
}

/// What every page is made from.
struct Site<'a> {
    project: &'a Project,
    dirs: &'a [String],
    by_id: HashMap<&'a str, usize>,
    children: Vec<Vec<usize>>,
    title: String,
    hotline: Option<String>,
    duties: Option<String>,
    bounds: Vec<crate::records::FourBounds>,
    map: super::map::MapIndex,
    opts: &'a PageOptions,
    /// The grids the index lists (every grid of a small site; the upper levels of a large
    /// one, whose search then reads [`Site::name_chunks`]).
    overview: Vec<bool>,
    /// Each grid's box on the township map (none without a map).
    boxes: Vec<Option<[i64; 4]>>,
}

impl Site<'_> {
    fn parent_of(&self, g: &Grid) -> Option<usize> {
        g.parent.as_deref().and_then(|p| self.by_id.get(p).copied())
    }

    fn hotline_html(&self) -> String {
        match &self.hotline {
            Some(h) => format!(
                "<h2>监督电话</h2>\n<p class=\"hotline\">{}</p>\n",
                phone_link(h)
            ),
            None => String::new(),
        }
    }

    fn footer(&self) -> String {
        format!(
            "<footer>更新日期：{} · 由 gridmap 发布</footer>\n</body>\n</html>\n",
            super::DATE_MARK
        )
    }

    /// One grid's page: what it is, where it lies, who looks after it and whom to call.
    fn grid_page(&self, i: usize) -> String {
        let g = &self.project.grids[i];
        let up = "../../";
        let mut s = head(
            &format!("{} · {}", g.label(), self.title),
            &["../../site.css"],
        );
        s.push_str(&format!(
            "<header><a href=\"{up}index.html\">{}</a></header>\n<h1>{}</h1>\n<p class=\"sub\">{}",
            html(&self.title),
            html(g.label()),
            level_name(g.level)
        ));
        if !g.code.trim().is_empty() {
            s.push_str(&format!(" · 编码 {}", html(g.code.trim())));
        }
        s.push_str("</p>\n<dl>\n");
        if let Some(p) = self.parent_of(g) {
            s.push_str(&format!(
                "<dt>上级网格</dt><dd><a href=\"{up}g/{}/index.html\">{}</a></dd>\n",
                self.dirs[p],
                html(self.project.grids[p].label())
            ));
        }
        let fb = &self.bounds[i];
        for (k, v) in fb.lines() {
            if !v.trim().is_empty() {
                s.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", html(k), html(v)));
            }
        }
        if let Some(h) = g.households {
            s.push_str(&format!("<dt>户数</dt><dd>{h}</dd>\n"));
        }
        if let Some(p) = g.population {
            s.push_str(&format!("<dt>人口</dt><dd>{p}</dd>\n"));
        }
        s.push_str("</dl>\n");
        s.push_str(&self.staff_html(g));
        if let Some(d) = self.duties.as_deref().filter(|d| !d.trim().is_empty()) {
            s.push_str("<h2>工作职责</h2>\n");
            for line in d.lines().filter(|l| !l.trim().is_empty()) {
                s.push_str(&format!("<p>{}</p>\n", html(line.trim())));
            }
        }
        s.push_str(&self.hotline_html());
        let children = &self.children[i];
        if !children.is_empty() {
            s.push_str("<h2>下级网格</h2>\n<ul>\n");
            for &k in children {
                s.push_str(&format!(
                    "<li><a href=\"{up}g/{}/index.html\">{}</a></li>\n",
                    self.dirs[k],
                    html(self.project.grids[k].label())
                ));
            }
            s.push_str("</ul>\n");
        }
        s.push_str(&super::map::grid_map(self.project, &self.map, self.dirs, i));
        if let Some(Some(b)) = self.boxes.get(i) {
            s.push_str(&format!(
                "<p><a class=\"onmap\" href=\"{up}index.html?g={}&amp;b={},{},{},{}#tmap\">在全镇地图上查看 · 查我在哪个网格</a></p>\n",
                self.dirs[i], b[0], b[1], b[2], b[3]
            ));
        }
        s.push_str(&self.footer());
        s
    }

    /// The staff by role: 网格长 and 河长 first. Their own phones only when published (the
    /// person marked public, or `public_phones` for all); otherwise the hotline stands for
    /// them.
    fn staff_html(&self, g: &Grid) -> String {
        let mut staff: Vec<&crate::model::Staff> =
            g.staff.iter().filter(|p| !p.is_blank()).collect();
        if staff.is_empty() {
            return String::new();
        }
        staff.sort_by_key(|p| role_rank(&p.role));
        let mut s = String::from("<h2>网格人员</h2>\n<ul class=\"staff\">\n");
        let mut withheld = false;
        for p in staff {
            let public = self.opts.public_phones || p.public;
            let phone = if public && !p.phone.trim().is_empty() {
                format!(" {}", phone_link(p.phone.trim()))
            } else {
                withheld |= !p.phone.trim().is_empty();
                String::new()
            };
            s.push_str(&format!(
                "<li><span class=\"role\">{}</span>{}{phone}</li>\n",
                html(p.role.trim()),
                html(p.name.trim())
            ));
        }
        s.push_str("</ul>\n");
        if withheld && self.hotline.is_some() {
            s.push_str("<p class=\"sub\">联系网格人员请拨打监督电话。</p>\n");
        }
        s
    }

    /// The township's page: the map with 我在哪个网格 (when there is one; shown only with
    /// scripts on), then every grid in the order of the hierarchy (each under its parent),
    /// with a search over names, codes, staff and village names and their pinyin initials.
    fn index(&self, with_map: bool) -> String {
        let css: &[&str] = if with_map {
            &["lib/leaflet.css", "site.css"]
        } else {
            &["site.css"]
        };
        let mut s = head(&self.title, css);
        s.push_str(&format!("<h1>{}</h1>\n", html(&self.title)));
        if with_map {
            s.push_str(
                "<p><button id=\"where\" type=\"button\" style=\"display:none\">我在哪个网格</button></p>\n\
                 <p id=\"here\" aria-live=\"polite\"></p>\n<div id=\"tmap\"></div>\n\
                 <p id=\"tap\" class=\"sub\" style=\"display:none\">在地图上点一个位置，也能查到它所在的网格。</p>\n",
            );
        }
        s.push_str(&self.hotline_html());
        let listed = self.overview.iter().filter(|&&o| o).count();
        let chunks = if listed < self.project.grids.len() {
            self.project.grids.len().div_ceil(NAMES_PER_CHUNK)
        } else {
            0
        };
        s.push_str(&format!(
            "<h2>网格</h2>\n<input id=\"q\" type=\"search\" style=\"display:none\" \
             placeholder=\"搜索：网格、村、人名或拼音首字母\" aria-label=\"搜索\" data-chunks=\"{chunks}\">\n\
             <p id=\"none\" class=\"none\">没有找到。</p>\n<ul id=\"found\" style=\"display:none\"></ul>\n"
        ));
        if chunks > 0 {
            s.push_str(&format!(
                "<p class=\"sub\">共 {} 个网格；这里列出上面 {listed} 个，其余的见各网格页面的“下级网格”，或用搜索。</p>\n",
                self.project.grids.len()
            ));
        }
        s.push_str("<ul id=\"grids\">\n");
        for i in self.hierarchy_order() {
            if !self.overview[i] {
                continue;
            }
            let g = &self.project.grids[i];
            s.push_str(&format!(
                "<li class=\"l{}\" data-k=\"{}\"><a href=\"g/{}/index.html\">{}</a> <span class=\"sub\">{}</span></li>\n",
                g.level.min(4),
                html(&self.search_key(i)),
                self.dirs[i],
                html(g.label()),
                level_name(g.level)
            ));
        }
        s.push_str("</ul>\n<script src=\"search.js\"></script>\n");
        if with_map {
            s.push_str(
                "<script src=\"lib/leaflet.js\"></script>\n<script src=\"data/grids.js\"></script>\n\
                 <script src=\"site.js\"></script>\n",
            );
        }
        s.push_str(&self.footer());
        s
    }

    /// What the search looks in for grid `i` (lower case): its code and id, its name, its
    /// village's (a village's name finds its grids) and its people's, each also by pinyin
    /// initials.
    fn search_key(&self, i: usize) -> String {
        let g = &self.project.grids[i];
        let mut names = vec![g.label()];
        names.extend(self.parent_of(g).map(|p| self.project.grids[p].label()));
        names.extend(g.staff.iter().map(|p| p.name.trim()));
        let mut key = format!("{} {}", g.code.trim(), g.id);
        for n in names.iter().filter(|n| !n.is_empty()) {
            key.push_str(&format!(" {n} {}", super::township::initials(n)));
        }
        key.to_lowercase()
    }

    /// A large site's search index: every grid's `[key, name, page folder, level]` in the
    /// order of the hierarchy, [`NAMES_PER_CHUNK`] to a file `data/names/<k>.js`.
    fn name_chunks(&self) -> Vec<(String, Vec<u8>)> {
        let order = self.hierarchy_order();
        order
            .chunks(NAMES_PER_CHUNK)
            .enumerate()
            .map(|(k, part)| {
                let rows: Vec<String> = part
                    .iter()
                    .map(|&i| {
                        let g = &self.project.grids[i];
                        format!(
                            "[{},{},{},{}]",
                            js_str(&self.search_key(i)),
                            js_str(g.label()),
                            js_str(&self.dirs[i]),
                            js_str(&level_name(g.level))
                        )
                    })
                    .collect();
                (
                    format!("data/names/{k}.js"),
                    format!("GRIDMAP_NAMES({k},[\n{}]);\n", rows.join(",\n")).into_bytes(),
                )
            })
            .collect()
    }

    /// Grids depth first from those without a parent in the project, children in
    /// project order; every grid exactly once (a cycle of parents is cut).
    fn hierarchy_order(&self) -> Vec<usize> {
        let n = self.project.grids.len();
        let roots = (0..n).filter(|&i| {
            self.parent_of(&self.project.grids[i])
                .is_none_or(|p| p == i)
        });
        let mut seen = vec![false; n];
        let mut out = Vec::with_capacity(n);
        let visit = |start: usize, out: &mut Vec<usize>, seen: &mut Vec<bool>| {
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                out.push(i);
                stack.extend(self.children[i].iter().rev());
            }
        };
        for r in roots {
            visit(r, &mut out, &mut seen);
        }
        for i in 0..n {
            visit(i, &mut out, &mut seen);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_is_called_by_its_digits() {
        assert_eq!(tel("0735-555 0000"), "0735-5550000");
        assert_eq!(tel("\"><script>"), "");
    }
}
