//! The one-line spellings a person types for node-targeting fields, read and written: a
//! nodeSelector as `kubectl label` writes labels (`pool=gpu,zone=a`), a toleration as
//! `kubectl taint` writes a taint (`nvidia.com/gpu=present:NoSchedule`), and required node
//! affinity as its expressions (`zone In [a, b], gpu Exists | name:metadata.name In [n1]`).
//!
//! Reading only shapes text into fields; whether the fields are valid is
//! [`super::validate`]'s job, so a typo and a rule broken read the same way everywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::placement::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, TaintEffect, Toleration,
    TolerationOperator,
};

/// Text that does not have the shape of the field it was typed into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {text:?}: {why}")]
pub struct SpellingError {
    /// The field, as the editor and the flags name it (`nodeSelector`, `--add-toleration`).
    pub field: String,
    pub text: String,
    pub why: String,
}

fn error(field: &str, text: &str, why: impl Into<String>) -> SpellingError {
    SpellingError {
        field: field.to_string(),
        text: text.to_string(),
        why: why.into(),
    }
}

/// `k=v,k2=v2` (spaces around items allowed); empty text is no selector.
pub fn parse_node_selector(
    field: &str,
    text: &str,
) -> Result<BTreeMap<String, String>, SpellingError> {
    let mut map = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(error(field, item, "expected KEY=VALUE"));
        };
        let (key, value) = (key.trim(), value.trim());
        if map.insert(key.to_string(), value.to_string()).is_some() {
            return Err(error(field, item, format!("key {key} given twice")));
        }
    }
    Ok(map)
}

pub fn format_node_selector(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// One toleration: `KEY=VALUE:EFFECT` tolerates that taint (operator Equal), `KEY:EFFECT`
/// every value of the key (Exists), either without `:EFFECT` every effect, `*` (or
/// `*:EFFECT`) every key; ` for Ns` sets tolerationSeconds.
pub fn parse_toleration(field: &str, text: &str) -> Result<Toleration, SpellingError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(error(field, text, "expected KEY[=VALUE][:EFFECT]"));
    }
    let (body, seconds) = match trimmed.split_once(" for ") {
        Some((body, seconds)) => {
            let digits = seconds.trim().trim_end_matches('s');
            let Ok(n) = digits.parse::<i64>() else {
                return Err(error(
                    field,
                    text,
                    "expected ` for SECONDSs` after the toleration",
                ));
            };
            (body.trim(), Some(n))
        }
        None => (trimmed, None),
    };
    let (target, effect) = match body.rsplit_once(':') {
        Some((target, effect)) => {
            let effect: TaintEffect = effect.parse().map_err(|_| {
                error(
                    field,
                    text,
                    format!(
                        "unknown effect {effect:?} (NoSchedule, PreferNoSchedule or NoExecute)"
                    ),
                )
            })?;
            (target, Some(effect))
        }
        None => (body, None),
    };
    let mut toleration = match target.split_once('=') {
        Some((key, value)) => Toleration::equal(key, value, effect),
        None if target == "*" => Toleration::exists("", effect),
        None => Toleration::exists(target, effect),
    };
    toleration.toleration_seconds = seconds;
    Ok(toleration)
}

/// The spelling [`parse_toleration`] reads back. A toleration it cannot say (Equal with an
/// empty key, Lt and Gt) is written as `kubectl describe` would, and reads back as an error.
pub fn format_toleration(t: &Toleration) -> String {
    let key = if t.key.is_empty() { "*" } else { &t.key };
    let mut text = match t.operator {
        TolerationOperator::Equal if !t.key.is_empty() => format!("{key}={}", t.value),
        TolerationOperator::Exists if t.value.is_empty() => key.to_string(),
        _ => return t.to_string(),
    };
    if let Some(effect) = t.effect {
        let _ = write!(text, ":{effect}");
    }
    if let Some(seconds) = t.toleration_seconds {
        let _ = write!(text, " for {seconds}s");
    }
    text
}

/// Tolerations separated by `,`.
pub fn parse_tolerations(field: &str, text: &str) -> Result<Vec<Toleration>, SpellingError> {
    text.split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|i| parse_toleration(field, i))
        .collect()
}

pub fn format_tolerations(tolerations: &[Toleration]) -> String {
    tolerations
        .iter()
        .map(format_toleration)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The prefix that marks a `matchFields` requirement (`name:metadata.name In [node-1]`).
const FIELD_PREFIX: &str = "field:";

/// Required node affinity: terms separated by `|` (any may match), each term's requirements
/// by `,` outside brackets (all must match), each requirement `KEY OPERATOR [VALUES]` with
/// values in brackets separated by `,`; `field:metadata.name In [n1]` is a matchFields entry.
/// Empty text is no required affinity (`None`).
pub fn parse_affinity(
    field: &str,
    text: &str,
) -> Result<Option<Vec<NodeSelectorTerm>>, SpellingError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut terms = Vec::new();
    for term_text in text.split('|') {
        let mut term = NodeSelectorTerm::default();
        for req_text in split_outside_brackets(term_text) {
            let req_text = req_text.trim();
            if req_text.is_empty() {
                continue;
            }
            let (is_field, body) = match req_text.strip_prefix(FIELD_PREFIX) {
                Some(rest) => (true, rest),
                None => (false, req_text),
            };
            let requirement = parse_requirement(field, body)?;
            if is_field {
                term.match_fields.push(requirement);
            } else {
                term.match_expressions.push(requirement);
            }
        }
        if term.is_empty() {
            return Err(error(
                field,
                term_text,
                "an empty term (between `|`) would match no node",
            ));
        }
        terms.push(term);
    }
    Ok(Some(terms))
}

