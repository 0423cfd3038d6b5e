//! The fleet's nodes in name order with a slot → position table, so a pass lays one owner's
//! pods out by node in one scan of its index instead of a hash lookup per (owner, node).

use crate::model::fleet::{Fleet, Owned, PodId};
use crate::model::node::Node;

/// No node in the list has this slot (its pods target a node the fleet does not know).
const ELSEWHERE: u32 = u32::MAX;

pub(crate) struct NodeOrder<'a> {
    nodes: Vec<&'a Node>,
    /// By [`crate::model::fleet::NodeSlot::index`]: the node's position in `nodes`.
    position: Vec<u32>,
}

impl<'a> NodeOrder<'a> {
    pub fn new(fleet: &'a Fleet) -> Self {
        let nodes: Vec<&Node> = fleet.nodes().collect();
        let mut position = vec![ELSEWHERE; fleet.node_slot_count()];
        for (i, node) in nodes.iter().enumerate() {
            if let Some(slot) = fleet.node_slot(&node.name) {
                position[slot.index()] = i as u32;
            }
        }
        NodeOrder { nodes, position }
    }

    /// Every node, in name order.
    pub fn nodes(&self) -> &[&'a Node] {
        &self.nodes
    }

    /// By [`crate::model::fleet::NodeSlot::index`]: the node's position in name order,
    /// `u32::MAX` for a slot whose node the fleet does not have.
    pub fn into_positions(self) -> Vec<u32> {
        self.position
    }

    /// A table for [`NodeOrder::spread`]: one empty entry per node.
    pub fn table(&self) -> Vec<&'a [PodId]> {
        vec![&[]; self.nodes.len()]
    }

    /// Puts each of `owned`'s per-node pod lists at its node's position in `table` (from
    /// [`NodeOrder::table`], all entries empty) and hands the lists of nodes not in the list
    /// to `elsewhere`. The caller takes the entries back out (`std::mem::take`) as it walks.
    pub fn spread(
        &self,
        owned: Owned<'a>,
        table: &mut [&'a [PodId]],
        mut elsewhere: impl FnMut(&'a [PodId]),
    ) {
        for (slot, ids) in owned.slots() {
            let at = self.position.get(slot.index()).copied();
            match at.and_then(|i| table.get_mut(i as usize)) {
                Some(entry) => *entry = ids,
                None => elsewhere(ids),
            }
        }
    }
}
