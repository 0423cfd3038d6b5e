//! What a managed rollout would do, before anything changes: the batches and the nodes in
//! each, where it would pause, the nodes it skips, and about how long it would take. It runs
//! `plan` itself over a copy of the DaemonSet's part of the fleet in which every deleted pod is
//! replaced at once by a new one, Available, so the preview is the plan's own order and budget,
//! not a second account of them.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::plan::{self, Next};
use super::policy::{PausePoint, Policy, PolicyError};
use super::record::{Restore, RolloutRecord, State, Target, VERSION};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::{Fleet, FleetEvent, Record, RecordKey};
use crate::model::pod::{Pod, PodPhase};

/// One batch of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub nodes: Vec<Arc<str>>,
    /// The rollout stops here for a person, after this batch.
    pub pause_after: Option<PausePoint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub batches: Vec<Batch>,
    pub budget: u32,
    pub to_update: u32,
    pub partitioned: u32,
    pub skipped_down: Vec<Arc<str>>,
    /// Nodes down use the whole budget: the rollout could not start.
    pub blocked_by_down: bool,
    /// The median seconds from a pod's creation to Ready among the DaemonSet's pods now, plus
    /// minReadySeconds: about how long one batch takes.
    pub batch_seconds: Option<i64>,
}

impl Preview {
    /// About how long the whole rollout takes, pauses aside.
    pub fn seconds(&self) -> Option<i64> {
        self.batch_seconds
            .map(|b| b.saturating_mul(self.batches.len() as i64))
    }
}

/// About how long one batch takes: the median seconds from a pod's creation to Ready among
/// the DaemonSet's Ready pods now, plus minReadySeconds. `None` with no Ready pod to go by.
pub fn batch_seconds(fleet: &Fleet, ds: &DaemonSet) -> Option<i64> {
    let mut starts: Vec<i64> = Vec::new();
    if let Some(owned) = fleet.pods_of(&ds.uid) {
        for (_, ids) in owned.slots() {
            for pod in ids.iter().filter_map(|id| fleet.pod(*id)) {
                if let (Some(created), Some(ready), true) =
                    (pod.created, pod.ready_since, pod.ready)
                {
                    starts.push(ready.duration_since(created).as_secs());
                }
            }
        }
    }
    starts.sort_unstable();
    starts
        .get(starts.len() / 2)
        .map(|median| (*median).max(0) + ds.min_ready_seconds)
}

const OLD: &str = "herd-preview-old";
const NEW: &str = "herd-preview-new";

