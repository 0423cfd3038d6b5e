//! Staging: the hold requirement, the record's text, and the steps over a fleet.

use std::sync::Arc;

use super::*;
use crate::model::daemonset::Targeting;
use crate::model::fleet::{Fleet, FleetEvent, Record};
use crate::model::node::Node;
use crate::model::placement::{PreparedPlacement, TaintEffect, Toleration};
use crate::model::pod::Pod;
use crate::model::testkit::{ds, node, pod, t};
use crate::targeting::spelling::parse_affinity;

const HOLD: &str = "stage.herd.dev/kube-system.agent";

fn wanted() -> PlacementSpec {
    let mut spec = PlacementSpec::default();
    spec.tolerations
        .push(Toleration::exists("gpu", Some(TaintEffect::NoSchedule)));
    spec
}

fn record(batch: Batch, total: u32, order_by: Option<&str>) -> StageRecord {
    StageRecord {
        version: VERSION,
        hold: HOLD.into(),
        order_by: order_by.map(String::from),
        batch,
        total,
        released: 0,
        original: PlacementSpec::default(),
        wanted: wanted(),
        state: StageState::Progressing,
        started: t(0),
    }
}

/// Ten nodes: k01–k04 keep the daemon (a pod each), g01–g06 are held, in zones c, b, a, a,
/// (none), b.
fn fleet() -> (Fleet, crate::model::daemonset::DaemonSet) {
    let mut d = ds("agent");
    d.targeting = Targeting::new(held(&wanted(), HOLD));
    let mut fleet = Fleet::new();
    let zones = ["c", "b", "a", "a", "", "b"];
    for i in 1..=4 {
        fleet.apply(FleetEvent::Upsert(Record::Node(node(&format!("k0{i}")))));
    }
    for (i, zone) in zones.iter().enumerate() {
        let mut n = node(&format!("g0{}", i + 1));
        n.labels.insert(HOLD.into(), HELD.into());
        if !zone.is_empty() {
            n.labels.insert("zone".into(), (*zone).into());
        }
        fleet.apply(FleetEvent::Upsert(Record::Node(n)));
    }
    fleet.apply(FleetEvent::Upsert(Record::DaemonSet(d.clone())));
    for i in 1..=4 {
        let p = pod(&d, &format!("k0{i}"), &format!("agent-k0{i}"));
        fleet.apply(FleetEvent::Upsert(Record::Pod(p)));
    }
    (fleet, d)
}

fn release(fleet: &mut Fleet, names: &[&str]) {
    for name in names {
        let mut n: Node = fleet.node(name).unwrap().clone();
        n.labels.remove(HOLD);
        fleet.apply(FleetEvent::Upsert(Record::Node(n)));
    }
}

fn names(nodes: &[Arc<str>]) -> Vec<&str> {
    nodes.iter().map(|n| &**n).collect()
}

#[test]
fn the_hold_goes_into_every_term_and_comes_out_again() {
    let mut spec = wanted();
    assert_eq!(
        without_hold(&held(&spec, HOLD)),
        spec,
        "no terms: one of its own"
    );
    let prepared = PreparedPlacement::new(&held(&spec, HOLD));
    let mut n = node("n1");
    assert!(prepared.should_run(&n.facts()));
    n.labels.insert(HOLD.into(), HELD.into());
    assert!(!prepared.should_run(&n.facts()), "a held node is kept off");
    let why = prepared.evaluate(&n.facts());
    assert_eq!(
        why.exclusions
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>(),
        [format!(
            "held by a staged targeting edit (label {HOLD}): released batch by batch"
        )]
    );

    spec.required_terms = parse_affinity("a", "zone In [a] | pool Exists").unwrap();
    let staged = held(&spec, HOLD);
    let terms = staged.required_terms.clone().unwrap();
    assert_eq!(terms.len(), 2);
    assert!(
        terms
            .iter()
            .all(|t| t.match_expressions.iter().any(|r| r.key == HOLD))
    );
    assert_eq!(without_hold(&staged), spec);
    assert_eq!(held(&staged, HOLD), staged, "held twice is held once");
}

