//! The Help menu's pages: how to get from a blank map to a printed one, every key the app
//! answers (the command keys come from the one table in [`UiCommand::shortcut`]), and what
//! gridmap is. Which page is open lives in egui's memory, not in the app.

use super::{Lang, UiCommand, tr};

/// A page of the Help menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Start,
    Keys,
    About,
}

fn id() -> egui::Id {
    egui::Id::unique("help-page")
}

/// Open `page` (the window shows from the next frame).
pub fn open(ctx: &egui::Context, page: Page) {
    ctx.data_mut(|d| d.insert_temp(id(), page));
}

/// The open page, if any, as a window with a close button.
pub fn show(ctx: &egui::Context, lang: Lang) {
    let Some(page) = ctx.data(|d| d.get_temp::<Page>(id())) else {
        return;
    };
    let zh = lang == Lang::Zh;
    let title = tr(
        lang,
        match page {
            Page::Start => "help_start",
            Page::Keys => "help_keys",
            Page::About => "help_about",
        },
    );
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::unique("help-window"))
        .open(&mut open)
        .default_width(460.0)
        .show(ctx, |ui| match page {
            Page::Start => start(ui, zh),
            Page::Keys => keys(ui, lang),
            Page::About => about(ui, zh),
        });
    if !open {
        ctx.data_mut(|d| d.remove::<Page>(id()));
    }
}

fn start(ui: &mut egui::Ui, zh: bool) {
    let steps: [(&str, &str); 6] = [
        (
            "打开或导入底图与边界：文件 → 打开（GeoPackage、GeoJSON、Shapefile、KML、DXF）。",
            "Open or import the boundaries: File → Open (GeoPackage, GeoJSON, shapefile, KML, DXF).",
        ),
        (
            "绘制网格：「绘制网格」沿河流、道路和村界单击落点，吸附到已有节点和边；双击或 Enter 完成。「避让重叠」让新网格恰好贴合邻居。",
            "Draw grids: with Draw grid, click along rivers, roads and village boundaries (points snap to existing vertices and edges); double-click or Enter to finish. Avoid overlap makes the new grid fit its neighbours exactly.",
        ),
        (
            "检查：下方检查结果列出缝隙、重叠、细缝、越界等；「定位」找到问题，「并入」「新建网格」「节点编辑」修正，直到错误为 0。",
            "Audit: the list below shows gaps, overlaps, slivers, parts outside the parent...; Zoom finds each, Merge into / New grid / Edit vertices fix it, until no error is left.",
        ),
        (
            "填写档案：选中网格，在右侧属性中填写名称、编码、户数、人数、四至和人员（角色、姓名、电话）。",
            "Fill in the records: select a grid and fill in name, code, households, population, four bounds and staff (role, name, phone) on the right.",
        ),
        (
            "保存：文件 → 保存（GeoPackage 项目文件）。每分钟自动保存恢复副本。",
            "Save: File → Save (the GeoPackage project file). A recovery copy is kept every minute.",
        ),
        (
            "发布：文件 → 打印（全镇网格图、村网格图、公示牌），填写监督电话；导出 GeoJSON、KML（手机）、DXF（CAD）。",
            "Publish: File → Print (township map, village maps, display boards) with the supervision hotline; export GeoJSON, KML (phones), DXF (CAD).",
        ),
    ];
    for (k, (z, e)) in steps.iter().enumerate() {
        ui.label(format!("{}. {}", k + 1, if zh { z } else { e }));
    }
}

fn keys(ui: &mut egui::Ui, lang: Lang) {
    let zh = lang == Lang::Zh;
    // The pointer's gestures; the keys come from the command table below.
    let canvas: [(&str, &str, &str); 4] = [
        ("滚轮", "Wheel", if zh { "缩放" } else { "zoom" }),
        (
            "右键或中键拖动",
            "Right or middle drag",
            if zh { "平移" } else { "pan" },
        ),
        (
            "双击",
            "Double-click",
            if zh {
                "完成绘制；节点编辑时在边上加节点"
            } else {
                "finish drawing; on an edge in the vertex tool, add a vertex"
            },
        ),
        (
            "Shift+单击",
            "Shift+click",
            if zh {
                "多选网格"
            } else {
                "add a grid to the selection"
            },
        ),
    ];
    egui::Grid::new("help-keys").num_columns(2).show(ui, |ui| {
        for (c, s) in UiCommand::with_shortcuts() {
            ui.monospace(ui.ctx().format_shortcut(&s));
            ui.label(c.label(lang));
            ui.end_row();
        }
        for (kz, ke, what) in canvas {
            ui.monospace(if zh { kz } else { ke });
            ui.label(what);
            ui.end_row();
        }
    });
}

fn about(ui: &mut egui::Ui, zh: bool) {
    ui.heading(format!("gridmap {}", env!("CARGO_PKG_VERSION")));
    ui.label(if zh {
        "河长制网格化管理网格图：绘制、检查、发布。"
    } else {
        "The grid map of the river-chief system: draw, audit, publish."
    });
    ui.label(if zh {
        "许可：MIT 或 Apache-2.0。字体：Noto Sans CJK SC（SIL OFL 1.1）。坐标转换：PROJ。"
    } else {
        "Licence: MIT or Apache-2.0. Font: Noto Sans CJK SC (SIL OFL 1.1). Coordinates: PROJ."
    });
}
