//! Scenarios 9–11: failed pods and their backoff, duplicate pods, and a node too small for its pod.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use crate::bench::{Bench, Binder, NS, daemonset, phase, target};

fn live_pod_on(b: &Bench, ds: &str, node: &str) -> Option<String> {
    b.live_pods(ds)
        .into_iter()
        .find(|p| target(p).as_deref() == Some(node))
        .and_then(|p| p.metadata.name.clone())
}

/// Fails the live pod on `node` and ticks until the controller deletes it; returns when.
fn fail_and_wait_for_delete(b: &mut Bench, node: &str) -> Timestamp {
    let name = live_pod_on(b, "ds", node).expect("a live pod to fail");
    b.set_failed(&name);
    for _ in 0..20_000 {
        b.tick(SignedDuration::from_millis(100));
        let gone = b
            .world
            .store
            .get::<Pod>(NS, &name)
            .is_none_or(|p| p.metadata.deletion_timestamp.is_some());
        if gone {
            return b.now();
        }
    }
    panic!("failed pod {name} was never deleted");
}

#[test]
fn s09_failed_pods_are_replaced_with_growing_delays_reset_by_a_template_change() {
    let mut b = Bench::with_nodes(2);
    // OnDelete: only manage deletes pods here, so the delays are the backoff's alone.
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({"updateStrategy": {"type": "OnDelete"}}),
    ));
    b.settle();
    let mut deletions = vec![fail_and_wait_for_delete(&mut b, "n1")];
    assert_eq!(b.events("FailedDaemonPod").len(), 1);
    for _ in 0..5 {
        // The replacement starts, then fails at once.
        b.tick(SignedDuration::from_millis(100));
        assert!(
            live_pod_on(&b, "ds", "n1").is_some(),
            "a replacement is created at once"
        );
        deletions.push(fail_and_wait_for_delete(&mut b, "n1"));
    }
    let gaps: Vec<f64> = deletions
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_secs_f64())
        .collect();
    for (i, gap) in gaps.iter().enumerate() {
        let floor = f64::from(1u32 << i);
        assert!(
            *gap >= floor,
            "deletion gap {i} was {gap}s, want >= {floor}s ({gaps:?})"
        );
        assert!(
            *gap < floor + 1.5,
            "deletion gap {i} was {gap}s, want about {floor}s ({gaps:?})"
        );
    }
    // Other nodes are unaffected.
    assert!(live_pod_on(&b, "ds", "n2").is_some());

    // Now in a 32 s backoff; a template change starts a new key.
    b.tick(SignedDuration::from_millis(100));
    let name = live_pod_on(&b, "ds", "n1").expect("replacement");
    b.set_failed(&name);
    b.tick(SignedDuration::from_millis(100));
    assert!(
        b.world.store.get::<Pod>(NS, &name).is_some(),
        "still in backoff"
    );
    b.update_ds("ds", |d| {
        d.spec
            .template
            .metadata
            .get_or_insert_with(Default::default)
            .annotations = Some([("rev".to_string(), "2".to_string())].into());
    });
    for _ in 0..10 {
        b.tick(SignedDuration::from_millis(100));
    }
    assert!(
        b.world.store.get::<Pod>(NS, &name).is_none(),
        "a template change resets the delay"
    );
}

#[test]
fn s09_succeeded_pods_are_replaced_without_backoff() {
    let mut b = Bench::with_nodes(1);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    for _ in 0..3 {
        let name = live_pod_on(&b, "ds", "n1").expect("pod");
        b.set_succeeded(&name);
        b.tick(SignedDuration::from_millis(100));
        assert!(b.world.store.get::<Pod>(NS, &name).is_none());
        assert!(live_pod_on(&b, "ds", "n1").is_some());
    }
    assert_eq!(b.events("SucceededDaemonPod").len(), 3);
}

