//! The metrics.k8s.io/v1beta1 API: NodeMetrics and PodMetrics computed from the world's usage
//! model (`sim::metrics`) at request time, in metrics-server's format.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use super::route::{MetricsPath, MetricsResource};
use super::selector::LabelSelector;
use super::status::ApiError;
use crate::sim::World;
use crate::sim::kinds::KindInfo;
use crate::sim::metrics::{self, Usage};

/// The sampling window metrics-server reports.
const WINDOW: &str = "15s";
const API_VERSION: &str = "metrics.k8s.io/v1beta1";

const NODE_METRICS: KindInfo = KindInfo {
    kind: "NodeMetrics",
    list_kind: "NodeMetricsList",
    group: "metrics.k8s.io",
    version: "v1beta1",
    plural: "nodes",
    singular: "",
    namespaced: false,
    short_names: &[],
    has_status: false,
};
const POD_METRICS: KindInfo = KindInfo {
    kind: "PodMetrics",
    list_kind: "PodMetricsList",
    plural: "pods",
    namespaced: true,
    ..NODE_METRICS
};

/// CPU as nanocores ("123000000n") and memory in KiB ("2048Ki"), as metrics-server serves them.
pub fn usage_json(usage: Usage) -> Value {
    json!({
        "cpu": format!("{}n", usage.cpu_millis.saturating_mul(1_000_000)),
        "memory": format!("{}Ki", usage.memory_bytes / 1024),
    })
}

fn metadata(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    now: Timestamp,
) -> Value {
    let mut m = json!({
        "name": meta.name,
        "creationTimestamp": Time(now),
        "labels": meta.labels.clone().unwrap_or_default(),
    });
    if let Some(ns) = &meta.namespace {
        m["namespace"] = json!(ns);
    }
    m
}

pub fn node_metrics(node: &Node, usage: Usage, now: Timestamp) -> Value {
    json!({
        "kind": "NodeMetrics",
        "apiVersion": API_VERSION,
        "metadata": metadata(&node.metadata, now),
        "timestamp": Time(now),
        "window": WINDOW,
        "usage": usage_json(usage),
    })
}

pub fn pod_metrics(pod: &Pod, containers: &[metrics::ContainerUsage], now: Timestamp) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c.name, "usage": usage_json(c.usage)}))
        .collect();
    json!({
        "kind": "PodMetrics",
        "apiVersion": API_VERSION,
        "metadata": metadata(&pod.metadata, now),
        "timestamp": Time(now),
        "window": WINDOW,
        "containers": containers,
    })
}

/// Answers a metrics request as JSON (a single object or a list).
pub fn serve(world: &World, path: &MetricsPath, labels: &LabelSelector) -> Result<Value, ApiError> {
    let now = world.now();
    let store = &world.store;
    let (info, items) = match path.resource {
        MetricsResource::Nodes => {
            let nodes: Vec<_> = match &path.name {
                Some(name) => store.get::<Node>("", name).into_iter().collect(),
                None => store.table::<Node>().values().collect(),
            };
            let items = nodes
                .into_iter()
                .filter(|n| labels.matches(n.metadata.labels.as_ref()))
                .filter_map(|n| metrics::node_usage(world, n).map(|u| node_metrics(n, u, now)))
                .collect::<Vec<_>>();
            (&NODE_METRICS, items)
        }
        MetricsResource::Pods => {
            let pods: Vec<_> = match (&path.namespace, &path.name) {
                (Some(ns), Some(name)) => store.get::<Pod>(ns, name).into_iter().collect(),
                (Some(ns), None) => store.table::<Pod>().in_namespace(ns).collect(),
                (None, _) => store.table::<Pod>().values().collect(),
            };
            let items = pods
                .into_iter()
                .filter(|p| labels.matches(p.metadata.labels.as_ref()))
                .filter_map(|p| metrics::pod_usage(world, p).map(|c| pod_metrics(p, &c, now)))
                .collect::<Vec<_>>();
            (&POD_METRICS, items)
        }
    };
    if let Some(name) = &path.name {
        return items
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found(info, name));
    }
    Ok(json!({
        "kind": info.list_kind,
        "apiVersion": API_VERSION,
        "metadata": {},
        "items": items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    #[test]
    fn usage_is_served_in_metrics_server_units() {
        let node = Node {
            metadata: ObjectMeta {
                name: Some("n1".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let usage = Usage {
            cpu_millis: 250,
            memory_bytes: 512 * 1024 * 1024,
        };
        let m = node_metrics(&node, usage, Timestamp::UNIX_EPOCH);
        assert_eq!(m["usage"]["cpu"], "250000000n");
        assert_eq!(m["usage"]["memory"], "524288Ki");
        assert_eq!(m["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(m["metadata"]["name"], "n1");
        assert_eq!(m["window"], WINDOW);
    }

    #[test]
    fn unknown_node_metrics_is_404_with_the_metrics_resource() {
        let world = World::new(1, Timestamp::UNIX_EPOCH);
        let path = MetricsPath {
            resource: MetricsResource::Nodes,
            namespace: None,
            name: Some("x".into()),
        };
        let err = serve(&world, &path, &LabelSelector::default()).expect_err("no such node");
        assert_eq!(err.code, 404);
        assert!(err.message.contains("nodes.metrics.k8s.io \"x\" not found"));
    }
}
