//! A node's pods that the pod watch does not carry (with only daemon pods watched): listed with
//! a `spec.nodeName` field selector, as `kubectl describe node` lists them, and reduced to what
//! the scheduler counts against the node — the requests of pods bound there and not finished.

use std::sync::Arc;

use jiff::Timestamp;
use kube::api::ListParams;
use kube::{Api, Client};

use herd_convert::{lean_pod, records};
use herd_core::model::others::{OtherPod, OtherPods};

/// The pods on `node` that are not the DaemonSet controller's, as read now.
pub async fn other_pods(client: &Client, node: &str, now: Timestamp) -> anyhow::Result<OtherPods> {
    let params = ListParams::default().fields(&format!(
        "spec.nodeName={node},status.phase!=Succeeded,status.phase!=Failed"
    ));
    let list = Api::<lean_pod::Pod>::all(client.clone())
        .list(&params)
        .await
        .map_err(|e| anyhow::anyhow!("listing the pods on node {node}: {e}"))?;
    let pods = list
        .items
        .iter()
        .map(records::pod)
        // Daemon pods come from the watch; counting them here too would count them twice.
        .filter(|p| !p.is_daemon_created() && p.occupies_node())
        .map(|p| OtherPod {
            requests: p.requests(),
            namespace: p.namespace,
            name: p.name,
        })
        .collect();
    Ok(OtherPods {
        node: Arc::from(node),
        read_at: now,
        pods,
    })
}
