//! Edits on nodes that move daemons: label, unlabel, taint, untaint, cordon and uncordon one
//! node or a marked set, and which DaemonSets gain or lose a pod there. The pod template does
//! not change, so a pod kept by "continue running" stays.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::delta::{NodeChange, Outcome, Sides, has_live_pod, outcome};
use super::spelling::SpellingError;
use super::validate::{Invalid, validate_label, validate_taint};
use crate::model::fleet::Fleet;
use crate::model::node::Node;
use crate::model::placement::{NodeFacts, Taint, TaintEffect};

/// The taint the node lifecycle controller puts on a cordoned node.
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// One change to a node, as `kubectl label|taint|cordon` makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEdit {
    Label {
        key: String,
        value: String,
    },
    Unlabel {
        key: String,
    },
    Taint(Taint),
    /// Every taint with the key, or with the key and effect.
    Untaint {
        key: String,
        effect: Option<TaintEffect>,
    },
    Cordon(bool),
}

impl NodeEdit {
    /// Reads an edit as a person types it, in kubectl's words: `label KEY=VALUE`,
    /// `label KEY-` (or `unlabel KEY`), `taint KEY[=VALUE]:EFFECT`, `taint KEY[:EFFECT]-`
    /// (or `untaint KEY[:EFFECT]`), `cordon`, `uncordon`. Whether the key and value are
    /// valid is [`NodeEdit::validate`]'s job.
    pub fn parse(text: &str) -> Result<NodeEdit, SpellingError> {
        const FIELD: &str = "node edit";
        const SHAPES: &str = "expected label KEY=VALUE, label KEY-, taint KEY[=VALUE]:EFFECT, \
                              taint KEY[:EFFECT]-, cordon or uncordon";
        let wrong = |why: &str| SpellingError {
            field: FIELD.to_string(),
            text: text.trim().to_string(),
            why: why.to_string(),
        };
        let mut words = text.split_whitespace();
        let (verb, arg) = (words.next(), words.next());
        if words.next().is_some() {
            return Err(wrong("one edit at a time: a verb and one argument"));
        }
        match (verb, arg) {
            (Some("cordon"), None) => Ok(NodeEdit::Cordon(true)),
            (Some("uncordon"), None) => Ok(NodeEdit::Cordon(false)),
            (Some("label"), Some(arg)) => match arg.strip_suffix('-') {
                Some(key) if !arg.contains('=') => Ok(NodeEdit::Unlabel {
                    key: key.to_string(),
                }),
                _ => match arg.split_once('=') {
                    Some((key, value)) => Ok(NodeEdit::Label {
                        key: key.to_string(),
                        value: value.to_string(),
                    }),
                    None => Err(wrong(
                        "expected label KEY=VALUE, or label KEY- to remove it",
                    )),
                },
            },
            (Some("unlabel"), Some(key)) => Ok(NodeEdit::Unlabel {
                key: key.to_string(),
            }),
            (Some("taint"), Some(arg)) => match arg.strip_suffix('-') {
                Some(target) => untaint(target).map_err(|why| wrong(&why)),
                None => taint(arg).map_err(|why| wrong(&why)),
            },
            (Some("untaint"), Some(target)) => untaint(target).map_err(|why| wrong(&why)),
            (Some("label" | "unlabel" | "taint" | "untaint"), None) => {
                Err(wrong("the verb needs its argument"))
            }
            (Some("cordon" | "uncordon"), Some(_)) => {
                Err(wrong("cordon and uncordon take no argument"))
            }
            _ => Err(wrong(SHAPES)),
        }
    }

    /// The rules the edit breaks; empty when the API server would take it.
    pub fn validate(&self) -> Vec<Invalid> {
        match self {
            NodeEdit::Label { key, value } => validate_label(key, value),
            NodeEdit::Unlabel { key } => validate_label(key, ""),
            NodeEdit::Taint(taint) => validate_taint(taint),
            NodeEdit::Untaint { key, .. } => {
                validate_taint(&Taint::new(key.clone(), "", TaintEffect::NoSchedule))
            }
            NodeEdit::Cordon(_) => Vec::new(),
        }
    }

    /// The node's labels and taints after the edit.
    pub fn apply(&self, node: &Node) -> (BTreeMap<String, String>, Vec<Taint>) {
        let mut labels = node.labels.clone();
        let mut taints = node.taints.clone();
        match self {
            NodeEdit::Label { key, value } => {
                labels.insert(key.clone(), value.clone());
            }
            NodeEdit::Unlabel { key } => {
                labels.remove(key);
            }
            NodeEdit::Taint(taint) => {
                // `kubectl taint` replaces a taint with the same key and effect.
                taints.retain(|t| !(t.key == taint.key && t.effect == taint.effect));
                taints.push(taint.clone());
            }
            NodeEdit::Untaint { key, effect } => {
                taints.retain(|t| !(t.key == *key && effect.is_none_or(|e| e == t.effect)));
            }
            NodeEdit::Cordon(cordon) => {
                taints.retain(|t| t.key != UNSCHEDULABLE_TAINT);
                if *cordon {
                    taints.push(Taint::new(UNSCHEDULABLE_TAINT, "", TaintEffect::NoSchedule));
                }
            }
        }
        (labels, taints)
    }

