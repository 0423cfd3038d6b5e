//! The table every list view draws: columns dropped by priority to fit the width, only the
//! visible window of rows built, the cursor row highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
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
    /// Takes a share of the width left over once every kept column has its own: the free
    /// text (a reason, a pod name, taints) that is cut with `…` when the screen is narrow.
    pub grow: bool,
}

pub const fn col(title: &'static str, width: u16, priority: u8) -> Col {
    Col {
        title,
        width,
        priority,
        grow: false,
    }
}

impl Col {
    /// The same column, taking a share of the spare width.
    pub const fn grows(self) -> Col {
        Col { grow: true, ..self }
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

/// Columns of this priority or lower are never dropped to give a growing column room; above
/// it are the ones that repeat what another column shows or matter least.
const ESSENTIAL: u8 = 5;

/// Drops kept columns, least important first, while a more important growing column cannot
/// show its widest visible cell (up to twice its own width and a bit): a stall's diagnosis
/// matters more than a count that repeats the coverage bar. Essential columns stay.
pub fn make_room(cols: &[Col], mut picked: Vec<usize>, natural: &[u16], width: u16) -> Vec<usize> {
    loop {
        let widths = column_widths(cols, &picked, natural, width);
        let cramped = picked
            .iter()
            .zip(&widths)
            .filter(|&(&i, &w)| {
                let cap = cols[i].width.saturating_mul(2).saturating_add(8);
                cols[i].grow && natural.get(i).copied().unwrap_or(0).min(cap) > w
            })
            .map(|(&i, _)| cols[i].priority)
            .min();
        let Some(cramped) = cramped else {
            return picked;
        };
        let victim = picked
            .iter()
            .enumerate()
            .filter(|&(_, &i)| cols[i].priority > cramped.max(ESSENTIAL))
            .max_by_key(|&(n, &i)| (cols[i].priority, n))
            .map(|(n, _)| n);
        match victim {
            Some(n) => {
                picked.remove(n);
            }
            None => return picked,
        }
    }
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
    let natural: Vec<u16> = (0..cols.len())
        .map(|i| {
            let widest = cells
                .iter()
                .filter_map(|row| row.get(i))
                .map(Line::width)
                .max()
                .unwrap_or(0);
            u16::try_from(widest).unwrap_or(u16::MAX)
        })
        .collect();
    let picked = make_room(cols, fit(cols, inner_width), &natural, inner_width);
    let theme = &state.theme;
    let header = Row::new(picked.iter().map(|&i| Cell::from(cols[i].title)))
        .style(theme.style(Slot::TableHeader));
    let room = column_widths(cols, &picked, &natural, inner_width);
    let widths: Vec<Constraint> = room.iter().map(|&w| Constraint::Length(w)).collect();
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

/// The width each kept column gets: its own, then the spare width goes to the growing
/// columns (the last column when none grows) — first what each needs to show its widest
/// visible cell (`natural`), most important first, then what is left to the last of them.
/// One space between columns.
fn column_widths(cols: &[Col], picked: &[usize], natural: &[u16], inner_width: u16) -> Vec<u16> {
    let own: u16 = picked.iter().map(|&i| cols[i].width).sum();
    let gaps = u16::try_from(picked.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let mut spare = inner_width.saturating_sub(own.saturating_add(gaps));
    let mut growing: Vec<usize> = (0..picked.len())
        .filter(|&n| cols[picked[n]].grow)
        .collect();
    if growing.is_empty() {
        growing.extend(picked.len().checked_sub(1));
    }
    let mut widths: Vec<u16> = picked.iter().map(|&i| cols[i].width).collect();
    // The most important growing column is served first (a reason before a pod name).
    let mut by_priority = growing.clone();
    by_priority.sort_by_key(|&n| cols[picked[n]].priority);
    for &n in &by_priority {
        let want = natural.get(picked[n]).copied().unwrap_or(0);
        let more = want.saturating_sub(widths[n]).min(spare);
        widths[n] += more;
        spare -= more;
    }
    if let Some(&last) = growing.last() {
        widths[last] = widths[last].saturating_add(spare);
    }
    widths
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
    fn the_last_column_takes_the_spare_width_when_none_grows() {
        let cols = [col("A", 4, 0), col("B", 3, 0), col("C", 5, 0)];
        assert_eq!(
            column_widths(&cols, &[0, 1, 2], &[0; 3], 20),
            vec![4, 3, 11]
        );
    }

    #[test]
    fn growing_columns_size_to_their_content_and_the_last_takes_the_rest() {
        // NAME needs 21 for "node-problem-detector", REASON gets what is left.
        let cols = [
            col("NAME", 20, 0).grows(),
            col("N", 4, 0),
            col("REASON", 10, 0).grows(),
        ];
        assert_eq!(
            column_widths(&cols, &[0, 1, 2], &[21, 2, 60], 60),
            vec![21, 4, 33]
        );
        // Too narrow for both: each keeps its own width, the spare goes by need, in order.
        assert_eq!(
            column_widths(&cols, &[0, 1, 2], &[30, 2, 60], 40),
            vec![24, 4, 10]
        );
    }

    #[test]
    fn a_cramped_growing_column_pushes_out_less_important_ones_but_never_essential_ones() {
        let cols = [
            col("NAME", 10, 0).grows(),
            col("GAPS", 4, 1),
            col("ROLLOUT", 10, 1).grows(),
            col("DESIRED", 7, 7),
            col("AGE", 5, 6),
        ];
        let all = vec![0, 1, 2, 3, 4];
        // 40 columns: ROLLOUT wants 20; DESIRED goes first, then AGE.
        let natural = [8, 2, 20, 2, 3];
        assert_eq!(make_room(&cols, all.clone(), &natural, 40), vec![0, 1, 2]);
        // A long name never pushes out GAPS (essential) nor anything for more than its cap.
        let natural = [60, 2, 5, 2, 3];
        assert_eq!(make_room(&cols, all.clone(), &natural, 40), vec![0, 1, 2]);
        // Room enough: nothing goes.
        assert_eq!(make_room(&cols, all.clone(), &[8, 2, 12, 2, 3], 60), all);
    }

    #[test]
    fn dropped_columns_are_not_counted() {
        let cols = [col("A", 4, 0), col("B", 30, 9), col("C", 5, 0).grows()];
        assert_eq!(column_widths(&cols, &[0, 2], &[0; 3], 20), vec![4, 15]);
    }
}
