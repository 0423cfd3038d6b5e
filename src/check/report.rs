//! The result of `herd check` as stable serde types (the JSON shape) and as a text table.
//!
//! JSON shape (stable; fields are only ever added):
//! ```json
//! {
//!   "gaps": [{"kind": "missing|failing", "namespace": "falco", "daemonset": "falco",
//!             "node": "gpu-01", "status": "excluded", "pod": null, "reason": "…"}],
//!   "hogs": [{"namespace": "observability", "daemonset": "otel-agent", "pod": "otel-agent-x",
//!             "node": "general-01", "level": "warn|critical", "reason": "…"}],
//!   "not_ready_nodes": ["general-07"],
//!   "metrics": {"state": "available|unavailable|unknown", …},
//!   "failed_on": ["missing", "failing"]
//! }
//! ```
//! A `missing` gap is a node that should run the DaemonSet and has no pod, or a node the
//! DaemonSet's selectors target but an untolerated taint keeps it off.

use std::fmt::Write as _;

use serde::Serialize;

use herd_core::analysis::thresholds::Level;
use herd_core::model::usage::MetricsState;

/// The conditions `--fail-on` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Missing,
    Failing,
    Hog,
}

impl Condition {
    pub fn parse(text: &str) -> Option<Condition> {
        match text.trim() {
            "missing" => Some(Condition::Missing),
            "failing" => Some(Condition::Failing),
            "hog" => Some(Condition::Hog),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub kind: Condition,
    pub namespace: String,
    pub daemonset: String,
    pub node: String,
    /// herd's coverage status of the pair (`missing`, `excluded`, `failing`, …).
    pub status: String,
    pub pod: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hog {
    pub namespace: String,
    pub daemonset: String,
    pub pod: String,
    pub node: Option<String>,
    pub level: Level,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub gaps: Vec<Gap>,
    pub hogs: Vec<Hog>,
    pub not_ready_nodes: Vec<String>,
    pub metrics: MetricsState,
    /// The selected conditions that hold (the exit code is 1 when this is not empty).
    pub failed_on: Vec<Condition>,
}

impl Report {
    /// Fills `failed_on` from the selected conditions.
    pub fn judge(&mut self, selected: &[Condition]) {
        self.failed_on = selected
            .iter()
            .copied()
            .filter(|c| match c {
                Condition::Hog => !self.hogs.is_empty(),
                kind => self.gaps.iter().any(|g| g.kind == *kind),
            })
            .collect();
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        if self.gaps.is_empty() {
            out.push_str("No coverage gaps.\n");
        } else {
            let _ = writeln!(
                out,
                "{:<8} {:<40} {:<20} REASON",
                "GAP", "DAEMONSET", "NODE"
            );
            for g in &self.gaps {
                let kind = if g.kind == Condition::Missing {
                    "missing"
                } else {
                    "failing"
                };
                let ds = format!("{}/{}", g.namespace, g.daemonset);
                let _ = writeln!(out, "{kind:<8} {ds:<40} {:<20} {}", g.node, g.reason);
            }
        }
        if !self.hogs.is_empty() {
            let _ = writeln!(out, "\n{:<8} {:<40} {:<20} REASON", "LEVEL", "POD", "NODE");
            for h in &self.hogs {
                let level = if h.level == Level::Critical {
                    "critical"
                } else {
                    "warn"
                };
                let pod = format!("{}/{}", h.namespace, h.pod);
                let node = h.node.as_deref().unwrap_or("-");
                let _ = writeln!(out, "{level:<8} {pod:<40} {node:<20} {}", h.reason);
            }
        }
        if !self.not_ready_nodes.is_empty() {
            let _ = writeln!(
                out,
                "\nNot Ready nodes: {}",
                self.not_ready_nodes.join(", ")
            );
        }
        if let MetricsState::Unavailable { reason, .. } = &self.metrics {
            let _ = writeln!(out, "\nMetrics unavailable ({reason}): hogs not checked.");
        }
        out
    }
}
