//! herd's watches and metrics polling against the simulator: the Fleet they fill matches the
//! cluster, follows changes, re-lists to the same state after the server compacts and drops
//! watches, and carries the node and pod usage the metrics API serves.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herd_cluster::connect::{ConnectOptions, connect};
use herd_cluster::metrics::{MetricsApis, poll, poll_focus, spawn_metrics};
use herd_cluster::watch::{Feed, Scope, spawn_watches};
use herd_core::model::feed::FeedKind;
use herd_core::model::fleet::{Fleet, FleetEvent, Relist};
use herd_core::model::usage::{MetricsSnapshot, MetricsState, NodeFocus, UsageFocus, UsageReach};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tokio::sync::mpsc;

use common::server::{TestSim, eventually};

/// A Fleet kept up to date from herd's watches, plus how many relists it has seen.
struct Mirror {
    fleet: Arc<Mutex<Fleet>>,
    relists: Arc<AtomicUsize>,
    troubles: Arc<AtomicUsize>,
    /// What each trouble said.
    said: Arc<Mutex<Vec<String>>>,
}

async fn herd_client(sim: &TestSim) -> Client {
    connect(&ConnectOptions {
        kubeconfig: Some(sim.kubeconfig.clone()),
        context: None,
        compression: herd_cluster::connect::Compression::Auto,
    })
    .await
    .expect("client from the simulator's kubeconfig")
}

impl Mirror {
    async fn start(sim: &TestSim) -> Mirror {
        Mirror::start_with(sim, None).await
    }

    /// Also polls metrics every `metrics` when given.
    async fn start_with(sim: &TestSim, metrics: Option<Duration>) -> Mirror {
        let client = herd_client(sim).await;
        let (tx, mut rx) = mpsc::channel(1024);
        let (_, pods_listed) = spawn_watches(&client, &Scope::default(), &tx);
        if let Some(every) = metrics {
            let (_, no_focus) = tokio::sync::watch::channel(Default::default());
            spawn_metrics(
                &client,
                &Scope::default(),
                every,
                &tx,
                pods_listed,
                no_focus,
            );
        }
        let fleet = Arc::new(Mutex::new(Fleet::new()));
        let relists = Arc::new(AtomicUsize::new(0));
        let troubles = Arc::new(AtomicUsize::new(0));
        let said = Arc::new(Mutex::new(Vec::new()));
        let (f, r, t, s) = (
            Arc::clone(&fleet),
            Arc::clone(&relists),
            Arc::clone(&troubles),
            Arc::clone(&said),
        );
        tokio::spawn(async move {
            while let Some(feed) = rx.recv().await {
                match feed {
                    Feed::Event(event) => {
                        if matches!(event, FleetEvent::Relisted(_)) {
                            r.fetch_add(1, Ordering::SeqCst);
                        }
                        f.lock().expect("fleet").apply(event);
                    }
                    Feed::Trouble { message, .. } => {
                        s.lock().expect("said").push(message);
                        t.fetch_add(1, Ordering::SeqCst);
                    }
                    Feed::Recovered { .. } | Feed::Relisting { .. } => {}
                }
            }
        });
        Mirror {
            fleet,
            relists,
            troubles,
            said,
        }
    }

    /// Waits until every kind has been listed once; returns the relists so far.
    async fn relisted_every_kind(&self) -> usize {
        eventually("one relist per kind", || async {
            let n = self.relists.load(Ordering::SeqCst);
            (n >= 4).then_some(n)
        })
        .await
    }

    fn counts(&self) -> (usize, usize, usize) {
        let fleet = self.fleet.lock().expect("fleet");
        (
            fleet.nodes().len(),
            fleet.pod_count(),
            fleet.daemon_set_count(),
        )
    }
}

fn world_counts(sim: &TestSim) -> (usize, usize, usize) {
    let world = sim.handle.world.lock();
    (
        world.store.table::<Node>().len(),
        world.store.table::<Pod>().len(),
        world.store.table::<DaemonSet>().len(),
    )
}

