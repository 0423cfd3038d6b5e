//! Benchmark of the rollout engine's pure planner (`herd_core::engine::plan::plan`) at the
//! performance budget (docs/BENCHMARKS.md): 30 managed DaemonSets over 5,000 nodes (~150,000 pods),
//! every one half-way through a rollout, planned one after another as the engine re-plans every
//! managed DaemonSet on each fleet change; and one plan alone.
//!
//! Run with `cargo bench --bench engine_plan`; options after `--`: `--reps N` (timed passes
//! over all DaemonSets and timed single plans, default 300), `--nodes N`, `--daemonsets N`.
//! Timings are printed, never asserted; what the plans decide is asserted, so a pass that
//! plans nothing cannot pass for a fast one.
// Benchmark code: a failed expectation is the report, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The fleet benchmark's timing helpers; this bench uses only some of them.
#[allow(dead_code)]
#[path = "fleet_scale/measure.rs"]
mod measure;

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::sync::Arc;

use herd_core::engine::plan::{Next, NodeCache, Plan, Planner, plan};
use herd_core::engine::policy::{PausePoint, Policy, Selection};
use herd_core::engine::record::{Restore, RolloutRecord, State, Target, VERSION};
use herd_core::model::daemonset::StrategyKind;
use herd_core::model::node::ConditionStatus;
use herd_core::model::synthetic::{self, Shape};
use herd_core::model::{DaemonSet, Fleet, FleetEvent, Record};
use jiff::{SignedDuration, Timestamp};

use measure::{Runs, Took, timed};

struct Args {
    shape: Shape,
    reps: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        shape: Shape::default(),
        reps: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
        match a.as_str() {
            "--nodes" => args.shape.nodes = value(),
            "--daemonsets" => args.shape.daemon_sets = value(),
            "--reps" => args.reps = value().max(1),
            _ => {} // cargo bench passes `--bench`; ignore what we do not know.
        }
    }
    args
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap_or_default() + SignedDuration::from_secs(seconds)
}

/// The clock the plans are made at: long after the synthetic fleet's pods came up.
const NOW: i64 = 10_000;
/// Nodes NotReady, among those still on the old revision.
const NODES_DOWN: usize = 2;

/// The synthetic DaemonSet number `n` from its uid (`uid-ds-NN`).
fn ds_index(uid: &str) -> Option<usize> {
    uid.strip_prefix("uid-ds-")?.parse().ok()
}

/// Where DaemonSet `i`'s rollout stands over `nodes` nodes in name order: nodes before `done`
/// run the new revision, the next `frontier` are the last batch coming up (a new pod not Ready
/// yet, or none yet), the rest still run the old revision.
fn progress(i: usize, nodes: usize) -> (usize, usize) {
    let done = nodes * (40 + (i * 7) % 21) / 100;
    (done, nodes.div_ceil(100))
}

/// The synthetic fleet turned into one half-way through a rollout of every DaemonSet, from
/// revision 1 (`hash1`) to revision 2 (`hash2`), rolled in node-name order as `plan` rolls:
/// about half the pods on the new revision, the last batch coming up, the old pods' few
/// not-Ready ones (1 in 97) left as generated, and `NODES_DOWN` nodes NotReady.
fn rollout_records(shape: Shape) -> Vec<Record> {
    let now = at(NOW);
    let mut records = synthetic::fleet(shape, at(0));
    let mut names: Vec<Arc<str>> = records
        .iter()
        .filter_map(|r| match r {
            Record::Node(n) => Some(Arc::clone(&n.name)),
            _ => None,
        })
        .collect();
    names.sort();
    let rank: HashMap<Arc<str>, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (Arc::clone(n), i))
        .collect();
    let down: Vec<usize> = (1..=NODES_DOWN)
        .map(|k| names.len() * (80 + 5 * k) / 100)
        .collect();
    records.retain_mut(|r| match r {
        Record::Node(n) => {
            if down.contains(&rank[&n.name]) {
                n.ready.status = ConditionStatus::False;
                n.ready.since = Some(now - SignedDuration::from_secs(900));
            }
            true
        }
        Record::Pod(p) => {
            let Some(i) = p.owner_uid.as_deref().and_then(ds_index) else {
                return true;
            };
            let r = p.node.as_ref().map_or(0, |n| rank[n]);
            let (done, frontier) = progress(i, names.len());
            let (revision, created, ready) = if r < done {
                (
                    2,
                    now - SignedDuration::from_secs(3000 - (r as i64 / 10).min(2000)),
                    true,
                )
            } else if r < done + frontier {
                if r % 5 == 0 {
                    // Deleted; the controller has not created its replacement yet.
                    return false;
                }
                (2, now - SignedDuration::from_secs(20), false)
            } else {
                (1, at(30), p.ready)
            };
            p.revision_hash = Some(Arc::from(format!("hash{revision}").as_str()));
            p.template_generation = Some(revision);
            p.created = Some(created);
            p.ready = ready;
            p.ready_since = Some(created + SignedDuration::from_secs(if ready { 10 } else { 0 }));
            if revision == 2 {
                p.restarts = 0;
            }
            true
        }
        // Managed: herd switched it to OnDelete (else every plan would be Contested).
        Record::DaemonSet(ds) => {
            ds.update_strategy.kind = StrategyKind::OnDelete;
            true
        }
        _ => true,
    });
    records
}

