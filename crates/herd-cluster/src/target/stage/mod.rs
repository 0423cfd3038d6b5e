//! The cluster side of a staged targeting edit: hold the nodes that gain the daemon with a
//! label, apply the edit with the hold requirement and the `herd.dev/staging` record in one
//! write, then (step by step, from the engine or a waiting command) lift the label batch by
//! batch; or roll the whole edit back. What to release and when is
//! `herd_core::targeting::stage`'s.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::Patch;
use kube::{Api, Client};
use serde_json::json;

mod command;
mod step;

pub use command::{StageCommand, command};
pub use step::{Stepped, carry_step, run_until_settled};

use super::{Applied, TargetError, api_error, apply_annotated};
use crate::rollout::{params, told_actions};
use herd_convert::records;
use herd_core::engine::action::{Action, Reason, shell_quote};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::placement::PlacementSpec;
use herd_core::targeting::stage::{
    ANNOTATION, Batch, HELD, StageRecord, StageState, VERSION, held, hold_key, without_hold,
};

/// How a staging releases its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageOptions {
    pub batch: Batch,
    /// Release in the order of this node label's value.
    pub order_by: Option<String>,
}

/// The DaemonSet's staging record, if it has one; one herd cannot read is an error (and is
/// never overwritten).
pub fn record_of(ds: &DaemonSet) -> Result<Option<StageRecord>, String> {
    ds.annotations
        .get(ANNOTATION)
        .map(|text| StageRecord::decode(text).map_err(|e| e.to_string()))
        .transpose()
}

fn action(ds: (&str, &str), reason: Reason, message: String, kubectl: String) -> Action {
    Action {
        namespace: ds.0.to_string(),
        daemon_set: ds.1.to_string(),
        reason,
        message,
        kubectl,
    }
}

/// `kubectl label node a b c KEY=held` (or `KEY-`).
fn label_command(nodes: &[Arc<str>], label: &str) -> String {
    let names: Vec<&str> = nodes.iter().map(|n| &**n).collect();
    format!("kubectl label node {} {label}", names.join(" "))
}

/// Sets (`Some(value)`) or removes (`None`) label `key` on each node, in order; stops at the
/// first refusal and says which nodes were done.
async fn label_nodes(
    client: &Client,
    nodes: &[Arc<str>],
    key: &str,
    value: Option<&str>,
) -> Result<(), (usize, TargetError)> {
    let api: Api<api::Node> = Api::all(client.clone());
    let body = json!({"metadata": {"labels": {key: value}}});
    for (done, node) in nodes.iter().enumerate() {
        if let Err(e) = api.patch(node, &params(), &Patch::Merge(&body)).await {
            // A node deleted meanwhile has nothing left to hold or release.
            if matches!(&e, kube::Error::Api(a) if a.code == 404) {
                continue;
            }
            return Err((done, api_error(&format!("node {node}"), &e)));
        }
    }
    Ok(())
}

/// A targeting edit to stage, as the preview saw it.
#[derive(Debug, Clone, Copy)]
pub struct Staged<'a> {
    /// The targeting the person edited (the write is refused if it changed since).
    pub base: &'a PlacementSpec,
    pub wanted: &'a PlacementSpec,
    /// The preview's nodes that gain the daemon: the ones held.
    pub gains: &'a [Arc<str>],
    /// The preview's headline, for the Event and the audit line.
    pub summary: &'a str,
}

/// Stages the edit: holds its gains, then writes the edit with the hold requirement and the
/// record over the targeting read. Any failure lifts the holds again and writes nothing else.
pub async fn start(
    client: &Client,
    namespace: &str,
    name: &str,
    edit: Staged<'_>,
    options: &StageOptions,
) -> Result<Applied, TargetError> {
    let Staged {
        base,
        wanted,
        gains,
        summary,
    } = edit;
    let what = format!("daemonset {namespace}/{name}");
    let object = Api::<apps::DaemonSet>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .map_err(|e| api_error(&what, &e))?;
    let ds = records::daemon_set(&object).map_err(|e| TargetError::Api {
        what: what.clone(),
        message: e.to_string(),
    })?;
    match record_of(&ds) {
        Err(message) => return Err(TargetError::Api { what, message }),
        Ok(Some(r)) if !r.state.is_final() => {
            return Err(TargetError::Api {
                what,
                message: format!(
                    "already stages an edit ({}); roll it back or let it finish first",
                    r.state.describe()
                ),
            });
        }
        _ => {}
    }
    let hold = hold_key(namespace, name);
    let wanted = without_hold(wanted);
    let record = StageRecord {
        version: VERSION,
        hold: hold.clone(),
        order_by: options.order_by.clone(),
        batch: options.batch,
        total: gains.len() as u32,
        released: 0,
        original: without_hold(base),
        wanted: wanted.clone(),
        state: StageState::Progressing,
        started: Timestamp::now(),
    };
    let held_label = format!("{hold}={HELD}");
    if let Err((done, e)) = label_nodes(client, gains, &hold, Some(HELD)).await {
        let _ = label_nodes(client, &gains[..done], &hold, None).await;
        return Err(e);
    }
    let staged = held(&wanted, &hold);
    let text = record.encode();
    let applied = apply_annotated(
        client,
        namespace,
        name,
        base,
        &staged,
        summary,
        Some((ANNOTATION, &text)),
    )
    .await;
    let mut applied = match applied {
        Ok(a) => a,
        Err(e) => {
            let _ = label_nodes(client, gains, &hold, None).await;
            return Err(e);
        }
    };
    let started = action(
        (namespace, name),
        Reason::StageStarted,
        format!(
            "staging: {} node(s) held with label {held_label}, released {} at a time{}",
            gains.len(),
            options.batch,
            options
                .order_by
                .as_ref()
                .map(|l| format!(" in the order of {l}"))
                .unwrap_or_default()
        ),
        label_command(gains, &held_label),
    );
    let (actions, trouble) = told_actions(client, &object_uid(&object), vec![started]).await;
    // The hold first, then the edit: the order a person would type them.
    applied.actions.splice(0..0, actions);
    applied.trouble.extend(trouble);
    Ok(applied)
}

fn object_uid(object: &apps::DaemonSet) -> String {
    object.metadata.uid.clone().unwrap_or_default()
}

fn annotate_command(ds: &DaemonSet, record: &StageRecord) -> String {
    format!(
        "kubectl annotate daemonset -n {} {} --overwrite {ANNOTATION}={}",
        ds.namespace,
        ds.name,
        shell_quote(&record.encode())
    )
}
