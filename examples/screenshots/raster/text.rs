//! Glyphs from the bundled DejaVu Sans Mono, placed on a fixed cell grid with a shared
//! baseline; bold uses the bold face and italic slants the outline.

use ab_glyph::{Font, FontRef, Outline, OutlineCurve, OutlinedGlyph, Point, PxScale, ScaleFont};

use super::RasterError;
use super::canvas::Pen;

// Embedded so screenshots never depend on the fonts of the machine that makes them.
const REGULAR: &[u8] = include_bytes!("../font/DejaVuSansMono.ttf");
const BOLD: &[u8] = include_bytes!("../font/DejaVuSansMono-Bold.ttf");

/// Horizontal shift per unit of height for synthetic italics (about 11°).
const SLANT: f32 = 0.2;

#[derive(Debug, Clone, Copy, Default)]
pub struct Face {
    pub bold: bool,
    pub italic: bool,
}

pub struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    scale: PxScale,
    /// Pixels from the top of a cell to the baseline.
    pub baseline: f32,
}

impl Fonts {
    /// Sizes the font so one advance is exactly `cell_w` and centres its line in `cell_h`.
    pub fn load(cell_w: u32, cell_h: u32) -> Result<Self, RasterError> {
        let parse = |name, bytes| {
            FontRef::try_from_slice(bytes).map_err(|source| RasterError::Font { name, source })
        };
        let regular = parse("DejaVuSansMono.ttf", REGULAR)?;
        let bold = parse("DejaVuSansMono-Bold.ttf", BOLD)?;
        let advance = regular.h_advance_unscaled(regular.glyph_id('0'));
        let height = regular.height_unscaled();
        let px = cell_w as f32 * height / advance.max(1.0);
        let scale = PxScale::from(px);
        let ascent = regular.as_scaled(scale).ascent();
        let baseline = ((cell_h as f32 - px) / 2.0 + ascent).round();
        Ok(Self {
            regular,
            bold,
            scale,
            baseline,
        })
    }

    /// Draws `c` centred in the pen's box; false when neither face has a glyph for it.
    pub fn draw(&self, pen: &mut Pen, c: char, face: Face) -> bool {
        let preferred = if face.bold { &self.bold } else { &self.regular };
        // The bold face lacks a few symbols the regular one has; regular beats a box.
        let font = [preferred, &self.regular]
            .into_iter()
            .find(|f| f.glyph_id(c).0 != 0);
        let Some(font) = font else { return false };
        let id = font.glyph_id(c);
        let scaled = font.as_scaled(self.scale);
        let x = ((pen.w() - scaled.h_advance(id)) / 2.0).round();
        let glyph = id.with_scale_and_position(self.scale, ab_glyph::point(x, self.baseline));
        let outlined = if face.italic {
            font.outline(id).map(|outline| {
                let shift = SLANT * font.ascent_unscaled() / 3.0;
                OutlinedGlyph::new(glyph, slant(outline, shift), scaled.scale_factor())
            })
        } else {
            font.outline_glyph(glyph)
        };
        // No outline means a blank glyph such as a space: drawn, just invisible.
        let Some(outlined) = outlined else {
            return true;
        };
        let bounds = outlined.px_bounds();
        let (left, top) = (bounds.min.x as i64, bounds.min.y as i64);
        outlined.draw(|gx, gy, coverage| {
            pen.dot(left + i64::from(gx), top + i64::from(gy), ink(coverage));
        });
        true
    }
}

/// Coverage to opacity. A slight lift keeps small light-on-dark text from looking starved,
/// as hinted terminal text does not.
fn ink(coverage: f32) -> f32 {
    coverage.clamp(0.0, 1.0).powf(0.8)
}

/// Shears an outline to the right above the baseline, moved back by `shift` font units so
/// lower-case letters stay centred on their cells.
fn slant(outline: Outline, shift: f32) -> Outline {
    let tilt = |p: Point| ab_glyph::point(p.x + SLANT * p.y - shift, p.y);
    let curves = outline
        .curves
        .into_iter()
        .map(|curve| match curve {
            OutlineCurve::Line(a, b) => OutlineCurve::Line(tilt(a), tilt(b)),
            OutlineCurve::Quad(a, b, c) => OutlineCurve::Quad(tilt(a), tilt(b), tilt(c)),
            OutlineCurve::Cubic(a, b, c, d) => {
                OutlineCurve::Cubic(tilt(a), tilt(b), tilt(c), tilt(d))
            }
        })
        .collect();
    let mut bounds = outline.bounds;
    // Bounds hold (x_min, y_max) and (x_max, y_min).
    bounds.min.x += SLANT * bounds.max.y - shift;
    bounds.max.x += SLANT * bounds.min.y - shift;
    Outline { bounds, curves }
}

/// What a terminal shows for a character no font has: an outlined box.
pub fn missing(pen: &mut Pen) {
    let (w, h) = (pen.w(), pen.h());
    let (x0, x1, y0, y1) = (1.0, w - 1.0, (h * 0.15).round(), h - (h * 0.15).round());
    pen.rect(x0, y0, x1, y0 + 1.0, 1.0);
    pen.rect(x0, y1 - 1.0, x1, y1, 1.0);
    pen.rect(x0, y0, x0 + 1.0, y1, 1.0);
    pen.rect(x1 - 1.0, y0, x1, y1, 1.0);
}
