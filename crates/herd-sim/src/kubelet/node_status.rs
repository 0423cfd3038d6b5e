//! Node registration and the status each simulated kubelet posts for its node.
//!
//! Steering annotations on a Node:
//! - `sim.herd.dev/ready: "false"`: the kubelet reports Ready=False (KubeletNotReady).
//! - `sim.herd.dev/kubelet: "stopped"`: the kubelet stops posting status and stops running
//!   pods; the node lifecycle controller marks the node Unknown after its grace period.
//! - `sim.herd.dev/allocatable-cpu` / `-memory` / `-pods`: override allocatable ("4", "500m",
//!   "8Gi"). Without them allocatable is what the object states, else capacity minus a reserve.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::timing::hash_str;
use super::{KubeletConfig, NodeRecord, refresh_pods_on};
use crate::events::{EventType, Subject};
use crate::store::StoreError;
use crate::world::World;
use herd_core::model::quantity::{Format, Quantity};

pub const ANNOTATION_READY: &str = "sim.herd.dev/ready";
pub const ANNOTATION_KUBELET: &str = "sim.herd.dev/kubelet";
pub const ANNOTATION_ALLOCATABLE_CPU: &str = "sim.herd.dev/allocatable-cpu";
pub const ANNOTATION_ALLOCATABLE_MEMORY: &str = "sim.herd.dev/allocatable-memory";
pub const ANNOTATION_ALLOCATABLE_PODS: &str = "sim.herd.dev/allocatable-pods";

pub const KUBELET_VERSION: &str = crate::KUBERNETES_VERSION;

/// Whether a node's kubelet has been stopped by annotation.
pub fn kubelet_stopped(node: &Node) -> bool {
    annotation(node, ANNOTATION_KUBELET).is_some_and(|v| v.eq_ignore_ascii_case("stopped"))
}

fn annotation<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(|v| v.trim())
}

/// What a kubelet last posted its status from: its steering annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Posted {
    ready: bool,
    allocatable: BTreeMap<String, String>,
}

/// Registers the node, and re-posts its status when the kubelet's own inputs change (its
/// annotations, or coming back from a stop). Like a kubelet that posts only on change, it does
/// not overwrite a status someone else wrote in between until then.
pub(super) fn sync(world: &mut World, node: &Node) {
    let name = node.metadata.name.clone().unwrap_or_default();
    let now = world.now();
    let first_sight = !world.kubelet.nodes.contains_key(&name);
    let record = world
        .kubelet
        .nodes
        .entry(name.clone())
        .or_insert_with(|| new_record(&name, node, &world.config.kubelet));
    if kubelet_stopped(node) {
        record.stopped = true;
        return;
    }
    let resumed = std::mem::replace(&mut record.stopped, false);
    if resumed {
        record.resumed_at = Some(now);
    }
    let (allocatable, bad) = allocatable(node, record);
    let inputs = Posted {
        ready: annotation(node, ANNOTATION_READY).is_none_or(|v| !v.eq_ignore_ascii_case("false")),
        allocatable,
    };
    if resumed || record.posted.as_ref() != Some(&inputs) {
        // At registration, conditions the object already states are kept (unless the
        // ready annotation says otherwise); afterwards the kubelet posts all of its own.
        let keep_stated = first_sight && annotation(node, ANNOTATION_READY).is_none();
        let status = desired_status(node, record, &inputs, keep_stated, now);
        record.posted = Some(inputs);
        post(world, node, status, bad);
    }
    let ready_now = world
        .store
        .get::<Node>("", &name)
        .is_some_and(|n| is_ready(n));
    let was_ready = world
        .kubelet
        .nodes
        .get_mut(&name)
        .map(|r| std::mem::replace(&mut r.ready, ready_now));
    if first_sight || resumed || was_ready != Some(ready_now) {
        refresh_pods_on(world, &name);
    }
    // The Ready condition as it was stored before this post, and as it is after.
    let stated = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready"));
    let before = stated.then(|| is_ready(node));
    node_events(world, node, first_sight, before, ready_now);
}

/// What the kubelet says of its node as upstream's does (kubernetes/pkg/kubelet/
/// kubelet_node_status.go, `recordNodeStatusEvent`): at registration, its conditions one by one;
/// then each change of the Ready condition it posts (`was_ready`: as stored before, `None`
/// when it had none). A scenario's build stays quiet, as its binds do.
fn node_events(
    world: &mut World,
    node: &Node,
    first_sight: bool,
    was_ready: Option<bool>,
    ready_now: bool,
) {
    let name = node.metadata.name.clone().unwrap_or_default();
    let mut reasons: Vec<&str> = Vec::new();
    if first_sight {
        reasons.extend([
            "NodeHasSufficientMemory",
            "NodeHasNoDiskPressure",
            "NodeHasSufficientPID",
        ]);
    }
    match (was_ready, ready_now) {
        (Some(false) | None, true) => reasons.push("NodeReady"),
        (Some(true), false) => reasons.push("NodeNotReady"),
        _ => {}
    }
    if reasons.is_empty() || world.scheduler.quiet_binds {
        return;
    }
    let subject = Subject {
        kind: "Node",
        api_version: "v1",
        namespace: String::new(),
        name: name.clone(),
        uid: node.metadata.uid.clone().unwrap_or_default(),
    };
    for reason in reasons {
        world.record_event(
            &subject,
            EventType::Normal,
            "kubelet",
            reason,
            format!("Node {name} status is now: {reason}"),
        );
    }
}

