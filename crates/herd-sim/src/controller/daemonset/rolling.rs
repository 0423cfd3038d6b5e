//! The RollingUpdate step: budget scaling and the two replacement algorithms, as pure functions of
//! a sync's `View`. Upstream: `rollingUpdate` and `updatedDesiredNodeCounts` in
//! kubernetes/pkg/controller/daemon/update.go; docs/SEMANTICS.md#update-budget,
//! #rollingupdate-without-surge and #rollingupdate-with-surge.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSetUpdateStrategy;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::podutil;
use super::view::View;

/// What a step wants done: pods to delete and nodes to create a pod on.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    pub delete: Vec<Arc<Pod>>,
    pub create: Vec<String>,
}

/// maxSurge and maxUnavailable scaled against the desired node count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_surge: i32,
    pub max_unavailable: i32,
}

/// An int as-is; `"<n>%"` as `ceil(n * total / 100)`; `None` for anything else.
pub fn scaled(value: &IntOrString, total: i32) -> Option<i32> {
    match value {
        IntOrString::Int(i) => Some(*i),
        IntOrString::String(s) => {
            let percent: i64 = s.strip_suffix('%')?.parse().ok()?;
            let v = (percent * i64::from(total) + 99).div_euclid(100);
            i32::try_from(v).ok()
        }
    }
}

fn rolling_field(
    strategy: Option<&DaemonSetUpdateStrategy>,
    pick: impl Fn(&k8s_openapi::api::apps::v1::RollingUpdateDaemonSet) -> Option<&IntOrString>,
    total: i32,
) -> i32 {
    let Some(strategy) = strategy.filter(|s| s.type_.as_deref() == Some("RollingUpdate")) else {
        return 0;
    };
    strategy
        .rolling_update
        .as_ref()
        .and_then(&pick)
        .and_then(|v| scaled(v, total))
        .unwrap_or(0)
}

/// Upstream `updatedDesiredNodeCounts` (docs/SEMANTICS.md#update-budget): both values scaled
/// against `desired`; if both come out 0 on a non-empty fleet, maxUnavailable is forced to 1.
pub fn budget(strategy: Option<&DaemonSetUpdateStrategy>, desired: i32) -> Budget {
    let max_surge = rolling_field(strategy, |r| r.max_surge.as_ref(), desired);
    let mut max_unavailable = rolling_field(strategy, |r| r.max_unavailable.as_ref(), desired);
    if desired > 0 && max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    Budget {
        max_surge,
        max_unavailable,
    }
}

/// Upstream `AllowsSurge` (kubernetes/pkg/controller/daemon/util/daemonset_util.go): surge is on
/// when maxSurge scaled against one node is positive.
pub fn allows_surge(strategy: Option<&DaemonSetUpdateStrategy>) -> bool {
    rolling_field(strategy, |r| r.max_surge.as_ref(), 1) > 0
}

/// A node's updated pod and old pod, each if present.
type NewAndOld<'a> = (Option<&'a Arc<Pod>>, Option<&'a Arc<Pod>>);

/// A node's live pods split into the updated one and the old one; `None` when either side has
/// more than one ("excess", left to manage).
fn split<'a>(view: &View, pods: &'a [Arc<Pod>]) -> Option<NewAndOld<'a>> {
    let (mut new, mut old) = (None, None);
    for pod in pods.iter().filter(|p| !podutil::is_deleting(p)) {
        let slot = if view.version.is_updated(pod) {
            &mut new
        } else {
            &mut old
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(pod);
    }
    Some((new, old))
}

/// The node map extended with an empty entry for every shouldRun node without pods (upstream
/// `updatedDesiredNodeCounts`), in node-name order.
fn entries(view: &View) -> Vec<(&str, &[Arc<Pod>])> {
    let mut out: Vec<(&str, &[Arc<Pod>])> = view
        .map
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_slice()))
        .collect();
    for d in view.nodes.iter().filter(|d| d.should_run) {
        if !view.map.contains_key(&d.name) {
            out.push((d.name.as_str(), &[]));
        }
    }
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

/// Upstream `rollingUpdate` with maxSurge = 0, v1.31+
/// (docs/SEMANTICS.md#rollingupdate-without-surge): unavailable old pods are always replaced and
/// count against the budget; available old pods are deleted while budget remains.
pub fn without_surge(view: &View, max_unavailable: i32) -> Plan {
    let mut unavailable = 0;
    let mut replace = Vec::new();
    let mut candidates = Vec::new();
    for (_, pods) in entries(view) {
        match split(view, pods) {
            None | Some((None, None)) | Some((Some(_), Some(_))) => unavailable += 1,
            Some((Some(new), None)) => {
                if !view.available(new) {
                    unavailable += 1;
                }
            }
            Some((None, Some(old))) => {
                if !view.available(old) {
                    replace.push(old.clone());
                    unavailable += 1;
                } else if unavailable < max_unavailable {
                    candidates.push(old.clone());
                }
            }
        }
    }
    let room = usize::try_from(max_unavailable - unavailable).unwrap_or(0);
    replace.extend(candidates.into_iter().take(room));
    Plan {
        delete: replace,
        create: Vec::new(),
    }
}

/// Upstream `rollingUpdate` with maxSurge > 0 (docs/SEMANTICS.md#rollingupdate-with-surge): a new
/// pod is created beside an old one, within maxSurge (always for an unavailable old pod), and the
/// old pod goes once the new one is Available. Old pods on nodes that no longer fit go only while
/// more pods are available than desired. `None` when a mapped node is missing from the node list
/// (upstream fails the step then).
pub fn with_surge(view: &View, max_surge: i32) -> Option<Plan> {
    let decisions = view.decisions();
    let (mut surging, mut available) = (0, 0);
    let (mut create, mut candidates, mut delete, mut not_fitting) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (node, pods) in entries(view) {
        let Some((new, old)) = split(view, pods) else {
            surging += 1;
            continue;
        };
        let counted = old.or(new);
        if counted.is_some_and(|p| view.available(p)) {
            available += 1;
        }
        match (new, old) {
            (_, None) => {}
            (None, Some(old)) => {
                let old_available = view.available(old);
                if old_available && surging >= max_surge {
                    continue;
                }
                let should_run = decisions.get(node)?.should_run;
                match (old_available, should_run) {
                    (false, false) => delete.push(old.clone()),
                    (false, true) => create.push(node.to_string()),
                    (true, false) => not_fitting.push(old.clone()),
                    (true, true) => candidates.push(node.to_string()),
                }
            }
            (Some(new), Some(old)) => {
                if view.available(new) {
                    delete.push(old.clone());
                } else {
                    surging += 1;
                }
            }
        }
    }
    let surplus = usize::try_from(available - view.desired()).unwrap_or(0);
    delete.extend(not_fitting.into_iter().take(surplus));
    let room = usize::try_from(max_surge - surging).unwrap_or(0);
    create.extend(candidates.into_iter().take(room));
    Some(Plan { delete, create })
}

#[cfg(test)]
#[path = "rolling_tests.rs"]
mod tests;
