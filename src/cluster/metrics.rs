//! Polls metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics every few seconds and sends the
//! usage as `FleetEvent::Metrics`; an absent metrics API is sent as `MetricsUnavailable`, a state.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::ListParams;
use kube::core::Status;
use kube::{Api, Client};
use serde::{Deserialize, Deserializer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::lean_pod::Amount;
use super::watch::{Feed, Scope};
use crate::model::fleet::FleetEvent;
use crate::model::resources::Usage;
use crate::model::usage::{MetricsSnapshot, NodeUsage, PodUsage};

/// The two lists one poll reads: PodMetrics in the scope, NodeMetrics of every node (nodes
/// are cluster-scoped and always watched whole).
pub struct MetricsApis {
    pods: Api<PodMetrics>,
    nodes: Api<NodeMetrics>,
}

impl MetricsApis {
    pub fn new(client: &Client, scope: &Scope) -> Self {
        let pods = match &scope.namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        let nodes = Api::all(client.clone());
        MetricsApis { pods, nodes }
    }
}

/// A metrics.k8s.io/v1beta1 PodMetrics reduced to what herd reads: its name and namespace and
/// each container's usage. Decoded straight from the JSON: a poll of 150,000 pods allocates
/// two strings per pod, not a JSON tree (pod labels, timestamps, window are skipped unread).
#[derive(Clone, Debug, Deserialize)]
pub struct PodMetrics {
    #[serde(default, deserialize_with = "name_only")]
    metadata: ObjectMeta,
    #[serde(default)]
    containers: Option<Vec<ContainerMetrics>>,
}

#[derive(Clone, Debug, Deserialize)]
struct ContainerMetrics {
    #[serde(default)]
    usage: Option<UsageWire>,
}

/// A metrics.k8s.io/v1beta1 NodeMetrics: the node's name and usage.
#[derive(Clone, Debug, Deserialize)]
pub struct NodeMetrics {
    #[serde(default, deserialize_with = "name_only")]
    metadata: ObjectMeta,
    #[serde(default)]
    usage: Option<UsageWire>,
}

/// A usage resource list: cpu and memory, unreadable or absent ones counting as zero.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
struct UsageWire {
    #[serde(default)]
    cpu: Amount,
    #[serde(default)]
    memory: Amount,
}

impl UsageWire {
    fn usage(self) -> Usage {
        Usage {
            cpu_millis: self.cpu.0.map_or(0, |q| q.millis()),
            memory_bytes: self.memory.0.map_or(0, |q| q.value()),
        }
    }
}

macro_rules! metrics_resource {
    ($type:ty, $kind:literal, $plural:literal, $scope:ty) => {
        // kube's blanket `Resource` impl then gives the typed `Api` its URLs.
        impl k8s_openapi::Resource for $type {
            const API_VERSION: &'static str = "metrics.k8s.io/v1beta1";
            const GROUP: &'static str = "metrics.k8s.io";
            const KIND: &'static str = $kind;
            const VERSION: &'static str = "v1beta1";
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = $scope;
        }
        impl k8s_openapi::Metadata for $type {
            type Ty = ObjectMeta;
            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn metadata_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
metrics_resource!(
    PodMetrics,
    "PodMetrics",
    "pods",
    k8s_openapi::NamespaceResourceScope
);
metrics_resource!(
    NodeMetrics,
    "NodeMetrics",
    "nodes",
    k8s_openapi::ClusterResourceScope
);

/// `metadata` with only its name and namespace (metrics-server copies the pod's labels too).
fn name_only<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    #[derive(Deserialize)]
    struct Wire {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        namespace: Option<String>,
    }
    Ok(
        Option::<Wire>::deserialize(d)?.map_or_else(ObjectMeta::default, |w| ObjectMeta {
            name: w.name,
            namespace: w.namespace,
            ..ObjectMeta::default()
        }),
    )
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
fn node_usage(item: &NodeMetrics) -> Option<NodeUsage> {
    Some(NodeUsage {
        name: item.metadata.name.clone()?,
        usage: item.usage?.usage(),
    })
}

/// A pod's usage: the sum over its containers. None for items without a name or containers.
fn pod_usage(item: &PodMetrics) -> Option<PodUsage> {
    let name = item.metadata.name.clone()?;
    let namespace = item.metadata.namespace.clone().unwrap_or_default();
    let mut usage = Usage::default();
    for container in item.containers.as_deref()? {
        let c = container.usage.unwrap_or_default().usage();
        usage.cpu_millis += c.cpu_millis;
        usage.memory_bytes += c.memory_bytes;
    }
    Some(PodUsage {
        namespace,
        name,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_usage_sums_containers_in_metrics_server_units() {
        let item: PodMetrics = serde_json::from_value(json!({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "PodMetrics",
            "metadata": {"name": "p", "namespace": "ns", "labels": {"app": "a"},
                         "creationTimestamp": "2025-01-01T00:00:00Z"},
            "timestamp": "2025-01-01T00:00:00Z",
            "window": "15s",
            "containers": [
                {"name": "a", "usage": {"cpu": "250000000n", "memory": "1024Ki"}},
                {"name": "b", "usage": {"cpu": "50m", "memory": "1Mi", "ephemeral": "1"}},
                {"name": "c", "usage": null},
                {"name": "d"}
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
        let item: NodeMetrics = serde_json::from_value(json!({
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
        let bare: NodeMetrics = serde_json::from_value(json!({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "NodeMetrics",
            "metadata": {"name": "n2"}
        }))
        .expect("NodeMetrics json");
        assert_eq!(node_usage(&bare), None);
    }
}
