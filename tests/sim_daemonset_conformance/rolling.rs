//! Scenarios 12–16 and 22: rolling updates under maxUnavailable and maxSurge, and restarts.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use serde_json::json;

use crate::bench::{Bench, daemonset, is_ready, label, target};

const HASH: &str = "controller-revision-hash";

fn set_image(b: &mut Bench, image: &str) {
    b.update_ds("ds", |d| {
        if let Some(spec) = d.spec.template.spec.as_mut() {
            spec.containers[0].image = Some(image.to_string());
        }
    });
}

fn ticks(b: &mut Bench, n: usize) {
    for _ in 0..n {
        b.tick(SignedDuration::from_secs(1));
    }
}

/// The hash of the highest-numbered revision.
fn current_hash(b: &Bench) -> String {
    let revs = b.revisions();
    let last = revs.last().expect("a revision");
    last.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(HASH).cloned())
        .unwrap_or_default()
}

/// updatedNumberScheduled (omitted by the API when 0).
fn updated(b: &Bench) -> i32 {
    b.status("ds").updated_number_scheduled.unwrap_or(0)
}

fn old_live_pods(b: &Bench) -> usize {
    let hash = current_hash(b);
    b.live_pods("ds")
        .iter()
        .filter(|p| label(p, HASH).as_deref() != Some(hash.as_str()))
        .count()
}

fn settled(nodes: usize, strategy: serde_json::Value) -> Bench {
    let mut b = Bench::with_nodes(nodes);
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({"updateStrategy": strategy}),
    ));
    b.settle();
    assert_eq!(b.live_pods("ds").len(), nodes);
    b
}

#[test]
fn s12_max_unavailable_one_replaces_one_node_per_round() {
    let mut b = settled(
        5,
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}),
    );
    b.auto_start = false;
    set_image(&mut b, "agent:2");
    ticks(&mut b, 3);
    for round in 1..=5 {
        assert_eq!(
            old_live_pods(&b),
            5 - round,
            "round {round}: exactly one old pod replaced"
        );
        assert_eq!(b.status("ds").updated_number_scheduled, Some(round as i32));
        assert_eq!(b.nodes_without_ready_pod("ds"), 1);
        ticks(&mut b, 5);
        assert_eq!(
            old_live_pods(&b),
            5 - round,
            "round {round}: no progress before the replacement is Available"
        );
        b.start_pending();
        ticks(&mut b, 3);
    }
    let s = b.status("ds");
    assert_eq!(
        (s.updated_number_scheduled, s.number_available),
        (Some(5), Some(5))
    );
}

#[test]
fn s13_percent_budgets_round_up() {
    for (nodes, deleted) in [(10, 3), (5, 2), (1, 1)] {
        let mut b = settled(nodes, json!({"rollingUpdate": {"maxUnavailable": "30%"}}));
        b.auto_start = false;
        set_image(&mut b, "agent:2");
        ticks(&mut b, 3);
        assert_eq!(nodes - old_live_pods(&b), deleted, "30% of {nodes} nodes");
    }
    let mut b = settled(
        3,
        json!({"rollingUpdate": {"maxSurge": "10%", "maxUnavailable": 0}}),
    );
    b.auto_start = false;
    set_image(&mut b, "agent:2");
    ticks(&mut b, 3);
    let surged = b
        .pods_by_node("ds")
        .values()
        .filter(|p| p.len() > 1)
        .count();
    assert_eq!(surged, 1, "10% of 3 nodes rounds up to one surge pod");
}

#[test]
fn s14_unavailable_old_pods_are_replaced_first_and_use_the_budget() {
    let mut b = settled(5, json!({"rollingUpdate": {"maxUnavailable": 1}}));
    let sick = b.live_pods("ds")[2].metadata.name.clone().expect("name");
    b.pin_not_ready(&sick);
    ticks(&mut b, 2);
    let before: BTreeSet<String> = b
        .live_pods("ds")
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    b.auto_start = false;
    set_image(&mut b, "agent:2");
    ticks(&mut b, 5);
    let after: BTreeSet<String> = b
        .live_pods("ds")
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    let gone: Vec<&String> = before.difference(&after).collect();
    assert_eq!(
        gone,
        [&sick],
        "only the NotReady old pod is deleted in the first round"
    );
}

