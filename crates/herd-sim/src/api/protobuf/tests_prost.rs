//! The transcoder held against an independent protobuf implementation: every object of the
//! demo cluster is written here, read by prost into k8s-pb's generated types, written again by
//! prost and read back here. prost drops fields it does not know and refuses a wrong wire type,
//! so coming back equal means every field went out under upstream's number and type.

use jiff::Timestamp;
use k8s_pb::api::apps::v1 as pb_apps;
use k8s_pb::api::coordination::v1 as pb_coordination;
use k8s_pb::api::core::v1 as pb_core;
use prost::Message as _;
use serde_json::{Value, json};

use super::*;
use crate::World;
use crate::kinds::Object;
use crate::scenario::{ScenarioOptions, build};

fn demo() -> World {
    build(&ScenarioOptions {
        name: "demo".into(),
        seed: 7,
        nodes: None,
        daemonsets: None,
        app_pods_per_node: 0,
        start: Timestamp::from_second(1_780_000_000).expect("time"),
    })
    .expect("demo builds")
}

fn values<K: Object>(world: &World) -> Vec<Value> {
    world
        .store
        .table::<K>()
        .values()
        .map(|o| serde_json::to_value(o.as_ref()).expect("json"))
        .collect()
}

/// Ours → prost → prost's bytes → ours, for every object of one kind.
fn round_trip<P: prost::Message + Default>(objects: &[Value]) -> Vec<P> {
    assert!(!objects.is_empty());
    objects
        .iter()
        .map(|object| {
            let ours = item_bytes(object).expect("encodes");
            let theirs = P::decode(ours.as_slice()).expect("prost reads what we wrote");
            let again = theirs.encode_to_vec();
            let kind = object["kind"].as_str().expect("kind");
            let api_version = object["apiVersion"].as_str().expect("apiVersion");
            let mut back =
                transcode::decode(message_for(api_version, kind).expect("known"), &again)
                    .expect("we read what prost wrote");
            back["kind"] = json!(kind);
            back["apiVersion"] = json!(api_version);
            assert_eq!(&back, object, "{kind} came back changed");
            theirs
        })
        .collect()
}

