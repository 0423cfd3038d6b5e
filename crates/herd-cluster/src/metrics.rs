//! Polls metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics every few seconds and sends the
//! usage as `FleetEvent::Metrics`; an absent metrics API is sent as `MetricsUnavailable`, a state.

use std::borrow::Cow;
use std::time::Duration;

use jiff::Timestamp;
use kube::Client;
use kube::api::ListParams;
use kube::core::Status;
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::list_stream::{decode_one, for_each_item};
use super::problem::Problem;
use super::watch::{Feed, FeedKind, Scope, WatchNews};
use herd_convert::lean_pod::Amount;
use herd_core::model::fleet::FleetEvent;
use herd_core::model::others::{DAEMON_POD_SELECTOR, PodScope};
use herd_core::model::resources::Usage;
use herd_core::model::usage::{MetricsSnapshot, NodeUsage, PodUsage};

const METRICS_API: &str = "/apis/metrics.k8s.io/v1beta1";

/// The share of one core that reading metrics may take. metrics-server has no watch: every
/// poll lists every pod's usage again, 62 MiB of JSON at 150,000 pods, and reading that costs
/// a few tenths of a second however it is done. On such fleets polls are spaced out to keep
/// within this share, so an idle herd stays idle; small fleets poll at the asked interval.
const READ_SHARE: f64 = 0.01;
/// Polls are never spaced more than this many asked intervals apart: usage stays recent.
const MAX_STRETCH: u32 = 4;

/// The wait before the next poll, after one whose reading took `read`.
pub fn poll_interval(every: Duration, read: Duration) -> Duration {
    every.max(read.div_f64(READ_SHARE)).min(every * MAX_STRETCH)
}

/// Where polls read, PodMetrics in the scope and NodeMetrics of every node (nodes are
/// cluster-scoped and always watched whole), and what the last poll tells the next.
pub struct MetricsApis {
    client: Client,
    pods_url: String,
    /// The pod list's selector: the pod watch's.
    pod_params: ListParams,
    nodes_url: String,
    /// The asked interval between polls.
    every: Duration,
    /// How many pods the last poll read: the next poll's vector is sized for as many, so a
    /// poll of 150,000 pods does not grow (and copy) its way there again every time.
    last_pods: usize,
    /// How long the last poll spent reading its lists (not waiting for them).
    last_read: Duration,
}

impl MetricsApis {
    /// The wait before the next poll: `every`, or longer after a poll costly to read.
    pub fn next_wait(&self) -> Duration {
        poll_interval(self.every, self.last_read)
    }

    pub fn new(client: &Client, scope: &Scope, every: Duration) -> Self {
        let pods_url = match &scope.namespace {
            Some(ns) => format!("{METRICS_API}/namespaces/{ns}/pods"),
            None => format!("{METRICS_API}/pods"),
        };
        // metrics-server gives each PodMetrics its pod's labels and filters on them, so the
        // poll reads the usage of the pods the watch carries and no other.
        let pod_params = match scope.pods {
            PodScope::Daemon => ListParams::default().labels(DAEMON_POD_SELECTOR),
            PodScope::All => ListParams::default(),
        };
        MetricsApis {
            client: client.clone(),
            pods_url,
            pod_params,
            nodes_url: format!("{METRICS_API}/nodes"),
            every,
            last_pods: 0,
            last_read: Duration::ZERO,
        }
    }
}

/// A metrics.k8s.io/v1beta1 PodMetrics reduced to what herd reads: its name and namespace
/// (borrowed from the response bytes) and its containers' usage, summed while decoding.
/// Pod labels, timestamps and the window are skipped unread.
#[derive(Debug, Deserialize)]
struct PodMetrics<'a> {
    #[serde(borrow, default)]
    metadata: Option<Names<'a>>,
    #[serde(default)]
    containers: Option<ContainerSum>,
}

/// A metrics.k8s.io/v1beta1 NodeMetrics: the node's name and usage.
#[derive(Debug, Deserialize)]
struct NodeMetrics<'a> {
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

/// Starts polling pod and node metrics every `every` (or further apart on fleets so large that
/// reading them would cost more than [`READ_SHARE`] of a core), the first poll as soon as the
/// pods are listed, and a poll at once whenever a watch loses the API server (or has it back
/// after a poll failed); runs until the receiver is dropped.
pub fn spawn_metrics(
    client: &Client,
    scope: &Scope,
    every: Duration,
    tx: &mpsc::Sender<Feed>,
    mut news: WatchNews,
) -> JoinHandle<()> {
    let mut apis = MetricsApis::new(client, scope, every);
    let tx = tx.clone();
    tokio::spawn(async move {
        news.pods_listed().await;
        loop {
            let feeds = poll(&mut apis).await;
            let failed = feeds.iter().any(|f| matches!(f, Feed::Trouble { .. }));
            for feed in feeds {
                if tx.send(feed).await.is_err() {
                    return;
                }
            }
            // News told while polling was seen by the poll that just ran.
            news.seen();
            // Metrics come through the API server the watches use: when a watch loses it, a
            // poll now names the metrics stale from the moment they fail, not at the next poll
            // up to a minute later; when it is back, a poll now ends a failed poll's staleness.
            // A watch tells each once per outage, so an outage adds a few polls at most.
            tokio::select! {
                () = tokio::time::sleep(apis.next_wait()) => {}
                () = news.server_news(failed) => {}
            }
        }
    })
}

