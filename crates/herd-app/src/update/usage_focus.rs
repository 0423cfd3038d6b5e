//! What usage the screen in view shows, so the metrics poll can read it at the asked interval
//! while fleet-wide polls of a large fleet are spaced out: a DaemonSet page shows its pods'
//! usage, a node page the node's and its daemon pods', the Nodes screen every node's. The
//! fleet screens (DaemonSets, Hogs) rank the whole fleet and read it with the fleet poll.

use herd_core::model::usage::{NodeFocus, UsageFocus};

use crate::effect::Effect;
use crate::state::State;
use crate::view::View;

/// A node page polls its daemon pods one by one; a node runs a handful, and this bounds it.
const NODE_PODS: usize = 32;

/// The usage the current screen shows. A fetched view opened over a page (its events, logs,
/// YAML…) keeps the page's focus: the page is what the user goes back to, and its usage is
/// fresh when they do.
pub fn in_view(state: &State) -> UsageFocus {
    let fleet = &state.fleet;
    let shown = state
        .ui
        .stack
        .iter()
        .rev()
        .map(|page| &page.view)
        .find(|view| {
            !matches!(
                view,
                View::Events { .. }
                    | View::History { .. }
                    | View::Yaml { .. }
                    | View::Describe { .. }
                    | View::ObjectEvents { .. }
                    | View::Logs { .. }
            )
        });
    match shown {
        Some(View::DaemonSet { uid }) => UsageFocus {
            daemon_set: fleet
                .daemon_set(uid)
                // An empty selector would read every pod of the namespace; apps/v1 forbids it.
                .filter(|ds| !ds.selector.is_everything())
                .map(|ds| (ds.namespace.to_string(), ds.selector.to_string())),
            ..UsageFocus::default()
        },
        Some(View::Node { name }) => UsageFocus {
            pods: fleet
                .pods_on(name)
                .iter()
                .filter_map(|id| fleet.pod(*id))
                .take(NODE_PODS)
                .map(|p| (p.namespace.to_string(), p.name.to_string()))
                .collect(),
            nodes: NodeFocus::One(name.to_string()),
            ..UsageFocus::default()
        },
        Some(View::Nodes) => UsageFocus {
            nodes: NodeFocus::All,
            ..UsageFocus::default()
        },
        _ => UsageFocus::default(),
    }
}

/// Tells the runtime when what the screen shows changed.
pub fn changed(state: &mut State) -> Option<Effect> {
    let focus = in_view(state);
    if focus == state.session.usage_focus {
        return None;
    }
    state.session.usage_focus = focus.clone();
    Some(Effect::FocusUsage(focus))
}
