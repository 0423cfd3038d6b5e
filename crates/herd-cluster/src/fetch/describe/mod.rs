//! `d`: a pod, node or DaemonSet described as `kubectl describe` does (its layout in
//! k8s.io/kubectl/pkg/describe/describe.go): who and where, labels, the container states with
//! the last termination's reason and exit code, conditions, tolerations or taints, and the
//! object's events as a table with ages counted from `now`. The formatting is pure
//! ([`pod`], [`node`], [`daemon_set`]); [`describe`] reads the object and its events.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::{Api, Client};

use herd_core::analysis::units::age;

/// Reads `kind` `namespace/name` and its events, and describes it.
pub async fn describe(
    client: &Client,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    now: Timestamp,
) -> Result<Vec<String>, String> {
    let events = super::events_about(client, kind, namespace, name).await?;
    let failed = |e: kube::Error| crate::problem::Problem::of_kube(&e).to_string();
    match (kind, namespace) {
        ("Pod", Some(ns)) => {
            let p = Api::<api::Pod>::namespaced(client.clone(), ns)
                .get(name)
                .await
                .map_err(failed)?;
            Ok(pod(&p, &events, now))
        }
        ("DaemonSet", Some(ns)) => {
            let d = Api::<apps::DaemonSet>::namespaced(client.clone(), ns)
                .get(name)
                .await
                .map_err(failed)?;
            Ok(daemon_set(&d, &events, now))
        }
        ("Node", _) => {
            let n = Api::<api::Node>::all(client.clone())
                .get(name)
                .await
                .map_err(failed)?;
            Ok(node(&n, &events, now))
        }
        _ => Err(format!("cannot describe a {kind}")),
    }
}

/// Lines in kubectl's two columns: the label padded to `width`, then the value.
struct Out {
    lines: Vec<String>,
}

impl Out {
    fn new() -> Self {
        Out { lines: Vec::new() }
    }

    fn field(&mut self, indent: usize, label: &str, value: impl AsRef<str>) {
        let pad = " ".repeat(indent);
        let label = format!("{label}:");
        // At least one space after the label, as kubectl's tab writer leaves.
        let width = 18usize.saturating_sub(indent).max(label.len() + 1);
        self.lines
            .push(format!("{pad}{label:<width$}{}", value.as_ref()));
    }

    /// A label followed by one value per line, lined up (`<none>` when there is none).
    fn list(&mut self, indent: usize, label: &str, values: Vec<String>) {
        let mut values = values.into_iter();
        self.field(
            indent,
            label,
            values.next().unwrap_or_else(|| "<none>".into()),
        );
        for v in values {
            self.lines.push(format!("{}{v}", " ".repeat(18)));
        }
    }

    fn line(&mut self, text: impl Into<String>) {
        self.lines.push(text.into());
    }
}

fn pairs(map: Option<&BTreeMap<String, String>>) -> Vec<String> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

fn when(t: Option<&Time>) -> String {
    t.map_or_else(
        || "<unknown>".into(),
        |t| t.0.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string(),
    )
}

fn head(out: &mut Out, meta: &ObjectMeta, namespaced: bool) {
    out.field(0, "Name", meta.name.as_deref().unwrap_or(""));
    if namespaced {
        out.field(0, "Namespace", meta.namespace.as_deref().unwrap_or(""));
    }
    out.list(0, "Labels", pairs(meta.labels.as_ref()));
    let annotations = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with("kubectl.kubernetes.io/last-applied"))
        .map(|(k, v)| {
            // A long value (a herd record) is cut, as a person reads the rest with `y`.
            let v: String = if v.chars().count() > 80 {
                format!("{}…", v.chars().take(79).collect::<String>())
            } else {
                v.clone()
            };
            format!("{k}: {v}")
        })
        .collect();
    out.list(0, "Annotations", annotations);
}

fn tolerations(list: Option<&Vec<api::Toleration>>) -> Vec<String> {
    list.into_iter()
        .flatten()
        .map(|t| {
            let mut s = t.key.clone().unwrap_or_default();
            if let Some(v) = t.value.as_deref().filter(|v| !v.is_empty()) {
                s.push_str(&format!("={v}"));
            }
            if let Some(e) = t.effect.as_deref().filter(|e| !e.is_empty()) {
                s.push_str(&format!(":{e}"));
            }
            if t.operator.as_deref() == Some("Exists") {
                s.push_str(" op=Exists");
            }
            if let Some(secs) = t.toleration_seconds {
                s.push_str(&format!(" for {secs}s"));
            }
            s
        })
        .collect()
}

