//! What a staging does next, read from the fleet alone: release the next batch of held nodes
//! once every node the DaemonSet runs on has an Available pod, wait while pods come up, halt
//! when pods of the current template fail, or end when no node is held. Pure and idempotent,
//! like the rollout plan: the labels on the nodes are the progress, so a process that dies
//! between two steps leaves nothing to remember.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;

use super::{StageRecord, StageState};
use crate::analysis::coverage::{self, Status};
use crate::analysis::verdict::{self, Verdict};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::Fleet;
use crate::model::node::Node;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageNext {
    /// The record is not Progressing: nothing is released.
    Hold,
    /// Pods are coming up on these nodes (released ones, or ones the new template rolls
    /// over): nothing more is released until they are Available.
    Wait { coming: Vec<Arc<str>> },
    /// Lift the hold label from these nodes.
    Release(Vec<Arc<str>>),
    /// Pods of the current template fail on these nodes: record it, release nothing more.
    Halt {
        reason: String,
        nodes: Vec<Arc<str>>,
    },
    /// No node is held any more and every pod is Available.
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStep {
    pub next: StageNext,
    /// Nodes still held.
    pub held: u32,
}

/// The next step of the staging `record` of `ds` at `now`.
pub fn step(fleet: &Fleet, ds: &DaemonSet, record: &StageRecord, now: Timestamp) -> StageStep {
    let held: Vec<&Node> = fleet
        .nodes()
        .filter(|n| n.labels.contains_key(&record.hold))
        .collect();
    let count = held.len() as u32;
    let at = |next| StageStep { next, held: count };
    if record.state != StageState::Progressing {
        return at(StageNext::Hold);
    }
    let Some(rows) = coverage::daemon_set(fleet, &ds.uid, now) else {
        return at(StageNext::Hold);
    };
    let mut coming = Vec::new();
    let mut failing = Vec::new();
    let mut reasons = BTreeSet::new();
    for row in &rows.rows {
        if matches!(row.status, Status::Excluded) || row.verdict == Verdict::NodeDown {
            continue;
        }
        let pod = row.pod.and_then(|id| fleet.pod(id));
        let fails = matches!(row.verdict, Verdict::ReleaseFailing | Verdict::StuckPending);
        // A pod of an older template failing was failing before the edit: not the staging's.
        if fails && row.updated {
            if let Some(node) = fleet.node(&row.node) {
                reasons.insert(verdict::judge(row, pod, node, ds, now).headline());
            }
            failing.push(Arc::clone(&row.node));
            continue;
        }
        let available = row
            .pod
            .and_then(|id| fleet.vitals(id))
            .is_some_and(|v| v.is_available(ds.min_ready_seconds, now));
        let settled = matches!(row.status, Status::Ready | Status::Outdated) && available;
        if !settled && (row.status != Status::Failing || row.updated) {
            coming.push(Arc::clone(&row.node));
        }
    }
    if !failing.is_empty() {
        let reasons: Vec<String> = reasons.into_iter().collect();
        return at(StageNext::Halt {
            reason: format!("new pods fail: {}", reasons.join("; ")),
            nodes: failing,
        });
    }
    if !coming.is_empty() {
        return at(StageNext::Wait { coming });
    }
    if held.is_empty() {
        return at(StageNext::Complete);
    }
    let size = record.batch.size(record.total) as usize;
    let batch = order(held, record.order_by.as_deref())
        .into_iter()
        .take(size)
        .map(|n| Arc::clone(&n.name))
        .collect();
    at(StageNext::Release(batch))
}

/// Nodes in release order: by the value of label `by` (nodes without it last), then by name.
pub fn order<'a>(mut nodes: Vec<&'a Node>, by: Option<&str>) -> Vec<&'a Node> {
    nodes.sort_by(|a, b| {
        let value = |n: &Node| by.and_then(|k| n.labels.get(k).cloned());
        let (va, vb) = (value(a), value(b));
        (va.is_none(), va, &a.name).cmp(&(vb.is_none(), vb, &b.name))
    });
    nodes
}
