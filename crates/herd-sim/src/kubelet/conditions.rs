//! A pod's phase, QoS class and conditions as the kubelet derives them from its containers.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::lifecycle::containers;

/// The order kubectl shows a running pod's conditions in.
const ORDER: [&str; 5] = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
];

/// One condition's value and why.
struct Verdict {
    value: bool,
    reason: Option<&'static str>,
    message: Option<String>,
}

impl Verdict {
    fn plain(value: bool) -> Verdict {
        Verdict {
            value,
            reason: None,
            message: None,
        }
    }
}

/// Recomputes phase and conditions at `at`; transition times move only on a status change.
pub(super) fn refresh(status: &mut PodStatus, pod: &Pod, at: Timestamp, node_ready: bool) {
    status.phase = Some(phase(status, pod).to_string());
    let terminal = matches!(status.phase.as_deref(), Some("Succeeded" | "Failed"));
    let containers_ready = containers_ready(status, terminal);
    // The node's readiness gates the pod's: the node lifecycle controller marks pods on a
    // NotReady node unready, and the kubelet must not flip them back until the node recovers.
    let ready = if containers_ready.value && !node_ready {
        Verdict {
            value: false,
            reason: Some("NodeNotReady"),
            message: Some("the node is not ready".to_string()),
        }
    } else {
        Verdict {
            value: containers_ready.value,
            reason: containers_ready.reason,
            message: containers_ready.message.clone(),
        }
    };
    let sandbox = status.pod_ip.is_some() && !terminal;
    let mut conditions = status.conditions.take().unwrap_or_default();
    set(
        &mut conditions,
        "PodReadyToStartContainers",
        Verdict::plain(sandbox),
        at,
    );
    set(&mut conditions, "Initialized", Verdict::plain(true), at);
    set(&mut conditions, "ContainersReady", containers_ready, at);
    set(&mut conditions, "Ready", ready, at);
    if !conditions.iter().any(|c| c.type_ == "PodScheduled") {
        set(&mut conditions, "PodScheduled", Verdict::plain(true), at);
    }
    conditions.sort_by_key(|c| {
        ORDER
            .iter()
            .position(|o| *o == c.type_)
            .unwrap_or(ORDER.len())
    });
    status.conditions = Some(conditions);
}

fn containers_ready(status: &PodStatus, terminal: bool) -> Verdict {
    if terminal {
        return Verdict {
            value: false,
            reason: Some("PodCompleted"),
            message: None,
        };
    }
    let unready: Vec<&str> = status
        .container_statuses
        .iter()
        .flatten()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    if unready.is_empty() {
        return Verdict::plain(true);
    }
    Verdict {
        value: false,
        reason: Some("ContainersNotReady"),
        message: Some(format!(
            "containers with unready status: [{}]",
            unready.join(" ")
        )),
    }
}

fn set(conditions: &mut Vec<PodCondition>, kind: &str, verdict: Verdict, at: Timestamp) {
    let status = if verdict.value { "True" } else { "False" };
    let reason = verdict.reason.map(str::to_string);
    match conditions.iter_mut().find(|c| c.type_ == kind) {
        Some(c) => {
            if c.status != status {
                c.status = status.to_string();
                c.last_transition_time = Some(Time(at));
            }
            c.reason = reason;
            c.message = verdict.message;
        }
        None => conditions.push(PodCondition {
            type_: kind.to_string(),
            status: status.to_string(),
            reason,
            message: verdict.message,
            last_transition_time: Some(Time(at)),
            ..Default::default()
        }),
    }
}

/// Pending until a container has started; with restartPolicy Always a started pod stays
/// Running (crash loops included); otherwise it ends Succeeded or Failed once all have exited.
fn phase(status: &PodStatus, pod: &Pod) -> &'static str {
    let statuses: Vec<_> = status.container_statuses.iter().flatten().collect();
    let ever_started = |c: &&k8s_openapi::api::core::v1::ContainerStatus| {
        let state = c.state.as_ref();
        state.is_some_and(|s| s.running.is_some() || s.terminated.is_some())
            || c.restart_count > 0
            || c.last_state
                .as_ref()
                .is_some_and(|s| s.terminated.is_some())
    };
    if statuses.is_empty() {
        return if containers(pod).is_empty() {
            "Running"
        } else {
            "Pending"
        };
    }
    let always = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .is_none_or(|p| p == "Always");
    let exit_codes: Vec<Option<i32>> = statuses
        .iter()
        .map(|c| {
            c.state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .map(|t| t.exit_code)
        })
        .collect();
    if !always && exit_codes.iter().all(Option::is_some) {
        return if exit_codes.iter().all(|c| *c == Some(0)) {
            "Succeeded"
        } else {
            "Failed"
        };
    }
    if statuses.iter().any(ever_started) {
        "Running"
    } else {
        "Pending"
    }
}

/// Guaranteed when every container's cpu and memory requests equal their limits, BestEffort
/// when nothing is requested or limited, Burstable otherwise.
pub(super) fn qos_class(pod: &Pod) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for c in containers(pod) {
        let resources = c.resources.as_ref();
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        any |= requests.is_some_and(|r| !r.is_empty()) || limits.is_some_and(|l| !l.is_empty());
        for resource in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(resource));
            // An unset request defaults to the limit.
            let request = requests.and_then(|r| r.get(resource)).or(limit);
            guaranteed &= limit.is_some() && request == limit;
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}
