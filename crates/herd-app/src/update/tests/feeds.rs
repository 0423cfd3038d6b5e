//! Feed actions into `update`: connection epochs, each feed's health as the header reports it,
//! and metrics that arrive before the pods they describe.

use super::{empty, feed, fleet_events, listed};
use crate::action::{Action, ClusterInfo};
use crate::state::{FeedState, State};
use crate::update::update;
use herd_core::model::feed::{Feed, FeedKind};
use herd_core::model::fleet::{FleetEvent, Record, Relist};
use herd_core::model::resources::Usage;
use herd_core::model::testkit::{self, t};
use herd_core::model::usage::{MetricsSnapshot, MetricsState, NodeUsage, PodUsage, UsageReach};

fn health(state: &State, kind: FeedKind) -> FeedState {
    state
        .session
        .feeds
        .iter()
        .find(|f| f.kind == kind)
        .map(|f| f.state.clone())
        .expect("a known feed")
}

fn trouble(state: &mut State, kind: FeedKind, message: &str) {
    feed(
        state,
        Feed::Trouble {
            kind,
            message: message.into(),
            refused: false,
            code: None,
        },
    );
}

fn poll(at: i64) -> FleetEvent {
    FleetEvent::Metrics(MetricsSnapshot {
        stretched: None,
        reach: Default::default(),
        at: t(at),
        pods: vec![PodUsage {
            namespace: testkit::NS.into(),
            name: "agent-n1".into(),
            usage: Usage {
                cpu_millis: 42,
                memory_bytes: 64 * testkit::MIB,
            },
        }],
        nodes: Vec::new(),
    })
}

/// A poll that read node usage too (n1's), as a working metrics-server answers.
fn poll_with_nodes(at: i64) -> FleetEvent {
    let FleetEvent::Metrics(mut snapshot) = poll(at) else {
        unreachable!("poll builds metrics")
    };
    snapshot.nodes.push(NodeUsage {
        name: "n1".into(),
        usage: Usage {
            cpu_millis: 500,
            memory_bytes: 512 * testkit::MIB,
        },
    });
    FleetEvent::Metrics(snapshot)
}

/// What feed `kind` delivers when it works: its list again, or a poll.
fn delivery(kind: FeedKind, at: i64) -> FleetEvent {
    match kind {
        FeedKind::Metrics | FeedKind::NodeMetrics => poll_with_nodes(at),
        watched => fleet_events()
            .into_iter()
            .find(|e| FeedKind::of(e) == watched)
            .expect("a list of every watched kind"),
    }
}

/// Each feed, metrics included, is named stale by its first failure: not after a later
/// failure or a timeout. Its age is how long ago it last worked: a watch until it broke, a
/// poll since the last poll that worked. It is live again as soon as it delivers.
#[test]
fn every_feed_is_stale_from_its_first_failure_until_it_delivers_again() {
    for kind in FeedKind::ALL {
        let mut state = listed(false);
        feed(&mut state, Feed::Event(poll_with_nodes(60)));
        assert!(
            state.session.unhealthy().next().is_none(),
            "all live first: {:?}",
            state.session.feeds
        );

        update(&mut state, Action::Tick(t(70)));
        trouble(&mut state, kind, "could not reach the server");
        let since = if kind.is_watch() { t(70) } else { t(60) };
        let stale = FeedState::Stale {
            since,
            reason: "could not reach the server".into(),
        };
        assert_eq!(health(&state, kind), stale, "{kind} after one failure");
        let others: Vec<_> = state.session.unhealthy().map(|f| f.kind).collect();
        assert_eq!(others, [kind], "only {kind} is stale");

        update(&mut state, Action::Tick(t(90)));
        trouble(&mut state, kind, "still down");
        let FeedState::Stale { since: still, .. } = health(&state, kind) else {
            panic!("{kind} stays stale");
        };
        assert_eq!(still, since, "{kind} is stale since its first failure");

        feed(&mut state, Feed::Event(delivery(kind, 95)));
        assert_eq!(health(&state, kind), FeedState::Live, "{kind} delivered");
    }
}

