//! One kind's objects, held in key order (the order lists are served in).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::key::Key;

/// One kind's objects in key order (the order lists are served in).
#[derive(Debug)]
pub struct Table<K> {
    pub(super) objects: BTreeMap<Key, Arc<K>>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table {
            objects: BTreeMap::new(),
        }
    }
}

impl<K> Table<K> {
    pub fn get(&self, key: &Key) -> Option<&Arc<K>> {
        self.objects.get(key)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Arc<K>)> {
        self.objects.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &Arc<K>> {
        self.objects.values()
    }

    /// Objects of one namespace, in name order.
    pub fn in_namespace<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a Arc<K>> + 'a {
        let start = Key::new(namespace, "");
        let ns = namespace.to_string();
        self.objects
            .range(start..)
            .take_while(move |(k, _)| k.namespace == ns)
            .map(|(_, v)| v)
    }

    /// Objects whose key sorts after `after` (for `continue` paging).
    pub fn after<'a>(&'a self, after: &Key) -> impl Iterator<Item = (&'a Key, &'a Arc<K>)> + 'a {
        use std::ops::Bound;
        self.objects
            .range((Bound::Excluded(after.clone()), Bound::Unbounded))
    }
}
