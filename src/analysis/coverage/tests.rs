use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::model::daemonset::DaemonSet;
use crate::model::daemonset::Targeting;
use crate::model::fleet::{Fleet, FleetEvent, Record};
use crate::model::node::Node;
use crate::model::placement::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PlacementSpec, Taint,
    TaintEffect,
};
use crate::model::pod::{Pod, PodPhase};
use crate::model::resources::Resources;
use crate::model::testkit::{NS, containers, ds, fleet_of, node, pod, revision, t};

const NOW: i64 = 1000;

fn arc(s: &str) -> Option<Arc<str>> {
    Some(Arc::from(s))
}

fn labelled(name: &str, labels: &[(&str, &str)]) -> Node {
    let mut n = node(name);
    n.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    n
}

fn tainted(name: &str, key: &str, value: &str, effect: TaintEffect) -> Node {
    let mut n = node(name);
    n.taints.push(Taint::new(key, value, effect));
    n
}

fn targeted(mut d: DaemonSet, spec: PlacementSpec) -> DaemonSet {
    d.targeting = Targeting::new(spec);
    d
}

fn node_selector(pairs: &[(&str, &str)]) -> PlacementSpec {
    PlacementSpec {
        node_selector: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..PlacementSpec::default()
    }
}

/// The single row of the DaemonSet "agent" on node "n1".
fn row(fleet: &Fleet) -> Coverage {
    let report = analyze(fleet, t(NOW));
    let cov = report.get("uid-agent").unwrap();
    cov.rows.iter().find(|r| &*r.node == "n1").unwrap().clone()
}

/// Fleet with node n1, DaemonSet agent (current revision h2 = template generation 2) and,
/// when `tweak` gives one, its pod on n1.
fn one_pod(tweak: impl FnOnce(&mut Pod)) -> Fleet {
    let mut d = ds("agent");
    d.template_generation = Some(2);
    let mut p = pod(&d, "n1", "agent-a");
    p.revision_hash = arc("h2");
    p.template_generation = Some(2);
    tweak(&mut p);
    fleet_of([
        Record::Node(node("n1")),
        Record::Revision(revision(&d, 1, "h1")),
        Record::Revision(revision(&d, 2, "h2")),
        Record::DaemonSet(d),
        Record::Pod(p),
    ])
}

fn not_ready(p: &mut Pod) {
    p.ready = false;
    p.ready_since = Some(t(NOW - 5));
}

