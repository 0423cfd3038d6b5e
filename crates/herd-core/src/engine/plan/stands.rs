//! Where each node stands in a rollout: the DaemonSet's pods summed up node by node from
//! their vitals, read in the order they sit in the pod table, then the nodes walked in name
//! order with the canary and the partition marked. Most of what a plan costs is here
//! (benches/engine_plan.rs).

use std::sync::Arc;

use jiff::Timestamp;

use super::Planner;
use crate::engine::policy::{Checked, Picked};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::{Fleet, Owned, PodId, PodVitals};
use crate::model::node::Node;

/// Where one node stands in the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stand {
    /// One pod, on the new revision, Available.
    Done,
    /// One pod, old, Available: a candidate for deletion.
    Old,
    /// One old pod that is not Available: replaced at once, budget or not.
    OldUnavailable,
    /// No pod, two pods, or a new pod not Available yet.
    Coming,
}

pub(super) struct NodeState<'a> {
    pub(super) node: &'a Node,
    pub(super) stand: Stand,
    /// The node's only old pod, when it has one.
    pub(super) old: Option<PodId>,
    /// The node's newest new pod, when it has one.
    pub(super) new: Option<PodId>,
    pub(super) down: bool,
    pub(super) canary: bool,
    pub(super) partitioned: bool,
    /// A live pod of an old revision is on the node.
    pub(super) holds_old: bool,
    /// A live pod of the new revision is on the node.
    pub(super) holds_new: bool,
}

/// Every node that should run the DaemonSet (by `placed`, the fleet's copy, as coverage
/// decides), in name order, with where it stands and which set it is in. The DaemonSet's pods
/// are summed up node by node in one scan of its index, then the nodes walked in order,
/// allocating nothing per node: the engine plans every managed DaemonSet on each fleet change,
/// and these passes are most of its cost (benches/engine_plan.rs).
pub(super) fn stands<'a>(
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
