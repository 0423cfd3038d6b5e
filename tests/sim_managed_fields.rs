//! metadata.managedFields over HTTP: the simulator records which field manager last set each
//! field of a DaemonSet, through kube-rs and through an unmodified kubectl, so a client can name
//! who changed `spec.updateStrategy`.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, Request};
use common::objects::daemonset;
use common::server::{TestSim, eventually, raw, require_kubectl, succeeded};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const NS: &str = "default";
const STRATEGY: &[&str] = &["f:spec", "f:updateStrategy", "f:type"];
const IMAGE: &[&str] = &[
    "f:spec",
    "f:template",
    "f:spec",
    "f:containers",
    "k:{\"name\":\"agent\"}",
    "f:image",
];

/// A frozen clock: the controllers still run, but every write happens at the same instant.
async fn frozen() -> TestSim {
    TestSim::start_with(|o| o.speed = 0.0).await
}

fn post_as(manager: &str) -> PostParams {
    PostParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    }
}

fn put_as(manager: &str) -> PostParams {
    post_as(manager)
}

fn patch_as(manager: &str) -> PatchParams {
    PatchParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    }
}

/// The `Update` entries of one manager on one subresource ("" for the main resource).
fn entries<'a>(ds: &'a DaemonSet, manager: &str, subresource: &str) -> Vec<&'a ManagedFieldsEntry> {
    ds.metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|e| {
            e.manager.as_deref() == Some(manager)
                && e.subresource.as_deref().unwrap_or("") == subresource
        })
        .collect()
}

/// The fieldsV1 tree of a manager's single entry; fails the test when it has none or several.
fn fields(ds: &DaemonSet, manager: &str, subresource: &str) -> Value {
    let found = entries(ds, manager, subresource);
    assert_eq!(
        found.len(),
        1,
        "one entry for {manager} ({subresource:?}) in {:#?}",
        ds.metadata.managed_fields
    );
    let e = found[0];
    assert_eq!(e.operation.as_deref(), Some("Update"));
    assert_eq!(e.api_version.as_deref(), Some("apps/v1"));
    assert_eq!(e.fields_type.as_deref(), Some("FieldsV1"));
    assert!(e.time.is_some(), "an entry carries its time");
    e.fields_v1.as_ref().expect("fieldsV1").0.clone()
}

/// Whether the path of encoded elements leads somewhere in a fieldsV1 tree.
fn has(tree: &Value, path: &[&str]) -> bool {
    path.iter()
        .try_fold(tree, |node, element| node.get(*element))
        .is_some()
}

async fn create_agent(api: &Api<DaemonSet>, manager: &str) -> DaemonSet {
    api.create(
        &post_as(manager),
        &daemonset(NS, "agent", "example/agent:1"),
    )
    .await
    .expect("create")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_moves_the_update_strategy_to_its_manager_and_the_creator_keeps_the_rest() {
    let sim = frozen().await;
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, NS);
    let created = create_agent(&api, "team-a").await;
    let a = fields(&created, "team-a", "");
    // The creator owns what it sent and what defaulting filled in, in upstream's encoding.
    assert!(has(&a, STRATEGY) && has(&a, IMAGE), "{a:#}");
    assert!(has(
        &a,
        &["f:spec", "f:updateStrategy", "f:rollingUpdate", "."]
    ));
    assert!(has(&a, &["f:spec", "f:selector"]));
    assert!(!has(&a, &["f:metadata", "f:name"]) && !has(&a, &["f:status"]));

    let patch = Patch::Merge(
        json!({"spec": {"updateStrategy": {"type": "OnDelete", "rollingUpdate": null}}}),
    );
    let patched = api
        .patch("agent", &patch_as("argocd-controller"), &patch)
        .await
        .expect("patch");
    assert_eq!(
        fields(&patched, "argocd-controller", ""),
        json!({"f:spec": {"f:updateStrategy": {"f:type": {}}}})
    );
    let a = fields(&patched, "team-a", "");
    assert!(!has(&a, &["f:spec", "f:updateStrategy"]), "{a:#}");
    assert!(has(&a, IMAGE) && has(&a, &["f:spec", "f:revisionHistoryLimit"]));
    // What GET serves is what the patch answered (the controller's status entry aside).
    let read = api.get("agent").await.expect("get");
    for manager in ["team-a", "argocd-controller"] {
        assert_eq!(fields(&read, manager, ""), fields(&patched, manager, ""));
    }
}

