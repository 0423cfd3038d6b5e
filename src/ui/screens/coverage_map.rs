//! The coverage map: one cell per node (or per group of nodes when they do not all fit),
//! coloured and marked by status, worst status winning in a group. Legible at 5,000 nodes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::analysis::coverage::{DsCoverage, Status};
use crate::app::rows::status_rank;
use crate::app::state::State;
use crate::ui::glyph;
use crate::ui::theme::Slot;

/// Nodes per cell so that every node fits in `cells` cells.
pub fn nodes_per_cell(nodes: usize, cells: usize) -> usize {
    nodes.div_ceil(cells.max(1)).max(1)
}

pub fn render(state: &State, cov: &DsCoverage, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let inner_w = usize::from(area.width.saturating_sub(2)).max(1);
    // One row for the legend.
    let inner_h = usize::from(area.height.saturating_sub(3)).max(1);
    // Cells are a glyph and a space, so the map reads as a grid.
    let per_row = (inner_w / 2).max(1);
    let per_cell = nodes_per_cell(cov.rows.len(), per_row * inner_h);
    let statuses: Vec<Status> = cov
        .rows
        .chunks(per_cell)
        .map(|group| {
            group
                .iter()
                .map(|r| r.status)
                .min_by_key(|s| status_rank(*s))
                .unwrap_or(Status::Excluded)
        })
        .collect();
    let mut lines: Vec<Line> = statuses
        .chunks(per_row)
        .take(inner_h)
        .map(|chunk| {
            Line::from(
                chunk
                    .iter()
                    .map(|s| {
                        let (mark, slot) = glyph::status(*s);
                        Span::styled(format!("{mark} "), theme.style(slot))
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    lines.push(legend(state, cov));
    let scale = if per_cell == 1 {
        "1 cell = 1 node".to_string()
    } else {
        format!("1 cell = {per_cell} nodes, worst shown")
    };
    let title = Span::styled(
        format!(" coverage map · {} nodes · {scale} · node-name order ", cov.rows.len()),
        theme.style(Slot::Title),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocus))
        .title(title);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn legend(state: &State, cov: &DsCoverage) -> Line<'static> {
    let spans = Status::ALL
        .iter()
        .flat_map(|s| {
            let (mark, slot) = glyph::status(*s);
            [
                Span::styled(mark.to_string(), state.theme.style(slot)),
                Span::styled(
                    format!(" {} {}  ", s.as_str(), cov.tally.get(*s)),
                    state.theme.style(Slot::Dim),
                ),
            ]
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::nodes_per_cell;

    #[test]
    fn five_thousand_nodes_fit_any_reasonable_screen() {
        assert_eq!(nodes_per_cell(40, 1000), 1);
        // 80x24: about 39 cells by 18 rows
        let per = nodes_per_cell(5000, 39 * 18);
        assert!(per * 39 * 18 >= 5000);
        assert_eq!(nodes_per_cell(0, 10), 1);
    }
}
