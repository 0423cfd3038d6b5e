//! One verdict per (DaemonSet, node): whose fault is it that the daemon does not run well
//! there — the release's, the node's, the targeting's — or is all well? Kept apart from the
//! status accounting (coverage counts still equal the DaemonSet's own status fields). A
//! verdict is a pure function of the fleet and `now`, and it reads restart counts and the last
//! container exit rather than the instantaneous phase, so a crash loop stays a failing release
//! through the windows where its container runs between two restarts.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::coverage::{self, Coverage, Reason, STARTUP_GRACE, Status};
use super::units;
use crate::model::daemonset::DaemonSet;
use crate::model::node::{ConditionStatus, Node};
use crate::model::placement::Exclusion;
use crate::model::pod::{OOM_KILLED, Pod};

/// A daemon with no pod on a node that should run it gets this long before it is a gap: the
/// controller creates pods in slow-start batches and a joining node is served within seconds.
pub const MISSING_GRACE: SignedDuration = SignedDuration::from_secs(60);
/// A pod still waiting for the scheduler or its containers after this long is stuck.
pub const PENDING_GRACE: SignedDuration = SignedDuration::from_secs(5 * 60);
/// How long after a container's last abnormal exit its pod still counts as crash-looping. The
/// kubelet caps CrashLoopBackOff at five minutes (`MaxContainerBackOff`,
/// kubernetes/pkg/kubelet/kubelet.go), so a looping container exits at least every five minutes
/// plus its run time; a pod quiet for longer has recovered.
pub const CRASH_WINDOW: SignedDuration = SignedDuration::from_secs(10 * 60);
/// Restarts after which a pod that is Ready between exits still counts as crash-looping.
pub const READY_LOOP_RESTARTS: u32 = 3;

/// The node-condition taints the node lifecycle controller and kubelet put on a node in
/// trouble (kubernetes/pkg/controller/nodelifecycle/node_lifecycle_controller.go,
/// kubernetes/staging/src/k8s.io/api/core/v1/well_known_taints.go). Cordoning
/// (`node.kubernetes.io/unschedulable`) is the user's choice, not a fault.
pub const NODE_CONDITION_TAINTS: [&str; 6] = [
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/network-unavailable",
];

/// What is wrong, most severe first: the order the status sort and the reports use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The release itself fails on a healthy node: crash loop, OOM kill, image pull error,
    /// never Ready past minReadySeconds and a grace.
    ReleaseFailing,
    /// The node should run the daemon and has had no pod for longer than a grace.
    Missing,
    /// The DaemonSet's selectors target the node, but a taint it does not tolerate keeps it off.
    TaintBlocked,
    /// The pod cannot be placed (the scheduler names the shortfall) or has waited too long.
    StuckPending,
    /// The node is NotReady or Unknown, or carries a node-condition taint: whatever its daemon
    /// pods show, the fault is the node's.
    NodeDown,
    /// A change under way: an old revision, a new pod starting within its grace, a pod leaving.
    Rolling,
    Healthy,
    /// The DaemonSet does not target the node (selectors, affinity): nothing is wrong.
    NotTargeted,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::ReleaseFailing,
        Verdict::Missing,
        Verdict::TaintBlocked,
        Verdict::StuckPending,
        Verdict::NodeDown,
        Verdict::Rolling,
        Verdict::Healthy,
        Verdict::NotTargeted,
    ];

    /// The word the TUI and `herd check` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::ReleaseFailing => "release-failing",
            Verdict::Missing => "missing",
            Verdict::TaintBlocked => "taint-blocked",
            Verdict::StuckPending => "stuck-pending",
            Verdict::NodeDown => "node-down",
            Verdict::Rolling => "rolling",
            Verdict::Healthy => "healthy",
            Verdict::NotTargeted => "not-targeted",
        }
    }

    /// A node that should have the daemon and does not, for a reason that is the fleet's to
    /// fix rather than the release's or the node's.
    pub fn is_gap(self) -> bool {
        matches!(
            self,
            Verdict::Missing | Verdict::TaintBlocked | Verdict::StuckPending
        )
    }
}

/// Rows per verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct VerdictTally([u32; 8]);

