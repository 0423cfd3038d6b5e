//! Writes PNG screenshots from ratatui buffers; for now one check image of the glyphs,
//! colours and widgets the screens use (`cargo run --example screenshots`).

mod raster;

use std::path::Path;
use std::process::ExitCode;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Cell, Gauge, Paragraph, Row, Sparkline, Table, Widget};

use raster::Palette;

fn main() -> ExitCode {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots/raster-check.png");
    match raster::buffer_to_png(&check_buffer(), &Palette::dark(), &path) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("screenshots: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A screen's worth of what herd draws: a bordered table, a gauge, a sparkline, status
/// glyphs, box drawing of every weight, block elements and text styles.
fn check_buffer() -> Buffer {
    let area = Rect::new(0, 0, 80, 24);
    let mut buffer = Buffer::empty(area);
    let [title, table, meters, glyphs] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Fill(1),
    ])
    .areas(area);
    title_line().render(title, &mut buffer);
    fleet_table().render(table, &mut buffer);
    let [gauge, spark] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(meters);
    Gauge::default()
        .block(Block::bordered().title(" rollout "))
        .gauge_style(Style::new().fg(Color::Green).bg(Color::Indexed(236)))
        .percent(62)
        .render(gauge, &mut buffer);
    Sparkline::default()
        .block(
            Block::bordered()
                .border_type(BorderType::Thick)
                .title(" cpu "),
        )
        .style(Style::new().fg(Color::Rgb(0x5f, 0xaf, 0xff)))
        .data([
            1, 3, 2, 5, 8, 13, 9, 6, 4, 7, 11, 16, 12, 8, 5, 3, 2, 4, 6, 9, 14, 10, 7, 5,
        ])
        .render(spark, &mut buffer);
    glyph_grid().render(glyphs, &mut buffer);
    buffer
}

fn title_line() -> Line<'static> {
    Line::from(vec![
        Span::styled(" herd ", Style::new().black().on_cyan().bold()),
        Span::raw(" "),
        "bold".bold(),
        Span::raw(" "),
        "dim".dim(),
        Span::raw(" "),
        "italic".italic(),
        Span::raw(" "),
        "underlined".underlined(),
        Span::raw(" "),
        "reversed".reversed(),
        Span::raw(" "),
        "crossed".crossed_out(),
        Span::raw(" "),
        Span::styled(
            "bold italic",
            Style::new().add_modifier(Modifier::BOLD | Modifier::ITALIC),
        ),
        Span::raw("  gjpqy|ÅÉ"),
    ])
}

fn fleet_table() -> Table<'static> {
    let status = |glyph: &'static str, color: Color| Cell::from(glyph.fg(color));
    let rows = [
        (
            "kube-system",
            "kube-proxy",
            "12/12",
            status("● ok", Color::Green),
        ),
        (
            "monitoring",
            "node-exporter",
            "11/12",
            status("▲ gap", Color::Yellow),
        ),
        (
            "logging",
            "fluent-bit",
            "9/12",
            status("✗ failing", Color::Red),
        ),
        (
            "gpu",
            "nvidia-device-plugin",
            "4/4",
            status("● ok", Color::Green),
        ),
    ]
    .map(|(ns, name, ready, state)| Row::new([Cell::from(ns), name.into(), ready.into(), state]));
    Table::new(
        rows,
        [
            Constraint::Length(13),
            Constraint::Length(22),
            Constraint::Length(7),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new(["NAMESPACE", "NAME", "READY", "STATUS"])
            .bold()
            .underlined(),
    )
    .block(
        Block::bordered()
            .border_type(BorderType::Rounded)
            .title(" DaemonSets "),
    )
    .row_highlight_style(Style::new().reversed())
}

fn glyph_grid() -> Paragraph<'static> {
    let lines = [
        Line::from("status  ■ ● ▲ ✗ · ✓ ○ ◆ ▶ ◀ ↑ ↓ … ⚠ ✔ ✘".light_yellow()),
        Line::from("blocks  █▇▆▅▄▃▂▁ ▉▊▋▌▍▎▏ ▀▐▔▕ ░▒▓ ▖▗▘▙▚▛▜▝▞▟ 🬀🬁🬂🬃".light_blue()),
        Line::from("light   ┌─┬─┐ ├─┼─┤ └─┴─┘ │ ╭─╮ ╰─╯ ╱╲╳ ┄┆┈┊╌╎ ╴╵╶╷"),
        Line::from("heavy   ┏━┳━┓ ┣━╋━┫ ┗━┻━┛ ┃ ┍┑┕┙ ┝┥┯┷ ╼╾╽╿ ┅┇┉┋"),
        Line::from("double  ╔═╦═╗ ╠═╬═╣ ╚═╩═╝ ║ ╒╤╕ ╓╥╖ ╞╪╡ ╟╫╢"),
        Line::from(vec![
            "braille ⣿⡇⠿⣀⢸⠛ ⢎⡱⢕⡪ ".magenta(),
            "wide 日本語 ".into(),
            "missing 🚀 ".into(),
            Span::styled("256", Style::new().fg(Color::Indexed(208))),
            Span::styled(" rgb ", Style::new().fg(Color::Rgb(0xff, 0x87, 0xd7))),
            Span::styled("bg", Style::new().bg(Color::Red)),
        ]),
    ];
    Paragraph::new(lines.to_vec()).block(Block::bordered().title(" glyphs "))
}
