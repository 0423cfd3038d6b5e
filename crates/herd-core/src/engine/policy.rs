//! How a managed rollout proceeds: its unavailability budget, a canary first, a partition kept
//! on the old revision, where it pauses, and what a failure does.

use serde::{Deserialize, Serialize};

use crate::model::daemonset::IntOrPercent;
use crate::model::selector::LabelSelector;

/// Nodes picked for a canary or a partition: a count, or a label selector on nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Selection {
    Count(u32),
    Selector(String),
}

impl Selection {
    /// A count (`3`) or a node label selector (`zone=a`), as a person types it.
    pub fn parse(text: &str) -> Option<Selection> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        Some(match text.parse::<u32>() {
            Ok(n) => Selection::Count(n),
            Err(_) => Selection::Selector(text.to_string()),
        })
    }
}

/// Where a rollout stops for a person to say "go on".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum PausePoint {
    /// Once every canary node runs the new revision, Available.
    Canary,
    /// After every batch.
    Batch,
    /// Once this share of the nodes to update runs the new revision.
    Percent(u8),
}

impl PausePoint {
    /// `canary`, `batch` or a percentage such as `50%`.
    pub fn parse(text: &str) -> Option<PausePoint> {
        match text.trim() {
            "canary" => Some(PausePoint::Canary),
            "batch" => Some(PausePoint::Batch),
            other => other
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .map(PausePoint::Percent),
        }
    }
}

impl std::fmt::Display for PausePoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PausePoint::Canary => write!(f, "canary"),
            PausePoint::Batch => write!(f, "batch"),
            PausePoint::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// Default progress deadline: a new pod not Available this long after its old pod went is a
/// failure.
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: i64 = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// `"10%"` or `"2"`, scaled against the nodes to update, rounded up as upstream does.
    pub max_unavailable: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Selection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Selection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pause_after: Vec<PausePoint>,
    pub progress_deadline_seconds: i64,
    pub halt_on_failure: bool,
    pub rollback_on_failure: bool,
    /// Leave the DaemonSet on OnDelete, under management, when the rollout completes.
    pub keep_managed: bool,
    /// Halt when nodes that took the new revision go NotReady at a higher rate than nodes
    /// that did not: a daemon that takes its node down (a CNI agent, a kernel module) shows
    /// there first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub halt_on_not_ready: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_unavailable: "1".to_string(),
            canary: None,
            partition: None,
            pause_after: Vec::new(),
            progress_deadline_seconds: DEFAULT_PROGRESS_DEADLINE_SECONDS,
            halt_on_failure: true,
            rollback_on_failure: false,
            keep_managed: false,
            halt_on_not_ready: false,
        }
    }
}

/// A policy that cannot be followed, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("maxUnavailable {0:?}: not a count or a percentage (such as 2 or 10%)")]
    MaxUnavailable(String),
    #[error("maxUnavailable {0:?}: must be at least 1 (or 1%): a managed rollout has no surge")]
    ZeroBudget(String),
    #[error("{field} selector {text:?}: {reason}")]
    Selector {
        field: &'static str,
        text: String,
        reason: String,
    },
    #[error("pauseAfter {0}%: a percentage from 1 to 100")]
    Percent(u8),
    #[error("progressDeadlineSeconds {0}: must be positive")]
    Deadline(i64),
}

/// A policy checked once, with its selectors parsed: what `plan` works from.
#[derive(Debug, Clone)]
pub struct Checked {
    pub max_unavailable: IntOrPercent,
    pub canary: Option<Picked>,
    pub partition: Option<Picked>,
    pub policy: Policy,
}

#[derive(Debug, Clone)]
pub enum Picked {
    Count(u32),
    Selector(LabelSelector),
}

impl Policy {
    pub fn check(&self) -> Result<Checked, PolicyError> {
        let budget = IntOrPercent::parse(&self.max_unavailable)
            .filter(|b| match b {
                IntOrPercent::Int(n) | IntOrPercent::Percent(n) => *n >= 0,
            })
            .ok_or_else(|| PolicyError::MaxUnavailable(self.max_unavailable.clone()))?;
        if matches!(budget, IntOrPercent::Int(0) | IntOrPercent::Percent(0)) {
            return Err(PolicyError::ZeroBudget(self.max_unavailable.clone()));
        }
        for point in &self.pause_after {
            if let PausePoint::Percent(p) = point
                && !(1..=100).contains(p)
            {
                return Err(PolicyError::Percent(*p));
            }
        }
        if self.progress_deadline_seconds <= 0 {
            return Err(PolicyError::Deadline(self.progress_deadline_seconds));
        }
        let pick = |field: &'static str, s: &Option<Selection>| -> Result<_, PolicyError> {
            Ok(match s {
                None => None,
                Some(Selection::Count(n)) => Some(Picked::Count(*n)),
                Some(Selection::Selector(text)) => Some(Picked::Selector(
                    LabelSelector::parse(text).map_err(|e| PolicyError::Selector {
                        field,
                        text: text.clone(),
                        reason: e.to_string(),
                    })?,
                )),
            })
        };
        Ok(Checked {
            max_unavailable: budget,
            canary: pick("canary", &self.canary)?,
            partition: pick("partition", &self.partition)?,
            policy: self.clone(),
        })
    }
}
