//! Verdicts from hand-built fleets: one case per thing a person asks "whose fault is it?"
//! about, a crash loop and a pull error held steady across their restart cycle, and verdicts
//! as a pure function of the fleet and the clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::analysis::coverage;
use crate::model::daemonset::Targeting;
use crate::model::fleet::{Fleet, Record};
use crate::model::placement::{PlacementSpec, Taint, TaintEffect};
use crate::model::pod::PodPhase;
use crate::model::testkit::{Rng, ds, fleet_of, node, pod, revision, t};

const NOW: i64 = 10_000;

/// One node n1, the DaemonSet agent (current revision h2), and its pod on n1 unless `tweak`
/// removes it.
struct Case {
    node: Node,
    ds: DaemonSet,
    pod: Option<Pod>,
}

impl Case {
    fn new() -> Self {
        let mut d = ds("agent");
        d.template_generation = Some(2);
        let mut p = pod(&d, "n1", "agent-a");
        p.revision_hash = Some(Arc::from("h2"));
        p.template_generation = Some(2);
        Case {
            node: node("n1"),
            ds: d,
            pod: Some(p),
        }
    }

    fn pod(mut self, tweak: impl FnOnce(&mut Pod)) -> Self {
        if let Some(p) = self.pod.as_mut() {
            tweak(p);
        }
        self
    }

    fn node(mut self, tweak: impl FnOnce(&mut Node)) -> Self {
        tweak(&mut self.node);
        self
    }

    fn ds(mut self, tweak: impl FnOnce(&mut DaemonSet)) -> Self {
        tweak(&mut self.ds);
        self
    }

    fn no_pod(mut self) -> Self {
        self.pod = None;
        self
    }

    fn fleet(&self) -> Fleet {
        let mut records = vec![
            Record::Node(self.node.clone()),
            Record::Revision(revision(&self.ds, 1, "h1")),
            Record::Revision(revision(&self.ds, 2, "h2")),
            Record::DaemonSet(self.ds.clone()),
        ];
        records.extend(self.pod.clone().map(Record::Pod));
        fleet_of(records)
    }

    fn judge_at(&self, now: i64) -> Judgement {
        let fleet = self.fleet();
        let cov = coverage::daemon_set(&fleet, "uid-agent", t(now)).unwrap();
        let judged = daemon_set(&fleet, &cov, t(now));
        assert_eq!(judged.len(), 1);
        // The verdict the pass stores in the row is the one `judge` gives in full.
        assert_eq!(cov.rows[0].verdict, judged[0].verdict);
        assert_eq!(cov.verdicts.get(judged[0].verdict), 1);
        judged.into_iter().next().unwrap()
    }

    fn judge(&self) -> Judgement {
        self.judge_at(NOW)
    }
}

fn crash_looping(p: &mut Pod) {
    p.ready = false;
    p.ready_since = Some(t(100));
    p.restarts = 7;
    p.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
    p.last_terminated_reason = Some(Arc::from("Error"));
    p.last_terminated_at = Some(t(NOW - 40));
}

/// The same crash loop while its container runs between two restarts: started 5 s ago, so
/// by its phase and Ready condition alone it looks like a pod starting up.
fn running_between_restarts(p: &mut Pod) {
    crash_looping(p);
    p.waiting_reason = None;
    p.phase = PodPhase::Running;
    p.ready_since = Some(t(NOW - 5));
    p.last_terminated_at = Some(t(NOW - 6));
}

fn not_ready_node(n: &mut Node) {
    n.ready.status = ConditionStatus::False;
    n.ready.since = Some(t(NOW - 59 * 60));
}

fn gpu_taint(n: &mut Node) {
    n.taints.push(Taint::new(
        "nvidia.com/gpu",
        "present",
        TaintEffect::NoSchedule,
    ));
}

fn targets_pool(d: &mut DaemonSet, pool: &str) {
    d.targeting = Targeting::new(PlacementSpec {
        node_selector: BTreeMap::from([("pool".to_string(), pool.to_string())]),
        ..PlacementSpec::default()
    });
}

