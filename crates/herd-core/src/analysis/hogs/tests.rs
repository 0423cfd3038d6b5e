use std::sync::Arc;

use super::*;
use crate::analysis::thresholds::{Level, Thresholds};
use crate::model::fleet::{Fleet, FleetEvent, Record};
use crate::model::pod::Pod;
use crate::model::resources::{Resources, Usage};
use crate::model::testkit::{MIB, NS, containers, ds, fleet_of, node, pod, t};
use crate::model::usage::{MetricsSnapshot, PodUsage};

/// Requests 100m/100Mi, limits 200m/200Mi unless the case changes them.
fn with_metrics(fleet: &mut Fleet, samples: &[(&str, i64, i64)]) {
    let pods = samples
        .iter()
        .map(|(name, cpu, mem)| PodUsage {
            namespace: NS.into(),
            name: (*name).into(),
            usage: Usage {
                cpu_millis: *cpu,
                memory_bytes: *mem,
            },
        })
        .collect();
    fleet.apply(FleetEvent::Metrics(MetricsSnapshot {
        stretched: None,
        at: t(60),
        pods,
        nodes: vec![],
    }));
}

fn sized(p: &mut Pod, requests: Resources, limits: Resources) {
    p.containers = containers(requests, limits);
}

fn rated(tweak: impl FnOnce(&mut Pod), cpu: i64, mem: i64) -> PodHog {
    let d = ds("agent");
    let mut p = pod(&d, "n1", "agent-a");
    sized(
        &mut p,
        Resources::new(100, 100 * MIB),
        Resources::new(200, 200 * MIB),
    );
    tweak(&mut p);
    let mut fleet = fleet_of([
        Record::Node(node("n1")),
        Record::DaemonSet(d),
        Record::Pod(p),
    ]);
    with_metrics(&mut fleet, &[("agent-a", cpu, mem)]);
    rate_pods(&fleet, &Thresholds::default()).remove(0)
}

