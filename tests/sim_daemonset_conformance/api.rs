//! Scenarios 17 and 23: what the API accepts, and the status fields `kubectl rollout status`
//! reads; plus the generation bookkeeping that drives them (docs/SEMANTICS.md#admission).

use herd_sim::admission::daemonset::{admit_create, admit_update};
use jiff::SignedDuration;
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;

use crate::bench::{Bench, daemonset};

fn admit(strategy: serde_json::Value) -> Result<DaemonSet, String> {
    let mut ds: DaemonSet = serde_json::from_value(daemonset(
        "ds",
        "agent:1",
        json!({"updateStrategy": strategy}),
    ))
    .expect("json");
    admit_create(&mut ds)
        .map(|()| ds)
        .map_err(|e| e.to_string())
}

#[test]
fn s17_validation_of_the_update_strategy() {
    let err =
        admit(json!({"rollingUpdate": {"maxSurge": 1}})).expect_err("maxUnavailable defaults to 1");
    assert_eq!(
        err,
        "DaemonSet.apps \"ds\" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"
    );
    let err = admit(json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}))
        .expect_err("both zero");
    // field.Required in upstream's ValidateRollingUpdateDaemonSet, not Invalid.
    assert!(
        err.ends_with(
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
        ),
        "{err}"
    );
    let err = admit(json!({"rollingUpdate": {"maxUnavailable": "101%"}})).expect_err("over 100%");
    assert!(err.contains("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 101%: must not be greater than 100%"), "{err}");

    let ds = admit(json!({"type": "RollingUpdate", "rollingUpdate": null}))
        .expect("defaulted, then valid");
    let r = ds
        .spec
        .update_strategy
        .and_then(|s| s.rolling_update)
        .expect("rollingUpdate defaulted");
    assert_eq!(
        (r.max_unavailable, r.max_surge),
        (Some(IntOrString::Int(1)), Some(IntOrString::Int(0)))
    );

    admit(json!({"rollingUpdate": {"maxSurge": "10%", "maxUnavailable": 0}}))
        .expect("surge needs an explicit 0");
    let err = admit(json!({"type": "Recreate"})).expect_err("unknown type");
    assert!(
        err.contains("spec.updateStrategy: Unsupported value: \"Recreate\""),
        "{err}"
    );
}

/// `kubectl rollout status` for a RollingUpdate DaemonSet (upstream `DaemonSetStatusViewer.Status`
/// in kubectl's polymorphichelpers/rollout_status.go): done or not.
fn rollout_done(generation: i64, s: &DaemonSetStatus) -> bool {
    generation <= s.observed_generation.unwrap_or(0)
        && s.updated_number_scheduled.unwrap_or(0) >= s.desired_number_scheduled
        && s.number_available.unwrap_or(0) >= s.desired_number_scheduled
}

#[test]
fn s23_status_success_rule_on_the_simulators_status() {
    let status = |observed: i64, updated: i32, available: i32| DaemonSetStatus {
        observed_generation: Some(observed),
        desired_number_scheduled: 3,
        updated_number_scheduled: Some(updated),
        number_available: Some(available),
        ..Default::default()
    };
    assert!(!rollout_done(4, &status(3, 3, 3)));
    assert!(!rollout_done(4, &status(4, 3, 2)));
    assert!(rollout_done(4, &status(4, 3, 3)));

    // The simulator's status passes through those states in that order during a rollout.
    let mut b = Bench::with_nodes(3);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    let before = b.ds("ds");
    b.auto_start = false;
    b.update_ds("ds", |d| {
        d.spec.template.spec.as_mut().expect("spec").containers[0].image = Some("agent:2".into());
    });
    let generation = b.ds("ds").metadata.generation.unwrap_or(0);
    assert_eq!(generation, before.metadata.generation.unwrap_or(0) + 1);
    assert!(
        !rollout_done(generation, &b.status("ds")),
        "spec update not yet observed"
    );
    let mut done_seen = false;
    for _ in 0..60 {
        b.tick(SignedDuration::from_secs(1));
        b.start_pending();
        let s = b.status("ds");
        if rollout_done(generation, &s) {
            done_seen = true;
            assert_eq!(s.number_unavailable.unwrap_or(0), 0);
            break;
        }
    }
    assert!(done_seen, "rollout completes");
}

