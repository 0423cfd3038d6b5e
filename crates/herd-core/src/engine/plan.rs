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

use super::policy::{Checked, PausePoint, Picked};
use super::record::{HERD_FIELD_MANAGER, RolloutRecord, State};
use crate::analysis::coverage::{self, Coverage};
use crate::analysis::verdict::{self, Verdict};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::{Fleet, PodId};
use crate::model::pod::Pod;
use crate::model::version::ResourceVersion;

/// One pod to delete, with what the executor's preconditions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub node: Arc<str>,
    pub pod: PodId,
    pub name: Arc<str>,
    pub uid: Arc<str>,
    /// The pod's version when planned: the delete is refused if it changed since.
    pub resource_version: Option<ResourceVersion>,
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
}

/// Where one node stands in the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stand {
    /// One pod, on the new revision, Available.
    Done,
    /// One pod, old, Available: a candidate for deletion.
    Old,
    /// One old pod that is not Available: replaced at once, budget or not.
    OldUnavailable,
    /// No pod, two pods, or a new pod not Available yet.
    Coming,
}

struct NodeState<'a> {
    row: &'a Coverage,
    stand: Stand,
    /// The node's only old pod, when it has one.
    old: Option<(PodId, &'a Pod)>,
    /// The node's newest new pod, when it has one.
    new: Option<&'a Pod>,
    down: bool,
    canary: bool,
    partitioned: bool,
}

