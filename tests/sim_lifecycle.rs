//! The simulated cluster's nodes and pods behave as a user of kubectl would expect: pods start
//! and turn Ready, bad images fail the way real ones do, the scheduler explains why a pod is
//! Pending, and node trouble taints nodes and marks or evicts their pods. All by stepping the
//! World; nothing sleeps.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use serde_json::json;

use herd::model::quantity::Quantity;
use herd::sim::metrics::{node_usage, pod_usage};
use herd::sim::pods::DeleteOptions;
use herd::sim::scenario::Pool;
use herd::sim::World;

fn start() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().expect("timestamp")
}

fn world_with_node(name: &str) -> World {
    let mut world = World::new(7, start());
    world.add_node(Pool::General, name).expect("node");
    world.step(start());
    world
}

fn pod(name: &str, node: Option<&str>, image: &str, extra: serde_json::Value) -> Pod {
    let mut spec = json!({
        "containers": [{
            "name": "main",
            "image": image,
            "resources": { "requests": { "cpu": "100m", "memory": "64Mi" }, "limits": { "memory": "256Mi" } },
        }],
    });
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    if let (Some(s), serde_json::Value::Object(more)) = (spec.as_object_mut(), extra) {
        s.extend(more);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": "default" },
        "spec": spec,
    }))
    .expect("pod json")
}

fn create(world: &mut World, p: Pod) {
    let now = world.now();
    world.store.create(p, now).expect("create pod");
}

fn get(world: &World, name: &str) -> Option<Pod> {
    world.store.get::<Pod>("default", name).map(|p| p.as_ref().clone())
}

fn node(world: &World, name: &str) -> Node {
    world.store.get::<Node>("", name).expect("node exists").as_ref().clone()
}

fn phase(p: &Pod) -> String {
    p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default()
}

fn condition(p: &Pod, kind: &str) -> Option<(String, Option<Timestamp>)> {
    let c = p.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == kind)?;
    Some((c.status.clone(), c.last_transition_time.as_ref().map(|t| t.0)))
}

fn ready(p: &Pod) -> bool {
    condition(p, "Ready").is_some_and(|(s, _)| s == "True")
}

fn waiting_reason(p: &Pod) -> Option<String> {
    let cs = p.status.as_ref()?.container_statuses.as_ref()?.first()?;
    cs.state.as_ref()?.waiting.as_ref()?.reason.clone()
}

fn restarts(p: &Pod) -> i32 {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first())
        .map_or(0, |c| c.restart_count)
}

fn node_condition(n: &Node, kind: &str) -> Option<String> {
    n.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == kind).map(|c| c.status.clone())
}

fn taints(n: &Node) -> Vec<String> {
    n.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .map(|ts| ts.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect())
        .unwrap_or_default()
}

fn events(world: &World, reason: &str) -> Vec<Event> {
    world
        .store
        .table::<Event>()
        .values()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .map(|e| e.as_ref().clone())
        .collect()
}

/// Advances in `tick` steps for `total`, calling `each` after every step.
fn run_for(world: &mut World, total: i64, tick_ms: i64, mut each: impl FnMut(&World)) {
    let end = world.now() + SignedDuration::from_secs(total);
    while world.now() < end {
        world.advance(SignedDuration::from_millis(tick_ms));
        each(world);
    }
}

#[test]
fn node_registers_ready_with_defaults() {
    let world = world_with_node("n1");
    let n = node(&world, "n1");
    assert_eq!(node_condition(&n, "Ready").as_deref(), Some("True"));
    assert_eq!(node_condition(&n, "MemoryPressure").as_deref(), Some("False"));
    let status = n.status.expect("status");
    let info = status.node_info.expect("nodeInfo");
    assert_eq!(info.kubelet_version, "v1.33.0-sim");
    assert_eq!(info.operating_system, "linux");
    let ip = &status.addresses.expect("addresses")[0];
    assert_eq!(ip.type_, "InternalIP");
    assert!(ip.address.starts_with("10."), "{}", ip.address);
    let allocatable = status.allocatable.expect("allocatable");
    assert_eq!(allocatable["cpu"].0, "7900m");
    assert_eq!(allocatable["pods"].0, "110");
}

