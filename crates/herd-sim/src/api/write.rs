//! Writes: create (POST), replace (PUT), patch (PATCH) and delete, each through admission and
//! the store under one hold of the world lock, so a refused request changes nothing.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{DeleteOptions, Time};
use serde_json::{Value, json};

use super::params::Params;
use super::patch;
use super::protobuf;
use super::route::ResourcePath;
use super::status::ApiError;
use super::table::Encoding;
use super::{ApiState, Verb};
use crate::admission::{self, Admit, Rejection, Target};
use crate::kinds::{KindInfo, Object};
use crate::managed_fields::{self, Subresource, Writer};
use crate::pods;
use crate::{Kind, World};

/// What one write request carries besides its path.
pub struct WriteRequest<'a> {
    pub path: &'a ResourcePath,
    pub params: &'a Params,
    pub content_type: Option<&'a str>,
    /// Names the field manager when the `fieldManager` parameter does not.
    pub user_agent: Option<&'a str>,
    pub body: &'a [u8],
    /// What the Accept header asked the answer in.
    pub encoding: Encoding,
}

impl WriteRequest<'_> {
    fn target(&self) -> Target<'_> {
        Target {
            namespace: self.path.namespace.as_deref(),
            name: self.path.name.as_deref(),
        }
    }

    fn name(&self) -> &str {
        self.path.name.as_deref().unwrap_or("")
    }

    fn namespace(&self) -> &str {
        self.path.namespace.as_deref().unwrap_or("")
    }

    /// The field manager this create, update or patch is recorded under; an unusable
    /// `fieldManager` is a 422 naming the options kind, as upstream.
    fn manager(&self, verb: Verb) -> Result<String, ApiError> {
        managed_fields::manager_name(self.params.field_manager.as_deref(), self.user_agent).map_err(
            |why| {
                let options = match verb {
                    Verb::Create => "CreateOptions",
                    Verb::Patch => "PatchOptions",
                    _ => "UpdateOptions",
                };
                ApiError::new(
                    422,
                    "Invalid",
                    format!("{options}.meta.k8s.io \"\" is invalid: {why}"),
                )
            },
        )
    }

    fn status_only(&self) -> Result<bool, ApiError> {
        match self.path.subresource.as_deref() {
            None => Ok(false),
            Some("status") => Ok(true),
            Some(_) => Err(ApiError::unknown_resource()),
        }
    }
}

fn rejected(info: &KindInfo, name: &str, rejection: Rejection) -> ApiError {
    match rejection {
        Rejection::NamespaceNotFound(ns) => ApiError::namespace_not_found(&ns),
        Rejection::BadRequest(message) => ApiError::bad_request(message),
        Rejection::Invalid(message) => ApiError::invalid(info, name, message),
        Rejection::InvalidFields { message, causes } => {
            ApiError::invalid_fields(info, name, message, &causes)
        }
    }
}

fn object_response<K: Object>(
    code: StatusCode,
    object: &K,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    let internal = |e: &dyn std::fmt::Display| ApiError::internal(e.to_string());
    let body = match encoding {
        Encoding::Protobuf => {
            let value = serde_json::to_value(object).map_err(|e| internal(&e))?;
            protobuf::object_bytes(&value).map_err(|e| internal(&e))?
        }
        _ => serde_json::to_vec(object).map_err(|e| internal(&e))?,
    };
    Ok(encoding.response(code, body))
}

/// The body formats a create or replace is read in, for every kind.
const BODY_TYPES: [&str; 3] = ["application/json", "application/yaml", protobuf::MEDIA_TYPE];

/// The request body as JSON, from JSON (the default), YAML or protobuf; any other content type
/// is a 415.
fn body_value(
    content_type: Option<&str>,
    body: &[u8],
    api_version: &str,
    kind: &str,
) -> Result<Value, ApiError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let decoding = |e: &dyn std::fmt::Display| {
        ApiError::bad_request(format!("error decoding request body as {kind}: {e}"))
    };
    match media.as_deref() {
        None | Some("") | Some("application/json") => {
            serde_json::from_slice(body).map_err(|e| decoding(&e))
        }
        Some("application/yaml") => {
            let text = std::str::from_utf8(body).map_err(|e| decoding(&e))?;
            serde_saphyr::from_str(text).map_err(|e| decoding(&e))
        }
        Some(protobuf::MEDIA_TYPE) => {
            protobuf::to_json(body, api_version, kind).map_err(|e| decoding(&e))
        }
        Some(_) => Err(ApiError::unsupported_body(&BODY_TYPES)),
    }
}