/// The plan for `ds` under `record` at `now`.
pub fn plan(fleet: &Fleet, ds: &DaemonSet, record: &RolloutRecord, now: Timestamp) -> Plan {
    let mut out = Plan {
        next: Next::Hold,
        deletions: Vec::new(),
        budget: 0,
        unavailable: Vec::new(),
        skipped_down: Vec::new(),
        blocked_by_down: false,
        to_update: 0,
        updated: 0,
        partitioned: 0,
    };
    let checked = match record.policy.check() {
        Ok(c) => c,
        Err(e) => {
            out.next = Next::Halt {
                reason: e.to_string(),
                nodes: Vec::new(),
            };
            return out;
        }
    };
    let Some(cov) = coverage::daemon_set(fleet, &ds.uid, now) else {
        return out;
    };
    let Some(target) = &record.target else {
        // Not resolved yet: nothing is known to be old.
        return out;
    };
    let nodes = stands(fleet, ds, &target.hash, &checked, &cov.rows, now);
    let desired = nodes.len() as i64;
    out.budget = checked
        .max_unavailable
        .scaled(desired)
        .clamp(1, i64::from(u32::MAX)) as u32;
    for n in &nodes {
        let name = Arc::clone(&n.row.node);
        if n.down {
            out.skipped_down.push(Arc::clone(&name));
        }
        // A node down counts whatever its pod's last reported status says: the kubelet that
        // would say otherwise is not reporting.
        if n.down || matches!(n.stand, Stand::Coming | Stand::OldUnavailable) {
            out.unavailable.push(name);
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
    if let Some(halt) = failures(fleet, ds, &checked, &targets, now) {
        out.next = halt;
        return out;
    }
    let coming = targets.iter().any(|n| n.stand == Stand::Coming);
    // A rollback goes straight back: no canary pause or percentage holds it up.
    if !coming
        && !record.rollback
        && let Some(point) = pause_point(record, &checked, &targets)
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
    let order = ordered(&targets);
    for n in order.iter().copied().filter(in_phase) {
        let deletable = match n.stand {
            Stand::OldUnavailable => true,
            Stand::Old if room > 0 => {
                room -= 1;
                true
            }
            _ => false,
        };
        if deletable && let Some((id, pod)) = n.old {
            out.deletions.push(Deletion {
                node: Arc::clone(&n.row.node),
                pod: id,
                name: Arc::clone(&pod.name),
                uid: Arc::clone(&pod.uid),
                resource_version: pod.resource_version.clone(),
            });
        }
    }
    let waiting = order
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

/// Canary nodes first, then the rest, each by name (rows come in name order).
fn ordered<'a, 'b>(targets: &[&'b NodeState<'a>]) -> Vec<&'b NodeState<'a>> {
    let (canary, rest): (Vec<_>, Vec<_>) = targets.iter().copied().partition(|n| n.canary);
    canary.into_iter().chain(rest).collect()
}

/// Every node that should run the DaemonSet, with where it stands and which set it is in.
fn stands<'a>(
    fleet: &'a Fleet,
    ds: &DaemonSet,
    hash: &str,
    checked: &Checked,
    rows: &'a [Coverage],
    now: Timestamp,
) -> Vec<NodeState<'a>> {
    let owned = fleet.pods_of(&ds.uid);
    let eligible: Vec<&Coverage> = rows.iter().filter(|r| r.status.should_run()).collect();
    let names = |pick: &Option<Picked>, from_end: bool| -> BTreeSet<Arc<str>> {
        match pick {
            None => BTreeSet::new(),
            Some(Picked::Count(n)) => {
                let n = *n as usize;
                let it: Box<dyn Iterator<Item = &&Coverage>> = if from_end {
                    Box::new(eligible.iter().rev())
                } else {
                    Box::new(eligible.iter())
                };
                it.take(n).map(|r| Arc::clone(&r.node)).collect()
            }
            Some(Picked::Selector(sel)) => eligible
                .iter()
                .filter(|r| fleet.node(&r.node).is_some_and(|n| sel.matches(&n.labels)))
                .map(|r| Arc::clone(&r.node))
                .collect(),
        }
    };
    let partition = names(&checked.partition, true);
    let canary = names(&checked.canary, false);
    eligible
        .into_iter()
        .map(|row| {
            let pods: Vec<(PodId, &Pod)> = owned
                .map(|o| o.on(&row.node))
                .unwrap_or(&[])
                .iter()
                .filter_map(|id| Some((*id, fleet.pod(*id)?)))
                // As upstream's `findUpdatedPodsOnNode` (kubernetes/pkg/controller/daemon/
                // update.go): a pod being deleted is not the node's pod any more. A node whose
                // old pod terminates is unavailable, and that pod is never deleted twice.
                .filter(|(_, p)| p.deleting.is_none())
                .collect();
            let is_new = |p: &Pod| p.revision_hash.as_deref() == Some(hash);
            let (new, old): (Vec<_>, Vec<_>) = pods.iter().partition(|(_, p)| is_new(p));
            let available = |p: &Pod| p.is_available(ds.min_ready_seconds, now);
            let stand = match (new.as_slice(), old.as_slice()) {
                ([(_, n)], []) if available(n) => Stand::Done,
                ([], [(_, o)]) if available(o) => Stand::Old,
                ([], [_]) => Stand::OldUnavailable,
                _ => Stand::Coming,
            };
            let down = fleet
                .node(&row.node)
                .is_some_and(|n| verdict::node_down(n).is_some());
            NodeState {
                row,
                stand,
                old: match old.as_slice() {
                    [(id, p)] => Some((*id, *p)),
                    _ => None,
                },
                new: new.iter().map(|(_, p)| *p).max_by_key(|p| p.created),
                down,
                canary: canary.contains(&row.node) && !partition.contains(&row.node),
                partitioned: partition.contains(&row.node),
            }
        })
        .collect()
}

/// New pods that fail: the release-failing verdict, or not Available past the deadline.
fn failures(
    fleet: &Fleet,
    ds: &DaemonSet,
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
        let Some(new) = n.new else {
            continue;
        };
        let node = fleet.node(&n.row.node)?;
        let (status, reason) = coverage::classify(new, true, now);
        let mut row = n.row.clone();
        (row.status, row.reason, row.updated) = (status, reason, true);
        let judged = verdict::judge(&row, Some(new), node, ds, now);
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
        nodes.push(Arc::clone(&n.row.node));
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

#[cfg(test)]
mod tests;
