//! `Fleet::apply`: folding watch events, re-lists and metrics polls into the store and its indexes.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::pods::PodTable;
use super::{Fleet, FleetEvent, Record, RecordKey, Relist};
use crate::model::daemonset::DaemonSet;
use crate::model::fasthash::FastMap;
use crate::model::intern::Interner;
use crate::model::node::{Node, NodeTally};
use crate::model::others::PodScope;
use crate::model::pod::{ContainerResources, Pod};
use crate::model::revision::ControllerRevision;
use crate::model::usage::{MetricsSnapshot, MetricsState, UsageHistory, UsageReach};

impl Fleet {
    /// Applies one event; each costs O(1) map operations (a re-list, O(objects)).
    pub fn apply(&mut self, event: FleetEvent) {
        match event {
            FleetEvent::Upsert(record) => self.upsert(record),
            FleetEvent::Delete(key) => self.delete(&key),
            FleetEvent::Relisted(relist) => self.relist(relist),
            FleetEvent::PodsRelisting { first, pods } => {
                let aside = match self.pods_relisting.take() {
                    Some(aside) if !first => aside,
                    _ => PodTable::default(),
                };
                let aside = self.pods_relisting.insert(aside);
                for mut pod in pods {
                    intern_pod_strings(&mut self.strings, &mut self.container_sets, &mut pod);
                    aside.add_listed(pod);
                }
                // Nothing a reader sees has changed.
                return;
            }
            FleetEvent::Metrics(snapshot) => {
                self.changes.metrics = true;
                self.record_metrics(snapshot);
            }
            FleetEvent::MetricsUnavailable { at, reason } => {
                self.changes.metrics = true;
                let since = match &self.metrics {
                    MetricsState::Unavailable { since, .. } => *since,
                    _ => at,
                };
                self.metrics = MetricsState::Unavailable { since, reason };
            }
            FleetEvent::PodScope(scope) => {
                if self.pod_scope != scope {
                    self.pod_scope = scope;
                    self.others.clear();
                    self.changes.everything();
                }
            }
            FleetEvent::OtherPods(others) => {
                // Only for nodes the fleet knows, and only when some pods are not watched.
                if self.pod_scope == PodScope::Daemon
                    && let Some((name, _)) = self.nodes.get_key_value(&*others.node)
                {
                    let name = Arc::clone(name);
                    if self.others.get(&name) != Some(&others) {
                        self.changes.everything();
                    }
                    self.others.insert(name, others);
                }
            }
        }
        self.strings.maybe_purge();
        self.container_sets.maybe_purge();
        self.generation += 1;
    }

    /// A record equal to the stored one (a status heartbeat, a resync) changes nothing and is
    /// not recorded as a change, so readers skip the work.
    fn upsert(&mut self, record: Record) {
        match record {
            Record::Node(node) => {
                if self.nodes.get(&*node.name) != Some(&node) {
                    self.changes.everything();
                    self.node_epoch += 1;
                    self.upsert_node(node);
                }
            }
            Record::DaemonSet(ds) => {
                match self.daemon_sets.get(&*ds.uid) {
                    Some(old) if *old == ds => return,
                    // Same identity: only this DaemonSet's analysis moves.
                    Some(old) if old.namespace == ds.namespace && old.name == ds.name => {
                        self.changes.touch(Some(&ds.uid));
                    }
                    // New, renamed or replacing another: the set and its order change.
                    _ => self.changes.everything(),
                }
                self.upsert_daemon_set(ds);
            }
            Record::Pod(pod) => {
                let old = self.pods.id(&pod.namespace, &pod.name);
                let old = old.and_then(|id| self.pods.get(id));
                if old == Some(&pod) {
                    return;
                }
                let old_owner = old.and_then(|p| p.owner_uid.clone());
                self.changes.touch(old_owner.as_ref());
                self.changes.touch(pod.owner_uid.as_ref());
                self.upsert_pod(pod);
            }
            Record::Revision(rev) => {
                let old = self.revisions.get(&*rev.uid);
                if old == Some(&rev) {
                    return;
                }
                let old_owner = old.and_then(|r| r.owner_uid.clone());
                self.changes.touch(old_owner.as_ref());
                self.changes.touch(rev.owner_uid.as_ref());
                self.upsert_revision(rev);
            }
        }
    }

