//! Small statistics shared by the experiments: means and sample standard deviations over the
//! finite values of a cell, Student's t intervals for a paired difference, Welch's interval
//! for an unpaired one, and normal quantiles for bootstrap intervals.
//!
//! A value is NaN where a ratio's denominator is zero in a run (see `record`); such runs are
//! left out of the cell, and out of a pair when either of its two values is NaN.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Mean and sample standard deviation (n - 1 denominator) of the finite `values`, and their
/// count. Sums run in the order given, so the same values in the same order give the same bits.
/// With no finite value both are NaN; with one the sd is NaN (no spread can be estimated).
pub fn mean_sd(values: impl IntoIterator<Item = f64>) -> (f64, f64, usize) {
    let kept: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    let n = kept.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, 0);
    }
    let mean = kept.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, f64::NAN, 1);
    }
    // Two passes, as `output::summarize` does: stable when the spread is small.
    let ss: f64 = kept.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64).sqrt(), n)
}

/// The `p` quantile of Student's t with `df` degrees of freedom (NaN when `df` is not positive
/// or not finite).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// The `p` quantile of the standard normal distribution (`scipy.stats.norm.ppf(p)`).
pub fn normal_quantile(p: f64) -> f64 {
    match Normal::new(0.0, 1.0) {
        Ok(n) => n.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// A difference (alternative minus base) with its spread and a two-sided interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// Mean difference.
    pub mean: f64,
    /// Paired: sample sd of the per-run differences. Unpaired: the standard error of the
    /// difference of means times sqrt(n) is not defined, so this is the pooled-free
    /// `sqrt(sd_base^2 + sd_alt^2)`, the sd of one alternative run minus one base run.
    pub sd: f64,
    pub lo: f64,
    pub hi: f64,
    /// Pairs (paired) or the smaller arm (unpaired) that entered.
    pub n: usize,
}

impl Difference {
    /// Width of the interval.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }
}

/// The paired difference `alt[i] - base[i]` over the runs where both are finite: its mean,
/// sample sd and the t-interval `mean ± t(1 - (1 - level) / 2, n - 1) · sd / sqrt(n)`.
/// With a single pair the interval is NaN; with every difference zero it is exactly [0, 0].
pub fn paired(base: &[f64], alt: &[f64], level: f64) -> Difference {
    let diffs: Vec<f64> =
        base.iter().zip(alt).filter(|(b, a)| b.is_finite() && a.is_finite()).map(|(b, a)| a - b).collect();
    let (mean, sd, n) = mean_sd(diffs.iter().copied());
    if n < 2 {
        return Difference { mean, sd, lo: f64::NAN, hi: f64::NAN, n };
    }
    let half = t_quantile(0.5 + level / 2.0, (n - 1) as f64) * sd / (n as f64).sqrt();
    Difference { mean, sd, lo: mean - half, hi: mean + half, n }
}

/// The unpaired difference of means `mean(alt) - mean(base)` with Welch's interval: standard
/// error `sqrt(s_b²/n_b + s_a²/n_a)` and the Welch-Satterthwaite degrees of freedom. When both
/// arms have no spread the interval is the point itself.
pub fn welch(base: &[f64], alt: &[f64], level: f64) -> Difference {
    let (mb, sb, nb) = mean_sd(base.iter().copied());
    let (ma, sa, na) = mean_sd(alt.iter().copied());
    let mean = ma - mb;
    let n = nb.min(na);
    if n < 2 {
        return Difference { mean, sd: f64::NAN, lo: f64::NAN, hi: f64::NAN, n };
    }
    let (vb, va) = (sb * sb / nb as f64, sa * sa / na as f64);
    let se2 = vb + va;
    let sd = (sb * sb + sa * sa).sqrt();
    if se2 == 0.0 {
        return Difference { mean, sd, lo: mean, hi: mean, n };
    }
    let df = se2 * se2 / (vb * vb / (nb - 1) as f64 + va * va / (na - 1) as f64);
    let half = t_quantile(0.5 + level / 2.0, df) * se2.sqrt();
    Difference { mean, sd, lo: mean - half, hi: mean + half, n }
}

/// `alt / base - 1`, NaN when `base` is zero or either is not finite.
pub fn relative_change(base: f64, alt: f64) -> f64 {
    if base.is_finite() && alt.is_finite() && base != 0.0 { alt / base - 1.0 } else { f64::NAN }
}

/// The median of the finite `values` (NaN when there is none).
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn quantiles_match_tables() {
        // Student's t, 95th percentile: 7 df 1.894579, 1 df 6.313752 (scipy.stats.t.ppf).
        assert!(close(t_quantile(0.95, 7.0), 1.894_578_605, 1e-6));
        assert!(close(t_quantile(0.95, 1.0), 6.313_751_515, 1e-6));
        assert!(close(normal_quantile(0.975), 1.959_963_985, 1e-8));
        assert!(t_quantile(0.95, 0.0).is_nan());
    }

    #[test]
    fn paired_interval_by_hand() {
        let base = [10.0, 12.0, 11.0, f64::NAN];
        let alt = [11.0, 14.0, 11.0, 5.0];
        // Differences 1, 2, 0 (the NaN pair left out): mean 1, sd 1, n 3.
        let d = paired(&base, &alt, 0.90);
        assert_eq!((d.mean, d.sd, d.n), (1.0, 1.0, 3));
        let half = 2.919_985_580 / 3f64.sqrt(); // t(0.95, 2)
        assert!(close(d.lo, 1.0 - half, 1e-6) && close(d.hi, 1.0 + half, 1e-6));
        // Identical arms: exactly zero.
        let same = paired(&base, &base, 0.90);
        assert_eq!((same.mean, same.lo, same.hi), (0.0, 0.0, 0.0));
    }

    #[test]
    fn welch_interval_by_hand() {
        let base = [1.0, 2.0, 3.0, 4.0];
        let alt = [2.0, 4.0, 6.0, 8.0, 10.0];
        let d = welch(&base, &alt, 0.90);
        // means 2.5 and 6; variances 5/3 and 10; se² = 5/12 + 2; df = se2²/((5/12)²/3 + 2²/4).
        let se2: f64 = 5.0 / 12.0 + 2.0;
        let df = se2 * se2 / ((5.0f64 / 12.0).powi(2) / 3.0 + 1.0);
        let half = t_quantile(0.95, df) * se2.sqrt();
        assert!(close(d.mean, 3.5, 1e-12));
        assert!(close(d.hi - d.lo, 2.0 * half, 1e-12));
    }

    #[test]
    fn relative_change_and_median_are_nan_safe() {
        assert_eq!(relative_change(2.0, 3.0), 0.5);
        assert!(relative_change(0.0, 3.0).is_nan());
        assert!(relative_change(f64::NAN, 3.0).is_nan());
        assert_eq!(median([3.0, f64::NAN, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0]), 2.5);
        assert!(median([f64::NAN]).is_nan());
    }
}
