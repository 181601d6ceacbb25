//! Global sensitivity indices from a sweep's outputs, computed as SALib computes them so that
//! a researcher can check them with SALib on the exported design and outputs.
//!
//! - Sobol' (Saltelli scheme, no second order): outputs in SALib's row order (per base sample
//!   A, AB_1..AB_D, B), normalised as SALib does (`(Y - mean) / sd`, population sd); first-order
//!   index by Saltelli et al. (2010), `S1_j = mean(B (AB_j - A)) / var(A ∪ B)`; total index by
//!   Jansen's form, `ST_j = mean((A - AB_j)²) / 2 / var(A ∪ B)` (population variances).
//!   Confidence: `num_resamples` bootstrap resamples of the N base rows (with replacement,
//!   rows kept whole), and `conf = Φ⁻¹(0.5 + conf_level / 2) · sd(resampled indices)` (sd with
//!   n - 1), i.e. SALib's `norm.ppf(0.5 + conf_level / 2) * std(ddof=1)`: half-widths.
//! - Morris: elementary effects `EE = (y(x + Δ e_j) - y(x)) / Δ` in unit-cube coordinates
//!   (SALib's convention: Δ is the step on the unit scale, so an effect is per whole range);
//!   `mu = mean(EE)`, `mu_star = mean(|EE|)`, `sigma = sd(EE)` (n - 1), `mu_star_conf` by
//!   bootstrap of the effects as above.
//!
//! The bootstrap draws from ChaCha8 keyed by a seed (stream 4), so results are reproducible;
//! SALib's draws are numpy's, so its intervals agree only within their own sampling error.

use super::design::{below, morris_delta};
use super::stats::normal_quantile;
use crate::engine::draws::chacha8;

/// Sobol' indices of each factor, in factor order.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndices {
    pub s1: Vec<f64>,
    pub s1_conf: Vec<f64>,
    pub st: Vec<f64>,
    pub st_conf: Vec<f64>,
    /// Base samples.
    pub n: usize,
}

/// Morris measures of each factor, in factor order.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndices {
    pub mu: Vec<f64>,
    pub mu_star: Vec<f64>,
    pub sigma: Vec<f64>,
    pub mu_star_conf: Vec<f64>,
    /// Trajectories.
    pub r: usize,
}

/// Why indices cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisError(pub String);

impl std::fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AnalysisError {}

/// Bootstrap settings, SALib's defaults: 100 resamples, level 0.95.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bootstrap {
    pub resamples: usize,
    pub conf_level: f64,
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap { resamples: 100, conf_level: 0.95, seed: 1 }
    }
}

fn check_finite(y: &[f64]) -> Result<(), AnalysisError> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(AnalysisError(format!(
            "the output is not a number at point {i} (a ratio with a zero denominator in every run?): \
             choose a series and years defined at every point"
        ))),
        None => Ok(()),
    }
}

fn mean(v: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = v.len();
    v.sum::<f64>() / n as f64
}

/// Population variance (numpy's default `ddof=0`).
fn pop_var(v: &[f64]) -> f64 {
    let m = mean(v.iter().copied());
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64
}

/// Sample sd (`ddof=1`).
fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = mean(v.iter().copied());
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// `S1` and `ST` of factor `j` from the rows `rows` (indices into 0..N).
fn sobol_pair(a: &[f64], ab: &[Vec<f64>], b: &[f64], j: usize, rows: &[usize]) -> (f64, f64) {
    let mut ab_union: Vec<f64> = Vec::with_capacity(2 * rows.len());
    ab_union.extend(rows.iter().map(|&i| a[i]));
    ab_union.extend(rows.iter().map(|&i| b[i]));
    let var = pop_var(&ab_union);
    let s1 = mean(rows.iter().map(|&i| b[i] * (ab[i][j] - a[i]))) / var;
    let st = 0.5 * mean(rows.iter().map(|&i| (a[i] - ab[i][j]).powi(2))) / var;
    (s1, st)
}

