//! Helpers shared by the simulator's integration tests: a world with a node, pods built from
//! JSON, and readers for the status fields the tests look at; and, for the API tests, a
//! simulator on a free port with clients, fixtures and watch/status checks (the submodules).
// Test support: a failed expectation here is the test failing, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

pub mod objects;
pub mod placement;
pub mod rollout;
pub mod server;
pub mod status;
pub mod tui;
pub mod watch;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use serde_json::json;

use herd_sim::World;
use herd_sim::scenario::Pool;

pub fn start() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().expect("timestamp")
}

pub fn world_with_node(name: &str) -> World {
    let mut world = World::new(7, start());
    world.add_node(Pool::General, name).expect("node");
    world.step(start());
    world
}

pub fn pod(name: &str, node: Option<&str>, image: &str, extra: serde_json::Value) -> Pod {
    let mut spec = json!({
        "containers": [{
            "name": "main",
            "image": image,
            "resources": { "requests": { "cpu": "100m", "memory": "64Mi" }, "limits": { "memory": "256Mi" } },
        }],
    });
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    if let (Some(s), serde_json::Value::Object(more)) = (spec.as_object_mut(), extra) {
        s.extend(more);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": "default" },
        "spec": spec,
    }))
    .expect("pod json")
}

pub fn create(world: &mut World, p: Pod) {
    let now = world.now();
    world.store.create(p, now).expect("create pod");
}

pub fn get(world: &World, name: &str) -> Option<Pod> {
    world
        .store
        .get::<Pod>("default", name)
        .map(|p| p.as_ref().clone())
}

pub fn node(world: &World, name: &str) -> Node {
    world
        .store
        .get::<Node>("", name)
        .expect("node exists")
        .as_ref()
        .clone()
}

pub fn phase(p: &Pod) -> String {
    p.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

pub fn condition(p: &Pod, kind: &str) -> Option<(String, Option<Timestamp>)> {
    let c = p
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == kind)?;
    Some((
        c.status.clone(),
        c.last_transition_time.as_ref().map(|t| t.0),
    ))
}

pub fn ready(p: &Pod) -> bool {
    condition(p, "Ready").is_some_and(|(s, _)| s == "True")
}

pub fn waiting_reason(p: &Pod) -> Option<String> {
    let cs = p.status.as_ref()?.container_statuses.as_ref()?.first()?;
    cs.state.as_ref()?.waiting.as_ref()?.reason.clone()
}

pub fn restarts(p: &Pod) -> i32 {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first())
        .map_or(0, |c| c.restart_count)
}

pub fn node_condition(n: &Node, kind: &str) -> Option<String> {
    n.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == kind)
        .map(|c| c.status.clone())
}

pub fn taints(n: &Node) -> Vec<String> {
    n.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .map(|ts| {
            ts.iter()
                .map(|t| format!("{}:{}", t.key, t.effect))
                .collect()
        })
        .unwrap_or_default()
}

pub fn events(world: &World, reason: &str) -> Vec<Event> {
    world
        .store
        .table::<Event>()
        .values()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .map(|e| e.as_ref().clone())
        .collect()
}

/// Advances in `tick` steps for `total`, calling `each` after every step.
pub fn run_for(world: &mut World, total: i64, tick_ms: i64, mut each: impl FnMut(&World)) {
    let end = world.now() + SignedDuration::from_secs(total);
    while world.now() < end {
        world.advance(SignedDuration::from_millis(tick_ms));
        each(world);
    }
}
