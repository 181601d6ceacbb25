//! Comparing results with the published figures, and fitting behavioural parameters to them.
//!
//! - [`compare`]: for every target row of `data/targets.csv`, the simulated mean and p05-p95
//!   band, the errors, whether it is a hit, and a loss per series group and overall
//!   (`caseflow compare`).
//! - [`calibrate()`]: fits the parameters named in a `FREE.toml` to the targets by the method of
//!   simulated moments, minimising that loss with sep-CMA-ES; candidates are evaluated in
//!   parallel on common random numbers (the same master seed and run indices for every
//!   candidate), and the state is saved after every generation so that an interrupted
//!   calibration resumes where it stopped and ends exactly as an uninterrupted one
//!   (`caseflow calibrate`). See `docs/calibration.md`.
//!
//! Each fitting command's files form a set with a marker ([`CALIBRATE_SET`], [`SCREEN_SET`],
//! [`ENSEMBLE_SET`]; [`output::MarkedSet`]) that its readers check ([`check_fit_file`]).
//!
//! The calibration itself is split by what each part does: `evaluate` runs candidates on
//! common random numbers through the batch runner, `state` saves, resumes and checks the
//! state after each generation, `report` writes what a finished calibration leaves for
//! people; this module is the driver, with the error types.
//!
//! Library code never prints: progress goes through a callback, results come back as values.

mod cmaes;
mod compare;
mod ensemble;
mod evaluate;
mod free;
mod report;
mod screen;
mod smc;
mod state;
mod targets;

use std::fmt;
use std::fs;
use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub use cmaes::{CmaState, SepCmaEs};
pub use compare::{
    CompareRow, Comparison, FORECAST_REL_TOLERANCE, FORECAST_SHARE_ABS_TOLERANCE, ForecastSplit, GroupResult,
    REL_TOLERANCE, Results, ResultsInfo, SHARE_ABS_TOLERANCE, SHARE_LOSS_FLOOR, Status, compare, parse_summary,
    read_results,
};
pub use ensemble::{
    ENSEMBLE_CSV, ENSEMBLE_MD, Ensemble, EnsembleOptions, EnsembleOutcome, ErrorModel, GenerationSummary,
    PARTICLES_CSV, Particle, Sampler, ensemble, estimate_discrepancy, load_ensemble, log_likelihood, weighted_quantile,
};
pub use free::{CalibrationSpec, FreeParam, Objective, Template, default_population, load_free, parse_free};
pub use screen::{
    SCREENED_FREE, SCREENING_CSV, SCREENING_MD, ScreenOptions, ScreenOutcome, Screened, default_screen_dir, screen,
};
pub use targets::{GROUP_ORDER, TargetKind, TargetRow, load_targets, parse_targets, series_group};

use evaluate::Evaluator;
use report::{ReportContext, fitted_header, generations_csv, report_md};
use state::{SavedState, check_state, damaged, read_state, targets_fingerprint, write_state};

use crate::batch::Runner;
use crate::output;
use crate::scenario::{self, ScenarioError};

/// One problem in an input file, located as precisely as the file allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based; 0 when the whole file is at fault.
    pub line: usize,
    /// 1-based character column; 0 when only the line is known (CSV rows).
    pub column: usize,
    /// What on the line: "column `value`", "key `free[0].min`"; may be empty.
    pub field: String,
    pub message: String,
}

impl Problem {
    fn at(file: &str, line: usize, field: &str, message: String) -> Problem {
        Problem { file: file.to_string(), line, column: 0, field: field.to_string(), message }
    }

    fn whole_file(file: &str, message: impl Into<String>) -> Problem {
        Problem { file: file.to_string(), line: 0, column: 0, field: String::new(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    /// `FILE:LINE[:COLUMN]: [FIELD: ]MESSAGE`, or `FILE: MESSAGE` for a whole-file problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

/// Why a comparison or a calibration could not be done.
#[derive(Debug)]
pub enum CalibrateError {
    /// Bad input files: targets, FREE.toml, results; every problem found.
    Input(Vec<Problem>),
    /// The scenario does not load.
    Scenario(ScenarioError),
    /// The output directory holds the state of a calibration with other inputs, or a damaged one.
    State { path: PathBuf, message: String },
    /// A file-system error.
    Io { path: PathBuf, source: io::Error },
    /// A command-line option out of its range (named in the message).
    BadOption(String),
    /// Anything else (e.g. worker threads that cannot start).
    Other(String),
}

impl CalibrateError {
    /// True when the user's input is at fault (the command should exit with status 2), false
    /// for failures while running or writing (status 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::Input(_) | Self::Scenario(_) | Self::State { .. } | Self::BadOption(_))
    }
}

impl fmt::Display for CalibrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(problems) => {
                for p in problems {
                    writeln!(f, "{p}")?;
                }
                let n = problems.len();
                let file = problems.first().map_or("", |p| p.file.as_str());
                write!(f, "{n} {} in {file}", if n == 1 { "error" } else { "errors" })
            }
            Self::Scenario(e) => write!(f, "{e}"),
            Self::State { path, message } => write!(f, "{}: {message}", path.display()),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::BadOption(message) | Self::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for CalibrateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Scenario(e) => Some(e),
            _ => None,
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CalibrateError + '_ {
    move |source| CalibrateError::Io { path: path.to_path_buf(), source }
}

/// The text of an input file, with the same whole-file messages as scenarios.
fn read_text(path: &Path, label: &str) -> Result<String, CalibrateError> {
    let fail = |message: String| CalibrateError::Input(vec![Problem::whole_file(label, message)]);
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(fail("no such file".to_string())),
        Err(e) => return Err(fail(format!("cannot read the file: {e}"))),
        Ok(meta) if meta.is_dir() => return Err(fail("is a directory, expected a file".to_string())),
        Ok(meta) if !meta.is_file() => return Err(fail(crate::scenario::NOT_A_REGULAR_FILE.to_string())),
        Ok(_) => {}
    }
    let bytes = fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if let Some((line, column, byte)) = crate::scenario::first_bad_utf8(&bytes) {
        let mut problem = Problem::whole_file(label, crate::scenario::bad_utf8_message(byte));
        (problem.line, problem.column) = (line, column);
        return Err(CalibrateError::Input(vec![problem]));
    }
    String::from_utf8(bytes).map_err(|_| fail("not a text file (it is not valid UTF-8)".to_string()))
}

/// 1-based line and character column of byte offset `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].trim_start_matches('\u{feff}').chars().count() + 1)
}

