//! Helpers several stages share: picking an official or a category with a uniform, the
//! bargain between victim and accused, the campaigns running today, and how officials learn a
//! rate from what they and their colleagues saw.

use crate::engine::dist::{SCREEN_MARGIN, exp_screen, logistic, logit, shifted_chance_screen};
use crate::engine::draws::{BelowUnit, unit};
use crate::engine::{Stage, World};
use crate::record::Event;
use crate::record::event::Queue;
use crate::record::trace::Tracer;
use crate::scenario::{Campaign, DAYS_PER_YEAR, Gravity};

/// The weakness of the evidence (0 proven, 1 nothing) at which a jury's and an appellate
/// court's intercepts are their log-odds: the middle of the scale, fixed because moving it only
/// moves those intercepts.
pub const REFERENCE_WEAKNESS: f64 = 0.5;

/// A judge's or an investigator's caseload ratio (annual load over capacity, for judges times
/// the caseload weight) at which the intercepts of the choices that respond to it are their
/// log-odds: an official working at her capacity. Fixed because moving it only moves those
/// intercepts.
pub const REFERENCE_LOAD: f64 = 1.0;

/// The point of the gravity scale (0 a minor charge, 1 an especially grave one) at which the
/// intercepts of the choices that respond to gravity are their log-odds: the middle, fixed
/// because moving it only moves those intercepts.
pub const REFERENCE_GRAVITY: f64 = 0.5;

/// A charge's place on the gravity scale: 0 for a minor charge, 1 for an especially grave one.
pub fn gravity_scale(g: Gravity) -> f64 {
    g.index() as f64 / (Gravity::ALL.len() - 1) as f64
}

/// The victim and the accused bargain: the accused pays if his means cover the victim's
/// demand after the pressure officials put on the victim to accept less. `(means, demand)` as
/// [`Case::means_and_demand`](crate::engine::Case::means_and_demand) gives them.
pub fn bargain((means, demand): (f64, f64), pressure: f64) -> bool {
    means >= demand * (1.0 - pressure.clamp(0.0, MAX_PRESSURE))
}

/// The most of her demand a victim can be pressed to give up: she keeps at least 5% of it.
pub const MAX_PRESSURE: f64 = 0.95;

/// The chance of a choice the law in force removes (a procurator barred from appealing an
/// acquittal): zero by the rule, not a behaviour to fit.
pub const FORBIDDEN: f64 = 0.0;

/// `bargain(c, local_pressure(pressure, reconciliation_shift))`, the same to the bit, mostly
/// without libm's `ln` and `exp`: the screened local pressure is within a relative 3.6e-6
/// (`shifted_chance_screen`; `min` keeps the bound), so what the victim is owed after it is
/// known to within |`demand`| x 3.6e-6 plus a few ulps; means clear of that by |`demand`| x
/// `SCREEN_MARGIN` decide the bargain the same way. Otherwise (or outside the screen's domain,
/// or for a demand that overflowed) the plain expression.
pub fn bargain_under_local_pressure((means, demand): (f64, f64), pressure: f64, reconciliation_shift: f64) -> bool {
    let p = pressure.clamp(0.0, MAX_PRESSURE);
    if let Some(chance) = shifted_chance_screen(p, reconciliation_shift)
        && demand.is_finite()
    {
        let owed = demand * (1.0 - chance.min(MAX_PRESSURE));
        let margin = SCREEN_MARGIN * demand.abs();
        if means > owed + margin {
            return true;
        }
        if means < owed - margin {
            return false;
        }
    }
    bargain((means, demand), local_pressure(pressure, reconciliation_shift))
}

