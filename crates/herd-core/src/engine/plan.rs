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
use crate::analysis::coverage;
use crate::analysis::verdict::{self, Verdict};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::{Fleet, Owned, PodId, PodVitals};
use crate::model::node::Node;
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
    node: &'a Node,
    stand: Stand,
    /// The node's only old pod, when it has one.
    old: Option<PodId>,
    /// The node's newest new pod, when it has one.
    new: Option<PodId>,
    down: bool,
    canary: bool,
    partitioned: bool,
    /// A live pod of an old revision is on the node.
    holds_old: bool,
    /// A live pod of the new revision is on the node.
    holds_new: bool,
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

/// Every node that should run the DaemonSet (by `placed`, the fleet's copy, as coverage
/// decides), in name order, with where it stands and which set it is in. The DaemonSet's pods
/// are summed up node by node in one scan of its index, then the nodes walked in order,
/// allocating nothing per node: the engine plans every managed DaemonSet on each fleet change,
/// and these passes are most of its cost (benches/engine_plan.rs).
fn stands<'a>(
    planner: &Planner<'a>,
    ds: &DaemonSet,
    placed: &DaemonSet,
    hash: &str,
    checked: &Checked,
    now: Timestamp,
) -> Vec<NodeState<'a>> {
    let fleet = planner.fleet;
    // Pods hold the fleet's shared copy of their hash: comparing pointers, not bytes. No
    // shared copy means no pod is on the target revision yet.
    let target = fleet.interned(hash);
    let available = |v: &PodVitals| v.is_available(ds.min_ready_seconds, now);
    let mut summaries: Vec<Summary> = vec![Summary::default(); planner.nodes.len()];
    if let Some(owned) = fleet.pods_of(&ds.uid) {
        for (at, id) in in_table_order(planner, owned) {
            if let (Some(&v), Some(s)) = (fleet.vitals(id), summaries.get_mut(at as usize)) {
                s.add(fleet, id, v, target, available);
            }
        }
    }
    let runs = planner.runs(&placed.targeting).unwrap_or_default();
    // Picks by labels are read while the node is at hand; picks by count once all are known.
    let (partition_picks, canary_picks) = (
        planner.picks(&checked.partition),
        planner.picks(&checked.canary),
    );
    let by_labels = |picks: Option<&[bool]>, at: usize| {
        picks.is_some_and(|p| p.get(at).copied().unwrap_or(false))
    };
    let mut nodes = Vec::with_capacity(planner.nodes.len());
    let walk = planner
        .nodes
        .iter()
        .zip(summaries)
        .zip(planner.down())
        .zip(runs);
    for (at, (((&node, s), &down), &should_run)) in walk.enumerate() {
        if !should_run {
            continue;
        }
        let Summary {
            news,
            olds,
            old,
            new,
            ..
        } = s;
        let stand = match (news, olds, new, old) {
            (1, 0, Some((_, true)), _) => Stand::Done,
            (0, 1, _, Some((_, true))) => Stand::Old,
            (0, 1, _, _) => Stand::OldUnavailable,
            _ => Stand::Coming,
        };
        let partitioned = by_labels(partition_picks, at);
        nodes.push(NodeState {
            node,
            stand,
            old: old.filter(|_| olds == 1).map(|(id, _)| id),
            new: new.map(|(id, _)| id),
            down,
            // A partitioned node is never a canary: its labels need not be read again.
            canary: !partitioned && by_labels(canary_picks, at),
            partitioned,
            holds_old: olds > 0,
            holds_new: news > 0,
        });
    }
    if let Some(Picked::Count(n)) = checked.partition {
        let len = nodes.len();
        let n = (n as usize).min(len);
        nodes[len - n..]
            .iter_mut()
            .for_each(|s| s.partitioned = true);
    }
    if let Some(Picked::Count(n)) = checked.canary {
        let n = (n as usize).min(nodes.len());
        nodes[..n].iter_mut().for_each(|s| s.canary = true);
    }
    for n in &mut nodes {
        n.canary &= !n.partitioned;
    }
    nodes
}

/// The DaemonSet's pods on nodes the fleet has, each with its node's position, in the order
/// they sit in the pod table. A DaemonSet's pods sit close together there (a list brings them
/// grouped, and a rolled pod's replacement takes the slot its predecessor left), so reading
/// their vitals in that order streams through memory instead of jumping about it, which is
/// most of what a plan costs (benches/engine_plan.rs). The order is made by bucketing the
/// pods by slot over the span they occupy; pods spread too thinly for that come in the
/// index's order.
fn in_table_order(planner: &Planner, owned: Owned) -> Vec<(u32, PodId)> {
    let mut found: Vec<(u32, PodId)> = Vec::with_capacity(owned.node_count());
    let (mut low, mut high) = (u32::MAX, 0);
    for (slot, ids) in owned.slots() {
        if let Some(at) = planner.position(slot) {
            for &id in ids {
                (low, high) = (low.min(id.index), high.max(id.index));
                found.push((at as u32, id));
            }
        }
    }
    let span = high.saturating_sub(low) as usize + 1;
    if found.is_empty() || span > found.len().saturating_mul(4) {
        return found;
    }
    // By slot offset: the node's position, and the pod's generation (no pod: `u32::MAX`).
    let mut buckets: Vec<(u32, u32)> = vec![(u32::MAX, 0); span];
    for &(at, id) in &found {
        if let Some(b) = buckets.get_mut((id.index - low) as usize) {
            *b = (at, id.generation);
        }
    }
    found.clear();
    let filled = buckets
        .into_iter()
        .zip(low..)
        .filter(|((at, _), _)| *at != u32::MAX);
    found.extend(filled.map(|((at, generation), index)| (at, PodId { index, generation })));
    found
}

/// One node's live pods, new (on the target hash) and old: how many of each, the only old one,
/// and the newest new one (the last of the latest created, in the index's order), each with
/// whether it is Available. Read from the pods' vitals; the full records are read only for
/// the pods a plan deletes or judges.
#[derive(Clone, Copy, Default)]
struct Summary {
    // Small, as there is one per node for every DaemonSet planned.
    news: u16,
    olds: u16,
    old: Option<(PodId, bool)>,
    new: Option<(PodId, bool)>,
}

impl Summary {
    /// Counts one of the node's pods in. `target` is the fleet's shared copy of the target
    /// hash (see [`Fleet::interned`]).
    fn add(
        &mut self,
        fleet: &Fleet,
        id: PodId,
        v: PodVitals,
        target: Option<&Arc<str>>,
        available: impl Fn(&PodVitals) -> bool,
    ) {
        // As upstream's `findUpdatedPodsOnNode` (kubernetes/pkg/controller/daemon/
        // update.go): a pod being deleted is not the node's pod any more. A node whose old
        // pod terminates is unavailable, and that pod is never deleted twice.
        if v.deleting() {
            return;
        }
        if target.is_some_and(|t| v.on_revision(t)) {
            self.news = self.news.saturating_add(1);
            // Two new pods on a node are rare: the one kept so far is read again then.
            let newer = match self.new {
                None => true,
                Some((kept, _)) => fleet
                    .vitals(kept)
                    .is_none_or(|k| v.created_order() >= k.created_order()),
            };
            if newer {
                self.new = Some((id, available(&v)));
            }
        } else {
            self.olds = self.olds.saturating_add(1);
            self.old = Some((id, available(&v)));
        }
    }
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
#[cfg(test)]
mod tests;

pub use self::planner::{NodeCache, Planner};
