//! The terminal: raw mode and the alternate screen on entry, and their restoration on every
//! way out — normal return, error (the guard's `Drop`) and panic (ratatui's hook, which
//! restores and then chains to the previous hook).

use std::io;

use ratatui::DefaultTerminal;

pub struct Tui {
    pub terminal: DefaultTerminal,
}

impl Tui {
    pub fn enter() -> io::Result<Tui> {
        let terminal = ratatui::try_init()?;
        Ok(Tui { terminal })
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
