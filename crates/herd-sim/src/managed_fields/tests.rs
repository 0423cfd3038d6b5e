//! The bookkeeping of `record_update` on typed objects: who gains, who loses, when time moves.

use super::*;
use k8s_openapi::api::apps::v1::DaemonSet;
use serde_json::json;

fn at(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn ds() -> DaemonSet {
    serde_json::from_value(json!({
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "agent", "image": "a:1"}]}},
                 "updateStrategy": {"type": "RollingUpdate"}}
    }))
    .expect("daemonset")
}

fn main_writer(manager: &str) -> Writer<'_> {
    Writer {
        manager,
        subresource: Subresource::Main,
    }
}

const STRATEGY: [&str; 3] = ["f:spec", "f:updateStrategy", "f:type"];
const IMAGE: [&str; 6] = [
    "f:spec",
    "f:template",
    "f:spec",
    "f:containers",
    "k:{\"name\":\"agent\"}",
    "f:image",
];

fn owned(obj: &DaemonSet, manager: &str) -> FieldSet {
    owned_by(
        obj.metadata.managed_fields.as_deref(),
        manager,
        Subresource::Main,
    )
    .unwrap_or_default()
}

/// Created by `creator` at t0, then `patcher` sets the update strategy to OnDelete at t1.
fn created_then_patched(creator: &str, patcher: &str) -> (DaemonSet, DaemonSet) {
    let mut created = ds();
    record_update(
        None,
        &mut created,
        main_writer(creator),
        at("2025-01-01T00:00:00.7Z"),
    )
    .expect("create");
    let mut patched = created.clone();
    patched.spec.update_strategy = serde_json::from_value(json!({"type": "OnDelete"})).ok();
    record_update(
        Some(&created),
        &mut patched,
        main_writer(patcher),
        at("2025-01-01T00:05:00Z"),
    )
    .expect("patch");
    (created, patched)
}

#[test]
fn the_creator_owns_everything_it_set_with_the_time_to_the_second() {
    let (created, _) = created_then_patched("kubectl-create", "argocd-controller");
    let entries = created
        .metadata
        .managed_fields
        .as_deref()
        .unwrap_or_default();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.manager.as_deref(), Some("kubectl-create"));
    assert_eq!(e.operation.as_deref(), Some("Update"));
    assert_eq!(e.api_version.as_deref(), Some("apps/v1"));
    assert_eq!(e.fields_type.as_deref(), Some("FieldsV1"));
    assert_eq!(e.subresource, None);
    assert_eq!(
        e.time.as_ref().map(|t| t.0),
        Some(at("2025-01-01T00:00:00Z"))
    );
    let set = owned(&created, "kubectl-create");
    assert!(set.contains(&STRATEGY) && set.contains(&IMAGE));
    // Name and namespace are nobody's, and nothing else in metadata was set.
    assert!(!set.touches(&["f:metadata"]));
}

#[test]
fn a_changed_field_moves_to_its_writer_and_the_rest_stays() {
    let (_, patched) = created_then_patched("kubectl-create", "argocd-controller");
    let creator = owned(&patched, "kubectl-create");
    let patcher = owned(&patched, "argocd-controller");
    assert!(patcher.contains(&STRATEGY));
    assert!(!creator.touches(&STRATEGY));
    assert!(creator.contains(&IMAGE));
    assert_eq!(
        patcher.to_fields_v1(),
        json!({"f:spec": {"f:updateStrategy": {"f:type": {}}}})
    );
    let managers: Vec<_> = patched
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .map(|e| e.manager.clone().unwrap_or_default())
        .collect();
    // Oldest first, as upstream sorts them.
    assert_eq!(managers, ["kubectl-create", "argocd-controller"]);
}

#[test]
fn an_unchanged_write_moves_nothing_and_keeps_the_time() {
    let (_, patched) = created_then_patched("kubectl-create", "argocd-controller");
    let mut again = patched.clone();
    record_update(
        Some(&patched),
        &mut again,
        main_writer("someone-else"),
        at("2025-01-02T00:00:00Z"),
    )
    .expect("write");
    assert_eq!(
        again.metadata.managed_fields,
        patched.metadata.managed_fields
    );
    assert_eq!(again, patched);
}

