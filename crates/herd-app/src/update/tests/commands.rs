//! The `:` command line, namespace scope, context switches, fetched views and cluster writes
//! through `update`: what each asks the runtime to do, and what the user is told.

use std::sync::Arc;

use super::{command, flash_text, fleet_names, listed};
use crate::action::{Action, Write};
use crate::effect::Effect;
use crate::state::{Level, Mode};
use crate::update::update;
use crate::view::{Fetched, View};
use herd_core::model::testkit;
use herd_core::model::usage::{NodeFocus, UsageFocus};

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
    // The Nodes screen shows every node's usage: the metrics poll is told to read it.
    assert_eq!(
        command(&mut state, "nodes"),
        [Effect::FocusUsage(UsageFocus {
            nodes: NodeFocus::All,
            ..UsageFocus::default()
        })]
    );
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
    // Back on the DaemonSets: the metrics poll is told the screen shows no node's usage.
    assert_eq!(
        effects,
        [
            Effect::Connect {
                context: Some("two".into()),
                namespace: None
            },
            Effect::FocusUsage(UsageFocus::default())
        ]
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
fn the_metrics_poll_is_told_what_usage_each_screen_shows() {
    let mut state = listed(false);
    // A DaemonSet page shows its pods' usage: read by the DaemonSet's own selector.
    let effects = update(&mut state, Action::Open);
    let View::DaemonSet { uid } = state.ui.page().view.clone() else {
        panic!("the fleet opens a DaemonSet");
    };
    let ds = state.fleet.daemon_set(&uid).expect("the DaemonSet");
    let wanted = UsageFocus {
        daemon_set: Some((ds.namespace.to_string(), ds.selector.to_string())),
        ..UsageFocus::default()
    };
    assert!(!ds.selector.is_everything());
    assert_eq!(effects, [Effect::FocusUsage(wanted.clone())]);
    // Told once: moving within the page changes nothing.
    assert!(update(&mut state, Action::Move(crate::view::Motion::Down)).is_empty());
    assert_eq!(state.session.usage_focus, wanted);
    // A node page shows the node's usage and its daemon pods'.
    let node = state.fleet.nodes().next().expect("a node").name.clone();
    let pods: Vec<(String, String)> = state
        .fleet
        .pods_on(&node)
        .iter()
        .filter_map(|id| state.fleet.pod(*id))
        .map(|p| (p.namespace.to_string(), p.name.to_string()))
        .collect();
    assert!(!pods.is_empty());
    update(&mut state, Action::Show(View::Node { name: node.clone() }));
    assert_eq!(
        state.session.usage_focus,
        UsageFocus {
            pods,
            nodes: NodeFocus::One(node.to_string()),
            ..UsageFocus::default()
        }
    );
    // The Hogs screen ranks the whole fleet: the fleet-wide poll serves it.
    command(&mut state, "hogs");
    assert_eq!(state.session.usage_focus, UsageFocus::default());
}