async fn frozen_demo() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await
}

async fn until_in_sync(sim: &TestSim, mirror: &Mirror, what: &str) -> (usize, usize, usize) {
    eventually(what, || async {
        let want = world_counts(sim);
        (mirror.counts() == want).then_some(want)
    })
    .await
}

#[tokio::test]
async fn watched_fleet_matches_the_cluster_and_follows_changes() {
    let sim = frozen_demo().await;
    let mirror = Mirror::start(&sim).await;
    let (nodes, pods, daemon_sets) = until_in_sync(&sim, &mirror, "the initial lists").await;
    assert!(
        nodes > 10 && pods > 10 && daemon_sets > 3,
        "demo is not empty"
    );

    let api: Api<Pod> = Api::namespaced(sim.client().await, "default");
    let pod = serde_json::from_value(json!({
        "metadata": {"name": "watched"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    }))
    .expect("pod json");
    api.create(&PostParams::default(), &pod)
        .await
        .expect("create");
    eventually("the new pod in the fleet", || async {
        let fleet = mirror.fleet.lock().expect("fleet");
        fleet.pod_id("default", "watched").map(|_| ())
    })
    .await;

    api.delete("watched", &DeleteParams::background().grace_period(0))
        .await
        .expect("delete");
    eventually("the pod gone from the fleet", || async {
        let fleet = mirror.fleet.lock().expect("fleet");
        fleet.pod_id("default", "watched").is_none().then_some(())
    })
    .await;
}

#[tokio::test]
async fn fleet_relists_to_the_same_state_after_compaction_and_dropped_watches() {
    let sim = frozen_demo().await;
    let mirror = Mirror::start(&sim).await;
    let before = until_in_sync(&sim, &mirror, "the initial lists").await;
    let first_relists = mirror.relisted_every_kind().await;

    // Hold the watches off (every resume fails) while a pod is removed behind their back and
    // the history compacted away, so resuming gets 410 and each kind must re-list.
    hold_the_watches_off(&sim, &mirror).await;
    let gone = delete_a_pod_in_the_world(&sim);
    sim.faults(json!({"compact": true, "dropWatches": true, "failRate": 0.0}))
        .await;
    eventually("every kind re-listed", || async {
        (mirror.relists.load(Ordering::SeqCst) >= first_relists + 4).then_some(())
    })
    .await;
    let after = until_in_sync(&sim, &mirror, "the fleet after the relist").await;
    assert_eq!((before.0, before.2), (after.0, after.2));
    let fleet = mirror.fleet.lock().expect("fleet");
    assert!(
        fleet.pod_id(&gone.0, &gone.1).is_none(),
        "pod deleted during the outage still in the fleet"
    );
    let world = sim.handle.world.lock();
    for pod in world.store.table::<Pod>().values() {
        let (ns, name) = (
            pod.metadata.namespace.as_deref(),
            pod.metadata.name.as_deref(),
        );
        assert!(
            fleet.pod_id(ns.unwrap_or(""), name.unwrap_or("")).is_some(),
            "pod {ns:?}/{name:?} missing from the fleet"
        );
    }
}

#[tokio::test]
async fn each_kind_is_listed_in_one_request_however_many_objects() {
    // Application pods besides the daemons: more pods than any page size a client would ask.
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
        o.nodes = Some(120);
        o.app_pods_per_node = 10;
    })
    .await;
    let client = herd_client(&sim).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let scope = Scope {
        pods: herd_core::model::others::PodScope::All,
        ..Scope::default()
    };
    let _watches = spawn_watches(&client, &scope, &tx);
    let mut listed = std::collections::HashMap::new();
    // Pods come in parts while the list streams in, the rest with the `Relisted`.
    let (mut parts, mut pods_in_parts) = (0, 0);
    while listed.len() < 4 {
        let event = match rx.recv().await {
            Some(Feed::Event(event)) => event,
            Some(_) => continue,
            None => panic!("the watches stopped"),
        };
        let (kind, n) = match event {
            FleetEvent::PodsRelisting { pods, .. } => {
                parts += 1;
                pods_in_parts += pods.len();
                continue;
            }
            FleetEvent::Relisted(Relist::Nodes(all)) => ("nodes", all.len()),
            FleetEvent::Relisted(Relist::Pods(rest)) => ("pods", pods_in_parts + rest.len()),
            FleetEvent::Relisted(Relist::DaemonSets(all)) => ("daemonsets.apps", all.len()),
            FleetEvent::Relisted(Relist::Revisions(all)) => ("controllerrevisions.apps", all.len()),
            _ => continue,
        };
        listed.insert(kind, n);
    }
    assert_eq!(listed["pods"], world_counts(&sim).1);
    assert!(listed["pods"] > 1_500, "{listed:?}");
    // An empty first part, then one per 2,000 pods.
    assert_eq!(parts, 1 + listed["pods"] / 2_000, "{listed:?}");
    let report = sim.handle.counters.report();
    for (kind, n) in &listed {
        let lists: u64 = report
            .by_verb_and_resource
            .iter()
            .filter(|e| e.verb == "list" && e.resource == *kind)
            .map(|e| e.requests)
            .sum();
        assert_eq!(lists, 1, "{kind}: {n} objects in {lists} list requests");
    }
}