/// `bargain_under_local_pressure((ln_means.exp(), ln_demand.exp()), pressure,
/// reconciliation_shift)` from the logarithms of [`Case::ln_means_and_demand`]
/// (`(0, 0)` for `None`), the same to the bit, mostly without the two `exp` (libm's; a bargain
/// at investigation or trial paid for them, some 0.9 M bargains in a national run).
///
/// Why it is exact: `exp_screen` is within a relative 3.5e-6 of e^x and libm's `exp` within an
/// ulp, so the screened means M and demand D are within a relative 3.6e-6 of libm's m and d;
/// with the screened local pressure (within 3.6e-6, see [`bargain_under_local_pressure`]) what
/// the victim is owed, d (1 - q), is within 7.3e-6 D of the screened D (1 - c). So
/// M (1 - `SCREEN_MARGIN`) above the screened owed plus 2 `SCREEN_MARGIN` D puts m above it,
/// and M (1 + `SCREEN_MARGIN`) below it minus that margin puts m below, by more than twice the
/// errors (and far more than the rounding of the plain product). |logs| <= 600 keeps every
/// value a normal double (e^-600 x 4e-5 too). Otherwise the plain values, out of line.
///
/// [`Case::ln_means_and_demand`]: crate::engine::Case::ln_means_and_demand
/// The largest |logarithm| of means or demand the screen in [`bargain_of_logs`] takes: up to
/// it, e^x and e^x times the screen's margins stay normal doubles, so the error bounds of the
/// screen hold (a numerical limit, not a behavioural one: the shipped logs are within +-20).
const MAX_SCREENED_LOG: f64 = 600.0;
/// The screened owed amount is within 7.3e-6 of the demand of the plain one, under twice
/// `SCREEN_MARGIN` (2e-5): the margin in demand units that makes the screen's answer exact.
const OWED_MARGIN_IN_SCREENS: f64 = 2.0;

#[inline]
pub fn bargain_of_logs(logs: Option<(f64, f64)>, pressure: f64, reconciliation_shift: f64) -> bool {
    if let Some((ln_means, ln_demand)) = logs
        && ln_means.abs() <= MAX_SCREENED_LOG
        && ln_demand.abs() <= MAX_SCREENED_LOG
        && let Some(chance) = shifted_chance_screen(pressure.clamp(0.0, MAX_PRESSURE), reconciliation_shift)
    {
        let (means, demand) = (exp_screen(ln_means), exp_screen(ln_demand));
        let owed = demand * (1.0 - chance.min(MAX_PRESSURE));
        let margin = OWED_MARGIN_IN_SCREENS * SCREEN_MARGIN * demand;
        if means * (1.0 - SCREEN_MARGIN) > owed + margin {
            return true;
        }
        if means * (1.0 + SCREEN_MARGIN) < owed - margin {
            return false;
        }
    }
    cold_bargain_of_logs(logs, pressure, reconciliation_shift)
}

/// Out of line, so that LLVM cannot compute libm's `exp` before the screen.
#[cold]
#[inline(never)]
fn cold_bargain_of_logs(logs: Option<(f64, f64)>, pressure: f64, reconciliation_shift: f64) -> bool {
    let values = logs.map_or((0.0, 0.0), |(ln_means, ln_demand)| (ln_means.exp(), ln_demand.exp()));
    bargain_under_local_pressure(values, pressure, reconciliation_shift)
}

/// Officials' pressure on a victim to accept less, as the province's local network leans on
/// her: its pull (`reconciliation_shift`, log-odds) moves the pressure on the log-odds scale,
/// so a close network presses harder and a distant one less, and neither pushes it past the
/// bounds of 0 and `MAX_PRESSURE`.
pub fn local_pressure(pressure: f64, reconciliation_shift: f64) -> f64 {
    let p = pressure.clamp(0.0, MAX_PRESSURE);
    if p == 0.0 { 0.0 } else { logistic(logit(p) + reconciliation_shift).min(MAX_PRESSURE) }
}

/// Whether an official who has taken `done` decisions this period has spent her budget of
/// `per_year` decisions a year, pro rata over a period of `period_days`. Work beyond it waits
/// (`World::postpone`): an official's throughput never passes her ceiling, and the ceilings of
/// all officials of a kind (their number times `per_year`) bound what the stage gets through.
pub fn budget_spent(done: u32, per_year: f64, period_days: u32) -> bool {
    done as f64 >= per_year * period_days as f64 / DAYS_PER_YEAR as f64
}

