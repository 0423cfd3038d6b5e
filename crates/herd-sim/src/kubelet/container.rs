//! One container's run on its kubelet: when its next transition falls due (read from its
//! status) and what that transition does: start, turn Ready, fail its image pull and back
//! off, crash or be OOM-killed, and restart after CrashLoopBackOff.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, Pod, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::image::{Behaviour, image_id};
use super::lifecycle::containers;
use super::timing::{Purpose, after, hash_str, seed};
use super::{KubeletConfig, NodeRecord};
use crate::events::EventType;
use herd_core::model::quantity::Quantity;

/// Image pull attempts of a `pullerror` container: the one fact its status does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pull {
    attempts: u32,
    since: Timestamp,
}

/// What a pass over one pod needs besides the pod.
pub(super) struct Ctx<'a> {
    pub config: &'a KubeletConfig,
    pub record: &'a mut NodeRecord,
    pub pulls: &'a mut BTreeMap<String, Pull>,
    pub events: Vec<(EventType, &'static str, String)>,
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
pub(super) enum Transition {
    Start,
    ShowPullBackOff,
    RetryPull,
    TurnReady,
    Crash,
    OomKill,
    Restart,
}

/// The container's next transition and when it falls due; `None` once it has exited for good.
pub(super) fn next(
    pod: &Pod,
    status: &PodStatus,
    index: usize,
    config: &KubeletConfig,
    pulls: &BTreeMap<String, Pull>,
) -> Option<(Timestamp, Transition)> {
    let container = &containers(pod)[index];
    let uid = pod.metadata.uid.as_deref().unwrap_or("");
    let start = status
        .start_time
        .as_ref()
        .map_or(Timestamp::UNIX_EPOCH, |t| t.0);
    let cs = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == container.name);
    let run = cs.map_or(0, |c| c.restart_count);
    match cs.map_or(Stage::Creating, stage) {
        Stage::Creating => {
            let delay = config
                .create_delay
                .pick(seed(uid, index, 0, Purpose::Create));
            Some((after(start, delay), Transition::Start))
        }
        Stage::PullFailed { backing_off } => {
            let pull = pulls.get(&container.name).copied().unwrap_or(Pull {
                attempts: 1,
                since: start,
            });
            Some(pull_next(pull, backing_off, uid, index, config))
        }
        Stage::Running { started } => {
            let ready = cs.is_some_and(|c| c.ready);
            running_next(container, uid, index, run, ready, config)
                .map(|(d, t)| (after(started, d), t))
        }
        Stage::BackOff { finished } => {
            let wait = config.restart_backoff.after(run.max(0) as u32);
            Some((after(finished, wait), Transition::Restart))
        }
        Stage::Done => None,
    }
}

/// ErrImagePull shows briefly, then ImagePullBackOff until the next attempt.
fn pull_next(
    pull: Pull,
    backing_off: bool,
    uid: &str,
    index: usize,
    config: &KubeletConfig,
) -> (Timestamp, Transition) {
    if backing_off {
        let wait = config.pull_backoff.after(pull.attempts.saturating_sub(1));
        (after(pull.since, wait), Transition::RetryPull)
    } else {
        let s = seed(uid, index, pull.attempts as i32, Purpose::PullError);
        let shown = config.pull_error_visible.pick(s);
        (after(pull.since, shown), Transition::ShowPullBackOff)
    }
}

/// The first of a running container's pending events, as a delay after its start.
fn running_next(
    container: &Container,
    uid: &str,
    index: usize,
    run: i32,
    ready: bool,
    config: &KubeletConfig,
) -> Option<(SignedDuration, Transition)> {
    let behaviour = Behaviour::of(container.image.as_deref().unwrap_or(""));
    let crash = (behaviour == Behaviour::CrashLoop).then(|| {
        let delay = config
            .crash_after
            .pick(seed(uid, index, run, Purpose::Crash));
        (delay, Transition::Crash)
    });
    let oom = (behaviour == Behaviour::Leak && memory_limit(container).is_some())
        .then(|| (leak_to_oom(config, uid, index, run), Transition::OomKill));
    let turn_ready = (!ready && behaviour.turns_ready()).then(|| {
        let delay = config
            .ready_delay
            .pick(seed(uid, index, run, Purpose::Ready));
        (delay, Transition::TurnReady)
    });
    [crash, oom, turn_ready]
        .into_iter()
        .flatten()
        .min_by_key(|(d, _)| *d)
}

