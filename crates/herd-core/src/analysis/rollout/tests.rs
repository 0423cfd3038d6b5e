//! Rollouts from hand-built fleets: the controller's budget arithmetic, the nodes each stall
//! names, and the rate and ETA from when nodes moved.

use std::sync::Arc;

use super::*;
use crate::analysis::coverage;
use crate::model::daemonset::IntOrPercent;
use crate::model::fleet::Record;
use crate::model::node::{ConditionStatus, Node};
use crate::model::testkit::{ds, fleet_of, node, pod, revision, t};

const NOW: i64 = 100_000;

/// `n` nodes n1…n`n`, the DaemonSet agent on revision h2 (h1 before it, created at
/// `NOW - 10m`), and an old, Ready pod on every node unless a tweak changes it.
struct Case {
    nodes: Vec<Node>,
    ds: DaemonSet,
    pods: Vec<Pod>,
}

impl Case {
    fn new(n: usize) -> Self {
        let mut d = ds("agent");
        d.template_generation = Some(2);
        let nodes: Vec<Node> = (1..=n).map(|i| node(&format!("n{i}"))).collect();
        let pods = nodes
            .iter()
            .map(|nd| {
                let mut p = pod(&d, &nd.name, &format!("agent-old-{}", nd.name));
                p.revision_hash = Some(Arc::from("h1"));
                p
            })
            .collect();
        Case { nodes, ds: d, pods }
    }

    /// The pod on `node` becomes a new-revision pod created `ago` seconds before NOW.
    fn moved(mut self, node: &str, ago: i64, tweak: impl FnOnce(&mut Pod)) -> Self {
        let p = self
            .pods
            .iter_mut()
            .find(|p| p.node.as_deref() == Some(node))
            .unwrap();
        p.name = Arc::from(format!("agent-new-{node}"));
        p.uid = Arc::from(format!("uid-new-{node}"));
        p.revision_hash = Some(Arc::from("h2"));
        p.template_generation = Some(2);
        p.created = Some(t(NOW - ago));
        p.ready_since = Some(t(NOW - ago + 5));
        tweak(p);
        self
    }

    fn node(mut self, name: &str, tweak: impl FnOnce(&mut Node)) -> Self {
        tweak(self.nodes.iter_mut().find(|n| &*n.name == name).unwrap());
        self
    }

    fn ds(mut self, tweak: impl FnOnce(&mut DaemonSet)) -> Self {
        tweak(&mut self.ds);
        self
    }

    fn rollout(&self) -> Rollout {
        let mut new = revision(&self.ds, 2, "h2");
        new.created = Some(t(NOW - 600));
        let mut records = vec![
            Record::Revision(revision(&self.ds, 1, "h1")),
            Record::Revision(new),
            Record::DaemonSet(self.ds.clone()),
        ];
        records.extend(self.nodes.iter().cloned().map(Record::Node));
        records.extend(self.pods.iter().cloned().map(Record::Pod));
        let fleet = fleet_of(records);
        let cov = coverage::daemon_set(&fleet, "uid-agent", t(NOW)).unwrap();
        let first = analyze(&fleet, &self.ds, &cov, t(NOW));
        // Pure: the same snapshot and clock give the same answer.
        assert_eq!(first, analyze(&fleet, &self.ds, &cov, t(NOW)));
        first
    }
}

fn not_ready_for(minutes: i64) -> impl FnOnce(&mut Node) {
    move |n: &mut Node| {
        n.ready.status = ConditionStatus::False;
        n.ready.since = Some(t(NOW - minutes * 60));
    }
}

fn crash_looping(p: &mut Pod) {
    p.ready = false;
    p.restarts = 6;
    p.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
    p.last_terminated_reason = Some(Arc::from("Error"));
    p.last_terminated_at = Some(t(NOW - 40));
}

fn not_ready(p: &mut Pod) {
    p.ready = false;
    p.ready_since = p.created;
}

fn describe(r: &Rollout) -> String {
    r.describe(t(NOW))
}

#[test]
fn every_node_on_the_new_revision_is_complete() {
    let mut case = Case::new(3);
    for n in ["n1", "n2", "n3"] {
        case = case.moved(n, 300, |_| {});
    }
    let r = case.rollout();
    assert_eq!(r.phase, Phase::Complete);
    assert_eq!((r.updated, r.desired), (3, 3));
    assert!(!r.is_stalled());
}

