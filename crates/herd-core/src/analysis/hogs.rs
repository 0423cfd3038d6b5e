//! Hogs and the DaemonSet tax: daemon pod usage against requests, limits and nodes, each
//! DaemonSet's footprint across the fleet, and what all DaemonSets together take from each node.
//!
//! Each resource of a pod is measured twice. Against its ceiling — the limit, or the node's
//! allocatable where no limit bounds it — nearing it means throttling, an OOM kill or a node
//! running short. Against its request, far above means the scheduler counted a fraction of
//! what the pod takes, and far below means room held that nothing uses. Usage within its
//! request never makes a pod a hog: it takes only what was set aside for it.

mod footprint;
mod tax;

use std::cmp::Ordering;
use std::sync::Arc;

use serde::Serialize;

pub use self::footprint::{Footprint, Worst, footprints};
pub use self::tax::{NodeTax, node_tax};
use super::by_node::NodeOrder;
use super::thresholds::{Fit, Level, Thresholds};
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::{Fleet, PodId};
use crate::model::pod::Pod;
use crate::model::resources::{self, Capacity, Resources, Usage};
use crate::model::usage::MetricsState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    pub const BOTH: [Resource; 2] = [Resource::Cpu, Resource::Memory];

    pub fn name(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }
}

/// What a usage figure is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    Request,
    Limit,
    /// The node's allocatable amount: the ceiling of a resource no limit bounds.
    Node,
}

impl Against {
    pub fn is_ceiling(self) -> bool {
        self != Against::Request
    }
}

/// One resource of one pod: millicores or bytes, summed over containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Utilization {
    pub usage: Option<i64>,
    /// Σ of the containers' requests that are set; `None` when no container sets one.
    pub request: Option<i64>,
    /// Σ of the containers' limits; `None` when any container runs without one (unbounded).
    pub limit: Option<i64>,
    /// What the pod's node offers to pods; `None` when the pod is on no known node or the node
    /// reports nothing. Kept here so that re-rating after a poll needs no node lookup (a node
    /// change redoes every rating).
    pub allocatable: Option<i64>,
}

impl Utilization {
    pub fn of_request(&self) -> Option<f64> {
        ratio(self.usage?, self.request?)
    }

    pub fn of_limit(&self) -> Option<f64> {
        ratio(self.usage?, self.limit?)
    }

    /// What usage runs into: the limit, else the node's allocatable.
    pub fn ceiling(&self) -> Option<(Against, i64)> {
        match (self.limit, self.allocatable) {
            (Some(limit), _) => Some((Against::Limit, limit)),
            (None, Some(node)) => Some((Against::Node, node)),
            (None, None) => None,
        }
    }

    /// Usage against [`Utilization::ceiling`].
    pub fn of_ceiling(&self) -> Option<(Against, f64)> {
        let (against, whole) = self.ceiling()?;
        Some((against, ratio(self.usage?, whole)?))
    }

    /// Usage beyond the request (any usage, when no request is set): only this part of a
    /// pod's use can make it a hog.
    pub fn above_request(&self) -> bool {
        self.usage
            .is_some_and(|usage| usage > self.request.unwrap_or(0))
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// One resource's usage as a multiple of what it is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measure {
    pub resource: Resource,
    pub against: Against,
    pub ratio: f64,
}

impl Measure {
    /// For a table cell: "mem 14× req", "cpu 92% of req", "mem 86% of limit", "cpu 85% of
    /// node".
    pub fn short(&self) -> String {
        let what = match self.resource {
            Resource::Cpu => "cpu",
            Resource::Memory => "mem",
        };
        let whole = match self.against {
            Against::Request => "req",
            Against::Limit => "limit",
            Against::Node => "node",
        };
        format!("{what} {}", ratio_of(self.ratio, whole))
    }

    /// In words, for a reason line: "memory at 14× its request", "cpu at 85% of its limit".
    pub fn describe(&self) -> String {
        let whole = match self.against {
            Against::Request => "its request",
            Against::Limit => "its limit",
            Against::Node => "its node's allocatable (no limit set)",
        };
        format!(
            "{} at {}",
            self.resource.name(),
            ratio_of(self.ratio, whole)
        )
    }
}

/// A ratio to `whole` as people say it: "92% of req" up to twice the whole, "14× req" from
/// there, where a percentage stops being read at a glance.
fn ratio_of(ratio: f64, whole: &str) -> String {
    use super::units::{percent, times};
    if ratio >= 2.0 {
        format!("{} {whole}", times(ratio))
    } else {
        format!("{} of {whole}", percent(ratio))
    }
}

/// One value per resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PerResource<T> {
    pub cpu: T,
    pub memory: T,
}

