//! The terminal: raw mode, the alternate screen and (with `--mouse`) mouse capture on entry,
//! and their restoration on every way out — normal return, error (the guard's `Drop`) and
//! panic (a hook that releases the mouse, then ratatui's, which restores the screen and chains
//! to the previous hook).

use std::io::{self, stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

pub struct Tui {
    pub terminal: DefaultTerminal,
    mouse: bool,
}

impl Tui {
    pub fn enter(mouse: bool) -> io::Result<Tui> {
        let terminal = ratatui::try_init()?;
        if mouse {
            execute!(stdout(), EnableMouseCapture)?;
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = execute!(stdout(), DisableMouseCapture);
                previous(info);
            }));
        }
        Ok(Tui { terminal, mouse })
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.mouse {
            let _ = execute!(stdout(), DisableMouseCapture);
        }
        ratatui::restore();
    }
}
