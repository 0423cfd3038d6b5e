//! What the API server does to an object before storing it: request checks (namespace and name
//! against the URL, the namespace exists), defaulting, validation and the generation bookkeeping
//! of each kind. The main resource keeps the stored status; the `status` subresource keeps the
//! stored spec.

pub mod annotations;
pub mod daemonset;
pub mod labels;
mod pod_status;
pub mod resources;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    Event, Namespace, NamespaceSpec, NamespaceStatus, Node, Pod, PodStatus,
};

use super::kinds::Object;
use super::store::Store;

/// Why a write was refused; the API maps each to its status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// 404: a namespaced object for a namespace that does not exist.
    #[error("namespaces \"{0}\" not found")]
    NamespaceNotFound(String),
    /// 400: the request contradicts itself (body against URL).
    #[error("{0}")]
    BadRequest(String),
    /// 422: the object is not valid ("X \"name\" is invalid: field: reason").
    #[error("{0}")]
    Invalid(String),
    /// 422 with the field errors one by one, as upstream's `errors.NewInvalid` puts them in
    /// the Status's `details.causes` (kubectl prints each as `field: body`).
    #[error("{message}")]
    InvalidFields { message: String, causes: Vec<Cause> },
}

/// One field error of a refused object: its type (`FieldValueInvalid`, `FieldValueRequired`…),
/// its path and its body (`Invalid value: 0: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub kind: &'static str,
    pub field: String,
    pub body: String,
}

/// The namespace and name the request URL names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Per-kind hooks. Kinds without a `status` subresource keep the no-op status methods.
pub trait Admit: Object + PartialEq {
    fn on_create(&mut self) -> Result<(), Rejection> {
        Ok(())
    }
    fn on_update(_old: &Self, _new: &mut Self, _status_only: bool) -> Result<(), Rejection> {
        Ok(())
    }
    /// Main-resource writes: the status stays as stored.
    fn keep_status(_old: &Self, _new: &mut Self) {}
    /// Status-subresource writes: the spec stays as stored.
    fn keep_spec(_old: &Self, _new: &mut Self) {}
}

/// `DaemonSet.apps`, `Pod`: the kind as upstream's `errors.NewInvalid` names it.
fn qualified_kind<K: Object>() -> String {
    let info = K::SIM_KIND.info();
    if info.group.is_empty() {
        info.kind.to_string()
    } else {
        format!("{}.{}", info.kind, info.group)
    }
}

/// The field errors as upstream's aggregate prints them: `field: body`, and `[a, b]` when
/// there are several.
pub fn aggregate(causes: &[Cause]) -> String {
    let texts: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.body))
        .collect();
    if texts.len() == 1 {
        texts.join("")
    } else {
        format!("[{}]", texts.join(", "))
    }
}

/// A 422 for `causes` on the object named `name`.
fn invalid<K: Object>(name: &str, causes: Vec<Cause>) -> Rejection {
    Rejection::InvalidFields {
        message: format!(
            "{} {name:?} is invalid: {}",
            qualified_kind::<K>(),
            aggregate(&causes)
        ),
        causes,
    }
}

/// The checks every kind's metadata gets (upstream `ValidateObjectMeta`): its labels and
/// annotations.
fn check_meta<K: Object>(obj: &K) -> Result<(), Rejection> {
    let meta = obj.metadata();
    let mut causes = labels::validate(meta.labels.as_ref(), "metadata.labels");
    causes.extend(annotations::validate(meta.annotations.as_ref()));
    if causes.is_empty() {
        return Ok(());
    }
    let name = meta
        .name
        .as_deref()
        .or(meta.generate_name.as_deref())
        .unwrap_or("");
    Err(invalid::<K>(name, causes))
}

/// Checks and defaults an object about to be created through the API.
pub fn admit_create<K: Admit>(
    store: &Store,
    target: Target<'_>,
    obj: &mut K,
) -> Result<(), Rejection> {
    check_namespace(store, target, obj)?;
    let meta = obj.metadata_mut();
    meta.resource_version = None;
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    match meta.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => check_name(K::SIM_KIND.info().kind, name, "metadata.name")?,
        None => {
            let prefix = meta.generate_name.clone().unwrap_or_default();
            if !prefix.is_empty() {
                check_name(
                    K::SIM_KIND.info().kind,
                    &format!("{prefix}x"),
                    "metadata.generateName",
                )?;
            }
        }
    }
    check_meta(obj)?;
    obj.on_create()
}

