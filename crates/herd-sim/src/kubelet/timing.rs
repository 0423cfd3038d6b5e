//! Jittered delays and backoffs of the simulated kubelet. Jitter comes from hashes of the pod's
//! uid, so any pod's next transition can be recomputed from its status alone, and a seed
//! replays the same world.

use jiff::{SignedDuration, Timestamp};

use crate::store::mix;

/// A delay drawn uniformly from `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    pub min: SignedDuration,
    pub max: SignedDuration,
}

impl Delay {
    pub const fn secs(min: i64, max: i64) -> Delay {
        Delay {
            min: SignedDuration::from_secs(min),
            max: SignedDuration::from_secs(max),
        }
    }

    pub const fn millis(min: i64, max: i64) -> Delay {
        Delay {
            min: SignedDuration::from_millis(min),
            max: SignedDuration::from_millis(max),
        }
    }

    /// The delay for one hash: the same seed always gives the same delay.
    pub fn pick(&self, seed: u64) -> SignedDuration {
        let span = (self.max.as_millis() - self.min.as_millis()).max(0);
        let offset = if span == 0 {
            0
        } else {
            i128::from(mix(seed)) % (span + 1)
        };
        SignedDuration::from_millis_i128(self.min.as_millis() + offset)
    }
}

/// Exponential backoff: `initial`, doubling per attempt, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: SignedDuration,
    pub max: SignedDuration,
}

impl Backoff {
    /// The wait after `attempt` earlier failures (0 -> initial).
    pub fn after(&self, attempt: u32) -> SignedDuration {
        let factor = 1_i64 << attempt.min(30);
        let wait = self.initial.checked_mul(factor as i32).unwrap_or(self.max);
        if factor > i64::from(i32::MAX) || wait > self.max {
            self.max
        } else {
            wait
        }
    }
}

/// What a hash-derived delay is for, so two delays of one container differ.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Create = 1,
    Ready = 2,
    Crash = 3,
    Leak = 4,
    Stop = 5,
    PullError = 6,
    Admit = 7,
    Pull = 8,
}

/// A seed for one container's delay in one run (restart) of it.
pub fn seed(uid: &str, container: usize, run: i32, purpose: Purpose) -> u64 {
    mix(hash_str(uid) ^ ((container as u64) << 40) ^ ((run as u64) << 8) ^ purpose as u64)
}

/// FNV-1a, finished with SplitMix: a stable hash of a string (std's hasher is randomised).
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// `t + d`, or `t` if that would leave the representable range.
pub fn after(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_in_range_and_repeat() {
        let d = Delay::secs(1, 3);
        for s in 0..100 {
            let p = d.pick(s);
            assert!(p >= SignedDuration::from_secs(1) && p <= SignedDuration::from_secs(3));
            assert_eq!(p, d.pick(s));
        }
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let b = Backoff {
            initial: SignedDuration::from_secs(10),
            max: SignedDuration::from_secs(300),
        };
        let waits: Vec<i64> = (0..7).map(|a| b.after(a).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(b.after(99).as_secs(), 300);
    }
}
