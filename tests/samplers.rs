//! The samplers of `caseflow::engine::dist`, checked two ways:
//!
//! - against statrs (an independent implementation of the same distributions): each sampler
//!   maps a uniform to a draw by the distribution's quantile function, so at many uniforms the
//!   draw must be the quantile, to a stated tolerance;
//! - pinned: each sampler's exact output at a few fixed uniforms (as rand's `value_stability`
//!   tests do), so a change to a sampler shows here, named, and not only as "exact counts
//!   changed" in the engine tests.
//!
//! A uniform on a grid of 10,007 points (a prime, so the grid does not line up with the Beta
//! table's 2,048 cells) covers the open interval (0, 1).

use caseflow::engine::dist::{BetaTable, choose, exp_days, logistic, normal_quantile, poisson};
use caseflow::scenario::Beta;
use statrs::distribution::{Categorical, ContinuousCDF, DiscreteCDF, Exp, Normal, Poisson};

const GRID: usize = 10_007;

/// Uniforms strictly inside (0, 1).
fn uniforms() -> impl Iterator<Item = f64> {
    (1..GRID).map(|i| i as f64 / GRID as f64)
}

// ---------------------------------------------------------------------------------------------
// Against statrs
// ---------------------------------------------------------------------------------------------

/// The Beta table interpolates the quantile linearly between 2,049 exact points, so the
/// probability of a draw is off by at most one grid cell: |F(sample(u)) - u| <= 1/2048 (the
/// largest seen is 3.9e-4, for Beta(12, 30)). In value, where the quantile is smooth (a, b >= 1,
/// u in [0.01, 0.99]), the draw is within 2e-5 of statrs' quantile (largest seen 1.3e-5); in
/// the tails the quantile is steep and only the bound in probability holds.
#[test]
fn beta_table_is_the_beta_quantile() {
    for (a, b) in [(1.0, 1.0), (2.0, 5.0), (5.0, 2.0), (0.5, 0.5), (0.7, 3.0), (12.0, 30.0), (1.5, 1.5)] {
        let table = BetaTable::new(Beta { a, b });
        let exact = statrs::distribution::Beta::new(a, b).unwrap();
        let mut worst_p: f64 = 0.0;
        let mut worst_x: f64 = 0.0;
        for u in uniforms() {
            let x = table.sample(u);
            assert!((0.0..=1.0).contains(&x), "Beta({a}, {b}) at {u}: {x} outside [0, 1]");
            worst_p = worst_p.max((exact.cdf(x) - u).abs());
            if a >= 1.0 && b >= 1.0 && (0.01..=0.99).contains(&u) {
                worst_x = worst_x.max((x - exact.inverse_cdf(u)).abs());
            }
        }
        assert!(worst_p <= 1.0 / 2048.0, "Beta({a}, {b}): probability off by {worst_p}");
        assert!(worst_x <= 2e-5, "Beta({a}, {b}): value off by {worst_x}");
    }
}

/// Acklam's approximation has a relative error below 1.2e-9 (absolute near 0, where x is 0).
#[test]
fn normal_quantile_is_the_normal_quantile() {
    let exact = Normal::new(0.0, 1.0).unwrap();
    let extremes = [1e-300, 1e-12, 1e-6, 0.02425, 0.5, 0.97575, 1.0 - 1e-6, 1.0 - 1e-12];
    for p in uniforms().chain(extremes) {
        let (x, want) = (normal_quantile(p), exact.inverse_cdf(p));
        assert!((x - want).abs() <= 1.2e-9 * want.abs().max(1.0), "p = {p}: {x}, statrs {want}");
    }
}

/// Inversion: the draw is the smallest k with u <= F(k) (for these means, k above the cap of
/// 20 has a chance below 1e-9). Uniforms within 1e-12 of a step of F are skipped: there the
/// two sums of the same terms may round to different sides.
#[test]
fn poisson_is_the_poisson_quantile() {
    for mean in [0.05, 0.3, 1.0, 2.5, 5.0] {
        let exact = Poisson::new(mean).unwrap();
        for u in uniforms() {
            let want = (0..=20u64).find(|&k| u <= exact.cdf(k)).unwrap_or(20);
            let near_step = [want.saturating_sub(1), want].iter().any(|&k| (exact.cdf(k) - u).abs() < 1e-12);
            if !near_step {
                assert_eq!(u64::from(poisson(mean, u)), want, "mean {mean}, u = {u}");
            }
        }
    }
}

/// `exp_days(mean, u)` is the exponential quantile at 1 - u rounded to whole days, at least 1:
/// the draw's half-day interval holds the quantile, i.e. F(d - 1/2) <= 1 - u <= F(d + 1/2).
#[test]
fn exp_days_is_the_exponential_quantile_in_days() {
    for mean in [0.4, 3.0, 30.0, 365.0] {
        let exact = Exp::new(1.0 / mean).unwrap();
        for u in uniforms() {
            let d = f64::from(exp_days(mean, u));
            assert!(d >= 1.0);
            let p = 1.0 - u;
            let tol = 1e-12;
            assert!(exact.cdf(d + 0.5) >= p - tol, "mean {mean}, u = {u}: {d} days is too few");
            if d > 1.0 {
                assert!(exact.cdf(d - 0.5) <= p + tol, "mean {mean}, u = {u}: {d} days is too many");
            }
        }
    }
}

