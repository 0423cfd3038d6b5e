//! The engine's IO edge for one managed DaemonSet: read a snapshot of it (its pods, the nodes,
//! its revisions), take it under management (OnDelete and the `herd.dev/rollout` record in one
//! write), carry out a plan's deletions with preconditions, and write the record back. Every
//! decision is `herd_core::engine::plan`'s; this module only reads and writes.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, Preconditions};
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::problem::Problem;
use herd_convert::lean_pod;
use herd_convert::records;
use herd_core::engine::plan::{self, Next, Plan};
use herd_core::engine::policy::{PausePoint, Policy};
use herd_core::engine::record::{ANNOTATION, Restore, RolloutRecord, State, Target, VERSION};
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::{Fleet, FleetEvent, Record};

/// The field manager herd writes as, so `managedFields` names it.
pub const FIELD_MANAGER: &str = "herd";

/// What went wrong, in one sentence naming the DaemonSet.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("daemonset {namespace}/{name}: {message}")]
    Api {
        namespace: String,
        name: String,
        message: String,
    },
    #[error("daemonset {0}/{1} is not managed by herd (no {ANNOTATION} annotation)")]
    NotManaged(String, String),
    #[error("daemonset {namespace}/{name} already has a managed rollout ({state}); abort it first")]
    AlreadyManaged {
        namespace: String,
        name: String,
        state: String,
    },
    #[error("daemonset {namespace}/{name}: {message}")]
    Record {
        namespace: String,
        name: String,
        message: String,
    },
}

/// One DaemonSet as the engine sees it: the fleet around it and its record.
pub struct Snapshot {
    pub fleet: Fleet,
    pub daemon_set: DaemonSet,
    /// `None` when the DaemonSet is not managed.
    pub record: Option<RolloutRecord>,
    /// The DaemonSet's own strategy as the API has it, for `start`.
    pub strategy: Restore,
}

struct Names<'a> {
    namespace: &'a str,
    name: &'a str,
}

impl Names<'_> {
    /// A refused or failed request, in the server's own words (never a debug dump).
    fn kube(&self, e: kube::Error) -> RolloutError {
        self.api(Problem::of_kube(&e))
    }

    fn api(&self, e: impl std::fmt::Display) -> RolloutError {
        RolloutError::Api {
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            message: e.to_string(),
        }
    }

    fn record(&self, e: impl std::fmt::Display) -> RolloutError {
        RolloutError::Record {
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            message: e.to_string(),
        }
    }
}

/// Reads the DaemonSet, its pods, its revisions and every node.
pub async fn snapshot(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Snapshot, RolloutError> {
    let names = Names { namespace, name };
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    let object = dss.get(name).await.map_err(|e| names.kube(e))?;
    let daemon_set = records::daemon_set(&object).map_err(|e| names.api(e))?;
    let labels = object
        .spec
        .selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods: Api<api::Pod> = Api::namespaced(client.clone(), namespace);
    let pods = pods
        .list(&ListParams::default().labels(&labels))
        .await
        .map_err(|e| names.kube(e))?;
    let nodes: Api<api::Node> = Api::all(client.clone());
    let nodes = nodes
        .list(&ListParams::default())
        .await
        .map_err(|e| names.kube(e))?;
    let revisions: Api<apps::ControllerRevision> = Api::namespaced(client.clone(), namespace);
    let revisions = revisions
        .list(&ListParams::default().labels(&labels))
        .await
        .map_err(|e| names.kube(e))?;
    let mut fleet = Fleet::new();
    let mut put = |record| fleet.apply(FleetEvent::Upsert(record));
    for n in &nodes.items {
        put(Record::Node(records::node(n)));
    }
    for r in &revisions.items {
        put(Record::Revision(records::controller_revision(r)));
    }
    for p in &pods.items {
        let lean: lean_pod::Pod = serde_json::to_value(p)
            .and_then(serde_json::from_value)
            .map_err(|e| names.api(e))?;
        put(Record::Pod(records::pod(&lean)));
    }
    put(Record::DaemonSet(daemon_set.clone()));
    let record = match object
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION))
    {
        Some(text) => Some(RolloutRecord::decode(text).map_err(|e| names.record(e))?),
        None => None,
    };
    let strategy = object.spec.update_strategy.as_ref();
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    let int_or = |v: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString| match v {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    };
    let strategy = Restore {
        kind: strategy
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "RollingUpdate".to_string()),
        max_unavailable: rolling.and_then(|r| r.max_unavailable.as_ref()).map(int_or),
        max_surge: rolling.and_then(|r| r.max_surge.as_ref()).map(int_or),
    };
    Ok(Snapshot {
        fleet,
        daemon_set,
        record,
        strategy,
    })
}

