use std::sync::Arc;

use super::*;
use crate::model::resources::Usage;
use crate::model::testkit::{self, NS, ds, fleet_of, node, pod, revision, t};
use crate::model::usage::PodUsage;

fn names(fleet: &Fleet, ids: &[PodId]) -> Vec<String> {
    let mut v: Vec<String> = ids
        .iter()
        .filter_map(|id| fleet.pod(*id))
        .map(|p| p.name.to_string())
        .collect();
    v.sort();
    v
}

fn owned_on(fleet: &Fleet, owner: &str, node: &str) -> Vec<String> {
    names(fleet, fleet.pods_of(owner).map_or(&[], |o| o.on(node)))
}

/// A metrics poll at t(10) in which agent-a used 50 millicores.
fn agent_a_uses_50_millicores() -> FleetEvent {
    FleetEvent::Metrics(MetricsSnapshot {
        stretched: None,
        reach: Default::default(),
        at: t(10),
        pods: vec![PodUsage {
            namespace: NS.into(),
            name: "agent-a".into(),
            usage: Usage {
                cpu_millis: 50,
                memory_bytes: 1024,
            },
        }],
        nodes: vec![],
    })
}

fn delete_pod(name: &str) -> FleetEvent {
    FleetEvent::Delete(RecordKey::Pod {
        namespace: Arc::from(NS),
        name: Arc::from(name),
    })
}

#[test]
fn upserted_pods_are_found_by_owner_node_and_name() {
    let d = ds("agent");
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n2", "agent-b")),
    ]);
    assert_eq!(owned_on(&fleet, "uid-agent", "n1"), ["agent-a"]);
    assert_eq!(owned_on(&fleet, "uid-agent", "n2"), ["agent-b"]);
    assert_eq!(names(&fleet, fleet.pods_on("n1")), ["agent-a"]);
    let id = fleet.pod_id(NS, "agent-b").unwrap();
    assert_eq!(&*fleet.pod(id).unwrap().name, "agent-b");
    assert_eq!(fleet.pod_count(), 2);
}

#[test]
fn a_pod_moving_nodes_or_owners_leaves_no_trace_in_the_old_index() {
    let d = ds("agent");
    let mut fleet = fleet_of([Record::Pod(pod(&d, "n1", "agent-a"))]);
    let mut moved = pod(&d, "n2", "agent-a");
    fleet.apply(FleetEvent::Upsert(Record::Pod(moved.clone())));
    assert!(owned_on(&fleet, "uid-agent", "n1").is_empty());
    assert!(fleet.pods_on("n1").is_empty());
    assert_eq!(owned_on(&fleet, "uid-agent", "n2"), ["agent-a"]);

    moved.owner_uid = Some(Arc::from("uid-other"));
    fleet.apply(FleetEvent::Upsert(Record::Pod(moved)));
    assert!(
        fleet.pods_of("uid-agent").is_none(),
        "empty owners are dropped"
    );
    assert_eq!(owned_on(&fleet, "uid-other", "n2"), ["agent-a"]);
    assert_eq!(fleet.pod_count(), 1);
}

#[test]
fn an_unplaced_pod_is_indexed_once_it_gets_a_target_node() {
    let d = ds("agent");
    let mut p = pod(&d, "n1", "agent-a");
    p.node = None;
    p.bound = false;
    let mut fleet = fleet_of([Record::Pod(p.clone())]);
    assert_eq!(
        names(&fleet, fleet.pods_of("uid-agent").unwrap().unplaced()),
        ["agent-a"]
    );
    p.node = Some(Arc::from("n1"));
    fleet.apply(FleetEvent::Upsert(Record::Pod(p)));
    let owned = fleet.pods_of("uid-agent").unwrap();
    assert!(owned.unplaced().is_empty());
    assert_eq!(owned_on(&fleet, "uid-agent", "n1"), ["agent-a"]);
}

#[test]
fn deleting_a_pod_unindexes_it_and_its_old_id_dangles() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n1", "agent-b")),
    ]);
    let old = fleet.pod_id(NS, "agent-a").unwrap();
    fleet.apply(delete_pod("agent-a"));
    assert_eq!(owned_on(&fleet, "uid-agent", "n1"), ["agent-b"]);
    assert!(fleet.pod(old).is_none());
    fleet.apply(FleetEvent::Upsert(Record::Pod(pod(&d, "n3", "agent-c"))));
    let new = fleet.pod_id(NS, "agent-c").unwrap();
    assert_ne!(old, new, "a reused slot gets a new generation");
    assert!(fleet.pod(old).is_none());
    fleet.apply(delete_pod("never-existed"));
    assert_eq!(fleet.pod_count(), 2);
}

