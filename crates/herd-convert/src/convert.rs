//! Conversion from k8s-openapi objects into herd's model records: the one place API types stop.
//!
//! Unknown enum strings are handled so that herd never claims more than the cluster does:
//! a taint with an unknown effect is skipped (the DaemonSet controller only reads NoSchedule
//! and NoExecute taints), and a toleration with an unknown operator or effect is dropped,
//! because upstream's `ToleratesTaint` lets it match no taint we keep. An unknown node
//! affinity operator becomes `NodeSelectorOperator::Invalid`, which fails only its term.

use k8s_openapi::api::core::v1 as api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;

use herd_core::model::placement::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PlacementSpec, Taint,
    Toleration,
};
use herd_core::model::selector::{LabelSelector, SelectorError};

/// The placement inputs of a pod (template) spec, without the automatic tolerations.
pub fn placement_spec(spec: &api::PodSpec) -> PlacementSpec {
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    PlacementSpec {
        node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
        node_selector: spec.node_selector.clone().unwrap_or_default(),
        required_terms: required.map(|r| {
            r.node_selector_terms
                .iter()
                .map(node_selector_term)
                .collect()
        }),
        tolerations: tolerations(spec.tolerations.as_deref().unwrap_or_default()),
        host_network: spec.host_network.unwrap_or(false),
    }
}

pub fn node_selector_term(term: &api::NodeSelectorTerm) -> NodeSelectorTerm {
    let requirements = |list: &Option<Vec<api::NodeSelectorRequirement>>| {
        list.iter()
            .flatten()
            .map(|r| NodeSelectorRequirement {
                key: r.key.clone(),
                operator: NodeSelectorOperator::parse(&r.operator),
                values: r.values.clone().unwrap_or_default(),
            })
            .collect()
    };
    NodeSelectorTerm {
        match_expressions: requirements(&term.match_expressions),
        match_fields: requirements(&term.match_fields),
    }
}

/// The node's taints with a known effect, in the node's order.
pub fn taints(node: &api::Node) -> Vec<Taint> {
    let listed = node.spec.as_ref().and_then(|s| s.taints.as_deref());
    listed
        .unwrap_or_default()
        .iter()
        .filter_map(taint)
        .collect()
}

/// `None` for an effect herd does not know.
pub fn taint(taint: &api::Taint) -> Option<Taint> {
    Some(Taint {
        key: taint.key.clone(),
        value: taint.value.clone().unwrap_or_default(),
        effect: taint.effect.parse().ok()?,
    })
}

pub fn tolerations(list: &[api::Toleration]) -> Vec<Toleration> {
    list.iter().filter_map(toleration).collect()
}

/// `None` for an unknown operator or effect: such a toleration tolerates no taint herd keeps.
pub fn toleration(toleration: &api::Toleration) -> Option<Toleration> {
    let effect = match toleration.effect.as_deref() {
        None | Some("") => None,
        Some(effect) => Some(effect.parse().ok()?),
    };
    Some(Toleration {
        key: toleration.key.clone().unwrap_or_default(),
        operator: toleration.operator.as_deref().unwrap_or("").parse().ok()?,
        value: toleration.value.clone().unwrap_or_default(),
        effect,
        toleration_seconds: toleration.toleration_seconds,
    })
}

/// Required node affinity from a file a person wrote: `nodeSelectorTerms: [...]`, or the
/// same under `requiredDuringSchedulingIgnoredDuringExecution:`, `nodeAffinity:` or
/// `affinity:` (as copied from a manifest). `null` or `{}` is no required affinity.
pub fn required_terms_from(
    value: &serde_json::Value,
) -> Result<Option<Vec<NodeSelectorTerm>>, String> {
    let mut v = value;
    for wrapper in [
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
    ] {
        if let Some(inner) = v.get(wrapper) {
            v = inner;
        }
    }
    if v.is_null() || v.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(None);
    }
    let selector: api::NodeSelector = serde_json::from_value(v.clone())
        .map_err(|e| format!("not a node selector (nodeSelectorTerms: [...]): {e}"))?;
    Ok(Some(
        selector
            .node_selector_terms
            .iter()
            .map(node_selector_term)
            .collect(),
    ))
}

