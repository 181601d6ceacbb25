//! What a change to a scenario does: the base and the alternative scenario run on the same
//! runs (the same master seed and run indices, so the same random numbers: common random
//! numbers), and per series and year the paired difference across runs (`caseflow diff`).
//!
//! With common random numbers the two arms of a run differ only through the change, so the
//! per-run differences have a far smaller spread than the runs themselves and the interval of
//! the mean difference is narrow. The independent variant runs the alternative on other runs
//! (run indices `N..2N` of the same master seed), so the difference is unpaired and its interval
//! is Welch's; it also keeps the paired one, to report how much wider the unpaired one is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::record::Record;
use super::stats::{self, Difference};
use crate::batch::{Batch, RunDone, Runner};
use crate::output::{self, Content, OutputError, h5};
use crate::record::series_defs;
use crate::scenario::Scenario;
use crate::summary::RunValues;

/// Two-sided level of every interval of a diff: 90%.
pub const LEVEL: f64 = 0.90;

/// One (series, year) of a diff.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffRow {
    pub series: String,
    pub unit: String,
    pub year: i32,
    /// Means over the runs where the value is finite.
    pub base_mean: f64,
    pub alt_mean: f64,
    /// The difference reported: paired (common random numbers) by default, unpaired (Welch)
    /// with independent runs.
    pub diff: Difference,
    /// `alt_mean / base_mean - 1`; NaN when the base mean is zero or not finite.
    pub rel_change: f64,
    /// With independent runs: the paired difference of the same alternative on the base's
    /// runs, and the ratio of the interval widths (unpaired / paired); NaN when the paired
    /// width is zero (identical arms, e.g. years before the change) or undefined.
    pub crn: Option<Difference>,
    pub width_ratio: f64,
}

/// A whole diff, series-major then year, as the results store series.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffTable {
    pub rows: Vec<DiffRow>,
    /// Runs per arm.
    pub runs: usize,
    pub independent: bool,
}

/// Why two arms cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmMismatch(pub String);

impl std::fmt::Display for ArmMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArmMismatch {}

/// The diff of `alt` against `base` (runs of both laid out as `output::RunValues`, series-major
/// `[series, year]`). Paired: `base` and `alt` must hold the same run indices in the same
/// order. With `independent = Some(runs)`, the reported difference is that of those runs (other
/// run indices) against `base`, unpaired, and `alt` gives the paired one for the width ratio.
///
/// # Errors
/// When the arms do not hold the same runs, or a run has the wrong number of values.
pub fn diff_table(
    series: &[String],
    units: &[String],
    years: &[i32],
    base: &[RunValues],
    alt: &[RunValues],
    independent: Option<&[RunValues]>,
) -> Result<DiffTable, ArmMismatch> {
    let cells = series.len() * years.len();
    let base_idx: Vec<u64> = base.iter().map(|r| r.run_index).collect();
    let alt_idx: Vec<u64> = alt.iter().map(|r| r.run_index).collect();
    if base_idx != alt_idx {
        return Err(ArmMismatch(format!(
            "the two scenarios were not run on the same runs ({} and {} runs): a paired difference needs both",
            base.len(),
            alt.len()
        )));
    }
    for run in base.iter().chain(alt).chain(independent.unwrap_or(&[])) {
        if run.values.len() != cells {
            return Err(ArmMismatch(format!(
                "run {} holds {} values, expected {} series x {} years",
                run.run_index,
                run.values.len(),
                series.len(),
                years.len()
            )));
        }
    }
    let n_years = years.len();
    let cell = |runs: &[RunValues], i: usize| -> Vec<f64> { runs.iter().map(|r| r.values[i]).collect() };
    let mut rows = Vec::with_capacity(cells);
    for (s, name) in series.iter().enumerate() {
        for (y, &year) in years.iter().enumerate() {
            let i = s * n_years + y;
            let b = cell(base, i);
            let a = cell(alt, i);
            let paired = stats::paired(&b, &a, LEVEL);
            let base_mean = stats::mean_sd(b.iter().copied()).0;
            let (alt_mean, diff, crn, width_ratio) = match independent {
                None => (stats::mean_sd(a.iter().copied()).0, paired, None, f64::NAN),
                Some(other) => {
                    let o = cell(other, i);
                    let unpaired = stats::welch(&b, &o, LEVEL);
                    let ratio = if paired.width() > 0.0 { unpaired.width() / paired.width() } else { f64::NAN };
                    (stats::mean_sd(o.iter().copied()).0, unpaired, Some(paired), ratio)
                }
            };
            rows.push(DiffRow {
                series: name.clone(),
                unit: units.get(s).cloned().unwrap_or_default(),
                year,
                base_mean,
                alt_mean,
                diff,
                rel_change: stats::relative_change(base_mean, alt_mean),
                crn,
                width_ratio,
            });
        }
    }
    Ok(DiffTable { rows, runs: base.len(), independent: independent.is_some() })
}

