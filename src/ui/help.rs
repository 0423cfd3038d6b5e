//! The `?` overlay, generated from the key table so it always says what the keys do here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::ui::Scene;
use crate::ui::keymap::{self, Binding};
use crate::ui::layout;
use crate::ui::theme::Slot;

/// Wide enough for the longest key label ("ctrl-f pgdn").
const LABEL_WIDTH: usize = 11;

pub fn overlay(state: &Scene, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let bindings: Vec<&Binding> = keymap::active(state).collect();
    let note = state.session.readonly.then(|| {
        Line::from(Span::styled(
            "  read-only: keys that change the cluster are not bound",
            theme.style(Slot::Dim),
        ))
    });
    let extra = usize::from(note.is_some());
    // One binding per line while they fit; else two columns of the short help, so every key
    // is still listed at 80×24.
    let mut lines: Vec<Line> = if bindings.len() + extra + 2 <= usize::from(area.height) {
        bindings
            .iter()
            .map(|b| entry(state, b, b.help, None))
            .collect()
    } else {
        let column = usize::from(area.width.saturating_sub(2)) / 2;
        let (left, right) = bindings.split_at(bindings.len().div_ceil(2));
        left.iter()
            .enumerate()
            .map(|(i, b)| {
                let mut line = entry(state, b, b.short.trim(), Some(column));
                if let Some(r) = right.get(i) {
                    line.spans
                        .extend(entry(state, r, r.short.trim(), Some(column)).spans);
                }
                line
            })
            .collect()
    };
    lines.extend(note);
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

/// `  label  help`, cut and padded to `width` when laid out in columns.
fn entry<'a>(state: &Scene, b: &Binding, help: &str, width: Option<usize>) -> Line<'a> {
    let theme = &state.theme;
    let help = match width {
        Some(w) => {
            let room = w.saturating_sub(LABEL_WIDTH + 3);
            let cut: String = help.chars().take(room).collect();
            format!("{cut:<room$}")
        }
        None => help.to_string(),
    };
    Line::from(vec![
        Span::styled(
            format!(" {:>LABEL_WIDTH$}  ", b.label),
            theme.style(Slot::Key),
        ),
        Span::styled(help, theme.style(Slot::Text)),
    ])
}
