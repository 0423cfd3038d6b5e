//! `plan` from hand-built fleets, one policy knob at a time, and over random fleets and
//! policies: never past the budget, never on a partitioned or down node, never beside a new
//! pod, the same plan for the same snapshot.

use std::sync::Arc;

use super::*;
use crate::engine::policy::Selection;
use crate::engine::testkit::{Case, NOW, node_not_ready, not_ready};
use crate::model::fleet::Record;
use crate::model::pod::Pod;
use crate::model::testkit::{Rng, node, pod, t};
use crate::model::version::ResourceVersion;

fn deleted(p: &Plan) -> Vec<String> {
    p.deletions.iter().map(|d| d.node.to_string()).collect()
}

#[test]
fn a_fresh_rollout_deletes_up_to_the_budget_in_name_order() {
    let case = Case::new(6).policy(|p| p.max_unavailable = "2".into());
    let p = case.plan();
    assert_eq!(p.next, Next::Proceed);
    assert_eq!(deleted(&p), ["n01", "n02"]);
    assert_eq!((p.budget, p.to_update, p.updated), (2, 6, 0));
    let fleet = case.fleet();
    let first = p.deletions[0].target(&fleet).expect("the pod planned from");
    assert_eq!(first.uid.as_ref(), "uid-agent-old-n01");
}

#[test]
fn percentages_scale_against_the_nodes_and_round_up() {
    let p = Case::new(12)
        .policy(|p| p.max_unavailable = "10%".into())
        .plan();
    assert_eq!(p.budget, 2, "10% of 12 is 1.2, rounded up");
    assert_eq!(p.deletions.len(), 2);
}

#[test]
fn nodes_coming_up_use_the_budget() {
    let p = Case::new(6)
        .policy(|p| p.max_unavailable = "2".into())
        .moved("n01", 20, not_ready)
        .plan();
    assert_eq!(p.unavailable, vec![Arc::from("n01")]);
    assert_eq!(deleted(&p), ["n02"], "one unit left");
}

#[test]
fn an_old_pod_that_is_not_available_is_replaced_whatever_the_budget() {
    let mut case = Case::new(4);
    not_ready(&mut case.pods[2]);
    let p = case.plan();
    assert_eq!(p.unavailable, vec![Arc::from("n03")]);
    assert_eq!(deleted(&p), ["n03"], "the budget is used by n03 itself");
}

#[test]
fn a_canary_goes_first_alone_then_pauses() {
    let case = Case::new(6).policy(|p| {
        p.max_unavailable = "3".into();
        p.canary = Some(Selection::Count(1));
        p.pause_after = vec![PausePoint::Canary];
    });
    assert_eq!(
        deleted(&case.plan()),
        ["n01"],
        "only the canary, budget or not"
    );
    let settled = case.moved("n01", 200, |_| {});
    assert_eq!(settled.plan().next, Next::Pause(PausePoint::Canary));
    let resumed = settled.record(|r| r.passed.push(PausePoint::Canary));
    assert_eq!(deleted(&resumed.plan()), ["n02", "n03", "n04"]);
}

#[test]
fn a_canary_by_selector_picks_those_nodes_first() {
    let p = Case::new(5)
        .node("n04", |n| {
            n.labels.insert("canary".into(), "yes".into());
        })
        .policy(|p| p.canary = Some(Selection::Selector("canary=yes".into())))
        .plan();
    assert_eq!(deleted(&p), ["n04"]);
}

#[test]
fn a_partition_keeps_its_nodes_on_the_old_revision_and_still_completes() {
    let mut case = Case::new(4).policy(|p| {
        p.max_unavailable = "4".into();
        p.partition = Some(Selection::Count(2));
    });
    assert_eq!(deleted(&case.plan()), ["n01", "n02"]);
    case = case.moved("n01", 100, |_| {}).moved("n02", 100, |_| {});
    let p = case.plan();
    assert_eq!(p.next, Next::Complete);
    assert_eq!((p.partitioned, p.to_update, p.updated), (2, 2, 2));
}