/// Decodes a request body as `K`, with upstream's 400 wording for JSON and type mismatches.
fn decode<K: Object>(content_type: Option<&str>, body: &[u8]) -> Result<K, ApiError> {
    let info = K::SIM_KIND.info();
    let value = body_value(content_type, body, &info.api_version(), info.kind)?;
    if let Some(kind) = value.get("kind").and_then(Value::as_str)
        && kind != info.kind
    {
        return Err(ApiError::bad_request(format!(
            "the body names kind \"{kind}\" but this endpoint serves \"{}\"",
            info.kind
        )));
    }
    if let Some(version) = value.get("apiVersion").and_then(Value::as_str)
        && version != info.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({version}) does not match the expected API version ({})",
            info.api_version()
        )));
    }
    let cannot = |e: &dyn std::fmt::Display| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            info.kind, info.version, info.kind
        ))
    };
    crate::admission::resources::check_body(&value).map_err(|e| cannot(&e))?;
    serde_json::from_value(value).map_err(|e| cannot(&e))
}

/// Dispatches a write verb to its typed handler.
pub fn write(state: &ApiState, verb: Verb, req: &WriteRequest<'_>) -> Result<Response, ApiError> {
    match verb {
        Verb::Create => with_type!(req.path.kind, K => create::<K>(state, req)),
        Verb::Update => with_type!(req.path.kind, K => replace::<K>(state, req)),
        Verb::Patch => with_type!(req.path.kind, K => patch::<K>(state, req)),
        Verb::Delete => with_type!(req.path.kind, K => delete::<K>(state, req)),
        _ => Err(ApiError::method_not_allowed()),
    }
}

pub fn create<K: Admit>(state: &ApiState, req: &WriteRequest<'_>) -> Result<Response, ApiError> {
    let info = K::SIM_KIND.info();
    if req.path.name.is_some() || (info.namespaced && req.path.namespace.is_none()) {
        return Err(ApiError::method_not_allowed());
    }
    let mut obj = decode::<K>(req.content_type, req.body)?;
    let dry_run = req.params.dry_run()?;
    let manager = req.manager(Verb::Create)?;
    let stored = {
        let mut world = state.world.lock();
        let name = obj.metadata().name.clone().unwrap_or_default();
        admission::admit_create(&world.store, req.target(), &mut obj)
            .map_err(|r| rejected(info, &name, r))?;
        // After defaulting, so the creator owns the defaults too, as upstream.
        let writer = Writer {
            manager: &manager,
            subresource: Subresource::Main,
        };
        managed_fields::record_update(None, &mut obj, writer, world.now())
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if dry_run {
            return dry_run_create(&world, obj, req.encoding);
        }
        let now = world.now();
        world
            .store
            .create(obj, now)
            .map_err(|e| ApiError::from_store(info, e))?
    };
    object_response(StatusCode::CREATED, stored.as_ref(), req.encoding)
}

/// What a create would store, without storing it.
fn dry_run_create<K: Object>(
    world: &World,
    mut obj: K,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    let info = K::SIM_KIND.info();
    let meta = obj.metadata_mut();
    if meta.name.as_deref().unwrap_or("").is_empty() {
        let Some(prefix) = meta.generate_name.clone().filter(|p| !p.is_empty()) else {
            return Err(ApiError::invalid(
                info,
                "",
                format!(
                    "{} is invalid: metadata.name: Required value: name or generateName is required",
                    info.kind
                ),
            ));
        };
        meta.name = Some(format!("{prefix}dryrun"));
    }
    let key_ns = meta.namespace.clone().unwrap_or_default();
    let name = meta.name.clone().unwrap_or_default();
    if world.store.get::<K>(&key_ns, &name).is_some() {
        return Err(ApiError::already_exists(info, &name));
    }
    obj.metadata_mut().creation_timestamp = Some(Time(world.now()));
    object_response(StatusCode::CREATED, &obj, encoding)
}

pub fn replace<K: Admit>(state: &ApiState, req: &WriteRequest<'_>) -> Result<Response, ApiError> {
    if req.path.name.is_none() {
        return Err(ApiError::method_not_allowed());
    }
    let status_only = req.status_only()?;
    let new = decode::<K>(req.content_type, req.body)?;
    let dry_run = req.params.dry_run()?;
    let manager = req.manager(Verb::Update)?;
    let mut world = state.world.lock();
    let old = current::<K>(&world, req)?;
    let write = Update {
        manager: &manager,
        status_only,
        dry_run,
    };
    let stored = finish_update(&mut world, req, &old, new, write)?;
    drop(world);
    object_response(StatusCode::OK, &stored, req.encoding)
}

