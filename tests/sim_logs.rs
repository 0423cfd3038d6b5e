//! `pods/log` against the simulator over HTTP, as kubectl and kube-rs read it: a running
//! agent's start-up and periodic lines, `--tail`, `--timestamps`, `--since`, a crash-looping
//! pod's previous run ending in its fatal error, `-f` following new lines as the clock moves,
//! and the kubelet's refusals (no previous run, a container not named, bad options).
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, LogParams, PostParams};
use serde_json::json;

use common::rollout::demo;
use common::server::{TestSim, eventually, require_kubectl, succeeded};

/// The pod of `ds` on `node`.
async fn pod_of(sim: &TestSim, namespace: &str, prefix: &str, node: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(sim.client().await, namespace);
    let list = pods.list(&ListParams::default()).await.expect("pods");
    list.items
        .iter()
        .find(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(prefix))
                && p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
        })
        .and_then(|p| p.metadata.name.clone())
        .unwrap_or_else(|| panic!("a {prefix} pod on {node}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_reads_an_agent_tails_it_stamps_it_and_shows_a_crash_loops_last_words() {
    require_kubectl();
    let sim = demo().await;
    let fluent = pod_of(&sim, "logging", "fluent-bit-", "general-02").await;
    let all = succeeded(&sim.kubectl(&["logs", "-n", "logging", &fluent]).await);
    let lines: Vec<&str> = all.lines().collect();
    assert!(lines.len() > 10, "{all}");
    assert!(
        lines[0].contains("[ info] Starting fluent-bit version"),
        "the run starts with its start-up lines: {all}"
    );
    let tail = succeeded(
        &sim.kubectl(&["logs", "-n", "logging", &fluent, "--tail", "3"])
            .await,
    );
    assert_eq!(
        tail.lines().collect::<Vec<_>>(),
        lines[lines.len() - 3..],
        "{tail}"
    );
    let stamped = succeeded(
        &sim.kubectl(&[
            "logs",
            "-n",
            "logging",
            &fluent,
            "--tail",
            "2",
            "--timestamps",
        ])
        .await,
    );
    for line in stamped.lines() {
        let (at, text) = line.split_once(' ').expect("a stamp and a line");
        at.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(text.starts_with('['), "{line}");
    }
    // The last minute (of simulated time) is a part of the whole, cut at its start.
    let recent = succeeded(
        &sim.kubectl(&["logs", "-n", "logging", &fluent, "--since", "60s"])
            .await,
    );
    assert!(recent.lines().count() < lines.len(), "{recent}");
    assert!(!recent.contains("Starting fluent-bit"), "{recent}");

    // node-problem-detector crash-loops on general-01: its previous run says why it died.
    let npd = pod_of(&sim, "kube-system", "node-problem-detector-", "general-01").await;
    let previous = succeeded(
        &sim.kubectl(&["logs", "-n", "kube-system", &npd, "--previous"])
            .await,
    );
    let last = previous.lines().last().expect("lines");
    assert!(last.starts_with('F'), "{previous}");
    assert!(
        last.contains("cannot start") && last.contains("exit code 1"),
        "{last}"
    );
    // A pod whose node's kubelet is stopped cannot be read: the API server's dial error.
    let annotate = sim
        .kubectl(&[
            "annotate",
            "node",
            "general-04",
            "sim.herd.dev/kubelet=stopped",
        ])
        .await;
    assert!(annotate.status.success());
    let on_04 = pod_of(&sim, "logging", "fluent-bit-", "general-04").await;
    let out = sim.kubectl(&["logs", "-n", "logging", &on_04]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("Error from server: Get \"https://")
            && err.contains(&format!(
                ":10250/containerLogs/logging/{on_04}/fluent-bit\": dial tcp "
            ))
            && err.contains("connect: connection refused"),
        "{err}"
    );
    // A container the pod does not have, in the kubelet's words.
    let out = sim
        .kubectl(&["logs", "-n", "logging", &fluent, "-c", "nope"])
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("container nope is not valid for pod {fluent}")),
        "{err}"
    );
    // A pod that never restarted has no previous run, in the kubelet's words.
    let out = sim
        .kubectl(&["logs", "-n", "logging", &fluent, "--previous"])
        .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "previous terminated container \"fluent-bit\" in pod \"{fluent}\" not found"
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_follows_a_log_as_the_clock_moves_and_options_are_checked() {
    let sim = demo().await;
    let client = sim.client().await;
    let fluent = pod_of(&sim, "logging", "fluent-bit-", "general-03").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "logging");
    let params = LogParams {
        follow: true,
        tail_lines: Some(1),
        ..LogParams::default()
    };
    let mut lines = pods
        .log_stream(&fluent, &params)
        .await
        .expect("a stream")
        .lines();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.try_next().await.expect("a line") {
            seen.push(line);
            if seen.len() >= 4 {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "new lines arrive while following: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "{seen:?}");

    // Plain reads through kube-rs: the tail, and `previous` of a crash loop.
    let tail = pods
        .logs(
            &fluent,
            &LogParams {
                tail_lines: Some(2),
                ..LogParams::default()
            },
        )
        .await
        .expect("logs");
    assert_eq!(tail.lines().count(), 2, "{tail}");
    let system: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    let npd = pod_of(&sim, "kube-system", "node-problem-detector-", "general-01").await;
    let previous = system
        .logs(
            &npd,
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .expect("previous logs");
    assert!(previous.contains("cannot start"), "{previous}");

    // A pod of two containers needs one named; a bad option is refused in upstream's words.
    let two = serde_json::from_value::<Pod>(json!({
        "metadata": {"name": "two", "namespace": "logging"},
        "spec": {"nodeName": "general-04", "containers": [
            {"name": "a", "image": "busybox:1.36"},
            {"name": "b", "image": "busybox:1.36"}
        ]}
    }))
    .expect("a pod");
    pods.create(&PostParams::default(), &two)
        .await
        .expect("created");
    eventually("the two containers run", || async {
        let p = pods.get("two").await.ok()?;
        let running = p
            .status?
            .container_statuses?
            .iter()
            .filter(|c| c.state.as_ref().and_then(|s| s.running.as_ref()).is_some())
            .count();
        (running == 2).then_some(())
    })
    .await;
    let err = pods
        .logs("two", &LogParams::default())
        .await
        .expect_err("a container must be named");
    assert!(
        err.to_string()
            .contains("a container name must be specified for pod two, choose one of: [a b]"),
        "{err}"
    );
    let b = pods
        .logs(
            "two",
            &LogParams {
                container: Some("b".into()),
                ..LogParams::default()
            },
        )
        .await
        .expect("container b");
    assert!(b.contains("Starting busybox version 1.36"), "{b}");
    let answer = common::server::raw(
        &client,
        axum::http::Method::GET,
        &format!("/api/v1/namespaces/logging/pods/{fluent}/log?tailLines=-2"),
        None,
        String::new(),
    )
    .await;
    assert_eq!(answer.code, 422, "{}", answer.text);
    assert!(
        answer.text.contains(&format!(
            "PodLogOptions \\\"{fluent}\\\" is invalid: tailLines: Invalid value: -2: must be greater than or equal to 0"
        )),
        "{}",
        answer.text
    );
}