#[test]
fn a_moving_rollout_has_a_rate_and_an_eta_and_no_stall() {
    // Four nodes moved in the ten minutes since the revision, one a minute in the last five.
    let r = Case::new(10)
        .moved("n1", 240, |_| {})
        .moved("n2", 180, |_| {})
        .moved("n3", 120, |_| {})
        .moved("n4", 60, |_| {})
        .rollout();
    assert_eq!(r.phase, Phase::Progressing);
    assert!(!r.is_stalled(), "{r:?}");
    let rate = r.per_minute.unwrap();
    assert!(
        (rate - 0.8).abs() < 1e-9,
        "4 nodes over the 5-minute window: {rate}"
    );
    assert_eq!(describe(&r), "4/10, 0.8/min, done in ~7m");
}

#[test]
fn a_node_down_holding_max_unavailable_is_named_with_its_age() {
    // The controller replaced the NotReady node's unavailable pod first; the new pod there
    // can never turn Ready, so it holds the only unit of budget (the demo's kube-proxy case).
    let r = Case::new(5)
        .node("n3", not_ready_for(59))
        .moved("n3", 30, not_ready)
        .rollout();
    assert_eq!((r.updated, r.desired), (1, 5));
    match &r.stall {
        Some(Stall::BudgetUsed { budget, holders }) => {
            assert_eq!(*budget, Budget::MaxUnavailable(1));
            assert_eq!(holders.len(), 1);
            assert_eq!(&*holders[0].node, "n3");
            assert_eq!(holders[0].judgement.verdict, Verdict::NodeDown);
        }
        other => panic!("expected the budget stall, got {other:?}"),
    }
    assert_eq!(
        describe(&r),
        "1/5 stalled: maxUnavailable 1 used by n3 (NotReady 59m)"
    );
    assert_eq!(r.stall.unwrap().brief(t(NOW)), "held by n3 (NotReady 59m)");
}

#[test]
fn new_pods_that_crash_loop_are_the_releases_fault() {
    let r = Case::new(6)
        .ds(|d| d.update_strategy.max_unavailable = Some(IntOrPercent::Int(2)))
        .moved("n1", 200, crash_looping)
        .moved("n2", 200, crash_looping)
        .rollout();
    assert!(
        matches!(r.stall, Some(Stall::NewRevisionFails { .. })),
        "{r:?}"
    );
    assert_eq!(
        describe(&r),
        "2/6 stalled: new revision crash-loops on n1, n2"
    );
    assert_eq!(
        r.stall.as_ref().unwrap().brief(t(NOW)),
        "crash-loops on n1 +1"
    );
    assert_eq!(
        r.stall.unwrap().nodes(),
        vec![Arc::from("n1"), Arc::from("n2")]
    );
}

#[test]
fn a_budget_held_by_pods_still_starting_is_not_a_stall() {
    let r = Case::new(5).moved("n1", 5, not_ready).rollout();
    assert_eq!(r.phase, Phase::Progressing);
    assert!(!r.is_stalled(), "{r:?}");
}

#[test]
fn a_budget_with_room_and_nothing_moving_is_stalled_without_blame() {
    // maxUnavailable 3 with one node taken: the controller should be deleting; it is not.
    let r = Case::new(5)
        .ds(|d| d.update_strategy.max_unavailable = Some(IntOrPercent::Int(3)))
        .moved("n1", 420, |_| {})
        .rollout();
    assert!(matches!(r.stall, Some(Stall::NoProgress { .. })), "{r:?}");
    assert_eq!(
        describe(&r),
        "1/5 stalled: no node moved to the new revision for 7m"
    );
}

#[test]
fn percentages_round_up_against_the_nodes_that_should_run() {
    // 10% of 5 nodes is 0.5, rounded up to 1: the NotReady node alone uses it.
    let r = Case::new(5)
        .ds(|d| d.update_strategy.max_unavailable = Some(IntOrPercent::Percent(10)))
        .node("n2", not_ready_for(10))
        .moved("n2", 30, not_ready)
        .rollout();
    assert!(
        describe(&r).contains("maxUnavailable 1 used by n2 (NotReady 10m)"),
        "{r:?}"
    );
}