/// The DaemonSet once the controller has posted the status of its latest generation: nothing
/// else writes to it in an empty cluster.
async fn settled(api: &Api<DaemonSet>) -> DaemonSet {
    eventually(
        "the controller to observe the latest generation",
        || async {
            let ds = api.get("agent").await.ok()?;
            let observed = ds.status.as_ref()?.observed_generation;
            (observed.is_some() && observed == ds.metadata.generation).then_some(ds)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_verb_and_patch_type_records_its_writer() {
    let sim = frozen().await;
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, NS);
    create_agent(&api, "team-a").await;

    let strategic = Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "agent", "image": "example/agent:2"}]}}}}));
    api.patch("agent", &patch_as("image-bot"), &strategic)
        .await
        .expect("strategic patch");
    let client = sim.client().await;
    let path = "/apis/apps/v1/namespaces/default/daemonsets/agent";
    let json_patch = raw(
        &client,
        Method::PATCH,
        &format!("{path}?fieldManager=herd"),
        Some("application/json-patch+json"),
        json!([{"op": "add", "path": "/metadata/annotations/herd.dev~1rollout", "value": "{}"}])
            .to_string(),
    )
    .await;
    assert_eq!(json_patch.code, 200, "{}", json_patch.text);
    let mut replaced = api.get("agent").await.expect("get");
    replaced.spec.min_ready_seconds = Some(5);
    // Unconditional, and without the list read back: the controller may post status meanwhile.
    replaced.metadata.resource_version = None;
    replaced.metadata.managed_fields = None;
    let replaced = api
        .replace("agent", &put_as("kubectl-edit"), &replaced)
        .await
        .expect("replace");

    assert_eq!(
        fields(&replaced, "image-bot", ""),
        json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
            "k:{\"name\":\"agent\"}": {"f:image": {}}}}}}})
    );
    assert_eq!(
        fields(&replaced, "herd", ""),
        json!({"f:metadata": {"f:annotations": {"f:herd.dev/rollout": {}}}})
    );
    assert_eq!(
        fields(&replaced, "kubectl-edit", ""),
        json!({"f:spec": {"f:minReadySeconds": {}}})
    );
    let a = fields(&replaced, "team-a", "");
    assert!(!has(&a, IMAGE) && has(&a, STRATEGY));

    // No fieldManager: the User-Agent up to its first '/', and without one "unknown".
    let labelled = send(
        &client,
        path,
        Some("argocd-application-controller/v2.13.1+abc (linux/amd64)"),
        json!({"metadata": {"labels": {"tier": "infra"}}}),
    )
    .await;
    assert!(
        !entries(&labelled, "argocd-application-controller", "").is_empty(),
        "{:#?}",
        labelled.metadata.managed_fields
    );
    let anonymous = send(&client, path, None, json!({"spec": {"minReadySeconds": 9}})).await;
    assert_eq!(
        fields(&anonymous, "unknown", ""),
        json!({"f:spec": {"f:minReadySeconds": {}}})
    );
    assert!(entries(&anonymous, "kubectl-edit", "").is_empty());

    let too_long = raw(
        &client,
        Method::PATCH,
        &format!("{path}?fieldManager={}", "m".repeat(129)),
        Some("application/merge-patch+json"),
        "{}".into(),
    )
    .await;
    assert_eq!(too_long.code, 422, "{}", too_long.text);
    assert!(too_long.text.contains("PatchOptions.meta.k8s.io"));
}