#[test]
fn a_relist_replaces_the_whole_kind_and_keeps_usage_of_pods_that_stay() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n2", "agent-b")),
    ]);
    fleet.apply(agent_a_uses_50_millicores());
    fleet.apply(FleetEvent::Relisted(Relist::Pods(vec![
        pod(&d, "n1", "agent-a"),
        pod(&d, "n3", "agent-c"),
    ])));
    assert_eq!(fleet.pod_count(), 2);
    assert!(fleet.pod_id(NS, "agent-b").is_none());
    assert!(fleet.pods_on("n2").is_empty());
    assert_eq!(owned_on(&fleet, "uid-agent", "n3"), ["agent-c"]);
    let a = fleet.pod_id(NS, "agent-a").unwrap();
    assert_eq!(fleet.usage(a).map(|u| u.cpu_millis), Some(50));
}

#[test]
fn a_relist_sent_in_parts_shows_nothing_until_it_ends_then_equals_one_sent_whole() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n2", "agent-b")),
    ]);
    fleet.apply(agent_a_uses_50_millicores());
    // A re-list that fails part-way leaves a part aside...
    fleet.apply(FleetEvent::PodsRelisting {
        first: true,
        pods: vec![pod(&d, "n9", "agent-stale")],
    });
    // ...which the next re-list's first part drops.
    let generation = fleet.generation();
    for (first, pods) in [
        (true, vec![]),
        (false, vec![pod(&d, "n1", "agent-a")]),
        (
            false,
            vec![pod(&d, "n3", "agent-c"), pod(&d, "n4", "agent-d")],
        ),
    ] {
        fleet.apply(FleetEvent::PodsRelisting { first, pods });
    }
    assert_eq!(fleet.generation(), generation, "readers see no change");
    assert_eq!(fleet.pod_count(), 2);
    assert!(fleet.pod_id(NS, "agent-c").is_none());
    fleet.apply(FleetEvent::Relisted(Relist::Pods(vec![pod(
        &d, "n5", "agent-e",
    )])));

    let mut whole = fleet_of([]);
    whole.apply(FleetEvent::Relisted(Relist::Pods(vec![
        pod(&d, "n1", "agent-a"),
        pod(&d, "n3", "agent-c"),
        pod(&d, "n4", "agent-d"),
        pod(&d, "n5", "agent-e"),
    ])));
    let listed = |f: &Fleet| {
        let mut v: Vec<(String, Option<String>)> = f
            .pods()
            .map(|(_, p)| (p.name.to_string(), p.node.as_deref().map(String::from)))
            .collect();
        v.sort();
        v
    };
    assert_eq!(listed(&fleet), listed(&whole));
    assert!(fleet.pod_id(NS, "agent-stale").is_none());
    assert!(fleet.pod_id(NS, "agent-b").is_none());
    assert_eq!(owned_on(&fleet, "uid-agent", "n3"), ["agent-c"]);
    assert_eq!(names(&fleet, fleet.pods_on("n4")), ["agent-d"]);
    let a = fleet.pod_id(NS, "agent-a").unwrap();
    assert_eq!(
        fleet.usage(a).map(|u| u.cpu_millis),
        Some(50),
        "usage stays"
    );
}

#[test]
fn a_list_that_repeats_a_name_keeps_the_later_object_only() {
    let d = ds("agent");
    let mut fleet = fleet_of([Record::Pod(pod(&d, "n1", "agent-a"))]);
    fleet.apply(FleetEvent::Relisted(Relist::Pods(vec![
        pod(&d, "n1", "agent-a"),
        pod(&d, "n2", "agent-b"),
        pod(&d, "n3", "agent-a"),
    ])));
    assert_eq!(fleet.pod_count(), 2);
    assert!(owned_on(&fleet, "uid-agent", "n1").is_empty());
    assert!(fleet.pods_on("n1").is_empty());
    assert_eq!(owned_on(&fleet, "uid-agent", "n3"), ["agent-a"]);
    let id = fleet.pod_id(NS, "agent-a").unwrap();
    assert_eq!(fleet.pod(id).unwrap().node.as_deref(), Some("n3"));
    assert_eq!(fleet.pods().count(), 2);
}

#[test]
fn relisting_nodes_and_daemon_sets_drops_the_ones_not_listed() {
    let mut fleet = fleet_of([
        Record::Node(node("n1")),
        Record::Node(node("n2")),
        Record::DaemonSet(ds("a")),
        Record::DaemonSet(ds("b")),
    ]);
    fleet.apply(FleetEvent::Relisted(Relist::Nodes(vec![node("n2")])));
    fleet.apply(FleetEvent::Relisted(Relist::DaemonSets(vec![ds("b")])));
    let nodes: Vec<&str> = fleet.nodes().map(|n| &*n.name).collect();
    assert_eq!(nodes, ["n2"]);
    assert!(fleet.daemon_set("uid-a").is_none());
    assert!(fleet.daemon_set_named(NS, "a").is_none());
    assert_eq!(fleet.daemon_set_count(), 1);
}