/// Whether a base value is large enough for a relative change to mean something: a count of at
/// least 50, or a share of at least 0.01 (a change from 2 cases to 5 is +150% and says little).
fn meaningful_base(row: &DiffRow) -> bool {
    let floor = if row.unit == "share" { 0.01 } else { 50.0 };
    row.base_mean.is_finite() && row.base_mean.abs() >= floor
}

impl DiffTable {
    /// The text of `diff.csv`: one line per series and year; floats in Rust's shortest
    /// round-trip form (`NaN` where undefined). With independent runs three columns follow:
    /// the paired interval and the width ratio.
    pub fn csv(&self) -> String {
        let mut header =
            vec!["series", "year", "base_mean", "alt_mean", "diff_mean", "diff_sd", "diff_lo", "diff_hi", "rel_change"];
        if self.independent {
            header.extend(["crn_lo", "crn_hi", "width_ratio"]);
        }
        output::csv_text(
            &header,
            self.rows.iter().map(|r| {
                let d = &r.diff;
                let mut fields = vec![r.series.clone(), r.year.to_string()];
                let numbers = [r.base_mean, r.alt_mean, d.mean, d.sd, d.lo, d.hi, r.rel_change];
                fields.extend(numbers.iter().map(f64::to_string));
                if let Some(c) = &r.crn {
                    fields.extend([c.lo, c.hi, r.width_ratio].iter().map(f64::to_string));
                }
                fields
            }),
        )
    }

    /// The largest effects: for each series the year of its largest relative change (among
    /// years with a meaningful base and a non-zero difference), then the `k` series with the
    /// largest, largest first (ties by series order).
    pub fn top_effects(&self, k: usize) -> Vec<&DiffRow> {
        let mut best: Vec<&DiffRow> = Vec::new();
        for row in &self.rows {
            if !meaningful_base(row) || !row.rel_change.is_finite() || row.diff.mean == 0.0 {
                continue;
            }
            match best.last_mut() {
                Some(last) if last.series == row.series => {
                    if row.rel_change.abs() > last.rel_change.abs() {
                        *last = row;
                    }
                }
                _ => best.push(row),
            }
        }
        // Stable sort: equal effects keep the series order.
        best.sort_by(|a, b| b.rel_change.abs().total_cmp(&a.rel_change.abs()));
        best.truncate(k);
        best
    }

    /// The median over series and years of the width ratio (independent runs only; NaN
    /// otherwise or when no cell has one).
    pub fn median_width_ratio(&self) -> f64 {
        stats::median(self.rows.iter().map(|r| r.width_ratio))
    }

    /// Per series, the median over its years of the width ratio, in series order (independent
    /// runs only).
    pub fn width_ratio_by_series(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut start = 0;
        while start < self.rows.len() {
            let name = &self.rows[start].series;
            let end = start + self.rows[start..].iter().take_while(|r| &r.series == name).count();
            out.push((name.clone(), stats::median(self.rows[start..end].iter().map(|r| r.width_ratio))));
            start = end;
        }
        out
    }

