//! Parameter uncertainty (`caseflow ensemble`): an ensemble of parameter sets drawn from an
//! approximate posterior with a synthetic likelihood (Wood 2010; Price, Drovandi, Lee and Nott
//! 2018), so that runs over it (`caseflow run --ensemble`) give bands that hold parameter
//! uncertainty as well as the chance of each run. Two samplers draw it: tempered sequential
//! Monte Carlo (`smc.rs`, the default) and population Monte Carlo (steps 1-2 below,
//! `--sampler pmc`); the likelihood, the first proposal and the members' resampling (step 3)
//! are shared.
//!
//! Why this and not history matching or distance-based ABC: an ensemble should be a
//! *posterior sample*, so that a 90% band is a 90% band. History matching's set of
//! non-implausible points is by design larger than that (it rules points out, it does not weigh
//! them). Distance-based ABC compares the published figure, one realisation of the world, with
//! the mean of a candidate's runs, which has far less noise: it concentrates on parameters whose
//! mean hits the one realisation, and its bands come out too narrow (a first version here
//! did). The synthetic likelihood compares the published figure with the spread of single runs.
//!
//! For each target row of the fit years, with `scale` the compare loss's (the published value,
//! at least 0.05 for shares and 1 for counts), the candidate's runs give a mean `m` and a
//! run-to-run sd `s`, and
//!
//! ```text
//! v = (s / scale)^2 (1 + 1 / runs) + discrepancy^2,
//! z^2 = ((m - published) / scale)^2 / v,
//! log L = -1/2 sum over rows of [min(z^2, MAX_Z2) + ln v]
//! ```
//!
//! (`1 + 1 / runs`: the published figure is one realisation, `m` the mean of `runs` runs.)
//! With `--errors tolerant` ([`ErrorModel::Tolerant`]) the error counted is only what lies
//! beyond the compare hit rule's tolerance, in the likelihood and the discrepancy estimate alike.
//!
//! `discrepancy` is the model's own error as a share of each published figure (the model is
//! not the world): given, or estimated from the starting scenario's rows by the method of
//! moments (the mean of `e^2 - (s / scale)^2`, as history matching does). The prior is uniform
//! on the FREE.toml bounds.
//!
//! 1. Generation 0 draws `particles` points from the prior (`width` 0) or from a normal of
//!    standard deviation `width` (in bound widths) around the scenario's values, truncated to
//!    the bounds; each is weighted by likelihood x prior / proposal density.
//! 2. Each later generation draws from the previous one's particles by weight and moves each
//!    with a normal kernel of twice their weighted variance (per coordinate, truncated to the
//!    bounds); the proposal density is the weighted mixture of those kernels.
//! 3. After the last generation, `members` parameter sets are drawn from its weights by
//!    systematic resampling: `ensemble.csv`, one row per member.
//!
//! Every candidate runs the same runs of the same master seed (common random numbers, as in
//! calibration). Everything is seeded: the same inputs give the same ensemble, byte for byte.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use statrs::function::erf::erf;

use super::evaluate::Evaluator;
use super::targets::TargetRow as Target;
use super::{
    CalibrateError, CalibrationSpec, ENSEMBLE_SET, Problem, Progress, REL_TOLERANCE, SHARE_ABS_TOLERANCE,
    SHARE_LOSS_FLOOR, SetWrite, TargetKind, TargetRow, Template, check_fit_file, fit_inputs, read_text,
};
use crate::batch::Runner;
use crate::engine::dist::normal_quantile;
use crate::engine::draws::chacha8;
use crate::experiment::design::unit_f64;
use crate::output::csv_text;
use crate::scenario::edit::{self, ValueKind, format_number, splice};
use crate::summary::SummaryRow;

/// File names the ensemble writes.
pub const ENSEMBLE_CSV: &str = "ensemble.csv";
pub const PARTICLES_CSV: &str = "particles.csv";
pub const ENSEMBLE_MD: &str = "ensemble.md";

/// The smallest kernel standard deviation (in bound widths): particles that agree on a
/// coordinate still move a little, so the proposal density is never degenerate.
pub(super) const MIN_KERNEL_SD: f64 = 1e-4;

/// A row's squared standardised error counts at most this much (4 standard deviations): one
/// series the model cannot reproduce must not decide the whole ensemble, as the compare loss
/// caps a row at 1. A row missing from the results counts this much too.
const MAX_Z2: f64 = 16.0;

/// The smallest variance of a row's scaled error: a series identical in every run (a count
/// of zero) with no discrepancy would otherwise have none.
const MIN_VARIANCE: f64 = 1e-6;

/// A row whose error exceeds this (as a share of its scale, 100%) is a series the model does
/// not reproduce at all: left out of the discrepancy estimate, whose size it would set alone.
const UNREPRODUCED_ERROR: f64 = 1.0;

/// How the ensemble is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sampler {
    /// Population Monte Carlo: importance sampling from a mixture fitted to the previous
    /// generation (the module documentation).
    Pmc,
    /// Sequential Monte Carlo with adaptive tempering and Metropolis moves (`smc.rs`).
    #[default]
    Smc,
}

