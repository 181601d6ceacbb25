//! The sweep file: which scenario keys a sweep moves, over which values, by which design, and
//! with how many runs per point.
//!
//! ```toml
//! scenario = "../kazakhstan.toml"   # the base scenario, relative to this file
//! runs = 8                          # runs per point: run indices 0..runs at every point (default 8)
//! seed = 1                          # master seed of the runs, the same at every point (default 1)
//! series = ["reconciliation.pretrial"]  # store only these series (default: all)
//! last_year = 2013                  # stop the runs at the end of this year (default: the scenario's last)
//!
//! [design]
//! kind = "sobol"        # "grid", "lhs", "sobol" or "morris"
//! base_samples = 64     # sobol: N, a power of 2; N (D + 2) points for D parameters
//! # samples = 50        # lhs: points
//! # trajectories = 10   # morris: r; r (D + 1) points
//! # levels = 4          # morris: grid levels p, even (default 4)
//! seed = 1              # lhs, sobol (digital shift) and morris draws (default 1)
//!
//! [[param]]
//! key = "incentives[2009-01-01].trial_judge.reversals"  # see scenario::edit for key paths
//! min = 0.0
//! max = 4.0
//! # levels = 5                 # grid: 5 values evenly spaced from min to max
//! # values = [0.0, 1.0, 2.0]   # grid: these values instead (numbers, booleans or strings)
//! ```
//!
//! Every problem is reported with its file, line and column, as the scenario loader reports
//! them; the keys are checked against the base scenario (they must exist there, and hold the
//! kind of value given), and every point of the design must make a scenario that loads,
//! before anything runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::design::{self, DesignKind, Domain, Factor, Point, Value};
use crate::record::series_defs;
use crate::scenario::edit::{self, Located, ValueKind, line_col, locate, splice};
use crate::scenario::{self, Diagnostic, Scenario, closest};

/// Runs per point, at most: more is surely a typo.
const MAX_RUNS: i64 = 100_000;
/// Points in a design, at most.
const MAX_POINTS: usize = 10_000_000;

/// One `[[param]]` as written.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    pub key: String,
    /// Where `key = ...` is, for errors found against the scenario.
    pub line: usize,
    pub column: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub levels: Option<usize>,
    pub values: Option<Vec<Value>>,
}

/// A sweep file, read and checked on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// The file's label in diagnostics (its path as given).
    pub file: String,
    pub text: String,
    /// The base scenario, resolved against the sweep file's folder.
    pub scenario: PathBuf,
    pub runs: u64,
    pub seed: u64,
    pub series: Option<Vec<String>>,
    pub last_year: Option<i32>,
    pub kind: DesignKind,
    pub design_seed: u64,
    pub params: Vec<ParamSpec>,
}

const TOP_KEYS: [&str; 7] = ["scenario", "runs", "seed", "series", "last_year", "design", "param"];
const DESIGN_KEYS: [&str; 6] = ["kind", "samples", "base_samples", "trajectories", "levels", "seed"];
const PARAM_KEYS: [&str; 5] = ["key", "min", "max", "levels", "values"];
const KINDS: [&str; 4] = ["grid", "lhs", "sobol", "morris"];

type V<'t> = Spanned<DeValue<'t>>;

