//! metrics.k8s.io/v1beta1 objects as herd reads them: names borrowed from the response bytes
//! and usage summed while decoding; labels, timestamps and the window skipped unread.

use std::borrow::Cow;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use herd_convert::lean_pod::Amount;
use herd_core::model::resources::Usage;
use herd_core::model::usage::{NodeUsage, PodUsage};

/// A metrics.k8s.io/v1beta1 PodMetrics reduced to what herd reads: its name and namespace
/// (borrowed from the response bytes) and its containers' usage, summed while decoding.
/// Pod labels, timestamps and the window are skipped unread.
#[derive(Debug, Deserialize)]
pub(super) struct PodMetrics<'a> {
    #[serde(borrow, default)]
    metadata: Option<Names<'a>>,
    #[serde(default)]
    containers: Option<ContainerSum>,
}

/// A metrics.k8s.io/v1beta1 NodeMetrics: the node's name and usage.
#[derive(Debug, Deserialize)]
pub(super) struct NodeMetrics<'a> {
    #[serde(borrow, default)]
    metadata: Option<Names<'a>>,
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Debug, Deserialize)]
struct Names<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
}

/// The usage of a pod's containers added up as the array is read, so a pod costs no `Vec`.
#[derive(Debug, Default)]
struct ContainerSum(Usage);

impl<'de> Deserialize<'de> for ContainerSum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Container {
            #[serde(default)]
            usage: Option<UsageWire>,
        }
        struct Sum;
        impl<'de> Visitor<'de> for Sum {
            type Value = ContainerSum;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of containers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ContainerSum, A::Error> {
                let mut sum = Usage::default();
                while let Some(container) = seq.next_element::<Container>()? {
                    let usage = container.usage.unwrap_or_default().usage();
                    // Saturating: a metrics server's numbers are not herd's to trust.
                    sum.cpu_millis = sum.cpu_millis.saturating_add(usage.cpu_millis);
                    sum.memory_bytes = sum.memory_bytes.saturating_add(usage.memory_bytes);
                }
                Ok(ContainerSum(sum))
            }
        }
        d.deserialize_seq(Sum)
    }
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

/// A node's usage; None for items without a name or usage.
pub(super) fn node_usage(item: NodeMetrics<'_>) -> Option<NodeUsage> {
    Some(NodeUsage {
        name: item.metadata?.name?.into_owned(),
        usage: item.usage?.usage(),
    })
}

/// A pod's usage: the sum over its containers. None for items without a name or containers.
pub(super) fn pod_usage(item: PodMetrics<'_>) -> Option<PodUsage> {
    let names = item.metadata?;
    Some(PodUsage {
        name: names.name?.into_owned(),
        namespace: names.namespace.map(Cow::into_owned).unwrap_or_default(),
        usage: item.containers?.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_usage_sums_containers_in_metrics_server_units() {
        let text = json!({
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
        })
        .to_string();
        let item: PodMetrics = serde_json::from_str(&text).expect("PodMetrics json");
        let usage = pod_usage(item).expect("usage");
        assert_eq!(usage.name, "p");
        assert_eq!(usage.namespace, "ns");
        assert_eq!(usage.usage.cpu_millis, 300);
        assert_eq!(usage.usage.memory_bytes, 2 * 1024 * 1024);
    }

    #[test]
    fn node_usage_reads_metrics_server_units() {
        let text = json!({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "NodeMetrics",
            "metadata": {"name": "n1"},
            "timestamp": "2025-01-01T00:00:00Z",
            "window": "15s",
            "usage": {"cpu": "1500000000n", "memory": "2Gi"}
        })
        .to_string();
        let item: NodeMetrics = serde_json::from_str(&text).expect("NodeMetrics json");
        let usage = node_usage(item).expect("usage");
        assert_eq!(usage.name, "n1");
        assert_eq!(usage.usage.cpu_millis, 1500);
        assert_eq!(usage.usage.memory_bytes, 2 * 1024 * 1024 * 1024);
        let bare = r#"{"kind": "NodeMetrics", "metadata": {"name": "n2"}}"#;
        let bare: NodeMetrics = serde_json::from_str(bare).expect("NodeMetrics json");
        assert_eq!(node_usage(bare), None);
        let escaped = r#"{"metadata": {"name": "n\u0033"}, "usage": {"cpu": "1"}}"#;
        let escaped: NodeMetrics = serde_json::from_str(escaped).expect("NodeMetrics json");
        assert_eq!(node_usage(escaped).expect("usage").name, "n3");
    }
}
