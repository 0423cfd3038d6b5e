//! Where a DaemonSet runs, read from the simulator's world: the nodes with a live pod of it,
//! and a wait until that set settles on the one a preview named.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;

use super::objects::world_ds;
use super::server::TestSim;

/// The nodes where the DaemonSet has a live pod (any phase but terminal, not deleting).
pub fn nodes_with_pod(sim: &TestSim, ns: &str, ds: &str) -> BTreeSet<String> {
    let uid = world_ds(sim, ns, ds).metadata.uid.expect("a uid");
    let world = sim.handle.world.lock();
    world
        .store
        .table::<Pod>()
        .values()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            !matches!(phase, Some("Succeeded" | "Failed"))
        })
        .filter(|p| {
            p.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .filter_map(|p| p.spec.as_ref()?.node_name.clone())
        .collect()
}

/// Waits until the DaemonSet's real node set equals `want` and stays so for three seconds
/// (a minute of simulated time): the rollout the edit started has settled there.
pub async fn settles_on(sim: &TestSim, ns: &str, ds: &str, want: &BTreeSet<String>) {
    let started = Instant::now();
    let mut equal_since: Option<Instant> = None;
    loop {
        let now = nodes_with_pod(sim, ns, ds);
        if now == *want {
            let since = *equal_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= Duration::from_secs(3) {
                return;
            }
        } else {
            equal_since = None;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{ns}/{ds}: on {} nodes, preview said {}: extra {:?}, missing {:?}",
            now.len(),
            want.len(),
            now.difference(want).collect::<Vec<_>>(),
            want.difference(&now).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
