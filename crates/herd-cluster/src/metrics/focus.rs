//! The poll of what the screen shows ([`UsageFocus`]), between fleet-wide polls: a
//! DaemonSet's pods by its selector, single pods and nodes by name, or every node.

use jiff::Timestamp;

use super::{
    ListFailure, METRICS_API, MetricsApis, NodeMetrics, PodMetrics, Problem, node_usage, pod_usage,
    read_node_list, read_pod_list, trouble,
};
use crate::watch::Feed;
use herd_core::model::feed::FeedKind;
use herd_core::model::fleet::FleetEvent;
use herd_core::model::usage::{MetricsSnapshot, NodeFocus, UsageFocus, UsageReach};
use kube::Client;
use kube::api::ListParams;

/// A poll of what the screen shows: a DaemonSet's pods by its selector, single pods and
/// nodes by name, or every node. A pod or node the metrics API does not know (404) has no
/// usage yet and is skipped; other failures are trouble, as in a fleet poll.
pub async fn poll_focus(apis: &MetricsApis, focus: &UsageFocus) -> Vec<Feed> {
    let mut pods = Vec::new();
    let mut nodes = Vec::new();
    let mut failures: Vec<(FeedKind, ListFailure)> = Vec::new();
    if let Some((namespace, selector)) = &focus.daemon_set {
        let url = format!("{METRICS_API}/namespaces/{namespace}/pods");
        let params = ListParams::default().labels(selector);
        let read = read_pod_list(&apis.client, &url, &params, &mut pods).await;
        if let Err(failure) = read {
            failures.push((FeedKind::Metrics, failure));
        }
    }
    let gets = focus.pods.iter().map(|(namespace, name)| async move {
        let url = format!("{METRICS_API}/namespaces/{namespace}/pods");
        read_one(&apis.client, &url, name, "a PodMetrics", |text| {
            serde_json::from_str::<PodMetrics>(text).map(pod_usage)
        })
        .await
    });
    for read in futures::future::join_all(gets).await {
        match read {
            Ok(usage) => pods.extend(usage),
            Err(failure) => failures.push((FeedKind::Metrics, failure)),
        }
    }
    match &focus.nodes {
        NodeFocus::None => {}
        NodeFocus::One(name) => {
            let read = read_one(
                &apis.client,
                &apis.nodes_url,
                name,
                "a NodeMetrics",
                |text| serde_json::from_str::<NodeMetrics>(text).map(node_usage),
            );
            match read.await {
                Ok(usage) => nodes.extend(usage),
                Err(failure) => failures.push((FeedKind::NodeMetrics, failure)),
            }
        }
        NodeFocus::All => {
            let read = read_node_list(&apis.client, &apis.nodes_url, &mut nodes).await;
            if let Err(failure) = read {
                failures.push((FeedKind::NodeMetrics, failure));
            }
        }
    }
    let mut feeds = Vec::new();
    if !pods.is_empty() || !nodes.is_empty() {
        feeds.push(Feed::Event(FleetEvent::Metrics(MetricsSnapshot {
            at: Timestamp::now(),
            pods,
            nodes,
            stretched: None,
            reach: UsageReach::Focus,
        })));
    }
    // One trouble per feed, the first failure's.
    let mut told: Vec<FeedKind> = Vec::new();
    for (kind, failure) in failures {
        if !told.contains(&kind) {
            told.push(kind);
            feeds.push(trouble(kind, &failure));
        }
    }
    feeds
}

/// Gets one metrics object from the list at `url` by `name`, read by `decode`; `Ok(None)`
/// when the API has none by that name (a pod just created, or gone) or it carries no usage.
async fn read_one<U>(
    client: &Client,
    url: &str,
    name: &str,
    what: &str,
    decode: impl FnOnce(&str) -> serde_json::Result<Option<U>>,
) -> Result<Option<U>, ListFailure> {
    let request = kube::core::Request::new(url)
        .get(name, &kube::api::GetParams::default())
        .map_err(|e| ListFailure::Other(format!("building the request for {what}: {e}")))?;
    match client.request_text(request).await {
        Ok(text) => decode(&text).map_err(|e| ListFailure::Other(format!("reading {what}: {e}"))),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(kube::Error::Api(status)) => Err(ListFailure::Api(status)),
        Err(e) => Err(ListFailure::Other(Problem::of_kube(&e).text)),
    }
}
