//! herd's slim Node record: what placement, coverage and the DaemonSet tax read.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use crate::model::placement::{NodeFacts, Taint};
use crate::model::resources::Capacity;

/// Labels that name a node's pool, most specific first; the simulator uses plain `pool`.
pub const POOL_LABELS: &[&str] = &[
    "pool",
    "node.kubernetes.io/pool",
    "karpenter.sh/nodepool",
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "kubernetes.azure.com/agentpool",
    "agentpool",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    /// API spelling; anything but "True"/"False" is Unknown, as the API defines.
    pub fn parse(s: &str) -> Self {
        match s {
            "True" => ConditionStatus::True,
            "False" => ConditionStatus::False,
            _ => ConditionStatus::Unknown,
        }
    }
}

/// The node's `Ready` condition; a node without one is Unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub status: ConditionStatus,
    /// `lastTransitionTime`: since when the node has been in `status`.
    pub since: Option<Timestamp>,
}

impl Default for Readiness {
    fn default() -> Self {
        Readiness {
            status: ConditionStatus::Unknown,
            since: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: Arc<str>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// `spec.unschedulable`: cordoned.
    pub unschedulable: bool,
    pub ready: Readiness,
    pub allocatable: Capacity,
    /// The value of the first of [`POOL_LABELS`] the node carries.
    pub pool: Option<Arc<str>>,
    pub created: Option<Timestamp>,
}

impl Node {
    /// A Ready, schedulable node without labels or taints (the base of tests and fixtures).
    pub fn new(name: &str) -> Self {
        Node {
            name: Arc::from(name),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            unschedulable: false,
            ready: Readiness {
                status: ConditionStatus::True,
                since: None,
            },
            allocatable: Capacity::default(),
            pool: None,
            created: None,
        }
    }

    /// What the placement predicate reads.
    pub fn facts(&self) -> NodeFacts<'_> {
        NodeFacts {
            name: &self.name,
            labels: &self.labels,
            taints: &self.taints,
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.status == ConditionStatus::True
    }

    /// The pool from the labels, per [`POOL_LABELS`].
    pub fn pool_from_labels(labels: &BTreeMap<String, String>) -> Option<Arc<str>> {
        POOL_LABELS
            .iter()
            .find_map(|key| labels.get(*key))
            .map(|v| Arc::from(v.as_str()))
    }
}

/// How many nodes are in trouble the header names: Ready `False`, Ready `Unknown` (the kubelet
/// stopped reporting; a different failure from a node that reports itself unready) and
/// cordoned. A node can be both unready and cordoned, and then counts in both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeTally {
    pub not_ready: usize,
    pub unknown: usize,
    pub cordoned: usize,
}

impl NodeTally {
    /// The tally of `nodes`, walked once.
    pub fn of<'a>(nodes: impl IntoIterator<Item = &'a Node>) -> Self {
        let mut tally = NodeTally::default();
        nodes.into_iter().for_each(|n| tally.add(n));
        tally
    }

    /// Counts `node` in.
    pub fn add(&mut self, node: &Node) {
        self.change(node, |count| *count += 1);
    }

    /// Counts `node` out again; it must have been added.
    pub fn remove(&mut self, node: &Node) {
        self.change(node, |count| *count = count.saturating_sub(1));
    }

    fn change(&mut self, node: &Node, mut by: impl FnMut(&mut usize)) {
        match node.ready.status {
            ConditionStatus::True => {}
            ConditionStatus::False => by(&mut self.not_ready),
            ConditionStatus::Unknown => by(&mut self.unknown),
        }
        if node.unschedulable {
            by(&mut self.cordoned);
        }
    }
}
