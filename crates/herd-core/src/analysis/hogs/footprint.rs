//! Each DaemonSet's footprint across the fleet: Σ requests, Σ usage, its worst pod, a ranking.

use std::sync::Arc;

use super::{PodHog, Resource};
use crate::analysis::thresholds::Level;
use crate::model::fasthash::FastMap;
use crate::model::fleet::{Fleet, PodId};
use crate::model::resources::Totals;

/// The pod of a DaemonSet under most pressure (usage against limit, else request).
#[derive(Debug, Clone, PartialEq)]
pub struct Worst {
    pub node: Option<Arc<str>>,
    pub pod: PodId,
    pub resource: Resource,
    pub ratio: f64,
    pub level: Level,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    pub ds_uid: Arc<str>,
    pub pods: u32,
    pub requests: Totals,
    /// Σ usage over the pods metrics reported (`measured_pods` of them).
    pub usage: Totals,
    pub measured_pods: u32,
    pub worst: Option<Worst>,
    pub hogs: u32,
    pub oom_killed: u32,
    pub without_requests: u32,
    pub without_limits: u32,
    /// The ranking key: the largest share of the fleet's allocatable CPU or memory this
    /// DaemonSet requests or uses.
    pub weight: f64,
}

impl Footprint {
    fn empty(ds_uid: &Arc<str>) -> Self {
        Footprint {
            ds_uid: Arc::clone(ds_uid),
            pods: 0,
            requests: Totals::default(),
            usage: Totals::default(),
            measured_pods: 0,
            worst: None,
            hogs: 0,
            oom_killed: 0,
            without_requests: 0,
            without_limits: 0,
            weight: 0.0,
        }
    }

    fn add(&mut self, hog: &PodHog) {
        self.pods += 1;
        self.requests
            .add_amounts(hog.cpu.request, hog.memory.request);
        if let (Some(cpu), Some(memory)) = (hog.cpu.usage, hog.memory.usage) {
            self.usage.add(Totals {
                cpu_millis: cpu,
                memory_bytes: memory,
            });
            self.measured_pods += 1;
        }
        self.hogs += u32::from(hog.is_hog());
        self.oom_killed += u32::from(hog.oom_killed);
        self.without_requests += u32::from(hog.no_requests.any());
        self.without_limits += u32::from(hog.no_limits.any());
        if let Some((resource, ratio)) = hog.pressure()
            && self.worst.as_ref().is_none_or(|w| ratio > w.ratio)
        {
            self.worst = Some(Worst {
                node: hog.node.clone(),
                pod: hog.pod,
                resource,
                ratio,
                level: hog.level(),
            });
        }
    }
}

/// One footprint per known DaemonSet, heaviest first (ties keep namespace/name order).
pub fn footprints(fleet: &Fleet, pods: &[PodHog]) -> Vec<Footprint> {
    let mut list: Vec<Footprint> = fleet
        .daemon_sets()
        .map(|d| Footprint::empty(&d.uid))
        .collect();
    let index: FastMap<Arc<str>, usize> = list
        .iter()
        .enumerate()
        .map(|(i, f)| (Arc::clone(&f.ds_uid), i))
        .collect();
    // Pods come grouped by DaemonSet: look the uid up only when it changes.
    let mut last: Option<(&Arc<str>, Option<usize>)> = None;
    for hog in pods {
        let slot = match last {
            Some((uid, slot)) if Arc::ptr_eq(uid, &hog.ds_uid) => slot,
            _ => index.get(&hog.ds_uid).copied(),
        };
        last = Some((&hog.ds_uid, slot));
        if let Some(f) = slot.and_then(|i| list.get_mut(i)) {
            f.add(hog);
        }
    }
    let mut total = Totals::default();
    for node in fleet.nodes() {
        total.add_amounts(
            Some(node.allocatable.cpu_millis),
            Some(node.allocatable.memory_bytes),
        );
    }
    for f in &mut list {
        f.weight = weight(f, total);
    }
    list.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    list
}

fn weight(f: &Footprint, total: Totals) -> f64 {
    let share = |part: i64, whole: i64| {
        if whole > 0 {
            part as f64 / whole as f64
        } else {
            0.0
        }
    };
    [
        share(f.requests.cpu_millis, total.cpu_millis),
        share(f.requests.memory_bytes, total.memory_bytes),
        share(f.usage.cpu_millis, total.cpu_millis),
        share(f.usage.memory_bytes, total.memory_bytes),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}
