//! The taints the node lifecycle controller keeps in step with a node's spec and conditions
//! (docs/SEMANTICS.md#cordoned-and-notready-nodes; upstream `doNoScheduleTaintingPass` in
//! kubernetes/pkg/controller/nodelifecycle/node_lifecycle_controller.go): cordon ->
//! unschedulable:NoSchedule; Ready=False -> not-ready:NoSchedule+NoExecute; Ready=Unknown ->
//! unreachable:NoSchedule+NoExecute; pressure and network conditions -> their NoSchedule taints.
//! Other taints are left alone.

use std::collections::BTreeSet;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
const MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
const DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
const PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
const NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";

/// The status of one node condition ("True", "False", "Unknown"), if the node reports it.
pub fn condition<'a>(node: &'a Node, kind: &str) -> Option<&'a str> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == kind)
        .map(|c| c.status.as_str())
}

fn wanted(node: &Node) -> Vec<(&'static str, &'static str)> {
    let mut wanted = Vec::new();
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        wanted.push((UNSCHEDULABLE, "NoSchedule"));
    }
    match condition(node, "Ready") {
        Some("False") => wanted.extend([(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")]),
        Some("Unknown") => wanted.extend([(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")]),
        _ => {}
    }
    for (kind, key) in [
        ("MemoryPressure", MEMORY_PRESSURE),
        ("DiskPressure", DISK_PRESSURE),
        ("PIDPressure", PID_PRESSURE),
        ("NetworkUnavailable", NETWORK_UNAVAILABLE),
    ] {
        if condition(node, kind) == Some("True") {
            wanted.push((key, "NoSchedule"));
        }
    }
    wanted
}

/// Taints (key, effect) this controller put on one node.
pub type Owned = BTreeSet<(&'static str, &'static str)>;

/// The node's taints with the managed ones brought up to date, and the taints the controller
/// now owns there; `None` if nothing changes. Kept taints keep their timeAdded; new NoExecute
/// taints get `now`, as upstream stamps them. Unlike upstream, a managed taint someone else
/// put there is left alone, so tests and users can plant condition taints with kubectl.
pub fn desired(node: &Node, now: Timestamp, owned: &Owned) -> Option<(Vec<Taint>, Owned)> {
    let current: Vec<Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let wanted = wanted(node);
    let is_wanted = |t: &Taint| wanted.iter().any(|(k, e)| t.key == *k && t.effect == *e);
    let is_owned = |t: &Taint| owned.iter().any(|(k, e)| t.key == *k && t.effect == *e);
    let mut next: Vec<Taint> = current
        .iter()
        .filter(|t| is_wanted(t) || !is_owned(t))
        .cloned()
        .collect();
    let mut now_owned: Owned = owned
        .iter()
        .filter(|(k, e)| wanted.contains(&(*k, *e)))
        .copied()
        .collect();
    for (key, effect) in &wanted {
        if !next.iter().any(|t| t.key == *key && t.effect == *effect) {
            next.push(Taint {
                key: key.to_string(),
                effect: effect.to_string(),
                value: None,
                time_added: (*effect == "NoExecute").then_some(Time(now)),
            });
            now_owned.insert((key, effect));
        }
    }
    (next != current || now_owned != *owned).then_some((next, now_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeCondition, NodeSpec, NodeStatus};

    fn node(unschedulable: bool, ready: &str, taints: Vec<Taint>) -> Node {
        Node {
            spec: Some(NodeSpec {
                unschedulable: Some(unschedulable),
                taints: Some(taints),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: ready.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn keys(taints: &[Taint]) -> Vec<String> {
        taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect()
    }

    #[test]
    fn conditions_and_cordon_map_to_taints_and_user_taints_stay() {
        let user = Taint {
            key: "dedicated".into(),
            value: Some("db".into()),
            effect: "NoSchedule".into(),
            time_added: None,
        };
        let now = Timestamp::UNIX_EPOCH;
        let n = node(true, "Unknown", vec![user.clone()]);
        let (t, owned) = desired(&n, now, &Owned::new()).expect("changes");
        assert_eq!(
            keys(&t),
            [
                "dedicated:NoSchedule",
                "node.kubernetes.io/unschedulable:NoSchedule",
                "node.kubernetes.io/unreachable:NoSchedule",
                "node.kubernetes.io/unreachable:NoExecute"
            ]
        );
        let healed = node(false, "True", t);
        let (t, owned) = desired(&healed, now, &owned).expect("changes");
        assert_eq!(keys(&t), ["dedicated:NoSchedule"]);
        assert!(owned.is_empty());
        assert!(desired(&node(false, "True", vec![user]), now, &owned).is_none());
    }

    #[test]
    fn condition_taints_planted_by_hand_stay() {
        let planted = Taint {
            key: NOT_READY.into(),
            value: None,
            effect: "NoExecute".into(),
            time_added: None,
        };
        let n = node(false, "True", vec![planted]);
        assert!(desired(&n, Timestamp::UNIX_EPOCH, &Owned::new()).is_none());
    }
}
