//! Hogs and the DaemonSet tax: daemon pod usage against requests and limits, each DaemonSet's
//! footprint across the fleet, and what all DaemonSets together take from each node.

mod footprint;
mod tax;

use std::sync::Arc;

use serde::Serialize;

pub use self::footprint::{Footprint, Worst, footprints};
pub use self::tax::{NodeTax, node_tax};
use super::by_node::NodeOrder;
use super::thresholds::{Level, Thresholds};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::{Fleet, PodId};
use crate::model::pod::Pod;
use crate::model::resources::{self, Resources, Usage};
use crate::model::usage::MetricsState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Cpu,
    Memory,
}

/// One resource of one pod: millicores or bytes, summed over containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Utilization {
    pub usage: Option<i64>,
    /// Σ of the containers' requests that are set; `None` when no container sets one.
    pub request: Option<i64>,
    /// Σ of the containers' limits; `None` when any container runs without one (unbounded).
    pub limit: Option<i64>,
}

impl Utilization {
    pub fn of_request(&self) -> Option<f64> {
        ratio(self.usage?, self.request?)
    }

    pub fn of_limit(&self) -> Option<f64> {
        ratio(self.usage?, self.limit?)
    }

    /// Usage against the limit, or against the request where no limit bounds it.
    pub fn pressure(&self) -> Option<f64> {
        self.of_limit().or_else(|| self.of_request())
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Per resource: does some container leave it unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Unset {
    pub cpu: bool,
    pub memory: bool,
}

impl Unset {
    pub fn any(self) -> bool {
        self.cpu || self.memory
    }
}

/// One daemon pod's use of its node.
#[derive(Debug, Clone, PartialEq)]
pub struct PodHog {
    pub pod: PodId,
    pub ds_uid: Arc<str>,
    pub node: Option<Arc<str>>,
    pub cpu: Utilization,
    pub memory: Utilization,
    pub no_requests: Unset,
    pub no_limits: Unset,
    /// CPU usage against the limit: throttling ahead.
    pub cpu_level: Level,
    /// Memory usage against the limit: an OOM kill ahead.
    pub memory_level: Level,
    pub over_request: Unset,
    pub oom_killed: bool,
}

impl PodHog {
    /// The worst of the two limit levels; an OOM-killed pod is critical.
    pub fn level(&self) -> Level {
        let oom = if self.oom_killed {
            Level::Critical
        } else {
            Level::Ok
        };
        self.cpu_level.max(self.memory_level).max(oom)
    }

    /// Near or over a limit, or OOM-killed.
    pub fn is_hog(&self) -> bool {
        self.level() >= Level::Warn
    }

    /// The resource under most pressure and its ratio (see [`Utilization::pressure`]).
    pub fn pressure(&self) -> Option<(Resource, f64)> {
        let cpu = self.cpu.pressure().map(|r| (Resource::Cpu, r));
        let memory = self.memory.pressure().map(|r| (Resource::Memory, r));
        match (cpu, memory) {
            (Some(c), Some(m)) => Some(if m.1 >= c.1 { m } else { c }),
            (c, m) => c.or(m),
        }
    }
}

/// Rates one pod; `usage` is `None` when metrics have nothing for it.
pub fn rate_pod(
    id: PodId,
    pod: &Pod,
    ds_uid: &Arc<str>,
    usage: Option<Usage>,
    t: &Thresholds,
) -> PodHog {
    let cpu = utilization(pod, usage.map(|u| u.cpu_millis), |r| r.cpu_millis);
    let memory = utilization(pod, usage.map(|u| u.memory_bytes), |r| r.memory_bytes);
    let unset = |pick: fn(&Resources) -> Option<i64>, limits: bool| {
        pod.containers.iter().any(|c| {
            let r = if limits { &c.limits } else { &c.requests };
            pick(r).is_none()
        })
    };
    let mut hog = PodHog {
        pod: id,
        ds_uid: Arc::clone(ds_uid),
        node: pod.node.clone(),
        no_requests: Unset {
            cpu: unset(|r| r.cpu_millis, false),
            memory: unset(|r| r.memory_bytes, false),
        },
        no_limits: Unset {
            cpu: unset(|r| r.cpu_millis, true),
            memory: unset(|r| r.memory_bytes, true),
        },
        cpu_level: Level::Ok,
        memory_level: Level::Ok,
        over_request: Unset::default(),
        cpu,
        memory,
        oom_killed: pod.was_oom_killed(),
    };
    rate_usage(&mut hog, t);
    hog
}

/// The parts of a rating that follow from usage: the levels against the limits and whether
/// usage is over the request.
fn rate_usage(hog: &mut PodHog, t: &Thresholds) {
    let over = |u: &Utilization| u.usage.zip(u.request).is_some_and(|(use_, req)| use_ > req);
    hog.cpu_level = hog.cpu.of_limit().map_or(Level::Ok, |r| t.level(r));
    hog.memory_level = hog.memory.of_limit().map_or(Level::Ok, |r| t.level(r));
    hog.over_request = Unset {
        cpu: over(&hog.cpu),
        memory: over(&hog.memory),
    };
}

/// Rates `pods` (ratings of the fleet's pods as they are now) again with the fleet's latest
/// usage, in place: after a metrics poll only usage moved, and re-rating it alone touches no
/// pod spec, allocates nothing and clones no names.
pub fn rerate_usage(fleet: &Fleet, pods: &mut [PodHog], t: &Thresholds) {
    for hog in pods {
        let usage = fleet.usage(hog.pod);
        hog.cpu.usage = usage.map(|u| u.cpu_millis);
        hog.memory.usage = usage.map(|u| u.memory_bytes);
        rate_usage(hog, t);
    }
}

fn utilization(pod: &Pod, usage: Option<i64>, pick: fn(&Resources) -> Option<i64>) -> Utilization {
    // Folded, not collected: this runs for every daemon pod on every pass.
    let request = pod
        .containers
        .iter()
        .filter_map(|c| pick(&c.requests))
        .fold(None, |sum: Option<i64>, r| {
            Some(resources::sum(sum.unwrap_or(0), r))
        });
    // Saturating, as every sum of amounts is (`model::resources`): `sum` would panic in a
    // debug build and wrap in a release one.
    let limit = pod
        .containers
        .iter()
        .try_fold(0_i64, |sum, c| Some(resources::sum(sum, pick(&c.limits)?)))
        .filter(|_| !pod.containers.is_empty());
    Utilization {
        usage,
        request,
        limit,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HogReport {
    pub metrics: MetricsState,
    /// Every live daemon pod, by DaemonSet (namespace/name order), then node name.
    pub pods: Vec<PodHog>,
    /// Heaviest first.
    pub footprints: Vec<Footprint>,
    /// In node-name order.
    pub node_tax: Vec<NodeTax>,
}

/// Live daemon pods of every known DaemonSet, rated; in DaemonSet order, then node order.
pub fn rate_pods(fleet: &Fleet, t: &Thresholds) -> Vec<PodHog> {
    let order = NodeOrder::new(fleet);
    let mut table = order.table();
    let mut out = Vec::with_capacity(fleet.pod_count());
    for ds in fleet.daemon_sets() {
        rate_into(fleet, ds, &order, &mut table, t, &mut out);
    }
    out
}

/// One DaemonSet's live pods, rated, in node order: the slice of [`rate_pods`] it owns, for
/// a caller that redoes only the DaemonSets an event touched.
pub fn rate_daemon_set(fleet: &Fleet, ds: &DaemonSet, t: &Thresholds) -> Vec<PodHog> {
    let order = NodeOrder::new(fleet);
    let mut table = order.table();
    let mut out = Vec::new();
    rate_into(fleet, ds, &order, &mut table, t, &mut out);
    out
}

fn rate_into<'f>(
    fleet: &'f Fleet,
    ds: &DaemonSet,
    order: &NodeOrder<'f>,
    table: &mut [&'f [PodId]],
    t: &Thresholds,
    out: &mut Vec<PodHog>,
) {
    let Some(owned) = fleet.pods_of(&ds.uid) else {
        return;
    };
    let mut rate = |ids: &[PodId]| {
        for &id in ids {
            if let Some(pod) = fleet.pod(id).filter(|p| !p.phase.is_terminal()) {
                out.push(rate_pod(id, pod, &ds.uid, fleet.usage(id), t));
            }
        }
    };
    let mut elsewhere = 0;
    order.spread(owned, table, |_| elsewhere += 1);
    table.iter_mut().for_each(|ids| rate(std::mem::take(ids)));
    if elsewhere > 0 {
        let mut unknown: Vec<_> = owned
            .nodes()
            .filter(|(n, _)| fleet.node(n).is_none())
            .collect();
        unknown.sort_by(|a, b| a.0.cmp(b.0));
        unknown.into_iter().for_each(|(_, ids)| rate(ids));
    }
    rate(owned.unplaced());
}

pub fn analyze(fleet: &Fleet, t: &Thresholds) -> HogReport {
    let pods = rate_pods(fleet, t);
    HogReport {
        metrics: fleet.metrics().clone(),
        footprints: footprints(fleet, &pods),
        node_tax: node_tax(fleet, &pods),
        pods,
    }
}

#[cfg(test)]
mod tests;
