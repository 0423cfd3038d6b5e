//! Scale benchmark of the bundled simulator: build a 5,000-node fleet, serve it, and measure
//! what a user of `herd sim` would feel (build time, memory, a full kubectl listing, idle CPU).
//!
//! Run with `cargo bench --bench sim_scale` (add `-- --nodes 1000 --daemonsets 10` for a
//! smaller fleet). Needs `kubectl` on PATH for the listing figure.
// Benchmark code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use herd_sim::server::{ServerOptions, start};

struct Args {
    nodes: usize,
    daemonsets: usize,
    idle_seconds: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        nodes: 5_000,
        daemonsets: 30,
        idle_seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = |it: &mut dyn Iterator<Item = String>| {
            it.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        };
        match a.as_str() {
            "--nodes" => args.nodes = value(&mut it) as usize,
            "--daemonsets" => args.daemonsets = value(&mut it) as usize,
            "--idle-seconds" => args.idle_seconds = value(&mut it),
            _ => {} // cargo bench passes `--bench`; ignore what we do not know.
        }
    }
    args
}

/// Resident set size of this process in MiB, from /proc.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time (user + system) this process has used, from /proc.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Linux reports these in USER_HZ ticks, which is 100 per second on every platform it supports.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Runs kubectl against the simulator and reports its wall time and output size.
fn timed_kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> String {
    let started = Instant::now();
    let output = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stderr(Stdio::inherit())
        .output();
    let took = started.elapsed();
    match output {
        Ok(out) if out.status.success() => format!(
            "{:.2} s ({:.0} MiB of JSON)",
            took.as_secs_f64(),
            out.stdout.len() as f64 / 1_048_576.0
        ),
        Ok(out) => format!("kubectl failed: {}", out.status),
        Err(e) => format!("kubectl not run: {e}"),
    }
}

fn main() -> anyhow::Result<()> {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Owner-only whatever the umask, as the simulator's kubeconfig needs.
    let dir = herd_sim::private_file::fresh_private_dir("herd-bench-")?;
    let kubeconfig = dir.path().join("kubeconfig");
    println!(
        "herd sim scale benchmark: {} nodes, {} DaemonSets",
        args.nodes, args.daemonsets
    );

    let rss_before = rss_mib();
    let started = Instant::now();
    let handle = runtime.block_on(start(ServerOptions {
        scenario: "demo".into(),
        nodes: Some(args.nodes),
        daemonsets: Some(args.daemonsets),
        kubeconfig: Some(kubeconfig.clone()),
        ..ServerOptions::default()
    }))?;
    let build = started.elapsed();
    let pods = handle
        .world
        .lock()
        .store
        .table::<k8s_openapi::api::core::v1::Pod>()
        .len();
    let rss_built = rss_mib();

    let list_figure = timed_kubectl(
        &kubeconfig,
        &["get", "pods", "-A", "-o", "json", "--request-timeout=300s"],
    );
    // One unpaged request: what the server itself costs, without kubectl's paging and printing.
    let raw_figure = timed_kubectl(&kubeconfig, &["get", "--raw", "/api/v1/pods"]);

    let cpu_before = cpu_time();
    let idle_start = Instant::now();
    std::thread::sleep(Duration::from_secs(args.idle_seconds));
    let idle_cpu = (cpu_time() - cpu_before).as_secs_f64() / idle_start.elapsed().as_secs_f64();
    let rss_steady = rss_mib();

    println!("| measure | figure |");
    println!("|---|---|");
    println!("| pods in the world | {pods} |");
    println!(
        "| build world and start serving | {:.2} s |",
        build.as_secs_f64()
    );
    println!(
        "| resident memory after build | {:.0} MiB (process baseline {:.0} MiB) |",
        rss_built, rss_before
    );
    println!("| `kubectl get pods -A -o json` | {list_figure} |");
    println!("| `kubectl get --raw /api/v1/pods` (one unpaged list) | {raw_figure} |");
    println!(
        "| steady CPU, nothing changing, over {} s | {:.1} % of one core |",
        args.idle_seconds,
        idle_cpu * 100.0
    );
    println!("| resident memory, steady | {rss_steady:.0} MiB |");
    runtime.block_on(handle.shutdown());
    Ok(())
}
