//! The controller's bridge to `model::placement` and `model::selector`: per-node facts cached
//! across syncs, the template's prepared placement, and the DaemonSet selector.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use k8s_openapi::api::core::v1::{Node, PodTemplateSpec, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as ApiSelector;

use super::view::NodeDecision;
use crate::store::Store;
use herd_convert::convert;
use herd_core::model::placement::{NodeFacts, PreparedPlacement, Taint, daemon_tolerations};
use herd_core::model::selector::{LabelSelector, SelectorError};

/// A DaemonSet's `spec.selector`, compiled.
#[derive(Debug, Clone)]
pub struct Selector(LabelSelector);

impl Selector {
    pub fn new(selector: &ApiSelector) -> Result<Self, SelectorError> {
        convert::label_selector(selector).map(Selector)
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        match labels {
            Some(l) => self.0.matches(l),
            None => self.0.matches(&BTreeMap::new()),
        }
    }
}

/// The automatic tolerations (upstream `AddOrUpdateDaemonPodTolerations`;
/// docs/SEMANTICS.md#automatic-tolerations), as API objects, in upstream's order.
pub fn automatic_tolerations(host_network: bool) -> Vec<Toleration> {
    daemon_tolerations(&[], host_network)
        .iter()
        .map(convert::toleration_to_api)
        .collect()
}

/// The template's placement, prepared once per sync.
#[derive(Debug)]
pub struct Placer(PreparedPlacement);

impl Placer {
    pub fn new(template: &PodTemplateSpec) -> Self {
        let spec = template.spec.clone().unwrap_or_default();
        Placer(PreparedPlacement::new(&convert::placement_spec(&spec)))
    }
}

/// What placement reads of a node, converted once per node version.
#[derive(Debug, Clone, PartialEq)]
struct CachedNode {
    resource_version: Option<String>,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
}

impl CachedNode {
    fn of(node: &Node) -> Self {
        CachedNode {
            resource_version: node.metadata.resource_version.clone(),
            labels: node.metadata.labels.clone().unwrap_or_default(),
            taints: convert::taints(node),
        }
    }
}

/// A fingerprint of the node facts placement depends on (labels and taints).
fn fingerprint(node: &Node) -> u64 {
    let mut h = DefaultHasher::new();
    node.metadata.labels.hash(&mut h);
    convert::taints(node).hash(&mut h);
    h.finish()
}

/// Node facts for placement: the facts as of the last change the controller saw (to tell which
/// node updates matter) and a conversion cache so 5,000 nodes are not re-converted per sync.
#[derive(Debug, Default)]
pub struct NodeCache {
    seen: HashMap<String, u64>,
    converted: HashMap<String, CachedNode>,
}

impl NodeCache {
    /// Records a node change; true when its labels or taints differ from the last change seen
    /// (or it is new), i.e. when DaemonSets must re-evaluate it (docs/SEMANTICS.md#re-evaluation).
    pub fn observe(&mut self, node: &Node) -> bool {
        let name = node.metadata.name.clone().unwrap_or_default();
        let print = fingerprint(node);
        self.seen.insert(name, print) != Some(print)
    }

    pub fn forget(&mut self, name: &str) {
        self.seen.remove(name);
        self.converted.remove(name);
    }

    /// `NodeShouldRunDaemonPod` (docs/SEMANTICS.md#run-and-keep) for every node in the store, in
    /// node-list order. Facts are converted afresh whenever the node's resourceVersion moved, so
    /// the cache never gives a stale answer.
    pub fn decide_all(&mut self, store: &Store, placer: &Placer) -> Vec<NodeDecision> {
        let mut out = Vec::with_capacity(store.table::<Node>().len());
        for node in store.table::<Node>().values() {
            let name = node.metadata.name.as_deref().unwrap_or_default();
            let fresh = self
                .converted
                .get(name)
                .is_some_and(|c| c.resource_version == node.metadata.resource_version);
            if !fresh {
                self.converted
                    .insert(name.to_string(), CachedNode::of(node));
            }
            let Some(cached) = self.converted.get(name) else {
                continue;
            };
            let facts = NodeFacts {
                name,
                labels: &cached.labels,
                taints: &cached.taints,
            };
            let placement = placer.0.evaluate(&facts);
            out.push(NodeDecision {
                name: name.to_string(),
                should_run: placement.should_run,
                should_continue: placement.should_continue_running,
            });
        }
        out
    }
}
