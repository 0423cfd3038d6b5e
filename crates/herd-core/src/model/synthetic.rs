//! A generated fleet of the performance budget's shape (docs/BENCHMARKS.md: 5,000 nodes, 30
//! DaemonSets, about 150,000 pods) as slim records, for benchmarks and scale tests.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::model::daemonset::{ContainerSpec, DaemonSet, Targeting};
use crate::model::fleet::{Fleet, Record};
use crate::model::node::Node;
use crate::model::placement::{PlacementSpec, Taint, TaintEffect, Toleration};
use crate::model::pod::{ContainerResources, Pod, PodPhase};
use crate::model::resources::{Capacity, Resources, Usage};
use crate::model::revision::ControllerRevision;
use crate::model::usage::{MetricsSnapshot, NodeUsage, PodUsage};

const GIB: i64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub nodes: usize,
    pub daemon_sets: usize,
    /// Extra pods owned by other controllers, spread over the nodes.
    pub other_pods: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            nodes: 5000,
            daemon_sets: 30,
            other_pods: 5000,
        }
    }
}

/// Records in dependency order: nodes, DaemonSets with two revisions each, then pods. Every
/// tenth node is a tainted GPU node; the last DaemonSet targets GPU nodes, the one before it
/// forgot the GPU toleration, all others tolerate everything.
pub fn fleet(shape: Shape, epoch: Timestamp) -> Vec<Record> {
    let nodes: Vec<Node> = (0..shape.nodes).map(|i| node(i, epoch)).collect();
    let dss: Vec<DaemonSet> = (0..shape.daemon_sets)
        .map(|i| daemon_set(i, shape.daemon_sets, epoch))
        .collect();
    let mut records: Vec<Record> = nodes.iter().cloned().map(Record::Node).collect();
    for d in &dss {
        records.push(Record::DaemonSet(d.clone()));
        records.extend([1, 2].map(|r| Record::Revision(revision(d, r))));
    }
    let mut seq = 0u64;
    for d in &dss {
        for n in &nodes {
            if d.targeting.prepared().evaluate(&n.facts()).should_run {
                seq += 1;
                records.push(Record::Pod(pod(d, &n.name, seq, epoch)));
            }
        }
    }
    for k in 0..shape.other_pods {
        seq += 1;
        let mut p = Pod::new("apps", &format!("web-{k:06}"), &uid(seq));
        p.owner_uid = Some(Arc::from("uid-replicaset-web"));
        p.node = Some(Arc::clone(&nodes[k % nodes.len().max(1)].name));
        p.bound = true;
        p.phase = PodPhase::Running;
        records.push(Record::Pod(p));
    }
    records
}

/// A metrics poll covering every pod and node of `fleet`.
pub fn metrics(fleet: &Fleet, at: Timestamp) -> MetricsSnapshot {
    let pods = fleet
        .pods()
        .map(|(_, p)| PodUsage {
            namespace: p.namespace.to_string(),
            name: p.name.to_string(),
            usage: Usage {
                cpu_millis: 20 + (p.name.len() as i64 * 7) % 80,
                memory_bytes: (64 + (p.uid.len() as i64 * 13) % 128) * 1024 * 1024,
            },
        })
        .collect();
    let nodes = fleet
        .nodes()
        .enumerate()
        .map(|(i, n)| NodeUsage {
            name: n.name.to_string(),
            usage: Usage {
                cpu_millis: 500 + (i as i64 * 37) % 3000,
                memory_bytes: (4 + (i as i64 * 7) % 16) * GIB,
            },
        })
        .collect();
    MetricsSnapshot {
        stretched: None,
        reach: Default::default(),
        at,
        pods,
        nodes,
    }
}

fn node(i: usize, epoch: Timestamp) -> Node {
    let mut n = Node::new(&format!(
        "ip-10-{}-{}-{}.ec2.internal",
        i / 65536,
        (i / 256) % 256,
        i % 256
    ));
    let pool = match i % 10 {
        0 => "gpu",
        1 => "storage",
        _ => "general",
    };
    let labels = [
        ("kubernetes.io/hostname", n.name.to_string()),
        ("kubernetes.io/os", "linux".into()),
        ("kubernetes.io/arch", "amd64".into()),
        ("node.kubernetes.io/instance-type", "m6i.2xlarge".into()),
        ("topology.kubernetes.io/region", "eu-west-1".into()),
        (
            "topology.kubernetes.io/zone",
            format!("eu-west-1{}", ["a", "b", "c"][i % 3]),
        ),
        ("pool", pool.into()),
    ];
    n.labels = labels
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    if pool == "gpu" {
        n.taints.push(Taint::new(
            "nvidia.com/gpu",
            "present",
            TaintEffect::NoSchedule,
        ));
    }
    n.pool = Some(Arc::from(pool));
    n.ready.since = Some(epoch);
    n.created = Some(epoch);
    n.allocatable = Capacity {
        cpu_millis: 7910,
        memory_bytes: 30 * GIB,
        pods: 110,
    };
    n
}

fn daemon_set(i: usize, total: usize, epoch: Timestamp) -> DaemonSet {
    let name = format!("daemon-{i:02}");
    let mut d = DaemonSet::new("kube-system", &name, &format!("uid-ds-{i:02}"));
    let mut spec = PlacementSpec::default();
    if i + 1 == total {
        spec.node_selector.insert("pool".into(), "gpu".into());
        spec.tolerations
            .push(Toleration::exists("nvidia.com/gpu", None));
    } else if i + 2 != total {
        spec.tolerations.push(Toleration::exists("", None));
    }
    d.targeting = Targeting::new(spec);
    d.containers = vec![ContainerSpec {
        name: Arc::from("agent"),
        image: Arc::from(format!("registry.example/{name}:2.0").as_str()),
        requests: Resources::new(50, GIB / 16),
        limits: Resources::new(200, GIB / 4),
    }];
    d.template_generation = Some(2);
    d.created = Some(epoch);
    d
}

fn revision(d: &DaemonSet, n: i64) -> ControllerRevision {
    let name = format!("{}-hash{n}", d.name);
    let mut r = ControllerRevision::new(&d.namespace, &name, &format!("uid-{name}"), n);
    r.owner_uid = Some(Arc::clone(&d.uid));
    r.hash = Some(Arc::from(format!("hash{n}").as_str()));
    r
}

fn pod(d: &DaemonSet, node: &Arc<str>, seq: u64, epoch: Timestamp) -> Pod {
    let mut p = Pod::new(&d.namespace, &format!("{}-{:05x}", d.name, seq), &uid(seq));
    p.owner_uid = Some(Arc::clone(&d.uid));
    p.node = Some(Arc::clone(node));
    p.bound = true;
    p.phase = PodPhase::Running;
    p.ready = !seq.is_multiple_of(97);
    p.ready_since = Some(epoch + SignedDuration::from_secs(60));
    p.created = Some(epoch + SignedDuration::from_secs(30));
    // Most pods run the current revision; a few lag behind as in a rollout.
    let current = !seq.is_multiple_of(13);
    p.revision_hash = Some(Arc::from(if current { "hash2" } else { "hash1" }));
    p.template_generation = Some(if current { 2 } else { 1 });
    p.restarts = (seq % 5) as u32;
    p.containers = Arc::from(vec![ContainerResources {
        name: Arc::from("agent"),
        requests: Resources::new(50, GIB / 16),
        limits: Resources::new(200, GIB / 4),
    }]);
    p
}

fn uid(seq: u64) -> String {
    format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        seq,
        seq % 65536,
        seq.wrapping_mul(2654435761)
    )
}
