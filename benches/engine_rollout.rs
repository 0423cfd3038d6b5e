//! The rollout engine against the native controller, on the simulated 1,000-node demo fleet:
//!
//! 1. **Native vs managed.** The time a native `RollingUpdate` rollout (`maxUnavailable: 10%`,
//!    `maxSurge: 0`) of `monitoring/node-exporter` takes after an image change, against a
//!    managed rollout of another image change on the same DaemonSet at `--max-unavailable 10%`,
//!    carried out by the engine runner (`herd_cluster::runner::run`, tick 500 ms) in this
//!    process. Runs alternate (native, managed, native, …), each on a fresh image tag.
//!    - A native rollout is complete when every node that is Ready has exactly one live
//!      node-exporter pod, on the new image and Available, read from the simulator's world.
//!    - A managed rollout is complete when its record says `Complete`, which the engine writes
//!      once it sees the same thing; the same check of the world then holds it to that.
//! 2. **Engine latency.** For every batch of a managed run after its first: the time from the
//!    moment the budget had room again to the engine's next deletions.
//!
//! **Clock.** The simulator runs in-process at speed 1.0: a pod takes about 2–7 s of real time
//! from its creation to Ready (admission 0.2–1 s, start 1–3 s, readiness 1–3 s) and an old
//! pod 1–2 s to stop, as a small agent does on a real node. At speed 1.0 the simulated clock is
//! the wall clock shifted by a constant: the world is built an hour back, run forward to the
//! wall clock, and then stepped every 50 ms to `start + elapsed`. The shift is measured (the
//! smallest `wall − world.now()` over many samples, as the world's clock only lags the wall
//! between steps) and added to every simulated timestamp, so timestamps the simulator wrote
//! (a pod's Ready `lastTransitionTime`, its `deletionTimestamp`) and the engine's own reports
//! (timed with `Timestamp::now()`) are on one clock. Timestamps are read from the world's
//! objects in memory, at full precision, not from the API's whole-second JSON.
//!
//! **Batches.** The engine plans again on every change, so it does not wait for a whole batch:
//! as soon as a new pod becomes Available the budget has room for one more deletion. A batch
//! is *ready* at the first moment after the previous batch's deletions that a new pod became
//! Available (its Ready condition's `lastTransitionTime` plus `minReadySeconds`), which for an
//! engine that waited out whole batches would be the last pod of the previous batch. The
//! engine's *next deletions* are the earliest deletion of the batch's pods (the
//! `deletionTimestamp` minus its grace period, i.e. the time the API server took the delete);
//! the time the runner reported the batch (`Report::Acted`, reason `RolloutBatch`, after its
//! deletions and its Event) is shown beside it. A batch with no new pod Available since the
//! previous one (the engine's own lag cannot be measured from it) is counted and left out.
//! Times are as good as the simulator's 50 ms step: a pod's Ready transition may carry a time
//! up to one step before the step that made it visible.
//!
//! **Budget.** A watcher reads the DaemonSet controller's `numberUnavailable` every 20 ms and
//! keeps the worst of each run; it is printed next to the budget (100 of 1,000 nodes).
//!
//! Run with `cargo bench --bench engine_rollout` (add `-- --runs N` for N pairs, default 3;
//! `--nodes N` for another fleet size). Figures are printed, never asserted; a rollout that
//! does not complete, or completes wrong, panics.
// Benchmark code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herd_cluster::rollout;
use herd_cluster::runner::{self, Options, Report};
use herd_cluster::watch::Scope;
use herd_core::engine::action::Reason;
use herd_core::engine::policy::Policy;
use herd_core::engine::record::{ANNOTATION, RolloutRecord, State};
use herd_sim::server::{self, ServerOptions, SimHandle};
use herd_sim::world::SharedWorld;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde_json::json;

const NS: &str = "monitoring";
const DS: &str = "node-exporter";
const CONTAINER: &str = "node-exporter";
const REPO: &str = "quay.io/prometheus/node-exporter";
const BUDGET: &str = "10%";
/// Simulated seconds per real second.
const SPEED: f64 = 1.0;
/// The longest any one rollout may take before the bench gives up.
const ROLLOUT_DEADLINE: Duration = Duration::from_secs(600);

