//! Where a managed rollout stands, for a person watching it: the engine's own plan for this
//! moment, the batch in flight node by node, what holds it up, and how many nodes took the
//! new template while it was paused (which `OnDelete` cannot prevent). The screens show this;
//! the engine never reads it.

use std::sync::Arc;

use jiff::Timestamp;

use super::plan::{Next, NodeCache, Plan, Planner};
use super::preview;
use super::record::{RolloutRecord, State};
use crate::analysis::coverage;
use crate::analysis::verdict;
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::Fleet;

/// At most this many in-flight nodes are described; the rest are counted.
pub const IN_FLIGHT_SHOWN: usize = 12;

/// One node of the batch in flight: its replacement pod coming up, or not there yet.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    pub node: Arc<str>,
    pub pod: Option<Arc<str>>,
    /// How the node's pod stands, as the DaemonSet screen says it.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub plan: Plan,
    /// The first [`IN_FLIGHT_SHOWN`] nodes counted unavailable that are not down.
    pub in_flight: Vec<InFlight>,
    /// All of them.
    pub in_flight_total: usize,
    /// What keeps the rollout from deleting more now, in words; `None` while it moves or
    /// once it has ended.
    pub held_by: Option<String>,
    /// While paused: nodes that left the old revision since the pause.
    pub took_anyway: Option<u32>,
    /// While progressing: about how many seconds until every node to update is, at the
    /// budget's pace and the DaemonSet's typical pod start ([`preview::batch_seconds`]).
    pub eta_seconds: Option<i64>,
}

/// Where the rollout of `ds` under `record` stands at `now`. `nodes` keeps what the plan
/// reads of the nodes between calls (the screens ask again on every change and tick).
pub fn standing(
    fleet: &Fleet,
    nodes: &mut NodeCache,
    ds: &DaemonSet,
    record: &RolloutRecord,
    now: Timestamp,
) -> Standing {
    let plan = Planner::new(fleet, nodes).plan(ds, record, now);
    let flying: Vec<&Arc<str>> = plan
        .unavailable
        .iter()
        .filter(|n| !plan.skipped_down.contains(n))
        .collect();
    let placed = fleet.daemon_set(&ds.uid).unwrap_or(ds);
    let in_flight = flying
        .iter()
        .take(IN_FLIGHT_SHOWN)
        .filter_map(|name| {
            let node = fleet.node(name)?;
            let row = coverage::pair(fleet, placed, node, now);
            let pod = row.pod.and_then(|id| fleet.pod(id));
            let status = verdict::judge(&row, pod, node, ds, now).describe(now);
            Some(InFlight {
                node: Arc::clone(name),
                pod: pod.map(|p| Arc::clone(&p.name)),
                status,
            })
        })
        .collect();
    let held_by = held_by(&plan, record, flying.len(), ds.min_ready_seconds);
    let took_anyway = match (&record.state, record.paused_with) {
        (State::Paused { .. }, Some(then)) => Some(plan.moved.saturating_sub(then)),
        _ => None,
    };
    let left = plan.to_update.saturating_sub(plan.updated);
    let eta_seconds = match (&record.state, preview::batch_seconds(fleet, ds)) {
        (State::Progressing, Some(batch)) if plan.budget > 0 => {
            Some(i64::from(left.div_ceil(plan.budget)).saturating_mul(batch))
        }
        _ => None,
    };
    Standing {
        eta_seconds,
        in_flight_total: flying.len(),
        plan,
        in_flight,
        held_by,
        took_anyway,
    }
}

fn held_by(plan: &Plan, record: &RolloutRecord, flying: usize, min_ready: i64) -> Option<String> {
    match &plan.next {
        Next::Hold => match &record.state {
            State::Paused { .. } => Some(format!("{}: resume to go on", record.state.describe())),
            State::Halted { .. } => Some(format!(
                "{}: resume, undo or abort",
                record.state.describe()
            )),
            State::Contested { .. } => Some(format!(
                "{}: resume takes the update strategy back",
                record.state.describe()
            )),
            _ => None,
        },
        Next::Pause(point) => Some(format!("reaching the pause point after {point}")),
        Next::Halt { reason, nodes } if nodes.is_empty() => Some(format!("halting: {reason}")),
        Next::Halt { reason, nodes } => Some(format!("halting: {reason} on {}", names(nodes))),
        Next::Contest { manager } => Some(format!(
            "{manager} put an update strategy back: the rollout is contested"
        )),
        Next::Complete => None,
        Next::Proceed if !plan.deletions.is_empty() => None,
        Next::Proceed if plan.blocked_by_down => Some(format!(
            "the nodes down use the whole budget of {}: bring them back or raise max \
             unavailable ({})",
            plan.budget,
            names(&plan.skipped_down)
        )),
        Next::Proceed if flying > 0 => {
            let ready = match min_ready {
                0 => String::new(),
                s => format!(" (Ready for {s}s)"),
            };
            Some(format!(
                "waiting for {flying} new pod(s) to be Available{ready}: {} of the budget of {} \
                 unavailable",
                plan.unavailable.len(),
                plan.budget
            ))
        }
        Next::Proceed => None,
    }
}