/// A problem of a TOML file read with serde: at the line and column of toml's span, naming
/// the key there (its dotted path: `calibration.seeds`, `free[1].step`), with toml's message
/// (e.g. "unknown field `speed`, expected one of ...", "invalid type: integer `1`, expected a
/// boolean").
fn toml_problem(file: &str, text: &str, e: &toml::de::Error) -> Problem {
    let at = e.span().map_or(0, |s| s.start);
    let (line, column) = line_col(text, at);
    let key = key_at(text, at);
    let field = if key.is_empty() { String::new() } else { format!("key `{key}`") };
    Problem { file: file.to_string(), line, column, field, message: e.message().trim().replace('\n', "; ") }
}

/// The dotted path of the key on the line of byte offset `at` in a TOML text of plain
/// `[table]`, `[[array]]` and `key = value` lines (FREE.toml, state.toml): the last table
/// header before it (an array of tables numbered from 0), then the key on that line, if any.
fn key_at(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    // Headers up to this line, its own included (a missing key is reported at its table).
    for line in text[..line_end].lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let n = match counts.iter_mut().find(|(c, _)| *c == name) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((name.clone(), 0));
                    0
                }
            };
            table = format!("{name}[{n}]");
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = name.trim().to_string();
        }
    }
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line.split_once('=').map_or("", |(k, _)| k.trim());
    let key = if key.starts_with('[') || key.starts_with('#') { "" } else { key };
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

/// Fingerprint of a text input (scenario, FREE.toml, targets).
fn sha256_hex(text: &str) -> String {
    output::sha256_hex(text.as_bytes())
}

/// Writes `bytes` to `path` atomically (see [`output::write_file_atomic`]).
///
/// # Errors
/// [`CalibrateError::Io`] on any file-system error; no temporary is left then.
fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), CalibrateError> {
    output::write_file_atomic(path, bytes).map_err(io_error(path))
}

/// Parses a year range for the command line: `2008-2012`, `2008..2012` or a single year.
///
/// # Errors
/// A message for clap when the text is not a range of years with first <= last.
pub fn parse_years(text: &str) -> Result<RangeInclusive<i32>, String> {
    let t = text.trim();
    let (a, b) = t.split_once("..").or_else(|| t.split_once('-')).unwrap_or((t, t));
    match (a.trim().parse::<i32>(), b.trim().parse::<i32>()) {
        (Ok(a), Ok(b)) if a <= b => Ok(a..=b),
        _ => Err(format!("expected years as FIRST-LAST (e.g. 2008-2012) or one year, found `{text}`")),
    }
}

// ---------------------------------------------------------------------------------------------
// `caseflow compare`
// ---------------------------------------------------------------------------------------------

/// A results directory compared with targets, and where the CSV went.
#[derive(Clone, Debug)]
pub struct CompareReport {
    pub results: ResultsInfo,
    pub targets_file: String,
    pub comparison: Comparison,
    /// With `--fit-years`: the fitted years and the forecasts after them, apart.
    pub split: Option<ForecastSplit>,
    pub csv_path: PathBuf,
    /// SHA-256 of the targets file as read.
    pub targets_sha256: String,
    /// How the comparison was made, beside the CSV ([`compare_provenance_path`]).
    pub provenance_path: PathBuf,
}

