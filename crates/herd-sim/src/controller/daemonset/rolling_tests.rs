//! Budget scaling and both rolling-update algorithms on hand-built node maps.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::DaemonSetUpdateStrategy;
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use super::*;
use crate::controller::daemonset::view::{NodeDecision, NodeMap, Version};

const NOW: &str = "2025-01-01T00:10:00Z";

/// A bound pod on `node` with hash `hash`; Ready since the epoch of the test when `ready`.
pub(super) fn pod(name: &str, node: &str, hash: &str, ready: bool) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"controller-revision-hash": hash},
                "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"containers": [], "nodeName": node},
            "status": {"phase": "Running", "conditions": [{"type": "Ready",
                "status": if ready { "True" } else { "False" },
                "lastTransitionTime": "2025-01-01T00:00:00Z"}]}
        }))
        .expect("pod"),
    )
}

fn deleting(p: &Arc<Pod>) -> Arc<Pod> {
    let mut p = p.as_ref().clone();
    p.metadata.deletion_timestamp = p.metadata.creation_timestamp.clone();
    Arc::new(p)
}

/// `nodes` all shouldRun, with the given pods.
fn view(nodes: &[&str], pods: Vec<Arc<Pod>>) -> View {
    let mut map = NodeMap::new();
    for p in pods {
        let node = podutil::target_node(&p).unwrap_or_default().to_string();
        map.entry(node).or_default().push(p);
    }
    View {
        nodes: nodes
            .iter()
            .map(|n| NodeDecision {
                name: n.to_string(),
                should_run: true,
                should_continue: true,
            })
            .collect(),
        map,
        version: Version {
            hash: "new".into(),
            generation: Some(2),
        },
        min_ready_seconds: 0,
        now: NOW.parse::<Timestamp>().expect("now"),
    }
}

fn strategy(v: serde_json::Value) -> DaemonSetUpdateStrategy {
    serde_json::from_value(v).expect("strategy")
}

fn names(pods: &[Arc<Pod>]) -> Vec<String> {
    pods.iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect()
}

#[test]
fn percent_budgets_round_up_and_zero_budgets_fall_back_to_one() {
    let s = strategy(
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "30%", "maxSurge": 0}}),
    );
    let unavailable = |d| budget(Some(&s), d).max_unavailable;
    assert_eq!((unavailable(10), unavailable(5), unavailable(1)), (3, 2, 1));
    assert_eq!(budget(Some(&s), 0).max_unavailable, 0);
    let surge = strategy(
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "10%"}}),
    );
    assert_eq!(
        budget(Some(&surge), 3),
        Budget {
            max_surge: 1,
            max_unavailable: 0
        }
    );
    assert!(allows_surge(Some(&surge)));
    let zeros = strategy(
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "0%", "maxSurge": 0}}),
    );
    assert_eq!(budget(Some(&zeros), 4).max_unavailable, 1);
    let on_delete = strategy(json!({"type": "OnDelete", "rollingUpdate": {"maxSurge": 1}}));
    assert!(!allows_surge(Some(&on_delete)));
    assert_eq!(scaled(&IntOrString::String("abc".into()), 10), None);
}

#[test]
fn without_surge_deletes_available_old_pods_within_budget() {
    let pods = (1..=5)
        .map(|i| pod(&format!("p{i}"), &format!("n{i}"), "old", true))
        .collect();
    let v = view(&["n1", "n2", "n3", "n4", "n5"], pods);
    assert_eq!(without_surge(&v, 1).delete.len(), 1);
    assert_eq!(without_surge(&v, 3).delete.len(), 3);
}

#[test]
fn without_surge_replaces_unavailable_old_pods_and_counts_them() {
    let mut pods: Vec<_> = (1..=4)
        .map(|i| pod(&format!("p{i}"), &format!("n{i}"), "old", true))
        .collect();
    pods.push(pod("sick", "n5", "old", false));
    let v = view(&["n1", "n2", "n3", "n4", "n5"], pods);
    assert_eq!(names(&without_surge(&v, 1).delete), ["sick"]);
    // With room for two, one available old pod joins it.
    assert_eq!(without_surge(&v, 2).delete.len(), 2);
}

#[test]
fn without_surge_counts_podless_terminating_and_unready_new_nodes_as_unavailable() {
    let old = pod("o1", "n1", "old", true);
    let pods = vec![
        old.clone(),
        pod("o2", "n2", "old", true),
        deleting(&pod("o3", "n3", "old", true)),
        pod("w4", "n4", "new", false),
    ];
    // n3 terminating, n4 new but unready, n5 podless: 3 unavailable.
    let v = view(&["n1", "n2", "n3", "n4", "n5"], pods);
    assert!(without_surge(&v, 3).delete.is_empty());
    assert_eq!(without_surge(&v, 4).delete.len(), 1);
}

#[test]
fn with_surge_creates_within_max_surge_then_deletes_behind_available_new_pods() {
    let pods: Vec<_> = (1..=3)
        .map(|i| pod(&format!("o{i}"), &format!("n{i}"), "old", true))
        .collect();
    let v = view(&["n1", "n2", "n3"], pods.clone());
    let plan = with_surge(&v, 1).expect("plan");
    assert_eq!((plan.create.len(), plan.delete.len()), (1, 0));

    // n1 surged, new not yet Available: the budget is used.
    let mut surged = pods.clone();
    surged.push(pod("w1", "n1", "new", false));
    let plan = with_surge(&view(&["n1", "n2", "n3"], surged), 1).expect("plan");
    assert!(plan.create.is_empty() && plan.delete.is_empty());

    // New one Available: old goes, and the next node may surge in the same pass.
    let mut ready = pods;
    ready.push(pod("w1", "n1", "new", true));
    let plan = with_surge(&view(&["n1", "n2", "n3"], ready), 1).expect("plan");
    assert_eq!(names(&plan.delete), ["o1"]);
    assert_eq!(plan.create.len(), 1);
}

#[test]
fn with_surge_replaces_unavailable_old_pods_beyond_the_budget() {
    let pods = vec![
        pod("o1", "n1", "old", false),
        pod("o2", "n2", "old", false),
        pod("o3", "n3", "old", true),
        pod("o4", "n4", "old", true),
    ];
    // n1 and n2 do not count against maxSurge; one of the available ones still may surge.
    let plan = with_surge(&view(&["n1", "n2", "n3", "n4"], pods), 1).expect("plan");
    assert_eq!(plan.create, ["n1", "n2", "n3"]);
}

#[test]
fn with_surge_removes_misfit_old_pods_only_with_surplus_availability() {
    let pods = vec![
        pod("o1", "n1", "old", true),
        pod("w2", "n2", "new", true),
        pod("o3", "n3", "old", true),
    ];
    let mut v = view(&["n1", "n2", "n3"], pods);
    v.nodes[0].should_run = false;
    // Available 3 > desired 2: the misfit old pod on n1 goes.
    let plan = with_surge(&v, 1).expect("plan");
    assert_eq!(names(&plan.delete), ["o1"]);
    assert_eq!(plan.create, ["n3"]);
    // A node missing from the node list fails the step, as upstream's lister lookup does.
    v.nodes.remove(0);
    assert!(with_surge(&v, 1).is_none());
}
