//! Compressed transfer: the simulator gzips what upstream's API server gzips (lists, and any
//! answer of 128 KiB or more) for a client that asks, and never a watch; herd asks when told to
//! (`--compression always`, or `auto` for a server not on loopback) and reads the same fleet
//! either way.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::Request;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;
use tokio::process::Command;

use common::server::TestSim;

/// A client that neither asks for gzip nor undoes it, so what crosses the wire shows.
async fn raw_client(sim: &TestSim) -> Client {
    let file = Kubeconfig::read_from(&sim.kubeconfig).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
        .await
        .expect("config");
    config.disable_compression = true;
    Client::try_from(config).expect("client")
}

/// (Content-Encoding, the first two body bytes) of a GET sent with `Accept-Encoding: gzip`.
async fn encoding_of(c: &Client, path: &str) -> (Option<String>, Vec<u8>) {
    let request = Request::builder()
        .uri(path)
        .header("accept-encoding", "gzip")
        .body(kube::client::Body::empty())
        .expect("request");
    let response = c.send(request).await.expect("response");
    let encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let mut body = response.into_body();
    let first = common::server::next_chunk(&mut body).await.expect("a body");
    let bytes = first[..2].to_vec();
    (encoding, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_gzips_lists_and_big_answers_but_never_a_watch() {
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await;
    let c = raw_client(&sim).await;
    let (encoding, magic) = encoding_of(&c, "/api/v1/pods").await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(magic, [0x1f, 0x8b], "a gzip stream");
    // A small answer of known size is sent as it is.
    let (encoding, _) = encoding_of(&c, "/api/v1/namespaces/default").await;
    assert_eq!(encoding, None);
    // A watch streams events as they happen: never held back in a compressor.
    let (encoding, _) = encoding_of(&c, "/api/v1/namespaces?watch=1&timeoutSeconds=1").await;
    assert_eq!(encoding, None);
}

/// `herd check -o json`, with `--compression`; the output without its poll times.
async fn check(sim: &TestSim, compression: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_herd"))
        .args([
            "check",
            "-o",
            "json",
            "--compression",
            compression,
            "--kubeconfig",
        ])
        .arg(&sim.kubeconfig)
        .output()
        .await
        .expect("herd runs");
    let mut report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    strip_times(&mut report);
    report
}

fn strip_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("at");
            map.values_mut().for_each(strip_times);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herd_reads_the_same_fleet_gzipped_or_not() {
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.app_pods_per_node = 5;
        o.speed = 0.0;
    })
    .await;
    let never = check(&sim, "never").await;
    let asked_never = sim.stats().await["gzipRequests"].as_u64().expect("count");
    // The simulator is on loopback: auto does not ask either.
    let auto = check(&sim, "auto").await;
    let asked_auto = sim.stats().await["gzipRequests"].as_u64().expect("count");
    let always = check(&sim, "always").await;
    let asked_always = sim.stats().await["gzipRequests"].as_u64().expect("count");
    assert_eq!((asked_never, asked_auto), (0, 0));
    assert!(
        asked_always > 5,
        "every request asked for gzip: {asked_always}"
    );
    assert_eq!(always, never);
    assert_eq!(auto, never);
    assert!(
        never["gaps"].as_array().is_some_and(|g| !g.is_empty()),
        "the demo's gaps are read"
    );
}