    /// A terminal table of the `k` largest effects, with a line on how to read it.
    pub fn effects_table(&self, k: usize) -> String {
        let top = self.top_effects(k);
        let mut out = String::new();
        if top.is_empty() {
            out.push_str("no series changes (every difference is zero, or its base is too small to compare)\n");
            return out;
        }
        let width = top.iter().map(|r| r.series.len()).max().unwrap_or(6).max(6);
        let _ = writeln!(
            out,
            "{:<width$}  {:>4}  {:>12}  {:>12}  {:>12}  {:>27}  {:>8}",
            "series", "year", "base", "alternative", "difference", "90% interval", "change"
        );
        for r in top {
            let _ = writeln!(
                out,
                "{:<width$}  {:>4}  {:>12}  {:>12}  {:>12}  {:>27}  {:>7.1}%",
                r.series,
                r.year,
                fmt_value(r.base_mean, &r.unit),
                fmt_value(r.alt_mean, &r.unit),
                fmt_signed(r.diff.mean, &r.unit),
                format!("[{}, {}]", fmt_signed(r.diff.lo, &r.unit), fmt_signed(r.diff.hi, &r.unit)),
                100.0 * r.rel_change
            );
        }
        let how = if self.independent {
            "unpaired: the alternative ran on other runs; the interval is Welch's"
        } else {
            "paired: both scenarios ran on the same runs (common random numbers), so a run's two values differ only \
             through the change; the interval is Student's t over the per-run differences"
        };
        let _ = writeln!(
            out,
            "How to read it: per series, the year of its largest relative change (alternative / base - 1) among values \
             with a base of at least 50 (counts) or 0.01 (shares), largest first. Difference = alternative - base, \
             mean over {} runs; 90% interval {how}. An interval that excludes 0 is a change the runs can tell from \
             noise.",
            self.runs
        );
        out
    }
}

/// A value for the table: shares with 3 decimals, counts rounded.
fn fmt_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        "NaN".to_string()
    } else if unit == "share" {
        format!("{v:.3}")
    } else {
        format!("{v:.0}")
    }
}

/// A difference for the table, with its sign; counts below 100 keep one decimal.
fn fmt_signed(v: f64, unit: &str) -> String {
    // Adding 0.0 turns -0.0 into 0.0.
    let v = v + 0.0;
    if !v.is_finite() {
        "NaN".to_string()
    } else if unit == "share" {
        format!("{v:+.3}")
    } else if v.abs() < 100.0 {
        format!("{v:+.1}")
    } else {
        format!("{v:+.0}")
    }
}

/// The runs of both arms and their diff.
pub struct DiffOutcome {
    pub table: DiffTable,
    pub series: Vec<String>,
    pub units: Vec<String>,
    pub years: Vec<i32>,
    /// Runs `0..N` of the base and of the alternative (ascending run index; on an interrupted
    /// diff, the runs both arms finished).
    pub base: Vec<RunValues>,
    pub alt: Vec<RunValues>,
    /// With independent runs: runs `N..2N` of the alternative.
    pub other: Option<Vec<RunValues>>,
    /// False when a stop came before every run finished.
    pub complete: bool,
}

/// Which runs a diff makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffRuns {
    pub master_seed: u64,
    /// Runs per arm: indices `0..seeds`.
    pub seeds: u64,
    /// The alternative on runs `seeds..2 seeds` as well, for the unpaired difference.
    pub independent: bool,
}

/// Runs `base` and `alt` on runs `0..seeds` of `master_seed` (common random numbers) and, when
/// `independent`, `alt` again on runs `seeds..2 seeds`, and computes their diff.
///
/// # Errors
/// When the two scenarios do not report the same series and years (other provinces, another
/// calendar), checked before anything runs; or when no run finished in both arms.
pub fn run_diff(
    runner: &Runner,
    base: &Scenario,
    alt: &Scenario,
    runs: DiffRuns,
    stop: &AtomicBool,
    on_run_done: &(dyn Fn(RunDone) + Sync),
) -> Result<DiffOutcome, ArmMismatch> {
    run_diff_over(runner, &[base], &[alt], runs, stop, on_run_done)
}