/// First-order and total Sobol' indices of `d` factors from outputs `y` in SALib's row order
/// (`N (d + 2)` values).
///
/// # Errors
/// When `y` does not have `N (d + 2)` values, holds a non-finite value, or does not vary.
pub fn sobol_indices(y: &[f64], d: usize, boot: Bootstrap) -> Result<SobolIndices, AnalysisError> {
    let step = d + 2;
    if d == 0 || y.is_empty() || y.len() % step != 0 {
        return Err(AnalysisError(format!(
            "{} outputs cannot come from a Sobol' design of {d} factors (it has N x {step} points)",
            y.len()
        )));
    }
    check_finite(y)?;
    let n = y.len() / step;
    // SALib normalises the outputs first; the mean shift changes the S1 estimate, so do the same.
    let m = mean(y.iter().copied());
    let sd = pop_var(y).sqrt();
    if sd == 0.0 {
        return Err(AnalysisError("the output is the same at every point: no factor moves it".to_string()));
    }
    let z: Vec<f64> = y.iter().map(|v| (v - m) / sd).collect();
    let a: Vec<f64> = (0..n).map(|i| z[i * step]).collect();
    let b: Vec<f64> = (0..n).map(|i| z[i * step + step - 1]).collect();
    let ab: Vec<Vec<f64>> = (0..n).map(|i| z[i * step + 1..i * step + 1 + d].to_vec()).collect();

    let all: Vec<usize> = (0..n).collect();
    let mut rng = chacha8(boot.seed, 4);
    // One set of resampled rows for every factor, as SALib draws `r` once.
    let resamples: Vec<Vec<usize>> =
        (0..boot.resamples).map(|_| (0..n).map(|_| below(&mut rng, n as u64) as usize).collect()).collect();
    let zq = normal_quantile(0.5 + boot.conf_level / 2.0);
    let mut out = SobolIndices { s1: vec![], s1_conf: vec![], st: vec![], st_conf: vec![], n };
    for j in 0..d {
        let (s1, st) = sobol_pair(&a, &ab, &b, j, &all);
        let (bs1, bst): (Vec<f64>, Vec<f64>) = resamples.iter().map(|rows| sobol_pair(&a, &ab, &b, j, rows)).unzip();
        out.s1.push(s1);
        out.st.push(st);
        out.s1_conf.push(zq * sample_sd(&bs1));
        out.st_conf.push(zq * sample_sd(&bst));
    }
    Ok(out)
}

/// Morris measures of `d` factors from a design of `r (d + 1)` points (unit coordinates, in
/// trajectory order) with `levels` grid levels, and their outputs `y`.
///
/// # Errors
/// When the sizes do not fit, an output is not finite, or a step of a trajectory does not move
/// exactly one factor.
pub fn morris_indices(
    unit: &[Vec<f64>],
    y: &[f64],
    levels: usize,
    boot: Bootstrap,
) -> Result<MorrisIndices, AnalysisError> {
    let d = unit.first().map_or(0, Vec::len);
    let size = d + 1;
    if d == 0 || unit.len() != y.len() || y.len() % size != 0 {
        return Err(AnalysisError(format!(
            "{} points and {} outputs cannot come from Morris trajectories of {d} factors",
            unit.len(),
            y.len()
        )));
    }
    check_finite(y)?;
    let r = y.len() / size;
    let delta = morris_delta(levels);
    let mut ee = vec![Vec::with_capacity(r); d];
    for t in 0..r {
        for k in 0..d {
            let (i0, i1) = (t * size + k, t * size + k + 1);
            let moved: Vec<usize> = (0..d).filter(|&j| unit[i0][j] != unit[i1][j]).collect();
            let [j] = moved.as_slice() else {
                return Err(AnalysisError(format!(
                    "step {k} of trajectory {t} moves {} factors; a Morris trajectory moves one at a time",
                    moved.len()
                )));
            };
            let sign = if unit[i1][*j] > unit[i0][*j] { 1.0 } else { -1.0 };
            ee[*j].push(sign * (y[i1] - y[i0]) / delta);
        }
    }
    let zq = normal_quantile(0.5 + boot.conf_level / 2.0);
    let mut rng = chacha8(boot.seed, 4);
    let mut out = MorrisIndices { mu: vec![], mu_star: vec![], sigma: vec![], mu_star_conf: vec![], r };
    for effects in &ee {
        if effects.is_empty() {
            return Err(AnalysisError("a factor never moves in the trajectories".to_string()));
        }
        let n = effects.len();
        out.mu.push(mean(effects.iter().copied()));
        out.mu_star.push(mean(effects.iter().map(|e| e.abs())));
        out.sigma.push(sample_sd(effects));
        let boot_mu_star: Vec<f64> = (0..boot.resamples)
            .map(|_| mean((0..n).map(|_| effects[below(&mut rng, n as u64) as usize].abs())))
            .collect();
        out.mu_star_conf.push(zq * sample_sd(&boot_mu_star));
    }
    Ok(out)
}

/// What a sensitivity analysis measures at each point: a series in one year, or its mean over
/// a span of years (each year's mean over the point's runs, then the mean over the years).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    pub series: String,
    /// First and last year, inclusive; `None`: every year of the sweep.
    pub years: Option<(i32, i32)>,
    /// As written on the command line, e.g. `reconciliation.pretrial:2013`.
    pub label: String,
}

