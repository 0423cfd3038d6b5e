//! Coverage counts equal the simulator's DaemonSet status on every scenario: the same pods and
//! nodes, read through herd's slim model, reproduce what the DaemonSet controller wrote.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{Node, Pod};

use herd_convert::records as convert;
use herd_core::analysis::coverage::{self, Status};
use herd_core::model::{Fleet, FleetEvent, Relist};
use herd_sim::World;
use herd_sim::scenario::{Pool, ScenarioOptions, build, node_name};

fn options(nodes: Option<usize>, seed: u64) -> ScenarioOptions {
    ScenarioOptions {
        name: "demo".into(),
        seed,
        nodes,
        daemonsets: None,
        start: "2025-01-01T00:00:00Z"
            .parse::<Timestamp>()
            .expect("timestamp"),
    }
}

/// The world as a watcher would deliver it: one re-list per kind.
fn fleet(world: &World) -> Fleet {
    let store = &world.store;
    let mut fleet = Fleet::new();
    let nodes = store
        .table::<Node>()
        .values()
        .map(|n| convert::node(n))
        .collect();
    let pods = store
        .table::<Pod>()
        .values()
        // Through JSON into the lean type the pod watch decodes, as the wire delivers it.
        .map(|p| {
            let json = serde_json::to_vec(&**p).expect("pod json");
            convert::pod(&serde_json::from_slice(&json).expect("lean pod"))
        })
        .collect();
    let revisions = store
        .table::<ControllerRevision>()
        .values()
        .map(|r| convert::controller_revision(r))
        .collect();
    let dss = store
        .table::<DaemonSet>()
        .values()
        .map(|d| convert::daemon_set(d).expect("demo DaemonSets convert"))
        .collect();
    for relist in [
        Relist::Nodes(nodes),
        Relist::Pods(pods),
        Relist::Revisions(revisions),
        Relist::DaemonSets(dss),
    ] {
        fleet.apply(FleetEvent::Relisted(relist));
    }
    fleet
}

fn assert_counts_match(world: &World, when: &str) {
    let fleet = fleet(world);
    assert!(fleet.daemon_set_count() > 0, "{when}: no DaemonSets");
    for ds in fleet.daemon_sets() {
        let counts = coverage::summarize(&fleet, &ds.uid, world.now()).expect("known uid");
        assert_eq!(counts, ds.status, "{when}: {}", ds.key());
    }
}

#[test]
fn the_settled_demo_matches_every_daemon_set_status() {
    let mut world = build(&options(None, 42)).expect("demo builds");
    world.settle();
    assert_counts_match(&world, "settled demo");
    // Keep stepping through the crash loop and the stuck rollout.
    for i in 0..20 {
        world.advance(SignedDuration::from_secs(7));
        assert_counts_match(&world, &format!("step {i}"));
    }
}

#[test]
fn the_demo_finds_the_planted_gaps() {
    let mut world = build(&options(None, 42)).expect("demo builds");
    world.settle();
    let fleet = fleet(&world);
    let report = coverage::analyze(&fleet, world.now());
    let tally = |status| -> u32 { report.daemon_sets.iter().map(|d| d.tally.get(status)).sum() };
    assert!(
        tally(Status::Failing) > 0,
        "the crash-looping release shows as failing"
    );
    let excluded_by_taint = report
        .daemon_sets
        .iter()
        .flat_map(|d| &d.rows)
        .filter(|r| r.status == Status::Excluded)
        .any(|r| r.reason.describe(world.now()).contains("nvidia.com/gpu"));
    assert!(
        excluded_by_taint,
        "the security agent without the GPU toleration"
    );
    assert!(
        report
            .daemon_sets
            .iter()
            .flat_map(|d| &d.rows)
            .any(|r| r.context.not_ready())
    );
}

#[test]
fn node_trouble_keeps_the_counts_in_step_with_the_controller() {
    let mut world = build(&options(Some(60), 7)).expect("scaled demo builds");
    world.settle();
    let general = |i| node_name(Pool::General, i, 60);
    type Change = fn(&mut World, &str);
    let changes: [(&str, Change); 5] = [
        ("NotReady", |w, n| {
            w.set_node_ready(n, false).expect("node exists");
        }),
        ("kubelet stopped", |w, n| {
            w.set_kubelet_running(n, false).expect("node exists");
        }),
        ("cordoned", |w, n| {
            w.set_node_unschedulable(n, true).expect("node exists");
        }),
        ("removed", |w, n| {
            w.remove_node(n).expect("node exists");
        }),
        ("joined", |w, n| {
            w.add_node(Pool::Gpu, &format!("{n}-new"))
                .expect("new name");
        }),
    ];
    for (i, (what, change)) in changes.into_iter().enumerate() {
        change(&mut world, &general(10 + i));
        for step in 0..6 {
            world.advance(SignedDuration::from_secs(10));
            assert_counts_match(&world, &format!("{what}, step {step}"));
        }
        world.settle();
        assert_counts_match(&world, &format!("{what}, settled"));
    }
}
