//! The default scheduler's filter plugins that matter for daemon pods, on API objects:
//! NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector + required affinity),
//! NodePorts and NodeResourcesFit, in upstream's order. Each failure carries upstream's wording.

use k8s_openapi::api::core::v1::{
    Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, Taint, Toleration,
};

use super::alloc::{HostPort, NodeAlloc, Requests};
use crate::model::quantity::Quantity;

pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// Why a node cannot take a pod, worded as the scheduler's FitError counts it.
pub fn check(
    pod: &Pod,
    requests: &Requests,
    ports: &[HostPort],
    node: &Node,
    alloc: Option<&NodeAlloc>,
) -> Vec<String> {
    let spec = pod.spec.as_ref();
    let tolerations: &[Toleration] = spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
    let node_spec = node.spec.as_ref();
    if node_spec.and_then(|s| s.unschedulable) == Some(true)
        && !tolerations.iter().any(|t| {
            tolerates(
                t,
                &Taint {
                    key: UNSCHEDULABLE_TAINT.into(),
                    effect: "NoSchedule".into(),
                    ..Default::default()
                },
            )
        })
    {
        return vec!["node(s) were unschedulable".into()];
    }
    let taints = node_spec.and_then(|s| s.taints.as_deref()).unwrap_or(&[]);
    if let Some(taint) = taints.iter().find(|taint| {
        matches!(taint.effect.as_str(), "NoSchedule" | "NoExecute")
            && !tolerations.iter().any(|t| tolerates(t, taint))
    }) {
        return vec![format!(
            "node(s) had untolerated taint {{{}: {}}}",
            taint.key,
            taint.value.as_deref().unwrap_or("")
        )];
    }
    if !spec.is_some_and(|s| affinity_matches(s, node)) {
        return vec!["node(s) didn't match Pod's node affinity/selector".into()];
    }
    if let Some(alloc) = alloc
        && ports.iter().any(|p| alloc.port_taken(p))
    {
        return vec!["node(s) didn't have free ports for the requested pod ports".into()];
    }
    insufficient(requests, node, alloc)
}

/// Toleration matches taint (DAEMONSET_SEMANTICS 1.5; Lt/Gt are behind a gate that is off).
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect_ok = t
        .effect
        .as_deref()
        .is_none_or(|e| e.is_empty() || e == taint.effect);
    let key = t.key.as_deref().unwrap_or("");
    let key_ok = key.is_empty() || key == taint.key;
    let value_ok = match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        _ => false,
    };
    effect_ok && key_ok && value_ok
}

/// nodeSelector and the required node affinity terms (rule 1.3).
pub fn affinity_matches(spec: &PodSpec, node: &Node) -> bool {
    let empty = Default::default();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let selector_ok = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let affinity_ok = required.is_none_or(|r| {
        r.node_selector_terms
            .iter()
            .filter(|t| !term_is_empty(t))
            .any(|t| term_matches(t, node))
    });
    selector_ok && affinity_ok
}

fn term_is_empty(t: &NodeSelectorTerm) -> bool {
    t.match_expressions.as_ref().is_none_or(|e| e.is_empty())
        && t.match_fields.as_ref().is_none_or(|f| f.is_empty())
}

fn term_matches(t: &NodeSelectorTerm, node: &Node) -> bool {
    let empty = Default::default();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let name = node.metadata.name.as_deref().unwrap_or("");
    t.match_expressions
        .iter()
        .flatten()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && t.match_fields.iter().flatten().all(|r| {
            r.key == "metadata.name"
                && r.values.as_ref().is_some_and(|v| v.len() == 1)
                && matches!(r.operator.as_str(), "In" | "NotIn")
                && requirement_matches(r, Some(name))
        })
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    let number = |v: &str| v.parse::<i64>().ok();
    match (r.operator.as_str(), value) {
        ("In", Some(v)) => values.iter().any(|x| x == v),
        ("In", None) => false,
        ("NotIn", v) => v.is_none_or(|v| !values.iter().any(|x| x == v)),
        ("Exists", v) => values.is_empty() && v.is_some(),
        ("DoesNotExist", v) => values.is_empty() && v.is_none(),
        ("Gt" | "Lt", Some(v)) if values.len() == 1 => match (number(v), number(&values[0])) {
            (Some(have), Some(bound)) if r.operator == "Gt" => have > bound,
            (Some(have), Some(bound)) => have < bound,
            _ => false,
        },
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: Some(key.into()).filter(|k: &String| !k.is_empty()),
            operator: Some(op.into()),
            value: Some(value.into()).filter(|v: &String| !v.is_empty()),
            effect: Some(effect.into()).filter(|e: &String| !e.is_empty()),
            ..Default::default()
        }
    }

    #[test]
    fn toleration_matching_follows_rule_1_5() {
        let gpu = Taint {
            key: "nvidia.com/gpu".into(),
            value: Some("present".into()),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        assert!(tolerates(&toleration("", "Exists", "", ""), &gpu));
        assert!(tolerates(
            &toleration("nvidia.com/gpu", "Exists", "", "NoSchedule"),
            &gpu
        ));
        assert!(tolerates(
            &toleration("nvidia.com/gpu", "Equal", "present", ""),
            &gpu
        ));
        assert!(!tolerates(
            &toleration("nvidia.com/gpu", "Equal", "absent", ""),
            &gpu
        ));
        assert!(!tolerates(
            &toleration("nvidia.com/gpu", "Exists", "", "NoExecute"),
            &gpu
        ));
        assert!(!tolerates(&toleration("other", "Exists", "", ""), &gpu));
    }
}
