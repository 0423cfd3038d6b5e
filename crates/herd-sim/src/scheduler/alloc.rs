//! What each node has handed out: the requests and host ports of the non-terminal pods bound
//! to it, kept up to date change by change so a fit check never sums a node's pods.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::kubelet::bound_node;
use crate::store::Key;
use herd_core::model::quantity::Quantity;

/// Resource requests, in the units the fit check compares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    pub cpu_millis: i64,
    pub memory: i64,
    /// Extended resources (nvidia.com/gpu, ...), in whole units.
    pub other: BTreeMap<String, i64>,
}

impl Requests {
    /// A pod's effective requests: the sum over its containers, or the largest init
    /// container if that is more (upstream's rule); a limit without a request counts as the
    /// request, as API defaulting makes it.
    pub fn of(pod: &Pod) -> Requests {
        let Some(spec) = pod.spec.as_ref() else {
            return Requests::default();
        };
        let mut total = Requests::default();
        for c in &spec.containers {
            total.add(&container_requests(c));
        }
        for c in spec.init_containers.iter().flatten() {
            total.max_with(&container_requests(c));
        }
        total
    }

    fn add(&mut self, other: &Requests) {
        self.cpu_millis += other.cpu_millis;
        self.memory += other.memory;
        for (k, v) in &other.other {
            *self.other.entry(k.clone()).or_default() += v;
        }
    }

    fn sub(&mut self, other: &Requests) {
        self.cpu_millis -= other.cpu_millis;
        self.memory -= other.memory;
        for (k, v) in &other.other {
            *self.other.entry(k.clone()).or_default() -= v;
        }
    }

    fn max_with(&mut self, other: &Requests) {
        self.cpu_millis = self.cpu_millis.max(other.cpu_millis);
        self.memory = self.memory.max(other.memory);
        for (k, v) in &other.other {
            let e = self.other.entry(k.clone()).or_default();
            *e = (*e).max(*v);
        }
    }
}

fn container_requests(c: &Container) -> Requests {
    let mut r = Requests::default();
    let Some(resources) = c.resources.as_ref() else {
        return r;
    };
    let mut merged = resources.limits.clone().unwrap_or_default();
    merged.extend(resources.requests.clone().unwrap_or_default());
    for (name, q) in merged {
        let Ok(q) = Quantity::parse(&q.0) else {
            continue;
        };
        match name.as_str() {
            "cpu" => r.cpu_millis = q.millis(),
            "memory" => r.memory = q.value(),
            "ephemeral-storage" => {}
            _ if name.starts_with("hugepages-") => {}
            _ => {
                r.other.insert(name, q.value());
            }
        }
    }
    r
}

/// A host port a pod claims: (protocol, port, host IP; "" means every address).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub protocol: String,
    pub port: i32,
    pub ip: String,
}

impl HostPort {
    /// Host ports of a pod; with hostNetwork every container port is a host port.
    pub fn of(pod: &Pod) -> Vec<HostPort> {
        let Some(spec) = pod.spec.as_ref() else {
            return Vec::new();
        };
        let host_network = spec.host_network == Some(true);
        spec.containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| {
                let port = p
                    .host_port
                    .filter(|h| *h > 0)
                    .or(host_network.then_some(p.container_port))?;
                let ip = p
                    .host_ip
                    .clone()
                    .filter(|ip| ip != "0.0.0.0")
                    .unwrap_or_default();
                Some(HostPort {
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    port,
                    ip,
                })
            })
            .collect()
    }

    fn clashes(&self, other: &HostPort) -> bool {
        self.protocol == other.protocol
            && self.port == other.port
            && (self.ip.is_empty() || other.ip.is_empty() || self.ip == other.ip)
    }
}

/// One node's handed-out resources.
#[derive(Debug, Clone, Default)]
pub struct NodeAlloc {
    pub requests: Requests,
    pub pods: i64,
    pub ports: HashMap<HostPort, u32>,
}

impl NodeAlloc {
    fn release(&mut self, pod: &PodAlloc) {
        self.requests.sub(&pod.requests);
        self.pods -= 1;
        for p in &pod.ports {
            if let Some(count) = self.ports.get_mut(p) {
                *count -= 1;
                if *count == 0 {
                    self.ports.remove(p);
                }
            }
        }
    }

    pub fn port_taken(&self, wanted: &HostPort) -> bool {
        self.ports.keys().any(|p| p.clashes(wanted))
    }
}

#[derive(Debug)]
struct PodAlloc {
    node: String,
    requests: Requests,
    ports: Vec<HostPort>,
}

/// Every node's handed-out resources, and what each counted pod contributes.
#[derive(Debug, Default)]
pub struct Allocation {
    pods: HashMap<Key, PodAlloc>,
    nodes: HashMap<String, NodeAlloc>,
}

impl Allocation {
    pub fn node(&self, name: &str) -> Option<&NodeAlloc> {
        self.nodes.get(name)
    }

    /// Accounts for a pod's latest version (`None`: deleted). A pod counts while it is bound
    /// and not Succeeded/Failed; terminating pods still hold their resources.
    pub fn observe(&mut self, key: &Key, pod: Option<&Pod>) {
        let counted_on = pod.filter(|p| !is_terminal(p)).and_then(bound_node);
        if let Some(old) = self.pods.get(key)
            && Some(old.node.as_str()) == counted_on
        {
            return;
        }
        if let Some(old) = self.pods.remove(key)
            && let Some(n) = self.nodes.get_mut(&old.node)
        {
            n.release(&old);
        }
        let (Some(pod), Some(node)) = (pod, counted_on) else {
            return;
        };
        let entry = PodAlloc {
            node: node.to_string(),
            requests: Requests::of(pod),
            ports: HostPort::of(pod),
        };
        let n = self.nodes.entry(entry.node.clone()).or_default();
        n.requests.add(&entry.requests);
        n.pods += 1;
        for p in &entry.ports {
            *n.ports.entry(p.clone()).or_default() += 1;
        }
        self.pods.insert(key.clone(), entry);
    }
}

pub fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}
