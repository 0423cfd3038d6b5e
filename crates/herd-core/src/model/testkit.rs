//! Hand-built records for tests: one healthy default of each kind, tweaked per case.
//!
//! Compiled only for tests (here, and through the `testkit` feature for the crates above), so
//! the test rules apply: a literal that does not parse is a broken test, and may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::should_implement_trait)] // `Rng::next` is a generator, not an iterator

use std::sync::Arc;

use jiff::Timestamp;

use crate::model::daemonset::{ContainerSpec, DaemonSet};
use crate::model::fleet::{Fleet, FleetEvent, Record};
use crate::model::node::Node;
use crate::model::pod::{ContainerResources, Pod, PodPhase};
use crate::model::resources::{Capacity, Resources};
use crate::model::revision::ControllerRevision;

pub const NS: &str = "kube-system";
pub const GIB: i64 = 1024 * 1024 * 1024;
pub const MIB: i64 = 1024 * 1024;

/// Seconds after a fixed epoch, so tests read in small numbers.
pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

/// Ready since t(0), 4 CPUs, 16 GiB, 110 pods.
pub fn node(name: &str) -> Node {
    let mut n = Node::new(name);
    n.ready.since = Some(t(0));
    n.created = Some(t(0));
    n.allocatable = Capacity {
        cpu_millis: 4000,
        memory_bytes: 16 * GIB,
        pods: 110,
    };
    n
}

/// Created at t(0), template generation 1, one container requesting 100m/128Mi with
/// limits 200m/256Mi.
pub fn ds(name: &str) -> DaemonSet {
    let mut d = DaemonSet::new(NS, name, &format!("uid-{name}"));
    d.created = Some(t(0));
    d.containers = vec![ContainerSpec {
        name: Arc::from("main"),
        image: Arc::from(format!("registry.example/{name}:1.0").as_str()),
        requests: Resources::new(100, 128 * MIB),
        limits: Resources::new(200, 256 * MIB),
    }];
    d
}

pub fn containers(requests: Resources, limits: Resources) -> Arc<[ContainerResources]> {
    Arc::from(vec![ContainerResources {
        name: Arc::from("main"),
        requests,
        limits,
    }])
}

/// A bound, Running, Ready pod of `ds` on `node`, created from template generation 1 at t(0).
pub fn pod(ds: &DaemonSet, node: &str, name: &str) -> Pod {
    let mut p = Pod::new(&ds.namespace, name, &format!("uid-{name}"));
    p.owner_uid = Some(Arc::clone(&ds.uid));
    p.node = Some(Arc::from(node));
    p.bound = true;
    p.phase = PodPhase::Running;
    p.ready = true;
    p.ready_since = Some(t(0));
    p.template_generation = Some(1);
    p.created = Some(t(0));
    p.containers = containers(
        Resources::new(100, 128 * MIB),
        Resources::new(200, 256 * MIB),
    );
    p
}

pub fn revision(ds: &DaemonSet, revision: i64, hash: &str) -> ControllerRevision {
    let name = format!("{}-{hash}", ds.name);
    let mut r = ControllerRevision::new(&ds.namespace, &name, &format!("uid-{name}"), revision);
    r.owner_uid = Some(Arc::clone(&ds.uid));
    r.hash = Some(Arc::from(hash));
    r
}

pub fn fleet_of(records: impl IntoIterator<Item = Record>) -> Fleet {
    let mut fleet = Fleet::new();
    for r in records {
        fleet.apply(FleetEvent::Upsert(r));
    }
    fleet
}

/// A tiny seeded generator (SplitMix64) for property tests; no crate needed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
