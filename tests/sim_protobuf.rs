//! The simulator speaks `application/vnd.kubernetes.protobuf` as a real API server does for
//! built-in kinds, over HTTP. Bodies are written with prost and k8s-pb's generated types (an
//! encoder that is not the simulator's) and answers read with them; kubectl, whose typed
//! clients send and accept protobuf, reads what the simulator writes.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, Request};
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use kube::Client;
use prost::Message;
use serde_json::Value;

use common::server::{TestSim, raw, require_kubectl, stdout, succeeded};
use common::status::{assert_status, setup, world_view};

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
/// client-go's Accept for built-in kinds.
const CLIENT_GO_ACCEPT: &str = "application/vnd.kubernetes.protobuf, */*";

struct Reply {
    code: u16,
    content_type: String,
    bytes: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// The envelope's type and the raw message it holds, as prost reads them.
    fn unknown(&self) -> Unknown {
        assert_eq!(
            self.content_type,
            PROTOBUF,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        let body = self
            .bytes
            .strip_prefix(b"k8s\0")
            .expect("the envelope's magic");
        Unknown::decode(body).expect("prost reads the envelope")
    }
}

async fn request(
    c: &Client,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    if let Some(a) = accept {
        request = request.header("accept", a);
    }
    let request = request
        .body(kube::client::Body::from(body))
        .expect("request");
    let response = c.send(request).await.expect("response");
    let code = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = response
        .into_body()
        .collect_bytes()
        .await
        .expect("body")
        .to_vec();
    Reply {
        code,
        content_type,
        bytes,
    }
}

/// `message` in upstream's envelope, as client-go sends a typed body.
fn enveloped(api_version: &str, kind: &str, message: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(message.encode_to_vec()),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    [b"k8s\0".to_vec(), unknown.encode_to_vec()].concat()
}

fn object_meta(name: &str, namespace: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        labels: [("app".to_string(), name.to_string())].into(),
        ..Default::default()
    }
}

