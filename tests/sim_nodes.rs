//! Nodes of the simulated cluster: registration, the scheduler's verdicts, cordon, NotReady
//! and stopped kubelets with their taints and pod marking or eviction, nodes leaving, and
//! garbage collection of dependents. All by stepping the World; nothing sleeps.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::Node;
use serde_json::json;

use common::*;
use herd_sim::metrics::node_usage;
use herd_sim::scenario::Pool;

#[test]
fn node_registers_ready_with_defaults() {
    let world = world_with_node("n1");
    let n = node(&world, "n1");
    assert_eq!(node_condition(&n, "Ready").as_deref(), Some("True"));
    assert_eq!(
        node_condition(&n, "MemoryPressure").as_deref(),
        Some("False")
    );
    let status = n.status.expect("status");
    let info = status.node_info.expect("nodeInfo");
    // One version throughout: the kubelets report the API server's own.
    assert_eq!(info.kubelet_version, "v1.32.0-herd-sim");
    assert_eq!(info.operating_system, "linux");
    let ip = &status.addresses.expect("addresses")[0];
    assert_eq!(ip.type_, "InternalIP");
    assert!(ip.address.starts_with("10."), "{}", ip.address);
    let allocatable = status.allocatable.expect("allocatable");
    assert_eq!(allocatable["cpu"].0, "7900m");
    assert_eq!(allocatable["pods"].0, "110");
}

