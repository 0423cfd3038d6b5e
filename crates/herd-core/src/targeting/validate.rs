//! The API server's rules for the node-targeting fields of a pod template, checked before
//! anything is sent, so an invalid edit is refused with the field and the rule named
//! (upstream `ValidateNodeSelector`, `ValidateNodeSelectorRequirement`,
//! `validateNodeFieldSelectorRequirement`, `ValidateTolerations` and `validateTaintEffect` in
//! kubernetes/pkg/apis/core/validation/validation.go; `ValidateLabels` in
//! apimachinery/pkg/apis/meta/v1/validation/validation.go).

use std::fmt;

use crate::model::placement::{
    NodeSelectorOperator, NodeSelectorRequirement, PlacementSpec, Taint, TolerationOperator,
};
use crate::model::selector::{validate_label_key, validate_label_value};

/// One broken rule: the field's path as the API server names it, and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub rule: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        rule: rule.into(),
    }
}

const POD_SPEC: &str = "spec.template.spec";
const TERMS: &str =
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";

/// Every rule the targeting fields of `spec` break; empty when the API server would take them.
pub fn validate(spec: &PlacementSpec) -> Vec<Invalid> {
    let mut errors = Vec::new();
    for (key, value) in &spec.node_selector {
        let field = format!("{POD_SPEC}.nodeSelector[{key}]");
        if let Err(why) = validate_label_key(key) {
            errors.push(invalid(&field, why));
        }
        if let Err(why) = validate_label_value(value) {
            errors.push(invalid(&field, why));
        }
    }
    if let Some(terms) = &spec.required_terms {
        if terms.is_empty() {
            errors.push(invalid(
                format!("{POD_SPEC}.{TERMS}"),
                "Required value: must have at least one node selector term",
            ));
        }
        for (i, term) in terms.iter().enumerate() {
            for (j, req) in term.match_expressions.iter().enumerate() {
                let path = format!("{POD_SPEC}.{TERMS}[{i}].matchExpressions[{j}]");
                expression(&path, req, &mut errors);
            }
            for (j, req) in term.match_fields.iter().enumerate() {
                let path = format!("{POD_SPEC}.{TERMS}[{i}].matchFields[{j}]");
                match_field(&path, req, &mut errors);
            }
        }
    }
    for (i, t) in spec.tolerations.iter().enumerate() {
        let path = format!("{POD_SPEC}.tolerations[{i}]");
        if !t.key.is_empty()
            && let Err(why) = validate_label_key(&t.key)
        {
            errors.push(invalid(format!("{path}.key"), why));
        }
        if t.key.is_empty() && t.operator != TolerationOperator::Exists {
            errors.push(invalid(
                format!("{path}.operator"),
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some()
            && t.effect != Some(crate::model::placement::TaintEffect::NoExecute)
        {
            errors.push(invalid(
                format!("{path}.effect"),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match t.operator {
            TolerationOperator::Equal => {
                if let Err(why) = validate_label_value(&t.value) {
                    errors.push(invalid(format!("{path}.operator"), why));
                }
            }
            TolerationOperator::Exists if !t.value.is_empty() => errors.push(invalid(
                format!("{path}.operator"),
                "value must be empty when `operator` is 'Exists'",
            )),
            TolerationOperator::Exists => {}
            // The comparison operators are behind a feature gate that is off by default.
            TolerationOperator::Lt | TolerationOperator::Gt => errors.push(invalid(
                format!("{path}.operator"),
                format!(
                    "Unsupported value: {:?}: supported values: \"Equal\", \"Exists\"",
                    t.operator.as_str()
                ),
            )),
        }
    }
    errors
}

fn expression(path: &str, req: &NodeSelectorRequirement, errors: &mut Vec<Invalid>) {
    let values = req.values.len();
    match &req.operator {
        NodeSelectorOperator::In | NodeSelectorOperator::NotIn if values == 0 => {
            errors.push(invalid(
                format!("{path}.values"),
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            ));
        }
        NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist if values > 0 => {
            errors.push(invalid(
                format!("{path}.values"),
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ));
        }
        NodeSelectorOperator::Gt | NodeSelectorOperator::Lt if values != 1 => {
            errors.push(invalid(
                format!("{path}.values"),
                "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
            ));
        }
        NodeSelectorOperator::Invalid(op) => errors.push(invalid(
            format!("{path}.operator"),
            format!(
                "Unsupported value: {op:?}: supported values: \"DoesNotExist\", \"Exists\", \"Gt\", \"In\", \"Lt\", \"NotIn\""
            ),
        )),
        _ => {}
    }
    if let Err(why) = validate_label_key(&req.key) {
        errors.push(invalid(format!("{path}.key"), why));
    }
    for (k, value) in req.values.iter().enumerate() {
        if let Err(why) = validate_label_value(value) {
            errors.push(invalid(format!("{path}.values[{k}]"), why));
        }
    }
}

fn match_field(path: &str, req: &NodeSelectorRequirement, errors: &mut Vec<Invalid>) {
    match req.operator {
        NodeSelectorOperator::In | NodeSelectorOperator::NotIn => {
            if req.values.len() != 1 {
                errors.push(invalid(
                    format!("{path}.values"),
                    "Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
                ));
            }
        }
        _ => errors.push(invalid(
            format!("{path}.operator"),
            format!(
                "Invalid value: {:?}: not a valid selector operator",
                req.operator.as_str()
            ),
        )),
    }
    if req.key != "metadata.name" {
        errors.push(invalid(
            format!("{path}.key"),
            format!(
                "Invalid value: {:?}: not a valid field selector key (only metadata.name)",
                req.key
            ),
        ));
    }
}

/// The rules for a taint a person puts on a node (upstream `validateNodeTaints`): a label
/// key, a label value; the effect is always one of the three, by its type.
pub fn validate_taint(taint: &Taint) -> Vec<Invalid> {
    let mut errors = Vec::new();
    if let Err(why) = validate_label_key(&taint.key) {
        errors.push(invalid("spec.taints.key", why));
    }
    if let Err(why) = validate_label_value(&taint.value) {
        errors.push(invalid("spec.taints.value", why));
    }
    errors
}

/// The rules for a label a person puts on a node.
pub fn validate_label(key: &str, value: &str) -> Vec<Invalid> {
    let field = format!("metadata.labels[{key}]");
    let mut errors = Vec::new();
    if let Err(why) = validate_label_key(key) {
        errors.push(invalid(&field, why));
    }
    if let Err(why) = validate_label_value(value) {
        errors.push(invalid(&field, why));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::placement::{NodeSelectorTerm, TaintEffect, Toleration};

    fn with_toleration(t: Toleration) -> PlacementSpec {
        PlacementSpec {
            tolerations: vec![t],
            ..PlacementSpec::default()
        }
    }

    fn rules(spec: &PlacementSpec) -> Vec<String> {
        validate(spec).iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn a_plain_spec_is_valid() {
        let mut spec = with_toleration(Toleration::equal(
            "gpu",
            "yes",
            Some(TaintEffect::NoSchedule),
        ));
        spec.node_selector.insert("pool".into(), "gpu".into());
        assert!(validate(&spec).is_empty());
    }

    #[test]
    fn node_selector_keys_and_values_follow_label_syntax() {
        let mut spec = PlacementSpec::default();
        spec.node_selector.insert("bad key".into(), "ok".into());
        spec.node_selector.insert("pool".into(), "-bad".into());
        let rules = rules(&spec);
        assert_eq!(rules.len(), 2, "{rules:?}");
        assert!(rules[0].starts_with("spec.template.spec.nodeSelector[bad key]: label key name"));
        assert!(rules[1].starts_with("spec.template.spec.nodeSelector[pool]: label value"));
    }

    #[test]
    fn each_operator_takes_its_number_of_values() {
        let term = |op: NodeSelectorOperator, values: &[&str]| PlacementSpec {
            required_terms: Some(vec![NodeSelectorTerm {
                match_expressions: vec![NodeSelectorRequirement::new("zone", op, values)],
                match_fields: vec![],
            }]),
            ..PlacementSpec::default()
        };
        use NodeSelectorOperator::*;
        let path = "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]";
        for (op, values, broken) in [
            (
                In,
                &[][..],
                Some(
                    "values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                ),
            ),
            (NotIn, &[][..], Some("values: Required value")),
            (In, &["a", "b"][..], None),
            (
                Exists,
                &["a"][..],
                Some("values: Forbidden: may not be specified"),
            ),
            (DoesNotExist, &["a"][..], Some("values: Forbidden")),
            (Exists, &[][..], None),
            (
                Gt,
                &["1", "2"][..],
                Some("values: Required value: must be specified single value"),
            ),
            (
                Lt,
                &[][..],
                Some("values: Required value: must be specified single value"),
            ),
            (Gt, &["4"][..], None),
            (
                Invalid("Near".into()),
                &["a"][..],
                Some("operator: Unsupported value: \"Near\""),
            ),
        ] {
            let rules = rules(&term(op.clone(), values));
            match broken {
                None => assert!(rules.is_empty(), "{op:?} {values:?}: {rules:?}"),
                Some(rule) => assert!(
                    rules.len() == 1 && rules[0].starts_with(&format!("{path}.{rule}")),
                    "{op:?} {values:?}: {rules:?}"
                ),
            }
        }
        let no_terms = PlacementSpec {
            required_terms: Some(vec![]),
            ..PlacementSpec::default()
        };
        assert!(rules(&no_terms)[0].ends_with("must have at least one node selector term"));
    }

    #[test]
    fn match_fields_take_metadata_name_in_one_value() {
        let spec = |key: &str, op: NodeSelectorOperator, values: &[&str]| PlacementSpec {
            required_terms: Some(vec![NodeSelectorTerm {
                match_expressions: vec![],
                match_fields: vec![NodeSelectorRequirement::new(key, op, values)],
            }]),
            ..PlacementSpec::default()
        };
        assert!(rules(&spec("metadata.name", NodeSelectorOperator::In, &["n1"])).is_empty());
        let r = rules(&spec("metadata.labels", NodeSelectorOperator::In, &["n1"]));
        assert!(r[0].contains("matchFields[0].key: Invalid value"), "{r:?}");
        let r = rules(&spec(
            "metadata.name",
            NodeSelectorOperator::In,
            &["a", "b"],
        ));
        assert!(r[0].contains("must be only one value"), "{r:?}");
        let r = rules(&spec("metadata.name", NodeSelectorOperator::Exists, &[]));
        assert!(r[0].contains("operator: Invalid value"), "{r:?}");
    }

    #[test]
    fn toleration_rules_name_their_field() {
        let mut seconds = Toleration::exists("gpu", Some(TaintEffect::NoSchedule));
        seconds.toleration_seconds = Some(30);
        let mut exists_value = Toleration::exists("gpu", None);
        exists_value.value = "x".into();
        let mut lt = Toleration::equal("gpu", "3", None);
        lt.operator = TolerationOperator::Lt;
        for (t, rule) in [
            (
                seconds,
                "tolerations[0].effect: effect must be 'NoExecute' when `tolerationSeconds` is set",
            ),
            (
                Toleration::equal("", "x", None),
                "tolerations[0].operator: operator must be Exists when `key` is empty",
            ),
            (
                exists_value,
                "tolerations[0].operator: value must be empty when `operator` is 'Exists'",
            ),
            (
                Toleration::equal("gpu", "a b", None),
                "tolerations[0].operator: label value",
            ),
            (
                Toleration::exists("a/b/c", None),
                "tolerations[0].key: label key",
            ),
            (lt, "tolerations[0].operator: Unsupported value: \"Lt\""),
        ] {
            let rules = rules(&with_toleration(t));
            assert_eq!(rules.len(), 1, "{rules:?}");
            assert!(
                rules[0].starts_with(&format!("spec.template.spec.{rule}")),
                "{rules:?}"
            );
        }
        let mut fine = Toleration::exists("gpu", Some(TaintEffect::NoExecute));
        fine.toleration_seconds = Some(30);
        assert!(validate(&with_toleration(fine)).is_empty());
        assert!(validate(&with_toleration(Toleration::exists("", None))).is_empty());
    }

    #[test]
    fn node_labels_and_taints_follow_label_syntax() {
        assert!(validate_label("pool", "gpu").is_empty());
        assert_eq!(validate_label("pool", "g pu").len(), 1);
        assert!(validate_taint(&Taint::new("gpu", "", TaintEffect::NoSchedule)).is_empty());
        assert_eq!(
            validate_taint(&Taint::new("", "x", TaintEffect::NoSchedule)).len(),
            1
        );
    }
}
