//! The controller's update budget on one snapshot: which nodes count against maxUnavailable
//! (or maxSurge), and whether an Available old pod still waits for room — the arithmetic of
//! `rollingUpdate` in kubernetes/pkg/controller/daemon/update.go.

use jiff::Timestamp;

use super::Budget;
use crate::analysis::coverage::{Coverage, DsCoverage};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::{Fleet, PodId};
use crate::model::pod::Pod;

/// The budget as `rollingUpdate` counts it on this snapshot.
pub(super) struct Spend<'a> {
    pub budget: Budget,
    /// Nodes counted against the budget, with the new pod beside an old one when surging.
    pub holders: Vec<(&'a Coverage, Option<&'a Pod>)>,
    /// Old, available pods the controller would replace if the budget had room.
    pub waiting_old: u32,
}

impl<'a> Spend<'a> {
    pub fn used(&self) -> bool {
        let limit = match self.budget {
            Budget::MaxUnavailable(n) | Budget::MaxSurge(n) => n,
        };
        self.holders.len() as u32 >= limit
    }

    pub fn of(fleet: &'a Fleet, ds: &DaemonSet, coverage: &'a DsCoverage, now: Timestamp) -> Self {
        let desired = i64::from(coverage.counts.desired);
        let strategy = ds.update_strategy;
        let scaled = |v: Option<_>| {
            v.map_or(0, |b: crate::model::daemonset::IntOrPercent| {
                b.scaled(desired)
            })
            .clamp(0, i64::from(u32::MAX)) as u32
        };
        let max_surge = scaled(strategy.max_surge);
        let mut max_unavailable = scaled(strategy.max_unavailable);
        // `updatedDesiredNodeCounts`: an impossible 0/0 configuration behaves as unavailable 1.
        if desired > 0 && max_surge == 0 && max_unavailable == 0 {
            max_unavailable = 1;
        }
        let available = |p: &Pod| p.is_available(ds.min_ready_seconds, now);
        let hash = fleet.current_hash(ds);
        let mut holders = Vec::new();
        let mut waiting_old = 0;
        let owned = fleet.pods_of(&ds.uid);
        let is_new = |p: &Pod| p.is_updated(hash, ds.template_generation);
        // Reused for every node: a pass over 5,000 nodes allocates nothing per node.
        let (mut new, mut old): (Vec<&Pod>, Vec<&Pod>) = (Vec::new(), Vec::new());
        for row in coverage.rows.iter().filter(|r| r.status.should_run()) {
            new.clear();
            old.clear();
            // A node's one live pod is the row's own: only nodes with several are looked up.
            let single = (row.pods == 1).then_some(row.pod).flatten();
            let looked_up: &[PodId] = match (row.pods, single) {
                (0, _) | (_, Some(_)) => &[],
                _ => owned.map(|o| o.on(&row.node)).unwrap_or(&[]),
            };
            for pod in looked_up
                .iter()
                .copied()
                .chain(single)
                .filter_map(|id| fleet.pod(id))
                // `findUpdatedPodsOnNode` skips pods being deleted: a node whose only pod is
                // terminating has no pod, and is unavailable.
                .filter(|p| p.deleting.is_none())
            {
                if is_new(pod) {
                    new.push(pod);
                } else {
                    old.push(pod);
                }
            }
            let held = if max_surge == 0 {
                // `findUpdatedPodsOnNode` fails on duplicates; no pod, or old and new side by
                // side, count as unavailable too.
                // An old pod that is not Available is replaced at once, budget or not, and
                // still counts against it (v1.31 and later).
                match (new.as_slice(), old.as_slice()) {
                    ([new], []) => (!available(new)).then_some(None),
                    ([], [old]) if available(old) => {
                        waiting_old += 1;
                        None
                    }
                    _ => Some(None),
                }
            } else {
                match (new.as_slice(), old.as_slice()) {
                    ([new], [_]) => (!available(new)).then_some(Some(*new)),
                    ([], [old]) => {
                        waiting_old += u32::from(available(old));
                        None
                    }
                    ([_] | [], []) => None,
                    _ => Some(None),
                }
            };
            if let Some(new) = held {
                holders.push((row, new));
            }
        }
        let budget = if max_surge == 0 {
            Budget::MaxUnavailable(max_unavailable)
        } else {
            Budget::MaxSurge(max_surge)
        };
        Spend {
            budget,
            holders,
            waiting_old,
        }
    }
}