struct Args {
    nodes: usize,
    runs: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        nodes: 1_000,
        runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        match a.as_str() {
            "--nodes" => args.nodes = value(),
            "--runs" => args.runs = value().max(1),
            _ => {} // cargo bench passes `--bench`; ignore what we do not know.
        }
    }
    args
}

async fn client(kubeconfig: &std::path::Path) -> Client {
    let file = Kubeconfig::read_from(kubeconfig).expect("the kubeconfig the simulator wrote");
    let options = KubeConfigOptions {
        context: Some(server::CONTEXT.to_string()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(file, &options)
        .await
        .expect("a kube config");
    Client::try_from(config).expect("a client")
}

/// `wall − simulated`: the smallest difference over many samples (the world's clock only
/// ever lags the wall clock between two steps).
async fn clock_shift(world: &SharedWorld) -> SignedDuration {
    let mut best: Option<SignedDuration> = None;
    for i in 0..200u64 {
        let sim = world.lock().now();
        let shift = Timestamp::now().duration_since(sim);
        best = Some(best.map_or(shift, |b| b.min(shift)));
        // Sample at different phases of the 50 ms step.
        tokio::time::sleep(Duration::from_millis(7 + i % 5)).await;
    }
    best.expect("samples")
}

fn is_ours(p: &Pod) -> bool {
    p.metadata.namespace.as_deref() == Some(NS)
        && p.metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "DaemonSet" && o.name == DS)
}

fn image_of(p: &Pod) -> Option<&str> {
    p.spec
        .as_ref()?
        .containers
        .iter()
        .find(|c| c.name == CONTAINER)?
        .image
        .as_deref()
}

/// When the pod's Ready condition last turned True, if it is True.
fn ready_since(p: &Pod) -> Option<Timestamp> {
    p.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready" && c.status == "True")?
        .last_transition_time
        .as_ref()
        .map(|t| t.0)
}

fn node_ready(n: &Node) -> bool {
    n.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn min_ready_seconds(world: &SharedWorld) -> i64 {
    let w = world.lock();
    let ds = w.store.get::<DaemonSet>(NS, DS).expect("the DaemonSet");
    i64::from(ds.spec.min_ready_seconds.unwrap_or(0))
}

/// How far the DaemonSet is from "every Ready node runs one live pod of `image`, Available":
/// the number of Ready nodes not there yet (0 = done), and the Ready nodes counted.
fn not_done(world: &SharedWorld, image: &str, min_ready: i64) -> (usize, usize) {
    let w = world.lock();
    let now = w.now();
    let ready_nodes: Vec<&str> = w
        .store
        .table::<Node>()
        .values()
        .filter(|n| node_ready(n))
        .filter_map(|n| n.metadata.name.as_deref())
        .collect();
    let mut good: HashMap<&str, usize> = HashMap::new();
    let mut live: HashMap<&str, usize> = HashMap::new();
    for p in w.store.table::<Pod>().values().filter(|p| is_ours(p)) {
        let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            continue;
        };
        if p.metadata.deletion_timestamp.is_some() {
            continue;
        }
        *live.entry(node).or_default() += 1;
        let available = ready_since(p).is_some_and(|t| {
            t.checked_add(SignedDuration::from_secs(min_ready))
                .is_ok_and(|at| at <= now)
        });
        if image_of(p) == Some(image) && available {
            *good.entry(node).or_default() += 1;
        }
    }
    let missing = ready_nodes
        .iter()
        .filter(|n| !(good.get(*n) == Some(&1) && live.get(*n) == Some(&1)))
        .count();
    (missing, ready_nodes.len())
}

async fn wait_done(world: &SharedWorld, image: &str, what: &str) {
    let min_ready = min_ready_seconds(world);
    let started = Instant::now();
    loop {
        let (missing, _) = not_done(world, image, min_ready);
        if missing == 0 {
            return;
        }
        assert!(
            started.elapsed() < ROLLOUT_DEADLINE,
            "{what}: {missing} Ready nodes still not on {image} and Available"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn current_image(world: &SharedWorld) -> String {
    let w = world.lock();
    let ds = w.store.get::<DaemonSet>(NS, DS).expect("the DaemonSet");
    ds.spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.iter().find(|c| c.name == CONTAINER))
        .and_then(|c| c.image.clone())
        .expect("the container's image")
}

fn record(world: &SharedWorld) -> Option<RolloutRecord> {
    let w = world.lock();
    let ds = w.store.get::<DaemonSet>(NS, DS)?;
    let text = ds.metadata.annotations.as_ref()?.get(ANNOTATION)?;
    Some(RolloutRecord::decode(text).expect("a record herd can read"))
}

/// What the watcher saw of one pod.
#[derive(Debug, Clone, Default)]
struct Trace {
    name: String,
    image: String,
    /// When its Ready condition turned True (simulated clock).
    ready: Option<Timestamp>,
    /// When the API server took its delete (simulated clock).
    deleted: Option<Timestamp>,
}

/// Watches the world during one run: the worst `numberUnavailable` (every 20 ms) and every
/// pod's Ready and deletion times (every 100 ms; a deleted pod stays at least a second).
struct Watcher {
    done: Arc<AtomicBool>,
    worst: Arc<AtomicI32>,
    pods: Arc<Mutex<HashMap<String, Trace>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    fn start(world: &SharedWorld) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let worst = Arc::new(AtomicI32::new(0));
        let pods: Arc<Mutex<HashMap<String, Trace>>> = Arc::default();
        let task = {
            let (world, done, worst, pods) = (
                world.clone(),
                Arc::clone(&done),
                Arc::clone(&worst),
                Arc::clone(&pods),
            );
            tokio::spawn(async move {
                let mut round = 0u64;
                while !done.load(Ordering::Relaxed) {
                    {
                        let w = world.lock();
                        if let Some(ds) = w.store.get::<DaemonSet>(NS, DS) {
                            let unavailable = ds
                                .status
                                .as_ref()
                                .and_then(|s| s.number_unavailable)
                                .unwrap_or(0);
                            worst.fetch_max(unavailable, Ordering::Relaxed);
                        }
                        if round.is_multiple_of(5) {
                            let mut pods = pods.lock().unwrap();
                            for p in w.store.table::<Pod>().values().filter(|p| is_ours(p)) {
                                let Some(uid) = p.metadata.uid.clone() else {
                                    continue;
                                };
                                let t = pods.entry(uid).or_insert_with(|| Trace {
                                    name: p.metadata.name.clone().unwrap_or_default(),
                                    image: image_of(p).unwrap_or_default().to_string(),
                                    ..Trace::default()
                                });
                                if t.ready.is_none() {
                                    t.ready = ready_since(p);
                                }
                                if t.deleted.is_none()
                                    && let Some(deadline) = &p.metadata.deletion_timestamp
                                {
                                    let grace =
                                        p.metadata.deletion_grace_period_seconds.unwrap_or(0);
                                    t.deleted = deadline
                                        .0
                                        .checked_sub(SignedDuration::from_secs(grace))
                                        .ok();
                                }
                            }
                        }
                    }
                    round += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        Watcher {
            done,
            worst,
            pods,
            task,
        }
    }

    async fn stop(self) -> (i32, HashMap<String, Trace>) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let pods = std::mem::take(&mut *self.pods.lock().unwrap());
        (self.worst.load(Ordering::Relaxed), pods)
    }
}

async fn patch_ds(client: &Client, patch: serde_json::Value) {
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), NS);
    api.patch(DS, &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .expect("the DaemonSet patched");
}

/// One run's outcome.
struct Run {
    kind: &'static str,
    image: String,
    took: Duration,
    worst: i32,
    batches: usize,
}

async fn native(client: &Client, world: &SharedWorld, image: &str) -> Run {
    let watcher = Watcher::start(world);
    let started = Instant::now();
    patch_ds(
        client,
        json!({"spec": {"template": {"spec": {"containers": [{"name": CONTAINER, "image": image}]}}}}),
    )
    .await;
    wait_done(world, image, "native rollout").await;
    let took = started.elapsed();
    let (worst, _) = watcher.stop().await;
    Run {
        kind: "native",
        image: image.to_string(),
        took,
        worst,
        batches: 0,
    }
}

/// A batch as the runner reported it: its number, its pods, and when it was reported.
struct Reported {
    pods: Vec<String>,
    at: Timestamp,
}

/// One batch's latency: from room in the budget to the first deletion, and to the report.
struct Latency {
    to_delete: SignedDuration,
    to_report: SignedDuration,
}

async fn managed(
    client: &Client,
    world: &SharedWorld,
    image: &str,
    shift: SignedDuration,
    run: usize,
) -> (Run, Vec<Latency>, usize) {
    // The engine as `herd engine -n monitoring` runs it, already watching when the rollout is
    // recorded (as it is when a pipeline records one with `herd rollout start`).
    let reports: Arc<Mutex<Vec<Reported>>> = Arc::default();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let engine = {
        let client = client.clone();
        let reports = Arc::clone(&reports);
        let mut ready_tx = Some(ready_tx);
        tokio::spawn(runner::run(
            client,
            Options {
                identity: format!("bench-engine-{run}"),
                lease: Duration::from_secs(15),
                scope: Scope {
                    namespace: Some(NS.to_string()),
                    daemon_set_labels: None,
                    pods: herd_cluster::watch::PodScope::Daemon,
                },
                tick: Duration::from_millis(500),
            },
            move |report| match report {
                Report::Ready { .. } => {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
                Report::Acted(a) if a.reason == Reason::RolloutBatch => {
                    let at = Timestamp::now();
                    let pods = a
                        .message
                        .split_once(": deleted ")
                        .map(|(_, names)| names.split(", ").map(str::to_string).collect())
                        .unwrap_or_default();
                    reports.lock().unwrap().push(Reported { pods, at });
                }
                Report::Trouble {
                    daemon_set,
                    message,
                } => eprintln!("engine trouble: {daemon_set}: {message}"),
                Report::BlockedByDown { .. }
                | Report::Holding { .. }
                | Report::HeldBy { .. }
                | Report::Acted(_) => {}
            },
        ))
    };
    ready_rx.await.expect("the engine lists the fleet");

    let watcher = Watcher::start(world);
    let started = Instant::now();
    let started_wall = Timestamp::now();
    let policy = Policy {
        max_unavailable: BUDGET.to_string(),
        ..Policy::default()
    };
    rollout::start(
        client,
        NS,
        DS,
        policy,
        &[(CONTAINER.to_string(), image.to_string())],
        Timestamp::now(),
    )
    .await
    .expect("the rollout recorded");
    loop {
        let state = record(world).map(|r| r.state);
        match state {
            Some(State::Complete) => break,
            Some(State::Progressing) => {}
            other => panic!("managed rollout ended {other:?}"),
        }
        assert!(
            started.elapsed() < ROLLOUT_DEADLINE,
            "managed rollout still {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    let completed_wall = Timestamp::now();
    let (worst, pods) = watcher.stop().await;
    engine.abort();
    let _ = engine.await;
    // Complete means the world agrees.
    let (missing, _) = not_done(world, image, min_ready_seconds(world));
    assert_eq!(
        missing, 0,
        "Complete with {missing} Ready nodes not on {image}"
    );

    let reports = std::mem::take(&mut *reports.lock().unwrap());
    let min_ready = min_ready_seconds(world);
    let (latencies, skipped) = latencies(&reports, &pods, image, shift, min_ready);
    // Where the rest of the time goes: from the start to the first deletion (the record
    // written, the controller's new revision, the engine retargeting), and from the last new pod
    // Available to the record saying Complete.
    let wall = |t: Timestamp| t.checked_add(shift).expect("in range");
    let first_delete = pods.values().filter_map(|t| t.deleted).min().map(wall);
    let last_available = pods
        .values()
        .filter(|t| t.image == image)
        .filter_map(|t| t.ready)
        .max()
        .map(|t| {
            wall(
                t.checked_add(SignedDuration::from_secs(min_ready))
                    .expect("in range"),
            )
        });
    if let (Some(first), Some(last)) = (first_delete, last_available) {
        println!(
            "    start to the first deletion {}, last new pod Available to Complete seen {}",
            ms(first.duration_since(started_wall)),
            ms(completed_wall.duration_since(last))
        );
    }
    (
        Run {
            kind: "managed",
            image: image.to_string(),
            took,
            worst,
            batches: reports.len(),
        },
        latencies,
        skipped,
    )
}

/// Each batch after the first: from the first new pod Available after the previous batch's
/// first deletion to this batch's first deletion (and to its report). Also how many batches
/// had no new pod Available before them to measure from.
fn latencies(
    reports: &[Reported],
    pods: &HashMap<String, Trace>,
    image: &str,
    shift: SignedDuration,
    min_ready: i64,
) -> (Vec<Latency>, usize) {
    let wall = |t: Timestamp| t.checked_add(shift).expect("in range");
    let by_name: HashMap<&str, &Trace> = pods.values().map(|t| (t.name.as_str(), t)).collect();
    let mut available: Vec<Timestamp> = pods
        .values()
        .filter(|t| t.image == image)
        .filter_map(|t| t.ready)
        .map(|t| {
            wall(
                t.checked_add(SignedDuration::from_secs(min_ready))
                    .expect("in range"),
            )
        })
        .collect();
    available.sort();
    let deleted_at = |r: &Reported| {
        r.pods
            .iter()
            .filter_map(|n| by_name.get(n.as_str())?.deleted)
            .min()
            .map(wall)
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for pair in reports.windows(2) {
        let (Some(previous), Some(this)) = (deleted_at(&pair[0]), deleted_at(&pair[1])) else {
            skipped += 1;
            continue;
        };
        match available.iter().find(|a| **a > previous) {
            Some(room) if *room <= this => out.push(Latency {
                to_delete: this.duration_since(*room),
                to_report: pair[1].at.duration_since(*room),
            }),
            _ => skipped += 1,
        }
    }
    (out, skipped)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn ms(d: SignedDuration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn percentile(mut v: Vec<SignedDuration>, p: f64) -> SignedDuration {
    v.sort();
    if v.is_empty() {
        return SignedDuration::ZERO;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench(args));
}

async fn bench(args: Args) {
    let dir = herd_sim::private_file::fresh_private_dir("herd-bench-").expect("a private dir");
    let kubeconfig = dir.path().join("kubeconfig");
    println!(
        "herd engine rollout benchmark: demo at {} nodes, {NS}/{DS}, budget {BUDGET}, speed {SPEED}, {} runs of each",
        args.nodes, args.runs
    );
    let built = Instant::now();
    let handle: SimHandle = server::start(ServerOptions {
        scenario: "demo".into(),
        nodes: Some(args.nodes),
        speed: SPEED,
        kubeconfig: Some(kubeconfig.clone()),
        ..ServerOptions::default()
    })
    .await
    .expect("the simulator starts");
    let world = handle.world.clone();
    println!("simulator serving after {}", secs(built.elapsed()));
    let client = client(&kubeconfig).await;

    // Settled on the scenario's image, then on the native strategy the bench compares with.
    let first = current_image(&world);
    wait_done(&world, &first, "the demo settling").await;
    patch_ds(
        &client,
        json!({"spec": {"updateStrategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": BUDGET, "maxSurge": 0}}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    wait_done(&world, &first, "the strategy change settling").await;
    let (_, ready_nodes) = not_done(&world, &first, 0);
    let desired = {
        let w = world.lock();
        let ds = w.store.get::<DaemonSet>(NS, DS).expect("the DaemonSet");
        ds.status.as_ref().map_or(0, |s| s.desired_number_scheduled)
    };
    let budget = (desired * 10 + 99) / 100;
    let shift = clock_shift(&world).await;
    println!(
        "settled: {desired} nodes should run {DS} ({ready_nodes} Ready), budget {budget}; \
         simulated clock + {} = wall clock",
        ms(shift)
    );

    let mut runs: Vec<Run> = Vec::new();
    let mut all_latencies: Vec<Latency> = Vec::new();
    let mut skipped = 0;
    let mut tag = 0;
    for run in 0..args.runs {
        for kind in ["native", "managed"] {
            tag += 1;
            let image = format!("{REPO}:v1.9.{tag}");
            let r = if kind == "native" {
                native(&client, &world, &image).await
            } else {
                let (r, lat, skip) = managed(&client, &world, &image, shift, run).await;
                let to_delete: Vec<SignedDuration> = lat.iter().map(|l| l.to_delete).collect();
                println!(
                    "    {} batches measured ({} left out): to the deletions p50 {}, p95 {}, max {}; {} over 1 s",
                    lat.len(),
                    skip,
                    ms(percentile(to_delete.clone(), 50.0)),
                    ms(percentile(to_delete.clone(), 95.0)),
                    ms(percentile(to_delete.clone(), 100.0)),
                    to_delete
                        .iter()
                        .filter(|d| **d > SignedDuration::from_secs(1))
                        .count(),
                );
                all_latencies.extend(lat);
                skipped += skip;
                r
            };
            println!(
                "  run {}: {:<7} {:<40} {:>7}  worst unavailable {} of budget {budget}{}",
                run + 1,
                r.kind,
                r.image,
                secs(r.took),
                r.worst,
                if r.kind == "managed" {
                    format!(", {} batches", r.batches)
                } else {
                    String::new()
                }
            );
            runs.push(r);
            // Let the last pods' statuses settle before the next image change.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    println!();
    println!(
        "| run | native | managed | managed/native | worst unavailable (native, managed) / budget |"
    );
    println!("|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for (i, pair) in runs.chunks(2).enumerate() {
        let [n, m] = pair else { continue };
        let ratio = m.took.as_secs_f64() / n.took.as_secs_f64();
        ratios.push(ratio);
        println!(
            "| {} | {} | {} | {:.2}× | {}, {} / {budget} |",
            i + 1,
            secs(n.took),
            secs(m.took),
            ratio,
            n.worst,
            m.worst
        );
    }
    let ratio = median(ratios);
    println!(
        "median managed/native: {ratio:.2}× (target ≤ 1.2×: {})",
        if ratio <= 1.2 { "pass" } else { "MISS" }
    );
    let worst = runs.iter().map(|r| r.worst).max().unwrap_or(0);
    println!(
        "worst numberUnavailable over every run: {worst} (budget {budget}: {})",
        if worst <= budget {
            "never exceeded"
        } else {
            "EXCEEDED"
        }
    );
    let to_delete: Vec<SignedDuration> = all_latencies.iter().map(|l| l.to_delete).collect();
    let to_report: Vec<SignedDuration> = all_latencies.iter().map(|l| l.to_report).collect();
    let p95 = percentile(to_delete.clone(), 95.0);
    println!();
    println!(
        "engine latency, budget room to the next deletions, {} batches of {} managed runs ({} left out):",
        all_latencies.len(),
        args.runs,
        skipped
    );
    println!("| measure | p50 | p95 | max |");
    println!("|---|---|---|---|");
    for (what, v) in [
        ("to the first deletion (deletionTimestamp)", &to_delete),
        ("to the runner's RolloutBatch report", &to_report),
    ] {
        println!(
            "| {what} | {} | {} | {} |",
            ms(percentile(v.clone(), 50.0)),
            ms(percentile(v.clone(), 95.0)),
            ms(percentile(v.clone(), 100.0)),
        );
    }
    println!(
        "batches over 1 s: {}",
        to_delete
            .iter()
            .filter(|d| **d > SignedDuration::from_secs(1))
            .count()
    );
    println!(
        "target p95 ≤ 1 s: {}",
        if p95 <= SignedDuration::from_secs(1) {
            "pass"
        } else {
            "MISS"
        }
    );
    handle.shutdown().await;
}
