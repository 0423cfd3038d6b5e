//! Reading, on demand, the pods herd does not watch. With only daemon pods watched, a node's
//! other pods are read when something on screen needs what they request: the node page (who
//! fills this node) and the targeting editor (will a new pod fit on the nodes it gains). A read
//! is asked once per node until it answers or is stale again, and its answer comes back as a
//! fleet event like any other.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::effect::Effect;
use crate::state::{Mode, State};
use crate::view::View;

/// Nodes read for one preview at most: a targeting edit that gains more checks fit on these
/// and says how many it did not.
pub const PREVIEW_READS: usize = 200;

/// A read not answered in this long is asked again.
const RETRY_AFTER: SignedDuration = SignedDuration::from_secs(10);

/// Reads asked and not yet answered, by node, with when they were asked.
pub type InFlight = BTreeMap<Arc<str>, Timestamp>;

/// The nodes whose other pods the screen needs now and nobody has asked for.
pub fn wanted(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let mut nodes: Vec<Arc<str>> = Vec::new();
    if let View::Node { name } = &state.ui.page().view {
        nodes.push(Arc::clone(name));
    }
    if let Mode::TargetForm(form) = &state.ui.mode
        && let Ok(preview) = &form.preview
    {
        nodes.extend(preview.fit_unchecked.iter().take(PREVIEW_READS).cloned());
    }
    let asked = &mut state.session.others_asked;
    asked.retain(|_, at| now.duration_since(*at) < RETRY_AFTER);
    let fleet = &state.fleet;
    let due: Vec<Arc<str>> = nodes
        .into_iter()
        .filter(|n| fleet.others_wanted(n, now) && !asked.contains_key(n))
        .collect();
    if due.is_empty() {
        return Vec::new();
    }
    for node in &due {
        asked.insert(Arc::clone(node), now);
    }
    vec![Effect::ReadOtherPods { nodes: due }]
}

/// A read answered (or failed): it may be asked again.
pub fn answered(state: &mut State, node: &str) {
    state.session.others_asked.remove(node);
}
