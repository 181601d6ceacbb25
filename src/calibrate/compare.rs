//! Simulated against published: per target row the simulated mean and p05-p95 band, the
//! errors, whether it is a hit, and a loss that calibration minimises.
//!
//! **Hit.** The published value lies within the simulated p05-p95 band, or the relative error
//! `(mean - published) / published` is at most 15% in absolute value, or, for shares, the
//! absolute error is at most 0.02. A NaN mean (the series undefined in every run) is a miss; a
//! target whose series and year are not in the results is *missing*, which counts as a miss.
//!
//! **Loss.** Per row `e` is the relative error for counts (denominator at least 1, so a
//! published zero does not divide by zero) and `(mean - published) / max(published, 0.05)` for
//! shares (a share of 0.01 missed by 0.01 is not a 100% error); the row loss is `min(e^2, 1)`
//! (1 for a missing row or a NaN mean), so one wild series cannot dominate. A group's loss is
//! the mean row loss of its rows, and the overall loss the mean over the groups that have rows:
//! each group counts equally, so the 27 reconciliation rows do not swamp the 12 torture rows.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use super::targets::{GROUP_ORDER, TargetKind, TargetRow, field_count_problem, parse_csv_records, split_header};
use super::{CalibrateError, Problem, toml_problem};
use crate::output::{self, ProvenanceRecord, csv_text, read_provenance_toml};
use crate::summary::SummaryRow;

/// Relative error at or below which a row is a hit.
pub const REL_TOLERANCE: f64 = 0.15;
/// Absolute error at or below which a share is a hit.
pub const SHARE_ABS_TOLERANCE: f64 = 0.02;
/// Smallest denominator of a share's loss.
pub const SHARE_LOSS_FLOOR: f64 = 0.05;
/// A forecast (a year after the fitted ones) is a hit within the band, or within 25% (0.03 for
/// shares): the rule the out-of-sample checks of the project use, wider than the in-sample 15%
/// because a forecast also carries the error of the years it did not see.
pub const FORECAST_REL_TOLERANCE: f64 = 0.25;
/// Absolute error at or below which a forecast share is a hit.
pub const FORECAST_SHARE_ABS_TOLERANCE: f64 = 0.03;
/// Allowance for decimal rounding in the tolerance tests: 0.22 - 0.20 is 0.020000000000000018
/// in binary floating point, and must still count as "at most 0.02".
const SLACK: f64 = 1e-9;

/// How a target row came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Hit,
    Miss,
    /// The results have no such series and year.
    Missing,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Hit => "hit",
            Status::Miss => "miss",
            Status::Missing => "missing",
        }
    }
}

/// One target row compared.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub series: String,
    pub year: i32,
    pub group: String,
    pub unit: String,
    pub published: f64,
    /// Simulated mean, p05 and p95 across runs; NaN when missing.
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
    /// `(mean - published) / published`; 0 when both are 0, NaN when only `published` is.
    pub rel_error: f64,
    /// `mean - published`.
    pub abs_error: f64,
    pub status: Status,
    /// The error on the loss scale, e in the module documentation; NaN when missing.
    pub scaled_error: f64,
    /// `min(e^2, 1)` as in the module documentation.
    pub loss: f64,
}

/// Hits and loss of one series group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupResult {
    pub group: String,
    pub rows: usize,
    pub hits: usize,
    pub missing: usize,
    /// Mean row loss.
    pub loss: f64,
}

/// Every target row compared, grouped (groups in [`GROUP_ORDER`], then others alphabetically;
/// rows in file order within a group), with per-group results.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub rows: Vec<CompareRow>,
    pub groups: Vec<GroupResult>,
}

