//! Screening the free parameters before a fit (`caseflow screen`): which of them move the
//! calibration loss at all?
//!
//! Morris elementary effects (the design and the measures are the experiment layer's, the same
//! that `caseflow sweep` and `caseflow sensitivity` use, checked against SALib) of the loss over
//! the fit years, each point evaluated exactly as a calibration candidate (the same runs, the
//! same targets). The screen is local: each parameter moves within `radius` of its bound width
//! around the scenario's value (cut at the bounds), because far from a fit every row's
//! loss is at its cap and no parameter shows an effect there.
//!
//! Parameters whose mu* (mean absolute elementary effect) is below `threshold` times the largest
//! are candidates to be fixed: the screen writes a FREE.toml without them (`screened.free.toml`),
//! the rest of the file byte for byte, and the fixed ones keep the scenario's values.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::evaluate::Evaluator;
use super::{
    CalibrateError, CalibrationSpec, Progress, SCREEN_SET, SetWrite, TargetKind, TargetRow, Template, fit_inputs,
};
use crate::batch::Runner;
use crate::experiment::design::{self, DesignKind, Domain, Factor};
use crate::experiment::sensitivity::{Bootstrap, morris_indices};
use crate::output::csv_text;

/// File names the screen writes.
pub const SCREENING_CSV: &str = "screening.csv";
pub const SCREENING_MD: &str = "screening.md";
pub const SCREENED_FREE: &str = "screened.free.toml";

/// How to screen.
#[derive(Clone, Debug)]
pub struct ScreenOptions {
    /// Morris trajectories; the screen evaluates `trajectories * (parameters + 1)` points.
    pub trajectories: usize,
    /// Grid levels of the Morris design (even; 4 is the usual choice).
    pub levels: usize,
    /// Half-width of each parameter's window around its value, as a share of its bound width.
    pub radius: f64,
    /// A parameter with mu* below this share of the largest mu* is proposed to be fixed.
    pub threshold: f64,
    /// The design's seed.
    pub seed: u64,
    pub out_dir: PathBuf,
    pub threads: usize,
    pub command_line: String,
}

/// One parameter's effect on the loss.
#[derive(Clone, Debug, PartialEq)]
pub struct Screened {
    pub key: String,
    /// The window it moved in.
    pub low: f64,
    pub high: f64,
    pub mu_star: f64,
    pub mu_star_conf: f64,
    pub mu: f64,
    pub sigma: f64,
    /// True when it stays free.
    pub keep: bool,
}

/// What a screen found, most influential first.
#[derive(Clone, Debug)]
pub struct ScreenOutcome {
    pub params: Vec<Screened>,
    pub points: usize,
    pub files: Vec<PathBuf>,
}

