//! `plan`: given the fleet as it is and a managed rollout's record, which old-revision pods to
//! delete next, or why none (a pause point, a failure, the budget, the end). Pure and
//! idempotent: the same snapshot and clock give the same plan, so the runner can re-plan on
//! every fleet change and after any restart without remembering anything but the record.
//!
//! The DaemonSet is on OnDelete while managed, so the native controller creates each deleted
//! pod's replacement from the (new) template; the engine only chooses what to delete. The
//! budget is counted as the controller's `rollingUpdate` counts it
//! (kubernetes/pkg/controller/daemon/update.go): a node with no pod, two pods, a new pod not
//! Available or an old pod not Available is unavailable.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::policy::{Checked, PausePoint};
use super::record::{HERD_FIELD_MANAGER, RolloutRecord, State};
use crate::analysis::coverage;
use crate::analysis::verdict::{self, Verdict};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::{Fleet, PodId};
use crate::model::pod::Pod;

/// One pod to delete: its node, and its place in the fleet planned from. What the delete's
/// preconditions need (name, uid, resourceVersion) is read from that same fleet with
/// [`Deletion::target`] as the delete is made: a plan that deletes hundreds of pods copies
/// none of that for the ones it never gets to (benches/engine_plan.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub node: Arc<str>,
    pub pod: PodId,
}

impl Deletion {
    /// The pod as `fleet` (the one planned from) holds it; `None` if it holds it no more.
    pub fn target<'f>(&self, fleet: &'f Fleet) -> Option<&'f Pod> {
        fleet.pod(self.pod)
    }
}

/// What the rollout does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Delete `Plan::deletions` (possibly none, while new pods come up).
    Proceed,
    /// The record says to wait (paused, halted, contested or ended): nothing is deleted.
    Hold,
    /// A pause point is reached: record it and wait for a person.
    Pause(PausePoint),
    /// New pods fail: record why and where, and wait (or roll back, by the policy).
    Halt {
        reason: String,
        nodes: Vec<Arc<str>>,
    },
    /// Every node to update runs the new revision, Available.
    Complete,
    /// Another field manager put an update strategy back while the rollout is managed: the
    /// native controller now rolls pods itself. Record who, and wait for a person rather than
    /// fight a GitOps tool over the field.
    Contest { manager: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub next: Next,
    pub deletions: Vec<Deletion>,
    /// maxUnavailable scaled against the nodes that should run the DaemonSet.
    pub budget: u32,
    /// Nodes counted unavailable now, down ones included.
    pub unavailable: Vec<Arc<str>>,
    /// Nodes down: never deleted on and never waited for, but counted against the budget.
    pub skipped_down: Vec<Arc<str>>,
    /// The budget is used up by nodes down alone, with nodes still to update.
    pub blocked_by_down: bool,
    /// Nodes to update (not partitioned), and those on the new revision, Available.
    pub to_update: u32,
    pub updated: u32,
    /// Nodes kept on the old revision by the partition.
    pub partitioned: u32,
    /// Nodes that should run the DaemonSet and no longer run a pod of the old revision
    /// (updated, coming up, or with no pod yet), partitioned and down ones included.
    pub moved: u32,
}

impl Plan {
    /// Holding, with nothing counted: where every plan starts.
    fn nothing() -> Self {
        Plan {
            next: Next::Hold,
            deletions: Vec::new(),
            budget: 0,
            unavailable: Vec::new(),
            skipped_down: Vec::new(),
            blocked_by_down: false,
            to_update: 0,
            updated: 0,
            partitioned: 0,
            moved: 0,
        }
    }
}

/// The plan for `ds` under `record` at `now`. Planning several DaemonSets over one snapshot,
/// or one after another as the fleet changes, use a [`Planner`] and keep its [`NodeCache`]:
/// it reads the nodes once for all of them.
pub fn plan(fleet: &Fleet, ds: &DaemonSet, record: &RolloutRecord, now: Timestamp) -> Plan {
    Planner::new(fleet, &mut NodeCache::new()).plan(ds, record, now)
}

