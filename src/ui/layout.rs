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

/// Lines above a view's scrolling list inside the body (panels, border, column header): where a
/// mouse click lands in the list. Kept next to the screens' layouts, which use the same numbers.
pub fn list_top(
    view: &crate::app::view::View,
    map: bool,
    body_height: u16,
    ranking_rows: usize,
) -> Option<u16> {
    use crate::app::view::View;
    let table = 2; // border and column header
    match view {
        View::Fleet | View::Nodes => Some(table),
        View::DaemonSet { .. } if !map => Some(DS_SUMMARY_ROWS + 1 + table),
        View::DaemonSet { .. } => None,
        View::Node { .. } => Some(NODE_SUMMARY_ROWS + table),
        View::Hogs => Some(hogs_ranking_rows(body_height, ranking_rows) + 3 + table),
        View::Events { .. } | View::History { .. } | View::Yaml { .. } => Some(1),
    }
}

/// The DaemonSet screen's spec summary and the node screen's header.
pub const DS_SUMMARY_ROWS: u16 = 6;
pub const NODE_SUMMARY_ROWS: u16 = 3;

/// Rows of the hogs ranking: at most a third of the body, at least three.
pub fn hogs_ranking_rows(body_height: u16, footprints: usize) -> u16 {
    let room = usize::from(body_height.saturating_sub(6) / 3).max(3);
    footprints.min(room) as u16
}
