//! herd's entry point: parse the command line and run the chosen command.

mod cli;

use anyhow::{Context, Result, bail};
use clap::Parser;
use herd::sim::api::faults::FaultSettings;
use herd::sim::server::{self, READ_ONLY_CONTEXT, ServerOptions};

use cli::{Cli, Command, SimArgs};

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Sim(args)) => run_sim(args).await,
        None => bail!("no command given: try `herd sim` (see `herd --help`)"),
    }
}

/// `herd sim`: serve the simulated cluster until Ctrl-C.
async fn run_sim(args: SimArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.fail_rate) {
        bail!(
            "--fail-rate {} is out of range: give a share between 0 and 1",
            args.fail_rate
        );
    }
    let kubeconfig = args.kubeconfig_path();
    let options = ServerOptions {
        scenario: args.scenario.clone(),
        seed: args.seed,
        nodes: args.nodes,
        daemonsets: args.daemonsets,
        port: args.port,
        kubeconfig: Some(kubeconfig.clone()),
        speed: args.speed,
        faults: FaultSettings {
            fail_rate: args.fail_rate,
            fail_code: args.fail_code,
            latency_ms: args.latency,
        },
        ..ServerOptions::default()
    };
    let handle = server::start(options)
        .await
        .context("starting the simulated cluster")?;
    let (nodes, pods) = {
        let world = handle.world.lock();
        (
            world
                .store
                .table::<k8s_openapi::api::core::v1::Node>()
                .len(),
            world.store.table::<k8s_openapi::api::core::v1::Pod>().len(),
        )
    };
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