fn orphan(b: &mut Bench, name: &str) {
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "ds"}},
        "spec": {"nodeName": "n1", "containers": [{"name": "main", "image": "agent:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    }))
    .expect("pod");
    let now = b.now();
    b.world.store.create(pod, now).expect("create pod");
}

/// OnDelete, so that the adopted (label-less, hence old) pods are not also rolled.
fn on_delete() -> serde_json::Value {
    daemonset(
        "ds",
        "agent:1",
        json!({"updateStrategy": {"type": "OnDelete"}}),
    )
}

#[test]
fn s10_duplicates_keep_the_oldest_then_the_smaller_name() {
    let mut b = Bench::with_nodes(2);
    orphan(&mut b, "ds-z");
    b.tick(SignedDuration::from_secs(1));
    orphan(&mut b, "ds-a");
    b.create_ds(on_delete());
    b.settle();
    assert!(
        b.world.store.get::<Pod>(NS, "ds-z").is_some(),
        "older pod kept"
    );
    assert!(
        b.world.store.get::<Pod>(NS, "ds-a").is_none(),
        "newer pod deleted"
    );

    let mut b = Bench::with_nodes(2);
    orphan(&mut b, "ds-b");
    orphan(&mut b, "ds-a");
    b.create_ds(on_delete());
    b.settle();
    assert!(
        b.world.store.get::<Pod>(NS, "ds-a").is_some(),
        "equal age: smaller name kept"
    );
    assert!(b.world.store.get::<Pod>(NS, "ds-b").is_none());
    assert_eq!(b.live_pods("ds").len(), 2, "one pod per node");
}

#[test]
fn s11_a_node_too_small_keeps_its_pod_pending_and_stalls_the_rollout() {
    let mut b = Bench::new();
    // The real scheduler's resource fit decides; the bench only starts bound pods.
    b.binder = Binder::Scheduler;
    b.world.config.scheduler.enabled = true;
    for (name, cpu) in [("n1", "4"), ("n2", "4"), ("n3", "100m")] {
        b.add_node(json!({
            "metadata": {"name": name, "annotations": {"sim.herd.dev/allocatable-cpu": cpu}},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
                       "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}
        }));
    }
    let resources = json!({"template": {"spec": {"containers": [
        {"name": "main", "image": "agent:1", "resources": {"requests": {"cpu": "500m"}}}]}}});
    b.create_ds(daemonset("ds", "agent:1", resources));
    b.settle();
    let s = b.status("ds");
    assert_eq!(
        (
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_ready
        ),
        (3, 3, 2)
    );
    let n3 = b
        .live_pods("ds")
        .into_iter()
        .find(|p| target(p).as_deref() == Some("n3"))
        .expect("n3 pod");
    assert_eq!(phase(&n3), "Pending");

    b.update_ds("ds", |d| {
        d.spec.template.spec.as_mut().expect("spec").containers[0].image = Some("agent:2".into());
    });
    b.settle();
    let s = b.status("ds");
    assert_eq!(
        s.updated_number_scheduled,
        Some(1),
        "only the Pending n3 pod was replaced"
    );
    assert!(
        b.world
            .store
            .get::<Pod>(NS, n3.metadata.name.as_deref().unwrap_or(""))
            .is_none()
    );
    let old_running = b
        .live_pods("ds")
        .iter()
        .filter(|p| phase(p) == "Running")
        .count();
    assert_eq!(
        old_running, 2,
        "available old pods untouched: the Pending replacement uses the budget"
    );
}

#[test]
fn a_pod_whose_labels_stop_matching_is_released_and_replaced() {
    let mut b = Bench::with_nodes(2);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    let name = live_pod_on(&b, "ds", "n1").expect("pod");
    b.edit_pod(&name, |p| {
        p.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("app".into(), "debug".into());
    });
    b.settle();
    let released = b
        .world
        .store
        .get::<Pod>(NS, &name)
        .expect("released pod stays");
    assert!(
        released
            .metadata
            .owner_references
            .as_ref()
            .is_none_or(|r| r.is_empty())
    );
    let replacement = live_pod_on(&b, "ds", "n1").expect("replacement");
    assert_ne!(replacement, name);
    assert_eq!(b.status("ds").current_number_scheduled, 2);
}

#[test]
fn a_daemonset_being_deleted_is_left_alone() {
    let mut b = Bench::with_nodes(2);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    let status = b.status("ds");
    b.world
        .store
        .modify::<k8s_openapi::api::apps::v1::DaemonSet>(NS, "ds", |d| {
            d.metadata.deletion_timestamp = d.metadata.creation_timestamp.clone();
        })
        .expect("mark deleting");
    let name = live_pod_on(&b, "ds", "n1").expect("pod");
    b.world
        .delete_pod(NS, &name, &Default::default())
        .expect("delete");
    b.add_node(json!({"metadata": {"name": "n3"}}));
    b.settle();
    assert!(live_pod_on(&b, "ds", "n1").is_none(), "no replacement");
    assert!(live_pod_on(&b, "ds", "n3").is_none(), "no new pod");
    assert_eq!(b.status("ds"), status, "status untouched");
}

#[test]
fn an_unbound_pod_for_a_deleted_node_is_deleted() {
    let mut b = Bench::with_nodes(2);
    b.binder = Binder::Scheduler;
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    assert_eq!(b.pods("ds").len(), 2);
    b.delete_node("n2");
    b.settle();
    let left: Vec<_> = b.pods("ds").iter().filter_map(|p| target(p)).collect();
    assert_eq!(left, ["n1"]);
    let s = b.status("ds");
    assert_eq!(
        (s.desired_number_scheduled, s.current_number_scheduled),
        (1, 1)
    );
}

#[test]
fn an_empty_selector_only_warns() {
    let mut b = Bench::with_nodes(1);
    let mut ds: k8s_openapi::api::apps::v1::DaemonSet = serde_json::from_value(daemonset(
        "ds",
        "agent:1",
        json!({"selector": {"matchLabels": null}}),
    ))
    .expect("json");
    ds.metadata.uid = None;
    // Admission would reject this; it can only come from a store written directly.
    let now = b.now();
    b.world.store.create(ds, now).expect("create");
    b.settle();
    assert!(b.pods("ds").is_empty());
    assert_eq!(b.events("SelectingAll").len(), 1);
}