/// How long a `leak` container takes from its start to passing its memory limit.
pub fn leak_to_oom(
    config: &KubeletConfig,
    uid: &str,
    container: usize,
    run: i32,
) -> SignedDuration {
    config
        .leak_to_oom
        .pick(seed(uid, container, run, Purpose::Leak))
}

/// A container's memory limit in bytes, if it has one.
pub fn memory_limit(container: &Container) -> Option<i64> {
    let q = container
        .resources
        .as_ref()?
        .limits
        .as_ref()?
        .get("memory")?;
    Quantity::parse(&q.0).ok().map(|q| q.value())
}

/// Applies one transition of container `index` at `at`.
pub(super) fn apply(
    status: &mut PodStatus,
    pod: &Pod,
    index: usize,
    tr: Transition,
    at: Timestamp,
    ctx: &mut Ctx<'_>,
) {
    let container = &containers(pod)[index];
    let image = container.image.clone().unwrap_or_default();
    if tr == Transition::Start && status.pod_ip.is_none() {
        assign_ip(status, pod, ctx.record);
    }
    let cs = status_of(status, container);
    let pulling = tr == Transition::Start && Behaviour::of(&image) == Behaviour::PullError;
    match tr {
        _ if pulling => {
            ctx.events.push(pulling_event(&image));
            pull_failed(cs, &image, 1, at, ctx)
        }
        Transition::RetryPull => {
            let attempts = ctx.pulls.get(&container.name).map_or(1, |p| p.attempts) + 1;
            ctx.events.push(pulling_event(&image));
            pull_failed(cs, &image, attempts, at, ctx);
        }
        Transition::ShowPullBackOff => {
            let message = format!("Back-off pulling image \"{image}\"");
            cs.state = Some(waiting("ImagePullBackOff", Some(message.clone())));
            if let Some(p) = ctx.pulls.get_mut(&container.name) {
                p.since = at;
            }
            ctx.events.push((EventType::Normal, "BackOff", message));
        }
        Transition::Start => {
            // The first start pulls the image (kubelet's image manager, then the runtime's
            // create and start: kubernetes/pkg/kubelet/kuberuntime/kuberuntime_container.go).
            let uid = pod.metadata.uid.as_deref().unwrap_or("");
            let took = 400 + seed(uid, index, 0, Purpose::Pull) % 4_600;
            let size = 20_000_000 + seed(uid, index, 1, Purpose::Pull) % 180_000_000;
            let secs = format!("{}.{:03}s", took / 1000, took % 1000);
            ctx.events.push(pulling_event(&image));
            ctx.events.push((
                EventType::Normal,
                "Pulled",
                format!(
                    "Successfully pulled image \"{image}\" in {secs} ({secs} including waiting). Image size: {size} bytes."
                ),
            ));
            ctx.events.extend(started_events(&container.name));
            start(cs, pod, index, &image, at)
        }
        Transition::Restart => {
            cs.restart_count += 1;
            ctx.events.push((
                EventType::Normal,
                "Pulled",
                format!("Container image \"{image}\" already present on machine"),
            ));
            ctx.events.extend(started_events(&container.name));
            start(cs, pod, index, &image, at);
        }
        Transition::TurnReady => cs.ready = true,
        Transition::Crash | Transition::OomKill => {
            let (code, reason) = match tr {
                Transition::Crash => (1, "Error"),
                _ => (137, "OOMKilled"),
            };
            if terminate(cs, pod, ctx.config, code, reason, at) {
                let message = format!(
                    "Back-off restarting failed container {} in pod {}",
                    container.name,
                    pod_ref(pod)
                );
                ctx.events.push((EventType::Warning, "BackOff", message));
            }
        }
    }
}

fn pulling_event(image: &str) -> (EventType, &'static str, String) {
    (
        EventType::Normal,
        "Pulling",
        format!("Pulling image \"{image}\""),
    )
}

