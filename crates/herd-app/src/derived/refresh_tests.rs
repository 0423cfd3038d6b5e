//! The incremental refresh must land exactly where a full pass lands, after any event.

use std::sync::Arc;

use super::Derived;
use herd_core::analysis::thresholds::Thresholds;
use herd_core::model::fleet::{Fleet, FleetEvent, Record, RecordKey};
use herd_core::model::pod::{ContainerResources, Pod, PodPhase};
use herd_core::model::resources::Resources;
use herd_core::model::synthetic::{self, Shape};
use herd_core::model::testkit::{Rng, revision, t};

fn small_fleet() -> Fleet {
    let shape = Shape {
        nodes: 40,
        daemon_sets: 6,
        other_pods: 20,
    };
    let mut fleet = Fleet::new();
    for record in synthetic::fleet(shape, t(0)) {
        fleet.apply(FleetEvent::Upsert(record));
    }
    let metrics = synthetic::metrics(&fleet, t(5));
    fleet.apply(FleetEvent::Metrics(metrics));
    fleet
}

/// Applies `event`, refreshes `derived` with what it changed, and checks it against a full
/// pass over the same fleet at the same clock.
fn step(fleet: &mut Fleet, derived: &mut Derived, event: FleetEvent, what: &str) {
    burst(fleet, derived, vec![event], what);
}

/// Like [`step`] for several events coalesced into one refresh, as the runtime does.
fn burst(fleet: &mut Fleet, derived: &mut Derived, events: Vec<FleetEvent>, what: &str) {
    for event in events {
        fleet.apply(event);
    }
    let changes = fleet.take_changes();
    let thresholds = Thresholds::default();
    derived.refresh(fleet, &thresholds, t(60), &changes);
    let full = Derived::compute(fleet, &thresholds, t(60));
    assert!(
        *derived == full,
        "after {what} ({changes:?}) the refreshed figures differ from a full pass:\nrows {:?}\nvs   {:?}",
        derived.fleet_rows,
        full.fleet_rows
    );
}

fn pods(fleet: &Fleet) -> Vec<Pod> {
    fleet.pods().map(|(_, p)| p.clone()).collect()
}

#[test]
fn refreshing_after_each_kind_of_event_equals_a_full_pass() {
    let mut fleet = small_fleet();
    fleet.take_changes();
    let mut derived = Derived::compute(&fleet, &Thresholds::default(), t(60));
    let all = pods(&fleet);
    let daemon_pod = all
        .iter()
        .find(|p| p.owner_uid.as_deref() == Some("uid-ds-02"));
    let mut flipped = daemon_pod.expect("a pod of daemon-02").clone();
    flipped.ready = false;
    flipped.phase = PodPhase::Pending;
    let event = FleetEvent::Upsert(Record::Pod(flipped.clone()));
    step(&mut fleet, &mut derived, event, "a pod turning unready");
    let event = FleetEvent::Upsert(Record::Pod(flipped.clone()));
    step(&mut fleet, &mut derived, event, "the same pod again");
    let event = FleetEvent::Delete(RecordKey::Pod {
        namespace: Arc::clone(&flipped.namespace),
        name: Arc::clone(&flipped.name),
    });
    step(&mut fleet, &mut derived, event, "a pod deleted");
    let mut extra = flipped.clone();
    extra.name = Arc::from("daemon-02-extra");
    extra.uid = Arc::from("uid-extra");
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Upsert(Record::Pod(extra)),
        "a pod added",
    );

    let ds = fleet.daemon_set("uid-ds-03").expect("daemon-03").clone();
    let event = FleetEvent::Upsert(Record::Revision(revision(&ds, 3, "newhash")));
    step(&mut fleet, &mut derived, event, "a new revision");
    let mut rolled = ds.clone();
    rolled.current_hash = Some(Arc::from("newhash"));
    rolled.status.updated = 0;
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Upsert(Record::DaemonSet(rolled)),
        "a DaemonSet status change",
    );

    let other = all
        .iter()
        .find(|p| p.name.starts_with("web-"))
        .expect("a web pod");
    let mut other = other.clone();
    other.ready = !other.ready;
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Upsert(Record::Pod(other)),
        "another controller's pod",
    );

    let metrics = synthetic::metrics(&fleet, t(30));
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Metrics(metrics),
        "a metrics poll",
    );

    let daemon_pod = pods(&fleet)
        .into_iter()
        .find(|p| p.owner_uid.as_deref() == Some("uid-ds-04"))
        .expect("a pod of daemon-04");
    let node_name = daemon_pod.node.clone().expect("a placed pod");
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Upsert(Record::Pod(unbounded(daemon_pod))),
        "a pod without limits",
    );
    let metrics = synthetic::metrics(&fleet, t(40));
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Metrics(metrics),
        "a metrics poll rating it against its node",
    );
    let mut node = fleet.node(&node_name).expect("its node").clone();
    node.allocatable.cpu_millis /= 8;
    node.allocatable.memory_bytes /= 8;
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Upsert(Record::Node(node)),
        "its node's allocatable shrinking",
    );

    let mut node = fleet.nodes().next().expect("a node").clone();
    node.unschedulable = true;
    step(
        &mut fleet,
        &mut derived,
        FleetEvent::Upsert(Record::Node(node)),
        "a cordon",
    );
    let event = FleetEvent::Delete(RecordKey::DaemonSet {
        uid: Arc::from("uid-ds-01"),
    });
    step(&mut fleet, &mut derived, event, "a DaemonSet deleted");
}

