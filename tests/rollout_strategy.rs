//! `herd rollout strategy` and `herd rollout restart` against the simulator over HTTP, as a
//! pipeline runs them: a strategy the API server would refuse is refused before anything is
//! sent, naming its field; an accepted edit lands as field manager `herd`; a DaemonSet under a
//! managed rollout is not edited; a plain restart is rolled out by the native RollingUpdate, a
//! managed one within its budget.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;

use common::objects::world_ds;
use common::rollout::{Worst, audit_lines, code, demo, herd, on_ready_nodes, record, text};
use common::server::TestSim;
use herd_core::engine::record::{ANNOTATION, State};

const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

fn version(sim: &TestSim, ns: &str, name: &str) -> String {
    world_ds(sim, ns, name)
        .metadata
        .resource_version
        .expect("a resourceVersion")
}

/// Writes (patch, update) to DaemonSets the simulator has served, from any client. The
/// controller's status writes change the resourceVersion of a DaemonSet in motion, so where
/// one is, this is the proof that herd sent nothing.
async fn daemonset_writes(sim: &TestSim) -> u64 {
    let stats = sim.stats().await;
    stats["byVerbAndResource"]
        .as_array()
        .expect("stats")
        .iter()
        .filter(|e| e["resource"] == "daemonsets.apps")
        .filter(|e| e["verb"] == "patch" || e["verb"] == "update")
        .map(|e| e["requests"].as_u64().expect("a count"))
        .sum()
}

/// The DaemonSet's live pods on Ready nodes (general-07 is NotReady in the demo), as
/// (node, pod name).
fn pods(sim: &TestSim, ns: &str, app: &str) -> Vec<(String, String)> {
    on_ready_nodes(sim, ns, app, |p| p.metadata.name.clone())
}

