//! Taking a DaemonSet under management: `start` (its template, or new images), a managed
//! `restart` and `undo` to a revision, each as one write of OnDelete, the record and the
//! template, so the native controller never starts a rollout of its own; and reading a
//! ControllerRevision's template for an undo or a rollback.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use kube::api::Patch;
use kube::{Api, Client};
use serde_json::{Value, json};

use super::{Done, Names, RolloutError, Snapshot, params, phase, snapshot, told};
use herd_core::engine::action::{Action, Reason};
use herd_core::engine::policy::Policy;
use herd_core::engine::record::{ANNOTATION, RolloutRecord, State, Target, VERSION};
use herd_core::engine::restart::{self, RESTARTED_AT};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::Fleet;

/// Takes the DaemonSet under management: OnDelete, the record, and the new images, in one
/// write, so the native controller never starts a rollout of its own.
pub async fn start(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: Policy,
    images: &[(String, String)],
    now: Timestamp,
) -> Result<Done, RolloutError> {
    take(client, namespace, name, policy, Change::Images(images), now).await
}

/// What a managed rollout rolls out.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// The template as it is, with these images set (`herd rollout start`).
    Images(&'a [(String, String)]),
    /// The template a ControllerRevision holds (`herd rollout undo`): this revision number, or
    /// the one before the current, as `kubectl rollout undo` picks.
    Revision(Option<i64>),
    /// The template as it is, stamped `kubectl.kubernetes.io/restartedAt` with this time, as
    /// `kubectl rollout restart` does (`herd rollout restart --managed`).
    Restart(Timestamp),
}

/// `herd rollout restart --managed`: takes the DaemonSet under management and stamps the
/// template's `restartedAt` in the same write, so every pod is replaced under the policy.
pub async fn restart(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: Policy,
    now: Timestamp,
) -> Result<Done, RolloutError> {
    take(client, namespace, name, policy, Change::Restart(now), now).await
}

/// `herd rollout undo`: rolls the template of a revision out as a managed rollout that ends
/// RolledBack. It replaces a rollout in progress (a halted one, typically), keeping its
/// policy and the strategy to restore.
pub async fn undo(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: Policy,
    to_revision: Option<i64>,
    now: Timestamp,
) -> Result<Done, RolloutError> {
    take(
        client,
        namespace,
        name,
        policy,
        Change::Revision(to_revision),
        now,
    )
    .await
}

async fn take(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: Policy,
    change: Change<'_>,
    now: Timestamp,
) -> Result<Done, RolloutError> {
    let names = Names { namespace, name };
    policy.check().map_err(|e| names.record(e))?;
    let snap = snapshot(client, namespace, name).await?;
    let undoing = matches!(change, Change::Revision(_));
    if let Some(existing) = &snap.record
        && !existing.state.is_final()
        && !undoing
    {
        return Err(RolloutError::AlreadyManaged {
            namespace: namespace.to_string(),
            name: name.to_string(),
            state: phase(&existing.state),
        });
    }
    let restore = match &snap.record {
        // A DaemonSet kept managed after a rollout keeps the strategy it had before herd.
        Some(old) => old.restore.clone(),
        None => snap.strategy.clone(),
    };
    // An undo of a rollout in hand keeps the policy it ran under.
    let mut policy = match (&snap.record, undoing) {
        (Some(old), true) if !old.state.is_final() => old.policy.clone(),
        _ => policy,
    };
    // An undo is itself the rollback: it has nothing to roll back to (and `herd rollout`
    // tells it from a rollout rolled back after failing by this).
    policy.rollback_on_failure &= !undoing;
    let from = current_target(&snap);
    let template = match change {
        Change::Images(images) if !images.is_empty() => {
            let containers: Vec<Value> = images
                .iter()
                .map(|(c, i)| json!({"name": c, "image": i}))
                .collect();
            Some(json!({"spec": {"containers": containers}}))
        }
        Change::Images(_) => None,
        Change::Restart(at) => Some(restart::template_patch(at)),
        Change::Revision(number) => {
            let wanted = match number {
                Some(n) => n,
                None => previous_revision(&snap)
                    .ok_or_else(|| names.record("no previous revision to undo to".to_string()))?,
            };
            Some(
                revision_template(client, &snap.fleet, &snap.daemon_set, Pick::Number(wanted))
                    .await?
                    .1,
            )
        }
    };
    let record = RolloutRecord {
        version: VERSION,
        target: None,
        restore,
        policy,
        state: State::Progressing,
        started: now,
        batches: 0,
        passed: Vec::new(),
        resumed_batches: 0,
        from,
        rollback: undoing,
        paused_with: None,
    };
    let mut patch = json!({
        "metadata": {"annotations": {ANNOTATION: record.encode()}},
        "spec": {"updateStrategy": {"type": "OnDelete", "rollingUpdate": null}},
    });
    if let Some(template) = template {
        patch["spec"]["template"] = template;
    }
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    dss.patch(name, &params(), &Patch::Strategic(patch.clone()))
        .await
        .map_err(|e| names.kube(e))?;
    let message = match change {
        Change::Images([]) => "managed rollout started (OnDelete)".to_string(),
        Change::Images(images) => {
            let images: Vec<String> = images.iter().map(|(c, i)| format!("{c}={i}")).collect();
            format!(
                "managed rollout of {} started (OnDelete)",
                images.join(", ")
            )
        }
        Change::Restart(at) => format!(
            "managed restart started (OnDelete): {RESTARTED_AT}={}",
            restart::stamp(at)
        ),
        Change::Revision(n) => format!(
            "managed undo to revision {} started (OnDelete)",
            n.map_or_else(|| "the previous one".to_string(), |n| n.to_string())
        ),
    };
    let started = Action {
        namespace: namespace.to_string(),
        daemon_set: name.to_string(),
        reason: if undoing {
            Reason::RolloutRollingBack
        } else {
            Reason::RolloutStarted
        },
        message,
        kubectl: format!(
            "kubectl patch daemonset -n {namespace} {name} --type strategic -p '{}'",
            patch.to_string().replace('\'', r"'\''")
        ),
    };
    Ok(told(client, &snap.daemon_set.uid, record, vec![started]).await)
}

