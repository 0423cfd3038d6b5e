//! The bundled simulated cluster: a deterministic world served as the Kubernetes REST API.

pub mod admission;
pub mod api;
pub mod churn;
pub mod controller;
pub mod due;
pub mod events;
pub mod kinds;
pub mod kubelet;
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

pub use kinds::{AnyObject, Kind, Object};
pub use store::{Key, Store, StoreError};
pub use world::{SharedWorld, SimConfig, World};

#[cfg(test)]
mod retry_tests;
