//! `update` fed Actions on a small hand-built fleet: what the user would see change (the view
//! stack, rows, mode, flash) and what the runtime is asked to do (the Effects).

mod commands;
mod feeds;
mod flash;
mod logs;
mod namespaces;
mod rollouts;
mod staging;
mod targeting;

use std::sync::Arc;

use crate::action::{Action, ClusterInfo};
use crate::effect::Effect;
use crate::state::{Level, Mode, State, Themes};
use crate::update::{derive, update};
use crate::view::{Motion, SortKey, View};
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Relist};
use herd_core::model::testkit::{self, t};

/// Three nodes; `agent` runs on all of them, `logger` (label tier=logs) only on n1, so it has
/// two gaps; `web` in namespace `apps` runs everywhere.
pub(super) fn fleet_events() -> Vec<FleetEvent> {
    let nodes = ["n1", "n2", "n3"].map(testkit::node).to_vec();
    let mut agent = testkit::ds("agent");
    agent.selector = herd_core::model::selector::LabelSelector::parse("app=agent").unwrap();
    let mut logger = testkit::ds("logger");
    logger.labels.insert("tier".into(), "logs".into());
    let mut web = testkit::ds("web");
    web.namespace = Arc::from("apps");
    let mut pods = Vec::new();
    for n in ["n1", "n2", "n3"] {
        pods.push(testkit::pod(&agent, n, &format!("agent-{n}")));
        pods.push(testkit::pod(&web, n, &format!("web-{n}")));
    }
    pods.push(testkit::pod(&logger, "n1", "logger-n1"));
    let revisions = vec![
        testkit::revision(&agent, 1, "a1"),
        testkit::revision(&logger, 1, "l1"),
        testkit::revision(&web, 1, "w1"),
    ];
    vec![
        FleetEvent::Relisted(Relist::Nodes(nodes)),
        FleetEvent::Relisted(Relist::DaemonSets(vec![agent, logger, web])),
        FleetEvent::Relisted(Relist::Pods(pods)),
        FleetEvent::Relisted(Relist::Revisions(revisions)),
    ]
}

pub(super) fn empty(readonly: bool) -> State {
    State::new(Themes::default(), readonly, t(60))
}

/// An event on the current connection.
pub(super) fn feed(state: &mut State, feed: Feed) -> Vec<Effect> {
    let epoch = state.session.epoch;
    update(state, Action::Feed { epoch, feed })
}

/// The fleet listed, connected, analysed: what the user sees a moment after start.
pub(super) fn listed(readonly: bool) -> State {
    let mut state = empty(readonly);
    let info = ClusterInfo {
        context: "one".into(),
        contexts: vec!["one".into(), "two".into()],
        ..ClusterInfo::default()
    };
    update(
        &mut state,
        Action::Connected {
            epoch: 0,
            info: Ok(info),
        },
    );
    for event in fleet_events() {
        feed(&mut state, Feed::Event(event));
    }
    derive(&mut state);
    state
}

/// The names of the fleet screen's rows, in order.
pub(super) fn fleet_names(state: &State) -> Vec<String> {
    state
        .ui
        .page()
        .rows
        .iter()
        .map(|&i| state.derived.fleet_rows[i as usize].name.to_string())
        .collect()
}

pub(super) fn selected_name(state: &State) -> String {
    let i = state.ui.page().selected().expect("a row is selected");
    state.derived.fleet_rows[i].name.to_string()
}

pub(super) fn type_in(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Action::Input(c));
    }
}

pub(super) fn command(state: &mut State, line: &str) -> Vec<Effect> {
    update(state, Action::StartCommand);
    type_in(state, line);
    update(state, Action::InputSubmit)
}

pub(super) fn flash_text(state: &State) -> (Level, String) {
    let flash = state.ui.flash.as_ref().expect("a flash");
    (flash.level, flash.text.clone())
}

#[test]
fn open_and_back_walk_a_stack_that_remembers_the_cursor() {
    let mut state = listed(false);
    assert_eq!(fleet_names(&state), ["agent", "logger", "web"]);
    update(&mut state, Action::Move(Motion::Down));
    assert_eq!(selected_name(&state), "logger");
    assert!(update(&mut state, Action::Open).is_empty());
    assert_eq!(
        state.ui.page().view,
        View::DaemonSet {
            uid: "uid-logger".into()
        }
    );
    update(&mut state, Action::Open);
    let first_gap = View::Node { name: "n2".into() };
    assert_eq!(
        state.ui.page().view,
        first_gap,
        "a DaemonSet's nodes list problems first"
    );
    assert_eq!(state.ui.stack.len(), 3);
    update(&mut state, Action::Back);
    update(&mut state, Action::Back);
    assert_eq!(state.ui.page().view, View::Fleet);
    assert_eq!(
        selected_name(&state),
        "logger",
        "the fleet cursor is where it was"
    );
    update(&mut state, Action::Back);
    assert_eq!(state.ui.stack.len(), 1, "esc on the home view stays there");
}

#[test]
fn motions_stop_at_the_ends() {
    let mut state = listed(false);
    update(&mut state, Action::Move(Motion::Up));
    assert_eq!(state.ui.page().cursor, 0);
    update(&mut state, Action::Move(Motion::Bottom));
    assert_eq!(selected_name(&state), "web");
    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::Move(Motion::PageDown));
    assert_eq!(selected_name(&state), "web");
    update(&mut state, Action::Move(Motion::Top));
    assert_eq!(selected_name(&state), "agent");
}

