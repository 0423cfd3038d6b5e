//! `herd engine` against the simulator over HTTP, as it runs in a cluster: it carries out a
//! rollout recorded by a pipeline; two engines at once and only the Lease holder writes, the
//! other taking over when the holder is killed; killed with SIGKILL at twenty random points and
//! restarted each time, it still finishes within the budget; a strategy put back by
//! `kubectl apply` makes the rollout Contested, naming the manager; 500 nodes at 10%.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Event;

use common::objects::world_ds;
use common::rollout::{
    Worst, audit_lines, code, demo, demo_with, engine, engine_output, herd, images, record, text,
    until_state,
};
use common::server::{TestSim, eventually, require_kubectl};
use herd_core::engine::record::State;

const NEW: &str = "quay.io/prometheus/node-exporter:v1.9.0";

async fn start(sim: &TestSim, budget: &str) {
    let image = format!("node-exporter={NEW}");
    let out = herd(
        sim,
        &[
            "start",
            "-n",
            "monitoring",
            "node-exporter",
            "--image",
            &image,
            "--max-unavailable",
            budget,
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "recorded: {}", text(&out));
}

fn holder(sim: &TestSim) -> Option<String> {
    let world = sim.handle.world.lock();
    let lease = world
        .store
        .get::<Lease>("monitoring", "herd-rollout-node-exporter")?;
    lease.spec.as_ref()?.holder_identity.clone()
}

fn complete(state: &State) -> bool {
    *state == State::Complete
}

/// Every live node-exporter pod on a Ready node runs the new image, one per node.
fn all_on_new(sim: &TestSim, nodes: usize) {
    let placed = images(sim, "monitoring", "node-exporter");
    assert_eq!(placed.len(), nodes, "{placed:?}");
    assert!(placed.iter().all(|(_, i)| i == NEW), "{placed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_engines_only_the_lease_holder_writes_and_the_other_takes_over_when_it_dies() {
    let sim = Arc::new(demo().await);
    let worst = Worst::watch(&sim, "monitoring", "node-exporter");
    let (a, b) = (engine(&sim, "engine-a", 3), engine(&sim, "engine-b", 3));
    // 2 of 40, general-07 holding one: one node at a time.
    start(&sim, "2").await;
    until_state(&sim, "monitoring", "node-exporter", Duration::ZERO, |_| {
        record(&sim, "monitoring", "node-exporter").batches >= 3
    })
    .await;
    let first = holder(&sim).expect("a holder");
    let (holder_engine, other, other_name) = match first.as_str() {
        "engine-a" => (a, b, "engine-b"),
        "engine-b" => (b, a, "engine-a"),
        who => panic!("held by {who}"),
    };
    // The holder dies without a word; the other waits out the Lease and carries on.
    let first_log = engine_output(holder_engine).await;
    let batches_at_death = record(&sim, "monitoring", "node-exporter").batches;
    let state = until_state(
        &sim,
        "monitoring",
        "node-exporter",
        Duration::from_secs(90),
        complete,
    )
    .await;
    assert_eq!(state, State::Complete);
    // The engine writes the record, then its audit line: let it finish before it is stopped.
    eventually("the audit log's RolloutComplete line", || async {
        audit_lines(&sim)
            .iter()
            .any(|l| l["reason"] == "RolloutComplete")
            .then_some(())
    })
    .await;
    let other_log = engine_output(other).await;
    let worst = worst.stop().await;
    assert!(
        worst <= 2,
        "{worst} unavailable at once, over the budget of 2"
    );
    all_on_new(&sim, 39);
    assert!(first_log.contains(": batch "), "{first_log}");
    // The other wrote nothing until it held the Lease.
    let took = other_log
        .find(": holding the lease")
        .unwrap_or_else(|| panic!("{other_name} never took over:\n{other_log}"));
    let held_by = other_log
        .find(&format!("lease held by {first}"))
        .unwrap_or_else(|| panic!("{other_name} never saw {first} holding:\n{other_log}"));
    assert!(held_by < took, "{other_log}");
    let first_delete = other_log.find(": batch ").expect("it finished the rollout");
    assert!(took < first_delete, "{other_log}");
    assert!(batches_at_death < record(&sim, "monitoring", "node-exporter").batches);
    // Every batch is in the audit log and an Event, by the engine that did it.
    let audit = audit_lines(&sim);
    let batches_by = |who: &str| {
        audit
            .iter()
            .filter(|l| l["reason"] == "RolloutBatch" && l["actor"] == who)
            .count()
    };
    assert!(
        batches_by(&first) > 0 && batches_by(other_name) > 0,
        "{audit:#?}"
    );
    let last = audit.last().expect("lines");
    assert_eq!(last["reason"], "RolloutComplete", "{last:#}");
    assert!(
        last["kubectl"]
            .as_str()
            .is_some_and(|k| k.contains("kubectl patch daemonset -n monitoring node-exporter")),
        "{last:#}"
    );
    let reasons = event_reasons(&sim, "node-exporter");
    for reason in [
        "RolloutStarted",
        "RolloutTargeted",
        "RolloutBatch",
        "RolloutComplete",
    ] {
        assert!(reasons.iter().any(|r| r == reason), "{reason}: {reasons:?}");
    }
}

/// The reasons of the Events on a DaemonSet, oldest first.
fn event_reasons(sim: &TestSim, name: &str) -> Vec<String> {
    let world = sim.handle.world.lock();
    let mut events: Vec<_> = world
        .store
        .table::<Event>()
        .values()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter(|e| e.involved_object.kind.as_deref() == Some("DaemonSet"))
        .filter(|e| e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("herd"))
        .map(|e| {
            (
                e.first_timestamp.clone(),
                e.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events.into_iter().map(|(_, r)| r).collect()
}

/// A small seeded generator: the kill points differ between kills, not between runs.
struct Points(u64);

impl Points {
    fn next_ms(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        low + (self.0 >> 33) % (high - low)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_killed_at_twenty_random_points_still_finishes_within_the_budget() {
    let sim = Arc::new(
        TestSim::start_with(|o| {
            o.scenario = "demo".into();
            // Slower than the other tests, so twenty kills land inside the rollout.
            o.speed = 8.0;
        })
        .await,
    );
    let worst = Worst::watch(&sim, "monitoring", "node-exporter");
    start(&sim, "3").await;
    let mut points = Points(0x5eed);
    let mut kills_mid_rollout = 0;
    for _ in 0..20 {
        // The engine's name is the pod's: a restarted container carries on at once.
        let child = engine(&sim, "engine-0", 15);
        tokio::time::sleep(Duration::from_millis(points.next_ms(150, 1200))).await;
        let log = engine_output(child).await;
        assert!(!log.contains("panicked"), "{log}");
        if record(&sim, "monitoring", "node-exporter").state == State::Progressing {
            kills_mid_rollout += 1;
        }
    }
    let last = engine(&sim, "engine-0", 15);
    let state = until_state(
        &sim,
        "monitoring",
        "node-exporter",
        Duration::from_secs(120),
        complete,
    )
    .await;
    drop(last);
    let worst = worst.stop().await;
    assert_eq!(state, State::Complete);
    assert_eq!(kills_mid_rollout, 20, "every kill fell inside the rollout");
    assert!(
        worst <= 3,
        "{worst} unavailable at once, over the budget of 3"
    );
    all_on_new(&sim, 39);
    let strategy = world_ds(&sim, "monitoring", "node-exporter")
        .spec
        .update_strategy
        .expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"), "put back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_put_back_by_kubectl_apply_contests_the_rollout_until_a_person_resumes() {
    require_kubectl();
    let sim = Arc::new(demo().await);
    let image = format!("node-exporter={NEW}");
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "monitoring",
            "node-exporter",
            "--image",
            &image,
            "--canary",
            "2",
            "--pause-after",
            "canary",
            "--max-unavailable",
            "3",
            "--wait",
        ],
    )
    .await;
    assert_eq!(
        code(&out),
        Some(3),
        "paused after the canary: {}",
        text(&out)
    );
    let runner = engine(&sim, "engine-0", 15);
    // A GitOps tool (here `kubectl apply`) puts its manifest's strategy back.
    let got = sim
        .kubectl(&[
            "get",
            "ds",
            "-n",
            "monitoring",
            "node-exporter",
            "-o",
            "json",
        ])
        .await;
    let mut manifest: serde_json::Value = serde_json::from_slice(&got.stdout).expect("json");
    manifest["spec"]["updateStrategy"] =
        serde_json::json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}});
    for field in [
        "resourceVersion",
        "managedFields",
        "uid",
        "creationTimestamp",
    ] {
        manifest["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove(field);
    }
    manifest.as_object_mut().expect("object").remove("status");
    let dir = herd_sim::private_file::fresh_private_dir("herd-apply-").expect("dir");
    let file = dir.path().join("ds.json");
    std::fs::write(&file, manifest.to_string()).expect("manifest");
    let applied = sim
        .kubectl(&["apply", "-f", file.to_str().expect("utf-8 path")])
        .await;
    assert!(applied.status.success(), "{}", text(&applied));
    let started = std::time::Instant::now();
    let manager = loop {
        if let State::Contested { manager } = record(&sim, "monitoring", "node-exporter").state {
            break manager;
        }
        if started.elapsed() > Duration::from_secs(30) {
            panic!("not contested:\n{}", engine_output(runner).await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(manager, "kubectl-client-side-apply");
    let status = herd(&sim, &["status", "-n", "monitoring", "node-exporter"]).await;
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(
        said.contains("Contested by kubectl-client-side-apply"),
        "{said}"
    );
    // The engine does not fight: the strategy stays as the other manager set it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let strategy = world_ds(&sim, "monitoring", "node-exporter")
        .spec
        .update_strategy
        .expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    assert!(matches!(
        record(&sim, "monitoring", "node-exporter").state,
        State::Contested { .. }
    ));
    // A person takes it back: OnDelete again, and the rollout is where it was, paused after
    // its canary (the contest interrupted a pause, and nothing is let go on silently).
    let out = herd(&sim, &["resume", "-n", "monitoring", "node-exporter"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let state = until_state(&sim, "monitoring", "node-exporter", Duration::ZERO, |s| {
        matches!(s, State::Paused { .. })
    })
    .await;
    assert_eq!(
        state,
        State::Paused {
            at: Some(herd_core::engine::policy::PausePoint::Canary)
        }
    );
    let strategy = world_ds(&sim, "monitoring", "node-exporter")
        .spec
        .update_strategy
        .expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("OnDelete"), "taken back");
    let out = herd(&sim, &["resume", "-n", "monitoring", "node-exporter"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let state = until_state(
        &sim,
        "monitoring",
        "node-exporter",
        Duration::from_secs(60),
        complete,
    )
    .await;
    assert_eq!(state, State::Complete, "{}", engine_output(runner).await);
    all_on_new(&sim, 39);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_nodes_at_a_ten_percent_budget_complete() {
    let sim = Arc::new(demo_with(Some(500)).await);
    let worst = Worst::watch(&sim, "monitoring", "node-exporter");
    let runner = engine(&sim, "engine-0", 15);
    start(&sim, "10%").await;
    let state = until_state(
        &sim,
        "monitoring",
        "node-exporter",
        Duration::from_secs(180),
        complete,
    )
    .await;
    let log = engine_output(runner).await;
    let worst = worst.stop().await;
    assert_eq!(state, State::Complete, "{log}");
    assert!(
        worst <= 50,
        "{worst} unavailable at once, over the budget of 50"
    );
    // Every node that is Ready runs the new image; a node down keeps its old pod.
    let ready = ready_nodes(&sim);
    let placed: Vec<_> = images(&sim, "monitoring", "node-exporter")
        .into_iter()
        .filter(|(node, _)| ready.contains(node))
        .collect();
    assert!(ready.len() >= 490, "{} Ready nodes", ready.len());
    assert_eq!(placed.len(), ready.len(), "one pod per Ready node");
    let old: Vec<_> = placed.iter().filter(|(_, i)| i != NEW).collect();
    assert!(old.is_empty(), "still old on Ready nodes: {old:?}");
}

/// The names of the nodes whose Ready condition is True.
fn ready_nodes(sim: &TestSim) -> std::collections::BTreeSet<String> {
    let world = sim.handle.world.lock();
    world
        .store
        .table::<k8s_openapi::api::core::v1::Node>()
        .values()
        .filter(|n| {
            n.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .filter_map(|n| n.metadata.name.clone())
        .collect()
}
