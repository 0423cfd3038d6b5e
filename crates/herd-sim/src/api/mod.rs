//! The simulated cluster served as the Kubernetes REST API: one handler reads the path, checks
//! the bearer token, applies injected faults, dispatches by verb and kind, and counts what it
//! serves. Admin endpoints (`/sim/faults`, `/sim/stats`) are documented in `faults` and `counters`.

/// Runs `$body` with `$t` standing for the k8s-openapi type of `$kind`.
macro_rules! with_type {
    ($kind:expr, $t:ident => $body:expr) => {{
        use k8s_openapi::api::apps::v1 as apps;
        use k8s_openapi::api::coordination::v1 as coordination;
        use k8s_openapi::api::core::v1 as core;
        match $kind {
            $crate::Kind::Namespace => {
                type $t = core::Namespace;
                $body
            }
            $crate::Kind::Node => {
                type $t = core::Node;
                $body
            }
            $crate::Kind::Pod => {
                type $t = core::Pod;
                $body
            }
            $crate::Kind::DaemonSet => {
                type $t = apps::DaemonSet;
                $body
            }
            $crate::Kind::ControllerRevision => {
                type $t = apps::ControllerRevision;
                $body
            }
            $crate::Kind::Event => {
                type $t = core::Event;
                $body
            }
            $crate::Kind::Lease => {
                type $t = coordination::Lease;
                $body
            }
        }
    }};
}

mod admin;
pub mod auth;
pub mod counters;
pub mod discovery;
pub mod faults;
pub mod list;
pub mod logs;
pub mod metrics_api;
pub mod params;
pub mod patch;
pub mod protobuf;
pub mod route;
pub mod selector;
pub mod status;
pub mod strategic;
pub mod table;
pub mod tls;
pub mod watch;
pub mod write;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};

use self::auth::{Role, Tokens};
use self::counters::{Counters, count_response};
use self::faults::Faults;
use self::list::Selection;
use self::params::Params;
use self::route::{ResourcePath, Target};
use self::status::{ApiError, json_response, qualified};
use self::write::WriteRequest;
use crate::SharedWorld;

/// The world's clock as last stepped, readable without the world lock (watch streams use it
/// for Table ages).
#[derive(Debug)]
pub struct SimNow(AtomicI64);

impl SimNow {
    pub fn new(now: Timestamp) -> Self {
        SimNow(AtomicI64::new(now.as_millisecond()))
    }

    pub fn set(&self, now: Timestamp) {
        self.0.store(now.as_millisecond(), Ordering::Relaxed);
    }

    pub fn get(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::Relaxed)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// Everything a request handler shares.
#[derive(Debug)]
pub struct ApiState {
    pub world: SharedWorld,
    pub tokens: Tokens,
    pub faults: Arc<Faults>,
    pub counters: Arc<Counters>,
    pub sim_now: Arc<SimNow>,
    /// How often a watch that allows bookmarks gets one.
    pub bookmark_interval: Duration,
    /// `host:port` as `/api` advertises it.
    pub server_address: String,
}

/// The Kubernetes verbs, as RBAC and the counters name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }

    fn is_write(self) -> bool {
        !matches!(self, Verb::Get | Verb::List | Verb::Watch)
    }
}

/// Responses of at least this many bytes are gzipped for a client that asks, as upstream's
/// API server does (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/writers.go,
/// `defaultGzipThresholdBytes`). A list streams with no size known up front, and is gzipped.
const GZIP_ABOVE: u64 = 128 * 1024;

/// Marks a response that streams as things happen (a watch, a followed log): never gzipped,
/// as upstream does not, since a compressor holds bytes back until it has enough.
#[derive(Debug, Clone, Copy)]
pub struct Unbuffered;

pub fn router(state: Arc<ApiState>) -> Router {
    let not_streaming =
        |_: StatusCode,
         _: axum::http::Version,
         _: &HeaderMap,
         extensions: &axum::http::Extensions| { extensions.get::<Unbuffered>().is_none() };
    let gzip = CompressionLayer::new().compress_when(SizeAbove::new(GZIP_ABOVE).and(not_streaming));
    // Outermost, so the bytes counted are the ones sent, compressed or not.
    Router::new()
        .fallback(handle)
        .with_state(state)
        .layer(gzip)
        .layer(axum::middleware::map_response(counters::count_sent))
}

async fn handle(
    State(state): State<Arc<ApiState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = route::parse(uri.path());
    if matches!(target, Target::Faults | Target::Stats) {
        return admin::serve(&state, &target, &method, &headers, &body)
            .unwrap_or_else(IntoResponse::into_response);
    }
    let params = Params::from_uri(&uri);
    let watching = params.as_ref().is_ok_and(Params::is_watch);
    if headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"))
    {
        state.counters.gzip_asked();
    }
    let (verb, resource) = classify(&method, &target, watching);
    let entry = state
        .counters
        .request(verb.map_or("unknown", Verb::as_str), &resource);
    let request = Request {
        target,
        verb,
        params,
        headers: &headers,
        body: &body,
    };
    let response = serve(&state, request)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    count_response(response, entry)
}