#[test]
fn a_field_taken_back_leaves_an_emptied_entry_dropped() {
    let (_, patched) = created_then_patched("kubectl-create", "argocd-controller");
    let mut back = patched.clone();
    back.spec.update_strategy = serde_json::from_value(json!({"type": "RollingUpdate"})).ok();
    record_update(
        Some(&patched),
        &mut back,
        main_writer("kubectl-create"),
        at("2025-01-01T01:00:00Z"),
    )
    .expect("write");
    let entries = back.metadata.managed_fields.as_deref().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(owned(&back, "kubectl-create").contains(&STRATEGY));
}

#[test]
fn status_writes_get_their_own_entry() {
    let (_, patched) = created_then_patched("kubectl-create", "argocd-controller");
    let mut with_status = patched.clone();
    with_status.status = serde_json::from_value(json!({
        "currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberMisscheduled": 0, "numberReady": 1
    }))
    .ok();
    let writer = Writer {
        manager: CONTROLLER_MANAGER,
        subresource: Subresource::Status,
    };
    record_update(
        Some(&patched),
        &mut with_status,
        writer,
        at("2025-01-01T00:06:00Z"),
    )
    .expect("status");
    let status = owned_by(
        with_status.metadata.managed_fields.as_deref(),
        CONTROLLER_MANAGER,
        Subresource::Status,
    )
    .expect("a status entry");
    assert!(status.contains(&["f:status", "f:numberReady"]));
    assert!(!status.touches(&["f:spec"]));
    let raw = with_status
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .find(|e| e.manager.as_deref() == Some(CONTROLLER_MANAGER))
        .expect("entry");
    assert_eq!(raw.subresource.as_deref(), Some("status"));
    assert!(
        owned_by(
            with_status.metadata.managed_fields.as_deref(),
            CONTROLLER_MANAGER,
            Subresource::Main
        )
        .is_none()
    );
}

#[test]
fn client_sent_entries_reset_or_replace_the_stored_ones() {
    let (_, patched) = created_then_patched("kubectl-create", "argocd-controller");
    let mut reset = patched.clone();
    reset.metadata.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
    record_update(
        Some(&patched),
        &mut reset,
        main_writer("kubectl-edit"),
        at("2025-01-03T00:00:00Z"),
    )
    .expect("reset");
    assert_eq!(reset.metadata.managed_fields, None);
    let mut garbage = patched.clone();
    garbage.metadata.managed_fields = Some(vec![ManagedFieldsEntry {
        manager: Some("x".into()),
        fields_type: Some("FieldsV9".into()),
        ..Default::default()
    }]);
    record_update(
        Some(&patched),
        &mut garbage,
        main_writer("kubectl-edit"),
        at("2025-01-03T00:00:00Z"),
    )
    .expect("kept");
    assert_eq!(
        garbage.metadata.managed_fields,
        patched.metadata.managed_fields
    );
}

#[test]
fn the_manager_comes_from_the_parameter_or_the_user_agent() {
    let name = |m: Option<&str>, ua: Option<&str>| manager_name(m, ua);
    assert_eq!(
        name(
            Some("kubectl-client-side-apply"),
            Some("kubectl/v1.32.4 (linux/amd64)")
        ),
        Ok("kubectl-client-side-apply".into())
    );
    assert_eq!(
        name(None, Some("kubectl/v1.32.4 (linux/amd64) kubernetes/abc")),
        Ok("kubectl".into())
    );
    assert_eq!(
        name(Some(""), Some("argocd-application-controller/v2")),
        Ok("argocd-application-controller".into())
    );
    assert_eq!(name(None, None), Ok(UNKNOWN_MANAGER.into()));
    assert_eq!(name(None, Some("/v1")), Ok(UNKNOWN_MANAGER.into()));
    assert!(name(Some(&"m".repeat(129)), None).is_err());
    assert!(name(Some("tab\there"), None).is_err());
    assert_eq!(name(None, Some(&"u".repeat(300))).map(|m| m.len()), Ok(128));
}
