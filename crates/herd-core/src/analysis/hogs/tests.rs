use std::sync::Arc;

use super::*;
use crate::analysis::thresholds::{Fit, Level, Thresholds};
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
        reach: Default::default(),
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
    fn by(h: &PodHog, r: Resource, against: Against) -> bool {
        h.rank
            .by
            .is_some_and(|m| m.resource == r && m.against == against)
    }
    let cases: Vec<Case> = vec![
        (
            "comfortable",
            |_| {},
            70,
            70 * MIB,
            Level::Ok,
            |h| !h.is_hog() && h.fit.cpu == Fit::Fits,
        ),
        (
            "below its request: never a hog, however near its limit",
            |p| {
                sized(
                    p,
                    Resources::new(200, 200 * MIB),
                    Resources::new(200, 200 * MIB),
                )
            },
            199,
            199 * MIB,
            Level::Ok,
            |h| {
                !h.is_hog()
                    && h.ceiling.memory == Level::Ok
                    && h.memory.of_limit().is_some_and(|r| r > 0.99)
            },
        ),
        (
            "memory above its request and near its limit warns",
            |_| {},
            50,
            170 * MIB,
            Level::Warn,
            |h| {
                h.ceiling.memory == Level::Warn
                    && h.ceiling.cpu == Level::Ok
                    && by(h, Resource::Memory, Against::Limit)
            },
        ),
        (
            "memory at 95% of its limit is critical",
            |_| {},
            50,
            191 * MIB,
            Level::Critical,
            |h| h.ceiling.memory == Level::Critical,
        ),
        (
            "cpu near its limit warns (throttling)",
            |_| {},
            180,
            50 * MIB,
            Level::Warn,
            |h| h.ceiling.cpu == Level::Warn && by(h, Resource::Cpu, Against::Limit),
        ),
        (
            "a little above its request is no hog",
            |_| {},
            150,
            150 * MIB,
            Level::Ok,
            |h| h.fit.cpu == Fit::Fits && !h.is_hog() && by(h, Resource::Cpu, Against::Request),
        ),
        (
            "far above its request with the limit far off: under-requested",
            |p| {
                sized(
                    p,
                    Resources::new(100, 100 * MIB),
                    Resources::new(2000, 4096 * MIB),
                )
            },
            50,
            300 * MIB,
            Level::Warn,
            |h| {
                h.fit.memory == Fit::UnderRequested
                    && h.ceiling.memory == Level::Ok
                    && by(h, Resource::Memory, Against::Request)
                    && h.rank.by.is_some_and(|m| m.ratio == 3.0)
            },
        ),
        (
            "far below its request: over-requested, never a hog",
            |_| {},
            20,
            30 * MIB,
            Level::Ok,
            |h| h.fit.cpu == Fit::OverRequested && h.fit.memory == Fit::OverRequested,
        ),
        (
            "no limits: rated against the node (4 CPUs, 16Gi)",
            |p| sized(p, Resources::new(100, 100 * MIB), Resources::default()),
            3600,
            900 * MIB,
            Level::Warn,
            |h| {
                h.no_limits.cpu
                    && h.no_limits.memory
                    && h.memory.limit.is_none()
                    && h.cpu.of_ceiling() == Some((Against::Node, 0.9))
                    && h.ceiling.cpu == Level::Warn
                    && h.ceiling.memory == Level::Ok
                    && h.fit.memory == Fit::UnderRequested
                    && by(h, Resource::Cpu, Against::Node)
            },
        ),
        (
            "no requests: any usage is above the request, rated against the limit",
            |p| sized(p, Resources::default(), Resources::new(200, 200 * MIB)),
            10,
            10 * MIB,
            Level::Ok,
            |h| {
                h.no_requests.cpu
                    && h.no_requests.memory
                    && h.cpu.request.is_none()
                    && h.cpu.above_request()
                    && by(h, Resource::Cpu, Against::Limit)
            },
        ),
        (
            "OOM-killed is critical whatever its usage now",
            |p| p.last_terminated_reason = Some(Arc::from("OOMKilled")),
            10,
            10 * MIB,
            Level::Critical,
            |h| h.oom_killed && h.is_hog() && h.reason().starts_with("OOM-killed"),
        ),
    ];
    for (name, tweak, cpu, mem, level, check) in cases {
        let hog = rated(tweak, cpu, mem);
        assert_eq!(hog.level(), level, "case {name}: {hog:?}");
        assert!(check(&hog), "case {name}: {hog:?}");
        assert_eq!(hog.memory.usage, Some(mem), "case {name}");
    }
}

