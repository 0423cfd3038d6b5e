//! Per-container CPU and memory usage that moves over time, served as metrics.k8s.io.

use k8s_openapi::api::core::v1::{Node, Pod};

use super::world::World;

/// One usage sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    pub usage: Usage,
}

/// Usage of each running container of `pod` at the world's current time; `None` when the pod
/// has no running container (metrics-server reports nothing for it).
pub fn pod_usage(_world: &World, _pod: &Pod) -> Option<Vec<ContainerUsage>> {
    None
}

/// Usage of a whole node (its pods plus system overhead); `None` when its kubelet is not reporting.
pub fn node_usage(_world: &World, _node: &Node) -> Option<Usage> {
    None
}