impl VerdictTally {
    pub fn get(&self, verdict: Verdict) -> u32 {
        self.0[verdict as usize]
    }

    pub(crate) fn add(&mut self, verdict: Verdict) {
        self.0[verdict as usize] += 1;
    }

    /// Nodes that should have the daemon and do not, for a reason the fleet can fix.
    pub fn gaps(&self) -> u32 {
        Verdict::ALL
            .iter()
            .filter(|v| v.is_gap())
            .map(|&v| self.get(v))
            .sum()
    }

    /// The most severe verdict any row has.
    pub fn worst(&self) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|&v| self.get(v) > 0)
    }
}

/// Why a pair has its verdict, beyond what the coverage reason says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The coverage row's own reason says it (crash loop, image pull, unschedulable, …).
    Coverage(Reason),
    /// The container exits again and again and runs between restarts.
    CrashLooping {
        restarts: u32,
        last_exit: Timestamp,
        oom: bool,
    },
    /// Never Ready past minReadySeconds and the start-up grace.
    NeverReady {
        min_ready_seconds: i64,
    },
    /// Pending past [`PENDING_GRACE`]; `waiting` is what it waits for.
    PendingTooLong {
        waiting: Reason,
    },
    NodeNotReady {
        status: ConditionStatus,
    },
    NodeConditionTaint {
        key: Arc<str>,
    },
    OldRevision,
}

impl Why {
    /// Whether the wording already carries an age, so `since` is not added again.
    fn tells_its_age(&self) -> bool {
        matches!(
            self,
            Why::CrashLooping { .. }
                | Why::Coverage(
                    Reason::Missing { since: Some(_) }
                        | Reason::NotReady { since: Some(_) }
                        | Reason::Terminating { .. }
                )
        )
    }
}

/// A verdict with its one-line reason and, where it applies, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub why: Why,
    pub since: Option<Timestamp>,
}

impl Judgement {
    fn new(verdict: Verdict, why: Why, since: Option<Timestamp>) -> Self {
        Judgement {
            verdict,
            why,
            since,
        }
    }

    /// One line for a person; `now` turns timestamps into ages.
    pub fn describe(&self, now: Timestamp) -> String {
        let age = |t: Timestamp| units::age(now.duration_since(t));
        let text = match &self.why {
            Why::Coverage(reason) => reason.describe(now),
            Why::CrashLooping {
                restarts,
                last_exit,
                oom,
            } => {
                let how = if *oom { "OOM-killed" } else { "crash loop" };
                format!(
                    "{how} ({restarts} restarts, last exit {} ago)",
                    age(*last_exit)
                )
            }
            Why::NeverReady { min_ready_seconds } if *min_ready_seconds > 0 => {
                format!("never Ready (minReadySeconds {min_ready_seconds})")
            }
            Why::NeverReady { .. } => "never Ready".into(),
            Why::PendingTooLong { waiting } => format!("pending: {}", waiting.describe(now)),
            Why::NodeNotReady { status } => match status {
                ConditionStatus::Unknown => "node Unknown (kubelet not reporting)".into(),
                _ => "node NotReady".into(),
            },
            Why::NodeConditionTaint { key } => format!("node tainted {key}"),
            Why::OldRevision => "old revision".into(),
        };
        match self.since {
            Some(t) if t <= now && !self.why.tells_its_age() => format!("{text} ({})", age(t)),
            _ => text,
        }
    }
}

impl Judgement {
    /// The reason without ages or counts, so that the nodes one cause keeps the daemon off
    /// read the same and `herd check` can group them: `crash loop`, `no pod`,
    /// `image pull failing`, the untolerated taint.
    pub fn headline(&self) -> String {
        match &self.why {
            Why::CrashLooping { oom: true, .. } => "OOM-killed".into(),
            Why::CrashLooping { .. } => "crash loop".into(),
            Why::NeverReady { .. } => "never Ready".into(),
            Why::PendingTooLong { waiting } => {
                let waiting = Judgement::new(self.verdict, Why::Coverage(waiting.clone()), None);
                format!("pending: {}", waiting.headline())
            }
            Why::NodeNotReady { status } => match status {
                ConditionStatus::Unknown => "node Unknown (kubelet not reporting)".into(),
                _ => "node NotReady".into(),
            },
            Why::NodeConditionTaint { key } => format!("node tainted {key}"),
            Why::OldRevision => "old revision".into(),
            Why::Coverage(reason) => match reason {
                Reason::Missing { .. } => "no pod".into(),
                Reason::CrashLoop { .. } => "crash loop".into(),
                Reason::OomKilled { .. } => "OOM-killed".into(),
                Reason::NotReady { .. } => "running, not Ready".into(),
                Reason::Terminating { .. } => "terminating".into(),
                // ErrImagePull and ImagePullBackOff are two moments of one failure.
                Reason::ImagePull { .. } => "image pull failing".into(),
                Reason::Unschedulable { message } => {
                    format!("unschedulable: {}", without_node_counts(message))
                }
                // No clock in these: the wording is already the same on every node.
                other => other.describe(Timestamp::UNIX_EPOCH),
            },
        }
    }
}

