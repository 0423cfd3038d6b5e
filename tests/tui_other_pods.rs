//! The TUI watches only DaemonSets' pods, and reads a node's other pods when a screen needs
//! them. Held on the demo with 30 application pods per node and a DaemonSet too big to fit
//! beside them: the header says daemon pods, the fleet holds none of the applications', and the
//! node page of a node where the daemon is Pending names the pods that fill it.
// Test code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use k8s_openapi::api::apps::v1::DaemonSet;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use common::server::{DEADLINE, TestSim};
use common::tui::{frame, frozen_start, sim_now, state_frame, synced};
use herd_app::action::Action;
use herd_app::view::View;

const NODE: &str = "general-02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_daemon_on_a_full_node_names_the_pods_that_fill_it() {
    let sim = TestSim::start_with(|o| {
        o.scenario = "demo".into();
        o.app_pods_per_node = 30;
        o.speed = 0.0;
        o.start = Some(frozen_start());
    })
    .await;
    // Asks for more CPU than the applications leave free on any general node.
    let hungry: DaemonSet = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "hungry", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "hungry"}},
            "template": {"metadata": {"labels": {"app": "hungry"}},
                "spec": {"nodeSelector": {"pool": "general"}, "containers": [{"name": "c", "image": "hungry:1",
                    "resources": {"requests": {"cpu": "6"}}}]}}
        }
    }))
    .expect("a DaemonSet");
    let c = sim.client().await;
    Api::<DaemonSet>::namespaced(c, "default")
        .create(&PostParams::default(), &hungry)
        .await
        .expect("created");
    assert!(sim.handle.world.lock().settle(), "the cluster settles");

    let mut tui = synced(&sim, 160, 40).await;
    let fleet = &tui.state.fleet;
    assert!(
        fleet.pods().all(|(_, p)| p.is_daemon_created()),
        "no application pod is watched"
    );
    assert!(frame(&tui).contains(&format!("daemon pods {}", fleet.pod_count())));

    tui.send(Action::Show(View::Node { name: NODE.into() }));
    tui.run_until(
        "the node's other pods to be read",
        DEADLINE,
        sim_now(&sim),
        |s| s.fleet.others_on(NODE).is_some(),
    )
    .await
    .expect("read");
    tui.run_until("the page to show them", DEADLINE, sim_now(&sim), |s| {
        state_frame(s).contains("other pods 30 requesting")
    })
    .await
    .expect("shown");
    let screen = frame(&tui);
    let other = screen
        .lines()
        .find(|l| l.contains("other pods 30 requesting"))
        .expect("the other pods' line");
    assert!(other.contains("largest apps/"), "names the pods: {other}");
    let row = screen
        .lines()
        .find(|l| l.contains("hungry"))
        .expect("the hungry DaemonSet's row");
    assert!(row.contains("Insufficient cpu"), "{row}");
}
