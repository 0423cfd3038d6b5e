//! Checks on error answers: the Kubernetes `Status` shape, and the whole world as the API
//! lists it (to show a refused request changed nothing).

use axum::http::Method;
use kube::Client;
use serde_json::Value;

use super::server::{Answer, raw};

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