/// A required node-affinity term in the API's shape; empty lists are left out.
pub fn node_selector_term_to_api(t: &NodeSelectorTerm) -> api::NodeSelectorTerm {
    let list = |rs: &[NodeSelectorRequirement]| {
        (!rs.is_empty()).then(|| {
            rs.iter()
                .map(|r| api::NodeSelectorRequirement {
                    key: r.key.clone(),
                    operator: r.operator.as_str().to_string(),
                    values: (!r.values.is_empty()).then(|| r.values.clone()),
                })
                .collect()
        })
    };
    api::NodeSelectorTerm {
        match_expressions: list(&t.match_expressions),
        match_fields: list(&t.match_fields),
    }
}

/// The API form the DaemonSet controller writes into created pods; empty strings are omitted.
pub fn toleration_to_api(toleration: &Toleration) -> api::Toleration {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    api::Toleration {
        key: non_empty(&toleration.key),
        operator: Some(toleration.operator.as_str().to_owned()),
        value: non_empty(&toleration.value),
        effect: toleration.effect.map(|e| e.as_str().to_owned()),
        toleration_seconds: toleration.toleration_seconds,
    }
}

/// An API `LabelSelector` (such as a DaemonSet's `spec.selector`); an empty one selects everything.
pub fn label_selector(selector: &meta::LabelSelector) -> Result<LabelSelector, SelectorError> {
    let expressions: Vec<(String, String, Vec<String>)> = selector
        .match_expressions
        .iter()
        .flatten()
        .map(|e| {
            (
                e.key.clone(),
                e.operator.clone(),
                e.values.clone().unwrap_or_default(),
            )
        })
        .collect();
    let match_labels = selector.match_labels.clone().unwrap_or_default();
    LabelSelector::from_parts(&match_labels, &expressions)
}

