//! A pod status update upstream refuses: a container that has terminated brought back to a
//! waiting or running state when the pod's restart policy would not restart it
//! (kubernetes/pkg/apis/core/validation/validation.go, ValidateContainerStateTransition, called
//! from ValidatePodStatusUpdate for containers and init containers alike). Upstream has no
//! such rule for the pod's phase: a kubelet keeps a terminal pod terminal, as the simulated
//! one does.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::Cause;

/// The causes of refusing `new` as an update of `old`'s status; none when it may go through.
pub fn state_transition_causes(old: &Pod, new: &Pod) -> Vec<Cause> {
    let policy = old
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always");
    if policy == "Always" {
        return Vec::new();
    }
    let (old_status, new_status) = (old.status.as_ref(), new.status.as_ref());
    let lists = [
        (
            "status.containerStatuses",
            old_status.and_then(|s| s.container_statuses.as_deref()),
            new_status.and_then(|s| s.container_statuses.as_deref()),
        ),
        (
            "status.initContainerStatuses",
            old_status.and_then(|s| s.init_container_statuses.as_deref()),
            new_status.and_then(|s| s.init_container_statuses.as_deref()),
        ),
    ];
    let mut causes = Vec::new();
    for (field, olds, news) in lists {
        for (i, before) in olds.unwrap_or_default().iter().enumerate() {
            let Some(exit_code) = terminated_exit_code(before) else {
                continue;
            };
            // A failed container OnFailure restarts may leave the terminated state.
            if exit_code != 0 && policy == "OnFailure" {
                continue;
            }
            for after in news.unwrap_or_default() {
                if after.name == before.name && terminated_exit_code(after).is_none() {
                    causes.push(Cause {
                        kind: "FieldValueForbidden",
                        field: format!("{field}[{i}].state"),
                        body: "Forbidden: may not be transitioned to non-terminated state".into(),
                    });
                }
            }
        }
    }
    causes
}

fn terminated_exit_code(status: &ContainerStatus) -> Option<i32> {
    status
        .state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .map(|t| t.exit_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, PodSpec, PodStatus,
    };

    fn pod(policy: &str, terminated: Option<i32>) -> Pod {
        let state = match terminated {
            Some(exit_code) => ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code,
                    ..Default::default()
                }),
                ..Default::default()
            },
            None => ContainerState {
                running: Some(ContainerStateRunning::default()),
                ..Default::default()
            },
        };
        Pod {
            spec: Some(PodSpec {
                restart_policy: Some(policy.into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: "c".into(),
                    state: Some(state),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_terminated_container_stays_terminated_unless_its_policy_restarts_it() {
        let refused = state_transition_causes(&pod("Never", Some(1)), &pod("Never", None));
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].field, "status.containerStatuses[0].state");
        // Exit 0 under OnFailure is done; a failure under OnFailure restarts.
        assert_eq!(
            state_transition_causes(&pod("OnFailure", Some(0)), &pod("OnFailure", None)).len(),
            1
        );
        assert!(
            state_transition_causes(&pod("OnFailure", Some(2)), &pod("OnFailure", None)).is_empty()
        );
        // A DaemonSet's pods restart Always: their containers come back.
        assert!(state_transition_causes(&pod("Always", Some(1)), &pod("Always", None)).is_empty());
        // Terminated to terminated is no transition.
        assert!(state_transition_causes(&pod("Never", Some(1)), &pod("Never", Some(1))).is_empty());
    }
}
