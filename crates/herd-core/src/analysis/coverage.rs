//! Coverage: for every (DaemonSet, node) pair, whether the daemon runs there and why not, with
//! per-DaemonSet counts that reproduce the DaemonSet's own status (docs/SEMANTICS.md#status;
//! upstream `updateDaemonSetStatus` in kubernetes/pkg/controller/daemon/daemon_controller.go).

mod classify;
mod display;
mod walk;

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

pub use self::classify::STARTUP_GRACE;
pub(crate) use self::classify::classify;
pub use self::display::{ShortResource, Shortfall, shortfalls, used_on};
use crate::analysis::by_node::NodeOrder;
use crate::analysis::verdict::{Verdict, VerdictTally};
use crate::model::daemonset::DaemonSet;
pub use crate::model::daemonset::StatusCounts;
use crate::model::fleet::{Fleet, PodId};
use crate::model::node::{ConditionStatus, Node};
use crate::model::placement::Exclusion;
use crate::model::pod::PodPhase;

/// The counts coverage derives; equal field for field to the DaemonSet's status.
pub type CoverageCounts = StatusCounts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Running and Ready on the current revision.
    Ready,
    /// Running and Ready on an old revision.
    Outdated,
    /// A pod exists but is not running yet (scheduling, image pull, container creation).
    Pending,
    /// A pod exists but is crash-looping, OOM-killed, never Ready, or has finished.
    Failing,
    /// The node's pod is being deleted.
    Terminating,
    /// The node should run the daemon and has no pod.
    Missing,
    /// A pod runs on a node that should not run it.
    Misscheduled,
    /// The node should not run the daemon and has no pod.
    Excluded,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Ready,
        Status::Outdated,
        Status::Pending,
        Status::Failing,
        Status::Terminating,
        Status::Missing,
        Status::Misscheduled,
        Status::Excluded,
    ];

    /// Whether the node counts in desiredNumberScheduled.
    pub fn should_run(self) -> bool {
        !matches!(self, Status::Misscheduled | Status::Excluded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::Outdated => "outdated",
            Status::Pending => "pending",
            Status::Failing => "failing",
            Status::Terminating => "terminating",
            Status::Missing => "missing",
            Status::Misscheduled => "misscheduled",
            Status::Excluded => "excluded",
        }
    }
}

/// Why a pair has its status. Holds shared strings and copies, never per-row text: the
/// wording is produced by `Display` when a row is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    None,
    /// Waiting for the scheduler to bind the pod.
    Scheduling,
    /// `PodScheduled=False`; see [`shortfalls`] for which resource and by how much.
    Unschedulable {
        message: Arc<str>,
    },
    ContainerCreating,
    ImagePull {
        reason: Arc<str>,
    },
    /// Running, not Ready yet, within the start-up grace.
    Starting {
        since: Option<Timestamp>,
    },
    CrashLoop {
        restarts: u32,
    },
    OomKilled {
        restarts: u32,
    },
    /// Another waiting reason, such as CreateContainerConfigError.
    ContainerError {
        reason: Arc<str>,
    },
    /// Running but not Ready for longer than the start-up grace.
    NotReady {
        since: Option<Timestamp>,
    },
    Finished {
        phase: PodPhase,
    },
    Terminating {
        since: Timestamp,
    },
    /// Should run but has no pod; since the later of the node becoming Ready, the node's
    /// creation and the DaemonSet's creation.
    Missing {
        since: Option<Timestamp>,
    },
    /// The placement predicate's causes (for Excluded and Misscheduled).
    Excluded(Vec<Exclusion>),
}

/// The node's state a row shows next to its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NodeContext {
    pub ready: ConditionStatus,
    pub cordoned: bool,
}

impl NodeContext {
    pub fn of(node: &Node) -> Self {
        NodeContext {
            ready: node.ready.status,
            cordoned: node.unschedulable,
        }
    }

    pub fn not_ready(self) -> bool {
        self.ready != ConditionStatus::True
    }
}

/// One (DaemonSet, node) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub node: Arc<str>,
    pub status: Status,
    pub reason: Reason,
    /// The node's oldest pod, the one the status counts read.
    pub pod: Option<PodId>,
    /// This DaemonSet's pods on the node (two during a surge, or duplicates).
    pub pods: u32,
    /// The oldest pod is on the current revision.
    pub updated: bool,
    pub context: NodeContext,
    /// Whose fault it is, if anything is wrong ([`crate::analysis::verdict`]); the wording
    /// comes from [`crate::analysis::verdict::judge`] when a row is shown.
    pub verdict: Verdict,
}

/// Rows per status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tally([u32; 8]);

impl Tally {
    pub fn get(&self, status: Status) -> u32 {
        self.0[status as usize]
    }

