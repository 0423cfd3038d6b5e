//! CPU and memory amounts as herd keeps them: millicores and bytes, already parsed.

use serde::Serialize;

/// A container's requests or limits; `None` where the spec leaves the resource unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Resources {
    pub cpu_millis: Option<i64>,
    pub memory_bytes: Option<i64>,
}

impl Resources {
    pub fn new(cpu_millis: i64, memory_bytes: i64) -> Self {
        Resources {
            cpu_millis: Some(cpu_millis),
            memory_bytes: Some(memory_bytes),
        }
    }
}

/// Summed amounts where an unset value counts as zero (Σ over pods or containers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
}

impl Totals {
    pub fn add_resources(&mut self, r: &Resources) {
        self.cpu_millis += r.cpu_millis.unwrap_or(0);
        self.memory_bytes += r.memory_bytes.unwrap_or(0);
    }

    pub fn add(&mut self, other: Totals) {
        self.cpu_millis += other.cpu_millis;
        self.memory_bytes += other.memory_bytes;
    }
}

/// What a node offers to pods (`status.allocatable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Capacity {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    pub pods: i64,
}

/// One CPU/memory measurement from `metrics.k8s.io`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Usage {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
}
