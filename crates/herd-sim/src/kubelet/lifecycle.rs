//! One pod's lifecycle on its kubelet: ContainerCreating -> Running -> Ready, pull errors, crash
//! loops, OOM kills and removal once terminating. Every transition time is derived from the pod's
//! status (plus pull retries), so a late step applies all transitions it missed, each at its own
//! simulated time, and writes the pod once.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Container, ContainerStatus, HostIP, Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::KubeletConfig;
use super::conditions;
use super::container::{self, Ctx, Pull, waiting};
use super::timing::{Purpose, after, seed};
use crate::events::{EventType, Subject};
use crate::store::{Key, StoreError};
use crate::world::World;

/// Transitions applied in one go before giving up (a guard against a zero-length cycle).
const MAX_TRANSITIONS: usize = 10_000;

/// When this pod's next transition (or removal) falls due; `None` when it has none.
pub(super) fn next_due(
    pod: &Pod,
    config: &KubeletConfig,
    pulls: Option<&std::collections::BTreeMap<String, Pull>>,
) -> Option<Timestamp> {
    if pod.metadata.deletion_timestamp.is_some() {
        return Some(removal_due(pod, config));
    }
    let Some(status) = pod.status.as_ref().filter(|s| s.start_time.is_some()) else {
        return Some(admit_due(pod, config));
    };
    if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return None;
    }
    let empty = Default::default();
    let pulls = pulls.unwrap_or(&empty);
    (0..containers(pod).len())
        .filter_map(|i| container::next(pod, status, i, config, pulls).map(|(t, _)| t))
        .min()
}

/// Runs the pod's due transitions (or removes it), writes it once, and re-arms its timer.
pub(super) fn sync_pod(world: &mut World, key: &Key, pod: &Pod, node: &str) {
    let now = world.now();
    if pod.metadata.deletion_timestamp.is_some() {
        if removal_due(pod, &world.config.kubelet) <= now {
            let stopping = containers(pod)
                .iter()
                .filter(|c| is_running(pod, &c.name))
                .map(|c| {
                    (
                        EventType::Normal,
                        "Killing",
                        format!("Stopping container {}", c.name),
                    )
                })
                .collect();
            record_events(world, pod, stopping);
            let uid = pod.metadata.uid.as_deref();
            let removed = world
                .store
                .delete::<Pod>(&key.namespace, &key.name, uid, None);
            // NotFound: someone else removed it first, as the status manager allows
            // (kubernetes/pkg/kubelet/status/status_manager.go).
            if let Err(e) = removed
                && !matches!(e, StoreError::NotFound { .. })
            {
                retry_pod(world, key);
            }
        } else {
            super::schedule_pod(world, key, pod);
        }
        return;
    }
    let World {
        kubelet, config, ..
    } = world;
    let Some(record) = kubelet.nodes.get_mut(node) else {
        return;
    };
    let floor = record.resumed_at;
    let node_ready = record.ready;
    let mut ctx = Ctx {
        config: &config.kubelet,
        record,
        pulls: kubelet.pulls.entry(key.clone()).or_default(),
        events: Vec::new(),
    };
    let mut status = pod.status.clone().unwrap_or_default();
    advance(&mut status, pod, &mut ctx, now, floor, node_ready);
    let events = std::mem::take(&mut ctx.events);
    if kubelet.pulls.get(key).is_some_and(|p| p.is_empty()) {
        kubelet.pulls.remove(key);
    }
    let written = if pod.status.as_ref() != Some(&status) {
        let mut updated = pod.clone();
        updated.status = Some(status);
        match world.store.update(updated) {
            Ok(written) => Some(written),
            Err(StoreError::NotFound { .. }) => None,
            Err(_) => {
                // The transitions are derived again on the retry; their events wait for it.
                retry_pod(world, key);
                return;
            }
        }
    } else {
        None
    };
    world.kubelet.pod_retries.forget(key);
    record_events(world, pod, events);
    super::schedule_pod(world, key, written.as_deref().unwrap_or(pod));
}

/// A refused write for the pod: counted, and the pod synced again after a backoff instead of
/// at its (already passed) transition time, as the status manager retries a failed update on
/// its next sync (kubernetes/pkg/kubelet/status/status_manager.go).
fn retry_pod(world: &mut World, key: &Key) {
    world.count_failure(super::COMPONENT);
    world.kubelet.due.cancel(key);
    let now = world.now();
    world.kubelet.pod_retries.add_rate_limited(key.clone(), now);
}

