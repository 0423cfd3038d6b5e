//! `herd check` failing well, run as a user would: a refused token or user (401, 403) ends it at
//! once, a failing server (500, 503) or a closed port times out naming the server and the last
//! problem, a selection that matches nothing or an empty `--fail-on` is exit 2 — each with one
//! readable line on stderr that never carries a Debug dump or a credential.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use common::server::TestSim;

/// Far longer than a refusal may take, far shorter than the `--timeout 30s` it must not wait
/// out: proves the wait ended early without timing anything finely.
const NOT_WAITED_OUT: Duration = Duration::from_secs(10);

async fn demo() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await
}

async fn herd_check(kubeconfig: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_herd"))
        .arg("check")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .await
        .expect("herd runs")
}

/// Exit 2 and one readable line on stderr, returned; nothing on stdout.
fn one_line_exit_2(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
    assert!(stderr.starts_with("herd check: "), "{what}: {stderr}");
    assert!(
        !stderr.contains('{') && !stderr.contains("Status"),
        "{what}: a Debug dump: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{what}: no report: {stderr}");
    stderr
}

/// A copy of `kubeconfig` (JSON, as the simulator writes it) changed by `edit`, in `dir`.
fn edited_kubeconfig(kubeconfig: &Path, dir: &TempDir, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig");
    let mut config: Value = serde_json::from_str(&text).expect("the simulator writes JSON");
    edit(&mut config);
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, config.to_string()).expect("kubeconfig written");
    path
}

/// A kubeconfig for a plain-HTTP server at `server`, presenting `token`.
fn kubeconfig_for(dir: &TempDir, server: &str, token: &str) -> PathBuf {
    let path = dir.path().join("kubeconfig");
    let config = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "u"}}],
    });
    std::fs::write(&path, config.to_string()).expect("kubeconfig written");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_ends_the_check_at_once_naming_the_server_and_401() {
    let sim = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let token = "not-the-token-0123456789abcdef";
    let kubeconfig = edited_kubeconfig(&sim.kubeconfig, &dir, |c| {
        for user in c["users"].as_array_mut().expect("users") {
            user["user"]["token"] = json!(token);
        }
    });
    let started = Instant::now();
    let out = herd_check(&kubeconfig, &["--timeout", "30s"]).await;
    let took = started.elapsed();
    let line = one_line_exit_2(&out, "401");
    assert!(took < NOT_WAITED_OUT, "waited {took:?}: {line}");
    assert!(line.contains("401 Unauthorized"), "{line}");
    assert!(line.contains(&sim.handle.url()), "{line}");
    assert!(line.contains("context \"herd-sim\""), "{line}");
    assert!(line.contains("refused to list"), "{line}");
    assert!(!line.contains(token), "the token is printed: {line}");
}

/// Answers every request with a Kubernetes `Status` 403, as an API server does for a user RBAC
/// lets read nothing; returns its URL.
async fn forbidding_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = axum::Router::new().fallback(|| async {
        let status = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "nodes is forbidden: User \"ci\" cannot list resource \"nodes\" in API group \"\" at the cluster scope",
            "reason": "Forbidden", "details": {"kind": "nodes"}, "code": 403,
        });
        (StatusCode::FORBIDDEN, Json(status))
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_user_ends_the_check_at_once_with_the_servers_message() {
    let server = forbidding_server().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let token = "s3cret-token-of-ci-user";
    let kubeconfig = kubeconfig_for(&dir, &server, token);
    let started = Instant::now();
    let out = herd_check(&kubeconfig, &["--timeout", "30s"]).await;
    let took = started.elapsed();
    let line = one_line_exit_2(&out, "403");
    assert!(took < NOT_WAITED_OUT, "waited {took:?}: {line}");
    assert!(line.contains("403 Forbidden"), "{line}");
    assert!(
        line.contains("User \"ci\" cannot list resource \"nodes\""),
        "the server's own message: {line}"
    );
    assert!(line.contains(&server), "{line}");
    assert!(line.contains("context \"test\""), "{line}");
    assert!(!line.contains(token), "the token is printed: {line}");
}

