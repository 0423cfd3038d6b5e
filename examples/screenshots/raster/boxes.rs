//! Box-drawing characters (U+2500–U+257F) drawn as geometry, so lines meet across cells
//! with no gaps the way a terminal draws them, whatever the font's own glyphs look like.

use super::canvas::Pen;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight {
    None,
    Light,
    Heavy,
    Double,
}

const UP: usize = 0;
const RIGHT: usize = 1;
const DOWN: usize = 2;
const LEFT: usize = 3;

/// Arms (up, right, down, left) of U+2500–U+254F: 0 none, 1 light, 2 heavy.
const LINES: &str = "0101 0202 1010 2020 0101 0202 1010 2020 0101 0202 1010 2020 \
    0110 0210 0120 0220 0011 0012 0021 0022 1100 1200 2100 2200 1001 1002 2001 2002 \
    1110 1210 2110 1120 2120 2210 1220 2220 1011 1012 2011 1021 2021 2012 1022 2022 \
    0111 0112 0211 0212 0121 0122 0221 0222 1101 1102 1201 1202 2101 2102 2201 2202 \
    1111 1112 1211 1212 2111 1121 2121 2112 2211 1122 1221 2212 1222 2122 2221 2222 \
    0101 0202 1010 2020";

/// Arms of U+2550–U+256C, the double lines: 3 is double.
const DOUBLES: &str = "0303 3030 0310 0130 0330 0013 0031 0033 1300 3100 3300 1003 3001 3003 \
    1310 3130 3330 1013 3031 3033 0313 0131 0333 1303 3101 3303 1313 3131 3333";

/// Arms of U+2574–U+257F, the half lines.
const HALVES: &str = "0001 1000 0100 0010 0002 2000 0200 0020 0201 1020 0102 2010";

/// Draws `c` if it is a box-drawing character; false means the caller must draw it.
pub fn draw(pen: &mut Pen, c: char) -> bool {
    let cp = u32::from(c);
    let (table, base) = match cp {
        0x2500..=0x254F => (LINES, 0x2500),
        0x2550..=0x256C => (DOUBLES, 0x2550),
        0x2574..=0x257F => (HALVES, 0x2574),
        0x256D..=0x2570 => return arc(pen, cp - 0x256D),
        0x2571..=0x2573 => return diagonal(pen, cp - 0x2570),
        _ => return false,
    };
    let Some(arms) = arms(table, (cp - base) as usize) else {
        return false;
    };
    let geometry = Geometry::of(pen);
    let dashes = match cp {
        0x2504..=0x2507 => 3,
        0x2508..=0x250B => 4,
        0x254C..=0x254F => 2,
        _ => 1,
    };
    if dashes > 1 {
        dashed(pen, &geometry, arms, dashes);
        return true;
    }
    for arm in 0..4 {
        match arms[arm] {
            Weight::None => {}
            Weight::Double => double_arm(pen, &geometry, &arms, arm),
            _ => single_arm(pen, &geometry, &arms, arm),
        }
    }
    true
}

fn arms(table: &str, index: usize) -> Option<[Weight; 4]> {
    let code = table.split_whitespace().nth(index)?.as_bytes();
    let mut arms = [Weight::None; 4];
    for (arm, byte) in arms.iter_mut().zip(code) {
        *arm = match byte {
            b'1' => Weight::Light,
            b'2' => Weight::Heavy,
            b'3' => Weight::Double,
            _ => Weight::None,
        };
    }
    Some(arms)
}

/// Where lines run in a cell: centred, light lines a pixel per 9 of cell width, heavy three
/// times that (so both share a centre), double lines two light lines `gap` either side.
struct Geometry {
    light: f32,
    heavy: f32,
    gap: f32,
    cx: f32,
    cy: f32,
}

impl Geometry {
    fn of(pen: &Pen) -> Self {
        let light = (pen.w() / 9.0).round().max(1.0);
        let centre = |len: f32| ((len - light) / 2.0).floor() + light / 2.0;
        Self {
            light,
            heavy: light * 3.0,
            gap: light + 1.0,
            cx: centre(pen.w()),
            cy: centre(pen.h()),
        }
    }

    fn thickness(&self, weight: Weight) -> f32 {
        match weight {
            Weight::None => 0.0,
            Weight::Heavy => self.heavy,
            _ => self.light,
        }
    }

    /// How far from the centre line a perpendicular arm's nearest stroke sits.
    fn offset(&self, weight: Weight) -> f32 {
        match weight {
            Weight::Double => self.gap,
            _ => 0.0,
        }
    }
}

fn opposite(arm: usize) -> usize {
    (arm + 2) % 4
}

/// The perpendicular arms: first the one on the up / left side, then down / right.
fn sides(arm: usize) -> (usize, usize) {
    if arm == LEFT || arm == RIGHT {
        (UP, DOWN)
    } else {
        (LEFT, RIGHT)
    }
}

/// Draws a stroke of `arm` from the cell edge to `over` pixels past the centre.
fn stroke(pen: &mut Pen, g: &Geometry, arm: usize, across: f32, thickness: f32, over: f32) {
    let (a0, a1) = (across - thickness / 2.0, across + thickness / 2.0);
    match arm {
        LEFT => pen.rect(0.0, a0, g.cx + over, a1, 1.0),
        RIGHT => pen.rect(g.cx - over, a0, pen.w(), a1, 1.0),
        UP => pen.rect(a0, 0.0, a1, g.cy + over, 1.0),
        _ => pen.rect(a0, g.cy - over, a1, pen.h(), 1.0),
    }
}

