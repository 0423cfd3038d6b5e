//! Named, seeded starting worlds: `empty`, `demo`, and the demo scaled with `--nodes N
//! --daemonsets M`. Objects are created through the store and admission, then the real
//! controllers, scheduler and kubelets run until the world settles.

mod apps;
pub mod catalog;
mod demo;
pub mod nodes;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Namespace, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::store::StoreError;
use super::world::World;
pub use apps::APP_NAMESPACE;
pub use demo::{CORDONED_NODE, DEMO_DAEMONSETS, DEMO_NODES, NOT_READY_NODE, node_name, pool_sizes};
pub use nodes::{Pool, UnknownPool};

#[derive(Debug, Clone)]
pub struct ScenarioOptions {
    /// `empty` or `demo`.
    pub name: String,
    pub seed: u64,
    /// Scale the fleet to this many nodes (the demo's pools, repeated).
    pub nodes: Option<usize>,
    /// Scale the fleet to this many DaemonSets.
    pub daemonsets: Option<usize>,
    /// Application pods per node, besides the daemons (`apps`).
    pub app_pods_per_node: usize,
    /// The simulated clock's start.
    pub start: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown scenario \"{0}\" (known: empty, demo)")]
    Unknown(String),
    #[error("scenario object {what} is invalid: {message}")]
    Invalid { what: String, message: String },
    #[error("scenario could not store {what}: {source}")]
    Store { what: String, source: StoreError },
}

/// Builds the named scenario's world, settled: its pods already scheduled and running.
pub fn build(options: &ScenarioOptions) -> Result<World, ScenarioError> {
    let mut world = World::new(options.seed, options.start);
    // The build's own Normal events (binds, starts, node registrations) would long have
    // expired in a cluster that old: none are recorded until it is done.
    world.scheduler.quiet_binds = true;
    let mut world = built(world, options)?;
    if options.app_pods_per_node > 0 {
        apps::add(&mut world, options.app_pods_per_node, options.seed)?;
        demo::settle(&mut world);
    }
    world.scheduler.quiet_binds = false;
    Ok(world)
}

fn built(mut world: World, options: &ScenarioOptions) -> Result<World, ScenarioError> {
    create_namespaces(
        &mut world,
        &["default", "kube-system", "kube-public", "kube-node-lease"],
    )?;
    match options.name.as_str() {
        "empty" => {
            // Nodes only when asked for: a blank cluster to build on.
            if let Some(count) = options.nodes.filter(|n| *n > 0) {
                demo::add_nodes(&mut world, count)?;
                demo::settle(&mut world);
            }
            Ok(world)
        }
        "demo" => {
            demo::build(&mut world, options)?;
            Ok(world)
        }
        other => Err(ScenarioError::Unknown(other.to_string())),
    }
}

fn create_namespaces(world: &mut World, names: &[&str]) -> Result<(), ScenarioError> {
    let now = world.now();
    for name in names {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                labels: Some(
                    [("kubernetes.io/metadata.name".to_string(), name.to_string())].into(),
                ),
                ..Default::default()
            },
            spec: None,
            status: Some(NamespaceStatus {
                phase: Some("Active".into()),
                conditions: None,
            }),
        };
        world
            .store
            .create(ns, now)
            .map_err(|source| ScenarioError::Store {
                what: format!("namespace {name}"),
                source,
            })?;
    }
    Ok(())
}
