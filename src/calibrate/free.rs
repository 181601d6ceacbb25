//! `FREE.toml`: which scenario parameters calibration may move, within which bounds, and how
//! candidates are evaluated; and the scenario template that puts candidate values into the
//! scenario text.
//!
//! ```toml
//! [calibration]
//! targets_years = [2000, 2012]  # fit only targets of these years (inclusive); default: all
//! seeds = 4                     # runs per candidate, run indices 0..seeds (default 4)
//! master_seed = 1               # the runs' master seed, the same for every candidate (default 1)
//! population = 12               # candidates per generation (default 4 + floor(3 ln n))
//! seed = 1                      # the optimiser's own seed (default 1)
//! sigma0 = 0.3                  # initial step size, as a share of each bound width (default 0.3)
//! tolerance = 0.0               # relative error that costs nothing (default 0; see `loss_beyond`)
//! objective = "loss"            # or "soft_misses" (see `Comparison::soft_misses`)
//! far_pull = 0.0                # soft_misses only: pull on rows missed (default 0; see
//!                               # `Comparison::soft_misses_pulled`)
//! band_hits = false             # soft_misses only: a row inside the simulated p05-p95 band
//!                               # costs nothing, as for the hit rule (default false)
//!
//! [[free]]
//! key = "behaviour.trial.effort_acquittal"  # dotted path; `name[i]` picks element i of an array,
//!                                           # `name[YYYY-MM-DD]` the dated entry from that date
//! min = 2.0
//! max = 15.0
//! ```
//!
//! Candidate values are written into the scenario by replacing the bytes of the number at the
//! key, found through the spans of toml's parser (the same parser the scenario loader uses):
//! every other byte of the scenario, comments and layout included, stays as it was, which is
//! all toml_edit would give us, without a second TOML library. Floats are written in Rust's
//! shortest round-trip form, so the scenario loaded back holds exactly the candidate's value.
//! The key paths and the editing are `scenario::edit`'s, shared with sweeps and attribution.

use std::collections::HashSet;
use std::ops::{Range, RangeInclusive};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::{CalibrateError, Problem, line_col, toml_problem};
use crate::scenario;
use crate::scenario::edit::{self, ValueKind, format_number, parse_key_path, splice};

/// One parameter calibration may move.
#[derive(Clone, Debug, PartialEq)]
pub struct FreeParam {
    /// Dotted key path into the scenario, e.g. `behaviour.sentencing.custodial_logit.grave`.
    pub key: String,
    pub min: f64,
    pub max: f64,
    /// Where `key = ...` is in FREE.toml, for errors found against the scenario.
    pub line: usize,
    pub column: usize,
}

/// A validated `FREE.toml`.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationSpec {
    /// The file's label in diagnostics (its path as given).
    pub file: String,
    /// The file's text, fingerprinted in the calibration state so a resume with a changed
    /// specification is refused.
    pub text: String,
    /// Only targets of these years are fitted; `None`: all.
    pub years: Option<RangeInclusive<i32>>,
    /// Runs per candidate: run indices `0..seeds`, the same for every candidate.
    pub seeds: u64,
    pub master_seed: u64,
    /// Candidates per generation (CMA-ES lambda), default resolved.
    pub population: usize,
    /// The optimiser's seed.
    pub seed: u64,
    /// Initial step size in normalised units (each bound width is 1).
    pub sigma0: f64,
    /// Relative error a target may have at no cost: a row's loss is min(1, (|e| - tolerance)^2)
    /// beyond it, 0 within (see `Comparison::loss_beyond`). 0 (the default): the compare loss.
    pub tolerance: f64,
    /// `objective = "loss"` (the default) or `"soft_misses"`.
    pub objective: Objective,
    /// With `soft_misses`, the extra cost per unit of relative error beyond 15% of a row missed
    /// (at most one unit counted): 0 (the default) leaves missed rows flat at 1.
    pub far_pull: f64,
    /// With `soft_misses`, whether a row whose published value lies within the simulated
    /// p05-p95 band costs nothing, as the hit rule counts it a hit (default false).
    pub band_hits: bool,
    pub free: Vec<FreeParam>,
}

impl CalibrationSpec {
    /// The specification with its fitted years set from the command line (`--fit-years`),
    /// when given. The years are appended to the text that the calibration state fingerprints,
    /// so a calibration is never resumed under other fitted years.
    pub fn with_fit_years(mut self, years: Option<RangeInclusive<i32>>) -> CalibrationSpec {
        if let Some(y) = years {
            self.text.push_str(&format!("\n# --fit-years {}-{}\n", y.start(), y.end()));
            self.years = Some(y);
        }
        self
    }
}

