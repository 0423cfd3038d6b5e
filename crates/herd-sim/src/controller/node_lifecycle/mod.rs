//! The node lifecycle controller: condition and cordon taints, Ready=Unknown for nodes whose
//! kubelet went quiet, NotReady marking of their pods, and NoExecute taint eviction.

mod eviction;
mod retry;
pub mod taints;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::SignedDuration;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::due::DueSet;
use crate::events::{EventType, Subject};
use crate::kinds::AnyObject;
use crate::kubelet::{bound_node, kubelet_stopped};
use crate::store::{Change, ChangeType, Key};
use crate::world::World;
pub use eviction::is_daemon_pod;

#[derive(Debug, Clone)]
pub struct NodeLifecycleConfig {
    /// Whether the controller runs (a bench that plays node health by hand turns it off).
    pub enabled: bool,
    /// How long a silent kubelet is tolerated before its node goes Ready=Unknown
    /// (upstream `--node-monitor-grace-period`, 40 s).
    pub unknown_grace: SignedDuration,
}

impl Default for NodeLifecycleConfig {
    fn default() -> Self {
        NodeLifecycleConfig {
            enabled: true,
            unknown_grace: SignedDuration::from_secs(40),
        }
    }
}

#[derive(Debug, Default)]
pub struct NodeLifecycleState {
    /// Last Ready status seen per node, to act on transitions only.
    ready: HashMap<String, Option<String>>,
    /// Nodes whose kubelet stopped, due to be marked Unknown.
    silent: DueSet<String>,
    /// Pods due for eviction when their bounded NoExecute toleration runs out.
    evictions: DueSet<Key>,
    /// Nodes carrying a NoExecute taint: only pods landing there need a look.
    no_execute: HashSet<String>,
    /// The taints this controller put on each node (the only managed ones it removes).
    owned: HashMap<String, taints::Owned>,
    /// Work whose write was refused, due for another try.
    retries: retry::Retries,
}

impl NodeLifecycleState {
    /// Work waiting to retry a refused write.
    pub fn pending_retries(&self) -> usize {
        self.retries.pending()
    }
}

pub fn run(world: &mut World, changes: &[Arc<Change>]) {
    if !world.config.node_lifecycle.enabled {
        return;
    }
    for change in changes {
        match &change.object {
            AnyObject::Node(node) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                if change.change_type == ChangeType::Deleted {
                    world.node_lifecycle.ready.remove(&name);
                    world.node_lifecycle.silent.cancel(&name);
                    world.node_lifecycle.no_execute.remove(&name);
                    world.node_lifecycle.owned.remove(&name);
                } else {
                    sync_node(world, &name);
                }
            }
            AnyObject::Pod(pod) => pod_changed(world, pod, change.change_type),
            _ => {}
        }
    }
    let now = world.now();
    while let Some((_, name)) = world.node_lifecycle.silent.pop_due(now) {
        mark_unknown(world, &name);
    }
    while let Some((_, key)) = world.node_lifecycle.evictions.pop_due(now) {
        eviction::evaluate(world, &key);
    }
    retry::run_due(world);
}

fn pod_changed(world: &mut World, pod: &Pod, change: ChangeType) {
    let key = Key::of(&pod.metadata);
    if change == ChangeType::Deleted {
        world.node_lifecycle.evictions.cancel(&key);
        return;
    }
    let tainted = bound_node(pod).is_some_and(|n| world.node_lifecycle.no_execute.contains(n));
    if tainted {
        eviction::evaluate(world, &key);
    }
}

