//! DaemonSet validation (upstream `ValidateDaemonSet` and friends in
//! kubernetes/pkg/apis/apps/validation/validation.go; docs/SEMANTICS.md#admission), with field
//! errors worded like the API server's `field.Error`.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use herd_convert::convert;

/// One field error: the field path, the API's reason, and the body after `<field>: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: &'static str,
    pub body: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body)
    }
}

fn required(field: &str) -> FieldError {
    FieldError {
        field: field.into(),
        reason: "FieldValueRequired",
        body: "Required value".into(),
    }
}

/// `field.Required(path, detail)`.
fn required_because(field: &str, detail: &str) -> FieldError {
    FieldError {
        field: field.into(),
        reason: "FieldValueRequired",
        body: format!("Required value: {detail}"),
    }
}

/// `value` is already rendered the way Go prints it.
fn invalid(field: &str, value: impl fmt::Display, detail: &str) -> FieldError {
    FieldError {
        field: field.into(),
        reason: "FieldValueInvalid",
        body: format!("Invalid value: {value}: {detail}"),
    }
}

fn not_supported(field: &str, value: &str, supported: &[&str]) -> FieldError {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    FieldError {
        field: field.into(),
        reason: "FieldValueNotSupported",
        body: format!(
            "Unsupported value: {value:?}: supported values: {}",
            list.join(", ")
        ),
    }
}

fn non_negative(field: &str, value: i64) -> Option<FieldError> {
    (value < 0).then(|| invalid(field, value, "must be greater than or equal to 0"))
}

/// Go's `%#v` of a string map: `map[string]string{"a":"b"}`.
fn go_map(map: Option<&BTreeMap<String, String>>) -> String {
    match map {
        None => "map[string]string(nil)".into(),
        Some(m) => {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
            format!("map[string]string{{{}}}", items.join(", "))
        }
    }
}