/// Collects diagnostics while reading the sweep file.
struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn error(&mut self, at: usize, key: &str, message: impl Into<String>) {
        let (line, column) = line_col(self.text, at);
        self.problems.push(Diagnostic {
            file: self.file.to_string(),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        });
    }

    fn source(&self, v: &V<'_>) -> String {
        self.text.get(v.span()).unwrap_or("?").to_string()
    }

    fn unknown_keys(&mut self, t: &DeTable<'_>, section: &str, known: &[&str]) {
        for key in t.keys() {
            let name = key.get_ref().as_ref();
            if !known.contains(&name) {
                let hint = closest(name, known).map_or_else(
                    || format!("the keys here are {}", known.join(", ")),
                    |k| format!("did you mean `{k}`?"),
                );
                let path = if section.is_empty() { name.to_string() } else { format!("{section}.{name}") };
                self.error(key.span().start, &path, format!("unknown key; {hint}"));
            }
        }
    }

    fn integer(&mut self, v: &V<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                let range = if max == i64::MAX { format!("at least {min}") } else { format!("{min} to {max}") };
                self.error(v.span().start, key, format!("expected an integer {range}, found {}", self.source(v)));
                None
            }
        }
    }

    fn number(&mut self, v: &V<'_>, key: &str) -> Option<f64> {
        match number_of(v) {
            Some(x) => Some(x),
            None => {
                self.error(v.span().start, key, format!("expected a finite number, found {}", self.source(v)));
                None
            }
        }
    }

    fn value(&mut self, v: &V<'_>, key: &str) -> Option<Value> {
        match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok().map(Value::Integer),
            DeValue::Float(_) => number_of(v).map(Value::Number),
            DeValue::Boolean(b) => Some(Value::Bool(*b)),
            DeValue::String(s) => Some(Value::Text(s.to_string())),
            _ => None,
        }
        .or_else(|| {
            self.error(
                v.span().start,
                key,
                format!("expected a number, a boolean or a string, found {}", self.source(v)),
            );
            None
        })
    }
}

