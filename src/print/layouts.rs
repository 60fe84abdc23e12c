//! The sheets: township map, village division map, display board, and the atlas of them.

use super::labels::{Bbox, Placer};
use super::map::{
    self, AreaLabel, FADED, FADED_INK, Frame, GridPaint, INK, Line, Planar, Style, Symbol,
};
use super::svg::{Align, Svg};
use super::{
    DEFAULT_DUTIES, Document, Layout, Orientation, Page, PageMeta, Paper, PrintError, PrintOptions,
    find_grid, text,
};
use crate::model::{GridIndex, Project, ROLE_GRID_WORKER};
use crate::records::four_bounds;

pub fn compose(project: &Project, opts: &PrintOptions) -> Result<Document, PrintError> {
    let grid = || -> Result<usize, PrintError> {
        let key = opts.grid.as_deref().ok_or(PrintError::NeedsGrid {
            layout: opts.layout.zh(),
            key: opts.layout.key(),
        })?;
        find_grid(project, key)
    };
    let (pages, title) = match opts.layout {
        Layout::Township => (vec![township(project, opts)], document_title(project, opts)),
        Layout::Village => {
            let v = village_of(project, grid()?);
            (
                vec![village(project, opts, v)],
                village_title(project, opts, v),
            )
        }
        Layout::Board => {
            let g = grid()?;
            (
                vec![board(project, opts, g, None)],
                board_title(project, opts, g),
            )
        }
        Layout::Atlas => (atlas(project, opts), document_title(project, opts)),
    };
    Ok(Document {
        title,
        date: opts.date,
        pages,
    })
}

/// "上村网格划分图", or the title asked for.
fn village_title(project: &Project, opts: &PrintOptions, v: usize) -> String {
    opts.title
        .clone()
        .unwrap_or_else(|| format!("{}网格划分图", project.grids[v].label()))
}

/// "上村河长制网格公示牌" (the village's name for a level-3 grid), or the title asked for.
fn board_title(project: &Project, opts: &PrintOptions, g: usize) -> String {
    opts.title.clone().unwrap_or_else(|| {
        let v = &project.grids[village_of(project, g)];
        format!("{}河长制网格公示牌", v.label())
    })
}

fn document_title(project: &Project, opts: &PrintOptions) -> String {
    opts.title.clone().unwrap_or_else(|| match opts.layout {
        Layout::Atlas => format!("{}河长制网格公示牌图集", project.town_name()),
        _ => format!("{}河长制网格化管理网格图", project.town_name()),
    })
}

fn office(project: &Project, opts: &PrintOptions) -> String {
    opts.office
        .clone()
        .unwrap_or_else(|| format!("{}人民政府", project.town_name()))
}

/// The sheet size for a layout, turned to suit the area when the orientation is automatic.
fn sheet(
    opts: &PrintOptions,
    default: Paper,
    extent: Option<[f64; 4]>,
    portrait: bool,
) -> (f64, f64) {
    let p = opts.paper.unwrap_or(default);
    let landscape = match opts.orientation {
        Orientation::Portrait => false,
        Orientation::Landscape => true,
        Orientation::Auto => match extent {
            Some(e) if !portrait => (e[2] - e[0]) > (e[3] - e[1]) * 1.1,
            _ => false,
        },
    };
    if landscape {
        (p.height, p.width)
    } else {
        (p.width, p.height)
    }
}

fn margin(opts: &PrintOptions, style: &Style) -> f64 {
    opts.margin.unwrap_or(6.0 * style.u).max(0.0)
}

