//! The engine's IO edge for one managed DaemonSet: read a snapshot of it (its pods, the nodes,
//! its revisions), take it under management (OnDelete and the `herd.dev/rollout` record in one
//! write), carry out a plan's deletions with preconditions, and write the record back. Every
//! decision is `herd_core::engine::plan`'s; this module only reads and writes.

pub mod execute;
pub mod native;
mod take;

pub use execute::{Carried, Strategy};
pub use take::{Change, restart, start, undo};
pub(crate) use take::{Pick, revision_template};

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, PatchParams};
use kube::{Api, Client};

use crate::events;
use crate::problem::Problem;
use herd_convert::lean_pod;
use herd_convert::records;
use herd_core::engine::action::{self, Action, Reason};
use herd_core::engine::plan::{self, Plan};
use herd_core::engine::policy::PausePoint;
use herd_core::engine::record::{ANNOTATION, Restore, RolloutRecord, State};
use herd_core::engine::retarget::retarget;
use herd_core::model::daemonset::DaemonSet;
use herd_core::model::fleet::{Fleet, FleetEvent, Record};

pub use herd_core::engine::record::HERD_FIELD_MANAGER as FIELD_MANAGER;

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
    /// A native strategy edit of a DaemonSet whose update strategy a managed rollout holds:
    /// it would fight the engine.
    #[error(
        "daemonset {namespace}/{name} is under a managed rollout ({state}), which holds its \
         update strategy; abort it first (herd rollout abort -n {namespace} {name})"
    )]
    UnderManagement {
        namespace: String,
        name: String,
        state: String,
    },
    /// The DaemonSet changed between herd's read and its write; nothing was written.
    #[error("daemonset {namespace}/{name} changed since it was read; planning again")]
    Changed { namespace: String, name: String },
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

pub(crate) struct Names<'a> {
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
}

impl Names<'_> {
    /// A refused or failed request, in the server's own words (never a debug dump).
    pub(crate) fn kube(&self, e: kube::Error) -> RolloutError {
        self.api(Problem::of_kube(&e))
    }

    pub(crate) fn api(&self, e: impl std::fmt::Display) -> RolloutError {
        RolloutError::Api {
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            message: e.to_string(),
        }
    }

    pub(crate) fn record(&self, e: impl std::fmt::Display) -> RolloutError {
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
    let record = record_in(&object, &names)?;
    let strategy = strategy_of(&object);
    Ok(Snapshot {
        fleet,
        daemon_set,
        record,
        strategy,
    })
}

/// The DaemonSet's own update strategy as the API has it (`RollingUpdate` when unset, as the
/// API server defaults it).
pub(crate) fn strategy_of(object: &apps::DaemonSet) -> Restore {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let strategy = object.spec.update_strategy.as_ref();
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    let int_or = |v: &IntOrString| match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    Restore {
        kind: strategy
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "RollingUpdate".to_string()),
        max_unavailable: rolling.and_then(|r| r.max_unavailable.as_ref()).map(int_or),
        max_surge: rolling.and_then(|r| r.max_surge.as_ref()).map(int_or),
    }
}

/// The DaemonSet's `herd.dev/rollout` record, when it has one; one herd cannot read is an
/// error, never `None` (it must not be overwritten).
pub(crate) fn record_in(
    object: &apps::DaemonSet,
    names: &Names<'_>,
) -> Result<Option<RolloutRecord>, RolloutError> {
    let text = object
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION));
    text.map(|t| RolloutRecord::decode(t).map_err(|e| names.record(e)))
        .transpose()
}

/// A person's write, done: the record as written and what was done.
#[derive(Debug)]
pub struct Done {
    pub record: RolloutRecord,
    /// Also posted as Events on the DaemonSet.
    pub actions: Vec<Action>,
    /// Events that could not be posted.
    pub trouble: Vec<String>,
}

async fn told(client: &Client, uid: &str, record: RolloutRecord, actions: Vec<Action>) -> Done {
    let (actions, trouble) = told_actions(client, uid, actions).await;
    Done {
        record,
        actions,
        trouble,
    }
}

/// Posts each action as an Event on the DaemonSet; returns them with the Events that could
/// not be posted (the write itself is done either way).
pub(crate) async fn told_actions(
    client: &Client,
    uid: &str,
    actions: Vec<Action>,
) -> (Vec<Action>, Vec<String>) {
    let mut trouble = Vec::new();
    for a in &actions {
        if let Err(e) = events::post(client, uid, a).await {
            trouble.push(e);
        }
    }
    (actions, trouble)
}

pub(crate) fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    }
}