fn number_of(v: &V<'_>) -> Option<f64> {
    match v.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok().map(|n| n as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// Reads a sweep file.
///
/// # Errors
/// Every problem found, located.
pub fn load_sweep(path: &Path) -> Result<SweepSpec, Vec<Diagnostic>> {
    let label = path.display().to_string();
    let whole =
        |message: String| vec![Diagnostic { file: label.clone(), line: 0, column: 0, key: String::new(), message }];
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Err(whole(crate::scenario::NOT_A_REGULAR_FILE.into()));
    }
    let text = match std::fs::read(path) {
        Ok(bytes) => match crate::scenario::first_bad_utf8(&bytes) {
            Some((line, column, byte)) => {
                let message = crate::scenario::bad_utf8_message(byte);
                return Err(vec![Diagnostic { file: label.clone(), line, column, key: String::new(), message }]);
            }
            None => String::from_utf8(bytes).map_err(|_| whole("not a text file (it is not valid UTF-8)".into()))?,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(whole("no such file".into())),
        Err(e) => return Err(whole(format!("cannot read the file: {e}"))),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    parse_sweep(&text, &label, base)
}

/// Reads the text of a sweep file; `file` labels it in diagnostics, `base_dir` is where a
/// relative `scenario` path starts.
///
/// # Errors
/// Every problem found, located.
pub fn parse_sweep(text: &str, file: &str, base_dir: &Path) -> Result<SweepSpec, Vec<Diagnostic>> {
    let doc = DeTable::parse(text).map_err(|e| {
        let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
        vec![Diagnostic {
            file: file.to_string(),
            line,
            column,
            key: String::new(),
            message: format!("TOML syntax error: {}", e.message().trim().replace('\n', "; ")),
        }]
    })?;
    let mut r = Reader { file, text, problems: Vec::new() };
    let root = doc.get_ref();
    r.unknown_keys(root, "", &TOP_KEYS);

    let scenario = match root.get("scenario") {
        Some(v) => match v.get_ref() {
            DeValue::String(s) => Some(base_dir.join(s.as_ref())),
            _ => {
                r.error(
                    v.span().start,
                    "scenario",
                    format!("expected the scenario's path as a string, found {}", r.source(v)),
                );
                None
            }
        },
        None => {
            r.error(0, "scenario", "missing: name the base scenario, e.g. scenario = \"../kazakhstan.toml\"");
            None
        }
    };
    let runs = root.get("runs").map_or(Some(8), |v| r.integer(v, "runs", 1, MAX_RUNS)).unwrap_or(8) as u64;
    let seed = root.get("seed").map_or(Some(1), |v| r.integer(v, "seed", 0, i64::MAX)).unwrap_or(1) as u64;
    let last_year = root.get("last_year").and_then(|v| r.integer(v, "last_year", 1, 9999)).map(|y| y as i32);
    let series = root.get("series").and_then(|v| match v.get_ref() {
        DeValue::Array(items) if !items.is_empty() => {
            let mut names = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.get_ref() {
                    DeValue::String(s) => names.push(s.to_string()),
                    _ => r.error(item.span().start, &format!("series[{i}]"), "expected a series name (a string)"),
                }
            }
            Some(names)
        }
        _ => {
            r.error(v.span().start, "series", "expected a non-empty list of series names");
            None
        }
    });

    let (kind, design_seed) = read_design(&mut r, root);
    let params = read_params(&mut r, root, kind);

    if let (Some(kind), false) = (kind, params.is_empty()) {
        let n = match kind {
            DesignKind::Grid => params.iter().try_fold(1usize, |acc, p| {
                let k = p.values.as_ref().map_or(p.levels.unwrap_or(0), Vec::len);
                acc.checked_mul(k)
            }),
            _ => Some(kind.n_points(&vec![placeholder(); params.len()])),
        };
        if n.is_none_or(|n| n > MAX_POINTS) {
            r.error(0, "design", format!("the design has more than {MAX_POINTS} points: sweep fewer values"));
        }
        if let DesignKind::Sobol { .. } = kind
            && params.len() * 2 > super::sobol_seq::MAX_DIMS
        {
            r.error(0, "param", format!("a Sobol' design takes at most {} parameters", super::sobol_seq::MAX_DIMS / 2));
        }
    }

    match (r.problems.is_empty(), scenario, kind) {
        (true, Some(scenario), Some(kind)) => Ok(SweepSpec {
            file: file.to_string(),
            text: text.to_string(),
            scenario,
            runs,
            seed,
            series,
            last_year,
            kind,
            design_seed,
            params,
        }),
        _ => {
            let mut problems = r.problems;
            problems.sort_by_key(|p| (p.line, p.column));
            Err(problems)
        }
    }
}

fn placeholder() -> Factor {
    Factor { key: String::new(), domain: Domain::Range { min: 0.0, max: 1.0, integral: false, levels: None } }
}

fn read_design(r: &mut Reader<'_>, root: &DeTable<'_>) -> (Option<DesignKind>, u64) {
    let Some(v) = root.get("design") else {
        r.error(0, "design", "missing: add a [design] table with kind = \"grid\", \"lhs\", \"sobol\" or \"morris\"");
        return (None, 1);
    };
    let DeValue::Table(t) = v.get_ref() else {
        r.error(v.span().start, "design", "expected a table ([design])");
        return (None, 1);
    };
    r.unknown_keys(t, "design", &DESIGN_KEYS);
    let seed = t.get("seed").map_or(Some(1), |v| r.integer(v, "design.seed", 0, i64::MAX)).unwrap_or(1) as u64;
    let kind = match t.get("kind") {
        None => {
            r.error(v.span().start, "design.kind", "missing: one of \"grid\", \"lhs\", \"sobol\", \"morris\"");
            return (None, seed);
        }
        Some(k) => match k.get_ref() {
            DeValue::String(s) if KINDS.contains(&s.as_ref()) => s.to_string(),
            _ => {
                let hint = match k.get_ref() {
                    DeValue::String(s) => {
                        closest(s, &KINDS).map_or_else(String::new, |c| format!("; did you mean \"{c}\"?"))
                    }
                    _ => String::new(),
                };
                r.error(
                    k.span().start,
                    "design.kind",
                    format!("expected \"grid\", \"lhs\", \"sobol\" or \"morris\", found {}{hint}", r.source(k)),
                );
                return (None, seed);
            }
        },
    };
    // Each size key belongs to one kind.
    let owner = |key: &str| match key {
        "samples" => "lhs",
        "base_samples" => "sobol",
        _ => "morris",
    };
    for key in ["samples", "base_samples", "trajectories", "levels"] {
        if let Some(v) = t.get(key)
            && owner(key) != kind
        {
            r.error(v.span().start, &format!("design.{key}"), format!("applies only to kind = \"{}\"", owner(key)));
        }
    }
    let need = |r: &mut Reader<'_>, key: &str, min: i64| match t.get(key) {
        Some(v) => r.integer(v, &format!("design.{key}"), min, MAX_POINTS as i64).map(|n| n as usize),
        None => {
            r.error(v.span().start, &format!("design.{key}"), format!("missing: kind = \"{kind}\" needs {key}"));
            None
        }
    };
    let design = match kind.as_str() {
        "grid" => Some(DesignKind::Grid),
        "lhs" => need(r, "samples", 2).map(|samples| DesignKind::Lhs { samples }),
        "sobol" => need(r, "base_samples", 2).and_then(|n| {
            if n.is_power_of_two() {
                Some(DesignKind::Sobol { base_samples: n })
            } else {
                let at = t.get("base_samples").map_or(0, |v| v.span().start);
                let (lo, hi) = (n.next_power_of_two() / 2, n.next_power_of_two());
                r.error(at, "design.base_samples", format!(
                    "must be a power of 2 (the Sobol' sequence is balanced only in blocks of 2^k points): {n} is not; use {lo} or {hi}"
                ));
                None
            }
        }),
        _ => {
            let trajectories = need(r, "trajectories", 2);
            let levels = match t.get("levels") {
                None => Some(4),
                Some(v) => r.integer(v, "design.levels", 2, 1000).and_then(|p| {
                    if p % 2 == 0 {
                        Some(p as usize)
                    } else {
                        r.error(v.span().start, "design.levels", format!("must be even (Morris steps by p / (2 (p - 1)) from the lower half of the levels): {p} is odd"));
                        None
                    }
                }),
            };
            match (trajectories, levels) {
                (Some(trajectories), Some(levels)) => Some(DesignKind::Morris { trajectories, levels }),
                _ => None,
            }
        }
    };
    (design, seed)
}

fn read_params(r: &mut Reader<'_>, root: &DeTable<'_>, kind: Option<DesignKind>) -> Vec<ParamSpec> {
    let items = match root.get("param").map(|v| (v, v.get_ref())) {
        Some((_, DeValue::Array(items))) if !items.is_empty() => items,
        Some((v, _)) => {
            r.error(v.span().start, "param", "expected one or more [[param]] tables");
            return Vec::new();
        }
        None => {
            r.error(0, "param", "missing: name at least one [[param]] with its key and values");
            return Vec::new();
        }
    };
    let grid = kind == Some(DesignKind::Grid);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("param[{i}]");
        let DeValue::Table(t) = item.get_ref() else {
            r.error(item.span().start, &path, "expected a table ([[param]])");
            continue;
        };
        let before = r.problems.len();
        r.unknown_keys(t, &path, &PARAM_KEYS);
        let key = match t.get("key") {
            Some(v) => match v.get_ref() {
                DeValue::String(s) => match crate::scenario::edit::parse_key_path(s) {
                    Ok(_) => Some((s.to_string(), v.span().start)),
                    Err(message) => {
                        r.error(v.span().start, &format!("{path}.key"), message);
                        None
                    }
                },
                _ => {
                    r.error(v.span().start, &format!("{path}.key"), "expected a key path (a string)");
                    None
                }
            },
            None => {
                r.error(item.span().start, &format!("{path}.key"), "missing: the scenario key this parameter sets");
                None
            }
        };
        if let Some((k, at)) = &key
            && !seen.insert(k.clone())
        {
            r.error(*at, &format!("{path}.key"), format!("`{k}` is already swept by an earlier [[param]]"));
        }
        let min = t.get("min").and_then(|v| r.number(v, &format!("{path}.min")));
        let max = t.get("max").and_then(|v| r.number(v, &format!("{path}.max")));
        let levels = t
            .get("levels")
            .and_then(|v| r.integer(v, &format!("{path}.levels"), 1, MAX_POINTS as i64))
            .map(|n| n as usize);
        let values = t.get("values").and_then(|v| match v.get_ref() {
            DeValue::Array(items) if !items.is_empty() => {
                let vals: Vec<Option<Value>> =
                    items.iter().enumerate().map(|(j, x)| r.value(x, &format!("{path}.values[{j}]"))).collect();
                vals.into_iter().collect()
            }
            _ => {
                r.error(v.span().start, &format!("{path}.values"), "expected a non-empty list of values");
                None
            }
        });
        let at = item.span().start;
        let here = |k: &str| t.get(k).map_or(at, |v| v.span().start);
        if let Some(v) = t.get("values") {
            if !grid {
                r.error(
                    v.span().start,
                    &format!("{path}.values"),
                    "a list of values is for kind = \"grid\"; other designs need min and max",
                );
            } else if t.contains_key("min") || t.contains_key("max") || t.contains_key("levels") {
                r.error(
                    v.span().start,
                    &format!("{path}.values"),
                    "give either values, or min, max and levels, not both",
                );
            }
        } else {
            if !t.contains_key("min") || !t.contains_key("max") {
                r.error(at, &path, "needs min and max (or, on a grid, a list of values)");
            }
            if let (Some(lo), Some(hi)) = (min, max)
                && hi <= lo
            {
                r.error(here("max"), &format!("{path}.max"), format!("max ({hi}) must be greater than min ({lo})"));
            }
            if grid && !t.contains_key("levels") {
                r.error(
                    at,
                    &format!("{path}.levels"),
                    "missing: a grid over min..max needs levels (how many values, at least 2)",
                );
            }
            if let (true, Some(1)) = (grid, levels) {
                r.error(
                    here("levels"),
                    &format!("{path}.levels"),
                    "at least 2 levels, or give a single value with values = [x]",
                );
            }
            if let Some(v) = t.get("levels")
                && !grid
            {
                r.error(
                    v.span().start,
                    &format!("{path}.levels"),
                    "levels of a parameter are for kind = \"grid\" (Morris levels go in [design])",
                );
            }
        }
        if r.problems.len() == before
            && let Some((key, key_at)) = key
        {
            let (line, column) = line_col(r.text, key_at);
            out.push(ParamSpec { key, line, column, min, max, levels, values });
        }
    }
    out
}

