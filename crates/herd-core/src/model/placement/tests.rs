use super::TaintEffect::{NoExecute, NoSchedule, PreferNoSchedule};
use super::*;

struct TestNode {
    name: String,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
}

impl TestNode {
    fn facts(&self) -> NodeFacts<'_> {
        NodeFacts {
            name: &self.name,
            labels: &self.labels,
            taints: &self.taints,
        }
    }
}

fn node(name: &str, labels: &[(&str, &str)], taints: &[Taint]) -> TestNode {
    TestNode {
        name: name.to_owned(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        taints: taints.to_vec(),
    }
}

fn clean(name: &str) -> TestNode {
    node(name, &[], &[])
}

/// Names of the nodes counted in desired (`should_run`).
fn desired(spec: &PlacementSpec, nodes: &[TestNode]) -> Vec<String> {
    let prepared = PreparedPlacement::new(spec);
    nodes
        .iter()
        .filter(|n| {
            let run = prepared.evaluate(&n.facts()).should_run;
            assert_eq!(prepared.should_run(&n.facts()), run, "{}", n.name);
            run
        })
        .map(|n| n.name.clone())
        .collect()
}

fn with_tolerations(tolerations: Vec<Toleration>) -> PlacementSpec {
    PlacementSpec {
        tolerations,
        ..PlacementSpec::default()
    }
}

fn with_terms(terms: Vec<NodeSelectorTerm>) -> PlacementSpec {
    PlacementSpec {
        required_terms: Some(terms),
        ..PlacementSpec::default()
    }
}

fn expr(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: vec![NodeSelectorRequirement::new(key, op, values)],
        match_fields: vec![],
    }
}

const NOT_READY: &str = "node.kubernetes.io/not-ready";

#[test]
fn scenario_1_noschedule_taint_keeps_node_out_of_desired() {
    let nodes = [
        clean("n1"),
        clean("n2"),
        node("n3", &[], &[Taint::new("gpu", "true", NoSchedule)]),
    ];
    let spec = PlacementSpec::default();
    assert_eq!(desired(&spec, &nodes), ["n1", "n2"]);
    let n3 = evaluate(&spec, &nodes[2].facts());
    assert!(
        !n3.should_run && n3.should_continue_running,
        "NoSchedule keeps existing pods"
    );
    assert_eq!(
        n3.exclusions,
        [Exclusion::UntoleratedTaint(Taint::new(
            "gpu", "true", NoSchedule
        ))]
    );
}

#[test]
fn scenario_2_noexecute_taint_evicts() {
    let n3 = node("n3", &[], &[Taint::new("dedicated", "x", NoExecute)]);
    let placement = evaluate(&PlacementSpec::default(), &n3.facts());
    assert!(!placement.should_run && !placement.should_continue_running);
}

#[test]
fn scenario_3_prefer_noschedule_and_equal_exists() {
    let nodes = [
        node("n1", &[], &[Taint::new("a", "1", PreferNoSchedule)]),
        node("n2", &[], &[Taint::new("b", "2", NoSchedule)]),
        clean("n3"),
    ];
    let cases: [(Toleration, &[&str]); 3] = [
        (Toleration::equal("b", "3", None), &["n1", "n3"]),
        (Toleration::exists("b", None), &["n1", "n2", "n3"]),
        (Toleration::exists("", None), &["n1", "n2", "n3"]),
    ];
    for (toleration, want) in cases {
        let shown = toleration.to_string();
        assert_eq!(
            desired(&with_tolerations(vec![toleration]), &nodes),
            want,
            "{shown}"
        );
    }
}

#[test]
fn scenario_4_cordon_and_pressure() {
    let nodes = [
        node(
            "n1",
            &[],
            &[Taint::new(
                "node.kubernetes.io/unschedulable",
                "",
                NoSchedule,
            )],
        ),
        node(
            "n2",
            &[],
            &[Taint::new(
                "node.kubernetes.io/memory-pressure",
                "",
                NoSchedule,
            )],
        ),
        node(
            "n3",
            &[],
            &[Taint::new(
                "node.kubernetes.io/network-unavailable",
                "",
                NoSchedule,
            )],
        ),
    ];
    assert_eq!(desired(&PlacementSpec::default(), &nodes), ["n1", "n2"]);
    let host_network = PlacementSpec {
        host_network: true,
        ..PlacementSpec::default()
    };
    assert_eq!(desired(&host_network, &nodes), ["n1", "n2", "n3"]);
}

