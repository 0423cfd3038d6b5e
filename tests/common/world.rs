//! A `World` test bench: builds nodes and DaemonSets from JSON through admission, and plays the
//! scheduler and kubelet by hand so tests decide exactly when pods bind, start, fail or stop.
//!
//! The stand-in is compatible with the real scheduler/kubelet: it only binds pods that are
//! still unbound, and it agrees with the image conventions (`unready` never turns Ready).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;

use herd_sim::World;
use herd_sim::admission::daemonset::{admit_create, admit_update};
use herd_sim::store::Key;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

pub const NS: &str = "default";

/// How pods get bound: by this bench (the default), or only by the world's own scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binder {
    Bench,
    Scheduler,
}

/// A world plus the pod states the test pinned (re-applied after every step).
pub struct Bench {
    pub world: World,
    pub binder: Binder,
    /// Pods (by name) kept Running but NotReady whatever else happens.
    pub not_ready: BTreeSet<String>,
    /// Whether the bench starts pods (bound, not terminating) as Running and Ready.
    pub auto_start: bool,
    /// Whether the bench removes terminating pods (the kubelet's job) at once.
    pub auto_remove: bool,
}

pub fn start_time() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().expect("timestamp")
}

impl Bench {
    pub fn new() -> Self {
        let mut world = World::new(7, start_time());
        // This bench plays the scheduler and kubelets itself (Binder, auto_start, ...).
        world.config.kubelet.enabled = false;
        world.config.scheduler.enabled = false;
        Bench {
            world,
            binder: Binder::Bench,
            not_ready: BTreeSet::new(),
            auto_start: true,
            auto_remove: true,
        }
    }

    /// A bench with nodes `n1..=nN`, clean and Ready.
    pub fn with_nodes(n: usize) -> Self {
        let mut b = Bench::new();
        for i in 1..=n {
            b.add_node(json!({"metadata": {"name": format!("n{i}")}}));
        }
        b
    }

    pub fn now(&self) -> Timestamp {
        self.world.now()
    }

    pub fn add_node(&mut self, v: Value) -> Arc<Node> {
        let mut v = v;
        if v.pointer("/status/conditions").is_none() {
            v["status"] = json!({"conditions": [{"type": "Ready", "status": "True"}]});
        }
        let node: Node = serde_json::from_value(v).expect("node json");
        let now = self.now();
        self.world.store.create(node, now).expect("create node")
    }

    pub fn edit_node(&mut self, name: &str, f: impl FnOnce(&mut Node)) {
        self.world
            .store
            .modify::<Node>("", name, f)
            .expect("modify node");
    }

    pub fn delete_node(&mut self, name: &str) {
        self.world
            .store
            .delete::<Node>("", name, None, None)
            .expect("delete node");
    }

    /// Creates a DaemonSet the way the API does: admission, then the store.
    pub fn create_ds(&mut self, v: Value) -> Arc<DaemonSet> {
        let mut ds: DaemonSet = serde_json::from_value(v).expect("daemonset json");
        ds.metadata.namespace.get_or_insert_with(|| NS.to_string());
        admit_create(&mut ds).expect("admitted");
        let now = self.now();
        self.world.store.create(ds, now).expect("create ds")
    }

    /// Updates a DaemonSet through admission, like a PUT of the edited object.
    pub fn update_ds(&mut self, name: &str, f: impl FnOnce(&mut DaemonSet)) -> Arc<DaemonSet> {
        let old = self.ds(name);
        let mut new = old.as_ref().clone();
        f(&mut new);
        admit_update(&old, &mut new, false).expect("update admitted");
        self.world.store.update(new).expect("update ds")
    }

    pub fn ds(&self, name: &str) -> Arc<DaemonSet> {
        self.world
            .store
            .get::<DaemonSet>(NS, name)
            .cloned()
            .expect("daemonset exists")
    }

    pub fn status(&self, name: &str) -> DaemonSetStatus {
        self.ds(name).status.clone().unwrap_or_default()
    }