impl CompareReport {
    /// What was compared, and by what: the results' scenario, seeds and the caseflow that made
    /// them; the targets file and its SHA-256; this caseflow, and where its provenance went.
    pub fn header(&self) -> String {
        let r = &self.results;
        let incomplete = if r.complete { "" } else { ", INCOMPLETE (interrupted)" };
        format!(
            "results: {} (scenario `{}` from {}, master seed {}, {} runs{incomplete})\n\
             \x20 made by caseflow {} (git {}) at {}; scenario SHA-256 {}\n\
             targets: {} (SHA-256 {})\n\
             compared by caseflow {} (git {}); how: {}\n",
            r.dir.display(),
            r.scenario_name,
            r.scenario_path,
            r.master_seed,
            r.n_runs,
            r.crate_version,
            r.git_revision,
            r.created_utc,
            r.scenario_sha256,
            self.targets_file,
            self.targets_sha256,
            output::CRATE_VERSION,
            output::GIT_REVISION,
            self.provenance_path.display()
        )
    }
}

/// Where `compare` writes how a comparison at `csv_path` was made: beside it, its file stem
/// then `.provenance.toml` (`compare.csv` -> `compare.provenance.toml`), so that a CSV
/// written with `--out` elsewhere still says which run, targets and caseflow made it.
pub fn compare_provenance_path(csv_path: &Path) -> PathBuf {
    let stem = csv_path.file_stem().map_or_else(|| "compare".into(), |s| s.to_string_lossy().into_owned());
    csv_path.with_file_name(format!("{stem}.provenance.toml"))
}

/// The first line of a comparison's provenance file: `compare` replaces only a file that
/// starts with it.
const COMPARE_PROVENANCE_HEAD: &str = "# How the comparison beside this file was made, by `caseflow compare`.";

/// The text of a comparison's provenance file (see [`compare_provenance_path`]).
fn compare_provenance(
    report: &CompareReport,
    csv: &str,
    years: Option<&RangeInclusive<i32>>,
    command_line: &str,
) -> String {
    let q = output::toml_quoted;
    let r = &report.results;
    let csv_name = report.csv_path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let span = |name: &str, y: Option<&RangeInclusive<i32>>| {
        y.map_or(String::new(), |y| format!("{name} = [{}, {}]\n", y.start(), y.end()))
    };
    let fit_years = report.split.as_ref().map(|s| s.fit_years.clone());
    let seed = match r.master_seed.parse::<i64>() {
        Ok(n) => n.to_string(),
        Err(_) => q(&r.master_seed),
    };
    let run_indices = r.run_indices.iter().map(|i| if i.parse::<i64>().is_ok() { i.clone() } else { q(i) });
    format!(
        "{COMPARE_PROVENANCE_HEAD}
# It is written after the CSV, and a comparison being replaced loses it first: a CSV without it
# is not known to be whole. `years` (absent: all) are the targets compared; `fit_years`, the
# years reported apart from the forecasts after them.

crate_version = {}
git_revision = {}
created_utc = {}
command_line = {}

csv = {}
csv_sha256 = {}
{}{}
[targets]
file = {}
sha256 = {}

# The run compared, as its provenance.toml says (provenance_sha256 pins that file).
[results]
dir = {}
scenario_name = {}
scenario_path = {}
scenario_sha256 = {}
master_seed = {seed}
n_runs = {}
run_indices = [{}]
complete = {}
crate_version = {}
git_revision = {}
created_utc = {}
provenance_sha256 = {}
",
        q(output::CRATE_VERSION),
        q(output::GIT_REVISION),
        q(&output::iso8601_utc(std::time::SystemTime::now())),
        q(command_line),
        q(&csv_name),
        q(&output::sha256_hex(csv.as_bytes())),
        span("years", years),
        span("fit_years", fit_years.as_ref()),
        q(&report.targets_file),
        q(&report.targets_sha256),
        q(&r.dir.display().to_string()),
        q(&r.scenario_name),
        q(&r.scenario_path),
        q(&r.scenario_sha256),
        r.n_runs,
        run_indices.collect::<Vec<_>>().join(", "),
        r.complete,
        q(&r.crate_version),
        q(&r.git_revision),
        q(&r.created_utc),
        q(&r.provenance_sha256),
    )
}

