//! The demo fleet: three node pools, the catalog's DaemonSets, and the planted trouble (a
//! cordoned node, a NotReady node, a release crash-looping mid-rollout).

use jiff::SignedDuration;
use k8s_openapi::api::apps::v1::DaemonSet;

use super::catalog::{self, CRASHLOOP_DS, CRASHLOOP_IMAGE};
use super::nodes::Pool;
use super::{ScenarioError, ScenarioOptions, create_namespaces};
use crate::admission::daemonset::{admit_create, admit_update};
use crate::world::World;

pub const DEMO_NODES: usize = 40;
pub const DEMO_DAEMONSETS: usize = 9;
/// The demo's cordoned node and its NotReady node (both in the general pool).
pub const CORDONED_NODE: usize = 3;
pub const NOT_READY_NODE: usize = 7;

/// Settle ticks: large, since the kubelet replays every transition at its own time anyway.
const TICK: SignedDuration = SignedDuration::from_secs(10);
const QUIET: SignedDuration = SignedDuration::from_secs(30);
const LIMIT: SignedDuration = SignedDuration::from_secs(3600);
/// How long the broken release runs before the scenario is handed over.
const CRASHLOOP_RUN: SignedDuration = SignedDuration::from_secs(90);

/// Nodes per pool for a fleet of `total`: 70 % general, 15 % GPU, 15 % storage (28/6/6 at 40).
pub fn pool_sizes(total: usize) -> [(Pool, usize); 3] {
    let gpu = (total * 15 + 50) / 100;
    let storage = (total * 15 + 50) / 100;
    let general = total.saturating_sub(gpu + storage);
    [
        (Pool::General, general),
        (Pool::Gpu, gpu),
        (Pool::Storage, storage),
    ]
}

/// The name of the `index`-th node (from 1) of a pool in a fleet of `total` nodes.
pub fn node_name(pool: Pool, index: usize, total: usize) -> String {
    let width = total.to_string().len().max(2);
    format!("{}-{index:0width$}", pool.name())
}

pub(super) fn add_nodes(world: &mut World, total: usize) -> Result<(), ScenarioError> {
    for (pool, count) in pool_sizes(total) {
        for i in 1..=count {
            let name = node_name(pool, i, total);
            world
                .add_node(pool, &name)
                .map_err(|source| ScenarioError::Store {
                    what: format!("node {name}"),
                    source,
                })?;
        }
    }
    Ok(())
}

pub(super) fn settle(world: &mut World) {
    let was = std::mem::replace(&mut world.scheduler.quiet_binds, true);
    world.settle_with(TICK, QUIET, LIMIT);
    world.scheduler.quiet_binds = was;
}

pub(super) fn build(world: &mut World, options: &ScenarioOptions) -> Result<(), ScenarioError> {
    let total = options.nodes.unwrap_or(DEMO_NODES);
    let ds_count = options.daemonsets.unwrap_or(DEMO_DAEMONSETS);
    create_namespaces(world, &catalog::NAMESPACES)?;
    add_nodes(world, total)?;
    let [(general, general_count), ..] = pool_sizes(total);
    if general_count >= CORDONED_NODE {
        let name = node_name(general, CORDONED_NODE, total);
        let _ = world.set_node_unschedulable(&name, true);
    }
    let daemonsets = catalog::daemonsets(ds_count).map_err(|e| ScenarioError::Invalid {
        what: "DaemonSet catalog".into(),
        message: e.to_string(),
    })?;
    for ds in daemonsets {
        create_daemonset(world, ds)?;
    }
    settle(world);
    if general_count >= NOT_READY_NODE {
        let name = node_name(general, NOT_READY_NODE, total);
        let _ = world.set_node_ready(&name, false);
        settle(world);
    }
    if ds_count >= DEMO_DAEMONSETS {
        break_release(world)?;
    }
    Ok(())
}

fn create_daemonset(world: &mut World, mut ds: DaemonSet) -> Result<(), ScenarioError> {
    let what = format!(
        "daemonset {}/{}",
        ds.metadata.namespace.as_deref().unwrap_or(""),
        ds.metadata.name.as_deref().unwrap_or("")
    );
    admit_create(&mut ds).map_err(|e| ScenarioError::Invalid {
        what: what.clone(),
        message: e.to_string(),
    })?;
    let now = world.now();
    world
        .store
        .create(ds, now)
        .map(|_| ())
        .map_err(|source| ScenarioError::Store { what, source })
}

/// Rolls the crash-looping release out (maxUnavailable 1), and lets it get stuck.
fn break_release(world: &mut World) -> Result<(), ScenarioError> {
    let (namespace, name) = CRASHLOOP_DS;
    let what = format!("daemonset {namespace}/{name}");
    let Some(old) = world.store.get::<DaemonSet>(namespace, name).cloned() else {
        return Ok(());
    };
    let mut new = old.as_ref().clone();
    let template = new.spec.template.spec.as_mut();
    if let Some(container) = template.and_then(|s| s.containers.first_mut()) {
        container.image = Some(CRASHLOOP_IMAGE.to_string());
    }
    new.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            "kubernetes.io/change-cause".into(),
            format!("deploy {CRASHLOOP_IMAGE}"),
        );
    admit_update(&old, &mut new, false).map_err(|e| ScenarioError::Invalid {
        what: what.clone(),
        message: e.to_string(),
    })?;
    world
        .store
        .update(new)
        .map_err(|source| ScenarioError::Store { what, source })?;
    let end = world
        .now()
        .checked_add(CRASHLOOP_RUN)
        .unwrap_or(world.now());
    while world.now() < end {
        world.advance(TICK);
    }
    Ok(())
}
