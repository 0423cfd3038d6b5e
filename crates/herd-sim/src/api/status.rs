//! Kubernetes `Status` errors: the reason, code, message and details clients key their handling on.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::kinds::KindInfo;
use crate::store::StoreError;

/// One failed request, worded as the real API server words it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Seconds a client should wait before retrying (sent as `Retry-After` on 429).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// The read-only user asked for a write.
    pub fn forbidden(user: &str, verb: &str, info: &KindInfo, namespace: Option<&str>) -> Self {
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                info.plural, info.plural, info.group
            ),
        )
        .with_details(json!({"group": info.group, "kind": info.plural}))
    }

    /// A URL that names no resource the server serves.
    pub fn unknown_resource() -> Self {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn not_found(info: &KindInfo, name: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(info)),
        )
        .with_details(details(info, name))
    }

    /// A namespaced write into a namespace that does not exist.
    pub fn namespace_not_found(namespace: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("namespaces \"{namespace}\" not found"),
        )
        .with_details(json!({"name": namespace, "kind": "namespaces"}))
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn already_exists(info: &KindInfo, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(info)),
        )
        .with_details(details(info, name))
    }

    pub fn conflict(info: &KindInfo, name: &str) -> Self {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(info)
            ),
        )
        .with_details(details(info, name))
    }

    pub fn gone(requested: u64, oldest: u64) -> Self {
        ApiError::new(
            410,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
        )
    }

    /// A create or replace body in a format the simulator does not read, as upstream's
    /// `NewUnsupportedMediaTypeError` says it, listing what is accepted.
    pub fn unsupported_body(accepted: &[&str]) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
        .with_details(json!({}))
    }

    pub fn unsupported_media_type(given: &str) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({given:?}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
            ),
        )
        .with_details(json!({}))
    }

    /// The object failed validation (`message` is the whole "X is invalid: ..." sentence).
    pub fn invalid(info: &KindInfo, name: &str, message: impl Into<String>) -> Self {
        ApiError::new(422, "Invalid", message).with_details(details(info, name))
    }

    /// As upstream's `errors.NewInvalid`: `details` names the kind (not the resource) and
    /// carries each field error as a cause, which kubectl prints one per line.
    pub fn invalid_fields(
        info: &KindInfo,
        name: &str,
        message: impl Into<String>,
        causes: &[crate::admission::Cause],
    ) -> Self {
        ApiError::invalid_of(info.group, info.kind, name, message, causes)
    }

    /// [`ApiError::invalid_fields`] for a kind the simulator does not serve (the options of a
    /// request, `ListOptions.meta.k8s.io`).
    pub fn invalid_of(
        group: &str,
        kind: &str,
        name: &str,
        message: impl Into<String>,
        causes: &[crate::admission::Cause],
    ) -> Self {
        let causes: Vec<Value> = causes
            .iter()
            .map(|c| json!({"reason": c.kind, "message": c.body, "field": c.field}))
            .collect();
        let mut d = json!({"name": name, "kind": kind, "causes": causes});
        if !group.is_empty() {
            d["group"] = json!(group);
        }
        ApiError::new(422, "Invalid", message).with_details(d)
    }

    pub fn too_many_requests() -> Self {
        let mut e = ApiError::new(
            429,
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later (injected fault)",
        )
        .with_details(json!({"retryAfterSeconds": 1}));
        e.retry_after = Some(1);
        e
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {}", message.into()),
        )
    }

    /// Maps a store refusal onto the API's wording for `info`.
    pub fn from_store(info: &KindInfo, err: StoreError) -> Self {
        match err {
            StoreError::NotFound { name, .. } => ApiError::not_found(info, &name),
            StoreError::AlreadyExists { name, .. } => ApiError::already_exists(info, &name),
            StoreError::Conflict { name, .. } => ApiError::conflict(info, &name),
            StoreError::Invalid(message) => ApiError::new(422, "Invalid", message),
        }
    }

    /// The `Status` object as JSON.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let (Some(details), Some(map)) = (&self.details, status.as_object_mut()) {
            map.insert("details".into(), details.clone());
        }
        // StatusReasonUnknown is the empty reason, which upstream leaves out.
        if self.reason.is_empty()
            && let Some(map) = status.as_object_mut()
        {
            map.remove("reason");
        }
        status
    }
}

/// "pods" for the core group, "daemonsets.apps" otherwise, as upstream messages say.
pub fn qualified(info: &KindInfo) -> String {
    if info.group.is_empty() {
        info.plural.to_string()
    } else {
        format!("{}.{}", info.plural, info.group)
    }
}

fn details(info: &KindInfo, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": info.plural});
    if !info.group.is_empty() {
        d["group"] = json!(info.group);
    }
    d
}

/// A JSON body with the given status code.
pub fn json_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = code;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A protobuf body with the given status code.
pub fn protobuf_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = code;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::protobuf::MEDIA_TYPE),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.to_status()).unwrap_or_default();
        let mut response = json_response(code, body);
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    #[test]
    fn conflict_names_the_group_qualified_resource() {
        let e = ApiError::conflict(Kind::DaemonSet.info(), "agent");
        let s = e.to_status();
        assert_eq!(s["code"], 409);
        assert_eq!(s["reason"], "Conflict");
        assert!(
            s["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("Operation cannot be fulfilled on daemonsets.apps \"agent\"")
        );
        assert_eq!(s["details"]["group"], "apps");
    }
}
