use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use serde_json::json;

use super::*;
use crate::lean_pod as lean;
use herd_core::model::daemonset::IntOrPercent;
use herd_core::model::placement::{NodeFacts, TaintEffect};
use herd_core::model::pod::PodPhase;

const MIB: i64 = 1024 * 1024;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

// Trimmed from `kubectl get ... -o json` output.
fn crashing_daemon_pod() -> lean::Pod {
    serde_json::from_value(json!({
        "metadata": {
            "name": "node-exporter-x7k2p", "namespace": "monitoring", "uid": "pod-uid-1",
            "creationTimestamp": "2026-11-20T10:00:00Z",
            "labels": {"app": "node-exporter", "controller-revision-hash": "6d4f8b7c9",
                       "pod-template-generation": "3"},
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "not-the-controller"},
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "node-exporter",
                 "uid": "ds-uid-1", "controller": true, "blockOwnerDeletion": true}
            ]
        },
        "spec": {
            "nodeName": "ip-10-0-1-7",
            "containers": [
                {"name": "exporter", "image": "prom/node-exporter:1.8",
                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                               "limits": {"cpu": "250m", "memory": "128Mi"}}},
                {"name": "sidecar", "image": "busybox"}
            ]
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "False", "lastTransitionTime": "2026-11-20T10:05:00Z"},
                {"type": "PodScheduled", "status": "True"}
            ],
            "containerStatuses": [
                {"name": "exporter", "image": "", "imageID": "", "ready": false, "restartCount": 5,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                              "finishedAt": "2026-11-20T10:09:00Z"}}},
                {"name": "sidecar", "image": "", "imageID": "", "ready": true, "restartCount": 1,
                 "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                              "finishedAt": "2026-11-20T10:07:30Z"}}}
            ]
        }
    }))
    .unwrap()
}

#[test]
fn a_crashing_daemon_pod_keeps_what_coverage_and_hogs_read() {
    let p = pod(&crashing_daemon_pod());
    assert_eq!(
        (&*p.namespace, &*p.name, &*p.uid),
        ("monitoring", "node-exporter-x7k2p", "pod-uid-1")
    );
    assert_eq!(p.owner_uid.as_deref(), Some("ds-uid-1"));
    assert_eq!((p.node.as_deref(), p.bound), (Some("ip-10-0-1-7"), true));
    assert_eq!(p.phase, PodPhase::Running);
    assert_eq!(
        (p.ready, p.ready_since),
        (false, Some(ts("2026-11-20T10:05:00Z")))
    );
    assert_eq!(p.revision_hash.as_deref(), Some("6d4f8b7c9"));
    assert_eq!(p.template_generation, Some(3));
    assert_eq!(p.restarts, 6);
    assert_eq!(p.waiting_reason.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(p.last_terminated_reason.as_deref(), Some("OOMKilled"));
    // The latest exit among the containers: what tells a crash loop from a recovered pod.
    assert_eq!(p.last_terminated_at, Some(ts("2026-11-20T10:09:00Z")));
    assert!(p.unschedulable.is_none());
    assert_eq!(p.containers.len(), 2);
    assert_eq!(p.containers[0].requests, Resources::new(100, 64 * MIB));
    assert_eq!(p.containers[0].limits, Resources::new(250, 128 * MIB));
    assert_eq!(p.containers[1].limits, Resources::default());
    assert_eq!(p.created, Some(ts("2026-11-20T10:00:00Z")));
}

#[test]
fn an_unbound_daemon_pod_targets_the_node_its_affinity_pins_and_says_why_it_waits() {
    let mut raw = json!({
        "metadata": {"name": "agent-q", "namespace": "kube-system", "uid": "u",
                     "deletionTimestamp": "2026-11-20T11:00:00Z"},
        "spec": {
            "containers": [{"name": "agent"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": ["ip-10-0-9-9"]}
                ]}]
            }}}
        },
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                            "message": "0/3 nodes are available: 1 Insufficient memory."}]
        }
    });
    let p = pod(&serde_json::from_value(raw.clone()).unwrap());
    assert_eq!((p.node.as_deref(), p.bound), (Some("ip-10-0-9-9"), false));
    assert_eq!(p.phase, PodPhase::Pending);
    assert_eq!(
        p.unschedulable.as_deref(),
        Some("0/3 nodes are available: 1 Insufficient memory.")
    );
    assert_eq!(p.deleting, Some(ts("2026-11-20T11:00:00Z")));
    assert_eq!(p.owner_uid, None);
    let field = "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values";
    *raw.pointer_mut(field).unwrap() = json!(["a", "b"]);
    assert_eq!(
        pod(&serde_json::from_value(raw).unwrap()).node,
        None,
        "only a single-value In names a target"
    );
}

