//! The calibration's saved state (`state.toml`): written after every generation, read back to
//! resume, and checked against the inputs so that a resume with other inputs is refused.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::{CalibrateError, CmaState, GenerationRecord, TargetRow, io_error, sha256_hex, write_file_atomic};

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

pub(super) fn read_state(path: &Path) -> Result<SavedState, CalibrateError> {
    let fail = |message: String| CalibrateError::State { path: path.to_path_buf(), message: damaged(&message) };
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    let doc = DeTable::parse(&text).map_err(|e| fail(format!("not valid TOML: {}", e.message().trim())))?;
    let root = doc.get_ref();
    let get = |key: &str| root.get(key).map(|v| v.get_ref()).ok_or_else(|| fail(format!("`{key}` is missing")));
    let string = |key: &str| match get(key)? {
        DeValue::String(s) => Ok(s.to_string()),
        _ => Err(fail(format!("`{key}` is not a string"))),
    };
    let format = int_of(get("format")?).ok_or_else(|| fail("`format` is not an integer".into()))?;
    if format != STATE_FORMAT {
        return Err(fail(format!("format {format}, this caseflow reads format {STATE_FORMAT}")));
    }
    let uint = |key: &str| -> Result<u64, CalibrateError> {
        int_of(get(key)?).and_then(|n| u64::try_from(n).ok()).ok_or_else(|| fail(format!("`{key}` is not a count")))
    };
    let float = |key: &str| -> Result<f64, CalibrateError> {
        float_of(get(key)?).ok_or_else(|| fail(format!("`{key}` is not a number")))
    };
    let floats = |key: &str| -> Result<Vec<f64>, CalibrateError> {
        match get(key)? {
            DeValue::Array(items) => {
                items.iter().map(|v| float_of(v.get_ref()).ok_or_else(|| fail(format!("`{key}` holds a non-number"))))
            }
            _ => return Err(fail(format!("`{key}` is not an array"))),
        }
        .collect()
    };
    let keys = match get("keys")? {
        DeValue::Array(items) => items
            .iter()
            .map(|v| match v.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                _ => Err(fail("`keys` holds a non-string".into())),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(fail("`keys` is not an array".into())),
    };
    let mut history = Vec::new();
    if let Some(v) = root.get("history") {
        let DeValue::Array(items) = v.get_ref() else { return Err(fail("`history` is not an array of tables".into())) };
        for item in items {
            let DeValue::Table(h) = item.get_ref() else { return Err(fail("`history` holds a non-table".into())) };
            let hget =
                |key: &str| h.get(key).map(|v| v.get_ref()).ok_or_else(|| fail(format!("`history.{key}` is missing")));
            let hint = |key: &str| -> Result<u64, CalibrateError> {
                int_of(hget(key)?)
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| fail(format!("`history.{key}` is not a count")))
            };
            let hfloat = |key: &str| -> Result<f64, CalibrateError> {
                float_of(hget(key)?).ok_or_else(|| fail(format!("`history.{key}` is not a number")))
            };
            history.push(GenerationRecord {
                generation: hint("generation")?,
                evaluations: hint("evaluations")?,
                best_loss: hfloat("best_loss")?,
                generation_best: hfloat("generation_best")?,
                mean_loss: hfloat("mean_loss")?,
                sigma: hfloat("sigma")?,
                invalid: hint("invalid")? as usize,
            });
        }
    }
    Ok(SavedState {
        scenario_sha256: string("scenario_sha256")?,
        free_sha256: string("free_sha256")?,
        targets_sha256: string("targets_sha256")?,
        keys,
        population: uint("population")? as usize,
        evaluations: uint("evaluations")?,
        start_loss: float("start_loss")?,
        best_loss: float("best_loss")?,
        best_point: floats("best_point")?,
        best_values: floats("best_values")?,
        cma: CmaState {
            mean: floats("mean")?,
            sigma: float("sigma")?,
            diag_c: floats("diag_c")?,
            path_sigma: floats("path_sigma")?,
            path_c: floats("path_c")?,
            generation: uint("generation")?,
        },
        history,
    })
}

fn int_of(v: &DeValue<'_>) -> Option<i64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// A TOML float read exactly: Rust's parser is correctly rounded, so the shortest round-trip
/// text written by [`toml_f64`] gives back the same bits. `nan`/`inf` are TOML's spellings.
fn float_of(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        DeValue::Integer(_) => int_of(v).map(|n| n as f64),
        _ => None,
    }
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
        let values = [0.1, 1.0 / 3.0, 1e-300, 5e-324, 123456.789e10, -0.0, f64::INFINITY, 0.30000000000000004];
        let text = format!("x = {}\n", toml_f64s(&values));
        let doc = DeTable::parse(&text).unwrap();
        let DeValue::Array(items) = doc.get_ref().get("x").unwrap().get_ref() else { panic!("not an array") };
        for (item, v) in items.iter().zip(values) {
            assert_eq!(float_of(item.get_ref()).unwrap().to_bits(), v.to_bits());
        }
        let nan = DeTable::parse("x = nan").unwrap();
        assert!(float_of(nan.get_ref().get("x").unwrap().get_ref()).unwrap().is_nan());
    }
}
