//! The default scheduler, enough to bind daemon pods or leave them Pending with upstream's
//! FailedScheduling reason (docs/SEMANTICS.md#scheduling; upstream's filter plugins under
//! kubernetes/pkg/scheduler/framework/plugins/). Unschedulable pods wait until a node or a freed
//! pod could change the answer; nothing is retried on a timer.

mod alloc;
pub mod filters;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::events::{EventType, Subject};
use super::kinds::AnyObject;
use super::kubelet::bound_node;
use super::kubelet::timing::hash_str;
use super::requeue::Requeue;
use super::store::{Change, ChangeType, Key, StoreError};
use super::world::World;
pub use alloc::{HostPort, NodeAlloc, Requests, is_terminal};
use herd_core::model::quantity::Quantity;

const SCHEDULER_NAME: &str = "default-scheduler";
/// The scheduler's pod backoff: 1 s doubling to 10 s (`DefaultPodInitialBackoffDuration`,
/// `DefaultPodMaxBackoffDuration`, kubernetes/pkg/scheduler/internal/queue/scheduling_queue.go).
const POD_BACKOFF: (jiff::SignedDuration, jiff::SignedDuration) = (
    jiff::SignedDuration::from_secs(1),
    jiff::SignedDuration::from_secs(10),
);

#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Whether the scheduler binds pods. A test bench that binds by hand turns it off before
    /// the first step.
    pub enabled: bool,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig { enabled: true }
    }
}

#[derive(Debug)]
pub struct SchedulerState {
    alloc: alloc::Allocation,
    /// Pods to try on this pass.
    active: BTreeSet<Key>,
    /// Pods that did not fit, waiting for a change that could make room.
    unschedulable: BTreeSet<Key>,
    /// Skip the Normal "Scheduled" event per bind: set while a scenario builds a large fleet,
    /// whose bind events would long have expired in a real cluster.
    pub(crate) quiet_binds: bool,
    /// Pods whose binding or status write was refused: back in the active queue after their
    /// backoff, as upstream's backoffQ holds them.
    retries: Requeue<Key>,
}

impl Default for SchedulerState {
    fn default() -> Self {
        SchedulerState {
            alloc: Default::default(),
            active: Default::default(),
            unschedulable: Default::default(),
            quiet_binds: false,
            retries: Requeue::new(POD_BACKOFF.0, POD_BACKOFF.1),
        }
    }
}

impl SchedulerState {
    /// Pods waiting to retry a refused write.
    pub fn pending_retries(&self) -> usize {
        self.retries.pending()
    }

    /// Requests and host ports handed out on `node` (bound, non-terminal pods).
    pub fn allocated(&self, node: &str) -> Option<&NodeAlloc> {
        self.alloc.node(node)
    }
}

pub fn run(world: &mut World, changes: &[Arc<Change>]) {
    if !world.config.scheduler.enabled {
        return;
    }
    let mut retry = false;
    for change in changes {
        match &change.object {
            AnyObject::Pod(pod) => retry |= pod_changed(world, pod, change.change_type),
            AnyObject::Node(_) => retry = true,
            _ => {}
        }
    }
    let now = world.now();
    let state = &mut world.scheduler;
    if retry && !state.unschedulable.is_empty() {
        let waiting = std::mem::take(&mut state.unschedulable);
        state.active.extend(waiting);
    }
    while let Some(key) = state.retries.pop_due(now) {
        state.active.insert(key);
    }
    for key in std::mem::take(&mut world.scheduler.active) {
        let Some(pod) = world.store.get::<Pod>(&key.namespace, &key.name).cloned() else {
            continue;
        };
        if wants_scheduling(&pod) {
            schedule_one(world, &key, &pod);
        }
    }
}

