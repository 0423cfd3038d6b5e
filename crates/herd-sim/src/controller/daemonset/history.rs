//! ControllerRevision maintenance: claim, find or create the current revision, dedup and renumber
//! it, resolve name collisions, and trim old history. Upstream: `constructHistory`,
//! `dedupCurHistories`, `snapshot` and `cleanupHistory` in
//! kubernetes/pkg/controller/daemon/update.go; docs/SEMANTICS.md#controllerrevisions,
//! #hash-collisions and #history-cleanup.

use std::collections::HashSet;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::Value;

use super::actions::COMPONENT;
use super::hash;
use super::newpod::controller_ref;
use super::ownership;
use super::placement::Selector;
use super::podutil::{self, HASH_LABEL};
use super::sync::STATUS_WRITER;
use super::view;
use crate::store::{Key, StoreError, controller_uid};
use crate::world::World;

/// The current revision's hash and the DaemonSet's other revisions.
#[derive(Debug)]
pub struct History {
    pub hash: String,
    pub old: Vec<Arc<ControllerRevision>>,
}

/// Why the history could not be built this sync; the sync is retried.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("hash collision on ControllerRevision {name:?}; collisionCount raised to {count}")]
    Collision { name: String, count: i32 },
    #[error("stale collision count on DaemonSet {0:?}; will retry")]
    StaleCollisionCount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn revision_of(r: &ControllerRevision) -> i64 {
    r.revision.unwrap_or(0)
}

fn hash_of(r: &ControllerRevision) -> Option<&str> {
    r.metadata
        .labels
        .as_ref()?
        .get(HASH_LABEL)
        .map(String::as_str)
}

/// Builds the DaemonSet's history and returns the current hash (upstream `constructHistory`;
/// docs/SEMANTICS.md#controllerrevisions).
pub fn construct(
    world: &mut World,
    ds: &DaemonSet,
    selector: &Selector,
    template: &Value,
) -> Result<History, HistoryError> {
    let expected = hash::canonical_bytes(&hash::revision_data(template));
    let (mut current, mut old) = (Vec::new(), Vec::new());
    for revision in claim(world, ds, selector) {
        let revision = ensure_hash_label(world, revision);
        if hash::data_matches(&revision.data.0, &expected) {
            current.push(revision);
        } else {
            old.push(revision);
        }
    }
    let next = old.iter().map(|r| revision_of(r)).max().unwrap_or(0) + 1;
    let cur = if current.is_empty() {
        snapshot(world, ds, template, next)?
    } else {
        let keep = dedup(world, ds, current);
        renumber(world, keep, next)?
    };
    let hash = hash_of(&cur).unwrap_or_default().to_string();
    Ok(History { hash, old })
}

/// Adopts matching orphan revisions, releases owned ones that stopped matching, and returns the
/// revisions the DaemonSet controls.
fn claim(world: &mut World, ds: &DaemonSet, selector: &Selector) -> Vec<Arc<ControllerRevision>> {
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let ns = ds.metadata.namespace.clone().unwrap_or_default();
    let deleting = ds.metadata.deletion_timestamp.is_some();
    let revisions: Vec<_> = world
        .store
        .table::<ControllerRevision>()
        .in_namespace(&ns)
        .cloned()
        .collect();
    let mut claimed = Vec::new();
    for r in revisions {
        let matches = selector.matches(r.metadata.labels.as_ref());
        let name = r.metadata.name.clone().unwrap_or_default();
        match controller_uid(&r.metadata) {
            Some(owner) if owner == uid && matches => claimed.push(r),
            Some(owner) if owner == uid && !deleting => {
                // NotFound: gone meanwhile, nothing to release (`ReleaseControllerRevision`,
                // kubernetes/pkg/controller/controller_ref_manager.go). Any other failure is
                // counted, and the sync retried.
                let released = world.store.modify::<ControllerRevision>(&ns, &name, |r| {
                    if let Some(refs) = r.metadata.owner_references.as_mut() {
                        refs.retain(|o| o.uid != uid);
                    }
                });
                count_unless_gone(world, released);
            }
            None if matches && !deleting && r.metadata.deletion_timestamp.is_none() => {
                let owner = controller_ref(ds);
                let adopted = world.store.modify::<ControllerRevision>(&ns, &name, |r| {
                    r.metadata
                        .owner_references
                        .get_or_insert_with(Vec::new)
                        .push(owner);
                });
                // NotFound: gone meanwhile, nothing to adopt (`ClaimObject`, same file).
                claimed.extend(adopted.as_ref().ok().cloned());
                count_unless_gone(world, adopted);
            }
            _ => {}
        }
    }
    claimed
}

/// A revision without the hash label gets its own name as the label.
fn ensure_hash_label(world: &mut World, r: Arc<ControllerRevision>) -> Arc<ControllerRevision> {
    if hash_of(&r).is_some() {
        return r;
    }
    let key = Key::of(&r.metadata);
    let labelled = world
        .store
        .modify::<ControllerRevision>(&key.namespace, &key.name, |r| {
            r.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert(HASH_LABEL.into(), key.name.clone());
        });
    world.counted(COMPONENT, labelled).unwrap_or(r)
}

/// Counts a failed write, except NotFound: the object went away, so there is nothing to retry.
fn count_unless_gone<T>(world: &mut World, result: Result<T, StoreError>) {
    if let Err(e) = result
        && !matches!(e, StoreError::NotFound { .. })
    {
        world.count_failure(COMPONENT);
    }
}

