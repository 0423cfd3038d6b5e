//! The simulated control plane's controllers, each a function of the world run every step.

pub mod daemonset;
pub mod gc;
pub mod node_lifecycle;
