//! Random numbers, laid out for common random numbers.
//!
//! A run has one `ChaCha8Rng` keyed by the master seed, on the stream numbered by the run index.
//! Nothing draws from it sequentially: every case and every agent owns its numbers, addressed
//! by its identity, and every decision reads a fixed slot of them. So the same case meets the
//! same random numbers in a counterfactual run whatever other rules changed: a rule that
//! removes an option does not shift anyone else's draws.
//!
//! Cases (see [`CaseId`], [`CaseDraws`]): a case's word in slot `k` on visit `v` is output
//! number `v * 64 + k + 1` of SplitMix64 started from the case's key, computed directly from
//! that counter (`mix64(key + n * GAMMA)`), so a case pays for the words it reads and nothing
//! else (a case closed at clearance reads about ten of its 64 slots). Slots below
//! [`FIRST_REVISITABLE`](crate::engine::slot::FIRST_REVISITABLE) are read at visit 0 only;
//! a case that comes back to a stage reads the revisitable slots at its visit count. The
//! case's key is `mix64(mix64(id ^ k0) ^ k1)`, where `(k0, k1)` are two 64-bit words of the
//! run's ChaCha8 stream at `CASE_KEY_POS`: a bijection of the identity, so two cases of a
//! run never share a key.
//!
//! Why SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014; the generator of Java's `SplittableRandom` and the seeder recommended for the
//! xoshiro family): its output sequence passes TestU01's BigCrush, and its n-th output is a
//! function of (state, n) alone, so a word is one multiply-add and one 64-bit mix (about ten
//! instructions) instead of a ChaCha8 block. The ChaCha8 window this replaces cost a 4-block
//! refill (64 words) per case whether read or not. Two cases' sequences overlap only if their
//! keys are within 2^14 steps of GAMMA of each other: a chance of about 2^-49 per pair of
//! cases. Words are the upper 32 bits of the 64-bit output (its best bits). The crates that
//! implement SplitMix64 (e.g. `rand_xoshiro`) are sequential generators without random
//! access, which is the whole point here, so the two lines are written out; the tests pin
//! them against the reference implementation's published outputs.
//!
//! Agents and provinces keep 16-word blocks of the ChaCha8 stream (there are few of them):
//! - agents: 16-word blocks at `AGENT_BASE` + uid * 16 (traits of the agent with that uid);
//! - agents' periods: 16-word blocks at `AGENT_PERIOD_BASE` + (uid * 2^13 + period) * 16
//!   (what happens to an agent in a period outside the cases, e.g. a judge's other caseload;
//!   the agent keeps the next periods' blocks from each refill, [`KeptPeriodWords`]);
//! - provinces: 16-word blocks at `PROVINCE_BASE` + index * 16.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Slots per case and visit: a case's words on one visit are slots `0..CASE_WORDS`.
pub const CASE_WORDS: usize = 64;
/// Where the run's two case-key words sit in its ChaCha8 stream (inside the region that held
/// the revisit windows of the former layout, which is no longer read).
const CASE_KEY_POS: u128 = 1 << 60;
const AGENT_PERIOD_BASE: u128 = 1 << 61;
const AGENT_BASE: u128 = 1 << 62;
const PROVINCE_BASE: u128 = 3 << 62;
/// SplitMix64's increment: the odd integer nearest 2^64 / golden ratio.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

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

/// The run's generator: ChaCha8 keyed by the master seed, stream = run index, and the key of
/// its cases' numbers drawn from it.
pub struct RunStream {
    rng: ChaCha8Rng,
    case_key: (u64, u64),
}

/// Blocks of a ChaCha8 refill: rand_chacha generates four at a time, whatever is read.
const PERIOD_BLOCKS: usize = 4;

/// An agent's period words kept from the last ChaCha8 refill for them: the words of period
/// `first` and of the periods after it that the refill computed (see
/// [`RunStream::agent_period_words`]). The agent keeps it, so finding it costs nothing.
#[derive(Clone, Debug)]
pub struct KeptPeriodWords {
    uid: u64,
    first: u32,
    /// Periods held: 0 until the first refill.
    periods: usize,
    words: [u32; PERIOD_BLOCKS * 16],
}

impl Default for KeptPeriodWords {
    fn default() -> KeptPeriodWords {
        KeptPeriodWords { uid: 0, first: 0, periods: 0, words: [0; PERIOD_BLOCKS * 16] }
    }
}

/// The random numbers of one case, addressed by (visit, slot): every draw a stage makes for a
/// case goes through [`CaseDraws::word`]. Eight bytes: a case carries it and computes a word
/// when a decision reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseDraws {
    key: u64,
}