impl std::str::FromStr for OutputSpec {
    type Err = String;

    /// `SERIES`, `SERIES:YEAR` or `SERIES:Y1-Y2`.
    fn from_str(s: &str) -> Result<OutputSpec, String> {
        let bad = || format!("`{s}` is not an output: write SERIES, SERIES:YEAR or SERIES:Y1-Y2");
        let (series, years) = match s.split_once(':') {
            None => (s, None),
            Some((series, years)) => {
                let (a, b) = years.split_once('-').unwrap_or((years, years));
                let (a, b) = (a.trim().parse::<i32>().map_err(|_| bad())?, b.trim().parse::<i32>().map_err(|_| bad())?);
                if a > b {
                    return Err(format!("`{s}`: the first year must not be after the last"));
                }
                (series, Some((a, b)))
            }
        };
        if series.is_empty() {
            return Err(bad());
        }
        Ok(OutputSpec { series: series.to_string(), years, label: s.to_string() })
    }
}

/// The indices of one output.
#[derive(Clone, Debug, PartialEq)]
pub enum Indices {
    Sobol(SobolIndices),
    Morris(MorrisIndices),
}

/// A sensitivity analysis of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub design: String,
    pub keys: Vec<String>,
    /// Runs per point (each point's output is the mean over them).
    pub runs: usize,
    pub outputs: Vec<(OutputSpec, Vec<f64>, Indices)>,
    /// The design in real units, unrounded (SALib's X), in point order.
    pub x: Vec<Vec<f64>>,
    /// Each factor's bounds.
    pub bounds: Vec<(f64, f64)>,
}

/// Computes the indices of each output from a sweep file.
///
/// # Errors
/// When the design is not Sobol' or Morris, an output names a series or year the sweep does
/// not hold, or the indices cannot be computed (see [`sobol_indices`], [`morris_indices`]).
pub fn analyze_sweep(
    sweep: &super::sweep_h5::SweepRead,
    outputs: &[OutputSpec],
    boot: Bootstrap,
) -> Result<Analysis, AnalysisError> {
    if sweep.design != "sobol" && sweep.design != "morris" {
        return Err(AnalysisError(format!(
            "sensitivity indices need a sobol or morris design; this sweep's design is {}",
            sweep.design
        )));
    }
    let d = sweep.keys.len();
    let mut results = Vec::with_capacity(outputs.len());
    for spec in outputs {
        let Some(s) = sweep.series.iter().position(|n| n == &spec.series) else {
            let names: Vec<&str> = sweep.series.iter().map(String::as_str).collect();
            let hint = crate::scenario::closest(&spec.series, &names)
                .map_or_else(String::new, |c| format!("; did you mean `{c}`?"));
            return Err(AnalysisError(format!("the sweep holds no series `{}`{hint}", spec.series)));
        };
        let (first, last) = (sweep.years[0], *sweep.years.last().unwrap_or(&sweep.years[0]));
        let (a, b) = spec.years.unwrap_or((first, last));
        if a < first || b > last {
            return Err(AnalysisError(format!("`{}`: the sweep holds the years {first} to {last}", spec.label)));
        }
        let range = (a - first) as usize..(b - first) as usize + 1;
        let y = sweep.output(s, range).map_err(|e| AnalysisError(format!("cannot read the sweep: {e}")))?;
        let indices = if sweep.design == "sobol" {
            Indices::Sobol(sobol_indices(&y, d, boot).map_err(|e| AnalysisError(format!("`{}`: {e}", spec.label)))?)
        } else {
            Indices::Morris(
                morris_indices(&sweep.unit, &y, sweep.levels, boot)
                    .map_err(|e| AnalysisError(format!("`{}`: {e}", spec.label)))?,
            )
        };
        results.push((spec.clone(), y, indices));
    }
    Ok(Analysis {
        design: sweep.design.clone(),
        keys: sweep.keys.clone(),
        runs: sweep.runs,
        outputs: results,
        x: sweep.real.clone(),
        bounds: sweep.bounds.clone(),
    })
}

