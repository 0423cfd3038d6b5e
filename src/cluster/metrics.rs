//! Polls metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics every few seconds and sends the
//! usage as `FleetEvent::Metrics`; an absent metrics API is sent as `MetricsUnavailable`, a state.

use std::time::Duration;

use jiff::Timestamp;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::core::Status;
use kube::{Api, Client};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::watch::{Feed, Scope};
use crate::model::fleet::FleetEvent;
use crate::model::quantity::Quantity;
use crate::model::resources::Usage;
use crate::model::usage::{MetricsSnapshot, NodeUsage, PodUsage};

/// The two lists one poll reads: PodMetrics in the scope, NodeMetrics of every node (nodes
/// are cluster-scoped and always watched whole).
pub struct MetricsApis {
    pods: Api<DynamicObject>,
    nodes: Api<DynamicObject>,
}

impl MetricsApis {
    pub fn new(client: &Client, scope: &Scope) -> Self {
        let resource = |kind, plural| {
            ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", kind),
                plural,
            )
        };
        let pods = resource("PodMetrics", "pods");
        let pods = match &scope.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &pods),
            None => Api::all_with(client.clone(), &pods),
        };
        let nodes = Api::all_with(client.clone(), &resource("NodeMetrics", "nodes"));
        MetricsApis { pods, nodes }
    }
}

/// Starts polling pod and node metrics every `every`, first poll at once; runs until the
/// receiver is dropped.
pub fn spawn_metrics(
    client: &Client,
    scope: &Scope,
    every: Duration,
    tx: &mpsc::Sender<Feed>,
) -> JoinHandle<()> {
    let apis = MetricsApis::new(client, scope);
    let tx = tx.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            for feed in poll(&apis).await {
                if tx.send(feed).await.is_err() {
                    return;
                }
            }
        }
    })
}

/// One poll: usage, or the metrics API's absence as a state, or trouble for other failures.
/// A failed node list still sends the pods' usage, followed by its own trouble.
pub async fn poll(apis: &MetricsApis) -> Vec<Feed> {
    let params = ListParams::default();
    let (pods, nodes) = tokio::join!(apis.pods.list(&params), apis.nodes.list(&params));
    let pods = match pods {
        Ok(list) => list.items.iter().filter_map(pod_usage).collect(),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 503) => {
            return vec![unavailable(&status)];
        }
        Err(e) => {
            return vec![Feed::Trouble {
                source: "metrics",
                message: e.to_string(),
            }];
        }
    };
    let (nodes, trouble) = match nodes {
        Ok(list) => (list.items.iter().filter_map(node_usage).collect(), None),
        Err(e) => (
            Vec::new(),
            Some(Feed::Trouble {
                source: "node metrics",
                message: e.to_string(),
            }),
        ),
    };
    let snapshot = MetricsSnapshot {
        at: Timestamp::now(),
        pods,
        nodes,
    };
    std::iter::once(Feed::Event(FleetEvent::Metrics(snapshot)))
        .chain(trouble)
        .collect()
}

fn unavailable(status: &Status) -> Feed {
    Feed::Event(FleetEvent::MetricsUnavailable {
        at: Timestamp::now(),
        reason: format!(
            "metrics.k8s.io/v1beta1 answered {}: {}",
            status.code, status.message
        ),
    })
}

/// A node's usage; None for items without a name or usage.
fn node_usage(item: &DynamicObject) -> Option<NodeUsage> {
    let name = item.metadata.name.clone()?;
    let usage = item.data.get("usage")?;
    Some(NodeUsage {
        name,
        usage: Usage {
            cpu_millis: quantity(&usage["cpu"]).map_or(0, |q| q.millis()),
            memory_bytes: quantity(&usage["memory"]).map_or(0, |q| q.value()),
        },
    })
}

/// A pod's usage: the sum over its containers. None for items without a name or usage.
fn pod_usage(item: &DynamicObject) -> Option<PodUsage> {
    let name = item.metadata.name.clone()?;
    let namespace = item.metadata.namespace.clone().unwrap_or_default();
    let containers = item.data.get("containers")?.as_array()?;
    let mut usage = Usage::default();
    for container in containers {
        let c = &container["usage"];
        usage.cpu_millis += quantity(&c["cpu"]).map_or(0, |q| q.millis());
        usage.memory_bytes += quantity(&c["memory"]).map_or(0, |q| q.value());
    }
    Some(PodUsage {
        namespace,
        name,
        usage,
    })
}

fn quantity(v: &Value) -> Option<Quantity> {
    Quantity::parse(v.as_str()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_usage_sums_containers_in_metrics_server_units() {
        let item: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "PodMetrics",
            "metadata": {"name": "p", "namespace": "ns"},
            "containers": [
                {"name": "a", "usage": {"cpu": "250000000n", "memory": "1024Ki"}},
                {"name": "b", "usage": {"cpu": "50m", "memory": "1Mi"}}
            ]
        }))
        .expect("PodMetrics json");
        let usage = pod_usage(&item).expect("usage");
        assert_eq!(usage.name, "p");
        assert_eq!(usage.namespace, "ns");
        assert_eq!(usage.usage.cpu_millis, 300);
        assert_eq!(usage.usage.memory_bytes, 2 * 1024 * 1024);
    }

    #[test]
    fn node_usage_reads_metrics_server_units() {
        let item: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "NodeMetrics",
            "metadata": {"name": "n1"},
            "timestamp": "2025-01-01T00:00:00Z",
            "window": "15s",
            "usage": {"cpu": "1500000000n", "memory": "2Gi"}
        }))
        .expect("NodeMetrics json");
        let usage = node_usage(&item).expect("usage");
        assert_eq!(usage.name, "n1");
        assert_eq!(usage.usage.cpu_millis, 1500);
        assert_eq!(usage.usage.memory_bytes, 2 * 1024 * 1024 * 1024);
        let bare: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "NodeMetrics",
            "metadata": {"name": "n2"}
        }))
        .expect("NodeMetrics json");
        assert_eq!(node_usage(&bare), None);
    }
}
