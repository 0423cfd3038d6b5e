//! The DaemonSet controller, rule by rule after upstream's
//! kubernetes/pkg/controller/daemon/daemon_controller.go and update.go (docs/SEMANTICS.md): an
//! event-driven loop that syncs only the DaemonSets a change touches or whose timer is due.

mod actions;
mod backoff;
mod hash;
mod history;
mod manage;
mod newpod;
mod ownership;
mod placement;
pub(crate) mod podutil;
mod rolling;
mod status;
mod sync;
mod view;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::kinds::AnyObject;
use crate::requeue::Requeue;
use crate::store::{Change, ChangeType, Key, controller_uid};
use crate::world::World;

pub(crate) use hash::{normalize as normalize_template, template_value};
pub(crate) use sync::template_generation;

/// How often idle failed-pod backoff entries are dropped (the controller manager's GC period).
const BACKOFF_GC_PERIOD: SignedDuration = SignedDuration::from_secs(60);

/// What the controller knows of one DaemonSet between syncs, to route changes to it.
#[derive(Debug)]
struct Known {
    uid: String,
    selector: Option<placement::Selector>,
}

/// What the controller remembers between syncs (failed-pod backoff, DaemonSets to sync).
#[derive(Debug, Default)]
pub struct ControllerState {
    started: bool,
    dirty: BTreeSet<Key>,
    timers: BTreeSet<(Timestamp, Key)>,
    backoff: backoff::Backoff,
    last_backoff_gc: Option<Timestamp>,
    nodes: placement::NodeCache,
    known: HashMap<Key, Known>,
    by_uid: HashMap<String, Key>,
    /// The resourceVersion of each DaemonSet's last own status write: its change is no news.
    own_status_rv: HashMap<Key, u64>,
    /// Pod (by key hash) -> uid of the DaemonSet controlling it, to notice a pod changing hands.
    pod_owner: HashMap<u64, Arc<str>>,
    /// DaemonSets whose last sync had a write refused, due for another try.
    retries: Requeue<Key>,
    /// Syncs run so far (how much work the controller does).
    syncs: u64,
}

impl ControllerState {
    /// Syncs run since the world was created.
    pub fn sync_count(&self) -> u64 {
        self.syncs
    }

    /// DaemonSets waiting to retry a sync whose write failed.
    pub fn pending_retries(&self) -> usize {
        self.retries.pending()
    }
}

/// Syncs every DaemonSet the changes touch, plus those whose timers are due.
pub fn run(world: &mut World, changes: &[Arc<Change>]) {
    let now = world.now();
    {
        let World {
            store,
            daemonsets: state,
            ..
        } = &mut *world;
        if !state.started {
            state.start(store);
        }
        for change in changes {
            state.observe(store, change);
        }
        state.pop_due(now);
        state.gc_backoff(now);
    }
    let keys = std::mem::take(&mut world.daemonsets.dirty);
    for key in keys {
        let failures_before = world.write_failures().of(actions::COMPONENT);
        let outcome = sync::sync(world, &key);
        let failed = world.write_failures().of(actions::COMPONENT) > failures_before;
        let state = &mut world.daemonsets;
        state.syncs += 1;
        // `processNextWorkItem` (kubernetes/pkg/controller/daemon/daemon_controller.go): a
        // sync that returned an error is requeued rate-limited, a clean one forgotten. Here a
        // sync failed if it counted a refused write.
        if failed {
            state.retries.add_rate_limited(key.clone(), now);
        } else {
            state.retries.forget(&key);
        }
        if let Some(rv) = outcome.status_rv {
            state.own_status_rv.insert(key.clone(), rv);
        }
        if let Some(at) = outcome.requeue_at {
            state.timers.insert((at, key));
        }
    }
}

