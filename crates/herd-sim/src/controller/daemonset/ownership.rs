//! Pod ownership reconciled every sync (docs/SEMANTICS.md#terms, "owned pod"; upstream
//! `getDaemonPods` in kubernetes/pkg/controller/daemon/daemon_controller.go): orphans matching the
//! selector are adopted, owned pods that stopped matching are released.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;

use super::actions::COMPONENT;
use super::newpod::controller_ref;
use super::placement::Selector;
use crate::store::{Key, Store, StoreError};
use crate::world::World;

/// The pods the DaemonSet controls right now (index lookup, no claiming).
pub fn owned_pods(store: &Store, ds: &DaemonSet) -> Vec<Arc<Pod>> {
    let uid = ds.metadata.uid.as_deref().unwrap_or_default();
    let ns = ds.metadata.namespace.as_deref().unwrap_or_default();
    let Some(keys) = store.pod_index.by_owner.get(uid) else {
        return Vec::new();
    };
    keys.iter()
        .filter(|k| k.namespace == ns)
        .filter_map(|k| store.get::<Pod>(&k.namespace, &k.name).cloned())
        .collect()
}

/// Orphans in the namespace that may be adopted: matching, and not being deleted.
fn adoptable(store: &Store, ns: &str, selector: &Selector) -> Vec<Key> {
    store
        .pod_index
        .orphans
        .range(Key::new(ns, "")..)
        .take_while(|k| k.namespace == ns)
        .filter(|k| {
            store.get::<Pod>(&k.namespace, &k.name).is_some_and(|p| {
                p.metadata.deletion_timestamp.is_none()
                    && selector.matches(p.metadata.labels.as_ref())
            })
        })
        .cloned()
        .collect()
}

/// Claims pods for `ds` and returns the ones it owns afterwards. A DaemonSet being deleted
/// neither adopts nor releases.
pub fn claim_pods(world: &mut World, ds: &DaemonSet, selector: &Selector) -> Vec<Arc<Pod>> {
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let ns = ds.metadata.namespace.clone().unwrap_or_default();
    let deleting = ds.metadata.deletion_timestamp.is_some();
    let mut claimed = Vec::new();
    for pod in owned_pods(&world.store, ds) {
        if selector.matches(pod.metadata.labels.as_ref()) {
            claimed.push(pod);
        } else if !deleting {
            release(world, &pod, &uid);
        }
    }
    if deleting {
        return claimed;
    }
    for key in adoptable(&world.store, &ns, selector) {
        let owner = controller_ref(ds);
        let adopted = world.store.modify::<Pod>(&key.namespace, &key.name, |p| {
            p.metadata
                .owner_references
                .get_or_insert_with(Vec::new)
                .push(owner);
        });
        // NotFound means it went away meanwhile: nothing to adopt, and no error
        // (`ClaimObject`, kubernetes/pkg/controller/controller_ref_manager.go). Any other
        // failure is counted, and the sync retried.
        match adopted {
            Ok(pod) => claimed.push(pod),
            Err(StoreError::NotFound { .. }) => {}
            Err(_) => world.count_failure(COMPONENT),
        }
    }
    claimed
}

fn release(world: &mut World, pod: &Pod, uid: &str) {
    let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    // NotFound: already gone, nothing to release (`ReleasePod`,
    // kubernetes/pkg/controller/controller_ref_manager.go). Any other failure is counted, and
    // the sync retried.
    let released = world.store.modify::<Pod>(ns, name, |p| {
        if let Some(refs) = p.metadata.owner_references.as_mut() {
            refs.retain(|r| r.uid != uid);
            if refs.is_empty() {
                p.metadata.owner_references = None;
            }
        }
    });
    if let Err(e) = released
        && !matches!(e, StoreError::NotFound { .. })
    {
        world.count_failure(COMPONENT);
    }
}
