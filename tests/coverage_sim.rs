//! herd's analysis against the simulator's own truth: coverage counts equal the DaemonSet status
//! the controller wrote on every scenario, and the verdicts hold steady while the simulated
//! kubelets run a crash loop and a pull error through their real restart cycles.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{Node, Pod};

use herd_convert::records as convert;
use herd_core::analysis::coverage::{self, Status};
use herd_core::analysis::verdict::{self, Verdict};
use herd_sim::admission::daemonset::admit_create;

use herd_core::model::{Fleet, FleetEvent, Relist};
use herd_sim::World;
use herd_sim::scenario::{NOT_READY_NODE, Pool, ScenarioOptions, build, node_name};

fn options(nodes: Option<usize>, seed: u64) -> ScenarioOptions {
    ScenarioOptions {
        name: "demo".into(),
        seed,
        nodes,
        daemonsets: None,
        app_pods_per_node: 0,
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

/// (DaemonSet name, node) → verdict, for every pair of the fleet.
fn verdicts(world: &World) -> Vec<((String, String), Verdict)> {
    let fleet = fleet(world);
    let report = coverage::analyze(&fleet, world.now());
    let mut all = Vec::new();
    for cov in &report.daemon_sets {
        let name = fleet
            .daemon_set(&cov.uid)
            .expect("known uid")
            .name
            .to_string();
        let judged = verdict::daemon_set(&fleet, cov, world.now());
        for (row, judgement) in cov.rows.iter().zip(judged) {
            all.push(((name.clone(), row.node.to_string()), judgement.verdict));
        }
    }
    all
}

#[test]
fn the_demos_not_ready_node_is_node_down_everywhere_and_nowhere_else() {
    let mut world = build(&options(None, 42)).expect("demo builds");
    world.settle();
    let down = node_name(Pool::General, NOT_READY_NODE, 40);
    let all = verdicts(&world);
    let on_down: Vec<_> = all.iter().filter(|((_, n), _)| *n == down).collect();
    assert!(!on_down.is_empty(), "{down} is in the fleet");
    for ((ds, node), v) in &all {
        if *node == down {
            assert!(
                matches!(
                    v,
                    Verdict::NodeDown | Verdict::NotTargeted | Verdict::TaintBlocked
                ),
                "{ds} on {node}: {v:?}"
            );
        } else {
            assert_ne!(*v, Verdict::NodeDown, "{ds} on {node}");
        }
    }
    let node_down = on_down
        .iter()
        .filter(|(_, v)| *v == Verdict::NodeDown)
        .count();
    assert!(
        node_down >= 5,
        "the DaemonSets running on {down} say node-down: {on_down:?}"
    );
    assert!(
        !all.iter()
            .any(|((_, n), v)| *n == down && *v == Verdict::ReleaseFailing),
        "a NotReady node is never a failing release"
    );
}

/// Two new DaemonSets, one whose image crash-loops and one whose image never pulls; the
/// simulated kubelets run their real back-off cycles for 15 minutes, seen every 5 s. Once a
/// pair is a failing release it stays one, through the windows where the looping container runs
/// between restarts and the pull error alternates between ErrImagePull and ImagePullBackOff.
#[test]
fn a_crash_loop_and_a_pull_error_hold_their_verdict_for_fifteen_minutes() {
    let mut world = build(&options(None, 42)).expect("demo builds");
    world.settle();
    for (name, image) in [
        ("looper", "example/agent:v2-crashloop"),
        ("puller", "example/agent:v2-pullerror"),
    ] {
        let mut ds: DaemonSet = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "logging"},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "agent", "image": image}]}
                }
            }
        }))
        .expect("daemonset json");
        admit_create(&mut ds).expect("admitted");
        let now = world.now();
        world.store.create(ds, now).expect("created");
    }

    let mut failing: std::collections::BTreeMap<(String, String), i64> = Default::default();
    let watched = |ds: &str| ds == "looper" || ds == "puller";
    for step in 0..(15 * 60 / 5) {
        world.advance(SignedDuration::from_secs(5));
        for (pair, v) in verdicts(&world) {
            if !watched(&pair.0) {
                continue;
            }
            match failing.get(&pair) {
                Some(since) => assert_eq!(
                    v,
                    Verdict::ReleaseFailing,
                    "{} on {} left release-failing at step {step} (failing since step {since})",
                    pair.0,
                    pair.1,
                ),
                None if v == Verdict::ReleaseFailing => {
                    failing.insert(pair, step);
                }
                None => {}
            }
        }
    }
    let of = |ds: &str| failing.keys().filter(|(d, _)| d == ds).count();
    assert!(
        of("looper") >= 30,
        "every looper pod crash-loops: {}",
        of("looper")
    );
    assert!(
        of("puller") >= 30,
        "every puller pod fails to pull: {}",
        of("puller")
    );
}
