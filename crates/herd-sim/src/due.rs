//! A due-time queue with one pending time per key, so a component's quiet step costs one peek
//! instead of a scan of every object.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use jiff::Timestamp;

/// Keys waiting for a moment of simulated time; rescheduling a key replaces its time.
#[derive(Debug)]
pub struct DueSet<K: Ord + Hash + Clone> {
    at: HashMap<K, Timestamp>,
    queue: BTreeSet<(Timestamp, K)>,
}

impl<K: Ord + Hash + Clone> Default for DueSet<K> {
    fn default() -> Self {
        DueSet {
            at: HashMap::new(),
            queue: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Hash + Clone> DueSet<K> {
    /// Sets `key` due at `when`, replacing any earlier or later time it had.
    pub fn schedule(&mut self, key: K, when: Timestamp) {
        if let Some(old) = self.at.insert(key.clone(), when) {
            if old == when {
                return;
            }
            self.queue.remove(&(old, key.clone()));
        }
        self.queue.insert((when, key));
    }

    /// Sets `key` due at `when` unless it is already due sooner.
    pub fn schedule_by(&mut self, key: K, when: Timestamp) {
        match self.at.get(&key) {
            Some(old) if *old <= when => {}
            _ => self.schedule(key, when),
        }
    }

    pub fn cancel(&mut self, key: &K) {
        if let Some(old) = self.at.remove(key) {
            self.queue.remove(&(old, key.clone()));
        }
    }

    /// The earliest key due at or before `now`, removed from the queue, with its due time.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, K)> {
        let first = self.queue.first()?;
        if first.0 > now {
            return None;
        }
        let (when, key) = self.queue.pop_first()?;
        self.at.remove(&key);
        Some((when, key))
    }

    pub fn due_at(&self, key: &K) -> Option<Timestamp> {
        self.at.get(key).copied()
    }

    /// When the next key falls due.
    pub fn next(&self) -> Option<Timestamp> {
        self.queue.first().map(|(t, _)| *t)
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn pops_in_time_order_and_reschedules_replace() {
        let t0 = Timestamp::UNIX_EPOCH;
        let at = |s| t0 + SignedDuration::from_secs(s);
        let mut due = DueSet::default();
        due.schedule("a", at(5));
        due.schedule("b", at(3));
        due.schedule("a", at(1));
        due.schedule_by("b", at(9));
        assert_eq!(due.len(), 2);
        assert_eq!(due.pop_due(at(0)), None);
        assert_eq!(due.pop_due(at(4)), Some((at(1), "a")));
        assert_eq!(due.pop_due(at(4)), Some((at(3), "b")));
        assert!(due.is_empty());
    }
}