/// What the kubelet says as it creates and starts a container.
fn started_events(name: &str) -> [(EventType, &'static str, String); 2] {
    [
        (
            EventType::Normal,
            "Created",
            format!("Created container: {name}"),
        ),
        (
            EventType::Normal,
            "Started",
            format!("Started container {name}"),
        ),
    ]
}

/// The sandbox is up by the time containers start: the pod gets its IP (the node's own
/// with hostNetwork).
fn assign_ip(status: &mut PodStatus, pod: &Pod, record: &mut NodeRecord) {
    let host_network = pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
    let ip = if host_network {
        record.host_ip.clone()
    } else {
        record.next_pod_ip()
    };
    status.pod_ips = Some(vec![PodIP { ip: ip.clone() }]);
    status.pod_ip = Some(ip);
}

fn pull_failed(
    cs: &mut ContainerStatus,
    image: &str,
    attempts: u32,
    at: Timestamp,
    ctx: &mut Ctx<'_>,
) {
    let message = format!(
        "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found (simulated: the tag says pullerror)"
    );
    cs.state = Some(waiting("ErrImagePull", Some(message.clone())));
    ctx.pulls.insert(
        cs.name.clone(),
        Pull {
            attempts,
            since: at,
        },
    );
    ctx.events.push((EventType::Warning, "Failed", message));
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
    let running = cs.state.as_ref().and_then(|s| s.running.as_ref());
    let terminated = ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code,
            reason: Some(reason.to_string()),
            started_at: running.and_then(|r| r.started_at.clone()),
            finished_at: Some(Time(at)),
            container_id: cs.container_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    cs.ready = false;
    cs.started = Some(false);
    let restarts = match pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()) {
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
    let message = format!(
        "back-off {} restarting failed container={} pod={}",
        go_duration(wait),
        cs.name,
        pod_ref(pod)
    );
    cs.state = Some(waiting("CrashLoopBackOff", Some(message)));
    true
}

/// "name_namespace(uid)", as the kubelet names a pod in messages.
fn pod_ref(pod: &Pod) -> String {
    let meta = &pod.metadata;
    format!(
        "{}_{}({})",
        meta.name.as_deref().unwrap_or(""),
        meta.namespace.as_deref().unwrap_or(""),
        meta.uid.as_deref().unwrap_or("")
    )
}

/// "10s", "2m40s", "5m0s", as Go prints durations.
fn go_duration(d: SignedDuration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{}s", s / 60, s % 60)
    }
}

fn stage(cs: &ContainerStatus) -> Stage {
    let Some(state) = cs.state.as_ref() else {
        return Stage::Creating;
    };
    let time = |t: Option<&Time>| t.map_or(Timestamp::UNIX_EPOCH, |t| t.0);
    if let Some(running) = &state.running {
        return Stage::Running {
            started: time(running.started_at.as_ref()),
        };
    }
    if state.terminated.is_some() {
        return Stage::Done;
    }
    match state.waiting.as_ref().and_then(|w| w.reason.as_deref()) {
        Some("ErrImagePull") => Stage::PullFailed { backing_off: false },
        Some("ImagePullBackOff") => Stage::PullFailed { backing_off: true },
        Some("CrashLoopBackOff") => {
            let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
            Stage::BackOff {
                finished: time(last.and_then(|t| t.finished_at.as_ref())),
            }
        }
        _ => Stage::Creating,
    }
}

pub(super) fn waiting(reason: &str, message: Option<String>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_string()),
            message,
        }),
        ..Default::default()
    }
}

/// The container's status entry, created if the pod's status lacks it.
fn status_of<'a>(status: &'a mut PodStatus, container: &Container) -> &'a mut ContainerStatus {
    let list = status.container_statuses.get_or_insert_with(Vec::new);
    let index = match list.iter().position(|c| c.name == container.name) {
        Some(i) => i,
        None => {
            list.push(ContainerStatus {
                name: container.name.clone(),
                image: container.image.clone().unwrap_or_default(),
                ..Default::default()
            });
            list.len() - 1
        }
    };
    &mut list[index]
}
