//! Fetched text views (events, revision history with diff, YAML, logs): scrollable lines,
//! filterable with `/`, diff lines coloured by their sign, long lines cut with `…` (or, on a
//! log with `w`, wrapped).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::ui::Scene;
use crate::ui::safe;
use crate::ui::table;
use crate::ui::theme::Slot;
use herd_app::view::{Fetched, View};

pub fn render(state: &Scene, frame: &mut Frame, area: Rect) {
    let page = state.ui.page();
    let theme = &state.theme;
    let title = match &page.view {
        View::Logs { target } => format!("logs {}", target.describe()),
        view => view.title().to_string(),
    };
    let logs = matches!(page.view, View::Logs { .. });
    let wrap = logs && state.ui.wrap_logs;
    let block = table::block(state, title, page.rows.len());
    let inner_width = area.width.saturating_sub(2);
    let lines: Vec<Line> = match &page.fetched {
        Fetched::Loading => vec![Line::from(Span::styled(
            "◌ loading…",
            theme.style(Slot::Pending),
        ))],
        Fetched::Failed(e) => vec![Line::from(Span::styled(
            format!("✗ {}", safe::text(e)),
            theme.style(Slot::Critical),
        ))],
        Fetched::Lines(all) => {
            let (from, to) = table::window(page, usize::from(area.height.saturating_sub(2)));
            page.rows[from..to]
                .iter()
                .filter_map(|&i| all.get(i as usize))
                .enumerate()
                .map(|(n, text)| {
                    let slot = if logs {
                        log_slot(text)
                    } else {
                        line_slot(text)
                    };
                    let style = if Some(n) == page.cursor.checked_sub(from) {
                        theme.style(Slot::Selection)
                    } else {
                        theme.style(slot)
                    };
                    // Each line escaped on its own (YAML, events and history alike), then cut
                    // at the frame's edge with `…`, as table cells are: a cut line must not
                    // read as a whole one.
                    let line = Line::from(safe::span(Span::styled(text.as_str(), style)));
                    if wrap {
                        line
                    } else {
                        table::cut(line, inner_width)
                    }
                })
                .collect()
        }
    };
    // A failure's message wraps rather than being cut: it is the one line to read whole.
    let failed = matches!(page.fetched, Fetched::Failed(_));
    let paragraph = Paragraph::new(lines).block(block);
    let paragraph = if failed || wrap {
        paragraph.wrap(Wrap { trim: false })
    } else {
        paragraph
    };
    frame.render_widget(paragraph, area);
}

/// A log line's severity, in the shapes agents write it: klog's leading letter (`E1204 …`),
/// `[error]`/`[ warn]`, `level=error`/`level=warn`.
fn log_slot(text: &str) -> Slot {
    // klog: a severity letter, then the month and day.
    let klog = text.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
    match text.chars().next() {
        Some('E' | 'F') if klog => return Slot::Critical,
        Some('W') if klog => return Slot::Warn,
        _ => {}
    }
    if text.contains("[error]") || text.contains("level=error") {
        Slot::Critical
    } else if text.contains("[ warn]") || text.contains("level=warn") {
        Slot::Warn
    } else {
        Slot::Text
    }
}

/// Diff and event lines say what they are by their first characters.
fn line_slot(text: &str) -> Slot {
    if text.starts_with("+ ") || text.starts_with("+++") {
        Slot::NewRevision
    } else if text.starts_with("- ") || text.starts_with("---") {
        Slot::OldRevision
    } else if text.contains("Warning") {
        Slot::Warn
    } else if text.starts_with('#') || text.starts_with("==") {
        Slot::Title
    } else {
        Slot::Text
    }
}