impl<T: Copy> PerResource<T> {
    pub fn get(&self, r: Resource) -> T {
        match r {
            Resource::Cpu => self.cpu,
            Resource::Memory => self.memory,
        }
    }
}

/// Per resource: does some container leave it unset.
pub type Unset = PerResource<bool>;

impl PerResource<bool> {
    pub fn any(self) -> bool {
        self.cpu || self.memory
    }
}

/// Where a pod stands among the fleet's daemon pods; [`Rank::worse`] orders them worst first.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Rank {
    pub level: Level,
    /// The figure that puts the pod where it is; `None` without usage.
    pub by: Option<Measure>,
}

impl Rank {
    /// `Greater` when `self` is worse: a higher level; at one level a pod pressed by a ceiling
    /// before one far above its request (a kill or a short node is nearer); then the larger
    /// ratio.
    pub fn worse(&self, other: &Rank) -> Ordering {
        let basis = |r: &Rank| r.by.map_or(0, |m| 1 + u8::from(m.against.is_ceiling()));
        let ratio = |r: &Rank| r.by.map_or(f64::NEG_INFINITY, |m| m.ratio);
        self.level
            .cmp(&other.level)
            .then_with(|| basis(self).cmp(&basis(other)))
            .then_with(|| ratio(self).total_cmp(&ratio(other)))
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
    /// Per resource, usage against its ceiling: throttling, an OOM kill or a short node
    /// ahead. `Ok` while usage is within the request, whatever the ceiling.
    pub ceiling: PerResource<Level>,
    /// Per resource, usage against its request.
    pub fit: PerResource<Fit>,
    pub oom_killed: bool,
    pub rank: Rank,
}

impl PodHog {
    /// Critical when OOM-killed or at the critical share of a ceiling; a warning near a
    /// ceiling or far above a request.
    pub fn level(&self) -> Level {
        self.rank.level
    }

    pub fn is_hog(&self) -> bool {
        self.level() >= Level::Warn
    }

    pub fn utilization(&self, r: Resource) -> &Utilization {
        match r {
            Resource::Cpu => &self.cpu,
            Resource::Memory => &self.memory,
        }
    }

    /// The resource nearest its ceiling, whether or not that counts against the pod.
    pub fn nearest_ceiling(&self) -> Option<Measure> {
        self.highest(|_, u| u.of_ceiling())
    }

    /// The resource furthest above its request (or least far below it).
    pub fn most_over_request(&self) -> Option<Measure> {
        self.highest(|_, u| u.of_request().map(|r| (Against::Request, r)))
    }

    /// The larger of the two resources' measures by `of`; CPU on a tie.
    fn highest(
        &self,
        of: impl Fn(Resource, &Utilization) -> Option<(Against, f64)>,
    ) -> Option<Measure> {
        Resource::BOTH
            .into_iter()
            .filter_map(|resource| {
                let (against, ratio) = of(resource, self.utilization(resource))?;
                Some(Measure {
                    resource,
                    against,
                    ratio,
                })
            })
            .fold(None, |best: Option<Measure>, m| match best {
                Some(b) if b.ratio >= m.ratio => Some(b),
                _ => Some(m),
            })
    }

    /// Why the pod ranks where it does, in words ("memory at 86% of its limit").
    pub fn reason(&self) -> String {
        let by = self.rank.by.map(|m| m.describe());
        match (self.oom_killed, by) {
            (true, Some(by)) => format!("OOM-killed; {by}"),
            (true, None) => "OOM-killed".to_string(),
            (false, Some(by)) => by,
            (false, None) => "no usage reported".to_string(),
        }
    }
}

/// Rates one pod; `usage` is `None` when metrics have nothing for it, `allocatable` when it
/// is on no node the fleet knows.
pub fn rate_pod(
    id: PodId,
    pod: &Pod,
    ds_uid: &Arc<str>,
    usage: Option<Usage>,
    allocatable: Option<Capacity>,
    t: &Thresholds,
) -> PodHog {
    let positive = |amount: i64| (amount > 0).then_some(amount);
    let mut cpu = utilization(pod, usage.map(|u| u.cpu_millis), |r| r.cpu_millis);
    cpu.allocatable = allocatable.and_then(|a| positive(a.cpu_millis));
    let mut memory = utilization(pod, usage.map(|u| u.memory_bytes), |r| r.memory_bytes);
    memory.allocatable = allocatable.and_then(|a| positive(a.memory_bytes));
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
        ceiling: PerResource::default(),
        fit: PerResource::default(),
        cpu,
        memory,
        oom_killed: pod.was_oom_killed(),
        rank: Rank::default(),
    };
    rate_usage(&mut hog, t);
    hog
}