/// Ends the watches and fails every request, until each kind has failed to resume.
async fn hold_the_watches_off(sim: &TestSim, mirror: &Mirror) {
    sim.faults(json!({"failRate": 1.0, "dropWatches": true}))
        .await;
    eventually("the resume attempts failing", || async {
        (mirror.troubles.load(Ordering::SeqCst) >= 4).then_some(())
    })
    .await;
}

/// Removes one pod from the world behind the watches' back; returns its namespace and name.
fn delete_a_pod_in_the_world(sim: &TestSim) -> (String, String) {
    let mut world = sim.handle.world.lock();
    let key = world.store.table::<Pod>().values().next().map(|p| {
        (
            p.metadata.namespace.clone().unwrap_or_default(),
            p.metadata.name.clone().unwrap_or_default(),
        )
    });
    let (ns, name) = key.expect("demo has pods");
    world
        .store
        .delete::<Pod>(&ns, &name, None, None)
        .expect("delete in the world");
    (ns, name)
}

#[tokio::test]
async fn a_list_that_breaks_off_changes_nothing_and_is_listed_again_whole() {
    let sim = frozen_demo().await;
    let mirror = Mirror::start(&sim).await;
    let before = until_in_sync(&sim, &mirror, "the initial lists").await;
    assert!(
        before.1 > 256,
        "more pods than one chunk of a list: {before:?}"
    );
    let first_relists = mirror.relisted_every_kind().await;

    // With the watches held off, a pod goes behind their back and the history is compacted
    // away, so every kind must re-list; and every list body now breaks off mid-way.
    hold_the_watches_off(&sim, &mirror).await;
    let gone = delete_a_pod_in_the_world(&sim);
    sim.faults(json!({"cutLists": true, "compact": true, "dropWatches": true, "failRate": 0.0}))
        .await;
    eventually("every kind's re-list breaking off", || async {
        let said = mirror.said.lock().expect("said");
        let broke = said
            .iter()
            .filter(|s| s.starts_with("the list broke off after"));
        (broke.count() >= 4).then_some(())
    })
    .await;
    // Nothing of the broken lists reached the fleet: it is still the whole fleet it was.
    assert_eq!(mirror.relists.load(Ordering::SeqCst), first_relists);
    assert_eq!(mirror.counts(), before);
    assert!(
        mirror
            .fleet
            .lock()
            .expect("fleet")
            .pod_id(&gone.0, &gone.1)
            .is_some(),
        "the stale fleet stays as it was until a list succeeds"
    );

    sim.faults(json!({"cutLists": false})).await;
    eventually("every kind re-listed", || async {
        (mirror.relists.load(Ordering::SeqCst) >= first_relists + 4).then_some(())
    })
    .await;
    until_in_sync(&sim, &mirror, "the fleet after the lists work again").await;
    let fleet = mirror.fleet.lock().expect("fleet");
    assert!(fleet.pod_id(&gone.0, &gone.1).is_none());
}

