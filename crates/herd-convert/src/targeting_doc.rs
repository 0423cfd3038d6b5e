//! A DaemonSet's node targeting as the document `E` opens in $EDITOR: the pod template's
//! `nodeSelector`, `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` and
//! `tolerations`, in the API's own shape (what `kubectl edit` shows under
//! `spec.template.spec`), and back. Reading back is strict where the cluster reader is lenient:
//! an unknown operator or effect typed by a person is an error naming the field, never a
//! toleration silently dropped.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as api;
use serde_json::{Map, Value, json};

use crate::convert::{node_selector_term_to_api, required_terms_from, toleration_to_api};
use herd_core::model::placement::{
    NodeSelectorTerm, PlacementSpec, TaintEffect, Toleration, TolerationOperator,
};
use herd_core::targeting::validate::validate;

const TOP: [&str; 3] = ["nodeSelector", "affinity", "tolerations"];
const TOLERATION: [&str; 5] = ["key", "operator", "value", "effect", "tolerationSeconds"];
const TERM: [&str; 2] = ["matchExpressions", "matchFields"];
const REQUIREMENT: [&str; 3] = ["key", "operator", "values"];

/// Fields the API does not know, as the API server's strict field validation names them (a
/// misspelt `efect:` would otherwise vanish, leaving a toleration of every effect).
fn unknown_fields(value: &Value, path: &str, known: &[&str], problems: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            problems.push(format!("{path}.{key}: unknown field"));
        }
    }
}

/// Unknown fields anywhere in the required terms or the tolerations.
fn strict(doc: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(Value::Array(list)) = doc.get("tolerations") {
        for (i, t) in list.iter().enumerate() {
            unknown_fields(t, &format!("tolerations[{i}]"), &TOLERATION, &mut problems);
        }
    }
    let required = doc
        .get("affinity")
        .and_then(|a| a.get("nodeAffinity"))
        .and_then(|n| n.get("requiredDuringSchedulingIgnoredDuringExecution"));
    if let Some(required) = required {
        let path = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
        unknown_fields(required, path, &["nodeSelectorTerms"], &mut problems);
        if let Some(Value::Array(terms)) = required.get("nodeSelectorTerms") {
            for (i, term) in terms.iter().enumerate() {
                let at = format!("{path}.nodeSelectorTerms[{i}]");
                unknown_fields(term, &at, &TERM, &mut problems);
                for list in TERM {
                    if let Some(Value::Array(rs)) = term.get(list) {
                        for (j, r) in rs.iter().enumerate() {
                            unknown_fields(
                                r,
                                &format!("{at}.{list}[{j}]"),
                                &REQUIREMENT,
                                &mut problems,
                            );
                        }
                    }
                }
            }
        }
    }
    problems
}

/// The targeting fields of `spec`, in the API's shape; absent fields are left out.
pub fn to_document(spec: &PlacementSpec) -> Value {
    let mut doc = Map::new();
    if !spec.node_selector.is_empty() {
        doc.insert("nodeSelector".into(), json!(spec.node_selector));
    }
    if let Some(terms) = &spec.required_terms {
        let selector = api::NodeSelector {
            node_selector_terms: terms.iter().map(node_selector_term_to_api).collect(),
        };
        doc.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": selector}}),
        );
    }
    if !spec.tolerations.is_empty() {
        let list: Vec<api::Toleration> = spec.tolerations.iter().map(toleration_to_api).collect();
        doc.insert("tolerations".into(), json!(list));
    }
    Value::Object(doc)
}

/// The targeting a person's document says, over `base` (nodeName and hostNetwork are kept),
/// or every problem with it, each naming its field. An empty document clears all three fields.
pub fn from_document(value: &Value, base: &PlacementSpec) -> Result<PlacementSpec, Vec<String>> {
    let empty = Map::new();
    let doc = match value {
        Value::Null => &empty,
        Value::Object(map) => map,
        _ => {
            return Err(vec![
                "the document must be a mapping of nodeSelector, affinity and tolerations".into(),
            ]);
        }
    };
    let mut problems = Vec::new();
    for key in doc.keys().filter(|k| !TOP.contains(&k.as_str())) {
        problems.push(format!(
            "{key}: not edited here (only nodeSelector, affinity and tolerations)"
        ));
    }
    problems.extend(strict(doc));
    let mut spec = base.clone();
    match node_selector(doc.get("nodeSelector")) {
        Ok(map) => spec.node_selector = map,
        Err(e) => problems.push(e),
    }
    match required_terms(doc.get("affinity")) {
        Ok(terms) => spec.required_terms = terms,
        Err(e) => problems.push(e),
    }
    match tolerations(doc.get("tolerations")) {
        Ok(list) => spec.tolerations = list,
        Err(mut e) => problems.append(&mut e),
    }
    if problems.is_empty() {
        problems.extend(validate(&spec).iter().map(ToString::to_string));
    }
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems)
    }
}

fn node_selector(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!(
                    "nodeSelector.{k}: a label value is a string, not {other}"
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "nodeSelector: a mapping of label to value, not {other}"
        )),
    }
}

