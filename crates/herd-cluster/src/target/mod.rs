//! The cluster side of node-targeting edits: read what a preview needs (the DaemonSet, every
//! node, the pods on them), write a DaemonSet's new targeting only over the targeting the
//! person edited (never silently over someone else's change), and label, taint or cordon
//! nodes. What to write and what it will do are `herd_core::targeting`'s.

mod nodes;
pub mod patch;
pub mod stage;

pub use nodes::apply_node_edit;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, Patch};
use kube::{Api, Client};
use serde_json::json;

use crate::problem::Problem;
use crate::rollout::{params, told_actions};
use herd_convert::{lean_pod, records};
use herd_core::engine::action::{self, Action, Reason};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::{Fleet, FleetEvent, Record};
use herd_core::model::placement::PlacementSpec;
use herd_core::targeting::preview::changes;
use herd_core::targeting::validate::{Invalid, validate};

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{what}: {message}")]
    Api { what: String, message: String },
    /// The edit breaks the API server's rules; nothing was sent.
    #[error("daemonset {daemon_set}: the edit is invalid, nothing was sent:\n  {}", .rules.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n  "))]
    Invalid {
        daemon_set: String,
        rules: Vec<Invalid>,
    },
    /// Someone changed the DaemonSet's targeting since it was read for editing; nothing was
    /// written. `theirs` says what they changed; `current` is what it is now, to rebase on.
    #[error("daemonset {daemon_set} changed since it was read, nothing was written; their change: {}", .theirs.join("; "))]
    Conflict {
        daemon_set: String,
        theirs: Vec<String>,
        current: PlacementSpec,
    },
}

fn api_error(what: &str, e: &kube::Error) -> TargetError {
    TargetError::Api {
        what: what.to_string(),
        message: Problem::of_kube(e).to_string(),
    }
}

/// What a preview reads: every DaemonSet (a node edit moves any of them), every node, and
/// every pod (their requests say what room a node has left); and the DaemonSet edited.
pub struct Snapshot {
    pub fleet: Fleet,
    pub daemon_set: DaemonSet,
}

pub async fn snapshot(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Snapshot, TargetError> {
    let what = format!("daemonset {namespace}/{name}");
    let object = Api::<apps::DaemonSet>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .map_err(|e| api_error(&what, &e))?;
    let daemon_set = records::daemon_set(&object).map_err(|e| TargetError::Api {
        what: what.clone(),
        message: e.to_string(),
    })?;
    let nodes = Api::<api::Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("nodes", &e))?;
    let all = Api::<apps::DaemonSet>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("daemonsets", &e))?;
    let pods = Api::<api::Pod>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("pods", &e))?;
    let mut fleet = Fleet::new();
    for n in &nodes.items {
        fleet.apply(FleetEvent::Upsert(Record::Node(records::node(n))));
    }
    for p in &pods.items {
        let lean: lean_pod::Pod = serde_json::to_value(p)
            .and_then(serde_json::from_value)
            .map_err(|e| TargetError::Api {
                what: "pods".into(),
                message: e.to_string(),
            })?;
        fleet.apply(FleetEvent::Upsert(Record::Pod(records::pod(&lean))));
    }
    for other in &all.items {
        // One another tool wrote in a shape herd cannot read is left out of node previews;
        // the DaemonSet edited was read above, or the edit stops there.
        if let Ok(record) = records::daemon_set(other) {
            fleet.apply(FleetEvent::Upsert(Record::DaemonSet(record)));
        }
    }
    fleet.apply(FleetEvent::Upsert(Record::DaemonSet(daemon_set.clone())));
    Ok(Snapshot { fleet, daemon_set })
}

/// What an apply did.
#[derive(Debug)]
pub struct Applied {
    /// Nothing was written: the DaemonSet already had the targeting asked for.
    pub unchanged: bool,
    /// Also posted as an Event on the DaemonSet.
    pub actions: Vec<Action>,
    /// Events that could not be posted.
    pub trouble: Vec<String>,
}

/// How often an apply reads and writes again when only other fields changed in between
/// (the controller's status writes move the resourceVersion all the time).
const CONFLICT_ATTEMPTS: u32 = 5;