#[test]
fn present_pods_get_the_status_and_reason_a_person_expects() {
    type Case = (&'static str, fn(&mut Pod), Status, Reason, &'static str);
    let cases: Vec<Case> = vec![
        (
            "ready on the current revision",
            |_| {},
            Status::Ready,
            Reason::None,
            "",
        ),
        (
            "old revision",
            |p| {
                p.revision_hash = arc("h1");
                p.template_generation = Some(1);
            },
            Status::Outdated,
            Reason::None,
            "",
        ),
        (
            "waiting for the scheduler",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Pending;
                p.bound = false;
            },
            Status::Pending,
            Reason::Scheduling,
            "waiting for the scheduler",
        ),
        (
            "unschedulable",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Pending;
                p.bound = false;
                p.unschedulable = arc("0/1 nodes are available: 1 Insufficient cpu.");
            },
            Status::Pending,
            Reason::Unschedulable {
                message: Arc::from("0/1 nodes are available: 1 Insufficient cpu."),
            },
            "unschedulable: 0/1 nodes are available: 1 Insufficient cpu.",
        ),
        (
            "image pull",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Pending;
                p.waiting_reason = arc("ImagePullBackOff");
            },
            Status::Pending,
            Reason::ImagePull {
                reason: Arc::from("ImagePullBackOff"),
            },
            "image pull failing (ImagePullBackOff)",
        ),
        (
            "container creating",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Pending;
                p.waiting_reason = arc("ContainerCreating");
            },
            Status::Pending,
            Reason::ContainerCreating,
            "container creating",
        ),
        (
            "bound, pending, no reason yet",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Pending;
            },
            Status::Pending,
            Reason::ContainerCreating,
            "container creating",
        ),
        (
            "just started",
            |p| {
                not_ready(p);
            },
            Status::Pending,
            Reason::Starting {
                since: Some(t(NOW - 5)),
            },
            "started, not Ready yet",
        ),
        (
            "never ready",
            |p| {
                p.ready = false;
                p.ready_since = Some(t(NOW - 300));
            },
            Status::Failing,
            Reason::NotReady {
                since: Some(t(NOW - 300)),
            },
            "running, not Ready for 5m",
        ),
        (
            "crash loop",
            |p| {
                not_ready(p);
                p.waiting_reason = arc("CrashLoopBackOff");
                p.last_terminated_reason = arc("Error");
                p.restarts = 7;
            },
            Status::Failing,
            Reason::CrashLoop { restarts: 7 },
            "crash loop (7 restarts)",
        ),
        (
            "OOM kill",
            |p| {
                not_ready(p);
                p.waiting_reason = arc("CrashLoopBackOff");
                p.last_terminated_reason = arc("OOMKilled");
                p.restarts = 3;
            },
            Status::Failing,
            Reason::OomKilled { restarts: 3 },
            "OOM-killed (3 restarts)",
        ),
        (
            "OOM kill, restarting",
            |p| {
                not_ready(p);
                p.last_terminated_reason = arc("OOMKilled");
                p.restarts = 1;
            },
            Status::Failing,
            Reason::OomKilled { restarts: 1 },
            "OOM-killed (1 restarts)",
        ),
        (
            "config error",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Pending;
                p.waiting_reason = arc("CreateContainerConfigError");
            },
            Status::Failing,
            Reason::ContainerError {
                reason: Arc::from("CreateContainerConfigError"),
            },
            "container error (CreateContainerConfigError)",
        ),
        (
            "failed",
            |p| {
                not_ready(p);
                p.phase = PodPhase::Failed;
            },
            Status::Failing,
            Reason::Finished {
                phase: PodPhase::Failed,
            },
            "pod Failed, waiting for replacement",
        ),
        (
            "terminating",
            |p| {
                p.deleting = Some(t(NOW - 30));
            },
            Status::Terminating,
            Reason::Terminating { since: t(NOW - 30) },
            "terminating for 30s",
        ),
        (
            "crash-looping old revision is failing, not outdated",
            |p| {
                not_ready(p);
                p.revision_hash = arc("h1");
                p.template_generation = Some(1);
                p.waiting_reason = arc("CrashLoopBackOff");
                p.restarts = 2;
            },
            Status::Failing,
            Reason::CrashLoop { restarts: 2 },
            "crash loop (2 restarts)",
        ),
    ];
    for (name, tweak, status, reason, text) in cases {
        let fleet = one_pod(tweak);
        let r = row(&fleet);
        assert_eq!((r.status, &r.reason), (status, &reason), "case {name}");
        assert_eq!(r.reason.describe(t(NOW)), text, "case {name}");
        assert_eq!(r.pods, 1, "case {name}");
        assert!(r.pod.is_some(), "case {name}");
    }
}

#[test]
fn the_updated_flag_follows_the_hash_or_the_template_generation() {
    let by_generation_only = one_pod(|p| p.revision_hash = arc("unknown"));
    assert!(row(&by_generation_only).updated);
    let by_hash_only = one_pod(|p| p.template_generation = None);
    assert!(row(&by_hash_only).updated);
    let neither = one_pod(|p| {
        p.template_generation = Some(1);
        p.revision_hash = arc("h1");
    });
    assert!(!row(&neither).updated);
}

#[test]
fn unschedulable_pods_say_which_resource_is_short_and_by_how_much() {
    let d = ds("agent");
    let mut small = node("n1");
    small.allocatable.cpu_millis = 1000;
    let mut hog = pod(&d, "n1", "big-app");
    hog.owner_uid = arc("uid-some-deployment");
    hog.containers = containers(Resources::new(900, 0), Resources::default());
    let mut p = pod(&d, "n1", "agent-a");
    p.ready = false;
    p.bound = false;
    p.phase = PodPhase::Pending;
    p.containers = containers(Resources::new(200, 0), Resources::default());
    p.unschedulable = arc(
        "0/5 nodes are available: 1 Insufficient cpu, 1 Too many pods. preemption: 0/5 nodes are available.",
    );
    let fleet = fleet_of([
        Record::Node(small),
        Record::DaemonSet(d),
        Record::Pod(hog),
        Record::Pod(p),
    ]);
    let r = row(&fleet);
    assert_eq!(r.status, Status::Pending);
    let short = shortfalls(&fleet, r.pod.unwrap());
    let text: Vec<String> = short.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "cpu: needs 200m, 100m free (100m short)",
            "pods: needs 1, 109 free"
        ]
    );
    assert_eq!(short[0].short_by(), Some(100));
    assert_eq!(short[1].short_by(), None);
}

#[test]
fn a_gpu_resource_name_with_dots_is_read_whole() {
    let fleet = one_pod(|p| {
        p.ready = false;
        p.unschedulable = arc("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");
    });
    let r = row(&fleet);
    let short = shortfalls(&fleet, r.pod.unwrap());
    assert_eq!(
        short[0].resource,
        ShortResource::Other("nvidia.com/gpu".into())
    );
    assert_eq!(short[0].to_string(), "insufficient nvidia.com/gpu");
}