pub fn patch<K: Admit>(state: &ApiState, req: &WriteRequest<'_>) -> Result<Response, ApiError> {
    let info = K::SIM_KIND.info();
    if req.path.name.is_none() {
        return Err(ApiError::method_not_allowed());
    }
    let status_only = req.status_only()?;
    let patch = patch::parse(req.content_type, req.body)?;
    let dry_run = req.params.dry_run()?;
    let manager = req.manager(Verb::Patch)?;
    let mut world = state.world.lock();
    let old = current::<K>(&world, req)?;
    let mut value =
        serde_json::to_value(old.as_ref()).map_err(|e| ApiError::internal(e.to_string()))?;
    patch::apply(&mut value, &patch)?;
    let new: K = serde_json::from_value(value).map_err(|e| {
        ApiError::invalid(
            info,
            req.name(),
            format!("{} \"{}\" is invalid: {e}", info.kind, req.name()),
        )
    })?;
    let write = Update {
        manager: &manager,
        status_only,
        dry_run,
    };
    let stored = finish_update(&mut world, req, &old, new, write)?;
    drop(world);
    object_response(StatusCode::OK, &stored, req.encoding)
}

fn current<K: Object>(world: &World, req: &WriteRequest<'_>) -> Result<Arc<K>, ApiError> {
    world
        .store
        .get::<K>(req.namespace(), req.name())
        .cloned()
        .ok_or_else(|| ApiError::not_found(K::SIM_KIND.info(), req.name()))
}

/// How an update or patch is to be written.
struct Update<'a> {
    manager: &'a str,
    status_only: bool,
    dry_run: bool,
}

/// Admission, managed fields, then the write. An update that changes nothing is not written
/// (no new resourceVersion, no watch event), as upstream.
fn finish_update<K: Admit>(
    world: &mut World,
    req: &WriteRequest<'_>,
    old: &Arc<K>,
    mut new: K,
    write: Update<'_>,
) -> Result<K, ApiError> {
    let info = K::SIM_KIND.info();
    admission::admit_update(
        &world.store,
        req.target(),
        old.as_ref(),
        &mut new,
        write.status_only,
    )
    .map_err(|r| rejected(info, req.name(), r))?;
    let old_rv = old.metadata().resource_version.clone();
    let asked_rv = new
        .metadata()
        .resource_version
        .clone()
        .filter(|rv| !rv.is_empty());
    if asked_rv
        .as_ref()
        .is_some_and(|rv| Some(rv) != old_rv.as_ref())
    {
        return Err(ApiError::conflict(info, req.name()));
    }
    new.metadata_mut().resource_version = old_rv;
    new.metadata_mut().uid = old.metadata().uid.clone();
    new.metadata_mut().creation_timestamp = old.metadata().creation_timestamp.clone();
    let writer = Writer {
        manager: write.manager,
        subresource: if write.status_only {
            Subresource::Status
        } else {
            Subresource::Main
        },
    };
    managed_fields::record_update(Some(old.as_ref()), &mut new, writer, world.now())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if new == *old.as_ref() || write.dry_run {
        return Ok(new);
    }
    world
        .store
        .update(new)
        .map(|stored| stored.as_ref().clone())
        .map_err(|e| ApiError::from_store(info, e))
}

/// Reads DeleteOptions from the body (if any) and the query.
fn delete_options(req: &WriteRequest<'_>) -> Result<(pods::DeleteOptions, bool), ApiError> {
    let body: DeleteOptions = if req.body.iter().all(u8::is_ascii_whitespace) {
        DeleteOptions::default()
    } else {
        // client-go sends a typed delete's options in protobuf, as its other bodies.
        let value = body_value(
            req.content_type,
            req.body,
            "meta.k8s.io/v1",
            "DeleteOptions",
        )?;
        serde_json::from_value(value)
            .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
    };
    let policy = body.propagation_policy.as_deref();
    if let Some(policy) = policy.or(req.params.propagation_policy.as_deref())
        && !matches!(policy, "Orphan" | "Background" | "Foreground")
    {
        return Err(ApiError::bad_request(format!(
            "propagationPolicy {policy:?} is not one of Orphan, Background, Foreground"
        )));
    }
    let dry_run = req.params.dry_run()? || body.dry_run.iter().flatten().any(|d| d == "All");
    let preconditions = body.preconditions.unwrap_or_default();
    Ok((
        pods::DeleteOptions {
            grace_period_seconds: req
                .params
                .grace_period_seconds()?
                .or(body.grace_period_seconds),
            uid: preconditions.uid,
            resource_version: preconditions.resource_version,
        },
        dry_run,
    ))
}

