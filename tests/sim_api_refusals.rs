//! More bad input a real API server refuses, sent over HTTP: each gets upstream's status code
//! and words as a Kubernetes `Status`, and nothing is stored. Bodies in a format the simulator
//! does not read are a 415; YAML bodies are read as upstream reads them (protobuf has its own
//! file, sim_protobuf.rs).
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::Method;
use serde_json::json;

use common::server::raw;
use common::status::{assert_status, daemon_set_body, send, setup, world_view};

const JSON: &str = "application/json";
const DAEMONSETS: &str = "/apis/apps/v1/namespaces/default/daemonsets";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantities_that_are_not_quantities_are_400_and_negative_ones_422() {
    let (_sim, c, before) = setup().await;
    let with_request = |name: &str, memory: &str| {
        daemon_set_body(
            name,
            json!({}),
            json!({"containers": [{"name": "c", "image": "a:1",
                "resources": {"requests": {"memory": memory}}}]}),
        )
    };
    for bad in ["abc", "NaN", "5 Gi"] {
        let answer = send(&c, Method::POST, DAEMONSETS, JSON, &with_request("q", bad)).await;
        assert_status(
            &answer,
            400,
            "BadRequest",
            "DaemonSet in version \"v1\" cannot be handled as a DaemonSet: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        );
    }
    let answer = send(
        &c,
        Method::POST,
        DAEMONSETS,
        JSON,
        &with_request("neg", "-5Gi"),
    )
    .await;
    assert_status(
        &answer,
        422,
        "Invalid",
        "DaemonSet.apps \"neg\" is invalid: spec.template.spec.containers[0].resources.requests[memory]: Invalid value: \"-5Gi\": must be greater than or equal to 0",
    );
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "a:1",
            "resources": {"limits": {"cpu": "-1"}}}]}});
    let answer = send(
        &c,
        Method::POST,
        "/api/v1/namespaces/default/pods",
        JSON,
        &pod.to_string(),
    )
    .await;
    assert_status(
        &answer,
        422,
        "Invalid",
        "Pod \"p\" is invalid: spec.containers[0].resources.limits[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
    );
    assert_eq!(
        answer.body["details"]["causes"][0]["field"],
        "spec.containers[0].resources.limits[cpu]"
    );
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotations_over_256_kib_or_with_bad_keys_are_422() {
    let (_sim, c, before) = setup().await;
    let big = "x".repeat(300 * 1024);
    let body = daemon_set_body("big", json!({"annotations": {"note": big}}), json!({}));
    let answer = send(&c, Method::POST, DAEMONSETS, JSON, &body).await;
    assert_status(
        &answer,
        422,
        "Invalid",
        "DaemonSet.apps \"big\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes",
    );
    assert_eq!(
        answer.body["details"]["causes"][0]["reason"],
        "FieldValueTooLong"
    );
    // On a node, through a merge patch, too.
    let patch = json!({"metadata": {"annotations": {"-bad": "x"}}}).to_string();
    let answer = send(
        &c,
        Method::PATCH,
        "/api/v1/nodes/n1",
        "application/merge-patch+json",
        &patch,
    )
    .await;
    assert_status(
        &answer,
        422,
        "Invalid",
        "Node \"n1\" is invalid: metadata.annotations: Invalid value: \"-bad\"",
    );
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_options_upstream_refuses_are_refused() {
    let (_sim, c, _) = setup().await;
    let get = |q: &'static str| {
        let c = c.clone();
        async move {
            raw(
                &c,
                Method::GET,
                &format!("/api/v1/nodes?{q}"),
                None,
                String::new(),
            )
            .await
        }
    };
    assert_status(
        &get("resourceVersion=abc").await,
        400,
        "BadRequest",
        "resourceVersion: Invalid value: \"abc\"",
    );
    assert_status(
        &get("timeoutSeconds=soon").await,
        400,
        "BadRequest",
        "timeoutSeconds: strconv.ParseInt: parsing \"soon\": invalid syntax",
    );
    let bogus = get("resourceVersion=1&resourceVersionMatch=Bogus").await;
    assert_status(
        &bogus,
        422,
        "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Bogus\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
    );
    assert_eq!(bogus.body["details"]["kind"], "ListOptions");
    assert_status(
        &get("resourceVersionMatch=NotOlderThan").await,
        422,
        "Invalid",
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
    );
    // What upstream takes, the simulator takes: `()` is the empty value, as apimachinery's
    // parser reads it; a limit of 0 or below is no limit.
    for fine in [
        "resourceVersion=0&resourceVersionMatch=NotOlderThan",
        "labelSelector=x%20notin%20()",
        "limit=-1",
    ] {
        let answer = get(fine).await;
        assert_eq!(answer.code, 200, "{fine}: {}", answer.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_in_a_format_it_does_not_read_are_415_and_yaml_is_read() {
    let (_sim, c, before) = setup().await;
    let body = daemon_set_body("typed", json!({}), json!({}));
    for media in ["text/plain", "application/cbor"] {
        let answer = send(&c, Method::POST, DAEMONSETS, media, &body).await;
        assert_status(
            &answer,
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        );
    }
    assert_eq!(world_view(&c).await, before);
    let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n";
    let answer = send(
        &c,
        Method::POST,
        "/api/v1/namespaces",
        "application/yaml",
        yaml,
    )
    .await;
    assert_eq!(answer.code, 201, "{}", answer.text);
    assert_eq!(answer.body["metadata"]["name"], "from-yaml");
}

/// A pod that does not restart its containers cannot have a terminated container brought back
/// to running by a status write: upstream's ValidateContainerStateTransition, word for word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_container_of_a_never_restarting_pod_stays_terminated() {
    let (_sim, c, _) = setup().await;
    let pods = "/api/v1/namespaces/team-a/pods";
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "once"},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "job:1"}]}});
    let created = send(&c, Method::POST, pods, JSON, &pod.to_string()).await;
    assert_eq!(created.code, 201, "{}", created.text);
    let with_state = |state: serde_json::Value| {
        let mut body = created.body.clone();
        body["metadata"]["resourceVersion"] = serde_json::Value::Null;
        body["status"]["phase"] = json!("Failed");
        body["status"]["containerStatuses"] = json!([{"name": "c", "image": "job:1", "imageID": "", "ready": false,
                "restartCount": 0, "state": state}]);
        body.to_string()
    };
    let status = format!("{pods}/once/status");
    let done = send(
        &c,
        Method::PUT,
        &status,
        JSON,
        &with_state(json!({"terminated": {"exitCode": 1}})),
    )
    .await;
    assert_eq!(done.code, 200, "{}", done.text);
    let before = world_view(&c).await;
    let back = send(
        &c,
        Method::PUT,
        &status,
        JSON,
        &with_state(json!({"running": {}})),
    )
    .await;
    assert_status(
        &back,
        422,
        "Invalid",
        "Pod \"once\" is invalid: status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state",
    );
    assert_eq!(
        back.body["details"]["causes"][0]["field"],
        "status.containerStatuses[0].state"
    );
    assert_eq!(world_view(&c).await, before);
}
