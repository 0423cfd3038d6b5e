//! The table every list view draws: columns dropped by priority to fit the width, only the
//! visible window of rows built, the cursor row highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

use crate::ui::Scene;
use crate::ui::safe;
use crate::ui::theme::Slot;
use herd_app::view::Page;

pub struct Col {
    pub title: &'static str,
    pub width: u16,
    /// 0 is always kept; higher numbers go first when the screen is narrow.
    pub priority: u8,
}

pub const fn col(title: &'static str, width: u16, priority: u8) -> Col {
    Col {
        title,
        width,
        priority,
    }
}

/// Indexes of the columns that fit in `width` (one space between columns), in table order.
pub fn fit(cols: &[Col], width: u16) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..cols.len()).collect();
    by_priority.sort_by_key(|&i| cols[i].priority);
    let mut used = 0u16;
    let mut keep = Vec::new();
    for i in by_priority {
        let need = cols[i].width + 1;
        if used + need <= width || cols[i].priority == 0 {
            used = used.saturating_add(need);
            keep.push(i);
        }
    }
    keep.sort_unstable();
    keep
}

/// The window of `page.rows` that fits `height` data rows, keeping the cursor visible.
pub fn window(page: &Page, height: usize) -> (usize, usize) {
    let height = height.max(1);
    let mut offset = page.offset;
    if page.cursor >= offset + height {
        offset = page.cursor + 1 - height;
    }
    let end = (offset + height).min(page.rows.len());
    (offset.min(end), end)
}

/// The block around a list: ` title(scope)[count] </filter> `, k9s style.
pub fn block<'a>(state: &Scene, title: String, count: usize) -> Block<'a> {
    let theme = &state.theme;
    let page = state.ui.page();
    let mut spans = vec![
        Span::styled(format!(" {title}"), theme.style(Slot::Title)),
        Span::styled(format!("[{count}] "), theme.style(Slot::Title)),
    ];
    let arrow = if page.sort.descending { "↓" } else { "↑" };
    let key = match page.sort.key {
        herd_app::view::SortKey::Name => "name",
        herd_app::view::SortKey::Namespace => "namespace",
        herd_app::view::SortKey::Age => "age",
        herd_app::view::SortKey::Status => "status",
        herd_app::view::SortKey::Weight => "weight",
    };
    spans.push(Span::styled(
        format!("{arrow}{key} "),
        theme.style(Slot::Dim),
    ));
    if !page.filter.is_empty() {
        spans.push(Span::styled(
            format!("</{}> ", safe::text(&page.filter)),
            theme.style(Slot::Filter),
        ));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocus))
        .title(Line::from(spans))
}

/// Draws `cells` (one Vec per visible row, one Line per column of `cols`) under `block`.
/// Cells are lines, not ratatui `Cell`s, so that their text can still be escaped here
/// (`safe::line`): every table escapes cluster text in this one place.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &Scene,
    block: Block<'_>,
    cols: &[Col],
    cells: Vec<Vec<Line<'static>>>,
    cursor: Option<usize>,
) {
    let inner_width = area.width.saturating_sub(2);
    let picked = fit(cols, inner_width);
    let theme = &state.theme;
    let header = Row::new(picked.iter().map(|&i| Cell::from(cols[i].title)))
        .style(theme.style(Slot::TableHeader));
    let widths: Vec<Constraint> = picked
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            if n + 1 == picked.len() {
                Constraint::Min(cols[i].width)
            } else {
                Constraint::Length(cols[i].width)
            }
        })
        .collect();
    let room = column_widths(&widths, inner_width);
    let rows = cells.into_iter().map(|row| {
        let mut row: Vec<Option<Line>> = row.into_iter().map(Some).collect();
        let picked_cells = picked.iter().zip(&room).map(|(&i, &room)| {
            let line = row.get_mut(i).and_then(Option::take).unwrap_or_default();
            Cell::from(cut(safe::line(line), room))
        });
        Row::new(picked_cells.collect::<Vec<_>>())
    });
    // The highlight is laid over the cells after they are drawn, so coloured cell text takes
    // the selection's colours and stays readable on the cursor row.
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.style(Slot::Selection));
    let mut selection = TableState::default().with_selected(cursor);
    frame.render_stateful_widget(table, area, &mut selection);
}

