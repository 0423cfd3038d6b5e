//! Pods on the simulated kubelet behave as a kubectl user expects: they start and turn Ready
//! with realistic timestamps, bad images fail the way real ones do (pull errors, never Ready,
//! crash loops, OOM kills), deleted pods stop, and their usage moves over time. All by stepping
//! the World; nothing sleeps.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use jiff::SignedDuration;
use serde_json::json;

use common::*;
use herd_core::model::quantity::Quantity;
use herd_sim::World;
use herd_sim::metrics::{node_usage, pod_usage};
use herd_sim::pods::DeleteOptions;

#[test]
fn bound_pod_goes_pending_then_running_then_ready() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "nginx:1.27", json!({})));
    world.step(world.now());
    assert!(
        get(&world, "web").expect("pod").status.is_none(),
        "the kubelet has not picked it up yet"
    );
    world.advance(SignedDuration::from_secs(1));
    let p = get(&world, "web").expect("pod");
    assert_eq!(phase(&p), "Pending");
    assert_eq!(waiting_reason(&p).as_deref(), Some("ContainerCreating"));
    let accepted = p
        .status
        .as_ref()
        .and_then(|s| s.start_time.clone())
        .expect("startTime")
        .0;
    let mut seen = Vec::new();
    run_for(&mut world, 10, 250, |w| {
        let p = get(w, "web").expect("pod");
        let label = format!("{}/{}", phase(&p), ready(&p));
        if seen.last() != Some(&label) {
            seen.push(label);
        }
    });
    assert_eq!(seen, ["Pending/false", "Running/false", "Running/true"]);
    let p = get(&world, "web").expect("pod");
    let (_, ready_at) = condition(&p, "Ready").expect("Ready condition");
    let ready_at = ready_at.expect("lastTransitionTime");
    let waited = ready_at.duration_since(accepted);
    assert!(
        waited >= SignedDuration::from_secs(2) && waited <= SignedDuration::from_secs(6),
        "{waited:?}"
    );
    let status = p.status.expect("status");
    assert!(status.pod_ip.is_some_and(|ip| ip.starts_with("10.")));
    let cs = &status.container_statuses.expect("containerStatuses")[0];
    assert_eq!(cs.restart_count, 0);
    assert!(cs.image_id.contains("@sha256:"), "{}", cs.image_id);
    assert!(cs.state.as_ref().is_some_and(|s| s.running.is_some()));
    for kind in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] {
        assert_eq!(
            condition(&get(&world, "web").expect("pod"), kind)
                .map(|c| c.0)
                .as_deref(),
            Some("True"),
            "{kind}"
        );
    }
}

#[test]
fn pullerror_image_backs_off_with_growing_waits() {
    let mut world = world_with_node("n1");
    create(
        &mut world,
        pod("bad", Some("n1"), "registry.io/app:v2-pullerror", json!({})),
    );
    let mut retries = Vec::new();
    let mut last = None;
    run_for(&mut world, 240, 500, |w| {
        let reason = waiting_reason(&get(w, "bad").expect("pod"));
        if reason.as_deref() == Some("ErrImagePull") && last.as_deref() == Some("ImagePullBackOff")
        {
            retries.push(w.now());
        }
        last = reason;
    });
    let p = get(&world, "bad").expect("pod");
    assert_eq!(phase(&p), "Pending");
    assert!(retries.len() >= 3, "retries at {retries:?}");
    let gaps: Vec<i64> = retries
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_secs())
        .collect();
    assert!(
        gaps.windows(2).all(|g| g[1] > g[0]),
        "backoff grows: {gaps:?}"
    );
    let failed = events(&world, "Failed");
    assert_eq!(failed.len(), 1, "repeats aggregate into one event");
    assert!(failed[0].count.unwrap_or(0) >= 3);
    assert!(
        failed[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("registry.io/app:v2-pullerror")
    );
}

#[test]
fn unready_image_runs_but_never_turns_ready() {
    let mut world = world_with_node("n1");
    create(
        &mut world,
        pod("shy", Some("n1"), "app:1.0-unready", json!({})),
    );
    run_for(&mut world, 120, 1000, |_| {});
    let p = get(&world, "shy").expect("pod");
    assert_eq!(phase(&p), "Running");
    assert!(!ready(&p));
    assert_eq!(restarts(&p), 0);
}