/// Updates the books for one pod change; true when it may have freed room.
fn pod_changed(world: &mut World, pod: &Pod, change: ChangeType) -> bool {
    let key = Key::of(&pod.metadata);
    // Changes come in write order: the last one seen for a pod is its latest version.
    let current = (change != ChangeType::Deleted).then_some(pod);
    let state = &mut world.scheduler;
    state.alloc.observe(&key, current);
    match current {
        None => {
            state.active.remove(&key);
            state.unschedulable.remove(&key);
            state.retries.cancel(&key);
            bound_node(pod).is_some()
        }
        Some(current) => {
            if wants_scheduling(current) {
                if !state.unschedulable.contains(&key) {
                    state.active.insert(key);
                }
            } else {
                state.unschedulable.remove(&key);
            }
            change == ChangeType::Modified && is_terminal(current)
        }
    }
}

fn wants_scheduling(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    bound_node(pod).is_none()
        && pod.metadata.deletion_timestamp.is_none()
        && spec
            .and_then(|s| s.scheduler_name.as_deref())
            .is_none_or(|n| n.is_empty() || n == SCHEDULER_NAME)
}

fn schedule_one(world: &mut World, key: &Key, pod: &Pod) {
    let (feasible, reasons, total) = evaluate(world, pod);
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    let nodes = world.store.table::<Node>();
    let best = feasible
        .iter()
        .filter_map(|name| nodes.get(&Key::new("", name)))
        .min_by_key(|n| {
            let spread = hash_str(&format!("{uid}/{:?}", n.metadata.name));
            (load_score(world, n), spread)
        })
        .and_then(|n| n.metadata.name.clone());
    match best {
        Some(node) => bind(world, key, pod, &node),
        None => {
            let message = fit_error(total, &reasons);
            mark_unschedulable(world, key, pod, message);
        }
    }
}

/// Runs the filters: the nodes that fit, the count of each reason the others gave, and the
/// number of nodes in the cluster (nodes the pod's affinity rules out count as affinity misses).
fn evaluate(world: &World, pod: &Pod) -> (Vec<String>, BTreeMap<String, usize>, usize) {
    let requests = Requests::of(pod);
    let ports = HostPort::of(pod);
    let placement = pod
        .spec
        .as_ref()
        .map(herd_convert::convert::placement_spec)
        .unwrap_or_default();
    let nodes = world.store.table::<Node>();
    let candidates: Vec<&Arc<Node>> = match target_nodes(pod) {
        Some(names) => names
            .iter()
            .filter_map(|n| nodes.get(&Key::new("", n)))
            .collect(),
        None => nodes.values().collect(),
    };
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut feasible = Vec::new();
    let considered = candidates.len();
    for node in candidates {
        let name = node.metadata.name.as_deref().unwrap_or("");
        let alloc = world.scheduler.alloc.node(name);
        let failed = filters::check(&placement, &requests, &ports, node, alloc);
        if failed.is_empty() {
            feasible.push(name.to_string());
        }
        for reason in failed {
            *reasons.entry(reason).or_default() += 1;
        }
    }
    let total = nodes.len();
    if total > considered {
        *reasons
            .entry("node(s) didn't match Pod's node affinity/selector".into())
            .or_default() += total - considered;
    }
    (feasible, reasons, total)
}

/// The node names a pod's required affinity pins it to (the DaemonSet controller's
/// `matchFields metadata.name In [node]`), if every term pins it.
fn target_nodes(pod: &Pod) -> Option<BTreeSet<String>> {
    let terms = crate::pods::required_node_terms(pod)?;
    let mut names = BTreeSet::new();
    for term in terms {
        let pinned: Vec<&String> = term
            .match_fields
            .iter()
            .flatten()
            .filter(|f| f.key == "metadata.name" && f.operator == "In")
            .flat_map(|f| f.values.iter().flatten())
            .collect();
        if pinned.is_empty() {
            return None;
        }
        names.extend(pinned.into_iter().cloned());
    }
    (!names.is_empty()).then_some(names)
}