#[tokio::test]
async fn node_usage_arrives_from_the_metrics_api_as_a_share_of_allocatable() {
    let sim = frozen_demo().await;
    let mirror = Mirror::start_with(&sim, Some(Duration::from_millis(200))).await;
    until_in_sync(&sim, &mirror, "the initial lists").await;
    // The clock is frozen, so the simulator's usage model gives the served values exactly.
    let served: Vec<(String, Option<herd_sim::metrics::Usage>)> = {
        let world = sim.handle.world.lock();
        world
            .store
            .table::<Node>()
            .values()
            .map(|n| {
                let name = n.metadata.name.clone().unwrap_or_default();
                (name, herd_sim::metrics::node_usage(&world, n))
            })
            .collect()
    };
    assert!(
        served.iter().filter(|(_, u)| u.is_some()).count() > 10,
        "the demo's kubelets report usage"
    );
    // A poll that lands before the pod list carries usage for pods the fleet does not know
    // yet (dropped: the lists lead), so wait for one that finds both.
    eventually("node and pod usage in the fleet", || async {
        let fleet = mirror.fleet.lock().expect("fleet");
        let nodes = served
            .iter()
            .all(|(name, want)| fleet.node_usage(name).is_some() == want.is_some());
        let pods = fleet.pods().any(|(id, _)| fleet.usage(id).is_some());
        (nodes && pods).then_some(())
    })
    .await;
    let fleet = mirror.fleet.lock().expect("fleet");
    for (name, want) in &served {
        let Some(want) = want else {
            assert_eq!(fleet.node_load(name), None, "{name} reports nothing");
            continue;
        };
        let load = fleet.node_load(name).expect("load of a reporting node");
        assert_eq!(load.usage.cpu_millis as u64, want.cpu_millis, "{name}");
        // Served in KiB, as metrics-server does.
        assert_eq!(
            load.usage.memory_bytes as u64,
            want.memory_bytes / 1024 * 1024,
            "{name}"
        );
        let alloc = fleet.node(name).expect("node").allocatable;
        let share = load.cpu_share.expect("allocatable cpu");
        assert!((share - want.cpu_millis as f64 / alloc.cpu_millis as f64).abs() < 1e-9);
        assert!(share > 0.0 && share < 1.0, "{name}: {share}");
    }
}

#[tokio::test]
async fn an_unavailable_metrics_api_is_a_state_not_an_error() {
    let sim = frozen_demo().await;
    let client = sim.client_without_retry().await;
    let mut apis = MetricsApis::new(&client, &Scope::default(), Duration::from_secs(15));
    let feeds = poll(&mut apis).await;
    assert!(
        matches!(feeds.as_slice(), [Feed::Event(FleetEvent::Metrics(s))] if !s.nodes.is_empty()),
        "a healthy poll: {feeds:?}"
    );
    // An aggregated API whose backend is down answers 503 to everything.
    sim.faults(json!({"failRate": 1.0, "failCode": 503})).await;
    let feeds = poll(&mut apis).await;
    let [Feed::Event(event)] = feeds.as_slice() else {
        panic!("one event, no trouble: {feeds:?}");
    };
    let mut fleet = Fleet::new();
    fleet.apply(event.clone());
    assert!(
        matches!(fleet.metrics(), MetricsState::Unavailable { reason, .. } if reason.contains("503")),
        "{:?}",
        fleet.metrics()
    );
}