#[test]
fn a_filter_applies_while_typing_and_esc_restores_the_one_before() {
    let mut state = listed(false);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "lo");
    assert_eq!(fleet_names(&state), ["logger"], "rows follow each key");
    update(&mut state, Action::InputSubmit);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(state.ui.page().filter, "lo");

    update(&mut state, Action::StartFilter);
    assert_eq!(
        state.ui.mode,
        Mode::Filter {
            input: "lo".into(),
            before: "lo".into(),
            fallback: "lo".into(),
        }
    );
    update(&mut state, Action::InputBackspace);
    update(&mut state, Action::InputBackspace);
    type_in(&mut state, "zz");
    assert!(fleet_names(&state).is_empty());
    update(&mut state, Action::Cancel);
    assert_eq!(
        state.ui.page().filter,
        "lo",
        "esc brings the committed filter back"
    );
    assert_eq!(fleet_names(&state), ["logger"]);

    update(&mut state, Action::Back);
    assert_eq!(
        state.ui.page().filter,
        "",
        "esc clears a filter before leaving a view"
    );
    assert_eq!(fleet_names(&state).len(), 3);
}

#[test]
fn back_while_typing_a_filter_restores_it_too() {
    let mut state = listed(false);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "web");
    update(&mut state, Action::Back);
    assert_eq!(state.ui.mode, Mode::Normal);
    assert_eq!(state.ui.page().filter, "");
    assert_eq!(fleet_names(&state).len(), 3);
}

#[test]
fn label_selectors_filter_by_labels_and_a_bad_one_says_why() {
    let mut state = listed(false);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "tier=logs");
    update(&mut state, Action::InputSubmit);
    assert_eq!(fleet_names(&state), ["logger"]);

    update(&mut state, Action::Back);
    update(&mut state, Action::StartFilter);
    type_in(&mut state, "-l tier in (a");
    update(&mut state, Action::InputSubmit);
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Warn);
    assert!(text.contains("tier in (a"), "{text}");
}

#[test]
fn sorting_by_the_same_key_again_reverses() {
    let mut state = listed(false);
    update(&mut state, Action::Sort(SortKey::Name));
    assert_eq!(fleet_names(&state), ["web", "logger", "agent"]);
    update(&mut state, Action::Sort(SortKey::Name));
    assert_eq!(fleet_names(&state), ["agent", "logger", "web"]);
    update(&mut state, Action::Sort(SortKey::Weight));
    assert_eq!(
        fleet_names(&state)[0],
        "logger",
        "the DaemonSet with gaps comes first"
    );
    update(&mut state, Action::Sort(SortKey::Namespace));
    assert_eq!(
        fleet_names(&state),
        ["web", "agent", "logger"],
        "apps before kube-system"
    );
}

#[test]
fn sort_keys_order_a_node_view_too() {
    let mut state = listed(false);
    update(&mut state, Action::Move(Motion::Down));
    update(&mut state, Action::Open); // logger
    update(&mut state, Action::Open); // n2, the first node logger misses
    let names = |s: &State| -> Vec<String> {
        let view = s.derived.node_view.as_ref().expect("node view");
        s.ui.page()
            .rows
            .iter()
            .map(|&i| {
                s.fleet
                    .daemon_set(&view.rows[i as usize].0)
                    .expect("ds")
                    .name
                    .to_string()
            })
            .collect()
    };
    assert_eq!(names(&state), ["agent", "logger", "web"]);
    update(&mut state, Action::Sort(SortKey::Status));
    assert_eq!(names(&state)[0], "logger", "problems first");
}

#[test]
fn the_cursor_stays_on_a_row_when_rows_shrink() {
    let mut state = listed(false);
    update(&mut state, Action::Move(Motion::Bottom));
    assert_eq!(state.ui.page().cursor, 2);
    let key = herd_core::model::fleet::RecordKey::DaemonSet {
        uid: Arc::from("uid-web"),
    };
    feed(&mut state, Feed::Event(FleetEvent::Delete(key)));
    derive(&mut state);
    assert_eq!(state.ui.page().rows.len(), 2);
    assert_eq!(selected_name(&state), "logger");

    update(&mut state, Action::StartFilter);
    type_in(&mut state, "nothing matches");
    assert_eq!(state.ui.page().selected(), None);
    assert_eq!(
        update(&mut state, Action::Open),
        [],
        "enter on no row opens nothing"
    );
}

#[test]
fn help_and_the_coverage_map_toggle() {
    let mut state = listed(false);
    update(&mut state, Action::ToggleCoverageMap);
    assert!(!state.ui.page().map, "the fleet has no map");
    update(&mut state, Action::ToggleHelp);
    assert_eq!(state.ui.mode, Mode::Help);
    update(&mut state, Action::Back);
    assert_eq!(state.ui.mode, Mode::Normal);
    update(&mut state, Action::Open);
    update(&mut state, Action::ToggleCoverageMap);
    assert!(state.ui.page().map);
}

#[test]
fn a_flash_goes_away_after_a_while() {
    let mut state = listed(false);
    assert!(state.ui.flash.is_some(), "connected to context one");
    update(&mut state, Action::Tick(t(62)));
    assert!(state.ui.flash.is_some());
    update(&mut state, Action::Tick(t(70)));
    assert!(state.ui.flash.is_none());
}

#[test]
fn a_tick_past_the_verdict_refresh_asks_for_a_derive() {
    let mut state = listed(false);
    crate::update::derive(&mut state);
    assert!(!state.stale_derived);
    let judged = state.derived.judged_at.unwrap();
    update(
        &mut state,
        Action::Tick(judged + jiff::SignedDuration::from_secs(2)),
    );
    assert!(!state.stale_derived, "too soon");
    update(
        &mut state,
        Action::Tick(judged + crate::derived::VERDICT_REFRESH),
    );
    assert!(
        state.stale_derived,
        "graces run out with no event to say so"
    );
}