/// Compares `summary` with the `target` rows of `targets` (input rows are skipped), keeping
/// only targets whose year is in `years` when given.
pub fn compare(summary: &[SummaryRow], targets: &[TargetRow], years: Option<RangeInclusive<i32>>) -> Comparison {
    let by_key: HashMap<(&str, i32), &SummaryRow> = summary.iter().map(|r| ((r.series.as_str(), r.year), r)).collect();
    let mut rows: Vec<CompareRow> = targets
        .iter()
        .filter(|t| t.kind == TargetKind::Target)
        .filter(|t| years.as_ref().is_none_or(|y| y.contains(&t.year)))
        .map(|t| compare_row(t, by_key.get(&(t.series.as_str(), t.year)).copied()))
        .collect();
    // Stable sort: file order within each group.
    rows.sort_by_key(|r| group_rank(&r.group));

    let mut groups: Vec<GroupResult> = Vec::new();
    for row in &rows {
        if groups.last().is_none_or(|g| g.group != row.group) {
            groups.push(GroupResult { group: row.group.clone(), rows: 0, hits: 0, missing: 0, loss: 0.0 });
        }
        // Just pushed if it was absent.
        if let Some(g) = groups.last_mut() {
            g.rows += 1;
            g.hits += usize::from(row.status == Status::Hit);
            g.missing += usize::from(row.status == Status::Missing);
            // Summed in row order here, divided below: a fixed order, so a fixed result.
            g.loss += row.loss;
        }
    }
    for g in &mut groups {
        g.loss /= g.rows as f64;
    }
    Comparison { rows, groups }
}

/// Sort key of a group: the groups in their order, then the rest alphabetically.
fn group_rank(group: &str) -> (usize, String) {
    match GROUP_ORDER.iter().position(|g| *g == group) {
        Some(i) => (i, String::new()),
        None => (GROUP_ORDER.len(), group.to_string()),
    }
}

fn compare_row(target: &TargetRow, sim: Option<&SummaryRow>) -> CompareRow {
    let published = target.value;
    let share = target.is_share();
    let (mean, p05, p95) = sim.map_or((f64::NAN, f64::NAN, f64::NAN), |s| (s.mean, s.p05, s.p95));
    let abs_error = mean - published;
    let rel_error = if published != 0.0 {
        abs_error / published
    } else if mean == 0.0 {
        0.0
    } else {
        f64::NAN
    };
    let status = if sim.is_none() {
        Status::Missing
    } else if mean.is_nan() {
        Status::Miss
    } else {
        // NaN band ends compare false, so an undefined band is simply not a hit by the band.
        let in_band = p05 <= published && published <= p95;
        let rel_ok = rel_error.abs() <= REL_TOLERANCE + SLACK;
        let abs_ok = share && abs_error.abs() <= SHARE_ABS_TOLERANCE + SLACK;
        if in_band || rel_ok || abs_ok { Status::Hit } else { Status::Miss }
    };
    let scale = if share { published.max(SHARE_LOSS_FLOOR) } else { published.abs().max(1.0) };
    let scaled_error = abs_error / scale;
    let loss = row_loss(scaled_error, 0.0);
    CompareRow {
        series: target.series.clone(),
        year: target.year,
        group: target.group().to_string(),
        unit: target.unit.clone(),
        published,
        mean,
        p05,
        p95,
        rel_error,
        abs_error,
        status,
        scaled_error,
        loss,
    }
}

/// `min(1, (|e| - tolerance)^2)` for errors beyond `tolerance`, 0 within; 1 when undefined.
fn row_loss(e: f64, tolerance: f64) -> f64 {
    if e.is_nan() {
        return 1.0;
    }
    let beyond = (e.abs() - tolerance).max(0.0);
    (beyond * beyond).min(1.0)
}

impl CompareRow {
    /// A hit under the forecast rule ([`FORECAST_REL_TOLERANCE`], [`FORECAST_SHARE_ABS_TOLERANCE`],
    /// or the band).
    pub fn forecast_hit(&self) -> bool {
        if self.status == Status::Missing || self.mean.is_nan() {
            return false;
        }
        let in_band = self.p05 <= self.published && self.published <= self.p95;
        let rel_ok = self.rel_error.abs() <= FORECAST_REL_TOLERANCE + SLACK;
        let abs_ok = self.unit == "share" && self.abs_error.abs() <= FORECAST_SHARE_ABS_TOLERANCE + SLACK;
        in_band || rel_ok || abs_ok
    }
}