    fn delete(&mut self, key: &RecordKey) {
        match key {
            RecordKey::Node { name } => {
                if let Some(gone) = self.nodes.remove(&**name) {
                    self.node_tally.remove(&gone);
                    self.changes.everything();
                    self.node_epoch += 1;
                }
                self.node_usage.remove(&**name);
                self.others.remove(&**name);
            }
            RecordKey::DaemonSet { uid } => {
                if self.daemon_sets.contains_key(&**uid) {
                    self.changes.everything();
                }
                self.remove_daemon_set(uid);
            }
            RecordKey::Pod { namespace, name } => {
                if let Some(gone) = self.pods.remove(namespace, name) {
                    self.changes.touch(gone.owner_uid.as_ref());
                }
            }
            RecordKey::Revision { uid } => {
                let owner = self.revisions.get(&**uid).and_then(|r| r.owner_uid.clone());
                self.changes.touch(owner.as_ref());
                self.remove_revision(uid);
            }
        }
    }

    fn relist(&mut self, relist: Relist) {
        self.changes.everything();
        // A node list may change any node; a pod list numbers the node slots afresh.
        if matches!(relist, Relist::Nodes(_) | Relist::Pods(_)) {
            self.node_epoch += 1;
        }
        match relist {
            Relist::Nodes(nodes) => {
                self.nodes.clear();
                self.node_tally = NodeTally::default();
                nodes.into_iter().for_each(|n| self.upsert_node(n));
                let nodes = &self.nodes;
                self.node_usage.retain(|name, _| nodes.contains_key(name));
            }
            Relist::DaemonSets(list) => {
                self.daemon_sets.clear();
                self.ds_names.clear();
                list.into_iter().for_each(|d| self.upsert_daemon_set(d));
            }
            Relist::Pods(mut pods) => {
                pods.iter_mut().for_each(|p| self.intern_pod(p));
                // The parts set aside so far, or (a list sent whole) a table sized for it.
                let mut table = self
                    .pods_relisting
                    .take()
                    .unwrap_or_else(|| PodTable::with_room_for(&pods));
                pods.into_iter().for_each(|p| table.add_listed(p));
                table.adopt_usage(&mut self.pods);
                self.pods = table;
            }
            Relist::Revisions(list) => {
                self.revisions.clear();
                self.revisions_by_owner.clear();
                list.into_iter().for_each(|r| self.upsert_revision(r));
            }
        }
        // A re-list is the moment whole sets of objects drop out; let their strings go too.
        self.strings.purge();
        self.container_sets.purge();
    }

    fn record_metrics(&mut self, snapshot: MetricsSnapshot) {
        let (at, stretched, reach) = (snapshot.at, snapshot.stretched, snapshot.reach);
        for sample in &snapshot.pods {
            self.pods
                .record_usage(&sample.namespace, &sample.name, at, sample.usage);
        }
        // Like pods, usage of nodes the fleet does not know is dropped: the node list leads.
        for sample in &snapshot.nodes {
            let Some(name) = self
                .nodes
                .get_key_value(sample.name.as_str())
                .map(|(k, _)| k)
            else {
                continue;
            };
            match self.node_usage.get_mut(&**name) {
                Some(history) => history.push(at, sample.usage),
                None => {
                    let history = UsageHistory::new(at, sample.usage);
                    self.node_usage.insert(Arc::clone(name), history);
                }
            }
        }
        // A focus poll freshens what it read and leaves the fleet's state as the last
        // fleet-wide poll set it: usage it did not read is not gone.
        if reach == UsageReach::Fleet {
            self.metrics = MetricsState::Available { at, stretched };
        }
    }

    fn upsert_node(&mut self, mut node: Node) {
        self.strings.intern(&mut node.name);
        self.strings.intern_opt(&mut node.pool);
        self.node_tally.add(&node);
        if let Some(old) = self.nodes.insert(Arc::clone(&node.name), node) {
            self.node_tally.remove(&old);
        }
    }