fn plan_with(
    planner: &Planner,
    ds: &DaemonSet,
    record: &RolloutRecord,
    checked: &Checked,
    now: Timestamp,
) -> Plan {
    let fleet = planner.fleet;
    let mut out = Plan::nothing();
    // Which nodes should run it is read from the fleet's copy, as coverage reads it; a
    // DaemonSet the fleet does not hold is not planned.
    let Some(placed) = fleet.daemon_set(&ds.uid) else {
        return out;
    };
    let Some(target) = &record.target else {
        // Not resolved yet: nothing is known to be old.
        return out;
    };
    let nodes = stands(planner, ds, placed, &target.hash, checked, now);
    let desired = nodes.len() as i64;
    out.budget = checked
        .max_unavailable
        .scaled(desired)
        .clamp(1, i64::from(u32::MAX)) as u32;
    for n in &nodes {
        out.moved += u32::from(!n.holds_old);
        if n.down {
            out.skipped_down.push(Arc::clone(&n.node.name));
        }
        // A node down counts whatever its pod's last reported status says: the kubelet that
        // would say otherwise is not reporting.
        if n.down || matches!(n.stand, Stand::Coming | Stand::OldUnavailable) {
            out.unavailable.push(Arc::clone(&n.node.name));
        }
        if n.partitioned {
            out.partitioned += 1;
        } else if !n.down {
            out.to_update += 1;
            out.updated += u32::from(n.stand == Stand::Done);
        }
    }
    if let Some(manager) = contested_by(ds, record) {
        out.next = Next::Contest { manager };
        return out;
    }
    if record.state != State::Progressing {
        return out;
    }
    let targets: Vec<&NodeState> = nodes.iter().filter(|n| !n.partitioned && !n.down).collect();
    if let Some(halt) = failures(fleet, ds, placed, checked, &targets, now) {
        out.next = halt;
        return out;
    }
    if checked.policy.halt_on_not_ready
        && let Some(halt) = nodes_lost(&nodes)
    {
        out.next = halt;
        return out;
    }
    let coming = targets.iter().any(|n| n.stand == Stand::Coming);
    // A rollback goes straight back: no canary pause or percentage holds it up.
    if !coming
        && !record.rollback
        && let Some(point) = pause_point(record, checked, &targets)
    {
        out.next = Next::Pause(point);
        return out;
    }
    if targets.iter().all(|n| n.stand == Stand::Done) {
        out.next = Next::Complete;
        return out;
    }
    out.next = Next::Proceed;
    // While canary nodes are left, only they are touched.
    let canary_left = targets.iter().any(|n| n.canary && n.stand != Stand::Done);
    let in_phase = |n: &&NodeState| !canary_left || n.canary;
    let mut room = out.budget.saturating_sub(out.unavailable.len() as u32);
    // Said of the budget before this plan's deletions spend it: nodes down leave none.
    let none_left = room == 0;
    for n in ordered(&targets).filter(in_phase) {
        let deletable = match n.stand {
            Stand::OldUnavailable => true,
            Stand::Old if room > 0 => {
                room -= 1;
                true
            }
            _ => false,
        };
        if deletable && let Some(pod) = n.old {
            out.deletions.push(Deletion {
                node: Arc::clone(&n.node.name),
                pod,
            });
        }
    }
    let waiting = targets
        .iter()
        .copied()
        .filter(in_phase)
        .any(|n| n.stand == Stand::Old);
    out.blocked_by_down = waiting
        && none_left
        && !out.unavailable.is_empty()
        && out.unavailable.iter().all(|u| out.skipped_down.contains(u));
    out
}

/// Who took the update strategy back, when a rollout still in hand finds its DaemonSet off
/// `OnDelete`. The strategy and the record arrive in one object, so a rollout that has just
/// started is never mistaken for a contested one.
fn contested_by(ds: &DaemonSet, record: &RolloutRecord) -> Option<String> {
    let in_hand = !record.state.is_final() && !matches!(record.state, State::Contested { .. });
    if !in_hand || ds.update_strategy.kind == StrategyKind::OnDelete {
        return None;
    }
    Some(match ds.strategy_manager.as_deref() {
        Some(manager) if manager != HERD_FIELD_MANAGER => manager.to_string(),
        _ => "an unknown field manager".to_string(),
    })
}