/// What a row's error costs in the likelihood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ErrorModel {
    /// The whole error (the module documentation): a posterior whose 90% band is a 90% band.
    #[default]
    Synthetic,
    /// Only the error beyond the compare hit rule's tolerance (`tolerance`): within it a
    /// candidate's row costs nothing, as it counts as a hit. A generalised (tempered) posterior
    /// in the sense of Bissiri, Holmes and Walker (2016), or ABC with a kernel flat within the
    /// tolerance: the sampler then weighs the rows by what the hit rule counts, not how close
    /// each comes to its published figure. Its bands are not a posterior's: on the shipped fit
    /// they came out narrower, as the method of moments found no discrepancy beyond the
    /// tolerance (stage 25 of `results/calibration/README.md`).
    Tolerant,
}

/// How to build the ensemble.
#[derive(Clone, Debug)]
pub struct EnsembleOptions {
    pub sampler: Sampler,
    /// What a row's error costs.
    pub errors: ErrorModel,
    /// SMC: Metropolis moves of every particle after each tempering step.
    pub moves: usize,
    /// Candidates per generation.
    pub particles: usize,
    /// Generations (at least 1); SMC: the most tempering steps (the last one reaches the
    /// posterior whatever its effective sample size).
    pub generations: usize,
    /// Generation 0's proposal: 0 draws from the prior; otherwise the standard deviation, in
    /// bound widths, of a normal around the scenario's values.
    pub width: f64,
    /// The model's error as a share of each published figure; `None`: estimated from the
    /// starting scenario.
    pub discrepancy: Option<f64>,
    /// Parameter sets in `ensemble.csv`.
    pub members: usize,
    pub seed: u64,
    pub out_dir: PathBuf,
    pub threads: usize,
    pub command_line: String,
}

/// One evaluated candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Particle {
    pub generation: usize,
    /// Normalised coordinates in the bounds, `[0, 1]^n`.
    pub x: Vec<f64>,
    pub values: Vec<f64>,
    /// Log synthetic likelihood (-inf when the scenario does not load).
    pub log_likelihood: f64,
    /// Normalised importance weight within its generation.
    pub weight: f64,
}

/// One generation's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationSummary {
    pub generation: usize,
    pub candidates: usize,
    /// Effective sample size of the weights, `1 / sum w^2`.
    pub ess: f64,
    pub best_log_likelihood: f64,
    /// SMC: the likelihood's exponent reached (1: the posterior).
    pub temperature: Option<f64>,
    /// SMC: the share of Metropolis moves accepted after the step.
    pub acceptance: Option<f64>,
    /// Distinct parameter sets in the population after the generation.
    pub distinct: usize,
}

/// The ensemble.
#[derive(Clone, Debug)]
pub struct EnsembleOutcome {
    pub keys: Vec<String>,
    /// The discrepancy used (given or estimated).
    pub discrepancy: f64,
    pub generations: Vec<GenerationSummary>,
    /// The final generation's particles.
    pub posterior: Vec<Particle>,
    /// The members' parameter values, in member order.
    pub members: Vec<Vec<f64>>,
    pub files: Vec<PathBuf>,
}

/// Standard normal distribution function.
pub(super) fn phi_cdf(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

/// Standard normal density.
fn phi_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// A weighted mixture of normals truncated to `[0, 1]` in each coordinate, with one standard
/// deviation per coordinate.
#[derive(Clone, Debug)]
pub(super) struct Mixture {
    pub(super) centers: Vec<Vec<f64>>,
    pub(super) weights: Vec<f64>,
    pub(super) sd: Vec<f64>,
}

impl Mixture {
    /// A draw: a center by weight (one uniform), then each coordinate by the inverse
    /// distribution function of its truncated normal (one uniform each).
    pub(super) fn draw(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let u = unit_f64(rng);
        let mut acc = 0.0;
        let mut pick = self.centers.len() - 1;
        for (j, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                pick = j;
                break;
            }
        }
        let c = &self.centers[pick];
        c.iter()
            .zip(&self.sd)
            .map(|(&m, &s)| {
                let (lo, hi) = (phi_cdf(-m / s), phi_cdf((1.0 - m) / s));
                let p = lo + unit_f64(rng) * (hi - lo);
                // The tails of a far-off center: keep the draw inside the box.
                (m + s * normal_quantile(p.clamp(1e-300, 1.0 - 1e-16))).clamp(0.0, 1.0)
            })
            .collect()
    }

    /// The density at `x`.
    pub(super) fn density(&self, x: &[f64]) -> f64 {
        self.centers
            .iter()
            .zip(&self.weights)
            .map(|(c, w)| {
                let mut d = *w;
                for ((&xi, &m), &s) in x.iter().zip(c).zip(&self.sd) {
                    let mass = phi_cdf((1.0 - m) / s) - phi_cdf(-m / s);
                    d *= phi_pdf((xi - m) / s) / (s * mass.max(1e-300));
                }
                d
            })
            .sum()
    }
}

