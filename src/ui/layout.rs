//! Where things go on screen: header, body, footer. The row figures `update` also needs live
//! in `herd_app::geometry`; this file turns them into rectangles.

use ratatui::layout::{Constraint, Layout, Rect};

pub use herd_app::geometry::{
    CHROME_ROWS, DS_SUMMARY_ROWS, FOOTER_ROWS, HEADER_ROWS, NODE_SUMMARY_ROWS, hogs_ranking_rows,
    list_top,
};

pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(3),
        Constraint::Length(FOOTER_ROWS),
    ])
    .areas(area);
    Areas {
        header,
        body,
        footer,
    }
}

/// A centred box of at most `width`×`height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