/// Takes the DaemonSet under management: OnDelete, the record, and the new images, in one
/// write, so the native controller never starts a rollout of its own.
pub async fn start(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: Policy,
    images: &[(String, String)],
    now: Timestamp,
) -> Result<RolloutRecord, RolloutError> {
    let names = Names { namespace, name };
    policy.check().map_err(|e| names.record(e))?;
    let snap = snapshot(client, namespace, name).await?;
    if let Some(existing) = &snap.record
        && !existing.state.is_final()
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
    };
    let containers: Vec<Value> = images
        .iter()
        .map(|(c, i)| json!({"name": c, "image": i}))
        .collect();
    let mut patch = json!({
        "metadata": {"annotations": {ANNOTATION: record.encode()}},
        "spec": {"updateStrategy": {"type": "OnDelete", "rollingUpdate": null}},
    });
    if !containers.is_empty() {
        patch["spec"]["template"] = json!({"spec": {"containers": containers}});
    }
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    dss.patch(name, &params(), &Patch::Strategic(patch))
        .await
        .map_err(|e| names.kube(e))?;
    Ok(record)
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    }
}

/// `Progressing`, `Paused at canary`, `Halted: …`.
pub fn phase(state: &State) -> String {
    match state {
        State::Progressing => "Progressing".into(),
        State::Paused { at: Some(p) } => format!("Paused after {p}"),
        State::Paused { at: None } => "Paused".into(),
        State::Halted { reason, nodes } => format!("Halted: {reason} on {}", nodes.join(", ")),
        State::Contested { manager } => format!("Contested by {manager}"),
        State::Complete => "Complete".into(),
        State::Aborted => "Aborted".into(),
        State::RolledBack => "RolledBack".into(),
    }
}

/// Writes the record back; with `restore`, the strategy herd took away too.
async fn write(
    client: &Client,
    namespace: &str,
    name: &str,
    record: &RolloutRecord,
    restore: bool,
) -> Result<(), RolloutError> {
    let names = Names { namespace, name };
    let mut patch = json!({"metadata": {"annotations": {ANNOTATION: record.encode()}}});
    if restore {
        let r = &record.restore;
        let mut strategy = json!({"type": r.kind});
        if r.kind == "RollingUpdate" {
            strategy["rollingUpdate"] = json!({
                "maxUnavailable": r.max_unavailable.as_deref().map(int_or_string),
                "maxSurge": r.max_surge.as_deref().map(int_or_string),
            });
        }
        patch["spec"] = json!({"updateStrategy": strategy});
    }
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    dss.patch(name, &params(), &Patch::Merge(patch))
        .await
        .map(drop)
        .map_err(|e| names.kube(e))
}

/// `"3"` as the number 3, `"10%"` as the string: the API's IntOrString.
fn int_or_string(text: &str) -> Value {
    text.parse::<i64>()
        .map_or_else(|_| json!(text), |n| json!(n))
}

/// A person's word on a managed rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Pause,
    Resume,
    Abort,
}

/// Pauses, resumes or aborts; an abort puts the original strategy back, so the native
/// controller finishes (or keeps) whatever template the DaemonSet has.
pub async fn command(
    client: &Client,
    namespace: &str,
    name: &str,
    command: Command,
) -> Result<RolloutRecord, RolloutError> {
    let snap = snapshot(client, namespace, name).await?;
    let mut record = snap
        .record
        .ok_or_else(|| RolloutError::NotManaged(namespace.to_string(), name.to_string()))?;
    let names = Names { namespace, name };
    match command {
        Command::Pause if matches!(record.state, State::Progressing) => {
            record.state = State::Paused { at: None };
        }
        Command::Resume => match record.state.clone() {
            State::Paused { at } => {
                match at {
                    Some(PausePoint::Batch) => record.resumed_batches = record.batches,
                    Some(point) => record.passed.push(point),
                    None => {}
                }
                record.state = State::Progressing;
            }
            State::Halted { .. } | State::Contested { .. } => record.state = State::Progressing,
            other => {
                return Err(
                    names.record(format!("cannot resume a rollout that is {}", phase(&other)))
                );
            }
        },
        Command::Abort if !record.state.is_final() => record.state = State::Aborted,
        _ => {
            return Err(names.record(format!(
                "cannot {command:?} a rollout that is {}",
                phase(&record.state)
            )));
        }
    }
    let restore = record.state == State::Aborted;
    write(client, namespace, name, &record, restore).await?;
    Ok(record)
}

