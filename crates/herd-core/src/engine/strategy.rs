//! Native update-strategy edits (`herd rollout strategy`): what a person asks for, merged with
//! the DaemonSet's strategy as it is and checked with the API server's own rules
//! (`ValidateDaemonSetUpdateStrategy`, `ValidateRollingUpdateDaemonSet` and the
//! `minReadySeconds` check of `ValidateDaemonSetSpec`), so a bad edit is refused before anything
//! is sent, in the server's words and naming the same field path.

use std::fmt;

use serde_json::{Value, json};

use super::record::Restore;

const STRATEGY: &str = "spec.updateStrategy";
const MAX_UNAVAILABLE: &str = "spec.updateStrategy.rollingUpdate.maxUnavailable";
const MAX_SURGE: &str = "spec.updateStrategy.rollingUpdate.maxSurge";
const ROLLING_UPDATE: &str = "spec.updateStrategy.rollingUpdate";
const MIN_READY_SECONDS: &str = "spec.minReadySeconds";

/// The type a person switches to (`--rolling-update`, `--on-delete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    RollingUpdate,
    OnDelete,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::RollingUpdate => "RollingUpdate",
            Kind::OnDelete => "OnDelete",
        }
    }
}

/// What a person asked for, as typed: each `None` keeps what the DaemonSet has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub kind: Option<Kind>,
    pub max_unavailable: Option<String>,
    pub max_surge: Option<String>,
    pub min_ready_seconds: Option<String>,
}

/// The DaemonSet's strategy as the API has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub strategy: Restore,
    pub min_ready_seconds: i64,
}

/// An `IntOrString` as the API server reads one from a flag: an integer when it parses as one
/// (as `intstr.Parse` does), else a string that must be a percentage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amount {
    Int(i64),
    Percent(i64),
}

impl Amount {
    /// The value upstream's `getIntOrPercentValue` compares with 0.
    fn value(&self) -> i64 {
        match self {
            Amount::Int(n) | Amount::Percent(n) => *n,
        }
    }

