//! Label and field selectors as list and watch requests carry them (`labelSelector`,
//! `fieldSelector`), and the fields each served kind can be selected on.

use std::collections::BTreeMap;

use super::status::ApiError;
use crate::sim::{AnyObject, Kind};

#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelOp {
    Exists,
    NotExists,
    In(Vec<String>),
    NotIn(Vec<String>),
    Gt(i64),
    Lt(i64),
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<(String, LabelOp)>);

impl LabelSelector {
    /// Parses the kubectl grammar: `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b)`, `a`,
    /// `!a`, `a>1`, `a<1`, joined by commas.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(parse_requirement(part).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unable to parse requirement: {part:?} in label selector {text:?}"
                ))
            })?);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.0.iter().all(|(key, op)| {
            let value = labels.and_then(|l| l.get(key));
            match op {
                LabelOp::Exists => value.is_some(),
                LabelOp::NotExists => value.is_none(),
                LabelOp::In(set) => value.is_some_and(|v| set.contains(v)),
                LabelOp::NotIn(set) => !value.is_some_and(|v| set.contains(v)),
                LabelOp::Gt(n) => value
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > *n),
                LabelOp::Lt(n) => value
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < *n),
            }
        })
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 317
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
}

fn valid_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn parse_requirement(part: &str) -> Option<(String, LabelOp)> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| (key.to_string(), LabelOp::NotExists));
    }
    let key_end = part
        .find(|c: char| c.is_whitespace() || matches!(c, '=' | '!' | '<' | '>'))
        .unwrap_or(part.len());
    let key = &part[..key_end];
    if !valid_key(key) {
        return None;
    }
    let rest = part[key_end..].trim_start();
    let single = |v: &str| {
        let v = v.trim();
        valid_value(v).then(|| vec![v.to_string()])
    };
    let op = if rest.is_empty() {
        LabelOp::Exists
    } else if let Some(v) = rest.strip_prefix("==").or_else(|| rest.strip_prefix('=')) {
        LabelOp::In(single(v)?)
    } else if let Some(v) = rest.strip_prefix("!=") {
        LabelOp::NotIn(single(v)?)
    } else if let Some(v) = rest.strip_prefix('>') {
        LabelOp::Gt(v.trim().parse().ok()?)
    } else if let Some(v) = rest.strip_prefix('<') {
        LabelOp::Lt(v.trim().parse().ok()?)
    } else if let Some(v) = rest.strip_prefix("notin") {
        LabelOp::NotIn(parse_set(v)?)
    } else if let Some(v) = rest.strip_prefix("in") {
        LabelOp::In(parse_set(v)?)
    } else {
        return None;
    };
    Some((key.to_string(), op))
}

fn parse_set(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    values.iter().all(|v| valid_value(v)).then_some(values)
}

/// A parsed field selector: `field=value`, `field==value`, `field!=value`, joined by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses and checks every field is one `kind` can be selected on.
    pub fn parse(text: &str, kind: Kind) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_unescaped(text, ',') {
            if part.trim().is_empty() {
                continue;
            }
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid field selector {text:?}: {part:?} has no operator"
                )));
            };
            let field = field.trim();
            if !SELECTABLE
                .iter()
                .any(|(k, f)| (*k == Some(kind) || k.is_none()) && *f == field)
            {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            reqs.push((field.to_string(), equal, unescape(value.trim())));
        }
        Ok(FieldSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, object: &AnyObject) -> bool {
        self.0
            .iter()
            .all(|(field, equal, value)| (field_value(object, field) == *value) == *equal)
    }
}

fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let (mut parts, mut current, mut escaped) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        if escaped {
            current.push('\\');
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

fn unescape(value: &str) -> String {
    let (mut out, mut escaped) = (String::new(), false);
    for c in value.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

/// The fields each kind can be selected on (`None`: every kind), as upstream allows them.
const SELECTABLE: &[(Option<Kind>, &str)] = &[
    (None, "metadata.name"),
    (None, "metadata.namespace"),
    (Some(Kind::Pod), "spec.nodeName"),
    (Some(Kind::Pod), "spec.restartPolicy"),
    (Some(Kind::Pod), "spec.schedulerName"),
    (Some(Kind::Pod), "spec.serviceAccountName"),
    (Some(Kind::Pod), "status.phase"),
    (Some(Kind::Pod), "status.podIP"),
    (Some(Kind::Pod), "status.nominatedNodeName"),
    (Some(Kind::Node), "spec.unschedulable"),
    (Some(Kind::Namespace), "status.phase"),
    (Some(Kind::Event), "involvedObject.kind"),
    (Some(Kind::Event), "involvedObject.namespace"),
    (Some(Kind::Event), "involvedObject.name"),
    (Some(Kind::Event), "involvedObject.uid"),
    (Some(Kind::Event), "involvedObject.apiVersion"),
    (Some(Kind::Event), "involvedObject.fieldPath"),
    (Some(Kind::Event), "reason"),
    (Some(Kind::Event), "type"),
    (Some(Kind::Event), "source"),
];

/// A field's value as a selector compares it; unset fields read as "".
fn field_value(object: &AnyObject, field: &str) -> String {
    let meta = object.metadata();
    let s = |v: Option<&String>| v.cloned().unwrap_or_default();
    match (object, field) {
        (_, "metadata.name") => s(meta.name.as_ref()),
        (_, "metadata.namespace") => s(meta.namespace.as_ref()),
        (AnyObject::Pod(p), _) => {
            let spec = p.spec.as_ref();
            let status = p.status.as_ref();
            match field {
                "spec.nodeName" => s(spec.and_then(|x| x.node_name.as_ref())),
                "spec.restartPolicy" => s(spec.and_then(|x| x.restart_policy.as_ref())),
                "spec.schedulerName" => s(spec.and_then(|x| x.scheduler_name.as_ref())),
                "spec.serviceAccountName" => s(spec.and_then(|x| x.service_account_name.as_ref())),
                "status.phase" => s(status.and_then(|x| x.phase.as_ref())),
                "status.podIP" => s(status.and_then(|x| x.pod_ip.as_ref())),
                "status.nominatedNodeName" => {
                    s(status.and_then(|x| x.nominated_node_name.as_ref()))
                }
                _ => String::new(),
            }
        }
        (AnyObject::Node(n), "spec.unschedulable") => n
            .spec
            .as_ref()
            .and_then(|x| x.unschedulable)
            .unwrap_or(false)
            .to_string(),
        (AnyObject::Namespace(n), "status.phase") => {
            s(n.status.as_ref().and_then(|x| x.phase.as_ref()))
        }
        (AnyObject::Event(e), _) => {
            let io = &e.involved_object;
            match field {
                "involvedObject.kind" => s(io.kind.as_ref()),
                "involvedObject.namespace" => s(io.namespace.as_ref()),
                "involvedObject.name" => s(io.name.as_ref()),
                "involvedObject.uid" => s(io.uid.as_ref()),
                "involvedObject.apiVersion" => s(io.api_version.as_ref()),
                "involvedObject.fieldPath" => s(io.field_path.as_ref()),
                "reason" => s(e.reason.as_ref()),
                "type" => s(e.type_.as_ref()),
                "source" => s(e.source.as_ref().and_then(|x| x.component.as_ref())),
                _ => String::new(),
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_grammar() {
        let l = labels(&[("app", "web"), ("tier", "1")]);
        let ok = |s: &str| LabelSelector::parse(s).expect(s).matches(Some(&l));
        assert!(ok("app=web"));
        assert!(ok("app==web,tier"));
        assert!(ok("app in (db, web),!missing"));
        assert!(ok("app notin (db),missing!=x"));
        assert!(ok("tier>0"));
        assert!(!ok("app!=web"));
        assert!(!ok("tier<1"));
        assert!(LabelSelector::parse("app=(").is_err());
        assert!(LabelSelector::parse("a b").is_err());
    }

    #[test]
    fn field_selector_checks_fields_per_kind() {
        assert!(FieldSelector::parse("spec.nodeName=n1", Kind::Pod).is_ok());
        let err =
            FieldSelector::parse("spec.nodeName=n1", Kind::Node).expect_err("not a node field");
        assert_eq!(err.code, 400);
        assert!(
            err.message
                .contains("field label not supported: spec.nodeName")
        );
        let f = FieldSelector::parse("metadata.name!=a\\,b", Kind::Node).expect("escaped");
        assert_eq!(f.0[0].2, "a,b");
    }
}