#[test]
fn many_holders_are_named_up_to_three() {
    let mut case = Case::new(8).ds(|d| {
        d.update_strategy.max_unavailable = Some(IntOrPercent::Int(5));
    });
    for n in ["n1", "n2", "n3", "n4", "n5"] {
        case = case.node(n, not_ready_for(20)).moved(n, 30, not_ready);
    }
    let text = describe(&case.rollout());
    assert!(
        text.ends_with("n1 (NotReady 20m), n2 (NotReady 20m), n3 (NotReady 20m), and 2 more"),
        "{text}"
    );
}

/// maxSurge 1 on four nodes, with a new pod created beside the old one on n1.
fn surging(tweak: impl FnOnce(&mut Pod)) -> Case {
    let mut case = Case::new(4).ds(|d| {
        d.update_strategy.max_surge = Some(IntOrPercent::Int(1));
        d.update_strategy.max_unavailable = Some(IntOrPercent::Int(0));
    });
    let mut surge = pod(&case.ds, "n1", "agent-surge");
    surge.revision_hash = Some(Arc::from("h2"));
    surge.template_generation = Some(2);
    surge.created = Some(t(NOW - 30));
    surge.ready_since = surge.created;
    surge.ready = false;
    tweak(&mut surge);
    case.pods.push(surge);
    case
}

#[test]
fn surge_judges_the_new_pod_beside_the_old_one() {
    let r = surging(|p| {
        p.phase = crate::model::pod::PodPhase::Pending;
        p.waiting_reason = Some(Arc::from("ImagePullBackOff"));
    })
    .rollout();
    assert_eq!(r.updated, 0, "the oldest pod on n1 is still the old one");
    assert_eq!(
        describe(&r),
        "0/4 stalled: new revision fails to pull its image on n1"
    );
}

#[test]
fn surge_onto_a_node_gone_down_names_max_surge() {
    let r = surging(|_| {}).node("n1", not_ready_for(3)).rollout();
    match &r.stall {
        Some(Stall::BudgetUsed { budget, holders }) => {
            assert_eq!(*budget, Budget::MaxSurge(1));
            assert_eq!(&*holders[0].node, "n1");
        }
        other => panic!("expected maxSurge to be named, got {other:?}"),
    }
    assert_eq!(
        describe(&r),
        "0/4 stalled: maxSurge 1 used by n1 (NotReady 3m)"
    );
}

#[test]
fn surge_pods_starting_are_progress() {
    let r = surging(|_| {}).rollout();
    assert!(!r.is_stalled(), "{r:?}");
}

#[test]
fn on_delete_waits_for_a_person_and_is_not_a_stall() {
    let r = Case::new(3)
        .ds(|d| d.update_strategy.kind = StrategyKind::OnDelete)
        .moved("n1", 3000, |_| {})
        .rollout();
    assert_eq!(r.phase, Phase::Waiting);
    assert!(!r.is_stalled());
    assert_eq!(describe(&r), "1/3, OnDelete: 2 old pods wait to be deleted");
}

#[test]
fn an_old_pod_that_is_not_available_uses_the_budget_before_it_is_replaced() {
    // The node went down before the rollout reached it: its old pod is not Ready, so it
    // counts against maxUnavailable (and the controller replaces it regardless).
    let mut case = Case::new(4).node("n2", not_ready_for(30));
    for p in case
        .pods
        .iter_mut()
        .filter(|p| p.node.as_deref() == Some("n2"))
    {
        not_ready(p);
    }
    let r = case.moved("n1", 30, |_| {}).rollout();
    assert_eq!(
        describe(&r),
        "1/4 stalled: maxUnavailable 1 used by n2 (NotReady 30m)"
    );
}

#[test]
fn old_pods_failing_are_not_called_the_new_revisions_fault() {
    let mut case = Case::new(4);
    for p in case
        .pods
        .iter_mut()
        .filter(|p| p.node.as_deref() == Some("n2"))
    {
        crash_looping(p);
    }
    let r = case.moved("n1", 400, |_| {}).rollout();
    let text = describe(&r);
    assert!(!text.contains("new revision"), "{text}");
}
