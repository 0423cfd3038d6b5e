//! The fleet's pod table: a slab of slim pods with name, owner and node indexes kept in step.

use std::sync::Arc;

use jiff::Timestamp;

use super::index::{NodeSlot, Owned, PodIndex};
use super::podset::PodId;
use super::vitals::PodVitals;
use crate::model::fasthash::FastMap;
use crate::model::pod::Pod;
use crate::model::resources::Usage;
use crate::model::usage::UsageHistory;

#[derive(Debug, Clone)]
struct Entry {
    pod: Pod,
    usage: Option<Box<UsageHistory>>,
}

#[derive(Debug, Clone, Default)]
struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct PodTable {
    slots: Vec<Slot>,
    /// By slot, in step with `slots`: what the engine reads of every pod, densely.
    vitals: Vec<PodVitals>,
    free: Vec<u32>,
    len: usize,
    by_name: FastMap<Arc<str>, FastMap<Arc<str>, PodId>>,
    index: PodIndex,
}

impl PodTable {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, id: PodId) -> Option<&Pod> {
        self.entry(id).map(|e| &e.pod)
    }

    /// The pod's vitals; `None` when the id is stale.
    pub fn vitals(&self, id: PodId) -> Option<&PodVitals> {
        self.vitals
            .get(id.index as usize)
            .filter(|v| v.present() && v.generation == id.generation)
    }

    pub fn id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.by_name.get(namespace)?.get(name).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (PodId, &Pod)> {
        self.slots.iter().enumerate().filter_map(|(i, slot)| {
            let id = PodId {
                index: i as u32,
                generation: slot.generation,
            };
            slot.entry.as_ref().map(|e| (id, &e.pod))
        })
    }

    pub fn owned_by(&self, owner_uid: &str) -> Option<Owned<'_>> {
        self.index.owned(owner_uid)
    }

    pub fn on_node(&self, node: &str) -> &[PodId] {
        self.index.on_node(node)
    }

    pub fn node_slot(&self, node: &str) -> Option<NodeSlot> {
        self.index.slot(node)
    }

    pub fn node_slot_count(&self) -> usize {
        self.index.slot_count()
    }

    pub fn usage_history(&self, id: PodId) -> Option<&UsageHistory> {
        self.entry(id)?.usage.as_deref()
    }

    /// Inserts or replaces the pod named like `pod`, keeping its usage history.
    pub fn upsert(&mut self, pod: Pod) -> PodId {
        match self.id(&pod.namespace, &pod.name) {
            Some(id) => {
                self.replace(id, pod);
                id
            }
            None => self.insert(pod, None),
        }
    }

    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<Pod> {
        let id = self.id(namespace, name)?;
        let entry = self.evict(id)?;
        if let Some(names) = self.by_name.get_mut(namespace) {
            names.remove(name);
            if names.is_empty() {
                self.by_name.remove(namespace);
            }
        }
        Some(entry.pod)
    }

    /// Empties `id`'s slot and unindexes its pod; the name map is the caller's.
    fn evict(&mut self, id: PodId) -> Option<Entry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = id.generation.wrapping_add(1);
        if let Some(v) = self.vitals.get_mut(id.index as usize) {
            *v = PodVitals::default();
        }
        self.free.push(id.index);
        self.len -= 1;
        self.index.remove(
            id,
            entry.pod.owner_uid.as_deref(),
            entry.pod.node.as_deref(),
        );
        Some(entry)
    }

    /// Adds a pod of a re-list being built (aside, part by part, or whole).
    pub fn add_listed(&mut self, pod: Pod) {
        self.insert(pod, None);
    }

    /// Takes over the usage history of the pods `old` also holds: the last step of a re-list,
    /// before it replaces `old`.
    pub fn adopt_usage(&mut self, old: &mut PodTable) {
        if old.len == 0 {
            return;
        }
        for slot in &mut self.slots {
            if let Some(entry) = &mut slot.entry {
                let pod = &entry.pod;
                entry.usage = old
                    .id(&pod.namespace, &pod.name)
                    .and_then(|id| old.entry_mut(id))
                    .and_then(|e| e.usage.take());
            }
        }
    }

    /// An empty table with its slab and name maps sized for `pods`: filled pod by pod from
    /// empty, a 150,000-pod list rehashes every map many times over.
    pub fn with_room_for(pods: &[Pod]) -> PodTable {
        let mut table = PodTable::default();
        table.slots.reserve(pods.len());
        table.vitals.reserve(pods.len());
        let mut per_namespace: FastMap<&Arc<str>, usize> = FastMap::default();
        for pod in pods {
            *per_namespace.entry(&pod.namespace).or_default() += 1;
        }
        for (namespace, count) in per_namespace {
            let mut names = FastMap::default();
            names.reserve(count);
            table.by_name.insert(Arc::clone(namespace), names);
        }
        table
    }

    /// Records a sample for the named pod; unknown pods are skipped (the pod list leads).
    pub fn record_usage(&mut self, namespace: &str, name: &str, at: Timestamp, usage: Usage) {
        let Some(entry) = self.id(namespace, name).and_then(|id| self.entry_mut(id)) else {
            return;
        };
        match &mut entry.usage {
            Some(history) => history.push(at, usage),
            None => entry.usage = Some(Box::new(UsageHistory::new(at, usage))),
        }
    }

    /// Adds `pod` under a new id. Should its name be taken already (a list that repeats a
    /// name), the later object wins, keeping the earlier one's usage if it brings none.
    fn insert(&mut self, pod: Pod, mut usage: Option<Box<UsageHistory>>) -> PodId {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot::default());
                self.vitals.push(PodVitals::default());
                (self.slots.len() - 1) as u32
            }
        };
        let id = PodId {
            index,
            generation: self.slots[index as usize].generation,
        };
        let taken = self
            .by_name
            .entry(Arc::clone(&pod.namespace))
            .or_default()
            .insert(Arc::clone(&pod.name), id);
        if let Some(earlier) = taken.and_then(|earlier| self.evict(earlier)) {
            usage = usage.or(earlier.usage);
        }
        self.index
            .insert(id, pod.owner_uid.as_ref(), pod.node.as_ref());
        self.vitals[index as usize] = PodVitals::of(&pod, id.generation);
        self.slots[index as usize].entry = Some(Entry { pod, usage });
        self.len += 1;
        id
    }

    fn replace(&mut self, id: PodId, pod: Pod) {
        let Some(old) = self.get(id) else {
            return;
        };
        if old.owner_uid != pod.owner_uid || old.node != pod.node {
            // Arc clones: the old keys live in `self`, which unindex mutates.
            let (owner, node) = (old.owner_uid.clone(), old.node.clone());
            self.index.remove(id, owner.as_deref(), node.as_deref());
            self.index
                .insert(id, pod.owner_uid.as_ref(), pod.node.as_ref());
        }
        if let Some(v) = self.vitals.get_mut(id.index as usize) {
            *v = PodVitals::of(&pod, id.generation);
        }
        if let Some(entry) = self.entry_mut(id) {
            entry.pod = pod;
        }
    }

    fn entry(&self, id: PodId) -> Option<&Entry> {
        let slot = self.slots.get(id.index as usize)?;
        (slot.generation == id.generation).then_some(slot.entry.as_ref())?
    }

    fn entry_mut(&mut self, id: PodId) -> Option<&mut Entry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        (slot.generation == id.generation).then_some(slot.entry.as_mut())?
    }
}