/// `Progressing`, `Paused after canary`, `Halted: …` (see [`State::describe`]).
pub fn phase(state: &State) -> String {
    state.describe()
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
) -> Result<Done, RolloutError> {
    let snap = snapshot(client, namespace, name).await?;
    let mut record = snap
        .record
        .clone()
        .ok_or_else(|| RolloutError::NotManaged(namespace.to_string(), name.to_string()))?;
    let names = Names { namespace, name };
    match command {
        Command::Pause if matches!(record.state, State::Progressing) => {
            record.state = State::Paused { at: None };
            let now = jiff::Timestamp::now();
            record.paused_with =
                Some(plan::plan(&snap.fleet, &snap.daemon_set, &record, now).moved);
        }
        Command::Resume => match record.state.clone() {
            State::Paused { at } => {
                match at {
                    Some(PausePoint::Batch) => record.resumed_batches = record.batches,
                    Some(point) => record.passed.push(point),
                    None => {}
                }
                record.state = State::Progressing;
                record.paused_with = None;
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
    let strategy = match (&record.state, &snap.record) {
        (State::Aborted, _) => Strategy::Restore,
        // A person took a contested rollout back: the strategy is herd's again.
        (State::Progressing, Some(old)) if matches!(old.state, State::Contested { .. }) => {
            Strategy::Manage
        }
        _ => Strategy::Keep,
    };
    // A person's word is not conditional: it must land even while an engine writes.
    execute::write(client, &snap.daemon_set, &record, strategy, false).await?;
    let reason = match command {
        Command::Pause => Reason::RolloutPaused,
        Command::Resume => Reason::RolloutResumed,
        Command::Abort => Reason::RolloutAborted,
    };
    let patch = execute::strategy_patch(&record, strategy).map(|p| p.to_string());
    let done = action::recorded(namespace, name, reason, &record, patch.as_deref());
    Ok(told(client, &snap.daemon_set.uid, record, vec![done]).await)
}

/// What one engine step did.
#[derive(Debug)]
pub struct Step {
    pub record: RolloutRecord,
    pub plan: Plan,
    /// Pods deleted in this step.
    pub deleted: Vec<String>,
    /// What was done (also posted as Events), and Events that could not be posted.
    pub actions: Vec<Action>,
    pub trouble: Vec<String>,
}

impl Step {
    /// A step that did nothing (read-only, or the DaemonSet changed under it).
    pub fn nothing(record: RolloutRecord, plan: Plan) -> Self {
        Step {
            record,
            plan,
            deleted: Vec::new(),
            actions: Vec::new(),
            trouble: Vec::new(),
        }
    }
}

/// One pass of the engine over one managed DaemonSet from a fresh read: read, plan, carry out.
/// A DaemonSet changed between the read and the write is not an error: the step did nothing and
/// the next one plans from the change.
pub async fn step(
    client: &Client,
    namespace: &str,
    name: &str,
    now: Timestamp,
) -> Result<Step, RolloutError> {
    let snap = snapshot(client, namespace, name).await?;
    let mut record = snap
        .record
        .clone()
        .ok_or_else(|| RolloutError::NotManaged(namespace.to_string(), name.to_string()))?;
    let mut ds = snap.daemon_set;
    let mut targeted = None;
    if retarget(&snap.fleet, &ds, &mut record, now) {
        match execute::write(client, &ds, &record, Strategy::Keep, true).await {
            Ok(version) => {
                ds.resource_version = version;
                let a = action::recorded(namespace, name, Reason::RolloutTargeted, &record, None);
                targeted = Some(told(client, &ds.uid, record.clone(), vec![a]).await);
            }
            Err(RolloutError::Changed { .. }) => {
                let plan = plan::plan(&snap.fleet, &ds, &record, now);
                let record = snap.record.unwrap_or(record);
                return Ok(Step::nothing(record, plan));
            }
            Err(e) => return Err(e),
        }
    }
    let plan = plan::plan(&snap.fleet, &ds, &record, now);
    let mut step = match execute::carry_out(client, &snap.fleet, &ds, record.clone(), &plan).await {
        Ok(carried) => Step {
            record: carried.record,
            plan,
            deleted: carried.deleted,
            actions: carried.actions,
            trouble: carried.trouble,
        },
        Err(RolloutError::Changed { .. }) => Step::nothing(record, plan),
        Err(e) => return Err(e),
    };
    if let Some(done) = targeted {
        step.actions.splice(0..0, done.actions);
        step.trouble.extend(done.trouble);
    }
    Ok(step)
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
    retarget(&snap.fleet, &snap.daemon_set, &mut record, now);
    let plan = plan::plan(&snap.fleet, &snap.daemon_set, &record, now);
    Ok((record, plan))
}
