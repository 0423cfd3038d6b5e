//! The IO edge towards any Kubernetes API server: kubeconfig and contexts, one watcher per kind,
//! metrics polling, on-demand fetches and writes. What it receives becomes `herd_core` records
//! through `herd_convert` before anything else sees it.

pub mod connect;
pub mod events;
pub mod fetch;
pub mod lease;
pub mod list_stream;
pub mod metrics;
pub mod problem;
pub mod rollout;
pub mod runner;
pub mod session;
pub mod target;
pub mod watch;
