//! `herd check` run as a user would, against the demo scenario served in-process: it finds
//! exactly the planted trouble and exits 1; bad input exits 2 with a one-line message.

mod common;

use std::collections::BTreeSet;
use std::process::Output;

use serde_json::Value;

use common::server::TestSim;

async fn demo() -> TestSim {
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

fn strings(v: &Value, pick: impl Fn(&Value) -> bool, field: &str) -> BTreeSet<String> {
    v.as_array()
        .expect("array")
        .iter()
        .filter(|x| pick(x))
        .map(|x| x[field].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_finds_the_demos_planted_trouble_and_exits_1() {
    let sim = demo().await;
    let out = herd_check(&sim, &["-A", "-o", "json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let gaps = &report["gaps"];

    // falco forgot the GPU toleration: missing on every GPU node, and only there.
    let falco = |g: &Value| g["daemonset"] == "falco";
    let falco_nodes = strings(gaps, falco, "node");
    let gpu_nodes: BTreeSet<String> = (1..=6).map(|i| format!("gpu-{i:02}")).collect();
    assert_eq!(falco_nodes, gpu_nodes);
    for g in gaps.as_array().expect("gaps").iter().filter(|g| falco(g)) {
        assert_eq!(g["kind"], "missing");
        let reason = g["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("nvidia.com/gpu"), "{reason}");
    }

    // The crash-looping node-problem-detector release.
    let npd = |g: &Value| g["daemonset"] == "node-problem-detector" && g["kind"] == "failing";
    let crash = gaps
        .as_array()
        .expect("gaps")
        .iter()
        .filter(|g| npd(g))
        .any(|g| {
            g["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("crash loop")
        });
    assert!(
        crash,
        "no crash-looping node-problem-detector pod in {gaps}"
    );

    // Every other gap is on the NotReady node.
    let elsewhere = strings(gaps, |g| !falco(g) && !npd(g), "node");
    assert_eq!(elsewhere, BTreeSet::from(["general-07".to_string()]));
    assert_eq!(report["not_ready_nodes"], serde_json::json!(["general-07"]));

    // The memory hog is otel-agent, and only it.
    let hogs = strings(&report["hogs"], |_| true, "daemonset");
    assert_eq!(hogs, BTreeSet::from(["otel-agent".to_string()]));
    assert_eq!(report["metrics"]["state"], "available");
    assert_eq!(
        report["failed_on"],
        serde_json::json!(["missing", "failing"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_with_one_line() {
    let sim = demo().await;
    let cases: [(&[&str], &[&str]); 4] = [
        (&["-l", "app in ("], &["-l", "app in ("]),
        (&["--context", "prod"], &["\"prod\"", "herd-sim"]),
        (&["-o", "yaml"], &["yaml"]),
        (&["--fail-on", "missing,late"], &["late"]),
    ];
    for (args, expected) in cases {
        let out = herd_check(&sim, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        for word in expected {
            assert!(stderr.contains(word), "{args:?}: {stderr}");
        }
    }
}
