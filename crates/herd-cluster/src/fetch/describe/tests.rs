//! `kubectl describe` as herd writes it, held against a crash-looping pod.
use super::*;
use serde_json::json;

#[test]
fn a_crash_looping_pod_reads_as_kubectl_describe_says_it() {
    let now: Timestamp = "2026-12-04T20:20:00Z".parse().expect("time");
    let looping: api::Pod = serde_json::from_value(json!({
        "metadata": {"name": "npd-x", "namespace": "kube-system",
            "labels": {"app": "npd"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "npd",
                "uid": "u", "controller": true}]},
        "spec": {"nodeName": "general-01", "containers": [{"name": "npd", "image": "npd:crashloop",
            "resources": {"requests": {"cpu": "20m"}}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.1.0.5",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "npd", "image": "npd:crashloop", "imageID": "",
                "ready": false, "restartCount": 15,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                    "startedAt": "2026-12-04T20:16:42Z", "finishedAt": "2026-12-04T20:16:47Z"}}}]}
    }))
    .expect("a pod");
    let event: api::Event = serde_json::from_value(json!({
        "metadata": {"name": "e1", "namespace": "kube-system"},
        "involvedObject": {"kind": "Pod", "name": "npd-x"},
        "type": "Warning", "reason": "BackOff", "count": 16,
        "firstTimestamp": "2026-12-04T19:20:00Z", "lastTimestamp": "2026-12-04T20:18:00Z",
        "source": {"component": "kubelet"},
        "message": "Back-off restarting failed container npd"
    }))
    .expect("an event");
    let lines = pod(&looping, &[event], now);
    let text = lines.join("\n");
    for want in [
        "Node:             general-01/10.0.0.1",
        "Controlled By:    DaemonSet/npd",
        "    State:        Waiting",
        "      Reason:     CrashLoopBackOff",
        "    Last State:   Terminated",
        "      Reason:     Error",
        "      Exit Code:  1",
        "    Restart Count: 15",
        "Tolerations:      node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want:?} in:\n{text}");
    }
    let backoff = lines
        .iter()
        .find(|l| l.contains("Back-off restarting"))
        .expect("the event");
    assert!(
        backoff.contains("2m (x16 over 60m)") && backoff.contains("kubelet"),
        "{backoff}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("Type ") && l.contains("Message"))
    );
}
