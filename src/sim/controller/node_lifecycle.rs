//! The node lifecycle controller: condition taints for NotReady and unreachable nodes.

use std::sync::Arc;

use crate::sim::store::Change;
use crate::sim::world::World;

#[derive(Debug, Clone, Default)]
pub struct NodeLifecycleConfig {}

#[derive(Debug, Default)]
pub struct NodeLifecycleState {}

pub fn run(_world: &mut World, _changes: &[Arc<Change>]) {}
