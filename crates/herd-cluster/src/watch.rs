//! One watcher per kind (nodes, pods, DaemonSets, ControllerRevisions): a list read as it
//! streams in, then a watch (see `streamed`). Each object is converted on arrival into a slim
//! record and sent as a `FleetEvent`, with the feed's trouble, re-lists and recovery reported
//! so the screen can say which data is stale.

use std::fmt::Debug;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::ListParams;
use kube::runtime::utils::Backoff;
use kube::runtime::watcher::{self, DefaultBackoff, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::problem::Problem;

mod streamed;
use herd_convert::{lean_pod, records};
pub use herd_core::model::feed::{Feed, FeedKind};
use herd_core::model::fleet::{FleetEvent, Record, RecordKey, Relist};
use herd_core::model::others::DAEMON_POD_SELECTOR;
pub use herd_core::model::others::PodScope;

/// How often a troubled watch checks whether the API server answers again. The watcher itself
/// resumes silently (kube-runtime yields nothing when a re-watch succeeds), so without a probe
/// a recovered feed would look stale until its next change.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// The longest wait between two attempts (kube's default backoff never says more).
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Which namespace to watch (None = all). Nodes are cluster-scoped and always watched whole.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub namespace: Option<String>,
    /// A label selector applied server-side to the DaemonSet watch only (herd's slim
    /// DaemonSet keeps no labels); pods and nodes stay whole so coverage sees every node.
    pub daemon_set_labels: Option<String>,
    /// Which pods the pod watch and the metrics poll carry: by default only the pods the
    /// DaemonSet controller creates (a node's other pods are read on demand).
    pub pods: PodScope,
}

impl Scope {
    fn api<K>(&self, client: &Client) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match &self.namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
}

/// What the watches tell the metrics poller. The first poll waits until the pod watch has
/// sent its first list: usage of pods the fleet does not know yet cannot be applied (the TUI
/// holds such a poll back until they are), and at 150,000 pods an early poll competes with the
/// pod list for the API server and for herd, delaying the first complete screen. And a watch
/// that loses the API server says so, and again when it is back: metrics come through the same
/// server, and without a look at once the header would call them fine until the next poll (up
/// to a minute later), and stale for as long again after the server is back.
#[derive(Debug, Clone)]
pub struct WatchNews {
    pods_listed: watch::Receiver<bool>,
    /// Bumped when a watch that was working fails to reach the API server or gets a 5xx.
    server_lost: watch::Receiver<u64>,
    /// Bumped when such a watch works again.
    server_back: watch::Receiver<u64>,
}

impl WatchNews {
    /// Waits until the pods have been listed (or their watch has stopped).
    pub async fn pods_listed(&mut self) {
        let _ = self.pods_listed.wait_for(|listed| *listed).await;
    }

    /// Waits until a watch loses the API server or, with `or_back`, until one that lost it
    /// works again (news already [`seen`] does not count); never returns once the watches are
    /// gone.
    ///
    /// [`seen`]: WatchNews::seen
    pub async fn server_news(&mut self, or_back: bool) {
        tokio::select! {
            () = changed(&mut self.server_lost) => {}
            () = changed(&mut self.server_back), if or_back => {}
        }
    }

    /// Forgets the news so far: a poll made since has already seen what it told.
    pub fn seen(&mut self) {
        self.server_lost.mark_unchanged();
        self.server_back.mark_unchanged();
    }
}

