//! Request bodies in `application/vnd.kubernetes.protobuf`, for the one kind kubectl creates
//! that way here: a Namespace (`kubectl create namespace` encodes its typed object so). The
//! body is upstream's envelope — the magic `k8s\0`, then a `runtime.Unknown` holding the type
//! and the raw object (k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go) — and
//! the object is read into the JSON the rest of the simulator takes: its metadata's name,
//! generateName, namespace, labels, annotations and finalizers, and a Namespace's finalizers.
//! Any other kind in protobuf is refused with a 415 by the caller, not misread.

use serde_json::{Map, Value, json};

/// The envelope's first four bytes.
const MAGIC: &[u8] = b"k8s\0";

/// Why a protobuf body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    #[error("the body does not start with the protobuf envelope's magic number")]
    NoMagic,
    #[error("the protobuf body is cut short or malformed ({0})")]
    Malformed(&'static str),
    #[error("the herd simulator reads a {0} in JSON or YAML only; protobuf it reads for Namespace")]
    Kind(String),
}

/// The object in a protobuf request body, as JSON; `kind` is the endpoint's.
pub fn to_json(body: &[u8], kind: &str) -> Result<Value, ProtobufError> {
    if kind != "Namespace" {
        return Err(ProtobufError::Kind(kind.to_string()));
    }
    let unknown = body.strip_prefix(MAGIC).ok_or(ProtobufError::NoMagic)?;
    let mut api_version = String::new();
    let mut sent_kind = String::new();
    let mut raw: &[u8] = &[];
    for field in Fields(unknown) {
        match field? {
            (1, Wire::Len(type_meta)) => {
                for f in Fields(type_meta) {
                    match f? {
                        (1, Wire::Len(v)) => api_version = text(v)?,
                        (2, Wire::Len(v)) => sent_kind = text(v)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Len(bytes)) => raw = bytes,
            _ => {}
        }
    }
    let mut object = Map::new();
    // What the envelope names, for the caller's check against the endpoint.
    if !api_version.is_empty() {
        object.insert("apiVersion".into(), json!(api_version));
    }
    if !sent_kind.is_empty() {
        object.insert("kind".into(), json!(sent_kind));
    }
    for field in Fields(raw) {
        match field? {
            (1, Wire::Len(meta)) => {
                object.insert("metadata".into(), object_meta(meta)?);
            }
            (2, Wire::Len(spec)) => {
                let mut finalizers = Vec::new();
                for f in Fields(spec) {
                    if let (1, Wire::Len(v)) = f? {
                        finalizers.push(json!(text(v)?));
                    }
                }
                if !finalizers.is_empty() {
                    object.insert("spec".into(), json!({"finalizers": finalizers}));
                }
            }
            _ => {}
        }
    }
    Ok(Value::Object(object))
}

/// ObjectMeta's fields a create carries (k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto).
fn object_meta(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut meta = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut finalizers = Vec::new();
    for field in Fields(bytes) {
        match field? {
            (1, Wire::Len(v)) => {
                meta.insert("name".into(), json!(text(v)?));
            }
            (2, Wire::Len(v)) => {
                meta.insert("generateName".into(), json!(text(v)?));
            }
            (3, Wire::Len(v)) => {
                meta.insert("namespace".into(), json!(text(v)?));
            }
            (5, Wire::Len(v)) => {
                meta.insert("uid".into(), json!(text(v)?));
            }
            (6, Wire::Len(v)) => {
                meta.insert("resourceVersion".into(), json!(text(v)?));
            }
            (11, Wire::Len(entry)) => {
                let (k, v) = map_entry(entry)?;
                labels.insert(k, json!(v));
            }
            (12, Wire::Len(entry)) => {
                let (k, v) = map_entry(entry)?;
                annotations.insert(k, json!(v));
            }
            (14, Wire::Len(v)) => finalizers.push(json!(text(v)?)),
            _ => {}
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    if !finalizers.is_empty() {
        meta.insert("finalizers".into(), Value::Array(finalizers));
    }
    Ok(Value::Object(meta))
}

/// A `map<string, string>` entry: key 1, value 2.
fn map_entry(bytes: &[u8]) -> Result<(String, String), ProtobufError> {
    let (mut key, mut value) = (String::new(), String::new());
    for f in Fields(bytes) {
        match f? {
            (1, Wire::Len(v)) => key = text(v)?,
            (2, Wire::Len(v)) => value = text(v)?,
            _ => {}
        }
    }
    Ok((key, value))
}

fn text(bytes: &[u8]) -> Result<String, ProtobufError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ProtobufError::Malformed("a string is not UTF-8"))
}

/// One field's value by wire type: a length-delimited one's bytes, else nothing the fields
/// read here need (numbers are skipped).
enum Wire<'a> {
    Number,
    Len(&'a [u8]),
}

/// The fields of one message, in order: `(number, value)`.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Wire<'a>), ProtobufError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let next = (|| {
            let key = varint(&mut self.0)?;
            let value = match key & 7 {
                0 => {
                    varint(&mut self.0)?;
                    Wire::Number
                }
                1 => Wire::Number.skip(&mut self.0, 8)?,
                2 => {
                    let len = usize::try_from(varint(&mut self.0)?)
                        .map_err(|_| ProtobufError::Malformed("a length too large"))?;
                    if len > self.0.len() {
                        return Err(ProtobufError::Malformed("a length past the end"));
                    }
                    let (value, rest) = self.0.split_at(len);
                    self.0 = rest;
                    Wire::Len(value)
                }
                5 => Wire::Number.skip(&mut self.0, 4)?,
                _ => return Err(ProtobufError::Malformed("an unknown wire type")),
            };
            Ok((key >> 3, value))
        })();
        if next.is_err() {
            // Nothing more can be read after a malformed field.
            self.0 = &[];
        }
        Some(next)
    }
}

impl<'a> Wire<'a> {
    fn skip(self, bytes: &mut &'a [u8], n: usize) -> Result<Wire<'a>, ProtobufError> {
        if bytes.len() < n {
            return Err(ProtobufError::Malformed("a fixed-width value past the end"));
        }
        *bytes = &bytes[n..];
        Ok(self)
    }
}

fn varint(bytes: &mut &[u8]) -> Result<u64, ProtobufError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes
            .split_first()
            .ok_or(ProtobufError::Malformed("a varint past the end"))?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(ProtobufError::Malformed("a varint over ten bytes"))
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
        let value =
            to_json(&namespace_body("team-a", Some(("env", "dev"))), "Namespace").expect("read");
        assert_eq!(
            value,
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "team-a", "labels": {"env": "dev"}}})
        );
    }

    #[test]
    fn other_kinds_and_broken_bodies_are_refused_not_misread() {
        assert_eq!(to_json(b"{}", "Namespace"), Err(ProtobufError::NoMagic));
        let mut cut = namespace_body("team-a", None);
        cut.truncate(cut.len() - 9);
        assert!(matches!(
            to_json(&cut, "Namespace"),
            Err(ProtobufError::Malformed(_))
        ));
        let body = namespace_body("x", None);
        assert_eq!(
            to_json(&body, "Pod"),
            Err(ProtobufError::Kind("Pod".into()))
        );
    }
}
