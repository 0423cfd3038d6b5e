//! Watch and metrics feeds into the state: fleet events applied, and each feed's health kept
//! so the header can say which data is stale and why.

use std::sync::Arc;

use crate::action::ClusterInfo;
use crate::effect::Effect;
use crate::state::{FeedHealth, FeedState, Level, State};
use crate::update::flash;
use herd_core::model::feed::{Feed, FeedKind};
use herd_core::model::fleet::{FleetEvent, Relist};
use herd_core::model::usage::UsageReach;

/// How a stale feed's reason starts while the feed lists everything again.
const RELISTING: &str = "re-listing";

pub fn apply(state: &mut State, epoch: u64, feed: Feed) -> Vec<Effect> {
    if epoch != state.session.epoch {
        return Vec::new(); // from a connection we already left
    }
    let now = state.now;
    match feed {
        Feed::Event(event) => event_in(state, event),
        // Stale from the first failure, whatever the feed: the header names it at once, and
        // later failures only bring the latest reason.
        Feed::Trouble { kind, message, .. } => set(state, kind, |feed| {
            feed.state = FeedState::Stale {
                since: match &feed.state {
                    FeedState::Stale { since, .. } => *since,
                    // A watch was live until its stream broke; a poll's data is as old as the
                    // last poll that worked.
                    _ if !kind.is_watch() => feed.last_ok.unwrap_or(now),
                    _ => now,
                },
                reason: message.clone(),
            };
        }),
        // Answering again is not having data: a feed that never listed waits for its list.
        Feed::Recovered { kind } => set(state, kind, |feed| {
            feed.last_ok = Some(now);
            feed.state = if feed.listed {
                FeedState::Live
            } else {
                FeedState::Syncing
            };
        }),
        Feed::Relisting { kind } => set(state, kind, |feed| {
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
    let kind = FeedKind::of(&event);
    // Usage for pods the fleet does not know is dropped, so a poll that beats the first pod
    // list is held back and applied once the pods are in.
    let event = match event {
        FleetEvent::Metrics(snapshot) if !state.session.listed(FeedKind::Pods) => {
            // A focus poll's few usages are read again soon; the fleet's are what is held.
            if snapshot.reach == UsageReach::Fleet {
                state.held_metrics = Some(snapshot);
            }
            return;
        }
        other => other,
    };
    // Pods of a re-list under way are indexed aside: nothing on screen changes until it ends.
    if matches!(event, FleetEvent::PodsRelisting { .. }) {
        state.fleet.apply(event);
        return;
    }
    let pods_listed = matches!(event, FleetEvent::Relisted(Relist::Pods(_)));
    let complete = matches!(
        event,
        FleetEvent::Relisted(_) | FleetEvent::Metrics(_) | FleetEvent::MetricsUnavailable { .. }
    );
    let metrics_gone = match &event {
        FleetEvent::MetricsUnavailable { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    // A poll that failed on node metrics clears them and says so as NodeMetrics trouble right
    // after; one that read any node usage proves that feed live.
    let node_usage_read = matches!(&event, FleetEvent::Metrics(s) if !s.nodes.is_empty());
    let others_read = match &event {
        FleetEvent::OtherPods(others) => Some(Arc::clone(&others.node)),
        _ => None,
    };
    state.fleet.apply(event);
    if let Some(node) = others_read {
        super::others::answered(state, &node);
        // The editor's fit check counts them now.
        super::target::refresh_preview(state);
    }
    let now = state.now;
    if pods_listed && let Some(held) = state.held_metrics.take() {
        state.fleet.apply(FleetEvent::Metrics(held));
        set(state, FeedKind::Metrics, |feed| {
            feed.listed = true;
            feed.last_ok = Some(now);
            feed.state = FeedState::Live;
        });
    }
    if node_usage_read {
        set(state, FeedKind::NodeMetrics, |feed| {
            feed.listed = true;
            feed.last_ok = Some(now);
            feed.state = FeedState::Live;
        });
    }
    state.stale_derived = true;
    state.session.last_event = Some(now);
    set(state, kind, |feed| {
        feed.listed |= complete;
        if metrics_gone.is_none() {
            feed.last_ok = Some(now);
        }
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

fn set(state: &mut State, kind: FeedKind, change: impl FnOnce(&mut FeedHealth)) {
    if let Some(feed) = state.session.feeds.iter_mut().find(|f| f.kind == kind) {
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
