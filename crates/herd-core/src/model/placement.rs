//! The one predicate "should DaemonSet d run on node n, and if not, why"
//! (docs/SEMANTICS.md#placement; upstream `NodeShouldRunDaemonPod` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go).
//!
//! Every caller (the simulator's controller and scheduler, coverage analysis, the UI) asks
//! the same function, so "desired" means the same thing everywhere. Build a
//! [`PreparedPlacement`] once per DaemonSet and call it per node: the happy path allocates nothing.

mod affinity;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use self::affinity::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, RequiredAffinity,
    node_matches_affinity,
};
pub use crate::model::taint::{
    Taint, TaintEffect, Toleration, TolerationOperator, daemon_tolerations, is_tolerated,
    untolerated_taints,
};

/// The placement-relevant part of a pod template: the synthetic pod of upstream's `NewPod`
/// (docs/SEMANTICS.md#placement), minus the automatic tolerations, which [`PreparedPlacement`] adds
/// itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlacementSpec {
    pub node_name: Option<String>,
    pub node_selector: BTreeMap<String, String>,
    /// `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    /// `None` when that selector is absent (no constraint), `Some(vec![])` matches no node.
    pub required_terms: Option<Vec<NodeSelectorTerm>>,
    pub tolerations: Vec<Toleration>,
    pub host_network: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct NodeFacts<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub taints: &'a [Taint],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// Create a pod here if missing; the node counts in desired.
    pub should_run: bool,
    /// Keep an existing pod; when false every pod here is deleted.
    pub should_continue_running: bool,
    /// Every reason the node is not a plain "run here"; empty exactly when `should_run`.
    pub exclusions: Vec<Exclusion>,
}

/// The prefix of the node labels that hold a staged targeting edit's nodes back (see
/// `crate::targeting::stage`): a requirement on such a label is a hold, not a choice.
pub const STAGE_HOLD_PREFIX: &str = "stage.herd.dev/";

/// One cause a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Exclusion {
    /// The template pins `spec.nodeName` to another node.
    NodeNameMismatch { wanted: String },
    NodeSelectorMismatch {
        key: String,
        wanted: String,
        actual: Option<String>,
    },
    /// No required node-affinity term matches; `first_failure` explains the first term.
    AffinityUnmatched { terms: usize, first_failure: String },
    /// Required node affinity whose terms are all empty (or absent): it selects no node.
    NoAffinityTerms,
    /// A NoSchedule or NoExecute taint that no toleration (user or automatic) tolerates.
    UntoleratedTaint(Taint),
}

impl Exclusion {
    /// Whether this cause also evicts running pods; only an untolerated NoSchedule taint leaves
    /// them alone (docs/SEMANTICS.md#run-and-keep). Node selectors and affinity are enforced during
    /// execution too.
    pub fn stops_running(&self) -> bool {
        match self {
            Exclusion::UntoleratedTaint(taint) => taint.effect != TaintEffect::NoSchedule,
            _ => true,
        }
    }
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exclusion::NodeNameMismatch { wanted } => {
                write!(f, "template pins nodeName {wanted}")
            }
            Exclusion::NodeSelectorMismatch {
                key,
                wanted,
                actual: Some(actual),
            } => write!(f, "nodeSelector {key}={wanted}: node has {key}={actual}"),
            Exclusion::NodeSelectorMismatch {
                key,
                wanted,
                actual: None,
            } => write!(f, "nodeSelector {key}={wanted}: node has no label {key}"),
            Exclusion::AffinityUnmatched { first_failure, .. }
                if first_failure.starts_with(STAGE_HOLD_PREFIX) =>
            {
                let label = first_failure.split(' ').next().unwrap_or_default();
                write!(
                    f,
                    "held by a staged targeting edit (label {label}): released batch by batch"
                )
            }
            Exclusion::AffinityUnmatched {
                terms: 1,
                first_failure,
            } => write!(f, "node affinity: {first_failure}"),
            Exclusion::AffinityUnmatched {
                terms,
                first_failure,
            } => write!(
                f,
                "node affinity: none of {terms} terms match; first: {first_failure}"
            ),
            Exclusion::NoAffinityTerms => {
                f.write_str("node affinity has no non-empty term, so it selects no node")
            }
            Exclusion::UntoleratedTaint(taint) => write!(f, "untolerated taint {taint}"),
        }
    }
}

