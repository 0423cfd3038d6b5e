//! The cells of each kind's Table row, computed as upstream's printers compute them
//! (kubernetes pkg/printers/internalversion/printers.go); pods have their own file.

use std::collections::BTreeSet;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Namespace, Node};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use serde_json::{Value, json};

use crate::AnyObject;

pub fn cells(object: &AnyObject, now: Timestamp) -> Vec<Value> {
    match object {
        AnyObject::Pod(p) => super::pod::cells(p, now),
        AnyObject::Node(n) => node(n, now),
        AnyObject::DaemonSet(d) => daemonset(d, now),
        AnyObject::Namespace(n) => namespace(n, now),
        AnyObject::ControllerRevision(r) => revision(r, now),
        AnyObject::Event(e) => event(e, now),
        AnyObject::Lease(l) => lease(l, now),
    }
}

pub(super) fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// Age of a timestamp as `kubectl get` shows it; `<unknown>` when unset.
pub(super) fn since(time: Option<&Time>, now: Timestamp) -> String {
    match time {
        Some(t) => human_duration(now.as_second() - t.0.as_second()),
        None => "<unknown>".to_string(),
    }
}

/// apimachinery's `duration.HumanDuration`, on whole seconds.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    let s = seconds.max(0);
    let (m, h) = (s / 60, s / 3600);
    let with = |major: i64, unit: &str, minor: i64, minor_unit: &str| {
        if minor == 0 {
            format!("{major}{unit}")
        } else {
            format!("{major}{unit}{minor}{minor_unit}")
        }
    };
    match () {
        _ if s < 120 => format!("{s}s"),
        _ if m < 10 => with(m, "m", s % 60, "s"),
        _ if m < 180 => format!("{m}m"),
        _ if h < 8 => with(h, "h", m % 60, "m"),
        _ if h < 48 => format!("{h}h"),
        _ if h < 24 * 8 => with(h / 24, "d", h % 24, "h"),
        _ if h < 24 * 365 * 2 => format!("{}d", h / 24),
        _ if h < 24 * 365 * 8 => with(h / 24 / 365, "y", (h / 24) % 365, "d"),
        _ => format!("{}y", h / 24 / 365),
    }
}

fn node(n: &Node, now: Timestamp) -> Vec<Value> {
    let status = n.status.clone().unwrap_or_default();
    let mut state: Vec<String> = status
        .conditions
        .iter()
        .flatten()
        .filter(|c| c.type_ == "Ready")
        .map(|c| {
            if c.status == "True" {
                "Ready".into()
            } else {
                "NotReady".into()
            }
        })
        .take(1)
        .collect();
    if state.is_empty() {
        state.push("Unknown".into());
    }
    if n.spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false)
    {
        state.push("SchedulingDisabled".into());
    }
    let mut roles = BTreeSet::new();
    for (k, v) in n.metadata.labels.iter().flatten() {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    };
    let address = |kind: &str| {
        status
            .addresses
            .iter()
            .flatten()
            .find(|a| a.type_ == kind)
            .map_or_else(|| "<none>".to_string(), |a| a.address.clone())
    };
    let info = status.node_info.clone().unwrap_or_default();
    let unknown = |s: String| {
        if s.is_empty() {
            "<unknown>".to_string()
        } else {
            s
        }
    };
    vec![
        json!(name_of(&n.metadata)),
        json!(state.join(",")),
        json!(roles),
        json!(since(n.metadata.creation_timestamp.as_ref(), now)),
        json!(info.kubelet_version),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(unknown(info.os_image)),
        json!(unknown(info.kernel_version)),
        json!(unknown(info.container_runtime_version)),
    ]
}