/// Keeps the highest-numbered of several current revisions; relabels pods to its hash and
/// deletes the others.
fn dedup(
    world: &mut World,
    ds: &DaemonSet,
    current: Vec<Arc<ControllerRevision>>,
) -> Arc<ControllerRevision> {
    let mut keep = current[0].clone();
    for r in &current {
        if revision_of(r) >= revision_of(&keep) {
            keep = r.clone();
        }
    }
    if current.len() == 1 {
        return keep;
    }
    let keep_hash = hash_of(&keep).unwrap_or_default().to_string();
    for pod in ownership::owned_pods(&world.store, ds) {
        if podutil::label(&pod, HASH_LABEL) != Some(keep_hash.as_str()) {
            let key = Key::of(&pod.metadata);
            let relabelled = world.store.modify::<Pod>(&key.namespace, &key.name, |p| {
                p.metadata
                    .labels
                    .get_or_insert_with(Default::default)
                    .insert(HASH_LABEL.into(), keep_hash.clone());
            });
            count_unless_gone(world, relabelled);
        }
    }
    for r in current
        .iter()
        .filter(|r| r.metadata.name != keep.metadata.name)
    {
        let key = Key::of(&r.metadata);
        let deleted =
            world
                .store
                .delete::<ControllerRevision>(&key.namespace, &key.name, None, None);
        count_unless_gone(world, deleted);
    }
    keep
}

/// Raises the current revision's number to `next` (this is what a rollback does).
fn renumber(
    world: &mut World,
    cur: Arc<ControllerRevision>,
    next: i64,
) -> Result<Arc<ControllerRevision>, StoreError> {
    if revision_of(&cur) >= next {
        return Ok(cur);
    }
    let key = Key::of(&cur.metadata);
    world
        .store
        .modify::<ControllerRevision>(&key.namespace, &key.name, |r| r.revision = Some(next))
}

/// Creates the current revision `<ds>-<hash>`; on a name taken by different data, raises
/// `status.collisionCount` (upstream `snapshot`; docs/SEMANTICS.md#hash-collisions) and fails so
/// the next sync hashes anew.
fn snapshot(
    world: &mut World,
    ds: &DaemonSet,
    template: &Value,
    revision: i64,
) -> Result<Arc<ControllerRevision>, HistoryError> {
    let collision_count = ds.status.as_ref().and_then(|s| s.collision_count);
    let hash = hash::compute_hash(template, collision_count);
    let ds_name = ds.metadata.name.clone().unwrap_or_default();
    let ns = ds.metadata.namespace.clone().unwrap_or_default();
    let name = format!("{ds_name}-{hash}");
    let mut labels = template
        .pointer("/metadata/labels")
        .and_then(|l| {
            serde_json::from_value::<std::collections::BTreeMap<String, String>>(l.clone()).ok()
        })
        .unwrap_or_default();
    labels.insert(HASH_LABEL.into(), hash);
    let data = hash::revision_data(template);
    let revision_obj = ControllerRevision {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            labels: Some(labels),
            annotations: ds.metadata.annotations.clone(),
            owner_references: Some(vec![controller_ref(ds)]),
            ..Default::default()
        },
        data: RawExtension(data.clone()),
        revision: Some(revision),
    };
    let now = world.now();
    match world.store.create(revision_obj, now) {
        Ok(created) => Ok(created),
        Err(StoreError::AlreadyExists { .. }) => {
            collide(world, ds, &ns, &name, &data, collision_count)
        }
        Err(e) => Err(e.into()),
    }
}

fn collide(
    world: &mut World,
    ds: &DaemonSet,
    ns: &str,
    name: &str,
    data: &Value,
    used: Option<i32>,
) -> Result<Arc<ControllerRevision>, HistoryError> {
    let existing = world.store.get::<ControllerRevision>(ns, name).cloned();
    if let Some(existing) = existing
        && hash::data_matches(&existing.data.0, &hash::canonical_bytes(data))
    {
        return Ok(existing);
    }
    let ds_name = ds.metadata.name.clone().unwrap_or_default();
    let live = world.store.get::<DaemonSet>(ns, &ds_name).cloned();
    let live_count = live
        .as_ref()
        .and_then(|d| d.status.as_ref())
        .and_then(|s| s.collision_count);
    if live.is_none() || live_count != used {
        return Err(HistoryError::StaleCollisionCount(ds_name));
    }
    let count = used.unwrap_or(0) + 1;
    let now = world.now();
    world
        .store
        .modify_as::<DaemonSet>(ns, &ds_name, STATUS_WRITER, now, |d| {
            d.status
                .get_or_insert_with(Default::default)
                .collision_count = Some(count);
        })?;
    Err(HistoryError::Collision {
        name: name.to_string(),
        count,
    })
}

/// Upstream `cleanupHistory` (docs/SEMANTICS.md#history-cleanup): beyond `revisionHistoryLimit`,
/// deletes the oldest revisions no owned pod uses (terminal and terminating pods included).
pub fn cleanup(world: &mut World, ds: &DaemonSet, mut old: Vec<Arc<ControllerRevision>>) {
    let limit = ds.spec.revision_history_limit.unwrap_or(10);
    let mut excess = old.len() as i64 - i64::from(limit);
    if excess <= 0 {
        return;
    }
    let pods = ownership::owned_pods(&world.store, ds);
    let live: HashSet<String> = view::node_map(&pods, true)
        .values()
        .flatten()
        .filter_map(|p| podutil::label(p, HASH_LABEL).map(str::to_string))
        .collect();
    old.sort_by_key(|r| revision_of(r));
    for r in old {
        if excess <= 0 {
            break;
        }
        if hash_of(&r).is_some_and(|h| live.contains(h)) {
            continue;
        }
        let key = Key::of(&r.metadata);
        let deleted =
            world
                .store
                .delete::<ControllerRevision>(&key.namespace, &key.name, None, None);
        count_unless_gone(world, deleted);
        excess -= 1;
    }
}
