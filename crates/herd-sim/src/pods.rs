//! Pod deletion as the API server does it: graceful for bound pods, immediate otherwise.

use std::sync::Arc;

use jiff::SignedDuration;
use k8s_openapi::api::core::v1::{NodeSelectorTerm, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::store::StoreError;
use super::world::World;

/// Grace period when neither the request nor the pod names one (the API default).
pub const DEFAULT_GRACE_SECONDS: i64 = 30;

/// Preconditions and grace period of one delete request.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

impl World {
    /// Deletes a pod. A pod bound to a node is marked terminating (deletionTimestamp set) and
    /// its kubelet removes it once its containers have stopped; an unbound pod, or a grace
    /// period of 0, removes it at once. Returns the pod as it is after the call.
    pub fn delete_pod(
        &mut self,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Arc<Pod>, StoreError> {
        let Some(pod) = self.store.get::<Pod>(namespace, name).cloned() else {
            return Err(StoreError::NotFound {
                kind: "pods",
                name: name.to_string(),
            });
        };
        if options
            .uid
            .as_deref()
            .is_some_and(|u| pod.metadata.uid.as_deref() != Some(u))
            || options
                .resource_version
                .as_deref()
                .is_some_and(|rv| pod.metadata.resource_version.as_deref() != Some(rv))
        {
            return Err(StoreError::Conflict {
                plural: "pods",
                name: name.to_string(),
            });
        }
        let bound = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        let grace = options
            .grace_period_seconds
            .or_else(|| {
                pod.spec
                    .as_ref()
                    .and_then(|s| s.termination_grace_period_seconds)
            })
            .unwrap_or(DEFAULT_GRACE_SECONDS)
            .max(0);
        if !bound || grace == 0 {
            return self.store.delete::<Pod>(namespace, name, None, None);
        }
        if pod.metadata.deletion_timestamp.is_some() {
            // Already terminating: a second delete does not extend the deadline.
            return Ok(pod);
        }
        let deadline = self
            .now()
            .checked_add(SignedDuration::from_secs(grace))
            .unwrap_or(self.now());
        let mut terminating = pod.as_ref().clone();
        terminating.metadata.deletion_timestamp = Some(Time(deadline));
        terminating.metadata.deletion_grace_period_seconds = Some(grace);
        terminating.metadata.resource_version = None;
        self.store.update(terminating)
    }
}

/// The terms of a pod's required node affinity, where the scheduler and the DaemonSet
/// controller both look for the node a daemon pod is pinned to.
pub fn required_node_terms(pod: &Pod) -> Option<&[NodeSelectorTerm]> {
    let required = pod
        .spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?;
    Some(&required.node_selector_terms)
}