/// The population CMA-ES uses by default for `n` parameters: 4 + floor(3 ln n).
pub fn default_population(n: usize) -> usize {
    4 + (3.0 * (n.max(1) as f64).ln()).floor() as usize
}

/// Reads and validates a FREE.toml file.
///
/// # Errors
/// [`CalibrateError::Input`] with every problem found (file, line, column, key).
pub fn load_free(path: &Path) -> Result<CalibrationSpec, CalibrateError> {
    let label = path.display().to_string();
    let text = super::read_text(path, &label)?;
    // A screen's screened.free.toml of a screen that was not finished, or changed since, is
    // refused.
    super::check_fit_file(path).map_err(|m| CalibrateError::Input(vec![super::Problem::whole_file(&label, m)]))?;
    parse_free(&text, &label)
}

/// What calibration minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// The compare loss, with errors up to `tolerance` free (`Comparison::loss_beyond`).
    Loss,
    /// The share of targets missed, softened (`Comparison::soft_misses`): the hit count is what
    /// the fit is judged by.
    SoftMisses,
}

/// More runs per candidate or candidates per generation than this is surely a typo.
const MAX_COUNT: i64 = 100_000;

/// FREE.toml as written: its structure and types are checked by serde (an unknown or missing
/// key, or a value of the wrong type, is an error at its line and column); the values are
/// then checked by [`parse_free`], which reports every problem found.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFree {
    #[serde(default)]
    calibration: RawCalibration,
    free: Option<Spanned<Vec<Spanned<RawFreeParam>>>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    targets_years: Option<Spanned<Vec<i64>>>,
    seeds: Option<Spanned<i64>>,
    master_seed: Option<Spanned<i64>>,
    population: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    sigma0: Option<Spanned<f64>>,
    tolerance: Option<Spanned<f64>>,
    objective: Option<Spanned<String>>,
    far_pull: Option<Spanned<f64>>,
    band_hits: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFreeParam {
    key: Spanned<String>,
    min: Spanned<f64>,
    max: Spanned<f64>,
}

/// Validates the text of a FREE.toml; `file` names it in diagnostics.
///
/// # Errors
/// [`CalibrateError::Input`]: the first structural problem (TOML syntax, an unknown or
/// missing key, a value of the wrong type), or else every value out of its range.
pub fn parse_free(text: &str, file: &str) -> Result<CalibrationSpec, CalibrateError> {
    let raw: RawFree = toml::from_str(text).map_err(|e| CalibrateError::Input(vec![toml_problem(file, text, &e)]))?;
    let mut r = Reader { file, text, problems: Vec::new() };
    let c = &raw.calibration;

    let years = c.targets_years.as_ref().and_then(|v| r.year_range(v, "calibration.targets_years"));
    let count = |r: &mut Reader<'_>, v: &Option<Spanned<i64>>, key: &str, min: i64, max: i64| {
        v.as_ref().and_then(|v| r.integer(v, key, min, max))
    };
    let seeds = count(&mut r, &c.seeds, "calibration.seeds", 1, MAX_COUNT).map_or(4, |n| n as u64);
    let master_seed = count(&mut r, &c.master_seed, "calibration.master_seed", 0, i64::MAX).map_or(1, |n| n as u64);
    let population = count(&mut r, &c.population, "calibration.population", 2, MAX_COUNT).map(|n| n as usize);
    let seed = count(&mut r, &c.seed, "calibration.seed", 0, i64::MAX).map_or(1, |n| n as u64);
    let sigma0 =
        c.sigma0.as_ref().and_then(|v| r.number_in(v, "calibration.sigma0", |x| x > 0.0 && x <= 1.0, "(0, 1]"));
    let tolerance = c
        .tolerance
        .as_ref()
        .and_then(|v| r.number_in(v, "calibration.tolerance", |x| (0.0..1.0).contains(&x), "[0, 1)"));
    let far_pull = c
        .far_pull
        .as_ref()
        .and_then(|v| r.number_in(v, "calibration.far_pull", |x| (0.0..=1.0).contains(&x), "[0, 1]"));
    let objective = match &c.objective {
        None => Objective::Loss,
        Some(v) => match v.get_ref().as_str() {
            "loss" => Objective::Loss,
            "soft_misses" => Objective::SoftMisses,
            _ => {
                r.error(
                    v.span().start,
                    "calibration.objective",
                    format!("expected \"loss\" or \"soft_misses\", found {}", r.source(v.span())),
                );
                Objective::Loss
            }
        },
    };
    let band_hits = c.band_hits.as_ref().is_some_and(|v| *v.get_ref());

    // A pull on missed rows, and rows inside the band costing nothing, mean nothing to the
    // squared loss: say so rather than ignore them.
    if objective != Objective::SoftMisses {
        let pull_at = c.far_pull.as_ref().filter(|_| far_pull.unwrap_or(0.0) > 0.0).map(|v| v.span().start);
        let band_at = c.band_hits.as_ref().filter(|_| band_hits).map(|v| v.span().start);
        for (at, key) in [(pull_at, "calibration.far_pull"), (band_at, "calibration.band_hits")] {
            if let Some(at) = at {
                r.error(at, key, "applies only with objective = \"soft_misses\"".to_string());
            }
        }
    }

    let mut free = Vec::new();
    match &raw.free {
        None => r.error(0, "free", "no [[free]] parameters: name at least one parameter to fit".to_string()),
        Some(items) if items.get_ref().is_empty() => {
            r.error(items.span().start, "free", "expected one or more [[free]] tables".to_string());
        }
        Some(items) => {
            let mut seen = HashSet::new();
            for (i, item) in items.get_ref().iter().enumerate() {
                let path = format!("free[{i}]");
                if let Some(p) = r.free_param(item.get_ref(), &path) {
                    if seen.insert(p.key.clone()) {
                        free.push(p);
                    } else {
                        let at = item.get_ref().key.span().start;
                        r.error(at, &format!("{path}.key"), format!("`{}` is already a free parameter", p.key));
                    }
                }
            }
        }
    }

    if !r.problems.is_empty() {
        r.problems.sort_by_key(|p| (p.line, p.column));
        return Err(CalibrateError::Input(r.problems));
    }
    let population = population.unwrap_or_else(|| default_population(free.len()));
    Ok(CalibrationSpec {
        file: file.to_string(),
        text: text.to_string(),
        years,
        seeds,
        master_seed,
        population,
        seed,
        sigma0: sigma0.unwrap_or(0.3),
        tolerance: tolerance.unwrap_or(0.0),
        objective,
        far_pull: far_pull.unwrap_or(0.0),
        band_hits,
        free,
    })
}

