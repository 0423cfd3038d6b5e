//! Who may write a managed DaemonSet: one engine at a time, through a `coordination.k8s.io`
//! Lease per DaemonSet. The rule is client-go's leader election
//! (k8s.io/client-go/tools/leaderelection/leaderelection.go): a lease held by someone else is
//! taken over only after this process has seen it unchanged for a whole lease duration, timed by
//! its own clock, so clocks that disagree between machines cannot hand one DaemonSet to two
//! writers.

use std::time::Duration;

/// What to do about one DaemonSet's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// There is no lease yet: create it, naming us.
    Create,
    /// It is ours: renew it (and write).
    Renew,
    /// Nobody holds it, or its holder stopped renewing it a lease duration ago: take it.
    TakeOver,
    /// Someone else holds it: stay read-only for this DaemonSet.
    HeldBy(String),
}

/// A lease as read: its holder, and how long this process has seen it unchanged (the holder,
/// its renew time and the object's version all the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<'a> {
    pub holder: Option<&'a str>,
    pub unchanged_for: Duration,
    /// The lease's own `leaseDurationSeconds` (the holder's promise), which governs over ours.
    pub duration: Duration,
}

/// The claim `me` has on a lease seen as `seen` (`None`: no lease object).
pub fn claim(seen: Option<&Seen<'_>>, me: &str) -> Claim {
    let Some(seen) = seen else {
        return Claim::Create;
    };
    match seen.holder.filter(|h| !h.is_empty()) {
        None => Claim::TakeOver,
        Some(holder) if holder == me => Claim::Renew,
        Some(_) if seen.unchanged_for >= seen.duration => Claim::TakeOver,
        Some(holder) => Claim::HeldBy(holder.to_string()),
    }
}

/// Whether a holder that last renewed `since_renewal` ago may still write. It stops a margin
/// before the lease runs out, so a process that stalled (a long pause, a slow API call) never
/// writes after another engine could have taken over.
pub fn may_write(since_renewal: Duration, duration: Duration) -> bool {
    since_renewal + duration / 5 < duration
}

/// The Lease's name for a DaemonSet, within the 253 characters an object name may have
/// (long names keep their start and a hash of the whole, so two never share a lease).
pub fn lease_name(daemon_set: &str) -> String {
    const PREFIX: &str = "herd-rollout-";
    const MAX: usize = 253;
    let name = format!("{PREFIX}{daemon_set}");
    if name.len() <= MAX {
        return name;
    }
    let hash = daemon_set.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let keep = MAX - PREFIX.len() - 17;
    // Names are DNS subdomains (ASCII), so any byte index is a char boundary.
    format!("{PREFIX}{}-{hash:016x}", &daemon_set[..keep])
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_secs(15);

    fn seen(holder: Option<&str>, secs: u64) -> Seen<'_> {
        Seen {
            holder,
            unchanged_for: Duration::from_secs(secs),
            duration: D,
        }
    }

    #[test]
    fn a_lease_is_created_renewed_or_left_to_its_live_holder() {
        assert_eq!(claim(None, "a"), Claim::Create);
        assert_eq!(claim(Some(&seen(Some("a"), 100)), "a"), Claim::Renew);
        assert_eq!(
            claim(Some(&seen(Some("b"), 14)), "a"),
            Claim::HeldBy("b".into())
        );
        assert_eq!(claim(Some(&seen(None, 0)), "a"), Claim::TakeOver);
        assert_eq!(claim(Some(&seen(Some(""), 0)), "a"), Claim::TakeOver);
    }

    #[test]
    fn a_holder_that_stopped_renewing_loses_the_lease_after_its_duration() {
        assert_eq!(claim(Some(&seen(Some("b"), 15)), "a"), Claim::TakeOver);
    }

    #[test]
    fn a_holder_stops_writing_before_its_lease_could_be_taken() {
        assert!(may_write(Duration::from_secs(0), D));
        assert!(may_write(Duration::from_secs(11), D));
        assert!(!may_write(Duration::from_secs(12), D));
        assert!(!may_write(Duration::from_secs(30), D));
    }

    #[test]
    fn lease_names_fit_and_never_collide() {
        assert_eq!(lease_name("fluent-bit"), "herd-rollout-fluent-bit");
        let a = lease_name(&"a".repeat(253));
        let b = lease_name(&format!("{}b", "a".repeat(252)));
        assert!(a.len() <= 253 && b.len() <= 253);
        assert_ne!(a, b);
    }
}