#[test]
fn a_random_run_of_pod_changes_stays_equal_to_full_passes() {
    let mut fleet = small_fleet();
    fleet.take_changes();
    let mut derived = Derived::compute(&fleet, &Thresholds::default(), t(60));
    let mut rng = Rng::new(7);
    for i in 0..150u64 {
        // Bursts of one to three events, metrics polls among them, as the runtime coalesces.
        let events = (0..1 + rng.below(3))
            .map(|k| random_event(&fleet, &mut rng, i * 3 + k))
            .collect();
        burst(
            &mut fleet,
            &mut derived,
            events,
            &format!("random step {i}"),
        );
    }
}

/// `pod` with every limit dropped: its ceilings become its node's allocatable.
fn unbounded(mut pod: Pod) -> Pod {
    pod.containers = pod
        .containers
        .iter()
        .map(|c| ContainerResources {
            limits: Resources::default(),
            ..c.clone()
        })
        .collect();
    pod
}

fn random_event(fleet: &Fleet, rng: &mut Rng, i: u64) -> FleetEvent {
    let all = pods(fleet);
    let mut pod = rng.pick(&all).clone();
    match rng.below(7) {
        0 => FleetEvent::Delete(RecordKey::Pod {
            namespace: Arc::clone(&pod.namespace),
            name: Arc::clone(&pod.name),
        }),
        1 => {
            pod.name = Arc::from(format!("{}-r{i}", pod.name).as_str());
            pod.uid = Arc::from(format!("uid-r{i}").as_str());
            pod.ready = false;
            FleetEvent::Upsert(Record::Pod(pod))
        }
        2 => {
            pod.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
            pod.ready = false;
            FleetEvent::Upsert(Record::Pod(pod))
        }
        3 => {
            pod.revision_hash = Some(Arc::from("other"));
            FleetEvent::Upsert(Record::Pod(pod))
        }
        4 => FleetEvent::Metrics(synthetic::metrics(fleet, t(100 + i as i64))),
        5 => FleetEvent::Upsert(Record::Pod(unbounded(pod))),
        _ => {
            pod.ready = !pod.ready;
            FleetEvent::Upsert(Record::Pod(pod))
        }
    }
}

#[test]
fn verdicts_move_with_the_clock_alone() {
    use herd_core::analysis::verdict::Verdict;
    use herd_core::model::testkit::{ds, fleet_of, node};
    // A node with no pod yet: within the grace it is a rollout in progress, after it a gap,
    // although no event arrives in between.
    let mut fleet = fleet_of([Record::Node(node("n1")), Record::DaemonSet(ds("agent"))]);
    fleet.take_changes();
    let thresholds = Thresholds::default();
    let mut derived = Derived::compute(&fleet, &thresholds, t(10));
    assert_eq!(derived.fleet_rows[0].gaps, 0);
    assert_eq!(
        derived.coverage.daemon_sets[0].rows[0].verdict,
        Verdict::Rolling
    );

    assert!(!derived.verdicts_due(t(15)), "judged 5 s ago");
    assert!(derived.verdicts_due(t(100)));
    let nothing = fleet.take_changes();
    derived.refresh(&fleet, &thresholds, t(100), &nothing);
    assert_eq!(
        derived.coverage.daemon_sets[0].rows[0].verdict,
        Verdict::Missing
    );
    assert_eq!(derived.fleet_rows[0].gaps, 1);
    assert_eq!(derived, Derived::compute(&fleet, &thresholds, t(100)));
}
