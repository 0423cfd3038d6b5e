//! `herd check`: connect, wait for the first full picture of the fleet, and report coverage
//! gaps and hogs once, for scripts and CI (exit 1 when a selected condition holds).

mod findings;
pub mod report;

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use herd_cluster::connect::{ConnectError, ConnectOptions, Connection, Retry, connect_with};
use herd_cluster::fetch::{self, NamespaceLookup};
use herd_cluster::metrics::spawn_metrics;
use herd_cluster::watch::{Feed, FeedKind, Scope, spawn_watches};
use herd_core::analysis::hogs;
use herd_core::analysis::thresholds::Thresholds;
use herd_core::model::fleet::{Fleet, FleetEvent};
use herd_core::model::selector::LabelSelector;
pub use report::{Condition, Report};

/// How long `herd check` waits for the initial lists and the first metrics poll, unless
/// `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub connect: ConnectOptions,
    pub scope: Scope,
    pub format: Format,
    pub fail_on: Vec<Condition>,
    /// How long to wait for the initial lists and the first metrics poll.
    pub timeout: Duration,
    /// `--allow-empty`: a namespace or selector that selects no DaemonSet is a clean report,
    /// not bad input.
    pub allow_empty: bool,
}

/// Bad input, or a cluster that cannot be used (exit 2). Each is one line for stderr: it names
/// what failed and, for the cluster, which server and context, the HTTP status and the
/// server's own message.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("-l {text:?}: {reason}")]
    Selector { text: String, reason: String },
    #[error("-o {0:?}: unknown output format (use table or json)")]
    Format(String),
    #[error(
        "--fail-on {0:?}: unknown condition (use one or more of {CONDITIONS}, separated by commas)"
    )]
    FailOn(String),
    #[error(
        "--fail-on {0:?}: an empty condition (use one or more of {CONDITIONS}, separated by commas)"
    )]
    FailOnEmpty(String),
    #[error("--timeout {0:?}: not a positive duration (for example 30s, 2m or 500ms)")]
    TimeoutValue(String),
    #[error(
        "{server} (context {context:?}) refused to list {kind}: {problem}{}",
        refusal_hint(*code)
    )]
    Refused {
        server: String,
        context: String,
        kind: FeedKind,
        code: Option<u16>,
        problem: String,
    },
    #[error(
        "timed out after {} waiting for {waiting} from {server} (context {context:?}); {}",
        seconds(*after),
        last_problem(last.as_deref())
    )]
    Timeout {
        after: Duration,
        /// What had not arrived, such as "the first list of pods, daemonsets".
        waiting: String,
        server: String,
        context: String,
        /// The latest problem a watch reported, as "pods: 503 Service Unavailable: …".
        last: Option<String>,
    },
    #[error(
        "namespace {name:?} does not exist (namespaces: {}); pass --allow-empty if that is expected",
        listed(known)
    )]
    NoNamespace { name: String, known: Vec<String> },
    #[error("{what}; pass --allow-empty if that is expected")]
    NothingSelected {
        /// Such as `no DaemonSet in namespace "logging" matches -l app=typo`.
        what: String,
    },
}

/// The `--fail-on` conditions, as an error message lists them.
const CONDITIONS: &str = "missing, failing, node-down, stalled, untargeted, hog";

/// At most this many namespaces are named when `-n` names none that exists.
const NAMESPACES_SHOWN: usize = 12;

fn listed(known: &[String]) -> String {
    match known.len() {
        0 => "none could be listed".to_string(),
        n if n <= NAMESPACES_SHOWN => known.join(", "),
        n => format!(
            "{}, and {} more",
            known[..NAMESPACES_SHOWN].join(", "),
            n - NAMESPACES_SHOWN
        ),
    }
}

fn refusal_hint(code: Option<u16>) -> &'static str {
    match code {
        Some(401) => " (the context's credentials were not accepted)",
        Some(403) => " (the context's user may not read it)",
        _ => "",
    }
}

