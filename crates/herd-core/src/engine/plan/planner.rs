//! [`Planner`]: plans over one snapshot of the fleet, with what every plan reads of the nodes
//! (their name order, which are down, which a DaemonSet's placement or a canary or partition
//! selector picks) read once and kept in a [`NodeCache`] until the nodes change. The engine
//! re-plans every managed DaemonSet on each fleet change; pods change far more often than
//! nodes, so a pass mostly walks each DaemonSet's pods and little else
//! (benches/engine_plan.rs).

use super::{Next, Plan, plan_with};
use crate::analysis::by_node::NodeOrder;
use crate::analysis::verdict;
use crate::engine::policy::Picked;
use crate::engine::record::RolloutRecord;
use crate::model::daemonset::{DaemonSet, Targeting};
use crate::model::fleet::{Fleet, NodeSlot};
use crate::model::node::Node;
use crate::model::selector::LabelSelector;

use jiff::Timestamp;

/// What plans read of the nodes, by a node's position in name order, kept between passes for
/// as long as the fleet's nodes and node slots stay as they are ([`Fleet::node_layout`]).
#[derive(Debug, Default)]
pub struct NodeCache {
    layout: Option<(u64, usize)>,
    /// By [`NodeSlot::index`]: the node's position in name order, `u32::MAX` for none.
    position: Vec<u32>,
    /// The node is down (NotReady, or tainted by a node condition).
    down: Vec<bool>,
    /// Selectors met so far, each with the nodes it picks: DaemonSets canaried by one zone
    /// or partitioned by one pool share the work.
    picked: Vec<(LabelSelector, Vec<bool>)>,
    /// Placements met so far (a DaemonSet's node selector, affinity and tolerations), each
    /// with the nodes that should run it: DaemonSets placed alike share the work.
    placed: Vec<(Targeting, Vec<bool>)>,
}

impl NodeCache {
    pub fn new() -> Self {
        NodeCache::default()
    }

    /// Forgets everything unless it was read from nodes laid out as `fleet`'s are.
    fn refresh(&mut self, fleet: &Fleet, nodes: &[&Node]) {
        let layout = fleet.node_layout();
        if self.layout == Some(layout) {
            return;
        }
        *self = NodeCache {
            layout: Some(layout),
            position: NodeOrder::new(fleet).into_positions(),
            down: nodes
                .iter()
                .map(|n| verdict::node_down(n).is_some())
                .collect(),
            picked: Vec::new(),
            placed: Vec::new(),
        };
    }

    fn pick(&mut self, nodes: &[&Node], sel: &LabelSelector) {
        if !self.picked.iter().any(|(known, _)| known == sel) {
            forget_if_full(&mut self.picked);
            let picks = nodes.iter().map(|n| sel.matches(&n.labels)).collect();
            self.picked.push((sel.clone(), picks));
        }
    }

    fn place(&mut self, nodes: &[&Node], targeting: &Targeting) {
        if !self.placed.iter().any(|(known, _)| known == targeting) {
            forget_if_full(&mut self.placed);
            let prepared = targeting.prepared();
            let runs = nodes
                .iter()
                .map(|n| prepared.should_run(&n.facts()))
                .collect();
            self.placed.push((targeting.clone(), runs));
        }
    }
}

/// How many selectors or placements a cache keeps: DaemonSets edited again and again while
/// the nodes stay put must not pile up entries (a full cache starts again).
const KEPT: usize = 64;

fn forget_if_full<T>(entries: &mut Vec<T>) {
    if entries.len() >= KEPT {
        entries.clear();
    }
}

/// Plans over one snapshot of `fleet`; see the module's comment.
pub struct Planner<'a> {
    pub(super) fleet: &'a Fleet,
    /// Every node, in name order.
    pub(super) nodes: Vec<&'a Node>,
    cache: &'a mut NodeCache,
}

impl<'a> Planner<'a> {
    pub fn new(fleet: &'a Fleet, cache: &'a mut NodeCache) -> Self {
        let nodes: Vec<&Node> = fleet.nodes().collect();
        cache.refresh(fleet, &nodes);
        Planner {
            fleet,
            nodes,
            cache,
        }
    }

    /// The fleet planned over.
    pub fn fleet(&self) -> &'a Fleet {
        self.fleet
    }

    /// The plan for `ds` under `record` at `now`, as [`super::plan`] makes it.
    pub fn plan(&mut self, ds: &DaemonSet, record: &RolloutRecord, now: Timestamp) -> Plan {
        let checked = match record.policy.check() {
            Ok(c) => c,
            Err(e) => {
                let mut out = Plan::nothing();
                out.next = Next::Halt {
                    reason: e.to_string(),
                    nodes: Vec::new(),
                };
                return out;
            }
        };
        for pick in [&checked.canary, &checked.partition] {
            if let Some(Picked::Selector(sel)) = pick {
                self.cache.pick(&self.nodes, sel);
            }
        }
        // Which nodes should run it is read from the fleet's copy, as coverage reads it.
        if let Some(placed) = self.fleet.daemon_set(&ds.uid) {
            self.cache.place(&self.nodes, &placed.targeting);
        }
        plan_with(self, ds, record, &checked, now)
    }

    /// The position in name order of the node with this slot, if the fleet has that node.
    pub(super) fn position(&self, slot: NodeSlot) -> Option<usize> {
        let at = self.cache.position.get(slot.index()).copied()?;
        (at != u32::MAX).then_some(at as usize)
    }

    pub(super) fn down(&self) -> &[bool] {
        &self.cache.down
    }

    /// The nodes `pick` picks by labels, by position; `None` for a pick by count or none.
    pub(super) fn picks(&self, pick: &Option<Picked>) -> Option<&[bool]> {
        let Some(Picked::Selector(sel)) = pick else {
            return None;
        };
        let found = self.cache.picked.iter().find(|(known, _)| known == sel);
        found.map(|(_, picks)| picks.as_slice())
    }

    /// The nodes that should run a DaemonSet placed by `targeting`, by position.
    pub(super) fn runs(&self, targeting: &Targeting) -> Option<&[bool]> {
        let found = self
            .cache
            .placed
            .iter()
            .find(|(known, _)| known == targeting);
        found.map(|(_, runs)| runs.as_slice())
    }
}
