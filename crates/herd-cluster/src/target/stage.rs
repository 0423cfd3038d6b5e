//! The cluster side of a staged targeting edit: hold the nodes that gain the daemon with a
//! label, apply the edit with the hold requirement and the `herd.dev/staging` record in one
//! write, then (step by step, from the engine or a waiting command) lift the label batch by
//! batch; or roll the whole edit back. What to release and when is
//! `herd_core::targeting::stage`'s.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, Patch};
use kube::{Api, Client};
use serde_json::json;

use super::{Applied, TargetError, api_error, apply_annotated, patch};
use crate::lease::{Hold, Leases, default_identity};
use crate::rollout::{params, told_actions};
use herd_convert::records;
use herd_core::engine::action::{Action, Reason, shell_quote};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::Fleet;
use herd_core::model::placement::PlacementSpec;
use herd_core::targeting::preview::changes;
use herd_core::targeting::stage::{
    ANNOTATION, Batch, HELD, StageNext, StageRecord, StageState, VERSION, held, hold_key, step,
    without_hold,
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

/// Changes the DaemonSet's record with `change` and writes it back, conditional on the version
/// read; a write that lost to another (the controller's status updates move the version all
/// the time) reads again and tries again. `change` says `false` when the record as read no
/// longer wants the change (another process made it, or a person rolled back).
async fn change_record(
    client: &Client,
    namespace: &str,
    name: &str,
    mut change: impl FnMut(&mut StageRecord) -> bool,
) -> Result<Option<StageRecord>, TargetError> {
    let what = format!("daemonset {namespace}/{name}");
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    for _ in 0..CONFLICT_ATTEMPTS {
        let object = dss.get(name).await.map_err(|e| api_error(&what, &e))?;
        let ds = records::daemon_set(&object).map_err(|e| TargetError::Api {
            what: what.clone(),
            message: e.to_string(),
        })?;
        let Some(mut record) = record_of(&ds).map_err(|message| TargetError::Api {
            what: what.clone(),
            message,
        })?
        else {
            return Ok(None);
        };
        if !change(&mut record) {
            return Ok(None);
        }
        let mut body = json!({"metadata": {"annotations": {ANNOTATION: record.encode()}}});
        if let Some(v) = &object.metadata.resource_version {
            body["metadata"]["resourceVersion"] = json!(v);
        }
        match dss.patch(name, &params(), &Patch::Merge(body)).await {
            Ok(_) => return Ok(Some(record)),
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(api_error(&what, &e)),
        }
    }
    Err(TargetError::Api {
        what,
        message: format!(
            "changed {CONFLICT_ATTEMPTS} times while herd wrote its {ANNOTATION} record; trying again later"
        ),
    })
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

/// How often a record write reads and writes again after losing to another write.
const CONFLICT_ATTEMPTS: u32 = 5;

fn annotate_command(ds: &DaemonSet, record: &StageRecord) -> String {
    format!(
        "kubectl annotate daemonset -n {} {} --overwrite {ANNOTATION}={}",
        ds.namespace,
        ds.name,
        shell_quote(&record.encode())
    )
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

/// A person's word on a staging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageCommand {
    /// A halted staging goes on releasing.
    Resume,
    /// The targeting from before the edit goes back, and every hold is lifted.
    Rollback,
}

/// Resumes or rolls back the staging of `namespace/name`.
pub async fn command(
    client: &Client,
    namespace: &str,
    name: &str,
    command: StageCommand,
) -> Result<Applied, TargetError> {
    let what = format!("daemonset {namespace}/{name}");
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    let object = dss.get(name).await.map_err(|e| api_error(&what, &e))?;
    let ds = records::daemon_set(&object).map_err(|e| TargetError::Api {
        what: what.clone(),
        message: e.to_string(),
    })?;
    let refuse = |message: String| TargetError::Api {
        what: what.clone(),
        message,
    };
    let mut record = record_of(&ds)
        .map_err(&refuse)?
        .ok_or_else(|| refuse(format!("has no staged edit (no {ANNOTATION} annotation)")))?;
    let names = (namespace, name);
    let done = match command {
        StageCommand::Resume => {
            if !matches!(record.state, StageState::Halted { .. }) {
                return Err(refuse(format!(
                    "its staging is {}, not Halted: nothing to resume",
                    record.state.describe()
                )));
            }
            record.state = StageState::Progressing;
            change_record(client, namespace, name, |now| {
                let halted = matches!(now.state, StageState::Halted { .. });
                if halted {
                    now.state = StageState::Progressing;
                }
                halted
            })
            .await?;
            action(
                names,
                Reason::StageResumed,
                "staging resumed".into(),
                annotate_command(&ds, &record),
            )
        }
        StageCommand::Rollback => {
            if record.state == StageState::RolledBack {
                return Err(refuse("its staged edit is already rolled back".into()));
            }
            let by_hand = roll_back(client, namespace, name, &mut record).await?;
            let held_nodes = held_nodes(client, &record.hold).await?;
            label_nodes(client, &held_nodes, &record.hold, None)
                .await
                .map_err(|(_, e)| e)?;
            let mut kubectl = format!(
                "kubectl patch daemonset -n {namespace} {name} --type merge -p {}",
                shell_quote(&by_hand.to_string())
            );
            if !held_nodes.is_empty() {
                kubectl.push_str(" && ");
                kubectl.push_str(&label_command(&held_nodes, &format!("{}-", record.hold)));
            }
            action(
                names,
                Reason::StageRolledBack,
                format!(
                    "staged edit rolled back: {}; {} held node(s) released",
                    changes(&record.wanted, &record.original).join("; "),
                    held_nodes.len()
                ),
                kubectl,
            )
        }
    };
    let (actions, trouble) = told_actions(client, &object_uid(&object), vec![done]).await;
    Ok(Applied {
        unchanged: false,
        actions,
        trouble,
    })
}

/// Puts the targeting from before the staged edit back, with the record saying RolledBack, in
/// one write over the version read; the targeting must still be the staged edit's (a change
/// someone made since is never overwritten). Returns the patch, as a person would send it.
async fn roll_back(
    client: &Client,
    namespace: &str,
    name: &str,
    record: &mut StageRecord,
) -> Result<serde_json::Value, TargetError> {
    let what = format!("daemonset {namespace}/{name}");
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    for _ in 0..CONFLICT_ATTEMPTS {
        let object = dss.get(name).await.map_err(|e| api_error(&what, &e))?;
        let ds = records::daemon_set(&object).map_err(|e| TargetError::Api {
            what: what.clone(),
            message: e.to_string(),
        })?;
        let current = ds.targeting.spec().clone();
        let staged = held(&record.wanted, &record.hold);
        if current != staged && current != record.wanted {
            return Err(TargetError::Conflict {
                daemon_set: format!("{namespace}/{name}"),
                theirs: changes(&staged, &current),
                current,
            });
        }
        record.state = StageState::RolledBack;
        let mut body = patch::merge_patch(&current, &record.original).unwrap_or_else(|| json!({}));
        patch::tidy_affinity(&mut body, &object);
        body["metadata"] = json!({"annotations": {ANNOTATION: record.encode()}});
        let by_hand = body.clone();
        if let Some(v) = &object.metadata.resource_version {
            body["metadata"]["resourceVersion"] = json!(v);
        }
        match dss.patch(name, &params(), &Patch::Merge(body)).await {
            Ok(_) => return Ok(by_hand),
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(api_error(&what, &e)),
        }
    }
    Err(TargetError::Api {
        what,
        message: format!("changed {CONFLICT_ATTEMPTS} times while herd rolled it back; try again"),
    })
}

/// The nodes carrying label `hold`.
async fn held_nodes(client: &Client, hold: &str) -> Result<Vec<Arc<str>>, TargetError> {
    let list = Api::<api::Node>::all(client.clone())
        .list(&ListParams::default().labels(hold))
        .await
        .map_err(|e| api_error("nodes", &e))?;
    Ok(list
        .items
        .iter()
        .filter_map(|n| n.metadata.name.as_deref().map(Arc::from))
        .collect())
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
