//! The shape of every message the simulator reads and writes in protobuf: field numbers, wire
//! types and the JSON name each field has in the object the rest of the simulator holds. The
//! table itself (`generated.rs`) is derived, never typed by hand: field numbers and types from
//! the prost attributes of the k8s-pb crate (upstream's generated.proto files, compiled), JSON
//! names from k8s-openapi's serde names. A test re-derives it and fails on any difference.

/// A scalar field's protobuf type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Scalar(Scalar),
    /// Another message, by its index in [`MESSAGES`].
    Message(u16),
    /// `map<string, string>`.
    StringMap,
    /// `map<string, bytes>`.
    BytesMap,
    /// `map<string, M>` with M by its index in [`MESSAGES`].
    MessageMap(u16),
}

/// One field of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub tag: u32,
    /// Empty for a Go struct embedded `json:",inline"`, whose fields sit in the parent.
    pub json: &'static str,
    pub ty: Ty,
    pub repeated: bool,
}

/// Messages whose JSON form is not an object of their fields
/// (k8s.io/apimachinery's Time, MicroTime, Duration, Quantity, IntOrString, RawExtension and
/// FieldsV1 marshal themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    None,
    /// RFC 3339 to the second.
    Time,
    /// RFC 3339 to the microsecond.
    MicroTime,
    /// Go's duration string, `1m30s`.
    Duration,
    /// The quantity's string.
    Quantity,
    /// A number or a string.
    IntOrString,
    /// The raw bytes, themselves JSON.
    RawJson,
}

/// One message: its full name (k8s-pb's module path, dotted) and fields by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub name: &'static str,
    pub special: Special,
    pub fields: &'static [Field],
}

pub use super::generated::MESSAGES;

/// The message called `name` (`api.core.v1.Pod`), by index.
pub fn find(name: &str) -> Option<u16> {
    MESSAGES
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .and_then(|i| u16::try_from(i).ok())
}

pub fn message(index: u16) -> &'static Message {
    &MESSAGES[usize::from(index)]
}

/// The special form of a message, by name.
pub fn special(name: &str) -> Special {
    match name {
        "apimachinery.pkg.apis.meta.v1.Time" => Special::Time,
        "apimachinery.pkg.apis.meta.v1.MicroTime" => Special::MicroTime,
        "apimachinery.pkg.apis.meta.v1.Duration" => Special::Duration,
        "apimachinery.pkg.api.resource.Quantity" => Special::Quantity,
        "apimachinery.pkg.util.intstr.IntOrString" => Special::IntOrString,
        "apimachinery.pkg.runtime.RawExtension" | "apimachinery.pkg.apis.meta.v1.FieldsV1" => {
            Special::RawJson
        }
        _ => Special::None,
    }
}

/// The messages served or read at the top level, from which the table is walked: every kind
/// the simulator stores and its list, the metrics it computes, and the envelopes of meta/v1.
pub const ROOTS: &[&str] = &[
    "api.core.v1.Namespace",
    "api.core.v1.NamespaceList",
    "api.core.v1.Node",
    "api.core.v1.NodeList",
    "api.core.v1.Pod",
    "api.core.v1.PodList",
    "api.core.v1.Event",
    "api.core.v1.EventList",
    "api.apps.v1.DaemonSet",
    "api.apps.v1.DaemonSetList",
    "api.apps.v1.ControllerRevision",
    "api.apps.v1.ControllerRevisionList",
    "api.coordination.v1.Lease",
    "api.coordination.v1.LeaseList",
    "metrics.pkg.apis.metrics.v1beta1.PodMetrics",
    "metrics.pkg.apis.metrics.v1beta1.PodMetricsList",
    "metrics.pkg.apis.metrics.v1beta1.NodeMetrics",
    "metrics.pkg.apis.metrics.v1beta1.NodeMetricsList",
    "apimachinery.pkg.apis.meta.v1.Status",
    "apimachinery.pkg.apis.meta.v1.WatchEvent",
    "apimachinery.pkg.apis.meta.v1.DeleteOptions",
];