#[test]
fn a_node_down_is_skipped_counted_and_said_to_use_the_budget() {
    let p = Case::new(4).node("n02", node_not_ready).plan();
    assert_eq!(p.skipped_down, vec![Arc::from("n02")]);
    assert!(p.deletions.is_empty(), "{p:?}");
    assert!(p.blocked_by_down, "the only unit is the down node's");
    // With room beside it, the rollout goes on around it and completes without it.
    let wider = Case::new(3)
        .node("n02", node_not_ready)
        .policy(|p| p.max_unavailable = "2".into());
    let around = wider.plan();
    assert_eq!(deleted(&around), ["n01"]);
    assert!(!around.blocked_by_down, "the budget had room: {around:?}");
    let done = wider.moved("n01", 100, |_| {}).moved("n03", 100, |_| {});
    assert_eq!(done.plan().next, Next::Complete);
}

#[test]
fn new_pods_that_crash_loop_halt_the_rollout_naming_the_nodes() {
    let p = Case::new(4)
        .moved("n01", 300, |p| {
            p.ready = false;
            p.restarts = 5;
            p.waiting_reason = Some(Arc::from("CrashLoopBackOff"));
            p.last_terminated_reason = Some(Arc::from("Error"));
            p.last_terminated_at = Some(t(NOW - 30));
        })
        .plan();
    assert_eq!(
        p.next,
        Next::Halt {
            reason: "new revision fails: crash loop".into(),
            nodes: vec![Arc::from("n01")],
        }
    );
    assert!(p.deletions.is_empty());
}

#[test]
fn a_new_pod_not_available_by_the_deadline_halts_it() {
    let case = Case::new(3).policy(|p| p.progress_deadline_seconds = 600);
    let slow = |ago| case_clone(&case).moved("n01", ago, not_ready).plan().next;
    // Within the start-up grace it is coming up; past the deadline it has failed.
    assert_eq!(slow(30), Next::Proceed);
    assert!(matches!(slow(700), Next::Halt { .. }), "{:?}", slow(700));
}

fn case_clone(c: &Case) -> Case {
    Case {
        nodes: c.nodes.clone(),
        ds: c.ds.clone(),
        pods: c.pods.clone(),
        record: c.record.clone(),
    }
}

#[test]
fn a_pause_after_every_batch_waits_for_the_batch_to_settle() {
    let case = Case::new(4)
        .policy(|p| p.pause_after = vec![PausePoint::Batch])
        .record(|r| r.batches = 1);
    let coming = case_clone(&case).moved("n01", 10, not_ready);
    assert_eq!(coming.plan().next, Next::Proceed, "still coming up");
    let settled = case.moved("n01", 200, |_| {});
    assert_eq!(settled.plan().next, Next::Pause(PausePoint::Batch));
    let resumed = settled.record(|r| r.resumed_batches = 1);
    assert_eq!(deleted(&resumed.plan()), ["n02"]);
}

#[test]
fn a_pause_at_a_percentage_stops_once() {
    let case = Case::new(4)
        .policy(|p| {
            p.max_unavailable = "4".into();
            p.pause_after = vec![PausePoint::Percent(50)];
        })
        .moved("n01", 200, |_| {})
        .moved("n02", 200, |_| {});
    assert_eq!(case.plan().next, Next::Pause(PausePoint::Percent(50)));
    let passed = case.record(|r| r.passed.push(PausePoint::Percent(50)));
    assert_eq!(deleted(&passed.plan()), ["n03", "n04"]);
}

#[test]
fn a_target_not_resolved_yet_deletes_nothing() {
    let p = Case::new(3).record(|r| r.target = None).plan();
    assert_eq!((p.next, p.deletions.len()), (Next::Hold, 0));
}

#[test]
fn a_rollout_that_is_not_progressing_deletes_nothing() {
    for state in [
        State::Paused { at: None },
        State::Halted {
            reason: "x".into(),
            nodes: vec![],
        },
        State::Contested {
            manager: "argocd-controller".into(),
        },
        State::Complete,
        State::Aborted,
        State::RolledBack,
    ] {
        let p = Case::new(3).record(|r| r.state = state.clone()).plan();
        assert_eq!((p.next, p.deletions.len()), (Next::Hold, 0), "{state:?}");
    }
}

