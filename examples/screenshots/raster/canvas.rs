//! An RGB pixel canvas, and a pen that draws inside one cell's box and never outside it.

use super::palette::{Rgb, mix};

/// Samples per pixel side when shapes are antialiased by supersampling.
const SUPERSAMPLE: u32 = 4;
/// Steps of partial coverage kept: more than the eye tells apart at a glyph's edge, few
/// enough that a screen keeps to the 256 colours of an indexed PNG.
const COVERAGE_STEPS: f32 = 12.0;

/// Tightly packed 8-bit RGB rows, top to bottom, as PNG wants them.
#[derive(Debug, Clone)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, fill: Rgb) -> Self {
        let data = fill.repeat(width as usize * height as usize);
        Self {
            width,
            height,
            data,
        }
    }

    /// The colour at (x, y), or `None` outside the canvas.
    #[cfg(test)]
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb> {
        let i = self.offset(x, y)?;
        Some([self.data[i], self.data[i + 1], self.data[i + 2]])
    }

    /// Lays `color` over (x, y) with the given coverage (0–1); outside the canvas is ignored.
    pub fn blend(&mut self, x: u32, y: u32, color: Rgb, coverage: f32) {
        let Some(i) = self.offset(x, y) else { return };
        let below = [self.data[i], self.data[i + 1], self.data[i + 2]];
        let out = if coverage >= 1.0 {
            color
        } else {
            mix(below, color, coverage)
        };
        self.data[i..i + 3].copy_from_slice(&out);
    }

    fn offset(&self, x: u32, y: u32) -> Option<usize> {
        (x < self.width && y < self.height)
            .then(|| (y as usize * self.width as usize + x as usize) * 3)
    }
}

/// A box on the canvas in pixels: one cell, or two for a wide character.
#[derive(Debug, Clone, Copy)]
pub struct CellBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Draws in one colour, in coordinates relative to a cell box, clipped to it.
pub struct Pen<'a> {
    pub canvas: &'a mut Canvas,
    pub cell: CellBox,
    pub color: Rgb,
}

impl Pen<'_> {
    pub fn w(&self) -> f32 {
        self.cell.w as f32
    }

    pub fn h(&self) -> f32 {
        self.cell.h as f32
    }

    /// Blends one pixel of the box; coordinates outside the box are dropped.
    pub fn dot(&mut self, x: i64, y: i64, coverage: f32) {
        let coverage = (coverage * COVERAGE_STEPS).round() / COVERAGE_STEPS;
        if coverage <= 0.0 || x < 0 || y < 0 {
            return;
        }
        let (x, y) = (x as u32, y as u32);
        if x >= self.cell.w || y >= self.cell.h {
            return;
        }
        let (cx, cy) = (self.cell.x + x, self.cell.y + y);
        self.canvas.blend(cx, cy, self.color, coverage);
    }

    /// Fills the rectangle [x0, x1) × [y0, y1), edges rounded to whole pixels.
    pub fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, coverage: f32) {
        let (x0, x1) = (x0.round() as i64, x1.round() as i64);
        let (y0, y1) = (y0.round() as i64, y1.round() as i64);
        for y in y0.max(0)..y1.min(i64::from(self.cell.h)) {
            for x in x0.max(0)..x1.min(i64::from(self.cell.w)) {
                self.dot(x, y, coverage);
            }
        }
    }

    /// Fills every pixel by the share of its sub-samples for which `inside(x, y)` holds,
    /// so curves and diagonals get smooth edges.
    pub fn shape(&mut self, inside: impl Fn(f32, f32) -> bool) {
        let n = SUPERSAMPLE;
        let step = 1.0 / n as f32;
        for y in 0..self.cell.h {
            for x in 0..self.cell.w {
                let mut hits = 0;
                for sy in 0..n {
                    for sx in 0..n {
                        let fx = x as f32 + (sx as f32 + 0.5) * step;
                        let fy = y as f32 + (sy as f32 + 0.5) * step;
                        hits += u32::from(inside(fx, fy));
                    }
                }
                let coverage = hits as f32 / (n * n) as f32;
                self.dot(i64::from(x), i64::from(y), coverage);
            }
        }
    }
}
