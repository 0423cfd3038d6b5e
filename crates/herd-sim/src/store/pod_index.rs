//! Pods indexed by controller owner and by node, kept current on every write.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::key::Key;

/// Pods indexed the two ways the controllers look them up.
#[derive(Debug, Default)]
pub struct PodIndex {
    /// Controller owner UID -> pods it controls.
    pub by_owner: HashMap<String, BTreeSet<Key>>,
    /// Pods in each namespace with no controller owner (candidates for adoption).
    pub orphans: BTreeSet<Key>,
    /// Bound node name -> pods bound there.
    pub by_node: HashMap<String, BTreeSet<Key>>,
}

impl PodIndex {
    /// Keys of the pods bound to `node`, copied so the caller may write to the store meanwhile.
    pub fn keys_on_node(&self, node: &str) -> Vec<Key> {
        self.by_node
            .get(node)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn remove(&mut self, key: &Key, pod: &Pod) {
        match controller_uid(&pod.metadata) {
            Some(uid) => remove_from(&mut self.by_owner, uid, key),
            None => {
                self.orphans.remove(key);
            }
        }
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            remove_from(&mut self.by_node, node, key);
        }
    }

    pub(super) fn insert(&mut self, key: &Key, pod: &Pod) {
        match controller_uid(&pod.metadata) {
            Some(uid) => {
                self.by_owner
                    .entry(uid.to_string())
                    .or_default()
                    .insert(key.clone());
            }
            None => {
                self.orphans.insert(key.clone());
            }
        }
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            self.by_node
                .entry(node.to_string())
                .or_default()
                .insert(key.clone());
        }
    }
}

fn remove_from(map: &mut HashMap<String, BTreeSet<Key>>, k: &str, key: &Key) {
    if let Some(set) = map.get_mut(k) {
        set.remove(key);
        if set.is_empty() {
            map.remove(k);
        }
    }
}

/// The UID of an object's controller owner reference, if it has one.
pub fn controller_uid(meta: &ObjectMeta) -> Option<&str> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true))
        .map(|r| r.uid.as_str())
}
