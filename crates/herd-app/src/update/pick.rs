//! `:ns` with no name: a small list of the namespaces the fleet knows, "all namespaces" first,
//! moved through with `j`/`k`, chosen with enter, left with esc.

use std::sync::Arc;

use crate::effect::Effect;
use crate::namespaces;
use crate::state::{Mode, State};
use crate::update::{nav, normal_mode};
use crate::view::Motion;

/// Opens the list with the cursor on the namespace in view, so enter alone changes nothing.
pub fn open(state: &mut State) -> Vec<Effect> {
    let choices: Vec<Option<Arc<str>>> = std::iter::once(None)
        .chain(namespaces::known(&state.fleet).into_iter().map(Some))
        .collect();
    let cursor = choices
        .iter()
        .position(|c| c.as_deref() == state.ui.namespace.as_deref())
        .unwrap_or(0);
    state.ui.mode = Mode::PickNamespace { choices, cursor };
    Vec::new()
}

pub fn move_cursor(state: &mut State, motion: Motion) -> Vec<Effect> {
    let visible = state.ui.visible_rows();
    if let Mode::PickNamespace { choices, cursor } = &mut state.ui.mode {
        let last = choices.len().saturating_sub(1);
        *cursor = match motion {
            Motion::Up => cursor.saturating_sub(1),
            Motion::Down => (*cursor + 1).min(last),
            Motion::PageUp => cursor.saturating_sub(visible),
            Motion::PageDown => (*cursor + visible).min(last),
            Motion::Top => 0,
            Motion::Bottom => last,
        };
    }
    Vec::new()
}

/// Enter: switches to the namespace under the cursor, as `:ns NAME` or `:ns all` would.
pub fn choose(state: &mut State, choices: Vec<Option<Arc<str>>>, cursor: usize) -> Vec<Effect> {
    normal_mode(state);
    match choices.into_iter().nth(cursor) {
        Some(choice) => nav::namespace(state, choice),
        None => Vec::new(),
    }
}