#[test]
fn each_situation_gets_the_verdict_and_reason_a_person_expects() {
    let cases: Vec<(&str, Case, Verdict, &str)> = vec![
        ("a Ready pod", Case::new(), Verdict::Healthy, ""),
        (
            "CrashLoopBackOff",
            Case::new().pod(crash_looping),
            Verdict::ReleaseFailing,
            "crash loop (7 restarts",
        ),
        (
            "a crash loop between restarts",
            Case::new().pod(running_between_restarts),
            Verdict::ReleaseFailing,
            "crash loop (7 restarts",
        ),
        (
            "a crash loop Ready between restarts",
            Case::new().pod(|p| {
                running_between_restarts(p);
                p.ready = true;
            }),
            Verdict::ReleaseFailing,
            "crash loop",
        ),
        (
            "recovered: last exit long ago",
            Case::new().pod(|p| {
                p.restarts = 7;
                p.last_terminated_reason = Some(Arc::from("Error"));
                p.last_terminated_at = Some(t(NOW - 3600));
            }),
            Verdict::Healthy,
            "",
        ),
        (
            "one restart, Ready again",
            Case::new().pod(|p| {
                p.restarts = 1;
                p.last_terminated_reason = Some(Arc::from("Error"));
                p.last_terminated_at = Some(t(NOW - 60));
            }),
            Verdict::Healthy,
            "",
        ),
        (
            "OOM-killed in a loop",
            Case::new().pod(|p| {
                crash_looping(p);
                p.last_terminated_reason = Some(Arc::from(OOM_KILLED));
            }),
            Verdict::ReleaseFailing,
            "OOM-killed (7 restarts",
        ),
        (
            "ErrImagePull",
            Case::new().pod(|p| {
                p.ready = false;
                p.phase = PodPhase::Pending;
                p.waiting_reason = Some(Arc::from("ErrImagePull"));
            }),
            Verdict::ReleaseFailing,
            "image pull failing (ErrImagePull)",
        ),
        (
            "ImagePullBackOff",
            Case::new().pod(|p| {
                p.ready = false;
                p.phase = PodPhase::Pending;
                p.waiting_reason = Some(Arc::from("ImagePullBackOff"));
            }),
            Verdict::ReleaseFailing,
            "image pull failing (ImagePullBackOff)",
        ),
        (
            "never Ready past the grace",
            Case::new().pod(|p| {
                p.ready = false;
                p.ready_since = Some(t(NOW - 120));
            }),
            Verdict::ReleaseFailing,
            "never Ready",
        ),
        (
            "not Ready yet, within minReadySeconds and the grace",
            Case::new().ds(|d| d.min_ready_seconds = 300).pod(|p| {
                p.ready = false;
                p.ready_since = Some(t(NOW - 120));
            }),
            Verdict::Rolling,
            "started, not Ready yet",
        ),
        (
            "starting",
            Case::new().pod(|p| {
                p.ready = false;
                p.ready_since = Some(t(NOW - 10));
            }),
            Verdict::Rolling,
            "started, not Ready yet",
        ),
        (
            "no pod, long past the grace",
            Case::new().no_pod(),
            Verdict::Missing,
            "no pod for",
        ),
        (
            "no pod on a node that joined seconds ago",
            Case::new().no_pod().node(|n| {
                n.created = Some(t(NOW - 10));
                n.ready.since = Some(t(NOW - 10));
            }),
            Verdict::Rolling,
            "no pod",
        ),
        (
            "a taint the DaemonSet forgot to tolerate",
            Case::new().no_pod().node(gpu_taint),
            Verdict::TaintBlocked,
            "nvidia.com/gpu",
        ),
        (
            "a node its selector does not pick",
            Case::new().no_pod().ds(|d| targets_pool(d, "storage")),
            Verdict::NotTargeted,
            "pool",
        ),
        (
            "unschedulable for cpu",
            Case::new().pod(|p| {
                p.ready = false;
                p.bound = false;
                p.phase = PodPhase::Pending;
                p.unschedulable = Some(Arc::from("0/1 nodes are available: 1 Insufficient cpu."));
            }),
            Verdict::StuckPending,
            "Insufficient cpu",
        ),
        (
            "creating containers for ten minutes",
            Case::new().pod(|p| {
                p.ready = false;
                p.phase = PodPhase::Pending;
                p.waiting_reason = Some(Arc::from("ContainerCreating"));
                p.created = Some(t(NOW - 600));
            }),
            Verdict::StuckPending,
            "pending: container creating",
        ),
        (
            "creating containers for half a minute",
            Case::new().pod(|p| {
                p.ready = false;
                p.phase = PodPhase::Pending;
                p.waiting_reason = Some(Arc::from("ContainerCreating"));
                p.created = Some(t(NOW - 30));
            }),
            Verdict::Rolling,
            "container creating",
        ),
        (
            "a NotReady node under a running pod",
            Case::new().node(not_ready_node),
            Verdict::NodeDown,
            "node NotReady (59m)",
        ),
        (
            "a NotReady node under a crash loop: the node's fault first",
            Case::new().node(not_ready_node).pod(crash_looping),
            Verdict::NodeDown,
            "node NotReady",
        ),
        (
            "a node whose kubelet stopped reporting",
            Case::new().node(|n| n.ready.status = ConditionStatus::Unknown),
            Verdict::NodeDown,
            "node Unknown",
        ),
        (
            "a node under memory pressure",
            Case::new().node(|n| {
                n.taints.push(Taint::new(
                    "node.kubernetes.io/memory-pressure",
                    "",
                    TaintEffect::NoSchedule,
                ))
            }),
            Verdict::NodeDown,
            "node tainted node.kubernetes.io/memory-pressure",
        ),
        (
            "a cordoned node is the user's choice, not a fault",
            Case::new().node(|n| {
                n.unschedulable = true;
                n.taints.push(Taint::new(
                    "node.kubernetes.io/unschedulable",
                    "",
                    TaintEffect::NoSchedule,
                ))
            }),
            Verdict::Healthy,
            "",
        ),
        (
            "an old revision",
            Case::new().pod(|p| {
                p.revision_hash = Some(Arc::from("h1"));
                p.template_generation = Some(1);
            }),
            Verdict::Rolling,
            "old revision",
        ),
        (
            "a pod being deleted",
            Case::new().pod(|p| p.deleting = Some(t(NOW - 3))),
            Verdict::Rolling,
            "terminating",
        ),
    ];
    for (what, case, want, words) in cases {
        let got = case.judge();
        let text = got.describe(t(NOW));
        assert_eq!(got.verdict, want, "{what}: {got:?} ({text})");
        assert!(text.contains(words), "{what}: {text:?} lacks {words:?}");
    }
}

