//! One step of a staging (release a batch, record a halt or the end) and the loop that carries
//! a staging from this process; what to do is `herd_core::targeting::stage::step`'s.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use kube::api::Patch;
use kube::{Api, Client};
use serde_json::json;

use super::{action, annotate_command, label_command, label_nodes, record_of};
use crate::lease::{Hold, Leases, default_identity};
use crate::rollout::{params, told_actions};
use crate::target::{TargetError, api_error};
use herd_core::engine::action::{Action, Reason};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::Fleet;
use herd_core::targeting::stage::{ANNOTATION, StageNext, StageRecord, StageState, step};

/// What one step did.
#[derive(Debug, Default)]
pub struct Stepped {
    /// The record as it stands after the step.
    pub record: Option<StageRecord>,
    pub actions: Vec<Action>,
    pub trouble: Vec<String>,
    /// The record was written.
    pub wrote: bool,
}

/// Writes `record` on `ds` in place of the record `ds` carries, as a JSON patch that first
/// tests the annotation is still that text: a person's rollback or resume in between makes it
/// fail (`false`, nothing written), while the controller's status updates, which move the
/// `resourceVersion` all the time, do not.
async fn write_record(
    client: &Client,
    ds: &DaemonSet,
    record: &StageRecord,
) -> Result<bool, TargetError> {
    let what = format!("daemonset {}", ds.key());
    let Some(old) = ds.annotations.get(ANNOTATION) else {
        return Ok(false);
    };
    let path = format!(
        "/metadata/annotations/{}",
        ANNOTATION.replace('~', "~0").replace('/', "~1")
    );
    let ops = json!([
        {"op": "test", "path": path, "value": old},
        {"op": "replace", "path": path, "value": record.encode()},
    ]);
    let ops: json_patch::Patch = serde_json::from_value(ops).map_err(|e| TargetError::Api {
        what: what.clone(),
        message: e.to_string(),
    })?;
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), &ds.namespace);
    match dss
        .patch(&ds.name, &params(), &Patch::<()>::Json(ops))
        .await
    {
        Ok(_) => Ok(true),
        // The test failed: the record is no longer the one planned from.
        Err(kube::Error::Api(e)) if e.code == 422 || e.code == 409 => Ok(false),
        Err(e) => Err(api_error(&what, &e)),
    }
}

/// One step of `ds`'s staging over `fleet` (which holds its pods and every node): release a
/// batch, record a halt or the end, or nothing.
pub async fn carry_step(
    client: &Client,
    fleet: &Fleet,
    ds: &DaemonSet,
) -> Result<Stepped, TargetError> {
    let record = match record_of(ds) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(Stepped::default()),
        Err(message) => {
            return Err(TargetError::Api {
                what: format!("daemonset {}", ds.key()),
                message,
            });
        }
    };
    let names = (&*ds.namespace, &*ds.name);
    let s = step(fleet, ds, &record, Timestamp::now());
    let mut out = Stepped::default();
    let mut wanted = record.clone();
    let (reason, message, kubectl) = match s.next {
        StageNext::Hold | StageNext::Wait { .. } => {
            out.record = Some(record);
            return Ok(out);
        }
        StageNext::Release(nodes) => {
            label_nodes(client, &nodes, &record.hold, None)
                .await
                .map_err(|(_, e)| e)?;
            let left = s.held.saturating_sub(nodes.len() as u32);
            // Counted from the nodes still held, so a count missed once is right again next
            // time.
            let size = wanted.batch.size(wanted.total);
            wanted.released = wanted
                .total
                .saturating_sub(left)
                .div_ceil(size)
                .max(record.released + 1);
            let list: Vec<&str> = nodes.iter().map(|n| &**n).collect();
            (
                Reason::StageReleased,
                format!(
                    "batch {} of {}: released {} ({left} node(s) still held)",
                    wanted.released,
                    wanted.batches(),
                    list.join(", ")
                ),
                label_command(&nodes, &format!("{}-", wanted.hold)),
            )
        }
        StageNext::Halt { reason, nodes } => {
            let nodes: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
            wanted.state = StageState::Halted {
                reason: reason.clone(),
                nodes: nodes.clone(),
            };
            (
                Reason::StageHalted,
                format!("halted: {reason} on {}", nodes.join(", ")),
                annotate_command(ds, &wanted),
            )
        }
        StageNext::Complete => {
            wanted.state = StageState::Complete;
            (
                Reason::StageComplete,
                format!("staging complete: all {} node(s) released", wanted.total),
                annotate_command(ds, &wanted),
            )
        }
    };
    // Conditional on the record the step was planned from: a person's rollback or resume in
    // between wins, and the next pass plans again from what they wrote. Labels already lifted
    // are told all the same.
    let written = write_record(client, ds, &wanted).await?;
    if !written && reason != Reason::StageReleased {
        out.record = Some(record);
        return Ok(out);
    }
    out.wrote = written;
    let (actions, trouble) = told_actions(
        client,
        &ds.uid,
        vec![action(names, reason, message, kubectl)],
    )
    .await;
    out.actions = actions;
    out.trouble = trouble;
    out.record = Some(if written { wanted } else { record });
    Ok(out)
}

/// How often a waiting command reads the DaemonSet again.
const POLL: Duration = Duration::from_secs(1);

/// How long the Lease of a waiting command lasts unrenewed: as `herd engine`'s default.
const LEASE: Duration = Duration::from_secs(15);

/// Carries the staging of `namespace/name` from this process until it ends or halts, telling
/// `progress` of every step that did something; returns the record as it ended. It releases
/// nodes only while it holds the DaemonSet's Lease (the one `herd engine` takes): two
/// processes releasing from their own views could let out two batches at once.
pub async fn run_until_settled(
    client: &Client,
    namespace: &str,
    name: &str,
    mut progress: impl FnMut(&Stepped),
) -> Result<StageRecord, TargetError> {
    let mut leases = Leases::new(client.clone(), default_identity(), LEASE);
    let result = carry_while_held(client, namespace, name, &mut leases, &mut progress).await;
    leases.release(namespace, name).await;
    result
}

async fn carry_while_held(
    client: &Client,
    namespace: &str,
    name: &str,
    leases: &mut Leases,
    progress: &mut impl FnMut(&Stepped),
) -> Result<StageRecord, TargetError> {
    loop {
        let mine = leases
            .hold(namespace, name)
            .await
            .map_err(|e| TargetError::Api {
                what: format!("daemonset {namespace}/{name}"),
                message: e.to_string(),
            })?;
        let snapshot = crate::rollout::snapshot(client, namespace, name)
            .await
            .map_err(|e| TargetError::Api {
                what: format!("daemonset {namespace}/{name}"),
                message: e.to_string(),
            })?;
        let stepped = if mine == Hold::Mine && leases.may_write(namespace, name) {
            carry_step(client, &snapshot.fleet, &snapshot.daemon_set).await?
        } else {
            // Another process carries it: follow its record.
            Stepped {
                record: record_of(&snapshot.daemon_set).map_err(|message| TargetError::Api {
                    what: format!("daemonset {namespace}/{name}"),
                    message,
                })?,
                ..Stepped::default()
            }
        };
        if !stepped.actions.is_empty() || !stepped.trouble.is_empty() {
            progress(&stepped);
        }
        let Some(record) = stepped.record.clone() else {
            return Err(TargetError::Api {
                what: format!("daemonset {namespace}/{name}"),
                message: format!("has no staged edit (no {ANNOTATION} annotation)"),
            });
        };
        if record.state != StageState::Progressing {
            return Ok(record);
        }
        tokio::time::sleep(POLL).await;
    }
}
