//! Shares repeated values (namespaces, node names, owner uids, hashes, images, container specs)
//! so 150,000 pod records hold pointers instead of copies.

use std::hash::Hash;
use std::sync::Arc;

use crate::model::fasthash::FastSet;

/// A set of canonical `Arc`s: equal values end up pointing at one allocation.
#[derive(Debug)]
pub struct Interner<T: ?Sized + Eq + Hash> {
    set: FastSet<Arc<T>>,
    /// Size right after the last purge; see [`Interner::maybe_purge`].
    kept: usize,
}

impl<T: ?Sized + Eq + Hash> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            set: FastSet::default(),
            kept: 0,
        }
    }
}

impl<T: ?Sized + Eq + Hash> Interner<T> {
    /// Points `slot` at the canonical copy of its value, adopting it when it is new.
    pub fn intern(&mut self, slot: &mut Arc<T>) {
        match self.set.get(&**slot) {
            Some(canonical) => {
                if !Arc::ptr_eq(canonical, slot) {
                    *slot = Arc::clone(canonical);
                }
            }
            None => {
                self.set.insert(Arc::clone(slot));
            }
        }
    }

    pub fn intern_opt(&mut self, slot: &mut Option<Arc<T>>) {
        if let Some(value) = slot {
            self.intern(value);
        }
    }

    /// The canonical copy of `value`, if any record uses it.
    pub fn get(&self, value: &T) -> Option<&Arc<T>> {
        self.set.get(value)
    }

    /// Forgets values no record points at any more (only the interner holds them).
    pub fn purge(&mut self) {
        self.set.retain(|value| Arc::strong_count(value) > 1);
        self.kept = self.set.len();
    }

    /// Purges once the set has doubled since the last purge, so values of deleted objects
    /// (old node names, ReplicaSet uids, revision hashes) cannot pile up between re-lists,
    /// at an amortised O(1) per call.
    pub fn maybe_purge(&mut self) {
        if self.set.len() > 2 * self.kept.max(1024) {
            self.purge();
        }
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_allocation_and_purge_drops_unused_ones() {
        let mut interner = Interner::<str>::default();
        let mut a: Arc<str> = Arc::from("node-1");
        let mut b: Arc<str> = Arc::from("node-1");
        interner.intern(&mut a);
        interner.intern(&mut b);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(interner.len(), 1);
        drop(a);
        interner.purge();
        assert_eq!(interner.len(), 1, "b still uses it");
        drop(b);
        interner.purge();
        assert!(interner.is_empty());
    }

    #[test]
    fn unused_values_are_dropped_once_the_set_has_doubled() {
        let mut interner = Interner::<str>::default();
        let mut held = Vec::new();
        for i in 0..3000 {
            let mut value: Arc<str> = Arc::from(format!("uid-{i}").as_str());
            interner.intern(&mut value);
            if i < 10 {
                held.push(value);
            }
            interner.maybe_purge();
        }
        assert!(interner.len() <= 2049, "{} kept", interner.len());
        interner.purge();
        assert_eq!(interner.len(), held.len());
    }
}
