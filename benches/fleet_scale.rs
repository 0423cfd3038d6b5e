//! Benchmark of herd's own model and analysis at the performance budget (the budget is
//! in docs/BENCHMARKS.md): a 5,000-node, 30-DaemonSet, ~150,000-pod fleet ingested into `Fleet`,
//! its memory, the full coverage pass and the hogs pass.
//!
//! Run with `cargo bench --bench fleet_scale`; options after `--`: `--reps N` (passes after the
//! first, default 100), `--loads N` (timed loads per way of loading, default 5),
//! `--fresh N` (extra processes that each time one first pass, default 4), `--nodes N`,
//! `--daemonsets N`. Timings are printed, never asserted.
// Benchmark code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fleet_scale/measure.rs"]
mod measure;

use std::process::Command;

use herd_core::analysis::thresholds::Thresholds;
use herd_core::analysis::{coverage, hogs};
use herd_core::model::synthetic::{self, Shape};
use herd_core::model::{Fleet, FleetEvent, Pod, Record, Relist};
use jiff::{SignedDuration, Timestamp};

use measure::{Runs, Took, mib, minor_faults, proc_status_mib, timed};

/// Marks the line a `--first-pass-only` child prints for its parent.
const CHILD_LINE: &str = "first-pass";

struct Args {
    shape: Shape,
    reps: usize,
    loads: usize,
    fresh: usize,
    /// Run as a child: load, time the first passes, print one line.
    first_pass_only: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        shape: Shape::default(),
        reps: 100,
        loads: 5,
        fresh: 4,
        first_pass_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
        match a.as_str() {
            "--nodes" => args.shape.nodes = value(),
            "--daemonsets" => args.shape.daemon_sets = value(),
            "--reps" => args.reps = value().max(1),
            "--loads" => args.loads = value().max(1),
            "--fresh" => args.fresh = value(),
            "--first-pass-only" => args.first_pass_only = true,
            _ => {} // cargo bench passes `--bench`; ignore what we do not know.
        }
    }
    args
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap_or_default() + SignedDuration::from_secs(seconds)
}

/// The fleet's records split into everything but pods (applied untimed) and the pods.
fn records(shape: Shape) -> (Vec<Record>, Vec<Record>) {
    synthetic::fleet(shape, at(0))
        .into_iter()
        .partition(|r| !matches!(r, Record::Pod(_)))
}

fn fleet_without_pods(base: &[Record]) -> Fleet {
    let mut fleet = Fleet::new();
    for r in base.iter().cloned() {
        fleet.apply(FleetEvent::Upsert(r));
    }
    fleet
}

