//! The terminal UI's drawing side: themes (and, with the TUI, the screens).

pub mod theme;
