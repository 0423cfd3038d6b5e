//! The reconciliation engine's pure half: what a managed rollout is (the `herd.dev/rollout`
//! annotation's record and its policy) and what to do next (`plan`). The executor that carries
//! a plan out, the runner that re-plans on every fleet change and the Lease live at the IO
//! edge; nothing here reads a clock or talks to a cluster.

pub mod action;
pub mod lease;
pub mod plan;
pub mod policy;
pub mod preview;
pub mod progress;
pub mod record;
pub mod restart;
pub mod retarget;
pub mod strategy;
#[cfg(test)]
pub(crate) mod testkit;