async fn get_json(c: &Client, path: &str) -> Value {
    let answer = raw(c, Method::GET, path, None, String::new()).await;
    assert_eq!(answer.code, 200, "{path}: {}", answer.text);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_go_accept_gets_protobuf_that_prost_reads() {
    let (_sim, c, _) = setup().await;
    let list = request(
        &c,
        Method::GET,
        "/api/v1/namespaces",
        None,
        Some(CLIENT_GO_ACCEPT),
        vec![],
    )
    .await;
    assert_eq!(list.code, 200);
    let unknown = list.unknown();
    let type_meta = unknown.type_meta.expect("type");
    assert_eq!(type_meta.api_version.as_deref(), Some("v1"));
    assert_eq!(type_meta.kind.as_deref(), Some("NamespaceList"));
    let namespaces =
        core::NamespaceList::decode(unknown.raw.expect("raw").as_slice()).expect("a list");
    let mut names: Vec<String> = namespaces
        .items
        .iter()
        .filter_map(|n| n.metadata.as_ref()?.name.clone())
        .collect();
    names.sort();
    let json = get_json(&c, "/api/v1/namespaces").await;
    let mut want: Vec<String> = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["metadata"]["name"].as_str().expect("name").to_string())
        .collect();
    want.sort();
    assert_eq!(names, want);
    assert_eq!(
        namespaces.metadata.and_then(|m| m.resource_version),
        json["metadata"]["resourceVersion"]
            .as_str()
            .map(String::from)
    );

    // One object, and the node a get answers, with its capacity as quantities.
    let node = request(
        &c,
        Method::GET,
        "/api/v1/nodes/n1",
        None,
        Some(PROTOBUF),
        vec![],
    )
    .await;
    let node = core::Node::decode(node.unknown().raw.expect("raw").as_slice()).expect("a node");
    assert_eq!(node.metadata.and_then(|m| m.name).as_deref(), Some("n1"));

    // JSON first, JSON it is; a type the simulator does not write at all is upstream's 406.
    let json_first = request(
        &c,
        Method::GET,
        "/api/v1/namespaces",
        None,
        Some("application/json, application/vnd.kubernetes.protobuf"),
        vec![],
    )
    .await;
    assert_eq!(json_first.content_type, "application/json");
    let cbor = request(
        &c,
        Method::GET,
        "/api/v1/namespaces",
        None,
        Some("application/cbor"),
        vec![],
    )
    .await;
    assert_eq!(cbor.code, 406);
    assert!(
        cbor.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("application/json, application/vnd.kubernetes.protobuf")),
        "{}",
        String::from_utf8_lossy(&cbor.bytes)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_prost_writes_are_read_for_every_kind_a_controller_creates() {
    let (_sim, c, _) = setup().await;
    // A DaemonSet with what a real one carries: a percentage, a toleration, a request.
    let container = core::Container {
        name: Some("agent".into()),
        image: Some("agent:1.2".into()),
        resources: Some(core::ResourceRequirements {
            requests: [(
                "memory".to_string(),
                k8s_pb::apimachinery::pkg::api::resource::Quantity {
                    string: Some("64Mi".into()),
                },
            )]
            .into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let labels: std::collections::BTreeMap<String, String> =
        [("app".to_string(), "agent".to_string())].into();
    let ds = apps::DaemonSet {
        metadata: Some(object_meta("agent", "team-a")),
        spec: Some(apps::DaemonSetSpec {
            selector: Some(meta::LabelSelector {
                match_labels: labels.clone(),
                ..Default::default()
            }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    labels,
                    ..Default::default()
                }),
                spec: Some(core::PodSpec {
                    containers: vec![container],
                    tolerations: vec![core::Toleration {
                        operator: Some("Exists".into()),
                        effect: Some("NoSchedule".into()),
                        ..Default::default()
                    }],
                    node_selector: [("pool".to_string(), "general".to_string())].into(),
                    ..Default::default()
                }),
            }),
            update_strategy: Some(apps::DaemonSetUpdateStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDaemonSet {
                    max_unavailable: Some(IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: Some("25%".into()),
                    }),
                    max_surge: None,
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let created = request(
        &c,
        Method::POST,
        "/apis/apps/v1/namespaces/team-a/daemonsets",
        Some(PROTOBUF),
        Some(CLIENT_GO_ACCEPT),
        enveloped("apps/v1", "DaemonSet", &ds),
    )
    .await;
    assert_eq!(
        created.code,
        201,
        "{}",
        String::from_utf8_lossy(&created.bytes)
    );
    // The answer is the stored object, in protobuf, with what the server added.
    let stored = apps::DaemonSet::decode(created.unknown().raw.expect("raw").as_slice())
        .expect("a DaemonSet");
    assert!(
        stored
            .metadata
            .as_ref()
            .and_then(|m| m.uid.as_ref())
            .is_some()
    );
    let json = get_json(&c, "/apis/apps/v1/namespaces/team-a/daemonsets/agent").await;
    let spec = &json["spec"]["template"]["spec"];
    assert_eq!(spec["containers"][0]["image"], "agent:1.2");
    assert_eq!(
        spec["containers"][0]["resources"]["requests"]["memory"],
        "64Mi"
    );
    assert_eq!(spec["tolerations"][0]["operator"], "Exists");
    assert_eq!(spec["nodeSelector"]["pool"], "general");
    assert_eq!(
        json["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"],
        "25%"
    );
    // Defaulted as a JSON body is: the history limit.
    assert_eq!(json["spec"]["revisionHistoryLimit"], 10);

    // A Lease and an Event, as a controller's leader election and recorder write them.
    let lease = coordination::Lease {
        metadata: Some(object_meta("leader", "team-a")),
        spec: Some(coordination::LeaseSpec {
            holder_identity: Some("controller-0".into()),
            lease_duration_seconds: Some(15),
            renew_time: Some(meta::MicroTime {
                seconds: Some(1_780_000_000),
                nanos: Some(5_000),
            }),
            ..Default::default()
        }),
    };
    let reply = request(
        &c,
        Method::POST,
        "/apis/coordination.k8s.io/v1/namespaces/team-a/leases",
        Some(PROTOBUF),
        None,
        enveloped("coordination.k8s.io/v1", "Lease", &lease),
    )
    .await;
    assert_eq!(reply.code, 201, "{}", String::from_utf8_lossy(&reply.bytes));
    let json = get_json(
        &c,
        "/apis/coordination.k8s.io/v1/namespaces/team-a/leases/leader",
    )
    .await;
    assert_eq!(json["spec"]["holderIdentity"], "controller-0");
    assert_eq!(json["spec"]["leaseDurationSeconds"], 15);
    assert_eq!(json["spec"]["renewTime"], "2026-05-28T20:26:40.000005Z");

    let event = core::Event {
        metadata: Some(object_meta("agent.1", "team-a")),
        involved_object: Some(core::ObjectReference {
            kind: Some("DaemonSet".into()),
            namespace: Some("team-a".into()),
            name: Some("agent".into()),
            ..Default::default()
        }),
        reason: Some("SuccessfulCreate".into()),
        message: Some("Created pod: agent-x".into()),
        r#type: Some("Normal".into()),
        count: Some(1),
        ..Default::default()
    };
    let reply = request(
        &c,
        Method::POST,
        "/api/v1/namespaces/team-a/events",
        Some(PROTOBUF),
        None,
        enveloped("v1", "Event", &event),
    )
    .await;
    assert_eq!(reply.code, 201, "{}", String::from_utf8_lossy(&reply.bytes));
    let json = get_json(&c, "/api/v1/namespaces/team-a/events/agent.1").await;
    assert_eq!(json["reason"], "SuccessfulCreate");
    assert_eq!(json["involvedObject"]["name"], "agent");

    // A Pod replaced with an update in protobuf keeps what the update did not touch.
    let pod = core::Pod {
        metadata: Some(object_meta("solo", "team-a")),
        spec: Some(core::PodSpec {
            containers: vec![core::Container {
                name: Some("c".into()),
                image: Some("solo:1".into()),
                ..Default::default()
            }],
            termination_grace_period_seconds: Some(0),
            ..Default::default()
        }),
        status: None,
    };
    let reply = request(
        &c,
        Method::POST,
        "/api/v1/namespaces/team-a/pods",
        Some(PROTOBUF),
        None,
        enveloped("v1", "Pod", &pod),
    )
    .await;
    assert_eq!(reply.code, 201, "{}", String::from_utf8_lossy(&reply.bytes));
    let json = get_json(&c, "/api/v1/namespaces/team-a/pods/solo").await;
    assert_eq!(json["spec"]["containers"][0]["image"], "solo:1");
    // A zero that means "no grace" is kept as a zero, not dropped to the default.
    assert_eq!(json["spec"]["terminationGracePeriodSeconds"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_or_mislabelled_protobuf_body_is_400_and_stores_nothing() {
    let (_sim, c, before) = setup().await;
    let lease = coordination::Lease {
        metadata: Some(object_meta("leader", "team-a")),
        spec: None,
    };
    let mut cut = enveloped("coordination.k8s.io/v1", "Lease", &lease);
    cut.truncate(cut.len() - 5);
    let reply = request(
        &c,
        Method::POST,
        "/apis/coordination.k8s.io/v1/namespaces/team-a/leases",
        Some(PROTOBUF),
        None,
        cut,
    )
    .await;
    assert_eq!(reply.code, 400, "{}", String::from_utf8_lossy(&reply.bytes));
    let message = reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.starts_with("error decoding request body as Lease:"),
        "{message}"
    );
    // A Pod sent to the DaemonSet endpoint.
    let pod = core::Pod {
        metadata: Some(object_meta("p", "team-a")),
        ..Default::default()
    };
    let reply = request(
        &c,
        Method::POST,
        "/apis/apps/v1/namespaces/team-a/daemonsets",
        Some(PROTOBUF),
        None,
        enveloped("v1", "Pod", &pod),
    )
    .await;
    assert_eq!(reply.code, 400, "{}", String::from_utf8_lossy(&reply.bytes));
    assert_eq!(world_view(&c).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_with_protobuf_options_keeps_its_precondition() {
    let (_sim, c, _) = setup().await;
    let lease = coordination::Lease {
        metadata: Some(object_meta("leader", "team-a")),
        spec: None,
    };
    let path = "/apis/coordination.k8s.io/v1/namespaces/team-a/leases";
    let reply = request(
        &c,
        Method::POST,
        path,
        Some(PROTOBUF),
        None,
        enveloped("coordination.k8s.io/v1", "Lease", &lease),
    )
    .await;
    assert_eq!(reply.code, 201);
    let options = |uid: &str| meta::DeleteOptions {
        preconditions: Some(meta::Preconditions {
            uid: Some(uid.into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    let one = format!("{path}/leader");
    let wrong = request(
        &c,
        Method::DELETE,
        &one,
        Some(PROTOBUF),
        Some(CLIENT_GO_ACCEPT),
        enveloped("meta.k8s.io/v1", "DeleteOptions", &options("not-its-uid")),
    )
    .await;
    assert_eq!(wrong.code, 409, "{}", String::from_utf8_lossy(&wrong.bytes));
    let uid = get_json(&c, &one).await["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();
    let right = request(
        &c,
        Method::DELETE,
        &one,
        Some(PROTOBUF),
        Some(CLIENT_GO_ACCEPT),
        enveloped("meta.k8s.io/v1", "DeleteOptions", &options(&uid)),
    )
    .await;
    assert_eq!(right.code, 200);
    let unknown = right.unknown();
    assert_eq!(
        unknown.type_meta.and_then(|t| t.kind).as_deref(),
        Some("Status")
    );
    let status = meta::Status::decode(unknown.raw.expect("raw").as_slice()).expect("a Status");
    assert_eq!(status.status.as_deref(), Some("Success"));
    let gone = raw(&c, Method::GET, &one, None, String::new()).await;
    assert_status(&gone, 404, "NotFound", "\"leader\" not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_in_protobuf_sends_length_prefixed_events() {
    let (_sim, c, _) = setup().await;
    let rv = get_json(&c, "/api/v1/namespaces").await["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let request = Request::builder()
        .uri(format!(
            "/api/v1/namespaces?watch=1&resourceVersion={rv}&timeoutSeconds=5"
        ))
        .header("accept", CLIENT_GO_ACCEPT)
        .body(kube::client::Body::empty())
        .expect("request");
    let response = c.send(request).await.expect("response");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(PROTOBUF)
    );
    let mut body = response.into_body();
    let created = common::status::send(
        &c,
        Method::POST,
        "/api/v1/namespaces",
        "application/json",
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"watched"}}"#,
    )
    .await;
    assert_eq!(created.code, 201);
    let mut buf = Vec::new();
    let event = loop {
        if buf.len() >= 4 {
            let len = u32::from_be_bytes(buf[..4].try_into().expect("four")) as usize;
            if buf.len() >= 4 + len {
                break meta::WatchEvent::decode(&buf[4..4 + len]).expect("a WatchEvent");
            }
        }
        let chunk = common::server::next_chunk(&mut body)
            .await
            .expect("the stream goes on");
        buf.extend_from_slice(&chunk);
    };
    assert_eq!(event.r#type.as_deref(), Some("ADDED"));
    let object = event.object.and_then(|o| o.raw).expect("the object");
    let unknown =
        Unknown::decode(object.strip_prefix(b"k8s\0").expect("enveloped")).expect("envelope");
    assert_eq!(
        unknown.type_meta.and_then(|t| t.kind).as_deref(),
        Some("Namespace")
    );
    let ns = core::Namespace::decode(unknown.raw.expect("raw").as_slice()).expect("a Namespace");
    assert_eq!(ns.metadata.and_then(|m| m.name).as_deref(), Some("watched"));
}

/// kubectl's typed clients send protobuf and read protobuf answers: create namespace, describe
/// (the node, its pods, its events), rollout history (ControllerRevisions and the template in
/// their data) and top (metrics) all go through the simulator's protobuf.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reads_and_writes_protobuf() {
    require_kubectl();
    let sim = TestSim::start_with(|o| o.scenario = "demo".into()).await;
    let out = sim.kubectl(&["create", "namespace", "team-b"]).await;
    assert_eq!(succeeded(&out).trim(), "namespace/team-b created");
    let again = sim.kubectl(&["create", "namespace", "team-b"]).await;
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let c = sim.client().await;
    let ns = get_json(&c, "/api/v1/namespaces/team-b").await;
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team-b"
    );
    assert_eq!(ns["status"]["phase"], "Active");

    let described = succeeded(&sim.kubectl(&["describe", "node", "general-02"]).await);
    let pods = get_json(&c, "/api/v1/pods?fieldSelector=spec.nodeName%3Dgeneral-02").await;
    for pod in pods["items"].as_array().expect("items") {
        let name = pod["metadata"]["name"].as_str().expect("name");
        assert!(
            described.contains(name),
            "describe node lists {name}:\n{described}"
        );
    }

    let history = succeeded(
        &sim.kubectl(&[
            "rollout",
            "history",
            "daemonset/falco",
            "-n",
            "falco",
            "--revision=1",
        ])
        .await,
    );
    let image = get_json(&c, "/apis/apps/v1/namespaces/falco/daemonsets/falco").await["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .expect("image")
        .to_string();
    assert!(history.contains(&image), "{history}");

    let top = sim.kubectl(&["top", "pod", "-n", "falco"]).await;
    let rows = common::server::table(&stdout(&top));
    assert_eq!(rows[0][..3], ["NAME", "CPU(cores)", "MEMORY(bytes)"]);
    let falco_pods = get_json(&c, "/api/v1/namespaces/falco/pods").await["items"]
        .as_array()
        .expect("items")
        .len();
    assert_eq!(rows.len() - 1, falco_pods, "{}", stdout(&top));
}
