//! What an unhealthy or NoExecute-tainted node does to its pods: NotReady marking, and
//! taint-based eviction of pods that do not tolerate a NoExecute taint (after their
//! tolerationSeconds, if they have one). DaemonSet pods are left to the DaemonSet controller,
//! which deletes them itself for untolerated NoExecute taints: one writer per decision.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::retry::{self, Item};
use crate::events::{EventType, Subject};
use crate::kubelet::bound_node;
use crate::pods::DeleteOptions;
use crate::store::Key;
use crate::world::World;
use herd_convert::convert;
use herd_core::model::placement::{Taint, TaintEffect};

/// Whether a pod's controller is a DaemonSet.
pub fn is_daemon_pod(pod: &Pod) -> bool {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .any(|r| r.controller == Some(true) && r.kind == "DaemonSet")
}

/// Sets Ready=False on every pod bound to `node` (upstream MarkPodsNotReady).
pub fn mark_pods_not_ready(world: &mut World, node: &str) {
    let now = world.now();
    for key in pods_on(world, node) {
        let written = world.store.modify::<Pod>(&key.namespace, &key.name, |p| {
            let conditions = p.status.as_mut().and_then(|s| s.conditions.as_mut());
            for c in conditions.into_iter().flatten() {
                if c.type_ == "Ready" && c.status == "True" {
                    c.status = "False".into();
                    c.last_transition_time = Some(Time(now));
                }
            }
        });
        // A refused write retries the whole node, as upstream's `nodesToRetry` does
        // (kubernetes/pkg/controller/nodelifecycle/node_lifecycle_controller.go).
        retry::checked(world, written, Item::NotReady(node.into()));
    }
}

pub fn pods_on(world: &World, node: &str) -> Vec<Key> {
    world.store.pod_index.keys_on_node(node)
}

/// Evicts the pod now, arms its eviction timer, or clears it, per its node's NoExecute taints.
pub fn evaluate(world: &mut World, key: &Key) {
    let now = world.now();
    world.node_lifecycle.evictions.cancel(key);
    let Some(pod) = world.store.get::<Pod>(&key.namespace, &key.name).cloned() else {
        return;
    };
    if pod.metadata.deletion_timestamp.is_some() || is_daemon_pod(&pod) {
        return;
    }
    let Some(node) = bound_node(&pod).and_then(|n| world.store.get::<Node>("", n)) else {
        return;
    };
    let api_taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[]);
    let no_execute: Vec<(Taint, Timestamp)> = api_taints
        .iter()
        .filter_map(|t| {
            let added = t.time_added.as_ref().map_or(now, |a| a.0);
            convert::taint(t)
                .filter(|t| t.effect == TaintEffect::NoExecute)
                .map(|t| (t, added))
        })
        .collect();
    match eviction_time(&pod, &no_execute, now) {
        Some(at) if at <= now => evict(world, key, &pod),
        Some(at) => world.node_lifecycle.evictions.schedule(key.clone(), at),
        None => {}
    }
}

/// When the pod must go: now if a taint is not tolerated at all, else the earliest end of a
/// bounded toleration (counted from the taint's timeAdded); `None` if it may stay.
fn eviction_time(pod: &Pod, taints: &[(Taint, Timestamp)], now: Timestamp) -> Option<Timestamp> {
    let spec = pod.spec.as_ref();
    let tolerations =
        convert::tolerations(spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]));
    let mut earliest: Option<Timestamp> = None;
    for (taint, added) in taints {
        let matching: Vec<_> = tolerations.iter().filter(|t| t.tolerates(taint)).collect();
        if matching.is_empty() {
            return Some(now);
        }
        if matching.iter().any(|t| t.toleration_seconds.is_none()) {
            continue;
        }
        let seconds = matching
            .iter()
            .filter_map(|t| t.toleration_seconds)
            .min()
            .unwrap_or(0)
            .max(0);
        let at = added
            .checked_add(SignedDuration::from_secs(seconds))
            .unwrap_or(*added);
        earliest = Some(earliest.map_or(at, |e| e.min(at)));
    }
    earliest
}

fn evict(world: &mut World, key: &Key, pod: &Pod) {
    let uid = pod.metadata.uid.clone();
    let options = DeleteOptions {
        uid: uid.clone(),
        ..Default::default()
    };
    let deleted = world.delete_pod(&key.namespace, &key.name, &options);
    if retry::checked(world, deleted, Item::Evict(key.clone())).is_none() {
        return;
    }
    let subject = Subject {
        kind: "Pod",
        api_version: "v1",
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        uid: uid.unwrap_or_default(),
    };
    world.record_event(
        &subject,
        EventType::Normal,
        "taint-eviction-controller",
        "TaintManagerEviction",
        format!("Marking for deletion Pod {key}"),
    );
}