/// Builds the ensemble for the free parameters of `spec` in the scenario `scenario_text`.
///
/// # Errors
/// Unusable inputs (as for `calibrate`), bad options, a generation with no candidate that
/// loads, or files that cannot be written.
pub fn ensemble(
    scenario_text: &str,
    scenario_label: &str,
    spec: &CalibrationSpec,
    targets: &[TargetRow],
    options: &EnsembleOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<EnsembleOutcome, CalibrateError> {
    let o = options;
    if o.particles < 2 || o.generations == 0 || o.members == 0 {
        return Err(CalibrateError::Other(
            "--particles must be at least 2, --generations and --members at least 1".into(),
        ));
    }
    if !(o.width >= 0.0 && o.width.is_finite()) || o.discrepancy.is_some_and(|d| !(d >= 0.0 && d.is_finite())) {
        return Err(CalibrateError::Other(
            "--width must be 0 (the prior) or a positive share of the bounds, --discrepancy a share >= 0".into(),
        ));
    }
    let template = Template::new(scenario_text, scenario_label, spec)?;
    let targets: Vec<TargetRow> = targets
        .iter()
        .filter(|t| t.kind == TargetKind::Target && spec.years.as_ref().is_none_or(|y| y.contains(&t.year)))
        .cloned()
        .collect();
    if targets.is_empty() {
        return Err(CalibrateError::Other(
            "no target rows in the fit years: nothing to weigh the parameters by".into(),
        ));
    }
    let runner = Runner::new(o.threads).map_err(|e| CalibrateError::Other(e.to_string()))?;
    let eval = Evaluator { template: &template, spec, targets: &targets, runner, progress };
    let cut = spec.years.as_ref().map(|y| *y.end());
    let d = template.dimension();
    let mut rng = chacha8(o.seed, 7);

    let discrepancy = match o.discrepancy {
        Some(v) => v,
        None => {
            progress(Progress::GenerationStarted { generation: 0, candidates: 1, runs_per_candidate: spec.seeds });
            let start = eval.summaries(None, std::slice::from_ref(&template.original_values()), cut);
            let summary =
                start[0].as_ref().map_err(|e| CalibrateError::Other(format!("the starting scenario: {e}")))?;
            estimate_discrepancy(summary, &targets, o.errors)
        }
    };

    // Generation 0's proposal: the prior (a uniform density of 1 on the unit box) or a normal
    // around the scenario's values.
    let proposal0 = if o.width == 0.0 {
        None
    } else {
        Some(Mixture { centers: vec![template.start_point()], weights: vec![1.0], sd: vec![o.width; d] })
    };
    let likelihood = |generation: usize, values: &[Vec<f64>]| -> Vec<f64> {
        progress(Progress::GenerationStarted {
            generation: generation as u64,
            candidates: values.len(),
            runs_per_candidate: spec.seeds,
        });
        eval.summaries(Some(generation as u64), values, cut)
            .iter()
            .map(|s| {
                s.as_ref().map_or(f64::NEG_INFINITY, |summary| {
                    log_likelihood(summary, &targets, discrepancy, spec.seeds, o.errors)
                })
            })
            .collect()
    };
    let sampled = match o.sampler {
        Sampler::Pmc => population_monte_carlo(o, &template, proposal0, &mut rng, &likelihood)?,
        Sampler::Smc => super::smc::tempered_smc(o, &template, proposal0.as_ref(), &mut rng, &likelihood)?,
    };
    let Sampled { generations: summaries, posterior: current, all } = sampled;

    // Systematic resampling of the final weights.
    let weights: Vec<f64> = current.iter().map(|p| p.weight).collect();
    let member_particles = systematic(&weights, o.members, &mut rng);
    let members: Vec<Vec<f64>> = member_particles.iter().map(|&j| current[j].values.clone()).collect();

    let keys: Vec<String> = spec.free.iter().map(|p| p.key.clone()).collect();
    let files = [
        (ENSEMBLE_CSV, ensemble_csv(&keys, &members, &member_particles)),
        (PARTICLES_CSV, particles_csv(&keys, &all)),
        (ENSEMBLE_MD, ensemble_md(scenario_label, spec, o, discrepancy, &keys, &summaries, &current, &members)),
    ];
    // Marked as being written before the first file is replaced, complete after the last.
    let about = fit_inputs(scenario_label, scenario_text, spec, &targets, &[("seed", o.seed.to_string())]);
    let written = SetWrite::new(ENSEMBLE_SET, &o.out_dir, &o.command_line).write_all(files, &about)?;
    Ok(EnsembleOutcome { keys, discrepancy, generations: summaries, posterior: current, members, files: written })
}

/// What a sampler hands back: one summary per generation, the final population (weighted) and
/// every candidate evaluated.
pub(super) struct Sampled {
    pub(super) generations: Vec<GenerationSummary>,
    pub(super) posterior: Vec<Particle>,
    pub(super) all: Vec<Particle>,
}

/// The log likelihood of each candidate (by values) of a generation.
pub(super) type Likelihood<'a> = dyn Fn(usize, &[Vec<f64>]) -> Vec<f64> + 'a;

/// Population Monte Carlo (steps 1 and 2 of the module documentation).
fn population_monte_carlo(
    o: &EnsembleOptions,
    template: &Template,
    proposal0: Option<Mixture>,
    rng: &mut ChaCha8Rng,
    likelihood: &Likelihood,
) -> Result<Sampled, CalibrateError> {
    let d = template.dimension();
    let mut proposal = proposal0;
    let mut all: Vec<Particle> = Vec::new();
    let mut summaries = Vec::new();
    let mut current: Vec<Particle> = Vec::new();
    for generation in 0..o.generations {
        let xs: Vec<Vec<f64>> = (0..o.particles)
            .map(|_| match &proposal {
                None => (0..d).map(|_| unit_f64(rng)).collect(),
                Some(m) => m.draw(rng),
            })
            .collect();
        let values: Vec<Vec<f64>> = xs.iter().map(|x| template.values(x)).collect();
        let log_likelihoods = likelihood(generation, &values);
        let best = log_likelihoods.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if best == f64::NEG_INFINITY {
            return Err(CalibrateError::Other(format!("generation {generation}: no candidate scenario loads")));
        }
        // Weights likelihood x prior / proposal, scaled by the best likelihood so that they do
        // not underflow; the prior is 1 on the box.
        let raw: Vec<f64> = xs
            .iter()
            .zip(&log_likelihoods)
            .map(|(x, &l)| {
                let q = proposal.as_ref().map_or(1.0, |m| m.density(x));
                (l - best).exp() / q.max(1e-300)
            })
            .collect();
        let total: f64 = raw.iter().sum();
        current = (0..o.particles)
            .map(|i| Particle {
                generation,
                x: xs[i].clone(),
                values: values[i].clone(),
                log_likelihood: log_likelihoods[i],
                weight: raw[i] / total,
            })
            .collect();
        let ess = 1.0 / current.iter().map(|p| p.weight * p.weight).sum::<f64>();
        summaries.push(GenerationSummary {
            generation,
            candidates: o.particles,
            ess,
            best_log_likelihood: best,
            temperature: None,
            acceptance: None,
            distinct: o.particles,
        });
        all.extend(current.iter().cloned());
        // The next proposal: the particles by weight, moved by twice their weighted variance.
        let sd: Vec<f64> = (0..d)
            .map(|k| {
                let mean: f64 = current.iter().map(|p| p.weight * p.x[k]).sum();
                let var: f64 = current.iter().map(|p| p.weight * (p.x[k] - mean).powi(2)).sum();
                (2.0 * var).sqrt().max(MIN_KERNEL_SD)
            })
            .collect();
        let carried: Vec<&Particle> = current.iter().filter(|p| p.weight > 0.0).collect();
        proposal = Some(Mixture {
            centers: carried.iter().map(|p| p.x.clone()).collect(),
            weights: carried.iter().map(|p| p.weight).collect(),
            sd,
        });
    }

    Ok(Sampled { generations: summaries, posterior: current, all })
}

/// Indices of `n` draws from `weights` (summing to 1) by systematic resampling: one uniform,
/// then `n` evenly spaced points through the cumulative weights.
pub(super) fn systematic(weights: &[f64], n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let start = unit_f64(rng);
    let (mut acc, mut j) = (weights[0], 0);
    (0..n)
        .map(|m| {
            let u = (start + m as f64) / n as f64;
            while u >= acc && j + 1 < weights.len() {
                j += 1;
                acc += weights[j];
            }
            j
        })
        .collect()
}

/// How many different points there are among `points`.
pub(super) fn distinct<'a>(points: impl Iterator<Item = &'a Vec<f64>>) -> usize {
    let mut sorted: Vec<&Vec<f64>> = points.collect();
    sorted.sort_by(|a, b| {
        a.iter().zip(b.iter()).map(|(x, y)| x.total_cmp(y)).find(|c| c.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    });
    sorted.dedup();
    sorted.len()
}

/// A row's scale, as in the compare loss: the published value (at least [`SHARE_LOSS_FLOOR`]
/// for shares, 1 for counts).
fn scale(t: &Target) -> f64 {
    if t.is_share() { t.value.max(SHARE_LOSS_FLOOR) } else { t.value.abs().max(1.0) }
}

/// Each target row with its summary row (None when the results lack it).
fn paired<'a>(summary: &'a [SummaryRow], targets: &'a [Target]) -> Vec<(&'a Target, Option<&'a SummaryRow>)> {
    let by_key: std::collections::HashMap<(&str, i32), &SummaryRow> =
        summary.iter().map(|r| ((r.series.as_str(), r.year), r)).collect();
    targets.iter().map(|t| (t, by_key.get(&(t.series.as_str(), t.year)).copied())).collect()
}

