//! Scenarios 18–21 and 24: OnDelete, rollback, history limit, hash collisions, and pausing a
//! rollout by switching to OnDelete.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::json;

use crate::bench::{Bench, NS, daemonset, label, target};

const HASH: &str = "controller-revision-hash";

fn hash_of(r: &ControllerRevision) -> String {
    r.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(HASH).cloned())
        .unwrap_or_default()
}

fn set_image(b: &mut Bench, image: &str) {
    b.update_ds("ds", |d| {
        if let Some(spec) = d.spec.template.spec.as_mut() {
            spec.containers[0].image = Some(image.to_string());
        }
    });
}

fn on_delete(b: &mut Bench) {
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({"updateStrategy": {"type": "OnDelete"}}),
    ));
    b.settle();
}

fn pod_on(b: &Bench, node: &str) -> String {
    b.live_pods("ds")
        .into_iter()
        .find(|p| target(p).as_deref() == Some(node))
        .and_then(|p| p.metadata.name.clone())
        .expect("pod on node")
}

fn delete_pod(b: &mut Bench, name: &str) {
    b.world
        .delete_pod(NS, name, &Default::default())
        .expect("delete pod");
    b.settle();
}

#[test]
fn s18_on_delete_replaces_nothing_until_pods_are_deleted() {
    let mut b = Bench::with_nodes(3);
    on_delete(&mut b);
    let before: BTreeSet<String> = b
        .live_pods("ds")
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    set_image(&mut b, "agent:2");
    b.settle();
    let revs = b.revisions();
    assert_eq!(
        revs.iter().map(|r| r.revision).collect::<Vec<_>>(),
        [Some(1), Some(2)]
    );
    let h2 = hash_of(&revs[1]);
    let after: BTreeSet<String> = b
        .live_pods("ds")
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    assert_eq!(before, after, "no pod replaced");
    assert_eq!(b.status("ds").updated_number_scheduled.unwrap_or(0), 0);
    // `kubectl rollout status` refuses this DaemonSet client-side
    // (docs/SEMANTICS.md#kubectl-rollout): the strategy says why.
    assert_eq!(
        b.ds("ds")
            .spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.type_.clone())
            .as_deref(),
        Some("OnDelete")
    );

    let n1 = pod_on(&b, "n1");
    delete_pod(&mut b, &n1);
    let replacement = b
        .live_pods("ds")
        .into_iter()
        .find(|p| target(p).as_deref() == Some("n1"))
        .expect("replaced");
    assert_eq!(label(&replacement, HASH), Some(h2.clone()));
    b.add_node(json!({"metadata": {"name": "n4"}}));
    b.settle();
    let fresh = b
        .live_pods("ds")
        .into_iter()
        .find(|p| target(p).as_deref() == Some("n4"))
        .expect("n4 pod");
    assert_eq!(label(&fresh, HASH), Some(h2));
    assert_eq!(b.status("ds").updated_number_scheduled, Some(2));
}

/// `kubectl rollout undo --to-revision`: the revision's template replaces the live one.
fn undo_to(b: &mut Bench, revision: &ControllerRevision) {
    let mut template = revision.data.0["spec"]["template"].clone();
    if let Some(t) = template.as_object_mut() {
        t.remove("$patch");
    }
    let template: PodTemplateSpec = serde_json::from_value(template).expect("template");
    b.update_ds("ds", |d| d.spec.template = template);
}

#[test]
fn s19_rollback_renumbers_the_old_revision() {
    let mut b = Bench::with_nodes(3);
    on_delete(&mut b);
    set_image(&mut b, "agent:2");
    b.settle();
    let (n2, n3) = (pod_on(&b, "n2"), pod_on(&b, "n3"));
    delete_pod(&mut b, &n2);
    delete_pod(&mut b, &n3);
    let revs = b.revisions();
    let (h1, h2) = (hash_of(&revs[0]), hash_of(&revs[1]));
    let v1_template = revs[0].data.0["spec"]["template"].clone();

    undo_to(&mut b, &revs[0].clone());
    b.settle();
    let revs = b.revisions();
    let numbers: Vec<(String, Option<i64>)> =
        revs.iter().map(|r| (hash_of(r), r.revision)).collect();
    assert_eq!(
        numbers,
        [(h2.clone(), Some(2)), (h1.clone(), Some(3))],
        "history lists 2 and 3"
    );
    let mut live = serde_json::to_value(&b.ds("ds").spec.template).expect("json");
    live["$patch"] = json!("replace");
    assert_eq!(live, v1_template, "template equals revision 1's");
    let s = b.status("ds");
    assert_eq!(
        s.updated_number_scheduled,
        Some(1),
        "the h1 pod counts as updated"
    );
    let old: Vec<_> = b
        .live_pods("ds")
        .into_iter()
        .filter(|p| label(p, HASH) == Some(h2.clone()))
        .collect();
    assert_eq!(
        old.len(),
        2,
        "h2 pods are now the old ones and are not replaced under OnDelete"
    );
}

