//! Unmodified kubectl against the simulator: the everyday commands an SRE types, each
//! checked against what kubectl prints and what the world then holds. Skipped with a notice
//! when kubectl is not on PATH.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::objects::{daemonset, ready_node, seed, world_ds, world_node};
use common::server::{TestSim, eventually, require_kubectl, succeeded, table};
use herd_sim::metrics;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn get_nodes_prints_status_roles_and_version() {
    require_kubectl();
    let sim = TestSim::start().await;
    seed(&sim, ready_node("node-a"));
    let rows = table(&succeeded(&sim.kubectl(&["get", "nodes"]).await));
    assert_eq!(rows[0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert_eq!(rows[1][..3], ["node-a", "Ready", "worker"]);
    assert_eq!(rows[1][4], "v1.32.0");
    let wide = table(&succeeded(
        &sim.kubectl(&["get", "nodes", "-o", "wide"]).await,
    ));
    assert_eq!(
        wide[0][5..],
        [
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ]
    );
    assert_eq!(
        wide[1][5..],
        [
            "10.0.0.7",
            "<none>",
            "Debian GNU/Linux 12",
            "6.1.0",
            "containerd://1.7.0"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn get_ds_all_namespaces_prints_the_controllers_counts() {
    require_kubectl();
    let sim = frozen_demo().await;
    let rows = table(&succeeded(
        &sim.kubectl(&["get", "ds", "-A", "-o", "wide"]).await,
    ));
    assert_eq!(
        rows[0],
        [
            "NAMESPACE",
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    let all: Vec<DaemonSet> = {
        let world = sim.handle.world.lock();
        world
            .store
            .table::<DaemonSet>()
            .values()
            .map(|d| d.as_ref().clone())
            .collect()
    };
    assert_eq!(rows.len() - 1, all.len());
    for ds in &all {
        let name = ds.metadata.name.clone().unwrap_or_default();
        let row = rows
            .iter()
            .find(|r| r[1] == name)
            .expect("a row per DaemonSet");
        let st = ds.status.clone().unwrap_or_default();
        let counts = [
            st.desired_number_scheduled,
            st.current_number_scheduled,
            st.number_ready,
            st.updated_number_scheduled.unwrap_or(0),
            st.number_available.unwrap_or(0),
        ];
        assert_eq!(row[2..7], counts.map(|n| n.to_string()), "{name}");
        let pod_spec = ds.spec.template.spec.clone().unwrap_or_default();
        let selector: Vec<String> = pod_spec
            .node_selector
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let selector = if selector.is_empty() {
            "<none>".to_string()
        } else {
            selector.join(",")
        };
        assert_eq!(row[7], selector, "{name}");
        let images: Vec<String> = pod_spec
            .containers
            .iter()
            .filter_map(|c| c.image.clone())
            .collect();
        assert_eq!(row[10], images.join(","), "{name}");
    }
}

/// The demo fleet, settled, with the clock stopped so kubectl and the world can be compared.
async fn frozen_demo() -> TestSim {
    TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn get_pods_wide_prints_status_ip_and_node() {
    require_kubectl();
    let sim = frozen_demo().await;
    let rows = table(&succeeded(
        &sim.kubectl(&["get", "pods", "-A", "-o", "wide"]).await,
    ));
    assert_eq!(
        rows[0],
        [
            "NAMESPACE",
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES"
        ]
    );
    let pods: Vec<Pod> = {
        let world = sim.handle.world.lock();
        world
            .store
            .table::<Pod>()
            .values()
            .map(|p| p.as_ref().clone())
            .collect()
    };
    assert_eq!(rows.len() - 1, pods.len());
    let mut running = 0;
    for p in &pods {
        let name = p.metadata.name.clone().unwrap_or_default();
        let row = rows.iter().find(|r| r[1] == name).expect("a row per pod");
        let status = p.status.clone().unwrap_or_default();
        let statuses = status.container_statuses.unwrap_or_default();
        let ready = statuses.iter().filter(|c| c.ready).count();
        let total = p.spec.as_ref().map_or(0, |s| s.containers.len());
        assert_eq!(row[2], format!("{ready}/{total}"), "{name}");
        let or_none = |v: Option<String>| {
            v.filter(|v| !v.is_empty())
                .unwrap_or_else(|| "<none>".into())
        };
        let ip = status
            .pod_ips
            .and_then(|ips| ips.first().map(|i| i.ip.clone()));
        assert_eq!(row[6], or_none(ip), "{name}");
        assert_eq!(
            row[7],
            or_none(p.spec.as_ref().and_then(|s| s.node_name.clone())),
            "{name}"
        );
        if status.phase.as_deref() == Some("Running")
            && ready == total
            && p.metadata.deletion_timestamp.is_none()
        {
            assert_eq!(row[3], "Running", "{name}");
            running += 1;
        }
    }
    assert!(running > 0, "the demo runs pods");
    let crashing = rows
        .iter()
        .any(|r| r[3] == "CrashLoopBackOff" || r[3] == "Error");
    assert!(crashing, "the demo's crash-looping release shows in STATUS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn label_taint_and_cordon_change_the_node() {
    require_kubectl();
    let sim = TestSim::start().await;
    seed(&sim, ready_node("n1"));
    succeeded(&sim.kubectl(&["label", "node", "n1", "disk=ssd"]).await);
    succeeded(
        &sim.kubectl(&["taint", "node", "n1", "dedicated=infra:NoSchedule"])
            .await,
    );
    succeeded(&sim.kubectl(&["cordon", "n1"]).await);
    let n = world_node(&sim, "n1");
    assert_eq!(
        n.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("disk"))
            .map(String::as_str),
        Some("ssd")
    );
    let spec = n.spec.clone().unwrap_or_default();
    assert_eq!(spec.unschedulable, Some(true));
    // The node lifecycle controller may add its own unschedulable taint beside ours.
    let taints = spec.taints.unwrap_or_default();
    let ours = taints
        .iter()
        .find(|t| t.key == "dedicated")
        .expect("the dedicated taint");
    assert_eq!(
        (ours.value.as_deref(), ours.effect.as_str()),
        (Some("infra"), "NoSchedule")
    );
    let rows = table(&succeeded(&sim.kubectl(&["get", "node", "n1"]).await));
    assert_eq!(rows[1][1], "Ready,SchedulingDisabled");
    succeeded(&sim.kubectl(&["uncordon", "n1"]).await);
    succeeded(&sim.kubectl(&["taint", "node", "n1", "dedicated-"]).await);
    succeeded(&sim.kubectl(&["label", "node", "n1", "disk-"]).await);
    let n = world_node(&sim, "n1");
    let spec = n.spec.unwrap_or_default();
    assert_ne!(spec.unschedulable, Some(true));
    assert!(
        !spec
            .taints
            .unwrap_or_default()
            .iter()
            .any(|t| t.key == "dedicated")
    );
    assert!(!n.metadata.labels.unwrap_or_default().contains_key("disk"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn patch_ds_merge_and_strategic() {
    require_kubectl();
    let sim = TestSim::start().await;
    let mut ds = daemonset("kube-system", "agent", "agent:1.0");
    if let Some(spec) = ds.spec.template.spec.as_mut() {
        spec.containers[0].env = Some(vec![k8s_openapi::api::core::v1::EnvVar {
            name: "A".into(),
            value: Some("1".into()),
            ..Default::default()
        }]);
        spec.tolerations = Some(vec![k8s_openapi::api::core::v1::Toleration {
            key: Some("old".into()),
            operator: Some("Exists".into()),
            ..Default::default()
        }]);
    }
    seed(&sim, ds);
    let merge = r#"{"spec":{"template":{"spec":{"nodeSelector":{"pool":"gpu"}}}}}"#;
    succeeded(
        &sim.kubectl(&[
            "-n",
            "kube-system",
            "patch",
            "ds",
            "agent",
            "--type",
            "merge",
            "-p",
            merge,
        ])
        .await,
    );
    let strategic = r#"{"spec":{"template":{"spec":{"containers":[{"name":"agent","env":[{"name":"B","value":"2"}]}],"tolerations":[{"key":"new","operator":"Exists"}]}}}}"#;
    succeeded(
        &sim.kubectl(&["-n", "kube-system", "patch", "ds", "agent", "-p", strategic])
            .await,
    );
    let pod_spec = world_ds(&sim, "kube-system", "agent")
        .spec
        .template
        .spec
        .unwrap_or_default();
    assert_eq!(
        pod_spec
            .node_selector
            .unwrap_or_default()
            .get("pool")
            .map(String::as_str),
        Some("gpu")
    );
    let container = &pod_spec.containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("agent:1.0"),
        "strategic merge keeps the container's other fields"
    );
    let env: Vec<&str> = container
        .env
        .iter()
        .flatten()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(env, ["A", "B"], "env merges by name");
    let tolerations: Vec<Option<&str>> = pod_spec
        .tolerations
        .iter()
        .flatten()
        .map(|t| t.key.as_deref())
        .collect();
    assert_eq!(
        tolerations,
        [Some("new")],
        "tolerations are replaced, as upstream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn create_from_yaml_and_json_files() {
    require_kubectl();
    let sim = TestSim::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let node_file = dir.path().join("node.yaml");
    std::fs::write(
        &node_file,
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: joined\n  labels:\n    pool: storage\n",
    )
    .expect("write");
    let ds_file = dir.path().join("ds.json");
    let ds =
        serde_json::to_string(&daemonset("default", "storage-daemon", "storaged:2")).expect("json");
    std::fs::write(&ds_file, ds).expect("write");
    let out = succeeded(
        &sim.kubectl(&[
            "create",
            "-f",
            node_file.to_str().unwrap_or(""),
            "-f",
            ds_file.to_str().unwrap_or(""),
        ])
        .await,
    );
    assert!(
        out.contains("node/joined created")
            && out.contains("daemonset.apps/storage-daemon created"),
        "{out}"
    );
    assert_eq!(
        world_node(&sim, "joined")
            .metadata
            .labels
            .unwrap_or_default()
            .get("pool")
            .map(String::as_str),
        Some("storage")
    );
    assert_eq!(
        world_ds(&sim, "default", "storage-daemon")
            .spec
            .template
            .spec
            .unwrap_or_default()
            .containers[0]
            .image
            .as_deref(),
        Some("storaged:2")
    );
    let again = sim
        .kubectl(&["create", "-f", node_file.to_str().unwrap_or("")])
        .await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("AlreadyExists"),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn top_nodes_prints_usage_from_the_metrics_api() {
    require_kubectl();
    // The demo fleet with the clock stopped, so usage holds still between the two reads.
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await;
    let expected: Vec<(String, u64)> = {
        let world = sim.handle.world.lock();
        let nodes: Vec<_> = world.store.table::<Node>().values().cloned().collect();
        nodes
            .iter()
            .filter_map(|n| {
                Some((
                    n.metadata.name.clone()?,
                    metrics::node_usage(&world, n)?.cpu_millis,
                ))
            })
            .collect()
    };
    assert!(!expected.is_empty(), "the demo reports node usage");
    let rows = table(&succeeded(&sim.kubectl(&["top", "nodes"]).await));
    assert_eq!(rows[0][..3], ["NAME", "CPU(cores)", "CPU(%)"]);
    assert_eq!(rows.len() - 1, expected.len());
    for (name, millis) in &expected {
        let row = rows
            .iter()
            .find(|r| &r[0] == name)
            .expect("a row per reporting node");
        assert_eq!(row[1], format!("{millis}m"), "{row:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn rollout_restart_stamps_the_template() {
    require_kubectl();
    let sim = TestSim::start().await;
    seed(&sim, daemonset("kube-system", "agent", "agent:1"));
    let out = succeeded(
        &sim.kubectl(&["-n", "kube-system", "rollout", "restart", "ds/agent"])
            .await,
    );
    assert!(out.contains("daemonset.apps/agent restarted"), "{out}");
    let ds = world_ds(&sim, "kube-system", "agent");
    let annotations = ds
        .spec
        .template
        .metadata
        .and_then(|m| m.annotations)
        .unwrap_or_default();
    assert!(
        annotations.contains_key("kubectl.kubernetes.io/restartedAt"),
        "{annotations:?}"
    );
}

/// A fleet the DaemonSet controller can roll: three ready nodes and one DaemonSet, sped up.
async fn rollout_fleet() -> TestSim {
    let sim = TestSim::start_with(|o| o.speed = 20.0).await;
    for i in 0..3 {
        seed(&sim, ready_node(&format!("n{i}")));
    }
    let ds = serde_json::to_string(&daemonset("kube-system", "agent", "agent:1")).expect("json");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ds.json");
    std::fs::write(&file, ds).expect("write");
    succeeded(
        &sim.kubectl(&["create", "-f", file.to_str().unwrap_or("")])
            .await,
    );
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn rollout_status_history_and_undo() {
    require_kubectl();
    let sim = rollout_fleet().await;
    let ns = ["-n", "kube-system"];
    let status = |extra: &'static [&'static str]| {
        [
            &ns[..],
            &["rollout", "status", "ds/agent", "--timeout=60s"],
            extra,
        ]
        .concat()
    };
    let out = succeeded(&sim.kubectl(&status(&[])).await);
    assert!(out.contains("successfully rolled out"), "{out}");
    succeeded(
        &sim.kubectl(&[&ns[..], &["set", "image", "ds/agent", "agent=agent:2"]].concat())
            .await,
    );
    succeeded(&sim.kubectl(&status(&[])).await);
    let history = succeeded(
        &sim.kubectl(&[&ns[..], &["rollout", "history", "ds/agent"]].concat())
            .await,
    );
    let revisions: Vec<String> = table(&history)
        .iter()
        .skip(2)
        .filter_map(|r| r.first().cloned())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");
    let undo = succeeded(
        &sim.kubectl(&[&ns[..], &["rollout", "undo", "ds/agent"]].concat())
            .await,
    );
    assert!(undo.contains("rolled back"), "{undo}");
    succeeded(&sim.kubectl(&status(&[])).await);
    eventually("pods back on agent:1", || async {
        let world = sim.handle.world.lock();
        let pods: Vec<_> = world
            .store
            .table::<Pod>()
            .in_namespace("kube-system")
            .cloned()
            .collect();
        let images: Vec<_> = pods
            .iter()
            .filter_map(|p| p.spec.as_ref()?.containers[0].image.clone())
            .collect();
        (images.len() == 3 && images.iter().all(|i| i == "agent:1")).then_some(())
    })
    .await;
}

/// A refused DaemonSet reads in kubectl as upstream's does: the kind, the name, and each field
/// error from the Status's `details.causes` (upstream `errors.NewInvalid`); nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn a_refused_daemonset_names_each_field_and_rule_as_upstream() {
    require_kubectl();
    let sim = TestSim::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        (
            "bz",
            serde_json::json!({"maxSurge": 0, "maxUnavailable": 0}),
            "The DaemonSet \"bz\" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
        ),
        (
            "both",
            serde_json::json!({"maxSurge": 1, "maxUnavailable": 1}),
            "The DaemonSet \"both\" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero",
        ),
    ];
    for (name, rolling, want) in cases {
        let mut ds = serde_json::to_value(daemonset("default", name, "agent:1")).expect("json");
        ds["spec"]["updateStrategy"] =
            serde_json::json!({"type": "RollingUpdate", "rollingUpdate": rolling});
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, ds.to_string()).expect("write");
        let out = sim
            .kubectl(&["create", "-f", file.to_str().unwrap_or("")])
            .await;
        assert!(!out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim(), want, "{name}");
        let stored = sim
            .handle
            .world
            .lock()
            .store
            .get::<DaemonSet>("default", name)
            .is_some();
        assert!(!stored, "{name} was stored");
    }
}

/// A surge rollout with minReadySeconds on five nodes, through kubectl as a person would run
/// it: `kubectl rollout status` returns and every node ends with one pod, on the new image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn a_surge_rollout_with_min_ready_seconds_finishes() {
    require_kubectl();
    let sim = TestSim::start_with(|o| o.speed = 20.0).await;
    for i in 0..5 {
        seed(&sim, ready_node(&format!("n{i}")));
    }
    let mut ds = serde_json::to_value(daemonset("kube-system", "agent", "agent:1")).expect("json");
    ds["spec"]["minReadySeconds"] = serde_json::json!(2);
    ds["spec"]["updateStrategy"] = serde_json::json!({
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}
    });
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ds.json");
    std::fs::write(&file, ds.to_string()).expect("write");
    succeeded(
        &sim.kubectl(&["create", "-f", file.to_str().unwrap_or("")])
            .await,
    );
    let ns = ["-n", "kube-system"];
    let status = [&ns[..], &["rollout", "status", "ds/agent", "--timeout=60s"]].concat();
    succeeded(&sim.kubectl(&status).await);
    succeeded(
        &sim.kubectl(&[&ns[..], &["set", "image", "ds/agent", "agent=agent:2"]].concat())
            .await,
    );
    let out = succeeded(&sim.kubectl(&status).await);
    assert!(out.contains("successfully rolled out"), "{out}");
    let pods = eventually("one pod per node, none terminating", || async {
        let world = sim.handle.world.lock();
        let live: Vec<(String, String)> = world
            .store
            .table::<Pod>()
            .values()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .map(|p| {
                let spec = p.spec.clone().unwrap_or_default();
                (
                    spec.node_name.unwrap_or_default(),
                    spec.containers[0].image.clone().unwrap_or_default(),
                )
            })
            .collect();
        (live.len() == 5).then_some(live)
    })
    .await;
    let nodes: std::collections::BTreeSet<&str> = pods.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(nodes.len(), 5, "{pods:?}");
    assert!(pods.iter().all(|(_, image)| image == "agent:2"), "{pods:?}");
}