/// A row's hit-rule tolerance in units of its scale: 15% of the published value, or for a
/// share 0.02 if that is more (`compare`'s [`REL_TOLERANCE`] and [`SHARE_ABS_TOLERANCE`]).
pub fn tolerance(t: &Target) -> f64 {
    let sc = scale(t);
    let relative = REL_TOLERANCE * t.value.abs() / sc;
    if t.is_share() { relative.max(SHARE_ABS_TOLERANCE / sc) } else { relative }
}

/// A row's scaled error as the error model counts it: whole, or beyond the tolerance.
fn counted_error(t: &Target, e: f64, errors: ErrorModel) -> f64 {
    match errors {
        ErrorModel::Synthetic => e,
        ErrorModel::Tolerant => (e.abs() - tolerance(t)).max(0.0),
    }
}

/// The synthetic log likelihood of the target rows given a candidate's summary (see the module
/// documentation), with errors counted by `errors`.
pub fn log_likelihood(
    summary: &[SummaryRow],
    targets: &[Target],
    discrepancy: f64,
    runs: u64,
    errors: ErrorModel,
) -> f64 {
    // The published figure is one realisation, the candidate's mean one of `runs` runs: their
    // difference varies by s^2 (1 + 1 / runs) besides the discrepancy.
    let noise = 1.0 + 1.0 / runs.max(1) as f64;
    let mut sum = 0.0;
    for (t, row) in paired(summary, targets) {
        let sc = scale(t);
        let (z2, var) = match row {
            Some(r) if r.mean.is_finite() => {
                let sd = if r.sd.is_finite() { r.sd / sc } else { 0.0 };
                let var = (sd * sd * noise + discrepancy * discrepancy).max(MIN_VARIANCE);
                let e = counted_error(t, (r.mean - t.value) / sc, errors);
                ((e * e / var).min(MAX_Z2), var)
            }
            _ => (MAX_Z2, (discrepancy * discrepancy).max(MIN_VARIANCE)),
        };
        sum += z2 + var.ln();
    }
    -0.5 * sum
}

