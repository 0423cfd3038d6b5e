//! A staged targeting edit against the simulator over HTTP, as a pipeline runs it: `herd target
//! --stage` holds the nodes that gain the daemon (they get no pod), `herd engine` releases them
//! batch by batch in the order of a node label, never letting more than one batch come up at
//! once, and ends with the node set the preview named; new pods that fail halt it, and
//! `--rollback` puts the targeting back and lifts every hold, refusing while someone else's
//! change to the targeting would be overwritten.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, Node, Pod};

use common::objects::world_ds;
use common::placement::{nodes_with_pod, settles_on};
use common::rollout::{code, demo, engine, herd_target, text};
use common::server::{TestSim, eventually, require_kubectl, succeeded};
use herd_core::targeting::stage::{ANNOTATION, StageRecord, StageState};

const NS: &str = "storage";
const DS: &str = "csi-rbdplugin";
const HOLD: &str = "stage.herd.dev/storage.csi-rbdplugin";
const ZONE: &str = "topology.kubernetes.io/zone";

/// Stages csi-rbdplugin off its storage-only nodeSelector (it gains the general nodes), in
/// batches of 25% by zone; returns the preview's gains and the node set it ends on.
async fn stage(sim: &TestSim) -> (Vec<String>, BTreeSet<String>) {
    let out = herd_target(
        sim,
        &[
            "-n",
            NS,
            DS,
            "--node-selector",
            "",
            "--stage",
            "--batch",
            "25%",
            "--order-by",
            ZONE,
            "-o",
            "json",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["outcome"], "staged", "{report}");
    let gains: Vec<String> = report["gains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["node"].as_str().unwrap().to_string())
        .collect();
    assert!(gains.len() >= 20, "{gains:?}");
    let after = report["after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    (gains, after)
}

fn nodes(sim: &TestSim) -> Vec<Node> {
    let world = sim.handle.world.lock();
    world
        .store
        .table::<Node>()
        .values()
        .map(|n| n.as_ref().clone())
        .collect()
}

fn label<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

fn held(sim: &TestSim) -> BTreeSet<String> {
    nodes(sim)
        .iter()
        .filter(|n| label(n, HOLD).is_some())
        .filter_map(|n| n.metadata.name.clone())
        .collect()
}

fn record(sim: &TestSim) -> StageRecord {
    let ds = world_ds(sim, NS, DS);
    let text = ds.metadata.annotations.unwrap_or_default()[ANNOTATION].clone();
    StageRecord::decode(&text).expect("a staging record")
}

/// Released nodes (gained, no longer held) whose pod of the DaemonSet is not Ready yet; a node
/// that is down itself (general-07) is not waited for, so not counted.
fn coming_up(sim: &TestSim, gains: &[String]) -> usize {
    let held = held(sim);
    let down: BTreeSet<String> = nodes(sim)
        .iter()
        .filter(|n| common::node_condition(n, "Ready").as_deref() != Some("True"))
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    let world = sim.handle.world.lock();
    let ready: BTreeSet<String> = world
        .store
        .table::<Pod>()
        .values()
        .filter(|p| p.metadata.namespace.as_deref() == Some(NS))
        .filter(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(DS))
        })
        .filter(|p| common::ready(p))
        .filter_map(|p| p.spec.as_ref()?.node_name.clone())
        .collect();
    gains
        .iter()
        .filter(|g| !held.contains(*g) && !ready.contains(*g) && !down.contains(*g))
        .count()
}

/// The nodes each StageReleased Event names, in the order the Events were made.
fn released_batches(sim: &TestSim) -> Vec<Vec<String>> {
    let world = sim.handle.world.lock();
    let mut events: Vec<Event> = world
        .store
        .table::<Event>()
        .values()
        .filter(|e| e.reason.as_deref() == Some("StageReleased"))
        .map(|e| e.as_ref().clone())
        .collect();
    events.sort_by_key(|e| e.metadata.creation_timestamp.clone().map(|t| t.0));
    events
        .iter()
        .map(|e| {
            let message = e.message.clone().unwrap_or_default();
            let list = message
                .split_once("released ")
                .and_then(|(_, rest)| rest.split_once(" ("))
                .map(|(list, _)| list.to_string())
                .unwrap_or_default();
            list.split(", ").map(String::from).collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_edit_is_released_by_the_engine_a_batch_at_a_time_in_zone_order() {
    let sim = demo().await;
    let before = nodes_with_pod(&sim, NS, DS);
    let (gains, after) = stage(&sim).await;
    let batch = gains.len().div_ceil(4);
    assert_eq!(
        held(&sim),
        gains.iter().cloned().collect(),
        "every gain held"
    );
    // Held, the nodes get no pod: the daemon stays where it was.
    settles_on(&sim, NS, DS, &before).await;
    let mut engine = engine(&sim, "engine-a", 15);
    let started = Instant::now();
    let mut worst = 0;
    loop {
        worst = worst.max(coming_up(&sim, &gains));
        if record(&sim).state == StageState::Complete {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{:?}",
            record(&sim)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine.kill().await.expect("engine stops");
    assert!(
        worst <= batch,
        "{worst} nodes came up at once; a batch is {batch}"
    );
    assert!(held(&sim).is_empty());
    settles_on(&sim, NS, DS, &after).await;

    // Batches of at most a quarter, in zone order then by name, covering every gain once.
    let batches = released_batches(&sim);
    assert_eq!(batches.len(), 4, "{batches:?}");
    assert!(batches.iter().all(|b| b.len() <= batch), "{batches:?}");
    let zone_of = |name: &str| {
        nodes(&sim)
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(name))
            .and_then(|n| label(n, ZONE).map(String::from))
    };
    let released: Vec<String> = batches.concat();
    let mut expected = released.clone();
    expected.sort_by_key(|n| (zone_of(n).is_none(), zone_of(n), n.clone()));
    assert_eq!(released, expected, "zone order, then name");
    assert_eq!(
        released.iter().cloned().collect::<BTreeSet<_>>(),
        gains.iter().cloned().collect::<BTreeSet<_>>()
    );
    assert_eq!(record(&sim).released, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_new_pods_halt_the_staging_and_a_rollback_puts_everything_back() {
    require_kubectl();
    let sim = demo().await;
    let before = nodes_with_pod(&sim, NS, DS);
    let (gains, _) = stage(&sim).await;
    // The new template crash-loops: its first pods fail before any node is released.
    succeeded(
        &sim.kubectl(&[
            "set",
            "image",
            "-n",
            NS,
            "daemonset/csi-rbdplugin",
            "csi-rbdplugin=quay.io/cephcsi/cephcsi:v3.12.0-crashloop",
        ])
        .await,
    );
    let out = herd_target(&sim, &["-n", NS, DS, "--resume", "--wait"]).await;
    assert_eq!(
        code(&out),
        Some(2),
        "not halted yet: nothing to resume: {}",
        text(&out)
    );
    let mut engine = engine(&sim, "engine-b", 15);
    let halted = eventually("the staging halts", || async {
        match record(&sim).state {
            StageState::Halted { reason, nodes } => Some((reason, nodes)),
            _ => None,
        }
    })
    .await;
    engine.kill().await.expect("engine stops");
    assert!(halted.0.contains("crash loop"), "{halted:?}");
    assert!(!halted.1.is_empty());
    assert_eq!(
        held(&sim).len(),
        gains.len(),
        "nothing released while pods fail"
    );
    // A person lets it go on (no engine runs now, so it stays so until the rollback).
    let out = herd_target(&sim, &["-n", NS, DS, "--resume"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(text(&out).contains("StageResumed"), "{}", text(&out));
    assert_eq!(record(&sim).state, StageState::Progressing);

    // Someone changes the targeting meanwhile: the rollback refuses to overwrite it.
    let patch = r#"{"spec":{"template":{"spec":{"nodeSelector":{"team":"x"}}}}}"#;
    succeeded(
        &sim.kubectl(&["patch", "ds", "-n", NS, DS, "--type", "merge", "-p", patch])
            .await,
    );
    // What a refused rollback must leave alone: the template and the record (the controller
    // keeps writing the status, so the resourceVersion moves regardless).
    let written = || {
        let ds = world_ds(&sim, NS, DS);
        (ds.spec.template, ds.metadata.annotations)
    };
    let unchanged = written();
    let out = herd_target(&sim, &["-n", NS, DS, "--rollback"]).await;
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nodeSelector"), "{}", text(&out));
    assert_eq!(written(), unchanged, "nothing written");
    assert_eq!(held(&sim).len(), gains.len());
    let undo = r#"{"spec":{"template":{"spec":{"nodeSelector":{"team":null}}}}}"#;
    succeeded(
        &sim.kubectl(&["patch", "ds", "-n", NS, DS, "--type", "merge", "-p", undo])
            .await,
    );

    let out = herd_target(&sim, &["-n", NS, DS, "--rollback"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(text(&out).contains("StageRolledBack"), "{}", text(&out));
    assert!(held(&sim).is_empty(), "every hold lifted");
    assert_eq!(record(&sim).state, StageState::RolledBack);
    let spec = world_ds(&sim, NS, DS).spec.template.spec.unwrap();
    assert_eq!(
        spec.node_selector
            .unwrap_or_default()
            .get("node-role.herd.dev/storage")
            .map(String::as_str),
        Some("true"),
        "the nodeSelector is back"
    );
    assert!(
        spec.affinity.is_none(),
        "no trace of the hold in the template: {:?}",
        spec.affinity
    );
    settles_on(&sim, NS, DS, &before).await;
}
