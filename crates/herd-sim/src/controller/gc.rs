//! Garbage collection: dependents (pods, ControllerRevisions) of DaemonSets that are gone, the
//! `foregroundDeletion` and `orphan` finalizers of a DaemonSet being deleted, and pod GC of pods
//! bound to nodes that no longer exist.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use jiff::SignedDuration;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::due::DueSet;
use crate::kinds::AnyObject;
use crate::kubelet::bound_node;
use crate::pods::DeleteOptions;
use crate::store::{Change, ChangeType, Key, controller_uid};
use crate::world::World;

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";

/// How long a pod bound to an unknown node is spared (upstream PodGC's quarantine), so a pod
/// created just before its node is not collected.
const ORPHAN_POD_QUARANTINE: SignedDuration = SignedDuration::from_secs(40);

#[derive(Debug, Default)]
pub struct GcState {
    /// Pods bound to a node that did not exist when last seen.
    unknown_node: DueSet<Key>,
    /// DaemonSets in foreground deletion, by uid: removed once their dependents are gone.
    foreground: BTreeMap<String, Key>,
    /// UIDs of the DaemonSets that exist, and the names of the nodes that exist: kept from
    /// the changes so checking a pod costs no store lookup.
    daemonsets: HashSet<String>,
    nodes: HashSet<String>,
}

pub fn run(world: &mut World, changes: &[Arc<Change>]) {
    for change in changes {
        let deleted = change.change_type == ChangeType::Deleted;
        match &change.object {
            AnyObject::DaemonSet(ds) => daemonset_changed(world, &ds.metadata, deleted),
            AnyObject::Pod(pod) if deleted => pod_deleted(world, &pod.metadata),
            AnyObject::Pod(pod) => pod_changed(world, pod),
            AnyObject::ControllerRevision(rev) if !deleted => {
                revision_changed(world, &rev.metadata)
            }
            AnyObject::Node(node) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                if deleted {
                    world.gc.nodes.remove(&name);
                    force_delete_pods_on(world, &name);
                } else {
                    world.gc.nodes.insert(name);
                }
            }
            _ => {}
        }
    }
    let now = world.now();
    while let Some((_, key)) = world.gc.unknown_node.pop_due(now) {
        let gone = world
            .store
            .get::<Pod>(&key.namespace, &key.name)
            .and_then(|p| bound_node(p).map(str::to_string))
            .is_some_and(|n| world.store.get::<Node>("", &n).is_none());
        if gone {
            let _ = world
                .store
                .delete::<Pod>(&key.namespace, &key.name, None, None);
        }
    }
}

fn daemonset_changed(world: &mut World, meta: &ObjectMeta, deleted: bool) {
    let uid = meta.uid.clone().unwrap_or_default();
    if deleted {
        world.gc.foreground.remove(&uid);
        world.gc.daemonsets.remove(&uid);
        collect_dependents(world, meta);
    } else {
        world.gc.daemonsets.insert(uid);
        finalize(world, &Key::of(meta));
    }
}

fn pod_deleted(world: &mut World, meta: &ObjectMeta) {
    world.gc.unknown_node.cancel(&Key::of(meta));
    // The last dependent of a DaemonSet in foreground deletion lets it go.
    if let Some(owner) = controller_uid(meta)
        && let Some(ds) = world.gc.foreground.get(owner).cloned()
    {
        finalize(world, &ds);
    }
}

fn revision_changed(world: &mut World, meta: &ObjectMeta) {
    let key = Key::of(meta);
    let orphaned = world
        .store
        .get::<ControllerRevision>(&key.namespace, &key.name)
        .is_some_and(|r| owners_absent(world, &r.metadata));
    if orphaned {
        let _ = world
            .store
            .delete::<ControllerRevision>(&key.namespace, &key.name, None, None);
    }
}

/// Changes come in write order, so `pod` is the latest version seen.
fn pod_changed(world: &mut World, pod: &Pod) {
    let key = &Key::of(&pod.metadata);
    if owners_absent(world, &pod.metadata) {
        let _ = world.delete_pod(&key.namespace, &key.name, &DeleteOptions::default());
        return;
    }
    match bound_node(pod) {
        Some(node) if !world.gc.nodes.contains(node) => {
            let at = world
                .now()
                .checked_add(ORPHAN_POD_QUARANTINE)
                .unwrap_or(world.now());
            world.gc.unknown_node.schedule_by(key.clone(), at);
        }
        _ => world.gc.unknown_node.cancel(key),
    }
}

