//! Per-container CPU and memory usage that moves over time, served as metrics.k8s.io.
//!
//! Usage is a pure function of (pod uid, container, simulated time): a base share of the
//! container's request (or a small default when it requests nothing), varied smoothly over
//! minutes, capped below its limit. A pod may pin its base usage with the annotations
//! `sim.herd.dev/cpu-usage` and `sim.herd.dev/memory-usage` (quantities, per container), which
//! is how a scenario plants a hog. A `leak` image grows from its base to its memory limit over
//! the time the kubelet waits before OOM-killing it.

use std::f64::consts::TAU;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Node, Pod};

use super::kubelet::image::Behaviour;
use super::kubelet::timing::hash_str;
use super::kubelet::{bound_node, kubelet_stopped, leak_to_oom, memory_limit};
use super::store::{Key, mix};
use super::world::World;
use herd_core::model::quantity::Quantity;

pub const ANNOTATION_CPU_USAGE: &str = "sim.herd.dev/cpu-usage";
pub const ANNOTATION_MEMORY_USAGE: &str = "sim.herd.dev/memory-usage";

const MI: f64 = 1024.0 * 1024.0;

/// One usage sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    pub usage: Usage,
}

/// Usage of each running container of `pod` at the world's current time; `None` when the pod
/// has no running container (metrics-server reports nothing for it).
pub fn pod_usage(world: &World, pod: &Pod) -> Option<Vec<ContainerUsage>> {
    let status = pod.status.as_ref()?;
    if status.phase.as_deref() != Some("Running") {
        return None;
    }
    let node = world.store.get::<Node>("", bound_node(pod)?)?;
    if !reporting(node) {
        return None;
    }
    let now = world.now();
    let containers = pod.spec.as_ref().map_or(&[][..], |s| &s.containers[..]);
    let usage: Vec<ContainerUsage> = containers
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let cs = status
                .container_statuses
                .iter()
                .flatten()
                .find(|s| s.name == c.name)?;
            let started = running_since(cs)?;
            let usage = container_usage(world, pod, i, c, cs.restart_count, started, now);
            Some(ContainerUsage {
                name: c.name.clone(),
                usage,
            })
        })
        .collect();
    (!usage.is_empty()).then_some(usage)
}

/// Usage of a whole node (its pods plus system overhead); `None` when its kubelet is not reporting.
pub fn node_usage(world: &World, node: &Node) -> Option<Usage> {
    if !reporting(node) {
        return None;
    }
    let name = node.metadata.name.as_deref()?;
    let h = hash_str(name);
    let t = seconds(world.now());
    let mut total = Usage {
        cpu_millis: (150.0 + (h % 200) as f64 * wave(h, t, 0.15)) as u64,
        memory_bytes: ((700.0 + (h >> 16) as f64 % 700.0) * MI * wave(h >> 8, t, 0.03)) as u64,
    };
    let keys = world.store.pod_index.by_node.get(name);
    for key in keys.into_iter().flatten() {
        let Some(pod) = world.store.get::<Pod>(&key.namespace, &key.name) else {
            continue;
        };
        for c in pod_usage(world, pod).into_iter().flatten() {
            total.cpu_millis += c.usage.cpu_millis;
            total.memory_bytes += c.usage.memory_bytes;
        }
    }
    Some(total)
}

/// A node's kubelet serves metrics while it runs and the node is not Unknown.
fn reporting(node: &Node) -> bool {
    let unknown = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .is_none_or(|c| c.status == "Unknown");
    !unknown && !kubelet_stopped(node)
}

fn running_since(cs: &ContainerStatus) -> Option<Timestamp> {
    let running = cs.state.as_ref()?.running.as_ref()?;
    Some(
        running
            .started_at
            .as_ref()
            .map_or(Timestamp::UNIX_EPOCH, |t| t.0),
    )
}

/// One run of one container: what its usage is a function of, besides the time.
struct Run<'a> {
    pod: &'a Pod,
    index: usize,
    container: &'a Container,
    restarts: i32,
    started: Timestamp,
    hash: u64,
}