/// Collects the value problems of FREE.toml.
struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn error(&mut self, at: usize, key: &str, message: String) {
        let (line, column) = line_col(self.text, at);
        let field = if key.is_empty() { String::new() } else { format!("key `{key}`") };
        self.problems.push(Problem { file: self.file.to_string(), line, column, field, message });
    }

    /// The value as written, for "found ..." messages.
    fn source(&self, span: Range<usize>) -> String {
        self.text.get(span).unwrap_or("?").to_string()
    }

    fn integer(&mut self, v: &Spanned<i64>, key: &str, min: i64, max: i64) -> Option<i64> {
        let n = *v.get_ref();
        if (min..=max).contains(&n) {
            return Some(n);
        }
        let range = if max == i64::MAX { format!("at least {min}") } else { format!("{min} to {max}") };
        self.error(v.span().start, key, format!("expected an integer {range}, found {}", self.source(v.span())));
        None
    }

    /// A finite number that `ok` accepts; otherwise an error saying it must lie in `range`.
    fn number_in(&mut self, v: &Spanned<f64>, key: &str, ok: impl Fn(f64) -> bool, range: &str) -> Option<f64> {
        let x = self.number(v, key)?;
        if ok(x) {
            return Some(x);
        }
        self.error(v.span().start, key, format!("expected a number in {range}, found {}", self.source(v.span())));
        None
    }

    fn number(&mut self, v: &Spanned<f64>, key: &str) -> Option<f64> {
        let x = *v.get_ref();
        if x.is_finite() {
            return Some(x);
        }
        self.error(v.span().start, key, format!("expected a finite number, found {}", self.source(v.span())));
        None
    }

    fn year_range(&mut self, v: &Spanned<Vec<i64>>, key: &str) -> Option<RangeInclusive<i32>> {
        let years: Vec<i32> = v.get_ref().iter().filter_map(|&y| i32::try_from(y).ok()).collect();
        match years.as_slice() {
            &[first, last] if first <= last && v.get_ref().len() == 2 => Some(first..=last),
            _ => {
                let found = self.source(v.span());
                self.error(
                    v.span().start,
                    key,
                    format!("expected [first year, last year] with first <= last, found {found}"),
                );
                None
            }
        }
    }

    fn free_param(&mut self, p: &RawFreeParam, path: &str) -> Option<FreeParam> {
        let before = self.problems.len();
        let key = p.key.get_ref();
        if let Err(message) = parse_key_path(key) {
            self.error(p.key.span().start, &format!("{path}.key"), message);
        }
        let min = self.number(&p.min, &format!("{path}.min"));
        let max = self.number(&p.max, &format!("{path}.max"));
        if let (Some(lo), Some(hi)) = (min, max)
            && lo >= hi
        {
            self.error(
                p.max.span().start,
                &format!("{path}.max"),
                format!("max ({hi}) must be greater than min ({lo})"),
            );
        }
        match (min, max) {
            (Some(min), Some(max)) if self.problems.len() == before => {
                let (line, column) = line_col(self.text, p.key.span().start);
                Some(FreeParam { key: key.clone(), min, max, line, column })
            }
            _ => None,
        }
    }
}

