//! Distributions sampled from exactly one uniform each, so a draw always occupies one fixed
//! slot (see `draws`): Beta by a tabulated quantile function, the normal by its quantile
//! function, Poisson by inversion, and the logistic choice among options.
//!
//! Why hand-written rather than `rand_distr`/`statrs` samplers: those draw a variable number of
//! uniforms per variate (rejection, Ziggurat), which would shift every later draw of the case
//! whenever a parameter changes and break common random numbers between a scenario and its
//! counterfactual. Inversion from one uniform keeps each decision on its own slot. The samplers
//! are checked against `statrs` as an oracle and pinned at fixed uniforms in `tests/samplers.rs`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rayon::prelude::*;

use crate::engine::draws::{BelowUnit, unit};
use crate::scenario::Beta;

/// Quantile function of a Beta distribution, tabulated on a uniform grid and interpolated
/// linearly. Built once per scenario; sampling is a table lookup.
#[derive(Clone, Debug)]
pub struct BetaTable {
    q: Vec<f64>,
}

const BETA_GRID: usize = 2048;

/// Built tables by the bits of (a, b).
type TableCache = BTreeMap<(u64, u64), Arc<BetaTable>>;

/// The process's built tables, locked (a panic elsewhere while it was held leaves the map
/// whole: entries are inserted complete).
fn table_cache() -> MutexGuard<'static, TableCache> {
    static CACHE: OnceLock<Mutex<TableCache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(BTreeMap::new())).lock().unwrap_or_else(|e| e.into_inner())
}

fn table_key(beta: Beta) -> (u64, u64) {
    (beta.a.to_bits(), beta.b.to_bits())
}

impl BetaTable {
    /// The table for `beta`, built once per process and shared: calibration prepares many
    /// scenarios that differ in other parameters, and a table costs ~10^5 evaluations of the
    /// incomplete beta function. Built tables are identical whoever asks first.
    pub fn new(beta: Beta) -> Arc<BetaTable> {
        let key = table_key(beta);
        if let Some(t) = table_cache().get(&key) {
            return Arc::clone(t);
        }
        let table = Arc::new(BetaTable::build(beta));
        Arc::clone(table_cache().entry(key).or_insert(table))
    }

    /// Builds the tables of `betas` not yet cached, side by side on the current rayon pool's
    /// threads (the global pool outside one), and caches them. Where every table is cached
    /// already, as for every candidate of a calibration that leaves the Beta parameters
    /// alone, it returns at once without waking a thread.
    pub fn build_missing(betas: &[Beta]) {
        let missing: BTreeMap<(u64, u64), Beta> = {
            let cache = table_cache();
            betas.iter().map(|&b| (table_key(b), b)).filter(|(k, _)| !cache.contains_key(k)).collect()
        };
        if missing.is_empty() {
            return;
        }
        let built: Vec<((u64, u64), Arc<BetaTable>)> =
            missing.into_par_iter().map(|(key, beta)| (key, Arc::new(BetaTable::build(beta)))).collect();
        let mut cache = table_cache();
        for (key, table) in built {
            cache.entry(key).or_insert(table);
        }
    }

    /// The quantile at each grid point p is the midpoint after 60 bisection steps of
    /// `reg_inc_beta(m) < p` from [previous quantile, 1]. Most of those steps are decided
    /// long before the bracket nears the quantile, so they are taken without evaluating the
    /// incomplete beta function: a Newton estimate `x` of the quantile and two evaluations
    /// that show I(x - d) < p - 2 TOL and I(x + d) >= p + 2 TOL place every midpoint outside
    /// (x - d, x + d) on its side, as long as the computed I is within TOL of the true,
    /// increasing one (it is within about 1e-15). Only midpoints inside the band are
    /// evaluated, so every step takes the branch the full bisection takes and the table is the
    /// same to the bit (`tests` compares it with [`BetaTable::build_bisect`]).
    ///
    /// How `x` and the band are found changes no bit of the table, only how many evaluations
    /// the band saves: the band is used only once its edges have been evaluated. So Newton
    /// starts from the line through the two previous estimates, takes its density from the
    /// logarithms its I already computes ([`IncompleteBeta::with_density`], no separate density)
    /// and stops at a relative step of 1e-6 (the error after it is of the order of its square);
    /// the band's half-width starts at 2.25 TOL / density, just over the 2 TOL the edges must
    /// clear, and grows fourfold while they do not. The bisection stops once its midpoint
    /// rounds to an end of the bracket (`bisect_to_adjacent`: the result is then that
    /// midpoint whatever the later steps decide). I is evaluated by [`IncompleteBeta`], which
    /// computes `reg_inc_beta` to the bit with the continued fraction's coefficients tabulated.
    fn build(beta: Beta) -> BetaTable {
        const TOL: f64 = 1e-12;
        let (a, b) = (beta.a, beta.b);
        let ln_beta = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b);
        let inc = IncompleteBeta::new(a, b, ln_beta);
        let cdf = |x: f64| inc.at(x);
        let mut q = Vec::with_capacity(BETA_GRID + 1);
        let mut lo = 0.0;
        // The Newton estimates of the last two grid points.
        let (mut last, mut before) = (f64::NAN, f64::NAN);
        for i in 0..=BETA_GRID {
            let p = i as f64 / BETA_GRID as f64;
            let x = if i == 0 {
                0.0
            } else if i == BETA_GRID {
                1.0
            } else {
                // Newton from the line through the previous two estimates, kept inside (lo, 1).
                let line = 2.0 * last - before;
                let mut x = if line > lo && line < 1.0 {
                    line
                } else if last > lo && last < 1.0 {
                    last
                } else {
                    0.5 * (lo + 1.0)
                };
                let mut density = 0.0;
                for _ in 0..8 {
                    let (below_x, density_x) = inc.with_density(x);
                    density = density_x;
                    let step = (below_x - p) / density_x;
                    let next = x - step;
                    x = if next.is_finite() && next > lo && next < 1.0 {
                        next
                    } else if step > 0.0 {
                        0.5 * (lo + x)
                    } else {
                        0.5 * (x + 1.0)
                    };
                    if step.abs() < 1e-6 * x.max(1e-300) {
                        break;
                    }
                }
                (before, last) = (last, x);
                // The band: wide enough that I at its edges clears p by 2 TOL.
                let mut band = None;
                let mut d = 2.25 * TOL / density.max(1e-300);
                for _ in 0..12 {
                    if !d.is_finite() || d > 1.0 {
                        break;
                    }
                    if cdf(x - d) < p - 2.0 * TOL && cdf(x + d) >= p + 2.0 * TOL {
                        band = Some((x - d, x + d));
                        break;
                    }
                    d *= 4.0;
                }
                let (below, above) = band.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
                let mut last = (f64::NAN, false);
                bisect_to_adjacent(lo, |m| {
                    if m <= below {
                        true
                    } else if m >= above {
                        false
                    } else if m == last.0 {
                        last.1
                    } else {
                        last = (m, cdf(m) < p);
                        last.1
                    }
                })
            };
            lo = x;
            q.push(x);
        }
        BetaTable { q }
    }

    /// The table by plain bisection, every step evaluated: what `build` must equal.
    #[cfg(test)]
    fn build_bisect(beta: Beta) -> BetaTable {
        let ln_beta = ln_gamma(beta.a + beta.b) - ln_gamma(beta.a) - ln_gamma(beta.b);
        let mut q = Vec::with_capacity(BETA_GRID + 1);
        let mut lo = 0.0;
        for i in 0..=BETA_GRID {
            let p = i as f64 / BETA_GRID as f64;
            let x = match i {
                0 => 0.0,
                BETA_GRID => 1.0,
                _ => bisect(lo, |m| reg_inc_beta(beta.a, beta.b, ln_beta, m) < p),
            };
            lo = x;
            q.push(x);
        }
        BetaTable { q }
    }

    #[inline]
    pub fn sample(&self, u: f64) -> f64 {
        let x = u * BETA_GRID as f64;
        // Through i64, not usize: x86-64 has no f64 -> u64 instruction, so `as usize` costs a
        // dozen instructions and a branch. Same index for every input: NaN and negatives give
        // 0 both ways, and large values saturate to the last cell either way.
        let i = ((x as i64).max(0) as usize).min(BETA_GRID - 1);
        let f = x - i as f64;
        self.q[i] + f * (self.q[i + 1] - self.q[i])
    }

    /// `sample(unit(word))` from the word: x = unit(w) x 2048 = (w + 0.5) 2^-21 exactly, so
    /// its cell is w >> 21 (adding a half never crosses a whole number) and its fraction
    /// ((w mod 2^21) + 0.5) 2^-21, the value `x - i` has (exact: both are exact and their
    /// difference fits). The same index and fraction without the products and conversions.
    #[inline]
    pub fn sample_word(&self, word: u32) -> f64 {
        const _: () = assert!(BETA_GRID == 1 << 11);
        let i = (word >> 21) as usize;
        let f = ((word & 0x1F_FFFF) as f64 + 0.5) * (1.0 / 2_097_152.0);
        self.q[i] + f * (self.q[i + 1] - self.q[i])
    }
}

