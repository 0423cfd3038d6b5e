//! The Pod as herd's watch decodes it: only the fields the slim record reads, straight from
//! the API's JSON; everything else (managedFields, annotations, env, volumes, …) is skipped
//! unread, so a 150,000-pod list costs a few small allocations per pod instead of a whole
//! k8s-openapi `Pod` each.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use herd_core::model::pod::{PodPhase, REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL};
use herd_core::model::quantity::Quantity;
use herd_core::model::resources::Resources;

/// A core/v1 Pod reduced to what `records::pod` reads.
///
/// `metadata` holds only name, namespace, uid, resourceVersion, the timestamps, the two labels
/// herd reads (revision hash, template generation) and the controller ownerReference (its uid
/// and `controller: true`): what kube-runtime's watcher needs (resourceVersion, name) and what
/// the conversion needs, nothing else.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Pod {
    #[serde(default, deserialize_with = "lean_metadata")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<PodSpec>,
    #[serde(default)]
    pub status: Option<PodStatus>,
}

// Lets kube's blanket `impl Resource for K: k8s_openapi::Resource + Metadata` apply, so the
// watcher (list pages, watch, 410 re-list, bookmarks) treats it as the real Pod.
impl k8s_openapi::Resource for Pod {
    const API_VERSION: &'static str = "v1";
    const GROUP: &'static str = "";
    const KIND: &'static str = "Pod";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "pods";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::Metadata for Pod {
    type Ty = ObjectMeta;
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default)]
    pub affinity: Option<Affinity>,
    #[serde(default, deserialize_with = "nullable")]
    pub containers: Vec<Container>,
}