/// Least-allocated scoring: the share of cpu and memory already requested, in per mille.
fn load_score(world: &World, node: &Node) -> i64 {
    let name = node.metadata.name.as_deref().unwrap_or("");
    let Some(used) = world.scheduler.alloc.node(name) else {
        return 0;
    };
    let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let amount = |resource: &str, milli: bool| {
        allocatable
            .and_then(|a| a.get(resource))
            .and_then(|q| Quantity::parse(&q.0).ok())
            .map_or(1, |q| if milli { q.millis() } else { q.value() }.max(1))
    };
    used.requests.cpu_millis * 1000 / amount("cpu", true)
        + used.requests.memory / (amount("memory", false) / 1000).max(1)
}

/// Upstream's FitError text: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) ...".
fn fit_error(total: usize, reasons: &BTreeMap<String, usize>) -> String {
    if total == 0 {
        return "no nodes available to schedule pods".into();
    }
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    format!("0/{total} nodes are available: {}.", parts.join(", "))
}

fn bind(world: &mut World, key: &Key, pod: &Pod, node: &str) {
    let now = world.now();
    let mut bound = pod.clone();
    bound.spec.get_or_insert_with(Default::default).node_name = Some(node.to_string());
    set_scheduled(&mut bound, "True", None, None, now);
    let bound = match world.store.update(bound) {
        Ok(bound) => bound,
        Err(e) => {
            write_failed(world, key, &e);
            return;
        }
    };
    world.scheduler.retries.forget(key);
    world.scheduler.alloc.observe(key, Some(&bound));
    world.scheduler.unschedulable.remove(key);
    if world.scheduler.quiet_binds {
        return;
    }
    let message = format!(
        "Successfully assigned {}/{} to {node}",
        key.namespace, key.name
    );
    world.record_event(
        &subject(pod),
        EventType::Normal,
        SCHEDULER_NAME,
        "Scheduled",
        message,
    );
}

/// A refused write for a pod: counted, and the pod tried again after its backoff. A pod that is
/// gone is dropped instead (upstream's `handleSchedulingFailure`,
/// kubernetes/pkg/scheduler/schedule_one.go, does not requeue a deleted pod).
fn write_failed(world: &mut World, key: &Key, error: &StoreError) {
    if let StoreError::NotFound { .. } = error {
        return;
    }
    world.count_failure(SCHEDULER_NAME);
    let now = world.now();
    world.scheduler.retries.add_rate_limited(key.clone(), now);
}

fn mark_unschedulable(world: &mut World, key: &Key, pod: &Pod, message: String) {
    let now = world.now();
    let written = world.store.modify::<Pod>(&key.namespace, &key.name, |p| {
        set_scheduled(
            p,
            "False",
            Some("Unschedulable"),
            Some(message.clone()),
            now,
        );
        let status = p.status.get_or_insert_with(Default::default);
        status.phase.get_or_insert_with(|| "Pending".into());
    });
    match written {
        Ok(_) => {
            world.scheduler.retries.forget(key);
            world.scheduler.unschedulable.insert(key.clone());
        }
        Err(e) => write_failed(world, key, &e),
    }
    world.record_event(
        &subject(pod),
        EventType::Warning,
        SCHEDULER_NAME,
        "FailedScheduling",
        message,
    );
}

fn set_scheduled(
    pod: &mut Pod,
    status: &str,
    reason: Option<&str>,
    message: Option<String>,
    now: jiff::Timestamp,
) {
    let conditions = pod
        .status
        .get_or_insert_with(Default::default)
        .conditions
        .get_or_insert_with(Vec::new);
    let reason = reason.map(str::to_string);
    match conditions.iter_mut().find(|c| c.type_ == "PodScheduled") {
        Some(c) => {
            if c.status != status {
                c.status = status.to_string();
                c.last_transition_time = Some(Time(now));
            }
            c.reason = reason;
            c.message = message;
        }
        None => conditions.push(PodCondition {
            type_: "PodScheduled".into(),
            status: status.to_string(),
            reason,
            message,
            last_transition_time: Some(Time(now)),
            ..Default::default()
        }),
    }
}

fn subject(pod: &Pod) -> Subject {
    Subject {
        kind: "Pod",
        api_version: "v1",
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        uid: pod.metadata.uid.clone().unwrap_or_default(),
    }
}