#[test]
fn each_hog_rule_flags_what_it_names() {
    type Check = fn(&PodHog) -> bool;
    type Case = (&'static str, fn(&mut Pod), i64, i64, Level, Check);
    let cases: Vec<Case> = vec![
        (
            "comfortable",
            |_| {},
            50,
            50 * MIB,
            Level::Ok,
            |h| !h.is_hog() && !h.over_request.any(),
        ),
        (
            "memory near limit warns",
            |_| {},
            50,
            170 * MIB,
            Level::Warn,
            |h| h.memory_level == Level::Warn && h.cpu_level == Level::Ok,
        ),
        (
            "memory at 95% of limit is critical",
            |_| {},
            50,
            191 * MIB,
            Level::Critical,
            |h| h.memory_level == Level::Critical,
        ),
        (
            "cpu near limit warns (throttling)",
            |_| {},
            180,
            50 * MIB,
            Level::Warn,
            |h| h.cpu_level == Level::Warn,
        ),
        (
            "over request is reported, not a hog by itself",
            |_| {},
            150,
            150 * MIB,
            Level::Ok,
            |h| h.over_request.cpu && h.over_request.memory && !h.is_hog(),
        ),
        (
            "no limits",
            |p| sized(p, Resources::new(100, 100 * MIB), Resources::default()),
            150,
            900 * MIB,
            Level::Ok,
            |h| {
                h.no_limits.cpu
                    && h.no_limits.memory
                    && h.memory.limit.is_none()
                    && h.memory.pressure() == Some(9.0)
            },
        ),
        (
            "no requests",
            |p| sized(p, Resources::default(), Resources::new(200, 200 * MIB)),
            10,
            10 * MIB,
            Level::Ok,
            |h| h.no_requests.cpu && h.no_requests.memory && h.cpu.request.is_none(),
        ),
        (
            "OOM-killed is critical",
            |p| p.last_terminated_reason = Some(Arc::from("OOMKilled")),
            10,
            10 * MIB,
            Level::Critical,
            |h| h.oom_killed && h.is_hog(),
        ),
    ];
    for (name, tweak, cpu, mem, level, check) in cases {
        let hog = rated(tweak, cpu, mem);
        assert_eq!(hog.level(), level, "case {name}: {hog:?}");
        assert!(check(&hog), "case {name}: {hog:?}");
        assert_eq!(hog.memory.usage, Some(mem), "case {name}");
    }
}

#[test]
fn pods_with_one_container_lacking_a_limit_are_unbounded() {
    let d = ds("agent");
    let mut p = pod(&d, "n1", "agent-a");
    p.containers = Arc::from(vec![
        crate::model::pod::ContainerResources {
            name: Arc::from("main"),
            requests: Resources::new(100, 100 * MIB),
            limits: Resources::new(200, 200 * MIB),
        },
        crate::model::pod::ContainerResources {
            name: Arc::from("sidecar"),
            requests: Resources::new(10, 10 * MIB),
            limits: Resources::default(),
        },
    ]);
    let fleet = fleet_of([
        Record::Node(node("n1")),
        Record::DaemonSet(d),
        Record::Pod(p),
    ]);
    let hog = &rate_pods(&fleet, &Thresholds::default())[0];
    assert_eq!(hog.memory.request, Some(110 * MIB));
    assert_eq!(hog.memory.limit, None);
    assert!(hog.no_limits.memory && !hog.no_requests.memory);
}

#[test]
fn without_metrics_usage_is_absent_and_nothing_is_a_hog_by_usage() {
    let d = ds("agent");
    let mut fleet = fleet_of([
        Record::Node(node("n1")),
        Record::DaemonSet(d.clone()),
        Record::Pod(pod(&d, "n1", "agent-a")),
    ]);
    with_metrics(&mut fleet, &[("agent-a", 200, 256 * MIB)]);
    fleet.apply(FleetEvent::MetricsUnavailable {
        at: t(90),
        reason: "metrics.k8s.io is not served".into(),
    });
    let report = analyze(&fleet, &Thresholds::default());
    assert!(matches!(
        report.metrics,
        crate::model::usage::MetricsState::Unavailable { .. }
    ));
    assert_eq!(report.pods[0].memory.usage, None);
    assert!(!report.pods[0].is_hog());
    assert_eq!(report.node_tax[0].usage, None);
    assert_eq!(report.footprints[0].measured_pods, 0);
}

/// Two DaemonSets on three nodes: footprints sum, rank and find the worst node; the tax per
/// node is the share of allocatable (4 CPUs, 16 GiB each).
#[test]
fn footprints_rank_the_heaviest_and_the_tax_is_a_share_of_allocatable() {
    let light = ds("light");
    let heavy = ds("heavy");
    let mut records = vec![
        Record::DaemonSet(light.clone()),
        Record::DaemonSet(heavy.clone()),
    ];
    let mut samples = Vec::new();
    for (i, n) in ["n1", "n2", "n3"].into_iter().enumerate() {
        records.push(Record::Node(node(n)));
        let mut l = pod(&light, n, &format!("light-{n}"));
        sized(
            &mut l,
            Resources::new(100, 100 * MIB),
            Resources::new(200, 200 * MIB),
        );
        let mut h = pod(&heavy, n, &format!("heavy-{n}"));
        sized(
            &mut h,
            Resources::new(1000, 1024 * MIB),
            Resources::new(2000, 2048 * MIB),
        );
        records.extend([Record::Pod(l), Record::Pod(h)]);
        samples.push((format!("light-{n}"), 50, 50 * MIB));
        samples.push((
            format!("heavy-{n}"),
            500 + 100 * i as i64,
            (1000 + 500 * i as i64) * MIB,
        ));
    }
    let mut fleet = fleet_of(records);
    let samples: Vec<(&str, i64, i64)> = samples
        .iter()
        .map(|(n, c, m)| (n.as_str(), *c, *m))
        .collect();
    with_metrics(&mut fleet, &samples);
    let report = analyze(&fleet, &Thresholds::default());

    let order: Vec<&str> = report.footprints.iter().map(|f| &*f.ds_uid).collect();
    assert_eq!(order, ["uid-heavy", "uid-light"]);
    let heavy_fp = &report.footprints[0];
    assert_eq!(heavy_fp.pods, 3);
    assert_eq!(heavy_fp.requests.cpu_millis, 3000);
    assert_eq!(heavy_fp.usage.cpu_millis, 500 + 600 + 700);
    assert_eq!(heavy_fp.usage.memory_bytes, (1000 + 1500 + 2000) * MIB);
    let worst = heavy_fp.worst.as_ref().unwrap();
    assert_eq!(worst.node.as_deref(), Some("n3"));
    assert_eq!(worst.resource, Resource::Memory);
    assert_eq!(worst.level, Level::Critical, "2000Mi of a 2048Mi limit");
    assert_eq!(
        heavy_fp.hogs, 1,
        "n2 at 1500Mi of 2048Mi (73%) is fine, n3 is not"
    );

    let n1 = &report.node_tax[0];
    assert_eq!(&*n1.node, "n1");
    assert_eq!(n1.daemon_pods, 2);
    assert_eq!(n1.requests.cpu_millis, 1100);
    assert_eq!(n1.cpu_request_share, Some(1100.0 / 4000.0));
    assert_eq!(n1.cpu_usage_share, Some(550.0 / 4000.0));
    assert_eq!(
        n1.memory_usage_share,
        Some((1050 * MIB) as f64 / (16 * 1024 * MIB) as f64)
    );
}

#[test]
fn pods_are_rated_in_node_order_then_vanished_nodes_then_unplaced_and_finished_ones_skipped() {
    let d = ds("agent");
    let mut unplaced = pod(&d, "n1", "agent-u");
    unplaced.node = None;
    let mut finished = pod(&d, "n2", "agent-f");
    finished.phase = crate::model::pod::PodPhase::Succeeded;
    let fleet = fleet_of([
        Record::Node(node("n2")),
        Record::Node(node("n1")),
        Record::DaemonSet(d.clone()),
        Record::Pod(unplaced),
        Record::Pod(pod(&d, "gone-node", "agent-g")),
        Record::Pod(pod(&d, "n2", "agent-b")),
        Record::Pod(pod(&d, "n1", "agent-a")),
        Record::Pod(finished),
    ]);
    let names: Vec<String> = rate_pods(&fleet, &Thresholds::default())
        .iter()
        .map(|h| fleet.pod(h.pod).unwrap().name.to_string())
        .collect();
    assert_eq!(names, ["agent-a", "agent-b", "agent-g", "agent-u"]);
}

/// A fleet of `pods` pods of one DaemonSet, one per node, each asking for `cpu`/`memory` in
/// every one of two containers, with usage `usage` (cpu, memory) per pod and nodes offering
/// `alloc` bytes of memory.
fn huge_fleet(pods: usize, cpu: i64, memory: i64, usage: (i64, i64), alloc: i64) -> HogReport {
    let d = ds("agent");
    let mut records = vec![Record::DaemonSet(d.clone())];
    let mut samples = Vec::new();
    for i in 0..pods {
        let name = format!("n{i}");
        let mut n = node(&name);
        n.allocatable.memory_bytes = alloc;
        records.push(Record::Node(n));
        let mut p = pod(&d, &name, &format!("agent-{i}"));
        let both = Resources::new(cpu, memory);
        p.containers = Arc::from(
            [containers(both, both), containers(both, both)]
                .iter()
                .flat_map(|c| c.iter().cloned())
                .collect::<Vec<_>>(),
        );
        records.push(Record::Pod(p));
        samples.push((format!("agent-{i}"), usage.0, usage.1));
    }
    let mut fleet = fleet_of(records);
    let named: Vec<(&str, i64, i64)> = samples
        .iter()
        .map(|(n, c, m)| (n.as_str(), *c, *m))
        .collect();
    with_metrics(&mut fleet, &named);
    analyze(&fleet, &Thresholds::default())
}

#[test]
fn sums_of_huge_requests_saturate_instead_of_wrapping() {
    use crate::analysis::units;
    // 2^62 bytes per container, two containers per pod, 100 pods: 2^69 bytes in all.
    let report = huge_fleet(100, i64::MAX, 1 << 62, (i64::MAX, 1 << 62), i64::MAX);
    let f = &report.footprints[0];
    assert_eq!(f.pods, 100);
    assert_eq!(f.requests.memory_bytes, i64::MAX);
    assert_eq!(f.requests.cpu_millis, i64::MAX);
    // Usage is kept per pod in u32 KiB and millicores (`model::usage`), so it only grows.
    assert!(f.usage.memory_bytes > 0 && f.usage.cpu_millis > 0);
    // The per-pod sums over containers saturate too, limits included.
    assert!(report.pods.iter().all(|h| h.memory.limit == Some(i64::MAX)));
    assert!(
        report
            .pods
            .iter()
            .all(|h| h.memory.request == Some(i64::MAX))
    );
    for tax in &report.node_tax {
        assert_eq!(tax.requests.memory_bytes, i64::MAX);
        assert!(tax.memory_request_share.is_some_and(|s| s > 0.0));
    }
    assert!(f.weight.is_finite() && f.weight > 0.0);
    // What the hogs view prints: a lower bound, never a negative number.
    assert_eq!(units::memory(f.requests.memory_bytes), ">8Ei");
    assert_eq!(units::cpu(f.requests.cpu_millis), ">9.2P");
    assert!(!units::memory(f.requests.memory_bytes).contains('-'));
}

#[test]
fn sums_below_the_edge_stay_exact() {
    use crate::analysis::units;
    // Two containers of 2^60 bytes, three pods: 6 * 2^60, exact just below 2^63.
    let report = huge_fleet(3, 1, 1 << 60, (1, 1 << 60), 1 << 62);
    let f = &report.footprints[0];
    assert_eq!(f.requests.memory_bytes, 6 << 60);
    assert_eq!(units::memory(f.requests.memory_bytes), "6Ei");
    // One node's tax: 2^61 of 2^62 allocatable.
    let share = report.node_tax[0].memory_request_share;
    assert_eq!(share, Some(0.5));
    assert_eq!(units::percent(0.5), "50%");
}

#[test]
fn zero_and_negative_amounts_add_without_surprise() {
    use crate::analysis::units;
    let report = huge_fleet(4, 0, i64::MIN, (0, 0), 0);
    let f = &report.footprints[0];
    assert_eq!(f.requests.memory_bytes, i64::MIN, "saturates downwards too");
    assert_eq!(f.requests.cpu_millis, 0);
    assert_eq!(f.weight, 0.0, "no allocatable: no share");
    assert!(
        report
            .node_tax
            .iter()
            .all(|t| t.memory_request_share.is_none())
    );
    assert_eq!(units::memory(f.requests.memory_bytes), "<-8Ei");
    assert_eq!(units::cpu(0), "0m");
    assert_eq!(units::memory(0), "0");
}

#[test]
fn totals_saturate_at_both_ends() {
    use crate::model::resources::Totals;
    let mut t = Totals::default();
    for _ in 0..3 {
        t.add(Totals {
            cpu_millis: i64::MAX,
            memory_bytes: 1 << 62,
        });
    }
    assert_eq!(t.cpu_millis, i64::MAX);
    assert_eq!(t.memory_bytes, i64::MAX);
    let mut low = Totals::default();
    low.add_resources(&Resources::new(i64::MIN, -1));
    low.add_resources(&Resources::new(-1, i64::MIN));
    assert_eq!((low.cpu_millis, low.memory_bytes), (i64::MIN, i64::MIN));
    let mut unset = Totals::default();
    unset.add_resources(&Resources::default());
    assert_eq!(unset, Totals::default());
}
