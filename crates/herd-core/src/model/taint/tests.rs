use super::TaintEffect::{NoExecute, NoSchedule, PreferNoSchedule};
use super::*;

fn tol(
    key: &str,
    operator: TolerationOperator,
    value: &str,
    effect: Option<TaintEffect>,
) -> Toleration {
    Toleration {
        key: key.to_owned(),
        operator,
        value: value.to_owned(),
        effect,
        toleration_seconds: None,
    }
}

#[test]
fn a_toleration_matches_a_taint_by_key_operator_value_and_effect() {
    use TolerationOperator::*;
    let gpu = Taint::new("gpu", "true", NoSchedule);
    let cases = [
        // (a) effect: empty matches all, otherwise equal
        (tol("gpu", Equal, "true", None), true),
        (tol("gpu", Equal, "true", Some(NoSchedule)), true),
        (tol("gpu", Equal, "true", Some(NoExecute)), false),
        (tol("gpu", Equal, "true", Some(PreferNoSchedule)), false),
        // (b) key: empty matches every key
        (tol("", Exists, "", None), true),
        (tol("other", Exists, "", None), false),
        // (c) Exists ignores value; Equal needs the exact value
        (tol("gpu", Exists, "", Some(NoSchedule)), true),
        (tol("gpu", Equal, "false", None), false),
        (tol("gpu", Equal, "", None), false),
        (tol("", Equal, "true", None), true),
        // (d) Lt/Gt never match with the gate off
        (tol("gpu", Lt, "5", None), false),
        (tol("gpu", Gt, "0", None), false),
    ];
    for (toleration, want) in cases {
        assert_eq!(toleration.tolerates(&gpu), want, "{toleration:?}");
    }
    let empty_value = Taint::new("dedicated", "", NoExecute);
    assert!(tol("dedicated", Equal, "", None).tolerates(&empty_value));
    let mut with_seconds = tol("dedicated", Exists, "", Some(NoExecute));
    with_seconds.toleration_seconds = Some(0);
    assert!(
        with_seconds.tolerates(&empty_value),
        "tolerationSeconds never affects matching"
    );
}

#[test]
fn comparison_operators_with_gate_on() {
    use TolerationOperator::*;
    let cases = [
        ("2", Lt, "5", true),
        ("5", Lt, "5", false),
        ("15", Lt, "5", false),
        ("1000", Gt, "800", true),
        ("800", Gt, "800", false),
        ("-3", Gt, "-4", true),
        ("0", Lt, "1", true),
        ("05", Lt, "10", false),
        ("5", Lt, "010", false),
        ("+5", Lt, "10", false),
        ("high", Gt, "1", false),
    ];
    for (taint_value, op, toleration_value, want) in cases {
        let taint = Taint::new("sla", taint_value, NoSchedule);
        let toleration = tol("sla", op, toleration_value, None);
        assert_eq!(
            toleration.tolerates_with(&taint, true),
            want,
            "taint {taint_value} {op:?} {toleration_value}"
        );
        assert!(!toleration.tolerates_with(&taint, false));
    }
}

#[test]
fn displays_like_kubectl() {
    use TolerationOperator::*;
    assert_eq!(
        Taint::new("nvidia.com/gpu", "present", NoSchedule).to_string(),
        "nvidia.com/gpu=present:NoSchedule"
    );
    assert_eq!(
        Taint::new("node.kubernetes.io/unschedulable", "", NoSchedule).to_string(),
        "node.kubernetes.io/unschedulable:NoSchedule"
    );
    let mut not_ready = tol("node.kubernetes.io/not-ready", Exists, "", Some(NoExecute));
    not_ready.toleration_seconds = Some(300);
    assert_eq!(
        not_ready.to_string(),
        "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s"
    );
    assert_eq!(tol("", Exists, "", None).to_string(), "op=Exists");
    assert_eq!(
        tol("gpu", Equal, "true", Some(NoSchedule)).to_string(),
        "gpu=true:NoSchedule"
    );
}

