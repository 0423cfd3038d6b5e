//! `herd target --stage / --resume / --rollback / --wait`: a staged targeting edit from a
//! pipeline. The staging itself is `herd_cluster::target::stage`'s; this says what it did.

use herd_cluster::target::stage::{self, StageCommand, StageOptions, Stepped};
use herd_core::targeting::stage::{Batch, StageRecord, StageState};
use herd_core::targeting::validate::validate_label;

use super::TargetArgs;
use crate::rollout::{record_actions, say};

const ACTOR: &str = "herd target";

/// `--batch` and `--order-by` read; a bad one is named with its text.
pub fn options(args: &TargetArgs) -> Result<Option<StageOptions>, String> {
    if args.wait && !args.stage && !args.resume {
        return Err("--wait goes with --stage or --resume".into());
    }
    if !args.stage {
        return Ok(None);
    }
    let batch = Batch::parse(&args.batch).ok_or_else(|| {
        format!(
            "--batch {:?}: expected a count of nodes (5) or a share of the nodes that gain the daemon (10%), above 0 and at most 100%",
            args.batch
        )
    })?;
    if let Some(label) = &args.order_by {
        let problems = validate_label(label, "");
        if let Some(p) = problems.first() {
            return Err(format!("--order-by {label:?}: {p}"));
        }
    }
    Ok(Some(StageOptions {
        batch,
        order_by: args.order_by.clone(),
    }))
}

/// Says the actions a step took and records them in the audit log.
pub fn tell(stepped: &Stepped) {
    for a in &stepped.actions {
        say(format!("{}: {}", a.reason.as_str(), a.message));
    }
    for problem in record_actions(ACTOR, &stepped.actions, &stepped.trouble) {
        eprintln!("herd target: {problem}");
    }
}

/// `--wait`: carries the staging here until it ends; 0 when it completed, 1 when it halted.
pub async fn wait(client: &kube::Client, namespace: &str, name: &str) -> i32 {
    match stage::run_until_settled(client, namespace, name, tell).await {
        Ok(record) => ended(&record),
        Err(e) => {
            eprintln!("herd target: {e}");
            2
        }
    }
}

fn ended(record: &StageRecord) -> i32 {
    say(format!("staging: {}", record.state.describe()));
    match record.state {
        StageState::Complete | StageState::RolledBack => 0,
        _ => 1,
    }
}

/// `--resume` and `--rollback`.
pub async fn command(args: &TargetArgs, client: &kube::Client) -> i32 {
    let (ns, name) = (&args.namespace, &args.daemonset);
    let which = if args.rollback {
        StageCommand::Rollback
    } else {
        StageCommand::Resume
    };
    match stage::command(client, ns, name, which).await {
        Ok(applied) => {
            tell(&Stepped {
                actions: applied.actions,
                trouble: applied.trouble,
                ..Stepped::default()
            });
            if args.wait {
                wait(client, ns, name).await
            } else {
                0
            }
        }
        Err(e) => {
            eprintln!("herd target: {e}");
            match e {
                herd_cluster::target::TargetError::Conflict { .. } => 1,
                _ => 2,
            }
        }
    }
}
