//! Counts of controller writes the store refused, per component, so a test (or a curious
//! reader of the world) can see that a failure happened and was not silently dropped.

use std::collections::BTreeMap;

use crate::store::StoreError;
use crate::world::World;

/// Failed writes per component (the component names its events use).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteFailures {
    by_component: BTreeMap<&'static str, u64>,
}

impl WriteFailures {
    /// Failed writes of one component so far.
    pub fn of(&self, component: &str) -> u64 {
        self.by_component.get(component).copied().unwrap_or(0)
    }

    /// Failed writes of every component so far.
    pub fn total(&self) -> u64 {
        self.by_component.values().sum()
    }

    fn record(&mut self, component: &'static str) {
        *self.by_component.entry(component).or_default() += 1;
    }
}

impl World {
    /// Failed controller writes so far.
    pub fn write_failures(&self) -> &WriteFailures {
        &self.write_failures
    }

    /// Counts `result` against `component` if it is an error and passes it on, so a write
    /// site reads `world.counted(COMPONENT, world.store.update(..))`.
    pub(crate) fn counted<T>(
        &mut self,
        component: &'static str,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if result.is_err() {
            self.count_failure(component);
        }
        result
    }

    /// Counts one failed write by `component`.
    pub(crate) fn count_failure(&mut self, component: &'static str) {
        self.write_failures.record(component);
    }
}
