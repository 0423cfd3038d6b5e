//! Polls metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics and sends the usage as
//! `FleetEvent::Metrics`; an absent metrics API is sent as `MetricsUnavailable`, a state.
//!
//! Two cadences: the whole fleet's usage (every watched pod, every node), spaced out on large
//! fleets, and the usage of what the screen shows ([`UsageFocus`]) at the asked interval in
//! between. metrics-server has no watch, so every fleet-wide poll reads every pod again: at
//! 40,000 daemon pods that is 18 MiB of JSON a poll, half a MiB gzipped.

use std::time::Duration;

use jiff::Timestamp;
use kube::Client;
use kube::api::ListParams;
use kube::core::Status;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::list_stream::{decode_one, for_each_item};
use super::problem::Problem;
use super::watch::{Feed, FeedKind, Scope, WatchNews};
use herd_core::model::fleet::FleetEvent;
use herd_core::model::others::{DAEMON_POD_SELECTOR, PodScope};
use herd_core::model::usage::{
    MetricsSnapshot, NodeUsage, PodUsage, Stretched, UsageFocus, UsageReach,
};

mod focus;
mod wire;

pub use focus::poll_focus;
use wire::{NodeMetrics, PodMetrics, node_usage, pod_usage};

const METRICS_API: &str = "/apis/metrics.k8s.io/v1beta1";

/// The share of one core that reading metrics may take. metrics-server has no watch: every
/// poll lists every pod's usage again, 62 MiB of JSON at 150,000 pods, and reading that costs
/// a few tenths of a second however it is done. On such fleets polls are spaced out to keep
/// within this share, so an idle herd stays idle; small fleets poll at the asked interval.
const READ_SHARE: f64 = 0.01;
/// Polls are never spaced more than this many asked intervals apart for their CPU.
const MAX_STRETCH: u32 = 4;
/// Fleet-wide usages (pods and nodes) read per asked interval at most: 12,000 a minute at
/// metrics-server's 15 s. A fleet of 300 nodes and 2,000 pods is read every asked interval;
/// one of 5,000 nodes and 40,000 daemon pods every four minutes, while the DaemonSet or node
/// in view is read every asked interval. Hog ratings rest on usage sustained over minutes, so
/// a fleet-wide figure minutes old still says the truth.
const FLEET_USAGES_PER_INTERVAL: f64 = 3_000.0;
/// Fleet-wide usage is never older than this.
const MAX_FLEET_WAIT: Duration = Duration::from_secs(300);

/// The wait before the next poll, after one whose reading took `read`.
pub fn poll_interval(every: Duration, read: Duration) -> Duration {
    every.max(read.div_f64(READ_SHARE)).min(every * MAX_STRETCH)
}

/// The wait before the next fleet-wide poll, after one that read `usages` pods and nodes in
/// `read`: the asked interval, or longer when reading the fleet that often would cost more
/// than its share of a core or more usages than [`FLEET_USAGES_PER_INTERVAL`] an interval.
pub fn fleet_interval(every: Duration, read: Duration, usages: usize) -> Duration {
    let by_count = every.mul_f64(usages as f64 / FLEET_USAGES_PER_INTERVAL);
    poll_interval(every, read)
        .max(by_count.min(MAX_FLEET_WAIT))
        .max(every)
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
    /// How many nodes the last poll read.
    last_nodes: usize,
    /// How long the last poll spent reading its lists (not waiting for them).
    last_read: Duration,
}

impl MetricsApis {
    /// The wait before the next fleet-wide poll: `every`, or longer after a poll costly to
    /// read or on a fleet large enough to be spaced out.
    pub fn next_wait(&self) -> Duration {
        fleet_interval(self.every, self.last_read, self.last_pods + self.last_nodes)
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
            last_nodes: 0,
            last_read: Duration::ZERO,
        }
    }
}