#[test]
fn too_small_node_leaves_pod_pending_with_the_reason() {
    let mut world = world_with_node("small");
    world
        .store
        .modify::<Node>("", "small", |n| {
            n.metadata.annotations = Some(
                [(
                    "sim.herd.dev/allocatable-cpu".to_string(),
                    "500m".to_string(),
                )]
                .into(),
            );
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
    let c = p
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"))
        .cloned()
        .expect("PodScheduled");
    assert_eq!(c.status, "False");
    assert_eq!(c.reason.as_deref(), Some("Unschedulable"));
    assert_eq!(
        c.message.as_deref(),
        Some("0/1 nodes are available: 1 Insufficient cpu.")
    );
    let failed = events(&world, "FailedScheduling");
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Insufficient cpu")
    );
    // Room appears (the override goes): the waiting pod is retried and runs.
    world
        .store
        .modify::<Node>("", "small", |n| n.metadata.annotations = None)
        .expect("unannotate");
    run_for(&mut world, 10, 500, |_| {});
    let p = get(&world, "big").expect("pod");
    assert_eq!(
        p.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some("small")
    );
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
    assert_eq!(
        p.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some("b")
    );
    assert!(!events(&world, "Scheduled").is_empty());
}

#[test]
fn cordon_adds_the_unschedulable_taint_and_uncordon_removes_it() {
    let mut world = world_with_node("n1");
    world.set_node_unschedulable("n1", true).expect("cordon");
    world.step(world.now());
    assert_eq!(
        taints(&node(&world, "n1")),
        ["node.kubernetes.io/unschedulable:NoSchedule"]
    );
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
    assert_eq!(
        taints(&n),
        [
            "node.kubernetes.io/not-ready:NoSchedule",
            "node.kubernetes.io/not-ready:NoExecute"
        ]
    );
    assert!(!ready(&get(&world, "stays").expect("pod")));
    assert_eq!(phase(&get(&world, "stays").expect("pod")), "Running");
    run_for(&mut world, 5, 500, |_| {});
    assert!(
        get(&world, "goes").is_none(),
        "evicted by the NoExecute taint"
    );
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
    create(
        &mut world,
        pod("crash", Some("n1"), "app:crashloop", tolerant),
    );
    run_for(&mut world, 30, 1000, |_| {});
    world.set_kubelet_running("n1", false).expect("stop");
    run_for(&mut world, 30, 1000, |_| {});
    assert_eq!(
        node_condition(&node(&world, "n1"), "Ready").as_deref(),
        Some("True"),
        "within grace"
    );
    run_for(&mut world, 15, 1000, |_| {});
    let n = node(&world, "n1");
    assert_eq!(node_condition(&n, "Ready").as_deref(), Some("Unknown"));
    assert_eq!(
        taints(&n),
        [
            "node.kubernetes.io/unreachable:NoSchedule",
            "node.kubernetes.io/unreachable:NoExecute"
        ]
    );
    assert!(node_usage(&world, &n).is_none());
    let frozen = restarts(&get(&world, "crash").expect("pod"));
    run_for(&mut world, 300, 5000, |_| {});
    assert_eq!(
        restarts(&get(&world, "crash").expect("pod")),
        frozen,
        "nothing progresses"
    );
    world.set_kubelet_running("n1", true).expect("restart");
    run_for(&mut world, 2, 1000, |_| {});
    assert_eq!(
        node_condition(&node(&world, "n1"), "Ready").as_deref(),
        Some("True")
    );
    assert!(taints(&node(&world, "n1")).is_empty());
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
    // Labels matching the selector: otherwise the DaemonSet controller would release it.
    let mut dependent = pod("agent-x", Some("n1"), "agent:1", json!({}));
    dependent.metadata.labels = Some([("app".to_string(), "agent".to_string())].into());
    dependent.metadata.owner_references = serde_json::from_value(owner.clone()).ok();
    create(&mut world, dependent);
    let revision: ControllerRevision = serde_json::from_value(json!({
        "metadata": { "name": "agent-1", "namespace": "default", "labels": { "app": "agent" }, "ownerReferences": owner },
        "revision": 1
    }))
    .expect("revision");
    world.store.create(revision, now).expect("create revision");
    let mut stray = pod("stray", Some("n1"), "agent:1", json!({}));
    stray.metadata.owner_references =
        serde_json::from_value(json!([{ "apiVersion": "apps/v1", "kind": "DaemonSet",
        "name": "gone", "uid": "00000000-0000-4000-8000-000000000000", "controller": true }]))
        .ok();
    create(&mut world, stray);
    run_for(&mut world, 5, 500, |_| {});
    assert!(get(&world, "agent-x").is_some());
    assert!(get(&world, "stray").is_none(), "owner never existed");
    world
        .store
        .delete::<DaemonSet>("default", "agent", None, None)
        .expect("delete ds");
    run_for(&mut world, 5, 500, |_| {});
    assert!(get(&world, "agent-x").is_none());
    assert!(
        world
            .store
            .get::<ControllerRevision>("default", "agent-1")
            .is_none()
    );
}

#[test]
fn untolerated_taint_is_named_in_the_scheduling_failure() {
    let mut world = world_with_node("general-1");
    world.add_node(Pool::Gpu, "gpu-1").expect("gpu node");
    let pinned = json!({ "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["gpu-1"] }] }] } } } });
    create(&mut world, pod("agent", None, "agent:1", pinned));
    run_for(&mut world, 3, 500, |_| {});
    let p = get(&world, "agent").expect("pod");
    let scheduled = p.status.and_then(|s| s.conditions).expect("conditions");
    let message = scheduled[0].message.clone().unwrap_or_default();
    assert_eq!(
        message,
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {nvidia.com/gpu: present}."
    );
}

#[test]
fn seeded_churn_adds_removes_and_flaps_nodes_the_same_way_twice() {
    let run = || {
        let mut world = world_with_node("n1");
        for i in 2..=10 {
            world
                .add_node(Pool::General, &format!("n{i}"))
                .expect("node");
        }
        world.config.churn.enabled = true;
        world.config.churn.mean_interval = jiff::SignedDuration::from_secs(60);
        let mut seen_not_ready = false;
        run_for(&mut world, 3600, 5000, |w| {
            seen_not_ready |= w
                .store
                .table::<Node>()
                .values()
                .any(|n| node_condition(n, "Ready").as_deref() == Some("False"));
        });
        let names: Vec<String> = world
            .store
            .table::<Node>()
            .values()
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        (names, seen_not_ready)
    };
    let (first, flapped) = run();
    let (second, _) = run();
    assert_eq!(first, second, "same seed, same churn");
    assert!(flapped, "some node went NotReady for a while");
    assert!(
        first.iter().any(|n| n.contains("-joined-")),
        "nodes joined: {first:?}"
    );
    assert!(
        (1..=10).any(|i| !first.contains(&format!("n{i}"))),
        "a node left: {first:?}"
    );
}
