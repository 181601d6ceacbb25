//! The calibration's saved state (`state.toml`): written after every generation, read back to
//! resume, and checked against the inputs so that a resume with other inputs is refused.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{
    CalibrateError, CmaState, GenerationRecord, Problem, TargetRow, io_error, line_col, sha256_hex, toml_problem,
    write_file_atomic,
};

/// The state file's format version.
pub(super) const STATE_FORMAT: i64 = 1;

/// Everything saved after a generation: the optimiser's state, the best candidate, the
/// history, and fingerprints of the inputs so a resume with other inputs is refused.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SavedState {
    pub(super) scenario_sha256: String,
    pub(super) free_sha256: String,
    pub(super) targets_sha256: String,
    pub(super) keys: Vec<String>,
    pub(super) population: usize,
    pub(super) evaluations: u64,
    pub(super) start_loss: f64,
    pub(super) best_loss: f64,
    /// The best candidate in the normalised box, and the parameter values it was evaluated
    /// with (kept, not recomputed, so the fitted scenario holds exactly what was evaluated).
    pub(super) best_point: Vec<f64>,
    pub(super) best_values: Vec<f64>,
    pub(super) cma: CmaState,
    pub(super) history: Vec<GenerationRecord>,
}

/// Fingerprint of what the loss depends on in the targets: series, year, value and unit of
/// each target row (editing a note or a source does not invalidate a saved calibration).
pub(super) fn targets_fingerprint(targets: &[TargetRow]) -> String {
    let mut text = String::new();
    for t in targets {
        let _ = writeln!(text, "{},{},{:?},{}", t.series, t.year, t.value, t.unit);
    }
    sha256_hex(&text)
}

/// A float for TOML: shortest round-trip form (Rust's `{:?}` always has a `.` or an exponent,
/// so TOML reads a float), and TOML's spellings of the special values.
fn toml_f64(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:?}")
    }
}

fn toml_f64s(v: &[f64]) -> String {
    format!("[{}]", v.iter().map(|x| toml_f64(*x)).collect::<Vec<_>>().join(", "))
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn write_state(path: &Path, s: &SavedState, scenario_label: &str) -> Result<(), CalibrateError> {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# State of `caseflow calibrate` after generation {}: everything needed to resume from it.\n\
         # Written after every completed generation; do not edit. Floats are in shortest round-trip\n\
         # form and read back bit for bit, so a resumed calibration ends exactly as an uninterrupted one.\n\
         # Delete this file (or choose another --out) to start the calibration over.\n",
        s.cma.generation
    );
    let _ = writeln!(t, "format = {STATE_FORMAT}");
    let _ = writeln!(t, "scenario = {}", toml_str(scenario_label));
    let _ = writeln!(t, "scenario_sha256 = {}", toml_str(&s.scenario_sha256));
    let _ = writeln!(t, "free_sha256 = {}", toml_str(&s.free_sha256));
    let _ = writeln!(t, "targets_sha256 = {}", toml_str(&s.targets_sha256));
    let _ = writeln!(t, "keys = [{}]", s.keys.iter().map(|k| toml_str(k)).collect::<Vec<_>>().join(", "));
    let _ = writeln!(t, "population = {}", s.population);
    let _ = writeln!(t, "generation = {}", s.cma.generation);
    let _ = writeln!(t, "evaluations = {}", s.evaluations);
    let _ = writeln!(t, "start_loss = {}", toml_f64(s.start_loss));
    let _ = writeln!(t, "best_loss = {}", toml_f64(s.best_loss));
    let _ = writeln!(t, "# The best candidate in the normalised box, and the parameter values it was run with.");
    let _ = writeln!(t, "best_point = {}", toml_f64s(&s.best_point));
    let _ = writeln!(t, "best_values = {}", toml_f64s(&s.best_values));
    let _ = writeln!(t, "\n# sep-CMA-ES state (normalised units: each bound width is 1).");
    let _ = writeln!(t, "mean = {}", toml_f64s(&s.cma.mean));
    let _ = writeln!(t, "sigma = {}", toml_f64(s.cma.sigma));
    let _ = writeln!(t, "diag_c = {}", toml_f64s(&s.cma.diag_c));
    let _ = writeln!(t, "path_sigma = {}", toml_f64s(&s.cma.path_sigma));
    let _ = writeln!(t, "path_c = {}", toml_f64s(&s.cma.path_c));
    for h in &s.history {
        let _ = writeln!(
            t,
            "\n[[history]]\ngeneration = {}\nevaluations = {}\nbest_loss = {}\ngeneration_best = {}\nmean_loss = {}\nsigma = {}\ninvalid = {}",
            h.generation,
            h.evaluations,
            toml_f64(h.best_loss),
            toml_f64(h.generation_best),
            toml_f64(h.mean_loss),
            toml_f64(h.sigma),
            h.invalid
        );
    }
    write_file_atomic(path, t.as_bytes())
}

pub(super) fn damaged(message: &str) -> String {
    format!("the calibration state is damaged ({message}); delete it (or choose another --out) to start over")
}

