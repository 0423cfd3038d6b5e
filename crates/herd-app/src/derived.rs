//! What analysis derives from the fleet, cached in the state: recomputed (coalesced) when the
//! fleet changes, never in render, so a frame only formats.

mod refresh;
#[cfg(test)]
mod refresh_tests;

use std::ops::Range;
use std::sync::Arc;

use jiff::Timestamp;

use herd_core::analysis::coverage::{self, CoverageReport, Status};
use herd_core::analysis::hogs::{self, HogReport};
use herd_core::analysis::thresholds::{Level, Thresholds};
use herd_core::model::daemonset::{DaemonSet, StatusCounts, StrategyKind};
use herd_core::model::fasthash::FastMap;
use herd_core::model::fleet::{Fleet, PodId};
use herd_core::model::node::Node;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// The fleet generation these figures were computed from.
    pub generation: u64,
    pub at: Option<Timestamp>,
    pub coverage: CoverageReport,
    pub hogs: Option<HogReport>,
    /// One row per DaemonSet, in namespace/name order (the coverage report's order).
    pub fleet_rows: Vec<FleetRow>,
    /// The reverse view of the node on screen, when the top view is a node.
    pub node_view: Option<coverage::NodeCoverage>,
    /// Per node, in node-name order: DaemonSets running Ready there, and those that should
    /// run there but do not.
    pub node_counts: Vec<NodeCounts>,
    /// Node names in name order: the index the Nodes view's rows and `node_counts` use, so a
    /// frame finds a row's node without walking the node map.
    pub node_names: Vec<Arc<str>>,
    by_uid: FastMap<Arc<str>, usize>,
    /// One entry per daemon pod (150,000 at the budget's scale), so it uses the fast hasher.
    hog_by_pod: FastMap<PodId, usize>,
    /// Index of each node's tax in `hogs.node_tax`, by node name.
    tax_by_node: FastMap<Arc<str>, usize>,
    /// Each DaemonSet's slice of `hogs.pods`, by its `fleet_rows` index (the pods come in the
    /// same namespace/name order), so one DaemonSet's ratings can be redone in place.
    hog_ranges: Vec<Range<usize>>,
}

/// The Fleet screen's row for one DaemonSet.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRow {
    pub uid: Arc<str>,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    /// As the DaemonSet's status reports them (what kubectl shows).
    pub status: StatusCounts,
    /// Nodes that should run the daemon, and those running it Ready (any revision).
    pub eligible: u32,
    pub served: u32,
    /// Should run but has no running pod: missing or still pending.
    pub gaps: u32,
    /// Targeted but kept off by an untolerated taint alone (counted in `gaps` too).
    pub taint_blocked: u32,
    pub failing: u32,
    pub misscheduled: u32,
    /// Worst hog level among its pods, and how many pods are hogs.
    pub hog: Level,
    pub hogs: u32,
    pub rollout: Rollout,
    pub images: String,
    pub created: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// Every eligible node runs the current revision.
    Complete,
    /// Pods are being replaced: `updated` of `desired` are on the current revision.
    Progressing { updated: u32, desired: u32 },
    /// OnDelete with old pods: nothing replaces them until someone deletes them.
    Waiting { updated: u32, desired: u32 },
    /// The controller has not seen the latest spec yet.
    Pending,
}

impl Derived {
    /// Recomputes everything from `fleet` at `now`.
    pub fn compute(fleet: &Fleet, thresholds: &Thresholds, now: Timestamp) -> Self {
        let coverage = coverage::analyze(fleet, now);
        let hogs = hogs::analyze(fleet, thresholds);
        let fleet_rows: Vec<FleetRow> = coverage
            .daemon_sets
            .iter()
            .filter_map(|c| {
                let ds = fleet.daemon_set(&c.uid)?;
                let footprint = hogs.footprints.iter().find(|f| f.ds_uid == c.uid);
                Some(fleet_row(ds, c, footprint))
            })
            .collect();
        let by_uid = fleet_rows
            .iter()
            .enumerate()
            .map(|(i, r)| (Arc::clone(&r.uid), i))
            .collect();
        let node_counts = node_counts(fleet, &coverage);
        let node_names = fleet.nodes().map(|n| Arc::clone(&n.name)).collect();
        let mut derived = Derived {
            generation: fleet.generation(),
            at: Some(now),
            coverage,
            hogs: Some(hogs),
            fleet_rows,
            node_view: None,
            node_counts,
            node_names,
            by_uid,
            ..Derived::default()
        };
        derived.index_hogs();
        derived
    }

