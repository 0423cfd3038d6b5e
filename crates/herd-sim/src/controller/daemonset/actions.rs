//! Carrying out a plan: at most 250 creates and 250 deletes per sync, creates in slow-start
//! batches, pods deleted gracefully, and the controller's events. Upstream: `syncNodes` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go, `SlowStartInitialBatchSize` in
//! kubernetes/pkg/controller/controller_utils.go; docs/SEMANTICS.md#burst-limit-and-slow-start.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;

use super::manage::Terminal;
use super::newpod::PodFactory;
use super::rolling::Plan;
use crate::events::{EventType, Subject};
use crate::pods::DeleteOptions;
use crate::store::StoreError;
use crate::world::World;

/// `BurstReplicas`: creates (and deletes) one sync may issue.
pub const BURST_REPLICAS: usize = 250;
/// `SlowStartInitialBatchSize`.
const SLOW_START_INITIAL_BATCH: usize = 1;
/// Source component of the controller's events.
pub const COMPONENT: &str = "daemonset-controller";

/// Who the DaemonSet's events are about.
pub fn subject(ds: &DaemonSet) -> Subject {
    Subject {
        kind: "DaemonSet",
        api_version: "apps/v1",
        namespace: ds.metadata.namespace.clone().unwrap_or_default(),
        name: ds.metadata.name.clone().unwrap_or_default(),
        uid: ds.metadata.uid.clone().unwrap_or_default(),
    }
}

/// Records the Warning/Normal events for terminal pods manage chose to delete.
pub fn record_terminal(
    world: &mut World,
    ds: &DaemonSet,
    failed: &[Terminal],
    succeeded: &[Terminal],
) {
    let who = subject(ds);
    let ns = &who.namespace;
    for t in failed {
        let name = t.pod.metadata.name.as_deref().unwrap_or_default();
        let msg = format!(
            "Found failed daemon pod {ns}/{name} on node {}, will try to kill it",
            t.node
        );
        world.record_event(&who, EventType::Warning, COMPONENT, "FailedDaemonPod", msg);
    }
    for t in succeeded {
        let name = t.pod.metadata.name.as_deref().unwrap_or_default();
        let msg = format!(
            "Found succeeded daemon pod {ns}/{name} on node {}, will try to delete it",
            t.node
        );
        world.record_event(
            &who,
            EventType::Normal,
            COMPONENT,
            "SucceededDaemonPod",
            msg,
        );
    }
}

/// `syncNodes`: issues the plan within the burst limit and returns how many writes succeeded
/// (the sim's writes are observed at once, so "expectations satisfied after manage" means
/// "manage issued nothing").
pub fn sync_nodes(world: &mut World, ds: &DaemonSet, factory: &PodFactory, plan: &Plan) -> usize {
    let who = subject(ds);
    let creates = &plan.create[..plan.create.len().min(BURST_REPLICAS)];
    let deletes = &plan.delete[..plan.delete.len().min(BURST_REPLICAS)];
    let mut issued = 0;
    let mut pos = 0;
    let mut batch = creates.len().min(SLOW_START_INITIAL_BATCH);
    while pos < creates.len() {
        let mut errors = 0;
        for node in &creates[pos..pos + batch] {
            match create_pod(world, &who, factory, node) {
                Ok(()) => issued += 1,
                Err(()) => errors += 1,
            }
        }
        pos += batch;
        // After a batch with errors the rest wait for the next sync.
        if errors > 0 {
            break;
        }
        batch = (2 * batch).min(creates.len() - pos);
    }
    for pod in deletes {
        if delete_pod(world, &who, pod) {
            issued += 1;
        }
    }
    issued
}

fn create_pod(
    world: &mut World,
    who: &Subject,
    factory: &PodFactory,
    node: &str,
) -> Result<(), ()> {
    let now = world.now();
    let created = world.store.create(factory.for_node(node), now);
    match world.counted(COMPONENT, created) {
        Ok(pod) => {
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            let msg = format!("Created pod: {name}");
            world.record_event(who, EventType::Normal, COMPONENT, "SuccessfulCreate", msg);
            Ok(())
        }
        Err(e) => {
            let msg = format!("Error creating: {e}");
            world.record_event(who, EventType::Warning, COMPONENT, "FailedCreate", msg);
            Err(())
        }
    }
}

/// Deletes one pod gracefully; NotFound counts as done but not as a write (upstream `syncNodes`
/// drops a NotFound from `DeletePod`: kubernetes/pkg/controller/daemon/daemon_controller.go).
fn delete_pod(world: &mut World, who: &Subject, pod: &Arc<Pod>) -> bool {
    let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let options = DeleteOptions {
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    };
    match world.delete_pod(ns, name, &options) {
        Ok(_) => {
            let msg = format!("Deleted pod: {name}");
            world.record_event(who, EventType::Normal, COMPONENT, "SuccessfulDelete", msg);
            true
        }
        Err(StoreError::NotFound { .. }) => false,
        Err(e) => {
            world.count_failure(COMPONENT);
            let msg = format!("Error deleting: {e}");
            world.record_event(who, EventType::Warning, COMPONENT, "FailedDelete", msg);
            false
        }
    }
}
