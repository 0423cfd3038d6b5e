//! The default scheduler's filter plugins that matter for daemon pods, on API objects:
//! NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector + required affinity),
//! NodePorts and NodeResourcesFit, in upstream's order. Each failure carries upstream's wording.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Node;

use super::alloc::{HostPort, NodeAlloc, Requests};
use herd_convert::convert;
use herd_core::model::placement::{
    NodeFacts, PlacementSpec, Taint, TaintEffect, is_tolerated, selector_and_affinity_match,
    untolerated_taints,
};
use herd_core::model::quantity::Quantity;

pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// Why a node cannot take a pod, worded as the scheduler's FitError counts it. Tolerations,
/// taints and affinity go through `model::placement`, the rule the DaemonSet controller uses.
pub fn check(
    placement: &PlacementSpec,
    requests: &Requests,
    ports: &[HostPort],
    node: &Node,
    alloc: Option<&NodeAlloc>,
) -> Vec<String> {
    let cordoned = Taint::new(UNSCHEDULABLE_TAINT, "", TaintEffect::NoSchedule);
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true)
        && !is_tolerated(&placement.tolerations, &cordoned)
    {
        return vec!["node(s) were unschedulable".into()];
    }
    let taints = convert::taints(node);
    let effects = [TaintEffect::NoSchedule, TaintEffect::NoExecute];
    if let Some(taint) = untolerated_taints(&placement.tolerations, &taints, &effects).first() {
        return vec![format!(
            "node(s) had untolerated taint {{{}: {}}}",
            taint.key, taint.value
        )];
    }
    let empty = BTreeMap::new();
    let facts = NodeFacts {
        name: node.metadata.name.as_deref().unwrap_or(""),
        labels: node.metadata.labels.as_ref().unwrap_or(&empty),
        taints: &taints,
    };
    if !selector_and_affinity_match(placement, &facts) {
        return vec!["node(s) didn't match Pod's node affinity/selector".into()];
    }
    if let Some(alloc) = alloc
        && ports.iter().any(|p| alloc.port_taken(p))
    {
        return vec!["node(s) didn't have free ports for the requested pod ports".into()];
    }
    insufficient(requests, node, alloc)
}

/// NodeResourcesFit: requests of the pods already there plus this one, against allocatable.
fn insufficient(requests: &Requests, node: &Node, alloc: Option<&NodeAlloc>) -> Vec<String> {
    let empty = Default::default();
    let allocatable = node
        .status
        .as_ref()
        .and_then(|s| s.allocatable.as_ref())
        .unwrap_or(&empty);
    let amount = |resource: &str, milli: bool| {
        allocatable
            .get(resource)
            .and_then(|q| Quantity::parse(&q.0).ok())
            .map(|q| if milli { q.millis() } else { q.value() })
    };
    let used = alloc.cloned().unwrap_or_default();
    let mut reasons = Vec::new();
    if used.pods + 1 > amount("pods", false).unwrap_or(0) {
        reasons.push("Too many pods".to_string());
    }
    let checks = [
        ("cpu", requests.cpu_millis, used.requests.cpu_millis, true),
        ("memory", requests.memory, used.requests.memory, false),
    ];
    for (resource, wanted, taken, milli) in checks {
        if wanted > 0 && taken + wanted > amount(resource, milli).unwrap_or(0) {
            reasons.push(format!("Insufficient {resource}"));
        }
    }
    for (resource, wanted) in &requests.other {
        let taken = used.requests.other.get(resource).copied().unwrap_or(0);
        if *wanted > 0 && taken + wanted > amount(resource, false).unwrap_or(0) {
            reasons.push(format!("Insufficient {resource}"));
        }
    }
    reasons
}
