//! The simulator's object store: typed tables, one resourceVersion counter, a bounded change
//! history for watches, and the indexes the controllers need at 150,000 pods.

use std::collections::VecDeque;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use tokio::sync::broadcast;

use super::kinds::{AnyObject, Object};
use super::managed_fields::{self, Writer};

mod faults;
mod key;
mod pod_index;
mod table;

pub use faults::{WriteFault, WriteOp};
pub use key::{Change, ChangeFeed, ChangeType, Key, StoreError};
pub use pod_index::{PodIndex, controller_uid};
pub use table::Table;

/// How many past changes a watch may resume from; older resourceVersions get 410 Gone.
pub const DEFAULT_HISTORY: usize = 20_000;
/// Watch fan-out buffer; a watcher that falls further behind is disconnected and must resume.
const FEED_CAPACITY: usize = 65_536;

/// All stored objects plus the machinery every write goes through.
pub struct Store {
    rv: u64,
    uid_counter: u64,
    seed: u64,
    pub(crate) namespaces: Table<Namespace>,
    pub(crate) nodes: Table<Node>,
    pub(crate) pods: Table<Pod>,
    pub(crate) daemonsets: Table<DaemonSet>,
    pub(crate) revisions: Table<ControllerRevision>,
    pub(crate) events: Table<Event>,
    pub(crate) leases: Table<Lease>,
    pub pod_index: PodIndex,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// Highest resourceVersion no longer in `history`; a watch from below it gets 410 Gone.
    compacted_rv: u64,
    feed: broadcast::Sender<Arc<Change>>,
    /// Changes since the controllers last looked, drained by `World::step`.
    unseen: Vec<Arc<Change>>,
    /// Write failures armed by tests (empty otherwise).
    faults: faults::WriteFaults,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("rv", &self.rv)
            .field("nodes", &self.nodes.len())
            .field("pods", &self.pods.len())
            .field("daemonsets", &self.daemonsets.len())
            .finish()
    }
}

impl Store {
    pub fn new(seed: u64) -> Self {
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        Store {
            rv: 1,
            uid_counter: 0,
            seed,
            namespaces: Table::default(),
            nodes: Table::default(),
            pods: Table::default(),
            daemonsets: Table::default(),
            revisions: Table::default(),
            events: Table::default(),
            leases: Table::default(),
            pod_index: PodIndex::default(),
            history: VecDeque::new(),
            history_limit: DEFAULT_HISTORY,
            compacted_rv: 0,
            feed,
            unseen: Vec::new(),
            faults: Default::default(),
        }
    }

