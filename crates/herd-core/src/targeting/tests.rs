//! The previews on small hand-built fleets: each field and operator, the warnings, the
//! resource fit, node-side edits and the quick fixes.

use std::sync::Arc;

use super::fix::{self, Fix, FixEdit};
use super::nodes::{self, NodeEdit};
use super::preview::{Rolls, Warning, preview};
use super::spelling::parse_affinity;
use crate::model::daemonset::{DaemonSet, StrategyKind, Targeting};
use crate::model::fleet::{Fleet, Record};
use crate::model::node::Node;
use crate::model::placement::{PlacementSpec, Taint, TaintEffect, Toleration};
use crate::model::testkit::{ds, fleet_of, node, pod};

fn labelled(name: &str, labels: &[(&str, &str)]) -> Node {
    let mut n = node(name);
    for (k, v) in labels {
        n.labels.insert(k.to_string(), v.to_string());
    }
    n
}

fn tainted(mut n: Node, taint: Taint) -> Node {
    n.taints.push(taint);
    n
}

fn gpu_taint() -> Taint {
    Taint::new("nvidia.com/gpu", "present", TaintEffect::NoSchedule)
}

/// Nodes `a` (pool=general, zone=1, cores=4), `b` (pool=general, zone=2, cores=8), `g1` and
/// `g2` (pool=gpu, cores=16, tainted nvidia.com/gpu=present:NoSchedule); the DaemonSet `d`
/// with `spec`, with a pod wherever it should run.
fn fleet(spec: PlacementSpec, kind: StrategyKind) -> (Fleet, DaemonSet) {
    let nodes = vec![
        labelled("a", &[("pool", "general"), ("zone", "1"), ("cores", "4")]),
        labelled("b", &[("pool", "general"), ("zone", "2"), ("cores", "8")]),
        tainted(
            labelled("g1", &[("pool", "gpu"), ("cores", "16")]),
            gpu_taint(),
        ),
        tainted(
            labelled("g2", &[("pool", "gpu"), ("cores", "16")]),
            gpu_taint(),
        ),
    ];
    let mut d = ds("d");
    d.targeting = Targeting::new(spec);
    d.update_strategy.kind = kind;
    let mut records: Vec<Record> = Vec::new();
    for n in &nodes {
        if d.targeting.prepared().should_run(&n.facts()) {
            records.push(Record::Pod(pod(&d, &n.name, &format!("d-{}", n.name))));
        }
    }
    records.extend(nodes.into_iter().map(Record::Node));
    records.push(Record::DaemonSet(d.clone()));
    (fleet_of(records), d)
}

fn names(v: &[Arc<str>]) -> Vec<&str> {
    v.iter().map(|n| &**n).collect()
}

fn gains(p: &super::preview::Preview) -> Vec<&str> {
    p.gains.iter().map(|g| &*g.node).collect()
}

fn losses(p: &super::preview::Preview) -> Vec<&str> {
    p.losses.iter().map(|g| &*g.node).collect()
}

