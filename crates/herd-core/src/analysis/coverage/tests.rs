//! Rows: the status and reason of every kind of (DaemonSet, node) pair.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::model::daemonset::DaemonSet;
use crate::model::daemonset::Targeting;
use crate::model::fleet::{Fleet, Record};
use crate::model::node::Node;
use crate::model::placement::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PlacementSpec, Taint,
    TaintEffect,
};
use crate::model::pod::{Pod, PodPhase};
use crate::model::resources::Resources;
use crate::model::testkit::{containers, ds, fleet_of, node, pod, revision, t};

pub(super) const NOW: i64 = 1000;

pub(super) fn arc(s: &str) -> Option<Arc<str>> {
    Some(Arc::from(s))
}

pub(super) fn labelled(name: &str, labels: &[(&str, &str)]) -> Node {
    let mut n = node(name);
    n.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    n
}

pub(super) fn tainted(name: &str, key: &str, value: &str, effect: TaintEffect) -> Node {
    let mut n = node(name);
    n.taints.push(Taint::new(key, value, effect));
    n
}

pub(super) fn targeted(mut d: DaemonSet, spec: PlacementSpec) -> DaemonSet {
    d.targeting = Targeting::new(spec);
    d
}

pub(super) fn node_selector(pairs: &[(&str, &str)]) -> PlacementSpec {
    PlacementSpec {
        node_selector: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..PlacementSpec::default()
    }
}

/// The single row of the DaemonSet "agent" on node "n1".
pub(super) fn row(fleet: &Fleet) -> Coverage {
    let report = analyze(fleet, t(NOW));
    let cov = report.get("uid-agent").unwrap();
    cov.rows.iter().find(|r| &*r.node == "n1").unwrap().clone()
}

/// Fleet with node n1, DaemonSet agent (current revision h2 = template generation 2) and,
/// when `tweak` gives one, its pod on n1.
pub(super) fn one_pod(tweak: impl FnOnce(&mut Pod)) -> Fleet {
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

pub(super) fn not_ready(p: &mut Pod) {
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
