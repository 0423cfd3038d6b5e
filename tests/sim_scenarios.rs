//! The named scenarios hold what they promise: the demo's pools and planted trouble, the blank
//! `empty` cluster, scaling, and the same world for the same seed.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Instant;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};

use herd_core::model::quantity::Quantity;
use herd_sim::World;
use herd_sim::metrics::pod_usage;
use herd_sim::scenario::{ScenarioOptions, build};

fn options(name: &str, nodes: Option<usize>, daemonsets: Option<usize>) -> ScenarioOptions {
    ScenarioOptions {
        name: name.into(),
        seed: 42,
        nodes,
        daemonsets,
        app_pods_per_node: 0,
        start: "2025-01-01T00:00:00Z"
            .parse::<Timestamp>()
            .expect("timestamp"),
    }
}

fn demo() -> World {
    build(&options("demo", None, None)).expect("demo builds")
}

fn nodes(world: &World) -> Vec<Node> {
    world
        .store
        .table::<Node>()
        .values()
        .map(|n| n.as_ref().clone())
        .collect()
}

fn label<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

fn ready(n: &Node) -> Option<String> {
    let cs = n.status.as_ref()?.conditions.as_ref()?;
    cs.iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.clone())
}

fn has_taint(n: &Node, key: &str) -> bool {
    n.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key == key))
}

fn pods_of(world: &World, namespace: &str, ds: &str) -> Vec<Pod> {
    world
        .store
        .table::<Pod>()
        .in_namespace(namespace)
        .filter(|p| {
            p.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|r| r.kind == "DaemonSet" && r.name == ds)
        })
        .map(|p| p.as_ref().clone())
        .collect()
}

fn node_of(p: &Pod) -> String {
    p.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default()
}

#[test]
fn empty_is_a_blank_cluster() {
    let world = build(&options("empty", None, None)).expect("empty builds");
    assert!(world.store.table::<Node>().is_empty());
    assert!(world.store.table::<DaemonSet>().is_empty());
    for ns in ["default", "kube-system"] {
        assert!(world.store.get::<Namespace>("", ns).is_some(), "{ns}");
    }
}

#[test]
fn unknown_scenario_is_named_in_the_error() {
    let err = build(&options("prod", None, None)).expect_err("unknown");
    assert!(err.to_string().contains("\"prod\""), "{err}");
}

#[test]
fn demo_has_three_pools_with_their_labels_and_taints() {
    let world = demo();
    let mut per_pool: BTreeMap<String, usize> = BTreeMap::new();
    for n in nodes(&world) {
        let pool = label(&n, "pool").unwrap_or("").to_string();
        match pool.as_str() {
            "gpu" => {
                assert_eq!(label(&n, "nvidia.com/gpu.present"), Some("true"));
                assert!(has_taint(&n, "nvidia.com/gpu"));
            }
            "storage" => assert_eq!(label(&n, "node-role.herd.dev/storage"), Some("true")),
            _ => assert!(!has_taint(&n, "nvidia.com/gpu")),
        }
        *per_pool.entry(pool).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("general".to_string(), 28),
        ("gpu".to_string(), 6),
        ("storage".to_string(), 6),
    ]
    .into();
    assert_eq!(per_pool, expected);
}

#[test]
fn demo_plants_one_cordoned_and_one_not_ready_node() {
    let world = demo();
    let all = nodes(&world);
    let cordoned: Vec<_> = all
        .iter()
        .filter(|n| n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true))
        .collect();
    assert_eq!(cordoned.len(), 1);
    assert!(has_taint(cordoned[0], "node.kubernetes.io/unschedulable"));
    let not_ready: Vec<_> = all
        .iter()
        .filter(|n| ready(n).as_deref() != Some("True"))
        .collect();
    assert_eq!(not_ready.len(), 1);
    assert_eq!(ready(not_ready[0]).as_deref(), Some("False"));
    assert!(has_taint(not_ready[0], "node.kubernetes.io/not-ready"));
    assert_ne!(cordoned[0].metadata.name, not_ready[0].metadata.name);
}

#[test]
fn demo_has_its_daemonsets_in_their_namespaces() {
    let world = demo();
    let names: Vec<String> = world
        .store
        .table::<DaemonSet>()
        .values()
        .map(|d| {
            format!(
                "{}/{}",
                d.metadata.namespace.as_deref().unwrap_or(""),
                d.metadata.name.as_deref().unwrap_or("")
            )
        })
        .collect();
    for expected in [
        "kube-system/cilium",
        "logging/fluent-bit",
        "monitoring/node-exporter",
        "gpu-operator/nvidia-device-plugin",
        "falco/falco",
        "storage/csi-rbdplugin",
        "observability/otel-agent",
        "kube-system/node-problem-detector",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let npd = world
        .store
        .get::<DaemonSet>("kube-system", "node-problem-detector")
        .expect("npd");
    let image = npd
        .spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers[0].image.clone());
    assert!(
        image.is_some_and(|i| i.contains("crashloop")),
        "the release being rolled out is broken"
    );
}

