//! Lean pod decoding against whole `kubectl get pod -o json` output: what is skipped stays
//! skipped, what herd reads comes through.

use serde_json::json;

use super::pod;
use crate::lean_pod::Pod as LeanPod;
use herd_core::model::pod::PodPhase;
use herd_core::model::resources::Resources;

const MIB: i64 = 1024 * 1024;

// A whole pod as a real API server sends it (trimmed strings, every kind of field kept).
fn real_pod() -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-01T00:00:00Z",
                            "prometheus.io/scrape": "true"},
            "creationTimestamp": "2026-11-20T10:00:00Z",
            "generateName": "kube-proxy-",
            "labels": {"controller-revision-hash": "7f9c5d8b6", "k8s-app": "kube-proxy",
                       "pod-template-generation": "12"},
            "managedFields": [{
                "apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kube-controller-manager",
                "operation": "Update", "time": "2026-11-20T10:00:00Z",
                "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {},
                    "f:controller-revision-hash": {}}, "f:ownerReferences": {".": {},
                    "k:{\"uid\":\"ds-uid\"}": {}}}, "f:spec": {"f:affinity": {".": {}}}}
            }, {
                "apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubelet",
                "operation": "Update", "subresource": "status", "time": "2026-11-20T10:00:05Z",
                "fieldsV1": {"f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {
                    ".": {}, "f:status": {}}}}}
            }],
            "name": "kube-proxy-8x2kq", "namespace": "kube-system",
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": true,
                                 "controller": true, "kind": "DaemonSet", "name": "kube-proxy",
                                 "uid": "ds-uid"}],
            "resourceVersion": "48213", "uid": "pod-uid"
        },
        "spec": {
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{
                    "matchExpressions": [{"key": "kubernetes.io/os", "operator": "In",
                                          "values": ["linux"]}],
                    "matchFields": [{"key": "metadata.name", "operator": "In",
                                     "values": ["ip-10-0-3-14"]}]
                }]}},
                "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}},
            "containers": [{
                "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"],
                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                         "fieldPath": "spec.nodeName"}}}],
                "image": "registry.k8s.io/kube-proxy:v1.31.2", "imagePullPolicy": "IfNotPresent",
                "name": "kube-proxy",
                "resources": {"requests": {"cpu": "100m", "memory": "50Mi",
                                           "ephemeral-storage": "1Gi"},
                              "limits": {"memory": "1e9", "cpu": "not-a-quantity"}},
                "securityContext": {"privileged": true},
                "volumeMounts": [{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"}]
            }],
            "initContainers": [{"name": "init", "image": "busybox",
                                "resources": {"requests": {"cpu": "5"}}}],
            "dnsPolicy": "ClusterFirst", "hostNetwork": true, "nodeName": "ip-10-0-3-14",
            "priorityClassName": "system-node-critical",
            "tolerations": [{"operator": "Exists"}],
            "volumes": [{"configMap": {"defaultMode": 420, "name": "kube-proxy"},
                         "name": "kube-proxy"}]
        },
        "status": {
            "conditions": [
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T10:00:02Z",
                 "status": "True", "type": "PodReadyToStartContainers"},
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T10:00:04Z",
                 "status": "True", "type": "Ready"},
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T10:00:00Z",
                 "status": "True", "type": "PodScheduled"}
            ],
            "containerStatuses": [{
                "containerID": "containerd://abc", "image": "registry.k8s.io/kube-proxy:v1.31.2",
                "imageID": "registry.k8s.io/kube-proxy@sha256:def", "lastState": {},
                "name": "kube-proxy", "ready": true, "restartCount": 2, "started": true,
                "state": {"running": {"startedAt": "2026-11-20T10:00:03Z"}},
                "volumeMounts": [{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"}]
            }],
            "initContainerStatuses": [{
                "name": "init", "image": "busybox", "imageID": "", "ready": false,
                "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}
            }],
            "hostIP": "10.0.3.14", "hostIPs": [{"ip": "10.0.3.14"}], "phase": "Running",
            "podIP": "10.0.3.14", "podIPs": [{"ip": "10.0.3.14"}], "qosClass": "Burstable",
            "startTime": "2026-11-20T10:00:00Z"
        }
    })
}

#[test]
fn a_real_pod_decodes_to_what_herd_reads_and_keeps_nothing_else() {
    let raw: LeanPod = serde_json::from_value(real_pod()).expect("a real pod decodes");
    let meta = &raw.metadata;
    assert_eq!(
        meta.resource_version.as_deref(),
        Some("48213"),
        "the watcher resumes from it"
    );
    assert!(meta.annotations.is_none() && meta.managed_fields.is_none());
    let labels: Vec<&str> = meta
        .labels
        .iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        labels,
        ["controller-revision-hash", "pod-template-generation"]
    );
    let p = pod(&raw);
    assert_eq!(
        (&*p.namespace, &*p.name, &*p.uid),
        ("kube-system", "kube-proxy-8x2kq", "pod-uid")
    );
    assert_eq!(p.owner_uid.as_deref(), Some("ds-uid"));
    assert_eq!((p.node.as_deref(), p.bound), (Some("ip-10-0-3-14"), true));
    assert_eq!((p.phase, p.ready, p.restarts), (PodPhase::Running, true, 2));
    assert_eq!(p.ready_since, Some("2026-11-20T10:00:04Z".parse().unwrap()));
    assert_eq!(
        (p.revision_hash.as_deref(), p.template_generation),
        (Some("7f9c5d8b6"), Some(12))
    );
    assert_eq!(
        p.waiting_reason.as_deref(),
        Some("PodInitializing"),
        "init containers count"
    );
    assert_eq!((p.last_terminated_reason, p.unschedulable), (None, None));
    assert_eq!(
        p.containers.len(),
        1,
        "init containers hold no steady-state resources"
    );
    let c = &p.containers[0];
    assert_eq!(&*c.name, "kube-proxy");
    assert_eq!(c.requests, Resources::new(100, 50 * MIB));
    assert_eq!(
        c.limits,
        Resources {
            cpu_millis: None,
            memory_bytes: Some(1_000_000_000)
        },
        "an unreadable quantity counts as unset"
    );
}

#[test]
fn the_affinity_target_is_the_first_metadata_name_in_requirement() {
    let mut raw = real_pod();
    raw["spec"]["nodeName"] = json!(null);
    let terms = "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms";
    *raw.pointer_mut(terms).unwrap() = json!([
        {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["a"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["c"]}]}
    ]);
    let p = pod(&serde_json::from_value(raw.clone()).unwrap());
    assert_eq!((p.node.as_deref(), p.bound), (Some("b"), false));
    raw["spec"]["affinity"] = json!(null);
    raw["status"] = json!({});
    let p = pod(&serde_json::from_value(raw).unwrap());
    assert_eq!((p.node, p.phase), (None, PodPhase::Pending));
}