#[test]
fn daemon_sets_list_by_namespace_and_a_new_uid_under_an_old_name_replaces_it() {
    let mut other = ds("x");
    other.namespace = Arc::from("monitoring");
    let mut fleet = fleet_of([
        Record::DaemonSet(ds("b")),
        Record::DaemonSet(ds("a")),
        Record::DaemonSet(other),
    ]);
    let order: Vec<String> = fleet.daemon_sets().map(|d| d.key()).collect();
    assert_eq!(order, ["kube-system/a", "kube-system/b", "monitoring/x"]);
    let in_ns: Vec<&str> = fleet
        .daemon_sets_in("monitoring")
        .map(|d| &*d.name)
        .collect();
    assert_eq!(in_ns, ["x"]);

    let mut recreated = ds("a");
    recreated.uid = Arc::from("uid-a-2");
    fleet.apply(FleetEvent::Upsert(Record::DaemonSet(recreated)));
    assert!(fleet.daemon_set("uid-a").is_none());
    assert_eq!(&*fleet.daemon_set_named(NS, "a").unwrap().uid, "uid-a-2");
    fleet.apply(FleetEvent::Delete(RecordKey::DaemonSet {
        uid: Arc::from("uid-a-2"),
    }));
    assert!(fleet.daemon_set_named(NS, "a").is_none());
    assert_eq!(fleet.daemon_set_count(), 2);
}

#[test]
fn current_hash_is_the_highest_revision_unless_the_object_names_one() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::DaemonSet(d.clone()),
        Record::Revision(revision(&d, 3, "h3")),
        Record::Revision(revision(&d, 1, "h1")),
    ]);
    let hash = |f: &Fleet| {
        f.current_hash(f.daemon_set("uid-agent").unwrap())
            .map(String::from)
    };
    assert_eq!(hash(&fleet).as_deref(), Some("h3"));
    // A rollback renumbers the old revision (docs/SEMANTICS.md#controllerrevisions): same uid,
    // higher number.
    fleet.apply(FleetEvent::Upsert(Record::Revision(revision(&d, 4, "h1"))));
    assert_eq!(hash(&fleet).as_deref(), Some("h1"));
    let revs: Vec<i64> = fleet
        .revisions_of("uid-agent")
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(revs, [3, 4]);
    let mut kruise = d.clone();
    kruise.current_hash = Some(Arc::from("h9"));
    fleet.apply(FleetEvent::Upsert(Record::DaemonSet(kruise)));
    assert_eq!(hash(&fleet).as_deref(), Some("h9"));
}

#[test]
fn repeated_strings_are_stored_once() {
    let d = ds("agent");
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(pod(&d, "n1", "agent-b")),
    ]);
    let a = fleet.pod(fleet.pod_id(NS, "agent-a").unwrap()).unwrap();
    let b = fleet.pod(fleet.pod_id(NS, "agent-b").unwrap()).unwrap();
    let n1 = fleet.node("n1").unwrap();
    assert!(Arc::ptr_eq(
        a.node.as_ref().unwrap(),
        b.node.as_ref().unwrap()
    ));
    assert!(Arc::ptr_eq(a.node.as_ref().unwrap(), &n1.name));
    assert!(Arc::ptr_eq(
        a.owner_uid.as_ref().unwrap(),
        &fleet.daemon_set("uid-agent").unwrap().uid
    ));
    assert!(Arc::ptr_eq(&a.containers, &b.containers));
}

#[test]
fn record_sizes_stay_small() {
    use std::mem::size_of;
    let sizes = [
        ("Pod", size_of::<crate::model::Pod>()),
        ("Node", size_of::<crate::model::Node>()),
        ("DaemonSet", size_of::<crate::model::DaemonSet>()),
        (
            "ControllerRevision",
            size_of::<crate::model::ControllerRevision>(),
        ),
        (
            "UsageHistory",
            size_of::<crate::model::usage::UsageHistory>(),
        ),
        ("PodSet", size_of::<PodSet>()),
    ];
    println!("{sizes:?}");
    // 150,000 pods must fit the 300 MB budget with room for indexes and usage.
    assert!(sizes[0].1 <= 320, "Pod grew to {} bytes", sizes[0].1);
    assert!(
        sizes[4].1 <= 160,
        "UsageHistory grew to {} bytes",
        sizes[4].1
    );
    let _ = testkit::GIB;
}

