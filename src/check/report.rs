//! The result of `herd check` as stable serde types (the JSON shape, documented in
//! docs/CHECK.md) and as a text table: gaps grouped by (DaemonSet, verdict, reason) unless
//! `--wide` asks for every node, then stalled rollouts, DaemonSets that target no node, nodes
//! down, hogs.
//!
//! JSON shape (stable; fields are only ever added):
//! ```json
//! {
//!   "gaps": [{"kind": "missing|failing", "namespace": "security", "daemonset": "falco",
//!             "node": "gpu-01", "pool": "gpu", "status": "taint-blocked", "pod": null,
//!             "reason": "…"}],
//!   "groups": [{"kind": "missing", "namespace": "security", "daemonset": "falco",
//!               "status": "taint-blocked", "reason": "…", "nodes": 6, "pools": ["gpu"],
//!               "node_names": ["gpu-01", "…"]}],
//!   "node_down": [{"node": "general-07", "pool": "general", "reason": "node NotReady",
//!                  "since": "2026-…Z", "daemonsets": 6}],
//!   "stalled": [{"namespace": "kube-system", "daemonset": "kube-proxy", "updated": 1,
//!                "desired": 40, "diagnosis": "…", "nodes": ["general-07"]}],
//!   "untargeted": [{"namespace": "gpu", "daemonset": "dcgm", "reason": "…"}],
//!   "hogs": [{"namespace": "observability", "daemonset": "otel-agent", "pod": "otel-agent-x",
//!             "node": "general-01", "level": "warn|critical", "reason": "…"}],
//!   "not_ready_nodes": ["general-07"],
//!   "metrics": {"state": "available|unavailable|unknown", …},
//!   "failed_on": ["missing", "failing"]
//! }
//! ```
//! `status` is the verdict, in the words the TUI shows.

use std::fmt::Write as _;

use serde::Serialize;

use herd_core::analysis::thresholds::Level;
use herd_core::model::display_text::escape;
use herd_core::model::usage::MetricsState;

/// The conditions `--fail-on` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// A node that should run a DaemonSet lacks it: missing, taint-blocked, stuck pending.
    Missing,
    /// The release fails on a healthy node: crash loop, OOM kill, pull error, never Ready.
    Failing,
    /// A node that should run a DaemonSet is NotReady, Unknown or condition-tainted.
    NodeDown,
    /// A rollout that does not move, with what holds it.
    Stalled,
    /// A DaemonSet whose selectors match no node.
    Untargeted,
    Hog,
}

impl Condition {
    pub const ALL: [Condition; 6] = [
        Condition::Missing,
        Condition::Failing,
        Condition::NodeDown,
        Condition::Stalled,
        Condition::Untargeted,
        Condition::Hog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Missing => "missing",
            Condition::Failing => "failing",
            Condition::NodeDown => "node-down",
            Condition::Stalled => "stalled",
            Condition::Untargeted => "untargeted",
            Condition::Hog => "hog",
        }
    }

    pub fn parse(text: &str) -> Option<Condition> {
        let text = text.trim();
        Condition::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// One (DaemonSet, node) pair that lacks the daemon or fails there.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub kind: Condition,
    pub namespace: String,
    pub daemonset: String,
    pub node: String,
    pub pool: Option<String>,
    /// The verdict, in the TUI's words: `missing`, `taint-blocked`, `stuck-pending`,
    /// `release-failing`.
    pub status: String,
    pub pod: Option<String>,
    /// The full reason, ages included.
    pub reason: String,
    /// The reason without ages or counts: what the groups are keyed by.
    #[serde(skip)]
    pub headline: String,
}

