//! Bad requests get the Kubernetes `Status` a real API server would send (code, reason,
//! message), and leave the world exactly as it was.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::Method;
use common::objects::node;
use common::server::raw;
use common::status::{assert_status, daemon_set_body, send, setup, world_view};
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const JSON: &str = "application/json";
const MERGE: &str = "application/merge-patch+json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_bodies_are_400_and_change_nothing() {
    let (_sim, c, before) = setup().await;
    let ds = "/apis/apps/v1/namespaces/default/daemonsets";
    assert_status(
        &send(&c, Method::POST, ds, JSON, r#"{"metadata": {"name": "x""#).await,
        400,
        "BadRequest",
        "error decoding request body",
    );
    assert_status(
        &send(&c, Method::PUT, "/api/v1/nodes/n1", JSON, "not json at all").await,
        400,
        "BadRequest",
        "error decoding",
    );
    assert_status(
        &send(
            &c,
            Method::PATCH,
            "/api/v1/nodes/n1",
            MERGE,
            "{\"metadata\":",
        )
        .await,
        400,
        "BadRequest",
        "error decoding patch body",
    );
    let wrong_type = r#"{"metadata": {"name": "n2", "labels": {"a": 5}}}"#;
    assert_status(
        &send(&c, Method::POST, "/api/v1/nodes", JSON, wrong_type).await,
        400,
        "BadRequest",
        "cannot be handled as a Node",
    );
    let wrong_kind = r#"{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "n2"}}"#;
    assert_status(
        &send(&c, Method::POST, "/api/v1/nodes", JSON, wrong_kind).await,
        400,
        "BadRequest",
        "kind \"Pod\"",
    );
    assert_status(
        &send(&c, Method::DELETE, "/api/v1/nodes/n1", JSON, "{oops").await,
        400,
        "BadRequest",
        "DeleteOptions",
    );
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_patch_types_are_415_and_change_nothing() {
    let (_sim, c, before) = setup().await;
    let patch = r#"{"metadata": {"labels": {"x": "y"}}}"#;
    let yaml = send(
        &c,
        Method::PATCH,
        "/api/v1/nodes/n1",
        "application/yaml",
        patch,
    )
    .await;
    assert_status(&yaml, 415, "UnsupportedMediaType", "unknown format");
    let apply = send(
        &c,
        Method::PATCH,
        "/api/v1/nodes/n1",
        "application/apply-patch+yaml",
        patch,
    )
    .await;
    assert_status(&apply, 415, "UnsupportedMediaType", "server-side apply");
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kinds_resources_and_objects_are_404() {
    let (_sim, c, before) = setup().await;
    for path in [
        "/api/v1/widgets",
        "/apis/batch/v1/jobs",
        "/apis/apps/v1/namespaces/default/deployments",
        "/api/v1/namespaces/default/leases",
    ] {
        let answer = raw(&c, Method::GET, path, None, String::new()).await;
        assert_status(
            &answer,
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    let widget = send(
        &c,
        Method::POST,
        "/api/v1/namespaces/default/widgets",
        JSON,
        "{}",
    )
    .await;
    assert_status(
        &widget,
        404,
        "NotFound",
        "could not find the requested resource",
    );
    let node = raw(&c, Method::GET, "/api/v1/nodes/nope", None, String::new()).await;
    assert_status(&node, 404, "NotFound", "nodes \"nope\" not found");
    assert_eq!(node.body["details"]["kind"], "nodes");
    let ds = raw(
        &c,
        Method::GET,
        "/apis/apps/v1/namespaces/default/daemonsets/nope",
        None,
        String::new(),
    )
    .await;
    assert_status(&ds, 404, "NotFound", "daemonsets.apps \"nope\" not found");
    let lease_status = raw(
        &c,
        Method::GET,
        "/apis/coordination.k8s.io/v1/namespaces/default/leases/x/status",
        None,
        String::new(),
    )
    .await;
    assert_status(&lease_status, 404, "NotFound", "could not find");
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_tokens_are_401() {
    let (sim, c, before) = setup().await;
    for token in [Some("not-the-token"), None] {
        let nodes = Api::<Node>::all(sim.client_with_token(token).await);
        match nodes.list(&ListParams::default()).await {
            Err(kube::Error::Api(s)) => {
                assert_eq!((s.code, s.reason.as_str()), (401, "Unauthorized"))
            }
            other => panic!("expected 401, got {other:?}"),
        }
        let created = nodes
            .create(&PostParams::default(), &node("intruder", &[]))
            .await;
        assert!(
            matches!(created, Err(kube::Error::Api(ref s)) if s.code == 401),
            "{created:?}"
        );
        let faults = raw(
            &sim.client_with_token(token).await,
            Method::POST,
            "/sim/faults",
            Some(JSON),
            r#"{"failRate":1}"#.into(),
        )
        .await;
        assert_status(&faults, 401, "Unauthorized", "Unauthorized");
    }
    let read_only_faults = raw(
        &sim.read_only_client().await,
        Method::GET,
        "/sim/faults",
        None,
        String::new(),
    )
    .await;
    assert_status(&read_only_faults, 403, "Forbidden", "admin token");
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_only_token_reads_but_every_write_is_403() {
    let (sim, c, before) = setup().await;
    let ro = sim.read_only_client().await;
    assert_eq!(world_view(&ro).await, before);
    let create = send(
        &ro,
        Method::POST,
        "/api/v1/nodes",
        JSON,
        r#"{"metadata":{"name":"n2"}}"#,
    )
    .await;
    assert_status(
        &create,
        403,
        "Forbidden",
        "User \"herd-sim-readonly\" cannot create resource \"nodes\" in API group \"\" at the cluster scope",
    );
    let patch = send(
        &ro,
        Method::PATCH,
        "/api/v1/nodes/n1",
        MERGE,
        r#"{"spec":{"unschedulable":true}}"#,
    )
    .await;
    assert_status(&patch, 403, "Forbidden", "cannot patch resource \"nodes\"");
    let put = send(
        &ro,
        Method::PUT,
        "/api/v1/nodes/n1",
        JSON,
        r#"{"metadata":{"name":"n1"}}"#,
    )
    .await;
    assert_status(&put, 403, "Forbidden", "cannot update");
    let delete = send(&ro, Method::DELETE, "/api/v1/nodes/n1", JSON, "").await;
    assert_status(&delete, 403, "Forbidden", "cannot delete");
    let ds = send(
        &ro,
        Method::POST,
        "/apis/apps/v1/namespaces/team-a/daemonsets",
        JSON,
        "{}",
    )
    .await;
    assert_status(&ds, 403, "Forbidden", "in the namespace \"team-a\"");
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_versions_and_duplicates_are_409() {
    let (sim, c, before) = setup().await;
    let stale = r#"{"metadata":{"resourceVersion":"1","labels":{"x":"y"}}}"#;
    assert_status(
        &send(&c, Method::PATCH, "/api/v1/nodes/n1", MERGE, stale).await,
        409,
        "Conflict",
        "the object has been modified",
    );
    let replace = r#"{"metadata":{"name":"n1","resourceVersion":"1"}}"#;
    assert_status(
        &send(&c, Method::PUT, "/api/v1/nodes/n1", JSON, replace).await,
        409,
        "Conflict",
        "Operation cannot be fulfilled on nodes \"n1\"",
    );
    let delete = r#"{"preconditions":{"resourceVersion":"1"}}"#;
    assert_status(
        &send(&c, Method::DELETE, "/api/v1/nodes/n1", JSON, delete).await,
        409,
        "Conflict",
        "nodes \"n1\"",
    );
    let uid = r#"{"preconditions":{"uid":"not-the-uid"}}"#;
    assert_status(
        &send(&c, Method::DELETE, "/api/v1/nodes/n1", JSON, uid).await,
        409,
        "Conflict",
        "nodes \"n1\"",
    );
    let nodes = Api::<Node>::all(sim.client().await);
    match nodes.create(&PostParams::default(), &node("n1", &[])).await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (409, "AlreadyExists")),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_and_namespace_mismatches_are_refused() {
    let (_sim, c, before) = setup().await;
    let renamed = r#"{"metadata":{"name":"n2"}}"#;
    assert_status(
        &send(&c, Method::PUT, "/api/v1/nodes/n1", JSON, renamed).await,
        400,
        "BadRequest",
        "does not match the name on the URL",
    );
    let rename_patch = r#"{"metadata":{"name":"n2"}}"#;
    assert_status(
        &send(&c, Method::PATCH, "/api/v1/nodes/n1", MERGE, rename_patch).await,
        400,
        "BadRequest",
        "does not match the name",
    );
    let pod = r#"{"metadata":{"name":"p","namespace":"kube-system"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#;
    assert_status(
        &send(
            &c,
            Method::POST,
            "/api/v1/namespaces/default/pods",
            JSON,
            pod,
        )
        .await,
        400,
        "BadRequest",
        "does not match the namespace",
    );
    let elsewhere = r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#;
    let missing = send(
        &c,
        Method::POST,
        "/api/v1/namespaces/nope/pods",
        JSON,
        elsewhere,
    )
    .await;
    assert_status(&missing, 404, "NotFound", "namespaces \"nope\" not found");
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_objects_and_failed_patches_are_422() {
    let (_sim, c, before) = setup().await;
    let no_containers = r#"{"metadata":{"name":"p"},"spec":{"containers":[]}}"#;
    let pod = send(
        &c,
        Method::POST,
        "/api/v1/namespaces/default/pods",
        JSON,
        no_containers,
    )
    .await;
    assert_status(
        &pod,
        422,
        "Invalid",
        "Pod \"p\" is invalid: spec.containers: Required value",
    );
    let bad_name = send(
        &c,
        Method::POST,
        "/api/v1/nodes",
        JSON,
        r#"{"metadata":{"name":"Bad_Name"}}"#,
    )
    .await;
    assert_status(&bad_name, 422, "Invalid", "RFC 1123");
    let test_fails = r#"[{"op":"test","path":"/metadata/name","value":"other"},{"op":"add","path":"/metadata/labels/x","value":"y"}]"#;
    let jp = send(
        &c,
        Method::PATCH,
        "/api/v1/nodes/n1",
        "application/json-patch+json",
        test_fails,
    )
    .await;
    assert_status(&jp, 422, "Invalid", "the patch could not be applied");
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbs_a_resource_does_not_serve_are_405() {
    let (_sim, c, before) = setup().await;
    assert_status(
        &send(&c, Method::DELETE, "/api/v1/nodes", JSON, "").await,
        405,
        "MethodNotAllowed",
        "does not allow this method",
    );
    assert_status(
        &send(&c, Method::POST, "/api/v1/nodes/n1", JSON, "{}").await,
        405,
        "MethodNotAllowed",
        "does not allow",
    );
    assert_status(
        &send(&c, Method::PUT, "/api/v1/nodes", JSON, "{}").await,
        405,
        "MethodNotAllowed",
        "does not allow",
    );
    assert_status(
        &send(
            &c,
            Method::POST,
            "/apis/metrics.k8s.io/v1beta1/nodes",
            JSON,
            "{}",
        )
        .await,
        405,
        "MethodNotAllowed",
        "does not allow",
    );
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_a_compacted_version_gets_410_expired() {
    let (sim, c, _) = setup().await;
    let nodes = Api::<Node>::all(sim.client().await);
    let old = nodes
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    nodes
        .patch(
            "n1",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"v": "2"}}})),
        )
        .await
        .expect("patch");
    sim.faults(json!({"compact": true})).await;
    let path = format!("/api/v1/nodes?watch=1&resourceVersion={old}");
    let answer = raw(&c, Method::GET, &path, None, String::new()).await;
    assert_eq!(answer.code, 200, "watch errors arrive as events");
    let event: Value =
        serde_json::from_str(answer.text.lines().next().unwrap_or("")).expect("one JSON event");
    assert_eq!(event["type"], "ERROR");
    assert_eq!(
        (
            event["object"]["code"].as_u64(),
            event["object"]["reason"].as_str()
        ),
        (Some(410), Some("Expired"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_answer_500_and_429_until_cleared() {
    let (sim, c, before) = setup().await;
    sim.faults(json!({"failRate": 1.0, "failCode": 500})).await;
    assert_status(
        &raw(&c, Method::GET, "/api/v1/nodes", None, String::new()).await,
        500,
        "InternalError",
        "injected fault",
    );
    sim.faults(json!({"failCode": 429})).await;
    assert_status(
        &raw(&c, Method::GET, "/api/v1/nodes", None, String::new()).await,
        429,
        "TooManyRequests",
        "try again later",
    );
    let rejected = raw(
        &c,
        Method::POST,
        "/sim/faults",
        Some(JSON),
        r#"{"failRate": 2}"#.into(),
    )
    .await;
    assert_status(&rejected, 400, "BadRequest", "failRate 2 is out of range");
    let unknown = raw(
        &c,
        Method::POST,
        "/sim/faults",
        Some(JSON),
        r#"{"explode": true}"#.into(),
    )
    .await;
    assert_status(&unknown, 400, "BadRequest", "unknown field");
    let report = sim.faults(json!({"failRate": 0.0})).await;
    assert_eq!(report["injectedFailures"], 2);
    assert_eq!(world_view(&c).await, before);
}

/// Refusals a real API server makes and the simulator used to let through: each answers 422
/// naming the field and the rule in upstream's words, with a cause per field error, and
/// stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_duplicate_containers_tolerations_and_uid_changes_are_422() {
    let (_sim, c, before) = setup().await;
    let long = "a".repeat(64);
    let cases = [
        (
            daemon_set_body("long", json!({"labels": {"tier": long}}), json!({})),
            format!("DaemonSet.apps \"long\" is invalid: metadata.labels: Invalid value: \"{long}\": must be no more than 63 characters"),
            "metadata.labels",
        ),
        (
            daemon_set_body(
                "twins",
                json!({}),
                json!({"containers": [{"name": "c", "image": "a:1"}, {"name": "c", "image": "b:1"}]}),
            ),
            "DaemonSet.apps \"twins\" is invalid: spec.template.spec.containers[1].name: Duplicate value: \"c\"".to_string(),
            "spec.template.spec.containers[1].name",
        ),
        (
            daemon_set_body(
                "maybe",
                json!({}),
                json!({"tolerations": [{"key": "k", "operator": "Maybe"}]}),
            ),
            "DaemonSet.apps \"maybe\" is invalid: spec.template.spec.tolerations[0].operator: Unsupported value: \"Maybe\": supported values: \"Equal\", \"Exists\"".to_string(),
            "spec.template.spec.tolerations[0].operator",
        ),
        (
            daemon_set_body(
                "sometimes",
                json!({}),
                json!({"tolerations": [{"key": "k", "operator": "Exists", "effect": "Sometimes"}]}),
            ),
            "DaemonSet.apps \"sometimes\" is invalid: spec.template.spec.tolerations[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"".to_string(),
            "spec.template.spec.tolerations[0].effect",
        ),
        (
            daemon_set_body(
                "selected",
                json!({}),
                json!({"nodeSelector": {"pool": "-gpu"}}),
            ),
            "DaemonSet.apps \"selected\" is invalid: spec.template.spec.nodeSelector: Invalid value: \"-gpu\": a valid label must be an empty string".to_string(),
            "spec.template.spec.nodeSelector",
        ),
    ];
    for (body, message, field) in cases {
        let answer = send(
            &c,
            Method::POST,
            "/apis/apps/v1/namespaces/default/daemonsets",
            JSON,
            &body,
        )
        .await;
        assert_status(&answer, 422, "Invalid", &message);
        let details = &answer.body["details"];
        assert_eq!(details["kind"], "DaemonSet", "{}", answer.text);
        assert_eq!(details["group"], "apps", "{}", answer.text);
        assert_eq!(details["causes"][0]["field"], field, "{}", answer.text);
    }
    // A node's labels are checked the same way, and its uid cannot change.
    let node_label = send(
        &c,
        Method::PATCH,
        "/api/v1/nodes/n1",
        MERGE,
        &json!({"metadata": {"labels": {"pool": long}}}).to_string(),
    )
    .await;
    assert_status(
        &node_label,
        422,
        "Invalid",
        "Node \"n1\" is invalid: metadata.labels: Invalid value:",
    );
    let uid = send(
        &c,
        Method::PATCH,
        "/api/v1/nodes/n1",
        MERGE,
        r#"{"metadata":{"uid":"another"}}"#,
    )
    .await;
    assert_status(
        &uid,
        422,
        "Invalid",
        "Node \"n1\" is invalid: metadata.uid: Invalid value: \"another\": field is immutable",
    );
    assert_eq!(world_view(&c).await, before);
}
