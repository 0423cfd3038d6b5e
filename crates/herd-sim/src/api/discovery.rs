//! Discovery documents: /version, /api, /apis, each group version's resource list, and the
//! small OpenAPI v3 documents kubectl reads to learn that the server validates fields itself.

use serde_json::{Value, json};

use super::route::{METRICS_GROUP, METRICS_VERSION};
use crate::Kind;

/// The Kubernetes version the simulator presents itself as.
pub const MAJOR: &str = "1";
pub const MINOR: &str = "32";
pub const GIT_VERSION: &str = crate::KUBERNETES_VERSION;

const VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

pub fn version() -> Value {
    json!({
        "major": MAJOR,
        "minor": MINOR,
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    })
}

pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// Named groups with the one version each serves.
fn groups() -> Vec<(&'static str, &'static str)> {
    let mut groups: Vec<(&str, &str)> = Kind::ALL
        .iter()
        .map(|k| (k.info().group, k.info().version))
        .filter(|(g, _)| !g.is_empty())
        .collect();
    groups.push((METRICS_GROUP, METRICS_VERSION));
    groups.sort();
    groups.dedup();
    groups
}

fn group(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv], "preferredVersion": gv})
}

pub fn group_list() -> Value {
    let groups: Vec<Value> = groups().into_iter().map(|(g, v)| group(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`, or `None` for a group the server does not serve.
pub fn api_group(name: &str) -> Option<Value> {
    groups()
        .into_iter()
        .find(|(g, _)| *g == name)
        .map(|(g, v)| {
            let mut doc = group(g, v);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            doc
        })
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The APIResourceList of one group version.
pub fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for kind in Kind::ALL {
        let i = kind.info();
        if i.group != group || i.version != version {
            continue;
        }
        let mut r = json!({
            "name": i.plural,
            "singularName": i.singular,
            "namespaced": i.namespaced,
            "kind": i.kind,
            "verbs": VERBS,
        });
        if !i.short_names.is_empty() {
            r["shortNames"] = json!(i.short_names);
        }
        if matches!(kind, Kind::Pod | Kind::DaemonSet) {
            r["categories"] = json!(["all"]);
        }
        resources.push(r);
        if i.has_status {
            resources.push(json!({
                "name": format!("{}/status", i.plural),
                "singularName": "",
                "namespaced": i.namespaced,
                "kind": i.kind,
                "verbs": STATUS_VERBS,
            }));
        }
    }
    if group == METRICS_GROUP && version == METRICS_VERSION {
        for (name, kind, namespaced) in [
            ("nodes", "NodeMetrics", false),
            ("pods", "PodMetrics", true),
        ] {
            resources.push(json!({
                "name": name,
                "singularName": "",
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["get", "list"],
            }));
        }
    }
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    })
}

fn openapi_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: where each group version's document lives.
pub fn openapi_v3_root() -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs: Vec<(&str, &str)> = Kind::ALL
        .iter()
        .map(|k| (k.info().group, k.info().version))
        .collect();
    gvs.sort();
    gvs.dedup();
    for (g, v) in gvs {
        let prefix = openapi_prefix(g, v);
        paths.insert(
            prefix.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{prefix}?hash={GIT_VERSION}")}),
        );
    }
    json!({ "paths": paths })
}

/// A minimal OpenAPI v3 document for one group version: one PATCH operation per kind carrying
/// the `fieldValidation` parameter, which tells kubectl that the server validates fields and
/// that client-side schema validation (which would need full schemas) can be skipped.
pub fn openapi_v3(group: &str, version: &str) -> Value {
    let mut paths = serde_json::Map::new();
    for kind in Kind::ALL {
        let i = kind.info();
        if i.group != group || i.version != version {
            continue;
        }
        let scope = if i.namespaced {
            "namespaces/{namespace}/"
        } else {
            ""
        };
        let path = format!(
            "/{}/{scope}{}/{{name}}",
            openapi_prefix(group, version),
            i.plural
        );
        let operation = json!({
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": i.kind},
            "parameters": [
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}}
            ],
            "responses": {"200": {"description": "OK"}},
        });
        paths.insert(path, json!({"patch": operation.clone(), "put": operation}));
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (herd sim)", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_lists_daemonsets_with_status_and_short_name() {
        let doc = resource_list("apps", "v1");
        let names: Vec<&str> = doc["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["daemonsets", "daemonsets/status", "controllerrevisions"]
        );
        assert_eq!(doc["resources"][0]["shortNames"], json!(["ds"]));
        let groups = group_list();
        assert!(
            groups["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|g| g["name"] == METRICS_GROUP)
        );
    }
}
