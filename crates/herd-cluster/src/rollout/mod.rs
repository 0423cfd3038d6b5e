//! The engine's IO edge for one managed DaemonSet: read a snapshot of it (its pods, the nodes,
//! its revisions), take it under management (OnDelete and the `herd.dev/rollout` record in one
//! write), carry out a plan's deletions with preconditions, and write the record back. Every
//! decision is `herd_core::engine::plan`'s; this module only reads and writes.

pub mod execute;
pub mod native;

pub use execute::{Carried, Strategy};

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as api;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::events;
use crate::problem::Problem;
use herd_convert::lean_pod;
use herd_convert::records;
use herd_core::engine::action::{self, Action, Reason};
use herd_core::engine::plan::{self, Plan};
use herd_core::engine::policy::{PausePoint, Policy};
use herd_core::engine::record::{ANNOTATION, Restore, RolloutRecord, State, Target, VERSION};
use herd_core::engine::restart::{self, RESTARTED_AT};
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