/// The Events table, newest last as kubectl prints it: type, reason, age (`3m`, or
/// `3m (x4 over 12m)`), source, message.
fn events(out: &mut Out, list: &[api::Event], now: Timestamp) {
    if list.is_empty() {
        out.field(0, "Events", "<none>");
        return;
    }
    out.line("Events:");
    let mut rows: Vec<(Option<Timestamp>, [String; 5])> = list
        .iter()
        .map(|e| {
            let last = e
                .last_timestamp
                .as_ref()
                .or(e.first_timestamp.as_ref())
                .map(|t| t.0)
                .or_else(|| e.event_time.as_ref().map(|t| t.0));
            let first = e.first_timestamp.as_ref().map(|t| t.0);
            let ago = |t: Timestamp| age(now.duration_since(t));
            let count = e.count.unwrap_or(1);
            let shown = match (last, first) {
                (Some(l), Some(f)) if count > 1 => format!("{} (x{count} over {})", ago(l), ago(f)),
                (Some(l), _) => ago(l),
                _ => "<unknown>".into(),
            };
            let from = e
                .source
                .as_ref()
                .and_then(|s| s.component.clone())
                .or_else(|| e.reporting_component.clone())
                .unwrap_or_default();
            (
                last,
                [
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    shown,
                    from,
                    e.message.clone().unwrap_or_default(),
                ],
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let header = ["Type", "Reason", "Age", "From", "Message"].map(String::from);
    let under = ["----", "------", "----", "----", "-------"].map(String::from);
    let all: Vec<&[String; 5]> = [&header, &under]
        .into_iter()
        .chain(rows.iter().map(|r| &r.1))
        .collect();
    let width = |i: usize| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    for r in all {
        out.line(format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        ));
    }
}

fn container_state(out: &mut Out, label: &str, state: Option<&api::ContainerState>) {
    let Some(state) = state else {
        return;
    };
    if let Some(r) = &state.running {
        out.field(4, label, "Running");
        out.field(6, "Started", when(r.started_at.as_ref()));
    } else if let Some(w) = &state.waiting {
        out.field(4, label, "Waiting");
        out.field(6, "Reason", w.reason.as_deref().unwrap_or(""));
    } else if let Some(t) = &state.terminated {
        out.field(4, label, "Terminated");
        out.field(6, "Reason", t.reason.as_deref().unwrap_or(""));
        out.field(6, "Exit Code", t.exit_code.to_string());
        out.field(6, "Started", when(t.started_at.as_ref()));
        out.field(6, "Finished", when(t.finished_at.as_ref()));
    }
}

fn quantities(
    map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
) -> Vec<String> {
    map.into_iter()
        .flatten()
        .map(|(k, q)| format!("{k}: {}", q.0))
        .collect()
}

/// `kubectl describe pod`.
pub fn pod(p: &api::Pod, list: &[api::Event], now: Timestamp) -> Vec<String> {
    let mut out = Out::new();
    let spec = p.spec.clone().unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    out.field(0, "Name", p.metadata.name.as_deref().unwrap_or(""));
    out.field(
        0,
        "Namespace",
        p.metadata.namespace.as_deref().unwrap_or(""),
    );
    let node = match (&spec.node_name, &status.host_ip) {
        (Some(n), Some(ip)) => format!("{n}/{ip}"),
        (Some(n), None) => n.clone(),
        _ => "<none>".into(),
    };
    out.field(0, "Node", node);
    out.field(0, "Start Time", when(status.start_time.as_ref()));
    out.list(0, "Labels", pairs(p.metadata.labels.as_ref()));
    let status_word = if p.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.clone().unwrap_or_default()
    };
    out.field(0, "Status", status_word);
    if let Some(reason) = &status.reason {
        out.field(0, "Reason", reason);
    }
    if let Some(message) = &status.message {
        out.field(0, "Message", message);
    }
    out.field(0, "IP", status.pod_ip.as_deref().unwrap_or(""));
    if let Some(owner) = p
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
    {
        out.field(0, "Controlled By", format!("{}/{}", owner.kind, owner.name));
    }
    out.line("Containers:");
    for c in &spec.containers {
        out.line(format!("  {}:", c.name));
        let cs = status
            .container_statuses
            .iter()
            .flatten()
            .find(|s| s.name == c.name);
        if let Some(id) = cs.and_then(|s| s.container_id.as_deref()) {
            out.field(4, "Container ID", id);
        }
        out.field(4, "Image", c.image.as_deref().unwrap_or(""));
        container_state(&mut out, "State", cs.and_then(|s| s.state.as_ref()));
        container_state(
            &mut out,
            "Last State",
            cs.and_then(|s| s.last_state.as_ref()),
        );
        out.field(
            4,
            "Ready",
            if cs.is_some_and(|s| s.ready) {
                "True"
            } else {
                "False"
            },
        );
        out.field(
            4,
            "Restart Count",
            cs.map_or(0, |s| s.restart_count).to_string(),
        );
        let resources = c.resources.clone().unwrap_or_default();
        let limits = quantities(resources.limits.as_ref());
        if !limits.is_empty() {
            out.line("    Limits:");
            for l in limits {
                out.line(format!("      {l}"));
            }
        }
        let requests = quantities(resources.requests.as_ref());
        if !requests.is_empty() {
            out.line("    Requests:");
            for r in requests {
                out.line(format!("      {r}"));
            }
        }
    }
    out.line("Conditions:");
    out.line(format!("  {:<28}{}", "Type", "Status"));
    for c in status.conditions.iter().flatten() {
        out.line(format!("  {:<28}{}", c.type_, c.status));
    }
    out.field(0, "QoS Class", status.qos_class.as_deref().unwrap_or(""));
    out.list(0, "Node-Selectors", pairs(spec.node_selector.as_ref()));
    out.list(0, "Tolerations", tolerations(spec.tolerations.as_ref()));
    events(&mut out, list, now);
    out.lines
}

/// `kubectl describe node`.
pub fn node(n: &api::Node, list: &[api::Event], now: Timestamp) -> Vec<String> {
    let mut out = Out::new();
    head(&mut out, &n.metadata, false);
    out.field(
        0,
        "CreationTimestamp",
        when(n.metadata.creation_timestamp.as_ref()),
    );
    let spec = n.spec.clone().unwrap_or_default();
    let taints: Vec<String> = spec
        .taints
        .iter()
        .flatten()
        .map(|t| match t.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}={v}:{}", t.key, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        })
        .collect();
    out.list(0, "Taints", taints);
    out.field(
        0,
        "Unschedulable",
        if spec.unschedulable == Some(true) {
            "true"
        } else {
            "false"
        },
    );
    let status = n.status.clone().unwrap_or_default();
    out.line("Conditions:");
    out.line(format!(
        "  {:<22}{:<8}{:<28}{}",
        "Type", "Status", "Reason", "Message"
    ));
    for c in status.conditions.iter().flatten() {
        out.line(format!(
            "  {:<22}{:<8}{:<28}{}",
            c.type_,
            c.status,
            c.reason.as_deref().unwrap_or(""),
            c.message.as_deref().unwrap_or("")
        ));
    }
    out.line("Capacity:");
    for q in quantities(status.capacity.as_ref()) {
        out.line(format!("  {q}"));
    }
    out.line("Allocatable:");
    for q in quantities(status.allocatable.as_ref()) {
        out.line(format!("  {q}"));
    }
    if let Some(info) = &status.node_info {
        out.line("System Info:");
        out.field(2, "Kernel Version", &info.kernel_version);
        out.field(2, "OS Image", &info.os_image);
        out.field(
            2,
            "Container Runtime Version",
            &info.container_runtime_version,
        );
        out.field(2, "Kubelet Version", &info.kubelet_version);
    }
    events(&mut out, list, now);
    out.lines
}

/// `kubectl describe daemonset`.
pub fn daemon_set(d: &apps::DaemonSet, list: &[api::Event], now: Timestamp) -> Vec<String> {
    let mut out = Out::new();
    head(&mut out, &d.metadata, true);
    let selector: Vec<String> = pairs(d.spec.selector.match_labels.as_ref());
    out.field(0, "Selector", selector.join(","));
    let template = d.spec.template.spec.clone().unwrap_or_default();
    out.list(0, "Node-Selector", pairs(template.node_selector.as_ref()));
    let status = d.status.clone().unwrap_or_default();
    out.field(
        0,
        "Desired Number of Nodes Scheduled",
        status.desired_number_scheduled.to_string(),
    );
    out.field(
        0,
        "Current Number of Nodes Scheduled",
        status.current_number_scheduled.to_string(),
    );
    out.field(
        0,
        "Number of Nodes Scheduled with Up-to-date Pods",
        status.updated_number_scheduled.unwrap_or(0).to_string(),
    );
    out.field(
        0,
        "Number of Nodes Scheduled with Available Pods",
        status.number_available.unwrap_or(0).to_string(),
    );
    out.field(
        0,
        "Number of Nodes Misscheduled",
        status.number_misscheduled.to_string(),
    );
    let strategy = d.spec.update_strategy.clone().unwrap_or_default();
    out.field(0, "Update Strategy", strategy.type_.unwrap_or_default());
    out.line("Pod Template:");
    out.list(
        2,
        "Labels",
        pairs(
            d.spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref()),
        ),
    );
    out.line("  Containers:");
    for c in &template.containers {
        out.line(format!("   {}:", c.name));
        out.field(4, "Image", c.image.as_deref().unwrap_or(""));
    }
    out.list(2, "Tolerations", tolerations(template.tolerations.as_ref()));
    events(&mut out, list, now);
    out.lines
}

#[cfg(test)]
mod tests;
