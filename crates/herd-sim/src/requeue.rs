//! A controller's retry queue: a key whose write failed comes back after a per-key exponential
//! backoff, as upstream's rate-limited work queue does (`queue.AddRateLimited(key)` on error,
//! `queue.Forget(key)` on success; kubernetes/pkg/controller/daemon/daemon_controller.go
//! `processNextWorkItem`, client-go/util/workqueue/default_rate_limiters.go).

use std::collections::HashMap;
use std::hash::Hash;

use jiff::{SignedDuration, Timestamp};

use crate::due::DueSet;

/// `DefaultControllerRateLimiter`'s per-item part: 5 ms doubling per failure, at most 1000 s.
pub const CONTROLLER_BACKOFF: (SignedDuration, SignedDuration) = (
    SignedDuration::from_millis(5),
    SignedDuration::from_secs(1000),
);

/// Keys to retry and how often each has failed in a row.
#[derive(Debug)]
pub struct Requeue<K: Ord + Hash + Clone> {
    base: SignedDuration,
    max: SignedDuration,
    failures: HashMap<K, u32>,
    due: DueSet<K>,
}

impl<K: Ord + Hash + Clone> Default for Requeue<K> {
    fn default() -> Self {
        Requeue::new(CONTROLLER_BACKOFF.0, CONTROLLER_BACKOFF.1)
    }
}

impl<K: Ord + Hash + Clone> Requeue<K> {
    pub fn new(base: SignedDuration, max: SignedDuration) -> Self {
        Requeue {
            base,
            max,
            failures: HashMap::new(),
            due: DueSet::default(),
        }
    }

    /// `AddRateLimited`: the key failed again; it is due after its backoff, which doubles with
    /// every failure since it was last forgotten. Returns when it is due.
    pub fn add_rate_limited(&mut self, key: K, now: Timestamp) -> Timestamp {
        let failures = self.failures.entry(key.clone()).or_insert(0);
        let exponent = (*failures).min(30);
        *failures = failures.saturating_add(1);
        let delay = self
            .base
            .checked_mul(1 << exponent)
            .map_or(self.max, |d| d.min(self.max));
        let at = now.checked_add(delay).unwrap_or(now);
        self.due.schedule_by(key.clone(), at);
        self.due.due_at(&key).unwrap_or(at)
    }

    /// `Forget`: the key's work succeeded, so its next failure starts from the base delay.
    pub fn forget(&mut self, key: &K) {
        if !self.failures.is_empty() {
            self.failures.remove(key);
        }
    }

    /// The earliest key due at or before `now`, removed from the queue.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<K> {
        self.due.pop_due(now).map(|(_, key)| key)
    }

    /// Drops a key whose object is gone: nothing is left to retry.
    pub fn cancel(&mut self, key: &K) {
        self.due.cancel(key);
        self.failures.remove(key);
    }

    /// Keys waiting for their retry.
    pub fn pending(&self) -> usize {
        self.due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_until_forgotten() {
        let t0 = Timestamp::UNIX_EPOCH;
        let ms = |n| t0 + SignedDuration::from_millis(n);
        let mut q = Requeue::default();
        assert_eq!(q.add_rate_limited("a", t0), ms(5));
        assert_eq!(q.pop_due(ms(4)), None);
        assert_eq!(q.pop_due(ms(5)), Some("a"));
        assert_eq!(q.add_rate_limited("a", t0), ms(10));
        assert_eq!(
            q.add_rate_limited("a", t0),
            ms(10),
            "a pending retry is not pushed back"
        );
        q.forget(&"a");
        assert_eq!(q.pop_due(ms(10)), Some("a"));
        assert_eq!(q.add_rate_limited("a", t0), ms(5));
        assert_eq!(q.pending(), 1);
    }

    #[test]
    fn backoff_is_capped() {
        let t0 = Timestamp::UNIX_EPOCH;
        let mut q = Requeue::default();
        let mut at = t0;
        for _ in 0..64 {
            at = q.add_rate_limited(1, t0);
            q.pop_due(at);
        }
        assert_eq!(at, t0 + CONTROLLER_BACKOFF.1);
    }
}
