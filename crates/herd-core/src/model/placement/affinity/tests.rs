use std::collections::BTreeMap;

use super::NodeSelectorOperator::*;
use super::*;

fn req(key: &str, op: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement::new(key, op, values)
}

fn labels_term(reqs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: reqs,
        match_fields: vec![],
    }
}

fn fields_term(reqs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: vec![],
        match_fields: reqs,
    }
}

fn on_node(terms: &[NodeSelectorTerm]) -> (bool, Option<Exclusion>) {
    let labels: BTreeMap<String, String> = [("zone", "a"), ("cores", "8"), ("name", "eight")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    let node = NodeFacts {
        name: "n1",
        labels: &labels,
        taints: &[],
    };
    let affinity = RequiredAffinity::new(terms);
    let matched = affinity.matches(&node);
    assert_eq!(node_matches_affinity(terms, &node), matched);
    (matched, (!matched).then(|| affinity.exclusion(&node)))
}

#[test]
fn every_operator_on_labels_and_fields() {
    let cases = [
        (req("zone", In, &["a", "b"]), true),
        (req("zone", In, &["b"]), false),
        (req("rack", In, &["a"]), false),
        (req("zone", NotIn, &["b"]), true),
        (req("zone", NotIn, &["a"]), false),
        (req("rack", NotIn, &["a"]), true),
        (req("zone", Exists, &[]), true),
        (req("rack", Exists, &[]), false),
        (req("rack", DoesNotExist, &[]), true),
        (req("zone", DoesNotExist, &[]), false),
        (req("cores", Gt, &["4"]), true),
        (req("cores", Gt, &["8"]), false),
        (req("cores", Lt, &["9"]), true),
        (req("cores", Lt, &["8"]), false),
        (req("name", Gt, &["1"]), false),
        (req("rack", Lt, &["1"]), false),
    ];
    for (r, want) in cases {
        let shown = r.to_string();
        assert_eq!(on_node(&[labels_term(vec![r])]).0, want, "{shown}");
    }
    let fields = [
        (req("metadata.name", In, &["n1"]), true),
        (req("metadata.name", In, &["n2"]), false),
        (req("metadata.name", NotIn, &["n2"]), true),
        (req("metadata.name", NotIn, &["n1"]), false),
    ];
    for (r, want) in fields {
        let shown = r.to_string();
        assert_eq!(on_node(&[fields_term(vec![r])]).0, want, "{shown}");
    }
}

#[test]
fn invalid_requirement_fails_only_its_term() {
    let cases = [
        (
            req("zone", In, &[]),
            "zone In []: invalid, In needs at least one value",
        ),
        (
            req("zone", NotIn, &[]),
            "zone NotIn []: invalid, NotIn needs at least one value",
        ),
        (
            req("zone", Exists, &["a"]),
            "zone Exists [a]: invalid, Exists takes no values",
        ),
        (
            req("rack", DoesNotExist, &["a"]),
            "rack DoesNotExist [a]: invalid, DoesNotExist takes no values",
        ),
        (
            req("cores", Gt, &["4", "5"]),
            "cores Gt [4, 5]: invalid, Gt needs exactly one value",
        ),
        (
            req("cores", Lt, &["four"]),
            "cores Lt [four]: invalid, Lt needs an integer value",
        ),
        (
            req("zone", Invalid("Like".into()), &["a"]),
            r#"zone Like [a]: invalid, unknown operator "Like""#,
        ),
        (
            req("bad key", Exists, &[]),
            r#"bad key Exists: invalid, label key name "bad key" must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"#,
        ),
        (
            req("cores", Gt, &["-1"]),
            r#"cores Gt [-1]: invalid, label value "-1" must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"#,
        ),
    ];
    for (bad, why) in cases {
        // The invalid term fails even together with a requirement that holds ...
        let term = labels_term(vec![req("zone", Exists, &[]), bad]);
        let (matched, exclusion) = on_node(std::slice::from_ref(&term));
        assert!(!matched, "{why}");
        assert_eq!(
            exclusion,
            Some(Exclusion::AffinityUnmatched {
                terms: 1,
                first_failure: why.to_owned()
            })
        );
        // ... while a valid sibling term still selects the node.
        assert!(
            on_node(&[term, labels_term(vec![req("zone", In, &["a"])])]).0,
            "{why}"
        );
    }
}

#[test]
fn invalid_match_fields_fail_their_term() {
    let cases = [
        (
            req("metadata.labels", In, &["n1"]),
            "metadata.labels In [n1]: invalid, matchFields supports only metadata.name",
        ),
        (
            req("metadata.name", Exists, &[]),
            "metadata.name Exists: invalid, matchFields supports only In and NotIn",
        ),
        (
            req("metadata.name", In, &["n1", "n2"]),
            "metadata.name In [n1, n2]: invalid, matchFields needs exactly one value",
        ),
        (
            req("metadata.name", NotIn, &[]),
            "metadata.name NotIn []: invalid, matchFields needs exactly one value",
        ),
    ];
    for (bad, why) in cases {
        let (matched, exclusion) = on_node(&[fields_term(vec![bad])]);
        assert!(!matched, "{why}");
        assert_eq!(
            exclusion,
            Some(Exclusion::AffinityUnmatched {
                terms: 1,
                first_failure: why.to_owned()
            })
        );
    }
}

#[test]
fn terms_are_ored_and_empty_terms_dropped() {
    let miss = labels_term(vec![req("zone", In, &["b"])]);
    let hit = fields_term(vec![req("metadata.name", In, &["n1"])]);
    assert!(on_node(&[miss.clone(), hit.clone()]).0);
    assert!(on_node(&[NodeSelectorTerm::default(), hit]).0);
    let (matched, exclusion) = on_node(&[NodeSelectorTerm::default(), miss]);
    assert!(!matched);
    let first_failure = "zone In [b]: node has zone=a".to_owned();
    assert_eq!(
        exclusion,
        Some(Exclusion::AffinityUnmatched {
            terms: 1,
            first_failure
        })
    );
    assert_eq!(on_node(&[]), (false, Some(Exclusion::NoAffinityTerms)));
    assert_eq!(
        on_node(&[NodeSelectorTerm::default()]),
        (false, Some(Exclusion::NoAffinityTerms))
    );
    // A term holds only when both its label and field lists hold.
    let both = NodeSelectorTerm {
        match_expressions: vec![req("zone", In, &["a"])],
        match_fields: vec![req("metadata.name", In, &["n2"])],
    };
    let (matched, exclusion) = on_node(&[both]);
    assert!(!matched);
    let first_failure = "metadata.name In [n2]: node is n1".to_owned();
    assert_eq!(
        exclusion,
        Some(Exclusion::AffinityUnmatched {
            terms: 1,
            first_failure
        })
    );
}

#[test]
fn operator_strings_round_trip() {
    for s in [
        "In",
        "NotIn",
        "Exists",
        "DoesNotExist",
        "Gt",
        "Lt",
        "Matches",
    ] {
        assert_eq!(NodeSelectorOperator::parse(s).as_str(), s);
    }
    assert_eq!(NodeSelectorOperator::parse("in"), Invalid("in".into()));
}
