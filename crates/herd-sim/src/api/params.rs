//! The query parameters of Kubernetes API requests, read leniently (unknown ones are ignored)
//! and checked strictly (a malformed number is a 400, as upstream).

use std::str::FromStr;

use axum::extract::Query;
use axum::http::Uri;
use serde::Deserialize;

use super::selector::{FieldSelector, LabelSelector};
use super::status::ApiError;
use crate::Kind;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<String>,
    #[serde(rename = "continue")]
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub watch: Option<String>,
    pub allow_watch_bookmarks: Option<String>,
    pub timeout_seconds: Option<String>,
    pub resource_version_match: Option<String>,
    // pods/log
    pub container: Option<String>,
    pub follow: Option<String>,
    pub previous: Option<String>,
    pub timestamps: Option<String>,
    pub tail_lines: Option<String>,
    pub since_seconds: Option<String>,
    pub since_time: Option<String>,
    pub limit_bytes: Option<String>,
    pub dry_run: Option<String>,
    pub grace_period_seconds: Option<String>,
    pub propagation_policy: Option<String>,
    pub include_object: Option<String>,
    pub field_manager: Option<String>,
}

impl Params {
    pub fn from_uri(uri: &Uri) -> Result<Self, ApiError> {
        Query::<Params>::try_from_uri(uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::bad_request(format!("invalid query parameters: {e}")))
    }

    pub fn is_watch(&self) -> bool {
        flag(self.watch.as_deref())
    }

    pub fn bookmarks(&self) -> bool {
        flag(self.allow_watch_bookmarks.as_deref())
    }

    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.dry_run.as_deref() {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "dryRun {other:?} is not supported: the only valid value is \"All\""
            ))),
        }
    }

    pub fn limit(&self) -> Result<Option<usize>, ApiError> {
        // As upstream, a limit of 0 or below is no limit.
        Ok(number::<i64>("limit", self.limit.as_deref())?
            .filter(|n| *n > 0)
            .and_then(|n| usize::try_from(n).ok()))
    }

    pub fn timeout_seconds(&self) -> Result<Option<u64>, ApiError> {
        number("timeoutSeconds", self.timeout_seconds.as_deref())
    }

    pub fn grace_period_seconds(&self) -> Result<Option<i64>, ApiError> {
        number("gracePeriodSeconds", self.grace_period_seconds.as_deref())
    }

    pub fn labels(&self) -> Result<LabelSelector, ApiError> {
        LabelSelector::parse(self.label_selector.as_deref().unwrap_or(""))
    }

    pub fn fields(&self, kind: Kind) -> Result<FieldSelector, ApiError> {
        FieldSelector::parse(self.field_selector.as_deref().unwrap_or(""), kind)
    }

    /// The requested resourceVersion as a number; `None` for "" (most recent) and "0" (any).
    /// One that is not a number is a 400 in the words of upstream's storage layer
    /// (`ParseResourceVersion` in k8s.io/apiserver/pkg/storage/api_object_versioner.go).
    pub fn resource_version(&self) -> Result<Option<u64>, ApiError> {
        match self.resource_version.as_deref() {
            None | Some("") | Some("0") => Ok(None),
            Some(rv) => rv.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!(
                    "resourceVersion: Invalid value: {rv:?}: strconv.ParseUint: parsing {rv:?}: invalid syntax"
                ))
            }),
        }
    }

    /// A list's options checked as upstream's `ValidateListOptions` does
    /// (k8s.io/apimachinery/pkg/apis/meta/internalversion/validation/validation.go): a 422
    /// naming `ListOptions.meta.k8s.io` with one cause per problem with resourceVersionMatch.
    pub fn check_list(&self) -> Result<(), ApiError> {
        self.timeout_seconds()?;
        self.resource_version()?;
        let Some(wanted) = self
            .resource_version_match
            .as_deref()
            .filter(|m| !m.is_empty())
        else {
            return Ok(());
        };
        let rv = self.resource_version.as_deref().unwrap_or("");
        let mut causes = Vec::new();
        let mut forbid = |body: &str| {
            causes.push(crate::admission::Cause {
                kind: "FieldValueForbidden",
                field: "resourceVersionMatch".into(),
                body: format!("Forbidden: {body}"),
            })
        };
        if rv.is_empty() {
            forbid("resourceVersionMatch is forbidden unless resourceVersion is provided");
        }
        if self
            .continue_token
            .as_deref()
            .is_some_and(|c| !c.is_empty())
        {
            forbid("resourceVersionMatch is forbidden when continue is provided");
        }
        if wanted == "Exact" && rv == "0" {
            forbid("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
        }
        if wanted != "Exact" && wanted != "NotOlderThan" {
            causes.push(crate::admission::Cause {
                kind: "FieldValueNotSupported",
                field: "resourceVersionMatch".into(),
                body: format!(
                    "Unsupported value: {wanted:?}: supported values: \"Exact\", \"NotOlderThan\", \"\""
                ),
            });
        }
        if causes.is_empty() {
            return Ok(());
        }
        let message = format!(
            "ListOptions.meta.k8s.io \"\" is invalid: {}",
            crate::admission::aggregate(&causes)
        );
        Err(ApiError::invalid_of(
            "meta.k8s.io",
            "ListOptions",
            "",
            message,
            &causes,
        ))
    }
}

pub(super) fn flag(value: Option<&str>) -> bool {
    matches!(value, Some("true" | "1"))
}

/// A number parameter, `None` when absent; one that does not parse is a 400 in upstream's
/// words.
pub(super) fn number<T: FromStr>(name: &str, value: Option<&str>) -> Result<Option<T>, ApiError> {
    match value {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            // Upstream's query decoding fails in strconv's words.
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "{name}: strconv.ParseInt: parsing {v:?}: invalid syntax"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_watch_and_paging_parameters() {
        let uri: Uri = "/api/v1/pods?watch=1&limit=5&continue=abc&resourceVersion=12&allowWatchBookmarks=true&x=y"
            .parse()
            .expect("uri");
        let p = Params::from_uri(&uri).expect("params");
        assert!(p.is_watch() && p.bookmarks());
        assert_eq!(p.limit().expect("limit"), Some(5));
        assert_eq!(p.continue_token.as_deref(), Some("abc"));
        assert_eq!(p.resource_version().expect("rv"), Some(12));
        let bad: Uri = "/api/v1/pods?limit=many".parse().expect("uri");
        assert_eq!(
            Params::from_uri(&bad)
                .expect("params")
                .limit()
                .map_err(|e| e.code),
            Err(400)
        );
    }
}
