//! Conversion of whole API objects into the fleet's slim records (Node, DaemonSet, Pod,
//! ControllerRevision); placement pieces come from `convert`. Converted once, on arrival.

mod pod;

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub use self::pod::pod;
use super::convert::{label_selector, placement_spec, taints};
use herd_core::model::daemonset::{
    ContainerSpec, DaemonSet, HERD_ANNOTATION_PREFIX, IntOrPercent, StatusCounts, StrategyKind,
    Targeting, UpdateStrategy,
};
use herd_core::model::node::{ConditionStatus, Node, Readiness};
use herd_core::model::pod::REVISION_HASH_LABEL;
use herd_core::model::quantity::Quantity;
use herd_core::model::resources::{Capacity, Resources};
use herd_core::model::revision::{CHANGE_CAUSE_ANNOTATION, ControllerRevision};
use herd_core::model::selector::SelectorError;
use herd_core::model::version::ResourceVersion;

/// Annotation carrying a DaemonSet's template generation in apps/v1.
pub const TEMPLATE_GENERATION_ANNOTATION: &str = "deprecated.daemonset.template.generation";

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("DaemonSet {object}: spec.selector cannot be used: {source}")]
    Selector {
        object: String,
        #[source]
        source: SelectorError,
    },
    #[error("DaemonSet {object}: {field} {value:?} is neither a whole number nor a percentage")]
    Budget {
        object: String,
        field: &'static str,
        value: String,
    },
}

pub fn node(node: &api::Node) -> Node {
    let meta = &node.metadata;
    let labels = meta.labels.clone().unwrap_or_default();
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .find(|c| c.type_ == "Ready")
        .map_or_else(Readiness::default, |c| Readiness {
            status: ConditionStatus::parse(&c.status),
            since: time(&c.last_transition_time),
        });
    let allocatable = status.and_then(|s| s.allocatable.as_ref());
    Node {
        name: arc(meta.name.as_deref().unwrap_or_default()),
        pool: Node::pool_from_labels(&labels),
        labels,
        taints: taints(node),
        unschedulable: node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false),
        ready,
        allocatable: Capacity {
            cpu_millis: amount(allocatable, "cpu", true).unwrap_or(0),
            memory_bytes: amount(allocatable, "memory", false).unwrap_or(0),
            pods: amount(allocatable, "pods", false).unwrap_or(0),
        },
        created: time(&meta.creation_timestamp),
    }
}

pub fn daemon_set(ds: &apps::DaemonSet) -> Result<DaemonSet, ConvertError> {
    let meta = &ds.metadata;
    let object = format!(
        "{}/{}",
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    );
    let spec = &ds.spec;
    let selector = label_selector(&spec.selector).map_err(|source| ConvertError::Selector {
        object: object.clone(),
        source,
    })?;
    let template = spec.template.spec.as_ref();
    let annotations = meta.annotations.as_ref();
    Ok(DaemonSet {
        namespace: arc(meta.namespace.as_deref().unwrap_or_default()),
        name: arc(meta.name.as_deref().unwrap_or_default()),
        uid: arc(meta.uid.as_deref().unwrap_or_default()),
        resource_version: meta
            .resource_version
            .as_deref()
            .and_then(ResourceVersion::parse),
        selector,
        targeting: Targeting::new(template.map(placement_spec).unwrap_or_default()),
        containers: template
            .map_or_else(Vec::new, |t| t.containers.iter().map(container).collect()),
        update_strategy: update_strategy(spec.update_strategy.as_ref(), &object)?,
        strategy_manager: strategy_manager(meta),
        min_ready_seconds: spec.min_ready_seconds.map_or(0, i64::from),
        generation: meta.generation.unwrap_or(0),
        observed_generation: ds.status.as_ref().and_then(|s| s.observed_generation),
        template_generation: annotations
            .and_then(|a| a.get(TEMPLATE_GENERATION_ANNOTATION))
            .and_then(|v| v.parse().ok()),
        current_hash: None,
        template_fingerprint: template_fingerprint(&spec.template),
        labels: meta.labels.clone().unwrap_or_default(),
        annotations: annotations
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.starts_with(HERD_ANNOTATION_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        status: status_counts(ds.status.as_ref()),
        created: time(&meta.creation_timestamp),
        deleting: meta.deletion_timestamp.is_some(),
    })
}

pub fn controller_revision(rev: &apps::ControllerRevision) -> ControllerRevision {
    let meta = &rev.metadata;
    let label = |key: &str| {
        meta.labels
            .as_ref()
            .and_then(|l| l.get(key))
            .map(|v| arc(v))
    };
    ControllerRevision {
        namespace: arc(meta.namespace.as_deref().unwrap_or_default()),
        name: arc(meta.name.as_deref().unwrap_or_default()),
        uid: arc(meta.uid.as_deref().unwrap_or_default()),
        owner_uid: controller_uid(meta),
        revision: rev.revision.unwrap_or(0),
        hash: label(REVISION_HASH_LABEL),
        change_cause: meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(CHANGE_CAUSE_ANNOTATION))
            .map(|v| arc(v)),
        created: time(&meta.creation_timestamp),
        template_fingerprint: revision_template(rev)
            .as_ref()
            .and_then(template_fingerprint),
    }
}

