//! A DaemonSet that targets no node at all: the status reads `0/0` and every count agrees, so
//! without this finding a selector typo (`accelerator=h100` on a fleet of `a100`s) looks like
//! a healthy, complete DaemonSet.

use super::coverage::DsCoverage;
use super::verdict::Verdict;
use crate::model::daemonset::DaemonSet;
use crate::model::fleet::Fleet;

/// Which part of the template selects no node, against how many nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untargeted {
    /// `nodeSelector accelerator=h100`, `node affinity (2 terms)`, `nodeName gpu-99`.
    pub selects: String,
    pub nodes: u32,
}

impl Untargeted {
    /// `targets no node: nodeSelector accelerator=h100 matches 0 of 40`.
    pub fn describe(&self) -> String {
        format!(
            "targets no node: {} matches 0 of {}",
            self.selects, self.nodes
        )
    }
}

/// `Some` when the fleet has nodes and `ds` should run on none of them, and no node is kept
/// off only by a taint (that is a gap, reported as taint-blocked, not a targeting mistake).
pub fn find(fleet: &Fleet, ds: &DaemonSet, coverage: &DsCoverage) -> Option<Untargeted> {
    let nodes = fleet.nodes().len() as u32;
    if nodes == 0 || ds.deleting || coverage.counts.desired > 0 {
        return None;
    }
    if coverage.verdicts.get(Verdict::TaintBlocked) > 0 || coverage.rows.is_empty() {
        return None;
    }
    let spec = ds.targeting.spec();
    let mut parts = Vec::new();
    if let Some(name) = &spec.node_name {
        parts.push(format!("nodeName {name}"));
    }
    if !spec.node_selector.is_empty() {
        let pairs: Vec<String> = spec
            .node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.push(format!("nodeSelector {}", pairs.join(",")));
    }
    match spec.required_terms.as_ref().map(Vec::len) {
        Some(0) => parts.push("node affinity with no terms".to_string()),
        Some(1) => parts.push("node affinity".to_string()),
        Some(n) => parts.push(format!("node affinity ({n} terms)")),
        None => {}
    }
    let selects = match parts.len() {
        0 => "its tolerations".to_string(),
        _ => parts.join(" and "),
    };
    Some(Untargeted { selects, nodes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::coverage;
    use crate::model::fleet::Record;
    use crate::model::placement::PlacementSpec;
    use crate::model::testkit::{ds, fleet_of, node, t};

    fn finding(spec: PlacementSpec, nodes: usize) -> Option<Untargeted> {
        let mut d = ds("agent");
        d.targeting = crate::model::daemonset::Targeting::new(spec);
        let mut records = vec![Record::DaemonSet(d.clone())];
        records.extend((1..=nodes).map(|i| {
            let mut n = node(&format!("n{i}"));
            n.labels.insert("accelerator".into(), "a100".into());
            Record::Node(n)
        }));
        let fleet = fleet_of(records);
        let cov = coverage::daemon_set(&fleet, "uid-agent", t(10)).unwrap();
        find(&fleet, &d, &cov)
    }

    fn selector(key: &str, value: &str) -> PlacementSpec {
        let mut spec = PlacementSpec::default();
        spec.node_selector.insert(key.into(), value.into());
        spec
    }

    #[test]
    fn a_selector_typo_is_a_finding_naming_the_selector_and_the_fleet() {
        let found = finding(selector("accelerator", "h100"), 40).unwrap();
        assert_eq!(
            found.describe(),
            "targets no node: nodeSelector accelerator=h100 matches 0 of 40"
        );
    }

    #[test]
    fn a_selector_that_matches_is_no_finding() {
        assert_eq!(finding(selector("accelerator", "a100"), 3), None);
    }

    #[test]
    fn an_empty_fleet_is_no_finding() {
        assert_eq!(finding(selector("accelerator", "h100"), 0), None);
    }

    #[test]
    fn affinity_with_no_terms_is_named() {
        let spec = PlacementSpec {
            required_terms: Some(Vec::new()),
            ..PlacementSpec::default()
        };
        let found = finding(spec, 2).unwrap();
        assert_eq!(
            found.describe(),
            "targets no node: node affinity with no terms matches 0 of 2"
        );
    }
}