/// The demo's defect: an agent at 92% of its CPU request (no CPU limit) was listed first,
/// above the DaemonSet whose memory runs at 13× its request.
#[test]
fn a_memory_leak_at_13x_its_request_outranks_a_pod_at_92_percent_of_its_cpu_request() {
    let busy = ds("busy");
    let leak = ds("leak");
    let mut records = vec![
        Record::DaemonSet(busy.clone()),
        Record::DaemonSet(leak.clone()),
    ];
    let mut samples = Vec::new();
    for n in ["n1", "n2"] {
        records.push(Record::Node(node(n)));
        let mut b = pod(&busy, n, &format!("busy-{n}"));
        // cpu unbounded, as agents often run.
        b.containers = containers(
            Resources::new(50, 64 * MIB),
            Resources {
                cpu_millis: None,
                memory_bytes: Some(1024 * MIB),
            },
        );
        let mut l = pod(&leak, n, &format!("leak-{n}"));
        l.containers = containers(
            Resources::new(50, 64 * MIB),
            Resources {
                cpu_millis: None,
                memory_bytes: Some(8192 * MIB),
            },
        );
        records.extend([Record::Pod(b), Record::Pod(l)]);
        samples.push((format!("busy-{n}"), 46, 40 * MIB));
        samples.push((format!("leak-{n}"), 10, 832 * MIB));
    }
    let mut fleet = fleet_of(records);
    let named: Vec<(&str, i64, i64)> = samples
        .iter()
        .map(|(n, c, m)| (n.as_str(), *c, *m))
        .collect();
    with_metrics(&mut fleet, &named);
    let report = analyze(&fleet, &Thresholds::default());

    let mut order: Vec<&PodHog> = report.pods.iter().collect();
    order.sort_by(|a, b| b.rank.worse(&a.rank));
    let names: Vec<&str> = order
        .iter()
        .map(|h| &*fleet.pod(h.pod).unwrap().name)
        .collect();
    assert_eq!(names, ["leak-n1", "leak-n2", "busy-n1", "busy-n2"]);
    let leak_pod = order[0];
    assert!(leak_pod.is_hog() && leak_pod.fit.memory == Fit::UnderRequested);
    assert_eq!(leak_pod.reason(), "memory at 13× its request");
    let busy_pod = order[2];
    assert!(!busy_pod.is_hog(), "below its request: {busy_pod:?}");
    assert_eq!(
        busy_pod.rank.by.map(|m| m.short()).as_deref(),
        Some("cpu 92% of req")
    );

    let ranking: Vec<&str> = report.footprints.iter().map(|f| &*f.ds_uid).collect();
    assert_eq!(ranking, ["uid-leak", "uid-busy"]);
    let leak_fp = &report.footprints[0];
    assert_eq!(
        (leak_fp.hogs, leak_fp.worst.as_ref().unwrap().level),
        (2, Level::Warn)
    );
    assert_eq!(leak_fp.fit.memory, Fit::UnderRequested);
    let furthest = leak_fp.furthest_from_request().unwrap();
    assert_eq!(furthest.resource, Resource::Memory);
    assert_eq!(furthest.short(), "mem 13× req");
    assert_eq!(report.footprints[1].hogs, 0);
}