#[test]
fn crashloop_image_restarts_with_growing_backoff() {
    let mut world = world_with_node("n1");
    create(
        &mut world,
        pod("crash", Some("n1"), "app:v3-crashloop", json!({})),
    );
    let mut restart_times = Vec::new();
    let mut count = 0;
    let mut saw_backoff = false;
    run_for(&mut world, 600, 1000, |w| {
        let p = get(w, "crash").expect("pod");
        if restarts(&p) > count {
            count = restarts(&p);
            restart_times.push(w.now());
        }
        saw_backoff |= waiting_reason(&p).as_deref() == Some("CrashLoopBackOff");
        assert!(!ready(&p), "a crash-looping container never turns Ready");
    });
    assert!(saw_backoff);
    assert!(count >= 4, "restartCount grows: {count}");
    let gaps: Vec<i64> = restart_times
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_secs())
        .collect();
    assert!(
        gaps.windows(2).all(|g| g[1] > g[0]),
        "backoff grows: {gaps:?}"
    );
    let p = get(&world, "crash").expect("pod");
    let last = p
        .status
        .and_then(|s| s.container_statuses)
        .expect("statuses")[0]
        .last_state
        .clone()
        .and_then(|s| s.terminated)
        .expect("lastState.terminated");
    assert_eq!(last.exit_code, 1);
    assert_eq!(phase(&get(&world, "crash").expect("pod")), "Running");
    assert!(!events(&world, "BackOff").is_empty());
}

#[test]
fn leak_image_grows_until_oomkilled() {
    let mut world = world_with_node("n1");
    create(
        &mut world,
        pod("leaky", Some("n1"), "app:2.0-leak", json!({})),
    );
    run_for(&mut world, 10, 1000, |_| {});
    let early = memory_of(&world, "leaky").expect("running, so measured");
    run_for(&mut world, 60, 1000, |_| {});
    let later = memory_of(&world, "leaky").expect("still running");
    assert!(later > early, "memory grows: {early} -> {later}");
    run_for(&mut world, 400, 1000, |_| {});
    let p = get(&world, "leaky").expect("pod");
    assert!(restarts(&p) >= 1);
    let cs = p
        .status
        .and_then(|s| s.container_statuses)
        .expect("statuses")[0]
        .clone();
    let last = cs
        .last_state
        .and_then(|s| s.terminated)
        .expect("terminated before");
    assert_eq!(last.reason.as_deref(), Some("OOMKilled"));
    assert_eq!(last.exit_code, 137);
}

fn memory_of(world: &World, name: &str) -> Option<u64> {
    let p = get(world, name)?;
    Some(pod_usage(world, &p)?[0].usage.memory_bytes)
}

#[test]
fn graceful_delete_removes_the_pod_after_a_short_stop() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "app:1", json!({})));
    run_for(&mut world, 10, 1000, |_| {});
    world
        .delete_pod("default", "web", &DeleteOptions::default())
        .expect("delete");
    world.step(world.now());
    assert!(get(&world, "web").is_some_and(|p| p.metadata.deletion_timestamp.is_some()));
    run_for(&mut world, 3, 250, |_| {});
    assert!(get(&world, "web").is_none());
}

#[test]
fn metrics_move_over_time_and_skip_pods_not_running() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "app:1", json!({})));
    world.step(world.now());
    assert!(
        pod_usage(&world, &get(&world, "web").expect("pod")).is_none(),
        "not running yet"
    );
    run_for(&mut world, 10, 1000, |_| {});
    let first = pod_usage(&world, &get(&world, "web").expect("pod")).expect("running");
    run_for(&mut world, 120, 10_000, |_| {});
    let later = pod_usage(&world, &get(&world, "web").expect("pod")).expect("running");
    assert_eq!(first[0].name, "main");
    assert_ne!(first[0].usage, later[0].usage, "usage moves");
    assert!(
        later[0].usage.memory_bytes <= 256 * 1024 * 1024,
        "below the limit"
    );
    let n = node(&world, "n1");
    let total = node_usage(&world, &n).expect("node reports");
    assert!(total.cpu_millis > later[0].usage.cpu_millis);
    assert!(total.memory_bytes > later[0].usage.memory_bytes);
}

#[test]
fn quantities_round_trip_through_their_canonical_form() {
    for (input, canonical) in [
        ("500m", "500m"),
        ("1.5", "1500m"),
        ("2Gi", "2Gi"),
        ("100M", "100M"),
    ] {
        let q = Quantity::parse(input).expect("parses");
        assert_eq!(q.to_string(), canonical);
        assert_eq!(Quantity::parse(&q.to_string()).expect("reparses"), q);
    }
    assert!(Quantity::parse("2 cores").is_err());
}
