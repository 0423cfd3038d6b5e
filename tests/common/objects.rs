//! Small Kubernetes objects for the tests, one builder per served kind.

use std::collections::BTreeMap;

use herd_sim::Object;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetSpec};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    Container, Event, Namespace, Node, NodeAddress, NodeCondition, NodeStatus, NodeSystemInfo,
    ObjectReference, Pod, PodSpec, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;

use super::server::TestSim;

pub fn labels(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub fn meta(namespace: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(Into::into),
        ..Default::default()
    }
}

pub fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: meta(None, name),
        ..Default::default()
    }
}

pub fn node(name: &str, node_labels: &[(&str, &str)]) -> Node {
    let mut m = meta(None, name);
    m.labels = labels(node_labels);
    Node {
        metadata: m,
        ..Default::default()
    }
}

pub fn pod(ns: &str, name: &str, node: Option<&str>, pod_labels: &[(&str, &str)]) -> Pod {
    let mut m = meta(Some(ns), name);
    m.labels = labels(pod_labels);
    Pod {
        metadata: m,
        spec: Some(PodSpec {
            node_name: node.map(Into::into),
            containers: vec![Container {
                name: "main".into(),
                image: Some("busybox:1.36".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn daemonset(ns: &str, name: &str, image: &str) -> DaemonSet {
    let selector = labels(&[("app", name)]);
    DaemonSet {
        metadata: meta(Some(ns), name),
        spec: DaemonSetSpec {
            selector: LabelSelector {
                match_labels: selector.clone(),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: selector,
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: name.into(),
                        image: Some(image.into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

pub fn revision(ns: &str, name: &str, number: i64) -> ControllerRevision {
    ControllerRevision {
        metadata: meta(Some(ns), name),
        revision: Some(number),
        data: RawExtension(serde_json::json!({"spec": {}})),
    }
}

pub fn event(ns: &str, name: &str, about: &str) -> Event {
    Event {
        metadata: meta(Some(ns), name),
        involved_object: ObjectReference {
            kind: Some("Pod".into()),
            name: Some(about.into()),
            namespace: Some(ns.into()),
            ..Default::default()
        },
        reason: Some("Tested".into()),
        message: Some("an event for the tests".into()),
        type_: Some("Normal".into()),
        ..Default::default()
    }
}

pub fn lease(ns: &str, name: &str, holder: &str) -> Lease {
    Lease {
        metadata: meta(Some(ns), name),
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.into()),
            ..Default::default()
        }),
    }
}

/// Stores an object straight into the world, as a controller would (no API round trip).
pub fn seed<K: Object>(sim: &TestSim, object: K) {
    let mut world = sim.handle.world.lock();
    let now = world.now();
    world.store.create(object, now).expect("seeded object");
}

/// A Ready worker node with addresses and node info, as a kubelet would have reported.
pub fn ready_node(name: &str) -> Node {
    let mut n = node(
        name,
        &[("node-role.kubernetes.io/worker", ""), ("pool", "general")],
    );
    n.status = Some(NodeStatus {
        conditions: Some(vec![NodeCondition {
            type_: "Ready".into(),
            status: "True".into(),
            ..Default::default()
        }]),
        addresses: Some(vec![NodeAddress {
            type_: "InternalIP".into(),
            address: "10.0.0.7".into(),
        }]),
        node_info: Some(NodeSystemInfo {
            kubelet_version: "v1.32.0".into(),
            os_image: "Debian GNU/Linux 12".into(),
            kernel_version: "6.1.0".into(),
            container_runtime_version: "containerd://1.7.0".into(),
            ..Default::default()
        }),
        ..Default::default()
    });
    n
}

pub fn world_node(sim: &TestSim, name: &str) -> Node {
    sim.handle
        .world
        .lock()
        .store
        .get::<Node>("", name)
        .map(|n| n.as_ref().clone())
        .expect("node in the world")
}

pub fn world_ds(sim: &TestSim, ns: &str, name: &str) -> DaemonSet {
    sim.handle
        .world
        .lock()
        .store
        .get::<DaemonSet>(ns, name)
        .map(|d| d.as_ref().clone())
        .expect("daemonset in the world")
}