#[test]
fn s20_history_limit_keeps_the_newest_unused_revisions() {
    let mut b = Bench::with_nodes(2);
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({"revisionHistoryLimit": 1}),
    ));
    b.settle();
    for image in ["agent:2", "agent:3", "agent:4"] {
        set_image(&mut b, image);
        b.settle();
    }
    let numbers: Vec<Option<i64>> = b.revisions().iter().map(|r| r.revision).collect();
    assert_eq!(numbers, [Some(3), Some(4)]);

    // Under OnDelete, a revision still used by a pod survives beyond the limit.
    let mut b = Bench::with_nodes(2);
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({"revisionHistoryLimit": 1, "updateStrategy": {"type": "OnDelete"}}),
    ));
    b.settle();
    for image in ["agent:2", "agent:3", "agent:4"] {
        set_image(&mut b, image);
        b.settle();
    }
    let numbers: Vec<Option<i64>> = b.revisions().iter().map(|r| r.revision).collect();
    assert_eq!(
        numbers,
        [Some(1), Some(4)],
        "revision 1 is in use; 2 and 3 went oldest first"
    );
}

#[test]
fn s21_name_collision_raises_collision_count() {
    let manifest = daemonset("ds", "agent:1", json!({}));
    let mut probe = Bench::with_nodes(1);
    probe.create_ds(manifest.clone());
    probe.settle();
    let taken = probe.revisions()[0].metadata.name.clone().expect("name");

    let mut b = Bench::with_nodes(2);
    let squatter: ControllerRevision = serde_json::from_value(json!({
        "metadata": {"name": taken, "namespace": NS, "labels": {"app": "something-else"}},
        "data": {"spec": {"template": {"$patch": "replace"}}},
        "revision": 1
    }))
    .expect("revision");
    let now = b.now();
    b.world
        .store
        .create(squatter, now)
        .expect("create revision");
    b.create_ds(manifest);
    b.settle();
    assert_eq!(b.status("ds").collision_count, Some(1));
    let mine: Vec<_> = b
        .revisions()
        .into_iter()
        .filter(|r| r.metadata.owner_references.is_some())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_ne!(
        mine[0].metadata.name.as_deref(),
        Some(taken.as_str()),
        "created under a new hash"
    );
    let hash = hash_of(&mine[0]);
    assert!(
        b.live_pods("ds")
            .iter()
            .all(|p| label(p, HASH) == Some(hash.clone()))
    );
    assert_eq!(b.live_pods("ds").len(), 2);
}

#[test]
fn s24_switching_to_on_delete_pauses_and_back_finishes_without_a_new_revision() {
    let mut b = Bench::with_nodes(4);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    b.auto_start = false;
    set_image(&mut b, "agent:2");
    for _ in 0..3 {
        b.tick(SignedDuration::from_secs(1));
    }
    b.start_pending();
    b.tick(SignedDuration::from_secs(1));
    b.update_ds("ds", |d| {
        d.spec.update_strategy =
            Some(serde_json::from_value(json!({"type": "OnDelete"})).expect("strategy"));
    });
    b.auto_start = true;
    b.settle();
    let hash = hash_of(b.revisions().last().expect("revision"));
    let count_new = |b: &Bench| {
        b.live_pods("ds")
            .iter()
            .filter(|p| label(p, HASH) == Some(hash.clone()))
            .count()
    };
    let paused_at = count_new(&b);
    assert!(
        (1..4).contains(&paused_at),
        "mid-rollout: {paused_at} new pods"
    );
    b.settle();
    assert_eq!(count_new(&b), paused_at, "no further old pods deleted");

    b.add_node(json!({"metadata": {"name": "n5"}}));
    b.settle();
    let n5 = b
        .live_pods("ds")
        .into_iter()
        .find(|p| target(p).as_deref() == Some("n5"))
        .expect("n5 pod");
    assert_eq!(
        label(&n5, HASH),
        Some(hash.clone()),
        "a joining node gets the new version"
    );

    let revisions = b.revisions().len();
    b.update_ds("ds", |d| {
        d.spec.update_strategy =
            Some(serde_json::from_value(json!({"type": "RollingUpdate"})).expect("strategy"));
    });
    b.settle();
    assert_eq!(count_new(&b), 5, "rollout finished");
    assert_eq!(b.revisions().len(), revisions, "no new revision");
}