    /// Pods the DaemonSet controls, terminating ones included.
    pub fn pods(&self, ds: &str) -> Vec<Arc<Pod>> {
        let uid = self.ds(ds).metadata.uid.clone().unwrap_or_default();
        let keys: Vec<Key> = self
            .world
            .store
            .pod_index
            .by_owner
            .get(&uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        keys.iter()
            .filter_map(|k| self.world.store.get::<Pod>(&k.namespace, &k.name).cloned())
            .collect()
    }

    /// Pods not terminating.
    pub fn live_pods(&self, ds: &str) -> Vec<Arc<Pod>> {
        self.pods(ds)
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .collect()
    }

    pub fn revisions(&self) -> Vec<Arc<ControllerRevision>> {
        let mut r: Vec<_> = self
            .world
            .store
            .table::<ControllerRevision>()
            .in_namespace(NS)
            .cloned()
            .collect();
        r.sort_by_key(|r| r.revision);
        r
    }

    /// One controller round: advance the clock, run the world, then the bench's scheduler and
    /// kubelet stand-ins (which run the world again if they wrote).
    pub fn tick(&mut self, dt: SignedDuration) {
        self.world.advance(dt);
        if self.play_nodes() {
            let now = self.now();
            self.world.step(now);
        }
    }

    /// Ticks 1 s at a time until 10 ticks pass without a write, at most `limit` ticks.
    pub fn settle_for(&mut self, limit: usize) {
        let mut quiet = 0;
        for _ in 0..limit {
            let rv = self.world.store.resource_version();
            self.tick(SignedDuration::from_secs(1));
            if self.world.store.resource_version() == rv {
                quiet += 1;
                if quiet >= 10 {
                    return;
                }
            } else {
                quiet = 0;
            }
        }
    }

    pub fn settle(&mut self) {
        self.settle_for(600);
    }

    /// The stand-ins' pass; true when something was written.
    fn play_nodes(&mut self) -> bool {
        let rv = self.world.store.resource_version();
        let pods: Vec<Arc<Pod>> = self.world.store.table::<Pod>().values().cloned().collect();
        for pod in pods {
            self.play_pod(&pod);
        }
        self.world.store.resource_version() != rv
    }

    fn play_pod(&mut self, pod: &Pod) {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            if self.auto_remove {
                let _ = self.world.store.delete::<Pod>(&ns, &name, None, None);
            }
            return;
        }
        let bound = !node_name(pod).is_empty();
        if !bound
            && self.binder == Binder::Bench
            && let Some(node) = target(pod)
            && self.world.store.get::<Node>("", &node).is_some()
        {
            self.edit_pod(&name, |p| {
                p.spec.get_or_insert_with(Default::default).node_name = Some(node.clone());
            });
        }
        let Some(pod) = self.world.store.get::<Pod>(&ns, &name).cloned() else {
            return;
        };
        if node_name(&pod).is_empty() || phase(&pod) != "Pending" && !self.not_ready.contains(&name)
        {
            return;
        }
        let ready = !self.not_ready.contains(&name) && !image(&pod).contains("unready");
        if self.auto_start || self.not_ready.contains(&name) {
            self.set_running(&name, ready);
        }
    }

    pub fn edit_pod(&mut self, name: &str, f: impl FnOnce(&mut Pod)) {
        self.world
            .store
            .modify::<Pod>(NS, name, f)
            .expect("modify pod");
    }

    /// Phase Running with Ready set as asked (transition time now if it flips).
    pub fn set_running(&mut self, name: &str, ready: bool) {
        let now = Time(self.now());
        self.edit_pod(name, |p| {
            let status = p.status.get_or_insert_with(Default::default);
            status.phase = Some("Running".into());
            set_ready_condition(status.conditions.get_or_insert_with(Vec::new), ready, now);
        });
    }

    /// The pod's containers exited with an error and will not restart.
    pub fn set_failed(&mut self, name: &str) {
        let now = Time(self.now());
        self.edit_pod(name, |p| {
            let status = p.status.get_or_insert_with(Default::default);
            status.phase = Some("Failed".into());
            set_ready_condition(status.conditions.get_or_insert_with(Vec::new), false, now);
        });
    }

    pub fn set_succeeded(&mut self, name: &str) {
        let now = Time(self.now());
        self.edit_pod(name, |p| {
            let status = p.status.get_or_insert_with(Default::default);
            status.phase = Some("Succeeded".into());
            set_ready_condition(status.conditions.get_or_insert_with(Vec::new), false, now);
        });
    }

