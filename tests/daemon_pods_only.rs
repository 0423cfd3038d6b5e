//! herd watches only the pods DaemonSets create, with a label selector both labels of which the
//! DaemonSet controller stamps on every pod it makes. Held here over HTTP, on the demo with
//! application pods on every node: the selector lists exactly the pods a DaemonSet controls —
//! before and after a rolling update, and after an OnDelete replacement — and none of the
//! applications'; the metrics poll's selector reads the same pods' usage.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

use common::server::{TestSim, raw};
use herd_core::model::others::DAEMON_POD_SELECTOR;

async fn frozen_demo_with_apps() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.app_pods_per_node = 3;
        o.speed = 0.0;
    })
    .await
}

fn settle(sim: &TestSim) {
    assert!(sim.handle.world.lock().settle(), "the cluster settles");
}

/// Names of the pods a DaemonSet controls (its controller ownerReference), and of the pods the
/// selector lists.
async fn both_sets(c: &Client) -> (BTreeSet<String>, BTreeSet<String>, usize) {
    let pods: Api<Pod> = Api::all(c.clone());
    let all = pods.list(&ListParams::default()).await.expect("every pod");
    let controlled: BTreeSet<String> = all
        .items
        .iter()
        .filter(|p| {
            p.metadata.owner_references.iter().flatten().any(|r| {
                r.controller == Some(true) && r.kind == "DaemonSet" && r.api_version == "apps/v1"
            })
        })
        .map(|p| p.metadata.name.clone().expect("name"))
        .collect();
    let selected: BTreeSet<String> = pods
        .list(&ListParams::default().labels(DAEMON_POD_SELECTOR))
        .await
        .expect("the daemon pods")
        .items
        .iter()
        .map(|p| p.metadata.name.clone().expect("name"))
        .collect();
    (controlled, selected, all.items.len())
}

async fn assert_selector_is_the_daemon_pods(c: &Client, when: &str) {
    let (controlled, selected, all) = both_sets(c).await;
    assert!(!controlled.is_empty());
    assert_eq!(selected, controlled, "{when}");
    assert!(
        all > selected.len() + 100,
        "{when}: the application pods are there ({all} pods) and not selected"
    );
}

fn hash_of(pod: &Pod) -> String {
    pod.metadata.labels.as_ref().expect("labels")["controller-revision-hash"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_selector_is_every_pod_the_controller_creates_and_nothing_else() {
    let sim = frozen_demo_with_apps().await;
    let c = sim.client().await;
    assert_selector_is_the_daemon_pods(&c, "on the demo").await;

    // A rolling update: fluent-bit's pods are replaced under a new revision hash.
    let sets: Api<DaemonSet> = Api::namespaced(c.clone(), "logging");
    let before: Api<Pod> = Api::namespaced(c.clone(), "logging");
    let old_hash = hash_of(
        &before
            .list(&ListParams::default())
            .await
            .expect("pods")
            .items[0],
    );
    let image = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "fluent-bit", "image": "cr.fluentbit.io/fluent/fluent-bit:3.2.1"}]}}}});
    sets.patch(
        "fluent-bit",
        &PatchParams::default(),
        &Patch::Strategic(&image),
    )
    .await
    .expect("image patched");
    settle(&sim);
    assert_selector_is_the_daemon_pods(&c, "after a rolling update").await;
    let after = before.list(&ListParams::default()).await.expect("pods");
    // The NotReady node's pod holds the budget (maxUnavailable 1), as upstream's would: the
    // rollout replaces what it can, and the replacements carry the new revision.
    let replaced = after
        .items
        .iter()
        .filter(|p| hash_of(p) != old_hash)
        .count();
    assert!(replaced >= 1, "pods of the new revision");

    // OnDelete: the template changes, nothing moves until a pod is deleted; its replacement
    // carries the new revision and is selected.
    let on_delete = json!({"spec": {"updateStrategy": {"type": "OnDelete", "rollingUpdate": null},
        "template": {"metadata": {"annotations": {"herd.dev/test": "on-delete"}}}}});
    let exporters: Api<DaemonSet> = Api::namespaced(c.clone(), "monitoring");
    exporters
        .patch(
            "node-exporter",
            &PatchParams::default(),
            &Patch::Merge(&on_delete),
        )
        .await
        .expect("OnDelete and a new template");
    settle(&sim);
    let pods: Api<Pod> = Api::namespaced(c.clone(), "monitoring");
    let victim = pods.list(&ListParams::default()).await.expect("pods").items[0].clone();
    let victim_name = victim.metadata.name.clone().expect("name");
    pods.delete(&victim_name, &DeleteParams::default())
        .await
        .expect("deleted");
    settle(&sim);
    let node = victim
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .expect("bound");
    let replacement = pods
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .expect("pods")
        .items
        .into_iter()
        .find(|p| p.metadata.name.as_deref() != Some(&victim_name))
        .expect("a replacement on the same node");
    assert_ne!(hash_of(&replacement), hash_of(&victim), "the new revision");
    assert_selector_is_the_daemon_pods(&c, "after an OnDelete replacement").await;
}

/// metrics-server filters PodMetrics on the pods' labels: the poll with herd's selector reads
/// the daemon pods' usage and none of the applications'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_poll_with_the_selector_reads_only_daemon_pods() {
    let sim = frozen_demo_with_apps().await;
    let c = sim.client().await;
    let (_, daemon_pods, _) = both_sets(&c).await;
    let path = format!(
        "/apis/metrics.k8s.io/v1beta1/pods?labelSelector={}",
        DAEMON_POD_SELECTOR.replace(',', "%2C")
    );
    let answer = raw(&c, axum::http::Method::GET, &path, None, String::new()).await;
    assert_eq!(answer.code, 200, "{}", answer.text);
    let names: BTreeSet<String> = answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["metadata"]["name"].as_str().expect("name").to_string())
        .collect();
    assert!(!names.is_empty());
    assert!(
        names.is_subset(&daemon_pods),
        "only daemon pods: {:?}",
        names.difference(&daemon_pods).take(3).collect::<Vec<_>>()
    );
}