/// The preview of rolling `ds`'s template out under `policy` at `now`.
pub fn preview(
    fleet: &Fleet,
    ds: &DaemonSet,
    policy: &Policy,
    now: Timestamp,
) -> Result<Preview, PolicyError> {
    policy.check()?;
    let mut managed = ds.clone();
    managed.update_strategy.kind = StrategyKind::OnDelete;
    let mut copy = Fleet::new();
    let mut put = |r| copy.apply(FleetEvent::Upsert(r));
    for node in fleet.nodes() {
        put(Record::Node(node.clone()));
    }
    put(Record::DaemonSet(managed.clone()));
    if let Some(owned) = fleet.pods_of(&ds.uid) {
        for node in fleet.nodes() {
            for pod in owned.on(&node.name).iter().filter_map(|id| fleet.pod(*id)) {
                let mut old = pod.clone();
                old.revision_hash = Some(Arc::from(OLD));
                put(Record::Pod(old));
            }
        }
    }
    let batch_seconds = batch_seconds(fleet, ds);
    let mut record = RolloutRecord {
        version: VERSION,
        target: Some(Target {
            revision: 0,
            hash: NEW.to_string(),
        }),
        restore: Restore {
            kind: "RollingUpdate".into(),
            max_unavailable: None,
            max_surge: None,
        },
        policy: policy.clone(),
        state: State::Progressing,
        started: now,
        batches: 0,
        passed: Vec::new(),
        resumed_batches: 0,
        from: None,
        rollback: false,
        paused_with: None,
    };
    let first = plan::plan(&copy, &managed, &record, now);
    let mut out = Preview {
        batches: Vec::new(),
        budget: first.budget,
        to_update: first.to_update,
        partitioned: first.partitioned,
        skipped_down: first.skipped_down.clone(),
        blocked_by_down: first.blocked_by_down && first.deletions.is_empty(),
        batch_seconds,
    };
    let long_ago = now - SignedDuration::from_hours(24);
    // Each pass deletes at least one pod or ends, so this bounds the loop.
    for _ in 0..=(first.to_update as usize + 2) * 2 {
        let step = plan::plan(&copy, &managed, &record, now);
        match step.next {
            Next::Proceed if !step.deletions.is_empty() => {
                record.batches += 1;
                for d in &step.deletions {
                    let Some(old) = copy.pod(d.pod).cloned() else {
                        continue;
                    };
                    copy.apply(FleetEvent::Delete(RecordKey::Pod {
                        namespace: Arc::clone(&old.namespace),
                        name: Arc::clone(&old.name),
                    }));
                    copy.apply(FleetEvent::Upsert(Record::Pod(replacement(&old, long_ago))));
                }
                out.batches.push(Batch {
                    nodes: step.deletions.iter().map(|d| Arc::clone(&d.node)).collect(),
                    pause_after: None,
                });
            }
            Next::Pause(point) => {
                if let Some(last) = out.batches.last_mut() {
                    last.pause_after = Some(point);
                }
                match point {
                    PausePoint::Batch => record.resumed_batches = record.batches,
                    other => record.passed.push(other),
                }
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The pod the controller would create in `old`'s place, long Available.
fn replacement(old: &Pod, since: Timestamp) -> Pod {
    let mut new = Pod::new(&old.namespace, &format!("{}-new", old.name), "");
    new.uid = Arc::from(format!("{}-new", old.uid));
    new.owner_uid = old.owner_uid.clone();
    new.node = old.node.clone();
    new.bound = true;
    new.phase = PodPhase::Running;
    new.ready = true;
    new.ready_since = Some(since);
    new.created = Some(since);
    new.revision_hash = Some(Arc::from(NEW));
    new
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Selection;
    use crate::model::node::{ConditionStatus, Node};
    use crate::model::testkit::{ds, node, pod, t};

    const NOW: i64 = 100_000;

    fn fleet(n: usize) -> (Fleet, DaemonSet) {
        let d = ds("agent");
        let mut fleet = Fleet::new();
        fleet.apply(FleetEvent::Upsert(Record::DaemonSet(d.clone())));
        for i in 1..=n {
            let nd: Node = node(&format!("n{i:02}"));
            let mut p = pod(&d, &nd.name, &format!("agent-{i:02}"));
            p.created = Some(t(NOW - 1000));
            p.ready_since = Some(t(NOW - 1000 + 8));
            fleet.apply(FleetEvent::Upsert(Record::Node(nd)));
            fleet.apply(FleetEvent::Upsert(Record::Pod(p)));
        }
        (fleet, d)
    }

    fn names(b: &Batch) -> Vec<&str> {
        b.nodes.iter().map(|n| &**n).collect()
    }

    #[test]
    fn batches_follow_the_canary_the_budget_and_the_pause_points() {
        let (fleet, d) = fleet(7);
        let policy = Policy {
            max_unavailable: "3".into(),
            canary: Some(Selection::Count(1)),
            pause_after: vec![PausePoint::Canary],
            ..Policy::default()
        };
        let p = preview(&fleet, &d, &policy, t(NOW)).unwrap();
        let batches: Vec<Vec<&str>> = p.batches.iter().map(names).collect();
        assert_eq!(
            batches,
            [
                vec!["n01"],
                vec!["n02", "n03", "n04"],
                vec!["n05", "n06", "n07"]
            ]
        );
        assert_eq!(p.batches[0].pause_after, Some(PausePoint::Canary));
        assert_eq!((p.budget, p.to_update), (3, 7));
        // Pods took 8 s to be Ready: three batches, about 24 s.
        assert_eq!((p.batch_seconds, p.seconds()), (Some(8), Some(24)));
    }

    #[test]
    fn a_node_down_is_skipped_and_a_budget_it_fills_is_said() {
        let (mut fleet, d) = fleet(3);
        let mut down = node("n02");
        down.ready.status = ConditionStatus::False;
        down.ready.since = Some(t(NOW - 3000));
        fleet.apply(FleetEvent::Upsert(Record::Node(down)));
        let one = Policy::default();
        let p = preview(&fleet, &d, &one, t(NOW)).unwrap();
        assert!(p.blocked_by_down && p.batches.is_empty(), "{p:?}");
        let two = Policy {
            max_unavailable: "2".into(),
            ..Policy::default()
        };
        let p = preview(&fleet, &d, &two, t(NOW)).unwrap();
        assert_eq!(p.skipped_down, vec![Arc::from("n02")]);
        let batches: Vec<Vec<&str>> = p.batches.iter().map(names).collect();
        assert_eq!(batches, [vec!["n01"], vec!["n03"]]);
    }

    #[test]
    fn a_policy_that_cannot_be_followed_is_refused() {
        let (fleet, d) = fleet(2);
        let bad = Policy {
            max_unavailable: "0".into(),
            ..Policy::default()
        };
        assert!(preview(&fleet, &d, &bad, t(NOW)).is_err());
    }
}