#[test]
fn scaling_keeps_pool_proportions_and_counts() {
    let world = build(&options("demo", Some(200), Some(14))).expect("scaled demo");
    let all = nodes(&world);
    assert_eq!(all.len(), 200);
    let gpu = all
        .iter()
        .filter(|n| label(n, "pool") == Some("gpu"))
        .count();
    assert_eq!(gpu, 30);
    assert_eq!(world.store.table::<DaemonSet>().len(), 14);
    assert!(
        all.iter()
            .filter(|n| ready(n).as_deref() == Some("True"))
            .count()
            >= 199
    );
}

#[test]
fn same_seed_same_world() {
    let a = build(&options("demo", Some(60), None)).expect("a");
    let b = build(&options("demo", Some(60), None)).expect("b");
    assert_eq!(a.now(), b.now());
    assert_eq!(a.store.resource_version(), b.store.resource_version());
    let names = |w: &World| -> Vec<(String, Option<String>)> {
        w.store
            .table::<Pod>()
            .values()
            .map(|p| {
                (
                    p.metadata.name.clone().unwrap_or_default(),
                    p.metadata.uid.clone(),
                )
            })
            .collect()
    };
    assert_eq!(names(&a), names(&b));
}

#[test]
fn falco_misses_exactly_the_gpu_nodes() {
    let world = demo();
    let gpu: Vec<String> = nodes(&world)
        .into_iter()
        .filter(|n| label(n, "pool") == Some("gpu"))
        .filter_map(|n| n.metadata.name)
        .collect();
    let covered: Vec<String> = pods_of(&world, "falco", "falco")
        .iter()
        .map(node_of)
        .collect();
    let missing: Vec<String> = nodes(&world)
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .filter(|n| !covered.contains(n))
        .collect();
    assert_eq!(missing, gpu);
}

#[test]
fn exactly_one_node_runs_the_crash_looping_release() {
    let world = demo();
    let crashing: Vec<Pod> = pods_of(&world, "kube-system", "node-problem-detector")
        .into_iter()
        .filter(|p| {
            let image = p
                .spec
                .as_ref()
                .and_then(|s| s.containers[0].image.clone())
                .unwrap_or_default();
            image.contains("crashloop")
        })
        .collect();
    assert_eq!(
        crashing.len(),
        1,
        "maxUnavailable 1 and the new pod never turns Ready"
    );
    let cs = crashing[0]
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .expect("statuses");
    assert!(cs[0].restart_count >= 1);
}

#[test]
fn the_memory_hog_uses_far_more_than_it_requests() {
    let world = demo();
    let pods = pods_of(&world, "observability", "otel-agent");
    assert!(!pods.is_empty());
    let p = pods
        .iter()
        .find(|p| pod_usage(&world, p).is_some())
        .expect("a running hog");
    let used = pod_usage(&world, p).expect("usage")[0].usage.memory_bytes as i64;
    let resources = p
        .spec
        .as_ref()
        .and_then(|s| s.containers[0].resources.clone())
        .expect("resources");
    let request = Quantity::parse(&resources.requests.expect("requests")["memory"].0)
        .expect("q")
        .value();
    let limit = Quantity::parse(&resources.limits.expect("limits")["memory"].0)
        .expect("q")
        .value();
    assert!(used > 5 * request, "{used} vs request {request}");
    assert!(used < limit);
}

/// Not a CI test: `cargo test --release --test sim_scenarios -- --ignored --nocapture scale`.
#[test]
#[ignore = "benchmark: builds 5,000 nodes x 30 DaemonSets"]
fn scale_build_time() {
    let started = Instant::now();
    let world = build(&options("demo", Some(5000), Some(30))).expect("scaled");
    let built = started.elapsed();
    let pods = world.store.table::<Pod>().len();
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .map(str::to_string)
        .unwrap_or_default();
    eprintln!(
        "5000 nodes / 30 DaemonSets: {pods} pods, built in {built:?}, rv {}, {rss}",
        world.store.resource_version()
    );
}

#[test]
fn demo_pods_run_and_only_the_planted_trouble_is_unready() {
    let world = demo();
    let not_ready_node = nodes(&world)
        .into_iter()
        .find(|n| ready(n).as_deref() == Some("False"))
        .and_then(|n| n.metadata.name)
        .expect("the NotReady node");
    let cordoned = nodes(&world)
        .into_iter()
        .find(|n| n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true))
        .and_then(|n| n.metadata.name)
        .expect("the cordoned node");
    let pods: Vec<Pod> = world
        .store
        .table::<Pod>()
        .values()
        .map(|p| p.as_ref().clone())
        .collect();
    assert!(pods.len() > 250, "{} pods", pods.len());
    assert!(
        pods.iter().any(|p| node_of(p) == cordoned),
        "a cordoned node keeps its daemon pods"
    );
    for p in &pods {
        let status = p.status.as_ref().expect("status");
        assert_eq!(
            status.phase.as_deref(),
            Some("Running"),
            "{:?}",
            p.metadata.name
        );
        let is_ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        let crashing = p
            .spec
            .as_ref()
            .and_then(|s| s.containers[0].image.clone())
            .is_some_and(|i| i.contains("crashloop"));
        assert_eq!(
            is_ready,
            node_of(p) != not_ready_node && !crashing,
            "{:?}",
            p.metadata.name
        );
    }
}