/// Gives the DaemonSet the targeting `wanted`, provided its targeting is still `base` (what
/// the person edited). Checked first with the API server's rules (an invalid edit sends
/// nothing); written as a merge patch of the fields that change, over the resourceVersion read
/// just before, so a change in between is never overwritten: a change to the targeting is a
/// [`TargetError::Conflict`], a change elsewhere is read again and the write retried.
/// `summary` (the preview's headline) goes into the Event and the audit line.
pub async fn apply(
    client: &Client,
    namespace: &str,
    name: &str,
    base: &PlacementSpec,
    wanted: &PlacementSpec,
    summary: &str,
) -> Result<Applied, TargetError> {
    apply_annotated(client, namespace, name, base, wanted, summary, None).await
}

/// [`apply`], writing the annotation `(key, value)` in the same patch (a staging's record
/// goes on with the edit it carries, or not at all). With an annotation the patch is made
/// even when the targeting is already `wanted`.
pub(crate) async fn apply_annotated(
    client: &Client,
    namespace: &str,
    name: &str,
    base: &PlacementSpec,
    wanted: &PlacementSpec,
    summary: &str,
    annotation: Option<(&str, &str)>,
) -> Result<Applied, TargetError> {
    let key = format!("{namespace}/{name}");
    let rules = validate(wanted);
    if !rules.is_empty() {
        return Err(TargetError::Invalid {
            daemon_set: key,
            rules,
        });
    }
    let what = format!("daemonset {key}");
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    let mut attempts = 0;
    let (uid, by_hand) = loop {
        attempts += 1;
        let object = dss.get(name).await.map_err(|e| api_error(&what, &e))?;
        let current = records::daemon_set(&object).map_err(|e| TargetError::Api {
            what: what.clone(),
            message: e.to_string(),
        })?;
        let current = current.targeting.spec().clone();
        let written = object
            .spec
            .template
            .spec
            .as_ref()
            .and_then(|p| p.tolerations.as_ref())
            .map_or(0, Vec::len);
        if written != current.tolerations.len() && current.tolerations != wanted.tolerations {
            // Writing the list would drop the toleration herd could not read.
            return Err(TargetError::Api {
                what,
                message: "has a toleration with an operator or effect herd does not know; \
                          edit its tolerations with kubectl"
                    .into(),
            });
        }
        if current != *base {
            return Err(TargetError::Conflict {
                daemon_set: key,
                theirs: changes(base, &current),
                current,
            });
        }
        let mut by_hand = match (patch::merge_patch(&current, wanted), annotation) {
            (Some(mut p), Some((key, value))) => {
                p["metadata"] = json!({"annotations": {key: value}});
                Some(p)
            }
            (None, Some((key, value))) => Some(json!({"metadata": {"annotations": {key: value}}})),
            (p, None) => p,
        };
        if let Some(p) = &mut by_hand {
            patch::tidy_affinity(p, &object);
        }
        let Some(by_hand) = by_hand else {
            return Ok(Applied {
                unchanged: true,
                actions: Vec::new(),
                trouble: Vec::new(),
            });
        };
        let mut guarded = by_hand.clone();
        if let Some(version) = &object.metadata.resource_version {
            guarded["metadata"]["resourceVersion"] = json!(version);
        }
        match dss.patch(name, &params(), &Patch::Merge(guarded)).await {
            Ok(_) => break (object.metadata.uid.clone().unwrap_or_default(), by_hand),
            Err(kube::Error::Api(e)) if e.code == 409 && attempts < CONFLICT_ATTEMPTS => {}
            Err(e) => return Err(api_error(&what, &e)),
        }
    };
    let edit = changes(base, wanted).join("; ");
    let done = action::patched(
        namespace,
        name,
        Reason::Retargeted,
        format!("node targeting: {edit} ({summary})"),
        "merge",
        &by_hand.to_string(),
    );
    let (actions, trouble) = told_actions(client, &uid, vec![done]).await;
    Ok(Applied {
        unchanged: false,
        actions,
        trouble,
    })
}
