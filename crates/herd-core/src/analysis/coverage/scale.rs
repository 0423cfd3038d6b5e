//! The benchmark's fleet (`model::synthetic`, timed by `benches/fleet_scale.rs`) at a small
//! size: coverage sees what the generator planted, whichever way the pods were loaded.

use super::*;
use crate::model::fleet::{Fleet, FleetEvent, Record, Relist};
use crate::model::placement::Exclusion;
use crate::model::synthetic::{self, Shape};
use crate::model::testkit::t;

const SHAPE: Shape = Shape {
    nodes: 200,
    daemon_sets: 5,
    other_pods: 50,
};

fn loaded(as_relist: bool) -> Fleet {
    let (base, pods): (Vec<Record>, Vec<Record>) = synthetic::fleet(SHAPE, t(0))
        .into_iter()
        .partition(|r| !matches!(r, Record::Pod(_)));
    let mut fleet = Fleet::new();
    base.into_iter()
        .for_each(|r| fleet.apply(FleetEvent::Upsert(r)));
    if as_relist {
        let list = pods
            .into_iter()
            .filter_map(|r| match r {
                Record::Pod(p) => Some(p),
                _ => None,
            })
            .collect();
        fleet.apply(FleetEvent::Relisted(Relist::Pods(list)));
    } else {
        pods.into_iter()
            .for_each(|r| fleet.apply(FleetEvent::Upsert(r)));
    }
    fleet
}

#[test]
fn the_benchmark_fleet_covers_what_the_generator_planted_either_way_it_is_loaded() {
    let now = t(600);
    let report = analyze(&loaded(false), now);
    assert_eq!(report, analyze(&loaded(true), now));
    assert_eq!(report.daemon_sets.len(), 5);
    let gpu_nodes = 20;
    for (i, d) in report.daemon_sets.iter().enumerate() {
        assert_eq!(d.rows.len(), 200, "one row per node");
        assert_eq!(d.tally.get(Status::Missing), 0, "every placed pod exists");
        let expected_desired = match i {
            4 => gpu_nodes,       // nodeSelector pool=gpu
            3 => 200 - gpu_nodes, // forgot the GPU toleration
            _ => 200,
        };
        assert_eq!(d.counts.desired, expected_desired, "{}", d.uid);
        assert_eq!(d.counts.current, expected_desired, "{}", d.uid);
    }
    let forgot = &report.daemon_sets[3];
    let excluded: Vec<&Coverage> = forgot
        .rows
        .iter()
        .filter(|r| r.status == Status::Excluded)
        .collect();
    assert_eq!(excluded.len(), gpu_nodes as usize);
    assert!(excluded.iter().all(|r| matches!(
        &r.reason,
        Reason::Excluded(e) if matches!(e.as_slice(), [Exclusion::UntoleratedTaint(t)] if t.key == "nvidia.com/gpu")
    )));
}
