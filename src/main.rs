//! herd's entry point: parse the command line and run the chosen command.

mod cli;

use anyhow::{Context, Result, bail};
use clap::Parser;
use herd_sim::api::faults::FaultSettings;
use herd_sim::private_file;
use herd_sim::server::{self, READ_ONLY_CONTEXT, ServerOptions};

use herd::check::{self, CheckError, CheckOptions, Format};
use herd_cluster::connect::ConnectOptions;
use herd_cluster::watch::Scope;

use std::time::Duration;

use herd::runtime::{self, Options};
use herd::ui::theme;

use cli::{CheckArgs, Cli, Command, EngineArgs, RolloutAction, RolloutArgs, SimArgs, TuiArgs};

/// mimalloc instead of glibc's malloc: at 150,000 pods the watch and metrics tasks allocate
/// and free hundreds of megabytes of JSON on several threads, and glibc's per-thread arenas
/// kept about half of herd's resident memory as fragments it never returned.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them, and then the
/// first touch of any of its memory has the kernel zero 2 MiB at once: at 40,000 pods that was
/// nearly a third of herd's CPU before its first complete frame (the fleet is a few hundred MiB of
/// small records, each written once), and a tenth of a second of it. The simulator keeps
/// them: it is the yardstick herd is measured against, not herd.
fn small_pages_only() {
    #[cfg(target_os = "linux")]
    {
        // Only an old kernel refuses, and then huge pages cost time, nothing else.
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    if !matches!(cli.command, Some(Command::Sim(_))) {
        small_pages_only();
    }
    match cli.command {
        Some(Command::Sim(args)) => run_sim(args).await,
        Some(Command::Check(args)) => std::process::exit(run_check(&args).await),
        Some(Command::Rollout(args)) => std::process::exit(run_rollout(args).await),
        Some(Command::Target(a)) => {
            let args = herd::target::TargetArgs {
                namespace: a.target.namespace,
                daemonset: a.target.daemonset,
                kubeconfig: a.target.kubeconfig,
                context: a.target.context,
                node_selector: a.node_selector,
                add_toleration: a.add_toleration,
                remove_toleration: a.remove_toleration,
                affinity_file: a.affinity_file,
                dry_run: a.dry_run,
                force: a.force,
                output: a.output,
                stage: a.stage,
                batch: a.batch,
                order_by: a.order_by,
                wait: a.wait,
                resume: a.resume,
                rollback: a.rollback,
            };
            std::process::exit(herd::target::run(args).await)
        }
        Some(Command::Engine(args)) => {
            if let Err(e) = herd::engine::run(engine_options(args)).await {
                eprintln!("herd engine: {e:#}");
                std::process::exit(2);
            }
            Ok(())
        }
        None => {
            // One line naming the problem, whatever RUST_BACKTRACE says (the terminal is
            // already restored by the time the error gets here).
            if let Err(e) = run_tui(cli.tui).await {
                eprintln!("herd: {e:#}");
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn engine_options(args: EngineArgs) -> herd::engine::EngineOptions {
    herd::engine::EngineOptions {
        connect: ConnectOptions {
            kubeconfig: args.kubeconfig,
            context: args.context,
            compression: herd_cluster::connect::Compression::Auto,
        },
        namespace: args.namespace,
        identity: args.identity,
        lease: Duration::from_secs(args.lease_seconds),
        audit_log: match args.audit_log {
            Some(path) if path.as_os_str() == "none" => None,
            Some(path) => Some(herd::audit::AuditLog::at(&path)),
            None => herd::audit::default_path().map(|p| herd::audit::AuditLog::at(&p)),
        },
    }
}

/// `herd rollout …`: the exit code, with one line on stderr for exit 2.
async fn run_rollout(args: RolloutArgs) -> i32 {
    match rollout_action(args.action).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("herd rollout: {e:#}");
            2
        }
    }
}

async fn rollout_action(action: RolloutAction) -> Result<i32> {
    use herd::rollout::{self as cmd, Status};
    use herd_cluster::rollout::{self, Command as Word, native};
    use herd_core::engine::policy::Policy;
    use herd_core::engine::strategy::{self, Edit, Kind};
    let target = match &action {
        RolloutAction::Start(a) => &a.target,
        RolloutAction::Status(a) => &a.target,
        RolloutAction::Undo(a) => &a.target,
        RolloutAction::Strategy(a) => &a.target,
        RolloutAction::Restart(a) => &a.target,
        RolloutAction::Pause(t) | RolloutAction::Resume(t) | RolloutAction::Abort(t) => t,
    };
    let connect = ConnectOptions {
        kubeconfig: target.kubeconfig.clone(),
        context: target.context.clone(),
        compression: herd_cluster::connect::Compression::Auto,
    };
    let (ns, name) = (target.namespace.clone(), target.daemonset.clone());
    match action {
        RolloutAction::Start(a) => {
            let images = a
                .image
                .iter()
                .map(|i| cmd::parse_image(i))
                .collect::<Result<Vec<_>, _>>()?;
            let policy = policy_of(&a.policy)?;
            let client = herd_cluster::connect::connect(&connect).await?;
            let done = rollout::start(&client, &ns, &name, policy, &images, jiff::Timestamp::now())
                .await?;
            cmd::audit(&done.actions, &done.trouble);
            cmd::say(format_args!("{ns}/{name}: managed rollout started"));
            if a.wait {
                return Ok(cmd::wait(&client, &ns, &name).await?);
            }
            Ok(0)
        }
        RolloutAction::Strategy(a) => {
            let edit = Edit {
                kind: match (a.on_delete, a.rolling_update) {
                    (true, _) => Some(Kind::OnDelete),
                    (_, true) => Some(Kind::RollingUpdate),
                    _ => None,
                },
                max_unavailable: a.max_unavailable,
                max_surge: a.max_surge,
                min_ready_seconds: a.min_ready_seconds,
            };
            // Flags the API server would refuse are refused before connecting at all.
            strategy::check_flags(&edit)
                .map_err(|e| anyhow::anyhow!("daemonset {ns}/{name}: {e}"))?;
            let client = herd_cluster::connect::connect(&connect).await?;
            let done = native::edit_strategy(&client, &ns, &name, &edit).await?;
            cmd::audit(&done.actions, &done.trouble);
            if done.unchanged {
                cmd::say(format_args!(
                    "{ns}/{name}: update strategy already {}; nothing written",
                    done.strategy
                ));
            } else {
                cmd::say(format_args!(
                    "{ns}/{name}: update strategy set to {}",
                    done.strategy
                ));
            }
            Ok(0)
        }
        RolloutAction::Restart(a) => {
            let now = jiff::Timestamp::now();
            if !a.managed {
                if a.policy.given() {
                    bail!(
                        "the rollout policy flags need --managed (a plain restart is rolled out \
                         by the DaemonSet's own strategy)"
                    );
                }
                let client = herd_cluster::connect::connect(&connect).await?;
                let done = native::restart(&client, &ns, &name, now).await?;
                cmd::audit(&done.actions, &done.trouble);
                cmd::say(format_args!("{ns}/{name}: restarted ({})", done.note));
                return Ok(0);
            }
            let policy = policy_of(&a.policy)?;
            let client = herd_cluster::connect::connect(&connect).await?;
            let done = rollout::restart(&client, &ns, &name, policy, now).await?;
            cmd::audit(&done.actions, &done.trouble);
            cmd::say(format_args!("{ns}/{name}: managed restart started"));
            if a.wait {
                return Ok(cmd::wait(&client, &ns, &name).await?);
            }
            Ok(0)
        }
        RolloutAction::Undo(a) => {
            let policy = Policy {
                max_unavailable: a.max_unavailable.clone(),
                ..Policy::default()
            };
            policy.check()?;
            let client = herd_cluster::connect::connect(&connect).await?;
            let done = rollout::undo(
                &client,
                &ns,
                &name,
                policy,
                a.to_revision,
                jiff::Timestamp::now(),
            )
            .await?;
            cmd::audit(&done.actions, &done.trouble);
            cmd::say(format_args!("{ns}/{name}: managed undo started"));
            if a.wait {
                return Ok(cmd::wait(&client, &ns, &name).await?);
            }
            Ok(0)
        }
        RolloutAction::Status(a) => {
            let client = herd_cluster::connect::connect(&connect).await?;
            if a.wait {
                return Ok(cmd::wait(&client, &ns, &name).await?);
            }
            let (record, plan) =
                rollout::inspect(&client, &ns, &name, jiff::Timestamp::now()).await?;
            let status = Status::of(&ns, &name, &record, &plan);
            match a.output.as_str() {
                "json" => cmd::say(serde_json::to_string_pretty(&status)?),
                "table" => cmd::say(status.line()),
                other => bail!("-o {other:?}: unknown output format (use table or json)"),
            }
            Ok(0)
        }
        RolloutAction::Pause(_) | RolloutAction::Resume(_) | RolloutAction::Abort(_) => {
            let w = match action {
                RolloutAction::Pause(_) => Word::Pause,
                RolloutAction::Resume(_) => Word::Resume,
                _ => Word::Abort,
            };
            let client = herd_cluster::connect::connect(&connect).await?;
            let done = rollout::command(&client, &ns, &name, w).await?;
            cmd::audit(&done.actions, &done.trouble);
            cmd::say(format_args!(
                "{ns}/{name}: {}",
                rollout::phase(&done.record.state)
            ));
            Ok(0)
        }
    }
}

/// The policy `start` and `restart --managed` give, checked.
fn policy_of(a: &cli::PolicyArgs) -> Result<herd_core::engine::policy::Policy> {
    use herd::rollout as cmd;
    let policy = herd_core::engine::policy::Policy {
        max_unavailable: a.max_unavailable.clone(),
        canary: a
            .canary
            .as_deref()
            .map(|t| cmd::parse_selection("canary", t))
            .transpose()?,
        partition: a
            .partition
            .as_deref()
            .map(|t| cmd::parse_selection("partition", t))
            .transpose()?,
        pause_after: a
            .pause_after
            .iter()
            .map(|p| cmd::parse_pause(p))
            .collect::<Result<Vec<_>, _>>()?,
        progress_deadline_seconds: a.progress_deadline,
        keep_managed: a.keep_managed,
        halt_on_failure: true,
        rollback_on_failure: a.rollback_on_failure,
        halt_on_not_ready: a.halt_on_not_ready,
    };
    policy.check()?;
    Ok(policy)
}

/// The TUI on the current context, or on an in-process simulator with `--sim`.
async fn run_tui(args: TuiArgs) -> Result<()> {
    let theme = herd::theme_files::load_theme(&args.theme).map_err(|e| anyhow::anyhow!("{e}"))?;
    let monochrome = theme::no_color_requested(
        args.no_color,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    );
    let mut options = Options {
        connect: ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            compression: args.compression.into(),
        },
        namespace: args.namespace.clone().filter(|_| !args.all_namespaces),
        readonly: args.readonly,
        theme,
        monochrome,
        // metrics-server scrapes every 15 s (its default --metric-resolution): polling more
        // often reads the same numbers again, at 150,000 pods 60 MiB of JSON a time.
        metrics_every: Duration::from_secs(15),
        mouse: args.mouse,
        pods: if args.all_pods {
            herd_cluster::watch::PodScope::All
        } else {
            herd_cluster::watch::PodScope::Daemon
        },
    };
    if !args.sim {
        return runtime::run(options).await;
    }
    // A directory of this run's own for the admin kubeconfig: a random name made atomically
    // with mode 0700, never one that already existed, so no other user can have prepared it
    // or see into it. Dropping it removes it, on every way out of here, errors included.
    let dir = private_file::fresh_private_dir("herd-sim-")
        .context("creating a private directory for the simulator's kubeconfig")?;
    let kubeconfig = dir.path().join("kubeconfig");
    let handle = server::start(ServerOptions {
        scenario: args.scenario.clone(),
        nodes: args.nodes,
        daemonsets: args.daemonsets,
        app_pods_per_node: args.app_pods_per_node,
        kubeconfig: Some(kubeconfig.clone()),
        ..ServerOptions::default()
    })
    .await
    .context("starting the simulated cluster")?;
    options.connect.kubeconfig = Some(kubeconfig);
    if args.readonly && args.context.is_none() {
        // Belt and braces: the simulator's read-only token is refused every write.
        options.connect.context = Some(READ_ONLY_CONTEXT.to_string());
    }
    let result = runtime::run(options).await;
    handle.shutdown().await;
    // Removing it can only fail if something else removed or changed it; nothing to tell.
    let _ = dir.close();
    result
}

/// `herd check`: the exit code is 0 (clean), 1 (a --fail-on condition holds) or 2 (bad input,
/// a selection that matches nothing, or a cluster that refused or did not answer, with a
/// one-line error on stderr).
async fn run_check(args: &CheckArgs) -> i32 {
    match check_report(args).await {
        Ok((report, format)) => {
            let text = match format {
                Format::Json => serde_json::to_string_pretty(&report)
                    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
                Format::Table => report.table(args.wide),
            };
            herd::rollout::say(text);
            i32::from(!report.failed_on.is_empty())
        }
        Err(e) => {
            eprintln!("herd check: {e}");
            2
        }
    }
}

async fn check_report(args: &CheckArgs) -> Result<(check::Report, Format), CheckError> {
    let format = check::parse_format(&args.output)?;
    let fail_on = check::parse_fail_on(&args.fail_on)?;
    let timeout = check::parse_timeout(&args.timeout)?;
    let daemon_set_labels = args
        .selector
        .as_deref()
        .map(check::parse_selector)
        .transpose()?;
    let options = CheckOptions {
        connect: ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            compression: args.compression.into(),
        },
        scope: Scope {
            namespace: args.namespace.clone().filter(|_| !args.all_namespaces),
            daemon_set_labels,
            // Coverage, verdicts and hogs read the daemons' pods only.
            pods: herd_cluster::watch::PodScope::Daemon,
        },
        format,
        fail_on,
        timeout,
        allow_empty: args.allow_empty,
    };
    Ok((check::run(&options).await?, format))
}

/// `herd sim`: serve the simulated cluster until Ctrl-C.
async fn run_sim(args: SimArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.fail_rate) {
        bail!(
            "--fail-rate {} is out of range: give a share between 0 and 1",
            args.fail_rate
        );
    }
    let kubeconfig = args.kubeconfig_path().map_err(anyhow::Error::msg)?;
    let options = ServerOptions {
        scenario: args.scenario.clone(),
        seed: args.seed,
        nodes: args.nodes,
        daemonsets: args.daemonsets,
        app_pods_per_node: args.app_pods_per_node,
        port: args.port,
        kubeconfig: Some(kubeconfig.clone()),
        speed: args.speed,
        faults: FaultSettings {
            fail_rate: args.fail_rate,
            fail_code: args.fail_code,
            latency_ms: args.latency,
            ..FaultSettings::default()
        },
        ..ServerOptions::default()
    };
    let handle = server::start(options)
        .await
        .context("starting the simulated cluster")?;
    let (nodes, pods) = handle.world.lock().size();
    let path = kubeconfig.display();
    println!(
        "herd sim: scenario {} ({nodes} nodes, {pods} pods) serving {}",
        args.scenario,
        handle.url()
    );
    println!("kubeconfig: {path} (contexts herd-sim and {READ_ONLY_CONTEXT})");
    println!("try:        kubectl --kubeconfig {path} get nodes");
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    handle.shutdown().await;
    Ok(())
}
