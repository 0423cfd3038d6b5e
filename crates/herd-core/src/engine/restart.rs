//! A restart as `kubectl rollout restart` does it: the pod template gets the annotation
//! `kubectl.kubernetes.io/restartedAt` with the time, so the template (and its hash) changes
//! and every pod is replaced, by the native strategy or by a managed rollout.

use jiff::Timestamp;
use serde_json::{Value, json};

/// The template annotation kubectl stamps (objectrestarter.go).
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The time as kubectl writes it (`time.RFC3339`): whole seconds, here in UTC.
pub fn stamp(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The part of `spec.template` a restart patches.
pub fn template_patch(now: Timestamp) -> Value {
    json!({"metadata": {"annotations": {RESTARTED_AT: stamp(now)}}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_is_rfc3339_in_whole_seconds() {
        let now: Timestamp = "2026-12-03T14:25:01.734Z".parse().expect("a time");
        assert_eq!(stamp(now), "2026-12-03T14:25:01Z");
        assert_eq!(
            template_patch(now),
            json!({"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": "2026-12-03T14:25:01Z"}}})
        );
    }
}
