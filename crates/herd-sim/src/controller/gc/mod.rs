//! Garbage collection: dependents (pods, ControllerRevisions) of DaemonSets that are gone, the
//! `foregroundDeletion` and `orphan` finalizers of a DaemonSet being deleted, and pod GC of pods
//! bound to nodes that no longer exist.

mod retry;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use jiff::SignedDuration;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::due::DueSet;
use crate::kinds::AnyObject;
use crate::kubelet::bound_node;
use crate::managed_fields::{CONTROLLER_MANAGER, Subresource, Writer};
use crate::pods::DeleteOptions;
use crate::requeue::Requeue;
use crate::store::{Change, ChangeType, Key, controller_uid};
use crate::world::World;
use retry::{Item, done, requeue};

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";
/// The component its failed writes are counted under.
pub const COMPONENT: &str = "garbage-collector";

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
    /// Objects whose collection had a write refused, to look at again after a backoff (the
    /// garbage collector's rate-limited `attemptToDelete` queue,
    /// kubernetes/pkg/controller/garbagecollector/garbagecollector.go).
    retries: Requeue<retry::Item>,
}

impl GcState {
    /// Objects waiting to retry a refused write.
    pub fn pending_retries(&self) -> usize {
        self.retries.pending()
    }
}

pub fn run(world: &mut World, changes: &[Arc<Change>]) {
    for change in changes {
        let deleted = change.change_type == ChangeType::Deleted;
        match &change.object {
            AnyObject::DaemonSet(ds) => daemonset_changed(world, &ds.metadata, deleted),
            AnyObject::Pod(pod) if deleted => pod_deleted(world, &pod.metadata),
            AnyObject::Pod(pod) => pod_changed(world, pod),
            AnyObject::ControllerRevision(rev) if !deleted => {
                let key = Key::of(&rev.metadata);
                if !revision_changed(world, &key) {
                    requeue(world, Item::Revision(key));
                }
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
            let deleted = world
                .store
                .delete::<Pod>(&key.namespace, &key.name, None, None);
            if !done(world, deleted) {
                requeue(world, Item::Pod(key));
            }
        }
    }
    retry::run_due(world);
}

fn daemonset_changed(world: &mut World, meta: &ObjectMeta, deleted: bool) {
    let uid = meta.uid.clone().unwrap_or_default();
    if deleted {
        world.gc.foreground.remove(&uid);
        world.gc.daemonsets.remove(&uid);
        // Whatever could not be deleted is requeued by itself; the owner is gone.
        collect_dependents(world, meta);
    } else {
        world.gc.daemonsets.insert(uid);
        let key = Key::of(meta);
        if !finalize(world, &key) {
            requeue(world, Item::DaemonSet(key));
        }
    }
}

fn pod_deleted(world: &mut World, meta: &ObjectMeta) {
    world.gc.unknown_node.cancel(&Key::of(meta));
    // The last dependent of a DaemonSet in foreground deletion lets it go.
    if let Some(owner) = controller_uid(meta)
        && let Some(ds) = world.gc.foreground.get(owner).cloned()
        && !finalize(world, &ds)
    {
        requeue(world, Item::DaemonSet(ds));
    }
}

/// Deletes the revision if every owner is gone; false when that delete was refused.
fn revision_changed(world: &mut World, key: &Key) -> bool {
    let orphaned = world
        .store
        .get::<ControllerRevision>(&key.namespace, &key.name)
        .is_some_and(|r| owners_absent(world, &r.metadata));
    if !orphaned {
        return true;
    }
    let deleted = world
        .store
        .delete::<ControllerRevision>(&key.namespace, &key.name, None, None);
    done(world, deleted)
}

/// Changes come in write order, so `pod` is the latest version seen.
fn pod_changed(world: &mut World, pod: &Pod) {
    let key = &Key::of(&pod.metadata);
    if owners_absent(world, &pod.metadata) {
        let deleted = world.delete_pod(&key.namespace, &key.name, &DeleteOptions::default());
        if !done(world, deleted) {
            requeue(world, Item::Pod(key.clone()));
        }
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
/// Returns false if a delete was refused; the refused dependents are requeued one by one.
fn collect_dependents(world: &mut World, owner: &ObjectMeta) -> bool {
    let Some(uid) = owner.uid.as_deref() else {
        return true;
    };
    let mut all_done = true;
    for key in owned_pods(world, uid) {
        let deleted = world.delete_pod(&key.namespace, &key.name, &DeleteOptions::default());
        if !done(world, deleted) {
            all_done = false;
            requeue(world, Item::Pod(key));
        }
    }
    for key in owned_revisions(world, owner) {
        let deleted =
            world
                .store
                .delete::<ControllerRevision>(&key.namespace, &key.name, None, None);
        if !done(world, deleted) {
            all_done = false;
            requeue(world, Item::Revision(key));
        }
    }
    all_done
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
/// Returns false if a write was refused (the DaemonSet is then retried as a whole).
fn finalize(world: &mut World, key: &Key) -> bool {
    let Some(ds) = world
        .store
        .get::<DaemonSet>(&key.namespace, &key.name)
        .cloned()
    else {
        return true;
    };
    let meta = &ds.metadata;
    let finalizers = meta.finalizers.as_deref().unwrap_or(&[]);
    if meta.deletion_timestamp.is_none() {
        return true;
    }
    let uid = meta.uid.clone().unwrap_or_default();
    let finished = if finalizers.iter().any(|f| f == ORPHAN) {
        if !orphan_dependents(world, meta, &uid) {
            return false;
        }
        ORPHAN
    } else if finalizers.iter().any(|f| f == FOREGROUND) {
        let collected = collect_dependents(world, meta);
        if !owned_pods(world, &uid).is_empty() {
            world.gc.foreground.insert(uid, key.clone());
            return collected;
        }
        world.gc.foreground.remove(&uid);
        FOREGROUND
    } else {
        return true;
    };
    // The garbage collector writes as kube-controller-manager too (its User-Agent prefix).
    let writer = Writer {
        manager: CONTROLLER_MANAGER,
        subresource: Subresource::Main,
    };
    let now = world.now();
    let released =
        world
            .store
            .modify_as::<DaemonSet>(&key.namespace, &key.name, writer, now, |d| {
                if let Some(f) = d.metadata.finalizers.as_mut() {
                    f.retain(|x| x != finished);
                }
            });
    match released {
        Ok(d) if d.metadata.finalizers.as_ref().is_none_or(|f| f.is_empty()) => {
            let deleted = world
                .store
                .delete::<DaemonSet>(&key.namespace, &key.name, None, None);
            done(world, deleted)
        }
        released => done(world, released),
    }
}

/// Drops the owner's references from its dependents; false if a write was refused.
fn orphan_dependents(world: &mut World, owner: &ObjectMeta, uid: &str) -> bool {
    let drop_ref = |meta: &mut ObjectMeta| {
        if let Some(refs) = meta.owner_references.as_mut() {
            refs.retain(|r| r.uid != uid);
        }
    };
    let mut all_done = true;
    for key in owned_pods(world, uid) {
        let orphaned = world
            .store
            .modify::<Pod>(&key.namespace, &key.name, |p| drop_ref(&mut p.metadata));
        all_done &= done(world, orphaned);
    }
    for key in owned_revisions(world, owner) {
        let orphaned = world
            .store
            .modify::<ControllerRevision>(&key.namespace, &key.name, |r| drop_ref(&mut r.metadata));
        all_done &= done(world, orphaned);
    }
    all_done
}

/// The node is gone: its pods go at once, whatever their grace period (upstream PodGC,
/// kubernetes/pkg/controller/podgc/gc_controller.go). A refused delete is retried.
fn force_delete_pods_on(world: &mut World, node: &str) {
    let keys: Vec<Key> = world.store.pod_index.keys_on_node(node);
    for key in keys {
        let deleted = world
            .store
            .delete::<Pod>(&key.namespace, &key.name, None, None);
        if !done(world, deleted) {
            requeue(world, Item::Pod(key));
        }
    }
}