fn advance(
    status: &mut PodStatus,
    pod: &Pod,
    ctx: &mut Ctx<'_>,
    now: Timestamp,
    floor: Option<Timestamp>,
    node_ready: bool,
) {
    if status.start_time.is_none() {
        let due = admit_due(pod, ctx.config);
        if due > now {
            return;
        }
        let at = floor.map_or(due, |f| due.max(f));
        accept(status, pod, ctx, at);
        conditions::refresh(status, pod, at, node_ready);
    }
    for _ in 0..MAX_TRANSITIONS {
        let next = (0..containers(pod).len())
            .filter_map(|i| {
                container::next(pod, status, i, ctx.config, ctx.pulls).map(|(t, tr)| (t, i, tr))
            })
            .min_by_key(|(t, i, _)| (*t, *i));
        let Some((due, index, transition)) = next.filter(|(t, _, _)| *t <= now) else {
            break;
        };
        // Transitions missed while the kubelet was stopped happen when it comes back.
        let at = floor.map_or(due, |f| due.max(f));
        container::apply(status, pod, index, transition, at, ctx);
        conditions::refresh(status, pod, at, node_ready);
    }
    conditions::refresh(status, pod, now, node_ready);
}

/// The kubelet admits the pod: Pending, its containers waiting in ContainerCreating.
fn accept(status: &mut PodStatus, pod: &Pod, ctx: &mut Ctx<'_>, now: Timestamp) {
    status.start_time = Some(Time(now));
    status.phase = Some("Pending".into());
    status.host_ip = Some(ctx.record.host_ip.clone());
    status.host_ips = Some(vec![HostIP {
        ip: ctx.record.host_ip.clone(),
    }]);
    status.qos_class = Some(conditions::qos_class(pod).into());
    status.container_statuses = Some(
        containers(pod)
            .iter()
            .map(|c| ContainerStatus {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                image_id: String::new(),
                ready: false,
                restart_count: 0,
                started: Some(false),
                state: Some(waiting("ContainerCreating", None)),
                ..Default::default()
            })
            .collect(),
    );
}

fn removal_due(pod: &Pod, config: &KubeletConfig) -> Timestamp {
    let deadline = pod
        .metadata
        .deletion_timestamp
        .as_ref()
        .map_or(Timestamp::UNIX_EPOCH, |t| t.0);
    let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(0);
    let requested = after(deadline, SignedDuration::from_secs(-grace));
    let started = pod.status.as_ref().is_some_and(|s| s.start_time.is_some());
    if !started {
        return requested;
    }
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    after(
        requested,
        config.stop_delay.pick(seed(uid, 0, 0, Purpose::Stop)),
    )
    .min(deadline)
}

/// When the kubelet picks a new pod up: shortly after it was bound (or created bound).
fn admit_due(pod: &Pod, config: &KubeletConfig) -> Timestamp {
    let scheduled = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == "PodScheduled" && c.status == "True")
        })
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0);
    let since = scheduled.map_or(created(pod), |s| s.max(created(pod)));
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    after(
        since,
        config.admit_delay.pick(seed(uid, 0, 0, Purpose::Admit)),
    )
}

fn created(pod: &Pod) -> Timestamp {
    pod.metadata
        .creation_timestamp
        .as_ref()
        .map_or(Timestamp::UNIX_EPOCH, |t| t.0)
}

pub(crate) fn containers(pod: &Pod) -> &[Container] {
    pod.spec.as_ref().map_or(&[], |s| s.containers.as_slice())
}

/// Whether container `name` of `pod` is running.
fn is_running(pod: &Pod, name: &str) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|all| all.iter().find(|c| c.name == name))
        .and_then(|c| c.state.as_ref())
        .is_some_and(|s| s.running.is_some())
}

fn record_events(world: &mut World, pod: &Pod, events: Vec<(EventType, &'static str, String)>) {
    // While a scenario builds its fleet, the Normal events of every start would long have
    // expired in a real cluster (as the scheduler's binds, which the same flag quiets).
    let quiet = world.scheduler.quiet_binds;
    let events: Vec<_> = events
        .into_iter()
        .filter(|(kind, ..)| !(quiet && *kind == EventType::Normal))
        .collect();
    if events.is_empty() {
        return;
    }
    let subject = Subject {
        kind: "Pod",
        api_version: "v1",
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        uid: pod.metadata.uid.clone().unwrap_or_default(),
    };
    for (kind, reason, message) in events {
        world.record_event(&subject, kind, "kubelet", reason, message);
    }
}