/// `caseflow compare`: reads the results in `results` and the targets, compares them (only the
/// targets of `years` when given), and writes `compare.csv` into the results directory (or to
/// `out`), with how it was made beside it ([`compare_provenance_path`]: the run's provenance,
/// the targets file and its SHA-256, the CSV's SHA-256, this caseflow and `command_line`).
/// The two are written as a set: the CSV, then the provenance, which a comparison being
/// replaced loses first (as a run's `provenance.toml`). With `fit_years` (the years a
/// calibration fitted), the hits of those years and of the years after them (forecasts, under
/// the forecast rule) are reported apart.
///
/// # Errors
/// [`CalibrateError::Input`] for unreadable or malformed inputs, [`CalibrateError::State`] for
/// an output path that holds something other than an earlier comparison, and
/// [`CalibrateError::Io`] when the files cannot be written.
pub fn compare_results(
    results: &Path,
    targets: &Path,
    years: Option<RangeInclusive<i32>>,
    fit_years: Option<RangeInclusive<i32>>,
    out: Option<&Path>,
    command_line: &str,
) -> Result<CompareReport, CalibrateError> {
    let res = read_results(results)?;
    let targets_label = targets.display().to_string();
    // The targets as read are what is fingerprinted.
    let targets_text = read_text(targets, &targets_label)?;
    let target_rows = parse_targets(&targets_text, &targets_label)?;
    let comparison = compare(&res.summary, &target_rows, years.clone());
    require_target_rows(&comparison, &target_rows, years.as_ref(), &targets_label)?;
    let split = fit_years.map(|y| comparison.forecast_split(y));
    let csv_path = out.map_or_else(|| res.info.dir.join("compare.csv"), Path::to_path_buf);
    let provenance_path = compare_provenance_path(&csv_path);
    let csv = comparison.csv();
    replaceable_comparison(&csv_path, csv.lines().next().unwrap_or_default())?;
    replaceable_comparison(&provenance_path, COMPARE_PROVENANCE_HEAD)?;
    let report = CompareReport {
        results: res.info,
        targets_file: targets_label,
        comparison,
        split,
        csv_path,
        targets_sha256: output::sha256_hex(targets_text.as_bytes()),
        provenance_path,
    };
    let provenance = compare_provenance(&report, &csv, years.as_ref(), command_line);
    let dir = report.csv_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (csv_name, provenance_name) = (name(&report.csv_path), name(&report.provenance_path));
    // Checked above that both paths hold nothing or an earlier comparison: replace them.
    let files = vec![
        (csv_name.as_str(), output::Content::Bytes(csv.into_bytes())),
        (provenance_name.as_str(), output::Content::Bytes(provenance.into_bytes())),
    ];
    output::write_files(dir, true, files).map_err(|e| match e {
        output::OutputError::Io { path, source } => CalibrateError::Io { path, source },
        other => CalibrateError::Other(other.to_string()),
    })?;
    Ok(report)
}

/// Refuses a comparison of no target row: `--years` that the targets file has no target row
/// in (a typo, most likely), or a file of inputs only. "no target rows" with exit status 0 would
/// read as a result; the error names the years asked and those the file covers.
pub(crate) fn require_target_rows(
    comparison: &Comparison,
    targets: &[TargetRow],
    years: Option<&RangeInclusive<i32>>,
    targets_label: &str,
) -> Result<(), CalibrateError> {
    if !comparison.rows.is_empty() {
        return Ok(());
    }
    let mut covered: Vec<i32> = targets.iter().filter(|t| t.kind == TargetKind::Target).map(|t| t.year).collect();
    covered.sort_unstable();
    covered.dedup();
    let has = if covered.is_empty() {
        "it has no target rows at all (only inputs)".to_string()
    } else {
        format!("it has target rows for {}", year_spans(&covered))
    };
    let message = match years {
        Some(y) => {
            let asked = if y.start() == y.end() { y.start().to_string() } else { format!("{}-{}", y.start(), y.end()) };
            format!("no target rows in {asked} (--years): {has}")
        }
        None => format!("no target rows to compare: {has}"),
    };
    Err(CalibrateError::Input(vec![Problem::whole_file(targets_label, message)]))
}

/// Sorted years as spans of consecutive ones: `2000-2009, 2011`.
fn year_spans(years: &[i32]) -> String {
    let mut spans: Vec<(i32, i32)> = Vec::new();
    for &y in years {
        match spans.last_mut() {
            Some((_, end)) if y <= *end + 1 => *end = (*end).max(y),
            _ => spans.push((y, y)),
        }
    }
    spans.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect::<Vec<_>>().join(", ")
}

/// `compare` replaces only an earlier comparison (a file starting with `header`): any other
/// file at its output path, the run's own results or the targets among them, is refused.
fn replaceable_comparison(path: &Path, header: &str) -> Result<(), CalibrateError> {
    use std::io::{BufRead, Read};
    let refuse = |why: &str| {
        Err(CalibrateError::State {
            path: path.to_path_buf(),
            message: format!("{why}; `compare` replaces only an earlier comparison (choose another --out)"),
        })
    };
    if path.is_dir() {
        return refuse("a directory");
    }
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // nothing there (or nothing readable: writing it will say why)
    };
    let mut first = Vec::new();
    let _ = io::BufReader::new(file).take(4096).read_until(b'\n', &mut first);
    if String::from_utf8_lossy(&first).trim_end() == header {
        Ok(())
    } else {
        refuse("a file that is not a comparison written by `caseflow compare`")
    }
}

// ---------------------------------------------------------------------------------------------
// `caseflow calibrate`
// ---------------------------------------------------------------------------------------------

/// Stop when the search distribution's largest coordinate step is below this share of the
/// bound width: finer than any difference the simulation noise lets us see.
pub const TOL_STEP: f64 = 1e-3;

/// File names in the output directory.
pub const STATE_FILE: &str = "state.toml";
pub const FITTED_FILE: &str = "fitted.toml";
pub const REPORT_FILE: &str = "report.md";
pub const GENERATIONS_FILE: &str = "generations.csv";
pub const FIT_FILE: &str = "fit.csv";

