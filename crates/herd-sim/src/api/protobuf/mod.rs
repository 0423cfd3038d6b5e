//! `application/vnd.kubernetes.protobuf`, as a real API server speaks it for built-in kinds:
//! request bodies read for every kind the simulator serves, and objects, lists, watch events
//! and metrics written when the Accept header prefers it. The body is upstream's envelope — the
//! magic `k8s\0`, then a `runtime.Unknown` holding the type and the raw object
//! (k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go); watch events are
//! `WatchEvent` messages without the envelope, each after its length as four big-endian bytes
//! (the raw serializer and length-delimited framer upstream's codec factory pairs for streams),
//! their object in the envelope. The messages' shapes come from `schema`.

use serde_json::{Value, json};

mod generated;
pub mod schema;
#[cfg(test)]
mod schema_gen;
#[cfg(test)]
mod tests_prost;
mod transcode;
mod wire;

use self::wire::{Fields, Wire, put_len, text};

/// The media type.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The envelope's first four bytes.
pub const MAGIC: &[u8] = b"k8s\0";

/// Why a protobuf body could not be read, or an object not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    #[error("the body does not start with the protobuf envelope's magic number")]
    NoMagic,
    #[error("the protobuf body is cut short or malformed ({0})")]
    Malformed(&'static str),
    #[error("no protobuf message is known for {0}")]
    Kind(String),
    #[error("the object cannot be written in protobuf: {0}")]
    Unencodable(String),
}

/// The message of a kind, by the apiVersion and kind its JSON carries.
fn message_of(api_version: &str, kind: &str) -> Option<u16> {
    let package = match (api_version, kind) {
        // Served in every group, defined once in meta/v1.
        (_, "Status" | "DeleteOptions" | "WatchEvent") => "apimachinery.pkg.apis.meta.v1",
        ("v1", _) => "api.core.v1",
        ("apps/v1", _) => "api.apps.v1",
        ("coordination.k8s.io/v1", _) => "api.coordination.v1",
        ("metrics.k8s.io/v1beta1", _) => "metrics.pkg.apis.metrics.v1beta1",
        _ => return None,
    };
    schema::find(&format!("{package}.{kind}"))
}

fn message_for(api_version: &str, kind: &str) -> Result<u16, ProtobufError> {
    message_of(api_version, kind)
        .ok_or_else(|| ProtobufError::Kind(format!("{api_version} {kind}")))
}

/// The envelope around an encoded message: type, raw bytes, and the two encodings Go writes
/// as empty strings.
fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut type_meta = Vec::new();
    put_len(&mut type_meta, 1, api_version.as_bytes());
    put_len(&mut type_meta, 2, kind.as_bytes());
    let mut out = MAGIC.to_vec();
    put_len(&mut out, 1, &type_meta);
    put_len(&mut out, 2, raw);
    put_len(&mut out, 3, b"");
    put_len(&mut out, 4, b"");
    out
}

/// What an envelope holds: apiVersion, kind and the raw message.
fn open_envelope(body: &[u8]) -> Result<(String, String, &[u8]), ProtobufError> {
    let unknown = body.strip_prefix(MAGIC).ok_or(ProtobufError::NoMagic)?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for field in Fields(unknown) {
        match field? {
            (1, Wire::Len(type_meta)) => {
                for f in Fields(type_meta) {
                    match f? {
                        (1, Wire::Len(v)) => api_version = text(v)?.to_string(),
                        (2, Wire::Len(v)) => kind = text(v)?.to_string(),
                        _ => {}
                    }
                }
            }
            (2, Wire::Len(bytes)) => raw = bytes,
            _ => {}
        }
    }
    Ok((api_version, kind, raw))
}

/// A request body read as the JSON of `kind` in `api_version` (the endpoint's), with the
/// apiVersion and kind the envelope names, so the caller checks them as it does JSON's.
pub fn to_json(body: &[u8], api_version: &str, kind: &str) -> Result<Value, ProtobufError> {
    let message = message_for(api_version, kind)?;
    let (sent_version, sent_kind, raw) = open_envelope(body)?;
    let mut value = transcode::decode(message, raw)?;
    if let Value::Object(object) = &mut value {
        if !sent_version.is_empty() {
            object.insert("apiVersion".into(), json!(sent_version));
        }
        if !sent_kind.is_empty() {
            object.insert("kind".into(), json!(sent_kind));
        }
    }
    Ok(value)
}

/// How deep enveloped objects may sit inside one another's raw extensions: a body nesting
/// them without end is refused rather than read until the stack runs out.
const MAX_EMBEDDED: u8 = 4;

