//! What the engine or a person did to a managed rollout, told the same way everywhere: as a
//! Kubernetes Event on the DaemonSet (reason and message) and as a line of the local audit log,
//! each with the kubectl command that would have done the same by hand.

use serde::Serialize;

use super::record::{ANNOTATION, RolloutRecord, State};

/// An Event's reason (CamelCase, as Kubernetes reasons are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Reason {
    RolloutStarted,
    RolloutTargeted,
    RolloutBatch,
    RolloutPaused,
    RolloutResumed,
    RolloutHalted,
    RolloutContested,
    RolloutComplete,
    RolloutAborted,
    /// A rollout back to an earlier revision began (an undo, or a failure under
    /// `--rollback-on-failure`).
    RolloutRollingBack,
    RolloutRolledBack,
    /// A person edited the DaemonSet's own update strategy (`herd rollout strategy`).
    StrategyChanged,
    /// A plain restart: the template's `restartedAt` stamped, for the native strategy to roll.
    Restarted,
    /// A person changed the DaemonSet's node targeting (nodeSelector, required node affinity,
    /// tolerations) with `herd target` or the TUI's editor.
    Retargeted,
    /// A person labelled, tainted or cordoned nodes from herd (recorded in the audit log; the
    /// Event goes on each DaemonSet the preview said gains or loses a pod).
    NodesEdited,
    /// A person deleted a pod from herd (recorded in the audit log).
    PodDeleted,
    /// A targeting edit staged: the nodes that gain the daemon held, the edit applied.
    StageStarted,
    /// A batch of held nodes released.
    StageReleased,
    /// Pods on released nodes fail: nothing more is released.
    StageHalted,
    /// A person let a halted staging go on.
    StageResumed,
    /// Every held node released, every pod Available.
    StageComplete,
    /// The targeting from before the edit put back, every hold lifted.
    StageRolledBack,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::RolloutStarted => "RolloutStarted",
            Reason::RolloutTargeted => "RolloutTargeted",
            Reason::RolloutBatch => "RolloutBatch",
            Reason::RolloutPaused => "RolloutPaused",
            Reason::RolloutResumed => "RolloutResumed",
            Reason::RolloutHalted => "RolloutHalted",
            Reason::RolloutContested => "RolloutContested",
            Reason::RolloutComplete => "RolloutComplete",
            Reason::RolloutAborted => "RolloutAborted",
            Reason::RolloutRollingBack => "RolloutRollingBack",
            Reason::RolloutRolledBack => "RolloutRolledBack",
            Reason::StrategyChanged => "StrategyChanged",
            Reason::Restarted => "Restarted",
            Reason::Retargeted => "Retargeted",
            Reason::NodesEdited => "NodesEdited",
            Reason::PodDeleted => "PodDeleted",
            Reason::StageStarted => "StageStarted",
            Reason::StageReleased => "StageReleased",
            Reason::StageHalted => "StageHalted",
            Reason::StageResumed => "StageResumed",
            Reason::StageComplete => "StageComplete",
            Reason::StageRolledBack => "StageRolledBack",
        }
    }

    /// `Warning` Events: the rollout stopped for something a person must look at.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Reason::RolloutHalted
                | Reason::RolloutContested
                | Reason::RolloutRollingBack
                | Reason::StageHalted
        )
    }
}

/// One action on one DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub namespace: String,
    pub daemon_set: String,
    pub reason: Reason,
    pub message: String,
    /// The same by hand.
    pub kubectl: String,
}

/// A batch of deletions.
pub fn batch(namespace: &str, daemon_set: &str, batch: u32, pods: &[String]) -> Action {
    Action {
        namespace: namespace.to_string(),
        daemon_set: daemon_set.to_string(),
        reason: Reason::RolloutBatch,
        message: format!("batch {batch}: deleted {}", pods.join(", ")),
        kubectl: format!("kubectl delete pod -n {namespace} {}", pods.join(" ")),
    }
}

