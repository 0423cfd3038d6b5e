//! The bundled simulated cluster: a deterministic world served as the Kubernetes REST API.

pub mod admission;
pub mod api;
pub mod churn;
pub mod controller;
pub mod due;
pub mod events;
pub mod kinds;
pub mod kubelet;
pub mod logs;
pub mod managed_fields;
pub mod metrics;
pub mod pods;
pub mod private_file;
pub mod requeue;
pub mod scenario;
pub mod scheduler;
pub mod server;
pub mod store;
pub mod world;
pub mod write_failures;

/// The one Kubernetes version the simulated cluster is: what `/version` says, and what every
/// kubelet and kube-proxy reports in its node's `nodeInfo` (a real cluster's skew is not
/// simulated, so `kubectl version` and `kubectl get nodes` agree).
pub const KUBERNETES_VERSION: &str = "v1.32.0-herd-sim";

pub use kinds::{AnyObject, Kind, Object};
pub use store::{Key, Store, StoreError};
pub use world::{SharedWorld, SimConfig, World};

#[cfg(test)]
mod retry_tests;
