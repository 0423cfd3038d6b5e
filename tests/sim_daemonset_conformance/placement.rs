//! Scenarios 1–8: which nodes run a daemon pod, and the shape of the pods created.

use serde_json::json;

use crate::bench::{Bench, Binder, daemonset, label, node_name, target};

fn nodes_with_pods(b: &Bench, ds: &str) -> Vec<String> {
    b.live_pods(ds)
        .iter()
        .filter_map(|p| target(p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn taint(b: &mut Bench, node: &str, key: &str, value: &str, effect: &str) {
    b.edit_node(node, |n| {
        let spec = n.spec.get_or_insert_with(Default::default);
        let t = serde_json::from_value(json!({"key": key, "value": value, "effect": effect}))
            .expect("taint");
        spec.taints.get_or_insert_with(Vec::new).push(t);
    });
}

#[test]
fn s01_no_schedule_taint_excludes_the_node() {
    let mut b = Bench::with_nodes(3);
    taint(&mut b, "n3", "gpu", "true", "NoSchedule");
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    let s = b.status("ds");
    assert_eq!(
        (s.desired_number_scheduled, s.current_number_scheduled),
        (2, 2)
    );
    assert_eq!(s.number_misscheduled, 0);
    assert_eq!(nodes_with_pods(&b, "ds"), ["n1", "n2"]);
}

#[test]
fn s02_no_schedule_taint_keeps_the_pod_no_execute_removes_it() {
    let mut b = Bench::with_nodes(3);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    assert_eq!(b.live_pods("ds").len(), 3);

    taint(&mut b, "n3", "gpu", "true", "NoSchedule");
    b.settle();
    let s = b.status("ds");
    assert_eq!(
        (s.desired_number_scheduled, s.current_number_scheduled),
        (2, 2)
    );
    assert_eq!(
        s.number_misscheduled, 1,
        "the n3 pod stays, reported misscheduled"
    );
    assert_eq!(nodes_with_pods(&b, "ds"), ["n1", "n2", "n3"]);

    let mut b = Bench::with_nodes(3);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    taint(&mut b, "n3", "dedicated", "x", "NoExecute");
    b.settle();
    let s = b.status("ds");
    assert_eq!(
        nodes_with_pods(&b, "ds"),
        ["n1", "n2"],
        "n3 pod deleted and not recreated"
    );
    assert_eq!((s.desired_number_scheduled, s.number_misscheduled), (2, 0));
}

#[test]
fn s03_prefer_no_schedule_is_ignored_and_equal_needs_the_value() {
    let mut b = Bench::with_nodes(3);
    taint(&mut b, "n1", "a", "1", "PreferNoSchedule");
    taint(&mut b, "n2", "b", "2", "NoSchedule");
    let tol = |t: serde_json::Value| json!({"template": {"spec": {"tolerations": [t]}}});
    b.create_ds(daemonset(
        "equal",
        "agent:1",
        tol(json!({"key": "b", "operator": "Equal", "value": "3"})),
    ));
    b.create_ds(daemonset(
        "exists",
        "agent:1",
        tol(json!({"key": "b", "operator": "Exists"})),
    ));
    b.create_ds(daemonset(
        "any",
        "agent:1",
        tol(json!({"operator": "Exists"})),
    ));
    b.settle();
    assert_eq!(b.status("equal").desired_number_scheduled, 2);
    assert_eq!(nodes_with_pods(&b, "equal"), ["n1", "n3"]);
    assert_eq!(b.status("exists").desired_number_scheduled, 3);
    assert_eq!(b.status("any").desired_number_scheduled, 3);
}

#[test]
fn s04_cordon_and_pressure_do_not_block_network_unavailable_does() {
    let mut b = Bench::with_nodes(3);
    b.edit_node("n1", |n| {
        n.spec.get_or_insert_with(Default::default).unschedulable = Some(true)
    });
    taint(
        &mut b,
        "n1",
        "node.kubernetes.io/unschedulable",
        "",
        "NoSchedule",
    );
    taint(
        &mut b,
        "n2",
        "node.kubernetes.io/memory-pressure",
        "",
        "NoSchedule",
    );
    taint(
        &mut b,
        "n3",
        "node.kubernetes.io/network-unavailable",
        "",
        "NoSchedule",
    );
    b.create_ds(daemonset("normal", "agent:1", json!({})));
    b.create_ds(daemonset(
        "hostnet",
        "agent:1",
        json!({"template": {"spec": {"hostNetwork": true}}}),
    ));
    b.settle();
    assert_eq!(b.status("normal").desired_number_scheduled, 2);
    assert_eq!(nodes_with_pods(&b, "normal"), ["n1", "n2"]);
    assert_eq!(b.status("hostnet").desired_number_scheduled, 3);
}

#[test]
fn s05_not_ready_node_keeps_its_pod_but_gets_no_new_one() {
    let mut b = Bench::with_nodes(3);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    b.edit_node("n3", |n| {
        let v = json!({"conditions": [{"type": "Ready", "status": "False"}]});
        n.status = Some(serde_json::from_value(v).expect("status"));
    });
    taint(
        &mut b,
        "n3",
        "node.kubernetes.io/not-ready",
        "",
        "NoSchedule",
    );
    taint(
        &mut b,
        "n3",
        "node.kubernetes.io/not-ready",
        "",
        "NoExecute",
    );
    b.settle();
    let s = b.status("ds");
    assert_eq!(
        nodes_with_pods(&b, "ds"),
        ["n1", "n2", "n3"],
        "the n3 pod survives"
    );
    assert_eq!((s.desired_number_scheduled, s.number_misscheduled), (2, 1));

    b.create_ds(daemonset("late", "agent:1", json!({})));
    b.settle();
    assert_eq!(nodes_with_pods(&b, "late"), ["n1", "n2"]);

    b.edit_node("n3", |n| {
        n.spec.get_or_insert_with(Default::default).taints = None;
        let v = json!({"conditions": [{"type": "Ready", "status": "True"}]});
        n.status = Some(serde_json::from_value(v).expect("status"));
    });
    b.settle();
    assert_eq!(nodes_with_pods(&b, "late"), ["n1", "n2", "n3"]);
    assert_eq!(b.status("late").desired_number_scheduled, 3);
    assert_eq!(b.status("ds").number_misscheduled, 0);
}

#[test]
fn s06_removing_a_selected_label_deletes_the_pod() {
    let mut b = Bench::with_nodes(4);
    for n in ["n1", "n2"] {
        b.edit_node(n, |n| {
            n.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("disk".into(), "ssd".into());
        });
    }
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({"template": {"spec": {"nodeSelector": {"disk": "ssd"}}}}),
    ));
    b.settle();
    assert_eq!(b.status("ds").desired_number_scheduled, 2);
    b.edit_node("n2", |n| {
        n.metadata
            .labels
            .get_or_insert_with(Default::default)
            .remove("disk");
    });
    b.settle();
    assert_eq!(nodes_with_pods(&b, "ds"), ["n1"]);
    assert_eq!(b.status("ds").desired_number_scheduled, 1);
}

#[test]
fn s07_affinity_operators() {
    let mut b = Bench::new();
    for (name, cores) in [("n1", "8"), ("n2", "4"), ("n3", "eight")] {
        b.add_node(json!({"metadata": {"name": name, "labels": {"cores": cores}}}));
    }
    let affinity = |terms: serde_json::Value| {
        json!({"template": {"spec": {"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}}}})
    };
    let gt = json!([{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4"]}]}]);
    let not_in =
        json!([{"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}]);
    b.create_ds(daemonset("gt", "agent:1", affinity(gt)));
    b.create_ds(daemonset("notin", "agent:1", affinity(not_in)));
    b.create_ds(daemonset("empty", "agent:1", affinity(json!([{}]))));
    b.settle();
    assert_eq!(nodes_with_pods(&b, "gt"), ["n1"]);
    assert_eq!(nodes_with_pods(&b, "notin"), ["n2", "n3"]);
    assert_eq!(b.status("empty").desired_number_scheduled, 0);
    assert!(b.live_pods("empty").is_empty());
}

#[test]
fn s08_created_pod_shape() {
    let mut b = Bench::with_nodes(2);
    // Nothing binds: the pods stay as the controller created them.
    b.binder = Binder::Scheduler;
    for n in ["n1", "n2"] {
        b.edit_node(n, |n| {
            let l = n.metadata.labels.get_or_insert_with(Default::default);
            l.insert("zone".into(), "a".into());
            l.insert("kind".into(), "worker".into());
        });
    }
    b.create_ds(daemonset("agent", "agent:1", json!({"template": {"spec": {
        "nodeSelector": {"kind": "worker"},
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}}}})));
    b.settle();
    let pods = b.pods("agent");
    assert_eq!(pods.len(), 2);
    let hash = b.revisions()[0]
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("controller-revision-hash").cloned());
    for pod in pods {
        assert_eq!(pod.metadata.generate_name.as_deref(), Some("agent-"));
        assert_eq!(label(&pod, "controller-revision-hash"), hash);
        assert_eq!(label(&pod, "pod-template-generation").as_deref(), Some("1"));
        assert!(node_name(&pod).is_empty(), "binding is the scheduler's job");
        let owner = &pod.metadata.owner_references.as_ref().expect("owner")[0];
        assert_eq!(
            (
                owner.kind.as_str(),
                owner.controller,
                owner.block_owner_deletion
            ),
            ("DaemonSet", Some(true), Some(true))
        );
        let v = serde_json::to_value(pod.as_ref()).expect("json");
        let terms = &v["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"];
        let node = target(&pod).expect("pinned");
        assert_eq!(
            *terms,
            json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}])
        );
        assert_eq!(v["spec"]["nodeSelector"], json!({"kind": "worker"}));
        let tolerations = v["spec"]["tolerations"].as_array().expect("tolerations");
        let keys: Vec<(&str, &str)> = tolerations
            .iter()
            .map(|t| {
                (
                    t["key"].as_str().unwrap_or(""),
                    t["effect"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("node.kubernetes.io/not-ready", "NoExecute"),
                ("node.kubernetes.io/unreachable", "NoExecute"),
                ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                ("node.kubernetes.io/unschedulable", "NoSchedule"),
            ]
        );
        assert!(
            tolerations
                .iter()
                .all(|t| t["operator"] == "Exists" && t.get("tolerationSeconds").is_none())
        );
    }
}