/// Without a limit the node's allocatable is the ceiling; without a known node there is none.
#[test]
fn a_pod_without_a_limit_is_rated_against_its_nodes_allocatable() {
    let d = ds("agent");
    let unbounded = Resources {
        cpu_millis: None,
        memory_bytes: Some(1024 * MIB),
    };
    let mut small = node("small");
    small.allocatable.cpu_millis = 2000;
    let mut records = vec![
        Record::DaemonSet(d.clone()),
        Record::Node(node("big")),
        Record::Node(small),
    ];
    for (n, name) in [
        ("big", "on-big"),
        ("small", "on-small"),
        ("gone", "on-gone"),
    ] {
        let mut p = pod(&d, n, name);
        p.containers = containers(Resources::new(100, 64 * MIB), unbounded);
        records.push(Record::Pod(p));
    }
    let mut fleet = fleet_of(records);
    with_metrics(
        &mut fleet,
        &[
            ("on-big", 1800, 32 * MIB),
            ("on-small", 1800, 32 * MIB),
            ("on-gone", 1800, 32 * MIB),
        ],
    );
    let pods = rate_pods(&fleet, &Thresholds::default());
    let by_name = |name: &str| {
        pods.iter()
            .find(|h| &*fleet.pod(h.pod).unwrap().name == name)
            .unwrap()
    };
    let big = by_name("on-big");
    assert_eq!(big.cpu.allocatable, Some(4000));
    assert_eq!(big.cpu.of_ceiling(), Some((Against::Node, 0.45)));
    assert_eq!(big.ceiling.cpu, Level::Ok);
    assert_eq!(big.level(), Level::Warn, "18× its cpu request");
    let small = by_name("on-small");
    assert_eq!(small.cpu.of_ceiling(), Some((Against::Node, 0.9)));
    assert_eq!(small.level(), Level::Warn);
    let near = small.rank.by.unwrap();
    assert_eq!(
        (near.against, near.short()),
        (Against::Node, "cpu 90% of node".into())
    );
    assert_eq!(
        small.reason(),
        "cpu at 90% of its node's allocatable (no limit set)"
    );
    assert!(
        small.rank.worse(&big.rank).is_gt(),
        "near its node before far above its request"
    );
    let gone = by_name("on-gone");
    assert_eq!(gone.cpu.ceiling(), None, "no node known, no ceiling");
    assert_eq!(gone.memory.ceiling(), Some((Against::Limit, 1024 * MIB)));
}

/// What is left unset is counted once per DaemonSet, per resource, for the one line the view
/// shows ("no cpu limit"), not carried as a flag on every pod row.
#[test]
fn missing_limits_and_requests_are_counted_once_per_daemon_set() {
    let d = ds("agent");
    let mut records = vec![Record::DaemonSet(d.clone())];
    for (i, n) in ["n1", "n2", "n3"].into_iter().enumerate() {
        records.push(Record::Node(node(n)));
        let mut p = pod(&d, n, &format!("agent-{n}"));
        let requests = if i == 0 {
            Resources {
                cpu_millis: Some(100),
                memory_bytes: None,
            }
        } else {
            Resources::new(100, 64 * MIB)
        };
        p.containers = containers(
            requests,
            Resources {
                cpu_millis: None,
                memory_bytes: Some(256 * MIB),
            },
        );
        records.push(Record::Pod(p));
    }
    let report = analyze(&fleet_of(records), &Thresholds::default());
    let f = &report.footprints[0];
    assert_eq!(f.pods, 3);
    assert_eq!(f.without_limits, PerResource { cpu: 3, memory: 0 });
    assert_eq!(f.without_requests, PerResource { cpu: 0, memory: 1 });
}