impl PodSpec {
    /// As `convert::affinity_target_node`: the first required `matchFields metadata.name In`
    /// requirement decides; one not naming exactly one node means no target.
    pub fn affinity_target_node(&self) -> Option<&str> {
        let required = self
            .affinity
            .as_ref()?
            .node_affinity
            .as_ref()?
            .required
            .as_ref()?;
        let requirement = required
            .node_selector_terms
            .iter()
            .flat_map(|t| &t.match_fields)
            .find(|r| r.names_node)?;
        match requirement.values.as_slice() {
            [node] => Some(node),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Affinity {
    #[serde(default)]
    pub node_affinity: Option<NodeAffinity>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct NodeAffinity {
    #[serde(default, rename = "requiredDuringSchedulingIgnoredDuringExecution")]
    pub required: Option<NodeSelector>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelector {
    #[serde(default, deserialize_with = "nullable")]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelectorTerm {
    #[serde(default, deserialize_with = "nullable")]
    pub match_fields: Vec<FieldRequirement>,
}

/// A `matchFields` requirement, reduced to whether it is `metadata.name In` and its values.
#[derive(Clone, Debug, Default)]
pub struct FieldRequirement {
    pub names_node: bool,
    pub values: Vec<String>,
}

impl<'de> Deserialize<'de> for FieldRequirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default, deserialize_with = "is_metadata_name")]
            key: bool,
            #[serde(default, deserialize_with = "is_in")]
            operator: bool,
            #[serde(default, deserialize_with = "nullable")]
            values: Vec<String>,
        }
        let w = Wire::deserialize(d)?;
        Ok(FieldRequirement {
            names_node: w.key && w.operator,
            values: w.values,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub resources: Option<Requirements>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Requirements {
    #[serde(default)]
    pub requests: Option<Amounts>,
    #[serde(default)]
    pub limits: Option<Amounts>,
}

/// The cpu and memory entries of a resource list (other resources are skipped).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Amounts {
    #[serde(default)]
    pub cpu: Option<Amount>,
    #[serde(default)]
    pub memory: Option<Amount>,
}

impl Amounts {
    /// Millis for CPU, whole units (rounded up) for memory; unparsable counts as unset.
    pub fn resources(&self) -> Resources {
        Resources {
            cpu_millis: self.cpu.and_then(|a| a.0).map(|q| q.millis()),
            memory_bytes: self.memory.and_then(|a| a.0).map(|q| q.value()),
        }
    }
}

/// A quantity string parsed while decoding (no copy of the text); None when unparsable or not
/// a string, the way herd treats a quantity it cannot read: as unset.
#[derive(Clone, Copy, Debug, Default)]
pub struct Amount(pub Option<Quantity>);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Amount, E> {
                Ok(Amount(Quantity::parse(s).ok()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Amount, E> {
                Ok(Amount(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Amount, E> {
                Ok(Amount(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Amount, E> {
                Ok(Amount(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Amount, E> {
                Ok(Amount(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Amount, E> {
                Ok(Amount(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default, deserialize_with = "phase")]
    pub phase: Option<PodPhase>,
    #[serde(default, deserialize_with = "nullable")]
    pub conditions: Vec<Condition>,
    #[serde(default, deserialize_with = "nullable")]
    pub container_statuses: Vec<ContainerStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub init_container_statuses: Vec<ContainerStatus>,
}

/// A pod condition; only Ready and PodScheduled are read, by type.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default, rename = "type")]
    pub type_: ConditionType,
    #[serde(default)]
    pub status: ConditionStatus,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub last_transition_time: Option<Time>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum ConditionType {
    Ready,
    PodScheduled,
    #[default]
    #[serde(other)]
    Other,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum ConditionStatus {
    True,
    False,
    #[default]
    #[serde(other)]
    Other,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub state: Option<ContainerState>,
    #[serde(default)]
    pub last_state: Option<ContainerState>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ContainerState {
    #[serde(default)]
    pub waiting: Option<Reason>,
    #[serde(default)]
    pub terminated: Option<Reason>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    #[serde(default)]
    pub reason: Option<String>,
    /// Set on a terminated state: when the container exited.
    #[serde(default)]
    pub finished_at: Option<Time>,
}

/// `metadata` with only the kept fields (see [`Pod`]).
fn lean_metadata<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Wire {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default)]
        uid: Option<String>,
        #[serde(default)]
        resource_version: Option<String>,
        #[serde(default)]
        creation_timestamp: Option<Time>,
        #[serde(default)]
        deletion_timestamp: Option<Time>,
        #[serde(default)]
        labels: Option<KeptLabels>,
        #[serde(default, deserialize_with = "nullable")]
        owner_references: Vec<OwnerWire>,
    }
    #[derive(Deserialize)]
    struct OwnerWire {
        #[serde(default)]
        uid: String,
        #[serde(default)]
        controller: Option<bool>,
    }
    let Some(w) = Option::<Wire>::deserialize(d)? else {
        return Ok(ObjectMeta::default());
    };
    let controller = w
        .owner_references
        .into_iter()
        .find(|o| o.controller == Some(true))
        .map(|o| OwnerReference {
            uid: o.uid,
            controller: Some(true),
            ..OwnerReference::default()
        });
    Ok(ObjectMeta {
        name: w.name,
        namespace: w.namespace,
        uid: w.uid,
        resource_version: w.resource_version,
        creation_timestamp: w.creation_timestamp,
        deletion_timestamp: w.deletion_timestamp,
        labels: w.labels.map(|l| l.0),
        owner_references: controller.map(|c| vec![c]),
        ..ObjectMeta::default()
    })
}

/// A pod's labels, keeping only the two herd reads; the others are skipped without a copy.
struct KeptLabels(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for KeptLabels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeptLabels;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of labels")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeptLabels, A::Error> {
                let mut kept = BTreeMap::new();
                while let Some(key) = map.next_key::<LabelKey>()? {
                    match key.0 {
                        Some(name) => {
                            kept.insert(name.to_owned(), map.next_value()?);
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(KeptLabels(kept))
            }
        }
        d.deserialize_map(V)
    }
}

/// A label key: which of the kept labels it is, if any.
struct LabelKey(Option<&'static str>);

impl<'de> Deserialize<'de> for LabelKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LabelKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a label key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<LabelKey, E> {
                Ok(LabelKey(
                    [REVISION_HASH_LABEL, TEMPLATE_GENERATION_LABEL]
                        .into_iter()
                        .find(|k| *k == s),
                ))
            }
        }
        d.deserialize_str(V)
    }
}

/// Whether a string field equals `want`, read without a copy.
struct Equals(&'static str);

impl Visitor<'_> for Equals {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        Ok(s == self.0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

fn is_metadata_name<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(Equals("metadata.name"))
}

fn is_in<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(Equals("In"))
}

/// A pod phase read without a copy; absent or null stays None (upstream's "Pending").
fn phase<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PodPhase>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<PodPhase>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a pod phase")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(PodPhase::parse(s)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// A list that may be null or absent: empty then (as k8s-openapi's `Option<Vec>` read).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