impl Analysis {
    /// The indices file's name and text: `sobol_indices.csv` (`output,param,S1,S1_conf,ST,
    /// ST_conf,N,runs`) or `morris.csv` (`output,param,mu,mu_star,sigma,mu_star_conf,r,runs`),
    /// SALib's column names.
    pub fn indices_csv(&self) -> (&'static str, String) {
        let sobol = self.design == "sobol";
        let header: &[&str] = if sobol {
            &["output", "param", "S1", "S1_conf", "ST", "ST_conf", "N", "runs"]
        } else {
            &["output", "param", "mu", "mu_star", "sigma", "mu_star_conf", "r", "runs"]
        };
        let mut rows: Vec<Vec<String>> = Vec::new();
        for (spec, _, indices) in &self.outputs {
            for (j, key) in self.keys.iter().enumerate() {
                let (numbers, size) = match indices {
                    Indices::Sobol(s) => ([s.s1[j], s.s1_conf[j], s.st[j], s.st_conf[j]], s.n),
                    Indices::Morris(m) => ([m.mu[j], m.mu_star[j], m.sigma[j], m.mu_star_conf[j]], m.r),
                };
                let mut row = vec![spec.label.clone(), key.clone()];
                row.extend(numbers.iter().map(f64::to_string));
                row.extend([size.to_string(), self.runs.to_string()]);
                rows.push(row);
            }
        }
        (if sobol { "sobol_indices.csv" } else { "morris.csv" }, crate::output::csv_text(header, rows))
    }

    /// `design.csv`: the design in SALib's row order, one column per parameter (real values,
    /// before integer rounding), with a header of the keys.
    pub fn design_csv(&self) -> String {
        let header: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        crate::output::csv_text(&header, self.x.iter().map(|row| row.iter().map(f64::to_string).collect::<Vec<_>>()))
    }

    /// `Y.txt`: one line per point, one column per output (`numpy.loadtxt` reads it; the first
    /// line, a comment, names the outputs).
    pub fn y_txt(&self) -> String {
        let labels: Vec<&str> = self.outputs.iter().map(|(s, _, _)| s.label.as_str()).collect();
        let mut out = format!("# {}\n", labels.join(" "));
        let n = self.outputs.first().map_or(0, |o| o.1.len());
        for i in 0..n {
            out.push_str(&self.outputs.iter().map(|(_, y, _)| format!("{:?}", y[i])).collect::<Vec<_>>().join(" "));
            out.push('\n');
        }
        out
    }

