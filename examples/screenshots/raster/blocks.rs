//! Block elements, shades, quadrants, sextants and braille drawn as geometry, so bars,
//! gauges and canvases fill their cells exactly and tile without seams.

use super::canvas::Pen;

/// Draws `c` if it is a block-like character; false means the caller must draw it.
pub fn draw(pen: &mut Pen, c: char) -> bool {
    let cp = u32::from(c);
    match cp {
        0x2580..=0x259F => block(pen, cp),
        0x2800..=0x28FF => braille(pen, cp - 0x2800),
        0x1FB00..=0x1FB3B => sextant(pen, cp - 0x1FB00),
        _ => return false,
    }
    true
}

/// `len * n / d` rounded to a whole pixel, so fractions of a cell line up between cells.
fn part(len: f32, n: u32, d: u32) -> f32 {
    (len * n as f32 / d as f32).round()
}

fn block(pen: &mut Pen, cp: u32) {
    let (w, h) = (pen.w(), pen.h());
    match cp {
        0x2580 => pen.rect(0.0, 0.0, w, part(h, 1, 2), 1.0),
        // ▁ … █: lower n eighths.
        0x2581..=0x2588 => pen.rect(0.0, h - part(h, cp - 0x2580, 8), w, h, 1.0),
        // ▉ … ▏: left 7 eighths down to 1.
        0x2589..=0x258F => pen.rect(0.0, 0.0, part(w, 0x2590 - cp, 8), h, 1.0),
        0x2590 => pen.rect(part(w, 1, 2), 0.0, w, h, 1.0),
        // ░ ▒ ▓ as flat tints, which reads better in a screenshot than a dither.
        0x2591..=0x2593 => pen.rect(0.0, 0.0, w, h, (cp - 0x2590) as f32 * 0.25),
        0x2594 => pen.rect(0.0, 0.0, w, part(h, 1, 8), 1.0),
        0x2595 => pen.rect(w - part(w, 1, 8), 0.0, w, h, 1.0),
        _ => {
            if let Some(&bits) = QUADRANTS.get((cp - 0x2596) as usize) {
                grid(pen, u32::from(bits), 2, 2);
            }
        }
    }
}

/// ▖ ▗ ▘ ▙ ▚ ▛ ▜ ▝ ▞ ▟ as bits: 1 upper left, 2 upper right, 4 lower left, 8 lower right.
const QUADRANTS: [u8; 10] = [4, 8, 1, 13, 9, 7, 11, 2, 6, 14];

/// Fills the cells of a `cols`×`rows` grid whose bits are set, row by row from the top left.
fn grid(pen: &mut Pen, bits: u32, cols: u32, rows: u32) {
    let (w, h) = (pen.w(), pen.h());
    for row in 0..rows {
        for col in 0..cols {
            if bits & (1 << (row * cols + col)) != 0 {
                let (x0, x1) = (part(w, col, cols), part(w, col + 1, cols));
                let (y0, y1) = (part(h, row, rows), part(h, row + 1, rows));
                pen.rect(x0, y0, x1, y1, 1.0);
            }
        }
    }
}

/// U+1FB00 onward enumerates the 2×3 patterns 1–62, leaving out the two that already
/// exist as ▌ (21) and ▐ (42).
fn sextant(pen: &mut Pen, index: u32) {
    let mut bits = index + 1;
    if bits >= 21 {
        bits += 1;
    }
    if bits >= 42 {
        bits += 1;
    }
    grid(pen, bits, 2, 3);
}

/// Braille dot bits in Unicode order: dots 1–3 down the left, 4–6 down the right, 7 and 8
/// at the bottom left and right, as (column, row).
const BRAILLE: [(f32, f32); 8] = [
    (0.0, 0.0),
    (0.0, 1.0),
    (0.0, 2.0),
    (1.0, 0.0),
    (1.0, 1.0),
    (1.0, 2.0),
    (0.0, 3.0),
    (1.0, 3.0),
];

fn braille(pen: &mut Pen, bits: u32) {
    let (dw, dh) = (pen.w() / 2.0, pen.h() / 4.0);
    let r = dw.min(dh) * 0.4;
    let dots: Vec<(f32, f32)> = BRAILLE
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, (col, row))| ((col + 0.5) * dw, (row + 0.5) * dh))
        .collect();
    pen.shape(|x, y| {
        dots.iter()
            .any(|(cx, cy)| (x - cx).powi(2) + (y - cy).powi(2) <= r * r)
    });
}