impl<T: Tracer> World<'_, T> {
    /// Puts a case back in the queue of `stage` until the next period begins, when officials'
    /// budgets renew. The wait is counted (`Event::Postponed`); a case still waiting when the
    /// run ends is counted as pending, like any other case in flight.
    pub(crate) fn postpone(&mut self, index: u32, stage: Stage, queue: Queue) {
        let period = self.s.behaviour.learning.period_days;
        let wait = period - self.calendar.day % period;
        let subject = self.cases[index].subject();
        self.record(&subject, Event::Postponed(queue));
        self.calendar.schedule(index, stage, wait);
    }
}

/// Picks an agent index from a province's roster with a uniform.
#[inline]
pub fn pick_in(roster: &[u32], u: f64) -> u32 {
    let n = roster.len();
    // Through i64 rather than usize (x86-64 converts f64 to i64 in one instruction, to u64 in
    // about a dozen): the same index for every u, as NaN and negatives give 0 both ways and
    // large values end at n - 1 either way.
    roster[(((u * n as f64) as i64).max(0) as usize).min(n - 1)]
}

/// `pick_in(roster, unit(word))` from the word, in integers: unit(w) x n is
/// (2w + 1) n / 2^33, exact in a double for n below 2^20 (the numerator stays below 2^53), so
/// its truncation is ((2w + 1) n) >> 33, which is below n (2w + 1 < 2^33): the same index.
/// Larger rosters (none in practice) take `pick_in`.
#[inline]
pub fn pick_in_word(roster: &[u32], word: u32) -> u32 {
    let n = roster.len() as u64;
    if n >= 1 << 20 {
        return pick_in(roster, unit(word));
    }
    roster[(((2 * word as u64 + 1) * n) >> 33) as usize]
}

/// Picks an index from a cumulative distribution: the first entry above `u` times the total
/// (found by bisection: the entries are cumulative sums, never decreasing).
#[inline]
pub fn pick_cdf(cdf: &[f64], u: f64) -> usize {
    let total = cdf.last().copied().unwrap_or(1.0);
    let x = u * total;
    cdf.partition_point(|&c| c <= x).min(cdf.len() - 1)
}

/// A cumulative distribution with a guide table (the cutpoint method): [`pick_cdf`] of the
/// same entries, the same index for every uniform, in fewer instructions. The province and the
/// crime kind of every registered case are picked from one (some 7 M picks in a national run);
/// bisection over 20-odd entries costs about five steps a pick.
///
/// Why it is exact: the entries are non-decreasing and not NaN (checked when built; otherwise
/// every pick bisects), so `pick_cdf` returns the count of entries at or below `x = u x total`
/// (at most the last index). The guide has a power-of-two number `m` of cells; cell `j` holds
/// that count at `x_j = (j / m) x total`, where `j / m` is exact. A uniform in cell
/// `j = floor(u m)` (exact: `m` is a power of two) is at least `j / m`, so with `total >= 0`
/// its `x` is at least `x_j` (rounding is monotone) and its count at least the cell's: the
/// scan up from the cell's count stops at the same index as the bisection.
#[derive(Clone, Debug)]
pub struct GuidedCdf {
    cdf: Vec<f64>,
    /// Per cell, the count of entries at or below its lower end; empty: pick by bisection.
    guide: Vec<u32>,
    /// The number of cells and the last entry, as the pick reads them (a `usize` converts to
    /// `f64` in about eight instructions on x86-64).
    cells: f64,
    total: f64,
    /// The same pick from a case's word (`pick_word`): per entry, the count of words whose
    /// `x = unit(w) x total` is below it (`BelowUnit::count`: the product rises with the word
    /// for a total >= 0, rounding being monotone), and per cell of the words' top `bits`
    /// bits, the count of entries whose count is at or below the cell's first word. Empty
    /// where the guide is.
    below: Vec<u64>,
    word_guide: Vec<u32>,
    bits: u32,
}

