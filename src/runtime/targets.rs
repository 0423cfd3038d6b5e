//! The TUI's node-targeting writes: a DaemonSet's new targeting over the targeting the editor
//! read (a change by someone else meanwhile comes back as a conflict for `update` to reopen the
//! editor with), and node label, taint and cordon edits; each recorded in the audit log.

use kube::Client;
use tokio::sync::mpsc;

use super::Outcome;
use super::effects::report;
use crate::rollout::record_actions;
use std::sync::Arc;

use herd_app::action::{Action, StageWord, Staging, Write};
use herd_cluster::target::stage::{self, StageCommand, StageOptions, Staged};
use herd_cluster::target::{self, TargetError};
use herd_core::engine::action::{Action as Done, Reason};

/// The actor the audit log names for what a person does in the TUI.
const ACTOR: &str = "herd tui";

pub async fn write(
    client: &Client,
    write: &Write,
    outcomes: &mpsc::UnboundedSender<Outcome>,
) -> Result<(), String> {
    match write {
        Write::Retarget {
            namespace,
            name,
            base,
            wanted,
            stage,
            ..
        } => match retarget(client, write, stage.as_ref()).await {
            Ok(applied) => {
                let problems = record_actions(ACTOR, &applied.actions, &applied.trouble);
                if stage.is_some() {
                    carry_stage(client.clone(), namespace, name, outcomes.clone());
                }
                problems_or_done(problems)
            }
            Err(TargetError::Conflict {
                theirs, current, ..
            }) => {
                let reopen = Action::TargetConflict {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    theirs: theirs.clone(),
                    current,
                    base: base.clone(),
                    wanted: wanted.clone(),
                };
                report(outcomes, Outcome::Action(reopen));
                Err(format!(
                    "{namespace}/{name} changed since the editor read it ({}): nothing written",
                    theirs.join("; ")
                ))
            }
            Err(e) => {
                if let Some(daemon_set) = write.carried() {
                    report(outcomes, Outcome::Action(Action::CarryEnded { daemon_set }));
                }
                Err(e.to_string())
            }
        },
        Write::Stage {
            namespace,
            name,
            word,
        } => {
            let command = match word {
                StageWord::Resume => StageCommand::Resume,
                StageWord::Rollback => StageCommand::Rollback,
            };
            match stage::command(client, namespace, name, command).await {
                Ok(applied) => {
                    let problems = record_actions(ACTOR, &applied.actions, &applied.trouble);
                    if *word == StageWord::Resume {
                        carry_stage(client.clone(), namespace, name, outcomes.clone());
                    }
                    problems_or_done(problems)
                }
                Err(e) => {
                    if let Some(daemon_set) = write.carried() {
                        report(outcomes, Outcome::Action(Action::CarryEnded { daemon_set }));
                    }
                    Err(e.to_string())
                }
            }
        }
        Write::EditNodes {
            nodes,
            edit,
            summary,
        } => {
            let changed = target::apply_node_edit(client, nodes, edit)
                .await
                .map_err(|e| e.to_string())?;
            if changed.is_empty() {
                return Ok(());
            }
            let names: Vec<&str> = changed.iter().map(|n| &**n).collect();
            let done = Done {
                namespace: String::new(),
                daemon_set: String::new(),
                reason: Reason::NodesEdited,
                message: format!("{edit} on {}: {summary}", names.join(", ")),
                kubectl: edit.kubectl(&changed),
            };
            problems_or_done(record_actions(ACTOR, &[done], &[]))
        }
        _ => Ok(()),
    }
}

/// `ctrl-d`: the pod deleted, the deletion recorded in the audit log.
pub async fn delete_pod(client: &Client, write: &Write) -> Result<(), String> {
    let Write::DeletePod {
        namespace,
        name,
        uid,
        owner,
    } = write
    else {
        return Ok(());
    };
    herd_cluster::fetch::delete_pod(client, namespace, name, uid).await?;
    let (ds_namespace, ds_name) = owner
        .as_deref()
        .and_then(|k| k.split_once('/'))
        .unwrap_or(("", ""));
    let done = Done {
        namespace: ds_namespace.to_string(),
        daemon_set: ds_name.to_string(),
        reason: Reason::PodDeleted,
        message: format!("deleted pod {namespace}/{name}"),
        kubectl: format!("kubectl -n {namespace} delete pod {name}"),
    };
    problems_or_done(record_actions(ACTOR, &[done], &[]))
}

/// A targeting write: at once, or staged.
async fn retarget(
    client: &Client,
    write: &Write,
    staging: Option<&Staging>,
) -> Result<target::Applied, TargetError> {
    let Write::Retarget {
        namespace,
        name,
        base,
        wanted,
        summary,
        ..
    } = write
    else {
        return Err(TargetError::Api {
            what: "node targeting".into(),
            message: "not a targeting write".into(),
        });
    };
    match staging {
        None => target::apply(client, namespace, name, base, wanted, summary).await,
        Some(s) => {
            let options = StageOptions {
                batch: s.batch,
                order_by: s.order_by.clone(),
            };
            let edit = Staged {
                base,
                wanted,
                gains: &s.gains,
                summary,
            };
            stage::start(client, namespace, name, edit, &options).await
        }
    }
}

/// Carries the staging of `namespace/name` from this process until it completes or halts
/// (as `herd engine` would), recording each release, then says how it ended.
fn carry_stage(
    client: Client,
    namespace: &Arc<str>,
    name: &Arc<str>,
    outcomes: mpsc::UnboundedSender<Outcome>,
) {
    let (namespace, name) = (Arc::clone(namespace), Arc::clone(name));
    tokio::spawn(async move {
        let daemon_set = format!("{namespace}/{name}");
        let mut problems = Vec::new();
        let ended = stage::run_until_settled(&client, &namespace, &name, |stepped| {
            problems.extend(record_actions(ACTOR, &stepped.actions, &stepped.trouble));
        })
        .await;
        let ended = ended
            .map(|record| record.state.describe())
            .map_err(|e| e.to_string());
        let what = format!("staging of {daemon_set}");
        super::rollouts::report_carried(&outcomes, daemon_set, what, ended, &problems);
    });
}

/// The write is made either way; a failure to record it is said, not hidden.
fn problems_or_done(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("done, but {}", problems.join("; ")))
    }
}