#[test]
fn every_demo_object_goes_through_prost_unchanged() {
    use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
    use k8s_openapi::api::coordination::v1::Lease;
    use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
    let world = demo();
    let pods: Vec<pb_core::Pod> = round_trip(&values::<Pod>(&world));
    let nodes: Vec<pb_core::Node> = round_trip(&values::<Node>(&world));
    let sets: Vec<pb_apps::DaemonSet> = round_trip(&values::<DaemonSet>(&world));
    round_trip::<pb_apps::ControllerRevision>(&values::<ControllerRevision>(&world));
    round_trip::<pb_core::Namespace>(&values::<Namespace>(&world));
    round_trip::<pb_core::Event>(&values::<Event>(&world));
    let _: Vec<pb_coordination::Lease> = values::<Lease>(&world)
        .is_empty()
        .then(Vec::new)
        .unwrap_or_else(|| round_trip(&values::<Lease>(&world)));

    // And prost read them as the same objects, field by field where a wrong number would show.
    let pod = &pods[0];
    let original: k8s_openapi::api::core::v1::Pod =
        serde_json::from_value(values::<Pod>(&world)[0].clone()).expect("typed");
    let spec = original.spec.as_ref().expect("spec");
    let pb_spec = pod.spec.as_ref().expect("spec");
    assert_eq!(
        pod.metadata.as_ref().and_then(|m| m.name.clone()),
        original.metadata.name
    );
    assert_eq!(pb_spec.node_name, spec.node_name);
    assert_eq!(pb_spec.containers[0].image, spec.containers[0].image);
    assert_eq!(
        pb_spec.tolerations.len(),
        spec.tolerations.as_ref().map_or(0, Vec::len)
    );
    let created = pod
        .metadata
        .as_ref()
        .and_then(|m| m.creation_timestamp.as_ref())
        .and_then(|t| t.seconds);
    assert_eq!(
        created,
        original
            .metadata
            .creation_timestamp
            .map(|t| t.0.as_second())
    );
    let gpu = nodes
        .iter()
        .find(|n| {
            n.spec.as_ref().is_some_and(|s| {
                s.taints
                    .iter()
                    .any(|t| t.key.as_deref().is_some_and(|k| k.contains("gpu")))
            })
        })
        .expect("the demo has GPU nodes with a taint");
    let capacity = &gpu.status.as_ref().expect("status").capacity;
    assert!(capacity.get("cpu").and_then(|q| q.string.clone()).is_some());
    let falco = sets
        .iter()
        .find(|d| d.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some("falco"))
        .expect("falco");
    let strategy = falco.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
    assert_eq!(
        strategy.and_then(|s| s.r#type.as_deref()),
        Some("RollingUpdate")
    );
}

#[test]
fn a_list_and_a_watch_event_are_what_prost_reads() {
    let world = demo();
    let pods = values::<k8s_openapi::api::core::v1::Pod>(&world);
    let items: Vec<Vec<u8>> = pods.iter().map(|p| item_bytes(p).expect("item")).collect();
    let list = list_bytes(
        "v1",
        "PodList",
        &json!({"resourceVersion": "42", "continue": "abc"}),
        &items,
    )
    .expect("list");
    let (api_version, kind, raw) = open_envelope(&list).expect("envelope");
    assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "PodList"));
    let decoded = pb_core::PodList::decode(raw).expect("prost reads the list");
    assert_eq!(decoded.items.len(), pods.len());
    let meta = decoded.metadata.expect("list meta");
    assert_eq!(meta.resource_version.as_deref(), Some("42"));
    assert_eq!(meta.r#continue.as_deref(), Some("abc"));

    let object = object_bytes(&pods[0]).expect("object");
    let frame = watch_frame("MODIFIED", &object);
    let (len, event) = frame.split_at(4);
    assert_eq!(
        u32::from_be_bytes(len.try_into().expect("four bytes")) as usize,
        event.len()
    );
    let event = k8s_pb::apimachinery::pkg::apis::meta::v1::WatchEvent::decode(event)
        .expect("prost reads the event");
    assert_eq!(event.r#type.as_deref(), Some("MODIFIED"));
    let raw = event.object.and_then(|o| o.raw).expect("the object");
    assert_eq!(envelope_to_json(&raw).expect("enveloped"), pods[0]);
}

#[test]
fn special_forms_read_as_upstream_writes_them_in_json() {
    use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
    // A DaemonSet's rolling update with maxUnavailable as a percentage and maxSurge a number.
    let ds = json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "a", "namespace": "ns", "labels": {"app": "a"},
            "creationTimestamp": "2026-12-04T10:00:00Z"},
        "spec": {
            "selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a"}},
                "spec": {"containers": [{"name": "c", "image": "i:1",
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    "securityContext": {"privileged": false}}],
                    "hostPID": true, "terminationGracePeriodSeconds": 0}},
            "updateStrategy": {"type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}}
        }
    });
    let bytes = item_bytes(&ds).expect("encodes");
    let typed = pb_apps::DaemonSet::decode(bytes.as_slice()).expect("prost");
    let rolling = typed
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.rolling_update.as_ref())
        .expect("rolling update");
    assert_eq!(
        rolling.max_unavailable,
        Some(IntOrString {
            r#type: Some(1),
            int_val: Some(0),
            str_val: Some("25%".into())
        })
    );
    assert_eq!(rolling.max_surge.as_ref().and_then(|m| m.int_val), Some(0));
    let pod_spec = typed
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .expect("pod spec");
    assert_eq!(pod_spec.host_pid, Some(true));
    // A zero that means something (no grace at all) survives both ways.
    assert_eq!(pod_spec.termination_grace_period_seconds, Some(0));
    let back = transcode::decode(
        message_for("apps/v1", "DaemonSet").expect("known"),
        &typed.encode_to_vec(),
    )
    .expect("reads");
    assert_eq!(
        back["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"],
        "25%"
    );
    assert_eq!(
        back["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"],
        0
    );
    assert_eq!(
        back["metadata"]["creationTimestamp"],
        "2026-12-04T10:00:00Z"
    );
    assert_eq!(
        back["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"],
        "64Mi"
    );
    assert_eq!(
        back["spec"]["template"]["spec"]["terminationGracePeriodSeconds"],
        0
    );
}

#[test]
fn an_inline_struct_and_a_micro_time_read_as_json_has_them() {
    // EnvFromSource's configMapRef embeds LocalObjectReference inline: `name` sits in it.
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "cm"}}]}]}
    });
    let bytes = item_bytes(&pod).expect("encodes");
    let typed = pb_core::Pod::decode(bytes.as_slice()).expect("prost");
    let cm = typed.spec.as_ref().expect("spec").containers[0].env_from[0]
        .config_map_ref
        .as_ref()
        .expect("ref");
    assert_eq!(
        cm.local_object_reference
            .as_ref()
            .and_then(|r| r.name.as_deref()),
        Some("cm")
    );
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "p"},
        "eventTime": "2026-12-04T10:00:00.123456Z",
        "count": 3
    });
    let bytes = item_bytes(&event).expect("encodes");
    let typed = pb_core::Event::decode(bytes.as_slice()).expect("prost");
    let at = typed.event_time.as_ref().expect("eventTime");
    assert_eq!(at.nanos, Some(123_456_000));
    let back =
        transcode::decode(message_for("v1", "Event").expect("known"), &bytes).expect("reads");
    assert_eq!(back["eventTime"], "2026-12-04T10:00:00.123456Z");
    assert_eq!(back["count"], 3);
}

#[test]
fn objects_embedded_without_end_are_refused_not_read_until_the_stack_runs_out() {
    // A ControllerRevision whose data is an enveloped ControllerRevision, and so on.
    let mut body = object_bytes(
        &json!({"apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {"name": "r"}, "revision": 1}),
    )
    .expect("encodes");
    for _ in 0..50 {
        let mut raw_extension = Vec::new();
        wire::put_len(&mut raw_extension, 1, &body);
        let mut revision = Vec::new();
        wire::put_len(&mut revision, 2, &raw_extension);
        body = envelope("apps/v1", "ControllerRevision", &revision);
    }
    assert_eq!(
        envelope_to_json(&body),
        Err(ProtobufError::Malformed("objects embedded too deep"))
    );
}