impl GuidedCdf {
    pub fn new(cdf: Vec<f64>) -> GuidedCdf {
        let total = cdf.last().copied().unwrap_or(1.0);
        let ordered = cdf.windows(2).all(|w| w[0] <= w[1]) && cdf.iter().all(|c| !c.is_nan());
        let guide = if !cdf.is_empty() && ordered && total.is_finite() && total >= 0.0 {
            // About four cells an entry: the scan takes about one step past the cell's count.
            let m = (4 * cdf.len()).next_power_of_two();
            (0..m).map(|j| cdf.partition_point(|&c| c <= (j as f64 / m as f64) * total) as u32).collect()
        } else {
            Vec::new()
        };
        let below: Vec<u64> = if guide.is_empty() {
            Vec::new()
        } else {
            cdf.iter().map(|&c| BelowUnit::count(|u| u * total < c).words()).collect()
        };
        let bits = guide.len().trailing_zeros();
        let word_guide = if guide.is_empty() {
            Vec::new()
        } else {
            (0..guide.len() as u64).map(|j| below.partition_point(|&b| b <= j << (32 - bits)) as u32).collect()
        };
        GuidedCdf { cells: guide.len() as f64, total, cdf, guide, below, word_guide, bits }
    }

    /// `pick(unit(word))`, from the word: `pick_cdf` counts the entries at or below
    /// x = unit(word) x total, which are those whose count of words below them (`below`) is
    /// at or below the word; the cell of the word's top bits holds how many entries' counts
    /// are at or below its first word, and the scan goes on from there. No conversion or
    /// product per pick. Without a guide, `pick`.
    #[inline]
    pub fn pick_word(&self, word: u32) -> usize {
        if self.word_guide.is_empty() {
            return self.pick(unit(word));
        }
        let w = word as u64;
        let mut i = self.word_guide[(w >> (32 - self.bits)) as usize] as usize;
        while let Some(&b) = self.below.get(i) {
            if b > w {
                break;
            }
            i += 1;
        }
        i.min(self.cdf.len() - 1)
    }

    /// `pick_cdf(entries, u)`.
    #[inline]
    pub fn pick(&self, u: f64) -> usize {
        let (cdf, guide) = (&self.cdf[..], &self.guide[..]);
        if guide.is_empty() || !(0.0..1.0).contains(&u) {
            return pick_cdf(cdf, u);
        }
        let x = u * self.total;
        // u in [0, 1), so the cell is in [0, m) (through i64: see `pick_in`).
        let mut i = guide[((u * self.cells) as i64 as usize).min(guide.len() - 1)] as usize;
        while let Some(&c) = cdf.get(i) {
            if c > x {
                break;
            }
            i += 1;
        }
        i.min(cdf.len() - 1)
    }
}

impl<T: Tracer> World<'_, T> {
    /// The campaigns on this kind of crime running today, in the scenario's order (the
    /// calendar keeps today's: `Calendar::campaigns`).
    pub(crate) fn campaigns_today(&self, kind: usize) -> impl Iterator<Item = &Campaign> {
        let campaigns = &self.s.campaigns;
        self.calendar.campaigns.iter().map(move |&i| &campaigns[i]).filter(move |cp| cp.kind == kind)
    }

    /// Extra utility of exonerating a case of this kind under the campaigns running today.
    pub(crate) fn campaign_bonus(&self, kind: usize, field: impl Fn(&Campaign) -> f64) -> f64 {
        self.campaigns_today(kind).map(field).sum()
    }
}

