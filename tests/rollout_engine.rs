//! `herd rollout` against the simulator over HTTP, as a pipeline runs it: a managed rollout
//! completes within its budget and puts the strategy back; a canary pause holds until resumed;
//! a crash-looping image halts after its first batch, naming the nodes.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::objects::world_ds;
use common::rollout::{Worst, code, demo, herd, images, record, text};
use common::server::TestSim;
use herd_core::engine::record::{ANNOTATION, State};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_rollout_completes_within_its_budget_and_puts_the_strategy_back() {
    let sim = Arc::new(demo().await);
    // Watch the controller's own count of unavailable nodes the whole time.
    let worst = Worst::watch(&sim, "monitoring", "node-exporter");
    let new = "quay.io/prometheus/node-exporter:v1.9.0";
    let image = format!("node-exporter={new}");
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "monitoring",
            "node-exporter",
            "--image",
            &image,
            "--max-unavailable",
            "10%",
            "--wait",
        ],
    )
    .await;
    let worst = worst.stop().await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Complete, 39/39 nodes on revision")
            && stdout.contains("nodes down skipped: general-07"),
        "{stdout}"
    );
    // 10% of 40 is 4, general-07's pod among them.
    assert!(
        worst <= 4,
        "{worst} unavailable at once, over the budget of 4"
    );
    let placed = images(&sim, "monitoring", "node-exporter");
    assert_eq!(placed.len(), 39, "{placed:?}");
    assert!(placed.iter().all(|(_, i)| i == new), "{placed:?}");
    let ds = world_ds(&sim, "monitoring", "node-exporter");
    let strategy = ds.spec.update_strategy.expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"), "put back");
    assert_eq!(
        record(&sim, "monitoring", "node-exporter").state,
        State::Complete
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_pause_holds_until_resumed() {
    let sim = demo().await;
    let new = "cr.fluentbit.io/fluent/fluent-bit:3.3";
    let image = format!("fluent-bit={new}");
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "logging",
            "fluent-bit",
            "--image",
            &image,
            "--canary",
            "2",
            "--pause-after",
            "canary",
            "--max-unavailable",
            "20%",
            "--wait",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(3), "paused: {}", text(&out));
    let on_new = |sim: &TestSim| {
        images(sim, "logging", "fluent-bit")
            .into_iter()
            .filter(|(_, i)| i == new)
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
    };
    let canary = on_new(&sim);
    assert_eq!(canary, ["general-01", "general-02"]);
    // A simulated minute and more: the controller replaces nothing, herd deletes nothing.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(on_new(&sim), canary, "the pause holds");
    assert_eq!(
        record(&sim, "logging", "fluent-bit").state,
        State::Paused {
            at: Some(herd_core::engine::policy::PausePoint::Canary)
        }
    );

    let out = herd(&sim, &["resume", "-n", "logging", "fluent-bit"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = herd(&sim, &["status", "-n", "logging", "fluent-bit", "--wait"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert_eq!(on_new(&sim).len(), 39);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_image_halts_after_its_first_batch_naming_the_nodes() {
    let sim = demo().await;
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "kube-system",
            "kube-proxy",
            "--image",
            "kube-proxy=registry.k8s.io/kube-proxy:v1.34.0-crashloop",
            "--max-unavailable",
            "2",
            "--wait",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(1), "halted: {}", text(&out));
    let State::Halted { reason, nodes } = record(&sim, "kube-system", "kube-proxy").state else {
        panic!("not halted: {}", text(&out));
    };
    assert!(reason.contains("crash loop"), "{reason}");
    assert!(!nodes.is_empty() && nodes.len() <= 2, "{nodes:?}");
    let crashing = images(&sim, "kube-system", "kube-proxy")
        .into_iter()
        .filter(|(_, i)| i.ends_with("-crashloop"))
        .count();
    assert!(
        crashing <= 2,
        "only the first batch took the image: {crashing}"
    );

    let out = herd(&sim, &["abort", "-n", "kube-system", "kube-proxy"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let strategy = world_ds(&sim, "kube-system", "kube-proxy")
        .spec
        .update_strategy
        .expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_exit_2_with_one_line_and_changes_nothing() {
    let sim = demo().await;
    for (args, says) in [
        (
            &[
                "start",
                "-n",
                "logging",
                "fluent-bit",
                "--max-unavailable",
                "0",
            ][..],
            "at least 1",
        ),
        (
            &["start", "-n", "logging", "fluent-bit", "--image", "oops"][..],
            "CONTAINER=IMAGE",
        ),
        (&["pause", "-n", "logging", "nope"][..], "404"),
        (&["pause", "-n", "logging", "fluent-bit"][..], "not managed"),
    ] {
        let out = herd(&sim, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let ds = world_ds(&sim, "logging", "fluent-bit");
    assert!(
        ds.metadata
            .annotations
            .as_ref()
            .is_none_or(|a| !a.contains_key(ANNOTATION)),
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_changed_mid_rollout_is_what_gets_rolled_out() {
    let sim = demo().await;
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "logging",
            "fluent-bit",
            "--image",
            "fluent-bit=cr.fluentbit.io/fluent/fluent-bit:3.3",
            "--canary",
            "1",
            "--pause-after",
            "canary",
            // general-07 is down and holds one unit whatever happens.
            "--max-unavailable",
            "25%",
            "--wait",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    // `kubectl set image` by someone else while it is paused.
    let newest = "cr.fluentbit.io/fluent/fluent-bit:3.4";
    let api: kube::Api<k8s_openapi::api::apps::v1::DaemonSet> =
        kube::Api::namespaced(sim.client().await, "logging");
    let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [
        {"name": "fluent-bit", "image": newest}]}}}});
    api.patch(
        "fluent-bit",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Strategic(patch),
    )
    .await
    .expect("set image");
    let out = herd(&sim, &["resume", "-n", "logging", "fluent-bit"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = herd(&sim, &["status", "-n", "logging", "fluent-bit", "--wait"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let placed = images(&sim, "logging", "fluent-bit");
    assert!(
        placed.len() == 39 && placed.iter().all(|(_, i)| i == newest),
        "every node on the newest template: {placed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_used_up_by_a_node_down_is_said_not_waited_on_silently() {
    let sim = demo().await;
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "logging",
            "fluent-bit",
            "--image",
            "fluent-bit=cr.fluentbit.io/fluent/fluent-bit:3.3",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "recorded: {}", text(&out));
    let settled = |j: &serde_json::Value| j["target_revision"].is_number();
    let started = std::time::Instant::now();
    let status = loop {
        let out = herd(
            &sim,
            &["status", "-n", "logging", "fluent-bit", "-o", "json"],
        )
        .await;
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        if settled(&json) || started.elapsed() > common::server::DEADLINE {
            break json;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status["budget"], 1, "{status:#}");
    assert_eq!(status["nodes_down"], serde_json::json!(["general-07"]));
    assert_eq!(status["blocked_by_nodes_down"], true, "{status:#}");
    assert_eq!(status["updated"], 0);
}

/// The DaemonSet's first container image, as the API has it now.
fn template_image(sim: &TestSim, ns: &str, name: &str) -> String {
    let ds = world_ds(sim, ns, name);
    let template = ds.spec.template.spec.expect("a pod spec");
    template.containers[0].image.clone().expect("an image")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_image_halts_and_undo_restores_every_node() {
    let sim = demo().await;
    let original = template_image(&sim, "kube-system", "kube-proxy");
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "kube-system",
            "kube-proxy",
            "--image",
            "kube-proxy=registry.k8s.io/kube-proxy:v1.34.0-crashloop",
            "--max-unavailable",
            "3",
            "--wait",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(1), "halted: {}", text(&out));
    let out = herd(&sim, &["undo", "-n", "kube-system", "kube-proxy", "--wait"]).await;
    assert_eq!(code(&out), Some(0), "undone: {}", text(&out));
    let r = record(&sim, "kube-system", "kube-proxy");
    assert_eq!(r.state, State::RolledBack, "{}", text(&out));
    assert_eq!(template_image(&sim, "kube-system", "kube-proxy"), original);
    let placed = images(&sim, "kube-system", "kube-proxy");
    assert!(
        placed.len() == 39 && placed.iter().all(|(_, i)| *i == original),
        "every node back on {original}: {placed:?}"
    );
    let strategy = world_ds(&sim, "kube-system", "kube-proxy")
        .spec
        .update_strategy
        .expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"), "put back");
    // An undo to a revision that does not exist is refused, naming the ones that do.
    let out = herd(
        &sim,
        &[
            "undo",
            "-n",
            "kube-system",
            "kube-proxy",
            "--to-revision",
            "99",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("revision 99 not found"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_rollout_rolls_itself_back_when_the_policy_says_so() {
    let sim = demo().await;
    let original = template_image(&sim, "kube-system", "kube-proxy");
    let out = herd(
        &sim,
        &[
            "start",
            "-n",
            "kube-system",
            "kube-proxy",
            "--image",
            "kube-proxy=registry.k8s.io/kube-proxy:v1.34.0-pullerror",
            "--max-unavailable",
            "3",
            "--rollback-on-failure",
            "--wait",
        ],
    )
    .await;
    // Rolled back: the rollout itself failed.
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert_eq!(
        record(&sim, "kube-system", "kube-proxy").state,
        State::RolledBack
    );
    assert_eq!(template_image(&sim, "kube-system", "kube-proxy"), original);
    let placed = images(&sim, "kube-system", "kube-proxy");
    assert!(
        placed.len() == 39 && placed.iter().all(|(_, i)| *i == original),
        "{placed:?}"
    );
}