/// The width each column gets, as the table lays them out (`Table` splits its area with
/// this layout: the columns from the left, one space apart).
fn column_widths(widths: &[Constraint], inner_width: u16) -> Vec<u16> {
    let area = Rect::new(0, 0, inner_width, 1);
    Layout::horizontal(widths.iter().copied())
        .flex(Flex::Start)
        .spacing(1)
        .split(area)
        .iter()
        .map(|r| r.width)
        .collect()
}

/// `line` cut to `width` columns, ending in `…` when anything was cut, so a clipped number
/// never passes for a smaller one ("12345" in four columns reads "123…", not "1234").
/// Every table cell comes through here, text and numbers alike.
pub fn cut(line: Line<'_>, width: u16) -> Line<'_> {
    let width = usize::from(width);
    if line.width() <= width {
        return line;
    }
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let first_style = spans.first().map(|s| s.style).unwrap_or_default();
    let mut kept = take_width(spans, width.saturating_sub(1));
    let last_style = kept.last().map_or(first_style, |s| s.style);
    if width > 0 {
        kept.push(Span::styled("…", last_style));
    }
    let mut out = Line::from(kept).style(style);
    out.alignment = alignment;
    out
}

/// The leading spans that fit in `room` columns, the one at the edge cut short (never through
/// a wide character). Shared by table cells and the footer's flash line.
pub fn take_width(spans: Vec<Span<'_>>, mut room: usize) -> Vec<Span<'static>> {
    let mut kept = Vec::new();
    for span in spans {
        if room == 0 {
            break;
        }
        let mut text = String::new();
        let mut whole = true;
        for c in span.content.chars() {
            let mut buf = [0; 4];
            let w = Span::raw(&*c.encode_utf8(&mut buf)).width();
            if w > room {
                room = 0;
                whole = false;
                break;
            }
            room -= w;
            text.push(c);
        }
        kept.push(Span::styled(text, span.style));
        if !whole {
            break;
        }
    }
    kept
}

/// A cell of plain text. Cluster text goes in as one span: `Line::from(String)` would split
/// it at newlines and silently drop them, before `draw` could escape them as `\n`.
pub fn plain(text: impl Into<String>) -> Line<'static> {
    Line::from(Span::raw(text.into()))
}

/// A cell with text in one theme slot.
pub fn styled(state: &Scene, text: impl Into<String>, slot: Slot) -> Line<'static> {
    Line::from(Span::styled(text.into(), state.theme.style(slot)))
}

#[cfg(test)]
mod tests {
    use ratatui::style::Style;

    use super::*;

    #[test]
    fn narrow_screens_drop_the_least_important_columns_first() {
        let cols = [
            col("NAME", 20, 0),
            col("IMAGES", 30, 5),
            col("READY", 5, 1),
            col("AGE", 4, 2),
        ];
        assert_eq!(fit(&cols, 200), vec![0, 1, 2, 3]);
        assert_eq!(fit(&cols, 40), vec![0, 2, 3]);
        assert_eq!(fit(&cols, 10), vec![0]);
    }

    #[test]
    fn every_cut_ends_in_an_ellipsis_numbers_included() {
        let text = |l: Line| {
            l.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(cut(Line::from("12345"), 5)),
            "12345",
            "fits: untouched"
        );
        assert_eq!(text(cut(Line::from("123456"), 5)), "1234…");
        assert_eq!(text(cut(plain(">9223372036854775.81"), 8)), ">922337…");
        assert_eq!(text(cut(Line::from("anything"), 1)), "…");
        assert_eq!(text(cut(Line::from("anything"), 0)), "");
        // Wide characters are never split: the mark takes the column left over.
        assert_eq!(text(cut(Line::from("日本語"), 4)), "日…");
        // Styled spans keep their styles, and the mark takes the style of the span it cuts.
        let bar = Line::from(vec![
            Span::styled("████", Style::new().green()),
            Span::styled(" 38/40", Style::new().red()),
        ]);
        let cut_bar = cut(bar, 7);
        assert_eq!(text(cut_bar.clone()), "████ 3…");
        assert_eq!(
            cut_bar.spans.last().map(|s| s.style),
            Some(Style::new().red())
        );
    }

    #[test]
    fn cells_are_cut_to_the_width_the_table_gives_them() {
        let widths = [
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Min(5),
        ];
        assert_eq!(column_widths(&widths, 20), vec![4, 3, 11]);
    }
}
