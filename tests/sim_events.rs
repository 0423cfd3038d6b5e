//! The kubelet's and the node's Events as upstream records them, read over HTTP: a new pod's
//! Scheduled, Pulling, Pulled, Created, Started in that order, Killing as a deleted pod stops,
//! a crash loop's repeats folded into one Event with a count, a node going NotReady and Ready
//! again; a pod patched to Failed stays failed and is replaced, with the controller's
//! FailedDaemonPod; and a scenario's build, like a cluster that old, shows none of its own.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Api;
use kube::api::{DeleteParams, ListParams};

use common::rollout::demo;
use common::server::{TestSim, eventually, require_kubectl, succeeded};

/// Every Event about the object named `name`, oldest first (in the order they were made, when
/// they fall in the same second).
async fn events_of(sim: &TestSim, name: &str) -> Vec<Event> {
    let events: Api<Event> = Api::all(sim.client().await);
    let params = ListParams::default().fields(&format!("involvedObject.name={name}"));
    let mut list = events.list(&params).await.expect("events").items;
    list.sort_by_key(|e| {
        let made: u64 = e
            .metadata
            .resource_version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        (e.first_timestamp.clone().map(|t| t.0), made)
    });
    list
}

fn reasons(events: &[Event]) -> Vec<String> {
    events.iter().filter_map(|e| e.reason.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_pod_and_a_crash_loop_read_as_on_a_real_kubelet() {
    require_kubectl();
    let sim = demo().await;
    let events: Api<Event> = Api::all(sim.client().await);
    let at_start = events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items;
    assert!(
        at_start
            .iter()
            .all(|e| e.involved_object.kind.as_deref() != Some("Node")),
        "the build records no node events"
    );

    let pods: Api<Pod> = Api::namespaced(sim.client().await, "monitoring");
    let old = pods.list(&ListParams::default()).await.expect("pods").items[0]
        .metadata
        .name
        .clone()
        .expect("a name");
    pods.delete(&old, &DeleteParams::default())
        .await
        .expect("deleted");
    let stopped = eventually("the old pod's Killing", || async {
        let e = events_of(&sim, &old).await;
        reasons(&e).contains(&"Killing".to_string()).then_some(e)
    })
    .await;
    let killing = stopped
        .iter()
        .find(|e| e.reason.as_deref() == Some("Killing"))
        .unwrap();
    assert_eq!(
        killing.message.as_deref(),
        Some("Stopping container node-exporter")
    );

    let started = eventually("a replacement, started", || async {
        let list = pods.list(&ListParams::default()).await.ok()?.items;
        for p in list {
            let name = p.metadata.name.clone()?;
            let e = events_of(&sim, &name).await;
            if reasons(&e).contains(&"Started".to_string()) {
                return Some(e);
            }
        }
        None
    })
    .await;
    assert_eq!(
        reasons(&started),
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"],
        "in the kubelet's order"
    );
    let pulled = started[2].message.clone().unwrap_or_default();
    assert!(
        pulled.starts_with("Successfully pulled image \"quay.io/prometheus/node-exporter")
            && pulled.contains("Image size:"),
        "{pulled}"
    );
    assert_eq!(
        started[3].message.as_deref(),
        Some("Created container: node-exporter")
    );

    // The crash loop on general-01: each restart folds into the same Events, counted.
    let system: Api<Pod> = Api::namespaced(sim.client().await, "kube-system");
    let npd = system
        .list(&ListParams::default().fields("spec.nodeName=general-01"))
        .await
        .expect("pods")
        .items
        .into_iter()
        .find_map(|p| {
            p.metadata
                .name
                .filter(|n| n.starts_with("node-problem-detector-"))
        })
        .expect("node-problem-detector on general-01");
    let looping = events_of(&sim, &npd).await;
    let count = |reason: &str| {
        looping
            .iter()
            .find(|e| e.reason.as_deref() == Some(reason))
            .and_then(|e| e.count)
            .unwrap_or(0)
    };
    assert!(count("BackOff") > 1 && count("Started") > 1, "{looping:?}");
    let already = looping.iter().find(|e| {
        e.message
            .as_deref()
            .is_some_and(|m| m.contains("already present on machine"))
    });
    assert!(
        already.is_some(),
        "a restart finds its image there: {looping:?}"
    );
    // kubectl describe reads them as it would on a real cluster.
    let described = succeeded(
        &sim.kubectl(&["describe", "pod", "-n", "kube-system", &npd])
            .await,
    );
    for line in [
        "Created container: node-problem-detector",
        "Back-off restarting failed container",
    ] {
        assert!(described.contains(line), "{line} in:\n{described}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_going_not_ready_and_back_is_said_on_the_node() {
    require_kubectl();
    let sim = demo().await;
    succeeded(
        &sim.kubectl(&["annotate", "node", "general-05", "sim.herd.dev/ready=false"])
            .await,
    );
    eventually("NodeNotReady on general-05", || async {
        reasons(&events_of(&sim, "general-05").await)
            .contains(&"NodeNotReady".to_string())
            .then_some(())
    })
    .await;
    succeeded(
        &sim.kubectl(&["annotate", "node", "general-05", "sim.herd.dev/ready-"])
            .await,
    );
    let e = eventually("NodeReady on general-05", || async {
        let e = events_of(&sim, "general-05").await;
        reasons(&e).contains(&"NodeReady".to_string()).then_some(e)
    })
    .await;
    let ready = e
        .iter()
        .find(|e| e.reason.as_deref() == Some("NodeReady"))
        .unwrap();
    assert_eq!(
        ready.message.as_deref(),
        Some("Node general-05 status is now: NodeReady")
    );
}

/// A pod whose status is patched to Failed (as a kubelet does on an eviction) is terminal: it
/// never reads Running again, and the DaemonSet controller deletes it, says so, and creates a
/// replacement on its node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_patched_to_failed_stays_failed_and_the_controller_replaces_it() {
    let sim = demo().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().await, "monitoring");
    let victim = pods
        .list(&ListParams::default().fields("spec.nodeName=general-09"))
        .await
        .expect("pods")
        .items
        .remove(0);
    let name = victim.metadata.name.clone().expect("a name");
    let patch = serde_json::json!({"status": {"phase": "Failed", "reason": "Evicted",
        "message": "The node was low on resource: memory."}});
    let patched = pods
        .patch_status(
            &name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .expect("patched");
    assert_eq!(
        patched.status.and_then(|s| s.phase).as_deref(),
        Some("Failed")
    );
    eventually("the failed pod gone and another on general-09", || async {
        let now = pods
            .list(&ListParams::default().fields("spec.nodeName=general-09"))
            .await
            .ok()?
            .items;
        if let Some(p) = now
            .iter()
            .find(|p| p.metadata.name.as_deref() == Some(&name))
        {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            assert_ne!(phase, Some("Running"), "a terminal phase stays terminal");
            return None;
        }
        (!now.is_empty()).then_some(())
    })
    .await;
    let said = events_of(&sim, "node-exporter").await;
    assert!(
        said.iter()
            .any(|e| e.reason.as_deref() == Some("FailedDaemonPod")
                && e.message.as_deref().is_some_and(|m| m.contains(&name))),
        "{said:?}"
    );
}
