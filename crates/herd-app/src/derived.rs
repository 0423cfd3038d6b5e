//! What analysis derives from the fleet, cached in the state: recomputed (coalesced) when the
//! fleet changes, never in render, so a frame only formats.

mod refresh;
#[cfg(test)]
mod refresh_tests;

use std::ops::Range;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use herd_core::analysis::coverage::{self, CoverageReport, Status};
use herd_core::analysis::hogs::{self, HogReport};
use herd_core::analysis::rollout::{self, Rollout};
use herd_core::analysis::thresholds::{Level, Thresholds};
use herd_core::analysis::untargeted::{self, Untargeted};
use herd_core::analysis::verdict::Verdict;
use herd_core::engine::progress::Standing;
use herd_core::model::daemonset::{DaemonSet, StatusCounts};
use herd_core::model::fasthash::FastMap;
use herd_core::model::fleet::{Fleet, PodId};
use herd_core::model::node::Node;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// The fleet generation these figures were computed from.
    pub generation: u64,
    pub at: Option<Timestamp>,
    /// When every DaemonSet's verdicts were last judged: they move with the clock alone (a
    /// grace runs out, a crash loop goes quiet), so they are judged again every
    /// [`VERDICT_REFRESH`] even when no event arrives.
    pub judged_at: Option<Timestamp>,
    pub coverage: CoverageReport,
    pub hogs: Option<HogReport>,
    /// One row per DaemonSet, in namespace/name order (the coverage report's order).
    pub fleet_rows: Vec<FleetRow>,
    /// The reverse view of the node on screen, when the top view is a node.
    pub node_view: Option<coverage::NodeCoverage>,
    /// Where the managed rollout on screen stands (the DaemonSet screen's, or the one whose
    /// controls are open), by the DaemonSet's uid.
    pub rollout_view: Option<(Arc<str>, Standing)>,
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

/// How often verdicts are judged again with no event to prompt it.
pub const VERDICT_REFRESH: SignedDuration = SignedDuration::from_secs(10);

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
    /// Nodes that should have the daemon and lack it for a reason the fleet can fix: missing
    /// past its grace, taint-blocked, stuck pending.
    pub gaps: u32,
    /// Targeted but kept off by an untolerated taint alone (counted in `gaps` too).
    pub taint_blocked: u32,
    /// The release fails there: crash loop, OOM kill, image pull error, never Ready.
    pub failing: u32,
    /// Nodes that should run the daemon and are down (NotReady, Unknown, a condition taint):
    /// the node's fault, whatever its pods show.
    pub node_down: u32,
    pub misscheduled: u32,
    /// Worst hog level among its pods, and how many pods are hogs.
    pub hog: Level,
    pub hogs: u32,
    pub rollout: Rollout,
    pub untargeted: Option<Untargeted>,
    /// Problems first (0) to nothing to see (8): what the status sort orders by.
    pub severity: u8,
    pub images: String,
    pub created: Option<Timestamp>,
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
                Some(fleet_row(fleet, ds, c, footprint, now))
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
            judged_at: Some(now),
            coverage,
            hogs: Some(hogs),
            fleet_rows,
            node_view: None,
            rollout_view: None,
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

    /// Whether the verdicts are older than [`VERDICT_REFRESH`] at `now`.
    pub fn verdicts_due(&self, now: Timestamp) -> bool {
        self.judged_at
            .is_some_and(|at| at.checked_add(VERDICT_REFRESH).is_ok_and(|due| due <= now))
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
    fleet: &Fleet,
    ds: &DaemonSet,
    c: &coverage::DsCoverage,
    footprint: Option<&hogs::Footprint>,
    now: Timestamp,
) -> FleetRow {
    let (t, v) = (&c.tally, &c.verdicts);
    let images = ds
        .containers
        .iter()
        .map(|c| &*c.image)
        .collect::<Vec<_>>()
        .join(",");
    let rollout = rollout::analyze(fleet, ds, c, now);
    let untargeted = untargeted::find(fleet, ds, c);
    let severity = severity(v.worst(), rollout.is_stalled(), untargeted.is_some());
    FleetRow {
        uid: Arc::clone(&ds.uid),
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
        status: ds.status,
        eligible: c.counts.desired,
        served: t.get(Status::Ready) + t.get(Status::Outdated),
        gaps: v.gaps(),
        taint_blocked: v.get(Verdict::TaintBlocked),
        failing: v.get(Verdict::ReleaseFailing),
        node_down: v.get(Verdict::NodeDown),
        misscheduled: t.get(Status::Misscheduled),
        hog: footprint
            .and_then(|f| f.worst.as_ref())
            .map_or(Level::Ok, |w| w.level),
        hogs: footprint.map_or(0, |f| f.hogs),
        rollout,
        untargeted,
        severity,
        images,
        created: ds.created,
    }
}

/// The verdicts' order of severity, with a stalled rollout after the gaps (its holders are
/// counted there already) and a DaemonSet that targets nothing before nodes that are down.
pub fn severity(worst: Option<Verdict>, stalled: bool, untargeted: bool) -> u8 {
    match worst {
        Some(Verdict::ReleaseFailing) => 0,
        Some(Verdict::Missing) => 1,
        Some(Verdict::TaintBlocked) => 2,
        Some(Verdict::StuckPending) => 3,
        _ if stalled => 4,
        _ if untargeted => 5,
        Some(Verdict::NodeDown) => 6,
        Some(Verdict::Rolling) => 7,
        _ => 8,
    }
}

/// One node's DaemonSets by verdict: what the Nodes screen's RUN / MISS / FAIL / DOWN show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeCounts {
    /// DaemonSets with a pod running there (Ready or not, any revision).
    pub running: u32,
    /// Gaps: missing, taint-blocked, stuck pending.
    pub missing: u32,
    /// Release faults.
    pub failing: u32,
    /// DaemonSets that should run there while the node is down.
    pub down: u32,
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
        // A pod past scheduling and container creation runs, Ready or not: a node that is
        // down still runs its daemons as far as the API knows.
        let runs = row.pod.is_some()
            && row.status.should_run()
            && !matches!(row.status, Status::Pending | Status::Missing);
        if runs {
            apply(&mut slot.running);
        }
        match row.verdict {
            v if v.is_gap() => apply(&mut slot.missing),
            Verdict::ReleaseFailing => apply(&mut slot.failing),
            Verdict::NodeDown => apply(&mut slot.down),
            _ => {}
        }
    }
}