thread_local! {
    static EMBEDDED: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

/// An enveloped object read by the type it names (a watch event's object, a raw extension).
pub fn envelope_to_json(body: &[u8]) -> Result<Value, ProtobufError> {
    let depth = EMBEDDED.with(|d| d.get());
    if depth >= MAX_EMBEDDED {
        return Err(ProtobufError::Malformed("objects embedded too deep"));
    }
    let (api_version, kind, _) = open_envelope(body)?;
    EMBEDDED.with(|d| d.set(depth + 1));
    let read = to_json(body, &api_version, &kind);
    EMBEDDED.with(|d| d.set(depth));
    read
}

/// The apiVersion and kind an object's JSON carries.
fn type_of(value: &Value) -> (&str, &str) {
    let field = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or_default();
    (field("apiVersion"), field("kind"))
}

/// An object, by the apiVersion and kind its JSON carries, in its envelope.
pub fn object_bytes(value: &Value) -> Result<Vec<u8>, ProtobufError> {
    let (api_version, kind) = type_of(value);
    let raw = transcode::encode(message_for(api_version, kind)?, value)?;
    Ok(envelope(api_version, kind, &raw))
}

/// A `<Kind>List` of already-encoded items (each a bare message, no envelope).
pub fn list_bytes(
    api_version: &str,
    list_kind: &str,
    metadata: &Value,
    items: &[Vec<u8>],
) -> Result<Vec<u8>, ProtobufError> {
    let list_meta = schema::find("apimachinery.pkg.apis.meta.v1.ListMeta")
        .ok_or_else(|| ProtobufError::Kind("ListMeta".into()))?;
    let mut raw = Vec::with_capacity(items.iter().map(|i| i.len() + 6).sum::<usize>() + 64);
    put_len(&mut raw, 1, &transcode::encode(list_meta, metadata)?);
    for item in items {
        put_len(&mut raw, 2, item);
    }
    Ok(envelope(api_version, list_kind, &raw))
}

/// An object or a list, by the apiVersion and kind its JSON carries.
pub fn value_bytes(value: &Value) -> Result<Vec<u8>, ProtobufError> {
    let (api_version, kind) = type_of(value);
    match value.get("items").and_then(Value::as_array) {
        Some(items) if kind.ends_with("List") => {
            let item_kind = kind.trim_end_matches("List");
            let message = message_for(api_version, item_kind)?;
            let items = items
                .iter()
                .map(|i| transcode::encode(message, i))
                .collect::<Result<Vec<_>, _>>()?;
            let metadata = value.get("metadata").cloned().unwrap_or_else(|| json!({}));
            list_bytes(api_version, kind, &metadata, &items)
        }
        _ => object_bytes(value),
    }
}

/// One list item: the object's message without an envelope.
pub fn item_bytes(value: &Value) -> Result<Vec<u8>, ProtobufError> {
    let (api_version, kind) = type_of(value);
    transcode::encode(message_for(api_version, kind)?, value)
}

/// One watch event, framed: its length as four big-endian bytes, then a bare `WatchEvent`
/// whose object is the enveloped object.
pub fn watch_frame(event_type: &str, object: &[u8]) -> Vec<u8> {
    let mut raw_extension = Vec::with_capacity(object.len() + 6);
    put_len(&mut raw_extension, 1, object);
    let mut event = Vec::with_capacity(raw_extension.len() + 16);
    put_len(&mut event, 1, event_type.as_bytes());
    put_len(&mut event, 2, &raw_extension);
    let mut frame = u32::try_from(event.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes()
        .to_vec();
    frame.extend(event);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_field(number: u8, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    /// What `kubectl create namespace team-a --dry-run=none` sends, field by field.
    fn namespace_body(name: &str, label: Option<(&str, &str)>) -> Vec<u8> {
        let mut meta = len_field(1, name.as_bytes());
        if let Some((k, v)) = label {
            let entry = [len_field(1, k.as_bytes()), len_field(2, v.as_bytes())].concat();
            meta.extend(len_field(11, &entry));
        }
        // A creation timestamp message left empty, as Go encodes the zero Time.
        meta.extend(len_field(8, &[]));
        let object = [len_field(1, &meta), len_field(2, &[]), len_field(3, &[])].concat();
        let type_meta = [len_field(1, b"v1"), len_field(2, b"Namespace")].concat();
        let unknown = [
            len_field(1, &type_meta),
            len_field(2, &object),
            len_field(3, b""),
            len_field(4, b""),
        ]
        .concat();
        [MAGIC.to_vec(), unknown].concat()
    }

    #[test]
    fn a_namespace_in_protobuf_reads_as_its_json() {
        let value = to_json(
            &namespace_body("team-a", Some(("env", "dev"))),
            "v1",
            "Namespace",
        )
        .expect("read");
        assert_eq!(
            value,
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "team-a", "labels": {"env": "dev"}},
                "spec": {}, "status": {}})
        );
    }

    #[test]
    fn other_kinds_and_broken_bodies_are_refused_not_misread() {
        assert_eq!(
            to_json(b"{}", "v1", "Namespace"),
            Err(ProtobufError::NoMagic)
        );
        let mut cut = namespace_body("team-a", None);
        cut.truncate(cut.len() - 9);
        assert!(matches!(
            to_json(&cut, "v1", "Namespace"),
            Err(ProtobufError::Malformed(_))
        ));
        let body = namespace_body("x", None);
        assert_eq!(
            to_json(&body, "v1", "ConfigMap"),
            Err(ProtobufError::Kind("v1 ConfigMap".into()))
        );
    }
}
