//! The namespaces the fleet knows: where its DaemonSets and their pods live. `:ns` lists them
//! and refuses a name outside them.

use std::collections::BTreeSet;
use std::sync::Arc;

use herd_core::model::fleet::Fleet;

/// Every namespace with a DaemonSet or a pod in it, sorted.
pub fn known(fleet: &Fleet) -> Vec<Arc<str>> {
    let daemon_sets = fleet.daemon_sets().map(|d| &d.namespace);
    let pods = fleet.pods().map(|(_, p)| &p.namespace);
    let set: BTreeSet<&Arc<str>> = daemon_sets.chain(pods).collect();
    set.into_iter().cloned().collect()
}
