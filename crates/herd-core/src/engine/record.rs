//! The `herd.dev/rollout` annotation: everything a managed rollout needs to carry on after any
//! process dies — the revision it rolls out, the strategy to put back, the policy and the state
//! — as versioned JSON on the DaemonSet itself. An annotation of a version herd does not know,
//! or with fields it does not know, is refused rather than read partly and written back
//! without them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::policy::{PausePoint, Policy};

/// The annotation's key on the DaemonSet.
pub const ANNOTATION: &str = "herd.dev/rollout";
/// The schema version this herd reads and writes.
pub const VERSION: u32 = 1;
/// The field manager herd writes as, so `managedFields` names it (and a strategy set by
/// anyone else is told apart from herd's own).
pub const HERD_FIELD_MANAGER: &str = "herd";

/// The revision being rolled out: its number and `controller-revision-hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    pub revision: i64,
    pub hash: String,
}

/// The update strategy the DaemonSet had before herd switched it to OnDelete, put back when
/// the rollout ends (unless the policy keeps it managed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Restore {
    /// `RollingUpdate` or `OnDelete`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "PascalCase", deny_unknown_fields)]
pub enum State {
    Progressing,
    /// Stopped at a pause point, or by a person (`at` is then absent).
    Paused {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<PausePoint>,
    },
    /// New pods failed: the reason and the nodes, for a person to read.
    Halted {
        reason: String,
        nodes: Vec<String>,
    },
    /// Another field manager changed the update strategy: herd waits for a person.
    Contested {
        manager: String,
    },
    Complete,
    Aborted,
    RolledBack,
}

impl State {
    /// The rollout has ended: nothing more is deleted for it.
    /// `Progressing`, `Paused after canary`, `Halted: … on n1, n2`, as every face of herd
    /// says it.
    pub fn describe(&self) -> String {
        match self {
            State::Progressing => "Progressing".into(),
            State::Paused { at: Some(p) } => format!("Paused after {p}"),
            State::Paused { at: None } => "Paused".into(),
            State::Halted { reason, nodes } => format!("Halted: {reason} on {}", nodes.join(", ")),
            State::Contested { manager } => format!("Contested by {manager}"),
            State::Complete => "Complete".into(),
            State::Aborted => "Aborted".into(),
            State::RolledBack => "RolledBack".into(),
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, State::Complete | State::Aborted | State::RolledBack)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutRecord {
    pub version: u32,
    /// The revision being rolled out; `null` from the start until the controller has made the
    /// new template's ControllerRevision (its hash is the controller's to compute).
    pub target: Option<Target>,
    pub restore: Restore,
    pub policy: Policy,
    pub state: State,
    pub started: Timestamp,
    /// Batches of deletions made so far.
    #[serde(default)]
    pub batches: u32,
    /// Pause points already stopped at and resumed from, so they do not stop it again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed: Vec<PausePoint>,
    /// Batches a person has let go on from (with a pause after every batch).
    #[serde(default)]
    pub resumed_batches: u32,
    /// The revision the DaemonSet ran when the rollout started: where a rollback goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Target>,
    /// This rollout puts `from` back after the one before it failed: it ends RolledBack, and
    /// stops at no pause point.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    /// While paused: how many nodes were already off the old revision when it paused
    /// ([`crate::engine::plan::Plan::moved`]). A paused managed rollout cannot stop a node
    /// that joins, or a pod recreated after an eviction, from taking the new template; the
    /// screens count those against this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_with: Option<u32>,
}

/// Why an annotation cannot be used. herd never overwrites such an annotation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("annotation {ANNOTATION} is not JSON: {0}")]
    NotJson(String),
    #[error("annotation {ANNOTATION} has no schema version")]
    NoVersion,
    #[error(
        "annotation {ANNOTATION} has schema version {0}; this herd knows version {VERSION} only (a newer herd wrote it, leave it to that one)"
    )]
    UnknownVersion(u64),
    #[error("annotation {ANNOTATION} (version {VERSION}): {0}")]
    Invalid(String),
}