/// 500 and 503 may pass: the check keeps trying until --timeout, then names the last problem
/// with its status and the server's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_server_times_out_naming_the_status_and_message() {
    let sim = demo().await;
    for (code, phrase) in [
        (500, "500 Internal Server Error"),
        (503, "503 Service Unavailable"),
    ] {
        sim.faults(json!({"failRate": 1.0, "failCode": code})).await;
        let out = herd_check(&sim.kubeconfig, &["--timeout", "2s"]).await;
        let line = one_line_exit_2(&out, phrase);
        assert!(line.contains("timed out after 2s"), "{line}");
        assert!(line.contains(&sim.handle.url()), "{line}");
        let last = line.split("last problem: ").nth(1).unwrap_or_default();
        assert!(last.contains(phrase), "{line}");
        assert!(
            last.contains("injected fault"),
            "the server's message: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_times_out_saying_the_server_could_not_be_reached() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = format!("https://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = kubeconfig_for(&dir, &server, "t");
    let out = herd_check(&kubeconfig, &["--timeout", "2s"]).await;
    let line = one_line_exit_2(&out, "closed port");
    assert!(line.contains(&server), "names the URL: {line}");
    assert!(line.contains("could not reach the server"), "{line}");
    assert!(line.to_lowercase().contains("connection refused"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_matching_nothing_is_exit_2_unless_allowed() {
    let sim = demo().await;
    let out = herd_check(&sim.kubeconfig, &["-n", "nope"]).await;
    let line = one_line_exit_2(&out, "-n nope");
    assert!(line.contains("namespace \"nope\" does not exist"), "{line}");
    assert!(
        line.contains("default") && line.contains("falco"),
        "lists the namespaces: {line}"
    );
    assert!(line.contains("--allow-empty"), "{line}");

    let out = herd_check(&sim.kubeconfig, &["-l", "app=typo"]).await;
    let line = one_line_exit_2(&out, "-l app=typo");
    assert!(
        line.contains("no DaemonSet in any namespace matches -l app=typo"),
        "{line}"
    );

    // The namespace exists, the selector matches nothing in it.
    let out = herd_check(&sim.kubeconfig, &["-n", "logging", "-l", "app=typo"]).await;
    let line = one_line_exit_2(&out, "-n logging -l app=typo");
    assert!(
        line.contains("no DaemonSet in namespace \"logging\" matches -l app=typo"),
        "{line}"
    );

    // A namespace that exists but runs no DaemonSet.
    let out = herd_check(&sim.kubeconfig, &["-n", "default"]).await;
    let line = one_line_exit_2(&out, "-n default");
    assert!(
        line.contains("namespace \"default\" has no DaemonSet"),
        "{line}"
    );

    for args in [
        &["-n", "nope", "--allow-empty"][..],
        &["-l", "app=typo", "--allow-empty", "-o", "json"][..],
    ] {
        let out = herd_check(&sim.kubeconfig, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!out.stdout.is_empty(), "{args:?}: a report");
    }
    let out = herd_check(
        &sim.kubeconfig,
        &["-l", "app=typo", "--allow-empty", "-o", "json"],
    )
    .await;
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["gaps"], json!([]));
    assert_eq!(report["failed_on"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_or_unknown_fail_on_item_is_exit_2_listing_the_valid_ones() {
    let sim = demo().await;
    for value in ["", "bogus", "missing,,failing", " "] {
        let flag = format!("--fail-on={value}");
        let out = herd_check(&sim.kubeconfig, &[&flag]).await;
        let line = one_line_exit_2(&out, &flag);
        assert!(line.contains("--fail-on"), "{line}");
        assert!(
            line.contains("missing, failing, node-down, stalled, untargeted, hog"),
            "{line}"
        );
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herd"))
        .args(["check", "--help"])
        .output()
        .expect("herd runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{help}");
    for needle in [
        "Exit codes:",
        "0  clean",
        "1  findings",
        "2  bad input",
        "--allow-empty",
    ] {
        assert!(help.contains(needle), "{needle:?} missing from:\n{help}");
    }
}
