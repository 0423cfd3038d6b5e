//! Whether one node gains or loses one DaemonSet's pod when the DaemonSet's targeting or the
//! node's labels and taints change, and why: the piece both previews share, so an edit on
//! either side reads the same way.

use std::sync::Arc;

use crate::model::fleet::Fleet;
use crate::model::placement::{Exclusion, NodeFacts, Placement, PreparedPlacement};

/// A node that gains or loses the daemon, and the reason a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChange {
    pub node: Arc<str>,
    pub reason: String,
}

/// What happens on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Runs the daemon (or is about to) before and after.
    Keeps,
    /// Runs it neither before nor after.
    Without,
    Gains(String),
    Loses(String),
}

/// One node's placement before and after a change.
pub struct Sides<'a> {
    pub before: (&'a PreparedPlacement, NodeFacts<'a>),
    pub after: (&'a PreparedPlacement, NodeFacts<'a>),
    /// The DaemonSet has a live pod on the node now.
    pub has_pod: bool,
    /// The pod template changes and the native rolling update replaces every old pod: an old
    /// pod on a node where a new one may not be created goes and does not come back
    /// (upstream `rollingUpdate` in kubernetes/pkg/controller/daemon/update.go deletes old
    /// pods without asking whether the node should run a new one).
    pub replaced: bool,
}

/// Whether the daemon runs on a node under `placement`: where a pod is created, and where one
/// already there is kept (upstream `podsShouldBeOnNode` in
/// kubernetes/pkg/controller/daemon/daemon_controller.go).
fn runs(placement: &Placement, has_pod: bool, replaced: bool) -> bool {
    placement.should_run || (has_pod && !replaced && placement.should_continue_running)
}

pub fn outcome(sides: &Sides<'_>) -> Outcome {
    let (before_placement, before_node) = &sides.before;
    let (after_placement, after_node) = &sides.after;
    let before = before_placement.evaluate(before_node);
    let after = after_placement.evaluate(after_node);
    let ran = runs(&before, sides.has_pod, false);
    let will = runs(&after, sides.has_pod, sides.replaced);
    match (ran, will) {
        (true, true) => Outcome::Keeps,
        (false, false) => Outcome::Without,
        (false, true) => Outcome::Gains(gain_reason(&before.exclusions, &after.exclusions)),
        (true, false) => Outcome::Loses(loss_reason(&before, &after, sides.has_pod)),
    }
}

/// The causes that kept the node off and are gone.
fn gain_reason(before: &[Exclusion], after: &[Exclusion]) -> String {
    let gone: Vec<String> = before
        .iter()
        .filter(|e| !after.contains(e))
        .map(|e| e.to_string())
        .collect();
    if gone.is_empty() {
        "now selected".to_string()
    } else {
        format!("no longer: {}", gone.join("; "))
    }
}

/// The new causes that keep the node off, and what becomes of the pod there: kept by
/// "continue running" but replaced by the rolling update and not created again, deleted
/// outright (podsShouldBeOnNode in kubernetes/pkg/controller/daemon/daemon_controller.go), or
/// none there to lose.
fn loss_reason(before: &Placement, after: &Placement, has_pod: bool) -> String {
    let new: Vec<String> = after
        .exclusions
        .iter()
        .filter(|e| !before.exclusions.contains(e))
        .map(|e| e.to_string())
        .collect();
    let causes = if new.is_empty() {
        after
            .exclusions
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        new.join("; ")
    };
    if has_pod && after.should_continue_running {
        format!("{causes}: the rolling update deletes its pod and creates none here")
    } else if has_pod {
        // Not even "continue running": the controller deletes the pod there (or, under a
        // NoExecute taint, the taint manager evicts it) — upstream's podsToDelete.
        format!("{causes}: its pod there is deleted")
    } else {
        // The node was owed a pod it does not have: it leaves the set, and stops counting
        // as missing coverage.
        format!("{causes} (no pod there now: no longer counted as missing)")
    }
}

/// Whether `ds_uid` has a live pod (not terminal, not being deleted) on `node`.
pub fn has_live_pod(fleet: &Fleet, ds_uid: &str, node: &str) -> bool {
    fleet.pods_of(ds_uid).is_some_and(|owned| {
        owned.on(node).iter().any(|id| {
            fleet
                .pod(*id)
                .is_some_and(|p| p.deleting.is_none() && !p.phase.is_terminal())
        })
    })
}