/// A [`PlacementSpec`] with the automatic tolerations merged in and the affinity compiled:
/// build it once per DaemonSet template, evaluate it per node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPlacement {
    node_name: Option<String>,
    node_selector: BTreeMap<String, String>,
    affinity: Option<RequiredAffinity>,
    tolerations: Vec<Toleration>,
}

impl PreparedPlacement {
    pub fn new(spec: &PlacementSpec) -> Self {
        PreparedPlacement {
            // The template's nodeName check applies only to a non-empty nodeName.
            node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
            node_selector: spec.node_selector.clone(),
            affinity: spec.required_terms.as_deref().map(RequiredAffinity::new),
            tolerations: daemon_tolerations(&spec.tolerations, spec.host_network),
        }
    }

    /// The template's tolerations plus the automatic ones
    /// (docs/SEMANTICS.md#automatic-tolerations), as created pods carry them.
    pub fn tolerations(&self) -> &[Toleration] {
        &self.tolerations
    }

    /// Upstream `NodeShouldRunDaemonPod` for one node: nodeName, selector and affinity, taints
    /// (docs/SEMANTICS.md#run-and-keep).
    pub fn evaluate(&self, node: &NodeFacts<'_>) -> Placement {
        let mut exclusions = Vec::new();
        if let Some(wanted) = &self.node_name
            && wanted != node.name
        {
            exclusions.push(Exclusion::NodeNameMismatch {
                wanted: wanted.clone(),
            });
        }
        for (key, wanted) in &self.node_selector {
            let actual = node.labels.get(key);
            if actual != Some(wanted) {
                exclusions.push(Exclusion::NodeSelectorMismatch {
                    key: key.clone(),
                    wanted: wanted.clone(),
                    actual: actual.cloned(),
                });
            }
        }
        if let Some(affinity) = &self.affinity
            && !affinity.matches(node)
        {
            exclusions.push(affinity.exclusion(node));
        }
        for taint in node.taints {
            // PreferNoSchedule is ignored entirely.
            if taint.effect != TaintEffect::PreferNoSchedule
                && !is_tolerated(&self.tolerations, taint)
            {
                exclusions.push(Exclusion::UntoleratedTaint(taint.clone()));
            }
        }
        Placement {
            should_run: exclusions.is_empty(),
            should_continue_running: !exclusions.iter().any(Exclusion::stops_running),
            exclusions,
        }
    }

    /// [`PreparedPlacement::evaluate`]'s `should_run` alone, without gathering the causes:
    /// allocates nothing, for passes over every node that need only the answer.
    pub fn should_run(&self, node: &NodeFacts<'_>) -> bool {
        self.node_name
            .as_ref()
            .is_none_or(|wanted| wanted == node.name)
            && self
                .node_selector
                .iter()
                .all(|(key, wanted)| node.labels.get(key) == Some(wanted))
            && self.affinity.as_ref().is_none_or(|a| a.matches(node))
            && node.taints.iter().all(|taint| {
                taint.effect == TaintEffect::PreferNoSchedule
                    || is_tolerated(&self.tolerations, taint)
            })
    }

    /// The scheduler's NodeAffinity filter: nodeSelector and required affinity, nothing else.
    pub fn selector_and_affinity_match(&self, node: &NodeFacts<'_>) -> bool {
        self.node_selector
            .iter()
            .all(|(key, wanted)| node.labels.get(key) == Some(wanted))
            && self.affinity.as_ref().is_none_or(|a| a.matches(node))
    }
}

/// Upstream `NodeShouldRunDaemonPod` for a template spec as written (the automatic tolerations are
/// added here; docs/SEMANTICS.md#run-and-keep).
pub fn evaluate(spec: &PlacementSpec, node: &NodeFacts<'_>) -> Placement {
    evaluate_prepared(&PreparedPlacement::new(spec), node)
}

pub fn evaluate_prepared(prepared: &PreparedPlacement, node: &NodeFacts<'_>) -> Placement {
    prepared.evaluate(node)
}

/// One-off form of [`PreparedPlacement::selector_and_affinity_match`].
pub fn selector_and_affinity_match(spec: &PlacementSpec, node: &NodeFacts<'_>) -> bool {
    let selector_ok = spec
        .node_selector
        .iter()
        .all(|(key, wanted)| node.labels.get(key) == Some(wanted));
    selector_ok
        && spec
            .required_terms
            .as_deref()
            .is_none_or(|terms| node_matches_affinity(terms, node))
}

#[cfg(test)]
mod tests;