fn post(world: &mut World, node: &Node, status: NodeStatus, bad: Vec<(String, String)>) {
    if node.status.as_ref() != Some(&status) {
        let mut updated = node.clone();
        updated.status = Some(status);
        // Unconditional: the kubelet owns its node's status.
        updated.metadata.resource_version = None;
        let name = node.metadata.name.clone().unwrap_or_default();
        match world.store.update(updated) {
            Ok(_) | Err(StoreError::NotFound { .. }) => world.kubelet.node_retries.forget(&name),
            Err(_) => {
                // Posted again after a backoff, as the kubelet retries on its next status
                // update (kubernetes/pkg/kubelet/kubelet_node_status.go): forgetting what it
                // posted makes the retry post anew.
                world.count_failure(super::COMPONENT);
                if let Some(record) = world.kubelet.nodes.get_mut(&name) {
                    record.posted = None;
                }
                let now = world.now();
                world.kubelet.node_retries.add_rate_limited(name, now);
            }
        }
    }
    for (key, value) in bad {
        warn_bad_annotation(world, node, &key, &value);
    }
}

fn new_record(name: &str, node: &Node, config: &KubeletConfig) -> NodeRecord {
    let h = hash_str(name);
    let host_ip = format!(
        "10.{}.{}.{}",
        (h >> 8) % 64,
        (h >> 16) % 256,
        1 + (h >> 24) % 254
    );
    let pod_cidr = [10, 64 + ((h >> 32) % 64) as u8, ((h >> 40) % 256) as u8];
    let stated = node.status.as_ref();
    let capacity = stated
        .and_then(|s| s.capacity.clone())
        .filter(|c| !c.is_empty())
        .map(from_api)
        .unwrap_or_else(|| config.default_capacity.clone());
    let base_allocatable = stated
        .and_then(|s| s.allocatable.clone())
        .filter(|a| !a.is_empty())
        .map(from_api)
        .unwrap_or_else(|| reserve(&capacity, config));
    NodeRecord {
        host_ip,
        pod_cidr,
        next_ip: 0,
        capacity,
        base_allocatable,
        posted: None,
        stopped: false,
        ready: false,
        resumed_at: None,
    }
}

fn from_api(map: BTreeMap<String, ApiQuantity>) -> BTreeMap<String, String> {
    map.into_iter().map(|(k, v)| (k, v.0)).collect()
}

/// Capacity minus the system reserve, for cpu and memory.
fn reserve(
    capacity: &BTreeMap<String, String>,
    config: &KubeletConfig,
) -> BTreeMap<String, String> {
    let mut allocatable = capacity.clone();
    if let Some(cpu) = capacity.get("cpu").and_then(|c| Quantity::parse(c).ok()) {
        let millis = (cpu.millis() - config.reserved_cpu_millis).max(0);
        allocatable.insert("cpu".into(), Quantity::from_millis(millis).to_string());
    }
    if let Some(mem) = capacity.get("memory").and_then(|m| Quantity::parse(m).ok()) {
        let bytes = (mem.value() - config.reserved_memory_bytes).max(0);
        let q = Quantity::from_value(bytes, Format::BinarySi);
        allocatable.insert("memory".into(), q.to_string());
    }
    allocatable
}

/// The status the kubelet posts for `inputs`.
fn desired_status(
    node: &Node,
    record: &NodeRecord,
    inputs: &Posted,
    keep_stated: bool,
    now: Timestamp,
) -> NodeStatus {
    let mut status = node.status.clone().unwrap_or_default();
    let name = node.metadata.name.as_deref().unwrap_or("");
    if status.capacity.as_ref().is_none_or(|c| c.is_empty()) {
        status.capacity = Some(to_api(&record.capacity));
    }
    status.allocatable = Some(to_api(&inputs.allocatable));
    let mut conditions = status.conditions.take().unwrap_or_default();
    for wanted in kubelet_conditions(inputs.ready) {
        if !(keep_stated && conditions.iter().any(|c| c.type_ == wanted.0)) {
            upsert_condition(&mut conditions, wanted, now);
        }
    }
    status.conditions = Some(conditions);
    if status.addresses.as_ref().is_none_or(|a| a.is_empty()) {
        status.addresses = Some(vec![
            address("InternalIP", &record.host_ip),
            address("Hostname", name),
        ]);
    }
    if status.node_info.is_none() {
        status.node_info = Some(node_info(name));
    }
    if status.daemon_endpoints.is_none() {
        status.daemon_endpoints = Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint { port: 10250 }),
        });
    }
    if node.status.as_ref() != Some(&status) {
        for c in status.conditions.iter_mut().flatten() {
            if is_kubelet_condition(&c.type_) {
                c.last_heartbeat_time = Some(Time(now));
            }
        }
    }
    status
}