impl CaseDraws {
    /// The case's word in `slot` (0..CASE_WORDS) on visit `visit` (0: the first): output
    /// number `visit * 64 + slot + 1` of SplitMix64 started from the case's key.
    #[inline]
    pub fn word(self, visit: u8, slot: usize) -> u32 {
        debug_assert!(slot < CASE_WORDS);
        let n = ((visit as u64) << 6 | slot as u64) + 1;
        (mix64(self.key.wrapping_add(n.wrapping_mul(GAMMA))) >> 32) as u32
    }

    /// The uniform in (0, 1) of the word in `slot` on visit `visit`.
    #[inline]
    pub fn u(self, visit: u8, slot: usize) -> f64 {
        unit(self.word(visit, slot))
    }
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
        let mut rng = chacha8(master_seed, run_index);
        rng.set_word_pos(CASE_KEY_POS);
        let case_key = (rng.next_u64(), rng.next_u64());
        RunStream { rng, case_key }
    }

    fn fill(&mut self, word_pos: u128, out: &mut [u32]) {
        self.rng.set_word_pos(word_pos);
        // Bulk copy out of the generator's buffer, then read the words back little-endian:
        // the same words as `next_u32` one by one, without a bounds check per word.
        let mut bytes = [0u8; 4 * 16 * PERIOD_BLOCKS];
        let bytes = &mut bytes[..4 * out.len()];
        self.rng.fill_bytes(bytes);
        for (w, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }

    /// The random numbers of a case.
    #[inline]
    pub fn case_draws(&self, id: CaseId) -> CaseDraws {
        let (k0, k1) = self.case_key;
        CaseDraws { key: mix64(mix64(id.0 ^ k0) ^ k1) }
    }

    /// The 64 words of a case's first visit (all of them; a stage reads single words through
    /// [`CaseDraws::word`]).
    pub fn case_words(&self, id: CaseId, out: &mut [u32; CASE_WORDS]) {
        let d = self.case_draws(id);
        for (slot, w) in out.iter_mut().enumerate() {
            *w = d.word(0, slot);
        }
    }

    /// 16 words for the agent with this uid.
    pub fn agent_words(&mut self, uid: u64) -> [u32; 16] {
        let mut out = [0u32; 16];
        self.fill(AGENT_BASE + uid as u128 * 16, &mut out);
        out
    }

    /// 16 words for the agent with this uid in period `period` (below 2^13: 8,192 periods).
    ///
    /// An agent's periods are consecutive blocks of the stream, and a ChaCha8 refill computes
    /// four blocks (about 500 instructions) though a period reads one: the words of the next
    /// three periods are kept from it in `kept` (the agent's own) and handed out when those
    /// periods ask (each judge asks once a period). A block's words are a function of its
    /// position alone, so they are the words a refill at that period would give (`tests`
    /// checks this); words kept for another uid are not used.
    pub fn agent_period_words(&mut self, uid: u64, period: u32, kept: &mut KeptPeriodWords) -> [u32; 16] {
        let p = period & 0x1FFF;
        // Blocks past period 0x1FFF belong to the next uid; p <= 0x1FFF keeps k within the
        // periods of this uid that the refill computed.
        let k = p.wrapping_sub(kept.first) as usize;
        if kept.uid != uid || k >= kept.periods {
            let block = (uid as u128) << 13 | p as u128;
            self.fill(AGENT_PERIOD_BASE + block * 16, &mut kept.words);
            *kept = KeptPeriodWords { uid, first: p, periods: PERIOD_BLOCKS, words: kept.words };
            return kept.words[..16].try_into().expect("16 words");
        }
        kept.words[k * 16..(k + 1) * 16].try_into().expect("16 words")
    }

    /// 16 words for a province.
    pub fn province_words(&mut self, index: usize) -> [u32; 16] {
        let mut out = [0u32; 16];
        self.fill(PROVINCE_BASE + index as u128 * 16, &mut out);
        out
    }
}

/// SplitMix64's output function (a bijection of 64-bit words; Stafford's "Mix13" variant).
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GAMMA);
    mix64(*state)
}

/// A uniform in the open interval (0, 1) from one 32-bit word.
#[inline]
pub fn unit(word: u32) -> f64 {
    (word as f64 + 0.5) * (1.0 / 4_294_967_296.0)
}

/// `unit(word) < t` for a fixed threshold `t`, as a comparison of the word itself: `unit` rises
/// strictly with the word (w + 0.5 and the scaling by 2^-32 are exact), so the words below t
/// are exactly those below a count, found once (by bisection over the words) where a shared
/// threshold of the scenario is prepared. A case compares its word with the count instead of
/// converting the word to a double first (some 4 instructions a comparison, about six of them
/// for every cleared case). A NaN threshold takes no word, as `u < NaN` is false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BelowUnit(u64);

