//! Which revision a managed rollout rolls out. The controller names a template's revision once
//! it has seen the spec, so the target is unknown until then; a template changed under a
//! rollout in progress (anyone setting a new image) becomes the target under the same policy;
//! and a DaemonSet kept managed after a rollout completed starts a new rollout when its
//! template changes, as a pipeline pushing templates expects.

use jiff::Timestamp;

use super::record::{RolloutRecord, State, Target};
use crate::model::daemonset::{DaemonSet, StrategyKind};
use crate::model::fleet::Fleet;

/// Points `record` at the DaemonSet's current revision; `true` when the record changed.
pub fn retarget(fleet: &Fleet, ds: &DaemonSet, record: &mut RolloutRecord, now: Timestamp) -> bool {
    let Some(hash) = fleet.template_hash(ds).filter(|_| ds.is_observed()) else {
        return false;
    };
    if record.target.as_ref().is_some_and(|t| t.hash == hash) {
        return false;
    }
    let kept = record.state == State::Complete
        && record.policy.keep_managed
        && ds.update_strategy.kind == StrategyKind::OnDelete;
    if kept {
        // A new rollout under the same policy: its own batches and pause points.
        record.state = State::Progressing;
        record.started = now;
        record.batches = 0;
        record.resumed_batches = 0;
        record.passed.clear();
    } else if record.state.is_final() {
        return false;
    }
    let revision = fleet
        .revisions_of(&ds.uid)
        .into_iter()
        .find(|r| r.hash.as_deref() == Some(hash))
        .map_or(0, |r| r.revision);
    record.target = Some(Target {
        revision,
        hash: hash.to_string(),
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Policy;
    use crate::engine::record::{Restore, VERSION};
    use crate::model::fleet::{FleetEvent, Record};
    use crate::model::testkit::{ds, revision, t};

    fn record(state: State, keep_managed: bool) -> RolloutRecord {
        RolloutRecord {
            version: VERSION,
            target: Some(Target {
                revision: 1,
                hash: "h1".into(),
            }),
            restore: Restore {
                kind: "RollingUpdate".into(),
                max_unavailable: None,
                max_surge: None,
            },
            policy: Policy {
                keep_managed,
                ..Policy::default()
            },
            state,
            started: t(0),
            batches: 4,
            passed: Vec::new(),
            resumed_batches: 2,
            from: None,
            rollback: false,
            paused_with: None,
        }
    }

    /// A managed DaemonSet whose template is now revision 2 (hash h2).
    fn fleet() -> (Fleet, DaemonSet) {
        let mut d = ds("agent");
        d.update_strategy.kind = StrategyKind::OnDelete;
        d.template_generation = Some(2);
        let mut fleet = Fleet::new();
        fleet.apply(FleetEvent::Upsert(Record::DaemonSet(d.clone())));
        for (n, h) in [(1, "h1"), (2, "h2")] {
            let r = revision(&d, n, h);
            fleet.apply(FleetEvent::Upsert(Record::Revision(r)));
        }
        (fleet, d)
    }

    #[test]
    fn a_rollout_in_progress_follows_the_newest_template() {
        let (fleet, d) = fleet();
        let mut r = record(State::Progressing, false);
        assert!(retarget(&fleet, &d, &mut r, t(50)));
        let target = r.target.clone().unwrap();
        assert_eq!((target.revision, target.hash.as_str()), (2, "h2"));
        // Its progress so far stands; nothing else moves.
        assert_eq!((r.batches, r.started), (4, t(0)));
        assert!(!retarget(&fleet, &d, &mut r, t(60)), "already there");
    }

    #[test]
    fn a_kept_managed_daemonset_starts_a_new_rollout_on_a_new_template() {
        let (fleet, d) = fleet();
        let mut r = record(State::Complete, true);
        assert!(retarget(&fleet, &d, &mut r, t(50)));
        assert_eq!(r.state, State::Progressing);
        assert_eq!((r.batches, r.resumed_batches, r.started), (0, 0, t(50)));
        assert_eq!(r.target.map(|t| t.revision), Some(2));
    }

    #[test]
    fn an_ended_rollout_stays_ended() {
        let (fleet, d) = fleet();
        for (state, keep) in [
            (State::Complete, false),
            (State::Aborted, true),
            (State::RolledBack, true),
        ] {
            let mut r = record(state.clone(), keep);
            assert!(!retarget(&fleet, &d, &mut r, t(50)), "{state:?}");
            assert_eq!(r.state, state);
        }
        // Kept managed, but the strategy was handed back: no longer herd's to roll.
        let mut native = d.clone();
        native.update_strategy.kind = StrategyKind::RollingUpdate;
        let mut r = record(State::Complete, true);
        assert!(!retarget(&fleet, &native, &mut r, t(50)));
    }

    #[test]
    fn a_template_whose_revision_has_not_arrived_has_no_target_yet() {
        let (mut fleet, mut d) = fleet();
        let mut r = record(State::Progressing, false);
        r.target = None;
        // Revision 1 holds template A; the DaemonSet now has template B, whose revision the
        // ControllerRevision watch has not delivered yet.
        let mut old = revision(&d, 1, "h1");
        old.template_fingerprint = Some(0xA);
        fleet.apply(FleetEvent::Upsert(Record::Revision(old)));
        let mut newer = revision(&d, 2, "h2");
        newer.template_fingerprint = Some(0xB);
        fleet.apply(FleetEvent::Delete(
            crate::model::fleet::RecordKey::Revision {
                uid: newer.uid.clone(),
            },
        ));
        d.template_fingerprint = Some(0xB);
        assert!(!retarget(&fleet, &d, &mut r, t(50)));
        assert!(r.target.is_none(), "never the revision it is leaving");
        fleet.apply(FleetEvent::Upsert(Record::Revision(newer)));
        assert!(retarget(&fleet, &d, &mut r, t(50)));
        assert_eq!(r.target.map(|t| t.revision), Some(2));
    }

    #[test]
    fn an_unobserved_template_has_no_target_yet() {
        let (fleet, mut d) = fleet();
        d.observed_generation = Some(d.generation - 1);
        let mut r = record(State::Progressing, false);
        r.target = None;
        assert!(!retarget(&fleet, &d, &mut r, t(50)));
        assert!(r.target.is_none());
    }
}
