//! Pod and node usage from `metrics.k8s.io`: snapshots as they arrive and a short bounded
//! history per pod and per node.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::model::resources::{Capacity, Usage};

/// Samples kept per pod or node: enough for a sparkline, small enough for 150,000 pods.
pub const USAGE_HISTORY: usize = 16;

/// One poll of `metrics.k8s.io`: pod metrics summed over each pod's containers, and node
/// metrics (empty when only the node list failed, for example where RBAC forbids it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsSnapshot {
    pub at: Timestamp,
    pub pods: Vec<PodUsage>,
    pub nodes: Vec<NodeUsage>,
    /// Set when herd spaced fleet-wide polls out beyond the asked interval (a fleet so large
    /// that reading all of it that often would cost more CPU or bytes than usage is worth).
    pub stretched: Option<Stretched>,
    /// Whether the poll read the whole fleet's usage or only what the screen shows.
    pub reach: UsageReach,
}

/// Fleet-wide polls spaced out: how far apart, and how often what the screen shows is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretched {
    pub fleet: Duration,
    pub in_view: Duration,
}

/// What a metrics poll read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UsageReach {
    /// Every watched pod and every node: after it, usage not reported is usage gone.
    #[default]
    Fleet,
    /// Only the usage the screen in view shows ([`UsageFocus`]), read between fleet polls.
    Focus,
}

/// The usage the screen in view shows, polled at the asked interval even when fleet-wide
/// polls are spaced out: a DaemonSet's pods, a node and its pods, or every node's usage.
/// Empty when the screen shows fleet-wide figures only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageFocus {
    /// A DaemonSet's pods: its namespace and its pod selector as a query string.
    pub daemon_set: Option<(String, String)>,
    /// Single pods, by namespace and name (a node's daemon pods).
    pub pods: Vec<(String, String)>,
    /// Nodes whose usage is in view.
    pub nodes: NodeFocus,
}

/// Which nodes' usage a screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NodeFocus {
    #[default]
    None,
    One(String),
    All,
}

impl UsageFocus {
    pub fn is_empty(&self) -> bool {
        self.daemon_set.is_none() && self.pods.is_empty() && self.nodes == NodeFocus::None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodUsage {
    pub namespace: String,
    pub name: String,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUsage {
    pub name: String,
    pub usage: Usage,
}

/// A node's usage against its allocatable: what the Nodes screen shows as load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NodeLoad {
    pub usage: Usage,
    pub allocatable: Capacity,
    /// Usage as a share of allocatable (1.0 = all of it); `None` when the node reports no
    /// allocatable amount.
    pub cpu_share: Option<f64>,
    pub memory_share: Option<f64>,
}

impl NodeLoad {
    pub fn new(usage: Usage, allocatable: Capacity) -> Self {
        let share = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
        NodeLoad {
            usage,
            allocatable,
            cpu_share: share(usage.cpu_millis, allocatable.cpu_millis),
            memory_share: share(usage.memory_bytes, allocatable.memory_bytes),
        }
    }
}

/// Whether usage numbers exist; a cluster without metrics-server is a state, not an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MetricsState {
    /// No poll has answered yet.
    #[default]
    Unknown,
    Available {
        /// The last fleet-wide poll: usage older than this was not reported by it, so is gone.
        at: Timestamp,
        /// Set when fleet-wide polls are spaced out beyond the asked interval: the header
        /// says so.
        #[serde(skip)]
        stretched: Option<Stretched>,
    },
    Unavailable {
        since: Timestamp,
        reason: String,
    },
}

/// A ring of recent samples. Memory is kept in KiB as u32 (metrics-server reports Ki, and
/// 4 TiB is plenty for one pod or node) so a full ring costs about 150 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageHistory {
    last_at: Timestamp,
    len: u8,
    next: u8,
    cpu_millis: [u32; USAGE_HISTORY],
    memory_kib: [u32; USAGE_HISTORY],
}

impl UsageHistory {
    pub fn new(at: Timestamp, usage: Usage) -> Self {
        let mut history = UsageHistory {
            last_at: at,
            len: 0,
            next: 0,
            cpu_millis: [0; USAGE_HISTORY],
            memory_kib: [0; USAGE_HISTORY],
        };
        history.push(at, usage);
        history
    }

    /// Adds a sample; a repeat of the latest timestamp replaces it instead.
    pub fn push(&mut self, at: Timestamp, usage: Usage) {
        if self.len > 0 && at == self.last_at {
            self.next = self.index_back(1) as u8;
            self.len -= 1;
        }
        let slot = usize::from(self.next);
        self.cpu_millis[slot] = clamp_u32(usage.cpu_millis);
        self.memory_kib[slot] = clamp_u32(usage.memory_bytes.saturating_add(1023) / 1024);
        self.next = ((slot + 1) % USAGE_HISTORY) as u8;
        self.len = (usize::from(self.len) + 1).min(USAGE_HISTORY) as u8;
        self.last_at = at;
    }

    pub fn last_at(&self) -> Timestamp {
        self.last_at
    }

    pub fn latest(&self) -> Usage {
        self.sample(self.index_back(1))
    }

    /// Oldest first.
    pub fn samples(&self) -> impl Iterator<Item = Usage> + '_ {
        let len = usize::from(self.len);
        (0..len)
            .rev()
            .map(move |back| self.sample(self.index_back(back + 1)))
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn index_back(&self, back: usize) -> usize {
        (usize::from(self.next) + USAGE_HISTORY - back) % USAGE_HISTORY
    }

    fn sample(&self, i: usize) -> Usage {
        Usage {
            cpu_millis: i64::from(self.cpu_millis[i]),
            memory_bytes: i64::from(self.memory_kib[i]) * 1024,
        }
    }
}

fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap_or_default()
    }

    fn usage(cpu: i64, kib: i64) -> Usage {
        Usage {
            cpu_millis: cpu,
            memory_bytes: kib * 1024,
        }
    }

    #[test]
    fn history_keeps_the_latest_samples_oldest_first_and_stays_bounded() {
        let mut h = UsageHistory::new(at(0), usage(0, 0));
        for i in 1..40 {
            h.push(at(i * 15), usage(i, i * 10));
        }
        assert_eq!(h.len(), USAGE_HISTORY);
        let cpu: Vec<i64> = h.samples().map(|u| u.cpu_millis).collect();
        assert_eq!(cpu, (24..40).collect::<Vec<_>>());
        assert_eq!(h.latest(), usage(39, 390));
        assert_eq!(h.last_at(), at(39 * 15));
    }

    #[test]
    fn node_load_is_usage_over_allocatable_and_unknown_without_allocatable() {
        let alloc = Capacity {
            cpu_millis: 4000,
            memory_bytes: 8 * 1024 * 1024 * 1024,
            pods: 110,
        };
        let load = NodeLoad::new(usage(1000, 2 * 1024 * 1024), alloc);
        assert_eq!(load.cpu_share, Some(0.25));
        assert_eq!(load.memory_share, Some(0.25));
        let none = NodeLoad::new(usage(1000, 1), Capacity::default());
        assert_eq!((none.cpu_share, none.memory_share), (None, None));
    }

    #[test]
    fn a_repeated_poll_time_replaces_the_sample_and_memory_rounds_up_to_kib() {
        let mut h = UsageHistory::new(at(10), usage(5, 1));
        h.push(
            at(10),
            Usage {
                cpu_millis: 7,
                memory_bytes: 1025,
            },
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h.latest(), usage(7, 2));
    }
}