/// Screens the free parameters of `spec` in the scenario `scenario_text`.
///
/// # Errors
/// Unusable inputs (as for `calibrate`), a design point whose scenario does not load (its loss
/// is not finite, so no effect can be measured), or files that cannot be written.
pub fn screen(
    scenario_text: &str,
    scenario_label: &str,
    spec: &CalibrationSpec,
    targets: &[TargetRow],
    options: &ScreenOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ScreenOutcome, CalibrateError> {
    let mut bad = Vec::new();
    if options.trajectories < 2 {
        bad.push(format!("--trajectories must be at least 2, not {}", options.trajectories));
    }
    if options.levels < 2 || options.levels % 2 != 0 {
        bad.push(format!("--levels must be even and at least 2, not {}", options.levels));
    }
    if !(options.radius > 0.0 && options.radius <= 1.0) {
        bad.push(format!("--radius must be in (0, 1], not {}", options.radius));
    }
    if !(0.0..1.0).contains(&options.threshold) {
        bad.push(format!("--threshold must be in [0, 1), not {}", options.threshold));
    }
    if !bad.is_empty() {
        return Err(CalibrateError::BadOption(bad.join("; ")));
    }
    let template = Template::new(scenario_text, scenario_label, spec)?;
    let targets: Vec<TargetRow> = targets.iter().filter(|t| t.kind == TargetKind::Target).cloned().collect();
    let start = template.original_values();
    let windows: Vec<(f64, f64)> = spec
        .free
        .iter()
        .zip(&start)
        .map(|(p, &v)| {
            let half = options.radius * (p.max - p.min);
            ((v - half).max(p.min), (v + half).min(p.max))
        })
        .collect();
    let factors: Vec<Factor> = spec
        .free
        .iter()
        .zip(&windows)
        .map(|(p, &(min, max))| Factor {
            key: p.key.clone(),
            domain: Domain::Range { min, max, integral: false, levels: None },
        })
        .collect();
    let kind = DesignKind::Morris { trajectories: options.trajectories, levels: options.levels };
    let points = design::generate(kind, &factors, options.seed).map_err(|e| CalibrateError::Other(e.to_string()))?;
    let candidates: Vec<Vec<f64>> = points
        .iter()
        .map(|point| {
            let x: Vec<f64> = spec
                .free
                .iter()
                .zip(&windows)
                .zip(&point.unit)
                .map(|((p, &(lo, hi)), &u)| (lo + u * (hi - lo) - p.min) / (p.max - p.min))
                .collect();
            template.values(&x)
        })
        .collect();
    let runner = Runner::new(options.threads).map_err(|e| CalibrateError::Other(e.to_string()))?;
    let eval = Evaluator { template: &template, spec, targets: &targets, runner, progress };
    progress(Progress::GenerationStarted {
        generation: 0,
        candidates: candidates.len(),
        runs_per_candidate: spec.seeds,
    });
    let losses = eval.losses(0, &candidates);
    if let Some(k) = losses.iter().position(|l| !l.is_finite()) {
        return Err(CalibrateError::Other(format!(
            "design point {k} does not load (parameters that are valid one by one may not be together); \
             narrow --radius or the bounds"
        )));
    }
    let unit: Vec<Vec<f64>> = points.iter().map(|p| p.unit.clone()).collect();
    let boot = Bootstrap { resamples: 1000, conf_level: 0.95, seed: options.seed };
    let m = morris_indices(&unit, &losses, options.levels, boot).map_err(|e| CalibrateError::Other(e.to_string()))?;
    let largest = m.mu_star.iter().copied().fold(0.0, f64::max);
    let mut params: Vec<Screened> = spec
        .free
        .iter()
        .enumerate()
        .map(|(i, p)| Screened {
            key: p.key.clone(),
            low: windows[i].0,
            high: windows[i].1,
            mu_star: m.mu_star[i],
            mu_star_conf: m.mu_star_conf[i],
            mu: m.mu[i],
            sigma: m.sigma[i],
            keep: largest > 0.0 && m.mu_star[i] >= options.threshold * largest,
        })
        .collect();
    // Most influential first; ties in FREE.toml order (a stable sort).
    params.sort_by(|a, b| b.mu_star.total_cmp(&a.mu_star));

    let dir = &options.out_dir;
    let kept: Vec<&str> = params.iter().filter(|p| p.keep).map(|p| p.key.as_str()).collect();
    let files = [
        (SCREENING_CSV, screening_csv(&params)),
        (SCREENING_MD, screening_md(scenario_label, spec, options, &params, points.len())),
        (SCREENED_FREE, reduced_free(&spec.text, &kept, &spec.file, options)),
    ];
    // Marked as being written before the first file is replaced, complete after the last.
    let about = fit_inputs(
        scenario_label,
        scenario_text,
        spec,
        &targets,
        &[
            ("trajectories", options.trajectories.to_string()),
            ("levels", options.levels.to_string()),
            ("radius", format!("{:?}", options.radius)),
            ("threshold", format!("{:?}", options.threshold)),
            ("seed", options.seed.to_string()),
        ],
    );
    let written = SetWrite::new(SCREEN_SET, dir, &options.command_line).write_all(files, &about)?;
    Ok(ScreenOutcome { params, points: points.len(), files: written })
}

fn screening_csv(params: &[Screened]) -> String {
    csv_text(
        &["rank", "key", "mu_star", "mu_star_conf", "mu", "sigma", "low", "high", "free"],
        params.iter().enumerate().map(|(i, p)| {
            [
                (i + 1).to_string(),
                p.key.clone(),
                p.mu_star.to_string(),
                p.mu_star_conf.to_string(),
                p.mu.to_string(),
                p.sigma.to_string(),
                p.low.to_string(),
                p.high.to_string(),
                if p.keep { "free" } else { "fixed" }.to_string(),
            ]
        }),
    )
}

fn screening_md(
    scenario_label: &str,
    spec: &CalibrationSpec,
    options: &ScreenOptions,
    params: &[Screened],
    points: usize,
) -> String {
    let mut r = String::new();
    let years = spec.years.as_ref().map_or("all years".to_string(), |y| format!("{}-{}", y.start(), y.end()));
    let kept = params.iter().filter(|p| p.keep).count();
    let _ = writeln!(r, "# Screening of the free parameters of {}\n", spec.file);
    let _ = writeln!(r, "- command: `{}`", options.command_line);
    let _ = writeln!(
        r,
        "- scenario: {scenario_label}; targets of {years}; runs 0-{} of master seed {}",
        spec.seeds - 1,
        spec.master_seed
    );
    let _ = writeln!(
        r,
        "- Morris elementary effects of the loss (mean over groups of min(e^2, 1)), {} trajectories of {} levels \
         ({points} points), each parameter within {} of its bound width around the scenario's value; design seed {}",
        options.trajectories, options.levels, options.radius, options.seed
    );
    let _ = writeln!(
        r,
        "- {kept} of {} parameters stay free (mu* at least {} of the largest); the others are fixed at the \
         scenario's values in {SCREENED_FREE}\n",
        params.len(),
        options.threshold
    );
    let _ = writeln!(r, "| rank | key | mu* | ±95% | mu | sigma | window | |");
    let _ = writeln!(r, "|---:|---|---:|---:|---:|---:|---|---|");
    for (i, p) in params.iter().enumerate() {
        let _ = writeln!(
            r,
            "| {} | `{}` | {:.4} | {:.4} | {:+.4} | {:.4} | {:.4} to {:.4} | {} |",
            i + 1,
            p.key,
            p.mu_star,
            p.mu_star_conf,
            p.mu,
            p.sigma,
            p.low,
            p.high,
            if p.keep { "free" } else { "fixed" }
        );
    }
    r
}

/// The FREE.toml text without the `[[free]]` tables of parameters not in `kept`, headed by a
/// note of where it came from. A table runs from its `[[free]]` line to the next table header;
/// comment lines just before a header belong to that header's table.
fn reduced_free(text: &str, kept: &[&str], file: &str, options: &ScreenOptions) -> String {
    let lines: Vec<&str> = text.lines().collect();
    // Start of each table (comments directly above its header included).
    let mut starts: Vec<usize> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with('[') {
            let mut s = i;
            while s > 0 && lines[s - 1].trim_start().starts_with('#') {
                s -= 1;
            }
            starts.push(s.max(starts.last().copied().unwrap_or(0)));
        }
    }
    let mut out = format!(
        "# {file} after screening (`{}`): the parameters with little effect on the loss are fixed at the\n\
         # scenario's values (see {SCREENING_MD}).\n",
        options.command_line
    );
    let mut end_of = starts.iter().skip(1).copied().chain(std::iter::once(lines.len()));
    let mut cursor = 0;
    for &start in &starts {
        let end = end_of.next().unwrap_or(lines.len());
        let block = &lines[start..end];
        // The text before the first table.
        if cursor < start {
            lines[cursor..start].iter().for_each(|l| {
                out.push_str(l);
                out.push('\n');
            });
        }
        cursor = end;
        let is_free = block.iter().any(|l| l.trim() == "[[free]]");
        let key = block.iter().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "key").then(|| v.trim().trim_matches('"').to_string())
        });
        if is_free && key.as_deref().is_some_and(|k| !kept.contains(&k)) {
            continue;
        }
        for l in block {
            out.push_str(l);
            out.push('\n');
        }
    }
    if cursor < lines.len() && starts.is_empty() {
        for l in &lines[cursor..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// The default output directory of a screen of scenario `name`.
pub fn default_screen_dir(scenario_name: &str) -> PathBuf {
    Path::new("results/calibration").join(format!("{scenario_name}-screening"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ScreenOptions {
        ScreenOptions {
            trajectories: 2,
            levels: 4,
            radius: 0.2,
            threshold: 0.1,
            seed: 1,
            out_dir: PathBuf::new(),
            threads: 1,
            command_line: "caseflow screen".into(),
        }
    }

    #[test]
    fn the_reduced_free_file_drops_only_the_fixed_tables() {
        let text = "# head\n[calibration]\nseeds = 2\n\n# A\n[[free]]\nkey = \"a\"\nmin = 0\nmax = 1\n\
                    # B\n[[free]]\nkey = \"b\"\nmin = 0\nmax = 1\n[[free]]\nkey = \"c\"\nmin = 0\nmax = 2\n";
        let out = reduced_free(text, &["a", "c"], "f.toml", &options());
        assert!(out.contains("key = \"a\"") && out.contains("key = \"c\""), "{out}");
        assert!(!out.contains("key = \"b\"") && !out.contains("# B"), "{out}");
        assert!(out.contains("# head\n[calibration]\nseeds = 2\n"), "{out}");
        let parsed = super::super::parse_free(&out, "f.toml").unwrap();
        assert_eq!(parsed.free.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(), ["a", "c"]);
    }
}
