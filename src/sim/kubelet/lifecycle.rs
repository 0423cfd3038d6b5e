//! One pod's lifecycle on its kubelet: ContainerCreating -> Running -> Ready, pull errors, crash
//! loops, OOM kills and removal once terminating. Every transition time is derived from the pod's
//! status (plus pull retries), so a late step applies all transitions it missed, each at its own
//! simulated time, and writes the pod once.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::conditions;
use super::image::{Behaviour, image_id};
use super::node_status::is_ready;
use super::timing::{Purpose, after, hash_str, seed};
use super::{KubeletConfig, NodeRecord};
use crate::sim::events::{EventType, Subject};
use crate::sim::store::Key;
use crate::sim::world::World;

/// Transitions applied in one go before giving up (a guard against a zero-length cycle).
const MAX_TRANSITIONS: usize = 10_000;

/// Image pull attempts of a `pullerror` container: the one fact its status does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pull {
    attempts: u32,
    since: Timestamp,
}

/// Where a container is, read from its status.
enum Stage {
    Creating,
    PullFailed { backing_off: bool },
    Running { started: Timestamp },
    BackOff { finished: Timestamp },
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transition {
    Start,
    ShowPullBackOff,
    RetryPull,
    TurnReady,
    Crash,
    OomKill,
    Restart,
}

/// What a pass over one pod needs besides the pod.
struct Ctx<'a> {
    config: &'a KubeletConfig,
    record: &'a mut NodeRecord,
    pulls: &'a mut BTreeMap<String, Pull>,
    events: Vec<(EventType, &'static str, String)>,
}

/// When this pod's next transition (or removal) falls due; `None` when it has none.
pub(super) fn next_due(
    pod: &Pod,
    config: &KubeletConfig,
    pulls: Option<&BTreeMap<String, Pull>>,
) -> Option<Timestamp> {
    if pod.metadata.deletion_timestamp.is_some() {
        return Some(removal_due(pod, config));
    }
    let Some(status) = pod.status.as_ref().filter(|s| s.start_time.is_some()) else {
        // Not accepted yet: due at once.
        return Some(created(pod));
    };
    if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return None;
    }
    let empty = BTreeMap::new();
    let pulls = pulls.unwrap_or(&empty);
    containers(pod)
        .iter()
        .enumerate()
        .filter_map(|(i, c)| container_next(pod, status, i, c, config, pulls).map(|(t, _)| t))
        .min()
}

/// Runs the pod's due transitions (or removes it), writes it once, and re-arms its timer.
pub(super) fn sync_pod(world: &mut World, key: &Key, pod: &Pod, node: &str) {
    let now = world.now();
    if pod.metadata.deletion_timestamp.is_some() {
        if removal_due(pod, &world.config.kubelet) <= now {
            let uid = pod.metadata.uid.as_deref();
            let _ = world.store.delete::<Pod>(&key.namespace, &key.name, uid, None);
        } else {
            super::schedule_pod(world, key, pod);
        }
        return;
    }
    let node_ready = world.store.get("", node).is_some_and(|n| is_ready(n));
    let World {
        kubelet, config, ..
    } = world;
    let Some(record) = kubelet.nodes.get_mut(node) else {
        return;
    };
    let floor = record.resumed_at;
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
    let mut written = pod.clone();
    if pod.status.as_ref() != Some(&status) {
        written.status = Some(status);
        if let Ok(stored) = world.store.update(written.clone()) {
            written = stored.as_ref().clone();
        }
    }
    record_events(world, pod, events);
    super::schedule_pod(world, key, &written);
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
        accept(status, pod, ctx, now);
    }
    for _ in 0..MAX_TRANSITIONS {
        let next = containers(pod)
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                container_next(pod, status, i, c, ctx.config, ctx.pulls).map(|(t, tr)| (t, i, tr))
            })
            .min_by_key(|(t, i, _)| (*t, *i));
        let Some((due, index, transition)) = next.filter(|(t, _, _)| *t <= now) else {
            break;
        };
        // Transitions missed while the kubelet was stopped happen when it comes back.
        let at = floor.map_or(due, |f| due.max(f));
        apply(status, pod, index, transition, at, ctx);
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