    /// Rebuilds the lookups into `hogs`: by pod, by node, and each DaemonSet's slice.
    fn index_hogs(&mut self) {
        let Some(hogs) = &self.hogs else {
            return;
        };
        self.tax_by_node = hogs
            .node_tax
            .iter()
            .enumerate()
            .map(|(i, t)| (Arc::clone(&t.node), i))
            .collect();
        self.hog_by_pod = hogs
            .pods
            .iter()
            .enumerate()
            .map(|(i, h)| (h.pod, i))
            .collect();
        let mut at = 0;
        self.hog_ranges = self
            .fleet_rows
            .iter()
            .map(|row| {
                let start = at;
                while hogs.pods.get(at).is_some_and(|h| h.ds_uid == row.uid) {
                    at += 1;
                }
                start..at
            })
            .collect();
    }

    pub fn row(&self, uid: &str) -> Option<&FleetRow> {
        self.by_uid.get(uid).and_then(|&i| self.fleet_rows.get(i))
    }

    pub fn coverage_of(&self, uid: &str) -> Option<&coverage::DsCoverage> {
        let i = *self.by_uid.get(uid)?;
        self.coverage.daemon_sets.get(i).filter(|c| &*c.uid == uid)
    }

    pub fn hog_of(&self, pod: PodId) -> Option<&hogs::PodHog> {
        let i = *self.hog_by_pod.get(&pod)?;
        self.hogs.as_ref()?.pods.get(i)
    }

    /// The node at `index` in name order (as of the last derive).
    pub fn node_at<'f>(&self, fleet: &'f Fleet, index: usize) -> Option<&'f Node> {
        fleet.node(self.node_names.get(index)?)
    }

    pub fn tax_of(&self, node: &str) -> Option<&hogs::NodeTax> {
        let i = *self.tax_by_node.get(node)?;
        self.hogs.as_ref()?.node_tax.get(i)
    }
}

fn fleet_row(
    ds: &DaemonSet,
    c: &coverage::DsCoverage,
    footprint: Option<&hogs::Footprint>,
) -> FleetRow {
    let t = &c.tally;
    let taint_blocked = c
        .rows
        .iter()
        .filter(|r| coverage::blocked_only_by_taints(r))
        .count() as u32;
    let images = ds
        .containers
        .iter()
        .map(|c| &*c.image)
        .collect::<Vec<_>>()
        .join(",");
    FleetRow {
        uid: Arc::clone(&ds.uid),
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
        status: ds.status,
        eligible: c.counts.desired,
        served: t.get(Status::Ready) + t.get(Status::Outdated),
        gaps: t.get(Status::Missing) + t.get(Status::Pending) + taint_blocked,
        taint_blocked,
        failing: t.get(Status::Failing),
        misscheduled: t.get(Status::Misscheduled),
        hog: footprint
            .and_then(|f| f.worst.as_ref())
            .map_or(Level::Ok, |w| w.level),
        hogs: footprint.map_or(0, |f| f.hogs),
        rollout: rollout(ds, &c.counts),
        images,
        created: ds.created,
    }
}

fn rollout(ds: &DaemonSet, counts: &StatusCounts) -> Rollout {
    if !ds.is_observed() {
        return Rollout::Pending;
    }
    let (updated, desired) = (counts.updated, counts.desired);
    // Unavailable pods on NotReady nodes are not a rollout problem; the gaps column shows them.
    if updated >= desired {
        Rollout::Complete
    } else if ds.update_strategy.kind == StrategyKind::OnDelete && updated < desired {
        Rollout::Waiting { updated, desired }
    } else {
        Rollout::Progressing { updated, desired }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeCounts {
    pub running: u32,
    pub missing: u32,
}

/// Coverage rows are in node-name order for every DaemonSet, the same order as `fleet.nodes()`.
fn node_counts(fleet: &Fleet, coverage: &CoverageReport) -> Vec<NodeCounts> {
    let mut counts = vec![NodeCounts::default(); fleet.nodes().len()];
    for ds in &coverage.daemon_sets {
        count_rows(&mut counts, &ds.rows, 1);
    }
    counts
}

/// Adds (`sign` 1) or takes back (`sign` -1) one DaemonSet's rows in the per-node counts.
fn count_rows(counts: &mut [NodeCounts], rows: &[coverage::Coverage], sign: i32) {
    let apply = |n: &mut u32| *n = n.saturating_add_signed(sign);
    for (slot, row) in counts.iter_mut().zip(rows) {
        match row.status {
            Status::Ready | Status::Outdated => apply(&mut slot.running),
            s if s.should_run() => apply(&mut slot.missing),
            // A forgotten toleration is a gap on this node too.
            _ if coverage::blocked_only_by_taints(row) => apply(&mut slot.missing),
            _ => {}
        }
    }
}
