//! The `/` filter: plain text (case-insensitive substring), or a kubectl label selector when the
//! text starts with `-l ` or reads as one (`app=x`, `tier in (a,b)`, `!canary`). A text that
//! reads as a selector but does not parse is an error, never a text filter: as text it would
//! match nothing and show an empty table without saying why.

use std::collections::BTreeMap;

use herd_core::model::selector::LabelSelector;

#[derive(Debug, Clone)]
pub enum Filter {
    All,
    Text(String),
    Labels(LabelSelector),
}

/// A filter that cannot be used, with the reason (shown in the flash line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Filter::All);
        }
        let selector = match text.strip_prefix("-l") {
            Some(selector) => selector.trim(),
            None if looks_like_selector(text) => text,
            None => return Ok(Filter::Text(text.to_lowercase())),
        };
        // The selector's own error, so the words are the ones `herd check -l` gives.
        LabelSelector::parse(selector)
            .map(Filter::Labels)
            .map_err(|e| FilterError(e.to_string()))
    }

    /// Whether a row with these searchable texts and labels passes.
    pub fn matches<'a>(
        &self,
        texts: impl IntoIterator<Item = &'a str>,
        labels: Option<&BTreeMap<String, String>>,
    ) -> bool {
        match self {
            Filter::All => true,
            Filter::Text(needle) => texts
                .into_iter()
                .any(|t| t.to_lowercase().contains(needle.as_str())),
            Filter::Labels(selector) => labels.is_some_and(|l| selector.matches(l)),
        }
    }
}

fn looks_like_selector(text: &str) -> bool {
    text.contains('=') || text.contains(" in ") || text.contains(" notin ") || text.starts_with('!')
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
    fn text_filters_match_any_column_case_insensitively() {
        let f = Filter::parse("FLU").expect("text");
        assert!(f.matches(["logging", "fluent-bit"], None));
        assert!(!f.matches(["monitoring", "node-exporter"], None));
    }

    #[test]
    fn selectors_are_recognised_with_and_without_dash_l() {
        let l = labels(&[("app", "falco"), ("tier", "security")]);
        for text in [
            "app=falco",
            "-l app=falco",
            "tier in (security,net)",
            "-l !canary",
        ] {
            let f = Filter::parse(text).expect(text);
            assert!(matches!(f, Filter::Labels(_)), "{text}");
            assert!(f.matches(["x"], Some(&l)), "{text}");
        }
        let f = Filter::parse("app!=falco").expect("selector");
        assert!(!f.matches(["x"], Some(&l)));
    }

    #[test]
    fn a_malformed_selector_is_an_error_naming_it_with_or_without_dash_l() {
        for (text, selector) in [("-l app in (a", "app in (a"), ("app in (a", "app in (a")] {
            let err = Filter::parse(text).expect_err("malformed");
            let words = LabelSelector::parse(selector).expect_err("malformed");
            assert_eq!(err.0, words.to_string(), "the selector's own words");
            assert!(err.0.contains("app in (a"), "{}", err.0);
        }
    }

    #[test]
    fn plain_text_that_is_not_selector_shaped_stays_a_text_filter() {
        let f = Filter::parse("node exporter").expect("text");
        assert!(matches!(f, Filter::Text(_)));
    }
}
