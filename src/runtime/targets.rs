//! The TUI's node-targeting writes: a DaemonSet's new targeting over the targeting the editor
//! read (a change by someone else meanwhile comes back as a conflict for `update` to reopen the
//! editor with), and node label, taint and cordon edits; each recorded in the audit log.

use kube::Client;
use tokio::sync::mpsc;

use super::Outcome;
use super::effects::report;
use crate::rollout::record_actions;
use herd_app::action::{Action, Write};
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
            summary,
        } => match target::apply(client, namespace, name, base, wanted, summary).await {
            Ok(applied) => {
                let problems = record_actions(ACTOR, &applied.actions, &applied.trouble);
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
            Err(e) => Err(e.to_string()),
        },
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

/// The write is made either way; a failure to record it is said, not hidden.
fn problems_or_done(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("done, but {}", problems.join("; ")))
    }
}
