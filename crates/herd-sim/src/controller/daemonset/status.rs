//! DaemonSet status: the counts computed from a sync's `View`, and when they need writing.
//! Upstream: `updateDaemonSetStatus` and `storeDaemonSetStatus` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go; docs/SEMANTICS.md#status.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::DaemonSetStatus;

use super::podutil;
use super::view::View;

/// The status counters (docs/SEMANTICS.md#status); `numberUnavailable` is derived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub desired: i32,
    pub current: i32,
    pub misscheduled: i32,
    pub ready: i32,
    pub available: i32,
    pub updated: i32,
}

impl Counts {
    pub fn unavailable(&self) -> i32 {
        self.desired - self.available
    }
}

/// Counts over the node list; only the oldest mapped pod of each node is inspected, and nodes
/// that no longer exist are invisible.
pub fn compute(view: &View) -> Counts {
    let mut c = Counts::default();
    for d in &view.nodes {
        let oldest = view.map.get(&d.name).and_then(|pods| pods.first());
        if !d.should_run {
            if oldest.is_some() {
                c.misscheduled += 1;
            }
            continue;
        }
        c.desired += 1;
        let Some(pod) = oldest else { continue };
        c.current += 1;
        if podutil::is_ready(pod) {
            c.ready += 1;
            if view.available(pod) {
                c.available += 1;
            }
        }
        if view.version.is_updated(pod) {
            c.updated += 1;
        }
    }
    c
}

/// The earliest time a Ready, not-yet-Available pod on a desired node becomes Available: when
/// the controller must look again (docs/SEMANTICS.md#requeues). Every pod counts, not only each
/// node's oldest: upstream's `updatePod` requeues the DaemonSet minReadySeconds (plus a second)
/// after any of its pods turns Ready, and a surge rollout waits on the newer pod of a node to
/// become Available before it deletes the old one (kubernetes/pkg/controller/daemon/
/// daemon_controller.go).
pub fn next_available(view: &View) -> Option<Timestamp> {
    view.nodes
        .iter()
        .filter(|d| d.should_run)
        .filter_map(|d| view.map.get(&d.name))
        .flatten()
        .filter_map(|p| podutil::available_at(p, view.min_ready_seconds, view.now))
        .min()
}

/// Whether `status` already says `counts` and has observed `generation` (no write needed).
pub fn is_current(status: Option<&DaemonSetStatus>, counts: &Counts, generation: i64) -> bool {
    let Some(s) = status else {
        return false;
    };
    s.desired_number_scheduled == counts.desired
        && s.current_number_scheduled == counts.current
        && s.number_misscheduled == counts.misscheduled
        && s.number_ready == counts.ready
        && s.updated_number_scheduled.unwrap_or(0) == counts.updated
        && s.number_available.unwrap_or(0) == counts.available
        && s.number_unavailable.unwrap_or(0) == counts.unavailable()
        && s.observed_generation.unwrap_or(0) >= generation
}

/// Writes the counts into `status`; `observed` is set when the sync passed the expectations gate.
pub fn apply(status: &mut DaemonSetStatus, counts: &Counts, observed: Option<i64>) {
    if let Some(g) = observed {
        status.observed_generation = omit_zero(g);
    }
    status.desired_number_scheduled = counts.desired;
    status.current_number_scheduled = counts.current;
    status.number_misscheduled = counts.misscheduled;
    status.number_ready = counts.ready;
    status.updated_number_scheduled = omit_zero(counts.updated);
    status.number_available = omit_zero(counts.available);
    status.number_unavailable = omit_zero(counts.unavailable());
}

/// The API omits these fields when zero (`omitempty`); so does the simulator.
fn omit_zero<T: Default + PartialEq>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}