#[test]
fn a_strategy_put_back_by_another_manager_contests_the_rollout_and_deletes_nothing() {
    let argo = |d: &mut DaemonSet| {
        d.update_strategy.kind = StrategyKind::RollingUpdate;
        d.strategy_manager = Some(Arc::from("argocd-controller"));
    };
    for state in [State::Progressing, State::Paused { at: None }] {
        let p = Case::new(3)
            .daemon_set(argo)
            .record(|r| r.state = state.clone())
            .plan();
        let manager = "argocd-controller".to_string();
        assert_eq!(p.next, Next::Contest { manager }, "{state:?}");
        assert!(p.deletions.is_empty());
    }
    // Without managedFields to say who, it says so rather than blame herd.
    let p = Case::new(3)
        .daemon_set(|d| {
            d.update_strategy.kind = StrategyKind::RollingUpdate;
            d.strategy_manager = None;
        })
        .plan();
    let manager = "an unknown field manager".to_string();
    assert_eq!(p.next, Next::Contest { manager });
    // Once ended (the strategy is restored on purpose) or already contested, nothing to say.
    for state in [
        State::Complete,
        State::Aborted,
        State::Contested {
            manager: "x".into(),
        },
    ] {
        let p = Case::new(3)
            .daemon_set(argo)
            .record(|r| r.state = state.clone())
            .plan();
        assert_eq!(p.next, Next::Hold, "{state:?}");
    }
}

#[test]
fn a_rollback_stops_at_no_pause_point() {
    let c = Case::new(4)
        .policy(|p| {
            p.canary = Some(Selection::Count(1));
            p.pause_after = vec![PausePoint::Canary, PausePoint::Percent(50)];
        })
        .moved("n01", 100, |_| {});
    assert_eq!(case_clone(&c).plan().next, Next::Pause(PausePoint::Canary));
    let back = c.record(|r| r.rollback = true).plan();
    assert_eq!(deleted(&back), ["n02"]);
    assert_eq!(back.next, Next::Proceed);
}

#[test]
fn a_terminating_old_pod_uses_the_budget_and_is_not_deleted_again() {
    let mut c = Case::new(4).policy(|p| p.max_unavailable = "2".into());
    c.pods[0].deleting = Some(t(NOW - 1));
    let p = c.plan();
    assert_eq!(p.unavailable.len(), 1);
    assert_eq!(deleted(&p), ["n02"]);
}

#[test]
fn deletions_carry_the_pods_version_for_the_precondition() {
    let mut c = Case::new(2);
    for (i, p) in c.pods.iter_mut().enumerate() {
        p.resource_version = Some(ResourceVersion::Number(100 + i as u64));
    }
    let p = c.plan();
    assert_eq!(p.deletions.len(), 1);
    let fleet = c.fleet();
    let pod = p.deletions[0].target(&fleet).expect("the pod planned from");
    assert_eq!(pod.resource_version, Some(ResourceVersion::Number(100)));
}

#[test]
fn over_random_fleets_and_policies_the_plan_keeps_its_promises() {
    let mut rng = Rng::new(13);
    for round in 0..300 {
        let n = 1 + rng.below(12) as usize;
        let mut case = Case::new(n).policy(|p| {
            p.max_unavailable = if rng.chance(50) {
                format!("{}", 1 + rng.below(4))
            } else {
                format!("{}%", 1 + rng.below(60))
            };
            if rng.chance(40) {
                p.canary = Some(Selection::Count(rng.below(4) as u32));
            }
            if rng.chance(40) {
                p.partition = Some(Selection::Count(rng.below(4) as u32));
            }
            p.halt_on_failure = rng.chance(50);
        });
        for i in 1..=n {
            let name = format!("n{i:02}");
            match rng.below(6) {
                0 => case = case.moved(&name, 300, |_| {}),
                1 => case = case.moved(&name, 10, not_ready),
                2 => case = case.node(&name, node_not_ready),
                3 => {
                    case.pods
                        .retain(|p| p.node.as_deref() != Some(name.as_str()));
                }
                _ => {}
            }
        }
        let p = case.plan();
        let used = p.unavailable.len() as u32;
        let extra = p
            .deletions
            .iter()
            .filter(|d| !p.unavailable.contains(&d.node))
            .count() as u32;
        assert!(
            extra == 0 || used + extra <= p.budget,
            "round {round}: {used} unavailable + {extra} deletions > budget {}: {p:?}",
            p.budget
        );
        let fleet = case.fleet();
        for d in &p.deletions {
            assert!(
                !p.skipped_down.contains(&d.node),
                "round {round}: on a down node"
            );
            let on_node: Vec<&Pod> = fleet
                .pods_of("uid-agent")
                .map(|o| o.on(&d.node))
                .unwrap_or(&[])
                .iter()
                .filter_map(|id| fleet.pod(*id))
                .collect();
            assert_eq!(on_node.len(), 1, "round {round}: beside another pod");
            assert_eq!(on_node[0].revision_hash.as_deref(), Some("h1"));
        }
        let mut seen: Vec<&Arc<str>> = p.deletions.iter().map(|d| &d.node).collect();
        seen.dedup();
        assert_eq!(seen.len(), p.deletions.len(), "round {round}: a node twice");
    }
}