/// Where one free parameter sits in the scenario text.
#[derive(Clone, Debug)]
struct Slot {
    /// Byte range of the number in the scenario text.
    span: Range<usize>,
    /// The loader wants an integer here: candidates are rounded.
    integral: bool,
    /// The scenario's own value.
    original: f64,
    min: f64,
    max: f64,
}

/// The scenario text with a slot for each free parameter.
#[derive(Clone, Debug)]
pub struct Template {
    text: String,
    label: String,
    slots: Vec<Slot>,
}

impl Template {
    /// Finds every free parameter of `spec` in the scenario and checks that it can be moved:
    /// the key exists and holds a number, and the scenario still loads with the parameter at
    /// either bound. Whether the loader wants an integer there is found out by asking it.
    ///
    /// # Errors
    /// [`CalibrateError::Scenario`] if the scenario itself does not load;
    /// [`CalibrateError::Input`] naming the FREE.toml line of each key that cannot be used.
    pub fn new(scenario_text: &str, scenario_label: &str, spec: &CalibrationSpec) -> Result<Template, CalibrateError> {
        scenario::load_str(scenario_text, scenario_label).map_err(CalibrateError::Scenario)?;
        let doc = DeTable::parse(scenario_text).map_err(|e| {
            // The loader accepted the text, so toml cannot reject it; say so if it ever does.
            CalibrateError::Other(format!("{scenario_label}: cannot re-read the scenario: {}", e.message()))
        })?;
        let mut problems = Vec::new();
        let mut slots = Vec::new();
        // Every key found, with the number it names: two spellings of one number
        // (`incentives[2].x` and `incentives[2009-01-01].x`) would be two parameters
        // writing the same bytes.
        let mut found: Vec<(&FreeParam, Range<usize>)> = Vec::new();
        for p in &spec.free {
            let problem = |message: String| Problem {
                file: spec.file.clone(),
                line: p.line,
                column: p.column,
                field: format!("key `{}`", p.key),
                message,
            };
            match edit::locate(doc.get_ref(), &p.key).and_then(|found| number_at(&found).map(|n| (found, n))) {
                Ok((located, (span, original, is_integer))) => {
                    if let Some((earlier, _)) = found.iter().find(|(_, s)| edit::overlaps(s, &span)) {
                        problems.push(problem(format!(
                            "already a free parameter as `{}` (line {}): both keys name `{}` in {scenario_label}",
                            earlier.key, earlier.line, located.walked
                        )));
                        continue;
                    }
                    found.push((p, span.clone()));
                    let mut slot = Slot { span, integral: false, original, min: p.min, max: p.max };
                    if is_integer {
                        slot.integral = edit::wants_integer(scenario_text, scenario_label, &slot.span, slot.original);
                    }
                    if slot.integral && slot.min.ceil() > slot.max.floor() {
                        problems.push(problem(format!(
                            "the scenario wants an integer here, and no integer lies in [{}, {}]",
                            p.min, p.max
                        )));
                        continue;
                    }
                    // A value outside the bounds would be clamped without a word: the fit
                    // would start, and the screen look, somewhere the scenario never was.
                    if !(p.min..=p.max).contains(&original) {
                        problems.push(problem(format!(
                            "the scenario's value {original} lies outside the bounds [{}, {}]; widen \
                             the bounds or change the value in {scenario_label}",
                            p.min, p.max
                        )));
                        continue;
                    }
                    // The bounds must be values the loader accepts (a probability bound of 1.2
                    // would make every candidate near it fail).
                    let mut bounds_ok = true;
                    for (name, v) in [("min", p.min), ("max", p.max)] {
                        let loaded =
                            splice(scenario_text, &[(slot.span.clone(), format_number(slot.clamp(v), slot.integral))])
                                .and_then(|text| {
                                    scenario::load_str(&text, scenario_label).map_err(|e| {
                                        e.diagnostics.first().map_or_else(String::new, |d| d.message.clone())
                                    })
                                });
                        if let Err(why) = loaded {
                            problems.push(problem(format!("the scenario does not accept {name} = {v} here: {why}")));
                            bounds_ok = false;
                        }
                    }
                    if bounds_ok {
                        slots.push(slot);
                    }
                }
                Err(message) => problems.push(problem(format!("{message} in {scenario_label}"))),
            }
        }
        if !problems.is_empty() {
            return Err(CalibrateError::Input(problems));
        }
        Ok(Template { text: scenario_text.to_string(), label: scenario_label.to_string(), slots })
    }