#[test]
fn a_toleration_added_gains_the_tainted_nodes_with_the_reason() {
    let (fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    let mut wanted = d.targeting.spec().clone();
    wanted.tolerations.push(Toleration::equal(
        "nvidia.com/gpu",
        "present",
        Some(TaintEffect::NoSchedule),
    ));
    let p = preview(&fleet, &d, &wanted);
    assert_eq!(gains(&p), ["g1", "g2"]);
    assert!(p.losses.is_empty());
    assert_eq!(p.keeps, 2);
    assert_eq!(names(&p.after), ["a", "b", "g1", "g2"]);
    assert_eq!(
        p.gains[0].reason,
        "no longer: untolerated taint nvidia.com/gpu=present:NoSchedule"
    );
    assert_eq!(
        p.changes,
        ["tolerations + nvidia.com/gpu=present:NoSchedule"]
    );
    assert_eq!(
        p.headline(),
        "+2 node(s) gain a pod, −0 lose one, 2 keep it"
    );
    assert!(p.warnings.is_empty());
    assert_eq!(
        p.rolls,
        Rolls::Replaces {
            pods: 2,
            max_unavailable: "1".into()
        }
    );
}

#[test]
fn a_node_selector_added_loses_the_other_nodes() {
    let (fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    let mut wanted = d.targeting.spec().clone();
    wanted.node_selector.insert("zone".into(), "1".into());
    let p = preview(&fleet, &d, &wanted);
    assert_eq!(losses(&p), ["b"]);
    assert_eq!(
        p.losses[0].reason,
        "nodeSelector zone=1: node has zone=2: its pod there is deleted"
    );
    assert_eq!(names(&p.after), ["a"]);
    assert_eq!(p.changes, ["nodeSelector + zone=1"]);
    // Changed value: the other node.
    let (fleet, d) = self::fleet(wanted, StrategyKind::RollingUpdate);
    let mut moved = d.targeting.spec().clone();
    moved.node_selector.insert("zone".into(), "2".into());
    let p = preview(&fleet, &d, &moved);
    assert_eq!((gains(&p), losses(&p)), (vec!["b"], vec!["a"]));
    assert_eq!(p.changes, ["nodeSelector zone=1 → zone=2"]);
}

#[test]
fn each_affinity_operator_selects_its_nodes() {
    let gpu = Toleration::exists("nvidia.com/gpu", None);
    for (affinity, after) in [
        ("pool In [gpu]", vec!["g1", "g2"]),
        ("pool NotIn [gpu]", vec!["a", "b"]),
        ("zone Exists", vec!["a", "b"]),
        ("zone DoesNotExist", vec!["g1", "g2"]),
        ("cores Gt [6]", vec!["b", "g1", "g2"]),
        ("cores Lt [6]", vec!["a"]),
        ("field:metadata.name In [b]", vec!["b"]),
        ("field:metadata.name NotIn [b]", vec!["a", "g1", "g2"]),
        ("zone In [1] | pool In [gpu]", vec!["a", "g1", "g2"]),
        ("zone In [1], cores Lt [6]", vec!["a"]),
    ] {
        let base = PlacementSpec {
            tolerations: vec![gpu.clone()],
            ..PlacementSpec::default()
        };
        let (fleet, d) = fleet(base.clone(), StrategyKind::RollingUpdate);
        let wanted = PlacementSpec {
            required_terms: parse_affinity("affinity", affinity).unwrap(),
            ..base
        };
        let p = preview(&fleet, &d, &wanted);
        assert_eq!(names(&p.after), after, "{affinity}");
        assert!(p.gains.is_empty(), "{affinity}: everything ran before");
        assert_eq!(p.losses.len(), 4 - after.len(), "{affinity}");
        assert!(
            p.losses
                .iter()
                .all(|l| l.reason.starts_with("node affinity")),
            "{affinity}: {:?}",
            p.losses
        );
    }
}

#[test]
fn a_removed_noexecute_toleration_warns_of_evictions() {
    let evict = Taint::new("dedicated", "infra", TaintEffect::NoExecute);
    let spec = PlacementSpec {
        tolerations: vec![Toleration::exists("dedicated", None)],
        ..PlacementSpec::default()
    };
    let (mut fleet, d) = fleet(spec, StrategyKind::OnDelete);
    let mut a = fleet.node("a").unwrap().clone();
    a.taints.push(evict.clone());
    fleet.apply(crate::model::fleet::FleetEvent::Upsert(Record::Node(a)));
    let p = preview(&fleet, &d, &PlacementSpec::default());
    assert_eq!(losses(&p), ["a"]);
    assert_eq!(
        p.warnings,
        [Warning::Evicts {
            toleration: "dedicated".into(),
            taint: evict,
            nodes: 1
        }]
    );
    assert_eq!(
        p.warnings[0].to_string(),
        "removing toleration dedicated evicts the running pods on 1 node(s) tainted dedicated=infra:NoExecute"
    );
    assert_eq!(p.rolls, Rolls::Kept { pods: 2 });
}

#[test]
fn a_noschedule_toleration_removed_keeps_pods_under_ondelete_but_not_rollingupdate() {
    let spec = PlacementSpec {
        tolerations: vec![Toleration::exists("nvidia.com/gpu", None)],
        ..PlacementSpec::default()
    };
    let (fleet, d) = fleet(spec.clone(), StrategyKind::OnDelete);
    let p = preview(&fleet, &d, &PlacementSpec::default());
    assert!(p.losses.is_empty(), "{:?}", p.losses);
    assert_eq!(p.keeps, 4);
    let (fleet, d) = self::fleet(spec, StrategyKind::RollingUpdate);
    let p = preview(&fleet, &d, &PlacementSpec::default());
    assert_eq!(losses(&p), ["g1", "g2"]);
    assert!(
        p.losses[0]
            .reason
            .contains("the rolling update deletes its pod and creates none here"),
        "{}",
        p.losses[0].reason
    );
}

#[test]
fn an_edit_that_selects_nothing_warns_twice() {
    let (fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    let mut wanted = PlacementSpec::default();
    wanted
        .node_selector
        .insert("accelerator".into(), "h100".into());
    let p = preview(&fleet, &d, &wanted);
    assert_eq!(
        p.warnings,
        [
            Warning::TargetsNoNode,
            Warning::RemovesEverywhere { nodes: 2 }
        ]
    );
    assert!(p.after.is_empty());
}

#[test]
fn no_change_is_nothing_to_do() {
    let (fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    let p = preview(&fleet, &d, d.targeting.spec());
    assert!(p.is_noop());
    assert!(p.changes.is_empty() && p.gains.is_empty() && p.losses.is_empty());
}

#[test]
fn a_gained_node_without_room_is_named_with_its_shortfall() {
    let (mut fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    // g1 is full: a pod of another owner requests all but 50m of its 4 CPUs.
    let other = ds("big");
    let mut hog = pod(&other, "g1", "hog");
    hog.containers = crate::model::testkit::containers(
        crate::model::resources::Resources::new(3950, 1024),
        crate::model::resources::Resources::new(3950, 1024),
    );
    fleet.apply(crate::model::fleet::FleetEvent::Upsert(Record::Pod(hog)));
    let mut wanted = PlacementSpec::default();
    wanted
        .tolerations
        .push(Toleration::exists("nvidia.com/gpu", None));
    let p = preview(&fleet, &d, &wanted);
    assert_eq!(gains(&p), ["g1", "g2"]);
    assert_eq!(p.no_fit.len(), 1);
    assert_eq!(&*p.no_fit[0].node, "g1");
    assert_eq!(
        p.no_fit[0].shortfalls[0].to_string(),
        "cpu: needs 100m, 50m free (50m short)"
    );
    assert_eq!(p.per_pod.cpu_millis, 100);
}

#[test]
fn node_edits_move_the_daemonsets_that_care() {
    let spec = PlacementSpec {
        node_selector: [("pool".to_string(), "gpu".to_string())].into(),
        tolerations: vec![Toleration::exists("nvidia.com/gpu", None)],
        ..PlacementSpec::default()
    };
    let (fleet, _) = fleet(spec, StrategyKind::RollingUpdate);
    let a: Vec<Arc<str>> = vec![Arc::from("a")];
    let label = NodeEdit::Label {
        key: "pool".into(),
        value: "gpu".into(),
    };
    let deltas = nodes::preview(&fleet, &a, &label);
    assert_eq!(deltas.len(), 1);
    assert_eq!(deltas[0].daemon_set, "kube-system/d");
    assert_eq!(
        deltas[0].gains[0].reason,
        "no longer: nodeSelector pool=gpu: node has pool=general"
    );
    assert_eq!(
        label.kubectl(&a),
        "kubectl label node a pool=gpu --overwrite"
    );
    // Untaint the GPU nodes: nothing moves for a DaemonSet that tolerated the taint already.
    let g: Vec<Arc<str>> = vec![Arc::from("g1"), Arc::from("g2")];
    let untaint = NodeEdit::Untaint {
        key: "nvidia.com/gpu".into(),
        effect: None,
    };
    assert!(nodes::preview(&fleet, &g, &untaint).is_empty());
    // NoExecute on a GPU node evicts the pod; NoSchedule keeps it (continue running).
    let no_exec = NodeEdit::Taint(Taint::new("maint", "", TaintEffect::NoExecute));
    let deltas = nodes::preview(&fleet, &g, &no_exec);
    assert_eq!(deltas[0].losses.len(), 2);
    assert_eq!(
        deltas[0].losses[0].reason,
        "untolerated taint maint:NoExecute: its pod there is deleted"
    );
    let no_sched = NodeEdit::Taint(Taint::new("maint", "", TaintEffect::NoSchedule));
    assert!(nodes::preview(&fleet, &g, &no_sched).is_empty());
    // Cordoning moves no daemon: DaemonSet pods tolerate the unschedulable taint.
    assert!(nodes::preview(&fleet, &g, &NodeEdit::Cordon(true)).is_empty());
    assert!(NodeEdit::Cordon(true).changes(fleet.node("g1").unwrap()));
    assert!(!NodeEdit::Cordon(false).changes(fleet.node("g1").unwrap()));
}

#[test]
fn a_taint_fix_tolerates_it_and_the_preview_gains_every_node_so_tainted() {
    let (fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    let fixes = fix::for_node(&fleet, &d, "g1");
    assert_eq!(
        fixes,
        [Fix::Tolerate(Toleration::equal(
            "nvidia.com/gpu",
            "present",
            Some(TaintEffect::NoSchedule)
        ))]
    );
    assert_eq!(
        fixes[0].title(),
        "tolerate nvidia.com/gpu=present:NoSchedule"
    );
    let FixEdit::Targeting(spec) = fixes[0].edit(d.targeting.spec()) else {
        panic!("a toleration is a targeting edit");
    };
    assert_eq!(gains(&preview(&fleet, &d, &spec)), ["g1", "g2"]);
}

#[test]
fn a_selector_fix_widens_the_selector_or_labels_the_node() {
    let spec = PlacementSpec {
        node_selector: [("zone".to_string(), "1".to_string())].into(),
        ..PlacementSpec::default()
    };
    let (fleet, d) = fleet(spec, StrategyKind::RollingUpdate);
    let fixes = fix::for_node(&fleet, &d, "b");
    assert_eq!(fixes.len(), 2, "{fixes:?}");
    assert_eq!(
        fixes[0].title(),
        "add this node's label to the selector: zone In [1, 2]"
    );
    let FixEdit::Targeting(widened) = fixes[0].edit(d.targeting.spec()) else {
        panic!("widening is a targeting edit");
    };
    assert!(widened.node_selector.is_empty());
    let p = preview(&fleet, &d, &widened);
    assert_eq!((gains(&p), p.keeps), (vec!["b"], 1));
    assert_eq!(fixes[1].title(), "label node b zone=1");
    let FixEdit::Node { node, edit } = fixes[1].edit(d.targeting.spec()) else {
        panic!("labelling is a node edit");
    };
    let deltas = nodes::preview(&fleet, &[node], &edit);
    assert_eq!(deltas[0].gains.len(), 1);
}

#[test]
fn a_daemonset_that_targets_no_node_is_offered_the_closest_values() {
    let spec = PlacementSpec {
        node_selector: [("pool".to_string(), "gpus".to_string())].into(),
        ..PlacementSpec::default()
    };
    let (fleet, d) = fleet(spec, StrategyKind::RollingUpdate);
    let fixes = fix::closest_values(&fleet, &d);
    assert_eq!(
        fixes.iter().map(Fix::title).collect::<Vec<_>>(),
        [
            "select pool=gpu (2 node(s) carry it)",
            "select pool=general (2 node(s) carry it)"
        ]
    );
}

#[test]
fn node_edits_read_in_kubectls_words() {
    let gpu = || Taint::new("nvidia.com/gpu", "present", TaintEffect::NoSchedule);
    let cases = [
        (
            "label pool=gpu",
            NodeEdit::Label {
                key: "pool".into(),
                value: "gpu".into(),
            },
        ),
        ("label pool-", NodeEdit::Unlabel { key: "pool".into() }),
        ("unlabel pool", NodeEdit::Unlabel { key: "pool".into() }),
        (
            "taint nvidia.com/gpu=present:NoSchedule",
            NodeEdit::Taint(gpu()),
        ),
        (
            "taint dedicated:NoExecute",
            NodeEdit::Taint(Taint::new("dedicated", "", TaintEffect::NoExecute)),
        ),
        (
            "taint nvidia.com/gpu:NoSchedule-",
            NodeEdit::Untaint {
                key: "nvidia.com/gpu".into(),
                effect: Some(TaintEffect::NoSchedule),
            },
        ),
        (
            "untaint nvidia.com/gpu",
            NodeEdit::Untaint {
                key: "nvidia.com/gpu".into(),
                effect: None,
            },
        ),
        ("  cordon ", NodeEdit::Cordon(true)),
        ("uncordon", NodeEdit::Cordon(false)),
    ];
    for (text, want) in cases {
        assert_eq!(NodeEdit::parse(text), Ok(want.clone()), "{text}");
        // What the edit says of itself reads back as kubectl's own command.
        assert!(want.kubectl(&[Arc::from("n1")]).starts_with("kubectl "));
    }
    for (text, why) in [
        ("taint gpu=present", "needs its effect"),
        ("taint gpu:Sometimes", "unknown effect \"Sometimes\""),
        ("untaint gpu=present", "without its value"),
        ("label pool", "label KEY=VALUE"),
        ("label", "needs its argument"),
        ("cordon now", "take no argument"),
        ("drain", "expected label KEY=VALUE"),
        ("label a=b c=d", "one edit at a time"),
    ] {
        let err = NodeEdit::parse(text).expect_err(text);
        assert_eq!(err.field, "node edit");
        assert!(err.to_string().contains(why), "{text}: {err}");
    }
    // A bad key reads, and validation names the rule.
    let bad = NodeEdit::parse("label -pool=gpu").expect("reads");
    assert!(!bad.validate().is_empty());
}

/// With only daemon pods watched, a gained node's other pods count once read; until then its
/// fit is said to be unchecked rather than taken to be fine.
#[test]
fn with_daemon_pods_only_fit_waits_for_the_nodes_other_pods() {
    use crate::analysis::fill::other_pods_on;
    use crate::model::fleet::FleetEvent;
    use crate::model::others::{OtherPod, OtherPods, PodScope};
    use crate::model::resources::Totals;
    let (mut fleet, d) = fleet(PlacementSpec::default(), StrategyKind::RollingUpdate);
    fleet.apply(FleetEvent::PodScope(PodScope::Daemon));
    let mut wanted = PlacementSpec::default();
    wanted
        .tolerations
        .push(Toleration::exists("nvidia.com/gpu", None));
    let p = preview(&fleet, &d, &wanted);
    assert_eq!(gains(&p), ["g1", "g2"]);
    assert!(p.no_fit.is_empty());
    assert_eq!(p.fit_unchecked, [Arc::from("g1"), Arc::from("g2")]);
    assert_eq!(other_pods_on(&fleet, "g1", 3), None);

    // g1's applications leave 50m of its 4 CPUs; g2 has none.
    let app = |name: &str, cpu| OtherPod {
        namespace: "apps".into(),
        name: name.into(),
        requests: Totals {
            cpu_millis: cpu,
            memory_bytes: 0,
        },
    };
    let read_at = jiff::Timestamp::UNIX_EPOCH;
    fleet.apply(FleetEvent::OtherPods(OtherPods {
        node: "g1".into(),
        read_at,
        pods: vec![app("web-1", 1950), app("db-1", 2000)],
    }));
    fleet.apply(FleetEvent::OtherPods(OtherPods {
        node: "g2".into(),
        read_at,
        pods: Vec::new(),
    }));
    let p = preview(&fleet, &d, &wanted);
    assert!(p.fit_unchecked.is_empty());
    assert_eq!(p.no_fit.len(), 1);
    assert_eq!(
        p.no_fit[0].shortfalls[0].to_string(),
        "cpu: needs 100m, 50m free (50m short)"
    );
    let fill = other_pods_on(&fleet, "g1", 1).expect("read");
    assert_eq!((fill.count, fill.requests.cpu_millis), (2, 3950));
    assert_eq!(fill.largest[0].pod, "apps/db-1");
    assert!(!fleet.others_wanted("g1", read_at));
    assert!(fleet.others_wanted("g1", read_at + crate::model::others::FRESH_FOR));
}
