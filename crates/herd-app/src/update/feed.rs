//! Watch and metrics feeds into the state: fleet events applied, and each feed's health kept
//! so the header can say which data is stale and why.

use crate::action::{ClusterInfo, FeedAction};
use crate::effect::Effect;
use crate::state::{FeedHealth, FeedState, Level, State};
use crate::update::flash;
use herd_core::model::fleet::{FleetEvent, Record, RecordKey, Relist};

/// How a stale feed's reason starts while the feed lists everything again.
const RELISTING: &str = "re-listing";

pub fn apply(state: &mut State, epoch: u64, feed: FeedAction) -> Vec<Effect> {
    if epoch != state.session.epoch {
        return Vec::new(); // from a connection we already left
    }
    let now = state.now;
    match feed {
        FeedAction::Event(event) => event_in(state, event),
        FeedAction::Trouble { source, message } => set(state, source, |feed| {
            feed.state = FeedState::Stale {
                since: match &feed.state {
                    FeedState::Stale { since, .. } => *since,
                    _ => now,
                },
                reason: message.clone(),
            };
        }),
        // Answering again is not having data: a feed that never listed waits for its list.
        FeedAction::Recovered { source } => set(state, source, |feed| {
            feed.state = if feed.listed {
                FeedState::Live
            } else {
                FeedState::Syncing
            };
        }),
        FeedAction::Relisting { source } => set(state, source, |feed| {
            feed.state = match &feed.state {
                FeedState::Syncing => FeedState::Syncing,
                // Stale since the trouble began; the reason now says what is under way.
                FeedState::Stale { since, reason } => FeedState::Stale {
                    since: *since,
                    reason: if reason.starts_with(RELISTING) {
                        reason.clone()
                    } else {
                        format!("{RELISTING} after: {reason}")
                    },
                },
                FeedState::Live => FeedState::Stale {
                    since: now,
                    reason: format!("{RELISTING} after the watch was lost"),
                },
            };
        }),
    }
    Vec::new()
}

fn event_in(state: &mut State, event: FleetEvent) {
    let source = source_of(&event);
    // Usage for pods the fleet does not know is dropped, so a poll that beats the first pod
    // list is held back and applied once the pods are in.
    let event = match event {
        FleetEvent::Metrics(snapshot) if !state.session.listed("pods") => {
            state.held_metrics = Some(snapshot);
            return;
        }
        other => other,
    };
    let pods_listed = matches!(event, FleetEvent::Relisted(Relist::Pods(_)));
    let complete = matches!(
        event,
        FleetEvent::Relisted(_) | FleetEvent::Metrics(_) | FleetEvent::MetricsUnavailable { .. }
    );
    let metrics_gone = match &event {
        FleetEvent::MetricsUnavailable { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    state.fleet.apply(event);
    let now = state.now;
    if pods_listed && let Some(held) = state.held_metrics.take() {
        state.fleet.apply(FleetEvent::Metrics(held));
        set(state, "metrics", |feed| {
            feed.listed = true;
            feed.state = FeedState::Live;
        });
    }
    state.stale_derived = true;
    state.session.last_event = Some(now);
    set(state, source, |feed| {
        feed.listed |= complete;
        feed.state = match &metrics_gone {
            Some(reason) => FeedState::Stale {
                since: now,
                reason: reason.clone(),
            },
            // An event proves a listed feed is live again; a plain upsert does not end the
            // first sync.
            None if feed.listed => FeedState::Live,
            None => feed.state.clone(),
        };
    });
}

fn source_of(event: &FleetEvent) -> &'static str {
    match event {
        FleetEvent::Upsert(Record::Node(_))
        | FleetEvent::Delete(RecordKey::Node { .. })
        | FleetEvent::Relisted(Relist::Nodes(_)) => "nodes",
        FleetEvent::Upsert(Record::Pod(_))
        | FleetEvent::Delete(RecordKey::Pod { .. })
        | FleetEvent::Relisted(Relist::Pods(_)) => "pods",
        FleetEvent::Upsert(Record::DaemonSet(_))
        | FleetEvent::Delete(RecordKey::DaemonSet { .. })
        | FleetEvent::Relisted(Relist::DaemonSets(_)) => "daemonsets",
        FleetEvent::Upsert(Record::Revision(_))
        | FleetEvent::Delete(RecordKey::Revision { .. })
        | FleetEvent::Relisted(Relist::Revisions(_)) => "controllerrevisions",
        FleetEvent::Metrics(_) | FleetEvent::MetricsUnavailable { .. } => "metrics",
    }
}

fn set(state: &mut State, source: &str, change: impl FnOnce(&mut FeedHealth)) {
    if let Some(feed) = state.session.feeds.iter_mut().find(|f| f.source == source) {
        change(feed);
    }
}

pub fn connected(state: &mut State, epoch: u64, info: Result<ClusterInfo, String>) -> Vec<Effect> {
    if epoch != state.session.epoch {
        return Vec::new();
    }
    match info {
        Ok(info) => {
            let context = info.context.clone();
            state.session.info = info;
            state.session.connected = Some(Ok(()));
            flash(
                state,
                Level::Info,
                format!("connected to context {context}"),
            );
        }
        Err(e) => {
            state.session.connected = Some(Err(e.clone()));
            flash(state, Level::Error, e);
        }
    }
    Vec::new()
}