#[test]
fn scenario_5_not_ready_keeps_pod_but_leaves_desired() {
    let not_ready = [
        Taint::new(NOT_READY, "", NoSchedule),
        Taint::new(NOT_READY, "", NoExecute),
    ];
    let nodes = [clean("n1"), clean("n2"), node("n3", &[], &not_ready)];
    let spec = PlacementSpec::default();
    assert_eq!(desired(&spec, &nodes), ["n1", "n2"]);
    let n3 = evaluate(&spec, &nodes[2].facts());
    assert!(!n3.should_run && n3.should_continue_running);
    assert_eq!(
        n3.exclusions,
        [Exclusion::UntoleratedTaint(not_ready[0].clone())],
        "NoExecute is tolerated automatically"
    );
    let recovered = [clean("n1"), clean("n2"), clean("n3")];
    assert_eq!(desired(&spec, &recovered).len(), 3);
    let tolerate_all = with_tolerations(vec![Toleration::exists("", None)]);
    assert_eq!(desired(&tolerate_all, &nodes).len(), 3);
}

#[test]
fn scenario_6_node_selector_enforced_during_execution() {
    let spec = PlacementSpec {
        node_selector: [("disk".to_owned(), "ssd".to_owned())].into(),
        ..PlacementSpec::default()
    };
    let nodes = [
        node("n1", &[("disk", "ssd")], &[]),
        node("n2", &[("disk", "ssd")], &[]),
        node("n3", &[("disk", "hdd")], &[]),
        clean("n4"),
    ];
    assert_eq!(desired(&spec, &nodes), ["n1", "n2"]);
    let unlabelled = evaluate(&spec, &nodes[3].facts());
    assert!(!unlabelled.should_run && !unlabelled.should_continue_running);
    assert_eq!(
        unlabelled.exclusions[0].to_string(),
        "nodeSelector disk=ssd: node has no label disk"
    );
    let wrong = evaluate(&spec, &nodes[2].facts());
    assert_eq!(
        wrong.exclusions[0].to_string(),
        "nodeSelector disk=ssd: node has disk=hdd"
    );
}

#[test]
fn scenario_7_affinity_operators() {
    use NodeSelectorOperator::*;
    let nodes = [
        node("n1", &[("cores", "8")], &[]),
        node("n2", &[("cores", "4")], &[]),
        node("n3", &[("cores", "eight")], &[]),
    ];
    assert_eq!(
        desired(&with_terms(vec![expr("cores", Gt, &["4"])]), &nodes),
        ["n1"]
    );
    let not_n1 = NodeSelectorTerm {
        match_expressions: vec![],
        match_fields: vec![NodeSelectorRequirement::new(
            "metadata.name",
            NotIn,
            &["n1"],
        )],
    };
    assert_eq!(desired(&with_terms(vec![not_n1]), &nodes), ["n2", "n3"]);
    let one_empty = with_terms(vec![NodeSelectorTerm::default()]);
    assert!(desired(&one_empty, &nodes).is_empty());
    let placement = evaluate(&one_empty, &nodes[0].facts());
    assert!(!placement.should_continue_running);
    assert_eq!(placement.exclusions, [Exclusion::NoAffinityTerms]);
}

#[test]
fn absent_affinity_selects_all_but_empty_term_list_selects_none() {
    let nodes = [clean("n1")];
    assert_eq!(desired(&PlacementSpec::default(), &nodes), ["n1"]);
    let placement = evaluate(&with_terms(vec![]), &nodes[0].facts());
    assert_eq!(placement.exclusions, [Exclusion::NoAffinityTerms]);
}

#[test]
fn node_name_pins_the_template() {
    let spec = PlacementSpec {
        node_name: Some("n2".to_owned()),
        ..PlacementSpec::default()
    };
    let placement = evaluate(&spec, &clean("n1").facts());
    assert!(!placement.should_run && !placement.should_continue_running);
    assert_eq!(
        placement.exclusions[0].to_string(),
        "template pins nodeName n2"
    );
    assert!(evaluate(&spec, &clean("n2").facts()).should_run);
    let empty_name = PlacementSpec {
        node_name: Some(String::new()),
        ..PlacementSpec::default()
    };
    assert!(
        evaluate(&empty_name, &clean("n1").facts()).should_run,
        "empty nodeName is no pin"
    );
}