/// What one engine step did.
#[derive(Debug)]
pub struct Step {
    pub record: RolloutRecord,
    pub plan: Plan,
    /// Pods deleted in this step.
    pub deleted: Vec<String>,
}

/// One pass of the engine over one managed DaemonSet: read, plan, carry out, record.
pub async fn step(
    client: &Client,
    namespace: &str,
    name: &str,
    now: Timestamp,
) -> Result<Step, RolloutError> {
    let names = Names { namespace, name };
    let snap = snapshot(client, namespace, name).await?;
    let mut record = snap
        .record
        .clone()
        .ok_or_else(|| RolloutError::NotManaged(namespace.to_string(), name.to_string()))?;
    let ds = &snap.daemon_set;
    if retarget(&snap, &mut record) {
        write(client, namespace, name, &record, false).await?;
    }
    let plan = plan::plan(&snap.fleet, ds, &record, now);
    let mut deleted = Vec::new();
    match &plan.next {
        Next::Proceed if !plan.deletions.is_empty() => {
            // The batch is recorded before its deletions: a process dying in between leaves a
            // batch counted with pods still to delete, which the next plan deletes again.
            record.batches += 1;
            write(client, namespace, name, &record, false).await?;
            let pods: Api<api::Pod> = Api::namespaced(client.clone(), namespace);
            for d in &plan.deletions {
                let params = DeleteParams {
                    preconditions: Some(Preconditions {
                        uid: Some(d.uid.to_string()),
                        resource_version: None,
                    }),
                    ..DeleteParams::default()
                };
                match pods.delete(&d.name, &params).await {
                    Ok(_) => deleted.push(d.name.to_string()),
                    // Gone or replaced since the snapshot: the next plan sees it.
                    Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
                    Err(e) => return Err(names.kube(e)),
                }
            }
        }
        Next::Pause(point) => {
            record.state = State::Paused { at: Some(*point) };
            write(client, namespace, name, &record, false).await?;
        }
        Next::Halt { reason, nodes } => {
            record.state = State::Halted {
                reason: reason.clone(),
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
            };
            write(client, namespace, name, &record, false).await?;
        }
        Next::Complete => {
            record.state = State::Complete;
            let restore = !record.policy.keep_managed;
            write(client, namespace, name, &record, restore).await?;
        }
        Next::Proceed | Next::Hold => {}
    }
    Ok(Step {
        record,
        plan,
        deleted,
    })
}

/// Points the record at the DaemonSet's current revision when it is not already; `true` when
/// it changed. The controller names the template's revision once it has seen the spec, so
/// until then the target is unknown; and when the template changes under a managed rollout
/// (anyone setting a new image), the newest template is what gets rolled out, under the same
/// policy — never a churn of deleting pods for a revision that is no longer current.
fn retarget(snap: &Snapshot, record: &mut RolloutRecord) -> bool {
    let ds = &snap.daemon_set;
    let Some(hash) = snap.fleet.current_hash(ds).filter(|_| ds.is_observed()) else {
        return false;
    };
    if record.state.is_final() || record.target.as_ref().is_some_and(|t| t.hash == hash) {
        return false;
    }
    let revision = snap
        .fleet
        .revisions_of(&ds.uid)
        .into_iter()
        .find(|r| r.hash.as_deref() == Some(hash))
        .map_or(0, |r| r.revision);
    record.target = Some(Target {
        revision,
        hash: hash.to_string(),
    });
    true
}

/// The record and what the engine would do now, without doing it (`herd rollout status`).
pub async fn inspect(
    client: &Client,
    namespace: &str,
    name: &str,
    now: Timestamp,
) -> Result<(RolloutRecord, Plan), RolloutError> {
    let snap = snapshot(client, namespace, name).await?;
    let mut record = snap
        .record
        .clone()
        .ok_or_else(|| RolloutError::NotManaged(namespace.to_string(), name.to_string()))?;
    retarget(&snap, &mut record);
    let plan = plan::plan(&snap.fleet, &snap.daemon_set, &record, now);
    Ok((record, plan))
}
