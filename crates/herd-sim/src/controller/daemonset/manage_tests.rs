//! The manage pass on hand-built node maps: docs/SEMANTICS.md#manage-pass case by case, and the
//! failed-pod backoff (#failed-pod-backoff).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use super::*;
use crate::controller::daemonset::view::{self, Version};

fn pod(name: &str, node: &str, created: &str, hash: &str, phase: &str, ready: bool) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": created,
                "labels": {"controller-revision-hash": hash}},
            "spec": {"containers": [], "nodeName": node},
            "status": {"phase": phase, "conditions": [{"type": "Ready",
                "status": if ready { "True" } else { "False" },
                "lastTransitionTime": "2025-01-01T00:00:00Z"}]}
        }))
        .expect("pod"),
    )
}

fn running(name: &str, node: &str, created: &str) -> Arc<Pod> {
    pod(name, node, created, "h", "Running", true)
}

fn unbound(name: &str, node: &str) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"containers": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}}
        }))
        .expect("pod"),
    )
}

fn view(nodes: &[(&str, bool, bool)], pods: Vec<Arc<Pod>>) -> View {
    View {
        nodes: nodes
            .iter()
            .map(|(n, run, cont)| NodeDecision {
                name: n.to_string(),
                should_run: *run,
                should_continue: *cont,
            })
            .collect(),
        map: view::node_map(&pods, false),
        version: Version {
            hash: "h".into(),
            generation: Some(1),
        },
        min_ready_seconds: 0,
        now: "2025-01-01T00:01:00Z".parse::<Timestamp>().expect("now"),
    }
}

fn run(v: &View, surge: bool) -> ManagePlan {
    let scope = BackoffScope {
        ds_uid: "uid",
        observed_generation: 1,
    };
    plan(v, surge, &mut Backoff::default(), scope)
}

fn deleted(p: &ManagePlan) -> Vec<String> {
    p.plan
        .delete
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect()
}

const T1: &str = "2025-01-01T00:00:01Z";
const T2: &str = "2025-01-01T00:00:02Z";

#[test]
fn creates_on_desired_nodes_without_pods_and_deletes_where_pods_must_not_continue() {
    let pods = vec![running("a", "n2", T1), running("b", "n3", T1)];
    let v = view(
        &[
            ("n1", true, true),
            ("n2", false, true),
            ("n3", false, false),
        ],
        pods,
    );
    let p = run(&v, false);
    assert_eq!(p.plan.create, ["n1"]);
    assert_eq!(
        deleted(&p),
        ["b"],
        "n2 keeps its misscheduled pod, n3 loses it"
    );
}

#[test]
fn duplicates_keep_the_oldest_and_break_ties_by_name() {
    let v = view(
        &[("n1", true, true)],
        vec![running("b", "n1", T2), running("z", "n1", T1)],
    );
    assert_eq!(deleted(&run(&v, false)), ["b"]);
    let v = view(
        &[("n1", true, true)],
        vec![running("b", "n1", T1), running("a", "n1", T1)],
    );
    assert_eq!(deleted(&run(&v, false)), ["b"]);
}

#[test]
fn a_node_whose_pods_are_all_terminating_waits() {
    let mut p = running("a", "n1", T1).as_ref().clone();
    p.metadata.deletion_timestamp = p.metadata.creation_timestamp.clone();
    let v = view(&[("n1", true, true)], vec![Arc::new(p)]);
    let plan = run(&v, false);
    assert!(plan.plan.create.is_empty() && plan.plan.delete.is_empty());
}

#[test]
fn failed_pods_back_off_succeeded_pods_do_not() {
    let v = view(
        &[("n1", true, true), ("n2", true, true)],
        vec![
            pod("f", "n1", T1, "h", "Failed", false),
            pod("s", "n2", T1, "h", "Succeeded", false),
        ],
    );
    let mut backoff = Backoff::default();
    let scope = BackoffScope {
        ds_uid: "uid",
        observed_generation: 1,
    };
    let first = plan(&v, false, &mut backoff, scope);
    assert_eq!(deleted(&first), ["f", "s"]);
    assert_eq!((first.failed.len(), first.succeeded.len()), (1, 1));
    assert_eq!(first.requeue_after, None);
    // Right after, the failed pod on n1 is in backoff; the succeeded one is deleted again.
    let second = plan(&v, false, &mut backoff, scope);
    assert_eq!(deleted(&second), ["s"]);
    assert_eq!(second.requeue_after, Some(SignedDuration::from_secs(1)));
    // A new generation is a new key.
    let next_gen = BackoffScope {
        observed_generation: 2,
        ..scope
    };
    assert_eq!(
        deleted(&plan(&v, false, &mut backoff, next_gen)),
        ["f", "s"]
    );
}

#[test]
fn surge_keeps_one_old_and_one_new_and_drops_the_old_when_the_new_is_available() {
    let old = pod("old", "n1", T1, "x", "Running", true);
    let old2 = pod("old2", "n1", T2, "x", "Running", true);
    let new_unready = pod("new", "n1", T2, "h", "Running", false);
    let v = view(&[("n1", true, true)], vec![old.clone(), old2, new_unready]);
    assert_eq!(deleted(&run(&v, true)), ["old2"]);
    let new_ready = pod("new", "n1", T2, "h", "Running", true);
    let v = view(&[("n1", true, true)], vec![old.clone(), new_ready]);
    assert_eq!(deleted(&run(&v, true)), ["old"]);
    let old_unready = pod("old", "n1", T1, "x", "Running", false);
    let v = view(
        &[("n1", true, true)],
        vec![old_unready, pod("new", "n1", T2, "h", "Running", false)],
    );
    assert_eq!(deleted(&run(&v, true)), ["old"]);
    // With surge, a desired node whose pods are all gone gets one.
    let v = view(
        &[("n1", true, true)],
        vec![pod("f", "n1", T1, "h", "Succeeded", false)],
    );
    assert_eq!(run(&v, true).plan.create, ["n1"]);
}

#[test]
fn unscheduled_pods_of_missing_nodes_are_deleted_bound_ones_are_left_to_gc() {
    let v = view(
        &[("n1", true, true)],
        vec![
            running("a", "n1", T1),
            unbound("ghost", "gone"),
            running("bound", "gone", T1),
        ],
    );
    assert_eq!(deleted(&run(&v, false)), ["ghost"]);
}