/// Herd's Events on a DaemonSet, as (reason, message).
fn events(sim: &TestSim, name: &str) -> Vec<(String, String)> {
    let world = sim.handle.world.lock();
    world
        .store
        .table::<Event>()
        .values()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter(|e| e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("herd"))
        .map(|e| {
            (
                e.reason.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// Waits until every pod of the DaemonSet on a Ready node is a new one (none of `before`),
/// one per node; panics with what is left after `wait`.
async fn until_replaced(
    sim: &TestSim,
    ns: &str,
    app: &str,
    before: &[(String, String)],
    wait: Duration,
) {
    let started = Instant::now();
    loop {
        let now = pods(sim, ns, app);
        let old: Vec<_> = now.iter().filter(|p| before.contains(p)).collect();
        if old.is_empty() && now.len() == before.len() {
            return;
        }
        assert!(
            started.elapsed() < wait,
            "{ns}/{app}: {} pods, still old: {old:?}",
            now.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `2026-12-03T14:25:01Z`: RFC 3339 in whole seconds, as kubectl writes it.
fn is_rfc3339_seconds(stamp: &str) -> bool {
    let shape = stamp.len() == 20
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    shape && stamp.parse::<jiff::Timestamp>().is_ok()
}

fn template_stamp(ds: &DaemonSet) -> Option<String> {
    ds.spec
        .template
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(RESTARTED_AT)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_strategy_names_its_field_and_sends_nothing() {
    let sim = demo().await;
    let before = version(&sim, "logging", "fluent-bit");
    let writes = daemonset_writes(&sim).await;
    let unavailable = "spec.updateStrategy.rollingUpdate.maxUnavailable";
    let surge = "spec.updateStrategy.rollingUpdate.maxSurge";
    let cases: &[(&[&str], String)] = &[
        (
            &["--max-unavailable", "0"],
            format!("{unavailable}: Required value: cannot be 0 when maxSurge is 0"),
        ),
        (
            &["--max-unavailable", "0%", "--max-surge", "0"],
            format!("{unavailable}: Required value: cannot be 0 when maxSurge is 0"),
        ),
        (
            &["--max-unavailable", "-1"],
            format!("{unavailable}: Invalid value: -1: must be greater than or equal to 0"),
        ),
        (
            &["--max-unavailable", "101%"],
            format!("{unavailable}: Invalid value: \"101%\": must not be greater than 100%"),
        ),
        (
            &["--max-unavailable", "ten"],
            format!("{unavailable}: Invalid value: \"ten\": a valid percent string"),
        ),
        (
            &["--max-unavailable", "0", "--max-surge", "-3"],
            format!("{surge}: Invalid value: -3: must be greater than or equal to 0"),
        ),
        (
            &["--max-unavailable", "0", "--max-surge", "150%"],
            format!("{surge}: Invalid value: \"150%\": must not be greater than 100%"),
        ),
        // fluent-bit has maxUnavailable 1: upstream allows only one of the two non-zero.
        (
            &["--max-surge", "1"],
            format!("{surge}: Invalid value: 1: may not be set when maxUnavailable is non-zero"),
        ),
        (
            &["--max-unavailable", "2", "--max-surge", "10%"],
            format!(
                "{surge}: Invalid value: \"10%\": may not be set when maxUnavailable is non-zero"
            ),
        ),
        (
            &["--min-ready-seconds", "-5"],
            "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0".into(),
        ),
        (
            &["--on-delete", "--max-unavailable", "2"],
            "spec.updateStrategy.rollingUpdate: Forbidden: may not be set when type is OnDelete"
                .into(),
        ),
        (
            &[],
            "spec.updateStrategy: Required value: nothing to change".into(),
        ),
    ];
    for (flags, says) in cases {
        let mut args = vec!["strategy", "-n", "logging", "fluent-bit"];
        args.extend_from_slice(flags);
        let out = herd(&sim, &args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), Some(2), "{flags:?}: {}", text(&out));
        assert_eq!(stderr.trim().lines().count(), 1, "{flags:?}: {stderr}");
        assert!(stderr.contains(says.as_str()), "{flags:?}: {stderr}");
        assert!(
            stderr.contains("daemonset logging/fluent-bit"),
            "{flags:?}: {stderr}"
        );
        assert_eq!(
            version(&sim, "logging", "fluent-bit"),
            before,
            "{flags:?}: nothing sent"
        );
    }
    assert_eq!(daemonset_writes(&sim).await, writes, "nothing sent");
    let strategy = world_ds(&sim, "logging", "fluent-bit")
        .spec
        .update_strategy
        .expect("strategy");
    let rolling = strategy.rolling_update.expect("rollingUpdate");
    assert_eq!(
        rolling.max_unavailable,
        Some(IntOrString::Int(1)),
        "as it was"
    );
    assert!(events(&sim, "fluent-bit").is_empty());
    assert!(audit_lines(&sim).is_empty(), "{:?}", audit_lines(&sim));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_edit_lands_as_field_manager_herd() {
    let sim = demo().await;
    let before = version(&sim, "logging", "fluent-bit");
    let out = herd(
        &sim,
        &[
            "strategy",
            "-n",
            "logging",
            "fluent-bit",
            "--max-unavailable",
            "0",
            "--max-surge",
            "25%",
            "--min-ready-seconds",
            "5",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "update strategy set to RollingUpdate (maxUnavailable 0, maxSurge 25%), \
             minReadySeconds 5"
        ),
        "{}",
        text(&out)
    );
    // Read back through the API, as any client sees it.
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, "logging");
    let ds = api.get("fluent-bit").await.expect("the daemonset");
    assert_ne!(
        ds.metadata.resource_version.as_deref(),
        Some(before.as_str())
    );
    let strategy = ds.spec.update_strategy.clone().expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    let rolling = strategy.rolling_update.expect("rollingUpdate");
    assert_eq!(rolling.max_unavailable, Some(IntOrString::Int(0)));
    assert_eq!(rolling.max_surge, Some(IntOrString::String("25%".into())));
    assert_eq!(ds.spec.min_ready_seconds, Some(5));
    let herd_fields = ds
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .find(|e| e.manager.as_deref() == Some("herd"))
        .and_then(|e| e.fields_v1.as_ref())
        .map(|f| f.0.to_string())
        .expect("a managedFields entry for herd");
    assert!(
        herd_fields.contains("f:updateStrategy") && herd_fields.contains("f:minReadySeconds"),
        "{herd_fields}"
    );
    assert!(
        ds.metadata
            .annotations
            .as_ref()
            .is_none_or(|a| !a.contains_key(ANNOTATION)),
        "a native edit takes nothing under management"
    );
    // Told as an Event and in the audit log, with the kubectl patch that does the same.
    assert!(
        events(&sim, "fluent-bit")
            .iter()
            .any(|(r, m)| r == "StrategyChanged" && m.contains("maxSurge 25%")),
        "{:?}",
        events(&sim, "fluent-bit")
    );
    let lines = audit_lines(&sim);
    let line = lines
        .iter()
        .find(|l| l["reason"] == "StrategyChanged")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let kubectl = line["kubectl"].as_str().expect("kubectl");
    assert!(
        kubectl.starts_with("kubectl patch daemonset -n logging fluent-bit --type merge -p '")
            && kubectl.contains(r#""maxSurge":"25%""#),
        "{kubectl}"
    );

    // The same edit again writes nothing; OnDelete drops rollingUpdate.
    let writes = daemonset_writes(&sim).await;
    let out = herd(
        &sim,
        &[
            "strategy",
            "-n",
            "logging",
            "fluent-bit",
            "--max-unavailable",
            "0",
            "--max-surge",
            "25%",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing written"));
    assert_eq!(daemonset_writes(&sim).await, writes, "nothing written");
    let out = herd(
        &sim,
        &["strategy", "-n", "logging", "fluent-bit", "--on-delete"],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let ds = api.get("fluent-bit").await.expect("the daemonset");
    let strategy = ds.spec.update_strategy.expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("OnDelete"));
    assert!(strategy.rolling_update.is_none(), "{strategy:?}");
    assert_eq!(ds.spec.min_ready_seconds, Some(5), "kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_of_a_daemonset_under_a_managed_rollout_is_refused() {
    let sim = demo().await;
    // Recorded, not carried out (no --wait, no engine): the rollout stays Progressing.
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
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let writes = daemonset_writes(&sim).await;
    let out = herd(
        &sim,
        &[
            "strategy",
            "-n",
            "logging",
            "fluent-bit",
            "--rolling-update",
            "--max-unavailable",
            "3",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("under a managed rollout (Progressing)")
            && stderr.contains("abort it first (herd rollout abort -n logging fluent-bit)"),
        "{stderr}"
    );
    assert_eq!(daemonset_writes(&sim).await, writes, "nothing sent");
    let ds = world_ds(&sim, "logging", "fluent-bit");
    assert_eq!(
        ds.spec.update_strategy.expect("strategy").type_.as_deref(),
        Some("OnDelete"),
        "still the engine's"
    );

    // Once aborted, the strategy is the DaemonSet's own again.
    let out = herd(&sim, &["abort", "-n", "logging", "fluent-bit"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = herd(
        &sim,
        &[
            "strategy",
            "-n",
            "logging",
            "fluent-bit",
            "--max-unavailable",
            "3",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let rolling = world_ds(&sim, "logging", "fluent-bit")
        .spec
        .update_strategy
        .and_then(|s| s.rolling_update)
        .expect("rollingUpdate");
    assert_eq!(rolling.max_unavailable, Some(IntOrString::Int(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_restart_is_rolled_out_by_the_native_rolling_update() {
    let sim = demo().await;
    // general-07's pod is unavailable and holds a budget of 1 whole: give the native
    // controller room first, with herd's own strategy edit.
    let out = herd(
        &sim,
        &[
            "strategy",
            "-n",
            "monitoring",
            "node-exporter",
            "--max-unavailable",
            "25%",
        ],
    )
    .await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let before = pods(&sim, "monitoring", "node-exporter");
    assert_eq!(before.len(), 39, "{before:?}");

    let out = herd(&sim, &["restart", "-n", "monitoring", "node-exporter"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("monitoring/node-exporter: restarted (RollingUpdate rolls it out)"),
        "{}",
        text(&out)
    );
    let ds = world_ds(&sim, "monitoring", "node-exporter");
    let stamp = template_stamp(&ds).expect("the restartedAt stamp");
    assert!(is_rfc3339_seconds(&stamp), "{stamp}");
    let age = jiff::Timestamp::now().duration_since(stamp.parse().expect("a time"));
    assert!(age.as_secs().abs() < 60, "{stamp} is now");
    assert!(
        ds.metadata
            .annotations
            .as_ref()
            .is_none_or(|a| !a.contains_key(ANNOTATION)),
        "a plain restart takes nothing under management"
    );
    assert_eq!(
        ds.spec.update_strategy.expect("strategy").type_.as_deref(),
        Some("RollingUpdate")
    );

    until_replaced(
        &sim,
        "monitoring",
        "node-exporter",
        &before,
        Duration::from_secs(90),
    )
    .await;
    assert!(
        events(&sim, "node-exporter")
            .iter()
            .any(|(r, m)| r == "Restarted" && m.contains(&stamp)),
        "{:?}",
        events(&sim, "node-exporter")
    );
    let lines = audit_lines(&sim);
    let line = lines
        .iter()
        .find(|l| l["reason"] == "Restarted")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        line["kubectl"]
            .as_str()
            .is_some_and(|k| k.contains("--type strategic") && k.contains(&stamp)),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_restart_replaces_every_pod_within_its_budget() {
    let sim = Arc::new(demo().await);
    let before = pods(&sim, "monitoring", "node-exporter");
    assert_eq!(before.len(), 39, "{before:?}");
    let worst = Worst::watch(&sim, "monitoring", "node-exporter");
    let out = herd(
        &sim,
        &[
            "restart",
            "-n",
            "monitoring",
            "node-exporter",
            "--managed",
            "--max-unavailable",
            "3",
            "--wait",
        ],
    )
    .await;
    let worst = worst.stop().await;
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("managed restart started")
            && stdout.contains("Complete, 39/39 nodes on revision"),
        "{stdout}"
    );
    // 3 at once, general-07's pod among them.
    assert!(
        worst <= 3,
        "{worst} unavailable at once, over the budget of 3"
    );
    until_replaced(
        &sim,
        "monitoring",
        "node-exporter",
        &before,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        record(&sim, "monitoring", "node-exporter").state,
        State::Complete
    );
    let ds = world_ds(&sim, "monitoring", "node-exporter");
    let stamp = template_stamp(&ds).expect("the restartedAt stamp");
    assert!(is_rfc3339_seconds(&stamp), "{stamp}");
    assert_eq!(
        ds.spec.update_strategy.expect("strategy").type_.as_deref(),
        Some("RollingUpdate"),
        "put back"
    );
    assert!(
        events(&sim, "node-exporter")
            .iter()
            .any(|(r, m)| r == "RolloutStarted" && m.contains("restart") && m.contains(&stamp)),
        "{:?}",
        events(&sim, "node-exporter")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_flags_without_managed_are_refused() {
    let sim = demo().await;
    let before = version(&sim, "monitoring", "node-exporter");
    let out = herd(
        &sim,
        &[
            "restart",
            "-n",
            "monitoring",
            "node-exporter",
            "--canary",
            "2",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("need --managed"), "{stderr}");
    assert_eq!(version(&sim, "monitoring", "node-exporter"), before);
}