#[test]
fn the_hold_label_names_the_daemonset_and_stays_a_valid_label_key() {
    assert_eq!(hold_key("kube-system", "agent"), HOLD);
    let long = "a".repeat(80);
    let (one, two) = (hold_key("ns", &long), hold_key("ns2", &long));
    assert_ne!(one, two);
    for key in [one, two, hold_key("kube-system", "agent")] {
        assert!(
            crate::targeting::validate::validate_label(&key, HELD).is_empty(),
            "{key}"
        );
    }
}

#[test]
fn a_record_survives_its_text_and_a_foreign_one_is_refused() {
    let r = record(Batch::Percent(25), 8, Some("zone"));
    let text = r.encode();
    assert!(text.contains(r#""batch":{"percent":25}"#), "{text}");
    assert!(
        text.contains(r#""state":{"phase":"Progressing"}"#),
        "{text}"
    );
    assert_eq!(StageRecord::decode(&text), Ok(r));
    assert!(matches!(
        StageRecord::decode(&text.replace(r#""version":1"#, r#""version":2"#)),
        Err(StageRecordError::UnknownVersion(Some(2)))
    ));
    assert!(matches!(
        StageRecord::decode(&text.replace(HOLD, "team.example/x")),
        Err(StageRecordError::Invalid(m)) if m.contains("stage.herd.dev/")
    ));
    assert!(matches!(
        StageRecord::decode(&text.replace(r#""total":8"#, r#""total":8,"x":1"#)),
        Err(StageRecordError::Invalid(m)) if m.contains("x")
    ));
}

#[test]
fn batches_are_counts_or_shares_rounded_up() {
    assert_eq!(Batch::parse("5"), Some(Batch::Count(5)));
    assert_eq!(Batch::parse("10%"), Some(Batch::Percent(10)));
    for bad in ["0", "0%", "101%", "-1", "x", ""] {
        assert_eq!(Batch::parse(bad), None, "{bad}");
    }
    assert_eq!(Batch::Percent(10).size(6), 1);
    assert_eq!(Batch::Percent(25).size(6), 2);
    assert_eq!(Batch::Count(4).size(6), 4);
    assert_eq!(record(Batch::Percent(25), 6, None).batches(), 3);
}

#[test]
fn batches_go_out_in_label_order_then_by_name_once_the_last_one_is_available() {
    let (mut fleet, d) = fleet();
    let r = record(Batch::Count(2), 6, Some("zone"));
    let s = step(&fleet, &d, &r, t(100));
    assert_eq!(s.held, 6);
    assert_eq!(s.next, StageNext::Release(vec!["g03".into(), "g04".into()]));

    // Released, no pod yet: wait.
    release(&mut fleet, &["g03", "g04"]);
    let s = step(&fleet, &d, &r, t(100));
    assert_eq!(s.held, 4);
    assert!(matches!(&s.next, StageNext::Wait { coming } if names(coming) == ["g03", "g04"]));

    // Pods up but not Ready yet: still waiting; then Ready: the next batch (zone b).
    let mut starting = pod(&d, "g03", "agent-g03");
    starting.ready = false;
    starting.ready_since = None;
    starting.created = Some(t(95));
    fleet.apply(FleetEvent::Upsert(Record::Pod(starting)));
    fleet.apply(FleetEvent::Upsert(Record::Pod(pod(&d, "g04", "agent-g04"))));
    let s = step(&fleet, &d, &r, t(100));
    assert!(
        matches!(&s.next, StageNext::Wait { coming } if names(coming) == ["g03"]),
        "{s:?}"
    );
    fleet.apply(FleetEvent::Upsert(Record::Pod(pod(&d, "g03", "agent-g03"))));
    assert_eq!(
        step(&fleet, &d, &r, t(100)).next,
        StageNext::Release(vec!["g02".into(), "g06".into()])
    );
    // Zone c, then the node with no zone last; then the end.
    release(&mut fleet, &["g02", "g06"]);
    for n in ["g02", "g06"] {
        fleet.apply(FleetEvent::Upsert(Record::Pod(pod(
            &d,
            n,
            &format!("agent-{n}"),
        ))));
    }
    assert_eq!(
        step(&fleet, &d, &r, t(100)).next,
        StageNext::Release(vec!["g01".into(), "g05".into()])
    );
    release(&mut fleet, &["g01", "g05"]);
    for n in ["g01", "g05"] {
        fleet.apply(FleetEvent::Upsert(Record::Pod(pod(
            &d,
            n,
            &format!("agent-{n}"),
        ))));
    }
    let s = step(&fleet, &d, &r, t(100));
    assert_eq!((s.next, s.held), (StageNext::Complete, 0));
}

#[test]
fn min_ready_seconds_holds_the_next_batch() {
    let (mut fleet, mut d) = fleet();
    d.min_ready_seconds = 30;
    fleet.apply(FleetEvent::Upsert(Record::DaemonSet(d.clone())));
    let r = record(Batch::Count(1), 6, None);
    release(&mut fleet, &["g01"]);
    let mut p = pod(&d, "g01", "agent-g01");
    p.ready_since = Some(t(90));
    fleet.apply(FleetEvent::Upsert(Record::Pod(p)));
    assert!(matches!(
        step(&fleet, &d, &r, t(100)).next,
        StageNext::Wait { .. }
    ));
    assert_eq!(
        step(&fleet, &d, &r, t(121)).next,
        StageNext::Release(vec!["g02".into()])
    );
}

#[test]
fn a_crash_loop_on_a_released_node_halts_it_and_one_from_before_does_not() {
    let (mut fleet, d) = fleet();
    let r = record(Batch::Count(2), 6, None);
    // Before the edit, k01's pod crash-loops on an older template: not the staging's doing.
    let mut old: Pod = pod(&d, "k01", "agent-k01");
    old.template_generation = Some(0);
    crash_loop(&mut old);
    fleet.apply(FleetEvent::Upsert(Record::Pod(old)));
    assert!(matches!(
        step(&fleet, &d, &r, t(1000)).next,
        StageNext::Release(_)
    ));

    release(&mut fleet, &["g01"]);
    let mut new = pod(&d, "g01", "agent-g01");
    crash_loop(&mut new);
    fleet.apply(FleetEvent::Upsert(Record::Pod(new)));
    match step(&fleet, &d, &r, t(1000)).next {
        StageNext::Halt { reason, nodes } => {
            assert_eq!(names(&nodes), ["g01"]);
            assert!(reason.contains("crash loop"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut halted = r.clone();
    halted.state = StageState::Halted {
        reason: "x".into(),
        nodes: vec!["g01".into()],
    };
    assert_eq!(step(&fleet, &d, &halted, t(1000)).next, StageNext::Hold);
}

fn crash_loop(p: &mut Pod) {
    p.ready = false;
    p.ready_since = None;
    p.restarts = 7;
    p.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
    p.last_terminated_reason = Some(Arc::from("Error"));
    p.last_terminated_at = Some(t(900));
}

#[test]
fn a_node_down_is_not_waited_for() {
    let (mut fleet, d) = fleet();
    let r = record(Batch::Count(1), 6, None);
    release(&mut fleet, &["g01"]);
    let mut n = fleet.node("g01").unwrap().clone();
    n.ready.status = crate::model::node::ConditionStatus::Unknown;
    fleet.apply(FleetEvent::Upsert(Record::Node(n)));
    assert_eq!(
        step(&fleet, &d, &r, t(1000)).next,
        StageNext::Release(vec!["g02".into()])
    );
}