/// A sweep checked against its base scenario: the design's factors and how each point's
/// scenario text is made.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    pub spec: SweepSpec,
    /// The base scenario's text and label.
    pub scenario_text: String,
    pub scenario_label: String,
    pub factors: Vec<Factor>,
    spans: Vec<std::ops::Range<usize>>,
    /// The series stored (all, or the sweep's `series`), in the scenario's output order.
    pub series: Vec<String>,
    /// Their units.
    pub units: Vec<String>,
    /// The reported years the runs reach.
    pub years: Vec<i32>,
}

impl SweepPlan {
    /// Checks the sweep's keys against the base scenario (which must load) and makes its
    /// factors.
    ///
    /// # Errors
    /// The scenario's own diagnostics, or the sweep file's, located at the offending key.
    pub fn new(spec: SweepSpec, scenario_text: &str, scenario_label: &str) -> Result<SweepPlan, Vec<Diagnostic>> {
        let base = scenario::load_str(scenario_text, scenario_label).map_err(|e| e.diagnostics)?;
        let doc = DeTable::parse(scenario_text).map_err(|e| {
            vec![Diagnostic {
                file: scenario_label.to_string(),
                line: 0,
                column: 0,
                key: String::new(),
                message: format!("cannot re-read the scenario: {}", e.message()),
            }]
        })?;
        let mut problems = Vec::new();
        let problem = |p: &ParamSpec, message: String| Diagnostic {
            file: spec.file.clone(),
            line: p.line,
            column: p.column,
            key: format!("param `{}`", p.key),
            message,
        };
        let mut factors = Vec::new();
        let mut spans = Vec::new();
        // Every key found, with the value it names: two spellings of one value
        // (`incentives[2].x` and `incentives[2009-01-01].x`) would set it twice at each point.
        let mut found: Vec<(&ParamSpec, std::ops::Range<usize>)> = Vec::new();
        for p in &spec.params {
            let located = match locate(doc.get_ref(), &p.key) {
                Ok(l) => l,
                Err(message) => {
                    problems.push(problem(p, format!("{message} in {scenario_label}")));
                    continue;
                }
            };
            if let Some((earlier, _)) = found.iter().find(|(_, span)| edit::overlaps(span, &located.span)) {
                problems.push(problem(
                    p,
                    format!(
                        "already swept by an earlier [[param]] as `{}` (line {}): both keys name `{}` in {scenario_label}",
                        earlier.key, earlier.line, located.walked
                    ),
                ));
                continue;
            }
            found.push((p, located.span.clone()));
            match factor_of(p, &located, scenario_text, scenario_label) {
                Ok(f) => {
                    factors.push(f);
                    spans.push(located.span);
                }
                Err(message) => problems.push(problem(p, message)),
            }
        }
        let (series, units, years) = series_and_years(&spec, &base, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SweepPlan {
            spec,
            scenario_text: scenario_text.to_string(),
            scenario_label: scenario_label.to_string(),
            factors,
            spans,
            series,
            units,
            years,
        })
    }

