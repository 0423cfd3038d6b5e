//! Facts the controller reads off one daemon pod: Ready, Available, updated, target node, and
//! the oldest-first order (docs/SEMANTICS.md#terms; upstream `IsPodAvailable` in
//! kubernetes/pkg/api/v1/pod/util.go, `IsPodUpdated` and `GetTargetNodeName` in
//! kubernetes/pkg/controller/daemon/util/daemonset_util.go, `podByCreationTimestampAndPhase` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go).

use std::cmp::Ordering;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;

/// Pod label carrying the hash of the revision the pod was created from.
pub const HASH_LABEL: &str = "controller-revision-hash";
/// Pod label carrying the DaemonSet template generation the pod was created from.
pub const GENERATION_LABEL: &str = "pod-template-generation";
/// DaemonSet annotation through which apps/v1 exposes the template generation.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";

/// `t + d`, pinned to the end of time on overflow.
pub fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(Timestamp::MAX)
}

pub fn is_deleting(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

pub fn is_failed(pod: &Pod) -> bool {
    phase(pod) == "Failed"
}

pub fn is_succeeded(pod: &Pod) -> bool {
    phase(pod) == "Succeeded"
}

pub fn is_terminal(pod: &Pod) -> bool {
    is_failed(pod) || is_succeeded(pod)
}

/// `spec.nodeName`, empty when unbound.
pub fn node_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
}

pub fn label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

/// The Ready condition's transition time when the pod is Ready, `Some(None)` when Ready with no
/// transition time, `None` when not Ready.
fn ready_since(pod: &Pod) -> Option<Option<Timestamp>> {
    let cond = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    (cond.status == "True").then(|| cond.last_transition_time.as_ref().map(|t| t.0))
}

pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// Ready for longer than `min_ready_seconds` (strictly), as `IsPodAvailable` says; a missing
/// transition time never qualifies unless `min_ready_seconds` is 0.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(None) => false,
        Some(Some(since)) => {
            plus(
                since,
                SignedDuration::from_secs(i64::from(min_ready_seconds)),
            ) < now
        }
    }
}

/// When a Ready pod that is not yet Available becomes Available (the first whole second after
/// its threshold); `None` if it is not Ready, already Available, or never will be.
pub fn available_at(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> Option<Timestamp> {
    if min_ready_seconds <= 0 {
        return None;
    }
    let since = ready_since(pod)??;
    let at = plus(
        since,
        SignedDuration::from_secs(i64::from(min_ready_seconds) + 1),
    );
    (!is_available(pod, min_ready_seconds, now)).then_some(at)
}

/// Whether the pod was made from the current template: its hash label equals `hash`, or its
/// generation label equals the template generation.
pub fn is_updated(pod: &Pod, hash: &str, template_generation: Option<i64>) -> bool {
    let hash_matches = !hash.is_empty() && label(pod, HASH_LABEL) == Some(hash);
    let generation_matches = template_generation
        .is_some_and(|g| label(pod, GENERATION_LABEL) == Some(g.to_string().as_str()));
    hash_matches || generation_matches
}

/// The node a daemon pod is meant for: `spec.nodeName`, else the single value of a required
/// node-affinity `matchFields` term `metadata.name In [x]`.
pub fn target_node(pod: &Pod) -> Option<&str> {
    let name = node_name(pod);
    if !name.is_empty() {
        return Some(name);
    }
    herd_convert::convert::affinity_target_node(pod.spec.as_ref()?)
}

/// Oldest-first: bound pods before unbound ones, then earlier creation, then smaller name.
pub fn oldest_first(a: &Pod, b: &Pod) -> Ordering {
    let unbound = |p: &Pod| node_name(p).is_empty();
    unbound(a)
        .cmp(&unbound(b))
        .then_with(|| {
            let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
            created(a).cmp(&created(b))
        })
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("pod json")
    }

    fn ready_pod(since: &str) -> Pod {
        pod(json!({"metadata": {"name": "p"}, "status": {"conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": since}]}}))
    }

    #[test]
    fn available_needs_strictly_more_than_min_ready_seconds() {
        let p = ready_pod("2024-01-01T00:00:00Z");
        let at = |s: &str| s.parse::<Timestamp>().expect("ts");
        assert!(is_available(&p, 0, at("2024-01-01T00:00:00Z")));
        assert!(!is_available(&p, 10, at("2024-01-01T00:00:10Z")));
        assert!(is_available(&p, 10, at("2024-01-01T00:00:10.001Z")));
        assert_eq!(
            available_at(&p, 10, at("2024-01-01T00:00:05Z")),
            Some(at("2024-01-01T00:00:11Z"))
        );
        let not_ready =
            pod(json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}));
        assert!(!is_available(&not_ready, 0, at("2024-01-01T00:00:10Z")));
    }

    #[test]
    fn ready_without_transition_time_is_available_only_without_min_ready() {
        let p = pod(json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}));
        let now = Timestamp::UNIX_EPOCH;
        assert!(is_available(&p, 0, now));
        assert!(!is_available(&p, 5, now));
    }

    #[test]
    fn target_node_prefers_node_name_then_match_fields() {
        let bound = pod(json!({"spec": {"containers": [], "nodeName": "n1"}}));
        assert_eq!(target_node(&bound), Some("n1"));
        let pending = pod(
            json!({"spec": {"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}}}}),
        );
        assert_eq!(target_node(&pending), Some("n2"));
        let neither = pod(json!({"spec": {"containers": []}}));
        assert_eq!(target_node(&neither), None);
    }

    #[test]
    fn oldest_first_orders_bound_then_age_then_name() {
        let mk = |name: &str, node: Option<&str>, ts: &str| {
            pod(json!({"metadata": {"name": name, "creationTimestamp": ts},
                "spec": {"containers": [], "nodeName": node}}))
        };
        let mut pods = [
            mk("c", None, "2024-01-01T00:00:00Z"),
            mk("b", Some("n"), "2024-01-01T00:00:05Z"),
            mk("a", Some("n"), "2024-01-01T00:00:05Z"),
            mk("d", Some("n"), "2024-01-01T00:00:01Z"),
        ];
        pods.sort_by(oldest_first);
        let names: Vec<_> = pods
            .iter()
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        assert_eq!(names, ["d", "a", "b", "c"]);
    }

    #[test]
    fn updated_by_hash_or_generation() {
        let p = pod(json!({"metadata": {"labels": {HASH_LABEL: "h1", GENERATION_LABEL: "2"}}}));
        assert!(is_updated(&p, "h1", Some(5)));
        assert!(is_updated(&p, "h9", Some(2)));
        assert!(!is_updated(&p, "h9", Some(3)));
        assert!(!is_updated(&p, "", None));
    }
}
