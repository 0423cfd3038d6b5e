//! herd's slim Pod record: ownership, placement, lifecycle and resources of one pod.

use std::cmp::Ordering;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::model::resources::{Resources, Totals};
use crate::model::version::ResourceVersion;

/// Pod label carrying the ControllerRevision hash the pod was created from.
pub const REVISION_HASH_LABEL: &str = "controller-revision-hash";
/// Pod label carrying the DaemonSet template generation the pod was created from.
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// Container termination reason of an out-of-memory kill.
pub const OOM_KILLED: &str = "OOMKilled";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn parse(s: &str) -> Self {
        match s {
            "Pending" => PodPhase::Pending,
            "Running" => PodPhase::Running,
            "Succeeded" => PodPhase::Succeeded,
            "Failed" => PodPhase::Failed,
            _ => PodPhase::Unknown,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerResources {
    pub name: Arc<str>,
    pub requests: Resources,
    pub limits: Resources,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub uid: Arc<str>,
    /// What a delete's precondition names, so the engine never deletes a pod that changed
    /// since it planned (it re-plans instead).
    pub resource_version: Option<ResourceVersion>,
    /// The controller ownerReference's uid (a DaemonSet's uid for daemon pods).
    pub owner_uid: Option<Arc<str>>,
    /// The target node (upstream `GetTargetNodeName`; docs/SEMANTICS.md#terms): `spec.nodeName`,
    /// or, before binding, the node named by the required affinity `metadata.name In [node]` the
    /// controller wrote.
    pub node: Option<Arc<str>>,
    /// `spec.nodeName` is set.
    pub bound: bool,
    pub phase: PodPhase,
    /// Condition `Ready=True`.
    pub ready: bool,
    /// The Ready condition's `lastTransitionTime`: since when the pod is (not) ready.
    pub ready_since: Option<Timestamp>,
    /// `deletionTimestamp`.
    pub deleting: Option<Timestamp>,
    pub revision_hash: Option<Arc<str>>,
    pub template_generation: Option<i64>,
    /// Σ restartCount over containers.
    pub restarts: u32,
    /// The first waiting reason among containers (CrashLoopBackOff, ImagePullBackOff, ...).
    pub waiting_reason: Option<Arc<str>>,
    /// The last termination reason among containers, OOMKilled preferred.
    pub last_terminated_reason: Option<Arc<str>>,
    /// When a container last exited (`lastState.terminated.finishedAt`, the latest among
    /// containers): with `restarts`, what tells a crash loop between two of its restarts from a
    /// pod that recovered.
    pub last_terminated_at: Option<Timestamp>,
    /// The `PodScheduled=False` message when the scheduler could not place the pod.
    pub unschedulable: Option<Arc<str>>,
    pub containers: Arc<[ContainerResources]>,
    pub created: Option<Timestamp>,
}

impl Pod {
    /// Created by the DaemonSet controller: it stamps both labels of
    /// [`crate::model::others::DAEMON_POD_SELECTOR`] on every pod it makes.
    pub fn is_daemon_created(&self) -> bool {
        self.revision_hash.is_some() && self.template_generation.is_some()
    }

    /// Bound to its node and not finished: what the scheduler counts against the node.
    pub fn occupies_node(&self) -> bool {
        self.bound && !self.phase.is_terminal()
    }

    /// A Pending, unowned pod with no containers (the base of tests and fixtures).
    pub fn new(namespace: &str, name: &str, uid: &str) -> Self {
        Pod {
            namespace: Arc::from(namespace),
            name: Arc::from(name),
            uid: Arc::from(uid),
            resource_version: None,
            owner_uid: None,
            node: None,
            bound: false,
            phase: PodPhase::Pending,
            ready: false,
            ready_since: None,
            deleting: None,
            revision_hash: None,
            template_generation: None,
            restarts: 0,
            waiting_reason: None,
            last_terminated_reason: None,
            last_terminated_at: None,
            unschedulable: None,
            containers: Arc::from(Vec::new()),
            created: None,
        }
    }

    /// Left out of the DaemonSet controller's node map: terminal and already deleting (upstream
    /// `getNodesToDaemonPods`; docs/SEMANTICS.md#terms).
    pub fn is_gone(&self) -> bool {
        self.phase.is_terminal() && self.deleting.is_some()
    }

    /// Ready, and ready for longer than `min_ready_seconds` (upstream `IsPodAvailable`;
    /// docs/SEMANTICS.md#terms).
    pub fn is_available(&self, min_ready_seconds: i64, now: Timestamp) -> bool {
        if !self.ready {
            return false;
        }
        if min_ready_seconds <= 0 {
            return true;
        }
        // checked: a far-future timestamp from the API must not panic the addition.
        self.ready_since.is_some_and(|since| {
            since
                .checked_add(SignedDuration::from_secs(min_ready_seconds))
                .is_ok_and(|at| at < now)
        })
    }

    /// Built from the current template (upstream `IsPodUpdated`; docs/SEMANTICS.md#terms).
    pub fn is_updated(&self, current_hash: Option<&str>, template_generation: Option<i64>) -> bool {
        let hash_matches = current_hash.is_some_and(|h| self.revision_hash.as_deref() == Some(h));
        let generation_matches =
            template_generation.is_some() && self.template_generation == template_generation;
        hash_matches || generation_matches
    }

    pub fn was_oom_killed(&self) -> bool {
        self.last_terminated_reason.as_deref() == Some(OOM_KILLED)
    }

    pub fn requests(&self) -> Totals {
        let mut total = Totals::default();
        for c in self.containers.iter() {
            total.add_resources(&c.requests);
        }
        total
    }

    pub fn limits(&self) -> Totals {
        let mut total = Totals::default();
        for c in self.containers.iter() {
            total.add_resources(&c.limits);
        }
        total
    }

    /// The DaemonSet controller's oldest-first order on one node (upstream
    /// `podByCreationTimestampAndPhase`; docs/SEMANTICS.md#terms): bound before unbound, then
    /// earlier creation, then the smaller name.
    pub fn oldest_first(a: &Pod, b: &Pod) -> Ordering {
        b.bound
            .cmp(&a.bound)
            .then_with(|| match (a.created, b.created) {
                (Some(x), Some(y)) => x.cmp(&y),
                // Go's zero time sorts before every real timestamp.
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| a.name.cmp(&b.name))
    }
}
