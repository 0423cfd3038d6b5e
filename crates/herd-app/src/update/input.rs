//! Typed input: the `/` filter (applied live), the `:` command line, and the confirmation a
//! cluster write waits for.

use crate::action::Write;
use crate::effect::Effect;
use crate::filter::Filter;
use crate::rows;
use crate::state::{Level, Mode, State};
use crate::update::{clear_problem, command, flash, normal_mode};

pub fn start_filter(state: &mut State) -> Vec<Effect> {
    let before = state.ui.page().filter.clone();
    state.ui.mode = Mode::Filter {
        input: before.clone(),
        before,
    };
    Vec::new()
}

pub fn start_command(state: &mut State) -> Vec<Effect> {
    state.ui.mode = Mode::Command {
        input: String::new(),
    };
    Vec::new()
}

pub fn type_char(state: &mut State, c: char) -> Vec<Effect> {
    edit(state, |input| input.push(c))
}

pub fn backspace(state: &mut State) -> Vec<Effect> {
    edit(state, |input| {
        input.pop();
    })
}

fn edit(state: &mut State, change: impl FnOnce(&mut String)) -> Vec<Effect> {
    match &mut state.ui.mode {
        Mode::Filter { input, .. } => {
            change(input);
            let text = input.clone();
            live_filter(state, text);
        }
        Mode::Command { input } => change(input),
        _ => {}
    }
    Vec::new()
}

/// Filters as the user types; a selector still being typed simply matches as text until it parses.
fn live_filter(state: &mut State, text: String) {
    let page = state.ui.page_mut();
    page.filter = text;
    page.cursor = 0;
    page.offset = 0;
    rows::refresh(state);
}

pub fn submit(state: &mut State) -> Vec<Effect> {
    match std::mem::replace(&mut state.ui.mode, Mode::Normal) {
        Mode::Filter { input, .. } => {
            match Filter::parse(&input) {
                Ok(_) => clear_problem(state),
                Err(e) => flash(state, Level::Error, e.0),
            }
            Vec::new()
        }
        Mode::Command { input } => command::run(state, &input),
        other => {
            state.ui.mode = other;
            Vec::new()
        }
    }
}

/// A write asks first; under `--readonly` it is refused (the keys are not even bound).
pub fn request(state: &mut State, write: Write) -> Vec<Effect> {
    if state.session.readonly {
        flash(
            state,
            Level::Error,
            "read-only session: herd changes nothing",
        );
        return Vec::new();
    }
    state.ui.mode = Mode::Confirm(write);
    Vec::new()
}

pub fn confirm(state: &mut State) -> Vec<Effect> {
    match std::mem::replace(&mut state.ui.mode, Mode::Normal) {
        Mode::Confirm(write) if !state.session.readonly => {
            flash(state, Level::Info, format!("{}…", write.describe()));
            vec![Effect::Write(write)]
        }
        _ => Vec::new(),
    }
}

/// `esc` in a prompt: a filter goes back to what it was before typing.
pub fn cancel(state: &mut State) -> Vec<Effect> {
    if let Mode::Filter { before, .. } = &state.ui.mode {
        let before = before.clone();
        live_filter(state, before);
    }
    normal_mode(state);
    Vec::new()
}
