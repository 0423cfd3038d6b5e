//! `update` fed Actions on a small hand-built fleet: what the user would see change (the view
//! stack, rows, mode, flash) and what the runtime is asked to do (the Effects).

mod feeds;

use std::sync::Arc;

use crate::app::action::{Action, ClusterInfo, FeedAction, Write};
use crate::app::effect::Effect;
use crate::app::state::{Level, Mode, State};
use crate::app::update::{derive, update};
use crate::app::view::{Fetched, Motion, SortKey, View};
use crate::model::fleet::{FleetEvent, Relist};
use crate::model::testkit::{self, t};
use crate::ui::theme::Theme;

/// Three nodes; `agent` runs on all of them, `logger` (label tier=logs) only on n1, so it has
/// two gaps; `web` in namespace `apps` runs everywhere.
pub(super) fn fleet_events() -> Vec<FleetEvent> {
    let nodes = ["n1", "n2", "n3"].map(testkit::node).to_vec();
    let agent = testkit::ds("agent");
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
    State::new(Theme::default(), readonly, t(60))
}

/// An event on the current connection.
pub(super) fn feed(state: &mut State, feed: FeedAction) -> Vec<Effect> {
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
        feed(&mut state, FeedAction::Event(event));
    }
    derive(&mut state);
    state
}

/// The names of the fleet screen's rows, in order.
fn fleet_names(state: &State) -> Vec<String> {
    state
        .ui
        .page()
        .rows
        .iter()
        .map(|&i| state.derived.fleet_rows[i as usize].name.to_string())
        .collect()
}

fn selected_name(state: &State) -> String {
    let i = state.ui.page().selected().expect("a row is selected");
    state.derived.fleet_rows[i].name.to_string()
}

fn type_in(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Action::Input(c));
    }
}

fn command(state: &mut State, line: &str) -> Vec<Effect> {
    update(state, Action::StartCommand);
    type_in(state, line);
    update(state, Action::InputSubmit)
}

fn flash_text(state: &State) -> (Level, String) {
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
            before: "lo".into()
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
    assert_eq!(level, Level::Error);
    assert!(text.contains("tier in (a"), "{text}");
}

#[test]
fn the_namespace_scope_narrows_rows_without_reconnecting_when_everything_is_watched() {
    let mut state = listed(false);
    let effects = command(&mut state, "ns apps");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.ui.namespace.as_deref(), Some("apps"));
    assert_eq!(fleet_names(&state), ["web"]);
    update(&mut state, Action::AllNamespaces);
    assert_eq!(fleet_names(&state).len(), 3);
}

#[test]
fn a_namespace_outside_the_watched_one_reconnects_the_watches() {
    let mut state = listed(false);
    state.session.watch_namespace = Some(Arc::from("kube-system"));
    let effects = command(&mut state, "ns apps");
    assert_eq!(
        effects,
        [Effect::Connect {
            context: Some("one".into()),
            namespace: Some(Arc::from("apps"))
        }]
    );
    assert_eq!(state.session.epoch, 1);
}

#[test]
fn view_commands_start_a_fresh_stack_over_the_fleet() {
    let mut state = listed(false);
    update(&mut state, Action::Open);
    assert!(command(&mut state, "nodes").is_empty());
    assert_eq!(state.ui.stack.len(), 2);
    assert_eq!(state.ui.page().view, View::Nodes);
    assert_eq!(state.ui.page().rows.len(), 3);
    command(&mut state, "hogs");
    assert_eq!(state.ui.page().view, View::Hogs);
    assert_eq!(state.ui.stack.len(), 2);
    command(&mut state, "ds");
    assert_eq!(state.ui.stack.len(), 1);
    assert_eq!(state.ui.page().view, View::Fleet);
}