fn daemon_set_json() -> serde_json::Value {
    json!({
        "metadata": {
            "name": "security-agent", "namespace": "security", "uid": "ds-uid-7", "generation": 4,
            "creationTimestamp": "2026-11-01T00:00:00Z",
            "annotations": {"deprecated.daemonset.template.generation": "3",
                            "herd.dev/rollout": "{\"target\":\"abc\"}",
                            "kubectl.kubernetes.io/last-applied-configuration": "{...}"}
        },
        "spec": {
            "selector": {"matchLabels": {"app": "security-agent"}},
            "minReadySeconds": 10,
            "updateStrategy": {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}},
            "template": {
                "metadata": {"labels": {"app": "security-agent"}},
                "spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "agent", "image": "example/agent:2.1",
                                    "resources": {"requests": {"cpu": "0.2", "memory": "1Gi"}}}]
                }
            }
        },
        "status": {"currentNumberScheduled": 9, "desiredNumberScheduled": 10, "numberMisscheduled": 1,
                   "numberReady": 8, "numberAvailable": 7, "numberUnavailable": 3,
                   "updatedNumberScheduled": 6, "observedGeneration": 4}
    })
}

#[test]
fn a_daemon_set_keeps_its_strategy_generations_herd_annotations_and_status() {
    let raw: apps::DaemonSet = serde_json::from_value(daemon_set_json()).unwrap();
    let d = daemon_set(&raw).unwrap();
    assert_eq!(d.key(), "security/security-agent");
    assert_eq!(&*d.uid, "ds-uid-7");
    assert_eq!(d.selector.to_string(), "app=security-agent");
    assert_eq!(
        d.targeting
            .spec()
            .node_selector
            .get("kubernetes.io/os")
            .map(String::as_str),
        Some("linux")
    );
    assert_eq!(d.update_strategy.kind, StrategyKind::RollingUpdate);
    assert_eq!(
        d.update_strategy.max_unavailable,
        Some(IntOrPercent::Percent(25))
    );
    assert_eq!(d.update_strategy.max_surge, Some(IntOrPercent::Int(0)));
    assert_eq!(d.min_ready_seconds, 10);
    assert_eq!(
        (d.generation, d.observed_generation, d.template_generation),
        (4, Some(4), Some(3))
    );
    assert!(d.is_observed());
    let keys: Vec<&str> = d.annotations.keys().map(String::as_str).collect();
    assert_eq!(keys, ["herd.dev/rollout"]);
    assert_eq!(
        d.containers[0].requests,
        Resources {
            cpu_millis: Some(200),
            memory_bytes: Some(1024 * MIB)
        }
    );
    assert_eq!(&*d.containers[0].image, "example/agent:2.1");
    assert_eq!(
        d.status,
        StatusCounts {
            desired: 10,
            current: 9,
            ready: 8,
            updated: 6,
            available: 7,
            misscheduled: 1,
            unavailable: 3,
        }
    );
    assert_eq!(d.created, Some(ts("2026-11-01T00:00:00Z")));
}