pub fn delete<K: Admit>(state: &ApiState, req: &WriteRequest<'_>) -> Result<Response, ApiError> {
    let info = K::SIM_KIND.info();
    if req.path.name.is_none() || req.path.subresource.is_some() {
        return Err(ApiError::method_not_allowed());
    }
    let (options, dry_run) = delete_options(req)?;
    let (ns, name) = (req.namespace(), req.name());
    let mut world = state.world.lock();
    let existing = current::<K>(&world, req)?;
    let meta = existing.metadata();
    let stale = |want: &Option<String>, have: &Option<String>| {
        want.as_ref().is_some_and(|w| Some(w) != have.as_ref())
    };
    if stale(&options.uid, &meta.uid) || stale(&options.resource_version, &meta.resource_version) {
        return Err(ApiError::conflict(info, name));
    }
    if dry_run {
        drop(world);
        return object_response(StatusCode::OK, existing.as_ref(), req.encoding);
    }
    if K::SIM_KIND == Kind::Pod {
        // Pods end gracefully: the kubelet removes them once their containers stop.
        let pod = world
            .delete_pod(ns, name, &options)
            .map_err(|e| ApiError::from_store(info, e))?;
        drop(world);
        return object_response(StatusCode::OK, pod.as_ref(), req.encoding);
    }
    if K::SIM_KIND == Kind::Namespace {
        purge_namespace(&mut world, name);
    }
    let gone = world
        .store
        .delete::<K>(
            ns,
            name,
            options.uid.as_deref(),
            options.resource_version.as_deref(),
        )
        .map_err(|e| ApiError::from_store(info, e))?;
    drop(world);
    let mut details = json!({"name": name, "kind": info.plural, "uid": gone.metadata().uid});
    if !info.group.is_empty() {
        details["group"] = json!(info.group);
    }
    let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details});
    let body = match req.encoding {
        Encoding::Protobuf => {
            protobuf::object_bytes(&status).map_err(|e| ApiError::internal(e.to_string()))?
        }
        _ => serde_json::to_vec(&status).unwrap_or_default(),
    };
    Ok(req.encoding.response(StatusCode::OK, body))
}

/// Deletes everything inside a namespace being deleted (the namespace controller's job upstream).
fn purge_namespace(world: &mut World, ns: &str) {
    fn names<K: Object>(world: &World, ns: &str) -> Vec<String> {
        world
            .store
            .table::<K>()
            .in_namespace(ns)
            .filter_map(|o| o.metadata().name.clone())
            .collect()
    }
    let now = pods::DeleteOptions {
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    // Within one request on a locked world these deletes cannot race anything; the only way
    // one fails is an armed test fault, and then the namespace's own delete still proceeds.
    for name in names::<Pod>(world, ns) {
        let _ = world.delete_pod(ns, &name, &now);
    }
    for name in names::<DaemonSet>(world, ns) {
        let _ = world.store.delete::<DaemonSet>(ns, &name, None, None);
    }
    for name in names::<ControllerRevision>(world, ns) {
        let _ = world
            .store
            .delete::<ControllerRevision>(ns, &name, None, None);
    }
    for name in names::<Event>(world, ns) {
        let _ = world.store.delete::<Event>(ns, &name, None, None);
    }
    for name in names::<Lease>(world, ns) {
        let _ = world.store.delete::<Lease>(ns, &name, None, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Namespace;

    #[test]
    fn decode_names_the_problem() {
        let err = decode::<Namespace>(None, b"{not json").expect_err("malformed");
        assert_eq!(err.code, 400);
        let err = decode::<Namespace>(None, br#"{"kind":"Pod","apiVersion":"v1"}"#)
            .expect_err("wrong kind");
        assert!(err.message.contains("kind \"Pod\""));
        let ok = decode::<Namespace>(None, br#"{"metadata":{"name":"x"}}"#).expect("namespace");
        assert_eq!(ok.metadata.name.as_deref(), Some("x"));
    }
}
