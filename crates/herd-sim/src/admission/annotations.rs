//! Annotations as the API server checks them on every object (upstream `ValidateAnnotations`
//! in k8s.io/apimachinery/pkg/api/validation/objectmeta.go): each key a qualified name, and
//! all keys and values together at most 256 KiB — without the cap, a DaemonSet's history of
//! ControllerRevisions, each a copy of its template, grows without bound.

use std::collections::BTreeMap;

use super::Cause;
use super::labels::qualified_name;

/// Upstream's `TotalAnnotationSizeLimitB`.
pub const TOTAL_LIMIT: usize = 256 * 1024;

/// Every problem with `annotations`, at `metadata.annotations`.
pub fn validate(annotations: Option<&BTreeMap<String, String>>) -> Vec<Cause> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for (key, value) in annotations.into_iter().flatten() {
        // Upstream checks the key lower-cased.
        for msg in qualified_name(&key.to_lowercase()) {
            out.push(Cause {
                kind: "FieldValueInvalid",
                field: "metadata.annotations".into(),
                body: format!("Invalid value: {key:?}: {msg}"),
            });
        }
        total = total.saturating_add(key.len()).saturating_add(value.len());
    }
    if total > TOTAL_LIMIT {
        out.push(Cause {
            kind: "FieldValueTooLong",
            field: "metadata.annotations".into(),
            body: format!("Too long: may not be more than {TOTAL_LIMIT} bytes"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_annotations_together_are_capped_at_256_kib_and_keys_are_qualified_names() {
        let at_limit = BTreeMap::from([("k".to_string(), "v".repeat(TOTAL_LIMIT - 1))]);
        assert!(validate(Some(&at_limit)).is_empty());
        let over = BTreeMap::from([
            ("a".to_string(), "v".repeat(TOTAL_LIMIT / 2)),
            ("b".to_string(), "v".repeat(TOTAL_LIMIT / 2)),
        ]);
        let causes = validate(Some(&over));
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].kind, "FieldValueTooLong");
        assert_eq!(
            causes[0].body,
            "Too long: may not be more than 262144 bytes"
        );
        let bad_key = BTreeMap::from([("-x".to_string(), String::new())]);
        assert!(
            validate(Some(&bad_key))[0]
                .body
                .starts_with("Invalid value: \"-x\"")
        );
        // Upper case is fine: the key is checked lower-cased.
        let upper = BTreeMap::from([("Team.Example/Owner".to_string(), String::new())]);
        assert!(validate(Some(&upper)).is_empty());
    }
}
