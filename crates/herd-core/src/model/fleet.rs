//! The `Fleet` store: every slim record herd watches, with the indexes analysis walks,
//! updated one event at a time by [`Fleet::apply`].

mod apply;
mod changes;
mod index;
mod pods;
mod podset;
mod vitals;

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

pub use self::changes::Changes;
pub use self::index::{NodeSlot, Owned};
use self::pods::PodTable;
pub use self::podset::{PodId, PodSet};
pub use self::vitals::PodVitals;
use crate::model::daemonset::DaemonSet;
use crate::model::fasthash::FastMap;
use crate::model::intern::Interner;
use crate::model::node::{Node, NodeTally};
use crate::model::others::{OtherPods, PodScope};
use crate::model::pod::{ContainerResources, Pod};
use crate::model::resources::Usage;
use crate::model::revision::ControllerRevision;
use crate::model::usage::{MetricsSnapshot, MetricsState, NodeLoad, UsageHistory};

/// One change observed on the cluster, already converted to slim records.
// Events are built once and moved straight into the fleet; boxing the records would add an
// allocation per watch event to save a few hundred bytes of stack.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum FleetEvent {
    Upsert(Record),
    Delete(RecordKey),
    /// The complete current set of one kind (a watcher's re-list), swapped in at once so no
    /// reader ever sees half of it. For pods, the last part of a re-list sent in
    /// [`FleetEvent::PodsRelisting`] parts.
    Relisted(Relist),
    /// Pods of a re-list under way, indexed aside as they arrive so the `Relisted` that ends
    /// the list only swaps the table in: at 40,000 pods, indexing them all at the end kept the
    /// first screen waiting a tenth of a second after the last byte. `first` starts a re-list
    /// afresh (dropping what a re-list that failed part-way left aside). Readers see nothing
    /// of it until the `Relisted`.
    PodsRelisting {
        first: bool,
        pods: Vec<Pod>,
    },
    Metrics(MetricsSnapshot),
    /// The metrics API is absent or failing; usage-based analysis says so instead of guessing.
    MetricsUnavailable {
        at: Timestamp,
        reason: String,
    },
    /// Which pods the pod watch carries, said before its first list.
    PodScope(PodScope),
    /// A node's pods that the watch does not carry, read on demand.
    OtherPods(OtherPods),
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Record {
    Node(Node),
    DaemonSet(DaemonSet),
    Pod(Pod),
    Revision(ControllerRevision),
}

/// How each kind is identified: nodes by name, pods by namespace/name (as the API and
/// kube-runtime's reflector key them), DaemonSets and revisions by uid (owners reference uids).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordKey {
    Node { name: Arc<str> },
    DaemonSet { uid: Arc<str> },
    Pod { namespace: Arc<str>, name: Arc<str> },
    Revision { uid: Arc<str> },
}

#[derive(Debug, Clone)]
pub enum Relist {
    Nodes(Vec<Node>),
    DaemonSets(Vec<DaemonSet>),
    Pods(Vec<Pod>),
    Revisions(Vec<ControllerRevision>),
}

impl Record {
    pub fn key(&self) -> RecordKey {
        match self {
            Record::Node(n) => RecordKey::Node {
                name: Arc::clone(&n.name),
            },
            Record::DaemonSet(d) => RecordKey::DaemonSet {
                uid: Arc::clone(&d.uid),
            },
            Record::Pod(p) => RecordKey::Pod {
                namespace: Arc::clone(&p.namespace),
                name: Arc::clone(&p.name),
            },
            Record::Revision(r) => RecordKey::Revision {
                uid: Arc::clone(&r.uid),
            },
        }
    }
}

#[derive(Debug, Default)]
pub struct Fleet {
    strings: Interner<str>,
    container_sets: Interner<[ContainerResources]>,
    nodes: BTreeMap<Arc<str>, Node>,
    /// Unready and cordoned nodes, kept as nodes come and go: the header shows them on every
    /// frame, and at 5,000 nodes a walk per frame is work for nothing.
    node_tally: NodeTally,
    daemon_sets: FastMap<Arc<str>, DaemonSet>,
    /// namespace -> name -> uid; gives by-namespace listing and name order.
    ds_names: BTreeMap<Arc<str>, BTreeMap<Arc<str>, Arc<str>>>,
    pods: PodTable,
    /// The pods of a re-list under way (see [`FleetEvent::PodsRelisting`]).
    pods_relisting: Option<PodTable>,
    revisions: FastMap<Arc<str>, ControllerRevision>,
    revisions_by_owner: FastMap<Arc<str>, Vec<Arc<str>>>,
    /// Node usage history by (interned) node name; only for nodes in `nodes`.
    node_usage: FastMap<Arc<str>, UsageHistory>,
    metrics: MetricsState,
    pod_scope: PodScope,
    /// Per node, the pods the watch does not carry, as last read (daemon-only scope).
    others: FastMap<Arc<str>, OtherPods>,
    generation: u64,
    /// Bumped when a node comes, goes or changes, or the pods are listed again (which numbers
    /// the node slots afresh): see [`Fleet::node_layout`].
    node_epoch: u64,
    /// What events changed since the last `take_changes`.
    changes: Changes,
}