/// Waits for the next bump of `count`, or forever once nobody can bump it.
async fn changed(count: &mut watch::Receiver<u64>) {
    if count.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Starts the four watchers; each runs until the receiver is dropped. The news tells when the
/// pods have been listed once, and when a watch loses the API server and has it back.
pub fn spawn_watches(
    client: &Client,
    scope: &Scope,
    tx: &mpsc::Sender<Feed>,
) -> (Vec<JoinHandle<()>>, WatchNews) {
    let (pods_listed, listed_rx) = watch::channel(false);
    let (server_lost, lost_rx) = watch::channel(0u64);
    let (server_back, back_rx) = watch::channel(0u64);
    let news = |listed| Told {
        listed,
        server_lost: server_lost.clone(),
        server_back: server_back.clone(),
        lost: false,
    };
    let tasks = vec![
        tokio::spawn(run(
            Api::<api::Node>::all(client.clone()),
            tx.clone(),
            news(None),
        )),
        tokio::spawn({
            let (tx, pods, scope) = (tx.clone(), scope.api::<lean_pod::Pod>(client), scope.pods);
            let told = news(Some(pods_listed));
            async move {
                // Said before the first list, so no reader takes a daemon-only fleet for all.
                if tx
                    .send(Feed::Event(FleetEvent::PodScope(scope)))
                    .await
                    .is_ok()
                {
                    run_with(pods, pod_labels(scope), tx, told).await;
                }
            }
        }),
        tokio::spawn(run_with(
            scope.api::<apps::DaemonSet>(client),
            scope.daemon_set_labels.clone(),
            tx.clone(),
            news(None),
        )),
        tokio::spawn(run(
            scope.api::<apps::ControllerRevision>(client),
            tx.clone(),
            news(None),
        )),
    ];
    let news = WatchNews {
        pods_listed: listed_rx,
        server_lost: lost_rx,
        server_back: back_rx,
    };
    (tasks, news)
}

/// One watcher's share of [`WatchNews`]: the senders, and what it has told.
struct Told {
    /// Opened once its first whole list has been sent (the pod watch only).
    listed: Option<watch::Sender<bool>>,
    server_lost: watch::Sender<u64>,
    server_back: watch::Sender<u64>,
    /// It told of a loss and not yet of the return: each outage is told once, not per retry.
    lost: bool,
}

impl Told {
    /// The watch failed with `error`.
    fn failed(&mut self, error: &watcher::Error) {
        if !self.lost && server_trouble(error) {
            self.lost = true;
            self.server_lost.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// The watch works: an event came, or the server answered its probe.
    fn works(&mut self) {
        if std::mem::take(&mut self.lost) {
            self.server_back.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// The label selector of the pod watch: only the DaemonSet controller's pods unless every pod
/// is asked for. (Pods are read as the lean pod type, see `lean_pod`.)
fn pod_labels(scope: PodScope) -> Option<String> {
    match scope {
        PodScope::Daemon => Some(DAEMON_POD_SELECTOR.to_string()),
        PodScope::All => None,
    }
}

/// Pods per part of a re-list sent on while the list streams in: the fleet indexes each part
/// as it comes, instead of all of them after the last byte.
const RELIST_PART: usize = 2_000;

/// A watched API kind and how its objects become slim records.
trait Watched: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static {
    const FEED: FeedKind;
    type Slim;
    /// Err when the object cannot be used (reported as trouble, left out of the fleet).
    fn convert(&self) -> Result<Self::Slim, String>;
    fn record(slim: Self::Slim) -> Record;
    fn relist(all: Vec<Self::Slim>) -> Relist;
    /// The objects buffered so far as a part of a re-list under way (taking them), for a
    /// kind the fleet indexes as it arrives; None, leaving them, for kinds sent whole when
    /// their list ends (the default).
    fn relisting(_first: bool, _buffered: &mut Vec<Self::Slim>) -> Option<FleetEvent> {
        None
    }
    fn delete_key(&self) -> Option<RecordKey> {
        self.convert().ok().map(|s| Self::record(s).key())
    }
}

impl Watched for api::Node {
    const FEED: FeedKind = FeedKind::Nodes;
    type Slim = herd_core::model::node::Node;
    fn convert(&self) -> Result<Self::Slim, String> {
        Ok(records::node(self))
    }
    fn record(slim: Self::Slim) -> Record {
        Record::Node(slim)
    }
    fn relist(all: Vec<Self::Slim>) -> Relist {
        Relist::Nodes(all)
    }
}

impl Watched for lean_pod::Pod {
    const FEED: FeedKind = FeedKind::Pods;
    type Slim = herd_core::model::pod::Pod;
    fn convert(&self) -> Result<Self::Slim, String> {
        Ok(records::pod(self))
    }
    fn record(slim: Self::Slim) -> Record {
        Record::Pod(slim)
    }
    fn relist(all: Vec<Self::Slim>) -> Relist {
        Relist::Pods(all)
    }
    fn relisting(first: bool, buffered: &mut Vec<Self::Slim>) -> Option<FleetEvent> {
        let pods = std::mem::take(buffered);
        Some(FleetEvent::PodsRelisting { first, pods })
    }
}

impl Watched for apps::DaemonSet {
    const FEED: FeedKind = FeedKind::DaemonSets;
    type Slim = herd_core::model::daemonset::DaemonSet;
    fn convert(&self) -> Result<Self::Slim, String> {
        records::daemon_set(self).map_err(|e| e.to_string())
    }
    fn record(slim: Self::Slim) -> Record {
        Record::DaemonSet(slim)
    }
    fn relist(all: Vec<Self::Slim>) -> Relist {
        Relist::DaemonSets(all)
    }
    // A DaemonSet herd could not convert may still have been stored earlier: delete by uid.
    fn delete_key(&self) -> Option<RecordKey> {
        let uid = self.meta().uid.as_deref()?;
        Some(RecordKey::DaemonSet {
            uid: Arc::from(uid),
        })
    }
}

impl Watched for apps::ControllerRevision {
    const FEED: FeedKind = FeedKind::ControllerRevisions;
    type Slim = herd_core::model::revision::ControllerRevision;
    fn convert(&self) -> Result<Self::Slim, String> {
        Ok(records::controller_revision(self))
    }
    fn record(slim: Self::Slim) -> Record {
        Record::Revision(slim)
    }
    fn relist(all: Vec<Self::Slim>) -> Relist {
        Relist::Revisions(all)
    }
}

/// Runs one watcher, buffering a (re-)list so the fleet only ever gets whole relists.
async fn run<K: Watched>(api: Api<K>, tx: mpsc::Sender<Feed>, told: Told) {
    run_with(api, None, tx, told).await
}

/// Runs one watcher of the objects matching `labels`, telling `told` when it has first listed,
/// loses the server and has it back.
async fn run_with<K: Watched>(
    api: Api<K>,
    labels: Option<String>,
    tx: mpsc::Sender<Feed>,
    mut told: Told,
) {
    let mut stream = pin!(streamed::watcher(api.clone(), labels));
    let mut backoff = DefaultBackoff::default();
    let mut buffer: Vec<K::Slim> = Vec::new();
    // Failed in a way the watcher repairs by watching again from where it was: once that
    // works it yields nothing, so only a probe can tell the feed is live again.
    let mut resuming = false;
    let mut probe = tokio::time::interval(PROBE_EVERY);
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            _ = probe.tick(), if resuming => {
                if answers(&api).await {
                    resuming = false;
                    told.works();
                    if tx.send(Feed::Recovered { kind: K::FEED }).await.is_err() {
                        return;
                    }
                }
                continue;
            }
        };
        let Some(item) = item else { return };
        let event = match item {
            Ok(event) => event,
            Err(e) => {
                told.failed(&e);
                let resumes = resumes_in_place(&e);
                let problem = Problem::of_watch(&e);
                let feed = Feed::Trouble {
                    kind: K::FEED,
                    message: problem.text,
                    refused: problem.refused,
                    code: problem.code,
                };
                if tx.send(feed).await.is_err() {
                    return;
                }
                pause(&api, backoff.next().unwrap_or(MAX_PAUSE)).await;
                resuming = resumes;
                probe.reset();
                continue;
            }
        };
        backoff.reset();
        told.works();
        // A re-list ends the trouble with its own `Relisted`; saying Recovered first would
        // show the feed live for a moment before it lists.
        let relist = matches!(event, Event::Init);
        let whole_list = matches!(event, Event::InitDone);
        let out = feed_for::<K>(event, &mut buffer);
        let bad_object = matches!(out, Some(Feed::Trouble { .. }));
        let recovered = std::mem::take(&mut resuming) && !relist && !bad_object;
        // The event goes first: whoever sees the feed live has also seen what it brought.
        let recovered = recovered.then_some(Feed::Recovered { kind: K::FEED });
        // A kind the fleet indexes part by part starts each re-list with an empty first part,
        // so whatever a re-list that failed part-way left aside is dropped.
        let first_part = relist
            .then(|| K::relisting(true, &mut Vec::new()))
            .flatten()
            .map(Feed::Event);
        let part = match buffer.len() >= RELIST_PART {
            true => K::relisting(false, &mut buffer).map(Feed::Event),
            false => None,
        };
        for feed in out
            .into_iter()
            .chain(first_part)
            .chain(part)
            .chain(recovered)
        {
            if tx.send(feed).await.is_err() {
                return; // nobody listens any more
            }
        }
        if whole_list && let Some(listed) = &told.listed {
            listed.send_replace(true);
        }
    }
}

/// What one watcher event means for the fleet; a (re-)list is buffered until it is whole.
fn feed_for<K: Watched>(event: Event<K>, buffer: &mut Vec<K::Slim>) -> Option<Feed> {
    match event {
        Event::Init => {
            buffer.clear();
            Some(Feed::Relisting { kind: K::FEED })
        }
        Event::InitApply(obj) => match obj.convert() {
            Ok(slim) => {
                buffer.push(slim);
                None
            }
            Err(reason) => Some(trouble::<K>(reason)),
        },
        Event::InitDone => Some(Feed::Event(FleetEvent::Relisted(K::relist(
            std::mem::take(buffer),
        )))),
        Event::Apply(obj) => Some(match obj.convert() {
            Ok(slim) => Feed::Event(FleetEvent::Upsert(K::record(slim))),
            Err(reason) => trouble::<K>(reason),
        }),
        Event::Delete(obj) => obj.delete_key().map(|k| Feed::Event(FleetEvent::Delete(k))),
    }
}

/// Whether the watcher recovers from `error` by watching again from its last version (a
/// failed or broken watch). The others — a failed list, a 410 — make it re-list, which says
/// `Relisting` and then `Relisted` on its own.
fn resumes_in_place(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::WatchStartFailed(_) | watcher::Error::WatchFailed(_) => true,
        watcher::Error::WatchError(status) => status.code != 410,
        watcher::Error::InitialListFailed(_) | watcher::Error::NoResourceVersion => false,
    }
}

/// Whether `error` says the API server is down or failing (no answer, or a 5xx), rather than
/// something about this watch alone (a refusal, an expired version, an object herd cannot read).
fn server_trouble(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => match e {
            kube::Error::Api(status) => status.code >= 500,
            // A list whose body breaks off mid-way lost the server too.
            kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
                true
            }
            _ => false,
        },
        watcher::Error::WatchError(status) => status.code >= 500,
        watcher::Error::NoResourceVersion => false,
    }
}

/// Waits `delay` (kube's default backoff: 0.8 s doubling to 30 s) before the watcher tries
/// again, but no longer than until the API server answers a probe: after an outage the feed
/// is watching again within one probe period, not after the rest of a long backoff.
async fn pause<K: Watched>(api: &Api<K>, delay: Duration) {
    let until = Instant::now() + delay;
    loop {
        let next = Instant::now() + PROBE_EVERY;
        if next >= until {
            tokio::time::sleep_until(until).await;
            return;
        }
        tokio::time::sleep_until(next).await;
        if answers(api).await {
            return;
        }
    }
}

/// One cheap list (one object's metadata): does the API server answer for this kind?
async fn answers<K: Watched>(api: &Api<K>) -> bool {
    api.list_metadata(&ListParams::default().limit(1))
        .await
        .is_ok()
}

/// An object herd could not use: trouble, but nothing the server refused.
fn trouble<K: Watched>(message: String) -> Feed {
    Feed::Trouble {
        kind: K::FEED,
        message,
        refused: false,
        code: None,
    }
}