fn key_hash(key: &Key) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl ControllerState {
    /// First run: learn every DaemonSet, node and daemon pod, and sync every DaemonSet.
    fn start(&mut self, store: &crate::store::Store) {
        self.started = true;
        for ds in store.table::<DaemonSet>().values() {
            let key = self.learn(ds);
            self.dirty.insert(key);
        }
        for node in store.table::<k8s_openapi::api::core::v1::Node>().values() {
            self.nodes.observe(node);
        }
        for (uid, keys) in &store.pod_index.by_owner {
            if self.by_uid.contains_key(uid) {
                let uid: Arc<str> = Arc::from(uid.as_str());
                for key in keys {
                    self.pod_owner.insert(key_hash(key), uid.clone());
                }
            }
        }
    }

    fn learn(&mut self, ds: &DaemonSet) -> Key {
        let key = Key::of(&ds.metadata);
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let selector = placement::Selector::new(&ds.spec.selector).ok();
        self.by_uid.insert(uid.clone(), key.clone());
        self.known.insert(key.clone(), Known { uid, selector });
        key
    }

    fn forget(&mut self, key: &Key) {
        if let Some(known) = self.known.remove(key) {
            self.by_uid.remove(&known.uid);
        }
        self.own_status_rv.remove(key);
        self.dirty.remove(key);
        self.retries.cancel(key);
    }

    fn mark_all(&mut self) {
        self.dirty.extend(self.known.keys().cloned());
    }

    fn mark_uid(&mut self, uid: &str) {
        if let Some(key) = self.by_uid.get(uid) {
            self.dirty.insert(key.clone());
        }
    }

    /// DaemonSets in the object's namespace whose selector matches it (orphan routing).
    fn mark_matching(&mut self, meta: &ObjectMeta) {
        let ns = meta.namespace.as_deref().unwrap_or_default();
        let hits: Vec<Key> = self
            .known
            .iter()
            .filter(|(k, d)| {
                k.namespace == ns
                    && d.selector
                        .as_ref()
                        .is_some_and(|s| s.matches(meta.labels.as_ref()))
            })
            .map(|(k, _)| k.clone())
            .collect();
        self.dirty.extend(hits);
    }

    fn observe(&mut self, store: &crate::store::Store, change: &Change) {
        match &change.object {
            AnyObject::DaemonSet(ds) => self.observe_daemonset(ds, change),
            AnyObject::Pod(pod) => self.observe_pod(pod, change.change_type),
            AnyObject::Node(node) => {
                let relevant = match change.change_type {
                    ChangeType::Deleted => {
                        self.nodes
                            .forget(node.metadata.name.as_deref().unwrap_or_default());
                        true
                    }
                    _ => self.nodes.observe(node),
                };
                if relevant {
                    self.mark_all();
                }
            }
            AnyObject::ControllerRevision(r) => match controller_uid(&r.metadata) {
                Some(uid) => self.mark_uid(uid),
                None => self.mark_matching(&r.metadata),
            },
            _ => {}
        }
        let _ = store;
    }

    fn observe_daemonset(&mut self, ds: &DaemonSet, change: &Change) {
        let key = Key::of(&ds.metadata);
        if change.change_type == ChangeType::Deleted {
            self.forget(&key);
            return;
        }
        self.learn(ds);
        if self.own_status_rv.get(&key) != Some(&change.rv) {
            self.dirty.insert(key);
        }
    }

    fn observe_pod(&mut self, pod: &Pod, change_type: ChangeType) {
        let h = key_hash(&Key::of(&pod.metadata));
        let owner = controller_uid(&pod.metadata).filter(|uid| self.by_uid.contains_key(*uid));
        let previous = if change_type == ChangeType::Deleted || owner.is_none() {
            self.pod_owner.remove(&h)
        } else {
            self.pod_owner
                .insert(h, Arc::from(owner.unwrap_or_default()))
        };
        if let Some(prev) = previous.filter(|p| Some(p.as_ref()) != owner) {
            self.mark_uid(&prev);
        }
        match (owner, controller_uid(&pod.metadata)) {
            (Some(uid), _) => self.mark_uid(uid),
            (None, None) if pod.metadata.deletion_timestamp.is_none() => {
                self.mark_matching(&pod.metadata)
            }
            _ => {}
        }
    }

    fn pop_due(&mut self, now: Timestamp) {
        while let Some(key) = self.retries.pop_due(now) {
            if self.known.contains_key(&key) {
                self.dirty.insert(key);
            }
        }
        while let Some(first) = self.timers.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, key)) = self.timers.pop_first()
                && self.known.contains_key(&key)
            {
                self.dirty.insert(key);
            }
        }
    }

    fn gc_backoff(&mut self, now: Timestamp) {
        let due = self
            .last_backoff_gc
            .is_none_or(|last| now.duration_since(last) >= BACKOFF_GC_PERIOD);
        if due {
            self.backoff.gc(now);
            self.last_backoff_gc = Some(now);
        }
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