/// True when the object names DaemonSet owners and none of them exists any more (by uid, so
/// a DaemonSet re-created under the same name does not inherit the old one's pods). Owners of kinds the simulator does not store are assumed present.
fn owners_absent(world: &World, meta: &ObjectMeta) -> bool {
    let refs: &[OwnerReference] = meta.owner_references.as_deref().unwrap_or(&[]);
    if refs.is_empty() {
        return false;
    }
    refs.iter()
        .all(|r| is_daemonset_ref(r) && !world.gc.daemonsets.contains(&r.uid))
}

fn is_daemonset_ref(r: &OwnerReference) -> bool {
    r.kind == "DaemonSet" && r.api_version.starts_with("apps/")
}

/// Background propagation: delete every pod and revision the deleted DaemonSet controlled.
fn collect_dependents(world: &mut World, owner: &ObjectMeta) {
    let Some(uid) = owner.uid.as_deref() else {
        return;
    };
    for key in owned_pods(world, uid) {
        let _ = world.delete_pod(&key.namespace, &key.name, &DeleteOptions::default());
    }
    for key in owned_revisions(world, owner) {
        let _ = world
            .store
            .delete::<ControllerRevision>(&key.namespace, &key.name, None, None);
    }
}

fn owned_pods(world: &World, uid: &str) -> Vec<Key> {
    world
        .store
        .pod_index
        .by_owner
        .get(uid)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default()
}

fn owned_revisions(world: &World, owner: &ObjectMeta) -> Vec<Key> {
    let namespace = owner.namespace.as_deref().unwrap_or("");
    world
        .store
        .table::<ControllerRevision>()
        .in_namespace(namespace)
        .filter(|r| controller_uid(&r.metadata) == owner.uid.as_deref())
        .map(|r| Key::of(&r.metadata))
        .collect()
}

/// A DaemonSet being deleted with a finalizer the GC owns: `orphan` releases its dependents,
/// `foregroundDeletion` deletes them and waits until they are gone; then it is removed.
fn finalize(world: &mut World, key: &Key) {
    let Some(ds) = world
        .store
        .get::<DaemonSet>(&key.namespace, &key.name)
        .cloned()
    else {
        return;
    };
    let meta = &ds.metadata;
    let finalizers = meta.finalizers.as_deref().unwrap_or(&[]);
    if meta.deletion_timestamp.is_none() {
        return;
    }
    let uid = meta.uid.clone().unwrap_or_default();
    let finished = if finalizers.iter().any(|f| f == ORPHAN) {
        orphan_dependents(world, meta, &uid);
        ORPHAN
    } else if finalizers.iter().any(|f| f == FOREGROUND) {
        collect_dependents(world, meta);
        if !owned_pods(world, &uid).is_empty() {
            world.gc.foreground.insert(uid, key.clone());
            return;
        }
        world.gc.foreground.remove(&uid);
        FOREGROUND
    } else {
        return;
    };
    let released = world
        .store
        .modify::<DaemonSet>(&key.namespace, &key.name, |d| {
            if let Some(f) = d.metadata.finalizers.as_mut() {
                f.retain(|x| x != finished);
            }
        });
    if released.is_ok_and(|d| d.metadata.finalizers.as_ref().is_none_or(|f| f.is_empty())) {
        let _ = world
            .store
            .delete::<DaemonSet>(&key.namespace, &key.name, None, None);
    }
}

fn orphan_dependents(world: &mut World, owner: &ObjectMeta, uid: &str) {
    let drop_ref = |meta: &mut ObjectMeta| {
        if let Some(refs) = meta.owner_references.as_mut() {
            refs.retain(|r| r.uid != uid);
        }
    };
    for key in owned_pods(world, uid) {
        let _ = world
            .store
            .modify::<Pod>(&key.namespace, &key.name, |p| drop_ref(&mut p.metadata));
    }
    for key in owned_revisions(world, owner) {
        let _ = world
            .store
            .modify::<ControllerRevision>(&key.namespace, &key.name, |r| drop_ref(&mut r.metadata));
    }
}

/// The node is gone: its pods go at once, whatever their grace period (upstream PodGC).
fn force_delete_pods_on(world: &mut World, node: &str) {
    let keys: Vec<Key> = world.store.pod_index.keys_on_node(node);
    for key in keys {
        let _ = world
            .store
            .delete::<Pod>(&key.namespace, &key.name, None, None);
    }
}
