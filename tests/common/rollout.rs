//! Helpers for the engine's tests: the demo at speed, `herd rollout …` and `herd engine` as a
//! pipeline runs them, the record as stored, where each pod runs which image, and a watch on
//! the controller's own count of unavailable nodes.

use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::objects::world_ds;
use super::server::{DEADLINE, TestSim};
use herd_core::engine::record::{ANNOTATION, RolloutRecord, State};

/// The demo at 20× (general-07 is NotReady, and holds one unit of any budget).
pub async fn demo() -> TestSim {
    demo_with(None).await
}

/// The demo scaled to `nodes`, at 20×.
pub async fn demo_with(nodes: Option<usize>) -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 20.0;
        o.nodes = nodes;
    })
    .await
}

/// `herd rollout ARGS --kubeconfig …`, to completion.
pub async fn herd(sim: &TestSim, args: &[&str]) -> Output {
    herd_command(sim, "rollout", args).await
}

/// `herd target ARGS --kubeconfig …`, to completion.
pub async fn herd_target(sim: &TestSim, args: &[&str]) -> Output {
    herd_command(sim, "target", args).await
}

/// `herd COMMAND ARGS --kubeconfig …` on `sim`, to completion.
async fn herd_command(sim: &TestSim, command: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_herd"))
        .arg(command)
        .args(args)
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .env_remove("KUBECONFIG")
        // The audit log goes beside the simulator's kubeconfig, not into the tester's home.
        .env("XDG_STATE_HOME", state_dir(sim))
        .output()
        .await
        .expect("herd runs")
}

/// `herd engine` in the background under `identity`, its output piped; killed when dropped.
pub fn engine(sim: &TestSim, identity: &str, lease_seconds: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_herd"))
        .args(["engine", "--identity", identity, "--lease-seconds"])
        .arg(lease_seconds.to_string())
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .env_remove("KUBECONFIG")
        .env("XDG_STATE_HOME", state_dir(sim))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("herd engine starts")
}

/// The simulator's own private directory, where the tests' audit logs go.
pub fn state_dir(sim: &TestSim) -> &std::path::Path {
    sim.kubeconfig.parent().expect("the kubeconfig's directory")
}

/// The audit log's lines, as written by every herd the tests ran against `sim`.
pub fn audit_lines(sim: &TestSim) -> Vec<serde_json::Value> {
    let path = state_dir(sim).join("herd").join("audit.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// What a stopped engine printed.
pub async fn engine_output(mut child: Child) -> String {
    let _ = child.start_kill();
    let out = child.wait_with_output().await.expect("engine output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn record(sim: &TestSim, ns: &str, name: &str) -> RolloutRecord {
    let ds = world_ds(sim, ns, name);
    let text = ds
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION))
        .expect("the record");
    RolloutRecord::decode(text).expect("a record herd can read")
}

/// Waits for the record to reach a state `done` accepts; panics with the last one after the
/// deadline (`wait` longer than the suite's usual).
pub async fn until_state(
    sim: &TestSim,
    ns: &str,
    name: &str,
    wait: Duration,
    done: impl Fn(&State) -> bool,
) -> State {
    let started = Instant::now();
    loop {
        let state = record(sim, ns, name).state;
        if done(&state) {
            return state;
        }
        assert!(
            started.elapsed() < wait.max(DEADLINE),
            "{ns}/{name} still {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `(node, what)` for each of the DaemonSet's live pods on Ready nodes (general-07 is
/// NotReady in the demo), sorted.
pub fn on_ready_nodes(
    sim: &TestSim,
    ns: &str,
    app: &str,
    what: impl Fn(&Pod) -> Option<String>,
) -> Vec<(String, String)> {
    let world = sim.handle.world.lock();
    let mut out: Vec<(String, String)> = world
        .store
        .table::<Pod>()
        .values()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.values().any(|v| v == app))
        })
        .filter_map(|p| Some((p.spec.as_ref()?.node_name.clone()?, what(p)?)))
        .filter(|(node, _)| node != "general-07")
        .collect();
    out.sort();
    out
}

/// Images of the DaemonSet's live pods on Ready nodes, by node.
pub fn images(sim: &TestSim, ns: &str, app: &str) -> Vec<(String, String)> {
    on_ready_nodes(sim, ns, app, |p| {
        p.spec.as_ref()?.containers.first()?.image.clone()
    })
}

pub fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

pub fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Watches the DaemonSet controller's `numberUnavailable` every 20 ms and keeps the worst.
pub struct Worst {
    done: Arc<AtomicBool>,
    worst: Arc<AtomicI32>,
    task: JoinHandle<()>,
}

impl Worst {
    pub fn watch(sim: &Arc<TestSim>, ns: &str, name: &str) -> Self {
        let (done, worst) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicI32::new(0)),
        );
        let task = {
            let (sim, done, worst) = (Arc::clone(sim), Arc::clone(&done), Arc::clone(&worst));
            let (ns, name) = (ns.to_string(), name.to_string());
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    let ds = world_ds(&sim, &ns, &name);
                    let unavailable = ds
                        .status
                        .as_ref()
                        .and_then(|s| s.number_unavailable)
                        .unwrap_or(0);
                    worst.fetch_max(unavailable, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        Worst { done, worst, task }
    }

    /// Stops watching; the most unavailable seen at once.
    pub async fn stop(self) -> i32 {
        self.done.store(true, Ordering::Relaxed);
        self.task.await.expect("watcher");
        self.worst.load(Ordering::Relaxed)
    }
}
