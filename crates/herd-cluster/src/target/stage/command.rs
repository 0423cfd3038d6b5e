//! A person's word on a staging: resume a halted one, or roll the edit back (the targeting
//! from before, every hold lifted), never over someone else's change.

use std::sync::Arc;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, Patch};
use kube::{Api, Client};
use serde_json::{Value, json};

use super::{action, annotate_command, label_command, label_nodes, object_uid, record_of};
use crate::rollout::{params, told_actions};
use crate::target::{Applied, TargetError, api_error, patch};
use herd_convert::records;
use herd_core::engine::action::{Reason, shell_quote};
use herd_core::model::daemonset::DaemonSet;
use herd_core::targeting::preview::changes;
use herd_core::targeting::stage::{ANNOTATION, StageRecord, StageState, held};

/// Reads the DaemonSet, asks `build` for the merge patch to write over it (`None`: nothing to
/// write), and writes it over the version read; a write that lost to another (the
/// controller's status updates move the version all the time) reads again and asks again.
/// Returns the patch written, as a person would send it.
async fn write_over_read(
    client: &Client,
    namespace: &str,
    name: &str,
    mut build: impl FnMut(&apps::DaemonSet, &DaemonSet) -> Result<Option<Value>, Box<TargetError>>,
) -> Result<Option<Value>, TargetError> {
    let what = format!("daemonset {namespace}/{name}");
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    for _ in 0..CONFLICT_ATTEMPTS {
        let object = dss.get(name).await.map_err(|e| api_error(&what, &e))?;
        let ds = records::daemon_set(&object).map_err(|e| TargetError::Api {
            what: what.clone(),
            message: e.to_string(),
        })?;
        let Some(by_hand) = build(&object, &ds).map_err(|e| *e)? else {
            return Ok(None);
        };
        let mut body = by_hand.clone();
        if let Some(v) = &object.metadata.resource_version {
            body["metadata"]["resourceVersion"] = json!(v);
        }
        match dss.patch(name, &params(), &Patch::Merge(body)).await {
            Ok(_) => return Ok(Some(by_hand)),
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(api_error(&what, &e)),
        }
    }
    Err(TargetError::Api {
        what,
        message: format!("changed {CONFLICT_ATTEMPTS} times while herd wrote it; try again"),
    })
}

/// Changes the DaemonSet's record with `change` and writes it back over the version read.
/// `change` says `false` when the record as read no longer wants the change (another process
/// made it, or a person rolled back).
async fn change_record(
    client: &Client,
    namespace: &str,
    name: &str,
    mut change: impl FnMut(&mut StageRecord) -> bool,
) -> Result<Option<StageRecord>, TargetError> {
    let what = format!("daemonset {namespace}/{name}");
    let mut written = None;
    write_over_read(client, namespace, name, |_, ds| {
        let record = record_of(ds).map_err(|message| TargetError::Api {
            what: what.clone(),
            message,
        })?;
        let Some(mut record) = record else {
            return Ok(None);
        };
        if !change(&mut record) {
            return Ok(None);
        }
        let body = json!({"metadata": {"annotations": {ANNOTATION: record.encode()}}});
        written = Some(record);
        Ok(Some(body))
    })
    .await?;
    Ok(written)
}

/// How often a record write reads and writes again after losing to another write.
const CONFLICT_ATTEMPTS: u32 = 5;

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
) -> Result<Value, TargetError> {
    let written = write_over_read(client, namespace, name, |object, ds| {
        let current = ds.targeting.spec().clone();
        let staged = held(&record.wanted, &record.hold);
        if current != staged && current != record.wanted {
            return Err(Box::new(TargetError::Conflict {
                daemon_set: format!("{namespace}/{name}"),
                theirs: changes(&staged, &current),
                current,
            }));
        }
        record.state = StageState::RolledBack;
        let mut body = patch::merge_patch(&current, &record.original).unwrap_or_else(|| json!({}));
        patch::tidy_affinity(&mut body, object);
        body["metadata"] = json!({"annotations": {ANNOTATION: record.encode()}});
        Ok(Some(body))
    })
    .await?;
    Ok(written.unwrap_or_else(|| json!({})))
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