    /// Starts every bound Pending pod (Running; Ready unless its image says `unready`).
    pub fn start_pending(&mut self) {
        let pending: Vec<Arc<Pod>> = self
            .world
            .store
            .table::<Pod>()
            .values()
            .filter(|p| !node_name(p).is_empty() && phase(p) == "Pending")
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .cloned()
            .collect();
        for p in pending {
            let name = p.metadata.name.clone().unwrap_or_default();
            let ready = !image(&p).contains("unready") && !self.not_ready.contains(&name);
            self.set_running(&name, ready);
        }
    }

    /// Removes terminating pods, as the kubelet does once their containers stopped.
    pub fn remove_terminating(&mut self) {
        let doomed: Vec<Arc<Pod>> = self
            .world
            .store
            .table::<Pod>()
            .values()
            .filter(|p| p.metadata.deletion_timestamp.is_some())
            .cloned()
            .collect();
        for p in doomed {
            let ns = p.metadata.namespace.clone().unwrap_or_default();
            let name = p.metadata.name.clone().unwrap_or_default();
            let _ = self.world.store.delete::<Pod>(&ns, &name, None, None);
        }
    }

    /// Desired nodes without a live Ready pod of `ds`.
    pub fn nodes_without_ready_pod(&self, ds: &str) -> usize {
        let by_node = self.pods_by_node(ds);
        let desired = self.status(ds).desired_number_scheduled;
        let covered = by_node
            .values()
            .filter(|pods| {
                pods.iter()
                    .any(|p| p.metadata.deletion_timestamp.is_none() && is_ready(p))
            })
            .count();
        usize::try_from(desired)
            .unwrap_or(0)
            .saturating_sub(covered)
    }

    /// Keeps a pod NotReady from now on.
    pub fn pin_not_ready(&mut self, name: &str) {
        self.not_ready.insert(name.to_string());
        self.set_running(name, false);
    }

    pub fn unpin(&mut self, name: &str) {
        self.not_ready.remove(name);
    }

    /// The DaemonSet's pods grouped by node name (terminating ones included).
    pub fn pods_by_node(&self, ds: &str) -> std::collections::BTreeMap<String, Vec<Arc<Pod>>> {
        let mut m: std::collections::BTreeMap<String, Vec<Arc<Pod>>> = Default::default();
        for p in self.pods(ds) {
            m.entry(target(&p).unwrap_or_default()).or_default().push(p);
        }
        m
    }

    /// The Warning/Normal events with `reason` about any object, oldest first (count expanded).
    pub fn events(&self, reason: &str) -> Vec<k8s_openapi::api::core::v1::Event> {
        self.world
            .store
            .table::<k8s_openapi::api::core::v1::Event>()
            .values()
            .filter(|e| e.reason.as_deref() == Some(reason))
            .map(|e| e.as_ref().clone())
            .collect()
    }
}

fn set_ready_condition(conds: &mut Vec<PodCondition>, ready: bool, now: Time) {
    let want = if ready { "True" } else { "False" };
    match conds.iter_mut().find(|c| c.type_ == "Ready") {
        Some(c) if c.status == want => {}
        Some(c) => {
            c.status = want.into();
            c.last_transition_time = Some(now);
        }
        None => conds.push(PodCondition {
            type_: "Ready".into(),
            status: want.into(),
            last_transition_time: Some(now),
            ..Default::default()
        }),
    }
}

pub fn node_name(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default()
}

pub fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

fn image(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
        .to_lowercase()
}

/// The node a pod is bound or pinned to.
pub fn target(pod: &Pod) -> Option<String> {
    let n = node_name(pod);
    if !n.is_empty() {
        return Some(n);
    }
    let v = serde_json::to_value(pod).ok()?;
    v.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0")
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn label(pod: &Pod, key: &str) -> Option<String> {
    pod.metadata.labels.as_ref()?.get(key).cloned()
}

pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// A DaemonSet manifest `name` selecting `app=<name>`, with `extra` merged into its spec.
pub fn daemonset(name: &str, image: &str, extra_spec: Value) -> Value {
    let mut v = json!({
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]}
            }
        }
    });
    merge(&mut v["spec"], extra_spec);
    v
}

/// JSON merge patch (RFC 7386) of `patch` into `target`.
pub fn merge(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(map) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in map {
                if v.is_null() {
                    if let Some(o) = target.as_object_mut() {
                        o.remove(&k);
                    }
                } else {
                    merge(&mut target[&k], v);
                }
            }
        }
        other => *target = other,
    }
}
