//! A dense column of what the rollout engine reads of every pod on every pass: is it being
//! deleted, which revision, Ready since when, created when. The engine plans each managed
//! DaemonSet over all its nodes on every fleet change; reading these from the full pod records
//! costs a few cache misses per pod, from this column (32 bytes a pod, two to a cache line)
//! one at most (benches/engine_plan.rs).

use std::sync::Arc;

use jiff::Timestamp;

use crate::model::pod::Pod;

const PRESENT: u8 = 1;
const READY: u8 = 2;
const DELETING: u8 = 4;
const READY_SINCE: u8 = 8;

/// One pod's vitals, kept in step with its record in the pod table. Times are nanoseconds
/// since the epoch, saturated (years 1678 to 2262): a time outside that range compares as
/// the range's end, which decides availability as the exact time would for any
/// minReadySeconds short of centuries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(align(32))]
pub struct PodVitals {
    /// The slot's generation when the pod was written, so a stale id finds nothing.
    pub(crate) generation: u32,
    flags: u8,
    /// Where the pod's (interned) revision hash lives, 0 for none: compared with
    /// [`PodVitals::on_revision`], never followed.
    revision: usize,
    ready_since: i64,
    /// `i64::MIN` when unknown, so an unknown creation time sorts first, as `None` does.
    created: i64,
}

impl PodVitals {
    pub(crate) fn of(pod: &Pod, generation: u32) -> Self {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        PodVitals {
            generation,
            flags: PRESENT
                | flag(pod.ready, READY)
                | flag(pod.deleting.is_some(), DELETING)
                | flag(pod.ready_since.is_some(), READY_SINCE),
            revision: pod.revision_hash.as_ref().map_or(0, address),
            ready_since: pod.ready_since.map_or(0, nanos),
            created: pod.created.map_or(i64::MIN, nanos),
        }
    }

    pub(crate) fn present(&self) -> bool {
        self.flags & PRESENT != 0
    }

    /// `deletionTimestamp` is set.
    pub fn deleting(&self) -> bool {
        self.flags & DELETING != 0
    }

    /// The pod is on the revision whose hash is `interned`, the fleet's shared copy
    /// ([`crate::model::Fleet::interned`]): every pod's hash is interned, so equal hashes are
    /// one allocation.
    pub fn on_revision(&self, interned: &Arc<str>) -> bool {
        self.revision != 0 && self.revision == address(interned)
    }

    /// Orders pods by creation time, an unknown time the earliest.
    pub fn created_order(&self) -> i64 {
        self.created
    }

    /// [`Pod::is_available`] from the vitals alone: Ready, and Ready for longer than
    /// `min_ready_seconds` (upstream `IsPodAvailable`).
    pub fn is_available(&self, min_ready_seconds: i64, now: Timestamp) -> bool {
        if self.flags & READY == 0 {
            return false;
        }
        if min_ready_seconds <= 0 {
            return true;
        }
        // In i128, where no sum of these can overflow.
        let ready_at = i128::from(self.ready_since) + i128::from(min_ready_seconds) * 1_000_000_000;
        self.flags & READY_SINCE != 0 && ready_at < now.as_nanosecond()
    }
}

fn address(s: &Arc<str>) -> usize {
    Arc::as_ptr(s).cast::<u8>() as usize
}

fn nanos(t: Timestamp) -> i64 {
    let n = t.as_nanosecond();
    n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap_or_default()
    }

    fn ready_pod(since: Option<Timestamp>) -> Pod {
        let mut p = Pod::new("ns", "p", "u");
        p.ready = true;
        p.ready_since = since;
        p
    }

    #[test]
    fn availability_agrees_with_the_pod_record() {
        let now = at(1_700_000_000);
        let sinces = [
            None,
            Some(now),
            Some(now - SignedDuration::from_secs(10)),
            Some(now - SignedDuration::from_millis(9_999)),
            Some(now - SignedDuration::from_millis(10_001)),
            Some(Timestamp::MAX),
            Some(Timestamp::MIN),
        ];
        for since in sinces {
            for ready in [false, true] {
                let mut pod = ready_pod(since);
                pod.ready = ready;
                let v = PodVitals::of(&pod, 0);
                for min_ready in [0, 1, 10, i64::MAX] {
                    assert_eq!(
                        v.is_available(min_ready, now),
                        pod.is_available(min_ready, now),
                        "ready {ready} since {since:?} minReadySeconds {min_ready}"
                    );
                }
            }
        }
    }

    #[test]
    fn revision_is_matched_by_the_shared_copy_only() {
        let shared: Arc<str> = Arc::from("abc");
        let mut pod = Pod::new("ns", "p", "u");
        pod.revision_hash = Some(Arc::clone(&shared));
        let v = PodVitals::of(&pod, 0);
        assert!(v.on_revision(&shared));
        assert!(!v.on_revision(&Arc::from("abc")));
        assert!(!PodVitals::of(&Pod::new("ns", "q", "w"), 0).on_revision(&shared));
    }

    #[test]
    fn an_unknown_creation_time_is_the_earliest() {
        let mut older = Pod::new("ns", "a", "1");
        older.created = None;
        let mut newer = Pod::new("ns", "b", "2");
        newer.created = Some(at(5));
        let (o, n) = (PodVitals::of(&older, 0), PodVitals::of(&newer, 0));
        assert!(n.created_order() > o.created_order());
        assert_eq!(std::mem::size_of::<PodVitals>(), 32);
    }
}
