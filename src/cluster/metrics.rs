//! Polls metrics.k8s.io/v1beta1 PodMetrics every few seconds and sends the usage as
//! `FleetEvent::Metrics`; an absent metrics API is sent as `MetricsUnavailable`, a state.

use std::time::Duration;

use jiff::Timestamp;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Api, Client};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::watch::{Feed, Scope};
use crate::model::fleet::FleetEvent;
use crate::model::quantity::Quantity;
use crate::model::resources::Usage;
use crate::model::usage::{MetricsSnapshot, PodUsage};

/// Starts polling PodMetrics in `scope` every `every`, first poll at once; runs until the
/// receiver is dropped.
pub fn spawn_metrics(
    client: &Client,
    scope: &Scope,
    every: Duration,
    tx: &mpsc::Sender<Feed>,
) -> JoinHandle<()> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics"),
        "pods",
    );
    let api: Api<DynamicObject> = match &scope.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let tx = tx.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            if tx.send(poll(&api).await).await.is_err() {
                return;
            }
        }
    })
}

/// One poll: usage, or the metrics API's absence as a state, or trouble for other failures.
pub async fn poll(api: &Api<DynamicObject>) -> Feed {
    match api.list(&ListParams::default()).await {
        Ok(list) => {
            let now = Timestamp::now();
            let pods = list.items.iter().filter_map(pod_usage).collect();
            Feed::Event(FleetEvent::Metrics(MetricsSnapshot { at: now, pods }))
        }
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 503) => {
            Feed::Event(FleetEvent::MetricsUnavailable {
                at: Timestamp::now(),
                reason: format!(
                    "metrics.k8s.io/v1beta1 answered {}: {}",
                    status.code, status.message
                ),
            })
        }
        Err(e) => Feed::Trouble {
            source: "metrics",
            message: e.to_string(),
        },
    }
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
}