/// The kind of policy DaemonSet `i` has (see [`record`]).
fn kind(i: usize) -> &'static str {
    match i % 4 {
        0 => "canary of 25 nodes",
        1 => "partition of 250 nodes",
        2 => "canary and partition by node labels",
        _ => "budget alone",
    }
}

/// The policy of DaemonSet `i`: maxUnavailable 10% for all; a canary of 25 nodes (passed) on
/// every fourth, a partition of 250 on the next, a canary and a partition by node labels on
/// the one after.
fn record(i: usize) -> RolloutRecord {
    let mut policy = Policy {
        max_unavailable: "10%".into(),
        ..Policy::default()
    };
    let mut passed = Vec::new();
    match i % 4 {
        0 => {
            policy.canary = Some(Selection::Count(25));
            policy.pause_after = vec![PausePoint::Canary, PausePoint::Percent(90)];
            passed.push(PausePoint::Canary);
        }
        1 => policy.partition = Some(Selection::Count(250)),
        2 => {
            policy.canary = Some(Selection::Selector(
                "topology.kubernetes.io/zone=eu-west-1a".into(),
            ));
            policy.partition = Some(Selection::Selector("pool=storage".into()));
        }
        _ => {}
    }
    RolloutRecord {
        version: VERSION,
        target: Some(Target {
            revision: 2,
            hash: "hash2".into(),
        }),
        restore: Restore {
            kind: "RollingUpdate".into(),
            max_unavailable: Some("1".into()),
            max_surge: Some("0".into()),
        },
        policy,
        state: State::Progressing,
        started: at(NOW - 3600),
        batches: 9,
        passed,
        resumed_batches: 9,
        from: Some(Target {
            revision: 1,
            hash: "hash1".into(),
        }),
        rollback: false,
        paused_with: None,
    }
}

/// A managed DaemonSet: the fleet's copy and its record.
struct Managed<'a> {
    ds: &'a DaemonSet,
    record: RolloutRecord,
    kind: &'static str,
}

/// Every DaemonSet of the fleet, managed, in the fleet's order.
fn managed(fleet: &Fleet) -> Vec<Managed<'_>> {
    fleet
        .daemon_sets()
        .map(|ds| {
            let i = ds_index(&ds.uid).expect("a synthetic DaemonSet");
            Managed {
                ds,
                record: record(i),
                kind: kind(i),
            }
        })
        .collect()
}

/// One pass as the engine makes it: a [`Planner`] over the snapshot, with the node facts
/// `cache` kept from the last pass if the nodes are as they were, then every DaemonSet.
fn plan_all(fleet: &Fleet, cache: &mut NodeCache, managed: &[Managed]) -> Vec<Plan> {
    let mut planner = Planner::new(fleet, cache);
    managed
        .iter()
        .map(|m| planner.plan(m.ds, &m.record, at(NOW)))
        .collect()
}

/// What the plans decide, checked: most DaemonSets delete, the budget and the nodes down are
/// counted, the canary and the partition are at work.
fn check(plans: &[Plan]) -> String {
    let deleting = plans
        .iter()
        .filter(|p| p.next == Next::Proceed && !p.deletions.is_empty())
        .count();
    assert!(
        deleting * 10 >= plans.len() * 9,
        "only {deleting} of {} plans delete: {:?}",
        plans.len(),
        plans.iter().map(|p| &p.next).collect::<Vec<_>>()
    );
    assert!(plans.iter().any(|p| p.partitioned > 0), "no partition");
    assert!(
        plans.iter().any(|p| p.skipped_down.len() == NODES_DOWN),
        "the nodes down are not skipped"
    );
    for p in plans {
        let complete = p.next == Next::Complete;
        assert!(
            p.updated > 0 && (p.updated < p.to_update || complete),
            "{p:?}"
        );
        let extra = p
            .deletions
            .iter()
            .filter(|d| !p.unavailable.contains(&d.node))
            .count();
        assert!(p.unavailable.len() + extra <= p.budget as usize);
    }
    let sum = |f: fn(&Plan) -> usize| plans.iter().map(f).sum::<usize>();
    format!(
        "{deleting} of {} plans delete; {} deletions, {} nodes unavailable, {} to update, {} updated, {} partitioned",
        plans.len(),
        sum(|p| p.deletions.len()),
        sum(|p| p.unavailable.len()),
        sum(|p| p.to_update as usize),
        sum(|p| p.updated as usize),
        sum(|p| p.partitioned as usize),
    )
}