/// Checks and prepares a replacement of `old` by `new` (PUT or the result of a PATCH).
pub fn admit_update<K: Admit>(
    store: &Store,
    target: Target<'_>,
    old: &K,
    new: &mut K,
    status_only: bool,
) -> Result<(), Rejection> {
    let url_name = target.name.unwrap_or("");
    let meta = new.metadata_mut();
    match meta.name.as_deref() {
        None | Some("") => meta.name = Some(url_name.to_string()),
        Some(name) if name != url_name => {
            return Err(Rejection::BadRequest(format!(
                "the name of the object ({name}) does not match the name on the URL ({url_name})"
            )));
        }
        Some(_) => {}
    }
    check_namespace(store, target, new)?;
    // A uid sent must be the object's own (upstream `ValidateObjectMetaUpdate`: immutable);
    // none sent keeps it, as upstream's `BeforeUpdate` does.
    let (old_uid, new_uid) = (old.metadata().uid.clone(), new.metadata().uid.clone());
    match new_uid.as_deref() {
        None | Some("") => new.metadata_mut().uid = old_uid,
        Some(uid) if Some(uid) != old_uid.as_deref() => {
            let cause = Cause {
                kind: "FieldValueInvalid",
                field: "metadata.uid".into(),
                body: format!("Invalid value: {uid:?}: field is immutable"),
            };
            return Err(invalid::<K>(url_name, vec![cause]));
        }
        Some(_) => {}
    }
    check_meta(new)?;
    // Fields only the server sets survive whatever the client sent.
    let (old_meta, meta) = (old.metadata(), new.metadata_mut());
    meta.deletion_timestamp = old_meta.deletion_timestamp.clone();
    meta.deletion_grace_period_seconds = old_meta.deletion_grace_period_seconds;
    meta.generation = old_meta.generation;
    if status_only {
        K::keep_spec(old, new);
    } else {
        K::keep_status(old, new);
    }
    K::on_update(old, new, status_only)
}