fn centre_across(g: &Geometry, arm: usize) -> f32 {
    if arm == LEFT || arm == RIGHT {
        g.cy
    } else {
        g.cx
    }
}

fn single_arm(pen: &mut Pen, g: &Geometry, arms: &[Weight; 4], arm: usize) {
    let t = g.thickness(arms[arm]);
    let (a, b) = sides(arm);
    let (pa, pb) = (arms[a], arms[b]);
    let through = arms[opposite(arm)] != Weight::None;
    let over = if pa == Weight::Double || pb == Weight::Double {
        if through {
            t / 2.0
        } else if pa != Weight::None && pb != Weight::None {
            // A tee into a straight double line stops at its nearer stroke.
            g.light / 2.0 - g.gap
        } else {
            // A corner reaches the far stroke so the outer line closes.
            g.gap + g.light / 2.0
        }
    } else if pa != Weight::None || pb != Weight::None {
        g.thickness(pa).max(g.thickness(pb)) / 2.0
    } else {
        t / 2.0
    };
    stroke(pen, g, arm, centre_across(g, arm), t, over);
}

fn double_arm(pen: &mut Pen, g: &Geometry, arms: &[Weight; 4], arm: usize) {
    let (a, b) = sides(arm);
    let through = arms[opposite(arm)] != Weight::None;
    for (side, near, far) in [(-1.0, arms[a], arms[b]), (1.0, arms[b], arms[a])] {
        let over = if near != Weight::None {
            if near == Weight::Double {
                g.light / 2.0 - g.gap
            } else {
                g.thickness(near) / 2.0
            }
        } else if through {
            g.light / 2.0
        } else if far != Weight::None {
            g.offset(far) + g.thickness(far) / 2.0
        } else {
            g.light / 2.0
        };
        let across = centre_across(g, arm) + side * g.gap;
        stroke(pen, g, arm, across, g.light, over);
    }
}

/// ┄ ┆ ┈ ┊ ╌ ╎ and their heavy forms: a straight line cut into `dashes` pieces, each
/// centred in its share of the cell so the rhythm continues across cells.
fn dashed(pen: &mut Pen, g: &Geometry, arms: [Weight; 4], dashes: u32) {
    let vertical = arms[UP] != Weight::None;
    let t = g.thickness(if vertical { arms[UP] } else { arms[LEFT] });
    let len = if vertical { pen.h() } else { pen.w() };
    let share = len / dashes as f32;
    let gap = (share / 3.0).round().max(1.0);
    for i in 0..dashes {
        let from = (i as f32 * share + gap / 2.0).floor();
        let to = from + (share - gap).round().max(1.0);
        if vertical {
            pen.rect(g.cx - t / 2.0, from, g.cx + t / 2.0, to, 1.0);
        } else {
            pen.rect(from, g.cy - t / 2.0, to, g.cy + t / 2.0, 1.0);
        }
    }
}

/// ╭ ╮ ╯ ╰: a quarter circle joining the two arms, antialiased.
fn arc(pen: &mut Pen, which: u32) -> bool {
    let g = Geometry::of(pen);
    let r = g.cx.min(pen.h() - g.cy);
    // Circle centre, and which way the straight arms run from it: ╭ down+right, ╮ down+left,
    // ╯ up+left, ╰ up+right.
    let (sx, sy) = match which {
        0 => (1.0, 1.0),
        1 => (-1.0, 1.0),
        2 => (-1.0, -1.0),
        _ => (1.0, -1.0),
    };
    let (ox, oy) = (g.cx + sx * r, g.cy + sy * r);
    // A touch wider than a straight line: antialiasing spreads a curve thinner.
    let half = g.light * 0.6;
    pen.shape(|x, y| {
        let (dx, dy) = (x - ox, y - oy);
        // The quadrant of the circle that faces the cell centre.
        let in_quadrant = dx * sx <= 0.0 && dy * sy <= 0.0;
        let on_ring = ((dx * dx + dy * dy).sqrt() - r).abs() <= half;
        let vertical = (x - g.cx).abs() <= half && (y - oy) * sy >= 0.0;
        let horizontal = (y - g.cy).abs() <= half && (x - ox) * sx >= 0.0;
        (in_quadrant && on_ring) || vertical || horizontal
    });
    true
}

/// ╱ ╲ ╳ corner to corner.
fn diagonal(pen: &mut Pen, which: u32) -> bool {
    let (w, h) = (pen.w(), pen.h());
    let len = (w * w + h * h).sqrt();
    let half = Geometry::of(pen).light * 0.6;
    let rising = which & 1 == 1;
    let falling = which & 2 == 2;
    pen.shape(|x, y| {
        // Distance to each diagonal of the w×h box.
        let to_rising = (h * x + w * y - w * h).abs() / len;
        let to_falling = (h * x - w * y).abs() / len;
        (rising && to_rising <= half) || (falling && to_falling <= half)
    });
    true
}