    /// Whether the edit changes `node` at all (`kubectl` says "not labeled" and the like).
    pub fn changes(&self, node: &Node) -> bool {
        match self {
            NodeEdit::Cordon(cordon) => node.unschedulable != *cordon,
            _ => {
                let (labels, taints) = self.apply(node);
                labels != node.labels || taints != node.taints
            }
        }
    }

    /// The kubectl command that makes the same edit on `nodes`.
    pub fn kubectl(&self, nodes: &[Arc<str>]) -> String {
        let names = nodes
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        match self {
            NodeEdit::Label { key, value } => {
                format!("kubectl label node {names} {key}={value} --overwrite")
            }
            NodeEdit::Unlabel { key } => format!("kubectl label node {names} {key}-"),
            NodeEdit::Taint(taint) => format!("kubectl taint node {names} {taint} --overwrite"),
            NodeEdit::Untaint {
                key,
                effect: Some(e),
            } => format!("kubectl taint node {names} {key}:{e}-"),
            NodeEdit::Untaint { key, effect: None } => {
                format!("kubectl taint node {names} {key}-")
            }
            NodeEdit::Cordon(true) => format!("kubectl cordon {names}"),
            NodeEdit::Cordon(false) => format!("kubectl uncordon {names}"),
        }
    }
}

impl fmt::Display for NodeEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeEdit::Label { key, value } => write!(f, "label {key}={value}"),
            NodeEdit::Unlabel { key } => write!(f, "remove label {key}"),
            NodeEdit::Taint(taint) => write!(f, "taint {taint}"),
            NodeEdit::Untaint {
                key,
                effect: Some(e),
            } => write!(f, "remove taint {key}:{e}"),
            NodeEdit::Untaint { key, effect: None } => write!(f, "remove taints {key}"),
            NodeEdit::Cordon(true) => f.write_str("cordon"),
            NodeEdit::Cordon(false) => f.write_str("uncordon"),
        }
    }
}

fn effect(text: &str) -> Result<TaintEffect, String> {
    text.parse()
        .map_err(|_| format!("unknown effect {text:?} (NoSchedule, PreferNoSchedule or NoExecute)"))
}

/// `KEY[=VALUE]:EFFECT`, as `kubectl taint` reads it: the effect is required.
fn taint(text: &str) -> Result<NodeEdit, String> {
    let Some((target, effect_text)) = text.rsplit_once(':') else {
        return Err("a taint needs its effect: KEY[=VALUE]:EFFECT".to_string());
    };
    let (key, value) = target.split_once('=').unwrap_or((target, ""));
    Ok(NodeEdit::Taint(Taint::new(
        key,
        value,
        effect(effect_text)?,
    )))
}

/// `KEY` or `KEY:EFFECT` (the `-` already taken off).
fn untaint(text: &str) -> Result<NodeEdit, String> {
    let (key, effect) = match text.rsplit_once(':') {
        Some((key, e)) => (key, Some(effect(e)?)),
        None => (text, None),
    };
    if key.contains('=') {
        return Err("a taint is removed by KEY or KEY:EFFECT, without its value".to_string());
    }
    Ok(NodeEdit::Untaint {
        key: key.to_string(),
        effect,
    })
}

/// One DaemonSet's gains and losses among the edited nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSetDelta {
    /// `namespace/name`.
    pub daemon_set: String,
    pub gains: Vec<NodeChange>,
    pub losses: Vec<NodeChange>,
}

/// What the edit does to every DaemonSet on `nodes` (unknown names are skipped): only the
/// DaemonSets that gain or lose a pod, in the fleet's order.
pub fn preview(fleet: &Fleet, nodes: &[Arc<str>], edit: &NodeEdit) -> Vec<DaemonSetDelta> {
    let edited: Vec<(&Node, BTreeMap<String, String>, Vec<Taint>)> = nodes
        .iter()
        .filter_map(|n| fleet.node(n))
        .map(|node| {
            let (labels, taints) = edit.apply(node);
            (node, labels, taints)
        })
        .collect();
    let mut out = Vec::new();
    for ds in fleet.daemon_sets().filter(|d| !d.deleting) {
        let placement = ds.targeting.prepared();
        let mut delta = DaemonSetDelta {
            daemon_set: ds.key(),
            gains: Vec::new(),
            losses: Vec::new(),
        };
        for (node, labels, taints) in &edited {
            let after = NodeFacts {
                name: &node.name,
                labels,
                taints,
            };
            let sides = Sides {
                before: (placement, node.facts()),
                after: (placement, after),
                has_pod: has_live_pod(fleet, &ds.uid, &node.name),
                replaced: false,
            };
            let name = Arc::clone(&node.name);
            match outcome(&sides) {
                Outcome::Gains(reason) => delta.gains.push(NodeChange { node: name, reason }),
                Outcome::Loses(reason) => delta.losses.push(NodeChange { node: name, reason }),
                Outcome::Keeps | Outcome::Without => {}
            }
        }
        if !delta.gains.is_empty() || !delta.losses.is_empty() {
            out.push(delta);
        }
    }
    out
}
