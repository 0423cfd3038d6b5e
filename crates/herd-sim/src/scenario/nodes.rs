//! Node pools and the world's node-steering verbs (join, leave, NotReady, kubelet stop,
//! cordon), used by scenarios, node churn and tests. Each is an ordinary API-style write; the
//! kubelet and the node lifecycle controller react on the next step.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, NodeSpec, NodeStatus, Taint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::kubelet::timing::hash_str;
use crate::kubelet::{ANNOTATION_KUBELET, ANNOTATION_READY};
use crate::store::StoreError;
use crate::world::World;

pub const POOL_LABEL: &str = "pool";
pub const GPU_LABEL: &str = "nvidia.com/gpu.present";
pub const GPU_TAINT: &str = "nvidia.com/gpu";
pub const STORAGE_LABEL: &str = "node-role.herd.dev/storage";

/// A node pool: labels, taints and machine size shared by its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pool {
    General,
    Gpu,
    Storage,
}

impl Pool {
    pub const ALL: [Pool; 3] = [Pool::General, Pool::Gpu, Pool::Storage];

    pub fn name(self) -> &'static str {
        match self {
            Pool::General => "general",
            Pool::Gpu => "gpu",
            Pool::Storage => "storage",
        }
    }

    fn instance_type(self) -> &'static str {
        match self {
            Pool::General => "m6i.2xlarge",
            Pool::Gpu => "g5.4xlarge",
            Pool::Storage => "i4i.4xlarge",
        }
    }

    fn capacity(self) -> Vec<(&'static str, &'static str)> {
        let mut c = match self {
            Pool::General => vec![("cpu", "8"), ("memory", "32Gi")],
            Pool::Gpu => vec![("cpu", "16"), ("memory", "64Gi"), ("nvidia.com/gpu", "1")],
            Pool::Storage => vec![("cpu", "16"), ("memory", "128Gi")],
        };
        c.extend([("pods", "110"), ("ephemeral-storage", "200Gi")]);
        c
    }
}

impl fmt::Display for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown node pool \"{0}\" (known: general, gpu, storage)")]
pub struct UnknownPool(pub String);

impl FromStr for Pool {
    type Err = UnknownPool;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pool::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPool(s.to_string()))
    }
}

/// A node of `pool` as a cloud provider would register it (before its kubelet posts status).
pub fn node_object(pool: Pool, name: &str) -> Node {
    let zone = ["a", "b", "c"][(hash_str(name) % 3) as usize];
    let taints = match pool {
        Pool::Gpu => vec![Taint {
            key: GPU_TAINT.into(),
            value: Some("present".into()),
            effect: "NoSchedule".into(),
            time_added: None,
        }],
        Pool::General | Pool::Storage => Vec::new(),
    };
    let capacity = pool
        .capacity()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
        .collect();
    Node {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels(pool, name, zone)),
            ..Default::default()
        },
        spec: Some(NodeSpec {
            taints: Some(taints).filter(|t| !t.is_empty()),
            provider_id: Some(format!("sim://eu-west-1{zone}/{name}")),
            ..Default::default()
        }),
        status: Some(NodeStatus {
            capacity: Some(capacity),
            ..Default::default()
        }),
    }
}

fn labels(pool: Pool, name: &str, zone: &str) -> BTreeMap<String, String> {
    let zone = format!("eu-west-1{zone}");
    let mut labels: Vec<(&str, &str)> = vec![
        (POOL_LABEL, pool.name()),
        ("kubernetes.io/hostname", name),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("node.kubernetes.io/instance-type", pool.instance_type()),
        ("topology.kubernetes.io/region", "eu-west-1"),
        ("topology.kubernetes.io/zone", &zone),
    ];
    match pool {
        Pool::General => {}
        Pool::Gpu => labels.push((GPU_LABEL, "true")),
        Pool::Storage => labels.push((STORAGE_LABEL, "true")),
    }
    labels
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl World {
    /// A new node of `pool` joins; its kubelet registers it (Ready) on the next step.
    pub fn add_node(&mut self, pool: Pool, name: &str) -> Result<Arc<Node>, StoreError> {
        let now = self.now();
        self.store.create(node_object(pool, name), now)
    }

    /// The node leaves the cluster; pod GC removes its pods.
    pub fn remove_node(&mut self, name: &str) -> Result<Arc<Node>, StoreError> {
        self.store.delete::<Node>("", name, None, None)
    }

    /// Makes the node's kubelet report Ready=False (or Ready again) via `sim.herd.dev/ready`.
    pub fn set_node_ready(&mut self, name: &str, ready: bool) -> Result<Arc<Node>, StoreError> {
        self.set_node_annotation(name, ANNOTATION_READY, (!ready).then_some("false"))
    }

    /// Stops (or restarts) the node's kubelet via `sim.herd.dev/kubelet`; a stopped kubelet
    /// posts nothing and the node goes Ready=Unknown after the grace period.
    pub fn set_kubelet_running(
        &mut self,
        name: &str,
        running: bool,
    ) -> Result<Arc<Node>, StoreError> {
        self.set_node_annotation(name, ANNOTATION_KUBELET, (!running).then_some("stopped"))
    }

    /// Cordons (true) or uncordons the node, as `kubectl cordon` does.
    pub fn set_node_unschedulable(
        &mut self,
        name: &str,
        unschedulable: bool,
    ) -> Result<Arc<Node>, StoreError> {
        self.store.modify::<Node>("", name, |n| {
            n.spec.get_or_insert_with(Default::default).unschedulable =
                unschedulable.then_some(true);
        })
    }

    fn set_node_annotation(
        &mut self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<Arc<Node>, StoreError> {
        self.store.modify::<Node>("", name, |n| {
            let annotations = n.metadata.annotations.get_or_insert_with(BTreeMap::new);
            match value {
                Some(v) => {
                    annotations.insert(key.to_string(), v.to_string());
                }
                None => {
                    annotations.remove(key);
                }
            }
            if annotations.is_empty() {
                n.metadata.annotations = None;
            }
        })
    }
}