#[test]
fn parses_api_strings() {
    assert_eq!("NoExecute".parse::<TaintEffect>(), Ok(NoExecute));
    assert_eq!(
        "".parse::<TolerationOperator>(),
        Ok(TolerationOperator::Equal)
    );
    assert_eq!(
        "Gt".parse::<TolerationOperator>(),
        Ok(TolerationOperator::Gt)
    );
    let err = "NoRun".parse::<TaintEffect>().unwrap_err();
    assert_eq!(err.to_string(), r#"unknown taint effect "NoRun""#);
    let err = "Matches".parse::<TolerationOperator>().unwrap_err();
    assert_eq!(err.to_string(), r#"unknown toleration operator "Matches""#);
}

fn keys(tolerations: &[Toleration]) -> Vec<String> {
    tolerations.iter().map(|t| t.to_string()).collect()
}

const DEFAULTS: [&str; 6] = [
    "node.kubernetes.io/not-ready:NoExecute op=Exists",
    "node.kubernetes.io/unreachable:NoExecute op=Exists",
    "node.kubernetes.io/disk-pressure:NoSchedule op=Exists",
    "node.kubernetes.io/memory-pressure:NoSchedule op=Exists",
    "node.kubernetes.io/pid-pressure:NoSchedule op=Exists",
    "node.kubernetes.io/unschedulable:NoSchedule op=Exists",
];

#[test]
fn adds_the_six_defaults_and_network_unavailable_for_host_network() {
    assert_eq!(keys(&daemon_tolerations(&[], false)), DEFAULTS);
    let mut want: Vec<&str> = DEFAULTS.to_vec();
    want.push("node.kubernetes.io/network-unavailable:NoSchedule op=Exists");
    assert_eq!(keys(&daemon_tolerations(&[], true)), want);
}

#[test]
fn merge_replaces_same_target_in_place_and_keeps_the_rest() {
    use TolerationOperator::*;
    let mut user_not_ready = tol("node.kubernetes.io/not-ready", Exists, "", Some(NoExecute));
    user_not_ready.toleration_seconds = Some(30);
    // Same key but another effect: a different target, kept and the default appended.
    let mut user_unreachable = tol("node.kubernetes.io/unreachable", Exists, "", None);
    user_unreachable.toleration_seconds = Some(60);
    let gpu = tol("gpu", Equal, "true", Some(NoSchedule));
    let merged = daemon_tolerations(
        &[gpu.clone(), user_not_ready, user_unreachable.clone()],
        false,
    );
    assert_eq!(merged.len(), 3 + 5);
    assert_eq!(merged[0], gpu);
    assert_eq!(
        merged[1],
        tol("node.kubernetes.io/not-ready", Exists, "", Some(NoExecute)),
        "seconds dropped, position kept"
    );
    assert_eq!(merged[2], user_unreachable);
    assert_eq!(keys(&merged[3..]), DEFAULTS[1..]);
}

#[test]
fn merge_keeps_an_identical_user_toleration_once() {
    let same = daemon_tolerations(&[], false);
    assert_eq!(daemon_tolerations(&same, false), same);
}

#[test]
fn untolerated_taints_filters_by_effect() {
    let taints = [
        Taint::new("a", "1", PreferNoSchedule),
        Taint::new("b", "2", NoSchedule),
        Taint::new("c", "", NoExecute),
        Taint::new("node.kubernetes.io/unschedulable", "", NoSchedule),
    ];
    let tolerations = daemon_tolerations(&[Toleration::exists("c", None)], false);
    let names = |v: Vec<&Taint>| v.iter().map(|t| t.key.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(untolerated_taints(
            &tolerations,
            &taints,
            &[NoSchedule, NoExecute]
        )),
        ["b"]
    );
    assert_eq!(
        names(untolerated_taints(&[], &taints, &[NoSchedule, NoExecute])),
        ["b", "c", "node.kubernetes.io/unschedulable"]
    );
    assert_eq!(names(untolerated_taints(&[], &taints, &[NoExecute])), ["c"]);
    assert!(is_tolerated(&tolerations, &taints[2]));
}
