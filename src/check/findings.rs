//! What `herd check` reports, from the same verdicts, rollout diagnosis and targeting finding
//! the TUI shows: a pair is a gap or a failure by its verdict, a node down is listed once as
//! the node's fault, not once per DaemonSet as a failure.

use jiff::Timestamp;

use super::report::{self, Condition, Report};
use herd_core::analysis::coverage;
use herd_core::analysis::rollout;
use herd_core::analysis::untargeted;
use herd_core::analysis::verdict::{self, Verdict};
use herd_core::model::fleet::Fleet;

pub fn build(fleet: &Fleet, now: Timestamp, hogs: Vec<report::Hog>) -> Report {
    let coverage = coverage::analyze(fleet, now);
    let mut gaps = Vec::new();
    let mut stalled = Vec::new();
    let mut untargeted_list = Vec::new();
    for ds_cov in &coverage.daemon_sets {
        let Some(ds) = fleet.daemon_set(&ds_cov.uid) else {
            continue;
        };
        for row in &ds_cov.rows {
            let kind = match row.verdict {
                Verdict::ReleaseFailing => Condition::Failing,
                v if v.is_gap() => Condition::Missing,
                _ => continue,
            };
            let Some(node) = fleet.node(&row.node) else {
                continue;
            };
            let pod = row.pod.and_then(|id| fleet.pod(id));
            let judgement = verdict::judge(row, pod, node, ds, now);
            gaps.push(report::Gap {
                kind,
                namespace: ds.namespace.to_string(),
                daemonset: ds.name.to_string(),
                node: row.node.to_string(),
                pool: node.pool.as_deref().map(str::to_string),
                status: row.verdict.as_str().to_string(),
                pod: pod.map(|p| p.name.to_string()),
                reason: judgement.describe(now),
                headline: judgement.headline(),
            });
        }
        let r = rollout::analyze(fleet, ds, ds_cov, now);
        if let Some(stall) = &r.stall {
            stalled.push(report::Stalled {
                namespace: ds.namespace.to_string(),
                daemonset: ds.name.to_string(),
                updated: r.updated,
                desired: r.desired,
                diagnosis: stall.describe(now),
                nodes: stall.nodes().iter().map(|n| n.to_string()).collect(),
            });
        }
        if let Some(found) = untargeted::find(fleet, ds, ds_cov) {
            untargeted_list.push(report::Untargeted {
                namespace: ds.namespace.to_string(),
                daemonset: ds.name.to_string(),
                reason: found.describe(),
            });
        }
    }
    let node_down = nodes_down(fleet, &coverage, now);
    let not_ready_nodes = fleet
        .nodes()
        .filter(|n| !n.is_ready())
        .map(|n| n.name.to_string())
        .collect();
    let mut report = Report {
        gaps,
        groups: Vec::new(),
        node_down,
        stalled,
        untargeted: untargeted_list,
        hogs,
        not_ready_nodes,
        metrics: fleet.metrics().clone(),
        failed_on: Vec::new(),
    };
    report.group();
    report
}

/// Every node that should run a selected DaemonSet and is down, with how many should run there.
fn nodes_down(
    fleet: &Fleet,
    coverage: &coverage::CoverageReport,
    now: Timestamp,
) -> Vec<report::NodeDown> {
    // Coverage rows are in node-name order for every DaemonSet, as `fleet.nodes()` is.
    let mut per_node = vec![0u32; fleet.nodes().len()];
    for ds in &coverage.daemon_sets {
        for (count, row) in per_node.iter_mut().zip(&ds.rows) {
            *count += u32::from(row.verdict == Verdict::NodeDown);
        }
    }
    fleet
        .nodes()
        .zip(per_node)
        // A node no selected DaemonSet should run on is not this report's business.
        .filter(|(_, daemonsets)| *daemonsets > 0)
        .filter_map(|(node, daemonsets)| {
            let down = verdict::node_down(node)?;
            Some(report::NodeDown {
                node: node.name.to_string(),
                pool: node.pool.as_deref().map(str::to_string),
                reason: down.describe(now),
                since: down.since.map(|t| t.to_string()),
                daemonsets,
            })
        })
        .collect()
}