/// The parts of a rating that follow from usage: the levels against the ceilings, the fit
/// against the requests, and the rank they give.
fn rate_usage(hog: &mut PodHog, t: &Thresholds) {
    let ceiling = |u: &Utilization| match u.of_ceiling() {
        Some((_, r)) if u.above_request() => t.level(r),
        _ => Level::Ok,
    };
    let fit = |u: &Utilization| u.of_request().map_or(Fit::Fits, |r| t.fit(r));
    hog.ceiling = PerResource {
        cpu: ceiling(&hog.cpu),
        memory: ceiling(&hog.memory),
    };
    hog.fit = PerResource {
        cpu: fit(&hog.cpu),
        memory: fit(&hog.memory),
    };
    hog.rank = rank(hog);
}

fn rank(hog: &PodHog) -> Rank {
    // The ceiling that counts: the nearest of the resources used beyond their request.
    let by_ceiling = hog.highest(|r, u| {
        (hog.ceiling.get(r) > Level::Ok)
            .then(|| u.of_ceiling())
            .flatten()
    });
    let ceiling_level = hog.ceiling.cpu.max(hog.ceiling.memory);
    let by_request = hog.most_over_request();
    let under = Resource::BOTH
        .into_iter()
        .any(|r| hog.fit.get(r) == Fit::UnderRequested);
    let request_level = if under { Level::Warn } else { Level::Ok };
    let oom_level = if hog.oom_killed {
        Level::Critical
    } else {
        Level::Ok
    };
    let level = ceiling_level.max(request_level).max(oom_level);
    let by = if ceiling_level > Level::Ok && ceiling_level >= request_level {
        by_ceiling
    } else if request_level > Level::Ok {
        by_request
    } else if hog.oom_killed {
        hog.nearest_ceiling().or(by_request)
    } else {
        // Not a hog: pods above their request come before those within it, and a pod that
        // requests nothing is measured against its ceiling.
        by_request.or_else(|| hog.nearest_ceiling())
    };
    Rank { level, by }
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
        allocatable: None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HogReport {
    pub metrics: MetricsState,
    /// Every live daemon pod, by DaemonSet (namespace/name order), then node name.
    pub pods: Vec<PodHog>,
    /// Worst first (see [`footprints`]).
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
    let mut rate = |ids: &[PodId], allocatable: Option<Capacity>| {
        for &id in ids {
            if let Some(pod) = fleet.pod(id).filter(|p| !p.phase.is_terminal()) {
                out.push(rate_pod(id, pod, &ds.uid, fleet.usage(id), allocatable, t));
            }
        }
    };
    let mut elsewhere = 0;
    order.spread(owned, table, |_| elsewhere += 1);
    // The table is in node order: each entry's node is at the same position in `nodes`.
    for (ids, node) in table.iter_mut().zip(order.nodes()) {
        rate(std::mem::take(ids), Some(node.allocatable));
    }
    if elsewhere > 0 {
        let mut unknown: Vec<_> = owned
            .nodes()
            .filter(|(n, _)| fleet.node(n).is_none())
            .collect();
        unknown.sort_by(|a, b| a.0.cmp(b.0));
        unknown.into_iter().for_each(|(_, ids)| rate(ids, None));
    }
    rate(owned.unplaced(), None);
}

pub fn analyze(fleet: &Fleet, t: &Thresholds) -> HogReport {
    let pods = rate_pods(fleet, t);
    HogReport {
        metrics: fleet.metrics().clone(),
        footprints: footprints(fleet, &pods, t),
        node_tax: node_tax(fleet, &pods),
        pods,
    }
}

#[cfg(test)]
mod tests;