    /// The design's points, in run order.
    pub fn points(&self) -> Vec<Point> {
        // The dimension was checked when the file was read.
        design::generate(self.spec.kind, &self.factors, self.spec.design_seed).unwrap_or_default()
    }

    /// The scenario text of a point.
    ///
    /// # Errors
    /// When two of the edits overlap, which [`SweepPlan::new`] rules out (a message for a bug).
    pub fn text_of(&self, point: &Point) -> Result<String, String> {
        let edits: Vec<_> = self.spans.iter().cloned().zip(point.values.iter().map(Value::to_toml)).collect();
        splice(&self.scenario_text, &edits)
    }

    /// `key = value, ...` of a point, for messages.
    pub fn describe(&self, point: &Point) -> String {
        self.factors
            .iter()
            .zip(&point.values)
            .map(|(f, v)| format!("{} = {}", f.key, v.to_toml()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Loads the scenario of every point, before anything runs.
    ///
    /// # Errors
    /// For the first point whose scenario does not load: which point, its values, and the
    /// scenario's diagnostics (they point into the base scenario, whose lines the edit keeps).
    pub fn check_points(&self, points: &[Point]) -> Result<(), String> {
        for (i, point) in points.iter().enumerate() {
            let loaded = self
                .text_of(point)
                .and_then(|text| scenario::load_str(&text, &self.scenario_label).map_err(|e| e.to_string()));
            if let Err(e) = loaded {
                return Err(format!(
                    "{}: point {i} of the design ({}) makes the scenario invalid:\n{e}",
                    self.spec.file,
                    self.describe(point)
                ));
            }
        }
        Ok(())
    }
}

/// The factor of a parameter found at `located` in the scenario.
fn factor_of(p: &ParamSpec, located: &Located, text: &str, label: &str) -> Result<Factor, String> {
    let kind = located.kind;
    if let Some(values) = &p.values {
        for v in values {
            let fits = matches!(
                (v, kind),
                (Value::Number(_) | Value::Integer(_), ValueKind::Float)
                    | (Value::Integer(_), ValueKind::Integer)
                    | (Value::Bool(_), ValueKind::Boolean)
                    | (Value::Text(_), ValueKind::String)
            );
            // A float for an integer key: allowed when the loader takes floats there.
            let float_for_integer = matches!((v, kind), (Value::Number(_), ValueKind::Integer))
                && !edit::wants_integer(text, label, &located.span, located.number.unwrap_or(0.0));
            if !(fits || float_for_integer) {
                return Err(format!(
                    "`{}` holds {} in the scenario; the value {} does not fit it",
                    located.walked,
                    kind.described(),
                    v.to_toml()
                ));
            }
        }
        // Integers for a float key are written as floats, so the scenario reads a float.
        let values = values
            .iter()
            .map(|v| match (v, kind) {
                (Value::Integer(i), ValueKind::Float) => Value::Number(*i as f64),
                _ => v.clone(),
            })
            .collect();
        return Ok(Factor { key: p.key.clone(), domain: Domain::List(values) });
    }
    let (Some(min), Some(max)) = (p.min, p.max) else {
        return Err("needs min and max".to_string());
    };
    let integral = match kind {
        ValueKind::Float => false,
        ValueKind::Integer => edit::wants_integer(text, label, &located.span, located.number.unwrap_or(0.0)),
        other => {
            return Err(format!(
                "`{}` holds {} in the scenario, not a number: sweep it with values = [...] on a grid",
                located.walked,
                other.described()
            ));
        }
    };
    if integral && min.ceil() > max.floor() {
        return Err(format!(
            "the scenario wants an integer at `{}`, and no integer lies in [{min}, {max}]",
            located.walked
        ));
    }
    Ok(Factor { key: p.key.clone(), domain: Domain::Range { min, max, integral, levels: p.levels } })
}

/// The series and years a sweep stores, checking `series` and `last_year` against the scenario.
#[allow(clippy::type_complexity)]
fn series_and_years(
    spec: &SweepSpec,
    base: &Scenario,
    problems: &mut Vec<Diagnostic>,
) -> (Vec<String>, Vec<String>, Vec<i32>) {
    let at = |key: &str| spec.text.find(&format!("\n{key}")).map_or((0, 0), |i| line_col(&spec.text, i + 1));
    let defs = series_defs(base);
    let all: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
    let series = match &spec.series {
        None => all.clone(),
        Some(wanted) => {
            for name in wanted {
                if !all.contains(name) {
                    let names: Vec<&str> = all.iter().map(String::as_str).collect();
                    let hint = closest(name, &names).map_or_else(String::new, |c| format!("; did you mean `{c}`?"));
                    let (line, column) = at("series");
                    problems.push(Diagnostic {
                        file: spec.file.clone(),
                        line,
                        column,
                        key: "series".to_string(),
                        message: format!("the scenario has no series `{name}`{hint}"),
                    });
                }
            }
            // Output order, whatever the order in the file.
            all.iter().filter(|s| wanted.contains(s)).cloned().collect()
        }
    };
    let cal = &base.calendar;
    let last = spec.last_year.unwrap_or(cal.last_year);
    if !(cal.first_reported_year..=cal.last_year).contains(&last) {
        let (line, column) = at("last_year");
        problems.push(Diagnostic {
            file: spec.file.clone(),
            line,
            column,
            key: "last_year".to_string(),
            message: format!(
                "must be a reported year of the scenario, {} to {}",
                cal.first_reported_year, cal.last_year
            ),
        });
    }
    let units = series.iter().map(|s| defs.iter().find(|d| &d.name == s).map_or("", |d| d.unit).to_string()).collect();
    (series, units, (cal.first_reported_year..=last.min(cal.last_year)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SweepSpec, Vec<Diagnostic>> {
        parse_sweep(text, "sweep.toml", Path::new("tests/fixtures"))
    }

    fn messages(text: &str) -> Vec<String> {
        parse(text).unwrap_err().iter().map(ToString::to_string).collect()
    }

    const GOOD: &str = "scenario = \"tiny.toml\"\nruns = 2\n[design]\nkind = \"grid\"\n\
                        [[param]]\nkey = \"behaviour.trial.conscience\"\nmin = 1.0\nmax = 9.0\nlevels = 3\n";

    #[test]
    fn a_good_file_reads() {
        let s = parse(GOOD).unwrap();
        assert_eq!((s.runs, s.seed, s.kind), (2, 1, DesignKind::Grid));
        assert_eq!(s.scenario, Path::new("tests/fixtures/tiny.toml"));
        assert_eq!(s.params[0].line, 6);
    }

    #[test]
    fn errors_are_located_and_suggest() {
        let m = messages(
            "scenario = \"tiny.toml\"\nrunz = 2\n[design]\nkind = \"sobel\"\n[[param]]\nkey = \"a\"\nmin = 1\n",
        );
        assert!(
            m.iter().any(|e| e.starts_with("sweep.toml:2:1: key `runz`: unknown key; did you mean `runs`?")),
            "{m:?}"
        );
        assert!(m.iter().any(|e| e.contains("sweep.toml:4:8") && e.contains("did you mean \"sobol\"")), "{m:?}");
        assert!(m.iter().any(|e| e.contains("needs min and max")), "{m:?}");
    }

    #[test]
    fn sobol_wants_a_power_of_two() {
        let m = messages(
            "scenario = \"t.toml\"\n[design]\nkind = \"sobol\"\nbase_samples = 100\n[[param]]\nkey = \"a\"\nmin = 0\nmax = 1\n",
        );
        assert!(
            m.iter().any(|e| e.contains("sweep.toml:4:16") && e.contains("power of 2") && e.contains("use 64 or 128")),
            "{m:?}"
        );
    }

    #[test]
    fn keys_are_checked_against_the_scenario() {
        let text = std::fs::read_to_string("tests/fixtures/tiny.toml").unwrap();
        let spec = parse(
            "scenario = \"tiny.toml\"\n[design]\nkind = \"lhs\"\nsamples = 4\n\
             [[param]]\nkey = \"behaviour.trial.consciense\"\nmin = 1\nmax = 2\n\
             [[param]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nmin = 0\nmax = 2\n\
             [[param]]\nkey = \"rules[0].detention_approver\"\nmin = 0\nmax = 2\n",
        )
        .unwrap();
        let m: Vec<String> =
            SweepPlan::new(spec, &text, "tiny.toml").unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].starts_with("sweep.toml:6:7: key `param `behaviour.trial.consciense``"), "{m:?}");
        assert!(m[0].contains("did you mean `conscience`"), "{m:?}");
        assert!(m[1].contains("a string") && m[1].contains("values = [...]"), "{m:?}");
    }

    #[test]
    fn points_make_scenarios_and_bad_values_are_refused_before_running() {
        let text = std::fs::read_to_string("tests/fixtures/tiny.toml").unwrap();
        let spec = parse(
            "scenario = \"tiny.toml\"\n[design]\nkind = \"grid\"\n\
             [[param]]\nkey = \"incentives[2012-01-01].procurator.prison_target\"\nvalues = [0, 1.5]\n\
             [[param]]\nkey = \"rules[2011-07-01].detention_approver\"\nvalues = [\"judge\", \"nobody\"]\n",
        )
        .unwrap();
        let plan = SweepPlan::new(spec, &text, "tiny.toml").unwrap();
        let points = plan.points();
        assert_eq!(points.len(), 4);
        assert!(plan.text_of(&points[0]).unwrap().contains("prison_target = 0.0 }"));
        let err = plan.check_points(&points).unwrap_err();
        assert!(err.contains("point 1 of the design") && err.contains("\"nobody\""), "{err}");
        assert!(err.contains("tiny.toml:"), "{err}");
    }
}