    /// `problem.json`: SALib's problem dictionary (`num_vars`, `names`, `bounds`).
    pub fn problem_json(&self) -> String {
        let names: Vec<String> =
            self.keys.iter().map(|k| format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))).collect();
        let bounds: Vec<String> = self.bounds.iter().map(|(a, b)| format!("[{a:?}, {b:?}]")).collect();
        format!(
            "{{\"num_vars\": {}, \"names\": [{}], \"bounds\": [{}]}}\n",
            self.keys.len(),
            names.join(", "),
            bounds.join(", ")
        )
    }

    /// A terminal table of the indices of every output.
    pub fn table(&self) -> String {
        let w = self.keys.iter().map(String::len).max().unwrap_or(5).max(5);
        let mut out = String::new();
        for (spec, _, indices) in &self.outputs {
            match indices {
                Indices::Sobol(s) => {
                    out.push_str(&format!(
                        "{}: Sobol' indices, N = {} base samples x {} points each, {} runs per point\n",
                        spec.label,
                        s.n,
                        self.keys.len() + 2,
                        self.runs
                    ));
                    out.push_str(&format!("{:<w$}  {:>16}  {:>16}\n", "param", "S1 ± 95%", "ST ± 95%"));
                    for (j, k) in self.keys.iter().enumerate() {
                        out.push_str(&format!(
                            "{k:<w$}  {:>7.3} ± {:<6.3}  {:>7.3} ± {:<6.3}\n",
                            s.s1[j], s.s1_conf[j], s.st[j], s.st_conf[j]
                        ));
                    }
                }
                Indices::Morris(m) => {
                    out.push_str(&format!(
                        "{}: Morris, r = {} trajectories, {} runs per point (effects per whole range of a parameter)\n",
                        spec.label, m.r, self.runs
                    ));
                    out.push_str(&format!("{:<w$}  {:>11}  {:>20}  {:>11}\n", "param", "mu", "mu* ± 95%", "sigma"));
                    for (j, k) in self.keys.iter().enumerate() {
                        out.push_str(&format!(
                            "{k:<w$}  {:>11.4}  {:>10.4} ± {:<7.4}  {:>11.4}\n",
                            m.mu[j], m.mu_star[j], m.mu_star_conf[j], m.sigma[j]
                        ));
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::design::{DesignKind, Domain, Factor, generate};
    use super::*;
    use std::f64::consts::PI;

    fn unit_factors(d: usize) -> Vec<Factor> {
        (0..d)
            .map(|i| Factor {
                key: format!("x{i}"),
                domain: Domain::Range { min: 0.0, max: 1.0, integral: false, levels: None },
            })
            .collect()
    }

    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|v| -PI + 2.0 * PI * v).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    /// Ishigami (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)
    /// analytically. With N = 2^13 base samples the estimators' standard errors are about 0.01
    /// (Saltelli et al. 2010, Figs. 2-3, and the bootstrap intervals printed here), so each
    /// estimate must lie within 0.03 of the truth (3 standard errors), and the truth within
    /// twice the reported 95% half-width.
    #[test]
    fn ishigami_indices_match_the_analytic_ones() {
        let (a, b) = (7.0f64, 0.1f64);
        let pi4 = PI.powi(4);
        let pi8 = PI.powi(8);
        let v1 = 0.5 * (1.0 + b * pi4 / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = 8.0 * b * b * pi8 / 225.0;
        let v = v1 + v2 + v13;
        let s1_true = [v1 / v, v2 / v, 0.0];
        let st_true = [(v1 + v13) / v, v2 / v, v13 / v];
        assert!((s1_true[0] - 0.3139).abs() < 1e-4 && (st_true[2] - 0.2437).abs() < 1e-4);

        let points = generate(DesignKind::Sobol { base_samples: 1 << 13 }, &unit_factors(3), 1).unwrap();
        let y: Vec<f64> = points.iter().map(|p| ishigami(&p.unit)).collect();
        let s = sobol_indices(&y, 3, Bootstrap::default()).unwrap();
        for j in 0..3 {
            assert!((s.s1[j] - s1_true[j]).abs() < 0.03, "S1[{j}] = {} vs {}", s.s1[j], s1_true[j]);
            assert!((s.st[j] - st_true[j]).abs() < 0.03, "ST[{j}] = {} vs {}", s.st[j], st_true[j]);
            assert!((s.s1[j] - s1_true[j]).abs() < 2.0 * s.s1_conf[j] + 1e-3, "S1[{j}] outside its interval");
            assert!((s.st[j] - st_true[j]).abs() < 2.0 * s.st_conf[j] + 1e-3, "ST[{j}] outside its interval");
            assert!(s.s1_conf[j] > 0.0 && s.s1_conf[j] < 0.1);
        }
        // Same seed, same bits.
        assert_eq!(s, sobol_indices(&y, 3, Bootstrap::default()).unwrap());
    }

    #[test]
    fn sobol_refuses_wrong_sizes_and_flat_outputs() {
        assert!(sobol_indices(&[1.0; 9], 2, Bootstrap::default()).is_err());
        assert!(sobol_indices(&[1.0; 8], 2, Bootstrap::default()).unwrap_err().0.contains("same at every point"));
        let mut y = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        y[3] = f64::NAN;
        assert!(sobol_indices(&y, 2, Bootstrap::default()).unwrap_err().0.contains("point 3"));
    }

    /// On an additive linear function every elementary effect of a factor is its coefficient
    /// (per unit range), so mu = coefficient, mu* = |coefficient| and sigma = 0 exactly up to
    /// rounding; a factor the function ignores gets zeros.
    #[test]
    fn morris_on_a_linear_function() {
        let coef = [2.0, -3.0, 0.5, 0.0];
        let points = generate(DesignKind::Morris { trajectories: 10, levels: 4 }, &unit_factors(4), 9).unwrap();
        let unit: Vec<Vec<f64>> = points.iter().map(|p| p.unit.clone()).collect();
        let y: Vec<f64> = unit.iter().map(|u| u.iter().zip(coef).map(|(x, c)| x * c).sum()).collect();
        let m = morris_indices(&unit, &y, 4, Bootstrap::default()).unwrap();
        for (j, c) in coef.iter().enumerate() {
            assert!((m.mu[j] - c).abs() < 1e-9, "mu[{j}] = {}", m.mu[j]);
            assert!((m.mu_star[j] - c.abs()).abs() < 1e-9);
            assert!(m.sigma[j].abs() < 1e-9);
            assert!(m.mu_star_conf[j].abs() < 1e-9);
        }
    }

    /// A non-linear term gives effects that depend on where the step is taken: sigma > 0.
    #[test]
    fn morris_sees_non_linearity() {
        let points = generate(DesignKind::Morris { trajectories: 20, levels: 4 }, &unit_factors(2), 2).unwrap();
        let unit: Vec<Vec<f64>> = points.iter().map(|p| p.unit.clone()).collect();
        let y: Vec<f64> = unit.iter().map(|u| u[0] * u[0] * 3.0 + u[1]).collect();
        let m = morris_indices(&unit, &y, 4, Bootstrap::default()).unwrap();
        assert!(m.sigma[0] > 0.1);
        assert!(m.sigma[1] < 1e-9);
        assert!(m.mu_star[0] > 1.0);
    }
}
