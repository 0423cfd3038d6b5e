//! `herd rollout`: the headless face of the engine. It parses what a pipeline says into a
//! policy, takes a DaemonSet under management, and (with `--wait`) runs the engine's steps from
//! this process until the rollout completes, pauses or halts. The decisions are
//! `herd_core::engine::plan`'s, the writes `herd_cluster::rollout`'s.

use std::time::Duration;

use jiff::Timestamp;
use kube::Client;
use serde::Serialize;

use crate::audit::AuditLog;
use herd_cluster::lease::{self, Hold, Leases};
use herd_cluster::rollout::{self, RolloutError, Step};
use herd_core::engine::action::Action;
use herd_core::engine::plan::Plan;
use herd_core::engine::policy::{PausePoint, Selection};
use herd_core::engine::record::{RolloutRecord, State};

/// Prints a line to stdout; a reader that went away (`| head`) is not an error worth a panic.
pub fn say(text: impl std::fmt::Display) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Appends actions to the audit log as `actor`; returns what could not be recorded (an
/// Event, or the log), for the caller to say: the actions themselves are done either way.
pub fn record_actions(actor: &str, actions: &[Action], trouble: &[String]) -> Vec<String> {
    let mut problems = trouble.to_vec();
    if let Some(path) = crate::audit::default_path()
        && let Err(e) = AuditLog::at(&path).append(actor, actions)
    {
        problems.push(e.to_string());
    }
    problems
}

/// [`record_actions`] for `herd rollout`, saying the problems on stderr.
pub fn audit(actions: &[Action], trouble: &[String]) {
    for problem in record_actions("herd rollout", actions, trouble) {
        eprintln!("herd rollout: {problem}");
    }
}

/// What [`run_until_settled`] tells its caller as it goes.
pub enum Progress<'a> {
    /// A step this process carried out (or, read-only, the rollout as it stands).
    Step(&'a Step),
    /// Another engine holds the DaemonSet's Lease: this one follows it, read-only.
    HeldBy(&'a str),
}

/// How often `--wait` re-plans.
pub const STEP_EVERY: Duration = Duration::from_millis(500);

/// Bad input, named by its flag.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("--image {0:?}: expected CONTAINER=IMAGE")]
    Image(String),
    #[error("--pause-after {0:?}: expected canary, batch or a percentage such as 50%")]
    PauseAfter(String),
    #[error("--{flag} {text:?}: expected a count or a node label selector")]
    Selection { flag: &'static str, text: String },
}

pub fn parse_image(text: &str) -> Result<(String, String), InputError> {
    match text.split_once('=') {
        Some((c, i)) if !c.is_empty() && !i.is_empty() => Ok((c.to_string(), i.to_string())),
        _ => Err(InputError::Image(text.to_string())),
    }
}

pub fn parse_pause(text: &str) -> Result<PausePoint, InputError> {
    PausePoint::parse(text).ok_or_else(|| InputError::PauseAfter(text.to_string()))
}

/// A count (`3`) or a node label selector (`zone=a`).
pub fn parse_selection(flag: &'static str, text: &str) -> Result<Selection, InputError> {
    Selection::parse(text).ok_or_else(|| InputError::Selection {
        flag,
        text: text.to_string(),
    })
}

/// How long the Lease of a `--wait` lasts unrenewed: as `herd engine`'s default.
const LEASE: Duration = Duration::from_secs(15);

/// Steps the engine until the rollout leaves Progressing; returns the last step. It writes
/// only while it holds the DaemonSet's Lease: when another engine (`herd engine`, another
/// `--wait`) holds it, this one says so once and follows the rollout read-only.
pub async fn run_until_settled(
    client: &Client,
    namespace: &str,
    name: &str,
    mut each: impl FnMut(Progress<'_>),
) -> Result<Step, RolloutError> {
    let mut leases = Leases::new(client.clone(), lease::default_identity(), LEASE);
    let mut said: Option<String> = None;
    loop {
        let hold = leases
            .hold(namespace, name)
            .await
            .map_err(|e| RolloutError::Api {
                namespace: namespace.to_string(),
                name: name.to_string(),
                message: e.to_string(),
            })?;
        let step = match hold {
            Hold::Mine => rollout::step(client, namespace, name, Timestamp::now()).await?,
            Hold::Other(holder) => {
                if said.as_ref() != Some(&holder) {
                    each(Progress::HeldBy(&holder));
                    said = Some(holder);
                }
                let (record, plan) =
                    rollout::inspect(client, namespace, name, Timestamp::now()).await?;
                Step::nothing(record, plan)
            }
        };
        each(Progress::Step(&step));
        if step.record.state != State::Progressing {
            leases.release(namespace, name).await;
            return Ok(step);
        }
        tokio::time::sleep(STEP_EVERY).await;
    }
}

/// `--wait`: runs the engine from this process, printing each deletion and the final status;
/// returns the exit code.
pub async fn wait(client: &Client, namespace: &str, name: &str) -> Result<i32, RolloutError> {
    let mut blocked = false;
    let step = run_until_settled(client, namespace, name, |progress| {
        let step = match progress {
            Progress::HeldBy(holder) => {
                say(format_args!(
                    "{namespace}/{name}: carried out by {holder}; following it"
                ));
                return;
            }
            Progress::Step(step) => step,
        };
        audit(&step.actions, &step.trouble);
        for pod in &step.deleted {
            say(format_args!("deleted pod {namespace}/{pod}"));
        }
        // Said once each time it starts: waiting silently would look like a hang.
        let now_blocked = step.plan.blocked_by_down;
        if now_blocked && !blocked {
            say(format_args!(
                "{namespace}/{name}: waiting: the nodes down ({}) use the whole budget of {}",
                step.plan
                    .skipped_down
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                step.plan.budget
            ));
        }
        blocked = now_blocked;
    })
    .await?;
    say(Status::of(namespace, name, &step.record, &step.plan).line());
    Ok(exit_code(&step.record))
}

/// The exit code for a settled rollout (see the CLI's help): an undo that ends RolledBack did
/// what was asked; a rollout rolled back after its new revision failed did not.
pub fn exit_code(record: &RolloutRecord) -> i32 {
    match &record.state {
        State::Complete | State::Progressing => 0,
        State::Paused { .. } | State::Contested { .. } => 3,
        State::RolledBack if !record.policy.rollback_on_failure => 0,
        State::Halted { .. } | State::Aborted | State::RolledBack => 1,
    }
}

/// `herd rollout status -o json`.
#[derive(Debug, Serialize)]
pub struct Status {
    pub namespace: String,
    pub daemonset: String,
    pub state: String,
    pub target_revision: Option<i64>,
    pub updated: u32,
    pub to_update: u32,
    pub partitioned: u32,
    pub budget: u32,
    pub unavailable: Vec<String>,
    pub nodes_down: Vec<String>,
    pub blocked_by_nodes_down: bool,
    pub batches: u32,
}

impl Status {
    pub fn of(namespace: &str, name: &str, record: &RolloutRecord, plan: &Plan) -> Self {
        let names = |v: &[std::sync::Arc<str>]| v.iter().map(|n| n.to_string()).collect();
        Status {
            namespace: namespace.to_string(),
            daemonset: name.to_string(),
            state: rollout::phase(&record.state),
            target_revision: record.target.as_ref().map(|t| t.revision),
            updated: plan.updated,
            to_update: plan.to_update,
            partitioned: plan.partitioned,
            budget: plan.budget,
            unavailable: names(&plan.unavailable),
            nodes_down: names(&plan.skipped_down),
            blocked_by_nodes_down: plan.blocked_by_down,
            batches: record.batches,
        }
    }

    /// One line a person reads.
    pub fn line(&self) -> String {
        let mut text = format!(
            "{}/{}: {}, {}/{} nodes on revision {}",
            self.namespace,
            self.daemonset,
            self.state,
            self.updated,
            self.to_update,
            self.target_revision
                .map_or("(not made yet)".to_string(), |r| r.to_string()),
        );
        if self.partitioned > 0 {
            text.push_str(&format!(", {} kept by the partition", self.partitioned));
        }
        text.push_str(&format!(
            ", {} of {} unavailable",
            self.unavailable.len(),
            self.budget
        ));
        if !self.nodes_down.is_empty() {
            text.push_str(&format!(
                ", nodes down skipped: {}",
                self.nodes_down.join(", ")
            ));
        }
        if self.blocked_by_nodes_down {
            text.push_str(" (the nodes down use the whole budget)");
        }
        text
    }
}
