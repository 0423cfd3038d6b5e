//! The DaemonSet tax per node: what all daemon pods together request and use of its allocatable.

use std::sync::Arc;

use super::PodHog;
use crate::model::fasthash::FastMap;
use crate::model::fleet::Fleet;
use crate::model::resources::{Capacity, Totals};

#[derive(Debug, Clone, PartialEq)]
pub struct NodeTax {
    pub node: Arc<str>,
    pub allocatable: Capacity,
    pub daemon_pods: u32,
    pub requests: Totals,
    /// Σ usage over the daemon pods metrics reported; `None` when none was reported.
    pub usage: Option<Totals>,
    /// Shares of allocatable; `None` when the node reports no allocatable amount.
    pub cpu_request_share: Option<f64>,
    pub memory_request_share: Option<f64>,
    pub cpu_usage_share: Option<f64>,
    pub memory_usage_share: Option<f64>,
}

/// One entry per node, in node-name order, from rated daemon pods.
pub fn node_tax(fleet: &Fleet, pods: &[PodHog]) -> Vec<NodeTax> {
    let mut list: Vec<NodeTax> = fleet
        .nodes()
        .map(|n| NodeTax {
            node: Arc::clone(&n.name),
            allocatable: n.allocatable,
            daemon_pods: 0,
            requests: Totals::default(),
            usage: None,
            cpu_request_share: None,
            memory_request_share: None,
            cpu_usage_share: None,
            memory_usage_share: None,
        })
        .collect();
    let index: FastMap<Arc<str>, usize> = list
        .iter()
        .enumerate()
        .map(|(i, t)| (Arc::clone(&t.node), i))
        .collect();
    // The fleet interns names, so a pod's node is usually the node's own Arc: find it by
    // address first, which spares hashing and comparing the name for every pod.
    let by_address: FastMap<usize, usize> = list
        .iter()
        .enumerate()
        .map(|(i, t)| (address(&t.node), i))
        .collect();
    for hog in pods {
        let Some(node) = &hog.node else {
            continue;
        };
        let found = by_address
            .get(&address(node))
            .filter(|&&i| list.get(i).is_some_and(|t| Arc::ptr_eq(&t.node, node)))
            .or_else(|| index.get(node));
        let Some(tax) = found.copied().and_then(|i| list.get_mut(i)) else {
            continue;
        };
        tax.daemon_pods += 1;
        tax.requests
            .add_amounts(hog.cpu.request, hog.memory.request);
        if let (Some(cpu), Some(memory)) = (hog.cpu.usage, hog.memory.usage) {
            tax.usage.get_or_insert_default().add(Totals {
                cpu_millis: cpu,
                memory_bytes: memory,
            });
        }
    }
    list.iter_mut().for_each(fill_shares);
    list
}

fn address(name: &Arc<str>) -> usize {
    Arc::as_ptr(name).cast::<u8>() as usize
}

fn fill_shares(tax: &mut NodeTax) {
    let share = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    let alloc = tax.allocatable;
    tax.cpu_request_share = share(tax.requests.cpu_millis, alloc.cpu_millis);
    tax.memory_request_share = share(tax.requests.memory_bytes, alloc.memory_bytes);
    tax.cpu_usage_share = tax
        .usage
        .and_then(|u| share(u.cpu_millis, alloc.cpu_millis));
    tax.memory_usage_share = tax
        .usage
        .and_then(|u| share(u.memory_bytes, alloc.memory_bytes));
}