#[test]
fn node_facts_kept_between_passes_follow_the_nodes_as_they_change() {
    use crate::model::fleet::{FleetEvent, Relist};
    let case = Case::new(6).policy(|p| {
        p.max_unavailable = "2".into();
        p.canary = Some(Selection::Selector("zone=a".into()));
    });
    let mut fleet = case.fleet();
    let mut cache = NodeCache::new();
    let mut check = |fleet: &Fleet, step: &str| {
        let kept = Planner::new(fleet, &mut cache).plan(&case.ds, &case.record, t(NOW));
        let fresh = plan(fleet, &case.ds, &case.record, t(NOW));
        assert_eq!(kept, fresh, "{step}: the kept node facts are stale");
        kept
    };
    assert_eq!(deleted(&check(&fleet, "first")), ["n01", "n02"]);
    // The canary selector picks a node once it is labelled.
    let mut labelled = case.nodes[3].clone();
    labelled.labels.insert("zone".into(), "a".into());
    fleet.apply(FleetEvent::Upsert(Record::Node(labelled)));
    assert_eq!(deleted(&check(&fleet, "labelled")), ["n04"]);
    // A node that goes down is skipped (and, the only canary, no longer holds the rest).
    let mut down = case.nodes[3].clone();
    down.labels.insert("zone".into(), "a".into());
    node_not_ready(&mut down);
    fleet.apply(FleetEvent::Upsert(Record::Node(down)));
    assert_eq!(
        deleted(&check(&fleet, "down")),
        ["n01"],
        "the node down uses one of two"
    );
    // A new node, and a pod list that numbers the nodes afresh.
    let extra = node("n00");
    fleet.apply(FleetEvent::Upsert(Record::Node(extra.clone())));
    let mut pods = case.pods.clone();
    pods.push(pod(&case.ds, &extra.name, "agent-old-n00"));
    for p in &mut pods {
        p.revision_hash = Some(Arc::from("h1"));
    }
    pods.reverse();
    fleet.apply(FleetEvent::Relisted(Relist::Pods(pods)));
    check(&fleet, "relisted");
    fleet.apply(FleetEvent::Delete(crate::model::fleet::RecordKey::Node {
        name: Arc::from("n04"),
    }));
    check(&fleet, "node gone");
}

#[test]
fn the_not_ready_guard_halts_when_updated_nodes_go_down_more_than_the_rest() {
    let case = |guard: bool, old_down: &[&str]| {
        let mut c = Case::new(10)
            .policy(|p| {
                p.max_unavailable = "2".into();
                p.halt_on_not_ready = guard;
            })
            .moved("n01", 300, |_| {})
            .moved("n02", 300, |_| {})
            .node("n01", node_not_ready);
        for name in old_down {
            c = c.node(name, node_not_ready);
        }
        c
    };
    // 1 of 2 updated nodes down against none of 8.
    match case(true, &[]).plan().next {
        Next::Halt { reason, nodes } => {
            assert_eq!(nodes, [Arc::<str>::from("n01")]);
            assert_eq!(
                reason,
                "nodes that took the new revision go NotReady: 1 of 2, against 0 of 8 still on \
                 the old"
            );
        }
        other => panic!("not halted: {other:?}"),
    }
    // Off unless asked for.
    assert_eq!(case(false, &[]).plan().next, Next::Proceed);
    // 1 of 2 against 4 of 8: no worse than the rest.
    assert_eq!(
        case(true, &["n05", "n06", "n07", "n08"]).plan().next,
        Next::Proceed
    );
    // 1 of 2 against 1 of 8: worse.
    assert!(matches!(
        case(true, &["n05"]).plan().next,
        Next::Halt { .. }
    ));
}
