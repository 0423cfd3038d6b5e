//! The per-DaemonSet pass over the node list: status counts exactly as the controller computes
//! them (docs/SEMANTICS.md#status) and one row per node.

use std::sync::Arc;

use jiff::Timestamp;

use super::classify::classify;
use super::{Coverage, DsCoverage, NodeContext, Reason, Status, StatusCounts, Tally};
use crate::analysis::by_node::NodeOrder;
use crate::analysis::verdict::{self, Verdict, VerdictTally};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::{Fleet, PodId};
use crate::model::node::Node;
use crate::model::placement::Placement;
use crate::model::pod::Pod;

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
    /// The oldest pod of the node map (oldest-first order, docs/SEMANTICS.md#terms),
    /// terminal-and-deleting pods left out.
    oldest: Option<(PodId, &'a Pod)>,
    mapped: u32,
    /// The oldest pod runs the current revision.
    updated: bool,
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
            updated: oldest.is_some_and(|(_, p)| self.is_updated(p)),
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
        counts.updated += u32::from(visit.updated);
    }

    fn row(&self, node: &Node, visit: Visit<'_>) -> Coverage {
        let updated = visit.updated;
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
        let mut row = Coverage {
            node: Arc::clone(&node.name),
            status,
            reason,
            pod: visit.oldest.map(|(id, _)| id),
            pods: visit.mapped,
            updated,
            context: NodeContext::of(node),
            verdict: Verdict::Healthy,
        };
        let pod = visit.oldest.map(|(_, pod)| pod);
        row.verdict = verdict::judge(&row, pod, node, self.ds, self.now).verdict;
        row
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

/// One DaemonSet against every node of `order`; `table` is scratch from [`NodeOrder::table`],
/// handed back with every entry empty.
pub(super) fn daemon_set<'a>(
    fleet: &'a Fleet,
    ds: &'a DaemonSet,
    order: &NodeOrder<'a>,
    table: &mut [&'a [PodId]],
    now: Timestamp,
    keep_rows: bool,
) -> DsCoverage {
    let ctx = Ctx::new(fleet, ds, now);
    let nodes = order.nodes();
    let mut out = DsCoverage {
        uid: Arc::clone(&ds.uid),
        counts: StatusCounts::default(),
        tally: Tally::default(),
        verdicts: VerdictTally::default(),
        rows: Vec::with_capacity(if keep_rows { nodes.len() } else { 0 }),
        pods_on_unknown_nodes: 0,
        unplaced_pods: 0,
    };
    if let Some(owned) = fleet.pods_of(&ds.uid) {
        order.spread(owned, table, |ids| {
            out.pods_on_unknown_nodes += live(fleet, ids)
        });
        out.unplaced_pods = live(fleet, owned.unplaced());
    }
    for (node, pods) in nodes.iter().zip(table.iter_mut()) {
        let visit = ctx.visit(node, std::mem::take(pods));
        ctx.count(&mut out.counts, &visit);
        if keep_rows {
            let row = ctx.row(node, visit);
            out.tally.add(row.status);
            out.verdicts.add(row.verdict);
            out.rows.push(row);
        }
    }
    out.counts.unavailable = out.counts.desired.saturating_sub(out.counts.available);
    out
}

/// Pods of `ids` still in the controller's node map (status ignores the rest).
fn live(fleet: &Fleet, ids: &[PodId]) -> u32 {
    ids.iter()
        .filter(|id| fleet.pod(**id).is_some_and(|p| !p.is_gone()))
        .count() as u32
}

/// One (DaemonSet, node) row on its own, for the per-node view.
pub(super) fn pair(fleet: &Fleet, ds: &DaemonSet, node: &Node, now: Timestamp) -> Coverage {
    let ctx = Ctx::new(fleet, ds, now);
    let pods = fleet.pods_of(&ds.uid).map_or(&[][..], |o| o.on(&node.name));
    let visit = ctx.visit(node, pods);
    ctx.row(node, visit)
}
