//! Required node affinity: node selector terms, their operators and validity
//! (docs/SEMANTICS.md#node-selector-and-affinity; upstream `GetRequiredNodeAffinity` in
//! kubernetes/staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Exclusion, NodeFacts};
use crate::model::selector::{validate_label_key, validate_label_value};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeSelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
    /// An operator string the API does not define; it makes its term match nothing.
    Invalid(String),
}

impl NodeSelectorOperator {
    pub fn parse(s: &str) -> Self {
        match s {
            "In" => NodeSelectorOperator::In,
            "NotIn" => NodeSelectorOperator::NotIn,
            "Exists" => NodeSelectorOperator::Exists,
            "DoesNotExist" => NodeSelectorOperator::DoesNotExist,
            "Gt" => NodeSelectorOperator::Gt,
            "Lt" => NodeSelectorOperator::Lt,
            other => NodeSelectorOperator::Invalid(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            NodeSelectorOperator::In => "In",
            NodeSelectorOperator::NotIn => "NotIn",
            NodeSelectorOperator::Exists => "Exists",
            NodeSelectorOperator::DoesNotExist => "DoesNotExist",
            NodeSelectorOperator::Gt => "Gt",
            NodeSelectorOperator::Lt => "Lt",
            NodeSelectorOperator::Invalid(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: NodeSelectorOperator,
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    pub fn new(key: &str, operator: NodeSelectorOperator, values: &[&str]) -> Self {
        NodeSelectorRequirement {
            key: key.to_owned(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }
}

/// `cores Gt [4]`, or `gpu Exists` when an operator that takes no values has none.
impl fmt::Display for NodeSelectorRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.key, self.operator.as_str())?;
        let valueless = matches!(
            self.operator,
            NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist
        );
        if !(valueless && self.values.is_empty()) {
            write!(f, " [{}]", self.values.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<NodeSelectorRequirement>,
    pub match_fields: Vec<NodeSelectorRequirement>,
}

impl NodeSelectorTerm {
    /// A term with neither list; upstream discards it.
    pub fn is_empty(&self) -> bool {
        self.match_expressions.is_empty() && self.match_fields.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt(i64),
    Lt(i64),
    NameIs { value: String, equal: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Check {
    requirement: NodeSelectorRequirement,
    test: Test,
}

impl Check {
    fn passes(&self, node: &NodeFacts<'_>) -> bool {
        let label = || node.labels.get(&self.requirement.key);
        let listed = |v: &String| self.requirement.values.contains(v);
        let number = || label().and_then(|v| v.parse::<i64>().ok());
        match &self.test {
            Test::In => label().is_some_and(listed),
            Test::NotIn => label().is_none_or(|v| !listed(v)),
            Test::Exists => label().is_some(),
            Test::DoesNotExist => label().is_none(),
            Test::Gt(limit) => number().is_some_and(|n| n > *limit),
            Test::Lt(limit) => number().is_some_and(|n| n < *limit),
            Test::NameIs { value, equal } => (node.name == value) == *equal,
        }
    }

    fn failure(&self, node: &NodeFacts<'_>) -> String {
        let req = &self.requirement;
        if let Test::NameIs { .. } = self.test {
            return format!("{req}: node is {}", node.name);
        }
        match node.labels.get(&req.key) {
            Some(value) => format!("{req}: node has {}={value}", req.key),
            None => format!("{req}: node has no label {}", req.key),
        }
    }
}

/// A term checked once for validity; an invalid term matches no node.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CompiledTerm {
    Valid(Vec<Check>),
    Invalid(String),
}

impl CompiledTerm {
    fn new(term: &NodeSelectorTerm) -> Self {
        let expressions = term.match_expressions.iter().map(label_check);
        let fields = term.match_fields.iter().map(field_check);
        match expressions.chain(fields).collect() {
            Ok(checks) => CompiledTerm::Valid(checks),
            Err(reason) => CompiledTerm::Invalid(reason),
        }
    }

    fn matches(&self, node: &NodeFacts<'_>) -> bool {
        match self {
            CompiledTerm::Valid(checks) => checks.iter().all(|c| c.passes(node)),
            CompiledTerm::Invalid(_) => false,
        }
    }

    fn failure(&self, node: &NodeFacts<'_>) -> String {
        match self {
            CompiledTerm::Valid(checks) => checks
                .iter()
                .find(|c| !c.passes(node))
                .map_or_else(String::new, |c| c.failure(node)),
            CompiledTerm::Invalid(reason) => reason.clone(),
        }
    }
}

/// Validity as apimachinery's `NewRequirement` sees a matchExpressions entry.
fn label_check(req: &NodeSelectorRequirement) -> Result<Check, String> {
    let invalid = |why: String| format!("{req}: invalid, {why}");
    validate_label_key(&req.key).map_err(invalid)?;
    let op = req.operator.as_str();
    let test = match (&req.operator, req.values.as_slice()) {
        (NodeSelectorOperator::In | NodeSelectorOperator::NotIn, []) => {
            return Err(invalid(format!("{op} needs at least one value")));
        }
        (NodeSelectorOperator::In, _) => Test::In,
        (NodeSelectorOperator::NotIn, _) => Test::NotIn,
        (NodeSelectorOperator::Exists, []) => Test::Exists,
        (NodeSelectorOperator::DoesNotExist, []) => Test::DoesNotExist,
        (NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist, _) => {
            return Err(invalid(format!("{op} takes no values")));
        }
        (NodeSelectorOperator::Gt | NodeSelectorOperator::Lt, [value]) => {
            let Ok(limit) = value.parse::<i64>() else {
                return Err(invalid(format!("{op} needs an integer value")));
            };
            if req.operator == NodeSelectorOperator::Gt {
                Test::Gt(limit)
            } else {
                Test::Lt(limit)
            }
        }
        (NodeSelectorOperator::Gt | NodeSelectorOperator::Lt, _) => {
            return Err(invalid(format!("{op} needs exactly one value")));
        }
        (NodeSelectorOperator::Invalid(_), _) => {
            return Err(invalid(format!("unknown operator {op:?}")));
        }
    };
    // Values must be label values, so a negative Gt/Lt bound makes the term invalid.
    for value in &req.values {
        validate_label_value(value).map_err(invalid)?;
    }
    Ok(Check {
        requirement: req.clone(),
        test,
    })
}

/// Validity as upstream's `nodeSelectorRequirementsAsFieldSelector` sees a matchFields entry.
fn field_check(req: &NodeSelectorRequirement) -> Result<Check, String> {
    let invalid = |why: &str| format!("{req}: invalid, {why}");
    if req.key != "metadata.name" {
        return Err(invalid("matchFields supports only metadata.name"));
    }
    let equal = match req.operator {
        NodeSelectorOperator::In => true,
        NodeSelectorOperator::NotIn => false,
        _ => return Err(invalid("matchFields supports only In and NotIn")),
    };
    let [value] = req.values.as_slice() else {
        return Err(invalid("matchFields needs exactly one value"));
    };
    Ok(Check {
        requirement: req.clone(),
        test: Test::NameIs {
            value: value.clone(),
            equal,
        },
    })
}

/// `requiredDuringSchedulingIgnoredDuringExecution` compiled once: empty terms dropped,
/// invalid ones remembered as never matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredAffinity {
    terms: Vec<CompiledTerm>,
}

impl RequiredAffinity {
    pub fn new(terms: &[NodeSelectorTerm]) -> Self {
        let terms = terms
            .iter()
            .filter(|t| !t.is_empty())
            .map(CompiledTerm::new)
            .collect();
        RequiredAffinity { terms }
    }

    /// Terms are ORed; with no term left, no node matches.
    pub fn matches(&self, node: &NodeFacts<'_>) -> bool {
        self.terms.iter().any(|t| t.matches(node))
    }

    /// Why `node` does not match; only meaningful when [`RequiredAffinity::matches`] is false.
    pub fn exclusion(&self, node: &NodeFacts<'_>) -> Exclusion {
        match self.terms.first() {
            None => Exclusion::NoAffinityTerms,
            Some(first) => Exclusion::AffinityUnmatched {
                terms: self.terms.len(),
                first_failure: first.failure(node),
            },
        }
    }
}

/// One-off check; hot callers keep a [`RequiredAffinity`] (or a `PreparedPlacement`) instead.
pub fn node_matches_affinity(terms: &[NodeSelectorTerm], node: &NodeFacts<'_>) -> bool {
    RequiredAffinity::new(terms).matches(node)
}

#[cfg(test)]
mod tests;