#[test]
fn the_severity_order_is_the_declared_order() {
    let mut sorted = Verdict::ALL;
    sorted.sort();
    assert_eq!(sorted, Verdict::ALL);
    assert!(Verdict::ReleaseFailing < Verdict::Missing);
    assert!(Verdict::StuckPending < Verdict::NodeDown);
    let gaps: Vec<_> = Verdict::ALL.into_iter().filter(|v| v.is_gap()).collect();
    assert_eq!(
        gaps,
        [
            Verdict::Missing,
            Verdict::TaintBlocked,
            Verdict::StuckPending
        ]
    );
}

/// A crash loop's cycle — back-off, start, run a few seconds, exit, back-off longer — seen
/// every 5 s for 15 minutes: the verdict never leaves "release failing".
#[test]
fn a_crash_loop_stays_a_failing_release_through_its_whole_cycle() {
    let mut last_exit = 0;
    let mut restarts = 0;
    let mut backoff = 10;
    let mut next_start = 10;
    for now in (0..15 * 60).step_by(5) {
        // The container runs 8 s after each start, then exits; the back-off doubles to 5 min.
        if now >= next_start && now < next_start + 8 {
            let case = Case::new().pod(|p| {
                p.ready = false;
                p.ready_since = Some(t(next_start));
                p.phase = PodPhase::Running;
                p.restarts = restarts;
                p.last_terminated_reason = (restarts > 0).then(|| Arc::from("Error"));
                p.last_terminated_at = (restarts > 0).then(|| t(last_exit));
            });
            let got = case.judge_at(now);
            if restarts > 0 {
                assert_eq!(got.verdict, Verdict::ReleaseFailing, "running at {now}s");
            }
            continue;
        }
        if now >= next_start + 8 {
            restarts += 1;
            last_exit = next_start + 8;
            next_start = last_exit + backoff;
            backoff = (backoff * 2).min(300);
        }
        if restarts == 0 {
            continue;
        }
        let case = Case::new().pod(|p| {
            p.ready = false;
            p.ready_since = Some(t(0));
            p.restarts = restarts;
            p.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
            p.last_terminated_reason = Some(Arc::from("Error"));
            p.last_terminated_at = Some(t(last_exit));
        });
        let got = case.judge_at(now);
        assert_eq!(
            got.verdict,
            Verdict::ReleaseFailing,
            "backing off at {now}s"
        );
    }
    assert!(restarts >= 5, "the loop went round: {restarts} restarts");
}

