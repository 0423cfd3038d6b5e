//! `herd check` against the simulator over HTTP, for the verdicts a pipeline gates on: the
//! demo's NotReady node is node-down and fails the run only with `--fail-on node-down`; a
//! rollout held by that node is diagnosed naming it; a DaemonSet whose selector matches no
//! node is reported; DaemonSets whose pods all stay Pending (a pull error, `Insufficient
//! cpu`) are reported and exit 1; and each `--fail-on` item decides the exit code.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Instant;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use common::objects;
use common::server::{DEADLINE, TestSim};

/// The demo with its clock running fast, so kubelets pull, fail and back off within seconds.
async fn running_demo() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 20.0;
    })
    .await
}

async fn frozen_demo() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await
}

async fn herd_check(sim: &TestSim, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_herd"))
        .arg("check")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .await
        .expect("herd runs")
}

/// The JSON report and exit code of `herd check ARGS -o json`.
async fn report(sim: &TestSim, args: &[&str]) -> (Value, Option<i32>) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let out = herd_check(sim, &all).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: no JSON ({e}); stderr: {stderr}"));
    (json, out.status.code())
}

/// Runs the check until `done` holds for its report, or fails after the deadline.
async fn until(
    sim: &TestSim,
    args: &[&str],
    done: impl Fn(&Value) -> bool,
) -> (Value, Option<i32>) {
    let started = Instant::now();
    loop {
        let (json, code) = report(sim, args).await;
        if done(&json) {
            return (json, code);
        }
        assert!(
            started.elapsed() < DEADLINE * 2,
            "{args:?}: never reached the expected report; last: {json:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// A kube-system DaemonSet labelled `app=NAME` itself, so `-l` selects it.
fn labelled(name: &str, image: &str) -> DaemonSet {
    let mut ds = objects::daemonset("kube-system", name, image);
    ds.metadata.labels = objects::labels(&[("app", name)]);
    ds
}

fn named<'a>(list: &'a Value, daemonset: &str) -> Vec<&'a Value> {
    list.as_array()
        .expect("array")
        .iter()
        .filter(|x| x["daemonset"] == daemonset)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_down_is_listed_once_and_fails_the_run_only_when_asked() {
    let sim = frozen_demo().await;
    // kube-system runs on general-07, which is NotReady: no gap, one node down.
    let (json, code) = report(&sim, &["-n", "kube-system", "--fail-on", "node-down"]).await;
    assert_eq!(code, Some(1), "{json:#}");
    assert_eq!(json["failed_on"], json!(["node-down"]));
    assert_eq!(json["node_down"][0]["node"], "general-07");
    assert!(
        json["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .all(|g| g["node"] != "general-07"),
        "{json:#}"
    );
    // The storage driver only runs on storage nodes: general-07 is not its concern.
    for item in ["node-down", "missing", "failing", "stalled", "untargeted"] {
        let (json, code) = report(&sim, &["-n", "storage", "--fail-on", item]).await;
        assert_eq!(code, Some(0), "--fail-on {item}: {json:#}");
        assert_eq!(json["node_down"], json!([]), "{json:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_held_by_a_node_down_is_diagnosed_naming_it() {
    let sim = running_demo().await;
    let (json, code) = report(&sim, &["-n", "logging", "--fail-on", "stalled"]).await;
    assert_eq!((code, &json["stalled"]), (Some(0), &json!([])), "{json:#}");

    // `kubectl rollout restart ds/kube-proxy`, through kube-rs.
    let client = sim.client().await;
    let api: Api<DaemonSet> = Api::namespaced(client, "kube-system");
    let restart = json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-12-03T10:00:00Z"}}}}});
    api.patch(
        "kube-proxy",
        &PatchParams::default(),
        &Patch::Merge(&restart),
    )
    .await
    .expect("restart");

    let args = ["-n", "kube-system", "--fail-on", "stalled"];
    let (json, code) = until(&sim, &args, |j| {
        !named(&j["stalled"], "kube-proxy").is_empty()
    })
    .await;
    assert_eq!(code, Some(1), "{json:#}");
    let stalled = named(&json["stalled"], "kube-proxy")[0];
    let diagnosis = stalled["diagnosis"].as_str().unwrap_or_default();
    assert!(
        diagnosis.starts_with("maxUnavailable 1 used by general-07 (NotReady "),
        "{diagnosis}"
    );
    assert_eq!(stalled["nodes"], json!(["general-07"]));
    assert_eq!(stalled["desired"], 40);

    // The same words in the table a person reads.
    let out = herd_check(&sim, &["-n", "kube-system"]).await;
    let table = String::from_utf8_lossy(&out.stdout);
    // 0/40 for the moment between the old pod's deletion on general-07 and its replacement,
    // 1/40 after: either way the same node holds the budget.
    let line = table
        .lines()
        .find(|l| l.contains("kube-system/kube-proxy "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        line.contains("/40 stalled: maxUnavailable 1 used by general-07 (NotReady"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_set_that_targets_no_node_is_reported() {
    let sim = frozen_demo().await;
    let mut ds = labelled("dcgm", "nvcr.io/dcgm:3.3");
    if let Some(spec) = ds.spec.template.spec.as_mut() {
        spec.node_selector = Some(BTreeMap::from([("accelerator".into(), "h100".into())]));
    }
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, "kube-system");
    api.create(&PostParams::default(), &ds)
        .await
        .expect("create");

    let (json, code) = report(&sim, &["-n", "kube-system", "-l", "app=dcgm"]).await;
    assert_eq!(code, Some(0), "not a default condition: {json:#}");
    let found = named(&json["untargeted"], "dcgm");
    assert_eq!(
        found[0]["reason"],
        "targets no node: nodeSelector accelerator=h100 matches 0 of 40"
    );
    let (_, code) = report(
        &sim,
        &[
            "-n",
            "kube-system",
            "-l",
            "app=dcgm",
            "--fail-on",
            "untargeted",
        ],
    )
    .await;
    assert_eq!(code, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_sets_whose_pods_all_stay_pending_are_reported() {
    let sim = running_demo().await;
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, "kube-system");
    let puller = labelled("puller", "registry.example/agent:1-pullerror");
    api.create(&PostParams::default(), &puller)
        .await
        .expect("puller");
    let mut hungry = labelled("hungry", "registry.example/agent:1");
    if let Some(spec) = hungry.spec.template.spec.as_mut() {
        spec.containers[0].resources = Some(ResourceRequirements {
            requests: Some(BTreeMap::from([("cpu".into(), Quantity("500".into()))])),
            ..Default::default()
        });
    }
    api.create(&PostParams::default(), &hungry)
        .await
        .expect("hungry");

    // Every Ready node without the GPU taint: 40 nodes, 6 GPU, 1 NotReady.
    let args = ["-n", "kube-system", "-l", "app in (puller,hungry)"];
    let settled = |j: &Value| {
        let count = |ds: &str, status: &str| {
            named(&j["gaps"], ds)
                .iter()
                .filter(|g| g["status"] == status)
                .count()
        };
        count("puller", "release-failing") == 33 && count("hungry", "stuck-pending") == 33
    };
    let (json, code) = until(&sim, &args, settled).await;
    assert_eq!(code, Some(1), "{json:#}");
    for g in named(&json["gaps"], "puller") {
        if g["status"] == "release-failing" {
            assert_eq!(g["kind"], "failing");
            let reason = g["reason"].as_str().unwrap_or_default();
            assert!(reason.contains("image pull"), "{reason}");
        }
    }
    for g in named(&json["gaps"], "hungry") {
        if g["status"] == "stuck-pending" {
            assert_eq!(g["kind"], "missing");
            let reason = g["reason"].as_str().unwrap_or_default();
            assert!(reason.contains("Insufficient cpu"), "{reason}");
        }
    }
    // Grouped: one line per (DaemonSet, verdict, reason), with the node count.
    let groups = named(&json["groups"], "puller");
    assert!(groups.iter().any(|g| g["nodes"] == 33), "{groups:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_says_each_cause_once_and_wide_lists_every_node() {
    let sim = frozen_demo().await;
    let out = herd_check(&sim, &["-n", "falco"]).await;
    let table = String::from_utf8_lossy(&out.stdout);
    let falco: Vec<&str> = table
        .lines()
        .filter(|l| l.contains("falco/falco"))
        .collect();
    assert_eq!(falco.len(), 1, "{table}");
    assert!(
        falco[0].contains("taint-blocked") && falco[0].contains(" 6  gpu "),
        "{table}"
    );
    let out = herd_check(&sim, &["-n", "falco", "--wide"]).await;
    let wide = String::from_utf8_lossy(&out.stdout);
    let rows = wide.lines().filter(|l| l.contains("falco/falco")).count();
    assert_eq!(rows, 6, "{wide}");

    let out = herd_check(&sim, &["-n", "observability", "--fail-on", "hog"]).await;
    let table = String::from_utf8_lossy(&out.stdout);
    let hogs: Vec<&str> = table
        .lines()
        .filter(|l| l.contains("observability/otel-agent"))
        .collect();
    assert_eq!(hogs.len(), 1, "one line for the DaemonSet's hogs: {table}");
    assert!(hogs[0].contains(" 40  "), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_and_a_pull_error_keep_their_verdict_for_fifteen_minutes() {
    // One simulated minute per second: the crash loop runs, exits and backs off many times.
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 60.0;
    })
    .await;
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, "kube-system");
    for (name, image) in [
        ("crasher", "registry.example/agent:1-crashloop"),
        ("puller", "registry.example/agent:1-pullerror"),
    ] {
        api.create(&PostParams::default(), &labelled(name, image))
            .await
            .expect(name);
    }
    let args = ["-n", "kube-system", "-l", "app in (crasher,puller)"];
    let on_general_01 = |j: &Value, ds: &str| {
        named(&j["gaps"], ds)
            .iter()
            .find(|g| g["node"] == "general-01")
            .map(|g| g["status"].as_str().unwrap_or_default().to_string())
    };
    // Wait for both to have failed once, then watch a quarter of an hour go by.
    until(&sim, &args, |j| {
        on_general_01(j, "crasher").is_some() && on_general_01(j, "puller").is_some()
    })
    .await;
    let started = sim.handle.world.lock().now();
    let mut samples = 0;
    loop {
        let (json, code) = report(&sim, &args).await;
        assert_eq!(code, Some(1), "{json:#}");
        for ds in ["crasher", "puller"] {
            assert_eq!(
                on_general_01(&json, ds).as_deref(),
                Some("release-failing"),
                "{ds} on general-01 after {samples} samples: {json:#}"
            );
        }
        samples += 1;
        let now = sim.handle.world.lock().now();
        if now.duration_since(started) >= jiff::SignedDuration::from_mins(15) {
            break;
        }
    }
    assert!(
        samples >= 10,
        "only {samples} samples in 15 simulated minutes"
    );
}
