//! The DaemonSet controller, rule by rule after DAEMONSET_SEMANTICS.md §1–§4.

use std::sync::Arc;

use crate::sim::store::Change;
use crate::sim::world::World;

/// What the controller remembers between syncs (failed-pod backoff, DaemonSets to sync).
#[derive(Debug, Default)]
pub struct ControllerState {}

/// Syncs every DaemonSet the changes touch, plus those whose timers are due.
pub fn run(_world: &mut World, _changes: &[Arc<Change>]) {}