/// Usage of pods the fleet does not know yet cannot be applied, and at 150,000 pods an early
/// poll competes with the pod list itself: polling waits until the pods are listed.
#[tokio::test]
async fn metrics_are_read_only_once_the_pods_are_listed() {
    let sim = frozen_demo().await;
    // Nothing lists while every request fails.
    sim.faults(json!({"failRate": 1.0, "failCode": 500})).await;
    let client = herd_client(&sim).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let (_watches, pods_listed) = spawn_watches(&client, &Scope::default(), &tx);
    let hour = Duration::from_secs(3600);
    let (_, no_focus) = tokio::sync::watch::channel(Default::default());
    let _metrics = spawn_metrics(&client, &Scope::default(), hour, &tx, pods_listed, no_focus);
    let from_metrics = |feed: &Feed| match feed {
        Feed::Event(FleetEvent::Metrics(_) | FleetEvent::MetricsUnavailable { .. }) => true,
        Feed::Trouble { kind, .. } => !kind.is_watch(),
        _ => false,
    };
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(feed)) = tokio::time::timeout_at(quiet_until, rx.recv()).await {
        assert!(
            !from_metrics(&feed),
            "metrics polled before any pod list: {feed:?}"
        );
    }
    sim.faults(json!({"failRate": 0.0})).await;
    let mut pods_seen = false;
    let first_poll = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let feed = rx.recv().await.expect("feeds run");
            if let Feed::Event(FleetEvent::Relisted(herd_core::model::fleet::Relist::Pods(_))) =
                &feed
            {
                pods_seen = true;
            }
            if from_metrics(&feed) {
                return feed;
            }
        }
    })
    .await
    .expect("a metrics poll once the pods are listed");
    assert!(pods_seen, "the pods came first");
    let Feed::Event(FleetEvent::Metrics(snapshot)) = first_poll else {
        panic!("usage, not trouble: {first_poll:?}");
    };
    assert!(!snapshot.pods.is_empty(), "usage of the demo's pods");
}

/// The demo's DaemonSet `name` as (namespace, pod selector) and the names of its pods.
async fn daemon_set_and_pods(client: &Client, name: &str) -> ((String, String), Vec<String>) {
    let all: Api<DaemonSet> = Api::all(client.clone());
    let ds = all
        .list(&Default::default())
        .await
        .expect("DaemonSets")
        .items
        .into_iter()
        .find(|d| d.metadata.name.as_deref() == Some(name))
        .expect("the DaemonSet");
    let namespace = ds.metadata.namespace.clone().expect("namespace");
    let labels = ds.spec.selector.match_labels.expect("labels");
    let selector: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let selector = selector.join(",");
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let mut names: Vec<String> = pods
        .list(&kube::api::ListParams::default().labels(&selector))
        .await
        .expect("pods")
        .items
        .into_iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter_map(|p| p.metadata.name)
        .collect();
    names.sort();
    ((namespace, selector), names)
}

