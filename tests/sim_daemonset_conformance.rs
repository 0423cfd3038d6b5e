//! Conformance scenarios 1–24 (docs/SEMANTICS.md#conformance-scenarios) against the simulator's
//! DaemonSet controller and admission, stepping a `World` directly (no HTTP, simulated time only).
//!
//! OpenKruise's partition / selector / paused rollouts are not apps/v1 behaviour and the simulator
//! does not serve Advanced DaemonSets, so they are not tested here.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/world.rs"]
mod bench;

#[path = "sim_daemonset_conformance/placement.rs"]
mod placement;

#[path = "sim_daemonset_conformance/lifecycle.rs"]
mod lifecycle;

#[path = "sim_daemonset_conformance/rolling.rs"]
mod rolling;

#[path = "sim_daemonset_conformance/history.rs"]
mod history;

#[path = "sim_daemonset_conformance/api.rs"]
mod api;