/// The files `caseflow calibrate` writes, and their marker (see [`output::MarkedSet`]):
/// `state.toml` after every generation, the others at the end.
pub const CALIBRATE_SET: output::MarkedSet = output::MarkedSet {
    command: "calibrate",
    marker: "calibrate.provenance.toml",
    files: &[STATE_FILE, FITTED_FILE, FIT_FILE, GENERATIONS_FILE, REPORT_FILE],
    remedy: "run the calibration again (the same command resumes it, or rewrites a finished one)",
};
/// The files `caseflow screen` writes, and their marker.
pub const SCREEN_SET: output::MarkedSet = output::MarkedSet {
    command: "screen",
    marker: "screen.provenance.toml",
    files: &[SCREENING_CSV, SCREENING_MD, SCREENED_FREE],
    remedy: "rerun the screen with --force",
};
/// The files `caseflow ensemble` writes, and their marker.
pub const ENSEMBLE_SET: output::MarkedSet = output::MarkedSet {
    command: "ensemble",
    marker: "ensemble.provenance.toml",
    files: &[ENSEMBLE_CSV, PARTICLES_CSV, ENSEMBLE_MD],
    remedy: "rerun the ensemble with --force",
};
/// Every set of files the fitting commands write.
pub const FIT_SETS: [output::MarkedSet; 3] = [CALIBRATE_SET, SCREEN_SET, ENSEMBLE_SET];

/// For a reader of the file at `path` (a scenario, a FREE.toml, an ensemble): when it is a
/// file of a fitting command's set (`fitted.toml`, `screened.free.toml`, `ensemble.csv`, ...)
/// and its directory holds that set's marker, the set must be whole: complete, every file as
/// written. A fit directory without a marker was written before markers existed (the
/// committed ones under `results/calibration/`) and is read as before; so is a file of another
/// name, or one copied out of its fit directory.
///
/// # Errors
/// The message of [`output::MarkedSet::check`], naming the directory and what is wrong.
pub fn check_fit_file(path: &Path) -> Result<(), String> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return Ok(()) };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for set in FIT_SETS.iter().filter(|set| set.files.contains(&name)) {
        set.check(dir)?;
    }
    Ok(())
}

/// How a fitting command's files were made, for its marker: the scenario, FREE.toml and the
/// target rows used (their fingerprint, as `state.toml` has it) and the fit years, then
/// `extra` lines.
pub(crate) fn fit_inputs(
    scenario_label: &str,
    scenario_text: &str,
    spec: &CalibrationSpec,
    targets: &[TargetRow],
    extra: &[(&str, String)],
) -> String {
    let q = output::toml_quoted;
    let mut text = format!(
        "scenario = {}\nscenario_sha256 = {}\nfree = {}\nfree_sha256 = {}\n\
         # Series, year, value and unit of each target row used (the fingerprint state.toml keeps).\n\
         targets_rows = {}\ntargets_rows_sha256 = {}\n",
        q(scenario_label),
        q(&sha256_hex(scenario_text)),
        q(&spec.file),
        q(&sha256_hex(&spec.text)),
        targets.len(),
        q(&targets_fingerprint(targets)),
    );
    if let Some(y) = &spec.years {
        text.push_str(&format!("fit_years = [{}, {}]\n", y.start(), y.end()));
    }
    for (key, value) in extra {
        text.push_str(&format!("{key} = {value}\n"));
    }
    text
}

/// Calls [`output::MarkedSet::begin`] once, before the first file of a set is written.
pub(crate) struct SetWrite<'a> {
    pub set: output::MarkedSet,
    pub dir: &'a Path,
    pub command_line: &'a str,
    begun: bool,
}

impl<'a> SetWrite<'a> {
    pub(crate) fn new(set: output::MarkedSet, dir: &'a Path, command_line: &'a str) -> SetWrite<'a> {
        SetWrite { set, dir, command_line, begun: false }
    }

    /// Marks the set as being written, unless done already.
    pub(crate) fn begin(&mut self) -> Result<(), CalibrateError> {
        if !self.begun {
            self.set.begin(self.dir, self.command_line).map_err(io_error(&self.dir.join(self.set.marker)))?;
            self.begun = true;
        }
        Ok(())
    }

    /// Writes `files` (name, text) into the set's directory, each atomically, after marking
    /// the set as being written and before marking it complete with `about` (how the files
    /// were made); returns their paths, the marker's last.
    pub(crate) fn write_all<'n>(
        &mut self,
        files: impl IntoIterator<Item = (&'n str, String)>,
        about: &str,
    ) -> Result<Vec<PathBuf>, CalibrateError> {
        self.begin()?;
        let mut written = Vec::new();
        for (name, text) in files {
            let path = self.dir.join(name);
            write_file_atomic(&path, text.as_bytes())?;
            written.push(path);
        }
        written.push(self.finish(about)?);
        Ok(written)
    }

    /// Marks the set complete (every file in place), with how it was made (`about`); returns
    /// the marker's path.
    fn finish(&mut self, about: &str) -> Result<PathBuf, CalibrateError> {
        let marker = self.dir.join(self.set.marker);
        self.begin()?;
        self.set.finish(self.dir, self.command_line, about).map_err(io_error(&marker))?;
        Ok(marker)
    }
}