    fn json(&self) -> Value {
        match self {
            Amount::Int(n) => json!(n),
            Amount::Percent(p) => json!(format!("{p}%")),
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Int(n) => write!(f, "{n}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// One refused field, printed as the API server prints a `field.Error`
/// (`spec.x: Invalid value: "y": reason`), so what herd says matches what kubectl would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {what}{detail}")]
pub struct FieldError {
    pub path: &'static str,
    /// `Invalid value: "y": `, `Required value: ` or `Forbidden: `.
    what: String,
    pub detail: String,
}

impl FieldError {
    fn invalid(path: &'static str, value: &str, detail: impl Into<String>) -> Self {
        // Upstream quotes a string value and prints a number bare.
        let shown = if value.parse::<i64>().is_ok() {
            value.to_string()
        } else {
            format!("{value:?}")
        };
        FieldError {
            path,
            what: format!("Invalid value: {shown}: "),
            detail: detail.into(),
        }
    }

    fn required(path: &'static str, detail: impl Into<String>) -> Self {
        FieldError {
            path,
            what: "Required value: ".into(),
            detail: detail.into(),
        }
    }

    fn forbidden(path: &'static str, detail: impl Into<String>) -> Self {
        FieldError {
            path,
            what: "Forbidden: ".into(),
            detail: detail.into(),
        }
    }
}

/// The strategy to write: every field of it, as the DaemonSet will have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    pub kind: Kind,
    /// maxUnavailable and maxSurge, for RollingUpdate.
    pub rolling: Option<(Amount, Amount)>,
    /// Only when the edit sets it.
    pub min_ready_seconds: Option<i64>,
}

impl Strategy {
    /// The JSON merge patch that writes it (without the resourceVersion precondition).
    pub fn patch(&self) -> Value {
        let mut update = json!({"type": self.kind.as_str(), "rollingUpdate": null});
        if let Some((unavailable, surge)) = &self.rolling {
            update["rollingUpdate"] = json!({
                "maxUnavailable": unavailable.json(),
                "maxSurge": surge.json(),
            });
        }
        let mut spec = json!({"updateStrategy": update});
        if let Some(seconds) = self.min_ready_seconds {
            spec["minReadySeconds"] = json!(seconds);
        }
        json!({"spec": spec})
    }

    /// `RollingUpdate (maxUnavailable 2, maxSurge 0), minReadySeconds 10`.
    pub fn describe(&self) -> String {
        let mut text = self.kind.as_str().to_string();
        if let Some((unavailable, surge)) = &self.rolling {
            text.push_str(&format!(
                " (maxUnavailable {unavailable}, maxSurge {surge})"
            ));
        }
        if let Some(seconds) = self.min_ready_seconds {
            text.push_str(&format!(", minReadySeconds {seconds}"));
        }
        text
    }

    /// Whether writing it would change nothing.
    pub fn same_as(&self, current: &Current) -> bool {
        let kind = match current.strategy.kind.as_str() {
            "OnDelete" => Kind::OnDelete,
            _ => Kind::RollingUpdate,
        };
        let read = |v: &Option<String>| v.as_deref().and_then(|t| amount("", t).ok());
        let rolling_same = match &self.rolling {
            None => true,
            Some((u, s)) => {
                read(&current.strategy.max_unavailable).as_ref() == Some(u)
                    && read(&current.strategy.max_surge).as_ref() == Some(s)
            }
        };
        kind == self.kind
            && rolling_same
            && self
                .min_ready_seconds
                .is_none_or(|s| s == current.min_ready_seconds)
    }
}

/// Checks what each flag says on its own, before anything is read from the cluster: a
/// malformed, negative or over-100 % value, or no change asked for at all.
pub fn check_flags(edit: &Edit) -> Result<(), FieldError> {
    if edit == &Edit::default() {
        return Err(FieldError::required(
            STRATEGY,
            "nothing to change: give --max-unavailable, --max-surge, --min-ready-seconds, \
             --on-delete or --rolling-update",
        ));
    }
    if let Some(text) = &edit.max_unavailable {
        amount(MAX_UNAVAILABLE, text)?;
    }
    if let Some(text) = &edit.max_surge {
        amount(MAX_SURGE, text)?;
    }
    if let Some(text) = &edit.min_ready_seconds {
        min_ready_seconds(text)?;
    }
    // Upstream ignores rollingUpdate under OnDelete; herd refuses to send what would be ignored.
    if edit.kind == Some(Kind::OnDelete)
        && (edit.max_unavailable.is_some() || edit.max_surge.is_some())
    {
        return Err(FieldError::forbidden(
            ROLLING_UPDATE,
            "may not be set when type is OnDelete (the controller ignores it)",
        ));
    }
    Ok(())
}

/// The strategy the DaemonSet will have after `edit`, checked as the API server checks it.
pub fn apply(current: &Current, edit: &Edit) -> Result<Strategy, FieldError> {
    check_flags(edit)?;
    let kind = edit.kind.unwrap_or(match current.strategy.kind.as_str() {
        "OnDelete" => Kind::OnDelete,
        _ => Kind::RollingUpdate,
    });
    let min_ready_seconds = edit
        .min_ready_seconds
        .as_deref()
        .map(min_ready_seconds)
        .transpose()?;
    let rolling = match kind {
        Kind::OnDelete if edit.max_unavailable.is_some() || edit.max_surge.is_some() => {
            return Err(FieldError::forbidden(
                ROLLING_UPDATE,
                "may not be set when type is OnDelete (the controller ignores it): \
                 give --rolling-update too",
            ));
        }
        Kind::OnDelete => None,
        Kind::RollingUpdate => {
            // What the DaemonSet has where the edit says nothing; upstream's defaults (1 and 0,
            // SetDefaults_DaemonSet) for a DaemonSet that was OnDelete and has none.
            let kept = |given: &Option<String>, had: &Option<String>, path, default| match given
                .as_deref()
                .or(had.as_deref())
            {
                Some(text) => amount(path, text),
                None => Ok(Amount::Int(default)),
            };
            let unavailable = kept(
                &edit.max_unavailable,
                &current.strategy.max_unavailable,
                MAX_UNAVAILABLE,
                1,
            )?;
            let surge = kept(&edit.max_surge, &current.strategy.max_surge, MAX_SURGE, 0)?;
            // Exactly one of the two is non-zero (ValidateRollingUpdateDaemonSet).
            match (unavailable.value() != 0, surge.value() != 0) {
                (true, true) => {
                    let mut e = FieldError::invalid(
                        MAX_SURGE,
                        &surge.to_string(),
                        "may not be set when maxUnavailable is non-zero",
                    );
                    if edit.max_unavailable.is_none() {
                        e.detail.push_str(&format!(
                            " (it is {unavailable}: give --max-unavailable 0 with it)"
                        ));
                    }
                    return Err(e);
                }
                (false, false) => {
                    return Err(FieldError::required(
                        MAX_UNAVAILABLE,
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
                _ => {}
            }
            Some((unavailable, surge))
        }
    };
    Ok(Strategy {
        kind,
        rolling,
        min_ready_seconds,
    })
}

/// maxUnavailable or maxSurge as typed: `ValidatePositiveIntOrPercent` and
/// `IsNotMoreThan100Percent`.
fn amount(path: &'static str, text: &str) -> Result<Amount, FieldError> {
    if let Ok(n) = text.parse::<i64>() {
        // The field is an int32 on the wire.
        if i32::try_from(n).is_err() {
            return Err(FieldError::invalid(
                path,
                text,
                "must be a 32-bit integer or a percentage (e.g. '5%')",
            ));
        }
        if n < 0 {
            return Err(FieldError::invalid(
                path,
                text,
                "must be greater than or equal to 0",
            ));
        }
        return Ok(Amount::Int(n));
    }
    // `IsValidPercent`: ^[0-9]+%$.
    let percent = text
        .strip_suffix('%')
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    let Some(digits) = percent else {
        return Err(FieldError::invalid(
            path,
            text,
            "a valid percent string must be a numeric string followed by an ending '%' \
             (e.g. '1%' or '93%')",
        ));
    };
    match digits.parse::<i64>() {
        Ok(p) if p <= 100 => Ok(Amount::Percent(p)),
        _ => Err(FieldError::invalid(
            path,
            text,
            "must not be greater than 100%",
        )),
    }
}

/// `ValidateNonnegativeField(spec.minReadySeconds)`, an int32.
fn min_ready_seconds(text: &str) -> Result<i64, FieldError> {
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err(FieldError::invalid(
            MIN_READY_SECONDS,
            text,
            "must be greater than or equal to 0",
        )),
        Ok(n) if i32::try_from(n).is_ok() => Ok(n),
        _ => Err(FieldError::invalid(
            MIN_READY_SECONDS,
            text,
            "must be a whole number of seconds, at most 2147483647",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(kind: &str, unavailable: Option<&str>, surge: Option<&str>) -> Current {
        Current {
            strategy: Restore {
                kind: kind.into(),
                max_unavailable: unavailable.map(str::to_string),
                max_surge: surge.map(str::to_string),
            },
            min_ready_seconds: 0,
        }
    }

    fn edit(unavailable: Option<&str>, surge: Option<&str>) -> Edit {
        Edit {
            max_unavailable: unavailable.map(str::to_string),
            max_surge: surge.map(str::to_string),
            ..Edit::default()
        }
    }

    #[test]
    fn rejected_edits_name_the_field_and_the_rule() {
        let rolling = current("RollingUpdate", Some("1"), Some("0"));
        let cases: &[(Edit, &str)] = &[
            (
                edit(Some("0"), Some("0")),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 \
                 when maxSurge is 0",
            ),
            (
                edit(Some("0%"), None),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 \
                 when maxSurge is 0",
            ),
            (
                edit(Some("-1"), None),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be \
                 greater than or equal to 0",
            ),
            (
                edit(Some("150%"), None),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"150%\": \
                 must not be greater than 100%",
            ),
            (
                edit(Some("ten"), None),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"ten\": a \
                 valid percent string must be a numeric string followed by an ending '%' \
                 (e.g. '1%' or '93%')",
            ),
            (
                edit(Some("-5%"), None),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"-5%\": a \
                 valid percent string",
            ),
            (
                edit(Some("3000000000"), None),
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 3000000000: \
                 must be a 32-bit integer",
            ),
            (
                edit(Some("0"), Some("-2")),
                "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: -2: must be \
                 greater than or equal to 0",
            ),
            (
                edit(Some("0"), Some("101%")),
                "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: \"101%\": must not \
                 be greater than 100%",
            ),
            (
                edit(Some("2"), Some("1")),
                "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set \
                 when maxUnavailable is non-zero",
            ),
            // The DaemonSet's own maxUnavailable of 1 still counts.
            (
                edit(None, Some("10%")),
                "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: \"10%\": may not be \
                 set when maxUnavailable is non-zero (it is 1: give --max-unavailable 0 with it)",
            ),
            (
                Edit {
                    min_ready_seconds: Some("-1".into()),
                    ..Edit::default()
                },
                "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
            ),
            (
                Edit {
                    min_ready_seconds: Some("soon".into()),
                    ..Edit::default()
                },
                "spec.minReadySeconds: Invalid value: \"soon\": must be a whole number",
            ),
            (
                Edit {
                    kind: Some(Kind::OnDelete),
                    max_unavailable: Some("2".into()),
                    ..Edit::default()
                },
                "spec.updateStrategy.rollingUpdate: Forbidden: may not be set when type is \
                 OnDelete",
            ),
            (
                Edit::default(),
                "spec.updateStrategy: Required value: nothing to change",
            ),
        ];
        for (edit, says) in cases {
            let e = apply(&rolling, edit).expect_err(says);
            assert!(e.to_string().starts_with(says), "{edit:?}: {e}");
        }
    }

    #[test]
    fn rollingupdate_fields_on_an_ondelete_daemonset_need_rolling_update() {
        let on_delete = current("OnDelete", None, None);
        let e = apply(&on_delete, &edit(Some("2"), None)).expect_err("ignored fields");
        assert!(e.to_string().contains("give --rolling-update too"), "{e}");
        // With --rolling-update the unset field takes upstream's default.
        let s = apply(
            &on_delete,
            &Edit {
                kind: Some(Kind::RollingUpdate),
                ..edit(Some("2"), None)
            },
        )
        .expect("valid");
        assert_eq!(s.rolling, Some((Amount::Int(2), Amount::Int(0))));
        let s = apply(
            &on_delete,
            &Edit {
                kind: Some(Kind::RollingUpdate),
                ..Edit::default()
            },
        )
        .expect("valid");
        assert_eq!(s.rolling, Some((Amount::Int(1), Amount::Int(0))));
    }

    #[test]
    fn accepted_edits_keep_what_they_do_not_name() {
        let rolling = current("RollingUpdate", Some("10%"), Some("0"));
        let cases: &[(Edit, &str, Value)] = &[
            (
                edit(Some("3"), None),
                "RollingUpdate (maxUnavailable 3, maxSurge 0)",
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 3, "maxSurge": 0}}}}),
            ),
            (
                edit(Some("0"), Some("25%")),
                "RollingUpdate (maxUnavailable 0, maxSurge 25%)",
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}}}),
            ),
            (
                edit(Some("100%"), None),
                "RollingUpdate (maxUnavailable 100%, maxSurge 0)",
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "100%", "maxSurge": 0}}}}),
            ),
            (
                Edit {
                    min_ready_seconds: Some("30".into()),
                    ..Edit::default()
                },
                "RollingUpdate (maxUnavailable 10%, maxSurge 0), minReadySeconds 30",
                json!({"spec": {"minReadySeconds": 30, "updateStrategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0}}}}),
            ),
            (
                Edit {
                    kind: Some(Kind::OnDelete),
                    min_ready_seconds: Some("0".into()),
                    ..Edit::default()
                },
                "OnDelete, minReadySeconds 0",
                json!({"spec": {"minReadySeconds": 0,
                    "updateStrategy": {"type": "OnDelete", "rollingUpdate": null}}}),
            ),
        ];
        for (edit, described, patch) in cases {
            let s = apply(&rolling, edit).unwrap_or_else(|e| panic!("{edit:?}: {e}"));
            assert_eq!(&s.describe(), described, "{edit:?}");
            assert_eq!(&s.patch(), patch, "{edit:?}");
        }
    }

    #[test]
    fn an_edit_to_what_is_already_there_changes_nothing() {
        let rolling = current("RollingUpdate", Some("1"), Some("0"));
        let same = apply(&rolling, &edit(Some("1"), None)).expect("valid");
        assert!(same.same_as(&rolling));
        let other = apply(&rolling, &edit(Some("2"), None)).expect("valid");
        assert!(!other.same_as(&rolling));
    }
}
