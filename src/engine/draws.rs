//! Random numbers, laid out for common random numbers.
//!
//! A run has one `ChaCha8Rng` keyed by the master seed, on the stream numbered by the run index.
//! Nothing draws from it sequentially: every case and every agent owns a fixed window of the
//! stream, addressed by its identity, and every decision reads a fixed slot of that window.
//! So the same case meets the same random numbers in a counterfactual run whatever other rules
//! changed: a rule that removes an option does not shift anyone else's draws.
//!
//! Layout of the stream (in 32-bit words):
//! - case `id` (see [`CaseId`]): words `[id * 64, id * 64 + 64)`; 64 words are exactly one
//!   refill of the generator's 4-block buffer, so a case costs one ChaCha8 refill;
//! - repeat visits of a case to a stage (a retrial, a second review): 16-word blocks at
//!   `REVISIT_BASE` + (id * 512 + block) * 16, two blocks per visit (up to 255 visits);
//! - agents: 16-word blocks at `AGENT_BASE` + uid * 16 (traits of the agent with that uid);
//! - provinces: 16-word blocks at `PROVINCE_BASE` + index * 16.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Words per case window.
pub const CASE_WORDS: usize = 64;
const REVISIT_BASE: u128 = 1 << 60;
const AGENT_BASE: u128 = 1 << 62;
const PROVINCE_BASE: u128 = 3 << 62;

/// Identity of a case: its source, the year index and its sequence number within the year.
/// Built from the case's place in the inflow, not from processing order, so a counterfactual
/// that changes what happens to earlier cases leaves this case's numbers alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId(pub u64);

/// Where a case comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Source {
    PublicCrime = 0,
    PrivateComplaint = 1,
    Misdemeanour = 2,
}

impl CaseId {
    /// `seq` is the index of the case's first registered episode (or complaint) in its year:
    /// any count the scenario accepts (u32) fits, so no two cases share numbers.
    pub fn new(source: Source, year_index: usize, seq: u32) -> CaseId {
        debug_assert!(year_index < 256);
        CaseId(((source as u64) << 40) | ((year_index as u64 & 0xFF) << 32) | seq as u64)
    }
}

/// The run's generator: ChaCha8 keyed by the master seed, stream = run index.
pub struct RunStream {
    rng: ChaCha8Rng,
}

/// A ChaCha8 generator keyed by a 64-bit seed, on the given stream. The seed is expanded to a
/// 256-bit key with SplitMix64 (the conventional expansion; `seed_from_u64` is avoided because
/// its expansion is not part of rand's stability promise across versions).
pub fn chacha8(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    let mut state = seed;
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

impl RunStream {
    pub fn new(master_seed: u64, run_index: u64) -> RunStream {
        RunStream { rng: chacha8(master_seed, run_index) }
    }

    fn fill(&mut self, word_pos: u128, out: &mut [u32]) {
        self.rng.set_word_pos(word_pos);
        // Bulk copy out of the generator's buffer, then read the words back little-endian:
        // the same words as `next_u32` one by one, without a bounds check per word.
        let mut bytes = [0u8; 4 * CASE_WORDS];
        let bytes = &mut bytes[..4 * out.len()];
        self.rng.fill_bytes(bytes);
        for (w, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }

    /// The 64 words of a case.
    pub fn case_words(&mut self, id: CaseId, out: &mut [u32; CASE_WORDS]) {
        self.fill(id.0 as u128 * CASE_WORDS as u128, out);
    }

    /// The `block`-th 16-word block (0..512) of a case's windows for revisits.
    pub fn revisit_words(&mut self, id: CaseId, block: u32) -> [u32; 16] {
        let mut out = [0u32; 16];
        let pos = REVISIT_BASE + (id.0 as u128 * 512 + (block as u128 & 511)) * 16;
        self.fill(pos, &mut out);
        out
    }

    /// 16 words for the agent with this uid.
    pub fn agent_words(&mut self, uid: u64) -> [u32; 16] {
        let mut out = [0u32; 16];
        self.fill(AGENT_BASE + uid as u128 * 16, &mut out);
        out
    }

    /// 16 words for a province.
    pub fn province_words(&mut self, index: usize) -> [u32; 16] {
        let mut out = [0u32; 16];
        self.fill(PROVINCE_BASE + index as u128 * 16, &mut out);
        out
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform in the open interval (0, 1) from one 32-bit word.
#[inline]
pub fn unit(word: u32) -> f64 {
    (word as f64 + 0.5) * (1.0 / 4_294_967_296.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_windows_do_not_depend_on_order_of_access() {
        let mut a = RunStream::new(7, 3);
        let mut b = RunStream::new(7, 3);
        let id1 = CaseId::new(Source::PublicCrime, 2, 10);
        let id2 = CaseId::new(Source::PrivateComplaint, 0, 1);
        let (mut x1, mut x2, mut y1, mut y2) = ([0; 64], [0; 64], [0; 64], [0; 64]);
        a.case_words(id1, &mut x1);
        a.case_words(id2, &mut x2);
        b.case_words(id2, &mut y2);
        b.case_words(id1, &mut y1);
        assert_eq!(x1, y1);
        assert_eq!(x2, y2);
        assert_ne!(x1, x2);
    }

    #[test]
    fn runs_and_seeds_differ() {
        let id = CaseId::new(Source::PublicCrime, 0, 0);
        let w = |seed, run| {
            let mut out = [0; 64];
            RunStream::new(seed, run).case_words(id, &mut out);
            out
        };
        assert_ne!(w(1, 0), w(1, 1));
        assert_ne!(w(1, 0), w(2, 0));
        assert_eq!(w(1, 0), w(1, 0));
    }

    #[test]
    fn revisit_blocks_are_distinct_for_many_visits_and_cases() {
        let mut s = RunStream::new(3, 0);
        let a = CaseId::new(Source::PublicCrime, 1, 5);
        let b = CaseId::new(Source::PublicCrime, 1, 6);
        let mut seen = std::collections::BTreeSet::new();
        for id in [a, b] {
            for block in 0..40 {
                assert!(seen.insert(s.revisit_words(id, block)), "block {block} of {id:?} repeats");
            }
        }
        let mut case = [0; 64];
        s.case_words(a, &mut case);
        assert!(!seen.contains(&<[u32; 16]>::try_from(&case[..16]).unwrap()));
    }

    /// Pins the exact stream: a change of rand_chacha, of the key expansion or of the layout
    /// changes every result, and must be a deliberate, announced change. The expected words
    /// were computed by an independent implementation of ChaCha (8 rounds, 64-bit counter and
    /// stream words as in rand_chacha) keyed by SplitMix64(42), not read back from this code.
    #[test]
    fn value_stability() {
        let mut s = RunStream::new(42, 0);
        let mut out = [0; 64];
        s.case_words(CaseId::new(Source::PublicCrime, 0, 0), &mut out);
        assert_eq!(&out[..4], &PINNED_FIRST_WORDS);
    }
    const PINNED_FIRST_WORDS: [u32; 4] = [2_278_103_804, 823_500_537, 3_021_377_537, 391_485_508];
}
