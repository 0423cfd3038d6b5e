//! A fast non-cryptographic hasher (the Fx hash used inside rustc) for the fleet's maps keyed
//! by names and uids. Keys come from the API server, not from untrusted clients, so the
//! hash-flooding defence of the default SipHash buys nothing and costs most of a lookup.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The multiply leaves the low bits depending only on the low bits of the last words,
    /// and hash tables pick buckets by the low bits: names differing only in their last
    /// characters ("fluent-bit-x7k2p") landed in a few dozen buckets, and a lookup among
    /// 150,000 pods probed long chains. Rotating brings the well-mixed high bits down (what
    /// rustc-hash 2 does).
    fn finish(&self) -> u64 {
        self.hash.rotate_left(26)
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type FastSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;

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
        let build = BuildHasherDefault::<FxHasher>::default();
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
