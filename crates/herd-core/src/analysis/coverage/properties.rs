//! Property tests: random fleets keep the status identities, and `summarize` equals a naive
//! rule-by-rule reading of docs/SEMANTICS.md#status over the same pods.

use std::sync::Arc;

use super::*;
use crate::model::daemonset::{DaemonSet, Targeting};
use crate::model::fleet::Record;
use crate::model::node::{ConditionStatus, Node};
use crate::model::placement::{self, PlacementSpec, Taint, TaintEffect, Toleration};
use crate::model::pod::{Pod, PodPhase};
use crate::model::testkit::{Rng, ds, fleet_of, node, pod, revision, t};

const NOW: i64 = 1000;

fn random_node(rng: &mut Rng, i: usize) -> Node {
    let mut n = node(&format!("n{i}"));
    let pool = rng.pick(&["general", "gpu", "storage"]).to_string();
    n.labels.insert("pool".into(), pool);
    let taints = [
        Taint::new("nvidia.com/gpu", "present", TaintEffect::NoSchedule),
        Taint::new("dedicated", "x", TaintEffect::NoExecute),
        Taint::new("node.kubernetes.io/not-ready", "", TaintEffect::NoSchedule),
        Taint::new(
            "node.kubernetes.io/unschedulable",
            "",
            TaintEffect::NoSchedule,
        ),
        Taint::new("a", "1", TaintEffect::PreferNoSchedule),
    ];
    for taint in taints {
        if rng.chance(15) {
            n.taints.push(taint);
        }
    }
    n.ready.status = *rng.pick(&[
        ConditionStatus::True,
        ConditionStatus::True,
        ConditionStatus::False,
    ]);
    n
}

fn random_ds(rng: &mut Rng, i: usize) -> DaemonSet {
    let mut d = ds(&format!("d{i}"));
    let mut spec = PlacementSpec::default();
    if rng.chance(30) {
        spec.node_selector
            .insert("pool".into(), rng.pick(&["general", "gpu"]).to_string());
    }
    if rng.chance(40) {
        spec.tolerations
            .push(Toleration::exists("nvidia.com/gpu", None));
    }
    if rng.chance(10) {
        spec.tolerations.push(Toleration::exists("", None));
    }
    d.targeting = Targeting::new(spec);
    d.min_ready_seconds = *rng.pick(&[0, 0, 30]);
    d.template_generation = Some(rng.below(3) as i64 + 1);
    d
}

fn random_pod(rng: &mut Rng, d: &DaemonSet, node: &str, name: String) -> Pod {
    let mut p = pod(d, node, &name);
    p.bound = rng.chance(80);
    p.phase = *rng.pick(&[
        PodPhase::Running,
        PodPhase::Running,
        PodPhase::Pending,
        PodPhase::Failed,
        PodPhase::Succeeded,
    ]);
    p.ready = rng.chance(60);
    p.ready_since = rng.chance(90).then(|| t(NOW - rng.below(60) as i64));
    p.deleting = rng.chance(15).then(|| t(NOW));
    // Few distinct creation times, so ties fall back to names.
    p.created = rng.chance(90).then(|| t(rng.below(4) as i64));
    p.template_generation = Some(rng.below(3) as i64 + 1);
    p.revision_hash = Some(Arc::from(*rng.pick(&["h1", "h2", "h3"])));
    p
}

