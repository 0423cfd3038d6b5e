//! The manage pass: which nodes need a pod and which pods must go, node by node, including
//! duplicates, surge pairs and failed/succeeded pods. Upstream: `manage`, `podsShouldBeOnNode` and
//! `getUnscheduledPodsWithoutNode` in kubernetes/pkg/controller/daemon/daemon_controller.go;
//! docs/SEMANTICS.md#manage-pass and #failed-pod-backoff.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::SignedDuration;
use k8s_openapi::api::core::v1::Pod;

use super::backoff::{self, Backoff};
use super::podutil;
use super::rolling::Plan;
use super::view::{NodeDecision, View};

/// A terminal pod manage decided to delete, and the node it was found on (for the event).
#[derive(Debug, Clone)]
pub struct Terminal {
    pub pod: Arc<Pod>,
    pub node: String,
}

/// Manage's decision: the plan, the terminal pods in it (events), and when to look again
/// because a failed pod is still in backoff.
#[derive(Debug, Default)]
pub struct ManagePlan {
    pub plan: Plan,
    pub failed: Vec<Terminal>,
    pub succeeded: Vec<Terminal>,
    pub requeue_after: Option<SignedDuration>,
}

/// Identifies the backoff entries of one DaemonSet generation.
#[derive(Debug, Clone, Copy)]
pub struct BackoffScope<'a> {
    pub ds_uid: &'a str,
    pub observed_generation: i64,
}

/// Walks the node list (cases a–c of docs/SEMANTICS.md#manage-pass) and then the pods pinned to
/// nodes that no longer exist (case d).
pub fn plan(
    view: &View,
    surge: bool,
    backoff: &mut Backoff,
    scope: BackoffScope<'_>,
) -> ManagePlan {
    let mut out = ManagePlan::default();
    for d in &view.nodes {
        let pods = view.map.get(&d.name);
        match pods {
            None if d.should_run => out.plan.create.push(d.name.clone()),
            _ if d.should_continue => {
                on_node(
                    view,
                    d,
                    pods.map_or(&[][..], Vec::as_slice),
                    surge,
                    backoff,
                    scope,
                    &mut out,
                );
            }
            Some(pods) => out
                .plan
                .delete
                .extend(pods.iter().filter(|p| !podutil::is_deleting(p)).cloned()),
            None => {}
        }
    }
    out.plan.delete.extend(unscheduled_without_node(view));
    out
}

/// Case b of docs/SEMANTICS.md#manage-pass: terminal pods go (failed ones subject to backoff); the
/// running set is reduced to one pod, or to one old and one new pod when surging.
fn on_node(
    view: &View,
    d: &NodeDecision,
    pods: &[Arc<Pod>],
    surge: bool,
    backoff: &mut Backoff,
    scope: BackoffScope<'_>,
    out: &mut ManagePlan,
) {
    let mut running = Vec::new();
    for pod in pods.iter().filter(|p| !podutil::is_deleting(p)) {
        let terminal = || Terminal {
            pod: pod.clone(),
            node: d.name.clone(),
        };
        if podutil::is_failed(pod) {
            let key = backoff::key(scope.ds_uid, scope.observed_generation, &d.name);
            if let Some(delay) = backoff.in_backoff(&key, view.now) {
                out.requeue_after = Some(out.requeue_after.map_or(delay, |r| r.min(delay)));
                continue;
            }
            backoff.next(&key, view.now);
            out.failed.push(terminal());
            out.plan.delete.push(pod.clone());
        } else if podutil::is_succeeded(pod) {
            out.succeeded.push(terminal());
            out.plan.delete.push(pod.clone());
        } else {
            running.push(pod.clone());
        }
    }
    // `pods` is oldest-first already, and so is `running`.
    if !surge {
        out.plan.delete.extend(running.into_iter().skip(1));
        return;
    }
    if running.len() < 2 {
        if running.is_empty() && d.should_run {
            out.plan.create.push(d.name.clone());
        }
        return;
    }
    surge_pair(view, running, &mut out.plan.delete);
}

/// Keeps the oldest pod with the current hash and the oldest without; deletes the rest, and the
/// kept old one too when it is not Ready or the kept new one is Available.
fn surge_pair(view: &View, running: Vec<Arc<Pod>>, delete: &mut Vec<Arc<Pod>>) {
    let (mut newest, mut oldest_old): (Option<Arc<Pod>>, Option<Arc<Pod>>) = (None, None);
    for pod in running {
        let is_new = podutil::label(&pod, podutil::HASH_LABEL) == Some(view.version.hash.as_str());
        let slot = if is_new { &mut newest } else { &mut oldest_old };
        if slot.is_none() {
            *slot = Some(pod);
        } else {
            delete.push(pod);
        }
    }
    if let (Some(new), Some(old)) = (newest, oldest_old)
        && (!podutil::is_ready(&old) || view.available(&new))
    {
        delete.push(old);
    }
}

/// Case d of docs/SEMANTICS.md#manage-pass (upstream `getUnscheduledPodsWithoutNode`): owned pods
/// never bound whose target node is not in the node list.
fn unscheduled_without_node(view: &View) -> Vec<Arc<Pod>> {
    let known: HashSet<&str> = view.nodes.iter().map(|d| d.name.as_str()).collect();
    view.map
        .iter()
        .filter(|(node, _)| !known.contains(node.as_str()))
        .flat_map(|(_, pods)| pods.iter())
        .filter(|p| podutil::node_name(p).is_empty())
        .cloned()
        .collect()
}

#[cfg(test)]
#[path = "manage_tests.rs"]
mod tests;