#[test]
fn bound_pod_goes_pending_then_running_then_ready() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "nginx:1.27", json!({})));
    world.step(world.now());
    let p = get(&world, "web").expect("pod");
    assert_eq!(phase(&p), "Pending");
    assert_eq!(waiting_reason(&p).as_deref(), Some("ContainerCreating"));
    let accepted = p.status.as_ref().and_then(|s| s.start_time.clone()).expect("startTime").0;
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
    assert!(waited >= SignedDuration::from_secs(2) && waited <= SignedDuration::from_secs(6), "{waited:?}");
    let status = p.status.expect("status");
    assert!(status.pod_ip.is_some_and(|ip| ip.starts_with("10.")));
    let cs = &status.container_statuses.expect("containerStatuses")[0];
    assert_eq!(cs.restart_count, 0);
    assert!(cs.image_id.contains("@sha256:"), "{}", cs.image_id);
    assert!(cs.state.as_ref().is_some_and(|s| s.running.is_some()));
    for kind in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] {
        assert_eq!(condition(&get(&world, "web").expect("pod"), kind).map(|c| c.0).as_deref(), Some("True"), "{kind}");
    }
}

#[test]
fn pullerror_image_backs_off_with_growing_waits() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("bad", Some("n1"), "registry.io/app:v2-pullerror", json!({})));
    let mut retries = Vec::new();
    let mut last = None;
    run_for(&mut world, 240, 500, |w| {
        let reason = waiting_reason(&get(w, "bad").expect("pod"));
        if reason.as_deref() == Some("ErrImagePull") && last.as_deref() == Some("ImagePullBackOff") {
            retries.push(w.now());
        }
        last = reason;
    });
    let p = get(&world, "bad").expect("pod");
    assert_eq!(phase(&p), "Pending");
    assert!(retries.len() >= 3, "retries at {retries:?}");
    let gaps: Vec<i64> = retries.windows(2).map(|w| w[1].duration_since(w[0]).as_secs()).collect();
    assert!(gaps.windows(2).all(|g| g[1] > g[0]), "backoff grows: {gaps:?}");
    let failed = events(&world, "Failed");
    assert_eq!(failed.len(), 1, "repeats aggregate into one event");
    assert!(failed[0].count.unwrap_or(0) >= 3);
    assert!(failed[0].message.as_deref().unwrap_or("").contains("registry.io/app:v2-pullerror"));
}

#[test]
fn unready_image_runs_but_never_turns_ready() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("shy", Some("n1"), "app:1.0-unready", json!({})));
    run_for(&mut world, 120, 1000, |_| {});
    let p = get(&world, "shy").expect("pod");
    assert_eq!(phase(&p), "Running");
    assert!(!ready(&p));
    assert_eq!(restarts(&p), 0);
}

#[test]
fn crashloop_image_restarts_with_growing_backoff() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("crash", Some("n1"), "app:v3-crashloop", json!({})));
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
    let gaps: Vec<i64> = restart_times.windows(2).map(|w| w[1].duration_since(w[0]).as_secs()).collect();
    assert!(gaps.windows(2).all(|g| g[1] > g[0]), "backoff grows: {gaps:?}");
    let p = get(&world, "crash").expect("pod");
    let last = p.status.and_then(|s| s.container_statuses).expect("statuses")[0]
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
    create(&mut world, pod("leaky", Some("n1"), "app:2.0-leak", json!({})));
    run_for(&mut world, 10, 1000, |_| {});
    let early = memory_of(&world, "leaky").expect("running, so measured");
    run_for(&mut world, 60, 1000, |_| {});
    let later = memory_of(&world, "leaky").expect("still running");
    assert!(later > early, "memory grows: {early} -> {later}");
    run_for(&mut world, 400, 1000, |_| {});
    let p = get(&world, "leaky").expect("pod");
    assert!(restarts(&p) >= 1);
    let cs = p.status.and_then(|s| s.container_statuses).expect("statuses")[0].clone();
    let last = cs.last_state.and_then(|s| s.terminated).expect("terminated before");
    assert_eq!(last.reason.as_deref(), Some("OOMKilled"));
    assert_eq!(last.exit_code, 137);
}

fn memory_of(world: &World, name: &str) -> Option<u64> {
    let p = get(world, name)?;
    Some(pod_usage(world, &p)?[0].usage.memory_bytes)
}