/// `n1, n2, n3 and 4 more`.
fn names(nodes: &[Arc<str>]) -> String {
    const SHOWN: usize = 3;
    let text: Vec<&str> = nodes.iter().take(SHOWN).map(|n| &**n).collect();
    match nodes.len().saturating_sub(SHOWN) {
        0 => text.join(", "),
        n => format!("{} and {n} more", text.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::{Case, NOW, node_not_ready, not_ready};
    use crate::model::testkit::t;

    fn standing_of(case: &Case) -> Standing {
        standing(
            &case.fleet(),
            &mut NodeCache::new(),
            &case.ds,
            &case.record,
            t(NOW),
        )
    }

    #[test]
    fn a_batch_coming_up_is_listed_node_by_node_and_said_to_hold_the_next() {
        let case = Case::new(6)
            .policy(|p| p.max_unavailable = "2".into())
            .moved("n01", 10, not_ready)
            .moved("n02", 10, not_ready);
        let s = standing_of(&case);
        assert!(s.plan.deletions.is_empty());
        assert_eq!(s.in_flight_total, 2);
        let nodes: Vec<&str> = s.in_flight.iter().map(|f| &*f.node).collect();
        assert_eq!(nodes, ["n01", "n02"]);
        assert_eq!(s.in_flight[0].pod.as_deref(), Some("agent-new-n01"));
        assert!(!s.in_flight[0].status.is_empty());
        assert_eq!(
            s.held_by.as_deref(),
            Some("waiting for 2 new pod(s) to be Available: 2 of the budget of 2 unavailable")
        );
        assert_eq!(s.took_anyway, None, "not paused");
    }

    #[test]
    fn the_time_left_goes_by_the_budget_and_how_long_pods_take_to_start() {
        // Pods take 5s from creation to Ready here (the old ones' times unknown); 4 nodes
        // are left at 2 a batch.
        let mut case = Case::new(6).policy(|p| p.max_unavailable = "2".into());
        for p in &mut case.pods {
            p.created = None;
        }
        let case = case.moved("n01", 300, |_| {}).moved("n02", 300, |_| {});
        assert_eq!(standing_of(&case).eta_seconds, Some(10));
        let paused = case.record(|r| r.state = State::Paused { at: None });
        assert_eq!(
            standing_of(&paused).eta_seconds,
            None,
            "no time left while paused"
        );
    }

    #[test]
    fn a_moving_rollout_is_held_by_nothing() {
        let s = standing_of(&Case::new(4));
        assert_eq!(s.plan.deletions.len(), 1);
        assert_eq!(s.held_by, None);
    }

    #[test]
    fn nodes_down_that_use_the_budget_are_named() {
        let case = Case::new(4).node("n03", node_not_ready);
        let s = standing_of(&case);
        let held = s.held_by.unwrap_or_default();
        assert!(
            held.contains("nodes down use the whole budget of 1"),
            "{held}"
        );
        assert!(held.contains("n03"), "{held}");
        assert_eq!(s.in_flight_total, 0, "a node down is not in flight");
    }

    #[test]
    fn while_paused_nodes_that_take_the_new_template_anyway_are_counted() {
        // Paused with one node updated; since then another node's pod was recreated from the
        // new template (an eviction, say).
        let case = Case::new(5)
            .moved("n01", 300, |_| {})
            .moved("n04", 20, |_| {})
            .record(|r| {
                r.state = State::Paused { at: None };
                r.paused_with = Some(1);
            });
        let s = standing_of(&case);
        assert_eq!(s.plan.moved, 2);
        assert_eq!(s.took_anyway, Some(1));
        assert_eq!(s.held_by.as_deref(), Some("Paused: resume to go on"));
    }

    #[test]
    fn a_halted_rollout_says_what_a_person_can_do() {
        let case = Case::new(3).record(|r| {
            r.state = State::Halted {
                reason: "new revision fails: CrashLoopBackOff".into(),
                nodes: vec!["n01".into()],
            }
        });
        let held = standing_of(&case).held_by.unwrap_or_default();
        assert!(held.contains("CrashLoopBackOff"), "{held}");
        assert!(held.ends_with("resume, undo or abort"), "{held}");
    }
}
