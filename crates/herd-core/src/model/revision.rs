//! herd's slim ControllerRevision record: which revision of which DaemonSet, and why.

use std::sync::Arc;

use jiff::Timestamp;

/// Revision annotation kubectl shows as CHANGE-CAUSE.
pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerRevision {
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub uid: Arc<str>,
    pub owner_uid: Option<Arc<str>>,
    pub revision: i64,
    /// Label `controller-revision-hash` (the controller gives every revision one;
    /// docs/SEMANTICS.md#controllerrevisions).
    pub hash: Option<Arc<str>>,
    pub change_cause: Option<Arc<str>>,
    pub created: Option<Timestamp>,
    /// A fingerprint of the pod template the revision holds, comparable with
    /// `DaemonSet::template_fingerprint` (upstream's `Match` compares the same data).
    pub template_fingerprint: Option<u64>,
}

impl ControllerRevision {
    pub fn new(namespace: &str, name: &str, uid: &str, revision: i64) -> Self {
        ControllerRevision {
            namespace: Arc::from(namespace),
            name: Arc::from(name),
            uid: Arc::from(uid),
            owner_uid: None,
            revision,
            hash: None,
            change_cause: None,
            created: None,
            template_fingerprint: None,
        }
    }
}