#[test]
fn lists_every_cause_with_readable_text() {
    use NodeSelectorOperator::*;
    let spec = PlacementSpec {
        node_selector: [("disk".to_owned(), "ssd".to_owned())].into(),
        required_terms: Some(vec![expr("cores", Gt, &["4"]), expr("zone", In, &["a"])]),
        ..PlacementSpec::default()
    };
    let taints = [
        Taint::new("nvidia.com/gpu", "present", NoSchedule),
        Taint::new("soft", "", PreferNoSchedule),
        Taint::new("dedicated", "db", NoExecute),
    ];
    let n = node("n1", &[("cores", "4")], &taints);
    let placement = evaluate(&spec, &n.facts());
    let text: Vec<String> = placement.exclusions.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        text,
        [
            "nodeSelector disk=ssd: node has no label disk",
            "node affinity: none of 2 terms match; first: cores Gt [4]: node has cores=4",
            "untolerated taint nvidia.com/gpu=present:NoSchedule",
            "untolerated taint dedicated=db:NoExecute",
        ]
    );
    let single = evaluate(&with_terms(vec![expr("zone", In, &["a", "b"])]), &n.facts());
    assert_eq!(
        single.exclusions[0].to_string(),
        "node affinity: zone In [a, b]: node has no label zone"
    );
}

#[test]
fn prepared_matches_one_off_and_carries_default_tolerations() {
    let spec = with_tolerations(vec![Toleration::equal("gpu", "true", Some(NoSchedule))]);
    let prepared = PreparedPlacement::new(&spec);
    assert_eq!(prepared.tolerations().len(), 7);
    assert_eq!(prepared.tolerations()[0].key, "gpu");
    let n = node(
        "n1",
        &[],
        &[
            Taint::new("gpu", "true", NoSchedule),
            Taint::new("x", "", NoExecute),
        ],
    );
    assert_eq!(
        evaluate_prepared(&prepared, &n.facts()),
        evaluate(&spec, &n.facts())
    );
}

#[test]
fn scheduler_filter_ignores_taints_and_node_name() {
    use NodeSelectorOperator::*;
    let spec = PlacementSpec {
        node_name: Some("elsewhere".to_owned()),
        node_selector: [("disk".to_owned(), "ssd".to_owned())].into(),
        required_terms: Some(vec![expr("cores", Exists, &[])]),
        ..PlacementSpec::default()
    };
    let tainted = node(
        "n1",
        &[("disk", "ssd"), ("cores", "2")],
        &[Taint::new("x", "", NoExecute)],
    );
    let no_cores = node("n2", &[("disk", "ssd")], &[]);
    let hdd = node("n3", &[("disk", "hdd"), ("cores", "2")], &[]);
    let prepared = PreparedPlacement::new(&spec);
    for (n, want) in [(&tainted, true), (&no_cores, false), (&hdd, false)] {
        assert_eq!(
            selector_and_affinity_match(&spec, &n.facts()),
            want,
            "{}",
            n.name
        );
        assert_eq!(
            prepared.selector_and_affinity_match(&n.facts()),
            want,
            "{}",
            n.name
        );
    }
}

#[test]
fn should_run_alone_agrees_with_evaluate_on_every_cause() {
    use NodeSelectorOperator::*;
    let specs = [
        PlacementSpec::default(),
        PlacementSpec {
            node_name: Some("n1".to_owned()),
            ..PlacementSpec::default()
        },
        PlacementSpec {
            node_selector: [("disk".to_owned(), "ssd".to_owned())].into(),
            ..PlacementSpec::default()
        },
        with_terms(vec![expr("cores", Exists, &[])]),
        with_terms(vec![]),
        with_tolerations(vec![Toleration::exists("", None)]),
        with_tolerations(vec![Toleration::equal("gpu", "true", Some(NoSchedule))]),
    ];
    let nodes = [
        clean("n1"),
        node("n2", &[("disk", "ssd"), ("cores", "2")], &[]),
        node(
            "n3",
            &[("disk", "hdd")],
            &[Taint::new("gpu", "true", NoSchedule)],
        ),
        node("n1", &[("disk", "ssd")], &[Taint::new("x", "", NoExecute)]),
        node(
            "n4",
            &[("cores", "4")],
            &[Taint::new("y", "", PreferNoSchedule)],
        ),
    ];
    for (i, spec) in specs.iter().enumerate() {
        let prepared = PreparedPlacement::new(spec);
        for n in &nodes {
            assert_eq!(
                prepared.should_run(&n.facts()),
                prepared.evaluate(&n.facts()).should_run,
                "spec {i}, node {}",
                n.name
            );
        }
    }
}

#[test]
fn happy_path_has_no_exclusions() {
    let placement = evaluate(&PlacementSpec::default(), &clean("n1").facts());
    assert_eq!(
        placement,
        Placement {
            should_run: true,
            should_continue_running: true,
            exclusions: vec![],
        }
    );
}
