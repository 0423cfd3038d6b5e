//! What a DaemonSet's targeting edit does before it is made: which nodes gain a pod and which
//! lose one (with the reason), what the new pods ask of the nodes they land on and where they
//! will not fit, and the warnings a person should read first. Computed with the placement
//! predicate the coverage analysis uses, so the preview and the screens after it agree.

use std::fmt;
use std::sync::Arc;

use super::delta::{NodeChange, Outcome, Sides, has_live_pod, outcome};
use super::spelling::{format_affinity, format_toleration};
use crate::analysis::coverage::{ShortResource, Shortfall, used_on};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::Fleet;
use crate::model::node::Node;
use crate::model::others::PodScope;
use crate::model::placement::{PlacementSpec, PreparedPlacement, Taint, TaintEffect, Toleration};
use crate::model::resources::Totals;

/// A node where a new pod will not fit, with what it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFit {
    pub node: Arc<str>,
    pub shortfalls: Vec<Shortfall>,
}

/// What a person should read before applying; `herd target` refuses an edit with any of them
/// unless forced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// No node would be selected: the DaemonSet reads 0/0 and looks healthy.
    TargetsNoNode,
    /// Every node that runs the daemon now loses it.
    RemovesEverywhere { nodes: usize },
    /// A toleration removed while a NoExecute taint it tolerated is on nodes running the pod:
    /// those pods are deleted.
    Evicts {
        toleration: String,
        taint: Taint,
        nodes: usize,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::TargetsNoNode => f.write_str(
                "the edit makes the DaemonSet target no node: it will read 0/0 and look healthy",
            ),
            Warning::RemovesEverywhere { nodes } => write!(
                f,
                "the edit removes the daemon from every node that runs it ({nodes})"
            ),
            Warning::Evicts {
                toleration,
                taint,
                nodes,
            } => write!(
                f,
                "removing toleration {toleration} evicts the running pods on {nodes} node(s) tainted {taint}"
            ),
        }
    }
}

/// How the pods already running take the new template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rolls {
    /// The template does not change: nothing to do.
    Unchanged,
    /// RollingUpdate replaces every running pod, `max_unavailable` at a time.
    Replaces {
        pods: usize,
        max_unavailable: String,
    },
    /// OnDelete (or a managed rollout): running pods keep the old template until deleted;
    /// only nodes that gain the daemon get the new one at once.
    Kept { pods: usize },
}

impl fmt::Display for Rolls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rolls::Unchanged => f.write_str("no change to the pod template: nothing to do"),
            Rolls::Replaces {
                pods,
                max_unavailable,
            } => write!(
                f,
                "the pod template changes: RollingUpdate replaces all {pods} running pod(s), {max_unavailable} node(s) at a time"
            ),
            Rolls::Kept { pods } => write!(
                f,
                "the pod template changes: under OnDelete the {pods} running pod(s) keep the old template until deleted"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The edit, field by field (`nodeSelector + pool=gpu`, `tolerations − gpu:NoSchedule`).
    pub changes: Vec<String>,
    pub gains: Vec<NodeChange>,
    pub losses: Vec<NodeChange>,
    /// Nodes that run the daemon before and after.
    pub keeps: usize,
    /// Every node that runs the daemon once the edit has settled, in name order.
    pub after: Vec<Arc<str>>,
    /// What one pod requests (the sum over its containers).
    pub per_pod: Totals,
    pub no_fit: Vec<NoFit>,
    /// Gained nodes whose other pods have not been read (only daemon pods are watched), so
    /// whether a new pod fits there is not known yet.
    pub fit_unchecked: Vec<Arc<str>>,
    pub warnings: Vec<Warning>,
    pub rolls: Rolls,
}

impl Preview {
    /// `+6 nodes gain a pod, −0 lose one, 40 keep it`.
    pub fn headline(&self) -> String {
        format!(
            "+{} node(s) gain a pod, −{} lose one, {} keep it",
            self.gains.len(),
            self.losses.len(),
            self.keeps
        )
    }

    /// Nothing would change on the cluster.
    pub fn is_noop(&self) -> bool {
        self.rolls == Rolls::Unchanged
    }
}

