//! The in-cluster manifests under deploy/ hold together, and the engine's ClusterRole grants
//! exactly what a real `herd engine` run asks the API server for: a rollout and a staged
//! targeting edit carried out from start to end against the simulator, every request counted by verb and resource, compared
//! with the role's rules. A verb the engine starts to use and the role lacks fails here, and
//! so does a grant nothing uses.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use common::objects::world_ds;
use common::rollout::{code, demo, engine, engine_output, herd, herd_target, text, until_state};
use common::server::eventually;
use herd_core::engine::record::State;
use herd_core::targeting::stage::{ANNOTATION as STAGING, StageRecord, StageState};

const MANIFESTS: &str = include_str!("../deploy/herd-engine.yaml");

fn documents() -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(MANIFESTS).expect("deploy/herd-engine.yaml parses")
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in deploy/herd-engine.yaml"))
}

/// `(resource, verb)` with the resource named as the simulator counts it: `pods`,
/// `daemonsets.apps`, `leases.coordination.k8s.io`.
fn granted(role: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        let strings = |key: &str| -> Vec<String> {
            rule[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key} in {rule}"))
                .iter()
                .map(|v| v.as_str().expect("a string").to_string())
                .collect()
        };
        for group in strings("apiGroups") {
            for resource in strings("resources") {
                for verb in strings("verbs") {
                    let name = if group.is_empty() {
                        resource.clone()
                    } else {
                        format!("{resource}.{group}")
                    };
                    out.insert((name, verb));
                }
            }
        }
    }
    out
}

#[test]
fn the_manifests_bind_the_role_to_the_engine_that_runs_as_two_replicas() {
    let docs = documents();
    let namespace = of_kind(&docs, "Namespace")["metadata"]["name"].clone();
    let account = of_kind(&docs, "ServiceAccount");
    assert_eq!(account["metadata"]["namespace"], namespace);
    let binding = of_kind(&docs, "ClusterRoleBinding");
    let role = of_kind(&docs, "ClusterRole");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["name"], account["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["namespace"], namespace);
    let deployment = of_kind(&docs, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);
    let container = &pod["containers"][0];
    assert_eq!(container["args"][0], "engine");
    // Each replica holds Leases under its own pod's name.
    assert_eq!(container["args"][2], "$(POD_NAME)");
    assert_eq!(
        container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.name"
    );
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_grants_exactly_what_a_run_of_the_engine_uses() {
    let sim = Arc::new(demo().await);
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "monitoring",
            "node-exporter",
            "--image",
            "node-exporter=quay.io/prometheus/node-exporter:v1.9.0",
            "--max-unavailable",
            "2",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let staged = herd_target(
        &sim,
        &[
            "-n",
            "storage",
            "csi-rbdplugin",
            "--node-selector",
            "",
            "--stage",
            "--batch",
            "50%",
        ],
    )
    .await;
    assert_eq!(code(&staged), Some(0), "{}", text(&staged));
    // From here on, only the engine talks to the server.
    sim.handle.counters.reset();
    // A short Lease, so it is renewed as well as taken and given back.
    let runner = engine(&sim, "engine-0", 3);
    until_state(
        &sim,
        "monitoring",
        "node-exporter",
        Duration::from_secs(60),
        |s| *s == State::Complete,
    )
    .await;
    eventually("the staging completes", || async {
        let ds = world_ds(&sim, "storage", "csi-rbdplugin");
        let text = ds.metadata.annotations.unwrap_or_default()[STAGING].clone();
        let record = StageRecord::decode(&text).expect("a staging record");
        (record.state == StageState::Complete).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log = engine_output(runner).await;
    let stats = sim.stats().await;
    let used: BTreeSet<(String, String)> = stats["byVerbAndResource"]
        .as_array()
        .expect("stats")
        .iter()
        .map(|e| {
            (
                e["resource"].as_str().expect("resource").to_string(),
                e["verb"].as_str().expect("verb").to_string(),
            )
        })
        // Discovery is every authenticated user's (system:discovery), not the role's.
        .filter(|(resource, _)| resource != "discovery" && resource != "openapi")
        .collect();
    let role = granted(of_kind(&documents(), "ClusterRole"));
    let missing: Vec<_> = used.difference(&role).collect();
    let unused: Vec<_> = role.difference(&used).collect();
    assert!(
        missing.is_empty() && unused.is_empty(),
        "used but not granted: {missing:?}\ngranted but not used: {unused:?}\n{log}"
    );
}
