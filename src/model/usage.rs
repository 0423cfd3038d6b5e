//! Pod usage from `metrics.k8s.io`: snapshots as they arrive and a short bounded history per pod.

use jiff::Timestamp;
use serde::Serialize;

use crate::model::resources::Usage;

/// Samples kept per pod: enough for a sparkline, small enough for 150,000 pods.
pub const USAGE_HISTORY: usize = 16;

/// One poll of `metrics.k8s.io` pod metrics, summed over each pod's containers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsSnapshot {
    pub at: Timestamp,
    pub pods: Vec<PodUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodUsage {
    pub namespace: String,
    pub name: String,
    pub usage: Usage,
}

/// Whether usage numbers exist; a cluster without metrics-server is a state, not an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MetricsState {
    /// No poll has answered yet.
    #[default]
    Unknown,
    Available {
        at: Timestamp,
    },
    Unavailable {
        since: Timestamp,
        reason: String,
    },
}

/// A ring of recent samples. Memory is kept in KiB as u32 (metrics-server reports Ki, and
/// 4 TiB is plenty for one pod) so a full ring costs about 150 bytes.
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
