//! What the events applied since the last look changed, coarsely: enough for a reader (the
//! TUI's analysis cache) to redo only the DaemonSets an event touched instead of the fleet.

use std::sync::Arc;

use crate::model::fasthash::FastSet;

/// Changes since the last [`Fleet::take_changes`](super::Fleet::take_changes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Something every DaemonSet's analysis depends on changed (a node, the set of
    /// DaemonSets, a re-list): nothing short of a full pass is safe.
    pub everything: bool,
    /// A metrics poll (or the metrics API's absence) arrived: every pod's usage moved.
    pub metrics: bool,
    /// DaemonSets (by uid) whose own spec, pods or revisions changed.
    pub daemon_sets: FastSet<Arc<str>>,
}

impl Changes {
    pub(super) fn touch(&mut self, owner: Option<&Arc<str>>) {
        if let Some(uid) = owner
            && !self.everything
        {
            self.daemon_sets.insert(Arc::clone(uid));
        }
    }

    pub(super) fn everything(&mut self) {
        self.everything = true;
        self.daemon_sets.clear();
    }
}