/// A record written with a new state (or target); `strategy` is the update strategy patched
/// in the same write, as JSON, when there was one.
pub fn recorded(
    namespace: &str,
    daemon_set: &str,
    reason: Reason,
    record: &RolloutRecord,
    strategy: Option<&str>,
) -> Action {
    let message = match (&record.state, reason) {
        (_, Reason::RolloutTargeted) => format!(
            "rolling out revision {}",
            record.target.as_ref().map_or(0, |t| t.revision)
        ),
        (State::Halted { reason, nodes }, _) => {
            format!("halted: {reason} on {}", nodes.join(", "))
        }
        (State::Contested { manager }, _) => {
            format!("contested: {manager} set the update strategy; waiting for a person")
        }
        (State::Paused { at: Some(point) }, _) => format!("paused after {point}"),
        (state, _) => format!("{state:?}").to_lowercase(),
    };
    let mut kubectl = format!(
        "kubectl annotate daemonset -n {namespace} {daemon_set} --overwrite {ANNOTATION}={}",
        shell_quote(&record.encode())
    );
    if let Some(strategy) = strategy {
        kubectl.push_str(&format!(
            " && kubectl patch daemonset -n {namespace} {daemon_set} --type merge -p {}",
            shell_quote(&format!(r#"{{"spec":{{"updateStrategy":{strategy}}}}}"#))
        ));
    }
    Action {
        namespace: namespace.to_string(),
        daemon_set: daemon_set.to_string(),
        reason,
        message,
        kubectl,
    }
}

/// A person's patch of the DaemonSet (a strategy edit, a restart), with the `kubectl patch`
/// that writes the same; `kind` is the patch type (`merge` or `strategic`).
pub fn patched(
    namespace: &str,
    daemon_set: &str,
    reason: Reason,
    message: String,
    kind: &str,
    patch: &str,
) -> Action {
    Action {
        namespace: namespace.to_string(),
        daemon_set: daemon_set.to_string(),
        reason,
        message,
        kubectl: format!(
            "kubectl patch daemonset -n {namespace} {daemon_set} --type {kind} -p {}",
            shell_quote(patch)
        ),
    }
}

/// The reason for a record's new state, when it is one the engine reaches by itself.
pub fn reason_for(state: &State) -> Option<Reason> {
    match state {
        State::Paused { .. } => Some(Reason::RolloutPaused),
        State::Halted { .. } => Some(Reason::RolloutHalted),
        State::Contested { .. } => Some(Reason::RolloutContested),
        State::Complete => Some(Reason::RolloutComplete),
        State::Aborted => Some(Reason::RolloutAborted),
        State::RolledBack => Some(Reason::RolloutRolledBack),
        State::Progressing => None,
    }
}

/// `'text'` for a POSIX shell, with any `'` inside closed, escaped and reopened.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_says_which_pods_and_the_command_that_deletes_them() {
        let a = batch("logging", "fluent-bit", 3, &["fb-1".into(), "fb-2".into()]);
        assert_eq!(a.message, "batch 3: deleted fb-1, fb-2");
        assert_eq!(a.kubectl, "kubectl delete pod -n logging fb-1 fb-2");
        assert!(!a.reason.is_warning());
    }

    #[test]
    fn a_patch_is_told_with_the_kubectl_patch_that_does_the_same() {
        let a = patched(
            "logging",
            "fluent-bit",
            Reason::StrategyChanged,
            "update strategy set to OnDelete".into(),
            "merge",
            r#"{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}"#,
        );
        assert_eq!(a.reason.as_str(), "StrategyChanged");
        assert_eq!(
            a.kubectl,
            "kubectl patch daemonset -n logging fluent-bit --type merge -p \
             '{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\",\"rollingUpdate\":null}}}'"
        );
        assert!(!a.reason.is_warning() && !Reason::Restarted.is_warning());
    }

    #[test]
    fn quotes_in_a_reason_cannot_break_out_of_the_command() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert!(Reason::RolloutHalted.is_warning());
        assert_eq!(reason_for(&State::Complete), Some(Reason::RolloutComplete));
        assert_eq!(reason_for(&State::Progressing), None);
    }
}
