//! Where things go on screen: header, body, footer. Pure, so `update` can page by the same
//! numbers render uses.

use ratatui::layout::{Constraint, Layout, Rect};

pub const HEADER_ROWS: u16 = 2;
pub const FOOTER_ROWS: u16 = 2;
/// Rows around a table's data: header, footer, the body's border and the table's header row.
pub const CHROME_ROWS: u16 = HEADER_ROWS + FOOTER_ROWS + 2 + 1;

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
