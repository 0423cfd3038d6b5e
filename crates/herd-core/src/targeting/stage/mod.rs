//! Staging a targeting edit that adds the daemon to many nodes: the nodes that gain it are
//! held back with a label, the DaemonSet gets the edit plus one requirement that keeps it off
//! held nodes, and the engine lifts the label batch by batch, in a node-label order, once the
//! nodes released so far run an Available pod. The `herd.dev/staging` annotation records what
//! the engine needs to carry on after any process dies, and the targeting to go back to.
//!
//! Why a hold label and not a hold taint: a NoSchedule taint would keep every other workload's
//! new pods off the held nodes for as long as the staging lasts. And why the requirement stays
//! in the template once every node is released: taking it out is a second template change,
//! which would replace every pod the edit has just created (matching no node, it changes
//! nothing; herd leaves it out of the next targeting edit made in herd).

mod step;
#[cfg(test)]
mod tests;

pub use step::{StageNext, StageStep, order, step};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::placement::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PlacementSpec,
};

/// The annotation's key on the DaemonSet.
pub const ANNOTATION: &str = "herd.dev/staging";
/// The schema version this herd reads and writes.
pub const VERSION: u32 = 1;
/// Every hold label's prefix.
pub const HOLD_PREFIX: &str = crate::model::placement::STAGE_HOLD_PREFIX;
/// The value a held node's label carries.
pub const HELD: &str = "held";
/// Staging is offered when an edit adds the daemon to at least this many nodes.
pub const OFFER_FROM: usize = 10;

/// How many nodes a batch releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Batch {
    Count(u32),
    /// A share of the nodes held at the start, rounded up.
    Percent(u8),
}

impl Batch {
    /// `5` or `10%`; `None` for anything else, zero, or over 100%.
    pub fn parse(text: &str) -> Option<Batch> {
        let text = text.trim();
        match text.strip_suffix('%') {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| (1..=100).contains(p))
                .map(Batch::Percent),
            None => text
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(Batch::Count),
        }
    }

    /// Nodes per batch when `total` nodes were held; never 0.
    pub fn size(self, total: u32) -> u32 {
        match self {
            Batch::Count(n) => n.max(1),
            Batch::Percent(p) => (u64::from(total) * u64::from(p))
                .div_ceil(100)
                .clamp(1, u64::from(u32::MAX)) as u32,
        }
    }
}

impl std::fmt::Display for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Batch::Count(n) => write!(f, "{n}"),
            Batch::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "PascalCase", deny_unknown_fields)]
pub enum StageState {
    Progressing,
    /// Pods on released nodes fail: nothing more is released until a person resumes or
    /// rolls back.
    Halted {
        reason: String,
        nodes: Vec<String>,
    },
    Complete,
    RolledBack,
}

impl StageState {
    pub fn describe(&self) -> String {
        match self {
            StageState::Progressing => "Progressing".into(),
            StageState::Halted { reason, nodes } => {
                format!("Halted: {reason} on {}", nodes.join(", "))
            }
            StageState::Complete => "Complete".into(),
            StageState::RolledBack => "RolledBack".into(),
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, StageState::Complete | StageState::RolledBack)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageRecord {
    pub version: u32,
    /// The hold label's key ([`hold_key`]).
    pub hold: String,
    /// Nodes are released in the order of this label's value (nodes without it last), then
    /// by name; by name alone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    pub batch: Batch,
    /// Nodes held at the start.
    pub total: u32,
    /// Batches released so far.
    #[serde(default)]
    pub released: u32,
    /// The targeting before the edit: what a rollback puts back.
    pub original: PlacementSpec,
    /// The edit as the person made it, without the hold requirement.
    pub wanted: PlacementSpec,
    pub state: StageState,
    pub started: Timestamp,
}

/// Why an annotation cannot be used. herd never overwrites such an annotation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageRecordError {
    #[error("annotation {ANNOTATION} is not JSON: {0}")]
    NotJson(String),
    #[error(
        "annotation {ANNOTATION} has schema version {0:?}; this herd knows version {VERSION} only"
    )]
    UnknownVersion(Option<u64>),
    #[error("annotation {ANNOTATION} (version {VERSION}): {0}")]
    Invalid(String),
}

impl StageRecord {
    pub fn decode(text: &str) -> Result<StageRecord, StageRecordError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StageRecordError::NotJson(e.to_string()))?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(VERSION)) {
            return Err(StageRecordError::UnknownVersion(version));
        }
        let record: StageRecord =
            serde_json::from_value(value).map_err(|e| StageRecordError::Invalid(e.to_string()))?;
        if !record.hold.starts_with(HOLD_PREFIX) {
            return Err(StageRecordError::Invalid(format!(
                "hold label {:?} is not under {HOLD_PREFIX}",
                record.hold
            )));
        }
        Ok(record)
    }

    /// The annotation's text (compact JSON).
    pub fn encode(&self) -> String {
        // Strings, numbers and enums always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `batch 3 of 10 released, 4 nodes held` style progress for the screens.
    pub fn batches(&self) -> u32 {
        self.total.div_ceil(self.batch.size(self.total))
    }
}

/// The hold label of DaemonSet `namespace/name`: `stage.herd.dev/<namespace>.<name>`, or,
/// when that is longer than a label name may be (63), its first 54 characters and a hash of
/// the rest, so two DaemonSets never share one.
pub fn hold_key(namespace: &str, name: &str) -> String {
    let full = format!("{namespace}.{name}");
    if full.len() <= 63 {
        return format!("{HOLD_PREFIX}{full}");
    }
    // FNV-1a: stable across builds and platforms, unlike the std hasher.
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let head: String = full.chars().take(54).collect();
    let head = head.trim_end_matches(['.', '-', '_']);
    format!("{HOLD_PREFIX}{head}-{:08x}", hash as u32)
}

/// The requirement that keeps the DaemonSet off held nodes.
fn hold_requirement(hold: &str) -> NodeSelectorRequirement {
    NodeSelectorRequirement::new(hold, NodeSelectorOperator::DoesNotExist, &[])
}

/// `wanted` with the hold requirement in every required term (terms are ORed, so each needs
/// it), or in a term of its own when there are none.
pub fn held(wanted: &PlacementSpec, hold: &str) -> PlacementSpec {
    let mut spec = without_hold(wanted);
    let requirement = hold_requirement(hold);
    match &mut spec.required_terms {
        Some(terms) if !terms.is_empty() => {
            for term in terms {
                term.match_expressions.push(requirement.clone());
            }
        }
        Some(_) => {} // Matches no node already; nothing to hold.
        None => {
            spec.required_terms = Some(vec![NodeSelectorTerm {
                match_expressions: vec![requirement],
                match_fields: Vec::new(),
            }])
        }
    }
    spec
}

/// `spec` without any hold requirement herd put there; a term left empty by it goes too.
pub fn without_hold(spec: &PlacementSpec) -> PlacementSpec {
    let mut out = spec.clone();
    let is_hold = |r: &NodeSelectorRequirement| {
        r.key.starts_with(HOLD_PREFIX) && r.operator == NodeSelectorOperator::DoesNotExist
    };
    if let Some(terms) = &mut out.required_terms
        && terms
            .iter()
            .any(|t| t.match_expressions.iter().any(is_hold))
    {
        for term in terms.iter_mut() {
            term.match_expressions.retain(|r| !is_hold(r));
        }
        terms.retain(|t| !t.match_expressions.is_empty() || !t.match_fields.is_empty());
        if terms.is_empty() {
            out.required_terms = None;
        }
    }
    out
}