/// A comparison split at the end of the fitted years: the fitted years under the hit rule, the
/// later ones (forecasts) under both rules.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastSplit {
    pub fit_years: RangeInclusive<i32>,
    /// Rows of the fitted years, and their hits.
    pub fitted_rows: usize,
    pub fitted_hits: usize,
    /// Rows after the fitted years, their hits under the forecast rule and under the hit rule.
    pub forecast_rows: usize,
    pub forecast_hits: usize,
    pub forecast_strict_hits: usize,
    /// Median width of the p05-p95 band relative to the published value, over rows with a
    /// published value other than 0 (NaN with none).
    pub median_band_width: f64,
}

impl ForecastSplit {
    /// The lines for the terminal and reports.
    pub fn describe(&self) -> String {
        let (a, b) = (self.fit_years.start(), self.fit_years.end());
        let mut out = format!(
            "fitted years {a}-{b}: {} of {} hits (band, 15%, or 0.02 for shares)\n",
            self.fitted_hits, self.fitted_rows
        );
        if self.forecast_rows == 0 {
            out.push_str("forecast years: no target rows after the fitted years\n");
        } else {
            out.push_str(&format!(
                "forecast years (after {b}): {} of {} hits (band, {}%, or {} for shares); {} by the in-sample rule\n",
                self.forecast_hits,
                self.forecast_rows,
                FORECAST_REL_TOLERANCE * 100.0,
                FORECAST_SHARE_ABS_TOLERANCE,
                self.forecast_strict_hits
            ));
        }
        out.push_str(&format!(
            "median p05-p95 band width: {:.1}% of the published value\n",
            self.median_band_width * 100.0
        ));
        out
    }
}

