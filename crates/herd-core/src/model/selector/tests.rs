use std::collections::BTreeMap;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn parsed(text: &str) -> LabelSelector {
    LabelSelector::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

#[test]
fn parses_every_operator() {
    use SelectorOp::*;
    let cases: &[(&str, &str, SelectorOp, &[&str])] = &[
        ("app=web", "app", Equals, &["web"]),
        ("app==web", "app", Equals, &["web"]),
        ("app!=web", "app", NotEquals, &["web"]),
        ("app in (b,a,b)", "app", In, &["a", "b"]),
        ("app notin (a)", "app", NotIn, &["a"]),
        ("app", "app", Exists, &[]),
        ("!app", "app", DoesNotExist, &[]),
        ("cores>3", "cores", Gt, &["3"]),
        ("cores<3", "cores", Lt, &["3"]),
        ("app=", "app", Equals, &[""]),
        ("app in ()", "app", In, &[""]),
        ("app in (a,)", "app", In, &["", "a"]),
        ("example.com/tier=in", "example.com/tier", Equals, &["in"]),
        ("  app  in(  a ,b )  ", "app", In, &["a", "b"]),
        ("! app", "app", DoesNotExist, &[]),
    ];
    for (text, key, op, values) in cases {
        let sel = parsed(text);
        let want = Requirement {
            key: key.to_string(),
            op: *op,
            values: strings(values),
        };
        assert_eq!(sel.requirements(), &[want], "{text:?}");
    }
}

#[test]
fn empty_text_selects_everything() {
    for text in ["", "   "] {
        let sel = parsed(text);
        assert!(sel.is_everything(), "{text:?}");
        assert!(sel.matches(&labels(&[("a", "b")])));
        assert_eq!(sel.to_string(), "");
    }
}

#[test]
fn matches_each_operator() {
    let node = labels(&[("app", "web"), ("cores", "8"), ("name", "eight")]);
    let cases = [
        ("app=web", true),
        ("app=db", false),
        ("app!=db", true),
        ("app!=web", false),
        ("missing!=x", true),
        ("app in (db,web)", true),
        ("missing in (web)", false),
        ("app notin (db)", true),
        ("app notin (web)", false),
        ("missing notin (web)", true),
        ("app", true),
        ("missing", false),
        ("!missing", true),
        ("!app", false),
        ("cores>4", true),
        ("cores>8", false),
        ("cores<9", true),
        ("cores<8", false),
        ("name>1", false),
        ("missing>1", false),
        ("app=web,cores>4", true),
        ("app=web,cores>8", false),
    ];
    for (text, want) in cases {
        assert_eq!(parsed(text).matches(&node), want, "{text:?}");
    }
}

#[test]
fn prints_canonical_form_that_round_trips() {
    let cases = [
        ("app == web", "app=web"),
        ("zone in (b, a), app", "app,zone in (a,b)"),
        ("tier notin (x),!legacy", "!legacy,tier notin (x)"),
        ("cores > 4 , cores<16", "cores>4,cores<16"),
        ("app=,b in ()", "app=,b in ()"),
        ("a!=b", "a!=b"),
    ];
    for (text, want) in cases {
        let sel = parsed(text);
        assert_eq!(sel.to_string(), want, "{text:?}");
        assert_eq!(parsed(want), sel, "{want:?} round trip");
    }
}

#[test]
fn rejects_with_messages_naming_text_and_problem() {
    let cases = [
        ("app in (a", r#"missing closing ")""#),
        ("app in a", r#"expected "(" after in, found "a""#),
        (
            "app in (a b)",
            r#"expected "," or ")" in the value list, found "b""#,
        ),
        (
            "app web",
            r#"expected an operator (=, ==, !=, in, notin, >, <) after "app", found "web""#,
        ),
        (
            "app=web,",
            r#"expected a requirement after ",", found end of input"#,
        ),
        (",app", r#"expected a label key or "!", found ",""#),
        ("app=a b", r#"expected "," or end of input, found "b""#),
        ("!app=web", r#"expected "," or end of input, found "=""#),
        ("!", r#"expected a label key after "!", found end of input"#),
        ("in=x", r#"expected a label key, found the keyword "in""#),
        ("app=(", r#"expected a value for "app", found "(""#),
        ("cores>four", r#"Gt needs an integer value, found "four""#),
        ("cores<", r#"Lt needs an integer value, found """#),
        // A negative number is an integer but not a valid label value, as in apimachinery.
        (
            "cores>-1",
            r#"label value "-1" must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"#,
        ),
        (
            "-app=x",
            r#"label key name "-app" must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"#,
        ),
        (
            "Example.com/app=x",
            r#"label key prefix "Example.com" must be a lowercase DNS subdomain of at most 253 characters, such as example.com"#,
        ),
        (
            "a/b/c=x",
            r#"label key "a/b/c" may contain at most one "/""#,
        ),
        (
            "/app=x",
            r#"label key "/app" has an empty prefix before "/""#,
        ),
        (
            "x.io/=x",
            r#"label key "x.io/" has an empty name after "/""#,
        ),
        (
            "app=a*b",
            r#"label value "a*b" must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"#,
        ),
    ];
    for (text, problem) in cases {
        let err = LabelSelector::parse(text).map(|_| ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid label selector {text:?}: {problem}"),
            "{text:?}"
        );
    }
}

#[test]
fn enforces_length_limits() {
    let long = "a".repeat(64);
    let ok = "a".repeat(63);
    assert!(LabelSelector::parse(&format!("{ok}={ok}")).is_ok());
    let err = LabelSelector::parse(&format!("{long}=x")).unwrap_err();
    assert!(
        err.to_string().contains("is longer than 63 characters"),
        "{err}"
    );
    let err = LabelSelector::parse(&format!("x={long}")).unwrap_err();
    assert!(err.to_string().contains("label value"), "{err}");
}

#[test]
fn builds_from_api_parts() {
    let match_labels = labels(&[("app", "web")]);
    let expressions = vec![
        ("zone".to_string(), "In".to_string(), strings(&["b", "a"])),
        ("legacy".to_string(), "DoesNotExist".to_string(), vec![]),
    ];
    let sel = LabelSelector::from_parts(&match_labels, &expressions).unwrap();
    assert_eq!(sel.to_string(), "app=web,!legacy,zone in (a,b)");
    assert!(sel.matches(&labels(&[("app", "web"), ("zone", "a")])));
    assert!(!sel.matches(&labels(&[("app", "web"), ("zone", "c")])));
    assert!(!sel.matches(&labels(&[("app", "web"), ("zone", "a"), ("legacy", "")])));
    let empty = LabelSelector::from_parts(&BTreeMap::new(), &[]).unwrap();
    assert!(empty.is_everything());
}

#[test]
fn rejects_bad_api_parts() {
    let none = BTreeMap::new();
    let expr = |key: &str, op: &str, values: &[&str]| {
        vec![(key.to_string(), op.to_string(), strings(values))]
    };
    let cases = [
        (
            expr("zone", "In", &[]),
            r#"invalid label selector "zone In []": In needs at least one value"#,
        ),
        (
            expr("zone", "NotIn", &[]),
            r#"invalid label selector "zone NotIn []": NotIn needs at least one value"#,
        ),
        (
            expr("gpu", "Exists", &["x"]),
            r#"invalid label selector "gpu Exists [x]": Exists takes no values"#,
        ),
        (
            expr("gpu", "DoesNotExist", &["x"]),
            r#"invalid label selector "gpu DoesNotExist [x]": DoesNotExist takes no values"#,
        ),
        (
            expr("cores", "Gt", &["4"]),
            r#"invalid label selector "cores Gt [4]": operator "Gt" is not one of In, NotIn, Exists, DoesNotExist"#,
        ),
    ];
    for (expressions, want) in cases {
        let err = LabelSelector::from_parts(&none, &expressions).unwrap_err();
        assert_eq!(err.to_string(), want);
    }
    let bad_label = labels(&[("app", "a b")]);
    let err = LabelSelector::from_parts(&bad_label, &[]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"invalid label selector "app=a b": label value "a b""#),
        "{err}"
    );
}

#[test]
fn serde_uses_canonical_text() {
    let sel = parsed("b in (y,x),a");
    let json = serde_json::to_string(&sel).unwrap();
    assert_eq!(json, r#""a,b in (x,y)""#);
    let back: LabelSelector = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sel);
    assert!(serde_json::from_str::<LabelSelector>(r#""a in (""#).is_err());
}