/// The discrepancy by the method of moments: the square root of the mean over rows of
/// `e^2 - (s / scale)^2` (0 when the runs' own spread explains the errors), rows beyond the
/// cap of `MAX_Z2` standard deviations of the run spread left out as the likelihood caps them.
/// Errors are counted by `errors`, as the likelihood counts them.
pub fn estimate_discrepancy(summary: &[SummaryRow], targets: &[Target], errors: ErrorModel) -> f64 {
    let mut excess = Vec::new();
    for (t, row) in paired(summary, targets) {
        if let Some(r) = row.filter(|r| r.mean.is_finite()) {
            let sc = scale(t);
            let whole = (r.mean - t.value) / sc;
            let e = counted_error(t, whole, errors);
            let s = if r.sd.is_finite() { r.sd / sc } else { 0.0 };
            if whole.abs() <= UNREPRODUCED_ERROR {
                excess.push(e * e - s * s);
            }
        }
    }
    if excess.is_empty() {
        return 0.0;
    }
    (excess.iter().sum::<f64>() / excess.len() as f64).max(0.0).sqrt()
}

/// Weighted quantile `q` of `(value, weight)` pairs (weights summing to 1): the smallest value
/// whose cumulative weight reaches `q`.
pub fn weighted_quantile(pairs: &[(f64, f64)], q: f64) -> f64 {
    let mut sorted: Vec<(f64, f64)> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for &(v, w) in &sorted {
        acc += w;
        if acc >= q - 1e-12 {
            return v;
        }
    }
    sorted.last().map_or(f64::NAN, |p| p.0)
}

fn ensemble_csv(keys: &[String], members: &[Vec<f64>], particles: &[usize]) -> String {
    let mut header = vec!["member".to_string(), "particle".to_string()];
    header.extend(keys.iter().cloned());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_text(
        &header,
        members.iter().zip(particles).enumerate().map(|(m, (values, p))| {
            let mut row = vec![m.to_string(), p.to_string()];
            row.extend(values.iter().map(f64::to_string));
            row
        }),
    )
}

fn particles_csv(keys: &[String], all: &[Particle]) -> String {
    let mut header: Vec<String> = ["generation", "log_likelihood", "weight"].iter().map(|s| s.to_string()).collect();
    header.extend(keys.iter().cloned());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_text(
        &header,
        all.iter().map(|p| {
            let mut row = vec![p.generation.to_string(), p.log_likelihood.to_string(), p.weight.to_string()];
            row.extend(p.values.iter().map(f64::to_string));
            row
        }),
    )
}

