//! The pod indexes: by owner and target node, and by target node alone. Node names map to
//! dense slots once, so the coverage pass looks pods up by number instead of hashing names.

use std::sync::Arc;

use super::podset::{PodId, PodSet};
use crate::model::fasthash::FastMap;

/// A node name's number in the pod indexes (stable until the next pod re-list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeSlot(u32);

impl NodeSlot {
    /// A dense number below [`crate::model::Fleet::node_slot_count`], for tables indexed by slot.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The pods one controller owns, by target node.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnerPods {
    by_node: FastMap<u32, PodSet>,
    /// Owned pods with no target node yet (ignored by the DaemonSet controller's status).
    unplaced: PodSet,
}

impl OwnerPods {
    fn is_empty(&self) -> bool {
        self.by_node.is_empty() && self.unplaced.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct PodIndex {
    slots: FastMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
    by_owner: FastMap<Arc<str>, OwnerPods>,
    by_node: Vec<PodSet>,
}

impl PodIndex {
    pub fn slot(&self, node: &str) -> Option<NodeSlot> {
        self.slots.get(node).copied().map(NodeSlot)
    }

    fn slot_or_insert(&mut self, node: &Arc<str>) -> u32 {
        if let Some(&slot) = self.slots.get(&**node) {
            return slot;
        }
        let slot = self.names.len() as u32;
        self.names.push(Arc::clone(node));
        self.by_node.push(PodSet::Empty);
        self.slots.insert(Arc::clone(node), slot);
        slot
    }

    pub fn insert(&mut self, id: PodId, owner: Option<&Arc<str>>, node: Option<&Arc<str>>) {
        let slot = node.map(|n| self.slot_or_insert(n));
        if let Some(owner) = owner {
            let owned = self.by_owner.entry(Arc::clone(owner)).or_default();
            match slot {
                Some(slot) => owned.by_node.entry(slot).or_default().insert(id),
                None => owned.unplaced.insert(id),
            }
        }
        if let Some(slot) = slot {
            self.by_node[slot as usize].insert(id);
        }
    }

    pub fn remove(&mut self, id: PodId, owner: Option<&str>, node: Option<&str>) {
        let slot = node.and_then(|n| self.slots.get(n).copied());
        if let Some(owner) = owner
            && let Some(owned) = self.by_owner.get_mut(owner)
        {
            match slot {
                Some(slot) => {
                    if let Some(set) = owned.by_node.get_mut(&slot) {
                        set.remove(id);
                        if set.is_empty() {
                            owned.by_node.remove(&slot);
                        }
                    }
                }
                None => owned.unplaced.remove(id),
            }
            if owned.is_empty() {
                self.by_owner.remove(owner);
            }
        }
        if let Some(slot) = slot {
            self.by_node[slot as usize].remove(id);
        }
    }

    /// How many node slots exist (every slot is below this).
    pub fn slot_count(&self) -> usize {
        self.names.len()
    }

    pub fn on_node(&self, node: &str) -> &[PodId] {
        self.slot(node)
            .map_or(&[], |NodeSlot(s)| self.by_node[s as usize].as_slice())
    }

    pub fn owned(&self, owner: &str) -> Option<Owned<'_>> {
        let pods = self.by_owner.get(owner)?;
        Some(Owned { index: self, pods })
    }
}

/// The pods one controller owns, by target node.
#[derive(Debug, Clone, Copy)]
pub struct Owned<'a> {
    index: &'a PodIndex,
    pods: &'a OwnerPods,
}

impl<'a> Owned<'a> {
    pub fn on(&self, node: &str) -> &'a [PodId] {
        self.index.slot(node).map_or(&[], |slot| self.at(slot))
    }

    /// [`Owned::on`] for a node slot from [`crate::model::Fleet::node_slot`].
    pub fn at(&self, NodeSlot(slot): NodeSlot) -> &'a [PodId] {
        self.pods.by_node.get(&slot).map_or(&[], PodSet::as_slice)
    }

    /// Every target node holding at least one owned pod, with those pods (unordered).
    pub fn nodes(&self) -> impl Iterator<Item = (&'a Arc<str>, &'a [PodId])> + 'a {
        let names = &self.index.names;
        self.pods
            .by_node
            .iter()
            .map(move |(slot, set)| (&names[*slot as usize], set.as_slice()))
    }

    /// [`Owned::nodes`] by slot: one scan of the owner's index, no name lookups.
    pub fn slots(&self) -> impl Iterator<Item = (NodeSlot, &'a [PodId])> + 'a {
        self.pods
            .by_node
            .iter()
            .map(|(slot, set)| (NodeSlot(*slot), set.as_slice()))
    }

    /// How many target nodes hold owned pods.
    pub fn node_count(&self) -> usize {
        self.pods.by_node.len()
    }

    /// Owned pods with no target node yet (the DaemonSet controller's status ignores them).
    pub fn unplaced(&self) -> &'a [PodId] {
        self.pods.unplaced.as_slice()
    }
}
