//! The per-DaemonSet pass over the node list: status counts exactly as the controller computes
//! them (DAEMONSET_SEMANTICS.md §4) and one row per node.

use std::sync::Arc;

use jiff::Timestamp;

use super::classify::classify;
use super::{Coverage, DsCoverage, NodeContext, Reason, Status, StatusCounts, Tally};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::{Fleet, NodeSlot, Owned, PodId};
use crate::model::node::Node;
use crate::model::placement::Placement;
use crate::model::pod::Pod;

/// A node with its number in the pod indexes, looked up once per pass rather than per DaemonSet.
pub(super) struct NodeRef<'a> {
    node: &'a Node,
    slot: Option<NodeSlot>,
}

/// Every node in name order.
pub(super) fn node_refs(fleet: &Fleet) -> Vec<NodeRef<'_>> {
    fleet
        .nodes()
        .map(|node| NodeRef {
            node,
            slot: fleet.node_slot(&node.name),
        })
        .collect()
}

/// What the pass knows about one DaemonSet before it looks at any node.
struct Ctx<'a> {
    fleet: &'a Fleet,
    ds: &'a DaemonSet,
    hash: Option<&'a str>,
    now: Timestamp,
}

/// One node as the controller sees it for this DaemonSet.
struct Visit<'a> {
    placement: Placement,
    /// The oldest pod of the node map (§0 order), terminal-and-deleting pods left out.
    oldest: Option<(PodId, &'a Pod)>,
    mapped: u32,
}

impl<'a> Ctx<'a> {
    fn new(fleet: &'a Fleet, ds: &'a DaemonSet, now: Timestamp) -> Self {
        Ctx {
            fleet,
            ds,
            hash: fleet.current_hash(ds),
            now,
        }
    }

    fn visit(&self, node: &Node, pods: &[PodId]) -> Visit<'a> {
        let placement = self.ds.targeting.prepared().evaluate(&node.facts());
        let mut oldest: Option<(PodId, &Pod)> = None;
        let mut mapped = 0;
        for &id in pods {
            let Some(pod) = self.fleet.pod(id).filter(|p| !p.is_gone()) else {
                continue;
            };
            mapped += 1;
            if oldest.is_none_or(|(_, o)| Pod::oldest_first(pod, o).is_lt()) {
                oldest = Some((id, pod));
            }
        }
        Visit {
            placement,
            oldest,
            mapped,
        }
    }

    fn is_updated(&self, pod: &Pod) -> bool {
        pod.is_updated(self.hash, self.ds.template_generation)
    }

    fn count(&self, counts: &mut StatusCounts, visit: &Visit<'_>) {
        if !visit.placement.should_run {
            if visit.oldest.is_some() {
                counts.misscheduled += 1;
            }
            return;
        }
        counts.desired += 1;
        let Some((_, pod)) = visit.oldest else {
            return;
        };
        counts.current += 1;
        counts.ready += u32::from(pod.ready);
        counts.available += u32::from(pod.is_available(self.ds.min_ready_seconds, self.now));
        counts.updated += u32::from(self.is_updated(pod));
    }

    fn row(&self, node: &Node, visit: Visit<'_>) -> Coverage {
        let updated = visit.oldest.is_some_and(|(_, p)| self.is_updated(p));
        let (status, reason) = match (visit.placement.should_run, visit.oldest) {
            (true, Some((_, pod))) => classify(pod, updated, self.now),
            (true, None) => (
                Status::Missing,
                Reason::Missing {
                    since: missing_since(node, self.ds),
                },
            ),
            (false, Some(_)) => (
                Status::Misscheduled,
                Reason::Excluded(visit.placement.exclusions),
            ),
            (false, None) => (
                Status::Excluded,
                Reason::Excluded(visit.placement.exclusions),
            ),
        };
        Coverage {
            node: Arc::clone(&node.name),
            status,
            reason,
            pod: visit.oldest.map(|(id, _)| id),
            pods: visit.mapped,
            updated,
            context: NodeContext::of(node),
        }
    }
}

/// The later of the node turning Ready, the node's creation and the DaemonSet's creation.
fn missing_since(node: &Node, ds: &DaemonSet) -> Option<Timestamp> {
    let ready_since = node.is_ready().then_some(node.ready.since).flatten();
    [ready_since, node.created, ds.created]
        .into_iter()
        .flatten()
        .max()
}

pub(super) fn daemon_set(
    fleet: &Fleet,
    ds: &DaemonSet,
    nodes: &[NodeRef<'_>],
    now: Timestamp,
    keep_rows: bool,
) -> DsCoverage {
    let ctx = Ctx::new(fleet, ds, now);
    let owned = fleet.pods_of(&ds.uid);
    let mut out = DsCoverage {
        uid: Arc::clone(&ds.uid),
        counts: StatusCounts::default(),
        tally: Tally::default(),
        rows: Vec::with_capacity(if keep_rows { nodes.len() } else { 0 }),
        pods_on_unknown_nodes: 0,
        unplaced_pods: 0,
    };
    let mut nodes_with_pods = 0;
    for &NodeRef { node, slot } in nodes {
        let pods = owned.zip(slot).map_or(&[][..], |(o, s)| o.at(s));
        nodes_with_pods += usize::from(!pods.is_empty());
        let visit = ctx.visit(node, pods);
        ctx.count(&mut out.counts, &visit);
        if keep_rows {
            let row = ctx.row(node, visit);
            out.tally.add(row.status);
            out.rows.push(row);
        }
    }
    out.counts.unavailable = out.counts.desired.saturating_sub(out.counts.available);
    if let Some(owned) = owned {
        (out.pods_on_unknown_nodes, out.unplaced_pods) = strays(fleet, owned, nodes_with_pods);
    }
    out
}

/// Live owned pods on nodes not in the list, and with no target node at all.
fn strays(fleet: &Fleet, owned: Owned<'_>, nodes_with_pods: usize) -> (u32, u32) {
    let live = |ids: &[PodId]| {
        ids.iter()
            .filter(|id| fleet.pod(**id).is_some_and(|p| !p.is_gone()))
            .count() as u32
    };
    // Every indexed node was visited unless some are gone; only then look for them.
    let on_unknown = if owned.node_count() > nodes_with_pods {
        owned
            .nodes()
            .filter(|(node, _)| fleet.node(node).is_none())
            .map(|(_, ids)| live(ids))
            .sum()
    } else {
        0
    };
    (on_unknown, live(owned.unplaced()))
}

/// One (DaemonSet, node) row on its own, for the per-node view.
pub(super) fn pair(fleet: &Fleet, ds: &DaemonSet, node: &Node, now: Timestamp) -> Coverage {
    let ctx = Ctx::new(fleet, ds, now);
    let pods = fleet.pods_of(&ds.uid).map_or(&[][..], |o| o.on(&node.name));
    let visit = ctx.visit(node, pods);
    ctx.row(node, visit)
}