/// Go's `%#v` of a `v1.LabelSelector`.
pub fn go_selector(s: &LabelSelector) -> String {
    let exprs = match &s.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    let values = match &r.values {
                        None => "[]string(nil)".to_string(),
                        Some(v) => format!(
                            "[]string{{{}}}",
                            v.iter()
                                .map(|x| format!("{x:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{values}}}",
                        r.key, r.operator
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_map(s.match_labels.as_ref())
    )
}

fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// `"<digits>%"` -> the number; anything else `None`.
fn percent(s: &str) -> Option<i64> {
    let digits = s.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/// `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent` for one field.
fn int_or_percent(field: &str, v: &IntOrString, errs: &mut Vec<FieldError>) {
    match v {
        IntOrString::String(s) => match percent(s) {
            None => errs.push(invalid(field, s, PERCENT_MSG)),
            Some(p) if p > 100 => errs.push(invalid(field, s, "must not be greater than 100%")),
            Some(_) => {}
        },
        IntOrString::Int(i) => errs.extend(non_negative(field, i64::from(*i))),
    }
}

fn value_of(v: Option<&IntOrString>) -> i64 {
    match v {
        Some(IntOrString::Int(i)) => i64::from(*i),
        Some(IntOrString::String(s)) => percent(s).unwrap_or(0),
        None => 0,
    }
}

fn strategy(s: Option<&DaemonSetUpdateStrategy>, errs: &mut Vec<FieldError>) {
    let path = "spec.updateStrategy";
    let kind = s.and_then(|s| s.type_.as_deref()).unwrap_or("");
    match kind {
        "OnDelete" => {}
        "RollingUpdate" => {
            let Some(r) = s.and_then(|s| s.rolling_update.as_ref()) else {
                errs.push(required(&format!("{path}.rollingUpdate")));
                return;
            };
            let (mu, ms) = (r.max_unavailable.as_ref(), r.max_surge.as_ref());
            let mu_path = format!("{path}.rollingUpdate.maxUnavailable");
            let ms_path = format!("{path}.rollingUpdate.maxSurge");
            if let Some(v) = mu {
                int_or_percent(&mu_path, v, errs);
            }
            if let Some(v) = ms {
                int_or_percent(&ms_path, v, errs);
            }
            let show = |v: Option<&IntOrString>| v.map_or("null".to_string(), int_or_string);
            match (value_of(mu) != 0, value_of(ms) != 0) {
                (true, true) => errs.push(invalid(
                    &ms_path,
                    show(ms),
                    "may not be set when maxUnavailable is non-zero",
                )),
                // field.Required, not Invalid, in upstream's ValidateRollingUpdateDaemonSet.
                (false, false) => {
                    errs.push(required_because(&mu_path, "cannot be 0 when maxSurge is 0"))
                }
                _ => {}
            }
        }
        other => errs.push(not_supported(path, other, &["RollingUpdate", "OnDelete"])),
    }
}

fn selector(spec: &DaemonSetSpec, errs: &mut Vec<FieldError>) {
    let s = &spec.selector;
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    let absent = s.match_labels.is_none() && s.match_expressions.is_none();
    if absent {
        errs.push(required("spec.selector"));
    } else if s.match_labels.as_ref().map_or(0, BTreeMap::len)
        + s.match_expressions.as_ref().map_or(0, Vec::len)
        == 0
    {
        errs.push(invalid(
            "spec.selector",
            go_selector(s),
            "empty selector is invalid for daemonset",
        ));
        return;
    }
    let matches = match convert::label_selector(s) {
        Err(e) if !absent => {
            errs.push(invalid("spec.selector", go_selector(s), &e.to_string()));
            return;
        }
        // A missing selector selects nothing, so it never matches the template.
        Err(_) => false,
        Ok(sel) => !absent && sel.matches(labels.unwrap_or(&BTreeMap::new())),
    };
    if !matches {
        errs.push(invalid(
            "spec.template.metadata.labels",
            go_map(labels),
            "`selector` does not match template `labels`",
        ));
    }
}

/// The pod template's labels and nodeSelector, as every label map is checked.
fn template_labels(spec: &DaemonSetSpec, errs: &mut Vec<FieldError>) {
    let meta_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    let node_selector = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.node_selector.as_ref());
    let causes = crate::admission::labels::validate(meta_labels, "spec.template.metadata.labels")
        .into_iter()
        .chain(crate::admission::labels::validate(
            node_selector,
            "spec.template.spec.nodeSelector",
        ));
    errs.extend(causes.map(|c| FieldError {
        field: c.field,
        reason: c.kind,
        body: c.body,
    }));
}

/// Upstream `validateTolerations` (kubernetes/pkg/apis/core/validation/validation.go): the
/// operator and the effect are one of theirs, Exists takes no value, tolerationSeconds only
/// with NoExecute.
fn tolerations(pod: &k8s_openapi::api::core::v1::PodSpec, errs: &mut Vec<FieldError>) {
    for (i, t) in pod.tolerations.iter().flatten().enumerate() {
        let path = format!("spec.template.spec.tolerations[{i}]");
        let operator = t.operator.as_deref().unwrap_or("");
        match operator {
            "" | "Equal" | "Exists" => {}
            other => errs.push(not_supported(
                &format!("{path}.operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if operator == "Exists" && !t.value.as_deref().unwrap_or("").is_empty() {
            errs.push(invalid(
                &format!("{path}.operator"),
                format!("{:?}", t.value.as_deref().unwrap_or("")),
                "value must be empty when `operator` is 'Exists'",
            ));
        }
        let effect = t.effect.as_deref().unwrap_or("");
        match effect {
            "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(not_supported(
                &format!("{path}.effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(invalid(
                &format!("{path}.effect"),
                format!("{effect:?}"),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
    }
}

fn template(spec: &DaemonSetSpec, errs: &mut Vec<FieldError>) {
    template_labels(spec, errs);
    let pod = spec.template.spec.clone().unwrap_or_default();
    if pod.containers.is_empty() {
        errs.push(required("spec.template.spec.containers"));
    }
    tolerations(&pod, errs);
    let mut names = std::collections::BTreeSet::new();
    for (i, c) in pod.containers.iter().enumerate() {
        if c.name.is_empty() {
            errs.push(required(&format!(
                "spec.template.spec.containers[{i}].name"
            )));
        } else if !names.insert(c.name.as_str()) {
            // field.Duplicate in upstream's validateContainers.
            errs.push(FieldError {
                field: format!("spec.template.spec.containers[{i}].name"),
                reason: "FieldValueDuplicate",
                body: format!("Duplicate value: {:?}", c.name),
            });
        }
        if c.image.as_deref().unwrap_or("").is_empty() {
            errs.push(required(&format!(
                "spec.template.spec.containers[{i}].image"
            )));
        }
    }
    for cause in
        crate::admission::resources::negative(&pod.containers, "spec.template.spec.containers")
    {
        errs.push(FieldError {
            field: cause.field,
            reason: cause.kind,
            body: cause.body,
        });
    }
    let restart = pod.restart_policy.as_deref().unwrap_or("");
    if restart != "Always" {
        errs.push(not_supported(
            "spec.template.spec.restartPolicy",
            restart,
            &["Always"],
        ));
    }
    if let Some(secs) = pod.active_deadline_seconds {
        errs.push(invalid(
            "spec.template.spec.activeDeadlineSeconds",
            secs,
            "activeDeadlineSeconds in DaemonSet is not Supported",
        ));
    }
}

/// `ValidateDaemonSetSpec` (after defaulting).
pub fn spec(ds: &DaemonSet) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec = &ds.spec;
    selector(spec, &mut errs);
    template(spec, &mut errs);
    errs.extend(non_negative(
        "spec.minReadySeconds",
        i64::from(spec.min_ready_seconds.unwrap_or(0)),
    ));
    strategy(spec.update_strategy.as_ref(), &mut errs);
    if let Some(limit) = spec.revision_history_limit {
        errs.extend(non_negative("spec.revisionHistoryLimit", i64::from(limit)));
    }
    errs
}

/// `metadata.name`: required (unless generated) and an RFC 1123 subdomain.
pub fn name(ds: &DaemonSet) -> Vec<FieldError> {
    let name = ds.metadata.name.as_deref().unwrap_or("");
    if name.is_empty() {
        let generated = ds
            .metadata
            .generate_name
            .as_deref()
            .is_some_and(|g| !g.is_empty());
        return if generated {
            vec![]
        } else {
            vec![required("metadata.name")]
        };
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() <= 253 && name.split('.').all(label_ok) {
        return vec![];
    }
    vec![invalid(
        "metadata.name",
        format!("{name:?}"),
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    )]
}

/// apps/v1 forbids changing the selector.
pub fn selector_unchanged(old: &DaemonSet, new: &DaemonSet) -> Vec<FieldError> {
    if old.spec.selector == new.spec.selector {
        return vec![];
    }
    vec![invalid(
        "spec.selector",
        go_selector(&new.spec.selector),
        "field is immutable",
    )]
}

/// `ValidateDaemonSetStatusUpdate`: counts non-negative, collisionCount never decremented.
pub fn status(old: Option<&DaemonSetStatus>, new: Option<&DaemonSetStatus>) -> Vec<FieldError> {
    let Some(s) = new else {
        return vec![];
    };
    let fields: [(&str, i64); 8] = [
        ("currentNumberScheduled", s.current_number_scheduled.into()),
        ("numberMisscheduled", s.number_misscheduled.into()),
        ("desiredNumberScheduled", s.desired_number_scheduled.into()),
        ("numberReady", s.number_ready.into()),
        ("observedGeneration", s.observed_generation.unwrap_or(0)),
        (
            "updatedNumberScheduled",
            s.updated_number_scheduled.unwrap_or(0).into(),
        ),
        ("numberAvailable", s.number_available.unwrap_or(0).into()),
        (
            "numberUnavailable",
            s.number_unavailable.unwrap_or(0).into(),
        ),
    ];
    let mut errs: Vec<FieldError> = fields
        .iter()
        .filter_map(|(f, v)| non_negative(&format!("status.{f}"), *v))
        .collect();
    if let Some(c) = s.collision_count {
        errs.extend(non_negative("status.collisionCount", c.into()));
    }
    let before = old.and_then(|o| o.collision_count);
    if before.is_some_and(|b| s.collision_count.is_none_or(|c| c < b)) {
        errs.push(invalid(
            "status.collisionCount",
            s.collision_count.unwrap_or(0),
            "cannot be decremented",
        ));
    }
    errs
}
