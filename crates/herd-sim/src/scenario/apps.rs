//! Application pods, so a scenario is shaped like production, where a node runs a handful of
//! daemon pods and tens of others: `--app-pods-per-node K` gives every node K pods of a few
//! Deployment-like workloads. Each pod is owned by a ReplicaSet (not stored here: the garbage
//! collector leaves owners of kinds it does not keep alone), carries `pod-template-hash` as a
//! ReplicaSet's pods do, and asks for seeded, varied requests. They are bound to their node
//! when created, as the scheduler would have bound them long ago, and the kubelets run them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodStatus, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::{ScenarioError, create_namespaces};
use crate::World;
use crate::admission::default_pod;
use crate::world::SimRng;

/// Where the application pods live.
pub const APP_NAMESPACE: &str = "apps";

/// A workload: its name, image, and the ranges its pods' requests are drawn from
/// (millicores, MiB).
struct Workload {
    name: &'static str,
    image: &'static str,
    cpu_millis: (u64, u64),
    memory_mib: (u64, u64),
}

const WORKLOADS: [Workload; 6] = [
    Workload {
        name: "checkout",
        image: "shop/checkout:2.4.1",
        cpu_millis: (50, 250),
        memory_mib: (128, 512),
    },
    Workload {
        name: "catalog",
        image: "shop/catalog:1.19.0",
        cpu_millis: (20, 150),
        memory_mib: (64, 384),
    },
    Workload {
        name: "search",
        image: "shop/search:3.0.2",
        cpu_millis: (100, 400),
        memory_mib: (256, 768),
    },
    Workload {
        name: "payments",
        image: "shop/payments:5.1.0",
        cpu_millis: (25, 100),
        memory_mib: (64, 256),
    },
    Workload {
        name: "web",
        image: "shop/web:8.3.7",
        cpu_millis: (10, 80),
        memory_mib: (32, 128),
    },
    Workload {
        name: "worker",
        image: "shop/worker:2.0.0",
        cpu_millis: (50, 300),
        memory_mib: (128, 640),
    },
];

/// Adds `per_node` application pods to every node there is.
pub fn add(world: &mut World, per_node: usize, seed: u64) -> Result<(), ScenarioError> {
    if per_node == 0 {
        return Ok(());
    }
    create_namespaces(world, &[APP_NAMESPACE])?;
    let mut rng = SimRng::new(seed ^ 0x0a99_0a99_0a99_0a99);
    let mut nodes: Vec<String> = world
        .store
        .table::<k8s_openapi::api::core::v1::Node>()
        .values()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    nodes.sort();
    let mut serial = 0usize;
    for node in &nodes {
        for _ in 0..per_node {
            let index = serial % WORKLOADS.len();
            serial += 1;
            let workload = &WORKLOADS[index];
            let pod = app_pod(index, workload, node, &mut rng);
            let now = world.now();
            world
                .store
                .create(pod, now)
                .map_err(|source| ScenarioError::Store {
                    what: format!("an application pod of {} on {node}", workload.name),
                    source,
                })?;
        }
    }
    Ok(())
}

fn between(rng: &mut SimRng, (low, high): (u64, u64)) -> u64 {
    low + rng.below(high - low + 1)
}

fn app_pod(index: usize, workload: &Workload, node: &str, rng: &mut SimRng) -> Pod {
    // One ReplicaSet per workload: its hash, name and uid stay the same for all its pods.
    let h = crate::store::mix(0x0a99 + index as u64);
    let hash = format!("{:010x}", h & 0xff_ffff_ffff);
    let replica_set = format!("{}-{hash}", workload.name);
    let labels = BTreeMap::from([
        ("app".to_string(), workload.name.to_string()),
        ("pod-template-hash".to_string(), hash.clone()),
    ]);
    let cpu = between(rng, workload.cpu_millis);
    let memory = between(rng, workload.memory_mib);
    let mut pod = Pod {
        metadata: ObjectMeta {
            namespace: Some(APP_NAMESPACE.into()),
            generate_name: Some(format!("{replica_set}-")),
            labels: Some(labels),
            owner_references: Some(vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: replica_set.clone(),
                uid: format!(
                    "{:08x}-0000-4000-8000-{:012x}",
                    h >> 32,
                    h & 0xffff_ffff_ffff
                ),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        spec: Some(PodSpec {
            node_name: Some(node.to_string()),
            containers: vec![Container {
                name: workload.name.to_string(),
                image: Some(workload.image.to_string()),
                resources: Some(ResourceRequirements {
                    requests: Some(BTreeMap::from([
                        ("cpu".to_string(), Quantity(format!("{cpu}m"))),
                        ("memory".to_string(), Quantity(format!("{memory}Mi"))),
                    ])),
                    limits: Some(BTreeMap::from([(
                        "memory".to_string(),
                        Quantity(format!("{}Mi", memory * 2)),
                    )])),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: Some(PodStatus {
            phase: Some("Pending".into()),
            ..Default::default()
        }),
    };
    default_pod(&mut pod);
    pod
}
