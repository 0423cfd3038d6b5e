//! Pod conversion: ownership, target node, lifecycle state and container resources, from the
//! lean watch type (`cluster::lean_pod`).

use std::sync::Arc;

use jiff::Timestamp;

use super::{arc, controller_uid, time};
use crate::lean_pod::{self as lean, ConditionStatus, ConditionType};
use herd_core::model::pod::{
    ContainerResources, OOM_KILLED, Pod, PodPhase, REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL,
};
use herd_core::model::version::ResourceVersion;

pub fn pod(pod: &lean::Pod) -> Pod {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let bound_to = spec
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty());
    let conditions = status.map_or(&[][..], |s| &s.conditions);
    let condition = |type_: ConditionType| conditions.iter().find(|c| c.type_ == type_);
    let ready = condition(ConditionType::Ready);
    let label = |key: &str| meta.labels.as_ref().and_then(|l| l.get(key));
    let statuses = status.map_or(&[][..], |s| &s.container_statuses);
    let init_statuses = status.map_or(&[][..], |s| &s.init_container_statuses);
    Pod {
        namespace: arc(meta.namespace.as_deref().unwrap_or_default()),
        name: arc(meta.name.as_deref().unwrap_or_default()),
        uid: arc(meta.uid.as_deref().unwrap_or_default()),
        resource_version: meta
            .resource_version
            .as_deref()
            .and_then(ResourceVersion::parse),
        owner_uid: controller_uid(meta),
        node: bound_to
            .or_else(|| spec.and_then(lean::PodSpec::affinity_target_node))
            .map(arc),
        bound: bound_to.is_some(),
        // The API server always sets a phase; an empty one means Pending upstream.
        phase: status.and_then(|s| s.phase).unwrap_or(PodPhase::Pending),
        ready: ready.is_some_and(|c| c.status == ConditionStatus::True),
        ready_since: ready.and_then(|c| time(&c.last_transition_time)),
        deleting: time(&meta.deletion_timestamp),
        revision_hash: label(REVISION_HASH_LABEL).map(|v| arc(v)),
        template_generation: label(TEMPLATE_GENERATION_LABEL).and_then(|v| v.parse().ok()),
        restarts: statuses
            .iter()
            .map(|s| u32::try_from(s.restart_count).unwrap_or(0))
            .fold(0, u32::saturating_add),
        waiting_reason: waiting_reason(statuses).or_else(|| waiting_reason(init_statuses)),
        last_terminated_reason: last_terminated_reason(statuses),
        last_terminated_at: last_terminated_at(statuses),
        unschedulable: condition(ConditionType::PodScheduled)
            .filter(|c| {
                c.status == ConditionStatus::False && c.reason.as_deref() == Some("Unschedulable")
            })
            .map(|c| arc(c.message.as_deref().unwrap_or("Unschedulable"))),
        containers: spec.map_or_else(|| Arc::from(Vec::new()), containers),
        created: time(&meta.creation_timestamp),
    }
}

fn waiting_reason(statuses: &[lean::ContainerStatus]) -> Option<Arc<str>> {
    statuses.iter().find_map(|s| {
        let reason = s.state.as_ref()?.waiting.as_ref()?.reason.as_deref()?;
        Some(arc(reason))
    })
}

/// The termination reason of a container's last (or current) exit; an OOM kill wins.
fn last_terminated_reason(statuses: &[lean::ContainerStatus]) -> Option<Arc<str>> {
    let reasons = statuses.iter().flat_map(|s| {
        let last = s.last_state.as_ref().and_then(|l| l.terminated.as_ref());
        let now = s.state.as_ref().and_then(|l| l.terminated.as_ref());
        [now, last]
            .into_iter()
            .flatten()
            .filter_map(|t| t.reason.as_deref())
    });
    let mut first = None;
    for reason in reasons {
        if reason == OOM_KILLED {
            return Some(arc(reason));
        }
        first = first.or(Some(reason));
    }
    first.map(arc)
}

/// When a container last exited: the latest `lastState.terminated.finishedAt`.
fn last_terminated_at(statuses: &[lean::ContainerStatus]) -> Option<Timestamp> {
    statuses
        .iter()
        .filter_map(|s| {
            s.last_state
                .as_ref()?
                .terminated
                .as_ref()?
                .finished_at
                .as_ref()
        })
        .map(|t| t.0)
        .max()
}

fn containers(spec: &lean::PodSpec) -> Arc<[ContainerResources]> {
    spec.containers
        .iter()
        .map(|c| {
            let r = c.resources.as_ref();
            let of =
                |a: Option<&lean::Amounts>| a.map(lean::Amounts::resources).unwrap_or_default();
            ContainerResources {
                name: arc(&c.name),
                requests: of(r.and_then(|r| r.requests.as_ref())),
                limits: of(r.and_then(|r| r.limits.as_ref())),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "pod_tests.rs"]
mod tests;