/// 60 bisection steps on [lo, 1] for the point where `below(m)` (the quantile function is
/// monotone in p, so each grid point searches only above the previous one) turns false.
#[cfg(test)]
fn bisect(lo: f64, mut below: impl FnMut(f64) -> bool) -> f64 {
    let mut a = lo;
    let mut b = 1.0;
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if below(m) {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// [`bisect`]'s result for a `below` that gives the same answer for the same point, without
/// the steps after the midpoint first rounds to an end of the bracket. Exact: say m = a (m = b
/// is the mirror). If `below(m)`, a = m changes nothing, so every later step sees the same
/// bracket and midpoint, and the result 0.5 (a + b) is m. If not, b = m = a, and from then on
/// every midpoint and the result are a = m. Either way the result is m, whatever `below` says,
/// so `below` need not be asked at all. (Past 53 or so steps, a bracket within [0, 1] spans
/// adjacent doubles and this happens.)
#[inline]
fn bisect_to_adjacent(lo: f64, mut below: impl FnMut(f64) -> bool) -> f64 {
    let mut a = lo;
    let mut b = 1.0;
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if m == a || m == b {
            return m;
        }
        if below(m) {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// The triage of an overloaded investigator: she clears a case of solvability s with chance
/// s^e, and picks the exponent e so that the share of her cases she clears is the share she
/// would clear with time for all of them, times `coverage^elasticity`. With elasticity 1 her
/// clearances stay at her capacity however many cases she gets (she works the easiest ones);
/// with 0 overload costs nothing.
///
/// Registered cases are a mixture (see `crime.registration_selectivity`): with chance w from
/// all reports, s ~ Beta(a, b), otherwise from those officials chose to register, s ~
/// Beta(a + k, b). Their moments E[s^e] = B(a + e, b) / B(a, b) (and likewise with a + k) are
/// tabulated on a log grid of e, so the exponent for any mixture is a short search.
#[derive(Clone, Debug)]
pub struct TriageTable {
    /// E[s^e] at e = exp(i x step), i = 0..=TRIAGE_GRID, for all reports and for the registered
    /// under discretionary registration.
    all: Vec<f64>,
    selected: Vec<f64>,
    /// The largest g[i-1] / (g[i-1] - g[i]) of either table (infinite if either does not fall
    /// strictly, or past 1e6), which bounds that of any mixture (`mixture`).
    steepest: f64,
}

const TRIAGE_GRID: usize = 512;
/// The largest exponent tabulated: at it the cleared share of reports of solvability Beta(2, 1.6)
/// is 7e-8 of the share at e = 1, of the shipped U-shaped Beta(0.7, 0.9) 5e-5 (a power law in e
/// when b < 1): far below the shares the shipped runs ask for (a caseload 20 times what her
/// effort covers, at elasticity 0.7, asks for 20^-0.7 = 0.12).
const TRIAGE_MAX_LN_E: f64 = 11.5;

/// ln B(a, b).
fn ln_beta_fn(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// E[s^k] for s ~ Beta(a, b): B(a + k, b) / B(a, b).
pub fn beta_moment(beta: Beta, k: f64) -> f64 {
    (ln_beta_fn(beta.a + k, beta.b) - ln_beta_fn(beta.a, beta.b)).exp()
}

impl TriageTable {
    /// For reports with solvability Beta(`beta`) that officials register, under discretionary
    /// registration, with chance proportional to s^`selectivity`.
    pub fn new(beta: Beta, selectivity: f64) -> TriageTable {
        let moments = |a: f64| {
            (0..=TRIAGE_GRID)
                .map(|i| {
                    let e = (i as f64 * TRIAGE_MAX_LN_E / TRIAGE_GRID as f64).exp();
                    beta_moment(Beta { a, b: beta.b }, e)
                })
                .collect()
        };
        let (all, selected): (Vec<f64>, Vec<f64>) = (moments(beta.a), moments(beta.a + selectivity));
        let mut steepest = 0.0f64;
        for g in [&all, &selected] {
            for w in g.windows(2) {
                let ratio = w[0] / (w[0] - w[1]);
                steepest = if w[1] >= f64::MIN_POSITIVE && ratio > 0.0 && ratio <= 1e6 {
                    steepest.max(ratio)
                } else {
                    f64::INFINITY
                };
            }
        }
        TriageTable { all, selected, steepest }
    }

    /// The exponent e >= 1 at which the cleared share of a mixture (a share `w_all` of cases
    /// from all reports) is `ratio` (in (0, 1]; 1 gives e = 1) times the share at e = 1,
    /// interpolated in (ln e, ln ratio); ratios beyond the grid give its largest exponent.
    pub fn exponent(&self, ratio: f64, w_all: f64) -> f64 {
        if ratio >= 1.0 {
            return 1.0;
        }
        let g = |i: usize| w_all * self.all[i] + (1.0 - w_all) * self.selected[i];
        let target = ratio * g(0);
        // g falls with e: find the first grid point at or below the target.
        let (mut lo, mut hi) = (0, TRIAGE_GRID + 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if g(mid) > target { lo = mid + 1 } else { hi = mid }
        }
        if lo > TRIAGE_GRID {
            return TRIAGE_MAX_LN_E.exp();
        }
        let step = TRIAGE_MAX_LN_E / TRIAGE_GRID as f64;
        let (g0, g1) = (g(lo - 1).ln(), g(lo).ln());
        let f = (g0 - target.ln()) / (g0 - g1);
        ((lo as f64 - 1.0 + f) * step).exp()
    }
}

/// [`TriageTable::exponent`] at one mixture weight for many ratios (an investigator's
/// exponents are all recomputed at once, those of a province at its weight): the mixture's
/// moments on the grid computed once, their logarithms once each when first needed. The same
/// search and the same arithmetic, so the same exponents to the bit.
pub struct TriageMixture {
    /// The weight w_all it was made for.
    w_all: f64,
    /// w_all x E_all[s^e] + (1 - w_all) x E_selected[s^e] on the grid, and its logarithms
    /// (NaN: not computed yet).
    g: Vec<f64>,
    ln_g: Vec<f64>,
    /// A bound on the slope of ln e against ln(target) (`screened_exponent`); infinite: none.
    slope: f64,
    /// Where `screened_exponent`'s search starts, by the target's cell (`TargetGuide`).
    guide: TargetGuide,
}

/// Bits of a positive double below which a [`TargetGuide`] cell does not look: 2^6 cells per
/// binade (the shipped moments span some 24 binades over the 513 grid points, about 21 points
/// a binade: a third of a point a cell).
const GUIDE_SHIFT: u32 = 52 - 6;
/// The most cells a guide takes (moments spanning up to 256 binades); beyond, no guide.
const GUIDE_MAX_CELLS: u64 = 1 << 14;

/// A guide table (the cutpoint method) for the first grid point at or below a target, the
/// index `screened_exponent` interpolates from. Positive doubles order as their bits, so the
/// bits above `GUIDE_SHIFT` cut them into cells of consecutive values; cell `c` (bits
/// `base + c`) holds the count of moments above its largest value. For a target in the cell
/// (at most that value) at least as many moments are above it, and the moments do not rise
/// (checked when built), so the moments above a target are a leading run of the grid: the
/// scan up from the cell's count while the moment is above the target stops where the
/// bisection does. Targets outside the cells of [g[last], g[0]] take the bisection. No cells:
/// no guide (moments that rise, are NaN or not normal, or span too many binades).
struct TargetGuide {
    base: u64,
    start: Vec<u16>,
}

impl TargetGuide {
    fn new(g: &[f64]) -> TargetGuide {
        let none = TargetGuide { base: 0, start: Vec::new() };
        let (first, last) = (g[0], g[g.len() - 1]);
        let falls = g.windows(2).all(|w| w[0] >= w[1]);
        if !(falls && last >= f64::MIN_POSITIVE && first.is_finite()) {
            return none;
        }
        let (base, top) = (last.to_bits() >> GUIDE_SHIFT, first.to_bits() >> GUIDE_SHIFT);
        if top - base >= GUIDE_MAX_CELLS {
            return none;
        }
        // Cells in rising order, their counts falling: one pass down the grid (no moment is
        // NaN here: a NaN fails `falls`, so `<=` is "not above").
        let mut above = g.len();
        let start = (base..=top)
            .map(|cell| {
                let largest = f64::from_bits(((cell + 1) << GUIDE_SHIFT) - 1);
                while above > 0 && g[above - 1] <= largest {
                    above -= 1;
                }
                above as u16
            })
            .collect();
        TargetGuide { base, start }
    }
}

impl TriageTable {
    pub fn mixture(&self, w_all: f64) -> TriageMixture {
        let g: Vec<f64> = self.all.iter().zip(&self.selected).map(|(a, s)| w_all * a + (1.0 - w_all) * s).collect();
        // The steepest segment of e against the moments, for `screened_exponent`: on the
        // segment from grid point i - 1 to i, ln e moves by `step` while ln g moves by
        // ln(g[i-1] / g[i]) >= (g[i-1] - g[i]) / g[i-1] (ln y <= y - 1), so step x
        // g[i-1] / (g[i-1] - g[i]) bounds the slope. For weights w, w' >= 0 that quotient of
        // the mixture w all + w' selected is a mediant of the two tables' quotients, so at most
        // the larger (`steepest`); the factor 1 + 1e-6 covers the roundings of the mixture's
        // entries and of their logarithms, which the interpolation uses (relative to a segment
        // at least 1e-6 wide in ln g: below 3e-16 x 1e6 and 2 ulps of |ln g| <= 745 x 1e6).
        // Infinite (no screen) for a weight outside [0, 1].
        let slope = if (0.0..=1.0).contains(&w_all) {
            TRIAGE_MAX_LN_E / TRIAGE_GRID as f64 * self.steepest * (1.0 + 1e-6)
        } else {
            f64::INFINITY
        };
        let guide = TargetGuide::new(&g);
        TriageMixture { w_all, g, ln_g: vec![f64::NAN; TRIAGE_GRID + 1], slope, guide }
    }
}

impl TriageMixture {
    /// Whether this is the mixture `TriageTable::mixture(w_all)` gives: made for the same
    /// weight, to the bit (everything in it is a function of the table and the weight, and
    /// its logarithms, computed when first needed, of its moments).
    pub fn is_for(&self, w_all: f64) -> bool {
        self.w_all.to_bits() == w_all.to_bits()
    }

    /// `TriageTable::exponent(ratio, w_all)` for this mixture's `w_all`.
    pub fn exponent(&mut self, ratio: f64) -> f64 {
        if ratio >= 1.0 {
            return 1.0;
        }
        let target = ratio * self.g[0];
        let (mut lo, mut hi) = (0, TRIAGE_GRID + 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.g[mid] > target { lo = mid + 1 } else { hi = mid }
        }
        if lo > TRIAGE_GRID {
            return TRIAGE_MAX_LN_E.exp();
        }
        let step = TRIAGE_MAX_LN_E / TRIAGE_GRID as f64;
        let (g0, g1) = (self.ln_g(lo - 1), self.ln_g(lo));
        let f = (g0 - target.ln()) / (g0 - g1);
        ((lo as f64 - 1.0 + f) * step).exp()
    }

    /// ln g[i], computed when first needed. Inlined, with the computation out of line: the
    /// logarithm is mostly known (two reads an exponent, some 1.2 M a national run, of which a
    /// few thousand compute it), and as a call every read paid its prologue and epilogue.
    #[inline]
    fn ln_g(&mut self, i: usize) -> f64 {
        let known = self.ln_g[i];
        if known.is_nan() { self.fill_ln_g(i) } else { known }
    }

    /// Computes ln g[i] and keeps it: the value `ln_g` reads from then on (NaN again for a
    /// NaN or negative moment, computed again the next time, as before).
    #[cold]
    #[inline(never)]
    fn fill_ln_g(&mut self, i: usize) -> f64 {
        self.ln_g[i] = self.g[i].ln();
        self.ln_g[i]
    }

    /// The count of leading moments above `target` (the first grid point at or below it), for
    /// `screened_exponent`: from the target's cell of the guide and a scan (about one step),
    /// where the guide has it; otherwise `bisect_moments`. The same index either way (see
    /// `TargetGuide`). `None`: not a full grid.
    #[inline]
    fn first_at_or_below(&self, target: f64) -> Option<usize> {
        let g: &[f64; TRIAGE_GRID + 1] = self.g[..].try_into().ok()?;
        let cell = (target.to_bits() >> GUIDE_SHIFT).wrapping_sub(self.guide.base);
        let Some(&start) = self.guide.start.get(cell as usize) else {
            return Some(bisect_moments(g, target));
        };
        let mut lo = start as usize;
        while lo <= TRIAGE_GRID && g[lo] > target {
            lo += 1;
        }
        Some(lo)
    }

    /// `self.exponent(coverage.powf(elasticity).min(ceiling))` screened: `(e, slack)` with that
    /// exponent within a factor e^slack of e (slack at most 1e-3), without libm's `pow`, `ln`
    /// and `exp` (some 200 instructions of an exponent's 500). `None`: outside the screen's
    /// domain, a ratio near 1 (where the exponent is 1 exactly), or a mixture too steep for
    /// a slack of 1e-3; the caller computes the exponent itself.
    ///
    /// Why the bound holds: `exponent` interpolates ln e linearly in ln(target) between grid
    /// points (target = ratio x `g[0]`) and is constant past the grid: a continuous function of
    /// ln(target) whose slope is at most `self.slope` (see `mixture`). The screened ratio
    /// exp_screen(elasticity x ln_screen(coverage)) is within |elasticity| 3e-8 + 9.4e-7 of
    /// libm's power in logarithm (the screens' errors; `min` with the ceiling does not widen
    /// it, and roundings of the products add below 1e-12), ln_screen of the screened target
    /// adds 3e-8, so ln e moves by at most the slope times that; exp_screen of the
    /// interpolated ln e adds 9.4e-7, and the roundings of the interpolation 1e-9 at most.
    /// A screened ratio up to 0.999 keeps libm's below 1, off the exponent-1 branch.
    ///
    /// Inlined (always: its one caller, `recompute_clearance_exponents`, is cold, and LLVM
    /// declines a plain `#[inline]` there) into the loop over the investigators, which called
    /// it for each of them: the call, six registers saved and restored and the arguments'
    /// moves, some 16 instructions of about 190.
    #[inline(always)]
    pub fn screened_exponent(&mut self, coverage: f64, elasticity: f64, ceiling: f64) -> Option<(f64, f64)> {
        // A coverage of 1 (every unloaded investigator) gives the exponent 1 at once unscreened.
        if !((f64::MIN_POSITIVE..0.999).contains(&coverage) && elasticity.abs() <= 1e6 && ceiling > 0.0) {
            return None;
        }
        let slack = self.slope * (elasticity.abs() * 3e-8 + 9.4e-7 + 3e-8 + 1e-12) + 9.4e-7 + 1e-9;
        if slack.is_nan() || slack > 1e-3 {
            return None;
        }
        let t = elasticity * ln_screen(coverage);
        if t.is_nan() || t.abs() > SCREEN_EXP_MAX {
            return None;
        }
        let ratio = exp_screen(t).min(ceiling);
        let target = ratio * self.g[0];
        if !(ratio <= 0.999 && target >= f64::MIN_POSITIVE && target.is_finite()) {
            return None;
        }
        // The first grid point at or below the target, as `exponent`'s bisection finds it:
        // every index below `lo` holds a moment above the target. Any segment holding the
        // target would do for the bound, and this is that one.
        let lo = self.first_at_or_below(target)?;
        if lo > TRIAGE_GRID {
            return Some((TRIAGE_MAX_LN_E.exp(), slack));
        }
        if lo == 0 {
            return None;
        }
        let step = TRIAGE_MAX_LN_E / TRIAGE_GRID as f64;
        let (g0, g1) = (self.ln_g(lo - 1), self.ln_g(lo));
        let f = (g0 - ln_screen(target)) / (g0 - g1);
        let ln_e = (lo as f64 - 1.0 + f) * step;
        if ln_e.is_nan() || ln_e.abs() > SCREEN_EXP_MAX {
            return None;
        }
        Some((exp_screen(ln_e), slack))
    }
}

/// The count of leading moments above `target` in ten halvings of fixed size (the moments do
/// not rise where `screened_exponent` searches: `slope` is finite), as `exponent`'s bisection
/// finds it; the guide's fallback.
fn bisect_moments(g: &[f64; TRIAGE_GRID + 1], target: f64) -> usize {
    let mut lo = 0;
    let mut half = (TRIAGE_GRID + 1).next_power_of_two() / 2;
    while half > 0 {
        if lo + half <= TRIAGE_GRID + 1 && g[lo + half - 1] > target {
            lo += half;
        }
        half /= 2;
    }
    lo
}

/// Regularized incomplete beta function I_x(a, b), by Lentz's continued fraction;
/// `ln_beta` is ln Γ(a+b) - ln Γ(a) - ln Γ(b), computed once per table. The plain form, which
/// [`IncompleteBeta::at`] computes to the bit with the fraction's coefficients tabulated.
#[cfg(test)]
fn reg_inc_beta(a: f64, b: f64, ln_beta: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_beta + a * x.ln() + b * (1.0 - x).ln();
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

#[cfg(test)]
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// `reg_inc_beta(a, b, ln_beta, x)` to the bit, for the many evaluations that build one table:
/// the continued fraction's coefficients depend on (a, b) and the step m alone, so they are
/// computed once per orientation ((a, b) below the symmetry point, (b, a) above it), each by
/// the very operations `beta_cf` performs (m (b - m), (qam + 2m)(a + 2m), -(a + m)(qab + m)
/// and (a + 2m)(qap + 2m), in its order), and an evaluation multiplies by x and divides as
/// `beta_cf` does. The same values in the same operations: the same result.
struct IncompleteBeta {
    a: f64,
    b: f64,
    ln_beta: f64,
    /// Below (a + 1) / (a + b + 2): the fraction of (a, b) at x.
    below: ContinuedFraction,
    /// At or above: that of (b, a) at 1 - x.
    above: ContinuedFraction,
}

impl IncompleteBeta {
    fn new(a: f64, b: f64, ln_beta: f64) -> IncompleteBeta {
        IncompleteBeta { a, b, ln_beta, below: ContinuedFraction::new(a, b), above: ContinuedFraction::new(b, a) }
    }

    /// I_x(a, b), as `reg_inc_beta`.
    fn at(&self, x: f64) -> f64 {
        let (a, b) = (self.a, self.b);
        if x <= 0.0 {
            return 0.0;
        }
        if x >= 1.0 {
            return 1.0;
        }
        let ln_front = self.ln_beta + a * x.ln() + b * (1.0 - x).ln();
        if x < (a + 1.0) / (a + b + 2.0) {
            ln_front.exp() * self.below.at(x) / a
        } else {
            1.0 - ln_front.exp() * self.above.at(1.0 - x) / b
        }
    }

    /// I_x(a, b) and the density at x from the same logarithms, for Newton's steps towards a
    /// quantile: the density is the front factor over x (1 - x), the same value up to rounding
    /// as a separate evaluation, which is all a Newton step needs (no bisection decision reads
    /// either value).
    fn with_density(&self, x: f64) -> (f64, f64) {
        let (a, b) = (self.a, self.b);
        if x <= 0.0 || x >= 1.0 {
            return (self.at(x), 0.0);
        }
        let front = (self.ln_beta + a * x.ln() + b * (1.0 - x).ln()).exp();
        let density = front / (x * (1.0 - x));
        if x < (a + 1.0) / (a + b + 2.0) {
            (front * self.below.at(x) / a, density)
        } else {
            (1.0 - front * self.above.at(1.0 - x) / b, density)
        }
    }
}

/// `beta_cf(a, b, ·)` with its coefficients tabulated (see [`IncompleteBeta`]).
struct ContinuedFraction {
    qab: f64,
    qap: f64,
    /// For m = 1..300: m (b - m), (qam + 2m)(a + 2m), -(a + m)(qab + m), (a + 2m)(qap + 2m).
    terms: Vec<[f64; 4]>,
}

impl ContinuedFraction {
    fn new(a: f64, b: f64) -> ContinuedFraction {
        let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
        let terms = (1..300)
            .map(|m| {
                let m = m as f64;
                let m2 = 2.0 * m;
                [m * (b - m), (qam + m2) * (a + m2), -(a + m) * (qab + m), (a + m2) * (qap + m2)]
            })
            .collect();
        ContinuedFraction { qab, qap, terms }
    }

    /// `beta_cf(a, b, x)`, step for step.
    fn at(&self, x: f64) -> f64 {
        const TINY: f64 = 1e-300;
        let mut c = 1.0;
        let mut d = 1.0 - self.qab * x / self.qap;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        let mut h = d;
        for &[odd_num, odd_den, even_num, even_den] in &self.terms {
            let aa = odd_num * x / odd_den;
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
            let aa = even_num * x / even_den;
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        h
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        std::f64::consts::PI.ln() - (std::f64::consts::PI * x).sin().ln() - ln_gamma(1.0 - x)
    } else {
        let x = x - 1.0;
        let mut a = G[0];
        let t = x + 7.5;
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
    }
}

/// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const P_LOW: f64 = 0.02425;
    if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// Poisson(mean) by inversion of the CDF at `u` (small means only; capped at 20).
pub fn poisson(mean: f64, u: f64) -> u32 {
    Poisson::new(mean).sample(u)
}

/// Poisson(mean) with `exp(-mean)` computed once (the means are scenario constants): the same
/// inversion as [`poisson`], step for step, so the same counts.
#[derive(Clone, Copy, Debug)]
pub struct Poisson {
    mean: f64,
    p0: f64,
}

impl Poisson {
    pub fn new(mean: f64) -> Poisson {
        Poisson { mean, p0: (-mean).exp() }
    }

    #[inline]
    pub fn sample(&self, u: f64) -> u32 {
        let mut p = self.p0;
        let mut cdf = p;
        let mut k = 0;
        while u > cdf && k < 20 {
            k += 1;
            p *= self.mean / k as f64;
            cdf += p;
        }
        k
    }
}

/// [`Poisson::sample`] of a case's uniform read from its word: the inversion compares the
/// uniform with the same cumulative sums (they depend on the mean alone), so they are computed
/// once, step for step as `sample` computes them, and kept as counts of words
/// ([`BelowUnit::not_at_least`]: the words whose uniform is not above a sum, every word for a
/// NaN sum); the count is the first sum the word is below, as the first sum the uniform is not
/// above. No division or conversion per draw (some 5 M draws a national run).
#[derive(Clone, Debug)]
pub struct PoissonWords {
    not_above: [BelowUnit; 20],
}

impl PoissonWords {
    pub fn new(mean: f64) -> PoissonWords {
        let Poisson { mean, p0 } = Poisson::new(mean);
        let mut p = p0;
        let mut cdf = p;
        let not_above = std::array::from_fn(|k| {
            if k > 0 {
                p *= mean / k as f64;
                cdf += p;
            }
            // `u > cdf` is `unit(w) > cdf`, i.e. not `unit(w) <= cdf`: the words up to cdf,
            // which are the words below its successor (or all for NaN).
            BelowUnit::not_above(cdf)
        });
        PoissonWords { not_above }
    }

    /// `Poisson::new(mean).sample(unit(word))`.
    #[inline]
    pub fn sample_word(&self, word: u32) -> u32 {
        let mut k = 0;
        while k < 20 && !self.not_above[k].holds(word) {
            k += 1;
        }
        k as u32
    }
}

/// Exponential with the given mean, at least one day.
#[inline]
pub fn exp_days(mean: f64, u: f64) -> u32 {
    match exp_days_screened(mean, u) {
        Some(days) => days,
        None => exp_days_exact(mean, u),
    }
}

/// `exp_days(mean, unit(word))`, the same number of days for every word and mean, with the
/// screen's range checks that a word's uniform cannot fail left out: unit(word) lies in
/// [2^-33, 1 - 2^-33], inside `exp_days_screened`'s [MIN_POSITIVE, 1]; and for a mean in its
/// [0, 1e6], ln_screen(u) (within 3e-8 of ln u, which lies in [-22.9, -1.1e-10]) lies in
/// [-22.9, 3e-8], so y = -mean ln_screen(u) lies in [-0.03, 2.3e7], inside (-0.25, 2^31).
/// The rest is `exp_days_screened`'s arithmetic, and the fallback the same libm expression.
///
/// Read by the stages run from the appointments (review, trial, sentencing, appeal, private
/// hearings). Registration (investigation days, a private complaint's first hearing) keeps
/// `exp_days`: there the change left the compiled registration path 60 M instructions a
/// national run dearer (registers spilled elsewhere in it) for 4 M saved.
#[inline]
pub fn exp_days_word(mean: f64, word: u32) -> u32 {
    let u = unit(word);
    if !(0.0..=1e6).contains(&mean) {
        return exp_days_exact(mean, u);
    }
    let y = -mean * ln_screen(u);
    let t = y + ROUND_MAGIC;
    let whole = t - ROUND_MAGIC;
    let margin = mean * 2e-7 + y * 4e-15;
    if 0.5 - (y - whole).abs() > margin { (t.to_bits() as u32).max(1) } else { exp_days_exact(mean, u) }
}

/// `exp_days_word`'s screen alone, the same arithmetic: the days where it is certain of them,
/// `None` where `exp_days_word` takes libm's `ln`.
fn exp_days_word_screened(mean: f64, word: u32) -> Option<u32> {
    if !(0.0..=1e6).contains(&mean) {
        return None;
    }
    let y = -mean * ln_screen(unit(word));
    let t = y + ROUND_MAGIC;
    let whole = t - ROUND_MAGIC;
    let margin = mean * 2e-7 + y * 4e-15;
    (0.5 - (y - whole).abs() > margin).then_some((t.to_bits() as u32).max(1))
}

/// Cells of [`ExpDaysWords`]: by the words' top 12 bits.
const EXP_DAYS_CELL_SHIFT: u32 = 32 - 12;
const EXP_DAYS_CELLS: usize = 1 << (32 - EXP_DAYS_CELL_SHIFT);

/// [`exp_days_word`] for a mean fixed in advance (a procurator's days to court), for most words
/// from a table: the words are cut by their top 12 bits into 4,096 cells of consecutive words,
/// and a cell holds the days of all its words where the screen is certain of the same days at
/// its first and at its last word (0 otherwise: its words take `exp_days_word`). For the
/// shipped mean of 80 days some nine cells in ten hold their days.
///
/// Why it is exact: the days are max(1, the whole number nearest -mean ln u), u = unit(word).
/// The true -mean ln u falls with the word, so in a cell it lies between its values at the two
/// ends. Where the screen is certain at a word, the true value is more than mean x 1.7e-7 from
/// a half day (its margin less its error); so at both ends it lies within the same whole
/// number's interval (or, for days of 1, in those of 0 and 1, which both give 1), clear of
/// their edges by far more than libm's error in -mean ln u (a few ulps of it), and so does
/// every word between: libm's value rounds to the same whole number for all of them, which
/// is what `exp_days_word` returns.
pub struct ExpDaysWords {
    mean: f64,
    cells: Box<[u32; EXP_DAYS_CELLS]>,
}

impl ExpDaysWords {
    pub fn new(mean: f64) -> ExpDaysWords {
        let mut cells = Box::new([0u32; EXP_DAYS_CELLS]);
        for (c, cell) in cells.iter_mut().enumerate() {
            let first = (c << EXP_DAYS_CELL_SHIFT) as u32;
            let last = first | ((1 << EXP_DAYS_CELL_SHIFT) - 1);
            if let (Some(a), Some(b)) = (exp_days_word_screened(mean, first), exp_days_word_screened(mean, last))
                && a == b
            {
                *cell = a;
            }
        }
        ExpDaysWords { mean, cells }
    }

    /// `exp_days_word(mean, word)`.
    #[inline]
    pub fn days(&self, word: u32) -> u32 {
        match self.cells[(word >> EXP_DAYS_CELL_SHIFT) as usize] {
            0 => exp_days_word(self.mean, word),
            days => days,
        }
    }
}

/// `exp_days` with libm's `ln`: out of line, so that it is not evaluated before the screen.
#[cold]
#[inline(never)]
fn exp_days_exact(mean: f64, u: f64) -> u32 {
    ((round_half_away(-mean * u.ln())) as u32).max(1)
}

/// `exp_days` where the whole number of days is certain without libm's `ln`: with
/// [`ln_screen`] (within 3e-8 of ln u) the days before rounding are known to within
/// `mean * 3e-8` plus a few ulps, so unless they lie within `mean * 2e-7 + 4e-15 y` of a half
/// day (a chance of about `4e-7 * mean` per draw) they round to the nearest whole day, as
/// `-mean * u.ln()` does. `None`: too close to call, or inputs outside the screened range.
#[inline]
fn exp_days_screened(mean: f64, u: f64) -> Option<u32> {
    if !((f64::MIN_POSITIVE..=1.0).contains(&u) && (0.0..=1e6).contains(&mean)) {
        return None;
    }
    let y = -mean * ln_screen(u);
    if !(y > -0.25 && y < 2_147_483_648.0) {
        return None;
    }
    let t = y + ROUND_MAGIC;
    let whole = t - ROUND_MAGIC;
    let margin = mean * 2e-7 + y * 4e-15;
    // The low 32 bits of t hold the nearest whole number (0 for y below one half, and the
    // minimum of one day applies either way).
    (0.5 - (y - whole).abs() > margin).then_some((t.to_bits() as u32).max(1))
}

/// `x.round()` for the values `exp_days` casts to `u32`, without libm's `round` (a call on
/// x86-64 builds without SSE4.1). Exact: below 2^52 the fraction `x - trunc(x)` is exact, so
/// ties go away from zero as `round` does; from 2^52 on every double is whole. Negative and NaN
/// inputs cast to 0 either way, and values past `u32::MAX` saturate either way.
#[inline]
fn round_half_away(x: f64) -> f64 {
    if !(0.0..4_503_599_627_370_496.0).contains(&x) {
        return x;
    }
    // x is in [0, 2^52) here, so truncating through i64 is the same as through u64 (which
    // x86-64 has no instruction for).
    let t = x as i64 as f64;
    if x - t >= 0.5 { t + 1.0 } else { t }
}

#[inline]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

// Screens: decisions compare a uniform with a chance computed by libm (`exp`, `pow`, `ln`),
// and libm's result matters only when the uniform is within a rounding error of it. The
// helpers below first compute the chance with cheap approximations of known accuracy
// (`exp_screen`, `ln_screen`); when the uniform is clear of it by a margin several times that
// accuracy, the comparison with libm's value must come out the same, and libm is not called.
// Otherwise (a chance of about 1e-7 per decision) they compute exactly what the plain
// expression computes. So every decision, and every output, is the same to the bit; the
// tests below check the helpers against the plain expressions, at the boundaries too.

/// The largest |x| that [`exp_screen`] takes: e^x stays a normal double.
const SCREEN_EXP_MAX: f64 = 700.0;

/// 1.5 x 2^52: adding it rounds a double of magnitude below 2^51 to a whole number, which
/// then sits in the low bits of the sum (without a saturating float-to-integer conversion).
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// e^x for |x| <= `SCREEN_EXP_MAX`, within a relative 3.5e-6 of the true value (the bound the
/// screens are built on; this computation keeps within 9.3e-7). Only to decide comparisons,
/// never as a result.
///
/// x = k ln(2) / 256 + r with k whole (the nearest to x 256 / ln 2) and |r| <= ln(2) / 512 +
/// 2e-13 (the rounding of x 256 / ln 2 moves k's target by at most 3e-11, and that of
/// k ln(2) / 256 and of the subtraction r by at most 1.5e-13), so e^x = 2^q 2^(j/256) e^r with
/// k = 256 q + j, j in 0..256. 2^(j/256) comes from [`EXP2_FRACTIONS`] (within 1e-15), e^r is
/// taken as 1 + r (e^r - 1 - r <= r^2 / 2 e^|r| < 9.2e-7 e^r for |r| <= 1.36e-3) and 2^q is
/// built in the exponent field: with the few roundings of the products (below 1e-15) the
/// result is within 9.3e-7 of e^x. This replaced a Taylor series to r^5 over |r| <= ln(2) / 2
/// (same bound, seven more instructions a call, some 15 M calls a national run).
#[inline]
pub(crate) fn exp_screen(x: f64) -> f64 {
    debug_assert!(x.abs() <= SCREEN_EXP_MAX);
    let t = x * (EXP2_STEPS as f64 * std::f64::consts::LOG2_E) + ROUND_MAGIC;
    let k = t - ROUND_MAGIC;
    let r = x - k * (std::f64::consts::LN_2 / EXP2_STEPS as f64);
    // t's mantissa field holds 2^51 + k (|k| < 2^51), so its low 8 bits are j = k mod 256 and
    // the bits above them floor(k / 256) = q modulo 2^12 (2^43 is a multiple of 2^12); q + 1023
    // is in [13, 2033] for |x| <= 700, 2^q's exponent field, and the shift drops everything
    // above it.
    let bits = t.to_bits();
    let two_to_q = f64::from_bits((bits >> 8).wrapping_add(1023) << 52);
    EXP2_FRACTIONS[(bits & 0xFF) as usize] * (1.0 + r) * two_to_q
}

/// Steps of [`EXP2_FRACTIONS`]: a power of two, so that k splits into q and j by its bits.
const EXP2_STEPS: usize = 256;

/// 2^(j/256) for j in 0..256, each within a relative 1e-15 (the unit test checks them against
/// libm's `exp2`): computed when compiling, as e^(j ln(2) / 256) by its Taylor series to the
/// 24th power (the remainder is below 0.7^25 / 25! < 1e-28), summed from the smallest term.
static EXP2_FRACTIONS: [f64; EXP2_STEPS] = {
    let mut table = [0.0; EXP2_STEPS];
    let mut j = 0;
    while j < EXP2_STEPS {
        let y = j as f64 * std::f64::consts::LN_2 / EXP2_STEPS as f64;
        let mut sum = 1.0;
        let mut n = 24;
        while n > 0 {
            sum = 1.0 + y / n as f64 * sum;
            n -= 1;
        }
        table[j] = sum;
        j += 1;
    }
    table
};

/// ln x for a normal positive x, within 3e-8 of the true value: x = m 2^e with m in
/// [sqrt(1/2), sqrt(2)), then ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, by its
/// series to s^7 (remainder below 2 s^9 / 9 / (1 - s^2) = 3e-8). Only to decide comparisons,
/// never as a result.
#[inline]
fn ln_screen(x: f64) -> f64 {
    debug_assert!(x >= f64::MIN_POSITIVE && x.is_finite());
    // Without a branch: subtracting the bits of sqrt(1/2) leaves e in the exponent field
    // (e = floor(log2(x / sqrt(1/2)))), and taking e off x's exponent gives m.
    const SQRT_HALF_BITS: u64 = 0x3FE6_A09E_667F_3BCD;
    let bits = x.to_bits();
    let e = (bits.wrapping_sub(SQRT_HALF_BITS) as i64) >> 52;
    let m = f64::from_bits(bits.wrapping_sub((e as u64) << 52));
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0)));
    e as f64 * std::f64::consts::LN_2 + 2.0 * s * series
}

/// How far, relatively, a uniform must lie from a screened chance to compare with libm's chance
/// the same way: the screens (`exp_screen`) are within a relative 3.6e-6 of the true value and
/// libm within a few ulps, so 2e-5 leaves a margin of more than five times their error.
pub const SCREEN_MARGIN: f64 = 2e-5;

/// `u < logistic(x)`, the same to the bit, mostly without libm's `exp` (see
/// [`below_scaled_logistic`]).
#[inline]
pub fn below_logistic(u: f64, x: f64) -> bool {
    below_scaled_logistic(u, 1.0, x)
}

/// `u >= logistic(x)`, the same to the bit (NaN included), mostly without libm's `exp`.
#[inline]
pub fn at_least_logistic(u: f64, x: f64) -> bool {
    at_least_scaled_logistic(u, 1.0, x)
}

/// `u < scale * logistic(x)`, the same to the bit, mostly without libm's `exp`. The screened
/// chance `scale / (1 + exp_screen(-x))` is within a relative 3.6e-6 of the true one, and
/// libm's within a few ulps, so a uniform more than a relative `SCREEN_MARGIN` away from it
/// compares the same way with both.
#[inline]
pub fn below_scaled_logistic(u: f64, scale: f64, x: f64) -> bool {
    if x.abs() <= SCREEN_EXP_MAX {
        let p = scale / (1.0 + exp_screen(-x));
        let margin = SCREEN_MARGIN * p.abs();
        if u < p - margin {
            return true;
        }
        if u > p + margin {
            return false;
        }
    }
    cold_below_logistic(u, scale, x)
}

/// `u >= scale * logistic(x)`, the same to the bit (NaN included), mostly without libm's `exp`;
/// see [`below_scaled_logistic`].
#[inline]
pub fn at_least_scaled_logistic(u: f64, scale: f64, x: f64) -> bool {
    if x.abs() <= SCREEN_EXP_MAX {
        let p = scale / (1.0 + exp_screen(-x));
        let margin = SCREEN_MARGIN * p.abs();
        if u > p + margin {
            return true;
        }
        if u < p - margin {
            return false;
        }
    }
    cold_at_least_logistic(u, scale, x)
}

/// Bounds on `base.powf(exponent)` from the screens, for a normal positive base and
/// |exponent| <= 1e6: ln_screen's error (3e-8) times the exponent, plus exp_screen's
/// (3.5e-6), bounds the screened power's relative error (e^(3e-8 |exponent|) - 1, at most
/// 3.05e-8 |exponent| there, plus 3.5e-6); the bounds are about six times that away. A power below e^-700 lies in
/// [0, 1e-300]. `None` outside that domain.
#[inline]
fn pow_bounds(base: f64, exponent: f64) -> Option<(f64, f64)> {
    if !(base >= f64::MIN_POSITIVE && base.is_finite() && exponent.abs() <= 1e6) {
        return None;
    }
    let t = exponent * ln_screen(base);
    if t.abs() <= SCREEN_EXP_MAX {
        let p = exp_screen(t);
        let margin = (exponent.abs() * 2e-7 + SCREEN_MARGIN) * p;
        Some((p - margin, p + margin))
    } else if t < 0.0 {
        Some((0.0, 1e-300))
    } else {
        None
    }
}

/// `u < base.powf(exponent)`, the same to the bit, mostly without libm's `pow`.
#[inline]
pub fn below_pow(u: f64, base: f64, exponent: f64) -> bool {
    if let Some((lo, hi)) = pow_bounds(base, exponent) {
        if u < lo {
            return true;
        }
        if u > hi {
            return false;
        }
    }
    cold_below_pow(u, base, exponent)
}

/// `logistic(logit(p) + shift)` screened, for p in (0, 1 - 1e-6] and |shift| <= 700: in exact
/// arithmetic it is 1 / (1 + (1 - p) / p x e^-shift), which with `exp_screen` is within a
/// relative 3.6e-6 of the true value (libm's is within about 1e-13: the rounding of
/// logit(p) + shift, at most 710 in size). `None` outside that domain. Only to decide
/// comparisons, never as a result.
#[inline]
pub fn shifted_chance_screen(p: f64, shift: f64) -> Option<f64> {
    (p > 0.0 && p <= 1.0 - 1e-6 && shift.abs() <= SCREEN_EXP_MAX)
        .then(|| 1.0 / (1.0 + (1.0 - p) / p * exp_screen(-shift)))
}

// The screens' fallbacks are kept out of line: inlined, LLVM may evaluate libm's `pow` or
// `exp` before the branch that needs it (the intrinsics are free of side effects), which
// would undo the screen.
#[cold]
#[inline(never)]
fn cold_below_pow(u: f64, base: f64, exponent: f64) -> bool {
    u < base.powf(exponent)
}

#[cold]
#[inline(never)]
fn cold_at_least_pow(u: f64, base: f64, exponent: f64) -> bool {
    u >= base.powf(exponent)
}

#[cold]
#[inline(never)]
fn cold_scaled_pow_at_most(scale: f64, base: f64, exponent: f64, limit: f64) -> bool {
    scale * base.powf(exponent) <= limit
}

#[cold]
#[inline(never)]
fn cold_below_logistic(u: f64, scale: f64, x: f64) -> bool {
    u < scale * logistic(x)
}

#[cold]
#[inline(never)]
fn cold_at_least_logistic(u: f64, scale: f64, x: f64) -> bool {
    u >= scale * logistic(x)
}

/// `u < logistic(x(p))` with p = `base.powf(exponent)` (`base` itself at exponent 1), the same
/// to the bit, mostly without the `powf` and libm's `exp`. `x` must be monotone (either way),
/// as a sum of terms of which one is a multiple of p is: floating-point addition and
/// multiplication are monotone in each operand, so x(p) lies between x at the bounds of
/// `pow_bounds`, and a uniform below the screened chance at the lower of the two, or above
/// it at the upper, by the margin of [`below_scaled_logistic`], compares with libm's chance the same way.
#[inline]
pub fn below_logistic_of_pow(u: f64, base: f64, exponent: f64, x: impl Fn(f64) -> f64) -> bool {
    if exponent == 1.0 {
        return below_logistic(u, x(base));
    }
    if let Some((lo, hi)) = pow_bounds(base, exponent) {
        let (x_lo, x_hi) = (x(lo), x(hi));
        let (x_min, x_max) = if x_lo <= x_hi { (x_lo, x_hi) } else { (x_hi, x_lo) };
        if x_min.abs() <= SCREEN_EXP_MAX && x_max.abs() <= SCREEN_EXP_MAX {
            if u < (1.0 - SCREEN_MARGIN) / (1.0 + exp_screen(-x_min)) {
                return true;
            }
            if u > (1.0 + SCREEN_MARGIN) / (1.0 + exp_screen(-x_max)) {
                return false;
            }
        }
    }
    cold_below_logistic(u, 1.0, x(cold_powf(base, exponent)))
}

#[cold]
#[inline(never)]
fn cold_powf(base: f64, exponent: f64) -> f64 {
    base.powf(exponent)
}

/// `u >= base.powf(exponent)`, the same to the bit, mostly without libm's `pow`.
#[inline]
pub fn at_least_pow(u: f64, base: f64, exponent: f64) -> bool {
    if let Some((lo, hi)) = pow_bounds(base, exponent) {
        if u > hi {
            return true;
        }
        if u < lo {
            return false;
        }
    }
    cold_at_least_pow(u, base, exponent)
}

/// `u >= base.powf(e)` for an exponent e known only to lie within a factor e^`slack` of
/// `exponent` (as [`TriageMixture::screened_exponent`] gives it): `Some` answer when every such
/// e compares the same way, `None` when the caller needs e itself.
///
/// Why it is exact: with t = `exponent` x ln_screen(base), e ln(base) is within
/// dt = 1.01 slack (|t| + 3e-8 `exponent`) + 3e-8 `exponent` (+ the product's rounding) of t
/// (e^slack - 1 <= 1.01 slack for slack <= 1e-3; ln_screen within 3e-8), so base^e is within
/// a relative 1.006 dt + 9.4e-7 of exp_screen(t) for dt <= 0.01, and libm's power within a few
/// ulps of it: a uniform clear of exp_screen(t) by 2.02 dt + `SCREEN_MARGIN` compares with it
/// the same way.
#[inline]
pub fn at_least_pow_within(u: f64, base: f64, exponent: f64, slack: f64) -> Option<bool> {
    if !(base >= f64::MIN_POSITIVE && base.is_finite() && exponent > 0.0 && exponent <= 1e6 && slack <= 1e-3) {
        return None;
    }
    let t = exponent * ln_screen(base);
    let dt = 1.01 * slack * (t.abs() + 3e-8 * exponent) + 3e-8 * exponent + 1e-15 * t.abs();
    if !(t.abs() <= SCREEN_EXP_MAX && dt <= 0.01) {
        return None;
    }
    let p = exp_screen(t);
    let margin = (2.02 * dt + SCREEN_MARGIN) * p;
    if u > p + margin {
        return Some(true);
    }
    if u < p - margin {
        return Some(false);
    }
    None
}

/// `scale * base.powf(exponent) <= limit` for a scale >= 0, the same to the bit, mostly without
/// libm's `pow` (the bounds' margin covers the rounding of the product many times over).
#[inline]
pub fn scaled_pow_at_most(scale: f64, base: f64, exponent: f64, limit: f64) -> bool {
    if (0.0..f64::INFINITY).contains(&scale)
        && let Some((lo, hi)) = pow_bounds(base, exponent)
    {
        if scale * hi < limit {
            return true;
        }
        if scale * lo > limit {
            return false;
        }
    }
    cold_scaled_pow_at_most(scale, base, exponent, limit)
}

/// [`scaled_pow_at_most`]`(scale, unit(word), exponent, limit)` for a scale, exponent and
/// limit fixed in advance (a rules entry's police custody: are `hours x u^shape` within 48?),
/// decided for most words by comparing the word with two counts: the words below `certain`
/// satisfy it, those from `impossible` on do not; the words between take
/// `scaled_pow_at_most` itself.
///
/// Why it is exact: for scale > 0 and 0 < exponent <= 1e6 the true power u^exponent rises
/// strictly with u, and so with the word. `certain` is a word count c whose last word c - 1
/// the screen certifies, `scale * hi < limit` with `pow_bounds`' upper bound hi: the true power
/// there is below hi by far more than libm's error (a few ulps against a relative 1.6e-5), so
/// for every word below it libm's power, below the true power at c - 1 times 1 + 2^-50, is
/// below hi, and the rounded product at most `scale * hi`, which is below the limit: the plain
/// expression holds. Likewise `impossible` is a word whose `scale * lo > limit` (lo the lower
/// bound): from it on libm's power is above lo and the product above the limit. Any
/// certified words would do; a bisection finds ones next to where the answer changes (it keeps
/// a certified word below its low end and one at its high end, whatever the screen says in
/// between). Outside that domain (or a NaN), no word is certain: every word takes the plain
/// screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowAtMostWords {
    scale: f64,
    exponent: f64,
    limit: f64,
    certain: u64,
    impossible: u64,
}

impl PowAtMostWords {
    pub fn new(scale: f64, exponent: f64, limit: f64) -> PowAtMostWords {
        const WORDS: u64 = 1 << 32;
        let mut words = PowAtMostWords { scale, exponent, limit, certain: 0, impossible: WORDS };
        if !(scale > 0.0 && scale.is_finite() && exponent > 0.0 && exponent <= 1e6 && limit.is_finite()) {
            return words;
        }
        let bounds = |w: u64| pow_bounds(unit(w as u32), exponent);
        // The bisections keep `pred(lo - 1)` (lo > 0) and `!pred(hi)` (hi < 2^32).
        let bisect = |pred: &dyn Fn(u64) -> bool| {
            let (mut lo, mut hi) = (0u64, WORDS);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if pred(mid) { lo = mid + 1 } else { hi = mid }
            }
            lo
        };
        words.certain = bisect(&|w| bounds(w).is_some_and(|(_, hi)| scale * hi < limit));
        words.impossible = bisect(&|w| !bounds(w).is_some_and(|(lo, _)| scale * lo > limit));
        words
    }

    /// `scaled_pow_at_most(scale, unit(word), exponent, limit)`.
    #[inline]
    pub fn holds(&self, word: u32) -> bool {
        let w = word as u64;
        if w < self.certain {
            true
        } else if w >= self.impossible {
            false
        } else {
            scaled_pow_at_most(self.scale, unit(word), self.exponent, self.limit)
        }
    }
}

/// The inverse of `logistic`: the log-odds of a chance (minus infinity at 0; a chance of 1 is
/// read as 1 - 1e-12, so the log-odds stay finite and can be shifted).
#[inline]
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p).max(1e-12)).ln()
}

