//! The `:ns` list: the fleet's namespaces in a small box over the body, the cursor on one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::ui::Scene;
use crate::ui::layout;
use crate::ui::theme::Slot;
use std::sync::Arc;

const WIDTH: u16 = 48;

pub fn namespaces(
    state: &Scene,
    choices: &[Option<Arc<str>>],
    cursor: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &state.theme;
    // Scroll so the cursor stays in the box when there are more namespaces than rows.
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let first = cursor.saturating_sub(rows - 1);
    let lines: Vec<Line> = choices
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, choice)| {
            let name = choice.as_deref().unwrap_or("all namespaces");
            let current = choice.as_deref() == state.ui.namespace.as_deref();
            let mark = if current { "•" } else { " " };
            let slot = if i == cursor {
                Slot::Selection
            } else {
                Slot::Text
            };
            let text = format!(" {mark} {name:<width$}", width = usize::from(WIDTH) - 5);
            Line::from(Span::styled(text, theme.style(slot)))
        })
        .collect();
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = layout::centered(area, WIDTH, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocus))
        .title(Span::styled(
            " namespace (enter picks, esc cancels) ",
            theme.style(Slot::Title),
        ));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