#[test]
fn an_unusable_selector_or_budget_names_the_daemon_set() {
    let mut bad_selector = daemon_set_json();
    bad_selector["spec"]["selector"] =
        json!({"matchExpressions": [{"key": "app", "operator": "Near"}]});
    let err = daemon_set(&serde_json::from_value(bad_selector).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("DaemonSet security/security-agent: spec.selector"),
        "{err}"
    );
    let mut bad_budget = daemon_set_json();
    bad_budget["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = json!("a few");
    let err = daemon_set(&serde_json::from_value(bad_budget).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DaemonSet security/security-agent: maxUnavailable \"a few\" is neither a whole number nor a percentage"
    );
    let mut on_delete = daemon_set_json();
    on_delete["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
    let d = daemon_set(&serde_json::from_value(on_delete).unwrap()).unwrap();
    assert_eq!(d.update_strategy.kind, StrategyKind::OnDelete);
}

#[test]
fn a_node_keeps_readiness_allocatable_pool_taints_and_cordon() {
    let raw: api::Node = serde_json::from_value(json!({
        "metadata": {"name": "gpu-1", "creationTimestamp": "2026-10-01T00:00:00Z",
                     "labels": {"pool": "gpu", "kubernetes.io/hostname": "gpu-1"}},
        "spec": {"unschedulable": true, "taints": [
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
        "status": {
            "allocatable": {"cpu": "7910m", "memory": "31Gi", "pods": "110"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "Unknown", "lastTransitionTime": "2026-11-20T09:00:00Z"}
            ]
        }
    }))
    .unwrap();
    let n = node(&raw);
    assert_eq!(&*n.name, "gpu-1");
    assert_eq!(n.pool.as_deref(), Some("gpu"));
    assert!(n.unschedulable);
    assert_eq!(
        n.ready,
        Readiness {
            status: ConditionStatus::Unknown,
            since: Some(ts("2026-11-20T09:00:00Z"))
        }
    );
    assert_eq!(
        n.allocatable,
        Capacity {
            cpu_millis: 7910,
            memory_bytes: 31 * 1024 * MIB,
            pods: 110
        }
    );
    assert_eq!(n.taints[0].effect, TaintEffect::NoSchedule);
    let facts: NodeFacts<'_> = n.facts();
    assert_eq!(facts.taints.len(), 1);
    let bare: api::Node = serde_json::from_value(json!({"metadata": {"name": "new"}})).unwrap();
    let n = node(&bare);
    assert_eq!(
        n.ready.status,
        ConditionStatus::Unknown,
        "no Ready condition yet"
    );
    assert_eq!(n.allocatable, Capacity::default());
}

#[test]
fn a_revision_keeps_owner_number_hash_and_change_cause() {
    let raw: apps::ControllerRevision = serde_json::from_value(json!({
        "metadata": {"name": "agent-6d4f8b7c9", "namespace": "kube-system", "uid": "rev-uid",
                     "labels": {"controller-revision-hash": "6d4f8b7c9"},
                     "annotations": {"kubernetes.io/change-cause": "bump to 2.1"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                          "uid": "ds-uid", "controller": true}]},
        "data": {"spec": {}},
        "revision": 7
    }))
    .unwrap();
    let r = controller_revision(&raw);
    assert_eq!((r.revision, r.hash.as_deref()), (7, Some("6d4f8b7c9")));
    assert_eq!(r.owner_uid.as_deref(), Some("ds-uid"));
    assert_eq!(r.change_cause.as_deref(), Some("bump to 2.1"));
}

/// The ControllerRevision the controller makes for `ds`: its template as a replace patch, with
/// the fields in another order than the DaemonSet's (as any server may write them).
fn revision_holding(ds: &serde_json::Value, image: &str) -> apps::ControllerRevision {
    let mut template = ds["spec"]["template"].clone();
    template["$patch"] = json!("replace");
    template["spec"]["containers"][0]["image"] = json!(image);
    serde_json::from_value(json!({
        "metadata": {"name": "r", "namespace": "ns", "uid": "u",
                     "labels": {"controller-revision-hash": "abc"}},
        "revision": 3,
        "data": {"spec": {"template": template}},
    }))
    .unwrap()
}

#[test]
fn a_revision_is_matched_to_the_template_it_holds_not_to_its_number() {
    let value = daemon_set_json();
    let ds =
        daemon_set(&serde_json::from_value::<apps::DaemonSet>(value.clone()).unwrap()).unwrap();
    let image = value["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();
    let same = controller_revision(&revision_holding(&value, &image));
    let other = controller_revision(&revision_holding(&value, "agent:other"));
    assert!(ds.template_fingerprint.is_some());
    assert_eq!(same.template_fingerprint, ds.template_fingerprint);
    assert_ne!(other.template_fingerprint, ds.template_fingerprint);
    // Data that is not a template gives no fingerprint, never a false match.
    let mut odd = revision_holding(&value, &image);
    odd.data = k8s_openapi::apimachinery::pkg::runtime::RawExtension(json!({"spec": 1}));
    assert_eq!(controller_revision(&odd).template_fingerprint, None);
}