/// The node a not-yet-bound daemon pod is meant for: the value of its required node-affinity
/// term `matchFields metadata.name In [node]` that the DaemonSet controller writes into every pod
/// it creates (docs/SEMANTICS.md#terms, #created-pods). As upstream's `GetTargetNodeName`
/// (kubernetes/pkg/controller/daemon/util/daemonset_util.go), the first such requirement decides;
/// one not naming exactly one node means no target.
pub fn affinity_target_node(spec: &api::PodSpec) -> Option<&str> {
    let required = spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?;
    let requirement = required
        .node_selector_terms
        .iter()
        .flat_map(|term| term.match_fields.iter().flatten())
        .find(|r| r.key == "metadata.name" && r.operator == "In")?;
    match requirement.values.as_deref() {
        Some([node]) => Some(node.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use herd_core::model::placement::{
        Exclusion, NodeFacts, TaintEffect, TolerationOperator, evaluate,
    };

    // Trimmed from `kubectl get node -o json` and `kubectl get ds -o json` output.
    fn gpu_node() -> api::Node {
        serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": "gpu-7",
                "labels": {"kubernetes.io/hostname": "gpu-7", "cores": "8", "disk": "ssd"}
            },
            "spec": {
                "unschedulable": true,
                "taints": [
                    {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
                    {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                     "timeAdded": "2026-07-01T10:00:00Z"},
                    {"key": "future", "value": "x", "effect": "NoRun"},
                    {"key": "soft", "effect": "PreferNoSchedule"}
                ]
            }
        }))
        .unwrap()
    }

    fn template_spec() -> api::PodSpec {
        serde_json::from_value(json!({
            "hostNetwork": true,
            "nodeSelector": {"disk": "ssd"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4"]}]},
                    {"matchFields": [{"key": "metadata.name", "operator": "Like", "values": ["n1"]}]},
                    {}
                ]
            }}},
            "tolerations": [
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
                {"key": "dedicated", "value": "db"},
                {"key": "weird", "operator": "Matches"},
                {"key": "weird", "operator": "Exists", "effect": "NoRun"}
            ],
            "containers": [{"name": "agent", "image": "agent:1"}]
        }))
        .unwrap()
    }

    #[test]
    fn node_taints_skip_unknown_effects() {
        let shown: Vec<String> = taints(&gpu_node()).iter().map(|t| t.to_string()).collect();
        assert_eq!(
            shown,
            [
                "nvidia.com/gpu=present:NoSchedule",
                "node.kubernetes.io/unschedulable:NoSchedule",
                "soft:PreferNoSchedule",
            ]
        );
        assert!(taints(&api::Node::default()).is_empty());
    }

    #[test]
    fn pod_spec_becomes_placement_spec() {
        let spec = placement_spec(&template_spec());
        assert!(spec.host_network);
        assert_eq!(spec.node_name, None);
        assert_eq!(
            spec.node_selector,
            BTreeMap::from([("disk".to_owned(), "ssd".to_owned())])
        );
        let terms = spec.required_terms.as_deref().unwrap();
        assert_eq!(terms.len(), 3);
        assert_eq!(terms[0].match_expressions[0].to_string(), "cores Gt [4]");
        assert_eq!(
            terms[1].match_fields[0].operator,
            NodeSelectorOperator::Invalid("Like".into())
        );
        assert!(terms[2].is_empty());
        let shown: Vec<String> = spec.tolerations.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            shown,
            [
                "nvidia.com/gpu:NoSchedule op=Exists",
                "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
                "dedicated=db",
            ],
            "unknown operator and effect dropped"
        );
        assert_eq!(spec.tolerations[2].operator, TolerationOperator::Equal);
        let bare = placement_spec(&api::PodSpec::default());
        assert_eq!(bare, PlacementSpec::default());
    }

    #[test]
    fn converted_objects_evaluate_end_to_end() {
        let node = gpu_node();
        let node_taints = taints(&node);
        let labels = node.metadata.labels.clone().unwrap_or_default();
        let facts = NodeFacts {
            name: "gpu-7",
            labels: &labels,
            taints: &node_taints,
        };
        let placement = evaluate(&placement_spec(&template_spec()), &facts);
        assert!(placement.should_run, "{:?}", placement.exclusions);
        let plain = placement_spec(&api::PodSpec::default());
        let placement = evaluate(&plain, &facts);
        let gpu = Taint::new("nvidia.com/gpu", "present", TaintEffect::NoSchedule);
        assert_eq!(placement.exclusions, [Exclusion::UntoleratedTaint(gpu)]);
        assert!(placement.should_continue_running);
    }

    #[test]
    fn toleration_round_trips_through_api_form() {
        for tol in &template_spec().tolerations.unwrap()[..2] {
            let model = toleration(tol).unwrap();
            assert_eq!(&toleration_to_api(&model), tol);
        }
        let everything = toleration_to_api(&Toleration::exists("", None));
        let want: api::Toleration = serde_json::from_value(json!({"operator": "Exists"})).unwrap();
        assert_eq!(everything, want);
        let equal = toleration(
            &serde_json::from_value(
                json!({"key": "k", "operator": "Equal", "value": "v", "effect": ""}),
            )
            .unwrap(),
        );
        assert_eq!(equal, Some(Toleration::equal("k", "v", None)));
    }

    #[test]
    fn label_selector_from_api() {
        let sel: meta::LabelSelector = serde_json::from_value(json!({
            "matchLabels": {"app": "agent"},
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["canary"]}]
        }))
        .unwrap();
        assert_eq!(
            label_selector(&sel).unwrap().to_string(),
            "app=agent,tier notin (canary)"
        );
        assert!(
            label_selector(&meta::LabelSelector::default())
                .unwrap()
                .is_everything()
        );
        let bad: meta::LabelSelector = serde_json::from_value(json!({
            "matchExpressions": [{"key": "tier", "operator": "In"}]
        }))
        .unwrap();
        let err = label_selector(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid label selector "tier In []": In needs at least one value"#
        );
    }
}
