//! The default scheduler's filters, enough to bind daemon pods or leave them Pending with a reason.

use std::sync::Arc;

use super::store::Change;
use super::world::World;

#[derive(Debug, Default)]
pub struct SchedulerState {}

pub fn run(_world: &mut World, _changes: &[Arc<Change>]) {}