/// The gaps one cause makes for one DaemonSet.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub kind: Condition,
    pub namespace: String,
    pub daemonset: String,
    pub status: String,
    pub reason: String,
    pub nodes: usize,
    pub pools: Vec<String>,
    pub node_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeDown {
    pub node: String,
    pub pool: Option<String>,
    pub reason: String,
    pub since: Option<String>,
    /// DaemonSets that should run there.
    pub daemonsets: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stalled {
    pub namespace: String,
    pub daemonset: String,
    pub updated: u32,
    pub desired: u32,
    pub diagnosis: String,
    /// The nodes the diagnosis blames.
    pub nodes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Untargeted {
    pub namespace: String,
    pub daemonset: String,
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
    pub groups: Vec<Group>,
    pub node_down: Vec<NodeDown>,
    pub stalled: Vec<Stalled>,
    pub untargeted: Vec<Untargeted>,
    pub hogs: Vec<Hog>,
    pub not_ready_nodes: Vec<String>,
    pub metrics: MetricsState,
    /// The selected conditions that hold (the exit code is 1 when this is not empty).
    pub failed_on: Vec<Condition>,
}

/// Node names a group lists in the table before "and N more".
const NAMED_NODES: usize = 3;

impl Report {
    /// Fills `failed_on` from the selected conditions.
    pub fn judge(&mut self, selected: &[Condition]) {
        self.failed_on = selected
            .iter()
            .copied()
            .filter(|c| self.holds(*c))
            .collect();
    }

    fn holds(&self, condition: Condition) -> bool {
        match condition {
            Condition::Missing | Condition::Failing => {
                self.gaps.iter().any(|g| g.kind == condition)
            }
            Condition::NodeDown => !self.node_down.is_empty(),
            Condition::Stalled => !self.stalled.is_empty(),
            Condition::Untargeted => !self.untargeted.is_empty(),
            Condition::Hog => !self.hogs.is_empty(),
        }
    }

    /// Groups the gaps by (DaemonSet, verdict, reason), in the gaps' order.
    pub fn group(&mut self) {
        let mut groups: Vec<Group> = Vec::new();
        for g in &self.gaps {
            let same = |x: &&mut Group| {
                x.namespace == g.namespace
                    && x.daemonset == g.daemonset
                    && x.status == g.status
                    && x.reason == g.headline
            };
            let group = match groups.iter_mut().find(same) {
                Some(group) => group,
                None => {
                    groups.push(Group {
                        kind: g.kind,
                        namespace: g.namespace.clone(),
                        daemonset: g.daemonset.clone(),
                        status: g.status.clone(),
                        reason: g.headline.clone(),
                        nodes: 0,
                        pools: Vec::new(),
                        node_names: Vec::new(),
                    });
                    let Some(last) = groups.last_mut() else {
                        continue;
                    };
                    last
                }
            };
            group.nodes += 1;
            group.node_names.push(g.node.clone());
            let pool = g.pool.clone().unwrap_or_else(|| "-".to_string());
            if !group.pools.contains(&pool) {
                group.pools.push(pool);
            }
        }
        for group in &mut groups {
            group.pools.sort();
        }
        self.groups = groups;
    }

    /// The report for a person; `wide` lists every node and every hog pod instead of one
    /// line per group.
    /// Text from the cluster is escaped, as the TUI escapes it.
    pub fn table(&self, wide: bool) -> String {
        let mut out = String::new();
        if self.gaps.is_empty() {
            out.push_str("No coverage gaps.\n");
        } else if wide {
            let _ = writeln!(
                out,
                "{:<8} {:<36} {:<20} {:<16} REASON",
                "GAP", "DAEMONSET", "NODE", "VERDICT"
            );
            for g in &self.gaps {
                let ds = esc(&format!("{}/{}", g.namespace, g.daemonset));
                let _ = writeln!(
                    out,
                    "{:<8} {ds:<36} {:<20} {:<16} {}",
                    g.kind.as_str(),
                    escape(&g.node),
                    g.status,
                    escape(&g.reason)
                );
            }
        } else {
            let _ = writeln!(
                out,
                "{:<8} {:<36} {:<16} {:>5}  {:<16} REASON",
                "GAP", "DAEMONSET", "VERDICT", "NODES", "POOLS"
            );
            for g in &self.groups {
                let ds = esc(&format!("{}/{}", g.namespace, g.daemonset));
                let pools = esc(&g.pools.join(","));
                let _ = writeln!(
                    out,
                    "{:<8} {ds:<36} {:<16} {:>5}  {pools:<16} {} ({})",
                    g.kind.as_str(),
                    g.status,
                    g.nodes,
                    escape(&g.reason),
                    named(&g.node_names)
                );
            }
        }
        if !self.stalled.is_empty() {
            out.push_str("\nStalled rollouts:\n");
            for s in &self.stalled {
                let ds = esc(&format!("{}/{}", s.namespace, s.daemonset));
                let _ = writeln!(
                    out,
                    "  {ds} {}/{} stalled: {}",
                    s.updated,
                    s.desired,
                    escape(&s.diagnosis)
                );
            }
        }
        if !self.untargeted.is_empty() {
            out.push_str("\nDaemonSets that target no node:\n");
            for u in &self.untargeted {
                let ds = esc(&format!("{}/{}", u.namespace, u.daemonset));
                let _ = writeln!(out, "  {ds} {}", escape(&u.reason));
            }
        }
        if !self.node_down.is_empty() {
            let _ = writeln!(
                out,
                "\nNodes down ({}), the node's fault rather than the DaemonSets':",
                self.node_down.len()
            );
            for n in &self.node_down {
                let _ = writeln!(
                    out,
                    "  {} {}; {} DaemonSets should run there",
                    escape(&n.node),
                    escape(&n.reason),
                    n.daemonsets
                );
            }
        }
        if !self.hogs.is_empty() && wide {
            let _ = writeln!(out, "\n{:<8} {:<40} {:<20} REASON", "LEVEL", "POD", "NODE");
            for h in &self.hogs {
                let pod = esc(&format!("{}/{}", h.namespace, h.pod));
                let node = escape(h.node.as_deref().unwrap_or("-"));
                let _ = writeln!(
                    out,
                    "{:<8} {pod:<40} {node:<20} {}",
                    level_word(h.level),
                    escape(&h.reason)
                );
            }
        } else if !self.hogs.is_empty() {
            // One line per (DaemonSet, level): the hogs come worst first, so the first of
            // each is the one to name.
            let _ = writeln!(
                out,
                "\n{:<8} {:<36} {:>5}  WORST",
                "LEVEL", "DAEMONSET", "PODS"
            );
            let mut groups: Vec<(&Hog, usize)> = Vec::new();
            for h in &self.hogs {
                let same = |(g, _): &&mut (&Hog, usize)| {
                    g.namespace == h.namespace && g.daemonset == h.daemonset && g.level == h.level
                };
                match groups.iter_mut().find(same) {
                    Some((_, n)) => *n += 1,
                    None => groups.push((h, 1)),
                }
            }
            for (h, n) in groups {
                let ds = esc(&format!("{}/{}", h.namespace, h.daemonset));
                let node = escape(h.node.as_deref().unwrap_or("-"));
                let _ = writeln!(
                    out,
                    "{:<8} {ds:<36} {n:>5}  {} ({} on {node})",
                    level_word(h.level),
                    escape(&h.reason),
                    escape(&h.pod)
                );
            }
        }
        if let MetricsState::Unavailable { reason, .. } = &self.metrics {
            let _ = writeln!(
                out,
                "\nMetrics unavailable ({}): hogs not checked.",
                escape(reason)
            );
        }
        out
    }
}

fn level_word(level: Level) -> &'static str {
    if level == Level::Critical {
        "critical"
    } else {
        "warn"
    }
}

/// Cluster text escaped into an owned string, as the TUI shows it.
fn esc(text: &str) -> String {
    escape(text).into_owned()
}

/// `gpu-01, gpu-02, gpu-03 and 3 more`.
fn named(nodes: &[String]) -> String {
    let mut text = nodes
        .iter()
        .take(NAMED_NODES)
        .map(|n| escape(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    if nodes.len() > NAMED_NODES {
        let _ = write!(text, " and {} more", nodes.len() - NAMED_NODES);
    }
    text
}
