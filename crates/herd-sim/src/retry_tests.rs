//! Failed controller writes, end to end: a test arms a store fault, the controllers count the
//! refused write, retry it on a later step, and the world ends exactly as a fault-free run does.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::json;

use crate::admission::daemonset::admit_create;
use crate::controller::gc;
use crate::kinds::Kind;
use crate::store::{StoreError, WriteFault, WriteOp};
use crate::world::World;

const DS_CONTROLLER: &str = "daemonset-controller";
const SCHEDULER: &str = "default-scheduler";

fn start() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().expect("ts")
}

/// `nodes` nodes and one DaemonSet `agent`, every component running, nothing stepped yet.
fn world(nodes: usize) -> World {
    let mut w = World::new(11, start());
    for i in 0..nodes {
        let node: Node = serde_json::from_value(json!({"metadata": {"name": format!("node-{i}")}}))
            .expect("node");
        w.store.create(node, start()).expect("create node");
    }
    let mut ds: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "c", "image": "agent:1"}]}}}
    }))
    .expect("ds");
    admit_create(&mut ds).expect("admitted");
    w.store.create(ds, start()).expect("create ds");
    w
}

fn conflict(kind: Kind, op: WriteOp, times: u32) -> WriteFault {
    WriteFault {
        kind,
        op,
        times,
        error: StoreError::Conflict {
            plural: kind.info().plural,
            name: "injected".into(),
        },
    }
}

/// What must come out the same with and without a fault: the DaemonSet's status, each node's
/// daemon pods (phase and revision hash), and the revisions.
#[derive(Debug, PartialEq)]
struct EndState {
    status: Option<DaemonSetStatus>,
    pods: BTreeMap<String, Vec<(String, String)>>,
    revisions: Vec<String>,
}

fn end_state(w: &World) -> EndState {
    let status = w
        .store
        .get::<DaemonSet>("default", "agent")
        .and_then(|d| d.status.clone());
    let mut pods: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for pod in w.store.table::<Pod>().values() {
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default();
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        let hash = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("controller-revision-hash").cloned())
            .unwrap_or_default();
        pods.entry(node).or_default().push((phase, hash));
    }
    let revisions = w
        .store
        .table::<ControllerRevision>()
        .values()
        .filter_map(|r| r.metadata.name.clone())
        .collect();
    EndState {
        status,
        pods,
        revisions,
    }
}

/// Settles a world, first arming `faults`; returns it and its end state.
fn settled(nodes: usize, faults: &[WriteFault]) -> (World, EndState) {
    let mut w = world(nodes);
    for fault in faults {
        w.store.fail_next_writes(fault.clone());
    }
    assert!(w.settle(), "the world settles");
    let end = end_state(&w);
    (w, end)
}

fn ready_everywhere(end: &EndState, nodes: i32) {
    let status = end.status.as_ref().expect("status");
    assert_eq!(status.desired_number_scheduled, nodes);
    assert_eq!(status.number_ready, nodes);
    assert_eq!(end.pods.len(), nodes as usize);
}

#[test]
fn a_refused_pod_create_is_counted_and_retried() {
    // One node: nothing but the retry would sync the DaemonSet again.
    let (_, clean) = settled(1, &[]);
    ready_everywhere(&clean, 1);
    let (w, faulty) = settled(1, &[conflict(Kind::Pod, WriteOp::Create, 3)]);
    assert_eq!(w.store.injected_write_failures(), 3);
    assert_eq!(w.write_failures().of(DS_CONTROLLER), 3);
    assert_eq!(w.pending_retries(), 0);
    assert_eq!(faulty, clean);
}

#[test]
fn a_refused_revision_create_is_counted_and_retried() {
    let (_, clean) = settled(3, &[]);
    ready_everywhere(&clean, 3);
    let (w, faulty) = settled(3, &[conflict(Kind::ControllerRevision, WriteOp::Create, 2)]);
    assert_eq!(w.write_failures().of(DS_CONTROLLER), 2);
    assert_eq!(faulty, clean);
}

#[test]
fn a_refused_status_write_is_counted_and_retried() {
    let (_, clean) = settled(2, &[]);
    let (w, faulty) = settled(2, &[conflict(Kind::DaemonSet, WriteOp::Update, 2)]);
    assert_eq!(w.write_failures().of(DS_CONTROLLER), 2);
    assert_eq!(faulty, clean);
}

#[test]
fn a_refused_binding_is_counted_and_retried() {
    // The first pod update in a fresh world is the scheduler's binding.
    let (_, clean) = settled(1, &[]);
    let (w, faulty) = settled(1, &[conflict(Kind::Pod, WriteOp::Update, 1)]);
    assert_eq!(w.write_failures().of(SCHEDULER), 1);
    assert_eq!(w.write_failures().total(), 1);
    assert_eq!(faulty, clean);
}

