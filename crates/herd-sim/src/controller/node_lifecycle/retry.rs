//! The node lifecycle controller's refused writes: counted, and the node or pod looked at
//! again after a backoff (upstream retries a node whose pods could not be marked via
//! `nodesToRetry`, kubernetes/pkg/controller/nodelifecycle/node_lifecycle_controller.go, and
//! re-runs a failed eviction, kubernetes/pkg/controller/tainteviction/taint_eviction.go).

use crate::requeue::Requeue;
use crate::store::{Key, StoreError};
use crate::world::World;

/// The component its failed writes are counted under.
pub const COMPONENT: &str = "node-controller";

/// What a retry redoes; each is re-judged from the store, not replayed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    /// The node's taints.
    Node(String),
    /// Marking a silent node's conditions Unknown.
    Unknown(String),
    /// Marking the pods of a node that is not Ready as not Ready.
    NotReady(String),
    /// Evicting a pod from a NoExecute-tainted node.
    Evict(Key),
}

pub type Retries = Requeue<Item>;

/// The write's result if it succeeded. A refused write is counted and `item` requeued; a
/// NotFound means the object is gone, so there is nothing to retry.
pub fn checked<T>(world: &mut World, result: Result<T, StoreError>, item: Item) -> Option<T> {
    match result {
        Ok(value) => {
            world.node_lifecycle.retries.forget(&item);
            Some(value)
        }
        Err(StoreError::NotFound { .. }) => {
            world.node_lifecycle.retries.forget(&item);
            None
        }
        Err(_) => {
            world.count_failure(COMPONENT);
            let now = world.now();
            world.node_lifecycle.retries.add_rate_limited(item, now);
            None
        }
    }
}

/// Redoes the work whose retry is due.
pub fn run_due(world: &mut World) {
    let now = world.now();
    while let Some(item) = world.node_lifecycle.retries.pop_due(now) {
        match item {
            Item::Node(name) => super::sync_node(world, &name),
            Item::Unknown(name) => super::mark_unknown(world, &name),
            Item::NotReady(name) => {
                let not_ready = world
                    .store
                    .get::<k8s_openapi::api::core::v1::Node>("", &name)
                    .is_some_and(|n| super::taints::condition(n, "Ready") != Some("True"));
                if not_ready {
                    super::eviction::mark_pods_not_ready(world, &name);
                }
            }
            Item::Evict(key) => super::eviction::evaluate(world, &key),
        }
    }
}
