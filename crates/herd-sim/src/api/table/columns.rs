//! The upstream column definitions of every served kind (priority 1 columns are `-o wide`).

use serde_json::{Value, json};

use crate::Kind;

/// One column of a Table, as `columnDefinitions` lists it.
struct Column {
    name: &'static str,
    kind: &'static str,
    priority: u8,
    description: &'static str,
}

const fn col(
    name: &'static str,
    kind: &'static str,
    priority: u8,
    description: &'static str,
) -> Column {
    Column {
        name,
        kind,
        priority,
        description,
    }
}

const NAME: Column = col(
    "Name",
    "string",
    0,
    "Name must be unique within a namespace.",
);
const AGE: Column = col(
    "Age",
    "string",
    0,
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

const POD: &[Column] = &[
    NAME,
    col(
        "Ready",
        "string",
        0,
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    col(
        "Status",
        "string",
        0,
        "The aggregate status of the containers in this pod.",
    ),
    col(
        "Restarts",
        "string",
        0,
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    col("IP", "string", 1, "podIP address allocated to the pod."),
    col(
        "Node",
        "string",
        1,
        "NodeName is a request to schedule this pod onto a specific node.",
    ),
    col(
        "Nominated Node",
        "string",
        1,
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
    ),
    col(
        "Readiness Gates",
        "string",
        1,
        "If specified, all readiness gates will be evaluated for pod readiness.",
    ),
];
const NODE: &[Column] = &[
    NAME,
    col("Status", "string", 0, "The status of the node"),
    col("Roles", "string", 0, "The roles of the node"),
    AGE,
    col(
        "Version",
        "string",
        0,
        "Kubelet Version reported by the node.",
    ),
    col(
        "Internal-IP",
        "string",
        1,
        "List of addresses reachable to the node.",
    ),
    col(
        "External-IP",
        "string",
        1,
        "List of addresses reachable to the node.",
    ),
    col(
        "OS-Image",
        "string",
        1,
        "OS Image reported by the node from /etc/os-release.",
    ),
    col(
        "Kernel-Version",
        "string",
        1,
        "Kernel Version reported by the node from 'uname -r'.",
    ),
    col(
        "Container-Runtime",
        "string",
        1,
        "ContainerRuntime Version reported by the node through runtime remote API.",
    ),
];
const DAEMONSET: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        0,
        "The total number of nodes that should be running the daemon pod.",
    ),
    col(
        "Current",
        "integer",
        0,
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.",
    ),
    col(
        "Ready",
        "integer",
        0,
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.",
    ),
    col(
        "Up-to-date",
        "integer",
        0,
        "The total number of nodes that are running updated daemon pod.",
    ),
    col(
        "Available",
        "integer",
        0,
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.",
    ),
    col(
        "Node Selector",
        "string",
        0,
        "NodeSelector is a selector which must be true for the pod to fit on a node.",
    ),
    AGE,
    col(
        "Containers",
        "string",
        1,
        "Names of each container in the template.",
    ),
    col(
        "Images",
        "string",
        1,
        "Images referenced by each container in the template.",
    ),
    col(
        "Selector",
        "string",
        1,
        "A label query over pods that are managed by the daemon set.",
    ),
];
const NAMESPACE: &[Column] = &[
    NAME,
    col("Status", "string", 0, "The status of the namespace"),
    AGE,
];
const CONTROLLER_REVISION: &[Column] = &[
    NAME,
    col("Controller", "string", 0, "Controller of the object"),
    col(
        "Revision",
        "integer",
        0,
        "Revision indicates the revision of the state represented by Data.",
    ),
    AGE,
];
const EVENT: &[Column] = &[
    col(
        "Last Seen",
        "string",
        0,
        "The time at which the most recent occurrence of this event was recorded.",
    ),
    col(
        "Type",
        "string",
        0,
        "Type of this event (Normal, Warning), new types could be added in the future",
    ),
    col(
        "Reason",
        "string",
        0,
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    col(
        "Object",
        "string",
        0,
        "The object that this event is about.",
    ),
    col(
        "Subobject",
        "string",
        1,
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.",
    ),
    col("Source", "string", 1, "The component reporting this event."),
    col(
        "Message",
        "string",
        0,
        "A human-readable description of the status of this operation.",
    ),
    col(
        "First Seen",
        "string",
        1,
        "The time at which the event was first recorded.",
    ),
    col(
        "Count",
        "string",
        1,
        "The number of times this event has occurred.",
    ),
    col(
        "Name",
        "string",
        1,
        "Name must be unique within a namespace.",
    ),
];
const LEASE: &[Column] = &[
    NAME,
    col(
        "Holder",
        "string",
        0,
        "holderIdentity contains the identity of the holder of a current lease.",
    ),
    AGE,
];

fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Pod => POD,
        Kind::Node => NODE,
        Kind::DaemonSet => DAEMONSET,
        Kind::Namespace => NAMESPACE,
        Kind::ControllerRevision => CONTROLLER_REVISION,
        Kind::Event => EVENT,
        Kind::Lease => LEASE,
    }
}

pub fn column_definitions(kind: Kind) -> Value {
    Value::Array(
        columns(kind)
            .iter()
            .map(|c| {
                let mut d = json!({
                    "name": c.name,
                    "type": c.kind,
                    "format": "",
                    "description": c.description,
                    "priority": c.priority,
                });
                if c.name == "Name" {
                    d["format"] = json!("name");
                }
                d
            })
            .collect(),
    )
}