/// [`run_diff`] over a parameter ensemble: run `i` of each arm takes member `i mod K` of that
/// arm (`base[k]` and `alt[k]` are the same parameter set `k`), so the pairs still share their
/// random numbers and their parameters, and the interval holds parameter uncertainty too.
///
/// # Errors
/// As [`run_diff`]; also when the arms have different numbers of members (or none).
pub fn run_diff_over(
    runner: &Runner,
    base_members: &[&Scenario],
    alt_members: &[&Scenario],
    runs: DiffRuns,
    stop: &AtomicBool,
    on_run_done: &(dyn Fn(RunDone) + Sync),
) -> Result<DiffOutcome, ArmMismatch> {
    let DiffRuns { master_seed, seeds, independent } = runs;
    let (Some(&base), Some(&alt)) = (base_members.first(), alt_members.first()) else {
        return Err(ArmMismatch("no scenario to run".into()));
    };
    if base_members.len() != alt_members.len() {
        return Err(ArmMismatch("the two arms have different numbers of ensemble members".into()));
    }
    let names = |s: &Scenario| series_defs(s).into_iter().map(|d| d.name).collect::<Vec<_>>();
    let (base_names, alt_names) = (names(base), names(alt));
    if base_names != alt_names {
        let only = |a: &[String], b: &[String]| a.iter().find(|n| !b.contains(n)).cloned();
        let example = match (only(&base_names, &alt_names), only(&alt_names, &base_names)) {
            (Some(n), _) => format!(" (`{n}` only in {})", base.source_path),
            (None, Some(n)) => format!(" (`{n}` only in {})", alt.source_path),
            (None, None) => String::new(),
        };
        return Err(ArmMismatch(format!(
            "{} and {} report different series{example}: a diff compares the same series (the same provinces)",
            base.source_path, alt.source_path
        )));
    }
    let span = |s: &Scenario| {
        let years = s.calendar.reported_years();
        format!("{}-{}", years.start(), years.end())
    };
    if base.calendar.reported_years().ne(alt.calendar.reported_years()) {
        return Err(ArmMismatch(format!(
            "{} reports {} and {} reports {}: a diff compares the same years",
            base.source_path,
            span(base),
            alt.source_path,
            span(alt)
        )));
    }
    let batch = Batch::new(master_seed, 0..seeds).stop_on(stop).on_run_done(on_run_done);
    let mut arms = if base_members.len() == 1 {
        runner.run_all(&[base, alt], &batch)
    } else {
        vec![runner.run_members(base_members, &batch), runner.run_members(alt_members, &batch)]
    };
    let other = independent.then(|| {
        runner
            .run_members(alt_members, &Batch::new(master_seed, seeds..2 * seeds).stop_on(stop).on_run_done(on_run_done))
    });
    let alt_runs = arms.pop().unwrap_or_else(|| unreachable!("two scenarios in, two out"));
    let base_runs = arms.pop().unwrap_or_else(|| unreachable!("two scenarios in, two out"));
    let complete = base_runs.complete && alt_runs.complete && other.as_ref().is_none_or(|o| o.complete);
    // Pairs need both arms: keep the runs both finished.
    let in_alt: std::collections::BTreeSet<u64> = alt_runs.runs.iter().map(|r| r.run_index).collect();
    let in_base: std::collections::BTreeSet<u64> = base_runs.runs.iter().map(|r| r.run_index).collect();
    let base_kept: Vec<RunValues> = base_runs.runs.into_iter().filter(|r| in_alt.contains(&r.run_index)).collect();
    let alt_kept: Vec<RunValues> = alt_runs.runs.into_iter().filter(|r| in_base.contains(&r.run_index)).collect();
    if base_kept.is_empty() {
        return Err(ArmMismatch("interrupted before any run finished in both scenarios".into()));
    }
    let other = other.map(|o| o.runs);
    let table =
        diff_table(&base_runs.series, &base_runs.units, &base_runs.years, &base_kept, &alt_kept, other.as_deref())?;
    Ok(DiffOutcome {
        table,
        series: base_runs.series,
        units: base_runs.units,
        years: base_runs.years,
        base: base_kept,
        alt: alt_kept,
        other,
        complete,
    })
}