/// docs/SEMANTICS.md#status read literally, with the unprepared placement path and all pods scanned
/// per node.
fn reference(nodes: &[Node], d: &DaemonSet, pods: &[Pod], hash: &str) -> StatusCounts {
    let mut c = StatusCounts::default();
    for n in nodes {
        let should_run = placement::evaluate(d.targeting.spec(), &n.facts()).should_run;
        let mut mapped: Vec<&Pod> = pods
            .iter()
            .filter(|p| p.owner_uid.as_deref() == Some(&*d.uid))
            .filter(|p| p.node.as_deref() == Some(&*n.name))
            .filter(|p| !(p.phase.is_terminal() && p.deleting.is_some()))
            .collect();
        mapped.sort_by_key(|p| (!p.bound, p.created, p.name.clone()));
        match (should_run, mapped.first()) {
            (false, Some(_)) => c.misscheduled += 1,
            (false, None) => {}
            (true, oldest) => {
                c.desired += 1;
                if let Some(p) = oldest {
                    c.current += 1;
                    c.ready += u32::from(p.ready);
                    let available = p.ready
                        && (d.min_ready_seconds == 0
                            || p.ready_since.is_some_and(|s| {
                                s.as_second() + d.min_ready_seconds < t(NOW).as_second()
                            }));
                    c.available += u32::from(available);
                    let updated = p.revision_hash.as_deref() == Some(hash)
                        || p.template_generation == d.template_generation;
                    c.updated += u32::from(updated);
                }
            }
        }
    }
    c.unavailable = c.desired - c.available;
    c
}

#[test]
fn random_fleets_reproduce_the_status_rules_and_their_identities() {
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let nodes: Vec<Node> = (0..rng.below(12) as usize + 1)
            .map(|i| random_node(&mut rng, i))
            .collect();
        let dss: Vec<DaemonSet> = (0..rng.below(4) as usize + 1)
            .map(|i| random_ds(&mut rng, i))
            .collect();
        let mut pods = Vec::new();
        let mut records: Vec<Record> = nodes.iter().cloned().map(Record::Node).collect();
        for d in &dss {
            records.push(Record::DaemonSet(d.clone()));
            records.push(Record::Revision(revision(d, 1, "h1")));
            records.push(Record::Revision(revision(d, 2, "h2")));
            for target in nodes
                .iter()
                .map(|n| n.name.to_string())
                .chain(["ghost".to_string()])
            {
                for k in 0..rng.below(4) {
                    pods.push(random_pod(
                        &mut rng,
                        d,
                        &target,
                        format!("{}-{target}-{k}", d.name),
                    ));
                }
            }
        }
        records.extend(pods.iter().cloned().map(Record::Pod));
        let fleet = fleet_of(records);
        let report = analyze(&fleet, t(NOW));
        for d in &dss {
            let counts = summarize(&fleet, &d.uid, t(NOW)).unwrap();
            assert_eq!(
                counts,
                reference(&nodes, d, &pods, "h2"),
                "seed {seed} {}",
                d.name
            );
            let cov = report.get(&d.uid).unwrap();
            assert_eq!(cov.counts, counts, "seed {seed}");
            check_identities(cov, nodes.len() as u32, seed);
        }
    }
}

fn check_identities(cov: &DsCoverage, nodes: u32, seed: u64) {
    let c = cov.counts;
    let tally = |s| cov.tally.get(s);
    assert_eq!(c.unavailable, c.desired - c.available, "seed {seed}");
    assert!(c.current <= c.desired, "seed {seed}");
    assert!(
        c.ready <= c.current && c.updated <= c.current,
        "seed {seed}"
    );
    assert!(c.available <= c.ready, "seed {seed}");
    assert!(c.desired + c.misscheduled <= nodes, "seed {seed}");
    assert_eq!(cov.rows.len() as u32, nodes, "seed {seed}");
    assert_eq!(tally(Status::Misscheduled), c.misscheduled, "seed {seed}");
    assert_eq!(
        tally(Status::Misscheduled) + tally(Status::Excluded),
        nodes - c.desired,
        "seed {seed}"
    );
    assert_eq!(tally(Status::Missing), c.desired - c.current, "seed {seed}");
    assert!(
        tally(Status::Ready) <= c.updated.min(c.ready),
        "seed {seed}"
    );
    assert!(
        tally(Status::Ready) + tally(Status::Outdated) <= c.ready,
        "seed {seed}"
    );
    let with_pod = cov.rows.iter().filter(|r| r.pod.is_some()).count() as u32;
    assert_eq!(with_pod, c.current + c.misscheduled, "seed {seed}");
}
