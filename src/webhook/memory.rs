//! The duplicate memory: the dedup keys of the events acknowledged lately, in bounded space.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Dedup keys up to this long are remembered as they are; a longer one (an id may be as
/// long as the body) as a keyed 128-bit fingerprint, so that the memory stays bounded by
/// `dedup_capacity` times a small size, whatever the senders put in their ids.
pub(super) const MAX_EXACT_KEY: usize = 256;

/// The length of a fingerprint: a marker and two 64-bit hashes.
pub(super) const FINGERPRINT_LEN: usize = 18;

/// The remembered keys of acknowledged events.
///
/// Keys are the byte strings of [`Event::with_dedup_key_bytes`]: compared exactly (those
/// over [`MAX_EXACT_KEY`] bytes through their fingerprint), hashed with std's randomly
/// keyed SipHash.
pub(super) struct Memory {
    /// key → (acknowledged at, sequence number of its newest entry in `order`)
    pub(super) seen: HashMap<Arc<[u8]>, (Instant, u64)>,
    /// Keys in acknowledgement order; stale entries (re-acknowledged keys) are skipped.
    pub(super) order: VecDeque<(Arc<[u8]>, u64)>,
    pub(super) next_seq: u64,
    /// The random keys of the fingerprints of long keys.
    pub(super) fingerprint_keys: [std::collections::hash_map::RandomState; 2],
}

impl Memory {
    pub(super) fn new() -> Memory {
        Memory {
            seen: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            fingerprint_keys: [Default::default(), Default::default()],
        }
    }

    /// What is stored for `key`: the key itself, or its fingerprint (in `buf`) when long.
    /// A fingerprint starts with `0xff`, which no exact key does (a key starts with its
    /// text prefix, and UTF-8 never holds `0xff`).
    pub(super) fn stored<'k>(&self, key: &'k [u8], buf: &'k mut [u8; FINGERPRINT_LEN]) -> &'k [u8] {
        use std::hash::{BuildHasher, Hasher};
        if key.len() <= MAX_EXACT_KEY {
            return key;
        }
        buf[..2].copy_from_slice(&[0xff, 0xfd]);
        for (i, state) in self.fingerprint_keys.iter().enumerate() {
            let mut h = state.build_hasher();
            h.write(key);
            buf[2 + 8 * i..10 + 8 * i].copy_from_slice(&h.finish().to_le_bytes());
        }
        buf
    }

    /// When `key` was acknowledged, if it is remembered.
    pub(super) fn acknowledged_at(&self, key: &[u8]) -> Option<Instant> {
        let mut buf = [0; FINGERPRINT_LEN];
        let key = self.stored(key, &mut buf);
        self.seen.get(key).map(|(at, _)| *at)
    }

    #[cfg(test)]
    pub(super) fn contains(&self, key: &[u8], now: Instant, window: Duration) -> bool {
        self.acknowledged_at(key)
            .is_some_and(|at| now.saturating_duration_since(at) < window)
    }

    pub(super) fn forget_oldest(&mut self) {
        if let Some((key, seq)) = self.order.pop_front() {
            if self.seen.get(&key).is_some_and(|(_, s)| *s == seq) {
                self.seen.remove(&key);
            }
        }
    }

    pub(super) fn record(&mut self, key: &[u8], now: Instant, window: Duration, capacity: usize) {
        let mut buf = [0; FINGERPRINT_LEN];
        let key = self.stored(key, &mut buf);
        // Forget what has left the window.
        while let Some((front, seq)) = self.order.front() {
            let current_and_fresh = self
                .seen
                .get(front)
                .is_some_and(|(at, s)| s == seq && now.saturating_duration_since(*at) < window);
            if current_and_fresh {
                break;
            }
            self.forget_oldest();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key: Arc<[u8]> = match self.seen.get_key_value(key) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(key),
        };
        self.seen.insert(Arc::clone(&key), (now, seq));
        self.order.push_back((key, seq));
        while self.seen.len() > capacity {
            self.forget_oldest();
        }
        // Stale entries of re-acknowledged keys must not grow `order` without bound.
        if self.order.len() > capacity.saturating_mul(2).max(16) {
            let seen = &self.seen;
            self.order
                .retain(|(k, s)| seen.get(k).is_some_and(|(_, cur)| cur == s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keeps_long_keys_in_bounded_space() {
        // An id may be as long as the body (64 KiB by default): 10 000 remembered keys must
        // not cost 10 000 bodies.
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        let mut m = Memory::new();
        let long = |fill: u8| {
            let mut k = vec![fill; 64 * 1024];
            k[0] = b'x';
            k
        };
        m.record(&long(b'a'), t0, w, 10);
        m.record(b"short|id|status", t0, w, 10);
        let stored: usize = m.seen.keys().map(|k| k.len()).sum();
        assert!(stored < 1024, "{stored} bytes for two keys");
        assert!(m.contains(&long(b'a'), t0, w));
        assert!(!m.contains(&long(b'b'), t0, w));
        assert!(m.contains(b"short|id|status", t0, w));
        assert!(!m.contains(b"short|id|other", t0, w));
    }

    #[test]
    fn memory_forgets_oldest_beyond_capacity_and_stale_entries() {
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        let mut m = Memory::new();
        for i in 0..5u8 {
            m.record(&[i], t0, w, 3);
        }
        assert_eq!(m.seen.len(), 3);
        assert!(!m.contains(&[1], t0, w));
        assert!(m.contains(&[4], t0, w));
        // Re-acknowledging one key many times keeps `order` bounded.
        for _ in 0..1000 {
            m.record(&[4], t0, w, 3);
        }
        assert!(m.order.len() <= 16);
        assert!(m.contains(&[3], t0, w));
    }
}
