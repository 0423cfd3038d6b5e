//! herd's watches against the simulator: the Fleet they fill matches the cluster, follows
//! changes, and re-lists to the same state after the server compacts and drops watches.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use herd::cluster::connect::{ConnectOptions, connect};
use herd::cluster::watch::{Feed, Scope, spawn_watches};
use herd::model::fleet::{Fleet, FleetEvent};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;
use tokio::sync::mpsc;

use common::server::{TestSim, eventually};

/// A Fleet kept up to date from herd's watches, plus how many relists it has seen.
struct Mirror {
    fleet: Arc<Mutex<Fleet>>,
    relists: Arc<AtomicUsize>,
    troubles: Arc<AtomicUsize>,
}

impl Mirror {
    async fn start(sim: &TestSim) -> Mirror {
        let client = connect(&ConnectOptions {
            kubeconfig: Some(sim.kubeconfig.clone()),
            context: None,
        })
        .await
        .expect("client from the simulator's kubeconfig");
        let (tx, mut rx) = mpsc::channel(1024);
        spawn_watches(&client, &Scope::default(), &tx);
        let fleet = Arc::new(Mutex::new(Fleet::new()));
        let relists = Arc::new(AtomicUsize::new(0));
        let troubles = Arc::new(AtomicUsize::new(0));
        let (f, r, t) = (
            Arc::clone(&fleet),
            Arc::clone(&relists),
            Arc::clone(&troubles),
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
                    Feed::Trouble { .. } => {
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
        }
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
    let first_relists = eventually("one relist per kind", || async {
        let n = mirror.relists.load(Ordering::SeqCst);
        (n >= 4).then_some(n)
    })
    .await;

    // Hold the watches off (every resume fails) while a pod is removed behind their back and
    // the history compacted away, so resuming gets 410 and each kind must re-list.
    sim.faults(json!({"failRate": 1.0, "dropWatches": true}))
        .await;
    eventually("the resume attempts failing", || async {
        (mirror.troubles.load(Ordering::SeqCst) >= 4).then_some(())
    })
    .await;
    let gone = {
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
    };
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