fn split_outside_brackets(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(field: &str, text: &str) -> Result<NodeSelectorRequirement, SpellingError> {
    let shape = "expected KEY OPERATOR [VALUES], e.g. `zone In [a, b]` or `gpu Exists`";
    let (head, values) = match text.find(['[', '(']) {
        Some(open) => {
            let inner = text[open + 1..].trim_end();
            let Some(inner) = inner.strip_suffix([']', ')']) else {
                return Err(error(field, text, "values need a closing `]`"));
            };
            let values = inner
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect();
            (&text[..open], values)
        }
        None => (text, Vec::new()),
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    let (key, operator, values) = match (words.as_slice(), values) {
        ([key, op], values) => (*key, *op, values),
        // `cores Gt 4`: a single value without brackets.
        ([key, op, value], values) if values.is_empty() => (*key, *op, vec![value.to_string()]),
        _ => return Err(error(field, text, shape)),
    };
    Ok(NodeSelectorRequirement {
        key: key.to_string(),
        operator: NodeSelectorOperator::parse(operator),
        values,
    })
}

/// The spelling [`parse_affinity`] reads back; `None` is empty text.
pub fn format_affinity(terms: Option<&[NodeSelectorTerm]>) -> String {
    let Some(terms) = terms else {
        return String::new();
    };
    terms
        .iter()
        .map(|term| {
            let expressions = term.match_expressions.iter().map(format_requirement);
            let fields = term
                .match_fields
                .iter()
                .map(|r| format!("{FIELD_PREFIX}{}", format_requirement(r)));
            expressions.chain(fields).collect::<Vec<_>>().join(", ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn format_requirement(r: &NodeSelectorRequirement) -> String {
    let mut text = format!("{} {}", r.key, r.operator.as_str());
    if !r.values.is_empty() {
        let _ = write!(text, " [{}]", r.values.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_selectors_read_and_write_as_kubectl_label_does() {
        let s = parse_node_selector("nodeSelector", " pool=gpu , zone=a").unwrap();
        assert_eq!(format_node_selector(&s), "pool=gpu,zone=a");
        assert_eq!(parse_node_selector("nodeSelector", "").unwrap().len(), 0);
        let e = parse_node_selector("nodeSelector", "pool").unwrap_err();
        assert_eq!(e.to_string(), "nodeSelector: \"pool\": expected KEY=VALUE");
        let e = parse_node_selector("nodeSelector", "a=1,a=2").unwrap_err();
        assert!(e.why.contains("given twice"), "{e}");
    }

    #[test]
    fn tolerations_read_as_kubectl_taint_writes_taints() {
        let t = parse_toleration("t", "nvidia.com/gpu=present:NoSchedule").unwrap();
        assert_eq!(
            t,
            Toleration::equal("nvidia.com/gpu", "present", Some(TaintEffect::NoSchedule))
        );
        let t = parse_toleration("t", "dedicated:NoExecute for 300s").unwrap();
        assert_eq!(t.operator, TolerationOperator::Exists);
        assert_eq!(t.toleration_seconds, Some(300));
        let t = parse_toleration("t", "*").unwrap();
        assert_eq!(t, Toleration::exists("", None));
        let e = parse_toleration("--add-toleration", "gpu:NoRun").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--add-toleration: \"gpu:NoRun\": unknown effect")
        );
        for text in [
            "a=b:NoSchedule",
            "a:NoExecute for 30s",
            "a",
            "a=b",
            "*:NoSchedule",
            "*",
        ] {
            let t = parse_toleration("t", text).unwrap();
            assert_eq!(format_toleration(&t), text);
        }
    }

    #[test]
    fn affinity_terms_read_back_as_written() {
        let text = "zone In [a, b], gpu Exists | field:metadata.name In [n1]";
        let terms = parse_affinity("affinity", text).unwrap().unwrap();
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0].match_expressions.len(), 2);
        assert_eq!(terms[0].match_expressions[0].values, vec!["a", "b"]);
        assert_eq!(terms[1].match_fields[0].key, "metadata.name");
        assert_eq!(format_affinity(Some(&terms)), text);
        let terms = parse_affinity("affinity", "cores Gt 4").unwrap().unwrap();
        assert_eq!(terms[0].match_expressions[0].values, vec!["4"]);
        assert_eq!(parse_affinity("affinity", "  ").unwrap(), None);
        assert!(parse_affinity("affinity", "zone In [a").is_err());
        assert!(parse_affinity("affinity", "zone").is_err());
        assert!(parse_affinity("affinity", "a Exists | ").is_err());
    }
}
