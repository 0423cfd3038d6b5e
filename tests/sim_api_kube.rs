//! kube-rs against the simulator over HTTPS: every served kind lists and watches, watchers
//! recover from dropped watches, compaction (410) and injected failures, stale writes
//! conflict, paging is exact, and selectors filter.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;

use axum::http::Method;
use common::objects::{daemonset, event, lease, namespace, node, pod, revision, seed};
use common::server::{DEADLINE, TestSim, raw};
use common::watch::{drive, names, open_watches, read_until, watch};
use herd_sim::metrics;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event as CoreEvent, Namespace, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// Creates, lists, watches, modifies and deletes one object of a kind through kube-rs.
async fn round_trip<K>(scoped: Api<K>, all: Api<K>, object: K)
where
    K: Resource + Clone + DeserializeOwned + Serialize + Debug + Send + Sync + 'static,
{
    let name = object.name_any();
    scoped
        .create(&PostParams::default(), &object)
        .await
        .expect("create");
    let listed = all.list(&ListParams::default()).await.expect("list");
    assert!(
        listed.items.iter().any(|o| o.name_any() == name),
        "{name} listed"
    );
    assert!(
        listed
            .metadata
            .resource_version
            .is_some_and(|rv| !rv.is_empty())
    );
    assert_eq!(scoped.get(&name).await.expect("get").name_any(), name);

    let mut events = watch(all);
    let initial = read_until(&mut events, "the initial list", |e| {
        matches!(e, Event::InitDone)
    })
    .await;
    assert!(
        initial
            .iter()
            .any(|e| matches!(e, Event::InitApply(o) if o.name_any() == name))
    );
    let label = Patch::Merge(json!({"metadata": {"labels": {"watched": "yes"}}}));
    scoped
        .patch(&name, &PatchParams::default(), &label)
        .await
        .expect("patch");
    read_until(&mut events, "the label change", |e| {
        matches!(e, Event::Apply(o) if o.name_any() == name && o.labels().get("watched").is_some_and(|v| v == "yes"))
    })
    .await;
    scoped
        .delete(&name, &DeleteParams::default())
        .await
        .expect("delete");
    read_until(
        &mut events,
        "the deletion",
        |e| matches!(e, Event::Delete(o) if o.name_any() == name),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_watches_every_served_kind() {
    let sim = TestSim::start().await;
    let c = sim.client().await;
    Api::<Namespace>::all(c.clone())
        .create(&PostParams::default(), &namespace("team-a"))
        .await
        .expect("namespace");
    let ns = |c: &kube::Client| c.clone();
    round_trip(
        Api::<Namespace>::all(ns(&c)),
        Api::all(ns(&c)),
        namespace("team-b"),
    )
    .await;
    round_trip(Api::<Node>::all(ns(&c)), Api::all(ns(&c)), node("n1", &[])).await;
    round_trip(
        Api::<Pod>::namespaced(ns(&c), "team-a"),
        Api::all(ns(&c)),
        pod("team-a", "p1", None, &[]),
    )
    .await;
    round_trip(
        Api::<DaemonSet>::namespaced(ns(&c), "team-a"),
        Api::all(ns(&c)),
        daemonset("team-a", "agent", "agent:1"),
    )
    .await;
    round_trip(
        Api::<ControllerRevision>::namespaced(ns(&c), "team-a"),
        Api::all(ns(&c)),
        revision("team-a", "agent-1", 1),
    )
    .await;
    round_trip(
        Api::<CoreEvent>::namespaced(ns(&c), "team-a"),
        Api::all(ns(&c)),
        event("team-a", "p1.1", "p1"),
    )
    .await;
    round_trip(
        Api::<Lease>::namespaced(ns(&c), "team-a"),
        Api::all(ns(&c)),
        lease("team-a", "herd", "me"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_api_serves_every_reporting_node_and_pod() {
    // The demo fleet, settled, with the clock stopped: usage holds still while we compare.
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.speed = 0.0;
    })
    .await;
    let (nodes_reporting, pods_reporting) = {
        let world = sim.handle.world.lock();
        let nodes = world
            .store
            .table::<Node>()
            .values()
            .filter(|n| metrics::node_usage(&world, n).is_some())
            .count();
        let pods = world
            .store
            .table::<Pod>()
            .values()
            .filter(|p| metrics::pod_usage(&world, p).is_some())
            .count();
        (nodes, pods)
    };
    assert!(
        nodes_reporting > 0 && pods_reporting > 0,
        "the demo reports usage"
    );
    let client = sim.client().await;
    let nodes = raw(
        &client,
        Method::GET,
        "/apis/metrics.k8s.io/v1beta1/nodes",
        None,
        String::new(),
    )
    .await;
    assert_eq!(nodes.code, 200, "{}", nodes.text);
    assert_eq!(nodes.body["kind"], "NodeMetricsList");
    let items = nodes.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), nodes_reporting);
    for item in &items {
        assert!(
            item["usage"]["cpu"]
                .as_str()
                .is_some_and(|c| c.ends_with('n')),
            "{item}"
        );
        assert!(
            item["usage"]["memory"]
                .as_str()
                .is_some_and(|m| m.ends_with("Ki")),
            "{item}"
        );
        assert!(item["timestamp"].is_string() && item["window"].is_string());
    }
    let in_monitoring = {
        let world = sim.handle.world.lock();
        let pods: Vec<_> = world
            .store
            .table::<Pod>()
            .in_namespace("monitoring")
            .cloned()
            .collect();
        pods.iter()
            .filter(|p| metrics::pod_usage(&world, p).is_some())
            .count()
    };
    for (path, expected) in [
        ("/apis/metrics.k8s.io/v1beta1/pods", pods_reporting),
        (
            "/apis/metrics.k8s.io/v1beta1/namespaces/monitoring/pods",
            in_monitoring,
        ),
    ] {
        let pods = raw(&client, Method::GET, path, None, String::new()).await;
        assert_eq!(pods.code, 200, "{}", pods.text);
        assert_eq!(pods.body["kind"], "PodMetricsList");
        assert_eq!(
            pods.body["items"].as_array().map_or(0, Vec::len),
            expected,
            "{path}"
        );
    }
    let first = items[0]["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let one = raw(
        &client,
        Method::GET,
        &format!("/apis/metrics.k8s.io/v1beta1/nodes/{first}"),
        None,
        String::new(),
    )
    .await;
    assert_eq!(one.code, 200, "{}", one.text);
    assert_eq!(one.body["kind"], "NodeMetrics");
    assert_eq!(one.body["usage"], items[0]["usage"], "the clock is stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_resumes_after_dropped_watches_without_relisting() {
    let sim = TestSim::start().await;
    let mut events = watch(Api::<Namespace>::all(sim.client().await));
    read_until(&mut events, "the initial list", |e| {
        matches!(e, Event::InitDone)
    })
    .await;
    open_watches(&sim, 1).await;
    let report = sim.faults(json!({"dropWatches": true})).await;
    assert_eq!(report["watchDrops"], 1);
    seed(&sim, namespace("after-drop"));
    let seen = read_until(&mut events, "after-drop", |e| {
        names(e).as_deref() == Some("after-drop")
    })
    .await;
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Init)),
        "the watcher re-listed instead of resuming: {seen:?}"
    );
    let stats = sim.stats().await;
    let count = |verb: &str| {
        stats["byVerbAndResource"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["verb"] == verb && e["resource"] == "namespaces")
            .and_then(|e| e["requests"].as_u64())
            .unwrap_or(0)
    };
    assert_eq!(count("list"), 1, "{stats}");
    assert!(count("watch") >= 2, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_relists_after_compaction() {
    let sim = TestSim::start().await;
    let mut events = watch(Api::<Namespace>::all(sim.client().await));
    read_until(&mut events, "the initial list", |e| {
        matches!(e, Event::InitDone)
    })
    .await;
    open_watches(&sim, 1).await;
    // Hold the watcher off while a change it will never see is made and then compacted away.
    sim.faults(json!({"failRate": 1.0, "dropWatches": true}))
        .await;
    let failed = tokio::time::timeout(DEADLINE, events.next())
        .await
        .expect("the resume attempt fails");
    assert!(
        failed.is_some_and(|r| r.is_err()),
        "the resume attempt should fail"
    );
    seed(&sim, namespace("missed"));
    sim.faults(json!({"compact": true, "failRate": 0.0})).await;
    let seen = read_until(&mut events, "missed", |e| {
        names(e).as_deref() == Some("missed")
    })
    .await;
    assert!(
        seen.iter().any(|e| matches!(e, Event::Init)),
        "expected a re-list after 410: {seen:?}"
    );
    assert_eq!(sim.faults(json!({})).await["compactions"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_survives_a_burst_of_injected_500s() {
    let sim = TestSim::start().await;
    let mut events = watch(Api::<Namespace>::all(sim.client().await));
    read_until(&mut events, "the initial list", |e| {
        matches!(e, Event::InitDone)
    })
    .await;
    open_watches(&sim, 1).await;
    sim.faults(json!({"failRate": 1.0, "failCode": 500, "dropWatches": true}))
        .await;
    let mut errors = 0;
    while errors < 2 {
        let item = tokio::time::timeout(DEADLINE, events.next())
            .await
            .expect("the watcher keeps retrying");
        if item.is_some_and(|r| r.is_err()) {
            errors += 1;
        }
    }
    sim.faults(json!({"failRate": 0.0})).await;
    seed(&sim, namespace("after-burst"));
    read_until(&mut events, "after-burst", |e| {
        names(e).as_deref() == Some("after-burst")
    })
    .await;
    assert!(sim.faults(json!({})).await["injectedFailures"].as_u64() >= Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_client_rides_out_429s() {
    let sim = TestSim::start().await;
    let api = Api::<Namespace>::all(sim.client().await);
    sim.faults(json!({"failRate": 0.5, "failCode": 429})).await;
    for _ in 0..3 {
        let listed = api
            .list(&ListParams::default())
            .await
            .expect("kube retries 429 with Retry-After");
        assert!(listed.items.iter().any(|n| n.name_any() == "default"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_replace_gets_409_and_keeps_the_first_write() {
    // A Lease: nothing in the simulator writes it, so only the test's two writers race.
    let sim = TestSim::start().await;
    let api = Api::<Lease>::namespaced(sim.client().await, "default");
    let created = api
        .create(
            &PostParams::default(),
            &lease("default", "engine", "herd-a"),
        )
        .await
        .expect("create");
    let mut first = created.clone();
    first.spec.get_or_insert_default().holder_identity = Some("herd-b".into());
    api.replace("engine", &PostParams::default(), &first)
        .await
        .expect("fresh replace");
    let mut stale = created;
    stale.spec.get_or_insert_default().holder_identity = Some("herd-c".into());
    match api.replace("engine", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
            assert!(
                status.message.contains("the object has been modified"),
                "{}",
                status.message
            );
        }
        other => panic!("expected 409 Conflict, got {other:?}"),
    }
    let now = api.get("engine").await.expect("get");
    let holder = now.spec.and_then(|s| s.holder_identity);
    assert_eq!(holder.as_deref(), Some("herd-b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_returns_every_object_exactly_once() {
    let sim = TestSim::start().await;
    let expected: BTreeSet<String> = (0..23).map(|i| format!("node-{i:02}")).collect();
    for name in &expected {
        seed(&sim, node(name, &[]));
    }
    let api = Api::<Node>::all(sim.client().await);
    let (mut got, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let mut params = ListParams::default().limit(5);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = api.list(&params).await.expect("page");
        pages += 1;
        assert!(page.items.len() <= 5);
        got.extend(page.items.iter().map(|n| n.name_any()));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(got.len(), expected.len(), "no duplicates: {got:?}");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
    // The watcher pages its initial list too, and sees the same set.
    let mut events = drive(watcher(api, watcher::Config::default().page_size(4)));
    let seen = read_until(&mut events, "the paged initial list", |e| {
        matches!(e, Event::InitDone)
    })
    .await;
    assert_eq!(
        seen.iter().filter_map(names).collect::<BTreeSet<_>>(),
        expected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_field_selectors_filter() {
    let sim = TestSim::start().await;
    seed(&sim, node("gpu-1", &[("pool", "gpu")]));
    seed(&sim, node("general-1", &[("pool", "general")]));
    seed(
        &sim,
        pod("default", "a", Some("gpu-1"), &[("app", "agent")]),
    );
    seed(
        &sim,
        pod("default", "b", Some("general-1"), &[("app", "agent")]),
    );
    // c asks for a pool no node is in, so the scheduler leaves it unbound.
    let mut c = pod("default", "c", None, &[("app", "web")]);
    if let Some(spec) = c.spec.as_mut() {
        spec.node_selector = Some([("pool".to_string(), "none".to_string())].into());
    }
    seed(&sim, c);
    let client = sim.client().await;
    let pods = Api::<Pod>::all(client.clone());
    let listed = |p: ListParams| {
        let pods = pods.clone();
        async move {
            let mut n: Vec<String> = pods
                .list(&p)
                .await
                .expect("list")
                .items
                .iter()
                .map(|o| o.name_any())
                .collect();
            n.sort();
            n
        }
    };
    assert_eq!(
        listed(ListParams::default().fields("spec.nodeName=gpu-1")).await,
        ["a"]
    );
    assert_eq!(
        listed(ListParams::default().fields("spec.nodeName=")).await,
        ["c"]
    );
    assert_eq!(
        listed(ListParams::default().labels("app=agent")).await,
        ["a", "b"]
    );
    assert_eq!(
        listed(
            ListParams::default()
                .labels("app in (agent,web)")
                .fields("metadata.name!=b")
        )
        .await,
        ["a", "c"]
    );
    assert_eq!(
        listed(ListParams::default().fields("metadata.namespace=default,status.phase=Succeeded"))
            .await,
        Vec::<String>::new()
    );
    let nodes = Api::<Node>::all(client);
    let gpu = nodes
        .list(&ListParams::default().labels("pool notin (general)"))
        .await
        .expect("list");
    assert_eq!(
        gpu.items.iter().map(|n| n.name_any()).collect::<Vec<_>>(),
        ["gpu-1"]
    );
    // A watch with a field selector sees only its object.
    let mut only_a = drive(watcher(
        Api::<Pod>::all(sim.client().await),
        watcher::Config::default().fields("metadata.name=a"),
    ));
    let seen = read_until(&mut only_a, "a's initial list", |e| {
        matches!(e, Event::InitDone)
    })
    .await;
    assert_eq!(seen.iter().filter_map(names).collect::<Vec<_>>(), ["a"]);
    let pods_api = Api::<Pod>::namespaced(sim.client().await, "default");
    let tag = Patch::Merge(json!({"metadata": {"labels": {"touched": "1"}}}));
    pods_api
        .patch("b", &PatchParams::default(), &tag)
        .await
        .expect("patch b");
    pods_api
        .patch("a", &PatchParams::default(), &tag)
        .await
        .expect("patch a");
    let seen = read_until(&mut only_a, "a's change", |e| matches!(e, Event::Apply(_))).await;
    assert_eq!(
        seen.iter().filter_map(names).collect::<Vec<_>>(),
        ["a"],
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_watches_send_bookmarks_and_end_at_their_timeout() {
    let sim = TestSim::start().await;
    let client = sim.client().await;
    let listed = raw(
        &client,
        Method::GET,
        "/api/v1/namespaces",
        None,
        String::new(),
    )
    .await;
    let rv: u64 = listed.body["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("list resourceVersion");
    // The test server sends a bookmark every second; the watch ends by itself after three.
    let path = format!(
        "/api/v1/namespaces?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion={rv}"
    );
    let watched = raw(&client, Method::GET, &path, None, String::new()).await;
    let events: Vec<serde_json::Value> = watched
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    let bookmark = events
        .iter()
        .find(|e| e["type"] == "BOOKMARK")
        .expect("a bookmark");
    let at: u64 = bookmark["object"]["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("bookmark resourceVersion");
    assert!(at >= rv);
    assert_eq!(bookmark["object"]["kind"], "Namespace");
    // The legacy /watch/ path, from no version: the current state as ADDED events.
    let legacy = raw(
        &client,
        Method::GET,
        "/api/v1/watch/namespaces?timeoutSeconds=1",
        None,
        String::new(),
    )
    .await;
    let added: Vec<&str> = legacy
        .text
        .lines()
        .filter(|l| l.contains("\"ADDED\""))
        .collect();
    assert_eq!(
        added.len(),
        4,
        "default, kube-system, kube-public, kube-node-lease: {}",
        legacy.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_validates_without_storing() {
    let sim = TestSim::start().await;
    let api = Api::<Namespace>::all(sim.client().await);
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let answered = api
        .create(&dry, &namespace("dry"))
        .await
        .expect("dry-run create");
    assert_eq!(answered.name_any(), "dry");
    assert!(
        api.get_opt("dry").await.expect("get").is_none(),
        "nothing stored"
    );
    let invalid = api.create(&dry, &namespace("Not_Valid")).await;
    assert!(
        matches!(invalid, Err(kube::Error::Api(ref s)) if s.code == 422),
        "{invalid:?}"
    );
}
