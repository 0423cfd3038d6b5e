//! One-key fixes for a node a DaemonSet does not cover, from the reason it does not: tolerate
//! the taint that keeps it off, widen the selector to the node's label or label the node, and
//! for a DaemonSet that targets no node, the closest label values the fleet has. Each fix is
//! either a targeting edit (previewed by [`super::preview`]) or a node edit (previewed by
//! [`super::nodes`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::nodes::NodeEdit;
use super::spelling::format_toleration;
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::Fleet;
use crate::model::placement::{
    Exclusion, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PlacementSpec,
    Toleration,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Add a toleration for the taint that keeps the node off.
    Tolerate(Toleration),
    /// Turn the selector's `key=wanted` into required affinity `key In [wanted, …]`, so the
    /// node's own value is selected too.
    WidenSelector { key: String, values: Vec<String> },
    /// Label the node as the selector wants.
    LabelNode {
        node: Arc<str>,
        key: String,
        value: String,
    },
    /// Select on a value the fleet's nodes carry (for a selector that matches no node).
    SelectorValue {
        key: String,
        value: String,
        nodes: usize,
    },
}

/// What a fix changes: the DaemonSet's targeting, or a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixEdit {
    Targeting(PlacementSpec),
    Node { node: Arc<str>, edit: NodeEdit },
}

impl Fix {
    /// The line a person picks from.
    pub fn title(&self) -> String {
        match self {
            Fix::Tolerate(t) => format!("tolerate {}", format_toleration(t)),
            Fix::WidenSelector { key, values } => format!(
                "add this node's label to the selector: {key} In [{}]",
                values.join(", ")
            ),
            Fix::LabelNode { node, key, value } => format!("label node {node} {key}={value}"),
            Fix::SelectorValue { key, value, nodes } => {
                format!("select {key}={value} ({nodes} node(s) carry it)")
            }
        }
    }

    /// The edit the fix makes, from the DaemonSet's current targeting.
    pub fn edit(&self, current: &PlacementSpec) -> FixEdit {
        let mut spec = current.clone();
        match self {
            Fix::Tolerate(t) => {
                if !spec.tolerations.contains(t) {
                    spec.tolerations.push(t.clone());
                }
            }
            Fix::WidenSelector { key, values } => {
                spec.node_selector.remove(key);
                let requirement = NodeSelectorRequirement {
                    key: key.clone(),
                    operator: NodeSelectorOperator::In,
                    values: values.clone(),
                };
                // Terms are ORed: the requirement joins every one of them.
                let terms = spec.required_terms.get_or_insert_with(Vec::new);
                if terms.is_empty() {
                    terms.push(NodeSelectorTerm::default());
                }
                for term in terms.iter_mut() {
                    term.match_expressions.push(requirement.clone());
                }
            }
            Fix::LabelNode { node, key, value } => {
                return FixEdit::Node {
                    node: Arc::clone(node),
                    edit: NodeEdit::Label {
                        key: key.clone(),
                        value: value.clone(),
                    },
                };
            }
            Fix::SelectorValue { key, value, .. } => {
                spec.node_selector.insert(key.clone(), value.clone());
            }
        }
        FixEdit::Targeting(spec)
    }
}

/// The fixes for `node`, which `ds` does not cover, from the causes that keep it off.
pub fn for_node(fleet: &Fleet, ds: &DaemonSet, node: &str) -> Vec<Fix> {
    let Some(n) = fleet.node(node) else {
        return Vec::new();
    };
    let placement = ds.targeting.prepared().evaluate(&n.facts());
    let mut fixes = Vec::new();
    for exclusion in &placement.exclusions {
        match exclusion {
            Exclusion::UntoleratedTaint(taint) => {
                let toleration = if taint.value.is_empty() {
                    Toleration::exists(taint.key.clone(), Some(taint.effect))
                } else {
                    Toleration::equal(taint.key.clone(), taint.value.clone(), Some(taint.effect))
                };
                fixes.push(Fix::Tolerate(toleration));
            }
            Exclusion::NodeSelectorMismatch {
                key,
                wanted,
                actual,
            } => {
                if let Some(actual) = actual {
                    fixes.push(Fix::WidenSelector {
                        key: key.clone(),
                        values: vec![wanted.clone(), actual.clone()],
                    });
                }
                fixes.push(Fix::LabelNode {
                    node: Arc::clone(&n.name),
                    key: key.clone(),
                    value: wanted.clone(),
                });
            }
            _ => {}
        }
    }
    fixes
}

/// For a DaemonSet whose nodeSelector matches no node: per selector pair that no node
/// carries, the fleet's values of that key closest to the one asked for (at most three, the
/// closest spelling first, then the most nodes).
pub fn closest_values(fleet: &Fleet, ds: &DaemonSet) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for (key, wanted) in &ds.targeting.spec().node_selector {
        let mut values: BTreeMap<&str, usize> = BTreeMap::new();
        let mut matched = false;
        for node in fleet.nodes() {
            if let Some(v) = node.labels.get(key) {
                matched |= v == wanted;
                *values.entry(v.as_str()).or_default() += 1;
            }
        }
        if matched {
            continue;
        }
        let mut ranked: Vec<(usize, usize, &str)> = values
            .into_iter()
            .map(|(v, n)| (distance(v, wanted), n, v))
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
        fixes.extend(
            ranked
                .into_iter()
                .take(3)
                .map(|(_, nodes, v)| Fix::SelectorValue {
                    key: key.clone(),
                    value: v.to_string(),
                    nodes,
                }),
        );
    }
    fixes
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("h100", "a100"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
