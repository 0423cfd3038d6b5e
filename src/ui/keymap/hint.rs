//! The one line a key bound to nothing here gets on the flash line: what it is elsewhere in
//! herd (or under `--readonly`), what k9s would have done with it, and the keys that work on
//! this screen.

use crossterm::event::{KeyCode, KeyModifiers};

use super::{BINDINGS, Binding, active};
use herd_app::action::Action;
use herd_app::state::State;

/// What k9s does with keys herd does not bind, for the hint a reflex press gets.
const K9S_REFLEXES: &[(&str, &str)] = &[
    ("ctrl-k", "kill"),
    ("s", "shell"),
    ("a", "attach"),
    ("f", "port-forward"),
    ("x", "decode"),
];

/// Bindings the hint offers instead, in this order where they are live.
const OFFERED: &[&str] = &["enter", "l", "d", "e", "y", "?"];

/// A letter (or ctrl-letter) bound to nothing in this view: one line on the flash line, naming
/// what k9s would have done with it and the keys that work here, rather than nothing.
pub(super) fn unbound(code: KeyCode, mods: KeyModifiers, state: &State) -> Option<Action> {
    let KeyCode::Char(c) = code else {
        return None;
    };
    let name = if mods == KeyModifiers::CONTROL {
        format!("ctrl-{c}")
    } else if mods.is_empty() && !c.is_whitespace() {
        c.to_string()
    } else {
        return None;
    };
    let live: Vec<&Binding> = active(state).collect();
    let offered: Vec<String> = OFFERED
        .iter()
        .filter_map(|label| live.iter().find(|b| b.label == *label))
        .map(|b| format!("{} {}", b.label, b.short))
        .collect();
    let elsewhere = BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.code == code && k.mods == mods));
    let what = match (elsewhere, K9S_REFLEXES.iter().find(|(key, _)| *key == name)) {
        (Some(b), _) if b.writes && state.session.readonly => format!(
            "{} {}: read-only session, herd changes nothing",
            b.label, b.short
        ),
        (Some(b), _) => format!("{} {}: not on this screen", b.label, b.short),
        (None, Some((_, k9s))) => format!("{name} ({k9s} in k9s): not in herd yet"),
        (None, None) => format!("{name}: not bound here"),
    };
    Some(Action::Unbound(format!("{what} · {}", offered.join(" · "))))
}
