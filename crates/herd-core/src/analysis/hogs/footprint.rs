//! Each DaemonSet's footprint across the fleet: Σ requests, Σ usage and how they compare, its
//! worst pod, what it leaves unset, and the order the Hogs view lists DaemonSets in.

use std::sync::Arc;

use super::{Measure, PerResource, PodHog, Rank, Resource};
use crate::analysis::thresholds::{Fit, Level, Thresholds};
use crate::model::fasthash::FastMap;
use crate::model::fleet::{Fleet, PodId};
use crate::model::resources::Totals;

/// The DaemonSet's pod that ranks worst ([`Rank::worse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Worst {
    pub node: Option<Arc<str>>,
    pub pod: PodId,
    pub level: Level,
    /// What ranks it there; `None` when metrics had nothing for it.
    pub by: Option<Measure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    pub ds_uid: Arc<str>,
    pub pods: u32,
    pub requests: Totals,
    /// Σ usage over the pods metrics reported (`measured_pods` of them).
    pub usage: Totals,
    pub measured_pods: u32,
    /// Σ requests of the measured pods: what `usage` is compared with, so that pods without
    /// metrics do not look like idle requests.
    pub measured_requests: Totals,
    pub worst: Option<Worst>,
    pub hogs: u32,
    pub oom_killed: u32,
    /// Per resource, pods with a container that leaves its request or limit unset.
    pub without_requests: PerResource<u32>,
    pub without_limits: PerResource<u32>,
    /// Per resource, Σ usage against Σ request.
    pub fit: PerResource<Fit>,
    /// The ranking key after the worst pod's level: how far Σ usage is from Σ request, either
    /// way, as the largest share of the fleet's allocatable CPU or memory. Usage above its
    /// request is capacity the scheduler did not count; below it, capacity held idle.
    pub waste: f64,
}

impl Footprint {
    fn empty(ds_uid: &Arc<str>) -> Self {
        Footprint {
            ds_uid: Arc::clone(ds_uid),
            pods: 0,
            requests: Totals::default(),
            usage: Totals::default(),
            measured_pods: 0,
            measured_requests: Totals::default(),
            worst: None,
            hogs: 0,
            oom_killed: 0,
            without_requests: PerResource::default(),
            without_limits: PerResource::default(),
            fit: PerResource::default(),
            waste: 0.0,
        }
    }

    /// Σ usage as a multiple of Σ request, over the measured pods; `None` when they request
    /// nothing.
    pub fn of_request(&self, r: Resource) -> Option<f64> {
        let (usage, request) = match r {
            Resource::Cpu => (self.usage.cpu_millis, self.measured_requests.cpu_millis),
            Resource::Memory => (self.usage.memory_bytes, self.measured_requests.memory_bytes),
        };
        (self.measured_pods > 0 && request > 0).then(|| usage as f64 / request as f64)
    }

    /// The resource whose Σ usage is furthest from its Σ request, either way (a factor of 4
    /// under is as far as a factor of 4 over).
    pub fn furthest_from_request(&self) -> Option<Measure> {
        let distance = |ratio: f64| ratio.max(f64::MIN_POSITIVE).ln().abs();
        Resource::BOTH
            .into_iter()
            .filter_map(|resource| {
                Some(Measure {
                    resource,
                    against: super::Against::Request,
                    ratio: self.of_request(resource)?,
                })
            })
            .fold(None, |best: Option<Measure>, m| match best {
                Some(b) if distance(b.ratio) >= distance(m.ratio) => Some(b),
                _ => Some(m),
            })
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
            self.measured_requests
                .add_amounts(hog.cpu.request, hog.memory.request);
            self.measured_pods += 1;
        }
        self.hogs += u32::from(hog.is_hog());
        self.oom_killed += u32::from(hog.oom_killed);
        let count = |n: &mut PerResource<u32>, unset: PerResource<bool>| {
            n.cpu += u32::from(unset.cpu);
            n.memory += u32::from(unset.memory);
        };
        count(&mut self.without_requests, hog.no_requests);
        count(&mut self.without_limits, hog.no_limits);
        let rank = hog.rank;
        let worse = |w: &Worst| {
            let theirs = Rank {
                level: w.level,
                by: w.by,
            };
            rank.worse(&theirs).is_gt()
        };
        // A pod with nothing to rank it by says nothing about the DaemonSet, unless it was
        // OOM-killed.
        let telling = rank.by.is_some() || rank.level > Level::Ok;
        if telling && self.worst.as_ref().is_none_or(worse) {
            self.worst = Some(Worst {
                node: hog.node.clone(),
                pod: hog.pod,
                level: rank.level,
                by: rank.by,
            });
        }
    }

    fn level(&self) -> Level {
        self.worst.as_ref().map_or(Level::Ok, |w| w.level)
    }
}

/// One footprint per known DaemonSet, worst first: by the level of its worst pod (an OOM kill
/// or a pod at its ceiling, then pods near one or far above their request), then by waste;
/// ties keep namespace/name order.
pub fn footprints(fleet: &Fleet, pods: &[PodHog], t: &Thresholds) -> Vec<Footprint> {
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
        let fit = |r: Resource| f.of_request(r).map_or(Fit::Fits, |ratio| t.fit(ratio));
        f.fit = PerResource {
            cpu: fit(Resource::Cpu),
            memory: fit(Resource::Memory),
        };
        f.waste = waste(f, total);
    }
    list.sort_by(|a, b| {
        b.level()
            .cmp(&a.level())
            .then_with(|| b.waste.total_cmp(&a.waste))
    });
    list
}

fn waste(f: &Footprint, total: Totals) -> f64 {
    // In floating point: the difference of two saturated sums must not overflow either.
    let share = |usage: i64, request: i64, whole: i64| {
        if whole > 0 {
            (usage as f64 - request as f64).abs() / whole as f64
        } else {
            0.0
        }
    };
    let (usage, request) = (f.usage, f.measured_requests);
    share(usage.cpu_millis, request.cpu_millis, total.cpu_millis).max(share(
        usage.memory_bytes,
        request.memory_bytes,
        total.memory_bytes,
    ))
}
