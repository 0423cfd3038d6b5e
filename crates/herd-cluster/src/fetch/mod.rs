//! On-demand reads the watches do not carry: a DaemonSet's events, its revision history with a
//! diff between consecutive revisions, any object's YAML, whether a namespace exists; and the
//! writes the TUI offers.

mod diff;
mod yaml;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

pub use self::diff::diff;
pub use self::yaml::to_yaml;

/// What the API server says about one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceLookup {
    Exists,
    /// It answered 404; `known` is every namespace it lists (empty if it would not list them).
    Missing {
        known: Vec<String>,
    },
    /// No definite answer: a user allowed into one namespace is often not allowed to read
    /// Namespace objects (403), or the server failed.
    Unknown,
}

/// Whether namespace `name` exists: a GET of the Namespace, then on a 404 a list of the names
/// there are, for the message.
pub async fn namespace(client: &Client, name: &str) -> NamespaceLookup {
    let api: Api<api::Namespace> = Api::all(client.clone());
    match api.get_metadata(name).await {
        Ok(_) => NamespaceLookup::Exists,
        Err(kube::Error::Api(status)) if status.code == 404 => {
            let known = api
                .list_metadata(&ListParams::default())
                .await
                .map(|list| {
                    list.items
                        .into_iter()
                        .filter_map(|n| n.metadata.name)
                        .collect()
                })
                .unwrap_or_default();
            NamespaceLookup::Missing { known }
        }
        Err(_) => NamespaceLookup::Unknown,
    }
}

/// `kubectl get events --field-selector involvedObject.uid=…`, oldest first, one line each.
pub async fn events(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
) -> Result<Vec<String>, String> {
    let api: Api<api::Event> = Api::namespaced(client.clone(), namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut rows: Vec<(Option<Timestamp>, String)> = list
        .items
        .into_iter()
        .filter(|e| {
            e.involved_object.uid.as_deref() == Some(uid)
                || (e.involved_object.kind.as_deref() == Some("DaemonSet")
                    && e.involved_object.name.as_deref() == Some(name))
        })
        .map(|e| {
            let at = e
                .last_timestamp
                .as_ref()
                .or(e.first_timestamp.as_ref())
                .map(|t| t.0);
            let line = format!(
                "{:<20} {:<8} {:<24} x{:<4} {}",
                at.map_or("-".to_string(), |t| t
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()),
                e.type_.unwrap_or_default(),
                e.reason.unwrap_or_default(),
                e.count.unwrap_or(1),
                e.message.unwrap_or_default()
            );
            (at, line)
        })
        .collect();
    // Newest first: what happened last is what one looks for.
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    if rows.is_empty() {
        return Ok(vec![format!("no events for DaemonSet {namespace}/{name}")]);
    }
    let mut out = vec![format!(
        "{:<20} {:<8} {:<24} {:<5} MESSAGE",
        "LAST SEEN", "TYPE", "REASON", "COUNT"
    )];
    out.extend(rows.into_iter().map(|(_, l)| l));
    Ok(out)
}

/// Every revision (newest first) with its change-cause, then the template diff of each
/// revision against the one before it.
pub async fn history(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
) -> Result<Vec<String>, String> {
    let api: Api<apps::ControllerRevision> = Api::namespaced(client.clone(), namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut revs: Vec<apps::ControllerRevision> = list
        .items
        .into_iter()
        .filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .collect();
    revs.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let mut out = vec![format!(
        "# revisions of DaemonSet {namespace}/{name}, newest first"
    )];
    for r in &revs {
        let cause = r
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("kubernetes.io/change-cause"))
            .map_or("<none>", String::as_str);
        out.push(format!(
            "REVISION {:<4} {}  change-cause: {cause}",
            r.revision.unwrap_or(0),
            r.metadata.name.as_deref().unwrap_or("?")
        ));
    }
    for pair in revs.windows(2) {
        let (new, old) = (&pair[0], &pair[1]);
        out.push(String::new());
        out.push(format!(
            "== revision {} → {} ==",
            old.revision.unwrap_or(0),
            new.revision.unwrap_or(0)
        ));
        let template = |r: &apps::ControllerRevision| to_yaml(&r.data.0);
        let d = diff(&template(old)?, &template(new)?);
        if d.is_empty() {
            out.push("  (no template change)".into());
        }
        out.extend(d);
    }
    Ok(out)
}

/// The object as `kubectl get -o yaml` shows it, without managedFields.
pub async fn yaml_of(
    client: &Client,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Vec<String>, String> {
    let mut value = match (kind, namespace) {
        ("DaemonSet", Some(ns)) => to_value(
            Api::<apps::DaemonSet>::namespaced(client.clone(), ns)
                .get(name)
                .await,
        ),
        ("Pod", Some(ns)) => to_value(
            Api::<api::Pod>::namespaced(client.clone(), ns)
                .get(name)
                .await,
        ),
        ("Node", _) => to_value(Api::<api::Node>::all(client.clone()).get(name).await),
        _ => Err(format!("cannot show YAML of a {kind}")),
    }?;
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    to_yaml(&value)
}

fn to_value<T: serde::Serialize>(got: Result<T, kube::Error>) -> Result<Value, String> {
    let object = got.map_err(|e| e.to_string())?;
    serde_json::to_value(object).map_err(|e| e.to_string())
}

/// `kubectl rollout restart ds/NAME`: a new template annotation makes every pod roll.
pub async fn restart(
    client: &Client,
    namespace: &str,
    name: &str,
    now: Timestamp,
) -> Result<(), String> {
    // The stamp exactly as `kubectl rollout restart` writes it, as field manager herd.
    let patch = json!({"spec": {"template": herd_core::engine::restart::template_patch(now)}});
    let params = PatchParams {
        field_manager: Some(herd_core::engine::record::HERD_FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    Api::<apps::DaemonSet>::namespaced(client.clone(), namespace)
        .patch(name, &params, &Patch::Strategic(patch))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `kubectl set image ds/NAME CONTAINER=IMAGE`: the same strategic merge of the one
/// container's image, as field manager herd; the DaemonSet's own strategy rolls it out.
pub async fn set_image(
    client: &Client,
    namespace: &str,
    name: &str,
    container: &str,
    image: &str,
) -> Result<(), String> {
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": container, "image": image}
    ]}}}});
    let params = PatchParams {
        field_manager: Some(herd_core::engine::record::HERD_FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    Api::<apps::DaemonSet>::namespaced(client.clone(), namespace)
        .patch(name, &params, &Patch::Strategic(patch))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `kubectl cordon|uncordon NODE`.
pub async fn cordon(client: &Client, node: &str, cordon: bool) -> Result<(), String> {
    let patch = json!({"spec": {"unschedulable": cordon}});
    let params = PatchParams {
        field_manager: Some(herd_core::engine::record::HERD_FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    Api::<api::Node>::all(client.clone())
        .patch(node, &params, &Patch::Merge(patch))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