/// Deletes the DaemonSet (as the API does) from a settled world with `faults` armed, and
/// settles again: everything it owned must be collected.
fn collect_after(faults: &[WriteFault]) -> World {
    let (mut w, _) = settled(2, &[]);
    for fault in faults {
        w.store.fail_next_writes(fault.clone());
    }
    w.store
        .delete::<DaemonSet>("default", "agent", None, None)
        .expect("delete ds");
    assert!(w.settle(), "the world settles");
    assert_eq!(w.store.table::<Pod>().len(), 0, "pods collected");
    assert_eq!(
        w.store.table::<ControllerRevision>().len(),
        0,
        "revisions collected"
    );
    assert_eq!(w.pending_retries(), 0);
    w
}

#[test]
fn a_refused_garbage_collection_is_counted_and_retried() {
    let w = collect_after(&[]);
    assert_eq!(w.write_failures().total(), 0);
    // Graceful pod deletion is an update (deletionTimestamp); the revision goes by delete.
    let w = collect_after(&[
        conflict(Kind::Pod, WriteOp::Update, 1),
        conflict(Kind::ControllerRevision, WriteOp::Delete, 2),
    ]);
    assert_eq!(w.write_failures().of(gc::COMPONENT), 3);
}

#[test]
fn a_delete_of_something_already_gone_is_not_a_failure() {
    let (mut w, _) = settled(1, &[]);
    let pod = w
        .store
        .table::<Pod>()
        .values()
        .next()
        .cloned()
        .expect("a pod");
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    // The pod vanishes, then its DaemonSet: the collector's delete finds nothing to delete.
    w.store
        .delete::<Pod>(&ns, &name, None, None)
        .expect("delete pod");
    w.store
        .delete::<DaemonSet>("default", "agent", None, None)
        .expect("delete ds");
    assert!(w.settle());
    assert_eq!(w.write_failures().total(), 0);
    assert_eq!(w.pending_retries(), 0);
}

#[test]
fn a_refused_node_write_is_counted_and_retried() {
    // The first node write in a fresh world is a kubelet registering its node (or the node
    // controller tainting it); either way it must be retried.
    let (_, clean) = settled(2, &[]);
    let (w, faulty) = settled(2, &[conflict(Kind::Node, WriteOp::Update, 1)]);
    assert_eq!(w.write_failures().total(), 1);
    assert_eq!(faulty, clean);
}

/// Deletes the DaemonSet's pod on `node-0` gracefully from a settled one-node world with
/// `faults` armed, and settles again: the kubelet removes it and a new one replaces it.
fn replace_pod(faults: &[WriteFault]) -> (World, EndState) {
    let (mut w, _) = settled(1, &[]);
    let pod = w
        .store
        .table::<Pod>()
        .values()
        .next()
        .cloned()
        .expect("a pod");
    for fault in faults {
        w.store.fail_next_writes(fault.clone());
    }
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    w.delete_pod(&ns, &name, &Default::default())
        .expect("delete pod");
    assert!(w.settle(), "the world settles");
    assert!(
        w.store.get::<Pod>(&ns, &name).is_none(),
        "the old pod is gone"
    );
    let end = end_state(&w);
    (w, end)
}

#[test]
fn a_refused_pod_removal_by_the_kubelet_is_counted_and_retried() {
    let (_, clean) = replace_pod(&[]);
    ready_everywhere(&clean, 1);
    let (w, faulty) = replace_pod(&[conflict(Kind::Pod, WriteOp::Delete, 2)]);
    assert_eq!(w.write_failures().of("kubelet"), 2);
    assert_eq!(faulty, clean);
}

#[test]
fn the_world_is_not_settled_while_a_retry_is_pending() {
    // Fourteen refusals back the retry off past settle's 30 s quiet span (5 ms * 2^13 = 41 s):
    // only the pending retry keeps settle going until the pod is finally created.
    let (_, clean) = settled(1, &[]);
    let (w, faulty) = settled(1, &[conflict(Kind::Pod, WriteOp::Create, 14)]);
    assert_eq!(w.write_failures().of(DS_CONTROLLER), 14);
    assert_eq!(faulty, clean);
}

/// Makes `node-0` NotReady in a settled two-node world with `faults` armed, and settles:
/// its daemon pod must end up not Ready, whoever's write was refused on the way.
fn node_goes_not_ready(faults: &[WriteFault]) -> (World, EndState) {
    let (mut w, _) = settled(2, &[]);
    for fault in faults {
        w.store.fail_next_writes(fault.clone());
    }
    w.set_node_ready("node-0", false).expect("node-0 not ready");
    assert!(w.settle(), "the world settles");
    let end = end_state(&w);
    (w, end)
}

#[test]
fn a_refused_pod_status_write_is_counted_and_retried() {
    let (_, clean) = node_goes_not_ready(&[]);
    let ready = clean.status.as_ref().map(|s| s.number_ready);
    assert_eq!(ready, Some(1), "one of two pods is Ready");
    let (w, faulty) = node_goes_not_ready(&[conflict(Kind::Pod, WriteOp::Update, 1)]);
    assert_eq!(w.write_failures().total(), 1);
    assert_eq!(faulty, clean);
}