fn runs(reps: usize, mut pass: impl FnMut()) -> Runs {
    let took: Vec<Took> = (0..reps).map(|_| timed(&mut pass).0).collect();
    Runs::new(&took)
}

/// Each plan of `reps` passes over all DaemonSets timed on its own, by the kind of policy:
/// what one plan costs in the pass, with the other DaemonSets' pods read in between.
fn in_pass(reps: usize, fleet: &Fleet, managed: &[Managed]) -> BTreeMap<&'static str, Runs> {
    let mut took: BTreeMap<&'static str, Vec<Took>> = BTreeMap::new();
    let mut cache = NodeCache::new();
    for _ in 0..reps {
        let mut planner = Planner::new(black_box(fleet), &mut cache);
        for m in managed {
            let (t, plan) = timed(|| planner.plan(m.ds, &m.record, at(NOW)));
            black_box(plan);
            took.entry(m.kind).or_default().push(t);
        }
    }
    took.into_iter()
        .map(|(kind, t)| (kind, Runs::new(&t)))
        .collect()
}

fn main() {
    let args = parse_args();
    let mut fleet = Fleet::new();
    for r in rollout_records(args.shape) {
        fleet.apply(FleetEvent::Upsert(r));
    }
    let managed = managed(&fleet);

    let mut cache = NodeCache::new();
    let (first, plans) = timed(|| plan_all(&fleet, &mut cache, &managed));
    let summary = check(&plans);
    let again = plan_all(&fleet, &mut cache, &managed);
    assert_eq!(plans, again, "same snapshot, same plans");
    let afresh = plan_all(&fleet, &mut NodeCache::new(), &managed);
    assert_eq!(
        plans, afresh,
        "the same plans with the node facts read afresh"
    );

    let all = runs(args.reps, || {
        black_box(plan_all(black_box(&fleet), &mut cache, black_box(&managed)));
    });
    let cold = runs(args.reps, || {
        let mut cache = NodeCache::new();
        black_box(plan_all(black_box(&fleet), &mut cache, black_box(&managed)));
    });
    let kinds = in_pass(args.reps, &fleet, &managed);
    // One plan alone, again and again: its data stays in the caches.
    let alone: Vec<(&Managed, Runs)> = [0, 2]
        .into_iter()
        .filter_map(|i| managed.get(i))
        .map(|m| {
            let r = runs(args.reps, || {
                black_box(plan(black_box(&fleet), m.ds, &m.record, at(NOW)));
            });
            (m, r)
        })
        .collect();
    let pods = fleet
        .pods()
        .filter(|(_, p)| p.owner_uid.as_deref().and_then(ds_index).is_some())
        .count();
    let n = managed.len();
    println!(
        "herd engine plan benchmark: {} nodes, {n} managed DaemonSets, {pods} daemon pods",
        fleet.nodes().len(),
    );
    println!("{summary}");
    println!("| measure | target | figure |");
    println!("|---|---|---|");
    println!(
        "| plan all {n} DaemonSets, the first pass in the process | ≤ 5 ms | {} |",
        first.ms()
    );
    println!("| plan all {n} DaemonSets | ≤ 5 ms | {} |", all.ms());
    println!(
        "| plan all {n} DaemonSets, the nodes read afresh (after a node changed) | | {} |",
        cold.ms()
    );
    for (kind, runs) in &kinds {
        let count = managed.iter().filter(|m| m.kind == *kind).count();
        println!(
            "| one plan within the pass: {kind} ({count} DaemonSets) | none set | {} |",
            runs.ms()
        );
    }
    for (m, runs) in &alone {
        println!(
            "| one plan alone, repeated: {} ({}) | none set | {} |",
            m.ds.name,
            m.kind,
            runs.ms()
        );
    }
    println!("(wall time, and the thread's time on CPU)");
}
