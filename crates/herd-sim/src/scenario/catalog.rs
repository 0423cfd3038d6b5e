//! The DaemonSets of the demo fleet, written as a platform team would: real images, requests
//! and limits, tolerations and node selectors, each with the quirk the demo is about.

use k8s_openapi::api::apps::v1::DaemonSet;
use serde_json::{Value, json};

use super::nodes::{GPU_LABEL, GPU_TAINT, STORAGE_LABEL};
use crate::metrics::ANNOTATION_MEMORY_USAGE;

/// The namespaces the catalog uses besides the cluster's own.
pub const NAMESPACES: [&str; 7] = [
    "logging",
    "monitoring",
    "gpu-operator",
    "falco",
    "storage",
    "observability",
    "platform",
];

/// The DaemonSet whose release is crash-looping mid-rollout, and its broken image.
pub const CRASHLOOP_DS: (&str, &str) = ("kube-system", "node-problem-detector");
pub const CRASHLOOP_IMAGE: &str =
    "registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.21-crashloop";
/// The security agent that forgot the GPU toleration.
pub const FALCO_DS: (&str, &str) = ("falco", "falco");
/// The DaemonSet whose pods use far more memory than they request.
pub const HOG_DS: (&str, &str) = ("observability", "otel-agent");

/// One agent's shape; `extra` is merged into the pod spec.
struct Agent {
    namespace: &'static str,
    name: &'static str,
    image: &'static str,
    /// cpu request, memory request, memory limit (cpu is not limited, as is common for agents).
    resources: (&'static str, &'static str, &'static str),
    ports: &'static [(&'static str, i32)],
    extra: Value,
    pod_annotations: Value,
    max_unavailable: Value,
}

fn tolerate_all() -> Value {
    json!({ "tolerations": [{ "operator": "Exists" }] })
}

fn agent(
    namespace: &'static str,
    name: &'static str,
    image: &'static str,
    resources: (&'static str, &'static str, &'static str),
    ports: &'static [(&'static str, i32)],
    extra: Value,
) -> Agent {
    Agent {
        namespace,
        name,
        image,
        resources,
        ports,
        extra,
        pod_annotations: json!({}),
        max_unavailable: json!(1),
    }
}

/// A node agent on the host network, as CNI and exporters run.
fn host(extra: Value) -> Value {
    let mut v = tolerate_all();
    v["hostNetwork"] = json!(true);
    v["dnsPolicy"] = json!("ClusterFirstWithHostNet");
    v["priorityClassName"] = json!("system-node-critical");
    if let (Some(map), Value::Object(more)) = (v.as_object_mut(), extra) {
        map.extend(more);
    }
    v
}

fn gpu_toleration() -> Value {
    json!({ "key": GPU_TAINT, "operator": "Exists", "effect": "NoSchedule" })
}

/// The hand-written agents, most important first (a small `--daemonsets M` keeps the first M).
fn agents() -> Vec<Agent> {
    let mut all = vec![
        agent(
            "kube-system",
            "cilium",
            "quay.io/cilium/cilium:v1.16.5",
            ("100m", "128Mi", "1Gi"),
            &[("prometheus", 9962), ("health", 4240)],
            host(json!({})),
        ),
        agent(
            "kube-system",
            "kube-proxy",
            "registry.k8s.io/kube-proxy:v1.33.0",
            ("100m", "64Mi", "256Mi"),
            &[("metrics", 10249)],
            host(json!({})),
        ),
        agent(
            "logging",
            "fluent-bit",
            "cr.fluentbit.io/fluent/fluent-bit:3.2.4",
            ("50m", "64Mi", "256Mi"),
            &[("http", 2020)],
            tolerate_all(),
        ),
        agent(
            "monitoring",
            "node-exporter",
            "quay.io/prometheus/node-exporter:v1.8.2",
            ("25m", "32Mi", "128Mi"),
            &[("metrics", 9100)],
            host(json!({ "hostPID": true })),
        ),
    ];
    all.extend(targeted_agents());
    all
}

