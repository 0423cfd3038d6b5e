//! `herd check` run as a user would, against the demo scenario served in-process: it finds
//! exactly the planted trouble and exits 1; bad input exits 2 with a one-line message.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
        // The TUI's word for it, not "excluded" (which reads as "not targeted").
        assert_eq!(g["status"], "taint-blocked");
        assert_eq!(g["pool"], "gpu");
        let reason = g["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("nvidia.com/gpu"), "{reason}");
    }
    // … and one group says it once: which DaemonSet, how many nodes, why, which pool.
    let groups: Vec<&Value> = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| falco(g))
        .collect();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["nodes"], 6);
    assert_eq!(groups[0]["pools"], serde_json::json!(["gpu"]));
    assert_eq!(groups[0]["status"], "taint-blocked");

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

    // Its rollout is stalled by the release itself, and says where.
    let stalled = &report["stalled"];
    assert_eq!(stalled.as_array().map(Vec::len), Some(1), "{stalled}");
    assert_eq!(stalled[0]["daemonset"], "node-problem-detector");
    assert_eq!(
        stalled[0]["diagnosis"],
        "new revision crash-loops on general-01"
    );
    assert_eq!(report["untargeted"], serde_json::json!([]));

    // Nothing else: the NotReady node is the node's fault, listed once on its own, not a
    // failing release on every DaemonSet that runs there.
    let elsewhere = strings(gaps, |g| !falco(g) && !npd(g), "node");
    assert_eq!(elsewhere, BTreeSet::new(), "{gaps}");
    assert_eq!(report["not_ready_nodes"], serde_json::json!(["general-07"]));
    let down = strings(&report["node_down"], |_| true, "node");
    assert_eq!(down, BTreeSet::from(["general-07".to_string()]));
    assert!(report["node_down"][0]["daemonsets"].as_u64() >= Some(5));
    assert!(
        report["node_down"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("NotReady")),
        "{}",
        report["node_down"]
    );

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
    let cases: [(&[&str], &[&str]); 6] = [
        (&["-l", "app in ("], &["-l", "app in ("]),
        (&["--context", "prod"], &["\"prod\"", "herd-sim"]),
        (&["-o", "yaml"], &["yaml"]),
        (&["--fail-on", "missing,late"], &["late"]),
        (&["--timeout", "soon"], &["--timeout", "soon"]),
        (&["--timeout", "0s"], &["--timeout", "0s"]),
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

fn namespaces(v: &Value) -> BTreeSet<String> {
    strings(v, |_| true, "namespace")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_flag_reports_only_that_namespaces_daemon_sets() {
    let sim = demo().await;
    let everything = herd_check(&sim, &["-A", "-o", "json"]).await;
    let all: Value = serde_json::from_slice(&everything.stdout).expect("JSON on stdout");
    assert_eq!(
        namespaces(&all["gaps"]),
        BTreeSet::from(["falco".into(), "kube-system".into()]),
        "the demo's gaps: {}",
        all["gaps"]
    );

    // falco forgot the GPU toleration; the hog lives in another namespace.
    let out = herd_check(&sim, &["-n", "falco", "-o", "json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let falco: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(namespaces(&falco["gaps"]), BTreeSet::from(["falco".into()]));
    let gpu_nodes: BTreeSet<String> = (1..=6).map(|i| format!("gpu-{i:02}")).collect();
    let missing = strings(&falco["gaps"], |g| g["kind"] == "missing", "node");
    assert!(missing.is_superset(&gpu_nodes), "{missing:?}");
    assert_eq!(falco["hogs"], serde_json::json!([]));

    let out = herd_check(
        &sim,
        &["-n", "observability", "-o", "json", "--fail-on", "hog"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let observability: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let hogs = strings(&observability["hogs"], |_| true, "daemonset");
    assert_eq!(hogs, BTreeSet::from(["otel-agent".to_string()]));
    for section in ["gaps", "hogs"] {
        let seen = namespaces(&observability[section]);
        assert!(
            seen.iter().all(|ns| ns == "observability"),
            "{section}: {seen:?}"
        );
    }
}

/// A cluster that answers nothing useful: the check gives up after --timeout with exit 2 and
/// one line naming the watches it was still waiting for and the last problem one reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_failing_every_request_times_out_with_exit_2_naming_the_watches() {
    let sim = demo().await;
    sim.faults(serde_json::json!({"failRate": 1.0, "failCode": 500}))
        .await;
    let out = herd_check(&sim, &["--timeout", "2s", "-o", "json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty(), "no report on a timeout");
    assert!(stderr.contains("timed out after 2s"), "{stderr}");
    assert!(
        stderr.contains("the first list of nodes, pods, daemonsets, controllerrevisions"),
        "{stderr}"
    );
    let last = stderr.split("last problem: ").nth(1).unwrap_or_default();
    assert!(
        ["nodes:", "pods:", "daemonsets:", "controllerrevisions:"]
            .iter()
            .any(|w| last.starts_with(w)),
        "the last problem names its watch: {stderr}"
    );
    assert!(last.contains("500"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_with_exit_2() {
    // Accepts connections and holds them without a byte in reply.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: silent\n\
         clusters: [{{name: silent, cluster: {{server: 'https://{addr}', insecure-skip-tls-verify: true}}}}]\n\
         users: [{{name: u, user: {{token: t}}}}]\n\
         contexts: [{{name: silent, context: {{cluster: silent, user: u}}}}]\n"
    );
    std::fs::write(&kubeconfig, yaml).expect("kubeconfig written");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_herd"))
        .args(["check", "--timeout", "2s", "--kubeconfig"])
        .arg(&kubeconfig)
        .env_remove("KUBECONFIG")
        .output()
        .await
        .expect("herd runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("timed out after 2s waiting for the first list of nodes, pods, daemonsets, controllerrevisions"),
        "{stderr}"
    );
}