#[test]
fn too_small_node_leaves_pod_pending_with_the_reason() {
    let mut world = world_with_node("small");
    world
        .store
        .modify::<Node>("", "small", |n| {
            n.metadata.annotations = Some([("sim.herd.dev/allocatable-cpu".to_string(), "500m".to_string())].into());
        })
        .expect("annotate");
    world.step(world.now());
    let big = json!({ "containers": [{ "name": "main", "image": "app:1", "resources": { "requests": { "cpu": "2" } } }] });
    let mut p = pod("big", None, "app:1", json!({}));
    p.spec = serde_json::from_value(big).ok();
    create(&mut world, p);
    run_for(&mut world, 5, 500, |_| {});
    let p = get(&world, "big").expect("pod");
    assert_eq!(phase(&p), "Pending");
    let c = p.status.as_ref().and_then(|s| s.conditions.as_ref()).and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled")).cloned().expect("PodScheduled");
    assert_eq!(c.status, "False");
    assert_eq!(c.reason.as_deref(), Some("Unschedulable"));
    assert_eq!(c.message.as_deref(), Some("0/1 nodes are available: 1 Insufficient cpu."));
    let failed = events(&world, "FailedScheduling");
    assert_eq!(failed.len(), 1);
    assert!(failed[0].message.as_deref().unwrap_or("").contains("Insufficient cpu"));
    // Room appears (the override goes): the waiting pod is retried and runs.
    world.store.modify::<Node>("", "small", |n| n.metadata.annotations = None).expect("unannotate");
    run_for(&mut world, 10, 500, |_| {});
    let p = get(&world, "big").expect("pod");
    assert_eq!(p.spec.as_ref().and_then(|s| s.node_name.as_deref()), Some("small"));
    assert!(ready(&p));
}

#[test]
fn daemon_style_pod_is_bound_to_its_affinity_node_only() {
    let mut world = world_with_node("a");
    world.add_node(Pool::General, "b").expect("node b");
    let affinity = json!({ "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["b"] }] }] } } } });
    create(&mut world, pod("pinned", None, "app:1", affinity));
    run_for(&mut world, 5, 500, |_| {});
    let p = get(&world, "pinned").expect("pod");
    assert_eq!(p.spec.as_ref().and_then(|s| s.node_name.as_deref()), Some("b"));
    assert!(!events(&world, "Scheduled").is_empty());
}

#[test]
fn cordon_adds_the_unschedulable_taint_and_uncordon_removes_it() {
    let mut world = world_with_node("n1");
    world.set_node_unschedulable("n1", true).expect("cordon");
    world.step(world.now());
    assert_eq!(taints(&node(&world, "n1")), ["node.kubernetes.io/unschedulable:NoSchedule"]);
    world.set_node_unschedulable("n1", false).expect("uncordon");
    world.step(world.now());
    assert!(taints(&node(&world, "n1")).is_empty());
}

#[test]
fn not_ready_node_is_tainted_marks_pods_and_evicts_intolerant_ones() {
    let mut world = world_with_node("n1");
    let tolerant = json!({ "tolerations": [{ "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute" }] });
    create(&mut world, pod("stays", Some("n1"), "app:1", tolerant));
    create(&mut world, pod("goes", Some("n1"), "app:1", json!({})));
    run_for(&mut world, 10, 500, |_| {});
    assert!(ready(&get(&world, "stays").expect("pod")));
    world.set_node_ready("n1", false).expect("annotate");
    run_for(&mut world, 1, 500, |_| {});
    let n = node(&world, "n1");
    assert_eq!(node_condition(&n, "Ready").as_deref(), Some("False"));
    assert_eq!(taints(&n), ["node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"]);
    assert!(!ready(&get(&world, "stays").expect("pod")));
    assert_eq!(phase(&get(&world, "stays").expect("pod")), "Running");
    run_for(&mut world, 5, 500, |_| {});
    assert!(get(&world, "goes").is_none(), "evicted by the NoExecute taint");
    world.set_node_ready("n1", true).expect("annotate");
    run_for(&mut world, 1, 500, |_| {});
    let n = node(&world, "n1");
    assert_eq!(node_condition(&n, "Ready").as_deref(), Some("True"));
    assert!(taints(&n).is_empty());
    assert!(ready(&get(&world, "stays").expect("pod")));
}

#[test]
fn stopped_kubelet_goes_unknown_after_grace_and_freezes_its_pods() {
    let mut world = world_with_node("n1");
    let tolerant = json!({ "tolerations": [{ "operator": "Exists" }] });
    create(&mut world, pod("crash", Some("n1"), "app:crashloop", tolerant));
    run_for(&mut world, 30, 1000, |_| {});
    world.set_kubelet_running("n1", false).expect("stop");
    run_for(&mut world, 30, 1000, |_| {});
    assert_eq!(node_condition(&node(&world, "n1"), "Ready").as_deref(), Some("True"), "within grace");
    run_for(&mut world, 15, 1000, |_| {});
    let n = node(&world, "n1");
    assert_eq!(node_condition(&n, "Ready").as_deref(), Some("Unknown"));
    assert_eq!(taints(&n), ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]);
    assert!(node_usage(&world, &n).is_none());
    let frozen = restarts(&get(&world, "crash").expect("pod"));
    run_for(&mut world, 300, 5000, |_| {});
    assert_eq!(restarts(&get(&world, "crash").expect("pod")), frozen, "nothing progresses");
    world.set_kubelet_running("n1", true).expect("restart");
    run_for(&mut world, 2, 1000, |_| {});
    assert_eq!(node_condition(&node(&world, "n1"), "Ready").as_deref(), Some("True"));
    assert!(taints(&node(&world, "n1")).is_empty());
}

#[test]
fn graceful_delete_removes_the_pod_after_a_short_stop() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "app:1", json!({})));
    run_for(&mut world, 10, 1000, |_| {});
    world.delete_pod("default", "web", &DeleteOptions::default()).expect("delete");
    world.step(world.now());
    assert!(get(&world, "web").is_some_and(|p| p.metadata.deletion_timestamp.is_some()));
    run_for(&mut world, 3, 250, |_| {});
    assert!(get(&world, "web").is_none());
}

