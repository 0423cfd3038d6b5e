//! The coverage map: one cell per node (or per group of nodes when they do not all fit),
//! coloured and marked by verdict, the most severe winning in a group, one block per node pool.
//! Legible at 5,000 nodes.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::ui::Scene;
use crate::ui::glyph::{self, Mark};
use crate::ui::safe;
use crate::ui::theme::Slot;
use herd_core::analysis::coverage::DsCoverage;
use herd_core::analysis::verdict::Verdict;

/// Width of the pool label in front of each block.
const LABEL: usize = 12;

/// Nodes of one pool, in node-name order.
struct Pool {
    name: Arc<str>,
    statuses: Vec<Mark>,
}

/// The smallest number of nodes per cell for which every pool's block fits in `height` lines
/// of `per_row` cells.
pub fn nodes_per_cell(pool_sizes: &[usize], per_row: usize, height: usize) -> usize {
    let per_row = per_row.max(1);
    let lines = |per_cell: usize| -> usize {
        pool_sizes
            .iter()
            .map(|n| n.div_ceil(per_cell).div_ceil(per_row).max(1))
            .sum()
    };
    let mut per_cell = 1;
    while lines(per_cell) > height.max(1) && per_cell < pool_sizes.iter().sum::<usize>().max(1) {
        per_cell += 1;
    }
    per_cell
}

fn pools(state: &Scene, cov: &DsCoverage) -> Vec<Pool> {
    let mut pools: Vec<Pool> = Vec::new();
    let none: Arc<str> = Arc::from("-");
    // Coverage rows are in node-name order, as the fleet's nodes are: walk both together (a
    // frame must not do 5,000 map lookups) and look a node up by name only where they part.
    let mut nodes = state.fleet.nodes().peekable();
    for row in &cov.rows {
        let node = nodes
            .next_if(|n| n.name == row.node)
            .or_else(|| state.fleet.node(&row.node));
        let name = node
            .and_then(|n| n.pool.clone())
            .unwrap_or_else(|| Arc::clone(&none));
        match pools.iter_mut().find(|p| p.name == name) {
            Some(pool) => pool.statuses.push(Mark::of(row)),
            None => pools.push(Pool {
                name,
                statuses: vec![Mark::of(row)],
            }),
        }
    }
    pools
}

pub fn render(state: &Scene, cov: &DsCoverage, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let inner_w = usize::from(area.width.saturating_sub(2));
    let inner_h = usize::from(area.height.saturating_sub(3)).max(1); // one line for the legend
    // Cells are a glyph and a space, so the map reads as a grid.
    let per_row = (inner_w.saturating_sub(LABEL) / 2).max(1);
    let pools = pools(state, cov);
    let sizes: Vec<usize> = pools.iter().map(|p| p.statuses.len()).collect();
    let per_cell = nodes_per_cell(&sizes, per_row, inner_h);
    let cells: Vec<Vec<Mark>> = pools
        .iter()
        .map(|pool| {
            pool.statuses
                .chunks(per_cell)
                .map(|group| {
                    group
                        .iter()
                        .copied()
                        .min_by_key(|m| m.rank())
                        .unwrap_or(Mark(Verdict::NotTargeted))
                })
                .collect()
        })
        .collect();
    let mut grid: Vec<(String, &[Mark])> = Vec::new();
    for (pool, cells) in pools.iter().zip(&cells) {
        for (n, chunk) in cells.chunks(per_row).enumerate() {
            let label = if n == 0 {
                format!(
                    "{:<LABEL$}",
                    format!("{} {}", safe::text(&pool.name), pool.statuses.len())
                )
            } else {
                " ".repeat(LABEL)
            };
            grid.push((label, chunk));
        }
    }
    grid.truncate(inner_h);
    let scale = if per_cell == 1 {
        "1 cell = 1 node".to_string()
    } else {
        format!("1 cell = {per_cell} nodes, worst shown")
    };
    let title = Span::styled(
        format!(
            " coverage map · {} nodes by pool · {scale} ",
            cov.rows.len()
        ),
        theme.style(Slot::Title),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocus))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    draw_grid(state, &grid, frame.buffer_mut(), inner);
    let legend_row = Rect {
        y: inner.y.saturating_add(grid.len() as u16),
        height: 1,
        ..inner
    };
    let legend_row = legend_row.intersection(inner);
    frame.render_widget(Paragraph::new(safe::line(legend(state, cov))), legend_row);
}

/// Writes the grid straight into the buffer, one line per entry: the label, then each cell as
/// its glyph and a space, cut at the right edge. A map has thousands of cells, so it skips
/// text layout: every mark is one column wide.
fn draw_grid(state: &Scene, grid: &[(String, &[Mark])], buf: &mut Buffer, inner: Rect) {
    let label_style = state.theme.style(Slot::HeaderKey);
    for (y, (label, cells)) in (inner.y..inner.bottom()).zip(grid) {
        let (mut x, _) = buf.set_stringn(inner.x, y, label, usize::from(inner.width), label_style);
        for mark in cells.iter() {
            if x >= inner.right() {
                break;
            }
            let (glyph, slot) = glyph::mark(*mark);
            let style = state.theme.style(slot);
            for (dx, symbol) in [(0, glyph), (1, " ")] {
                let at = x.saturating_add(dx);
                if at < inner.right()
                    && let Some(cell) = buf.cell_mut((at, y))
                {
                    cell.set_symbol(symbol).set_style(style);
                }
            }
            x = x.saturating_add(2);
        }
    }
}

/// Every mark with its count; marks with no node are left out to keep the line short.
fn legend(state: &Scene, cov: &DsCoverage) -> Line<'static> {
    let spans = Verdict::ALL
        .into_iter()
        .map(|v| (Mark(v), cov.verdicts.get(v)))
        .filter(|(m, n)| *n > 0 || m.0 == Verdict::Healthy)
        .flat_map(|(m, n)| {
            let (mark, slot) = glyph::mark(m);
            [
                Span::styled(mark.to_string(), state.theme.style(slot)),
                Span::styled(
                    format!(" {} {n}  ", m.label()),
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
    fn small_fleets_get_a_cell_per_node() {
        assert_eq!(nodes_per_cell(&[28, 6, 6], 50, 20), 1);
    }

    #[test]
    fn five_thousand_nodes_fit_an_80_by_24_screen() {
        // 80x24 leaves about 33 cells by 10 lines for the map.
        let sizes = [4000, 600, 400];
        let per = nodes_per_cell(&sizes, 33, 10);
        let lines: usize = sizes.iter().map(|n| n.div_ceil(per).div_ceil(33)).sum();
        assert!(lines <= 10, "{per} per cell needs {lines} lines");
        assert!(per > 1);
    }
}