fn pods_of(records: Vec<Record>) -> Vec<Pod> {
    records
        .into_iter()
        .filter_map(|r| match r {
            Record::Pod(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// What a fresh process measures: loading the fleet, its memory, and the first coverage and
/// hogs passes, which pay for allocations no earlier pass has made.
struct Fresh {
    fleet: Fleet,
    base: Vec<Record>,
    pods: usize,
    load: Took,
    /// VmRSS at the start, with the fleet loaded, after one metrics poll; and VmHWM.
    rss: [Option<f64>; 4],
    coverage: Took,
    coverage_faults: Option<u64>,
    rows: usize,
    hogs: Took,
    rated: usize,
}

fn fresh(shape: Shape) -> Fresh {
    let rss_start = proc_status_mib("VmRSS:");
    let (base, pods) = records(shape);
    let pod_count = pods.len();
    let mut fleet = fleet_without_pods(&base);
    let (load, ()) = timed(|| {
        for p in pods {
            fleet.apply(FleetEvent::Upsert(p));
        }
    });
    let rss_loaded = proc_status_mib("VmRSS:");
    fleet.apply(FleetEvent::Metrics(synthetic::metrics(&fleet, at(120))));
    let rss = [
        rss_start,
        rss_loaded,
        proc_status_mib("VmRSS:"),
        proc_status_mib("VmHWM:"),
    ];
    let faults = minor_faults();
    let (coverage, report) = timed(|| coverage::analyze(&fleet, at(600)));
    let coverage_faults = minor_faults().zip(faults).map(|(a, b)| a - b);
    let rows = report.daemon_sets.iter().map(|d| d.rows.len()).sum();
    drop(report);
    let (hogs, report) = timed(|| hogs::analyze(&fleet, &Thresholds::default()));
    Fresh {
        pods: pod_count,
        rated: report.pods.len(),
        fleet,
        base,
        load,
        rss,
        coverage,
        coverage_faults,
        rows,
        hogs,
    }
}

/// Times `reps` more runs of `pass`.
fn warm<T>(reps: usize, mut pass: impl FnMut() -> T) -> Runs {
    let took: Vec<Took> = (0..reps).map(|_| timed(&mut pass).0).collect();
    Runs::new(&took)
}

/// First coverage and hogs passes timed in `n` more processes (this binary as a child).
fn first_passes_elsewhere(args: &Args) -> Vec<(Took, Took)> {
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    let shape = [
        "--nodes".to_string(),
        args.shape.nodes.to_string(),
        "--daemonsets".into(),
        args.shape.daemon_sets.to_string(),
    ];
    (0..args.fresh)
        .filter_map(|_| {
            let out = Command::new(&exe)
                .arg("--first-pass-only")
                .args(&shape)
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text.lines().find(|l| l.starts_with(CHILD_LINE))?;
            let n: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            let took = |i: usize| Took {
                wall: std::time::Duration::from_nanos(n[i]),
                cpu: n.get(i + 1).map(|c| std::time::Duration::from_nanos(*c)),
            };
            (n.len() >= 4).then(|| (took(0), took(2)))
        })
        .collect()
}

fn child(args: &Args) {
    let f = fresh(args.shape);
    let ns = |d: std::time::Duration| d.as_nanos().to_string();
    let cpu = |t: &Took| t.cpu.map_or_else(|| "-".into(), ns);
    println!(
        "{CHILD_LINE} {} {} {} {}",
        ns(f.coverage.wall),
        cpu(&f.coverage),
        ns(f.hogs.wall),
        cpu(&f.hogs)
    );
}

/// Pod lists applied as individual Upserts, as one Relisted into a fleet with no pods, and
/// as one Relisted replacing a full fleet's pods (a watcher's re-list after a 410).
fn load_rates(args: &Args, base: &[Record]) -> [Runs; 3] {
    let (mut upserts, mut relists, mut replaces) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.loads {
        let mut fleet = fleet_without_pods(base);
        let pods = records(args.shape).1;
        upserts.push(
            timed(|| {
                for p in pods {
                    fleet.apply(FleetEvent::Upsert(p));
                }
            })
            .0,
        );
        let list = pods_of(records(args.shape).1);
        replaces.push(timed(|| fleet.apply(FleetEvent::Relisted(Relist::Pods(list)))).0);
        drop(fleet);
        let mut fleet = fleet_without_pods(base);
        let list = pods_of(records(args.shape).1);
        relists.push(timed(|| fleet.apply(FleetEvent::Relisted(Relist::Pods(list)))).0);
    }
    [upserts, relists, replaces].map(|t| Runs::new(&t))
}

/// The passes timed in this process and in fresh ones.
struct Passes {
    coverage_first: Runs,
    coverage_warm: Runs,
    hogs_first: Runs,
    hogs_warm: Runs,
    processes: usize,
}

fn passes(args: &Args, f: &Fresh) -> Passes {
    let coverage_warm = warm(args.reps, || coverage::analyze(&f.fleet, at(600)));
    let thresholds = Thresholds::default();
    let hogs_warm = warm(args.reps, || hogs::analyze(&f.fleet, &thresholds));
    let elsewhere = first_passes_elsewhere(args);
    let firsts = |pick: fn(&(Took, Took)) -> Took, here: Took| {
        let mut all: Vec<Took> = elsewhere.iter().map(pick).collect();
        all.push(here);
        Runs::new(&all)
    };
    Passes {
        coverage_first: firsts(|t| t.0, f.coverage),
        hogs_first: firsts(|t| t.1, f.hogs),
        coverage_warm,
        hogs_warm,
        processes: elsewhere.len() + 1,
    }
}

fn load_rows(f: &Fresh, [upserts, relists, replaces]: &[Runs; 3]) -> Vec<(String, String)> {
    let rate = f.pods as f64 / f.load.wall.as_secs_f64();
    vec![
        (
            "first load: pods as individual Upserts".into(),
            format!("{rate:.0} events/s ({})", f.load.ms()),
        ),
        (
            "pods as individual Upserts into a fleet without pods".into(),
            upserts.rate(f.pods),
        ),
        (
            "pods as one Relisted into a fleet without pods".into(),
            relists.rate(f.pods),
        ),
        (
            "pods as one Relisted replacing a full fleet's pods".into(),
            replaces.rate(f.pods),
        ),
    ]
}

fn analysis_rows(f: &Fresh, p: &Passes) -> Vec<(String, String)> {
    let faults = f
        .coverage_faults
        .map_or_else(String::new, |n| format!("; {n} page faults in one of them"));
    vec![
        (
            format!("coverage pass ({} rows), first in a process", f.rows),
            format!("{}{faults}", p.coverage_first.ms()),
        ),
        (
            "coverage pass, after the first".into(),
            p.coverage_warm.ms(),
        ),
        (
            format!("hogs pass ({} pods rated), first in a process", f.rated),
            p.hogs_first.ms(),
        ),
        ("hogs pass, after the first".into(), p.hogs_warm.ms()),
    ]
}

fn memory_rows(f: &Fresh) -> Vec<(String, String)> {
    let grown = |i: usize| {
        f.rss[i]
            .zip(f.rss[0])
            .map_or_else(|| mib(None), |(a, s)| format!("{:.0} MiB", a - s))
    };
    vec![
        (
            "resident memory: the fleet loaded (VmRSS growth)".into(),
            grown(1),
        ),
        (
            "resident memory: the fleet after one metrics poll (VmRSS growth)".into(),
            grown(2),
        ),
        (
            "process VmRSS / peak VmHWM (the peak holds the generated input too)".into(),
            format!("{} / {}", mib(f.rss[2]), mib(f.rss[3])),
        ),
    ]
}

fn main() {
    let args = parse_args();
    if args.first_pass_only {
        child(&args);
        return;
    }
    let f = fresh(args.shape);
    let passes = passes(&args, &f);
    let loads = load_rates(&args, &f.base);
    println!(
        "herd fleet benchmark: {} nodes, {} DaemonSets, {} pods",
        f.fleet.nodes().len(),
        f.fleet.daemon_set_count(),
        f.pods
    );
    println!("| measure | figure |");
    println!("|---|---|");
    let rows = [
        load_rows(&f, &loads),
        analysis_rows(&f, &passes),
        memory_rows(&f),
    ];
    for (measure, figure) in rows.into_iter().flatten() {
        println!("| {measure} | {figure} |");
    }
    println!(
        "(first in a process: {} processes; wall time, and the thread's time on CPU)",
        passes.processes
    );
}
