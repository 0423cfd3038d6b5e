//! herd's own slim records and the rules that read them, free of any IO.

pub mod daemonset;
pub mod display_text;
pub mod fasthash;
pub mod feed;
pub mod fleet;
pub mod intern;
pub mod node;
pub mod others;
pub mod placement;
pub mod pod;
pub mod quantity;
pub mod resources;
pub mod revision;
pub mod selector;
pub mod synthetic;
pub mod taint;
pub mod usage;
pub mod version;

pub use self::daemonset::{DaemonSet, StatusCounts};
pub use self::fleet::{Fleet, FleetEvent, PodId, Record, RecordKey, Relist};
pub use self::node::Node;
pub use self::pod::Pod;
pub use self::revision::ControllerRevision;

/// Builders for tests, here and in the crates above (their dev-dependencies turn on `testkit`).
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
