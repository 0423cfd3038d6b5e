//! Rasterises a rendered ratatui `Buffer` into a PNG that looks like a terminal screenshot.

mod blocks;
mod boxes;
mod canvas;
mod indexed;
mod palette;
#[cfg(test)]
mod tests;
mod text;

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use ratatui::buffer::{Buffer, Cell, CellWidth};
use ratatui::layout::Position;
use ratatui::style::Modifier;

pub use canvas::Canvas;
use canvas::{CellBox, Pen};
pub use palette::Palette;
use palette::{Rgb, mix};
use text::{Face, Fonts};

/// Pixels per terminal cell: the usual 1:2 shape of a monospace cell at a 15 px font.
pub const CELL_W: u32 = 9;
pub const CELL_H: u32 = 18;

#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("the bundled font {name} could not be parsed: {source}")]
    Font {
        name: &'static str,
        source: ab_glyph::InvalidFont,
    },
    #[error("the buffer is {width}×{height} cells; there is nothing to draw")]
    Empty { width: u16, height: u16 },
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot encode {} as PNG: {source}", path.display())]
    Png {
        path: PathBuf,
        source: png::EncodingError,
    },
}

/// Renders `buffer` and writes it to `path` as an indexed PNG of at most 256 colours,
/// creating the directory.
pub fn buffer_to_png(buffer: &Buffer, palette: &Palette, path: &Path) -> Result<(), RasterError> {
    let canvas = render(buffer, palette)?;
    let io_error = |source| RasterError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_error)?;
    }
    let file = File::create(path).map_err(io_error)?;
    let png_error = |source| RasterError::Png {
        path: path.to_path_buf(),
        source,
    };
    let image = indexed::reduce(&canvas);
    let mut encoder = png::Encoder::new(BufWriter::new(file), canvas.width, canvas.height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(image.palette);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&image.pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)
}

/// Draws every cell of `buffer` at `CELL_W`×`CELL_H` pixels.
pub fn render(buffer: &Buffer, palette: &Palette) -> Result<Canvas, RasterError> {
    let area = buffer.area;
    if area.is_empty() {
        return Err(RasterError::Empty {
            width: area.width,
            height: area.height,
        });
    }
    let fonts = Fonts::load(CELL_W, CELL_H)?;
    let width = u32::from(area.width) * CELL_W;
    let height = u32::from(area.height) * CELL_H;
    let mut canvas = Canvas::new(width, height, palette.bg);
    for row in 0..area.height {
        let mut col = 0;
        while col < area.width {
            let position = Position::new(area.x + col, area.y + row);
            let Some(cell) = buffer.cell(position) else {
                break;
            };
            // A wide character covers the next cell too, as on a terminal; whatever ratatui
            // left in that covered cell is not shown.
            let span = cell.cell_width().clamp(1, area.width - col);
            let cell_box = CellBox {
                x: u32::from(col) * CELL_W,
                y: u32::from(row) * CELL_H,
                w: u32::from(span) * CELL_W,
                h: CELL_H,
            };
            draw_cell(&mut canvas, &fonts, palette, cell, cell_box);
            col += span;
        }
    }
    Ok(canvas)
}

/// A cell's colours after Reset, reverse, dim and hidden are applied.
struct Look {
    fg: Rgb,
    bg: Rgb,
    underline: Rgb,
    face: Face,
    modifier: Modifier,
}

impl Look {
    fn of(cell: &Cell, palette: &Palette) -> Self {
        let mut fg = palette.resolve(cell.fg, palette.fg);
        let mut bg = palette.resolve(cell.bg, palette.bg);
        let modifier = cell.modifier;
        if modifier.contains(Modifier::REVERSED) {
            (fg, bg) = (bg, fg);
        }
        if modifier.contains(Modifier::DIM) {
            fg = mix(fg, bg, 0.45);
        }
        if modifier.contains(Modifier::HIDDEN) {
            fg = bg;
        }
        let underline = palette.resolve(cell.underline_color, fg);
        let face = Face {
            bold: modifier.contains(Modifier::BOLD),
            italic: modifier.contains(Modifier::ITALIC),
        };
        Self {
            fg,
            bg,
            underline,
            face,
            modifier,
        }
    }
}

fn draw_cell(canvas: &mut Canvas, fonts: &Fonts, palette: &Palette, cell: &Cell, at: CellBox) {
    let look = Look::of(cell, palette);
    let mut pen = Pen {
        canvas,
        cell: at,
        color: look.bg,
    };
    pen.rect(0.0, 0.0, pen.w(), pen.h(), 1.0);
    pen.color = look.fg;
    if !look.modifier.contains(Modifier::HIDDEN) {
        draw_symbol(&mut pen, fonts, cell.symbol(), look.face);
    }
    let line = (CELL_W as f32 / 9.0).round().max(1.0);
    if look.modifier.contains(Modifier::CROSSED_OUT) {
        let y = (fonts.baseline - CELL_H as f32 * 0.27).round();
        pen.rect(0.0, y, pen.w(), y + line, 1.0);
    }
    if look.modifier.contains(Modifier::UNDERLINED) {
        pen.color = look.underline;
        let y = fonts.baseline + line + 1.0;
        pen.rect(0.0, y, pen.w(), y + line, 1.0);
    }
}

/// Draws a grapheme: the first character decides the shape, any that follow (combining
/// marks) are laid over it, and a first character no font has becomes a visible box.
fn draw_symbol(pen: &mut Pen, fonts: &Fonts, symbol: &str, face: Face) {
    for (i, c) in symbol.chars().enumerate() {
        if c == ' ' || c.is_control() {
            continue;
        }
        if i == 0 && (boxes::draw(pen, c) || blocks::draw(pen, c)) {
            continue;
        }
        if !fonts.draw(pen, c, face) && i == 0 {
            text::missing(pen);
        }
    }
}
