//! CPU and memory amounts as herd keeps them: millicores and bytes, already parsed.
//!
//! Sums saturate at the ends of `i64` rather than wrap: a pod may ask for 2^62 bytes and a
//! fleet holds thousands of pods. A total pinned at `i64::MAX` (or `MIN`) is therefore a bound
//! ("at least this much"), which `analysis::units` prints with a `>` (or `<`) in front.

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
        self.add_amounts(r.cpu_millis, r.memory_bytes);
    }

    pub fn add(&mut self, other: Totals) {
        self.add_amounts(Some(other.cpu_millis), Some(other.memory_bytes));
    }

    /// Adds what is set, saturating (see the module comment).
    pub fn add_amounts(&mut self, cpu_millis: Option<i64>, memory_bytes: Option<i64>) {
        self.cpu_millis = self.cpu_millis.saturating_add(cpu_millis.unwrap_or(0));
        self.memory_bytes = self.memory_bytes.saturating_add(memory_bytes.unwrap_or(0));
    }
}

/// `a + b` for amounts, saturating: the one way herd adds two quantities.
pub fn sum(a: i64, b: i64) -> i64 {
    a.saturating_add(b)
}

/// Whether an amount sits at an end of the range, so it stands for "at least" (or "at most").
pub fn is_saturated(amount: i64) -> bool {
    amount == i64::MAX || amount == i64::MIN
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
