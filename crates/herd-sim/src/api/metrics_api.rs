//! The metrics.k8s.io/v1beta1 API: NodeMetrics and PodMetrics computed from the world's usage
//! model (`sim::metrics`) at request time, in metrics-server's format.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::route::{MetricsPath, MetricsResource};
use super::selector::LabelSelector;
use super::status::ApiError;
use crate::World;
use crate::kinds::KindInfo;
use crate::metrics::{self, Usage};

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

// The answer is written straight from typed values borrowing the world (150,000 pods make a
// 62 MiB list: building a JSON tree of it first cost seconds). Fields are declared in
// alphabetical order: the JSON stays byte for byte what a sorted `serde_json::Value` wrote.

/// CPU as nanocores ("123000000n") and memory in KiB ("2048Ki"), as metrics-server serves them.
#[derive(Serialize)]
pub struct UsageJson {
    #[serde(serialize_with = "nanocores")]
    cpu: u64,
    #[serde(serialize_with = "kibibytes")]
    memory: u64,
}

pub fn usage_json(usage: Usage) -> UsageJson {
    UsageJson {
        cpu: usage.cpu_millis,
        memory: usage.memory_bytes,
    }
}

/// Writes `{value}{suffix}` as a JSON string without building the string first.
struct Suffixed(u64, &'static str);

impl fmt::Display for Suffixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

fn nanocores<S: Serializer>(millis: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Suffixed(millis.saturating_mul(1_000_000), "n"))
}

fn kibibytes<S: Serializer>(bytes: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Suffixed(bytes / 1024, "Ki"))
}

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    creation_timestamp: &'a Value,
    labels: &'a BTreeMap<String, String>,
    name: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

fn metadata<'a>(meta: &'a ObjectMeta, now: &'a Value) -> Metadata<'a> {
    Metadata {
        creation_timestamp: now,
        labels: meta.labels.as_ref().unwrap_or(&NO_LABELS),
        name: &meta.name,
        namespace: meta.namespace.as_deref(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeMetrics<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    timestamp: &'a Value,
    usage: UsageJson,
    window: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMetrics<'a> {
    api_version: &'static str,
    containers: Vec<ContainerMetrics>,
    kind: &'static str,
    metadata: Metadata<'a>,
    timestamp: &'a Value,
    window: &'static str,
}

#[derive(Serialize)]
struct ContainerMetrics {
    name: String,
    usage: UsageJson,
}

/// `now` as the API writes a time ("2026-01-01T00:00:00Z"), written once per answer.
fn stamp(now: Timestamp) -> Value {
    serde_json::to_value(Time(now)).unwrap_or(Value::Null)
}

pub fn node_metrics<'a>(node: &'a Node, usage: Usage, now: &'a Value) -> NodeMetrics<'a> {
    NodeMetrics {
        api_version: API_VERSION,
        kind: "NodeMetrics",
        metadata: metadata(&node.metadata, now),
        timestamp: now,
        usage: usage_json(usage),
        window: WINDOW,
    }
}

pub fn pod_metrics<'a>(
    pod: &'a Pod,
    containers: Vec<metrics::ContainerUsage>,
    now: &'a Value,
) -> PodMetrics<'a> {
    PodMetrics {
        api_version: API_VERSION,
        containers: containers
            .into_iter()
            .map(|c| ContainerMetrics {
                name: c.name,
                usage: usage_json(c.usage),
            })
            .collect(),
        kind: "PodMetrics",
        metadata: metadata(&pod.metadata, now),
        timestamp: now,
        window: WINDOW,
    }
}

/// One metrics object, or a list of them.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Answer<'a, T> {
    One(T),
    List(List<'a, T>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct List<'a, T> {
    api_version: &'static str,
    items: Vec<T>,
    kind: &'a str,
    metadata: BTreeMap<String, String>,
}

/// Either kind's answer.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Served<'a> {
    Nodes(Answer<'a, NodeMetrics<'a>>),
    Pods(Answer<'a, PodMetrics<'a>>),
}

fn answer<'a, T>(
    info: &'static KindInfo,
    name: Option<&String>,
    items: Vec<T>,
) -> Result<Answer<'a, T>, ApiError> {
    if let Some(name) = name {
        return items
            .into_iter()
            .next()
            .map(Answer::One)
            .ok_or_else(|| ApiError::not_found(info, name));
    }
    Ok(Answer::List(List {
        api_version: API_VERSION,
        items,
        kind: info.list_kind,
        metadata: BTreeMap::new(),
    }))
}

/// Answers a metrics request (a single object or a list), borrowing from `world` and `now`
/// (the world's time as [`stamp`] writes it).
pub fn serve<'a>(
    world: &'a World,
    now: &'a Value,
    path: &MetricsPath,
    labels: &LabelSelector,
) -> Result<Served<'a>, ApiError> {
    let store = &world.store;
    match path.resource {
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
            answer(&NODE_METRICS, path.name.as_ref(), items).map(Served::Nodes)
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
                .filter_map(|p| metrics::pod_usage(world, p).map(|c| pod_metrics(p, c, now)))
                .collect::<Vec<_>>();
            answer(&POD_METRICS, path.name.as_ref(), items).map(Served::Pods)
        }
    }
}

/// The whole answer as JSON bytes, the world locked only while it is written.
pub fn serve_json(
    world: &World,
    path: &MetricsPath,
    labels: &LabelSelector,
) -> Result<Vec<u8>, ApiError> {
    let now = stamp(world.now());
    let served = serve(world, &now, path, labels)?;
    serde_json::to_vec(&served).map_err(|e| ApiError::internal(e.to_string()))
}

/// A metrics answer in protobuf, as metrics-server writes it when asked.
pub fn to_protobuf(json: &[u8]) -> Result<axum::response::Response, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| ApiError::internal(e.to_string()))?;
    let body =
        super::protobuf::value_bytes(&value).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(super::status::protobuf_response(
        axum::http::StatusCode::OK,
        body,
    ))
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
        let now = stamp(Timestamp::UNIX_EPOCH);
        let m = serde_json::to_value(node_metrics(&node, usage, &now)).unwrap();
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
        let err = serve_json(&world, &path, &LabelSelector::default()).expect_err("no such node");
        assert_eq!(err.code, 404);
        assert!(err.message.contains("nodes.metrics.k8s.io \"x\" not found"));
    }
}