/// A merge patch with the given User-Agent (kube-rs sends none of its own).
async fn send(client: &Client, path: &str, user_agent: Option<&str>, body: Value) -> DaemonSet {
    let mut request = Request::builder()
        .method(Method::PATCH)
        .uri(path)
        .header("content-type", "application/merge-patch+json");
    if let Some(ua) = user_agent {
        request = request.header("user-agent", ua);
    }
    let request = request
        .body(body.to_string().into_bytes())
        .expect("request");
    client.request::<DaemonSet>(request).await.expect("patched")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_write_moves_nothing() {
    let sim = frozen().await;
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, NS);
    create_agent(&api, "team-a").await;
    let patch = Patch::Merge(
        json!({"spec": {"updateStrategy": {"type": "OnDelete", "rollingUpdate": null}}}),
    );
    api.patch("agent", &patch_as("argocd-controller"), &patch)
        .await
        .expect("patch");
    let before = settled(&api).await;
    let again = api
        .patch("agent", &patch_as("someone-else"), &patch)
        .await
        .expect("same patch");
    assert!(entries(&again, "someone-else", "").is_empty());
    assert_eq!(
        again.metadata.managed_fields,
        before.metadata.managed_fields
    );
    assert_eq!(
        again.metadata.resource_version, before.metadata.resource_version,
        "a write that changes nothing is not written"
    );
    let put = api
        .replace("agent", &put_as("someone-else"), &again)
        .await
        .expect("replace with the same object");
    assert_eq!(put.metadata.managed_fields, before.metadata.managed_fields);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_writes_are_recorded_against_the_status_subresource() {
    let sim = frozen().await;
    let api: Api<DaemonSet> = Api::namespaced(sim.client().await, NS);
    create_agent(&api, "team-a").await;
    // The simulator's DaemonSet controller posts status as upstream's kube-controller-manager.
    let by_controller = eventually("the controller's status entry", || async {
        let ds = api.get("agent").await.ok()?;
        (!entries(&ds, "kube-controller-manager", "status").is_empty()).then_some(ds)
    })
    .await;
    let controller = fields(&by_controller, "kube-controller-manager", "status");
    assert!(
        has(&controller, &["f:status", "f:observedGeneration"]),
        "{controller:#}"
    );
    assert!(has(&controller, &["f:status", "f:numberMisscheduled"]));
    assert!(entries(&by_controller, "kube-controller-manager", "").is_empty());

    let status = Patch::Merge(json!({"status": {"numberMisscheduled": 3}}));
    let written = api
        .patch_status("agent", &patch_as("status-writer"), &status)
        .await
        .expect("status patch");
    assert_eq!(
        fields(&written, "status-writer", "status"),
        json!({"f:status": {"f:numberMisscheduled": {}}})
    );
    assert!(entries(&written, "status-writer", "").is_empty());
    let controller = fields(&written, "kube-controller-manager", "status");
    assert!(!has(&controller, &["f:status", "f:numberMisscheduled"]));
    assert!(has(&controller, &["f:status", "f:observedGeneration"]));
    // The main resource's entries never hold status.
    assert!(!has(&fields(&written, "team-a", ""), &["f:status"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(herd_no_kubectl, ignore = "kubectl is not on PATH")]
async fn kubectl_apply_owns_the_field_it_changed() {
    require_kubectl();
    let sim = frozen().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = |strategy: &str| {
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: default\n\
             spec:\n  selector:\n    matchLabels:\n      app: agent\n  updateStrategy:\n    type: {strategy}\n\
             \x20 template:\n    metadata:\n      labels:\n        app: agent\n    spec:\n\
             \x20     containers:\n      - name: agent\n        image: example/agent:1\n"
        )
    };
    let first = dir.path().join("first.yaml");
    let second = dir.path().join("second.yaml");
    std::fs::write(&first, manifest("RollingUpdate")).expect("manifest");
    std::fs::write(&second, manifest("OnDelete")).expect("manifest");
    let path = |p: &std::path::Path| p.to_string_lossy().to_string();

    succeeded(&sim.kubectl(&["create", "-f", &path(&first)]).await);
    succeeded(&sim.kubectl(&["apply", "-f", &path(&second)]).await);
    let out = succeeded(
        &sim.kubectl(&[
            "get",
            "ds",
            "agent",
            "-n",
            NS,
            "-o",
            "json",
            "--show-managed-fields",
        ])
        .await,
    );
    let ds: DaemonSet = serde_json::from_str(&out).expect("kubectl's JSON");
    assert_eq!(
        ds.spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.type_.as_deref()),
        Some("OnDelete")
    );
    let apply = fields(&ds, "kubectl-client-side-apply", "");
    assert!(has(&apply, STRATEGY), "{apply:#}");
    assert!(has(
        &apply,
        &[
            "f:metadata",
            "f:annotations",
            "f:kubectl.kubernetes.io/last-applied-configuration"
        ]
    ));
    assert!(!has(&apply, IMAGE), "the image did not change: {apply:#}");
    let create = fields(&ds, "kubectl-create", "");
    assert!(!has(&create, STRATEGY), "{create:#}");
    assert!(has(&create, IMAGE));
}