fn allocatable(
    node: &Node,
    record: &NodeRecord,
) -> (BTreeMap<String, String>, Vec<(String, String)>) {
    let mut allocatable = record.base_allocatable.clone();
    let mut bad = Vec::new();
    for (key, resource) in [
        (ANNOTATION_ALLOCATABLE_CPU, "cpu"),
        (ANNOTATION_ALLOCATABLE_MEMORY, "memory"),
        (ANNOTATION_ALLOCATABLE_PODS, "pods"),
    ] {
        let Some(value) = annotation(node, key) else {
            continue;
        };
        match Quantity::parse(value) {
            Ok(q) if q.nanos() >= 0 => {
                allocatable.insert(resource.to_string(), q.to_string());
            }
            _ => bad.push((key.to_string(), value.to_string())),
        }
    }
    (allocatable, bad)
}

fn warn_bad_annotation(world: &mut World, node: &Node, key: &str, value: &str) {
    let subject = Subject {
        kind: "Node",
        api_version: "v1",
        namespace: String::new(),
        name: node.metadata.name.clone().unwrap_or_default(),
        uid: node.metadata.uid.clone().unwrap_or_default(),
    };
    world.record_event(
        &subject,
        EventType::Warning,
        "kubelet",
        "InvalidAnnotation",
        format!("annotation {key}=\"{value}\" is not a non-negative quantity (like \"4\", \"500m\", \"8Gi\"); ignored"),
    );
}

fn to_api(map: &BTreeMap<String, String>) -> BTreeMap<String, ApiQuantity> {
    map.iter()
        .map(|(k, v)| (k.clone(), ApiQuantity(v.clone())))
        .collect()
}

fn is_kubelet_condition(kind: &str) -> bool {
    matches!(
        kind,
        "MemoryPressure" | "DiskPressure" | "PIDPressure" | "Ready"
    )
}

fn kubelet_conditions(
    ready: bool,
) -> [(&'static str, &'static str, &'static str, &'static str); 4] {
    let ready_condition = if ready {
        (
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        )
    } else {
        (
            "Ready",
            "False",
            "KubeletNotReady",
            "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady (simulated: annotation sim.herd.dev/ready=false)",
        )
    };
    [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        (
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        (
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        ready_condition,
    ]
}

/// Sets a condition, keeping its transition time when its status did not change.
fn upsert_condition(
    conditions: &mut Vec<NodeCondition>,
    (kind, status, reason, message): (&str, &str, &str, &str),
    now: Timestamp,
) {
    let existing = conditions.iter_mut().find(|c| c.type_ == kind);
    match existing {
        Some(c) => {
            if c.status != status {
                c.status = status.to_string();
                c.last_transition_time = Some(Time(now));
            }
            c.reason = Some(reason.to_string());
            c.message = Some(message.to_string());
        }
        None => conditions.push(NodeCondition {
            type_: kind.to_string(),
            status: status.to_string(),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            last_transition_time: Some(Time(now)),
            last_heartbeat_time: Some(Time(now)),
        }),
    }
}

fn address(kind: &str, value: &str) -> NodeAddress {
    NodeAddress {
        type_: kind.to_string(),
        address: value.to_string(),
    }
}

fn node_info(name: &str) -> NodeSystemInfo {
    let h = hash_str(name);
    let id = format!("{:016x}{:016x}", h, h.rotate_left(29));
    NodeSystemInfo {
        architecture: "amd64".into(),
        operating_system: "linux".into(),
        os_image: "Ubuntu 24.04.2 LTS".into(),
        kernel_version: "6.8.0-1021-sim".into(),
        container_runtime_version: "containerd://1.7.27".into(),
        kubelet_version: KUBELET_VERSION.into(),
        kube_proxy_version: KUBELET_VERSION.into(),
        machine_id: id.clone(),
        system_uuid: format!(
            "{}-{}-{}-{}-{}",
            &id[0..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..32]
        ),
        boot_id: format!(
            "{:032x}",
            u128::from(h.rotate_left(7)) << 64 | u128::from(h)
        ),
        ..Default::default()
    }
}

/// Whether the node's Ready condition is True.
pub fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}