fn container_usage(
    world: &World,
    pod: &Pod,
    index: usize,
    container: &Container,
    restarts: i32,
    started: Timestamp,
    now: Timestamp,
) -> Usage {
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    let run = Run {
        pod,
        index,
        container,
        restarts,
        started,
        hash: hash_str(&format!("{uid}/{}", container.name)),
    };
    Usage {
        cpu_millis: cpu_usage(&run, now).max(1.0) as u64,
        memory_bytes: memory_usage(world, &run, now).max(MI) as u64,
    }
}

fn annotation(pod: &Pod, key: &str) -> Option<Quantity> {
    let value = pod.metadata.annotations.as_ref()?.get(key)?;
    Quantity::parse(value).ok()
}

fn cpu_usage(run: &Run<'_>, now: Timestamp) -> f64 {
    let h = run.hash;
    let base = annotation(run.pod, ANNOTATION_CPU_USAGE)
        .map(|q| q.millis() as f64)
        .or_else(|| {
            resource(run.container, "cpu", false, true).map(|r| r as f64 * share(h, 0.15, 0.7))
        })
        .unwrap_or(2.0 + (h % 18) as f64);
    let cpu = base * wave(h, seconds(now), 0.3);
    match resource(run.container, "cpu", true, true) {
        Some(limit) => cpu.min(limit as f64),
        None => cpu,
    }
}

fn memory_usage(world: &World, run: &Run<'_>, now: Timestamp) -> f64 {
    let h = run.hash;
    let limit = memory_limit(run.container).map(|l| l as f64);
    let base = annotation(run.pod, ANNOTATION_MEMORY_USAGE)
        .map(|q| q.value() as f64)
        .or_else(|| {
            resource(run.container, "memory", false, false)
                .map(|r| r as f64 * share(h >> 7, 0.4, 0.85))
        })
        .unwrap_or((20.0 + (h >> 20) as f64 % 100.0) * MI);
    if Behaviour::of(run.container.image.as_deref().unwrap_or("")) != Behaviour::Leak {
        let m = base * wave(h >> 11, seconds(now), 0.04);
        return limit.map_or(m, |l| m.min(l * 0.98));
    }
    let elapsed = now.duration_since(run.started).as_secs_f64().max(0.0);
    match limit {
        Some(limit) => {
            // The same span the kubelet waits before the OOM kill: usage meets the limit then.
            let uid = run.pod.metadata.uid.as_deref().unwrap_or("");
            let span = leak_to_oom(&world.config.kubelet, uid, run.index, run.restarts)
                .as_secs_f64()
                .max(1.0);
            let base = base.min(limit * 0.5);
            (base + (limit - base) * elapsed / span).min(limit)
        }
        // Without a limit nothing kills it: it just keeps growing.
        None => base * (1.0 + elapsed / 600.0),
    }
}

/// A container's request (or, with `limit`, its limit); an unset request defaults to the limit.
fn resource(c: &Container, name: &str, limit: bool, milli: bool) -> Option<i64> {
    let r = c.resources.as_ref()?;
    let limits = r.limits.as_ref().and_then(|l| l.get(name));
    let q = if limit {
        limits?
    } else {
        r.requests.as_ref().and_then(|q| q.get(name)).or(limits)?
    };
    let q = Quantity::parse(&q.0).ok()?;
    Some(if milli { q.millis() } else { q.value() })
}

/// A fraction in [lo, hi) picked by a hash.
fn share(h: u64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * ((mix(h) >> 11) as f64 / (1u64 << 53) as f64)
}

/// A smooth multiplier around 1 with two periods (minutes and a quarter hour), amplitude `amp`.
fn wave(h: u64, t: f64, amp: f64) -> f64 {
    let p1 = 300.0 + (h % 600) as f64;
    let p2 = 60.0 + (h >> 10) as f64 % 60.0;
    let phase = (h >> 20) as f64 % TAU;
    (1.0 + amp * (TAU * t / p1 + phase).sin() + amp * 0.4 * (TAU * t / p2).sin()).max(0.05)
}

fn seconds(t: Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1000.0
}

/// Usage of every running pod, keyed by pod (for the metrics list endpoints).
pub fn all_pod_usage(world: &World) -> Vec<(Key, Vec<ContainerUsage>)> {
    world
        .store
        .table::<Pod>()
        .iter()
        .filter_map(|(k, p)| pod_usage(world, p).map(|u| (k.clone(), u)))
        .collect()
}