#[allow(clippy::too_many_arguments)]
fn ensemble_md(
    scenario_label: &str,
    spec: &CalibrationSpec,
    o: &EnsembleOptions,
    discrepancy: f64,
    keys: &[String],
    generations: &[GenerationSummary],
    posterior: &[Particle],
    members: &[Vec<f64>],
) -> String {
    let mut r = String::new();
    let years = spec.years.as_ref().map_or("all years".to_string(), |y| format!("{}-{}", y.start(), y.end()));
    let _ = writeln!(r, "# Parameter ensemble of {scenario_label}\n");
    let _ = writeln!(r, "- command: `{}`", o.command_line);
    let method = match o.sampler {
        Sampler::Pmc => "population Monte Carlo",
        Sampler::Smc => "sequential Monte Carlo with adaptive tempering and Metropolis moves (src/calibrate/smc.rs)",
    };
    let _ = writeln!(
        r,
        "- {method} with a synthetic likelihood (src/calibrate/ensemble.rs){}: uniform prior on the bounds of {}; \
         the targets of {years}; runs 0-{} of master seed {} for every candidate",
        match o.errors {
            ErrorModel::Synthetic => "",
            ErrorModel::Tolerant => " of the errors beyond the hit rule's tolerance (--errors tolerant)",
        },
        spec.file,
        spec.seeds - 1,
        spec.master_seed
    );
    let how = if o.discrepancy.is_some() { "given" } else { "estimated from the starting scenario" };
    let _ = writeln!(r, "- discrepancy (the model's own error, share of each figure): {discrepancy:.4} ({how})");
    let start = if o.width == 0.0 {
        "the prior".to_string()
    } else {
        format!("a normal of sd {} around the scenario", o.width)
    };
    let distinct = distinct(members.iter());
    match o.sampler {
        Sampler::Pmc => {
            let _ = writeln!(
                r,
                "- {} generations of {} candidates; generation 0 from {start}; {} members ({distinct} distinct) by \
                 systematic resampling; seed {}\n",
                o.generations, o.particles, o.members, o.seed
            );
            let _ = writeln!(r, "| generation | candidates | best log likelihood | effective sample size |");
            let _ = writeln!(r, "|---:|---:|---:|---:|");
            for g in generations {
                let _ = writeln!(
                    r,
                    "| {} | {} | {:.3} | {:.1} |",
                    g.generation, g.candidates, g.best_log_likelihood, g.ess
                );
            }
        }
        Sampler::Smc => {
            let steps = generations.iter().filter(|g| g.acceptance.is_some()).count() / o.moves.max(1);
            let _ = writeln!(
                r,
                "- {} particles from {start}; {steps} tempering steps (at most {}), each keeping an effective sample \
                 size of at least half the particles but the last allowed, then {} Metropolis move(s) of every \
                 particle; {} members ({distinct} distinct) by systematic resampling of the final particles; seed \
                 {}\n",
                o.particles, o.generations, o.moves, o.members, o.seed
            );
            let _ = writeln!(
                r,
                "| generation | candidates | temperature | effective sample size of the step | moves accepted | \
                 distinct particles | best log likelihood |"
            );
            let _ = writeln!(r, "|---:|---:|---:|---:|---:|---:|---:|");
            for g in generations {
                let _ = writeln!(
                    r,
                    "| {} | {} | {:.4} | {:.1} | {} | {} | {:.3} |",
                    g.generation,
                    g.candidates,
                    g.temperature.unwrap_or(f64::NAN),
                    g.ess,
                    g.acceptance.map_or("-".to_string(), |a| format!("{:.2}", a)),
                    g.distinct,
                    g.best_log_likelihood
                );
            }
        }
    }
    let _ = writeln!(r, "\n## Posterior, final generation (weighted)\n");
    let _ = writeln!(r, "| key | min | max | p05 | median | p95 |");
    let _ = writeln!(r, "|---|---:|---:|---:|---:|---:|");
    for (k, (key, p)) in keys.iter().zip(&spec.free).enumerate() {
        let pairs: Vec<(f64, f64)> = posterior.iter().map(|q| (q.values[k], q.weight)).collect();
        let _ = writeln!(
            r,
            "| `{key}` | {} | {} | {:.4} | {:.4} | {:.4} |",
            p.min,
            p.max,
            weighted_quantile(&pairs, 0.05),
            weighted_quantile(&pairs, 0.5),
            weighted_quantile(&pairs, 0.95)
        );
    }
    r
}

/// An ensemble read back: its keys and its members' values.
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    pub file: String,
    pub keys: Vec<String>,
    pub members: Vec<Vec<f64>>,
    /// SHA-256 of the file, for provenance.
    pub sha256: String,
}

/// Reads an `ensemble.csv` (`member,particle,KEY...`).
///
/// # Errors
/// [`CalibrateError::Input`] naming the file, line and column of each problem.
pub fn load_ensemble(path: &Path) -> Result<Ensemble, CalibrateError> {
    let label = path.display().to_string();
    let text = read_text(path, &label)?;
    // An ensemble.csv of an ensemble that was not finished, or changed since, is refused.
    check_fit_file(path).map_err(|m| CalibrateError::Input(vec![Problem::whole_file(&label, m)]))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CalibrateError::Input(vec![Problem::whole_file(&label, format!("cannot read the header: {e}"))]))?
        .clone();
    if headers.len() < 3 || &headers[0] != "member" || &headers[1] != "particle" {
        return Err(CalibrateError::Input(vec![Problem::at(
            &label,
            1,
            "header",
            "expected `member,particle,` then one column per parameter key (as written by `caseflow ensemble`)".into(),
        )]));
    }
    let keys: Vec<String> = headers.iter().skip(2).map(str::to_string).collect();
    let mut members = Vec::new();
    let mut problems = Vec::new();
    // A key given twice would set one value twice in each member (other spellings of the same
    // value are found against the scenario, in `member_texts`).
    for (k, key) in keys.iter().enumerate() {
        if let Some(first) = keys[..k].iter().position(|earlier| earlier == key) {
            problems.push(Problem::at(
                &label,
                1,
                &format!("column `{key}`"),
                format!("repeats column {}: give each key one column", first + 3),
            ));
        }
    }
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::at(&label, line, "", e.to_string()));
                continue;
            }
        };
        let mut values = Vec::with_capacity(keys.len());
        for (k, key) in keys.iter().enumerate() {
            match record.get(k + 2).map(str::trim).map(str::parse::<f64>) {
                Some(Ok(v)) if v.is_finite() => values.push(v),
                _ => problems.push(Problem::at(
                    &label,
                    line,
                    &format!("column `{key}`"),
                    "expected a finite number".into(),
                )),
            }
        }
        members.push(values);
    }
    if members.is_empty() && problems.is_empty() {
        problems.push(Problem::whole_file(&label, "no members"));
    }
    if !problems.is_empty() {
        return Err(CalibrateError::Input(problems));
    }
    Ok(Ensemble { file: label, keys, members, sha256: crate::output::sha256_hex(text.as_bytes()) })
}

