//! What a run is reduced to (its values of every series in every reported year), and those
//! values summarised across runs: mean, sd and numpy-exact percentiles.
//!
//! The percentiles are computed here rather than with a statistics crate because they must
//! match `numpy.quantile`'s default method to the last bit (people check `summary.csv` against
//! numpy), and crates that offer percentiles use other definitions or other operation orders.

/// Per-run values of every series in every year.
///
/// `values[s * n_years + y]` is series `s` in year `y` (row-major `[n_series, n_years]`);
/// NaN where a value is undefined, e.g. a ratio whose denominator is zero.
#[derive(Debug, Clone, PartialEq)]
pub struct RunValues {
    /// Index of the run; its seed is derived from the master seed and this index.
    pub run_index: u64,
    /// `n_series * n_years` values, series-major.
    pub values: Vec<f64>,
}

/// One (series, year) cell summarised across runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub series: String,
    pub year: i32,
    /// Mean over the runs whose value is not NaN.
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator); 0 when a single run has a value.
    pub sd: f64,
    /// 5th percentile, numpy's default ("linear", Hyndman-Fan type 7).
    pub p05: f64,
    /// 95th percentile, same definition.
    pub p95: f64,
}

/// Summarises `runs` for every (series, year), in series order then year order.
///
/// NaN values are left out of each cell; a cell where every run is NaN (or with no runs at
/// all) has all four statistics NaN. Runs are first put in ascending `run_index` order, so the
/// result is bit-identical whatever order the runs finished in.
///
/// # Panics
/// If a run does not hold exactly `series.len() * years.len()` values: that is a bug in the
/// caller, not a condition of the data.
pub fn summarize(series: &[String], years: &[i32], runs: &[RunValues]) -> Vec<SummaryRow> {
    let n_years = years.len();
    let n_cells = series.len() * n_years;
    for run in runs {
        assert_eq!(
            run.values.len(),
            n_cells,
            "run {} holds {} values, expected {} series x {} years",
            run.run_index,
            run.values.len(),
            series.len(),
            n_years
        );
    }

    // Floating-point sums depend on the order of their terms; fix it by run index.
    let mut ordered: Vec<&RunValues> = runs.iter().collect();
    ordered.sort_by_key(|run| run.run_index);

    let mut rows = Vec::with_capacity(n_cells);
    // Reused across cells to avoid one allocation per cell.
    let mut cell: Vec<f64> = Vec::with_capacity(runs.len());
    for (s, name) in series.iter().enumerate() {
        for (y, &year) in years.iter().enumerate() {
            cell.clear();
            cell.extend(ordered.iter().map(|run| run.values[s * n_years + y]).filter(|v| !v.is_nan()));
            rows.push(summarize_cell(name, year, &mut cell));
        }
    }
    rows
}

/// Statistics of one cell; `values` are the non-NaN values in run-index order (reordered here).
fn summarize_cell(series: &str, year: i32, values: &mut [f64]) -> SummaryRow {
    let n = values.len();
    let (mean, sd, p05, p95) = if n == 0 {
        (f64::NAN, f64::NAN, f64::NAN, f64::NAN)
    } else {
        // Two passes (mean, then squared deviations) rather than the one-pass sum of squares,
        // which loses precision when the spread is small relative to the mean.
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n == 1 {
            0.0
        } else {
            let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        };
        // No NaN is left, so total_cmp is the numeric order (it also orders -0.0 before 0.0,
        // which keeps the sort deterministic).
        values.sort_by(f64::total_cmp);
        (mean, sd, quantile_sorted(values, 0.05), quantile_sorted(values, 0.95))
    };
    SummaryRow { series: series.to_owned(), year, mean, sd, p05, p95 }
}

/// Quantile `q` of non-empty ascending `sorted`, numpy's "linear" method (type 7), reproduced
/// operation for operation so results match `numpy.quantile` to the last bit.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let virtual_index = last as f64 * q;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    // `below` is in [0, last] because q is in [0, 1]; clamp anyway against rounding.
    let lo = (below as usize).min(last);
    let hi = (lo + 1).min(last);
    lerp(sorted[lo], sorted[hi], gamma)
}

/// numpy's `_lerp`: interpolates from the nearer end, so that t = 1 gives exactly `b` and the
/// result is monotonic in t.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_endpoints_and_single_value() {
        let v = [3.0, 7.0];
        assert_eq!(quantile_sorted(&v, 0.0), 3.0);
        assert_eq!(quantile_sorted(&v, 1.0), 7.0);
        assert_eq!(quantile_sorted(&v, 0.5), 5.0);
        assert_eq!(quantile_sorted(&[4.0], 0.05), 4.0);
        assert_eq!(quantile_sorted(&[4.0], 0.95), 4.0);
    }
}