/// The scheduler's message without its `0/40 nodes are available:` preamble and per-count
/// numbers, which differ between nodes refused for the same reason.
fn without_node_counts(message: &str) -> String {
    let rest = message
        .split_once("nodes are available:")
        .map_or(message, |(_, rest)| rest);
    rest.split(',')
        .map(|part| {
            part.trim()
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim()
                .trim_end_matches('.')
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdict for one coverage row. `pod` is the row's pod, `node` the row's node.
pub fn judge(
    row: &Coverage,
    pod: Option<&Pod>,
    node: &Node,
    ds: &DaemonSet,
    now: Timestamp,
) -> Judgement {
    if row.status == Status::Excluded {
        return excluded(row, node);
    }
    if let Some(down) = node_down(node) {
        return down;
    }
    if row.status == Status::Misscheduled {
        // Still running where it is no longer wanted: the controller is taking it away.
        return Judgement::new(Verdict::Rolling, Why::Coverage(row.reason.clone()), None);
    }
    match pod {
        _ if row.status == Status::Missing => missing(row, now),
        Some(pod) => from_pod(row, pod, ds, now),
        None => Judgement::new(Verdict::Rolling, Why::Coverage(row.reason.clone()), None),
    }
}

/// Every row of a DaemonSet's coverage, judged; in the rows' order.
pub fn daemon_set(
    fleet: &crate::model::Fleet,
    coverage: &coverage::DsCoverage,
    now: Timestamp,
) -> Vec<Judgement> {
    let Some(ds) = fleet.daemon_set(&coverage.uid) else {
        return Vec::new();
    };
    coverage
        .rows
        .iter()
        .filter_map(|row| {
            let node = fleet.node(&row.node)?;
            let pod = row.pod.and_then(|id| fleet.pod(id));
            Some(judge(row, pod, node, ds, now))
        })
        .collect()
}

/// The node's own fault, if it has one: NotReady or Unknown, or a node-condition taint.
pub fn node_down(node: &Node) -> Option<Judgement> {
    if node.ready.status != ConditionStatus::True {
        let why = Why::NodeNotReady {
            status: node.ready.status,
        };
        return Some(Judgement::new(Verdict::NodeDown, why, node.ready.since));
    }
    node.taints
        .iter()
        .find(|t| is_node_condition(&t.key))
        .map(|t| {
            let why = Why::NodeConditionTaint {
                key: Arc::from(t.key.as_str()),
            };
            Judgement::new(Verdict::NodeDown, why, None)
        })
}

fn is_node_condition(key: &str) -> bool {
    NODE_CONDITION_TAINTS.contains(&key)
}

/// Off the node by choice (selectors), by a forgotten toleration, or by the node's condition.
fn excluded(row: &Coverage, node: &Node) -> Judgement {
    let why = Why::Coverage(row.reason.clone());
    let Reason::Excluded(causes) = &row.reason else {
        return Judgement::new(Verdict::NotTargeted, why, None);
    };
    let condition_only = !causes.is_empty()
        && causes.iter().all(|c| match c {
            Exclusion::UntoleratedTaint(t) => is_node_condition(&t.key),
            _ => false,
        });
    if condition_only {
        return node_down(node).unwrap_or(Judgement::new(Verdict::NodeDown, why, None));
    }
    if coverage::blocked_only_by_taints(row) {
        return Judgement::new(Verdict::TaintBlocked, why, None);
    }
    Judgement::new(Verdict::NotTargeted, why, None)
}

fn missing(row: &Coverage, now: Timestamp) -> Judgement {
    let since = match &row.reason {
        Reason::Missing { since } => *since,
        _ => None,
    };
    let verdict = if within(since, MISSING_GRACE, now) {
        Verdict::Rolling
    } else {
        Verdict::Missing
    };
    Judgement::new(verdict, Why::Coverage(row.reason.clone()), since)
}

fn from_pod(row: &Coverage, pod: &Pod, ds: &DaemonSet, now: Timestamp) -> Judgement {
    let why = Why::Coverage(row.reason.clone());
    if let Some(since) = pod.deleting {
        return Judgement::new(Verdict::Rolling, why, Some(since));
    }
    if let Some(looping) = crash_looping(pod, now) {
        return Judgement::new(Verdict::ReleaseFailing, looping, pod.created);
    }
    match (&row.status, &row.reason) {
        (Status::Ready, _) => Judgement::new(Verdict::Healthy, why, None),
        (Status::Outdated, _) => Judgement::new(Verdict::Rolling, Why::OldRevision, None),
        (_, Reason::ImagePull { .. }) => Judgement::new(Verdict::ReleaseFailing, why, pod.created),
        (_, Reason::Unschedulable { .. }) => {
            Judgement::new(Verdict::StuckPending, why, pod.created)
        }
        (_, Reason::NotReady { since } | Reason::Starting { since }) => {
            not_ready(*since, ds.min_ready_seconds, now)
        }
        (_, Reason::Scheduling | Reason::ContainerCreating) => {
            if within(pod.created, PENDING_GRACE, now) {
                Judgement::new(Verdict::Rolling, why, pod.created)
            } else {
                let waiting = row.reason.clone();
                Judgement::new(
                    Verdict::StuckPending,
                    Why::PendingTooLong { waiting },
                    pod.created,
                )
            }
        }
        (Status::Failing, _) => Judgement::new(Verdict::ReleaseFailing, why, pod.created),
        _ => Judgement::new(Verdict::Rolling, why, None),
    }
}

/// Running, not Ready: starting within minReadySeconds plus the grace, failing after.
fn not_ready(since: Option<Timestamp>, min_ready_seconds: i64, now: Timestamp) -> Judgement {
    let grace = STARTUP_GRACE + SignedDuration::from_secs(min_ready_seconds.max(0));
    if within(since, grace, now) {
        // Coverage calls it not Ready past its own grace; with minReadySeconds it is starting.
        let starting = Why::Coverage(Reason::Starting { since });
        Judgement::new(Verdict::Rolling, starting, since)
    } else {
        Judgement::new(
            Verdict::ReleaseFailing,
            Why::NeverReady { min_ready_seconds },
            since,
        )
    }
}

/// A pod whose containers keep exiting: in CrashLoopBackOff now, or running between two
/// restarts with an abnormal exit within [`CRASH_WINDOW`] (and, if Ready meanwhile, after
/// several restarts).
fn crash_looping(pod: &Pod, now: Timestamp) -> Option<Why> {
    let oom = pod.last_terminated_reason.as_deref() == Some(OOM_KILLED);
    let backing_off = pod.waiting_reason.as_deref() == Some("CrashLoopBackOff");
    let abnormal = pod
        .last_terminated_reason
        .as_deref()
        .is_some_and(|r| r != "Completed");
    let last_exit = pod.last_terminated_at?;
    let recent = now.duration_since(last_exit) <= CRASH_WINDOW;
    let looping = pod.restarts > 0
        && abnormal
        && recent
        && (backing_off || !pod.ready || pod.restarts >= READY_LOOP_RESTARTS);
    looping.then_some(Why::CrashLooping {
        restarts: pod.restarts,
        last_exit,
        oom,
    })
}

/// `since` is known and `grace` has not passed since it. An unknown start counts as within
/// the grace: herd does not call something late without knowing when it began.
fn within(since: Option<Timestamp>, grace: SignedDuration, now: Timestamp) -> bool {
    since.is_none_or(|t| t.checked_add(grace).is_ok_and(|end| now < end))
}

#[cfg(test)]
mod tests;