impl Ensemble {
    /// The scenario text of each member: `scenario_text` with the member's values at the keys.
    ///
    /// # Errors
    /// [`CalibrateError::Input`] for a key the scenario does not have or that is not a number
    /// there (named with the ensemble file and the key).
    pub fn member_texts(&self, scenario_text: &str, scenario_label: &str) -> Result<Vec<String>, CalibrateError> {
        let doc = toml::de::DeTable::parse(scenario_text).map_err(|e| {
            CalibrateError::Other(format!("{scenario_label}: cannot re-read the scenario: {}", e.message()))
        })?;
        let mut slots: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
        let mut problems = Vec::new();
        // The columns found so far, with the value each names: two spellings of one value
        // (`incentives[2].x` and `incentives[2009-01-01].x`) would set it twice per member.
        let mut found_at: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (k, key) in self.keys.iter().enumerate() {
            match edit::locate(doc.get_ref(), key) {
                Ok(found) if matches!(found.kind, ValueKind::Integer | ValueKind::Float) => {
                    if let Some((earlier, _)) = found_at.iter().find(|(_, span)| edit::overlaps(span, &found.span)) {
                        problems.push(Problem::at(
                            &self.file,
                            1,
                            &format!("column `{key}`"),
                            format!(
                                "already set by column {} as `{}`: both keys name `{}` in {scenario_label}",
                                earlier + 3,
                                self.keys[*earlier],
                                found.walked
                            ),
                        ));
                        continue;
                    }
                    found_at.push((k, found.span.clone()));
                    let integral = found.kind == ValueKind::Integer
                        && edit::wants_integer(scenario_text, scenario_label, &found.span, found.number.unwrap_or(0.0));
                    slots.push((found.span, integral));
                }
                Ok(found) => problems.push(Problem::at(
                    &self.file,
                    1,
                    &format!("column `{key}`"),
                    format!("`{}` is {} in {scenario_label}, not a number", found.walked, found.kind.described()),
                )),
                Err(message) => problems.push(Problem::at(
                    &self.file,
                    1,
                    &format!("column `{key}`"),
                    format!("{message} in {scenario_label}"),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(CalibrateError::Input(problems));
        }
        self.members
            .iter()
            .map(|values| {
                let edits: Vec<_> = slots
                    .iter()
                    .zip(values)
                    .map(|((span, integral), &v)| {
                        (span.clone(), format_number(if *integral { v.round() } else { v }, *integral))
                    })
                    .collect();
                splice(scenario_text, &edits).map_err(|e| CalibrateError::Other(format!("{}: {e}", self.file)))
            })
            .collect()
    }
}

impl Ensemble {
    /// Each member's scenario: `s` (read from `path`) with the member's values. A plain scenario
    /// holds the keys itself; a question scenario (`base = ...`) takes them from its base, so
    /// each member's base is written to a temporary file and the question read over it (its
    /// dated entries pin what they name, as always).
    ///
    /// # Errors
    /// [`CalibrateError::Input`] for keys the scenario (or its base) lacks, a member that does
    /// not give a valid scenario, or a question over a question.
    pub fn member_scenarios(
        &self,
        s: &crate::scenario::Scenario,
        path: &Path,
    ) -> Result<Vec<crate::scenario::Scenario>, CalibrateError> {
        let label = path.display().to_string();
        let own = crate::scenario::own_text(&s.source_text);
        let invalid = |m: usize, e: crate::scenario::ScenarioError| {
            CalibrateError::Input(vec![Problem::at(
                &self.file,
                m + 2,
                "",
                format!("member {m} does not give a valid scenario: {e}"),
            )])
        };
        let doc = toml::de::DeTable::parse(own)
            .map_err(|e| CalibrateError::Other(format!("{label}: cannot re-read the scenario: {}", e.message())))?;
        let Some(base) = doc.get_ref().get("base") else {
            let texts = self.member_texts(own, &label)?;
            return texts
                .iter()
                .enumerate()
                .map(|(m, t)| crate::scenario::load_str(t, &label).map_err(|e| invalid(m, e)))
                .collect();
        };
        let base_span = base.span();
        let base_path = Path::new(&s.source_path).parent().map_or_else(PathBuf::new, Path::to_path_buf).join(
            base.get_ref().as_str().ok_or_else(|| CalibrateError::Other(format!("{label}: `base` is not a string")))?,
        );
        let base_text = read_text(&base_path, &base_path.display().to_string())?;
        if toml::de::DeTable::parse(&base_text).is_ok_and(|d| d.get_ref().contains_key("base")) {
            return Err(CalibrateError::Input(vec![Problem::whole_file(
                &self.file,
                format!("{label} is a question over a question: run the ensemble over a scenario or a question on one"),
            )]));
        }
        let texts = self.member_texts(&base_text, &base_path.display().to_string())?;
        let dir = tempfile::tempdir().map_err(|e| CalibrateError::Other(format!("a temporary directory: {e}")))?;
        let mut out = Vec::with_capacity(texts.len());
        for (m, text) in texts.iter().enumerate() {
            let member_base = dir.path().join(format!("member-{m}.toml"));
            std::fs::write(&member_base, text)
                .map_err(|e| CalibrateError::Io { path: member_base.clone(), source: e })?;
            let quoted = crate::output::toml_quoted(&member_base.display().to_string());
            let question = splice(own, &[(base_span.clone(), quoted)])
                .map_err(|e| CalibrateError::Other(format!("{label}: {e}")))?;
            out.push(crate::scenario::load_str(&question, &label).map_err(|e| invalid(m, e))?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_mixture_draws_stay_in_the_box_and_its_density_integrates_to_one() {
        let m = Mixture { centers: vec![vec![0.05], vec![0.7]], weights: vec![0.3, 0.7], sd: vec![0.2] };
        let mut rng = chacha8(3, 0);
        for _ in 0..1000 {
            let x = m.draw(&mut rng);
            assert!((0.0..=1.0).contains(&x[0]));
        }
        // Midpoint rule over [0, 1].
        let n = 20_000;
        let integral: f64 = (0..n).map(|i| m.density(&[(i as f64 + 0.5) / n as f64])).sum::<f64>() / n as f64;
        assert!((integral - 1.0).abs() < 1e-6, "{integral}");
        // The share of draws below 0.4 matches the density's mass there.
        let mut rng = chacha8(4, 0);
        let draws = 40_000;
        let below = (0..draws).filter(|_| m.draw(&mut rng)[0] < 0.4).count() as f64 / draws as f64;
        let mass: f64 =
            (0..n).map(|i| (i as f64 + 0.5) / n as f64).filter(|&x| x < 0.4).map(|x| m.density(&[x])).sum::<f64>()
                / n as f64;
        assert!((below - mass).abs() < 0.01, "{below} vs {mass}");
    }

    fn summary_row(series: &str, mean: f64, sd: f64) -> SummaryRow {
        SummaryRow { series: series.into(), year: 2005, mean, sd, p05: mean, p95: mean }
    }

    #[test]
    fn the_tolerant_error_model_counts_only_the_error_beyond_the_hit_rule() {
        let count = Target::target("a", 2005, 1000.0, "cases");
        let share = Target::target("b", 2005, 0.1, "share");
        // 15% of the figure; for a share of 0.1, 0.02 is 20% of it.
        assert!((tolerance(&count) - 0.15).abs() < 1e-12);
        assert!((tolerance(&share) - 0.2).abs() < 1e-12);
        let targets = [count, share];
        let ln_l = |a: f64, b: f64, errors| {
            log_likelihood(&[summary_row("a", a, 0.0), summary_row("b", b, 0.0)], &targets, 0.1, 8, errors)
        };
        let free = -(0.1f64 * 0.1).ln(); // -1/2 sum of ln v over two rows of v = 0.01
        // Within the tolerance: no error at all.
        assert!((ln_l(1140.0, 0.081, ErrorModel::Tolerant) - free).abs() < 1e-9);
        // Beyond it: 25% counts as 10%, a share 0.03 off as 0.01 (0.1 of its scale).
        let beyond = ln_l(1250.0, 0.13, ErrorModel::Tolerant);
        assert!((beyond - (free - 0.5 * (0.01 / 0.01 + 0.01 / 0.01))).abs() < 1e-9, "{beyond}");
        // The synthetic model counts the whole error: 0.25 and 0.3 of the scale.
        let whole = ln_l(1250.0, 0.13, ErrorModel::Synthetic);
        assert!(
            (whole - (free - 0.5 * (0.0625f64 / 0.01).min(MAX_Z2) - 0.5 * (0.09f64 / 0.01).min(MAX_Z2))).abs() < 1e-9
        );
    }

    #[test]
    fn the_discrepancy_estimate_counts_errors_as_the_likelihood_does() {
        let targets = [Target::target("a", 2005, 1000.0, "cases"), Target::target("b", 2005, 1000.0, "cases")];
        // Errors of 10% and 30%, no run spread; beyond the tolerance only 0 and 15% remain.
        let summary = [summary_row("a", 1100.0, 0.0), summary_row("b", 1300.0, 0.0)];
        let synthetic = estimate_discrepancy(&summary, &targets, ErrorModel::Synthetic);
        let tolerant = estimate_discrepancy(&summary, &targets, ErrorModel::Tolerant);
        assert!((synthetic - ((0.01f64 + 0.09) / 2.0).sqrt()).abs() < 1e-12, "{synthetic}");
        assert!((tolerant - (0.0225f64 / 2.0).sqrt()).abs() < 1e-12, "{tolerant}");
        // A row off by more than 100% is left out under both, judged by its whole error.
        let far = [summary_row("a", 1100.0, 0.0), summary_row("b", 2100.0, 0.0)];
        assert!((estimate_discrepancy(&far, &targets, ErrorModel::Tolerant)).abs() < 1e-12);
        assert!((estimate_discrepancy(&far, &targets, ErrorModel::Synthetic) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn weighted_quantiles() {
        let pairs = [(3.0, 0.25), (1.0, 0.25), (2.0, 0.5)];
        assert_eq!(weighted_quantile(&pairs, 0.05), 1.0);
        assert_eq!(weighted_quantile(&pairs, 0.5), 2.0);
        assert_eq!(weighted_quantile(&pairs, 0.76), 3.0);
    }
}