impl RolloutRecord {
    /// Reads the annotation's text.
    pub fn decode(text: &str) -> Result<RolloutRecord, RecordError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| RecordError::NotJson(e.to_string()))?;
        let version = value
            .get("version")
            .ok_or(RecordError::NoVersion)?
            .as_u64()
            .ok_or(RecordError::NoVersion)?;
        if version != u64::from(VERSION) {
            return Err(RecordError::UnknownVersion(version));
        }
        let record: RolloutRecord =
            serde_json::from_value(value).map_err(|e| RecordError::Invalid(e.to_string()))?;
        record
            .policy
            .check()
            .map_err(|e| RecordError::Invalid(e.to_string()))?;
        Ok(record)
    }

    /// The annotation's text (compact JSON; the order of fields is fixed).
    pub fn encode(&self) -> String {
        // A struct of strings, numbers and enums always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Selection;

    fn record() -> RolloutRecord {
        RolloutRecord {
            version: VERSION,
            target: Some(Target {
                revision: 3,
                hash: "5d4c7b9f8".into(),
            }),
            restore: Restore {
                kind: "RollingUpdate".into(),
                max_unavailable: Some("1".into()),
                max_surge: Some("0".into()),
            },
            policy: Policy {
                max_unavailable: "10%".into(),
                canary: Some(Selection::Count(2)),
                pause_after: vec![PausePoint::Canary, PausePoint::Percent(50)],
                ..Policy::default()
            },
            state: State::Halted {
                reason: "new revision crash-loops".into(),
                nodes: vec!["general-01".into()],
            },
            started: "2026-12-03T10:00:00Z".parse().unwrap(),
            batches: 2,
            passed: vec![PausePoint::Canary],
            resumed_batches: 0,
            from: None,
            rollback: false,
            paused_with: None,
        }
    }

    #[test]
    fn a_record_survives_its_own_text() {
        let r = record();
        assert_eq!(RolloutRecord::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn the_text_is_the_documented_shape() {
        let text = record().encode();
        for piece in [
            r#""version":1"#,
            r#""target":{"revision":3,"hash":"5d4c7b9f8"}"#,
            r#""restore":{"type":"RollingUpdate","maxUnavailable":"1","maxSurge":"0"}"#,
            r#""canary":{"count":2}"#,
            r#""pauseAfter":["canary",{"percent":50}]"#,
            r#""state":{"phase":"Halted","reason":"new revision crash-loops","nodes":["general-01"]}"#,
        ] {
            assert!(text.contains(piece), "{piece} in {text}");
        }
    }

    #[test]
    fn unknown_versions_and_fields_are_refused_not_read_in_part() {
        let text = record().encode();
        let newer = text.replace(r#""version":1"#, r#""version":2"#);
        assert_eq!(
            RolloutRecord::decode(&newer),
            Err(RecordError::UnknownVersion(2))
        );
        let unversioned = text.replace(r#""version":1,"#, "");
        assert_eq!(
            RolloutRecord::decode(&unversioned),
            Err(RecordError::NoVersion)
        );
        let extra = text.replace(r#""batches":2"#, r#""batches":2,"waves":4"#);
        assert!(
            matches!(RolloutRecord::decode(&extra), Err(RecordError::Invalid(m)) if m.contains("waves")),
            "a field from a newer herd is not dropped silently"
        );
        assert!(matches!(
            RolloutRecord::decode("{not json"),
            Err(RecordError::NotJson(_))
        ));
        let bad_policy = text.replace(r#""maxUnavailable":"10%""#, r#""maxUnavailable":"0""#);
        assert!(matches!(
            RolloutRecord::decode(&bad_policy),
            Err(RecordError::Invalid(m)) if m.contains("at least 1")
        ));
    }
}