/// How to run a calibration (the rest is in the [`CalibrationSpec`]).
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// Candidate evaluations allowed in total, the starting point included; a generation is
    /// only started when all of its candidates fit. Raising it on a later run continues.
    pub budget: u64,
    /// Output directory; `None`: `results/calibration/<scenario name>`.
    pub out_dir: Option<PathBuf>,
    /// Worker threads (0: one per core). Results do not depend on it.
    pub threads: usize,
    /// The command line, recorded in the report and the fitted scenario's header.
    pub command_line: String,
    /// The targets file's path as given, for the report.
    pub targets_label: String,
}

/// The default output directory of a calibration of scenario `name`.
pub fn default_out_dir(scenario_name: &str) -> PathBuf {
    PathBuf::from("results/calibration").join(scenario_name)
}

/// One completed generation (generation 0 is the evaluation of the starting point).
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationRecord {
    pub generation: u64,
    /// Candidate evaluations used so far, this generation included.
    pub evaluations: u64,
    /// Lowest loss of any candidate so far.
    pub best_loss: f64,
    /// Lowest loss in this generation.
    pub generation_best: f64,
    /// Mean loss of this generation's candidates (those that loaded).
    pub mean_loss: f64,
    /// CMA-ES step size after this generation's update.
    pub sigma: f64,
    /// Candidates whose scenario did not load (loss +inf).
    pub invalid: usize,
}

/// What the calibration is doing, for a progress display. Called from worker threads.
#[derive(Clone, Debug)]
pub enum Progress {
    /// A saved state was found and is continued.
    Resumed { generation: u64, evaluations: u64, best_loss: f64 },
    /// A generation's candidates are being evaluated.
    GenerationStarted { generation: u64, candidates: usize, runs_per_candidate: u64 },
    /// One candidate's runs have all finished.
    CandidateDone { generation: u64, candidate: usize },
    /// A generation is complete and its state saved.
    GenerationDone(GenerationRecord),
    /// The fitted and the starting scenario are being run once more for the report.
    Finishing { runs: u64 },
}

/// Why the calibration stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The step size fell below [`TOL_STEP`].
    Converged,
    /// Another generation would exceed the budget.
    BudgetSpent,
    /// The stop flag was set; the state of the last completed generation is saved.
    Interrupted,
}

/// One free parameter: where it started, where it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedParam {
    pub key: String,
    pub min: f64,
    pub max: f64,
    /// The scenario's own value, where the fit started.
    pub original: f64,
    pub fitted: f64,
}

/// The fitted and the starting scenario compared with the targets.
#[derive(Clone, Debug)]
pub struct Fit {
    pub start_fit_years: Comparison,
    pub start_all_years: Comparison,
    pub fitted_fit_years: Comparison,
    pub fitted_all_years: Comparison,
}

/// What a calibration produced.
#[derive(Clone, Debug)]
pub struct CalibrationOutcome {
    pub reason: StopReason,
    /// The generation the run resumed from, if it resumed.
    pub resumed_from: Option<u64>,
    pub generations: u64,
    pub evaluations: u64,
    pub start_loss: f64,
    pub best_loss: f64,
    pub params: Vec<FittedParam>,
    pub history: Vec<GenerationRecord>,
    /// `None` when interrupted (the report is written once the calibration ends).
    pub fit: Option<Fit>,
    pub out_dir: PathBuf,
    /// Files written (the state file always; the others, the marker last, when not
    /// interrupted).
    pub files: Vec<PathBuf>,
}

