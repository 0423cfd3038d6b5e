//! `:ns` through `update`: with no name a list of the fleet's namespaces to pick from, and a
//! name the fleet does not know refused with the ones it does.

use std::sync::Arc;

use super::{command, flash_text, fleet_names, listed};
use crate::action::Action;
use crate::state::{Level, Mode};
use crate::update::update;
use crate::view::Motion;
use herd_core::model::testkit;

fn picking(state: &crate::state::State) -> (Vec<Option<String>>, usize) {
    match &state.ui.mode {
        Mode::PickNamespace { choices, cursor } => (
            choices
                .iter()
                .map(|c| c.as_deref().map(str::to_string))
                .collect(),
            *cursor,
        ),
        other => panic!("not picking a namespace: {other:?}"),
    }
}

#[test]
fn bare_ns_lists_the_fleets_namespaces_and_enter_picks_one() {
    let mut state = listed(false);
    let effects = command(&mut state, "ns");
    assert!(effects.is_empty(), "{effects:?}");
    let (choices, cursor) = picking(&state);
    assert_eq!(
        choices,
        [None, Some("apps".into()), Some(testkit::NS.into())],
        "all first, then every namespace with a DaemonSet or pod"
    );
    assert_eq!(cursor, 0, "on the scope in view: all");

    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(picking(&state).1, 2, "stops at the end");
    assert_eq!(state.ui.page().cursor, 0, "the table's cursor did not move");
    update(&mut state, Action::Move(Motion::Up));
    update(&mut state, Action::InputSubmit);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(state.ui.namespace.as_deref(), Some("apps"));
    assert_eq!(fleet_names(&state), ["web"]);

    command(&mut state, "ns");
    assert_eq!(picking(&state).1, 1, "opens on the namespace in view");
    update(&mut state, Action::Cancel);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(
        state.ui.namespace.as_deref(),
        Some("apps"),
        "esc changes nothing"
    );

    command(&mut state, "ns");
    update(&mut state, Action::Move(Motion::Top));
    update(&mut state, Action::InputSubmit);
    assert_eq!(state.ui.namespace, None, "all namespaces");
}

#[test]
fn an_unknown_namespace_is_refused_naming_the_known_ones() {
    let mut state = listed(false);
    command(&mut state, "ns apps");
    let effects = command(&mut state, "ns nope");
    assert!(effects.is_empty(), "{effects:?}");
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Warn);
    assert!(
        text.starts_with(&format!(
            "no namespace \"nope\"; known: apps, {}",
            testkit::NS
        )),
        "{text}"
    );
    assert_eq!(
        state.ui.namespace.as_deref(),
        Some("apps"),
        "nothing changed"
    );
    assert_eq!(fleet_names(&state), ["web"]);

    command(&mut state, "ns all");
    assert_eq!(state.ui.namespace, None);
    assert_eq!(fleet_names(&state).len(), 3);
}

#[test]
fn under_dash_n_a_namespace_outside_the_watch_is_still_let_through() {
    let mut state = listed(false);
    state.session.watch_namespace = Some(Arc::from("kube-system"));
    let effects = command(&mut state, "ns elsewhere");
    assert_eq!(effects.len(), 1, "reconnects: {effects:?}");
    assert_eq!(state.ui.namespace.as_deref(), Some("elsewhere"));
}