/// The agents with a story: GPU-only, the forgotten toleration, storage-only, the hog, and
/// the release that will crash-loop.
fn targeted_agents() -> Vec<Agent> {
    vec![
        agent(
            "gpu-operator",
            "nvidia-device-plugin",
            "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
            ("10m", "32Mi", "128Mi"),
            &[],
            json!({ "nodeSelector": { GPU_LABEL: "true" }, "tolerations": [gpu_toleration()], "priorityClassName": "system-node-critical" }),
        ),
        agent(
            FALCO_DS.0,
            FALCO_DS.1,
            "falcosecurity/falco:0.39.2",
            ("100m", "256Mi", "1Gi"),
            &[("web", 8765)],
            json!({ "tolerations": [{ "key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule" }] }),
        ),
        agent(
            "storage",
            "csi-rbdplugin",
            "quay.io/cephcsi/cephcsi:v3.13.0",
            ("50m", "128Mi", "512Mi"),
            &[("metrics", 9080)],
            host(json!({ "nodeSelector": { STORAGE_LABEL: "true" } })),
        ),
        Agent {
            pod_annotations: json!({ ANNOTATION_MEMORY_USAGE: "880Mi" }),
            ..agent(
                HOG_DS.0,
                HOG_DS.1,
                "otel/opentelemetry-collector-contrib:0.115.1",
                ("50m", "64Mi", "1Gi"),
                &[("otlp", 4317)],
                tolerate_all(),
            )
        },
        // Tolerates the GPU taint but not not-ready: it stays off a NotReady node.
        agent(
            CRASHLOOP_DS.0,
            CRASHLOOP_DS.1,
            "registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.20",
            ("20m", "32Mi", "128Mi"),
            &[("exporter", 20257)],
            json!({ "tolerations": [gpu_toleration()] }),
        ),
    ]
}

/// Generated agents beyond the hand-written ones (for `--daemonsets M`): small, everywhere.
const GENERATED: [&str; 24] = [
    "ebs-csi-node",
    "efs-csi-node",
    "secrets-store-csi-driver",
    "promtail",
    "vector-agent",
    "kube-bench",
    "trivy-node-collector",
    "cert-exporter",
    "node-local-dns",
    "kured",
    "spegel",
    "tetragon",
    "parca-agent",
    "pyroscope-ebpf",
    "smokeping-prober",
    "ethtool-exporter",
    "conntrack-exporter",
    "image-prefetcher",
    "log-rotator",
    "kernel-tuner",
    "ntp-monitor",
    "disk-health",
    "network-probe",
    "sysctl-guard",
];

/// The first `count` DaemonSets of the fleet.
pub fn daemonsets(count: usize) -> Result<Vec<DaemonSet>, serde_json::Error> {
    let mut agents = agents();
    agents.truncate(count);
    let generated = (0..count.saturating_sub(agents.len())).map(|i| {
        let name = GENERATED
            .get(i)
            .map_or_else(|| format!("agent-{i:02}"), |n| n.to_string());
        (name, i)
    });
    let mut out: Vec<DaemonSet> = agents.iter().map(build).collect::<Result<_, _>>()?;
    for (name, i) in generated {
        let cpu = ["10m", "20m", "25m", "30m"][i % 4];
        let mem = ["32Mi", "48Mi", "64Mi"][i % 3];
        let image = format!("registry.herd.dev/platform/{name}:1.{}.{}", i % 7, i % 3);
        let agent = Agent {
            namespace: "platform",
            name: "",
            image: "",
            resources: (cpu, mem, "256Mi"),
            ports: &[],
            extra: tolerate_all(),
            pod_annotations: json!({}),
            max_unavailable: json!("10%"),
        };
        out.push(build_named(&agent, &name, &image)?);
    }
    Ok(out)
}

fn build(agent: &Agent) -> Result<DaemonSet, serde_json::Error> {
    build_named(agent, agent.name, agent.image)
}

fn build_named(agent: &Agent, name: &str, image: &str) -> Result<DaemonSet, serde_json::Error> {
    let (cpu, memory, memory_limit) = agent.resources;
    let ports: Vec<Value> = agent
        .ports
        .iter()
        .map(|(port_name, port)| json!({ "name": port_name, "containerPort": port, "protocol": "TCP" }))
        .collect();
    let labels =
        json!({ "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "herd-demo" });
    let mut pod_spec = json!({
        "containers": [{
            "name": name,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "ports": ports,
            "resources": {
                "requests": { "cpu": cpu, "memory": memory },
                "limits": { "memory": memory_limit },
            },
        }],
        "terminationGracePeriodSeconds": 30,
        "serviceAccountName": name,
    });
    if let (Some(spec), Value::Object(extra)) = (pod_spec.as_object_mut(), agent.extra.clone()) {
        spec.extend(extra);
    }
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": name,
            "namespace": agent.namespace,
            "labels": labels,
            "annotations": { "kubernetes.io/change-cause": format!("deploy {image}") },
        },
        "spec": {
            "selector": { "matchLabels": { "app.kubernetes.io/name": name } },
            "updateStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": agent.max_unavailable } },
            "template": {
                "metadata": { "labels": labels, "annotations": agent.pod_annotations },
                "spec": pod_spec,
            },
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_builds_and_scales() {
        let nine = daemonsets(9).expect("catalog parses");
        assert_eq!(nine.len(), 9);
        let thirty = daemonsets(30).expect("generated parse");
        assert_eq!(thirty.len(), 30);
        let mut names: Vec<_> = thirty.iter().map(|d| d.metadata.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 30, "names are unique");
        assert_eq!(daemonsets(3).expect("prefix").len(), 3);
    }
}