/// Canary nodes first, then the rest, each by name (nodes come in name order).
fn ordered<'s, 'a>(
    targets: &'s [&'s NodeState<'a>],
) -> impl Iterator<Item = &'s NodeState<'a>> + 's {
    let canary = targets.iter().copied().filter(|n| n.canary);
    canary.chain(targets.iter().copied().filter(|n| !n.canary))
}

/// New pods that fail: the release-failing verdict, or not Available past the deadline.
fn failures(
    fleet: &Fleet,
    ds: &DaemonSet,
    placed: &DaemonSet,
    checked: &Checked,
    targets: &[&NodeState],
    now: Timestamp,
) -> Option<Next> {
    if !checked.policy.halt_on_failure {
        return None;
    }
    let deadline = SignedDuration::from_secs(checked.policy.progress_deadline_seconds);
    let mut nodes = Vec::new();
    let mut reasons = BTreeSet::new();
    for n in targets.iter().filter(|n| n.stand == Stand::Coming) {
        let Some(new) = n.new.and_then(|id| fleet.pod(id)) else {
            continue;
        };
        let (status, reason) = coverage::classify(new, true, now);
        let mut row = coverage::pair(fleet, placed, n.node, now);
        (row.status, row.reason, row.updated) = (status, reason, true);
        let judged = verdict::judge(&row, Some(new), n.node, ds, now);
        let late = new
            .created
            .and_then(|c| c.checked_add(deadline).ok())
            .is_some_and(|end| end <= now);
        if judged.verdict == Verdict::ReleaseFailing {
            reasons.insert(judged.headline());
        } else if late {
            reasons.insert(format!(
                "not Available within {}s",
                checked.policy.progress_deadline_seconds
            ));
        } else {
            continue;
        }
        nodes.push(Arc::clone(&n.node.name));
    }
    if nodes.is_empty() {
        return None;
    }
    let reasons: Vec<String> = reasons.into_iter().collect();
    Some(Next::Halt {
        reason: format!("new revision fails: {}", reasons.join("; ")),
        nodes,
    })
}

/// The guard of `halt_on_not_ready`: nodes that run the new revision and are down, at a
/// higher rate than nodes on the old revision that are down (those down from before the
/// rollout among them, as they never took it). Partitioned nodes are left out: they were
/// never to take it.
fn nodes_lost(nodes: &[NodeState]) -> Option<Next> {
    let (mut new, mut new_down, mut old, mut old_down) = (0u64, Vec::new(), 0u64, 0u64);
    for n in nodes.iter().filter(|n| !n.partitioned) {
        if n.holds_new {
            new += 1;
            if n.down {
                new_down.push(Arc::clone(&n.node.name));
            }
        } else if n.holds_old {
            old += 1;
            old_down += u64::from(n.down);
        }
    }
    let lost = new_down.len() as u64;
    // lost / new > old_down / old, without dividing.
    if lost == 0 || lost * old <= old_down * new {
        return None;
    }
    Some(Next::Halt {
        reason: format!(
            "nodes that took the new revision go NotReady: {lost} of {new}, against \
             {old_down} of {old} still on the old"
        ),
        nodes: new_down,
    })
}

/// The first pause point reached and not yet passed, once the last batch has settled.
fn pause_point(
    record: &RolloutRecord,
    checked: &Checked,
    targets: &[&NodeState],
) -> Option<PausePoint> {
    let done = targets.iter().filter(|n| n.stand == Stand::Done).count();
    let left = targets.len() - done;
    if left == 0 {
        return None;
    }
    checked.policy.pause_after.iter().copied().find(|point| {
        let passed = record.passed.contains(point);
        match point {
            PausePoint::Canary => {
                let canary: Vec<_> = targets.iter().filter(|n| n.canary).collect();
                !passed && !canary.is_empty() && canary.iter().all(|n| n.stand == Stand::Done)
            }
            PausePoint::Batch => record.batches > record.resumed_batches,
            PausePoint::Percent(p) => !passed && done * 100 >= usize::from(*p) * targets.len(),
        }
    })
}

mod planner;
mod stands;
#[cfg(test)]
mod tests;

pub use self::planner::{NodeCache, Planner};
use self::stands::{NodeState, Stand, stands};