#[test]
fn spec_changes_bump_the_generation_and_status_changes_do_not() {
    let mut b = Bench::with_nodes(1);
    let ds = b.create_ds(daemonset("ds", "agent:1", json!({})));
    let tg = |d: &DaemonSet| {
        d.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deprecated.daemonset.template.generation").cloned())
    };
    assert_eq!(
        (ds.metadata.generation, tg(&ds).as_deref()),
        (Some(1), Some("1"))
    );

    // A no-op write (the object as read back, defaults and all) bumps nothing.
    let same = b.update_ds("ds", |_| {});
    assert_eq!(
        (same.metadata.generation, tg(&same).as_deref()),
        (Some(1), Some("1"))
    );
    // Writing back an empty list the server omits is still no change.
    let same = b.update_ds("ds", |d| {
        d.spec.template.spec.as_mut().expect("spec").tolerations = Some(vec![])
    });
    assert_eq!(same.metadata.generation, Some(1));

    let strategy = b.update_ds("ds", |d| d.spec.min_ready_seconds = Some(5));
    assert_eq!(
        (strategy.metadata.generation, tg(&strategy).as_deref()),
        (Some(2), Some("1"))
    );
    let template = b.update_ds("ds", |d| {
        d.spec
            .template
            .metadata
            .get_or_insert_with(Default::default)
            .annotations = Some(
            [(
                "kubectl.kubernetes.io/restartedAt".to_string(),
                "now".to_string(),
            )]
            .into(),
        );
    });
    assert_eq!(
        (template.metadata.generation, tg(&template).as_deref()),
        (Some(3), Some("2"))
    );
    b.settle();
    assert_eq!(b.status("ds").observed_generation, Some(3));
}

#[test]
fn selector_is_immutable_and_status_subresource_keeps_spec() {
    let mut b = Bench::with_nodes(1);
    b.create_ds(daemonset("ds", "agent:1", json!({})));
    b.settle();
    let old = b.ds("ds");
    let mut new = old.as_ref().clone();
    new.spec.selector.match_labels = Some([("app".to_string(), "other".to_string())].into());
    let err = admit_update(&old, &mut new, false)
        .expect_err("selector change")
        .to_string();
    assert!(err.contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"other\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"), "{err}");

    let mut status_write = old.as_ref().clone();
    status_write.spec.min_ready_seconds = Some(99);
    status_write
        .status
        .get_or_insert_with(Default::default)
        .number_ready = 42;
    admit_update(&old, &mut status_write, true).expect("status write");
    assert_eq!(
        status_write.spec, old.spec,
        "status endpoint cannot change spec"
    );
    assert_eq!(
        status_write.status.as_ref().map(|s| s.number_ready),
        Some(42)
    );

    let mut main_write = old.as_ref().clone();
    main_write
        .status
        .get_or_insert_with(Default::default)
        .number_ready = 42;
    admit_update(&old, &mut main_write, false).expect("main write");
    assert_eq!(
        main_write.status, old.status,
        "main endpoint cannot change status"
    );

    let mut decrement = old.as_ref().clone();
    let mut raised = old.as_ref().clone();
    raised
        .status
        .get_or_insert_with(Default::default)
        .collision_count = Some(2);
    decrement
        .status
        .get_or_insert_with(Default::default)
        .collision_count = Some(1);
    let err = admit_update(&raised, &mut decrement, true)
        .expect_err("decrement")
        .to_string();
    assert!(
        err.contains("status.collisionCount: Invalid value: 1: cannot be decremented"),
        "{err}"
    );
}