/// `state.toml` as written by [`write_state`], read with serde: an unknown or missing key, or
/// a value of the wrong type, is an error at its line and column. Floats are read exactly:
/// toml's parser is correctly rounded, so the shortest round-trip text written by `toml_f64`
/// gives back the same bits (`nan`/`inf` are TOML's spellings).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: Spanned<i64>,
    /// The scenario's label, for people; the fingerprint is what is checked.
    #[serde(rename = "scenario")]
    _scenario: String,
    scenario_sha256: String,
    free_sha256: String,
    targets_sha256: String,
    keys: Vec<String>,
    population: usize,
    generation: u64,
    evaluations: u64,
    start_loss: f64,
    best_loss: f64,
    best_point: Vec<f64>,
    best_values: Vec<f64>,
    mean: Vec<f64>,
    sigma: f64,
    diag_c: Vec<f64>,
    path_sigma: Vec<f64>,
    path_c: Vec<f64>,
    #[serde(default)]
    history: Vec<HistoryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryEntry {
    generation: u64,
    evaluations: u64,
    best_loss: f64,
    generation_best: f64,
    mean_loss: f64,
    sigma: f64,
    invalid: usize,
}

pub(super) fn read_state(path: &Path) -> Result<SavedState, CalibrateError> {
    let label = path.display().to_string();
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    let damaged_at = |mut problem: Problem| {
        problem.message = damaged(&problem.message);
        CalibrateError::Input(vec![problem])
    };
    let f: StateFile = toml::from_str(&text).map_err(|e| damaged_at(toml_problem(&label, &text, &e)))?;
    if *f.format.get_ref() != STATE_FORMAT {
        let (line, column) = line_col(&text, f.format.span().start);
        return Err(damaged_at(Problem {
            file: label,
            line,
            column,
            field: "key `format`".to_string(),
            message: format!("format {}, this caseflow reads format {STATE_FORMAT}", f.format.get_ref()),
        }));
    }
    Ok(SavedState {
        scenario_sha256: f.scenario_sha256,
        free_sha256: f.free_sha256,
        targets_sha256: f.targets_sha256,
        keys: f.keys,
        population: f.population,
        evaluations: f.evaluations,
        start_loss: f.start_loss,
        best_loss: f.best_loss,
        best_point: f.best_point,
        best_values: f.best_values,
        cma: CmaState {
            mean: f.mean,
            sigma: f.sigma,
            diag_c: f.diag_c,
            path_sigma: f.path_sigma,
            path_c: f.path_c,
            generation: f.generation,
        },
        history: f
            .history
            .into_iter()
            .map(|h| GenerationRecord {
                generation: h.generation,
                evaluations: h.evaluations,
                best_loss: h.best_loss,
                generation_best: h.generation_best,
                mean_loss: h.mean_loss,
                sigma: h.sigma,
                invalid: h.invalid,
            })
            .collect(),
    })
}

/// Refuses a saved state made from other inputs.
pub(super) fn check_state(
    path: &Path,
    saved: &SavedState,
    fingerprints: &(String, String, String),
    keys: &[String],
    lambda: usize,
) -> Result<(), CalibrateError> {
    let refuse = |what: &str, was: &str, now: &str| {
        Err(CalibrateError::State {
            path: path.to_path_buf(),
            message: format!(
                "this directory holds a calibration made from a different {what} (sha256 {was}, now {now}); \
                 resume with the same inputs, choose another --out, or delete the state file to start over"
            ),
        })
    };
    if saved.scenario_sha256 != fingerprints.0 {
        return refuse("scenario", &saved.scenario_sha256, &fingerprints.0);
    }
    if saved.free_sha256 != fingerprints.1 {
        return refuse("FREE.toml", &saved.free_sha256, &fingerprints.1);
    }
    if saved.targets_sha256 != fingerprints.2 {
        return refuse("set of targets", &saved.targets_sha256, &fingerprints.2);
    }
    if saved.keys != keys
        || saved.population != lambda
        || saved.best_point.len() != keys.len()
        || saved.best_values.len() != keys.len()
    {
        return Err(CalibrateError::State {
            path: path.to_path_buf(),
            message: damaged("its parameters or population do not match FREE.toml"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_floats_round_trip_bit_for_bit() {
        #[derive(Deserialize)]
        struct X {
            x: Vec<f64>,
        }
        let values = [0.1, 1.0 / 3.0, 1e-300, 5e-324, 123456.789e10, -0.0, f64::INFINITY, 0.30000000000000004];
        let read: X = toml::from_str(&format!("x = {}\n", toml_f64s(&values))).unwrap();
        for (got, v) in read.x.iter().zip(values) {
            assert_eq!(got.to_bits(), v.to_bits());
        }
        let nan: X = toml::from_str(&format!("x = [{}]", toml_f64(f64::NAN))).unwrap();
        assert!(nan.x[0].is_nan());
    }

    #[test]
    fn a_damaged_state_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.toml");
        std::fs::write(&path, "format = 1\nscenario = \"s\"\nspeed = 3\n").unwrap();
        let err = read_state(&path).unwrap_err();
        assert!(err.is_bad_input());
        let text = err.to_string();
        assert!(
            text.contains("state.toml:3:1: key `speed`: the calibration state is damaged (unknown field `speed`"),
            "{text}"
        );
    }
}
