//! Scale run over a budget-sized fleet. Ignored by default; timings are printed, never
//! asserted (DESIGN.md §5):
//! `cargo test --release --lib -- --ignored analysis::coverage::scale --nocapture --test-threads=1`.

use std::time::Instant;

use super::*;
use crate::analysis::hogs;
use crate::analysis::thresholds::Thresholds;
use crate::model::fleet::{Fleet, FleetEvent, Record, RecordKey};
use crate::model::synthetic::{self, Shape};
use crate::model::testkit::t;

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

#[test]
#[ignore]
fn scale_full_fleet() {
    let before = rss_mib();
    let records = synthetic::fleet(Shape::default(), t(0));
    let n = records.len();
    let mut fleet = Fleet::new();
    let start = Instant::now();
    for r in records {
        fleet.apply(FleetEvent::Upsert(r));
    }
    let insert = start.elapsed();
    let loaded = rss_mib();
    println!(
        "{} pods, {n} records: insert {:.0} events/s",
        fleet.pod_count(),
        n as f64 / insert.as_secs_f64()
    );
    let pods: Vec<Record> = synthetic::fleet(Shape::default(), t(0))
        .into_iter()
        .filter(|r| matches!(r, Record::Pod(_)))
        .collect();
    fleet.apply(FleetEvent::Metrics(synthetic::metrics(&pods, t(120))));
    let with_metrics = rss_mib();
    let start = Instant::now();
    for r in pods.iter().cloned() {
        fleet.apply(FleetEvent::Upsert(r));
    }
    println!(
        "update {:.0} events/s",
        pods.len() as f64 / start.elapsed().as_secs_f64()
    );
    println!(
        "rss: {before:.0} MiB before, {loaded:.0} MiB with the fleet loaded, {with_metrics:.0} MiB \
         after one metrics poll (plus the poll's own buffers)"
    );

    println!(
        "row sizes: Coverage {} bytes, Reason {} bytes",
        std::mem::size_of::<Coverage>(),
        std::mem::size_of::<Reason>()
    );
    for _ in 0..3 {
        let start = Instant::now();
        let report = analyze(&fleet, t(600));
        let took = start.elapsed();
        let missing: u32 = report
            .daemon_sets
            .iter()
            .map(|d| d.tally.get(Status::Missing))
            .sum();
        println!(
            "coverage pass: {:.1} ms ({} DS, {} rows, {missing} missing)",
            took.as_secs_f64() * 1e3,
            report.daemon_sets.len(),
            report
                .daemon_sets
                .iter()
                .map(|d| d.rows.len())
                .sum::<usize>()
        );
    }
    let start = Instant::now();
    for ds in fleet.daemon_sets() {
        let _ = summarize(&fleet, &ds.uid, t(600));
    }
    println!(
        "summarize all: {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let h = hogs::analyze(&fleet, &Thresholds::default());
    println!(
        "hogs pass: {:.1} ms ({} pods)",
        start.elapsed().as_secs_f64() * 1e3,
        h.pods.len()
    );

    let start = Instant::now();
    for r in &pods {
        if let Record::Pod(p) = r {
            fleet.apply(FleetEvent::Delete(RecordKey::Pod {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            }));
        }
    }
    println!(
        "delete {:.0} events/s",
        pods.len() as f64 / start.elapsed().as_secs_f64()
    );
}

#[test]
#[ignore]
fn scale_split() {
    let records = synthetic::fleet(Shape::default(), t(0));
    let mut fleet = Fleet::new();
    for r in records {
        fleet.apply(FleetEvent::Upsert(r));
    }
    let nodes: Vec<_> = fleet.nodes().collect();
    let start = Instant::now();
    let mut runs = 0;
    for ds in fleet.daemon_sets() {
        for n in &nodes {
            runs += usize::from(ds.targeting.prepared().evaluate(&n.facts()).should_run);
        }
    }
    println!(
        "evaluate only: {:.1} ms ({runs})",
        start.elapsed().as_secs_f64() * 1e3
    );
    let start = Instant::now();
    let mut found = 0;
    for ds in fleet.daemon_sets() {
        let owned = fleet.pods_of(&ds.uid).unwrap();
        for n in &nodes {
            found += owned.on(&n.name).len();
        }
    }
    println!(
        "lookups by name: {:.1} ms ({found})",
        start.elapsed().as_secs_f64() * 1e3
    );
    let slots: Vec<_> = nodes.iter().map(|n| fleet.node_slot(&n.name)).collect();
    let start = Instant::now();
    let mut found = 0;
    for ds in fleet.daemon_sets() {
        let owned = fleet.pods_of(&ds.uid).unwrap();
        for slot in slots.iter().flatten() {
            found += owned.at(*slot).len();
        }
    }
    println!(
        "lookups by slot: {:.1} ms ({found})",
        start.elapsed().as_secs_f64() * 1e3
    );
}