/// One poll: usage, or the metrics API's absence as a state, or trouble for other failures.
/// A failed node list still sends the pods' usage, followed by its own trouble. The usage
/// says when the next poll is further away than asked.
pub async fn poll(apis: &mut MetricsApis) -> Vec<Feed> {
    let mut pods = Vec::with_capacity(apis.last_pods);
    let mut nodes = Vec::new();
    let every_node = ListParams::default();
    let (pods_read, nodes_read) = tokio::join!(
        read_list(
            &apis.client,
            &apis.pods_url,
            &apis.pod_params,
            "the PodMetrics list",
            |bytes| {
                let (item, used) = decode_one::<PodMetrics>(bytes)?;
                pods.extend(pod_usage(item));
                Ok(used)
            }
        ),
        read_list(
            &apis.client,
            &apis.nodes_url,
            &every_node,
            "the NodeMetrics list",
            |bytes| {
                let (item, used) = decode_one::<NodeMetrics>(bytes)?;
                nodes.extend(node_usage(item));
                Ok(used)
            }
        ),
    );
    let read = |r: &Result<Duration, ListFailure>| r.as_ref().map_or(Duration::ZERO, |d| *d);
    apis.last_read = read(&pods_read) + read(&nodes_read);
    match pods_read {
        Ok(_) => {}
        Err(ListFailure::Api(status)) if matches!(status.code, 404 | 503) => {
            return vec![unavailable(&status)];
        }
        // Both feeds are named: node metrics that failed in the same poll (as they do when the
        // API server is gone) are as stale as the pods' and must not pass for fine.
        Err(failure) => {
            let nodes = nodes_read.err().map(|f| trouble(FeedKind::NodeMetrics, &f));
            return std::iter::once(trouble(FeedKind::Metrics, &failure))
                .chain(nodes)
                .collect();
        }
    }
    apis.last_pods = pods.len();
    let node_trouble = nodes_read.err().map(|failure| {
        nodes.clear();
        trouble(FeedKind::NodeMetrics, &failure)
    });
    let wait = apis.next_wait();
    let snapshot = MetricsSnapshot {
        stretched: (wait > apis.every).then_some(wait),
        at: Timestamp::now(),
        pods,
        nodes,
    };
    std::iter::once(Feed::Event(FleetEvent::Metrics(snapshot)))
        .chain(node_trouble)
        .collect()
}

/// Feed `kind` failed as `failure` says.
fn trouble(kind: FeedKind, failure: &ListFailure) -> Feed {
    Feed::Trouble {
        kind,
        refused: failure.refused(),
        code: failure.code(),
        message: failure.to_string(),
    }
}

/// Why a list could not be read: the API server's own answer, or anything else.
enum ListFailure {
    Api(Box<Status>),
    Other(String),
}

impl ListFailure {
    fn refused(&self) -> bool {
        matches!(self.code(), Some(401 | 403))
    }

    fn code(&self) -> Option<u16> {
        match self {
            ListFailure::Api(status) => Some(status.code).filter(|c| *c != 0),
            ListFailure::Other(_) => None,
        }
    }
}

impl std::fmt::Display for ListFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // As the watches say it ("500 Internal Server Error: …"), so feeds failing alike
            // are named together in the header.
            ListFailure::Api(status) => write!(f, "{}", Problem::of_status(status)),
            ListFailure::Other(message) => f.write_str(message),
        }
    }
}

/// Lists `url`, having `decode` read each item as the body streams in; returns the time spent
/// reading.
async fn read_list(
    client: &Client,
    url: &str,
    params: &ListParams,
    what: &str,
    decode: impl FnMut(&[u8]) -> serde_json::Result<usize>,
) -> Result<Duration, ListFailure> {
    let request = kube::core::Request::new(url)
        .list(params)
        .map_err(|e| ListFailure::Other(format!("building the request for {what}: {e}")))?;
    let body = match client.request_stream(request).await {
        Ok(body) => body,
        Err(kube::Error::Api(status)) => return Err(ListFailure::Api(status)),
        // In the words the watches use ("could not reach the server: …"), not kube's nested
        // `Display` ("ServiceError: client error (Connect)"): the feed's name says which list,
        // and the header names the feeds that failed alike once, with the one reason.
        Err(e) => return Err(ListFailure::Other(Problem::of_kube(&e).text)),
    };
    let body = std::pin::pin!(body);
    for_each_item(body, what, decode)
        .await
        .map_err(|e| ListFailure::Other(format!("{e:#}")))
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
fn node_usage(item: NodeMetrics<'_>) -> Option<NodeUsage> {
    Some(NodeUsage {
        name: item.metadata?.name?.into_owned(),
        usage: item.usage?.usage(),
    })
}

/// A pod's usage: the sum over its containers. None for items without a name or containers.
fn pod_usage(item: PodMetrics<'_>) -> Option<PodUsage> {
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
    fn polls_stretch_only_when_reading_them_costs_more_than_its_share() {
        let every = Duration::from_secs(15);
        let ms = Duration::from_millis;
        // A few thousand pods read in milliseconds: the asked interval.
        assert_eq!(poll_interval(every, ms(5)), every);
        assert_eq!(poll_interval(every, ms(150)), every);
        // 150,000 pods read in a third of a second: 1 % of a core means every 33 s.
        assert_eq!(poll_interval(every, ms(330)), Duration::from_secs(33));
        // Never more than four intervals apart, however slow.
        assert_eq!(poll_interval(every, Duration::from_secs(3)), every * 4);
    }

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
