//! `herd engine`: runs the engine for every managed DaemonSet until stopped, logging one line
//! per thing it does or finds. The engine itself is `herd_cluster::runner`; this picks the
//! cluster (kubeconfig, else the pod's service account), names the process for its Leases and
//! prints what it reports.

use std::time::Duration;

use anyhow::Result;
use jiff::Timestamp;

use crate::audit::AuditLog;
use crate::rollout::say;
use herd_cluster::connect::{self, ConnectOptions};
use herd_cluster::lease;
use herd_cluster::runner::{self, Options, Report};
use herd_cluster::watch::Scope;

/// How often every managed DaemonSet is planned again without a change: minReadySeconds and
/// progress deadlines pass with the clock alone.
const TICK: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub connect: ConnectOptions,
    pub namespace: Option<String>,
    pub identity: Option<String>,
    pub lease: Duration,
    /// `None`: no local audit log (Events only).
    pub audit_log: Option<AuditLog>,
}

/// Runs until interrupted (SIGINT or SIGTERM); errors only when no client can be built.
pub async fn run(options: EngineOptions) -> Result<()> {
    let client = connect::connect_or_in_cluster(&options.connect).await?;
    let identity = options
        .identity
        .clone()
        .unwrap_or_else(lease::default_identity);
    let mut audit_failed = false;
    say(format_args!(
        "{} herd engine {identity}: watching {}",
        Timestamp::now(),
        options.namespace.as_deref().unwrap_or("every namespace")
    ));
    let engine = runner::run(
        client,
        Options {
            identity: identity.clone(),
            lease: options.lease,
            scope: Scope {
                namespace: options.namespace.clone(),
                daemon_set_labels: None,
                // The engine drives daemon pods only.
                pods: herd_cluster::watch::PodScope::Daemon,
            },
            tick: TICK,
        },
        |report| {
            say(format_args!("{} {}", Timestamp::now(), line(&report)));
            if let (Report::Acted(action), Some(log)) = (&report, &options.audit_log)
                && let Err(e) = log.append(&identity, std::slice::from_ref(action))
                && !audit_failed
            {
                // Said once: Events still record every action.
                audit_failed = true;
                eprintln!("herd engine: {e}; carrying on with Events only");
            }
        },
    );
    tokio::select! {
        () = engine => {}
        () = stopped() => {}
    }
    Ok(())
}

/// One log line for a report.
pub fn line(report: &Report) -> String {
    match report {
        Report::Ready { managed } => format!("ready: {managed} managed DaemonSet(s)"),
        Report::Acted(a) => format!("{}/{}: {}", a.namespace, a.daemon_set, a.message),
        Report::Holding { daemon_set } => format!("{daemon_set}: holding the lease"),
        Report::HeldBy { daemon_set, holder } => {
            format!("{daemon_set}: lease held by {holder}; read-only here")
        }
        Report::BlockedByDown {
            daemon_set,
            nodes,
            budget,
        } => format!(
            "{daemon_set}: waiting: the nodes down ({}) use the whole budget of {budget}",
            nodes.join(", ")
        ),
        Report::Trouble {
            daemon_set,
            message,
        } => format!("{daemon_set}: {message}"),
    }
}

/// SIGINT or SIGTERM (how a pod is stopped).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
