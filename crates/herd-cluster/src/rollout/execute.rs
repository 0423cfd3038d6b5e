//! The executor: carries out one plan for one managed DaemonSet, deciding nothing. Every write
//! is conditional on what the plan was made from: the record is written only over the
//! DaemonSet's version that was read (so a person's pause or a new template in between makes
//! the write fail and the engine re-plan), and a pod is deleted only by its uid and version
//! (so a pod that changed since is never deleted on stale grounds).

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{DeleteParams, Patch, Preconditions};
use kube::{Api, Client};
use serde_json::{Value, json};

use super::{Names, Pick, RolloutError, params, revision_template};
use crate::events;
use herd_core::engine::action::{self, Action, Reason};
use herd_core::engine::plan::{Next, Plan};
use herd_core::engine::record::{ANNOTATION, RolloutRecord, State};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::Fleet;
use herd_core::model::version::ResourceVersion;

/// What a write does to the update strategy besides writing the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Keep,
    /// Put back the strategy herd took away (the rollout ended or was aborted).
    Restore,
    /// Take it (again) under management: `OnDelete` (a person resumed a contested rollout).
    Manage,
}

/// What carrying out one plan did.
#[derive(Debug)]
pub struct Carried {
    /// The record as it now stands in the cluster.
    pub record: RolloutRecord,
    /// Pods deleted.
    pub deleted: Vec<String>,
    /// The DaemonSet's version after herd's own write, when it wrote one: the runner waits to
    /// see it before planning this DaemonSet again.
    pub wrote: Option<ResourceVersion>,
    /// What was done, each also posted as an Event on the DaemonSet (for the audit log).
    pub actions: Vec<Action>,
    /// Events that could not be posted, in the server's words.
    pub trouble: Vec<String>,
}

/// Carries out `plan` for `ds`, whose record was `record` when planned. A record written over
/// a DaemonSet that changed since it was read fails with [`RolloutError::Changed`]: re-plan.
pub async fn carry_out(
    client: &Client,
    fleet: &Fleet,
    ds: &DaemonSet,
    mut record: RolloutRecord,
    plan: &Plan,
) -> Result<Carried, RolloutError> {
    let names = Names {
        namespace: &ds.namespace,
        name: &ds.name,
    };
    let mut carried = Carried {
        record: record.clone(),
        deleted: Vec::new(),
        wrote: None,
        actions: Vec::new(),
        trouble: Vec::new(),
    };
    let before = record.state.clone();
    let strategy = match &plan.next {
        Next::Proceed if !plan.deletions.is_empty() => {
            // The batch is recorded before its deletions: a process dying in between leaves a
            // batch counted with pods still to delete, which the next plan deletes again.
            record.batches += 1;
            Strategy::Keep
        }
        Next::Pause(point) => {
            record.state = State::Paused { at: Some(*point) };
            record.paused_with = Some(plan.moved);
            Strategy::Keep
        }
        Next::Halt { reason, nodes }
            if record.policy.rollback_on_failure && !record.rollback && record.from.is_some() =>
        {
            let halted = State::Halted {
                reason: reason.clone(),
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
            };
            return roll_back(client, fleet, ds, record, halted).await;
        }
        Next::Halt { reason, nodes } => {
            record.state = State::Halted {
                reason: reason.clone(),
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
            };
            Strategy::Keep
        }
        Next::Contest { manager } => {
            record.state = State::Contested {
                manager: manager.clone(),
            };
            Strategy::Keep
        }
        Next::Complete => {
            record.state = if record.rollback {
                State::RolledBack
            } else {
                State::Complete
            };
            if record.policy.keep_managed {
                Strategy::Keep
            } else {
                Strategy::Restore
            }
        }
        Next::Proceed | Next::Hold => return Ok(carried),
    };
    carried.wrote = write(client, ds, &record, strategy, true).await?;
    if record.state != before
        && let Some(reason) = action::reason_for(&record.state)
    {
        let patch = strategy_patch(&record, strategy).map(|p| p.to_string());
        carried.actions.push(action::recorded(
            &ds.namespace,
            &ds.name,
            reason,
            &record,
            patch.as_deref(),
        ));
    }
    carried.record = record;
    if !matches!(plan.next, Next::Proceed) {
        tell(client, ds, &mut carried).await;
        return Ok(carried);
    }
    let pods: Api<api::Pod> = Api::namespaced(client.clone(), &ds.namespace);
    // The plan was made from `fleet`: each pod is deleted by the uid and version it had then.
    for pod in plan.deletions.iter().filter_map(|d| d.target(fleet)) {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: Some(pod.uid.to_string()),
                resource_version: pod.resource_version.as_ref().map(|v| v.to_string()),
            }),
            ..DeleteParams::default()
        };
        match pods.delete(&pod.name, &params).await {
            Ok(_) => carried.deleted.push(pod.name.to_string()),
            // Gone, replaced or changed since the plan: the next plan sees it as it is.
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => return Err(names.kube(e)),
        }
    }
    if !carried.deleted.is_empty() {
        carried.actions.push(action::batch(
            &ds.namespace,
            &ds.name,
            carried.record.batches,
            &carried.deleted,
        ));
    }
    tell(client, ds, &mut carried).await;
    Ok(carried)
}