/// Fits the free parameters of `spec` in the scenario `scenario_text` (labelled
/// `scenario_label`, its path as given) to the target rows of `targets`.
///
/// Resumes from `state.toml` in the output directory when there is one (refusing one made
/// from other inputs), runs generations until the budget is spent, the step size is below
/// [`TOL_STEP`] or `stop` is set (checked between generations; the generation under way is
/// finished and saved), then writes `fitted.toml`, `report.md`, `generations.csv` and
/// `fit.csv`. A calibration that has already ended just rewrites those files. The set's
/// marker ([`CALIBRATE_SET`]) says "writing" from the first `state.toml` this call writes until
/// after `fit.csv`, when it says "complete" with every file's SHA-256: an interrupted
/// calibration leaves it "writing", and readers refuse its `fitted.toml` until it ends.
///
/// # Errors
/// [`CalibrateError::Scenario`] / [`CalibrateError::Input`] for unusable inputs (checked
/// before any run), [`CalibrateError::State`] for a state of other inputs, and
/// [`CalibrateError::Io`] when files cannot be written.
pub fn calibrate(
    scenario_text: &str,
    scenario_label: &str,
    spec: &CalibrationSpec,
    targets: &[TargetRow],
    options: &CalibrateOptions,
    stop: &AtomicBool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CalibrationOutcome, CalibrateError> {
    let template = Template::new(scenario_text, scenario_label, spec)?;
    let base = scenario::load_str(scenario_text, scenario_label).map_err(CalibrateError::Scenario)?;
    let targets: Vec<TargetRow> = targets.iter().filter(|t| t.kind == TargetKind::Target).cloned().collect();
    let fit_rows = targets.iter().filter(|t| spec.years.as_ref().is_none_or(|y| y.contains(&t.year))).count();
    if fit_rows == 0 {
        let years = spec.years.as_ref().map_or("any year".to_string(), |y| format!("{}-{}", y.start(), y.end()));
        return Err(CalibrateError::Input(vec![Problem::whole_file(
            &options.targets_label,
            format!("no target rows in {years} (targets_years in {}): nothing to fit", spec.file),
        )]));
    }
    // parse_free guarantees these; a spec built in code might not.
    if spec.seeds == 0 || spec.population < 2 || !(spec.sigma0 > 0.0 && spec.sigma0 <= 1.0) {
        return Err(CalibrateError::Input(vec![Problem::whole_file(
            &spec.file,
            "seeds must be at least 1, population at least 2 and sigma0 in (0, 1]",
        )]));
    }
    let out_dir = options.out_dir.clone().unwrap_or_else(|| default_out_dir(&base.name));
    let runner = Runner::new(options.threads).map_err(|e| CalibrateError::Other(e.to_string()))?;
    let eval = Evaluator { template: &template, spec, targets: &targets, runner, progress };
    let fingerprints = (sha256_hex(scenario_text), sha256_hex(&spec.text), targets_fingerprint(&targets));
    let keys: Vec<String> = spec.free.iter().map(|p| p.key.clone()).collect();
    let lambda = spec.population;
    let state_path = out_dir.join(STATE_FILE);
    // The set is marked as being written before its first file (state.toml) changes, and
    // complete once the report is written: an interrupted calibration stays marked.
    let mut set = SetWrite::new(CALIBRATE_SET, &out_dir, &options.command_line);

    // Resume, or evaluate the starting point as generation 0.
    let mut resumed_from = None;
    let (mut es, mut saved) = if state_path.exists() {
        let saved = read_state(&state_path)?;
        check_state(&state_path, &saved, &fingerprints, &keys, lambda)?;
        let es = SepCmaEs::resume(saved.cma.clone(), keys.len(), lambda)
            .map_err(|message| CalibrateError::State { path: state_path.clone(), message: damaged(&message) })?;
        resumed_from = Some(saved.cma.generation);
        progress(Progress::Resumed {
            generation: saved.cma.generation,
            evaluations: saved.evaluations,
            best_loss: saved.best_loss,
        });
        (es, saved)
    } else {
        if stop.load(Ordering::SeqCst) {
            return Err(CalibrateError::Other("interrupted before the calibration started: nothing written".into()));
        }
        let x0 = template.start_point();
        let es = SepCmaEs::new(x0.clone(), spec.sigma0, lambda);
        progress(Progress::GenerationStarted { generation: 0, candidates: 1, runs_per_candidate: spec.seeds });
        // The scenario's own values, exactly: not x0 mapped back, which may differ in
        // the last bit.
        let start_values = template.original_values();
        let loss = eval.losses(0, std::slice::from_ref(&start_values))[0];
        if loss.is_infinite() {
            // Template::new loaded the scenario as it is; a guard, should its own values still
            // fail as a candidate.
            return Err(CalibrateError::Other(format!(
                "the starting scenario (the values of {scenario_label}) does not load as a candidate"
            )));
        }
        let record = GenerationRecord {
            generation: 0,
            evaluations: 1,
            best_loss: loss,
            generation_best: loss,
            mean_loss: loss,
            sigma: spec.sigma0,
            invalid: 0,
        };
        let saved = SavedState {
            scenario_sha256: fingerprints.0.clone(),
            free_sha256: fingerprints.1.clone(),
            targets_sha256: fingerprints.2.clone(),
            keys: keys.clone(),
            population: lambda,
            evaluations: 1,
            start_loss: loss,
            best_loss: loss,
            best_point: x0,
            best_values: start_values,
            cma: es.state.clone(),
            history: vec![record.clone()],
        };
        set.begin()?;
        write_state(&state_path, &saved, scenario_label)?;
        progress(Progress::GenerationDone(record));
        (es, saved)
    };

    let reason = loop {
        if es.max_step() < TOL_STEP {
            break StopReason::Converged;
        }
        if saved.evaluations + lambda as u64 > options.budget {
            break StopReason::BudgetSpent;
        }
        if stop.load(Ordering::SeqCst) {
            break StopReason::Interrupted;
        }
        let generation = es.state.generation + 1;
        progress(Progress::GenerationStarted { generation, candidates: lambda, runs_per_candidate: spec.seeds });
        let points = es.sample(spec.seed);
        let values: Vec<Vec<f64>> = points.iter().map(|x| template.values(x)).collect();
        let losses = eval.losses(generation, &values);
        es.tell(&points, &losses);
        saved.evaluations += lambda as u64;
        // The first candidate with the lowest loss: a fixed choice among ties.
        let (best_k, generation_best) = losses
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::INFINITY), |(bk, bl), (k, l)| if l < bl { (k, l) } else { (bk, bl) });
        if generation_best < saved.best_loss {
            saved.best_loss = generation_best;
            saved.best_point = points[best_k].clone();
            saved.best_values = values[best_k].clone();
        }
        let finite: Vec<f64> = losses.iter().copied().filter(|l| l.is_finite()).collect();
        let record = GenerationRecord {
            generation,
            evaluations: saved.evaluations,
            best_loss: saved.best_loss,
            generation_best,
            mean_loss: if finite.is_empty() { f64::NAN } else { finite.iter().sum::<f64>() / finite.len() as f64 },
            sigma: es.state.sigma,
            invalid: losses.len() - finite.len(),
        };
        saved.cma = es.state.clone();
        saved.history.push(record.clone());
        set.begin()?;
        write_state(&state_path, &saved, scenario_label)?;
        progress(Progress::GenerationDone(record));
    };

    let best_values = saved.best_values.clone();
    let params: Vec<FittedParam> = spec
        .free
        .iter()
        .zip(template.original_values())
        .zip(&best_values)
        .map(|((p, original), &fitted)| FittedParam { key: p.key.clone(), min: p.min, max: p.max, original, fitted })
        .collect();
    let mut outcome = CalibrationOutcome {
        reason,
        resumed_from,
        generations: es.state.generation,
        evaluations: saved.evaluations,
        start_loss: saved.start_loss,
        best_loss: saved.best_loss,
        params,
        history: saved.history.clone(),
        fit: None,
        out_dir: out_dir.clone(),
        files: vec![state_path],
    };
    if reason == StopReason::Interrupted {
        return Ok(outcome);
    }

    // The report's comparisons: the starting and the fitted scenario on the same runs.
    progress(Progress::Finishing { runs: 2 * spec.seeds });
    let summaries = eval.summaries(None, &[template.original_values(), best_values.clone()], None);
    let mut comparisons = Vec::new();
    for s in &summaries {
        let summary = s.as_ref().map_err(|e| CalibrateError::Other(format!("re-running for the report: {e}")))?;
        comparisons.push((compare(summary, &targets, spec.years.clone()), compare(summary, &targets, None)));
    }
    let (fitted_fit_years, fitted_all_years) = comparisons.pop().unwrap_or_else(empty_pair);
    let (start_fit_years, start_all_years) = comparisons.pop().unwrap_or_else(empty_pair);
    let fit = Fit { start_fit_years, start_all_years, fitted_fit_years, fitted_all_years };

    let ctx = ReportContext {
        scenario_label,
        scenario_name: &base.name,
        spec,
        options,
        outcome: &outcome,
        fit: &fit,
        fingerprints: &fingerprints,
        fit_rows,
    };
    let best_text = template
        .text_with(&best_values)
        .map_err(|e| CalibrateError::Other(format!("writing the fitted scenario: {e}")))?;
    let fitted_text = format!("{}{best_text}", fitted_header(&ctx));
    let files = [
        (FITTED_FILE, fitted_text),
        (FIT_FILE, fit.fitted_all_years.csv()),
        (GENERATIONS_FILE, generations_csv(&saved.history)),
        (REPORT_FILE, report_md(&ctx)),
    ];
    let about = fit_inputs(
        scenario_label,
        scenario_text,
        spec,
        &targets,
        &[("targets", output::toml_quoted(&options.targets_label)), ("budget", options.budget.to_string())],
    );
    outcome.files.extend(set.write_all(files, &about)?);
    outcome.fit = Some(fit);
    Ok(outcome)
}

fn empty_pair() -> (Comparison, Comparison) {
    let empty = Comparison { rows: Vec::new(), groups: Vec::new() };
    (empty.clone(), empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_on_the_command_line() {
        assert_eq!(parse_years("2008-2012"), Ok(2008..=2012));
        assert_eq!(parse_years("2008..2012"), Ok(2008..=2012));
        assert_eq!(parse_years("2010"), Ok(2010..=2010));
        assert!(parse_years("2012-2008").is_err());
        assert!(parse_years("x").is_err());
    }

    #[test]
    fn problems_display_like_scenario_diagnostics() {
        let p = Problem::at("t.csv", 3, "column `value`", "bad".into());
        assert_eq!(p.to_string(), "t.csv:3: column `value`: bad");
        assert_eq!(Problem::whole_file("t.csv", "empty").to_string(), "t.csv: empty");
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn years_as_spans() {
        assert_eq!(year_spans(&[2000, 2001, 2002, 2005, 2007, 2008]), "2000-2002, 2005, 2007-2008");
        assert_eq!(year_spans(&[1990, 1990]), "1990");
        assert_eq!(year_spans(&[1990, 1995]), "1990, 1995");
    }

    #[test]
    fn sha256_of_text() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