fn daemonset(d: &DaemonSet, now: Timestamp) -> Vec<Value> {
    let status = d.status.clone().unwrap_or_default();
    let spec = d.spec.clone();
    let pod_spec = spec.template.spec.unwrap_or_default();
    let node_selector = pod_spec
        .node_selector
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let join = |f: fn(&k8s_openapi::api::core::v1::Container) -> String| {
        pod_spec
            .containers
            .iter()
            .map(f)
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![
        json!(name_of(&d.metadata)),
        json!(status.desired_number_scheduled),
        json!(status.current_number_scheduled),
        json!(status.number_ready),
        json!(status.updated_number_scheduled.unwrap_or(0)),
        json!(status.number_available.unwrap_or(0)),
        json!(if node_selector.is_empty() {
            "<none>".to_string()
        } else {
            node_selector
        }),
        json!(since(d.metadata.creation_timestamp.as_ref(), now)),
        json!(join(|c| c.name.clone())),
        json!(join(|c| c.image.clone().unwrap_or_default())),
        json!(format_selector(&spec.selector)),
    ]
}

/// apimachinery's `FormatLabelSelector`: requirements sorted by key, `<none>` when empty.
pub fn format_selector(selector: &LabelSelector) -> String {
    let mut reqs: Vec<(String, String)> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), format!("{k}={v}")))
        .collect();
    for e in selector.match_expressions.iter().flatten() {
        let mut values = e.values.clone().unwrap_or_default();
        values.sort();
        let text = match e.operator.as_str() {
            "In" => format!("{} in ({})", e.key, values.join(",")),
            "NotIn" => format!("{} notin ({})", e.key, values.join(",")),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            _ => return "<error>".into(),
        };
        reqs.push((e.key.clone(), text));
    }
    reqs.sort();
    if reqs.is_empty() {
        "<none>".into()
    } else {
        reqs.into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn namespace(n: &Namespace, now: Timestamp) -> Vec<Value> {
    let phase = n
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    vec![
        json!(name_of(&n.metadata)),
        json!(phase),
        json!(since(n.metadata.creation_timestamp.as_ref(), now)),
    ]
}

fn revision(r: &ControllerRevision, now: Timestamp) -> Vec<Value> {
    let controller = r
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map_or_else(
            || "<none>".to_string(),
            |o| {
                let group = o.api_version.split_once('/').map_or("", |(g, _)| g);
                let kind = if group.is_empty() {
                    o.kind.clone()
                } else {
                    format!("{}.{group}", o.kind)
                };
                format!("{}/{}", kind.to_lowercase(), o.name)
            },
        );
    vec![
        json!(name_of(&r.metadata)),
        json!(controller),
        json!(r.revision),
        json!(since(r.metadata.creation_timestamp.as_ref(), now)),
    ]
}

fn event(e: &Event, now: Timestamp) -> Vec<Value> {
    let first = match (&e.first_timestamp, &e.event_time) {
        (Some(t), _) => since(Some(t), now),
        (None, Some(micro)) => human_duration(now.as_second() - micro.0.as_second()),
        (None, None) => "<unknown>".into(),
    };
    let last = match &e.last_timestamp {
        Some(t) => since(Some(t), now),
        None => first.clone(),
    };
    let count = e.count.filter(|c| *c != 0).unwrap_or(1);
    let io = &e.involved_object;
    let kind = io.kind.clone().unwrap_or_default().to_lowercase();
    let target = match io.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("{kind}/{name}"),
        None => kind,
    };
    let source = e.source.as_ref().map_or_else(String::new, |s| {
        let component = s.component.clone().unwrap_or_default();
        match s.host.as_deref().filter(|h| !h.is_empty()) {
            Some(host) => format!("{component}, {host}"),
            None => component,
        }
    });
    vec![
        json!(last),
        json!(e.type_.clone().unwrap_or_default()),
        json!(e.reason.clone().unwrap_or_default()),
        json!(target),
        json!(io.field_path.clone().unwrap_or_default()),
        json!(source),
        json!(e.message.clone().unwrap_or_default().trim()),
        json!(first),
        json!(count),
        json!(name_of(&e.metadata)),
    ]
}

fn lease(l: &Lease, now: Timestamp) -> Vec<Value> {
    let holder = l
        .spec
        .as_ref()
        .and_then(|s| s.holder_identity.clone())
        .unwrap_or_default();
    vec![
        json!(name_of(&l.metadata)),
        json!(holder),
        json!(since(l.metadata.creation_timestamp.as_ref(), now)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_matches_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h2m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400), "3d");
        assert_eq!(human_duration(-5), "<invalid>");
    }
}