/// The preview of giving `ds` the targeting `wanted` (its nodeSelector, required node
/// affinity and tolerations; nodeName and hostNetwork are kept from the DaemonSet).
pub fn preview(fleet: &Fleet, ds: &DaemonSet, wanted: &PlacementSpec) -> Preview {
    let current = ds.targeting.spec();
    let old = ds.targeting.prepared();
    let new = PreparedPlacement::new(wanted);
    let template_changes = current != wanted;
    // A managed rollout keeps the DaemonSet on OnDelete: its engine, not the native
    // controller, replaces pods, under its own policy.
    let native = ds.update_strategy.kind == StrategyKind::RollingUpdate;
    let replaced = template_changes && native;
    let mut gains = Vec::new();
    let mut losses = Vec::new();
    let mut after = Vec::new();
    let mut keeps = 0;
    let mut selected = 0;
    let mut running = 0;
    let mut nodes: Vec<&Node> = fleet.nodes().collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    for node in &nodes {
        let facts = node.facts();
        let has_pod = has_live_pod(fleet, &ds.uid, &node.name);
        running += usize::from(has_pod);
        selected += usize::from(new.should_run(&facts));
        let sides = Sides {
            before: (old, facts),
            after: (&new, facts),
            has_pod,
            replaced,
        };
        let name = Arc::clone(&node.name);
        match outcome(&sides) {
            Outcome::Keeps => {
                keeps += 1;
                after.push(name);
            }
            Outcome::Without => {}
            Outcome::Gains(reason) => {
                after.push(Arc::clone(&name));
                gains.push(NodeChange { node: name, reason });
            }
            Outcome::Loses(reason) => losses.push(NodeChange { node: name, reason }),
        }
    }
    let per_pod = requests(ds);
    let daemon_only = fleet.pod_scope() == PodScope::Daemon;
    let (checked, unchecked): (Vec<&NodeChange>, Vec<&NodeChange>) = gains
        .iter()
        .partition(|g| !daemon_only || fleet.others_on(&g.node).is_some());
    let no_fit = checked
        .iter()
        .filter_map(|g| fleet.node(&g.node))
        .filter_map(|n| no_fit(fleet, n, per_pod))
        .collect();
    let fit_unchecked = unchecked.iter().map(|g| Arc::clone(&g.node)).collect();
    let mut warnings = Vec::new();
    if selected == 0 && !nodes.is_empty() {
        warnings.push(Warning::TargetsNoNode);
    }
    let before = keeps + losses.len();
    if before > 0 && keeps == 0 && gains.is_empty() {
        warnings.push(Warning::RemovesEverywhere { nodes: before });
    }
    warnings.extend(evictions(fleet, current, wanted, &losses));
    let rolls = if !template_changes {
        Rolls::Unchanged
    } else if native {
        Rolls::Replaces {
            pods: running,
            max_unavailable: ds
                .update_strategy
                .max_unavailable
                .map_or("1".to_string(), |m| m.to_string()),
        }
    } else {
        Rolls::Kept { pods: running }
    };
    Preview {
        changes: changes(current, wanted),
        gains,
        losses,
        keeps,
        after,
        per_pod,
        no_fit,
        fit_unchecked,
        warnings,
        rolls,
    }
}

fn requests(ds: &DaemonSet) -> Totals {
    let mut total = Totals::default();
    for c in &ds.containers {
        total.add_resources(&c.requests);
    }
    total
}

/// Where a new pod asking `per_pod` does not fit on `node`: its allocatable less what the pods
/// bound there request (as the scheduler's NodeResourcesFit counts). `None` when it fits or the
/// node reports no allocatable.
fn no_fit(fleet: &Fleet, node: &Node, per_pod: Totals) -> Option<NoFit> {
    let alloc = node.allocatable;
    if alloc.cpu_millis == 0 && alloc.memory_bytes == 0 {
        return None;
    }
    let (used, pods) = used_on(fleet, &node.name, None);
    let checks = [
        (
            ShortResource::Cpu,
            per_pod.cpu_millis,
            alloc.cpu_millis - used.cpu_millis,
        ),
        (
            ShortResource::Memory,
            per_pod.memory_bytes,
            alloc.memory_bytes - used.memory_bytes,
        ),
        (ShortResource::Pods, 1, alloc.pods - pods),
    ];
    let shortfalls: Vec<Shortfall> = checks
        .into_iter()
        .filter(|(_, wanted, free)| wanted > free)
        .map(|(resource, wanted, free)| Shortfall {
            resource,
            requested: Some(wanted),
            free: Some(free),
        })
        .collect();
    (!shortfalls.is_empty()).then(|| NoFit {
        node: Arc::clone(&node.name),
        shortfalls,
    })
}

/// For each toleration removed: the lost nodes whose NoExecute taint it tolerated.
fn evictions(
    fleet: &Fleet,
    current: &PlacementSpec,
    wanted: &PlacementSpec,
    losses: &[NodeChange],
) -> Vec<Warning> {
    let removed: Vec<&Toleration> = current
        .tolerations
        .iter()
        .filter(|t| !wanted.tolerations.contains(t))
        .collect();
    let mut warnings: Vec<Warning> = Vec::new();
    for toleration in removed {
        let mut hits: Vec<Taint> = Vec::new();
        for loss in losses {
            let Some(node) = fleet.node(&loss.node) else {
                continue;
            };
            hits.extend(
                node.taints
                    .iter()
                    .filter(|t| t.effect == TaintEffect::NoExecute && toleration.tolerates(t))
                    .cloned(),
            );
        }
        if let Some(taint) = hits.first() {
            warnings.push(Warning::Evicts {
                toleration: format_toleration(toleration),
                taint: taint.clone(),
                nodes: hits.iter().filter(|t| *t == taint).count(),
            });
        }
    }
    warnings
}

/// The edit field by field, as a person reads it.
pub fn changes(current: &PlacementSpec, wanted: &PlacementSpec) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in &wanted.node_selector {
        match current.node_selector.get(k) {
            None => out.push(format!("nodeSelector + {k}={v}")),
            Some(old) if old != v => out.push(format!("nodeSelector {k}={old} → {k}={v}")),
            Some(_) => {}
        }
    }
    for (k, v) in &current.node_selector {
        if !wanted.node_selector.contains_key(k) {
            out.push(format!("nodeSelector − {k}={v}"));
        }
    }
    if current.required_terms != wanted.required_terms {
        let show = |terms: &Option<Vec<_>>| match format_affinity(terms.as_deref()) {
            text if text.is_empty() => "(none)".to_string(),
            text => text,
        };
        out.push(format!(
            "required node affinity {} → {}",
            show(&current.required_terms),
            show(&wanted.required_terms)
        ));
    }
    for t in &wanted.tolerations {
        if !current.tolerations.contains(t) {
            out.push(format!("tolerations + {}", format_toleration(t)));
        }
    }
    for t in &current.tolerations {
        if !wanted.tolerations.contains(t) {
            out.push(format!("tolerations − {}", format_toleration(t)));
        }
    }
    out
}
