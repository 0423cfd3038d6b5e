//! What herd does not watch: by default it watches only the pods DaemonSets create, so the
//! other pods on a node — the applications that fill it — are read on demand, one node at a
//! time, and kept here with the time they were read. The scheduler counts them against the
//! node's allocatable, so a fit check or a "node full" explanation needs them.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::model::resources::Totals;

/// The label selector only pods created by the DaemonSet controller carry: it stamps both
/// labels on every pod it creates (kubernetes/pkg/controller/daemon/util/daemonset_util.go,
/// `CreatePodTemplate`), while a StatefulSet's pods carry `controller-revision-hash` alone.
pub const DAEMON_POD_SELECTOR: &str = "controller-revision-hash,pod-template-generation";

/// How long a read of a node's other pods is taken as current.
pub const FRESH_FOR: SignedDuration = SignedDuration::from_secs(30);

/// Which pods the pod watch carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PodScope {
    /// Every pod (`--all-pods`): a node's requests are known from the watch.
    #[default]
    All,
    /// Only the pods DaemonSets create ([`DAEMON_POD_SELECTOR`]); the rest are read on demand.
    Daemon,
}

/// One pod herd does not watch, reduced to what fit needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherPod {
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub requests: Totals,
}

/// The pods on one node that the pod watch does not carry, as read at `read_at`. Only pods that
/// occupy the node (bound, not finished) are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherPods {
    pub node: Arc<str>,
    pub read_at: Timestamp,
    pub pods: Vec<OtherPod>,
}

impl OtherPods {
    /// Whether the read is recent enough to count on at `now`.
    pub fn fresh_at(&self, now: Timestamp) -> bool {
        now.duration_since(self.read_at) < FRESH_FOR
    }
}