fn container_next(
    pod: &Pod,
    status: &PodStatus,
    index: usize,
    container: &Container,
    config: &KubeletConfig,
    pulls: &BTreeMap<String, Pull>,
) -> Option<(Timestamp, Transition)> {
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    let start = status.start_time.as_ref().map_or(created(pod), |t| t.0);
    let cs = container_status(status, &container.name);
    let behaviour = Behaviour::of(container.image.as_deref().unwrap_or(""));
    let run = cs.map_or(0, |c| c.restart_count);
    match cs.map_or(Stage::Creating, stage) {
        Stage::Creating => Some((
            after(start, config.create_delay.pick(seed(uid, index, 0, Purpose::Create))),
            Transition::Start,
        )),
        Stage::PullFailed { backing_off } => {
            let pull = pulls.get(&container.name).copied().unwrap_or(Pull {
                attempts: 1,
                since: start,
            });
            if backing_off {
                let wait = config.pull_backoff.after(pull.attempts.saturating_sub(1));
                Some((after(pull.since, wait), Transition::RetryPull))
            } else {
                let s = seed(uid, index, pull.attempts as i32, Purpose::PullError);
                let shown = config.pull_error_visible.pick(s);
                Some((after(pull.since, shown), Transition::ShowPullBackOff))
            }
        }
        Stage::Running { started } => {
            let ready = cs.is_some_and(|c| c.ready);
            let mut next: Option<(Timestamp, Transition)> = None;
            let mut consider = |delay: SignedDuration, tr: Transition| {
                let t = after(started, delay);
                if next.is_none_or(|(n, _)| t < n) {
                    next = Some((t, tr));
                }
            };
            if behaviour == Behaviour::CrashLoop {
                consider(config.crash_after.pick(seed(uid, index, run, Purpose::Crash)), Transition::Crash);
            }
            if behaviour == Behaviour::Leak && memory_limit(container).is_some() {
                consider(leak_to_oom(config, uid, index, run), Transition::OomKill);
            }
            if !ready && behaviour.turns_ready() {
                consider(config.ready_delay.pick(seed(uid, index, run, Purpose::Ready)), Transition::TurnReady);
            }
            next
        }
        Stage::BackOff { finished } => {
            let wait = config.restart_backoff.after(run.max(0) as u32);
            Some((after(finished, wait), Transition::Restart))
        }
        Stage::Done => None,
    }
}

/// How long a `leak` container takes from its start to passing its memory limit.
pub fn leak_to_oom(config: &KubeletConfig, uid: &str, container: usize, run: i32) -> SignedDuration {
    config
        .leak_to_oom
        .pick(seed(uid, container, run, Purpose::Leak))
}

fn apply(status: &mut PodStatus, pod: &Pod, index: usize, tr: Transition, at: Timestamp, ctx: &mut Ctx<'_>) {
    let container = &containers(pod)[index];
    let image = container.image.clone().unwrap_or_default();
    if tr == Transition::Start && status.pod_ip.is_none() {
        let host_network = pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
        let ip = if host_network {
            ctx.record.host_ip.clone()
        } else {
            ctx.record.next_pod_ip()
        };
        status.pod_ips = Some(vec![PodIP { ip: ip.clone() }]);
        status.pod_ip = Some(ip);
    }
    let Some(cs) = container_status_mut(status, container) else {
        return;
    };
    let pull_failed = |attempts| {
        let message = format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found (simulated: the tag says pullerror)");
        (Pull { attempts, since: at }, message)
    };
    match tr {
        Transition::Start if Behaviour::of(&image) == Behaviour::PullError => {
            let (pull, message) = pull_failed(1);
            cs.state = Some(waiting("ErrImagePull", Some(message.clone())));
            ctx.pulls.insert(container.name.clone(), pull);
            ctx.events.push((EventType::Warning, "Failed", message));
        }
        Transition::RetryPull => {
            let attempts = ctx.pulls.get(&container.name).map_or(1, |p| p.attempts) + 1;
            let (pull, message) = pull_failed(attempts);
            cs.state = Some(waiting("ErrImagePull", Some(message.clone())));
            ctx.pulls.insert(container.name.clone(), pull);
            ctx.events.push((EventType::Warning, "Failed", message));
        }
        Transition::ShowPullBackOff => {
            let message = format!("Back-off pulling image \"{image}\"");
            cs.state = Some(waiting("ImagePullBackOff", Some(message.clone())));
            if let Some(p) = ctx.pulls.get_mut(&container.name) {
                p.since = at;
            }
            ctx.events.push((EventType::Normal, "BackOff", message));
        }
        Transition::Start => start(cs, pod, index, &image, at),
        Transition::Restart => {
            cs.restart_count += 1;
            start(cs, pod, index, &image, at);
        }
        Transition::TurnReady => cs.ready = true,
        Transition::Crash | Transition::OomKill => {
            let (code, reason) = if tr == Transition::Crash { (1, "Error") } else { (137, "OOMKilled") };
            if terminate(cs, pod, ctx.config, code, reason, at) {
                let meta = &pod.metadata;
                let message = format!(
                    "Back-off restarting failed container {} in pod {}_{}({})",
                    container.name,
                    meta.name.as_deref().unwrap_or(""),
                    meta.namespace.as_deref().unwrap_or(""),
                    meta.uid.as_deref().unwrap_or("")
                );
                ctx.events.push((EventType::Warning, "BackOff", message));
            }
        }
    }
}

