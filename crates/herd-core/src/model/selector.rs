//! Label and field selectors in kubectl's grammar: parsing, printing and matching.
//!
//! Label selectors follow apimachinery's `labels.Parse` and `labels.NewRequirement`; field
//! selectors follow `fields.ParseSelector`. Both print in the canonical form that parses back.

/// Display (the canonical kubectl text, comma-joined), `FromStr` and serde-as-text for a
/// selector type with a `requirements` list and a `parse` constructor: configs and snapshots
/// then read exactly like kubectl.
macro_rules! selector_text_impls {
    ($selector:ty) => {
        impl fmt::Display for $selector {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for (i, req) in self.requirements.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{req}")?;
                }
                Ok(())
            }
        }

        impl FromStr for $selector {
            type Err = SelectorError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$selector>::parse(text)
            }
        }

        impl Serialize for $selector {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $selector {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                <$selector>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

mod field;
mod parse;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use field::{FieldOp, FieldRequirement, FieldSelector};

/// A selector that could not be parsed or built; `text` is what the person wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("invalid label selector {text:?}: {problem}")]
    Label { text: String, problem: String },
    #[error("invalid field selector {text:?}: {problem}")]
    Field { text: String, problem: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SelectorOp {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl SelectorOp {
    /// The operator as the API spells it, used in error messages.
    fn api_name(self) -> &'static str {
        match self {
            SelectorOp::Equals => "=",
            SelectorOp::NotEquals => "!=",
            SelectorOp::In => "In",
            SelectorOp::NotIn => "NotIn",
            SelectorOp::Exists => "Exists",
            SelectorOp::DoesNotExist => "DoesNotExist",
            SelectorOp::Gt => "Gt",
            SelectorOp::Lt => "Lt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    pub values: Vec<String>,
}

impl Requirement {
    /// Validates like apimachinery's `NewRequirement`; the error is the problem text only.
    /// In/NotIn values are sorted and deduplicated, as apimachinery keeps them in a set.
    fn checked(key: &str, op: SelectorOp, mut values: Vec<String>) -> Result<Self, String> {
        validate_label_key(key)?;
        let name = op.api_name();
        match op {
            SelectorOp::In | SelectorOp::NotIn if values.is_empty() => {
                return Err(format!("{name} needs at least one value"));
            }
            SelectorOp::Equals | SelectorOp::NotEquals if values.len() != 1 => {
                return Err(format!("{name} needs exactly one value"));
            }
            SelectorOp::Exists | SelectorOp::DoesNotExist if !values.is_empty() => {
                return Err(format!("{name} takes no values"));
            }
            SelectorOp::Gt | SelectorOp::Lt => match values.as_slice() {
                [v] if v.parse::<i64>().is_ok() => {}
                [v] => return Err(format!("{name} needs an integer value, found {v:?}")),
                _ => return Err(format!("{name} needs exactly one value")),
            },
            _ => {}
        }
        for value in &values {
            validate_label_value(value)?;
        }
        if matches!(op, SelectorOp::In | SelectorOp::NotIn) {
            values.sort();
            values.dedup();
        }
        Ok(Requirement {
            key: key.to_owned(),
            op,
            values,
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let actual = labels.get(&self.key);
        let listed = |v: &String| self.values.iter().any(|w| w == v);
        match self.op {
            SelectorOp::Equals | SelectorOp::In => actual.is_some_and(listed),
            SelectorOp::NotEquals | SelectorOp::NotIn => actual.is_none_or(|v| !listed(v)),
            SelectorOp::Exists => actual.is_some(),
            SelectorOp::DoesNotExist => actual.is_none(),
            SelectorOp::Gt | SelectorOp::Lt => {
                let (Some(have), Some(want)) = (
                    actual.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|v| v.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == SelectorOp::Gt {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        let first = self.values.first().map_or("", String::as_str);
        match self.op {
            SelectorOp::Equals => write!(f, "{key}={first}"),
            SelectorOp::NotEquals => write!(f, "{key}!={first}"),
            SelectorOp::In => write!(f, "{key} in ({})", self.values.join(",")),
            SelectorOp::NotIn => write!(f, "{key} notin ({})", self.values.join(",")),
            SelectorOp::Exists => write!(f, "{key}"),
            SelectorOp::DoesNotExist => write!(f, "!{key}"),
            SelectorOp::Gt => write!(f, "{key}>{first}"),
            SelectorOp::Lt => write!(f, "{key}<{first}"),
        }
    }
}

/// Requirements ANDed together; no requirement selects everything.
/// Requirements are kept sorted by key, as apimachinery does, so printing is canonical.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let requirements =
            parse::label_requirements(text).map_err(|problem| SelectorError::Label {
                text: text.to_owned(),
                problem,
            })?;
        Ok(LabelSelector { requirements })
    }

    /// Builds the selector of an API `LabelSelector` (`matchLabels` plus `matchExpressions`
    /// given as `(key, operator, values)` with the API operator names).
    pub fn from_parts(
        match_labels: &BTreeMap<String, String>,
        expressions: &[(String, String, Vec<String>)],
    ) -> Result<Self, SelectorError> {
        let mut requirements = Vec::with_capacity(match_labels.len() + expressions.len());
        for (key, value) in match_labels {
            let req = Requirement::checked(key, SelectorOp::Equals, vec![value.clone()]);
            requirements.push(req.map_err(|problem| SelectorError::Label {
                text: format!("{key}={value}"),
                problem,
            })?);
        }
        for (key, operator, values) in expressions {
            let text = || format!("{key} {operator} [{}]", values.join(", "));
            let op = match operator.as_str() {
                "In" => SelectorOp::In,
                "NotIn" => SelectorOp::NotIn,
                "Exists" => SelectorOp::Exists,
                "DoesNotExist" => SelectorOp::DoesNotExist,
                _ => {
                    return Err(SelectorError::Label {
                        text: text(),
                        problem: format!(
                            "operator {operator:?} is not one of In, NotIn, Exists, DoesNotExist"
                        ),
                    });
                }
            };
            let req = Requirement::checked(key, op, values.clone());
            requirements.push(req.map_err(|problem| SelectorError::Label {
                text: text(),
                problem,
            })?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

selector_text_impls!(LabelSelector);

const NAME_CHARS: &str =
    "must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit";

/// apimachinery's qualified-name part: `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// RFC 1123 subdomain as apimachinery checks it: total length and per-label shape.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            b.first().is_some_and(edge)
                && b.last().is_some_and(edge)
                && b.iter().all(|c| edge(c) || *c == b'-')
        })
}

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters.
pub fn validate_label_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("label key must not be empty".to_owned());
    }
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return Err(format!("label key {key:?} may contain at most one \"/\""));
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err(format!(
                "label key {key:?} has an empty prefix before \"/\""
            ));
        }
        if !is_dns_subdomain(prefix) {
            return Err(format!(
                "label key prefix {prefix:?} must be a lowercase DNS subdomain of at most 253 characters, such as example.com"
            ));
        }
    }
    if name.is_empty() {
        return Err(format!("label key {key:?} has an empty name after \"/\""));
    }
    if name.len() > 63 {
        return Err(format!(
            "label key name {name:?} is longer than 63 characters"
        ));
    }
    if !is_name_part(name) {
        return Err(format!("label key name {name:?} {NAME_CHARS}"));
    }
    Ok(())
}

/// A label value: empty, or at most 63 characters of the name alphabet.
pub fn validate_label_value(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err(format!(
            "label value {value:?} is longer than 63 characters"
        ));
    }
    if !value.is_empty() && !is_name_part(value) {
        return Err(format!("label value {value:?} {NAME_CHARS}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