    fn upsert_daemon_set(&mut self, mut ds: DaemonSet) {
        self.strings.intern(&mut ds.namespace);
        self.strings.intern(&mut ds.name);
        self.strings.intern(&mut ds.uid);
        self.strings.intern_opt(&mut ds.current_hash);
        for c in &mut ds.containers {
            self.strings.intern(&mut c.name);
            self.strings.intern(&mut c.image);
        }
        // Names are unique per namespace: a different uid under the same name is a
        // replacement whose delete we missed.
        let previous = self
            .ds_names
            .get(&*ds.namespace)
            .and_then(|names| names.get(&*ds.name))
            .filter(|uid| **uid != ds.uid)
            .cloned();
        if let Some(stale) = previous {
            self.remove_daemon_set(&stale);
        }
        if let Some(old) = self.daemon_sets.get(&*ds.uid)
            && (old.namespace != ds.namespace || old.name != ds.name)
        {
            let uid = Arc::clone(&ds.uid);
            self.remove_daemon_set(&uid);
        }
        self.ds_names
            .entry(Arc::clone(&ds.namespace))
            .or_default()
            .insert(Arc::clone(&ds.name), Arc::clone(&ds.uid));
        self.daemon_sets.insert(Arc::clone(&ds.uid), ds);
    }

    fn remove_daemon_set(&mut self, uid: &str) {
        let Some(ds) = self.daemon_sets.remove(uid) else {
            return;
        };
        remove_name(&mut self.ds_names, &ds.namespace, &ds.name);
    }

    fn upsert_pod(&mut self, mut pod: Pod) {
        self.intern_pod(&mut pod);
        self.pods.upsert(pod);
    }

    fn intern_pod(&mut self, pod: &mut Pod) {
        intern_pod_strings(&mut self.strings, &mut self.container_sets, pod);
    }

    fn upsert_revision(&mut self, mut rev: ControllerRevision) {
        self.strings.intern(&mut rev.namespace);
        self.strings.intern_opt(&mut rev.owner_uid);
        self.strings.intern_opt(&mut rev.hash);
        self.remove_revision(&rev.uid.clone());
        if let Some(owner) = &rev.owner_uid {
            let owned = self
                .revisions_by_owner
                .entry(Arc::clone(owner))
                .or_default();
            owned.push(Arc::clone(&rev.uid));
        }
        self.revisions.insert(Arc::clone(&rev.uid), rev);
    }

    fn remove_revision(&mut self, uid: &str) {
        let Some(rev) = self.revisions.remove(uid) else {
            return;
        };
        if let Some(owner) = &rev.owner_uid {
            remove_owned(&mut self.revisions_by_owner, owner, uid);
        }
    }
}

fn remove_name(names: &mut BTreeMap<Arc<str>, BTreeMap<Arc<str>, Arc<str>>>, ns: &str, name: &str) {
    if let Some(in_ns) = names.get_mut(ns) {
        in_ns.remove(name);
        if in_ns.is_empty() {
            names.remove(ns);
        }
    }
}

fn remove_owned(map: &mut FastMap<Arc<str>, Vec<Arc<str>>>, owner: &str, uid: &str) {
    if let Some(list) = map.get_mut(owner) {
        list.retain(|u| &**u != uid);
        if list.is_empty() {
            map.remove(owner);
        }
    }
}

/// Shares the pod's strings and container set with every other pod that has the same.
fn intern_pod_strings(
    strings: &mut Interner<str>,
    container_sets: &mut Interner<[ContainerResources]>,
    pod: &mut Pod,
) {
    strings.intern(&mut pod.namespace);
    strings.intern_opt(&mut pod.owner_uid);
    strings.intern_opt(&mut pod.node);
    strings.intern_opt(&mut pod.revision_hash);
    strings.intern_opt(&mut pod.waiting_reason);
    strings.intern_opt(&mut pod.last_terminated_reason);
    strings.intern_opt(&mut pod.unschedulable);
    container_sets.intern(&mut pod.containers);
}