/// Blends an agent's belief about a rate towards what it saw this period: its own events
/// (`own_hits` of `own_n`) weighted against its province's (`peer_hits` of `peer_n`), each
/// counted only when observed.
pub(crate) fn learn(
    belief: f64,
    own_n: u32,
    own_hits: u32,
    peer_n: u32,
    peer_hits: u32,
    rate: f64,
    peer_weight: f64,
) -> f64 {
    let own = (own_n > 0).then(|| own_hits as f64 / own_n as f64);
    let peer = (peer_n > 0).then(|| peer_hits as f64 / peer_n as f64);
    let seen = match (own, peer) {
        (Some(o), Some(p)) => (1.0 - peer_weight) * o + peer_weight * p,
        (None, Some(p)) => p,
        (Some(o), None) => o,
        (None, None) => return belief,
    };
    (1.0 - rate) * belief + rate * seen
}

#[cfg(test)]
mod tests {
    use super::{
        GuidedCdf, MAX_PRESSURE, bargain, bargain_of_logs, bargain_under_local_pressure, learn, local_pressure,
        pick_cdf, pick_in, pick_in_word,
    };
    use crate::engine::draws::{CaseId, RunStream, unit};

    #[test]
    fn screened_bargain_is_the_plain_bargain() {
        let stream = RunStream::new(7, 0);
        for i in 0..50_000u64 {
            let d = stream.case_draws(CaseId(i));
            let u = |k: usize| unit(d.word(0, k));
            let (pressure, shift) = (u(0) * 1.2 - 0.1, (u(1) - 0.5) * 8.0);
            let demand = (u(2) * 10.0).exp();
            let owed = demand * (1.0 - local_pressure(pressure, shift).clamp(0.0, MAX_PRESSURE));
            // Means far from, next to and at what the victim is owed.
            for means in [demand * u(3) * 2.0, owed, owed.next_up(), owed.next_down()] {
                let plain = bargain((means, demand), local_pressure(pressure, shift));
                assert_eq!(
                    bargain_under_local_pressure((means, demand), pressure, shift),
                    plain,
                    "{means} {demand} {pressure} {shift}"
                );
            }
        }
    }

    #[test]
    fn bargain_of_logs_is_the_bargain_of_values() {
        let stream = RunStream::new(13, 0);
        for i in 0..100_000u64 {
            let d = stream.case_draws(CaseId(i));
            let u = |k: usize| unit(d.word(0, k));
            let (pressure, shift) = (u(0) * 1.2 - 0.1, (u(1) - 0.5) * 8.0);
            let ln_demand = (u(2) - 0.5) * 40.0;
            let demand = ln_demand.exp();
            let owed = demand * (1.0 - local_pressure(pressure, shift).clamp(0.0, MAX_PRESSURE));
            // Means far from, next to and at what the victim is owed (in logs: the libm
            // exponential of ln(owed) and its neighbours lands on either side of it).
            let ln_owed = owed.ln();
            for ln_means in [
                ln_demand + (u(3) - 0.5) * 4.0,
                ln_owed,
                ln_owed.next_up(),
                ln_owed.next_down(),
                ln_owed + 1e-6,
                ln_owed - 1e-6,
            ] {
                let plain = bargain_under_local_pressure((ln_means.exp(), demand), pressure, shift);
                assert_eq!(
                    bargain_of_logs(Some((ln_means, ln_demand)), pressure, shift),
                    plain,
                    "{ln_means} {ln_demand} {pressure} {shift}"
                );
            }
        }
        for (pressure, shift) in [(0.0, 0.0), (0.3, 0.0), (0.95, 1.0), (2.0, -3.0)] {
            assert_eq!(
                bargain_of_logs(None, pressure, shift),
                bargain_under_local_pressure((0.0, 0.0), pressure, shift)
            );
            for logs in [(700.0, 1.0), (1.0, -700.0), (f64::NAN, 0.0), (0.0, f64::INFINITY), (f64::NEG_INFINITY, 0.0)] {
                let values = (logs.0.exp(), logs.1.exp());
                assert_eq!(
                    bargain_of_logs(Some(logs), pressure, shift),
                    bargain_under_local_pressure(values, pressure, shift),
                    "{logs:?}"
                );
            }
        }
    }