/// Only the required node affinity is edited here; preferred affinity and pod (anti-)affinity
/// are refused rather than dropped, since the apply would not write them.
fn required_terms(value: Option<&Value>) -> Result<Option<Vec<NodeSelectorTerm>>, String> {
    let affinity = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(format!("affinity: a mapping, not {other}")),
    };
    if let Some(other) = affinity.keys().find(|k| *k != "nodeAffinity") {
        return Err(format!(
            "affinity.{other}: not edited here (only nodeAffinity's required terms; use kubectl edit)"
        ));
    }
    let node = match affinity.get("nodeAffinity") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(format!("affinity.nodeAffinity: a mapping, not {other}")),
    };
    const REQUIRED: &str = "requiredDuringSchedulingIgnoredDuringExecution";
    if let Some(other) = node.keys().find(|k| *k != REQUIRED) {
        return Err(format!(
            "affinity.nodeAffinity.{other}: not edited here (only {REQUIRED}; use kubectl edit)"
        ));
    }
    match node.get(REQUIRED) {
        None => Ok(None),
        Some(v) => {
            required_terms_from(v).map_err(|e| format!("affinity.nodeAffinity.{REQUIRED}: {e}"))
        }
    }
}

fn tolerations(value: Option<&Value>) -> Result<Vec<Toleration>, Vec<String>> {
    let list: Vec<api::Toleration> = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|e| vec![format!("tolerations: {e}")])?
        }
    };
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let operator = t.operator.as_deref().unwrap_or("Equal");
        let operator = match operator {
            "" | "Equal" => TolerationOperator::Equal,
            "Exists" => TolerationOperator::Exists,
            other => {
                problems.push(format!(
                    "tolerations[{i}].operator: unknown operator {other:?} (Equal or Exists)"
                ));
                continue;
            }
        };
        let effect = match t.effect.as_deref() {
            None | Some("") => None,
            Some(e) => match e.parse::<TaintEffect>() {
                Ok(e) => Some(e),
                Err(_) => {
                    problems.push(format!(
                        "tolerations[{i}].effect: unknown effect {e:?} (NoSchedule, PreferNoSchedule or NoExecute)"
                    ));
                    continue;
                }
            },
        };
        out.push(Toleration {
            key: t.key.clone().unwrap_or_default(),
            operator,
            value: t.value.clone().unwrap_or_default(),
            effect,
            toleration_seconds: t.toleration_seconds,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herd_core::model::placement::{NodeSelectorOperator, NodeSelectorRequirement};

    fn spec() -> PlacementSpec {
        PlacementSpec {
            node_selector: [("pool".to_string(), "gpu".to_string())].into(),
            required_terms: Some(vec![NodeSelectorTerm {
                match_expressions: vec![NodeSelectorRequirement {
                    key: "zone".into(),
                    operator: NodeSelectorOperator::In,
                    values: vec!["a".into(), "b".into()],
                }],
                match_fields: Vec::new(),
            }]),
            tolerations: vec![Toleration::exists(
                "nvidia.com/gpu",
                Some(TaintEffect::NoSchedule),
            )],
            ..PlacementSpec::default()
        }
    }

    #[test]
    fn the_document_reads_back_as_the_targeting_it_shows() {
        let doc = to_document(&spec());
        assert_eq!(doc["tolerations"][0]["operator"], "Exists");
        assert_eq!(
            doc["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
                [0]["matchExpressions"][0]["values"],
            json!(["a", "b"])
        );
        assert_eq!(from_document(&doc, &PlacementSpec::default()), Ok(spec()));
        // Nothing at all clears every field.
        assert_eq!(
            from_document(&Value::Null, &spec()),
            Ok(PlacementSpec::default())
        );
    }

    #[test]
    fn every_problem_names_its_field() {
        let doc = json!({
            "nodeSelector": {"pool": 3},
            "tolerations": [{"key": "a", "operator": "Maybe"}, {"key": "b", "effect": "Sometimes"}],
            "hostNetwork": true,
            "affinity": {"podAntiAffinity": {}}
        });
        let strict = json!({
            "tolerations": [{"key": "a", "operator": "Exists", "efect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                {"nodeSelectorTerms": [{"matchExpressions": [{"key": "z", "operator": "Exists", "value": ["x"]}]}]}}}
        });
        let text = from_document(&strict, &PlacementSpec::default())
            .expect_err("refused")
            .join("\n");
        assert!(
            text.contains("tolerations[0].efect: unknown field"),
            "{text}"
        );
        assert!(
            text.contains("nodeSelectorTerms[0].matchExpressions[0].value: unknown field"),
            "{text}"
        );
        let problems = from_document(&doc, &PlacementSpec::default()).expect_err("refused");
        let text = problems.join("\n");
        for want in [
            "nodeSelector.pool: a label value is a string",
            "tolerations[0].operator: unknown operator \"Maybe\"",
            "tolerations[1].effect: unknown effect \"Sometimes\"",
            "hostNetwork: not edited here",
            "affinity.podAntiAffinity: not edited here",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        // Shapes that read go on to Kubernetes' rules.
        let doc = json!({"tolerations": [{"key": "a", "operator": "Exists", "value": "x"}]});
        let problems = from_document(&doc, &PlacementSpec::default()).expect_err("refused");
        assert!(problems[0].contains("tolerations[0]"), "{problems:?}");
    }
}