fn start(cs: &mut ContainerStatus, pod: &Pod, index: usize, image: &str, at: Timestamp) {
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    let id = hash_str(&format!("{uid}/{index}/{}", cs.restart_count));
    cs.state = Some(ContainerState {
        running: Some(ContainerStateRunning {
            started_at: Some(Time(at)),
        }),
        ..Default::default()
    });
    cs.ready = false;
    cs.started = Some(true);
    cs.image_id = image_id(image);
    cs.container_id = Some(format!("containerd://{id:016x}{:016x}", id.rotate_left(21)));
}

/// Ends the container's run; true when it will be restarted after a back-off.
fn terminate(
    cs: &mut ContainerStatus,
    pod: &Pod,
    config: &KubeletConfig,
    exit_code: i32,
    reason: &str,
    at: Timestamp,
) -> bool {
    let started_at = cs
        .state
        .as_ref()
        .and_then(|s| s.running.as_ref())
        .and_then(|r| r.started_at.clone());
    let terminated = ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code,
            reason: Some(reason.to_string()),
            started_at,
            finished_at: Some(Time(at)),
            container_id: cs.container_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    cs.ready = false;
    cs.started = Some(false);
    let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref());
    let restarts = match policy {
        Some("Never") => false,
        Some("OnFailure") => exit_code != 0,
        _ => true,
    };
    if !restarts {
        cs.state = Some(terminated);
        return false;
    }
    cs.last_state = Some(terminated);
    let wait = config.restart_backoff.after(cs.restart_count.max(0) as u32);
    let meta = &pod.metadata;
    let message = format!(
        "back-off {} restarting failed container={} pod={}_{}({})",
        human(wait),
        cs.name,
        meta.name.as_deref().unwrap_or(""),
        meta.namespace.as_deref().unwrap_or(""),
        meta.uid.as_deref().unwrap_or("")
    );
    cs.state = Some(waiting("CrashLoopBackOff", Some(message)));
    true
}

/// "10s", "2m40s", "5m0s", as Go prints durations.
fn human(d: SignedDuration) -> String {
    let s = d.as_secs();
    if s < 60 { format!("{s}s") } else { format!("{}m{}s", s / 60, s % 60) }
}

fn stage(cs: &ContainerStatus) -> Stage {
    let Some(state) = cs.state.as_ref() else {
        return Stage::Creating;
    };
    if let Some(running) = &state.running {
        return Stage::Running {
            started: running.started_at.as_ref().map_or(Timestamp::UNIX_EPOCH, |t| t.0),
        };
    }
    if state.terminated.is_some() {
        return Stage::Done;
    }
    match state.waiting.as_ref().and_then(|w| w.reason.as_deref()) {
        Some("ErrImagePull") => Stage::PullFailed { backing_off: false },
        Some("ImagePullBackOff") => Stage::PullFailed { backing_off: true },
        Some("CrashLoopBackOff") => Stage::BackOff {
            finished: cs
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.finished_at.as_ref())
                .map_or(Timestamp::UNIX_EPOCH, |t| t.0),
        },
        _ => Stage::Creating,
    }
}

fn waiting(reason: &str, message: Option<String>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_string()),
            message,
        }),
        ..Default::default()
    }
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
    after(requested, config.stop_delay.pick(seed(uid, 0, 0, Purpose::Stop))).min(deadline)
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

fn container_status<'a>(status: &'a PodStatus, name: &str) -> Option<&'a ContainerStatus> {
    status.container_statuses.as_ref()?.iter().find(|c| c.name == name)
}

fn container_status_mut<'a>(status: &'a mut PodStatus, container: &Container) -> Option<&'a mut ContainerStatus> {
    let list = status.container_statuses.get_or_insert_with(Vec::new);
    if !list.iter().any(|c| c.name == container.name) {
        list.push(ContainerStatus {
            name: container.name.clone(),
            image: container.image.clone().unwrap_or_default(),
            ..Default::default()
        });
    }
    list.iter_mut().find(|c| c.name == container.name)
}

pub fn memory_limit(container: &Container) -> Option<i64> {
    let q = container.resources.as_ref()?.limits.as_ref()?.get("memory")?;
    crate::model::quantity::Quantity::parse(&q.0).ok().map(|q| q.value())
}

fn record_events(world: &mut World, pod: &Pod, events: Vec<(EventType, &'static str, String)>) {
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
