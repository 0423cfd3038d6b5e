//! The Hogs view's order and the Fleet screen's hog marker, from one small fleet: a memory
//! leak, a pod near its limit, an OOM kill and a busy pod within its request.

use std::sync::Arc;

use crate::action::{Action, ClusterInfo};
use crate::state::{State, Themes};
use crate::update::{derive, update};
use crate::view::{SortKey, View};
use herd_core::analysis::thresholds::Level;
use herd_core::model::feed::Feed;
use herd_core::model::fleet::{FleetEvent, Relist};
use herd_core::model::pod::Pod;
use herd_core::model::resources::{Resources, Usage};
use herd_core::model::testkit::{self, MIB, NS, containers, t};
use herd_core::model::usage::{MetricsSnapshot, PodUsage};

/// Requests 50m/64Mi; memory limited as given, cpu not (as agents often run).
fn sized(p: &mut Pod, memory_limit: i64) {
    p.containers = containers(
        Resources::new(50, 64 * MIB),
        Resources {
            cpu_millis: None,
            memory_bytes: Some(memory_limit),
        },
    );
}

/// One node per pod; (DaemonSet, pod, memory limit, cpu use, memory use, OOM-killed).
fn state_with(pods: &[(&str, &str, i64, i64, i64, bool)]) -> State {
    let mut state = State::new(Themes::default(), false, t(60));
    let info = ClusterInfo {
        context: "one".into(),
        ..ClusterInfo::default()
    };
    update(
        &mut state,
        Action::Connected {
            epoch: 0,
            info: Ok(info),
        },
    );
    let mut daemon_sets: Vec<_> = pods.iter().map(|p| testkit::ds(p.0)).collect();
    daemon_sets.dedup_by(|a, b| a.uid == b.uid);
    let mut nodes = Vec::new();
    let mut records = Vec::new();
    let mut samples = Vec::new();
    for (i, &(ds, name, limit, cpu, memory, oom)) in pods.iter().enumerate() {
        let node = format!("n{i}");
        nodes.push(testkit::node(&node));
        let owner = daemon_sets.iter().find(|d| &*d.name == ds).unwrap();
        let mut p = testkit::pod(owner, &node, name);
        sized(&mut p, limit);
        if oom {
            p.last_terminated_reason = Some(Arc::from("OOMKilled"));
        }
        records.push(p);
        samples.push(PodUsage {
            namespace: NS.into(),
            name: name.into(),
            usage: Usage {
                cpu_millis: cpu,
                memory_bytes: memory,
            },
        });
    }
    let events = [
        FleetEvent::Relisted(Relist::Nodes(nodes)),
        FleetEvent::Relisted(Relist::DaemonSets(daemon_sets)),
        FleetEvent::Relisted(Relist::Pods(records)),
        FleetEvent::Metrics(MetricsSnapshot {
            at: t(30),
            pods: samples,
            nodes: vec![],
            stretched: None,
            reach: Default::default(),
        }),
    ];
    for event in events {
        update(
            &mut state,
            Action::Feed {
                epoch: 0,
                feed: Feed::Event(event),
            },
        );
    }
    derive(&mut state);
    state
}

fn hog_names(state: &State) -> Vec<String> {
    let report = state.derived.hogs.as_ref().unwrap();
    state
        .ui
        .page()
        .rows
        .iter()
        .map(|&i| {
            let h = &report.pods[i as usize];
            state.fleet.pod(h.pod).unwrap().name.to_string()
        })
        .collect()
}

const GI: i64 = 1024 * MIB;

#[test]
fn hogs_list_the_worst_first_and_never_a_pod_below_its_request_above_a_hog() {
    let mut state = state_with(&[
        // 92% of its cpu request, memory low: below its requests on both.
        ("busy", "busy-a", GI, 46, 40 * MIB, false),
        // 13× its memory request, the limit far off.
        ("leak", "leak-a", 8 * GI, 10, 832 * MIB, false),
        // 3× its memory request.
        ("leak", "leak-b", 8 * GI, 10, 192 * MIB, false),
        // 86% of its memory limit, above its request.
        ("tight", "tight-a", 256 * MIB, 10, 220 * MIB, false),
        // Killed for memory, quiet since.
        ("oom", "oom-a", 256 * MIB, 10, 20 * MIB, true),
        // 1.5× its cpu request: above, but not far.
        ("warm", "warm-a", GI, 75, 40 * MIB, false),
    ]);
    update(&mut state, Action::Show(View::Hogs));
    let worst_first = ["oom-a", "tight-a", "leak-a", "leak-b", "warm-a", "busy-a"];
    assert_eq!(hog_names(&state), worst_first, "Weight, as the view opens");
    update(&mut state, Action::Sort(SortKey::Status));
    assert_eq!(hog_names(&state), worst_first, "Status: problems first");
    update(&mut state, Action::Sort(SortKey::Status));
    let mut best_first = worst_first;
    best_first.reverse();
    assert_eq!(hog_names(&state), best_first, "Status again: reversed");

    let marker = |name: &str| {
        let row = state.derived.row(&format!("uid-{name}")).unwrap();
        (row.hog, row.hogs)
    };
    assert_eq!(marker("oom"), (Level::Critical, 1));
    assert_eq!(marker("tight"), (Level::Warn, 1));
    assert_eq!(marker("leak"), (Level::Warn, 2));
    assert_eq!(marker("warm"), (Level::Ok, 0));
    assert_eq!(marker("busy"), (Level::Ok, 0), "below its request: no hog");
}
