//! Simulated kubelets: node registration and status, and the lifecycle of the pods bound to
//! each node. Steering from outside is by node annotation (see `node_status`) and by image tag
//! (see `image`).

mod conditions;
mod container;
pub mod image;
mod lifecycle;
mod node_status;
pub mod timing;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Node, Pod};

use super::due::DueSet;
use super::kinds::AnyObject;
use super::requeue::Requeue;
use super::store::{Change, ChangeType, Key};
use super::world::World;
pub use container::{leak_to_oom, memory_limit};
pub use node_status::{
    ANNOTATION_ALLOCATABLE_CPU, ANNOTATION_ALLOCATABLE_MEMORY, ANNOTATION_ALLOCATABLE_PODS,
    ANNOTATION_KUBELET, ANNOTATION_READY, kubelet_stopped,
};
use timing::{Backoff, Delay};

/// Delays, backoffs and node defaults of every simulated kubelet.
#[derive(Debug, Clone)]
pub struct KubeletConfig {
    /// Whether the simulated kubelets run at all. A test bench that plays node and pod status
    /// by hand turns them off before the first step.
    pub enabled: bool,
    /// Pod bound -> picked up by its kubelet (Pending, ContainerCreating).
    pub admit_delay: Delay,
    /// Pod accepted -> containers started (or their image pull failing).
    pub create_delay: Delay,
    /// Container started -> Ready (as if a readiness probe passed).
    pub ready_delay: Delay,
    /// Pod marked for deletion -> removed (never later than its grace period).
    pub stop_delay: Delay,
    /// How long a `crashloop` container runs before it exits with code 1.
    pub crash_after: Delay,
    /// How long a `leak` container takes to grow from its base usage to its memory limit.
    pub leak_to_oom: Delay,
    /// How long ErrImagePull shows before ImagePullBackOff.
    pub pull_error_visible: Delay,
    /// CrashLoopBackOff waits (upstream: 10 s doubling to 5 min).
    pub restart_backoff: Backoff,
    /// ImagePullBackOff waits (upstream: 10 s doubling to 5 min).
    pub pull_backoff: Backoff,
    /// Capacity of a node whose object does not state one.
    pub default_capacity: BTreeMap<String, String>,
    /// Capacity minus allocatable, when the node states no allocatable.
    pub reserved_cpu_millis: i64,
    pub reserved_memory_bytes: i64,
}

