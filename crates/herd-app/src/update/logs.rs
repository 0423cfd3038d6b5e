//! `l` on a pod's row: its container's log, as `kubectl logs` reads it, followed while open
//! (read again every few seconds), and `p` there its previous run at once; in the log, `p` the
//! run before (a crash loop's last words: a
//! crash-looping pod opens there, and says so), `0`…`9` another container, `w` wrap, `s` save
//! to a private file. `/` searches the lines as on every text view.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::action::LogsKey;
use crate::effect::Effect;
use crate::selection;
use crate::state::{Level, State};
use crate::update::{flash, nav};
use crate::view::{Fetched, LogTarget, View};

/// How long a followed log shows before it is read again.
pub const FOLLOW_EVERY: SignedDuration = SignedDuration::from_secs(2);

/// `l`: the log of the pod of the selected row, on its current run, or on the one before when
/// it crash-loops (the current run has not said anything yet); `p` (`previous`): the one before
/// whatever it does.
pub fn open(state: &mut State, previous: bool) -> Vec<Effect> {
    let Some(pod) = selection::selected_pod_id(state).and_then(|id| state.fleet.pod(id)) else {
        flash(state, Level::Warn, "l: no pod on this row");
        return Vec::new();
    };
    let containers: Vec<Arc<str>> = pod.containers.iter().map(|c| Arc::clone(&c.name)).collect();
    let Some(first) = containers.first().cloned() else {
        flash(state, Level::Warn, "l: the pod has no container");
        return Vec::new();
    };
    let crash_looping = pod.waiting_reason.as_deref() == Some("CrashLoopBackOff");
    let target = LogTarget {
        namespace: Arc::clone(&pod.namespace),
        pod: Arc::clone(&pod.name),
        container: first,
        containers,
        previous: previous || crash_looping,
    };
    let effects = nav::push(state, View::Logs { target });
    if crash_looping && !previous {
        flash(
            state,
            Level::Info,
            "crash loop: the previous run's log, its last words at the end (p for the current run)",
        );
    }
    effects
}

/// A key of the log view.
pub fn key(state: &mut State, key: LogsKey) -> Vec<Effect> {
    let View::Logs { target } = &state.ui.page().view else {
        return Vec::new();
    };
    let mut next = target.clone();
    match key {
        LogsKey::Previous => next.previous = !next.previous,
        LogsKey::Container(i) => match next.containers.get(i) {
            Some(c) => next.container = Arc::clone(c),
            None => {
                let text = format!("no container {i}: {}", numbered(&next.containers));
                flash(state, Level::Warn, text);
                return Vec::new();
            }
        },
        LogsKey::Wrap => {
            state.ui.wrap_logs = !state.ui.wrap_logs;
            return Vec::new();
        }
        LogsKey::Save => return save(state, target.clone()),
    }
    // Another run or container is another log: this page gives way to it.
    state.ui.stack.pop();
    nav::push(state, View::Logs { target: next })
}

fn numbered(containers: &[Arc<str>]) -> String {
    containers
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{i} {c}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn save(state: &mut State, target: LogTarget) -> Vec<Effect> {
    let Fetched::Lines(lines) = &state.ui.page().fetched else {
        flash(state, Level::Warn, "s: nothing to save yet");
        return Vec::new();
    };
    vec![Effect::SaveLog {
        target,
        lines: lines.clone(),
    }]
}

/// On a tick: a followed log (the current run) that has shown its lines for a while is read
/// again.
pub fn follow(state: &mut State, now: Timestamp) -> Vec<Effect> {
    let page = state.ui.page();
    let View::Logs { target } = &page.view else {
        return Vec::new();
    };
    let due = page
        .loaded_at
        .and_then(|at| at.checked_add(FOLLOW_EVERY).ok())
        .is_some_and(|at| at <= now);
    if target.previous || !due {
        return Vec::new();
    }
    let view = page.view.clone();
    // Not again until these lines are in.
    state.ui.page_mut().loaded_at = None;
    vec![Effect::Load(view)]
}
