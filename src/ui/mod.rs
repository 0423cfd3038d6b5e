//! Rendering and key mapping only: `render(&State, &Theme, &mut Frame)` draws what `update`
//! computed; each pane is a function in its own file, and every colour comes from the theme's
//! slots.

mod chrome;
pub mod glyph;
mod help;
pub mod keymap;
mod last_error;
pub mod layout;
mod node_edit;
mod pick;
mod rollout;
pub mod safe;
pub mod screens;
pub mod table;
mod target;
pub mod theme;

use std::ops::Deref;

use ratatui::Frame;

use herd_app::state::{Mode, State};

use self::theme::Theme;

/// What a pane draws from: the state, and the theme the runtime holds. It reads as the state
/// (`Deref`), so panes write `state.fleet` and `state.theme` alike.
pub struct Scene<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
}

impl Deref for Scene<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        self.state
    }
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let state = &Scene { state, theme };
    let areas = layout::areas(frame.area());
    chrome::header(state, frame, areas.header);
    screens::body(state, frame, areas.body);
    chrome::footer(state, frame, areas.footer);
    match &state.ui.mode {
        Mode::Help => help::overlay(state, frame, areas.body),
        Mode::LastError => last_error::overlay(state, frame, areas.body),
        Mode::PickNamespace { choices, cursor } => {
            pick::namespaces(state, choices, *cursor, frame, areas.body)
        }
        Mode::Confirm(write) => chrome::confirm(state, write, frame, areas.body),
        Mode::RolloutForm(form) => rollout::form(state, form, frame, areas.body),
        Mode::RolloutPanel { uid } => rollout::panel(state, uid, frame, areas.body),
        Mode::TypeName { write, typed } => {
            rollout::type_name(state, write, typed, frame, areas.body)
        }
        Mode::ConfirmQuit => rollout::confirm_quit(state, frame, areas.body),
        Mode::TargetForm(form) => target::form(state, form, frame, areas.body),
        Mode::StageChoice { write, .. } => target::stage_choice(state, write, frame, areas.body),
        Mode::NodeEdit(form) => node_edit::form(state, form, frame, areas.body),
        Mode::Fixes {
            node,
            fixes,
            cursor,
            ..
        } => target::fixes(state, node.as_deref(), fixes, *cursor, frame, areas.body),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