impl BelowUnit {
    pub fn new(t: f64) -> BelowUnit {
        BelowUnit::count(|u| u < t)
    }

    /// The words whose uniform is not at least `t`: `!holds(w)` is `unit(w) >= t`, NaN
    /// included (no word is at least NaN, so every word counts; a uniform is never NaN).
    pub fn not_at_least(t: f64) -> BelowUnit {
        BelowUnit::count(|u| u < t || t.is_nan())
    }

    /// The words whose uniform is not above `t`: `!holds(w)` is `unit(w) > t`, NaN included.
    pub fn not_above(t: f64) -> BelowUnit {
        BelowUnit::count(|u| u <= t || t.is_nan())
    }

    /// The words whose uniform satisfies `below`, which must hold for the words below some
    /// count and for no others (as each comparison above does, `unit` rising with the word):
    /// that count, by bisection (2^32 if every word satisfies it).
    pub fn count(below: impl Fn(f64) -> bool) -> BelowUnit {
        let (mut lo, mut hi) = (0u64, 1u64 << 32);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if below(unit(mid as u32)) { lo = mid + 1 } else { hi = mid }
        }
        BelowUnit(lo)
    }

    /// The count itself: the first word that does not satisfy the comparison.
    pub fn words(self) -> u64 {
        self.0
    }

    /// `unit(word) < t`.
    #[inline]
    pub fn holds(self, word: u32) -> bool {
        (word as u64) < self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `BelowUnit` is `unit(w) < t` for thresholds at and next to words' uniforms, at the ends,
    /// outside [0, 1] and NaN, for words next to the count and at the ends.
    #[test]
    fn below_unit_is_the_comparison_of_the_uniform() {
        let mut ts = vec![0.0, -0.0, 1.0, -1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.5, 0.1, 1e-12];
        for w in [0u32, 1, 2, 12_345, 1 << 31, u32::MAX - 1, u32::MAX] {
            ts.extend([unit(w), unit(w).next_up(), unit(w).next_down()]);
        }
        let s = RunStream::new(5, 0);
        for i in 0..2_000u64 {
            ts.push(unit(s.case_draws(CaseId(i)).word(0, 0)) * 1.0000001);
        }
        for t in ts {
            let b = BelowUnit::new(t);
            let mut words = vec![0u32, 1, u32::MAX - 1, u32::MAX, 1 << 31];
            for d in 0..3u64 {
                words.extend([b.0.saturating_sub(d), b.0 + d].map(|w| w.min(u32::MAX as u64) as u32));
            }
            for w in words {
                assert_eq!(b.holds(w), unit(w) < t, "t {t} word {w}");
                assert_eq!(!BelowUnit::not_at_least(t).holds(w), unit(w) >= t, "t {t} word {w}");
                assert_eq!(!BelowUnit::not_above(t).holds(w), unit(w) > t, "t {t} word {w}");
            }
        }
    }

    #[test]
    fn case_numbers_do_not_depend_on_order_of_access() {
        let mut a = RunStream::new(7, 3);
        let b = RunStream::new(7, 3);
        let id1 = CaseId::new(Source::PublicCrime, 2, 10);
        let id2 = CaseId::new(Source::PrivateComplaint, 0, 1);
        let (mut x1, mut x2, mut y1, mut y2) = ([0; 64], [0; 64], [0; 64], [0; 64]);
        a.case_words(id1, &mut x1);
        a.agent_words(5);
        a.case_words(id2, &mut x2);
        b.case_words(id2, &mut y2);
        b.case_words(id1, &mut y1);
        assert_eq!(x1, y1);
        assert_eq!(x2, y2);
        assert_ne!(x1, x2);
    }

    /// Period words kept from an earlier refill are those a fresh stream gives for that
    /// period, in any order of asking, at the end of the period field too.
    #[test]
    fn kept_period_words_are_the_periods_words() {
        let fresh = |uid: u64, period: u32| {
            let mut out = [0u32; 16];
            let mut rng = chacha8(9, 2);
            let block = (uid as u128) << 13 | (period as u128 & 0x1FFF);
            rng.set_word_pos(AGENT_PERIOD_BASE + block * 16);
            for w in &mut out {
                *w = rng.next_u32();
            }
            out
        };
        let mut s = RunStream::new(9, 2);
        let (mut kept5, mut kept7) = (KeptPeriodWords::default(), KeptPeriodWords::default());
        let asks = [
            (5, 0),
            (5, 1),
            (7, 3),
            (5, 2),
            (5, 3),
            (5, 4),
            (5, 2),
            (7, 4),
            (7, 8190),
            (7, 8191),
            (7, 8192),
            (7, 8193),
        ];
        for (uid, period) in asks {
            let kept = if uid == 5 { &mut kept5 } else { &mut kept7 };
            assert_eq!(s.agent_period_words(uid, period, kept), fresh(uid, period), "uid {uid} period {period}");
        }
        s.case_words(CaseId(3), &mut [0; 64]);
        assert_eq!(s.agent_words(5), {
            let mut rng = chacha8(9, 2);
            rng.set_word_pos(AGENT_BASE + 5 * 16);
            std::array::from_fn::<u32, 16, _>(|_| rng.next_u32())
        });
        assert_eq!(s.agent_period_words(5, 5, &mut kept5), fresh(5, 5));
        // Words kept for another agent are not handed out.
        assert_eq!(s.agent_period_words(6, 5, &mut kept5), fresh(6, 5));
        assert_eq!(s.agent_period_words(6, 0, &mut KeptPeriodWords::default()), fresh(6, 0));
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
    fn visits_and_cases_have_numbers_of_their_own() {
        let s = RunStream::new(3, 0);
        let mut seen = std::collections::BTreeSet::new();
        for id in [CaseId::new(Source::PublicCrime, 1, 5), CaseId::new(Source::PublicCrime, 1, 6)] {
            let d = s.case_draws(id);
            for visit in 0..=u8::MAX {
                let words: Vec<u32> = (32..CASE_WORDS).map(|k| d.word(visit, k)).collect();
                assert!(seen.insert(words), "visit {visit} of {id:?} repeats");
            }
        }
    }

    /// The counter-based words are SplitMix64's outputs: the first ones against the outputs
    /// of the reference implementation (Vigna's splitmix64.c, as published in the tests of
    /// the `rand_xoshiro` crate) for the state 1477776061723855037, upper 32 bits; a later
    /// visit against a plain sequential SplitMix64 stepped to the same place.
    #[test]
    fn case_words_are_splitmix64_outputs() {
        const REFERENCE: [u64; 6] = [
            1_985_237_415_132_408_290,
            2_979_275_885_539_914_483,
            13_511_426_838_097_143_398,
            8_488_337_342_461_049_707,
            15_141_737_807_933_549_159,
            17_093_170_987_380_407_015,
        ];
        let d = CaseDraws { key: 1_477_776_061_723_855_037 };
        for (slot, r) in REFERENCE.iter().enumerate() {
            assert_eq!(d.word(0, slot), (r >> 32) as u32, "slot {slot}");
        }
        let sequential = |steps: u64| {
            let (mut state, mut out) = (d.key, 0);
            for _ in 0..steps {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                out = z ^ (z >> 31);
            }
            (out >> 32) as u32
        };
        assert_eq!(d.word(3, 40), sequential(3 * 64 + 40 + 1));
        assert_eq!(d.word(255, 63), sequential(256 * 64));
    }

    /// Pins the exact streams: a change of rand_chacha, of the key expansion or of the layout
    /// changes every result, and must be a deliberate, announced change. The ChaCha8 words
    /// were computed by an independent implementation of ChaCha (8 rounds, 64-bit counter and
    /// stream words as in rand_chacha) keyed by SplitMix64(42), not read back from this code;
    /// a case's key is those words' successors at `CASE_KEY_POS` put through `mix64` twice,
    /// recomputed here step by step, and the case's first words were read back from this code
    /// when the layout was introduced.
    #[test]
    fn value_stability() {
        let mut rng = chacha8(42, 0);
        let first: [u32; 4] = std::array::from_fn(|_| rng.next_u32());
        assert_eq!(first, PINNED_CHACHA_WORDS);
        rng.set_word_pos(CASE_KEY_POS);
        let w: [u64; 4] = std::array::from_fn(|_| rng.next_u32() as u64);
        let (k0, k1) = (w[0] | w[1] << 32, w[2] | w[3] << 32);
        let s = RunStream::new(42, 0);
        let id = CaseId::new(Source::PublicCrime, 0, 0);
        assert_eq!(s.case_draws(id), CaseDraws { key: mix64(mix64(id.0 ^ k0) ^ k1) });
        let mut out = [0; 64];
        s.case_words(id, &mut out);
        assert_eq!(&out[..4], &PINNED_CASE_WORDS);
    }
    const PINNED_CHACHA_WORDS: [u32; 4] = [2_278_103_804, 823_500_537, 3_021_377_537, 391_485_508];
    const PINNED_CASE_WORDS: [u32; 4] = [3_514_696_841, 3_470_956_572, 2_096_683_314, 2_810_555_353];
}
