//! The terminal: raw mode, the alternate screen and (with `--mouse`) mouse capture on entry,
//! and their restoration on every way out — normal return, error (the guard's `Drop`) and
//! panic (a hook that releases the mouse, then ratatui's, which restores the screen and chains
//! to the previous hook); and a step aside while $EDITOR has the terminal.

use std::io::{self, stdout};

use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
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

impl Tui {
    /// Gives the terminal back (cooked mode, main screen) for a program such as $EDITOR.
    pub fn suspend(&mut self) -> io::Result<()> {
        if self.mouse {
            execute!(stdout(), DisableMouseCapture)?;
        }
        disable_raw_mode()?;
        execute!(stdout(), LeaveAlternateScreen, Show)
    }

    /// Takes the terminal again after [`Tui::suspend`]; the next frame redraws everything.
    pub fn resume(&mut self) -> io::Result<()> {
        enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen)?;
        if self.mouse {
            execute!(stdout(), EnableMouseCapture)?;
        }
        // A resize to the full screen clears it and forgets the last frame, so the next one is
        // drawn whole; unlike `clear`, it does not ask the terminal where its cursor is (an
        // answer that can be lost among what the editor left behind).
        let size = self.terminal.size()?;
        self.terminal
            .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
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