/// A pull error from its first ErrImagePull on: ErrImagePull and ImagePullBackOff alternate,
/// and the verdict does not move.
#[test]
fn a_pull_error_stays_a_failing_release_from_the_first_err_image_pull() {
    for (i, now) in (0..15 * 60).step_by(5).enumerate() {
        let reason = if i % 7 == 0 {
            "ErrImagePull"
        } else {
            "ImagePullBackOff"
        };
        let case = Case::new().pod(|p| {
            p.ready = false;
            p.phase = PodPhase::Pending;
            p.waiting_reason = Some(Arc::from(reason));
        });
        assert_eq!(
            case.judge_at(now).verdict,
            Verdict::ReleaseFailing,
            "{reason} at {now}s"
        );
    }
}

/// Random fleets and pod histories: judging twice, or judging a fleet built from the same
/// records in another order, gives the same verdicts.
#[test]
fn verdicts_are_a_pure_function_of_the_fleet_and_the_clock() {
    let mut rng = Rng::new(7);
    for round in 0..40 {
        let d = ds("agent");
        let mut records = vec![Record::DaemonSet(d.clone())];
        for i in 0..12 {
            let name = format!("n{i:02}");
            let mut n = node(&name);
            match rng.below(6) {
                0 => not_ready_node(&mut n),
                1 => gpu_taint(&mut n),
                _ => {}
            }
            records.push(Record::Node(n));
            if rng.chance(80) {
                let mut p = pod(&d, &name, &format!("agent-{i}"));
                match rng.below(5) {
                    0 => crash_looping(&mut p),
                    1 => running_between_restarts(&mut p),
                    2 => {
                        p.ready = false;
                        p.ready_since = Some(t(NOW - rng.below(300) as i64));
                    }
                    _ => {}
                }
                records.push(Record::Pod(p));
            }
        }
        let verdicts = |records: &[Record]| {
            let fleet = fleet_of(records.iter().cloned());
            let cov = coverage::daemon_set(&fleet, "uid-agent", t(NOW)).unwrap();
            daemon_set(&fleet, &cov, t(NOW))
        };
        let first = verdicts(&records);
        assert_eq!(first, verdicts(&records), "round {round}: judged twice");
        records.reverse();
        assert_eq!(first, verdicts(&records), "round {round}: built in reverse");
        assert_eq!(first.len(), 12);
    }
}

#[test]
fn headlines_drop_ages_and_counts_so_one_cause_groups_as_one() {
    let at = |restarts: u32, exit: i64| {
        Case::new()
            .pod(|p| {
                crash_looping(p);
                p.restarts = restarts;
                p.last_terminated_at = Some(t(NOW - exit));
            })
            .judge_at(NOW)
    };
    let (a, b) = (at(3, 20), at(9, 200));
    assert_ne!(a.describe(t(NOW)), b.describe(t(NOW)));
    assert_eq!(a.headline(), "crash loop");
    assert_eq!(a.headline(), b.headline());

    let pulling = |reason: &str| {
        let reason = Arc::from(reason);
        Case::new()
            .pod(|p| {
                p.phase = PodPhase::Pending;
                p.ready = false;
                p.waiting_reason = Some(reason);
            })
            .judge_at(NOW)
            .headline()
    };
    assert_eq!(pulling("ErrImagePull"), pulling("ImagePullBackOff"));

    let unschedulable = |message: &str| {
        let message = Arc::from(message);
        Case::new()
            .pod(|p| {
                p.phase = PodPhase::Pending;
                p.ready = false;
                p.bound = false;
                p.unschedulable = Some(message);
            })
            .judge_at(NOW)
            .headline()
    };
    assert_eq!(
        unschedulable("0/40 nodes are available: 1 Insufficient cpu."),
        unschedulable("0/300 nodes are available: 1 Insufficient cpu."),
    );
    assert_eq!(
        unschedulable("0/40 nodes are available: 1 Insufficient cpu."),
        "unschedulable: Insufficient cpu"
    );
}