#[test]
fn deleting_a_node_removes_its_pods() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "app:1", json!({})));
    run_for(&mut world, 5, 1000, |_| {});
    world.remove_node("n1").expect("remove");
    world.step(world.now());
    assert!(get(&world, "web").is_none());
}

#[test]
fn dependents_of_a_deleted_owner_are_collected() {
    let mut world = world_with_node("n1");
    let ds: DaemonSet = serde_json::from_value(json!({
        "metadata": { "name": "agent", "namespace": "default" },
        "spec": { "selector": { "matchLabels": { "app": "agent" } },
                  "template": { "metadata": { "labels": { "app": "agent" } },
                                "spec": { "containers": [{ "name": "a", "image": "agent:1" }] } } }
    }))
    .expect("ds");
    let now = world.now();
    let ds = world.store.create(ds, now).expect("create ds");
    let owner = json!([{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                         "uid": ds.metadata.uid, "controller": true, "blockOwnerDeletion": true }]);
    let mut dependent = pod("agent-x", Some("n1"), "agent:1", json!({}));
    dependent.metadata.owner_references = serde_json::from_value(owner.clone()).ok();
    create(&mut world, dependent);
    let revision: ControllerRevision = serde_json::from_value(json!({
        "metadata": { "name": "agent-1", "namespace": "default", "ownerReferences": owner },
        "revision": 1
    }))
    .expect("revision");
    world.store.create(revision, now).expect("create revision");
    let mut stray = pod("stray", Some("n1"), "agent:1", json!({}));
    stray.metadata.owner_references = serde_json::from_value(json!([{ "apiVersion": "apps/v1", "kind": "DaemonSet",
        "name": "gone", "uid": "00000000-0000-4000-8000-000000000000", "controller": true }])).ok();
    create(&mut world, stray);
    run_for(&mut world, 5, 500, |_| {});
    assert!(get(&world, "agent-x").is_some());
    assert!(get(&world, "stray").is_none(), "owner never existed");
    world.store.delete::<DaemonSet>("default", "agent", None, None).expect("delete ds");
    run_for(&mut world, 5, 500, |_| {});
    assert!(get(&world, "agent-x").is_none());
    assert!(world.store.get::<ControllerRevision>("default", "agent-1").is_none());
}

#[test]
fn metrics_move_over_time_and_skip_pods_not_running() {
    let mut world = world_with_node("n1");
    create(&mut world, pod("web", Some("n1"), "app:1", json!({})));
    world.step(world.now());
    assert!(pod_usage(&world, &get(&world, "web").expect("pod")).is_none(), "not running yet");
    run_for(&mut world, 10, 1000, |_| {});
    let first = pod_usage(&world, &get(&world, "web").expect("pod")).expect("running");
    run_for(&mut world, 120, 10_000, |_| {});
    let later = pod_usage(&world, &get(&world, "web").expect("pod")).expect("running");
    assert_eq!(first[0].name, "main");
    assert_ne!(first[0].usage, later[0].usage, "usage moves");
    assert!(later[0].usage.memory_bytes <= 256 * 1024 * 1024, "below the limit");
    let n = node(&world, "n1");
    let total = node_usage(&world, &n).expect("node reports");
    assert!(total.cpu_millis > later[0].usage.cpu_millis);
    assert!(total.memory_bytes > later[0].usage.memory_bytes);
}

#[test]
fn quantities_round_trip_through_their_canonical_form() {
    for (input, canonical) in [("500m", "500m"), ("1.5", "1500m"), ("2Gi", "2Gi"), ("100M", "100M")] {
        let q = Quantity::parse(input).expect("parses");
        assert_eq!(q.to_string(), canonical);
        assert_eq!(Quantity::parse(&q.to_string()).expect("reparses"), q);
    }
    assert!(Quantity::parse("2 cores").is_err());
}