impl Default for KubeletConfig {
    fn default() -> Self {
        let default_capacity = [
            ("cpu", "8"),
            ("memory", "32Gi"),
            ("pods", "110"),
            ("ephemeral-storage", "100Gi"),
            ("hugepages-1Gi", "0"),
            ("hugepages-2Mi", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let backoff = Backoff {
            initial: SignedDuration::from_secs(10),
            max: SignedDuration::from_secs(300),
        };
        KubeletConfig {
            enabled: true,
            admit_delay: Delay::millis(200, 1000),
            create_delay: Delay::secs(1, 3),
            ready_delay: Delay::secs(1, 3),
            stop_delay: Delay::secs(1, 2),
            crash_after: Delay::secs(3, 6),
            leak_to_oom: Delay::secs(120, 300),
            pull_error_visible: Delay::secs(1, 2),
            restart_backoff: backoff,
            pull_backoff: backoff,
            default_capacity,
            reserved_cpu_millis: 100,
            reserved_memory_bytes: 1 << 30,
        }
    }
}

/// What the kubelets remember: per-node records, pod timers, and image pull retries (the one
/// thing a pod's status does not record).
#[derive(Debug, Default)]
pub struct KubeletState {
    nodes: HashMap<String, NodeRecord>,
    due: DueSet<Key>,
    /// Pods whose timer fell due while their kubelet was stopped, by node.
    parked: HashMap<String, BTreeSet<Key>>,
    pulls: HashMap<Key, BTreeMap<String, container::Pull>>,
    /// Pods whose status write or removal was refused, due for another sync.
    pod_retries: Requeue<Key>,
    /// Nodes whose status post was refused, due to post again.
    node_retries: Requeue<String>,
}

/// The component kubelet write failures are counted under.
pub(crate) const COMPONENT: &str = "kubelet";

impl KubeletState {
    /// Pods and nodes waiting to retry a refused write.
    pub fn pending_retries(&self) -> usize {
        self.pod_retries.pending() + self.node_retries.pending()
    }
}

/// One node's kubelet.
#[derive(Debug)]
struct NodeRecord {
    host_ip: String,
    /// First three octets of the node's pod range (a /24).
    pod_cidr: [u8; 3],
    next_ip: u32,
    capacity: BTreeMap<String, String>,
    /// The node's own allocatable (or capacity minus reserve) before annotation overrides.
    base_allocatable: BTreeMap<String, String>,
    /// What the kubelet last posted from; `None` until it registers the node.
    posted: Option<node_status::Posted>,
    stopped: bool,
    /// Whether the node's Ready condition is True (pods are Ready only on a Ready node).
    ready: bool,
    /// When the kubelet last came back: transitions missed while stopped happen from then on.
    resumed_at: Option<Timestamp>,
}

impl NodeRecord {
    fn next_pod_ip(&mut self) -> String {
        let host = 2 + self.next_ip % 250;
        self.next_ip += 1;
        let [a, b, c] = self.pod_cidr;
        format!("{a}.{b}.{c}.{host}")
    }
}

pub fn run(world: &mut World, changes: &[Arc<Change>]) {
    if !world.config.kubelet.enabled {
        return;
    }
    for change in changes {
        match &change.object {
            AnyObject::Node(node) => node_changed(world, node, change.change_type),
            AnyObject::Pod(pod) => pod_changed(world, pod, change.change_type),
            _ => {}
        }
    }
    run_due(world);
}

fn node_changed(world: &mut World, node: &Arc<Node>, change: ChangeType) {
    let name = node.metadata.name.clone().unwrap_or_default();
    if change == ChangeType::Deleted {
        world.kubelet.nodes.remove(&name);
        world.kubelet.parked.remove(&name);
        world.kubelet.node_retries.cancel(&name);
        return;
    }
    // Act on the stored version: the change may be stale by now.
    let Some(current) = world.store.get::<Node>("", &name).cloned() else {
        return;
    };
    node_status::sync(world, &current);
}

fn pod_changed(world: &mut World, pod: &Arc<Pod>, change: ChangeType) {
    let key = Key::of(&pod.metadata);
    if change == ChangeType::Deleted {
        world.kubelet.due.cancel(&key);
        world.kubelet.pulls.remove(&key);
        world.kubelet.pod_retries.cancel(&key);
        return;
    }
    // Changes come in write order, so the last one seen for a pod is its latest version.
    schedule_pod(world, &key, pod);
}

/// Sets the pod's timer to its next transition (or clears it).
fn schedule_pod(world: &mut World, key: &Key, pod: &Pod) {
    if bound_node(pod).is_none() {
        world.kubelet.due.cancel(key);
        return;
    }
    let pulls = world.kubelet.pulls.get(key);
    match lifecycle::next_due(pod, &world.config.kubelet, pulls) {
        Some(when) => world.kubelet.due.schedule(key.clone(), when),
        None => world.kubelet.due.cancel(key),
    }
}

/// Makes every pod on `node` re-evaluate now (node readiness changed, kubelet came back).
fn refresh_pods_on(world: &mut World, node: &str) {
    let now = world.now();
    let keys: Vec<Key> = world.store.pod_index.keys_on_node(node);
    for key in keys {
        world.kubelet.due.schedule_by(key, now);
    }
    if let Some(parked) = world.kubelet.parked.remove(node) {
        for key in parked {
            world.kubelet.due.schedule_by(key, now);
        }
    }
}

fn run_due(world: &mut World) {
    let now = world.now();
    while let Some(name) = world.kubelet.node_retries.pop_due(now) {
        if let Some(current) = world.store.get::<Node>("", &name).cloned() {
            node_status::sync(world, &current);
        }
    }
    while let Some(key) = world.kubelet.pod_retries.pop_due(now) {
        world.kubelet.due.schedule_by(key, now);
    }
    while let Some((_, key)) = world.kubelet.due.pop_due(now) {
        let Some(pod) = world.store.get::<Pod>(&key.namespace, &key.name).cloned() else {
            world.kubelet.pulls.remove(&key);
            continue;
        };
        let Some(node) = bound_node(&pod).map(str::to_string) else {
            continue;
        };
        let Some(record) = world.kubelet.nodes.get(&node) else {
            // Not registered yet; registration refreshes every pod bound to the node.
            continue;
        };
        if record.stopped {
            world
                .kubelet
                .parked
                .entry(node)
                .or_default()
                .insert(key.clone());
            continue;
        }
        lifecycle::sync_pod(world, &key, &pod, &node);
    }
}

/// The node a pod is bound to, if any.
pub(crate) fn bound_node(pod: &Pod) -> Option<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}
