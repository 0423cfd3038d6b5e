//! Field selectors (`spec.nodeName=n1,status.phase!=Running`) as apimachinery's `fields` parses them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SelectorError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FieldOp {
    Equals,
    NotEquals,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldRequirement {
    pub field: String,
    pub op: FieldOp,
    pub value: String,
}

impl FieldRequirement {
    /// `None` (field absent) compares as the empty string, like apimachinery's `fields.Set`.
    pub fn matches(&self, actual: Option<&str>) -> bool {
        let equal = actual.unwrap_or("") == self.value;
        match self.op {
            FieldOp::Equals => equal,
            FieldOp::NotEquals => !equal,
        }
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            FieldOp::Equals => "=",
            FieldOp::NotEquals => "!=",
        };
        f.write_str(&self.field)?;
        f.write_str(op)?;
        for c in self.value.chars() {
            if matches!(c, '\\' | ',' | '=') {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Field requirements ANDed together, in the order written; none selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    pub fn everything() -> Self {
        FieldSelector::default()
    }

    /// Accepts `a=b`, `a==b`, `a!=b`, comma-separated; `\,`, `\=` and `\\` escape inside values.
    /// Unlike the API server, spaces around a field name or value are dropped (filter-bar friendly).
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let error = |problem: String| SelectorError::Field {
            text: text.to_owned(),
            problem,
        };
        let mut requirements = Vec::new();
        for term in split_unescaped_commas(text) {
            let term = term.trim();
            // apimachinery skips empty terms, so `a=b,` is fine.
            if term.is_empty() {
                continue;
            }
            let Some((field, op, value)) = split_term(term) else {
                return Err(error(format!("{term:?} has no operator (=, == or !=)")));
            };
            let field = field.trim();
            if field.is_empty() {
                return Err(error(format!("{term:?} has no field name")));
            }
            let value = unescape(value.trim()).map_err(error)?;
            requirements.push(FieldRequirement {
                field: field.to_owned(),
                op,
                value,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// Looks each field up through `get`; a `None` compares as the empty string. Callers that
    /// must reject unknown fields (as the API server does) check [`FieldSelector::fields`] first.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements
            .iter()
            .all(|r| r.matches(get(&r.field).as_deref()))
    }

    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// The distinct field names used, in first-use order.
    pub fn fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = Vec::new();
        for r in &self.requirements {
            if !fields.contains(&r.field.as_str()) {
                fields.push(&r.field);
            }
        }
        fields
    }
}

fn split_unescaped_commas(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Splits at the first unescaped `!=`, `==` or `=`.
fn split_term(term: &str) -> Option<(&str, FieldOp, &str)> {
    let mut escaped = false;
    for (i, c) in term.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        let rest = &term[i..];
        if c == '\\' {
            escaped = true;
        } else if let Some(value) = rest.strip_prefix("!=") {
            return Some((&term[..i], FieldOp::NotEquals, value));
        } else if let Some(value) = rest.strip_prefix("==") {
            return Some((&term[..i], FieldOp::Equals, value));
        } else if let Some(value) = rest.strip_prefix('=') {
            return Some((&term[..i], FieldOp::Equals, value));
        }
    }
    None
}

fn unescape(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | ',' | '=')) => out.push(e),
                Some(e) => {
                    return Err(format!(
                        "invalid escape sequence \"\\{e}\" in value {value:?} (only \\\\, \\, and \\= are allowed)"
                    ));
                }
                None => return Err(format!("value {value:?} ends with a lone \"\\\"")),
            },
            '=' | ',' => {
                return Err(format!(
                    "value {value:?} contains an unescaped {c:?}; write \\{c}"
                ));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

selector_text_impls!(FieldSelector);

#[cfg(test)]
mod tests {
    use super::*;

    type Req = (String, FieldOp, String);

    fn reqs(text: &str) -> Vec<Req> {
        FieldSelector::parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .requirements
            .into_iter()
            .map(|r| (r.field, r.op, r.value))
            .collect()
    }

    fn req(field: &str, op: FieldOp, value: &str) -> Req {
        (field.to_owned(), op, value.to_owned())
    }

    #[test]
    fn parses_operators_and_escapes() {
        use FieldOp::*;
        let cases: &[(&str, Vec<Req>)] = &[
            ("", vec![]),
            (" , ", vec![]),
            ("spec.nodeName=n1", vec![req("spec.nodeName", Equals, "n1")]),
            (
                "spec.nodeName==n1",
                vec![req("spec.nodeName", Equals, "n1")],
            ),
            (
                "status.phase!=Running",
                vec![req("status.phase", NotEquals, "Running")],
            ),
            ("spec.nodeName=", vec![req("spec.nodeName", Equals, "")]),
            (
                "a=1, b != 2,",
                vec![req("a", Equals, "1"), req("b", NotEquals, "2")],
            ),
            (r"a=x\,y\=z\\", vec![req("a", Equals, r"x,y=z\")]),
        ];
        for (text, want) in cases {
            assert_eq!(&reqs(text), want, "{text:?}");
        }
    }

    #[test]
    fn rejects_with_messages_naming_the_text() {
        let cases = [
            (
                "a",
                r#"invalid field selector "a": "a" has no operator (=, == or !=)"#,
            ),
            (
                "=b",
                r#"invalid field selector "=b": "=b" has no field name"#,
            ),
            (
                "a=b=c",
                r#"invalid field selector "a=b=c": value "b=c" contains an unescaped '='; write \="#,
            ),
            (
                r"a=\x",
                r#"invalid field selector "a=\\x": invalid escape sequence "\x" in value "\\x" (only \\, \, and \= are allowed)"#,
            ),
        ];
        for (text, want) in cases {
            let err = FieldSelector::parse(text).map(|_| ()).unwrap_err();
            assert_eq!(err.to_string(), want, "{text:?}");
        }
    }

    #[test]
    fn matches_with_caller_lookup_and_missing_as_empty() {
        let lookup = |field: &str| match field {
            "spec.nodeName" => Some("n1".to_owned()),
            "status.phase" => Some("Running".to_owned()),
            _ => None,
        };
        let cases = [
            ("", true),
            ("spec.nodeName=n1", true),
            ("spec.nodeName=n2", false),
            ("spec.nodeName!=n2,status.phase=Running", true),
            ("spec.nodeName=n1,status.phase!=Running", false),
            ("metadata.unknown=", true),
            ("metadata.unknown!=", false),
        ];
        for (text, want) in cases {
            let sel = FieldSelector::parse(text).unwrap();
            assert_eq!(sel.matches(lookup), want, "{text:?}");
        }
    }

    #[test]
    fn prints_canonically_and_round_trips() {
        let cases = [
            ("a==1,b != 2", "a=1,b!=2"),
            (r"a=x\,y", r"a=x\,y"),
            (r"a=\\\=", r"a=\\\="),
            ("", ""),
        ];
        for (text, want) in cases {
            let sel = FieldSelector::parse(text).unwrap();
            assert_eq!(sel.to_string(), want, "{text:?}");
            assert_eq!(FieldSelector::parse(want).unwrap(), sel, "{want:?}");
        }
    }

    #[test]
    fn lists_distinct_fields() {
        let sel = FieldSelector::parse("b=1,a=2,b!=3").unwrap();
        assert_eq!(sel.fields(), vec!["b", "a"]);
        assert!(FieldSelector::parse("").unwrap().is_everything());
    }
}