#[test]
fn events_from_a_connection_already_left_are_dropped() {
    let mut state = listed(false);
    update(&mut state, Action::SwitchContext("two".into()));
    assert_eq!(state.session.epoch, 1);
    let late = FleetEvent::Upsert(Record::Node(testkit::node("old-node")));
    update(
        &mut state,
        Action::Feed {
            epoch: 0,
            feed: Feed::Event(late),
        },
    );
    assert_eq!(
        state.fleet.nodes().len(),
        0,
        "the old cluster's node stays out"
    );
    assert_eq!(health(&state, FeedKind::Nodes), FeedState::Syncing);
    update(
        &mut state,
        Action::Connected {
            epoch: 0,
            info: Err("old".into()),
        },
    );
    assert_eq!(
        state.session.connected, None,
        "the old connection's answer is ignored"
    );

    let info = ClusterInfo {
        context: "two".into(),
        ..ClusterInfo::default()
    };
    update(
        &mut state,
        Action::Connected {
            epoch: 1,
            info: Ok(info),
        },
    );
    assert_eq!(state.session.info.context, "two");
    for event in fleet_events() {
        feed(&mut state, Feed::Event(event));
    }
    assert_eq!(state.fleet.nodes().len(), 3);
    assert!(state.session.synced());
}

#[test]
fn trouble_makes_a_feed_stale_with_its_reason_until_it_recovers() {
    let mut state = listed(false);
    assert_eq!(health(&state, FeedKind::Pods), FeedState::Live);
    trouble(&mut state, FeedKind::Pods, "connection refused");
    let stale = FeedState::Stale {
        since: t(60),
        reason: "connection refused".into(),
    };
    assert_eq!(health(&state, FeedKind::Pods), stale);
    assert_eq!(
        health(&state, FeedKind::Nodes),
        FeedState::Live,
        "only the troubled feed"
    );

    update(&mut state, Action::Tick(t(75)));
    trouble(&mut state, FeedKind::Pods, "503 Service Unavailable");
    let stale = FeedState::Stale {
        since: t(60),
        reason: "503 Service Unavailable".into(),
    };
    assert_eq!(
        health(&state, FeedKind::Pods),
        stale,
        "stale since the first failure, latest reason"
    );

    feed(
        &mut state,
        Feed::Recovered {
            kind: FeedKind::Pods,
        },
    );
    assert_eq!(health(&state, FeedKind::Pods), FeedState::Live);
}

#[test]
fn a_relist_is_stale_until_the_list_completes() {
    let mut state = listed(false);
    feed(
        &mut state,
        Feed::Relisting {
            kind: FeedKind::DaemonSets,
        },
    );
    match health(&state, FeedKind::DaemonSets) {
        FeedState::Stale { reason, .. } => assert!(reason.contains("re-listing"), "{reason}"),
        other => panic!("relisting shows as stale, not {other:?}"),
    }
    let relisted = fleet_events().remove(1);
    feed(&mut state, Feed::Event(relisted));
    assert_eq!(health(&state, FeedKind::DaemonSets), FeedState::Live);
}

#[test]
fn a_feed_that_never_listed_is_not_live_when_it_recovers() {
    let mut state = empty(false);
    trouble(&mut state, FeedKind::Pods, "500 Internal Server Error");
    assert!(matches!(
        health(&state, FeedKind::Pods),
        FeedState::Stale { .. }
    ));
    feed(
        &mut state,
        Feed::Recovered {
            kind: FeedKind::Pods,
        },
    );
    assert_eq!(
        health(&state, FeedKind::Pods),
        FeedState::Syncing,
        "answering is not having listed"
    );
    let not_pods = |e: &FleetEvent| !matches!(e, FleetEvent::Relisted(Relist::Pods(_)));
    for event in fleet_events().into_iter().filter(not_pods) {
        feed(&mut state, Feed::Event(event));
    }
    assert!(!state.session.synced(), "no pod list yet");
    let pod = testkit::pod(&testkit::ds("agent"), "n1", "agent-n1");
    feed(
        &mut state,
        Feed::Event(FleetEvent::Upsert(Record::Pod(pod))),
    );
    assert_eq!(
        health(&state, FeedKind::Pods),
        FeedState::Syncing,
        "one pod is not the list"
    );
}

