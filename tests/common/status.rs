//! Checks on error answers: the Kubernetes `Status` shape, and the whole world as the API
//! lists it (to show a refused request changed nothing).

use axum::http::Method;
use kube::Client;
use serde_json::{Value, json};

use super::objects::{namespace, node, seed};
use super::server::{Answer, TestSim, raw};

const LISTS: [&str; 7] = [
    "/api/v1/namespaces",
    "/api/v1/nodes",
    "/api/v1/pods",
    "/api/v1/events",
    "/apis/apps/v1/daemonsets",
    "/apis/apps/v1/controllerrevisions",
    "/apis/coordination.k8s.io/v1/leases",
];

/// Every stored object of every kind, as the API lists them.
pub async fn world_view(client: &Client) -> Vec<Value> {
    let mut view = Vec::new();
    for path in LISTS {
        let answer = raw(client, Method::GET, path, None, String::new()).await;
        assert_eq!(answer.code, 200, "{path}: {}", answer.text);
        view.push(answer.body["items"].clone());
    }
    view
}

pub fn assert_status(answer: &Answer, code: u16, reason: &str, message_part: &str) {
    assert_eq!(answer.code, code, "{}", answer.text);
    let s = &answer.body;
    assert_eq!(
        (s["kind"].as_str(), s["apiVersion"].as_str()),
        (Some("Status"), Some("v1")),
        "{}",
        answer.text
    );
    assert_eq!(s["status"], "Failure");
    assert_eq!(s["code"], code);
    assert_eq!(s["reason"], reason, "{}", answer.text);
    let message = s["message"].as_str().unwrap_or("");
    assert!(
        message.contains(message_part),
        "message {message:?} lacks {message_part:?}"
    );
}

pub async fn send(
    client: &Client,
    method: Method,
    path: &str,
    content_type: &str,
    body: &str,
) -> Answer {
    raw(client, method, path, Some(content_type), body.to_string()).await
}

/// A simulator with a node and an extra namespace, and an admin client that does not retry.
pub async fn setup() -> (TestSim, Client, Vec<Value>) {
    // The clock stands still, so only a request could change the world from here on.
    let sim = TestSim::start_with(|o| o.speed = 0.0).await;
    seed(&sim, node("n1", &[("pool", "general")]));
    seed(&sim, namespace("team-a"));
    {
        // Let the components react to the seeded objects now rather than mid-test.
        let mut world = sim.handle.world.lock();
        let now = world.now();
        world.step(now);
    }
    let client = sim.client_without_retry().await;
    let before = world_view(&client).await;
    (sim, client, before)
}

/// A DaemonSet's JSON body, with `metadata` and the template's `spec` fields added.
pub fn daemon_set_body(name: &str, metadata: Value, template_spec: Value) -> String {
    let mut ds = json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "agent:1"}]}
            }
        }
    });
    if let (Some(meta), Some(extra)) = (ds["metadata"].as_object_mut(), metadata.as_object()) {
        meta.extend(extra.clone());
    }
    if let (Some(spec), Some(extra)) = (
        ds["spec"]["template"]["spec"].as_object_mut(),
        template_spec.as_object(),
    ) {
        spec.extend(extra.clone());
    }
    ds.to_string()
}
