//! The TUI's managed-rollout writes: start, pause, resume, abort, undo, each recorded as an
//! Event and in the audit log, and, once a rollout is started or let go on, the engine's steps
//! from this process until it settles (under the DaemonSet's Lease, as `herd rollout --wait`;
//! when `herd engine` holds the Lease this follows it). Progress shows on the screens through
//! the watches; what could not be recorded and how the rollout settled come back as flashes.

use std::sync::Arc;

use jiff::Timestamp;
use kube::Client;
use tokio::sync::mpsc;

use super::Outcome;
use super::effects::report;
use crate::rollout::{Progress, record_actions, run_until_settled};
use herd_app::action::{Action, RolloutWord, Write};
use herd_cluster::rollout::{self, Command, Done};
use herd_core::engine::policy::Policy;

/// The actor the audit log names for what a person does in the TUI.
const ACTOR: &str = "herd tui";

/// Carries out a rollout write; `Ok(true)` when the engine should now run from here.
pub async fn write(client: &Client, write: &Write) -> Result<bool, String> {
    let (done, carry_on) = match write {
        Write::StartRollout {
            namespace,
            name,
            policy,
            images,
        } => {
            let done = rollout::start(
                client,
                namespace,
                name,
                policy.clone(),
                images,
                Timestamp::now(),
            )
            .await;
            (done, true)
        }
        Write::Rollout {
            namespace,
            name,
            word,
        } => {
            let done = match word {
                RolloutWord::Undo => {
                    rollout::undo(
                        client,
                        namespace,
                        name,
                        Policy::default(),
                        None,
                        Timestamp::now(),
                    )
                    .await
                }
                RolloutWord::Pause => {
                    rollout::command(client, namespace, name, Command::Pause).await
                }
                RolloutWord::Resume => {
                    rollout::command(client, namespace, name, Command::Resume).await
                }
                RolloutWord::Abort => {
                    rollout::command(client, namespace, name, Command::Abort).await
                }
            };
            (
                done,
                matches!(word, RolloutWord::Resume | RolloutWord::Undo),
            )
        }
        Write::UndoTo {
            namespace,
            name,
            revision,
        } => {
            let done = rollout::undo(
                client,
                namespace,
                name,
                Policy::default(),
                Some(*revision),
                Timestamp::now(),
            )
            .await;
            (done, true)
        }
        _ => return Err("not a rollout write".to_string()),
    };
    let Done {
        actions, trouble, ..
    } = done.map_err(|e| e.to_string())?;
    let problems = record_actions(ACTOR, &actions, &trouble);
    match problems.first() {
        Some(problem) => Err(format!("done, but {problem}")),
        None => Ok(carry_on),
    }
}

/// Runs the engine for one DaemonSet from this process until its rollout settles, then says
/// how it settled.
pub fn carry_on(
    client: Client,
    namespace: Arc<str>,
    name: Arc<str>,
    outcomes: mpsc::UnboundedSender<Outcome>,
) {
    let daemon_set = format!("{namespace}/{name}");
    tokio::spawn(async move {
        let mut problems = Vec::new();
        let settled = run_until_settled(&client, &namespace, &name, |progress| {
            if let Progress::Step(step) = progress {
                problems.extend(record_actions(ACTOR, &step.actions, &step.trouble));
            }
        })
        .await;
        let ended = settled
            .map(|step| rollout::phase(&step.record.state))
            .map_err(|e| e.to_string());
        let what = format!("rollout of {namespace}/{name}");
        report_carried(&outcomes, daemon_set, what, ended, &problems);
    });
}

/// What this process carried (a rollout, a staging) has ended in `ended` (the phase it ended
/// in, or why it could not be carried): it is no longer carried, and the flash line says how
/// it ended — with the first problem recording it, if there was one.
pub(super) fn report_carried(
    outcomes: &mpsc::UnboundedSender<Outcome>,
    daemon_set: String,
    what: String,
    ended: Result<String, String>,
    problems: &[String],
) {
    let (what, result) = match (ended, problems.first()) {
        (Ok(phase), None) => (format!("{what}: {phase}"), Ok(())),
        (Ok(phase), Some(problem)) => (what, Err(format!("{phase}, but {problem}"))),
        (Err(e), _) => (what, Err(e)),
    };
    report(outcomes, Outcome::Action(Action::CarryEnded { daemon_set }));
    report(
        outcomes,
        Outcome::Action(Action::WriteDone { what, result }),
    );
}
