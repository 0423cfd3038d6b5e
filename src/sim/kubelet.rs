//! Simulated kubelets: node registration and the pod lifecycle on each node.

use std::sync::Arc;

use super::store::Change;
use super::world::World;

#[derive(Debug, Clone, Default)]
pub struct KubeletConfig {}

#[derive(Debug, Default)]
pub struct KubeletState {}

pub fn run(_world: &mut World, _changes: &[Arc<Change>]) {}
