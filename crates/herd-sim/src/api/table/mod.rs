//! Server-side printing: content negotiation for `as=Table` and `as=PartialObjectMetadata`, and
//! the meta.k8s.io/v1 Table framing around the rows `cells` and `pod` compute.

use jiff::Timestamp;
use serde_json::{Value, json};

mod cells;
mod columns;
mod pod;

use self::columns::column_definitions;
use super::status::ApiError;
use crate::{AnyObject, Kind};

/// What each row of a Table carries in `object` (the `includeObject` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

/// How objects are rendered in a response, picked from the Accept header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Full,
    /// `PartialObjectMetadata(List)`: metadata only.
    Metadata,
    Table(IncludeObject),
    /// The object in protobuf, in upstream's envelope.
    Protobuf,
}

impl Encoding {
    /// A response of this encoding's media type.
    pub fn response(self, code: axum::http::StatusCode, body: Vec<u8>) -> axum::response::Response {
        match self {
            Encoding::Protobuf => super::status::protobuf_response(code, body),
            _ => super::status::json_response(code, body),
        }
    }
}

/// Picks the first media type in `accept` the server can produce.
pub fn negotiate(accept: Option<&str>, include_object: Option<&str>) -> Result<Encoding, ApiError> {
    let include = match include_object {
        None | Some("") | Some("Metadata") => IncludeObject::Metadata,
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "includeObject {other:?} is not one of None, Metadata, Object"
            )));
        }
    };
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Encoding::Full);
    };
    let mut json_allowed = false;
    for media in accept.split(',') {
        let mut parts = media.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("");
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |k: &str| params.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        if mime == super::protobuf::MEDIA_TYPE {
            // Whole objects only: a Table or metadata in protobuf is not written here.
            if param("as").is_none() {
                return Ok(Encoding::Protobuf);
            }
            continue;
        }
        if !matches!(mime, "application/json" | "application/*" | "*/*") {
            continue;
        }
        json_allowed = true;
        match (param("as"), param("g")) {
            (None, _) => return Ok(Encoding::Full),
            (Some("Table"), Some("meta.k8s.io")) => return Ok(Encoding::Table(include)),
            (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io")) => {
                return Ok(Encoding::Metadata);
            }
            _ => continue,
        }
    }
    if json_allowed {
        return Ok(Encoding::Full);
    }
    // Only formats the simulator does not write: upstream's `NewNotAcceptableError`, rather
    // than an answer the client cannot read.
    Err(ApiError::new(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/vnd.kubernetes.protobuf",
    ))
}

/// The object in PartialObjectMetadata form.
pub fn partial_metadata(object: &AnyObject) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": object.metadata(),
    })
}

/// One row: its cells, and the object as `include` asks.
pub fn row(
    object: &AnyObject,
    now: Timestamp,
    include: IncludeObject,
) -> serde_json::Result<Value> {
    let mut row = json!({ "cells": cells::cells(object, now) });
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(object),
        IncludeObject::Object => row["object"] = object.to_value()?,
    }
    Ok(row)
}

/// Everything of a Table before its rows: `{"kind":"Table",...,"rows":[`.
pub fn header(kind: Kind, metadata: &Value) -> Vec<u8> {
    let head = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": column_definitions(kind),
    });
    let mut bytes = serde_json::to_vec(&head).unwrap_or_default();
    // Reopen the object to append the rows array after the fixed fields.
    bytes.pop();
    bytes.extend_from_slice(b",\"rows\":[");
    bytes
}

/// A complete Table of the given objects (a single get, or one watch event).
pub fn table(
    kind: Kind,
    objects: &[AnyObject],
    now: Timestamp,
    include: IncludeObject,
    metadata: &Value,
) -> serde_json::Result<Value> {
    let rows = objects
        .iter()
        .map(|o| row(o, now, include))
        .collect::<serde_json::Result<Vec<_>>>()?;
    Ok(json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": column_definitions(kind),
        "rows": rows,
    }))
}

/// One object in the chosen JSON encoding (a list item, a get answer or a watch event's object).
pub fn encode(object: &AnyObject, encoding: Encoding, now: Timestamp) -> serde_json::Result<Value> {
    match encoding {
        Encoding::Full | Encoding::Protobuf => object.to_value(),
        Encoding::Metadata => Ok(partial_metadata(object)),
        Encoding::Table(include) => table(
            object.kind(),
            std::slice::from_ref(object),
            now,
            include,
            &json!({"resourceVersion": object.metadata().resource_version}),
        ),
    }
}

/// [`encode`] as bytes, without the detour through a `Value` for full objects.
pub fn encode_bytes(
    object: &AnyObject,
    encoding: Encoding,
    now: Timestamp,
) -> serde_json::Result<Vec<u8>> {
    match encoding {
        Encoding::Full => object.to_json(),
        Encoding::Protobuf => super::protobuf::object_bytes(&object.to_value()?)
            .map_err(<serde_json::Error as serde::ser::Error>::custom),
        other => serde_json::to_vec(&encode(object, other, now)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_accept_header_gets_a_table() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(
            negotiate(Some(kubectl), None).expect("ok"),
            Encoding::Table(IncludeObject::Metadata)
        );
        assert_eq!(
            negotiate(Some("application/json"), None).expect("ok"),
            Encoding::Full
        );
        // client-go's default: protobuf first, so protobuf.
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf, */*"), None).expect("ok"),
            Encoding::Protobuf
        );
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json"), None).expect("ok"),
            Encoding::Full
        );
        assert!(negotiate(None, Some("Everything")).is_err());
    }

    #[test]
    fn header_is_valid_json_once_closed() {
        let mut bytes = header(Kind::Pod, &json!({"resourceVersion": "5"}));
        bytes.extend_from_slice(b"]}");
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v["columnDefinitions"][0]["name"], "Name");
        assert_eq!(v["columnDefinitions"][5]["priority"], 1);
        assert_eq!(v["rows"], json!([]));
    }
}