#[test]
fn metrics_that_beat_the_first_pod_list_are_held_then_applied() {
    let mut state = empty(false);
    feed(&mut state, Feed::Event(poll(30)));
    assert!(state.held_metrics.is_some());
    assert_eq!(*state.fleet.metrics(), MetricsState::Unknown);
    assert_eq!(health(&state, FeedKind::Metrics), FeedState::Syncing);

    // A focus poll that also beats the pod list is not held over the fleet's usage: what
    // the screen shows is read again within an interval.
    let FleetEvent::Metrics(mut focus) = poll(31) else {
        unreachable!("poll is metrics")
    };
    focus.reach = UsageReach::Focus;
    focus.pods.clear();
    feed(&mut state, Feed::Event(FleetEvent::Metrics(focus)));
    assert_eq!(state.held_metrics.as_ref().map(|m| m.at), Some(t(30)));
    for event in fleet_events() {
        feed(&mut state, Feed::Event(event));
    }
    assert!(state.held_metrics.is_none());
    assert_eq!(health(&state, FeedKind::Metrics), FeedState::Live);
    let id = state
        .fleet
        .pod_id(testkit::NS, "agent-n1")
        .expect("pod listed");
    assert_eq!(state.fleet.usage(id).map(|u| u.cpu_millis), Some(42));
}

#[test]
fn a_context_switch_drops_metrics_held_for_the_old_cluster() {
    let mut state = empty(false);
    feed(&mut state, Feed::Event(poll(30)));
    update(&mut state, Action::SwitchContext("two".into()));
    assert!(state.held_metrics.is_none());
}

#[test]
fn an_absent_metrics_api_is_a_stale_metrics_feed_with_the_reason() {
    let mut state = listed(false);
    let gone = FleetEvent::MetricsUnavailable {
        at: t(60),
        reason: "404 metrics.k8s.io".into(),
    };
    feed(&mut state, Feed::Event(gone));
    let stale = FeedState::Stale {
        since: t(60),
        reason: "404 metrics.k8s.io".into(),
    };
    assert_eq!(health(&state, FeedKind::Metrics), stale);
    assert!(
        state.session.synced(),
        "the watches are fine without metrics"
    );
    feed(&mut state, Feed::Event(poll(61)));
    assert_eq!(health(&state, FeedKind::Metrics), FeedState::Live);
    assert!(state.stale_derived, "new usage is analysed");
}

#[test]
fn pods_of_a_relist_under_way_change_nothing_on_screen_until_it_ends() {
    let mut state = listed(false);
    let shown = state.fleet.pod_count();
    assert!(shown > 0 && !state.stale_derived);
    let d = testkit::ds("late");
    let part = |first, name: &str| FleetEvent::PodsRelisting {
        first,
        pods: vec![testkit::pod(&d, "n1", name)],
    };
    feed(&mut state, Feed::Event(part(true, "late-a")));
    feed(&mut state, Feed::Event(part(false, "late-b")));
    assert_eq!(
        state.fleet.pod_count(),
        shown,
        "the screen keeps the pods it had"
    );
    assert!(!state.stale_derived, "nothing to analyse yet");
    let last = vec![testkit::pod(&d, "n2", "late-c")];
    feed(
        &mut state,
        Feed::Event(FleetEvent::Relisted(Relist::Pods(last))),
    );
    assert_eq!(state.fleet.pod_count(), 3, "the whole re-list, and only it");
    assert!(state.stale_derived);
}
