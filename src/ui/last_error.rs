//! `!`: the last warning or error whole, wrapped in a box over the body, for the messages the
//! flash line had to cut (an API server's refusal names the user, verb, resource and group).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::ui::Scene;
use crate::ui::layout;
use crate::ui::theme::Slot;

pub fn overlay(state: &Scene, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let text = state
        .ui
        .last_error
        .as_deref()
        .unwrap_or("no warning or error so far");
    let width = area.width.min(100);
    // Lines the text wraps to inside the borders, as a first guess at the box's height;
    // Paragraph wraps at words, so leave a line or two of slack.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped = u16::try_from(text.chars().count().div_ceil(inner) + 2).unwrap_or(u16::MAX);
    let rect = layout::centered(area, width, wrapped.saturating_add(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::Warn))
        .title(Span::styled(
            " last warning or error (esc closes) ",
            theme.style(Slot::Warn),
        ));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text, theme.style(Slot::Text))))
            .block(block)
            .wrap(Wrap { trim: true }),
        rect,
    );
}
