//! herd: a terminal UI for Kubernetes DaemonSet fleets, with a bundled simulated cluster.
//!
//! The modules follow DESIGN.md §2: `model` holds herd's slim records and the one placement
//! predicate, `cluster` is the IO edge towards any Kubernetes API server, and `sim` is the
//! bundled cluster that serves the real Kubernetes API over loopback HTTP.

pub mod analysis;
pub mod check;
pub mod cluster;
pub mod model;
pub mod sim;
pub mod ui;