fn ink() -> String {
    format!(r#"fill="{INK}""#)
}

impl PageMeta {
    /// The facts of a page with this main map, labels still to come.
    fn of_frame(frame: &Frame) -> Self {
        PageMeta {
            scale: Some(frame.scale),
            frame: Some(frame.meta()),
            ..Default::default()
        }
    }
}

/// Double border, title and footer shared by the map sheets; returns the area left inside.
fn frame_sheet(
    svg: &mut Svg,
    w: f64,
    h: f64,
    m: f64,
    title: &str,
    footer: [String; 3],
    style: &Style,
) -> [f64; 4] {
    let u = style.u;
    svg.rect(
        [m, m, w - 2.0 * m, h - 2.0 * m],
        &format!(r#"fill="none" stroke="{INK}" stroke-width="{}""#, 0.7 * u),
    );
    let (i, title_size, area) = sheet_metrics(w, h, m, title, style);
    svg.rect(
        [i, i, w - 2.0 * i, h - 2.0 * i],
        &format!(r#"fill="none" stroke="{INK}" stroke-width="{}""#, 0.2 * u),
    );
    svg.text(
        w / 2.0,
        i + 3.0 * u,
        title_size,
        Align::Middle,
        title,
        &format!(
            r#"fill="{INK}" stroke="{INK}" stroke-width="{}""#,
            title_size * 0.03
        ),
    );
    let fsize = 2.8 * u;
    let fh = fsize * text::line_height() + 3.0 * u;
    let fy = h - i - fh + 1.5 * u;
    let [left, mid, right] = footer;
    svg.text(i + 4.0 * u, fy, fsize, Align::Start, &left, &ink());
    svg.text(w / 2.0, fy, fsize, Align::Middle, &mid, &ink());
    svg.text(w - i - 4.0 * u, fy, fsize, Align::End, &right, &ink());
    area
}

/// Where a village sheet puts its map and its table: the table beside the map on a landscape
/// sheet, under it on a portrait one.
fn village_split(
    area: [f64; 4],
    landscape: bool,
    rows: usize,
    tsize: f64,
    u: f64,
) -> ([f64; 4], [f64; 2], [f64; 5]) {
    let rh = tsize * text::line_height() + 1.6 * u;
    if landscape {
        let tw = (area[2] * 0.36).min(150.0 * u);
        (
            [area[0], area[1], area[2] - tw - 3.0 * u, area[3]],
            [area[0] + area[2] - tw, area[1] + 2.0 * u],
            [0.09, 0.25, 0.27, 0.17, 0.22].map(|f| f * tw),
        )
    } else {
        let th = (rows as f64 * rh + 4.0 * u).min(area[3] * 0.45);
        (
            [area[0], area[1], area[2], area[3] - th],
            [area[0], area[1] + area[3] - th + 2.0 * u],
            [0.08, 0.24, 0.28, 0.18, 0.22].map(|f| f * area[2]),
        )
    }
}

/// The title's size and the map area a framed sheet leaves: [x, y, w, h].
fn sheet_area(w: f64, h: f64, m: f64, title: &str, style: &Style) -> [f64; 4] {
    sheet_metrics(w, h, m, title, style).2
}

/// Inner border offset, title size and the area inside the title and footer.
fn sheet_metrics(w: f64, h: f64, m: f64, title: &str, style: &Style) -> (f64, f64, [f64; 4]) {
    let u = style.u;
    let i = m + 1.2 * u;
    let title_size = (8.0 * u).min((w - 2.0 * i - 8.0 * u) / (text::width(title, 1.0).max(1.0)));
    let top = i + 4.0 * u + title_size * text::line_height();
    let fh = 2.8 * u * text::line_height() + 3.0 * u;
    (
        i,
        title_size,
        [i + 3.0 * u, top, w - 2.0 * i - 6.0 * u, h - i - fh - top],
    )
}

fn footer(project: &Project, opts: &PrintOptions) -> [String; 3] {
    [
        format!("制图单位：{}", office(project, opts)),
        format!("制图日期：{}", opts.date.zh()),
        match &opts.hotline {
            Some(p) => format!("监督电话：{p}"),
            None => String::new(),
        },
    ]
}

/// Grids with no children: the ones a map fills.
fn leaves(project: &Project) -> Vec<usize> {
    let index = GridIndex::new(project);
    (0..project.grids.len())
        .filter(|&i| !index.has_children(&project.grids[i].id))
        .collect()
}

/// Neighbour-distinct colour classes for some grids.
fn colour_classes(project: &Project, members: &[usize]) -> Vec<usize> {
    let polys: Vec<_> = members
        .iter()
        .map(|&i| &project.grids[i].geometry)
        .collect();
    let adj: Vec<Vec<usize>> = crate::geom::neighbours(&polys, 0.5)
        .into_iter()
        .map(|l| l.into_iter().map(|e| e.0).collect())
        .collect();
    crate::geom::colouring(&adj, map::PALETTE.len())
}

fn grid_label(
    project: &Project,
    i: usize,
    u: f64,
    size: f64,
    codes: bool,
    prefix: &str,
) -> AreaLabel {
    let g = &project.grids[i];
    let mut lines = vec![Line {
        text: format!("{prefix}{}", g.label()),
        size: size * u,
        attrs: ink(),
    }];
    if codes && !g.code.trim().is_empty() {
        lines.push(Line {
            text: g.code.trim().to_string(),
            size: size * 0.72 * u,
            attrs: r##"fill="#444444""##.to_string(),
        });
    }
    AreaLabel {
        index: i,
        lines,
        droppable: true,
        optional: false,
        within_children: false,
    }
}

/// A neighbour's name in grey: context only, left out silently where there is no room.
fn faded_label(project: &Project, i: usize, u: f64, size: f64) -> AreaLabel {
    let mut l = grid_label(project, i, u, size, false, "");
    l.lines[0].attrs = format!(r#"fill="{FADED_INK}""#);
    l.optional = true;
    l
}

/// Place legend, scale bar + north arrow and inset in the emptiest corners, taking their
/// boxes in the placer; returns the scale bar's facts.
#[allow(clippy::too_many_arguments)]
fn furniture(
    svg: &mut Svg,
    frame: &Frame,
    project: &Project,
    opts: &PrintOptions,
    style: &Style,
    entries: &[(Symbol, &str)],
    highlight: &[usize],
    placer: &mut Placer,
) -> ([f64; 3], f64) {
    let u = style.u;
    let mut used: Vec<Bbox> = Vec::new();
    let mut pick = |w: f64, h: f64| -> Bbox {
        let c = map::emptiest_corners(frame, project, w, h);
        let b = c
            .iter()
            .find(|b| {
                !used
                    .iter()
                    .any(|o| o[0] < b[2] && b[0] < o[2] && o[1] < b[3] && b[1] < o[3])
            })
            .copied()
            .unwrap_or(c[0]);
        used.push(b);
        b
    };
    let (lw, lh) = map::legend_size(entries.len(), style);
    let lb = pick(lw, lh);
    map::legend(svg, lb, entries, style);
    placer.take(&[lb]);
    let (sw, sh) = map::scale_bar_size(style);
    let arrow = 12.0 * u;
    let sb = pick(sw + arrow, sh.max(arrow * 1.6));
    let bar_box = [sb[0], sb[3] - sh, sb[2] - arrow, sb[3]];
    let bar = map::scale_bar(svg, frame, bar_box, style);
    map::north_arrow(svg, [sb[2] - arrow, sb[1], sb[2], sb[3]], style);
    placer.take(&[sb]);
    if opts.show.inset {
        let side = frame.rect[2].min(frame.rect[3]) * 0.2;
        let ib = pick(side, side);
        map::inset(svg, ib, project, highlight, Some(frame.world()), style);
        placer.take(&[ib]);
    }
    bar
}

fn township(project: &Project, opts: &PrintOptions) -> Page {
    let planar = Planar::of(project);
    let extent = planar.extent(project.grids.iter().map(|g| &g.geometry));
    let (w, h) = sheet(opts, Paper::a(0), extent, false);
    let style = Style::new(w, h, opts.mono);
    let u = style.u;
    let mut svg = Svg::new();
    style.defs(&mut svg);
    let title = document_title(project, opts);
    let m = margin(opts, &style);
    let area = frame_sheet(&mut svg, w, h, m, &title, footer(project, opts), &style);
    // The villages' 网格长 and 河长 with their phones beside the map, the QR code under them.
    let area = staff_column(&mut svg, project, opts, area, &style);
    let frame = Frame::fit(
        area,
        extent.unwrap_or([0.0, 0.0, 1.0, 1.0]),
        opts.scale,
        planar,
    );
    let mut meta = PageMeta::of_frame(&frame);
    let leaf = leaves(project);
    let classes = colour_classes(project, &leaf);
    let paints: Vec<GridPaint> = (0..project.grids.len())
        .map(|i| GridPaint {
            index: i,
            fill: leaf
                .iter()
                .position(|&l| l == i)
                .map(|k| style.fill(classes[k])),
        })
        .collect();
    // Clip only when something reaches past the frame: a clipped group costs the rasteriser
    // a layer the size of the sheet.
    let clip = !frame.holds(project);
    if clip {
        svg.clip_rect(frame.rect);
    }
    map::draw_grids(&mut svg, &frame, project, &paints, &style, |_| false);
    map::draw_water(&mut svg, &frame, project, &opts.show, &style);
    if clip {
        svg.close_group();
    }
    let mut placer = Placer::new(frame.bbox(), 0.35 * u);
    let meta_bar = furniture(
        &mut svg,
        &frame,
        project,
        opts,
        &style,
        &township_legend(
            project,
            &opts.show,
            classes.iter().max().map_or(1, |k| k + 1),
        ),
        &[],
        &mut placer,
    );
    meta.scale_bar = Some(meta_bar);
    if opts.show.ticks {
        map::ticks(&mut svg, &frame, &style);
    }
    if opts.show.villages {
        map::village_symbols(&mut svg, &frame, project, &style, &mut placer);
    }
    if opts.show.rivers {
        map::river_names(&mut svg, &frame, project, &style, &mut placer);
    }
    map::water_obstacles(&mut svg, &frame, project, &opts.show, &style, &mut placer);
    if opts.show.labels {
        let max_level = project.grids.iter().map(|g| g.level).max().unwrap_or(3);
        // Every leaf grid first (name and code inside it), then the village names, larger,
        // in the room that is left.
        let mut labels: Vec<AreaLabel> = leaf
            .iter()
            .filter(|&&i| project.grids[i].level >= 2)
            .map(|&i| grid_label(project, i, u, 2.8, opts.show.codes, ""))
            .collect();
        for (i, g) in project.grids.iter().enumerate() {
            if g.level == 2 && max_level > 2 {
                let mut l = grid_label(project, i, u, 4.6, false, "");
                l.lines[0].attrs =
                    format!(r#"fill="{INK}" stroke="{INK}" stroke-width="{}""#, 0.08 * u);
                // Inside one of its level-3 grids: a village's name crossing their
                // boundaries reads as theirs.
                l.within_children = true;
                labels.push(l);
            }
        }
        map::label_areas(&mut svg, &frame, project, &labels, &mut placer, &mut meta);
    }
    if opts.show.villages {
        map::village_names(&mut svg, &frame, project, &style, &mut placer, &mut meta);
    }
    Page {
        name: "township".into(),
        width: w,
        height: h,
        svg: svg.finish(w, h),
        meta,
    }
}

/// The table of every village's 网格长 and 河长 with phones, and the town's QR code, in a
/// column on the right of `area`; returns the area left for the map.
fn staff_column(
    svg: &mut Svg,
    project: &Project,
    opts: &PrintOptions,
    area: [f64; 4],
    style: &Style,
) -> [f64; 4] {
    let u = style.u;
    let mut villages: Vec<&crate::model::Grid> =
        project.grids.iter().filter(|g| g.level == 2).collect();
    villages.sort_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
    let town = project.grids.iter().find(|g| g.level == 1);
    let qr = opts.show.qr && town.is_some();
    if villages.is_empty() && !qr {
        return area;
    }
    let tw = (area[2] * 0.26).min(130.0 * u);
    let x = area[0] + area[2] - tw;
    let mut y = area[1] + 2.0 * u;
    let qr_side = if qr { (tw * 0.4).min(36.0 * u) } else { 0.0 };
    if !villages.is_empty() {
        let person = |g: &crate::model::Grid, role: &str| {
            g.staff
                .iter()
                .find(|s| s.role.trim() == role && !s.name.trim().is_empty())
                .map(|s| (s.name.trim().to_string(), s.phone.trim().to_string()))
                .unwrap_or_default()
        };
        let mut rows = vec![
            ["村", "网格长", "电话", "河长", "电话"]
                .map(String::from)
                .to_vec(),
        ];
        for v in &villages {
            let (hn, hp) = person(v, crate::model::ROLE_GRID_HEAD);
            let (rn, rp) = person(v, crate::model::ROLE_RIVER_CHIEF);
            rows.push(vec![v.label().to_string(), hn, hp, rn, rp]);
        }
        let heading = 3.4 * u;
        svg.text(
            x + tw / 2.0,
            y,
            heading,
            Align::Middle,
            "各村网格长、河长",
            &format!(r#"fill="{INK}" stroke="{INK}" stroke-width="{}""#, 0.05 * u),
        );
        y += heading * text::line_height() + 1.5 * u;
        // As large as 2.8 u, smaller when many villages must fit above the QR code; at the
        // smallest size, the rows that fit and a line saying how many more the ledger has.
        let room = area[1] + area[3] - y - qr_side - 4.0 * u;
        let row_h = |size: f64| size * text::line_height() + 1.6 * u;
        let fit = ((room - row_h(1.4 * u)) / row_h(1.4 * u)).floor().max(2.0) as usize;
        let more = rows.len().saturating_sub(fit);
        rows.truncate(fit);
        let size =
            ((room / rows.len() as f64 - 1.6 * u) / text::line_height()).clamp(1.4 * u, 2.8 * u);
        y = table(
            svg,
            x,
            y,
            &[0.2, 0.16, 0.24, 0.16, 0.24].map(|f| f * tw),
            &rows,
            size,
            true,
            style,
        ) + 3.0 * u;
        if more > 0 {
            svg.text(
                x,
                y,
                size,
                Align::Start,
                &format!("另有 {more} 个村未列出，见网格台账。"),
                &format!(r#"fill="{INK}""#),
            );
            y += size * text::line_height() + 2.0 * u;
        }
    }
    if let Some(t) = town.filter(|_| qr) {
        let b = [
            x + (tw - qr_side) / 2.0,
            y,
            x + (tw + qr_side) / 2.0,
            y + qr_side,
        ];
        map::qr_code(svg, b, &opts.qr_text(project, t));
    }
    [area[0], area[1], area[2] - tw - 4.0 * u, area[3]]
}

fn township_legend(
    project: &Project,
    show: &super::Show,
    fills: usize,
) -> Vec<(Symbol, &'static str)> {
    let mut e = vec![
        (Symbol::Outline(1), "镇界"),
        (Symbol::Outline(2), "村级网格界"),
    ];
    if project.grids.iter().any(|g| g.level >= 3) {
        e.push((Symbol::Outline(3), "三级网格界"));
    }
    e.push((Symbol::Fills(fills), "网格（相邻不同色）"));
    if show.rivers && !project.rivers.is_empty() {
        e.push((Symbol::River, "河流"));
    }
    if show.reservoirs && !project.reservoirs.is_empty() {
        e.push((Symbol::Water, "水库"));
    }
    if show.villages && !project.villages.is_empty() {
        e.push((Symbol::Village, "自然村"));
    }
    e
}

/// The level-2 grid a grid belongs to (itself for a village, its ancestor for a level-3).
fn village_of(project: &Project, i: usize) -> usize {
    let mut cur = i;
    for _ in 0..8 {
        let g = &project.grids[cur];
        if g.level <= 2 {
            return cur;
        }
        match g
            .parent
            .as_deref()
            .and_then(|p| project.grids.iter().position(|x| x.id == p))
        {
            Some(p) => cur = p,
            None => return cur,
        }
    }
    cur
}

/// Rows of a table drawn with column widths `cols` (mm) from `top`; returns the bottom.
#[allow(clippy::too_many_arguments)]
fn table(
    svg: &mut Svg,
    x: f64,
    top: f64,
    cols: &[f64],
    rows: &[Vec<String>],
    size: f64,
    header: bool,
    style: &Style,
) -> f64 {
    let u = style.u;
    let rh = size * text::line_height() + 1.6 * u;
    let width: f64 = cols.iter().sum();
    let attrs = format!(r#"stroke="{INK}" stroke-width="{}""#, 0.18 * u);
    let mut y = top;
    for (r, row) in rows.iter().enumerate() {
        if header && r == 0 {
            let fill = if style.mono { "#eeeeee" } else { "#e8eef6" };
            svg.rect(
                [x, y, width, rh],
                &format!(r#"fill="{fill}" stroke="none""#),
            );
        }
        let mut cx = x;
        for (c, cell) in row.iter().enumerate() {
            let cw = cols.get(c).copied().unwrap_or(0.0);
            // Shrink a cell's text to fit its column rather than run into the next.
            let fit = (cw - 1.6 * u) / text::width(cell, 1.0).max(1e-9);
            let s = size.min(fit).max(size * 0.5);
            svg.text(
                cx + cw / 2.0,
                y + (rh - s * text::line_height()) / 2.0,
                s,
                Align::Middle,
                cell,
                &ink(),
            );
            cx += cw;
        }
        svg.line([x, y], [x + width, y], &attrs);
        y += rh;
    }
    svg.line([x, y], [x + width, y], &attrs);
    let mut cx = x;
    for cw in std::iter::once(0.0).chain(cols.iter().copied()) {
        cx += cw;
        svg.line([cx, top], [cx, y], &attrs);
    }
    y
}

fn village(project: &Project, opts: &PrintOptions, vi: usize) -> Page {
    let v = &project.grids[vi];
    let planar = Planar::of(project);
    let extent = planar.extent(std::iter::once(&v.geometry));
    let title = village_title(project, opts, vi);
    let n_rows = 1 + project
        .grids
        .iter()
        .filter(|g| g.parent.as_deref() == Some(v.id.as_str()))
        .count()
        .max(1);
    let (w, h) = village_sheet(opts, extent, &title, n_rows, planar);
    let style = Style::new(w, h, opts.mono);
    let u = style.u;
    let mut svg = Svg::new();
    style.defs(&mut svg);
    let m = margin(opts, &style);
    let area = frame_sheet(&mut svg, w, h, m, &title, footer(project, opts), &style);
    let mut children: Vec<usize> = (0..project.grids.len())
        .filter(|&i| project.grids[i].parent.as_deref() == Some(v.id.as_str()))
        .collect();
    children.sort_by(|&a, &b| {
        let (ga, gb) = (&project.grids[a], &project.grids[b]);
        ga.code.cmp(&gb.code).then(ga.id.cmp(&gb.id))
    });
    let members = if children.is_empty() {
        vec![vi]
    } else {
        children.clone()
    };
    // The table beside the map (landscape) or under it (portrait).
    let tsize = 2.6 * u;
    let rows = village_rows(project, &members);
    let (map_rect, table_at, cols) = village_split(area, w > h, rows.len(), tsize, u);
    table(
        &mut svg,
        table_at[0],
        table_at[1],
        &cols,
        &rows,
        tsize,
        true,
        &style,
    );
    let frame = Frame::fit(
        map_rect,
        extent.unwrap_or([0.0, 0.0, 1.0, 1.0]),
        opts.scale,
        planar,
    );
    let mut meta = PageMeta::of_frame(&frame);
    let paints = village_paints(project, &members, &frame, &style);
    svg.clip_rect(frame.rect);
    map::draw_grids(&mut svg, &frame, project, &paints, &style, |i| {
        !members.contains(&i) && i != vi
    });
    map::draw_water(&mut svg, &frame, project, &opts.show, &style);
    svg.close_group();
    let mut placer = Placer::new(frame.bbox(), 0.35 * u);
    let entries = vec![
        (Symbol::Outline(2), "村界"),
        (Symbol::Fill(0), "本村网格"),
        (Symbol::Faded, "相邻网格"),
        (Symbol::River, "河流"),
        (Symbol::Water, "水库"),
        (Symbol::Village, "自然村"),
    ];
    meta.scale_bar = Some(furniture(
        &mut svg,
        &frame,
        project,
        opts,
        &style,
        &entries,
        &[vi],
        &mut placer,
    ));
    if opts.show.villages {
        map::village_symbols(&mut svg, &frame, project, &style, &mut placer);
    }
    if opts.show.rivers {
        map::river_names(&mut svg, &frame, project, &style, &mut placer);
    }
    map::water_obstacles(&mut svg, &frame, project, &opts.show, &style, &mut placer);
    if opts.show.labels {
        let mut labels: Vec<AreaLabel> = members
            .iter()
            .enumerate()
            .map(|(k, &i)| grid_label(project, i, u, 3.0, opts.show.codes, &format!("{} ", k + 1)))
            .collect();
        // Neighbouring villages' names, faded, where they show.
        for (i, g) in project.grids.iter().enumerate() {
            if g.level == v.level && i != vi && frame.visible(&g.geometry) {
                labels.push(faded_label(project, i, u, 3.0));
            }
        }
        map::label_areas(&mut svg, &frame, project, &labels, &mut placer, &mut meta);
    }
    if opts.show.villages {
        map::village_names(&mut svg, &frame, project, &style, &mut placer, &mut meta);
    }
    Page {
        name: v.id.clone(),
        width: w,
        height: h,
        svg: svg.finish(w, h),
        meta,
    }
}

/// The sheet of a village map: as the options say, else turned the way that gives the
/// larger map beside or under its table of `n_rows` rows.
fn village_sheet(
    opts: &PrintOptions,
    extent: Option<[f64; 4]>,
    title: &str,
    n_rows: usize,
    planar: Planar,
) -> (f64, f64) {
    match (opts.orientation, extent) {
        (Orientation::Auto, Some(e)) => {
            let p = opts.paper.unwrap_or(Paper::a(3));
            [(p.width, p.height), (p.height, p.width)]
                .into_iter()
                .min_by(|a, b| {
                    let scale = |(w, h): (f64, f64)| {
                        let st = Style::new(w, h, opts.mono);
                        let area = sheet_area(w, h, margin(opts, &st), title, &st);
                        let r = village_split(area, w > h, n_rows, 2.6 * st.u, st.u).0;
                        Frame::fit(r, e, opts.scale, planar).scale
                    };
                    // Equal scales: the sheet shaped like the village.
                    let wide = (e[2] - e[0]) > (e[3] - e[1]);
                    scale(*a)
                        .total_cmp(&scale(*b))
                        .then(((a.0 > a.1) != wide).cmp(&((b.0 > b.1) != wide)))
                })
                .unwrap_or((p.width, p.height))
        }
        _ => sheet(opts, Paper::a(3), extent, false),
    }
}

/// The village map's table: a header row and one row per member grid.
fn village_rows(project: &Project, members: &[usize]) -> Vec<Vec<String>> {
    std::iter::once(
        ["序号", "网格名称", "网格编码", "网格员", "联系电话"]
            .map(String::from)
            .to_vec(),
    )
    .chain(members.iter().enumerate().map(|(k, &i)| {
        let g = &project.grids[i];
        let (names, phones) = g.people(ROLE_GRID_WORKER);
        vec![
            (k + 1).to_string(),
            g.label().to_string(),
            g.code.clone(),
            names,
            phones,
        ]
    }))
    .collect()
}

/// How a village map paints grids: other leaves faded, the members in their colour
/// classes, the other visible grids as outlines only.
fn village_paints(
    project: &Project,
    members: &[usize],
    frame: &Frame,
    style: &Style,
) -> Vec<GridPaint> {
    let classes = colour_classes(project, members);
    let leaf = leaves(project);
    leaf.iter()
        .copied()
        .filter(|&i| !members.contains(&i) && frame.visible(&project.grids[i].geometry))
        .map(|i| GridPaint {
            index: i,
            fill: Some(format!(r#"fill="{FADED}""#)),
        })
        .chain(members.iter().enumerate().map(|(k, &i)| GridPaint {
            index: i,
            fill: Some(style.fill(classes[k])),
        }))
        .chain(
            (0..project.grids.len())
                .filter(|&i| {
                    !leaf.contains(&i)
                        && !members.contains(&i)
                        && frame.visible(&project.grids[i].geometry)
                })
                .map(|i| GridPaint {
                    index: i,
                    fill: None,
                }),
        )
        .collect()
}

/// Break text into lines no wider than `max` (CJK breaks anywhere; Latin words stay whole
/// where they fit).
fn wrap(s: &str, size: f64, max: f64) -> Vec<String> {
    let mut out = Vec::new();
    for para in s.lines() {
        let mut line = String::new();
        for ch in para.chars() {
            let mut next = line.clone();
            next.push(ch);
            if text::width(&next, size) > max && !line.is_empty() {
                out.push(std::mem::take(&mut line));
                if ch != ' ' {
                    line.push(ch);
                }
            } else {
                line = next;
            }
        }
        out.push(line);
    }
    out
}

/// Body text of a display board in `u`: 14 pt on A3 (u = 297 / 210 mm).
const BODY: f64 = 3.5;

/// A display board's sheet as its drawing steps share it: size, margin, width inside the
/// margins, style and the colour of its bands.
struct BoardSheet {
    w: f64,
    h: f64,
    m: f64,
    inner: f64,
    style: Style,
    band: &'static str,
}

impl BoardSheet {
    /// Height of a section heading and the gap under it.
    fn heading(&self) -> f64 {
        3.4 * self.style.u * text::line_height() + 1.5 * self.style.u
    }

    /// Height of the footer band.
    fn footer_h(&self) -> f64 {
        11.0 * self.style.u
    }
}

/// The tables under a board's map: basic facts, the four bounds and the staff roster (with
/// its header row).
struct BoardTables {
    info: Vec<Vec<String>>,
    bounds: Vec<Vec<String>>,
    staff: Vec<Vec<String>>,
}

/// The text sizes under a board's map (body and duties), the duties text broken into lines,
/// and the height everything under the map takes.
struct BoardText {
    body: f64,
    duties: f64,
    duty_lines: Vec<String>,
    below: f64,
}

fn board(project: &Project, opts: &PrintOptions, gi: usize, page_no: Option<usize>) -> Page {
    let g = &project.grids[gi];
    let (w, h) = sheet(opts, Paper::a(3), None, true);
    let style = Style::new(w, h, opts.mono);
    let m = margin(opts, &style);
    let b = BoardSheet {
        w,
        h,
        m,
        inner: w - 2.0 * m,
        band: if opts.mono { INK } else { "#1f5fa8" },
        style,
    };
    let u = b.style.u;
    let mut svg = Svg::new();
    b.style.defs(&mut svg);
    let title = board_title(project, opts, gi);
    let y = board_header(&mut svg, &b, &title, g.label());
    // Everything under the map, measured first so the map takes what is left.
    let tables = board_tables(project, gi);
    let duties = opts.duties.as_deref().unwrap_or(DEFAULT_DUTIES);
    let rows = tables.info.len() + tables.bounds.len() + tables.staff.len();
    let text = board_text(&b, y, rows, duties);
    let map_h = (h - y - text.below - m).max(h * 0.22);
    let map_rect = [m, y, b.inner, map_h];
    let meta = board_map(&mut svg, project, opts, gi, map_rect, &b.style);
    let y = map_rect[1] + map_rect[3] + 3.0 * u;
    board_sections(
        &mut svg,
        &b,
        y,
        &tables,
        &text,
        opts,
        &opts.qr_text(project, g),
    );
    board_footer(&mut svg, &b, project, opts, page_no);
    Page {
        name: g.id.clone(),
        width: w,
        height: h,
        svg: svg.finish(w, h),
        meta,
    }
}

/// The header band with the board's title and the grid's name under it; the height below
/// them, where the map starts.
fn board_header(svg: &mut Svg, b: &BoardSheet, title: &str, grid: &str) -> f64 {
    let (m, u) = (b.m, b.style.u);
    let band_h = 16.0 * u;
    svg.rect([m, m, b.inner, band_h], &format!(r#"fill="{}""#, b.band));
    let tsize = (8.0 * u).min((b.inner - 8.0 * u) / text::width(title, 1.0).max(1.0));
    svg.text(
        b.w / 2.0,
        m + (band_h - tsize * text::line_height()) / 2.0,
        tsize,
        Align::Middle,
        title,
        r##"fill="#ffffff" stroke="#ffffff" stroke-width="0.1""##,
    );
    let y = m + band_h + 3.0 * u;
    let name_size = 5.0 * u;
    svg.text(
        b.w / 2.0,
        y,
        name_size,
        Align::Middle,
        &format!("网格：{grid}"),
        &ink(),
    );
    // Parenthesised as the `y +=` it was, so boards keep their exact coordinates.
    y + (name_size * text::line_height() + 2.0 * u)
}

/// The rows of a board's tables for grid `gi`.
fn board_tables(project: &Project, gi: usize) -> BoardTables {
    let g = &project.grids[gi];
    let village = &project.grids[village_of(project, gi)];
    let area_m2 = crate::geom::area(&g.geometry);
    let info = vec![
        vec![
            "网格名称".to_string(),
            g.label().to_string(),
            "网格编码".to_string(),
            g.code.clone(),
        ],
        vec![
            "户    数".to_string(),
            g.households.map(|v| format!("{v} 户")).unwrap_or_default(),
            "人    数".to_string(),
            g.population.map(|v| format!("{v} 人")).unwrap_or_default(),
        ],
        vec![
            "面    积".to_string(),
            format!(
                "{:.2} 平方千米（{:.0} 亩）",
                area_m2 / 1e6,
                area_m2 / (10_000.0 / 15.0)
            ),
            "所属村".to_string(),
            if g.level >= 3 {
                village.label().to_string()
            } else {
                String::new()
            },
        ],
    ];
    let fb = four_bounds(project, gi);
    let bounds = vec![
        vec![
            format!("{}：{}", fb.lines()[0].0, fb.lines()[0].1),
            format!("{}：{}", fb.lines()[1].0, fb.lines()[1].1),
        ],
        vec![
            format!("{}：{}", fb.lines()[2].0, fb.lines()[2].1),
            format!("{}：{}", fb.lines()[3].0, fb.lines()[3].1),
        ],
    ];
    // 网格长 and 河长 first, 网格协助员 last; the roster's order within a role.
    let mut staff: Vec<&crate::model::Staff> = g
        .staff
        .iter()
        .filter(|s| !s.name.trim().is_empty())
        .collect();
    staff.sort_by_key(|s| crate::model::role_rank(&s.role));
    let staff = std::iter::once(["职务", "姓名", "联系电话"].map(String::from).to_vec())
        .chain(staff.iter().map(|s| {
            vec![
                s.role.trim().to_string(),
                s.name.trim().to_string(),
                s.phone.trim().to_string(),
            ]
        }))
        .collect();
    BoardTables {
        info,
        bounds,
        staff,
    }
}

/// The text sizes under the map of a board whose map starts at `y`, for `rows` table rows
/// and the `duties` text.
fn board_text(b: &BoardSheet, y: f64, rows: usize, duties: &str) -> BoardText {
    let u = b.style.u;
    let (heading, fh) = (b.heading(), b.footer_h());
    // Under the map: a gap, four headed sections (tables and duties) and the footer band.
    // Body text is never under 14 pt on A3 (3.5 u; in proportion on other sheets), set
    // larger while the map keeps a third of the sheet; a long roster or duties text takes
    // room from the map instead.
    let measure = |f: f64| {
        let (bsize, dsize) = (BODY * u * f, BODY * u * f);
        let rh = bsize * text::line_height() + 1.6 * u;
        let lines = wrap(duties, dsize, b.inner - 6.0 * u);
        let below = 3.0 * u
            + heading * 4.0
            + rh * rows as f64
            + 6.0 * u
            + lines.len() as f64 * dsize * text::line_height() * 1.15
            + 3.0 * u
            + fh;
        BoardText {
            body: bsize,
            duties: dsize,
            duty_lines: lines,
            below,
        }
    };
    // Only a roster or duties text too long for the sheet even with the map at its
    // smallest sets the text under 14 pt.
    let (h, m) = (b.h, b.m);
    let sizes = [1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6];
    sizes
        .into_iter()
        .map(measure)
        .find(|t| h - y - t.below - m >= h / 3.0)
        .or_else(|| {
            sizes
                .into_iter()
                .map(measure)
                .find(|t| h - y - t.below - m >= h * 0.22)
        })
        .unwrap_or_else(|| measure(0.6))
}

/// What a board's map shows of grid `g`: its extent padded, else its parent's, else the
/// whole map's (a grid not drawn yet shows where it belongs); and whether it has its own.
fn board_extent(project: &Project, g: &crate::model::Grid, planar: Planar) -> ([f64; 4], bool) {
    let own = planar.extent(std::iter::once(&g.geometry));
    let extent = own
        .or_else(|| {
            let parent = g.parent.as_deref().and_then(|p| project.grid(p))?;
            planar.extent(std::iter::once(&parent.geometry))
        })
        .or_else(|| planar.extent(project.grids.iter().map(|g| &g.geometry)))
        .map(|e| {
            let pad = (e[2] - e[0]).max(e[3] - e[1]) * 0.08;
            [e[0] - pad, e[1] - pad, e[2] + pad, e[3] + pad]
        })
        .unwrap_or([0.0, 0.0, 1.0, 1.0]);
    (extent, own.is_some())
}

/// A board's map in `map_rect`: the grid coloured, its neighbours faded and named.
fn board_map(
    svg: &mut Svg,
    project: &Project,
    opts: &PrintOptions,
    gi: usize,
    map_rect: [f64; 4],
    style: &Style,
) -> PageMeta {
    let g = &project.grids[gi];
    let u = style.u;
    let planar = Planar::of(project);
    let (extent, drawn) = board_extent(project, g, planar);
    let frame = Frame::fit(map_rect, extent, opts.scale, planar);
    let mut meta = PageMeta::of_frame(&frame);
    svg.rect(
        map_rect,
        &format!(r#"fill="none" stroke="{INK}" stroke-width="{}""#, 0.3 * u),
    );
    let peers: Vec<usize> = (0..project.grids.len())
        .filter(|&i| project.grids[i].level == g.level && frame.visible(&project.grids[i].geometry))
        .collect();
    let paints: Vec<GridPaint> = peers
        .iter()
        .map(|&i| GridPaint {
            index: i,
            fill: Some(if i == gi {
                style.fill(0)
            } else {
                format!(r#"fill="{FADED}""#)
            }),
        })
        .chain(
            (0..project.grids.len())
                .filter(|&i| {
                    project.grids[i].level < g.level && frame.visible(&project.grids[i].geometry)
                })
                .map(|i| GridPaint {
                    index: i,
                    fill: None,
                }),
        )
        .collect();
    svg.clip_rect(frame.rect);
    map::draw_grids(svg, &frame, project, &paints, style, |i| {
        i != gi && project.grids[i].level == g.level
    });
    // The grid's own outline on top, heavy and in the accent colour.
    svg.path(
        &frame.path(&g.geometry),
        &format!(
            r#"fill="none" stroke="{}" stroke-width="{}""#,
            if opts.mono { INK } else { map::ACCENT },
            0.8 * u
        ),
    );
    map::draw_water(svg, &frame, project, &opts.show, style);
    svg.close_group();
    if !drawn {
        svg.text(
            frame.rect[0] + frame.rect[2] / 2.0,
            frame.rect[1] + frame.rect[3] / 2.0,
            5.0 * u,
            Align::Middle,
            "本网格尚未绘制边界",
            &format!(r#"fill="{}""#, map::ACCENT),
        );
    }
    board_map_marks(svg, project, opts, gi, &peers, &frame, style, &mut meta);
    meta
}

/// Scale bar, north arrow, symbols and names on a board's map; the labels' facts in `meta`.
#[allow(clippy::too_many_arguments)]
fn board_map_marks(
    svg: &mut Svg,
    project: &Project,
    opts: &PrintOptions,
    gi: usize,
    peers: &[usize],
    frame: &Frame,
    style: &Style,
    meta: &mut PageMeta,
) {
    let u = style.u;
    let mut placer = Placer::new(frame.bbox(), 0.5 * u);
    let (sw, sh) = map::scale_bar_size(style);
    let sb = [
        frame.rect[0] + frame.rect[2] - sw - 2.0 * u,
        frame.rect[1] + frame.rect[3] - sh - 2.0 * u,
        frame.rect[0] + frame.rect[2] - 2.0 * u,
        frame.rect[1] + frame.rect[3] - 2.0 * u,
    ];
    meta.scale_bar = Some(map::scale_bar(svg, frame, sb, style));
    placer.take(&[sb]);
    let ab = [
        frame.rect[0] + frame.rect[2] - 14.0 * u,
        frame.rect[1] + 2.0 * u,
        frame.rect[0] + frame.rect[2] - 2.0 * u,
        frame.rect[1] + 20.0 * u,
    ];
    map::north_arrow(svg, ab, style);
    placer.take(&[ab]);
    if opts.show.villages {
        map::village_symbols(svg, frame, project, style, &mut placer);
    }
    if opts.show.rivers {
        map::river_names(svg, frame, project, style, &mut placer);
    }
    map::water_obstacles(svg, frame, project, &opts.show, style, &mut placer);
    if opts.show.labels {
        let mut labels = vec![grid_label(project, gi, u, 4.2, false, "")];
        for &i in peers {
            if i != gi {
                labels.push(faded_label(project, i, u, 2.8));
            }
        }
        map::label_areas(svg, frame, project, &labels, &mut placer, meta);
    }
    if opts.show.villages {
        map::village_names(svg, frame, project, style, &mut placer, meta);
    }
}

/// A section heading at `y` (a bar in the band colour and the title); moves `y` under it.
fn board_section(svg: &mut Svg, b: &BoardSheet, y: &mut f64, title: &str) {
    let (m, u) = (b.m, b.style.u);
    svg.rect(
        [
            m,
            *y + 0.4 * u,
            1.2 * u,
            3.4 * u * text::line_height() - 0.8 * u,
        ],
        &format!(r#"fill="{}""#, b.band),
    );
    svg.text(m + 2.6 * u, *y, 3.4 * u, Align::Start, title, &ink());
    *y += b.heading();
}

/// The four headed sections under a board's map from `y`: basic facts, four bounds, the
/// staff with the QR code beside them, and the duties.
fn board_sections(
    svg: &mut Svg,
    b: &BoardSheet,
    mut y: f64,
    tables: &BoardTables,
    text: &BoardText,
    opts: &PrintOptions,
    qr_text: &str,
) {
    let (m, u, inner, style) = (b.m, b.style.u, b.inner, &b.style);
    let bsize = text.body;
    board_section(svg, b, &mut y, "网格基本信息");
    y = table(
        svg,
        m,
        y,
        &[0.17, 0.33, 0.17, 0.33].map(|f| f * inner),
        &tables.info,
        bsize,
        false,
        style,
    ) + 2.0 * u;
    board_section(svg, b, &mut y, "四至范围");
    y = table(
        svg,
        m,
        y,
        &[0.5, 0.5].map(|f| f * inner),
        &tables.bounds,
        bsize,
        false,
        style,
    ) + 2.0 * u;
    board_section(svg, b, &mut y, "网格工作人员");
    // The QR code beside the staff table, at least 25 mm wide (A3) to scan from a step
    // away.
    let qr_side = if opts.show.qr { 18.0 * u } else { 0.0 };
    let table_w = inner
        - if qr_side > 0.0 {
            qr_side + 3.0 * u
        } else {
            0.0
        };
    let top = y;
    y = table(
        svg,
        m,
        y,
        &[0.28, 0.3, 0.42].map(|f| f * table_w),
        &tables.staff,
        bsize,
        true,
        style,
    ) + 2.0 * u;
    if qr_side > 0.0 {
        let qb = [m + inner - qr_side, top, m + inner, top + qr_side];
        if map::qr_code(svg, qb, qr_text) {
            y = y.max(top + qr_side + 2.0 * u);
        }
    }
    board_section(svg, b, &mut y, "工作职责");
    for l in &text.duty_lines {
        svg.text(m + 3.0 * u, y, text.duties, Align::Start, l, &ink());
        y += text.duties * text::line_height() * 1.15;
    }
}

/// The footer band: supervision hotline, office, date and the page number in an atlas.
fn board_footer(
    svg: &mut Svg,
    b: &BoardSheet,
    project: &Project,
    opts: &PrintOptions,
    page_no: Option<usize>,
) {
    let (m, u, fh) = (b.m, b.style.u, b.footer_h());
    let fy = b.h - m - fh;
    svg.rect([m, fy, b.inner, fh], &format!(r#"fill="{}""#, b.band));
    let hot = match &opts.hotline {
        Some(p) => format!("监督电话：{p}"),
        None => "监督电话：".to_string(),
    };
    let fsize = 3.6 * u;
    svg.text(
        m + 4.0 * u,
        fy + (fh - fsize * text::line_height()) / 2.0,
        fsize,
        Align::Start,
        &hot,
        r##"fill="#ffffff""##,
    );
    let right = match page_no {
        Some(n) => format!("{} · {} · 第 {n} 页", office(project, opts), opts.date.zh()),
        None => format!("{} · {}", office(project, opts), opts.date.zh()),
    };
    svg.text(
        b.w - m - 4.0 * u,
        fy + (fh - 2.6 * u * text::line_height()) / 2.0,
        2.6 * u,
        Align::End,
        &right,
        r##"fill="#ffffff""##,
    );
}

/// Cover, index and one board (or village map) per grid: every leaf grid below the town for
/// boards, every level-2 grid for village maps; in hierarchy and code order.
fn atlas(project: &Project, opts: &PrintOptions) -> Vec<Page> {
    let mut items: Vec<usize> = if opts.atlas_villages {
        (0..project.grids.len())
            .filter(|&i| project.grids[i].level == 2)
            .collect()
    } else {
        let top = project.grids.iter().map(|g| g.level).min().unwrap_or(1);
        let leaf = leaves(project);
        let below: Vec<usize> = leaf
            .iter()
            .copied()
            .filter(|&i| project.grids[i].level > top)
            .collect();
        if below.is_empty() { leaf } else { below }
    };
    let key = |i: usize| {
        let g = &project.grids[i];
        let v = &project.grids[village_of(project, i)];
        (v.code.clone(), v.id.clone(), g.code.clone(), g.id.clone())
    };
    items.sort_by_key(|&i| key(i));
    let (w, h) = sheet(opts, Paper::a(3), None, true);
    let style = Style::new(w, h, opts.mono);
    let u = style.u;
    let m = margin(opts, &style);
    let title = document_title(project, opts);
    // Index rows per page, and so the number of index pages before the first sheet.
    let isize = 2.8 * u;
    let rh = isize * text::line_height() + 1.6 * u;
    let per_page = (((h - 2.0 * m - 40.0 * u) / rh).floor() as usize).max(5) - 1;
    let index_pages = items.len().div_ceil(per_page).max(1);
    let first = 2 + index_pages;

    let mut pages = Vec::with_capacity(items.len() + 1 + index_pages);
    // Cover.
    let mut svg = Svg::new();
    let band = if opts.mono { INK } else { "#1f5fa8" };
    svg.rect(
        [m, m, w - 2.0 * m, h - 2.0 * m],
        &format!(r#"fill="none" stroke="{band}" stroke-width="{}""#, 1.2 * u),
    );
    let tsize = (9.0 * u).min((w - 2.0 * m - 10.0 * u) / text::width(&title, 1.0).max(1.0));
    svg.text(w / 2.0, h * 0.3, tsize, Align::Middle, &title, &ink());
    let n_villages = project.grids.iter().filter(|g| g.level == 2).count();
    let lines = [
        format!(
            "共 {} 个{}，{} 个村级网格",
            items.len(),
            if opts.atlas_villages {
                "村网格划分图"
            } else {
                "网格"
            },
            n_villages
        ),
        office(project, opts),
        opts.date.zh(),
    ];
    for (k, l) in lines.iter().enumerate() {
        svg.text(
            w / 2.0,
            h * 0.55 + k as f64 * 9.0 * u,
            4.2 * u,
            Align::Middle,
            l,
            &ink(),
        );
    }
    pages.push(Page {
        name: "cover".into(),
        width: w,
        height: h,
        svg: svg.finish(w, h),
        meta: PageMeta::default(),
    });
    // Index.
    for (p, chunk) in items.chunks(per_page.max(1)).enumerate() {
        let mut svg = Svg::new();
        svg.text(
            w / 2.0,
            m + 4.0 * u,
            6.0 * u,
            Align::Middle,
            "目  录",
            &ink(),
        );
        let rows: Vec<Vec<String>> = std::iter::once(
            ["序号", "网格名称", "网格编码", "所属村", "页码"]
                .map(String::from)
                .to_vec(),
        )
        .chain(chunk.iter().enumerate().map(|(k, &i)| {
            let n = p * per_page + k;
            let g = &project.grids[i];
            vec![
                (n + 1).to_string(),
                g.label().to_string(),
                g.code.clone(),
                project.grids[village_of(project, i)].label().to_string(),
                (first + n).to_string(),
            ]
        }))
        .collect();
        let inner = w - 2.0 * m;
        table(
            &mut svg,
            m,
            m + 16.0 * u,
            &[0.1, 0.28, 0.3, 0.2, 0.12].map(|f| f * inner),
            &rows,
            isize,
            true,
            &style,
        );
        pages.push(Page {
            name: format!("index-{}", p + 1),
            width: w,
            height: h,
            svg: svg.finish(w, h),
            meta: PageMeta::default(),
        });
    }
    // Sheets, composed in parallel: each is independent. The atlas title is the cover's;
    // each sheet has its own.
    use rayon::prelude::*;
    let sheet_opts = PrintOptions {
        title: None,
        ..opts.clone()
    };
    let sheets: Vec<Page> = items
        .par_iter()
        .enumerate()
        .map(|(n, &i)| {
            if opts.atlas_villages {
                village(project, &sheet_opts, i)
            } else {
                board(project, &sheet_opts, i, Some(first + n))
            }
        })
        .collect();
    pages.extend(sheets);
    pages
}