impl Comparison {
    /// Splits the rows at the end of `fit_years`: rows of those years count as fitted, rows
    /// after them as forecasts (rows before them are in neither).
    pub fn forecast_split(&self, fit_years: RangeInclusive<i32>) -> ForecastSplit {
        let fitted: Vec<&CompareRow> = self.rows.iter().filter(|r| fit_years.contains(&r.year)).collect();
        let ahead: Vec<&CompareRow> = self.rows.iter().filter(|r| r.year > *fit_years.end()).collect();
        let mut widths: Vec<f64> = self
            .rows
            .iter()
            .filter(|r| r.published != 0.0 && r.p95.is_finite() && r.p05.is_finite())
            .map(|r| (r.p95 - r.p05) / r.published.abs())
            .collect();
        widths.sort_by(f64::total_cmp);
        let median_band_width = match widths.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => widths[n / 2],
            n => (widths[n / 2 - 1] + widths[n / 2]) / 2.0,
        };
        ForecastSplit {
            fitted_rows: fitted.len(),
            fitted_hits: fitted.iter().filter(|r| r.status == Status::Hit).count(),
            forecast_rows: ahead.len(),
            forecast_hits: ahead.iter().filter(|r| r.forecast_hit()).count(),
            forecast_strict_hits: ahead.iter().filter(|r| r.status == Status::Hit).count(),
            median_band_width,
            fit_years,
        }
    }

    /// Rows compared (missing ones included).
    pub fn total(&self) -> usize {
        self.rows.len()
    }

    pub fn hits(&self) -> usize {
        self.rows.iter().filter(|r| r.status == Status::Hit).count()
    }

    pub fn missing(&self) -> usize {
        self.rows.iter().filter(|r| r.status == Status::Missing).count()
    }

    /// The overall loss: mean of the group losses (NaN with no rows at all).
    pub fn loss(&self) -> f64 {
        if self.groups.is_empty() {
            return f64::NAN;
        }
        self.groups.iter().map(|g| g.loss).sum::<f64>() / self.groups.len() as f64
    }

    /// The share of rows missed, softened so that an optimiser can see progress: a row costs
    /// 0 within `tolerance` (< 15%), 1 from the hit rule's 15% on, and
    /// `((|e| - tolerance) / (0.15 - tolerance))^2` between; 1 when undefined. Every row counts
    /// once, as in the hit count. It ignores the band and the 0.02 for shares, so it may count
    /// a hit as a miss, never a miss as a hit beyond what the ramp gives.
    pub fn soft_misses(&self, tolerance: f64) -> f64 {
        self.soft_misses_pulled(tolerance, 0.0)
    }

    /// [`Comparison::soft_misses`] with a pull on the rows missed: a row beyond the hit rule's
    /// 15% costs `1 + far_pull * min(1, |e| - 0.15)` instead of 1, so an optimiser also sees a
    /// missed row come closer, long before it becomes a hit (an undefined row costs
    /// `1 + far_pull`). `far_pull` 0 is `soft_misses`, bit for bit.
    pub fn soft_misses_pulled(&self, tolerance: f64, far_pull: f64) -> f64 {
        self.soft_misses_banded(tolerance, far_pull, false)
    }

    /// [`Comparison::soft_misses_pulled`], where with `band` a row whose published value lies
    /// within the simulated p05-p95 band costs nothing, as the hit rule counts it a hit
    /// whatever its error. `band` false is `soft_misses_pulled`, bit for bit.
    pub fn soft_misses_banded(&self, tolerance: f64, far_pull: f64, band: bool) -> f64 {
        if self.rows.is_empty() {
            return f64::NAN;
        }
        let ramp = (REL_TOLERANCE - tolerance).max(1e-9);
        let row = |r: &CompareRow| {
            if band && r.p05 <= r.published && r.published <= r.p95 {
                return 0.0;
            }
            let soft = row_loss(r.scaled_error / ramp, tolerance / ramp);
            let beyond =
                if r.scaled_error.is_nan() { 1.0 } else { (r.scaled_error.abs() - REL_TOLERANCE).clamp(0.0, 1.0) };
            soft + far_pull * beyond
        };
        self.rows.iter().map(row).sum::<f64>() / self.rows.len() as f64
    }

    /// The loss with errors up to `tolerance` free: per group the mean of
    /// `min(1, (|e| - tolerance)^2)` over rows, then the mean over groups. It equals
    /// [`Comparison::loss`] at tolerance 0. Calibration may use it to aim at hits rather than at
    /// exact matches (`tolerance` in FREE.toml).
    pub fn loss_beyond(&self, tolerance: f64) -> f64 {
        if self.groups.is_empty() {
            return f64::NAN;
        }
        let group_loss = |g: &GroupResult| {
            let sum: f64 =
                self.rows.iter().filter(|r| r.group == g.group).map(|r| row_loss(r.scaled_error, tolerance)).sum();
            sum / g.rows as f64
        };
        self.groups.iter().map(group_loss).sum::<f64>() / self.groups.len() as f64
    }

    /// The aligned table for the terminal: one line per target, grouped, each group headed by
    /// its hits and loss; then the totals and a per-group summary.
    pub fn table(&self) -> String {
        let mut out = String::new();
        if self.rows.is_empty() {
            out.push_str("no target rows to compare\n");
            return out;
        }
        let name_w = self.rows.iter().map(|r| r.series.len()).max().unwrap_or(6).max(6);
        let cells: Vec<[String; 4]> = self
            .rows
            .iter()
            .map(|r| {
                let share = r.unit == "share";
                let band = if r.p05.is_nan() {
                    "-".to_string()
                } else {
                    format!("{} .. {}", fmt_value(r.p05, share), fmt_value(r.p95, share))
                };
                let err = match (r.rel_error.is_nan(), share) {
                    (_, true) if !r.abs_error.is_nan() => {
                        format!("{} ({:+.3})", fmt_percent(r.rel_error), r.abs_error)
                    }
                    _ => fmt_percent(r.rel_error),
                };
                [fmt_published(r.published), fmt_value(r.mean, share), band, err]
            })
            .collect();
        let w = |i: usize, title: &str| cells.iter().map(|c| c[i].len()).max().unwrap_or(0).max(title.len());
        let (pub_w, mean_w, band_w, err_w) = (w(0, "published"), w(1, "simulated"), w(2, "p05 .. p95"), w(3, "error"));
        let _ = writeln!(
            out,
            "  {:<name_w$}  {:>4}  {:>pub_w$}  {:>mean_w$}  {:>band_w$}  {:>err_w$}  result",
            "series", "year", "published", "simulated", "p05 .. p95", "error"
        );
        let mut current: Option<&str> = None;
        for (row, cell) in self.rows.iter().zip(&cells) {
            if current != Some(row.group.as_str()) {
                current = Some(row.group.as_str());
                if let Some(g) = self.groups.iter().find(|g| g.group == row.group) {
                    let _ = writeln!(out, "{}: {} of {} hits, loss {:.4}", g.group, g.hits, g.rows, g.loss);
                }
            }
            let mark = match row.status {
                Status::Hit => "hit",
                Status::Miss => "-",
                Status::Missing => "MISSING",
            };
            let _ = writeln!(
                out,
                "  {:<name_w$}  {:>4}  {:>pub_w$}  {:>mean_w$}  {:>band_w$}  {:>err_w$}  {mark}",
                row.series, row.year, cell[0], cell[1], cell[2], cell[3]
            );
        }
        out.push('\n');
        let _ = write!(out, "hits: {} of {} targets", self.hits(), self.total());
        let missing: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.status == Status::Missing)
            .map(|r| format!("{} {}", r.series, r.year))
            .collect();
        if !missing.is_empty() {
            let _ = write!(out, " ({} missing from the results: {})", missing.len(), missing.join(", "));
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "loss: {:.4} (mean over {} groups of the mean row loss min(e^2, 1))",
            self.loss(),
            self.groups.len()
        );
        let gw = self.groups.iter().map(|g| g.group.len()).max().unwrap_or(5).max(5);
        let _ = writeln!(out, "  {:<gw$}  {:>7}  {:>6}", "group", "hits", "loss");
        for g in &self.groups {
            let _ = writeln!(out, "  {:<gw$}  {:>7}  {:>6.4}", g.group, format!("{}/{}", g.hits, g.rows), g.loss);
        }
        out
    }

    /// The rows as CSV: `series,year,group,published,mean,p05,p95,rel_error,abs_error,hit`, where
    /// `hit` is `hit`, `miss` or `missing`. Floats in shortest round-trip form, NaN as `NaN`
    /// (as in `summary.csv`). Rows only: the totals are in the table and the report.
    pub fn csv(&self) -> String {
        csv_text(
            &["series", "year", "group", "published", "mean", "p05", "p95", "rel_error", "abs_error", "hit"],
            self.rows.iter().map(|r| {
                [
                    r.series.clone(),
                    r.year.to_string(),
                    r.group.clone(),
                    r.published.to_string(),
                    r.mean.to_string(),
                    r.p05.to_string(),
                    r.p95.to_string(),
                    r.rel_error.to_string(),
                    r.abs_error.to_string(),
                    r.status.as_str().to_string(),
                ]
            }),
        )
    }
}

