//! Turns ratatui colours into RGB the way a terminal with a given palette would.

use ratatui::style::Color;

pub type Rgb = [u8; 3];

/// What the emulated terminal shows for `Color::Reset` and the 16 ANSI colours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    pub fg: Rgb,
    pub bg: Rgb,
    /// ANSI 0–15 (black … bright white), used for named colours and `Indexed(0..16)`.
    pub ansi: [Rgb; 16],
}

/// xterm's defaults, so named colours look as most people's terminals show them.
const XTERM_ANSI: [Rgb; 16] = [
    [0x00, 0x00, 0x00],
    [0xcd, 0x00, 0x00],
    [0x00, 0xcd, 0x00],
    [0xcd, 0xcd, 0x00],
    [0x00, 0x00, 0xee],
    [0xcd, 0x00, 0xcd],
    [0x00, 0xcd, 0xcd],
    [0xe5, 0xe5, 0xe5],
    [0x7f, 0x7f, 0x7f],
    [0xff, 0x00, 0x00],
    [0x00, 0xff, 0x00],
    [0xff, 0xff, 0x00],
    [0x5c, 0x5c, 0xff],
    [0xff, 0x00, 0xff],
    [0x00, 0xff, 0xff],
    [0xff, 0xff, 0xff],
];

impl Palette {
    /// A dark terminal: light grey on near-black.
    pub fn dark() -> Self {
        Self {
            fg: [0xd0, 0xd0, 0xd0],
            bg: [0x1c, 0x1c, 0x1c],
            ansi: XTERM_ANSI,
        }
    }

    /// A light terminal: near-black on near-white. The ANSI colours are xterm's, as light
    /// themes (herd's `light` included) pick dark 256-colour entries that read on white.
    pub fn light() -> Self {
        Self {
            fg: [0x1c, 0x1c, 0x1c],
            bg: [0xfa, 0xfa, 0xfa],
            ansi: XTERM_ANSI,
        }
    }

    /// The RGB a terminal shows for `color`; `reset` is what `Color::Reset` means in this slot.
    pub fn resolve(&self, color: Color, reset: Rgb) -> Rgb {
        match color {
            Color::Reset => reset,
            Color::Rgb(r, g, b) => [r, g, b],
            Color::Indexed(i) => self.indexed(i),
            named => self.ansi[ansi_index(named)],
        }
    }

    fn indexed(&self, i: u8) -> Rgb {
        match i {
            0..=15 => self.ansi[usize::from(i)],
            16..=231 => {
                // The 6×6×6 cube uses these channel levels, not an even spread.
                const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
                let n = usize::from(i - 16);
                [LEVELS[n / 36], LEVELS[(n / 6) % 6], LEVELS[n % 6]]
            }
            _ => {
                let v = 8 + 10 * (i - 232);
                [v, v, v]
            }
        }
    }
}

impl Default for Palette {
    fn default() -> Self {
        Self::dark()
    }
}

fn ansi_index(color: Color) -> usize {
    match color {
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        // Black, and the non-named variants that `resolve` handles before calling this.
        _ => 0,
    }
}

/// `from` moved `t` (0–1) of the way toward `to`.
pub fn mix(from: Rgb, to: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    [
        lerp(from[0], to[0]),
        lerp(from[1], to[1]),
        lerp(from[2], to[2]),
    ]
}
