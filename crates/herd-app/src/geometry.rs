//! The screen figures `update` pages and hit-tests by: rows taken by the header, footer and
//! panels around each view's list. The `herd` crate's layout draws with these same numbers, so a
//! page-down and a mouse click land where render put the rows.

use crate::view::View;

pub const HEADER_ROWS: u16 = 2;
pub const FOOTER_ROWS: u16 = 2;
/// Rows around a table's data: header, footer, the body's border and the table's header row.
pub const CHROME_ROWS: u16 = HEADER_ROWS + FOOTER_ROWS + 2 + 1;

/// The DaemonSet screen's spec summary and the node screen's header.
pub const DS_SUMMARY_ROWS: u16 = 6;
pub const NODE_SUMMARY_ROWS: u16 = 4;

/// Lines above a view's scrolling list inside the body (panels, border, column header): where a
/// mouse click lands in the list.
pub fn list_top(view: &View, map: bool, body_height: u16, ranking_rows: usize) -> Option<u16> {
    let table = 2; // border and column header
    match view {
        View::Fleet | View::Nodes => Some(table),
        View::DaemonSet { .. } if !map => Some(DS_SUMMARY_ROWS + 1 + table),
        View::DaemonSet { .. } => None,
        View::Node { .. } => Some(NODE_SUMMARY_ROWS + table),
        View::Hogs => Some(hogs_ranking_rows(body_height, ranking_rows) + 3 + table),
        View::Events { .. }
        | View::History { .. }
        | View::Yaml { .. }
        | View::Logs { .. }
        | View::ObjectEvents { .. }
        | View::Describe { .. } => Some(1),
    }
}

/// Rows of the hogs ranking: at most a third of the body, at least three.
pub fn hogs_ranking_rows(body_height: u16, footprints: usize) -> u16 {
    let room = usize::from(body_height.saturating_sub(6) / 3).max(3);
    u16::try_from(footprints.min(room)).unwrap_or(u16::MAX)
}