fn pod_names(snapshot: &MetricsSnapshot) -> Vec<String> {
    let mut names: Vec<String> = snapshot.pods.iter().map(|p| p.name.clone()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_focus_poll_reads_only_the_usage_the_screen_shows() {
    let sim = frozen_demo().await;
    let client = herd_client(&sim).await;
    let mut apis = MetricsApis::new(&client, &Scope::default(), Duration::from_secs(15));
    let fleet = poll(&mut apis).await;
    let [Feed::Event(FleetEvent::Metrics(fleet))] = fleet.as_slice() else {
        panic!("one fleet-wide snapshot: {fleet:?}");
    };
    assert_eq!(fleet.reach, UsageReach::Fleet);
    assert_eq!(fleet.stretched, None, "the demo is small: polled as asked");
    let ((namespace, selector), running) = daemon_set_and_pods(&client, "node-exporter").await;
    assert!(!running.is_empty());

    // A DaemonSet page: its pods, by its selector, and no other pod.
    let focus = UsageFocus {
        daemon_set: Some((namespace.clone(), selector)),
        ..UsageFocus::default()
    };
    let feeds = poll_focus(&apis, &focus).await;
    let [Feed::Event(FleetEvent::Metrics(read))] = feeds.as_slice() else {
        panic!("one focus snapshot: {feeds:?}");
    };
    assert_eq!(read.reach, UsageReach::Focus);
    assert_eq!(pod_names(read), running);
    assert!(read.nodes.is_empty());
    assert!(read.pods.len() < fleet.pods.len());

    // A node page: the node and its pods by name; a pod metrics-server does not know (just
    // created, or gone) has no usage yet and is no trouble.
    let node = fleet.nodes[0].name.clone();
    let focus = UsageFocus {
        pods: vec![
            (namespace.clone(), running[0].clone()),
            (namespace.clone(), "no-such-pod".into()),
        ],
        nodes: NodeFocus::One(node.clone()),
        ..UsageFocus::default()
    };
    let feeds = poll_focus(&apis, &focus).await;
    let [Feed::Event(FleetEvent::Metrics(read))] = feeds.as_slice() else {
        panic!("one focus snapshot, no trouble: {feeds:?}");
    };
    assert_eq!(pod_names(read), [running[0].clone()]);
    let nodes: Vec<&str> = read.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(nodes, [node.as_str()]);

    // The Nodes screen: every node, no pod.
    let focus = UsageFocus {
        nodes: NodeFocus::All,
        ..UsageFocus::default()
    };
    let feeds = poll_focus(&apis, &focus).await;
    let [Feed::Event(FleetEvent::Metrics(read))] = feeds.as_slice() else {
        panic!("one focus snapshot: {feeds:?}");
    };
    assert!(read.pods.is_empty());
    assert_eq!(read.nodes.len(), fleet.nodes.len());

    // A server that fails says so, for the feed that failed.
    sim.faults(json!({"failRate": 1.0, "failCode": 500})).await;
    let feeds = poll_focus(&apis, &focus).await;
    assert!(
        matches!(
            feeds.as_slice(),
            [Feed::Trouble {
                kind: FeedKind::NodeMetrics,
                code: Some(500),
                ..
            }]
        ),
        "{feeds:?}"
    );
}

#[tokio::test]
async fn between_fleet_polls_the_focus_is_read_when_it_changes() {
    let sim = frozen_demo().await;
    let client = herd_client(&sim).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let (_watches, pods_listed) = spawn_watches(&client, &Scope::default(), &tx);
    let hour = Duration::from_secs(3600);
    let (focus, focus_rx) = tokio::sync::watch::channel(UsageFocus::default());
    let _metrics = spawn_metrics(&client, &Scope::default(), hour, &tx, pods_listed, focus_rx);
    let mut next_usage = async || {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Feed::Event(FleetEvent::Metrics(s)) = rx.recv().await.expect("feeds run") {
                    return s;
                }
            }
        })
        .await
        .expect("a metrics poll")
    };
    let first = next_usage().await;
    assert_eq!(first.reach, UsageReach::Fleet);
    // The next fleet poll is an hour away; the DaemonSet page opened now is read now.
    let ((namespace, selector), running) = daemon_set_and_pods(&client, "node-exporter").await;
    focus.send_replace(UsageFocus {
        daemon_set: Some((namespace, selector)),
        ..UsageFocus::default()
    });
    let read = next_usage().await;
    assert_eq!(read.reach, UsageReach::Focus);
    assert_eq!(pod_names(&read), running);
    let node = first.nodes[0].name.clone();
    focus.send_replace(UsageFocus {
        nodes: NodeFocus::One(node.clone()),
        ..UsageFocus::default()
    });
    let read = next_usage().await;
    assert_eq!(read.reach, UsageReach::Focus);
    assert!(read.pods.is_empty());
    assert_eq!(read.nodes.len(), 1);
    assert_eq!(read.nodes[0].name, node);
}