#[test]
fn fetched_views_open_on_top_of_the_current_one_and_ask_for_their_content() {
    let mut state = listed(false);
    update(&mut state, Action::Open);
    let uid: Arc<str> = Arc::from("uid-agent");
    let effects = update(
        &mut state,
        Action::Show(View::Events {
            uid: Arc::clone(&uid),
        }),
    );
    assert_eq!(
        effects,
        [Effect::Load(View::Events {
            uid: Arc::clone(&uid)
        })]
    );
    assert_eq!(
        state.ui.stack.len(),
        3,
        "the DaemonSet view stays underneath"
    );
    assert_eq!(state.ui.page().fetched, Fetched::Loading);
    let lines = vec!["first".to_string(), "second".to_string()];
    update(
        &mut state,
        Action::Loaded {
            view: View::Events { uid },
            result: Ok(lines.clone()),
        },
    );
    assert_eq!(state.ui.page().fetched, Fetched::Lines(lines));
    assert_eq!(state.ui.page().rows.len(), 2);
    update(&mut state, Action::Back);
    assert_eq!(
        state.ui.page().view,
        View::DaemonSet {
            uid: "uid-agent".into()
        }
    );
}

#[test]
fn context_switch_reconnects_with_a_new_epoch_and_an_empty_fleet() {
    let mut state = listed(false);
    command(&mut state, "nodes");
    let effects = command(&mut state, "ctx two");
    assert_eq!(
        effects,
        [Effect::Connect {
            context: Some("two".into()),
            namespace: None
        }]
    );
    assert_eq!(state.session.epoch, 1);
    assert_eq!(state.fleet.nodes().len(), 0);
    assert!(!state.session.synced());
    assert_eq!(state.ui.stack.len(), 1);

    let effects = command(&mut state, "ctx nowhere");
    assert!(effects.is_empty());
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Error);
    assert!(text.contains("nowhere") && text.contains("two"), "{text}");
}

#[test]
fn theme_and_quit_commands_ask_the_runtime() {
    let mut state = listed(false);
    assert_eq!(
        command(&mut state, "theme light"),
        [Effect::LoadTheme("light".into())]
    );
    assert!(!state.quit);
    assert_eq!(command(&mut state, "q"), [Effect::Quit]);
    assert!(state.quit);
}

#[test]
fn an_unknown_command_flashes_a_warning_and_does_nothing() {
    let mut state = listed(false);
    let effects = command(&mut state, "frobnicate now");
    assert!(effects.is_empty());
    assert_eq!(state.ui.mode, Mode::Normal);
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Warn);
    assert!(text.contains("unknown command :frobnicate now"), "{text}");
}

fn restart_agent() -> Write {
    Write::Restart {
        namespace: Arc::from(testkit::NS),
        name: Arc::from("agent"),
    }
}

#[test]
fn a_write_waits_for_confirmation_then_goes_out() {
    let mut state = listed(false);
    assert!(update(&mut state, Action::Request(restart_agent())).is_empty());
    assert_eq!(state.ui.mode, Mode::Confirm(restart_agent()));
    assert_eq!(
        update(&mut state, Action::Confirm),
        [Effect::Write(restart_agent())]
    );
    assert_eq!(state.ui.mode, Mode::Normal);

    update(&mut state, Action::Request(restart_agent()));
    assert!(update(&mut state, Action::Cancel).is_empty());
    assert_eq!(state.ui.mode, Mode::Normal);
    assert!(
        update(&mut state, Action::Confirm).is_empty(),
        "nothing left to confirm"
    );
}

#[test]
fn read_only_refuses_writes_and_says_so() {
    let mut state = listed(true);
    assert!(update(&mut state, Action::Request(restart_agent())).is_empty());
    assert_eq!(state.ui.mode, Mode::Normal);
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Error);
    assert!(text.contains("read-only"), "{text}");
    assert!(update(&mut state, Action::Confirm).is_empty());
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
    let key = crate::model::fleet::RecordKey::DaemonSet {
        uid: Arc::from("uid-web"),
    };
    feed(&mut state, FeedAction::Event(FleetEvent::Delete(key)));
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