/// The new revision failed and the policy says to roll back: the template the rollout started
/// from goes back in the same write as a record that rolls it out (ending RolledBack). The
/// native controller creates nothing by itself (OnDelete); the failed pods are replaced in
/// batches like any others.
async fn roll_back(
    client: &Client,
    fleet: &Fleet,
    ds: &DaemonSet,
    mut record: RolloutRecord,
    halted: State,
) -> Result<Carried, RolloutError> {
    let names = Names {
        namespace: &ds.namespace,
        name: &ds.name,
    };
    let Some(from) = record.from.clone() else {
        return Err(names.record("no revision to roll back to"));
    };
    let (_, template) = revision_template(client, fleet, ds, Pick::Hash(&from.hash)).await?;
    let halt = action::recorded(
        &ds.namespace,
        &ds.name,
        Reason::RolloutHalted,
        &{
            let mut r = record.clone();
            r.state = halted;
            r
        },
        None,
    );
    record.state = State::Progressing;
    record.rollback = true;
    record.target = None;
    record.passed.clear();
    let mut patch = json!({
        "metadata": {"annotations": {ANNOTATION: record.encode()}},
        "spec": {"template": template},
    });
    if let Some(v) = &ds.resource_version {
        patch["metadata"]["resourceVersion"] = json!(v.to_string());
    }
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), &ds.namespace);
    let written = match dss
        .patch(&ds.name, &params(), &Patch::Strategic(patch.clone()))
        .await
    {
        Ok(object) => object
            .metadata
            .resource_version
            .as_deref()
            .and_then(ResourceVersion::parse),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            return Err(RolloutError::Changed {
                namespace: ds.namespace.to_string(),
                name: ds.name.to_string(),
            });
        }
        Err(e) => return Err(names.kube(e)),
    };
    let back = Action {
        namespace: ds.namespace.to_string(),
        daemon_set: ds.name.to_string(),
        reason: Reason::RolloutRollingBack,
        message: format!("rolling back to revision {}", from.revision),
        kubectl: format!(
            "kubectl rollout undo daemonset -n {} {} --to-revision {}",
            ds.namespace, ds.name, from.revision
        ),
    };
    let mut carried = Carried {
        record,
        deleted: Vec::new(),
        wrote: written,
        actions: vec![halt, back],
        trouble: Vec::new(),
    };
    tell(client, ds, &mut carried).await;
    Ok(carried)
}

/// Posts the actions as Events; what could not be posted is kept as trouble, not an error:
/// the rollout's own state is in the record either way.
async fn tell(client: &Client, ds: &DaemonSet, carried: &mut Carried) {
    for a in &carried.actions {
        if let Err(e) = events::post(client, &ds.uid, a).await {
            carried.trouble.push(e);
        }
    }
}

/// The `spec.updateStrategy` a write sets besides the record, when it sets one.
pub fn strategy_patch(record: &RolloutRecord, strategy: Strategy) -> Option<Value> {
    match strategy {
        Strategy::Keep => None,
        Strategy::Restore => {
            let r = &record.restore;
            let mut update = json!({"type": r.kind});
            if r.kind == "RollingUpdate" {
                update["rollingUpdate"] = json!({
                    "maxUnavailable": r.max_unavailable.as_deref().map(int_or_string),
                    "maxSurge": r.max_surge.as_deref().map(int_or_string),
                });
            }
            Some(update)
        }
        Strategy::Manage => Some(json!({"type": "OnDelete", "rollingUpdate": null})),
    }
}

/// Writes the record (and what `strategy` says) to the DaemonSet; with `conditional`, only
/// over the version `ds` was read at. Returns the version written.
pub async fn write(
    client: &Client,
    ds: &DaemonSet,
    record: &RolloutRecord,
    strategy: Strategy,
    conditional: bool,
) -> Result<Option<ResourceVersion>, RolloutError> {
    let names = Names {
        namespace: &ds.namespace,
        name: &ds.name,
    };
    let mut patch = json!({"metadata": {"annotations": {ANNOTATION: record.encode()}}});
    if conditional && let Some(v) = &ds.resource_version {
        patch["metadata"]["resourceVersion"] = json!(v.to_string());
    }
    if let Some(update) = strategy_patch(record, strategy) {
        patch["spec"] = json!({"updateStrategy": update});
    }
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), &ds.namespace);
    match dss.patch(&ds.name, &params(), &Patch::Merge(patch)).await {
        Ok(object) => Ok(object
            .metadata
            .resource_version
            .as_deref()
            .and_then(ResourceVersion::parse)),
        Err(kube::Error::Api(e)) if e.code == 409 => Err(RolloutError::Changed {
            namespace: ds.namespace.to_string(),
            name: ds.name.to_string(),
        }),
        Err(e) => Err(names.kube(e)),
    }
}

/// `"3"` as the number 3, `"10%"` as the string: the API's IntOrString.
fn int_or_string(text: &str) -> Value {
    text.parse::<i64>()
        .map_or_else(|_| json!(text), |n| json!(n))
}