/// What the counters file a request under.
fn classify(method: &Method, target: &Target, watching: bool) -> (Option<Verb>, String) {
    let resource = match target {
        Target::Resource(p) => {
            let base = qualified(p.kind.info());
            p.subresource
                .as_ref()
                .map_or(base.clone(), |s| format!("{base}/{s}"))
        }
        Target::Metrics(m) => match m.resource {
            route::MetricsResource::Nodes => "nodes.metrics.k8s.io".into(),
            route::MetricsResource::Pods => "pods.metrics.k8s.io".into(),
        },
        Target::OpenApiV2 | Target::OpenApiV3Root | Target::OpenApiV3 { .. } => "openapi".into(),
        Target::Unknown => "unknown".into(),
        _ => "discovery".into(),
    };
    let named = match target {
        Target::Resource(p) => p.name.is_some(),
        Target::Metrics(m) => m.name.is_some(),
        _ => true,
    };
    let legacy_watch = matches!(target, Target::Resource(p) if p.legacy_watch);
    let verb = match *method {
        Method::GET if legacy_watch || watching => Some(Verb::Watch),
        Method::GET if named => Some(Verb::Get),
        Method::GET => Some(Verb::List),
        Method::POST => Some(Verb::Create),
        Method::PUT => Some(Verb::Update),
        Method::PATCH => Some(Verb::Patch),
        Method::DELETE if named => Some(Verb::Delete),
        Method::DELETE => Some(Verb::DeleteCollection),
        _ => None,
    };
    (verb, resource)
}

struct Request<'a> {
    target: Target,
    verb: Option<Verb>,
    params: Result<Params, ApiError>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

fn json_ok<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(json_response(StatusCode::OK, body))
}

async fn serve(state: &ApiState, req: Request<'_>) -> Result<Response, ApiError> {
    if req.target == Target::Health {
        return Ok((StatusCode::OK, "ok").into_response());
    }
    let role = state.tokens.authenticate(req.headers)?;
    let latency = state.faults.settings().latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(injected) = state.faults.draw_failure() {
        return Err(injected);
    }
    let params = req.params?;
    let verb = req.verb.ok_or_else(ApiError::method_not_allowed)?;
    let discovery_only = |v: serde_json::Value| {
        if verb == Verb::Get {
            json_ok(&v)
        } else {
            Err(ApiError::method_not_allowed())
        }
    };
    match req.target {
        Target::Version => discovery_only(discovery::version()),
        Target::CoreVersions => discovery_only(discovery::core_versions(&state.server_address)),
        Target::Groups => discovery_only(discovery::group_list()),
        Target::Group(g) => {
            discovery_only(discovery::api_group(&g).ok_or_else(ApiError::unknown_resource)?)
        }
        Target::Resources { group, version } => {
            discovery_only(discovery::resource_list(&group, &version))
        }
        Target::OpenApiV3Root => discovery_only(discovery::openapi_v3_root()),
        Target::OpenApiV3 { group, version } => {
            discovery_only(discovery::openapi_v3(&group, &version))
        }
        Target::Metrics(path) => {
            if !matches!(verb, Verb::Get | Verb::List) {
                return Err(ApiError::method_not_allowed());
            }
            let labels = params.labels()?;
            let body = metrics_api::serve_json(&state.world.lock(), &path, &labels)?;
            let accept = req
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            if matches!(
                table::negotiate(accept, None),
                Ok(table::Encoding::Protobuf)
            ) {
                return metrics_api::to_protobuf(&body);
            }
            Ok(json_response(StatusCode::OK, body))
        }
        Target::Resource(path) => {
            resource(state, role, verb, &path, &params, req.headers, req.body)
        }
        _ => Err(ApiError::unknown_resource()),
    }
}

fn resource(
    state: &ApiState,
    role: Role,
    verb: Verb,
    path: &ResourcePath,
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let info = path.kind.info();
    if path.kind == crate::Kind::Pod && path.subresource.as_deref() == Some("log") {
        return match (verb, path.namespace.as_deref(), path.name.as_deref()) {
            (Verb::Get, Some(ns), Some(name)) => logs::serve(state, ns, name, params),
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    if path
        .subresource
        .as_deref()
        .is_some_and(|s| s != "status" || !info.has_status)
    {
        return Err(ApiError::unknown_resource());
    }
    if role == Role::ReadOnly && verb.is_write() {
        return Err(ApiError::forbidden(
            role.user(),
            verb.as_str(),
            info,
            path.namespace.as_deref(),
        ));
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let encoding = table::negotiate(accept, params.include_object.as_deref())?;
    let selection = || {
        let mut params = params.clone();
        if let Some(name) = &path.name {
            // A watch on a named object is a watch filtered to that name.
            let own = format!("metadata.name={name}");
            params.field_selector = Some(match params.field_selector.filter(|f| !f.is_empty()) {
                Some(f) => format!("{f},{own}"),
                None => own,
            });
        }
        Selection::from_params(path.kind, path.namespace.clone(), &params)
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let write = WriteRequest {
        path,
        params,
        content_type,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
        body,
        encoding,
    };
    match verb {
        Verb::Get => list::get(state, path, encoding),
        Verb::List => list::serve(state, &selection()?, params, encoding),
        Verb::Watch => watch::serve(state, selection()?, params, encoding),
        Verb::DeleteCollection => Err(ApiError::method_not_allowed()),
        Verb::Create | Verb::Update | Verb::Patch | Verb::Delete => {
            write::write(state, verb, &write)
        }
    }
}