/// ln(e^a + e^b) without overflow: the utility of two options merged into one, which a
/// multinomial logit then chooses as often as either of them. `NEG_INFINITY` is an absent option.
#[inline]
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY { hi } else { hi + (lo - hi).exp().ln_1p() }
}

/// Chooses among options with probabilities proportional to exp(utility) (a multinomial
/// logit); options that are not available have utility `f64::NEG_INFINITY`. Returns the index
/// of the chosen option. Deterministic in `u`.
#[inline(always)]
pub fn choose(utilities: &[f64], u: f64) -> usize {
    if let Some(i) = choose_screened(utilities, u) {
        return i;
    }
    let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut weights = [0.0f64; 8];
    let mut total = 0.0;
    for (w, &v) in weights.iter_mut().zip(utilities) {
        *w = (v - max).exp();
        total += *w;
    }
    let mut target = u * total;
    for (i, w) in weights.iter().take(utilities.len()).enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    // Rounding left a sliver past the end: take the last available option.
    utilities.iter().rposition(|v| v.is_finite()).unwrap_or(0)
}

/// `choose` where the option is certain without libm's `exp`. `choose` returns the first
/// option i whose cumulative weight C_i (weights e^(v - max), summed in order) exceeds u times
/// the total; its running subtraction is exact up to ~10 ulps of the total. With
/// `exp_screen` every weight is within a relative 3.5e-6 (the best option's is e^0 = 1 exactly),
/// so every screened C_i and the screened total are within 3.5e-6 of libm's (the total is at
/// least 1). When u times the screened total is more than 5e-5 of the total from every
/// screened C_i, the first C_i above it is the one `choose` finds. `None`: too close to call
/// (about 1e-3 of choices), more than 8 options, or a NaN.
#[inline]
fn choose_screened(utilities: &[f64], u: f64) -> Option<usize> {
    let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if utilities.len() > 8 || !max.is_finite() {
        return None;
    }
    let mut cumulative = [0.0f64; 8];
    let mut total = 0.0;
    for (c, &v) in cumulative.iter_mut().zip(utilities) {
        let d = v - max;
        total += if d == 0.0 {
            1.0
        } else if d >= -SCREEN_EXP_MAX {
            exp_screen(d)
        } else if d < -SCREEN_EXP_MAX {
            // Unavailable (-inf), or a weight below e^-700: nothing next to a total >= 1.
            0.0
        } else {
            return None;
        };
        *c = total;
    }
    let target = u * total;
    let margin = 5e-5 * total;
    let cumulative = &cumulative[..utilities.len()];
    // The sums never fall (every weight is at least 0), so the entries before the first one
    // above the target are at or below the one just before it, and those after it at or
    // above it: every entry is clear of the target by the margin exactly when these two are
    // (the same answer as checking them all, in two comparisons).
    let k = cumulative.iter().position(|&c| target < c)?;
    let clear_below = k == 0 || target - cumulative[k - 1] > margin;
    (clear_below && cumulative[k] - target > margin).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64 uniforms in (0, 1) for the screening tests.
    fn uniforms(seed: u64) -> impl Iterator<Item = f64> {
        let mut state = seed;
        std::iter::repeat_with(move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        })
    }

    /// The uniforms at and next to a threshold: where a screen must hand over to libm.
    fn around(p: f64) -> [f64; 5] {
        [p.next_down().next_down(), p.next_down(), p, p.next_up(), p.next_up().next_up()]
    }

    #[test]
    fn screens_are_as_accurate_as_claimed() {
        for x in uniforms(1).take(200_000) {
            let t = (x - 0.5) * 2.0 * SCREEN_EXP_MAX;
            assert!((exp_screen(t) / t.exp() - 1.0).abs() < 9.3e-7, "exp {t}");
            let y = (x * 40.0 - 30.0).exp();
            assert!((ln_screen(y) - y.ln()).abs() < 3e-8, "ln {y}");
        }
    }

    /// `exp_screen` at the ends of its domain, at the cells' edges of its table (where r is
    /// largest) and at zero; the table against libm's `exp2`.
    #[test]
    fn exp_screen_table_and_edges() {
        for (j, t) in EXP2_FRACTIONS.iter().enumerate() {
            let want = (j as f64 / EXP2_STEPS as f64).exp2();
            assert!((t / want - 1.0).abs() < 1e-15, "2^({j}/256): {t} against {want}");
        }
        let step = std::f64::consts::LN_2 / EXP2_STEPS as f64;
        let mut xs = vec![0.0, -0.0, SCREEN_EXP_MAX, -SCREEN_EXP_MAX, 1.0, -1.0];
        for k in (-258_600i64..=258_600).step_by(97) {
            let edge = (k as f64 + 0.5) * step;
            xs.extend([edge, edge.next_up(), edge.next_down()]);
        }
        for x in xs.into_iter().filter(|x| x.abs() <= SCREEN_EXP_MAX) {
            assert!((exp_screen(x) / x.exp() - 1.0).abs() < 9.3e-7, "exp {x}");
        }
        assert_eq!(exp_screen(0.0), 1.0);
    }

    #[test]
    fn below_logistic_is_the_plain_comparison() {
        let mut us = uniforms(2);
        for _ in 0..200_000 {
            let x = (us.next().unwrap() - 0.5) * 30.0;
            let scale = if us.next().unwrap() < 0.3 { 1.0 } else { us.next().unwrap() };
            let p = scale * logistic(x);
            let u = us.next().unwrap();
            for u in around(p).into_iter().chain([u, 0.0, 1.0]) {
                assert_eq!(below_scaled_logistic(u, scale, x), u < scale * logistic(x), "{u} {scale} {x}");
                assert_eq!(at_least_scaled_logistic(u, scale, x), u >= scale * logistic(x), "{u} {scale} {x}");
            }
        }
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 800.0, -800.0, 0.0] {
            for u in [0.0, 0.3, 1.0, f64::NAN] {
                assert_eq!(below_logistic(u, x), u < logistic(x), "{u} {x}");
                assert_eq!(at_least_logistic(u, x), u >= logistic(x), "{u} {x}");
            }
        }
    }

    #[test]
    fn below_logistic_of_pow_is_the_plain_comparison() {
        let mut us = uniforms(7);
        for _ in 0..200_000 {
            let (base, exponent) = (us.next().unwrap() * 3.0, us.next().unwrap() * 2.0);
            let (a, c) = ((us.next().unwrap() - 0.5) * 6.0, (us.next().unwrap() - 0.5) * 4.0);
            let x = |p: f64| a + c * p - 0.3;
            let plain = |u: f64| u < logistic(x(base.powf(exponent)));
            let exponent = if us.next().unwrap() < 0.1 { 1.0 } else { exponent };
            let p = logistic(x(base.powf(exponent)));
            for u in around(p).into_iter().chain([us.next().unwrap()]) {
                let plain = if exponent == 1.0 { u < logistic(x(base)) } else { plain(u) };
                assert_eq!(below_logistic_of_pow(u, base, exponent, x), plain, "{u} {base} {exponent} {a} {c}");
            }
        }
    }

    #[test]
    fn shifted_chance_screen_is_as_accurate_as_claimed() {
        let mut us = uniforms(6);
        for _ in 0..200_000 {
            let p = us.next().unwrap() * 0.999;
            let shift = (us.next().unwrap() - 0.5) * 20.0;
            if let Some(q) = shifted_chance_screen(p, shift) {
                let exact = logistic(logit(p) + shift);
                assert!((q / exact - 1.0).abs() < 3.6e-6, "{p} {shift}: {q} vs {exact}");
            }
        }
        assert_eq!(shifted_chance_screen(0.0, 1.0), None);
        assert_eq!(shifted_chance_screen(0.5, f64::NAN), None);
    }

    #[test]
    fn below_pow_is_the_plain_comparison() {
        let mut us = uniforms(3);
        for _ in 0..200_000 {
            let base = us.next().unwrap();
            let exponent = (us.next().unwrap() * 13.0).exp();
            let p = base.powf(exponent);
            let u = us.next().unwrap();
            for u in around(p).into_iter().chain([u, 1e-300, 0.0]) {
                assert_eq!(below_pow(u, base, exponent), u < base.powf(exponent), "{u} {base} {exponent}");
                assert_eq!(at_least_pow(u, base, exponent), u >= base.powf(exponent), "{u} {base} {exponent}");
            }
        }
        for (base, exponent) in [(0.0, 2.0), (1.0, 3.0), (0.5, f64::NAN), (f64::NAN, 1.0), (1e-310, 2.0), (2.0, 0.5)] {
            for u in [0.0, 0.3, 1.0, f64::NAN] {
                assert_eq!(below_pow(u, base, exponent), u < base.powf(exponent), "{u} {base} {exponent}");
                assert_eq!(at_least_pow(u, base, exponent), u >= base.powf(exponent), "{u} {base} {exponent}");
            }
        }
        // As the custody hours use it: a scale, a limit, and powers at the limit.
        for _ in 0..200_000 {
            let (base, exponent) = (us.next().unwrap(), us.next().unwrap() * 4.0);
            let scale = (us.next().unwrap() * 8.0).exp();
            let q = scale * base.powf(exponent);
            for limit in around(q).into_iter().chain([48.0, 0.0]) {
                assert_eq!(
                    scaled_pow_at_most(scale, base, exponent, limit),
                    scale * base.powf(exponent) <= limit,
                    "{scale} {base} {exponent} {limit}"
                );
            }
        }
    }

    #[test]
    fn exp_days_screen_is_the_plain_rounding() {
        let plain = |mean: f64, u: f64| ((round_half_away(-mean * u.ln())) as u32).max(1);
        let mut us = uniforms(4);
        for _ in 0..200_000 {
            let mean = (us.next().unwrap() * 10.0).exp();
            let u = us.next().unwrap().max(1e-12);
            assert_eq!(exp_days(mean, u), plain(mean, u), "{mean} {u}");
            // A uniform whose days fall on a half day: the screen must hand over.
            let half = (plain(mean, u) as f64 + 0.5) / mean;
            for u in around((-half).exp()) {
                assert_eq!(exp_days(mean, u), plain(mean, u), "{mean} {u}");
            }
        }
        for (mean, u) in [(0.0, 0.5), (5.0, 1.0), (5.0, 1e-320), (2e6, 0.5), (f64::NAN, 0.5), (3.0, f64::NAN)] {
            assert_eq!(exp_days(mean, u), plain(mean, u), "{mean} {u}");
        }
    }

    /// `exp_days_word` is `exp_days` of the word's uniform: at the words' ends, next to the
    /// words whose days fall on a half day, at the ends of the screened means and outside them.
    #[test]
    fn exp_days_from_the_word_is_exp_days() {
        let plain = |mean: f64, u: f64| ((round_half_away(-mean * u.ln())) as u32).max(1);
        let check = |mean: f64, w: u32| {
            let u = unit(w);
            assert_eq!(exp_days_word(mean, w), exp_days(mean, u), "{mean} {w}");
            assert_eq!(exp_days_word(mean, w), plain(mean, u), "{mean} {w}");
        };
        let mut us = uniforms(9);
        let mut means = vec![0.0, -0.0, 1e-9, 0.5, 1.0, 1e6, 1e6_f64.next_up(), 2e6, -1.0, f64::NAN, f64::INFINITY];
        means.extend((0..300).map(|_| (us.next().unwrap() * 13.8).exp()));
        for mean in means {
            for w in [0, 1, 2, 1 << 31, u32::MAX - 1, u32::MAX] {
                check(mean, w);
            }
            for _ in 0..300 {
                let w = (us.next().unwrap() * 4_294_967_296.0) as u32;
                check(mean, w);
                // The words next to the one whose days fall on a half day.
                let half = (plain(mean, unit(w)) as f64 + 0.5) / mean;
                let at = ((-half).exp() * 4_294_967_296.0 - 0.5).clamp(0.0, u32::MAX as f64) as u32;
                for w in at.saturating_sub(2)..=at.saturating_add(2) {
                    check(mean, w);
                }
            }
        }
    }

    #[test]
    fn choose_screen_is_the_plain_choice() {
        let plain = |utilities: &[f64], u: f64| {
            let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = utilities.iter().map(|v| (v - max).exp()).collect();
            let total: f64 = weights.iter().sum();
            let mut target = u * total;
            for (i, w) in weights.iter().enumerate() {
                if target < *w {
                    return i;
                }
                target -= w;
            }
            utilities.iter().rposition(|v| v.is_finite()).unwrap_or(0)
        };
        let mut us = uniforms(5);
        for _ in 0..100_000 {
            let n = 2 + (us.next().unwrap() * 7.0) as usize;
            let utilities: Vec<f64> = (0..n)
                .map(|_| {
                    let x = us.next().unwrap();
                    if x < 0.1 { f64::NEG_INFINITY } else { (x - 0.5) * 12.0 }
                })
                .collect();
            let u = us.next().unwrap();
            // Uniforms at the boundaries between options too.
            let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = utilities.iter().map(|v| (v - max).exp()).collect();
            let total: f64 = weights.iter().sum();
            let mut boundaries = vec![u, 0.0, 1.0f64.next_down()];
            let mut c = 0.0;
            for w in &weights {
                c += w;
                boundaries.extend(around(c / total));
            }
            for u in boundaries.into_iter().filter(|u| (0.0..1.0).contains(u)) {
                assert_eq!(choose(&utilities, u), plain(&utilities, u), "{utilities:?} {u}");
            }
        }
    }

    #[test]
    fn beta_table_matches_known_quantiles() {
        // Beta(1,1) is uniform; Beta(2,1) has quantile sqrt(p); Beta(1,2) 1 - sqrt(1-p).
        let u = BetaTable::new(Beta { a: 1.0, b: 1.0 });
        let b21 = BetaTable::new(Beta { a: 2.0, b: 1.0 });
        let b12 = BetaTable::new(Beta { a: 1.0, b: 2.0 });
        for &p in &[0.01, 0.1, 0.37, 0.5, 0.9, 0.999] {
            assert!((u.sample(p) - p).abs() < 1e-6, "{p}");
            assert!((b21.sample(p) - p.sqrt()).abs() < 1e-4, "{p}");
            assert!((b12.sample(p) - (1.0 - (1.0 - p).sqrt())).abs() < 1e-4, "{p}");
        }
    }

    /// The banded bisection gives the plain bisection's table to the bit, for the shipped
    /// scenario's distributions and shapes from U-shaped to sharply peaked.
    /// `build_missing` puts every table it is given in the cache, built as `build` builds it,
    /// and leaves a table already there as it was (the same `Arc`).
    #[test]
    fn build_missing_caches_the_tables_it_is_given() {
        let kept = BetaTable::new(Beta { a: 3.25, b: 1.75 });
        let fresh = [Beta { a: 1.0 + 1e-7, b: 2.5 }, Beta { a: 2.5, b: 1.0 + 3e-7 }];
        assert!(fresh.iter().all(|&b| !table_cache().contains_key(&table_key(b))));
        BetaTable::build_missing(&[fresh[0], Beta { a: 3.25, b: 1.75 }, fresh[1], fresh[0]]);
        for b in fresh {
            let cached = Arc::clone(table_cache().get(&table_key(b)).expect("built and cached"));
            assert_eq!(cached.q, BetaTable::build(b).q);
            assert!(Arc::ptr_eq(&cached, &BetaTable::new(b)));
        }
        assert!(Arc::ptr_eq(&kept, &BetaTable::new(Beta { a: 3.25, b: 1.75 })));
    }

    #[test]
    fn beta_table_build_equals_plain_bisection() {
        let shapes = [
            // The shipped scenario's: traits, solvability (all and selected), evidence.
            (5.0, 2.0),
            (1.2, 4.0),
            (4.0, 2.0),
            (1.5, 7.0),
            (2.0, 1.6),
            (2.0 + 0.6187833058457978, 1.6),
            (4.0, 1.5),
            (3.0, 1.6),
            (2.0, 2.0),
            (2.0, 5.0),
            (0.5, 0.5),
            (0.8, 3.0),
            (1.0, 1.0),
            (5.0, 1.2),
            (30.0, 40.0),
            (1.3, 0.7),
        ];
        for (a, b) in shapes {
            let beta = Beta { a, b };
            let fast = BetaTable::build(beta);
            let plain = BetaTable::build_bisect(beta);
            for (i, (x, y)) in fast.q.iter().zip(&plain.q).enumerate() {
                assert_eq!(x.to_bits(), y.to_bits(), "Beta({a}, {b}) at grid point {i}: {x} vs {y}");
            }
        }
    }

    /// Stopping once the midpoint rounds to an end of the bracket gives the 60 steps' result,
    /// for thresholds anywhere (next to the start, next to 1, among tiny and adjacent doubles)
    /// and for a predicate that is not monotone at all (any answer that depends only on the
    /// point will do).
    #[test]
    fn bisection_stopped_at_adjacent_doubles_is_the_full_bisection() {
        let starts = [0.0, 1e-300, 0.25, 0.5, 0.75, 1.0 - f64::EPSILON, 0.999_999_999_999];
        let mut thresholds = vec![0.0, 5e-324, 1e-300, 1e-17, 0.3, 0.5, 0.6180339887498949, 1.0, 2.0];
        for t in [0.25, 0.5, 0.75, 1.0 - f64::EPSILON, 0.999_999_999_999, 0.123_456_789] {
            thresholds.extend([f64::from_bits(t.to_bits() - 1), t, f64::from_bits(t.to_bits() + 1)]);
        }
        for &lo in &starts {
            for &t in &thresholds {
                let plain = bisect(lo, |m| m < t);
                let short = bisect_to_adjacent(lo, |m| m < t);
                assert_eq!(plain.to_bits(), short.to_bits(), "from {lo}, threshold {t}");
                let plain = bisect(lo, |m| m <= t);
                let short = bisect_to_adjacent(lo, |m| m <= t);
                assert_eq!(plain.to_bits(), short.to_bits(), "from {lo}, threshold {t} (<=)");
            }
            for salt in 0..200u64 {
                let noise = |m: f64| (m.to_bits() ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63 == 1;
                assert_eq!(
                    bisect(lo, noise).to_bits(),
                    bisect_to_adjacent(lo, noise).to_bits(),
                    "from {lo}, salt {salt}"
                );
            }
        }
    }

    /// The tabulated coefficients give `reg_inc_beta` to the bit: on both sides of the
    /// symmetry point and next to it, near 0 and 1, outside [0, 1] and at NaN.
    #[test]
    fn incomplete_beta_with_tabulated_fraction_is_the_plain_one() {
        let mut us = uniforms(11);
        for (a, b) in
            [(5.0, 2.0), (1.2, 4.0), (1.5, 7.0), (2.0, 1.6), (2.6187833058457978, 1.6), (0.5, 0.5), (30.0, 40.0)]
        {
            let ln_beta = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b);
            let inc = IncompleteBeta::new(a, b, ln_beta);
            let split = (a + 1.0) / (a + b + 2.0);
            let mut xs = vec![-1.0, 0.0, 5e-324, 1e-300, 1e-9, 1.0 - 1e-12, 1.0, 2.0, f64::NAN];
            xs.extend([split.next_down(), split, split.next_up()]);
            xs.extend((0..3_000).map(|_| us.next().unwrap()));
            for x in xs {
                let plain = reg_inc_beta(a, b, ln_beta, x);
                assert_eq!(inc.at(x).to_bits(), plain.to_bits(), "Beta({a}, {b}) at {x}");
                assert_eq!(inc.with_density(x).0.to_bits(), plain.to_bits(), "Beta({a}, {b}) at {x}");
            }
        }
    }

    /// A mixture kept from earlier use (its logarithms partly computed, in another order)
    /// gives the exponents a fresh one gives, to the bit; `is_for` tells weights by their bits.
    #[test]
    fn a_kept_triage_mixture_gives_a_fresh_ones_exponents() {
        let t = TriageTable::new(Beta { a: 2.0, b: 1.6 }, 0.6187833058457978);
        let mut us = uniforms(12);
        for w in [0.0, 0.3, 1.0] {
            let inputs: Vec<(f64, f64, f64)> =
                (0..2_000).map(|_| (us.next().unwrap(), us.next().unwrap() * 3.0, 2.0 * us.next().unwrap())).collect();
            let mut kept = t.mixture(w);
            for &(c, el, ceil) in inputs.iter().rev() {
                kept.screened_exponent(c, el, ceil);
                kept.exponent(c.powf(el).min(ceil));
            }
            assert!(kept.is_for(w));
            let mut fresh = t.mixture(w);
            for &(c, el, ceil) in &inputs {
                let (a, b) = (kept.screened_exponent(c, el, ceil), fresh.screened_exponent(c, el, ceil));
                assert_eq!(a.map(|(e, s)| (e.to_bits(), s.to_bits())), b.map(|(e, s)| (e.to_bits(), s.to_bits())));
                let ratio = c.powf(el).min(ceil);
                assert_eq!(kept.exponent(ratio).to_bits(), fresh.exponent(ratio).to_bits());
            }
        }
        let m = t.mixture(0.0);
        assert!(m.is_for(0.0) && !m.is_for(-0.0) && !m.is_for(1e-300) && !m.is_for(f64::NAN));
    }

    /// The guided search finds the index the fixed bisection finds, for targets across and
    /// beyond the moments, at and next to every moment, at the guide's cell edges, for several
    /// tables and weights (the shipped scenario's among them); the guide is built where the
    /// moments allow one and not where they rise.
    #[test]
    fn guided_search_is_the_bisection() {
        let mut us = uniforms(21);
        let mut guided = 0;
        for (a, b, k) in [(2.0, 1.6, 1.3382682586182733), (0.7, 3.0, 0.4), (5.0, 0.8, 2.5), (1.0, 1.0, 0.0)] {
            let t = TriageTable::new(Beta { a, b }, k);
            for w in [0.0, 0.3, 0.77, 1.0] {
                let m = t.mixture(w);
                let g: &[f64; TRIAGE_GRID + 1] = m.g[..].try_into().unwrap();
                let mut targets: Vec<f64> = (0..20_000).map(|_| (us.next().unwrap() * 60.0 - 50.0).exp()).collect();
                for &x in g.iter() {
                    targets.extend([x, x.next_up(), x.next_down()]);
                }
                for c in 0..m.guide.start.len() as u64 + 2 {
                    let edge = f64::from_bits((m.guide.base + c) << GUIDE_SHIFT);
                    targets.extend([edge, edge.next_down(), edge.next_up()]);
                }
                targets.extend([f64::MIN_POSITIVE, 0.0, 1.0, 2.0, f64::INFINITY, f64::NAN]);
                for target in targets {
                    let cell = (target.to_bits() >> GUIDE_SHIFT).wrapping_sub(m.guide.base);
                    guided += usize::from((cell as usize) < m.guide.start.len());
                    assert_eq!(
                        m.first_at_or_below(target),
                        Some(bisect_moments(g, target)),
                        "{a} {b} {k} {w} {target}"
                    );
                }
                assert!(!m.guide.start.is_empty(), "{a} {b} {k} {w}");
            }
        }
        assert!(guided > 100_000, "{guided}");
        let mut rising: Vec<f64> = (0..=TRIAGE_GRID).map(|i| 1.0 / (i + 1) as f64).collect();
        assert!(!TargetGuide::new(&rising).start.is_empty());
        rising[7] = rising[6].next_up();
        assert!(TargetGuide::new(&rising).start.is_empty());
        rising[7] = f64::NAN;
        assert!(TargetGuide::new(&rising).start.is_empty());
    }

    /// `PowAtMostWords::holds` is the plain `scale * unit(w).powf(exponent) <= limit` for
    /// the words around both counts and across all words, for the shipped custody (72 and 48
    /// hours, shape 1.5) and other shapes and scales; outside the screen's domain no word is
    /// decided by the counts.
    #[test]
    fn pow_at_most_words_is_the_plain_comparison() {
        let cases = [
            (72.0, 1.5, 48.0),
            (48.0, 1.5, 48.0),
            (240.0, 3.0, 48.0),
            (72.0, 0.25, 48.0),
            (1e6, 40.0, 48.0),
            (30.0, 1.0, 48.0),
            (72.0, 1e-9, 48.0),
        ];
        let mut counted = 0u64;
        for (scale, exponent, limit) in cases {
            let p = PowAtMostWords::new(scale, exponent, limit);
            assert!(p.certain <= p.impossible, "{scale} {exponent}");
            counted += p.certain + ((1u64 << 32) - p.impossible);
            let mut words: Vec<u64> = (0..1u64 << 32).step_by(4_099).chain([u32::MAX as u64]).collect();
            for edge in [p.certain, p.impossible] {
                words.extend(edge.saturating_sub(2_000)..(edge + 2_000).min(1 << 32));
            }
            for w in words {
                let w = w as u32;
                let plain = scale * unit(w).powf(exponent) <= limit;
                assert_eq!(p.holds(w), plain, "{scale} {exponent} {limit} word {w}");
            }
        }
        // Nearly every word is decided by the counts.
        assert!(counted > 7 * ((1u64 << 32) - 1_000_000), "{counted}");
        for (scale, exponent, limit) in
            [(0.0, 1.5, 48.0), (72.0, 0.0, 48.0), (72.0, -1.5, 48.0), (f64::NAN, 1.5, 48.0), (72.0, 1.5, f64::NAN)]
        {
            let p = PowAtMostWords::new(scale, exponent, limit);
            assert_eq!((p.certain, p.impossible), (0, 1 << 32), "{scale} {exponent} {limit}");
            for w in [0, 1, 1 << 31, u32::MAX] {
                assert_eq!(p.holds(w), scale * unit(w).powf(exponent) <= limit);
            }
        }
    }

    /// `ExpDaysWords::days` is `exp_days_word` (and the plain libm days) for words across all of
    /// them and next to every cell's edges, for the shipped means (80 days to court, the four
    /// terms, 100 investigation, 60 trial and appeal, 40 private hearing) and others, 0,
    /// the screen's bounds and means outside it; where the screen alone is certain it gives
    /// `exp_days_word`'s days.
    #[test]
    fn exp_days_words_is_exp_days_word() {
        let plain = |mean: f64, w: u32| ((round_half_away(-mean * unit(w).ln())) as u32).max(1);
        for mean in [
            80.0,
            300.0,
            700.0,
            1_059.117204822769,
            2_600.0,
            100.0,
            60.0,
            40.0,
            20.0,
            0.0,
            0.3,
            1.0,
            1e6,
            1e7,
            -1.0,
            f64::NAN,
        ] {
            let table = ExpDaysWords::new(mean);
            let mut words: Vec<u32> = (0..=u32::MAX).step_by(4_099).chain([u32::MAX]).collect();
            for c in 0..EXP_DAYS_CELLS as u64 {
                let edge = c << EXP_DAYS_CELL_SHIFT;
                words.extend((edge.saturating_sub(16)..edge + 16).map(|w| w as u32));
            }
            let mut from_table = 0;
            for w in words {
                let want = exp_days_word(mean, w);
                assert_eq!(table.days(w), want, "mean {mean} word {w}");
                assert_eq!(want, plain(mean, w), "mean {mean} word {w}");
                if let Some(days) = exp_days_word_screened(mean, w) {
                    assert_eq!(days, want, "mean {mean} word {w}");
                }
                from_table += usize::from(table.cells[(w >> EXP_DAYS_CELL_SHIFT) as usize] != 0);
            }
            if mean == 80.0 {
                assert!(from_table > 900_000, "{from_table}");
            }
        }
    }

    /// `ln_g` gives ln g[i] to the bit whether it computes it (first read) or reads it kept,
    /// NaN logarithms (moments below 0 at a weight past 1) included.
    #[test]
    fn ln_g_is_the_moments_logarithm_first_and_kept() {
        let t = TriageTable::new(Beta { a: 2.0, b: 1.6 }, 0.6187833058457978);
        for w in [0.0, 0.3, 1.0, 40.0] {
            let mut m = t.mixture(w);
            for i in [0, 1, 7, 256, 511, TRIAGE_GRID, 7, 0, TRIAGE_GRID] {
                let want = m.g[i].ln();
                assert_eq!(m.ln_g(i).to_bits(), want.to_bits(), "w {w} i {i}");
                assert_eq!(m.ln_g(i).to_bits(), want.to_bits(), "w {w} i {i}, kept");
            }
        }
        assert!(t.mixture(40.0).g.iter().any(|g| g.ln().is_nan()));
    }

    #[test]
    fn beta_table_mean_is_right() {
        let beta = Beta { a: 4.0, b: 1.5 };
        let t = BetaTable::new(beta);
        let n = 100_000;
        let mean: f64 = (0..n).map(|i| t.sample((i as f64 + 0.5) / n as f64)).sum::<f64>() / n as f64;
        assert!((mean - beta.mean()).abs() < 1e-3, "{mean} vs {}", beta.mean());
    }

    #[test]
    fn triage_exponent_inverts_the_beta_moment() {
        let beta = Beta { a: 2.0, b: 1.6 };
        let k = 1.5;
        let t = TriageTable::new(beta, k);
        assert_eq!(t.exponent(1.0, 0.3), 1.0);
        assert_eq!(t.exponent(1.5, 0.3), 1.0);
        let sel = Beta { a: beta.a + k, b: beta.b };
        for w in [0.0, 0.4, 1.0] {
            let mix = |e: f64| w * beta_moment(beta, e) + (1.0 - w) * beta_moment(sel, e);
            for ratio in [0.9, 0.5, 0.2, 0.05, 0.01] {
                let e = t.exponent(ratio, w);
                // The cleared share at the exponent found, computed directly.
                let g = mix(e) / mix(1.0);
                assert!((g / ratio - 1.0).abs() < 1e-3, "w {w} ratio {ratio}: e {e} gives {g}");
            }
            // Smaller ratios need larger exponents.
            assert!(t.exponent(0.1, w) > t.exponent(0.2, w));
            // The mixture at w gives the same exponents to the bit, also when asked again.
            let mut m = t.mixture(w);
            for ratio in [0.9, 0.5, 0.2, 0.05, 0.01, 1e-9, 1.0, 0.5, 0.2, 0.999] {
                assert_eq!(m.exponent(ratio).to_bits(), t.exponent(ratio, w).to_bits(), "w {w} ratio {ratio}");
            }
        }
        // The moments: E[s] = a / (a + b), E[s^2] = a(a + 1) / ((a + b)(a + b + 1)).
        assert!((beta_moment(beta, 1.0) - 2.0 / 3.6).abs() < 1e-12);
        assert!((beta_moment(beta, 2.0) - 6.0 / (3.6 * 4.6)).abs() < 1e-12);
    }

    /// The screened exponent is within its slack of the exact one (`exponent` of libm's power),
    /// for mixtures of several tables, coverages across (0, 1) and next to where the screen
    /// stops, binding and slack ceilings; and the table's exponent is the mixture's to the bit.
    #[test]
    fn screened_exponent_is_within_its_slack() {
        let mut us = uniforms(11);
        let mut screened = 0;
        for (a, b, k) in [(2.0, 1.6, 1.5), (0.7, 3.0, 0.4), (5.0, 0.8, 2.5), (1.0, 1.0, 0.0)] {
            let t = TriageTable::new(Beta { a, b }, k);
            for w in [0.0, 0.3, 0.77, 1.0] {
                let mut m = t.mixture(w);
                let mut coverages: Vec<f64> = (0..3_000).map(|_| us.next().unwrap()).collect();
                coverages.extend([0.999f64.next_down(), 0.999, 1e-300, 0.5, 0.998_999_999]);
                for coverage in coverages {
                    let elasticity = us.next().unwrap() * 3.0;
                    let ceiling = [f64::INFINITY, 2.0, us.next().unwrap()][screened % 3];
                    let exact = m.exponent(coverage.powf(elasticity).min(ceiling));
                    let ratio = coverage.powf(elasticity).min(ceiling);
                    assert_eq!(exact.to_bits(), t.exponent(ratio, w).to_bits());
                    if let Some((e, slack)) = m.screened_exponent(coverage, elasticity, ceiling) {
                        screened += 1;
                        assert!(slack <= 1e-3);
                        assert!(
                            (exact.ln() - e.ln()).abs() <= slack,
                            "{coverage} {elasticity} {ceiling}: {exact} {e} {slack}"
                        );
                    }
                }
            }
        }
        assert!(screened > 20_000, "{screened}");
        // Outside the domain: no screen.
        let mut m = TriageTable::new(Beta { a: 2.0, b: 1.6 }, 1.5).mixture(0.4);
        for (c, el, ceil) in
            [(1.0, 0.7, 2.0), (0.0, 0.7, 2.0), (f64::NAN, 0.7, 2.0), (0.5, f64::NAN, 2.0), (0.5, 0.7, 0.0)]
        {
            assert_eq!(m.screened_exponent(c, el, ceil), None);
        }
        assert_eq!(TriageTable::new(Beta { a: 2.0, b: 1.6 }, 1.5).mixture(1.5).screened_exponent(0.5, 0.7, 2.0), None);
    }

    /// `at_least_pow_within` answers only when every exponent within the slack compares as it
    /// says, uniforms at and next to the power included.
    #[test]
    fn at_least_pow_within_is_the_plain_comparison() {
        let mut us = uniforms(12);
        let mut answered = 0;
        for i in 0..100_000 {
            let base = us.next().unwrap();
            let e = 1.0 + us.next().unwrap() * [1.0, 20.0, 300.0][i % 3];
            let slack = [0.0, 1e-6, 1e-4, 1e-3][i % 4];
            let p = base.powf(e);
            let mut draws = vec![us.next().unwrap(), p * (1.0 + slack * 3.0), p * (1.0 - slack * 3.0)];
            draws.extend(around(p));
            for u in draws {
                if let Some(answer) = at_least_pow_within(u, base, e, slack) {
                    answered += 1;
                    for e2 in [e, e * slack.exp(), e / slack.exp(), e * (slack * 0.5).exp()] {
                        assert_eq!(answer, u >= base.powf(e2), "{u} {base} {e} {slack}");
                    }
                }
            }
        }
        assert!(answered > 100_000, "{answered}");
        for (u, base, e, slack) in
            [(0.5, 0.0, 2.0, 0.0), (0.5, 0.5, 2.0, 2e-3), (0.5, f64::NAN, 2.0, 0.0), (0.5, 0.5, -1.0, 0.0)]
        {
            assert_eq!(at_least_pow_within(u, base, e, slack), None);
        }
    }

    /// The counts from words are `Poisson::sample`'s, for small, large (past the cap of 20),
    /// zero and NaN means, with words at and next to every cumulative sum's count.
    #[test]
    fn poisson_words_are_the_inversion() {
        for mean in [0.0, 0.05, 0.2, 1.0, 3.5, 30.0, f64::NAN] {
            let (plain, words) = (Poisson::new(mean), PoissonWords::new(mean));
            let mut ws: Vec<u32> = vec![0, 1, u32::MAX, 1 << 31];
            for b in &words.not_above {
                for d in 0..3u64 {
                    ws.extend([b.words().saturating_sub(d), b.words() + d].map(|w| w.min(u32::MAX as u64) as u32));
                }
            }
            ws.extend(uniforms(13).take(20_000).map(|u| (u * 4_294_967_296.0) as u32));
            for w in ws {
                assert_eq!(words.sample_word(w), plain.sample(crate::engine::draws::unit(w)), "mean {mean} word {w}");
            }
        }
    }

    #[test]
    fn beta_sample_from_the_word_is_the_sample() {
        let t = BetaTable::new(Beta { a: 2.0, b: 1.6 });
        let mut words: Vec<u32> = vec![0, 1, u32::MAX, u32::MAX - 1, 1 << 31];
        for k in [1u32, 2, 1000, 2047] {
            let edge = k << 21;
            words.extend([edge - 1, edge, edge + 1]);
        }
        words.extend(uniforms(14).take(50_000).map(|u| (u * 4_294_967_296.0) as u32));
        for w in words {
            let u = crate::engine::draws::unit(w);
            assert_eq!(t.sample_word(w).to_bits(), t.sample(u).to_bits(), "word {w}");
        }
    }

    #[test]
    fn normal_quantile_known_values() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.01) + 2.326_347_874).abs() < 1e-6);
    }

    #[test]
    fn poisson_inversion_mean() {
        let n = 100_000;
        let mean: f64 = (0..n).map(|i| poisson(0.7, (i as f64 + 0.5) / n as f64) as f64).sum::<f64>() / n as f64;
        assert!((mean - 0.7).abs() < 1e-3, "{mean}");
    }

    #[test]
    fn log_add_exp_merges_two_options_into_one() {
        // Far from zero, where e^a itself would overflow or vanish, the merge stays exact.
        for (a, b) in [(0.0f64, 0.0f64), (-6.0, -5.3), (700.0, 699.0), (-800.0, -801.0)] {
            let merged = log_add_exp(a, b);
            let expected = a.max(b) + (1.0 + (-(a - b).abs()).exp()).ln();
            assert!((merged - expected).abs() < 1e-12, "{a} {b}: {merged} vs {expected}");
            assert_eq!(merged, log_add_exp(b, a));
        }
        assert_eq!(log_add_exp(-6.0, f64::NEG_INFINITY), -6.0);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -6.0), -6.0);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    #[test]
    fn choose_follows_logit_probabilities() {
        let utils = [0.0, 1.0, f64::NEG_INFINITY, -1.0];
        let z: f64 = utils.iter().map(|v| v.exp()).sum();
        let n = 100_000;
        let mut counts = [0usize; 4];
        for i in 0..n {
            counts[choose(&utils, (i as f64 + 0.5) / n as f64)] += 1;
        }
        assert_eq!(counts[2], 0, "an unavailable option was chosen");
        for k in [0, 1, 3] {
            let p = utils[k].exp() / z;
            assert!((counts[k] as f64 / n as f64 - p).abs() < 1e-3, "option {k}");
        }
    }
}
