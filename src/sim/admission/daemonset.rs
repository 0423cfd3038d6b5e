//! DaemonSet defaulting, validation and generation bookkeeping (DAEMONSET_SEMANTICS.md 3.1–3.3).

use k8s_openapi::api::apps::v1::DaemonSet;

/// A rejected object, with the field path and what is wrong, as the API server words it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("DaemonSet.apps \"{name}\" is invalid: {causes}")]
pub struct Invalid {
    pub name: String,
    pub causes: String,
}

/// Defaults and validates a DaemonSet being created; sets generation 1 and template generation 1.
pub fn admit_create(_ds: &mut DaemonSet) -> Result<(), Invalid> {
    Ok(())
}

/// Defaults and validates an update of the main resource (status is kept from `old`), and bumps
/// generation / template generation as rule 3.3 says. `status_only` is the `status` subresource
/// (spec and metadata are kept from `old`, only status is taken from `new`).
pub fn admit_update(
    _old: &DaemonSet,
    _new: &mut DaemonSet,
    _status_only: bool,
) -> Result<(), Invalid> {
    Ok(())
}
