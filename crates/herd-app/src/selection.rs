//! What the cursor points at, in domain terms: the selected DaemonSet, node, or YAML target.

use std::sync::Arc;

use herd_core::model::fleet::PodId;

use crate::state::State;
use crate::view::{View, YamlTarget};

/// The selected DaemonSet of the current view, for events, history and YAML.
pub fn selected_daemon_set(state: &State) -> Option<Arc<str>> {
    let page = state.ui.page();
    match &page.view {
        View::DaemonSet { uid } | View::Events { uid } | View::History { uid } => {
            Some(Arc::clone(uid))
        }
        View::Fleet | View::Node { .. } | View::Hogs => match super::update::drill_target(state)? {
            View::DaemonSet { uid } => Some(uid),
            _ => None,
        },
        _ => None,
    }
}

/// `y`: the YAML of the selected object (a DaemonSet, or the node on a node view).
pub fn yaml_target(state: &State) -> Option<YamlTarget> {
    let page = state.ui.page();
    match &page.view {
        View::Nodes => {
            let i = page.selected()?;
            let node = state.fleet.nodes().nth(i)?;
            Some(YamlTarget::Node {
                name: Arc::clone(&node.name),
            })
        }
        View::Node { name } => Some(YamlTarget::Node {
            name: Arc::clone(name),
        }),
        // On a DaemonSet's node list and on the hogs list, the row is a pod: show the pod.
        View::DaemonSet { .. } | View::Hogs => {
            selected_pod(state).or_else(|| daemon_set_yaml(state))
        }
        _ => daemon_set_yaml(state),
    }
}

fn daemon_set_yaml(state: &State) -> Option<YamlTarget> {
    let uid = selected_daemon_set(state)?;
    let ds = state.fleet.daemon_set(&uid)?;
    Some(YamlTarget::DaemonSet {
        namespace: Arc::clone(&ds.namespace),
        name: Arc::clone(&ds.name),
    })
}

/// The pod of the selected row, on views whose rows are pods: a DaemonSet's nodes, the hogs,
/// and a node's DaemonSets.
pub fn selected_pod_id(state: &State) -> Option<PodId> {
    let page = state.ui.page();
    let i = page.selected()?;
    match &page.view {
        View::DaemonSet { uid } => state.derived.coverage_of(uid)?.rows.get(i)?.pod,
        View::Hogs => Some(state.derived.hogs.as_ref()?.pods.get(i)?.pod),
        View::Node { .. } => state.derived.node_view.as_ref()?.rows.get(i)?.1.pod,
        _ => None,
    }
}

/// What `e` shows: the events of the object in focus — the pod of the selected row where the
/// rows are pods, the node on the nodes list (or a node's page without a pod on the row), the
/// DaemonSet on the fleet (or a DaemonSet's page without a pod on the row).
pub fn events_view(state: &State) -> Option<View> {
    if let Some(YamlTarget::Pod { namespace, name }) = selected_pod(state) {
        return Some(View::ObjectEvents {
            target: YamlTarget::Pod { namespace, name },
        });
    }
    match &state.ui.page().view {
        View::Fleet | View::DaemonSet { .. } => {
            selected_daemon_set(state).map(|uid| View::Events { uid })
        }
        View::Nodes | View::Node { .. } => selected_node(state).map(|name| View::ObjectEvents {
            target: YamlTarget::Node { name },
        }),
        _ => None,
    }
}

/// What `d` describes: the pod of the selected row where the rows are pods, else the node or
/// DaemonSet in focus, as [`events_view`] picks.
pub fn describe_target(state: &State) -> Option<YamlTarget> {
    if let Some(pod) = selected_pod(state) {
        return Some(pod);
    }
    match &state.ui.page().view {
        View::Fleet | View::DaemonSet { .. } => daemon_set_yaml(state),
        View::Nodes | View::Node { .. } => {
            selected_node(state).map(|name| YamlTarget::Node { name })
        }
        _ => None,
    }
}

/// The pod of the selected row, as a YAML target.
fn selected_pod(state: &State) -> Option<YamlTarget> {
    let pod = state.fleet.pod(selected_pod_id(state)?)?;
    Some(YamlTarget::Pod {
        namespace: Arc::clone(&pod.namespace),
        name: Arc::clone(&pod.name),
    })
}

/// On a DaemonSet's node list, the node of the row under the cursor.
pub fn selected_coverage_node(state: &State) -> Option<Arc<str>> {
    let page = state.ui.page();
    let View::DaemonSet { uid } = &page.view else {
        return None;
    };
    let row = state.derived.coverage_of(uid)?.rows.get(page.selected()?)?;
    Some(Arc::clone(&row.node))
}

/// The node the current view is about or has selected.
pub fn selected_node(state: &State) -> Option<Arc<str>> {
    let page = state.ui.page();
    match &page.view {
        View::Node { name } => Some(Arc::clone(name)),
        View::Nodes => state
            .fleet
            .nodes()
            .nth(page.selected()?)
            .map(|n| Arc::clone(&n.name)),
        _ => None,
    }
}

/// The revision under the history screen's cursor: a `REVISION N …` line names N, and a
/// diff `== revision M → N ==` and the lines under it lead to N. The lines are those
/// `herd_cluster::fetch::history` writes. `None` above the first revision, or off the
/// history screen.
pub fn history_revision(state: &State) -> Option<(Arc<str>, i64)> {
    let page = state.ui.page();
    let View::History { uid } = &page.view else {
        return None;
    };
    let crate::view::Fetched::Lines(lines) = &page.fetched else {
        return None;
    };
    let at = *page.rows.get(page.cursor)? as usize;
    let revision = lines.get(..=at)?.iter().rev().find_map(|line| {
        if let Some(rest) = line.strip_prefix("REVISION ") {
            return rest.split_whitespace().next()?.parse().ok();
        }
        let pair = line.strip_prefix("== revision ")?.strip_suffix(" ==")?;
        pair.split(" → ").nth(1)?.trim().parse().ok()
    })?;
    Some((Arc::clone(uid), revision))
}
