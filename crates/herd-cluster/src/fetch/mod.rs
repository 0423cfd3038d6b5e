//! On-demand reads the watches do not carry: a DaemonSet's events, its revision history with a
//! diff between consecutive revisions, any object's YAML, whether a namespace exists; and the
//! writes the TUI offers.

pub mod describe;
mod diff;
mod others;
mod yaml;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

pub use self::diff::diff;
pub use self::others::other_pods;
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

/// `kubectl get events --field-selector involvedObject.uid=…`, newest first, one line each, ages
/// relative to `now` as kubectl's LAST SEEN column prints them.
pub async fn events(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
    now: Timestamp,
) -> Result<Vec<String>, String> {
    let api: Api<api::Event> = Api::namespaced(client.clone(), namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(event_lines(
        list.items,
        "DaemonSet",
        namespace,
        name,
        uid,
        now,
    ))
}

/// The events of one pod or node (`kind`), newest first, as [`event_lines`] writes them. A
/// node's events live in the `default` namespace, as upstream's recorder puts them.
pub async fn object_events(
    client: &Client,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    now: Timestamp,
) -> Result<Vec<String>, String> {
    let ns = namespace.unwrap_or("default");
    let events = events_about(client, kind, namespace, name).await?;
    Ok(event_lines(events, kind, ns, name, "", now))
}

/// The Events about one pod, node or DaemonSet, by involved kind and name, from its namespace
/// (`default` for a node, as upstream's recorder puts them).
pub async fn events_about(
    client: &Client,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Vec<api::Event>, String> {
    let api: Api<api::Event> = Api::namespaced(client.clone(), namespace.unwrap_or("default"));
    let params = ListParams::default().fields(&format!(
        "involvedObject.kind={kind},involvedObject.name={name}"
    ));
    let list = api.list(&params).await.map_err(|e| e.to_string())?;
    Ok(list.items)
}

/// The events of the `kind` `namespace/name` (by uid, or by kind and name for events that
/// lost the uid), newest first: `LAST SEEN` (`3m`), type, reason, how many times an aggregated
/// event happened (and since when, `4 over 12m`), message.
pub fn event_lines(
    events: Vec<api::Event>,
    kind: &str,
    namespace: &str,
    name: &str,
    uid: &str,
    now: Timestamp,
) -> Vec<String> {
    let age = |t: Timestamp| herd_core::analysis::units::age(now.duration_since(t));
    let mut rows: Vec<(Option<Timestamp>, String)> = events
        .into_iter()
        .filter(|e| {
            (!uid.is_empty() && e.involved_object.uid.as_deref() == Some(uid))
                || (e.involved_object.kind.as_deref() == Some(kind)
                    && e.involved_object.name.as_deref() == Some(name))
        })
        .map(|e| {
            let first = e.first_timestamp.as_ref().map(|t| t.0);
            let last = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or(first)
                .or_else(|| e.event_time.as_ref().map(|t| t.0));
            let count = e.count.unwrap_or(1);
            let times = match first {
                Some(first) if count > 1 => format!("{count} over {}", age(first)),
                _ => count.to_string(),
            };
            let line = format!(
                "{:<10} {:<8} {:<24} {:<12} {}",
                last.map_or("-".to_string(), age),
                e.type_.unwrap_or_default(),
                e.reason.unwrap_or_default(),
                times,
                e.message.unwrap_or_default()
            );
            (last, line)
        })
        .collect();
    // Newest first: what happened last is what one looks for.
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    if rows.is_empty() {
        let shown = if kind == "Node" {
            name.to_string()
        } else {
            format!("{namespace}/{name}")
        };
        return vec![format!("no events for {kind} {shown}")];
    }
    let mut out = vec![format!(
        "{:<10} {:<8} {:<24} {:<12} MESSAGE",
        "LAST SEEN", "TYPE", "REASON", "COUNT"
    )];
    out.extend(rows.into_iter().map(|(_, l)| l));
    out
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

/// Lines a log view shows at most: the tail of a long log (`kubectl logs --tail`).
pub const LOG_LINES: i64 = 2000;

/// `kubectl logs [-p] POD -c CONTAINER --tail 2000`: the lines, or the kubelet's refusal in
/// its own words (`previous terminated container … not found`).
pub async fn logs(
    client: &Client,
    namespace: &str,
    pod: &str,
    container: &str,
    previous: bool,
) -> Result<Vec<String>, String> {
    let params = kube::api::LogParams {
        container: Some(container.to_string()),
        previous,
        tail_lines: Some(LOG_LINES),
        ..kube::api::LogParams::default()
    };
    match Api::<api::Pod>::namespaced(client.clone(), namespace)
        .logs(pod, &params)
        .await
    {
        Ok(text) => Ok(text.lines().map(String::from).collect()),
        Err(kube::Error::Api(e)) => Err(e.message),
        Err(e) => Err(crate::problem::Problem::of_kube(&e).to_string()),
    }
}

/// `kubectl delete pod NAME`, only if it is still the pod `uid` (a pod recreated under the
/// same name is not deleted in its place); one already gone is done.
pub async fn delete_pod(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
) -> Result<(), String> {
    let params = kube::api::DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        }),
        ..kube::api::DeleteParams::default()
    };
    match Api::<api::Pod>::namespaced(client.clone(), namespace)
        .delete(name, &params)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(crate::problem::Problem::of_kube(&e).to_string()),
    }
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

#[cfg(test)]
mod event_tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn event(
        reason: &str,
        count: i32,
        first_ago: i64,
        last_ago: i64,
        now: Timestamp,
    ) -> api::Event {
        let at = |ago: i64| Time(now - jiff::SignedDuration::from_secs(ago));
        api::Event {
            involved_object: api::ObjectReference {
                kind: Some("DaemonSet".into()),
                name: Some("falco".into()),
                uid: Some("u1".into()),
                ..Default::default()
            },
            reason: Some(reason.into()),
            type_: Some("Normal".into()),
            message: Some(format!("{reason} happened")),
            count: Some(count),
            first_timestamp: Some(at(first_ago)),
            last_timestamp: Some(at(last_ago)),
            ..Default::default()
        }
    }

    #[test]
    fn events_read_newest_first_with_relative_ages_and_counts() {
        let now = Timestamp::from_second(1_800_000_000).expect("time");
        let mut other = event("Elsewhere", 1, 5, 5, now);
        other.involved_object.uid = Some("u2".into());
        other.involved_object.name = Some("other".into());
        let lines = event_lines(
            vec![
                event("SuccessfulCreate", 1, 3_600, 3_600, now),
                event("FailedCreate", 4, 720, 30, now),
                other,
            ],
            "DaemonSet",
            "falco",
            "falco",
            "u1",
            now,
        );
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("LAST SEEN"), "{lines:?}");
        assert!(lines[1].starts_with("30s "), "{}", lines[1]);
        assert!(
            lines[1].contains("FailedCreate") && lines[1].contains("4 over 12m"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("60m "), "{}", lines[2]);
        assert_eq!(
            event_lines(Vec::new(), "DaemonSet", "falco", "falco", "u1", now),
            ["no events for DaemonSet falco/falco"]
        );
        assert_eq!(
            event_lines(Vec::new(), "Node", "default", "general-07", "", now),
            ["no events for Node general-07"]
        );
    }
}
