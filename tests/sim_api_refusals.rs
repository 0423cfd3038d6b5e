//! More bad input a real API server refuses, sent over HTTP: each gets upstream's status code
//! and words as a Kubernetes `Status`, and nothing is stored. Bodies in a format the simulator
//! does not read are a 415 (protobuf is read for a Namespace, as `kubectl create namespace`
//! sends it); YAML bodies are read as upstream reads them.
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
    for media in [
        "application/vnd.kubernetes.protobuf",
        "text/plain",
        "application/cbor",
    ] {
        let answer = send(&c, Method::POST, DAEMONSETS, media, &body).await;
        assert_status(
            &answer,
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
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

/// client-go's default Accept for built-in kinds lists protobuf first and JSON after: the
/// simulator answers JSON. A client that accepts protobuf alone gets upstream's 406 rather
/// than JSON it cannot read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protobuf_first_accept_gets_json_and_protobuf_alone_gets_406() {
    let (_sim, c, _) = setup().await;
    let get = |accept: &'static str| {
        let c = c.clone();
        async move {
            let request = axum::http::Request::builder()
                .method(Method::GET)
                .uri("/api/v1/namespaces")
                .header("accept", accept)
                .body(kube::client::Body::empty())
                .expect("a request");
            let response = c.send(request).await.expect("an answer");
            let code = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = response.into_body().collect_bytes().await.expect("a body");
            (code, kind, String::from_utf8_lossy(&body).to_string())
        }
    };
    let (code, kind, body) = get("application/vnd.kubernetes.protobuf,application/json").await;
    assert_eq!((code, kind.as_str()), (200, "application/json"), "{body}");
    assert!(body.contains("\"kind\":\"NamespaceList\""), "{body}");
    let (code, _, body) = get("application/vnd.kubernetes.protobuf").await;
    assert_eq!(code, 406, "{body}");
    assert!(
        body.contains("only the following media types are accepted: application/json"),
        "{body}"
    );
}

/// `kubectl create namespace` sends its typed object in protobuf: the simulator reads it
/// (a Namespace is the one kind it reads so) and the namespace is there, labelled with its
/// name as upstream labels every namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_namespace_in_protobuf_works() {
    common::server::require_kubectl();
    let (sim, c, _) = setup().await;
    let out = sim.kubectl(&["create", "namespace", "team-b"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = raw(
        &c,
        Method::GET,
        "/api/v1/namespaces/team-b",
        None,
        String::new(),
    )
    .await;
    assert_eq!(answer.code, 200, "{}", answer.text);
    assert_eq!(
        answer.body["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team-b"
    );
    assert_eq!(answer.body["status"]["phase"], "Active");
    // Again: upstream's 409, not a second namespace.
    let again = sim.kubectl(&["create", "namespace", "team-b"]).await;
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
