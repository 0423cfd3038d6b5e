//! A targeting edit as the JSON merge patch that makes it: only the fields that change, a
//! removed nodeSelector key as `null`, lists whole (a merge patch replaces lists), and the
//! required node affinity alone, so preferred affinity and pod affinity are left as they are.

use k8s_openapi::api::apps::v1::DaemonSet;
use serde_json::{Map, Value, json};

use herd_convert::convert::{node_selector_term_to_api, toleration_to_api};
use herd_core::model::placement::PlacementSpec;

/// The merge patch taking the DaemonSet's template from `current` to `wanted`; `None` when
/// they agree.
pub fn merge_patch(current: &PlacementSpec, wanted: &PlacementSpec) -> Option<Value> {
    let mut pod = Map::new();
    if current.node_selector != wanted.node_selector {
        let value = if wanted.node_selector.is_empty() {
            Value::Null
        } else {
            let mut map = Map::new();
            for key in current.node_selector.keys() {
                if !wanted.node_selector.contains_key(key) {
                    map.insert(key.clone(), Value::Null);
                }
            }
            for (k, v) in &wanted.node_selector {
                if current.node_selector.get(k) != Some(v) {
                    map.insert(k.clone(), json!(v));
                }
            }
            Value::Object(map)
        };
        pod.insert("nodeSelector".into(), value);
    }
    if current.required_terms != wanted.required_terms {
        let required = match &wanted.required_terms {
            None => Value::Null,
            Some(terms) => {
                let terms: Vec<_> = terms.iter().map(node_selector_term_to_api).collect();
                json!({ "nodeSelectorTerms": terms })
            }
        };
        pod.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}),
        );
    }
    if current.tolerations != wanted.tolerations {
        let list: Vec<Value> = wanted
            .tolerations
            .iter()
            .map(|t| serde_json::to_value(toleration_to_api(t)).unwrap_or(Value::Null))
            .collect();
        let value = if list.is_empty() {
            Value::Null
        } else {
            Value::Array(list)
        };
        pod.insert("tolerations".into(), value);
    }
    (!pod.is_empty()).then(|| json!({"spec": {"template": {"spec": Value::Object(pod)}}}))
}

/// When `patch` drops the required node affinity and the template's affinity holds nothing
/// else, drops the whole `affinity` instead, so the template goes back to the shape it had
/// before any affinity was added (an empty `affinity: {nodeAffinity: {}}` left behind would
/// make it a template, and a revision, of its own).
pub fn tidy_affinity(patch: &mut Value, object: &DaemonSet) {
    let dropped = patch
        .pointer("/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution")
        .is_some_and(Value::is_null);
    let affinity = object
        .spec
        .template
        .spec
        .as_ref()
        .and_then(|p| p.affinity.as_ref());
    let nothing_else = affinity.is_none_or(|a| {
        a.pod_affinity.is_none()
            && a.pod_anti_affinity.is_none()
            && a.node_affinity.as_ref().is_none_or(|n| {
                n.preferred_during_scheduling_ignored_during_execution
                    .is_none()
            })
    });
    if dropped
        && nothing_else
        && let Some(pod) = patch.pointer_mut("/spec/template/spec")
    {
        pod["affinity"] = Value::Null;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herd_core::model::placement::{TaintEffect, Toleration};
    use herd_core::targeting::spelling::parse_affinity;

    #[test]
    fn only_what_changes_is_written() {
        let mut current = PlacementSpec::default();
        current.node_selector.insert("pool".into(), "gpu".into());
        current.node_selector.insert("zone".into(), "a".into());
        let mut wanted = current.clone();
        assert_eq!(merge_patch(&current, &wanted), None);
        wanted.node_selector.remove("zone");
        wanted.node_selector.insert("pool".into(), "cpu".into());
        wanted
            .tolerations
            .push(Toleration::exists("gpu", Some(TaintEffect::NoSchedule)));
        wanted.required_terms = parse_affinity("a", "cores Gt [4]").unwrap();
        let patch = merge_patch(&current, &wanted).unwrap();
        assert_eq!(
            patch,
            json!({"spec": {"template": {"spec": {
                "nodeSelector": {"zone": null, "pool": "cpu"},
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                    {"nodeSelectorTerms": [{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4"]}]}]}}}
            }}}})
        );
        let back = merge_patch(&wanted, &PlacementSpec::default()).unwrap();
        assert_eq!(
            back,
            json!({"spec": {"template": {"spec": {
                "nodeSelector": null,
                "tolerations": null,
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": null}}
            }}}})
        );
    }
}
