//! The fleet's maps and sets keyed by names and uids, hashed with rustc-hash's Fx hash.
//!
//! Keys come from the API server, not from untrusted clients, so the hash-flooding defence of
//! the default SipHash buys nothing and costs most of a lookup. rustc-hash 2 finishes by
//! rotating the well-mixed high bits down: daemon pod names differ only in a short suffix
//! ("fluent-bit-x7k2p"), and hash tables pick buckets by the low bits, so a plain Fx multiply
//! put 150,000 pods into a few dozen buckets (the test below keeps that from coming back).

use std::collections::{HashMap, HashSet};

use rustc_hash::FxBuildHasher;

pub type FastMap<K, V> = HashMap<K, V, FxBuildHasher>;
pub type FastSet<T> = HashSet<T, FxBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_names_hash_apart_and_equal_names_alike() {
        let mut set: FastSet<String> = FastSet::default();
        for i in 0..10_000 {
            set.insert(format!("ip-10-0-{}-{}.ec2.internal", i / 256, i % 256));
        }
        assert_eq!(set.len(), 10_000);
        assert!(set.contains("ip-10-0-3-7.ec2.internal"));
        assert!(!set.contains("ip-10-0-3-7.ec2.internal."));
    }

    /// Daemon pod names differ only in a short suffix; tables index buckets by the low bits.
    #[test]
    fn names_differing_in_their_suffix_spread_over_the_low_bits() {
        use std::hash::BuildHasher;
        let build = FxBuildHasher;
        let buckets = 1 << 18;
        let mut used = FastSet::default();
        for i in 0..150_000u64 {
            let name = format!("daemon-{:02}-{:05x}", i % 30, i);
            used.insert(build.hash_one(name.as_str()) & (buckets - 1));
        }
        // Random placement of 150,000 keys fills about 43% of 2^18 buckets.
        assert!(used.len() > 100_000, "only {} distinct buckets", used.len());
    }
}