/// The revision the DaemonSet's template is now, when its ControllerRevision is known.
fn current_target(snap: &Snapshot) -> Option<Target> {
    let hash = snap.fleet.template_hash(&snap.daemon_set)?;
    let revision = snap
        .fleet
        .revisions_of(&snap.daemon_set.uid)
        .into_iter()
        .find(|r| r.hash.as_deref() == Some(hash))?
        .revision;
    Some(Target {
        revision,
        hash: hash.to_string(),
    })
}

/// The highest revision below the current one (`kubectl rollout undo` without a revision).
fn previous_revision(snap: &Snapshot) -> Option<i64> {
    let current = current_target(snap).map_or(i64::MAX, |t| t.revision);
    snap.fleet
        .revisions_of(&snap.daemon_set.uid)
        .into_iter()
        .map(|r| r.revision)
        .filter(|n| *n < current)
        .max()
}

/// Which ControllerRevision to read.
pub(crate) enum Pick<'a> {
    Number(i64),
    Hash(&'a str),
}

/// A ControllerRevision's target and the template it holds, as the strategic-merge patch
/// `kubectl rollout undo` applies (`{"…template…", "$patch": "replace"}`).
pub(crate) async fn revision_template(
    client: &Client,
    fleet: &Fleet,
    ds: &DaemonSet,
    pick: Pick<'_>,
) -> Result<(Target, Value), RolloutError> {
    let names = Names {
        namespace: &ds.namespace,
        name: &ds.name,
    };
    let known: Vec<i64> = fleet
        .revisions_of(&ds.uid)
        .into_iter()
        .map(|r| r.revision)
        .collect();
    let found = fleet
        .revisions_of(&ds.uid)
        .into_iter()
        .find(|r| match pick {
            Pick::Number(n) => r.revision == n,
            Pick::Hash(h) => r.hash.as_deref() == Some(h),
        });
    let Some(found) = found else {
        let wanted = match pick {
            Pick::Number(n) => format!("revision {n}"),
            Pick::Hash(h) => format!("the revision with hash {h}"),
        };
        return Err(names.record(format!("{wanted} not found (revisions: {known:?})")));
    };
    let api: Api<apps::ControllerRevision> = Api::namespaced(client.clone(), &ds.namespace);
    let object = api.get(&found.name).await.map_err(|e| names.kube(e))?;
    let template = object
        .data
        .0
        .get("spec")
        .and_then(|s| s.get("template"))
        .cloned()
        .ok_or_else(|| {
            names.record(format!("revision {} holds no pod template", found.revision))
        })?;
    let target = Target {
        revision: found.revision,
        hash: found.hash.as_deref().unwrap_or_default().to_string(),
    };
    Ok((target, template))
}
