//! Reduces a canvas to at most 256 colours, so screenshots can be written as indexed PNGs
//! (a third of the bytes per pixel, and far longer runs for deflate to find).

use std::collections::HashMap;

use super::canvas::Canvas;
use super::palette::Rgb;

/// An image as a colour table and one table index per pixel.
pub struct Indexed {
    /// Flat RGB triples, as PNG's PLTE chunk wants them.
    pub palette: Vec<u8>,
    pub pixels: Vec<u8>,
}

/// Keeps the 256 most used colours; a rarer one (an antialiasing shade of an uncommon
/// pair) is drawn in the nearest kept colour, which the eye does not notice at an edge.
pub fn reduce(canvas: &Canvas) -> Indexed {
    let mut counts: HashMap<Rgb, usize> = HashMap::new();
    for px in canvas.data.chunks_exact(3) {
        *counts.entry([px[0], px[1], px[2]]).or_default() += 1;
    }
    let mut by_use: Vec<(Rgb, usize)> = counts.into_iter().collect();
    // Ties broken by colour so the same canvas always gives the same file.
    by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kept: Vec<Rgb> = by_use.iter().take(256).map(|&(c, _)| c).collect();
    let mut index: HashMap<Rgb, u8> = kept
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u8))
        .collect();
    let pixels = canvas
        .data
        .chunks_exact(3)
        .map(|px| {
            let c = [px[0], px[1], px[2]];
            *index.entry(c).or_insert_with(|| nearest(&kept, c))
        })
        .collect();
    Indexed {
        palette: kept.concat(),
        pixels,
    }
}

fn nearest(kept: &[Rgb], c: Rgb) -> u8 {
    let distance = |k: &Rgb| {
        k.iter()
            .zip(c)
            .map(|(&a, b)| (i32::from(a) - i32::from(b)).pow(2))
            .sum::<i32>()
    };
    kept.iter()
        .enumerate()
        .min_by_key(|(_, k)| distance(k))
        .map_or(0, |(i, _)| i as u8)
}
