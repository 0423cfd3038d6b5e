//! A pod's Table row: READY, the STATUS kubectl shows (phase, container reasons, Init:,
//! Terminating), RESTARTS with the last restart's age, and the wide columns.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, PodCondition, PodSpec, PodStatus};
use serde_json::{Value, json};

use super::cells::{human_duration, name_of, since};

/// What the containers add up to.
#[derive(Debug, Default)]
struct Summary {
    reason: String,
    ready: usize,
    restarts: i32,
    last_restart: Option<Timestamp>,
}

pub fn cells(p: &Pod, now: Timestamp) -> Vec<Value> {
    let (no_spec, no_status) = (PodSpec::default(), PodStatus::default());
    let spec = p.spec.as_ref().unwrap_or(&no_spec);
    let status = p.status.as_ref().unwrap_or(&no_status);
    let summary = summarize(p, spec, status);
    let restarts = match summary.last_restart {
        Some(t) if summary.restarts != 0 => {
            let ago = human_duration(now.as_second() - t.as_second());
            format!("{} ({ago} ago)", summary.restarts)
        }
        _ => summary.restarts.to_string(),
    };
    let ip = status
        .pod_ips
        .as_ref()
        .and_then(|ips| ips.first())
        .map(|i| i.ip.clone());
    vec![
        json!(name_of(&p.metadata)),
        json!(format!("{}/{}", summary.ready, spec.containers.len())),
        json!(summary.reason),
        json!(restarts),
        json!(since(p.metadata.creation_timestamp.as_ref(), now)),
        json!(or_none(ip.or(status.pod_ip.clone()))),
        json!(or_none(spec.node_name.clone())),
        json!(or_none(status.nominated_node_name.clone())),
        json!(or_none(readiness_gates(spec, status))),
    ]
}

fn or_none(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "<none>".into())
}

fn conditions(status: &PodStatus) -> &[PodCondition] {
    status.conditions.as_deref().unwrap_or(&[])
}

fn condition_true(status: &PodStatus, kind: &str) -> bool {
    conditions(status)
        .iter()
        .any(|c| c.type_ == kind && c.status == "True")
}

/// upstream's printPod, in three steps: the phase, init containers, then containers.
fn summarize(p: &Pod, spec: &PodSpec, status: &PodStatus) -> Summary {
    let phase = status.phase.clone().unwrap_or_default();
    let mut summary = Summary {
        reason: status
            .reason
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or(phase.clone()),
        ..Summary::default()
    };
    let gated = conditions(status)
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"));
    if gated {
        summary.reason = "SchedulingGated".into();
    }
    let init = init_reason(spec, status);
    let initializing = init.is_some();
    if let Some(reason) = init {
        summary.reason = reason;
    }
    if !initializing || condition_true(status, "Initialized") {
        add_containers(&mut summary, status);
    }
    if p.metadata.deletion_timestamp.is_some() {
        if status.reason.as_deref() == Some("NodeLost") {
            summary.reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            summary.reason = "Terminating".into();
        }
    }
    summary
}

/// The `Init:` status while init containers run, or `None` once they are done.
fn init_reason(spec: &PodSpec, status: &PodStatus) -> Option<String> {
    let total = spec.init_containers.as_ref().map_or(0, |c| c.len());
    for (i, c) in status.init_container_statuses.iter().flatten().enumerate() {
        let state = c.state.clone().unwrap_or_default();
        if let Some(t) = state.terminated {
            if t.exit_code == 0 {
                continue;
            }
            let signal = t.signal.unwrap_or(0);
            return Some(match t.reason.filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if signal != 0 => format!("Init:Signal:{signal}"),
                None => format!("Init:ExitCode:{}", t.exit_code),
            });
        }
        if let Some(w) = state.waiting.and_then(|w| w.reason)
            && !w.is_empty()
            && w != "PodInitializing"
        {
            return Some(format!("Init:{w}"));
        }
        return Some(format!("Init:{i}/{total}"));
    }
    None
}

/// Restarts, readiness and the most telling container reason (the first container wins).
fn add_containers(summary: &mut Summary, status: &PodStatus) {
    let mut has_running = false;
    for c in status.container_statuses.iter().flatten().rev() {
        summary.restarts += c.restart_count;
        if let Some(t) = c.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
            let finished = t.finished_at.as_ref().map(|f| f.0);
            summary.last_restart = summary.last_restart.max(finished);
        }
        let state = c.state.clone().unwrap_or_default();
        let waiting = state
            .waiting
            .and_then(|w| w.reason)
            .filter(|r| !r.is_empty());
        if let Some(w) = waiting {
            summary.reason = w;
        } else if let Some(t) = state.terminated {
            let signal = t.signal.unwrap_or(0);
            summary.reason = match t.reason.filter(|r| !r.is_empty()) {
                Some(r) => r,
                None if signal != 0 => format!("Signal:{signal}"),
                None => format!("ExitCode:{}", t.exit_code),
            };
        } else if c.ready && state.running.is_some() {
            has_running = true;
            summary.ready += 1;
        }
    }
    if summary.reason == "Completed" && has_running {
        summary.reason = if condition_true(status, "Ready") {
            "Running".into()
        } else {
            "NotReady".into()
        };
    }
}

fn readiness_gates(spec: &PodSpec, status: &PodStatus) -> Option<String> {
    let gates = spec.readiness_gates.as_ref().filter(|g| !g.is_empty())?;
    let met = gates
        .iter()
        .filter(|g| condition_true(status, &g.condition_type))
        .count();
    Some(format!("{met}/{}", gates.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        Container, ContainerState, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn pod_with(statuses: Vec<ContainerStatus>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers: vec![Container::default(); statuses.len()],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                container_statuses: Some(statuses),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn crash_looping_container_shows_its_reason_and_restart_age() {
        let now = Timestamp::from_second(10_000).expect("ts");
        let crashed = ContainerStatus {
            restart_count: 4,
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some("CrashLoopBackOff".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            last_state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    finished_at: Some(Time(Timestamp::from_second(9_940).expect("ts"))),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let row = cells(&pod_with(vec![crashed]), now);
        assert_eq!(row[1], "0/1");
        assert_eq!(row[2], "CrashLoopBackOff");
        assert_eq!(row[3], "4 (60s ago)");
        assert_eq!(row[6], "<none>");
    }

    #[test]
    fn deleting_pod_shows_terminating() {
        let mut p = pod_with(vec![]);
        p.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
        assert_eq!(cells(&p, Timestamp::UNIX_EPOCH)[2], "Terminating");
    }
}