/// Random upserts, moves, deletes and re-lists: the incremental indexes always equal the ones
/// computed from scratch over the surviving pods.
#[test]
fn incremental_indexes_match_a_rebuild_after_random_events() {
    use std::collections::BTreeMap;
    use testkit::Rng;
    let owners = [ds("a"), ds("b"), ds("c")];
    let nodes = ["n0", "n1", "n2", "n3"];
    for seed in 0..40 {
        let mut rng = Rng::new(seed);
        let mut fleet = Fleet::new();
        let mut truth: BTreeMap<String, Pod> = BTreeMap::new();
        for _ in 0..300 {
            let name = format!("p{}", rng.below(25));
            match rng.below(10) {
                0..=5 => {
                    let node = *rng.pick(&nodes[..]);
                    let mut p = pod(rng.pick(&owners), node, &name);
                    if rng.chance(15) {
                        p.node = None;
                    }
                    if rng.chance(10) {
                        p.owner_uid = None;
                    }
                    truth.insert(name, p.clone());
                    fleet.apply(FleetEvent::Upsert(Record::Pod(p)));
                }
                6..=8 => {
                    truth.remove(&name);
                    fleet.apply(delete_pod(&name));
                }
                _ => {
                    truth.retain(|_, _| rng.chance(70));
                    let list = truth.values().cloned().collect();
                    fleet.apply(FleetEvent::Relisted(Relist::Pods(list)));
                }
            }
        }
        assert_eq!(fleet.pod_count(), truth.len(), "seed {seed}");
        for owner in &owners {
            for node in nodes {
                let expected: Vec<String> = truth
                    .values()
                    .filter(|p| p.owner_uid.as_deref() == Some(&*owner.uid))
                    .filter(|p| p.node.as_deref() == Some(node))
                    .map(|p| p.name.to_string())
                    .collect();
                assert_eq!(owned_on(&fleet, &owner.uid, node), expected, "seed {seed}");
            }
            let unplaced: Vec<String> = truth
                .values()
                .filter(|p| p.owner_uid.as_deref() == Some(&*owner.uid) && p.node.is_none())
                .map(|p| p.name.to_string())
                .collect();
            let got = fleet
                .pods_of(&owner.uid)
                .map_or(vec![], |o| names(&fleet, o.unplaced()));
            assert_eq!(got, unplaced, "seed {seed}");
        }
        for node in nodes {
            let expected: Vec<String> = truth
                .values()
                .filter(|p| p.node.as_deref() == Some(node))
                .map(|p| p.name.to_string())
                .collect();
            assert_eq!(names(&fleet, fleet.pods_on(node)), expected, "seed {seed}");
        }
        for (name, p) in &truth {
            let id = fleet.pod_id(NS, name).unwrap();
            assert_eq!(fleet.pod(id), Some(p), "seed {seed}");
        }
    }
}

/// The unready and cordoned counts the header shows are kept per event, not walked: after
/// random upserts (nodes changing state), deletes and re-lists they equal a walk of the nodes.
#[test]
fn the_node_tally_kept_per_event_equals_a_walk_of_the_nodes() {
    use crate::model::node::{ConditionStatus, NodeTally};
    use testkit::Rng;
    let statuses = [
        ConditionStatus::True,
        ConditionStatus::False,
        ConditionStatus::Unknown,
    ];
    for seed in 0..40 {
        let mut rng = Rng::new(seed);
        let mut fleet = Fleet::new();
        for _ in 0..200 {
            let name = format!("n{}", rng.below(12));
            match rng.below(10) {
                0..=6 => {
                    let mut n = node(&name);
                    n.ready.status = *rng.pick(&statuses);
                    n.unschedulable = rng.chance(30);
                    fleet.apply(FleetEvent::Upsert(Record::Node(n)));
                }
                7..=8 => fleet.apply(FleetEvent::Delete(RecordKey::Node {
                    name: Arc::from(name.as_str()),
                })),
                _ => {
                    let kept: Vec<Node> =
                        fleet.nodes().filter(|_| rng.chance(70)).cloned().collect();
                    fleet.apply(FleetEvent::Relisted(Relist::Nodes(kept)));
                }
            }
            assert_eq!(
                fleet.node_tally(),
                NodeTally::of(fleet.nodes()),
                "seed {seed}"
            );
        }
    }
    let mut unknown = node("u");
    unknown.ready.status = ConditionStatus::Unknown;
    unknown.unschedulable = true;
    let mut not_ready = node("f");
    not_ready.ready.status = ConditionStatus::False;
    let fleet = fleet_of([
        Record::Node(unknown),
        Record::Node(not_ready),
        Record::Node(node("ok")),
    ]);
    let want = NodeTally {
        not_ready: 1,
        unknown: 1,
        cordoned: 1,
    };
    assert_eq!(fleet.node_tally(), want, "Unknown is not NotReady");
}
