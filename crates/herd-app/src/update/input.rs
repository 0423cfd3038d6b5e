//! Typed input: the `/` filter (applied live), the `:` command line, and the confirmation a
//! cluster write waits for.

use crate::action::Write;
use crate::effect::Effect;
use crate::filter::Filter;
use crate::rows;
use crate::state::{Level, Mode, RolloutForm, State};
use crate::update::{
    clear_problem, command, flash, node_edit, normal_mode, pick, refuse_readonly, rollout, target,
};

pub fn start_filter(state: &mut State) -> Vec<Effect> {
    let before = state.ui.page().filter.clone();
    state.ui.mode = Mode::Filter {
        input: before.clone(),
        fallback: before.clone(),
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
    if let Mode::StageChoice { .. } = state.ui.mode {
        return match c {
            's' => target::choose_staging(state, true),
            'a' => target::choose_staging(state, false),
            'b' | 'o' => {
                target::cycle_staging(state, c == 'b');
                Vec::new()
            }
            _ => Vec::new(),
        };
    }
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
            filter_typed(state);
        }
        Mode::Command { input } => change(input),
        Mode::RolloutForm(form) => {
            change(form.field_mut());
            rollout::refresh_preview(state);
        }
        Mode::TargetForm(form) => {
            change(form.field_mut());
            target::refresh_preview(state);
        }
        Mode::NodeEdit(form) => {
            change(&mut form.input);
            node_edit::refresh_preview(state);
        }
        Mode::TypeName { typed, .. } => change(typed),
        _ => {}
    }
    Vec::new()
}

/// Filters as the user types. A selector that does not parse (`app in (a`) is not matched as
/// text, which would empty the table without a word: the rows stay on the fallback filter and
/// the flash line says what is wrong with the selector.
fn filter_typed(state: &mut State) {
    let Mode::Filter {
        input, fallback, ..
    } = &mut state.ui.mode
    else {
        return;
    };
    match Filter::parse(input) {
        Ok(filter) => {
            if !matches!(filter, Filter::Text(_)) {
                fallback.clone_from(input);
            }
            let text = input.clone();
            clear_problem(state);
            show_filter(state, text);
        }
        Err(e) => {
            let text = fallback.clone();
            flash(state, Level::Warn, e.0);
            show_filter(state, text);
        }
    }
}

/// Puts `text` on the page as its filter; the cursor goes back to the top when it changes.
fn show_filter(state: &mut State, text: String) {
    let page = state.ui.page_mut();
    if page.filter != text {
        page.filter = text;
        page.cursor = 0;
        page.offset = 0;
    }
    rows::refresh(state);
}

pub fn submit(state: &mut State) -> Vec<Effect> {
    match std::mem::replace(&mut state.ui.mode, Mode::Normal) {
        Mode::Filter { input, .. } => submit_filter(state, &input),
        Mode::Command { input } => command::run(state, &input),
        Mode::PickNamespace { choices, cursor } => pick::choose(state, choices, cursor),
        Mode::RolloutForm(form) => submit_rollout(state, form),
        Mode::TargetForm(form) => target::submit(state, form),
        choice @ Mode::StageChoice { .. } => {
            state.ui.mode = choice;
            target::choose_staging(state, true)
        }
        Mode::NodeEdit(form) => node_edit::submit(state, form),
        Mode::Fixes {
            uid, fixes, cursor, ..
        } => target::choose_fix(state, uid, fixes, cursor),
        Mode::TypeName { write, typed } => {
            let wanted = write.fleet_wide().unwrap_or_default().to_string();
            if typed == wanted {
                send(state, write)
            } else {
                flash(
                    state,
                    Level::Warn,
                    format!("type {wanted:?} to go on, or esc to leave it"),
                );
                state.ui.mode = Mode::TypeName { write, typed };
                Vec::new()
            }
        }
        other => {
            state.ui.mode = other;
            Vec::new()
        }
    }
}

/// Enter on a filter: a good one is kept (it is on the page already); a selector that does not
/// parse keeps the page on the last good filter, and the reason stays on the flash line.
fn submit_filter(state: &mut State, input: &str) -> Vec<Effect> {
    match Filter::parse(input) {
        Ok(_) => clear_problem(state),
        Err(e) => flash(state, Level::Warn, e.0),
    }
    Vec::new()
}

/// A write asks first; under `--readonly` it is refused (the keys are not even bound).
pub fn request(state: &mut State, write: Write) -> Vec<Effect> {
    if refuse_readonly(state) {
        return Vec::new();
    }
    state.ui.mode = if write.fleet_wide().is_some() {
        Mode::TypeName {
            write,
            typed: String::new(),
        }
    } else {
        Mode::Confirm(write)
    };
    Vec::new()
}

/// Enter in the rollout dialog: a policy that can be followed goes on to the typed-name
/// confirmation; one that cannot stays open, saying which field is wrong.
fn submit_rollout(state: &mut State, form: RolloutForm) -> Vec<Effect> {
    let Some(ds) = state.fleet.daemon_set(&form.uid) else {
        return Vec::new();
    };
    let (namespace, name) = (ds.namespace.clone(), ds.name.clone());
    let current = ds.containers.first().map(|c| c.image.to_string());
    match form.policy() {
        Ok(policy) => {
            let image = form.image.trim().to_string();
            let images = if current.as_deref() == Some(image.as_str()) {
                Vec::new()
            } else {
                vec![(form.container.clone(), image)]
            };
            request(
                state,
                Write::StartRollout {
                    namespace,
                    name,
                    policy,
                    images,
                },
            )
        }
        Err(e) => {
            flash(state, Level::Warn, e);
            state.ui.mode = Mode::RolloutForm(form);
            Vec::new()
        }
    }
}

pub fn confirm(state: &mut State) -> Vec<Effect> {
    match std::mem::replace(&mut state.ui.mode, Mode::Normal) {
        Mode::Confirm(write) if !state.session.readonly => send(state, write),
        _ => Vec::new(),
    }
}

/// Hands a confirmed write to the runtime. One that the runtime then carries out as a rollout
/// counts as carried from here, so a `q` pressed before the write comes back still asks.
fn send(state: &mut State, write: Write) -> Vec<Effect> {
    flash(state, Level::Info, format!("{}…", write.describe()));
    if let Some(daemon_set) = write.carried() {
        state.carrying.insert(daemon_set);
    }
    vec![Effect::Write(write)]
}

/// `esc` in a prompt: a filter goes back to what it was before typing.
pub fn cancel(state: &mut State) -> Vec<Effect> {
    if let Mode::StageChoice { .. } = state.ui.mode {
        target::back_to_editor(state);
        return Vec::new();
    }
    if let Mode::Filter { before, .. } = &state.ui.mode {
        let before = before.clone();
        show_filter(state, before);
    }
    normal_mode(state);
    Vec::new()
}
