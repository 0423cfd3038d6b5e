//! Writes to a DaemonSet that leave the rollout to the native controller: an edit of its own
//! update strategy (`herd rollout strategy`) and a plain restart (`herd rollout restart`). The
//! rules are `herd_core::engine::strategy`'s and `restart`'s; this module reads, refuses what
//! would fight a managed rollout, writes as field manager `herd`, and tells.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use kube::api::Patch;
use kube::{Api, Client};
use serde_json::json;

use super::{Names, RolloutError, params, phase, record_in, strategy_of, told_actions};
use herd_core::engine::action::{self, Action, Reason};
use herd_core::engine::record::RolloutRecord;
use herd_core::engine::restart::{self, RESTARTED_AT};
use herd_core::engine::strategy::{self, Current, Edit, Strategy};

/// What a native write did.
#[derive(Debug)]
pub struct Native {
    /// What the DaemonSet's update strategy is now (`RollingUpdate`, `OnDelete`), or the
    /// strategy edit as written.
    pub strategy: String,
    /// Nothing was written: the DaemonSet already had what was asked.
    pub unchanged: bool,
    /// For a restart, what rolls it out: the native strategy, or a managed rollout in progress
    /// (which rolls out any new template, under its policy).
    pub note: String,
    /// Also posted as Events on the DaemonSet.
    pub actions: Vec<Action>,
    /// Events that could not be posted.
    pub trouble: Vec<String>,
}

/// How often a strategy edit reads, checks and writes again when the DaemonSet changed in
/// between (client-go's `DefaultRetry` makes 5 attempts).
const CONFLICT_ATTEMPTS: u32 = 5;

/// Reads the DaemonSet and its record; an unreadable record is refused, as everywhere.
async fn read(
    client: &Client,
    names: &Names<'_>,
) -> Result<(apps::DaemonSet, Option<RolloutRecord>), RolloutError> {
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), names.namespace);
    let object = dss.get(names.name).await.map_err(|e| names.kube(e))?;
    let record = record_in(&object, names)?;
    Ok((object, record))
}

/// `herd rollout strategy`: sets the DaemonSet's own update strategy and minReadySeconds,
/// checked with the API server's rules first, written only over the version read. Refused
/// while a managed rollout that has not ended holds the strategy.
pub async fn edit_strategy(
    client: &Client,
    namespace: &str,
    name: &str,
    edit: &Edit,
) -> Result<Native, RolloutError> {
    let names = Names { namespace, name };
    // Malformed flags are refused before anything is read.
    strategy::check_flags(edit).map_err(|e| names.record(e))?;
    // The controller's status writes change the DaemonSet's version all through a rollout:
    // a conflict is read again and checked again (client-go's RetryOnConflict), so what is
    // written was always checked against the strategy it is written over.
    let mut attempts = 0;
    let (object, wanted, by_hand) = loop {
        attempts += 1;
        let (object, record) = read(client, &names).await?;
        if let Some(record) = &record
            && !record.state.is_final()
        {
            return Err(RolloutError::UnderManagement {
                namespace: namespace.to_string(),
                name: name.to_string(),
                state: phase(&record.state),
            });
        }
        let current = Current {
            strategy: strategy_of(&object),
            min_ready_seconds: object.spec.min_ready_seconds.map_or(0, i64::from),
        };
        let wanted: Strategy = strategy::apply(&current, edit).map_err(|e| names.record(e))?;
        if wanted.same_as(&current) {
            return Ok(Native {
                strategy: wanted.describe(),
                unchanged: true,
                note: String::new(),
                actions: Vec::new(),
                trouble: Vec::new(),
            });
        }
        let by_hand = wanted.patch();
        let mut patch = by_hand.clone();
        if let Some(version) = &object.metadata.resource_version {
            patch["metadata"] = json!({"resourceVersion": version});
        }
        let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
        match dss.patch(name, &params(), &Patch::Merge(patch)).await {
            Ok(_) => break (object, wanted, by_hand),
            Err(kube::Error::Api(e)) if e.code == 409 && attempts < CONFLICT_ATTEMPTS => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {
                return Err(names.api(format!(
                    "changed under each of {CONFLICT_ATTEMPTS} attempts; nothing written"
                )));
            }
            Err(e) => return Err(names.kube(e)),
        }
    };
    let done = action::patched(
        namespace,
        name,
        Reason::StrategyChanged,
        format!("update strategy set to {}", wanted.describe()),
        "merge",
        &by_hand.to_string(),
    );
    let uid = object.metadata.uid.clone().unwrap_or_default();
    let (actions, trouble) = told_actions(client, &uid, vec![done]).await;
    Ok(Native {
        strategy: wanted.describe(),
        unchanged: false,
        note: String::new(),
        actions,
        trouble,
    })
}

/// `herd rollout restart` without `--managed`: stamps the template's `restartedAt` as
/// `kubectl rollout restart` does, and leaves the rollout to whatever holds the DaemonSet: the
/// native strategy, or a managed rollout in progress (which rolls out any new template).
pub async fn restart(
    client: &Client,
    namespace: &str,
    name: &str,
    now: Timestamp,
) -> Result<Native, RolloutError> {
    let names = Names { namespace, name };
    let (object, record) = read(client, &names).await?;
    let managed = record
        .as_ref()
        .filter(|r| !r.state.is_final())
        .map(|r| phase(&r.state));
    let kind = strategy_of(&object).kind;
    let patch = json!({"spec": {"template": restart::template_patch(now)}});
    let dss: Api<apps::DaemonSet> = Api::namespaced(client.clone(), namespace);
    dss.patch(name, &params(), &Patch::Strategic(patch.clone()))
        .await
        .map_err(|e| names.kube(e))?;
    let rolled_by = match (&managed, kind.as_str()) {
        (Some(state), _) => format!("the managed rollout ({state}) rolls it out"),
        (None, "OnDelete") => "OnDelete: each pod takes it when deleted".to_string(),
        (None, other) => format!("{other} rolls it out"),
    };
    let done = action::patched(
        namespace,
        name,
        Reason::Restarted,
        format!(
            "restarted: {RESTARTED_AT}={} ({rolled_by})",
            restart::stamp(now)
        ),
        "strategic",
        &patch.to_string(),
    );
    let uid = object.metadata.uid.clone().unwrap_or_default();
    let (actions, trouble) = told_actions(client, &uid, vec![done]).await;
    Ok(Native {
        strategy: kind,
        unchanged: false,
        note: rolled_by,
        actions,
        trouble,
    })
}
