//! Label and field selectors as list and watch requests carry them (`labelSelector`,
//! `fieldSelector`): herd's one selector grammar (`model::selector`), plus the fields each
//! served kind can be selected on.

use std::collections::BTreeMap;

use super::status::ApiError;
use crate::{AnyObject, Kind};
use herd_core::model::selector;

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(selector::LabelSelector);

impl LabelSelector {
    /// Parses the kubectl grammar: `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b)`, `a`,
    /// `!a`, `a>1`, `a<1`, joined by commas.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        selector::LabelSelector::parse(text)
            .map(LabelSelector)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_everything()
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
        self.0.matches(labels.unwrap_or(&NO_LABELS))
    }
}

/// A parsed field selector: `field=value`, `field==value`, `field!=value`, joined by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(selector::FieldSelector);

impl FieldSelector {
    /// Parses and checks every field is one `kind` can be selected on, as the API server does.
    pub fn parse(text: &str, kind: Kind) -> Result<Self, ApiError> {
        let parsed = selector::FieldSelector::parse(text)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        for field in parsed.fields() {
            let selectable = SELECTABLE
                .iter()
                .any(|(k, f)| (*k == Some(kind) || k.is_none()) && *f == field);
            if !selectable {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
        }
        Ok(FieldSelector(parsed))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_everything()
    }

    pub fn matches(&self, object: &AnyObject) -> bool {
        self.0.matches(|field| Some(field_value(object, field)))
    }
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
        assert_eq!(f.0.requirements()[0].value, "a,b");
    }
}