#[test]
fn s15_a_template_that_never_gets_ready_stalls_after_one_node() {
    let mut b = settled(5, json!({"rollingUpdate": {"maxUnavailable": 1}}));
    set_image(&mut b, "agent:2-unready");
    b.settle();
    ticks(&mut b, 60);
    let s = b.status("ds");
    assert_eq!(s.updated_number_scheduled, Some(1));
    assert_eq!(s.number_unavailable, Some(1));
    assert_eq!(old_live_pods(&b), 4);
}

#[test]
fn s16_surge_adds_the_new_pod_before_removing_the_old_one() {
    let mut b = settled(
        3,
        json!({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
    );
    b.auto_start = false;
    b.auto_remove = false;
    set_image(&mut b, "agent:2");
    ticks(&mut b, 3);
    for round in 1..=3 {
        let by_node = b.pods_by_node("ds");
        let live = |pods: &Vec<std::sync::Arc<k8s_openapi::api::core::v1::Pod>>| {
            pods.iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .count()
        };
        let doubled: Vec<&String> = by_node
            .iter()
            .filter(|(_, p)| live(p) > 1)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            doubled.len(),
            1,
            "round {round}: one node holds old and new"
        );
        assert_eq!(
            b.nodes_without_ready_pod("ds"),
            0,
            "never below full availability"
        );
        assert_eq!(updated(&b), round - 1);
        ticks(&mut b, 3);
        assert_eq!(
            b.pods_by_node("ds")[doubled[0]]
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_some())
                .count(),
            0,
            "old pod kept while the new one is not Available"
        );
        b.start_pending();
        ticks(&mut b, 2);
        assert_eq!(updated(&b), round - 1, "old pod still terminating");
        b.remove_terminating();
        ticks(&mut b, 2);
        assert_eq!(updated(&b), round, "counted once the old pod is gone");
    }
    assert_eq!(old_live_pods(&b), 0);
}

#[test]
fn s22_restart_replaces_every_pod_under_max_unavailable() {
    let mut b = settled(4, json!({}));
    let originals: BTreeSet<String> = b
        .live_pods("ds")
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    b.update_ds("ds", |d| {
        d.spec
            .template
            .metadata
            .get_or_insert_with(Default::default)
            .annotations = Some(
            [(
                "kubectl.kubernetes.io/restartedAt".to_string(),
                "2025-01-01T00:00:00Z".to_string(),
            )]
            .into(),
        );
    });
    for _ in 0..120 {
        b.tick(SignedDuration::from_millis(500));
        assert!(
            b.nodes_without_ready_pod("ds") <= 1,
            "maxUnavailable 1 holds during the restart"
        );
    }
    assert_eq!(b.revisions().len(), 2, "a restart is a new revision");
    let hash = current_hash(&b);
    let pods = b.live_pods("ds");
    assert_eq!(pods.len(), 4);
    assert!(
        pods.iter()
            .all(|p| label(p, HASH).as_deref() == Some(hash.as_str()) && is_ready(p))
    );
    assert!(
        pods.iter()
            .all(|p| !originals.contains(p.metadata.name.as_deref().unwrap_or("")))
    );
    assert!(pods.iter().all(|p| target(p).is_some()));
}

/// A surge rollout with minReadySeconds: a surge pod becomes Available minReadySeconds after
/// it turned Ready, with no other event to wake the controller; upstream's `updatePod` requeues
/// the DaemonSet for then, so the old pod goes and the rollout finishes in seconds.
#[test]
fn a_surge_rollout_with_min_ready_seconds_finishes_with_one_pod_per_node() {
    let mut b = Bench::with_nodes(5);
    b.create_ds(daemonset(
        "ds",
        "agent:1",
        json!({
            "minReadySeconds": 2,
            "updateStrategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
        }),
    ));
    b.settle();
    assert_eq!(b.live_pods("ds").len(), 5);
    set_image(&mut b, "agent:2");
    ticks(&mut b, 40);
    assert_eq!(old_live_pods(&b), 0, "every old pod replaced within 40 s");
    assert_eq!(updated(&b), 5);
    for (node, pods) in b.pods_by_node("ds") {
        let live = pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .count();
        assert_eq!(live, 1, "{node} runs one pod");
    }
}