/// Every figure a hog is shown with says what it is: amounts carry a unit, ratios what they
/// are a ratio of.
#[test]
fn every_rendered_figure_carries_its_unit() {
    use crate::analysis::units;
    let m = |resource, against, ratio| Measure {
        resource,
        against,
        ratio,
    };
    let cases = [
        (
            m(Resource::Memory, Against::Request, 13.75),
            "mem 14× req",
            "memory at 14× its request",
        ),
        (
            m(Resource::Cpu, Against::Request, 0.92),
            "cpu 92% of req",
            "cpu at 92% of its request",
        ),
        (
            m(Resource::Cpu, Against::Request, 1.5),
            "cpu 150% of req",
            "cpu at 150% of its request",
        ),
        (
            m(Resource::Memory, Against::Limit, 0.86),
            "mem 86% of limit",
            "memory at 86% of its limit",
        ),
        (
            m(Resource::Cpu, Against::Node, 0.85),
            "cpu 85% of node",
            "cpu at 85% of its node's allocatable (no limit set)",
        ),
    ];
    for (measure, short, long) in cases {
        assert_eq!(measure.short(), short);
        assert_eq!(measure.describe(), long);
    }
    // The figures of the defect report, with their units now.
    assert_eq!(units::cores(4000), "4 cores");
    assert_eq!(units::cores(1670), "1.67 cores");
    assert_eq!(units::cores(46), "46m");
    assert_eq!(units::bytes(880 * MIB), "880Mi");
    assert_eq!(units::bytes(100), "100B");
    for millis in [0, 5, 999, 1000, 1500, 123_456_789, i64::MAX] {
        let text = units::cores(millis);
        assert!(
            text.ends_with('m') || text.ends_with("core") || text.ends_with("cores"),
            "{text}"
        );
    }
    for bytes in [0, 1, 1023, 1024, 3 << 20, 5 << 30, i64::MAX] {
        let text = units::bytes(bytes);
        assert!(text.ends_with('B') || text.ends_with('i'), "{text}");
    }
}

/// After a poll the ratings are redone in place; they must equal rating afresh.
#[test]
fn re_rating_usage_in_place_equals_rating_afresh() {
    let d = ds("agent");
    let mut records = vec![Record::DaemonSet(d.clone())];
    for n in ["n1", "n2"] {
        records.push(Record::Node(node(n)));
        let mut p = pod(&d, n, &format!("agent-{n}"));
        p.containers = containers(
            Resources::new(100, 64 * MIB),
            Resources {
                cpu_millis: None,
                memory_bytes: Some(1024 * MIB),
            },
        );
        records.push(Record::Pod(p));
    }
    let mut fleet = fleet_of(records);
    with_metrics(
        &mut fleet,
        &[("agent-n1", 10, 10 * MIB), ("agent-n2", 50, 60 * MIB)],
    );
    let t = Thresholds::default();
    let mut pods = rate_pods(&fleet, &t);
    with_metrics(
        &mut fleet,
        &[("agent-n1", 3900, 1000 * MIB), ("agent-n2", 50, 600 * MIB)],
    );
    rerate_usage(&fleet, &mut pods, &t);
    assert_eq!(pods, rate_pods(&fleet, &t));
    assert_eq!(
        pods[0].level(),
        Level::Critical,
        "97% of the node's cpu, 98% of its limit"
    );
    assert_eq!(pods[1].level(), Level::Warn, "9× its memory request");
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
fn footprints_rank_the_worst_and_the_tax_is_a_share_of_allocatable() {
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
    let by = worst.by.unwrap();
    assert_eq!(
        (by.resource, by.against),
        (Resource::Memory, Against::Limit)
    );
    assert_eq!(worst.level, Level::Critical, "2000Mi of a 2048Mi limit");
    let light_fp = &report.footprints[1];
    assert_eq!(
        light_fp.fit.cpu,
        Fit::OverRequested,
        "50m of 100m requested"
    );
    assert!(light_fp.waste > 0.0 && light_fp.waste < heavy_fp.waste);
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
    assert!(f.waste.is_finite());
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
    assert_eq!(f.waste, 0.0, "no allocatable: no share");
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