/// The body's namespace must agree with the URL's, and must exist for namespaced kinds.
fn check_namespace<K: Object>(
    store: &Store,
    target: Target<'_>,
    obj: &mut K,
) -> Result<(), Rejection> {
    let meta = obj.metadata_mut();
    if !K::SIM_KIND.info().namespaced {
        meta.namespace = None;
        return Ok(());
    }
    let url_ns = target.namespace.unwrap_or("");
    match meta.namespace.as_deref() {
        None | Some("") => meta.namespace = Some(url_ns.to_string()),
        Some(ns) if ns != url_ns => {
            return Err(Rejection::BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
        Some(_) => {}
    }
    if store.get::<Namespace>("", url_ns).is_none() {
        return Err(Rejection::NamespaceNotFound(url_ns.to_string()));
    }
    Ok(())
}

/// Object names are RFC 1123 subdomains: lowercase alphanumerics, '-' and '.', at most 253.
fn check_name(kind: &str, name: &str, field: &str) -> Result<(), Rejection> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ok_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok_chars && ok_ends && name.len() <= 253 {
        return Ok(());
    }
    let body = format!(
        "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    );
    Err(Rejection::InvalidFields {
        message: format!("{kind} \"{name}\" is invalid: {field}: {body}"),
        causes: vec![Cause {
            kind: "FieldValueInvalid",
            field: field.to_string(),
            body,
        }],
    })
}

/// The defaults the API server gives every pod (also useful to controllers creating pods).
pub fn default_pod(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.restart_policy.get_or_insert_with(|| "Always".into());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".into());
    spec.security_context.get_or_insert_with(Default::default);
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for c in containers {
        c.termination_message_path
            .get_or_insert_with(|| "/dev/termination-log".into());
        c.termination_message_policy
            .get_or_insert_with(|| "File".into());
        let image = c.image.as_deref().unwrap_or("");
        let tag = image
            .rsplit('/')
            .next()
            .and_then(|last| last.split_once(':'))
            .map(|(_, t)| t);
        let latest = !image.contains('@') && matches!(tag, None | Some("latest"));
        c.image_pull_policy
            .get_or_insert_with(|| if latest { "Always" } else { "IfNotPresent" }.into());
    }
}

fn validate_pod(pod: &Pod) -> Result<(), Rejection> {
    let name = pod
        .metadata
        .name
        .as_deref()
        .or(pod.metadata.generate_name.as_deref())
        .unwrap_or("");
    let invalid = |cause: String| Rejection::Invalid(format!("Pod \"{name}\" is invalid: {cause}"));
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[]);
    if containers.is_empty() {
        return Err(invalid("spec.containers: Required value".into()));
    }
    for (i, c) in containers.iter().enumerate() {
        if c.name.is_empty() {
            return Err(invalid(format!(
                "spec.containers[{i}].name: Required value"
            )));
        }
        if c.image.as_deref().unwrap_or("").is_empty() {
            return Err(invalid(format!(
                "spec.containers[{i}].image: Required value"
            )));
        }
    }
    let negative = resources::negative(containers, "spec.containers");
    if !negative.is_empty() {
        return Err(self::invalid::<Pod>(name, negative));
    }
    Ok(())
}

macro_rules! status_kind {
    ($ty:ty) => {
        fn keep_status(old: &Self, new: &mut Self) {
            new.status = old.status.clone();
        }
        fn keep_spec(old: &Self, new: &mut Self) {
            new.spec = old.spec.clone();
        }
    };
}

impl Admit for Pod {
    fn on_create(&mut self) -> Result<(), Rejection> {
        default_pod(self);
        validate_pod(self)?;
        self.status = Some(PodStatus {
            phase: Some("Pending".into()),
            ..Default::default()
        });
        Ok(())
    }
    fn on_update(old: &Self, new: &mut Self, status_only: bool) -> Result<(), Rejection> {
        let causes = if status_only {
            pod_status::state_transition_causes(old, new)
        } else {
            Vec::new()
        };
        if causes.is_empty() {
            return Ok(());
        }
        let name = new.metadata.name.clone().unwrap_or_default();
        Err(invalid::<Pod>(&name, causes))
    }
    status_kind!(Pod);
}

impl Admit for Node {
    status_kind!(Node);
}

impl Admit for Namespace {
    fn on_create(&mut self) -> Result<(), Rejection> {
        // Every namespace carries its own name as a label (upstream's namespace strategy,
        // kubernetes/pkg/registry/core/namespace/strategy.go), so selectors can pick it.
        if let Some(name) = self.metadata.name.clone() {
            self.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("kubernetes.io/metadata.name".into(), name);
        }
        self.spec = Some(NamespaceSpec {
            finalizers: Some(vec!["kubernetes".into()]),
        });
        self.status = Some(NamespaceStatus {
            phase: Some("Active".into()),
            ..Default::default()
        });
        Ok(())
    }
    status_kind!(Namespace);
}

impl Admit for DaemonSet {
    fn on_create(&mut self) -> Result<(), Rejection> {
        daemonset::admit_create(self).map_err(daemonset::Invalid::into_rejection)
    }
    fn on_update(old: &Self, new: &mut Self, status_only: bool) -> Result<(), Rejection> {
        daemonset::admit_update(old, new, status_only).map_err(daemonset::Invalid::into_rejection)
    }
    status_kind!(DaemonSet);
}

impl Admit for ControllerRevision {}
impl Admit for Event {}
impl Admit for Lease {}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use k8s_openapi::api::core::v1::{Container, PodSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn pod(ns: Option<&str>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: ns.map(Into::into),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    image: Some("nginx:1.27".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn store_with_default() -> Store {
        let mut s = Store::new(1);
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        s.create(ns, Timestamp::UNIX_EPOCH).expect("ns");
        s
    }

    #[test]
    fn pod_create_defaults_and_checks_namespace() {
        let store = store_with_default();
        let target = Target {
            namespace: Some("default"),
            name: None,
        };
        let mut p = pod(None);
        admit_create(&store, target, &mut p).expect("admitted");
        let spec = p.spec.as_ref().expect("spec");
        assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
        assert_eq!(
            spec.containers[0].image_pull_policy.as_deref(),
            Some("IfNotPresent")
        );
        assert_eq!(p.metadata.namespace.as_deref(), Some("default"));
        let mut other = pod(Some("elsewhere"));
        assert!(matches!(
            admit_create(&store, target, &mut other),
            Err(Rejection::BadRequest(_))
        ));
        let missing = Target {
            namespace: Some("nope"),
            name: None,
        };
        assert_eq!(
            admit_create(&store, missing, &mut pod(None)),
            Err(Rejection::NamespaceNotFound("nope".into()))
        );
    }

    #[test]
    fn update_keeps_status_or_spec_and_checks_name() {
        let store = store_with_default();
        let target = Target {
            namespace: Some("default"),
            name: Some("p"),
        };
        let mut old = pod(Some("default"));
        old.status = Some(PodStatus {
            phase: Some("Running".into()),
            ..Default::default()
        });
        let mut new = pod(Some("default"));
        new.spec.as_mut().expect("spec").node_name = Some("n1".into());
        admit_update(&store, target, &old, &mut new, false).expect("main");
        assert_eq!(new.status, old.status);
        let mut status_write = pod(Some("default"));
        status_write.spec = None;
        admit_update(&store, target, &old, &mut status_write, true).expect("status");
        assert_eq!(status_write.spec, old.spec);
        let wrong = Target {
            namespace: Some("default"),
            name: Some("q"),
        };
        assert!(matches!(
            admit_update(&store, wrong, &old, &mut pod(None), false),
            Err(Rejection::BadRequest(_))
        ));
    }
}