    pub(crate) fn add(&mut self, status: Status) {
        self.0[status as usize] += 1;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsCoverage {
    pub uid: Arc<str>,
    pub counts: CoverageCounts,
    pub tally: Tally,
    /// Rows per verdict (empty from [`summarize`], like `tally`).
    pub verdicts: VerdictTally,
    /// One row per node, in node-name order (empty from [`summarize`]).
    pub rows: Vec<Coverage>,
    /// Owned pods whose target node is not in the node list (status ignores them).
    pub pods_on_unknown_nodes: u32,
    /// Owned pods with no target node at all.
    pub unplaced_pods: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoverageReport {
    /// In namespace/name order.
    pub daemon_sets: Vec<DsCoverage>,
}

impl CoverageReport {
    pub fn get(&self, uid: &str) -> Option<&DsCoverage> {
        self.daemon_sets.iter().find(|d| &*d.uid == uid)
    }
}

/// The full pass: every DaemonSet against every node.
pub fn analyze(fleet: &Fleet, now: Timestamp) -> CoverageReport {
    let order = NodeOrder::new(fleet);
    let mut table = order.table();
    let mut daemon_sets = Vec::with_capacity(fleet.daemon_set_count());
    for ds in fleet.daemon_sets() {
        daemon_sets.push(walk::daemon_set(fleet, ds, &order, &mut table, now, true));
    }
    CoverageReport { daemon_sets }
}

/// Coverage of one DaemonSet; `None` for an unknown uid.
pub fn daemon_set(fleet: &Fleet, ds_uid: &str, now: Timestamp) -> Option<DsCoverage> {
    one(fleet, ds_uid, now, true)
}

/// One DaemonSet's row for one node on its own, the row [`daemon_set`] gives for that node.
pub(crate) fn pair(fleet: &Fleet, ds: &DaemonSet, node: &Node, now: Timestamp) -> Coverage {
    walk::pair(fleet, ds, node, now)
}

/// Only the counts, comparable with the DaemonSet's status; `None` for an unknown uid.
pub fn summarize(fleet: &Fleet, ds_uid: &str, now: Timestamp) -> Option<CoverageCounts> {
    Some(one(fleet, ds_uid, now, false)?.counts)
}

fn one(fleet: &Fleet, ds_uid: &str, now: Timestamp, keep_rows: bool) -> Option<DsCoverage> {
    let ds = fleet.daemon_set(ds_uid)?;
    let order = NodeOrder::new(fleet);
    let mut table = order.table();
    Some(walk::daemon_set(
        fleet, ds, &order, &mut table, now, keep_rows,
    ))
}

/// An excluded pair whose only causes are untolerated taints that are not node conditions:
/// the DaemonSet targets the node but forgot a toleration (the classic "security agent misses
/// the GPU nodes"), which people count as a gap rather than a choice.
pub fn blocked_only_by_taints(row: &Coverage) -> bool {
    let Reason::Excluded(causes) = &row.reason else {
        return false;
    };
    row.status == Status::Excluded
        && !causes.is_empty()
        && causes.iter().all(|c| match c {
            Exclusion::UntoleratedTaint(t) => !t.key.starts_with("node.kubernetes.io/"),
            _ => false,
        })
}

/// The reverse view for one node: every DaemonSet and what it does here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCoverage {
    pub node: Arc<str>,
    pub context: NodeContext,
    /// (DaemonSet uid, its row for this node), in DaemonSet namespace/name order.
    pub rows: Vec<(Arc<str>, Coverage)>,
}

impl NodeCoverage {
    /// DaemonSets that should run here.
    pub fn should_run(&self) -> impl Iterator<Item = &(Arc<str>, Coverage)> {
        self.rows.iter().filter(|(_, c)| c.status.should_run())
    }

    /// DaemonSets that should run here and run Ready.
    pub fn running(&self) -> impl Iterator<Item = &(Arc<str>, Coverage)> {
        self.rows
            .iter()
            .filter(|(_, c)| matches!(c.status, Status::Ready | Status::Outdated))
    }

    /// DaemonSets that should run here and do not run Ready, with the reason in each row.
    pub fn not_running(&self) -> impl Iterator<Item = &(Arc<str>, Coverage)> {
        self.should_run()
            .filter(|(_, c)| !matches!(c.status, Status::Ready | Status::Outdated))
    }
}

/// `None` for an unknown node.
pub fn node_view(fleet: &Fleet, node_name: &str, now: Timestamp) -> Option<NodeCoverage> {
    let node = fleet.node(node_name)?;
    let rows = fleet
        .daemon_sets()
        .map(|ds| (Arc::clone(&ds.uid), walk::pair(fleet, ds, node, now)))
        .collect();
    Some(NodeCoverage {
        node: Arc::clone(&node.name),
        context: NodeContext::of(node),
        rows,
    })
}

#[cfg(test)]
mod counts_tests;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod scale;
#[cfg(test)]
mod tests;