/// The files a diff writes, in the order they are published (provenance last).
pub const DIFF_FILES: [&str; 3] = ["diff.csv", "diff.h5", "provenance.toml"];

/// Writes `diff.csv`, `diff.h5` and `provenance.toml` into `dir`, atomically, refusing to
/// overwrite them unless `force`. `texts`: each scenario's role and full text, for the HDF5
/// file's `/provenance` group.
///
/// # Errors
/// As `output::write_files`.
pub fn write_diff(
    dir: &Path,
    force: bool,
    outcome: &DiffOutcome,
    record: &Record,
    texts: &[(&str, &str)],
) -> Result<Vec<PathBuf>, OutputError> {
    let mut record = record.clone();
    record.files = DIFF_FILES.iter().map(|f| f.to_string()).collect();
    let csv = outcome.table.csv().into_bytes();
    let toml = record.toml().into_bytes();
    let h5 = |path: &Path| write_diff_h5(path, outcome, &record, texts);
    output::write_files(
        dir,
        force,
        vec![
            (DIFF_FILES[0], Content::Bytes(csv)),
            (DIFF_FILES[1], Content::Hdf5(Box::new(h5))),
            (DIFF_FILES[2], Content::Bytes(toml)),
        ],
    )
}

/// `diff.h5`: root attributes (the provenance), `/provenance/<role>_scenario_text`,
/// `/series/names`, `/series/units`, `/years`; per arm `/<arm>/run_indices` and `/<arm>/values`
/// (f64 `[runs, series, years]`; arms `base`, `alt`, and with independent runs `alt_other`,
/// the runs the reported difference used); `/diff/{base_mean, alt_mean, diff_mean, diff_sd,
/// diff_lo, diff_hi, rel_change}` (f64 `[series, years]`, and `crn_lo`, `crn_hi`,
/// `width_ratio` with independent runs).
fn write_diff_h5(path: &Path, o: &DiffOutcome, record: &Record, texts: &[(&str, &str)]) -> hdf5::Result<()> {
    let file = h5::create_file(path)?;
    for (name, value) in record.h5_attrs() {
        h5::string_attr(&file, &name, &value)?;
    }
    let prov = h5::group(&file, "provenance")?;
    for (role, text) in texts {
        let name = format!("{}_scenario_text", role.replace(' ', "_"));
        h5::scalar_string(&prov, &name, text)?;
    }
    let series = h5::group(&file, "series")?;
    h5::strings(&series, "names", "series name", &o.series)?;
    h5::strings(&series, "units", "series unit", &o.units)?;
    h5::dataset(&file, "years", &[o.years.len()], &o.years)?;
    let shape = |n: usize| [n, o.series.len(), o.years.len()];
    let mut arms = vec![("base", &o.base), ("alt", &o.alt)];
    if let Some(other) = &o.other {
        arms.push(("alt_other", other));
    }
    for (name, runs) in arms {
        let g = h5::group(&file, name)?;
        let indices: Vec<u64> = runs.iter().map(|r| r.run_index).collect();
        h5::dataset(&g, "run_indices", &[indices.len()], &indices)?;
        let values: Vec<f64> = runs.iter().flat_map(|r| r.values.iter().copied()).collect();
        h5::dataset(&g, "values", &shape(runs.len()), &values)?;
    }
    let g = h5::group(&file, "diff")?;
    let cells = [o.series.len(), o.years.len()];
    type Column = fn(&DiffRow) -> f64;
    let mut columns: Vec<(&str, Column)> = vec![
        ("base_mean", |r| r.base_mean),
        ("alt_mean", |r| r.alt_mean),
        ("diff_mean", |r| r.diff.mean),
        ("diff_sd", |r| r.diff.sd),
        ("diff_lo", |r| r.diff.lo),
        ("diff_hi", |r| r.diff.hi),
        ("rel_change", |r| r.rel_change),
    ];
    if o.table.independent {
        columns.push(("crn_lo", |r| r.crn.map_or(f64::NAN, |c| c.lo)));
        columns.push(("crn_hi", |r| r.crn.map_or(f64::NAN, |c| c.hi)));
        columns.push(("width_ratio", |r| r.width_ratio));
    }
    for (name, column) in columns {
        let v: Vec<f64> = o.table.rows.iter().map(column).collect();
        h5::dataset(&g, name, &cells, &v)?;
    }
    drop((g, series, prov));
    file.flush()?;
    file.close()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(values: &[[f64; 4]], first_index: u64) -> Vec<RunValues> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| RunValues { run_index: first_index + i as u64, values: v.to_vec() })
            .collect()
    }

    fn names() -> (Vec<String>, Vec<String>, Vec<i32>) {
        (vec!["a.cases".into(), "b.rate".into()], vec!["cases".into(), "share".into()], vec![2010, 2011])
    }

    #[test]
    fn paired_rows_and_csv() {
        let (series, units, years) = names();
        // [a 2010, a 2011, b 2010, b 2011]
        let base = runs(&[[100.0, 100.0, 0.5, 0.5], [110.0, 120.0, 0.6, f64::NAN]], 0);
        let alt = runs(&[[100.0, 130.0, 0.5, 0.4], [110.0, 150.0, 0.6, 0.3]], 0);
        let t = diff_table(&series, &units, &years, &base, &alt, None).unwrap();
        assert_eq!(t.rows.len(), 4);
        // Identical years differ by exactly zero, interval included.
        let first = &t.rows[0];
        assert_eq!((first.diff.mean, first.diff.lo, first.diff.hi), (0.0, 0.0, 0.0));
        assert_eq!(t.rows[1].diff.mean, 30.0);
        assert!((t.rows[1].rel_change - (140.0 / 110.0 - 1.0)).abs() < 1e-12);
        // The NaN pair is left out of the paired difference; the means use each arm's finite values.
        assert_eq!(t.rows[3].diff.n, 1);
        assert_eq!(t.rows[3].base_mean, 0.5);
        let csv = t.csv();
        assert!(csv.starts_with("series,year,base_mean,alt_mean,diff_mean,diff_sd,diff_lo,diff_hi,rel_change\n"));
        assert!(csv.contains("\na.cases,2010,105,105,0,0,0,0,0\n"), "{csv}");
        let top = t.top_effects(15);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].series.as_str(), top[0].year), ("b.rate", 2011));
        assert!(t.effects_table(15).contains("How to read it"));
    }

    #[test]
    fn independent_runs_give_width_ratios() {
        let (series, units, years) = names();
        let base = runs(&[[100.0, 100.0, 0.5, 0.5], [110.0, 120.0, 0.6, 0.4], [90.0, 95.0, 0.4, 0.45]], 0);
        let alt = runs(&[[100.0, 104.0, 0.5, 0.5], [110.0, 125.0, 0.6, 0.41], [90.0, 98.0, 0.4, 0.47]], 0);
        let other = runs(&[[120.0, 90.0, 0.7, 0.6], [95.0, 130.0, 0.5, 0.3], [105.0, 110.0, 0.5, 0.5]], 3);
        let t = diff_table(&series, &units, &years, &base, &alt, Some(&other)).unwrap();
        assert!(t.independent);
        // 2010 of `a`: paired width 0, so no ratio.
        assert!(t.rows[0].width_ratio.is_nan());
        assert!(t.rows[1].width_ratio > 1.0);
        assert!(t.median_width_ratio() > 1.0);
        assert_eq!(t.width_ratio_by_series().len(), 2);
        assert!(t.csv().lines().next().unwrap().ends_with(",crn_lo,crn_hi,width_ratio"));
    }

    #[test]
    fn arms_on_other_runs_are_refused() {
        let (series, units, years) = names();
        let base = runs(&[[1.0; 4]], 0);
        let alt = runs(&[[1.0; 4]], 1);
        assert!(diff_table(&series, &units, &years, &base, &alt, None).is_err());
    }
}