/// Starts polling: the whole fleet's usage every `every` (or further apart on large fleets,
/// see [`fleet_interval`]), the first poll as soon as the pods are listed, and a poll at once
/// whenever a watch loses the API server (or has it back after a poll failed); between fleet
/// polls, the usage of `focus` (what the screen shows) every `every`, and at once when the
/// focus changes. Runs until the receiver is dropped.
pub fn spawn_metrics(
    client: &Client,
    scope: &Scope,
    every: Duration,
    tx: &mpsc::Sender<Feed>,
    mut news: WatchNews,
    mut focus: watch::Receiver<UsageFocus>,
) -> JoinHandle<()> {
    let mut apis = MetricsApis::new(client, scope, every);
    let tx = tx.clone();
    tokio::spawn(async move {
        news.pods_listed().await;
        // Closed when nothing shows a screen (`herd check`): fleet polls only.
        let mut focus_open = true;
        let mut next = Poll::Fleet;
        let mut fleet_due = Instant::now();
        loop {
            let feeds = match next {
                Poll::Fleet => poll(&mut apis).await,
                Poll::Focus => {
                    let wanted = focus.borrow_and_update().clone();
                    poll_focus(&apis, &wanted).await
                }
            };
            if matches!(next, Poll::Fleet) {
                fleet_due = Instant::now() + apis.next_wait();
            }
            // A fleet poll read what is in focus too.
            let focus_due = Instant::now() + every;
            let failed = feeds.iter().any(|f| matches!(f, Feed::Trouble { .. }));
            for feed in feeds {
                if tx.send(feed).await.is_err() {
                    return;
                }
            }
            // News told while a fleet poll ran was seen by it. A focus poll reads too little
            // to speak for the fleet: news it ran through still calls a fleet poll.
            if matches!(next, Poll::Fleet) {
                news.seen();
            }
            next = loop {
                let focused = focus_open && !focus.borrow().is_empty();
                let (wake, then) = if focused && focus_due < fleet_due {
                    (focus_due, Poll::Focus)
                } else {
                    (fleet_due, Poll::Fleet)
                };
                tokio::select! {
                    () = tokio::time::sleep_until(wake) => break then,
                    // Metrics come through the API server the watches use: when a watch loses
                    // it, a poll now names the metrics stale from the moment they fail, not at
                    // the next poll minutes later; when it is back, a poll now ends a failed
                    // poll's staleness. A watch tells each once per outage, so an outage adds
                    // a few polls at most.
                    () = news.server_news(failed) => break Poll::Fleet,
                    changed = focus.changed(), if focus_open => {
                        if changed.is_err() {
                            focus_open = false;
                        } else if !focus.borrow().is_empty() {
                            // What came into view is read now; an emptied focus waits for
                            // the fleet poll.
                            break Poll::Focus;
                        }
                    }
                }
            };
        }
    })
}

/// Which poll runs next.
#[derive(Clone, Copy)]
enum Poll {
    Fleet,
    Focus,
}

/// One poll: usage, or the metrics API's absence as a state, or trouble for other failures.
/// A failed node list still sends the pods' usage, followed by its own trouble. The usage
/// says when the next poll is further away than asked.
pub async fn poll(apis: &mut MetricsApis) -> Vec<Feed> {
    let mut pods = Vec::with_capacity(apis.last_pods);
    let mut nodes = Vec::new();
    let (pods_read, nodes_read) = tokio::join!(
        read_pod_list(&apis.client, &apis.pods_url, &apis.pod_params, &mut pods),
        read_node_list(&apis.client, &apis.nodes_url, &mut nodes),
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
    apis.last_nodes = nodes.len();
    let node_trouble = nodes_read.err().map(|failure| {
        nodes.clear();
        trouble(FeedKind::NodeMetrics, &failure)
    });
    let wait = apis.next_wait();
    let snapshot = MetricsSnapshot {
        stretched: (wait > apis.every).then_some(Stretched {
            fleet: wait,
            in_view: apis.every,
        }),
        at: Timestamp::now(),
        pods,
        nodes,
        reach: UsageReach::Fleet,
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

/// Lists PodMetrics at `url` into `pods`, each pod's containers summed as it streams in.
async fn read_pod_list(
    client: &Client,
    url: &str,
    params: &ListParams,
    pods: &mut Vec<PodUsage>,
) -> Result<Duration, ListFailure> {
    read_list(client, url, params, "the PodMetrics list", |bytes| {
        let (item, used) = decode_one::<PodMetrics>(bytes)?;
        pods.extend(pod_usage(item));
        Ok(used)
    })
    .await
}

/// Lists every node's NodeMetrics at `url` into `nodes`.
async fn read_node_list(
    client: &Client,
    url: &str,
    nodes: &mut Vec<NodeUsage>,
) -> Result<Duration, ListFailure> {
    let every_node = ListParams::default();
    read_list(client, url, &every_node, "the NodeMetrics list", |bytes| {
        let (item, used) = decode_one::<NodeMetrics>(bytes)?;
        nodes.extend(node_usage(item));
        Ok(used)
    })
    .await
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn fleet_polls_of_a_large_fleet_are_spaced_out_by_how_much_they_read() {
        let every = Duration::from_secs(15);
        let ms = Duration::from_millis;
        // 300 nodes and 2,310 pods: every asked interval.
        assert_eq!(fleet_interval(every, ms(20), 2_610), every);
        // 1,000 nodes with ten DaemonSets: once a minute.
        assert_eq!(
            fleet_interval(every, ms(60), 11_000),
            Duration::from_secs(55)
        );
        // 5,000 nodes and 40,719 daemon pods: every 3.8 minutes.
        let big = fleet_interval(every, ms(300), 45_719);
        assert_eq!(big.as_secs(), 228, "{big:?}");
        // Never more than five minutes, however many.
        assert_eq!(fleet_interval(every, ms(900), 150_000), MAX_FLEET_WAIT);
        // The budget is per asked interval: a small fleet polled every second is not spaced.
        assert_eq!(
            fleet_interval(Duration::from_secs(1), ms(5), 325),
            Duration::from_secs(1)
        );
        // A slow read of few pods still spaces by CPU.
        assert_eq!(
            fleet_interval(every, ms(330), 1_000),
            Duration::from_secs(33)
        );
    }
}
