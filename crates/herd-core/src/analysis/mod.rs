//! Pure reports over a `&Fleet`: coverage per (DaemonSet, node), the verdict on each pair,
//! hogs and the DaemonSet tax.
//! Nothing here reads a clock, a file or the network: `now` and thresholds are passed in.

pub(crate) mod by_node;
pub mod coverage;
pub mod fill;
pub mod hogs;
pub mod rollout;
pub mod thresholds;
pub mod units;
pub mod untargeted;
pub mod verdict;
