//! The failed-pod backoff (docs/SEMANTICS.md#failed-pod-backoff): client-go's
//! `flowcontrol.Backoff(1s, 15m)` without jitter, keyed `<ds-uid>/<observedGeneration>/<node>`.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

const INITIAL: SignedDuration = SignedDuration::from_secs(1);
const MAX: SignedDuration = SignedDuration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy)]
struct Entry {
    backoff: SignedDuration,
    last_update: Timestamp,
}

/// Per-key exponential delays between deletions of failed daemon pods.
#[derive(Debug, Default)]
pub struct Backoff {
    entries: HashMap<String, Entry>,
}

/// An entry untouched for twice the cap counts as stable and starts over.
fn expired(entry: &Entry, now: Timestamp) -> bool {
    now.duration_since(entry.last_update) > MAX * 2
}

pub fn key(ds_uid: &str, observed_generation: i64, node: &str) -> String {
    format!("{ds_uid}/{observed_generation}/{node}")
}

impl Backoff {
    /// While in backoff: the current delay (the caller requeues after it). `None` means the pod
    /// may be deleted now.
    pub fn in_backoff(&self, key: &str, now: Timestamp) -> Option<SignedDuration> {
        let entry = self.entries.get(key)?;
        if expired(entry, now) || now.duration_since(entry.last_update) >= entry.backoff {
            return None;
        }
        Some(entry.backoff)
    }

    /// Records a deletion: the delay starts at 1 s and doubles up to 15 min.
    pub fn next(&mut self, key: &str, now: Timestamp) {
        let backoff = match self.entries.get(key) {
            Some(e) if !expired(e, now) => (e.backoff * 2).min(MAX),
            _ => INITIAL,
        };
        self.entries.insert(
            key.to_string(),
            Entry {
                backoff,
                last_update: now,
            },
        );
    }

    /// Drops idle entries (the controller manager does this every minute).
    pub fn gc(&mut self, now: Timestamp) {
        self.entries.retain(|_, e| !expired(e, now));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        super::super::podutil::plus(Timestamp::UNIX_EPOCH, SignedDuration::from_secs(s))
    }

    #[test]
    fn doubles_and_caps_at_fifteen_minutes() {
        let mut b = Backoff::default();
        let k = key("u", 1, "n1");
        assert_eq!(b.in_backoff(&k, at(0)), None);
        b.next(&k, at(0));
        assert_eq!(b.in_backoff(&k, at(0)), Some(SignedDuration::from_secs(1)));
        assert_eq!(b.in_backoff(&k, at(1)), None);
        let mut t = 1;
        let mut delays = Vec::new();
        for _ in 0..12 {
            b.next(&k, at(t));
            let d = b
                .in_backoff(&k, at(t))
                .expect("in backoff right after next");
            delays.push(d.as_secs());
            t += d.as_secs();
        }
        assert_eq!(&delays[..5], &[2, 4, 8, 16, 32]);
        assert_eq!(*delays.last().expect("some"), 900);
    }

    #[test]
    fn idle_entries_expire() {
        let mut b = Backoff::default();
        let k = key("u", 1, "n1");
        b.next(&k, at(0));
        b.next(&k, at(1));
        b.gc(at(10));
        assert_eq!(b.len(), 1);
        b.gc(at(1 + 1801));
        assert!(b.is_empty());
    }
}
