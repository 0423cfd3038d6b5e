//! Kubernetes Events for what herd does to a DaemonSet, so `kubectl describe daemonset` and
//! `kubectl get events` tell a managed rollout's story beside the controller's own.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::PostParams;
use kube::{Api, Client};

use crate::problem::Problem;
use herd_core::engine::action::Action;

/// The component Events name as their source.
pub const COMPONENT: &str = "herd";

/// Posts one Event on the DaemonSet, in the core/v1 form every kubectl shows (no `eventTime`,
/// which would make the API server ask for the events.k8s.io fields too) (`uid` lets `kubectl describe` find it); the error, in the
/// server's words, when it could not.
pub async fn post(client: &Client, uid: &str, action: &Action) -> Result<(), String> {
    let now = Timestamp::now();
    let event = Event {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}.", action.daemon_set)),
            namespace: Some(action.namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("apps/v1".into()),
            kind: Some("DaemonSet".into()),
            name: Some(action.daemon_set.clone()),
            namespace: Some(action.namespace.clone()),
            uid: Some(uid.to_string()),
            ..ObjectReference::default()
        },
        reason: Some(action.reason.as_str().into()),
        message: Some(action.message.clone()),
        type_: Some(
            if action.reason.is_warning() {
                "Warning"
            } else {
                "Normal"
            }
            .into(),
        ),
        source: Some(EventSource {
            component: Some(COMPONENT.into()),
            host: None,
        }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        count: Some(1),
        ..Event::default()
    };
    let api: Api<Event> = Api::namespaced(client.clone(), &action.namespace);
    api.create(&PostParams::default(), &event)
        .await
        .map(drop)
        .map_err(|e| format!("event {}: {}", action.reason.as_str(), Problem::of_kube(&e)))
}
