//! What a present pod's state means for coverage: ready, outdated, pending, failing or terminating.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::{Reason, Status};
use crate::model::pod::{OOM_KILLED, Pod, PodPhase};

/// How long a running pod may stay not Ready before it counts as failing rather than starting.
pub const STARTUP_GRACE: SignedDuration = SignedDuration::from_secs(60);

const IMAGE_PULL_REASONS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
];
const CREATING_REASONS: &[&str] = &["ContainerCreating", "PodInitializing"];

/// Classifies the node's oldest pod. Problems win over revision: a crash-looping old pod is
/// Failing, not Outdated (the row's `updated` flag still tells which revision it runs).
pub(crate) fn classify(pod: &Pod, updated: bool, now: Timestamp) -> (Status, Reason) {
    if let Some(since) = pod.deleting {
        return (Status::Terminating, Reason::Terminating { since });
    }
    if pod.phase.is_terminal() {
        return (Status::Failing, Reason::Finished { phase: pod.phase });
    }
    if pod.ready {
        let status = if updated {
            Status::Ready
        } else {
            Status::Outdated
        };
        return (status, Reason::None);
    }
    if let Some(waiting) = &pod.waiting_reason {
        return waiting_status(pod, waiting);
    }
    if pod.was_oom_killed() {
        return (
            Status::Failing,
            Reason::OomKilled {
                restarts: pod.restarts,
            },
        );
    }
    if let Some(message) = &pod.unschedulable {
        return (
            Status::Pending,
            Reason::Unschedulable {
                message: Arc::clone(message),
            },
        );
    }
    if !pod.bound {
        return (Status::Pending, Reason::Scheduling);
    }
    if pod.phase != PodPhase::Running {
        return (Status::Pending, Reason::ContainerCreating);
    }
    not_ready_status(pod, now)
}

fn waiting_status(pod: &Pod, waiting: &Arc<str>) -> (Status, Reason) {
    let reason = &**waiting;
    if reason == "CrashLoopBackOff" {
        let restarts = pod.restarts;
        return if pod.last_terminated_reason.as_deref() == Some(OOM_KILLED) {
            (Status::Failing, Reason::OomKilled { restarts })
        } else {
            (Status::Failing, Reason::CrashLoop { restarts })
        };
    }
    if IMAGE_PULL_REASONS.contains(&reason) {
        return (
            Status::Pending,
            Reason::ImagePull {
                reason: Arc::clone(waiting),
            },
        );
    }
    if CREATING_REASONS.contains(&reason) {
        return (Status::Pending, Reason::ContainerCreating);
    }
    (
        Status::Failing,
        Reason::ContainerError {
            reason: Arc::clone(waiting),
        },
    )
}

/// Running but not Ready: starting within the grace, failing after it.
fn not_ready_status(pod: &Pod, now: Timestamp) -> (Status, Reason) {
    let since = pod.ready_since.or(pod.created);
    let within_grace = since.is_none_or(|t| {
        t.checked_add(STARTUP_GRACE)
            .is_ok_and(|grace_end| now < grace_end)
    });
    if within_grace {
        (Status::Pending, Reason::Starting { since })
    } else {
        (Status::Failing, Reason::NotReady { since })
    }
}