    #[test]
    fn guided_pick_is_the_bisection() {
        let stream = RunStream::new(11, 0);
        let cdfs: Vec<Vec<f64>> = vec![
            vec![0.1, 0.1, 0.35, 0.35, 0.9, 1.0],
            vec![0.0, 0.0, 0.2, 0.2000000000000001, 0.7],
            vec![0.3],
            vec![0.0, 0.0],
            (1..=20).map(|i| i as f64 * 0.049_999_999).collect(),
            vec![0.5, 0.2, 1.0],
            vec![0.2, f64::NAN, 1.0],
        ];
        for cdf in &cdfs {
            let guided = GuidedCdf::new(cdf.clone());
            let m = guided.guide.len().max(1) as f64;
            let check = |u: f64| assert_eq!(guided.pick(u), pick_cdf(cdf, u), "{cdf:?} {u}");
            for i in 0..20_000u64 {
                check(unit(stream.case_draws(CaseId(i)).word(0, 0)));
            }
            // At the cells' ends, at the entries, and next to them.
            let total = *cdf.last().unwrap();
            let edges = (0..=m as usize).map(|j| j as f64 / m).chain(cdf.iter().map(|c| c / total));
            for e in edges {
                for u in [e, e.next_up(), e.next_down()] {
                    check(u);
                }
            }
            for u in [0.0, -0.0, 1.0, -1.0, 2.0, f64::NAN, f64::MIN_POSITIVE, 1.0f64.next_down()] {
                check(u);
            }
            // From words: at and next to every entry's count, the cells' first words, the ends.
            let check_word = |w: u32| assert_eq!(guided.pick_word(w), guided.pick(unit(w)), "{cdf:?} word {w}");
            let mut words: Vec<u64> = vec![0, 1, u32::MAX as u64, 1 << 31];
            for &b in &guided.below {
                words.extend([b.saturating_sub(1), b, b + 1]);
            }
            for j in 0..guided.word_guide.len() as u64 {
                let first = j << (32 - guided.bits);
                words.extend([first.saturating_sub(1), first, first + 1]);
            }
            for w in words {
                check_word(w.min(u32::MAX as u64) as u32);
            }
            for i in 0..20_000u64 {
                check_word(stream.case_draws(CaseId(i)).word(0, 1));
            }
        }
    }

    #[test]
    fn roster_pick_from_the_word_is_the_pick() {
        let stream = RunStream::new(3, 0);
        for n in [1usize, 2, 3, 7, 100, 1_000, 65_537, (1 << 20) - 1, 1 << 20] {
            let roster: Vec<u32> = (0..n as u32).map(|i| i * 3 + 1).collect();
            let mut words: Vec<u32> = vec![0, 1, u32::MAX, u32::MAX - 1, 1 << 31];
            // Where the index steps: w next to k 2^32 / n.
            for k in [1u64, 2, n as u64 / 2, n as u64 - 1] {
                let edge = (k << 32) / n as u64;
                words.extend([edge.saturating_sub(1), edge, edge + 1].map(|w| w.min(u32::MAX as u64) as u32));
            }
            words.extend((0..5_000u64).map(|i| stream.case_draws(CaseId(i)).word(0, 2)));
            for w in words {
                assert_eq!(pick_in_word(&roster, w), pick_in(&roster, unit(w)), "n {n} word {w}");
            }
        }
    }

    #[test]
    fn learning_moves_towards_observation() {
        assert_eq!(learn(0.1, 0, 0, 0, 0, 0.5, 0.3), 0.1);
        let b = learn(0.1, 10, 5, 0, 0, 0.5, 0.3);
        assert!((b - 0.3).abs() < 1e-12);
        let b = learn(0.1, 10, 5, 10, 0, 0.5, 0.3);
        assert!((b - (0.5 * 0.1 + 0.5 * 0.35)).abs() < 1e-12);
    }
}
