//! Wording of coverage rows, and the "which resource, by how much" detail of unschedulable pods.

use std::fmt;

use jiff::Timestamp;

use super::{Reason, Status};
use crate::analysis::units;
use crate::model::fleet::{Fleet, PodId};
use crate::model::resources::Totals;

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Reason {
    /// One line for a person; `now` turns timestamps into ages.
    pub fn describe(&self, now: Timestamp) -> String {
        let age = |t: &Timestamp| units::age(now.duration_since(*t));
        match self {
            Reason::None => String::new(),
            Reason::Scheduling => "waiting for the scheduler".into(),
            Reason::Unschedulable { message } => format!("unschedulable: {message}"),
            Reason::ContainerCreating => "container creating".into(),
            Reason::ImagePull { reason } => format!("image pull failing ({reason})"),
            Reason::Starting { .. } => "started, not Ready yet".into(),
            Reason::CrashLoop { restarts } => format!("crash loop ({restarts} restarts)"),
            Reason::OomKilled { restarts } => format!("OOM-killed ({restarts} restarts)"),
            Reason::ContainerError { reason } => format!("container error ({reason})"),
            Reason::NotReady { since: Some(t) } => format!("running, not Ready for {}", age(t)),
            Reason::NotReady { since: None } => "running, not Ready".into(),
            Reason::Finished { phase } => format!("pod {phase:?}, waiting for replacement"),
            Reason::Terminating { since } if *since > now => "terminating".into(),
            Reason::Terminating { since } => format!("terminating for {}", age(since)),
            Reason::Missing { since: Some(t) } => format!("no pod for {}", age(t)),
            Reason::Missing { since: None } => "no pod".into(),
            Reason::Excluded(exclusions) => exclusions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortResource {
    Cpu,
    Memory,
    Pods,
    Other(String),
}

/// One resource the scheduler found insufficient for a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub resource: ShortResource,
    /// What the pod asks for (millicores, bytes, pods); `None` for resources herd does not track.
    pub requested: Option<i64>,
    /// Allocatable minus the requests of the other pods herd sees on the node. With a
    /// namespace-limited watch herd does not see every pod, so this is an upper bound.
    pub free: Option<i64>,
}

impl Shortfall {
    pub fn short_by(&self) -> Option<i64> {
        Some(self.requested?.saturating_sub(self.free?)).filter(|d| *d > 0)
    }
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let amount = |v: i64| match self.resource {
            ShortResource::Cpu => units::cpu(v),
            ShortResource::Memory => units::memory(v),
            _ => v.to_string(),
        };
        let name = match &self.resource {
            ShortResource::Cpu => "cpu",
            ShortResource::Memory => "memory",
            ShortResource::Pods => "pods",
            ShortResource::Other(name) => name,
        };
        match (self.requested, self.free) {
            (Some(req), Some(free)) => {
                write!(
                    f,
                    "{name}: needs {}, {} free",
                    amount(req),
                    amount(free.max(0))
                )?;
                match self.short_by() {
                    Some(short) => write!(f, " ({} short)", amount(short)),
                    None => Ok(()),
                }
            }
            _ => write!(f, "insufficient {name}"),
        }
    }
}

/// The resources an unschedulable pod's message names, with the amounts herd can see.
/// Empty when the pod is not unschedulable or the message names no resource.
pub fn shortfalls(fleet: &Fleet, pod_id: PodId) -> Vec<Shortfall> {
    let Some(pod) = fleet.pod(pod_id) else {
        return Vec::new();
    };
    let Some(message) = pod.unschedulable.as_deref() else {
        return Vec::new();
    };
    let resources = named_resources(message);
    if resources.is_empty() {
        return Vec::new();
    }
    let node = pod.node.as_deref().and_then(|n| fleet.node(n));
    let (used, used_pods) = node.map_or((Totals::default(), 0), |n| {
        used_on(fleet, &n.name, Some(pod_id))
    });
    let wanted = pod.requests();
    resources
        .into_iter()
        .map(|resource| {
            let (requested, free) = match (&resource, node) {
                (ShortResource::Cpu, Some(n)) => (
                    Some(wanted.cpu_millis),
                    Some(n.allocatable.cpu_millis.saturating_sub(used.cpu_millis)),
                ),
                (ShortResource::Memory, Some(n)) => (
                    Some(wanted.memory_bytes),
                    Some(n.allocatable.memory_bytes.saturating_sub(used.memory_bytes)),
                ),
                (ShortResource::Pods, Some(n)) => {
                    (Some(1), Some(n.allocatable.pods.saturating_sub(used_pods)))
                }
                _ => (None, None),
            };
            Shortfall {
                resource,
                requested,
                free,
            }
        })
        .collect()
}

/// Requests and count of the live pods bound to the node, but `except`: what the scheduler
/// counts against the node's allocatable. With only daemon pods watched, the node's other pods
/// count as last read (none when never read: see [`Fleet::others_wanted`]).
pub fn used_on(fleet: &Fleet, node: &str, except: Option<PodId>) -> (Totals, i64) {
    let mut used = Totals::default();
    let mut count = 0;
    let watched = fleet.pods_on(node).iter().filter(|id| Some(**id) != except);
    for pod in watched
        .filter_map(|id| fleet.pod(*id))
        .filter(|p| p.occupies_node())
    {
        used.add(pod.requests());
        count += 1;
    }
    for other in fleet.unwatched_others_on(node) {
        used.add(other.requests);
        count += 1;
    }
    (used, count)
}

/// "0/3 nodes are available: 1 Insufficient cpu, 2 Too many pods." -> [Cpu, Pods].
fn named_resources(message: &str) -> Vec<ShortResource> {
    let mut found = Vec::new();
    for (i, _) in message.match_indices("Insufficient ") {
        let rest = &message[i + "Insufficient ".len()..];
        // Resource names may hold dots (nvidia.com/gpu); the sentence's own period trails.
        let end = rest.find([',', ' ']).unwrap_or(rest.len());
        let resource = match rest[..end].trim_end_matches('.') {
            "cpu" => ShortResource::Cpu,
            "memory" => ShortResource::Memory,
            "pods" => ShortResource::Pods,
            other => ShortResource::Other(other.to_string()),
        };
        if !found.contains(&resource) {
            found.push(resource);
        }
    }
    if message.contains("Too many pods") && !found.contains(&ShortResource::Pods) {
        found.push(ShortResource::Pods);
    }
    found
}
