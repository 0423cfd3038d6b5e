//! herd's slim DaemonSet record: selector, prepared placement, containers, strategy and status.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use crate::model::placement::{PlacementSpec, PreparedPlacement};
use crate::model::resources::Resources;
use crate::model::selector::LabelSelector;
use crate::model::version::ResourceVersion;

/// Annotations herd reads and writes on DaemonSets; all others are dropped at conversion.
pub const HERD_ANNOTATION_PREFIX: &str = "herd.dev/";

/// The template's placement as written, plus the form the predicate evaluates per node
/// (automatic tolerations merged, affinity compiled), built together so they never disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targeting {
    spec: PlacementSpec,
    prepared: PreparedPlacement,
}

impl Targeting {
    pub fn new(spec: PlacementSpec) -> Self {
        let prepared = PreparedPlacement::new(&spec);
        Targeting { spec, prepared }
    }

    pub fn spec(&self) -> &PlacementSpec {
        &self.spec
    }

    pub fn prepared(&self) -> &PreparedPlacement {
        &self.prepared
    }
}

impl Default for Targeting {
    fn default() -> Self {
        Targeting::new(PlacementSpec::default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerSpec {
    pub name: Arc<str>,
    pub image: Arc<str>,
    pub requests: Resources,
    pub limits: Resources,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum StrategyKind {
    RollingUpdate,
    OnDelete,
}

/// An `IntOrString` budget such as maxUnavailable: `3` or `"30%"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// `"30%"` or `"3"`; `None` for anything else (the API server rejects those).
    pub fn parse(s: &str) -> Option<Self> {
        match s.strip_suffix('%') {
            Some(digits) => digits.parse().ok().map(IntOrPercent::Percent),
            None => s.parse().ok().map(IntOrPercent::Int),
        }
    }

    /// The budget against `total` nodes; percentages round up, as for DaemonSets
    /// (docs/SEMANTICS.md#update-budget).
    pub fn scaled(self, total: i64) -> i64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => (p * total + 99).div_euclid(100),
        }
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct UpdateStrategy {
    pub kind: StrategyKind,
    /// Only meaningful for RollingUpdate; as the server defaulted it.
    pub max_unavailable: Option<IntOrPercent>,
    pub max_surge: Option<IntOrPercent>,
}

impl Default for UpdateStrategy {
    fn default() -> Self {
        UpdateStrategy {
            kind: StrategyKind::RollingUpdate,
            max_unavailable: Some(IntOrPercent::Int(1)),
            max_surge: Some(IntOrPercent::Int(0)),
        }
    }
}

/// The DaemonSet status counters (docs/SEMANTICS.md#status; upstream `updateDaemonSetStatus` in
/// kubernetes/pkg/controller/daemon/daemon_controller.go). Coverage analysis computes the same
/// struct from pods and nodes, so the two compare with `==`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct StatusCounts {
    pub desired: u32,
    pub current: u32,
    pub ready: u32,
    pub updated: u32,
    pub available: u32,
    pub misscheduled: u32,
    pub unavailable: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSet {
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub uid: Arc<str>,
    /// For writes that must not clobber a change made since herd read the object.
    pub resource_version: Option<ResourceVersion>,
    pub selector: LabelSelector,
    pub targeting: Targeting,
    pub containers: Vec<ContainerSpec>,
    pub update_strategy: UpdateStrategy,
    /// The field manager that last set `spec.updateStrategy` (from `managedFields`), so a
    /// rollout another tool takes back can name who did.
    pub strategy_manager: Option<Arc<str>>,
    pub min_ready_seconds: i64,
    pub generation: i64,
    pub observed_generation: Option<i64>,
    /// Annotation `deprecated.daemonset.template.generation`.
    pub template_generation: Option<i64>,
    /// The current revision hash when the object says it (Kruise `status.updateRevision`);
    /// native DaemonSets leave it to the ControllerRevisions, see `Fleet::current_hash`.
    pub current_hash: Option<Arc<str>>,
    /// A fingerprint of the pod template, to find the ControllerRevision that holds it.
    pub template_fingerprint: Option<u64>,
    /// The DaemonSet's own labels (what `/-l` filters and `herd check -l` select on).
    pub labels: BTreeMap<String, String>,
    /// Only the `herd.dev/` ones.
    pub annotations: BTreeMap<String, String>,
    pub status: StatusCounts,
    pub created: Option<Timestamp>,
    pub deleting: bool,
}

impl DaemonSet {
    /// A DaemonSet with defaults everywhere (the base of tests and fixtures).
    pub fn new(namespace: &str, name: &str, uid: &str) -> Self {
        DaemonSet {
            namespace: Arc::from(namespace),
            name: Arc::from(name),
            uid: Arc::from(uid),
            resource_version: None,
            selector: LabelSelector::everything(),
            targeting: Targeting::default(),
            containers: Vec::new(),
            update_strategy: UpdateStrategy::default(),
            strategy_manager: None,
            min_ready_seconds: 0,
            generation: 1,
            observed_generation: Some(1),
            template_generation: Some(1),
            current_hash: None,
            template_fingerprint: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            status: StatusCounts::default(),
            created: None,
            deleting: false,
        }
    }

    /// `namespace/name`, as kubectl prints it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether the controller has seen the latest spec (`observedGeneration >= generation`).
    pub fn is_observed(&self) -> bool {
        self.observed_generation
            .is_some_and(|seen| seen >= self.generation)
    }
}
