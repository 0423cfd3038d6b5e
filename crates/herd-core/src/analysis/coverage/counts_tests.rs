//! Counts: the status fields (docs/SEMANTICS.md#status) from hand-built fleets, and the per-node
//! view.

use std::sync::Arc;

use super::tests::{NOW, arc, labelled, node_selector, row, tainted, targeted};
use super::*;
use crate::model::fleet::Record;
use crate::model::placement::TaintEffect;
use crate::model::pod::PodPhase;
use crate::model::testkit::{ds, fleet_of, node, pod, t};

/// Conformance scenario 2 (docs/SEMANTICS.md#conformance-scenarios): a NoSchedule taint under a
/// running pod.
#[test]
fn counts_follow_a_taint_added_under_a_running_pod() {
    let d = ds("agent");
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::Node(node("n2")),
        Record::Node(tainted("n3", "gpu", "true", TaintEffect::NoSchedule)),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "a1")),
        Record::Pod(pod(&d, "n2", "a2")),
        Record::Pod(pod(&d, "n3", "a3")),
    ]);
    let c = summarize(&fleet, "uid-agent", t(NOW)).unwrap();
    assert_eq!(
        (c.desired, c.current, c.ready, c.misscheduled),
        (2, 2, 2, 1)
    );
}

/// Scenario 10 and docs/SEMANTICS.md#status: only the oldest pod per node counts, bound before
/// unbound.
#[test]
fn only_the_oldest_pod_on_a_node_counts() {
    let mut d = ds("agent");
    d.template_generation = Some(2);
    let mut old = pod(&d, "n1", "agent-b");
    old.created = Some(t(10));
    old.template_generation = Some(1);
    let mut young = pod(&d, "n1", "agent-a");
    young.created = Some(t(20));
    young.template_generation = Some(2);
    young.ready = false;
    let mut unbound_older = pod(&d, "n1", "agent-0");
    unbound_older.created = Some(t(1));
    unbound_older.bound = false;
    unbound_older.ready = false;
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::DaemonSet(d),
        Record::Pod(young),
        Record::Pod(old),
        Record::Pod(unbound_older),
    ]);
    let c = summarize(&fleet, "uid-agent", t(NOW)).unwrap();
    assert_eq!((c.current, c.ready, c.updated), (1, 1, 0));
    let r = row(&fleet);
    assert_eq!((r.status, r.pods), (Status::Outdated, 3));
    assert_eq!(&*fleet.pod(r.pod.unwrap()).unwrap().name, "agent-b");
}

/// Scenario 11: a desired node whose pod stays Pending counts as current, not ready.
#[test]
fn a_starved_node_is_current_but_not_ready() {
    let d = ds("agent");
    let mut starved = pod(&d, "n3", "a3");
    starved.ready = false;
    starved.phase = PodPhase::Pending;
    starved.bound = false;
    starved.unschedulable = arc("0/3 nodes are available: 1 Insufficient memory.");
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::Node(node("n2")),
        Record::Node(node("n3")),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "a1")),
        Record::Pod(pod(&d, "n2", "a2")),
        Record::Pod(starved),
    ]);
    let c = summarize(&fleet, "uid-agent", t(NOW)).unwrap();
    assert_eq!(
        (c.desired, c.current, c.ready, c.available, c.unavailable),
        (3, 3, 2, 2, 1)
    );
}

#[test]
fn available_waits_min_ready_seconds_strictly() {
    let mut d = ds("agent");
    d.min_ready_seconds = 30;
    let fresh = |name: &str, node: &str, ready_at: Option<i64>| {
        let mut p = pod(&d, node, name);
        p.ready_since = ready_at.map(t);
        p
    };
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::Node(node("n2")),
        Record::Node(node("n3")),
        Record::DaemonSet(d.clone()),
        Record::Pod(fresh("a1", "n1", Some(NOW - 31))),
        Record::Pod(fresh("a2", "n2", Some(NOW - 30))),
        Record::Pod(fresh("a3", "n3", None)),
    ]);
    let c = summarize(&fleet, "uid-agent", t(NOW)).unwrap();
    assert_eq!((c.ready, c.available, c.unavailable), (3, 1, 2));
}

#[test]
fn terminal_deleting_pods_and_pods_on_unknown_nodes_do_not_count() {
    let d = ds("agent");
    let mut gone = pod(&d, "n1", "a1");
    gone.phase = PodPhase::Failed;
    gone.deleting = Some(t(NOW - 1));
    let mut failed = pod(&d, "n2", "a2");
    failed.phase = PodPhase::Failed;
    failed.ready = false;
    let mut deleting = pod(&d, "n3", "a3");
    deleting.deleting = Some(t(NOW - 1));
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::Node(node("n2")),
        Record::Node(node("n3")),
        Record::DaemonSet(d.clone()),
        Record::Pod(gone),
        Record::Pod(failed),
        Record::Pod(deleting),
        Record::Pod(pod(&d, "vanished-node", "a4")),
    ]);
    let cov = daemon_set(&fleet, "uid-agent", t(NOW)).unwrap();
    let c = cov.counts;
    // n1: no mapped pod; n2: a Failed pod still counts as current; n3: a terminating Ready pod
    // still counts as ready and available (docs/SEMANTICS.md#status).
    assert_eq!((c.desired, c.current, c.ready, c.available), (3, 2, 1, 1));
    assert_eq!(cov.pods_on_unknown_nodes, 1);
    let statuses: Vec<Status> = cov.rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Status::Missing, Status::Failing, Status::Terminating]
    );
    assert_eq!(cov.tally.get(Status::Missing), 1);
}

#[test]
fn the_node_view_lists_what_should_run_what_does_and_why_not() {
    let gpu_agent = targeted(ds("gpu-plugin"), node_selector(&[("pool", "gpu")]));
    let logs = ds("logs");
    let security = ds("security");
    let mut crashing = pod(&security, "n1", "security-a");
    crashing.ready = false;
    crashing.waiting_reason = arc("CrashLoopBackOff");
    crashing.restarts = 4;
    let fleet = fleet_of([
        Record::Node(labelled("n1", &[("pool", "general")])),
        Record::DaemonSet(gpu_agent),
        Record::DaemonSet(logs.clone()),
        Record::DaemonSet(security),
        Record::Pod(pod(&logs, "n1", "logs-a")),
        Record::Pod(crashing),
    ]);
    let view = node_view(&fleet, "n1", t(NOW)).unwrap();
    let uids = |it: &mut dyn Iterator<Item = &(Arc<str>, Coverage)>| {
        it.map(|(uid, _)| uid.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(uids(&mut view.should_run()), ["uid-logs", "uid-security"]);
    assert_eq!(uids(&mut view.running()), ["uid-logs"]);
    let why: Vec<String> = view
        .not_running()
        .map(|(_, c)| c.reason.describe(t(NOW)))
        .collect();
    assert_eq!(why, ["crash loop (4 restarts)"]);
    assert!(node_view(&fleet, "nope", t(NOW)).is_none());
    // The per-node view agrees with the full pass.
    let full = analyze(&fleet, t(NOW));
    for (uid, c) in &view.rows {
        assert_eq!(&full.get(uid).unwrap().rows[0], c);
    }
}