fn last_problem(last: Option<&str>) -> String {
    match last {
        Some(last) => format!("last problem: {last}"),
        None => "no watch reported an error: the server accepted the requests but did not \
                 answer them in time"
            .to_string(),
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// `--timeout`: a positive duration in jiff's friendly (`30s`, `1m 30s`, `500ms`) or ISO
/// 8601 form.
pub fn parse_timeout(text: &str) -> Result<Duration, CheckError> {
    let bad = || CheckError::TimeoutValue(text.to_string());
    let signed: jiff::SignedDuration = text.trim().parse().map_err(|_| bad())?;
    Duration::try_from(signed)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(bad)
}

pub fn parse_format(text: &str) -> Result<Format, CheckError> {
    match text {
        "table" => Ok(Format::Table),
        "json" => Ok(Format::Json),
        other => Err(CheckError::Format(other.to_string())),
    }
}

/// `--fail-on`: a comma-separated list of conditions. An empty item is refused, not skipped:
/// `--fail-on ''` from an unset variable would otherwise make every run pass.
pub fn parse_fail_on(text: &str) -> Result<Vec<Condition>, CheckError> {
    let mut out = Vec::new();
    for item in text.split(',') {
        if item.trim().is_empty() {
            return Err(CheckError::FailOnEmpty(text.to_string()));
        }
        let c =
            Condition::parse(item.trim()).ok_or_else(|| CheckError::FailOn(item.to_string()))?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Validates `-l` with herd's selector grammar; the API server gets the canonical text.
pub fn parse_selector(text: &str) -> Result<String, CheckError> {
    LabelSelector::parse(text)
        .map(|s| s.to_string())
        .map_err(|e| CheckError::Selector {
            text: text.to_string(),
            reason: e.to_string(),
        })
}

/// Connects, waits for the initial picture and builds the report.
pub async fn run(options: &CheckOptions) -> Result<Report, CheckError> {
    // kube's own retry of 503s would hold a failing list for minutes without a word; the
    // watchers retry with their own backoff and say what failed each time.
    let connection = connect_with(&options.connect, Retry::Caller).await?;
    let client = &connection.client;
    let (tx, mut rx) = mpsc::channel(1024);
    let (tasks, pods_listed) = spawn_watches(client, &options.scope, &tx);
    let every = Duration::from_secs(60);
    // Nothing is on screen: the fleet-wide poll alone.
    let (_, no_focus) = tokio::sync::watch::channel(Default::default());
    let metrics = spawn_metrics(client, &options.scope, every, &tx, pods_listed, no_focus);
    drop(tx);
    let mut progress = Progress::default();
    let filled = tokio::time::timeout(options.timeout, fill(&mut rx, &mut progress)).await;
    for task in tasks.iter().chain([&metrics]) {
        task.abort();
    }
    let fleet = match filled {
        Ok(Ok(fleet)) => fleet,
        Ok(Err(Stop::Refused(refusal))) => {
            return Err(CheckError::Refused {
                server: connection.server.clone(),
                context: connection.context.clone(),
                kind: refusal.kind,
                code: refusal.code,
                problem: refusal.message,
            });
        }
        Ok(Err(Stop::Closed)) | Err(_) => {
            return Err(progress.timeout(options.timeout, &connection));
        }
    };
    if !options.allow_empty && fleet.daemon_sets().next().is_none() {
        empty_selection(&connection, &options.scope).await?;
    }
    let mut report = build(&fleet, Timestamp::now());
    report.judge(&options.fail_on);
    Ok(report)
}

/// Why `-n`/`-l` selected no DaemonSet, when one of them was given: a typo there would
/// otherwise report a clean fleet. With neither, an empty cluster is simply clean.
async fn empty_selection(connection: &Connection, scope: &Scope) -> Result<(), CheckError> {
    let labels = scope.daemon_set_labels.as_deref();
    let what = match (scope.namespace.as_deref(), labels) {
        (None, None) => return Ok(()),
        (Some(ns), Some(l)) => format!("no DaemonSet in namespace {ns:?} matches -l {l}"),
        (Some(ns), None) => format!("namespace {ns:?} has no DaemonSet"),
        (None, Some(l)) => format!("no DaemonSet in any namespace matches -l {l}"),
    };
    if let Some(ns) = scope.namespace.as_deref()
        && let NamespaceLookup::Missing { known } = fetch::namespace(&connection.client, ns).await
    {
        return Err(CheckError::NoNamespace {
            name: ns.to_string(),
            known,
        });
    }
    Err(CheckError::NothingSelected { what })
}

/// What [`fill`] has seen so far, kept outside it so a timeout can say what was missing.
#[derive(Debug, Default)]
struct Progress {
    /// Watches whose first list has arrived.
    listed: Vec<FeedKind>,
    metrics: bool,
    /// The latest problem a watch reported, as "source: message".
    last: Option<String>,
}

/// A watch the server refused outright (401, 403): waiting longer cannot help.
#[derive(Debug)]
struct Refusal {
    kind: FeedKind,
    code: Option<u16>,
    message: String,
}

/// Why [`fill`] stopped before the picture was whole.
#[derive(Debug)]
enum Stop {
    Refused(Refusal),
    /// Every task ended (none does while it is listened to): treated like the timeout.
    Closed,
}

impl Progress {
    fn complete(&self) -> bool {
        self.listed.len() == FeedKind::WATCHES.len() && self.metrics
    }

    fn timeout(self, after: Duration, connection: &Connection) -> CheckError {
        let pending: Vec<&str> = FeedKind::WATCHES
            .into_iter()
            .filter(|w| !self.listed.contains(w))
            .map(FeedKind::name)
            .collect();
        let waiting = if pending.is_empty() {
            "the first metrics poll".to_string()
        } else {
            format!("the first list of {}", pending.join(", "))
        };
        CheckError::Timeout {
            after,
            waiting,
            server: connection.server.clone(),
            context: connection.context.clone(),
            last: self.last,
        }
    }
}

/// Applies feeds until every kind has been listed once and metrics answered (or are absent).
/// Metrics are applied after the lists: usage for pods the fleet does not know yet is dropped.
async fn fill(rx: &mut mpsc::Receiver<Feed>, progress: &mut Progress) -> Result<Fleet, Stop> {
    let mut fleet = Fleet::new();
    let mut metrics: Option<FleetEvent> = None;
    while !progress.complete() {
        match rx.recv().await.ok_or(Stop::Closed)? {
            Feed::Event(event) => match event {
                FleetEvent::Metrics(_) | FleetEvent::MetricsUnavailable { .. } => {
                    metrics = Some(event);
                    progress.metrics = true;
                }
                FleetEvent::Relisted(relist) => {
                    let event = FleetEvent::Relisted(relist);
                    let kind = FeedKind::of(&event);
                    if !progress.listed.contains(&kind) {
                        progress.listed.push(kind);
                    }
                    fleet.apply(event);
                }
                other => fleet.apply(other),
            },
            // Metrics are optional: a metrics API that refuses herd leaves them unavailable.
            Feed::Trouble {
                kind: FeedKind::Metrics,
                message,
                ..
            } => {
                metrics = Some(FleetEvent::MetricsUnavailable {
                    at: Timestamp::now(),
                    reason: message,
                });
                progress.metrics = true;
            }
            Feed::Trouble {
                kind,
                message,
                refused,
                code,
            } => {
                // One line: the message ends up in a one-line error.
                let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                if refused && kind.is_watch() {
                    return Err(Stop::Refused(Refusal {
                        kind,
                        code,
                        message,
                    }));
                }
                progress.last = Some(format!("{kind}: {message}"));
            }
            Feed::Recovered { .. } | Feed::Relisting { .. } => {}
        }
    }
    if let Some(event) = metrics {
        fleet.apply(event);
    }
    Ok(fleet)
}

/// The gaps, groups, nodes down, stalled rollouts, DaemonSets that target nothing, hogs and
/// NotReady nodes of `fleet`.
pub fn build(fleet: &Fleet, now: Timestamp) -> Report {
    let mut report = findings::build(fleet, now, hog_rows(fleet));
    report.judge(&[]);
    report
}

fn hog_rows(fleet: &Fleet) -> Vec<report::Hog> {
    let analysis = hogs::analyze(fleet, &Thresholds::default());
    // OOM-killed, near a ceiling (its limit, or its node where it has none) while above its
    // request, or far above its request: the hogs the TUI marks, worst first as it lists them.
    let mut pods: Vec<&hogs::PodHog> = analysis.pods.iter().filter(|h| h.is_hog()).collect();
    pods.sort_by(|a, b| b.rank.worse(&a.rank));
    pods.into_iter()
        .filter_map(|h| {
            let pod = fleet.pod(h.pod)?;
            let ds = fleet.daemon_set(&h.ds_uid)?;
            Some(report::Hog {
                namespace: pod.namespace.to_string(),
                daemonset: ds.name.to_string(),
                pod: pod.name.to_string(),
                node: h.node.as_ref().map(|n| n.to_string()),
                level: h.level(),
                reason: h.reason(),
            })
        })
        .collect()
}
