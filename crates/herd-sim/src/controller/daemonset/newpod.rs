//! The pod the controller creates for a node: template copy with the automatic tolerations, version
//! labels, owner reference, and affinity pinned to the node. Upstream: `syncNodes` in
//! kubernetes/pkg/controller/daemon/daemon_controller.go, `CreatePodTemplate` and
//! `ReplaceDaemonSetPodNodeNameNodeAffinity` in
//! kubernetes/pkg/controller/daemon/util/daemonset_util.go; docs/SEMANTICS.md#created-pods.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{
    Affinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, PodStatus,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::placement;
use super::podutil::{GENERATION_LABEL, HASH_LABEL};
use super::view::Version;

/// The controller owner reference a DaemonSet puts on its pods and revisions.
pub fn controller_ref(ds: &DaemonSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "DaemonSet".into(),
        name: ds.metadata.name.clone().unwrap_or_default(),
        uid: ds.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `AddOrUpdateTolerationInPodSpec`: if a toleration with the same key, operator, value and
/// effect is already identical, nothing changes; otherwise every such toleration is replaced by
/// the controller's, or it is appended when there is none.
fn add_or_update(tolerations: &mut Vec<Toleration>, wanted: &Toleration) {
    let s = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
    let target = |t: &Toleration| (s(&t.key), s(&t.operator), s(&t.value), s(&t.effect));
    let same = |t: &Toleration| target(t) == target(wanted);
    if tolerations
        .iter()
        .any(|t| same(t) && t.toleration_seconds == wanted.toleration_seconds)
    {
        return;
    }
    let mut replaced = false;
    for t in tolerations.iter_mut().filter(|t| same(t)) {
        *t = wanted.clone();
        replaced = true;
    }
    if !replaced {
        tolerations.push(wanted.clone());
    }
}

/// The template spec with the automatic tolerations merged in (upstream
/// `AddOrUpdateDaemonPodTolerations`; docs/SEMANTICS.md#automatic-tolerations).
pub fn with_daemon_tolerations(spec: &PodSpec) -> PodSpec {
    let mut spec = spec.clone();
    let mut tolerations = spec.tolerations.take().unwrap_or_default();
    for t in placement::automatic_tolerations(spec.host_network.unwrap_or(false)) {
        add_or_update(&mut tolerations, &t);
    }
    spec.tolerations = Some(tolerations);
    spec
}

/// The one required term `metadata.name In [node]`, replacing whatever terms the template had;
/// nodeSelector and preferred terms stay.
fn pin_to_node(affinity: Option<Affinity>, node: &str) -> Affinity {
    let selector = NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec![node.to_string()]),
            }]),
        }],
    };
    let mut affinity = affinity.unwrap_or_default();
    let mut node_affinity = affinity.node_affinity.take().unwrap_or_default();
    node_affinity.required_during_scheduling_ignored_during_execution = Some(selector);
    affinity.node_affinity = Some(node_affinity);
    affinity
}

/// A pod ready to stamp out per node; built once per sync.
#[derive(Debug, Clone)]
pub struct PodFactory {
    base: Pod,
}

impl PodFactory {
    pub fn new(ds: &DaemonSet, version: &Version) -> Self {
        let template = ds.spec.template.clone();
        let meta = template.metadata.unwrap_or_default();
        let mut labels = meta.labels.unwrap_or_default();
        if let Some(g) = version.generation {
            labels.insert(GENERATION_LABEL.into(), g.to_string());
        }
        if !version.hash.is_empty() {
            labels.insert(HASH_LABEL.into(), version.hash.clone());
        }
        let name = ds.metadata.name.as_deref().unwrap_or_default();
        let base = Pod {
            metadata: ObjectMeta {
                namespace: ds.metadata.namespace.clone(),
                generate_name: Some(format!("{name}-")),
                labels: Some(labels),
                annotations: meta.annotations,
                finalizers: meta.finalizers,
                owner_references: Some(vec![controller_ref(ds)]),
                ..Default::default()
            },
            spec: Some(with_daemon_tolerations(&template.spec.unwrap_or_default())),
            // The API server starts every pod Pending.
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                ..Default::default()
            }),
        };
        PodFactory { base }
    }

    pub fn for_node(&self, node: &str) -> Pod {
        let mut pod = self.base.clone();
        if let Some(spec) = pod.spec.as_mut() {
            spec.affinity = Some(pin_to_node(spec.affinity.take(), node));
        }
        pod
    }
}
