//! One sync's snapshot of a DaemonSet's world: the per-node placement decisions, the node map
//! of owned pods, and the version pods are compared against (docs/SEMANTICS.md#terms,
//! #run-and-keep; upstream `getNodesToDaemonPods` and `NodeShouldRunDaemonPod` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;

use super::podutil;

/// The run/keep answer for one node (docs/SEMANTICS.md#run-and-keep), in node-list order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDecision {
    pub name: String,
    pub should_run: bool,
    pub should_continue: bool,
}

/// The revision pods are measured against: current hash and template generation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    pub hash: String,
    pub generation: Option<i64>,
}

impl Version {
    pub fn is_updated(&self, pod: &Pod) -> bool {
        podutil::is_updated(pod, &self.hash, self.generation)
    }
}

/// Target node -> owned pods there, each list oldest-first.
pub type NodeMap = BTreeMap<String, Vec<Arc<Pod>>>;

/// Builds the node map. Terminal pods that are already being deleted are left out unless
/// `include_deleted_terminal` (history cleanup wants them); pods with no target node are ignored.
pub fn node_map<'a>(
    pods: impl IntoIterator<Item = &'a Arc<Pod>>,
    include_deleted_terminal: bool,
) -> NodeMap {
    let mut map = NodeMap::new();
    for pod in pods {
        if !include_deleted_terminal && podutil::is_terminal(pod) && podutil::is_deleting(pod) {
            continue;
        }
        if let Some(node) = podutil::target_node(pod) {
            map.entry(node.to_string()).or_default().push(pod.clone());
        }
    }
    for list in map.values_mut() {
        list.sort_by(|a, b| podutil::oldest_first(a, b));
    }
    map
}

/// Everything the manage, rolling-update and status steps read.
#[derive(Debug, Clone)]
pub struct View {
    pub nodes: Vec<NodeDecision>,
    pub map: NodeMap,
    pub version: Version,
    pub min_ready_seconds: i32,
    pub now: Timestamp,
}

impl View {
    /// Node name -> decision, for the steps that walk the node map rather than the node list.
    pub fn decisions(&self) -> HashMap<&str, &NodeDecision> {
        self.nodes.iter().map(|d| (d.name.as_str(), d)).collect()
    }

    pub fn available(&self, pod: &Pod) -> bool {
        podutil::is_available(pod, self.min_ready_seconds, self.now)
    }

    /// Number of nodes with shouldRun (desiredNumberScheduled).
    pub fn desired(&self) -> i32 {
        let n = self.nodes.iter().filter(|d| d.should_run).count();
        i32::try_from(n).unwrap_or(i32::MAX)
    }
}