fn sync_node(world: &mut World, name: &str) {
    let Some(node) = world.store.get::<Node>("", name).cloned() else {
        return;
    };
    let now = world.now();
    let ready = taints::condition(&node, "Ready").map(str::to_string);
    watch_heartbeat(world, &node, ready.as_deref());
    let mut node = node;
    let owned = world
        .node_lifecycle
        .owned
        .get(name)
        .cloned()
        .unwrap_or_default();
    if let Some((next, owned)) = taints::desired(&node, now, &owned) {
        let written = world.store.modify::<Node>("", name, |n| {
            n.spec.get_or_insert_with(Default::default).taints =
                Some(next).filter(|t| !t.is_empty());
        });
        // Only taints actually written are this controller's to remove later.
        if let Some(written) = retry::checked(world, written, retry::Item::Node(name.into())) {
            node = written;
            world.node_lifecycle.owned.insert(name.to_string(), owned);
        }
    }
    let previous = world
        .node_lifecycle
        .ready
        .insert(name.to_string(), ready.clone());
    let seen_before = previous.is_some();
    let was_ready = previous.flatten().as_deref() == Some("True");
    if was_ready && ready.as_deref() != Some("True") {
        eviction::mark_pods_not_ready(world, name);
        node_event(world, &node, "NodeNotReady");
    } else if !was_ready && ready.as_deref() == Some("True") && seen_before {
        node_event(world, &node, "NodeReady");
    }
    let no_execute = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.effect == "NoExecute"));
    if no_execute {
        world.node_lifecycle.no_execute.insert(name.to_string());
        for key in eviction::pods_on(world, name) {
            eviction::evaluate(world, &key);
        }
    } else {
        world.node_lifecycle.no_execute.remove(name);
    }
}

/// A stopped kubelet's node is due to go Unknown one grace period after it went quiet.
fn watch_heartbeat(world: &mut World, node: &Node, ready: Option<&str>) {
    let name = node.metadata.name.clone().unwrap_or_default();
    if !kubelet_stopped(node) {
        world.node_lifecycle.silent.cancel(&name);
    } else if ready != Some("Unknown") {
        let now = world.now();
        let at = now
            .checked_add(world.config.node_lifecycle.unknown_grace)
            .unwrap_or(now);
        world.node_lifecycle.silent.schedule_by(name, at);
    }
}

/// The kubelet stopped posting status for the grace period: every condition it owns becomes
/// Unknown, as upstream's monitorNodeHealth does.
fn mark_unknown(world: &mut World, name: &str) {
    let now = world.now();
    let still_silent = world
        .store
        .get::<Node>("", name)
        .is_some_and(|n| kubelet_stopped(n));
    if !still_silent {
        return;
    }
    let written = world.store.modify::<Node>("", name, |n| {
        let conditions = n
            .status
            .get_or_insert_with(Default::default)
            .conditions
            .get_or_insert_with(Vec::new);
        for kind in ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"] {
            match conditions.iter_mut().find(|c| c.type_ == kind) {
                Some(c) if c.status == "Unknown" => {}
                Some(c) => {
                    c.status = "Unknown".into();
                    c.reason = Some("NodeStatusUnknown".into());
                    c.message = Some("Kubelet stopped posting node status.".into());
                    c.last_transition_time = Some(Time(now));
                }
                None => conditions.push(k8s_openapi::api::core::v1::NodeCondition {
                    type_: kind.into(),
                    status: "Unknown".into(),
                    reason: Some("NodeStatusNeverUpdated".into()),
                    message: Some("Kubelet never posted node status.".into()),
                    last_transition_time: Some(Time(now)),
                    last_heartbeat_time: None,
                }),
            }
        }
    });
    retry::checked(world, written, retry::Item::Unknown(name.into()));
    sync_node(world, name);
}

fn node_event(world: &mut World, node: &Node, reason: &str) {
    // A scenario's build records none: a cluster that old would have expired them.
    if world.scheduler.quiet_binds {
        return;
    }
    let name = node.metadata.name.clone().unwrap_or_default();
    let subject = Subject {
        kind: "Node",
        api_version: "v1",
        namespace: String::new(),
        name: name.clone(),
        uid: node.metadata.uid.clone().unwrap_or_default(),
    };
    let message = format!("Node {name} status is now: {reason}");
    world.record_event(
        &subject,
        EventType::Normal,
        "node-controller",
        reason,
        message,
    );
}
