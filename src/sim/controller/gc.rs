//! Garbage collection: dependents of deleted owners, and pods bound to nodes that are gone.

use std::sync::Arc;

use crate::sim::store::Change;
use crate::sim::world::World;

#[derive(Debug, Default)]
pub struct GcState {}

pub fn run(_world: &mut World, _changes: &[Arc<Change>]) {}
