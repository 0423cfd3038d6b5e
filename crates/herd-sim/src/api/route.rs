//! Reads a request path into what it addresses: a discovery document, a stored resource, metrics,
//! or one of the simulator's own admin endpoints.

use crate::Kind;

/// The group and version the metrics API is served under.
pub const METRICS_GROUP: &str = "metrics.k8s.io";
pub const METRICS_VERSION: &str = "v1beta1";

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Version,
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: every named group.
    Groups,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`: the resources of one group version.
    Resources {
        group: String,
        version: String,
    },
    OpenApiV2,
    OpenApiV3Root,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/{group}/{version}`.
    OpenApiV3 {
        group: String,
        version: String,
    },
    Health,
    Faults,
    Stats,
    Resource(ResourcePath),
    Metrics(MetricsPath),
    Unknown,
}

/// A stored kind's collection, object or subresource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub kind: Kind,
    /// `None` for cluster-scoped kinds and for all-namespaces collections.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// Reached through the deprecated `/watch/` prefix: always a watch.
    pub legacy_watch: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsResource {
    Nodes,
    Pods,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsPath {
    pub resource: MetricsResource,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

/// Parses a URL path (without the query).
pub fn parse(path: &str) -> Target {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["version"] => Target::Version,
        ["healthz" | "livez" | "readyz", ..] => Target::Health,
        ["api"] => Target::CoreVersions,
        ["apis"] => Target::Groups,
        ["apis", group] => Target::Group(group.to_string()),
        ["api", "v1"] => resources("", "v1"),
        ["apis", group, version] => resources(group, version),
        ["openapi", "v2"] => Target::OpenApiV2,
        ["openapi", "v3"] => Target::OpenApiV3Root,
        ["openapi", "v3", "api", "v1"] => openapi_v3("", "v1"),
        ["openapi", "v3", "apis", group, version] => openapi_v3(group, version),
        ["sim", "faults"] => Target::Faults,
        ["sim", "stats"] => Target::Stats,
        ["api", "v1", rest @ ..] => resource("", "v1", rest),
        ["apis", group, version, rest @ ..] if *group == METRICS_GROUP => {
            if *version == METRICS_VERSION {
                metrics(rest)
            } else {
                Target::Unknown
            }
        }
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        _ => Target::Unknown,
    }
}

fn served_group_version(group: &str, version: &str) -> bool {
    (group == METRICS_GROUP && version == METRICS_VERSION)
        || Kind::ALL.iter().any(|k| {
            let i = k.info();
            i.group == group && i.version == version
        })
}

fn resources(group: &str, version: &str) -> Target {
    if served_group_version(group, version) {
        Target::Resources {
            group: group.to_string(),
            version: version.to_string(),
        }
    } else {
        Target::Unknown
    }
}

fn openapi_v3(group: &str, version: &str) -> Target {
    if served_group_version(group, version) {
        Target::OpenApiV3 {
            group: group.to_string(),
            version: version.to_string(),
        }
    } else {
        Target::Unknown
    }
}

/// `[watch/][namespaces/{ns}/]{plural}[/{name}[/{subresource}]]` under a group version.
fn resource(group: &str, version: &str, rest: &[&str]) -> Target {
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let (namespace, rest) = match rest {
        // `namespaces/{name}` and `namespaces/{name}/status` address a Namespace itself.
        ["namespaces", _] | ["namespaces", _, "status" | "finalize"] => (None, rest),
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(ns.to_string()), tail),
        _ => (None, rest),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
        _ => return Target::Unknown,
    };
    let Some(kind) = Kind::from_path(group, version, plural) else {
        return Target::Unknown;
    };
    if namespace.is_some() && !kind.info().namespaced {
        return Target::Unknown;
    }
    Target::Resource(ResourcePath {
        kind,
        namespace,
        name,
        subresource,
        legacy_watch,
    })
}

fn metrics(rest: &[&str]) -> Target {
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..] => (Some(ns.to_string()), tail),
        _ => (None, rest),
    };
    let (resource, name) = match rest {
        ["nodes"] if namespace.is_none() => (MetricsResource::Nodes, None),
        ["nodes", name] if namespace.is_none() => (MetricsResource::Nodes, Some(name)),
        ["pods"] => (MetricsResource::Pods, None),
        ["pods", name] if namespace.is_some() => (MetricsResource::Pods, Some(name)),
        _ => return Target::Unknown,
    };
    Target::Metrics(MetricsPath {
        resource,
        namespace,
        name: name.map(|n| n.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path) {
            Target::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_and_cluster_paths() {
        let r = res("/api/v1/namespaces/kube-system/pods/p1/status");
        assert_eq!(r.kind, Kind::Pod);
        assert_eq!(r.namespace.as_deref(), Some("kube-system"));
        assert_eq!(r.name.as_deref(), Some("p1"));
        assert_eq!(r.subresource.as_deref(), Some("status"));
        let all = res("/apis/apps/v1/daemonsets");
        assert_eq!((all.kind, all.namespace), (Kind::DaemonSet, None));
        let ns = res("/api/v1/namespaces/default");
        assert_eq!(
            (ns.kind, ns.name.as_deref()),
            (Kind::Namespace, Some("default"))
        );
        let ns_status = res("/api/v1/namespaces/default/status");
        assert_eq!(ns_status.kind, Kind::Namespace);
        assert_eq!(ns_status.subresource.as_deref(), Some("status"));
        assert!(res("/api/v1/watch/namespaces/x/pods").legacy_watch);
    }

    #[test]
    fn unknown_and_metrics_paths() {
        assert_eq!(parse("/api/v1/widgets"), Target::Unknown);
        assert_eq!(parse("/api/v1/namespaces/x/nodes"), Target::Unknown);
        assert_eq!(parse("/apis/batch/v1"), Target::Unknown);
        assert_eq!(
            parse("/apis/metrics.k8s.io/v1beta1/namespaces/a/pods"),
            Target::Metrics(MetricsPath {
                resource: MetricsResource::Pods,
                namespace: Some("a".into()),
                name: None
            })
        );
    }
}