#[test]
fn nodes_without_pods_are_missing_or_excluded_with_the_cause_named() {
    let gpu_term = NodeSelectorTerm {
        match_expressions: vec![NodeSelectorRequirement::new(
            "pool",
            NodeSelectorOperator::In,
            &["gpu"],
        )],
        match_fields: vec![],
    };
    type Case = (&'static str, Node, PlacementSpec, Status, &'static str);
    let cases: Vec<Case> = vec![
        (
            "missing since the node became ready",
            {
                let mut n = node("n1");
                n.ready.since = Some(t(400));
                n
            },
            PlacementSpec::default(),
            Status::Missing,
            "no pod for 10m",
        ),
        (
            "nodeSelector",
            labelled("n1", &[("pool", "general")]),
            node_selector(&[("pool", "gpu")]),
            Status::Excluded,
            "nodeSelector pool=gpu: node has pool=general",
        ),
        (
            "nodeSelector, label absent",
            node("n1"),
            node_selector(&[("disk", "ssd")]),
            Status::Excluded,
            "nodeSelector disk=ssd: node has no label disk",
        ),
        (
            "affinity term",
            labelled("n1", &[("pool", "general")]),
            PlacementSpec {
                required_terms: Some(vec![gpu_term]),
                ..PlacementSpec::default()
            },
            Status::Excluded,
            "node affinity: ",
        ),
        (
            "untolerated taint",
            tainted("n1", "nvidia.com/gpu", "present", TaintEffect::NoSchedule),
            PlacementSpec::default(),
            Status::Excluded,
            "untolerated taint nvidia.com/gpu=present:NoSchedule",
        ),
    ];
    for (name, n, spec, status, text) in cases {
        let d = targeted(ds("agent"), spec);
        let fleet = fleet_of([Record::Node(n), Record::DaemonSet(d)]);
        let r = row(&fleet);
        assert_eq!(r.status, status, "case {name}");
        let described = r.reason.describe(t(NOW));
        assert!(described.starts_with(text), "case {name}: {described}");
        assert_eq!((r.pod, r.pods), (None, 0), "case {name}");
    }
}

#[test]
fn missing_counts_from_the_later_of_node_ready_and_daemon_set_creation() {
    let mut d = ds("agent");
    d.created = Some(t(700));
    let fleet = fleet_of([Record::Node(node("n1")), Record::DaemonSet(d)]);
    assert_eq!(
        row(&fleet).reason,
        Reason::Missing {
            since: Some(t(700))
        }
    );
}

#[test]
fn pods_on_nodes_that_should_not_run_them_are_misscheduled_with_node_context() {
    let mut not_ready = node("n1");
    not_ready.ready.status = crate::model::node::ConditionStatus::False;
    not_ready.taints = vec![
        Taint::new("node.kubernetes.io/not-ready", "", TaintEffect::NoSchedule),
        Taint::new("node.kubernetes.io/not-ready", "", TaintEffect::NoExecute),
    ];
    let d = ds("agent");
    let fleet = fleet_of([
        Record::Node(not_ready),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "agent-a")),
    ]);
    let r = row(&fleet);
    assert_eq!(r.status, Status::Misscheduled);
    assert_eq!(
        r.reason.describe(t(NOW)),
        "untolerated taint node.kubernetes.io/not-ready:NoSchedule"
    );
    assert!(r.context.not_ready());
    let counts = summarize(&fleet, "uid-agent", t(NOW)).unwrap();
    assert_eq!((counts.desired, counts.misscheduled), (0, 1));
}

#[test]
fn cordoned_nodes_keep_their_daemons_and_say_so() {
    let mut cordoned = node("n1");
    cordoned.unschedulable = true;
    cordoned.taints = vec![Taint::new(
        "node.kubernetes.io/unschedulable",
        "",
        TaintEffect::NoSchedule,
    )];
    let d = ds("agent");
    let fleet = fleet_of([
        Record::Node(cordoned),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "agent-a")),
    ]);
    let r = row(&fleet);
    assert_eq!(r.status, Status::Ready);
    assert!(r.context.cordoned && !r.context.not_ready());
}

/// DAEMONSET_SEMANTICS.md §7 scenario 2: a NoSchedule taint under a running pod.
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

/// Scenario 10 and §4: only the oldest pod per node counts, bound before unbound.
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
    // still counts as ready and available (§4 notes).
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
    let _ = NS;
    let _ = FleetEvent::Relisted;
}