impl Fleet {
    pub fn new() -> Self {
        Fleet::default()
    }

    /// Bumped by every applied event: callers re-derive their views when it moves.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Moves whenever something read of the nodes by position could differ: a node came,
    /// went or changed, a pod named a node not seen before, or the pods were listed again.
    /// Readers that keep per-node facts between passes (the engine's planner) keep them while
    /// it stays the same.
    pub fn node_layout(&self) -> (u64, usize) {
        (self.node_epoch, self.pods.node_slot_count())
    }

    /// What the events applied since the last call changed; resets the record.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// Nodes in name order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Node> {
        self.nodes.values()
    }

    /// How many nodes are NotReady, Unknown and cordoned.
    pub fn node_tally(&self) -> NodeTally {
        self.node_tally
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.get(name)
    }

    /// DaemonSets in namespace/name order.
    pub fn daemon_sets(&self) -> impl Iterator<Item = &DaemonSet> {
        self.ds_names
            .values()
            .flat_map(|names| names.values())
            .filter_map(|uid| self.daemon_sets.get(uid))
    }

    pub fn daemon_set_count(&self) -> usize {
        self.daemon_sets.len()
    }

    pub fn daemon_set(&self, uid: &str) -> Option<&DaemonSet> {
        self.daemon_sets.get(uid)
    }

    pub fn daemon_set_named(&self, namespace: &str, name: &str) -> Option<&DaemonSet> {
        let uid = self.ds_names.get(namespace)?.get(name)?;
        self.daemon_sets.get(uid)
    }

    /// DaemonSets of one namespace in name order.
    pub fn daemon_sets_in(&self, namespace: &str) -> impl Iterator<Item = &DaemonSet> {
        self.ds_names
            .get(namespace)
            .into_iter()
            .flat_map(|names| names.values())
            .filter_map(|uid| self.daemon_sets.get(uid))
    }

    pub fn pod(&self, id: PodId) -> Option<&Pod> {
        self.pods.get(id)
    }

    /// What the rollout engine reads of a pod on every pass, from a dense column.
    pub fn vitals(&self, id: PodId) -> Option<&PodVitals> {
        self.pods.vitals(id)
    }

    pub fn pod_id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.pods.id(namespace, name)
    }

    /// Every pod, in table order (not sorted).
    pub fn pods(&self) -> impl Iterator<Item = (PodId, &Pod)> {
        self.pods.iter()
    }

    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// Pods whose controller is `owner_uid`, by target node; `None` when it owns none.
    pub fn pods_of(&self, owner_uid: &str) -> Option<Owned<'_>> {
        self.pods.owned_by(owner_uid)
    }

    /// The node's number in the pod indexes, for [`Owned::at`]; `None` when no pod targets it.
    pub fn node_slot(&self, node: &str) -> Option<NodeSlot> {
        self.pods.node_slot(node)
    }

    /// Every [`NodeSlot::index`] is below this.
    pub fn node_slot_count(&self) -> usize {
        self.pods.node_slot_count()
    }

    /// Pods targeting `node`, whoever owns them.
    pub fn pods_on(&self, node: &str) -> &[PodId] {
        self.pods.on_node(node)
    }

    /// The revisions `owner_uid` controls, oldest revision first.
    pub fn revisions_of(&self, owner_uid: &str) -> Vec<&ControllerRevision> {
        let mut list: Vec<&ControllerRevision> = self
            .revisions_by_owner
            .get(owner_uid)
            .into_iter()
            .flatten()
            .filter_map(|uid| self.revisions.get(uid))
            .collect();
        list.sort_by(|a, b| a.revision.cmp(&b.revision).then(a.name.cmp(&b.name)));
        list
    }

    /// The hash of the revision pods should run: the object's own word if it has one, else
    /// the highest-numbered owned ControllerRevision (docs/SEMANTICS.md#kubectl-rollout; upstream
    /// `constructHistory` in kubernetes/pkg/controller/daemon/update.go renumbers the current one).
    pub fn current_hash<'a>(&'a self, ds: &'a DaemonSet) -> Option<&'a str> {
        if let Some(hash) = &ds.current_hash {
            return Some(hash);
        }
        self.revisions_by_owner
            .get(&ds.uid)?
            .iter()
            .filter_map(|uid| self.revisions.get(uid))
            .max_by(|a, b| a.revision.cmp(&b.revision).then(a.name.cmp(&b.name)))?
            .hash
            .as_deref()
    }

    /// The hash of the revision that holds the DaemonSet's template as it is now: the
    /// revision whose template matches (upstream `Match` in
    /// kubernetes/pkg/controller/daemon/update.go), `None` while that revision has not been
    /// seen. Unlike [`Fleet::current_hash`] it never answers with an older revision in the
    /// moment between a template change and its revision arriving on another watch, which
    /// would make a rollout target the template it is leaving. Without fingerprints (records
    /// built by hand), the highest revision.
    pub fn template_hash<'a>(&'a self, ds: &'a DaemonSet) -> Option<&'a str> {
        if let Some(hash) = &ds.current_hash {
            return Some(hash);
        }
        let Some(fingerprint) = ds.template_fingerprint else {
            return self.current_hash(ds);
        };
        self.revisions_by_owner
            .get(&ds.uid)?
            .iter()
            .filter_map(|uid| self.revisions.get(uid))
            .find(|r| r.template_fingerprint == Some(fingerprint))?
            .hash
            .as_deref()
    }

    pub fn metrics(&self) -> &MetricsState {
        &self.metrics
    }

    /// Which pods the pod watch carries.
    pub fn pod_scope(&self) -> PodScope {
        self.pod_scope
    }

    /// The node's other pods as last read, fresh or not; `None` when never read (or every
    /// pod is watched, so none are other).
    pub fn others_on(&self, node: &str) -> Option<&OtherPods> {
        self.others.get(node)
    }

    /// The node's other pods as last read, but those the watch also carries (a read lists
    /// every pod on the node): each pod counted once.
    pub fn unwatched_others_on<'a>(
        &'a self,
        node: &str,
    ) -> impl Iterator<Item = &'a crate::model::others::OtherPod> + 'a {
        self.others
            .get(node)
            .into_iter()
            .flat_map(|o| o.pods.iter())
            .filter(|o| self.pod_id(&o.namespace, &o.name).is_none())
    }

    /// Whether what the node's other pods request is unknown or stale at `now`, so a fit
    /// check or a "node full" explanation should read them first.
    pub fn others_wanted(&self, node: &str, now: Timestamp) -> bool {
        self.pod_scope == PodScope::Daemon && self.others.get(node).is_none_or(|o| !o.fresh_at(now))
    }

    /// The pod's latest usage; `None` when metrics are unavailable or neither the last
    /// fleet-wide poll nor a focus poll since reported this pod.
    pub fn usage(&self, id: PodId) -> Option<Usage> {
        let MetricsState::Available { at, .. } = self.metrics else {
            return None;
        };
        let history = self.pods.usage_history(id)?;
        (history.last_at() >= at).then(|| history.latest())
    }

    pub fn usage_history(&self, id: PodId) -> Option<&UsageHistory> {
        self.pods.usage_history(id)
    }

    /// The node's latest usage; `None` when metrics are unavailable or neither the last
    /// fleet-wide poll nor a focus poll since reported this node.
    pub fn node_usage(&self, name: &str) -> Option<Usage> {
        let MetricsState::Available { at, .. } = self.metrics else {
            return None;
        };
        let history = self.node_usage.get(name)?;
        (history.last_at() >= at).then(|| history.latest())
    }

    pub fn node_usage_history(&self, name: &str) -> Option<&UsageHistory> {
        self.node_usage.get(name)
    }

    /// The node's current usage as a share of its allocatable (see [`Fleet::node_usage`]).
    pub fn node_load(&self, name: &str) -> Option<NodeLoad> {
        let node = self.nodes.get(name)?;
        Some(NodeLoad::new(self.node_usage(name)?, node.allocatable))
    }

    /// Distinct shared strings held (a memory diagnostic).
    /// The fleet's shared copy of `value` (a namespace, node name, uid, revision hash…), if any
    /// record holds it: records holding an equal value hold this very pointer, so a scan can
    /// compare pointers instead of bytes. `None` means no record holds the value.
    pub fn interned(&self, value: &str) -> Option<&Arc<str>> {
        self.strings.get(value)
    }

    pub fn interned_strings(&self) -> usize {
        self.strings.len()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod usage_tests;