    /// The resourceVersion of the latest write: what a list reports.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn table<K: Object>(&self) -> &Table<K> {
        K::table(self)
    }

    pub fn get<K: Object>(&self, namespace: &str, name: &str) -> Option<&Arc<K>> {
        K::table(self).get(&Key::new(namespace, name))
    }

    /// A fresh, deterministic UID (the same seed gives the same UIDs).
    pub fn next_uid(&mut self) -> String {
        self.uid_counter += 1;
        let a = mix(self.seed ^ self.uid_counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = mix(a ^ 0xD1B5_4A32_D192_ED03);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    /// The five-character suffix the API server appends to `generateName`.
    fn name_suffix(&mut self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        self.uid_counter += 1;
        let mut x = mix(self.seed.rotate_left(17) ^ self.uid_counter);
        (0..5)
            .map(|_| {
                let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
                x /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }

    /// Stores a new object: fills name (from generateName), uid, resourceVersion and
    /// creationTimestamp, and announces it to watches.
    pub fn create<K: Object>(&mut self, mut obj: K, now: Timestamp) -> Result<Arc<K>, StoreError> {
        // Before any name is drawn, so a failed create leaves the generated names unchanged.
        if let Some(error) = self.faults.take(K::SIM_KIND, WriteOp::Create) {
            return Err(error);
        }
        let info = K::SIM_KIND.info();
        let meta = obj.metadata_mut();
        if meta.name.as_deref().unwrap_or("").is_empty() {
            let Some(prefix) = meta.generate_name.clone().filter(|p| !p.is_empty()) else {
                return Err(StoreError::Invalid(format!(
                    "{} is invalid: metadata.name: Required value: name or generateName is required",
                    info.kind
                )));
            };
            let mut name = format!("{prefix}{}", self.name_suffix());
            while K::table(self)
                .get(&Key::new(namespace_of(obj.metadata()), &name))
                .is_some()
            {
                name = format!("{prefix}{}", self.name_suffix());
            }
            obj.metadata_mut().name = Some(name);
        }
        let key = Key::of(obj.metadata());
        if K::table(self).get(&key).is_some() {
            return Err(StoreError::AlreadyExists {
                kind: info.plural,
                name: key.name,
            });
        }
        let uid = self.next_uid();
        let rv = self.bump();
        let meta = obj.metadata_mut();
        meta.uid = Some(uid);
        meta.resource_version = Some(rv.to_string());
        meta.creation_timestamp = Some(Time(now));
        meta.deletion_timestamp = None;
        let stored = Arc::new(obj);
        K::table_mut(self)
            .objects
            .insert(key.clone(), stored.clone());
        self.reindex(&key, None, Some(&K::wrap(stored.clone())));
        self.publish(rv, ChangeType::Added, K::wrap(stored.clone()));
        Ok(stored)
    }

    /// Replaces an object. A resourceVersion in `obj` must match the stored one (else 409);
    /// an empty one means "unconditional", as on the real API server. uid and
    /// creationTimestamp are kept from the stored object.
    pub fn update<K: Object>(&mut self, mut obj: K) -> Result<Arc<K>, StoreError> {
        let info = K::SIM_KIND.info();
        let key = Key::of(obj.metadata());
        let Some(old) = K::table(self).get(&key).cloned() else {
            return Err(StoreError::NotFound {
                kind: info.plural,
                name: key.name,
            });
        };
        let old_meta = old.metadata();
        let stale = obj
            .metadata()
            .resource_version
            .as_deref()
            .filter(|r| !r.is_empty())
            .is_some_and(|rv| Some(rv) != old_meta.resource_version.as_deref());
        if stale {
            return Err(StoreError::Conflict {
                plural: info.plural,
                name: key.name,
            });
        }
        if let Some(error) = self.faults.take(K::SIM_KIND, WriteOp::Update) {
            return Err(error);
        }
        let rv = self.bump();
        let meta = obj.metadata_mut();
        meta.uid = old_meta.uid.clone();
        meta.creation_timestamp = old_meta.creation_timestamp.clone();
        meta.resource_version = Some(rv.to_string());
        let stored = Arc::new(obj);
        K::table_mut(self)
            .objects
            .insert(key.clone(), stored.clone());
        self.reindex(&key, Some(&K::wrap(old)), Some(&K::wrap(stored.clone())));
        self.publish(rv, ChangeType::Modified, K::wrap(stored.clone()));
        Ok(stored)
    }

    /// Reads the current object, lets `change` edit a copy, and writes it back unless the
    /// edit left it unchanged. Controllers use this for their own writes.
    pub fn modify<K: Object + PartialEq>(
        &mut self,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut K),
    ) -> Result<Arc<K>, StoreError> {
        let Some(current) = self.get::<K>(namespace, name).cloned() else {
            return Err(StoreError::NotFound {
                kind: K::SIM_KIND.info().plural,
                name: name.to_string(),
            });
        };
        let mut copy = current.as_ref().clone();
        change(&mut copy);
        if copy == *current {
            return Ok(current);
        }
        self.update(copy)
    }

    /// [`Store::modify`], with the change recorded in managedFields as `writer`'s `Update`.
    /// The components call it only for DaemonSets (status and finalizers, as
    /// `kube-controller-manager`): the pods they create and the statuses their kubelets post
    /// carry no managedFields, because 150,000 pods each with a field tree would cost gigabytes
    /// and a diff on every kubelet write.
    pub fn modify_as<K: Object + PartialEq>(
        &mut self,
        namespace: &str,
        name: &str,
        writer: Writer<'_>,
        now: Timestamp,
        change: impl FnOnce(&mut K),
    ) -> Result<Arc<K>, StoreError> {
        self.modify(namespace, name, |copy: &mut K| {
            let before = copy.clone();
            change(copy);
            if *copy != before {
                // Stored API objects always serialise; were one not to, only the bookkeeping
                // would be lost, never the write.
                let _ = managed_fields::record_update(Some(&before), copy, writer, now);
            }
        })
    }

    /// Removes an object at once and announces its last state. `expected_uid` and
    /// `expected_rv` are the API's delete preconditions.
    pub fn delete<K: Object>(
        &mut self,
        namespace: &str,
        name: &str,
        expected_uid: Option<&str>,
        expected_rv: Option<&str>,
    ) -> Result<Arc<K>, StoreError> {
        let info = K::SIM_KIND.info();
        let key = Key::new(namespace, name);
        let Some(old) = K::table(self).get(&key).cloned() else {
            return Err(StoreError::NotFound {
                kind: info.plural,
                name: name.to_string(),
            });
        };
        let meta = old.metadata();
        let uid_differs = expected_uid.is_some_and(|uid| meta.uid.as_deref() != Some(uid));
        let rv_differs = expected_rv.is_some_and(|rv| meta.resource_version.as_deref() != Some(rv));
        if uid_differs || rv_differs {
            return Err(StoreError::Conflict {
                plural: info.plural,
                name: name.to_string(),
            });
        }
        if let Some(error) = self.faults.take(K::SIM_KIND, WriteOp::Delete) {
            return Err(error);
        }
        K::table_mut(self).objects.remove(&key);
        let rv = self.bump();
        let mut last = old.as_ref().clone();
        last.metadata_mut().resource_version = Some(rv.to_string());
        let last = Arc::new(last);
        self.reindex(&key, Some(&K::wrap(old)), None);
        self.publish(rv, ChangeType::Deleted, K::wrap(last.clone()));
        Ok(last)
    }

    fn bump(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn reindex(&mut self, key: &Key, old: Option<&AnyObject>, new: Option<&AnyObject>) {
        if let Some(AnyObject::Pod(p)) = old {
            self.pod_index.remove(key, p);
        }
        if let Some(AnyObject::Pod(p)) = new {
            self.pod_index.insert(key, p);
        }
    }

    fn publish(&mut self, rv: u64, change_type: ChangeType, object: AnyObject) {
        let change = Arc::new(Change {
            rv,
            change_type,
            object,
        });
        self.history.push_back(change.clone());
        while self.history.len() > self.history_limit {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted_rv = dropped.rv;
            }
        }
        self.unseen.push(change.clone());
        // No receivers is normal (nobody watching); that is not an error.
        let _ = self.feed.send(change);
    }

    /// Changes since the last call, for the controllers to react to.
    pub fn take_unseen(&mut self) -> Vec<Arc<Change>> {
        std::mem::take(&mut self.unseen)
    }

    pub fn has_unseen(&self) -> bool {
        !self.unseen.is_empty()
    }

    /// Starts a watch after resourceVersion `from`: the changes already made since then,
    /// and a receiver for the ones to come. `None` when `from` has been compacted away.
    pub fn watch_from(&self, from: u64) -> Option<(Vec<Arc<Change>>, ChangeFeed)> {
        if from < self.compacted_rv {
            return None;
        }
        let replay = self
            .history
            .iter()
            .filter(|c| c.rv > from)
            .cloned()
            .collect();
        Some((replay, self.feed.subscribe()))
    }

    /// A receiver for future changes only.
    pub fn subscribe(&self) -> ChangeFeed {
        self.feed.subscribe()
    }

    /// Forgets all history, so every resumed watch gets 410 Gone (fault injection).
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }

    /// Arms a write failure: the next `fault.times` writes of `fault.op` on `fault.kind`
    /// fail with `fault.error` and change nothing. Only tests arm it, to show that the
    /// controllers count a failed write and retry it as upstream's work queues do.
    pub fn fail_next_writes(&mut self, fault: WriteFault) {
        self.faults.arm(fault);
    }

    /// How many writes armed faults have failed so far.
    pub fn injected_write_failures(&self) -> u64 {
        self.faults.injected()
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
    }
}

fn namespace_of(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or("")
}

/// SplitMix64 finaliser: a cheap, well-spread hash for deterministic ids.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Node;

    fn node(name: &str) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn writes_bump_resource_version_and_conflict_on_stale() {
        let mut s = Store::new(1);
        let now = Timestamp::UNIX_EPOCH;
        let created = s.create(node("n1"), now).expect("create");
        let rv1 = created.metadata.resource_version.clone();
        let mut edit = created.as_ref().clone();
        edit.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
        let updated = s.update(edit.clone()).expect("update");
        assert_ne!(updated.metadata.resource_version, rv1);
        // The same edit again carries the old resourceVersion: a conflict.
        assert!(matches!(s.update(edit), Err(StoreError::Conflict { .. })));
        assert!(matches!(
            s.create(node("n1"), now),
            Err(StoreError::AlreadyExists { .. })
        ));
    }

    #[test]
    fn watch_replays_from_version_and_reports_compaction() {
        let mut s = Store::new(1);
        let now = Timestamp::UNIX_EPOCH;
        let a = s.create(node("a"), now).expect("create");
        s.create(node("b"), now).expect("create");
        let from: u64 = a
            .metadata
            .resource_version
            .as_deref()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let (replay, _rx) = s.watch_from(from).expect("not compacted");
        assert_eq!(replay.len(), 1);
        assert_eq!(replay[0].object.metadata().name.as_deref(), Some("b"));
        s.compact();
        assert!(s.watch_from(from).is_none());
    }

    #[test]
    fn generate_name_gives_distinct_names() {
        let mut s = Store::new(7);
        let mut n = node("");
        n.metadata.generate_name = Some("worker-".into());
        let a = s.create(n.clone(), Timestamp::UNIX_EPOCH).expect("a");
        let b = s.create(n, Timestamp::UNIX_EPOCH).expect("b");
        assert_ne!(a.metadata.name, b.metadata.name);
        assert!(
            a.metadata
                .name
                .as_deref()
                .unwrap_or("")
                .starts_with("worker-")
        );
    }
}
