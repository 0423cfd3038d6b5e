//! The garbage collector's refused writes: counted, and the object looked at again after a
//! backoff, as upstream's `attemptToDelete` queue requeues rate-limited on error
//! (kubernetes/pkg/controller/garbagecollector/garbagecollector.go).

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};

use super::{COMPONENT, finalize, owners_absent, revision_changed};
use crate::kubelet::bound_node;
use crate::pods::DeleteOptions;
use crate::store::{Key, StoreError};
use crate::world::World;

/// What a retry looks at again; each is re-judged from the store, not replayed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Item {
    Pod(Key),
    Revision(Key),
    DaemonSet(Key),
}

/// Whether a write did what the collector wanted. A NotFound counts as done: the object is
/// already gone, which is what `attemptToDeleteItem` concludes too
/// (kubernetes/pkg/controller/garbagecollector/garbagecollector.go).
pub(super) fn done<T>(world: &mut World, result: Result<T, StoreError>) -> bool {
    match result {
        Ok(_) | Err(StoreError::NotFound { .. }) => true,
        Err(_) => {
            world.count_failure(COMPONENT);
            false
        }
    }
}

/// Looks at `item` again after its backoff (its failure was counted by `done`).
pub(super) fn requeue(world: &mut World, item: Item) {
    let now = world.now();
    world.gc.retries.add_rate_limited(item, now);
}

/// Looks again at everything whose retry is due.
pub(super) fn run_due(world: &mut World) {
    let now = world.now();
    while let Some(item) = world.gc.retries.pop_due(now) {
        let ok = match &item {
            Item::Pod(key) => recheck_pod(world, key),
            Item::Revision(key) => revision_changed(world, key),
            Item::DaemonSet(key) => refinalize(world, key),
        };
        if ok {
            world.gc.retries.forget(&item);
        } else {
            requeue(world, item);
        }
    }
}

/// A pod whose collection failed: deleted (gracefully) if its owners are gone, or at once if
/// its node is gone (its quarantine has run out by the time it is retried).
fn recheck_pod(world: &mut World, key: &Key) -> bool {
    let Some(pod) = world.store.get::<Pod>(&key.namespace, &key.name).cloned() else {
        return true;
    };
    if owners_absent(world, &pod.metadata) {
        let deleted = world.delete_pod(&key.namespace, &key.name, &DeleteOptions::default());
        return done(world, deleted);
    }
    if bound_node(&pod).is_some_and(|n| world.store.get::<Node>("", n).is_none()) {
        let deleted = world
            .store
            .delete::<Pod>(&key.namespace, &key.name, None, None);
        return done(world, deleted);
    }
    true
}

/// A retried DaemonSet: finalized again, or, if its last finalizer was released but the
/// delete that should have followed was refused, deleted now.
fn refinalize(world: &mut World, key: &Key) -> bool {
    let released = world
        .store
        .get::<DaemonSet>(&key.namespace, &key.name)
        .is_some_and(|d| {
            d.metadata.deletion_timestamp.is_some()
                && d.metadata.finalizers.as_ref().is_none_or(|f| f.is_empty())
        });
    if !released {
        return finalize(world, key);
    }
    let deleted = world
        .store
        .delete::<DaemonSet>(&key.namespace, &key.name, None, None);
    done(world, deleted)
}
