//! Rendering and key mapping only: `render(&State, &mut Frame)` draws what `update` computed;
//! each pane is a function in its own file, and every colour comes from the theme's slots.

mod chrome;
pub mod glyph;
mod help;
pub mod keymap;
pub mod layout;
pub mod screens;
pub mod table;
pub mod theme;

use ratatui::Frame;

use crate::app::state::{Mode, State};

pub fn render(state: &State, frame: &mut Frame) {
    let areas = layout::areas(frame.area());
    chrome::header(state, frame, areas.header);
    screens::body(state, frame, areas.body);
    chrome::footer(state, frame, areas.footer);
    match &state.ui.mode {
        Mode::Help => help::overlay(state, frame, areas.body),
        Mode::Confirm(write) => chrome::confirm(state, write, frame, areas.body),
        _ => {}
    }
}