/// The pod template a DaemonSet's ControllerRevision holds: its data is the strategic-merge
/// patch `{"spec":{"template":{…,"$patch":"replace"}}}` (upstream `getPatch` in
/// kubernetes/pkg/controller/daemon/update.go).
fn revision_template(rev: &apps::ControllerRevision) -> Option<api::PodTemplateSpec> {
    let mut template = rev.data.0.get("spec")?.get("template")?.clone();
    if let Some(fields) = template.as_object_mut() {
        fields.remove("$patch");
    }
    serde_json::from_value(template).ok()
}

/// A fingerprint of a pod template, equal for a DaemonSet and the revision holding its
/// template: both are read into the same typed template and written out again, so field
/// order and absent fields cannot make equal templates differ.
fn template_fingerprint(template: &api::PodTemplateSpec) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let text = serde_json::to_string(template).ok()?;
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    Some(hasher.finish())
}

fn container(c: &api::Container) -> ContainerSpec {
    let (requests, limits) = resources(c.resources.as_ref());
    ContainerSpec {
        name: arc(&c.name),
        image: arc(c.image.as_deref().unwrap_or_default()),
        requests,
        limits,
    }
}

fn update_strategy(
    strategy: Option<&apps::DaemonSetUpdateStrategy>,
    object: &str,
) -> Result<UpdateStrategy, ConvertError> {
    let Some(strategy) = strategy else {
        return Ok(UpdateStrategy::default());
    };
    if strategy.type_.as_deref() == Some("OnDelete") {
        return Ok(UpdateStrategy {
            kind: StrategyKind::OnDelete,
            max_unavailable: None,
            max_surge: None,
        });
    }
    let rolling = strategy.rolling_update.as_ref();
    let budget = |field: &'static str, value: Option<&IntOrString>| match value {
        None => Ok(None),
        Some(IntOrString::Int(n)) => Ok(Some(IntOrPercent::Int(i64::from(*n)))),
        Some(IntOrString::String(s)) => {
            IntOrPercent::parse(s)
                .map(Some)
                .ok_or_else(|| ConvertError::Budget {
                    object: object.to_owned(),
                    field,
                    value: s.clone(),
                })
        }
    };
    Ok(UpdateStrategy {
        kind: StrategyKind::RollingUpdate,
        max_unavailable: budget(
            "maxUnavailable",
            rolling.and_then(|r| r.max_unavailable.as_ref()),
        )?,
        max_surge: budget("maxSurge", rolling.and_then(|r| r.max_surge.as_ref()))?,
    })
}

fn status_counts(status: Option<&apps::DaemonSetStatus>) -> StatusCounts {
    let Some(s) = status else {
        return StatusCounts::default();
    };
    let count = |v: i32| u32::try_from(v).unwrap_or(0);
    StatusCounts {
        desired: count(s.desired_number_scheduled),
        current: count(s.current_number_scheduled),
        ready: count(s.number_ready),
        updated: count(s.updated_number_scheduled.unwrap_or(0)),
        available: count(s.number_available.unwrap_or(0)),
        misscheduled: count(s.number_misscheduled),
        unavailable: count(s.number_unavailable.unwrap_or(0)),
    }
}

/// Requests and limits of a container; unparsable quantities count as unset.
pub(crate) fn resources(r: Option<&api::ResourceRequirements>) -> (Resources, Resources) {
    let of = |list: Option<&BTreeMap<String, ApiQuantity>>| Resources {
        cpu_millis: amount(list, "cpu", true),
        memory_bytes: amount(list, "memory", false),
    };
    (
        of(r.and_then(|r| r.requests.as_ref())),
        of(r.and_then(|r| r.limits.as_ref())),
    )
}

/// A quantity from a resource list: millis for CPU, whole units (rounded up) otherwise.
fn amount(list: Option<&BTreeMap<String, ApiQuantity>>, key: &str, millis: bool) -> Option<i64> {
    let q = Quantity::parse(&list?.get(key)?.0).ok()?;
    Some(if millis { q.millis() } else { q.value() })
}

/// The uid of the controller ownerReference.
pub(crate) fn controller_uid(meta: &meta::ObjectMeta) -> Option<Arc<str>> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| arc(&o.uid))
}

/// The manager whose `managedFields` entry most recently took `spec.updateStrategy` (the
/// server moves a field to whoever last changed it). Entries without a time sort first.
fn strategy_manager(meta: &meta::ObjectMeta) -> Option<Arc<str>> {
    meta.managed_fields
        .iter()
        .flatten()
        .filter(|entry| {
            entry
                .fields_v1
                .as_ref()
                .and_then(|f| f.0.get("f:spec"))
                .and_then(|spec| spec.get("f:updateStrategy"))
                .is_some()
        })
        .max_by_key(|entry| entry.time.as_ref().map(|t| t.0))
        .and_then(|entry| entry.manager.as_deref())
        .map(arc)
}

pub(crate) fn time(t: &Option<meta::Time>) -> Option<Timestamp> {
    t.as_ref().map(|t| t.0)
}

pub(crate) fn arc(s: &str) -> Arc<str> {
    Arc::from(s)
}

#[cfg(test)]
mod tests;
