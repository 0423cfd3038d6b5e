//! The `?` overlay, generated from the key table so it always says what the keys do here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::state::State;
use crate::ui::keymap;
use crate::ui::layout;
use crate::ui::theme::Slot;

pub fn overlay(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let mut lines: Vec<Line> = keymap::active(state)
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>12}  ", b.label), theme.style(Slot::Key)),
                Span::styled(b.help.to_string(), theme.style(Slot::Text)),
            ])
        })
        .collect();
    if state.session.readonly {
        lines.push(Line::from(Span::styled(
            "  read-only: keys that change the cluster are not bound",
            theme.style(Slot::Dim),
        )));
    }
    let height = (lines.len() as u16).saturating_add(2);
    let rect = layout::centered(area, 84, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocus))
        .title(Span::styled(
            " help (esc closes) ",
            theme.style(Slot::Title),
        ));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