/// The logistic function, to the last few bits.
#[test]
fn logistic_is_the_logistic() {
    for i in -4000..=4000 {
        let x = f64::from(i) / 100.0;
        let (got, want) = (logistic(x), statrs::function::logistic::logistic(x));
        assert!((got - want).abs() <= 4.0 * f64::EPSILON * want, "x = {x}: {got}, statrs {want}");
    }
}

/// `choose` draws option i with chance exp(v_i) / sum exp(v_j) by inverting the cumulative
/// chances at u: the categorical quantile. Unavailable options (-inf) are never chosen.
#[test]
fn choose_is_the_categorical_quantile() {
    let cases: [&[f64]; 4] = [
        &[0.0, 0.0],
        &[1.5, -0.3, 0.2],
        &[f64::NEG_INFINITY, 2.0, f64::NEG_INFINITY, -1.0],
        &[-3.0, 4.0, 0.5, 0.0, 2.2, -1.0, 1.0, 0.1],
    ];
    for utilities in cases {
        let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = utilities.iter().map(|v| (v - max).exp()).collect();
        let exact = Categorical::new(&weights).unwrap();
        for u in uniforms() {
            let want = (0..utilities.len() as u64).find(|&k| u < exact.cdf(k)).unwrap();
            let near_step = (0..utilities.len() as u64).any(|k| (exact.cdf(k) - u).abs() < 1e-12);
            if !near_step {
                assert_eq!(choose(utilities, u) as u64, want, "{utilities:?}, u = {u}");
            }
            assert!(utilities[choose(utilities, u)].is_finite());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Value stability: exact outputs at fixed uniforms
// ---------------------------------------------------------------------------------------------

const PINNED_U: [f64; 5] = [1e-9, 0.1, 0.5, 0.73, 0.999];

#[test]
fn beta_table_values_are_stable() {
    let table = BetaTable::new(Beta { a: 2.0, b: 5.0 });
    let got: Vec<f64> = PINNED_U.iter().map(|&u| table.sample(u)).collect();
    assert_eq!(got, PINNED_BETA_2_5, "Beta(2, 5) table at {PINNED_U:?}");
    let table = BetaTable::new(Beta { a: 0.5, b: 0.5 });
    let got: Vec<f64> = PINNED_U.iter().map(|&u| table.sample(u)).collect();
    assert_eq!(got, PINNED_BETA_HALF, "Beta(0.5, 0.5) table at {PINNED_U:?}");
}

#[test]
fn normal_quantile_values_are_stable() {
    let got: Vec<f64> = PINNED_U.iter().map(|&u| normal_quantile(u)).collect();
    assert_eq!(got, PINNED_NORMAL, "normal quantile at {PINNED_U:?}");
}

#[test]
fn poisson_values_are_stable() {
    let got: Vec<u32> = PINNED_U.iter().map(|&u| poisson(2.5, u)).collect();
    assert_eq!(got, PINNED_POISSON, "Poisson(2.5) at {PINNED_U:?}");
}

#[test]
fn exp_days_values_are_stable() {
    let got: Vec<u32> = PINNED_U.iter().map(|&u| exp_days(30.0, u)).collect();
    assert_eq!(got, PINNED_EXP_DAYS, "exp_days(30) at {PINNED_U:?}");
}

#[test]
fn logistic_values_are_stable() {
    let got: Vec<f64> = [-20.0, -1.5, 0.0, 0.3, 7.0].iter().map(|&x| logistic(x)).collect();
    assert_eq!(got, PINNED_LOGISTIC, "logistic at -20, -1.5, 0, 0.3, 7");
}

#[test]
fn choose_values_are_stable() {
    let utilities = [1.5, -0.3, f64::NEG_INFINITY, 0.2];
    let got: Vec<usize> = PINNED_U.iter().map(|&u| choose(&utilities, u)).collect();
    assert_eq!(got, PINNED_CHOOSE, "choose({utilities:?}) at {PINNED_U:?}");
}

const PINNED_BETA_2_5: [f64; 5] =
    [1.177477386913711e-8, 0.09259522448427047, 0.26444998329565905, 0.3774470136321195, 0.818742364236555];
const PINNED_BETA_HALF: [f64; 5] =
    [1.2047854572445617e-12, 0.024471831378469137, 0.5, 0.8306559177149995, 0.9999975057193244];
const PINNED_NORMAL: [f64; 5] = [-5.997807015295328, -1.2815515641401563, 0.0, 0.6128129915042223, 3.090232304709404];
const PINNED_POISSON: [u32; 5] = [0, 1, 2, 3, 9];
const PINNED_EXP_DAYS: [u32; 5] = [622, 69, 21, 9, 1];
const PINNED_LOGISTIC: [f64; 5] =
    [2.0611536181902037e-9, 0.18242552380635635, 0.5, 0.574442516811659, 0.9990889488055994];
const PINNED_CHOOSE: [usize; 5] = [0, 0, 0, 1, 3];
