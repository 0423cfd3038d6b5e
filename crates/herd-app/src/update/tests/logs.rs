//! `l` through `update`: the pod of the row's log opens (a crash loop on its previous run, and
//! says so); `p` and a container number open another log in its place; a followed log is read
//! again every couple of seconds, a previous run never; `s` hands the lines to be saved.

use std::sync::Arc;

use jiff::SignedDuration;

use super::{derive, feed, flash_text, listed};
use crate::action::{Action, LogsKey};
use crate::effect::Effect;
use crate::state::{Level, State};
use crate::update::update;
use crate::view::{Fetched, LogTarget, Motion, View};
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Record};
use herd_core::model::testkit;

/// `agent`'s page with the cursor on n1, whose pod is made to crash-loop when `crashing`.
fn on_agent_n1(crashing: bool) -> State {
    let mut state = listed(false);
    if crashing {
        let agent = state.fleet.daemon_set("uid-agent").expect("agent").clone();
        let mut pod = testkit::pod(&agent, "n1", "agent-n1");
        pod.ready = false;
        pod.restarts = 6;
        pod.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
        feed(
            &mut state,
            Feed::Event(FleetEvent::Upsert(Record::Pod(pod))),
        );
        derive(&mut state);
    }
    update(
        &mut state,
        Action::Show(View::DaemonSet {
            uid: Arc::from("uid-agent"),
        }),
    );
    update(&mut state, Action::Move(Motion::Top));
    state
}

fn target(state: &State) -> LogTarget {
    match &state.ui.page().view {
        View::Logs { target } => target.clone(),
        other => panic!("not a log: {other:?}"),
    }
}

#[test]
fn l_opens_the_rows_pod_log_and_a_crash_loop_opens_on_its_previous_run() {
    let mut state = on_agent_n1(false);
    let effects = update(&mut state, Action::OpenLogs);
    let t = target(&state);
    assert_eq!(
        (&*t.pod, &*t.container, t.previous),
        ("agent-n1", "main", false)
    );
    assert!(
        matches!(&effects[..], [Effect::Load(View::Logs { .. })]),
        "{effects:?}"
    );

    // `p` on the row: the previous run whatever the pod does.
    let mut state = on_agent_n1(false);
    update(&mut state, Action::OpenPreviousLogs);
    assert!(target(&state).previous);

    let mut state = on_agent_n1(true);
    update(&mut state, Action::OpenLogs);
    assert!(target(&state).previous, "the crash loop's last words");
    let (level, text) = flash_text(&state);
    assert_eq!(level, Level::Info);
    assert!(
        text.contains("crash loop: the previous run's log"),
        "{text}"
    );
    // `p`: the current run instead, in the same place on the stack.
    let depth = state.ui.stack.len();
    let effects = update(&mut state, Action::Logs(LogsKey::Previous));
    assert!(!target(&state).previous);
    assert_eq!(state.ui.stack.len(), depth);
    assert!(matches!(&effects[..], [Effect::Load(View::Logs { .. })]));
    // A container the pod does not have is named, and nothing changes.
    assert!(update(&mut state, Action::Logs(LogsKey::Container(3))).is_empty());
    assert!(
        flash_text(&state).1.contains("no container 3: 0 main"),
        "{:?}",
        flash_text(&state)
    );
    update(&mut state, Action::Logs(LogsKey::Container(0)));
    assert_eq!(&*target(&state).container, "main");
}

#[test]
fn a_followed_log_is_read_again_and_keeps_to_its_end_and_a_previous_run_is_not() {
    let mut state = on_agent_n1(false);
    update(&mut state, Action::OpenLogs);
    let view = state.ui.page().view.clone();
    let lines: Vec<String> = (0..50).map(|i| format!("line {i}")).collect();
    update(
        &mut state,
        Action::Loaded {
            view: view.clone(),
            result: Ok(lines.clone()),
        },
    );
    assert_eq!(state.ui.page().cursor, 49, "a new log shows its end");
    // Nothing until the lines have shown for a while; then read again.
    let now = state.now;
    assert!(update(&mut state, Action::Tick(now + SignedDuration::from_secs(1))).is_empty());
    let effects = update(&mut state, Action::Tick(now + SignedDuration::from_secs(3)));
    assert!(
        matches!(&effects[..], [Effect::Load(v)] if *v == view),
        "{effects:?}"
    );
    assert!(
        update(&mut state, Action::Tick(now + SignedDuration::from_secs(4))).is_empty(),
        "not again while the read is out"
    );
    let mut more = lines.clone();
    more.push("line 50".into());
    update(
        &mut state,
        Action::Loaded {
            view: view.clone(),
            result: Ok(more),
        },
    );
    assert_eq!(state.ui.page().cursor, 50, "it follows the end");
    // `s` hands the lines shown over to be saved.
    let effects = update(&mut state, Action::Logs(LogsKey::Save));
    assert!(
        matches!(&effects[..], [Effect::SaveLog { lines, .. }] if lines.len() == 51),
        "{effects:?}"
    );
    // The previous run does not change: never read again.
    update(&mut state, Action::Logs(LogsKey::Previous));
    let view = state.ui.page().view.clone();
    update(
        &mut state,
        Action::Loaded {
            view,
            result: Ok(lines),
        },
    );
    assert!(matches!(state.ui.page().fetched, Fetched::Lines(_)));
    let later = state.now + SignedDuration::from_secs(30);
    assert!(update(&mut state, Action::Tick(later)).is_empty());
}
