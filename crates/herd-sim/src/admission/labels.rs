//! Label keys and values as the API server checks them on every object (upstream
//! `ValidateLabels` in k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go, over
//! `IsQualifiedName` and `IsValidLabelValue` in k8s.io/apimachinery/pkg/util/validation), with
//! upstream's words: the field is the labels map, the value the key or value at fault.

use std::collections::BTreeMap;

use super::Cause;

const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const MAX_LENGTH: usize = 63;

/// Upstream's `RegexError`: the message, the examples (joined by `', ` and ` or `, hence the
/// two spaces), and the regex.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let b = label.as_bytes();
        let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(edge)
            && b.last().is_some_and(edge)
            && b.iter().all(|c| edge(c) || *c == b'-')
    })
}

/// Upstream `IsQualifiedName`.
pub(super) fn qualified_name(key: &str) -> Vec<String> {
    let parts: Vec<&str> = key.split('/').collect();
    let mut errs = Vec::new();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                if prefix.len() > 253 {
                    errs.push(format!("prefix part {}", max_len_error(253)));
                }
                if !is_dns1123_subdomain(prefix) {
                    errs.push(format!(
                        "prefix part {}",
                        regex_error(
                            DNS1123_SUBDOMAIN_MSG,
                            DNS1123_SUBDOMAIN_FMT,
                            &["example.com"]
                        )
                    ));
                }
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            )];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > MAX_LENGTH {
        errs.push(format!("name part {}", max_len_error(MAX_LENGTH)));
    }
    if !is_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Upstream `IsValidLabelValue`.
fn label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > MAX_LENGTH {
        errs.push(max_len_error(MAX_LENGTH));
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            &format!("({QUALIFIED_NAME_FMT})?"),
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Every problem with `labels`, at `path` (`metadata.labels`, `spec.template.spec.nodeSelector`).
pub fn validate(labels: Option<&BTreeMap<String, String>>, path: &str) -> Vec<Cause> {
    let mut out = Vec::new();
    for (key, value) in labels.into_iter().flatten() {
        for msg in qualified_name(key) {
            out.push(Cause {
                kind: "FieldValueInvalid",
                field: path.to_string(),
                body: format!("Invalid value: {key:?}: {msg}"),
            });
        }
        for msg in label_value(value) {
            out.push(Cause {
                kind: "FieldValueInvalid",
                field: path.to_string(),
                body: format!("Invalid value: {value:?}: {msg}"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_value_of_64_characters_is_refused_in_upstreams_words() {
        let long = "a".repeat(64);
        let labels = BTreeMap::from([("app".to_string(), long.clone())]);
        let causes = validate(Some(&labels), "metadata.labels");
        assert_eq!(causes.len(), 1);
        assert_eq!(
            causes[0].body,
            format!("Invalid value: \"{long}\": must be no more than 63 characters")
        );
        let bad = BTreeMap::from([("app".to_string(), "-x".to_string())]);
        assert_eq!(
            validate(Some(&bad), "metadata.labels")[0].body,
            "Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        let key = BTreeMap::from([("Example.com/x".to_string(), String::new())]);
        assert!(validate(Some(&key), "metadata.labels")[0].body.starts_with(
            "Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain"
        ));
        let fine = BTreeMap::from([
            ("kubernetes.io/hostname".to_string(), "gpu-01".to_string()),
            ("empty".to_string(), String::new()),
        ]);
        assert!(validate(Some(&fine), "metadata.labels").is_empty());
    }
}