    /// Number of free parameters.
    pub fn dimension(&self) -> usize {
        self.slots.len()
    }

    /// The scenario's own values of the free parameters, where calibration, ensembles and
    /// screens start.
    pub fn original_values(&self) -> Vec<f64> {
        self.slots.iter().map(|s| s.original).collect()
    }

    /// Where calibration starts: the scenario's own values (`Template::new` checked that they
    /// lie within the bounds), normalised.
    pub fn start_point(&self) -> Vec<f64> {
        self.slots.iter().map(|s| (s.original - s.min) / (s.max - s.min)).collect()
    }

    /// Parameter values of a point in the normalised box `[0, 1]^n` (integral parameters
    /// rounded).
    pub fn values(&self, x: &[f64]) -> Vec<f64> {
        self.slots.iter().zip(x).map(|(s, &u)| s.clamp(s.min + u.clamp(0.0, 1.0) * (s.max - s.min))).collect()
    }

    /// The scenario text with the free parameters set to `values`.
    ///
    /// # Errors
    /// When two parameters' edits overlap, which [`Template::new`] rules out (a message for a
    /// bug).
    pub fn text_with(&self, values: &[f64]) -> Result<String, String> {
        let edits: Vec<(Range<usize>, String)> =
            self.slots.iter().zip(values).map(|(s, &v)| (s.span.clone(), format_number(v, s.integral))).collect();
        splice(&self.text, &edits)
    }

    /// The scenario's label (its path as given).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The scenario's original text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl Slot {
    /// `v` within the bounds (and, for an integral parameter, rounded to an integer within).
    fn clamp(&self, v: f64) -> f64 {
        if self.integral { v.round().clamp(self.min.ceil(), self.max.floor()) } else { v.clamp(self.min, self.max) }
    }
}

/// The byte span of the number at `path`, its value, and whether it is a TOML integer.
#[cfg(test)]
fn locate_number(root: &DeTable<'_>, path: &str) -> Result<(Range<usize>, f64, bool), String> {
    number_at(&edit::locate(root, path)?)
}

/// The byte span of the number found, its value, and whether it is a TOML integer.
fn number_at(found: &edit::Located) -> Result<(Range<usize>, f64, bool), String> {
    match (found.kind, found.number) {
        (ValueKind::Integer, Some(x)) => Ok((found.span.clone(), x, true)),
        (ValueKind::Float, Some(x)) => Ok((found.span.clone(), x, false)),
        (ValueKind::Float, None) => Err(format!("`{}` is not a finite number", found.walked)),
        (kind, _) => Err(format!("`{}` is {}, not a number", found.walked, kind.described())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_numbers_in_tables_inline_tables_and_arrays() {
        let text = "x = 1\n[a]\nb = { c = 2.5, d = \"s\" }\n[[r]]\nv = 3\n[[r]]\nv = -4e-2\n";
        let doc = DeTable::parse(text).unwrap();
        let (span, v, int) = locate_number(doc.get_ref(), "a.b.c").unwrap();
        assert_eq!((&text[span], v, int), ("2.5", 2.5, false));
        let (span, v, int) = locate_number(doc.get_ref(), "r[1].v").unwrap();
        assert_eq!((&text[span], v, int), ("-4e-2", -0.04, false));
        assert!(locate_number(doc.get_ref(), "x").unwrap().2);
        assert!(locate_number(doc.get_ref(), "a.b.d").unwrap_err().contains("a string"));
        assert!(locate_number(doc.get_ref(), "a.b").unwrap_err().contains("a table"));
        assert!(locate_number(doc.get_ref(), "r[2].v").unwrap_err().contains("2 elements"));
        assert!(locate_number(doc.get_ref(), "a.b.cc").unwrap_err().contains("did you mean `c`"));
    }

    #[test]
    fn default_population_follows_hansen() {
        assert_eq!(default_population(1), 4);
        assert_eq!(default_population(3), 7);
        assert_eq!(default_population(10), 10);
    }
}