/// A published value as given (shortest form: 12345, 0.5).
fn fmt_published(v: f64) -> String {
    format!("{v}")
}

/// A simulated value: shares to 3 decimals, counts to a precision that suits their size.
pub(crate) fn fmt_value(v: f64, share: bool) -> String {
    if v.is_nan() {
        "-".to_string()
    } else if share {
        format!("{v:.3}")
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub(crate) fn fmt_percent(v: f64) -> String {
    if v.is_nan() { "-".to_string() } else { format!("{:+.1}%", v * 100.0) }
}

/// Parses the text of a `summary.csv` (`series,year,mean,sd,p05,p95`).
///
/// # Errors
/// [`CalibrateError::Input`] naming the line and column of every malformed row.
pub fn parse_summary(text: &str, file: &str) -> Result<Vec<SummaryRow>, CalibrateError> {
    const HEADER: [&str; 6] = ["series", "year", "mean", "sd", "p05", "p95"];
    let records = parse_csv_records(text, file)?;
    let (header, rows) = split_header(&records, file)?;
    if header.fields.iter().map(|f| f.trim()).ne(HEADER) {
        return Err(CalibrateError::Input(vec![Problem::at(
            file,
            header.line,
            "",
            format!("expected the header `{}`, found `{}`", HEADER.join(","), header.fields.join(",")),
        )]));
    }
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for record in rows {
        if record.fields.len() != HEADER.len() {
            problems.push(field_count_problem(file, record, HEADER.len(), ""));
            continue;
        }
        let f = &record.fields;
        let year = f[1].trim().parse::<i32>();
        if year.is_err() {
            problems.push(Problem::at(
                file,
                record.line,
                "column `year`",
                format!("expected an integer, found `{}`", f[1]),
            ));
        }
        let mut numbers = [0.0; 4];
        let mut ok = year.is_ok();
        for (k, slot) in numbers.iter_mut().enumerate() {
            // Rust's float parser reads `NaN`, `inf` and the shortest round-trip forms
            // summary.csv is written in, so values come back bit for bit.
            match f[k + 2].trim().parse::<f64>() {
                Ok(v) => *slot = v,
                Err(_) => {
                    ok = false;
                    problems.push(Problem::at(
                        file,
                        record.line,
                        &format!("column `{}`", HEADER[k + 2]),
                        format!("expected a number (or NaN), found `{}`", f[k + 2]),
                    ));
                }
            }
        }
        if let (true, Ok(year)) = (ok, year) {
            let [mean, sd, p05, p95] = numbers;
            out.push(SummaryRow { series: f[0].trim().to_string(), year, mean, sd, p05, p95 });
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(CalibrateError::Input(problems)) }
}

/// What a results directory says about how it was made (from its `provenance.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultsInfo {
    pub dir: PathBuf,
    pub scenario_name: String,
    pub scenario_path: String,
    /// As written (an integer, or a string for seeds above i64::MAX).
    pub master_seed: String,
    pub n_runs: u64,
    pub complete: bool,
    /// The run indices, as written.
    pub run_indices: Vec<String>,
    pub scenario_sha256: String,
    /// The caseflow that made the results.
    pub crate_version: String,
    pub git_revision: String,
    pub created_utc: String,
    /// SHA-256 of the `provenance.toml` read, which pins everything else it says.
    pub provenance_sha256: String,
}

/// A results directory read for comparison.
#[derive(Clone, Debug)]
pub struct Results {
    pub info: ResultsInfo,
    pub summary: Vec<SummaryRow>,
}

/// Reads `summary.csv` and `provenance.toml` from a results directory written by
/// `caseflow run` (or the directory holding the given `summary.csv`).
///
/// The provenance is required: results whose origin is unknown cannot be compared honestly
/// (and a directory without it was never completely written).
///
/// # Errors
/// [`CalibrateError::Input`] when the directory, either file or one of the provenance keys is
/// missing or malformed.
pub fn read_results(path: &Path) -> Result<Results, CalibrateError> {
    let dir = if path.is_file() && path.file_name().is_some_and(|n| n == "summary.csv") {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    let label = dir.display().to_string();
    if !dir.is_dir() {
        let message = if dir.exists() { "is not a directory" } else { "no such directory" };
        return Err(CalibrateError::Input(vec![Problem::whole_file(
            &label,
            format!("{message}: expected a results directory written by `caseflow run`"),
        )]));
    }
    let prov_path = dir.join(output::PROVENANCE_NAME);
    let h5_path = dir.join(output::HDF5_NAME);
    if !prov_path.is_file() {
        let present: Vec<&str> = [output::HDF5_NAME, output::SUMMARY_NAME]
            .into_iter()
            .filter(|f| dir.join(f).symlink_metadata().is_ok())
            .collect();
        let message = if present.is_empty() {
            "no provenance: results written by `caseflow run` have a provenance.toml saying which scenario \
             and seeds made them; without it they cannot be compared"
                .to_string()
        } else {
            format!(
                "no provenance: the results here are incomplete or damaged ({} without provenance.toml, which \
                 is written last: the command that wrote them was killed or failed part way); which scenario \
                 and seeds made them is unknown, so they cannot be used: rerun the command that made them \
                 (with --force)",
                present.join(" and ")
            )
        };
        return Err(CalibrateError::Input(vec![Problem::whole_file(&prov_path.display().to_string(), message)]));
    }
    let prov_label = prov_path.display().to_string();
    let prov_text = super::read_text(&prov_path, &prov_label)?;
    let record = read_provenance_toml(&prov_text)
        .map_err(|e| CalibrateError::Input(vec![toml_problem(&prov_label, &prov_text, &e)]))?;
    // A results.h5 beside it must be the one written with it (older versions could leave a new
    // results.h5 and summary.csv beside the previous provenance when killed between renames).
    if h5_path.symlink_metadata().is_ok() {
        if let Err(e) = output::check_results_h5(&h5_path, &record) {
            return Err(CalibrateError::Input(vec![Problem::whole_file(
                &dir.display().to_string(),
                format!(
                    "the results here are damaged: {e}. Which runs summary.csv holds is unknown: rerun the \
                     command that made them (with --force)"
                ),
            )]));
        }
    }
    let summary_path = dir.join("summary.csv");
    let summary_label = summary_path.display().to_string();
    if !summary_path.is_file() {
        return Err(CalibrateError::Input(vec![Problem::whole_file(&summary_label, "no such file")]));
    }
    let summary_text = super::read_text(&summary_path, &summary_label)?;
    // A line that does not parse is located first; then each file against the SHA-256 its
    // provenance records (summary.csv as read here): a summary cut at a line boundary parses,
    // as fewer rows.
    let summary = parse_summary(&summary_text, &summary_label)?;
    let read = [(output::SUMMARY_NAME, summary_text.as_bytes())];
    if let Err(e) = output::check_result_files(&dir, &record, &read, &[output::SUMMARY_NAME]) {
        return Err(CalibrateError::Input(vec![Problem::whole_file(
            &dir.display().to_string(),
            format!("the results here are damaged: {e}. Rerun the command that made them (with --force)"),
        )]));
    }
    let info = results_info(record, dir.clone(), output::sha256_hex(prov_text.as_bytes()));
    Ok(Results { info, summary })
}

/// The keys of `provenance.toml` that say which run it was.
fn results_info(p: ProvenanceRecord, dir: PathBuf, provenance_sha256: String) -> ResultsInfo {
    ResultsInfo {
        dir,
        scenario_name: p.scenario_name,
        scenario_path: p.scenario_path,
        master_seed: p.master_seed.to_string(),
        n_runs: p.n_runs,
        complete: p.complete,
        run_indices: p.run_indices.iter().map(ToString::to_string).collect(),
        scenario_sha256: p.scenario_sha256,
        crate_version: p.crate_version,
        git_revision: p.git_revision,
        created_utc: p.created_utc,
        provenance_sha256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(series: &str, year: i32, mean: f64, p05: f64, p95: f64) -> SummaryRow {
        SummaryRow { series: series.to_string(), year, mean, sd: 0.0, p05, p95 }
    }

    #[test]
    fn hit_rules_and_row_loss() {
        let summary = [
            sim("a.count", 2000, 116.0, 110.0, 120.0), // rel +16%, outside band: miss
            sim("a.count", 2001, 115.0, 110.0, 120.0), // rel exactly +15%: hit
            sim("a.count", 2002, 300.0, 50.0, 400.0),  // published 100 inside the band: hit
            sim("b.share", 2000, 0.07, 0.06, 0.08),    // abs 0.02 (plus rounding), rel +40%: hit
            sim("b.share", 2001, 0.03, 0.02, 0.04),    // abs 0.03 > 0.02, rel -40%: miss
            sim("b.share", 2002, f64::NAN, f64::NAN, f64::NAN),
        ];
        let targets = [
            TargetRow::target("a.count", 2000, 100.0, "cases"),
            TargetRow::target("a.count", 2001, 100.0, "cases"),
            TargetRow::target("a.count", 2002, 100.0, "cases"),
            TargetRow::target("b.share", 2000, 0.05, "share"),
            TargetRow::target("b.share", 2001, 0.06, "share"),
            TargetRow::target("b.share", 2002, 0.5, "share"),
            TargetRow::target("b.share", 2003, 0.5, "share"),
        ];
        let c = compare(&summary, &targets, None);
        let status: Vec<Status> = c.rows.iter().map(|r| r.status).collect();
        use Status::*;
        assert_eq!(status, vec![Miss, Hit, Hit, Hit, Miss, Miss, Missing]);
        // e = 0.16 -> 0.0256; 0.15 -> 0.0225; e = 2 -> capped at 1.
        assert!((c.rows[0].loss - 0.0256).abs() < 1e-12);
        assert_eq!(c.rows[2].loss, 1.0);
        // Share 0.06 missed by 0.03: e = -0.03 / 0.06 = -0.5 -> 0.25.
        assert!((c.rows[4].loss - 0.25).abs() < 1e-12);
        assert_eq!((c.rows[5].loss, c.rows[6].loss), (1.0, 1.0));
        assert_eq!(c.hits(), 3);
        assert_eq!(c.missing(), 1);
        let years = compare(&summary, &targets, Some(2001..=2001));
        assert_eq!(years.total(), 2);
    }

    #[test]
    fn soft_misses_ramp_from_the_tolerance_to_the_hit_rule() {
        let summary = [
            sim("a.count", 2000, 105.0, 105.0, 105.0), // e = 0.05
            sim("a.count", 2001, 112.0, 112.0, 112.0), // e = 0.12
            sim("a.count", 2002, 70.0, 70.0, 70.0),    // e = -0.3
        ];
        let targets = [
            TargetRow::target("a.count", 2000, 100.0, "cases"),
            TargetRow::target("a.count", 2001, 100.0, "cases"),
            TargetRow::target("a.count", 2002, 100.0, "cases"),
            TargetRow::target("a.count", 2003, 100.0, "cases"), // missing: a full miss
        ];
        let c = compare(&summary, &targets, None);
        // Tolerance 0.08, ramp 0.07: 0 + (0.04 / 0.07)^2 + 1 + 1.
        let want = (0.0 + (0.04f64 / 0.07).powi(2) + 2.0) / 4.0;
        assert!((c.soft_misses(0.08) - want).abs() < 1e-12, "{}", c.soft_misses(0.08));
        // Tolerance 0: (0.05 / 0.15)^2 + (0.12 / 0.15)^2 + 1 + 1.
        let want = ((0.05f64 / 0.15).powi(2) + (0.12f64 / 0.15).powi(2) + 2.0) / 4.0;
        assert!((c.soft_misses(0.0) - want).abs() < 1e-12, "{}", c.soft_misses(0.0));
        // Every row costs at most 1 and hits within the tolerance cost nothing.
        assert_eq!(compare(&summary[..1], &targets[..1], None).soft_misses(0.08), 0.0);
        // A pull of 0.5 adds to the missed rows only: 0.5 (0.3 - 0.15) and 0.5 for the missing.
        let want = (0.0 + (0.04f64 / 0.07).powi(2) + 2.0 + 0.5 * 0.15 + 0.5) / 4.0;
        assert!((c.soft_misses_pulled(0.08, 0.5) - want).abs() < 1e-12, "{}", c.soft_misses_pulled(0.08, 0.5));
        assert_eq!(c.soft_misses_pulled(0.08, 0.0).to_bits(), c.soft_misses(0.08).to_bits());
        assert_eq!(c.soft_misses_banded(0.08, 0.5, false).to_bits(), c.soft_misses_pulled(0.08, 0.5).to_bits());
    }

    #[test]
    fn with_the_band_a_row_inside_it_costs_nothing() {
        let summary = [
            sim("a.count", 2000, 130.0, 95.0, 160.0),  // e = 0.3, published inside the band
            sim("a.count", 2001, 130.0, 120.0, 140.0), // e = 0.3, outside
            sim("a.count", 2002, 112.0, 101.0, 125.0), // e = 0.12, just outside
        ];
        let targets = [
            TargetRow::target("a.count", 2000, 100.0, "cases"),
            TargetRow::target("a.count", 2001, 100.0, "cases"),
            TargetRow::target("a.count", 2002, 100.0, "cases"),
        ];
        let c = compare(&summary, &targets, None);
        assert_eq!(c.hits(), 2, "the band makes the first a hit, 12% the third");
        // Without the band: 1 + 0.5 (0.3 - 0.15), twice, and the ramp (0.04 / 0.07)^2.
        let ramp = (0.04f64 / 0.07).powi(2);
        let without = (2.0 * (1.0 + 0.5 * 0.15) + ramp) / 3.0;
        assert!((c.soft_misses_banded(0.08, 0.5, false) - without).abs() < 1e-12);
        // With it the first row costs nothing; the others are unchanged.
        let with = (1.0 + 0.5 * 0.15 + ramp) / 3.0;
        assert!((c.soft_misses_banded(0.08, 0.5, true) - with).abs() < 1e-12);
    }
}
