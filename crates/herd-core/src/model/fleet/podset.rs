//! A small set of pod ids that stays inline for the common one-pod-per-node case.

use serde::Serialize;

/// A pod's place in the fleet's table. The generation makes an id of a deleted pod dangle
/// instead of silently naming the pod that reused its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PodId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

/// Pod ids in insertion order; one id needs no heap allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PodSet {
    #[default]
    Empty,
    One(PodId),
    Many(Vec<PodId>),
}

impl PodSet {
    pub fn insert(&mut self, id: PodId) {
        match self {
            PodSet::Empty => *self = PodSet::One(id),
            PodSet::One(existing) if *existing == id => {}
            PodSet::One(existing) => *self = PodSet::Many(vec![*existing, id]),
            PodSet::Many(ids) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }

    pub fn remove(&mut self, id: PodId) {
        match self {
            PodSet::One(existing) if *existing == id => *self = PodSet::Empty,
            PodSet::Many(ids) => {
                ids.retain(|x| *x != id);
                if let [only] = ids.as_slice() {
                    *self = PodSet::One(*only);
                }
            }
            _ => {}
        }
    }

    pub fn as_slice(&self) -> &[PodId] {
        match self {
            PodSet::Empty => &[],
            PodSet::One(id) => std::slice::from_ref(id),
            PodSet::Many(ids) => ids,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }
}
