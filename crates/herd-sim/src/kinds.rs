//! The kinds the simulator stores, and the typed bridge between a kind and its table in the store.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::store::{Store, Table};

/// Every kind the simulated API server stores. Metrics are computed on request and not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    DaemonSet,
    ControllerRevision,
    Event,
    Lease,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::DaemonSet,
        Kind::ControllerRevision,
        Kind::Event,
        Kind::Lease,
    ];

    /// The facts discovery and URL routing need about a kind.
    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::Namespace => &NAMESPACE,
            Kind::Node => &NODE,
            Kind::Pod => &POD,
            Kind::DaemonSet => &DAEMONSET,
            Kind::ControllerRevision => &CONTROLLER_REVISION,
            Kind::Event => &EVENT,
            Kind::Lease => &LEASE,
        }
    }

    /// Looks a kind up by its URL path: API group ("" for core), version and plural.
    pub fn from_path(group: &str, version: &str, plural: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| {
            let i = k.info();
            i.group == group && i.version == version && i.plural == plural
        })
    }
}

/// Static facts about a kind, as discovery documents present them.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: &'static str,
    pub list_kind: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub has_status: bool,
}

impl KindInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const NAMESPACE: KindInfo = KindInfo {
    kind: "Namespace",
    list_kind: "NamespaceList",
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    namespaced: false,
    short_names: &["ns"],
    has_status: true,
};
const NODE: KindInfo = KindInfo {
    kind: "Node",
    list_kind: "NodeList",
    group: "",
    version: "v1",
    plural: "nodes",
    singular: "node",
    namespaced: false,
    short_names: &["no"],
    has_status: true,
};
const POD: KindInfo = KindInfo {
    kind: "Pod",
    list_kind: "PodList",
    group: "",
    version: "v1",
    plural: "pods",
    singular: "pod",
    namespaced: true,
    short_names: &["po"],
    has_status: true,
};
const DAEMONSET: KindInfo = KindInfo {
    kind: "DaemonSet",
    list_kind: "DaemonSetList",
    group: "apps",
    version: "v1",
    plural: "daemonsets",
    singular: "daemonset",
    namespaced: true,
    short_names: &["ds"],
    has_status: true,
};
const CONTROLLER_REVISION: KindInfo = KindInfo {
    kind: "ControllerRevision",
    list_kind: "ControllerRevisionList",
    group: "apps",
    version: "v1",
    plural: "controllerrevisions",
    singular: "controllerrevision",
    namespaced: true,
    short_names: &[],
    has_status: false,
};
const EVENT: KindInfo = KindInfo {
    kind: "Event",
    list_kind: "EventList",
    group: "",
    version: "v1",
    plural: "events",
    singular: "event",
    namespaced: true,
    short_names: &["ev"],
    has_status: false,
};
const LEASE: KindInfo = KindInfo {
    kind: "Lease",
    list_kind: "LeaseList",
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    singular: "lease",
    namespaced: true,
    short_names: &[],
    has_status: false,
};

/// A stored object of any kind, shared with the table that holds its current version.
#[derive(Debug, Clone)]
pub enum AnyObject {
    Namespace(Arc<Namespace>),
    Node(Arc<Node>),
    Pod(Arc<Pod>),
    DaemonSet(Arc<DaemonSet>),
    ControllerRevision(Arc<ControllerRevision>),
    Event(Arc<Event>),
    Lease(Arc<Lease>),
}

impl AnyObject {
    pub fn kind(&self) -> Kind {
        match self {
            AnyObject::Namespace(_) => Kind::Namespace,
            AnyObject::Node(_) => Kind::Node,
            AnyObject::Pod(_) => Kind::Pod,
            AnyObject::DaemonSet(_) => Kind::DaemonSet,
            AnyObject::ControllerRevision(_) => Kind::ControllerRevision,
            AnyObject::Event(_) => Kind::Event,
            AnyObject::Lease(_) => Kind::Lease,
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        use k8s_openapi::Metadata;
        match self {
            AnyObject::Namespace(o) => o.metadata(),
            AnyObject::Node(o) => o.metadata(),
            AnyObject::Pod(o) => o.metadata(),
            AnyObject::DaemonSet(o) => o.metadata(),
            AnyObject::ControllerRevision(o) => o.metadata(),
            AnyObject::Event(o) => o.metadata(),
            AnyObject::Lease(o) => o.metadata(),
        }
    }

    /// Serialises the object as the API serves it (with apiVersion and kind).
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        match self {
            AnyObject::Namespace(o) => serde_json::to_vec(o.as_ref()),
            AnyObject::Node(o) => serde_json::to_vec(o.as_ref()),
            AnyObject::Pod(o) => serde_json::to_vec(o.as_ref()),
            AnyObject::DaemonSet(o) => serde_json::to_vec(o.as_ref()),
            AnyObject::ControllerRevision(o) => serde_json::to_vec(o.as_ref()),
            AnyObject::Event(o) => serde_json::to_vec(o.as_ref()),
            AnyObject::Lease(o) => serde_json::to_vec(o.as_ref()),
        }
    }

    pub fn to_value(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            AnyObject::Namespace(o) => serde_json::to_value(o.as_ref()),
            AnyObject::Node(o) => serde_json::to_value(o.as_ref()),
            AnyObject::Pod(o) => serde_json::to_value(o.as_ref()),
            AnyObject::DaemonSet(o) => serde_json::to_value(o.as_ref()),
            AnyObject::ControllerRevision(o) => serde_json::to_value(o.as_ref()),
            AnyObject::Event(o) => serde_json::to_value(o.as_ref()),
            AnyObject::Lease(o) => serde_json::to_value(o.as_ref()),
        }
    }
}

/// A Kubernetes type the simulator stores: ties the k8s-openapi type to its table and its `Kind`.
pub trait Object:
    k8s_openapi::Resource
    + k8s_openapi::ListableResource
    + k8s_openapi::Metadata<Ty = ObjectMeta>
    + Serialize
    + DeserializeOwned
    + Clone
    + Send
    + Sync
    + 'static
{
    const SIM_KIND: Kind;
    fn table(store: &Store) -> &Table<Self>;
    fn table_mut(store: &mut Store) -> &mut Table<Self>;
    fn wrap(obj: Arc<Self>) -> AnyObject;
}

macro_rules! stored_kind {
    ($ty:ty, $kind:ident, $field:ident) => {
        impl Object for $ty {
            const SIM_KIND: Kind = Kind::$kind;
            fn table(store: &Store) -> &Table<Self> {
                &store.$field
            }
            fn table_mut(store: &mut Store) -> &mut Table<Self> {
                &mut store.$field
            }
            fn wrap(obj: Arc<Self>) -> AnyObject {
                AnyObject::$kind(obj)
            }
        }
    };
}

stored_kind!(Namespace, Namespace, namespaces);
stored_kind!(Node, Node, nodes);
stored_kind!(Pod, Pod, pods);
stored_kind!(DaemonSet, DaemonSet, daemonsets);
stored_kind!(ControllerRevision, ControllerRevision, revisions);
stored_kind!(Event, Event, events);
stored_kind!(Lease, Lease, leases);
