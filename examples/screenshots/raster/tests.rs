//! Pixel checks of the rasteriser: what a person looking at a screenshot would notice.

use std::fs::File;
use std::io::BufReader;

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};

use super::palette::Rgb;
use super::{CELL_H, CELL_W, Canvas, Palette, RasterError, buffer_to_png, render};

const FG: Rgb = [10, 20, 30];
const BG: Rgb = [200, 100, 50];

fn buffer(width: u16, height: u16) -> Buffer {
    Buffer::empty(Rect::new(0, 0, width, height))
}

fn put(buffer: &mut Buffer, x: u16, symbol: &str, style: Style) {
    if let Some(cell) = buffer.cell_mut(Position::new(x, 0)) {
        cell.set_symbol(symbol).set_style(style);
    }
}

/// The pixel at the middle of cell (col, row), away from any glyph edge.
fn middle(canvas: &Canvas, col: u32, row: u32) -> Option<Rgb> {
    canvas.pixel(col * CELL_W + CELL_W / 2, row * CELL_H + CELL_H / 2)
}

fn colours(style: Style) -> Style {
    style
        .fg(Color::Rgb(FG[0], FG[1], FG[2]))
        .bg(Color::Rgb(BG[0], BG[1], BG[2]))
}

fn rendered(buffer: &Buffer) -> Canvas {
    match render(buffer, &Palette::dark()) {
        Ok(canvas) => canvas,
        Err(error) => panic!("render failed: {error}"),
    }
}

#[test]
fn a_red_background_cell_is_red_and_unstyled_cells_show_the_terminal_background() {
    let mut buf = buffer(3, 1);
    put(&mut buf, 1, " ", Style::new().bg(Color::Red));
    let canvas = rendered(&buf);
    let palette = Palette::dark();
    assert_eq!(middle(&canvas, 1, 0), Some(palette.ansi[1]));
    assert_eq!(middle(&canvas, 0, 0), Some(palette.bg));
    assert_eq!(middle(&canvas, 2, 0), Some(palette.bg));
}

#[test]
fn reversed_swaps_foreground_and_background() {
    let mut buf = buffer(2, 1);
    put(&mut buf, 0, " ", colours(Style::new()));
    put(
        &mut buf,
        1,
        " ",
        colours(Style::new().add_modifier(Modifier::REVERSED)),
    );
    let canvas = rendered(&buf);
    assert_eq!(middle(&canvas, 0, 0), Some(BG));
    assert_eq!(middle(&canvas, 1, 0), Some(FG));
}

#[test]
fn indexed_and_rgb_colours_follow_xterm_256() {
    let mut buf = buffer(3, 1);
    put(&mut buf, 0, "█", Style::new().fg(Color::Indexed(208)));
    put(&mut buf, 1, "█", Style::new().fg(Color::Indexed(240)));
    put(&mut buf, 2, "█", Style::new().fg(Color::Rgb(1, 2, 3)));
    let canvas = rendered(&buf);
    assert_eq!(middle(&canvas, 0, 0), Some([255, 135, 0]));
    assert_eq!(middle(&canvas, 1, 0), Some([88, 88, 88]));
    assert_eq!(middle(&canvas, 2, 0), Some([1, 2, 3]));
}

#[test]
fn a_line_of_box_drawing_has_no_gap_between_cells() {
    let mut buf = buffer(3, 1);
    for x in 0..3 {
        put(&mut buf, x, "─", colours(Style::new()));
    }
    let canvas = rendered(&buf);
    // Whichever row the line is on, it must run the full width without a break.
    let rows_fully_lit = (0..CELL_H)
        .filter(|&y| (0..3 * CELL_W).all(|x| canvas.pixel(x, y) == Some(FG)))
        .count();
    assert!(rows_fully_lit >= 1, "no unbroken row of line pixels");
}

#[test]
fn text_puts_ink_in_its_cell_and_nowhere_else() {
    let mut buf = buffer(2, 1);
    put(&mut buf, 0, "W", colours(Style::new()));
    put(&mut buf, 1, " ", colours(Style::new()));
    let canvas = rendered(&buf);
    let inked = |col: u32| {
        (0..CELL_H)
            .flat_map(|y| (0..CELL_W).map(move |x| (col * CELL_W + x, y)))
            .filter(|&(x, y)| canvas.pixel(x, y) != Some(BG))
            .count()
    };
    assert!(inked(0) > 10, "a W drew only {} pixels", inked(0));
    assert_eq!(inked(1), 0);
}

#[test]
fn a_character_no_font_has_draws_a_box_across_its_width() {
    let mut buf = buffer(3, 1);
    put(&mut buf, 0, "🦀", colours(Style::new()));
    put(&mut buf, 2, "\u{10FFFD}", colours(Style::new()));
    let canvas = rendered(&buf);
    // The crab is two cells wide: its box has ink in both.
    for col in [0, 1, 2] {
        let inked = (0..CELL_H)
            .flat_map(|y| (0..CELL_W).map(move |x| (col * CELL_W + x, y)))
            .any(|(x, y)| canvas.pixel(x, y) == Some(FG));
        assert!(inked, "cell {col} of a missing glyph is blank");
    }
}

#[test]
fn the_png_has_one_cell_per_terminal_cell_and_the_cells_colours() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/shot.png");
    let mut buf = buffer(7, 3);
    put(&mut buf, 0, "x", Style::new().bg(Color::Blue));
    buffer_to_png(&buf, &Palette::dark(), &path).unwrap();

    let file = BufReader::new(File::open(&path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    assert_eq!(reader.info().color_type, png::ColorType::Indexed);
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (7 * CELL_W, 3 * CELL_H));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    // Top-left pixel of the first cell: its blue background, not the glyph.
    assert_eq!(pixels[..3], Palette::dark().ansi[4]);
}

#[test]
fn an_empty_buffer_is_an_error_not_a_panic() {
    let result = render(&buffer(0, 5), &Palette::dark());
    assert!(matches!(result, Err(RasterError::Empty { width: 0, .. })));
}

#[test]
fn a_screen_of_more_than_256_colours_keeps_the_common_ones_exactly() {
    // Row 0: 300 shades used once each; row 1: one colour used 300 times.
    let mut canvas = Canvas::new(300, 2, BG);
    for x in 0..300usize {
        let shade = [(x % 256) as u8, (x / 256) as u8 * 100, 7];
        canvas.data[x * 3..x * 3 + 3].copy_from_slice(&shade);
    }
    let image = super::indexed::reduce(&canvas);
    assert!(image.palette.len() <= 256 * 3);
    let colour = |i: usize| {
        let p = usize::from(image.pixels[i]) * 3;
        [image.palette[p], image.palette[p + 1], image.palette[p + 2]]
    };
    assert_eq!(colour(300), BG);
    assert_eq!(colour(599), BG);
    // A dropped shade is drawn in a kept colour close to it, not in some far one.
    for x in 0..300usize {
        let want = &canvas.data[x * 3..x * 3 + 3];
        let got = colour(x);
        let far = want.iter().zip(got).any(|(&a, b)| a.abs_diff(b) > 100);
        assert!(!far, "pixel {x}: {want:?} drawn as {got:?}");
    }
}
