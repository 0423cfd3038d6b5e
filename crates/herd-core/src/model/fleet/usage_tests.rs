//! Usage in the fleet: pod and node samples from metrics polls, current only while metrics
//! answer, kept as a short history, and dropped with the pod or node.

use std::sync::Arc;

use super::*;
use crate::model::resources::Usage;
use crate::model::testkit::{self, NS, ds, fleet_of, node, pod, t};
use crate::model::usage::{NodeUsage, PodUsage, Stretched, UsageReach};

/// A pod of the test namespace using `cpu` millicores.
fn sample(name: &str, cpu: i64) -> PodUsage {
    PodUsage {
        namespace: NS.into(),
        name: name.into(),
        usage: Usage {
            cpu_millis: cpu,
            memory_bytes: 0,
        },
    }
}

#[test]
fn usage_is_current_only_while_metrics_answer_and_the_pod_was_in_the_last_poll() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n2", "agent-b")),
    ]);
    let a = fleet.pod_id(NS, "agent-a").unwrap();
    let b = fleet.pod_id(NS, "agent-b").unwrap();
    assert_eq!(fleet.metrics(), &MetricsState::Unknown);
    fleet.apply(FleetEvent::Metrics(MetricsSnapshot {
        stretched: None,
        reach: Default::default(),
        at: t(10),
        pods: vec![
            sample("agent-a", 10),
            sample("agent-b", 20),
            sample("gone", 1),
        ],
        nodes: vec![],
    }));
    let stretched = Some(Stretched {
        fleet: std::time::Duration::from_secs(40),
        in_view: std::time::Duration::from_secs(15),
    });
    fleet.apply(FleetEvent::Metrics(MetricsSnapshot {
        stretched,
        reach: Default::default(),
        at: t(25),
        pods: vec![sample("agent-a", 30)],
        nodes: vec![],
    }));
    assert_eq!(
        fleet.metrics(),
        &MetricsState::Available {
            at: t(25),
            stretched
        },
        "the state keeps how far apart polls are"
    );
    assert_eq!(fleet.usage(a).map(|u| u.cpu_millis), Some(30));
    assert_eq!(fleet.usage(b), None, "b was not in the latest poll");
    let history: Vec<i64> = fleet
        .usage_history(a)
        .unwrap()
        .samples()
        .map(|u| u.cpu_millis)
        .collect();
    assert_eq!(history, [10, 30]);
    for at in [t(40), t(55)] {
        fleet.apply(FleetEvent::MetricsUnavailable {
            at,
            reason: "the server could not find the requested resource".into(),
        });
    }
    assert_eq!(fleet.usage(a), None);
    assert!(matches!(fleet.metrics(), MetricsState::Unavailable { since, .. } if *since == t(40)));
}

#[test]
fn a_focus_poll_freshens_what_it_read_and_leaves_the_rest_of_the_fleet_current() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n2", "agent-b")),
        Record::Node(node("n1")),
    ]);
    let a = fleet.pod_id(NS, "agent-a").unwrap();
    let b = fleet.pod_id(NS, "agent-b").unwrap();
    let poll = |at, reach, pods| {
        FleetEvent::Metrics(MetricsSnapshot {
            at,
            pods,
            nodes: vec![NodeUsage {
                name: "n1".into(),
                usage: Usage::default(),
            }],
            stretched: None,
            reach,
        })
    };
    // A focus poll before any fleet poll: nothing is current yet.
    fleet.apply(poll(t(5), UsageReach::Focus, vec![sample("agent-a", 5)]));
    assert_eq!(fleet.usage(a), None);
    assert_eq!(fleet.metrics(), &MetricsState::Unknown);
    fleet.apply(poll(
        t(10),
        UsageReach::Fleet,
        vec![sample("agent-a", 10), sample("agent-b", 20)],
    ));
    // The screen shows agent-a's DaemonSet: read again, alone, between fleet polls.
    fleet.apply(poll(t(25), UsageReach::Focus, vec![sample("agent-a", 40)]));
    assert_eq!(fleet.usage(a).map(|u| u.cpu_millis), Some(40), "freshened");
    assert_eq!(
        fleet.usage(b).map(|u| u.cpu_millis),
        Some(20),
        "not read by the focus poll, but not gone either"
    );
    assert!(
        matches!(fleet.metrics(), MetricsState::Available { at, .. } if *at == t(10)),
        "the fleet's state is the last fleet-wide poll's"
    );
    assert!(fleet.node_usage("n1").is_some());
    // The next fleet poll does not report agent-b: its usage is gone.
    fleet.apply(poll(t(70), UsageReach::Fleet, vec![sample("agent-a", 50)]));
    assert_eq!(fleet.usage(a).map(|u| u.cpu_millis), Some(50));
    assert_eq!(fleet.usage(b), None);
}

#[test]
fn node_usage_follows_the_polls_as_a_share_of_allocatable_and_leaves_with_the_node() {
    let mut n1 = node("n1");
    n1.allocatable = crate::model::resources::Capacity {
        cpu_millis: 4000,
        memory_bytes: 8 * testkit::GIB,
        pods: 110,
    };
    let mut fleet = fleet_of([Record::Node(n1.clone()), Record::Node(node("n2"))]);
    let poll = |at, cpu, gib| {
        FleetEvent::Metrics(MetricsSnapshot {
            stretched: None,
            reach: Default::default(),
            at,
            pods: vec![],
            nodes: vec![
                NodeUsage {
                    name: "n1".into(),
                    usage: Usage {
                        cpu_millis: cpu,
                        memory_bytes: gib * testkit::GIB,
                    },
                },
                NodeUsage {
                    name: "unknown".into(),
                    usage: Usage::default(),
                },
            ],
        })
    };
    assert_eq!(fleet.node_load("n1"), None, "no poll yet");
    fleet.apply(poll(t(10), 1000, 2));
    fleet.apply(poll(t(25), 3000, 6));
    let load = fleet.node_load("n1").unwrap();
    assert_eq!(load.usage.cpu_millis, 3000);
    assert_eq!(load.cpu_share, Some(0.75));
    assert_eq!(load.memory_share, Some(0.75));
    let cpu: Vec<i64> = fleet
        .node_usage_history("n1")
        .unwrap()
        .samples()
        .map(|u| u.cpu_millis)
        .collect();
    assert_eq!(cpu, [1000, 3000]);
    assert_eq!(fleet.node_usage("n2"), None, "n2 was not in the poll");
    assert!(
        fleet.node_usage_history("unknown").is_none(),
        "the node list leads"
    );

    fleet.apply(FleetEvent::MetricsUnavailable {
        at: t(40),
        reason: "gone".into(),
    });
    assert_eq!(fleet.node_load("n1"), None, "stale usage is not current");
    fleet.apply(poll(t(55), 2000, 4));
    fleet.apply(FleetEvent::Relisted(Relist::Nodes(vec![n1])));
    assert_eq!(fleet.node_usage("n1").map(|u| u.cpu_millis), Some(2000));
    fleet.apply(FleetEvent::Delete(RecordKey::Node {
        name: Arc::from("n1"),
    }));
    assert!(fleet.node_usage_history("n1").is_none());
    assert_eq!(fleet.node_load("n1"), None);
}
