//! Admission: defaults, validation messages and generation bookkeeping.

use k8s_openapi::api::apps::v1::DaemonSet;
use serde_json::{Value, json};

use super::*;

fn ds(spec_extra: Value) -> DaemonSet {
    let mut v = json!({
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "c", "image": "agent:1"}]}}
        }
    });
    if let (Some(spec), Value::Object(extra)) = (v["spec"].as_object_mut(), spec_extra) {
        spec.extend(extra);
    }
    serde_json::from_value(v).expect("ds")
}

fn rejected(mut d: DaemonSet) -> Invalid {
    admit_create(&mut d).expect_err("rejected")
}

#[test]
fn defaults_fill_strategy_history_and_template() {
    let mut d = ds(json!({}));
    admit_create(&mut d).expect("valid");
    let v = serde_json::to_value(&d).expect("json");
    assert_eq!(
        v["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(v["spec"]["revisionHistoryLimit"], 10);
    let pod = &v["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Always");
    assert_eq!(pod["schedulerName"], "default-scheduler");
    assert_eq!(pod["containers"][0]["imagePullPolicy"], "IfNotPresent");
    assert_eq!(v["metadata"]["generation"], 1);
    assert_eq!(
        v["metadata"]["annotations"]["deprecated.daemonset.template.generation"],
        "1"
    );
    // OnDelete gets no rollingUpdate.
    let mut d = ds(json!({"updateStrategy": {"type": "OnDelete"}}));
    admit_create(&mut d).expect("valid");
    assert!(
        d.spec
            .update_strategy
            .and_then(|s| s.rolling_update)
            .is_none()
    );
}

#[test]
fn selector_errors_name_the_field() {
    let e = rejected(ds(json!({"selector": {"matchLabels": {"app": "other"}}})));
    assert_eq!(
        e.to_string(),
        "DaemonSet.apps \"agent\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"agent\"}: `selector` does not match template `labels`"
    );
    let e = rejected(ds(json!({"selector": {"matchLabels": {}}})));
    assert!(
        e.causes.contains(
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}"
        ),
        "{e}"
    );
    assert!(
        e.causes
            .ends_with("empty selector is invalid for daemonset"),
        "{e}"
    );
    let e = rejected(ds(json!({"selector": null})));
    assert!(
        e.causes.starts_with("[spec.selector: Required value, "),
        "{e}"
    );
    assert_eq!(e.fields.len(), 2);
}

#[test]
fn template_rules() {
    let e = rejected(ds(
        json!({"template": {"metadata": {"labels": {"app": "agent"}},
        "spec": {"restartPolicy": "OnFailure", "activeDeadlineSeconds": 5, "containers": [{"name": "c"}]}}}),
    ));
    let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "spec.template.spec.containers[0].image",
            "spec.template.spec.restartPolicy",
            "spec.template.spec.activeDeadlineSeconds",
        ]
    );
    assert!(e.causes.contains("spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""), "{e}");
    let e = rejected(ds(
        json!({"minReadySeconds": -1, "revisionHistoryLimit": -2}),
    ));
    assert!(
        e.causes.contains(
            "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"
        ),
        "{e}"
    );
    assert!(
        e.causes
            .contains("spec.revisionHistoryLimit: Invalid value: -2"),
        "{e}"
    );
}

#[test]
fn percent_values_must_be_digits_and_percent() {
    let e = rejected(ds(
        json!({"updateStrategy": {"rollingUpdate": {"maxUnavailable": "ten%"}}}),
    ));
    assert!(
        e.causes
            .contains("maxUnavailable: Invalid value: ten%: a valid percent string"),
        "{e}"
    );
    let mut ok = ds(json!({"updateStrategy": {"rollingUpdate": {"maxUnavailable": "100%"}}}));
    admit_create(&mut ok).expect("100% is allowed");
}

#[test]
fn client_template_generation_is_honoured_on_create_only() {
    let mut d = ds(json!({}));
    d.metadata.annotations =
        Some([(TEMPLATE_GENERATION_ANNOTATION.to_string(), "7".to_string())].into());
    admit_create(&mut d).expect("valid");
    assert_eq!(template_generation(&d), Some(7));
    let mut next = d.clone();
    next.metadata.annotations = None;
    admit_update(&d, &mut next, false).expect("valid");
    assert_eq!(
        template_generation(&next),
        Some(7),
        "update keeps the stored value"
    );
    assert_eq!(next.metadata.generation, Some(1));
}

#[test]
fn update_ignores_client_generation_and_status() {
    let mut d = ds(json!({}));
    admit_create(&mut d).expect("valid");
    let mut next = d.clone();
    next.metadata.generation = Some(40);
    next.spec.min_ready_seconds = Some(3);
    admit_update(&d, &mut next, false).expect("valid");
    assert_eq!(next.metadata.generation, Some(2));
    assert_eq!(template_generation(&next), Some(1));
}
